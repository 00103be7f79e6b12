/*
 * maddress: where all of the process's memory goes. Each mapping of the
 * target (model/addrspace.h) with its owner, as SOS's maddress tables
 * (region table, -images, -list, the summary with [TOTAL]), and per owner
 * the reserved, committed and (live) resident bytes. Parse, compute, render
 * text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/glibcheap.h"
#include "analysis/histogram.h"
#include "model/addrspace.h"
#include "model/runtime.h"
#include "commands.h"

struct maddress_options {
	bool json, summary, images, reserve, heuristic, force_handle_table, by_size;
	const char *list;
	bool have_list;
	const char *save;
};

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct maddress_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-summary|-stat", &o->summary, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-images|-imagesOnly", &o->images, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-reserve|-includeReserve", &o->reserve, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-reserveHeuristic|-useHeuristic", &o->heuristic, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-forceHandleTable", &o->force_handle_table, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-orderBySize", &o->by_size, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_STRING("-list", &o->list, .given = &o->have_list,
			      .flags = CLRSOS_OPTION_NOCASE | CLRSOS_OPTION_NONEMPTY),
		CLRSOS_STRING("--save|-save", &o->save, .flags = CLRSOS_OPTION_NONEMPTY),
	};
	const struct clrsos_options spec = {
		.command = "maddress",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (o->heuristic && !o->reserve)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "maddress: -reserveHeuristic needs -reserve (the reserved regions it names)");
	return NULL;
}

/* Result -------------------------------------------------------------- */

struct kind_sum {
	const char *name; /* the space's, static, or in names[] */
	uint64_t count, size, resident;
	bool resident_known;
};

enum { OWNER_COUNT = CLRSOS_OWNER_CODE_HEAP + 1 };

struct owner_sum {
	uint64_t reserved, committed, resident;
	uint64_t count;
};

struct image_sum {
	const char *path;
	uint64_t count, size;
};

struct maddress_result {
	struct clrsos_addrspace space;
	/* The regions shown (reserved ones only with -reserve), in the order shown. */
	const struct clrsos_addr_region **shown;
	size_t nshown;
	char (*names)[48];  /* each shown region's name */
	struct kind_sum *kinds;
	size_t nkinds;
	struct image_sum *images;
	size_t nimages;
	struct owner_sum owners[OWNER_COUNT];
	struct owner_sum total;
	bool resident_known;
	uint64_t core_missing; /* bytes of committed memory the core does not hold */
};

static const char *const owner_keys[OWNER_COUNT] = {
	[CLRSOS_OWNER_UNOWNED] = "unowned",
	[CLRSOS_OWNER_IMAGE] = "images",
	[CLRSOS_OWNER_FILE_MAPPING] = "mappedFiles",
	[CLRSOS_OWNER_STACK] = "stacks",
	[CLRSOS_OWNER_NATIVE_HEAP] = "nativeHeap",
	[CLRSOS_OWNER_GC_HEAP] = "gcHeap",
	[CLRSOS_OWNER_GC_FREE] = "gcFreeRegions",
	[CLRSOS_OWNER_GC_BOOKKEEPING] = "gcBookkeeping",
	[CLRSOS_OWNER_HANDLE_TABLE] = "handleTable",
	[CLRSOS_OWNER_LOADER_HEAP] = "loaderHeaps",
	[CLRSOS_OWNER_CODE_HEAP] = "codeHeaps",
};

static const char *const owner_titles[OWNER_COUNT] = {
	[CLRSOS_OWNER_UNOWNED] = "Unowned",
	[CLRSOS_OWNER_IMAGE] = "Images",
	[CLRSOS_OWNER_FILE_MAPPING] = "Mapped files",
	[CLRSOS_OWNER_STACK] = "Thread stacks",
	[CLRSOS_OWNER_NATIVE_HEAP] = "Native heap",
	[CLRSOS_OWNER_GC_HEAP] = "GC heap",
	[CLRSOS_OWNER_GC_FREE] = "GC free regions",
	[CLRSOS_OWNER_GC_BOOKKEEPING] = "GC bookkeeping",
	[CLRSOS_OWNER_HANDLE_TABLE] = "Handle table",
	[CLRSOS_OWNER_LOADER_HEAP] = "Loader heaps",
	[CLRSOS_OWNER_CODE_HEAP] = "Code heaps",
};

static void result_deinit(struct maddress_result *r)
{
	free(r->shown);
	free(r->names);
	free(r->kinds);
	free(r->images);
	clrsos_addrspace_deinit(&r->space);
}

static uint64_t size_of(const struct clrsos_addr_region *r)
{
	return r->end - r->start;
}

static int cmp_by_size(const void *a, const void *b)
{
	const struct clrsos_addr_region *x = *(const struct clrsos_addr_region *const *)a;
	const struct clrsos_addr_region *y = *(const struct clrsos_addr_region *const *)b;
	if (size_of(x) != size_of(y))
		return size_of(x) > size_of(y) ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_kinds(const void *a, const void *b)
{
	const struct kind_sum *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_images(const void *a, const void *b)
{
	const struct image_sum *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* -reserveHeuristic: a reserved unowned region right after an owned one is named after it. */
static void name_region(const struct maddress_result *res, const struct clrsos_addr_region *r, bool heuristic,
			char *buf, size_t size)
{
	char tmp[48];
	const char *name = clrsos_addr_region_name(r, tmp, sizeof(tmp));
	if (heuristic && r->owner == CLRSOS_OWNER_UNOWNED && r->state == CLRSOS_MEM_RESERVE) {
		const struct clrsos_addr_region *all = res->space.regions;
		size_t i = (size_t)(r - all);
		if (i > 0 && all[i - 1].end == r->start && all[i - 1].state != CLRSOS_MEM_RESERVE &&
		    all[i - 1].owner != CLRSOS_OWNER_UNOWNED) {
			char prev[48];
			const char *p = clrsos_addr_region_name(&all[i - 1], prev, sizeof(prev));
			snprintf(buf, size, "[%sReserve]", p);
			return;
		}
	}
	snprintf(buf, size, "%s", name);
}

/*
 * glibc's arenas: the main arena's brk heap and every thread arena's heaps
 * are the native heap. Where they cannot be read (musl, a heap core without
 * libc's data), a note says why and only the brk heap is known, by position.
 */
static struct clrsos_error *tag_native_heap(struct clrsos_addrspace *s, struct clrsos_target *target,
				       struct clrsos_watch *watch)
{
	struct clrsos_glibc_heap *h;
	struct clrsos_error *e = clrsos_glibc_heap_read(target, watch, &h);
	if (e && e->code == CLRSOS_ERROR_INTERRUPTED)
		return e; /* Ctrl-C stops maddress, not only the arena walk */
	if (e) {
		struct clrsos_error *err = clrsos_addrspace_note(
			s, "glibc's arenas are not attributed (only the brk heap, by position): %s", e->message);
		clrsos_error_destroy(e);
		return err;
	}
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < h->narenas && !err; i++) {
		const struct clrsos_glibc_arena *a = &h->arenas[i];
		char detail[64];
		if (a->main)
			snprintf(detail, sizeof(detail), "main arena");
		else
			snprintf(detail, sizeof(detail), "arena %016" PRIx64, a->address);
		for (size_t k = 0; k < a->nheaps && !err; k++)
			if (a->heaps[k].end > a->heaps[k].start)
				err = clrsos_addrspace_tag(s, a->heaps[k].start, a->heaps[k].end, CLRSOS_OWNER_NATIVE_HEAP,
							   NULL, detail, false);
	}
	if (!err && h->damaged)
		err = clrsos_addrspace_note(s, "glibc's arena %016" PRIx64 " is damaged at %016" PRIx64
					       " (its heaps are attributed; see nativeheap)",
					    h->damaged->address, h->damaged->damage_address);
	if (!err && h->mmapped_chunks)
		err = clrsos_addrspace_note(s, "glibc's %" PRIu64 " mmapped chunks (%" PRIu64
					       " bytes) are not located: they count as unowned",
					    h->mmapped_chunks, h->mmapped_bytes);
	clrsos_glibc_heap_free(h);
	return err;
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct maddress_options *o,
				    struct maddress_result *res)
{
	memset(res, 0, sizeof(*res));
	struct clrsos_target *target = clrsos_session_target(session);
	struct clrsos_error *err = clrsos_addrspace_init(&res->space, target);
	if (err)
		return clrsos_error_wrap(err, "maddress");
	struct clrsos_addrspace *s = &res->space;
	struct clrsos_dac *dac = NULL;
	const struct clrsos_gc *gc = NULL;
	struct clrsos_error *e = clrsos_session_dac(session, &dac);
	if (!e)
		e = clrsos_session_gc(session, &gc);
	if (e) {
		err = clrsos_addrspace_note(s, "the runtime's memory is not attributed: %s", e->message);
		clrsos_error_destroy(e);
		dac = NULL;
	} else {
		err = clrsos_addrspace_tag_runtime(s, dac, target, gc);
	}
	if (!err)
		err = clrsos_addrspace_tag_stacks(s, dac, target);
	if (!err)
		err = tag_native_heap(s, target, clrsos_session_watch(session));
	if (!err && !s->live)
		err = clrsos_addrspace_note(s, "a core has no resident sizes: Resident is only known live");
	if (err)
		return err;

	res->resident_known = s->live;
	if (!(res->shown = calloc(s->count ? s->count : 1, sizeof(*res->shown))) ||
	    !(res->names = calloc(s->count ? s->count : 1, sizeof(*res->names))) ||
	    !(res->kinds = calloc(s->count ? s->count : 1, sizeof(*res->kinds))) ||
	    !(res->images = calloc(s->count ? s->count : 1, sizeof(*res->images))))
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < s->count; i++) {
		const struct clrsos_addr_region *r = &s->regions[i];
		struct owner_sum *os = &res->owners[r->owner];
		uint64_t size = size_of(r);
		os->count++;
		res->total.count++;
		if (r->state == CLRSOS_MEM_RESERVE) {
			os->reserved += size;
			res->total.reserved += size;
		} else {
			os->committed += size;
			res->total.committed += size;
			if (r->in_core != CLRSOS_VM_UNKNOWN && r->in_core < size)
				res->core_missing += size - r->in_core;
		}
		if (r->resident != CLRSOS_VM_UNKNOWN) {
			os->resident += r->resident;
			res->total.resident += r->resident;
		}
		if (r->state == CLRSOS_MEM_RESERVE && !o->reserve)
			continue;
		res->shown[res->nshown++] = r;
	}
	if (o->by_size)
		qsort(res->shown, res->nshown, sizeof(*res->shown), cmp_by_size);
	for (size_t i = 0; i < res->nshown; i++) {
		const struct clrsos_addr_region *r = res->shown[i];
		name_region(res, r, o->heuristic, res->names[i], sizeof(res->names[i]));
		size_t k = 0;
		while (k < res->nkinds && strcmp(res->kinds[k].name, res->names[i]) != 0)
			k++;
		if (k == res->nkinds)
			res->kinds[res->nkinds++].name = res->names[i];
		res->kinds[k].count++;
		res->kinds[k].size += size_of(r);
		if (r->resident != CLRSOS_VM_UNKNOWN)
			res->kinds[k].resident += r->resident;
		if (r->type == CLRSOS_MEM_IMAGE && r->path && r->state != CLRSOS_MEM_RESERVE) {
			size_t m = 0;
			while (m < res->nimages && strcmp(res->images[m].path, r->path) != 0)
				m++;
			if (m == res->nimages)
				res->images[res->nimages++].path = r->path;
			res->images[m].count++;
			res->images[m].size += size_of(r);
		}
	}
	qsort(res->kinds, res->nkinds, sizeof(*res->kinds), cmp_kinds);
	qsort(res->images, res->nimages, sizeof(*res->images), cmp_images);
	if (!s->live && res->core_missing)
		err = clrsos_addrspace_note(s, "the core holds none of %" PRIu64 " committed bytes listed (a heap or partial core: "
					       "their contents, and memory it does not list at all, cannot be known)",
					    res->core_missing);
	return err;
}

/* Text ---------------------------------------------------------------- */

/* SOS's human-readable size: 1.50kb, 12.34mb, 2.00gb. */
static void human_size(uint64_t bytes, char *buf, size_t size)
{
	double v = (double)bytes / 1024.0;
	if (v < 1024.0)
		snprintf(buf, size, "%.2fkb", v);
	else if ((v /= 1024.0) < 1024.0)
		snprintf(buf, size, "%.2fmb", v);
	else
		snprintf(buf, size, "%.2fgb", v / 1024.0);
}

enum { MAX_COLUMNS = 10, CELL = 160 };

/* A bordered table as SOS draws them: " +-...-+ " borders, " | " between cells. */
struct table {
	int ncols;
	int width[MAX_COLUMNS];
	bool right[MAX_COLUMNS];
	const char *header[MAX_COLUMNS];
	/* rows, built first so that widths fit */
	char (*cells)[MAX_COLUMNS][CELL];
	size_t nrows, cap;
	bool has_footer; /* the last row is the footer */
};

static struct clrsos_error *table_row(struct table *t)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		void *p = realloc(t->cells, cap * sizeof(*t->cells));
		if (!p)
			return &clrsos_error_no_memory;
		t->cells = p;
		t->cap = cap;
	}
	memset(t->cells[t->nrows], 0, sizeof(*t->cells));
	t->nrows++;
	return NULL;
}

static void cell(struct table *t, int col, const char *text)
{
	struct clrsos_name_buf nb;
	snprintf(t->cells[t->nrows - 1][col], CELL, "%s", clrsos_safe_name(text, &nb));
}

static void border(struct clrsos_writer *w, const struct table *t)
{
	int n = 0;
	for (int c = 0; c < t->ncols; c++)
		n += t->width[c] + (c ? 3 : 0);
	clrsos_out(w, " +-");
	for (int i = 0; i < n; i++)
		clrsos_out(w, "-");
	clrsos_out(w, "-+ \n");
}

static void line(struct clrsos_writer *w, const struct table *t, const char *const *cells)
{
	clrsos_out(w, " | ");
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			clrsos_out(w, " | ");
		clrsos_outf(w, t->right[c] ? "%*s" : "%-*s", t->width[c], cells[c]);
	}
	clrsos_out(w, " | \n");
}

static void table_write(struct clrsos_writer *w, struct table *t)
{
	for (int c = 0; c < t->ncols; c++) {
		int len = (int)strlen(t->header[c]);
		if (len > t->width[c])
			t->width[c] = len;
		for (size_t r = 0; r < t->nrows; r++) {
			len = (int)strlen(t->cells[r][c]);
			if (len > t->width[c])
				t->width[c] = len;
		}
	}
	border(w, t);
	line(w, t, t->header);
	border(w, t);
	size_t body = t->has_footer && t->nrows ? t->nrows - 1 : t->nrows;
	for (size_t r = 0; r < t->nrows; r++) {
		if (r == body)
			border(w, t);
		const char *cells[MAX_COLUMNS];
		for (int c = 0; c < t->ncols; c++)
			cells[c] = t->cells[r][c];
		line(w, t, cells);
	}
	border(w, t);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* SOS's Count | Size | Size (bytes) cells, from column col. */
static void count_size_cells(struct table *t, int col, uint64_t count, uint64_t size)
{
	char buf[64];
	clrsos_format_thousands(count, buf, sizeof(buf));
	cell(t, col, buf);
	human_size(size, buf, sizeof(buf));
	cell(t, col + 1, buf);
	clrsos_format_thousands(size, buf, sizeof(buf));
	cell(t, col + 2, buf);
}

static struct clrsos_error *write_regions(struct clrsos_writer *w, const struct maddress_result *res)
{
	struct table t = {.ncols = 9,
			  .header = {"Memory Kind", "StartAddr", "EndAddr-1", "Size", "Type", "State", "Protect",
				     "Image", "Detail"},
			  .right = {false, true, true, true, false, false, false, false, false},
			  .width = {0, 16, 16, 12}};
	for (size_t i = 0; i < res->nshown; i++) {
		const struct clrsos_addr_region *r = res->shown[i];
		struct clrsos_error *err = table_row(&t);
		if (err) {
			free(t.cells);
			return err;
		}
		char buf[96];
		cell(&t, 0, res->names[i]);
		clrsos_format_pointer(r->start, buf, sizeof(buf));
		cell(&t, 1, buf);
		clrsos_format_pointer(r->end - 1, buf, sizeof(buf));
		cell(&t, 2, buf);
		human_size(size_of(r), buf, sizeof(buf));
		cell(&t, 3, buf);
		cell(&t, 4, clrsos_mem_type_name(r->type));
		cell(&t, 5, clrsos_mem_state_name(r->state));
		cell(&t, 6, clrsos_prot_name(r->prot));
		cell(&t, 7, r->type == CLRSOS_MEM_IMAGE || r->owner == CLRSOS_OWNER_FILE_MAPPING ? r->path : "");
		if (r->synthetic && r->detail[0]) {
			snprintf(buf, sizeof(buf), "%s; not in the core", r->detail);
			cell(&t, 8, buf);
		} else {
			cell(&t, 8, r->synthetic ? "not in the core" : r->detail);
		}
	}
	table_write(w, &t);
	clrsos_out(w, "\n");
	return NULL;
}

static struct clrsos_error *write_images(struct clrsos_writer *w, const struct maddress_result *res)
{
	struct table t = {.ncols = 4,
			  .header = {"Image", "Count", "Size", "Size (bytes)"},
			  .right = {false, true, true, true},
			  .width = {0, 14, 12, 14},
			  .has_footer = true};
	uint64_t count = 0, size = 0;
	for (size_t i = 0; i <= res->nimages; i++) {
		struct clrsos_error *err = table_row(&t);
		if (err) {
			free(t.cells);
			return err;
		}
		bool footer = i == res->nimages;
		uint64_t c = footer ? count : res->images[i].count, z = footer ? size : res->images[i].size;
		if (footer) {
			cell(&t, 0, "[TOTAL]");
		} else {
			const char *p = res->images[i].path;
			size_t len = strlen(p);
			cell(&t, 0, len > 80 ? p + len - 80 : p); /* SOS: the path's end, at most 80 */
			count += c;
			size += z;
		}
		count_size_cells(&t, 1, c, z);
	}
	table_write(w, &t);
	clrsos_out(w, "\n");
	return NULL;
}

static struct clrsos_error *write_summary(struct clrsos_writer *w, const struct maddress_result *res)
{
	bool live = res->resident_known;
	struct table t = {.ncols = live ? 5 : 4,
			  .header = {"Memory Type", "Count", "Size", "Size (bytes)", "Resident"},
			  .right = {false, true, true, true, true},
			  .width = {0, 14, 12, 14, 12},
			  .has_footer = true};
	uint64_t count = 0, size = 0, resident = 0;
	char buf[64];
	for (size_t i = 0; i <= res->nkinds; i++) {
		struct clrsos_error *err = table_row(&t);
		if (err) {
			free(t.cells);
			return err;
		}
		bool footer = i == res->nkinds;
		const struct kind_sum *k = footer ? NULL : &res->kinds[i];
		uint64_t c = k ? k->count : count, z = k ? k->size : size, rs = k ? k->resident : resident;
		cell(&t, 0, k ? k->name : "[TOTAL]");
		if (k) {
			count += c;
			size += z;
			resident += rs;
		}
		count_size_cells(&t, 1, c, z);
		if (live) {
			human_size(rs, buf, sizeof(buf));
			cell(&t, 4, buf);
		}
	}
	table_write(w, &t);
	clrsos_out(w, "\n");
	return NULL;
}

static struct clrsos_error *write_owners(struct clrsos_writer *w, const struct maddress_result *res)
{
	bool live = res->resident_known;
	struct table t = {.ncols = live ? 5 : 4,
			  .header = {"Owner", "Reserved", "Committed", "Committed (bytes)", "Resident"},
			  .right = {false, true, true, true, true},
			  .width = {0, 12, 12, 14, 12},
			  .has_footer = true};
	/* By committed size, largest first. */
	int order[OWNER_COUNT], n = 0;
	for (int i = 0; i < OWNER_COUNT; i++) {
		if (!res->owners[i].count)
			continue;
		int at = n++;
		while (at > 0 && res->owners[order[at - 1]].committed < res->owners[i].committed) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = i;
	}
	char buf[64];
	for (int i = 0; i <= n; i++) {
		struct clrsos_error *err = table_row(&t);
		if (err) {
			free(t.cells);
			return err;
		}
		const struct owner_sum *os = i < n ? &res->owners[order[i]] : &res->total;
		cell(&t, 0, i < n ? owner_titles[order[i]] : "[TOTAL]");
		human_size(os->reserved, buf, sizeof(buf));
		cell(&t, 1, buf);
		human_size(os->committed, buf, sizeof(buf));
		cell(&t, 2, buf);
		clrsos_format_thousands(os->committed, buf, sizeof(buf));
		cell(&t, 3, buf);
		if (live) {
			human_size(os->resident, buf, sizeof(buf));
			cell(&t, 4, buf);
		}
	}
	table_write(w, &t);
	clrsos_out(w, "\n");
	return NULL;
}

/* -list: the kinds named (',' or ' ' between them), each a plain table of its regions, largest first. */
static struct clrsos_error *write_lists(struct clrsos_writer *w, const struct maddress_result *res,
					const char *list)
{
	char *copy = strdup(list);
	const struct clrsos_addr_region **rows = calloc(res->nshown ? res->nshown : 1, sizeof(*rows));
	if (!copy || !rows) {
		free(copy);
		free(rows);
		return &clrsos_error_no_memory;
	}
	struct clrsos_error *err = NULL;
	char *save = NULL;
	for (char *kind = strtok_r(copy, ", ", &save); kind && !err; kind = strtok_r(NULL, ", ", &save)) {
		size_t n = 0;
		uint64_t total = 0;
		for (size_t i = 0; i < res->nshown; i++) {
			if (strcasecmp(res->names[i], kind) == 0) {
				rows[n++] = res->shown[i];
				total += size_of(res->shown[i]);
			}
		}
		qsort(rows, n, sizeof(*rows), cmp_by_size);
		struct clrsos_name_buf nb;
		clrsos_outf(w, "%s Memory Regions:\n", clrsos_safe_name(kind, &nb));
		clrsos_outf(w, "%16s %16s %12s %-11s %-11s %s\n", "Base Address", "Size (bytes)", "Size", "Mem State",
			    "Mem Type", "Mem Protect");
		for (size_t i = 0; i < n; i++) {
			char p[32], b[32], h[32];
			clrsos_format_pointer(rows[i]->start, p, sizeof(p));
			clrsos_format_thousands(size_of(rows[i]), b, sizeof(b));
			human_size(size_of(rows[i]), h, sizeof(h));
			clrsos_outf(w, "%16s %16s %12s %-11s %-11s %s\n", p, b, h, clrsos_mem_state_name(rows[i]->state),
				    clrsos_mem_type_name(rows[i]->type), clrsos_prot_name(rows[i]->prot));
		}
		char t[32], h[32], c[32];
		clrsos_format_thousands(total, t, sizeof(t));
		human_size(total, h, sizeof(h));
		clrsos_format_thousands(n, c, sizeof(c));
		clrsos_outf(w, "%s bytes (%s) in %s memory regions\n\n", t, h, c);
	}
	free(copy);
	free(rows);
	return err;
}

static struct clrsos_error *write_text(struct clrsos_writer *w, const struct maddress_result *res,
				       const struct maddress_options *o)
{
	struct clrsos_error *err = NULL;
	if (!o->summary && !o->have_list)
		err = write_regions(w, res);
	if (!err && o->images)
		err = write_images(w, res);
	if (!err && o->have_list)
		err = write_lists(w, res, o->list);
	if (!err && (!o->have_list || o->summary)) {
		err = write_summary(w, res);
		if (!err)
			err = write_owners(w, res);
	}
	for (size_t i = 0; !err && i < res->space.nnotes; i++)
		clrsos_outf(w, "Note: %s\n", res->space.notes[i]);
	return err;
}

/* JSON ---------------------------------------------------------------- */

static void json_measured(struct clrsos_json *j, const char *key, uint64_t v)
{
	clrsos_json_key(j, key);
	if (v == CLRSOS_VM_UNKNOWN)
		clrsos_json_null(j);
	else
		clrsos_json_uint(j, v);
}

static void json_owner_sums(struct clrsos_json *j, const struct maddress_result *res, const struct owner_sum *os)
{
	clrsos_json_key(j, "reserved");
	clrsos_json_uint(j, os->reserved);
	clrsos_json_key(j, "committed");
	clrsos_json_uint(j, os->committed);
	json_measured(j, "resident", res->resident_known ? os->resident : CLRSOS_VM_UNKNOWN);
	clrsos_json_key(j, "regions");
	clrsos_json_uint(j, os->count);
}

/* The owners and their totals: the part --save keeps too. */
static void json_owners(struct clrsos_json *j, const struct maddress_result *res)
{
	clrsos_json_key(j, "owners");
	clrsos_json_array_begin(j);
	for (int i = 0; i < OWNER_COUNT; i++) {
		if (!res->owners[i].count)
			continue;
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "owner");
		clrsos_json_string(j, owner_keys[i]);
		json_owner_sums(j, res, &res->owners[i]);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	clrsos_json_key(j, "total");
	clrsos_json_object_begin(j);
	json_owner_sums(j, res, &res->total);
	clrsos_json_object_end(j);
}

static void write_json(struct clrsos_writer *w, const struct maddress_result *res, const struct maddress_options *o)
{
	struct clrsos_json j;
	clrsos_json_init(&j, w);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "live");
	clrsos_json_bool(&j, res->space.live);
	if (!o->summary && !o->have_list) {
		clrsos_json_key(&j, "regions");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < res->nshown; i++) {
			const struct clrsos_addr_region *r = res->shown[i];
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "kind");
			clrsos_json_string(&j, res->names[i]);
			clrsos_json_key(&j, "owner");
			clrsos_json_string(&j, owner_keys[r->owner]);
			clrsos_json_key(&j, "start");
			clrsos_json_address(&j, r->start);
			clrsos_json_key(&j, "end");
			clrsos_json_address(&j, r->end);
			clrsos_json_key(&j, "size");
			clrsos_json_uint(&j, size_of(r));
			clrsos_json_key(&j, "type");
			clrsos_json_string(&j, clrsos_mem_type_name(r->type));
			clrsos_json_key(&j, "state");
			clrsos_json_string(&j, clrsos_mem_state_name(r->state));
			clrsos_json_key(&j, "protect");
			clrsos_json_string(&j, clrsos_prot_name(r->prot));
			clrsos_json_key(&j, "path");
			if (r->path)
				clrsos_json_string(&j, r->path);
			else
				clrsos_json_null(&j);
			clrsos_json_key(&j, "detail");
			clrsos_json_string(&j, r->detail);
			json_measured(&j, "resident", r->resident);
			json_measured(&j, "inCore", r->in_core);
			clrsos_json_key(&j, "synthetic");
			clrsos_json_bool(&j, r->synthetic);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	}
	if (o->images) {
		clrsos_json_key(&j, "images");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < res->nimages; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "image");
			clrsos_json_string(&j, res->images[i].path);
			clrsos_json_key(&j, "count");
			clrsos_json_uint(&j, res->images[i].count);
			clrsos_json_key(&j, "size");
			clrsos_json_uint(&j, res->images[i].size);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	}
	clrsos_json_key(&j, "summary");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < res->nkinds; i++) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "kind");
		clrsos_json_string(&j, res->kinds[i].name);
		clrsos_json_key(&j, "count");
		clrsos_json_uint(&j, res->kinds[i].count);
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, res->kinds[i].size);
		json_measured(&j, "resident", res->resident_known ? res->kinds[i].resident : CLRSOS_VM_UNKNOWN);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	json_owners(&j, res);
	clrsos_json_key(&j, "notes");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < res->space.nnotes; i++)
		clrsos_json_string(&j, res->space.notes[i]);
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

/* Per owner: its regions and committed bytes, as a histogram heapdiff compares by name. */
static struct clrsos_error *owner_histogram(const struct maddress_result *res, struct clrsos_histogram *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->address_space = true;
	for (int i = 0; i < OWNER_COUNT; i++) {
		const struct owner_sum *os = &res->owners[i];
		if (!os->count)
			continue;
		if (!clrsos_histogram_add(ret, owner_titles[i], 0, os->count, os->committed, NULL, NULL) ||
		    !clrsos_histogram_sum(&ret->objects, os->count) || !clrsos_histogram_sum(&ret->bytes, os->committed)) {
			clrsos_histogram_deinit(ret);
			return &clrsos_error_no_memory;
		}
	}
	return NULL;
}

struct clrsos_error *clrsos_maddress_histogram(struct clrsos_session *session, struct clrsos_histogram *ret)
{
	struct maddress_options o;
	memset(&o, 0, sizeof(o));
	struct maddress_result res;
	struct clrsos_error *err = compute(session, &o, &res);
	if (!err)
		err = owner_histogram(&res, ret);
	result_deinit(&res);
	return err;
}

/* -list: every kind named must name shown regions; checked before any output. */
static struct clrsos_error *check_list(const struct maddress_result *res, const char *list)
{
	char *copy = strdup(list);
	if (!copy)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = NULL;
	char *save = NULL;
	for (char *k = strtok_r(copy, ", ", &save); k && !err; k = strtok_r(NULL, ", ", &save)) {
		bool found = false;
		for (size_t i = 0; i < res->nshown && !found; i++)
			found = strcasecmp(res->names[i], k) == 0;
		if (!found) {
			struct clrsos_name_buf nb;
			err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						  "maddress -list: no memory regions match '%s' (the kinds are maddress's Memory Kind names)",
						  clrsos_safe_name(k, &nb));
		}
	}
	free(copy);
	return err;
}

struct clrsos_error *clrsos_cmd_maddress(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	/* maddress -native [-stat] [--json] is nativeheap: glibc's arenas, or its chunk sizes. */
	for (int i = 0; i < argc; i++) {
		if (strcasecmp(argv[i], "-native") != 0)
			continue;
		const char **rest = calloc((size_t)argc, sizeof(*rest));
		if (!rest)
			return &clrsos_error_no_memory;
		int n = 0;
		for (int k = 0; k < argc; k++)
			if (k != i)
				rest[n++] = argv[k];
		struct clrsos_error *err = clrsos_cmd_nativeheap(session, host, n, rest, out);
		free(rest);
		return err;
	}
	struct maddress_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct maddress_result res;
	err = compute(session, &o, &res);
	if (!err && o.have_list)
		err = check_list(&res, o.list);
	if (!err && o.save && !(err = clrsos_session_check_saving(session, "maddress --save"))) {
		struct clrsos_histogram h;
		if (!(err = owner_histogram(&res, &h))) {
			err = clrsos_histogram_save(&h, o.save);
			clrsos_histogram_deinit(&h);
		}
		if (err)
			err = clrsos_error_wrap(err, "maddress --save");
	}
	if (!err)
		err = o.json ? (write_json(out, &res, &o), NULL) : write_text(out, &res, &o);
	result_deinit(&res);
	return err;
}
