/*
 * retained: what one object keeps alive alone. Its retained size (its own
 * and that of every object it dominates: what a collection would free if
 * nothing referred to it), the chain of objects that in turn keep it alive
 * alone, up to the roots, and the largest objects it retains, a few levels
 * down. Built on this stop's dominator tree (analysis/dominators.h).
 *
 * dominators: the tree's top level, the objects no other object keeps
 * alive alone, by retained size, and the same by type.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dominators.h"
#include "analysis/reach.h"
#include "analysis/referrers.h"
#include "base/vector.h"
#include "analysis/histogram.h"
#include "commands.h"
#include "model/handletable.h"
#include "model/statics.h"
#include "retained.h"
#include "rootcmds.h"

enum { DEFAULT_TOP = 10, MAX_DEPTH = 8, MAX_CHAIN = 4096 };

struct retained_options {
	bool json, have, stat, have_top;
	uint64_t address, top, depth;
	const char *save; /* -stat --save: write the histogram with retained bytes to this file */
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
	char *root_name;                  /* a static root's field */
	struct retained_objects children; /* the largest it retains, in tree order */
	uint64_t heap_retained;           /* all live objects' size */
	struct clrsos_domtree_stats tree; /* the dominator tree's own */
};

static void result_deinit(struct retained_result *r)
{
	retained_objects_deinit(&r->chain);
	retained_objects_deinit(&r->children);
	free(r->root_name);
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
		CLRSOS_FLAG("-stat", &o->stat),
		CLRSOS_UINT("-top", &o->top, .given = &o->have_top, .min = 0, .max = UINT32_MAX),
		CLRSOS_UINT("-depth", &o->depth, .min = 0, .max = MAX_DEPTH),
		CLRSOS_STRING("--save|-save", &o->save, .flags = CLRSOS_OPTION_NONEMPTY),
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
	if (!err && o->stat && o->have)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "retained: -stat is by type over the whole heap: give it no address, or drop -stat");
	if (!err && o->save && !o->stat)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "retained --save writes the retained bytes by type: use it with -stat "
					  "(retained -stat --save <file>)");
	if (!err && !o->stat && !o->have)
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
/* By dominator, then larger retained first: each node's children in a run of their own. */
static int by_dominator(const void *a, const void *b)
{
	const struct clrsos_dom_node *x = a, *y = b;
	if (x->idom != y->idom)
		return x->idom < y->idom ? -1 : 1;
	return by_retained(a, b);
}

/*
 * The children to show: the top largest under self, each followed by its
 * own, levels deep. nodes is sorted by dominator (by_dominator).
 */
static struct clrsos_error *pick_children(struct clrsos_root_cmd *c, struct clrsos_referrers *refs,
					  const struct clrsos_dom_node *nodes, size_t n, uint32_t self, uint64_t top,
					  unsigned level, unsigned levels, struct retained_objects *out)
{
	if (!top || level > levels)
		return NULL;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nodes[mid].idom < self)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && nodes[i].idom == self && i - lo < top; i++) {
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
		if ((err = pick_children(c, refs, nodes, n, nodes[i].node, top, level + 1, levels, out)))
			return err;
	}
	return NULL;
}

/*
 * The roots that hold the object at address (size bytes) directly: *ret the
 * first (a static field's slot before the handle of the runtime's array of
 * them), *count how many.
 */
static void roots_holding(const struct clrsos_reach *reach, uint64_t at, uint64_t size, const struct clrsos_root **ret,
			  size_t *count)
{
	const struct clrsos_roots *roots = clrsos_reach_roots(reach);
	*ret = NULL;
	*count = 0;
	for (size_t i = 0; i < roots->nstatic_slots + roots->count; i++) {
		const struct clrsos_root *root = i < roots->nstatic_slots ? &roots->static_slots[i]
									  : &roots->items[i - roots->nstatic_slots];
		uint64_t held = root->object;
		if (held == at || (root->interior && held > at && held < at + size)) {
			if (!(*count)++)
				*ret = root;
		}
	}
}

/* A static root's field, "Type.field" (malloc'd), or NULL. */
static struct clrsos_error *static_name(struct clrsos_root_cmd *c, const struct clrsos_root *root, char **ret)
{
	*ret = NULL;
	if (!root || (root->kind != CLRSOS_ROOT_STATIC && root->kind != CLRSOS_ROOT_THREAD_STATIC))
		return NULL;
	return clrsos_static_field_name(c->dac, c->types, root->field_mt, root->field_token, ret);
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
	if ((err = clrsos_session_roots(session, &reach)) ||
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
	r->tree = *clrsos_domtree_stats(tree);
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
		roots_holding(reach, at, lastobj.size, &r->root, &r->roots_holding);
		if ((err = static_name(&c, r->root, &r->root_name)))
			return err;
	}
	struct clrsos_dom_node *nodes;
	size_t count;
	if ((err = clrsos_domtree_dominated(tree, n, (unsigned)o->depth, &nodes, &count, &r->self.count)))
		return err;
	r->self.retained = clrsos_domtree_retained(tree, n);
	qsort(nodes, count, sizeof(*nodes), by_dominator);
	err = pick_children(&c, refs, nodes, count, n, o->top, 1, (unsigned)o->depth, &r->children);
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
		clrsos_out(out, "  (no other object)\n");
	else
		clrsos_outf(out, "  %-16s %16s %s\n", "Address", "Retained", "Type");
	for (size_t i = 0; i < r->chain.count; i++)
		text_object(out, &r->chain.items[i], 2, false);
	if (r->chain_cut)
		clrsos_outf(out, "  ... and more: the chain is longer than %d objects\n", MAX_CHAIN);
	else if (r->root) {
		char at[32];
		clrsos_format_pointer(r->root->address, at, sizeof(at));
		if (r->root_name) {
			clrsos_out(out, "  held by static ");
			clrsos_out_name(out, r->root_name);
			clrsos_outf(out, " (slot %s)", at);
		} else {
			clrsos_outf(out, "  held by a %s root at %s", root_kind(r->root), at);
		}
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
		if (r->root_name) {
			clrsos_json_key(&j, "field");
			clrsos_json_string(&j, r->root_name);
		}
		clrsos_json_object_end(&j);
	} else {
		clrsos_json_null(&j);
	}
	clrsos_json_key(&j, "retains");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->children.count; i++)
		json_object(&j, &r->children.items[i], true);
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "tree");
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "liveObjects");
	clrsos_json_uint(&j, r->tree.reached);
	clrsos_json_key(&j, "bytes");
	clrsos_json_uint(&j, r->tree.bytes);
	clrsos_json_object_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

/* ---------------------------------------------------------------- retained -stat */

struct stat_walk {
	struct clrsos_referrers *refs;
	const struct clrsos_domtree *tree;
	const struct clrsos_reach *reach;
	uint64_t frozen_bytes;        /* frozen objects nothing refers to: live, outside the tree */
	uint32_t *group;              /* per node: its type's index */
	struct clrsos_retained_type *by_index;
	uint32_t ntypes;
	struct clrsos_types *types;
};

static bool stat_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct stat_walk *w = ctx;
	uint32_t n;
	if (!obj->type || obj->type->index >= w->ntypes)
		return true;
	struct clrsos_retained_type *t = &w->by_index[obj->type->index];
	if (!clrsos_referrers_number(w->refs, obj->address, &n) || !clrsos_domtree_reached(w->tree, n)) {
		/* Not reached from a root: dead, or frozen (never collected, so live as
		 * dumpheap -live counts it; it retains itself). */
		if (!clrsos_reach_is_frozen(w->reach, obj->address) || obj->type->mt == clrsos_types_free_mt(w->types))
			return true;
		t->retained += obj->size;
		w->frozen_bytes += obj->size;
	} else {
		w->group[n] = obj->type->index;
	}
	t->type = obj->type;
	t->count++;
	t->size += obj->size;
	if ((unsigned)obj->generation < CLRSOS_GEN_COUNT) {
		t->gen_count[obj->generation]++;
		t->gen_size[obj->generation] += obj->size;
	}
	return true;
}

static int by_retained_row(const void *a, const void *b)
{
	const struct clrsos_retained_type *x = a, *y = b;
	if (x->retained != y->retained)
		return x->retained < y->retained ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

static void stat_progress(void *ctx, uint64_t done, uint64_t total)
{
	clrsos_watch_report(ctx, done, total, total >> 20, "MB of heap read for retained sizes by type");
}

struct clrsos_error *clrsos_retained_by_type(struct clrsos_session *session, struct clrsos_retained_type **ret,
					     size_t *ret_count, uint64_t *ret_live)
{
	*ret = NULL;
	*ret_count = 0;
	*ret_live = 0;
	struct clrsos_root_cmd c;
	struct clrsos_referrers *refs;
	struct clrsos_domtree *tree;
	const struct clrsos_reach *reach;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err || (err = clrsos_session_roots(session, &reach)) ||
	    (err = clrsos_session_dominators(session, &refs, &tree)))
		return err;
	uint64_t nodes = clrsos_referrers_stats(refs)->objects;
	struct stat_walk w = {.refs = refs, .tree = tree, .reach = reach, .ntypes = clrsos_types_count(c.types), .types = c.types};
	w.group = malloc((nodes ? nodes : 1) * sizeof(uint32_t));
	w.by_index = calloc(w.ntypes ? w.ntypes : 1, sizeof(*w.by_index));
	uint64_t *bytes = calloc(w.ntypes ? w.ntypes : 1, sizeof(*bytes));
	if (!w.group || !w.by_index || !bytes) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	memset(w.group, 0xff, nodes * sizeof(uint32_t)); /* no type: in no group */
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_walk_result result;
	struct clrsos_watch *watch = clrsos_heap_watch(c.heap);
	if ((err = clrsos_heap_walk(c.heap, &filter, stat_object, &w, stat_progress, watch, &result)))
		goto out;
	if ((err = clrsos_domtree_group_retained(tree, w.group, w.ntypes, bytes)))
		goto out;
	*ret_live = clrsos_domtree_total(tree) + w.frozen_bytes;
	size_t n = 0;
	for (uint32_t i = 0; i < w.ntypes; i++) {
		if (!w.by_index[i].count)
			continue;
		w.by_index[i].retained += bytes[i];
		w.by_index[i].name = clrsos_types_name(c.types, w.by_index[i].type);
		w.by_index[n++] = w.by_index[i];
	}
	qsort(w.by_index, n, sizeof(*w.by_index), by_retained_row);
	*ret = w.by_index;
	*ret_count = n;
	w.by_index = NULL;
out:
	free(w.group);
	free(w.by_index);
	free(bytes);
	return err;
}

/*
 * -stat --save: the live objects' histogram (histogram.h) with each type's
 * retained bytes, every type whatever -top says, largest retained first.
 */
static struct clrsos_error *save_stat(const struct clrsos_retained_type *rows, size_t n, const char *path)
{
	struct clrsos_histogram h = {.live = true, .retained = true};
	struct clrsos_error *err = NULL;
	for (size_t i = n; i-- > 0 && !err;) {
		if (!clrsos_histogram_add(&h, rows[i].name, rows[i].type->mt, rows[i].count, rows[i].size, rows[i].gen_count,
					  rows[i].gen_size))
			err = &clrsos_error_no_memory;
		else
			h.rows[h.count - 1].retained = rows[i].retained;
		h.objects += rows[i].count;
		h.bytes += rows[i].size;
	}
	if (!err)
		err = clrsos_histogram_save(&h, path);
	clrsos_histogram_deinit(&h);
	return err ? clrsos_error_wrap(err, "retained --save") : NULL;
}

static void render_stat(const struct clrsos_retained_type *rows, size_t n, uint64_t live, const struct retained_options *o,
			const char *saved_to, struct clrsos_writer *out)
{
	size_t from = o->have_top && o->top < n ? n - (size_t)o->top : 0;
	if (o->json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "liveHeap");
		clrsos_json_uint(&j, live);
		clrsos_json_key(&j, "types");
		clrsos_json_array_begin(&j);
		for (size_t i = n; i-- > from;) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "mt");
			clrsos_json_address(&j, rows[i].type->mt);
			clrsos_json_key(&j, "type");
			clrsos_json_string(&j, rows[i].name);
			clrsos_json_key(&j, "count");
			clrsos_json_uint(&j, rows[i].count);
			clrsos_json_key(&j, "totalSize");
			clrsos_json_uint(&j, rows[i].size);
			clrsos_json_key(&j, "retained");
			clrsos_json_uint(&j, rows[i].retained);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		if (saved_to) {
			clrsos_json_key(&j, "savedTo");
			clrsos_json_string(&j, saved_to);
		}
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
		return;
	}
	clrsos_out(out, "Retained by type (live objects; each object counted once, under the topmost instance of the\n"
			"type that keeps it alive alone):\n");
	clrsos_outf(out, "%16s %10s %16s %16s %s\n", "MT", "Count", "TotalSize", "Retained", "Class Name");
	for (size_t i = from; i < n; i++) {
		char count[32], size[32], ret[32];
		clrsos_format_thousands(rows[i].count, count, sizeof(count));
		clrsos_format_thousands(rows[i].size, size, sizeof(size));
		clrsos_format_thousands(rows[i].retained, ret, sizeof(ret));
		clrsos_outf(out, "%16" PRIx64 " %10s %16s %16s ", rows[i].type->mt, count, size, ret);
		clrsos_out_name(out, rows[i].name);
		clrsos_out(out, "\n");
	}
	char total[32];
	clrsos_format_thousands(live, total, sizeof(total));
	clrsos_outf(out, "Live heap: %s bytes; a type's retained bytes include those of other types' objects it alone "
			 "keeps alive\n", total);
	if (saved_to) {
		struct clrsos_name_buf path;
		const char *safe = clrsos_safe_name(saved_to, &path);
		clrsos_outf(out, "Saved the statistics and retained bytes of %zu types to %s (compare later with: heapdiff %s)\n",
			    n, safe, safe);
	}
}

struct clrsos_error *clrsos_cmd_retained(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	struct retained_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	if (o.stat) {
		struct clrsos_retained_type *rows;
		size_t n;
		uint64_t live = 0;
		if (!(err = clrsos_retained_by_type(session, &rows, &n, &live)) && o.save &&
		    !(err = clrsos_session_check_saving(session, "retained --save")))
			err = save_stat(rows, n, o.save);
		if (!err)
			render_stat(rows, n, live, &o, o.save, out);
		free(rows);
		return err;
	}
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

/* ---------------------------------------------------------------- dominators */

struct dominators_options {
	bool json;
	uint64_t top;
};

/* One of the top level, and the root that holds it, if one does alone. */
struct top_object {
	struct retained_object object;
	const struct clrsos_root *root;
	size_t roots;
	char *field; /* a static root's */
};

/* The top level's objects of one type. */
struct top_type {
	const char *type;
	uint64_t count, retained, objects;
};

CLRSOS_VECTOR(top_objects, struct top_object)
CLRSOS_VECTOR(top_types, struct top_type)

struct dominators_result {
	struct top_objects objects; /* the -top largest */
	struct top_types types;     /* every type of the top level, largest first */
	uint64_t top_level;         /* objects at the top level */
	uint64_t live_objects, live_bytes;
};

static int by_type_retained(const void *a, const void *b)
{
	const struct top_type *x = a, *y = b;
	if (x->retained != y->retained)
		return x->retained > y->retained ? -1 : 1;
	return strcmp(x->type, y->type);
}

static int by_address(const void *a, const void *b)
{
	const struct top_object *const *x = a, *const *y = b;
	return (*x)->object.address < (*y)->object.address ? -1 : (*x)->object.address > (*y)->object.address;
}

/*
 * The root that holds each listed object, in one pass over the roots (the
 * objects, which never overlap, looked up by address), and a static one's
 * field name.
 */
static struct clrsos_error *attribute_roots(struct clrsos_root_cmd *c, const struct clrsos_reach *reach,
					    struct top_objects *objects)
{
	size_t n = objects->count;
	struct top_object **sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted)
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &objects->items[i];
	qsort(sorted, n, sizeof(*sorted), by_address);
	const struct clrsos_roots *roots = clrsos_reach_roots(reach);
	for (size_t i = 0; i < roots->nstatic_slots + roots->count; i++) {
		const struct clrsos_root *root = i < roots->nstatic_slots ? &roots->static_slots[i]
									  : &roots->items[i - roots->nstatic_slots];
		/* The last object that starts at or below what the root holds. */
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (sorted[mid]->object.address <= root->object)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!lo)
			continue;
		struct top_object *t = sorted[lo - 1];
		uint64_t at = t->object.address;
		if (root->object == at || (root->interior && root->object < at + t->object.size)) {
			if (!t->roots++)
				t->root = root;
		}
	}
	free(sorted);
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++)
		err = static_name(c, objects->items[i].root, &objects->items[i].field);
	return err;
}

static struct clrsos_error *compute_top(struct clrsos_session *session, const struct dominators_options *o,
					struct dominators_result *r)
{
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	const struct clrsos_reach *reach;
	struct clrsos_referrers *refs;
	struct clrsos_domtree *tree;
	if (err || (err = clrsos_session_roots(session, &reach)) ||
	    (err = clrsos_session_dominators(session, &refs, &tree)))
		return err;
	struct clrsos_dom_node *nodes;
	size_t count;
	if ((err = clrsos_domtree_dominated(tree, CLRSOS_DOM_ROOT, 1, &nodes, &count, &r->live_objects)))
		return err;
	r->live_bytes = clrsos_domtree_total(tree);
	r->top_level = count;
	qsort(nodes, count, sizeof(*nodes), by_retained);
	/* Per type: each top-level object's type is read (one header each). */
	struct clrsos_watch *watch = clrsos_heap_watch(c.heap);
	uint32_t ntypes = clrsos_types_count(c.types);
	size_t *slot = calloc(ntypes ? ntypes : 1, sizeof(*slot)); /* type index -> 1 + row */
	if (!slot) {
		free(nodes);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < count && !err; i++) {
		if ((err = clrsos_watch_tick(watch)))
			break;
		uint64_t at = clrsos_referrers_address(refs, nodes[i].node);
		const struct clrsos_type *type;
		uint64_t size;
		if ((err = clrsos_root_cmd_type_of(&c, at, &type, &size)))
			break;
		if (i < o->top) {
			struct top_object *t = top_objects_push_slot(&r->objects);
			if (!t) {
				err = &clrsos_error_no_memory;
				break;
			}
			t->object = (struct retained_object){
				.address = at,
				.type = type ? clrsos_types_name(c.types, type) : "<no object>",
				.size = size,
				.retained = nodes[i].retained,
				.count = nodes[i].count,
			};
		}
		if (!type)
			continue;
		size_t *row = type->index < ntypes ? &slot[type->index] : NULL;
		struct top_type *tt = row && *row ? &r->types.items[*row - 1] : NULL;
		if (!tt) {
			if (!(tt = top_types_push_slot(&r->types))) {
				err = &clrsos_error_no_memory;
				break;
			}
			tt->type = clrsos_types_name(c.types, type);
			if (row)
				*row = r->types.count;
		}
		tt->count++;
		tt->retained += nodes[i].retained;
		tt->objects += nodes[i].count;
	}
	free(slot);
	free(nodes);
	if (!err)
		err = attribute_roots(&c, reach, &r->objects);
	if (!err)
		qsort(r->types.items, r->types.count, sizeof(*r->types.items), by_type_retained);
	return err;
}

static void render_top_text(const struct dominators_result *r, const struct dominators_options *o,
			    struct clrsos_writer *out)
{
	char a[32], b[32], d[32];
	clrsos_format_thousands(r->top_level, a, sizeof(a));
	clrsos_format_thousands(r->live_bytes, b, sizeof(b));
	clrsos_format_thousands(r->live_objects, d, sizeof(d));
	clrsos_outf(out, "%s objects keep the live heap (%s bytes in %s objects) alive; none of them is kept alive\n"
			 "alone by another object. The %" PRIu64 " that retain the most:\n",
		    a, b, d, o->top < r->top_level ? o->top : r->top_level);
	clrsos_outf(out, "  %-16s %16s %12s %-16s %s\n", "Address", "Retained", "Objects", "Root", "Type");
	for (size_t i = 0; i < r->objects.count; i++) {
		const struct top_object *t = &r->objects.items[i];
		char ret[32], objs[32], ptr[32], root[32];
		clrsos_format_thousands(t->object.retained, ret, sizeof(ret));
		clrsos_format_thousands(t->object.count, objs, sizeof(objs));
		clrsos_format_pointer(t->object.address, ptr, sizeof(ptr));
		if (t->root)
			snprintf(root, sizeof(root), "%s%s", root_kind(t->root), t->roots > 1 ? " (+more)" : "");
		else
			snprintf(root, sizeof(root), "several");
		clrsos_outf(out, "  %-16s %16s %12s %-16s ", ptr, ret, objs, root);
		clrsos_out_name(out, t->object.type);
		if (t->field) {
			clrsos_out(out, " (");
			clrsos_out_name(out, t->field);
			clrsos_out(out, ")");
		}
		clrsos_out(out, "\n");
	}
	clrsos_out(out, "(retained <address> shows what one keeps alive and its root; gcroot <address> every way to it)\n");
	clrsos_out(out, "\nBy type:\n");
	clrsos_outf(out, "  %10s %16s %12s %s\n", "Count", "Retained", "Objects", "Type");
	for (size_t i = 0; i < r->types.count && i < o->top; i++) {
		const struct top_type *t = &r->types.items[i];
		char n[32], ret[32], objs[32];
		clrsos_format_thousands(t->count, n, sizeof(n));
		clrsos_format_thousands(t->retained, ret, sizeof(ret));
		clrsos_format_thousands(t->objects, objs, sizeof(objs));
		clrsos_outf(out, "  %10s %16s %12s ", n, ret, objs);
		clrsos_out_name(out, t->type);
		clrsos_out(out, "\n");
	}
	if (r->types.count > o->top)
		clrsos_outf(out, "  ... %zu more types (-top %zu shows them all)\n", r->types.count - (size_t)o->top,
			    r->types.count);
}

static void render_top_json(const struct dominators_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "topLevel");
	clrsos_json_uint(&j, r->top_level);
	clrsos_json_key(&j, "liveObjects");
	clrsos_json_uint(&j, r->live_objects);
	clrsos_json_key(&j, "liveHeap");
	clrsos_json_uint(&j, r->live_bytes);
	clrsos_json_key(&j, "objects");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->objects.count; i++) {
		const struct top_object *t = &r->objects.items[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, t->object.address);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, t->object.type);
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, t->object.size);
		clrsos_json_key(&j, "retained");
		clrsos_json_uint(&j, t->object.retained);
		clrsos_json_key(&j, "objects");
		clrsos_json_uint(&j, t->object.count);
		clrsos_json_key(&j, "root");
		if (t->root) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "kind");
			clrsos_json_string(&j, root_kind(t->root));
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, t->root->address);
			clrsos_json_key(&j, "roots");
			clrsos_json_uint(&j, t->roots);
			if (t->field) {
				clrsos_json_key(&j, "field");
				clrsos_json_string(&j, t->field);
			}
			clrsos_json_object_end(&j);
		} else {
			clrsos_json_null(&j);
		}
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "types");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->types.count; i++) {
		const struct top_type *t = &r->types.items[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, t->type);
		clrsos_json_key(&j, "count");
		clrsos_json_uint(&j, t->count);
		clrsos_json_key(&j, "retained");
		clrsos_json_uint(&j, t->retained);
		clrsos_json_key(&j, "objects");
		clrsos_json_uint(&j, t->objects);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dominators(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	struct dominators_options o = {.top = 20};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
		CLRSOS_UINT("-top", &o.top, .min = 1, .max = UINT32_MAX),
	};
	const struct clrsos_options spec = {
		.command = "dominators",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	struct dominators_result r = {0};
	top_objects_init(&r.objects);
	top_types_init(&r.types);
	if (!(err = compute_top(session, &o, &r))) {
		if (o.json)
			render_top_json(&r, out);
		else
			render_top_text(&r, &o, out);
	}
	for (size_t i = 0; i < r.objects.count; i++)
		free(r.objects.items[i].field);
	top_objects_deinit(&r.objects);
	top_types_deinit(&r.types);
	return err;
}
