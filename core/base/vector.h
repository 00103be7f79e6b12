/*
 * Vectors: growable arrays, typed by macro. With hashmap.h and rows.h
 * (packed rows of numbers), the only container implementations in core/.
 *
 *   CLRSOS_VECTOR(u64_vector, uint64_t)
 *
 * defines struct u64_vector { uint64_t *items; size_t count, capacity; }
 * and static inline functions over it:
 *
 *   void u64_vector_init(struct u64_vector *v);      empty, nothing allocated
 *   void u64_vector_deinit(struct u64_vector *v);    frees items (not what they point to)
 *   struct clrsos_error *u64_vector_reserve(v, n);   capacity >= n
 *   struct clrsos_error *u64_vector_push(v, item);   append a copy of item
 *   uint64_t *u64_vector_push_slot(v);               append an item, zeroed; NULL: out of memory
 *   uint64_t *u64_vector_pop(v);                     remove the last (count > 0); valid until the next push
 *   void u64_vector_clear(v);                        count = 0, capacity kept
 *   void u64_vector_steal(v, &items, &count);        hand the buffer over (the caller frees it); v is empty
 *
 * Errors are out of memory only (&clrsos_error_no_memory), also when a
 * size would overflow. A struct whose fields must keep other names (a
 * public struct with items and a count) grows its array with
 * clrsos_array_reserve(&items, &capacity, needed), the same growth.
 */
#ifndef CLRSOS_VECTOR_H
#define CLRSOS_VECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

/* The allocator, replaceable before the first include (the unit tests inject failures). */
#ifndef CLRSOS_CONTAINER_REALLOC
#define CLRSOS_CONTAINER_REALLOC realloc
#endif

enum { CLRSOS_VECTOR_MIN_CAPACITY = 16 };

/*
 * Make *(T **)itemsp hold at least needed items of item_size bytes, doubling
 * *capacity. On failure nothing changes. itemsp is a T ** seen as void *:
 * the pointer is moved by memcpy, without type punning.
 */
__attribute__((unused, warn_unused_result)) static inline struct clrsos_error *
clrsos_array_reserve_(void *itemsp, size_t *capacity, size_t needed, size_t item_size)
{
	if (needed <= *capacity)
		return NULL;
	size_t cap = *capacity ? *capacity : (size_t)CLRSOS_VECTOR_MIN_CAPACITY;
	while (cap < needed) {
		if (cap > SIZE_MAX / 2)
			return &clrsos_error_no_memory;
		cap *= 2;
	}
	if (cap > SIZE_MAX / item_size)
		return &clrsos_error_no_memory;
	void *items;
	memcpy(&items, itemsp, sizeof(items));
	void *grown = CLRSOS_CONTAINER_REALLOC(items, cap * item_size);
	if (!grown)
		return &clrsos_error_no_memory;
	memcpy(itemsp, &grown, sizeof(grown));
	*capacity = cap;
	return NULL;
}

/* Room for needed items in *itemsp (a T **), *capacityp (a size_t *) of them allocated. */
#define clrsos_array_reserve(itemsp, capacityp, needed) \
	clrsos_array_reserve_((void *)(itemsp), (capacityp), (needed), sizeof(**(itemsp)))

#define CLRSOS_VECTOR(name, type)                                                             \
	struct name {                                                                          \
		type *items;                                                                   \
		size_t count, capacity;                                                        \
	};                                                                                     \
                                                                                               \
	__attribute__((unused)) static inline void name##_init(struct name *v)               \
	{                                                                                      \
		v->items = NULL;                                                               \
		v->count = 0;                                                                  \
		v->capacity = 0;                                                               \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline void name##_deinit(struct name *v)             \
	{                                                                                      \
		free(v->items);                                                                \
		name##_init(v);                                                                \
	}                                                                                      \
                                                                                               \
	__attribute__((unused, warn_unused_result)) static inline struct clrsos_error *       \
	name##_reserve(struct name *v, size_t n)                                               \
	{                                                                                      \
		return clrsos_array_reserve(&v->items, &v->capacity, n);                       \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline type *name##_push_slot(struct name *v)          \
	{                                                                                      \
		if (v->count == v->capacity &&                                                 \
		    (v->count == SIZE_MAX ||                                                   \
		     clrsos_array_reserve(&v->items, &v->capacity, v->count + 1)))             \
			return NULL;                                                           \
		type *slot = &v->items[v->count++];                                            \
		memset(slot, 0, sizeof(*slot));                                                \
		return slot;                                                                   \
	}                                                                                      \
                                                                                               \
	__attribute__((unused, warn_unused_result)) static inline struct clrsos_error *       \
	name##_push(struct name *v, type item)                                                 \
	{                                                                                      \
		if (v->count == v->capacity) {                                                 \
			if (v->count == SIZE_MAX)                                              \
				return &clrsos_error_no_memory;                                \
			struct clrsos_error *err =                                             \
				clrsos_array_reserve(&v->items, &v->capacity, v->count + 1);   \
			if (err)                                                               \
				return err;                                                    \
		}                                                                              \
		v->items[v->count++] = item;                                                   \
		return NULL;                                                                   \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline type *name##_pop(struct name *v)                \
	{                                                                                      \
		return &v->items[--v->count];                                                  \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline void name##_clear(struct name *v)              \
	{                                                                                      \
		v->count = 0;                                                                  \
	}                                                                                      \
                                                                                               \
	__attribute__((unused)) static inline void name##_steal(struct name *v, type **ret,   \
								 size_t *ret_count)            \
	{                                                                                      \
		*ret = v->items;                                                               \
		*ret_count = v->count;                                                         \
		name##_init(v);                                                                \
	}

#endif
