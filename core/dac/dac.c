#include "dac/dac.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/syscall.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dac/com.h"
#include "dac/dacguard.h"
#include "dac/daclib.h"
#include "target/elfimage.h"
#include "target/pe.h"
#include "base/utf.h"

/*
 * Every DAC call runs under a fault guard (sigsetjmp, core/dacguard.h). A
 * guarded statement changes only volatile locals and memory through
 * pointers, so no local is clobbered by the jump back; GCC cannot see that.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wclobbered"
#endif

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

static pthread_mutex_t dac_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Our data target: one object exposing three interfaces, each a vtable
 * pointer inside it; a method finds the object from its interface pointer.
 */
struct data_target {
	const void *const *target_vtbl;
	const void *const *runtime_locator_vtbl;
	const void *const *metadata_locator_vtbl;
	uint32_t refs;
	struct clrsos_target *target;
	uint64_t runtime_base;
	/* The first address the DAC asked for and the target lacked, during the
	 * current call: a failed call names it. */
	uint64_t fault;
	bool faulted;
};

struct clrsos_dac {
	struct data_target *data_target;
	void *process; /* IXCLRDataProcess */
	void *sos;     /* ISOSDacInterface */
	void *sos8, *sos12, *sos14, *sos15, *sos16;
	char *path;
	char *runtime_path;
	uint64_t runtime_base;
	char build_id[2 * CLRSOS_BUILD_ID_MAX + 1];
	/* A call faulted inside the DAC: its state may be half-changed, so
	 * nothing more is asked of this instance (core/dacguard.h). */
	bool crashed;
	bool crash_reported;  /* the current command has said so already */
	bool crash_recovered; /* the locks it left held were released */
	char crash_call[64];  /* the call that faulted ("GetStackReferences") */
	char crash_how[192];  /* "SIGSEGV at libmscordaccore.so+0x13c097 reading 0x0" */
	void *lib;            /* the DAC library this instance runs in */
};

/*
 * DAC libraries that crashed. A fault leaves the library's own locks held
 * (its global critical section), so no instance of that loaded copy can
 * be used again in this debugger process: opening one would wait forever.
 */
enum { MAX_CRASHED_LIBS = 16 };
static struct {
	void *lib;
	char call[64];
	char how[192];
} crashed_libs[MAX_CRASHED_LIBS];
static size_t ncrashed_libs;

static const char *lib_crash(void *lib, const char **ret_how)
{
	for (size_t i = 0; i < ncrashed_libs; i++)
		if (crashed_libs[i].lib == lib) {
			*ret_how = crashed_libs[i].how;
			return crashed_libs[i].call;
		}
	return NULL;
}

/* What a call into a DAC that crashed returns: it is not made. */
#define DAC_CRASHED_HR ((clrsos_hresult)0x8000ffff) /* E_UNEXPECTED */

/* "CLRSOS_SLOT_SOS_GET_STACK_REFERENCES" -> "GetStackReferences". */
static void call_name(const char *slot, char *buf, size_t size)
{
	const char *p = strncmp(slot, "CLRSOS_SLOT_", 12) == 0 ? slot + 12 : slot;
	const char *us = strchr(p, '_'); /* the interface's part */
	if (us && us[1])
		p = us + 1;
	size_t n = 0;
	bool upper = true;
	for (; *p && n + 1 < size; p++) {
		if (*p == '_') {
			upper = true;
			continue;
		}
		buf[n++] = upper ? *p : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		upper = false;
	}
	buf[n] = '\0';
}

/*
 * A fault inside the DAC jumps over the code that would unlock what the
 * faulting call had locked: its global critical section, a glibc mutex in
 * the library's data that this thread owns. Unlock those (this thread is
 * their owner, so that is allowed), so that a new instance can be opened.
 * Returns true if the library's writable data holds no mutex of this
 * thread's any more.
 */
struct held_locks {
	void *base;    /* the library's load address */
	pid_t tid;
	size_t released, left;
};

static int release_in(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct held_locks *h = data;
	if (!info->dlpi_phdr || (void *)info->dlpi_addr != h->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		uintptr_t hi = lo + ph->p_memsz;
		for (uintptr_t p = (lo + 7) & ~(uintptr_t)7; p + sizeof(pthread_mutex_t) <= hi; p += 8) {
			const int *w = (const int *)p;
			/* glibc's pthread_mutex_t: __lock, __count, __owner, ... */
			if ((w[0] == 1 || w[0] == 2) && w[2] == h->tid) {
				if (pthread_mutex_unlock((pthread_mutex_t *)p) == 0)
					h->released++;
				else
					h->left++;
			}
		}
	}
	return 1;
}

static bool release_held_locks(void *lib)
{
	struct link_map *map = NULL;
	if (dlinfo(lib, RTLD_DI_LINKMAP, &map) != 0 || !map)
		return false;
	struct held_locks h = {(void *)map->l_addr, (pid_t)syscall(SYS_gettid), 0, 0};
	dl_iterate_phdr(release_in, &h);
	return h.left == 0;
}

/* Record that guard g caught a fault in the DAC during call (a slot name). */
static void dac_crashed(struct clrsos_dac *dac, const struct clrsos_guard *g, const char *call)
{
	if (dac->crashed)
		return;
	dac->crashed = true;
	call_name(call, dac->crash_call, sizeof(dac->crash_call));
	clrsos_guard_describe(g, dac->crash_how, sizeof(dac->crash_how));
	/* core/daclib.c loads the DAC through /proc/self/fd: name it. */
	if (strncmp(dac->crash_how, "SIGSEGV at ", 11) == 0 || strstr(dac->crash_how, " at ")) {
		char *at = strstr(dac->crash_how, " at ");
		char *plus = at ? strchr(at, '+') : NULL;
		if (plus) {
			bool digits = plus > at + 4;
			for (char *c = at + 4; c < plus; c++)
				digits = digits && *c >= '0' && *c <= '9';
			if (digits) {
				char rest[192];
				snprintf(rest, sizeof(rest), "%s", plus);
				snprintf(at, sizeof(dac->crash_how) - (size_t)(at - dac->crash_how),
					 " at libmscordaccore.so%s", rest);
			}
		}
	}
	if (dac->lib && release_held_locks(dac->lib)) {
		dac->crash_recovered = true; /* the library can serve a new instance */
		return;
	}
	if (dac->lib && ncrashed_libs < MAX_CRASHED_LIBS) {
		const char *how;
		if (!lib_crash(dac->lib, &how)) {
			crashed_libs[ncrashed_libs].lib = dac->lib;
			snprintf(crashed_libs[ncrashed_libs].call, sizeof(crashed_libs[0].call), "%s",
				 dac->crash_call);
			snprintf(crashed_libs[ncrashed_libs].how, sizeof(crashed_libs[0].how), "%s",
				 dac->crash_how);
			ncrashed_libs++;
		}
	}
}

/*
 * Run stmt (calls into the DAC) under the DAC lock and a fault guard; a
 * fault marks the DAC crashed. On a DAC that crashed, stmt is not run.
 */
#define DAC_GUARD(call, ...)                                            \
	do {                                                             \
		pthread_mutex_lock(&dac_lock);                           \
		if (!dac->crashed) {                                     \
			struct clrsos_guard guard_;                      \
			CLRSOS_GUARDED(guard_, __VA_ARGS__);                    \
			if (guard_.signal)                               \
				dac_crashed(dac, &guard_, call);         \
		}                                                        \
		pthread_mutex_unlock(&dac_lock);                         \
	} while (0)

/* Call slot of iface under the DAC lock and a fault guard. */
#define DAC_CALL(hr, iface, slot, fn_type, ...)                          \
	do {                                                             \
		volatile clrsos_hresult hr_ = DAC_CRASHED_HR;            \
		dac->data_target->faulted = false;                       \
		DAC_GUARD(#slot, hr_ = CLRSOS_COM_SLOT(iface, slot, fn_type)(iface, ##__VA_ARGS__)); \
		(hr) = hr_;                                              \
	} while (0)

#define DT_FROM(iface, field) \
	((struct data_target *)((char *)(iface) - offsetof(struct data_target, field)))

static clrsos_hresult dt_query(struct data_target *dt,
			       const struct clrsos_guid *iid, void **ret)
{
	if (clrsos_guid_eq(iid, &CLRSOS_IID_IUnknown) ||
	    clrsos_guid_eq(iid, &CLRSOS_IID_ICLRDataTarget))
		*ret = &dt->target_vtbl;
	else if (clrsos_guid_eq(iid, &CLRSOS_IID_ICLRRuntimeLocator))
		*ret = &dt->runtime_locator_vtbl;
	else if (clrsos_guid_eq(iid, &CLRSOS_IID_ICLRMetadataLocator))
		*ret = &dt->metadata_locator_vtbl;
	else {
		*ret = NULL;
		return CLRSOS_E_NOINTERFACE;
	}
	dt->refs++;
	return CLRSOS_S_OK;
}

static uint32_t dt_release(struct data_target *dt)
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
	struct data_target *dt = DT_FROM(self, target_vtbl);
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
	struct data_target *dt = DT_FROM(self, target_vtbl);
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

static clrsos_hresult t_get_thread_context(void *self, uint32_t tid,
					   uint32_t flags, uint32_t size,
					   uint8_t *ctx)
{
	struct data_target *dt = DT_FROM(self, target_vtbl);
	if (!ctx || size < CONTEXT_MIN_SIZE)
		return CLRSOS_E_INVALIDARG;
	struct clrsos_regs r;
	struct clrsos_error *err = clrsos_target_registers(dt->target, tid, &r);
	if (err) {
		clrsos_error_destroy(err);
		return CLRSOS_E_FAIL;
	}
	memset(ctx, 0, size);
	put32(ctx, CONTEXT_FLAGS_OFFSET, flags);
	put16(ctx, CONTEXT_SEGCS_OFFSET, r.cs);
	put16(ctx, CONTEXT_SEGDS_OFFSET, r.ds);
	put16(ctx, CONTEXT_SEGES_OFFSET, r.es);
	put16(ctx, CONTEXT_SEGFS_OFFSET, r.fs);
	put16(ctx, CONTEXT_SEGGS_OFFSET, r.gs);
	put16(ctx, CONTEXT_SEGSS_OFFSET, r.ss);
	put32(ctx, CONTEXT_EFLAGS_OFFSET, (uint32_t)r.rflags);
	/* Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8-R15, Rip: consecutive. */
	const uint64_t gprs[17] = {r.rax, r.rcx, r.rdx, r.rbx, r.rsp, r.rbp,
				   r.rsi, r.rdi, r.r8,  r.r9,  r.r10, r.r11,
				   r.r12, r.r13, r.r14, r.r15, r.rip};
	memcpy(ctx + CONTEXT_RAX_OFFSET, gprs, sizeof(gprs));
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
	(void *)t_not_implemented, /* WriteVirtual */
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
	struct data_target *dt = DT_FROM(self, metadata_locator_vtbl);
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

struct clrsos_error *clrsos_dac_find_runtime(struct clrsos_target *target,
					     const struct clrsos_module **ret)
{
	const struct clrsos_module *mods;
	size_t n;
	struct clrsos_error *err = clrsos_target_modules(target, &mods, &n);
	if (err)
		return err;
	const struct clrsos_module *m =
		clrsos_target_find_module(target, "libcoreclr.so");
	if (!m && !clrsos_target_is_live(target))
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
					   "no .NET runtime (libcoreclr.so) among this core's modules: the core may be truncated, or not of a .NET process (see 'image list')");
	if (!m)
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
					   "no .NET runtime (libcoreclr.so) in this target: is it a .NET process, and has the runtime been loaded yet?");
	*ret = m;
	return NULL;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	return strndup(path, (size_t)(slash - path));
}

typedef clrsos_hresult (*create_instance_fn)(const struct clrsos_guid *iid,
					     void *target, void **ret);
struct clrsos_error *clrsos_dac_open(struct clrsos_target *target,
				     const struct clrsos_dac_options *options,
				     struct clrsos_dac **ret)
{
	const struct clrsos_module *clr = NULL;
	struct clrsos_error *err = clrsos_dac_find_runtime(target, &clr);
	if (err)
		return err;
	uint8_t id[CLRSOS_BUILD_ID_MAX];
	size_t id_len = 0;
	bool from_memory;
	err = clrsos_target_module_build_id(target, clr, id, &id_len, &from_memory);
	if (err)
		return clrsos_error_wrap(err, "cannot identify the runtime build");
	struct clrsos_dac *dac = calloc(1, sizeof(*dac));
	if (!dac)
		return &clrsos_error_no_memory;
	clrsos_build_id_hex(id, id_len, dac->build_id);
	dac->runtime_base = clr->base;
	dac->runtime_path = strdup(clr->path ? clr->path : clr->name);

	/* A directory the user chose replaces the runtime's own: never fall back silently. */
	bool user_named = options && options->user_dir && options->user_dir[0];
	const char *dir_src = "the runtime's directory";
	char *dir;
	if (user_named) {
		dir = strdup(options->user_dir);
		dir_src = "setclrpath";
	} else if (options && options->env_dir && options->env_dir[0]) {
		dir = strdup(options->env_dir);
		dir_src = "CLRSOS_RUNTIME_DIR";
	} else {
		dir = dir_of(dac->runtime_path ? dac->runtime_path : "");
	}
	char why[2 * PATH_MAX + 256] = "";
	if (!dir || !dac->runtime_path) {
		err = &clrsos_error_no_memory;
		goto fail;
	}
	void *lib = NULL;
	if (!clrsos_daclib_load(dir, user_named, dac->build_id, &lib, &dac->path, why,
				sizeof(why))) {
		err = clrsos_error_create(CLRSOS_ERROR_DAC,
					  "no usable DAC for this runtime (from %s): %s; use setclrpath <directory of the runtime build %s>",
					  dir_src, why, dac->build_id);
		goto fail;
	}
	const char *how = NULL;
	const char *crashed_call = lib_crash(lib, &how);
	if (crashed_call) {
		err = clrsos_error_create(CLRSOS_ERROR_DAC,
					  "the runtime's DAC (%s) crashed earlier in this debugger session, answering %s (%s), and cannot be used again in this lldb process: restart lldb to go on with this target",
					  dac->path, crashed_call, how);
		goto fail;
	}
	dac->lib = lib;
	create_instance_fn create = (create_instance_fn)dlsym(lib, "CLRDataCreateInstance");
	if (!create) {
		err = clrsos_error_create(CLRSOS_ERROR_DAC, "%s does not export CLRDataCreateInstance",
					  dac->path);
		goto fail;
	}
	struct data_target *dt = calloc(1, sizeof(*dt));
	if (!dt) {
		err = &clrsos_error_no_memory;
		goto fail;
	}
	dt->target_vtbl = data_target_vtbl;
	dt->runtime_locator_vtbl = runtime_locator_vtbl;
	dt->metadata_locator_vtbl = metadata_locator_vtbl;
	dt->refs = 1;
	dt->target = target;
	dt->runtime_base = clr->base;
	dac->data_target = dt;
	dt->faulted = false;
	volatile clrsos_hresult hr = DAC_CRASHED_HR;
	DAC_GUARD("CLRDataCreateInstance", {
		hr = create(&CLRSOS_IID_IXCLRDataProcess, &dt->target_vtbl, &dac->process);
		if (hr >= 0 && dac->process) {
			dac->sos = clrsos_com_query(dac->process, &CLRSOS_IID_ISOSDacInterface);
			dac->sos8 = clrsos_com_query(dac->process, &CLRSOS_IID_ISOSDacInterface8);
			dac->sos12 = clrsos_com_query(dac->process, &CLRSOS_IID_ISOSDacInterface12);
			dac->sos14 = clrsos_com_query(dac->process, &CLRSOS_IID_ISOSDacInterface14);
			dac->sos15 = clrsos_com_query(dac->process, &CLRSOS_IID_ISOSDacInterface15);
			dac->sos16 = clrsos_com_query(dac->process, &CLRSOS_IID_ISOSDacInterface16);
		}
	});
	if (dac->crashed) {
		err = clrsos_dac_crash_error(dac, "CLRDataCreateInstance");
		goto fail;
	}
	if ((hr < 0 || !dac->process) && dt->faulted) {
		err = clrsos_error_fault(dt->fault,
					 "%s could not open the runtime in this target: memory at 0x%llx is not in the target (not saved in the core?)",
					 dac->path, (unsigned long long)dt->fault);
		goto fail;
	}
	if (hr < 0 || !dac->process) {
		err = clrsos_error_create(CLRSOS_ERROR_DAC,
					  "%s could not open the runtime in this target (HRESULT 0x%08x)%s",
					  dac->path, (uint32_t)hr,
					  (uint32_t)hr == 0x80131c4f
						  ? ": the DAC does not match the runtime"
					  : (uint32_t)hr == 0x80131c4e
						  ? ": the runtime has not started yet (stopped before its initialisation?)"
						  : "");
		goto fail;
	}
	if (!dac->sos) {
		err = clrsos_error_create(CLRSOS_ERROR_DAC,
					  "%s has no ISOSDacInterface", dac->path);
		goto fail;
	}
	free(dir);
	*ret = dac;
	return NULL;
fail:
	free(dir);
	clrsos_dac_destroy(dac);
	return err;
}

struct clrsos_error *clrsos_dac_from_instance(struct clrsos_target *target,
					      void *process, const char *path,
					      struct clrsos_dac **ret)
{
	struct clrsos_dac *dac = calloc(1, sizeof(*dac));
	struct data_target *dt = calloc(1, sizeof(*dt));
	if (!dac || !dt) {
		free(dac);
		free(dt);
		return &clrsos_error_no_memory;
	}
	dt->target_vtbl = data_target_vtbl;
	dt->runtime_locator_vtbl = runtime_locator_vtbl;
	dt->metadata_locator_vtbl = metadata_locator_vtbl;
	dt->refs = 1;
	dt->target = target;
	dac->data_target = dt;
	dac->path = strdup(path);
	dac->runtime_path = strdup(path);
	dac->process = process;
	dac->sos = clrsos_com_query(process, &CLRSOS_IID_ISOSDacInterface);
	dac->sos8 = clrsos_com_query(process, &CLRSOS_IID_ISOSDacInterface8);
	dac->sos12 = clrsos_com_query(process, &CLRSOS_IID_ISOSDacInterface12);
	dac->sos14 = clrsos_com_query(process, &CLRSOS_IID_ISOSDacInterface14);
	dac->sos15 = clrsos_com_query(process, &CLRSOS_IID_ISOSDacInterface15);
	dac->sos16 = clrsos_com_query(process, &CLRSOS_IID_ISOSDacInterface16);
	if (!dac->sos || !dac->path || !dac->runtime_path) {
		dac->process = NULL;
		clrsos_dac_destroy(dac);
		return clrsos_error_create(CLRSOS_ERROR_DAC, "%s has no ISOSDacInterface", path);
	}
	*ret = dac;
	return NULL;
}

void clrsos_dac_destroy(struct clrsos_dac *dac)
{
	if (!dac)
		return;
	/* A DAC that crashed is abandoned, not released: its state may be
	 * half-changed, and our data target stays for the references it holds. */
	DAC_GUARD("CLRSOS_SLOT_RELEASE", {
		clrsos_com_release(dac->sos16);
		clrsos_com_release(dac->sos15);
		clrsos_com_release(dac->sos14);
		clrsos_com_release(dac->sos12);
		clrsos_com_release(dac->sos8);
		clrsos_com_release(dac->sos);
		clrsos_com_release(dac->process);
		if (dac->data_target)
			dt_release(dac->data_target);
	});
	free(dac->path);
	free(dac->runtime_path);
	free(dac);
}

const char *clrsos_dac_path(const struct clrsos_dac *dac)
{
	return dac->path;
}
const char *clrsos_dac_runtime_path(const struct clrsos_dac *dac)
{
	return dac->runtime_path;
}
uint64_t clrsos_dac_runtime_base(const struct clrsos_dac *dac)
{
	return dac->runtime_base;
}
const char *clrsos_dac_build_id(const struct clrsos_dac *dac)
{
	return dac->build_id;
}

void clrsos_dac_flush(struct clrsos_dac *dac)
{
	typedef clrsos_hresult (*fn)(void *);
	DAC_GUARD("CLRSOS_SLOT_XCLRDATAPROCESS_FLUSH",
		  CLRSOS_COM_SLOT(dac->process, CLRSOS_SLOT_XCLRDATAPROCESS_FLUSH, fn)(dac->process));
}

bool clrsos_dac_crashed(const struct clrsos_dac *dac)
{
	return dac->crashed;
}

struct clrsos_error *clrsos_dac_crash_error(struct clrsos_dac *dac, const char *what)
{
	dac->crash_reported = true;
	char during[128] = "";
	if (what && strcmp(what, dac->crash_call) != 0)
		snprintf(during, sizeof(during), " (in %s)", dac->crash_call);
	return clrsos_error_create(CLRSOS_ERROR_DAC,
				   "the runtime's DAC crashed answering %s%s: %s; clrsos caught it and lldb goes on%s (the target may be in a state the DAC cannot read, e.g. a thread inside the runtime's crash handling)",
				   what ? what : dac->crash_call, during, dac->crash_how,
				   dac->crash_recovered
					   ? ", with a new DAC instance from the next command"
					   : ", but this DAC cannot be used again in this lldb process: restart lldb");
}

struct clrsos_error *clrsos_dac_take_crash(struct clrsos_dac *dac)
{
	if (!dac || !dac->crashed || dac->crash_reported)
		return NULL;
	struct clrsos_error *err = clrsos_dac_crash_error(dac, NULL);
	return clrsos_error_wrap(err, "this command's answer is incomplete");
}

static struct clrsos_error *call_failed(struct clrsos_dac *dac, const char *what,
					clrsos_hresult hr)
{
	if (dac->crashed)
		return clrsos_dac_crash_error(dac, what);
	if (dac->data_target->faulted)
		return clrsos_error_fault(dac->data_target->fault,
					  "the DAC could not answer %s: memory at 0x%llx is not in the target (not saved in the core?)",
					  what, (unsigned long long)dac->data_target->fault);
	return clrsos_error_create(CLRSOS_ERROR_DAC,
				   "the DAC could not answer %s (HRESULT 0x%08x)",
				   what, (uint32_t)hr);
}

struct clrsos_error *clrsos_dac_gc_heap_data(struct clrsos_dac *dac,
					     struct clrsos_dacp_gc_heap_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, struct clrsos_dacp_gc_heap_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_GC_HEAP_DATA, fn, ret);
	return hr < 0 ? call_failed(dac, "GetGCHeapData", hr) : NULL;
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
		return call_failed(dac, "GetGCHeapList", hr);
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
		return hr < 0 ? call_failed(dac, "GetGCHeapStaticData", hr) : NULL;
	}
	typedef clrsos_hresult (*fn2)(void *, uint64_t, struct clrsos_dacp_gc_heap_details *);
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_GC_HEAP_DETAILS, fn2, heap, ret);
	return hr < 0 ? call_failed(dac, "GetGCHeapDetails", hr) : NULL;
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
		return call_failed(dac, what, hr);
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
		return call_failed(dac, "GetGenerationTable", hr);
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
	return hr < 0 ? call_failed(dac, "GetUsefulGlobals", hr) : NULL;
}

struct clrsos_error *
clrsos_dac_thread_store(struct clrsos_dac *dac,
			struct clrsos_dacp_thread_store_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, struct clrsos_dacp_thread_store_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_THREAD_STORE_DATA, fn, ret);
	return hr < 0 ? call_failed(dac, "GetThreadStoreData", hr) : NULL;
}

struct clrsos_error *clrsos_dac_thread_data(struct clrsos_dac *dac,
					    uint64_t thread,
					    struct clrsos_dacp_thread_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_thread_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_THREAD_DATA, fn, thread, ret);
	return hr < 0 ? call_failed(dac, "GetThreadData", hr) : NULL;
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
	return NULL;
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
	if (hr < 0)
		*ret_ptr = *ret_limit = 0;
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

/* n UTF-16 units as UTF-8, malloc'd. */
static char *utf16_to_utf8(const uint16_t *s, size_t n)
{
	/* Each unit takes at most 3 bytes; the encoder wants room for 4 and the NUL. */
	char *out = malloc(n * 3 + 5);
	if (out)
		clrsos_utf16_to_utf8(s, n, out, n * 3 + 5);
	return out;
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
		return call_failed(dac, what, hr);
	uint16_t *buf = calloc(needed + 1, sizeof(*buf));
	if (!buf)
		return &clrsos_error_no_memory;
	DAC_CALL(hr, dac->sos, slot, fn, address, needed, buf, &needed);
	if (hr < 0) {
		free(buf);
		return call_failed(dac, what, hr);
	}
	*ret = utf16_to_utf8(buf, needed);
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
	size_t cap = BATCH, n = 0;
	char *items = malloc(cap * item_size);
	if (!items)
		return &clrsos_error_no_memory;
	for (;;) {
		if (cap - n < BATCH) {
			char *grown = realloc(items, cap * 2 * item_size);
			if (!grown) {
				free(items);
				return &clrsos_error_no_memory;
			}
			items = grown;
			cap *= 2;
		}
		uint32_t fetched = 0;
		clrsos_hresult hr;
		DAC_CALL(hr, e, CLRSOS_SLOT_SOS_ENUM_NEXT, next_fn, BATCH,
			 items + n * item_size, &fetched);
		if (hr < 0) {
			free(items);
			return call_failed(dac, what, hr);
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
		return call_failed(dac, "GetHandleEnum", hr);
	void *items;
	struct clrsos_error *err = drain_enum(dac, e, sizeof(**ret), "the handle table",
					      &items, ret_count);
	DAC_GUARD("CLRSOS_SLOT_RELEASE", clrsos_com_release(e));
	if (!err)
		*ret = items;
	return err;
}

struct clrsos_error *clrsos_dac_stack_refs(struct clrsos_dac *dac,
					   uint32_t os_thread_id,
					   struct clrsos_sos_stack_ref **ret,
					   size_t *ret_count)
{
	typedef clrsos_hresult (*fn)(void *, uint32_t, void **);
	void *e = NULL;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_STACK_REFERENCES, fn, os_thread_id, &e);
	if (hr < 0 || !e) {
		char what[64];
		snprintf(what, sizeof(what), "the stack references of thread %u", os_thread_id);
		return call_failed(dac, what, hr);
	}
	void *items;
	struct clrsos_error *err = drain_enum(dac, e, sizeof(**ret), "a thread's stack references",
					      &items, ret_count);
	DAC_GUARD("CLRSOS_SLOT_RELEASE", clrsos_com_release(e));
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
		return call_failed(dac, "GetAppDomainStoreData", hr);
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

void clrsos_dac_pe_file_base(struct clrsos_dac *dac, uint64_t module, uint64_t *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	clrsos_hresult hr;
	*ret = 0;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_PE_FILE_BASE, fn, module, ret);
	if (hr < 0)
		*ret = 0;
}

/* GetModuleData; true on failure (no error object: failing is expected). */
bool clrsos_dac_module_data_quiet(struct clrsos_dac *dac, uint64_t module,
				  struct clrsos_dacp_module_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_module_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_MODULE_DATA, fn, module, ret);
	return hr < 0;
}

static char *pe_file_name(struct clrsos_dac *dac, uint64_t pe)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint32_t, uint16_t *, uint32_t *);
	uint16_t buf[4096];
	uint32_t needed = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_PE_FILE_NAME, fn, pe, 4096, buf, &needed);
	if (hr < 0 || needed == 0 || needed > 4096 || !buf[0])
		return NULL;
	return utf16_to_utf8(buf, needed);
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
				if (n == cap) {
					size_t c = cap ? cap * 2 : 64;
					struct clrsos_managed_module *g = realloc(mods, c * sizeof(*g));
					if (!g) {
						err = &clrsos_error_no_memory;
						break;
					}
					mods = g;
					cap = c;
				}
				/* Base and file come from the runtime's own records; the
				 * module data also reads the image, which a core may lack. */
				struct clrsos_managed_module *mm = &mods[n++];
				memset(mm, 0, sizeof(*mm));
				mm->address = modules[m];
				clrsos_dac_pe_file_base(dac, modules[m], &mm->il_base);
				struct clrsos_dacp_module_data md;
				if (!clrsos_dac_module_data_quiet(dac, modules[m], &md)) {
					mm->have_data = true;
					mm->metadata_start = md.metadata_start;
					mm->metadata_size = md.metadata_size;
					mm->is_reflection = md.is_reflection != 0;
					if (!mm->il_base)
						mm->il_base = md.il_base;
				}
				mm->path = mm->is_reflection ? NULL : pe_file_name(dac, modules[m]);
			}
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
	if (hr < 0)
		*ret = 0;
	return NULL;
}

struct clrsos_error *clrsos_dac_object_data(struct clrsos_dac *dac, uint64_t object,
					    struct clrsos_dacp_object_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_object_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_OBJECT_DATA, fn, object, ret);
	return hr < 0 ? call_failed(dac, "GetObjectData", hr) : NULL;
}

struct clrsos_error *
clrsos_dac_method_table_field_data(struct clrsos_dac *dac, uint64_t mt,
				   struct clrsos_dacp_method_table_field_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_method_table_field_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_TABLE_FIELD_DATA, fn, mt, ret);
	return hr < 0 ? call_failed(dac, "GetMethodTableFieldData", hr) : NULL;
}

struct clrsos_error *clrsos_dac_field_desc_data(struct clrsos_dac *dac, uint64_t field,
						struct clrsos_dacp_field_desc_data *ret)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, struct clrsos_dacp_field_desc_data *);
	clrsos_hresult hr;
	memset(ret, 0, sizeof(*ret));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_FIELD_DESC_DATA, fn, field, ret);
	return hr < 0 ? call_failed(dac, "GetFieldDescData", hr) : NULL;
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
		return hr < 0 ? call_failed(dac, "GetStaticBaseAddress", hr) : NULL;
	}
	typedef clrsos_hresult (*fn2)(void *, uint64_t, struct clrsos_dacp_domain_local_module_data *);
	struct clrsos_dacp_domain_local_module_data d;
	memset(&d, 0, sizeof(d));
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_DOMAIN_LOCAL_MODULE_DATA_FROM_MODULE, fn2,
		 module, &d);
	if (hr < 0)
		return call_failed(dac, "GetDomainLocalModuleDataFromModule", hr);
	*ret_non_gc = d.non_gc_static_data_start;
	*ret_gc = d.gc_static_data_start;
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
	if (hr < 0)
		*ret_non_gc = *ret_gc = 0;
	return NULL;
}

char *clrsos_dac_module_file(struct clrsos_dac *dac, uint64_t module)
{
	char *name = pe_file_name(dac, module);
	if (name)
		return name;
	struct clrsos_dacp_module_data md;
	if (clrsos_dac_module_data_quiet(dac, module, &md) || !md.pe_assembly)
		return NULL;
	return pe_file_name(dac, md.pe_assembly);
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
		return call_failed(dac, "GetMethodTableSlot", hr);
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
		return call_failed(dac, "GetMethodTableSlotEnumerator", hr);
	void *items;
	struct clrsos_error *err = drain_enum(dac, e, sizeof(**ret), "a type's methods", &items, ret_count);
	DAC_GUARD("CLRSOS_SLOT_RELEASE", clrsos_com_release(e));
	if (!err)
		*ret = items;
	return err;
}

uint64_t clrsos_dac_method_desc_from_ip(struct clrsos_dac *dac, uint64_t ip)
{
	typedef clrsos_hresult (*fn)(void *, uint64_t, uint64_t *);
	uint64_t md = 0;
	clrsos_hresult hr;
	DAC_CALL(hr, dac->sos, CLRSOS_SLOT_SOS_GET_METHOD_DESC_PTR_FROM_IP, fn, ip, &md);
	return hr < 0 ? 0 : md;
}

enum {
	SIMPFRAME_ALL = 0xf,          /* unrecognized, managed, runtime managed/unmanaged */
	CONTEXT_AMD64_FULL = 0x10000b,/* control, integer, floating point */
	CONTEXT_AMD64_SIZE = 0x4d0,
	CONTEXT_RSP = 0x98,
	CONTEXT_RIP = 0xf8,
	REQUEST_FRAME_DATA = (int32_t)0xf0000000, /* DACSTACKPRIV_REQUEST_FRAME_DATA */
	MAX_FRAMES = 1 << 16,
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
			v[i].name = utf16_to_utf8(name, len < 256 ? len : 256);
		read_value(value, &v[i]);
		clrsos_com_release(value);
	}
	*ret = v;
	*ret_count = n;
	return true;
}

struct clrsos_error *clrsos_dac_stack_walk(struct clrsos_dac *dac, uint32_t os_thread_id,
					   struct clrsos_stack_frame **ret, size_t *ret_count)
{
	return clrsos_dac_stack_walk_vars(dac, os_thread_id, false, ret, ret_count);
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
	return hr < 0 ? NULL : utf16_to_utf8(buf, needed < 256 ? needed : 256);
}

struct clrsos_error *clrsos_dac_stack_walk_vars(struct clrsos_dac *dac, uint32_t os_thread_id, bool vars,
						struct clrsos_stack_frame **ret, size_t *ret_count)
{
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
		err = call_failed(dac, "CreateStackWalk", hr);
		goto out;
	}
	size_t cap = 0;
	for (size_t n = 0; n < MAX_FRAMES; n++) {
		uint8_t ctx[CONTEXT_AMD64_SIZE];
		uint32_t size = 0;
		memset(ctx, 0, sizeof(ctx));
		DAC_CALL(hr, walk, CLRSOS_SLOT_XCLRDATASTACKWALK_GET_CONTEXT, ctx_fn, CONTEXT_AMD64_FULL,
			 sizeof(ctx), &size, ctx);
		if (hr < 0)
			break;
		if (*ret_count == cap) {
			size_t c = cap ? cap * 2 : 32;
			struct clrsos_stack_frame *g = realloc(*ret, c * sizeof(*g));
			if (!g) {
				err = &clrsos_error_no_memory;
				break;
			}
			*ret = g;
			cap = c;
		}
		struct clrsos_stack_frame *f = &(*ret)[*ret_count];
		memset(f, 0, sizeof(*f));
		memcpy(&f->sp, ctx + CONTEXT_RSP, 8);
		memcpy(&f->ip, ctx + CONTEXT_RIP, 8);
		if (!f->ip)
			break; /* no context: a thread with no managed frames */
		(*ret_count)++;
		uint64_t frame = 0;
		DAC_CALL(hr, walk, CLRSOS_SLOT_XCLRDATASTACKWALK_REQUEST, req_fn, REQUEST_FRAME_DATA, 0,
			 NULL, sizeof(frame), (uint8_t *)&frame);
		f->frame = hr >= 0 ? frame : 0;
		if (f->frame) {
			f->name = frame_name(dac, f->frame);
		} else {
			bool code;
			f->method_desc = clrsos_dac_method_desc_from_ip(dac, f->ip);
			if (f->method_desc) {
				struct clrsos_error *e = clrsos_dac_method_desc(dac, f->method_desc, &f->name, &code);
				clrsos_error_destroy(e);
			}
			if (vars) {
				typedef clrsos_hresult (*frame_fn)(void *, void **);
				void *xframe = NULL;
				DAC_CALL(hr, walk, CLRSOS_SLOT_XCLRDATASTACKWALK_GET_FRAME, frame_fn, &xframe);
				f->args_failed = f->locals_failed = true;
				DAC_GUARD("CLRSOS_SLOT_XCLRDATAFRAME_GET_ARGUMENTS", {
					f->args_failed = hr < 0 || !xframe || !frame_vars(xframe, true, &f->args, &f->nargs);
					f->locals_failed = hr < 0 || !xframe || !frame_vars(xframe, false, &f->locals, &f->nlocals);
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
	return hr < 0 ? call_failed(dac, "TraverseModuleMap", hr) : NULL;
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
		return call_failed(dac, "GetModule", hr);
	struct clrsos_error *err = NULL;
	pthread_mutex_lock(&dac_lock);
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
	pthread_mutex_unlock(&dac_lock);
	if (!err && !*ret_bytes)
		err = clrsos_error_create(CLRSOS_ERROR_DAC,
					  "the DAC has no metadata for module 0x%llx (HRESULT 0x%08x)",
					  (unsigned long long)module, (uint32_t)hr);
	return err;
}
