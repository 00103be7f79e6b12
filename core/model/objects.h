/*
 * Objects: what one object and its MethodTable say of themselves, as
 * dumpobj, dumparray, dumpvc and dumpmt show them: an object's size and
 * (for arrays) its shape; a type's class, module and counts; the text of a
 * string; the thin lock in an object's header. Values of their own, not the
 * DAC's records.
 */
#ifndef CLRSOS_OBJECTS_H
#define CLRSOS_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_heap;
struct clrsos_target;

struct clrsos_object_data {
	uint64_t address;
	uint64_t mt;
	uint64_t size;              /* as the runtime computes it */
	bool is_array;
	uint32_t rank;              /* arrays: */
	uint64_t length;            /* the number of elements (all dimensions) */
	uint32_t element_type;      /* CorElementType of the elements */
	uint64_t element_mt;        /* the elements' MethodTable */
	uint64_t component_size;    /* bytes per element */
	uint64_t data;              /* the first element */
	uint64_t bounds;            /* multi-dimensional: the lengths (uint32 each), 0 if none */
};

/* The runtime's view of the object at address (not checked against the heap). */
struct clrsos_error *clrsos_object_data_read(struct clrsos_dac *dac, uint64_t address,
					     struct clrsos_object_data *ret);

/* A MethodTable as dumpmt shows it. */
struct clrsos_method_table_info {
	uint64_t mt;
	uint64_t eeclass;
	uint64_t module;
	uint64_t parent;            /* 0: none */
	uint32_t token;             /* its TypeDef */
	uint32_t base_size;
	uint32_t component_size;
	uint32_t vtable_slots, methods, interfaces;
	uint32_t virtuals;          /* its virtual methods' slots */
	uint32_t attributes;        /* its TypeDef's flags (TypeAttributes) */
	bool is_dynamic;            /* dynamic statics */
	bool contains_pointers;
	bool have_field_counts;     /* false: the runtime lists no fields for it (Free, some runtime types) */
	uint32_t instance_fields, static_fields, thread_static_fields;
	char *file;                 /* its module's file, malloc'd; NULL if unknown */
};

/* The MethodTable mt (the caller has checked it is one). */
struct clrsos_error *clrsos_method_table_info_init(struct clrsos_method_table_info *info,
						   struct clrsos_dac *dac, uint64_t mt);
void clrsos_method_table_info_deinit(struct clrsos_method_table_info *info);
/*
 * The MethodTable of the EEClass at eeclass (*ret 0, and no error, if it is
 * not one). .NET 9+ shows no EEClass: it hands out a type's canonical
 * MethodTable in its place, and then *ret is eeclass itself.
 */
struct clrsos_error *clrsos_eeclass_method_table(struct clrsos_dac *dac, uint64_t eeclass, uint64_t *ret);
/*
 * The same, and whether eeclass is such a canonical MethodTable rather
 * than an EEClass (*ret_is_mt; false when *ret_mt is 0).
 */
struct clrsos_error *clrsos_eeclass_canonical(struct clrsos_dac *dac, uint64_t eeclass, uint64_t *ret_mt,
					      bool *ret_is_mt);
/* The EEClass of MethodTable mt (*ret 0, and no error, if the runtime does not say). */
struct clrsos_error *clrsos_method_table_eeclass(struct clrsos_dac *dac, uint64_t mt, uint64_t *ret);

/* A string's text, as UTF-16 units (for the renderer's decoder). */
struct clrsos_string_text {
	uint8_t *units;   /* little-endian UTF-16, malloc'd */
	uint32_t count;   /* units held */
	uint32_t length;  /* the string's length (count < length: cut, or unreadable from there) */
	bool valid;       /* false: not read (its length was unreadable) */
	bool unreadable;  /* its chars stopped being readable at count */
};

/*
 * The first max units of the string at address (max UINT32_MAX: all). A
 * string whose length cannot be read is an error (valid stays false);
 * text that stops being readable is kept up to there (unreadable set).
 */
struct clrsos_error *clrsos_string_text_init(struct clrsos_string_text *text, struct clrsos_heap *heap,
					     uint64_t address, uint32_t max);
void clrsos_string_text_deinit(struct clrsos_string_text *text);

/* A thin lock held in an object's header word. */
struct clrsos_thin_lock {
	bool held;          /* false: no thin lock, or its owner is no managed thread */
	uint32_t thread_id; /* the owner's thin-lock id */
	uint64_t thread;    /* the owner's Thread */
	uint32_t recursion;
};

/* The thin lock in the header of the object at address (held false if none or unreadable). */
struct clrsos_error *clrsos_object_thin_lock(struct clrsos_dac *dac, struct clrsos_target *target,
					     uint64_t address, struct clrsos_thin_lock *ret);

#ifdef __cplusplus
}
#endif

#endif
