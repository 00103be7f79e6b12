/*
 * A synthetic glibc 2.36 malloc heap in memory, for the unit tests of
 * core/analysis/glibcheap.c and the seed of its fuzzer.
 *
 * mp_ and main_arena in one block ("libc's data"); the main arena's brk
 * heap with a tcache_perthread_struct, chunks in use, two chunks in a
 * tcache list (safe-linked), one in a fastbin (safe-linked), one in the
 * unsorted bin and the top chunk; a thread arena with two heaps, the first
 * left behind with fenceposts; two mmapped chunks counted in mp_.
 * Every address is in struct glibc_synth, for the tests to damage.
 */
#ifndef CLRSOS_TESTS_GLIBC_SYNTH_H
#define CLRSOS_TESTS_GLIBC_SYNTH_H

#include <stddef.h>
#include <stdint.h>

enum { GLIBC_SYNTH_REGIONS = 4 };

struct glibc_synth_region {
	uint64_t address;
	uint8_t *bytes; /* malloc'd */
	size_t size;
};

struct glibc_synth {
	struct glibc_synth_region regions[GLIBC_SYNTH_REGIONS];
	size_t nregions;
	uint64_t mp, main_arena, thread_arena;
	uint64_t sbrk_base, main_top, thread_top;
	uint64_t heap1, heap2; /* the thread arena's heaps: heap2 holds its top */
	uint64_t tcache;       /* the main tcache_perthread_struct's chunk */
	uint64_t in_use[3];    /* main arena chunks in use: 0x30, 0x100, 0x40 */
	uint64_t tc1, tc2;     /* 0x30 chunks in the tcache list (tc1 first) */
	uint64_t fast;         /* 0x20 chunk in fastbin 0 */
	uint64_t unsorted;     /* 0x200 chunk in the unsorted bin */
	uint64_t after_free;   /* the 0x50 chunk after it (PREV_INUSE clear) */
	uint64_t thread_chunks[2]; /* in use in heap1 (0x60) and heap2 (0x80) */
	uint64_t fence;        /* heap1's 16-byte fencepost chunk */
	uint64_t key;
	/* What the walk must find. */
	uint64_t main_in_use_bytes, main_in_use_chunks, main_free_bytes, main_tcache_bytes, main_fast_bytes,
		main_top_bytes;
	uint64_t thread_in_use_bytes, thread_free_bytes, thread_top_bytes;
	uint64_t main_system, thread_system;
};

void glibc_synth_build(struct glibc_synth *s);
/* The same with heap_info of 32 bytes (glibc before 2.35) or 48. */
void glibc_synth_build_layout(struct glibc_synth *s, unsigned heap_info);
void glibc_synth_free(struct glibc_synth *s);
/* The u64 at address in s's regions (the address must be in one). */
uint64_t *glibc_synth_at(struct glibc_synth *s, uint64_t address);
/* (address >> 12) ^ pointer: glibc's safe-linking of a list pointer stored at address. */
uint64_t glibc_synth_protect(uint64_t address, uint64_t pointer);

/*
 * The fuzzer's input format: main_arena, mp (u64 each), then regions, each
 * an address (u64), a size (u32) and its bytes. Malloc'd; *ret_size its size.
 */
uint8_t *glibc_synth_serialize(const struct glibc_synth *s, size_t *ret_size);

#endif
