#include <stdlib.h>
#include <string.h>

#include "glibc_synth.h"

enum { MSTATE = 2200 };

static const uint64_t LIBC_DATA = 0x7f0000010000ull;
static const uint64_t SBRK = 0x555555560000ull;
static const uint64_t MAIN_HEAP_SIZE = 0x1000;
static const uint64_t HEAP1 = 0x7e0008000000ull, HEAP2 = 0x7e000c000000ull;
static const uint64_t HEAP1_SIZE = 0x1000, HEAP2_SIZE = 0x1000;

uint64_t glibc_synth_protect(uint64_t address, uint64_t pointer)
{
	return (address >> 12) ^ pointer;
}

uint64_t *glibc_synth_at(struct glibc_synth *s, uint64_t address)
{
	for (size_t i = 0; i < s->nregions; i++) {
		struct glibc_synth_region *r = &s->regions[i];
		if (address >= r->address && address + 8 <= r->address + r->size)
			return (uint64_t *)(void *)(r->bytes + (address - r->address));
	}
	abort();
}

static void put(struct glibc_synth *s, uint64_t address, uint64_t value)
{
	*glibc_synth_at(s, address) = value;
}

static void region(struct glibc_synth *s, uint64_t address, size_t size)
{
	struct glibc_synth_region *r = &s->regions[s->nregions++];
	r->address = address;
	r->size = size;
	r->bytes = calloc(1, size);
	if (!r->bytes)
		abort();
}

/* An arena's malloc_state at a: empty bins, top, next. */
static void arena(struct glibc_synth *s, uint64_t a, uint64_t top, uint64_t next, uint64_t system, int flags)
{
	for (unsigned b = 0; b < 127; b++) {
		put(s, a + 112 + b * 16, a + 112 + b * 16 - 16);
		put(s, a + 112 + b * 16 + 8, a + 112 + b * 16 - 16);
	}
	*(uint32_t *)(void *)glibc_synth_at(s, a) = 0;
	((uint32_t *)(void *)glibc_synth_at(s, a))[1] = (uint32_t)flags;
	put(s, a + 96, top);
	put(s, a + 2160, next);
	put(s, a + 2184, system);
	put(s, a + 2192, system);
}

/* A chunk header: size with flags. */
static void chunk(struct glibc_synth *s, uint64_t p, uint64_t size_word)
{
	put(s, p + 8, size_word);
}

/* A chunk of size (with flags) at *p; *p moves past it. */
static uint64_t add_chunk(struct glibc_synth *s, uint64_t *p, uint64_t size, unsigned flags)
{
	uint64_t at = *p;
	chunk(s, at, size | flags);
	*p += size;
	return at;
}

void glibc_synth_build(struct glibc_synth *s)
{
	glibc_synth_build_layout(s, 48);
}

void glibc_synth_build_layout(struct glibc_synth *s, unsigned heap_info)
{
	memset(s, 0, sizeof(*s));
	s->key = 0x1234abcd5678ef01ull;
	region(s, LIBC_DATA, 0x2000);
	s->mp = LIBC_DATA + 0x340;
	s->main_arena = LIBC_DATA + 0xc60;
	region(s, SBRK, MAIN_HEAP_SIZE);
	region(s, HEAP1, HEAP1_SIZE);
	region(s, HEAP2, HEAP2_SIZE);
	s->sbrk_base = SBRK;
	s->heap1 = HEAP1;
	s->heap2 = HEAP2;
	s->thread_arena = HEAP1 + heap_info;

	/* mp_: sbrk_base, tcache settings, two mmapped chunks. */
	put(s, s->mp + 0, 0x20000);
	put(s, s->mp + 16, 0x20000);
	put(s, s->mp + 24, 8);
	*(int32_t *)(void *)glibc_synth_at(s, s->mp + 56) = 0; /* hp_flags, n_mmaps */
	((int32_t *)(void *)glibc_synth_at(s, s->mp + 56))[1] = 2;
	*(int32_t *)(void *)glibc_synth_at(s, s->mp + 64) = 65536; /* n_mmaps_max, max_n_mmaps */
	((int32_t *)(void *)glibc_synth_at(s, s->mp + 64))[1] = 2;
	put(s, s->mp + 80, 0x3000);
	put(s, s->mp + 88, 0x3000);
	put(s, s->mp + 96, SBRK);
	put(s, s->mp + 104, 64);
	put(s, s->mp + 112, 1032);
	put(s, s->mp + 120, 7);
	put(s, s->mp + 128, 0);

	/* The main arena's chunks, from sbrk_base. */
	uint64_t p = SBRK;
	s->tcache = add_chunk(s, &p, 0x290, 1);
	s->in_use[0] = add_chunk(s, &p, 0x30, 1);
	s->tc1 = add_chunk(s, &p, 0x30, 1);
	s->in_use[1] = add_chunk(s, &p, 0x100, 1);
	s->tc2 = add_chunk(s, &p, 0x30, 1);
	s->fast = add_chunk(s, &p, 0x20, 1);
	s->in_use[2] = add_chunk(s, &p, 0x40, 1);
	s->unsorted = add_chunk(s, &p, 0x200, 1);
	put(s, p, 0x200); /* the free chunk's footer */
	s->after_free = add_chunk(s, &p, 0x50, 0);
	s->main_top = p;
	s->main_top_bytes = SBRK + MAIN_HEAP_SIZE - p;
	chunk(s, p, s->main_top_bytes | 1);
	/* The tcache: counts[1] = 2, entries[1] = tc1's user bytes; tc1 -> tc2. */
	*(uint16_t *)(void *)((uint8_t *)glibc_synth_at(s, s->tcache + 16) + 2) = 2;
	put(s, s->tcache + 16 + 128 + 8, s->tc1 + 16);
	put(s, s->tc1 + 16, glibc_synth_protect(s->tc1 + 16, s->tc2 + 16));
	put(s, s->tc1 + 24, s->key);
	put(s, s->tc2 + 16, glibc_synth_protect(s->tc2 + 16, 0));
	put(s, s->tc2 + 24, s->key);
	/* The fastbin chunk: the list's end, safe-linked. */
	put(s, s->fast + 16, glibc_synth_protect(s->fast + 16, 0));
	arena(s, s->main_arena, s->main_top, s->thread_arena, MAIN_HEAP_SIZE, 0);
	put(s, s->main_arena + 16, s->fast); /* fastbinsY[0] */
	/* The unsorted bin (bin 1, header = &bins[0] - 16) holds the 0x200 chunk. */
	uint64_t unsorted_header = s->main_arena + 112 - 16;
	put(s, s->main_arena + 112, s->unsorted);
	put(s, s->main_arena + 120, s->unsorted);
	put(s, s->unsorted + 16, unsorted_header);
	put(s, s->unsorted + 24, unsorted_header);
	s->main_in_use_bytes = 0x290 + 0x30 + 0x100 + 0x40 + 0x50;
	s->main_in_use_chunks = 5;
	s->main_tcache_bytes = 0x60;
	s->main_fast_bytes = 0x20;
	s->main_free_bytes = 0x60 + 0x20 + 0x200 + s->main_top_bytes;
	s->main_system = MAIN_HEAP_SIZE;

	/* The thread arena: heap1 (the arena's own, left: fenceposts), heap2 (top). */
	put(s, HEAP1, s->thread_arena);
	put(s, HEAP1 + 8, 0);
	put(s, HEAP1 + 16, HEAP1_SIZE);
	put(s, HEAP1 + 24, HEAP1_SIZE);
	put(s, HEAP1 + 32, 4096);
	p = (s->thread_arena + MSTATE + 15) & ~15ull;
	s->thread_chunks[0] = p;
	chunk(s, p, 0x60 | 1 | 4);
	p += 0x60;
	/* The old top, freed into nothing (in use by its size in this test: the fence says so). */
	uint64_t old_top = p;
	uint64_t old_size = HEAP1 + HEAP1_SIZE - old_top - 0x20;
	chunk(s, old_top, old_size | 1 | 4);
	s->fence = old_top + old_size;
	chunk(s, s->fence, 0x10 | 1);
	chunk(s, s->fence + 0x10, 0 | 1);
	put(s, HEAP2, s->thread_arena);
	put(s, HEAP2 + 8, HEAP1);
	put(s, HEAP2 + 16, HEAP2_SIZE);
	put(s, HEAP2 + 24, HEAP2_SIZE);
	put(s, HEAP2 + 32, 4096);
	p = HEAP2 + heap_info;
	s->thread_chunks[1] = p;
	chunk(s, p, 0x80 | 1 | 4);
	p += 0x80;
	s->thread_top = p;
	s->thread_top_bytes = HEAP2 + HEAP2_SIZE - p;
	chunk(s, p, s->thread_top_bytes | 1);
	arena(s, s->thread_arena, s->thread_top, s->main_arena, HEAP1_SIZE + HEAP2_SIZE, 2);
	s->thread_in_use_bytes = 0x60 + old_size + 0x80;
	s->thread_free_bytes = s->thread_top_bytes;
	s->thread_system = HEAP1_SIZE + HEAP2_SIZE;
}

void glibc_synth_free(struct glibc_synth *s)
{
	for (size_t i = 0; i < s->nregions; i++)
		free(s->regions[i].bytes);
	s->nregions = 0;
}

uint8_t *glibc_synth_serialize(const struct glibc_synth *s, size_t *ret_size)
{
	size_t size = 16;
	for (size_t i = 0; i < s->nregions; i++)
		size += 12 + s->regions[i].size;
	uint8_t *out = malloc(size), *o = out;
	if (!out)
		abort();
	memcpy(o, &s->main_arena, 8);
	memcpy(o + 8, &s->mp, 8);
	o += 16;
	for (size_t i = 0; i < s->nregions; i++) {
		uint32_t n = (uint32_t)s->regions[i].size;
		memcpy(o, &s->regions[i].address, 8);
		memcpy(o + 8, &n, 4);
		memcpy(o + 12, s->regions[i].bytes, n);
		o += 12 + n;
	}
	*ret_size = size;
	return out;
}
