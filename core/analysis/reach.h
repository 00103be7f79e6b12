/*
 * Reachability: which objects some root keeps alive. One pass per stop:
 * gather the roots (strong, pinned, async-pinned, sized-ref and counted
 * ref-counted handles, every managed thread's stack references and
 * thread-static reference fields, the finalizer queue's ready-to-run objects), then mark from them with an
 * explicit stack over a bitmap (one bit per 8 bytes of heap), following the
 * references each object's GCDesc lists and dependent handles as edges
 * (primary keeps secondary alive). dumpheap -live/-dead share it; gcroot
 * and the dominator tree take the roots alone (clrsos_reach_create_roots).
 * Objects on the NonGC (frozen) heap count as live: they are never collected.
 */
#ifndef CLRSOS_REACH_H
#define CLRSOS_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"
#include "model/roots.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_reach;

struct clrsos_reach_stats {
	uint64_t roots;          /* root references met */
	uint64_t marked;         /* objects marked live */
	uint64_t bad_references; /* references to no valid object (ignored) */
	uint64_t threads;        /* managed threads whose stacks were read */
	uint64_t threads_failed; /* managed threads whose stacks could not be read */
	uint64_t bytes;          /* memory the mark bits hold */
	uint64_t bad_roots;      /* roots holding no valid object (not followed) */
	uint64_t first_bad_root; /* the first one's handle, stack slot or queue entry */
	int first_bad_root_kind; /* its enum clrsos_root_kind */
	uint64_t first_bad_root_value; /* what it held */
	bool first_bad_root_unreadable; /* its memory is not in the target */
	/*
	 * Stack slots and registers the runtime reports that hold no valid
	 * object: byrefs into the stack itself or to objects the JIT placed on
	 * the stack (.NET 10), slots whose object is gone. Normal on a healthy
	 * process; nothing is lost (the GC follows none of them to a heap
	 * object either), so they are counted here and not warned of.
	 */
	uint64_t stack_slots_not_objects;
};

/*
 * Warnings about what reachability could not see, for commands built on it
 * (dumpheap -live/-dead, gcroot): stacks that could not be read, handles,
 * statics or finalizer queue entries that hold no object; each says what
 * to do. Stack slots that hold no object are not warned of (see
 * stack_slots_not_objects). Each is one line without a trailing newline;
 * *count of them (at most 2) in ret.
 */
void clrsos_reach_warnings(const struct clrsos_reach *reach, char ret[2][256], size_t *count);

struct clrsos_error *clrsos_reach_create(struct clrsos_dac *dac,
					  struct clrsos_target *target,
					  struct clrsos_heap *heap,
					  struct clrsos_reach **ret);
void clrsos_reach_destroy(struct clrsos_reach *reach);

/*
 * The roots alone: gathered and each checked as the marking checks them
 * (the same stats and warnings), nothing marked: clrsos_reach_is_live is
 * then true only of frozen objects, and the segments have no bits. For
 * what needs the roots but not the live set (gcroot, the dominator tree):
 * the marking is most of a first gcroot's time on a big heap.
 */
struct clrsos_error *clrsos_reach_create_roots(struct clrsos_dac *dac, struct clrsos_target *target,
						struct clrsos_heap *heap, struct clrsos_reach **ret);

/*
 * Whether the object at address (an object start) is live: reachable from a
 * root, or frozen (see below). dumpheap -live/-dead and gcroot both ask this.
 */
bool clrsos_reach_is_live(const struct clrsos_reach *reach, uint64_t address);
/*
 * Whether address lies on the NonGC (frozen) heap: string literals, RuntimeType
 * objects and other objects the runtime allocates there are never collected,
 * so they are live whether or not any root leads to them.
 */
bool clrsos_reach_is_frozen(const struct clrsos_reach *reach, uint64_t address);
const struct clrsos_reach_stats *clrsos_reach_stats(const struct clrsos_reach *reach);

/* The roots the marking started from (gcroot reports them). */
const struct clrsos_roots *clrsos_reach_roots(const struct clrsos_reach *reach);

#ifdef __cplusplus
}
#endif

#endif
