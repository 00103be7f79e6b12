/*
 * A DAC instance: opening it (the library chosen and loaded by
 * loadpolicy.c, our data target from datatarget.c), closing it, and what
 * happens when a call faults inside it.
 */
#include "dac/dac.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/syscall.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dac/dac_internal.h"
#include "dac/loadpolicy.h"

pthread_mutex_t clrsos_dac_lock = PTHREAD_MUTEX_INITIALIZER;

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
void clrsos_dac_note_crash(struct clrsos_dac *dac, const struct clrsos_guard *g, const char *call)
{
	if (dac->crashed)
		return;
	dac->crashed = true;
	call_name(call, dac->crash_call, sizeof(dac->crash_call));
	clrsos_guard_describe(g, dac->crash_how, sizeof(dac->crash_how));
	/* core/dac/loadpolicy.c loads the DAC through /proc/self/fd: name it. */
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

typedef clrsos_hresult (*create_instance_fn)(const struct clrsos_guid *iid,
					     void *target, void **ret);
/* The interfaces clrsos calls, asked of the process once (NULL: one this DAC lacks). */
static void query_interfaces(struct clrsos_dac *dac)
{
	void *p = dac->process;
	dac->sos = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface);
	dac->sos3 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface3);
	dac->sos5 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface5);
	dac->sos6 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface6);
	dac->sos7 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface7);
	dac->sos8 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface8);
	dac->sos12 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface12);
	dac->sos13 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface13);
	dac->sos14 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface14);
	dac->sos15 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface15);
	dac->sos16 = clrsos_com_query(p, &CLRSOS_IID_ISOSDacInterface16);
}

struct clrsos_error *clrsos_dac_create(struct clrsos_target *target,
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

	if (!dac->runtime_path) {
		clrsos_dac_destroy(dac);
		return &clrsos_error_no_memory;
	}
	/* A directory the user chose replaces the runtime's own: never fall back silently. */
	struct clrsos_loadpolicy_dir where = {0};
	err = clrsos_loadpolicy_choose_dir(options ? options->user_dir : NULL,
					   options ? options->env_dir : NULL, dac->runtime_path, &where);
	if (err)
		goto fail;
	void *lib = NULL;
	err = clrsos_loadpolicy_load(where.dir, where.user_named, dac->build_id, &lib, &dac->path);
	if (err && !clrsos_error_is_no_memory(err)) {
		struct clrsos_error *why = err;
		err = clrsos_error_create(CLRSOS_ERROR_DAC,
					  "no usable DAC for this runtime (from %s): %s; use setclrpath <directory of the runtime build %s>",
					  where.source, why->message, dac->build_id);
		clrsos_error_destroy(why);
	}
	if (err)
		goto fail;
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
	struct clrsos_data_target *dt = clrsos_data_target_create(target, clr->base);
	if (!dt) {
		err = &clrsos_error_no_memory;
		goto fail;
	}
	dac->data_target = dt;
	volatile clrsos_hresult hr = DAC_CRASHED_HR;
	DAC_GUARD("CLRDataCreateInstance", {
		hr = create(&CLRSOS_IID_IXCLRDataProcess, &dt->target_vtbl, &dac->process);
		if (hr >= 0 && dac->process) {
			query_interfaces(dac);
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
	free(where.dir);
	*ret = dac;
	return NULL;
fail:
	free(where.dir);
	clrsos_dac_destroy(dac);
	return err;
}

struct clrsos_error *clrsos_dac_from_instance(struct clrsos_target *target,
					      void *process, const char *path,
					      struct clrsos_dac **ret)
{
	struct clrsos_dac *dac = calloc(1, sizeof(*dac));
	struct clrsos_data_target *dt = clrsos_data_target_create(target, 0);
	if (!dac || !dt) {
		free(dac);
		free(dt);
		return &clrsos_error_no_memory;
	}
	dac->data_target = dt;
	dac->path = strdup(path);
	dac->runtime_path = strdup(path);
	dac->process = process;
	query_interfaces(dac);
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
		clrsos_com_release(dac->sos13);
		clrsos_com_release(dac->sos12);
		clrsos_com_release(dac->sos8);
		clrsos_com_release(dac->sos7);
		clrsos_com_release(dac->sos6);
		clrsos_com_release(dac->sos5);
		clrsos_com_release(dac->sos3);
		clrsos_com_release(dac->sos);
		clrsos_com_release(dac->process);
		if (dac->data_target)
			clrsos_data_target_release(dac->data_target);
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

/* The crash as an error (dac_crash set). */
static struct clrsos_error *crash_error(struct clrsos_dac *dac, const char *what)
{
	char during[128] = "";
	if (what && strcmp(what, dac->crash_call) != 0)
		snprintf(during, sizeof(during), " (in %s)", dac->crash_call);
	struct clrsos_error *err = clrsos_error_create(CLRSOS_ERROR_DAC,
				   "the runtime's DAC crashed answering %s%s: %s; clrsos caught it and lldb goes on%s (the target may be in a state the DAC cannot read, e.g. a thread inside the runtime's crash handling)",
				   what ? what : dac->crash_call, during, dac->crash_how,
				   dac->crash_recovered
					   ? ", with a new DAC instance from the next command"
					   : ", but this DAC cannot be used again in this lldb process: restart lldb");
	if (!clrsos_error_is_no_memory(err))
		err->dac_crash = true;
	return err;
}

struct clrsos_error *clrsos_dac_crash_error(struct clrsos_dac *dac, const char *what)
{
	return crash_error(dac, what);
}

struct clrsos_error *clrsos_dac_crash_if_any(struct clrsos_dac *dac)
{
	return dac && dac->crashed ? crash_error(dac, NULL) : NULL;
}

struct clrsos_error *clrsos_dac_take_crash(struct clrsos_dac *dac, const struct clrsos_error *shown)
{
	if (!dac || !dac->crashed || dac->crash_reported)
		return NULL;
	dac->crash_reported = true;
	if (shown && shown->dac_crash)
		return NULL;
	struct clrsos_error *err = crash_error(dac, NULL);
	if (!shown)
		return clrsos_error_wrap(err, "this command's answer is incomplete");
	/* The command failed otherwise, perhaps because of the crash: both, in one line. */
	return clrsos_error_wrap(err, "this command failed (%s) and its answer may be wrong",
				 shown->message);
}

struct clrsos_error *clrsos_dac_call_failed(struct clrsos_dac *dac, const char *what,
					    clrsos_hresult hr)
{
	if (dac->crashed)
		return crash_error(dac, what);
	if (dac->data_target->faulted)
		return clrsos_error_fault(dac->data_target->fault,
					  "the DAC could not answer %s: memory at 0x%llx is not in the target (not saved in the core?)",
					  what, (unsigned long long)dac->data_target->fault);
	return clrsos_error_create(CLRSOS_ERROR_DAC,
				   "the DAC could not answer %s (HRESULT 0x%08x)",
				   what, (uint32_t)hr);
}
