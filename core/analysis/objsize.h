/*
 * Object size: every object one object keeps alive transitively (itself
 * included), each met once: a depth-first walk over the references each
 * object's GCDesc lists, marking what it met in a bitmap per heap segment
 * (one bit per 8 bytes, as reachability's marking, allocated on first use)
 * and, for references outside the GC heap, a map.
 */
#ifndef CLRSOS_OBJSIZE_H
#define CLRSOS_OBJSIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called with each object met: false stops the walk for want of memory. */
typedef bool clrsos_objsize_fn(void *ctx, uint64_t address, const struct clrsos_type *type, uint64_t size);

/*
 * Walks what the object at address keeps alive, calling fn with each
 * object (references to no object are not counted). Refused mid-GC (the
 * heap is not walkable); the user interrupting is an error.
 */
struct clrsos_error *clrsos_objsize_walk(struct clrsos_heap *heap, uint64_t address, clrsos_objsize_fn *fn,
					 void *ctx);

/*
 * The same from several objects at once (objsize -mt: every instance of a
 * type), each object met once across all of them.
 */
struct clrsos_error *clrsos_objsize_walk_many(struct clrsos_heap *heap, const uint64_t *addresses, size_t count,
					      clrsos_objsize_fn *fn, void *ctx);

/*
 * pathto: a shortest chain of references from source to target (both
 * included, source first), breadth first over what source keeps alive:
 * *ret (malloc'd, the caller frees) holds *ret_count addresses, or is NULL
 * with 0 when source does not lead to target. Refused mid-GC; the user
 * interrupting is an error.
 */
struct clrsos_error *clrsos_objsize_path(struct clrsos_heap *heap, uint64_t source, uint64_t target,
					 uint64_t **ret, size_t *ret_count);

#ifdef __cplusplus
}
#endif

#endif
