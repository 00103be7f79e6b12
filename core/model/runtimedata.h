/*
 * Runtime data: the runtime's own bookkeeping, beside the GC heap: the
 * managed modules it loaded (ClrMD's ClrModule), its sync block table (the
 * monitors that outgrew an object header's thin lock, and objects whose
 * header needed room for a hash code and a lock), and the GC's record of
 * its last out-of-memory failure, per GC heap. Values of their own, read
 * through the DAC at this stop.
 */
#ifndef CLRSOS_RUNTIMEDATA_H
#define CLRSOS_RUNTIMEDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

/* A managed module (one per assembly in .NET Core). */
struct clrsos_clr_module {
	uint64_t address;       /* the runtime's Module */
	uint64_t assembly;      /* its Assembly (0: unknown) */
	uint64_t image_base;    /* where its image is mapped (0: none, a dynamic module) */
	uint32_t image_size;    /* SizeOfImage of the mapped PE header (0: unreadable) */
	bool dynamic;           /* emitted at run time (Reflection.Emit): no file */
	bool is_pe_file;
	bool have_data;         /* the runtime's module data could be read */
	uint64_t metadata_start, metadata_size;
	char *path;             /* its file, malloc'd; NULL if it has none */
	char *assembly_name;    /* the runtime's name for its assembly, malloc'd; NULL if unknown */
};

struct clrsos_clr_module_list {
	struct clrsos_clr_module *items;
	size_t count;
};

/* Every managed module of the process, in the runtime's order. */
struct clrsos_error *clrsos_clr_module_list_init(struct clrsos_clr_module_list *list, struct clrsos_dac *dac,
						 struct clrsos_target *target);
void clrsos_clr_module_list_deinit(struct clrsos_clr_module_list *list);

/* A Module's bookkeeping, as SOS's DumpModule shows it (GetModuleData). */
struct clrsos_module_info {
	uint64_t address;
	uint64_t assembly;
	uint64_t pe_assembly;
	uint64_t il_base;            /* where its image is mapped (0: none) */
	uint64_t metadata_start, metadata_size;
	uint64_t loader_allocator;   /* SOS's "LoaderHeap" line */
	uint64_t thunk_heap;
	uint64_t type_def_map, type_ref_map, method_def_map, field_def_map, member_ref_map;
	uint64_t file_references_map, assembly_references_map;
	uint64_t module_id, module_index;
	uint32_t transient_flags;
	bool is_pe_file, is_reflection;
	bool have_layout;            /* the DAC said how the image is held (the three below) */
	bool is_dynamic, is_in_memory, is_file_layout;
	char *path;                  /* its file, malloc'd; NULL if the runtime names none */
};

/* Transient flags: edit and continue (.NET Framework's and .NET Core's bits). */
enum { CLRSOS_MODULE_EDIT_AND_CONTINUE = 0x208 };

/* The Module at module; an invalid-argument error saying so if it is not one. */
struct clrsos_error *clrsos_module_info_init(struct clrsos_module_info *info, struct clrsos_dac *dac,
					     uint64_t module);
void clrsos_module_info_deinit(struct clrsos_module_info *info);

/* One entry of the sync block table. */
struct clrsos_sync_block {
	uint32_t index;          /* 1-based, as the object header stores it */
	bool valid;              /* false: the runtime could not read this entry */
	bool free;               /* an unused entry: nothing below is meaningful */
	uint64_t address;        /* the SyncBlock */
	uint64_t object;         /* the object it belongs to */
	uint32_t monitor_held;   /* 1 per owner, 2 per waiter (the runtime's count) */
	uint32_t recursion;
	uint32_t com_flags;      /* CLRSOS_SYNC_BLOCK_CCW ... */
	uint32_t additional_waiters;
	uint64_t owner;          /* the owning Thread; 0 none; CLRSOS_SYNC_BLOCK_ORPHANED */
	uint32_t owner_os_id;    /* the owner's OS thread id (0: unknown) */
	uint32_t owner_managed_id;
};

enum {
	CLRSOS_SYNC_BLOCK_CCW = 1,
	CLRSOS_SYNC_BLOCK_RCW = 2,
	CLRSOS_SYNC_BLOCK_CLASS_FACTORY = 4,
};
#define CLRSOS_SYNC_BLOCK_ORPHANED UINT64_MAX

/*
 * The number of entries of the sync block table (*ret 0: the runtime
 * made none). A count above a million is refused as damaged.
 */
struct clrsos_error *clrsos_sync_block_count(struct clrsos_dac *dac, uint32_t *ret);
/*
 * Entry index (1 .. count); an entry the runtime cannot read comes back
 * with valid false, not as an error. Each costs a DAC call or two.
 */
struct clrsos_error *clrsos_sync_block_read(struct clrsos_dac *dac, uint32_t index, struct clrsos_sync_block *ret);

/* What the GC recorded of its last failed allocation, on one GC heap. */
struct clrsos_oom_info {
	uint32_t heap;
	int32_t reason;          /* the GC's oom_reason: 0 none */
	int32_t get_memory_failure; /* its failure_get_memory: 0 none */
	uint64_t alloc_size;
	uint64_t size;           /* the size the GC failed to get */
	uint64_t available_pagefile_mb;
	uint64_t gc_index;
	bool large_object;
};

/* The OOM record of each GC heap (heap_addresses[i] 0: the workstation heap), into ret[0 .. nheaps). */
struct clrsos_error *clrsos_oom_read(struct clrsos_dac *dac, const uint64_t *heap_addresses, uint32_t nheaps,
				     struct clrsos_oom_info *ret);
/* The process's AppDomain (.NET Core has one); *ret 0 if the runtime names none. */
struct clrsos_error *clrsos_app_domain_read(struct clrsos_dac *dac, uint64_t *ret);

/*
 * The managed AssemblyLoadContext object of the assembly that defines the
 * type mt; *ret 0 for the default context when its managed object was
 * never created.
 */
struct clrsos_error *clrsos_assembly_load_context_read(struct clrsos_dac *dac, uint64_t mt, uint64_t *ret);

/*
 * The LoaderAllocator object of the type mt when it lives in a collectible
 * context (*ret 0: not collectible, or the runtime does not say): the
 * object its LoaderAllocator's handle holds, read from target.
 */
struct clrsos_error *clrsos_loader_allocator_read(struct clrsos_dac *dac, struct clrsos_target *target, uint64_t mt,
						  uint64_t *ret);

/* A method whose IL a profiler changed (dumpmodule -prof). */
struct clrsos_profiled_method {
	uint64_t method_desc;
	char *name; /* malloc'd; NULL if the runtime names none */
	int kind;   /* 1: IL modified, 2: ReJIT modified, else neither said */
};
struct clrsos_profiled_methods {
	struct clrsos_profiled_method *items;
	size_t count;
	bool supported; /* false: this runtime's DAC cannot list them (count 0) */
	bool truncated; /* the runtime's list reached CLRSOS_PROFILED_METHODS_MAX */
};
enum { CLRSOS_PROFILED_METHODS_MAX = 100 }; /* as many as SOS asks for */
struct clrsos_error *clrsos_profiled_methods_init(struct clrsos_profiled_methods *list, struct clrsos_dac *dac,
						  uint64_t module);
void clrsos_profiled_methods_deinit(struct clrsos_profiled_methods *list);

/* The reason's words as SOS prints them (NULL: none). */
const char *clrsos_oom_reason_text(int32_t reason);
const char *clrsos_oom_failure_text(int32_t failure);

#ifdef __cplusplus
}
#endif

#endif
