/*
 * core/output.c: SOS-style number formatting and the JSON writer, into a
 * growable buffer.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "fake_target.h"
#include "base/output.h"
#include "tests.h"

static int setup(void **state)
{
	struct test_buffer *b = malloc(sizeof(*b));
	if (!b)
		return -1;
	test_buffer_init(b);
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	test_buffer_fini(*state);
	free(*state);
	return 0;
}

/* Formatting ------------------------------------------------------------- */

static void test_format_size__hex_then_decimal(void **state)
{
	(void)state;
	char buf[64];
	clrsos_format_size(26, buf, sizeof(buf));
	assert_string_equal(buf, "0x1a (26)");
	clrsos_format_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0x0 (0)");
	clrsos_format_size(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "0xffffffffffffffff (18446744073709551615)");
}

static void test_format_size__truncates_to_buffer(void **state)
{
	(void)state;
	char buf[6];
	memset(buf, 'x', sizeof(buf));
	clrsos_format_size(0x1a2b, buf, sizeof(buf));
	assert_string_equal(buf, "0x1a2");
}

static void test_format_pointer__at_least_12_hex_digits_no_prefix(void **state)
{
	(void)state;
	char buf[32];
	clrsos_format_pointer(0x1a, buf, sizeof(buf));
	assert_string_equal(buf, "00000000001a");
	clrsos_format_pointer(0x7f12abcdef00ull, buf, sizeof(buf));
	assert_string_equal(buf, "7f12abcdef00");
	clrsos_format_pointer(0xffff800000001000ull, buf, sizeof(buf));
	assert_string_equal(buf, "ffff800000001000");
	clrsos_format_pointer(0, buf, sizeof(buf));
	assert_string_equal(buf, "000000000000");
}

static void test_format_thousands__groups_of_three(void **state)
{
	(void)state;
	static const struct {
		uint64_t value;
		const char *text;
	} cases[] = {
		{0, "0"},
		{7, "7"},
		{999, "999"},
		{1000, "1,000"},
		{12345, "12,345"},
		{999999, "999,999"},
		{1234567, "1,234,567"},
		{UINT64_MAX, "18,446,744,073,709,551,615"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		memset(buf, 'x', sizeof(buf));
		clrsos_format_thousands(cases[i].value, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_format_thousands__never_overruns_small_buffer(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	clrsos_format_thousands(1234567890, buf, 5);
	assert_true(strlen(buf) < 5);
	assert_int_equal(buf[5], 'x');
	assert_memory_equal(buf, "1,23", strlen(buf));
	clrsos_format_thousands(5, buf, 1);
	assert_string_equal(buf, "");
}

static void test_outf__long_text_is_written_whole(void **state)
{
	struct test_buffer *b = *state;
	char big[2000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	clrsos_outf(&b->writer, "<%s|%d>", big, 42);
	assert_int_equal(b->len, sizeof(big) - 1 + 5);
	assert_int_equal(b->data[0], '<');
	assert_string_equal(b->data + b->len - 4, "|42>");
	test_buffer_reset(b);
	clrsos_out(&b->writer, "plain");
	assert_string_equal(b->data, "plain");
}

/* JSON ------------------------------------------------------------------- */

static void test_json__nesting_and_commas(void **state)
{
	struct test_buffer *b = *state;
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "a");
	clrsos_json_uint(&j, 1);
	clrsos_json_key(&j, "list");
	clrsos_json_array_begin(&j);
	clrsos_json_int(&j, -2);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "x");
	clrsos_json_bool(&j, true);
	clrsos_json_key(&j, "y");
	clrsos_json_bool(&j, false);
	clrsos_json_object_end(&j);
	clrsos_json_array_begin(&j);
	clrsos_json_array_end(&j);
	clrsos_json_object_begin(&j);
	clrsos_json_object_end(&j);
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "after");
	clrsos_json_null(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
	assert_string_equal(b->data,
			    "{\"a\":1,\"list\":[-2,{\"x\":true,\"y\":false},[],{}],\"after\":null}\n");
}

static void test_json__top_level_array_of_objects(void **state)
{
	struct test_buffer *b = *state;
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	clrsos_json_array_begin(&j);
	for (int i = 0; i < 3; i++) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "i");
		clrsos_json_int(&j, i);
		clrsos_json_key(&j, "inner");
		clrsos_json_array_begin(&j);
		clrsos_json_uint(&j, 10);
		clrsos_json_uint(&j, 20);
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	assert_string_equal(b->data,
			    "[{\"i\":0,\"inner\":[10,20]},{\"i\":1,\"inner\":[10,20]},"
			    "{\"i\":2,\"inner\":[10,20]}]");
}

static void test_json__numbers_extremes(void **state)
{
	struct test_buffer *b = *state;
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	clrsos_json_array_begin(&j);
	clrsos_json_uint(&j, UINT64_MAX);
	clrsos_json_int(&j, INT64_MIN);
	clrsos_json_int(&j, 0);
	clrsos_json_array_end(&j);
	assert_string_equal(b->data,
			    "[18446744073709551615,-9223372036854775808,0]");
}

static void test_json__string_escaping(void **state)
{
	struct test_buffer *b = *state;
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "q\"k\\");
	clrsos_json_string(&j, "say \"hi\" C:\\dir\\x");
	clrsos_json_key(&j, "ctl");
	clrsos_json_string(&j, "a\nb\tc\rd\x01" "e\x1f" "f\x7f");
	clrsos_json_object_end(&j);
	assert_string_equal(b->data,
			    "{\"q\\\"k\\\\\":\"say \\\"hi\\\" C:\\\\dir\\\\x\","
			    "\"ctl\":\"a\\nb\\tc\\rd\\u0001e\\u001ff\\u007f\"}");
}

static void test_json__utf8_passes_through(void **state)
{
	struct test_buffer *b = *state;
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	/* é, €, 😀 and a type name with generics. */
	clrsos_json_string(&j, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 List`1<T>");
	assert_string_equal(b->data,
			    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 List`1<T>\"");
}

static void test_json__long_string_with_escapes_is_complete(void **state)
{
	struct test_buffer *b = *state;
	/* Longer than the escaper's internal buffer, escapes throughout. */
	enum { N = 1000 };
	char *s = malloc(N + 1);
	assert_non_null(s);
	for (size_t i = 0; i < N; i++)
		s[i] = i % 3 == 0 ? '"' : i % 3 == 1 ? '\x02' : 'z';
	s[N] = '\0';
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	clrsos_json_string(&j, s);
	/* 334 quotes (2 bytes), 333 controls (6 bytes), 333 letters, 2 quotes. */
	assert_int_equal(b->len, 334 * 2 + 333 * 6 + 333 + 2);
	assert_memory_equal(b->data, "\"\\\"\\u0002z\\\"", 12);
	assert_int_equal(b->data[b->len - 1], '"');
	free(s);
}

static void test_json__addresses_are_hex_strings(void **state)
{
	struct test_buffer *b = *state;
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "a");
	clrsos_json_address(&j, 0x7f12abcdef00ull);
	clrsos_json_key(&j, "zero");
	clrsos_json_address(&j, 0);
	clrsos_json_key(&j, "max");
	clrsos_json_address(&j, UINT64_MAX);
	clrsos_json_object_end(&j);
	assert_string_equal(b->data,
			    "{\"a\":\"0x7f12abcdef00\",\"zero\":\"0x0\","
			    "\"max\":\"0xffffffffffffffff\"}");
}

static void test_json__null_string_is_null(void **state)
{
	struct test_buffer *b = *state;
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	clrsos_json_array_begin(&j);
	clrsos_json_string(&j, NULL);
	clrsos_json_string(&j, "");
	clrsos_json_null(&j);
	clrsos_json_array_end(&j);
	clrsos_json_end(&j);
	assert_string_equal(b->data, "[null,\"\",null]\n");
}

/* Names from the target ---------------------------------------------------- */

static void test_safe_name__plain_name_is_not_copied(void **state)
{
	(void)state;
	struct clrsos_name_buf nb;
	const char *n = "System.Collections.Generic.List`1[[System.String, System.Private.CoreLib]]";
	assert_ptr_equal(clrsos_safe_name(n, &nb), n);
	assert_null(clrsos_safe_name(NULL, &nb));
	/* UTF-8 outside C1 passes as it is (é, €, 😀). */
	const char *u = "caf\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	assert_string_equal(clrsos_safe_name(u, &nb), u);
}

static void test_safe_name__controls_escaped_as_dumpstring_does(void **state)
{
	(void)state;
	struct clrsos_name_buf nb;
	assert_string_equal(clrsos_safe_name("A\nFound 0 unique roots.\r\tB", &nb),
			    "A\\nFound 0 unique roots.\\r\\tB");
	assert_string_equal(clrsos_safe_name("Clear\x1b[2J Title\x1b]0;pwned\x07 \x7f", &nb),
			    "Clear\\u001B[2J Title\\u001B]0;pwned\\u0007 \\u007F");
	/* C1 controls (U+0080-U+009F, 2 bytes in UTF-8): CSI, NEL. */
	assert_string_equal(clrsos_safe_name("CSI\xc2\x9b" "31m \xc2\x85", &nb), "CSI\\u009B31m \\u0085");
}

static void test_safe_name__invalid_utf8_bytes_as_hex(void **state)
{
	(void)state;
	struct clrsos_name_buf nb;
	/* A raw C1 byte, a lone continuation byte, an overlong '/', a
	 * surrogate (ED A0 80), a cut sequence at the end. */
	assert_string_equal(clrsos_safe_name("a\x9b" "b\x80" "c\xc0\xaf" "d\xed\xa0\x80" "e\xe2\x82", &nb),
			    "a\\x9Bb\\x80c\\xC0\\xAFd\\xED\\xA0\\x80e\\xE2\\x82");
}

static void test_safe_name__long_name_is_cut_saying_its_length(void **state)
{
	(void)state;
	struct clrsos_name_buf nb;
	enum { N = 10 * 1024 };
	char *s = malloc(N + 1);
	assert_non_null(s);
	memset(s, 'L', N);
	s[N] = '\0';
	s[N / 2] = '\n';
	const char *shown = clrsos_safe_name(s, &nb);
	assert_ptr_equal(shown, nb.text);
	assert_true(strlen(shown) < sizeof(nb.text));
	assert_int_equal(strspn(shown, "L"), CLRSOS_NAME_SHOWN);
	assert_string_equal(shown + CLRSOS_NAME_SHOWN, "... (10240 bytes in all)");
	/* Escapes are never cut in the middle: 1023 letters then "\n" does not fit. */
	memset(s, 'L', N);
	s[CLRSOS_NAME_SHOWN - 1] = '\n';
	shown = clrsos_safe_name(s, &nb);
	assert_string_equal(shown + CLRSOS_NAME_SHOWN - 1, "... (10240 bytes in all)");
	free(s);
}

static void test_out_name__writes_escaped(void **state)
{
	struct test_buffer *b = *state;
	clrsos_out_name(&b->writer, "x\x1b[2Jy");
	clrsos_out_name(&b->writer, NULL);
	assert_string_equal(b->data, "x\\u001B[2Jy");
}

static void test_json__c1_and_invalid_utf8_stay_valid_json(void **state)
{
	struct test_buffer *b = *state;
	struct clrsos_json j;
	clrsos_json_init(&j, &b->writer);
	clrsos_json_string(&j, "CSI\xc2\x9b" "x\x9b" "y\xed\xa0\x80" "z\xe2\x82\xac");
	assert_string_equal(b->data, "\"CSI\\u009bx\\ufffdy\\ufffd\\ufffd\\ufffdz\xe2\x82\xac\"");
}

static void test_error__message_is_one_line_without_controls(void **state)
{
	(void)state;
	struct clrsos_error *err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						       "0x10 is not an exception: it is a %s", "A\nB\x1b[2J\xc2\x9b\xff");
	assert_string_equal(err->message, "0x10 is not an exception: it is a A\\nB\\u001B[2J\\u009B\\xFF");
	err = clrsos_error_wrap(err, "pe %s", "\x07");
	assert_string_equal(err->message, "pe \\u0007: 0x10 is not an exception: it is a A\\nB\\u001B[2J\\u009B\\xFF");
	clrsos_error_destroy(err);
}

static void test_error_ignore__drops_errors_but_out_of_memory(void **state)
{
	(void)state;
	assert_null(clrsos_error_ignore(NULL));
	struct clrsos_error *err = clrsos_error_create(CLRSOS_ERROR_DAC, "no file name");
	assert_null(clrsos_error_ignore(err)); /* destroyed: ASan would see a leak */
	err = clrsos_error_fault(0x1000, "not in the core");
	assert_null(clrsos_error_ignore(err));
	assert_ptr_equal(clrsos_error_ignore(&clrsos_error_no_memory), &clrsos_error_no_memory);
	assert_int_equal(clrsos_error_ignore(&clrsos_error_no_memory)->code, CLRSOS_ERROR_NO_MEMORY);
}

int run_output_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_size__hex_then_decimal),
		cmocka_unit_test(test_format_size__truncates_to_buffer),
		cmocka_unit_test(test_format_pointer__at_least_12_hex_digits_no_prefix),
		cmocka_unit_test(test_format_thousands__groups_of_three),
		cmocka_unit_test(test_format_thousands__never_overruns_small_buffer),
		cmocka_unit_test_setup_teardown(test_outf__long_text_is_written_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__nesting_and_commas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__top_level_array_of_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__numbers_extremes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__string_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__utf8_passes_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__long_string_with_escapes_is_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__addresses_are_hex_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__null_string_is_null, setup, teardown),
		cmocka_unit_test(test_safe_name__plain_name_is_not_copied),
		cmocka_unit_test(test_safe_name__controls_escaped_as_dumpstring_does),
		cmocka_unit_test(test_safe_name__invalid_utf8_bytes_as_hex),
		cmocka_unit_test(test_safe_name__long_name_is_cut_saying_its_length),
		cmocka_unit_test_setup_teardown(test_out_name__writes_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json__c1_and_invalid_utf8_stay_valid_json, setup, teardown),
		cmocka_unit_test(test_error__message_is_one_line_without_controls),
		cmocka_unit_test(test_error_ignore__drops_errors_but_out_of_memory),
	};
	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
