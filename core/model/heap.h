/*
 * Heap: every object on the GC heap exactly once. The walk reads each
 * segment in large blocks and decodes object headers in C: no DAC call per
 * object. It skips allocation contexts (space handed to threads, holding
 * no objects yet), reports free space as Free objects, attributes each
 * object to its generation, and survives a corrupt heap: at a bad object
 * it finds the next valid one, and says what it skipped and where.
 */
#ifndef CLRSOS_HEAP_H
#define CLRSOS_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/runtime.h"
#include "model/types.h"
#include "base/watch.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_heap;

/* The heap of one stop: the layout, the types, the allocation contexts. */
struct clrsos_error *clrsos_heap_create(struct clrsos_dac *dac,
					struct clrsos_target *target,
					const struct clrsos_gc *gc,
					struct clrsos_heap **ret);
void clrsos_heap_destroy(struct clrsos_heap *heap);

/*
 * Walk (and find objects) even in the middle of a garbage collection
 * (dumpheap -ignoreGCState): the answer may then be wrong. Without it, a
 * walk mid-GC fails with CLRSOS_ERROR_GC_IN_PROGRESS.
 */
void clrsos_heap_set_ignore_gc_state(struct clrsos_heap *heap, bool ignore);
/*
 * The current command's watch (NULL: none): walks and the work built on
 * them (marking, indexes) stop with CLRSOS_ERROR_INTERRUPTED when the user
 * asks. The session sets it around each command.
 */
void clrsos_heap_set_watch(struct clrsos_heap *heap, struct clrsos_watch *watch);
struct clrsos_watch *clrsos_heap_watch(const struct clrsos_heap *heap);
/* Whether heap walks are refused now (mid-GC, not ignored): the error, or NULL. */
struct clrsos_error *clrsos_heap_check_walkable(const struct clrsos_heap *heap);

struct clrsos_types *clrsos_heap_types(struct clrsos_heap *heap);
struct clrsos_target *clrsos_heap_target(struct clrsos_heap *heap);
const struct clrsos_gc *clrsos_heap_gc(struct clrsos_heap *heap);

struct clrsos_heap_problem;

/* What a walk covers. */
struct clrsos_walk_filter {
	int64_t heap;          /* -1: every GC heap */
	const struct clrsos_segment *segment; /* NULL: every segment */
	uint64_t start, end;   /* objects whose address is in [start, end) */
	uint32_t generations;  /* mask of 1 << enum clrsos_generation; 0: all */
	/* Optional: told of every problem (the result keeps only the first ones). */
	void (*on_problem)(void *ctx, const struct clrsos_heap_problem *problem);
	void *problem_ctx;
	/*
	 * dumpheap -startAtLowerBound: in the segment holding start, walk from
	 * start (rounded down to 8) even if no object starts there, not from
	 * the segment's first object (a bad object or missing memory there is
	 * then a problem the walk recovers from, as anywhere).
	 */
	bool start_at_lower_bound;
};

void clrsos_walk_filter_init(struct clrsos_walk_filter *filter);

struct clrsos_heap_object {
	uint64_t address;
	uint64_t size;
	const struct clrsos_type *type;
	enum clrsos_generation generation;
	const struct clrsos_segment *segment;
	/* The object's bytes as read, from its MethodTable word: bytes_len of
	 * them (less than size when the object runs past the read block). */
	const uint8_t *bytes;
	size_t bytes_len;
	/* The object's header word (sync block index, hash or thin lock). */
	bool has_header;
	uint32_t header;
};

/* Return false to stop the walk. */
typedef bool clrsos_object_fn(void *ctx, const struct clrsos_heap_object *obj);
/* Called now and then with the bytes of the segments walked so far (all of them, across segments) and in all. */
typedef void clrsos_progress_fn(void *ctx, uint64_t done, uint64_t total);

/* Where the walk found no valid object, and what it skipped. */
struct clrsos_heap_problem {
	uint64_t address;
	uint64_t skipped; /* bytes */
	enum {
		CLRSOS_PROBLEM_BAD_METHOD_TABLE,
		CLRSOS_PROBLEM_BAD_SIZE,
		CLRSOS_PROBLEM_MISSING_MEMORY,
	} kind;
};

enum { CLRSOS_MAX_PROBLEMS_KEPT = 64 };

struct clrsos_walk_result {
	uint64_t objects;        /* objects reported (Free included) */
	uint64_t problem_count;  /* every problem met */
	uint64_t skipped_bytes;  /* bytes of heap in no valid object */
	size_t nproblems;        /* the first CLRSOS_MAX_PROBLEMS_KEPT of them */
	struct clrsos_heap_problem problems[CLRSOS_MAX_PROBLEMS_KEPT];
	bool stopped;            /* the callback asked to stop */
};

const char *clrsos_heap_problem_text(const struct clrsos_heap_problem *p);

struct clrsos_error *clrsos_heap_walk(struct clrsos_heap *heap,
				      const struct clrsos_walk_filter *filter,
				      clrsos_object_fn *fn, void *ctx,
				      clrsos_progress_fn *progress,
				      void *progress_ctx,
				      struct clrsos_walk_result *ret);

/*
 * The object whose memory holds address (an interior pointer), if any:
 * *ret is its start. The first call for a segment indexes it (one walk).
 */
struct clrsos_error *clrsos_heap_find_object(struct clrsos_heap *heap,
					     uint64_t address, uint64_t *ret,
					     const struct clrsos_type **ret_type);

/*
 * Read the object at address: its type and size, and (buf not NULL) its
 * bytes into *buf, grown as needed (*buf_cap bytes). Not a valid object:
 * an error naming the address.
 */
struct clrsos_error *clrsos_heap_read_object(struct clrsos_heap *heap, uint64_t address,
					     const struct clrsos_type **ret_type, uint64_t *ret_size,
					     uint8_t **buf, size_t *buf_cap);

/*
 * The object that starts at address, checked: in the GC heap, its memory
 * there, a valid MethodTable, a size inside its segment, and an object the
 * heap walk meets. Errors say which (an interior address names its object).
 * Mid-GC (no walk allowed) only the object's own header is checked.
 */
struct clrsos_error *clrsos_heap_object_at(struct clrsos_heap *heap, uint64_t address,
					   const struct clrsos_type **ret_type, uint64_t *ret_size);

/*
 * listnearobj: the objects around an address (rounded down to 8) on its
 * segment: the last one starting before it, the one starting at it, the
 * first one after it; found from the segment's index of the first object
 * per 4 KB (built once by a walk), then walking the few objects between.
 * An address in committed memory past the objects has the segment's last
 * object before it. consistent: every object from the index's start to
 * the next one (or the segment's end) was valid and each ended where the
 * next began (allocation contexts skipped); otherwise bad_at is where not.
 */
struct clrsos_heap_near_object {
	uint64_t address, size;
	const struct clrsos_type *type;
};
struct clrsos_heap_near {
	uint64_t address;
	const struct clrsos_segment *segment;
	bool has_prev, has_current, has_next;
	struct clrsos_heap_near_object prev, current, next;
	bool has_gap;               /* an allocation context just before next (or the end) */
	uint64_t gap_start, gap_end;
	bool last_on_segment;       /* nothing after the address on the segment */
	bool consistent;
	uint64_t bad_at;
};
struct clrsos_error *clrsos_heap_near(struct clrsos_heap *heap, uint64_t address, struct clrsos_heap_near *ret);

/* The segment whose object range holds address, or NULL. */
const struct clrsos_segment *clrsos_heap_segment_of(struct clrsos_heap *heap,
						    uint64_t address);
/* The generation of an object at address in segment. */
enum clrsos_generation clrsos_heap_generation_of(struct clrsos_heap *heap,
						 const struct clrsos_segment *segment,
						 uint64_t address);

#ifdef __cplusplus
}
#endif

#endif
