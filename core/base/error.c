#include "base/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/output.h"

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
	size_t cut = MAX_MESSAGE - 48;
	while (cut > 0 && ((unsigned char)message[cut] & 0xc0) == 0x80)
		cut--; /* not inside a UTF-8 sequence */
	snprintf(message + cut, 48, "... (%zu characters in all)", n);
}

/*
 * A message quotes input and names from the target: its control characters
 * (a newline would make it two lines, an escape sequence would reach the
 * terminal) and bytes that are not UTF-8 are escaped as names are
 * (clrsos_safe_name), without its cut (shorten's comes later). Returns
 * message, or a new string in its place (message freed).
 */
static char *escape_message(char *message)
{
	const unsigned char *s = (const unsigned char *)message;
	size_t n = strlen(message), need = 0;
	bool plain = true;
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t len = clrsos_utf8_valid(s + i, n - i, &c);
		if (len == 0 || c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			plain = false;
		need += 6;
		i += len ? len : 1;
	}
	if (plain)
		return message;
	char *out = malloc(need + 1);
	if (!out) {
		for (size_t i = 0; i < n; i++) /* keep one line, at least */
			if (s[i] < 0x20 || s[i] >= 0x7f)
				message[i] = '?';
		return message;
	}
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t len = clrsos_utf8_valid(s + i, n - i, &c);
		if (len == 0)
			o += (size_t)sprintf(out + o, "\\x%02X", s[i]);
		else if (c == '\n' || c == '\t' || c == '\r')
			o += (size_t)sprintf(out + o, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			o += (size_t)sprintf(out + o, "\\u%04X", c);
		else
			memcpy(out + o, s + i, len), o += len;
		i += len ? len : 1;
	}
	out[o] = '\0';
	free(message);
	return out;
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
	err->message = escape_message(err->message);
	shorten(err->message);
	err->code = code;
	err->address = address;
	err->dac_crash = false;
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
		err->message = escape_message(joined);
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

struct clrsos_error *clrsos_error_ignore(struct clrsos_error *err)
{
	if (!err || clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	return NULL;
}

const char *clrsos_error_code_name(enum clrsos_error_code code)
{
	/* No default: a new code must be named here (-Wswitch). */
	switch (code) {
	case CLRSOS_ERROR_OTHER:
		return "other";
	case CLRSOS_ERROR_NO_MEMORY:
		return "noMemory";
	case CLRSOS_ERROR_INVALID_ARGUMENT:
		return "invalidArgument";
	case CLRSOS_ERROR_NO_TARGET:
		return "noTarget";
	case CLRSOS_ERROR_NO_RUNTIME:
		return "noRuntime";
	case CLRSOS_ERROR_DAC:
		return "dac";
	case CLRSOS_ERROR_FAULT:
		return "fault";
	case CLRSOS_ERROR_GC_IN_PROGRESS:
		return "gcInProgress";
	case CLRSOS_ERROR_IO:
		return "io";
	case CLRSOS_ERROR_INTERRUPTED:
		return "interrupted";
	}
	return "other";
}
