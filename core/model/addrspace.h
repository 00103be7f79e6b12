/*
 * Address space: every mapping of the process (target vm_regions) with the
 * owner of each part of it, as maddress shows them. The OS's list is the
 * base (images, mapped files, the native heap, the rest unowned); the
 * runtime then tags the ranges it knows (GC heap, its bookkeeping, handle
 * table, free regions, loader and code heaps) and the threads' stacks.
 * Tagging splits a mapping where an owner's range starts or ends inside it.
 * In a core, a range of the runtime's that no mapping holds becomes a
 * mapping of its own (synthetic: the core does not list it).
 */
#ifndef CLRSOS_ADDRSPACE_H
#define CLRSOS_ADDRSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_gc;

enum clrsos_owner {
	CLRSOS_OWNER_UNOWNED,        /* named by its protection (PAGE_READWRITE) */
	CLRSOS_OWNER_IMAGE,          /* a module's file (ELF, or a managed .dll) */
	CLRSOS_OWNER_FILE_MAPPING,   /* another file mapped */
	CLRSOS_OWNER_STACK,          /* a thread's stack */
	CLRSOS_OWNER_NATIVE_HEAP,    /* glibc's main arena (the program break) */
	CLRSOS_OWNER_GC_HEAP,        /* GC segments or regions */
	CLRSOS_OWNER_GC_FREE,        /* GC regions waiting to be given back */
	CLRSOS_OWNER_GC_BOOKKEEPING, /* card tables, mark arrays ... */
	CLRSOS_OWNER_HANDLE_TABLE,
	CLRSOS_OWNER_LOADER_HEAP,    /* kind: LowFrequencyHeap, StubHeap ... */
	CLRSOS_OWNER_CODE_HEAP,      /* kind: LoaderCodeHeap, HostCodeHeap */
};

enum clrsos_mem_type { CLRSOS_MEM_PRIVATE, CLRSOS_MEM_MAPPED, CLRSOS_MEM_IMAGE };
enum clrsos_mem_state { CLRSOS_MEM_COMMIT, CLRSOS_MEM_RESERVE };

struct clrsos_addr_region {
	uint64_t start, end;
	uint32_t prot;               /* CLRSOS_VM_*, CLRSOS_VM_PROT_UNKNOWN */
	enum clrsos_mem_type type;
	enum clrsos_mem_state state; /* reserve: no access (PROT_NONE) */
	const char *path;            /* the mapped file or [heap], [stack]; NULL: anonymous (the space's) */
	uint64_t resident;           /* live: resident bytes (a split mapping's share by size); CLRSOS_VM_UNKNOWN */
	uint64_t in_core;            /* core: bytes the core holds (a split mapping's share); CLRSOS_VM_UNKNOWN */
	enum clrsos_owner owner;
	const char *kind;            /* loader and code heaps: the heap's name (the space's) */
	char detail[64];             /* "heap 0 gen2", "thread 1234 (managed 5)" ... or "" */
	bool synthetic;              /* from the runtime only: no mapping of the target lists it */
};

struct clrsos_addrspace {
	struct clrsos_addr_region *regions; /* in address order, disjoint */
	size_t count, capacity;
	bool live;
	bool synthesize; /* a core: a runtime range no mapping holds is added */
	/* What could not be attributed, one line each (the runtime's ranges a core lacks ...). */
	char **notes;
	size_t nnotes, notes_capacity;
	/* Strings the regions point to. */
	char **strings;
	size_t nstrings, strings_capacity;
	struct clrsos_vm_region *vm;
	size_t nvm;
};

/* The name maddress shows for a region (SOS's Memory Kind): "GCHeap", "[GCHeapReserve]", "PAGE_READWRITE" ... */
const char *clrsos_addr_region_name(const struct clrsos_addr_region *r, char *buf, size_t size);
/* "MEM_PRIVATE" ...; "MEM_COMMIT" ...; "PAGE_READWRITE" ... */
const char *clrsos_mem_type_name(enum clrsos_mem_type type);
const char *clrsos_mem_state_name(enum clrsos_mem_state state);
const char *clrsos_prot_name(uint32_t prot);

/*
 * The target's mappings with their OS owners (images: the paths of
 * module_paths, or files named *.dll; the native heap: [heap] live, in a
 * core the mapping at native_heap_hint). No runtime owners yet.
 */
struct clrsos_error *clrsos_addrspace_init(struct clrsos_addrspace *space, struct clrsos_target *target);
void clrsos_addrspace_deinit(struct clrsos_addrspace *space);

/*
 * Give [start, end) to owner (kind: its heap's name, copied; detail copied,
 * may be NULL): the mappings it covers are split at its ends. Parts no
 * mapping holds are added as synthetic mappings in a core (reserved: as
 * reserved memory), and left out live.
 */
struct clrsos_error *clrsos_addrspace_tag(struct clrsos_addrspace *space, uint64_t start, uint64_t end,
					  enum clrsos_owner owner, const char *kind, const char *detail,
					  bool reserved);

/* Tag what the runtime knows: GC heap, bookkeeping, handle table, free regions, loader and code heaps. */
struct clrsos_error *clrsos_addrspace_tag_runtime(struct clrsos_addrspace *space, struct clrsos_dac *dac,
						  struct clrsos_target *target, const struct clrsos_gc *gc);
/* Tag each thread's stack: the mapping holding its stack pointer (managed: its managed id). */
struct clrsos_error *clrsos_addrspace_tag_stacks(struct clrsos_addrspace *space, struct clrsos_dac *dac,
						 struct clrsos_target *target);

/* Add a note line (printf style). */
struct clrsos_error *clrsos_addrspace_note(struct clrsos_addrspace *space, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
