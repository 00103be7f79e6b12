/*
 * Verify: checks of the GC heap's invariants, as SOS's VerifyHeap and
 * VerifyObj make them (ClrMD's ObjectCorruptionKind names what is wrong).
 *
 * The heap is walked in bulk twice (model/heap.h): the first walk notes
 * where every object starts (one bit per 8 bytes of each segment, and one
 * more for Free objects) and where the walk met an object it could not
 * take (no valid MethodTable, a size past its segment, memory missing);
 * the second reads each object's references (its GCDesc, per type once)
 * and checks that each is aligned and points at the start of an object
 * that is not Free. MethodTables are checked once per distinct value (the
 * types' cache). What is not checked (card and brick tables, free lists,
 * sync blocks) is said in the result, with why.
 */
#ifndef CLRSOS_VERIFY_H
#define CLRSOS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What is wrong, in ClrMD's words (clrsos_corruption_kind_name). */
enum clrsos_corruption_kind {
	CLRSOS_CORRUPTION_OBJECT_NOT_ON_THE_HEAP,
	CLRSOS_CORRUPTION_OBJECT_NOT_POINTER_ALIGNED,
	CLRSOS_CORRUPTION_OBJECT_TOO_LARGE,
	CLRSOS_CORRUPTION_INVALID_METHOD_TABLE,
	CLRSOS_CORRUPTION_REFERENCE_NOT_POINTER_ALIGNED,
	CLRSOS_CORRUPTION_INVALID_OBJECT_REFERENCE,
	CLRSOS_CORRUPTION_FREE_OBJECT_REFERENCE,
	CLRSOS_CORRUPTION_COULD_NOT_READ_OBJECT,
	CLRSOS_CORRUPTION_COULD_NOT_READ_GCDESC,
};

const char *clrsos_corruption_kind_name(enum clrsos_corruption_kind kind);

struct clrsos_corruption {
	enum clrsos_corruption_kind kind;
	uint64_t object;  /* the object (or the address the walk could not take) */
	uint64_t offset;  /* references: the field's offset in the object */
	uint64_t value;   /* the bad word: the MethodTable, the reference; too large: the size */
	bool value_known; /* false: the word could not be read */
	uint64_t segment_end; /* too large: where its segment ends */
	const struct clrsos_segment *segment; /* NULL: in no segment */
};

/* Checks that were not made, and why (static strings). */
enum { CLRSOS_VERIFY_MAX_NOT_CHECKED = 4 };

struct clrsos_verify_result {
	uint64_t objects;     /* objects verified (Free included) */
	uint64_t references;  /* references checked */
	uint64_t error_count; /* every error met */
	/* The first of them, in heap order (at most the max kept asked for). */
	struct clrsos_corruption *errors;
	size_t nerrors;
	size_t nnot_checked;
	const char *not_checked[CLRSOS_VERIFY_MAX_NOT_CHECKED];
};

void clrsos_verify_result_deinit(struct clrsos_verify_result *result);

/*
 * Verify the objects filter covers (their references may point anywhere
 * in the heap: every segment is indexed). Keeps the first max_kept errors.
 * Progress goes to progress (each walk half of it). The caller deinits
 * *ret, also after an error.
 */
struct clrsos_error *clrsos_verify_heap(struct clrsos_heap *heap, const struct clrsos_walk_filter *filter,
					size_t max_kept, clrsos_progress_fn *progress, void *progress_ctx,
					struct clrsos_verify_result *ret);

/*
 * Verify the object at address and its references, without walking the
 * whole heap (each segment a reference points into is indexed once, as
 * clrsos_heap_find_object does). An address that is not an object (not in
 * the GC heap, inside another object) is an error; an object the heap walk
 * could not take (a damaged header) is a corruption in *ret.
 */
struct clrsos_error *clrsos_verify_object(struct clrsos_heap *heap, uint64_t address,
					  struct clrsos_verify_result *ret);

#ifdef __cplusplus
}
#endif

#endif
