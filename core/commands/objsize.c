/* objsize: what one object keeps alive, by type. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/objsize.h"
#include "commands.h"
#include "rootcmds.h"
#include "typestats.h"

struct objsize_options {
	bool json, stat, have;
	uint64_t address;
};

static struct clrsos_error *address_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct objsize_options *o = ctx;
	struct clrsos_error *err = clrsos_address_operand("objsize", host, arg, &o->have, &o->address);
	return err ? clrsos_error_wrap(err, "objsize") : NULL;
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct objsize_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-stat", &o->stat),
	};
	const struct clrsos_options spec = {
		.command = "objsize",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1, /* a second address is refused by address_operand */
		.operand = address_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->have)
		err = clrsos_address_missing("objsize", "an object");
	return err;
}

struct objsize_result {
	uint64_t address;
	const char *type_name;
	struct clrsos_typestats stats;
	struct clrsos_typestat *sorted;
	struct clrsos_types *types;
};

static bool count_object(void *ctx, uint64_t address, const struct clrsos_type *type, uint64_t size)
{
	(void)address;
	return clrsos_typestats_add(ctx, type, size);
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct objsize_options *o,
				    struct objsize_result *r)
{
	memset(r, 0, sizeof(*r));
	r->address = o->address;
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	r->types = c.types;
	const struct clrsos_type *type;
	/* Mid-GC references lead to objects being moved: refused (as walks are). */
	if ((err = clrsos_heap_check_walkable(c.heap)) || (err = clrsos_heap_object_at(c.heap, o->address, &type, NULL)))
		return err;
	r->type_name = clrsos_types_name(c.types, type);
	if ((err = clrsos_objsize_walk(c.heap, o->address, count_object, &r->stats)))
		return err;
	if (!(r->sorted = clrsos_typestats_sorted(&r->stats, false)) && r->stats.count)
		return &clrsos_error_no_memory;
	return NULL;
}

static void render_json(const struct objsize_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, r->address);
	clrsos_json_key(&j, "type");
	clrsos_json_string(&j, r->type_name);
	clrsos_json_key(&j, "objects");
	clrsos_json_uint(&j, r->stats.total_count);
	clrsos_json_key(&j, "size");
	clrsos_json_uint(&j, r->stats.total_size);
	clrsos_typestats_write_json(&r->stats, r->sorted, r->types, &j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void render_text(const struct objsize_result *r, bool stat, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	clrsos_outf(out, "Objects which %" PRIx64 " (%s) transitively keep alive:\n\n", r->address,
		    clrsos_safe_name(r->type_name, &nb));
	if (!stat) {
		char size[32];
		clrsos_format_thousands(r->stats.total_size, size, sizeof(size));
		clrsos_outf(out, "sizeof(%012" PRIx64 ") = %s (0x%" PRIx64 ") bytes in %" PRIu64 " objects\n\n",
			    r->address, size, r->stats.total_size, r->stats.total_count);
	}
	clrsos_typestats_write_text(&r->stats, r->sorted, r->types, out);
}

struct clrsos_error *clrsos_cmd_objsize(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct objsize_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct objsize_result r;
	if (!(err = compute(session, &o, &r))) {
		if (o.json)
			render_json(&r, out);
		else
			render_text(&r, o.stat, out);
	}
	free(r.sorted);
	clrsos_typestats_deinit(&r.stats);
	return err;
}
