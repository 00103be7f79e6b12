/*
 * Roots: what keeps objects alive. GC handles that are roots (strong,
 * pinned, async-pinned, sized-ref, counted ref-counted, strong variable),
 * every managed thread's stack references, the finalizer queue's objects
 * ready for finalization, [ThreadStatic] references, and static references
 * in statics arrays the runtime's handle walk did not list. Dependent handles are not roots but
 * edges (primary keeps secondary alive): listed apart.
 */
#ifndef CLRSOS_ROOTS_H
#define CLRSOS_ROOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_target;
struct clrsos_gc;

enum clrsos_root_kind {
	CLRSOS_ROOT_HANDLE,
	CLRSOS_ROOT_STACK,
	CLRSOS_ROOT_FINALIZER,
	CLRSOS_ROOT_THREAD_STATIC, /* a [ThreadStatic] reference field of one thread */
	CLRSOS_ROOT_STATIC,        /* a static reference field no listed handle covers */
};

struct clrsos_root {
	enum clrsos_root_kind kind;
	uint64_t object;        /* what the root holds (for stack roots, maybe interior) */
	uint64_t address;       /* the handle, the stack slot, or the queue entry */
	uint32_t handle_type;   /* handles: enum clrsos_handle_type */
	uint32_t os_thread_id;  /* stacks and thread statics */
	uint64_t field_mt;      /* (thread) statics: the class and field token */
	uint32_t field_token;
	uint64_t stack_pointer; /* stacks: the frame's SP */
	uint64_t source;        /* stacks: the frame's IP (or Frame) */
	uint32_t source_type;   /* stacks: 0 managed IP, 1 Frame, 2 other */
	int32_t reg;            /* stacks: the register holding it, or -1 */
	bool interior;
	bool pinned;
};

struct clrsos_dependent {
	uint64_t handle, primary, secondary;
};

struct clrsos_roots {
	struct clrsos_root *items;
	size_t count;
	struct clrsos_dependent *dependents;
	size_t ndependents;
	uint64_t threads, threads_failed; /* stacks read, and not */
	size_t handles_unlisted;          /* handles read from tables the runtime's walk skipped */
	/*
	 * Static reference fields whose statics array a listed handle holds:
	 * not roots of their own (the handle reaches them), but the dominator
	 * tree takes each as one, so that a static field, not the runtime's
	 * array of all of them, is what keeps its object alive.
	 */
	struct clrsos_root *static_slots;
	size_t nstatic_slots;
};

struct clrsos_error *clrsos_roots_init(struct clrsos_dac *dac, struct clrsos_target *target,
					  const struct clrsos_gc *gc, struct clrsos_roots *ret);
void clrsos_roots_deinit(struct clrsos_roots *roots);

/*
 * A heap's finalization queue, as the GC lays it out: a part per
 * generation, the large and pinned objects' part (start = end = 0 when the
 * runtime has none), then the objects ready for finalization (critical
 * finalizers and the f-reachable list). Each part is [start, end) of
 * 8-byte object references.
 */
struct clrsos_finalizer_part {
	uint64_t start, end;
};

struct clrsos_finalizer_queue {
	struct clrsos_finalizer_part generations[3];
	struct clrsos_finalizer_part large;
	struct clrsos_finalizer_part ready;
};

/*
 * The finalization queue of the GC heap at heap_address (0: workstation);
 * *ret_present false (no error) when the runtime gives too few parts.
 */
struct clrsos_error *clrsos_finalizer_queue_read(struct clrsos_dac *dac, uint64_t heap_address,
						 struct clrsos_finalizer_queue *ret, bool *ret_present);

/*
 * How many SyncBlocks wait for the finalizer thread to clean them up (their
 * COM wrappers released): the runtime's cleanup list, walked to its end. A
 * list that does not end within 2^20 entries is an error.
 */
struct clrsos_error *clrsos_sync_block_cleanup_count(struct clrsos_dac *dac, uint64_t *ret);

/* Every MethodTable the modules have loaded for their TypeDefs (malloc'd). */
struct clrsos_error *clrsos_loaded_types(struct clrsos_dac *dac, uint64_t **ret, size_t *ret_count);

#ifdef __cplusplus
}
#endif

#endif
