/*
 * Collections: the items of the BCL's concurrent collections, read from
 * the objects that hold them, as dcd and dcq show them.
 *
 * A ConcurrentDictionary<TKey, TValue> keeps its items in _tables._buckets:
 * an array of buckets (since .NET 8 a VolatileNode struct wrapping the
 * reference), each the head of a chain of Node objects (_key, _value,
 * _next). A ConcurrentQueue<T> is a chain of ConcurrentQueueSegment<T>
 * from _head through _nextSegment; a segment's items are the Item fields of
 * its _slots array from position Head up to Tail of its _headAndTail, each
 * position taken modulo the array's length (a segment frozen for enqueues
 * has its Tail raised by twice that length). Only the items the collection
 * holds are listed: slots already dequeued, or not yet written, are not.
 *
 * Each item is described as the user would open it: a primitive by its
 * value, a string by its text, null, an object or array by its address, a
 * struct stored inline by its MethodTable and address (for dumpvc).
 * The layouts are checked as they are read (fields found by name, array
 * lengths and chain lengths bounded): a collection the runtime does not
 * lay out this way is an error naming what is missing.
 */
#ifndef CLRSOS_COLLECTIONS_H
#define CLRSOS_COLLECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"
#include "model/objects.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

enum clrsos_item_kind {
	CLRSOS_ITEM_NULL,    /* a null reference */
	CLRSOS_ITEM_VALUE,   /* a primitive: text, as C# prints it ("12", "True", "'a'") */
	CLRSOS_ITEM_STRING,  /* a System.String at address: string holds its first chars */
	CLRSOS_ITEM_ARRAY,   /* an array at address (mt: its MethodTable) */
	CLRSOS_ITEM_OBJECT,  /* any other object at address (mt: its MethodTable) */
	CLRSOS_ITEM_STRUCT,  /* a struct stored inline at address, of MethodTable mt */
	CLRSOS_ITEM_UNKNOWN, /* a value clrsos cannot describe (its type is not loaded) */
};

/* The characters of a string item that are kept. */
enum { CLRSOS_ITEM_STRING_KEPT = 1024 };

struct clrsos_item {
	enum clrsos_item_kind kind;
	uint64_t address;
	uint64_t mt;
	char text[40];                     /* VALUE */
	struct clrsos_string_text string;  /* STRING: owned */
};

struct clrsos_collection {
	uint64_t address;
	const char *type_name;     /* the collection's type, borrowed from the heap's types */
	bool is_dictionary;
	struct clrsos_item *keys;  /* dictionaries only: count of them; malloc'd */
	struct clrsos_item *items; /* the values (dictionaries) or the items (queues); malloc'd */
	size_t count;
};

/*
 * The items of the ConcurrentDictionary at address, in bucket order. An
 * address that is no object, or an object of another type, is an error
 * (CLRSOS_ERROR_INVALID_ARGUMENT) that says so.
 */
struct clrsos_error *clrsos_concurrent_dictionary_init(struct clrsos_collection *c, struct clrsos_heap *heap,
						       struct clrsos_dac *dac, uint64_t address);
/* The items of the ConcurrentQueue at address, first to be dequeued first. */
struct clrsos_error *clrsos_concurrent_queue_init(struct clrsos_collection *c, struct clrsos_heap *heap,
						  struct clrsos_dac *dac, uint64_t address);
void clrsos_collection_deinit(struct clrsos_collection *c);

#ifdef __cplusplus
}
#endif

#endif
