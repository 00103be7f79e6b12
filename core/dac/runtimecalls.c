/*
 * ISOSDacInterface calls for the runtime's own structures (sync blocks,
 * the GC's out-of-memory record, assembly names), typed as calls.c types
 * the others.
 */
#include <stdlib.h>
#include <string.h>

#include "dac/dac_internal.h"

struct clrsos_error *clrsos_dac_sync_block(struct clrsos_dac *dac, uint32_t number,
					   struct clrsos_dacp_sync_block_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint32_t, struct clrsos_dacp_sync_block_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_SYNC_BLOCK_DATA, fn, number, ret);
	/* S_FALSE is a failure here too: the runtime filled nothing in. */
	return hr != 0 ? clrsos_dac_call_failed(dac, "GetSyncBlockData", hr < 0 ? hr : (clrsos_hresult)0x80004005)
		       : NULL;
}

struct clrsos_error *clrsos_dac_oom_data(struct clrsos_dac *dac, uint64_t heap, struct clrsos_dacp_oom_data *ret)
{
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	if (heap == 0) {
		typedef clrsos_hresult (*fn)(void *, struct clrsos_dacp_oom_data *);
		DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_OOM_STATIC_DATA, fn, ret);
		return hr < 0 ? clrsos_dac_call_failed(dac, "GetOOMStaticData", hr) : NULL;
	}
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_oom_data *);
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_OOM_DATA, fn, heap, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetOOMData", hr) : NULL;
}

struct clrsos_error *clrsos_dac_assembly_name(struct clrsos_dac *dac, uint64_t assembly, char **ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint16_t *, uint32_t *);
	uint16_t buf[2048];
	uint32_t needed = 0;
	clrsos_hresult hr;
	*ret = NULL;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_ASSEMBLY_NAME, fn, assembly, 2048, buf, &needed);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetAssemblyName", hr);
	if (needed == 0 || needed > 2048 || !buf[0])
		return clrsos_error_create(CLRSOS_ERROR_DAC, "the runtime names no assembly at 0x%llx",
					   (unsigned long long)assembly);
	*ret = clrsos_dac_utf16_to_utf8(buf, needed);
	return *ret ? NULL : &clrsos_error_no_memory;
}

struct clrsos_error *clrsos_dac_app_domain(struct clrsos_dac *dac, uint64_t *ret)
{
	typedef clrsos_hresult (*list_fn)(void *, uint32_t, uint64_t *, uint32_t *);
	uint64_t domain = 0;
	uint32_t needed = 0;
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_APP_DOMAIN_LIST, list_fn, 1, &domain, &needed);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetAppDomainList", hr);
	*ret = needed ? domain : 0;
	return NULL;
}

struct clrsos_error *clrsos_dac_stress_log_address(struct clrsos_dac *dac, uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_STRESS_LOG_ADDRESS, fn, ret);
	if (hr != 0)
		*ret = 0;
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetStressLogAddress", hr) : NULL;
}

struct clrsos_error *clrsos_dac_assembly_load_context(struct clrsos_dac *dac, uint64_t mt, uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	if (!dac->sos8)
		return clrsos_error_create(CLRSOS_ERROR_DAC,
					   "this runtime's DAC cannot say which AssemblyLoadContext a type is in (no ISOSDacInterface8)");
	DAC_CALL(hr, dac->sos8, CLRSOS_SLOT_SOS8_GET_ASSEMBLY_LOAD_CONTEXT, fn, mt, ret);
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetAssemblyLoadContext", hr) : NULL;
}

struct clrsos_error *clrsos_dac_method_table_collectible(struct clrsos_dac *dac, uint64_t mt, uint64_t *handle,
							 bool *collectible)
{
	/* ISOSDacInterface6 (asked once, when the DAC was opened): its one method, GetMethodTableCollectibleData, in slot 3. */
	struct {
		uint64_t loader_allocator_handle;
		int32_t collectible;
		int32_t pad;
	} data = {0};
	typedef clrsos_hresult (*fn)(void *, uint64_t, void *);
	*handle = 0;
	*collectible = false;
	if (!dac->sos6)
		return NULL; /* a runtime older than collectible types' data: none shown */
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos6, 3, fn, mt, &data);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetMethodTableCollectibleData", hr);
	*handle = data.loader_allocator_handle;
	*collectible = data.collectible != 0;
	return NULL;
}

struct clrsos_error *clrsos_dac_module_layout(struct clrsos_dac *dac, uint64_t module,
					      struct clrsos_dac_module_layout *ret)
{
	/* ISOSDacInterface::GetModule (12), then IXCLRDataModule::Request (36) of the private module data. */
	enum { SLOT_GET_MODULE = 12, SLOT_MODULE_REQUEST = 36, REQUEST_GET_MODULE_DATA = 0xf0000001 };
	struct {
		int32_t is_dynamic, is_in_memory, is_file_layout, pad;
		uint64_t pe_assembly, loaded_pe_address, loaded_pe_size, in_memory_pdb_address, in_memory_pdb_size;
	} data = {0};
	typedef clrsos_hresult (*get_module_fn)(void *, uint64_t, void **);
	typedef clrsos_hresult (*request_fn)(void *, uint32_t, uint32_t, const void *, uint32_t, void *);
	memset(ret, 0, sizeof(*ret));
	void *xmodule = NULL;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, SLOT_GET_MODULE, get_module_fn, module, &xmodule);
	if (hr < 0 || !xmodule)
		return clrsos_dac_call_failed(dac, "GetModule", hr);
	DAC_CALL(hr, xmodule, SLOT_MODULE_REQUEST, request_fn, REQUEST_GET_MODULE_DATA, 0, NULL, (uint32_t)sizeof(data),
		 &data);
	DAC_GUARD("Release", clrsos_com_release(xmodule));
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "IXCLRDataModule::Request", hr);
	ret->is_dynamic = data.is_dynamic != 0;
	ret->is_in_memory = data.is_in_memory != 0;
	ret->is_file_layout = data.is_file_layout != 0;
	return NULL;
}

/* ISOSDacInterface7's profiler calls. */
enum { SLOT_SOS7_GET_PROFILER_MODIFIED_IL_INFORMATION = 5, SLOT_SOS7_GET_METHODS_WITH_PROFILER_MODIFIED_IL = 6 };

struct clrsos_error *clrsos_dac_profiler_modified_methods(struct clrsos_dac *dac, uint64_t module, uint64_t *ret,
							  int max, int *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *, int32_t, int32_t *);
	*ret_count = 0;
	if (!dac->sos7)
		return clrsos_error_create(CLRSOS_ERROR_DAC, "this runtime's DAC cannot list methods with profiler "
							     "modified IL (no ISOSDacInterface7)");
	int32_t count = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos7, SLOT_SOS7_GET_METHODS_WITH_PROFILER_MODIFIED_IL, fn, module, ret, max, &count);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetMethodsWithProfilerModifiedIL", hr);
	*ret_count = count < 0 ? 0 : count > max ? max : count;
	return NULL;
}

int clrsos_dac_profiler_il_kind(struct clrsos_dac *dac, uint64_t md)
{
	struct {
		int32_t type, pad;
		uint64_t il;
		uint32_t rejit_id, pad2;
	} data = {0};
	typedef clrsos_hresult (*fn)(void *, uint64_t, void *);
	if (!dac->sos7)
		return -1;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos7, SLOT_SOS7_GET_PROFILER_MODIFIED_IL_INFORMATION, fn, md, &data);
	return hr < 0 ? -1 : data.type;
}

/* Domains, assemblies and their modules (dumpdomain, dumpassembly, name2ee). */
enum { MAX_DOMAIN_LIST = 1 << 16 };

struct clrsos_error *clrsos_dac_app_domain_data(struct clrsos_dac *dac, uint64_t domain,
						struct clrsos_dacp_app_domain_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_app_domain_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_APP_DOMAIN_DATA, fn, domain, ret);
	return hr != 0 ? clrsos_dac_call_failed(dac, "GetAppDomainData", hr < 0 ? hr : (clrsos_hresult)0x80004005)
		       : NULL;
}

struct clrsos_error *clrsos_dac_app_domain_name(struct clrsos_dac *dac, uint64_t domain, char **ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint16_t *, uint32_t *);
	uint16_t buf[1024];
	uint32_t needed = 0;
	clrsos_hresult hr;
	*ret = NULL;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_APP_DOMAIN_NAME, fn, domain, 1024, buf, &needed);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetAppDomainName", hr);
	if (needed > 1024)
		needed = 1024;
	*ret = needed ? clrsos_dac_utf16_to_utf8(buf, needed) : strdup("");
	return *ret ? NULL : &clrsos_error_no_memory;
}

struct clrsos_error *clrsos_dac_assembly_data(struct clrsos_dac *dac, uint64_t domain, uint64_t assembly,
					      struct clrsos_dacp_assembly_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t, struct clrsos_dacp_assembly_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_ASSEMBLY_DATA, fn, domain, assembly, ret);
	return hr != 0 ? clrsos_dac_call_failed(dac, "GetAssemblyData", hr < 0 ? hr : (clrsos_hresult)0x80004005)
		       : NULL;
}

struct clrsos_error *clrsos_dac_domain_assemblies(struct clrsos_dac *dac, uint64_t domain, uint64_t **ret,
						  size_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, int32_t, uint64_t *, int32_t *);
	int32_t needed = 0, got = 0;
	clrsos_hresult hr;
	*ret = NULL;
	*ret_count = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_ASSEMBLY_LIST, fn, domain, 0, NULL, &needed);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetAssemblyList", hr);
	if (needed <= 0 || needed > MAX_DOMAIN_LIST)
		return NULL;
	uint64_t *list = calloc((size_t)needed, sizeof(*list));
	if (!list)
		return &clrsos_error_no_memory;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_ASSEMBLY_LIST, fn, domain, needed, list, &got);
	if (hr < 0) {
		free(list);
		return clrsos_dac_call_failed(dac, "GetAssemblyList", hr);
	}
	*ret = list;
	*ret_count = got < 0 ? 0 : got > needed ? (size_t)needed : (size_t)got;
	return NULL;
}

struct clrsos_error *clrsos_dac_assembly_modules(struct clrsos_dac *dac, uint64_t assembly, uint32_t count,
						 uint64_t **ret, size_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint64_t *, uint32_t *);
	uint32_t got = 0;
	clrsos_hresult hr;
	*ret = NULL;
	*ret_count = 0;
	if (count == 0 || count > MAX_DOMAIN_LIST)
		return NULL;
	uint64_t *list = calloc(count, sizeof(*list));
	if (!list)
		return &clrsos_error_no_memory;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_ASSEMBLY_MODULE_LIST, fn, assembly, count, list, &got);
	if (hr < 0) {
		free(list);
		return clrsos_dac_call_failed(dac, "GetAssemblyModuleList", hr);
	}
	*ret = list;
	*ret_count = got > count ? count : got;
	return NULL;
}

struct clrsos_error *clrsos_dac_method_table_for_eeclass(struct clrsos_dac *dac, uint64_t eeclass, uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_TABLE_FOR_EECLASS, fn, eeclass, ret);
	if (hr != 0 || !*ret) {
		*ret = 0;
		return clrsos_dac_call_failed(dac, "GetMethodTableForEEClass", hr < 0 ? hr : (clrsos_hresult)0x80004005);
	}
	return NULL;
}

struct module_map_walk {
	clrsos_module_map_fn *fn;
	void *ctx;
};

static void module_map_step(uint32_t index, uint64_t mt, void *token)
{
	struct module_map_walk *w = token;
	if (mt)
		w->fn(w->ctx, index, mt);
}

struct clrsos_error *clrsos_dac_module_map(struct clrsos_dac *dac, uint64_t module, bool type_refs,
					   clrsos_module_map_fn *fn, void *ctx)
{
	typedef void (*visit_fn)(uint32_t, uint64_t, void *);
	typedef clrsos_hresult (*traverse_fn)(void *, int32_t, uint64_t, visit_fn, void *);
	struct module_map_walk w = {fn, ctx};
	clrsos_hresult hr;
	/* ModuleMapType: TYPEDEFTOMETHODTABLE 0, TYPEREFTOMETHODTABLE 1. */
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_TRAVERSE_MODULE_MAP, traverse_fn, type_refs ? 1 : 0, module,
		 module_map_step, &w);
	return hr < 0 ? clrsos_dac_call_failed(dac, "TraverseModuleMap", hr) : NULL;
}

struct clrsos_error *clrsos_dac_method_desc_from_token(struct clrsos_dac *dac, uint64_t module, uint32_t token,
						       uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_DESC_FROM_TOKEN, fn, module, token, ret);
	if (hr != 0)
		*ret = 0;
	return hr < 0 ? clrsos_dac_call_failed(dac, "GetMethodDescFromToken", hr) : NULL;
}
