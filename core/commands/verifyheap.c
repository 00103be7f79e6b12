/*
 * verifyheap and verifyobj: SOS's VerifyHeap and VerifyObj. The checks
 * are analysis/verify.h's; here the options and SOS's layouts: a table of
 * errors (Segment Object Failure Reason; Heap first under server GC),
 * "N objects verified, M errors." and, clean, "No heap corruption
 * detected."; verifyobj "object 0x... is a valid object" or its table of
 * Offset Issue Description. A heap or object found corrupt is written out
 * whole and then fails the command (the status says "corrupt").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/verify.h"
#include "base/watch.h"
#include "commands.h"

enum { DEFAULT_MAX_ERRORS = 100 };

struct verifyheap_options {
	bool json, noprogress, ignore_gc_state, have_range, have_segment;
	uint64_t segment, max;
	const char *heap_text;
	struct clrsos_walk_filter filter;
};

static struct clrsos_error *range_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	struct verifyheap_options *o = ctx;
	uint64_t v;
	struct clrsos_error *err = clrsos_parse_address(host, arg, &v);
	if (err)
		return clrsos_error_wrap(err, "verifyheap");
	if (index == 0)
		o->filter.start = v;
	else
		o->filter.end = v;
	o->have_range = true;
	return NULL;
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct verifyheap_options *o)
{
	memset(o, 0, sizeof(*o));
	clrsos_walk_filter_init(&o->filter);
	o->max = DEFAULT_MAX_ERRORS;
	uint64_t heap = 0;
	bool have_heap = false;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-noprogress", &o->noprogress),
		CLRSOS_FLAG("-ignoreGCState", &o->ignore_gc_state, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_UINT("-heap", &heap, .given = &have_heap, .text = &o->heap_text, .max = INT32_MAX),
		CLRSOS_ADDRESS("-segment", &o->segment, .given = &o->have_segment),
		CLRSOS_UINT("--max", &o->max, .min = 1, .max = 10000000),
	};
	const struct clrsos_options spec = {
		.command = "verifyheap",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 2,
		.operand = range_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (have_heap)
		o->filter.heap = (int64_t)heap;
	if (o->have_range && o->filter.end <= o->filter.start)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "verifyheap: the range end 0x%" PRIx64 " must be above its start 0x%" PRIx64,
					   o->filter.end, o->filter.start);
	return NULL;
}

static struct clrsos_error *check_options(struct verifyheap_options *o, struct clrsos_heap *heap)
{
	const struct clrsos_gc *gc = clrsos_heap_gc(heap);
	if (o->filter.heap >= 0 && (uint64_t)o->filter.heap >= gc->nheaps)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "verifyheap -heap %s: there %s %u GC heap%s (0 to %u)",
					   o->heap_text, gc->nheaps == 1 ? "is" : "are", gc->nheaps,
					   gc->nheaps == 1 ? "" : "s", gc->nheaps - 1);
	if (o->have_segment) {
		for (size_t i = 0; i < gc->nsegments && !o->filter.segment; i++) {
			const struct clrsos_segment *s = &gc->segments[i];
			if (s->address == o->segment ||
			    (o->segment >= s->committed_start && o->segment < s->reserved_end))
				o->filter.segment = s;
		}
		if (!o->filter.segment)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "verifyheap -segment 0x%" PRIx64
						   ": no GC segment or region has this address; run eeheap -gc to list them",
						   o->segment);
	}
	return NULL;
}

/* SOS's reason for an error, one line. */
static void reason(const struct clrsos_corruption *c, char *buf, size_t size)
{
	char value[24] = "???";
	if (c->value_known)
		snprintf(value, sizeof(value), "%" PRIx64, c->value);
	switch (c->kind) {
	case CLRSOS_CORRUPTION_OBJECT_NOT_ON_THE_HEAP:
		snprintf(buf, size, "Tried to validate %" PRIx64 " but its address was not on any segment.",
			 c->object);
		break;
	case CLRSOS_CORRUPTION_OBJECT_NOT_POINTER_ALIGNED:
		snprintf(buf, size, "Object %" PRIx64 " is not pointer aligned", c->object);
		break;
	case CLRSOS_CORRUPTION_OBJECT_TOO_LARGE:
		snprintf(buf, size, "Object %" PRIx64 " is too large, size=%s, segmentEnd: %" PRIx64, c->object,
			 value, c->segment_end);
		break;
	case CLRSOS_CORRUPTION_INVALID_METHOD_TABLE:
		snprintf(buf, size, "Object %" PRIx64 " has an invalid method table %s", c->object, value);
		break;
	case CLRSOS_CORRUPTION_REFERENCE_NOT_POINTER_ALIGNED:
		snprintf(buf, size, "Object %" PRIx64 " has an unaligned member at offset %" PRIx64
			 ": is not pointer aligned", c->object, c->offset);
		break;
	case CLRSOS_CORRUPTION_INVALID_OBJECT_REFERENCE:
		snprintf(buf, size, "Object %" PRIx64 " has a bad member at offset %" PRIx64 ": %s", c->object,
			 c->offset, value);
		break;
	case CLRSOS_CORRUPTION_FREE_OBJECT_REFERENCE:
		snprintf(buf, size, "Object %" PRIx64 " contains free object at offset %" PRIx64 ": %s", c->object,
			 c->offset, value);
		break;
	case CLRSOS_CORRUPTION_COULD_NOT_READ_OBJECT:
		snprintf(buf, size, "Could not read object %" PRIx64 ": its memory is not in the target", c->object);
		break;
	case CLRSOS_CORRUPTION_COULD_NOT_READ_GCDESC:
		snprintf(buf, size, "Could not verify object %" PRIx64 ": could not read GCDesc of %s", c->object,
			 value);
		break;
	}
}

static void json_corruption(struct clrsos_json *j, const struct clrsos_corruption *c, bool offset)
{
	char text[256];
	reason(c, text, sizeof(text));
	clrsos_json_object_begin(j);
	if (c->segment) {
		clrsos_json_key(j, "heap");
		clrsos_json_uint(j, c->segment->heap);
		clrsos_json_key(j, "segment");
		clrsos_json_address(j, c->segment->address);
	}
	clrsos_json_key(j, "object");
	clrsos_json_address(j, c->object);
	if (offset || c->kind == CLRSOS_CORRUPTION_INVALID_OBJECT_REFERENCE ||
	    c->kind == CLRSOS_CORRUPTION_FREE_OBJECT_REFERENCE ||
	    c->kind == CLRSOS_CORRUPTION_REFERENCE_NOT_POINTER_ALIGNED) {
		clrsos_json_key(j, "offset");
		clrsos_json_uint(j, c->offset);
	}
	clrsos_json_key(j, "failure");
	clrsos_json_string(j, clrsos_corruption_kind_name(c->kind));
	if (c->value_known) {
		clrsos_json_key(j, "value");
		clrsos_json_address(j, c->value);
	}
	clrsos_json_key(j, "reason");
	clrsos_json_string(j, text);
	clrsos_json_object_end(j);
}

static void json_not_checked(struct clrsos_json *j, const struct clrsos_verify_result *r)
{
	clrsos_json_key(j, "notChecked");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < r->nnot_checked; i++)
		clrsos_json_string(j, r->not_checked[i]);
	clrsos_json_array_end(j);
}

static void render_heap_json(const struct clrsos_verify_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "objects");
	clrsos_json_uint(&j, r->objects);
	clrsos_json_key(&j, "references");
	clrsos_json_uint(&j, r->references);
	clrsos_json_key(&j, "errorCount");
	clrsos_json_uint(&j, r->error_count);
	clrsos_json_key(&j, "corrupt");
	clrsos_json_bool(&j, r->error_count > 0);
	clrsos_json_key(&j, "errors");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nerrors; i++)
		json_corruption(&j, &r->errors[i], false);
	clrsos_json_array_end(&j);
	json_not_checked(&j, r);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void render_heap_text(const struct clrsos_verify_result *r, bool server, struct clrsos_writer *out)
{
	char text[256], a[32], b[32];
	if (r->nerrors) {
		if (server)
			clrsos_outf(out, "%-4s %-16s %-16s %-32s %s\n", "Heap", "Segment", "Object", "Failure", "Reason");
		else
			clrsos_outf(out, "%-16s %-16s %-32s %s\n", "Segment", "Object", "Failure", "Reason");
	}
	for (size_t i = 0; i < r->nerrors; i++) {
		const struct clrsos_corruption *c = &r->errors[i];
		reason(c, text, sizeof(text));
		if (c->segment)
			clrsos_format_pointer(c->segment->address, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "???");
		clrsos_format_pointer(c->object, b, sizeof(b));
		if (server) {
			char h[16] = "???";
			if (c->segment)
				snprintf(h, sizeof(h), "%u", c->segment->heap);
			clrsos_outf(out, "%-4s ", h);
		}
		clrsos_outf(out, "%-16s %-16s %-32s %s\n", a, b, clrsos_corruption_kind_name(c->kind), text);
	}
	if (r->nerrors < r->error_count) {
		clrsos_format_thousands(r->error_count, a, sizeof(a));
		clrsos_outf(out, "(the first %zu of %s errors; verifyheap --max <n> lists more)\n", r->nerrors, a);
	}
	if (r->error_count)
		clrsos_out(out, "\n");
	for (size_t i = 0; i < r->nnot_checked; i++)
		clrsos_outf(out, "Note: %s.\n", r->not_checked[i]);
	clrsos_format_thousands(r->objects, a, sizeof(a));
	clrsos_format_thousands(r->error_count, b, sizeof(b));
	clrsos_outf(out, "%s objects verified, %s error%s.\n", a, b, r->error_count == 1 ? "" : "s");
	if (!r->error_count)
		clrsos_out(out, "No heap corruption detected.\n");
}

/* The failure after a corrupt heap's list: the count and the first error's place. */
static struct clrsos_error *corrupt(const char *command, const struct clrsos_verify_result *r)
{
	if (!r->nerrors)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "%s: the GC heap is corrupt: %" PRIu64 " error%s found",
					   command, r->error_count, r->error_count == 1 ? "" : "s");
	return clrsos_error_create(CLRSOS_ERROR_OTHER,
				   "%s: the GC heap is corrupt: %" PRIu64 " error%s found, the first at 0x%" PRIx64 " (%s)",
				   command, r->error_count, r->error_count == 1 ? "" : "s", r->errors[0].object,
				   clrsos_corruption_kind_name(r->errors[0].kind));
}

struct clrsos_error *clrsos_cmd_verifyheap(struct clrsos_session *session, const struct clrsos_host *host,
					   int argc, const char *const *argv, struct clrsos_writer *out)
{
	struct verifyheap_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct clrsos_heap *heap;
	if ((err = clrsos_session_heap(session, &heap)))
		return err;
	if ((err = check_options(&o, heap)))
		return err;
	struct clrsos_watch *watch = clrsos_session_watch(session);
	if (watch && (o.noprogress || o.json))
		watch->quiet = true;
	clrsos_heap_set_ignore_gc_state(heap, o.ignore_gc_state);
	struct clrsos_verify_result r;
	err = clrsos_verify_heap(heap, &o.filter, (size_t)o.max, clrsos_watch_heap_progress, watch, &r);
	clrsos_heap_set_ignore_gc_state(heap, false);
	if (err) {
		clrsos_verify_result_deinit(&r);
		return clrsos_error_wrap(err, "verifyheap");
	}
	if (o.json)
		render_heap_json(&r, out);
	else
		render_heap_text(&r, clrsos_heap_gc(heap)->server, out);
	err = r.error_count ? corrupt("verifyheap", &r) : NULL;
	clrsos_verify_result_deinit(&r);
	return err;
}

struct verifyobj_options {
	bool json, have;
	uint64_t address;
};

static struct clrsos_error *object_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct verifyobj_options *o = ctx;
	struct clrsos_error *err = clrsos_address_operand("verifyobj", host, arg, &o->have, &o->address);
	return err ? clrsos_error_wrap(err, "verifyobj") : NULL;
}

static void render_obj_text(uint64_t address, const struct clrsos_verify_result *r, struct clrsos_writer *out)
{
	if (!r->error_count) {
		clrsos_outf(out, "object 0x%" PRIx64 " is a valid object\n", address);
		return;
	}
	char text[256], a[32];
	clrsos_outf(out, "%-8s %-32s %s\n", "Offset", "Issue", "Description");
	for (size_t i = 0; i < r->nerrors; i++) {
		const struct clrsos_corruption *c = &r->errors[i];
		reason(c, text, sizeof(text));
		snprintf(a, sizeof(a), "%" PRIx64, c->offset);
		clrsos_outf(out, "%-8s %-32s %s\n", a, clrsos_corruption_kind_name(c->kind), text);
	}
	clrsos_format_thousands(r->error_count, a, sizeof(a));
	clrsos_outf(out, "\n%s error%s  detected.\n", a, r->error_count == 1 ? "" : "s");
}

static void render_obj_json(uint64_t address, const struct clrsos_verify_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, address);
	clrsos_json_key(&j, "valid");
	clrsos_json_bool(&j, r->error_count == 0);
	clrsos_json_key(&j, "references");
	clrsos_json_uint(&j, r->references);
	clrsos_json_key(&j, "errorCount");
	clrsos_json_uint(&j, r->error_count);
	clrsos_json_key(&j, "errors");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nerrors; i++)
		json_corruption(&j, &r->errors[i], true);
	clrsos_json_array_end(&j);
	json_not_checked(&j, r);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_verifyobj(struct clrsos_session *session, const struct clrsos_host *host,
					  int argc, const char *const *argv, struct clrsos_writer *out)
{
	struct verifyobj_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
	};
	const struct clrsos_options spec = {
		.command = "verifyobj",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1, /* a second address is refused by object_operand */
		.operand = object_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o.have)
		err = clrsos_address_missing("verifyobj", "an object");
	if (err)
		return err;
	struct clrsos_heap *heap;
	if ((err = clrsos_session_heap(session, &heap)))
		return err;
	struct clrsos_verify_result r;
	err = clrsos_verify_object(heap, o.address, &r);
	if (err) {
		clrsos_verify_result_deinit(&r);
		return clrsos_error_wrap(err, "verifyobj");
	}
	if (o.json)
		render_obj_json(o.address, &r, out);
	else
		render_obj_text(o.address, &r, out);
	err = r.error_count ? clrsos_error_create(CLRSOS_ERROR_OTHER,
						  "verifyobj: the object at 0x%" PRIx64 " is corrupt: %" PRIu64
						  " error%s found", o.address, r.error_count,
						  r.error_count == 1 ? "" : "s")
			    : NULL;
	clrsos_verify_result_deinit(&r);
	return err;
}
