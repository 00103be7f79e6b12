/*
 * File I/O: every file clrsos opens by a path that came from the user or
 * from a target (a saved histogram, an output file, a module file named in
 * a core) is opened here, once, and checked on its descriptor. Only
 * regular files are read or written: a FIFO, a device, a directory or a
 * socket gets a one-line error instead of a hang (opening a FIFO blocks
 * until someone opens its other end) or damage (renaming over /dev/null).
 */
#ifndef CLRSOS_FILEIO_H
#define CLRSOS_FILEIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Open path for reading (O_RDONLY | O_CLOEXEC) into *ret_fd, a blocking
 * descriptor. A symbolic link is followed; what it names must be a regular
 * file. Errors say "cannot read '<path>': ...".
 */
struct clrsos_error *clrsos_file_open_read(const char *path, int *ret_fd);

/*
 * Open path for writing, created if it does not exist (mode 0666 less the
 * umask) and emptied if it does, into *ret_fd. Only a regular file or a
 * new path: a symbolic link as the last component is refused, not
 * followed, and nothing that is not a regular file is opened for writing
 * or truncated. Errors say "cannot write '<path>': ...".
 */
struct clrsos_error *clrsos_file_open_write(const char *path, int *ret_fd);

/*
 * A file as the ctx of a struct clrsos_writer whose write is
 * clrsos_file_sink_write: counts the bytes and remembers a failed write
 * (the caller reports it, with fclose's result, when it closes f).
 */
struct clrsos_file_sink {
	FILE *f;
	uint64_t bytes;
	bool failed;
	int error; /* the first failed write's errno */
};
void clrsos_file_sink_write(void *ctx, const char *text, size_t size);
/*
 * Close the sink's file (f NULL after): 0, or the errno of its first failed
 * write, else of the close (EIO when the C library set none).
 */
int clrsos_file_sink_close(struct clrsos_file_sink *sink);

/*
 * Whether path may be replaced by a regular file renamed over it (as
 * dumpheap --save does): NULL if it does not exist or is a regular file;
 * an error for a symbolic link, a device, a FIFO, a directory, a socket.
 */
struct clrsos_error *clrsos_file_check_replaceable(const char *path);

/*
 * Create a new file for writing beside path: "<path>.tmp-<pid>" (removed
 * first if a stale regular file of that name is there), opened with
 * O_EXCL | O_NOFOLLOW. Its name goes to *ret_tmp (free it), the
 * descriptor to *ret_fd.
 */
struct clrsos_error *clrsos_file_create_temporary(const char *path, char **ret_tmp, int *ret_fd);

#ifdef __cplusplus
}
#endif

#endif
