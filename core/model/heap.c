#include "model/heap.h"

#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/vector.h"
#include "dac/dac.h"

enum {
	WALK_BLOCK = 512 << 10,      /* bytes read at once */
	HEADER_BYTES = 16,           /* MethodTable word and component count */
	MAX_THREADS = 1 << 20,       /* a bound on the runtime's thread list */
	PROGRESS_STEP = 1 << 20,     /* bytes walked between progress calls */
};

struct range {
	uint64_t start, end;
};
CLRSOS_VECTOR(range_vector, struct range)

enum { BRICK_SHIFT = 12 };

/* For a segment: the first object starting in each 4 KB brick (0: none). */
struct bricks {
	bool built;
	uint64_t *first;
	size_t count;
};

enum { TYPE_CACHE_SIZE = 1024 };

/* A damaged place of the heap -> where the walk went on after it. */
CLRSOS_HASHMAP(recovery_map, uint64_t, uint64_t, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

struct clrsos_heap {
	struct clrsos_dac *dac;
	struct clrsos_target *target;
	const struct clrsos_gc *gc;
	struct clrsos_types *types;
	bool ignore_gc_state; /* walk even mid-GC (dumpheap -ignoreGCState) */
	struct clrsos_watch *watch; /* the current command's (Ctrl-C), or NULL */
	/* Allocation contexts: [start, end) holds no object; sorted by start. */
	struct range_vector contexts;
	/* Segments by object start, for address lookups. */
	const struct clrsos_segment **by_address;
	/* Per MB of [dir_base, dir_base + ndir MB): the index in by_address of
	 * the last segment starting at or before that MB (-1: none); NULL when
	 * the heap spans too much address space for it. */
	int32_t *dir;
	uint64_t dir_base;
	size_t ndir;
	uint8_t *block;
	struct bricks *bricks; /* per segment (index in gc->segments), built on demand */
	/* The walk's MethodTable -> type cache, direct mapped: one compare per
	 * object instead of a call into the types' table. Types live as long as
	 * the heap; only types found (never "not a MethodTable") are kept. */
	struct type_cache {
		uint64_t mt;
		const struct clrsos_type *type;
	} tcache[TYPE_CACHE_SIZE];
	/* Where each recovery from a damaged place resumed, the first time a
	 * walk met it: recover() looks at words that are not known MethodTables
	 * only up to a budget, then at the types already loaded, and those grow
	 * with every command. Kept, every later walk resumes at the same place
	 * and every command of a stop counts the same problems. */
	struct recovery_map recoveries;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_segment(const void *a, const void *b)
{
	const struct clrsos_segment *x = *(const struct clrsos_segment *const *)a;
	const struct clrsos_segment *y = *(const struct clrsos_segment *const *)b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static struct clrsos_error *add_context(struct clrsos_heap *h, uint64_t ptr, uint64_t limit)
{
	/* An empty context (ptr == limit) still leaves room for a free object after it. */
	if (ptr == 0 || limit < ptr)
		return NULL;
	return range_vector_push(&h->contexts, (struct range){ptr, limit});
}

/* Every thread's allocation context, the global one, and each heap's. */
static struct clrsos_error *read_contexts(struct clrsos_heap *h)
{
	struct clrsos_error *err;
	struct clrsos_dacp_thread_store_data store;
	err = clrsos_dac_thread_store(h->dac, &store);
	if (err)
		return err;
	uint64_t thread = store.first_thread;
	for (size_t n = 0; thread && n < MAX_THREADS; n++) {
		struct clrsos_dacp_thread_data t;
		err = clrsos_dac_thread_data(h->dac, thread, &t);
		if (err)
			return err;
		err = add_context(h, t.alloc_context_ptr, t.alloc_context_limit);
		if (err)
			return err;
		thread = t.next_thread;
	}
	uint64_t ptr, limit;
	err = clrsos_error_ignore(clrsos_dac_global_alloc_context(h->dac, &ptr, &limit));
	if (!err)
		err = add_context(h, ptr, limit);
	for (uint32_t i = 0; !err && i < h->gc->nheaps; i++) {
		const struct clrsos_gc_generation *g0 = &h->gc->heaps[i].generations[0];
		err = add_context(h, g0->alloc_context_ptr, g0->alloc_context_limit);
	}
	if (err)
		return err;
	if (h->contexts.count)
		qsort(h->contexts.items, h->contexts.count, sizeof(*h->contexts.items), cmp_range);
	return NULL;
}

enum { DIR_SHIFT = 20, MAX_DIR = 1 << 22 };

/* The MB directory for segment_of (none if the segments span over 4 TB). */
static void build_directory(struct clrsos_heap *h)
{
	size_t n = h->gc->nsegments;
	if (!n)
		return;
	uint64_t base = h->by_address[0]->start & ~(((uint64_t)1 << DIR_SHIFT) - 1);
	uint64_t end = 0;
	for (size_t i = 0; i < n; i++)
		end = h->by_address[i]->end > end ? h->by_address[i]->end : end;
	uint64_t chunks = ((end - base) >> DIR_SHIFT) + 1;
	if (end <= base || chunks > MAX_DIR || !(h->dir = malloc((size_t)chunks * sizeof(*h->dir))))
		return;
	int32_t last = -1;
	size_t j = 0;
	for (uint64_t c = 0; c < chunks; c++) {
		uint64_t at = base + (c << DIR_SHIFT);
		while (j < n && h->by_address[j]->start <= at)
			last = (int32_t)j++;
		/* A segment starting later in this MB is found by the step forward. */
		h->dir[c] = last;
	}
	h->dir_base = base;
	h->ndir = (size_t)chunks;
}

/* For the types: no MethodTable lies in the GC heap (clrsos_types_exclude). */
static bool in_gc_heap(void *ctx, uint64_t address)
{
	return clrsos_heap_segment_of(ctx, address) != NULL;
}

struct clrsos_error *clrsos_heap_create(struct clrsos_dac *dac,
					struct clrsos_target *target,
					const struct clrsos_gc *gc,
					struct clrsos_heap **ret)
{
	struct clrsos_heap *h = calloc(1, sizeof(*h));
	if (!h)
		return &clrsos_error_no_memory;
	h->dac = dac;
	h->target = target;
	h->gc = gc;
	recovery_map_init(&h->recoveries);
	struct clrsos_error *err = clrsos_types_create(dac, target, &h->types);
	if (!err)
		err = read_contexts(h);
	if (!err) {
		h->by_address = malloc((gc->nsegments ? gc->nsegments : 1) * sizeof(*h->by_address));
		h->block = malloc(WALK_BLOCK);
		h->bricks = calloc(gc->nsegments ? gc->nsegments : 1, sizeof(*h->bricks));
		if (!h->by_address || !h->block || !h->bricks)
			err = &clrsos_error_no_memory;
	}
	if (err) {
		clrsos_heap_destroy(h);
		return err;
	}
	for (size_t i = 0; i < gc->nsegments; i++)
		h->by_address[i] = &gc->segments[i];
	qsort(h->by_address, gc->nsegments, sizeof(*h->by_address), cmp_segment);
	build_directory(h);
	clrsos_types_exclude(h->types, in_gc_heap, h);
	*ret = h;
	return NULL;
}

void clrsos_heap_destroy(struct clrsos_heap *h)
{
	if (!h)
		return;
	clrsos_types_destroy(h->types);
	for (size_t i = 0; h->bricks && i < h->gc->nsegments; i++)
		free(h->bricks[i].first);
	free(h->bricks);
	range_vector_deinit(&h->contexts);
	recovery_map_deinit(&h->recoveries);
	free(h->by_address);
	free(h->dir);
	free(h->block);
	free(h);
}

void clrsos_heap_set_ignore_gc_state(struct clrsos_heap *h, bool ignore)
{
	h->ignore_gc_state = ignore;
}

void clrsos_heap_set_watch(struct clrsos_heap *h, struct clrsos_watch *watch)
{
	h->watch = watch;
}

struct clrsos_watch *clrsos_heap_watch(const struct clrsos_heap *h)
{
	return h->watch;
}

struct clrsos_error *clrsos_heap_check_walkable(const struct clrsos_heap *h)
{
	return h->ignore_gc_state ? NULL : clrsos_gc_check_walkable(h->gc);
}

struct clrsos_types *clrsos_heap_types(struct clrsos_heap *h)
{
	return h->types;
}

struct clrsos_target *clrsos_heap_target(struct clrsos_heap *h)
{
	return h->target;
}

const struct clrsos_gc *clrsos_heap_gc(struct clrsos_heap *h)
{
	return h->gc;
}

void clrsos_walk_filter_init(struct clrsos_walk_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->heap = -1;
	f->end = UINT64_MAX;
}

const struct clrsos_segment *clrsos_heap_segment_of(struct clrsos_heap *h,
						    uint64_t address)
{
	/* Every reference the marking and gcroot's index follow asks this:
	 * the directory answers in a step or two, the search in log2(segments). */
	if (h->dir && address >= h->dir_base && ((address - h->dir_base) >> DIR_SHIFT) < h->ndir) {
		int64_t i = h->dir[(address - h->dir_base) >> DIR_SHIFT];
		int64_t n = (int64_t)h->gc->nsegments;
		while (i + 1 < n && h->by_address[i + 1]->start <= address)
			i++;
		if (i < 0)
			return NULL;
		const struct clrsos_segment *s = h->by_address[i];
		return address < s->end ? s : NULL;
	}
	size_t lo = 0, hi = h->gc->nsegments;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->by_address[mid]->start <= address)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct clrsos_segment *s = h->by_address[lo - 1];
	return address < s->end ? s : NULL;
}

enum clrsos_generation clrsos_heap_generation_of(struct clrsos_heap *h,
						 const struct clrsos_segment *s,
						 uint64_t address)
{
	switch (s->kind) {
	case CLRSOS_SEGMENT_GEN0: return CLRSOS_GEN0;
	case CLRSOS_SEGMENT_GEN1: return CLRSOS_GEN1;
	case CLRSOS_SEGMENT_GEN2: return CLRSOS_GEN2;
	case CLRSOS_SEGMENT_LARGE: return CLRSOS_GEN_LOH;
	case CLRSOS_SEGMENT_PINNED: return CLRSOS_GEN_POH;
	case CLRSOS_SEGMENT_FROZEN: return CLRSOS_GEN_FROZEN;
	case CLRSOS_SEGMENT_EPHEMERAL: break;
	}
	const struct clrsos_gc_heap *heap = &h->gc->heaps[s->heap];
	if (address >= heap->generations[0].allocation_start)
		return CLRSOS_GEN0;
	if (address >= heap->generations[1].allocation_start)
		return CLRSOS_GEN1;
	return CLRSOS_GEN2;
}

const char *clrsos_heap_problem_text(const struct clrsos_heap_problem *p)
{
	switch (p->kind) {
	case CLRSOS_PROBLEM_BAD_METHOD_TABLE: return "no valid MethodTable";
	case CLRSOS_PROBLEM_BAD_SIZE: return "an object size running past its segment";
	case CLRSOS_PROBLEM_MISSING_MEMORY: return "memory missing from the target";
	}
	return "?";
}

/* The walk of one segment: a cursor over blocks read from the target. */
struct walker {
	struct clrsos_heap *h;
	const struct clrsos_segment *seg;
	uint64_t end;          /* objects starting below this are walked */
	uint64_t read_end;     /* what may be read: the segment's end */
	uint64_t block_start;  /* the address of bytes[0] */
	size_t block_len;
	/* The block: h->block (a copy), or the debugger's own bytes in place. */
	const uint8_t *bytes;
	size_t next_context;   /* first context not below the cursor */
	struct clrsos_walk_result *result;
	const struct clrsos_walk_filter *filter; /* NULL: find_object's own walk */
};

static void problem(struct walker *w, uint64_t address, uint64_t skipped, int kind)
{
	struct clrsos_walk_result *r = w->result;
	struct clrsos_heap_problem p = {address, skipped, kind};
	r->problem_count++;
	r->skipped_bytes += skipped;
	if (r->nproblems < CLRSOS_MAX_PROBLEMS_KEPT)
		r->problems[r->nproblems++] = p;
	if (w->filter && w->filter->on_problem)
		w->filter->on_problem(w->filter->problem_ctx, &p);
}

/*
 * Make the block hold [address, address + want) if the target has it.
 * Returns how many bytes from address the block holds (0: unreadable).
 */
static size_t refill(struct walker *w, uint64_t address);

static inline size_t ensure(struct walker *w, uint64_t address, size_t want)
{
	if (address >= w->block_start && address - w->block_start + want <= w->block_len)
		return w->block_len - (size_t)(address - w->block_start);
	return refill(w, address);
}

/* ensure's slow path: read the block that starts (about) at address. */
static size_t refill(struct walker *w, uint64_t address)
{
	/* Start one word early: an object's header word precedes it. */
	uint64_t from = address - 8;
	uint64_t span = w->read_end - from;
	size_t len = span < WALK_BLOCK ? (size_t)span : WALK_BLOCK;
	/* A core's bytes copied from its file where the debugger can: the walk
	 * passes over each byte once, and mapping every page into this process
	 * (the view below) costs more than the copy. */
	size_t got = clrsos_target_scan(w->h->target, from, w->h->block, len);
	if (got < 8 + HEADER_BYTES && len > 8) {
		/* No header word before it there (a segment's first object at a load's start). */
		from = address;
		got = clrsos_target_scan(w->h->target, from, w->h->block, len - 8);
	}
	if (got >= (address - from) + HEADER_BYTES) {
		w->bytes = w->h->block;
		w->block_start = from;
		w->block_len = got;
		return got - (size_t)(address - from);
	}
	from = address - 8;
	/* In place, where the debugger holds the bytes (a core's mapping):
	 * no copy, and as far as it has them. */
	got = 0;
	const uint8_t *view = clrsos_target_view(w->h->target, from,
						 span < SIZE_MAX ? (size_t)span : SIZE_MAX, &got);
	if (!view || got < 8 + HEADER_BYTES) {
		from = address;
		view = clrsos_target_view(w->h->target, from,
					  span - 8 < SIZE_MAX ? (size_t)(span - 8) : SIZE_MAX, &got);
	}
	if (view && got >= (address - from) + HEADER_BYTES) {
		w->bytes = view;
		w->block_start = from;
		w->block_len = got;
		return got - (size_t)(address - from);
	}
	from = address - 8;
	w->bytes = w->h->block;
	got = 0;
	struct clrsos_error *err =
		clrsos_target_read_partial(w->h->target, from, w->h->block, len, &got);
	clrsos_error_destroy(err);
	if (got <= 8) {
		from = address;
		err = clrsos_target_read_partial(w->h->target, from, w->h->block,
						 len - 8, &got);
		clrsos_error_destroy(err);
	}
	w->block_start = from;
	w->block_len = got;
	return got > address - from ? got - (size_t)(address - from) : 0;
}

static uint64_t u64_at(const struct walker *w, uint64_t address)
{
	uint64_t v;
	memcpy(&v, w->bytes + (address - w->block_start), sizeof(v));
	return v;
}

static uint32_t u32_at(const struct walker *w, uint64_t address)
{
	uint32_t v;
	memcpy(&v, w->bytes + (address - w->block_start), sizeof(v));
	return v;
}

/* The object at address, if it looks valid and ends inside the segment. */
static inline const struct clrsos_type *loaded_object_at(struct walker *w, uint64_t address,
							  bool may_load, uint64_t *size);

static const struct clrsos_type *object_at(struct walker *w, uint64_t address,
					   bool may_load, uint64_t *size)
{
	if (ensure(w, address, HEADER_BYTES) < HEADER_BYTES)
		return NULL;
	return loaded_object_at(w, address, may_load, size);
}

/* object_at when the block already holds the object's header. */
static inline const struct clrsos_type *loaded_object_at(struct walker *w, uint64_t address,
							  bool may_load, uint64_t *size)
{
	uint64_t mt = u64_at(w, address) & ~(uint64_t)7;
	struct type_cache *c = &w->h->tcache[(mt >> 3) & (TYPE_CACHE_SIZE - 1)];
	const struct clrsos_type *type;
	if (c->mt == mt && mt) {
		type = c->type;
	} else {
		type = may_load ? clrsos_types_get(w->h->types, mt)
				: clrsos_types_peek(w->h->types, mt);
		if (!type)
			return NULL;
		c->mt = mt;
		c->type = type;
	}
	uint32_t n = type->component_size ? u32_at(w, address + 8) : 0;
	*size = clrsos_object_size(type, n);
	return type;
}

static inline bool is_context_start(struct walker *w, uint64_t address, uint64_t *limit)
{
	struct clrsos_heap *h = w->h;
	/* The common case, in one compare: the next context lies ahead. */
	if (w->next_context >= h->contexts.count || h->contexts.items[w->next_context].start > address)
		return false;
	while (w->next_context < h->contexts.count && h->contexts.items[w->next_context].start < address)
		w->next_context++;
	if (w->next_context < h->contexts.count && h->contexts.items[w->next_context].start == address) {
		*limit = h->contexts.items[w->next_context].end;
		return true;
	}
	return false;
}

/*
 * An object being allocated: a thread took [address, c) from its allocation
 * context (its alloc_ptr, the start of a context c, is already past it) but
 * was stopped before it wrote the object's MethodTable, so the memory still
 * reads as the GC cleared it: zeros, up to where the context's free part
 * starts. Not an object yet, and not damage: skip it, as the GC would see
 * it once the thread goes on. *ret_next is c.
 */
enum { MAX_UNBORN = 16 << 20 };

static bool unborn_object(struct walker *w, uint64_t address, uint64_t *ret_next)
{
	const struct clrsos_heap *h = w->h;
	size_t i = w->next_context;
	while (i < h->contexts.count && h->contexts.items[i].start <= address)
		i++;
	if (i >= h->contexts.count)
		return false;
	uint64_t c = h->contexts.items[i].start;
	if (c > w->seg->end || c - address > MAX_UNBORN)
		return false;
	for (uint64_t p = address; p < c;) {
		size_t want = c - p > 4096 ? 4096 : (size_t)(c - p);
		if (ensure(w, p, want) < want)
			return false;
		const uint8_t *b = w->bytes + (p - w->block_start);
		for (size_t k = 0; k < want; k++) {
			if (b[k])
				return false;
		}
		p += want;
	}
	*ret_next = c;
	return true;
}

/*
 * After a bad object at bad: the next address that holds a plausible
 * object (a valid MethodTable, a size inside the segment, and what follows
 * it plausible too), or w->end. Words that are not known MethodTables cost
 * a DAC call each to check: a budget keeps garbage cheap.
 */
enum { RECOVERY_TYPE_CHECKS = 4096 };

static uint64_t scan_for_object(struct walker *w, uint64_t bad)
{
	size_t budget = RECOVERY_TYPE_CHECKS;
	for (uint64_t p = bad + 8; p + HEADER_BYTES <= w->end; p += 8) {
		if (ensure(w, p, HEADER_BYTES) < HEADER_BYTES) {
			/* Unreadable: go on at the next page. */
			p = ((p + CLRSOS_PAGE_SIZE) & ~(uint64_t)(CLRSOS_PAGE_SIZE - 1)) - 8;
			continue;
		}
		uint64_t size, next_size, limit;
		size_t before = w->next_context;
		if (w->seg->kind <= CLRSOS_SEGMENT_EPHEMERAL && is_context_start(w, p, &limit)) {
			/* Allocation space: the walk goes on there, skipping it. */
			w->next_context = before;
			return p;
		}
		w->next_context = before;
		bool may_load = budget > 0;
		const struct clrsos_type *t = object_at(w, p, may_load, &size);
		if (may_load && !t)
			budget--;
		if (!t || size > w->read_end - p)
			continue;
		uint64_t next = p + size;
		size_t saved = w->next_context; /* looking ahead must not move the cursor */
		bool plausible = next >= w->end || is_context_start(w, next, &limit) ||
				 (object_at(w, next, budget > 0, &next_size) &&
				  next_size <= w->read_end - next);
		w->next_context = saved;
		if (plausible)
			return p;
	}
	return w->end;
}

/* scan_for_object, once per damaged place and heap (clrsos_heap.recoveries). */
static uint64_t recover(struct walker *w, uint64_t bad)
{
	struct recovery_map_entry *e = recovery_map_find(&w->h->recoveries, bad);
	if (e)
		return e->value < w->end ? e->value : w->end;
	uint64_t resume = scan_for_object(w, bad);
	/* A walk that ends early (a range's end) may stop looking early: not kept. */
	if (w->end == w->read_end)
		clrsos_error_destroy(recovery_map_set(&w->h->recoveries, bad, resume));
	return resume;
}

static struct clrsos_error *walk_segment(struct clrsos_heap *h,
					 const struct clrsos_segment *seg,
					 const struct clrsos_walk_filter *f,
					 clrsos_object_fn *fn, void *ctx,
					 struct clrsos_walk_result *r,
					 clrsos_progress_fn *progress, void *pctx,
					 uint64_t *done, uint64_t *next_progress, uint64_t total)
{
	struct walker w = {.h = h, .seg = seg, .end = seg->end, .read_end = seg->end, .result = r, .filter = f};
	if (f->end < w.end)
		w.end = f->end > seg->start ? f->end : seg->start;
	bool contexts_apply = seg->kind <= CLRSOS_SEGMENT_EPHEMERAL;
	/* Only the ephemeral segment holds more than one generation. */
	bool one_generation = seg->kind != CLRSOS_SEGMENT_EPHEMERAL;
	enum clrsos_generation generation = clrsos_heap_generation_of(h, seg, seg->start);
	uint64_t addr = seg->start;
	if (f->start_at_lower_bound && f->start > seg->start && f->start < seg->end)
		addr = f->start & ~(uint64_t)7;
	while (addr < w.end) {
		uint64_t limit;
		struct clrsos_error *stop = clrsos_watch_tick(h->watch);
		if (stop)
			return stop;
		if (contexts_apply && is_context_start(&w, addr, &limit)) {
			/* A thread's unused allocation space, then room for a free
			 * object; a limit past the segment is not to be trusted. */
			addr = limit <= seg->end - CLRSOS_MIN_OBJECT_SIZE ? limit + CLRSOS_MIN_OBJECT_SIZE
									   : seg->end;
			continue;
		}
		if (ensure(&w, addr, HEADER_BYTES) < HEADER_BYTES) {
			uint64_t resume = recover(&w, addr);
			problem(&w, addr, resume - addr, CLRSOS_PROBLEM_MISSING_MEMORY);
			addr = resume;
			continue;
		}
		uint64_t size, unborn_end;
		const struct clrsos_type *type = loaded_object_at(&w, addr, true, &size);
		if (!type && contexts_apply && u64_at(&w, addr) == 0 && unborn_object(&w, addr, &unborn_end)) {
			addr = unborn_end;
			continue;
		}
		if (!type || size > seg->end - addr) {
			uint64_t resume = recover(&w, addr);
			problem(&w, addr, resume - addr,
				type ? CLRSOS_PROBLEM_BAD_SIZE : CLRSOS_PROBLEM_BAD_METHOD_TABLE);
			addr = resume;
			continue;
		}
		if (addr >= f->start) {
			struct clrsos_heap_object obj = {
				.address = addr,
				.size = size,
				.type = type,
				.segment = seg,
				.generation = one_generation ? generation
							     : clrsos_heap_generation_of(h, seg, addr),
			};
			if (!f->generations || (f->generations & (1u << obj.generation))) {
				size_t avail = w.block_len - (size_t)(addr - w.block_start);
				obj.bytes = w.bytes + (addr - w.block_start);
				obj.bytes_len = avail < size ? avail : (size_t)size;
				if (addr - w.block_start >= 4) {
					obj.has_header = true;
					obj.header = u32_at(&w, addr - 4);
				}
				r->objects++;
				if (!fn(ctx, &obj)) {
					r->stopped = true;
					return NULL;
				}
			}
		}
		addr += size;
		/* The whole walk's bytes (regions are many small segments). */
		if (progress && *done + (addr - seg->start) >= *next_progress) {
			progress(pctx, *done + (addr - seg->start), total);
			*next_progress = *done + (addr - seg->start) + PROGRESS_STEP;
		}
	}
	*done += seg->end - seg->start;
	return NULL;
}

static bool segment_wanted(const struct clrsos_segment *s,
			   const struct clrsos_walk_filter *f)
{
	if (f->heap >= 0 && s->heap != (uint32_t)f->heap)
		return false;
	if (f->segment && f->segment != s)
		return false;
	if (s->end <= f->start || s->start >= f->end || s->end <= s->start)
		return false;
	if (f->generations) {
		static const uint32_t kind_gens[] = {
			[CLRSOS_SEGMENT_GEN0] = 1u << CLRSOS_GEN0,
			[CLRSOS_SEGMENT_GEN1] = 1u << CLRSOS_GEN1,
			[CLRSOS_SEGMENT_GEN2] = 1u << CLRSOS_GEN2,
			[CLRSOS_SEGMENT_EPHEMERAL] = 1u << CLRSOS_GEN0 | 1u << CLRSOS_GEN1 | 1u << CLRSOS_GEN2,
			[CLRSOS_SEGMENT_LARGE] = 1u << CLRSOS_GEN_LOH,
			[CLRSOS_SEGMENT_PINNED] = 1u << CLRSOS_GEN_POH,
			[CLRSOS_SEGMENT_FROZEN] = 1u << CLRSOS_GEN_FROZEN,
		};
		if (!(kind_gens[s->kind] & f->generations))
			return false;
	}
	return true;
}

struct clrsos_error *clrsos_heap_walk(struct clrsos_heap *h,
				      const struct clrsos_walk_filter *f,
				      clrsos_object_fn *fn, void *ctx,
				      clrsos_progress_fn *progress, void *pctx,
				      struct clrsos_walk_result *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct clrsos_error *refused = clrsos_heap_check_walkable(h);
	if (refused)
		return refused;
	uint64_t total = 0, done = 0, next_progress = PROGRESS_STEP;
	for (size_t i = 0; i < h->gc->nsegments; i++) {
		if (segment_wanted(&h->gc->segments[i], f))
			total += h->gc->segments[i].end - h->gc->segments[i].start;
	}
	for (size_t i = 0; i < h->gc->nsegments && !ret->stopped; i++) {
		const struct clrsos_segment *s = &h->gc->segments[i];
		if (!segment_wanted(s, f))
			continue;
		struct clrsos_error *err = walk_segment(h, s, f, fn, ctx, ret, progress,
							pctx, &done, &next_progress, total);
		if (err)
			return err;
	}
	if (progress && !ret->stopped)
		progress(pctx, total, total);
	return NULL;
}

struct brick_ctx {
	const struct clrsos_segment *seg;
	struct bricks *b;
};

static bool note_brick(void *ctx, const struct clrsos_heap_object *obj)
{
	struct brick_ctx *c = ctx;
	size_t i = (size_t)((obj->address - c->seg->start) >> BRICK_SHIFT);
	if (i < c->b->count && !c->b->first[i])
		c->b->first[i] = obj->address;
	return true;
}

/* The segment's index of the first object in each 4 KB (one walk, the first time). */
static struct clrsos_error *segment_bricks(struct clrsos_heap *h, const struct clrsos_segment *seg,
					  struct bricks **ret)
{
	struct bricks *b = &h->bricks[seg - h->gc->segments];
	if (!b->built) {
		b->count = (size_t)(((seg->end - seg->start) >> BRICK_SHIFT) + 1);
		b->first = calloc(b->count, sizeof(*b->first));
		if (!b->first)
			return &clrsos_error_no_memory;
		struct clrsos_walk_filter f;
		clrsos_walk_filter_init(&f);
		f.segment = seg;
		struct brick_ctx c = {seg, b};
		struct clrsos_walk_result r;
		struct clrsos_error *err = clrsos_heap_walk(h, &f, note_brick, &c, NULL, NULL, &r);
		if (err) { /* interrupted, say: never kept half-built */
			free(b->first);
			b->first = NULL;
			return err;
		}
		b->built = true;
	}
	*ret = b;
	return NULL;
}

struct clrsos_error *clrsos_heap_near(struct clrsos_heap *h, uint64_t address, struct clrsos_heap_near *ret)
{
	memset(ret, 0, sizeof(*ret));
	address &= ~(uint64_t)7;
	ret->address = address;
	struct clrsos_error *err = clrsos_heap_check_walkable(h);
	if (err)
		return err;
	const struct clrsos_segment *seg = clrsos_heap_segment_of(h, address);
	for (size_t i = 0; !seg && i < h->gc->nsegments; i++) {
		const struct clrsos_segment *s = &h->gc->segments[i];
		if (address >= s->start && address < s->committed_end && s->end > s->start)
			seg = s; /* committed past the objects: the last one comes before it */
	}
	if (!seg)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is in no segment of the GC heap: see eeheap -gc for them",
					   (unsigned long long)address);
	ret->segment = seg;
	struct bricks *b;
	if ((err = segment_bricks(h, seg, &b)))
		return err;
	uint64_t until = address < seg->end ? address : seg->end;
	/* From the last brick whose first object starts before the address: it
	 * holds the object before it (or the address is the segment's first). */
	uint64_t from = seg->start;
	size_t i = (size_t)((until - seg->start) >> BRICK_SHIFT);
	for (size_t j = (i < b->count ? i : b->count - 1) + 1; j-- > 0;) {
		if (b->first[j] && b->first[j] < until) {
			from = b->first[j];
			break;
		}
	}
	struct walker w = {.h = h, .seg = seg, .end = seg->end, .read_end = seg->end};
	struct clrsos_walk_result r = {0};
	w.result = &r;
	uint64_t p = from;
	ret->consistent = true;
	while (p < seg->end) {
		if ((err = clrsos_watch_tick(h->watch)))
			return err;
		uint64_t size, limit;
		if (seg->kind <= CLRSOS_SEGMENT_EPHEMERAL && is_context_start(&w, p, &limit)) {
			ret->has_gap = true;
			ret->gap_start = p;
			ret->gap_end = limit;
			if (limit > seg->end - CLRSOS_MIN_OBJECT_SIZE) {
				p = seg->end;
				break;
			}
			p = limit + CLRSOS_MIN_OBJECT_SIZE;
			continue;
		}
		const struct clrsos_type *type = object_at(&w, p, true, &size);
		if (!type || p + size > seg->end || size < CLRSOS_MIN_OBJECT_SIZE) {
			ret->consistent = false;
			ret->bad_at = p;
			break;
		}
		struct clrsos_heap_near_object o = {.address = p, .size = size, .type = type};
		if (p < address) {
			ret->prev = o;
			ret->has_prev = true;
			ret->has_gap = false; /* only a gap after the object before counts */
		} else if (p == address) {
			ret->current = o;
			ret->has_current = true;
			ret->has_gap = false;
		} else {
			ret->next = o;
			ret->has_next = true;
			break;
		}
		p += size;
	}
	if (!ret->has_next && ret->consistent) {
		ret->last_on_segment = true;
		if (p != seg->end) {
			ret->consistent = false;
			ret->bad_at = p;
		}
	}
	return NULL;
}

struct clrsos_error *clrsos_heap_find_object(struct clrsos_heap *h,
					     uint64_t address, uint64_t *ret,
					     const struct clrsos_type **ret_type)
{
	struct clrsos_error *refused = clrsos_heap_check_walkable(h);
	if (refused)
		return refused;
	const struct clrsos_segment *seg = clrsos_heap_segment_of(h, address);
	if (!seg)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is not in the GC heap", (unsigned long long)address);
	struct bricks *b;
	struct clrsos_error *err = segment_bricks(h, seg, &b);
	if (err)
		return err;
	/* Start from the last object that starts at or before the address. */
	size_t i = (size_t)((address - seg->start) >> BRICK_SHIFT);
	uint64_t from = 0;
	for (size_t j = i + 1; j-- > 0;) {
		if (b->first[j] && b->first[j] <= address) {
			from = b->first[j];
			break;
		}
	}
	if (!from)
		goto none;
	struct walker w = {.h = h, .seg = seg, .end = seg->end, .read_end = seg->end};
	struct clrsos_walk_result r = {0};
	w.result = &r;
	for (uint64_t p = from; p <= address && p < seg->end;) {
		uint64_t size, limit;
		if (seg->kind <= CLRSOS_SEGMENT_EPHEMERAL && is_context_start(&w, p, &limit)) {
			if (limit > seg->end - CLRSOS_MIN_OBJECT_SIZE)
				break;
			p = limit + CLRSOS_MIN_OBJECT_SIZE;
			continue;
		}
		const struct clrsos_type *type = object_at(&w, p, true, &size);
		if (!type)
			break;
		if (address < p + size) {
			*ret = p;
			if (ret_type)
				*ret_type = type;
			return NULL;
		}
		p += size;
	}
none:
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "0x%llx is in the GC heap but in no object", (unsigned long long)address);
}

struct clrsos_error *clrsos_heap_read_object(struct clrsos_heap *h, uint64_t address,
					     const struct clrsos_type **ret_type, uint64_t *ret_size,
					     uint8_t **buf, size_t *buf_cap)
{
	const struct clrsos_segment *seg = clrsos_heap_segment_of(h, address);
	uint8_t head[16];
	if (!seg || (address & 7)) {
		/* Say whether the memory is there at all: a core may lack a whole segment. */
		struct clrsos_error *e = clrsos_target_read(h->target, address & ~(uint64_t)7, head, 8);
		bool missing = e != NULL;
		if ((e = clrsos_error_ignore(e)))
			return e;
		const char *why = !missing ? ""
				  : clrsos_target_is_live(h->target) ? ": nothing is mapped there in the process"
								     : ": its memory is not in the target (the core lacks it?)";
		return clrsos_error_create(missing ? CLRSOS_ERROR_FAULT : CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is not a managed object%s", (unsigned long long)address, why);
	}
	struct clrsos_error *err = clrsos_target_read(h->target, address, head, sizeof(head));
	if (err) {
		if ((err = clrsos_error_ignore(err)))
			return err;
		return clrsos_error_create(CLRSOS_ERROR_FAULT, "0x%llx is in the GC heap, but its memory is not in the target%s",
					   (unsigned long long)address,
					   clrsos_target_is_live(h->target) ? " (the process could not be read there)"
									    : " (the core lacks it?)");
	}
	uint64_t mt;
	uint32_t n;
	memcpy(&mt, head, 8);
	memcpy(&n, head + 8, 4);
	const struct clrsos_type *type = clrsos_types_get(h->types, mt & ~(uint64_t)7);
	if (!type)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is not a managed object (no valid MethodTable)",
					   (unsigned long long)address);
	uint64_t size = clrsos_object_size(type, type->component_size ? n : 0);
	if (size > seg->end - address)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is a damaged object: its size (%llu bytes, %u elements) runs past the "
					   "end of its segment at 0x%llx",
					   (unsigned long long)address, (unsigned long long)size, n,
					   (unsigned long long)seg->end);
	*ret_type = type;
	*ret_size = size;
	if (!buf)
		return NULL;
	if (size > *buf_cap) {
		uint8_t *g = realloc(*buf, (size_t)size);
		if (!g)
			return &clrsos_error_no_memory;
		*buf = g;
		*buf_cap = (size_t)size;
	}
	return clrsos_target_read(h->target, address, *buf, (size_t)size);
}

/* The error for an address inside the object at start (holder its type). */
static struct clrsos_error *inside_object(struct clrsos_heap *h, uint64_t address, uint64_t start,
					  const struct clrsos_type *holder)
{
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "0x%llx is not a managed object: it is inside the %s at 0x%llx (offset +0x%llx)",
				   (unsigned long long)address, clrsos_types_name(h->types, holder),
				   (unsigned long long)start, (unsigned long long)(address - start));
}

struct clrsos_error *clrsos_heap_object_at(struct clrsos_heap *h, uint64_t address,
					   const struct clrsos_type **ret_type, uint64_t *ret_size)
{
	const struct clrsos_type *type, *holder = NULL;
	uint64_t size, start;
	/* The object itself (its header, MethodTable, size) first: its own reason if not. */
	struct clrsos_error *err = clrsos_heap_read_object(h, address, &type, &size, NULL, NULL);
	if (err) {
		if (err->code != CLRSOS_ERROR_INVALID_ARGUMENT)
			return err;
		/* Not an object by what is there: the walk may say which object
		 * it is inside; mid-GC (no walk) its own reason is all there is. */
		struct clrsos_error *refused = clrsos_heap_check_walkable(h);
		if (refused) {
			if (clrsos_error_is_no_memory(refused)) {
				clrsos_error_destroy(err);
				return refused;
			}
			clrsos_error_destroy(refused);
			return err;
		}
		struct clrsos_error *walk = clrsos_heap_find_object(h, address, &start, &holder);
		if (!walk && start != address) {
			clrsos_error_destroy(err);
			return inside_object(h, address, start, holder);
		}
		if (clrsos_error_is_no_memory(walk)) {
			clrsos_error_destroy(err);
			return walk;
		}
		clrsos_error_destroy(walk); /* no object found around it: the first reason stands */
		return err;
	}
	/* It looks like an object; the walk confirms that one starts there.
	 * Mid-GC no walk can: what the object itself says (header,
	 * MethodTable, size inside its segment) is all there is. */
	struct clrsos_error *refused = clrsos_heap_check_walkable(h);
	if (refused) {
		if ((refused = clrsos_error_ignore(refused))) /* mid-GC: the object's own word stands */
			return refused;
	} else {
		struct clrsos_error *walk = clrsos_heap_find_object(h, address, &start, &holder);
		if (!walk && start != address)
			return inside_object(h, address, start, holder);
		if (walk) {
			if ((walk = clrsos_error_ignore(walk)))
				return walk;
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "0x%llx is not a managed object (no object of the heap starts there)",
						   (unsigned long long)address);
		}
	}
	*ret_type = type;
	if (ret_size)
		*ret_size = size;
	return NULL;
}
