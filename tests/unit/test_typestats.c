/* Type statistics (core/commands/typestats.h): rows kept by the type's index, through growth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "commands/typestats.h"
#include "tests.h"

enum { NTYPES = 3000 }; /* past several growths of the table (1024 slots at first) */

static void test_typestats__counts_by_type_through_growth(void **state)
{
	(void)state;
	struct clrsos_type *types = calloc(NTYPES, sizeof(*types));
	assert_non_null(types);
	for (uint32_t i = 0; i < NTYPES; i++) {
		/* Indices not in the order of the MethodTables, as a heap meets them. */
		types[i].index = (i * 7) % NTYPES;
		types[i].mt = 0x7f0000000000ull + 0x40ull * (NTYPES - i);
	}
	struct clrsos_typestats s = {0};
	/* Type i: i + 1 objects of 24 bytes, interleaved so that runs and lookups alternate. */
	for (uint32_t round = 0; round < NTYPES; round++)
		for (uint32_t i = round; i < NTYPES; i++)
			if (i % 97 == round % 97 || round == 0)
				assert_true(clrsos_typestats_add_gen(&s, &types[i], 24, CLRSOS_GEN0));
	uint64_t want_total = 0;
	uint64_t *want = calloc(NTYPES, sizeof(*want));
	assert_non_null(want);
	for (uint32_t round = 0; round < NTYPES; round++)
		for (uint32_t i = round; i < NTYPES; i++)
			if (i % 97 == round % 97 || round == 0) {
				want[i]++;
				want_total++;
			}
	assert_int_equal(s.count, NTYPES);
	assert_int_equal(s.total_count, want_total);
	assert_int_equal(s.total_size, want_total * 24);
	struct clrsos_typestat *rows = clrsos_typestats_sorted(&s, true);
	assert_non_null(rows);
	for (size_t r = 0; r < s.count; r++) {
		size_t i = (size_t)(rows[r].type - types);
		assert_true(i < NTYPES);
		assert_int_equal(rows[r].count, want[i]);
		assert_int_equal(rows[r].size, want[i] * 24);
		assert_int_equal(rows[r].gen_count[CLRSOS_GEN0], want[i]);
		if (r)
			assert_true(rows[r - 1].count <= rows[r].count);
	}
	free(rows);
	free(want);
	clrsos_typestats_deinit(&s);
	assert_int_equal(s.count, 0);
	free(types);
}

int run_typestats_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typestats__counts_by_type_through_growth),
	};
	return cmocka_run_group_tests_name("typestats", tests, NULL, NULL);
}
