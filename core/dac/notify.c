/*
 * bpmd's calls: methods by name, their compiled code, and the runtime's
 * debugger notifications (code generated, module loaded), through the
 * DAC's IXCLRData* interfaces (slots counted from xclrdata.idl, IUnknown
 * 0-2). Asking for a notification makes the DAC write the runtime's tables
 * in the process (the data target's WriteVirtual: live processes only).
 */
#include <stdlib.h>
#include <string.h>

#include "dac/dac_internal.h"
#include "dac/sosdac.h"

enum {
	SLOT_SOS_GET_MODULE = 12,
	SLOT_SOS4_GET_CLR_NOTIFICATION = 3,
	SLOT_PROCESS_GET_OTHER_NOTIFICATION_FLAGS = 41,
	SLOT_PROCESS_SET_OTHER_NOTIFICATION_FLAGS = 42,
	SLOT_MODULE_START_ENUM_METHOD_DEFINITIONS_BY_NAME = 19,
	SLOT_MODULE_ENUM_METHOD_DEFINITION_BY_NAME = 20,
	SLOT_MODULE_END_ENUM_METHOD_DEFINITIONS_BY_NAME = 21,
	SLOT_MODULE_GET_METHOD_DEFINITION_BY_TOKEN = 25,
	SLOT_METHDEF_START_ENUM_INSTANCES = 4,
	SLOT_METHDEF_ENUM_INSTANCE = 5,
	SLOT_METHDEF_END_ENUM_INSTANCES = 6,
	SLOT_METHDEF_GET_TOKEN_AND_SCOPE = 8,
	SLOT_METHDEF_SET_CODE_NOTIFICATION = 16,
	SLOT_METHDEF_HAS_CLASS_OR_METHOD_INSTANTIATION = 19,
	SLOT_METHINST_GET_ADDRESS_RANGES_BY_IL_OFFSET = 13,
	SLOT_METHINST_GET_REPRESENTATIVE_ENTRY_ADDRESS = 19,
};

enum {
	METHNOTIFY_NONE = 0,
	METHNOTIFY_GENERATED = 1,
	NOTIFY_ON_MODULE_LOAD = 1,
	NOTIFY_ON_MODULE_UNLOAD = 2,
	MAX_METHODS = 4096,
	MAX_RANGES = 256,
};

static const struct clrsos_guid iid_sos4 = {
	0x74b9d34c, 0xa612, 0x4b07, {0x93, 0xdd, 0x54, 0x62, 0x17, 0x8f, 0xce, 0x11}};

struct address_range {
	uint64_t start, end;
};

/* The module's IXCLRDataModule (a reference the caller releases), or an error. */
static struct clrsos_error *xmodule_of(struct clrsos_dac *dac, uint64_t module, void **ret)
{
	typedef clrsos_hresult (*get_module_fn)(void *, uint64_t, void **);
	clrsos_hresult hr;
	*ret = NULL;
	DAC_CALL(hr, dac->sos, SLOT_SOS_GET_MODULE, get_module_fn, module, ret);
	if (hr < 0 || !*ret) {
		*ret = NULL;
		return clrsos_dac_call_failed(dac, "GetModule", hr);
	}
	return NULL;
}

static void release(struct clrsos_dac *dac, void *obj)
{
	if (obj)
		DAC_GUARD("Release", clrsos_com_release(obj));
}

struct clrsos_error *clrsos_dac_methods_by_name(struct clrsos_dac *dac, uint64_t module, const char *name,
						uint32_t **ret_tokens, size_t *ret_count)
{
	typedef clrsos_hresult (*start_fn)(void *, const uint16_t *, uint32_t, uint64_t *);
	typedef clrsos_hresult (*next_fn)(void *, uint64_t *, void **);
	typedef clrsos_hresult (*end_fn)(void *, uint64_t);
	typedef clrsos_hresult (*token_fn)(void *, uint32_t *, void **);
	*ret_tokens = NULL;
	*ret_count = 0;
	size_t len = strlen(name);
	uint16_t *wide = calloc(len + 1, sizeof(*wide));
	uint32_t *tokens = calloc(MAX_METHODS, sizeof(*tokens));
	if (!wide || !tokens) {
		free(wide);
		free(tokens);
		return &clrsos_error_no_memory;
	}
	/* Type and method names are ASCII in practice; others pass as UTF-8 bytes widened. */
	for (size_t i = 0; i < len; i++)
		wide[i] = (uint8_t)name[i];
	void *xmodule = NULL;
	struct clrsos_error *err = xmodule_of(dac, module, &xmodule);
	if (err) {
		free(wide);
		free(tokens);
		return err;
	}
	uint64_t handle = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, xmodule, SLOT_MODULE_START_ENUM_METHOD_DEFINITIONS_BY_NAME, start_fn, wide, 0, &handle);
	size_t count = 0;
	if (hr == CLRSOS_S_OK) {
		for (;;) {
			void *def = NULL;
			DAC_CALL(hr, xmodule, SLOT_MODULE_ENUM_METHOD_DEFINITION_BY_NAME, next_fn, &handle, &def);
			if (hr != CLRSOS_S_OK || !def)
				break;
			uint32_t token = 0;
			clrsos_hresult thr;
			DAC_CALL(thr, def, SLOT_METHDEF_GET_TOKEN_AND_SCOPE, token_fn, &token, NULL);
			release(dac, def);
			if (thr >= 0 && token && count < MAX_METHODS)
				tokens[count++] = token;
		}
		DAC_CALL(hr, xmodule, SLOT_MODULE_END_ENUM_METHOD_DEFINITIONS_BY_NAME, end_fn, handle);
	}
	release(dac, xmodule);
	free(wide);
	if (dac->crashed) {
		free(tokens);
		return clrsos_dac_crash_error(dac, "EnumMethodDefinitionByName");
	}
	*ret_tokens = tokens;
	*ret_count = count;
	return NULL;
}

/* The module's IXCLRDataMethodDefinition of token (released by the caller). */
static struct clrsos_error *method_definition(struct clrsos_dac *dac, uint64_t module, uint32_t token, void **ret)
{
	typedef clrsos_hresult (*by_token_fn)(void *, uint32_t, void **);
	void *xmodule = NULL;
	*ret = NULL;
	struct clrsos_error *err = xmodule_of(dac, module, &xmodule);
	if (err)
		return err;
	clrsos_hresult hr;
	DAC_CALL(hr, xmodule, SLOT_MODULE_GET_METHOD_DEFINITION_BY_TOKEN, by_token_fn, token, ret);
	release(dac, xmodule);
	if (hr < 0 || !*ret) {
		*ret = NULL;
		return clrsos_dac_call_failed(dac, "GetMethodDefinitionByToken", hr);
	}
	return NULL;
}

struct clrsos_error *clrsos_dac_method_code(struct clrsos_dac *dac, uint64_t module, uint32_t token,
					    uint32_t il_offset, uint64_t **ret_addresses, size_t *ret_count,
					    bool *ret_generic)
{
	typedef clrsos_hresult (*start_fn)(void *, void *, uint64_t *);
	typedef clrsos_hresult (*next_fn)(void *, uint64_t *, void **);
	typedef clrsos_hresult (*end_fn)(void *, uint64_t);
	typedef clrsos_hresult (*ranges_fn)(void *, uint32_t, uint32_t, uint32_t *, struct address_range *);
	typedef clrsos_hresult (*entry_fn)(void *, uint64_t *);
	typedef clrsos_hresult (*generic_fn)(void *, int32_t *);
	*ret_addresses = NULL;
	*ret_count = 0;
	*ret_generic = false;
	void *def = NULL;
	struct clrsos_error *err = method_definition(dac, module, token, &def);
	if (err)
		return err;
	uint64_t *out = calloc(MAX_RANGES, sizeof(*out));
	struct address_range *ranges = calloc(MAX_RANGES, sizeof(*ranges));
	if (!out || !ranges) {
		free(out);
		free(ranges);
		release(dac, def);
		return &clrsos_error_no_memory;
	}
	size_t count = 0;
	uint64_t handle = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, def, SLOT_METHDEF_START_ENUM_INSTANCES, start_fn, NULL, &handle);
	if (hr == CLRSOS_S_OK) {
		for (;;) {
			void *inst = NULL;
			DAC_CALL(hr, def, SLOT_METHDEF_ENUM_INSTANCE, next_fn, &handle, &inst);
			if (hr != CLRSOS_S_OK || !inst)
				break;
			uint32_t needed = 0;
			clrsos_hresult rhr;
			DAC_CALL(rhr, inst, SLOT_METHINST_GET_ADDRESS_RANGES_BY_IL_OFFSET, ranges_fn, il_offset,
				 MAX_RANGES, &needed, ranges);
			bool found = false;
			if (rhr == CLRSOS_S_OK) {
				for (uint32_t i = 0; i < needed && i < MAX_RANGES && count < MAX_RANGES; i++) {
					if (ranges[i].start) {
						out[count++] = ranges[i].start;
						found = true;
					}
				}
			}
			if (!found && il_offset == 0) {
				uint64_t entry = 0;
				DAC_CALL(rhr, inst, SLOT_METHINST_GET_REPRESENTATIVE_ENTRY_ADDRESS, entry_fn, &entry);
				if (rhr == CLRSOS_S_OK && entry && count < MAX_RANGES)
					out[count++] = entry;
			}
			release(dac, inst);
		}
		DAC_CALL(hr, def, SLOT_METHDEF_END_ENUM_INSTANCES, end_fn, handle);
	}
	int32_t generic = 0;
	DAC_CALL(hr, def, SLOT_METHDEF_HAS_CLASS_OR_METHOD_INSTANTIATION, generic_fn, &generic);
	release(dac, def);
	free(ranges);
	if (dac->crashed) {
		free(out);
		return clrsos_dac_crash_error(dac, "EnumInstance");
	}
	*ret_generic = hr >= 0 && generic;
	*ret_addresses = out;
	*ret_count = count;
	return NULL;
}

struct clrsos_error *clrsos_dac_set_code_notification(struct clrsos_dac *dac, uint64_t module, uint32_t token,
						      bool on)
{
	typedef clrsos_hresult (*set_fn)(void *, uint32_t);
	void *def = NULL;
	struct clrsos_error *err = method_definition(dac, module, token, &def);
	if (err)
		return err;
	clrsos_hresult hr;
	DAC_CALL(hr, def, SLOT_METHDEF_SET_CODE_NOTIFICATION, set_fn, on ? METHNOTIFY_GENERATED : METHNOTIFY_NONE);
	release(dac, def);
	return hr < 0 ? clrsos_dac_call_failed(dac, "SetCodeNotification", hr) : NULL;
}

struct clrsos_error *clrsos_dac_set_module_notifications(struct clrsos_dac *dac, bool on)
{
	typedef clrsos_hresult (*get_fn)(void *, uint32_t *);
	typedef clrsos_hresult (*set_fn)(void *, uint32_t);
	uint32_t flags = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->process, SLOT_PROCESS_GET_OTHER_NOTIFICATION_FLAGS, get_fn, &flags);
	if (hr < 0)
		return clrsos_dac_call_failed(dac, "GetOtherNotificationFlags", hr);
	if (on)
		flags |= NOTIFY_ON_MODULE_LOAD | NOTIFY_ON_MODULE_UNLOAD;
	else
		flags &= ~(uint32_t)(NOTIFY_ON_MODULE_LOAD | NOTIFY_ON_MODULE_UNLOAD);
	DAC_CALL(hr, dac->process, SLOT_PROCESS_SET_OTHER_NOTIFICATION_FLAGS, set_fn, flags);
	return hr < 0 ? clrsos_dac_call_failed(dac, "SetOtherNotificationFlags", hr) : NULL;
}

struct clrsos_error *clrsos_dac_clr_notification(struct clrsos_dac *dac, uint64_t ret_args[3], size_t *ret_count)
{
	typedef clrsos_hresult (*get_fn)(void *, uint64_t *, int32_t, int32_t *);
	*ret_count = 0;
	void *sos4 = NULL;
	DAC_GUARD("QueryInterface", sos4 = clrsos_com_query(dac->sos, &iid_sos4));
	if (!sos4)
		return clrsos_error_create(CLRSOS_ERROR_DAC,
					   "this DAC has no ISOSDacInterface4: it cannot read the runtime's notifications");
	uint64_t args[3] = {0, 0, 0};
	int32_t needed = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, sos4, SLOT_SOS4_GET_CLR_NOTIFICATION, get_fn, args, 3, &needed);
	release(dac, sos4);
	if (hr < 0)
		return NULL; /* no notification pending: some other C++ exception */
	memcpy(ret_args, args, sizeof(args));
	*ret_count = needed > 0 && needed <= 3 ? (size_t)needed : 3;
	return NULL;
}

enum {
	MAX_SCAN = 64 << 10,
	IL_NO_OFFSET_MIN = 0xfffffff0u, /* prolog, epilog, no mapping: no IL */
};

/*
 * il_offset's first instruction in code through the method's IL-to-native
 * map (one DAC call for the whole map). The DAC maps its current code
 * only: *ret_mine false when that is not code (a new version not yet
 * published), and nothing is said.
 */
static struct clrsos_error *address_of_il_by_map(struct clrsos_dac *dac, void *inst, uint64_t code,
						 uint32_t il_offset, uint64_t *ret, bool *ret_mine)
{
	*ret = 0;
	*ret_mine = false;
	struct clrsos_dac_il_map_entry *map = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_instance_il_map(dac, inst, code, &map, &n);
	if (err) {
		if (dac->crashed || clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err); /* no map: said by the caller's other way */
		return NULL;
	}
	if (!clrsos_dac_il_map_starts_at(map, n, code)) {
		free(map);
		return NULL;
	}
	*ret_mine = true;
	uint64_t hit = 0, next_at = 0;
	uint32_t next_il = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct clrsos_dac_il_map_entry *m = &map[i];
		/* An empty range holds no instruction (the last entry's end may be
		 * its code's start: it runs to the end). */
		if (m->end <= m->start && m->end != code)
			continue;
		if (m->il_offset == il_offset && (!hit || m->start < hit))
			hit = m->start;
		/* Optimized code maps only some IL offsets (where the IL stack is
		 * empty): else the first instruction of the next one it maps. */
		if (m->il_offset > il_offset && m->il_offset < IL_NO_OFFSET_MIN &&
		    (m->il_offset < next_il || (m->il_offset == next_il && m->start < next_at))) {
			next_il = m->il_offset;
			next_at = m->start;
		}
	}
	free(map);
	*ret = hit ? hit : next_at;
	return NULL;
}

/*
 * il_offset's first instruction in code, from the native-to-IL map address
 * by address: at each of insns (ninsns of them), or with none each byte.
 */
static void walk_native_to_il(struct clrsos_dac *dac, void *inst, uint64_t code, uint32_t il_offset,
			      const struct clrsos_insn *insns, size_t ninsns, uint64_t *ret)
{
	typedef clrsos_hresult (*il_fn)(void *, uint64_t, uint32_t, uint32_t *, uint32_t *);
	clrsos_hresult hr;
	*ret = 0;
	uint32_t next_il = UINT32_MAX;
	uint64_t next_at = 0;
	size_t steps = ninsns ? ninsns : MAX_SCAN;
	for (size_t k = 0; k < steps && !dac->crashed; k++) {
		uint64_t a = ninsns ? insns[k].address : code + k;
		uint32_t offsets[8], needed = 0;
		DAC_CALL(hr, inst, CLRSOS_SLOT_XCLRDATAMETHODINSTANCE_GET_IL_OFFSETS_BY_ADDRESS, il_fn, a, 8, &needed,
			 offsets);
		if (hr == CLRSOS_E_NOINTERFACE)
			continue;
		if (hr < 0)
			break; /* no mapping any more: past its end */
		bool hit = false;
		for (uint32_t i = 0; i < needed && i < 8; i++) {
			hit |= offsets[i] == il_offset;
			if (offsets[i] > il_offset && offsets[i] < IL_NO_OFFSET_MIN && offsets[i] < next_il) {
				next_il = offsets[i];
				next_at = a;
			}
		}
		if (hit) {
			*ret = a;
			break;
		}
	}
	/* Optimized code maps only some IL offsets (where the IL stack is
	 * empty): else the first instruction of the next one it maps. */
	if (!*ret)
		*ret = next_at;
}

struct clrsos_error *clrsos_dac_code_address_of_il(struct clrsos_dac *dac, uint64_t code, uint32_t il_offset,
						   uint64_t *ret)
{
	*ret = 0;
	uint64_t handle = 0;
	void *inst = NULL;
	struct clrsos_error *err = clrsos_dac_instance_open(dac, code, &handle, &inst);
	if (err)
		return err;
	if (!inst) {
		clrsos_dac_instance_close(dac, handle, NULL);
		return clrsos_dac_call_failed(dac, "EnumMethodInstanceByAddress", CLRSOS_E_FAIL);
	}
	bool mine = false;
	err = address_of_il_by_map(dac, inst, code, il_offset, ret, &mine);
	if (err || mine) {
		clrsos_dac_instance_close(dac, handle, inst);
		return err;
	}
	/* The DAC's IL-to-native map is of the method's current code only;
	 * this code (a new version) is mapped from native to IL, address by
	 * address: each instruction's where the debugger disassembles the code
	 * (a map entry starts at an instruction), else each byte. */
	struct clrsos_dacp_code_header header;
	struct clrsos_insn *insns = NULL;
	size_t ninsns = 0;
	if (!clrsos_error_ignore(clrsos_dac_code_header(dac, code, &header)) && header.method_start == code &&
	    header.method_size)
		clrsos_error_ignore(clrsos_target_disassemble(dac->data_target->target, code,
							      header.hot_size ? header.hot_size : header.method_size,
							      &insns, &ninsns));
	walk_native_to_il(dac, inst, code, il_offset, insns, ninsns, ret);
	clrsos_insns_free(insns, ninsns);
	clrsos_dac_instance_close(dac, handle, inst);
	return dac->crashed ? clrsos_dac_crash_error(dac, "GetILOffsetsByAddress") : NULL;
}
