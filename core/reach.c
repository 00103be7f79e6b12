#include "reach.h"

#include <stdlib.h>
#include <string.h>

enum {
	CHUNK_SHIFT = 16,               /* the read cache's unit: 64 KB */
	CACHE_ENTRIES = 256,            /* 16 MB of heap bytes at most */
	MAX_THREADS = 1 << 20,
	FINALIZER_FILL_POINTERS = 16,
	MAX_DEPENDENT_ROUNDS = 1 << 20,
};

/* A direct-mapped cache of 64 KB chunks of target memory, for random reads. */
struct chunk {
	uint64_t base;   /* chunk address, or 1 for empty */
	size_t len;      /* bytes the target had */
	uint8_t *data;
};

struct clrsos_reach {
	struct clrsos_heap *heap;
	const struct clrsos_gc *gc;
	struct clrsos_target *target;
	struct clrsos_types *types;
	uint64_t **bits;         /* per segment: one bit per 8 bytes of [start, end) */
	uint64_t *stack;         /* objects to scan */
	size_t depth, cap;
	struct chunk cache[CACHE_ENTRIES];
	uint8_t *scratch;        /* an object's bytes */
	size_t scratch_cap;
	struct clrsos_reach_stats stats;
	bool oom;
};

static const uint8_t *cached_read(struct clrsos_reach *r, uint64_t address, size_t len,
				  size_t *ret_len)
{
	uint64_t base = address & ~(((uint64_t)1 << CHUNK_SHIFT) - 1);
	size_t off = (size_t)(address - base);
	if (off + len <= ((size_t)1 << CHUNK_SHIFT)) {
		struct chunk *c = &r->cache[(base >> CHUNK_SHIFT) % CACHE_ENTRIES];
		if (c->base != base) {
			if (!c->data && !(c->data = malloc((size_t)1 << CHUNK_SHIFT))) {
				r->oom = true;
				return NULL;
			}
			size_t got = 0;
			struct clrsos_error *err = clrsos_target_read_partial(
				r->target, base, c->data, (size_t)1 << CHUNK_SHIFT, &got);
			clrsos_error_destroy(err);
			c->base = base;
			c->len = got;
		}
		*ret_len = c->len > off ? (c->len - off < len ? c->len - off : len) : 0;
		return c->data + off;
	}
	/* Bigger than a chunk, or across chunks: read it whole. */
	if (len > r->scratch_cap) {
		uint8_t *s = realloc(r->scratch, len);
		if (!s) {
			r->oom = true;
			return NULL;
		}
		r->scratch = s;
		r->scratch_cap = len;
	}
	size_t got = 0;
	struct clrsos_error *err = clrsos_target_read_partial(r->target, address, r->scratch,
							      len, &got);
	clrsos_error_destroy(err);
	*ret_len = got;
	return r->scratch;
}

/* The mark bit of an address, or NULL if no segment holds it. */
static uint64_t *bit_word(struct clrsos_reach *r, uint64_t address, uint64_t *mask)
{
	const struct clrsos_segment *s = clrsos_heap_segment_of(r->heap, address);
	if (!s || (address & 7))
		return NULL;
	uint64_t *bits = r->bits[s - r->gc->segments];
	if (!bits)
		return NULL;
	uint64_t i = (address - s->start) >> 3;
	*mask = (uint64_t)1 << (i & 63);
	return &bits[i >> 6];
}

bool clrsos_reach_is_live(const struct clrsos_reach *r, uint64_t address)
{
	/* NonGC (frozen) objects are never collected, whoever refers to them. */
	const struct clrsos_segment *s = clrsos_heap_segment_of(r->heap, address);
	if (s && s->kind == CLRSOS_SEGMENT_FROZEN)
		return true;
	uint64_t mask;
	uint64_t *w = bit_word((struct clrsos_reach *)r, address, &mask);
	return w && (*w & mask);
}

const struct clrsos_reach_stats *clrsos_reach_stats(const struct clrsos_reach *r)
{
	return &r->stats;
}

static void push(struct clrsos_reach *r, uint64_t object)
{
	if (r->depth == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		uint64_t *s = realloc(r->stack, cap * sizeof(*s));
		if (!s) {
			r->oom = true;
			return;
		}
		r->stack = s;
		r->cap = cap;
	}
	r->stack[r->depth++] = object;
}

/* Mark object if it is in the heap and not yet marked; then scan it later. */
static void mark(void *ctx, uint64_t object)
{
	struct clrsos_reach *r = ctx;
	uint64_t mask;
	uint64_t *w = bit_word(r, object, &mask);
	if (!w) {
		if (object)
			r->stats.bad_references += clrsos_heap_segment_of(r->heap, object) != NULL;
		return;
	}
	if (*w & mask)
		return;
	*w |= mask;
	push(r, object);
}

/* Scan the marked objects on the stack until it is empty. */
static void drain(struct clrsos_reach *r)
{
	while (r->depth && !r->oom) {
		uint64_t object = r->stack[--r->depth];
		size_t got;
		const uint8_t *head = cached_read(r, object, 16, &got);
		if (!head || got < 16) {
			r->stats.bad_references++;
			continue;
		}
		uint64_t mt;
		uint32_t components;
		memcpy(&mt, head, 8);
		memcpy(&components, head + 8, 4);
		const struct clrsos_type *type = clrsos_types_get(r->types, mt & ~(uint64_t)7);
		if (!type) {
			/* Marked but no object: a reference to garbage. Unmark it. */
			uint64_t mask;
			uint64_t *w = bit_word(r, object, &mask);
			if (w)
				*w &= ~mask;
			r->stats.bad_references++;
			continue;
		}
		r->stats.marked++;
		if (!type->contains_pointers)
			continue;
		uint64_t size = clrsos_object_size(type, type->component_size ? components : 0);
		const struct clrsos_segment *s = clrsos_heap_segment_of(r->heap, object);
		if (!s || size > s->end - object)
			continue;
		const uint8_t *bytes = cached_read(r, object, (size_t)size, &got);
		if (!bytes || got < size)
			continue;
		clrsos_types_for_each_ref(r->types, type, bytes, size, mark, r);
	}
}

/* A root that may point inside an object: mark the object that holds it. */
static void mark_root(struct clrsos_reach *r, uint64_t object, bool interior)
{
	r->stats.roots++;
	if (!object)
		return;
	if (interior) {
		uint64_t start;
		struct clrsos_error *err = clrsos_heap_find_object(r->heap, object, &start, NULL);
		if (err) {
			clrsos_error_destroy(err);
			return;
		}
		object = start;
	}
	mark(r, object);
	drain(r);
}

static struct clrsos_error *mark_handles(struct clrsos_reach *r, struct clrsos_dac *dac,
					 struct clrsos_sos_handle_data **ret_deps,
					 size_t *ret_ndeps)
{
	struct clrsos_sos_handle_data *handles = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_handles(dac, &handles, &n);
	if (err)
		return err;
	size_t ndeps = 0;
	for (size_t i = 0; i < n; i++) {
		struct clrsos_sos_handle_data *h = &handles[i];
		bool strong = h->type == CLRSOS_HANDLE_STRONG || h->type == CLRSOS_HANDLE_PINNED ||
			      h->type == CLRSOS_HANDLE_ASYNC_PINNED || h->type == CLRSOS_HANDLE_SIZED_REF ||
			      (h->type == CLRSOS_HANDLE_REF_COUNTED && h->ref_count > 0) ||
			      (h->type == CLRSOS_HANDLE_VARIABLE && h->strong_reference);
		if (h->type == CLRSOS_HANDLE_DEPENDENT) {
			handles[ndeps++] = *h; /* kept for the second phase */
			continue;
		}
		if (!strong)
			continue;
		uint64_t object;
		err = clrsos_target_read_u64(r->target, h->handle, &object);
		if (err) {
			clrsos_error_destroy(err);
			continue;
		}
		mark_root(r, object, false);
	}
	*ret_deps = handles;
	*ret_ndeps = ndeps;
	return NULL;
}

static struct clrsos_error *mark_stacks(struct clrsos_reach *r, struct clrsos_dac *dac)
{
	struct clrsos_dacp_thread_store_data store;
	struct clrsos_error *err = clrsos_dac_thread_store(dac, &store);
	if (err)
		return err;
	uint64_t thread = store.first_thread;
	for (size_t n = 0; thread && n < MAX_THREADS; n++) {
		struct clrsos_dacp_thread_data t;
		err = clrsos_dac_thread_data(dac, thread, &t);
		if (err)
			return err;
		thread = t.next_thread;
		if (!t.os_thread_id)
			continue; /* not started, or gone */
		struct clrsos_sos_stack_ref *refs = NULL;
		size_t nrefs = 0;
		err = clrsos_dac_stack_refs(dac, t.os_thread_id, &refs, &nrefs);
		if (err) {
			clrsos_error_destroy(err);
			r->stats.threads_failed++;
			continue;
		}
		r->stats.threads++;
		for (size_t i = 0; i < nrefs; i++)
			mark_root(r, refs[i].object, refs[i].flags & CLRSOS_STACK_REF_INTERIOR);
		free(refs);
	}
	return NULL;
}

/* Objects ready for finalization stay alive until their finalizer ran. */
static struct clrsos_error *mark_finalizer_queue(struct clrsos_reach *r, struct clrsos_dac *dac)
{
	for (uint32_t i = 0; i < r->gc->nheaps; i++) {
		uint64_t fp[FINALIZER_FILL_POINTERS];
		uint32_t n = 0;
		struct clrsos_error *err =
			clrsos_dac_fill_pointers(dac, r->gc->heaps[i].address, fp,
						 FINALIZER_FILL_POINTERS, &n);
		if (err)
			return err;
		if (n < 3)
			continue;
		/* The f-reachable part: the last two ranges but one. */
		uint64_t start = fp[n - 3], end = fp[n - 1];
		if (end <= start || end - start > ((uint64_t)1 << 32) || (start & 7))
			continue;
		for (uint64_t p = start; p < end; p += 8) {
			uint64_t object;
			err = clrsos_target_read_u64(r->target, p, &object);
			if (err) {
				clrsos_error_destroy(err);
				break;
			}
			mark_root(r, object, false);
		}
	}
	return NULL;
}

/* A dependent handle keeps its secondary alive while its primary is: repeat to a fixpoint. */
static void mark_dependents(struct clrsos_reach *r, const struct clrsos_sos_handle_data *deps,
			    size_t n)
{
	uint64_t *primaries = calloc(n ? n : 1, sizeof(*primaries));
	if (!primaries) {
		r->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct clrsos_error *err =
			clrsos_target_read_u64(r->target, deps[i].handle, &primaries[i]);
		if (err) {
			clrsos_error_destroy(err);
			primaries[i] = 0;
		}
	}
	bool changed = true;
	for (size_t round = 0; changed && round < MAX_DEPENDENT_ROUNDS; round++) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			if (!primaries[i] || !deps[i].secondary ||
			    !clrsos_reach_is_live(r, primaries[i]) ||
			    clrsos_reach_is_live(r, deps[i].secondary))
				continue;
			mark_root(r, deps[i].secondary, false);
			changed = clrsos_reach_is_live(r, deps[i].secondary) || changed;
		}
	}
	free(primaries);
}

struct clrsos_error *clrsos_reach_compute(struct clrsos_dac *dac,
					  struct clrsos_target *target,
					  struct clrsos_heap *heap,
					  struct clrsos_reach **ret)
{
	struct clrsos_reach *r = calloc(1, sizeof(*r));
	if (!r)
		return &clrsos_error_no_memory;
	r->heap = heap;
	r->gc = clrsos_heap_gc(heap);
	r->target = target;
	r->types = clrsos_heap_types(heap);
	for (size_t i = 0; i < CACHE_ENTRIES; i++)
		r->cache[i].base = 1;
	struct clrsos_error *err = NULL;
	r->bits = calloc(r->gc->nsegments ? r->gc->nsegments : 1, sizeof(*r->bits));
	if (!r->bits)
		err = &clrsos_error_no_memory;
	for (size_t i = 0; !err && i < r->gc->nsegments; i++) {
		const struct clrsos_segment *s = &r->gc->segments[i];
		uint64_t words = ((s->end - s->start) / 8 + 63) / 64;
		r->bits[i] = calloc(words ? words : 1, sizeof(uint64_t));
		if (!r->bits[i])
			err = &clrsos_error_no_memory;
	}
	struct clrsos_sos_handle_data *deps = NULL;
	size_t ndeps = 0;
	if (!err)
		err = mark_handles(r, dac, &deps, &ndeps);
	if (!err)
		err = mark_stacks(r, dac);
	if (!err)
		err = mark_finalizer_queue(r, dac);
	if (!err)
		mark_dependents(r, deps, ndeps);
	free(deps);
	if (!err && r->oom)
		err = &clrsos_error_no_memory;
	if (err) {
		clrsos_reach_destroy(r);
		return err;
	}
	*ret = r;
	return NULL;
}

void clrsos_reach_destroy(struct clrsos_reach *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->bits && i < r->gc->nsegments; i++)
		free(r->bits[i]);
	free(r->bits);
	free(r->stack);
	for (size_t i = 0; i < CACHE_ENTRIES; i++)
		free(r->cache[i].data);
	free(r->scratch);
	free(r);
}
