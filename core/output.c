#include "output.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void clrsos_out(struct clrsos_writer *w, const char *text)
{
	w->write(w->ctx, text, strlen(text));
}

void clrsos_outf(struct clrsos_writer *w, const char *fmt, ...)
{
	char small[512];
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n < sizeof(small)) {
		w->write(w->ctx, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);
		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, ap2);
			w->write(w->ctx, big, (size_t)n);
			free(big);
		}
	}
	va_end(ap2);
}

void clrsos_format_size(uint64_t size, char *buf, size_t buf_size)
{
	snprintf(buf, buf_size, "0x%" PRIx64 " (%" PRIu64 ")", size, size);
}

void clrsos_format_pointer(uint64_t address, char *buf, size_t buf_size)
{
	snprintf(buf, buf_size, "%012" PRIx64, address);
}

void clrsos_format_thousands(uint64_t value, char *buf, size_t buf_size)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, value);
	size_t o = 0;
	for (int i = 0; i < n && o + 1 < buf_size; i++) {
		if (i > 0 && (n - i) % 3 == 0 && o + 2 < buf_size)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

void clrsos_json_init(struct clrsos_json *j, struct clrsos_writer *w)
{
	memset(j, 0, sizeof(*j));
	j->w = w;
}

static void before_value(struct clrsos_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		clrsos_out(j->w, ",");
	j->need_comma[j->depth] = true;
}

static void open(struct clrsos_json *j, const char *bracket)
{
	before_value(j);
	clrsos_out(j->w, bracket);
	if (j->depth + 1 < CLRSOS_JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct clrsos_json *j, const char *bracket)
{
	if (j->depth > 0)
		j->depth--;
	clrsos_out(j->w, bracket);
}

void clrsos_json_object_begin(struct clrsos_json *j)
{
	open(j, "{");
}
void clrsos_json_object_end(struct clrsos_json *j)
{
	close_(j, "}");
}
void clrsos_json_array_begin(struct clrsos_json *j)
{
	open(j, "[");
}
void clrsos_json_array_end(struct clrsos_json *j)
{
	close_(j, "]");
}

static void write_escaped_n(struct clrsos_writer *w, const char *s, size_t n)
{
	char buf[256];
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + n; p++) {
		if (o + 8 > sizeof(buf)) {
			w->write(w->ctx, buf, o);
			o = 0;
		}
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c == '\r') {
			buf[o++] = '\\';
			buf[o++] = 'r';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\u%04x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	w->write(w->ctx, buf, o);
}

static void write_escaped(struct clrsos_writer *w, const char *s)
{
	write_escaped_n(w, s, strlen(s));
}

static void stream_write(void *ctx, const char *text, size_t size)
{
	struct clrsos_json_stream *s = ctx;
	write_escaped_n(s->json->w, text, size);
}

void clrsos_json_string_begin(struct clrsos_json *j, struct clrsos_json_stream *s)
{
	before_value(j);
	clrsos_out(j->w, "\"");
	s->json = j;
	s->raw = j->w;
	s->writer.write = stream_write;
	s->writer.ctx = s;
}

void clrsos_json_string_end(struct clrsos_json_stream *s)
{
	clrsos_out(s->json->w, "\"");
}

void clrsos_json_key(struct clrsos_json *j, const char *key)
{
	before_value(j);
	clrsos_out(j->w, "\"");
	write_escaped(j->w, key);
	clrsos_out(j->w, "\":");
	j->after_key = true;
}

void clrsos_json_string(struct clrsos_json *j, const char *value)
{
	if (!value) {
		clrsos_json_null(j);
		return;
	}
	before_value(j);
	clrsos_out(j->w, "\"");
	write_escaped(j->w, value);
	clrsos_out(j->w, "\"");
}

void clrsos_json_uint(struct clrsos_json *j, uint64_t value)
{
	before_value(j);
	clrsos_outf(j->w, "%" PRIu64, value);
}

void clrsos_json_int(struct clrsos_json *j, int64_t value)
{
	before_value(j);
	clrsos_outf(j->w, "%" PRId64, value);
}

void clrsos_json_bool(struct clrsos_json *j, bool value)
{
	before_value(j);
	clrsos_out(j->w, value ? "true" : "false");
}

void clrsos_json_null(struct clrsos_json *j)
{
	before_value(j);
	clrsos_out(j->w, "null");
}

void clrsos_json_address(struct clrsos_json *j, uint64_t value)
{
	before_value(j);
	clrsos_outf(j->w, "\"0x%" PRIx64 "\"", value);
}

void clrsos_json_end(struct clrsos_json *j)
{
	clrsos_out(j->w, "\n");
}
