/*
 * Output: where a command's result goes. A writer is a sink for bytes (the
 * plugin's writes into lldb's command result; tests write into a buffer).
 * Commands never print: each renders its result as SOS-style text or as
 * JSON through the helpers here.
 */
#ifndef CLRSOS_OUTPUT_H
#define CLRSOS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_writer {
	void (*write)(void *ctx, const char *text, size_t size);
	void *ctx;
};

void clrsos_out(struct clrsos_writer *w, const char *text);
void clrsos_outf(struct clrsos_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A name from the target (type, method, field, module or file path) for
 * text output. Such names come from metadata any compiler, obfuscator or
 * Reflection.Emit wrote, so they may hold anything: control characters
 * (C0, DEL and C1, U+0080-U+009F) are escaped as dumpstring escapes them
 * (\n, \t, \r, \uXXXX), a byte that is not part of valid UTF-8 becomes
 * \xNN, and a name whose escaped form is longer than CLRSOS_NAME_SHOWN
 * bytes is cut there, ending "... (N bytes in all)". A name so shown can
 * neither fake an output line nor drive the terminal.
 *
 * clrsos_safe_name returns name itself when it needs none of this (the
 * usual case: no copy), else buf->text; NULL stays NULL. For printf-style
 * output: clrsos_outf(w, "Name: %s\n", clrsos_safe_name(name, &buf)).
 * clrsos_out_name writes the name so to w.
 */
enum { CLRSOS_NAME_SHOWN = 1024 };
struct clrsos_name_buf {
	char text[CLRSOS_NAME_SHOWN + 64];
};
const char *clrsos_safe_name(const char *name, struct clrsos_name_buf *buf);
void clrsos_out_name(struct clrsos_writer *w, const char *name);
/*
 * The length of the valid UTF-8 sequence at s (at most n bytes), or 0 if
 * the byte at s does not start one (overlong forms, surrogates and code
 * points past U+10FFFF are not valid). *ret is its code point.
 */
size_t clrsos_utf8_valid(const unsigned char *s, size_t n, uint32_t *ret);

/* "0x1a2b (6699)", SOS's way of showing a size in bytes. */
void clrsos_format_size(uint64_t size, char *buf, size_t buf_size);
/* An address as SOS prints it: hex without 0x, at least 12 digits. */
void clrsos_format_pointer(uint64_t address, char *buf, size_t buf_size);
/* printf into a new string (malloc'd, the caller's); NULL when out of memory. */
char *clrsos_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1234567 -> "1,234,567". */
void clrsos_format_thousands(uint64_t value, char *buf, size_t buf_size);

/*
 * A JSON writer: it tracks nesting and commas; the caller names keys and
 * values. Strings are escaped; addresses are written as "0x..." strings so
 * that 64-bit values survive every JSON reader.
 */
enum { CLRSOS_JSON_MAX_DEPTH = 72 };

struct clrsos_json {
	struct clrsos_writer *w;
	int depth;
	bool need_comma[CLRSOS_JSON_MAX_DEPTH];
	bool after_key;
};

void clrsos_json_init(struct clrsos_json *j, struct clrsos_writer *w);
void clrsos_json_object_begin(struct clrsos_json *j);
void clrsos_json_object_end(struct clrsos_json *j);
void clrsos_json_array_begin(struct clrsos_json *j);
void clrsos_json_array_end(struct clrsos_json *j);
void clrsos_json_key(struct clrsos_json *j, const char *key);
void clrsos_json_string(struct clrsos_json *j, const char *value);
void clrsos_json_uint(struct clrsos_json *j, uint64_t value);
void clrsos_json_int(struct clrsos_json *j, int64_t value);
void clrsos_json_bool(struct clrsos_json *j, bool value);
void clrsos_json_null(struct clrsos_json *j);
void clrsos_json_address(struct clrsos_json *j, uint64_t value);
/*
 * A string value written in pieces (megabytes of text): begin, write its
 * UTF-8 through s->writer (escaped as it goes), end.
 */
struct clrsos_json_stream {
	struct clrsos_writer writer; /* escapes what it is given */
	struct clrsos_writer *raw;   /* for text already escaped for JSON */
	struct clrsos_json *json;
};
void clrsos_json_string_begin(struct clrsos_json *j, struct clrsos_json_stream *s);
void clrsos_json_string_end(struct clrsos_json_stream *s);

/* Finish the document with a newline. */
void clrsos_json_end(struct clrsos_json *j);

#ifdef __cplusplus
}
#endif

#endif
