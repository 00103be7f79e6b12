/* Duplicate strings (core/analysis/dupstrings.h): texts tallied by content, most waste first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/dupstrings.h"
#include "model/clrstring.h"
#include "tests.h"

/* A string object's bytes as the heap walk hands them over: MethodTable, length, UTF-16 chars. */
static struct clrsos_heap_object string_object(const struct clrsos_type *type, uint64_t address, const char *text,
					       uint8_t *buf)
{
	uint32_t length = (uint32_t)strlen(text);
	memset(buf, 0, CLRSOS_STRING_CHARS_OFFSET + 2 * length + 2);
	memcpy(buf + CLRSOS_STRING_LENGTH_OFFSET, &length, 4);
	for (uint32_t i = 0; i < length; i++)
		buf[CLRSOS_STRING_CHARS_OFFSET + 2 * i] = (uint8_t)text[i];
	uint64_t size = (22 + 2 * (uint64_t)length + 7) & ~7ull;
	return (struct clrsos_heap_object){.address = address, .size = size, .type = type, .bytes = buf,
					   .bytes_len = CLRSOS_STRING_CHARS_OFFSET + 2 * (size_t)length};
}

static void test_dupstrings__sorted_by_waste(void **state)
{
	(void)state;
	struct clrsos_type string = {.mt = 0x1000, .is_string = true, .component_size = 2, .base_size = 22};
	struct clrsos_type other = {.mt = 0x2000, .base_size = 24};
	struct clrsos_dupstrings *s;
	assert_null(clrsos_dupstrings_create(&s));
	/* "short" 4 copies (32 bytes each), a 20-char text 2 copies (64 bytes), one lone text, one other object. */
	static const struct {
		const char *text;
		uint64_t address;
	} objects[] = {
		{"short", 0x100}, {"twenty-chars-of-text", 0x200}, {"short", 0x300}, {"alone", 0x400},
		{"short", 0x500}, {"twenty-chars-of-text", 0x600}, {"short", 0x700},
	};
	uint8_t buf[128];
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		struct clrsos_heap_object o = string_object(&string, objects[i].address, objects[i].text, buf);
		bool counted;
		assert_null(clrsos_dupstrings_add(s, NULL, &o, &counted));
		assert_true(counted);
	}
	struct clrsos_heap_object o = {.address = 0x800, .size = 24, .type = &other, .bytes = buf, .bytes_len = 24};
	bool counted;
	assert_null(clrsos_dupstrings_add(s, NULL, &o, &counted));
	assert_false(counted);
	struct clrsos_dupstring *rows;
	size_t n, unique;
	uint64_t wasted;
	assert_null(clrsos_dupstrings_sorted(s, &rows, &n, &wasted, &unique));
	assert_int_equal(n, 2);
	assert_int_equal(unique, 1);
	/* "short": 3 * 32 = 96 wasted, before the 20-char text's 1 * 64. */
	assert_int_equal(rows[0].count, 4);
	assert_int_equal(rows[0].size, 32);
	assert_int_equal(rows[0].first, 0x100);
	assert_int_equal(rows[0].length, 5);
	assert_int_equal(clrsos_dupstring_wasted(&rows[0]), 96);
	assert_int_equal(rows[1].count, 2);
	assert_int_equal(rows[1].first, 0x200);
	assert_int_equal(clrsos_dupstring_wasted(&rows[1]), 64);
	assert_int_equal(wasted, 96 + 64);
	free(rows);
	clrsos_dupstrings_destroy(s);
	clrsos_dupstrings_destroy(NULL);
}

int run_dupstrings_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dupstrings__sorted_by_waste),
	};
	return cmocka_run_group_tests_name("dupstrings", tests, NULL, NULL);
}
