#include "dac/daclib.h"

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

static void say(char *why, size_t why_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_size, const char *fmt, ...)
{
	size_t used = strlen(why);
	if (used + 1 >= why_size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why + used, why_size - used, fmt, ap);
	va_end(ap);
}

/* Why a file or directory may not supply code to the debugger, or NULL. */
static const char *untrusted(const struct stat *st, bool ancestor)
{
	if (st->st_uid != 0 && st->st_uid != getuid())
		return "is owned by another user";
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		/* Others may add to a sticky directory but not rename or
		 * delete what is ours in it (/tmp): fine above the runtime. */
		if (ancestor && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
			return NULL;
		return "is writable by other users";
	}
	return NULL;
}

/*
 * Open the directory at the absolute, resolved path rdir one component at
 * a time without following symlinks; with check, every directory on the
 * way must be trusted to supply loading. Returns a descriptor (O_PATH) or
 * -1 with why said.
 */
static int open_dir_checked(const char *rdir, bool check, const char *loading, char *why,
			    size_t why_size)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		say(why, why_size, "cannot open /: %s", strerror(errno));
		return -1;
	}
	char prefix[PATH_MAX] = "";
	const char *p = rdir;
	for (;;) {
		struct stat st;
		bool last = *p == '\0' || strcmp(p, "/") == 0;
		if (check && fstat(fd, &st) == 0) {
			const char *reason = untrusted(&st, !last);
			if (reason) {
				say(why, why_size,
				    "refused %s: %s %s (name the directory with setclrpath to trust it)",
				    loading, prefix[0] ? prefix : "/", reason);
				close(fd);
				return -1;
			}
		}
		while (*p == '/')
			p++;
		if (!*p)
			return fd;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[NAME_MAX + 1];
		if (len > NAME_MAX || strlen(prefix) + len + 2 > sizeof(prefix)) {
			say(why, why_size, "%s: path too long", rdir);
			close(fd);
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		strcat(prefix, "/");
		strcat(prefix, name);
		int next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0) {
			say(why, why_size, "%s: %s", prefix,
			    errno == ENOENT ? "not found" : errno == ELOOP ? "changed while being checked" : strerror(errno));
			return -1;
		}
		fd = next;
		p += len;
	}
}

/*
 * Open the regular file at path for reading: resolved where it really
 * lives, its directories walked (and, with check, trusted), the file
 * itself opened without following a link and checked on its descriptor.
 * Returns the descriptor or -1 with why said.
 */
static int open_file_checked(const char *path, bool check, char *why, size_t why_size)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		say(why, why_size, "%s %s", path, errno == ENOENT ? "not found" : strerror(errno));
		return -1;
	}
	char *slash = strrchr(real, '/');
	char base[NAME_MAX + 1];
	snprintf(base, sizeof(base), "%s", slash + 1);
	if (slash == real)
		slash[1] = '\0';
	else
		*slash = '\0';
	int dirfd = open_dir_checked(real, check, path, why, why_size);
	if (dirfd < 0)
		return -1;
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dirfd);
	if (fd < 0) {
		say(why, why_size, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	const char *reason = NULL;
	if (fstat(fd, &st) != 0)
		reason = "cannot be examined";
	else if (!S_ISREG(st.st_mode))
		reason = "is not a regular file";
	else if (check && (reason = untrusted(&st, false)) != NULL) {
		say(why, why_size, "refused %s: it %s (name the directory with setclrpath to trust it)",
		    path, reason);
		close(fd);
		return -1;
	}
	if (reason) {
		say(why, why_size, "%s %s", path, reason);
		close(fd);
		return -1;
	}
	return fd;
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

/*
 * The build's version string a runtime binary carries ("@(#)Version
 * 10.0.1226.42308 @Commit: 95017c7..."), or "" if it has none.
 */
static void build_version(int fd, char *buf, size_t size)
{
	buf[0] = '\0';
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0)
		return;
	size_t len = (size_t)st.st_size;
	const char *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return;
	static const char tag[] = "@(#)Version ";
	const char *hit = memmem(map, len, tag, sizeof(tag) - 1);
	if (hit) {
		size_t n = 0;
		const char *end = map + len;
		while (hit + n < end && hit[n] && n + 1 < size && n < VERSION_MAX)
			n++;
		memcpy(buf, hit, n);
		buf[n] = '\0';
	}
	munmap((void *)map, len);
}

typedef int (*pal_init_fn)(void);
typedef int (*dll_main_fn)(void *instance, uint32_t reason, void *reserved);

bool clrsos_daclib_load(const char *dir, bool user_named, const char *want_id,
			void **ret_lib, char **ret_path, char *why, size_t why_size)
{
	char dac_path[PATH_MAX], clr_path[PATH_MAX];
	snprintf(dac_path, sizeof(dac_path), "%s/libmscordaccore.so", dir);
	snprintf(clr_path, sizeof(clr_path), "%s/libcoreclr.so", dir);
	bool ok = false;
	int clr_fd = -1;
	int dac_fd = open_file_checked(dac_path, !user_named, why, why_size);
	if (dac_fd < 0)
		goto out;
	clr_fd = open_file_checked(clr_path, false, why, why_size);
	if (clr_fd < 0)
		goto out;
	struct clrsos_elf_info info;
	struct clrsos_error *err = clrsos_elf_parse(read_fd, &clr_fd, false, &info);
	if (err) {
		say(why, why_size, "cannot check %s (%s)", clr_path, err->message);
		clrsos_error_destroy(err);
		goto out;
	}
	char have_id[2 * CLRSOS_BUILD_ID_MAX + 1];
	clrsos_build_id_hex(info.build_id, info.build_id_len, have_id);
	if (strcmp(have_id, want_id) != 0) {
		say(why, why_size, "%s has build-id %s but the target's has %s (another runtime build)",
		    clr_path, info.build_id_len ? have_id : "(none)", want_id);
		goto out;
	}
	char clr_version[VERSION_MAX + 1], dac_version[VERSION_MAX + 1];
	build_version(clr_fd, clr_version, sizeof(clr_version));
	build_version(dac_fd, dac_version, sizeof(dac_version));
	if (clr_version[0] && dac_version[0] && strcmp(clr_version, dac_version) != 0) {
		say(why, why_size,
		    "%s is of another runtime build than %s (\"%s\", the runtime \"%s\"): the directory mixes two builds; copy the DAC of the runtime's own build there",
		    dac_path, clr_path, dac_version + 4, clr_version + 4);
		goto out;
	}
	/* Load the very file that was checked. */
	char fd_path[64];
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", dac_fd);
	void *lib = dlopen(fd_path, RTLD_LAZY | RTLD_LOCAL);
	if (!lib) {
		say(why, why_size, "cannot load %s: %s", dac_path, dlerror());
		goto out;
	}
	/* Initialise the DAC's PAL once; a second call is a no-op. */
	pal_init_fn pal_init = (pal_init_fn)dlsym(lib, "DAC_PAL_InitializeDLL");
	if (pal_init) {
		if (pal_init() != 0) {
			say(why, why_size, "%s: its PAL failed to initialise", dac_path);
			goto out;
		}
	} else {
		dll_main_fn dll_main = (dll_main_fn)dlsym(lib, "DllMain");
		if (dll_main)
			dll_main(lib, 1 /* DLL_PROCESS_ATTACH */, NULL);
	}
	*ret_path = strdup(dac_path);
	if (!*ret_path) {
		say(why, why_size, "out of memory");
		goto out;
	}
	*ret_lib = lib;
	ok = true;
out:
	if (dac_fd >= 0)
		close(dac_fd);
	if (clr_fd >= 0)
		close(clr_fd);
	return ok;
}
