/* gchandles: the GC handles, one row each, and their statistics. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/handletable.h"
#include "commands.h"
#include "rootcmds.h"
#include "typestats.h"

struct gchandles_options {
	bool json, stat;
	int kind; /* -1: every kind */
};

static struct clrsos_error *parse_kind(const struct clrsos_host *host, const struct clrsos_option *option,
				       const char *value)
{
	(void)host;
	int *kind = option->value;
	for (uint32_t k = 0; k < CLRSOS_HANDLE_KINDS; k++) {
		if (strcasecmp(value, clrsos_handle_type_name(k)) == 0) {
			*kind = (int)k;
			return NULL;
		}
	}
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "-type %s: expected Strong, Pinned, WeakShort, WeakLong, RefCounted, Dependent, AsyncPinned, SizedRef or Variable",
				   value);
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct gchandles_options *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = -1;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-stat", &o->stat),
		CLRSOS_CUSTOM("-type", &o->kind, parse_kind),
	};
	const struct clrsos_options spec = {
		.command = "gchandles",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}

struct gchandle_row {
	struct clrsos_handle handle;
	uint64_t size;
	const char *type_name; /* the object's type, "<not an object>", or "" (no object) */
	bool is_object;
};

struct gchandles_result {
	struct gchandle_row *rows;
	size_t count;
	struct clrsos_typestats stats;
	struct clrsos_typestat *sorted;
	uint64_t per_kind[CLRSOS_HANDLE_KINDS];
	size_t unlisted;
	struct clrsos_types *types; /* for the statistics' names */
};

static void result_deinit(struct gchandles_result *r)
{
	free(r->rows);
	free(r->sorted);
	clrsos_typestats_deinit(&r->stats);
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct gchandles_options *o,
				    struct gchandles_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	r->types = c.types;
	const struct clrsos_gc *gc;
	if ((err = clrsos_session_gc(session, &gc)))
		return err;
	struct clrsos_handle *h = NULL;
	size_t n = 0;
	if ((err = clrsos_handles_all(c.dac, c.target, gc->server, &h, &n, &r->unlisted)))
		return err;
	if (!(r->rows = calloc(n ? n : 1, sizeof(*r->rows)))) {
		free(h);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (o->kind >= 0 && h[i].kind != (uint32_t)o->kind)
			continue;
		struct gchandle_row *row = &r->rows[r->count++];
		row->handle = h[i];
		const struct clrsos_type *t = NULL;
		if (h[i].object && (err = clrsos_root_cmd_type_of(&c, h[i].object, &t, &row->size)))
			break;
		if (h[i].kind < CLRSOS_HANDLE_KINDS)
			r->per_kind[h[i].kind]++;
		if (t && !clrsos_typestats_add(&r->stats, t, row->size))
			err = &clrsos_error_no_memory;
		row->is_object = t != NULL;
		row->type_name = t ? clrsos_types_name(c.types, t) : h[i].object ? "<not an object>" : "";
	}
	free(h);
	if (!err && !(r->sorted = clrsos_typestats_sorted(&r->stats, false)) && r->stats.count)
		err = &clrsos_error_no_memory;
	return err;
}

static void render_json(const struct gchandles_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "handles");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		const struct gchandle_row *row = &r->rows[i];
		const struct clrsos_handle *h = &row->handle;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "handle");
		clrsos_json_address(&j, h->address);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, clrsos_handle_type_name(h->kind));
		clrsos_json_key(&j, "object");
		clrsos_json_address(&j, h->object);
		clrsos_json_key(&j, "objectType");
		clrsos_json_string(&j, row->is_object ? row->type_name : NULL);
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, row->size);
		if (h->kind == CLRSOS_HANDLE_KIND_DEPENDENT) {
			clrsos_json_key(&j, "secondary");
			clrsos_json_address(&j, h->secondary);
		} else if (h->kind == CLRSOS_HANDLE_KIND_REF_COUNTED) {
			clrsos_json_key(&j, "refCount");
			clrsos_json_uint(&j, h->ref_count);
		}
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_typestats_write_json(&r->stats, r->sorted, r->types, &j);
	clrsos_json_key(&j, "counts");
	clrsos_json_object_begin(&j);
	for (uint32_t k = 0; k < CLRSOS_HANDLE_KINDS; k++) {
		if (!r->per_kind[k])
			continue;
		clrsos_json_key(&j, clrsos_handle_type_name(k));
		clrsos_json_uint(&j, r->per_kind[k]);
	}
	clrsos_json_object_end(&j);
	clrsos_json_key(&j, "unlistedByRuntime");
	clrsos_json_uint(&j, r->unlisted);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void render_text(const struct gchandles_result *r, bool stat, struct clrsos_writer *out)
{
	if (!stat) {
		clrsos_outf(out, "%16s %-12s %16s %10s %16s %s\n", "Handle", "Type", "Object", "Size", "Data",
			    "Type");
		for (size_t i = 0; i < r->count; i++) {
			const struct gchandle_row *row = &r->rows[i];
			const struct clrsos_handle *h = &row->handle;
			uint64_t data = h->kind == CLRSOS_HANDLE_KIND_DEPENDENT     ? h->secondary
					: h->kind == CLRSOS_HANDLE_KIND_REF_COUNTED ? h->ref_count
										    : 0;
			char d[24] = "";
			if (data)
				snprintf(d, sizeof(d), h->kind == CLRSOS_HANDLE_KIND_DEPENDENT ? "%012" PRIx64 : "%" PRIu64,
					 data);
			struct clrsos_name_buf nb;
			clrsos_outf(out, "    %012" PRIx64 " %-12s     %012" PRIx64 " %10" PRIu64 " %16s %s\n", h->address,
				    clrsos_handle_type_name(h->kind), h->object, row->size, d,
				    clrsos_safe_name(row->type_name, &nb));
		}
		clrsos_out(out, "\n");
	}
	clrsos_typestats_write_text(&r->stats, r->sorted, r->types, out);
	clrsos_out(out, "Handles:\n");
	for (uint32_t k = 0; k < CLRSOS_HANDLE_KINDS; k++) {
		if (r->per_kind[k])
			clrsos_outf(out, "    %-12s %" PRIu64 "\n", clrsos_handle_type_name(k), r->per_kind[k]);
	}
	if (r->unlisted)
		clrsos_outf(out, "(%zu handles are in handle tables the runtime's own walk skips under "
				 "dynamic heap counts; read from memory)\n", r->unlisted);
}

struct clrsos_error *clrsos_cmd_gchandles(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	struct gchandles_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct gchandles_result r;
	if (!(err = compute(session, &o, &r))) {
		if (o.json)
			render_json(&r, out);
		else
			render_text(&r, o.stat, out);
	}
	result_deinit(&r);
	return err;
}
