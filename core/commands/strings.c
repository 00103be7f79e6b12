#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/heap.h"
#include "model/clrstring.h"
#include "base/fileio.h"
#include "base/pattern.h"
#include "base/vector.h"
#include "commands.h"

/* The string object an address points at or into, or a one-line error. */
static struct clrsos_error *resolve_string(struct clrsos_heap *heap, uint64_t address,
					   uint64_t *ret)
{
	uint64_t start;
	const struct clrsos_type *type = NULL;
	struct clrsos_error *err = clrsos_heap_find_object(heap, address, &start, &type);
	if (err) {
		clrsos_error_destroy(err);
		/* Why not: the memory, the MethodTable, the size, or nothing there. */
		const struct clrsos_type *t;
		if ((err = clrsos_heap_object_at(heap, address, &t, NULL)))
			return err;
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not a managed object", address);
	}
	if (start == address && (err = clrsos_heap_object_at(heap, address, &type, NULL)))
		return err;
	if (!type->is_string)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not a string: it is %s %s at 0x%" PRIx64,
					   address, start == address ? "a" : "inside a",
					   clrsos_types_name(clrsos_heap_types(heap), type), start);
	*ret = start;
	return NULL;
}

/* dumpstring <address>: one address. */
struct address_operand {
	const struct clrsos_host *host;
	bool have;
	uint64_t address;
};

static struct clrsos_error *address_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct address_operand *a = ctx;
	struct clrsos_error *err = clrsos_address_operand("dumpstring", host, arg, &a->have, &a->address);
	return err ? clrsos_error_wrap(err, "dumpstring") : NULL;
}

struct clrsos_error *clrsos_cmd_dumpstring(struct clrsos_session *session,
					   const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, raw = false, have_count = false;
	uint64_t count = 0;
	const char *outfile = NULL;
	struct address_operand a = {.host = host};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
		CLRSOS_FLAG("--raw", &raw),
		CLRSOS_UINT("--count|-count", &count, .given = &have_count),
		CLRSOS_STRING("--outfile|-outfile", &outfile),
	};
	const struct clrsos_options spec = {
		.command = "dumpstring",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = address_operand,
		.ctx = &a,
	};
	struct clrsos_error *perr = clrsos_options_parse(&spec, host, argc, argv);
	if (perr)
		return perr;
	bool have_address = a.have;
	uint64_t address = a.address;
	if (!have_address)
		return clrsos_address_missing("dumpstring", "a string");
	struct clrsos_heap *heap;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (err)
		return err;
	uint64_t start = 0;
	err = resolve_string(heap, address, &start);
	if (err)
		return err;
	uint32_t length = 0;
	err = clrsos_string_length(heap, start, &length);
	if (err)
		return err;
	uint32_t shown = have_count && count < length ? (uint32_t)count : length;
	struct clrsos_target *target = clrsos_heap_target(heap);

	if (outfile) {
		/* The exact text: UTF-8 with nothing escaped (a lone surrogate as WTF-8). */
		int fd;
		if ((err = clrsos_file_open_write(outfile, &fd)))
			return clrsos_error_wrap(err, "dumpstring");
		FILE *f = fdopen(fd, "wb");
		if (!f) {
			close(fd);
			return &clrsos_error_no_memory;
		}
		struct clrsos_file_sink sink = {.f = f};
		struct clrsos_writer w = {clrsos_file_sink_write, &sink};
		err = clrsos_string_write(target, start, shown, CLRSOS_TEXT_RAW, &w);
		int error = clrsos_file_sink_close(&sink);
		if (!err && error)
			err = clrsos_error_create(CLRSOS_ERROR_IO, "dumpstring: writing %s failed: %s",
						  outfile, strerror(error));
		if (err)
			return err;
		if (json) {
			struct clrsos_json j;
			clrsos_json_init(&j, out);
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, start);
			clrsos_json_key(&j, "length");
			clrsos_json_uint(&j, length);
			clrsos_json_key(&j, "written");
			clrsos_json_uint(&j, shown);
			clrsos_json_key(&j, "file");
			clrsos_json_string(&j, outfile);
			clrsos_json_key(&j, "bytes");
			clrsos_json_uint(&j, sink.bytes);
			clrsos_json_object_end(&j);
			clrsos_json_end(&j);
		} else {
			if (start != address)
				clrsos_outf(out, "0x%" PRIx64 " is inside the string at 0x%" PRIx64 "\n", address, start);
			clrsos_outf(out, "Wrote %u of %u chars (%" PRIu64 " bytes of UTF-8) of the string at 0x%" PRIx64 " to %s\n",
				    shown, length, sink.bytes, start, outfile);
		}
		return NULL;
	}
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, start);
		clrsos_json_key(&j, "length");
		clrsos_json_uint(&j, length);
		clrsos_json_key(&j, "shown");
		clrsos_json_uint(&j, shown);
		clrsos_json_key(&j, "text");
		/* The exact text as JSON: a lone surrogate is a \uXXXX escape. */
		struct clrsos_json_stream text;
		clrsos_json_string_begin(&j, &text);
		err = clrsos_string_write(target, start, shown, CLRSOS_TEXT_JSON, text.raw);
		clrsos_json_string_end(&text);
		if (err)
			return err;
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
		return NULL;
	}
	if (start != address)
		clrsos_outf(out, "0x%" PRIx64 " is inside the string at 0x%" PRIx64 " (char %" PRIu64 "); its text:\n",
			    address, start,
			    address >= start + CLRSOS_STRING_CHARS_OFFSET
				    ? (address - start - CLRSOS_STRING_CHARS_OFFSET) / 2 : 0);
	err = clrsos_string_write(target, start, shown, raw ? CLRSOS_TEXT_RAW : CLRSOS_TEXT_ESCAPED, out);
	if (err)
		return err;
	clrsos_out(out, "\n");
	if (shown < length)
		clrsos_outf(out, "(%u of %u chars shown)\n", shown, length);
	return NULL;
}

/* findstring ------------------------------------------------------------ */

enum { PREVIEW_CHARS = 80, MAX_NEEDLE = 4096 };

struct growing {
	char *data;
	size_t len, cap;
	bool oom;
};

static void grow_write(void *ctx, const char *text, size_t size)
{
	struct growing *g = ctx;
	if (g->oom)
		return;
	if (size > SIZE_MAX - 1 - g->len || clrsos_array_reserve(&g->data, &g->cap, g->len + size + 1)) {
		g->oom = true;
		return;
	}
	memcpy(g->data + g->len, text, size);
	g->len += size;
	g->data[g->len] = '\0';
}

struct find_ctx {
	struct clrsos_heap *heap;
	uint8_t needle[2 * MAX_NEEDLE]; /* UTF-16LE */
	size_t needle_bytes;
	bool use_regex;
	struct clrsos_pattern *regex;
	uint64_t min_chars;
	struct clrsos_json *json;
	struct clrsos_writer *out;
	uint64_t found;
	uint8_t *scratch;  /* a string's units when the walk's block lacks them */
	size_t scratch_cap;
	struct growing text;
	struct clrsos_error *err;
};

/* UTF-8 needle -> UTF-16LE; false if it is not valid UTF-8 or too long. */
static bool to_utf16(const char *s, uint8_t *out, size_t *ret_bytes)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c;
		int extra;
		if (*p < 0x80) { c = *p; extra = 0; }
		else if ((*p & 0xe0) == 0xc0) { c = *p & 0x1f; extra = 1; }
		else if ((*p & 0xf0) == 0xe0) { c = *p & 0x0f; extra = 2; }
		else if ((*p & 0xf8) == 0xf0) { c = *p & 0x07; extra = 3; }
		else return false;
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			c = c << 6 | (*p & 0x3f);
		}
		if (o + 4 > 2 * MAX_NEEDLE)
			return false;
		if (c >= 0x10000) {
			c -= 0x10000;
			uint16_t hi = (uint16_t)(0xd800 + (c >> 10)), lo = (uint16_t)(0xdc00 + (c & 0x3ff));
			out[o++] = (uint8_t)hi; out[o++] = (uint8_t)(hi >> 8);
			out[o++] = (uint8_t)lo; out[o++] = (uint8_t)(lo >> 8);
		} else {
			out[o++] = (uint8_t)c; out[o++] = (uint8_t)(c >> 8);
		}
	}
	*ret_bytes = o;
	return true;
}

static bool contains_utf16(const uint8_t *hay, size_t bytes, const uint8_t *needle, size_t nbytes)
{
	if (nbytes == 0)
		return true;
	const uint8_t *p = hay, *end = hay + bytes;
	while (p + nbytes <= end) {
		const uint8_t *hit = memmem(p, (size_t)(end - p), needle, nbytes);
		if (!hit)
			return false;
		if (((size_t)(hit - hay) & 1) == 0)
			return true;
		p = hit + 1; /* a match must start on a char boundary */
	}
	return false;
}

static void report(struct find_ctx *c, uint64_t address, uint32_t length, const uint8_t *units)
{
	c->found++;
	struct clrsos_utf16_decoder d;
	uint32_t n = length < PREVIEW_CHARS ? length : PREVIEW_CHARS;
	if (c->json) {
		clrsos_json_object_begin(c->json);
		clrsos_json_key(c->json, "address");
		clrsos_json_address(c->json, address);
		clrsos_json_key(c->json, "length");
		clrsos_json_uint(c->json, length);
		clrsos_json_key(c->json, "text");
		struct clrsos_json_stream s;
		clrsos_json_string_begin(c->json, &s);
		clrsos_utf16_decoder_init(&d, CLRSOS_TEXT_JSON);
		clrsos_utf16_decode(&d, units, n, true, s.raw);
		clrsos_json_string_end(&s);
		clrsos_json_object_end(c->json);
		return;
	}
	clrsos_outf(c->out, "    %012" PRIx64 " %10u ", address, length);
	clrsos_utf16_decoder_init(&d, CLRSOS_TEXT_CELL);
	clrsos_utf16_decode(&d, units, n, true, c->out);
	clrsos_out(c->out, n < length ? "...\n" : "\n");
}

static bool on_string(void *ctx, const struct clrsos_heap_object *obj)
{
	struct find_ctx *c = ctx;
	if (!obj->type->is_string || obj->bytes_len < CLRSOS_STRING_CHARS_OFFSET)
		return true;
	uint32_t length;
	memcpy(&length, obj->bytes + CLRSOS_STRING_LENGTH_OFFSET, sizeof(length));
	if (length < c->min_chars || (uint64_t)length * 2 + CLRSOS_STRING_CHARS_OFFSET > obj->size)
		return true;
	size_t bytes = (size_t)length * 2;
	const uint8_t *units = obj->bytes + CLRSOS_STRING_CHARS_OFFSET;
	if (obj->bytes_len < CLRSOS_STRING_CHARS_OFFSET + bytes) {
		/* Longer than what the walk read: read it whole (into a buffer of
		 * exactly the longest such string: nothing is appended to it). */
		if (bytes > c->scratch_cap) {
			uint8_t *s = realloc(c->scratch, bytes);
			if (!s) {
				c->err = &clrsos_error_no_memory;
				return false;
			}
			c->scratch = s;
			c->scratch_cap = bytes;
		}
		struct clrsos_error *err = clrsos_target_read(clrsos_heap_target(c->heap),
							      obj->address + CLRSOS_STRING_CHARS_OFFSET,
							      c->scratch, bytes);
		if (err) {
			clrsos_error_destroy(err);
			return true;
		}
		units = c->scratch;
	}
	bool match;
	if (c->use_regex) {
		c->text.len = 0;
		struct clrsos_writer w = {grow_write, &c->text};
		struct clrsos_utf16_decoder d;
		clrsos_utf16_decoder_init(&d, CLRSOS_TEXT_RAW);
		clrsos_utf16_decode(&d, units, length, true, &w);
		if (c->text.oom) {
			c->err = &clrsos_error_no_memory;
			return false;
		}
		match = clrsos_pattern_search(c->regex, c->text.data ? c->text.data : "", c->text.len);
	} else {
		match = contains_utf16(units, bytes, c->needle, c->needle_bytes);
	}
	if (match)
		report(c, obj->address, length, units);
	return true;
}

static struct clrsos_error *parse_generation(const struct clrsos_host *host, const struct clrsos_option *option,
					     const char *value)
{
	(void)host;
	return clrsos_parse_generation("findstring", value, option->value);
}

/* findstring <text>: one text. */
static struct clrsos_error *text_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	const char **text = ctx;
	if (index > 0 || *text)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "findstring takes one text (quote it if it has spaces): see 'help findstring'");
	*text = arg;
	return NULL;
}

struct clrsos_error *clrsos_cmd_findstring(struct clrsos_session *session,
					   const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	struct find_ctx c = {.out = out};
	bool json = false;
	const char *text = NULL;
	struct clrsos_walk_filter f;
	clrsos_walk_filter_init(&f);
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
		CLRSOS_FLAG("-regex", &c.use_regex),
		CLRSOS_UINT("-min", &c.min_chars),
		CLRSOS_CUSTOM("-gen", &f.generations, parse_generation),
	};
	const struct clrsos_options spec = {
		.command = "findstring",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = text_operand,
		.ctx = &text,
	};
	/* "--" ends the options: the next word is the text, even if it starts with a dash. */
	int end = 0;
	while (end < argc && strcmp(argv[end], "--") != 0)
		end++;
	struct clrsos_error *perr = clrsos_options_parse(&spec, host, end, argv);
	if (!perr && end + 1 < argc) {
		perr = text_operand(&text, host, argv[end + 1], text ? 1 : 0);
		if (!perr)
			perr = clrsos_options_parse(&spec, host, argc - end - 2, argv + end + 2);
	} else if (!perr && end < argc) {
		perr = clrsos_unknown_option("findstring", "--");
	}
	if (perr)
		return perr;
	if (!text)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "findstring needs the text to look for: see 'help findstring'");
	if (c.use_regex) {
		struct clrsos_error *err = clrsos_pattern_create(text, &c.regex);
		if (err)
			return clrsos_error_wrap(err, "findstring -regex");
	} else if (!to_utf16(text, c.needle, &c.needle_bytes)) {
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "findstring: the text must be valid UTF-8 of at most %d chars", MAX_NEEDLE / 2);
	}
	struct clrsos_error *err = clrsos_session_heap(session, &c.heap);
	if (!err)
		err = clrsos_heap_check_walkable(c.heap); /* mid-GC: refused before any output */
	struct clrsos_json j;
	if (!err) {
		if (json) {
			clrsos_json_init(&j, out);
			c.json = &j;
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "matches");
			clrsos_json_array_begin(&j);
		} else {
			clrsos_outf(out, "%16s %10s %s\n", "Address", "Length", "Text");
		}
		struct clrsos_walk_result r;
		err = clrsos_heap_walk(c.heap, &f, on_string, &c, clrsos_watch_heap_progress,
				       clrsos_session_watch(session), &r);
		if (!err)
			err = c.err;
		if (!err && json) {
			clrsos_json_array_end(&j);
			clrsos_json_key(&j, "count");
			clrsos_json_uint(&j, c.found);
			clrsos_json_object_end(&j);
			clrsos_json_end(&j);
		} else if (!err) {
			clrsos_outf(out, "Found %" PRIu64 " string%s %s \"%s\".\n", c.found,
				    c.found == 1 ? "" : "s", c.use_regex ? "matching" : "containing", text);
		}
	}
	clrsos_pattern_destroy(c.regex);
	free(c.scratch);
	free(c.text.data);
	return err;
}
