#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "model/heap.h"
#include "analysis/dupstrings.h"
#include "analysis/reach.h"
#include "model/clrstring.h"
#include "commands.h"
#include "typestats.h"
#include "base/hashmap.h"
#include "base/vector.h"
#include "analysis/histogram.h"
#include "model/threads.h"

/* SOS: free blocks at least this big, followed by an object, are fragmentation. */
enum { FRAGMENT_MIN = 512 * 1024, MAX_FRAGMENTS = 1 << 16 };

struct dumpheap_options {
	bool json, stat, shortform, bycount, live, dead, thinlock, noprogress, strings;
	bool ignore_gc_state; /* -ignoreGCState: walk even mid-GC */
	const char *type;      /* substring of the type name */
	const char *save;      /* --save: write the histogram to this file */
	const char *heap_text; /* -heap as typed, to quote */
	const char *min_text, *max_text; /* -min, -max as typed */
	bool have_mt;
	uint64_t mt;
	uint64_t min, max;     /* 0: no bound */
	struct clrsos_walk_filter filter;
	bool have_segment;
	uint64_t segment;
	bool have_range;
};

static struct clrsos_error *parse_generation(const struct clrsos_host *host, const struct clrsos_option *option,
					     const char *value)
{
	(void)host;
	return clrsos_parse_generation("dumpheap", value, option->value);
}

/* dumpheap [options] [start [end]]: the operands bound the walk. */
static struct clrsos_error *range_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	struct dumpheap_options *o = ctx;
	uint64_t v;
	struct clrsos_error *err = clrsos_parse_address(host, arg, &v);
	if (err)
		return clrsos_error_wrap(err, "dumpheap");
	if (index == 0)
		o->filter.start = v;
	else
		o->filter.end = v;
	o->have_range = true;
	return NULL;
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc,
				  const char *const *argv, struct dumpheap_options *o)
{
	memset(o, 0, sizeof(*o));
	clrsos_walk_filter_init(&o->filter);
	uint64_t heap = 0;
	bool have_heap = false;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-stat", &o->stat),
		CLRSOS_FLAG("-short", &o->shortform),
		CLRSOS_FLAG("-bycount", &o->bycount),
		CLRSOS_FLAG("-live", &o->live),
		CLRSOS_FLAG("-dead", &o->dead),
		CLRSOS_FLAG("-thinlock", &o->thinlock),
		CLRSOS_FLAG("-noprogress", &o->noprogress),
		CLRSOS_FLAG("-ignoreGCState", &o->ignore_gc_state, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-startAtLowerBound", &o->filter.start_at_lower_bound, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-strings", &o->strings),
		CLRSOS_STRING("-type", &o->type),
		CLRSOS_STRING("--save|-save", &o->save, .flags = CLRSOS_OPTION_NONEMPTY),
		CLRSOS_ADDRESS("-mt", &o->mt, .given = &o->have_mt),
		CLRSOS_UINT("-min", &o->min, .text = &o->min_text),
		CLRSOS_UINT("-max", &o->max, .text = &o->max_text),
		CLRSOS_CUSTOM("-gen", &o->filter.generations, parse_generation),
		CLRSOS_UINT("-heap", &heap, .given = &have_heap, .text = &o->heap_text, .max = INT32_MAX),
		CLRSOS_ADDRESS("-segment", &o->segment, .given = &o->have_segment),
	};
	const struct clrsos_options spec = {
		.command = "dumpheap",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 2,
		.operand = range_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (have_heap)
		o->filter.heap = (int64_t)heap;
	if (o->live && o->dead)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap: -live and -dead exclude each other");
	if (o->save && (o->shortform || o->strings || o->thinlock))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap --save writes the statistics by type: use it with -stat, not with %s",
					   o->shortform ? "-short" : o->strings ? "-strings" : "-thinlock");
	if (o->min && o->max && o->min > o->max)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap: -min %s is above -max %s", o->min_text, o->max_text);
	if (o->filter.start_at_lower_bound && !o->have_range)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap: -startAtLowerBound needs a range to start at: "
					   "dumpheap -startAtLowerBound <start> [<end>]");
	if (o->have_range && o->filter.end <= o->filter.start)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap: the range end 0x%" PRIx64 " must be above its start 0x%" PRIx64,
					   o->filter.end, o->filter.start);
	return NULL;
}

/* --save: the statistics as a histogram file (histogram.h). */
static struct clrsos_error *save_histogram(const struct dumpheap_options *o, const struct clrsos_typestats *stats,
					   const struct clrsos_typestat *rows)
{
	struct clrsos_histogram h = {
		.live = o->live,
		.dead = o->dead,
		.filtered = o->type || o->have_mt || o->min || o->max || o->filter.generations ||
			    o->filter.heap >= 0 || o->have_segment || o->have_range,
		.objects = stats->total_count,
		.bytes = stats->total_size,
	};
	struct clrsos_error *err = NULL;
	/* Largest first: the file reads like the table upside down. */
	for (size_t i = stats->count; rows && i-- > 0 && !err;) {
		if (!clrsos_histogram_add(&h, rows[i].name, rows[i].type->mt, rows[i].count,
					  rows[i].size, rows[i].gen_count, rows[i].gen_size))
			err = &clrsos_error_no_memory;
	}
	if (!err)
		err = clrsos_histogram_save(&h, o->save);
	clrsos_histogram_deinit(&h);
	return err ? clrsos_error_wrap(err, "dumpheap --save") : NULL;
}

/* ---- The result: what dumpheap found, handed to a renderer ---- */

struct fragment {
	uint64_t address, size, next;
	const struct clrsos_type *next_type;
	const char *next_type_name; /* named once the walk is over */
};

struct thinlock {
	uint64_t object;
	uint32_t thread_id, recursion;
	uint64_t thread;   /* the runtime's Thread, once resolved */
	uint32_t os_id;
};

/* One object of the listing (streamed while the heap is walked). */
struct object_row {
	uint64_t address, mt, size;
	bool is_free;
	const char *type;       /* only for renderers that ask for names */
	const char *generation;
};

/* One text of -strings with copies (streamed, largest waste first). */
struct string_row {
	uint64_t count, size, first;
	uint32_t length;
	uint32_t shown;         /* chars of its preview */
	const uint8_t *units;   /* the preview's UTF-16 units; NULL: unreadable */
};

struct dumpheap_result {
	const struct dumpheap_options *o;
	struct clrsos_typestats stats;
	struct clrsos_typestat *rows; /* sorted, named; stats.count of them */
	uint64_t total_count, total_size;
	struct fragment *fragments;
	size_t nfragments, fragments_cap;
	struct thinlock *locks;
	size_t nlocks, locks_cap;
	/* -strings: totals over every distinct text */
	uint64_t strings_wasted;
	size_t strings_distinct, strings_unique;
	bool stopped; /* interrupted while listing: no totals */
	const char *saved_to;
	struct clrsos_walk_result walk;
	/* The answer may lack something: the GC layout's warnings, then reachability's. */
	char *const *gc_warnings;
	size_t ngc_warnings;
	char reach_warnings[2][256];
	size_t nreach_warnings;
	bool have_reach;
	uint64_t stack_slots_not_objects;
};

struct render {
	struct clrsos_writer *out;
	struct clrsos_json json;
};

/* Text (SOS's layout) or JSON. */
struct renderer {
	bool wants_names; /* object rows carry their type's name */
	void (*begin)(struct render *r, const struct dumpheap_options *o);
	void (*object)(struct render *r, const struct object_row *row);
	void (*address)(struct render *r, uint64_t address);
	void (*strings_begin)(struct render *r);
	void (*string)(struct render *r, const struct string_row *row);
	void (*strings_end)(struct render *r, const struct dumpheap_result *res);
	void (*end)(struct render *r, const struct dumpheap_result *res);
};

/* ---- Text ---- */

static void text_begin(struct render *r, const struct dumpheap_options *o)
{
	if (!o->stat && !o->shortform && !o->thinlock && !o->strings)
		clrsos_outf(r->out, "%16s %16s %14s\n", "Address", "MT", "Size");
}

static void text_object(struct render *r, const struct object_row *row)
{
	char size[32];
	clrsos_format_thousands(row->size, size, sizeof(size));
	clrsos_outf(r->out, "    %012" PRIx64 "     %012" PRIx64 " %14s%s\n", row->address, row->mt, size,
		    row->is_free ? " Free" : "");
}

static void text_address(struct render *r, uint64_t address)
{
	clrsos_outf(r->out, "%012" PRIx64 "\n", address);
}

static void text_strings_begin(struct render *r)
{
	clrsos_out(r->out, "Statistics:\n");
	clrsos_outf(r->out, "%10s %14s %14s %10s %s\n", "Count", "TotalSize", "Wasted", "Length", "String");
}

static void text_string(struct render *r, const struct string_row *e)
{
	char count[32], total[32], waste[32];
	clrsos_format_thousands(e->count, count, sizeof(count));
	clrsos_format_thousands(e->count * e->size, total, sizeof(total));
	clrsos_format_thousands((e->count - 1) * e->size, waste, sizeof(waste));
	clrsos_outf(r->out, "%10s %14s %14s %10u ", count, total, waste, e->length);
	if (e->units) {
		struct clrsos_utf16_decoder d;
		clrsos_utf16_decoder_init(&d, CLRSOS_TEXT_CELL);
		clrsos_utf16_decode(&d, e->units, e->shown, true, r->out);
	}
	clrsos_out(r->out, e->shown < e->length ? "...\n" : "\n");
}

static void text_warnings(struct render *r, const struct dumpheap_result *res)
{
	for (size_t i = 0; i < res->ngc_warnings; i++)
		clrsos_outf(r->out, "Warning: %s\n", res->gc_warnings[i]);
	for (size_t i = 0; i < res->nreach_warnings; i++)
		clrsos_outf(r->out, "Warning: %s\n", res->reach_warnings[i]);
}

static void text_problems(struct render *rd, const struct clrsos_walk_result *r)
{
	struct clrsos_writer *w = rd->out;
	if (!r->problem_count)
		return;
	char skipped[32];
	clrsos_format_thousands(r->skipped_bytes, skipped, sizeof(skipped));
	clrsos_outf(w, "\nWarning: the heap walk met %" PRIu64 " place%s with no valid object and skipped %s bytes:\n",
		    r->problem_count, r->problem_count == 1 ? "" : "s", skipped);
	for (size_t i = 0; i < r->nproblems; i++) {
		clrsos_format_thousands(r->problems[i].skipped, skipped, sizeof(skipped));
		clrsos_outf(w, "    %012" PRIx64 ": %s; skipped %s bytes\n", r->problems[i].address,
			    clrsos_heap_problem_text(&r->problems[i]), skipped);
	}
	if (r->problem_count > r->nproblems)
		clrsos_outf(w, "    ... and %" PRIu64 " more\n", r->problem_count - r->nproblems);
}

static void text_strings_end(struct render *r, const struct dumpheap_result *res)
{
	if (res->stopped)
		return; /* interrupted: no totals under a partial list (run.c says why) */
	char count[32], total[32], waste[32], distinct[32], lone[32];
	clrsos_format_thousands(res->total_count, count, sizeof(count));
	clrsos_format_thousands(res->strings_distinct, distinct, sizeof(distinct));
	clrsos_format_thousands(res->total_size, total, sizeof(total));
	clrsos_format_thousands(res->strings_wasted, waste, sizeof(waste));
	clrsos_format_thousands(res->strings_unique, lone, sizeof(lone));
	clrsos_outf(r->out, "Total %s strings (%s distinct; %s without copies, not listed), %s bytes, %s bytes in duplicates\n",
		    count, distinct, lone, total, waste);
	text_warnings(r, res);
	text_problems(r, &res->walk);
}

static void text_fragments(struct render *r, const struct dumpheap_result *res)
{
	if (!res->nfragments)
		return;
	struct clrsos_writer *w = r->out;
	clrsos_out(w, "\nFragmented blocks larger than 0.5 MB:\n");
	clrsos_outf(w, "%16s %14s %16s\n", "Address", "Size", "Followed By");
	for (size_t i = 0; i < res->nfragments; i++) {
		const struct fragment *f = &res->fragments[i];
		char size[32];
		clrsos_format_thousands(f->size, size, sizeof(size));
		struct clrsos_name_buf nb;
		clrsos_outf(w, "    %012" PRIx64 " %14s     %012" PRIx64 " %s\n", f->address, size,
			    f->next, clrsos_safe_name(f->next_type_name, &nb));
	}
}

static void text_thinlocks(struct render *r, const struct dumpheap_result *res)
{
	struct clrsos_writer *w = r->out;
	if (!res->nlocks) {
		clrsos_out(w, "No objects hold a thin lock.\n");
		return;
	}
	clrsos_outf(w, "%16s %16s %10s %10s %10s\n", "Object", "Thread", "OSId", "ThreadId", "Recursion");
	for (size_t i = 0; i < res->nlocks; i++) {
		const struct thinlock *l = &res->locks[i];
		char os[16];
		snprintf(os, sizeof(os), "0x%x", l->os_id);
		clrsos_outf(w, "    %012" PRIx64 "     %012" PRIx64 " %10s %10u %10u\n", l->object, l->thread, os,
			    l->thread_id, l->recursion);
	}
	clrsos_outf(w, "Found %zu objects holding a thin lock.\n", res->nlocks);
}

static void text_end(struct render *r, const struct dumpheap_result *res)
{
	const struct dumpheap_options *o = res->o;
	if (o->thinlock) {
		text_thinlocks(r, res);
	} else if (!o->shortform) {
		if (!o->stat && res->stats.count)
			clrsos_out(r->out, "\n");
		clrsos_typestats_write_text(&res->stats, res->rows, NULL, r->out);
	}
	if (!o->shortform && !o->thinlock)
		text_fragments(r, res);
	text_problems(r, &res->walk);
	text_warnings(r, res);
	if (res->saved_to)
		clrsos_outf(r->out, "Saved the statistics of %zu types to %s (compare later with: heapdiff %s)\n",
			    res->stats.count, res->saved_to, res->saved_to);
}

static const struct renderer text_renderer = {
	.begin = text_begin,
	.object = text_object,
	.address = text_address,
	.strings_begin = text_strings_begin,
	.string = text_string,
	.strings_end = text_strings_end,
	.end = text_end,
};

/* ---- JSON ---- */

static void json_begin(struct render *r, const struct dumpheap_options *o)
{
	clrsos_json_init(&r->json, r->out);
	clrsos_json_object_begin(&r->json);
	if (!o->stat && !o->thinlock && !o->strings) {
		clrsos_json_key(&r->json, o->shortform ? "addresses" : "objects");
		clrsos_json_array_begin(&r->json);
	}
}

static void json_object(struct render *r, const struct object_row *row)
{
	struct clrsos_json *j = &r->json;
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "address");
	clrsos_json_address(j, row->address);
	clrsos_json_key(j, "mt");
	clrsos_json_address(j, row->mt);
	clrsos_json_key(j, "size");
	clrsos_json_uint(j, row->size);
	clrsos_json_key(j, "type");
	clrsos_json_string(j, row->type);
	clrsos_json_key(j, "generation");
	clrsos_json_string(j, row->generation);
	clrsos_json_object_end(j);
}

static void json_address(struct render *r, uint64_t address)
{
	clrsos_json_address(&r->json, address);
}

static void json_strings_begin(struct render *r)
{
	clrsos_json_key(&r->json, "strings");
	clrsos_json_array_begin(&r->json);
}

static void json_string(struct render *r, const struct string_row *e)
{
	struct clrsos_json *j = &r->json;
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "count");
	clrsos_json_uint(j, e->count);
	clrsos_json_key(j, "totalSize");
	clrsos_json_uint(j, e->count * e->size);
	clrsos_json_key(j, "wasted");
	clrsos_json_uint(j, (e->count - 1) * e->size);
	clrsos_json_key(j, "length");
	clrsos_json_uint(j, e->length);
	clrsos_json_key(j, "example");
	clrsos_json_address(j, e->first);
	clrsos_json_key(j, "text");
	struct clrsos_json_stream text;
	clrsos_json_string_begin(j, &text);
	if (e->units) {
		struct clrsos_utf16_decoder d;
		clrsos_utf16_decoder_init(&d, CLRSOS_TEXT_JSON);
		clrsos_utf16_decode(&d, e->units, e->shown, true, text.raw);
	}
	clrsos_json_string_end(&text);
	clrsos_json_object_end(j);
}

static void json_warnings(struct render *r, const struct dumpheap_result *res)
{
	struct clrsos_json *j = &r->json;
	clrsos_json_key(j, "warnings");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < res->ngc_warnings; i++)
		clrsos_json_string(j, res->gc_warnings[i]);
	for (size_t i = 0; i < res->nreach_warnings; i++)
		clrsos_json_string(j, res->reach_warnings[i]);
	clrsos_json_array_end(j);
	if (res->have_reach) {
		/* Normal, not warned of: see clrsos_reach_stats. */
		clrsos_json_key(j, "stackSlotsNotObjects");
		clrsos_json_uint(j, res->stack_slots_not_objects);
	}
}

static void json_strings_end(struct render *r, const struct dumpheap_result *res)
{
	if (res->stopped)
		return; /* interrupted: the document is dropped (run.c says why) */
	struct clrsos_json *j = &r->json;
	clrsos_json_array_end(j);
	clrsos_json_key(j, "totalWasted");
	clrsos_json_uint(j, res->strings_wasted);
	clrsos_json_key(j, "distinct");
	clrsos_json_uint(j, res->strings_distinct);
	clrsos_json_key(j, "withoutCopies");
	clrsos_json_uint(j, res->strings_unique);
	json_warnings(r, res);
	clrsos_json_key(j, "totalStrings");
	clrsos_json_uint(j, res->total_count);
	clrsos_json_key(j, "totalSize");
	clrsos_json_uint(j, res->total_size);
	clrsos_json_object_end(j);
	clrsos_json_end(j);
}

static void json_thinlocks(struct render *r, const struct dumpheap_result *res)
{
	struct clrsos_json *j = &r->json;
	clrsos_json_key(j, "thinLocks");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < res->nlocks; i++) {
		const struct thinlock *l = &res->locks[i];
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "object");
		clrsos_json_address(j, l->object);
		clrsos_json_key(j, "threadId");
		clrsos_json_uint(j, l->thread_id);
		clrsos_json_key(j, "thread");
		clrsos_json_address(j, l->thread);
		clrsos_json_key(j, "osId");
		clrsos_json_uint(j, l->os_id);
		clrsos_json_key(j, "recursion");
		clrsos_json_uint(j, l->recursion);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

static void json_end(struct render *r, const struct dumpheap_result *res)
{
	const struct dumpheap_options *o = res->o;
	struct clrsos_json *j = &r->json;
	if (!o->stat && !o->thinlock)
		clrsos_json_array_end(j);
	if (res->saved_to) {
		clrsos_json_key(j, "savedTo");
		clrsos_json_string(j, res->saved_to);
	}
	if (o->thinlock)
		json_thinlocks(r, res);
	if (!o->shortform && !o->thinlock) {
		clrsos_typestats_write_json(&res->stats, res->rows, NULL, j);
		clrsos_json_key(j, "fragmentation");
		clrsos_json_array_begin(j);
		for (size_t i = 0; i < res->nfragments; i++) {
			const struct fragment *f = &res->fragments[i];
			clrsos_json_object_begin(j);
			clrsos_json_key(j, "address");
			clrsos_json_address(j, f->address);
			clrsos_json_key(j, "size");
			clrsos_json_uint(j, f->size);
			clrsos_json_key(j, "followedBy");
			clrsos_json_address(j, f->next);
			clrsos_json_key(j, "followedByType");
			clrsos_json_string(j, f->next_type_name);
			clrsos_json_object_end(j);
		}
		clrsos_json_array_end(j);
	}
	clrsos_json_key(j, "totalObjects");
	clrsos_json_uint(j, res->total_count);
	clrsos_json_key(j, "totalSize");
	clrsos_json_uint(j, res->total_size);
	clrsos_json_key(j, "problems");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < res->walk.nproblems; i++) {
		const struct clrsos_heap_problem *p = &res->walk.problems[i];
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "address");
		clrsos_json_address(j, p->address);
		clrsos_json_key(j, "skipped");
		clrsos_json_uint(j, p->skipped);
		clrsos_json_key(j, "what");
		clrsos_json_string(j, clrsos_heap_problem_text(p));
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	clrsos_json_key(j, "problemCount");
	clrsos_json_uint(j, res->walk.problem_count);
	clrsos_json_key(j, "skippedBytes");
	clrsos_json_uint(j, res->walk.skipped_bytes);
	json_warnings(r, res);
	clrsos_json_object_end(j);
	clrsos_json_end(j);
}

static const struct renderer json_renderer = {
	.wants_names = true,
	.begin = json_begin,
	.object = json_object,
	.address = json_address,
	.strings_begin = json_strings_begin,
	.string = json_string,
	.strings_end = json_strings_end,
	.end = json_end,
};

/* ---- Compute ---- */

struct walk_ctx {
	struct dumpheap_options *o;
	struct dumpheap_result *res;
	struct clrsos_types *types;
	const struct clrsos_reach *reach;
	const struct renderer *renderer;
	struct render *render;
	/* fragmentation: the last free object, if big and not in LOH/POH/NonGC */
	uint64_t last_free, last_free_size;
	struct clrsos_dupstrings *strings;
	struct clrsos_heap *heap;
	bool oom;
	/* The type filter's verdict by type index: 0 not yet asked, 1 match, 2 not. */
	uint8_t *verdict;
	size_t nverdict;
};

/* Thin lock bits of the header word (syncblk.h). */
enum {
	SBLK_IS_HASH_OR_SYNCBLKINDEX = 0x08000000,
	SBLK_SPIN_LOCK = 0x10000000,
	SBLK_LOCK_THREADID = 0x0000ffff,
	SBLK_LOCK_RECLEVEL = 0x003f0000,
};

static bool type_matches(struct walk_ctx *c, const struct clrsos_type *type)
{
	if (!c->o->have_mt && !c->o->type)
		return true;
	if (type->index < c->nverdict && c->verdict[type->index])
		return c->verdict[type->index] == 1;
	bool match = true;
	if (c->o->have_mt && type->mt != c->o->mt)
		match = false;
	if (match && c->o->type)
		match = strstr(clrsos_types_name(c->types, type), c->o->type) != NULL;
	if (type->index >= c->nverdict) {
		size_t n = c->nverdict;
		if (clrsos_array_reserve(&c->verdict, &c->nverdict, (size_t)type->index + 1))
			return match; /* asked again next time */
		memset(c->verdict + n, 0, c->nverdict - n);
	}
	c->verdict[type->index] = match ? 1 : 2;
	return match;
}

static void note_fragment(struct walk_ctx *c, const struct clrsos_heap_object *obj)
{
	struct dumpheap_result *res = c->res;
	bool fragmentable = obj->segment->kind <= CLRSOS_SEGMENT_EPHEMERAL;
	if (c->last_free && fragmentable && !obj->type->is_free &&
	    c->last_free + c->last_free_size == obj->address && res->nfragments < MAX_FRAGMENTS) {
		if (clrsos_array_reserve(&res->fragments, &res->fragments_cap, res->nfragments + 1)) {
			c->oom = true;
			return;
		}
		res->fragments[res->nfragments++] = (struct fragment){
			c->last_free, c->last_free_size, obj->address, obj->type, NULL};
	}
	if (obj->type->is_free && obj->size >= FRAGMENT_MIN && fragmentable) {
		c->last_free = obj->address;
		c->last_free_size = obj->size;
	} else {
		c->last_free = 0;
	}
}

static bool on_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct walk_ctx *c = ctx;
	struct dumpheap_options *o = c->o;
	struct dumpheap_result *res = c->res;
	if (!type_matches(c, obj->type))
		return true;
	if ((o->min && obj->size < o->min) || (o->max && obj->size > o->max))
		return true;
	if (o->live || o->dead) {
		/* Free space is neither: it is no object anyone holds or dropped. */
		if (obj->type->is_free)
			return true;
		if (clrsos_reach_is_live(c->reach, obj->address) != o->live)
			return true;
	}
	if (o->thinlock) {
		uint32_t h = obj->header;
		if (!obj->has_header || (h & (SBLK_IS_HASH_OR_SYNCBLKINDEX | SBLK_SPIN_LOCK)) ||
		    !(h & SBLK_LOCK_THREADID))
			return true;
		if (clrsos_array_reserve(&res->locks, &res->locks_cap, res->nlocks + 1)) {
			c->oom = true;
			return false;
		}
		res->locks[res->nlocks++] = (struct thinlock){
			obj->address, h & SBLK_LOCK_THREADID, (h & SBLK_LOCK_RECLEVEL) >> 16, 0, 0};
		return true;
	}
	if (o->strings) {
		bool counted;
		struct clrsos_error *err = clrsos_dupstrings_add(c->strings, clrsos_heap_target(c->heap), obj, &counted);
		if (err) {
			clrsos_error_destroy(err); /* out of memory only */
			c->oom = true;
			return false;
		}
		if (counted) {
			res->total_count++;
			res->total_size += obj->size;
		}
		return true;
	}
	/* As SOS: fragmentation among the objects listed (free space included). */
	if (!o->shortform)
		note_fragment(c, obj);
	res->total_count++;
	res->total_size += obj->size;
	if (o->shortform) {
		c->renderer->address(c->render, obj->address);
		return true;
	}
	if (!clrsos_typestats_add_gen(&res->stats, obj->type, obj->size, obj->generation)) {
		c->oom = true;
		return false;
	}
	if (o->stat)
		return true;
	struct object_row row = {
		.address = obj->address,
		.mt = obj->type->mt,
		.size = obj->size,
		.is_free = obj->type->is_free,
		.type = c->renderer->wants_names ? clrsos_types_name(c->types, obj->type) : NULL,
		.generation = clrsos_generation_name(obj->generation),
	};
	c->renderer->object(c->render, &row);
	return true;
}

enum { STRING_PREVIEW = 128 };

/* -strings: the texts with copies, largest waste first, each streamed to the renderer. */
static struct clrsos_error *list_strings(struct walk_ctx *c, struct clrsos_watch *watch)
{
	struct dumpheap_result *res = c->res;
	struct clrsos_dupstring *rows;
	size_t n;
	struct clrsos_error *serr = clrsos_dupstrings_sorted(c->strings, watch, &rows, &n, &res->strings_wasted,
							     &res->strings_unique);
	if (serr)
		return serr;
	res->strings_distinct = n + res->strings_unique;
	struct clrsos_target *target = clrsos_heap_target(c->heap);
	c->renderer->strings_begin(c->render);
	uint8_t units[2 * STRING_PREVIEW];
	for (size_t i = 0; i < n; i++) {
		/* Ctrl-C: the rows so far stay; the command says it was interrupted (run.c). */
		struct clrsos_error *stop = clrsos_watch_tick(clrsos_heap_watch(c->heap));
		if (stop) {
			clrsos_error_destroy(stop);
			break;
		}
		const struct clrsos_dupstring *e = &rows[i];
		uint32_t length = e->length;
		struct string_row row = {
			.count = e->count,
			.size = e->size,
			.first = e->first,
			.length = length,
			.shown = length < STRING_PREVIEW ? length : STRING_PREVIEW,
			.units = units,
		};
		struct clrsos_error *err = row.shown ? clrsos_target_read(target, e->first + CLRSOS_STRING_CHARS_OFFSET,
									  units, 2ull * row.shown)
						     : NULL;
		if (err) {
			if (clrsos_error_is_no_memory(err)) {
				free(rows);
				return err;
			}
			clrsos_error_destroy(err);
			row.units = NULL;
		}
		c->renderer->string(c->render, &row);
	}
	free(rows);
	res->stopped = clrsos_watch_stopped(watch);
	c->renderer->strings_end(c->render, res);
	return NULL;
}

/*
 * A header word only looks like a thin lock: keep the candidates whose id
 * names a live managed thread (as SOS does), with that thread's OS id.
 */
static struct clrsos_error *resolve_thinlocks(struct dumpheap_result *res, struct clrsos_session *session)
{
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	size_t kept = 0;
	for (size_t i = 0; i < res->nlocks; i++) {
		struct thinlock *l = &res->locks[i];
		struct clrsos_managed_thread t;
		bool found;
		err = clrsos_managed_thread_from_thinlock(dac, l->thread_id, &t, &found);
		if (err) {
			if (clrsos_error_is_no_memory(err))
				return err;
			clrsos_error_destroy(err);
			continue;
		}
		if (!found)
			continue;
		l->thread = t.address;
		l->os_id = t.os_id;
		res->locks[kept++] = *l;
	}
	res->nlocks = kept;
	return NULL;
}

static void result_deinit(struct dumpheap_result *res)
{
	free(res->rows);
	clrsos_typestats_deinit(&res->stats);
	free(res->fragments);
	free(res->locks);
}

static struct clrsos_error *run_dumpheap(struct clrsos_session *session, struct dumpheap_options o, struct clrsos_heap *heap,
					 struct clrsos_writer *out);

struct clrsos_error *clrsos_cmd_dumpheap(struct clrsos_session *session,
					 const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	struct dumpheap_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct clrsos_heap *heap;
	err = clrsos_session_heap(session, &heap);
	if (err)
		return err;
	/* -ignoreGCState holds for this command only. Mid-GC without it: refused before any output. */
	clrsos_heap_set_ignore_gc_state(heap, o.ignore_gc_state);
	err = clrsos_heap_check_walkable(heap);
	if (!err)
		err = run_dumpheap(session, o, heap, out);
	clrsos_heap_set_ignore_gc_state(heap, false);
	return err;
}

/* The options' -heap, -segment, range and -mt checked against this heap. */
static struct clrsos_error *check_options(struct dumpheap_options *o, struct clrsos_heap *heap)
{
	const struct clrsos_gc *gc = clrsos_heap_gc(heap);
	if (o->filter.heap >= 0 && (uint64_t)o->filter.heap >= gc->nheaps)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap -heap %s: there %s %u GC heap%s (0 to %u)",
					   o->heap_text, gc->nheaps == 1 ? "is" : "are", gc->nheaps,
					   gc->nheaps == 1 ? "" : "s", gc->nheaps - 1);
	if (o->have_segment) {
		for (size_t i = 0; i < gc->nsegments && !o->filter.segment; i++) {
			const struct clrsos_segment *s = &gc->segments[i];
			if (s->address == o->segment ||
			    (o->segment >= s->committed_start && o->segment < s->reserved_end))
				o->filter.segment = s;
		}
		if (!o->filter.segment)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "dumpheap -segment 0x%" PRIx64 ": no GC segment or region has this address; run eeheap -gc to list them",
						   o->segment);
	}
	if (o->have_range) {
		bool any = false;
		for (size_t i = 0; i < gc->nsegments && !any; i++)
			any = gc->segments[i].start < o->filter.end && gc->segments[i].end > o->filter.start;
		if (!any)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "dumpheap: no GC heap memory in [0x%" PRIx64 ", 0x%" PRIx64 "); run eeheap -gc to see where the heap is",
						   o->filter.start, o->filter.end);
	}
	if (o->have_mt && !clrsos_types_get(clrsos_heap_types(heap), o->mt))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap -mt 0x%" PRIx64 ": not a MethodTable (take one from dumpheap -stat)",
					   o->mt);
	return NULL;
}

static struct clrsos_error *run_dumpheap(struct clrsos_session *session, struct dumpheap_options o, struct clrsos_heap *heap,
					 struct clrsos_writer *out)
{
	/* No progress lines asked for (nor with --json, for scripts): marking's neither. */
	if (clrsos_session_watch(session) && (o.noprogress || o.json))
		clrsos_session_watch(session)->quiet = true;
	struct clrsos_error *err = check_options(&o, heap);
	if (err)
		return err;
	const struct clrsos_gc *gc = clrsos_heap_gc(heap);
	struct clrsos_types *types = clrsos_heap_types(heap);
	const struct clrsos_reach *reach = NULL;
	if (o.live || o.dead) {
		err = clrsos_session_reach(session, &reach);
		if (err)
			return err;
	}

	struct dumpheap_result res = {.o = &o};
	struct render render = {.out = out};
	struct walk_ctx c = {.o = &o, .res = &res, .types = types, .reach = reach, .heap = heap,
			     .renderer = o.json ? &json_renderer : &text_renderer, .render = &render};
	if (o.strings && (err = clrsos_dupstrings_create(&c.strings)))
		return err;
	c.renderer->begin(&render, &o);
	/* Progress (after a second: see watch.h) goes to the debugger's error stream. */
	struct clrsos_watch *watch = clrsos_session_watch(session);
	err = clrsos_heap_walk(heap, &o.filter, on_object, &c, clrsos_watch_heap_progress, watch, &res.walk);
	free(c.verdict);
	if (!err && c.oom)
		err = &clrsos_error_no_memory;
	if (!err && o.thinlock)
		err = resolve_thinlocks(&res, session);
	if (!err) {
		res.gc_warnings = gc->warnings;
		res.ngc_warnings = gc->nwarnings;
		if (reach) {
			clrsos_reach_warnings(reach, res.reach_warnings, &res.nreach_warnings);
			res.have_reach = true;
			res.stack_slots_not_objects = clrsos_reach_stats(reach)->stack_slots_not_objects;
		}
	}
	if (!err && o.strings) {
		err = list_strings(&c, watch);
		clrsos_dupstrings_destroy(c.strings);
		result_deinit(&res);
		return err;
	}
	clrsos_dupstrings_destroy(c.strings);
	if (!err) {
		res.rows = clrsos_typestats_sorted(&res.stats, o.bycount);
		if (!res.rows)
			err = &clrsos_error_no_memory;
	}
	if (!err) {
		clrsos_typestats_name_rows(res.rows, res.stats.count, types);
		for (size_t i = 0; i < res.nfragments; i++)
			res.fragments[i].next_type_name = clrsos_types_name(types, res.fragments[i].next_type);
	}
	if (err) {
		result_deinit(&res);
		return err;
	}
	/* Saved before the output, said after it; a failure still shows the table. */
	if (o.save && !(err = clrsos_session_check_saving(session, "dumpheap --save")) &&
	    !(err = save_histogram(&o, &res.stats, res.rows)))
		res.saved_to = o.save;
	c.renderer->end(&render, &res);
	result_deinit(&res);
	return err;
}
