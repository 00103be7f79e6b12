/*
 * glibc's native heap: the malloc arenas of a target's libc.so.6 (glibc),
 * found and walked without libc's debug symbols.
 *
 * Where things are: libc's writable data segment holds main_arena (found by
 * its bins: every empty bin points to itself) and mp_ (malloc's parameters:
 * sbrk_base, the mmapped-chunk totals); main_arena.next links every arena;
 * a thread arena's heaps are 64 MiB-aligned, each with a heap_info header
 * (32 bytes before glibc 2.35, 48 since: told by where the first heap puts
 * its arena). The main arena's chunks run from sbrk_base to the end of its
 * top chunk.
 *
 * The walk reads each heap in large blocks and checks every chunk header
 * (alignment, size, inside the heap, the NON_MAIN_ARENA bit, free chunks'
 * footers) and every free list (fastbins and tcache with safe-linking,
 * unsorted/small/large bins: each entry a chunk of the arena, fd/bk agree,
 * no loop). An arena that fails a check keeps what was counted before and
 * carries the damage (its address and what is wrong); the others are
 * walked on.
 *
 * Understood: glibc 2.35 to 2.41 on x86-64 (layouts verified against
 * Debian 12's 2.36; the others walked with a warning). Refused: older
 * glibc, musl.
 *
 * Ownership: clrsos_glibc_heap_read's result belongs to the caller
 * (clrsos_glibc_heap_free).
 */
#ifndef CLRSOS_GLIBCHEAP_H
#define CLRSOS_GLIBCHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_target;
struct clrsos_watch;

/* A thread arena's heap [start, end) (start: its heap_info), or the main arena's [sbrk_base, brk). */
struct clrsos_glibc_segment {
	uint64_t start, end;
};

struct clrsos_glibc_arena {
	uint64_t address; /* its malloc_state */
	bool main;
	struct clrsos_glibc_segment *heaps;
	size_t nheaps;
	uint64_t system_bytes;   /* malloc_state.system_mem */
	uint64_t in_use_bytes, in_use_chunks; /* allocated, not cached in a tcache or fastbin */
	/* Free: every chunk below plus the top chunk. */
	uint64_t free_bytes, free_chunks;
	uint64_t binned_bytes, binned_chunks;   /* unsorted, small and large bins */
	uint64_t fastbin_bytes, fastbin_chunks;
	uint64_t tcache_bytes, tcache_chunks;   /* any thread's tcache */
	uint64_t top_address, top_bytes;
	uint64_t largest_free; /* largest free chunk other than top */
	/* What the heaps hold besides chunks: heap_info and malloc_state headers, alignment, fenceposts. */
	uint64_t overhead_bytes;
	/* The walk stopped here: what is wrong (NULL: walked whole) and where. */
	char *damage;
	uint64_t damage_address;
};

/* In-use chunks of one size (the chunk's size, header included). */
struct clrsos_glibc_size_class {
	uint64_t size, count, bytes;
};

struct clrsos_glibc_heap {
	char *libc_path;
	uint64_t libc_base;
	char version[16];       /* "2.36" */
	unsigned version_major, version_minor;
	bool version_verified;  /* the layouts were checked against this version */
	uint64_t main_arena, mp;
	unsigned heap_info_size; /* 48 or 32; 0: no thread arena */
	bool tcache_key_known;  /* else chunks in other threads' tcaches may count as in use */
	uint64_t tcache_key;
	struct clrsos_glibc_arena *arenas; /* main first, then main_arena.next's order */
	size_t narenas;
	/* mmapped chunks (mp_.n_mmaps, mp_.mmapped_mem): not in any arena. */
	uint64_t mmapped_chunks, mmapped_bytes;
	/* In-use chunks of every arena by size, most bytes first. */
	struct clrsos_glibc_size_class *histogram;
	size_t nhistogram;
	/* Sums over the arenas. */
	uint64_t system_bytes, in_use_bytes, in_use_chunks, free_bytes, free_chunks, tcache_bytes,
		fastbin_bytes, top_bytes, largest_free;
	/* The first damaged arena's damage (NULL: none); the walk still returned the rest. */
	const struct clrsos_glibc_arena *damaged;
};

/* Where a walk starts: what clrsos_glibc_heap_read finds in libc (the fuzzer gives it directly). */
struct clrsos_glibc_where {
	uint64_t main_arena, mp;
	unsigned version_major, version_minor;
};

/*
 * Find libc.so.6 in the target's modules, its version, main_arena and mp_,
 * and walk every arena. Errors: not glibc (musl), a glibc version not
 * understood, libc's data not in the core, main_arena not found. A damaged
 * arena is not an error here: see ret->damaged. watch (may be NULL) is
 * ticked for every chunk: the user interrupting is an error.
 */
struct clrsos_error *clrsos_glibc_heap_read(struct clrsos_target *target, struct clrsos_watch *watch,
					    struct clrsos_glibc_heap **ret);

/* Walk from a known main_arena and mp_. */
struct clrsos_error *clrsos_glibc_heap_walk(struct clrsos_target *target, const struct clrsos_glibc_where *where,
					    struct clrsos_watch *watch, struct clrsos_glibc_heap **ret);

/* The damage as an error ("damaged native heap at 0x...: ..."), or NULL when there is none. */
struct clrsos_error *clrsos_glibc_heap_damage_error(const struct clrsos_glibc_heap *heap);

/* Fragmentation of free chunks (not top) against in use: parts per ten thousand. */
unsigned clrsos_glibc_fragmentation(uint64_t free_not_top, uint64_t in_use);

void clrsos_glibc_heap_free(struct clrsos_glibc_heap *heap);

#ifdef __cplusplus
}
#endif

#endif
