/*
 * A method's GC info from the target: the DAC's code header says where
 * the GC info is and how long the code is; the bytes come from the
 * target; the runtime's version says which GcInfo version JIT-compiled
 * code uses.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"
#include "model/gcinfo.h"
#include "model/methods.h"
#include "model/runtime.h"
#include "target/target.h"

/* Enough for any method's GC info: SOS reads 40 + twice the code size; bounded. */
static size_t blob_size(uint32_t method_size)
{
	uint64_t n = 40 + 2 * (uint64_t)method_size;
	return n > (16u << 20) ? (16u << 20) : (size_t)n;
}

static struct clrsos_error *runtime_major(struct clrsos_target *target, unsigned *ret)
{
	const struct clrsos_module *rt;
	struct clrsos_runtime_version v;
	struct clrsos_error *err = clrsos_dac_find_runtime(target, &rt);
	if (!err)
		err = clrsos_runtime_version_read(target, rt, &v);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
					   "the runtime's version is unknown, so is its GC info version");
	}
	*ret = (unsigned)strtoul(v.product, NULL, 10);
	return NULL;
}

struct clrsos_error *clrsos_method_gcinfo_read(struct clrsos_dac *dac, struct clrsos_target *target,
					       uint64_t address, struct clrsos_method_gcinfo *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct clrsos_dacp_code_header h;
	struct clrsos_error *err = address ? clrsos_dac_code_header(dac, address, &h)
					   : clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "0");
	if (err) {
		/* Not code: a MethodDesc, whose current code has the header. */
		clrsos_error_destroy(err);
		struct clrsos_method_desc_info m;
		if (!address || (err = clrsos_method_desc_info_init(&m, dac, address, 0))) {
			if (clrsos_error_is_no_memory(err))
				return err;
			clrsos_error_destroy(err);
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "0x%" PRIx64 " is not a valid MethodDesc or JIT-compiled code "
						   "(take one from ip2md, dumpmt -md or clrstack)", address);
		}
		uint64_t code = m.has_code ? m.code : 0;
		clrsos_method_desc_info_deinit(&m);
		if (!code)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "0x%" PRIx64 " has no GC info: its method is not compiled", address);
		if ((err = clrsos_dac_code_header(dac, code, &h))) {
			if (clrsos_error_is_no_memory(err))
				return err;
			clrsos_error_destroy(err);
			return clrsos_error_create(CLRSOS_ERROR_DAC,
						   "unable to get the code header of 0x%" PRIx64 " (code at 0x%" PRIx64 ")",
						   address, code);
		}
	}
	ret->method_desc = h.method_desc;
	ret->method_start = h.method_start;
	ret->method_size = h.method_size;
	ret->jit_type = h.jit_type;
	ret->gc_info = h.gc_info;
	if (!h.gc_info)
		return clrsos_error_create(CLRSOS_ERROR_DAC, "the code at 0x%" PRIx64 " has no GC info", h.method_start);
	unsigned major = 0;
	if ((err = runtime_major(target, &major)))
		return err;
	size_t size = blob_size(h.method_size), got = 0;
	uint8_t *bytes = malloc(size);
	if (!bytes)
		return &clrsos_error_no_memory;
	if ((err = clrsos_target_read_partial(target, h.gc_info, bytes, size, &got))) {
		free(bytes);
		return err;
	}
	err = clrsos_gcinfo_decode(bytes, got, clrsos_gcinfo_version_for_runtime(major), &ret->info);
	free(bytes);
	return err;
}

void clrsos_method_gcinfo_deinit(struct clrsos_method_gcinfo *m)
{
	if (m)
		clrsos_gcinfo_deinit(&m->info);
}
