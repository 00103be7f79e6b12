#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/loaderheaps.h"
#include "model/runtime.h"
#include "commands.h"

struct eeheap_options {
	bool json;
	bool loader, gc;     /* what to show (neither given: both, as SOS) */
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
	bool have_heap = false;
	uint64_t heap = 0;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-gc", &o->gc),
		CLRSOS_FLAG("-loader", &o->loader),
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
	if (!o->gc && !o->loader)
		o->gc = o->loader = true;
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

static uint64_t write_loader_json(struct clrsos_json *j, const struct clrsos_loader_heaps *l,
				  const struct eeheap_options *o);

static void write_json(const struct clrsos_gc *gc, const struct eeheap_options *o,
		       const struct sums *heaps, const struct sums *total,
		       const struct clrsos_loader_heaps *loader, struct clrsos_writer *w)
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
	if (loader) {
		uint64_t l = write_loader_json(&j, loader, o);
		clrsos_json_key(&j, "totalBytes"); /* SOS's "bytes consumed by CLR": loader heaps and GC committed */
		clrsos_json_uint(&j, l + total->committed);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

/* ---- Loader heaps ---- */

static bool block_selected(const struct eeheap_options *o, const struct clrsos_native_block *b)
{
	if (!o->have_range)
		return true;
	if (b->start >= o->range_start && b->start < o->range_end)
		return true;
	return b->size && b->start + b->size - 1 >= o->range_start && b->start + b->size - 1 < o->range_end;
}

/* SOS's measure of a block: what the target holds of it, and the rest of it when it is not the current one. */
static void block_sizes(const struct clrsos_native_block *b, uint64_t *size, uint64_t *wasted)
{
	*size = b->committed;
	*wasted = b->size && b->committed < b->size && !b->current ? b->size - b->committed : 0;
}

struct owner_sums {
	uint64_t size, wasted;
};

static struct owner_sums owner_sums(const struct eeheap_options *o, const struct clrsos_heap_owner *h)
{
	struct owner_sums t = {0, 0};
	for (size_t i = 0; i < h->count; i++) {
		uint64_t sz, w;
		if (!block_selected(o, &h->blocks[i]))
			continue;
		block_sizes(&h->blocks[i], &sz, &w);
		t.size += sz;
		t.wasted += w;
	}
	return t;
}

static void write_size_wasted(struct clrsos_writer *w, uint64_t size, uint64_t wasted)
{
	clrsos_out(w, "Size: ");
	if (size)
		clrsos_outf(w, "0x%" PRIx64 " (%" PRIu64 ")", size, size);
	clrsos_out(w, " bytes total");
	if (wasted)
		clrsos_outf(w, ", 0x%" PRIx64 " (%" PRIu64 ") bytes wasted", wasted, wasted);
	clrsos_out(w, ".\n");
}

static void loader_divider(struct clrsos_writer *w)
{
	clrsos_out(w, "----------------------------------------\n");
}

/* An owner's heaps, a row per kind (its blocks, then their sizes), and its total row. */
static uint64_t write_owner_heaps(struct clrsos_writer *w, const struct eeheap_options *o,
				  const struct clrsos_heap_owner *h, const char *total_label, bool say_none)
{
	struct owner_sums t = {0, 0};
	for (size_t i = 0; i < h->count;) {
		const char *kind = h->blocks[i].kind;
		size_t end = i;
		while (end < h->count && strcmp(h->blocks[end].kind, kind) == 0)
			end++;
		struct owner_sums k = {0, 0};
		bool any = false;
		char label[64];
		snprintf(label, sizeof(label), "%s:", kind);
		for (size_t b = i; b < end; b++) {
			const struct clrsos_native_block *blk = &h->blocks[b];
			if (!block_selected(o, blk))
				continue;
			if (any)
				clrsos_out(w, " ");
			else
				clrsos_outf(w, "%-21s ", label);
			clrsos_outf(w, "%012" PRIx64, blk->start);
			any = true;
			uint64_t sz, wa;
			block_sizes(blk, &sz, &wa);
			if (blk->size)
				clrsos_outf(w, "(%" PRIx64 ":%" PRIx64 ")", blk->size, sz);
			k.size += sz;
			k.wasted += wa;
		}
		if (any) {
			clrsos_out(w, " ");
			write_size_wasted(w, k.size, k.wasted);
		}
		t.size += k.size;
		t.wasted += k.wasted;
		i = end;
	}
	if (t.size || !say_none) {
		clrsos_outf(w, "%-21s ", total_label);
		write_size_wasted(w, t.size, t.wasted);
	} else {
		clrsos_out(w, "No unique loader heaps found.\n");
	}
	loader_divider(w);
	return t.size;
}

static uint64_t write_loader_text(const struct clrsos_loader_heaps *l, const struct eeheap_options *o,
				  struct clrsos_writer *w)
{
	const char *total_label = o->have_range ? "Partial size:" : "Total size:";
	uint64_t total = 0;
	clrsos_out(w, "Loader Heap:\n");
	loader_divider(w);
	if (l->no_allocators)
		clrsos_out(w, "(this runtime's DAC does not list the AppDomains' loader heaps: .NET 8 or later does)\n");
	unsigned n = 0;
	for (size_t i = 0; i < l->ndomains; i++) {
		const struct clrsos_heap_owner *d = &l->domains[i];
		char label[32];
		if (d->system_domain)
			snprintf(label, sizeof(label), "System Domain:");
		else
			snprintf(label, sizeof(label), "Domain %u:", ++n);
		clrsos_outf(w, "%-21s %012" PRIx64 "\n", label, d->address);
		if (d->loader_allocator)
			clrsos_outf(w, "%-21s %012" PRIx64 "\n", "LoaderAllocator:", d->loader_allocator);
		if (d->seen_allocator || l->no_allocators)
			continue; /* its heaps are listed under the domain that shares them */
		total += write_owner_heaps(w, o, d, total_label, true);
	}
	for (size_t i = 0; i < l->njit_managers; i++) {
		const struct clrsos_heap_owner *m = &l->jit_managers[i];
		clrsos_outf(w, "%-21s %012" PRIx64 "\n", "JIT Manager:", m->address);
		total += write_owner_heaps(w, o, m, total_label, false);
	}
	return total;
}

static void json_owner(struct clrsos_json *j, const struct eeheap_options *o, const struct clrsos_heap_owner *h)
{
	clrsos_json_key(j, "heaps");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < h->count; i++) {
		const struct clrsos_native_block *b = &h->blocks[i];
		if (!block_selected(o, b))
			continue;
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "kind");
		clrsos_json_string(j, b->kind);
		clrsos_json_key(j, "start");
		clrsos_json_address(j, b->start);
		clrsos_json_key(j, "reserved");
		clrsos_json_uint(j, b->size);
		clrsos_json_key(j, "committed");
		clrsos_json_uint(j, b->committed);
		clrsos_json_key(j, "current");
		clrsos_json_bool(j, b->current);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	struct owner_sums t = owner_sums(o, h);
	clrsos_json_key(j, "size");
	clrsos_json_uint(j, t.size);
	clrsos_json_key(j, "wasted");
	clrsos_json_uint(j, t.wasted);
}

/* "loader": {...} in the current object; returns its total size. */
static uint64_t write_loader_json(struct clrsos_json *j, const struct clrsos_loader_heaps *l,
				  const struct eeheap_options *o)
{
	uint64_t total = 0;
	clrsos_json_key(j, "loader");
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "domains");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < l->ndomains; i++) {
		const struct clrsos_heap_owner *d = &l->domains[i];
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "address");
		clrsos_json_address(j, d->address);
		clrsos_json_key(j, "system");
		clrsos_json_bool(j, d->system_domain);
		clrsos_json_key(j, "loaderAllocator");
		clrsos_json_address(j, d->loader_allocator);
		clrsos_json_key(j, "sharesAllocator");
		clrsos_json_bool(j, d->seen_allocator);
		json_owner(j, o, d);
		total += owner_sums(o, d).size;
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	clrsos_json_key(j, "jitManagers");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < l->njit_managers; i++) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "address");
		clrsos_json_address(j, l->jit_managers[i].address);
		json_owner(j, o, &l->jit_managers[i]);
		total += owner_sums(o, &l->jit_managers[i]).size;
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	clrsos_json_key(j, "totalSize");
	clrsos_json_uint(j, total);
	clrsos_json_object_end(j);
	return total;
}

static struct clrsos_error *eeheap_gc(struct clrsos_session *session, const struct eeheap_options *op,
				      const struct clrsos_loader_heaps *loader, struct clrsos_writer *out)
{
	const struct eeheap_options o = *op;
	const struct clrsos_gc *gc;
	struct clrsos_error *err = clrsos_session_gc(session, &gc);
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
		write_json(gc, &o, heaps, &total, loader, out);
	} else {
		uint64_t loader_total = loader ? write_loader_text(loader, &o, out) : 0;
		write_text(gc, &o, heaps, &total, scratch, out);
		if (loader) /* SOS: loader heaps and the GC's committed memory */
			clrsos_outf(out, "\n%s bytes consumed by CLR: 0x%" PRIx64 " (%" PRIu64 ")\n\n",
				    filtered(&o) ? "Partial" : "Total", loader_total + total.committed,
				    loader_total + total.committed);
	}
	free(heaps);
	free(scratch);
	return err;
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
	struct clrsos_loader_heaps loader;
	memset(&loader, 0, sizeof(loader));
	if (o.loader) {
		struct clrsos_dac *dac;
		if ((err = clrsos_session_dac(session, &dac)) ||
		    (err = clrsos_loader_heaps_init(dac, clrsos_session_target(session), &loader)))
			return err;
	}
	if (!o.gc) {
		if (o.json) {
			struct clrsos_json j;
			clrsos_json_init(&j, out);
			clrsos_json_object_begin(&j);
			write_loader_json(&j, &loader, &o);
			clrsos_json_object_end(&j);
			clrsos_json_end(&j);
		} else {
			write_loader_text(&loader, &o, out);
		}
		clrsos_loader_heaps_deinit(&loader);
		return NULL;
	}
	err = eeheap_gc(session, &o, o.loader ? &loader : NULL, out);
	clrsos_loader_heaps_deinit(&loader);
	return err;
}
