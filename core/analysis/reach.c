#include "analysis/reach.h"

#include "base/vector.h"
#include "analysis/markbits.h"
#include "model/roots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	CHUNK_SHIFT = 16,               /* the read cache's unit: 64 KB */
	CACHE_ENTRIES = 256,            /* 16 MB of heap bytes at most */
	TYPE_CACHE_ENTRIES = 1024,      /* MethodTables met, direct-mapped */
	MAX_DEPENDENT_ROUNDS = 1 << 20,
};

CLRSOS_VECTOR(u64_vector, uint64_t)

/* A direct-mapped cache of 64 KB chunks of target memory, for random reads. */
struct chunk {
	uint64_t base;       /* chunk address, or 1 for empty */
	size_t len;          /* bytes the target had */
	const uint8_t *bytes; /* data, or the debugger's own bytes in place */
	uint8_t *data;       /* a copy, where the debugger gives no view */
};

struct clrsos_reach {
	struct clrsos_heap *heap;
	const struct clrsos_gc *gc;
	struct clrsos_target *target;
	struct clrsos_types *types;
	uint64_t **bits;         /* per segment: one bit per 8 bytes of [start, end) */
	struct u64_vector stack; /* objects to scan */
	struct chunk cache[CACHE_ENTRIES];
	struct {
		uint64_t mt;
		const struct clrsos_type *type;
	} tcache[TYPE_CACHE_ENTRIES];
	/* The segment of the last reference marked (NULL: none yet), and its bits. */
	const struct clrsos_segment *seg;
	uint64_t *seg_bits;
	uint8_t *scratch;        /* an object's bytes */
	size_t scratch_cap;
	struct clrsos_reach_stats stats;
	struct clrsos_roots roots;
	bool oom;
	bool roots_only;           /* roots gathered and checked, nothing marked */
	struct clrsos_error *stop; /* the user interrupted the marking */
	uint64_t marked_bytes, heap_bytes; /* for progress */
};

static const uint8_t *cached_read(struct clrsos_reach *r, uint64_t address, size_t len,
				  size_t *ret_len)
{
	uint64_t base = address & ~(((uint64_t)1 << CHUNK_SHIFT) - 1);
	size_t off = (size_t)(address - base);
	if (off + len <= ((size_t)1 << CHUNK_SHIFT)) {
		struct chunk *c = &r->cache[(base >> CHUNK_SHIFT) % CACHE_ENTRIES];
		if (c->base != base) {
			/* A core's bytes copied from its file where the debugger can
			 * (each chunk is read about once: 1.1 times the heap on a
			 * 10 M-object core), else in place, else read. */
			const size_t CHUNK = (size_t)1 << CHUNK_SHIFT;
			if (!c->data && !(c->data = malloc(CHUNK))) {
				r->oom = true;
				return NULL;
			}
			size_t got = clrsos_target_scan(r->target, base, c->data, CHUNK);
			const uint8_t *view = NULL;
			if (got == CHUNK) {
				c->bytes = c->data;
			} else if ((view = clrsos_target_view(r->target, base, CHUNK, &got)) && got == CHUNK) {
				c->bytes = view;
			} else {
				got = 0;
				struct clrsos_error *err = clrsos_target_read_partial(r->target, base, c->data, CHUNK, &got);
				if (clrsos_error_ignore(err)) /* unreadable: as far as it was read */
					r->oom = true;
				c->bytes = c->data;
			}
			c->base = base;
			c->len = got;
		}
		*ret_len = c->len > off ? (c->len - off < len ? c->len - off : len) : 0;
		return c->bytes + off;
	}
	/* Bigger than a chunk, or across chunks: in place if it can be, else read it whole. */
	size_t have = 0;
	const uint8_t *view = clrsos_target_view(r->target, address, len, &have);
	if (view && have == len) {
		*ret_len = len;
		return view;
	}
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
	if (clrsos_error_ignore(err)) /* unreadable: as far as it was read */
		r->oom = true;
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
	return bits ? clrsos_markbits_word(bits, s, address, mask) : NULL;
}

bool clrsos_reach_is_frozen(const struct clrsos_reach *r, uint64_t address)
{
	const struct clrsos_segment *s = clrsos_heap_segment_of(r->heap, address);
	return s && s->kind == CLRSOS_SEGMENT_FROZEN;
}

bool clrsos_reach_is_live(const struct clrsos_reach *r, uint64_t address)
{
	/* NonGC (frozen) objects are never collected, whoever refers to them. */
	if (clrsos_reach_is_frozen(r, address))
		return true;
	uint64_t mask;
	uint64_t *w = bit_word((struct clrsos_reach *)r, address, &mask);
	return w && (*w & mask);
}

const struct clrsos_reach_stats *clrsos_reach_stats(const struct clrsos_reach *r)
{
	return &r->stats;
}

const struct clrsos_roots *clrsos_reach_roots(const struct clrsos_reach *r)
{
	return &r->roots;
}

static void push(struct clrsos_reach *r, uint64_t object)
{
	if (u64_vector_push(&r->stack, object))
		r->oom = true;
}

/* The type of MethodTable mt (the heap's types), through a small cache; NULL if none. */
static const struct clrsos_type *type_of(struct clrsos_reach *r, uint64_t mt)
{
	size_t i = (size_t)(mt >> 3) & (TYPE_CACHE_ENTRIES - 1);
	if (r->tcache[i].mt == mt && mt)
		return r->tcache[i].type;
	const struct clrsos_type *type = clrsos_types_get(r->types, mt);
	if (type) {
		r->tcache[i].mt = mt;
		r->tcache[i].type = type;
	}
	return type;
}

/* Mark object if it is in the heap and not yet marked; then scan it later. */
static void mark(void *ctx, uint64_t object)
{
	struct clrsos_reach *r = ctx;
	uint64_t mask;
	/* Most references lead into the segment of the one before. */
	if (!r->seg || object - r->seg->start >= r->seg->end - r->seg->start) {
		const struct clrsos_segment *s = clrsos_heap_segment_of(r->heap, object);
		uint64_t *bits = s ? r->bits[s - r->gc->segments] : NULL;
		if (bits) {
			r->seg = s;
			r->seg_bits = bits;
		}
	}
	uint64_t *w = r->seg && object - r->seg->start < r->seg->end - r->seg->start && !(object & 7)
			      ? clrsos_markbits_word(r->seg_bits, r->seg, object, &mask)
			      : NULL;
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

/* How much of the heap is marked live so far (most of a heap is, often). */
static void show_progress(struct clrsos_reach *r)
{
	struct clrsos_watch *w = clrsos_heap_watch(r->heap);
	if (!clrsos_watch_due(w, false))
		return;
	char text[200];
	snprintf(text, sizeof(text), "%3u%% of %llu MB of heap marked live so far (%llu objects)",
		 r->heap_bytes ? (unsigned)(r->marked_bytes * 100 / r->heap_bytes) : 100,
		 (unsigned long long)(r->heap_bytes >> 20), (unsigned long long)r->stats.marked);
	clrsos_watch_show(w, text);
}

/* Scan the marked objects on the stack until it is empty. */
static void drain(struct clrsos_reach *r)
{
	while (r->stack.count && !r->oom && !r->stop) {
		if ((r->stop = clrsos_watch_tick(clrsos_heap_watch(r->heap))))
			break;
		uint64_t object = *u64_vector_pop(&r->stack);
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
		const struct clrsos_type *type = type_of(r, mt & ~(uint64_t)7);
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
		uint64_t size = clrsos_object_size(type, type->component_size ? components : 0);
		r->marked_bytes += size;
		if (!(r->stats.marked & 0xffff))
			show_progress(r);
		if (!type->contains_pointers)
			continue;
		const struct clrsos_segment *s = r->seg;
		if (!s || object - s->start >= s->end - s->start)
			s = clrsos_heap_segment_of(r->heap, object);
		if (!s || size > s->end - object)
			continue;
		const uint8_t *bytes = cached_read(r, object, (size_t)size, &got);
		if (!bytes || got < size)
			continue;
		clrsos_types_for_each_ref(r->types, type, bytes, size, mark, r);
	}
}

/* A root that may point inside an object: mark the object that holds it. */
static void mark_root(struct clrsos_reach *r, uint64_t object, bool interior, const struct clrsos_root *root)
{
	r->stats.roots++;
	if (!object)
		return;
	uint64_t start = object;
	struct clrsos_error *err = NULL;
	if (interior)
		err = clrsos_heap_find_object(r->heap, object, &start, NULL);
	if (!err && root) {
		/* A root must hold an object: one that holds garbage is reported, not followed. */
		const struct clrsos_type *t;
		uint64_t size;
		err = clrsos_heap_read_object(r->heap, start, &t, &size, NULL, NULL);
	}
	if (clrsos_error_is_no_memory(err)) {
		r->oom = true; /* not a bad root */
		return;
	}
	if (err) {
		bool unreadable = err->code == CLRSOS_ERROR_FAULT;
		clrsos_error_destroy(err);
		if (root && root->kind == CLRSOS_ROOT_STACK)
			r->stats.stack_slots_not_objects++;
		else if (root && !r->stats.bad_roots++) {
			r->stats.first_bad_root = root->address;
			r->stats.first_bad_root_kind = root->kind;
			r->stats.first_bad_root_value = object;
			r->stats.first_bad_root_unreadable = unreadable;
		}
		return;
	}
	if (r->roots_only)
		return;
	mark(r, start);
	drain(r);
}

/* A dependent handle keeps its secondary alive while its primary is: repeat to a fixpoint. */
static void mark_dependents(struct clrsos_reach *r, const struct clrsos_dependent *deps, size_t n)
{
	bool changed = true;
	for (size_t round = 0; changed && !r->stop && round < MAX_DEPENDENT_ROUNDS; round++) {
		changed = false;
		for (size_t i = 0; i < n && !r->stop; i++) {
			if (!deps[i].primary || !deps[i].secondary ||
			    !clrsos_reach_is_live(r, deps[i].primary) ||
			    clrsos_reach_is_live(r, deps[i].secondary))
				continue;
			mark_root(r, deps[i].secondary, false, NULL);
			changed = clrsos_reach_is_live(r, deps[i].secondary) || changed;
		}
	}
}

static struct clrsos_error *create(struct clrsos_dac *dac, struct clrsos_target *target, struct clrsos_heap *heap,
				   bool roots_only, struct clrsos_reach **ret)
{
	/* Marking follows references into objects the GC may be moving. */
	struct clrsos_error *refused = clrsos_heap_check_walkable(heap);
	if (refused)
		return refused;
	struct clrsos_reach *r = calloc(1, sizeof(*r));
	if (!r)
		return &clrsos_error_no_memory;
	r->heap = heap;
	r->gc = clrsos_heap_gc(heap);
	r->target = target;
	r->types = clrsos_heap_types(heap);
	r->roots_only = roots_only;
	for (size_t i = 0; i < CACHE_ENTRIES; i++)
		r->cache[i].base = 1;
	struct clrsos_error *err = NULL;
	r->bits = calloc(r->gc->nsegments ? r->gc->nsegments : 1, sizeof(*r->bits));
	if (!r->bits)
		err = &clrsos_error_no_memory;
	for (size_t i = 0; !err && !roots_only && i < r->gc->nsegments; i++) {
		const struct clrsos_segment *s = &r->gc->segments[i];
		uint64_t words = clrsos_markbits_words(s);
		r->bits[i] = calloc(words ? words : 1, sizeof(uint64_t));
		r->stats.bytes += words * sizeof(uint64_t);
		if (!r->bits[i])
			err = &clrsos_error_no_memory;
	}
	if (!err)
		err = clrsos_roots_init(dac, target, r->gc, &r->roots);
	struct clrsos_watch *watch = clrsos_heap_watch(heap);
	for (size_t i = 0; i < r->gc->nsegments; i++)
		r->heap_bytes += r->gc->segments[i].end - r->gc->segments[i].start;
	for (size_t i = 0; !err && !r->stop && i < r->roots.count; i++)
		mark_root(r, r->roots.items[i].object, r->roots.items[i].interior, &r->roots.items[i]);
	if (!err && !r->stop && !roots_only)
		mark_dependents(r, r->roots.dependents, r->roots.ndependents);
	/* Interrupted (where a lookup's error was taken for a bad root, too): nothing kept. */
	if (!err && !r->stop && clrsos_watch_stopped(watch))
		r->stop = clrsos_watch_error(watch);
	if (!err && r->stop) {
		err = r->stop;
		r->stop = NULL;
	}
	clrsos_error_destroy(r->stop);
	r->stats.threads = r->roots.threads;
	r->stats.threads_failed = r->roots.threads_failed;
	if (!err && r->oom)
		err = &clrsos_error_no_memory;
	if (err) {
		clrsos_reach_destroy(r);
		return err;
	}
	*ret = r;
	return NULL;
}

struct clrsos_error *clrsos_reach_create(struct clrsos_dac *dac, struct clrsos_target *target,
					  struct clrsos_heap *heap, struct clrsos_reach **ret)
{
	return create(dac, target, heap, false, ret);
}

struct clrsos_error *clrsos_reach_create_roots(struct clrsos_dac *dac, struct clrsos_target *target,
						struct clrsos_heap *heap, struct clrsos_reach **ret)
{
	return create(dac, target, heap, true, ret);
}

void clrsos_reach_destroy(struct clrsos_reach *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->bits && i < r->gc->nsegments; i++)
		free(r->bits[i]);
	free(r->bits);
	clrsos_roots_deinit(&r->roots);
	u64_vector_deinit(&r->stack);
	for (size_t i = 0; i < CACHE_ENTRIES; i++)
		free(r->cache[i].data);
	free(r->scratch);
	free(r);
}

void clrsos_reach_warnings(const struct clrsos_reach *r, char ret[2][256], size_t *count)
{
	size_t n = 0;
	const struct clrsos_reach_stats *st = &r->stats;
	if (st->threads_failed)
		snprintf(ret[n++], 256,
			 "the stacks of %llu managed thread%s could not be read: what only they keep alive is not "
			 "seen (counted dead); a dump made with createdump --full has them",
			 (unsigned long long)st->threads_failed, st->threads_failed == 1 ? "" : "s");
	if (st->bad_roots) {
		const char *kind = st->first_bad_root_kind == CLRSOS_ROOT_HANDLE  ? "handle"
				   : st->first_bad_root_kind == CLRSOS_ROOT_FINALIZER ? "finalizer queue entry"
										 : "static slot";
		char what[128];
		if (st->first_bad_root_unreadable)
			snprintf(what, sizeof(what), "its memory is not in the dump: a dump made with createdump --full has it");
		else
			snprintf(what, sizeof(what), "the heap may be damaged: dumpobj 0x%llx shows what is there",
				 (unsigned long long)st->first_bad_root_value);
		snprintf(ret[n++], 256,
			 "%llu root%s hold%s no valid object (the first: %s 0x%llx holds 0x%llx): what only %s kept alive "
			 "is counted dead; %s",
			 (unsigned long long)st->bad_roots, st->bad_roots == 1 ? "" : "s", st->bad_roots == 1 ? "s" : "",
			 kind, (unsigned long long)st->first_bad_root, (unsigned long long)st->first_bad_root_value,
			 st->bad_roots == 1 ? "it" : "they", what);
	}
	*count = n;
}
