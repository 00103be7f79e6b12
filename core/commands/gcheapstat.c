/*
 * gcheapstat: SOS's GCHeapStat. Per GC heap and per generation (gen0, gen1,
 * gen2, LOH, POH; EPH for the ephemeral segment of a segments GC): bytes
 * allocated (the generation's object range, free space included), free
 * space (Free objects) with its share per heap, bytes committed and, with
 * -unreachable, bytes of objects no root keeps alive (reach.h: exact).
 * One heap walk; NonGC (frozen) objects are left out, as SOS prints none.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/reach.h"
#include "commands.h"
#include "model/heap.h"

/* The columns: gen0-2, LOH, POH, then the ephemeral segment (segments GC). */
enum { COL_EPH = CLRSOS_GEN_FROZEN, NCOLS };

static const char *const col_names[NCOLS] = {"Gen0", "Gen1", "Gen2", "LOH", "POH", "EPH"};
static const char *const col_keys[NCOLS] = {"gen0", "gen1", "gen2", "loh", "poh", "ephemeral"};

struct genstat {
	uint64_t allocated, free, unrooted, committed;
};

struct heapstat {
	struct genstat col[NCOLS];
};

struct gcheapstat_result {
	bool unreachable;
	bool has_eph;
	uint32_t nheaps;
	struct heapstat *heaps; /* nheaps, then the total */
	struct clrsos_walk_result walk;
	char *const *gc_warnings;
	size_t ngc_warnings;
	char reach_warnings[2][256];
	size_t nreach_warnings;
};

struct walk_ctx {
	struct gcheapstat_result *r;
	const struct clrsos_reach *reach;
};

static bool on_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct walk_ctx *c = ctx;
	if (obj->generation >= CLRSOS_GEN_FROZEN || !obj->segment || obj->segment->heap >= c->r->nheaps)
		return true;
	struct heapstat *h = &c->r->heaps[obj->segment->heap];
	bool eph = obj->segment->kind == CLRSOS_SEGMENT_EPHEMERAL;
	if (obj->type->is_free) {
		h->col[obj->generation].free += obj->size;
		if (eph)
			h->col[COL_EPH].free += obj->size;
	} else if (c->reach && !clrsos_reach_is_live(c->reach, obj->address)) {
		h->col[obj->generation].unrooted += obj->size;
		if (eph)
			h->col[COL_EPH].unrooted += obj->size;
	}
	return true;
}

static int column_of_segment(enum clrsos_segment_kind kind)
{
	switch (kind) {
	case CLRSOS_SEGMENT_GEN0: return CLRSOS_GEN0;
	case CLRSOS_SEGMENT_GEN1: return CLRSOS_GEN1;
	case CLRSOS_SEGMENT_GEN2: return CLRSOS_GEN2;
	case CLRSOS_SEGMENT_EPHEMERAL: return COL_EPH;
	case CLRSOS_SEGMENT_LARGE: return CLRSOS_GEN_LOH;
	case CLRSOS_SEGMENT_PINNED: return CLRSOS_GEN_POH;
	default: return -1;
	}
}

static struct clrsos_error *compute(struct clrsos_session *session, bool unreachable, struct gcheapstat_result *r)
{
	struct clrsos_heap *heap;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (err || (err = clrsos_heap_check_walkable(heap)))
		return err;
	const struct clrsos_gc *gc = clrsos_heap_gc(heap);
	r->unreachable = unreachable;
	r->nheaps = gc->nheaps;
	r->heaps = calloc((size_t)gc->nheaps + 1, sizeof(*r->heaps));
	if (!r->heaps)
		return &clrsos_error_no_memory;
	for (uint32_t i = 0; i < gc->nheaps; i++) {
		const struct clrsos_gc_heap *gh = &gc->heaps[i];
		struct heapstat *h = &r->heaps[i];
		for (int g = 0; g < CLRSOS_GEN_FROZEN; g++)
			h->col[g].allocated = gh->gen_allocated[g];
		for (size_t s = gh->first_segment; s < gh->first_segment + gh->nsegments && s < gc->nsegments; s++) {
			const struct clrsos_segment *seg = &gc->segments[s];
			int col = column_of_segment(seg->kind);
			if (col < 0)
				continue;
			/* A layout read from a hostile target may have its ends reversed: counted as empty. */
			if (seg->committed_end > seg->committed_start)
				h->col[col].committed += seg->committed_end - seg->committed_start;
			if (col == COL_EPH) {
				if (seg->end > seg->start)
					h->col[COL_EPH].allocated += seg->end - seg->start;
				r->has_eph = true;
			}
		}
	}
	struct walk_ctx c = {.r = r};
	if (unreachable && (err = clrsos_session_reach(session, &c.reach)))
		return err;
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	filter.generations = (1u << CLRSOS_GEN_FROZEN) - 1;
	struct clrsos_watch *watch = clrsos_session_watch(session);
	err = clrsos_heap_walk(heap, &filter, on_object, &c, clrsos_watch_heap_progress, watch, &r->walk);
	if (err)
		return err;
	struct heapstat *total = &r->heaps[r->nheaps];
	for (uint32_t i = 0; i < r->nheaps; i++) {
		for (int g = 0; g < NCOLS; g++) {
			total->col[g].allocated += r->heaps[i].col[g].allocated;
			total->col[g].free += r->heaps[i].col[g].free;
			total->col[g].unrooted += r->heaps[i].col[g].unrooted;
			total->col[g].committed += r->heaps[i].col[g].committed;
		}
	}
	r->gc_warnings = gc->warnings;
	r->ngc_warnings = gc->nwarnings;
	if (c.reach)
		clrsos_reach_warnings(c.reach, r->reach_warnings, &r->nreach_warnings);
	return NULL;
}

/* ---- Text: SOS's four tables ---- */

enum field { F_ALLOCATED, F_FREE, F_UNROOTED, F_COMMITTED };

static uint64_t field_of(const struct genstat *g, enum field f)
{
	switch (f) {
	case F_ALLOCATED: return g->allocated;
	case F_FREE: return g->free;
	case F_UNROOTED: return g->unrooted;
	default: return g->committed;
	}
}

/* EPH first when there is an ephemeral segment, as SOS. */
static void text_header(const struct gcheapstat_result *r, struct clrsos_writer *out)
{
	clrsos_outf(out, "%-8s", "Heap");
	if (r->has_eph)
		clrsos_outf(out, " %-10s", col_names[COL_EPH]);
	for (int g = 0; g < COL_EPH; g++)
		clrsos_outf(out, " %-10s", col_names[g]);
	clrsos_out(out, "\n");
}

static void text_percent(struct clrsos_writer *out, const char *what, uint64_t part, uint64_t whole)
{
	char cell[32];
	if (!whole) {
		clrsos_outf(out, " %-8s", "");
		return;
	}
	snprintf(cell, sizeof(cell), "%s:%" PRIu64 "%%", what, part * 100 / whole);
	clrsos_outf(out, " %-8s", cell);
}

static void text_row(const struct gcheapstat_result *r, uint32_t i, enum field f, bool percent,
		     struct clrsos_writer *out)
{
	const struct heapstat *h = &r->heaps[i];
	char name[16];
	if (i == r->nheaps)
		snprintf(name, sizeof(name), "Total");
	else
		snprintf(name, sizeof(name), "Heap%u", i);
	clrsos_outf(out, "%-8s", name);
	if (r->has_eph)
		clrsos_outf(out, " %-10" PRIu64, field_of(&h->col[COL_EPH], f));
	for (int g = 0; g < COL_EPH; g++)
		clrsos_outf(out, " %-10" PRIu64, field_of(&h->col[g], f));
	if (percent) {
		uint64_t soh = 0, soh_alloc = 0;
		for (int g = CLRSOS_GEN0; g <= CLRSOS_GEN2; g++) {
			soh += field_of(&h->col[g], f);
			soh_alloc += h->col[g].allocated;
		}
		text_percent(out, "SOH", soh, soh_alloc);
		text_percent(out, "LOH", field_of(&h->col[CLRSOS_GEN_LOH], f), h->col[CLRSOS_GEN_LOH].allocated);
		text_percent(out, "POH", field_of(&h->col[CLRSOS_GEN_POH], f), h->col[CLRSOS_GEN_POH].allocated);
	}
	clrsos_out(out, "\n");
}

static void text_table(const struct gcheapstat_result *r, const char *title, enum field f, bool percent,
		       struct clrsos_writer *out)
{
	if (title)
		clrsos_outf(out, "%s\n", title);
	text_header(r, out);
	for (uint32_t i = 0; i < r->nheaps; i++)
		text_row(r, i, f, percent, out);
	text_row(r, r->nheaps, f, false, out);
	clrsos_out(out, "\n");
}

static void render_text(const struct gcheapstat_result *r, struct clrsos_writer *out)
{
	text_table(r, NULL, F_ALLOCATED, false, out);
	text_table(r, "Free space:", F_FREE, true, out);
	if (r->unreachable)
		text_table(r, "Unrooted objects:", F_UNROOTED, true, out);
	text_table(r, "Committed space:", F_COMMITTED, false, out);
	if (r->walk.problem_count)
		clrsos_outf(out, "Warning: the heap walk met %" PRIu64 " place%s with no valid object and skipped %" PRIu64
			    " bytes (dumpheap lists them)\n",
			    r->walk.problem_count, r->walk.problem_count == 1 ? "" : "s", r->walk.skipped_bytes);
	for (size_t i = 0; i < r->ngc_warnings; i++)
		clrsos_outf(out, "Warning: %s\n", r->gc_warnings[i]);
	for (size_t i = 0; i < r->nreach_warnings; i++)
		clrsos_outf(out, "Warning: %s\n", r->reach_warnings[i]);
}

/* ---- JSON ---- */

static void json_heap(const struct gcheapstat_result *r, const struct heapstat *h, struct clrsos_json *j)
{
	clrsos_json_key(j, "generations");
	clrsos_json_object_begin(j);
	for (int g = 0; g < NCOLS; g++) {
		if (g == COL_EPH && !r->has_eph)
			continue;
		clrsos_json_key(j, col_keys[g]);
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "allocated");
		clrsos_json_uint(j, h->col[g].allocated);
		clrsos_json_key(j, "free");
		clrsos_json_uint(j, h->col[g].free);
		if (r->unreachable) {
			clrsos_json_key(j, "unrooted");
			clrsos_json_uint(j, h->col[g].unrooted);
		}
		clrsos_json_key(j, "committed");
		clrsos_json_uint(j, h->col[g].committed);
		clrsos_json_object_end(j);
	}
	clrsos_json_object_end(j);
}

static void render_json(const struct gcheapstat_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "unreachable");
	clrsos_json_bool(&j, r->unreachable);
	clrsos_json_key(&j, "heaps");
	clrsos_json_array_begin(&j);
	for (uint32_t i = 0; i < r->nheaps; i++) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "index");
		clrsos_json_uint(&j, i);
		json_heap(r, &r->heaps[i], &j);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "total");
	clrsos_json_object_begin(&j);
	json_heap(r, &r->heaps[r->nheaps], &j);
	clrsos_json_object_end(&j);
	clrsos_json_key(&j, "problemCount");
	clrsos_json_uint(&j, r->walk.problem_count);
	clrsos_json_key(&j, "skippedBytes");
	clrsos_json_uint(&j, r->walk.skipped_bytes);
	clrsos_json_key(&j, "warnings");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->ngc_warnings; i++)
		clrsos_json_string(&j, r->gc_warnings[i]);
	for (size_t i = 0; i < r->nreach_warnings; i++)
		clrsos_json_string(&j, r->reach_warnings[i]);
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_gcheapstat(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, unreachable = false;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
		CLRSOS_FLAG("-unreachable|-inclUnrooted|-iu", &unreachable, .flags = CLRSOS_OPTION_NOCASE),
	};
	const struct clrsos_options spec = {
		.command = "gcheapstat",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (clrsos_session_watch(session) && json)
		clrsos_session_watch(session)->quiet = true;
	struct gcheapstat_result r = {0};
	err = compute(session, unreachable, &r);
	if (!err) {
		if (json)
			render_json(&r, out);
		else
			render_text(&r, out);
	}
	free(r.heaps);
	return err;
}
