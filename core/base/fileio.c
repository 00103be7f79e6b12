#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a file that is not a regular one is, for an error message. */
static const char *kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO (named pipe)";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

static struct clrsos_error *not_regular(const char *verb, const char *path, mode_t mode)
{
	if (S_ISLNK(mode) && strcmp(verb, "write") == 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "cannot write '%s': it is a symbolic link, and clrsos does not write "
					   "through one: give the path it points to",
					   path);
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "cannot %s '%s': it is %s, not a regular file", verb, path, kind(mode));
}

/* An open that failed: say what the path is if that is why, else errno's word. */
static struct clrsos_error *open_failed(const char *verb, const char *path, int error)
{
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    (error == ENXIO || error == EISDIR || error == ELOOP || error == ENODEV || error == EWOULDBLOCK ||
	     error == ETXTBSY || error == EOPNOTSUPP))
		return not_regular(verb, path, st.st_mode);
	return clrsos_error_create(CLRSOS_ERROR_IO, "cannot %s '%s': %s", verb, path, strerror(error));
}

/* fd (opened with O_NONBLOCK) is a regular file: make it blocking, or close it and say what it is. */
static struct clrsos_error *keep_if_regular(const char *verb, const char *path, int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot %s '%s': %s", verb, path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return not_regular(verb, path, st.st_mode);
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		int e = errno;
		close(fd);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot %s '%s': %s", verb, path, strerror(e));
	}
	return NULL;
}

struct clrsos_error *clrsos_file_open_read(const char *path, int *ret_fd)
{
	*ret_fd = -1;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return open_failed("read", path, errno);
	struct clrsos_error *err = keep_if_regular("read", path, fd);
	if (!err)
		*ret_fd = fd;
	return err;
}

struct clrsos_error *clrsos_file_open_write(const char *path, int *ret_fd)
{
	*ret_fd = -1;
	/* No O_TRUNC here: a device must not be touched before it is refused. */
	int fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0)
		return open_failed("write", path, errno);
	struct clrsos_error *err = keep_if_regular("write", path, fd);
	if (err)
		return err;
	if (ftruncate(fd, 0) != 0) {
		int e = errno;
		close(fd);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot write '%s': %s", path, strerror(e));
	}
	*ret_fd = fd;
	return NULL;
}

struct clrsos_error *clrsos_file_check_replaceable(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return NULL; /* nothing there (or not reachable: creating beside it says why) */
	if (!S_ISREG(st.st_mode))
		return not_regular("write", path, st.st_mode);
	return NULL;
}

struct clrsos_error *clrsos_file_create_temporary(const char *path, char **ret_tmp, int *ret_fd)
{
	*ret_tmp = NULL;
	*ret_fd = -1;
	char *tmp;
	if (asprintf(&tmp, "%s.tmp-%ld", path, (long)getpid()) < 0)
		return &clrsos_error_no_memory;
	struct stat st;
	if (lstat(tmp, &st) == 0 && S_ISREG(st.st_mode))
		unlink(tmp); /* left by an earlier run of this process that was stopped */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0) {
		struct clrsos_error *err = clrsos_error_create(
			CLRSOS_ERROR_IO, "cannot write '%s': cannot create a file in its directory (%s): %s", path,
			tmp, strerror(errno));
		free(tmp);
		return err;
	}
	*ret_tmp = tmp;
	*ret_fd = fd;
	return NULL;
}

void clrsos_file_sink_write(void *ctx, const char *text, size_t size)
{
	struct clrsos_file_sink *s = ctx;
	if (s->failed)
		return;
	if (fwrite(text, 1, size, s->f) != size) {
		s->failed = true;
		s->error = errno ? errno : EIO;
	}
	s->bytes += size;
}

int clrsos_file_sink_close(struct clrsos_file_sink *s)
{
	int error = s->failed ? s->error : 0;
	errno = 0;
	if (fclose(s->f) != 0 && !error)
		error = errno ? errno : EIO;
	s->f = NULL;
	return error;
}
