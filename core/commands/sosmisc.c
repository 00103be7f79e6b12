/*
 * SOS's smaller object commands: dumpdelegate (a delegate's target and
 * method, and each delegate of a multicast delegate's invocation list) and
 * dumpexceptions (every exception object on the heap, its message and the
 * top of its stack trace).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/reach.h"
#include "model/exception.h"
#include "model/fields.h"
#include "model/heap.h"
#include "model/methods.h"
#include "commands.h"
#include "base/vector.h"
#include "fieldtable.h"

/* dumpdelegate ------------------------------------------------------------ */

struct dumpdelegate_options {
	bool json;
	struct clrsos_address_operands address;
};

static struct clrsos_error *dumpdelegate_parse(const struct clrsos_host *host, int argc, const char *const *argv,
					       struct dumpdelegate_options *o)
{
	memset(o, 0, sizeof(*o));
	o->address.command = "dumpdelegate";
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
	};
	const struct clrsos_options spec = {
		.command = "dumpdelegate",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = &o->address,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->address.count)
		err = clrsos_address_missing("dumpdelegate", "a delegate");
	return err;
}

/* One delegate called: its target object and its method. */
struct delegate_row {
	uint64_t address;
	uint64_t target;
	uint64_t method_desc; /* 0: unknown */
	char *method;         /* malloc'd, NULL when unknown */
};

struct dumpdelegate_result {
	uint64_t address;
	const char *type;
	struct delegate_row *rows;
	size_t count, cap;
};

static void dumpdelegate_result_deinit(struct dumpdelegate_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->rows[i].method);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

/* The offsets (from the object's start) of the fields System.Delegate and MulticastDelegate hold. */
struct delegate_layout {
	uint64_t mt;
	int64_t target, method_ptr, method_ptr_aux, invocation_list, invocation_count; /* -1: none */
	bool is_delegate; /* declared by System.Delegate */
};

static struct clrsos_error *delegate_layout(struct clrsos_dac *dac, struct clrsos_types *types, uint64_t mt,
					    struct delegate_layout *ret)
{
	*ret = (struct delegate_layout){mt, -1, -1, -1, -1, -1, false};
	struct clrsos_fields fields;
	struct clrsos_error *err = clrsos_fields_init(dac, types, mt, &fields);
	if (err)
		return err;
	for (size_t i = 0; i < fields.count; i++) {
		const struct clrsos_field *f = &fields.items[i];
		if (f->is_static)
			continue;
		int64_t off = (int64_t)f->offset + 8;
		const struct clrsos_type *decl = clrsos_types_get(types, f->declaring_mt);
		const char *decl_name = decl ? clrsos_types_name(types, decl) : NULL;
		if (strcmp(f->name, "_target") == 0 && decl_name && strcmp(decl_name, "System.Delegate") == 0) {
			ret->target = off;
			ret->is_delegate = true;
		} else if (strcmp(f->name, "_methodPtr") == 0) {
			ret->method_ptr = off;
		} else if (strcmp(f->name, "_methodPtrAux") == 0) {
			ret->method_ptr_aux = off;
		} else if (strcmp(f->name, "_invocationList") == 0) {
			ret->invocation_list = off;
		} else if (strcmp(f->name, "_invocationCount") == 0) {
			ret->invocation_count = off;
		}
	}
	clrsos_fields_deinit(&fields);
	return NULL;
}

static uint64_t read_ptr(struct clrsos_target *t, uint64_t address, int64_t offset)
{
	uint64_t v = 0;
	if (offset < 0)
		return 0;
	struct clrsos_error *err = clrsos_target_read_u64(t, address + (uint64_t)offset, &v);
	clrsos_error_destroy(err);
	return err ? 0 : v;
}

/* As SOS finds a delegate's method: from _methodPtrAux (open static delegates), else _methodPtr. */
static struct clrsos_error *delegate_method(struct clrsos_dac *dac, struct clrsos_target *t, uint64_t address,
					   const struct delegate_layout *l, struct delegate_row *row)
{
	uint64_t ptrs[2] = {read_ptr(t, address, l->method_ptr_aux), read_ptr(t, address, l->method_ptr)};
	for (int i = 0; i < 2 && !row->method_desc; i++) {
		if (!ptrs[i])
			continue;
		struct clrsos_error *err = clrsos_method_desc_from_entry(dac, ptrs[i], &row->method_desc);
		if (clrsos_error_is_no_memory(err))
			return err;
		if (err) {
			clrsos_error_destroy(err);
			row->method_desc = 0;
		}
	}
	if (row->method_desc) {
		bool has_code;
		struct clrsos_error *err = clrsos_method_desc_name(dac, row->method_desc, &row->method, &has_code);
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
	}
	return NULL;
}

enum { MAX_DELEGATES = 1 << 16 };

static struct clrsos_error *dumpdelegate_compute(struct clrsos_session *session, uint64_t address,
						 struct dumpdelegate_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	struct clrsos_types *types = clrsos_heap_types(heap);
	struct clrsos_target *t = clrsos_heap_target(heap);
	const struct clrsos_type *type;
	if ((err = clrsos_heap_object_at(heap, address, &type, NULL)))
		return err;
	r->address = address;
	r->type = clrsos_types_name(types, type);
	struct delegate_layout l;
	if ((err = delegate_layout(dac, types, type->mt, &l)))
		return err;
	if (!l.is_delegate) {
		struct clrsos_name_buf nb;
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "0x%" PRIx64 " is not a delegate: it is a %s",
					   address, clrsos_safe_name(r->type, &nb));
	}
	/* Depth first, in invocation order: a list's delegates may be multicast ones. */
	uint64_t *todo = NULL;
	size_t ntodo = 0, todo_cap = 0, visited = 0;
	if (clrsos_array_reserve(&todo, &todo_cap, 1))
		return &clrsos_error_no_memory;
	todo[ntodo++] = address;
	while (ntodo && !err) {
		uint64_t d = todo[--ntodo];
		if (++visited > MAX_DELEGATES) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER, "the delegate at 0x%" PRIx64 " calls more than %d "
						  "delegates (damaged memory?)", address, MAX_DELEGATES);
			break;
		}
		const struct clrsos_type *dt;
		struct clrsos_error *e = clrsos_heap_object_at(heap, d, &dt, NULL);
		if (e) {
			if (clrsos_error_is_no_memory(e)) {
				err = e;
				break;
			}
			clrsos_error_destroy(e); /* SOS skips what is not an object */
			continue;
		}
		if (dt->mt != l.mt && (err = delegate_layout(dac, types, dt->mt, &l)))
			break;
		if (!l.is_delegate)
			continue;
		uint64_t list = read_ptr(t, d, l.invocation_list);
		const struct clrsos_type *lt = NULL;
		if (list) {
			e = clrsos_heap_object_at(heap, list, &lt, NULL);
			if (clrsos_error_is_no_memory(e)) {
				err = e;
				break;
			}
			clrsos_error_destroy(e);
			if (e)
				lt = NULL;
		}
		if (lt && lt->is_array) {
			/* A multicast delegate: its list's first _invocationCount delegates. */
			uint64_t length = read_ptr(t, list, 8) & 0xffffffffu;
			uint64_t n = (uint64_t)(uint32_t)read_ptr(t, d, l.invocation_count);
			if (n > length)
				n = length;
			for (uint64_t i = n; i-- > 0;) {
				uint64_t element = read_ptr(t, list, (int64_t)(16 + 8 * i));
				if (!element)
					continue;
				if (clrsos_array_reserve(&todo, &todo_cap, ntodo + 1)) {
					err = &clrsos_error_no_memory;
					break;
				}
				todo[ntodo++] = element;
			}
			continue;
		}
		if (clrsos_array_reserve(&r->rows, &r->cap, r->count + 1)) {
			err = &clrsos_error_no_memory;
			break;
		}
		struct delegate_row *row = &r->rows[r->count++];
		memset(row, 0, sizeof(*row));
		row->address = d;
		row->target = read_ptr(t, d, l.target);
		err = delegate_method(dac, t, d, &l, row);
	}
	free(todo);
	return err;
}

static void dumpdelegate_render_text(const struct dumpdelegate_result *r, struct clrsos_writer *out)
{
	clrsos_out(out, "Target           Method           Name\n");
	for (size_t i = 0; i < r->count; i++) {
		const struct delegate_row *row = &r->rows[i];
		clrsos_outf(out, "%016" PRIx64 " ", row->target);
		if (row->method_desc) {
			clrsos_outf(out, "%016" PRIx64 " ", row->method_desc);
			clrsos_out_name(out, row->method ? row->method : "(unknown)");
			clrsos_out(out, "\n");
		} else {
			clrsos_out(out, "(unknown)\n");
		}
	}
}

static void dumpdelegate_render_json(const struct dumpdelegate_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, r->address);
	clrsos_json_key(&j, "type");
	clrsos_json_string(&j, r->type);
	clrsos_json_key(&j, "delegates");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		const struct delegate_row *row = &r->rows[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, row->address);
		clrsos_json_key(&j, "target");
		clrsos_json_address(&j, row->target);
		clrsos_json_key(&j, "methodDesc");
		clrsos_json_address(&j, row->method_desc);
		clrsos_json_key(&j, "method");
		clrsos_json_string(&j, row->method);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpdelegate(struct clrsos_session *session, const struct clrsos_host *host,
					     int argc, const char *const *argv, struct clrsos_writer *out)
{
	struct dumpdelegate_options o;
	struct clrsos_error *err = dumpdelegate_parse(host, argc, argv, &o);
	if (err)
		return err;
	struct dumpdelegate_result r;
	if (!(err = dumpdelegate_compute(session, o.address.values[0], &r))) {
		if (o.json)
			dumpdelegate_render_json(&r, out);
		else
			dumpdelegate_render_text(&r, out);
	}
	dumpdelegate_result_deinit(&r);
	return err;
}

/* dumpexceptions ---------------------------------------------------------- */

struct dumpexceptions_options {
	bool json, live, dead;
	const char *type;    /* a part of the type's name, any case; NULL: all */
	const char *gen_text;
	uint32_t generations; /* 0: all */
};

static struct clrsos_error *dumpexceptions_parse(const struct clrsos_host *host, int argc, const char *const *argv,
						 struct dumpexceptions_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-live", &o->live),
		CLRSOS_FLAG("-dead", &o->dead),
		CLRSOS_STRING("-type", &o->type, .flags = CLRSOS_OPTION_NONEMPTY),
		CLRSOS_STRING("-gen", &o->gen_text),
	};
	const struct clrsos_options spec = {
		.command = "dumpexceptions",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && o->gen_text)
		err = clrsos_parse_generation("dumpexceptions", o->gen_text, &o->generations);
	if (o->live && o->dead) /* both: every exception, as SOS */
		o->live = o->dead = false;
	return err;
}

struct exceptions_walk {
	const struct dumpexceptions_options *o;
	struct clrsos_dac *dac;
	struct clrsos_types *types;
	const struct clrsos_reach *reach;
	uint8_t *verdict; /* per type index: 0 unknown, 1 listed, 2 not */
	size_t nverdict;
	uint64_t *found;
	size_t nfound, found_cap;
	struct clrsos_error *err;
};

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

static bool exception_type_listed(struct exceptions_walk *c, const struct clrsos_type *type)
{
	if (type->index < c->nverdict && c->verdict[type->index])
		return c->verdict[type->index] == 1;
	bool is_exception = false;
	if (!type->is_free && !type->is_array && !type->is_string) {
		struct clrsos_error *err = clrsos_type_is_exception(c->dac, type->mt, &is_exception);
		if (err) {
			c->err = err;
			return false;
		}
	}
	bool listed = is_exception && (!c->o->type || contains_nocase(clrsos_types_name(c->types, type), c->o->type));
	if (type->index >= c->nverdict) {
		size_t n = c->nverdict;
		if (clrsos_array_reserve(&c->verdict, &c->nverdict, (size_t)type->index + 1)) {
			c->err = &clrsos_error_no_memory;
			return false;
		}
		memset(c->verdict + n, 0, c->nverdict - n);
	}
	c->verdict[type->index] = listed ? 1 : 2;
	return listed;
}

static bool exceptions_on_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct exceptions_walk *c = ctx;
	if (!exception_type_listed(c, obj->type))
		return !c->err;
	if (c->reach && clrsos_reach_is_live(c->reach, obj->address) != c->o->live)
		return true;
	if (clrsos_array_reserve(&c->found, &c->found_cap, c->nfound + 1)) {
		c->err = &clrsos_error_no_memory;
		return false;
	}
	c->found[c->nfound++] = obj->address;
	return true;
}

struct dumpexceptions_result {
	struct clrsos_exception *items;
	size_t count;
	char reach_warnings[2][256];
	size_t nreach_warnings;
};

static void dumpexceptions_result_deinit(struct dumpexceptions_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		clrsos_exception_deinit(&r->items[i]);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static struct clrsos_error *dumpexceptions_compute(struct clrsos_session *session,
						   const struct dumpexceptions_options *o,
						   struct dumpexceptions_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err || (err = clrsos_heap_check_walkable(heap)))
		return err;
	struct exceptions_walk c = {.o = o, .dac = dac, .types = clrsos_heap_types(heap)};
	if (o->live || o->dead) {
		if ((err = clrsos_session_reach(session, &c.reach)))
			return err;
		clrsos_reach_warnings(c.reach, r->reach_warnings, &r->nreach_warnings);
	}
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	filter.generations = o->generations;
	struct clrsos_walk_result walk;
	err = clrsos_heap_walk(heap, &filter, exceptions_on_object, &c, clrsos_watch_heap_progress,
			       clrsos_session_watch(session), &walk);
	free(c.verdict);
	if (!err)
		err = c.err;
	else
		clrsos_error_destroy(c.err);
	if (!err && !(r->items = calloc(c.nfound ? c.nfound : 1, sizeof(*r->items))))
		err = &clrsos_error_no_memory;
	for (size_t i = 0; !err && i < c.nfound; i++) {
		struct clrsos_error *e = clrsos_exception_init(&r->items[r->count], heap, dac, c.found[i]);
		if (clrsos_error_is_no_memory(e))
			err = e;
		else if (e) /* listed by its address and type alone */
			clrsos_error_destroy(e);
		else
			r->count++;
	}
	free(c.found);
	return err;
}

static const char *top_frame(const struct clrsos_exception *ex)
{
	if (!ex->stack_trace_decoded || !ex->frame_count)
		return NULL;
	return ex->frames[0].method ? ex->frames[0].method : "<unknown method>";
}

static void dumpexceptions_render_text(const struct dumpexceptions_result *r, struct clrsos_writer *out)
{
	for (size_t i = 0; i < r->nreach_warnings; i++)
		clrsos_outf(out, "Warning: %s\n", r->reach_warnings[i]);
	clrsos_outf(out, "%16s %16s %s %s\n", "Address", "MethodTable", "Message", "Name");
	for (size_t i = 0; i < r->count; i++) {
		const struct clrsos_exception *ex = &r->items[i];
		char a[24], m[24];
		snprintf(a, sizeof(a), "%012" PRIx64, ex->address);
		snprintf(m, sizeof(m), "%012" PRIx64, ex->mt);
		clrsos_outf(out, "%16s %16s ", a, m);
		clrsos_out_name(out, ex->type_name);
		clrsos_out(out, "\n        Message: ");
		if (ex->message && ex->message_text.valid)
			clrsos_string_text_render(&ex->message_text, CLRSOS_TEXT_ESCAPED, out);
		else
			clrsos_out(out, "<null>");
		clrsos_out(out, "\n");
		const char *frame = top_frame(ex);
		if (frame) {
			clrsos_out(out, "        StackFrame: ");
			clrsos_out_name(out, frame);
			clrsos_out(out, "\n");
		}
	}
	clrsos_outf(out, "\n    Total: %zu objects\n", r->count);
}

static void dumpexceptions_render_json(const struct dumpexceptions_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "exceptions");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		const struct clrsos_exception *ex = &r->items[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, ex->address);
		clrsos_json_key(&j, "methodTable");
		clrsos_json_address(&j, ex->mt);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, ex->type_name);
		clrsos_json_key(&j, "message");
		if (ex->message && ex->message_text.valid) {
			struct clrsos_json_stream s;
			clrsos_json_string_begin(&j, &s);
			clrsos_string_text_render(&ex->message_text, CLRSOS_TEXT_JSON, s.raw);
			clrsos_json_string_end(&s);
		} else {
			clrsos_json_null(&j);
		}
		clrsos_json_key(&j, "stackFrame");
		clrsos_json_string(&j, top_frame(ex));
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "total");
	clrsos_json_uint(&j, r->count);
	clrsos_json_key(&j, "warnings");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nreach_warnings; i++)
		clrsos_json_string(&j, r->reach_warnings[i]);
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpexceptions(struct clrsos_session *session, const struct clrsos_host *host,
					       int argc, const char *const *argv, struct clrsos_writer *out)
{
	struct dumpexceptions_options o;
	struct clrsos_error *err = dumpexceptions_parse(host, argc, argv, &o);
	if (err)
		return err;
	struct dumpexceptions_result r;
	if (!(err = dumpexceptions_compute(session, &o, &r))) {
		if (o.json)
			dumpexceptions_render_json(&r, out);
		else
			dumpexceptions_render_text(&r, out);
	}
	dumpexceptions_result_deinit(&r);
	return err;
}
