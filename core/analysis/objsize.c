/* Object size: what one object keeps alive (objsize.h). */
#include "analysis/objsize.h"

#include "analysis/markbits.h"
#include "base/hashmap.h"
#include "base/vector.h"

#include <stdlib.h>
#include <string.h>

CLRSOS_HASHSET(addr_set, uint64_t, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)
CLRSOS_VECTOR(addr_vector, uint64_t)

struct walk {
	/* Objects met: a bit per 8 bytes of each segment met (allocated on
	 * first use), a map for the rest (references outside the GC heap). A
	 * map alone stalls for its growth (half a second at millions). */
	struct clrsos_heap *heap;
	const struct clrsos_gc *gc;
	uint64_t **bits;
	struct addr_set seen;
	struct addr_vector stack;
	bool oom;
	struct clrsos_watch *watch;
	struct clrsos_error *stop; /* the user interrupted (an array of millions of references, say) */
};

static void push_ref(void *ctx, uint64_t ref)
{
	struct walk *w = ctx;
	if (w->stop || (w->stop = clrsos_watch_tick(w->watch)))
		return;
	const struct clrsos_segment *seg = ref & 7 ? NULL : clrsos_heap_segment_of(w->heap, ref);
	if (seg) {
		size_t i = (size_t)(seg - w->gc->segments);
		if (!w->bits[i] && !(w->bits[i] = calloc(clrsos_markbits_words(seg) + 1, sizeof(uint64_t)))) {
			w->oom = true;
			return;
		}
		uint64_t mask, *word = clrsos_markbits_word(w->bits[i], seg, ref, &mask);
		if (*word & mask)
			return;
		*word |= mask;
	} else {
		bool inserted;
		/* The first table holds 512 addresses: a search meets many. */
		if ((!w->seen.capacity && addr_set_reserve(&w->seen, 512)) ||
		    addr_set_insert(&w->seen, ref, NULL, &inserted)) {
			w->oom = true;
			return;
		}
		if (!inserted)
			return;
	}
	if ((!w->stack.capacity && addr_vector_reserve(&w->stack, 1024)) || addr_vector_push(&w->stack, ref))
		w->oom = true;
}

struct clrsos_error *clrsos_objsize_walk(struct clrsos_heap *heap, uint64_t address, clrsos_objsize_fn *fn,
					 void *ctx)
{
	return clrsos_objsize_walk_many(heap, &address, 1, fn, ctx);
}

struct clrsos_error *clrsos_objsize_walk_many(struct clrsos_heap *heap, const uint64_t *addresses, size_t count,
					      clrsos_objsize_fn *fn, void *ctx)
{
	/* Mid-GC references lead to objects being moved: refused (as walks are). */
	struct clrsos_error *err = clrsos_heap_check_walkable(heap);
	if (err)
		return err;
	struct walk w = {.heap = heap, .gc = clrsos_heap_gc(heap), .watch = clrsos_heap_watch(heap)};
	if (!(w.bits = calloc(w.gc->nsegments ? w.gc->nsegments : 1, sizeof(*w.bits))))
		return &clrsos_error_no_memory;
	struct clrsos_types *types = clrsos_heap_types(heap);
	uint8_t *buf = NULL;
	size_t buf_cap = 0;
	for (size_t k = 0; k < count && !w.oom && !err && !w.stop; k++) {
		push_ref(&w, addresses[k]);
		while (w.stack.count && !w.oom && !err && !w.stop) {
			if ((err = clrsos_watch_tick(w.watch)))
				break;
			uint64_t obj = *addr_vector_pop(&w.stack);
			const struct clrsos_type *t;
			uint64_t size;
			struct clrsos_error *e = clrsos_heap_read_object(heap, obj, &t, &size, &buf, &buf_cap);
			if (clrsos_error_is_no_memory(e)) {
				err = e;
				break;
			}
			if (e) {
				clrsos_error_destroy(e);
				continue; /* a reference to no object: not counted */
			}
			if (!fn(ctx, obj, t, size))
				w.oom = true;
			clrsos_types_for_each_ref(types, t, buf, size, push_ref, &w);
		}
	}
	if (!err && w.stop)
		err = w.stop;
	else
		clrsos_error_destroy(w.stop);
	if (w.oom && !err)
		err = &clrsos_error_no_memory;
	addr_set_deinit(&w.seen);
	for (size_t i = 0; i < w.gc->nsegments; i++)
		free(w.bits[i]);
	free(w.bits);
	addr_vector_deinit(&w.stack);
	free(buf);
	return err;
}

/* pathto: a breadth-first search, each object met once, its parent kept in a map. */
CLRSOS_HASHMAP(parent_map, uint64_t, uint64_t, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

struct bfs {
	struct parent_map parent;
	struct addr_vector queue;
	size_t head;
	uint64_t from, target;
	bool found, oom;
	struct clrsos_watch *watch;
	struct clrsos_error *stop;
};

static void bfs_ref(void *ctx, uint64_t ref)
{
	struct bfs *b = ctx;
	if (b->found || b->oom || b->stop || !ref || (b->stop = clrsos_watch_tick(b->watch)))
		return;
	struct parent_map_entry *e;
	bool inserted;
	if (parent_map_insert(&b->parent, ref, &e, &inserted)) {
		b->oom = true;
		return;
	}
	if (!inserted)
		return;
	e->value = b->from;
	if (ref == b->target)
		b->found = true;
	else if (addr_vector_push(&b->queue, ref))
		b->oom = true;
}

struct clrsos_error *clrsos_objsize_path(struct clrsos_heap *heap, uint64_t source, uint64_t target,
					 uint64_t **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	struct clrsos_error *err = clrsos_heap_check_walkable(heap);
	if (err)
		return err;
	struct bfs b = {.target = target, .watch = clrsos_heap_watch(heap)};
	struct clrsos_types *types = clrsos_heap_types(heap);
	uint8_t *buf = NULL;
	size_t buf_cap = 0;
	/* The source's parent is itself: the chain ends there. */
	b.from = source;
	bfs_ref(&b, source);
	if (source == target)
		b.found = true;
	while (!b.found && !b.oom && !b.stop && b.head < b.queue.count) {
		uint64_t obj = b.queue.items[b.head++];
		const struct clrsos_type *t;
		uint64_t size;
		struct clrsos_error *e = clrsos_heap_read_object(heap, obj, &t, &size, &buf, &buf_cap);
		if (clrsos_error_is_no_memory(e)) {
			err = e;
			break;
		}
		if (e) {
			clrsos_error_destroy(e);
			continue;
		}
		b.from = obj;
		clrsos_types_for_each_ref(types, t, buf, size, bfs_ref, &b);
	}
	if (!err && b.stop)
		err = b.stop;
	else
		clrsos_error_destroy(b.stop);
	if (!err && b.oom)
		err = &clrsos_error_no_memory;
	if (!err && b.found) {
		size_t n = 1;
		for (uint64_t a = target; a != source; n++) {
			struct parent_map_entry *e = parent_map_find(&b.parent, a);
			if (!e || n > b.parent.count + 1)
				break; /* cannot happen: every object met has a parent met before it */
			a = e->value;
		}
		uint64_t *chain = malloc(n * sizeof(*chain));
		if (!chain) {
			err = &clrsos_error_no_memory;
		} else {
			uint64_t a = target;
			for (size_t i = n; i-- > 0;) {
				chain[i] = a;
				struct parent_map_entry *e = parent_map_find(&b.parent, a);
				a = e ? e->value : source;
			}
			*ret = chain;
			*ret_count = n;
		}
	}
	parent_map_deinit(&b.parent);
	addr_vector_deinit(&b.queue);
	free(buf);
	return err;
}
