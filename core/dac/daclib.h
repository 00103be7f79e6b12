/*
 * DAC library: which libmscordaccore.so clrsos may load for a runtime, and
 * loading it. Loading runs the file's code inside the debugger, so a core
 * file must never choose it, and no other user may swap it:
 *
 * - It comes from one directory: the runtime's own (where the target's
 *   libcoreclr.so lies), or one the user names.
 * - The libcoreclr.so beside it has the target's ELF build-id, and the DAC
 *   is of the same runtime build (both files carry the build's version and
 *   commit): a directory that mixes two builds is refused.
 * - Unless the user named the directory: the file, its directory and every
 *   directory above them (as they really are, symlinks resolved) belong to
 *   root or to this user, and no other user can write them (an ancestor
 *   writable by others is accepted only with the sticky bit, as /tmp).
 * - Each file is opened once, every check is made on that descriptor, and
 *   that same file is what gets loaded (through /proc/self/fd), so nothing
 *   can be swapped between the check and the load.
 */
#ifndef CLRSOS_DACLIB_H
#define CLRSOS_DACLIB_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Check the DAC in dir for a runtime with build-id want_id (hex) and load
 * it. On success *ret_lib is the dlopen handle (never closed) and
 * *ret_path the DAC's path (malloc'd). On refusal, returns false and
 * appends why to why (why_size bytes in all).
 */
bool clrsos_daclib_load(const char *dir, bool user_named, const char *want_id,
			void **ret_lib, char **ret_path, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif
