/*
 * ISOSDacInterface, typed: each wrapper makes its call under the DAC lock
 * and a fault guard (dac_internal.h) and turns a failure into an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dac/dac_internal.h"
#include "dac/stackmirror.h"
#include "base/vector.h"

struct clrsos_error *clrsos_dac_gc_heap_data(struct clrsos_dac *dac,
					     struct clrsos_dacp_gc_heap_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, struct clrsos_dacp_gc_heap_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_GC_HEAP_DATA, fn, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetGCHeapData", hr) : NULL;
}

enum { MAX_GC_HEAPS = 1024 };

struct clrsos_error *clrsos_dac_gc_heap_list(struct clrsos_dac *dac,
					     uint64_t **ret, uint32_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint32_t, uint64_t *, uint32_t *);
	struct clrsos_dacp_gc_heap_data data;
	struct clrsos_error *err = clrsos_dac_gc_heap_data(dac, &data);
	if (err)
		return err;
	if (data.heap_count == 0 || data.heap_count > MAX_GC_HEAPS)
		return clrsos_error_create(CLRSOS_ERROR_DAC,
					   "the runtime reports %u GC heaps",
					   data.heap_count);
	uint64_t *heaps = calloc(data.heap_count, sizeof(*heaps));
	if (!heaps)
		return &clrsos_error_no_memory;
	uint32_t needed = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_GC_HEAP_LIST, fn, data.heap_count,
		 heaps, &needed);
	if (hr < 0) {
		free(heaps);
		return clrsos_dac_call_failed(dac, "GetGCHeapList", hr);
	}
	*ret = heaps;
	*ret_count = needed < data.heap_count ? needed : data.heap_count;
	return NULL;
}

struct clrsos_error *
clrsos_dac_gc_heap_details(struct clrsos_dac *dac, uint64_t heap,
			   struct clrsos_dacp_gc_heap_details *ret)
{
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	if (heap == 0) {
		typedef clrsos_hresult (*fn)(void *, struct clrsos_dacp_gc_heap_details *);
		DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_GC_HEAP_STATIC_DATA, fn, ret);
		return hr < 0 ? clrsos_dac_call_failed(dac, "GetGCHeapStaticData", hr) : NULL;
	}
	typedef clrsos_hresult (*fn2)(void *, uint64_t, struct clrsos_dacp_gc_heap_details *);
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_GC_HEAP_DETAILS, fn2, heap, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetGCHeapDetails", hr) : NULL;
}

struct clrsos_error *
clrsos_dac_segment_data(struct clrsos_dac *dac, uint64_t segment,
			struct clrsos_dacp_heap_segment_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_heap_segment_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_HEAP_SEGMENT_DATA, fn, segment, ret);
	if (hr < 0) {
		char what[64];
		snprintf(what, sizeof(what), "the heap segment at 0x%llx",
			 (unsigned long long)segment);
		return clrsos_dac_call_failed(dac, what, hr);
	}
	return NULL;
}

struct clrsos_error *
clrsos_dac_generation_table(struct clrsos_dac *dac, uint64_t heap,
			    struct clrsos_dacp_generation_data *ret,
			    uint32_t max, uint32_t *ret_count)
{
	*ret_count = 0;
	if (!dac->sos8)
		return NULL;
	uint32_t needed = 0;
	clrsos_hresult hr;
	if (heap == 0) {
		typedef clrsos_hresult (*fn)(void *, uint32_t, struct clrsos_dacp_generation_data *, uint32_t *);
		DAC_CALL(hr, dac->sos8, CLRSOS_SLOT_SOS8_GET_GENERATION_TABLE, fn, max, ret, &needed);
	} else {
		typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, struct clrsos_dacp_generation_data *, uint32_t *);
		DAC_CALL(hr, dac->sos8, CLRSOS_SLOT_SOS8_GET_GENERATION_TABLE_SVR, fn, heap, max, ret, &needed);
	}
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetGenerationTable", hr);
	*ret_count = needed < max ? needed : max;
	return NULL;
}

struct clrsos_error *
clrsos_dac_useful_globals(struct clrsos_dac *dac,
			  struct clrsos_dacp_useful_globals *ret)
{
	typedef clrsos_hresult (*fn)(void *, struct clrsos_dacp_useful_globals *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_USEFUL_GLOBALS, fn, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetUsefulGlobals", hr) : NULL;
}

struct clrsos_error *
clrsos_dac_thread_store(struct clrsos_dac *dac,
			struct clrsos_dacp_thread_store_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, struct clrsos_dacp_thread_store_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_THREAD_STORE_DATA, fn, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetThreadStoreData", hr) : NULL;
}

struct clrsos_error *clrsos_dac_sync_block_cleanup(struct clrsos_dac *dac, uint64_t sync_block,
						   struct clrsos_dacp_sync_block_cleanup_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_sync_block_cleanup_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_SYNC_BLOCK_CLEANUP_DATA, fn, sync_block, ret);
	/* The first of an empty list: the DAC says E_INVALIDARG (ClrMD and SOS count none). */
	if (!sync_block && (uint32_t)hr == 0x80070057u) {
		memset(ret, 0, sizeof(*ret));
		return NULL;
	}
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetSyncBlockCleanupData", hr) : NULL;
}

struct clrsos_error *clrsos_dac_thread_data(struct clrsos_dac *dac,
					    uint64_t thread,
					    struct clrsos_dacp_thread_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_thread_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_THREAD_DATA, fn, thread, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetThreadData", hr) : NULL;
}

struct clrsos_error *clrsos_dac_dynamic_adaptation(struct clrsos_dac *dac,
						   int *ret, bool *ret_known)
{
	*ret = 0;
	*ret_known = false;
	if (!dac->sos16)
		return NULL;
	typedef clrsos_hresult (*fn)(void *, int *);
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos16, CLRSOS_SLOT_SOS16_GET_GC_DYNAMIC_ADAPTATION_MODE, fn, ret);
	*ret_known = hr == CLRSOS_S_OK;
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetGCDynamicAdaptationMode", hr) : NULL;
}

struct clrsos_error *clrsos_dac_global_alloc_context(struct clrsos_dac *dac,
						     uint64_t *ret_ptr,
						     uint64_t *ret_limit)
{
	*ret_ptr = *ret_limit = 0;
	if (!dac->sos12)
		return NULL;
	typedef clrsos_hresult (*fn)(void *, uint64_t *, uint64_t *);
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos12, CLRSOS_SLOT_SOS12_GET_GLOBAL_ALLOCATION_CONTEXT, fn,
		 ret_ptr, ret_limit);
	if (hr < 0) {
		*ret_ptr = *ret_limit = 0;
		return clrsos_dac_call_failed(dac, "GetGlobalAllocationContext", hr);
	}
	return NULL;
}

struct clrsos_error *clrsos_dac_gc_interesting_info(struct clrsos_dac *dac, bool server, uint64_t heap,
						   struct clrsos_dacp_gc_interesting_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!dac->sos3)
		return clrsos_error_create(CLRSOS_ERROR_DAC, "this DAC has no ISOSDacInterface3 (the GC's data)");
	clrsos_hresult hr;
	if (server) {
		typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_gc_interesting_info *);
		DAC_CALL(hr, dac->sos3, CLRSOS_SLOT_SOS3_GET_GC_INTERESTING_INFO_DATA, fn, heap, ret);
	} else {
		typedef clrsos_hresult (*fn)(void *, struct clrsos_dacp_gc_interesting_info *);
		DAC_CALL(hr, dac->sos3, CLRSOS_SLOT_SOS3_GET_GC_INTERESTING_INFO_STATIC_DATA, fn, ret);
	}
	if (hr != CLRSOS_S_OK)
		return clrsos_dac_call_failed(dac, server ? "GetGCInterestingInfoData" : "GetGCInterestingInfoStaticData",
						    hr);
	return NULL;
}

struct clrsos_error *clrsos_dac_gc_global_mechanisms(struct clrsos_dac *dac,
						    uint64_t ret[CLRSOS_DAC_GC_GLOBAL_MECHANISMS])
{
	memset(ret, 0, CLRSOS_DAC_GC_GLOBAL_MECHANISMS * sizeof(*ret));
	if (!dac->sos3)
		return clrsos_error_create(CLRSOS_ERROR_DAC, "this DAC has no ISOSDacInterface3 (the GC's data)");
	typedef clrsos_hresult (*fn)(void *, uint64_t *);
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos3, CLRSOS_SLOT_SOS3_GET_GC_GLOBAL_MECHANISMS, fn, ret);
	if (hr != CLRSOS_S_OK)
		return clrsos_dac_call_failed(dac, "GetGCGlobalMechanisms", hr);
	return NULL;
}

struct clrsos_error *
clrsos_dac_method_table_data(struct clrsos_dac *dac, uint64_t mt,
			     struct clrsos_dacp_method_table_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_method_table_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_TABLE_DATA, fn, mt, ret);
	if (hr != CLRSOS_S_OK)
		return clrsos_error_create(CLRSOS_ERROR_DAC,
					   "0x%llx is not a MethodTable (HRESULT 0x%08x)",
					   (unsigned long long)mt, (uint32_t)hr);
	return NULL;
}

enum { MAX_NAME_UNITS = 1 << 20 };

/*
 * A name ISOSDacInterface gives for an address (GetMethodTableName,
 * GetMethodDescName: (address, count, buffer, needed)): asked for its
 * length, then fetched (malloc'd UTF-8).
 */
static struct clrsos_error *dac_name(struct clrsos_dac *dac, int slot, const char *what, uint64_t address,
				     char **ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint16_t *, uint32_t *);
	clrsos_hresult hr;
	uint32_t needed = 0;
	DAC_CALL(hr, dac->sos, slot, fn, address, 0, NULL, &needed);
	if (hr < 0 || needed == 0 || needed > MAX_NAME_UNITS)
		return clrsos_dac_call_failed(dac, what, hr);
	uint16_t *buf = calloc(needed + 1, sizeof(*buf));
	if (!buf)
		return &clrsos_error_no_memory;
	DAC_CALL(hr, dac->sos, slot, fn, address, needed, buf, &needed);
	if (hr < 0) {
		free(buf);
		return clrsos_dac_call_failed(dac, what, hr);
	}
	*ret = clrsos_dac_utf16_to_utf8(buf, needed);
	free(buf);
	return *ret ? NULL : &clrsos_error_no_memory;
}

struct clrsos_error *clrsos_dac_method_table_name(struct clrsos_dac *dac,
						  uint64_t mt, char **ret)
{
	return dac_name(dac, CLRSOS_SLOT_SOS_GET_METHOD_TABLE_NAME, "GetMethodTableName", mt, ret);
}

/* Drain an ISOS*Enum whose Next fills items of item_size bytes. */
static struct clrsos_error *drain_enum(struct clrsos_dac *dac, void *e,
				       size_t item_size, const char *what,
				       void **ret, size_t *ret_count)
{
	typedef clrsos_hresult (*next_fn)(void *, uint32_t, void *, uint32_t *);
	enum { BATCH = 512 };
	size_t cap = 0, n = 0;
	char *items = NULL;
	for (;;) {
		/* Room for a whole batch after the items so far. */
		if (clrsos_array_reserve_(&items, &cap, n + BATCH, item_size)) {
			free(items);
			return &clrsos_error_no_memory;
		}
		uint32_t fetched = 0;
		clrsos_hresult hr;
		DAC_CALL(hr, e, CLRSOS_SLOT_SOS_ENUM_NEXT, next_fn, BATCH,
			 items + n * item_size, &fetched);
		if (hr < 0) {
			free(items);
			return clrsos_dac_call_failed(dac, what, hr);
		}
		if (fetched > BATCH)
			fetched = BATCH;
		n += fetched;
		if (hr != CLRSOS_S_OK || fetched < BATCH)
			break;
	}
	*ret = items;
	*ret_count = n;
	return NULL;
}

struct clrsos_error *clrsos_dac_handles(struct clrsos_dac *dac,
					struct clrsos_sos_handle_data **ret,
					size_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, void **);
	void *e = NULL;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_HANDLE_ENUM, fn, &e);
	if (hr < 0 || !e)
		return clrsos_dac_call_failed(dac, "GetHandleEnum", hr);
	void *items;
	struct clrsos_error *err = drain_enum(dac, e, sizeof(**ret), "the handle table",
					      &items, ret_count);
	DAC_GUARD("CLRSOS_SLOT_RELEASE", clrsos_com_release(e));
	if (!err)
		*ret = items;
	return err;
}

/* How much of a thread's stack above its stack pointer is mirrored: the frames the runtime's exception
 * handling pushed between the throw and the stop lie well inside it. */
enum { STACK_MIRROR_MAX = 1 << 20 };

struct clrsos_error *clrsos_dac_stack_refs(struct clrsos_dac *dac,
					   uint32_t os_thread_id,
					   struct clrsos_sos_stack_ref **ret,
					   size_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint32_t, void **);
	void *e = NULL;
	clrsos_hresult hr;
	/* The walk dereferences some of the stack's addresses directly (stackmirror.h). */
	struct clrsos_stack_mirror mirror;
	clrsos_stack_mirror_map(dac->data_target->target, os_thread_id, STACK_MIRROR_MAX, &mirror);
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_STACK_REFERENCES, fn, os_thread_id, &e);
	if (hr < 0 || !e) {
		clrsos_stack_mirror_unmap(&mirror);
		char what[64];
		snprintf(what, sizeof(what), "the stack references of thread %u", os_thread_id);
		return clrsos_dac_call_failed(dac, what, hr);
	}
	void *items;
	struct clrsos_error *err = drain_enum(dac, e, sizeof(**ret), "a thread's stack references",
					      &items, ret_count);
	DAC_GUARD("CLRSOS_SLOT_RELEASE", clrsos_com_release(e));
	clrsos_stack_mirror_unmap(&mirror);
	if (!err)
		*ret = items;
	return err;
}

struct clrsos_error *clrsos_dac_fill_pointers(struct clrsos_dac *dac,
					      uint64_t heap, uint64_t *ret,
					      uint32_t max, uint32_t *ret_count)
{
	*ret_count = 0;
	uint32_t needed = 0;
	clrsos_hresult hr;
	if (dac->sos8) {
		if (heap == 0) {
			typedef clrsos_hresult (*fn)(void *, uint32_t, uint64_t *, uint32_t *);
			DAC_CALL(hr, dac->sos8, CLRSOS_SLOT_SOS8_GET_FINALIZATION_FILL_POINTERS, fn,
				 max, ret, &needed);
		} else {
			typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint64_t *, uint32_t *);
			DAC_CALL(hr, dac->sos8, CLRSOS_SLOT_SOS8_GET_FINALIZATION_FILL_POINTERS_SVR,
				 fn, heap, max, ret, &needed);
		}
		if (hr >= 0 && needed > 0 && needed <= max) {
			*ret_count = needed;
			return NULL;
		}
	}
	/* Older DACs: the heap details hold the first six. */
	struct clrsos_dacp_gc_heap_details d;
	struct clrsos_error *err = clrsos_dac_gc_heap_details(dac, heap, &d);
	if (err)
		return err;
	uint32_t n = max < 6 ? max : 6;
	memcpy(ret, d.finalization_fill_pointers, n * sizeof(*ret));
	*ret_count = n;
	return NULL;
}

enum { MAX_LIST = 1 << 16 };

/* A list call of the "count 0 first, then a buffer" kind; *ret malloc'd. */
static struct clrsos_error *list_domains(struct clrsos_dac *dac, uint64_t **ret, size_t *ret_count)
{
	typedef clrsos_hresult (*store_fn)(void *, struct clrsos_dacp_app_domain_store_data *);
	typedef clrsos_hresult (*list_fn)(void *, uint32_t, uint64_t *, uint32_t *);
	struct clrsos_dacp_app_domain_store_data store;
	clrsos_hresult hr;
	memset(&store, 0, sizeof(store));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_APP_DOMAIN_STORE_DATA, store_fn, &store);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetAppDomainStoreData", hr);
	uint32_t n = store.domain_count > 0 && store.domain_count < MAX_LIST ? (uint32_t)store.domain_count : 0;
	uint64_t *domains = calloc(n + 2, sizeof(*domains));
	if (!domains)
		return &clrsos_error_no_memory;
	size_t count = 0;
	if (store.system_domain)
		domains[count++] = store.system_domain;
	if (store.shared_domain)
		domains[count++] = store.shared_domain;
	uint32_t needed = 0;
	if (n) {
		DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_APP_DOMAIN_LIST, list_fn, n, domains + count, &needed);
		if (hr >= 0)
			count += needed < n ? needed : n;
	}
	*ret = domains;
	*ret_count = count;
	return NULL;
}

void clrsos_managed_modules_free(struct clrsos_managed_module *m, size_t count)
{
	if (!m)
		return;
	for (size_t i = 0; i < count; i++)
		free(m[i].path);
	free(m);
}

struct clrsos_target *clrsos_dac_target(struct clrsos_dac *dac)
{
	return dac->data_target->target;
}

struct clrsos_error *clrsos_dac_pe_file_base(struct clrsos_dac *dac, uint64_t module, uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_PE_FILE_BASE, fn, module, ret);
	if (hr < 0) {
		*ret = 0;
		return clrsos_dac_call_failed(dac, "GetPEFileBase", hr);
	}
	return NULL;
}

struct clrsos_error *clrsos_dac_module_data(struct clrsos_dac *dac, uint64_t module,
					    struct clrsos_dacp_module_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_module_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_MODULE_DATA, fn, module, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetModuleData", hr) : NULL;
}

/* The file of a module or PEAssembly (GetPEFileName), malloc'd in *ret. */
static struct clrsos_error *pe_file_name(struct clrsos_dac *dac, uint64_t pe, char **ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint16_t *, uint32_t *);
	uint16_t buf[4096];
	uint32_t needed = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_PE_FILE_NAME, fn, pe, 4096, buf, &needed);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetPEFileName", hr);
	if (needed == 0 || needed > 4096 || !buf[0])
		return clrsos_error_create(CLRSOS_ERROR_DAC, "the runtime names no file for 0x%llx",
					   (unsigned long long)pe);
	*ret = clrsos_dac_utf16_to_utf8(buf, needed);
	return *ret ? NULL : &clrsos_error_no_memory;
}

/* A module's file. GetPEFileName takes the module data's PEAssembly (where
 * the cDAC gives the Module itself): .NET 8.0.34's DAC reads a Module given
 * instead as a PEAssembly and names nothing. The module's own address
 * only when its data gave no PEAssembly. */
static struct clrsos_error *module_file_of(struct clrsos_dac *dac, uint64_t module, uint64_t pe_assembly, char **ret)
{
	if (pe_assembly) {
		struct clrsos_error *err = pe_file_name(dac, pe_assembly, ret);
		if (!err || clrsos_error_is_no_memory(err) || pe_assembly == module)
			return err;
		clrsos_error_destroy(err);
	}
	return pe_file_name(dac, module, ret);
}

struct clrsos_error *clrsos_dac_managed_modules(struct clrsos_dac *dac,
						struct clrsos_managed_module **ret,
						size_t *ret_count)
{
	typedef clrsos_hresult (*asm_list_fn)(void *, uint64_t, int32_t, uint64_t *, int32_t *);
	typedef clrsos_hresult (*mod_list_fn)(void *, uint64_t, uint32_t, uint64_t *, uint32_t *);
	uint64_t *domains = NULL;
	size_t ndomains = 0;
	struct clrsos_error *err = list_domains(dac, &domains, &ndomains);
	if (err)
		return err;
	struct clrsos_managed_module *mods = NULL;
	size_t n = 0, cap = 0;
	for (size_t d = 0; d < ndomains; d++) {
		int32_t needed = 0;
		clrsos_hresult hr;
		DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_ASSEMBLY_LIST, asm_list_fn, domains[d], 0, NULL, &needed);
		if (hr < 0 || needed <= 0 || needed > MAX_LIST)
			continue;
		uint64_t *assemblies = calloc((size_t)needed, sizeof(*assemblies));
		if (!assemblies) {
			err = &clrsos_error_no_memory;
			break;
		}
		int32_t got = 0;
		DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_ASSEMBLY_LIST, asm_list_fn, domains[d], needed, assemblies, &got);
		for (int32_t a = 0; hr >= 0 && a < got && a < needed; a++) {
			uint64_t modules[64];
			uint32_t nmod = 0;
			clrsos_hresult h2;
			DAC_CALL(h2, dac->sos, CLRSOS_SLOT_SOS_GET_ASSEMBLY_MODULE_LIST, mod_list_fn, assemblies[a], 64, modules, &nmod);
			for (uint32_t m = 0; h2 >= 0 && m < nmod && m < 64; m++) {
				bool seen = false;
				for (size_t k = 0; k < n && !seen; k++)
					seen = mods[k].address == modules[m];
				if (seen)
					continue;
				if ((err = clrsos_array_reserve(&mods, &cap, n + 1)))
					break;
				/* Base and file come from the runtime's own records; the
				 * module data also reads the image, which a core may lack. */
				struct clrsos_managed_module *mm = &mods[n++];
				memset(mm, 0, sizeof(*mm));
				mm->address = modules[m];
				if ((err = clrsos_error_ignore(clrsos_dac_pe_file_base(dac, modules[m], &mm->il_base))))
					break;
				struct clrsos_dacp_module_data md;
				struct clrsos_error *md_err = clrsos_dac_module_data(dac, modules[m], &md);
				if ((err = clrsos_error_ignore(md_err)))
					break;
				if (!md_err) {
					mm->have_data = true;
					mm->metadata_start = md.metadata_start;
					mm->metadata_size = md.metadata_size;
					mm->is_reflection = md.is_reflection != 0;
					if (!mm->il_base)
						mm->il_base = md.il_base;
				}
				if (!mm->is_reflection &&
				    (err = clrsos_error_ignore(module_file_of(dac, modules[m], md_err ? 0 : md.pe_assembly,
									      &mm->path))))
					break;
			}
			if (err)
				break;
		}
		free(assemblies);
		if (err)
			break;
	}
	free(domains);
	if (err) {
		clrsos_managed_modules_free(mods, n);
		return err;
	}
	*ret = mods;
	*ret_count = n;
	return NULL;
}

struct clrsos_error *clrsos_dac_thread_from_thinlock(struct clrsos_dac *dac, uint32_t id,
						     uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint32_t, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_THREAD_FROM_THINLOCK_ID, fn, id, ret);
	if (hr < 0) {
		*ret = 0;
		return clrsos_dac_call_failed(dac, "GetThreadFromThinlockID", hr);
	}
	return NULL;
}

struct clrsos_error *clrsos_dac_object_data(struct clrsos_dac *dac, uint64_t object,
					    struct clrsos_dacp_object_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_object_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_OBJECT_DATA, fn, object, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetObjectData", hr) : NULL;
}

struct clrsos_error *
clrsos_dac_method_table_field_data(struct clrsos_dac *dac, uint64_t mt,
				   struct clrsos_dacp_method_table_field_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_method_table_field_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_TABLE_FIELD_DATA, fn, mt, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetMethodTableFieldData", hr) : NULL;
}

struct clrsos_error *clrsos_dac_field_desc_data(struct clrsos_dac *dac, uint64_t field,
						struct clrsos_dacp_field_desc_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_field_desc_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_FIELD_DESC_DATA, fn, field, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetFieldDescData", hr) : NULL;
}

struct clrsos_error *clrsos_dac_static_bases(struct clrsos_dac *dac, uint64_t mt, uint64_t module,
					     uint64_t *ret_non_gc, uint64_t *ret_gc)
{
	clrsos_hresult hr;
	*ret_non_gc = *ret_gc = 0;
	if (dac->sos14) {
		typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *, uint64_t *);
		DAC_CALL(hr, dac->sos14, CLRSOS_SLOT_SOS14_GET_STATIC_BASE_ADDRESS, fn, mt,
			 ret_non_gc, ret_gc);
		return hr < 0 ? clrsos_dac_call_failed(dac, "GetStaticBaseAddress", hr) : NULL;
	}
	typedef clrsos_hresult (*fn2)(void *, uint64_t, struct clrsos_dacp_domain_local_module_data *);
	struct clrsos_dacp_domain_local_module_data d;
	memset(&d, 0, sizeof(d));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_DOMAIN_LOCAL_MODULE_DATA_FROM_MODULE, fn2,
		 module, &d);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetDomainLocalModuleDataFromModule", hr);
	*ret_non_gc = d.non_gc_static_data_start;
	*ret_gc = d.gc_static_data_start;
	return NULL;
}

bool clrsos_dac_has_thread_static_bases(const struct clrsos_dac *dac)
{
	return dac->sos14 != NULL;
}

struct clrsos_error *
clrsos_dac_thread_local_module_data(struct clrsos_dac *dac, uint64_t thread, uint32_t module_index,
				    struct clrsos_dacp_thread_local_module_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t,
				     struct clrsos_dacp_thread_local_module_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_THREAD_LOCAL_MODULE_DATA, fn, thread, module_index, ret);
	if (hr < 0) {
		memset(ret, 0, sizeof(*ret));
		return clrsos_dac_call_failed(dac, "GetThreadLocalModuleData", hr);
	}
	return NULL;
}

struct clrsos_error *clrsos_dac_thread_static_bases(struct clrsos_dac *dac, uint64_t mt,
						    uint64_t thread, uint64_t *ret_non_gc,
						    uint64_t *ret_gc)
{
	*ret_non_gc = *ret_gc = 0;
	if (!dac->sos14)
		return clrsos_error_create(CLRSOS_ERROR_DAC,
					   "this runtime's DAC cannot locate thread statics (needs .NET 9 or later)");
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t, uint64_t *, uint64_t *);
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos14, CLRSOS_SLOT_SOS14_GET_THREAD_STATIC_BASE_ADDRESS, fn, mt, thread,
		 ret_non_gc, ret_gc);
	if (hr < 0) {
		*ret_non_gc = *ret_gc = 0;
		return clrsos_dac_call_failed(dac, "GetThreadStaticBaseAddress", hr);
	}
	return NULL;
}

struct clrsos_error *clrsos_dac_module_file(struct clrsos_dac *dac, uint64_t module, char **ret)
{
	*ret = NULL;
	struct clrsos_dacp_module_data md;
	struct clrsos_error *md_err = clrsos_dac_module_data(dac, module, &md);
	if (clrsos_error_is_no_memory(md_err))
		return md_err;
	uint64_t pe_assembly = md_err ? 0 : md.pe_assembly;
	clrsos_error_destroy(md_err);
	return module_file_of(dac, module, pe_assembly, ret);
}

struct clrsos_error *clrsos_dac_method_slot(struct clrsos_dac *dac, uint64_t mt, uint32_t slot,
					    uint64_t *ret_entry, uint64_t *ret_method_desc)
{
	typedef clrsos_hresult (*slot_fn)(void *, uint64_t, uint32_t, uint64_t *);
	typedef clrsos_hresult (*md_fn)(void *, uint64_t, uint64_t *);
	clrsos_hresult hr;
	*ret_entry = *ret_method_desc = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_TABLE_SLOT, slot_fn, mt, slot, ret_entry);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetMethodTableSlot", hr);
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_DESC_PTR_FROM_IP, md_fn, *ret_entry,
		 ret_method_desc);
	if (hr < 0)
		*ret_method_desc = 0;
	return NULL;
}

struct clrsos_error *clrsos_dac_method_desc(struct clrsos_dac *dac, uint64_t method_desc,
					    char **ret_name, bool *ret_has_code)
{
	typedef clrsos_hresult (*data_fn)(void *, uint64_t, uint64_t, void *, uint32_t, void *, uint32_t *);
	/* DacpMethodDescData (128 bytes on x64) starts with BOOL bHasNativeCode. */
	uint8_t data[256] = {0};
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_DESC_DATA, data_fn, method_desc, 0, data, 0,
		 NULL, NULL);
	int32_t has_code = 0;
	memcpy(&has_code, data, sizeof(has_code));
	*ret_has_code = hr >= 0 && has_code;
	return dac_name(dac, CLRSOS_SLOT_SOS_GET_METHOD_DESC_NAME, "GetMethodDescName", method_desc, ret_name);
}

struct clrsos_error *clrsos_dac_method_desc_module(struct clrsos_dac *dac, uint64_t method_desc,
						   uint64_t *ret_module, uint32_t *ret_token)
{
	typedef clrsos_hresult (*data_fn)(void *, uint64_t, uint64_t, void *, uint32_t, void *, uint32_t *);
	/* DacpMethodDescData on x64: ModulePtr at 48, MDToken at 56. */
	enum { MODULE_PTR = 48, MD_TOKEN = 56 };
	uint8_t data[256] = {0};
	clrsos_hresult hr;
	*ret_module = 0;
	*ret_token = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_DESC_DATA, data_fn, method_desc, 0, data, 0,
		 NULL, NULL);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetMethodDescData", hr);
	memcpy(ret_module, data + MODULE_PTR, 8);
	memcpy(ret_token, data + MD_TOKEN, 4);
	return NULL;
}

struct clrsos_error *clrsos_dac_method_desc_data(struct clrsos_dac *dac, uint64_t method_desc, uint64_t ip,
						 struct clrsos_dacp_method_desc_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t, void *, uint32_t, void *, uint32_t *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_DESC_DATA, fn, method_desc, ip, ret, 0, NULL, NULL);
	return hr != 0 ? clrsos_dac_call_failed(dac, "GetMethodDescData", hr < 0 ? hr : (clrsos_hresult)0x80004005u) : NULL;
}

struct clrsos_error *clrsos_dac_method_desc_name(struct clrsos_dac *dac, uint64_t method_desc, char **ret)
{
	*ret = NULL;
	return dac_name(dac, CLRSOS_SLOT_SOS_GET_METHOD_DESC_NAME, "GetMethodDescName", method_desc, ret);
}

/* More native code versions of one method than any runtime keeps. */
enum { MAX_TIERED_VERSIONS = 64 };

struct clrsos_error *clrsos_dac_tiered_versions(struct clrsos_dac *dac, uint64_t method_desc, int32_t rejit_id,
						struct clrsos_dacp_tiered_version_data **ret, size_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, int32_t, void *, int32_t, int32_t *);
	*ret = NULL;
	*ret_count = 0;
	if (!dac->sos5)
		return NULL;
	struct clrsos_dacp_tiered_version_data *v = calloc(MAX_TIERED_VERSIONS, sizeof(*v));
	if (!v)
		return &clrsos_error_no_memory;
	int32_t n = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos5, CLRSOS_SLOT_SOS5_GET_TIERED_VERSIONS, fn, method_desc, rejit_id, v,
		 MAX_TIERED_VERSIONS, &n);
	if (hr < 0) {
		free(v);
		return clrsos_dac_call_failed(dac, "GetTieredVersions", hr);
	}
	if (n < 0 || n > MAX_TIERED_VERSIONS)
		n = n < 0 ? 0 : MAX_TIERED_VERSIONS;
	*ret = v;
	*ret_count = (size_t)n;
	return NULL;
}

struct clrsos_error *clrsos_dac_rejit_info(struct clrsos_dac *dac, uint64_t method_desc, int32_t rejit_id,
					   struct clrsos_dacp_rejit_data2 *ret, bool *ret_known)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, int32_t, void *);
	memset(ret, 0, sizeof(*ret));
	*ret_known = false;
	if (!dac->sos7)
		return NULL;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos7, CLRSOS_SLOT_SOS7_GET_REJIT_INFORMATION, fn, method_desc, rejit_id, ret);
	if (hr < 0) {
		memset(ret, 0, sizeof(*ret));
		return clrsos_dac_call_failed(dac, "GetReJITInformation", hr);
	}
	*ret_known = true;
	return NULL;
}

struct clrsos_error *clrsos_dac_methods(struct clrsos_dac *dac, uint64_t mt,
					struct clrsos_sos_method_data **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	if (!dac->sos15)
		return NULL;
	typedef clrsos_hresult (*fn)(void *, uint64_t, void **);
	void *e = NULL;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos15, CLRSOS_SLOT_SOS15_GET_METHOD_TABLE_SLOT_ENUMERATOR, fn, mt, &e);
	if (hr < 0 || !e)
		return clrsos_dac_call_failed(dac, "GetMethodTableSlotEnumerator", hr);
	void *items;
	struct clrsos_error *err = drain_enum(dac, e, sizeof(**ret), "a type's methods", &items, ret_count);
	DAC_GUARD("CLRSOS_SLOT_RELEASE", clrsos_com_release(e));
	if (!err)
		*ret = items;
	return err;
}

/* TraverseModuleMap's callback carries no context but its token: a small trampoline. */
struct module_map_ctx {
	clrsos_module_type_fn *fn;
	void *ctx;
};

static void module_map_visit(uint32_t index, uint64_t mt, void *token)
{
	(void)index;
	struct module_map_ctx *m = token;
	if (mt)
		m->fn(m->ctx, mt);
}

struct clrsos_error *clrsos_dac_module_types(struct clrsos_dac *dac, uint64_t module,
					     clrsos_module_type_fn *fn, void *ctx)
{
	typedef void (*visit_fn)(uint32_t, uint64_t, void *);
	typedef clrsos_hresult (*traverse_fn)(void *, int32_t, uint64_t, visit_fn, void *);
	struct module_map_ctx m = {fn, ctx};
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_TRAVERSE_MODULE_MAP, traverse_fn, 0 /* TYPEDEFTOMETHODTABLE */,
		 module, module_map_visit, &m);
	return hr < 0 ? clrsos_dac_call_failed(dac, "TraverseModuleMap", hr) : NULL;
}

/*
 * The metadata of a module whose image has none to point at (a
 * Reflection.Emit module: its metadata lives in the runtime's memory), as
 * the DAC reads it: ISOSDacInterface::GetModule (slot 12) gives the
 * module's IXCLRDataModule, whose IMetaDataImport is the DAC's reader over
 * the target's copy; IMetaDataTables2::GetMetaDataStorage (slot 22) gives
 * the bytes that reader parsed, which are copied out here.
 */
enum { MAX_DYNAMIC_METADATA = 256 << 20 };

struct clrsos_error *clrsos_dac_module_metadata_copy(struct clrsos_dac *dac, uint64_t module,
						     void **ret_bytes, size_t *ret_size)
{
	static const struct clrsos_guid iid_import = {
		0x7dac8207, 0xd3ae, 0x4c75, {0x9b, 0x67, 0x92, 0x80, 0x1a, 0x49, 0x7d, 0x44}};
	static const struct clrsos_guid iid_tables2 = {
		0xbadb5f70, 0x58da, 0x43a9, {0xa1, 0xc6, 0xd7, 0x48, 0x19, 0xf1, 0x9b, 0x15}};
	typedef clrsos_hresult (*get_module_fn)(void *, uint64_t, void **);
	typedef clrsos_hresult (*storage_fn)(void *, const void **, uint32_t *);
	*ret_bytes = NULL;
	*ret_size = 0;
	void *xmodule = NULL, *import = NULL, *tables = NULL;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, 12 /* GetModule */, get_module_fn, module, &xmodule);
	if (hr < 0 || !xmodule)
		return clrsos_dac_call_failed(dac, "GetModule", hr);
	struct clrsos_error *err = NULL;
	pthread_mutex_lock(&clrsos_dac_lock);
	import = clrsos_com_query(xmodule, &iid_import);
	if (import)
		tables = clrsos_com_query(import, &iid_tables2);
	const void *md = NULL;
	uint32_t size = 0;
	hr = tables ? CLRSOS_COM_SLOT(tables, 22, storage_fn)(tables, &md, &size) : CLRSOS_E_NOINTERFACE;
	if (hr >= 0 && md && size > 0 && size <= MAX_DYNAMIC_METADATA) {
		void *copy = malloc(size);
		if (copy) {
			memcpy(copy, md, size);
			*ret_bytes = copy;
			*ret_size = size;
		} else {
			err = &clrsos_error_no_memory;
		}
	}
	clrsos_com_release(tables);
	clrsos_com_release(import);
	clrsos_com_release(xmodule);
	pthread_mutex_unlock(&clrsos_dac_lock);
	if (!err && !*ret_bytes)
		err = clrsos_error_create(CLRSOS_ERROR_DAC,
					  "the DAC has no metadata for module 0x%llx (HRESULT 0x%08x)",
					  (unsigned long long)module, (uint32_t)hr);
	return err;
}

struct clrsos_error *clrsos_dac_app_domains(struct clrsos_dac *dac, uint64_t *ret_system, uint64_t **ret,
					    size_t *ret_count)
{
	typedef clrsos_hresult (*store_fn)(void *, struct clrsos_dacp_app_domain_store_data *);
	typedef clrsos_hresult (*list_fn)(void *, uint32_t, uint64_t *, uint32_t *);
	struct clrsos_dacp_app_domain_store_data store;
	clrsos_hresult hr;
	*ret = NULL;
	*ret_count = 0;
	*ret_system = 0;
	memset(&store, 0, sizeof(store));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_APP_DOMAIN_STORE_DATA, store_fn, &store);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetAppDomainStoreData", hr);
	uint32_t n = store.domain_count > 0 && store.domain_count < MAX_LIST ? (uint32_t)store.domain_count : 0;
	uint64_t *domains = calloc(n + 1, sizeof(*domains));
	if (!domains)
		return &clrsos_error_no_memory;
	size_t count = 0;
	if (store.system_domain)
		domains[count++] = *ret_system = store.system_domain;
	uint32_t needed = 0;
	if (n) {
		DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_APP_DOMAIN_LIST, list_fn, n, domains + count, &needed);
		if (hr < 0) {
			free(domains);
			return clrsos_dac_call_failed(dac, "GetAppDomainList", hr);
		}
		count += needed < n ? needed : n;
	}
	*ret = domains;
	*ret_count = count;
	return NULL;
}

bool clrsos_dac_has_loader_allocators(struct clrsos_dac *dac)
{
	return dac->sos13 != NULL;
}

struct clrsos_error *clrsos_dac_domain_loader_allocator(struct clrsos_dac *dac, uint64_t domain, uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	if (!dac->sos13)
		return NULL;
	DAC_CALL(hr, dac->sos13, CLRSOS_SLOT_SOS13_GET_DOMAIN_LOADER_ALLOCATOR, fn, domain, ret);
	if (hr < 0) {
		*ret = 0;
		return clrsos_dac_call_failed(dac, "GetDomainLoaderAllocator", hr);
	}
	return NULL;
}

enum { MAX_LOADER_HEAPS = 256, MAX_HEAP_BLOCKS = 1 << 20 };

struct clrsos_error *clrsos_dac_loader_allocator_heaps(struct clrsos_dac *dac, uint64_t allocator, uint64_t **ret_heaps,
						       int32_t **ret_kinds, const char ***ret_names, size_t *ret_count)
{
	typedef clrsos_hresult (*names_fn)(void *, int32_t, const char **, int32_t *);
	typedef clrsos_hresult (*heaps_fn)(void *, uint64_t, int32_t, uint64_t *, int32_t *, int32_t *);
	clrsos_hresult hr;
	*ret_heaps = NULL;
	*ret_kinds = NULL;
	*ret_names = NULL;
	*ret_count = 0;
	if (!dac->sos13)
		return NULL;
	int32_t needed = 0;
	DAC_CALL(hr, dac->sos13, CLRSOS_SLOT_SOS13_GET_LOADER_ALLOCATOR_HEAP_NAMES, names_fn, 0, NULL, &needed);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetLoaderAllocatorHeapNames", hr);
	if (needed <= 0)
		return NULL;
	if (needed > MAX_LOADER_HEAPS)
		return clrsos_error_create(CLRSOS_ERROR_DAC, "the DAC gives %d loader heaps per LoaderAllocator "
					   "(at most %d expected)", needed, MAX_LOADER_HEAPS);
	int32_t n = needed;
	const char **names = calloc((size_t)n, sizeof(*names));
	uint64_t *heaps = calloc((size_t)n, sizeof(*heaps));
	int32_t *kinds = calloc((size_t)n, sizeof(*kinds));
	if (!names || !heaps || !kinds) {
		free(names);
		free(heaps);
		free(kinds);
		return &clrsos_error_no_memory;
	}
	struct clrsos_error *err = NULL;
	DAC_CALL(hr, dac->sos13, CLRSOS_SLOT_SOS13_GET_LOADER_ALLOCATOR_HEAP_NAMES, names_fn, n, names, &needed);
	if (hr < 0)
		err = clrsos_dac_call_failed(dac, "GetLoaderAllocatorHeapNames", hr);
	if (!err) {
		DAC_CALL(hr, dac->sos13, CLRSOS_SLOT_SOS13_GET_LOADER_ALLOCATOR_HEAPS, heaps_fn, allocator, n, heaps, kinds,
			 &needed);
		if (hr < 0)
			err = clrsos_dac_call_failed(dac, "GetLoaderAllocatorHeaps", hr);
	}
	if (err) {
		free(names);
		free(heaps);
		free(kinds);
		return err;
	}
	*ret_heaps = heaps;
	*ret_kinds = kinds;
	*ret_names = names;
	*ret_count = (size_t)(needed < n ? needed : n);
	return NULL;
}

/*
 * TraverseLoaderHeap's callback takes no context: the walk in progress
 * (the DAC calls it back before returning). A plain static, not a
 * thread-local: clrsos calls the DAC from one command at a time, and a
 * thread-local would make the plugin need the dynamic loader's TLS entry
 * point (__tls_get_addr) and so ld-linux itself.
 */
struct heap_walk {
	clrsos_dac_heap_block_fn *fn;
	void *ctx;
	size_t blocks;
};
static struct heap_walk *current_walk;

static void visit_block(uint64_t start, size_t size, int32_t is_current)
{
	struct heap_walk *w = current_walk;
	if (!w || w->blocks >= MAX_HEAP_BLOCKS)
		return;
	w->blocks++;
	w->fn(w->ctx, start, size, is_current != 0);
}

struct clrsos_error *clrsos_dac_traverse_loader_heap(struct clrsos_dac *dac, uint64_t heap, int32_t kind,
						     clrsos_dac_heap_block_fn *fn, void *ctx)
{
	typedef void (*visit_fn)(uint64_t, size_t, int32_t);
	typedef clrsos_hresult (*fn13)(void *, uint64_t, int32_t, visit_fn);
	typedef clrsos_hresult (*fn0)(void *, uint64_t, visit_fn);
	clrsos_hresult hr;
	struct heap_walk w = {fn, ctx, 0};
	current_walk = &w;
	if (kind >= 0 && dac->sos13)
		DAC_CALL(hr, dac->sos13, CLRSOS_SLOT_SOS13_TRAVERSE_LOADER_HEAP, fn13, heap, kind, visit_block);
	else
		DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_TRAVERSE_LOADER_HEAP, fn0, heap, visit_block);
	current_walk = NULL;
	return hr < 0 ? clrsos_dac_call_failed(dac, "TraverseLoaderHeap", hr) : NULL;
}

enum { MAX_MEMORY_REGIONS = 1 << 16 };

struct clrsos_error *clrsos_dac_memory_regions(struct clrsos_dac *dac, enum clrsos_dac_memory_kind kind,
					       struct clrsos_sos_memory_region **ret, size_t *ret_count,
					       bool *ret_truncated)
{
	typedef clrsos_hresult (*get_fn)(void *, void **);
	typedef clrsos_hresult (*next_fn)(void *, uint32_t, struct clrsos_sos_memory_region *, uint32_t *);
	static const struct {
		int slot;
		const char *name;
	} calls[] = {
		[CLRSOS_DAC_MEMORY_HANDLE_TABLE] = {CLRSOS_SLOT_SOS13_GET_HANDLE_TABLE_MEMORY_REGIONS,
						    "GetHandleTableMemoryRegions"},
		[CLRSOS_DAC_MEMORY_GC_BOOKKEEPING] = {CLRSOS_SLOT_SOS13_GET_GC_BOOKKEEPING_MEMORY_REGIONS,
						      "GetGCBookkeepingMemoryRegions"},
		[CLRSOS_DAC_MEMORY_GC_FREE] = {CLRSOS_SLOT_SOS13_GET_GC_FREE_REGIONS, "GetGCFreeRegions"},
	};
	*ret = NULL;
	*ret_count = 0;
	*ret_truncated = false;
	if (!dac->sos13)
		return NULL;
	void *e = NULL;
	clrsos_hresult hr;
	switch (calls[kind].slot) {
	case CLRSOS_SLOT_SOS13_GET_HANDLE_TABLE_MEMORY_REGIONS:
		DAC_CALL(hr, dac->sos13, CLRSOS_SLOT_SOS13_GET_HANDLE_TABLE_MEMORY_REGIONS, get_fn, &e);
		break;
	case CLRSOS_SLOT_SOS13_GET_GC_BOOKKEEPING_MEMORY_REGIONS:
		DAC_CALL(hr, dac->sos13, CLRSOS_SLOT_SOS13_GET_GC_BOOKKEEPING_MEMORY_REGIONS, get_fn, &e);
		break;
	default:
		DAC_CALL(hr, dac->sos13, CLRSOS_SLOT_SOS13_GET_GC_FREE_REGIONS, get_fn, &e);
		break;
	}
	if (hr < 0 || !e)
		return clrsos_dac_call_failed(dac, calls[kind].name, hr);
	/* One region per Next: its stride then never matters (older DACs'
	 * SOSMemoryRegion lacked Heap; the buffer holds either). */
	struct clrsos_sos_memory_region *items = NULL;
	size_t cap = 0, n = 0;
	struct clrsos_error *err = NULL;
	while (n < MAX_MEMORY_REGIONS) {
		if ((err = clrsos_array_reserve(&items, &cap, n + 1)))
			break;
		struct clrsos_sos_memory_region one[2];
		memset(one, 0, sizeof(one));
		uint32_t fetched = 0;
		DAC_CALL(hr, e, CLRSOS_SLOT_SOS_ENUM_NEXT, next_fn, 1, one, &fetched);
		if (hr < 0) {
			err = clrsos_dac_call_failed(dac, calls[kind].name, hr);
			break;
		}
		if (fetched != 1)
			break;
		items[n++] = one[0];
	}
	DAC_GUARD("CLRSOS_SLOT_RELEASE", clrsos_com_release(e));
	if (err) {
		free(items);
		return err;
	}
	*ret = items;
	*ret_count = n;
	*ret_truncated = n == MAX_MEMORY_REGIONS;
	return NULL;
}

struct clrsos_error *clrsos_dac_jit_managers(struct clrsos_dac *dac, struct clrsos_dacp_jit_manager_info **ret,
					     size_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint32_t, struct clrsos_dacp_jit_manager_info *, uint32_t *);
	clrsos_hresult hr;
	*ret = NULL;
	*ret_count = 0;
	uint32_t needed = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_JIT_MANAGER_LIST, fn, 0, NULL, &needed);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetJitManagerList", hr);
	if (!needed)
		return NULL;
	if (needed > MAX_LOADER_HEAPS)
		return clrsos_error_create(CLRSOS_ERROR_DAC, "the DAC gives %u JIT managers (at most %d expected)",
					   needed, MAX_LOADER_HEAPS);
	uint32_t n = needed;
	struct clrsos_dacp_jit_manager_info *m = calloc(n, sizeof(*m));
	if (!m)
		return &clrsos_error_no_memory;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_JIT_MANAGER_LIST, fn, n, m, &needed);
	if (hr < 0) {
		free(m);
		return clrsos_dac_call_failed(dac, "GetJitManagerList", hr);
	}
	*ret = m;
	*ret_count = needed < n ? needed : n;
	return NULL;
}

struct clrsos_error *clrsos_dac_code_heaps(struct clrsos_dac *dac, uint64_t manager,
					   struct clrsos_dacp_jit_code_heap_info **ret, size_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, struct clrsos_dacp_jit_code_heap_info *, uint32_t *);
	clrsos_hresult hr;
	*ret = NULL;
	*ret_count = 0;
	uint32_t needed = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_CODE_HEAP_LIST, fn, manager, 0, NULL, &needed);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetCodeHeapList", hr);
	if (!needed)
		return NULL;
	if (needed > MAX_HEAP_BLOCKS)
		return clrsos_error_create(CLRSOS_ERROR_DAC, "the DAC gives %u code heaps (damaged memory?)", needed);
	uint32_t n = needed;
	struct clrsos_dacp_jit_code_heap_info *h = calloc(n, sizeof(*h));
	if (!h)
		return &clrsos_error_no_memory;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_CODE_HEAP_LIST, fn, manager, n, h, &needed);
	if (hr < 0) {
		free(h);
		return clrsos_dac_call_failed(dac, "GetCodeHeapList", hr);
	}
	*ret = h;
	*ret_count = needed < n ? needed : n;
	return NULL;
}

struct clrsos_error *clrsos_dac_code_header(struct clrsos_dac *dac, uint64_t ip, struct clrsos_dacp_code_header *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	uint64_t data[16];
	clrsos_hresult hr;
	memset(data, 0, sizeof(data));
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_CODE_HEADER_DATA, fn, ip, data);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetCodeHeaderData", hr);
	/* GCInfo, JITType, MethodDescPtr, MethodStart, MethodSize, ColdRegionStart, ColdRegionSize, HotRegionSize */
	ret->gc_info = data[0];
	ret->jit_type = (uint32_t)data[1];
	ret->method_desc = data[2];
	ret->method_start = data[3];
	ret->method_size = (uint32_t)data[4];
	ret->cold_start = data[5];
	ret->cold_size = (uint32_t)data[6];
	ret->hot_size = (uint32_t)(data[6] >> 32);
	return NULL;
}

struct clrsos_error *clrsos_dac_code_header_method_desc(struct clrsos_dac *dac, uint64_t ip, uint64_t *ret)
{
	struct clrsos_dacp_code_header h;
	struct clrsos_error *err = clrsos_dac_code_header(dac, ip, &h);
	*ret = err ? 0 : h.method_desc;
	return err;
}

struct clrsos_error *clrsos_dac_il_for_module(struct clrsos_dac *dac, uint64_t module, uint32_t rva, uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_IL_FOR_MODULE, fn, module, rva, ret);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetILForModule", hr);
	return NULL;
}

/* DACEHInfo on x64 (dacprivate.h): 88 bytes. */
enum {
	EH_KIND = 0, EH_TRY_START = 8, EH_TRY_END = 16, EH_HANDLER_START = 24, EH_HANDLER_END = 32,
	EH_DUPLICATE = 40, EH_FILTER = 48, EH_CATCH_ALL = 56, EH_MODULE = 64, EH_MT = 72, EH_TOKEN = 80,
};

struct eh_walk {
	struct clrsos_dac_eh_clause *items;
	size_t count, cap;
	bool oom;
};

static int32_t visit_eh(uint32_t index, uint32_t total, const uint8_t *info, void *token)
{
	(void)index;
	(void)total;
	struct eh_walk *w = token;
	if (w->count == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		struct clrsos_dac_eh_clause *items = cap < (1u << 20) ? realloc(w->items, cap * sizeof(*items)) : NULL;
		if (!items) {
			w->oom = true;
			return 0;
		}
		w->items = items;
		w->cap = cap;
	}
	struct clrsos_dac_eh_clause *c = &w->items[w->count++];
	int32_t i32;
	memcpy(&i32, info + EH_KIND, 4);
	c->kind = i32;
	memcpy(&c->try_start, info + EH_TRY_START, 8);
	memcpy(&c->try_end, info + EH_TRY_END, 8);
	memcpy(&c->handler_start, info + EH_HANDLER_START, 8);
	memcpy(&c->handler_end, info + EH_HANDLER_END, 8);
	memcpy(&i32, info + EH_DUPLICATE, 4);
	c->duplicate = i32 != 0;
	memcpy(&c->filter, info + EH_FILTER, 8);
	memcpy(&i32, info + EH_CATCH_ALL, 4);
	c->catch_all = i32 != 0;
	memcpy(&c->module, info + EH_MODULE, 8);
	memcpy(&c->catch_mt, info + EH_MT, 8);
	memcpy(&c->catch_token, info + EH_TOKEN, 4);
	return 1;
}

struct clrsos_error *clrsos_dac_eh_clauses(struct clrsos_dac *dac, uint64_t ip, struct clrsos_dac_eh_clause **ret,
					   size_t *ret_count)
{
	typedef int32_t (*visit_fn)(uint32_t, uint32_t, const uint8_t *, void *);
	typedef clrsos_hresult (*fn)(void *, uint64_t, visit_fn, void *);
	struct eh_walk w = {0};
	clrsos_hresult hr;
	*ret = NULL;
	*ret_count = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_TRAVERSE_EH_INFO, fn, ip, visit_eh, &w);
	if (w.oom) {
		free(w.items);
		return &clrsos_error_no_memory;
	}
	if (hr < 0) {
		free(w.items);
		return clrsos_dac_call_failed(dac, "TraverseEHInfo", hr);
	}
	*ret = w.items;
	*ret_count = w.count;
	return NULL;
}

bool clrsos_dac_jit_helper_name(struct clrsos_dac *dac, uint64_t ip, char *buf, size_t size)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, char *, uint32_t *);
	clrsos_hresult hr;
	uint32_t needed = 0;
	if (size < 2)
		return false;
	memset(buf, 0, size);
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_JIT_HELPER_FUNCTION_NAME, fn, ip, (uint32_t)size, buf, &needed);
	buf[size - 1] = '\0';
	return hr == 0 && buf[0];
}
