#include "cli/options.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/output.h"
#include "counters/trigger.h"

struct clrsos_error *clrsos_cli_parse_duration(const char *option, const char *text, double *seconds)
{
	if (strchr(text, ':')) {
		/* dotnet-counters' form: [[dd:]hh:]mm:ss, each part a whole number. */
		unsigned long parts[4];
		int n = 0;
		const char *p = text;
		while (n < 4) {
			char *end;
			if (*p < '0' || *p > '9')
				break;
			errno = 0;
			parts[n++] = strtoul(p, &end, 10);
			if (errno || end - p > 6)
				break;
			p = end;
			if (*p != ':')
				break;
			p++;
		}
		if (*p || n < 2)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "%s: '%s' is not a duration: write dd:hh:mm:ss, or 30s, 5m, 2h",
						   option, text);
		static const double scale[] = { 86400, 3600, 60, 1 };
		double total = 0;
		for (int i = 0; i < n; i++)
			total += parts[i] * scale[4 - n + i];
		if (total <= 0)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s: the duration must be more than 0",
						   option);
		*seconds = total;
		return NULL;
	}
	struct clrsos_error *err = clrsos_trigger_parse_duration(text, seconds);
	if (err)
		return clrsos_error_wrap(err, "%s", option);
	if (*seconds <= 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s: the duration must be more than 0", option);
	return NULL;
}

struct clrsos_error *clrsos_cli_parse_interval(const char *option, const char *text, double *seconds)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (!*text || *end || errno || v < 1 || v > 86400)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "%s: '%s' is not a whole number of seconds from 1 to 86400", option, text);
	*seconds = (double)v;
	return NULL;
}

struct clrsos_error *clrsos_cli_create_file(const char *path, FILE **file)
{
	struct clrsos_name_buf nb;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot write %s: %s", clrsos_safe_name(path, &nb),
					   strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		close(fd);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot write %s: not a regular file",
					   clrsos_safe_name(path, &nb));
	}
	if (!(*file = fdopen(fd, "w"))) {
		close(fd);
		return &clrsos_error_no_memory;
	}
	return NULL;
}
