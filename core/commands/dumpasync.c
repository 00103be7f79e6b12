/*
 * dumpasync: the async "stacks" on the GC heap, as SOS's DumpAsync shows
 * them: each state machine box and Task (model/asyncsm.h), chained by
 * continuations; a stack starts at an object nothing found continues to
 * (the innermost awaited work) and goes out through its callers, each frame
 * '<address> <MT> (<state>) <type>', indented two spaces per level.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fieldtable.h"
#include "model/asyncsm.h"
#include "model/types.h"
#include "base/vector.h"

struct async_options {
	bool json, tasks, completed, fields, stats, coalesce;
	bool have_mt, have_address;
	uint64_t mt, address;
	const char *type;
};

struct ctx {
	const struct async_options *o;
	const struct clrsos_async *a;
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_writer *out;
	struct clrsos_json *j;
	bool *included;    /* per object: found by SOS's rules (not completed unless -completed) */
	bool *top;         /* per object: included and no included object continues to it */
	uint32_t *seen;    /* per object: the stack that last showed it (cycles) */
	uint32_t stack_id;
	size_t stacks;
	int base_depth;    /* 1 when the stack starts with the awaiter its top state machine holds */
	struct { size_t index; int depth; } *pending;
	size_t npending, pending_cap;
};

static size_t index_of(const struct ctx *c, const struct clrsos_async_object *o)
{
	return (size_t)(o - c->a->objects);
}

static const struct clrsos_async_object *included(const struct ctx *c, uint64_t address)
{
	const struct clrsos_async_object *o = clrsos_async_find(c->a, address);
	return o && c->included[index_of(c, o)] ? o : NULL;
}

/* The name SOS shows: a box by its state machine's type, anything else by its type. */
static const char *describe(const struct clrsos_async_object *o, size_t *len)
{
	const char *name = o->type_name;
	const char *p = o->is_box ? strstr(name, "StateMachineBox<") : NULL;
	if (!p) {
		*len = strlen(name);
		return name;
	}
	p += strlen("StateMachineBox<");
	size_t n = strlen(p);
	*len = n ? n - 1 : 0;
	return p;
}

static void describe_flags(uint32_t flags, char *buf, size_t size)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{0x10000, "Started"}, {0x20000, "DelegateInvoked"}, {0x40000, "Disposed"},
		{0x80000, "ExceptionObservedByParent"}, {0x100000, "CancellationAcknowledged"},
		{0x200000, "Faulted"}, {0x400000, "Canceled"}, {0x800000, "WaitingOnChildren"},
		{0x1000000, "RanToCompletion"}, {0x4000000, "CompletionReserved"},
	};
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "|" : "", names[i].name);
		if (n >= size) {
			buf[size - 1] = 0;
			return;
		}
	}
	if (!n)
		snprintf(buf, size, " ");
}

static bool matches(const struct ctx *c, const struct clrsos_async_object *o)
{
	if (c->o->have_address && o->address != c->o->address)
		return false;
	if (c->o->have_mt && o->mt != c->o->mt)
		return false;
	if (c->o->type && !strstr(o->type_name, c->o->type))
		return false;
	return true;
}

static struct clrsos_error *push(struct ctx *c, size_t index, int depth)
{
	struct clrsos_error *err = clrsos_array_reserve(&c->pending, &c->pending_cap, c->npending + 1);
	if (err)
		return err;
	c->pending[c->npending].index = index;
	c->pending[c->npending].depth = depth;
	c->npending++;
	return NULL;
}

/*
 * Walk the stack from top: calls visit (may be NULL) for every frame, in
 * SOS's order (continuations pushed, the last popped first); each object
 * once per stack. Returns whether the stack passes SOS's filters: a frame
 * the user asked for, and (without -tasks) a state machine.
 */
typedef void visit_fn(struct ctx *c, const struct clrsos_async_object *o, int depth);

static struct clrsos_error *walk_stack(struct ctx *c, size_t top, visit_fn *visit, bool *pass)
{
	bool wanted = false, machine = c->o->tasks;
	c->stack_id++;
	c->npending = 0;
	struct clrsos_error *err = push(c, top, c->base_depth);
	while (!err && c->npending) {
		size_t i = c->pending[c->npending - 1].index;
		int depth = c->pending[--c->npending].depth;
		if (c->seen[i] == c->stack_id)
			continue;
		c->seen[i] = c->stack_id;
		const struct clrsos_async_object *o = &c->a->objects[i];
		wanted |= matches(c, o);
		machine |= o->is_box;
		if (visit)
			visit(c, o, depth);
		for (size_t k = 0; k < o->ncontinuations && !err; k++) {
			uint64_t next = c->a->continuations[o->first_continuation + k];
			const struct clrsos_async_object *n = included(c, next);
			if (n)
				err = push(c, index_of(c, n), depth + 1);
			else if (visit)
				visit(c, NULL, depth + 1), (void)next;
		}
	}
	*pass = wanted && machine;
	return err;
}

/* The frame of an included object, or (o NULL) nothing: unfound continuations are written by their caller. */
static void frame_text(struct ctx *c, const struct clrsos_async_object *o, int depth)
{
	if (!o)
		return;
	size_t len;
	const char *name = describe(o, &len);
	clrsos_outf(c->out, "%*s%016" PRIx64 " %016" PRIx64 " ", depth * 2, "", o->address, o->mt);
	if (o->is_box) {
		clrsos_outf(c->out, "(%" PRId32 ") ", o->has_state ? o->state : -1);
	} else {
		char flags[160];
		describe_flags(o->flags, flags, sizeof(flags));
		clrsos_outf(c->out, "(%s) ", flags);
	}
	char buf[1024];
	snprintf(buf, sizeof(buf), "%.*s", (int)len, name);
	clrsos_out_name(c->out, buf);
	clrsos_out(c->out, "\n");
	if (c->o->fields && o->sm_mt && o->sm_address) {
		struct clrsos_field_table table;
		struct clrsos_error *err = clrsos_field_table_init(&table, c->heap, c->dac, o->sm_mt, o->sm_address,
								   o->sm_is_object);
		if (err) {
			clrsos_outf(c->out, "%*s(fields unreadable: %s)\n", depth * 2 + 4, "", err->message);
			clrsos_error_destroy(err);
		} else {
			clrsos_field_table_render_text(&table, c->out);
			clrsos_field_table_deinit(&table);
		}
	}
}

/*
 * The name of a continuation that is no found Task: its type, except that a
 * plain System.Object is what Task stores once it has completed (its
 * s_taskCompletionSentinel: no continuation can be a bare object), named as
 * SOS names it.
 */
static const char *unfound_name(struct ctx *c, const struct clrsos_type *t)
{
	if (!t)
		return "";
	const char *name = clrsos_types_name(clrsos_heap_types(c->heap), t);
	return strcmp(name, "System.Object") == 0 ? "TaskCompletionSentinel" : name;
}

/* Unfound continuations (a delegate's target, a completed task) as SOS lists them under their frame. */
static void continuation_lines(struct ctx *c, const struct clrsos_async_object *o, int depth)
{
	for (size_t k = 0; k < o->ncontinuations; k++) {
		uint64_t next = c->a->continuations[o->first_continuation + k];
		if (included(c, next))
			continue;
		const struct clrsos_async_object *f = clrsos_async_find(c->a, next);
		const struct clrsos_type *t = NULL;
		if (clrsos_heap_object_at(c->heap, next, &t, NULL) != NULL)
			t = NULL; /* the error is the same as no type: shown with MT 0 */
		char flags[160] = "";
		if (f)
			describe_flags(f->flags, flags, sizeof(flags));
		clrsos_outf(c->out, "%*s%016" PRIx64 " %016" PRIx64 " (%s) ", (depth + 1) * 2, "", next,
			    t ? t->mt : 0, flags);
		clrsos_out_name(c->out, unfound_name(c, t));
		clrsos_out(c->out, "\n");
	}
}

static void visit_text(struct ctx *c, const struct clrsos_async_object *o, int depth)
{
	if (!o)
		return;
	frame_text(c, o, depth);
	continuation_lines(c, o, depth);
}

static void visit_json(struct ctx *c, const struct clrsos_async_object *o, int depth)
{
	if (!o)
		return;
	struct clrsos_json *j = c->j;
	size_t len;
	const char *name = describe(o, &len);
	char buf[1024];
	snprintf(buf, sizeof(buf), "%.*s", (int)len, name);
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "depth");
	clrsos_json_uint(j, (uint64_t)depth);
	clrsos_json_key(j, "address");
	clrsos_json_address(j, o->address);
	clrsos_json_key(j, "mt");
	clrsos_json_address(j, o->mt);
	clrsos_json_key(j, "size");
	clrsos_json_uint(j, o->size);
	clrsos_json_key(j, "is_state_machine");
	clrsos_json_bool(j, o->is_box);
	clrsos_json_key(j, "type");
	clrsos_json_string(j, o->type_name);
	clrsos_json_key(j, "description");
	clrsos_json_string(j, buf);
	if (o->is_box) {
		clrsos_json_key(j, "state");
		if (o->has_state)
			clrsos_json_int(j, o->state);
		else
			clrsos_json_null(j);
		clrsos_json_key(j, "state_machine_mt");
		clrsos_json_address(j, o->sm_mt);
		const struct clrsos_type *t = o->sm_mt ? clrsos_types_get(clrsos_heap_types(c->heap), o->sm_mt) : NULL;
		clrsos_json_key(j, "state_machine_type");
		if (t)
			clrsos_json_string(j, clrsos_types_name(clrsos_heap_types(c->heap), t));
		else
			clrsos_json_null(j);
		clrsos_json_key(j, "state_machine_address");
		clrsos_json_address(j, o->sm_address);
	}
	clrsos_json_key(j, "task_flags");
	clrsos_json_uint(j, o->flags);
	clrsos_json_key(j, "completed");
	clrsos_json_bool(j, clrsos_async_completed(o));
	clrsos_json_key(j, "continuations");
	clrsos_json_array_begin(j);
	for (size_t k = 0; k < o->ncontinuations; k++)
		clrsos_json_address(j, c->a->continuations[o->first_continuation + k]);
	clrsos_json_array_end(j);
	if (c->o->fields && o->sm_mt && o->sm_address) {
		struct clrsos_field_table table;
		struct clrsos_error *err = clrsos_field_table_init(&table, c->heap, c->dac, o->sm_mt, o->sm_address,
								   o->sm_is_object);
		if (err) {
			clrsos_error_destroy(err);
		} else {
			clrsos_field_table_render_json(&table, j);
			clrsos_field_table_deinit(&table);
		}
	}
	clrsos_json_object_end(j);
}

/* -coalesce: frames that read the same at one level grouped with a count, their continuations the next level. */
struct member {
	char *key;
	size_t pos;
	uint64_t address;
	uint64_t mt;
};

struct group {
	size_t first, count, pos; /* members[first..first+count) */
};

static int by_key(const void *x, const void *y)
{
	const struct member *a = x, *b = y;
	int d = strcmp(a->key, b->key);
	return d ? d : (a->pos > b->pos) - (a->pos < b->pos);
}

static int by_count(const void *x, const void *y)
{
	const struct group *a = x, *b = y;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

enum { MAX_COALESCE_DEPTH = 256 };

static char *member_key(struct ctx *c, uint64_t address, uint64_t *mt)
{
	const struct clrsos_async_object *o = included(c, address);
	char buf[1100];
	if (o) {
		size_t len;
		const char *name = describe(o, &len);
		*mt = o->mt;
		if (o->is_box)
			snprintf(buf, sizeof(buf), "(%" PRId32 ") %.*s", o->has_state ? o->state : -1, (int)len, name);
		else
			snprintf(buf, sizeof(buf), "%.*s", (int)len, name);
	} else {
		const struct clrsos_type *t = NULL;
		if (clrsos_heap_object_at(c->heap, address, &t, NULL) != NULL)
			t = NULL;
		*mt = t ? t->mt : 0;
		snprintf(buf, sizeof(buf), "%s", unfound_name(c, t));
	}
	return strdup(buf);
}

static struct clrsos_error *coalesce_level(struct ctx *c, const uint64_t *frames, size_t n, int depth)
{
	if (depth > MAX_COALESCE_DEPTH)
		return NULL;
	struct member *m = calloc(n ? n : 1, sizeof(*m));
	struct group *g = calloc(n ? n : 1, sizeof(*g));
	struct clrsos_error *err = (!m || !g) ? &clrsos_error_no_memory : NULL;
	for (size_t i = 0; i < n && !err; i++) {
		m[i].pos = i;
		m[i].address = frames[i];
		if (!(m[i].key = member_key(c, frames[i], &m[i].mt)))
			err = &clrsos_error_no_memory;
	}
	size_t ng = 0;
	if (!err) {
		qsort(m, n, sizeof(*m), by_key);
		for (size_t i = 0; i < n; i++) {
			if (i && strcmp(m[i].key, m[i - 1].key) == 0) {
				g[ng - 1].count++;
				continue;
			}
			g[ng].first = i;
			g[ng].count = 1;
			g[ng].pos = m[i].pos;
			ng++;
		}
		qsort(g, ng, sizeof(*g), by_count);
	}
	uint64_t *next = NULL;
	size_t nnext = 0, next_cap = 0;
	for (size_t k = 0; k < ng && !err; k++) {
		const struct member *first = &m[g[k].first];
		if (c->j) {
			clrsos_json_object_begin(c->j);
			clrsos_json_key(c->j, "count");
			clrsos_json_uint(c->j, g[k].count);
			clrsos_json_key(c->j, "mt");
			clrsos_json_address(c->j, first->mt);
			clrsos_json_key(c->j, "frame");
			clrsos_json_string(c->j, first->key);
		} else {
			if (depth == 0)
				clrsos_outf(c->out, "STACKS %zu\n", k + 1);
			clrsos_outf(c->out, "%*s[%zu] %016" PRIx64 " ", depth * 2, "", g[k].count, first->mt);
			clrsos_out_name(c->out, first->key);
			clrsos_out(c->out, "\n");
		}
		nnext = 0;
		for (size_t i = g[k].first; i < g[k].first + g[k].count && !err; i++) {
			const struct clrsos_async_object *o = included(c, m[i].address);
			for (size_t x = 0; o && x < o->ncontinuations && !err; x++) {
				if (!(err = clrsos_array_reserve(&next, &next_cap, nnext + 1)))
					next[nnext++] = c->a->continuations[o->first_continuation + x];
			}
		}
		if (c->j) {
			clrsos_json_key(c->j, "continuations");
			clrsos_json_array_begin(c->j);
		}
		if (!err && nnext) {
			uint64_t *copy = malloc(nnext * sizeof(*copy));
			if (!copy) {
				err = &clrsos_error_no_memory;
			} else {
				memcpy(copy, next, nnext * sizeof(*copy));
				err = coalesce_level(c, copy, nnext, depth + 1);
				free(copy);
			}
		}
		if (c->j) {
			clrsos_json_array_end(c->j);
			clrsos_json_object_end(c->j);
		} else if (depth == 0) {
			clrsos_out(c->out, "\n");
		}
	}
	free(next);
	for (size_t i = 0; m && i < n; i++)
		free(m[i].key);
	free(m);
	free(g);
	return err;
}

static struct clrsos_error *parse(struct async_options *o, const struct clrsos_host *host, int argc,
				  const char *const *argv)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_ADDRESS("--methodtable|-mt", &o->mt, .given = &o->have_mt),
		CLRSOS_ADDRESS("--address|-addr", &o->address, .given = &o->have_address),
		CLRSOS_STRING("--type|-type", &o->type, .flags = CLRSOS_OPTION_NONEMPTY),
		CLRSOS_FLAG("--tasks|-tasks|-t", &o->tasks),
		CLRSOS_FLAG("--completed|-completed|-c", &o->completed),
		CLRSOS_FLAG("--fields|-fields|-f", &o->fields),
		CLRSOS_FLAG("--stats|-stats", &o->stats),
		CLRSOS_FLAG("--coalesce|-coalesce", &o->coalesce),
		CLRSOS_FLAG("--json", &o->json),
	};
	const struct clrsos_options spec = {
		.command = "dumpasync",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}

static struct clrsos_error *render_stats(struct ctx *c)
{
	/* Per description, in descending count. */
	size_t n = 0;
	uint64_t *frames = malloc((c->a->count ? c->a->count : 1) * sizeof(*frames));
	if (!frames)
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < c->a->count; i++) {
		const struct clrsos_async_object *o = &c->a->objects[i];
		if (c->included[i] && matches(c, o) && (c->o->tasks || o->is_box))
			frames[n++] = o->address;
	}
	struct member *m = calloc(n ? n : 1, sizeof(*m));
	struct clrsos_error *err = m ? NULL : &clrsos_error_no_memory;
	for (size_t i = 0; i < n && !err; i++) {
		const struct clrsos_async_object *o = included(c, frames[i]);
		size_t len;
		const char *name = describe(o, &len);
		m[i].pos = i;
		m[i].mt = o->mt;
		if (!(m[i].key = strndup(name, len)))
			err = &clrsos_error_no_memory;
	}
	struct group *g = err ? NULL : calloc(n ? n : 1, sizeof(*g));
	if (!err && !g)
		err = &clrsos_error_no_memory;
	if (!err) {
		size_t ng = 0;
		qsort(m, n, sizeof(*m), by_key);
		for (size_t i = 0; i < n; i++) {
			if (i && strcmp(m[i].key, m[i - 1].key) == 0) {
				g[ng - 1].count++;
				continue;
			}
			g[ng].first = i;
			g[ng].count = 1;
			g[ng].pos = m[i].pos;
			ng++;
		}
		qsort(g, ng, sizeof(*g), by_count);
		if (c->j) {
			clrsos_json_key(c->j, "stats");
			clrsos_json_array_begin(c->j);
		} else {
			clrsos_outf(c->out, "%-16s %-8s Type\n", "MT", "Count");
		}
		for (size_t k = 0; k < ng; k++) {
			const struct member *f = &m[g[k].first];
			if (c->j) {
				clrsos_json_object_begin(c->j);
				clrsos_json_key(c->j, "mt");
				clrsos_json_address(c->j, f->mt);
				clrsos_json_key(c->j, "count");
				clrsos_json_uint(c->j, g[k].count);
				clrsos_json_key(c->j, "type");
				clrsos_json_string(c->j, f->key);
				clrsos_json_object_end(c->j);
			} else {
				char count[32];
				snprintf(count, sizeof(count), "%zu", g[k].count);
				clrsos_outf(c->out, "%016" PRIx64 " %-8s ", f->mt, count);
				clrsos_out_name(c->out, f->key);
				clrsos_out(c->out, "\n");
			}
		}
		if (c->j)
			clrsos_json_array_end(c->j);
	}
	for (size_t i = 0; m && i < n; i++)
		free(m[i].key);
	free(m);
	free(g);
	free(frames);
	return err;
}

static struct clrsos_error *render(struct ctx *c)
{
	const struct clrsos_async *a = c->a;
	if (c->o->stats)
		return render_stats(c);
	struct clrsos_error *err = NULL;
	if (c->j) {
		clrsos_json_key(c->j, c->o->coalesce ? "coalesced" : "stacks");
		clrsos_json_array_begin(c->j);
	}
	if (c->o->coalesce) {
		uint64_t *tops = malloc((a->count ? a->count : 1) * sizeof(*tops));
		size_t n = 0;
		if (!tops)
			return &clrsos_error_no_memory;
		for (size_t i = 0; i < a->count && !err; i++) {
			bool pass = false;
			if (c->top[i] && !(err = walk_stack(c, i, NULL, &pass)) && pass)
				tops[n++] = a->objects[i].address;
		}
		if (!err && n)
			err = coalesce_level(c, tops, n, 0);
		c->stacks = n;
		free(tops);
	} else {
		for (size_t i = 0; i < a->count && !err; i++) {
			bool pass = false;
			if (!c->top[i] || (err = walk_stack(c, i, NULL, &pass)) || !pass)
				continue;
			c->stacks++;
			struct clrsos_async_awaiter aw;
			bool awaiting = false;
			if (!clrsos_async_completed(&a->objects[i]) &&
			    (err = clrsos_async_awaiter(c->heap, c->dac, &a->objects[i], &aw, &awaiting)))
				break;
			const struct clrsos_type *awt = awaiting ? clrsos_types_get(clrsos_heap_types(c->heap), aw.mt) : NULL;
			const char *awname = awt ? clrsos_types_name(clrsos_heap_types(c->heap), awt) : "";
			c->base_depth = awaiting ? 1 : 0;
			if (c->j) {
				clrsos_json_object_begin(c->j);
				if (awaiting) {
					clrsos_json_key(c->j, "awaiting");
					clrsos_json_object_begin(c->j);
					clrsos_json_key(c->j, "address");
					clrsos_json_address(c->j, aw.address);
					clrsos_json_key(c->j, "mt");
					clrsos_json_address(c->j, aw.mt);
					clrsos_json_key(c->j, "type");
					clrsos_json_string(c->j, awname);
					clrsos_json_key(c->j, "is_value");
					clrsos_json_bool(c->j, aw.is_value);
					clrsos_json_object_end(c->j);
				}
				clrsos_json_key(c->j, "frames");
				clrsos_json_array_begin(c->j);
				err = walk_stack(c, i, visit_json, &pass);
				clrsos_json_array_end(c->j);
				clrsos_json_object_end(c->j);
			} else {
				clrsos_outf(c->out, "STACK %zu\n", c->stacks);
				if (awaiting) {
					clrsos_outf(c->out, "<< Awaiting: %016" PRIx64 " %016" PRIx64 " ", aw.address, aw.mt);
					clrsos_out_name(c->out, awname);
					clrsos_out(c->out, " >>\n");
				}
				err = walk_stack(c, i, visit_text, &pass);
				clrsos_out(c->out, "\n");
			}
		}
	}
	if (c->j) {
		clrsos_json_array_end(c->j);
		clrsos_json_key(c->j, "stack_count");
		clrsos_json_uint(c->j, c->stacks);
	}
	return err;
}

struct clrsos_error *clrsos_cmd_dumpasync(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	struct async_options o;
	struct clrsos_error *err = parse(&o, host, argc, argv);
	if (err)
		return err;
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	if ((err = clrsos_session_heap(session, &heap)) || (err = clrsos_session_dac(session, &dac)))
		return err;
	if (o.have_mt && !clrsos_types_get(clrsos_heap_types(heap), o.mt))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "dumpasync -mt 0x%" PRIx64 ": not a "
					   "MethodTable (take one from dumpasync -stats or dumpheap -stat)", o.mt);
	struct clrsos_async a;
	if ((err = clrsos_async_init(&a, heap, dac, true)))
		return clrsos_error_wrap(err, "dumpasync");
	struct ctx c = {.o = &o, .a = &a, .heap = heap, .dac = dac, .out = out};
	size_t n = a.count ? a.count : 1;
	c.included = calloc(n, sizeof(*c.included));
	c.top = calloc(n, sizeof(*c.top));
	c.seen = calloc(n, sizeof(*c.seen));
	if (!c.included || !c.top || !c.seen) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (size_t i = 0; i < a.count; i++)
		c.included[i] = c.top[i] = o.completed || !clrsos_async_completed(&a.objects[i]);
	for (size_t i = 0; i < a.count; i++) {
		if (!c.included[i])
			continue;
		const struct clrsos_async_object *x = &a.objects[i];
		for (size_t k = 0; k < x->ncontinuations; k++) {
			const struct clrsos_async_object *y = included(&c, a.continuations[x->first_continuation + k]);
			if (y && y != x)
				c.top[index_of(&c, y)] = false;
		}
	}
	struct clrsos_json j;
	if (o.json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		c.j = &j;
	}
	err = render(&c);
	if (o.json) {
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
out:
	free(c.included);
	free(c.top);
	free(c.seen);
	free(c.pending);
	clrsos_async_deinit(&a);
	return err;
}
