#include "base/output.h"

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

size_t clrsos_utf8_valid(const unsigned char *s, size_t n, uint32_t *ret)
{
	if (n == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80) {
		*ret = c;
		return 1;
	}
	size_t len;
	uint32_t cp, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		return 0;
	*ret = cp;
	return len;
}

static bool name_is_plain(const char *name)
{
	size_t i = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++, i++) {
		if (*p < 0x20 || *p >= 0x7f || i >= CLRSOS_NAME_SHOWN)
			return false;
	}
	return true;
}

const char *clrsos_safe_name(const char *name, struct clrsos_name_buf *buf)
{
	if (!name || name_is_plain(name))
		return name;
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), o = 0, i = 0;
	char *out = buf->text;
	while (i < n) {
		char piece[16];
		size_t plen, used;
		uint32_t c;
		size_t len = clrsos_utf8_valid(s + i, n - i, &c);
		if (len == 0) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02X", s[i]);
			used = 1;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			piece[0] = '\\';
			piece[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			plen = 2;
			used = 1;
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\u%04X", c);
			used = len;
		} else {
			memcpy(piece, s + i, len);
			plen = used = len;
		}
		if (o + plen > CLRSOS_NAME_SHOWN) {
			snprintf(out + o, sizeof(buf->text) - o, "... (%zu bytes in all)", n);
			return out;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += used;
	}
	out[o] = '\0';
	return out;
}

void clrsos_out_name(struct clrsos_writer *w, const char *name)
{
	struct clrsos_name_buf buf;
	clrsos_out(w, clrsos_safe_name(name ? name : "", &buf));
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
		} else if (c < 0x80) {
			buf[o++] = (char)c;
		} else {
			/* Valid UTF-8 as it is, C1 controls escaped, and a byte that
			 * is not UTF-8 as U+FFFD: the document stays valid JSON. */
			uint32_t cp;
			size_t len = clrsos_utf8_valid(p, (size_t)((const unsigned char *)s + n - p), &cp);
			if (len == 0) {
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\ufffd");
			} else if (cp < 0xa0) {
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\u%04x", cp);
				p += len - 1;
			} else {
				memcpy(buf + o, p, len);
				o += len;
				p += len - 1;
			}
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

char *clrsos_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}
