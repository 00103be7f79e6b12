/*
 * Duplicate strings: see dupstrings.h.
 *
 * Memory: one 16-byte record per string met (a 64-bit hash of its text and
 * its place in the walk), appended in walk order; no text is kept. Sorting
 * the records by hash brings the copies of a text together; each group of
 * two or more is then checked by reading the copies' texts back from the
 * target, so that a hash collision splits a group instead of merging two
 * texts. The rows are written over the records they came from (a row is
 * 32 bytes, a group of two or more records at least as many), and both
 * sorts are in place: the peak is the records array.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/dupstrings.h"
#include "base/sort.h"
#include "base/vector.h"
#include "model/clrstring.h"
#include "model/types.h"
#include "target/target.h"

/* pos: the string's place in the walk, a number that grows with every string met (see struct span). */
struct string_rec {
	uint64_t hash, pos;
};

/*
 * A run of strings met at rising addresses in one segment: the string at
 * address has pos base + (address - start). A new span starts where the
 * walk moves on to another segment, with a base above every pos so far, so
 * that pos follows the walk's order (not the addresses': the walk takes
 * the segments in the GC's order) and the first copy met stays first.
 */
struct span {
	uint64_t start, base;
};

CLRSOS_VECTOR(rec_vector, struct string_rec)
CLRSOS_VECTOR(span_vector, struct span)

_Static_assert(sizeof(struct clrsos_dupstring) <= 2 * sizeof(struct string_rec),
	       "a row must fit over the two records of the smallest group");

struct clrsos_dupstrings {
	struct rec_vector recs;
	struct span_vector spans;
	const struct clrsos_segment *segment; /* of the current span */
	uint64_t last_address, last_pos;
	const struct clrsos_type *string_type; /* the size of a text's copies */
	struct clrsos_target *target;          /* to read the texts back */
	uint64_t hash_mask;                    /* all ones, except in tests */
	uint8_t *scratch; /* a string the walk read less of, read whole */
	size_t scratch_cap;
	uint8_t *text; /* the checks: the first copy's length and chars */
	size_t text_cap;
	uint8_t *other; /* and another copy's, when the target gives no view */
	size_t other_cap;
};

struct clrsos_error *clrsos_dupstrings_create(struct clrsos_dupstrings **ret)
{
	struct clrsos_dupstrings *s = calloc(1, sizeof(*s));
	if (!s)
		return &clrsos_error_no_memory;
	rec_vector_init(&s->recs);
	span_vector_init(&s->spans);
	s->hash_mask = UINT64_MAX;
	*ret = s;
	return NULL;
}

void clrsos_dupstrings_set_hash_mask(struct clrsos_dupstrings *s, uint64_t mask)
{
	s->hash_mask = mask;
}

void clrsos_dupstrings_destroy(struct clrsos_dupstrings *s)
{
	if (!s)
		return;
	rec_vector_deinit(&s->recs);
	span_vector_deinit(&s->spans);
	free(s->scratch);
	free(s->text);
	free(s->other);
	free(s);
}

static struct clrsos_error *grow(uint8_t **buf, size_t *cap, size_t size)
{
	if (size <= *cap)
		return NULL;
	uint8_t *g = realloc(*buf, size);
	if (!g)
		return &clrsos_error_no_memory;
	*buf = g;
	*cap = size;
	return NULL;
}

struct clrsos_error *clrsos_dupstrings_add(struct clrsos_dupstrings *s, struct clrsos_target *target,
					   const struct clrsos_heap_object *obj, bool *ret_counted)
{
	*ret_counted = false;
	if (!obj->type->is_string || obj->bytes_len < CLRSOS_STRING_CHARS_OFFSET)
		return NULL;
	uint32_t length;
	memcpy(&length, obj->bytes + CLRSOS_STRING_LENGTH_OFFSET, sizeof(length));
	uint64_t bytes = (uint64_t)length * 2;
	if (bytes + CLRSOS_STRING_CHARS_OFFSET > obj->size)
		return NULL; /* corrupt length: not counted */
	const uint8_t *units = obj->bytes + CLRSOS_STRING_CHARS_OFFSET;
	struct clrsos_error *err;
	if (obj->bytes_len < CLRSOS_STRING_CHARS_OFFSET + bytes) {
		if ((err = grow(&s->scratch, &s->scratch_cap, (size_t)bytes)))
			return err;
		err = clrsos_target_read(target, obj->address + CLRSOS_STRING_CHARS_OFFSET, s->scratch, (size_t)bytes);
		if (err) {
			if (clrsos_error_is_no_memory(err))
				return err;
			clrsos_error_destroy(err);
			return NULL;
		}
		units = s->scratch;
	}
	bool new_span = !s->spans.count || obj->segment != s->segment || obj->address < s->last_address;
	if (new_span && (err = span_vector_push(&s->spans, (struct span){obj->address,
									   s->spans.count ? s->last_pos + 1 : 0})))
		return err;
	const struct span *sp = &s->spans.items[s->spans.count - 1];
	uint64_t pos = sp->base + (obj->address - sp->start);
	struct string_rec rec = {clrsos_string_hash(units, length) & s->hash_mask, pos};
	if ((err = rec_vector_push(&s->recs, rec))) {
		if (new_span)
			s->spans.count--;
		return err;
	}
	s->segment = obj->segment;
	s->last_address = obj->address;
	s->last_pos = pos;
	if (!s->string_type)
		s->string_type = obj->type;
	s->target = target;
	*ret_counted = true;
	return NULL;
}

/* The address of the string at pos: its span is the last one starting at or below pos. */
static uint64_t address_of(const struct clrsos_dupstrings *s, uint64_t pos)
{
	size_t lo = 0, hi = s->spans.count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->spans.items[mid].base <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return s->spans.items[lo].start + (pos - s->spans.items[lo].base);
}

/* ---- The orders (sorted in place: base/sort.h) ---- */

static inline bool rec_less(const struct string_rec *a, const struct string_rec *b)
{
	return a->hash < b->hash || (a->hash == b->hash && a->pos < b->pos);
}

/* Rows: most bytes wasted first, then most copies, then lowest address. */
static inline bool row_less(const struct clrsos_dupstring *x, const struct clrsos_dupstring *y)
{
	uint64_t wx = clrsos_dupstring_wasted(x), wy = clrsos_dupstring_wasted(y);
	if (wx != wy)
		return wx > wy;
	if (x->count != y->count)
		return x->count > y->count;
	return x->first < y->first;
}

CLRSOS_SORT(sort_recs, struct string_rec, rec_less)
CLRSOS_SORT(sort_rows, struct clrsos_dupstring, row_less)

/* ---- Checking a group against the target ---- */

/*
 * The length word and chars of the string at address, length chars of
 * them: in place when the target gives a view, else read into *buf.
 * NULL: not readable.
 */
static const uint8_t *string_bytes(struct clrsos_target *target, uint64_t address, size_t size, uint8_t **buf,
				   size_t *cap, struct clrsos_error **ret_err)
{
	*ret_err = NULL;
	size_t len;
	const uint8_t *view = clrsos_target_view(target, address + CLRSOS_STRING_LENGTH_OFFSET, size, &len);
	if (view && len == size)
		return view;
	if ((*ret_err = grow(buf, cap, size)))
		return NULL;
	struct clrsos_error *err = clrsos_target_read(target, address + CLRSOS_STRING_LENGTH_OFFSET, *buf, size);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			*ret_err = err;
		else
			clrsos_error_destroy(err);
		return NULL;
	}
	return *buf;
}

/* The group's first copy: its length word and chars, copied to s->text (*ret_size bytes). false: unreadable. */
static struct clrsos_error *read_first(struct clrsos_dupstrings *s, uint64_t address, uint32_t *ret_length,
				       size_t *ret_size, bool *ret_ok)
{
	*ret_ok = false;
	uint32_t length;
	struct clrsos_error *err = clrsos_target_read_u32(s->target, address + CLRSOS_STRING_LENGTH_OFFSET, &length);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	size_t size = sizeof(length) + 2 * (size_t)length;
	if ((err = grow(&s->text, &s->text_cap, size)))
		return err;
	err = clrsos_target_read(s->target, address + CLRSOS_STRING_LENGTH_OFFSET, s->text, size);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	*ret_length = length;
	*ret_size = size;
	*ret_ok = true;
	return NULL;
}

/*
 * The records [i, j) share a hash. Split them by text: the copies equal to
 * the first (lowest pos) become one row, written at rows[*nrows], the rest
 * are sorted by pos again and split in turn. A copy that cannot be read
 * back counts as a text of its own.
 */
static struct clrsos_error *split_group(struct clrsos_dupstrings *s, struct clrsos_watch *watch, size_t i, size_t j,
					uint8_t *rows, size_t *nrows, uint64_t *wasted, size_t *unique)
{
	struct string_rec *r = s->recs.items;
	while (j - i > 1) {
		uint64_t first = address_of(s, r[i].pos);
		uint32_t length;
		size_t size;
		bool ok;
		struct clrsos_error *err = read_first(s, first, &length, &size, &ok);
		if (err)
			return err;
		size_t m = i + 1;
		if (!ok) {
			(*unique)++;
			i++;
			continue;
		}
		for (size_t k = i + 1; k < j; k++) {
			if ((err = clrsos_watch_tick(watch)))
				return err;
			const uint8_t *b = string_bytes(s->target, address_of(s, r[k].pos), size, &s->other,
							&s->other_cap, &err);
			if (err)
				return err;
			if (b && !memcmp(b, s->text, size)) {
				if (k != m)
					sort_recs_swap(&r[k], &r[m]);
				m++;
			}
		}
		if (m - i > 1) {
			/* Over records [i, m) only: rows so far take at most 16 bytes per record before i. */
			struct clrsos_dupstring row = {m - i, clrsos_object_size(s->string_type, length), first, length};
			memcpy(rows + *nrows * sizeof(row), &row, sizeof(row));
			(*nrows)++;
			*wasted += clrsos_dupstring_wasted(&row);
		} else {
			(*unique)++;
		}
		if (m < j && (err = sort_recs(r + m, j - m, watch))) /* a collision: the rest, in walk order again */
			return err;
		i = m;
	}
	if (j - i == 1)
		(*unique)++;
	return NULL;
}

struct clrsos_error *clrsos_dupstrings_sorted(struct clrsos_dupstrings *s, struct clrsos_watch *watch,
					      struct clrsos_dupstring **ret, size_t *ret_count, uint64_t *ret_wasted,
					      size_t *ret_unique)
{
	struct string_rec *r = s->recs.items;
	size_t n = s->recs.count;
	struct clrsos_error *err = sort_recs(r, n, watch);
	if (err)
		return err;
	uint8_t *rows = (uint8_t *)r;
	size_t nrows = 0, unique = 0;
	uint64_t wasted = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && r[j].hash == r[i].hash)
			j++;
		if ((err = clrsos_watch_tick(watch)))
			return err;
		if (j - i == 1)
			unique++;
		else if ((err = split_group(s, watch, i, j, rows, &nrows, &wasted, &unique)))
			return err;
		i = j;
	}
	/* The buffer now holds the rows: it becomes the caller's. */
	struct string_rec *items;
	size_t count;
	rec_vector_steal(&s->recs, &items, &count);
	struct clrsos_dupstring *out = (struct clrsos_dupstring *)(void *)items;
	if (!out && !(out = malloc(sizeof(*out))))
		return &clrsos_error_no_memory;
	if ((err = sort_rows(out, nrows, watch))) {
		free(out);
		return err;
	}
	if (nrows) {
		struct clrsos_dupstring *shrunk = realloc(out, nrows * sizeof(*out));
		if (shrunk)
			out = shrunk;
	}
	*ret = out;
	*ret_count = nrows;
	*ret_wasted = wasted;
	*ret_unique = unique;
	return NULL;
}
