/*
 * The DAC's load policy: which libmscordaccore.so clrsos may load for a
 * runtime, and loading it. Loading runs the file's code inside the
 * debugger, so a core file must never choose it, and no other user may
 * swap it:
 *
 * - It comes from one directory (clrsos_loadpolicy_choose_dir): one the
 *   user named with setclrpath, else the runtime-dir setting, else the
 *   runtime's own (where the target's libcoreclr.so lies); never another.
 * - The libcoreclr.so beside it has the target's ELF build-id, and the DAC
 *   is of the same runtime build (both files carry the build's version and
 *   commit): a directory that mixes two builds is refused
 *   (clrsos_loadpolicy_match).
 * - Unless the user named the directory: the file, its directory and every
 *   directory above them (as they really are, symlinks resolved) belong to
 *   root or to this user, and no other user can write them (an ancestor
 *   writable by others is accepted only with the sticky bit, as /tmp)
 *   (clrsos_loadpolicy_untrusted, clrsos_loadpolicy_open).
 * - Each file is opened once, every check is made on that descriptor, and
 *   that same file is what gets loaded (through /proc/self/fd), so nothing
 *   can be swapped between the check and the load.
 *
 * A refusal is a CLRSOS_ERROR_DAC error whose message says why.
 */
#ifndef CLRSOS_LOADPOLICY_H
#define CLRSOS_LOADPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where the DAC is looked for. */
struct clrsos_loadpolicy_dir {
	char *dir;          /* malloc'd */
	const char *source; /* "setclrpath", the runtime-dir setting or "the runtime's directory" */
	bool user_named;    /* named with setclrpath: trusted whatever its owner and mode */
};

/*
 * The directory to look in: user_dir (setclrpath) if set, else env_dir
 * (CLRSOS_RUNTIME_DIR), else runtime_path's directory ("." if it has
 * none). Empty strings count as unset. A chosen directory replaces the
 * others: there is no falling back.
 */
struct clrsos_error *clrsos_loadpolicy_choose_dir(const char *user_dir, const char *env_dir,
						  const char *runtime_path,
						  struct clrsos_loadpolicy_dir *ret);

/*
 * Why a file or directory of this owner and mode may not supply code to a
 * debugger running as uid, or NULL: it must belong to root or uid, and be
 * writable by no group or other user; an ancestor directory (above the
 * DAC's own) writable by others passes with the sticky bit.
 */
const char *clrsos_loadpolicy_untrusted(uid_t owner, mode_t mode, bool ancestor, uid_t uid);

/*
 * The build's version string in a runtime binary's bytes ("@(#)Version
 * 10.0.1226.42308 @Commit: 95017c7..."), at most 160 characters, or "".
 */
void clrsos_loadpolicy_build_version(const char *bytes, size_t len, char *buf, size_t size);

/*
 * Whether clr_path (with ELF build-id have_id, have_len bytes) and
 * dac_path beside it are the target's runtime build want_id (hex): the
 * build-ids must be equal, and the versions (as above) too when both
 * files carry one. NULL if they are, else the refusal.
 */
struct clrsos_error *clrsos_loadpolicy_match(const char *clr_path, const char *dac_path,
					     const uint8_t *have_id, size_t have_len,
					     const char *want_id, const char *clr_version,
					     const char *dac_version);

/*
 * Open the regular file at path for reading: resolved where it really
 * lives, its directories walked one at a time without following links
 * (and, with check, each trusted), the file opened without following a
 * link and (with check) trusted on its descriptor.
 */
struct clrsos_error *clrsos_loadpolicy_open(const char *path, bool check, int *ret_fd);

/*
 * Every check for the DAC in dir, for a runtime of build-id want_id (hex):
 * dir/libmscordaccore.so opened with clrsos_loadpolicy_open (checked
 * unless user_named), dir/libcoreclr.so opened (unchecked: it is only
 * read) and matched with clrsos_loadpolicy_match. On success *ret_fd is
 * the DAC's descriptor (the caller closes it) and *ret_path its path
 * (malloc'd).
 */
struct clrsos_error *clrsos_loadpolicy_check(const char *dir, bool user_named,
					     const char *want_id, int *ret_fd, char **ret_path);

/*
 * Check the DAC in dir (clrsos_loadpolicy_check) and load that very file.
 * On success *ret_lib is the dlopen handle (never closed) and *ret_path
 * the DAC's path (malloc'd).
 */
struct clrsos_error *clrsos_loadpolicy_load(const char *dir, bool user_named, const char *want_id,
					    void **ret_lib, char **ret_path);

#ifdef __cplusplus
}
#endif

#endif
