/*
 * Address maps: non-zero 64-bit addresses to 64-bit values, for graph
 * searches over objects. A hashmap.h map (the one implementation); this
 * header keeps the interface its callers use.
 */
#ifndef CLRSOS_ADDRMAP_H
#define CLRSOS_ADDRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hashmap.h"

CLRSOS_HASHMAP(clrsos_addrmap_table, uint64_t, uint64_t, clrsos_hash_address, clrsos_u64_equal,
	       clrsos_u64_is_zero)

/* All zero is empty (as memset or = {0} leave it). */
struct clrsos_addrmap {
	struct clrsos_addrmap_table table;
};

/* Set key (non-zero) to value; false when out of memory. */
static inline bool clrsos_addrmap_put(struct clrsos_addrmap *m, uint64_t key, uint64_t value)
{
	/* The first table holds 512 addresses: a search meets many. */
	if (!m->table.capacity && clrsos_addrmap_table_reserve(&m->table, 512))
		return false;
	return !clrsos_addrmap_table_set(&m->table, key, value);
}

static inline bool clrsos_addrmap_get(const struct clrsos_addrmap *m, uint64_t key, uint64_t *ret)
{
	if (!key)
		return false;
	const struct clrsos_addrmap_table_entry *e = clrsos_addrmap_table_find(&m->table, key);
	if (e && ret)
		*ret = e->value;
	return e != NULL;
}

static inline void clrsos_addrmap_clear(struct clrsos_addrmap *m)
{
	clrsos_addrmap_table_clear(&m->table);
}

static inline void clrsos_addrmap_deinit(struct clrsos_addrmap *m)
{
	clrsos_addrmap_table_deinit(&m->table);
}

#endif
