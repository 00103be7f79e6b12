/*
 * DAC: the target runtime's own data access library (libmscordaccore.so),
 * loaded beside the libcoreclr.so it was built with, and driven through
 * our ICLRDataTarget. It describes the runtime's layout: heaps, segments,
 * MethodTables, threads, roots. Heap bytes are never read through it.
 *
 * Trust: a core file must not choose the code that runs in the debugger. A
 * DAC is loaded only if the libcoreclr.so beside it has the target's ELF
 * build-id, and only from a directory (and file) no other user can write,
 * unless the user named that directory (setclrpath): core/dac/loadpolicy.h.
 *
 * The DAC is not thread-safe: every call here holds one process-wide lock.
 * Loaded DAC libraries are never unloaded (their PAL would crash at exit).
 */
#ifndef CLRSOS_DAC_H
#define CLRSOS_DAC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "dac/sosdac.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

struct clrsos_dac_options {
	/* Named by the user with setclrpath: trusted whatever its permissions. */
	const char *user_dir;
	/* The runtime-dir setting (clrsos settings; CLRSOS_RUNTIME_DIR seeds it): used instead of the runtime's own directory. */
	const char *env_dir;
};

/* The runtime module (libcoreclr.so) of the target, or a NO_RUNTIME error. */
struct clrsos_error *clrsos_dac_find_runtime(struct clrsos_target *target,
					     const struct clrsos_module **ret);

struct clrsos_error *clrsos_dac_create(struct clrsos_target *target,
				     const struct clrsos_dac_options *options,
				     struct clrsos_dac **ret);
/*
 * Wrap an already created IXCLRDataProcess (on success the dac takes its
 * reference; on failure the caller keeps it):
 * for tests that stand in for the DAC with their own COM object.
 */
struct clrsos_error *clrsos_dac_from_instance(struct clrsos_target *target,
					      void *process, const char *path,
					      struct clrsos_dac **ret);
/* Release the DAC's instance for this target (the library stays loaded). */
void clrsos_dac_destroy(struct clrsos_dac *dac);

const char *clrsos_dac_path(const struct clrsos_dac *dac);
const char *clrsos_dac_runtime_path(const struct clrsos_dac *dac);
uint64_t clrsos_dac_runtime_base(const struct clrsos_dac *dac);
const char *clrsos_dac_build_id(const struct clrsos_dac *dac);

/*
 * Whether a call faulted inside the DAC (core/dac/dacguard.h). Such a DAC is
 * asked nothing more: every later call fails with the crash's error, and
 * clrsos_dac_destroy abandons it; the session opens a new one.
 */
bool clrsos_dac_crashed(const struct clrsos_dac *dac);
/* The crash as an error, for a failed answer to what (NULL: the call that crashed). */
struct clrsos_error *clrsos_dac_crash_error(struct clrsos_dac *dac, const char *what);
/* The crash as an error if the DAC crashed, else NULL (dac may be NULL). */
struct clrsos_error *clrsos_dac_crash_if_any(struct clrsos_dac *dac);
/*
 * At the end of a command whose answer (or error) shown is what the user
 * sees: the crash as an error if the DAC crashed and neither shown nor an
 * earlier command said so, else NULL (dac may be NULL). Whether a crash is
 * said is decided here, not where its error was made: a caller may have
 * dropped that error (clrsos_error_ignore) and carried on.
 */
struct clrsos_error *clrsos_dac_take_crash(struct clrsos_dac *dac, const struct clrsos_error *shown);

/* Drop the DAC's caches: call when the process has run and stopped again. */
void clrsos_dac_flush(struct clrsos_dac *dac);

/* ISOSDacInterface, typed. Each fails with a CLRSOS_ERROR_DAC naming the call. */
struct clrsos_error *clrsos_dac_gc_heap_data(struct clrsos_dac *dac,
					     struct clrsos_dacp_gc_heap_data *ret);
/* Server GC: the addresses of the heaps (malloc'd, owned by the caller). */
struct clrsos_error *clrsos_dac_gc_heap_list(struct clrsos_dac *dac,
					     uint64_t **ret, uint32_t *ret_count);
/* heap 0: the workstation heap; otherwise a server heap's address. */
struct clrsos_error *
clrsos_dac_gc_heap_details(struct clrsos_dac *dac, uint64_t heap,
			   struct clrsos_dacp_gc_heap_details *ret);
struct clrsos_error *
clrsos_dac_segment_data(struct clrsos_dac *dac, uint64_t segment,
			struct clrsos_dacp_heap_segment_data *ret);
/*
 * The generation table with every generation the runtime has (LOH is 3,
 * POH is 4), from ISOSDacInterface8; *ret_count is 0 if the DAC lacks it.
 */
struct clrsos_error *
clrsos_dac_generation_table(struct clrsos_dac *dac, uint64_t heap,
			    struct clrsos_dacp_generation_data *ret,
			    uint32_t max, uint32_t *ret_count);
struct clrsos_error *
clrsos_dac_useful_globals(struct clrsos_dac *dac,
			  struct clrsos_dacp_useful_globals *ret);
struct clrsos_error *
clrsos_dac_thread_store(struct clrsos_dac *dac,
			struct clrsos_dacp_thread_store_data *ret);
/*
 * Loader heaps (eeheap -loader). The runtime's AppDomains: the system
 * domain and the others (*ret malloc'd, the system domain first when there
 * is one; *ret_system tells it).
 */
struct clrsos_error *clrsos_dac_app_domains(struct clrsos_dac *dac, uint64_t *ret_system, uint64_t **ret,
					    size_t *ret_count);
/* Whether the DAC has ISOSDacInterface13 (the loader allocators' heaps; .NET 8+). */
bool clrsos_dac_has_loader_allocators(struct clrsos_dac *dac);
/* The LoaderAllocator of an AppDomain (0 if it has none). */
struct clrsos_error *clrsos_dac_domain_loader_allocator(struct clrsos_dac *dac, uint64_t domain, uint64_t *ret);
/*
 * The heaps of a LoaderAllocator: each one's address, kind (0 normal, 1
 * explicit control) and name (static strings of the DAC, valid while it
 * is); *ret_* malloc'd, *ret_count of them.
 */
struct clrsos_error *clrsos_dac_loader_allocator_heaps(struct clrsos_dac *dac, uint64_t allocator, uint64_t **ret_heaps,
						       int32_t **ret_kinds, const char ***ret_names, size_t *ret_count);
/* A block of a loader heap, as TraverseLoaderHeap visits it. */
typedef void clrsos_dac_heap_block_fn(void *ctx, uint64_t start, uint64_t size, bool current);
/* Every block of the loader heap at heap (kind as the allocator gave it; -1: a plain LoaderHeap, ISOSDacInterface). */
struct clrsos_error *clrsos_dac_traverse_loader_heap(struct clrsos_dac *dac, uint64_t heap, int32_t kind,
						     clrsos_dac_heap_block_fn *fn, void *ctx);
/* Which of the runtime's memory ranges ISOSDacInterface13 lists (.NET 8+). */
enum clrsos_dac_memory_kind {
	CLRSOS_DAC_MEMORY_HANDLE_TABLE,  /* GetHandleTableMemoryRegions */
	CLRSOS_DAC_MEMORY_GC_BOOKKEEPING, /* GetGCBookkeepingMemoryRegions */
	CLRSOS_DAC_MEMORY_GC_FREE,        /* GetGCFreeRegions */
};
/*
 * Those ranges (malloc'd, the caller's); none, and no error, when the DAC
 * has no ISOSDacInterface13 (clrsos_dac_has_loader_allocators false). At
 * most 65536 of them (an enumerator of damaged data may never end):
 * *ret_truncated says the list stopped there.
 */
struct clrsos_error *clrsos_dac_memory_regions(struct clrsos_dac *dac, enum clrsos_dac_memory_kind kind,
					       struct clrsos_sos_memory_region **ret, size_t *ret_count,
					       bool *ret_truncated);
/*
 * The MethodDesc of the code header at ip (GetCodeHeaderData), which also
 * knows a method's precode stub; *ret 0 with the DAC's error when it has none.
 */
struct clrsos_error *clrsos_dac_code_header_method_desc(struct clrsos_dac *dac, uint64_t ip, uint64_t *ret);
/* DacpCodeHeaderData: the code header at ip (the DAC's error when there is none). */
struct clrsos_dacp_code_header {
	uint64_t gc_info, method_desc, method_start, cold_start;
	uint32_t jit_type; /* 0 unknown, 1 JIT, 2 pre-JIT (ready to run) */
	uint32_t method_size, cold_size, hot_size;
};
struct clrsos_error *clrsos_dac_code_header(struct clrsos_dac *dac, uint64_t ip, struct clrsos_dacp_code_header *ret);
/* GetILForModule: where the IL body at rva of module lies in the target. */
struct clrsos_error *clrsos_dac_il_for_module(struct clrsos_dac *dac, uint64_t module, uint32_t rva, uint64_t *ret);
/* An exception clause of JIT-compiled code, as TraverseEHInfo gives it (DACEHInfo). */
struct clrsos_dac_eh_clause {
	int32_t kind; /* 0 fault, 1 finally, 2 filter, 3 typed, 4 unknown */
	uint64_t try_start, try_end, handler_start, handler_end; /* offsets from the code's start */
	bool duplicate;
	uint64_t filter;
	bool catch_all;
	uint64_t module;   /* 0: catch_mt names the caught type, else catch_token in this module */
	uint64_t catch_mt;
	uint32_t catch_token;
};
/* The name of the JIT helper at ip (GetJitHelperFunctionName) into buf; false if none. */
bool clrsos_dac_jit_helper_name(struct clrsos_dac *dac, uint64_t ip, char *buf, size_t size);
/* Every exception clause of the code at ip (*ret malloc'd). */
struct clrsos_error *clrsos_dac_eh_clauses(struct clrsos_dac *dac, uint64_t ip, struct clrsos_dac_eh_clause **ret,
					   size_t *ret_count);
/* The JIT managers (*ret malloc'd). */
struct clrsos_error *clrsos_dac_jit_managers(struct clrsos_dac *dac, struct clrsos_dacp_jit_manager_info **ret,
					     size_t *ret_count);
/* A JIT manager's code heaps (*ret malloc'd). */
struct clrsos_error *clrsos_dac_code_heaps(struct clrsos_dac *dac, uint64_t manager,
					   struct clrsos_dacp_jit_code_heap_info **ret, size_t *ret_count);

/*
 * A SyncBlock of the cleanup list: the first with sync_block 0 (all zero
 * when the list is empty), then each one's next_sync_block.
 */
struct clrsos_error *clrsos_dac_sync_block_cleanup(struct clrsos_dac *dac, uint64_t sync_block,
						   struct clrsos_dacp_sync_block_cleanup_data *ret);
struct clrsos_error *clrsos_dac_thread_data(struct clrsos_dac *dac,
					    uint64_t thread,
					    struct clrsos_dacp_thread_data *ret);
/* A MethodTable's data; a CLRSOS_ERROR_DAC error if mt is not a valid one. */
struct clrsos_error *
clrsos_dac_method_table_data(struct clrsos_dac *dac, uint64_t mt,
			     struct clrsos_dacp_method_table_data *ret);
/* The runtime's name for a MethodTable ("List`1[[T, Asm]]"), as UTF-8, malloc'd. */
struct clrsos_error *clrsos_dac_method_table_name(struct clrsos_dac *dac,
						  uint64_t mt, char **ret);
/* Every GC handle (malloc'd array owned by the caller). */
struct clrsos_error *clrsos_dac_handles(struct clrsos_dac *dac,
					struct clrsos_sos_handle_data **ret,
					size_t *ret_count);
/* The references a managed thread's stack holds (malloc'd array). */
struct clrsos_error *clrsos_dac_stack_refs(struct clrsos_dac *dac,
					   uint32_t os_thread_id,
					   struct clrsos_sos_stack_ref **ret,
					   size_t *ret_count);
/* A heap's finalization fill pointers (heap 0: workstation); *ret_count of them. */
struct clrsos_error *clrsos_dac_fill_pointers(struct clrsos_dac *dac,
					      uint64_t heap, uint64_t *ret,
					      uint32_t max, uint32_t *ret_count);

/* A managed module the runtime loaded. */
struct clrsos_managed_module {
	uint64_t address;
	uint64_t il_base;        /* where its image is mapped (0: none) */
	uint64_t metadata_start;
	uint64_t metadata_size;
	bool is_reflection;      /* emitted at run time: no file */
	bool have_data;          /* the metadata fields are known */
	char *path;              /* its file, or NULL */
};

/*
 * The calls below fail where a core lacks what they read, which callers
 * expect: they may drop the error (clrsos_error_ignore). A DAC crash they
 * meet is reported at the command's end (clrsos_dac_take_crash) if no error said it.
 */
/* The target the DAC reads (borrowed). */
struct clrsos_target *clrsos_dac_target(struct clrsos_dac *dac);
/* Where a module's image is loaded (*ret 0 on failure). */
struct clrsos_error *clrsos_dac_pe_file_base(struct clrsos_dac *dac, uint64_t module,
					     uint64_t *ret);
/* GetModuleData (fails where a core lacks the module's image). */
struct clrsos_error *clrsos_dac_module_data(struct clrsos_dac *dac, uint64_t module,
					    struct clrsos_dacp_module_data *ret);

/* Every managed module of every domain (malloc'd; free with clrsos_managed_modules_free). */
struct clrsos_error *clrsos_dac_managed_modules(struct clrsos_dac *dac,
						struct clrsos_managed_module **ret,
						size_t *ret_count);
void clrsos_managed_modules_free(struct clrsos_managed_module *modules, size_t count);

struct clrsos_error *clrsos_dac_object_data(struct clrsos_dac *dac, uint64_t object,
					    struct clrsos_dacp_object_data *ret);
struct clrsos_error *
clrsos_dac_method_table_field_data(struct clrsos_dac *dac, uint64_t mt,
				   struct clrsos_dacp_method_table_field_data *ret);
struct clrsos_error *clrsos_dac_field_desc_data(struct clrsos_dac *dac, uint64_t field,
						struct clrsos_dacp_field_desc_data *ret);
/* A type's static bases (ISOSDacInterface14, .NET 9+; else the module's). */
struct clrsos_error *clrsos_dac_static_bases(struct clrsos_dac *dac, uint64_t mt, uint64_t module,
					     uint64_t *ret_non_gc, uint64_t *ret_gc);
/* Whether the DAC locates a type's thread statics itself (ISOSDacInterface14, .NET 9+). */
bool clrsos_dac_has_thread_static_bases(const struct clrsos_dac *dac);
/*
 * A type's thread-static bases for one thread (.NET 9+); zeros if none.
 * A failed call is a droppable error (as clrsos_dac_pe_file_base's), zeros.
 */
struct clrsos_error *clrsos_dac_thread_static_bases(struct clrsos_dac *dac, uint64_t mt,
						    uint64_t thread, uint64_t *ret_non_gc,
						    uint64_t *ret_gc);
/*
 * One thread's statics of the module with module_index (DacpModuleData's),
 * as runtimes before .NET 9 keep them. A thread without them is a
 * droppable error; so, by the DAC's source, may be a module without GC
 * thread statics (it reads their handle unconditionally).
 */
struct clrsos_error *
clrsos_dac_thread_local_module_data(struct clrsos_dac *dac, uint64_t thread, uint32_t module_index,
				    struct clrsos_dacp_thread_local_module_data *ret);
/* A method of a MethodTable's slot: its entry point and MethodDesc (0 if none). */
struct clrsos_error *clrsos_dac_method_slot(struct clrsos_dac *dac, uint64_t mt, uint32_t slot,
					    uint64_t *ret_entry, uint64_t *ret_method_desc);
/* A MethodTable's methods by slot (ISOSDacInterface15, .NET 9+); none if the DAC lacks it. */
struct clrsos_error *clrsos_dac_methods(struct clrsos_dac *dac, uint64_t mt,
					struct clrsos_sos_method_data **ret, size_t *ret_count);
/*
 * Every MethodTable a module has loaded for its TypeDefs: fn is called with
 * each while the DAC call runs, so it must not call the DAC itself.
 */
typedef void clrsos_module_type_fn(void *ctx, uint64_t mt);
struct clrsos_error *clrsos_dac_module_types(struct clrsos_dac *dac, uint64_t module,
					     clrsos_module_type_fn *fn, void *ctx);

/*
 * The MethodDesc of code at ip (an entry point or inside a method); fails
 * (like the calls above, droppable) if ip is not in managed code.
 */
struct clrsos_error *clrsos_dac_method_desc_from_ip(struct clrsos_dac *dac, uint64_t ip,
						    uint64_t *ret);
/*
 * The IL offset of JIT-compiled code at ip (IXCLRDataMethodInstance's
 * GetILOffsetsByAddress): *ret_has false where the code maps to no IL
 * (a prolog counts as offset 0, as SOS counts it). Not managed code: an
 * error (droppable).
 */
struct clrsos_error *clrsos_dac_il_offset_at(struct clrsos_dac *dac, uint64_t ip, bool *ret_has,
					     uint32_t *ret_offset);
/* One entry of a method's IL to native map (CLRDATA_IL_ADDRESS_MAP). */
struct clrsos_dac_il_map_entry {
	uint32_t il_offset; /* or CLRSOS_DAC_IL_NO_MAPPING, _PROLOG, _EPILOG */
	uint32_t reserved;
	uint64_t start, end; /* the native code [start, end) */
	uint32_t source_type;
	uint32_t reserved2;
};
enum {
	CLRSOS_DAC_IL_NO_MAPPING = 0xffffffffu,
	CLRSOS_DAC_IL_PROLOG = 0xfffffffeu,
	CLRSOS_DAC_IL_EPILOG = 0xfffffffdu,
};
/*
 * The IL to native map of the JIT-compiled code holding ip
 * (IXCLRDataMethodInstance's GetILAddressMap), *ret malloc'd. Not managed
 * code, or code with no debug info (IL stubs): an error (droppable).
 */
struct clrsos_error *clrsos_dac_il_address_map(struct clrsos_dac *dac, uint64_t ip,
					       struct clrsos_dac_il_map_entry **ret, size_t *ret_count);
/*
 * Whether a map is of the code that starts at code: the DAC maps a
 * method's current code only, so the map of an older or newer version of
 * it (tiered compilation) starts elsewhere.
 */
bool clrsos_dac_il_map_starts_at(const struct clrsos_dac_il_map_entry *map, size_t count, uint64_t code);
/* A nested exception record (a thread's firstNestedException, or a record's
 * next): its exception object and the next record (0: the last). */
struct clrsos_error *clrsos_dac_nested_exception(struct clrsos_dac *dac, uint64_t record, uint64_t *ret_object,
						 uint64_t *ret_next);
/* A MethodDesc's full name (malloc'd) and whether it has native code. */
struct clrsos_error *clrsos_dac_method_desc(struct clrsos_dac *dac, uint64_t method_desc,
					    char **ret_name, bool *ret_has_code);
/* A MethodDesc's module and MethodDef token (DacpMethodDescData). */
struct clrsos_error *clrsos_dac_method_desc_module(struct clrsos_dac *dac, uint64_t method_desc,
						   uint64_t *ret_module, uint32_t *ret_token);
/*
 * GetMethodDescData: a MethodDesc's data, with the rejit version of the code
 * at ip (0: none asked). Fails (droppable) if method_desc is not a MethodDesc.
 */
struct clrsos_error *clrsos_dac_method_desc_data(struct clrsos_dac *dac, uint64_t method_desc, uint64_t ip,
						 struct clrsos_dacp_method_desc_data *ret);
/* GetMethodDescName: a MethodDesc's full name, malloc'd. */
struct clrsos_error *clrsos_dac_method_desc_name(struct clrsos_dac *dac, uint64_t method_desc, char **ret);
/*
 * A method's native code versions of one rejit version (ISOSDacInterface5,
 * .NET Core 3+); *ret malloc'd, none (and no error) if the DAC lacks it.
 */
struct clrsos_error *clrsos_dac_tiered_versions(struct clrsos_dac *dac, uint64_t method_desc, int32_t rejit_id,
						struct clrsos_dacp_tiered_version_data **ret, size_t *ret_count);
/*
 * A rejit version's IL (ISOSDacInterface7); *ret_known false (and no error)
 * if the DAC lacks it or does not answer.
 */
struct clrsos_error *clrsos_dac_rejit_info(struct clrsos_dac *dac, uint64_t method_desc, int32_t rejit_id,
					   struct clrsos_dacp_rejit_data2 *ret, bool *ret_known);
/* One frame of a managed thread's stack, as the runtime walks it. */
/* An argument or local of a managed frame, as the runtime describes it. */
enum clrsos_var_state {
	CLRSOS_VAR_VALUE,      /* value holds it */
	CLRSOS_VAR_NO_DATA,    /* the runtime cannot tell (optimized away, not yet live) */
	CLRSOS_VAR_UNREADABLE, /* it has a home, but its memory is not in the target */
};

struct clrsos_frame_var {
	char *name;            /* arguments only ("this" for the instance), or NULL (malloc'd) */
	enum clrsos_var_state state;
	uint64_t value;        /* 1-, 2-, 4- or 8-byte values, zero-extended */
	uint32_t size;         /* the value's size in bytes */
	bool has_location;     /* exactly one home: */
	bool in_register;      /* a register (which one the runtime does not say) */
	uint64_t address;      /* or this stack address */
};

struct clrsos_stack_frame {
	uint64_t sp, ip;
	uint64_t frame;       /* an explicit runtime Frame, or 0 for managed code */
	uint64_t method_desc; /* managed code's method, or 0 */
	char *name;           /* method or Frame name (malloc'd), or NULL */
	uint64_t frame_method_desc; /* a Frame's method, as the runtime names it (the P/Invoke an */
	char *frame_method;         /* InlinedCallFrame calls; malloc'd), or 0 and NULL */
	struct clrsos_frame_var *args, *locals; /* with variables requested, managed frames */
	size_t nargs, nlocals;
	bool args_failed, locals_failed; /* the runtime could not list them for this frame */
	bool has_il;          /* with CLRSOS_DAC_WALK_IL, managed code whose IL offset the runtime knows: */
	uint32_t il_offset;   /* of the IP (of the call, IP - 1, below the first frame) */
	struct clrsos_regs regs; /* the frame's registers as the runtime's walk gives them */
};

/* The managed frames of a thread (malloc'd; free with clrsos_stack_frames_free), at most
 * CLRSOS_DAC_MAX_FRAMES of them: a walk that reaches that many stops there. */
enum { CLRSOS_DAC_MAX_FRAMES = 1 << 16 };
/* What a walk reads beyond each frame's place and method (it costs DAC calls per frame). */
enum {
	CLRSOS_DAC_WALK_VARS = 1, /* each managed frame's arguments and locals */
	CLRSOS_DAC_WALK_IL = 2,   /* each managed frame's IL offset (for source lines) */
};
struct clrsos_error *clrsos_dac_stack_walk(struct clrsos_dac *dac, uint32_t os_thread_id, unsigned what,
					   struct clrsos_stack_frame **ret, size_t *ret_count);
void clrsos_stack_frames_free(struct clrsos_stack_frame *frames, size_t count);

/*
 * A module's file (malloc'd in *ret), or its PEAssembly's; fails (like the
 * calls above, droppable; *ret NULL) if the runtime names none.
 */
struct clrsos_error *clrsos_dac_module_file(struct clrsos_dac *dac, uint64_t module, char **ret);

/*
 * The Thread whose thin-lock id is id; *ret 0 if no thread has it. A failed
 * call is a droppable error (as clrsos_dac_pe_file_base's), *ret 0.
 */
struct clrsos_error *clrsos_dac_thread_from_thinlock(struct clrsos_dac *dac, uint32_t id,
						     uint64_t *ret);

/*
 * DATAS (dynamic adaptation) mode; *ret_known false if the DAC cannot say
 * (a failed call: also a droppable error).
 */
struct clrsos_error *clrsos_dac_dynamic_adaptation(struct clrsos_dac *dac,
						   int *ret, bool *ret_known);
/*
 * The global allocation context (ISOSDacInterface12); zeros if the DAC
 * lacks it (a failed call: also a droppable error).
 */
struct clrsos_error *clrsos_dac_global_alloc_context(struct clrsos_dac *dac,
						     uint64_t *ret_ptr,
						     uint64_t *ret_limit);
/*
 * The GC's counters (ISOSDacInterface3, SOS's DumpGCData): of the server
 * GC heap at heap, or (server false) of the workstation heap; and the
 * global mechanisms. An error if the DAC lacks them.
 */
struct clrsos_error *clrsos_dac_gc_interesting_info(struct clrsos_dac *dac, bool server, uint64_t heap,
						   struct clrsos_dacp_gc_interesting_info *ret);
struct clrsos_error *clrsos_dac_gc_global_mechanisms(struct clrsos_dac *dac,
						    uint64_t ret[CLRSOS_DAC_GC_GLOBAL_MECHANISMS]);

/*
 * A copy of a module's metadata as the DAC reads it (for Reflection.Emit
 * modules, which have no image for GetModuleData to point into). The
 * caller frees *ret_bytes.
 */
struct clrsos_error *clrsos_dac_module_metadata_copy(struct clrsos_dac *dac, uint64_t module,
						     void **ret_bytes, size_t *ret_size);

/*
 * Sync block number (1 .. its sync_block_count, which every answer fills
 * in). A failed call is a droppable error (as clrsos_dac_pe_file_base's).
 */
struct clrsos_error *clrsos_dac_sync_block(struct clrsos_dac *dac, uint32_t number,
					   struct clrsos_dacp_sync_block_data *ret);
/* The GC's last out-of-memory record of a heap (0: the workstation heap). */
struct clrsos_error *clrsos_dac_oom_data(struct clrsos_dac *dac, uint64_t heap, struct clrsos_dacp_oom_data *ret);
/* An assembly's name (its file, as the runtime records it), malloc'd; droppable on failure. */
struct clrsos_error *clrsos_dac_assembly_name(struct clrsos_dac *dac, uint64_t assembly, char **ret);
/* The first AppDomain (the one .NET Core has); *ret 0 if none. A failed call is droppable. */
struct clrsos_error *clrsos_dac_app_domain(struct clrsos_dac *dac, uint64_t *ret);
/* GetStressLogAddress: where StressLog::theLog is (0 when the DAC cannot say). */
struct clrsos_error *clrsos_dac_stress_log_address(struct clrsos_dac *dac, uint64_t *ret);
/*
 * Domains and assemblies (dumpdomain, dumpassembly). Each fails, as a
 * droppable error, where the address is not what it asks for.
 */
struct clrsos_error *clrsos_dac_app_domain_data(struct clrsos_dac *dac, uint64_t domain,
						struct clrsos_dacp_app_domain_data *ret);
/* A domain's friendly name, malloc'd ("" if it has none). */
struct clrsos_error *clrsos_dac_app_domain_name(struct clrsos_dac *dac, uint64_t domain, char **ret);
/* domain 0: the assembly's own. */
struct clrsos_error *clrsos_dac_assembly_data(struct clrsos_dac *dac, uint64_t domain, uint64_t assembly,
					      struct clrsos_dacp_assembly_data *ret);
/* A domain's assemblies, and an assembly's count modules: *ret malloc'd (NULL if none). */
struct clrsos_error *clrsos_dac_domain_assemblies(struct clrsos_dac *dac, uint64_t domain, uint64_t **ret,
						  size_t *ret_count);
struct clrsos_error *clrsos_dac_assembly_modules(struct clrsos_dac *dac, uint64_t assembly, uint32_t count,
						 uint64_t **ret, size_t *ret_count);
/*
 * The MethodTable of an EEClass (.NET 9+ has no EEClass to show and hands
 * out the canonical MethodTable instead: then *ret is eeclass itself).
 */
struct clrsos_error *clrsos_dac_method_table_for_eeclass(struct clrsos_dac *dac, uint64_t eeclass, uint64_t *ret);
/*
 * A module's loaded types by row: TypeDefs (type_refs false) or TypeRefs,
 * fn called with each row number (RID) and MethodTable while the DAC call
 * runs, so it must not call the DAC itself.
 */
typedef void clrsos_module_map_fn(void *ctx, uint32_t rid, uint64_t mt);
struct clrsos_error *clrsos_dac_module_map(struct clrsos_dac *dac, uint64_t module, bool type_refs,
					   clrsos_module_map_fn *fn, void *ctx);
/* The managed AssemblyLoadContext object of the assembly that holds mt (*ret 0: the default context, not created yet). */
struct clrsos_error *clrsos_dac_assembly_load_context(struct clrsos_dac *dac, uint64_t mt, uint64_t *ret);
/*
 * Whether mt's type lives in a collectible context, and the handle of its
 * LoaderAllocator object (ISOSDacInterface6; *handle 0: none, or a runtime
 * whose DAC cannot say).
 */
struct clrsos_error *clrsos_dac_method_table_collectible(struct clrsos_dac *dac, uint64_t mt, uint64_t *handle,
							 bool *collectible);
/* How a module's image is held (the module's IXCLRDataModule, its private module-data request). */
struct clrsos_dac_module_layout {
	bool is_dynamic;     /* emitted (Reflection.Emit): no file */
	bool is_in_memory;   /* loaded from bytes, not a file */
	bool is_file_layout; /* mapped as the file lies on disk, not as the loader lays out an image */
};
struct clrsos_error *clrsos_dac_module_layout(struct clrsos_dac *dac, uint64_t module,
					      struct clrsos_dac_module_layout *ret);
/*
 * The MethodDescs of module whose IL a profiler changed (ISOSDacInterface7),
 * at most max; *ret_count how many. A runtime whose DAC cannot list them
 * (no ISOSDacInterface7, or the call fails): an error.
 */
struct clrsos_error *clrsos_dac_profiler_modified_methods(struct clrsos_dac *dac, uint64_t module, uint64_t *ret,
							  int max, int *ret_count);
/* How md's IL was changed: 0 not, 1 by a profiler's SetILFunctionBody, 2 by a ReJIT (-1: unknown). */
int clrsos_dac_profiler_il_kind(struct clrsos_dac *dac, uint64_t md);

/*
 * bpmd (core/dac/notify.c). The MethodDef tokens of module's methods named
 * name ("Namespace.Type.Method", as the DAC matches it; *ret malloc'd).
 */
struct clrsos_error *clrsos_dac_methods_by_name(struct clrsos_dac *dac, uint64_t module, const char *name,
						uint32_t **ret_tokens, size_t *ret_count);
/*
 * Where the compiled code of method token of module has il_offset: one
 * address per instance compiled (its entry for offset 0 when the runtime
 * maps none); none yet is no error. *ret_generic: the method or its type
 * is generic (more instances may come).
 */
struct clrsos_error *clrsos_dac_method_code(struct clrsos_dac *dac, uint64_t module, uint32_t token,
					    uint32_t il_offset, uint64_t **ret_addresses, size_t *ret_count,
					    bool *ret_generic);
/* Ask the runtime (on) to raise a notification each time it compiles code for the method, or stop asking. */
struct clrsos_error *clrsos_dac_set_code_notification(struct clrsos_dac *dac, uint64_t module, uint32_t token,
						      bool on);
/* Ask the runtime (on) to raise a notification at each module load and unload, or stop asking. */
struct clrsos_error *clrsos_dac_set_module_notifications(struct clrsos_dac *dac, bool on);
/*
 * The notification the runtime raises now (ISOSDacInterface4): its
 * arguments (kind, then the kind's own); *ret_count 0 when it raises none.
 */
struct clrsos_error *clrsos_dac_clr_notification(struct clrsos_dac *dac, uint64_t ret_args[3], size_t *ret_count);
/*
 * Where the IL offset il_offset is in the code that starts at code (a code
 * version just compiled, whose MethodDesc may not point at it yet); where
 * the code maps no instruction to it (optimized code maps only offsets
 * where the IL stack is empty), the first of the next offset it maps.
 * *ret 0 when there is none.
 */
struct clrsos_error *clrsos_dac_code_address_of_il(struct clrsos_dac *dac, uint64_t code, uint32_t il_offset,
						   uint64_t *ret);
/* The MethodDesc of a MethodDef token in module (*ret 0 when the runtime has made none yet). */
struct clrsos_error *clrsos_dac_method_desc_from_token(struct clrsos_dac *dac, uint64_t module, uint32_t token,
						       uint64_t *ret);

#ifdef __cplusplus
}
#endif

#endif
