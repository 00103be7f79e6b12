/*
 * Loader heaps: the runtime's native heaps besides the GC's (eeheap
 * -loader). Each AppDomain's LoaderAllocator owns named loader heaps
 * (LowFrequencyHeap, HighFrequencyHeap, StubHeap, ...), each a list of
 * reserved blocks; each JIT manager owns code heaps (a loader heap of
 * blocks, or a host's range). A block's committed size is how much of it,
 * page by page from its start, the target holds (as SOS measures it).
 */
#ifndef CLRSOS_LOADERHEAPS_H
#define CLRSOS_LOADERHEAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_target;

/* A block of a native heap. */
struct clrsos_native_block {
	const char *kind;   /* the heap's name: "LowFrequencyHeap", "LoaderCodeHeap", ...; static or the DAC's */
	uint64_t start, size;
	uint64_t committed; /* readable from start, in whole pages, at most size */
	bool current;       /* the block the heap allocates from now (not wasted) */
};

/* A heap owner: an AppDomain or a JIT manager. */
struct clrsos_heap_owner {
	uint64_t address;
	uint64_t loader_allocator; /* an AppDomain's (0: none, or a JIT manager) */
	bool system_domain;        /* the system domain */
	bool seen_allocator;       /* its LoaderAllocator was an earlier domain's: its heaps are listed there */
	struct clrsos_native_block *blocks; /* in SOS's order of kinds, then by address */
	size_t count;
};

struct clrsos_loader_heaps {
	struct clrsos_heap_owner *domains; /* the system domain first */
	size_t ndomains;
	struct clrsos_heap_owner *jit_managers;
	size_t njit_managers;
	bool no_allocators; /* the DAC has no ISOSDacInterface13 (before .NET 8): domains list no heaps */
};

/* Every loader and code heap with its blocks. */
struct clrsos_error *clrsos_loader_heaps_init(struct clrsos_dac *dac, struct clrsos_target *target,
					      struct clrsos_loader_heaps *ret);
void clrsos_loader_heaps_deinit(struct clrsos_loader_heaps *heaps);

#ifdef __cplusplus
}
#endif

#endif
