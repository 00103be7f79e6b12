/*
 * The containers (core/base/vector.h, core/base/hashmap.h): growth, stealing,
 * many keys, collisions, removal, iteration, and every out-of-memory path
 * (allocation failures injected through the containers' allocator hooks);
 * the in-place sort (core/base/sort.h) against qsort on inputs that take
 * each of its paths, and its interruption; packed rows (core/base/rows.h):
 * every value back, in order, across blocks, at the size promised.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Allocations fail once fail_after more have succeeded (-1: never). */
static long fail_after = -1;

static void *inject_realloc(void *p, size_t size)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return realloc(p, size);
}

static void *inject_calloc(size_t n, size_t size)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return calloc(n, size);
}

#define CLRSOS_CONTAINER_REALLOC inject_realloc
#define CLRSOS_CONTAINER_CALLOC inject_calloc
#include "base/hashmap.h"
#include "base/rows.h"
#include "base/sort.h"
#include "base/vector.h"
#include "tests.h"

CLRSOS_VECTOR(u64_vector, uint64_t)

struct pair {
	uint32_t a;
	char b[12];
};
CLRSOS_VECTOR(pair_vector, struct pair)

CLRSOS_HASHMAP(addr_map, uint64_t, uint64_t, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

/* Every key in one chain: the worst hash. */
static inline size_t bad_hash(uint64_t key)
{
	(void)key;
	return 7;
}
CLRSOS_HASHMAP(bad_map, uint64_t, uint32_t, bad_hash, clrsos_u64_equal, clrsos_u64_is_zero)

/* Keys of two words, as -strings' 128-bit hashes; only the low 4 bits hashed (many collisions). */
struct key128 {
	uint64_t lo, hi;
};
static inline size_t key128_hash(struct key128 k)
{
	return (size_t)(k.lo & 15);
}
static inline bool key128_equal(struct key128 a, struct key128 b)
{
	return a.lo == b.lo && a.hi == b.hi;
}
static inline bool key128_is_empty(struct key128 k)
{
	return !k.lo && !k.hi;
}
CLRSOS_HASHSET(key128_set, struct key128, key128_hash, key128_equal, key128_is_empty)

/* Sorted by key, then by tag: a total order, so any correct sort gives qsort's result. */
struct keyed {
	uint64_t key;
	uint32_t tag;
};
static inline bool keyed_less(const struct keyed *a, const struct keyed *b)
{
	return a->key < b->key || (a->key == b->key && a->tag < b->tag);
}
CLRSOS_SORT(sort_keyed, struct keyed, keyed_less)

/* Only the key: many equal items, in no defined order among themselves. */
static inline bool key_less(const struct keyed *a, const struct keyed *b)
{
	return a->key < b->key;
}
CLRSOS_SORT(sort_by_key, struct keyed, key_less)

/* Item by item (the struct's padding is not compared). */
static void assert_same_items(const struct keyed *a, const struct keyed *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(a[i].key, b[i].key);
		assert_int_equal(a[i].tag, b[i].tag);
	}
}

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	return keyed_less(x, y) ? -1 : keyed_less(y, x) ? 1 : 0;
}

static int reset_allocator(void **state)
{
	(void)state;
	fail_after = -1;
	return 0;
}

static void test_vector__push_grows_and_keeps_every_item(void **state)
{
	(void)state;
	struct u64_vector v;
	u64_vector_init(&v);
	assert_null(v.items);
	for (uint64_t i = 0; i < 100000; i++)
		assert_null(u64_vector_push(&v, i * 3));
	assert_int_equal(v.count, 100000);
	assert_true(v.capacity >= v.count);
	assert_int_equal(v.capacity & (v.capacity - 1), 0); /* doubled from a power of two */
	for (uint64_t i = 0; i < 100000; i++)
		assert_int_equal(v.items[i], i * 3);
	assert_int_equal(*u64_vector_pop(&v), 99999 * 3);
	assert_int_equal(*u64_vector_pop(&v), 99998 * 3);
	assert_int_equal(v.count, 99998);
	size_t cap = v.capacity;
	u64_vector_clear(&v);
	assert_int_equal(v.count, 0);
	assert_int_equal(v.capacity, cap);
	u64_vector_deinit(&v);
	assert_null(v.items);
	assert_int_equal(v.capacity, 0);
}

static void test_vector__push_slot_is_zeroed_and_structs_copy(void **state)
{
	(void)state;
	struct pair_vector v;
	pair_vector_init(&v);
	struct pair p = {.a = 7, .b = "seven"};
	assert_null(pair_vector_push(&v, p));
	struct pair *s = pair_vector_push_slot(&v);
	assert_non_null(s);
	assert_int_equal(s->a, 0);
	assert_int_equal(s->b[0], 0);
	s->a = 8;
	assert_int_equal(v.count, 2);
	assert_int_equal(v.items[0].a, 7);
	assert_string_equal(v.items[0].b, "seven");
	assert_int_equal(v.items[1].a, 8);
	pair_vector_deinit(&v);
}

static void test_vector__reserve_then_steal_hands_the_buffer_over(void **state)
{
	(void)state;
	struct u64_vector v;
	u64_vector_init(&v);
	assert_null(u64_vector_reserve(&v, 1000));
	assert_true(v.capacity >= 1000);
	uint64_t *before = v.items;
	for (uint64_t i = 0; i < 1000; i++)
		assert_null(u64_vector_push(&v, i));
	assert_ptr_equal(v.items, before); /* reserved: no move */
	uint64_t *items;
	size_t n;
	u64_vector_steal(&v, &items, &n);
	assert_int_equal(n, 1000);
	assert_ptr_equal(items, before);
	assert_int_equal(items[999], 999);
	assert_null(v.items);
	assert_int_equal(v.count, 0);
	assert_int_equal(v.capacity, 0);
	free(items);
	/* An empty vector hands over nothing. */
	u64_vector_steal(&v, &items, &n);
	assert_null(items);
	assert_int_equal(n, 0);
}

static void test_vector__out_of_memory_keeps_what_was_there(void **state)
{
	(void)state;
	struct u64_vector v;
	u64_vector_init(&v);
	for (uint64_t i = 0; i < CLRSOS_VECTOR_MIN_CAPACITY; i++)
		assert_null(u64_vector_push(&v, i));
	fail_after = 0;
	assert_ptr_equal(u64_vector_push(&v, 99), &clrsos_error_no_memory);
	assert_null(u64_vector_push_slot(&v));
	assert_ptr_equal(u64_vector_reserve(&v, 1000), &clrsos_error_no_memory);
	assert_int_equal(v.count, CLRSOS_VECTOR_MIN_CAPACITY);
	assert_int_equal(v.capacity, CLRSOS_VECTOR_MIN_CAPACITY);
	assert_int_equal(v.items[CLRSOS_VECTOR_MIN_CAPACITY - 1], CLRSOS_VECTOR_MIN_CAPACITY - 1);
	fail_after = -1;
	assert_null(u64_vector_push(&v, 99));
	assert_int_equal(v.items[CLRSOS_VECTOR_MIN_CAPACITY], 99);
	/* Sizes that would overflow fail without allocating. */
	assert_ptr_equal(u64_vector_reserve(&v, SIZE_MAX), &clrsos_error_no_memory);
	assert_ptr_equal(u64_vector_reserve(&v, SIZE_MAX / 4), &clrsos_error_no_memory);
	assert_int_equal(v.count, CLRSOS_VECTOR_MIN_CAPACITY + 1);
	u64_vector_deinit(&v);
}

static void test_vector__array_reserve_grows_a_plain_array(void **state)
{
	(void)state;
	struct pair *items = NULL;
	size_t count = 0, cap = 0;
	for (uint32_t i = 0; i < 500; i++) {
		assert_null(clrsos_array_reserve(&items, &cap, count + 1));
		items[count++] = (struct pair){.a = i};
	}
	assert_true(cap >= 500);
	assert_int_equal(items[499].a, 499);
	fail_after = 0;
	assert_ptr_equal(clrsos_array_reserve(&items, &cap, cap + 1), &clrsos_error_no_memory);
	assert_int_equal(items[499].a, 499);
	free(items);
}

static void test_hashmap__insert_find_overwrite_and_grow(void **state)
{
	(void)state;
	struct addr_map m;
	addr_map_init(&m);
	assert_null(addr_map_find(&m, 0x1000)); /* empty: no table yet */
	enum { N = 200000 };
	for (uint64_t i = 1; i <= N; i++)
		assert_null(addr_map_set(&m, i * 8, i));
	assert_int_equal(m.count, N);
	assert_true(m.count * 2 <= m.capacity);
	assert_int_equal(m.capacity & (m.capacity - 1), 0);
	for (uint64_t i = 1; i <= N; i++) {
		struct addr_map_entry *e = addr_map_find(&m, i * 8);
		assert_non_null(e);
		assert_int_equal(e->value, i);
	}
	assert_null(addr_map_find(&m, (N + 1) * 8));
	assert_null(addr_map_find(&m, 12));
	/* Overwrite: same count, new value. */
	assert_null(addr_map_set(&m, 80, 4242));
	assert_int_equal(m.count, N);
	assert_int_equal(addr_map_find(&m, 80)->value, 4242);
	/* insert finds what is there. */
	struct addr_map_entry *e = NULL;
	bool inserted = true;
	assert_null(addr_map_insert(&m, 80, &e, &inserted));
	assert_false(inserted);
	assert_int_equal(e->value, 4242);
	assert_null(addr_map_insert(&m, 0x10000008, &e, &inserted));
	assert_true(inserted);
	assert_int_equal(e->key, 0x10000008);
	assert_int_equal(e->value, 0); /* a new entry's value is zeroed */
	addr_map_clear(&m);
	assert_int_equal(m.count, 0);
	assert_null(addr_map_find(&m, 80));
	addr_map_deinit(&m);
	assert_null(m.entries);
}

static void test_hashmap__a_bad_hash_still_finds_every_key_and_removes(void **state)
{
	(void)state;
	struct bad_map m;
	bad_map_init(&m);
	enum { N = 2000 };
	for (uint32_t i = 1; i <= N; i++)
		assert_null(bad_map_set(&m, i, i * 10));
	assert_int_equal(m.count, N);
	for (uint32_t i = 1; i <= N; i++)
		assert_int_equal(bad_map_find(&m, i)->value, i * 10);
	/* Remove every third key: the others must stay reachable past the holes. */
	for (uint32_t i = 3; i <= N; i += 3)
		bad_map_remove(&m, bad_map_find(&m, i));
	for (uint32_t i = 1; i <= N; i++) {
		struct bad_map_entry *e = bad_map_find(&m, i);
		if (i % 3 == 0) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_int_equal(e->value, i * 10);
		}
	}
	assert_int_equal(m.count, N - N / 3);
	bad_map_deinit(&m);
}

static void test_hashmap__remove_across_the_wrap_keeps_chains(void **state)
{
	(void)state;
	/* With a good hash and many removals, keys wrapping past the table's end are kept. */
	struct addr_map m;
	addr_map_init(&m);
	enum { N = 5000 };
	for (uint64_t i = 1; i <= N; i++)
		assert_null(addr_map_set(&m, i * 8, i));
	for (uint64_t i = 1; i <= N; i += 2)
		addr_map_remove(&m, addr_map_find(&m, i * 8));
	for (uint64_t i = 1; i <= N; i++) {
		struct addr_map_entry *e = addr_map_find(&m, i * 8);
		if (i % 2)
			assert_null(e);
		else
			assert_true(e && e->value == i);
	}
	/* Removed keys come back as new entries. */
	assert_null(addr_map_set(&m, 8, 77));
	assert_int_equal(addr_map_find(&m, 8)->value, 77);
	assert_int_equal(m.count, N / 2 + 1);
	addr_map_deinit(&m);
}

static void test_hashmap__iteration_visits_each_entry_once(void **state)
{
	(void)state;
	struct key128_set s;
	key128_set_init(&s);
	assert_null(key128_set_first(&s));
	enum { N = 3000 };
	for (uint64_t i = 1; i < N; i++) {
		bool inserted;
		/* lo == 0 for some keys: only the all-zero key is empty. */
		struct key128 k = {.lo = i % 7, .hi = i};
		assert_null(key128_set_insert(&s, k, NULL, &inserted));
		assert_true(inserted);
		assert_null(key128_set_insert(&s, k, NULL, &inserted));
		assert_false(inserted);
	}
	assert_int_equal(s.count, N - 1);
	uint8_t *seen = calloc(N, 1);
	assert_non_null(seen);
	size_t visits = 0;
	for (struct key128_set_entry *e = key128_set_first(&s); e; e = key128_set_next(&s, e)) {
		assert_true(e->key.hi < N);
		assert_int_equal(e->key.lo, e->key.hi % 7);
		seen[e->key.hi]++;
		visits++;
	}
	assert_int_equal(visits, s.count);
	for (uint64_t i = 1; i < N; i++)
		assert_int_equal(seen[i], 1);
	free(seen);
	key128_set_deinit(&s);
}

static void test_hashmap__out_of_memory_keeps_the_table(void **state)
{
	(void)state;
	struct addr_map m;
	addr_map_init(&m);
	fail_after = 0;
	assert_ptr_equal(addr_map_set(&m, 8, 1), &clrsos_error_no_memory);
	assert_int_equal(m.count, 0);
	assert_null(addr_map_find(&m, 8));
	fail_after = -1;
	/* Fill to the load limit, then fail the growth. */
	uint64_t k = 1;
	assert_null(addr_map_set(&m, 8 * k, 1));
	while (m.count + 1 <= m.capacity / 2) {
		k++;
		assert_null(addr_map_set(&m, 8 * k, k));
	}
	k++;
	size_t cap = m.capacity, count = m.count;
	fail_after = 0;
	assert_ptr_equal(addr_map_set(&m, 8 * k, k), &clrsos_error_no_memory);
	assert_ptr_equal(addr_map_reserve(&m, cap), &clrsos_error_no_memory);
	assert_int_equal(m.capacity, cap);
	assert_int_equal(m.count, count);
	assert_null(addr_map_find(&m, 8 * k));
	/* An existing key is found and overwritten without allocating. */
	assert_null(addr_map_set(&m, 8, 5));
	assert_int_equal(addr_map_find(&m, 8)->value, 5);
	fail_after = -1;
	assert_null(addr_map_set(&m, 8 * k, k));
	assert_true(m.capacity > cap);
	for (uint64_t i = 2; i <= k; i++)
		assert_non_null(addr_map_find(&m, 8 * i));
	/* Sizes that would overflow fail without allocating. */
	assert_ptr_equal(addr_map_reserve(&m, SIZE_MAX), &clrsos_error_no_memory);
	assert_ptr_equal(addr_map_reserve(&m, SIZE_MAX / 16), &clrsos_error_no_memory);
	addr_map_deinit(&m);
}

static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

enum shape { RANDOM, FEW_KEYS, SORTED, REVERSED, ALL_EQUAL, ORGAN_PIPE, SHAPES };

static void fill(struct keyed *a, size_t n, enum shape shape, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t k = next_random(seed);
		switch (shape) {
		case FEW_KEYS:
			k %= 5;
			break;
		case SORTED:
			k = i;
			break;
		case REVERSED:
			k = n - i;
			break;
		case ALL_EQUAL:
			k = 42;
			break;
		case ORGAN_PIPE:
			k = i < n / 2 ? i : n - i;
			break;
		default:
			break;
		}
		a[i] = (struct keyed){k, (uint32_t)i};
	}
}

static void test_sort__same_as_qsort_on_every_shape_and_size(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 100, 1000, 65537};
	struct keyed *a = malloc(65537 * sizeof(*a)), *b = malloc(65537 * sizeof(*b));
	assert_non_null(a);
	assert_non_null(b);
	uint64_t seed = 88172645463325252ull;
	for (int shape = 0; shape < SHAPES; shape++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
			size_t n = sizes[s];
			fill(a, n, (enum shape)shape, &seed);
			memcpy(b, a, n * sizeof(*a));
			assert_null(sort_keyed(a, n, NULL));
			qsort(b, n, sizeof(*b), cmp_keyed);
			assert_same_items(a, b, n);
			/* By key only: sorted, and the same items (their tags are 0..n-1). */
			fill(a, n, (enum shape)shape, &seed);
			assert_null(sort_by_key(a, n, NULL));
			uint64_t tags = 0;
			for (size_t i = 0; i < n; i++) {
				if (i)
					assert_true(a[i - 1].key <= a[i].key);
				tags += a[i].tag;
			}
			assert_int_equal(tags, n ? (uint64_t)n * (n - 1) / 2 : 0);
		}
	}
	free(a);
	free(b);
}

/* Past its depth limit the sort finishes with a heapsort: at depth 0 the first step goes there. */
static void test_sort__depth_limit_falls_back_to_heapsort(void **state)
{
	(void)state;
	enum { N = 4096 };
	struct keyed a[N], b[N];
	uint64_t seed = 1;
	fill(a, N, RANDOM, &seed);
	memcpy(b, a, sizeof(a));
	/* Depth 0: the first partition step goes straight to the heapsort. */
	assert_null(sort_keyed_intro(a, N, 0, NULL));
	qsort(b, N, sizeof(*b), cmp_keyed);
	assert_same_items(a, b, N);
}

static bool stop_now(void *ctx)
{
	++*(unsigned *)ctx;
	return true;
}

static void test_sort__interrupted_keeps_every_item(void **state)
{
	(void)state;
	enum { N = 1 << 20 };
	struct keyed *a = malloc(N * sizeof(*a));
	assert_non_null(a);
	uint64_t seed = 7;
	fill(a, N, RANDOM, &seed);
	unsigned polls = 0;
	struct clrsos_watch w;
	clrsos_watch_init(&w, "test", stop_now, &polls, NULL, false);
	struct clrsos_error *err = sort_keyed(a, N, &w);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_INTERRUPTED);
	clrsos_error_destroy(err);
	assert_int_equal(polls, 1);
	/* Stopped early (not sorted yet), every item still there once. */
	bool sorted = true;
	uint64_t tags = 0;
	for (size_t i = 0; i < N; i++) {
		sorted &= !i || !keyed_less(&a[i], &a[i - 1]);
		tags += a[i].tag;
	}
	assert_false(sorted);
	assert_int_equal(tags, (uint64_t)N * (N - 1) / 2);
	/* The heapsort path stops too. */
	err = sort_keyed_heapsort(a, N, &w);
	assert_non_null(err);
	clrsos_error_destroy(err);
	free(a);
}

/* Pack rows given as lengths and values; first[] is made here and taken over by the rows. */
static void pack_rows(struct clrsos_rows *rows, uint32_t count, const uint32_t *lengths, const uint32_t *values)
{
	uint32_t *first = calloc((size_t)count + 1, sizeof(uint32_t));
	assert_non_null(first);
	for (uint32_t n = 0; n < count; n++)
		first[n + 1] = first[n] + lengths[n];
	assert_null(clrsos_rows_pack(rows, count, &first, values));
	assert_null(first);
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static void test_rows__every_value_back_in_order_across_blocks(void **state)
{
	(void)state;
	/* Three blocks and a part; rows empty, short and long; values near, far, and at both ends of 32 bits. */
	enum { COUNT = 3 * CLRSOS_ROWS_BLOCK + 5 };
	uint32_t *lengths = calloc(COUNT, sizeof(uint32_t));
	assert_non_null(lengths);
	size_t total = 0;
	for (uint32_t n = 0; n < COUNT; n++) {
		uint32_t kind = rng() % 16;
		lengths[n] = kind < 4 ? 0 : kind < 12 ? 1 : kind < 15 ? 2 + rng() % 5 : rng() % 300;
		total += lengths[n];
	}
	uint32_t *values = malloc((total ? total : 1) * sizeof(uint32_t));
	assert_non_null(values);
	size_t k = 0;
	for (uint32_t n = 0; n < COUNT; n++) {
		for (uint32_t j = 0; j < lengths[n]; j++) {
			uint32_t kind = rng() % 8, before = k ? values[k - 1] : 0;
			values[k] = kind == 0   ? 0
				    : kind == 1 ? UINT32_MAX
				    : kind == 2 ? rng() ^ (rng() << 21)
				    : kind < 6  ? n + rng() % 200 - 100
						: before + rng() % 70;
			k++;
		}
	}
	struct clrsos_rows rows;
	pack_rows(&rows, COUNT, lengths, values);
	assert_int_equal(rows.count, COUNT);
	assert_int_equal(rows.values, total);
	assert_true(rows.nbytes >= total && rows.nbytes <= 5 * (uint64_t)total);
	assert_int_equal(clrsos_rows_bytes(&rows), ((uint64_t)COUNT + 1) * 4 + 4 * 8 + rows.nbytes);
	k = 0;
	for (uint32_t n = 0; n < COUNT; n++) {
		struct clrsos_rows_cursor c;
		uint32_t v, got = 0;
		for (clrsos_rows_open(&rows, n, &c); clrsos_rows_next(&c, &v); got++)
			assert_int_equal(v, values[k++]);
		assert_int_equal(got, lengths[n]);
		assert_false(clrsos_rows_next(&c, &v)); /* and stays at its end */
	}
	assert_int_equal(k, total);
	clrsos_rows_deinit(&rows);
	assert_null(rows.start);
	free(lengths);
	free(values);
}

static void test_rows__near_values_take_a_byte(void **state)
{
	(void)state;
	/*
	 * Row 1000: 937 (-63 from the row's own number), then +63, +64, -1,
	 * 0, -1063, and from 0 to UINT32_MAX (-1, mod 2^32).
	 */
	uint32_t lengths[1001] = {0};
	lengths[0] = 1;
	lengths[1000] = 7;
	const uint32_t values[] = {0xfffffff0u, 937, 1000, 1064, 1063, 1063, 0, UINT32_MAX};
	struct clrsos_rows rows;
	pack_rows(&rows, 1001, lengths, values);
	/* 0 -> 0xfffffff0 is -16: 1 byte. Row 1000: 1 + 1 + 2 + 1 + 1 + (1063 -> 0: -1063, 2) + 1. */
	assert_int_equal(rows.nbytes, 1 + 1 + 1 + 2 + 1 + 1 + 2 + 1);
	struct clrsos_rows_cursor c;
	uint32_t v;
	clrsos_rows_open(&rows, 1000, &c);
	for (size_t i = 1; i < 8; i++) {
		assert_true(clrsos_rows_next(&c, &v));
		assert_int_equal(v, values[i]);
	}
	assert_false(clrsos_rows_next(&c, &v));
	clrsos_rows_open(&rows, 0, &c);
	assert_true(clrsos_rows_next(&c, &v));
	assert_int_equal(v, 0xfffffff0u);
	clrsos_rows_open(&rows, 999, &c);
	assert_false(clrsos_rows_next(&c, &v));
	clrsos_rows_deinit(&rows);
	/* A far value: 0x40000000 from row 2 is 5 bytes. */
	uint32_t far_lengths[3] = {0, 0, 1};
	const uint32_t far[] = {0x40000002u};
	pack_rows(&rows, 3, far_lengths, far);
	assert_int_equal(rows.nbytes, 5);
	clrsos_rows_open(&rows, 2, &c);
	assert_true(clrsos_rows_next(&c, &v));
	assert_int_equal(v, far[0]);
	clrsos_rows_deinit(&rows);
}

static void test_rows__none(void **state)
{
	(void)state;
	struct clrsos_rows rows;
	clrsos_rows_init(&rows);
	assert_int_equal(clrsos_rows_bytes(&rows), 0);
	clrsos_rows_deinit(&rows);
	pack_rows(&rows, 0, NULL, NULL);
	assert_int_equal(rows.count, 0);
	assert_int_equal(rows.values, 0);
	assert_int_equal(rows.nbytes, 0);
	clrsos_rows_deinit(&rows);
	/* A whole block of empty rows, exactly: the block after it starts at the end. */
	uint32_t *lengths = calloc(CLRSOS_ROWS_BLOCK, sizeof(uint32_t));
	assert_non_null(lengths);
	pack_rows(&rows, CLRSOS_ROWS_BLOCK, lengths, NULL);
	struct clrsos_rows_cursor c;
	uint32_t v;
	clrsos_rows_open(&rows, CLRSOS_ROWS_BLOCK - 1, &c);
	assert_false(clrsos_rows_next(&c, &v));
	clrsos_rows_deinit(&rows);
	free(lengths);
}

static void test_rows__a_block_over_its_limit_fails_and_leaves_the_rows_empty(void **state)
{
	(void)state;
	/* 70000 rows of one value far from the row (5 bytes each): the first block takes 327,680 bytes. */
	enum { COUNT = 70000 };
	uint32_t *first = calloc(COUNT + 1, sizeof(uint32_t)), *values = calloc(COUNT, sizeof(uint32_t));
	assert_non_null(first);
	assert_non_null(values);
	for (uint32_t n = 0; n < COUNT; n++) {
		first[n + 1] = n + 1;
		values[n] = n + 0x80000000u;
	}
	struct clrsos_rows rows;
	clrsos_rows_init(&rows);
	uint32_t *given = first;
	struct clrsos_error *err = clrsos_rows_pack_within(&rows, COUNT, &first, values, 5 * CLRSOS_ROWS_BLOCK - 1);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_OTHER);
	assert_non_null(strstr(err->message, "too many to pack"));
	clrsos_error_destroy(err);
	/* first[] still the caller's (what it held is lost: made again here); the rows still empty. */
	assert_ptr_equal(first, given);
	for (uint32_t n = 0; n <= COUNT; n++)
		first[n] = n;
	assert_int_equal(rows.count, 0);
	assert_null(rows.start);
	/* Exactly at the limit: packed. */
	assert_null(clrsos_rows_pack_within(&rows, COUNT, &first, values, 5 * CLRSOS_ROWS_BLOCK));
	assert_null(first);
	assert_int_equal(rows.nbytes, 5 * (uint64_t)COUNT);
	struct clrsos_rows_cursor c;
	uint32_t v;
	clrsos_rows_open(&rows, COUNT - 1, &c);
	assert_true(clrsos_rows_next(&c, &v));
	assert_int_equal(v, COUNT - 1 + 0x80000000u);
	clrsos_rows_deinit(&rows);
	free(values);
}

int run_containers_tests(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, reset_allocator, reset_allocator)
	const struct CMUnitTest tests[] = {
		T(test_vector__push_grows_and_keeps_every_item),
		T(test_vector__push_slot_is_zeroed_and_structs_copy),
		T(test_vector__reserve_then_steal_hands_the_buffer_over),
		T(test_vector__out_of_memory_keeps_what_was_there),
		T(test_vector__array_reserve_grows_a_plain_array),
		T(test_hashmap__insert_find_overwrite_and_grow),
		T(test_hashmap__a_bad_hash_still_finds_every_key_and_removes),
		T(test_hashmap__remove_across_the_wrap_keeps_chains),
		T(test_hashmap__iteration_visits_each_entry_once),
		T(test_hashmap__out_of_memory_keeps_the_table),
		T(test_sort__same_as_qsort_on_every_shape_and_size),
		T(test_sort__depth_limit_falls_back_to_heapsort),
		T(test_sort__interrupted_keeps_every_item),
		T(test_rows__every_value_back_in_order_across_blocks),
		T(test_rows__near_values_take_a_byte),
		T(test_rows__none),
		T(test_rows__a_block_over_its_limit_fails_and_leaves_the_rows_empty),
	};
#undef T
	return cmocka_run_group_tests_name("containers", tests, NULL, NULL);
}
