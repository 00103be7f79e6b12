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
#include "analysis/reach.h"
#include "base/vector.h"
#include "commands.h"
#include "model/handletable.h"
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
	return err ? clrsos_error_wrap(err, "%s", o->command) : NULL;
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
		clrsos_outf(out, "Address %" PRIx64 " is %s the segment.\n", n.address,
			    n.has_current ? "the first object on" : "before the first object on");
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

/* -------------------------------------------------------------- findroots */

/*
 * SOS's FindRoots stops a live process at its next GC of a generation
 * (findroots -gen N) and then names an object's roots in older
 * generations. On a stop clrsos cannot wait for a GC; what applies is the
 * second half: the objects of the generations older than the object's
 * (and handles) that refer to it, the references the GC's card table
 * would give it as roots when it collects the object's generation alone.
 */
struct older_ref {
	uint64_t address;
	const struct clrsos_type *type;
	enum clrsos_generation generation;
};
CLRSOS_VECTOR(older_refs, struct older_ref)

struct findroots_walk {
	struct clrsos_heap *heap;
	struct clrsos_types *types;
	uint64_t target;
	bool hit, oom;
	struct older_refs found;
	uint8_t *buf;
	size_t buf_cap;
	struct clrsos_error *err;
};

static void findroots_ref(void *ctx, uint64_t ref)
{
	struct findroots_walk *w = ctx;
	if (ref == w->target)
		w->hit = true;
}

static bool findroots_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct findroots_walk *w = ctx;
	if (!obj->type || !obj->type->contains_pointers)
		return true;
	const uint8_t *bytes = obj->bytes;
	if (obj->bytes_len < obj->size) {
		/* Past the walk's block (a large array): read it whole. */
		const struct clrsos_type *t;
		uint64_t size;
		struct clrsos_error *e = clrsos_heap_read_object(w->heap, obj->address, &t, &size, &w->buf, &w->buf_cap);
		if (clrsos_error_is_no_memory(e)) {
			w->err = e;
			return false;
		}
		if (e) {
			clrsos_error_destroy(e);
			return true;
		}
		bytes = w->buf;
	}
	w->hit = false;
	clrsos_types_for_each_ref(w->types, obj->type, bytes, obj->size, findroots_ref, w);
	if (w->hit &&
	    older_refs_push(&w->found, (struct older_ref){obj->address, obj->type, obj->generation})) {
		w->oom = true;
		return false;
	}
	return true;
}

struct findroots_options {
	bool json, have, have_gen;
	uint64_t address;
	const char *gen;
};

static uint32_t older_than(enum clrsos_generation g)
{
	switch (g) {
	case CLRSOS_GEN0:
		return 1u << CLRSOS_GEN1 | 1u << CLRSOS_GEN2 | 1u << CLRSOS_GEN_LOH | 1u << CLRSOS_GEN_POH |
		       1u << CLRSOS_GEN_FROZEN;
	case CLRSOS_GEN1:
		return 1u << CLRSOS_GEN2 | 1u << CLRSOS_GEN_LOH | 1u << CLRSOS_GEN_POH | 1u << CLRSOS_GEN_FROZEN;
	default:
		return 0; /* the oldest generation: collected only with everything (gcroot) */
	}
}

struct clrsos_error *clrsos_cmd_findroots(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	struct findroots_options o = {0};
	struct one_address a = {.command = "findroots"};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
		CLRSOS_STRING("-gen", &o.gen, .given = &o.have_gen),
	};
	const struct clrsos_options spec = {
		.command = "findroots",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = one_operand,
		.ctx = &a,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (o.have_gen)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "findroots -gen: clrsos cannot run the process to its next GC (SOS sets a GC "
					   "notification there); on this stop use findroots <address> (its references "
					   "from older generations) or gcroot <address>");
	if (!a.have)
		return clrsos_address_missing("findroots", "an object");
	struct clrsos_root_cmd c;
	if ((err = clrsos_root_cmd_init(&c, session)))
		return err;
	const struct clrsos_type *type;
	if ((err = clrsos_heap_object_at(c.heap, a.address, &type, NULL)))
		return clrsos_error_wrap(err, "findroots");
	const struct clrsos_segment *seg = clrsos_heap_segment_of(c.heap, a.address);
	enum clrsos_generation gen = clrsos_heap_generation_of(c.heap, seg, a.address);
	const struct clrsos_reach *reach;
	if ((err = clrsos_session_reach(session, &reach)))
		return err;
	const struct clrsos_roots *roots = clrsos_reach_roots(reach);
	struct findroots_walk w = {.heap = c.heap, .types = c.types, .target = a.address};
	uint32_t older = older_than(gen);
	if (older) {
		struct clrsos_walk_filter filter;
		clrsos_walk_filter_init(&filter);
		filter.generations = older;
		struct clrsos_walk_result wr;
		err = clrsos_heap_walk(c.heap, &filter, findroots_object, &w, NULL, NULL, &wr);
		if (!err && w.err)
			err = w.err;
		if (!err && w.oom)
			err = &clrsos_error_no_memory;
	}
	free(w.buf);
	if (err) {
		older_refs_deinit(&w.found);
		return err;
	}
	struct clrsos_name_buf nb, tb;
	const char *tname = clrsos_types_name(c.types, type);
	size_t nhandles = 0;
	for (size_t i = 0; i < roots->count; i++)
		nhandles += roots->items[i].kind == CLRSOS_ROOT_HANDLE && roots->items[i].object == a.address;
	if (o.json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, a.address);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, tname);
		clrsos_json_key(&j, "generation");
		clrsos_json_string(&j, clrsos_generation_name(gen));
		clrsos_json_key(&j, "olderReferences");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < w.found.count; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, w.found.items[i].address);
			clrsos_json_key(&j, "type");
			clrsos_json_string(&j, clrsos_types_name(c.types, w.found.items[i].type));
			clrsos_json_key(&j, "generation");
			clrsos_json_string(&j, clrsos_generation_name(w.found.items[i].generation));
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "handles");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < roots->count; i++) {
			const struct clrsos_root *r = &roots->items[i];
			if (r->kind != CLRSOS_ROOT_HANDLE || r->object != a.address)
				continue;
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "handle");
			clrsos_json_address(&j, r->address);
			clrsos_json_key(&j, "handleType");
			clrsos_json_string(&j, clrsos_handle_type_name(r->handle_type));
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else {
		clrsos_outf(out, "Object %" PRIx64 " (%s) is in generation %s.\n", a.address, clrsos_safe_name(tname, &nb),
			    clrsos_generation_name(gen));
		if (!older)
			clrsos_out(out, "No generation is older: the GC collects it only in a full GC (see gcroot).\n");
		for (size_t i = 0; i < w.found.count; i++) {
			const struct older_ref *r = &w.found.items[i];
			clrsos_outf(out, "older generation (%s):\n          -> %012" PRIx64 " %s\n          -> %012" PRIx64
					 " %s\n",
				    clrsos_generation_name(r->generation), r->address,
				    clrsos_safe_name(clrsos_types_name(c.types, r->type), &nb), a.address,
				    clrsos_safe_name(tname, &tb));
		}
		for (size_t i = 0; i < roots->count; i++) {
			const struct clrsos_root *r = &roots->items[i];
			if (r->kind == CLRSOS_ROOT_HANDLE && r->object == a.address)
				clrsos_outf(out, "HandleTable:\n    %016" PRIx64 " (%s handle)\n          -> %012" PRIx64 " %s\n",
					    r->address, clrsos_handle_type_name(r->handle_type), a.address,
					    clrsos_safe_name(tname, &nb));
		}
		clrsos_outf(out, "Found %zu references from older generations and %zu handles.\n", w.found.count,
			    nhandles);
	}
	older_refs_deinit(&w.found);
	return NULL;
}
