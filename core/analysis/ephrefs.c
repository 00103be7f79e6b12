/*
 * Ephemeral references: see ephrefs.h.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/ephrefs.h"
#include "model/types.h"
#include "base/vector.h"
#include "base/watch.h"

/* A reference met during the walk, resolved after it. */
struct pending {
	uint64_t object;
	const struct clrsos_type *type;
	uint64_t size;
	enum clrsos_generation object_generation, reference_generation;
	uint64_t ref;
};

CLRSOS_VECTOR(pending_vector, struct pending)
CLRSOS_VECTOR(link_vector, struct clrsos_link)

struct walker {
	struct clrsos_heap *heap;
	struct clrsos_types *types;
	struct pending_vector found;
	struct pending current;  /* the object whose references are being read */
	bool ephrefs;            /* ephrefs, else ephtoloh */
	struct clrsos_error *err;
	uint8_t *buf;
	size_t buf_cap;
};

static bool is_ephemeral(enum clrsos_generation g)
{
	return g == CLRSOS_GEN0 || g == CLRSOS_GEN1;
}

static void on_ref(void *ctx, uint64_t ref)
{
	struct walker *w = ctx;
	if (w->err)
		return;
	const struct clrsos_segment *s = clrsos_heap_segment_of(w->heap, ref);
	if (!s)
		return;
	enum clrsos_generation g = clrsos_heap_generation_of(w->heap, s, ref);
	enum clrsos_generation from = w->current.object_generation;
	bool keep;
	if (w->ephrefs)
		keep = g == CLRSOS_GEN0 || (g == CLRSOS_GEN1 && from != CLRSOS_GEN1);
	else
		keep = is_ephemeral(from) ? g == CLRSOS_GEN_LOH : is_ephemeral(g);
	if (!keep)
		return;
	struct pending p = w->current;
	p.reference_generation = g;
	p.ref = ref;
	w->err = pending_vector_push(&w->found, p);
}

static bool on_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct walker *w = ctx;
	enum clrsos_generation g = obj->generation;
	if (!obj->type->contains_pointers || g == CLRSOS_GEN_FROZEN)
		return true;
	if (w->ephrefs ? g == CLRSOS_GEN0 : !(is_ephemeral(g) || g == CLRSOS_GEN_LOH))
		return true;
	const uint8_t *bytes = obj->bytes;
	uint64_t size = obj->size;
	if (obj->bytes_len < size) {
		/* Runs past the walk's read block: read it whole. */
		const struct clrsos_type *t;
		struct clrsos_error *err = clrsos_heap_read_object(w->heap, obj->address, &t, &size, &w->buf,
								   &w->buf_cap);
		if (err) {
			if (clrsos_error_is_no_memory(err)) {
				w->err = err;
				return false;
			}
			clrsos_error_destroy(err); /* the walk took it, a read now cannot: leave it out */
			return true;
		}
		bytes = w->buf;
	}
	w->current = (struct pending){obj->address, obj->type, obj->size, g, g, 0};
	clrsos_types_for_each_ref(w->types, obj->type, bytes, size, on_ref, w);
	return !w->err;
}

static struct clrsos_error *walk(struct walker *w, struct clrsos_heap *heap, bool ephrefs,
				 struct clrsos_walk_result *result)
{
	memset(w, 0, sizeof(*w));
	w->heap = heap;
	w->types = clrsos_heap_types(heap);
	w->ephrefs = ephrefs;
	pending_vector_init(&w->found);
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_error *err = clrsos_heap_walk(heap, &filter, on_object, w, NULL, NULL, result);
	free(w->buf);
	if (!err)
		err = w->err;
	else
		clrsos_error_destroy(w->err);
	if (err)
		pending_vector_deinit(&w->found);
	return err;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int compare_rows(const void *a, const void *b)
{
	const struct clrsos_ephref *x = a, *y = b;
	if (x->object_generation != y->object_generation)
		return x->object_generation < y->object_generation ? -1 : 1;
	if (x->reference_generation != y->reference_generation)
		return x->reference_generation < y->reference_generation ? -1 : 1;
	return compare_u64(&x->object, &y->object);
}

struct clrsos_error *clrsos_ephrefs_init(struct clrsos_ephrefs *r, struct clrsos_heap *heap)
{
	memset(r, 0, sizeof(*r));
	struct walker w;
	struct clrsos_error *err = walk(&w, heap, true, &r->walk);
	if (err)
		return err;
	size_t cap = 0;
	uint64_t *refs = w.found.count ? malloc(w.found.count * sizeof(*refs)) : NULL;
	uint64_t *sizes = w.found.count ? malloc(w.found.count * sizeof(*sizes)) : NULL;
	if (w.found.count && (!refs || !sizes))
		err = &clrsos_error_no_memory;
	/* Each younger object's size; one the heap does not hold as an object is left out, as SOS does. */
	size_t nrefs = 0;
	struct clrsos_watch *watch = clrsos_heap_watch(heap);
	for (size_t i = 0; !err && i < w.found.count; i++) {
		if (watch && (err = clrsos_watch_tick(watch)))
			break;
		struct pending *p = &w.found.items[i];
		const struct clrsos_type *t;
		uint64_t size;
		struct clrsos_error *e = clrsos_heap_object_at(heap, p->ref, &t, &size);
		if (e) {
			if (clrsos_error_is_no_memory(e))
				err = e;
			else
				clrsos_error_destroy(e);
			continue;
		}
		if (t->is_free)
			continue;
		/* Rows: consecutive references of one object to one generation. */
		struct clrsos_ephref *last = r->count ? &r->rows[r->count - 1] : NULL;
		if (!last || last->object != p->object || last->reference_generation != p->reference_generation) {
			if ((err = clrsos_array_reserve(&r->rows, &cap, r->count + 1)))
				break;
			last = &r->rows[r->count++];
			*last = (struct clrsos_ephref){p->object, p->type, p->size, p->object_generation,
						       p->reference_generation, 0, 0};
		}
		last->count++;
		last->ref_size += size;
		refs[nrefs] = p->ref;
		sizes[nrefs++] = size;
	}
	if (!err) {
		/* Distinct younger objects: sort their (address, size) by address. */
		uint64_t (*pairs)[2] = nrefs ? malloc(nrefs * sizeof(*pairs)) : NULL;
		if (nrefs && !pairs) {
			err = &clrsos_error_no_memory;
		} else {
			for (size_t i = 0; i < nrefs; i++) {
				pairs[i][0] = refs[i];
				pairs[i][1] = sizes[i];
			}
			qsort(pairs, nrefs, sizeof(*pairs), compare_u64);
			for (size_t i = 0; i < nrefs; i++) {
				if (i && pairs[i][0] == pairs[i - 1][0])
					continue;
				r->referenced++;
				r->referenced_bytes += pairs[i][1];
			}
			free(pairs);
			qsort(r->rows, r->count, sizeof(*r->rows), compare_rows);
		}
	}
	free(refs);
	free(sizes);
	pending_vector_deinit(&w.found);
	if (err)
		clrsos_ephrefs_deinit(r);
	return err;
}

void clrsos_ephrefs_deinit(struct clrsos_ephrefs *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

static int compare_links(const void *a, const void *b)
{
	const struct clrsos_link *x = a, *y = b;
	int c = compare_u64(&x->from, &y->from);
	return c ? c : compare_u64(&x->to, &y->to);
}

struct clrsos_error *clrsos_ephtoloh_init(struct clrsos_ephtoloh *r, struct clrsos_heap *heap)
{
	memset(r, 0, sizeof(*r));
	struct walker w;
	struct clrsos_error *err = walk(&w, heap, false, &r->walk);
	if (err)
		return err;
	struct link_vector to_large, from_large;
	link_vector_init(&to_large);
	link_vector_init(&from_large);
	struct clrsos_watch *watch = clrsos_heap_watch(heap);
	for (size_t i = 0; !err && i < w.found.count; i++) {
		if (watch && (err = clrsos_watch_tick(watch)))
			break;
		struct pending *p = &w.found.items[i];
		const struct clrsos_type *t;
		struct clrsos_error *e = clrsos_heap_object_at(heap, p->ref, &t, NULL);
		if (e) {
			if (clrsos_error_is_no_memory(e))
				err = e;
			else
				clrsos_error_destroy(e);
			continue;
		}
		if (t->is_free)
			continue;
		struct clrsos_link link = {p->object, p->ref, p->type, t};
		err = link_vector_push(p->object_generation == CLRSOS_GEN_LOH ? &from_large : &to_large, link);
	}
	pending_vector_deinit(&w.found);
	if (err) {
		link_vector_deinit(&to_large);
		link_vector_deinit(&from_large);
		return err;
	}
	qsort(to_large.items, to_large.count, sizeof(*to_large.items), compare_links);
	qsort(from_large.items, from_large.count, sizeof(*from_large.items), compare_links);
	link_vector_steal(&to_large, &r->to_large, &r->nto_large);
	link_vector_steal(&from_large, &r->from_large, &r->nfrom_large);
	return NULL;
}

void clrsos_ephtoloh_deinit(struct clrsos_ephtoloh *r)
{
	free(r->to_large);
	free(r->from_large);
	memset(r, 0, sizeof(*r));
}
