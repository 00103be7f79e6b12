#include "analysis/referrers.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "analysis/dominators.h"
#include "base/rows.h"
#include "base/vector.h"

/*
 * next[] of a search: 0 for an object the search has not met; for the
 * target TARGET; otherwise 1 + the number of the object it refers to on a
 * shortest way to the target, DEPENDENT set when that way is a dependent
 * handle's edge. Object numbers therefore stay below MAX_OBJECTS.
 */
enum {
	DEPENDENT = 0x80000000u,
	TARGET = 0x7fffffffu,
	MAX_OBJECTS = 0x7ffffffeu,
};

CLRSOS_VECTOR(u32_vector, uint32_t)

struct dependent_edge {
	uint32_t secondary, primary;
};

struct clrsos_referrers {
	struct clrsos_heap *heap;
	const struct clrsos_gc *gc;
	struct clrsos_types *types;
	uint64_t **bits;         /* per segment: a bit per object start (see clrsos_markbits_word) */
	uint32_t **rank;         /* per segment and bitmap word: objects before it */
	uint32_t *seg_first;     /* per segment (and one past): number of its first object */
	uint32_t count;          /* objects numbered */
	uint32_t *first;         /* while building, count + 1: where each object's referrers start in from[] */
	uint32_t *from;          /* while building: referrers, as object numbers */
	struct clrsos_rows rows; /* then each object's referrers, packed (from[] freed) */
	struct dependent_edge *deps; /* sorted by secondary */
	size_t ndeps;
	uint32_t *next;          /* the last search: see above */
	struct u32_vector queue; /* the last search's objects, in the order met */
	bool searched;
	struct clrsos_referrers_stats stats;
	/* While building. */
	const struct clrsos_segment *seg; /* the segment of the last reference looked up */
	size_t seg_index;
	uint32_t source;         /* the object whose references are being read */
	bool filling;            /* second pass: fill from[] (first pass: count) */
	uint64_t edges, filled;
	uint8_t *buf;
	size_t buf_cap;
	bool oom, too_many;
};

/*
 * Set bits in a word, inline: without -mpopcnt (the build targets every
 * x86-64) __builtin_popcountll is a call into libgcc, hot in number_of.
 */
static inline uint32_t ones(uint64_t v)
{
	v = v - ((v >> 1) & 0x5555555555555555ull);
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (uint32_t)((v * 0x0101010101010101ull) >> 56);
}

/*
 * Ask for huge pages under a big array that will be written whole (the
 * kernel's transparent huge pages, where it gives them on request): one
 * page fault per 2 MB instead of per 4 KB, which was a fifth of the
 * index's time. Only advice: nothing changes where it is not given.
 */
static void huge_pages(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	enum { PAGE = 4096, WORTH = 4 << 20 };
	uintptr_t from = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
	uintptr_t to = ((uintptr_t)p + bytes) & ~(uintptr_t)(PAGE - 1);
	if (p && bytes >= WORTH && to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}

static size_t words_of(const struct clrsos_segment *s)
{
	return (size_t)(((s->end - s->start) / 8 + 63) / 64);
}

/* The number of the object at address in segment index si (s), or false if it is not one. */
static inline bool number_in(const struct clrsos_referrers *r, const struct clrsos_segment *s, size_t si,
			     uint64_t address, uint32_t *ret)
{
	const uint64_t *bits = r->bits[si];
	if (!bits || (address & 7))
		return false;
	uint64_t i = (address - s->start) >> 3;
	uint64_t word = bits[i >> 6];
	uint64_t mask = (uint64_t)1 << (i & 63);
	if (!(word & mask))
		return false;
	*ret = r->rank[si][i >> 6] + ones(word & (mask - 1));
	return true;
}

/* The number of the object at address, or false if it is not one. */
static bool number_of(struct clrsos_referrers *r, uint64_t address, uint32_t *ret)
{
	const struct clrsos_segment *s = r->seg;
	if (!s || address < s->start || address >= s->end) {
		s = clrsos_heap_segment_of(r->heap, address);
		if (!s)
			return false;
		r->seg = s;
		r->seg_index = (size_t)(s - r->gc->segments);
	}
	return number_in(r, s, r->seg_index, address, ret);
}

/* The address of object number n (n < count). */
static uint64_t address_of(const struct clrsos_referrers *r, uint32_t n)
{
	size_t lo = 0, hi = r->gc->nsegments; /* the last segment whose first number <= n */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->seg_first[mid] <= n)
			lo = mid;
		else
			hi = mid;
	}
	/* Segments with no objects share their first number with the next. */
	while (lo + 1 < r->gc->nsegments && r->seg_first[lo + 1] <= n)
		lo++;
	const struct clrsos_segment *s = &r->gc->segments[lo];
	const uint32_t *rank = r->rank[lo];
	size_t wlo = 0, whi = words_of(s);
	while (whi - wlo > 1) {
		size_t mid = wlo + (whi - wlo) / 2;
		if (rank[mid] <= n)
			wlo = mid;
		else
			whi = mid;
	}
	/* Skip words before it with no objects (their rank equals its own). */
	while (wlo + 1 < words_of(s) && rank[wlo + 1] <= n)
		wlo++;
	uint64_t word = r->bits[lo][wlo];
	for (uint32_t k = n - rank[wlo]; k; k--)
		word &= word - 1;
	return s->start + ((uint64_t)wlo * 64 + (uint64_t)__builtin_ctzll(word)) * 8;
}

static void reference(void *ctx, uint64_t ref)
{
	struct clrsos_referrers *r = ctx;
	uint32_t n;
	if (!number_of(r, ref, &n))
		return;
	if (r->filling) {
		/* The same walk again; never more than the first one counted. */
		if (r->filled < r->edges && r->first[n] < r->edges) {
			r->from[r->first[n]++] = r->source;
			r->filled++;
		}
	} else {
		r->first[n + 1]++;
		r->edges++;
	}
}

static bool walk_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct clrsos_referrers *r = ctx;
	/* The walk says which segment: the cache stays with the references' one. */
	if (!obj->type->contains_pointers ||
	    !number_in(r, obj->segment, (size_t)(obj->segment - r->gc->segments), obj->address, &r->source))
		return true;
	const uint8_t *bytes = obj->bytes;
	uint64_t size = obj->size;
	if (obj->bytes_len < size) {
		/* Runs past the walk's read block: read it whole. */
		const struct clrsos_type *t;
		struct clrsos_error *err = clrsos_heap_read_object(r->heap, obj->address, &t, &size, &r->buf,
								   &r->buf_cap);
		if (err) {
			bool oom = err == &clrsos_error_no_memory;
			clrsos_error_destroy(err);
			r->oom = oom;
			return !oom;
		}
		bytes = r->buf;
	}
	clrsos_types_for_each_ref(r->types, obj->type, bytes, size, reference, r);
	if (!r->filling && r->edges > UINT32_MAX) {
		r->too_many = true;
		return false;
	}
	return true;
}

static int by_secondary(const void *a, const void *b)
{
	const struct dependent_edge *x = a, *y = b;
	return x->secondary < y->secondary ? -1 : x->secondary > y->secondary ? 1 : 0;
}

static void numbering_progress(void *ctx, uint64_t done, uint64_t total)
{
	clrsos_watch_report(ctx, done, total, total >> 20, "MB of heap indexed for gcroot (walk 1 of 3)");
}

static bool note_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct clrsos_referrers *r = ctx;
	if (obj->type->is_free)
		return true;
	uint64_t *bits = r->bits[obj->segment - r->gc->segments];
	uint64_t i = (obj->address - obj->segment->start) >> 3;
	bits[i >> 6] |= (uint64_t)1 << (i & 63);
	return true;
}

/*
 * Number every object the walk meets (free space apart), live or dead:
 * one walk that reads no references, where marking the live ones from the
 * roots took twice as long. A dead object changes no answer: no root's
 * chain passes through one (a live object refers only to live ones), and
 * a dead object's referrers are dead, so a search from a live target meets
 * the live objects in the same order with or without them.
 */
static struct clrsos_error *number_objects(struct clrsos_referrers *r)
{
	size_t nseg = r->gc->nsegments;
	r->bits = calloc(nseg ? nseg : 1, sizeof(*r->bits));
	r->rank = calloc(nseg ? nseg : 1, sizeof(*r->rank));
	r->seg_first = calloc(nseg + 1, sizeof(*r->seg_first));
	if (!r->bits || !r->rank || !r->seg_first)
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < nseg; i++) {
		size_t words = words_of(&r->gc->segments[i]);
		if (!(r->bits[i] = calloc(words ? words : 1, sizeof(uint64_t))))
			return &clrsos_error_no_memory;
		r->stats.bytes += words * sizeof(uint64_t);
	}
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_walk_result result;
	struct clrsos_error *err = clrsos_heap_walk(r->heap, &filter, note_object, r, numbering_progress,
						    clrsos_heap_watch(r->heap), &result);
	if (err)
		return err;
	uint64_t total = 0;
	for (size_t i = 0; i < nseg; i++) {
		r->seg_first[i] = (uint32_t)total;
		const uint64_t *bits = r->bits[i];
		size_t words = words_of(&r->gc->segments[i]);
		if (!(r->rank[i] = malloc((words ? words : 1) * sizeof(uint32_t))))
			return &clrsos_error_no_memory;
		r->stats.bytes += words * sizeof(uint32_t);
		for (size_t w = 0; w < words; w++) {
			r->rank[i][w] = (uint32_t)total;
			total += ones(bits[w]);
		}
		if (total > MAX_OBJECTS)
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "more than %u objects: too many for gcroot's index",
						   (unsigned)MAX_OBJECTS);
	}
	r->seg_first[nseg] = (uint32_t)total;
	r->count = (uint32_t)total;
	r->stats.objects = total;
	return NULL;
}

static void first_walk_progress(void *ctx, uint64_t done, uint64_t total)
{
	clrsos_watch_report(ctx, done, total, total >> 20, "MB of heap indexed for gcroot (walk 2 of 3)");
}

static void second_walk_progress(void *ctx, uint64_t done, uint64_t total)
{
	clrsos_watch_report(ctx, done, total, total >> 20, "MB of heap indexed for gcroot (walk 3 of 3)");
}

static struct clrsos_error *read_references(struct clrsos_referrers *r)
{
	struct clrsos_watch *watch = clrsos_heap_watch(r->heap);
	if (!(r->first = calloc((size_t)r->count + 1, sizeof(*r->first))))
		return &clrsos_error_no_memory;
	huge_pages(r->first, ((size_t)r->count + 1) * sizeof(*r->first));
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_walk_result result;
	/* First walk: how many referrers each object has. */
	struct clrsos_error *err = clrsos_heap_walk(r->heap, &filter, walk_object, r, first_walk_progress, watch,
						    &result);
	if (err)
		return err;
	if (r->oom)
		return &clrsos_error_no_memory;
	if (r->too_many)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "more than 4 G references among the heap's objects: too many for gcroot's index");
	for (uint32_t n = 0; n < r->count; n++)
		r->first[n + 1] += r->first[n];
	r->stats.references = r->edges;
	if (!(r->from = malloc((r->edges ? r->edges : 1) * sizeof(*r->from))))
		return &clrsos_error_no_memory;
	huge_pages(r->from, r->edges * sizeof(*r->from));
	/* Second walk: fill them in, each object's row from its start. */
	r->filling = true;
	if ((err = clrsos_heap_walk(r->heap, &filter, walk_object, r, second_walk_progress, watch, &result)))
		return err;
	if (r->oom)
		return &clrsos_error_no_memory;
	if (r->filled != r->edges)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "the heap read differently twice (%llu references, then %llu): is the process running?",
					   (unsigned long long)r->edges, (unsigned long long)r->filled);
	/* first[n] now holds where row n ends, the start of row n + 1. */
	memmove(r->first + 1, r->first, (size_t)r->count * sizeof(*r->first));
	r->first[0] = 0;
	/* Packed: a row's referrers come in the heap's order, near each other and the object. */
	if ((err = clrsos_rows_pack(&r->rows, r->count, &r->first, r->from)))
		return err;
	free(r->from);
	r->from = NULL;
	r->stats.bytes += clrsos_rows_bytes(&r->rows);
	return NULL;
}

static struct clrsos_error *read_dependents(struct clrsos_referrers *r, const struct clrsos_roots *roots)
{
	if (!roots->ndependents)
		return NULL;
	if (!(r->deps = malloc(roots->ndependents * sizeof(*r->deps))))
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < roots->ndependents; i++) {
		struct dependent_edge e;
		r->seg = NULL;
		if (number_of(r, roots->dependents[i].primary, &e.primary) &&
		    number_of(r, roots->dependents[i].secondary, &e.secondary))
			r->deps[r->ndeps++] = e;
	}
	qsort(r->deps, r->ndeps, sizeof(*r->deps), by_secondary);
	r->stats.bytes += r->ndeps * sizeof(*r->deps);
	return NULL;
}

struct clrsos_error *clrsos_referrers_create(struct clrsos_heap *heap, const struct clrsos_reach *reach,
					    struct clrsos_referrers **ret)
{
	struct clrsos_referrers *r = calloc(1, sizeof(*r));
	if (!r)
		return &clrsos_error_no_memory;
	r->heap = heap;
	r->gc = clrsos_heap_gc(heap);
	r->types = clrsos_heap_types(heap);
	struct clrsos_error *err = number_objects(r);
	if (!err)
		err = read_references(r);
	if (!err)
		err = read_dependents(r, clrsos_reach_roots(reach));
	free(r->buf);
	r->buf = NULL;
	r->buf_cap = 0;
	if (err) {
		clrsos_referrers_destroy(r);
		return err;
	}
	*ret = r;
	return NULL;
}

void clrsos_referrers_destroy(struct clrsos_referrers *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->rank && i < r->gc->nsegments; i++)
		free(r->rank[i]);
	for (size_t i = 0; r->bits && i < r->gc->nsegments; i++)
		free(r->bits[i]);
	free(r->rank);
	free(r->bits);
	free(r->seg_first);
	free(r->first);
	free(r->from);
	clrsos_rows_deinit(&r->rows);
	free(r->deps);
	free(r->next);
	u32_vector_deinit(&r->queue);
	free(r->buf);
	free(r);
}

const struct clrsos_referrers_stats *clrsos_referrers_stats(const struct clrsos_referrers *r)
{
	return &r->stats;
}

static bool meet(struct clrsos_referrers *r, uint32_t n, uint32_t link)
{
	if (r->next[n])
		return true;
	if (u32_vector_push(&r->queue, n))
		return false;
	r->next[n] = link;
	return true;
}

struct clrsos_error *clrsos_referrers_search(struct clrsos_referrers *r, uint64_t target)
{
	if (!r->next) {
		if (!(r->next = calloc(r->count ? r->count : 1, sizeof(*r->next))))
			return &clrsos_error_no_memory;
		r->stats.bytes += (size_t)r->count * sizeof(*r->next);
	}
	/* Forget the last search: only what it met was set. */
	for (size_t i = 0; i < r->queue.count; i++)
		r->next[r->queue.items[i]] = 0;
	u32_vector_clear(&r->queue);
	r->searched = true;
	uint32_t t;
	r->seg = NULL;
	if (!number_of(r, target, &t))
		return NULL; /* not an object: nothing reaches it */
	if (!meet(r, t, TARGET))
		return &clrsos_error_no_memory;
	/* Breadth first, backwards: each object met is one step further from the target. */
	struct clrsos_watch *watch = clrsos_heap_watch(r->heap);
	for (size_t head = 0; head < r->queue.count; head++) {
		struct clrsos_error *stop = clrsos_watch_tick(watch);
		if (stop) {
			r->searched = false; /* no chains from half a search */
			return stop;
		}
		uint32_t n = r->queue.items[head];
		struct clrsos_rows_cursor c;
		uint32_t from;
		for (clrsos_rows_open(&r->rows, n, &c); clrsos_rows_next(&c, &from);) {
			if (from >= r->count)
				continue;
			if (!meet(r, from, n + 1))
				return &clrsos_error_no_memory;
		}
		size_t lo = 0, hi = r->ndeps;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (r->deps[mid].secondary < n)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < r->ndeps && r->deps[lo].secondary == n; lo++) {
			if (!meet(r, r->deps[lo].primary, (n + 1) | DEPENDENT))
				return &clrsos_error_no_memory;
		}
	}
	return NULL;
}

struct clrsos_error *clrsos_referrers_chain(struct clrsos_referrers *r, uint64_t object,
					    struct clrsos_chain_link **links, size_t *cap, size_t *ret_count)
{
	*ret_count = 0;
	uint32_t n;
	r->seg = NULL;
	if (!r->searched || !number_of(r, object, &n) || !r->next[n])
		return NULL;
	size_t count = 0;
	bool dependent = false;
	for (;;) {
		struct clrsos_error *err = clrsos_array_reserve(links, cap, count + 1);
		if (err)
			return err;
		(*links)[count].address = address_of(r, n);
		(*links)[count].dependent = dependent;
		count++;
		uint32_t link = r->next[n];
		if (link == TARGET || count > r->count)
			break;
		dependent = (link & DEPENDENT) != 0;
		n = (link & ~DEPENDENT) - 1;
	}
	*ret_count = count;
	return NULL;
}

bool clrsos_referrers_leads(struct clrsos_referrers *r, uint64_t object)
{
	uint32_t n;
	r->seg = NULL;
	return r->searched && number_of(r, object, &n) && r->next[n];
}

bool clrsos_referrers_number(struct clrsos_referrers *r, uint64_t address, uint32_t *ret)
{
	r->seg = NULL;
	return number_of(r, address, ret);
}

uint64_t clrsos_referrers_address(const struct clrsos_referrers *r, uint32_t n)
{
	return n < r->count ? address_of(r, n) : 0;
}

struct dom_sizes {
	struct clrsos_referrers *r;
	struct clrsos_domtree *tree;
	struct clrsos_error *err;
};

static bool dom_size(void *ctx, const struct clrsos_heap_object *obj)
{
	struct dom_sizes *s = ctx;
	uint32_t n;
	if (number_in(s->r, obj->segment, (size_t)(obj->segment - s->r->gc->segments), obj->address, &n))
		s->err = clrsos_domtree_set_size(s->tree, n, obj->size);
	return !s->err;
}

static void dom_sizes_progress(void *ctx, uint64_t done, uint64_t total)
{
	clrsos_watch_report(ctx, done, total, total >> 20, "MB of heap read for retained sizes");
}

struct clrsos_error *clrsos_referrers_dominators(struct clrsos_referrers *r, const struct clrsos_reach *reach,
						 struct clrsos_domtree **ret)
{
	*ret = NULL;
	const struct clrsos_roots *roots = clrsos_reach_roots(reach);
	struct u32_vector starts;
	u32_vector_init(&starts);
	struct clrsos_dom_edge *extra = NULL;
	struct clrsos_domtree *tree = NULL;
	struct clrsos_error *err = NULL;
	/* Static fields first: what one holds is its, not the statics array's, handle's. */
	for (size_t i = 0; i < roots->count + roots->nstatic_slots && !err; i++) {
		uint64_t start = i < roots->nstatic_slots ? roots->static_slots[i].object
							  : roots->items[i - roots->nstatic_slots].object;
		uint32_t n;
		r->seg = NULL;
		if (!number_of(r, start, &n)) {
			/* An interior pointer (stack roots): the object that holds it. */
			struct clrsos_error *e = clrsos_heap_find_object(r->heap, start, &start, NULL);
			if (e) {
				if (clrsos_error_is_no_memory(e))
					err = e;
				else
					clrsos_error_destroy(e);
				continue;
			}
			if (!number_of(r, start, &n))
				continue;
		}
		err = u32_vector_push(&starts, n);
	}
	if (!err && r->ndeps) {
		if (!(extra = malloc(r->ndeps * sizeof(*extra))))
			err = &clrsos_error_no_memory;
		for (size_t i = 0; extra && i < r->ndeps; i++)
			extra[i] = (struct clrsos_dom_edge){.to = r->deps[i].secondary, .from = r->deps[i].primary};
	}
	if (!err) {
		struct clrsos_dom_graph graph = {
			.count = r->count,
			.preds = &r->rows,
			.extra = extra,
			.nextra = r->ndeps,
			.roots = starts.items,
			.nroots = starts.count,
			.watch = clrsos_heap_watch(r->heap),
		};
		err = clrsos_domtree_create(&graph, &tree);
	}
	if (!err) {
		struct clrsos_walk_filter filter;
		clrsos_walk_filter_init(&filter);
		struct clrsos_walk_result result;
		struct dom_sizes sizes = {.r = r, .tree = tree};
		struct clrsos_watch *watch = clrsos_heap_watch(r->heap);
		err = clrsos_heap_walk(r->heap, &filter, dom_size, &sizes, dom_sizes_progress, watch, &result);
		if (!err)
			err = sizes.err;
		else
			clrsos_error_destroy(sizes.err);
		if (!err)
			err = clrsos_domtree_accumulate(tree);
	}
	u32_vector_deinit(&starts);
	free(extra);
	if (err) {
		clrsos_domtree_destroy(tree);
		return err;
	}
	*ret = tree;
	return NULL;
}
