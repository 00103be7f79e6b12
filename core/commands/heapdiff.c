#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/heap.h"
#include "analysis/histogram.h"
#include "analysis/reach.h"
#include "commands.h"
#include "retained.h"
#include "typestats.h"

/*
 * heapdiff: what grew between two heaps. Either side is a histogram saved
 * by dumpheap -stat --save; the second may be the current target. Types
 * are matched by name (MethodTables differ between processes); a name seen
 * twice on one side (the same type loaded twice) is summed. When both sides
 * have retained bytes per type (retained -stat --save; the current target
 * computes them when the saved side has them), their change is shown too.
 */

enum change { CHANGED, SAME, NEW, VANISHED };

struct diff_row {
	const char *name;
	uint64_t count_before, count_after, bytes_before, bytes_after;
	int64_t count_delta, bytes_delta;
	uint64_t retained_before, retained_after;
	int64_t retained_delta;
	enum change change;
};

struct totals {
	uint64_t grew, shrank, added, vanished, same, under_min;
};

/* The current target's histogram, counted as the saved one was (all, live or dead objects). */
struct collect {
	const struct clrsos_reach *reach;
	bool live, dead;
	struct clrsos_typestats stats;
	bool oom;
};

static bool collect_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct collect *c = ctx;
	if ((c->live || c->dead) && (obj->type->is_free || clrsos_reach_is_live(c->reach, obj->address) != c->live))
		return true;
	if (!clrsos_typestats_add_gen(&c->stats, obj->type, obj->size, obj->generation)) {
		c->oom = true;
		return false;
	}
	return true;
}

static struct clrsos_error *current_histogram(struct clrsos_session *session, bool live, bool dead,
					      struct clrsos_histogram *ret)
{
	struct clrsos_heap *heap;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (err)
		return err;
	struct collect c = {.live = live, .dead = dead};
	if ((live || dead) && (err = clrsos_session_reach(session, &c.reach)))
		return err;
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_walk_result result;
	err = clrsos_heap_walk(heap, &filter, collect_object, &c, clrsos_watch_heap_progress,
			       clrsos_session_watch(session), &result);
	if (!err && c.oom)
		err = &clrsos_error_no_memory;
	memset(ret, 0, sizeof(*ret));
	ret->live = live;
	ret->dead = dead;
	struct clrsos_types *types = clrsos_heap_types(heap);
	for (const struct clrsos_typestat_map_entry *e = clrsos_typestat_map_first(&c.stats.rows); e && !err;
	     e = clrsos_typestat_map_next(&c.stats.rows, e)) {
		const struct clrsos_typestat *t = &e->value;
		if (!clrsos_histogram_add(ret, clrsos_types_name(types, t->type), t->type->mt, t->count, t->size,
					  t->gen_count, t->gen_size))
			err = &clrsos_error_no_memory;
		else if (!clrsos_histogram_sum(&ret->objects, t->count) || !clrsos_histogram_sum(&ret->bytes, t->size))
			err = clrsos_error_create(CLRSOS_ERROR_OTHER,
						  "the current target's objects add up to more than %" PRId64
						  " (at type %s): its heap is damaged",
						  INT64_MAX, ret->rows[ret->count - 1].name);
	}
	clrsos_typestats_deinit(&c.stats);
	if (err)
		clrsos_histogram_deinit(ret);
	return err;
}

static int by_mt(const void *a, const void *b)
{
	const struct clrsos_retained_type *x = a, *y = b;
	return x->type->mt < y->type->mt ? -1 : x->type->mt > y->type->mt;
}

/* Each row of the current target's histogram h gets its type's retained bytes (0: no live instance). */
static struct clrsos_error *add_retained(struct clrsos_session *session, struct clrsos_histogram *h)
{
	struct clrsos_retained_type *types;
	size_t n;
	uint64_t live;
	struct clrsos_error *err = clrsos_retained_by_type(session, &types, &n, &live);
	if (err)
		return err;
	if (n > 1)
		qsort(types, n, sizeof(*types), by_mt);
	for (size_t i = 0; i < h->count; i++) {
		struct clrsos_retained_type key = {0};
		struct clrsos_type type = {.mt = h->rows[i].mt};
		key.type = &type;
		const struct clrsos_retained_type *t = n ? bsearch(&key, types, n, sizeof(*types), by_mt) : NULL;
		h->rows[i].retained = t ? t->retained : 0;
	}
	h->retained = true;
	free(types);
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	const struct clrsos_histogram_row *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/*
 * Sort h's rows by name and sum rows that share one. The loader keeps each
 * file's totals at most INT64_MAX, so these sums cannot pass it; checked
 * all the same, naming the source and type.
 */
static struct clrsos_error *merge_names(struct clrsos_histogram *h, const char *source)
{
	if (h->count > 1) /* rows is NULL when there are none */
		qsort(h->rows, h->count, sizeof(*h->rows), by_name);
	size_t n = 0;
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < h->count; i++) {
		if (n && strcmp(h->rows[n - 1].name, h->rows[i].name) == 0) {
			if (!err && (!clrsos_histogram_sum(&h->rows[n - 1].count, h->rows[i].count) ||
				     !clrsos_histogram_sum(&h->rows[n - 1].bytes, h->rows[i].bytes) ||
				     !clrsos_histogram_sum(&h->rows[n - 1].retained, h->rows[i].retained)))
				err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							  "'%s': the rows of type %.80s add up to more than %" PRId64,
							  source, h->rows[i].name, INT64_MAX);
			free(h->rows[i].name);
		} else {
			h->rows[n++] = h->rows[i];
		}
	}
	h->count = n;
	return err;
}

static int by_growth(const void *a, const void *b)
{
	const struct diff_row *x = a, *y = b;
	if (x->retained_delta != y->retained_delta) /* 0 on both without retained bytes */
		return x->retained_delta > y->retained_delta ? -1 : 1;
	if (x->bytes_delta != y->bytes_delta)
		return x->bytes_delta > y->bytes_delta ? -1 : 1;
	if (x->count_delta != y->count_delta)
		return x->count_delta > y->count_delta ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Both histograms merged by name; rows point at their names. */
static struct clrsos_error *diff(struct clrsos_histogram *before, const char *before_source,
				 struct clrsos_histogram *after, const char *after_source, struct diff_row **ret,
				 size_t *ret_count)
{
	struct clrsos_error *err = merge_names(before, before_source);
	if (!err)
		err = merge_names(after, after_source);
	if (err)
		return err;
	struct diff_row *rows = malloc((before->count + after->count + 1) * sizeof(*rows));
	if (!rows)
		return &clrsos_error_no_memory;
	size_t i = 0, k = 0, n = 0;
	while (i < before->count || k < after->count) {
		int cmp = i == before->count ? 1 : k == after->count ? -1 : strcmp(before->rows[i].name, after->rows[k].name);
		struct diff_row *d = &rows[n++];
		memset(d, 0, sizeof(*d));
		if (cmp <= 0) {
			d->name = before->rows[i].name;
			d->count_before = before->rows[i].count;
			d->bytes_before = before->rows[i].bytes;
			d->retained_before = before->rows[i].retained;
			i++;
		}
		if (cmp >= 0) {
			d->name = after->rows[k].name;
			d->count_after = after->rows[k].count;
			d->bytes_after = after->rows[k].bytes;
			d->retained_after = after->rows[k].retained;
			k++;
		}
		d->count_delta = (int64_t)d->count_after - (int64_t)d->count_before; /* each at most INT64_MAX */
		d->bytes_delta = (int64_t)d->bytes_after - (int64_t)d->bytes_before;
		/* Retained bytes count only when both sides have them; each is at most INT64_MAX too. */
		if (!before->retained || !after->retained)
			d->retained_before = d->retained_after = 0;
		d->retained_delta = (int64_t)d->retained_after - (int64_t)d->retained_before;
		d->change = cmp < 0	? VANISHED
			    : cmp > 0	? NEW
			    : d->count_delta || d->bytes_delta || d->retained_delta ? CHANGED
										   : SAME;
	}
	qsort(rows, n, sizeof(*rows), by_growth);
	*ret = rows;
	*ret_count = n;
	return NULL;
}

static void format_signed(int64_t v, char *buf, size_t size)
{
	if (size < 2)
		return;
	buf[0] = v > 0 ? '+' : '-';
	clrsos_format_thousands(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, buf + (v != 0), size - 1);
}

static const char *change_name(enum change c)
{
	return c == NEW ? "new" : c == VANISHED ? "vanished" : c == SAME ? "same" : "changed";
}

static void write_side_json(struct clrsos_json *j, const char *key, const char *source,
			    const struct clrsos_histogram *h, size_t types)
{
	clrsos_json_key(j, key);
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "source");
	clrsos_json_string(j, source);
	clrsos_json_key(j, "createdAt");
	clrsos_json_string(j, h->created_at);
	clrsos_json_key(j, "live");
	clrsos_json_bool(j, h->live);
	clrsos_json_key(j, "dead");
	clrsos_json_bool(j, h->dead);
	clrsos_json_key(j, "objects");
	clrsos_json_uint(j, h->objects);
	clrsos_json_key(j, "bytes");
	clrsos_json_uint(j, h->bytes);
	clrsos_json_key(j, "types");
	clrsos_json_uint(j, types);
	clrsos_json_key(j, "retained");
	clrsos_json_bool(j, h->retained);
	clrsos_json_object_end(j);
}

static void write_side_text(struct clrsos_writer *out, const char *label, const char *source,
			    const struct clrsos_histogram *h)
{
	char objects[32], bytes[32];
	clrsos_format_thousands(h->objects, objects, sizeof(objects));
	clrsos_format_thousands(h->bytes, bytes, sizeof(bytes));
	/* The path and the saved date are echoed input: escaped and cut as names are. */
	struct clrsos_name_buf source_buf, at_buf;
	clrsos_outf(out, "%s %s%s%s%s: %s %sobjects, %s bytes\n", label, clrsos_safe_name(source, &source_buf),
		    h->created_at ? " (saved " : "", h->created_at ? clrsos_safe_name(h->created_at, &at_buf) : "",
		    h->created_at ? ")" : "", objects, h->live ? "live " : h->dead ? "dead " : "", bytes);
}

static uint64_t magnitude(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* Listed: changed, by at least min bytes, own or retained. */
static bool shown(const struct diff_row *d, uint64_t min)
{
	return d->change != SAME && (magnitude(d->bytes_delta) >= min || magnitude(d->retained_delta) >= min);
}

/* What heapdiff found: the two sides and each type's change. */
struct heapdiff_result {
	struct clrsos_histogram before, after;
	const char *before_source, *after_source; /* as the text says them */
	const char *after_name;                   /* as the JSON says it */
	size_t types_before, types_after;
	struct diff_row *rows;
	size_t n;
	uint64_t min;
	struct totals totals;
	int64_t count_delta, bytes_delta;
	bool mixed;    /* the sides count different objects (live, dead, all) */
	bool retained; /* both sides have retained bytes */
};

static void write_json(const struct heapdiff_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	write_side_json(&j, "before", r->before_source, &r->before, r->types_before);
	write_side_json(&j, "after", r->after_name, &r->after, r->types_after);
	clrsos_json_key(&j, "min");
	clrsos_json_uint(&j, r->min);
	clrsos_json_key(&j, "types");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->n; i++) {
		const struct diff_row *d = &r->rows[i];
		if (!shown(d, r->min))
			continue;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, d->name);
		clrsos_json_key(&j, "countBefore");
		clrsos_json_uint(&j, d->count_before);
		clrsos_json_key(&j, "countAfter");
		clrsos_json_uint(&j, d->count_after);
		clrsos_json_key(&j, "countDelta");
		clrsos_json_int(&j, d->count_delta);
		clrsos_json_key(&j, "bytesBefore");
		clrsos_json_uint(&j, d->bytes_before);
		clrsos_json_key(&j, "bytesAfter");
		clrsos_json_uint(&j, d->bytes_after);
		clrsos_json_key(&j, "bytesDelta");
		clrsos_json_int(&j, d->bytes_delta);
		if (r->retained) {
			clrsos_json_key(&j, "retainedBefore");
			clrsos_json_uint(&j, d->retained_before);
			clrsos_json_key(&j, "retainedAfter");
			clrsos_json_uint(&j, d->retained_after);
			clrsos_json_key(&j, "retainedDelta");
			clrsos_json_int(&j, d->retained_delta);
		}
		clrsos_json_key(&j, "change");
		clrsos_json_string(&j, change_name(d->change));
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "totals");
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "countDelta");
	clrsos_json_int(&j, r->count_delta);
	clrsos_json_key(&j, "bytesDelta");
	clrsos_json_int(&j, r->bytes_delta);
	clrsos_json_key(&j, "grew");
	clrsos_json_uint(&j, r->totals.grew);
	clrsos_json_key(&j, "shrank");
	clrsos_json_uint(&j, r->totals.shrank);
	clrsos_json_key(&j, "new");
	clrsos_json_uint(&j, r->totals.added);
	clrsos_json_key(&j, "vanished");
	clrsos_json_uint(&j, r->totals.vanished);
	clrsos_json_key(&j, "unchanged");
	clrsos_json_uint(&j, r->totals.same);
	clrsos_json_key(&j, "underMin");
	clrsos_json_uint(&j, r->totals.under_min);
	clrsos_json_object_end(&j);
	clrsos_json_key(&j, "sidesCountDifferently");
	clrsos_json_bool(&j, r->mixed);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void write_text(const struct heapdiff_result *r, struct clrsos_writer *out)
{
	write_side_text(out, "Before:", r->before_source, &r->before);
	write_side_text(out, "After: ", r->after_source, &r->after);
	if (r->mixed)
		clrsos_outf(out, "Note: the two sides count different objects (%s before, %s after).\n",
			    r->before.live ? "live" : r->before.dead ? "dead" : "all", r->after.live ? "live" : r->after.dead ? "dead" : "all");
	if (r->before.retained != r->after.retained)
		clrsos_outf(out, "Note: only the %s side has retained bytes per type; save both with 'retained -stat --save "
				 "<file>' to see their change.\n",
			    r->before.retained ? "before" : "after");
	if (r->before.address_space)
		clrsos_out(out, "Memory by owner (maddress --save): Count is regions, Bytes committed bytes.\n");
	clrsos_outf(out, "%14s %16s %14s %16s ", "Count diff", "Bytes diff", "Count after", "Bytes after");
	if (r->retained)
		clrsos_outf(out, "%16s %16s ", "Retained diff", "Retained after");
	bool owners = r->before.address_space;
	clrsos_outf(out, "%-8s %s\n", "Change", owners ? "Owner" : "Class Name");
	for (size_t i = 0; i < r->n; i++) {
		const struct diff_row *d = &r->rows[i];
		if (!shown(d, r->min))
			continue;
		char cd[32], bd[32], ca[32], ba[32];
		format_signed(d->count_delta, cd, sizeof(cd));
		format_signed(d->bytes_delta, bd, sizeof(bd));
		clrsos_format_thousands(d->count_after, ca, sizeof(ca));
		clrsos_format_thousands(d->bytes_after, ba, sizeof(ba));
		/* Names from a file anyone may have written: a newline must not fake a
		 * line, an escape sequence must not reach the terminal, 50 MB is cut. */
		struct clrsos_name_buf nb;
		clrsos_outf(out, "%14s %16s %14s %16s ", cd, bd, ca, ba);
		if (r->retained) {
			char rd[32], ra[32];
			format_signed(d->retained_delta, rd, sizeof(rd));
			clrsos_format_thousands(d->retained_after, ra, sizeof(ra));
			clrsos_outf(out, "%16s %16s ", rd, ra);
		}
		clrsos_outf(out, "%-8s %s\n", d->change == NEW ? "new" : d->change == VANISHED ? "vanished" : "",
			    clrsos_safe_name(d->name, &nb));
	}
	char cd[32], bd[32];
	format_signed(r->count_delta, cd, sizeof(cd));
	format_signed(r->bytes_delta, bd, sizeof(bd));
	clrsos_outf(out, "Total: %s %s, %s bytes; %" PRIu64 " %s grew, %" PRIu64 " shrank, %" PRIu64
		    " new, %" PRIu64 " vanished",
		    cd, owners ? "regions" : "objects", bd, r->totals.grew, owners ? "owners" : "types", r->totals.shrank, r->totals.added, r->totals.vanished);
	if (r->totals.same || r->totals.under_min) {
		clrsos_outf(out, " (not shown: %" PRIu64 " unchanged", r->totals.same);
		if (r->totals.under_min)
			clrsos_outf(out, ", %" PRIu64 " changed by less than -min %" PRIu64 " bytes%s", r->totals.under_min, r->min,
				    r->retained ? ", own and retained" : "");
		clrsos_out(out, ")");
	}
	clrsos_out(out, "\n");
}

static struct clrsos_error *no_retained(const char *file)
{
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "-retained: '%s' has no retained bytes per type: save it with "
				   "'retained -stat --save %s' (dumpheap -stat --save records objects and bytes only)",
				   file, file);
}

/* heapdiff <before> [<after>]: the saved files. */
struct file_operands {
	const char *files[2];
	int count;
};

static struct clrsos_error *file_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	struct file_operands *f = ctx;
	if (index >= 2)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "heapdiff: a third file '%s': it compares two (see 'help heapdiff')", arg);
	f->files[f->count++] = arg;
	return NULL;
}

struct clrsos_error *clrsos_cmd_heapdiff(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	struct file_operands f = {{NULL, NULL}, 0};
	bool json = false, need_retained = false;
	uint64_t min = 0;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
		CLRSOS_FLAG("-retained", &need_retained),
		CLRSOS_UINT("-min", &min),
	};
	const struct clrsos_options spec = {
		.command = "heapdiff",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = file_operand,
		.ctx = &f,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	const char *const *files = f.files;
	int nfiles = f.count;
	if (!nfiles)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "heapdiff needs a saved histogram: heapdiff <before.json> [<after.json>] "
					   "(save one with 'dumpheap -stat --save <file>')");
	if (nfiles == 1 && !session)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
					   "heapdiff %s compares it with the current target, and there is none: open a core "
					   "or attach to a process, or give a second saved file",
					   files[0]);
	struct clrsos_histogram before, after;
	err = clrsos_histogram_init_from_file(files[0], &before);
	if (err)
		return clrsos_error_wrap(err, "heapdiff");
	if (need_retained && !before.retained) {
		clrsos_histogram_deinit(&before);
		return clrsos_error_wrap(no_retained(files[0]), "heapdiff");
	}
	if (nfiles == 2) {
		err = clrsos_histogram_init_from_file(files[1], &after);
		if (!err && need_retained && !after.retained) {
			clrsos_histogram_deinit(&after);
			err = no_retained(files[1]);
		}
	} else if (before.filtered) {
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "'%s' was saved with filters (-type, -mt, -min, -gen ...), so it cannot be compared "
					  "with the whole heap: save this heap with the same options and compare the two files",
					  files[0]);
	} else if (before.address_space) {
		err = clrsos_maddress_histogram(session, &after);
	} else {
		err = current_histogram(session, before.live, before.dead, &after);
		if (!err && before.retained && (err = add_retained(session, &after)))
			clrsos_histogram_deinit(&after);
	}
	if (err) {
		clrsos_histogram_deinit(&before);
		return clrsos_error_wrap(err, "heapdiff");
	}
	if (before.address_space != after.address_space) {
		clrsos_histogram_deinit(&before);
		clrsos_histogram_deinit(&after);
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "heapdiff: '%s' is %s and '%s' %s: compare two of a kind",
					   files[0], before.address_space ? "a maddress summary" : "a heap histogram", files[1],
					   after.address_space ? "a maddress summary" : "a heap histogram");
	}
	const char *after_source = nfiles == 2 ? files[1] : "the current target";
	size_t types_before = before.count, types_after = after.count, n = 0;
	struct diff_row *rows = NULL;
	err = diff(&before, files[0], &after, after_source, &rows, &n);
	if (err) {
		clrsos_histogram_deinit(&before);
		clrsos_histogram_deinit(&after);
		return clrsos_error_wrap(err, "heapdiff");
	}
	struct heapdiff_result r = {
		.before_source = files[0],
		.after_source = after_source,
		.after_name = nfiles == 2 ? files[1] : "target",
		.types_before = types_before,
		.types_after = types_after,
		.rows = rows,
		.n = n,
		.min = min,
	};
	for (size_t i = 0; i < n; i++) {
		const struct diff_row *d = &rows[i];
		r.totals.added += d->change == NEW;
		r.totals.vanished += d->change == VANISHED;
		r.totals.same += d->change == SAME;
		r.totals.grew += d->change == CHANGED && (d->bytes_delta > 0 || (d->bytes_delta == 0 && d->count_delta > 0));
		r.totals.shrank += d->change == CHANGED && (d->bytes_delta < 0 || (d->bytes_delta == 0 && d->count_delta < 0));
		r.totals.under_min += d->change != SAME && !shown(d, min);
	}
	r.count_delta = (int64_t)after.objects - (int64_t)before.objects;
	r.bytes_delta = (int64_t)after.bytes - (int64_t)before.bytes;
	r.mixed = before.live != after.live || before.dead != after.dead;
	r.retained = before.retained && after.retained;
	r.before = before;
	r.after = after;
	if (json)
		write_json(&r, out);
	else
		write_text(&r, out);
	free(rows);
	clrsos_histogram_deinit(&before);
	clrsos_histogram_deinit(&after);
	return NULL;
}
