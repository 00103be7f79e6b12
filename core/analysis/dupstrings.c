/*
 * Duplicate strings: see dupstrings.h.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/dupstrings.h"
#include "base/hashmap.h"
#include "model/clrstring.h"
#include "target/target.h"

struct string_key {
	uint64_t hash[2];
	uint32_t length;
};

static inline size_t string_key_hash(struct string_key k)
{
	return (size_t)k.hash[0];
}

static inline bool string_key_equal(struct string_key a, struct string_key b)
{
	return a.hash[0] == b.hash[0] && a.hash[1] == b.hash[1] && a.length == b.length;
}

/* Never a real key: an empty string's hash is not zero (clrsos_string_hash). */
static inline bool string_key_is_empty(struct string_key k)
{
	return !k.hash[0] && !k.hash[1] && !k.length;
}

struct string_tally {
	uint64_t count, size, first;
};

CLRSOS_HASHMAP(string_map, struct string_key, struct string_tally, string_key_hash, string_key_equal,
	       string_key_is_empty)

struct clrsos_dupstrings {
	struct string_map map;
	uint8_t *scratch; /* exact size: the longest string read so far, read whole */
	size_t scratch_cap;
};

struct clrsos_error *clrsos_dupstrings_create(struct clrsos_dupstrings **ret)
{
	struct clrsos_dupstrings *s = calloc(1, sizeof(*s));
	if (!s)
		return &clrsos_error_no_memory;
	string_map_init(&s->map);
	*ret = s;
	return NULL;
}

void clrsos_dupstrings_destroy(struct clrsos_dupstrings *s)
{
	if (!s)
		return;
	string_map_deinit(&s->map);
	free(s->scratch);
	free(s);
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
	if (obj->bytes_len < CLRSOS_STRING_CHARS_OFFSET + bytes) {
		if (bytes > s->scratch_cap) {
			uint8_t *g = realloc(s->scratch, (size_t)bytes);
			if (!g)
				return &clrsos_error_no_memory;
			s->scratch = g;
			s->scratch_cap = (size_t)bytes;
		}
		struct clrsos_error *err = clrsos_target_read(target, obj->address + CLRSOS_STRING_CHARS_OFFSET,
							      s->scratch, (size_t)bytes);
		if (err) {
			if (clrsos_error_is_no_memory(err))
				return err;
			clrsos_error_destroy(err);
			return NULL;
		}
		units = s->scratch;
	}
	struct string_key key = {{0, 0}, length};
	clrsos_string_hash(units, length, key.hash);
	struct string_map_entry *e;
	bool inserted;
	struct clrsos_error *err;
	/* The first table holds 2048 texts. */
	if ((!s->map.capacity && (err = string_map_reserve(&s->map, 2048))) ||
	    (err = string_map_insert(&s->map, key, &e, &inserted)))
		return err;
	if (inserted) {
		e->value.size = obj->size;
		e->value.first = obj->address;
	}
	e->value.count++;
	*ret_counted = true;
	return NULL;
}

static int cmp_by_waste(const void *a, const void *b)
{
	const struct clrsos_dupstring *x = a, *y = b;
	uint64_t wx = clrsos_dupstring_wasted(x), wy = clrsos_dupstring_wasted(y);
	if (wx != wy)
		return wx > wy ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

struct clrsos_error *clrsos_dupstrings_sorted(const struct clrsos_dupstrings *s, struct clrsos_dupstring **ret,
					      size_t *ret_count, uint64_t *ret_wasted, size_t *ret_unique)
{
	struct clrsos_dupstring *rows = malloc((s->map.count ? s->map.count : 1) * sizeof(*rows));
	if (!rows)
		return &clrsos_error_no_memory;
	size_t n = 0, unique = 0;
	uint64_t wasted = 0;
	for (const struct string_map_entry *e = string_map_first(&s->map); e; e = string_map_next(&s->map, e)) {
		if (e->value.count > 1) {
			rows[n] = (struct clrsos_dupstring){e->value.count, e->value.size, e->value.first, e->key.length};
			wasted += clrsos_dupstring_wasted(&rows[n]);
			n++;
		} else {
			unique++;
		}
	}
	qsort(rows, n, sizeof(*rows), cmp_by_waste);
	*ret = rows;
	*ret_count = n;
	*ret_wasted = wasted;
	*ret_unique = unique;
	return NULL;
}
