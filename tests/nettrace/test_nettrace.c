/*
 * Unit tests of the nettrace reader (tool/diag/nettrace.c) on streams built
 * here byte by byte: the header and objects, compressed and uncompressed
 * event headers with their carried-over fields, V1 and V2 (array) field
 * lists, nested structs, and the damage it must turn into errors: nesting
 * too deep, an undefined metadata id, absurd sizes and counts, a stream
 * cut short. Every stream is also fed one byte at a time, which must give
 * the same events and the same error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag/nettrace.h"

/* A growing byte buffer. */
struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (!n)
		return;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void u8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(b, x, 2);
}

static void u32(struct buf *b, uint32_t v)
{
	u16(b, (uint16_t)v);
	u16(b, (uint16_t)(v >> 16));
}

static void u64(struct buf *b, uint64_t v)
{
	u32(b, (uint32_t)v);
	u32(b, (uint32_t)(v >> 32));
}

static void varu(struct buf *b, uint64_t v)
{
	while (v >= 0x80) {
		u8(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	u8(b, (uint8_t)v);
}

static void utf16z(struct buf *b, const char *ascii)
{
	for (; *ascii; ascii++)
		u16(b, (uint8_t)*ascii);
	u16(b, 0);
}

static void stream_header(struct buf *b)
{
	put(b, "Nettrace", 8);
	u32(b, 20);
	put(b, "!FastSerialization.1", 20);
}

static void object_begin(struct buf *b, const char *type, uint32_t version)
{
	u8(b, 5);
	u8(b, 5);
	u8(b, 1);
	u32(b, version);
	u32(b, version);
	u32(b, (uint32_t)strlen(type));
	put(b, type, strlen(type));
	u8(b, 6);
}

static void trace_object(struct buf *b)
{
	object_begin(b, "Trace", 4);
	static const uint16_t when[8] = {2026, 12, 5, 4, 12, 0, 0, 0};
	for (int i = 0; i < 8; i++)
		u16(b, when[i]);
	u64(b, 1000);       /* QPC at sync */
	u64(b, 1000000000); /* frequency */
	u32(b, 8);          /* pointer size */
	u32(b, 4242);       /* pid */
	u32(b, 2);          /* processors */
	u32(b, 1000000);    /* sampling rate */
	u8(b, 6);
}

/* A block object: its size, padding to a 4-byte stream offset, the content, the end tag. */
static void block(struct buf *b, const char *type, const struct buf *content)
{
	object_begin(b, type, 2);
	u32(b, (uint32_t)content->n);
	while (b->n % 4)
		u8(b, 0);
	put(b, content->p, content->n);
	u8(b, 6);
}

static void block_header(struct buf *c, uint16_t flags)
{
	u16(c, 20);
	u16(c, flags);
	u64(c, 0);
	u64(c, 0);
}

/* A compressed event blob: all fields present. */
static void compressed_full(struct buf *c, uint32_t md_id, uint32_t seq_delta, uint64_t thread, uint64_t ts_delta,
			    const struct buf *payload)
{
	u8(c, 1 | 2 | 4 | 8 | 128);
	varu(c, md_id);
	varu(c, seq_delta);
	varu(c, thread); /* capture thread */
	varu(c, 1);      /* processor */
	varu(c, thread);
	varu(c, 0); /* stack id */
	varu(c, ts_delta);
	varu(c, payload->n);
	put(c, payload->p, payload->n);
}

/* A metadata record's header, before its field list. */
static void md_header(struct buf *m, uint32_t id, const char *provider, const char *name)
{
	u32(m, id);
	utf16z(m, provider);
	u32(m, 7);   /* event id */
	utf16z(m, name);
	u64(m, 0x2); /* keywords */
	u32(m, 1);   /* version */
	u32(m, 4);   /* level */
}

/* A MetadataBlock holding the records given (compressed headers, as the runtime writes them). */
static void metadata_block(struct buf *b, const struct buf *records, size_t count)
{
	struct buf c = {0};
	block_header(&c, 1);
	for (size_t i = 0; i < count; i++)
		compressed_full(&c, 0, 0, 0, 5, &records[i]);
	block(b, "MetadataBlock", &c);
	free(c.p);
}

/* What a test saw: the events' values as text lines, and the last error. */
struct seen {
	char text[8192];
	size_t n;
	int events;
	uint64_t sequences[8];
	uint64_t timestamps[8];
	uint64_t threads[8];
	const char *stop_after; /* event name after which the callback fails */
};

static void say(struct seen *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(s->text + s->n, sizeof(s->text) - s->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		s->n += (size_t)k < sizeof(s->text) - s->n ? (size_t)k : sizeof(s->text) - s->n - 1;
}

static struct clrsos_error *on_value(void *ctx, const struct clrsos_nettrace_value *v)
{
	struct seen *s = ctx;
	switch (v->field->type) {
	case CLRSOS_NETTRACE_STRING:
		say(s, " %s=\"%s\"", v->path, v->v.s);
		break;
	case CLRSOS_NETTRACE_DOUBLE:
	case CLRSOS_NETTRACE_SINGLE:
		say(s, " %s=%g", v->path, v->v.d);
		break;
	case CLRSOS_NETTRACE_UINT32:
	case CLRSOS_NETTRACE_UINT64:
		say(s, " %s=%llu", v->path, (unsigned long long)v->v.u);
		break;
	default:
		say(s, " %s=%lld", v->path, (long long)v->v.i);
		break;
	}
	return NULL;
}

static struct clrsos_error *on_event(void *ctx, const struct clrsos_nettrace_trace *trace,
				     const struct clrsos_nettrace_event *ev)
{
	struct seen *s = ctx;
	assert_int_equal(trace->process_id, 4242);
	assert_int_equal(trace->qpc_frequency, 1000000000);
	if (s->events < 8) {
		s->sequences[s->events] = ev->sequence;
		s->timestamps[s->events] = ev->timestamp;
		s->threads[s->events] = ev->thread;
	}
	s->events++;
	say(s, "%s/%s:", ev->metadata->provider, ev->metadata->event_name);
	if (ev->metadata->opcode)
		say(s, " opcode=%u", ev->metadata->opcode);
	struct clrsos_error *err = clrsos_nettrace_payload_walk(ev, on_value, s);
	if (err) {
		say(s, " walk error: %s", err->message);
		clrsos_error_destroy(err);
	}
	say(s, "\n");
	if (s->stop_after && !strcmp(ev->metadata->event_name, s->stop_after))
		return clrsos_error_create(CLRSOS_ERROR_INTERRUPTED, "stopped by the callback");
	return NULL;
}

/*
 * Read the stream whole and byte by byte; both must see the same. Returns
 * the error message (or NULL), in err_text.
 */
static void read_both(const struct buf *b, struct seen *seen, char *err_text, size_t err_size)
{
	struct seen again = {0};
	again.stop_after = seen->stop_after;
	char first_err[512] = "";
	for (int pass = 0; pass < 2; pass++) {
		struct seen *s = pass ? &again : seen;
		struct clrsos_nettrace_reader *r = clrsos_nettrace_reader_create(on_event, s);
		assert_non_null(r);
		struct clrsos_error *err = NULL;
		if (pass == 0) {
			err = clrsos_nettrace_feed(r, b->p, b->n);
		} else {
			for (size_t i = 0; i < b->n && !err; i++)
				err = clrsos_nettrace_feed(r, b->p + i, 1);
		}
		if (!err)
			err = clrsos_nettrace_finish(r);
		char *text = pass ? err_text : first_err;
		size_t size = pass ? err_size : sizeof(first_err);
		snprintf(text, size, "%s", err ? err->message : "");
		clrsos_error_destroy(err);
		clrsos_nettrace_reader_destroy(r);
	}
	assert_string_equal(first_err, err_text);
	assert_int_equal(seen->events, again.events);
	assert_string_equal(seen->text, again.text);
}

/* V1 fields: int32 A, string S, struct P { double D, struct Q { uint32 U } }. */
static void v1_fields(struct buf *m)
{
	u32(m, 3);
	u32(m, 9);
	utf16z(m, "A");
	u32(m, 18);
	utf16z(m, "S");
	u32(m, 1);       /* P: an object */
	u32(m, 2);
	u32(m, 14);
	utf16z(m, "D");
	u32(m, 1);       /* Q */
	u32(m, 1);
	u32(m, 10);
	utf16z(m, "U");
	utf16z(m, "Q");
	utf16z(m, "P");
}

static void v1_payload(struct buf *p, int32_t a, const char *s, double d, uint32_t u)
{
	u32(p, (uint32_t)a);
	utf16z(p, s);
	uint64_t bits;
	memcpy(&bits, &d, 8);
	u64(p, bits);
	u32(p, u);
}

static void test_compressed_events_carry_over(void **state)
{
	(void)state;
	struct buf b = {0}, md = {0}, c = {0}, p1 = {0}, p2 = {0};
	stream_header(&b);
	trace_object(&b);
	md_header(&md, 1, "Prov", "Ev");
	v1_fields(&md);
	metadata_block(&b, &md, 1);
	block_header(&c, 1);
	v1_payload(&p1, -5, "hello", 2.5, 7);
	compressed_full(&c, 1, 0, 77, 100, &p1);
	/* Only the timestamp and the payload size: the rest carries over, the sequence number increments. */
	v1_payload(&p2, 6, "x", -1, 8);
	u8(&c, 128);
	varu(&c, 10);
	varu(&c, p2.n);
	put(&c, p2.p, p2.n);
	/* The same size again: not even that. */
	u8(&c, 0);
	varu(&c, 3);
	put(&c, p2.p, p2.n);
	block(&b, "EventBlock", &c);
	u8(&b, 1);

	struct seen s = {0};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(s.events, 3);
	assert_string_equal(s.text, "Prov/Ev: A=-5 S=\"hello\" P.D=2.5 P.Q.U=7\n"
				    "Prov/Ev: A=6 S=\"x\" P.D=-1 P.Q.U=8\n"
				    "Prov/Ev: A=6 S=\"x\" P.D=-1 P.Q.U=8\n");
	assert_int_equal(s.sequences[0], 1);
	assert_int_equal(s.sequences[1], 2);
	assert_int_equal(s.sequences[2], 3);
	assert_int_equal(s.timestamps[0], 100);
	assert_int_equal(s.timestamps[1], 110);
	assert_int_equal(s.timestamps[2], 113);
	assert_int_equal(s.threads[2], 77);
	free(b.p);
	free(md.p);
	free(c.p);
	free(p1.p);
	free(p2.p);
}

static void test_uncompressed_events(void **state)
{
	(void)state;
	struct buf b = {0}, md = {0}, c = {0}, p = {0};
	stream_header(&b);
	trace_object(&b);
	md_header(&md, 3, "Prov", "Plain");
	v1_fields(&md);
	metadata_block(&b, &md, 1);
	block_header(&c, 0);
	v1_payload(&p, 42, "abc", 0.5, 1);
	for (int i = 0; i < 2; i++) {
		uint32_t size = 76 + (uint32_t)p.n;
		uint32_t aligned = (size + 3) & ~3u;
		u32(&c, aligned);
		u32(&c, 3 | (i ? 0x80000000u : 0)); /* the high bit: not sorted */
		u32(&c, 10 + (uint32_t)i);        /* sequence */
		u64(&c, 5);                         /* thread */
		u64(&c, 5);                         /* capture thread */
		u32(&c, 0);                         /* processor */
		u32(&c, 0);                         /* stack */
		u64(&c, 2000 + (uint64_t)i);        /* timestamp */
		for (int k = 0; k < 32; k++)
			u8(&c, 0);
		u32(&c, (uint32_t)p.n);
		put(&c, p.p, p.n);
		for (uint32_t k = size; k < aligned; k++)
			u8(&c, 0);
	}
	block(&b, "EventBlock", &c);
	u8(&b, 1);
	struct seen s = {0};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(s.events, 2);
	assert_int_equal(s.sequences[1], 11);
	assert_int_equal(s.timestamps[1], 2001);
	assert_string_equal(s.text, "Prov/Plain: A=42 S=\"abc\" P.D=0.5 P.Q.U=1\nProv/Plain: A=42 S=\"abc\" P.D=0.5 P.Q.U=1\n");
	free(b.p);
	free(md.p);
	free(c.p);
	free(p.p);
}

/* A V2 field: size (counting itself), name, type code, then the type's rest. */
static void v2_field(struct buf *m, const char *name, const struct buf *type)
{
	u32(m, (uint32_t)(4 + 2 * (strlen(name) + 1) + type->n));
	utf16z(m, name);
	put(m, type->p, type->n);
}

static void test_v2_arrays_and_opcode(void **state)
{
	(void)state;
	struct buf b = {0}, md = {0}, tag = {0}, t1 = {0}, t2 = {0}, pt = {0}, c = {0}, p = {0};
	stream_header(&b);
	trace_object(&b);
	md_header(&md, 1, "Prov", "Arrays");
	u32(&md, 0); /* an empty V1 list */
	/* OpCode tag */
	u32(&md, 1);
	u8(&md, 1);
	u8(&md, 9);
	/* V2Params: Nums int32[], Pts struct { int16 X, int16 Y }[] */
	u32(&tag, 2);
	u32(&t1, 19);
	u32(&t1, 9);
	v2_field(&tag, "Nums", &t1);
	struct buf x = {0}, y = {0};
	u32(&x, 7);
	u32(&y, 7);
	u32(&t2, 19);
	u32(&t2, 1);
	u32(&t2, 2);
	v2_field(&t2, "X", &x);
	v2_field(&t2, "Y", &y);
	v2_field(&tag, "Pts", &t2);
	u32(&md, (uint32_t)tag.n);
	u8(&md, 2);
	put(&md, tag.p, tag.n);
	metadata_block(&b, &md, 1);

	block_header(&c, 1);
	u16(&p, 3);
	u32(&p, 1);
	u32(&p, 2);
	u32(&p, 3);
	u16(&p, 2);
	u16(&p, 10);
	u16(&p, (uint16_t)-20);
	u16(&p, 30);
	u16(&p, 40);
	compressed_full(&c, 1, 0, 1, 1, &p);
	block(&b, "EventBlock", &c);
	u8(&b, 1);

	struct seen s = {0};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, "");
	assert_string_equal(s.text, "Prov/Arrays: opcode=9 Nums[0]=1 Nums[1]=2 Nums[2]=3 Pts[0].X=10 Pts[0].Y=-20 Pts[1].X=30 Pts[1].Y=40\n");

	free(b.p);
	free(md.p);
	free(tag.p);
	free(t1.p);
	free(t2.p);
	free(pt.p);
	free(c.p);
	free(p.p);
	free(x.p);
	free(y.p);
}

static struct clrsos_error *find_in_event(void *ctx, const struct clrsos_nettrace_trace *trace,
					  const struct clrsos_nettrace_event *ev)
{
	(void)trace;
	int *checked = ctx;
	struct clrsos_nettrace_value v;
	char *s;
	assert_null(clrsos_nettrace_payload_find(ev, "P.Q.U", &v, &s));
	assert_int_equal(v.v.u, 7);
	assert_null(s);
	assert_null(clrsos_nettrace_payload_find(ev, "S", &v, &s));
	assert_string_equal(s, "hello");
	assert_ptr_equal(v.v.s, s);
	free(s);
	assert_null(clrsos_nettrace_payload_find(ev, "P.D", &v, NULL));
	assert_true(v.v.d == 2.5);
	struct clrsos_error *err = clrsos_nettrace_payload_find(ev, "P.Nope", &v, &s);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "no field P.Nope in Prov/Ev"));
	clrsos_error_destroy(err);
	err = clrsos_nettrace_payload_find(ev, "P", &v, &s); /* a struct is no scalar */
	assert_non_null(err);
	clrsos_error_destroy(err);
	(*checked)++;
	return NULL;
}

static void test_payload_find(void **state)
{
	(void)state;
	struct buf b = {0}, md = {0}, c = {0}, p = {0};
	stream_header(&b);
	trace_object(&b);
	md_header(&md, 1, "Prov", "Ev");
	v1_fields(&md);
	metadata_block(&b, &md, 1);
	block_header(&c, 1);
	v1_payload(&p, -5, "hello", 2.5, 7);
	compressed_full(&c, 1, 0, 1, 1, &p);
	block(&b, "EventBlock", &c);
	int checked = 0;
	struct clrsos_nettrace_reader *r = clrsos_nettrace_reader_create(find_in_event, &checked);
	assert_null(clrsos_nettrace_feed(r, b.p, b.n));
	assert_null(clrsos_nettrace_finish(r)); /* a whole object, no end tag: a live session may end so */
	assert_false(clrsos_nettrace_ended(r));
	assert_int_equal(checked, 1);
	clrsos_nettrace_reader_destroy(r);
	free(b.p);
	free(md.p);
	free(c.p);
	free(p.p);
}

/* A stream with one metadata record (fields as given) and one event of it (payload as given). */
static void one_event_stream(struct buf *b, const struct buf *fields, const struct buf *payload, uint32_t event_md)
{
	struct buf md = {0}, c = {0};
	stream_header(b);
	trace_object(b);
	md_header(&md, 1, "Prov", "Ev");
	put(&md, fields->p, fields->n);
	metadata_block(b, &md, 1);
	block_header(&c, 1);
	compressed_full(&c, event_md, 0, 1, 1, payload);
	block(b, "EventBlock", &c);
	u8(b, 1);
	free(md.p);
	free(c.p);
}

static void test_nesting_too_deep(void **state)
{
	(void)state;
	struct buf f = {0}, p = {0}, b = {0};
	/* 12 structs in each other: more than CLRSOS_NETTRACE_MAX_DEPTH. */
	u32(&f, 1);
	for (int i = 0; i < 12; i++) {
		u32(&f, 1);
		u32(&f, 1);
	}
	u32(&f, 9);
	for (int i = 0; i < 13; i++)
		utf16z(&f, "n");
	u32(&p, 1);
	one_event_stream(&b, &f, &p, 1);
	struct seen s = {0};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, ""); /* the stream reads on */
	assert_int_equal(s.events, 1);
	assert_non_null(strstr(s.text, "walk error"));
	assert_non_null(strstr(s.text, "nested too deep at offset"));
	free(f.p);
	free(p.p);
	free(b.p);
}

static void test_unknown_metadata_id(void **state)
{
	(void)state;
	struct buf f = {0}, p = {0}, b = {0};
	u32(&f, 0);
	one_event_stream(&b, &f, &p, 7);
	struct seen s = {0};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_non_null(strstr(err, "metadata id 7, which the stream has not defined at offset"));
	assert_int_equal(s.events, 0);
	free(f.p);
	free(p.p);
	free(b.p);
}

static void test_unknown_type_code_and_absurd_counts(void **state)
{
	(void)state;
	struct buf f = {0}, p = {0}, b = {0};
	u32(&f, 1);
	u32(&f, 99);
	utf16z(&f, "x");
	u32(&p, 1);
	one_event_stream(&b, &f, &p, 1);
	struct seen s = {0};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, "");
	assert_non_null(strstr(s.text, "unknown type code 99"));
	free(f.p);
	free(b.p);

	struct buf f2 = {0}, b2 = {0};
	u32(&f2, 0xffffffffu); /* four billion fields */
	one_event_stream(&b2, &f2, &p, 1);
	struct seen s2 = {0};
	read_both(&b2, &s2, err, sizeof(err));
	assert_string_equal(err, "");
	assert_non_null(strstr(s2.text, "more field descriptions than clrsos reads"));
	free(f2.p);
	free(b2.p);
	free(p.p);
}

static void test_array_longer_than_payload(void **state)
{
	(void)state;
	struct buf f = {0}, tag = {0}, t = {0}, p = {0}, b = {0};
	u32(&f, 0);
	u32(&tag, 1);
	u32(&t, 19);
	u32(&t, 12);
	v2_field(&tag, "Big", &t);
	u32(&f, (uint32_t)tag.n);
	u8(&f, 2);
	put(&f, tag.p, tag.n);
	u16(&p, 65535); /* and one element */
	u64(&p, 1);
	one_event_stream(&b, &f, &p, 1);
	struct seen s = {0};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, "");
	assert_non_null(strstr(s.text, "Big[0]=1 walk error"));
	assert_non_null(strstr(s.text, "ends inside field Big[1]"));
	free(f.p);
	free(tag.p);
	free(t.p);
	free(p.p);
	free(b.p);
}

static void test_absurd_sizes(void **state)
{
	(void)state;
	char err[512];
	/* A block of 2 GB. */
	struct buf b = {0};
	stream_header(&b);
	trace_object(&b);
	object_begin(&b, "EventBlock", 2);
	u32(&b, 0x7fffffff);
	struct seen s = {0};
	read_both(&b, &s, err, sizeof(err));
	assert_non_null(strstr(err, "block size out of range at offset"));
	free(b.p);

	/* A payload bigger than its block. */
	struct buf b2 = {0}, f = {0}, md = {0}, c = {0};
	stream_header(&b2);
	trace_object(&b2);
	md_header(&md, 1, "Prov", "Ev");
	u32(&md, 0);
	metadata_block(&b2, &md, 1);
	block_header(&c, 1);
	u8(&c, 1 | 128);
	varu(&c, 1);
	varu(&c, 5); /* timestamp */
	varu(&c, 0xffffffffu);
	block(&b2, "EventBlock", &c);
	struct seen s2 = {0};
	read_both(&b2, &s2, err, sizeof(err));
	assert_non_null(strstr(err, "payload past the end of its block at offset"));
	free(b2.p);
	free(f.p);
	free(md.p);
	free(c.p);

	/* A varint of eleven bytes. */
	struct buf b3 = {0}, c3 = {0};
	stream_header(&b3);
	trace_object(&b3);
	block_header(&c3, 1);
	u8(&c3, 1);
	for (int i = 0; i < 11; i++)
		u8(&c3, 0xff);
	block(&b3, "MetadataBlock", &c3);
	struct seen s3 = {0};
	read_both(&b3, &s3, err, sizeof(err));
	assert_non_null(strstr(err, "bad metadata id in an event header at offset"));
	free(b3.p);
	free(c3.p);

	/* A type name of a megabyte. */
	struct buf b4 = {0};
	stream_header(&b4);
	u8(&b4, 5);
	u8(&b4, 5);
	u8(&b4, 1);
	u32(&b4, 4);
	u32(&b4, 4);
	u32(&b4, 1 << 20);
	struct seen s4 = {0};
	read_both(&b4, &s4, err, sizeof(err));
	assert_non_null(strstr(err, "type name length out of range at offset 43"));
	free(b4.p);
}

static void test_stack_and_sequence_point_blocks(void **state)
{
	(void)state;
	char err[512];
	struct buf b = {0}, st = {0}, sp = {0};
	stream_header(&b);
	trace_object(&b);
	u32(&st, 1);
	u32(&st, 2);
	u32(&st, 16);
	u64(&st, 0x1000);
	u64(&st, 0x2000);
	u32(&st, 0);
	block(&b, "StackBlock", &st);
	u64(&sp, 123);
	u32(&sp, 1);
	u64(&sp, 77);
	u32(&sp, 5);
	block(&b, "SPBlock", &sp);
	u8(&b, 1);
	struct seen s = {0};
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, "");

	/* A thread count that does not match the size. */
	struct buf b2 = {0}, sp2 = {0};
	stream_header(&b2);
	trace_object(&b2);
	u64(&sp2, 123);
	u32(&sp2, 1000);
	block(&b2, "SPBlock", &sp2);
	struct seen s2 = {0};
	read_both(&b2, &s2, err, sizeof(err));
	assert_non_null(strstr(err, "thread count does not match its size at offset"));

	/* A stack longer than its block. */
	struct buf b3 = {0}, st3 = {0};
	stream_header(&b3);
	trace_object(&b3);
	u32(&st3, 1);
	u32(&st3, 1);
	u32(&st3, 4096);
	block(&b3, "StackBlock", &st3);
	struct seen s3 = {0};
	read_both(&b3, &s3, err, sizeof(err));
	assert_non_null(strstr(err, "stack size out of range at offset"));
	free(b.p);
	free(st.p);
	free(sp.p);
	free(b2.p);
	free(sp2.p);
	free(b3.p);
	free(st3.p);
}

static void test_cut_short_and_foreign(void **state)
{
	(void)state;
	char err[512];
	struct buf f = {0}, p = {0}, b = {0};
	u32(&f, 0);
	one_event_stream(&b, &f, &p, 1);
	/* Every cut inside the last block ends in "cut short"; a cut just before the end tag is fine. */
	for (size_t cut = 50; cut < b.n; cut++) {
		struct buf part = {b.p, cut, cut};
		struct seen s = {0};
		read_both(&part, &s, err, sizeof(err));
		if (cut == b.n - 1)
			assert_string_equal(err, "");
		else if (cut < 32 + 70) /* the header, then the Trace object's 70 bytes */
			assert_non_null(strstr(err, "before its header and Trace object"));
		else
			assert_true(strstr(err, "cut short") || !*err);
	}
	struct buf empty = {(uint8_t *)"", 0, 0};
	struct seen s = {0};
	read_both(&empty, &s, err, sizeof(err));
	assert_non_null(strstr(err, "before its header"));
	struct buf elf = {(uint8_t *)"\177ELF\2\1\1", 7, 7};
	read_both(&elf, &s, err, sizeof(err));
	assert_non_null(strstr(err, "no \"Nettrace\" magic at offset 0"));
	/* The V6 stream header: Nettrace, reserved 0, major 6, minor 0. */
	struct buf v6 = {0};
	put(&v6, "Nettrace", 8);
	u32(&v6, 0);
	u32(&v6, 6);
	u32(&v6, 0);
	read_both(&v6, &s, err, sizeof(err));
	assert_non_null(strstr(err, "format version 6"));
	/* Bytes after the end tag. */
	u8(&b, 0);
	read_both(&b, &s, err, sizeof(err));
	assert_non_null(strstr(err, "data after the end tag"));
	free(f.p);
	free(p.p);
	free(b.p);
	free(v6.p);
}

static void test_callback_error_stops(void **state)
{
	(void)state;
	struct buf b = {0}, md = {0}, c = {0}, p = {0};
	stream_header(&b);
	trace_object(&b);
	md_header(&md, 1, "Prov", "Ev");
	u32(&md, 0);
	metadata_block(&b, &md, 1);
	block_header(&c, 1);
	compressed_full(&c, 1, 0, 1, 1, &p);
	u8(&c, 0);
	varu(&c, 1);
	block(&b, "EventBlock", &c);
	struct seen s = {.stop_after = "Ev"};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, "stopped by the callback");
	assert_int_equal(s.events, 1);
	free(b.p);
	free(md.p);
	free(c.p);
}

static void test_redefined_metadata_and_strings(void **state)
{
	(void)state;
	struct buf b = {0}, md[2] = {{0}}, c = {0}, p = {0};
	stream_header(&b);
	trace_object(&b);
	md_header(&md[0], 1, "Prov", "Old");
	u32(&md[0], 0);
	md_header(&md[1], 1, "Prov", "New");
	u32(&md[1], 1);
	u32(&md[1], 18);
	utf16z(&md[1], "S");
	metadata_block(&b, md, 2);
	block_header(&c, 1);
	/* "é😀" then an unpaired surrogate: UTF-8, with U+FFFD for the lone half. */
	u16(&p, 0xe9);
	u16(&p, 0xd83d);
	u16(&p, 0xde00);
	u16(&p, 0xd800);
	u16(&p, 0);
	compressed_full(&c, 1, 0, 1, 1, &p);
	block(&b, "EventBlock", &c);
	struct seen s = {0};
	char err[512];
	read_both(&b, &s, err, sizeof(err));
	assert_string_equal(err, "");
	assert_string_equal(s.text, "Prov/New: S=\"\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd\"\n");
	free(b.p);
	free(md[0].p);
	free(md[1].p);
	free(c.p);
	free(p.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compressed_events_carry_over),
		cmocka_unit_test(test_uncompressed_events),
		cmocka_unit_test(test_v2_arrays_and_opcode),
		cmocka_unit_test(test_payload_find),
		cmocka_unit_test(test_nesting_too_deep),
		cmocka_unit_test(test_unknown_metadata_id),
		cmocka_unit_test(test_unknown_type_code_and_absurd_counts),
		cmocka_unit_test(test_array_longer_than_payload),
		cmocka_unit_test(test_absurd_sizes),
		cmocka_unit_test(test_stack_and_sequence_point_blocks),
		cmocka_unit_test(test_cut_short_and_foreign),
		cmocka_unit_test(test_callback_error_stops),
		cmocka_unit_test(test_redefined_metadata_and_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
