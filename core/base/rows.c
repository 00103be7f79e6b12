#include "base/rows.h"

#include <stdlib.h>
#include <string.h>

/* The zigzag code of b - a (mod 2^32), as a signed difference. */
static inline uint32_t zigzag(uint32_t a, uint32_t b)
{
	uint32_t d = b - a;
	return (d << 1) ^ (0u - (d >> 31));
}

static inline uint8_t *put_coded(uint8_t *p, uint32_t z)
{
	while (z >= 0x80) {
		*p++ = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	*p++ = (uint8_t)z;
	return p;
}

void clrsos_rows_init(struct clrsos_rows *rows)
{
	memset(rows, 0, sizeof(*rows));
}

struct clrsos_error *clrsos_rows_pack(struct clrsos_rows *rows, uint32_t count, uint32_t **firstp,
				      const uint32_t *values)
{
	return clrsos_rows_pack_within(rows, count, firstp, values, UINT32_MAX);
}

struct clrsos_error *clrsos_rows_pack_within(struct clrsos_rows *rows, uint32_t count, uint32_t **firstp,
					     const uint32_t *values, uint64_t block_limit)
{
	if (block_limit > UINT32_MAX)
		block_limit = UINT32_MAX;
	uint32_t *first = *firstp;
	size_t nblocks = ((size_t)count >> CLRSOS_ROWS_BLOCK_BITS) + 1;
	uint64_t *block = malloc(nblocks * sizeof(*block));
	/* Room for 1.25 bytes per value, grown when a row might not fit; shrunk at the end. */
	uint64_t nvalues = first[count];
	size_t cap = (size_t)(nvalues + nvalues / 4 + 64);
	uint8_t *bytes = malloc(cap);
	struct clrsos_error *err = NULL;
	if (!block || !bytes) {
		err = &clrsos_error_no_memory;
		goto fail;
	}
	/*
	 * One pass, first[] becoming start[] as it goes: row n's values are
	 * read (from first[n], saved) before start[n + 1] is written.
	 */
	size_t used = 0;
	uint32_t from = 0;
	for (uint32_t n = 0; n < count; n++) {
		if (!(n & (CLRSOS_ROWS_BLOCK - 1)))
			block[n >> CLRSOS_ROWS_BLOCK_BITS] = used;
		uint32_t to = first[n + 1];
		size_t most = 5 * (size_t)(to - from);
		if (cap - used < most) {
			size_t grown = cap + cap / 2 > used + most ? cap + cap / 2 : used + most;
			uint8_t *more = realloc(bytes, grown);
			if (!more) {
				err = &clrsos_error_no_memory;
				goto fail;
			}
			bytes = more;
			cap = grown;
		}
		uint64_t base = block[n >> CLRSOS_ROWS_BLOCK_BITS];
		first[n] = (uint32_t)(used - base);
		uint8_t *p = bytes + used;
		uint32_t last = n;
		for (uint32_t k = from; k < to; k++) {
			p = put_coded(p, zigzag(last, values[k]));
			last = values[k];
		}
		used = (size_t)(p - bytes);
		if (used - base > block_limit) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER,
						  "more than %llu bytes of packed rows in one block of %u rows: too many to pack",
						  (unsigned long long)block_limit, (unsigned)CLRSOS_ROWS_BLOCK);
			goto fail;
		}
		from = to;
	}
	if (!(count & (CLRSOS_ROWS_BLOCK - 1)))
		block[count >> CLRSOS_ROWS_BLOCK_BITS] = used;
	first[count] = (uint32_t)(used - block[count >> CLRSOS_ROWS_BLOCK_BITS]);
	uint8_t *fitted = realloc(bytes, used ? used : 1);
	rows->count = count;
	rows->start = first;
	rows->block = block;
	rows->bytes = fitted ? fitted : bytes;
	rows->nbytes = used;
	rows->values = nvalues;
	*firstp = NULL;
	return NULL;
fail:
	free(block);
	free(bytes);
	return err;
}

void clrsos_rows_deinit(struct clrsos_rows *rows)
{
	free(rows->start);
	free(rows->block);
	free(rows->bytes);
	clrsos_rows_init(rows);
}

uint64_t clrsos_rows_bytes(const struct clrsos_rows *rows)
{
	if (!rows->start)
		return 0;
	return ((uint64_t)rows->count + 1) * sizeof(*rows->start) +
	       (((uint64_t)rows->count >> CLRSOS_ROWS_BLOCK_BITS) + 1) * sizeof(*rows->block) + rows->nbytes;
}
