#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/glibcheap.h"
#include "base/output.h"
#include "base/vector.h"
#include "base/watch.h"
#include "target/elfimage.h"
#include "target/target.h"

/* glibc's malloc on x86-64 (offsets verified on 2.36 against its DWARF). */
enum {
	MSTATE_SIZE = 2200,
	MS_MUTEX = 0,
	MS_FLAGS = 4,
	MS_HAVE_FAST = 8,
	MS_FASTBINS = 16,
	NFASTBINS = 10,
	MS_TOP = 96,
	MS_BINS = 112,
	NBIN_PAIRS = 127, /* bins 1..127; 127 is never used */
	MS_NEXT = 2160,
	MS_SYSTEM_MEM = 2184,
	MS_MAX_SYSTEM_MEM = 2192,
	NONCONTIGUOUS_BIT = 2,

	MP_SIZE = 136,
	MP_MMAP_THRESHOLD = 16,
	MP_THP_PAGESIZE = 40,
	MP_HP_PAGESIZE = 48,
	MP_N_MMAPS = 60,
	MP_MAX_N_MMAPS = 68,
	MP_MMAPPED_MEM = 80,
	MP_MAX_MMAPPED_MEM = 88,
	MP_SBRK_BASE = 96,
	MP_TCACHE_BINS = 104,
	MP_TCACHE_MAX_BYTES = 112,
	MP_TCACHE_COUNT = 120,

	PREV_INUSE = 1,
	IS_MMAPPED = 2,
	NON_MAIN_ARENA = 4,
	MINSIZE = 32,
	HDR = 16, /* prev_size and size: the user's bytes start here */

	TCACHE_BINS = 64,
	TCACHE_STRUCT_CHUNK = 0x290,
};

static const uint64_t HEAP_MAX_DEFAULT = 64ull << 20;
static const size_t WINDOW = 1u << 20;
/* Bounds no real heap reaches: keep a damaged header from asking for terabytes. */
static const uint64_t MAX_SEGMENT = 1ull << 40;
static const size_t MAX_ARENAS = 4096;
static const size_t MAX_HEAPS_PER_ARENA = 65536;

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* A chunk met by the linear walk, with its first two user words (fd/bk, or tcache next/key). */
enum chunk_state { CHUNK_IN_USE, CHUNK_FREE, CHUNK_TOP, CHUNK_BINNED, CHUNK_FAST, CHUNK_TCACHE };
struct chunk {
	uint64_t address, size;
	uint64_t w0, w1;
	uint32_t arena;
	uint8_t state;
};
CLRSOS_VECTOR(chunk_vector, struct chunk)
CLRSOS_VECTOR(segment_vector, struct clrsos_glibc_segment)

/* A block of a heap in memory: reads go through it, a megabyte at a time. */
struct window {
	struct clrsos_target *target;
	uint8_t *buf;
	uint64_t start;
	size_t len;
	uint64_t limit; /* the heap's end: never read past it */
};

static struct clrsos_error *window_get(struct window *w, uint64_t address, size_t size, const uint8_t **ret)
{
	if (address >= w->start && address + size <= w->start + w->len) {
		*ret = w->buf + (address - w->start);
		return NULL;
	}
	size_t want = WINDOW;
	if (w->limit > address && w->limit - address < want)
		want = (size_t)(w->limit - address);
	if (want < size)
		want = size;
	struct clrsos_error *err = clrsos_target_read(w->target, address, w->buf, want);
	if (err) {
		w->len = 0;
		return err;
	}
	w->start = address;
	w->len = want;
	*ret = w->buf;
	return NULL;
}

struct walk {
	struct clrsos_target *target;
	struct clrsos_watch *watch; /* ticked for every chunk of the linear walk */
	struct clrsos_glibc_heap *heap;
	struct chunk_vector chunks;
	struct window win;
	uint64_t tcache_count; /* mp_.tcache_count */
	uint64_t heap_max;
};

/* Record the damage of arena a (the first only; text malloc'd, taken): its walk stops. */
static void set_damage(struct clrsos_glibc_arena *a, uint64_t address, char *text)
{
	if (a->damage) {
		free(text);
		return;
	}
	a->damage = text ? text : strdup("damaged");
	a->damage_address = address;
}
#define DAMAGE(a, address, ...) set_damage((a), (address), clrsos_strdup_printf(__VA_ARGS__))

/* A fault reading a heap: memory the core does not have, said as such. */
static struct clrsos_error *missing(struct clrsos_error *err, uint64_t arena)
{
	if (clrsos_error_is_no_memory(err) || err->code != CLRSOS_ERROR_FAULT)
		return err;
	uint64_t at = err->address;
	clrsos_error_destroy(err);
	return clrsos_error_fault(at, "the native heap's memory at 0x%" PRIx64 " (arena 0x%" PRIx64
				  ") is not in the target: a core without the process's anonymous memory cannot show it",
				  at, arena);
}

/*
 * The chunks of one heap segment [first, end), top being the arena's top
 * chunk when it lies here. stop_at_fence: a heap an arena has left (its
 * last chunk is a fencepost). A failed check is the arena's damage.
 */
static struct clrsos_error *walk_segment(struct walk *wk, uint32_t ai, uint64_t first, uint64_t end, uint64_t top)
{
	struct clrsos_glibc_arena *a = &wk->heap->arenas[ai];
	bool thread = !a->main;
	wk->win.limit = end;
	wk->win.len = 0;
	uint64_t p = first;
	while (p < end) {
		const uint8_t *h;
		struct clrsos_error *err = clrsos_watch_tick(wk->watch);
		if (err)
			return err;
		if (p + HDR > end) {
			DAMAGE(a, p, "chunk header at 0x%" PRIx64 " runs past the heap's end 0x%" PRIx64, p, end);
			return NULL;
		}
		if ((err = window_get(&wk->win, p, HDR, &h)))
			return missing(err, a->address);
		uint64_t word = u64_at(h + 8);
		uint64_t size = word & ~(uint64_t)7;
		if (p & 15) {
			DAMAGE(a, p, "misaligned chunk at 0x%" PRIx64, p);
			return NULL;
		}
		if (p == top) {
			if (size < MINSIZE || size & 15 || p + size != end) {
				DAMAGE(a, p, "top chunk at 0x%" PRIx64 " has size 0x%" PRIx64
						  " but its heap ends at 0x%" PRIx64, p, size, end);
				return NULL;
			}
			struct chunk *c = chunk_vector_push_slot(&wk->chunks);
			if (!c)
				return &clrsos_error_no_memory;
			*c = (struct chunk){.address = p, .size = size, .arena = ai, .state = CHUNK_TOP};
			return NULL;
		}
		if (top == 0 && word == PREV_INUSE) {
			/* The end-of-heap fencepost (size 0) of a heap the arena left: the rest is overhead. */
			return NULL;
		}
		if (word & IS_MMAPPED) {
			DAMAGE(a, p, "chunk at 0x%" PRIx64 " in an arena's heap is marked mmapped (size word 0x%" PRIx64 ")",
					  p, word);
			return NULL;
		}
		if (size & 15 || size < HDR || (size < MINSIZE && top != 0)) {
			DAMAGE(a, p, "bad chunk size 0x%" PRIx64 " at 0x%" PRIx64, size, p);
			return NULL;
		}
		if (size > end - p || (size == end - p && top != 0)) {
			DAMAGE(a, p, "chunk at 0x%" PRIx64 " of size 0x%" PRIx64 " runs past its heap's end 0x%" PRIx64,
					  p, size, end);
			return NULL;
		}
		uint64_t next = p + size;
		if (size < MINSIZE) {
			/* A fencepost chunk (16 bytes): only right before the 0|PREV_INUSE end marker. */
			const uint8_t *n;
			if (next + HDR > end || (err = window_get(&wk->win, next, HDR, &n)) || u64_at(n + 8) != PREV_INUSE) {
				if (err)
					return missing(err, a->address);
				DAMAGE(a, p, "bad chunk size 0x%" PRIx64 " at 0x%" PRIx64, size, p);
				return NULL;
			}
			return NULL;
		}
		const uint8_t *body;
		if ((err = window_get(&wk->win, p, 2 * HDR, &body)))
			return missing(err, a->address);
		uint64_t w0 = u64_at(body + 16), w1 = u64_at(body + 24);
		const uint8_t *n;
		if (next + HDR > end) {
			DAMAGE(a, p, "chunk at 0x%" PRIx64 " of size 0x%" PRIx64 " leaves no room for the next header",
					  p, size);
			return NULL;
		}
		if ((err = window_get(&wk->win, next, HDR, &n)))
			return missing(err, a->address);
		bool in_use = u64_at(n + 8) & PREV_INUSE;
		if (in_use && thread != ((word & NON_MAIN_ARENA) != 0)) {
			DAMAGE(a, p, "chunk at 0x%" PRIx64 " %s the NON_MAIN_ARENA bit in %s arena", p,
					  thread ? "lacks" : "has", thread ? "a thread" : "the main");
			return NULL;
		}
		if (!in_use && u64_at(n) != size) {
			DAMAGE(a, p, "free chunk at 0x%" PRIx64 " of size 0x%" PRIx64 " has footer 0x%" PRIx64, p, size,
					  u64_at(n));
			return NULL;
		}
		struct chunk *c = chunk_vector_push_slot(&wk->chunks);
		if (!c)
			return &clrsos_error_no_memory;
		*c = (struct chunk){.address = p, .size = size, .w0 = w0, .w1 = w1, .arena = ai,
				    .state = in_use ? CHUNK_IN_USE : CHUNK_FREE};
		p = next;
	}
	if (top != 0) {
		DAMAGE(a, top, "top chunk 0x%" PRIx64 " not reached in its heap", top);
	}
	return NULL;
}

static int chunk_cmp(const void *x, const void *y)
{
	const struct chunk *a = x, *b = y;
	return a->address < b->address ? -1 : a->address > b->address;
}

static struct chunk *chunk_find(struct walk *wk, uint64_t address)
{
	size_t lo = 0, hi = wk->chunks.count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t m = wk->chunks.items[mid].address;
		if (m == address)
			return &wk->chunks.items[mid];
		if (m < address)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Read an arena's malloc_state. */
static struct clrsos_error *read_mstate(struct walk *wk, uint64_t address, uint8_t *ms)
{
	struct clrsos_error *err = clrsos_target_read(wk->target, address, ms, MSTATE_SIZE);
	return err ? missing(err, address) : NULL;
}

/* The heaps of arena ai (from its malloc_state ms) and their chunks. */
static struct clrsos_error *walk_arena(struct walk *wk, uint32_t ai, const uint8_t *ms, uint64_t sbrk_base)
{
	struct clrsos_glibc_arena *a = &wk->heap->arenas[ai];
	uint64_t top = u64_at(ms + MS_TOP);
	a->system_bytes = u64_at(ms + MS_SYSTEM_MEM);
	a->top_address = top;
	struct segment_vector heaps;
	segment_vector_init(&heaps);
	struct clrsos_error *err = NULL;
	size_t chunks_before = wk->chunks.count;
	if (top == 0 || top & 15) {
		DAMAGE(a, a->address, "arena 0x%" PRIx64 " has a bad top chunk pointer 0x%" PRIx64, a->address, top);
		goto out;
	}
	uint64_t top_word;
	if ((err = clrsos_target_read_u64(wk->target, top + 8, &top_word))) {
		err = missing(err, a->address);
		goto out;
	}
	uint64_t top_end = top + (top_word & ~(uint64_t)7);
	if (a->main) {
		if (u32_at(ms + MS_FLAGS) & NONCONTIGUOUS_BIT) {
			DAMAGE(a, a->address, "the main arena is not contiguous (sbrk failed once): not walked");
			goto out;
		}
		uint64_t first = (sbrk_base + 15) & ~(uint64_t)15;
		if (sbrk_base == 0 || top < first || top_end < top || top_end - first > MAX_SEGMENT) {
			DAMAGE(a, top, "the main arena's top chunk 0x%" PRIx64 " is not above sbrk_base 0x%" PRIx64, top,
			       sbrk_base);
			goto out;
		}
		struct clrsos_glibc_segment s = {sbrk_base, top_end};
		if ((err = segment_vector_push(&heaps, s)))
			goto out;
		if ((err = walk_segment(wk, ai, first, top_end, top)))
			goto out;
	} else {
		/* The heaps first, newest (top's) to the arena's own: its header size tells the layout. */
		uint64_t h = top & ~(wk->heap_max - 1);
		while (h != 0) {
			if (heaps.count >= MAX_HEAPS_PER_ARENA) {
				DAMAGE(a, h, "arena 0x%" PRIx64 "'s heap list does not end (loop at 0x%" PRIx64 ")", a->address, h);
				goto out;
			}
			uint8_t hi[24];
			if ((err = clrsos_watch_tick(wk->watch)))
				goto out;
			if ((err = clrsos_target_read(wk->target, h, hi, sizeof(hi)))) {
				err = missing(err, a->address);
				goto out;
			}
			uint64_t ar = u64_at(hi), prev = u64_at(hi + 8), size = u64_at(hi + 16);
			if (ar != a->address) {
				DAMAGE(a, h, "heap 0x%" PRIx64 " belongs to arena 0x%" PRIx64 ", not to 0x%" PRIx64, h, ar, a->address);
				goto out;
			}
			if (size < 64 || size > wk->heap_max || prev & (wk->heap_max - 1)) {
				DAMAGE(a, h, "heap 0x%" PRIx64 " has a bad header (size 0x%" PRIx64 ", prev 0x%" PRIx64 ")", h, size,
				       prev);
				goto out;
			}
			for (size_t k = 0; k < heaps.count; k++)
				if (heaps.items[k].start == h) {
					DAMAGE(a, h, "arena 0x%" PRIx64 "'s heap list loops at 0x%" PRIx64, a->address, h);
					goto out;
				}
			if (heaps.count == 0 && top_end != h + size) {
				DAMAGE(a, top, "arena 0x%" PRIx64 "'s top chunk 0x%" PRIx64 " does not end its heap 0x%" PRIx64
				       " (ends at 0x%" PRIx64 ")", a->address, top, h, h + size);
				goto out;
			}
			struct clrsos_glibc_segment s = {h, h + size};
			if ((err = segment_vector_push(&heaps, s)))
				goto out;
			h = prev;
		}
		if (!heaps.count) {
			DAMAGE(a, top, "arena 0x%" PRIx64 "'s top chunk 0x%" PRIx64 " lies in no heap", a->address, top);
			goto out;
		}
		/* The arena's own heap: its malloc_state follows the heap_info (48 bytes, 32 before 2.35). */
		uint64_t own = heaps.items[heaps.count - 1].start;
		uint64_t gap = a->address - own;
		if (a->address < own || (gap != 48 && gap != 32)) {
			DAMAGE(a, own, "arena 0x%" PRIx64 " is not right after its first heap's header at 0x%" PRIx64, a->address,
			       own);
			goto out;
		}
		unsigned hsize = (unsigned)gap; /* 32 or 48 */
		if (wk->heap->heap_info_size && wk->heap->heap_info_size != hsize) {
			DAMAGE(a, own, "heap 0x%" PRIx64 " has a %u-byte header, other arenas' heaps %u", own, hsize,
			       wk->heap->heap_info_size);
			goto out;
		}
		wk->heap->heap_info_size = hsize;
		for (size_t k = 0; k < heaps.count && !a->damage; k++) {
			const struct clrsos_glibc_segment *s = &heaps.items[k];
			uint64_t first = k + 1 == heaps.count ? (a->address + MSTATE_SIZE + 15) & ~(uint64_t)15 : s->start + hsize;
			if ((err = walk_segment(wk, ai, first, s->end, k == 0 ? top : 0)))
				goto out;
		}
	}
out:
	if (!err && !a->damage) {
		uint64_t chunk_bytes = 0, span = 0;
		for (size_t i = chunks_before; i < wk->chunks.count; i++)
			chunk_bytes += wk->chunks.items[i].size;
		for (size_t i = 0; i < heaps.count; i++)
			span += heaps.items[i].end - heaps.items[i].start;
		a->overhead_bytes = span > chunk_bytes ? span - chunk_bytes : 0;
	}
	segment_vector_steal(&heaps, &a->heaps, &a->nheaps);
	return err;
}

/* Follow a fastbin list of arena a (bin i). */
static void walk_fastbin(struct walk *wk, uint32_t ai, unsigned i, uint64_t head)
{
	struct clrsos_glibc_arena *a = &wk->heap->arenas[ai];
	uint64_t want = (uint64_t)(i + 2) * 16;
	uint64_t p = head;
	while (p && !a->damage) {
		struct chunk *c = chunk_find(wk, p);
		if (!c || c->arena != ai) {
			DAMAGE(a, p, "fastbin %u of arena 0x%" PRIx64 " holds 0x%" PRIx64 ", not a chunk of that arena", i,
			       a->address, p);
			return;
		}
		if (c->state == CHUNK_FAST) {
			DAMAGE(a, p, "fastbin %u of arena 0x%" PRIx64 " loops at 0x%" PRIx64, i, a->address, p);
			return;
		}
		if (c->state != CHUNK_IN_USE || c->size != want) {
			DAMAGE(a, p, "fastbin %u of arena 0x%" PRIx64 " holds chunk 0x%" PRIx64 " of size 0x%" PRIx64
			       " (a fastbin chunk is 0x%" PRIx64 ", marked in use)", i, a->address, p, c->size, want);
			return;
		}
		c->state = CHUNK_FAST;
		p = c->w0 ^ ((p + HDR) >> 12);
	}
}

/* Follow the unsorted, small and large bins of arena ai. */
static void walk_bins(struct walk *wk, uint32_t ai, const uint8_t *ms)
{
	struct clrsos_glibc_arena *a = &wk->heap->arenas[ai];
	for (unsigned b = 0; b < NBIN_PAIRS && !a->damage; b++) {
		uint64_t header = a->address + MS_BINS + (uint64_t)b * 16 - HDR;
		uint64_t fd = u64_at(ms + MS_BINS + b * 16), bk = u64_at(ms + MS_BINS + b * 16 + 8);
		uint64_t prev = header, p = fd;
		while (p != header) {
			struct chunk *c = chunk_find(wk, p);
			if (!c || c->arena != ai) {
				DAMAGE(a, p, "bin %u of arena 0x%" PRIx64 " holds 0x%" PRIx64 ", not a chunk of that arena", b + 1,
				       a->address, p);
				return;
			}
			if (c->state == CHUNK_BINNED) {
				DAMAGE(a, p, "bin %u of arena 0x%" PRIx64 " loops at 0x%" PRIx64, b + 1, a->address, p);
				return;
			}
			if (c->state != CHUNK_FREE) {
				DAMAGE(a, p, "bin %u of arena 0x%" PRIx64 " holds chunk 0x%" PRIx64 ", which is not free", b + 1,
				       a->address, p);
				return;
			}
			if (c->w1 != prev) {
				DAMAGE(a, p, "chunk 0x%" PRIx64 " in bin %u: its bk 0x%" PRIx64 " is not the chunk before it 0x%" PRIx64,
				       p, b + 1, c->w1, prev);
				return;
			}
			c->state = CHUNK_BINNED;
			prev = p;
			p = c->w0;
		}
		if (bk != prev) {
			DAMAGE(a, header, "bin %u of arena 0x%" PRIx64 ": its bk 0x%" PRIx64 " is not its last chunk 0x%" PRIx64,
			       b + 1, a->address, bk, prev);
			return;
		}
	}
}

/*
 * A tcache_perthread_struct candidate: an in-use chunk of its size at the
 * start of an arena, whose counts and entries agree. Walks its lists
 * (safe-linked), learns the tcache key from them.
 */
static void walk_tcache(struct walk *wk, struct chunk *t)
{
	struct clrsos_glibc_arena *a = &wk->heap->arenas[t->arena];
	if (t->state != CHUNK_IN_USE || t->size != TCACHE_STRUCT_CHUNK)
		return;
	uint8_t tc[TCACHE_BINS * 2 + TCACHE_BINS * 8];
	if (clrsos_error_ignore(clrsos_target_read(wk->target, t->address + HDR, tc, sizeof(tc))))
		return;
	for (unsigned i = 0; i < TCACHE_BINS; i++) {
		uint16_t count;
		memcpy(&count, tc + 2 * i, 2);
		uint64_t e = u64_at(tc + 2 * TCACHE_BINS + 8 * i);
		if (count > wk->tcache_count || (count == 0) != (e == 0))
			return; /* not a tcache (or not ours to judge) */
	}
	for (unsigned i = 0; i < TCACHE_BINS && !a->damage; i++) {
		uint16_t count;
		memcpy(&count, tc + 2 * i, 2);
		uint64_t e = u64_at(tc + 2 * TCACHE_BINS + 8 * i);
		uint64_t want = MINSIZE + (uint64_t)i * 16;
		for (unsigned n = 0; e; n++) {
			if (n >= count) {
				DAMAGE(a, e - HDR, "tcache at 0x%" PRIx64 ": list %u is longer than its count %u (at 0x%" PRIx64 ")",
				       t->address + HDR, i, count, e - HDR);
				return;
			}
			if (e & 15) {
				DAMAGE(a, e, "tcache at 0x%" PRIx64 ": misaligned entry 0x%" PRIx64 " in list %u", t->address + HDR, e, i);
				return;
			}
			struct chunk *c = chunk_find(wk, e - HDR);
			if (!c) {
				DAMAGE(a, e - HDR, "tcache at 0x%" PRIx64 ": list %u holds 0x%" PRIx64 ", not a chunk of any arena",
				       t->address + HDR, i, e - HDR);
				return;
			}
			if (c->state == CHUNK_TCACHE) {
				DAMAGE(a, c->address, "tcache at 0x%" PRIx64 ": list %u loops at 0x%" PRIx64, t->address + HDR, i,
				       c->address);
				return;
			}
			if (c->state != CHUNK_IN_USE || c->size != want) {
				DAMAGE(a, c->address, "tcache at 0x%" PRIx64 ": list %u holds chunk 0x%" PRIx64 " of size 0x%" PRIx64
				       " (its chunks are 0x%" PRIx64 ", marked in use)", t->address + HDR, i, c->address, c->size, want);
				return;
			}
			if (!wk->heap->tcache_key_known) {
				wk->heap->tcache_key_known = true;
				wk->heap->tcache_key = c->w1;
			}
			c->state = CHUNK_TCACHE;
			e = c->w0 ^ (e >> 12);
		}
	}
}

static int class_cmp(const void *x, const void *y)
{
	const struct clrsos_glibc_size_class *a = x, *b = y;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return a->size > b->size ? -1 : a->size < b->size;
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Count every chunk into its arena, and the in-use ones by size. */
static struct clrsos_error *tally(struct walk *wk)
{
	struct clrsos_glibc_heap *hp = wk->heap;
	uint64_t *sizes = malloc((wk->chunks.count ? wk->chunks.count : 1) * sizeof(*sizes));
	if (!sizes)
		return &clrsos_error_no_memory;
	size_t nsizes = 0;
	for (size_t i = 0; i < wk->chunks.count; i++) {
		struct chunk *c = &wk->chunks.items[i];
		struct clrsos_glibc_arena *a = &hp->arenas[c->arena];
		if (c->state == CHUNK_IN_USE && hp->tcache_key_known && c->w1 == hp->tcache_key)
			c->state = CHUNK_TCACHE; /* another thread's tcache */
		switch (c->state) {
		case CHUNK_IN_USE:
			a->in_use_bytes += c->size;
			a->in_use_chunks++;
			sizes[nsizes++] = c->size;
			continue;
		case CHUNK_TOP:
			a->top_bytes = c->size;
			a->free_bytes += c->size;
			a->free_chunks++;
			continue;
		case CHUNK_FAST:
			a->fastbin_bytes += c->size;
			a->fastbin_chunks++;
			break;
		case CHUNK_TCACHE:
			a->tcache_bytes += c->size;
			a->tcache_chunks++;
			break;
		case CHUNK_FREE:
		case CHUNK_BINNED:
			a->binned_bytes += c->size;
			a->binned_chunks++;
			break;
		}
		a->free_bytes += c->size;
		a->free_chunks++;
		if (c->size > a->largest_free)
			a->largest_free = c->size;
	}
	qsort(sizes, nsizes, sizeof(*sizes), u64_cmp);
	size_t nclasses = 0;
	for (size_t i = 0; i < nsizes; i++)
		if (i == 0 || sizes[i] != sizes[i - 1])
			nclasses++;
	hp->histogram = calloc(nclasses ? nclasses : 1, sizeof(*hp->histogram));
	if (!hp->histogram) {
		free(sizes);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < nsizes; i++) {
		if (i == 0 || sizes[i] != sizes[i - 1])
			hp->histogram[hp->nhistogram++].size = sizes[i];
		hp->histogram[hp->nhistogram - 1].count++;
		hp->histogram[hp->nhistogram - 1].bytes += sizes[i];
	}
	free(sizes);
	qsort(hp->histogram, hp->nhistogram, sizeof(*hp->histogram), class_cmp);
	for (size_t i = 0; i < hp->narenas; i++) {
		const struct clrsos_glibc_arena *a = &hp->arenas[i];
		hp->system_bytes += a->system_bytes;
		hp->in_use_bytes += a->in_use_bytes;
		hp->in_use_chunks += a->in_use_chunks;
		hp->free_bytes += a->free_bytes;
		hp->free_chunks += a->free_chunks;
		hp->tcache_bytes += a->tcache_bytes;
		hp->fastbin_bytes += a->fastbin_bytes;
		hp->top_bytes += a->top_bytes;
		if (a->largest_free > hp->largest_free)
			hp->largest_free = a->largest_free;
		if (a->damage && !hp->damaged)
			hp->damaged = a;
	}
	return NULL;
}

struct clrsos_error *clrsos_glibc_heap_walk(struct clrsos_target *target, const struct clrsos_glibc_where *where,
					    struct clrsos_watch *watch, struct clrsos_glibc_heap **ret)
{
	*ret = NULL;
	struct clrsos_glibc_heap *hp = calloc(1, sizeof(*hp));
	struct walk wk = {.target = target, .watch = watch, .heap = hp};
	chunk_vector_init(&wk.chunks);
	wk.win.target = target;
	wk.win.buf = malloc(WINDOW);
	struct clrsos_error *err = NULL;
	uint8_t (*states)[MSTATE_SIZE] = NULL;
	size_t states_cap = 0;
	if (!hp || !wk.win.buf) {
		err = &clrsos_error_no_memory;
		goto fail;
	}
	hp->main_arena = where->main_arena;
	hp->mp = where->mp;
	hp->version_major = where->version_major;
	hp->version_minor = where->version_minor;
	snprintf(hp->version, sizeof(hp->version), "%u.%u", where->version_major, where->version_minor);
	hp->version_verified = where->version_major == 2 && where->version_minor == 36;

	uint8_t mp[MP_SIZE];
	if ((err = clrsos_target_read(target, where->mp, mp, sizeof(mp)))) {
		err = clrsos_error_wrap(err, "reading glibc's malloc parameters (mp_)");
		goto fail;
	}
	uint64_t sbrk_base = u64_at(mp + MP_SBRK_BASE);
	uint64_t hp_pagesize = u64_at(mp + MP_HP_PAGESIZE);
	wk.heap_max = hp_pagesize ? hp_pagesize * 4 : HEAP_MAX_DEFAULT;
	if (wk.heap_max & (wk.heap_max - 1) || wk.heap_max < (1u << 16))
		wk.heap_max = HEAP_MAX_DEFAULT;
	wk.tcache_count = u64_at(mp + MP_TCACHE_COUNT);
	int32_t n_mmaps;
	memcpy(&n_mmaps, mp + MP_N_MMAPS, 4);
	hp->mmapped_chunks = n_mmaps > 0 ? (uint64_t)n_mmaps : 0;
	hp->mmapped_bytes = u64_at(mp + MP_MMAPPED_MEM);

	/* The arenas, main first, as main_arena.next links them. */
	uint64_t arena = where->main_arena;
	size_t cap = 0;
	do {
		if (hp->narenas >= MAX_ARENAS) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER,
						  "damaged native heap at 0x%" PRIx64 ": the arena list does not come back to main_arena",
						  arena);
			goto fail;
		}
		for (size_t i = 0; i < hp->narenas; i++)
			if (hp->arenas[i].address == arena) {
				err = clrsos_error_create(CLRSOS_ERROR_OTHER,
							  "damaged native heap at 0x%" PRIx64 ": the arena list loops without main_arena",
							  arena);
				goto fail;
			}
		if ((err = clrsos_array_reserve(&hp->arenas, &cap, hp->narenas + 1)) ||
		    (err = clrsos_array_reserve(&states, &states_cap, hp->narenas + 1)))
			goto fail;
		struct clrsos_glibc_arena *a = &hp->arenas[hp->narenas];
		memset(a, 0, sizeof(*a));
		a->address = arena;
		a->main = hp->narenas == 0;
		hp->narenas++;
		if ((err = read_mstate(&wk, arena, states[hp->narenas - 1])))
			goto fail;
		arena = u64_at(states[hp->narenas - 1] + MS_NEXT);
	} while (arena != where->main_arena);

	for (size_t i = 0; i < hp->narenas; i++)
		if ((err = walk_arena(&wk, (uint32_t)i, states[i], sbrk_base)))
			goto fail;
	if (wk.chunks.count > 1)
		qsort(wk.chunks.items, wk.chunks.count, sizeof(struct chunk), chunk_cmp);
	for (size_t i = 1; i < wk.chunks.count; i++)
		if (wk.chunks.items[i].address < wk.chunks.items[i - 1].address + wk.chunks.items[i - 1].size) {
			struct chunk *c = &wk.chunks.items[i];
			DAMAGE(&hp->arenas[c->arena], c->address, "chunk 0x%" PRIx64 " overlaps another arena's heap", c->address);
		}
	for (size_t i = 0; i < hp->narenas; i++) {
		struct clrsos_glibc_arena *a = &hp->arenas[i];
		for (unsigned f = 0; f < NFASTBINS && !a->damage; f++)
			walk_fastbin(&wk, (uint32_t)i, f, u64_at(states[i] + MS_FASTBINS + 8 * f));
		if (!a->damage)
			walk_bins(&wk, (uint32_t)i, states[i]);
	}
	/* The tcaches we can find: the first chunk of each arena (its first thread's). */
	for (size_t i = 0; i < hp->narenas; i++) {
		if (hp->arenas[i].damage || hp->arenas[i].nheaps == 0)
			continue;
		const struct clrsos_glibc_segment *first = &hp->arenas[i].heaps[hp->arenas[i].nheaps - 1];
		uint64_t at = hp->arenas[i].main ? (first->start + 15) & ~(uint64_t)15
						 : (hp->arenas[i].address + MSTATE_SIZE + 15) & ~(uint64_t)15;
		struct chunk *t = chunk_find(&wk, at);
		if (t)
			walk_tcache(&wk, t);
	}
	if ((err = tally(&wk)))
		goto fail;
	free(states);
	free(wk.win.buf);
	chunk_vector_deinit(&wk.chunks);
	*ret = hp;
	return NULL;
fail:
	free(states);
	free(wk.win.buf);
	chunk_vector_deinit(&wk.chunks);
	clrsos_glibc_heap_free(hp);
	return err;
}

/* Whether the 2200 bytes at ms (at address) look like a malloc_state: every empty bin points to itself. */
static bool looks_like_mstate(const uint8_t *ms, uint64_t address)
{
	if (u32_at(ms + MS_MUTEX) > 2 || u32_at(ms + MS_FLAGS) > 3 || u32_at(ms + MS_HAVE_FAST) > 1)
		return false;
	uint64_t top = u64_at(ms + MS_TOP), next = u64_at(ms + MS_NEXT);
	if (top == 0 || top & 15 || next == 0 || next & 7)
		return false;
	if (u64_at(ms + MS_SYSTEM_MEM) == 0 || u64_at(ms + MS_SYSTEM_MEM) > u64_at(ms + MS_MAX_SYSTEM_MEM))
		return false;
	unsigned empty = 0;
	for (unsigned b = 0; b < NBIN_PAIRS; b++) {
		uint64_t header = address + MS_BINS + (uint64_t)b * 16 - HDR;
		uint64_t fd = u64_at(ms + MS_BINS + b * 16), bk = u64_at(ms + MS_BINS + b * 16 + 8);
		if (fd == header && bk == header)
			empty++;
		else if (fd == header || bk == header || fd & 15 || bk & 15 || !fd || !bk)
			return false;
	}
	uint64_t last = address + MS_BINS + (uint64_t)(NBIN_PAIRS - 1) * 16 - HDR;
	return empty >= 16 && u64_at(ms + MS_BINS + (NBIN_PAIRS - 1) * 16) == last;
}

/* Whether the bytes at p look like mp_ for a main arena whose top chunk is top. */
static bool looks_like_mp(const uint8_t *p, uint64_t top, uint64_t system_mem)
{
	uint64_t sbrk = u64_at(p + MP_SBRK_BASE);
	if (sbrk == 0 || top < sbrk || top - sbrk >= system_mem)
		return false;
	int32_t n, nmax;
	memcpy(&n, p + MP_N_MMAPS, 4);
	memcpy(&nmax, p + MP_MAX_N_MMAPS, 4);
	if (n < 0 || n > nmax || u64_at(p + MP_MMAPPED_MEM) > u64_at(p + MP_MAX_MMAPPED_MEM))
		return false;
	if (u64_at(p + MP_MMAPPED_MEM) & 4095 || u64_at(p + MP_MMAP_THRESHOLD) > (64u << 20))
		return false;
	uint64_t thp = u64_at(p + MP_THP_PAGESIZE), hpp = u64_at(p + MP_HP_PAGESIZE);
	if (thp & (thp - 1) || hpp & (hpp - 1))
		return false;
	return u64_at(p + MP_TCACHE_BINS) <= TCACHE_BINS && u64_at(p + MP_TCACHE_MAX_BYTES) <= 0x10000 &&
	       u64_at(p + MP_TCACHE_COUNT) <= 65535;
}

/* A window of target memory read a page at a time: pages the target lacks stay marked missing. */
struct pages {
	uint8_t *buf;
	bool *have;
	uint64_t start;
	size_t npages;
};

static struct clrsos_error *pages_read(struct clrsos_target *target, uint64_t start, uint64_t end, struct pages *ret)
{
	memset(ret, 0, sizeof(*ret));
	start &= ~(uint64_t)(CLRSOS_PAGE_SIZE - 1);
	end = (end + CLRSOS_PAGE_SIZE - 1) & ~(uint64_t)(CLRSOS_PAGE_SIZE - 1);
	if (end <= start || end - start > (64u << 20))
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "libc's data segment at 0x%" PRIx64 " has a bad size", start);
	ret->start = start;
	ret->npages = (size_t)((end - start) / CLRSOS_PAGE_SIZE);
	ret->buf = calloc(ret->npages, CLRSOS_PAGE_SIZE);
	ret->have = calloc(ret->npages, sizeof(bool));
	if (!ret->buf || !ret->have) {
		free(ret->buf);
		free(ret->have);
		return &clrsos_error_no_memory;
	}
	/* One read for the whole, page by page only where that fails. */
	if (!clrsos_error_ignore(clrsos_target_read_raw(target, start, ret->buf, ret->npages * CLRSOS_PAGE_SIZE))) {
		memset(ret->have, 1, ret->npages);
		return NULL;
	}
	for (size_t i = 0; i < ret->npages; i++) {
		struct clrsos_error *err = clrsos_target_read_raw(target, start + i * CLRSOS_PAGE_SIZE,
								  ret->buf + i * CLRSOS_PAGE_SIZE, CLRSOS_PAGE_SIZE);
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		ret->have[i] = !err;
	}
	return NULL;
}

/*
 * The first page that is missing or all zeros (a debugger may serve a page
 * a core left out as zeros), or 0: where main_arena could have been.
 */
static uint64_t pages_first_blank(const struct pages *p)
{
	static const uint8_t zero[CLRSOS_PAGE_SIZE];
	for (size_t i = 0; i < p->npages; i++)
		if (!p->have[i] || !memcmp(p->buf + i * CLRSOS_PAGE_SIZE, zero, CLRSOS_PAGE_SIZE))
			return p->start + i * CLRSOS_PAGE_SIZE;
	return 0;
}

static bool pages_have(const struct pages *p, size_t offset, size_t len)
{
	for (size_t i = offset / CLRSOS_PAGE_SIZE; i <= (offset + len - 1) / CLRSOS_PAGE_SIZE; i++)
		if (i >= p->npages || !p->have[i])
			return false;
	return true;
}

struct module_image {
	struct clrsos_target *target;
	uint64_t base;
};

static bool module_read(void *ctx, uint64_t pos, void *buf, size_t size)
{
	const struct module_image *m = ctx;
	return !clrsos_error_ignore(clrsos_target_read(m->target, m->base + pos, buf, size));
}

/* "... release version 2.36." in libc's read-only bytes. */
static struct clrsos_error *find_version(struct clrsos_target *target, uint64_t base, const struct clrsos_elf_info *elf,
					 unsigned *ret_major, unsigned *ret_minor)
{
	static const char marker[] = "release version ";
	enum { CHUNK = 1 << 20, OVERLAP = 64 };
	char *buf = malloc(CHUNK + OVERLAP + 1);
	if (!buf)
		return &clrsos_error_no_memory;
	for (size_t k = 0; k < elf->nloads; k++) {
		const struct clrsos_elf_load *l = &elf->loads[k];
		if (l->writable)
			continue;
		for (uint64_t pos = 0; pos < l->filesz; pos += CHUNK) {
			size_t want = l->filesz - pos > CHUNK + OVERLAP ? CHUNK + OVERLAP : (size_t)(l->filesz - pos);
			size_t got = 0;
			struct clrsos_error *err = clrsos_target_read_partial(target, base + l->vaddr + pos, buf, want, &got);
			if (clrsos_error_is_no_memory(err)) {
				free(buf);
				return err;
			}
			clrsos_error_destroy(err);
			if (err)
				continue;
			buf[got] = 0;
			for (size_t i = 0; i + sizeof(marker) + 4 < got; i++) {
				const char *m = memmem(buf + i, got - i, marker, sizeof(marker) - 1);
				if (!m)
					break;
				i = (size_t)(m - buf);
				unsigned major, minor;
				if (sscanf(m + sizeof(marker) - 1, "%u.%u", &major, &minor) == 2 &&
				    memmem(buf + (i > 200 ? i - 200 : 0), i - (i > 200 ? i - 200 : 0), "GNU C Library", 13)) {
					*ret_major = major;
					*ret_minor = minor;
					free(buf);
					return NULL;
				}
			}
		}
	}
	free(buf);
	return clrsos_error_create(CLRSOS_ERROR_OTHER,
				   "no glibc version string in libc.so.6 at 0x%" PRIx64
				   ": its read-only pages are neither in the target nor in a matching file",
				   base);
}

struct clrsos_error *clrsos_glibc_heap_read(struct clrsos_target *target, struct clrsos_watch *watch,
					    struct clrsos_glibc_heap **ret)
{
	*ret = NULL;
	const struct clrsos_module *mods;
	size_t n;
	struct clrsos_error *err = clrsos_target_modules(target, &mods, &n);
	if (err)
		return err;
	const struct clrsos_module *libc = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name = mods[i].name ? mods[i].name : "";
		if (!strncmp(name, "ld-musl-", 8) || !strncmp(name, "libc.musl-", 10)) {
			struct clrsos_name_buf nb;
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "this target's C library is musl (%s): nativeheap reads glibc's malloc only",
						   clrsos_safe_name(name, &nb));
		}
		if (!strcmp(name, "libc.so.6"))
			libc = &mods[i];
	}
	if (!libc)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "no glibc (libc.so.6) among this target's modules: nativeheap reads glibc's malloc only");
	struct module_image mi = {target, libc->base};
	struct clrsos_elf_info elf;
	if ((err = clrsos_elf_parse(module_read, &mi, true, &elf)))
		return clrsos_error_wrap(err, "reading libc.so.6 at 0x%" PRIx64, libc->base);
	unsigned major = 0, minor = 0;
	if ((err = find_version(target, libc->base, &elf, &major, &minor)))
		return err;
	if (major != 2 || minor < 35 || minor > 41)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "glibc %u.%u is not understood: nativeheap knows glibc 2.35 to 2.41 (verified on 2.36)",
					   major, minor);
	const struct clrsos_elf_load *rw = NULL;
	for (size_t k = 0; k < elf.nloads; k++)
		if (elf.loads[k].writable)
			rw = &elf.loads[k];
	if (!rw)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "libc.so.6 at 0x%" PRIx64 " has no writable segment", libc->base);
	struct pages pg;
	if ((err = pages_read(target, libc->base + rw->vaddr, libc->base + rw->vaddr + rw->memsz, &pg)))
		return err;
	struct clrsos_glibc_where where = {.version_major = major, .version_minor = minor};
	size_t span = pg.npages * CLRSOS_PAGE_SIZE;
	uint64_t top = 0, system_mem = 0;
	for (size_t o = 0; o + MSTATE_SIZE <= span; o += 8) {
		if (!pages_have(&pg, o, MSTATE_SIZE) || !looks_like_mstate(pg.buf + o, pg.start + o))
			continue;
		where.main_arena = pg.start + o;
		top = u64_at(pg.buf + o + MS_TOP);
		system_mem = u64_at(pg.buf + o + MS_SYSTEM_MEM);
		break;
	}
	for (size_t o = 0; where.main_arena && o + MP_SIZE <= span; o += 8) {
		if (pages_have(&pg, o, MP_SIZE) && looks_like_mp(pg.buf + o, top, system_mem)) {
			where.mp = pg.start + o;
			break;
		}
	}
	uint64_t first_missing = pages_first_blank(&pg);
	free(pg.buf);
	free(pg.have);
	if (!where.main_arena || !where.mp) {
		const char *what = where.main_arena ? "mp_" : "main_arena";
		if (first_missing)
			return clrsos_error_fault(first_missing,
						  "libc's data at 0x%" PRIx64 " is not in the target (missing, or read as zeros): "
						  "cannot find glibc's %s; a core without libc's written pages (createdump's "
						  "heap cores) cannot show the native heap",
						  first_missing, what);
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "glibc %u.%u's %s not found in libc.so.6's data at 0x%" PRIx64
					   ": malloc not used yet, or a layout nativeheap does not know",
					   major, minor, what, libc->base + rw->vaddr);
	}
	struct clrsos_glibc_heap *hp;
	if ((err = clrsos_glibc_heap_walk(target, &where, watch, &hp)))
		return err;
	hp->libc_base = libc->base;
	hp->libc_path = strdup(libc->path ? libc->path : libc->name);
	if (!hp->libc_path) {
		clrsos_glibc_heap_free(hp);
		return &clrsos_error_no_memory;
	}
	*ret = hp;
	return NULL;
}

struct clrsos_error *clrsos_glibc_heap_damage_error(const struct clrsos_glibc_heap *heap)
{
	if (!heap->damaged)
		return NULL;
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "damaged native heap at 0x%" PRIx64 ": %s (arena 0x%" PRIx64 ")",
				   heap->damaged->damage_address, heap->damaged->damage, heap->damaged->address);
}

unsigned clrsos_glibc_fragmentation(uint64_t free_not_top, uint64_t in_use)
{
	if (free_not_top + in_use == 0)
		return 0;
	return (unsigned)((free_not_top * 10000.0) / ((double)free_not_top + (double)in_use) + 0.5);
}

void clrsos_glibc_heap_free(struct clrsos_glibc_heap *heap)
{
	if (!heap)
		return;
	for (size_t i = 0; i < heap->narenas; i++) {
		free(heap->arenas[i].heaps);
		free(heap->arenas[i].damage);
	}
	free(heap->arenas);
	free(heap->histogram);
	free(heap->libc_path);
	free(heap);
}
