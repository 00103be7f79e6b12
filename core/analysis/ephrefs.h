/*
 * Ephemeral references: the references the GC must find outside the
 * generations it collects most often, as SOS's ephrefs and ephtoloh list
 * them.
 *
 * ephrefs: objects of an older generation (1, 2, large, pinned) that refer
 * to younger ones: to generation 0, or (from 2, large or pinned) to
 * generation 1. Such references keep young objects alive across
 * ephemeral GCs and cost the GC card-table work; a cache in generation 2
 * filled with new objects shows here.
 *
 * ephtoloh: ephemeral objects (generations 0 and 1) that refer to large
 * objects, large objects that refer to ephemeral ones, and the chains
 * ephemeral -> large -> ephemeral.
 *
 * Both come from one bulk walk of the heap (model/heap.h): each object's
 * references are read from the walk's bytes through its type's GCDesc; the
 * size of each young object referred to is looked up after the walk, once
 * per object. Frozen (NonGC) objects are left out, as SOS leaves them out.
 */
#ifndef CLRSOS_EPHREFS_H
#define CLRSOS_EPHREFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One older object and the younger objects of one generation it refers to. */
struct clrsos_ephref {
	uint64_t object;
	const struct clrsos_type *type;
	uint64_t size;
	enum clrsos_generation object_generation, reference_generation;
	uint64_t count;     /* references to that generation */
	uint64_t ref_size;  /* the bytes of the objects so referred to (each reference counted) */
};

struct clrsos_ephrefs {
	struct clrsos_ephref *rows; /* by object generation, reference generation, address; malloc'd */
	size_t count;
	uint64_t referenced;        /* distinct younger objects referred to */
	uint64_t referenced_bytes;  /* their bytes */
	struct clrsos_walk_result walk;
};

struct clrsos_error *clrsos_ephrefs_init(struct clrsos_ephrefs *r, struct clrsos_heap *heap);
void clrsos_ephrefs_deinit(struct clrsos_ephrefs *r);

/* A reference from one object to another. */
struct clrsos_link {
	uint64_t from, to;
	const struct clrsos_type *from_type, *to_type;
};

struct clrsos_ephtoloh {
	struct clrsos_link *to_large;   /* ephemeral -> large, by from then to; malloc'd */
	size_t nto_large;
	struct clrsos_link *from_large; /* large -> ephemeral, by from then to; malloc'd */
	size_t nfrom_large;
	struct clrsos_walk_result walk;
};

struct clrsos_error *clrsos_ephtoloh_init(struct clrsos_ephtoloh *r, struct clrsos_heap *heap);
void clrsos_ephtoloh_deinit(struct clrsos_ephtoloh *r);

#ifdef __cplusplus
}
#endif

#endif
