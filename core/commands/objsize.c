/*
 * objsize: what objects keep alive, by type. Given an object: everything it
 * keeps alive (SOS's ObjSize <address>); given -mt: everything the type's
 * instances keep alive together; given neither: per root (handles, stacks,
 * statics, the finalizer queue) the size of what that root's object keeps
 * alive, as SOS's ObjSize without arguments (a subgraph two roots share
 * counts in both).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/objsize.h"
#include "analysis/reach.h"
#include "base/vector.h"
#include "commands.h"
#include "model/clrstring.h"
#include "model/handletable.h"
#include "rootcmds.h"
#include "typestats.h"

CLRSOS_VECTOR(objsize_addrs, uint64_t)

struct objsize_options {
	bool json, stat, shortform, strings, have, have_mt;
	uint64_t address, mt;
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
		CLRSOS_FLAG("-stat|-summary", &o->stat),
		CLRSOS_FLAG("-short", &o->shortform),
		CLRSOS_FLAG("-strings", &o->strings),
		CLRSOS_ADDRESS("-mt", &o->mt, .given = &o->have_mt, .flags = CLRSOS_OPTION_COLON),
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
	if (err)
		return err;
	if (o->have && o->have_mt)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "objsize: give an object or -mt <MethodTable>, not both");
	if (o->shortform + o->stat + o->strings > 1)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "objsize: -short, -stat and -strings exclude each other");
	if (!o->have && !o->have_mt && (o->shortform || o->stat || o->strings))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "objsize: %s needs an object or -mt <MethodTable>: without them objsize lists "
					   "each root's size",
					   o->shortform ? "-short" : o->stat ? "-stat" : "-strings");
	return NULL;
}

/* -strings: one text (its first 1024 chars, as SOS reads them) and size, and how many strings hold it. */
struct string_row {
	char *text;
	uint64_t size, count;
};

struct text_buf {
	char *data;
	size_t len, cap;
	bool oom;
};

static void text_write(void *ctx, const char *text, size_t size)
{
	struct text_buf *b = ctx;
	if (b->oom)
		return;
	if (b->len + size + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + size + 1)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, text, size);
	b->len += size;
	b->data[b->len] = 0;
}

static int cmp_string_key(const void *a, const void *b)
{
	const struct string_row *x = a, *y = b;
	int c = strcmp(x->text, y->text);
	return c ? c : (x->size > y->size) - (x->size < y->size);
}

static int cmp_string_total(const void *a, const void *b)
{
	const struct string_row *x = a, *y = b;
	uint64_t tx = x->size * x->count, ty = y->size * y->count;
	return tx < ty ? -1 : tx > ty;
}

/* One root of objsize without arguments: what it holds and what that keeps alive. */
struct root_size {
	const struct clrsos_root *root;
	uint64_t object;
	const char *type_name;
	uint64_t count, size;
};

struct objsize_result {
	uint64_t address, mt;
	const char *type_name;
	uint64_t instances; /* -mt */
	struct clrsos_typestats stats;
	struct clrsos_typestat *sorted;
	struct clrsos_types *types;
	struct objsize_addrs objects; /* -short; -strings: the strings */
	struct string_row *strings;   /* -strings: by text and size, ascending total size */
	size_t nstrings;
	struct root_size *roots;      /* no arguments */
	size_t nroots;
	uint64_t roots_skipped;       /* roots holding no valid object */
};

/* The strings among the objects (r->objects holds them): grouped by text and size. */
static struct clrsos_error *group_strings(struct clrsos_heap *heap, struct objsize_result *r)
{
	if (!r->objects.count)
		return NULL;
	struct string_row *rows = calloc(r->objects.count, sizeof(*rows));
	if (!rows)
		return &clrsos_error_no_memory;
	r->strings = rows;
	struct clrsos_target *target = clrsos_heap_target(heap);
	for (size_t i = 0; i < r->objects.count; i++) {
		uint64_t a = r->objects.items[i];
		uint32_t length;
		const struct clrsos_type *t;
		uint64_t size;
		struct clrsos_error *err = clrsos_heap_read_object(heap, a, &t, &size, NULL, NULL);
		if (!err)
			err = clrsos_string_length(heap, a, &length);
		struct text_buf b = {0};
		struct clrsos_writer w = {text_write, &b};
		if (!err)
			err = clrsos_string_write(target, a, length < 1024 ? length : 1024, CLRSOS_TEXT_CELL, &w);
		if (!err && b.oom)
			err = &clrsos_error_no_memory;
		if (!err && !b.data && !(b.data = strdup("")))
			err = &clrsos_error_no_memory;
		if (err) {
			free(b.data);
			if (clrsos_error_is_no_memory(err))
				return err;
			clrsos_error_destroy(err);
			continue; /* unreadable: not counted, as SOS skips invalid objects */
		}
		rows[r->nstrings++] = (struct string_row){b.data, size, 1};
	}
	qsort(rows, r->nstrings, sizeof(*rows), cmp_string_key);
	size_t n = 0;
	for (size_t i = 0; i < r->nstrings; i++) {
		if (n && !cmp_string_key(&rows[n - 1], &rows[i])) {
			rows[n - 1].count++;
			free(rows[i].text);
		} else {
			rows[n++] = rows[i];
		}
	}
	r->nstrings = n;
	qsort(rows, n, sizeof(*rows), cmp_string_total);
	return NULL;
}

struct counter {
	struct clrsos_typestats *stats;
	struct objsize_addrs *objects; /* NULL: not kept */
	bool strings_only;             /* keep only the strings' addresses */
	uint64_t count, size;
};

static bool count_object(void *ctx, uint64_t address, const struct clrsos_type *type, uint64_t size)
{
	struct counter *c = ctx;
	c->count++;
	c->size += size;
	if (c->objects && (!c->strings_only || type->is_string) && objsize_addrs_push(c->objects, address))
		return false;
	return !c->stats || clrsos_typestats_add(c->stats, type, size);
}

struct mt_collect {
	uint64_t mt;
	struct objsize_addrs *out;
	bool oom;
};

static bool collect_mt(void *ctx, const struct clrsos_heap_object *obj)
{
	struct mt_collect *m = ctx;
	if (obj->type && obj->type->mt == m->mt && objsize_addrs_push(m->out, obj->address)) {
		m->oom = true;
		return false;
	}
	return true;
}

static struct clrsos_error *compute_roots(struct clrsos_session *session, struct clrsos_root_cmd *c,
					  struct objsize_result *r)
{
	const struct clrsos_reach *reach;
	struct clrsos_error *err = clrsos_session_reach(session, &reach);
	if (err)
		return err;
	const struct clrsos_roots *roots = clrsos_reach_roots(reach);
	if (roots->count && !(r->roots = calloc(roots->count, sizeof(*r->roots))))
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < roots->count; i++) {
		const struct clrsos_root *root = &roots->items[i];
		uint64_t object = root->object;
		const struct clrsos_type *type = NULL;
		if (object && root->interior) {
			uint64_t start;
			err = clrsos_heap_find_object(c->heap, object, &start, &type);
			object = err ? 0 : start;
		} else if (object) {
			uint64_t size;
			err = clrsos_heap_read_object(c->heap, object, &type, &size, NULL, NULL);
		}
		if (clrsos_error_is_no_memory(err))
			return err;
		if (err || !object || !type) {
			clrsos_error_destroy(err);
			err = NULL;
			r->roots_skipped++;
			continue;
		}
		struct counter k = {0};
		if ((err = clrsos_objsize_walk(c->heap, object, count_object, &k)))
			return err;
		struct root_size *rs = &r->roots[r->nroots++];
		rs->root = root;
		rs->object = object;
		rs->type_name = clrsos_types_name(c->types, type);
		rs->count = k.count;
		rs->size = k.size;
	}
	return NULL;
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct objsize_options *o,
				    struct objsize_result *r)
{
	memset(r, 0, sizeof(*r));
	r->address = o->address;
	r->mt = o->mt;
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	r->types = c.types;
	/* Mid-GC references lead to objects being moved: refused (as walks are). */
	if ((err = clrsos_heap_check_walkable(c.heap)))
		return err;
	if (!o->have && !o->have_mt)
		return compute_roots(session, &c, r);
	struct counter k = {.stats = &r->stats, .objects = o->shortform || o->strings ? &r->objects : NULL,
			    .strings_only = o->strings};
	if (o->have_mt) {
		const struct clrsos_type *type = clrsos_types_get(c.types, o->mt);
		if (!type)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "objsize: %" PRIx64 " is not a MethodTable: see dumpheap -stat for them",
						   o->mt);
		r->type_name = clrsos_types_name(c.types, type);
		struct objsize_addrs starts;
		objsize_addrs_init(&starts);
		struct mt_collect m = {.mt = o->mt, .out = &starts};
		struct clrsos_walk_filter filter;
		clrsos_walk_filter_init(&filter);
		struct clrsos_walk_result wr;
		err = clrsos_heap_walk(c.heap, &filter, collect_mt, &m, NULL, NULL, &wr);
		if (!err && m.oom)
			err = &clrsos_error_no_memory;
		r->instances = starts.count;
		if (!err)
			err = clrsos_objsize_walk_many(c.heap, starts.items, starts.count, count_object, &k);
		objsize_addrs_deinit(&starts);
	} else {
		const struct clrsos_type *type;
		if ((err = clrsos_heap_object_at(c.heap, o->address, &type, NULL)))
			return err;
		r->type_name = clrsos_types_name(c.types, type);
		err = clrsos_objsize_walk(c.heap, o->address, count_object, &k);
	}
	if (!err && o->strings)
		err = group_strings(c.heap, r);
	if (err)
		return err;
	if (!(r->sorted = clrsos_typestats_sorted(&r->stats, false)) && r->stats.count)
		return &clrsos_error_no_memory;
	return NULL;
}

static const char *root_kind_word(const struct clrsos_root *root)
{
	switch (root->kind) {
	case CLRSOS_ROOT_HANDLE: return "handle";
	case CLRSOS_ROOT_STACK: return "stack";
	case CLRSOS_ROOT_FINALIZER: return "finalizer";
	case CLRSOS_ROOT_THREAD_STATIC: return "thread static";
	case CLRSOS_ROOT_STATIC: return "static";
	}
	return "?";
}

static void render_roots_json(const struct objsize_result *r, struct clrsos_json *j)
{
	clrsos_json_key(j, "roots");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < r->nroots; i++) {
		const struct root_size *rs = &r->roots[i];
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "kind");
		clrsos_json_string(j, root_kind_word(rs->root));
		clrsos_json_key(j, "root");
		clrsos_json_address(j, rs->root->address);
		if (rs->root->kind == CLRSOS_ROOT_HANDLE) {
			clrsos_json_key(j, "handleType");
			clrsos_json_string(j, clrsos_handle_type_name(rs->root->handle_type));
		}
		if (rs->root->kind == CLRSOS_ROOT_STACK || rs->root->kind == CLRSOS_ROOT_THREAD_STATIC) {
			clrsos_json_key(j, "osThreadId");
			clrsos_json_uint(j, rs->root->os_thread_id);
		}
		clrsos_json_key(j, "address");
		clrsos_json_address(j, rs->object);
		clrsos_json_key(j, "type");
		clrsos_json_string(j, rs->type_name);
		clrsos_json_key(j, "objects");
		clrsos_json_uint(j, rs->count);
		clrsos_json_key(j, "size");
		clrsos_json_uint(j, rs->size);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	clrsos_json_key(j, "rootsSkipped");
	clrsos_json_uint(j, r->roots_skipped);
}

static void render_json(const struct objsize_options *o, const struct objsize_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	if (!o->have && !o->have_mt) {
		render_roots_json(r, &j);
	} else {
		if (o->have_mt) {
			clrsos_json_key(&j, "mt");
			clrsos_json_address(&j, r->mt);
			clrsos_json_key(&j, "instances");
			clrsos_json_uint(&j, r->instances);
		} else {
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, r->address);
		}
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, r->type_name);
		clrsos_json_key(&j, "objects");
		clrsos_json_uint(&j, r->stats.total_count);
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, r->stats.total_size);
		if (o->strings) {
			clrsos_json_key(&j, "strings");
			clrsos_json_array_begin(&j);
			for (size_t i = 0; i < r->nstrings; i++) {
				clrsos_json_object_begin(&j);
				clrsos_json_key(&j, "count");
				clrsos_json_uint(&j, r->strings[i].count);
				clrsos_json_key(&j, "totalSize");
				clrsos_json_uint(&j, r->strings[i].count * r->strings[i].size);
				clrsos_json_key(&j, "text");
				clrsos_json_string(&j, r->strings[i].text);
				clrsos_json_object_end(&j);
			}
			clrsos_json_array_end(&j);
		} else if (o->shortform) {
			clrsos_json_key(&j, "addresses");
			clrsos_json_array_begin(&j);
			for (size_t i = 0; i < r->objects.count; i++)
				clrsos_json_address(&j, r->objects.items[i]);
			clrsos_json_array_end(&j);
		} else {
			clrsos_typestats_write_json(&r->stats, r->sorted, r->types, &j);
		}
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void render_root_text(const struct root_size *rs, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	const struct clrsos_root *root = rs->root;
	switch (root->kind) {
	case CLRSOS_ROOT_HANDLE:
		clrsos_outf(out, "HandleTable: %016" PRIx64 " (%s handle)", root->address,
			    clrsos_handle_type_name(root->handle_type));
		break;
	case CLRSOS_ROOT_STACK:
		clrsos_outf(out, "Thread %x: %016" PRIx64, root->os_thread_id, root->address);
		break;
	case CLRSOS_ROOT_THREAD_STATIC:
		clrsos_outf(out, "Thread %x: %016" PRIx64 " (thread static)", root->os_thread_id, root->address);
		break;
	case CLRSOS_ROOT_STATIC:
		clrsos_outf(out, "Static variable: %016" PRIx64, root->address);
		break;
	case CLRSOS_ROOT_FINALIZER:
		clrsos_outf(out, "Finalizer Queue: %016" PRIx64, root->address);
		break;
	}
	char size[32];
	clrsos_format_thousands(rs->size, size, sizeof(size));
	clrsos_outf(out, " -> sizeof(%012" PRIx64 ") = %s (0x%" PRIx64 ") bytes in %" PRIu64 " objects (%s)\n",
		    rs->object, size, rs->size, rs->count, clrsos_safe_name(rs->type_name, &nb));
}

static void render_text(const struct objsize_options *o, const struct objsize_result *r, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	if (!o->have && !o->have_mt) {
		for (size_t i = 0; i < r->nroots; i++)
			render_root_text(&r->roots[i], out);
		clrsos_outf(out, "\nFound %zu roots", r->nroots);
		if (r->roots_skipped)
			clrsos_outf(out, " (%" PRIu64 " more hold no valid object)", r->roots_skipped);
		clrsos_outf(out, ". Subgraphs roots share count in each of them.\n");
		return;
	}
	if (o->have_mt)
		clrsos_outf(out, "Objects which (%s) transitively keep alive:\n\n", clrsos_safe_name(r->type_name, &nb));
	else
		clrsos_outf(out, "Objects which %" PRIx64 " (%s) transitively keep alive:\n\n", r->address,
			    clrsos_safe_name(r->type_name, &nb));
	if (o->strings) {
		clrsos_out(out, "Statistics:\n");
		clrsos_outf(out, "%8s %12s %s\n", "Count", "TotalSize", "String");
		for (size_t i = 0; i < r->nstrings; i++) {
			char count[32], total[32];
			clrsos_format_thousands(r->strings[i].count, count, sizeof(count));
			clrsos_format_thousands(r->strings[i].count * r->strings[i].size, total, sizeof(total));
			clrsos_outf(out, "%8s %12s %s\n", count, total, r->strings[i].text);
		}
		return;
	}
	if (o->shortform) {
		for (size_t i = 0; i < r->objects.count; i++)
			clrsos_outf(out, "%012" PRIx64 "\n", r->objects.items[i]);
		return;
	}
	if (!o->stat) {
		char size[32];
		clrsos_format_thousands(r->stats.total_size, size, sizeof(size));
		if (o->have_mt)
			clrsos_outf(out, "%" PRIu64 " instances of %" PRIx64 ": %s (0x%" PRIx64 ") bytes in %" PRIu64
					 " objects\n\n",
				    r->instances, r->mt, size, r->stats.total_size, r->stats.total_count);
		else
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
			render_json(&o, &r, out);
		else
			render_text(&o, &r, out);
	}
	free(r.sorted);
	free(r.roots);
	for (size_t i = 0; i < r.nstrings; i++)
		free(r.strings[i].text);
	free(r.strings);
	objsize_addrs_deinit(&r.objects);
	clrsos_typestats_deinit(&r.stats);
	return err;
}
