/*
 * retained: what one object keeps alive alone. Its retained size (its own
 * and that of every object it dominates: what a collection would free if
 * nothing referred to it), the chain of objects that in turn keep it alive
 * alone, up to the roots, and the largest objects it retains, a few levels
 * down. Built on this stop's dominator tree (analysis/dominators.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dominators.h"
#include "analysis/reach.h"
#include "analysis/referrers.h"
#include "base/vector.h"
#include "commands.h"
#include "model/handletable.h"
#include "rootcmds.h"

enum { DEFAULT_TOP = 10, MAX_DEPTH = 8, MAX_CHAIN = 4096 };

struct retained_options {
	bool json, have;
	uint64_t address, top, depth;
};

/* One object of the answer. */
struct retained_object {
	uint64_t address;
	const char *type; /* borrowed from the types */
	uint64_t size, retained, count;
	unsigned level;   /* below the object asked about (children) */
	uint64_t parent;  /* its immediate dominator (children) */
};

CLRSOS_VECTOR(retained_objects, struct retained_object)

struct retained_result {
	struct retained_object self;
	struct retained_objects chain;    /* its dominators, nearest first */
	bool chain_cut;                   /* longer than MAX_CHAIN */
	const struct clrsos_root *root;   /* the root holding the chain's last object, if one does */
	size_t roots_holding;             /* how many roots hold it */
	struct retained_objects children; /* the largest it retains, in tree order */
	uint64_t heap_retained;           /* all live objects' size */
};

static void result_deinit(struct retained_result *r)
{
	retained_objects_deinit(&r->chain);
	retained_objects_deinit(&r->children);
}

static struct clrsos_error *address_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct retained_options *o = ctx;
	struct clrsos_error *err = clrsos_address_operand("retained", host, arg, &o->have, &o->address);
	return err ? clrsos_error_wrap(err, "retained") : NULL;
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct retained_options *o)
{
	memset(o, 0, sizeof(*o));
	o->top = DEFAULT_TOP;
	o->depth = 1;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_UINT("-top", &o->top, .min = 0, .max = 100000),
		CLRSOS_UINT("-depth", &o->depth, .min = 0, .max = MAX_DEPTH),
	};
	const struct clrsos_options spec = {
		.command = "retained",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1, /* a second address is refused by address_operand */
		.operand = address_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->have)
		err = clrsos_address_missing("retained", "an object");
	return err;
}

static struct clrsos_error *describe(struct clrsos_root_cmd *c, uint64_t address, struct retained_object *ret)
{
	const struct clrsos_type *type;
	ret->address = address;
	struct clrsos_error *err = clrsos_root_cmd_type_of(c, address, &type, &ret->size);
	if (err)
		return err;
	ret->type = type ? clrsos_types_name(c->types, type) : "<no object>";
	return NULL;
}

/* Larger retained first; then tree order (the parent's level first). */
static int by_retained(const void *a, const void *b)
{
	const struct clrsos_dom_node *x = a, *y = b;
	if (x->retained != y->retained)
		return x->retained > y->retained ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/*
 * The children to show: on each level the top largest under each shown
 * parent, in tree order (each parent followed by its own).
 */
static struct clrsos_error *pick_children(struct clrsos_root_cmd *c, struct clrsos_referrers *refs,
					  struct clrsos_dom_node *nodes, size_t n, uint32_t self, uint64_t top,
					  unsigned level, struct retained_objects *out)
{
	if (!top)
		return NULL;
	/* nodes is sorted by retained: the first top whose parent is self, at this level. */
	uint64_t taken = 0;
	for (size_t i = 0; i < n && taken < top; i++) {
		if (nodes[i].level != level || nodes[i].idom != self)
			continue;
		taken++;
		struct retained_object *o = retained_objects_push_slot(out);
		if (!o)
			return &clrsos_error_no_memory;
		struct clrsos_error *err = describe(c, clrsos_referrers_address(refs, nodes[i].node), o);
		if (err)
			return err;
		o->retained = nodes[i].retained;
		o->count = nodes[i].count;
		o->level = level;
		o->parent = clrsos_referrers_address(refs, self);
		if ((err = pick_children(c, refs, nodes, n, nodes[i].node, top, level + 1, out)))
			return err;
	}
	return NULL;
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct retained_options *o,
				    struct retained_result *r)
{
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	uint64_t start;
	if ((err = clrsos_heap_find_object(c.heap, o->address, &start, NULL)))
		return clrsos_error_wrap(err, "retained");
	const struct clrsos_reach *reach;
	struct clrsos_referrers *refs;
	struct clrsos_domtree *tree;
	if ((err = clrsos_session_reach(session, &reach)) ||
	    (err = clrsos_session_dominators(session, &refs, &tree)))
		return err;
	uint32_t n;
	if (!clrsos_referrers_number(refs, start, &n) || !clrsos_domtree_reached(tree, n))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "retained: 0x%" PRIx64 " is not live (no root keeps it alive): it retains "
					   "nothing; gcroot 0x%" PRIx64 " confirms",
					   start, start);
	if ((err = describe(&c, start, &r->self)))
		return err;
	r->heap_retained = clrsos_domtree_total(tree);
	/* Up the tree: each dominator of the last. */
	uint32_t up = clrsos_domtree_idom(tree, n), last = n;
	while (up != CLRSOS_DOM_ROOT) {
		if (r->chain.count >= MAX_CHAIN) {
			r->chain_cut = true;
			break;
		}
		struct retained_object *d = retained_objects_push_slot(&r->chain);
		if (!d)
			return &clrsos_error_no_memory;
		if ((err = describe(&c, clrsos_referrers_address(refs, up), d)))
			return err;
		d->retained = clrsos_domtree_retained(tree, up);
		last = up;
		up = clrsos_domtree_idom(tree, up);
	}
	/* Which roots hold the last one (none directly: several reach it by different ways). */
	if (!r->chain_cut) {
		uint64_t at = clrsos_referrers_address(refs, last);
		struct retained_object lastobj = {0};
		if ((err = describe(&c, at, &lastobj)))
			return err;
		const struct clrsos_roots *roots = clrsos_reach_roots(reach);
		for (size_t i = 0; i < roots->count; i++) {
			uint64_t held = roots->items[i].object;
			if (held == at || (roots->items[i].interior && held > at && held < at + lastobj.size)) {
				if (!r->roots_holding++)
					r->root = &roots->items[i];
			}
		}
	}
	struct clrsos_dom_node *nodes;
	size_t count;
	if ((err = clrsos_domtree_dominated(tree, n, (unsigned)o->depth, &nodes, &count, &r->self.count)))
		return err;
	r->self.retained = clrsos_domtree_retained(tree, n);
	qsort(nodes, count, sizeof(*nodes), by_retained);
	err = pick_children(&c, refs, nodes, count, n, o->top, 1, &r->children);
	free(nodes);
	return err;
}

static const char *root_kind(const struct clrsos_root *root)
{
	switch (root->kind) {
	case CLRSOS_ROOT_HANDLE: return "handle";
	case CLRSOS_ROOT_STACK: return "stack";
	case CLRSOS_ROOT_FINALIZER: return "finalizer queue";
	case CLRSOS_ROOT_THREAD_STATIC: return "thread static";
	case CLRSOS_ROOT_STATIC: return "static";
	}
	return "root";
}

static void text_object(struct clrsos_writer *out, const struct retained_object *o, unsigned indent, bool count)
{
	char retained[32], objects[32], ptr[32];
	clrsos_format_thousands(o->retained, retained, sizeof(retained));
	clrsos_format_thousands(o->count, objects, sizeof(objects));
	clrsos_format_pointer(o->address, ptr, sizeof(ptr));
	clrsos_outf(out, "%*s%-16s %16s", (int)indent, "", ptr, retained);
	if (count)
		clrsos_outf(out, " %12s", objects);
	clrsos_out(out, " ");
	clrsos_out_name(out, o->type);
	clrsos_out(out, "\n");
}

static void render_text(const struct retained_result *r, const struct retained_options *o,
			struct clrsos_writer *out)
{
	char own[32], retained[32], objects[32], ptr[32];
	clrsos_format_thousands(r->self.size, own, sizeof(own));
	clrsos_format_thousands(r->self.retained, retained, sizeof(retained));
	clrsos_format_thousands(r->self.count, objects, sizeof(objects));
	clrsos_format_pointer(r->self.address, ptr, sizeof(ptr));
	clrsos_outf(out, "%s ", ptr);
	clrsos_out_name(out, r->self.type);
	clrsos_outf(out, " retains %s bytes in %s object%s (its own size: %s bytes; %.1f%% of the live heap)\n",
		    retained, objects, r->self.count == 1 ? "" : "s", own,
		    r->heap_retained ? 100.0 * (double)r->self.retained / (double)r->heap_retained : 0.0);
	clrsos_out(out, "\nKept alive alone by (each by the next):\n");
	if (!r->chain.count)
		clrsos_out(out, "  (nothing but roots)\n");
	else
		clrsos_outf(out, "  %-16s %16s %s\n", "Address", "Retained", "Type");
	for (size_t i = 0; i < r->chain.count; i++)
		text_object(out, &r->chain.items[i], 2, false);
	if (r->chain_cut)
		clrsos_outf(out, "  ... and more: the chain is longer than %d objects\n", MAX_CHAIN);
	else if (r->root) {
		char at[32];
		clrsos_format_pointer(r->root->address, at, sizeof(at));
		clrsos_outf(out, "  held by a %s root at %s", root_kind(r->root), at);
		if (r->root->kind == CLRSOS_ROOT_HANDLE)
			clrsos_outf(out, " (%s handle)", clrsos_handle_type_name(r->root->handle_type));
		if (r->roots_holding > 1)
			clrsos_outf(out, " and %zu more roots", r->roots_holding - 1);
		clrsos_out(out, "\n");
	} else {
		uint64_t last = r->chain.count ? r->chain.items[r->chain.count - 1].address : r->self.address;
		clrsos_outf(out, "  reached from several roots, none alone: gcroot 0x%" PRIx64 " lists them\n", last);
	}
	clrsos_outf(out, "\nLargest objects it retains (-top %" PRIu64 ", -depth %" PRIu64 "):\n", o->top, o->depth);
	if (!r->children.count) {
		clrsos_out(out, "  (none)\n");
		return;
	}
	clrsos_outf(out, "  %-16s %16s %12s %s\n", "Address", "Retained", "Objects", "Type");
	for (size_t i = 0; i < r->children.count; i++)
		text_object(out, &r->children.items[i], 2 * r->children.items[i].level, true);
}

static void json_object(struct clrsos_json *j, const struct retained_object *o, bool child)
{
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "address");
	clrsos_json_address(j, o->address);
	clrsos_json_key(j, "type");
	clrsos_json_string(j, o->type);
	clrsos_json_key(j, "size");
	clrsos_json_uint(j, o->size);
	clrsos_json_key(j, "retained");
	clrsos_json_uint(j, o->retained);
	if (child) {
		clrsos_json_key(j, "objects");
		clrsos_json_uint(j, o->count);
		clrsos_json_key(j, "level");
		clrsos_json_uint(j, o->level);
		clrsos_json_key(j, "dominator");
		clrsos_json_address(j, o->parent);
	}
	clrsos_json_object_end(j);
}

static void render_json(const struct retained_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, r->self.address);
	clrsos_json_key(&j, "type");
	clrsos_json_string(&j, r->self.type);
	clrsos_json_key(&j, "size");
	clrsos_json_uint(&j, r->self.size);
	clrsos_json_key(&j, "retained");
	clrsos_json_uint(&j, r->self.retained);
	clrsos_json_key(&j, "objects");
	clrsos_json_uint(&j, r->self.count);
	clrsos_json_key(&j, "liveHeap");
	clrsos_json_uint(&j, r->heap_retained);
	clrsos_json_key(&j, "dominators");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->chain.count; i++)
		json_object(&j, &r->chain.items[i], false);
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "chainTruncated");
	clrsos_json_bool(&j, r->chain_cut);
	clrsos_json_key(&j, "root");
	if (r->root) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "kind");
		clrsos_json_string(&j, root_kind(r->root));
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, r->root->address);
		clrsos_json_key(&j, "roots");
		clrsos_json_uint(&j, r->roots_holding);
		clrsos_json_object_end(&j);
	} else {
		clrsos_json_null(&j);
	}
	clrsos_json_key(&j, "retains");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->children.count; i++)
		json_object(&j, &r->children.items[i], true);
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_retained(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	struct retained_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct retained_result r = {0};
	retained_objects_init(&r.chain);
	retained_objects_init(&r.children);
	if (!(err = compute(session, &o, &r))) {
		if (o.json)
			render_json(&r, out);
		else
			render_text(&r, &o, out);
	}
	result_deinit(&r);
	return err;
}
