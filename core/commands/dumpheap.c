#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "model/heap.h"
#include "analysis/reach.h"
#include "model/clrstring.h"
#include "commands.h"
#include "typestats.h"
#include "analysis/histogram.h"

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
	if (o->have_range && o->filter.end <= o->filter.start)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap: the range end 0x%" PRIx64 " must be above its start 0x%" PRIx64,
					   o->filter.end, o->filter.start);
	return NULL;
}

/* --save: the statistics as a histogram file (histogram.h). */
static struct clrsos_error *save_histogram(const struct dumpheap_options *o, const struct clrsos_typestats *stats,
					   const struct clrsos_typestat *rows, struct clrsos_types *types)
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
		if (!clrsos_histogram_add(&h, clrsos_types_name(types, rows[i].type), rows[i].type->mt, rows[i].count,
					  rows[i].size, rows[i].gen_count, rows[i].gen_size))
			err = &clrsos_error_no_memory;
	}
	if (!err)
		err = clrsos_histogram_save(&h, o->save);
	clrsos_histogram_deinit(&h);
	return err ? clrsos_error_wrap(err, "dumpheap --save") : NULL;
}

/* -strings: one entry per distinct text (a 128-bit hash of all its chars). */
struct string_entry {
	uint64_t hash[2]; /* hash[0] == 0 && count == 0: empty */
	uint64_t count, size, first;
	uint32_t length;
};

struct string_stats {
	struct string_entry *slots;
	size_t cap, count;
	uint8_t *scratch;
	size_t scratch_cap;
};

static bool string_stats_add(struct string_stats *s, const uint64_t hash[2], uint32_t length,
			     uint64_t size, uint64_t address)
{
	if ((s->count + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		struct string_entry *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return false;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slots[i].count)
				continue;
			size_t h = (size_t)s->slots[i].hash[0] & (cap - 1);
			while (slots[h].count)
				h = (h + 1) & (cap - 1);
			slots[h] = s->slots[i];
		}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	size_t h = (size_t)hash[0] & (s->cap - 1);
	while (s->slots[h].count && (s->slots[h].hash[0] != hash[0] || s->slots[h].hash[1] != hash[1] ||
				     s->slots[h].length != length))
		h = (h + 1) & (s->cap - 1);
	struct string_entry *e = &s->slots[h];
	if (!e->count) {
		e->hash[0] = hash[0];
		e->hash[1] = hash[1];
		e->length = length;
		e->size = size;
		e->first = address;
		s->count++;
	}
	e->count++;
	return true;
}

struct fragment {
	uint64_t address, size, next;
	const struct clrsos_type *next_type;
};

struct thinlock {
	uint64_t object;
	uint32_t thread_id, recursion;
	uint64_t thread;   /* the runtime's Thread, once resolved */
	uint32_t os_id;
};

struct walk_ctx {
	struct dumpheap_options *o;
	struct clrsos_types *types;
	const struct clrsos_reach *reach;
	struct clrsos_writer *out;
	struct clrsos_json *json;
	struct clrsos_typestats stats;
	uint64_t total_count, total_size;
	/* fragmentation: the last free object, if big and not in LOH/POH/NonGC */
	uint64_t last_free, last_free_size;
	struct fragment *fragments;
	size_t nfragments;
	struct thinlock *locks;
	size_t nlocks, locks_cap;
	struct string_stats strings;
	struct clrsos_heap *heap;
	bool oom;
	/* the type filter's verdict per type, kept on the types under this serial */
	uint32_t filter_serial;
};

/*
 * What the answer may lack: the GC layout's warnings (a segment list that
 * loops, memory a core lacks) and, with -live/-dead, what reachability
 * could not see. "Warning:" lines, or a "warnings" array in JSON.
 */
static void write_warnings(struct walk_ctx *c, const struct clrsos_gc *gc)
{
	char reach[2][256];
	size_t nreach = 0;
	if (c->reach)
		clrsos_reach_warnings(c->reach, reach, &nreach);
	if (c->json) {
		clrsos_json_key(c->json, "warnings");
		clrsos_json_array_begin(c->json);
	}
	for (size_t i = 0; i < gc->nwarnings + nreach; i++) {
		const char *w = i < gc->nwarnings ? gc->warnings[i] : reach[i - gc->nwarnings];
		if (c->json)
			clrsos_json_string(c->json, w);
		else
			clrsos_outf(c->out, "Warning: %s\n", w);
	}
	if (c->json)
		clrsos_json_array_end(c->json);
	if (c->json && c->reach) {
		/* Normal, not warned of: see clrsos_reach_stats. */
		clrsos_json_key(c->json, "stackSlotsNotObjects");
		clrsos_json_uint(c->json, clrsos_reach_stats(c->reach)->stack_slots_not_objects);
	}
}


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
	if (type->filter_serial == c->filter_serial)
		return type->filter_match;
	bool match = true;
	if (c->o->have_mt && type->mt != c->o->mt)
		match = false;
	if (match && c->o->type)
		match = strstr(clrsos_types_name(c->types, type), c->o->type) != NULL;
	struct clrsos_type *t = (struct clrsos_type *)type; /* its verdict cache */
	t->filter_serial = c->filter_serial;
	t->filter_match = match;
	return match;
}

static void note_fragment(struct walk_ctx *c, const struct clrsos_heap_object *obj)
{
	bool fragmentable = obj->segment->kind <= CLRSOS_SEGMENT_EPHEMERAL;
	if (c->last_free && fragmentable && !obj->type->is_free &&
	    c->last_free + c->last_free_size == obj->address && c->nfragments < MAX_FRAGMENTS) {
		if (c->nfragments % 64 == 0) {
			struct fragment *f = realloc(c->fragments, (c->nfragments + 64) * sizeof(*f));
			if (!f) {
				c->oom = true;
				return;
			}
			c->fragments = f;
		}
		c->fragments[c->nfragments++] = (struct fragment){
			c->last_free, c->last_free_size, obj->address, obj->type};
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
		if (c->nlocks == c->locks_cap) {
			size_t cap = c->locks_cap ? c->locks_cap * 2 : 64;
			struct thinlock *l = realloc(c->locks, cap * sizeof(*l));
			if (!l) {
				c->oom = true;
				return false;
			}
			c->locks = l;
			c->locks_cap = cap;
		}
		c->locks[c->nlocks++] = (struct thinlock){
			obj->address, h & SBLK_LOCK_THREADID, (h & SBLK_LOCK_RECLEVEL) >> 16, 0, 0};
		return true;
	}
	if (o->strings) {
		if (!obj->type->is_string || obj->bytes_len < CLRSOS_STRING_CHARS_OFFSET)
			return true;
		uint32_t length;
		memcpy(&length, obj->bytes + CLRSOS_STRING_LENGTH_OFFSET, sizeof(length));
		uint64_t bytes = (uint64_t)length * 2;
		if (bytes + CLRSOS_STRING_CHARS_OFFSET > obj->size)
			return true; /* corrupt length: not counted */
		const uint8_t *units = obj->bytes + CLRSOS_STRING_CHARS_OFFSET;
		if (obj->bytes_len < CLRSOS_STRING_CHARS_OFFSET + bytes) {
			struct string_stats *s = &c->strings;
			if (bytes > s->scratch_cap) {
				uint8_t *g = realloc(s->scratch, (size_t)bytes);
				if (!g) {
					c->oom = true;
					return false;
				}
				s->scratch = g;
				s->scratch_cap = (size_t)bytes;
			}
			struct clrsos_error *err = clrsos_target_read(
				clrsos_heap_target(c->heap), obj->address + CLRSOS_STRING_CHARS_OFFSET,
				s->scratch, (size_t)bytes);
			if (err) {
				clrsos_error_destroy(err);
				return true;
			}
			units = s->scratch;
		}
		uint64_t hash[2];
		clrsos_string_hash(units, length, hash);
		c->total_count++;
		c->total_size += obj->size;
		if (!string_stats_add(&c->strings, hash, length, obj->size, obj->address)) {
			c->oom = true;
			return false;
		}
		return true;
	}
	/* As SOS: fragmentation among the objects listed (free space included). */
	if (!o->shortform)
		note_fragment(c, obj);
	c->total_count++;
	c->total_size += obj->size;
	if (o->shortform) {
		if (c->json)
			clrsos_json_address(c->json, obj->address);
		else
			clrsos_outf(c->out, "%012" PRIx64 "\n", obj->address);
		return true;
	}
	if (!clrsos_typestats_add_gen(&c->stats, obj->type, obj->size, obj->generation)) {
		c->oom = true;
		return false;
	}
	if (o->stat)
		return true;
	if (c->json) {
		struct clrsos_json *j = c->json;
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "address");
		clrsos_json_address(j, obj->address);
		clrsos_json_key(j, "mt");
		clrsos_json_address(j, obj->type->mt);
		clrsos_json_key(j, "size");
		clrsos_json_uint(j, obj->size);
		clrsos_json_key(j, "type");
		clrsos_json_string(j, clrsos_types_name(c->types, obj->type));
		clrsos_json_key(j, "generation");
		clrsos_json_string(j, clrsos_generation_name(obj->generation));
		clrsos_json_object_end(j);
	} else {
		char size[32];
		clrsos_format_thousands(obj->size, size, sizeof(size));
		clrsos_outf(c->out, "    %012" PRIx64 "     %012" PRIx64 " %14s%s\n", obj->address,
			    obj->type->mt, size, obj->type->is_free ? " Free" : "");
	}
	return true;
}

static int cmp_by_waste(const void *a, const void *b)
{
	const struct string_entry *x = a, *y = b;
	uint64_t wx = (x->count - 1) * x->size, wy = (y->count - 1) * y->size;
	if (wx != wy)
		return wx > wy ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

enum { STRING_PREVIEW = 128 };

/* The histogram of string values, largest waste first. */
static void write_strings(struct walk_ctx *c)
{
	struct string_stats *s = &c->strings;
	struct string_entry *rows = malloc((s->count ? s->count : 1) * sizeof(*rows));
	if (!rows) {
		c->oom = true;
		return;
	}
	/* Only texts that have copies: a heap of unique strings wastes nothing. */
	size_t n = 0, unique = 0;
	uint64_t wasted = 0;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i].count > 1) {
			rows[n++] = s->slots[i];
			wasted += (s->slots[i].count - 1) * s->slots[i].size;
		} else if (s->slots[i].count) {
			unique++;
		}
	}
	qsort(rows, n, sizeof(*rows), cmp_by_waste);
	struct clrsos_target *target = clrsos_heap_target(c->heap);
	struct clrsos_writer *w = c->out;
	if (c->json) {
		struct clrsos_json *j = c->json;
		clrsos_json_key(j, "strings");
		clrsos_json_array_begin(j);
	} else {
		clrsos_out(w, "Statistics:\n");
		clrsos_outf(w, "%10s %14s %14s %10s %s\n", "Count", "TotalSize", "Wasted", "Length", "String");
	}
	for (size_t i = 0; i < n; i++) {
		/* Ctrl-C: the rows so far stay; the command says it was interrupted (run.c). */
		struct clrsos_error *stop = clrsos_watch_tick(clrsos_heap_watch(c->heap));
		if (stop) {
			clrsos_error_destroy(stop);
			free(rows);
			return;
		}
		const struct string_entry *e = &rows[i];
		uint32_t shown = e->length < STRING_PREVIEW ? e->length : STRING_PREVIEW;
		if (c->json) {
			struct clrsos_json *j = c->json;
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
			clrsos_error_destroy(clrsos_string_write(target, e->first, shown, CLRSOS_TEXT_JSON, text.raw));
			clrsos_json_string_end(&text);
			clrsos_json_object_end(j);
			continue;
		}
		char count[32], total[32], waste[32];
		clrsos_format_thousands(e->count, count, sizeof(count));
		clrsos_format_thousands(e->count * e->size, total, sizeof(total));
		clrsos_format_thousands((e->count - 1) * e->size, waste, sizeof(waste));
		clrsos_outf(w, "%10s %14s %14s %10u ", count, total, waste, e->length);
		clrsos_error_destroy(clrsos_string_write(target, e->first, shown, CLRSOS_TEXT_CELL, w));
		clrsos_out(w, shown < e->length ? "...\n" : "\n");
	}
	if (c->json) {
		clrsos_json_array_end(c->json);
		clrsos_json_key(c->json, "totalWasted");
		clrsos_json_uint(c->json, wasted);
		clrsos_json_key(c->json, "distinct");
		clrsos_json_uint(c->json, n + unique);
		clrsos_json_key(c->json, "withoutCopies");
		clrsos_json_uint(c->json, unique);
	} else {
		char count[32], total[32], waste[32], distinct[32];
		clrsos_format_thousands(c->total_count, count, sizeof(count));
		clrsos_format_thousands(n + unique, distinct, sizeof(distinct));
		clrsos_format_thousands(c->total_size, total, sizeof(total));
		clrsos_format_thousands(wasted, waste, sizeof(waste));
		char lone[32];
		clrsos_format_thousands(unique, lone, sizeof(lone));
		clrsos_outf(w, "Total %s strings (%s distinct; %s without copies, not listed), %s bytes, %s bytes in duplicates\n",
			    count, distinct, lone, total, waste);
	}
	free(rows);
}

static void write_fragments_text(struct walk_ctx *c)
{
	if (!c->nfragments)
		return;
	struct clrsos_writer *w = c->out;
	clrsos_out(w, "\nFragmented blocks larger than 0.5 MB:\n");
	clrsos_outf(w, "%16s %14s %16s\n", "Address", "Size", "Followed By");
	for (size_t i = 0; i < c->nfragments; i++) {
		const struct fragment *f = &c->fragments[i];
		char size[32];
		clrsos_format_thousands(f->size, size, sizeof(size));
		struct clrsos_name_buf nb;
		clrsos_outf(w, "    %012" PRIx64 " %14s     %012" PRIx64 " %s\n", f->address, size,
			    f->next, clrsos_safe_name(clrsos_types_name(c->types, f->next_type), &nb));
	}
}

static void write_problems_text(struct clrsos_writer *w, const struct clrsos_walk_result *r)
{
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

/*
 * A header word only looks like a thin lock: keep the candidates whose id
 * names a live managed thread (as SOS does), with that thread's OS id.
 */
static struct clrsos_error *resolve_thinlocks(struct walk_ctx *c, struct clrsos_session *session)
{
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	size_t kept = 0;
	for (size_t i = 0; i < c->nlocks; i++) {
		struct thinlock *l = &c->locks[i];
		if ((err = clrsos_error_ignore(clrsos_dac_thread_from_thinlock(dac, l->thread_id, &l->thread))))
			return err;
		if (!l->thread)
			continue;
		struct clrsos_dacp_thread_data t;
		err = clrsos_dac_thread_data(dac, l->thread, &t);
		if (err) {
			clrsos_error_destroy(err);
			continue;
		}
		l->os_id = t.os_thread_id;
		c->locks[kept++] = *l;
	}
	c->nlocks = kept;
	return NULL;
}

static void write_thinlocks(struct walk_ctx *c)
{
	struct clrsos_writer *w = c->out;
	if (c->json) {
		clrsos_json_key(c->json, "thinLocks");
		clrsos_json_array_begin(c->json);
		for (size_t i = 0; i < c->nlocks; i++) {
			clrsos_json_object_begin(c->json);
			clrsos_json_key(c->json, "object");
			clrsos_json_address(c->json, c->locks[i].object);
			clrsos_json_key(c->json, "threadId");
			clrsos_json_uint(c->json, c->locks[i].thread_id);
			clrsos_json_key(c->json, "thread");
			clrsos_json_address(c->json, c->locks[i].thread);
			clrsos_json_key(c->json, "osId");
			clrsos_json_uint(c->json, c->locks[i].os_id);
			clrsos_json_key(c->json, "recursion");
			clrsos_json_uint(c->json, c->locks[i].recursion);
			clrsos_json_object_end(c->json);
		}
		clrsos_json_array_end(c->json);
		return;
	}
	if (!c->nlocks) {
		clrsos_out(w, "No objects hold a thin lock.\n");
		return;
	}
	clrsos_outf(w, "%16s %16s %10s %10s %10s\n", "Object", "Thread", "OSId", "ThreadId", "Recursion");
	for (size_t i = 0; i < c->nlocks; i++)
	{
		char os[16];
		snprintf(os, sizeof(os), "0x%x", c->locks[i].os_id);
		clrsos_outf(w, "    %012" PRIx64 "     %012" PRIx64 " %10s %10u %10u\n", c->locks[i].object,
			    c->locks[i].thread, os, c->locks[i].thread_id, c->locks[i].recursion);
	}
	clrsos_outf(w, "Found %zu objects holding a thin lock.\n", c->nlocks);
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

static struct clrsos_error *run_dumpheap(struct clrsos_session *session, struct dumpheap_options o, struct clrsos_heap *heap,
					 struct clrsos_writer *out)
{
	/* No progress lines asked for (nor with --json, for scripts): marking's neither. */
	if (clrsos_session_watch(session) && (o.noprogress || o.json))
		clrsos_session_watch(session)->quiet = true;
	struct clrsos_error *err;
	const struct clrsos_gc *gc = clrsos_heap_gc(heap);
	if (o.filter.heap >= 0 && (uint64_t)o.filter.heap >= gc->nheaps)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap -heap %s: there %s %u GC heap%s (0 to %u)",
					   o.heap_text, gc->nheaps == 1 ? "is" : "are", gc->nheaps,
					   gc->nheaps == 1 ? "" : "s", gc->nheaps - 1);
	if (o.have_segment) {
		for (size_t i = 0; i < gc->nsegments && !o.filter.segment; i++) {
			const struct clrsos_segment *s = &gc->segments[i];
			if (s->address == o.segment ||
			    (o.segment >= s->committed_start && o.segment < s->reserved_end))
				o.filter.segment = s;
		}
		if (!o.filter.segment)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "dumpheap -segment 0x%" PRIx64 ": no GC segment or region has this address; run eeheap -gc to list them",
						   o.segment);
	}
	if (o.have_range) {
		bool any = false;
		for (size_t i = 0; i < gc->nsegments && !any; i++)
			any = gc->segments[i].start < o.filter.end && gc->segments[i].end > o.filter.start;
		if (!any)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "dumpheap: no GC heap memory in [0x%" PRIx64 ", 0x%" PRIx64 "); run eeheap -gc to see where the heap is",
						   o.filter.start, o.filter.end);
	}
	struct clrsos_types *types = clrsos_heap_types(heap);
	if (o.have_mt && !clrsos_types_get(types, o.mt))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpheap -mt 0x%" PRIx64 ": not a MethodTable (take one from dumpheap -stat)",
					   o.mt);
	const struct clrsos_reach *reach = NULL;
	if (o.live || o.dead) {
		err = clrsos_session_reach(session, &reach);
		if (err)
			return err;
	}

	struct clrsos_json json;
	struct walk_ctx c = {.o = &o, .types = types, .reach = reach, .out = out, .heap = heap,
				 .filter_serial = clrsos_types_new_filter(types)};
	if (o.json) {
		clrsos_json_init(&json, out);
		c.json = &json;
		clrsos_json_object_begin(&json);
		if (!o.stat && !o.thinlock && !o.strings) {
			clrsos_json_key(&json, o.shortform ? "addresses" : "objects");
			clrsos_json_array_begin(&json);
		}
	} else if (!o.stat && !o.shortform && !o.thinlock && !o.strings) {
		clrsos_outf(out, "%16s %16s %14s\n", "Address", "MT", "Size");
	}
	/* Progress (after a second: see watch.h) goes to the debugger's error stream. */
	struct clrsos_watch *watch = clrsos_session_watch(session);
	struct clrsos_walk_result r;
	err = clrsos_heap_walk(heap, &o.filter, on_object, &c, clrsos_watch_heap_progress, watch, &r);
	if (!err && c.oom)
		err = &clrsos_error_no_memory;
	if (err) {
		free(c.strings.slots);
		free(c.strings.scratch);
		clrsos_typestats_deinit(&c.stats);
		free(c.fragments);
		free(c.locks);
		return err;
	}
	if (o.thinlock && !err)
		err = resolve_thinlocks(&c, session);
	if (err) {
		free(c.locks);
		clrsos_typestats_deinit(&c.stats);
		return err;
	}
	struct clrsos_typestat *rows = clrsos_typestats_sorted(&c.stats, o.bycount);
	bool saved = false;
	if (o.strings) {
		write_strings(&c);
		bool stopped = clrsos_watch_stopped(watch);
		if (!stopped)
			write_warnings(&c, gc);
		if (stopped) {
			/* Interrupted: no totals under a partial list (run.c says why). */
		} else if (o.json) {
			clrsos_json_key(&json, "totalStrings");
			clrsos_json_uint(&json, c.total_count);
			clrsos_json_key(&json, "totalSize");
			clrsos_json_uint(&json, c.total_size);
			clrsos_json_object_end(&json);
			clrsos_json_end(&json);
		} else {
			write_problems_text(out, &r);
		}
		free(rows);
		clrsos_typestats_deinit(&c.stats);
		free(c.strings.slots);
		free(c.strings.scratch);
		return c.oom ? &clrsos_error_no_memory : NULL;
	}
	/* Saved before the output, said after it; a failure still shows the table. */
	if (o.save && !(err = save_histogram(&o, &c.stats, rows, types)))
		saved = true;
	if (o.json) {
		if (!o.stat && !o.thinlock)
			clrsos_json_array_end(&json);
		if (saved) {
			clrsos_json_key(&json, "savedTo");
			clrsos_json_string(&json, o.save);
		}
		if (o.thinlock)
			write_thinlocks(&c);
		if (!o.shortform && !o.thinlock) {
			clrsos_typestats_write_json(&c.stats, rows, types, &json);
			clrsos_json_key(&json, "fragmentation");
			clrsos_json_array_begin(&json);
			for (size_t i = 0; i < c.nfragments; i++) {
				clrsos_json_object_begin(&json);
				clrsos_json_key(&json, "address");
				clrsos_json_address(&json, c.fragments[i].address);
				clrsos_json_key(&json, "size");
				clrsos_json_uint(&json, c.fragments[i].size);
				clrsos_json_key(&json, "followedBy");
				clrsos_json_address(&json, c.fragments[i].next);
				clrsos_json_key(&json, "followedByType");
				clrsos_json_string(&json, clrsos_types_name(types, c.fragments[i].next_type));
				clrsos_json_object_end(&json);
			}
			clrsos_json_array_end(&json);
		}
		clrsos_json_key(&json, "totalObjects");
		clrsos_json_uint(&json, c.total_count);
		clrsos_json_key(&json, "totalSize");
		clrsos_json_uint(&json, c.total_size);
		clrsos_json_key(&json, "problems");
		clrsos_json_array_begin(&json);
		for (size_t i = 0; i < r.nproblems; i++) {
			clrsos_json_object_begin(&json);
			clrsos_json_key(&json, "address");
			clrsos_json_address(&json, r.problems[i].address);
			clrsos_json_key(&json, "skipped");
			clrsos_json_uint(&json, r.problems[i].skipped);
			clrsos_json_key(&json, "what");
			clrsos_json_string(&json, clrsos_heap_problem_text(&r.problems[i]));
			clrsos_json_object_end(&json);
		}
		clrsos_json_array_end(&json);
		clrsos_json_key(&json, "problemCount");
		clrsos_json_uint(&json, r.problem_count);
		clrsos_json_key(&json, "skippedBytes");
		clrsos_json_uint(&json, r.skipped_bytes);
		write_warnings(&c, gc);
		clrsos_json_object_end(&json);
		clrsos_json_end(&json);
	} else {
		if (o.thinlock)
			write_thinlocks(&c);
		else if (!o.shortform && rows) {
			if (!o.stat && c.stats.count)
				clrsos_out(out, "\n");
			clrsos_typestats_write_text(&c.stats, rows, types, out);
		}
		if (!o.shortform && !o.thinlock)
			write_fragments_text(&c);
		write_problems_text(out, &r);
		write_warnings(&c, gc);
	}
	if (saved && !o.json)
		clrsos_outf(out, "Saved the statistics of %zu types to %s (compare later with: heapdiff %s)\n",
			    c.stats.count, o.save, o.save);
	free(rows);
	clrsos_typestats_deinit(&c.stats);
	free(c.fragments);
	free(c.locks);
	return err;
}
