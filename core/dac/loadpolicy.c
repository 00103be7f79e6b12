/*
 * The DAC's load policy (loadpolicy.h): the rules as pure functions, the
 * file checks on descriptors, and the load of the file that was checked.
 */
#include "dac/loadpolicy.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target/elfimage.h"
#include "target/target.h"

static struct clrsos_error *refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A refusal: a CLRSOS_ERROR_DAC error (the caller says what was refused). */
static struct clrsos_error *refuse(const char *fmt, ...)
{
	char buf[2 * PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return clrsos_error_create(CLRSOS_ERROR_DAC, "%s", buf);
}

struct clrsos_error *clrsos_loadpolicy_choose_dir(const char *user_dir, const char *env_dir,
						  const char *runtime_path,
						  struct clrsos_loadpolicy_dir *ret)
{
	ret->user_named = user_dir && user_dir[0];
	if (ret->user_named) {
		ret->dir = strdup(user_dir);
		ret->source = "setclrpath";
	} else if (env_dir && env_dir[0]) {
		ret->dir = strdup(env_dir);
		ret->source = "the runtime-dir setting (CLRSOS_RUNTIME_DIR)";
	} else {
		const char *path = runtime_path ? runtime_path : "";
		const char *slash = strrchr(path, '/');
		ret->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
		ret->source = "the runtime's directory";
	}
	return ret->dir ? NULL : &clrsos_error_no_memory;
}

const char *clrsos_loadpolicy_untrusted(uid_t owner, mode_t mode, bool ancestor, uid_t uid)
{
	if (owner != 0 && owner != uid)
		return "is owned by another user";
	if (mode & (S_IWGRP | S_IWOTH)) {
		/* Others may add to a sticky directory but not rename or
		 * delete what is ours in it (/tmp): fine above the runtime. */
		if (ancestor && S_ISDIR(mode) && (mode & S_ISVTX))
			return NULL;
		return "is writable by other users";
	}
	return NULL;
}

/*
 * Open the directory at the absolute, resolved path rdir one component at
 * a time without following symlinks; with check, every directory on the
 * way must be trusted to supply loading. A descriptor (O_PATH) in *ret_fd.
 */
static struct clrsos_error *open_dir_checked(const char *rdir, bool check, const char *loading,
					     int *ret_fd)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return refuse("cannot open /: %s", strerror(errno));
	char prefix[PATH_MAX] = "";
	const char *p = rdir;
	for (;;) {
		struct stat st;
		bool last = *p == '\0' || strcmp(p, "/") == 0;
		if (check && fstat(fd, &st) == 0) {
			const char *reason = clrsos_loadpolicy_untrusted(st.st_uid, st.st_mode, !last,
									 getuid());
			if (reason) {
				close(fd);
				return refuse("refused %s: %s %s (name the directory with setclrpath to trust it)",
					      loading, prefix[0] ? prefix : "/", reason);
			}
		}
		while (*p == '/')
			p++;
		if (!*p) {
			*ret_fd = fd;
			return NULL;
		}
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[NAME_MAX + 1];
		if (len > NAME_MAX || strlen(prefix) + len + 2 > sizeof(prefix)) {
			close(fd);
			return refuse("%s: path too long", rdir);
		}
		memcpy(name, p, len);
		name[len] = '\0';
		strcat(prefix, "/");
		strcat(prefix, name);
		int next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return refuse("%s: %s", prefix,
				      errno == ENOENT ? "not found" : errno == ELOOP ? "changed while being checked" : strerror(errno));
		fd = next;
		p += len;
	}
}

struct clrsos_error *clrsos_loadpolicy_open(const char *path, bool check, int *ret_fd)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return refuse("%s %s", path, errno == ENOENT ? "not found" : strerror(errno));
	char *slash = strrchr(real, '/');
	char base[NAME_MAX + 1];
	snprintf(base, sizeof(base), "%s", slash + 1);
	if (slash == real)
		slash[1] = '\0';
	else
		*slash = '\0';
	int dirfd = -1;
	struct clrsos_error *err = open_dir_checked(real, check, path, &dirfd);
	if (err)
		return err;
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dirfd);
	if (fd < 0)
		return refuse("cannot open %s: %s", path, strerror(errno));
	struct stat st;
	const char *reason = NULL;
	if (fstat(fd, &st) != 0)
		reason = "cannot be examined";
	else if (!S_ISREG(st.st_mode))
		reason = "is not a regular file";
	else if (check && (reason = clrsos_loadpolicy_untrusted(st.st_uid, st.st_mode, false,
								getuid())) != NULL) {
		close(fd);
		return refuse("refused %s: it %s (name the directory with setclrpath to trust it)",
			      path, reason);
	}
	if (reason) {
		close(fd);
		return refuse("%s %s", path, reason);
	}
	*ret_fd = fd;
	return NULL;
}

static bool read_fd(void *ctx, uint64_t pos, void *buf, size_t size)
{
	int fd = *(int *)ctx;
	size_t done = 0;
	while (done < size) {
		ssize_t n = pread(fd, (char *)buf + done, size - done, (off_t)(pos + done));
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

enum { VERSION_MAX = 160 };

void clrsos_loadpolicy_build_version(const char *bytes, size_t len, char *buf, size_t size)
{
	buf[0] = '\0';
	static const char tag[] = "@(#)Version ";
	const char *hit = memmem(bytes, len, tag, sizeof(tag) - 1);
	if (!hit)
		return;
	size_t n = 0;
	const char *end = bytes + len;
	while (hit + n < end && hit[n] && n + 1 < size && n < VERSION_MAX)
		n++;
	memcpy(buf, hit, n);
	buf[n] = '\0';
}

/* The build's version string in the file open at fd, or "". */
static void file_build_version(int fd, char *buf, size_t size)
{
	buf[0] = '\0';
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0)
		return;
	size_t len = (size_t)st.st_size;
	const char *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return;
	clrsos_loadpolicy_build_version(map, len, buf, size);
	munmap((void *)map, len);
}

struct clrsos_error *clrsos_loadpolicy_match(const char *clr_path, const char *dac_path,
					     const uint8_t *have_id, size_t have_len,
					     const char *want_id, const char *clr_version,
					     const char *dac_version)
{
	char have_hex[2 * CLRSOS_BUILD_ID_MAX + 1];
	clrsos_build_id_hex(have_id, have_len, have_hex);
	if (strcmp(have_hex, want_id) != 0)
		return refuse("%s has build-id %s but the target's has %s (another runtime build)",
			      clr_path, have_len ? have_hex : "(none)", want_id);
	if (clr_version[0] && dac_version[0] && strcmp(clr_version, dac_version) != 0)
		return refuse("%s is of another runtime build than %s (\"%s\", the runtime \"%s\"): the directory mixes two builds; copy the DAC of the runtime's own build there",
			      dac_path, clr_path, dac_version + 4, clr_version + 4);
	return NULL;
}

struct clrsos_error *clrsos_loadpolicy_check(const char *dir, bool user_named,
					     const char *want_id, int *ret_fd, char **ret_path)
{
	char dac_path[PATH_MAX], clr_path[PATH_MAX];
	snprintf(dac_path, sizeof(dac_path), "%s/libmscordaccore.so", dir);
	snprintf(clr_path, sizeof(clr_path), "%s/libcoreclr.so", dir);
	int dac_fd = -1, clr_fd = -1;
	struct clrsos_error *err = clrsos_loadpolicy_open(dac_path, !user_named, &dac_fd);
	if (err)
		goto out;
	err = clrsos_loadpolicy_open(clr_path, false, &clr_fd);
	if (err)
		goto out;
	struct clrsos_elf_info info;
	err = clrsos_elf_parse(read_fd, &clr_fd, false, &info);
	if (err && !clrsos_error_is_no_memory(err)) {
		struct clrsos_error *why = refuse("cannot check %s (%s)", clr_path, err->message);
		clrsos_error_destroy(err);
		err = why;
	}
	if (err)
		goto out;
	char clr_version[VERSION_MAX + 1], dac_version[VERSION_MAX + 1];
	file_build_version(clr_fd, clr_version, sizeof(clr_version));
	file_build_version(dac_fd, dac_version, sizeof(dac_version));
	err = clrsos_loadpolicy_match(clr_path, dac_path, info.build_id, info.build_id_len, want_id,
				      clr_version, dac_version);
	if (err)
		goto out;
	*ret_path = strdup(dac_path);
	if (!*ret_path) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	*ret_fd = dac_fd;
	dac_fd = -1;
out:
	if (dac_fd >= 0)
		close(dac_fd);
	if (clr_fd >= 0)
		close(clr_fd);
	return err;
}

typedef int (*pal_init_fn)(void);
typedef int (*dll_main_fn)(void *instance, uint32_t reason, void *reserved);

struct clrsos_error *clrsos_loadpolicy_load(const char *dir, bool user_named, const char *want_id,
					    void **ret_lib, char **ret_path)
{
	int fd;
	char *path;
	struct clrsos_error *err = clrsos_loadpolicy_check(dir, user_named, want_id, &fd, &path);
	if (err)
		return err;
	/* Load the very file that was checked. */
	char fd_path[64];
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	void *lib = dlopen(fd_path, RTLD_LAZY | RTLD_LOCAL);
	close(fd);
	if (!lib) {
		err = refuse("cannot load %s: %s", path, dlerror());
		free(path);
		return err;
	}
	/* Initialise the DAC's PAL once; a second call is a no-op. */
	pal_init_fn pal_init = (pal_init_fn)dlsym(lib, "DAC_PAL_InitializeDLL");
	if (pal_init) {
		if (pal_init() != 0) {
			err = refuse("%s: its PAL failed to initialise", path);
			free(path);
			return err;
		}
	} else {
		dll_main_fn dll_main = (dll_main_fn)dlsym(lib, "DllMain");
		if (dll_main)
			dll_main(lib, 1 /* DLL_PROCESS_ATTACH */, NULL);
	}
	*ret_lib = lib;
	*ret_path = path;
	return NULL;
}
