#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct clrsos_error clrsos_error_no_memory = {
	.code = CLRSOS_ERROR_NO_MEMORY,
	.message = "out of memory in the debugger",
};

/*
 * An error is one line a person reads: one that would run longer (it
 * quotes a megabyte of input, say) keeps its start and says how long it was.
 */
enum { MAX_MESSAGE = 600 };

static void shorten(char *message)
{
	size_t n = strlen(message);
	if (n <= MAX_MESSAGE)
		return;
	snprintf(message + MAX_MESSAGE - 48, 48, "... (%zu characters in all)", n);
}

static struct clrsos_error *error_vcreate(enum clrsos_error_code code,
					  uint64_t address, const char *fmt,
					  va_list ap)
{
	struct clrsos_error *err = malloc(sizeof(*err));
	if (!err)
		return &clrsos_error_no_memory;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &clrsos_error_no_memory;
	}
	shorten(err->message);
	err->code = code;
	err->address = address;
	return err;
}

struct clrsos_error *clrsos_error_create(enum clrsos_error_code code,
					 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct clrsos_error *err = error_vcreate(code, 0, fmt, ap);
	va_end(ap);
	return err;
}

struct clrsos_error *clrsos_error_fault(uint64_t address, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct clrsos_error *err =
		error_vcreate(CLRSOS_ERROR_FAULT, address, fmt, ap);
	va_end(ap);
	return err;
}

struct clrsos_error *clrsos_error_wrap(struct clrsos_error *err,
				       const char *fmt, ...)
{
	if (!err || err == &clrsos_error_no_memory)
		return err;
	char *prefix;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err;
	char *joined;
	if (asprintf(&joined, "%s: %s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = joined;
		shorten(err->message);
	}
	free(prefix);
	return err;
}

void clrsos_error_destroy(struct clrsos_error *err)
{
	if (!err || err == &clrsos_error_no_memory)
		return;
	free(err->message);
	free(err);
}
