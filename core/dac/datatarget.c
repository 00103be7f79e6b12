/*
 * The data target the DAC reads the target through: ICLRDataTarget
 * (memory, threads' registers, module bases), ICLRRuntimeLocator (where
 * libcoreclr.so is), ICLRMetadataLocator (an assembly's metadata from its
 * file on disk) and ICorDebugDataTarget4 (a native frame's caller, by
 * clrsos's own unwinder), all on one object.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dac/dac_internal.h"
#include "target/pe.h"
#include "target/unwind.h"

enum { IMAGE_FILE_MACHINE_AMD64 = 0x8664 };

/* AMD64 CONTEXT as the DAC reads it (Windows layout). */
enum {
	CONTEXT_FLAGS_OFFSET = 0x30,
	CONTEXT_SEGCS_OFFSET = 0x38,
	CONTEXT_SEGDS_OFFSET = 0x3a,
	CONTEXT_SEGES_OFFSET = 0x3c,
	CONTEXT_SEGFS_OFFSET = 0x3e,
	CONTEXT_SEGGS_OFFSET = 0x40,
	CONTEXT_SEGSS_OFFSET = 0x42,
	CONTEXT_EFLAGS_OFFSET = 0x44,
	CONTEXT_RAX_OFFSET = 0x78,
	CONTEXT_RIP_OFFSET = 0xf8,
	CONTEXT_MIN_SIZE = 0x100,
};

#define DT_FROM(iface, field) \
	((struct clrsos_data_target *)((char *)(iface) - offsetof(struct clrsos_data_target, field)))

static clrsos_hresult dt_query(struct clrsos_data_target *dt,
			       const struct clrsos_guid *iid, void **ret)
{
	if (clrsos_guid_eq(iid, &CLRSOS_IID_IUnknown) ||
	    clrsos_guid_eq(iid, &CLRSOS_IID_ICLRDataTarget))
		*ret = &dt->target_vtbl;
	else if (clrsos_guid_eq(iid, &CLRSOS_IID_ICLRRuntimeLocator))
		*ret = &dt->runtime_locator_vtbl;
	else if (clrsos_guid_eq(iid, &CLRSOS_IID_ICLRMetadataLocator))
		*ret = &dt->metadata_locator_vtbl;
	else if (clrsos_guid_eq(iid, &CLRSOS_IID_ICorDebugDataTarget4))
		*ret = &dt->unwind_vtbl;
	else {
		*ret = NULL;
		return CLRSOS_E_NOINTERFACE;
	}
	dt->refs++;
	return CLRSOS_S_OK;
}

static uint32_t dt_release(struct clrsos_data_target *dt)
{
	uint32_t refs = --dt->refs;
	if (refs == 0)
		free(dt);
	return refs;
}

/* ICLRDataTarget */
static clrsos_hresult t_query(void *self, const struct clrsos_guid *iid, void **ret)
{
	return dt_query(DT_FROM(self, target_vtbl), iid, ret);
}
static uint32_t t_addref(void *self)
{
	return ++DT_FROM(self, target_vtbl)->refs;
}
static uint32_t t_release(void *self)
{
	return dt_release(DT_FROM(self, target_vtbl));
}
static clrsos_hresult t_get_machine_type(void *self, uint32_t *ret)
{
	(void)self;
	*ret = IMAGE_FILE_MACHINE_AMD64;
	return CLRSOS_S_OK;
}
static clrsos_hresult t_get_pointer_size(void *self, uint32_t *ret)
{
	(void)self;
	*ret = 8;
	return CLRSOS_S_OK;
}

/* The file part of a UTF-16 path, as ASCII (other characters become '?'). */
static void utf16_file_name(const uint16_t *name, char *buf, size_t size)
{
	const uint16_t *start = name;
	for (const uint16_t *p = name; *p; p++) {
		if (*p == '/' || *p == '\\')
			start = p + 1;
	}
	size_t i = 0;
	for (; start[i] && i + 1 < size; i++)
		buf[i] = start[i] < 0x80 ? (char)start[i] : '?';
	buf[i] = '\0';
}

static clrsos_hresult t_get_image_base(void *self, const uint16_t *name,
				       uint64_t *ret)
{
	struct clrsos_data_target *dt = DT_FROM(self, target_vtbl);
	char file[256];
	if (!name || !ret)
		return CLRSOS_E_INVALIDARG;
	utf16_file_name(name, file, sizeof(file));
	const struct clrsos_module *m = clrsos_target_find_module(dt->target, file);
	if (!m)
		return CLRSOS_E_FAIL;
	*ret = m->base;
	return CLRSOS_S_OK;
}

static clrsos_hresult t_read_virtual(void *self, uint64_t address, uint8_t *buf,
				     uint32_t size, uint32_t *ret)
{
	struct clrsos_data_target *dt = DT_FROM(self, target_vtbl);
	size_t done = 0;
	struct clrsos_error *err =
		clrsos_target_read_partial(dt->target, address, buf, size, &done);
	if (ret)
		*ret = (uint32_t)done;
	if (err) {
		if (!dt->faulted) {
			dt->faulted = true;
			dt->fault = err->address;
		}
		clrsos_error_destroy(err);
		return CLRSOS_E_FAIL;
	}
	return CLRSOS_S_OK;
}

/* Only a live process takes writes (the DAC's notification tables, bpmd);
 * a core refuses them (clrsos_target_write). */
static clrsos_hresult t_write_virtual(void *self, uint64_t address, const uint8_t *buf,
				      uint32_t size, uint32_t *ret)
{
	struct clrsos_data_target *dt = DT_FROM(self, target_vtbl);
	struct clrsos_error *err = clrsos_target_write(dt->target, address, buf, size);
	if (ret)
		*ret = err ? 0 : size;
	if (err) {
		clrsos_error_destroy(err);
		return CLRSOS_E_FAIL;
	}
	return CLRSOS_S_OK;
}

static clrsos_hresult t_not_implemented(void)
{
	return CLRSOS_E_NOTIMPL;
}

static void put16(uint8_t *ctx, size_t off, uint16_t v)
{
	memcpy(ctx + off, &v, sizeof(v));
}
static void put32(uint8_t *ctx, size_t off, uint32_t v)
{
	memcpy(ctx + off, &v, sizeof(v));
}

/* The CONTEXT's Rax..R15 and Rip (consecutive, in the table's order) from r. */
static void put_gprs(uint8_t *ctx, const struct clrsos_regs *r)
{
	uint64_t gprs[CLRSOS_X64_GPRS];
	for (int i = 0; i < CLRSOS_X64_GPRS; i++)
		gprs[i] = clrsos_regs_gpr(r, (enum clrsos_x64_gpr_index)i);
	memcpy(ctx + CONTEXT_RAX_OFFSET, gprs, sizeof(gprs));
}

void clrsos_context_from_regs(const struct clrsos_regs *r, uint32_t flags, uint8_t *ctx, size_t size)
{
	memset(ctx, 0, size);
	put32(ctx, CONTEXT_FLAGS_OFFSET, flags);
	put16(ctx, CONTEXT_SEGCS_OFFSET, r->cs);
	put16(ctx, CONTEXT_SEGDS_OFFSET, r->ds);
	put16(ctx, CONTEXT_SEGES_OFFSET, r->es);
	put16(ctx, CONTEXT_SEGFS_OFFSET, r->fs);
	put16(ctx, CONTEXT_SEGGS_OFFSET, r->gs);
	put16(ctx, CONTEXT_SEGSS_OFFSET, r->ss);
	put32(ctx, CONTEXT_EFLAGS_OFFSET, (uint32_t)r->rflags);
	/* Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8-R15, Rip: consecutive. */
	put_gprs(ctx, r);
}

void clrsos_regs_from_context(const uint8_t *ctx, struct clrsos_regs *r)
{
	uint64_t gprs[CLRSOS_X64_GPRS];
	uint32_t eflags;
	memcpy(gprs, ctx + CONTEXT_RAX_OFFSET, sizeof(gprs));
	memcpy(&eflags, ctx + CONTEXT_EFLAGS_OFFSET, sizeof(eflags));
	*r = (struct clrsos_regs){.rflags = eflags};
	for (int i = 0; i < CLRSOS_X64_GPRS; i++)
		clrsos_regs_set_gpr(r, (enum clrsos_x64_gpr_index)i, gprs[i]);
	memcpy(&r->cs, ctx + CONTEXT_SEGCS_OFFSET, 2);
	memcpy(&r->ds, ctx + CONTEXT_SEGDS_OFFSET, 2);
	memcpy(&r->es, ctx + CONTEXT_SEGES_OFFSET, 2);
	memcpy(&r->fs, ctx + CONTEXT_SEGFS_OFFSET, 2);
	memcpy(&r->gs, ctx + CONTEXT_SEGGS_OFFSET, 2);
	memcpy(&r->ss, ctx + CONTEXT_SEGSS_OFFSET, 2);
}

static clrsos_hresult t_get_thread_context(void *self, uint32_t tid,
					   uint32_t flags, uint32_t size,
					   uint8_t *ctx)
{
	struct clrsos_data_target *dt = DT_FROM(self, target_vtbl);
	if (!ctx || size < CONTEXT_MIN_SIZE)
		return CLRSOS_E_INVALIDARG;
	struct clrsos_regs r;
	struct clrsos_error *err = clrsos_target_registers(dt->target, tid, &r);
	if (err) {
		clrsos_error_destroy(err);
		return CLRSOS_E_FAIL;
	}
	clrsos_context_from_regs(&r, flags, ctx, size);
	return CLRSOS_S_OK;
}

static const void *const data_target_vtbl[] = {
	(void *)t_query,
	(void *)t_addref,
	(void *)t_release,
	(void *)t_get_machine_type,
	(void *)t_get_pointer_size,
	(void *)t_get_image_base,
	(void *)t_read_virtual,
	(void *)t_write_virtual,
	(void *)t_not_implemented, /* GetTLSValue */
	(void *)t_not_implemented, /* SetTLSValue */
	(void *)t_not_implemented, /* GetCurrentThreadID */
	(void *)t_get_thread_context,
	(void *)t_not_implemented, /* SetThreadContext */
	(void *)t_not_implemented, /* Request */
};

/* ICLRRuntimeLocator */
static clrsos_hresult rl_query(void *self, const struct clrsos_guid *iid, void **ret)
{
	return dt_query(DT_FROM(self, runtime_locator_vtbl), iid, ret);
}
static uint32_t rl_addref(void *self)
{
	return ++DT_FROM(self, runtime_locator_vtbl)->refs;
}
static uint32_t rl_release(void *self)
{
	return dt_release(DT_FROM(self, runtime_locator_vtbl));
}
static clrsos_hresult rl_get_runtime_base(void *self, uint64_t *ret)
{
	*ret = DT_FROM(self, runtime_locator_vtbl)->runtime_base;
	return CLRSOS_S_OK;
}
static const void *const runtime_locator_vtbl[] = {
	(void *)rl_query, (void *)rl_addref, (void *)rl_release,
	(void *)rl_get_runtime_base,
};

/* ICLRMetadataLocator: serve an assembly's metadata from its file on disk. */
static clrsos_hresult ml_query(void *self, const struct clrsos_guid *iid, void **ret)
{
	return dt_query(DT_FROM(self, metadata_locator_vtbl), iid, ret);
}
static uint32_t ml_addref(void *self)
{
	return ++DT_FROM(self, metadata_locator_vtbl)->refs;
}
static uint32_t ml_release(void *self)
{
	return dt_release(DT_FROM(self, metadata_locator_vtbl));
}

static void utf16_to_path(const uint16_t *s, char *buf, size_t size)
{
	size_t n = 0;
	while (s[n])
		n++;
	clrsos_utf16_to_utf8(s, n, buf, size);
}

static clrsos_hresult ml_get_metadata(void *self, const uint16_t *image_path,
				      uint32_t timestamp, uint32_t image_size,
				      void *mvid, uint32_t md_rva, uint32_t flags,
				      uint32_t size, uint8_t *buf, uint32_t *ret)
{
	struct clrsos_data_target *dt = DT_FROM(self, metadata_locator_vtbl);
	(void)mvid, (void)md_rva, (void)flags;
	if (!image_path || !buf)
		return CLRSOS_E_INVALIDARG;
	char path[PATH_MAX];
	utf16_to_path(image_path, path, sizeof(path));
	if (path[0] != '/') {
		/* A bare name: find the module the target loaded by that name. */
		const struct clrsos_module *m =
			clrsos_target_find_module(dt->target, path);
		if (!m || !m->path)
			return CLRSOS_E_FAIL;
		snprintf(path, sizeof(path), "%s", m->path);
	}
	size_t total = 0;
	struct clrsos_error *err = clrsos_pe_read_metadata(
		path, timestamp, image_size, buf, size, &total);
	if (err) {
		clrsos_error_destroy(err);
		return CLRSOS_E_FAIL;
	}
	if (ret)
		*ret = (uint32_t)(total < size ? total : size);
	return CLRSOS_S_OK;
}
static const void *const metadata_locator_vtbl[] = {
	(void *)ml_query, (void *)ml_addref, (void *)ml_release,
	(void *)ml_get_metadata,
};

/* ICorDebugDataTarget4: a native frame's caller, by clrsos's own unwinder (target/unwind.h). */
static clrsos_hresult u_query(void *self, const struct clrsos_guid *iid, void **ret)
{
	return dt_query(DT_FROM(self, unwind_vtbl), iid, ret);
}
static uint32_t u_addref(void *self)
{
	return ++DT_FROM(self, unwind_vtbl)->refs;
}
static uint32_t u_release(void *self)
{
	return dt_release(DT_FROM(self, unwind_vtbl));
}
static clrsos_hresult u_virtual_unwind(void *self, uint32_t tid, uint32_t size, uint8_t *ctx)
{
	(void)tid;
	struct clrsos_data_target *dt = DT_FROM(self, unwind_vtbl);
	if (!ctx || size < CONTEXT_MIN_SIZE)
		return CLRSOS_E_INVALIDARG;
	struct clrsos_regs r;
	clrsos_regs_from_context(ctx, &r);
	struct clrsos_unwinder *u;
	struct clrsos_error *err = clrsos_unwinder_create(dt->target, &u);
	if (err) {
		clrsos_error_destroy(err);
		return CLRSOS_E_FAIL;
	}
	bool ok = clrsos_unwind_virtual(u, &r);
	clrsos_unwinder_destroy(u);
	if (!ok)
		return CLRSOS_E_FAIL;
	/* The integer registers change; the rest of the context stays as the DAC gave it. */
	put_gprs(ctx, &r);
	return CLRSOS_S_OK;
}
static const void *const unwind_vtbl[] = {
	(void *)u_query,
	(void *)u_addref,
	(void *)u_release,
	(void *)u_virtual_unwind,
};

struct clrsos_data_target *clrsos_data_target_create(struct clrsos_target *target,
						     uint64_t runtime_base)
{
	struct clrsos_data_target *dt = calloc(1, sizeof(*dt));
	if (!dt)
		return NULL;
	dt->target_vtbl = data_target_vtbl;
	dt->runtime_locator_vtbl = runtime_locator_vtbl;
	dt->metadata_locator_vtbl = metadata_locator_vtbl;
	dt->unwind_vtbl = unwind_vtbl;
	dt->refs = 1;
	dt->target = target;
	dt->runtime_base = runtime_base;
	return dt;
}

uint32_t clrsos_data_target_release(struct clrsos_data_target *dt)
{
	return dt_release(dt);
}
