#include "base/rows.h"

#include <stdlib.h>
#include <string.h>

/* The zigzag code of b - a (mod 2^32), as a signed difference. */
static inline uint32_t zigzag(uint32_t a, uint32_t b)
{
	uint32_t d = b - a;
	return (d << 1) ^ (0u - (d >> 31));
}

static inline unsigned coded_size(uint32_t z)
{
	unsigned size = 1;
	while (z >= 0x80) {
		z >>= 7;
		size++;
	}
	return size;
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
	uint32_t *first = *firstp;
	size_t nblocks = ((size_t)count >> CLRSOS_ROWS_BLOCK_BITS) + 1;
	uint64_t *block = malloc(nblocks * sizeof(*block));
	if (!block)
		return &clrsos_error_no_memory;
	/* How many bytes each block takes, and whether each fits the 32-bit offsets. */
	uint64_t total = 0, in_block = 0;
	for (uint32_t n = 0; n < count; n++) {
		if (!(n & (CLRSOS_ROWS_BLOCK - 1))) {
			block[n >> CLRSOS_ROWS_BLOCK_BITS] = total;
			in_block = 0;
		}
		uint32_t last = n;
		for (uint32_t k = first[n]; k < first[n + 1]; k++) {
			unsigned size = coded_size(zigzag(last, values[k]));
			total += size;
			in_block += size;
			last = values[k];
		}
		if (in_block > UINT32_MAX) {
			free(block);
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "more than 4 GB of rows in one block of %u: too many to pack",
						   (unsigned)CLRSOS_ROWS_BLOCK);
		}
	}
	if (!(count & (CLRSOS_ROWS_BLOCK - 1)))
		block[count >> CLRSOS_ROWS_BLOCK_BITS] = total;
	if (total > SIZE_MAX - 1) {
		free(block);
		return &clrsos_error_no_memory;
	}
	uint8_t *bytes = malloc(total ? (size_t)total : 1);
	if (!bytes) {
		free(block);
		return &clrsos_error_no_memory;
	}
	/* first[] becomes start[]: row n's values are read (from first[n], saved) before start[n + 1] is written. */
	uint8_t *p = bytes;
	uint32_t from = 0;
	for (uint32_t n = 0; n < count; n++) {
		uint32_t to = first[n + 1];
		first[n] = (uint32_t)((uint64_t)(p - bytes) - block[n >> CLRSOS_ROWS_BLOCK_BITS]);
		uint32_t last = n;
		for (uint32_t k = from; k < to; k++) {
			p = put_coded(p, zigzag(last, values[k]));
			last = values[k];
		}
		from = to;
	}
	first[count] = (uint32_t)((uint64_t)(p - bytes) - block[count >> CLRSOS_ROWS_BLOCK_BITS]);
	rows->count = count;
	rows->start = first;
	rows->block = block;
	rows->bytes = bytes;
	rows->nbytes = total;
	rows->values = count ? from : 0;
	*firstp = NULL;
	return NULL;
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
