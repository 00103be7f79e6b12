/*
 * The nettrace reader (tool/diag/nettrace.c) on any bytes: the input after
 * its first byte is a stream, fed once whole and once in pieces whose
 * sizes the first byte seeds. Every event's payload is walked and a few
 * fields are looked up. Both feedings must agree on every event, value and
 * error (a split never changes what is read), and every error must be one
 * line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag/nettrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over everything seen, so that two readings can be compared. */
struct digest {
	uint64_t h;
	size_t events;
};

static void mix(struct digest *d, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		d->h ^= b[i];
		d->h *= 0x100000001b3ull;
	}
}

static void mix_text(struct digest *d, const char *s)
{
	mix(d, s, strlen(s) + 1);
}

static void check_error(struct clrsos_error *err)
{
	if (err && err->message && strchr(err->message, '\n'))
		abort(); /* errors are one line */
}

static struct clrsos_error *on_value(void *ctx, const struct clrsos_nettrace_value *v)
{
	struct digest *d = ctx;
	mix_text(d, v->path);
	if (v->field->type == CLRSOS_NETTRACE_STRING)
		mix_text(d, v->v.s);
	else
		mix(d, &v->v, sizeof(v->v));
	return NULL;
}

static struct clrsos_error *on_event(void *ctx, const struct clrsos_nettrace_trace *trace,
				     const struct clrsos_nettrace_event *ev)
{
	struct digest *d = ctx;
	d->events++;
	mix(d, &trace->qpc_sync, sizeof(trace->qpc_sync));
	mix_text(d, ev->metadata->provider);
	mix_text(d, ev->metadata->event_name);
	mix(d, &ev->sequence, sizeof(ev->sequence));
	mix(d, &ev->timestamp, sizeof(ev->timestamp));
	mix(d, &ev->offset, sizeof(ev->offset));
	mix(d, ev->payload, ev->payload_size);
	struct clrsos_error *err = clrsos_nettrace_payload_walk(ev, on_value, d);
	check_error(err);
	if (err)
		mix_text(d, err->message);
	clrsos_error_destroy(err);
	static const char *const paths[] = {"Payload.Name", "Payload.Mean", "instrumentName", "value", "Nums[0]"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct clrsos_nettrace_value v;
		char *s;
		err = clrsos_nettrace_payload_find(ev, paths[i], &v, &s);
		check_error(err);
		if (!err && s)
			mix_text(d, s);
		free(s);
		clrsos_error_destroy(err);
	}
	return NULL;
}

static void read_stream(const uint8_t *data, size_t size, unsigned seed, struct digest *d)
{
	struct clrsos_nettrace_reader *r = clrsos_nettrace_reader_create(on_event, d);
	if (!r)
		abort();
	struct clrsos_error *err = NULL;
	uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t pos = 0; pos < size && !err;) {
		size_t piece = size - pos;
		if (seed) {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			size_t max = (state & 3) ? 16 : 4096;
			piece = 1 + (size_t)(state >> 8) % max;
			if (piece > size - pos)
				piece = size - pos;
		}
		err = clrsos_nettrace_feed(r, data + pos, piece);
		pos += piece;
	}
	if (!err)
		err = clrsos_nettrace_finish(r);
	check_error(err);
	if (err)
		mix_text(d, err->message);
	uint64_t offset = clrsos_nettrace_offset(r);
	mix(d, &offset, sizeof(offset));
	clrsos_error_destroy(err);
	clrsos_nettrace_reader_destroy(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct digest whole = {0xcbf29ce484222325ull, 0}, pieces = {0xcbf29ce484222325ull, 0};
	read_stream(data + 1, size - 1, 0, &whole);
	read_stream(data + 1, size - 1, data[0] | 1u, &pieces);
	if (whole.h != pieces.h || whole.events != pieces.events)
		abort(); /* the split changed what was read */
	return 0;
}
