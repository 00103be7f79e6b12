/*
 * gcroot: what keeps an object alive. For each root, a shortest chain of
 * references to the target: one search backwards from the target over
 * this stop's referrers index (referrers.h, built on the first gcroot of a
 * stop) marks every object that leads to it; each root that holds one of
 * them has its chain. Compute resolves every name (methods, static fields,
 * types), then a renderer writes the result.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/reach.h"
#include "analysis/referrers.h"
#include "model/handletable.h"
#include "model/roots.h"
#include "model/stack.h"
#include "model/statics.h"
#include "commands.h"
#include "base/vector.h"
#include "rootcmds.h"

struct gcroot_options {
	bool json, nostacks, all, have;
	uint64_t address, limit;
};

static struct clrsos_error *address_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct gcroot_options *o = ctx;
	struct clrsos_error *err = clrsos_address_operand("gcroot", host, arg, &o->have, &o->address);
	return err ? clrsos_error_wrap(err, "gcroot") : NULL;
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct gcroot_options *o)
{
	memset(o, 0, sizeof(*o));
	o->limit = UINT64_MAX;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-nostacks", &o->nostacks),
		CLRSOS_FLAG("-all", &o->all), /* every root is listed with its shortest chain anyway */
		/* -limit 0 would answer "nothing keeps it alive" without looking. */
		CLRSOS_UINT("-limit", &o->limit, .min = 1),
	};
	const struct clrsos_options spec = {
		.command = "gcroot",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1, /* a second address is refused by address_operand */
		.operand = address_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->have)
		err = clrsos_address_missing("gcroot", "an object");
	return err;
}

/* One object of a chain, named. */
struct gcroot_link {
	uint64_t address;
	const char *type_name;    /* "?" when no object is there */
	bool dependent;           /* reached through a dependent handle */
	const char *static_field; /* leaving a handle's statics array: the static field, or NULL */
};

/* A root that leads to the target, named, and its chain (the root's object first). */
struct gcroot_path {
	const struct clrsos_root *root;
	char *field;                /* (thread) statics: "Type.field", or NULL (malloc'd) */
	const char *declaring_type; /* (thread) statics: the field's type, or NULL */
	char *method;               /* stacks: the frame's method, or NULL (malloc'd) */
	struct gcroot_link *links;
	size_t nlinks;
};

struct gcroot_result {
	uint64_t address;
	const char *target_type;
	bool nostacks;
	struct gcroot_path *paths;
	size_t count, cap;
	bool frozen, live;
	uint64_t threads_failed, stack_slots_not_objects;
	char warnings[2][256];
	size_t nwarnings;
	uint64_t index_objects, index_references, index_bytes;
	struct clrsos_static_slots *slots; /* built on first need */
	bool slots_built;
};

static void result_deinit(struct gcroot_result *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->paths[i].field);
		free(r->paths[i].method);
		free(r->paths[i].links);
	}
	free(r->paths);
	clrsos_static_slots_destroy(r->slots);
}

/* The static field whose slot in the object[] at holder holds value, or NULL. */
static struct clrsos_error *static_name(struct clrsos_root_cmd *c, struct gcroot_result *r, uint8_t **buf,
					size_t *buf_cap, uint64_t holder, uint64_t value, const char **ret)
{
	*ret = NULL;
	const struct clrsos_type *t;
	uint64_t size;
	struct clrsos_error *err = clrsos_heap_read_object(c->heap, holder, &t, &size, buf, buf_cap);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	if (!t->is_array || t->component_size != 8)
		return NULL;
	if (!r->slots_built) {
		r->slots_built = true;
		if ((err = clrsos_static_slots_create(c->dac, c->types, &r->slots)))
			return err;
	}
	for (uint64_t off = 16; off + 8 <= size; off += 8) {
		uint64_t v;
		memcpy(&v, *buf + off, 8);
		const char *name;
		if (v == value && (name = clrsos_static_slots_name(r->slots, holder + off))) {
			*ret = name;
			return NULL;
		}
	}
	return NULL;
}

/* Names a root: its static field, or its frame's method. */
static struct clrsos_error *name_root(struct clrsos_root_cmd *c, struct gcroot_path *p)
{
	const struct clrsos_root *root = p->root;
	if (root->kind == CLRSOS_ROOT_STATIC || root->kind == CLRSOS_ROOT_THREAD_STATIC) {
		const struct clrsos_type *t = clrsos_types_get(c->types, root->field_mt);
		p->declaring_type = t ? clrsos_types_name(c->types, t) : NULL;
		return clrsos_static_field_name(c->dac, c->types, root->field_mt, root->field_token, &p->field);
	}
	if (root->kind == CLRSOS_ROOT_STACK && root->source_type == 0) {
		struct clrsos_error *err = clrsos_method_name_at_ip(c->dac, root->source, &p->method);
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
	}
	return NULL;
}

static struct clrsos_error *add_path(struct gcroot_result *r, struct gcroot_path **ret)
{
	struct clrsos_error *err = clrsos_array_reserve(&r->paths, &r->cap, r->count + 1);
	if (err)
		return err;
	*ret = &r->paths[r->count++];
	memset(*ret, 0, sizeof(**ret));
	return NULL;
}

/*
 * The object a root holds: its start, for a root that may point inside one
 * (a stack slot). *found false where it holds none; an error only without
 * memory.
 */
static struct clrsos_error *root_object(struct clrsos_root_cmd *c, const struct clrsos_root *root, uint64_t *ret,
					bool *found)
{
	*ret = root->object;
	*found = root->object != 0;
	if (!*found || !root->interior)
		return NULL;
	struct clrsos_error *e = clrsos_heap_find_object(c->heap, root->object, ret, NULL);
	if (clrsos_error_is_no_memory(e))
		return e;
	*found = e == NULL;
	clrsos_error_destroy(e);
	return NULL;
}

static struct clrsos_error *find_paths(struct clrsos_root_cmd *c, struct clrsos_referrers *referrers,
				       const struct clrsos_roots *roots, const struct gcroot_options *o,
				       struct gcroot_result *r)
{
	struct clrsos_error *err = NULL;
	struct clrsos_chain_link *chain = NULL;
	size_t chain_cap = 0;
	uint8_t *buf = NULL;
	size_t buf_cap = 0;
	for (size_t i = 0; i < roots->count && r->count < o->limit && !err; i++) {
		const struct clrsos_root *root = &roots->items[i];
		if (o->nostacks && root->kind == CLRSOS_ROOT_STACK)
			continue;
		uint64_t start;
		bool found;
		if ((err = root_object(c, root, &start, &found)))
			break;
		if (!found)
			continue;
		size_t n = 0;
		if ((err = clrsos_referrers_chain(referrers, start, &chain, &chain_cap, &n)) || !n)
			continue;
		struct gcroot_path *p;
		if ((err = add_path(r, &p)))
			break;
		p->root = root;
		if ((err = name_root(c, p)))
			break;
		if (!(p->links = calloc(n, sizeof(*p->links)))) {
			err = &clrsos_error_no_memory;
			break;
		}
		p->nlinks = n;
		for (size_t k = 0; k < n && !err; k++) {
			struct gcroot_link *l = &p->links[k];
			const struct clrsos_type *t;
			l->address = chain[k].address;
			l->dependent = chain[k].dependent;
			if ((err = clrsos_root_cmd_type_of(c, l->address, &t, NULL)))
				break;
			l->type_name = t ? clrsos_types_name(c->types, t) : "?";
			/* Leaving a handle's statics array: which static field this is. */
			if (k == 1 && root->kind == CLRSOS_ROOT_HANDLE)
				err = static_name(c, r, &buf, &buf_cap, chain[0].address, l->address, &l->static_field);
		}
	}
	free(chain);
	free(buf);
	return err;
}

/*
 * Whether the last search met any root's object, whatever -nostacks and
 * -limit leave out: whether the target is live (the marking's answer: a
 * root leads to it through references and dependent handles).
 */
static struct clrsos_error *reached_from_a_root(struct clrsos_root_cmd *c, struct clrsos_referrers *referrers,
						const struct clrsos_roots *roots, bool *ret)
{
	*ret = false;
	for (size_t i = 0; i < roots->count && !*ret; i++) {
		uint64_t start;
		bool found;
		struct clrsos_error *err = root_object(c, &roots->items[i], &start, &found);
		if (err)
			return err;
		*ret = found && clrsos_referrers_leads(referrers, start);
	}
	return NULL;
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct gcroot_options *o,
				    struct gcroot_result *r)
{
	memset(r, 0, sizeof(*r));
	r->address = o->address;
	r->nostacks = o->nostacks;
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	const struct clrsos_type *target_type;
	if ((err = clrsos_heap_object_at(c.heap, o->address, &target_type, NULL)))
		return err;
	r->target_type = clrsos_types_name(c.types, target_type);
	const struct clrsos_reach *reach;
	struct clrsos_referrers *referrers;
	if ((err = clrsos_session_roots(session, &reach)) || (err = clrsos_session_referrers(session, &referrers)) ||
	    (err = clrsos_referrers_search(referrers, o->address)))
		return clrsos_error_wrap(err, "gcroot");
	const struct clrsos_roots *roots = clrsos_reach_roots(reach);
	if ((err = find_paths(&c, referrers, roots, o, r)))
		return clrsos_error_wrap(err, "gcroot");
	r->frozen = clrsos_reach_is_frozen(reach, o->address);
	if (r->frozen)
		r->live = true;
	else if ((err = reached_from_a_root(&c, referrers, roots, &r->live)))
		return clrsos_error_wrap(err, "gcroot");
	r->threads_failed = roots->threads_failed;
	r->stack_slots_not_objects = clrsos_reach_stats(reach)->stack_slots_not_objects;
	clrsos_reach_warnings(reach, r->warnings, &r->nwarnings);
	/* What this stop's index holds: for measuring it, not for reading the answer. */
	const struct clrsos_referrers_stats *rs = clrsos_referrers_stats(referrers);
	r->index_objects = rs->objects;
	r->index_references = rs->references;
	r->index_bytes = rs->bytes + clrsos_reach_stats(reach)->bytes;
	return NULL;
}

static const char *kind_name(enum clrsos_root_kind kind)
{
	return kind == CLRSOS_ROOT_HANDLE	     ? "handle"
	       : kind == CLRSOS_ROOT_STACK	     ? "stack"
	       : kind == CLRSOS_ROOT_THREAD_STATIC ? "threadStatic"
	       : kind == CLRSOS_ROOT_STATIC	     ? "static"
						     : "finalizer";
}

static void render_path_json(struct clrsos_json *j, const struct gcroot_path *p)
{
	const struct clrsos_root *r = p->root;
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "kind");
	clrsos_json_string(j, kind_name(r->kind));
	if (r->kind == CLRSOS_ROOT_HANDLE) {
		clrsos_json_key(j, "handle");
		clrsos_json_address(j, r->address);
		clrsos_json_key(j, "handleType");
		clrsos_json_string(j, clrsos_handle_type_name(r->handle_type));
	} else if (r->kind == CLRSOS_ROOT_STACK) {
		clrsos_json_key(j, "osThreadId");
		clrsos_json_uint(j, r->os_thread_id);
		clrsos_json_key(j, "stackPointer");
		clrsos_json_address(j, r->stack_pointer);
		clrsos_json_key(j, "ip");
		clrsos_json_address(j, r->source);
		clrsos_json_key(j, "slot");
		clrsos_json_address(j, r->address);
	} else if (r->kind == CLRSOS_ROOT_THREAD_STATIC || r->kind == CLRSOS_ROOT_STATIC) {
		if (r->kind == CLRSOS_ROOT_THREAD_STATIC) {
			clrsos_json_key(j, "osThreadId");
			clrsos_json_uint(j, r->os_thread_id);
		}
		clrsos_json_key(j, "slot");
		clrsos_json_address(j, r->address);
		clrsos_json_key(j, "fieldToken");
		clrsos_json_uint(j, r->field_token);
		clrsos_json_key(j, "declaringType");
		clrsos_json_string(j, p->declaring_type);
		clrsos_json_key(j, "field");
		clrsos_json_string(j, p->field);
	} else {
		clrsos_json_key(j, "queueEntry");
		clrsos_json_address(j, r->address);
	}
	clrsos_json_key(j, "path");
	clrsos_json_array_begin(j);
	for (size_t k = 0; k < p->nlinks; k++) {
		const struct gcroot_link *l = &p->links[k];
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "address");
		clrsos_json_address(j, l->address);
		clrsos_json_key(j, "type");
		clrsos_json_string(j, l->type_name);
		clrsos_json_key(j, "dependentHandle");
		clrsos_json_bool(j, l->dependent);
		if (l->static_field) {
			clrsos_json_key(j, "staticField");
			clrsos_json_string(j, l->static_field);
		}
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	clrsos_json_object_end(j);
}

static void render_json(const struct gcroot_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "target");
	clrsos_json_address(&j, r->address);
	clrsos_json_key(&j, "roots");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++)
		render_path_json(&j, &r->paths[i]);
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "count");
	clrsos_json_uint(&j, r->count);
	clrsos_json_key(&j, "frozen");
	clrsos_json_bool(&j, r->frozen);
	clrsos_json_key(&j, "threadsUnreadable");
	clrsos_json_uint(&j, r->threads_failed);
	clrsos_json_key(&j, "stackSlotsNotObjects");
	clrsos_json_uint(&j, r->stack_slots_not_objects);
	clrsos_json_key(&j, "warnings");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nwarnings; i++)
		clrsos_json_string(&j, r->warnings[i]);
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "index");
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "objects");
	clrsos_json_uint(&j, r->index_objects);
	clrsos_json_key(&j, "references");
	clrsos_json_uint(&j, r->index_references);
	clrsos_json_key(&j, "bytes");
	clrsos_json_uint(&j, r->index_bytes);
	clrsos_json_object_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void render_root_text(const struct gcroot_path *p, struct clrsos_writer *w)
{
	const struct clrsos_root *r = p->root;
	struct clrsos_name_buf nb;
	switch (r->kind) {
	case CLRSOS_ROOT_HANDLE:
		clrsos_outf(w, "HandleTable:\n    %016" PRIx64 " (%s handle)\n", r->address,
			    clrsos_handle_type_name(r->handle_type));
		break;
	case CLRSOS_ROOT_FINALIZER:
		clrsos_outf(w, "Finalizer Queue:\n    %016" PRIx64 "\n", r->address);
		break;
	case CLRSOS_ROOT_STATIC:
		clrsos_outf(w, "Static variable:\n    %016" PRIx64 " (static variable: ", r->address);
		if (p->field)
			clrsos_outf(w, "%s)\n", clrsos_safe_name(p->field, &nb));
		else
			clrsos_outf(w, "%s, field token %08x)\n",
				    p->declaring_type ? clrsos_safe_name(p->declaring_type, &nb) : "?", r->field_token);
		break;
	case CLRSOS_ROOT_THREAD_STATIC:
		if (p->field)
			clrsos_outf(w, "Thread %x:\n    %016" PRIx64 " (thread static variable: %s)\n", r->os_thread_id,
				    r->address, clrsos_safe_name(p->field, &nb));
		else
			clrsos_outf(w, "Thread %x:\n    %016" PRIx64 " (thread static variable of %s, field token %08x)\n",
				    r->os_thread_id, r->address,
				    p->declaring_type ? clrsos_safe_name(p->declaring_type, &nb) : "?", r->field_token);
		break;
	case CLRSOS_ROOT_STACK: {
		clrsos_outf(w, "Thread %x:\n", r->os_thread_id);
		clrsos_outf(w, "    %016" PRIx64 " %016" PRIx64 " %s\n", r->stack_pointer, r->source,
			    p->method ? clrsos_safe_name(p->method, &nb)
			    : r->source_type == 1 ? "[Frame]"
						  : "[unknown method]");
		const char *reg = clrsos_register_name(r->reg);
		if (reg && !r->address)
			clrsos_outf(w, "        %s:\n", reg);
		else
			clrsos_outf(w, "        %016" PRIx64 "%s\n", r->address, r->interior ? " (interior)" : "");
		break;
	}
	}
}

static void render_text(const struct gcroot_result *r, struct clrsos_writer *out)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct gcroot_path *p = &r->paths[i];
		render_root_text(p, out);
		for (size_t k = 0; k < p->nlinks; k++) {
			const struct gcroot_link *l = &p->links[k];
			struct clrsos_name_buf nb, fb;
			clrsos_outf(out, "          %s %012" PRIx64 " %s%s%s%s\n",
				    l->dependent ? "-> (dependent handle) ->" : "->", l->address,
				    clrsos_safe_name(l->type_name, &nb), l->static_field ? " (static variable: " : "",
				    l->static_field ? clrsos_safe_name(l->static_field, &fb) : "", l->static_field ? ")" : "");
		}
		clrsos_out(out, "\n");
	}
	struct clrsos_name_buf nb;
	if (r->count) {
		clrsos_outf(out, "Found %zu unique root%s.\n", r->count, r->count == 1 ? "" : "s");
		if (r->frozen)
			clrsos_outf(out, "0x%" PRIx64 " is on the NonGC (frozen) heap: the GC never collects it.\n",
				    r->address);
	} else if (r->frozen) {
		clrsos_outf(out, "Found 0 unique roots: 0x%" PRIx64 " (%s) is on the NonGC (frozen) heap: the GC never "
			    "collects it, so it is live without a root.\n", r->address, r->target_type);
	} else if (r->nostacks && r->live) {
		clrsos_outf(out, "Found 0 unique roots other than stacks: 0x%" PRIx64 " (%s) is kept alive only from a stack "
			    "(-nostacks left them out).\n", r->address, clrsos_safe_name(r->target_type, &nb));
	} else {
		clrsos_outf(out, "Found 0 unique roots: nothing keeps 0x%" PRIx64 " (%s) alive; the next full GC collects it.\n",
			    r->address, clrsos_safe_name(r->target_type, &nb));
	}
	for (size_t i = 0; i < r->nwarnings; i++)
		clrsos_outf(out, "Warning: %s\n", r->warnings[i]);
}

struct clrsos_error *clrsos_cmd_gcroot(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	struct gcroot_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct gcroot_result r;
	if (!(err = compute(session, &o, &r))) {
		if (o.json)
			render_json(&r, out);
		else
			render_text(&r, out);
	}
	result_deinit(&r);
	return err;
}
