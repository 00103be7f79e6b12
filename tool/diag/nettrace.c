/*
 * The nettrace reader: a push-driven parser of EventPipe's stream (see
 * nettrace.h for the format it reads).
 *
 * Bytes fed are appended to a buffer; whole objects are parsed from its
 * front. A parse that runs out of bytes asks for more and consumes nothing;
 * since it reads strictly in order, a stream split anywhere gives the same
 * events and the same error as the stream in one piece. Inside an object,
 * which is whole in memory, running out of bytes is a format error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/output.h"
#include "diag/nettrace.h"

enum {
	TAG_NULL = 1,
	TAG_BEGIN_PRIVATE_OBJECT = 5,
	TAG_END_OBJECT = 6,
	TRACE_FIELDS_SIZE = 48, /* SYSTEMTIME, QPC sync, frequency, pointer size, pid, processors, sampling rate */
	MAX_TYPE_NAME = 64,
	EVENT_BLOCK_HEADER_MIN = 20,       /* header size, flags, min and max timestamps */
	UNCOMPRESSED_HEADER_SIZE = 76,     /* after the EventSize field */
	METADATA_TAG_OPCODE = 1,
	METADATA_TAG_V2_PARAMS = 2,
};

static const char MAGIC[8] = {'N', 'e', 't', 't', 'r', 'a', 'c', 'e'};
static const char SERIALIZATION[20] = "!FastSerialization.1";

static inline size_t md_hash(uint32_t id)
{
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 32);
}

static inline bool md_equal(uint32_t a, uint32_t b)
{
	return a == b;
}

static inline bool md_is_zero(uint32_t id)
{
	return id == 0;
}

CLRSOS_HASHMAP(md_map, uint32_t, struct clrsos_nettrace_metadata *, md_hash, md_equal, md_is_zero)

enum reader_state {
	STATE_HEADER,
	STATE_OBJECTS,
	STATE_ENDED,
	STATE_FAILED,
};

struct clrsos_nettrace_reader {
	clrsos_nettrace_event_fn fn;
	void *ctx;
	enum reader_state state;
	bool trace_seen;
	struct clrsos_nettrace_trace trace;
	struct md_map metadata;
	uint8_t *buf; /* unparsed bytes: buf[start, len) */
	size_t start, len, cap;
	uint64_t consumed; /* stream offset of buf[start] */
	uint64_t failed_at;
};

/* A bounded view of bytes at a known stream offset. */
struct cursor {
	const uint8_t *p;
	size_t n, pos;
	uint64_t base; /* stream offset of p[0] */
};

static inline uint64_t cur_offset(const struct cursor *c)
{
	return c->base + c->pos;
}

static inline size_t cur_left(const struct cursor *c)
{
	return c->n - c->pos;
}

static inline bool cur_has(const struct cursor *c, size_t k)
{
	return cur_left(c) >= k;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static struct clrsos_error *format_error(uint64_t offset, const char *what)
{
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "nettrace: %s at offset %llu: the stream is damaged or not nettrace",
				   what, (unsigned long long)offset);
}

/* Reads for whole objects in memory: running out is a format error naming what was read. */
static struct clrsos_error *read_u8(struct cursor *c, const char *what, uint8_t *ret)
{
	if (!cur_has(c, 1))
		return format_error(cur_offset(c), what);
	*ret = c->p[c->pos++];
	return NULL;
}

static struct clrsos_error *read_u16(struct cursor *c, const char *what, uint16_t *ret)
{
	if (!cur_has(c, 2))
		return format_error(cur_offset(c), what);
	*ret = get_u16(c->p + c->pos);
	c->pos += 2;
	return NULL;
}

static struct clrsos_error *read_u32(struct cursor *c, const char *what, uint32_t *ret)
{
	if (!cur_has(c, 4))
		return format_error(cur_offset(c), what);
	*ret = get_u32(c->p + c->pos);
	c->pos += 4;
	return NULL;
}

static struct clrsos_error *read_u64(struct cursor *c, const char *what, uint64_t *ret)
{
	if (!cur_has(c, 8))
		return format_error(cur_offset(c), what);
	*ret = get_u64(c->p + c->pos);
	c->pos += 8;
	return NULL;
}

static struct clrsos_error *skip(struct cursor *c, size_t k, const char *what)
{
	if (!cur_has(c, k))
		return format_error(cur_offset(c), what);
	c->pos += k;
	return NULL;
}

/* A LEB128 unsigned integer of at most bits bits (32 or 64). */
static struct clrsos_error *read_varuint(struct cursor *c, unsigned bits, const char *what, uint64_t *ret)
{
	uint64_t value = 0;
	uint64_t start = cur_offset(c);
	for (unsigned shift = 0;; shift += 7) {
		if (shift >= 70 || !cur_has(c, 1))
			return format_error(start, what);
		uint8_t b = c->p[c->pos++];
		uint64_t part = b & 0x7f;
		if (shift >= 64 || (shift > 0 && part >> (64 - shift)))
			return format_error(start, what);
		value |= part << shift;
		if (!(b & 0x80))
			break;
	}
	if (bits < 64 && value >> bits)
		return format_error(start, what);
	*ret = value;
	return NULL;
}

/* UTF-16 code units (n of them, little-endian) to a new NUL-terminated UTF-8 string; unpaired surrogates become U+FFFD. */
static struct clrsos_error *utf16_to_utf8(const uint8_t *units, size_t n, char **ret)
{
	if (n > SIZE_MAX / 3 - 1)
		return &clrsos_error_no_memory;
	char *out = malloc(n * 3 + 1);
	if (!out)
		return &clrsos_error_no_memory;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = get_u16(units + 2 * i);
		if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < n) {
			uint32_t lo = get_u16(units + 2 * (i + 1));
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			}
		}
		if (cp >= 0xd800 && cp < 0xe000)
			cp = 0xfffd;
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | cp >> 12);
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			/* a pair took two units: six bytes of room for four */
			out[o++] = (char)(0xf0 | cp >> 18);
			out[o++] = (char)(0x80 | (cp >> 12 & 0x3f));
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[o] = '\0';
	*ret = out;
	return NULL;
}

/* The number of UTF-16 units before the NUL unit at c, or false if there is none within the cursor. */
static bool utf16z_length(const struct cursor *c, size_t *ret)
{
	size_t left = cur_left(c) / 2;
	const uint8_t *p = c->p + c->pos;
	for (size_t i = 0; i < left; i++) {
		if (!p[2 * i] && !p[2 * i + 1]) {
			*ret = i;
			return true;
		}
	}
	return false;
}

static struct clrsos_error *read_utf16z(struct cursor *c, const char *what, char **ret)
{
	size_t units;
	if (!utf16z_length(c, &units))
		return format_error(cur_offset(c), what);
	struct clrsos_error *err = utf16_to_utf8(c->p + c->pos, units, ret);
	if (err)
		return err;
	c->pos += 2 * (units + 1);
	return NULL;
}

/* Metadata. */

static void fields_free(struct clrsos_nettrace_field *fields, size_t count);

static void field_deinit(struct clrsos_nettrace_field *f)
{
	free(f->name);
	if (f->element) {
		field_deinit(f->element);
		free(f->element);
	}
	fields_free(f->fields, f->field_count);
}

static void fields_free(struct clrsos_nettrace_field *fields, size_t count)
{
	for (size_t i = 0; i < count; i++)
		field_deinit(&fields[i]);
	free(fields);
}

static void metadata_destroy(struct clrsos_nettrace_metadata *md)
{
	if (!md)
		return;
	free(md->provider);
	free(md->event_name);
	fields_free(md->fields, md->field_count);
	free((char *)md->fields_error);
	free(md);
}

/* Why a field list could not be read: kept on the metadata, not fatal to the stream. */
struct field_parse {
	bool v2;
	size_t budget; /* field descriptions left (CLRSOS_NETTRACE_MAX_FIELDS in all) */
	char *why;
};

static struct clrsos_error *field_fail(struct field_parse *fp, const struct cursor *c, const char *what)
{
	if (!fp->why && asprintf(&fp->why, "%s at offset %llu", what, (unsigned long long)cur_offset(c)) < 0) {
		fp->why = NULL;
		return &clrsos_error_no_memory;
	}
	return NULL;
}

static struct clrsos_error *parse_fields(struct cursor *c, struct field_parse *fp, unsigned depth,
					 struct clrsos_nettrace_field **fieldsp, size_t *countp, bool *ok);

static size_t scalar_size(enum clrsos_nettrace_type type);

/* f->min_size, once its element or fields have theirs: arrays of values that take no bytes are not iterated. */
static void set_min_size(struct clrsos_nettrace_field *f)
{
	if (f->type == CLRSOS_NETTRACE_STRING || f->type == CLRSOS_NETTRACE_ARRAY) {
		f->min_size = 2; /* the NUL, the count */
	} else if (f->type == CLRSOS_NETTRACE_OBJECT) {
		f->min_size = 0;
		for (size_t i = 0; i < f->field_count; i++)
			f->min_size += f->fields[i].min_size; /* at most 1024 fields of at most 16 bytes each level */
	} else {
		f->min_size = scalar_size(f->type);
	}
}

/*
 * A type: its code, then for an array its element's type, for a struct its
 * field list. *ok false (and fp->why set) when the description is unusable;
 * an error only for out of memory.
 */
static struct clrsos_error *parse_type(struct cursor *c, struct field_parse *fp, unsigned depth,
				       struct clrsos_nettrace_field *f, bool *ok)
{
	uint32_t code;
	*ok = false;
	if (!cur_has(c, 4))
		return field_fail(fp, c, "a field's type code cut short");
	code = get_u32(c->p + c->pos);
	c->pos += 4;
	switch (code) {
	case CLRSOS_NETTRACE_BOOLEAN:
	case CLRSOS_NETTRACE_CHAR:
	case CLRSOS_NETTRACE_SBYTE:
	case CLRSOS_NETTRACE_BYTE:
	case CLRSOS_NETTRACE_INT16:
	case CLRSOS_NETTRACE_UINT16:
	case CLRSOS_NETTRACE_INT32:
	case CLRSOS_NETTRACE_UINT32:
	case CLRSOS_NETTRACE_INT64:
	case CLRSOS_NETTRACE_UINT64:
	case CLRSOS_NETTRACE_SINGLE:
	case CLRSOS_NETTRACE_DOUBLE:
	case CLRSOS_NETTRACE_DECIMAL:
	case CLRSOS_NETTRACE_DATETIME:
	case CLRSOS_NETTRACE_GUID:
	case CLRSOS_NETTRACE_STRING:
		f->type = (enum clrsos_nettrace_type)code;
		set_min_size(f);
		*ok = true;
		return NULL;
	case CLRSOS_NETTRACE_OBJECT: {
		f->type = CLRSOS_NETTRACE_OBJECT;
		if (depth + 1 > CLRSOS_NETTRACE_MAX_DEPTH)
			return field_fail(fp, c, "structs and arrays nested too deep");
		struct clrsos_error *err = parse_fields(c, fp, depth + 1, &f->fields, &f->field_count, ok);
		set_min_size(f);
		return err;
	}
	case CLRSOS_NETTRACE_ARRAY:
		f->type = CLRSOS_NETTRACE_ARRAY;
		if (!fp->v2)
			return field_fail(fp, c, "an array in a V1 field list");
		if (depth + 1 > CLRSOS_NETTRACE_MAX_DEPTH)
			return field_fail(fp, c, "structs and arrays nested too deep");
		f->element = calloc(1, sizeof(*f->element));
		if (!f->element)
			return &clrsos_error_no_memory;
		set_min_size(f);
		return parse_type(c, fp, depth + 1, f->element, ok);
	default: {
		char what[64];
		snprintf(what, sizeof(what), "unknown type code %u", code);
		c->pos -= 4;
		return field_fail(fp, c, what);
	}
	}
}

static struct clrsos_error *parse_fields(struct cursor *c, struct field_parse *fp, unsigned depth,
					 struct clrsos_nettrace_field **fieldsp, size_t *countp, bool *ok)
{
	struct clrsos_error *err;
	*ok = false;
	if (!cur_has(c, 4))
		return field_fail(fp, c, "a field count cut short");
	uint32_t count = get_u32(c->p + c->pos);
	if (count > fp->budget)
		return field_fail(fp, c, "more field descriptions than clrsos reads");
	c->pos += 4;
	fp->budget -= count;
	if (!count)
		goto done;
	*fieldsp = calloc(count, sizeof(**fieldsp));
	if (!*fieldsp)
		return &clrsos_error_no_memory;
	for (uint32_t i = 0; i < count; i++) {
		struct clrsos_nettrace_field *f = &(*fieldsp)[i];
		*countp = i + 1; /* what is freed if this one fails */
		size_t units;
		if (fp->v2) {
			/* Size (counting itself), name, type, padding. */
			if (!cur_has(c, 4))
				return field_fail(fp, c, "a field's size cut short");
			uint32_t size = get_u32(c->p + c->pos);
			if (size < 4 || size - 4 > cur_left(c) - 4)
				return field_fail(fp, c, "a field's size past its metadata");
			c->pos += 4;
			struct cursor sub = {c->p + c->pos, size - 4, 0, cur_offset(c)};
			c->pos += size - 4;
			if (!utf16z_length(&sub, &units))
				return field_fail(fp, &sub, "a field's name without its end");
			if ((err = utf16_to_utf8(sub.p + sub.pos, units, &f->name)))
				return err;
			sub.pos += 2 * (units + 1);
			if ((err = parse_type(&sub, fp, depth, f, ok)) || !*ok)
				return err;
		} else {
			if ((err = parse_type(c, fp, depth, f, ok)) || !*ok)
				return err;
			if (!utf16z_length(c, &units))
				return field_fail(fp, c, "a field's name without its end");
			if ((err = utf16_to_utf8(c->p + c->pos, units, &f->name)))
				return err;
			c->pos += 2 * (units + 1);
		}
		*ok = false;
	}
done:
	*countp = count;
	*ok = true;
	return NULL;
}

/* One metadata record (the payload of an event blob in a MetadataBlock). */
static struct clrsos_error *parse_metadata(struct cursor *c, struct clrsos_nettrace_metadata **ret)
{
	struct clrsos_error *err;
	struct clrsos_nettrace_metadata *md = calloc(1, sizeof(*md));
	if (!md)
		return &clrsos_error_no_memory;
	uint32_t id;
	if ((err = read_u32(c, "a metadata record cut short (its id)", &id)) ||
	    (err = read_utf16z(c, "a metadata record's provider name without its end", &md->provider)) ||
	    (err = read_u32(c, "a metadata record cut short (its event id)", &md->event_id)) ||
	    (err = read_utf16z(c, "a metadata record's event name without its end", &md->event_name)) ||
	    (err = read_u64(c, "a metadata record cut short (its keywords)", &md->keywords)) ||
	    (err = read_u32(c, "a metadata record cut short (its version)", &md->version)) ||
	    (err = read_u32(c, "a metadata record cut short (its level)", &md->level)))
		goto fail;
	if (id == 0 || id > 0x7fffffff) {
		err = format_error(c->base, "a metadata record with id 0 or above 2^31");
		goto fail;
	}
	md->id = id;
	if (!cur_left(c))
		goto out; /* no field list at all: no fields */

	struct field_parse fp = {false, CLRSOS_NETTRACE_MAX_FIELDS, NULL};
	bool ok;
	if ((err = parse_fields(c, &fp, 0, &md->fields, &md->field_count, &ok)))
		goto fail;
	/* Tags (V5): size, kind, payload. Unreadable fields end the reading: where the tags start is unknown. */
	while (ok && cur_left(c)) {
		if (!cur_has(c, 5)) {
			err = field_fail(&fp, c, "a metadata tag cut short");
			break;
		}
		uint32_t size = get_u32(c->p + c->pos);
		uint8_t kind = c->p[c->pos + 4];
		if (size > cur_left(c) - 5) {
			err = field_fail(&fp, c, "a metadata tag longer than its record");
			break;
		}
		c->pos += 5;
		struct cursor tag = {c->p + c->pos, size, 0, cur_offset(c)};
		c->pos += size;
		if (kind == METADATA_TAG_OPCODE && size >= 1) {
			md->opcode = tag.p[0];
		} else if (kind == METADATA_TAG_V2_PARAMS) {
			/* The V2 list replaces the (empty) V1 list: arrays need it. */
			fields_free(md->fields, md->field_count);
			md->fields = NULL;
			md->field_count = 0;
			struct field_parse fp2 = {true, CLRSOS_NETTRACE_MAX_FIELDS, NULL};
			err = parse_fields(&tag, &fp2, 0, &md->fields, &md->field_count, &ok);
			fp.why = fp2.why;
			if (err)
				break;
		}
	}
	if (err)
		goto fail_why;
	if (fp.why) {
		fields_free(md->fields, md->field_count);
		md->fields = NULL;
		md->field_count = 0;
		md->fields_error = fp.why;
	}
out:
	*ret = md;
	return NULL;
fail_why:
	free(fp.why);
fail:
	metadata_destroy(md);
	return err;
}

/* Blocks. */

struct event_header {
	uint32_t metadata_id;
	uint32_t sequence;
	uint64_t capture_thread;
	uint32_t processor;
	uint64_t thread;
	uint32_t stack_id;
	uint64_t timestamp;
	uint32_t payload_size;
};

static struct clrsos_error *read_compressed_header(struct cursor *c, struct event_header *h)
{
	struct clrsos_error *err;
	uint8_t flags;
	uint64_t v;
	if ((err = read_u8(c, "an event header cut short (flags)", &flags)))
		return err;
	if (flags & 1) {
		if ((err = read_varuint(c, 32, "a bad metadata id in an event header", &v)))
			return err;
		h->metadata_id = (uint32_t)v;
	}
	if (flags & 2) {
		if ((err = read_varuint(c, 32, "a bad sequence number in an event header", &v)))
			return err;
		h->sequence += (uint32_t)v;
		if ((err = read_varuint(c, 64, "a bad capture thread in an event header", &h->capture_thread)) ||
		    (err = read_varuint(c, 32, "a bad processor number in an event header", &v)))
			return err;
		h->processor = (uint32_t)v;
	}
	if (h->metadata_id)
		h->sequence++;
	if (flags & 4 && (err = read_varuint(c, 64, "a bad thread id in an event header", &h->thread)))
		return err;
	if (flags & 8) {
		if ((err = read_varuint(c, 32, "a bad stack id in an event header", &v)))
			return err;
		h->stack_id = (uint32_t)v;
	}
	if ((err = read_varuint(c, 64, "a bad timestamp in an event header", &v)))
		return err;
	h->timestamp += v;
	if (flags & 16 && (err = skip(c, 16, "an event header cut short (activity id)")))
		return err;
	if (flags & 32 && (err = skip(c, 16, "an event header cut short (related activity id)")))
		return err;
	if (flags & 128) {
		if ((err = read_varuint(c, 32, "a bad payload size in an event header", &v)))
			return err;
		h->payload_size = (uint32_t)v;
	}
	return NULL;
}

/* The events of a MetadataBlock or an EventBlock (the block's content, whole). */
static struct clrsos_error *parse_event_block(struct clrsos_nettrace_reader *r, struct cursor *c, bool metadata)
{
	struct clrsos_error *err;
	uint16_t header_size, flags;
	uint64_t header_start = cur_offset(c);
	if ((err = read_u16(c, "a block header cut short", &header_size)) ||
	    (err = read_u16(c, "a block header cut short", &flags)))
		return err;
	if (header_size < EVENT_BLOCK_HEADER_MIN || header_size > c->n)
		return format_error(header_start, "a block header size out of range");
	c->pos = header_size;
	bool compressed = flags & 1;
	struct event_header h = {0};
	while (cur_left(c)) {
		uint64_t event_offset = cur_offset(c);
		size_t next = 0;
		if (compressed) {
			if ((err = read_compressed_header(c, &h)))
				return err;
		} else {
			uint32_t size, v;
			if ((err = read_u32(c, "an event cut short (its size)", &size)))
				return err;
			if (size < UNCOMPRESSED_HEADER_SIZE || size > cur_left(c))
				return format_error(event_offset, "an event size out of range");
			next = c->pos + size;
			read_u32(c, "", &v);
			h.metadata_id = v & 0x7fffffff;
			read_u32(c, "", &h.sequence);
			read_u64(c, "", &h.thread);
			read_u64(c, "", &h.capture_thread);
			read_u32(c, "", &h.processor);
			read_u32(c, "", &h.stack_id);
			read_u64(c, "", &h.timestamp);
			c->pos += 32; /* activity ids */
			read_u32(c, "", &h.payload_size);
			if (h.payload_size > next - c->pos)
				return format_error(event_offset, "an event payload longer than its event");
		}
		if (h.payload_size > cur_left(c))
			return format_error(event_offset, "an event payload past the end of its block");
		struct cursor payload = {c->p + c->pos, h.payload_size, 0, cur_offset(c)};
		c->pos = compressed ? c->pos + h.payload_size : next;
		if (metadata) {
			struct clrsos_nettrace_metadata *md = NULL;
			if ((err = parse_metadata(&payload, &md)))
				return err;
			struct md_map_entry *e;
			bool inserted;
			if ((err = md_map_insert(&r->metadata, md->id, &e, &inserted))) {
				metadata_destroy(md);
				return err;
			}
			if (!inserted) {
				metadata_destroy(e->value); /* redefined: the latest counts */
			} else if (r->metadata.count > CLRSOS_NETTRACE_MAX_METADATA) {
				md_map_remove(&r->metadata, e);
				metadata_destroy(md);
				return format_error(event_offset, "more metadata records than clrsos keeps");
			}
			e->value = md;
			continue;
		}
		struct md_map_entry *e = h.metadata_id ? md_map_find(&r->metadata, h.metadata_id) : NULL;
		if (!e) {
			char what[96];
			snprintf(what, sizeof(what), "an event of metadata id %u, which the stream has not defined",
				 h.metadata_id);
			return format_error(event_offset, what);
		}
		struct clrsos_nettrace_event ev = {
			.metadata = e->value,
			.offset = event_offset,
			.sequence = h.sequence,
			.capture_thread = h.capture_thread,
			.thread = h.thread,
			.processor = h.processor,
			.stack_id = h.stack_id,
			.timestamp = h.timestamp,
			.payload = payload.p,
			.payload_size = payload.n,
		};
		if ((err = r->fn(r->ctx, &r->trace, &ev)))
			return err;
	}
	return NULL;
}

static struct clrsos_error *parse_stack_block(const struct clrsos_nettrace_reader *r, struct cursor *c)
{
	struct clrsos_error *err;
	uint32_t first, count;
	if ((err = read_u32(c, "a stack block cut short", &first)) ||
	    (err = read_u32(c, "a stack block cut short", &count)))
		return err;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t size;
		uint64_t at = cur_offset(c);
		if ((err = read_u32(c, "a stack block cut short", &size)))
			return err;
		if (size > cur_left(c) || size % r->trace.pointer_size)
			return format_error(at, "a stack size out of range");
		c->pos += size;
	}
	if (cur_left(c))
		return format_error(cur_offset(c), "bytes after a stack block's stacks");
	return NULL;
}

static struct clrsos_error *parse_sequence_point(struct cursor *c)
{
	struct clrsos_error *err;
	uint64_t timestamp;
	uint32_t threads;
	if ((err = read_u64(c, "a sequence point cut short", &timestamp)) ||
	    (err = read_u32(c, "a sequence point cut short", &threads)))
		return err;
	if ((uint64_t)threads * 12 != cur_left(c))
		return format_error(cur_offset(c), "a sequence point's thread count does not match its size");
	return NULL;
}

/* Objects of the stream. */

enum object_kind {
	OBJECT_TRACE,
	OBJECT_METADATA_BLOCK,
	OBJECT_EVENT_BLOCK,
	OBJECT_STACK_BLOCK,
	OBJECT_SP_BLOCK,
};

static const struct {
	const char *name;
	enum object_kind kind;
	uint32_t max_reader_version; /* the highest MinimumReaderVersion this reader understands */
} OBJECT_TYPES[] = {
	{"Trace", OBJECT_TRACE, 4},
	{"MetadataBlock", OBJECT_METADATA_BLOCK, 2},
	{"EventBlock", OBJECT_EVENT_BLOCK, 2},
	{"StackBlock", OBJECT_STACK_BLOCK, 2},
	{"SPBlock", OBJECT_SP_BLOCK, 2},
};

static struct clrsos_error *parse_trace(struct clrsos_nettrace_reader *r, const uint8_t *p, uint64_t offset,
					uint32_t version)
{
	struct clrsos_nettrace_trace *t = &r->trace;
	for (int i = 0; i < 8; i++)
		t->sync_time[i] = get_u16(p + 2 * i);
	t->qpc_sync = (int64_t)get_u64(p + 16);
	t->qpc_frequency = (int64_t)get_u64(p + 24);
	t->pointer_size = get_u32(p + 32);
	t->process_id = get_u32(p + 36);
	t->processor_count = get_u32(p + 40);
	t->sampling_rate_ns = get_u32(p + 44);
	t->format_version = version;
	if (t->qpc_frequency <= 0)
		return format_error(offset + 24, "a Trace object whose timestamp frequency is not positive");
	if (t->pointer_size != 4 && t->pointer_size != 8)
		return format_error(offset + 32, "a Trace object whose pointer size is neither 4 nor 8");
	return NULL;
}

/*
 * One object (or the end tag) from the front of b[0, n), at stream offset
 * off. *used: the bytes it took, 0 if more are needed.
 */
static struct clrsos_error *parse_object(struct clrsos_nettrace_reader *r, const uint8_t *b, size_t n, uint64_t off,
					 size_t *used)
{
	struct clrsos_error *err;
	*used = 0;
	if (n < 1)
		return NULL;
	if (b[0] == TAG_NULL) {
		if (!r->trace_seen)
			return format_error(off, "the end tag before the Trace object");
		r->state = STATE_ENDED;
		*used = 1;
		return NULL;
	}
	if (b[0] != TAG_BEGIN_PRIVATE_OBJECT)
		return format_error(off, "neither an object (tag 5) nor the end tag (1)");
	if (n < 2)
		return NULL;
	if (b[1] != TAG_BEGIN_PRIVATE_OBJECT)
		return format_error(off + 1, "an object without its type object");
	if (n < 3)
		return NULL;
	if (b[2] != TAG_NULL)
		return format_error(off + 2, "a type object whose type is not null");
	if (n < 15)
		return NULL;
	uint32_t version = get_u32(b + 3), min_version = get_u32(b + 7), name_len = get_u32(b + 11);
	if (name_len == 0 || name_len > MAX_TYPE_NAME)
		return format_error(off + 11, "an object type name length out of range");
	if (n < 15 + (size_t)name_len + 1)
		return NULL;
	const char *name = (const char *)b + 15;
	size_t pos = 15 + name_len;
	if (b[pos] != TAG_END_OBJECT)
		return format_error(off + pos, "a type object without its end tag");
	pos++;
	size_t t;
	for (t = 0; t < sizeof(OBJECT_TYPES) / sizeof(OBJECT_TYPES[0]); t++) {
		if (strlen(OBJECT_TYPES[t].name) == name_len && !memcmp(OBJECT_TYPES[t].name, name, name_len))
			break;
	}
	if (t == sizeof(OBJECT_TYPES) / sizeof(OBJECT_TYPES[0])) {
		char what[128];
		char shown[MAX_TYPE_NAME + 1];
		for (uint32_t i = 0; i < name_len; i++)
			shown[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
		shown[name_len] = '\0';
		snprintf(what, sizeof(what), "an object of unknown type \"%s\"", shown);
		return format_error(off + 15, what);
	}
	if (min_version > OBJECT_TYPES[t].max_reader_version || version < min_version) {
		char what[160];
		snprintf(what, sizeof(what), "a %s object of version %u that needs a reader of version %u (clrsos reads %u)",
			 OBJECT_TYPES[t].name, version, min_version, OBJECT_TYPES[t].max_reader_version);
		return format_error(off + 3, what);
	}
	enum object_kind kind = OBJECT_TYPES[t].kind;
	if (kind == OBJECT_TRACE) {
		if (r->trace_seen)
			return format_error(off, "a second Trace object");
		if (n < pos + TRACE_FIELDS_SIZE + 1)
			return NULL;
		if ((err = parse_trace(r, b + pos, off + pos, version)))
			return err;
		pos += TRACE_FIELDS_SIZE;
		if (b[pos] != TAG_END_OBJECT)
			return format_error(off + pos, "the Trace object without its end tag");
		r->trace_seen = true;
		*used = pos + 1;
		return NULL;
	}
	if (!r->trace_seen)
		return format_error(off, "a block before the Trace object");
	if (n < pos + 4)
		return NULL;
	uint32_t size = get_u32(b + pos);
	if (size > CLRSOS_NETTRACE_MAX_BLOCK)
		return format_error(off + pos, "a block size out of range");
	pos += 4;
	size_t padding = (size_t)((4 - (off + pos) % 4) % 4);
	if (n < pos + padding + size + 1)
		return NULL;
	pos += padding;
	if (b[pos + size] != TAG_END_OBJECT)
		return format_error(off + pos + size, "a block without its end tag where its size says");
	struct cursor c = {b + pos, size, 0, off + pos};
	switch (kind) {
	case OBJECT_METADATA_BLOCK:
		err = parse_event_block(r, &c, true);
		break;
	case OBJECT_EVENT_BLOCK:
		err = parse_event_block(r, &c, false);
		break;
	case OBJECT_STACK_BLOCK:
		err = parse_stack_block(r, &c);
		break;
	default:
		err = parse_sequence_point(&c);
		break;
	}
	if (err)
		return err;
	*used = pos + size + 1;
	return NULL;
}

static struct clrsos_error *parse_header(struct clrsos_nettrace_reader *r, const uint8_t *b, size_t n, size_t *used)
{
	*used = 0;
	size_t k = n < sizeof(MAGIC) ? n : sizeof(MAGIC);
	if (memcmp(b, MAGIC, k))
		return format_error(0, "no \"Nettrace\" magic");
	if (n < 12)
		return NULL;
	uint32_t len = get_u32(b + 8);
	if (len == 0) {
		uint32_t major = n >= 16 ? get_u32(b + 12) : 0;
		if (n < 16)
			return NULL;
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "nettrace: format version %u (no FastSerialization header) is not supported: "
					   "clrsos reads the nettrace .NET 5 to 10 write by default (version 4/5)", major);
	}
	if (len != sizeof(SERIALIZATION))
		return format_error(8, "no \"!FastSerialization.1\" header");
	k = n - 12 < sizeof(SERIALIZATION) ? n - 12 : sizeof(SERIALIZATION);
	if (memcmp(b + 12, SERIALIZATION, k))
		return format_error(12, "no \"!FastSerialization.1\" header");
	if (n < 12 + sizeof(SERIALIZATION))
		return NULL;
	*used = 12 + sizeof(SERIALIZATION);
	r->state = STATE_OBJECTS;
	return NULL;
}

struct clrsos_nettrace_reader *clrsos_nettrace_reader_create(clrsos_nettrace_event_fn fn, void *ctx)
{
	struct clrsos_nettrace_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fn = fn;
	r->ctx = ctx;
	md_map_init(&r->metadata);
	return r;
}

void clrsos_nettrace_reader_destroy(struct clrsos_nettrace_reader *r)
{
	if (!r)
		return;
	for (struct md_map_entry *e = md_map_first(&r->metadata); e; e = md_map_next(&r->metadata, e))
		metadata_destroy(e->value);
	md_map_deinit(&r->metadata);
	free(r->buf);
	free(r);
}

static struct clrsos_error *already_failed(const struct clrsos_nettrace_reader *r)
{
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "nettrace: the stream already failed at offset %llu",
				   (unsigned long long)r->failed_at);
}

struct clrsos_error *clrsos_nettrace_feed(struct clrsos_nettrace_reader *r, const uint8_t *data, size_t n)
{
	struct clrsos_error *err = NULL;
	if (r->state == STATE_FAILED)
		return already_failed(r);
	if (!n)
		return NULL;
	if (r->state == STATE_ENDED) {
		r->state = STATE_FAILED;
		r->failed_at = r->consumed;
		return format_error(r->consumed, "data after the end tag");
	}
	/* Append, after dropping what was consumed. */
	if (r->start) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
	}
	if (n > SIZE_MAX - r->len)
		return &clrsos_error_no_memory;
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n)
			cap = cap > SIZE_MAX / 2 ? r->len + n : cap * 2;
		uint8_t *grown = realloc(r->buf, cap);
		if (!grown)
			return &clrsos_error_no_memory;
		r->buf = grown;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;

	for (;;) {
		size_t used = 0;
		const uint8_t *b = r->buf + r->start;
		size_t left = r->len - r->start;
		if (r->state == STATE_HEADER)
			err = parse_header(r, b, left, &used);
		else if (r->state == STATE_OBJECTS)
			err = parse_object(r, b, left, r->consumed, &used);
		else if (r->state == STATE_ENDED && left)
			err = format_error(r->consumed, "data after the end tag");
		if (err) {
			r->state = STATE_FAILED;
			r->failed_at = r->consumed;
			return err;
		}
		if (!used)
			return NULL;
		r->start += used;
		r->consumed += used;
	}
}

struct clrsos_error *clrsos_nettrace_finish(struct clrsos_nettrace_reader *r)
{
	if (r->state == STATE_FAILED)
		return already_failed(r);
	if (r->state == STATE_ENDED)
		return NULL;
	if (r->state == STATE_HEADER || !r->trace_seen)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "nettrace: the stream ended at offset %llu, before its header and Trace object",
					   (unsigned long long)(r->consumed + (r->len - r->start)));
	if (r->len > r->start)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "nettrace: the stream ended inside the object at offset %llu (%zu bytes of it): "
					   "it was cut short", (unsigned long long)r->consumed, r->len - r->start);
	return NULL;
}

uint64_t clrsos_nettrace_offset(const struct clrsos_nettrace_reader *r)
{
	return r->consumed;
}

int clrsos_nettrace_ended(const struct clrsos_nettrace_reader *r)
{
	return r->state == STATE_ENDED;
}

/* Payloads. */

struct walk {
	const struct clrsos_nettrace_event *event;
	clrsos_nettrace_value_fn fn;
	void *ctx;
	char *path;
	size_t path_len, path_cap;
	char *text; /* the current STRING value, UTF-8 */
};

static struct clrsos_error *path_append(struct walk *w, const char *s, size_t k)
{
	if (w->path_len + k + 1 > w->path_cap) {
		size_t cap = (w->path_len + k + 1) * 2;
		char *grown = realloc(w->path, cap);
		if (!grown)
			return &clrsos_error_no_memory;
		w->path = grown;
		w->path_cap = cap;
	}
	memcpy(w->path + w->path_len, s, k);
	w->path_len += k;
	w->path[w->path_len] = '\0';
	return NULL;
}

static struct clrsos_error *payload_short(struct walk *w, const struct cursor *c)
{
	const struct clrsos_nettrace_metadata *md = w->event->metadata;
	struct clrsos_name_buf b1, b2, b3;
	return clrsos_error_create(CLRSOS_ERROR_OTHER,
				   "nettrace: the payload of %s/%s (event at offset %llu) ends inside field %s "
				   "(payload byte %zu of %zu): it does not match its metadata",
				   clrsos_safe_name(md->provider, &b1), clrsos_safe_name(md->event_name, &b2),
				   (unsigned long long)w->event->offset, clrsos_safe_name(w->path, &b3), c->pos, c->n);
}

static size_t scalar_size(enum clrsos_nettrace_type type)
{
	switch (type) {
	case CLRSOS_NETTRACE_SBYTE:
	case CLRSOS_NETTRACE_BYTE:
		return 1;
	case CLRSOS_NETTRACE_CHAR:
	case CLRSOS_NETTRACE_INT16:
	case CLRSOS_NETTRACE_UINT16:
		return 2;
	case CLRSOS_NETTRACE_BOOLEAN:
	case CLRSOS_NETTRACE_INT32:
	case CLRSOS_NETTRACE_UINT32:
	case CLRSOS_NETTRACE_SINGLE:
		return 4;
	case CLRSOS_NETTRACE_INT64:
	case CLRSOS_NETTRACE_UINT64:
	case CLRSOS_NETTRACE_DOUBLE:
	case CLRSOS_NETTRACE_DATETIME:
		return 8;
	case CLRSOS_NETTRACE_DECIMAL:
	case CLRSOS_NETTRACE_GUID:
		return 16;
	default:
		return 0;
	}
}

static struct clrsos_error *walk_fields(struct walk *w, struct cursor *c, const struct clrsos_nettrace_field *fields,
					size_t count, unsigned depth);

/* One value of type f at c, its path already in w->path. depth is bounded by the metadata's. */
static struct clrsos_error *walk_value(struct walk *w, struct cursor *c, const struct clrsos_nettrace_field *f,
				       unsigned depth)
{
	struct clrsos_error *err;
	if (depth > CLRSOS_NETTRACE_MAX_DEPTH)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "nettrace: a payload nested too deep");
	if (f->type == CLRSOS_NETTRACE_OBJECT) {
		/* An unnamed struct (EventSource's top level of EventCounters) adds nothing to the path. */
		size_t keep = w->path_len;
		if (keep && (err = path_append(w, ".", 1)))
			return err;
		err = walk_fields(w, c, f->fields, f->field_count, depth + 1);
		w->path_len = keep;
		w->path[keep] = '\0';
		return err;
	}
	if (f->type == CLRSOS_NETTRACE_ARRAY) {
		if (!cur_has(c, 2))
			return payload_short(w, c);
		uint16_t count = get_u16(c->p + c->pos);
		c->pos += 2;
		if (!f->element->min_size)
			return NULL; /* nothing to visit, however many */
		size_t keep = w->path_len;
		for (uint16_t i = 0; i < count; i++) {
			char index[16];
			int k = snprintf(index, sizeof(index), "[%u]", (unsigned)i);
			if ((err = path_append(w, index, (size_t)k)))
				return err;
			err = walk_value(w, c, f->element, depth + 1);
			w->path_len = keep;
			w->path[keep] = '\0';
			if (err)
				return err;
		}
		return NULL;
	}
	struct clrsos_nettrace_value v = {.field = f, .path = w->path};
	const uint8_t *p = c->p + c->pos;
	if (f->type == CLRSOS_NETTRACE_STRING) {
		size_t units;
		if (!utf16z_length(c, &units))
			return payload_short(w, c);
		free(w->text);
		w->text = NULL;
		if ((err = utf16_to_utf8(p, units, &w->text)))
			return err;
		c->pos += 2 * (units + 1);
		v.v.s = w->text;
		return w->fn(w->ctx, &v);
	}
	size_t size = scalar_size(f->type);
	if (!size || !cur_has(c, size))
		return payload_short(w, c);
	c->pos += size;
	switch (f->type) {
	case CLRSOS_NETTRACE_SBYTE:
		v.v.i = (int8_t)p[0];
		break;
	case CLRSOS_NETTRACE_BYTE:
		v.v.u = p[0];
		break;
	case CLRSOS_NETTRACE_CHAR:
		v.v.i = get_u16(p);
		break;
	case CLRSOS_NETTRACE_INT16:
		v.v.i = (int16_t)get_u16(p);
		break;
	case CLRSOS_NETTRACE_UINT16:
		v.v.u = get_u16(p);
		break;
	case CLRSOS_NETTRACE_BOOLEAN:
	case CLRSOS_NETTRACE_INT32:
		v.v.i = (int32_t)get_u32(p);
		break;
	case CLRSOS_NETTRACE_UINT32:
		v.v.u = get_u32(p);
		break;
	case CLRSOS_NETTRACE_INT64:
	case CLRSOS_NETTRACE_DATETIME:
		v.v.i = (int64_t)get_u64(p);
		break;
	case CLRSOS_NETTRACE_UINT64:
		v.v.u = get_u64(p);
		break;
	case CLRSOS_NETTRACE_SINGLE: {
		uint32_t bits = get_u32(p);
		float fl;
		memcpy(&fl, &bits, sizeof(fl));
		v.v.d = fl;
		break;
	}
	case CLRSOS_NETTRACE_DOUBLE: {
		uint64_t bits = get_u64(p);
		memcpy(&v.v.d, &bits, sizeof(v.v.d));
		break;
	}
	default: /* DECIMAL, GUID */
		memcpy(v.v.guid, p, 16);
		break;
	}
	return w->fn(w->ctx, &v);
}

static struct clrsos_error *walk_fields(struct walk *w, struct cursor *c, const struct clrsos_nettrace_field *fields,
					size_t count, unsigned depth)
{
	struct clrsos_error *err;
	size_t keep = w->path_len;
	for (size_t i = 0; i < count; i++) {
		const char *name = fields[i].name ? fields[i].name : "";
		if ((err = path_append(w, name, strlen(name))))
			return err;
		err = walk_value(w, c, &fields[i], depth);
		w->path_len = keep;
		w->path[keep] = '\0';
		if (err)
			return err;
	}
	return NULL;
}

struct clrsos_error *clrsos_nettrace_payload_walk(const struct clrsos_nettrace_event *event,
						  clrsos_nettrace_value_fn fn, void *ctx)
{
	const struct clrsos_nettrace_metadata *md = event->metadata;
	if (md->fields_error) {
		struct clrsos_name_buf b1, b2;
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "nettrace: the fields of %s/%s (event at offset %llu) are unreadable: %s",
					   clrsos_safe_name(md->provider, &b1), clrsos_safe_name(md->event_name, &b2),
					   (unsigned long long)event->offset, md->fields_error);
	}
	struct walk w = {.event = event, .fn = fn, .ctx = ctx};
	struct clrsos_error *err = path_append(&w, "", 0);
	if (!err) {
		struct cursor c = {event->payload, event->payload_size, 0, 0};
		err = walk_fields(&w, &c, md->fields, md->field_count, 0);
	}
	free(w.path);
	free(w.text);
	return err;
}

struct find {
	const char *path;
	struct clrsos_nettrace_value *value;
	char **string;
	bool found;
};

/* Stops the walk once the field is found; never returned to a caller. */
static struct clrsos_error found_it = {CLRSOS_ERROR_OTHER, 0, NULL, false};

static struct clrsos_error *find_value(void *ctx, const struct clrsos_nettrace_value *value)
{
	struct find *f = ctx;
	if (strcmp(value->path, f->path))
		return NULL;
	*f->value = *value;
	f->value->path = f->path;
	if (value->field->type == CLRSOS_NETTRACE_STRING) {
		f->value->v.s = NULL;
		if (f->string) {
			*f->string = strdup(value->v.s);
			if (!*f->string)
				return &clrsos_error_no_memory;
			f->value->v.s = *f->string;
		}
	}
	f->found = true;
	return &found_it;
}

struct clrsos_error *clrsos_nettrace_payload_find(const struct clrsos_nettrace_event *event, const char *path,
						  struct clrsos_nettrace_value *value, char **string)
{
	struct find f = {path, value, string, false};
	if (string)
		*string = NULL;
	struct clrsos_error *err = clrsos_nettrace_payload_walk(event, find_value, &f);
	if (err == &found_it)
		return NULL;
	if (err)
		return err;
	struct clrsos_name_buf b1, b2, b3;
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "no field %s in %s/%s", clrsos_safe_name(path, &b1),
				   clrsos_safe_name(event->metadata->provider, &b2),
				   clrsos_safe_name(event->metadata->event_name, &b3));
}
