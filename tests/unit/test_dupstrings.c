/* Duplicate strings (core/analysis/dupstrings.h): texts tallied by content, most waste first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/dupstrings.h"
#include "base/watch.h"
#include "fake_target.h"
#include "model/clrstring.h"
#include "model/types.h"
#include "target/target.h"
#include "tests.h"

/* Strings laid out in target memory as the GC does: MethodTable, length, UTF-16 chars, padding. */
struct heap_image {
	struct fake_target fake;
	struct clrsos_target *target;
	uint8_t mem[8192];
	uint64_t base;
	size_t used;
};

static const struct clrsos_type string_type = {.mt = 0x1000, .is_string = true, .component_size = 2, .base_size = 22};

static void image_init(struct heap_image *im, uint64_t base)
{
	memset(im, 0, sizeof(*im));
	fake_target_init(&im->fake);
	im->base = base;
}

/* Place a string in the image (not yet in the target): the object the walk would hand over. */
static struct clrsos_heap_object image_string(struct heap_image *im, const char *text,
					      const struct clrsos_segment *segment)
{
	uint32_t length = (uint32_t)strlen(text);
	uint64_t size = clrsos_object_size(&string_type, length);
	assert_true(im->used + size <= sizeof(im->mem));
	uint8_t *p = im->mem + im->used;
	memcpy(p, &string_type.mt, 8);
	memcpy(p + CLRSOS_STRING_LENGTH_OFFSET, &length, 4);
	for (uint32_t i = 0; i < length; i++)
		p[CLRSOS_STRING_CHARS_OFFSET + 2 * i] = (uint8_t)text[i];
	struct clrsos_heap_object o = {.address = im->base + im->used, .size = size, .type = &string_type,
				       .segment = segment, .bytes = p,
				       .bytes_len = CLRSOS_STRING_CHARS_OFFSET + 2 * (size_t)length};
	im->used += size;
	return o;
}

static void image_map(struct heap_image *im)
{
	fake_target_add_region(&im->fake, im->base, im->mem, sizeof(im->mem));
	im->target = fake_target_create(&im->fake);
}

static void image_fini(struct heap_image *im)
{
	clrsos_target_destroy(im->target);
	fake_target_fini(&im->fake);
}

struct tally {
	struct clrsos_dupstring *rows;
	size_t n, unique;
	uint64_t wasted;
};

/* Tally the objects with only mask's bits of each hash kept. */
static void tally(struct heap_image *im, const struct clrsos_heap_object *objs, size_t n, uint64_t mask,
		  struct tally *ret)
{
	struct clrsos_dupstrings *s;
	assert_null(clrsos_dupstrings_create(&s));
	clrsos_dupstrings_set_hash_mask(s, mask);
	for (size_t i = 0; i < n; i++) {
		bool counted;
		assert_null(clrsos_dupstrings_add(s, im->target, &objs[i], &counted));
		assert_true(counted);
	}
	assert_null(clrsos_dupstrings_sorted(s, NULL, &ret->rows, &ret->n, &ret->wasted, &ret->unique));
	clrsos_dupstrings_destroy(s);
}

static void test_dupstrings__sorted_by_waste(void **state)
{
	(void)state;
	struct heap_image im;
	image_init(&im, 0x10000);
	/* "short" 4 copies (32 bytes each), a 20-char text 2 copies (64 bytes), one lone text, one other object. */
	static const char *const texts[] = {"short", "twenty-chars-of-text", "short", "alone",
					    "short", "twenty-chars-of-text", "short"};
	struct clrsos_heap_object objs[7];
	for (size_t i = 0; i < 7; i++)
		objs[i] = image_string(&im, texts[i], NULL);
	image_map(&im);
	struct clrsos_type other = {.mt = 0x2000, .base_size = 24};
	struct clrsos_heap_object o = {.address = 0x8000, .size = 24, .type = &other, .bytes = im.mem, .bytes_len = 24};
	struct clrsos_dupstrings *s;
	assert_null(clrsos_dupstrings_create(&s));
	bool counted;
	assert_null(clrsos_dupstrings_add(s, im.target, &o, &counted));
	assert_false(counted);
	clrsos_dupstrings_destroy(s);

	struct tally t;
	tally(&im, objs, 7, UINT64_MAX, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.unique, 1);
	/* "short": 3 * 32 = 96 wasted, before the 20-char text's 1 * 64. */
	assert_int_equal(t.rows[0].count, 4);
	assert_int_equal(t.rows[0].size, 32);
	assert_int_equal(t.rows[0].first, objs[0].address);
	assert_int_equal(t.rows[0].length, 5);
	assert_int_equal(clrsos_dupstring_wasted(&t.rows[0]), 96);
	assert_int_equal(t.rows[1].count, 2);
	assert_int_equal(t.rows[1].size, 64);
	assert_int_equal(t.rows[1].first, objs[1].address);
	assert_int_equal(clrsos_dupstring_wasted(&t.rows[1]), 64);
	assert_int_equal(t.wasted, 96 + 64);
	free(t.rows);
	image_fini(&im);
	clrsos_dupstrings_destroy(NULL);
}

/* Texts that share a hash are told apart by their chars: the tally is the same with every hash colliding. */
static void test_dupstrings__collisions_split_by_text(void **state)
{
	(void)state;
	struct heap_image im;
	image_init(&im, 0x10000);
	/* 120 strings: texts of equal lengths with different chars, in several copies each, and three lone ones. */
	struct clrsos_heap_object objs[120];
	char text[32];
	for (size_t i = 0; i < 120; i++) {
		unsigned k = (unsigned)((i * 7) % 23);
		if (i % 40 == 39)
			snprintf(text, sizeof(text), "lone-%zu", i);
		else
			snprintf(text, sizeof(text), k % 2 ? "text-%02u" : "t%u", k < 12 ? k : k / 2);
		objs[i] = image_string(&im, text, NULL);
	}
	image_map(&im);
	struct tally exact, masked;
	tally(&im, objs, 120, UINT64_MAX, &exact);
	assert_true(exact.n > 3);
	assert_true(exact.unique >= 3);
	static const uint64_t masks[] = {0, 1, 3, 0xf0};
	for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		tally(&im, objs, 120, masks[m], &masked);
		assert_int_equal(masked.n, exact.n);
		assert_int_equal(masked.unique, exact.unique);
		assert_int_equal(masked.wasted, exact.wasted);
		for (size_t i = 0; i < exact.n; i++) {
			assert_int_equal(masked.rows[i].count, exact.rows[i].count);
			assert_int_equal(masked.rows[i].size, exact.rows[i].size);
			assert_int_equal(masked.rows[i].first, exact.rows[i].first);
			assert_int_equal(masked.rows[i].length, exact.rows[i].length);
		}
		free(masked.rows);
	}
	/* Each row's count is the number of strings with its first copy's text. */
	for (size_t i = 0; i < exact.n; i++) {
		const uint8_t *first = im.mem + (exact.rows[i].first - im.base);
		uint64_t copies = 0;
		for (size_t k = 0; k < 120; k++)
			copies += objs[k].size == exact.rows[i].size &&
				  !memcmp(objs[k].bytes + 8, first + 8, 4 + 2 * (size_t)exact.rows[i].length);
		assert_int_equal(copies, exact.rows[i].count);
	}
	free(exact.rows);
	image_fini(&im);
}

/* The first copy is the one the walk met first, also when a later segment lies lower. */
static void test_dupstrings__first_in_walk_order(void **state)
{
	(void)state;
	struct heap_image im;
	image_init(&im, 0x10000);
	struct clrsos_segment low = {0}, high = {0};
	struct clrsos_heap_object a_low = image_string(&im, "same", &low);
	struct clrsos_heap_object b_low = image_string(&im, "other", &low);
	im.used = 4096;
	struct clrsos_heap_object a_high = image_string(&im, "same", &high);
	struct clrsos_heap_object b_high = image_string(&im, "other", &high);
	image_map(&im);
	/* The walk takes the high segment first. */
	struct clrsos_heap_object objs[] = {a_high, b_high, a_low, b_low};
	struct tally t;
	tally(&im, objs, 4, UINT64_MAX, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.unique, 0);
	/* Both 32 bytes a copy, two copies: equal waste and counts, so by address. */
	assert_int_equal(t.rows[0].count, 2);
	assert_int_equal(t.rows[0].first, a_high.address);
	assert_int_equal(t.rows[1].count, 2);
	assert_int_equal(t.rows[1].first, b_high.address);
	free(t.rows);
	image_fini(&im);
}

static bool stop_at_second_poll(void *ctx)
{
	return ++*(unsigned *)ctx >= 2;
}

/* Ctrl-C while the texts are sorted and checked: the command's error, and nothing leaks (the ASan run). */
static void test_dupstrings__interrupted_while_checking(void **state)
{
	(void)state;
	struct heap_image im;
	image_init(&im, 0x10000);
	struct clrsos_heap_object objs[200];
	char text[16];
	for (size_t i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "t%zu", i % 7);
		objs[i] = image_string(&im, text, NULL);
	}
	image_map(&im);
	struct clrsos_dupstrings *s;
	assert_null(clrsos_dupstrings_create(&s));
	clrsos_dupstrings_set_hash_mask(s, 0); /* one group: every copy is read back and compared */
	for (size_t i = 0; i < 200; i++) {
		bool counted;
		assert_null(clrsos_dupstrings_add(s, im.target, &objs[i], &counted));
	}
	unsigned polls = 0;
	struct clrsos_watch w;
	clrsos_watch_init(&w, "test", stop_at_second_poll, &polls, NULL, false);
	struct clrsos_dupstring *rows = NULL;
	size_t n = 0, unique = 0;
	uint64_t wasted = 0;
	struct clrsos_error *err = clrsos_dupstrings_sorted(s, &w, &rows, &n, &wasted, &unique);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_INTERRUPTED);
	assert_int_equal(polls, 2);
	assert_null(rows);
	clrsos_error_destroy(err);
	clrsos_dupstrings_destroy(s);
	image_fini(&im);
}

int run_dupstrings_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dupstrings__sorted_by_waste),
		cmocka_unit_test(test_dupstrings__collisions_split_by_text),
		cmocka_unit_test(test_dupstrings__first_in_walk_order),
		cmocka_unit_test(test_dupstrings__interrupted_while_checking),
	};
	return cmocka_run_group_tests_name("dupstrings", tests, NULL, NULL);
}
