/*
 * Navigating the heap around one object: listnearobj (SOS's ListNearObj:
 * the objects before, at and after an address, and whether the heap is
 * locally consistent there) and pathto (SOS's PathTo: a shortest chain of
 * references from one object to another).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/objsize.h"
#include "commands.h"
#include "model/heap.h"
#include "rootcmds.h"

/* ------------------------------------------------------------ listnearobj */

struct one_address {
	const char *command;
	bool json, have;
	uint64_t address;
};

static struct clrsos_error *one_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct one_address *o = ctx;
	struct clrsos_error *err = clrsos_address_operand(o->command, host, arg, &o->have, &o->address);
	return err ? clrsos_error_wrap(err, o->command) : NULL;
}

static void size_text(uint64_t size, char *buf, size_t len)
{
	char n[32];
	clrsos_format_thousands(size, n, sizeof(n));
	snprintf(buf, len, "%s (0x%" PRIx64 ")", n, size);
}

static void near_row(struct clrsos_writer *out, const char *which, const struct clrsos_heap_near_object *o,
		     struct clrsos_types *types)
{
	struct clrsos_name_buf nb;
	char size[64];
	size_text(o->size, size, sizeof(size));
	clrsos_outf(out, "%-9s %016" PRIx64 " %-32s %s\n", which, o->address, size,
		    clrsos_safe_name(clrsos_types_name(types, o->type), &nb));
}

static void near_json_object(struct clrsos_json *j, const char *key, bool has,
			     const struct clrsos_heap_near_object *o, struct clrsos_types *types)
{
	clrsos_json_key(j, key);
	if (!has) {
		clrsos_json_null(j);
		return;
	}
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "address");
	clrsos_json_address(j, o->address);
	clrsos_json_key(j, "size");
	clrsos_json_uint(j, o->size);
	clrsos_json_key(j, "mt");
	clrsos_json_address(j, o->type->mt);
	clrsos_json_key(j, "type");
	clrsos_json_string(j, clrsos_types_name(types, o->type));
	clrsos_json_object_end(j);
}

struct clrsos_error *clrsos_cmd_listnearobj(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					    const char *const *argv, struct clrsos_writer *out)
{
	struct one_address o = {.command = "listnearobj"};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
	};
	const struct clrsos_options spec = {
		.command = "listnearobj",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = one_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o.have)
		err = clrsos_address_missing("listnearobj", "an address on the GC heap");
	if (err)
		return err;
	struct clrsos_heap *heap;
	if ((err = clrsos_session_heap(session, &heap)))
		return err;
	struct clrsos_heap_near n;
	if ((err = clrsos_heap_near(heap, o.address, &n)))
		return clrsos_error_wrap(err, "listnearobj");
	struct clrsos_types *types = clrsos_heap_types(heap);
	if (o.json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, n.address);
		clrsos_json_key(&j, "segment");
		clrsos_json_address(&j, n.segment->address);
		near_json_object(&j, "before", n.has_prev, &n.prev, types);
		near_json_object(&j, "current", n.has_current, &n.current, types);
		near_json_object(&j, "next", n.has_next, &n.next, types);
		clrsos_json_key(&j, "gap");
		if (n.has_gap) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "start");
			clrsos_json_address(&j, n.gap_start);
			clrsos_json_key(&j, "end");
			clrsos_json_address(&j, n.gap_end);
			clrsos_json_object_end(&j);
		} else {
			clrsos_json_null(&j);
		}
		clrsos_json_key(&j, "lastOnSegment");
		clrsos_json_bool(&j, n.last_on_segment);
		clrsos_json_key(&j, "consistent");
		clrsos_json_bool(&j, n.consistent);
		if (!n.consistent) {
			clrsos_json_key(&j, "badAt");
			clrsos_json_address(&j, n.bad_at);
		}
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
		return NULL;
	}
	if (!n.has_prev)
		clrsos_outf(out, "Address %" PRIx64 " is %s the first object on the segment.\n", n.address,
			    n.has_current ? "" : "before");
	if (n.has_prev)
		near_row(out, "Before:", &n.prev, types);
	if (n.has_gap && !n.has_next) {
		char size[64];
		size_text(n.gap_end - n.gap_start, size, sizeof(size));
		clrsos_outf(out, "%-9s %" PRIx64 "-%" PRIx64 " %-32s %s\n", "Gap:", n.gap_start, n.gap_end, size,
			    "GC Allocation Context (expected gap in the heap)");
	}
	if (n.has_current)
		near_row(out, "Current:", &n.current, types);
	if (n.has_gap && n.has_next) {
		char size[64];
		size_text(n.gap_end - n.gap_start, size, sizeof(size));
		clrsos_outf(out, "%-9s %" PRIx64 "-%" PRIx64 " %-32s %s\n", "Gap:", n.gap_start, n.gap_end, size,
			    "GC Allocation Context (expected gap in the heap)");
	}
	if (n.has_next)
		near_row(out, "Next:", &n.next, types);
	if (n.last_on_segment)
		clrsos_outf(out, "%" PRIx64 " is the last object on the segment\n",
			    n.has_current ? n.current.address : n.prev.address);
	if (!n.consistent)
		clrsos_outf(out, "Error: no valid object at %" PRIx64 "\n", n.bad_at);
	clrsos_outf(out, "Heap local consistency %s.\n", n.consistent ? "confirmed" : "not confirmed");
	return NULL;
}

/* ----------------------------------------------------------------- pathto */

struct pathto_options {
	bool json;
	int have;
	uint64_t addresses[2];
};

static struct clrsos_error *pathto_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	struct pathto_options *o = ctx;
	if (index >= 2)
		return clrsos_unexpected_argument("pathto", arg);
	struct clrsos_error *err = clrsos_parse_address(host, arg, &o->addresses[index]);
	if (err)
		return clrsos_error_wrap(err, "pathto");
	o->have = index + 1;
	return NULL;
}

struct clrsos_error *clrsos_cmd_pathto(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	struct pathto_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
	};
	const struct clrsos_options spec = {
		.command = "pathto",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = pathto_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (o.have < 2)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "pathto needs a source and a target object: pathto <source> <target>");
	struct clrsos_root_cmd c;
	if ((err = clrsos_root_cmd_init(&c, session)))
		return err;
	const struct clrsos_type *st, *tt;
	if ((err = clrsos_heap_object_at(c.heap, o.addresses[0], &st, NULL)))
		return clrsos_error_wrap(err, "pathto: source");
	if ((err = clrsos_heap_object_at(c.heap, o.addresses[1], &tt, NULL)))
		return clrsos_error_wrap(err, "pathto: target");
	uint64_t *chain;
	size_t n;
	if ((err = clrsos_objsize_path(c.heap, o.addresses[0], o.addresses[1], &chain, &n)))
		return err;
	/* Each link's type, before writing anything (a failure leaves no half answer). */
	const struct clrsos_type **types = n ? calloc(n, sizeof(*types)) : NULL;
	if (n && !types) {
		free(chain);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n && !err; i++)
		err = clrsos_root_cmd_type_of(&c, chain[i], &types[i], NULL);
	if (err) {
		free(chain);
		free(types);
		return err;
	}
	struct clrsos_name_buf nb;
	if (o.json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "source");
		clrsos_json_address(&j, o.addresses[0]);
		clrsos_json_key(&j, "target");
		clrsos_json_address(&j, o.addresses[1]);
		clrsos_json_key(&j, "found");
		clrsos_json_bool(&j, n > 0);
		clrsos_json_key(&j, "path");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < n; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, chain[i]);
			clrsos_json_key(&j, "type");
			if (types[i])
				clrsos_json_string(&j, clrsos_types_name(c.types, types[i]));
			else
				clrsos_json_null(&j);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (!n) {
		clrsos_outf(out, "Could not find a path from %" PRIx64 " to %" PRIx64 "\n", o.addresses[0],
			    o.addresses[1]);
	} else {
		/* gcroot's chain lines: the source first. */
		for (size_t i = 0; i < n; i++)
			clrsos_outf(out, "          -> %012" PRIx64 " %s\n", chain[i],
				    types[i] ? clrsos_safe_name(clrsos_types_name(c.types, types[i]), &nb) : "<unknown type>");
	}
	free(chain);
	free(types);
	return NULL;
}
