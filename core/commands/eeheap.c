#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/runtime.h"
#include "commands.h"

struct eeheap_options {
	bool json;
	int64_t heap;        /* -1: every heap */
	const char *heap_text; /* -heap as typed, to quote */
	bool have_segment;
	uint64_t segment;    /* a segment's record or an address inside it */
	bool have_range;
	uint64_t range_start, range_end;
};

/* eeheap [options] [start [end]]: the operands bound the listing. */
static struct clrsos_error *range_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	struct eeheap_options *o = ctx;
	uint64_t v;
	struct clrsos_error *err = clrsos_parse_address(host, arg, &v);
	if (err)
		return clrsos_error_wrap(err, "eeheap");
	if (index == 0) {
		o->range_start = v;
		o->range_end = UINT64_MAX;
	} else {
		o->range_end = v;
	}
	o->have_range = true;
	return NULL;
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc,
				  const char *const *argv,
				  struct eeheap_options *o)
{
	memset(o, 0, sizeof(*o));
	o->heap = -1;
	bool gc = false, loader = false, have_heap = false;
	uint64_t heap = 0;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-gc", &gc), /* the default: clrsos shows the GC heap */
		CLRSOS_FLAG("-loader", &loader),
		CLRSOS_UINT("-heap", &heap, .given = &have_heap, .text = &o->heap_text, .max = INT32_MAX),
		CLRSOS_ADDRESS("-segment", &o->segment, .given = &o->have_segment),
	};
	const struct clrsos_options spec = {
		.command = "eeheap",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 2,
		.operand = range_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (loader)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "eeheap -loader: clrsos does not show loader heaps yet; use eeheap -gc");
	if (have_heap)
		o->heap = (int64_t)heap;
	if (o->have_range && o->range_end <= o->range_start)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "eeheap: the range end must be above its start");
	return NULL;
}

static bool segment_selected(const struct eeheap_options *o,
			     const struct clrsos_segment *s)
{
	if (o->heap >= 0 && s->heap != (uint32_t)o->heap)
		return false;
	if (o->have_segment && o->segment != s->address &&
	    !(o->segment >= s->committed_start && o->segment < s->reserved_end))
		return false;
	if (o->have_range &&
	    (s->committed_end <= o->range_start || s->committed_start >= o->range_end))
		return false;
	return true;
}

static bool filtered(const struct eeheap_options *o)
{
	return o->heap >= 0 || o->have_segment || o->have_range;
}

/* Per heap and over all, what the selected segments add up to. */
struct sums {
	uint64_t allocated, committed;
	uint64_t gen[CLRSOS_GEN_COUNT];
};

static void add_segment_sums(struct sums *s, const struct clrsos_segment *seg)
{
	s->allocated += seg->end - seg->start;
	s->committed += seg->committed_end - seg->committed_start;
	for (int g = 0; g < CLRSOS_GEN_COUNT; g++)
		s->gen[g] += seg->gen_size[g];
}

/* Text ----------------------------------------------------------------- */

enum { POINTER_WIDTH = 16 };

struct table {
	int size_width;
};

static void centered(struct clrsos_writer *w, const char *text, int width)
{
	int len = (int)strlen(text);
	int left = width > len ? (width - len) / 2 : 0;
	int right = width > len ? width - len - left : 0;
	clrsos_outf(w, "%*s%s%*s", left, "", text, right, "");
}

static void header(struct clrsos_writer *w, const struct table *t)
{
	static const char *const ptr_cols[] = {"segment", "begin", "allocated", "committed"};
	for (int i = 0; i < 4; i++) {
		centered(w, ptr_cols[i], POINTER_WIDTH);
		clrsos_out(w, " ");
	}
	centered(w, "allocated size", t->size_width);
	clrsos_out(w, " ");
	centered(w, "committed size", t->size_width);
	clrsos_out(w, "\n");
}

static void row(struct clrsos_writer *w, const struct table *t,
		const struct clrsos_segment *s)
{
	char p[4][32], a[48], c[48];
	clrsos_format_pointer(s->address, p[0], sizeof(p[0]));
	clrsos_format_pointer(s->start, p[1], sizeof(p[1]));
	clrsos_format_pointer(s->end, p[2], sizeof(p[2]));
	clrsos_format_pointer(s->committed_end, p[3], sizeof(p[3]));
	clrsos_format_size(s->end - s->start, a, sizeof(a));
	clrsos_format_size(s->committed_end - s->committed_start, c, sizeof(c));
	clrsos_outf(w, "%*s %*s %*s %*s %-*s %-*s\n", POINTER_WIDTH, p[0],
		    POINTER_WIDTH, p[1], POINTER_WIDTH, p[2], POINTER_WIDTH,
		    p[3], t->size_width, a, t->size_width, c);
}

static int cmp_segments(const void *a, const void *b)
{
	const struct clrsos_segment *x = *(const struct clrsos_segment *const *)a;
	const struct clrsos_segment *y = *(const struct clrsos_segment *const *)b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The selected segments of one heap whose kind is in [first, last], sorted. */
static size_t pick(const struct clrsos_gc *gc, const struct clrsos_gc_heap *h,
		   const struct eeheap_options *o, enum clrsos_segment_kind first,
		   enum clrsos_segment_kind last, const struct clrsos_segment **ret)
{
	size_t n = 0;
	for (size_t i = h->first_segment; i < h->first_segment + h->nsegments; i++) {
		const struct clrsos_segment *s = &gc->segments[i];
		if (s->kind >= first && s->kind <= last && segment_selected(o, s))
			ret[n++] = s;
	}
	qsort(ret, n, sizeof(*ret), cmp_segments);
	return n;
}

static void write_sizes_table(struct clrsos_writer *w, const struct clrsos_gc *gc,
			      const struct sums *heaps, const struct sums *total,
			      const struct eeheap_options *o)
{
	static const char *const cols[CLRSOS_GEN_COUNT] = {
		"gen0", "gen1", "gen2", "LOH", "POH", "NonGC"};
	clrsos_out(w, "Allocated bytes by generation:\n");
	clrsos_outf(w, "%-8s", "");
	for (int g = 0; g < CLRSOS_GEN_COUNT; g++)
		clrsos_outf(w, " %15s", cols[g]);
	clrsos_outf(w, " %15s\n", "total");
	char buf[32];
	for (uint32_t i = 0; i < gc->nheaps; i++) {
		if (o->heap >= 0 && i != (uint32_t)o->heap)
			continue;
		char name[16];
		snprintf(name, sizeof(name), "Heap %u", i);
		clrsos_outf(w, "%-8s", name);
		for (int g = 0; g < CLRSOS_GEN_COUNT; g++) {
			clrsos_format_thousands(heaps[i].gen[g], buf, sizeof(buf));
			clrsos_outf(w, " %15s", buf);
		}
		clrsos_format_thousands(heaps[i].allocated, buf, sizeof(buf));
		clrsos_outf(w, " %15s\n", buf);
	}
	if (gc->nheaps > 1 && o->heap < 0) {
		clrsos_outf(w, "%-8s", "Total");
		for (int g = 0; g < CLRSOS_GEN_COUNT; g++) {
			clrsos_format_thousands(total->gen[g], buf, sizeof(buf));
			clrsos_outf(w, " %15s", buf);
		}
		clrsos_format_thousands(total->allocated, buf, sizeof(buf));
		clrsos_outf(w, " %15s\n", buf);
	}
}

static void write_text(const struct clrsos_gc *gc, const struct eeheap_options *o,
		       const struct sums *heaps, const struct sums *total,
		       const struct clrsos_segment **scratch,
		       struct clrsos_writer *w)
{
	const char *prefix = filtered(o) ? "Partial " : "";
	struct table t = {(int)strlen("committed size")};
	for (size_t i = 0; i < gc->nsegments; i++) {
		char buf[48];
		const struct clrsos_segment *s = &gc->segments[i];
		clrsos_format_size(s->end - s->start, buf, sizeof(buf));
		if ((int)strlen(buf) > t.size_width)
			t.size_width = (int)strlen(buf);
		clrsos_format_size(s->committed_end - s->committed_start, buf, sizeof(buf));
		if ((int)strlen(buf) > t.size_width)
			t.size_width = (int)strlen(buf);
	}

	clrsos_out(w, "\n");
	if (gc->dynamic_adaptation_known)
		clrsos_outf(w, "DATAS = %d\n", gc->dynamic_adaptation);
	clrsos_out(w, "========================================\n");
	clrsos_outf(w, "Number of GC Heaps: %u\n", gc->nheaps);
	clrsos_out(w, "----------------------------------------\n");
	for (uint32_t hi = 0; hi < gc->nheaps; hi++) {
		const struct clrsos_gc_heap *h = &gc->heaps[hi];
		if (o->heap >= 0 && hi != (uint32_t)o->heap)
			continue;
		if (gc->server)
			clrsos_outf(w, "Heap %u (%016" PRIx64 ")\n", hi, h->address);
		if (!gc->regions) {
			for (int g = 0; g <= 2; g++)
				clrsos_outf(w, "generation %d starts at %" PRIx64 "\n", g,
					    h->generations[g].allocation_start);
			const struct clrsos_gc_generation *g0 = &h->generations[0];
			clrsos_out(w, "ephemeral segment allocation context: ");
			if (g0->alloc_context_ptr < g0->alloc_context_limit)
				clrsos_outf(w, "(0x%" PRIx64 ", 0x%" PRIx64 ")\n",
					    g0->alloc_context_ptr, g0->alloc_context_limit);
			else
				clrsos_out(w, "none\n");
		}
		clrsos_out(w, "Small object heap\n");
		header(w, &t);
		size_t n = pick(gc, h, o, CLRSOS_SEGMENT_GEN0, CLRSOS_SEGMENT_EPHEMERAL, scratch);
		int printed_gen = -1;
		for (size_t i = 0; i < n; i++) {
			if (gc->regions && (int)scratch[i]->kind != printed_gen &&
			    scratch[i]->kind <= CLRSOS_SEGMENT_GEN2) {
				printed_gen = (int)scratch[i]->kind;
				clrsos_outf(w, "generation %d:\n", printed_gen);
			}
			row(w, &t, scratch[i]);
		}
		n = pick(gc, h, o, CLRSOS_SEGMENT_FROZEN, CLRSOS_SEGMENT_FROZEN, scratch);
		if (n) {
			clrsos_out(w, "NonGC heap\n");
			header(w, &t);
			for (size_t i = 0; i < n; i++)
				row(w, &t, scratch[i]);
		}
		if (gc->regions || h->ngenerations <= 3)
			clrsos_out(w, "Large object heap\n");
		else
			clrsos_outf(w, "Large object heap starts at %" PRIx64 "\n",
				    h->generations[3].allocation_start);
		header(w, &t);
		n = pick(gc, h, o, CLRSOS_SEGMENT_LARGE, CLRSOS_SEGMENT_LARGE, scratch);
		for (size_t i = 0; i < n; i++)
			row(w, &t, scratch[i]);
		n = pick(gc, h, o, CLRSOS_SEGMENT_PINNED, CLRSOS_SEGMENT_PINNED, scratch);
		if (n) {
			if (gc->regions || h->ngenerations <= 4)
				clrsos_out(w, "Pinned object heap\n");
			else
				clrsos_outf(w, "Pinned object heap starts at %" PRIx64 "\n",
					    h->generations[4].allocation_start);
			header(w, &t);
			for (size_t i = 0; i < n; i++)
				row(w, &t, scratch[i]);
		}
		if (filtered(o)) {
			char a[48], c[48];
			clrsos_format_size(heaps[hi].allocated, a, sizeof(a));
			clrsos_format_size(heaps[hi].committed, c, sizeof(c));
			clrsos_outf(w, "%sAllocated Size:              Size: %s bytes.\n", prefix, a);
			clrsos_outf(w, "%sCommitted Size:              Size: %s bytes.\n", prefix, c);
		}
		clrsos_out(w, "------------------------------\n");
	}
	char a[48], c[48];
	clrsos_format_size(total->allocated, a, sizeof(a));
	clrsos_format_size(total->committed, c, sizeof(c));
	clrsos_outf(w, "%sGC Allocated Heap Size:    Size: %s bytes.\n", prefix, a);
	clrsos_outf(w, "%sGC Committed Heap Size:    Size: %s bytes.\n", prefix, c);
	clrsos_out(w, "\n");
	write_sizes_table(w, gc, heaps, total, o);
	for (size_t i = 0; i < gc->nwarnings; i++)
		clrsos_outf(w, "Warning: %s\n", gc->warnings[i]);
}

/* JSON ----------------------------------------------------------------- */

static void json_generations(struct clrsos_json *j, const struct sums *s)
{
	clrsos_json_key(j, "generations");
	clrsos_json_object_begin(j);
	for (int g = 0; g < CLRSOS_GEN_COUNT; g++) {
		clrsos_json_key(j, clrsos_generation_name((enum clrsos_generation)g));
		clrsos_json_uint(j, s->gen[g]);
	}
	clrsos_json_object_end(j);
}

static void write_json(const struct clrsos_gc *gc, const struct eeheap_options *o,
		       const struct sums *heaps, const struct sums *total,
		       struct clrsos_writer *w)
{
	struct clrsos_json j;
	clrsos_json_init(&j, w);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "gcMode");
	clrsos_json_string(&j, gc->server ? "server" : "workstation");
	clrsos_json_key(&j, "regions");
	clrsos_json_bool(&j, gc->regions);
	clrsos_json_key(&j, "heapCount");
	clrsos_json_uint(&j, gc->nheaps);
	clrsos_json_key(&j, "datas");
	if (gc->dynamic_adaptation_known)
		clrsos_json_int(&j, gc->dynamic_adaptation);
	else
		clrsos_json_null(&j);
	clrsos_json_key(&j, "filtered");
	clrsos_json_bool(&j, filtered(o));
	clrsos_json_key(&j, "heaps");
	clrsos_json_array_begin(&j);
	for (uint32_t hi = 0; hi < gc->nheaps; hi++) {
		const struct clrsos_gc_heap *h = &gc->heaps[hi];
		if (o->heap >= 0 && hi != (uint32_t)o->heap)
			continue;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "index");
		clrsos_json_uint(&j, hi);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, h->address);
		if (!gc->regions) {
			clrsos_json_key(&j, "generationStarts");
			clrsos_json_array_begin(&j);
			for (uint32_t g = 0; g < h->ngenerations && g < 5; g++)
				clrsos_json_address(&j, h->generations[g].allocation_start);
			clrsos_json_array_end(&j);
		}
		clrsos_json_key(&j, "segments");
		clrsos_json_array_begin(&j);
		for (size_t i = h->first_segment; i < h->first_segment + h->nsegments; i++) {
			const struct clrsos_segment *s = &gc->segments[i];
			if (!segment_selected(o, s))
				continue;
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, s->address);
			clrsos_json_key(&j, "kind");
			clrsos_json_string(&j, clrsos_segment_kind_name(s->kind));
			clrsos_json_key(&j, "begin");
			clrsos_json_address(&j, s->start);
			clrsos_json_key(&j, "allocated");
			clrsos_json_address(&j, s->end);
			clrsos_json_key(&j, "committed");
			clrsos_json_address(&j, s->committed_end);
			clrsos_json_key(&j, "reserved");
			clrsos_json_address(&j, s->reserved_end);
			clrsos_json_key(&j, "allocatedSize");
			clrsos_json_uint(&j, s->end - s->start);
			clrsos_json_key(&j, "committedSize");
			clrsos_json_uint(&j, s->committed_end - s->committed_start);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		json_generations(&j, &heaps[hi]);
		clrsos_json_key(&j, "allocatedSize");
		clrsos_json_uint(&j, heaps[hi].allocated);
		clrsos_json_key(&j, "committedSize");
		clrsos_json_uint(&j, heaps[hi].committed);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	json_generations(&j, total);
	clrsos_json_key(&j, "totalAllocated");
	clrsos_json_uint(&j, total->allocated);
	clrsos_json_key(&j, "totalCommitted");
	clrsos_json_uint(&j, total->committed);
	clrsos_json_key(&j, "warnings");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < gc->nwarnings; i++)
		clrsos_json_string(&j, gc->warnings[i]);
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_eeheap(struct clrsos_session *session,
				       const struct clrsos_host *host, int argc,
				       const char *const *argv,
				       struct clrsos_writer *out)
{
	struct eeheap_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	const struct clrsos_gc *gc;
	err = clrsos_session_gc(session, &gc);
	if (err)
		return err;
	if (o.heap >= 0 && (uint64_t)o.heap >= gc->nheaps)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "eeheap -heap %s: there %s %u GC heap%s (0 to %u)",
					   o.heap_text, gc->nheaps == 1 ? "is" : "are",
					   gc->nheaps, gc->nheaps == 1 ? "" : "s",
					   gc->nheaps - 1);
	struct sums *heaps = calloc(gc->nheaps, sizeof(*heaps));
	const struct clrsos_segment **scratch =
		calloc(gc->nsegments ? gc->nsegments : 1, sizeof(*scratch));
	if (!heaps || !scratch) {
		free(heaps);
		free(scratch);
		return &clrsos_error_no_memory;
	}
	struct sums total = {0};
	size_t selected = 0;
	for (size_t i = 0; i < gc->nsegments; i++) {
		const struct clrsos_segment *s = &gc->segments[i];
		if (!segment_selected(&o, s))
			continue;
		selected++;
		add_segment_sums(&heaps[s->heap], s);
		add_segment_sums(&total, s);
	}
	if (o.have_segment && selected == 0) {
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "eeheap -segment 0x%" PRIx64 ": no GC segment or region has this address; run eeheap -gc to list them",
					  o.segment);
	} else if (o.json) {
		write_json(gc, &o, heaps, &total, out);
	} else {
		write_text(gc, &o, heaps, &total, scratch, out);
	}
	free(heaps);
	free(scratch);
	return err;
}
