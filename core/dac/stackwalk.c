/*
 * A managed thread's stack as the runtime walks it (IXCLRDataStackWalk):
 * each frame's context, its method or explicit Frame, and on request its
 * arguments and locals (IXCLRDataFrame, IXCLRDataValue).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dac/dac_internal.h"
#include "base/vector.h"

struct clrsos_error *clrsos_dac_method_desc_from_ip(struct clrsos_dac *dac, uint64_t ip, uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	uint64_t md = 0;
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_DESC_PTR_FROM_IP, fn, ip, &md);
	if (hr < 0) {
		char what[64];
		snprintf(what, sizeof(what), "the method at 0x%llx", (unsigned long long)ip);
		return clrsos_dac_call_failed(dac, what, hr);
	}
	*ret = md;
	return NULL;
}

static bool map_last_offset(const struct clrsos_dac_il_map_entry *map, size_t count, uint32_t *ret)
{
	bool found = false;
	*ret = 0;
	for (size_t i = 0; i < count; i++) {
		uint32_t o = map[i].il_offset;
		if (o != CLRSOS_DAC_IL_NO_MAPPING && o != CLRSOS_DAC_IL_PROLOG && o != CLRSOS_DAC_IL_EPILOG &&
		    (!found || o > *ret)) {
			*ret = o;
			found = true;
		}
	}
	return found;
}

/* The map of a method instance: asked twice, for its size and then its entries. */
struct clrsos_error *clrsos_dac_instance_il_map(struct clrsos_dac *dac, void *method, uint64_t ip,
						struct clrsos_dac_il_map_entry **ret, size_t *ret_count)
{
	typedef clrsos_hresult (*map_fn)(void *, uint32_t, uint32_t *, void *);
	enum { MAX_ENTRIES = 1 << 20 };
	_Static_assert(sizeof(struct clrsos_dac_il_map_entry) == 32, "CLRDATA_IL_ADDRESS_MAP is 32 bytes");
	*ret = NULL;
	*ret_count = 0;
	clrsos_hresult hr;
	uint32_t needed = 0, got = 0;
	DAC_CALL(hr, method, CLRSOS_SLOT_XCLRDATAMETHODINSTANCE_GET_IL_ADDRESS_MAP, map_fn, 0, &needed, NULL);
	if (hr < 0 || needed > MAX_ENTRIES) {
		char what[64];
		snprintf(what, sizeof(what), "the IL map of the code at 0x%llx", (unsigned long long)ip);
		return clrsos_dac_call_failed(dac, what, hr < 0 ? hr : (clrsos_hresult)0x80004005u);
	}
	struct clrsos_dac_il_map_entry *map = calloc(needed ? needed : 1, sizeof(*map));
	if (!map)
		return &clrsos_error_no_memory;
	DAC_CALL(hr, method, CLRSOS_SLOT_XCLRDATAMETHODINSTANCE_GET_IL_ADDRESS_MAP, map_fn, needed, &got, map);
	if (hr < 0) {
		free(map);
		char what[64];
		snprintf(what, sizeof(what), "the IL map of the code at 0x%llx", (unsigned long long)ip);
		return clrsos_dac_call_failed(dac, what, hr);
	}
	*ret = map;
	*ret_count = got < needed ? got : needed;
	return NULL;
}

struct clrsos_error *clrsos_dac_instance_open(struct clrsos_dac *dac, uint64_t ip, uint64_t *ret_handle,
					      void **ret_method)
{
	typedef clrsos_hresult (*start_fn)(void *, uint64_t, void *, uint64_t *);
	typedef clrsos_hresult (*next_fn)(void *, uint64_t *, void **);
	clrsos_hresult hr;
	*ret_handle = 0;
	*ret_method = NULL;
	DAC_CALL(hr, dac->process, CLRSOS_SLOT_XCLRDATAPROCESS_START_ENUM_METHOD_INSTANCES_BY_ADDRESS, start_fn, ip,
		 NULL, ret_handle);
	if (hr != CLRSOS_S_OK) {
		char what[64];
		snprintf(what, sizeof(what), "the method instance at 0x%llx", (unsigned long long)ip);
		return clrsos_dac_call_failed(dac, what, hr < 0 ? hr : (clrsos_hresult)0x80004005u);
	}
	DAC_CALL(hr, dac->process, CLRSOS_SLOT_XCLRDATAPROCESS_ENUM_METHOD_INSTANCE_BY_ADDRESS, next_fn, ret_handle,
		 ret_method);
	if (hr != CLRSOS_S_OK)
		*ret_method = NULL;
	return NULL;
}

void clrsos_dac_instance_close(struct clrsos_dac *dac, uint64_t handle, void *method)
{
	typedef clrsos_hresult (*end_fn)(void *, uint64_t);
	DAC_GUARD("CLRSOS_SLOT_RELEASE", {
		if (method)
			clrsos_com_release(method);
		CLRSOS_COM_SLOT(dac->process, CLRSOS_SLOT_XCLRDATAPROCESS_END_ENUM_METHOD_INSTANCES_BY_ADDRESS,
				end_fn)(dac->process, handle);
	});
}

struct clrsos_error *clrsos_dac_il_address_map(struct clrsos_dac *dac, uint64_t ip,
					       struct clrsos_dac_il_map_entry **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	uint64_t handle;
	void *method;
	struct clrsos_error *err = clrsos_dac_instance_open(dac, ip, &handle, &method);
	if (err)
		return err;
	if (method) {
		err = clrsos_dac_instance_il_map(dac, method, ip, ret, ret_count);
	} else {
		char what[64];
		snprintf(what, sizeof(what), "the method instance at 0x%llx", (unsigned long long)ip);
		err = clrsos_dac_call_failed(dac, what, (clrsos_hresult)0x80004005u);
	}
	clrsos_dac_instance_close(dac, handle, method);
	return err;
}

bool clrsos_dac_il_map_starts_at(const struct clrsos_dac_il_map_entry *map, size_t count, uint64_t code)
{
	/* Its first entry starts the code it maps (the prolog, native offset 0). */
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < count; i++)
		first = map[i].start < first ? map[i].start : first;
	return count && first == code;
}

struct clrsos_error *clrsos_dac_il_offset_at(struct clrsos_dac *dac, uint64_t ip, bool *ret_has,
					     uint32_t *ret_offset)
{
	typedef clrsos_hresult (*il_fn)(void *, uint64_t, uint32_t, uint32_t *, uint32_t *);
	*ret_has = false;
	*ret_offset = 0;
	uint64_t handle;
	void *method;
	clrsos_hresult hr_il = -1;
	uint32_t needed = 0, offset = CLRSOS_DAC_IL_NO_MAPPING;
	struct clrsos_error *err = clrsos_dac_instance_open(dac, ip, &handle, &method);
	if (err)
		return err;
	if (method)
		DAC_CALL(hr_il, method, CLRSOS_SLOT_XCLRDATAMETHODINSTANCE_GET_IL_OFFSETS_BY_ADDRESS, il_fn, ip, 1,
			 &needed, &offset);
	/* In an epilog, as SOS: the method's last IL offset. */
	if (hr_il >= 0 && needed >= 1 && offset == CLRSOS_DAC_IL_EPILOG) {
		struct clrsos_dac_il_map_entry *map = NULL;
		size_t n = 0;
		err = clrsos_error_ignore(clrsos_dac_instance_il_map(dac, method, ip, &map, &n));
		if (!err && !map_last_offset(map, n, &offset))
			offset = CLRSOS_DAC_IL_NO_MAPPING;
		free(map);
	}
	clrsos_dac_instance_close(dac, handle, method);
	if (err)
		return err;
	if (hr_il >= 0 && needed >= 1) {
		if (offset == CLRSOS_DAC_IL_PROLOG)
			offset = 0;
		/* No mapping gives no line. */
		if (offset < 0xfffffff0u) {
			*ret_has = true;
			*ret_offset = offset;
		}
	}
	return NULL;
}

struct clrsos_error *clrsos_dac_nested_exception(struct clrsos_dac *dac, uint64_t record, uint64_t *ret_object,
						 uint64_t *ret_next)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *, uint64_t *);
	clrsos_hresult hr;
	*ret_object = *ret_next = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_NESTED_EXCEPTION_DATA, fn, record, ret_object, ret_next);
	if (hr < 0) {
		*ret_object = *ret_next = 0;
		return clrsos_dac_call_failed(dac, "GetNestedExceptionData", hr);
	}
	return NULL;
}

enum {
	SIMPFRAME_ALL = 0xf,          /* unrecognized, managed, runtime managed/unmanaged */
	CONTEXT_AMD64_FULL = 0x10000b,/* control, integer, floating point */
	CONTEXT_AMD64_SIZE = 0x4d0,
	CONTEXT_RSP = 0x98,
	CONTEXT_RIP = 0xf8,
	REQUEST_FRAME_DATA = (int32_t)0xf0000000, /* DACSTACKPRIV_REQUEST_FRAME_DATA */
};

static void vars_free(struct clrsos_frame_var *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

void clrsos_stack_frames_free(struct clrsos_stack_frame *frames, size_t count)
{
	for (size_t i = 0; frames && i < count; i++) {
		free(frames[i].name);
		free(frames[i].frame_method);
		vars_free(frames[i].args, frames[i].nargs);
		vars_free(frames[i].locals, frames[i].nlocals);
	}
	free(frames);
}

enum { MAX_FRAME_VARS = 4096, ERROR_BUFFER_OVERFLOW_HR = (int32_t)0x8007006f };

/* One IXCLRDataValue: its home and its bytes. Called with dac_lock held. */
static void read_value(void *value, struct clrsos_frame_var *v)
{
	typedef clrsos_hresult (*num_fn)(void *, uint32_t *);
	typedef clrsos_hresult (*loc_fn)(void *, uint32_t, uint32_t *, uint64_t *);
	typedef clrsos_hresult (*bytes_fn)(void *, uint32_t, uint32_t *, uint8_t *);
	void **vt = *(void ***)value;
	uint32_t nloc = 0, flags = 0, size = 0;
	uint64_t address = 0;
	if (((num_fn)vt[CLRSOS_SLOT_XCLRDATAVALUE_GET_NUM_LOCATIONS])(value, &nloc) >= 0 && nloc == 1 &&
	    ((loc_fn)vt[CLRSOS_SLOT_XCLRDATAVALUE_GET_LOCATION_BY_INDEX])(value, 0, &flags, &address) >= 0) {
		v->has_location = true;
		v->in_register = flags == 1; /* CLRDATA_VLOC_REGISTER */
		v->address = v->in_register ? 0 : address;
	}
	clrsos_hresult hr = ((bytes_fn)vt[CLRSOS_SLOT_XCLRDATAVALUE_GET_BYTES])(value, 0, &size, NULL);
	if (hr != ERROR_BUFFER_OVERFLOW_HR && hr < 0) {
		v->state = CLRSOS_VAR_NO_DATA;
		return;
	}
	v->size = size;
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		v->state = CLRSOS_VAR_VALUE; /* a struct: its size only */
		return;
	}
	uint8_t buf[8] = {0};
	uint32_t got = 0;
	hr = ((bytes_fn)vt[CLRSOS_SLOT_XCLRDATAVALUE_GET_BYTES])(value, size, &got, buf);
	if (hr < 0 || got != size) {
		v->state = CLRSOS_VAR_UNREADABLE;
		return;
	}
	memcpy(&v->value, buf, 8); /* little-endian: zero-extended */
	v->state = CLRSOS_VAR_VALUE;
}

/* A frame's arguments (with names) or locals. Called with dac_lock held. */
static bool frame_vars(void *frame, bool args, struct clrsos_frame_var **ret, size_t *ret_count)
{
	typedef clrsos_hresult (*num_fn)(void *, uint32_t *);
	typedef clrsos_hresult (*get_fn)(void *, uint32_t, void **, uint32_t, uint32_t *, uint16_t *);
	void **vt = *(void ***)frame;
	uint32_t n = 0;
	*ret = NULL;
	*ret_count = 0;
	if (((num_fn)vt[args ? CLRSOS_SLOT_XCLRDATAFRAME_GET_NUM_ARGUMENTS
			     : CLRSOS_SLOT_XCLRDATAFRAME_GET_NUM_LOCAL_VARIABLES])(frame, &n) < 0)
		return false;
	if (!n)
		return true;
	if (n > MAX_FRAME_VARS)
		n = MAX_FRAME_VARS;
	struct clrsos_frame_var *v = calloc(n, sizeof(*v));
	if (!v)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		void *value = NULL;
		uint16_t name[256];
		uint32_t len = 0;
		v[i].state = CLRSOS_VAR_NO_DATA;
		clrsos_hresult hr = ((get_fn)vt[args ? CLRSOS_SLOT_XCLRDATAFRAME_GET_ARGUMENT_BY_INDEX
						     : CLRSOS_SLOT_XCLRDATAFRAME_GET_LOCAL_VARIABLE_BY_INDEX])(
			frame, i, &value, 256, &len, name);
		if (hr < 0 || !value)
			continue;
		if (args && len > 1)
			v[i].name = clrsos_dac_utf16_to_utf8(name, len < 256 ? len : 256);
		read_value(value, &v[i]);
		clrsos_com_release(value);
	}
	*ret = v;
	*ret_count = n;
	return true;
}

/* The IL offset of address in a frame's method. Called with dac_lock held. */
static void il_offset(void *frame, uint64_t address, struct clrsos_stack_frame *f)
{
	typedef clrsos_hresult (*mi_fn)(void *, void **);
	typedef clrsos_hresult (*il_fn)(void *, uint64_t, uint32_t, uint32_t *, uint32_t *);
	void **vt = *(void ***)frame;
	void *method = NULL;
	if (((mi_fn)vt[CLRSOS_SLOT_XCLRDATAFRAME_GET_METHOD_INSTANCE])(frame, &method) < 0 || !method)
		return;
	uint32_t needed = 0, offset = 0;
	clrsos_hresult hr = CLRSOS_COM_SLOT(method, CLRSOS_SLOT_XCLRDATAMETHODINSTANCE_GET_IL_OFFSETS_BY_ADDRESS,
					    il_fn)(method, address, 1, &needed, &offset);
	/* The prolog (0xfffffffe) counts as IL offset 0, the method's first
	 * line, as SOS shows it (a frame stopped at a method's first
	 * instruction: bpmd's); no mapping (0xffffffff) and the epilog
	 * (0xfffffffd) have none. */
	if (hr >= 0 && needed >= 1 && offset == 0xfffffffeu)
		offset = 0;
	if (hr >= 0 && needed >= 1 && offset < 0xfffffff0u) {
		f->has_il = true;
		f->il_offset = offset;
	}
	clrsos_com_release(method);
}

static char *frame_name(struct clrsos_dac *dac, uint64_t frame)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint16_t *, uint32_t *);
	uint64_t vtable = 0;
	struct clrsos_error *err = clrsos_target_read_u64(dac->data_target->target, frame, &vtable);
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	uint16_t buf[256];
	uint32_t needed = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_FRAME_NAME, fn, vtable, 256, buf, &needed);
	return hr < 0 ? NULL : clrsos_dac_utf16_to_utf8(buf, needed < 256 ? needed : 256);
}

/* The method a Frame stands for, if the runtime names one (no error if not). */
static struct clrsos_error *frame_method(struct clrsos_dac *dac, struct clrsos_stack_frame *f)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	uint64_t md = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_DESC_PTR_FROM_FRAME, fn, f->frame, &md);
	if (hr < 0 || !md)
		return NULL;
	bool code;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_method_desc(dac, md, &f->frame_method, &code));
	if (!err && f->frame_method)
		f->frame_method_desc = md;
	return err;
}

struct clrsos_error *clrsos_dac_stack_walk(struct clrsos_dac *dac, uint32_t os_thread_id, unsigned what,
					   struct clrsos_stack_frame **ret, size_t *ret_count)
{
	const bool vars = what & CLRSOS_DAC_WALK_VARS, il = what & CLRSOS_DAC_WALK_IL;
	typedef clrsos_hresult (*task_fn)(void *, uint32_t, void **);
	typedef clrsos_hresult (*walk_fn)(void *, uint32_t, void **);
	typedef clrsos_hresult (*ctx_fn)(void *, uint32_t, uint32_t, uint32_t *, uint8_t *);
	typedef clrsos_hresult (*next_fn)(void *);
	typedef clrsos_hresult (*req_fn)(void *, uint32_t, uint32_t, const uint8_t *, uint32_t, uint8_t *);
	*ret = NULL;
	*ret_count = 0;
	void *task = NULL, *walk = NULL;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->process, CLRSOS_SLOT_XCLRDATAPROCESS_GET_TASK_BY_OS_THREAD_ID, task_fn,
		 os_thread_id, &task);
	if (hr < 0 || !task)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "thread 0x%x is not a managed thread", os_thread_id);
	DAC_CALL(hr, task, CLRSOS_SLOT_XCLRDATATASK_CREATE_STACK_WALK, walk_fn, SIMPFRAME_ALL, &walk);
	struct clrsos_error *err = NULL;
	if (hr < 0 || !walk) {
		err = clrsos_dac_call_failed(dac, "CreateStackWalk", hr);
		goto out;
	}
	size_t cap = 0;
	for (size_t n = 0; n < CLRSOS_DAC_MAX_FRAMES; n++) {
		uint8_t ctx[CONTEXT_AMD64_SIZE];
		uint32_t size = 0;
		memset(ctx, 0, sizeof(ctx));
		DAC_CALL(hr, walk, CLRSOS_SLOT_XCLRDATASTACKWALK_GET_CONTEXT, ctx_fn, CONTEXT_AMD64_FULL,
			 sizeof(ctx), &size, ctx);
		if (hr < 0)
			break;
		if ((err = clrsos_array_reserve(ret, &cap, *ret_count + 1)))
			break;
		struct clrsos_stack_frame *f = &(*ret)[*ret_count];
		memset(f, 0, sizeof(*f));
		memcpy(&f->sp, ctx + CONTEXT_RSP, 8);
		memcpy(&f->ip, ctx + CONTEXT_RIP, 8);
		clrsos_regs_from_context(ctx, &f->regs);
		if (!f->ip)
			break; /* no context: a thread with no managed frames */
		(*ret_count)++;
		uint64_t frame = 0;
		DAC_CALL(hr, walk, CLRSOS_SLOT_XCLRDATASTACKWALK_REQUEST, req_fn, REQUEST_FRAME_DATA, 0,
			 NULL, sizeof(frame), (uint8_t *)&frame);
		f->frame = hr >= 0 ? frame : 0;
		if (f->frame) {
			f->name = frame_name(dac, f->frame);
			if ((err = frame_method(dac, f)))
				break;
		} else {
			bool code;
			if ((err = clrsos_error_ignore(clrsos_dac_method_desc_from_ip(dac, f->ip, &f->method_desc))))
				break;
			if (f->method_desc) {
				err = clrsos_error_ignore(clrsos_dac_method_desc(dac, f->method_desc, &f->name, &code));
				if (err)
					break;
			}
			if (vars || (il && f->method_desc)) {
				typedef clrsos_hresult (*frame_fn)(void *, void **);
				void *xframe = NULL;
				/* Below the first frame the IP is a return address: the
				 * call is the byte before it. */
				uint64_t at = *ret_count > 1 ? f->ip - 1 : f->ip;
				DAC_CALL(hr, walk, CLRSOS_SLOT_XCLRDATASTACKWALK_GET_FRAME, frame_fn, &xframe);
				if (vars)
					f->args_failed = f->locals_failed = true;
				DAC_GUARD("CLRSOS_SLOT_XCLRDATAFRAME_GET_ARGUMENTS", {
					if (vars) {
						f->args_failed = hr < 0 || !xframe ||
								 !frame_vars(xframe, true, &f->args, &f->nargs);
						f->locals_failed = hr < 0 || !xframe ||
								   !frame_vars(xframe, false, &f->locals, &f->nlocals);
					}
					if (il && hr >= 0 && xframe && f->method_desc)
						il_offset(xframe, at, f);
					clrsos_com_release(xframe);
				});
			}
		}
		DAC_CALL(hr, walk, CLRSOS_SLOT_XCLRDATASTACKWALK_NEXT, next_fn);
		if (hr != CLRSOS_S_OK)
			break;
	}
out:
	DAC_GUARD("CLRSOS_SLOT_RELEASE", {
		clrsos_com_release(walk);
		clrsos_com_release(task);
	});
	if (err) {
		clrsos_stack_frames_free(*ret, *ret_count);
		*ret = NULL;
		*ret_count = 0;
	}
	return err;
}
