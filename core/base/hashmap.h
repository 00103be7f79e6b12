/*
 * Hash maps and sets: open addressing with linear probing in one array of
 * entries (key and value side by side), a power-of-two capacity, grown to
 * double when more than half full. Typed by macro; the hash, equality and
 * emptiness tests are macro parameters (a macro or a static inline
 * function), so a probe costs no call. With vector.h, the only container
 * implementation in core/.
 *
 *   CLRSOS_HASHMAP(mt_map, uint64_t, struct clrsos_type *,
 *                  clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)
 *
 * defines struct mt_map_entry { uint64_t key; struct clrsos_type *value; },
 * struct mt_map { struct mt_map_entry *entries; size_t capacity, count; }
 * and static inline functions over it:
 *
 *   void mt_map_init(m);                      empty, nothing allocated
 *   void mt_map_deinit(m);                    frees the entries (not what they point to)
 *   struct clrsos_error *mt_map_reserve(m, n);   room for n keys without growing
 *   struct mt_map_entry *mt_map_find(m, key);    NULL if absent
 *   struct clrsos_error *mt_map_insert(m, key, &entry, &inserted);
 *                                             find key, or add it with a zeroed value
 *   struct clrsos_error *mt_map_set(m, key, value);   add or overwrite
 *   void mt_map_remove(m, entry);             (entries after it may move)
 *   struct mt_map_entry *mt_map_first(m), *mt_map_next(m, entry);
 *                                             every entry once, in no order; no
 *                                             insert or remove meanwhile
 *   void mt_map_clear(m);                     count = 0, capacity kept
 *
 * CLRSOS_HASHSET(name, key_type, hash, equal, is_empty) is the same
 * without values (entries hold a key only; no _set).
 *
 * hash(key) gives a size_t whose low bits are well mixed (the table masks
 * them); equal(a, b) compares two keys; is_empty(key) tells a free slot.
 * Free slots are all zero bytes: the all-zero key must be empty, so it
 * can never be stored. An entry pointer is valid until the next insert or
 * remove. Errors are out of memory only (&clrsos_error_no_memory), also
 * when a size would overflow.
 */
#ifndef CLRSOS_HASHMAP_H
#define CLRSOS_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

/* The allocator, replaceable before the first include (the unit tests inject failures). */
#ifndef CLRSOS_CONTAINER_CALLOC
#define CLRSOS_CONTAINER_CALLOC calloc
#endif

enum { CLRSOS_HASHMAP_MIN_CAPACITY = 16 };

/* Addresses (8-byte aligned): Fibonacci hashing, the well mixed high bits brought down. */
__attribute__((unused)) static inline size_t clrsos_hash_address(uint64_t address)
{
	return (size_t)((address >> 3) * 0x9e3779b97f4a7c15ull >> 20);
}

__attribute__((unused)) static inline bool clrsos_u64_equal(uint64_t a, uint64_t b)
{
	return a == b;
}

__attribute__((unused)) static inline bool clrsos_u64_is_zero(uint64_t key)
{
	return key == 0;
}

/* The capacity holding n keys at most half full, or 0 if it would overflow. */
__attribute__((unused)) static inline size_t clrsos_hash_capacity_(size_t capacity, size_t n, size_t entry_size)
{
	size_t cap = capacity ? capacity : (size_t)CLRSOS_HASHMAP_MIN_CAPACITY;
	if (n > SIZE_MAX / 2)
		return 0;
	while (cap < 2 * n) {
		if (cap > SIZE_MAX / 2)
			return 0;
		cap *= 2;
	}
	return cap > SIZE_MAX / entry_size ? 0 : cap;
}

#define CLRSOS_HASH_TABLE_(name, key_type, hash, equal, is_empty)                              \
	struct name {                                                                          \
		struct name##_entry *entries;                                                  \
		size_t capacity, count;                                                        \
	};                                                                                     \
                                                                                               \
	__attribute__((unused)) static inline void name##_init(struct name *m)                \
	{                                                                                      \
		m->entries = NULL;                                                             \
		m->capacity = 0;                                                               \
		m->count = 0;                                                                  \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline void name##_deinit(struct name *m)              \
	{                                                                                      \
		free(m->entries);                                                              \
		name##_init(m);                                                                \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline void name##_clear(struct name *m)               \
	{                                                                                      \
		if (m->entries)                                                                \
			memset(m->entries, 0, m->capacity * sizeof(*m->entries));             \
		m->count = 0;                                                                  \
	}                                                                                      \
                                                                                               \
	/* Where key is, or the free slot where it would go (capacity > 0). */                \
	__attribute__((unused)) static inline struct name##_entry *name##_probe_(             \
		const struct name *m, key_type key)                                           \
	{                                                                                      \
		size_t mask = m->capacity - 1, i = (size_t)(hash(key)) & mask;                 \
		while (!is_empty(m->entries[i].key) && !equal(m->entries[i].key, key))         \
			i = (i + 1) & mask;                                                    \
		return &m->entries[i];                                                         \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline struct name##_entry *name##_find(               \
		const struct name *m, key_type key)                                           \
	{                                                                                      \
		if (!m->capacity)                                                              \
			return NULL;                                                           \
		struct name##_entry *e = name##_probe_(m, key);                                \
		return is_empty(e->key) ? NULL : e;                                            \
	}                                                                                      \
                                                                                               \
	__attribute__((unused, warn_unused_result)) static inline struct clrsos_error *       \
	name##_reserve(struct name *m, size_t n)                                               \
	{                                                                                      \
		if (n <= m->capacity / 2)                                                      \
			return NULL;                                                           \
		size_t cap = clrsos_hash_capacity_(m->capacity, n, sizeof(*m->entries));       \
		if (!cap)                                                                      \
			return &clrsos_error_no_memory;                                        \
		struct name##_entry *entries =                                                 \
			(struct name##_entry *)CLRSOS_CONTAINER_CALLOC(cap, sizeof(*entries)); \
		if (!entries)                                                                  \
			return &clrsos_error_no_memory;                                        \
		for (size_t i = 0; i < m->capacity; i++) {                                     \
			if (is_empty(m->entries[i].key))                                       \
				continue;                                                      \
			size_t h = (size_t)(hash(m->entries[i].key)) & (cap - 1);              \
			while (!is_empty(entries[h].key))                                      \
				h = (h + 1) & (cap - 1);                                       \
			entries[h] = m->entries[i];                                            \
		}                                                                              \
		free(m->entries);                                                              \
		m->entries = entries;                                                          \
		m->capacity = cap;                                                             \
		return NULL;                                                                   \
	}                                                                                      \
                                                                                               \
	__attribute__((unused, warn_unused_result)) static inline struct clrsos_error *       \
	name##_insert(struct name *m, key_type key, struct name##_entry **ret, bool *ret_new)  \
	{                                                                                      \
		struct name##_entry *e = m->capacity ? name##_probe_(m, key) : NULL;           \
		if (e && !is_empty(e->key)) {                                                  \
			if (ret)                                                               \
				*ret = e;                                                      \
			if (ret_new)                                                           \
				*ret_new = false;                                              \
			return NULL;                                                           \
		}                                                                              \
		if (m->count + 1 > m->capacity / 2) {                                          \
			if (m->count == SIZE_MAX)                                              \
				return &clrsos_error_no_memory;                                \
			struct clrsos_error *err = name##_reserve(m, m->count + 1);            \
			if (err)                                                               \
				return err;                                                    \
			e = name##_probe_(m, key);                                             \
		}                                                                              \
		e->key = key;                                                                  \
		m->count++;                                                                    \
		if (ret)                                                                       \
			*ret = e;                                                              \
		if (ret_new)                                                                   \
			*ret_new = true;                                                       \
		return NULL;                                                                   \
	}                                                                                      \
                                                                                               \
	/* Backward shift: entries after it that probed past it move up. */                    \
	__attribute__((unused)) static inline void name##_remove(struct name *m,              \
								  struct name##_entry *e)       \
	{                                                                                      \
		size_t mask = m->capacity - 1, i = (size_t)(e - m->entries), j = i;            \
		for (;;) {                                                                     \
			j = (j + 1) & mask;                                                    \
			if (is_empty(m->entries[j].key))                                       \
				break;                                                         \
			size_t k = (size_t)(hash(m->entries[j].key)) & mask;                   \
			/* Move it unless its home k lies cyclically in (i, j]. */             \
			if (i < j ? (k <= i || k > j) : (k <= i && k > j)) {                   \
				m->entries[i] = m->entries[j];                                 \
				i = j;                                                         \
			}                                                                      \
		}                                                                              \
		memset(&m->entries[i], 0, sizeof(m->entries[i]));                             \
		m->count--;                                                                    \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline struct name##_entry *name##_next(               \
		const struct name *m, const struct name##_entry *e)                           \
	{                                                                                      \
		for (size_t i = e ? (size_t)(e - m->entries) + 1 : 0; i < m->capacity; i++)    \
			if (!is_empty(m->entries[i].key))                                      \
				return &m->entries[i];                                         \
		return NULL;                                                                   \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline struct name##_entry *name##_first(              \
		const struct name *m)                                                          \
	{                                                                                      \
		return name##_next(m, NULL);                                                   \
	}

#define CLRSOS_HASHMAP(name, key_type, value_type, hash, equal, is_empty)                      \
	struct name##_entry {                                                                  \
		key_type key;                                                                  \
		value_type value;                                                              \
	};                                                                                     \
	CLRSOS_HASH_TABLE_(name, key_type, hash, equal, is_empty)                              \
                                                                                               \
	__attribute__((unused, warn_unused_result)) static inline struct clrsos_error *       \
	name##_set(struct name *m, key_type key, value_type value)                             \
	{                                                                                      \
		struct name##_entry *e;                                                        \
		struct clrsos_error *err = name##_insert(m, key, &e, NULL);                    \
		if (!err)                                                                      \
			e->value = value;                                                      \
		return err;                                                                    \
	}

#define CLRSOS_HASHSET(name, key_type, hash, equal, is_empty)                                  \
	struct name##_entry {                                                                  \
		key_type key;                                                                  \
	};                                                                                     \
	CLRSOS_HASH_TABLE_(name, key_type, hash, equal, is_empty)

#endif
