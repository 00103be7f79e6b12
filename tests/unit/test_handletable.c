/*
 * The handle-table reader (core/handletable.c) over fake memory laid out as
 * the runtime lays out its handle tables: a map { buckets, next, max index }
 * in the runtime's data, a bucket whose table array has one table per
 * processor, tables whose segment list leads to 64 KiB segments (a 4 KiB
 * header with each block's type and extra-data block, the next segment and
 * the owning table, then 120 blocks of 64 handles).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_target.h"
#include "model/handletable.h"
#include "tests.h"

enum {
	TYPES = 13, /* internal handle types (.NET 10); 12 on .NET 8 and 9 */
	SEG = 0x10000,
	NEXT_AT = 0x780 + 6 * TYPES,
	TABLE_AT = NEXT_AT + 8,
	LIST_AT = (4 * TYPES + 7) & ~7,
	DATA = 0x500000, /* the runtime's writable data */
	MAP = DATA + 0x1238,
	BUCKETS = 0x600000,
	BUCKET = 0x600100,
	TABLES = 0x600200,
	TABLE0 = 0x610000,
	TABLE1 = 0x610100,
	SEG0 = 0x7000000, /* table 0: the runtime listed its handles */
	SEG1 = 0x7010000, /* table 1: skipped */
	SEG1B = 0x7020000,
};

struct fixture {
	struct fake_target f;
	struct clrsos_target *t;
};

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A segment of table at address, next segment next; every block free. */
static uint8_t *add_segment(struct fake_target *f, uint64_t address, uint64_t table, uint64_t next)
{
	uint8_t *s = fake_target_add_region(f, address, NULL, SEG);
	memset(s, 0, SEG);
	memset(s + 0x618, 0xff, 120); /* block types: free */
	memset(s + 0x690, 0xff, 120); /* no extra data */
	put64(s + NEXT_AT, next);
	put64(s + TABLE_AT, table);
	return s;
}

static void set_handle(uint8_t *seg, unsigned block, unsigned slot, uint64_t object)
{
	put64(seg + 0x1000 + block * 512 + slot * 8, object);
}

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	fake_target_init(&x->f);
	uint8_t *data = fake_target_add_region(&x->f, DATA, NULL, 0x4000);
	memset(data, 0, 0x4000);
	/* A decoy of the same shape whose tables do not hold the listed one. */
	put64(data + 0x100, BUCKETS + 0x80);
	put64(data + 0x110, 10);
	put64(data + (MAP - DATA), BUCKETS);
	put64(data + (MAP - DATA) + 8, 0);
	put64(data + (MAP - DATA) + 16, 10);
	uint8_t *mem = fake_target_add_region(&x->f, BUCKETS, NULL, 0x400);
	memset(mem, 0, 0x400);
	put64(mem + 0, BUCKET);
	put64(mem + 0x80, BUCKET + 0x80);          /* decoy bucket */
	put64(mem + 0x180, TABLES + 0x100);        /* decoy table array: one bogus entry */
	put64(mem + 0x300, 0x12345678);
	put64(mem + (BUCKET - BUCKETS), TABLES);
	put64(mem + (TABLES - BUCKETS), TABLE0);
	put64(mem + (TABLES - BUCKETS) + 8, TABLE1);
	put64(mem + (TABLES - BUCKETS) + 16, 0); /* end of the processor slots */
	uint8_t *tables = fake_target_add_region(&x->f, TABLE0, NULL, 0x200);
	memset(tables, 0, 0x200);
	put64(tables + LIST_AT, SEG0);
	put64(tables + 0x100 + LIST_AT, SEG1);

	uint8_t *s0 = add_segment(&x->f, SEG0, TABLE0, 0);
	s0[0x618 + 0] = 2; /* strong */
	set_handle(s0, 0, 0, 0xa000);
	set_handle(s0, 0, 1, 0xa100);

	uint8_t *s1 = add_segment(&x->f, SEG1, TABLE1, SEG1B);
	s1[0x618 + 0] = 2;  /* strong: two live, one freed (0) */
	set_handle(s1, 0, 0, 0xb000);
	set_handle(s1, 0, 5, 0xb100);
	s1[0x618 + 3] = 6;  /* dependent, extra data in block 4 */
	s1[0x690 + 3] = 4;
	s1[0x618 + 4] = TYPES - 1; /* the data block itself: not handles */
	set_handle(s1, 3, 2, 0xc000);
	set_handle(s1, 4, 2, 0xc800); /* its secondary */
	s1[0x618 + 7] = 1;  /* weak long */
	set_handle(s1, 7, 63, 0xd000);
	uint8_t *s2 = add_segment(&x->f, SEG1B, TABLE1, 0);
	s2[0x618 + 119] = 3; /* pinned, the last block */
	set_handle(s2, 119, 0, 0xe000);
	x->t = fake_target_create(&x->f);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	clrsos_target_destroy(x->t);
	fake_target_fini(&x->f);
	free(x);
	return 0;
}

static const struct clrsos_range data_range = {DATA, DATA + 0x4000};

static struct clrsos_handle listed(uint64_t handle)
{
	struct clrsos_handle h = {.address = handle, .kind = 2};
	return h;
}

static const struct clrsos_handle *find(const struct clrsos_handle *h, size_t n, uint64_t handle)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].address == handle)
			return &h[i];
	return NULL;
}

static void test_unlisted__the_skipped_tables_handles_with_types_and_secondaries(void **state)
{
	struct fixture *x = *state;
	struct clrsos_handle have[2] = {listed(SEG0 + 0x1000), listed(SEG0 + 0x1008)};
	struct clrsos_handle *h = NULL;
	size_t n = 0;
	assert_null(clrsos_handle_tables_unlisted(x->t, &data_range, 1, have, 2, &h, &n));
	assert_int_equal(n, 5);
	const struct clrsos_handle *e;
	assert_non_null(e = find(h, n, SEG1 + 0x1000));
	assert_int_equal(e->kind, 2);
	assert_true(e->strong);
	assert_non_null(find(h, n, SEG1 + 0x1000 + 5 * 8));
	assert_non_null(e = find(h, n, SEG1 + 0x1000 + 3 * 512 + 2 * 8));
	assert_int_equal(e->kind, 6);
	assert_int_equal(e->secondary, 0xc800);
	assert_non_null(e = find(h, n, SEG1 + 0x1000 + 7 * 512 + 63 * 8));
	assert_int_equal(e->kind, 1);
	assert_false(e->strong);
	assert_non_null(e = find(h, n, SEG1B + 0x1000 + 119 * 512));
	assert_int_equal(e->kind, 3);
	/* Not the listed ones, not the data block's words. */
	assert_null(find(h, n, SEG0 + 0x1000));
	assert_null(find(h, n, SEG1 + 0x1000 + 4 * 512 + 2 * 8));
	free(h);
}

static void test_unlisted__a_handle_of_the_skipped_table_already_listed_is_not_repeated(void **state)
{
	struct fixture *x = *state;
	struct clrsos_handle have[2] = {listed(SEG0 + 0x1000), listed(SEG1 + 0x1000)};
	struct clrsos_handle *h = NULL;
	size_t n = 0;
	assert_null(clrsos_handle_tables_unlisted(x->t, &data_range, 1, have, 2, &h, &n));
	assert_int_equal(n, 5); /* table 0's unlisted one, table 1's other four */
	assert_non_null(find(h, n, SEG0 + 0x1008));
	assert_null(find(h, n, SEG1 + 0x1000));
	free(h);
}

static void test_unlisted__no_map_in_the_data_gives_nothing(void **state)
{
	struct fixture *x = *state;
	struct clrsos_range elsewhere = {DATA, DATA + 0x200}; /* the decoy only */
	struct clrsos_handle have[1] = {listed(SEG0 + 0x1000)};
	struct clrsos_handle *h = NULL;
	size_t n = 7;
	assert_null(clrsos_handle_tables_unlisted(x->t, &elsewhere, 1, have, 1, &h, &n));
	assert_int_equal(n, 0);
	assert_null(h);
}

static void test_unlisted__a_listed_handle_outside_any_table_gives_nothing(void **state)
{
	struct fixture *x = *state;
	/* A segment whose table does not lead back to it: no layout, no walk. */
	uint8_t *s0 = fake_target_add_region(&x->f, 0x7100000, NULL, 0x1000);
	put64(s0 + TABLE_AT, TABLE0);
	put64(s0 + (0x780 + 6 * 12 + 8), TABLE0);
	struct clrsos_handle have[1] = {listed(0x7100000 + 0x1000)};
	struct clrsos_handle *h = NULL;
	size_t n = 0;
	assert_null(clrsos_handle_tables_unlisted(x->t, &data_range, 1, have, 1, &h, &n));
	assert_int_equal(n, 0);
}

static void test_unlisted__an_unreadable_segment_ends_that_table_only(void **state)
{
	struct fixture *x = *state;
	fake_target_add_hole(&x->f, SEG1B, 0x1000); /* the second segment's header */
	struct clrsos_handle have[1] = {listed(SEG0 + 0x1000)};
	struct clrsos_handle *h = NULL;
	size_t n = 0;
	assert_null(clrsos_handle_tables_unlisted(x->t, &data_range, 1, have, 1, &h, &n));
	/*
	 * Table 1's chain no longer checks out (its second segment cannot be
	 * read), so only table 0 counts as a table: the array ends before it.
	 */
	assert_int_equal(n, 1);
	assert_non_null(find(h, n, SEG0 + 0x1008));
	assert_null(find(h, n, SEG1B + 0x1000 + 119 * 512));
	free(h);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int run_handletable_tests(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unlisted__the_skipped_tables_handles_with_types_and_secondaries),
		T(test_unlisted__a_handle_of_the_skipped_table_already_listed_is_not_repeated),
		T(test_unlisted__no_map_in_the_data_gives_nothing),
		T(test_unlisted__a_listed_handle_outside_any_table_gives_nothing),
		T(test_unlisted__an_unreadable_segment_ends_that_table_only),
	};
	return cmocka_run_group_tests_name("handletable", tests, NULL, NULL);
}
