/*
 * A fake DAC for core/'s unit tests: a C COM object standing in for
 * IXCLRDataProcess. Its QueryInterface hands out ISOSDacInterface and
 * ISOSDacInterface8 objects whose vtables put the methods clrsos calls at
 * the slots core/dac.c uses (core/sosdac.h); every other slot returns
 * E_NOTIMPL. Each fake has its own vtables, so a test can make one slot
 * fail (fake_dac_unimplement).
 *
 * What it answers is scripted per test:
 *  - the GC: heap data, heaps with their details, generation tables and
 *    finalization fill pointers, a table of segments (each may be made to
 *    fail);
 *  - MethodTables: data (GetMethodTableData) and names (GetMethodTableName,
 *    UTF-16, count/needed protocol), E_FAIL for any other address; the
 *    useful globals (free and string MethodTables);
 *  - threads: the thread store, each thread's data (allocation context, OS
 *    thread id) and stack references (GetStackReferences, an
 *    ISOSStackRefEnum);
 *  - GC handles (GetHandleEnum, an ISOSHandleEnum);
 *  - modules (GetModuleData) and, as before .NET 9, each thread's statics
 *    of a module (GetThreadLocalModuleData).
 * The enumerators are COM objects of their own, freed on their last
 * Release; live_enums counts those not yet released. Every call is counted.
 */
#ifndef CLRSOS_TESTS_FAKE_DAC_H
#define CLRSOS_TESTS_FAKE_DAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dac/com.h"
#include "dac/sosdac.h"

enum {
	FAKE_VTABLE_SLOTS = 128,
	FAKE_MAX_HEAPS = 4,
	FAKE_MAX_SEGMENTS = 64,
	FAKE_MAX_TYPES = 1024,
	FAKE_MAX_DAC_THREADS = 8,
	FAKE_MAX_STACK_REFS = 64,
	FAKE_FILL_POINTERS = 7, /* gen0-2, LOH, POH, critical, finalizer list */
	FAKE_MAX_MODULES_DAC = 8,
	FAKE_MAX_TLMS = 16,
};

struct fake_dac;

struct fake_iface {
	void *const *vtbl; /* first: what a COM pointer points to */
	struct fake_dac *dac;
	uint32_t refs;
};

/* Which of the fake's interfaces a slot belongs to. */
enum fake_interface {
	FAKE_PROCESS,
	FAKE_SOS,
	FAKE_SOS8,
	FAKE_INTERFACES,
};

struct fake_segment {
	struct clrsos_dacp_heap_segment_data data;
	bool fail;
};

struct fake_heap {
	uint64_t address; /* 0 for the workstation heap */
	struct clrsos_dacp_gc_heap_details details;
	struct clrsos_dacp_generation_data gens[8];
	uint32_t ngens; /* the ISOSDacInterface8 table */
	uint64_t fill_pointers[FAKE_FILL_POINTERS];
};

struct fake_type {
	uint64_t mt;
	struct clrsos_dacp_method_table_data data;
	const char *name; /* UTF-8; NULL: GetMethodTableName fails */
	unsigned data_calls, name_calls;
};

struct fake_thread_rec {
	uint64_t address; /* the runtime's Thread object */
	struct clrsos_dacp_thread_data data;
	struct clrsos_sos_stack_ref refs[FAKE_MAX_STACK_REFS];
	size_t nrefs;
	bool stack_fails; /* GetStackReferences fails for this thread */
};

struct fake_module_rec {
	uint64_t address;
	struct clrsos_dacp_module_data data;
};

/* One thread's ThreadLocalModule of one module. */
struct fake_tlm {
	uint64_t thread;
	uint32_t module_index;
	struct clrsos_dacp_thread_local_module_data data;
};

struct fake_dac {
	struct fake_iface process, sos, sos8;
	void *vtbls[FAKE_INTERFACES][FAKE_VTABLE_SLOTS];
	bool has_sos, has_sos8;
	clrsos_hresult heap_data_hr; /* what GetGCHeapData returns */
	struct clrsos_dacp_gc_heap_data heap_data;
	struct fake_heap heaps[FAKE_MAX_HEAPS];
	uint32_t nheaps;
	struct fake_segment segments[FAKE_MAX_SEGMENTS];
	size_t nsegments;
	struct clrsos_dacp_useful_globals globals;
	struct fake_type types[FAKE_MAX_TYPES];
	size_t ntypes;
	struct fake_thread_rec threads[FAKE_MAX_DAC_THREADS];
	size_t nthreads;
	struct fake_module_rec modules[FAKE_MAX_MODULES_DAC];
	size_t nmodules;
	struct fake_tlm tlms[FAKE_MAX_TLMS];
	size_t ntlms;
	struct clrsos_sos_handle_data *handles; /* malloc'd */
	size_t nhandles, handles_cap;

	/* Calls. */
	unsigned heap_data_calls, heap_list_calls, details_calls, static_calls;
	unsigned segment_calls, gen_table_calls, gen_table_svr_calls;
	unsigned flush_calls, not_impl_calls;
	unsigned mt_data_calls, mt_name_calls, globals_calls;
	unsigned thread_store_calls, thread_data_calls;
	unsigned handle_enum_calls, stack_ref_calls, enum_next_calls;
	unsigned fill_pointer_calls, module_data_calls, tlm_calls;
	int live_enums; /* enumerators handed out and not yet released */
};

/* An empty fake: one workstation heap's worth of heap data, no heaps yet. */
void fake_dac_init(struct fake_dac *d);
/* Free what the fake allocated (the handle table). */
void fake_dac_fini(struct fake_dac *d);
/* Make a slot of one interface answer E_NOTIMPL. */
void fake_dac_unimplement(struct fake_dac *d, enum fake_interface iface, int slot);

struct fake_segment *fake_dac_add_segment(struct fake_dac *d, uint64_t address,
					  uint64_t mem, uint64_t allocated,
					  uint64_t committed, uint64_t next);
struct fake_heap *fake_dac_add_heap(struct fake_dac *d, uint64_t address);
/* Generation g of heap h starts its list at segment (both tables agree). */
void fake_dac_set_generation(struct fake_heap *h, int g, uint64_t segment,
			     uint64_t allocation_start);

/* A MethodTable the DAC accepts; name may be NULL (no name). */
struct fake_type *fake_dac_add_type(struct fake_dac *d, uint64_t mt, const char *name,
				    uint32_t base_size, uint32_t component_size,
				    bool contains_pointers, bool is_free);
struct fake_type *fake_dac_find_type(struct fake_dac *d, uint64_t mt);

/* A managed thread (linked after the others) with its allocation context. */
struct fake_thread_rec *fake_dac_add_thread(struct fake_dac *d, uint64_t address,
					    uint32_t os_id, uint64_t alloc_ptr,
					    uint64_t alloc_limit);
/* A reference on thread t's stack (flags: CLRSOS_STACK_REF_INTERIOR ...). */
void fake_dac_add_stack_ref(struct fake_thread_rec *t, uint64_t object, uint32_t flags);

/* A module with its module index (DacpModuleData's). */
struct fake_module_rec *fake_dac_add_module(struct fake_dac *d, uint64_t address, uint64_t module_index);
/* Thread thread's statics of the module with module_index. */
struct fake_tlm *fake_dac_add_tlm(struct fake_dac *d, uint64_t thread, uint32_t module_index,
				  uint64_t class_data, uint64_t gc_start, uint64_t non_gc_start);

/* A GC handle: the handle's slot (in target memory) holds the object. */
struct clrsos_sos_handle_data *fake_dac_add_handle(struct fake_dac *d, uint64_t handle,
						   uint32_t type, uint64_t secondary,
						   uint32_t ref_count);

#endif
