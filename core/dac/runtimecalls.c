/*
 * ISOSDacInterface calls for the runtime's own structures (sync blocks,
 * the GC's out-of-memory record, assembly names), typed as calls.c types
 * the others.
 */
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
	return hr != 0 ? clrsos_dac_call_failed_quiet(dac, "GetSyncBlockData", hr < 0 ? hr : (clrsos_hresult)0x80004005)
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
		return clrsos_dac_call_failed_quiet(dac, "GetAssemblyName", hr);
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
		return clrsos_dac_call_failed_quiet(dac, "GetAppDomainList", hr);
	*ret = needed ? domain : 0;
	return NULL;
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
