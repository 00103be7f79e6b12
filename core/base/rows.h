/*
 * Packed rows: count rows of 32-bit values, read one row at a time, front
 * to back. Each value is kept as its difference from the one before it in
 * the row (the first: from the row's own number), zigzag-coded and written
 * in 7-bit groups, low first, the high bit of a byte saying another
 * follows: 1 byte when the difference is within +-63, at most 5. Rows of
 * object numbers whose values lie near each other, as a heap's referrers
 * do, take a byte or two per value instead of four.
 *
 * Where a row starts: a 32-bit offset per row from the start of its block
 * of CLRSOS_ROWS_BLOCK rows, plus a 64-bit offset per block, so that the
 * bytes may pass 4 GB.
 *
 *   struct clrsos_rows rows;
 *   clrsos_rows_pack(&rows, count, &first, values);   first[] is taken over
 *   struct clrsos_rows_cursor c;
 *   uint32_t v;
 *   for (clrsos_rows_open(&rows, n, &c); clrsos_rows_next(&c, &v);)
 *       ...
 *   clrsos_rows_deinit(&rows);
 */
#ifndef CLRSOS_ROWS_H
#define CLRSOS_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

enum { CLRSOS_ROWS_BLOCK_BITS = 16, CLRSOS_ROWS_BLOCK = 1 << CLRSOS_ROWS_BLOCK_BITS };

struct clrsos_rows {
	uint32_t count;   /* rows 0 .. count - 1 */
	uint32_t *start;  /* count + 1: where each row starts, from its block's offset */
	uint64_t *block;  /* (count >> CLRSOS_ROWS_BLOCK_BITS) + 1: where each block starts in bytes[] */
	uint8_t *bytes;
	uint64_t nbytes;
	uint64_t values;  /* in all rows */
};

/*
 * Pack count rows given as (*first)[n] .. (*first)[n + 1] in values[]
 * ((*first)[0] = 0). On success the rows own the array *first points to
 * (rewritten in place as their start[]) and *first is NULL; values[] is
 * not needed afterwards. On failure (out of memory, or more than 4 GB in
 * one block of rows) *first is still the caller's, to free, but what it
 * holds is lost; rows is unchanged.
 */
struct clrsos_error *clrsos_rows_pack(struct clrsos_rows *rows, uint32_t count, uint32_t **first,
				      const uint32_t *values);
/* The same, with at most block_limit bytes (at most UINT32_MAX) in a block: the unit tests reach the limit. */
struct clrsos_error *clrsos_rows_pack_within(struct clrsos_rows *rows, uint32_t count, uint32_t **first,
					     const uint32_t *values, uint64_t block_limit);
/* Empty rows (count 0); deinit frees them. */
void clrsos_rows_init(struct clrsos_rows *rows);
void clrsos_rows_deinit(struct clrsos_rows *rows);
/* The bytes the rows hold. */
uint64_t clrsos_rows_bytes(const struct clrsos_rows *rows);

struct clrsos_rows_cursor {
	const uint8_t *p, *end;
	uint32_t last;
};

static inline const uint8_t *clrsos_rows_at_(const struct clrsos_rows *rows, uint32_t n)
{
	return rows->bytes + rows->block[n >> CLRSOS_ROWS_BLOCK_BITS] + rows->start[n];
}

/* Start reading row n (n < count). */
static inline void clrsos_rows_open(const struct clrsos_rows *rows, uint32_t n, struct clrsos_rows_cursor *c)
{
	c->p = clrsos_rows_at_(rows, n);
	c->end = clrsos_rows_at_(rows, n + 1);
	c->last = n;
}

/* The row's next value into *v, or false at its end. */
static inline bool clrsos_rows_next(struct clrsos_rows_cursor *c, uint32_t *v)
{
	if (c->p >= c->end)
		return false;
	uint32_t z = 0;
	for (unsigned shift = 0; c->p < c->end && shift < 35; shift += 7) {
		uint8_t b = *c->p++;
		z |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	c->last += (z >> 1) ^ (0u - (z & 1));
	*v = c->last;
	return true;
}

#endif
