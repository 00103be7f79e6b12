/*
 * traverseheap: SOS's TraverseHeap. The heap as a graph in a file: every
 * object (Free space included, as SOS's walk has it) with its type, size
 * and the objects it refers to (dependent handles' secondaries as members
 * of their primaries, as SOS does), and the roots; in SOS's XML (-xml) or
 * in the CLR Profiler's text format. Two walks of the heap: the first
 * numbers the types in the order met (types come first in the file), the
 * second streams the objects to the file through a large buffer, so the
 * graph is never held in memory. The file is opened once by its path and
 * checked on its descriptor (fileio.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/reach.h"
#include "base/fileio.h"
#include "commands.h"
#include "model/heap.h"

struct traverse_options {
	bool json, xml, verify;
	const char *file;
};

static struct clrsos_error *file_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	struct traverse_options *o = ctx;
	if (index > 0)
		return clrsos_unexpected_argument("traverseheap", arg);
	o->file = arg;
	return NULL;
}

struct traverse {
	struct clrsos_heap *heap;
	struct clrsos_types *types;
	bool xml;
	FILE *f;
	/* Type ids from 1 in the order met, by the type's dense index. */
	uint32_t *type_id;
	size_t ntype_id;
	const struct clrsos_type **by_id; /* [id - 1] */
	uint32_t ntypes;
	uint64_t objects, references;
	const struct clrsos_dependent *deps; /* sorted by primary */
	size_t ndeps;
	uint8_t *buf;
	size_t buf_cap;
	bool oom;
	struct clrsos_error *err;
};

static bool number_type(void *ctx, const struct clrsos_heap_object *obj)
{
	struct traverse *t = ctx;
	if (!obj->type)
		return true;
	uint32_t i = obj->type->index;
	if (i >= t->ntype_id) {
		size_t n = t->ntype_id ? t->ntype_id : 256;
		while (n <= i)
			n *= 2;
		uint32_t *p = realloc(t->type_id, n * sizeof(*p));
		const struct clrsos_type **q = p ? realloc(t->by_id, n * sizeof(*q)) : NULL;
		if (p)
			t->type_id = p;
		if (!p || !q) {
			t->oom = true;
			return false;
		}
		t->by_id = q;
		memset(p + t->ntype_id, 0, (n - t->ntype_id) * sizeof(*p));
		t->ntype_id = n;
	}
	if (!t->type_id[i]) {
		t->by_id[t->ntypes] = obj->type;
		t->type_id[i] = ++t->ntypes;
	}
	return true;
}

/* Text for XML attributes: the safe name (controls escaped as \xNN), then &<>" as entities. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void write_ref(void *ctx, uint64_t ref)
{
	struct traverse *t = ctx;
	if (!ref)
		return;
	t->references++;
	if (t->xml)
		fprintf(t->f, "      <member address=\"0x%016" PRIx64 "\" />\n", ref);
	else
		fprintf(t->f, " 0x%016" PRIx64, ref);
}

static int cmp_dep(const void *a, const void *b)
{
	const struct clrsos_dependent *x = a, *y = b;
	return x->primary < y->primary ? -1 : x->primary > y->primary;
}

static bool write_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct traverse *t = ctx;
	if (!obj->type || obj->type->index >= t->ntype_id || !t->type_id[obj->type->index])
		return true; /* cannot happen: the first walk met every type */
	uint32_t id = t->type_id[obj->type->index];
	uint64_t n = ++t->objects;
	const uint8_t *bytes = obj->bytes;
	bool refs = obj->type->contains_pointers;
	if (refs && obj->bytes_len < obj->size) {
		const struct clrsos_type *rt;
		uint64_t size;
		struct clrsos_error *e = clrsos_heap_read_object(t->heap, obj->address, &rt, &size, &t->buf, &t->buf_cap);
		if (clrsos_error_is_no_memory(e)) {
			t->err = e;
			return false;
		}
		refs = !e;
		clrsos_error_destroy(e);
		bytes = t->buf;
	}
	/* Its dependent handles' secondaries, after its own references. */
	size_t lo = 0, hi = t->ndeps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->deps[mid].primary < obj->address)
			lo = mid + 1;
		else
			hi = mid;
	}
	bool deps = lo < t->ndeps && t->deps[lo].primary == obj->address;
	if (t->xml) {
		fprintf(t->f, "    <object address=\"0x%016" PRIx64 "\" typeid=\"%u\" size=\"%" PRIu64 "\"%s>\n",
			obj->address, id, obj->size, refs || deps ? "" : " /");
	} else {
		fprintf(t->f, "n %" PRIu64 " 1 %u %" PRIu64 "\n! 1 0x%016" PRIx64 " %" PRIu64 "\no 0x%016" PRIx64
			      " %u %" PRIu64 " ",
			n, id, obj->size, obj->address, n, obj->address, id, obj->size);
	}
	if (refs)
		clrsos_types_for_each_ref(t->types, obj->type, bytes, obj->size, write_ref, t);
	for (size_t i = lo; deps && i < t->ndeps && t->deps[i].primary == obj->address; i++)
		write_ref(t, t->deps[i].secondary);
	if (t->xml) {
		if (refs || deps)
			fputs("    </object>\n", t->f);
	} else {
		fputc('\n', t->f);
	}
	return !ferror(t->f);
}

static const char *root_kind(enum clrsos_root_kind k)
{
	switch (k) {
	case CLRSOS_ROOT_HANDLE: return "handle";
	case CLRSOS_ROOT_STACK: return "stack";
	case CLRSOS_ROOT_FINALIZER: return "finalizer";
	case CLRSOS_ROOT_STATIC: return "static";
	case CLRSOS_ROOT_THREAD_STATIC: return "threadstatic";
	}
	return "other";
}

static struct clrsos_error *traverse(struct clrsos_session *session, const struct traverse_options *o,
				     struct traverse *t, const struct clrsos_roots **ret_roots)
{
	struct clrsos_error *err = clrsos_session_heap(session, &t->heap);
	if (err)
		return err;
	t->types = clrsos_heap_types(t->heap);
	const struct clrsos_reach *reach;
	if ((err = clrsos_session_reach(session, &reach)))
		return err;
	const struct clrsos_roots *roots = clrsos_reach_roots(reach);
	*ret_roots = roots;
	struct clrsos_dependent *deps = NULL;
	if (roots->ndependents) {
		if (!(deps = malloc(roots->ndependents * sizeof(*deps))))
			return &clrsos_error_no_memory;
		memcpy(deps, roots->dependents, roots->ndependents * sizeof(*deps));
		qsort(deps, roots->ndependents, sizeof(*deps), cmp_dep);
	}
	t->deps = deps;
	t->ndeps = roots->ndependents;
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_walk_result wr;
	/* Types first: the file names them before the objects. */
	if ((err = clrsos_heap_walk(t->heap, &filter, number_type, t, NULL, NULL, &wr)))
		goto out;
	if (t->oom) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	int fd;
	if ((err = clrsos_file_open_write(o->file, &fd))) {
		err = clrsos_error_wrap(err, "traverseheap");
		goto out;
	}
	if (!(t->f = fdopen(fd, "wb"))) {
		close(fd);
		err = &clrsos_error_no_memory;
		goto out;
	}
	setvbuf(t->f, NULL, _IOFBF, 1 << 20);
	struct clrsos_name_buf nb;
	if (t->xml)
		fputs("<gcheap>\n  <types>\n", t->f);
	for (uint32_t i = 0; i < t->ntypes; i++) {
		const char *name = clrsos_safe_name(clrsos_types_name(t->types, t->by_id[i]), &nb);
		if (t->xml) {
			fprintf(t->f, "    <type id=\"%u\" name=\"", i + 1);
			xml_text(t->f, name);
			fputs("\" />\n", t->f);
		} else {
			fprintf(t->f, "t %u 0 %s\n", i + 1, name);
		}
	}
	fputs(t->xml ? "  </types>\n  <roots>\n" : "\nr", t->f);
	for (size_t i = 0; i < roots->count; i++) {
		if (t->xml)
			fprintf(t->f, "    <root kind=\"%s\" address=\"0x%016" PRIx64 "\" />\n",
				root_kind(roots->items[i].kind), roots->items[i].address);
		else
			fprintf(t->f, " 0x%016" PRIx64, roots->items[i].address);
	}
	fputs(t->xml ? "  </roots>\n  <objects>\n" : "\n", t->f);
	err = clrsos_heap_walk(t->heap, &filter, write_object, t, NULL, NULL, &wr);
	if (!err && t->err)
		err = t->err;
	if (t->xml)
		fputs("  </objects>\n</gcheap>\n", t->f);
	bool failed = ferror(t->f) != 0;
	int saved = errno;
	if (fclose(t->f) != 0 && !failed) {
		failed = true;
		saved = errno;
	}
	t->f = NULL;
	if (!err && failed)
		err = clrsos_error_create(CLRSOS_ERROR_IO, "traverseheap: writing '%s' failed: %s", o->file,
					  strerror(saved));
out:
	free(deps);
	t->deps = NULL;
	return err;
}

struct clrsos_error *clrsos_cmd_traverseheap(struct clrsos_session *session, const struct clrsos_host *host,
					     int argc, const char *const *argv, struct clrsos_writer *out)
{
	struct traverse_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
		CLRSOS_FLAG("-xml", &o.xml),
		CLRSOS_FLAG("-verify", &o.verify),
	};
	const struct clrsos_options spec = {
		.command = "traverseheap",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = file_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (!o.file || !*o.file)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "traverseheap needs the file to write: traverseheap [-xml] <filename>");
	struct traverse t = {.xml = o.xml};
	const struct clrsos_roots *roots = NULL;
	err = traverse(session, &o, &t, &roots);
	free(t.type_id);
	free(t.by_id);
	free(t.buf);
	if (err)
		return err;
	if (o.json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "file");
		clrsos_json_string(&j, o.file);
		clrsos_json_key(&j, "format");
		clrsos_json_string(&j, o.xml ? "xml" : "clrprofiler");
		clrsos_json_key(&j, "types");
		clrsos_json_uint(&j, t.ntypes);
		clrsos_json_key(&j, "roots");
		clrsos_json_uint(&j, roots->count);
		clrsos_json_key(&j, "objects");
		clrsos_json_uint(&j, t.objects);
		clrsos_json_key(&j, "references");
		clrsos_json_uint(&j, t.references);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else {
		clrsos_outf(out, "Wrote %" PRIu64 " objects, %u types, %zu roots and %" PRIu64 " references to %s (%s)\n",
			    t.objects, t.ntypes, roots->count, t.references, o.file,
			    o.xml ? "XML" : "CLR Profiler format");
	}
	return NULL;
}
