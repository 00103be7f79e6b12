/*
 * dumpgen: SOS's DumpGen. The objects of one generation (gen0, gen1, gen2,
 * loh, poh, foh), as statistics by type (MT Count TotalSize Class Name,
 * ascending by total size, then "Total N objects"), filtered by a
 * substring of the type name in any case (-type); or with -mt, the
 * addresses of that MethodTable's objects. Free space counts as objects
 * of type Free, as in dumpheap -stat -gen.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/vector.h"
#include "commands.h"
#include "model/heap.h"
#include "typestats.h"

struct dumpgen_options {
	bool json, have_gen, have_mt;
	enum clrsos_generation gen;
	const char *type;
	uint64_t mt;
};

static struct clrsos_error *generation_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	struct dumpgen_options *o = ctx;
	static const char *const names[CLRSOS_GEN_COUNT] = {"gen0", "gen1", "gen2", "loh", "poh", "foh"};
	if (index > 0)
		return clrsos_unexpected_argument("dumpgen", arg);
	for (int g = 0; g < CLRSOS_GEN_COUNT; g++) {
		if (strcasecmp(arg, names[g]) == 0) {
			o->gen = (enum clrsos_generation)g;
			o->have_gen = true;
			return NULL;
		}
	}
	struct clrsos_name_buf nb;
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "dumpgen: %s is not a supported generation (gen0, gen1, gen2, loh, poh, foh)",
				   clrsos_safe_name(arg, &nb));
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct dumpgen_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_STRING("-type", &o->type),
		CLRSOS_ADDRESS("-mt", &o->mt, .given = &o->have_mt),
	};
	const struct clrsos_options spec = {
		.command = "dumpgen",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1, /* a second one is refused by generation_operand */
		.operand = generation_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->have_gen)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "dumpgen: Generation argument is missing: give gen0, gen1, gen2, loh, poh or foh");
	return err;
}

/* Whether needle is in hay, in any case (ASCII). */
static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	}
	return n == 0;
}

struct dumpgen_result {
	struct clrsos_typestats stats;
	struct clrsos_typestat *rows; /* sorted, named */
	uint64_t *objects;            /* -mt: their addresses and sizes, in pairs */
	size_t nobjects, objects_cap;
	struct clrsos_walk_result walk;
};

struct walk_ctx {
	const struct dumpgen_options *o;
	struct dumpgen_result *r;
	struct clrsos_types *types;
	uint8_t *verdict; /* -type, by type index: 0 not asked, 1 match, 2 not */
	size_t nverdict;
	bool oom;
};

static bool type_matches(struct walk_ctx *c, const struct clrsos_type *type)
{
	if (!c->o->type)
		return true;
	if (type->index < c->nverdict && c->verdict[type->index])
		return c->verdict[type->index] == 1;
	bool match = contains_nocase(clrsos_types_name(c->types, type), c->o->type);
	if (type->index >= c->nverdict) {
		size_t n = c->nverdict;
		if (clrsos_array_reserve(&c->verdict, &c->nverdict, (size_t)type->index + 1))
			return match;
		memset(c->verdict + n, 0, c->nverdict - n);
	}
	c->verdict[type->index] = match ? 1 : 2;
	return match;
}

static bool on_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct walk_ctx *c = ctx;
	if (c->o->have_mt) {
		if (obj->type->mt != c->o->mt)
			return true;
		if (clrsos_array_reserve(&c->r->objects, &c->r->objects_cap, c->r->nobjects + 2)) {
			c->oom = true;
			return false;
		}
		c->r->objects[c->r->nobjects++] = obj->address;
		c->r->objects[c->r->nobjects++] = obj->size;
		return true;
	}
	if (!type_matches(c, obj->type))
		return true;
	if (!clrsos_typestats_add(&c->r->stats, obj->type, obj->size)) {
		c->oom = true;
		return false;
	}
	return true;
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct dumpgen_options *o,
				    struct dumpgen_result *r, struct clrsos_types **ret_types)
{
	struct clrsos_heap *heap;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (err || (err = clrsos_heap_check_walkable(heap)))
		return err;
	struct walk_ctx c = {.o = o, .r = r, .types = clrsos_heap_types(heap)};
	*ret_types = c.types;
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	filter.generations = 1u << o->gen;
	err = clrsos_heap_walk(heap, &filter, on_object, &c, clrsos_watch_heap_progress,
			       clrsos_session_watch(session), &r->walk);
	free(c.verdict);
	if (!err && c.oom)
		err = &clrsos_error_no_memory;
	if (err || o->have_mt)
		return err;
	if (!(r->rows = clrsos_typestats_sorted(&r->stats, false)) && r->stats.count)
		return &clrsos_error_no_memory;
	clrsos_typestats_name_rows(r->rows, r->stats.count, c.types);
	return NULL;
}

static void render_text(const struct dumpgen_options *o, const struct dumpgen_result *r, struct clrsos_writer *out)
{
	if (o->have_mt) {
		clrsos_outf(out, "%16s %16s %8s\n", "Address", "MT", "Size");
		for (size_t i = 0; i + 1 < r->nobjects; i += 2)
			clrsos_outf(out, "%016" PRIx64 " %016" PRIx64 " %8" PRIu64 "\n", r->objects[i], o->mt,
				    r->objects[i + 1]);
		clrsos_outf(out, "Total %zu objects\n", r->nobjects / 2);
	} else {
		clrsos_out(out, "Statistics:\n");
		clrsos_outf(out, "%16s %8s %12s %s\n", "MT", "Count", "TotalSize", "Class Name");
		for (size_t i = 0; i < r->stats.count; i++) {
			const struct clrsos_typestat *t = &r->rows[i];
			struct clrsos_name_buf nb;
			clrsos_outf(out, "%016" PRIx64 " %8" PRIu64 " %12" PRIu64 " %s\n", t->type->mt, t->count,
				    t->size, clrsos_safe_name(t->name, &nb));
		}
		clrsos_outf(out, "Total %" PRIu64 " objects\n", r->stats.total_count);
	}
	if (r->walk.problem_count)
		clrsos_outf(out, "Warning: the heap walk met %" PRIu64 " place%s with no valid object and skipped %" PRIu64
			    " bytes (dumpheap lists them)\n",
			    r->walk.problem_count, r->walk.problem_count == 1 ? "" : "s", r->walk.skipped_bytes);
	clrsos_out(out, "\n");
}

static void render_json(const struct dumpgen_options *o, const struct dumpgen_result *r, struct clrsos_types *types,
			struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "generation");
	clrsos_json_string(&j, clrsos_generation_name(o->gen));
	if (o->have_mt) {
		clrsos_json_key(&j, "mt");
		clrsos_json_address(&j, o->mt);
		clrsos_json_key(&j, "objects");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i + 1 < r->nobjects; i += 2) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, r->objects[i]);
			clrsos_json_key(&j, "size");
			clrsos_json_uint(&j, r->objects[i + 1]);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "totalObjects");
		clrsos_json_uint(&j, r->nobjects / 2);
	} else {
		clrsos_typestats_write_json(&r->stats, r->rows, types, &j);
		clrsos_json_key(&j, "totalObjects");
		clrsos_json_uint(&j, r->stats.total_count);
		clrsos_json_key(&j, "totalSize");
		clrsos_json_uint(&j, r->stats.total_size);
	}
	clrsos_json_key(&j, "problemCount");
	clrsos_json_uint(&j, r->walk.problem_count);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpgen(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct dumpgen_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	if (clrsos_session_watch(session) && o.json)
		clrsos_session_watch(session)->quiet = true;
	struct dumpgen_result r = {0};
	struct clrsos_types *types = NULL;
	if (!(err = compute(session, &o, &r, &types))) {
		if (o.json)
			render_json(&o, &r, types, out);
		else
			render_text(&o, &r, out);
	}
	free(r.rows);
	free(r.objects);
	clrsos_typestats_deinit(&r.stats);
	return err;
}
