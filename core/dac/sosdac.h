/*
 * The data structures the DAC's ISOSDacInterface family fills, in the x64
 * layout of dacprivate.h (sizes checked below), and the handful of
 * interface identities clrsos asks for.
 */
#ifndef CLRSOS_SOSDAC_H
#define CLRSOS_SOSDAC_H

#include <assert.h>
#include <stdint.h>

#include "dac/com.h"

typedef uint64_t clrsos_clrdata_address;

enum { CLRSOS_DAC_NUMBERGENERATIONS = 4 };

struct clrsos_dacp_gc_heap_data {
	int32_t server_mode;
	int32_t gc_structures_valid;
	uint32_t heap_count;
	uint32_t max_generation;
};

struct clrsos_dacp_generation_data {
	clrsos_clrdata_address start_segment;
	clrsos_clrdata_address allocation_start;
	clrsos_clrdata_address alloc_context_ptr;
	clrsos_clrdata_address alloc_context_limit;
};

struct clrsos_dacp_gc_heap_details {
	clrsos_clrdata_address heap_addr;
	clrsos_clrdata_address alloc_allocated;
	clrsos_clrdata_address mark_array;
	clrsos_clrdata_address current_c_gc_state;
	clrsos_clrdata_address next_sweep_obj;
	clrsos_clrdata_address saved_sweep_ephemeral_seg;
	clrsos_clrdata_address saved_sweep_ephemeral_start;
	clrsos_clrdata_address background_saved_lowest_address;
	clrsos_clrdata_address background_saved_highest_address;
	struct clrsos_dacp_generation_data
		generation_table[CLRSOS_DAC_NUMBERGENERATIONS];
	clrsos_clrdata_address ephemeral_heap_segment;
	clrsos_clrdata_address
		finalization_fill_pointers[CLRSOS_DAC_NUMBERGENERATIONS + 3];
	clrsos_clrdata_address lowest_address;
	clrsos_clrdata_address highest_address;
	clrsos_clrdata_address card_table;
};

struct clrsos_dacp_heap_segment_data {
	clrsos_clrdata_address segment_addr;
	clrsos_clrdata_address allocated;
	clrsos_clrdata_address committed;
	clrsos_clrdata_address reserved;
	clrsos_clrdata_address used;
	clrsos_clrdata_address mem;
	clrsos_clrdata_address next;
	clrsos_clrdata_address gc_heap;
	clrsos_clrdata_address high_alloc_mark;
	uint64_t flags;
	clrsos_clrdata_address background_allocated;
};

struct clrsos_dacp_useful_globals {
	clrsos_clrdata_address array_method_table;
	clrsos_clrdata_address string_method_table;
	clrsos_clrdata_address object_method_table;
	clrsos_clrdata_address exception_method_table;
	clrsos_clrdata_address free_method_table;
};

struct clrsos_dacp_thread_store_data {
	int32_t thread_count;
	int32_t unstarted_thread_count;
	int32_t background_thread_count;
	int32_t pending_thread_count;
	int32_t dead_thread_count;
	clrsos_clrdata_address first_thread;
	clrsos_clrdata_address finalizer_thread;
	clrsos_clrdata_address gc_thread;
	uint32_t host_config;
};

/* A JIT manager (DacpJitManagerInfo). */
struct clrsos_dacp_jit_manager_info {
	clrsos_clrdata_address manager;
	uint32_t code_type;
	clrsos_clrdata_address heap_list;
};

/* A code heap of a JIT manager (DacpJitCodeHeapInfo): a loader heap, or a host's [base, current). */
struct clrsos_dacp_jit_code_heap_info {
	uint32_t code_heap_type; /* 0 loader, 1 host, 2 unknown */
	clrsos_clrdata_address loader_heap_or_base;
	clrsos_clrdata_address current;
};

/* A SyncBlock waiting for the finalizer thread to clean it up (DacpSyncBlockCleanupData). */
struct clrsos_dacp_sync_block_cleanup_data {
	clrsos_clrdata_address sync_block;
	clrsos_clrdata_address next_sync_block;
	clrsos_clrdata_address rcw;
	clrsos_clrdata_address class_factory;
	clrsos_clrdata_address ccw;
};

struct clrsos_dacp_thread_data {
	uint32_t cor_thread_id;
	uint32_t os_thread_id;
	int32_t state;
	uint32_t preemptive_gc_disabled;
	clrsos_clrdata_address alloc_context_ptr;
	clrsos_clrdata_address alloc_context_limit;
	clrsos_clrdata_address context;
	clrsos_clrdata_address domain;
	clrsos_clrdata_address frame;
	uint32_t lock_count;
	clrsos_clrdata_address first_nested_exception;
	clrsos_clrdata_address teb;
	clrsos_clrdata_address fiber_data;
	clrsos_clrdata_address last_thrown_object_handle;
	clrsos_clrdata_address next_thread;
};

struct clrsos_dacp_method_table_data {
	int32_t is_free;
	clrsos_clrdata_address module;
	clrsos_clrdata_address klass;
	clrsos_clrdata_address parent_method_table;
	uint16_t num_interfaces, num_methods, num_vtable_slots, num_virtuals;
	uint32_t base_size;
	uint32_t component_size;
	uint32_t token;
	uint32_t attr_class;
	int32_t is_shared;
	int32_t is_dynamic;
	int32_t contains_pointers;
};

/* A range of the runtime's memory (ISOSMemoryEnum, .NET 8+: SOSMemoryRegion). */
struct clrsos_sos_memory_region {
	uint64_t start;
	uint64_t size;
	uint64_t extra_data; /* GetGCFreeRegions: the kind of free region (1-5) */
	int32_t heap;        /* the GC heap it belongs to */
	uint32_t padding;
};

/* A GC handle (ISOSHandleEnum). */
struct clrsos_sos_handle_data {
	clrsos_clrdata_address app_domain;
	clrsos_clrdata_address handle;    /* the handle: its slot holds the object */
	clrsos_clrdata_address secondary; /* dependent handles: the secondary object */
	uint32_t type;
	int32_t strong_reference;
	uint32_t ref_count;
	uint32_t jupiter_ref_count;
	int32_t is_pegged;
};

/* A reference from a thread's stack or registers (ISOSStackRefEnum). */
struct clrsos_sos_stack_ref {
	int32_t has_register_information;
	int32_t reg;
	int32_t offset;
	clrsos_clrdata_address address; /* where the reference is stored */
	clrsos_clrdata_address object;
	uint32_t flags;                  /* CLRSOS_STACK_REF_INTERIOR, _PINNED */
	uint32_t source_type;            /* 0 managed IP, 1 Frame, 2 other */
	clrsos_clrdata_address source;
	clrsos_clrdata_address stack_pointer;
};

enum {
	CLRSOS_STACK_REF_INTERIOR = 1,
	CLRSOS_STACK_REF_PINNED = 2,
};

/* GC handle types (gcinterface.h HandleType). */
enum clrsos_handle_type {
	CLRSOS_HANDLE_WEAK_SHORT = 0,
	CLRSOS_HANDLE_WEAK_LONG = 1,
	CLRSOS_HANDLE_STRONG = 2,
	CLRSOS_HANDLE_PINNED = 3,
	CLRSOS_HANDLE_VARIABLE = 4,
	CLRSOS_HANDLE_REF_COUNTED = 5,
	CLRSOS_HANDLE_DEPENDENT = 6,
	CLRSOS_HANDLE_ASYNC_PINNED = 7,
	CLRSOS_HANDLE_SIZED_REF = 8,
	CLRSOS_HANDLE_WEAK_WINRT = 9,
};

struct clrsos_dacp_app_domain_store_data {
	clrsos_clrdata_address shared_domain;
	clrsos_clrdata_address system_domain;
	int32_t domain_count;
};

/* DacpAppDomainData: a domain as GetAppDomainData answers. */
struct clrsos_dacp_app_domain_data {
	clrsos_clrdata_address app_domain;
	clrsos_clrdata_address app_sec_desc;
	clrsos_clrdata_address low_frequency_heap;
	clrsos_clrdata_address high_frequency_heap;
	clrsos_clrdata_address stub_heap;
	clrsos_clrdata_address domain_local_block;
	clrsos_clrdata_address domain_local_modules;
	uint32_t id;             /* creation sequence number, from 1 */
	int32_t assembly_count;
	int32_t failed_assembly_count;
	int32_t stage;           /* DacpAppDomainDataStage */
};

/* DacpAssemblyData: an assembly as GetAssemblyData answers. */
struct clrsos_dacp_assembly_data {
	clrsos_clrdata_address assembly;
	clrsos_clrdata_address class_loader;
	clrsos_clrdata_address parent_domain;
	clrsos_clrdata_address base_domain;
	clrsos_clrdata_address assembly_sec_desc;
	int32_t is_dynamic;
	uint32_t module_count;
	uint32_t load_context;
	int32_t is_domain_neutral;
	uint32_t location_flags;
};

struct clrsos_dacp_module_data {
	clrsos_clrdata_address address;
	clrsos_clrdata_address pe_assembly;
	clrsos_clrdata_address il_base;
	clrsos_clrdata_address metadata_start;
	uint64_t metadata_size;
	clrsos_clrdata_address assembly;
	int32_t is_reflection;
	int32_t is_pe_file;
	uint64_t base_class_index;
	uint64_t module_id;
	uint32_t transient_flags;
	clrsos_clrdata_address type_def_to_method_table_map;
	clrsos_clrdata_address type_ref_to_method_table_map;
	clrsos_clrdata_address method_def_to_desc_map;
	clrsos_clrdata_address field_def_to_desc_map;
	clrsos_clrdata_address member_ref_to_desc_map;
	clrsos_clrdata_address file_references_map;
	clrsos_clrdata_address manifest_module_references_map;
	clrsos_clrdata_address loader_allocator;
	clrsos_clrdata_address thunk_heap;
	uint64_t module_index;
};

struct clrsos_dacp_object_data {
	clrsos_clrdata_address method_table;
	uint32_t object_type; /* 0 string, 1 free, 2 object, 3 array, 4 other */
	uint64_t size;
	clrsos_clrdata_address element_type_handle;
	uint32_t element_type;
	uint32_t rank;
	uint64_t num_components;
	uint64_t component_size;
	clrsos_clrdata_address array_data;
	clrsos_clrdata_address array_bounds;
	clrsos_clrdata_address array_lower_bounds;
	clrsos_clrdata_address rcw;
	clrsos_clrdata_address ccw;
};

struct clrsos_dacp_method_table_field_data {
	uint16_t num_instance_fields; /* inherited ones included */
	uint16_t num_static_fields;
	uint16_t num_thread_static_fields;
	clrsos_clrdata_address first_field;
	uint16_t context_static_offset;
	uint16_t context_statics_size;
};

struct clrsos_dacp_field_desc_data {
	uint32_t type;     /* CorElementType (enums as their underlying type) */
	uint32_t sig_type; /* as the signature says */
	clrsos_clrdata_address mt_of_type;
	clrsos_clrdata_address module_of_type;
	uint32_t token_of_type;
	uint32_t token;    /* the field's mdFieldDef */
	clrsos_clrdata_address mt_of_enclosing_class;
	uint32_t offset;
	int32_t is_thread_local;
	int32_t is_context_local;
	int32_t is_static;
	clrsos_clrdata_address next_field;
};

/* One thread's statics of one module (DacpThreadLocalModuleData, before .NET 9). */
struct clrsos_dacp_thread_local_module_data {
	clrsos_clrdata_address thread;
	uint64_t module_index;
	clrsos_clrdata_address class_data; /* a flags byte per class, by TypeDef RID - 1 */
	clrsos_clrdata_address dynamic_class_table;
	clrsos_clrdata_address gc_static_data_start;
	clrsos_clrdata_address non_gc_static_data_start;
};

struct clrsos_dacp_domain_local_module_data {
	clrsos_clrdata_address app_domain;
	uint64_t module_id;
	clrsos_clrdata_address class_data;
	clrsos_clrdata_address dynamic_class_table;
	clrsos_clrdata_address gc_static_data_start;
	clrsos_clrdata_address non_gc_static_data_start;
};

/* A rejit version of a method (DacpReJitData). */
struct clrsos_dacp_rejit_data {
	clrsos_clrdata_address rejit_id;
	uint32_t flags;
	clrsos_clrdata_address native_code;
};

/* DacpMethodDescData: a MethodDesc as GetMethodDescData answers. */
struct clrsos_dacp_method_desc_data {
	int32_t has_native_code;
	int32_t is_dynamic;
	uint16_t slot;
	clrsos_clrdata_address native_code;
	clrsos_clrdata_address native_code_slot;
	clrsos_clrdata_address method_desc;
	clrsos_clrdata_address method_table;
	clrsos_clrdata_address module;
	uint32_t token;
	clrsos_clrdata_address gc_info;
	clrsos_clrdata_address gc_stress_code_copy;
	clrsos_clrdata_address managed_dynamic_method_object;
	clrsos_clrdata_address requested_ip;
	struct clrsos_dacp_rejit_data rejit_current;
	struct clrsos_dacp_rejit_data rejit_requested;
	uint32_t jitted_rejit_versions;
};

/* DacpReJitData2 (ISOSDacInterface7): a rejit version's IL. */
struct clrsos_dacp_rejit_data2 {
	uint32_t rejit_id;
	uint32_t flags;
	clrsos_clrdata_address il;
	clrsos_clrdata_address il_code_version;
};

/* DacpTieredVersionData (ISOSDacInterface5): one native code version of a method. */
struct clrsos_dacp_tiered_version_data {
	clrsos_clrdata_address native_code;
	uint32_t tier; /* OptimizationTier: 0 unknown .. 8, see clrsos_code_tier_name */
	clrsos_clrdata_address native_code_version;
};

/* A method of a MethodTable (ISOSMethodEnum). */
struct clrsos_sos_method_data {
	clrsos_clrdata_address method_desc;
	clrsos_clrdata_address entry_point;
	clrsos_clrdata_address defining_method_table;
	clrsos_clrdata_address defining_module;
	uint32_t token;
	uint32_t slot;
};

static_assert(sizeof(struct clrsos_sos_method_data) == 40, "SOSMethodData");
static_assert(sizeof(struct clrsos_dacp_method_desc_data) == 152, "DacpMethodDescData");
static_assert(sizeof(struct clrsos_dacp_rejit_data2) == 24, "DacpReJitData2");
static_assert(sizeof(struct clrsos_dacp_tiered_version_data) == 24, "DacpTieredVersionData");
static_assert(sizeof(struct clrsos_dacp_object_data) == 96, "DacpObjectData");
static_assert(sizeof(struct clrsos_dacp_method_table_field_data) == 24, "DacpMethodTableFieldData");
static_assert(sizeof(struct clrsos_dacp_field_desc_data) == 64, "DacpFieldDescData");
static_assert(sizeof(struct clrsos_dacp_domain_local_module_data) == 48, "DacpDomainLocalModuleData");
static_assert(sizeof(struct clrsos_dacp_thread_local_module_data) == 48, "DacpThreadLocalModuleData");
static_assert(sizeof(struct clrsos_dacp_app_domain_store_data) == 24, "DacpAppDomainStoreData");
static_assert(sizeof(struct clrsos_dacp_module_data) == 160, "DacpModuleData");
static_assert(sizeof(struct clrsos_dacp_app_domain_data) == 72, "DacpAppDomainData");
static_assert(sizeof(struct clrsos_dacp_assembly_data) == 64, "DacpAssemblyData");
static_assert(sizeof(struct clrsos_dacp_method_table_data) == 72, "DacpMethodTableData");
static_assert(sizeof(struct clrsos_sos_handle_data) == 48, "SOSHandleData");
static_assert(sizeof(struct clrsos_sos_stack_ref) == 56, "SOSStackRefData");
static_assert(sizeof(struct clrsos_dacp_gc_heap_data) == 16, "DacpGcHeapData");
static_assert(sizeof(struct clrsos_dacp_generation_data) == 32, "DacpGenerationData");
static_assert(sizeof(struct clrsos_dacp_gc_heap_details) == 288, "DacpGcHeapDetails");
static_assert(sizeof(struct clrsos_dacp_heap_segment_data) == 88, "DacpHeapSegmentData");
static_assert(sizeof(struct clrsos_dacp_useful_globals) == 40, "DacpUsefulGlobalsData");
static_assert(sizeof(struct clrsos_dacp_thread_store_data) == 56, "DacpThreadStoreData");
static_assert(sizeof(struct clrsos_dacp_thread_data) == 104, "DacpThreadData");

/* DacpSyncBlockData (dacprivate.h): sync block number n of [1, sync_block_count]. */
struct clrsos_dacp_sync_block_data {
	clrsos_clrdata_address object;
	int32_t is_free;                  /* BOOL bFree: nothing below is meaningful */
	clrsos_clrdata_address sync_block_pointer;
	uint32_t com_flags;               /* 1 CCW, 2 RCW, 4 ComClassFactory */
	uint32_t monitor_held;
	uint32_t recursion;
	clrsos_clrdata_address holding_thread; /* a Thread, 0 none, ~0 orphaned */
	uint32_t additional_thread_count;
	clrsos_clrdata_address app_domain;
	uint32_t sync_block_count;        /* always filled in */
};

/* DacpOomData (dacprivate.h): the GC's record of its last out-of-memory. */
struct clrsos_dacp_oom_data {
	int32_t reason;                   /* oom_reason: 0 none */
	uint64_t alloc_size;
	uint64_t available_pagefile_mb;
	uint64_t gc_index;
	int32_t fgm;                      /* failure_get_memory */
	uint64_t size;
	int32_t loh_p;                    /* BOOL: a large object allocation */
};

static_assert(sizeof(struct clrsos_dacp_sync_block_data) == 72, "DacpSyncBlockData");
static_assert(sizeof(struct clrsos_dacp_oom_data) == 56, "DacpOomData");

/* Interface identities (clrdata.idl, xclrdata.idl, sospriv.idl). */
static const struct clrsos_guid CLRSOS_IID_IUnknown = {
	0x00000000, 0x0000, 0x0000, {0xc0, 0, 0, 0, 0, 0, 0, 0x46}};
static const struct clrsos_guid CLRSOS_IID_ICLRDataTarget = {
	0x3e11ccee, 0xd08b, 0x43e5, {0xaf, 0x01, 0x32, 0x71, 0x7a, 0x64, 0xda, 0x03}};
static const struct clrsos_guid CLRSOS_IID_ICorDebugDataTarget4 = {
	0xe799dc06, 0xe099, 0x4713, {0xbd, 0xd9, 0x90, 0x6d, 0x3c, 0xc0, 0x2c, 0xf2}};
static const struct clrsos_guid CLRSOS_IID_ICLRRuntimeLocator = {
	0xb760bf44, 0x9377, 0x4597, {0x8b, 0xe7, 0x58, 0x08, 0x3b, 0xdc, 0x51, 0x46}};
static const struct clrsos_guid CLRSOS_IID_ICLRMetadataLocator = {
	0xaa8fa804, 0xbc05, 0x4642, {0xb2, 0xc5, 0xc3, 0x53, 0xed, 0x22, 0xfc, 0x63}};
static const struct clrsos_guid CLRSOS_IID_IXCLRDataProcess = {
	0x5c552ab6, 0xfc09, 0x4cb3, {0x8e, 0x36, 0x22, 0xfa, 0x03, 0xc7, 0x98, 0xb7}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface = {
	0x436f00f2, 0xb42a, 0x4b9f, {0x87, 0x0c, 0xe7, 0x3d, 0xb6, 0x6a, 0xe9, 0x30}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface3 = {
	0xb08c5cdc, 0xfd8a, 0x49c5, {0xab, 0x38, 0x5f, 0xee, 0xf3, 0x52, 0x35, 0xb4}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface5 = {
	0x127d6abe, 0x6c86, 0x4e48, {0x8e, 0x7b, 0x22, 0x07, 0x81, 0xc5, 0x81, 0x01}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface6 = {
	0x11206399, 0x4b66, 0x4edb, {0x98, 0xea, 0x85, 0x65, 0x4e, 0x59, 0xad, 0x45}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface7 = {
	0xc1020dde, 0xfe98, 0x4536, {0xa5, 0x3b, 0xf3, 0x5a, 0x74, 0xc3, 0x27, 0xeb}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface8 = {
	0xc12f35a9, 0xe55c, 0x4520, {0xa8, 0x94, 0xb3, 0xdc, 0x51, 0x65, 0xdf, 0xce}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface12 = {
	0x1b93bacc, 0x8ca4, 0x432d, {0x94, 0x3a, 0x3e, 0x6e, 0x7e, 0xc0, 0xb0, 0xa3}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface13 = {
	0x3176a8ed, 0x597b, 0x4f54, {0xa7, 0x1f, 0x83, 0x69, 0x5c, 0x6a, 0x8c, 0x5e}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface14 = {
	0x9aa22aca, 0x6dc6, 0x4a0c, {0xb4, 0xe0, 0x70, 0xd2, 0x41, 0x6b, 0x98, 0x37}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface15 = {
	0x7ed81261, 0x52a9, 0x4a23, {0xa3, 0x58, 0xc3, 0x31, 0x3d, 0xea, 0x30, 0xa8}};
static const struct clrsos_guid CLRSOS_IID_ISOSDacInterface16 = {
	0x4ba12ff8, 0xdaac, 0x4e43, {0xac, 0x56, 0x98, 0xcf, 0x8d, 0x5c, 0x59, 0x5d}};

/* Vtable slots, counted from sospriv.idl / xclrdata.idl (IUnknown is 0-2). */
enum {
	CLRSOS_SLOT_XCLRDATAPROCESS_FLUSH = 3,
	CLRSOS_SLOT_XCLRDATAPROCESS_GET_TASK_BY_OS_THREAD_ID = 7,
	CLRSOS_SLOT_XCLRDATAPROCESS_START_ENUM_METHOD_INSTANCES_BY_ADDRESS = 27,
	CLRSOS_SLOT_XCLRDATAPROCESS_ENUM_METHOD_INSTANCE_BY_ADDRESS = 28,
	CLRSOS_SLOT_XCLRDATAPROCESS_END_ENUM_METHOD_INSTANCES_BY_ADDRESS = 29,
	CLRSOS_SLOT_SOS_GET_NESTED_EXCEPTION_DATA = 65,
	CLRSOS_SLOT_SOS_GET_STRESS_LOG_ADDRESS = 66,
	CLRSOS_SLOT_XCLRDATATASK_CREATE_STACK_WALK = 11,
	CLRSOS_SLOT_XCLRDATASTACKWALK_GET_CONTEXT = 3,
	CLRSOS_SLOT_XCLRDATASTACKWALK_NEXT = 5,
	CLRSOS_SLOT_XCLRDATASTACKWALK_REQUEST = 9,
	CLRSOS_SLOT_XCLRDATASTACKWALK_GET_FRAME = 8,
	CLRSOS_SLOT_XCLRDATAFRAME_GET_NUM_ARGUMENTS = 6,
	CLRSOS_SLOT_XCLRDATAFRAME_GET_ARGUMENT_BY_INDEX = 7,
	CLRSOS_SLOT_XCLRDATAFRAME_GET_NUM_LOCAL_VARIABLES = 8,
	CLRSOS_SLOT_XCLRDATAFRAME_GET_LOCAL_VARIABLE_BY_INDEX = 9,
	CLRSOS_SLOT_XCLRDATAFRAME_GET_METHOD_INSTANCE = 11,
	CLRSOS_SLOT_XCLRDATAMETHODINSTANCE_GET_IL_OFFSETS_BY_ADDRESS = 12,
	CLRSOS_SLOT_XCLRDATAMETHODINSTANCE_GET_IL_ADDRESS_MAP = 14,
	CLRSOS_SLOT_XCLRDATAVALUE_GET_BYTES = 6,
	CLRSOS_SLOT_XCLRDATAVALUE_GET_NUM_LOCATIONS = 28,
	CLRSOS_SLOT_XCLRDATAVALUE_GET_LOCATION_BY_INDEX = 29,
	CLRSOS_SLOT_SOS_GET_FRAME_NAME = 43,
	CLRSOS_SLOT_SOS_GET_THREAD_STORE_DATA = 3,
	CLRSOS_SLOT_SOS_GET_THREAD_DATA = 17,
	CLRSOS_SLOT_SOS_GET_THREAD_FROM_THINLOCK_ID = 18,
	CLRSOS_SLOT_SOS_GET_GC_HEAP_DATA = 46,
	CLRSOS_SLOT_SOS_GET_GC_HEAP_LIST = 47,
	CLRSOS_SLOT_SOS_GET_GC_HEAP_DETAILS = 48,
	CLRSOS_SLOT_SOS_GET_GC_HEAP_STATIC_DATA = 49,
	CLRSOS_SLOT_SOS_GET_HEAP_SEGMENT_DATA = 50,
	CLRSOS_SLOT_SOS_GET_USEFUL_GLOBALS = 70,
	CLRSOS_SLOT_SOS_GET_APP_DOMAIN_STORE_DATA = 4,
	CLRSOS_SLOT_SOS_GET_APP_DOMAIN_LIST = 5,
	CLRSOS_SLOT_SOS_GET_ASSEMBLY_LIST = 9,
	CLRSOS_SLOT_SOS_GET_APP_DOMAIN_DATA = 6,
	CLRSOS_SLOT_SOS_GET_APP_DOMAIN_NAME = 7,
	CLRSOS_SLOT_SOS_GET_ASSEMBLY_DATA = 10,
	CLRSOS_SLOT_SOS_GET_METHOD_TABLE_FOR_EECLASS = 41,
	CLRSOS_SLOT_SOS_GET_METHOD_DESC_PTR_FROM_FRAME = 23,
	CLRSOS_SLOT_SOS_GET_METHOD_DESC_FROM_TOKEN = 24,
	CLRSOS_SLOT_SOS_GET_MODULE_DATA = 13,
	CLRSOS_SLOT_SOS_TRAVERSE_MODULE_MAP = 14,
	CLRSOS_SLOT_SOS_GET_ASSEMBLY_MODULE_LIST = 15,
	CLRSOS_SLOT_SOS_GET_PE_FILE_BASE = 44,
	CLRSOS_SLOT_SOS_GET_PE_FILE_NAME = 45,
	CLRSOS_SLOT_SOS_GET_METHOD_DESC_DATA = 20,
	CLRSOS_SLOT_SOS_GET_METHOD_DESC_PTR_FROM_IP = 21,
	CLRSOS_SLOT_SOS_GET_METHOD_DESC_NAME = 22,
	CLRSOS_SLOT_SOS5_GET_TIERED_VERSIONS = 3,
	CLRSOS_SLOT_SOS7_GET_REJIT_INFORMATION = 4,
	CLRSOS_SLOT_SOS_GET_METHOD_TABLE_SLOT = 38,
	CLRSOS_SLOT_SOS_GET_OBJECT_DATA = 33,
	CLRSOS_SLOT_SOS_GET_METHOD_TABLE_FIELD_DATA = 39,
	CLRSOS_SLOT_SOS_GET_FIELD_DESC_DATA = 42,
	CLRSOS_SLOT_SOS_GET_DOMAIN_LOCAL_MODULE_DATA_FROM_MODULE = 57,
	CLRSOS_SLOT_SOS_GET_THREAD_LOCAL_MODULE_DATA = 58,
	CLRSOS_SLOT_SOS15_GET_METHOD_TABLE_SLOT_ENUMERATOR = 3,
	CLRSOS_SLOT_SOS14_GET_STATIC_BASE_ADDRESS = 3,
	CLRSOS_SLOT_SOS14_GET_THREAD_STATIC_BASE_ADDRESS = 4,
	CLRSOS_SLOT_SOS_GET_METHOD_TABLE_NAME = 36,
	CLRSOS_SLOT_SOS_GET_METHOD_TABLE_DATA = 37,
	CLRSOS_SLOT_SOS_GET_HANDLE_ENUM = 61,
	CLRSOS_SLOT_SOS_GET_SYNC_BLOCK_CLEANUP_DATA = 60,
	CLRSOS_SLOT_SOS_GET_JIT_MANAGER_LIST = 27,
	CLRSOS_SLOT_SOS_GET_CODE_HEADER_DATA = 26,
	CLRSOS_SLOT_SOS_GET_IL_FOR_MODULE = 16,
	CLRSOS_SLOT_SOS_TRAVERSE_EH_INFO = 64,
	CLRSOS_SLOT_SOS_GET_JIT_HELPER_FUNCTION_NAME = 28,
	CLRSOS_SLOT_SOS_TRAVERSE_LOADER_HEAP = 67,
	CLRSOS_SLOT_SOS_GET_CODE_HEAP_LIST = 68,
	CLRSOS_SLOT_SOS13_TRAVERSE_LOADER_HEAP = 3,
	CLRSOS_SLOT_SOS13_GET_DOMAIN_LOADER_ALLOCATOR = 4,
	CLRSOS_SLOT_SOS13_GET_LOADER_ALLOCATOR_HEAP_NAMES = 5,
	CLRSOS_SLOT_SOS13_GET_LOADER_ALLOCATOR_HEAPS = 6,
	CLRSOS_SLOT_SOS13_GET_HANDLE_TABLE_MEMORY_REGIONS = 7,
	CLRSOS_SLOT_SOS13_GET_GC_BOOKKEEPING_MEMORY_REGIONS = 8,
	CLRSOS_SLOT_SOS13_GET_GC_FREE_REGIONS = 9,
	CLRSOS_SLOT_SOS_GET_STACK_REFERENCES = 79,
	CLRSOS_SLOT_SOS_GET_ASSEMBLY_NAME = 11,
	CLRSOS_SLOT_SOS_GET_OOM_DATA = 51,
	CLRSOS_SLOT_SOS_GET_OOM_STATIC_DATA = 52,
	CLRSOS_SLOT_SOS_GET_SYNC_BLOCK_DATA = 59,
	CLRSOS_SLOT_SOS8_GET_FINALIZATION_FILL_POINTERS = 5,
	CLRSOS_SLOT_SOS8_GET_FINALIZATION_FILL_POINTERS_SVR = 7,
	CLRSOS_SLOT_SOS8_GET_ASSEMBLY_LOAD_CONTEXT = 8,
	/* ISOSHandleEnum and ISOSStackRefEnum: ISOSEnum's Skip, Reset, GetCount, then Next. */
	CLRSOS_SLOT_SOS_ENUM_NEXT = 6,
	CLRSOS_SLOT_SOS8_GET_NUMBER_GENERATIONS = 3,
	CLRSOS_SLOT_SOS8_GET_GENERATION_TABLE = 4,
	CLRSOS_SLOT_SOS8_GET_GENERATION_TABLE_SVR = 6,
	CLRSOS_SLOT_SOS12_GET_GLOBAL_ALLOCATION_CONTEXT = 3,
	CLRSOS_SLOT_SOS3_GET_GC_INTERESTING_INFO_DATA = 3,
	CLRSOS_SLOT_SOS3_GET_GC_INTERESTING_INFO_STATIC_DATA = 4,
	CLRSOS_SLOT_SOS3_GET_GC_GLOBAL_MECHANISMS = 5,
	CLRSOS_SLOT_SOS16_GET_GC_DYNAMIC_ADAPTATION_MODE = 3,
};

/* DacpGCInterestingInfoData (dacprivate.h): the GC's counters per heap, size_t each. */
enum {
	CLRSOS_DAC_GC_DATA_POINTS = 9,
	CLRSOS_DAC_GC_COMPACT_REASONS = 11,
	CLRSOS_DAC_GC_EXPAND_MECHANISMS = 6,
	CLRSOS_DAC_GC_MECHANISM_BITS = 2,
	CLRSOS_DAC_GC_GLOBAL_MECHANISMS = 6,
};

struct clrsos_dacp_gc_interesting_info {
	uint64_t data_points[CLRSOS_DAC_GC_DATA_POINTS];
	uint64_t compact_reasons[CLRSOS_DAC_GC_COMPACT_REASONS];
	uint64_t expand_mechanisms[CLRSOS_DAC_GC_EXPAND_MECHANISMS];
	uint64_t bit_mechanisms[CLRSOS_DAC_GC_MECHANISM_BITS];
	uint64_t global_mechanisms[CLRSOS_DAC_GC_GLOBAL_MECHANISMS];
};
_Static_assert(sizeof(struct clrsos_dacp_gc_interesting_info) == 34 * 8, "DacpGCInterestingInfoData");

/* Segment flag: a read-only (frozen, NonGC) segment. */
enum { CLRSOS_SEGMENT_FLAG_READONLY = 1 };

#endif
