/*
 * Address maps: a hash map from non-zero 64-bit addresses to 64-bit values
 * (open addressing), for graph searches over objects.
 */
#ifndef CLRSOS_ADDRMAP_H
#define CLRSOS_ADDRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct clrsos_addrmap {
	uint64_t *keys; /* 0: empty */
	uint64_t *values;
	size_t cap, count;
};

/* Set key (non-zero) to value; false when out of memory. */
bool clrsos_addrmap_put(struct clrsos_addrmap *m, uint64_t key, uint64_t value);
bool clrsos_addrmap_get(const struct clrsos_addrmap *m, uint64_t key, uint64_t *ret);
void clrsos_addrmap_clear(struct clrsos_addrmap *m);
void clrsos_addrmap_deinit(struct clrsos_addrmap *m);

#endif
