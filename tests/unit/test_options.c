/* The one option parser (core/commands/options.h): every kind, every mistake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "commands/commands.h"
#include "tests.h"

struct parsed {
	bool json, stat, nocase, have_mt, have_n;
	const char *type, *save, *n_text;
	uint64_t mt, n, custom;
	const char *operands[4];
	int noperands;
};

static struct clrsos_error *parse_custom(const struct clrsos_host *host, const struct clrsos_option *option,
					 const char *value)
{
	(void)host;
	if (strcmp(value, "seven") != 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "-custom takes 'seven', not '%s'", value);
	*(uint64_t *)option->value = 7;
	return NULL;
}

static struct clrsos_error *take_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	struct parsed *p = ctx;
	assert_int_equal(index, p->noperands);
	p->operands[p->noperands++] = arg;
	return NULL;
}

static struct clrsos_error *run(struct parsed *p, int max_operands, int argc, const char *const *argv)
{
	memset(p, 0, sizeof(*p));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &p->json),
		CLRSOS_FLAG("-stat", &p->stat),
		CLRSOS_FLAG("-ignoreGCState", &p->nocase, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_STRING("-type", &p->type, .flags = CLRSOS_OPTION_COLON),
		CLRSOS_STRING("--save|-save", &p->save, .flags = CLRSOS_OPTION_NONEMPTY),
		CLRSOS_ADDRESS("-mt", &p->mt, .given = &p->have_mt, .flags = CLRSOS_OPTION_COLON),
		CLRSOS_UINT("-n", &p->n, .given = &p->have_n, .text = &p->n_text, .min = 1, .max = 100),
		CLRSOS_CUSTOM("-custom", &p->custom, parse_custom),
	};
	const struct clrsos_options spec = {
		.command = "cmd",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = max_operands,
		.operand = max_operands ? take_operand : NULL,
		.ctx = p,
	};
	return clrsos_options_parse(&spec, NULL, argc, argv);
}

#define ARGV(...) (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), (const char *const[]){__VA_ARGS__}

static void expect_error(struct clrsos_error *err, const char *text)
{
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_INVALID_ARGUMENT);
	if (!strstr(err->message, text))
		fail_msg("'%s' does not contain '%s'", err->message, text);
	clrsos_error_destroy(err);
}

static void test_options__every_kind_fills_its_value(void **state)
{
	(void)state;
	struct parsed p;
	assert_null(run(&p, 2, ARGV("--json", "-stat", "-type", "Foo", "-mt", "7f00", "-n", "0x10", "-custom",
				    "seven", "--save", "out.json", "100", "0x200")));
	assert_true(p.json);
	assert_true(p.stat);
	assert_string_equal(p.type, "Foo");
	assert_true(p.have_mt);
	assert_int_equal(p.mt, 0x7f00);
	assert_true(p.have_n);
	assert_int_equal(p.n, 16);
	assert_string_equal(p.n_text, "0x10");
	assert_int_equal(p.custom, 7);
	assert_string_equal(p.save, "out.json");
	assert_int_equal(p.noperands, 2);
	assert_string_equal(p.operands[0], "100");
	assert_string_equal(p.operands[1], "0x200");
	assert_false(p.nocase);
}

static void test_options__spellings_case_and_colon(void **state)
{
	(void)state;
	struct parsed p;
	assert_null(run(&p, 0, ARGV("-save", "x", "-IGNOREgcstate", "-type:Sys.String", "-mt:0x10")));
	assert_string_equal(p.save, "x");
	assert_true(p.nocase);
	assert_string_equal(p.type, "Sys.String");
	assert_int_equal(p.mt, 0x10);
	/* Exact case where NOCASE is not given; no colon form where COLON is not. */
	expect_error(run(&p, 0, ARGV("-STAT")), "cmd: unknown option '-STAT': see 'help cmd'");
	expect_error(run(&p, 0, ARGV("-n:5")), "cmd: unknown option '-n:5'");
	expect_error(run(&p, 0, ARGV("-stat:1")), "cmd: unknown option '-stat:1'");
}

static void test_options__each_mistake_has_one_text(void **state)
{
	(void)state;
	struct parsed p;
	expect_error(run(&p, 0, ARGV("-bogus")), "cmd: unknown option '-bogus': see 'help cmd'");
	expect_error(run(&p, 0, ARGV("-type")), "cmd: -type needs a value: see 'help cmd'");
	expect_error(run(&p, 0, ARGV("extra")), "cmd: unexpected argument 'extra': see 'help cmd'");
	expect_error(run(&p, 1, ARGV("a", "b")), "cmd: unexpected argument 'b': see 'help cmd'");
	expect_error(run(&p, 0, ARGV("-n", "0")), "cmd: -n '0' is out of range: it takes 1 to 100");
	expect_error(run(&p, 0, ARGV("-n", "12x")), "cmd: ");
	expect_error(run(&p, 0, ARGV("-mt", "zz top")), "cmd: 'zz top' is not an address");
	expect_error(run(&p, 0, ARGV("-custom", "six")), "cmd: -custom takes 'seven', not 'six'");
	expect_error(run(&p, 0, ARGV("--save", "")), "cmd --save: the value is empty");
}

static void test_options__numbers_and_dashes_are_operands(void **state)
{
	(void)state;
	struct parsed p;
	/* "-5" and "-" are operands; a value may itself start with a dash. */
	assert_null(run(&p, 3, ARGV("-5", "-", "-type", "-stat")));
	assert_int_equal(p.noperands, 2);
	assert_string_equal(p.operands[0], "-5");
	assert_string_equal(p.operands[1], "-");
	assert_string_equal(p.type, "-stat");
	assert_false(p.stat);
	assert_true(clrsos_is_option("-x"));
	assert_false(clrsos_is_option("-1"));
	assert_false(clrsos_is_option("-"));
	assert_false(clrsos_is_option("0x10"));
}

static void test_options__unbounded_operands_and_last_value_wins(void **state)
{
	(void)state;
	struct parsed p;
	assert_null(run(&p, -1, ARGV("a", "b", "c", "-type", "A", "-type", "B")));
	assert_int_equal(p.noperands, 3);
	assert_string_equal(p.type, "B");
}

int run_options_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options__every_kind_fills_its_value),
		cmocka_unit_test(test_options__spellings_case_and_colon),
		cmocka_unit_test(test_options__each_mistake_has_one_text),
		cmocka_unit_test(test_options__numbers_and_dashes_are_operands),
		cmocka_unit_test(test_options__unbounded_operands_and_last_value_wins),
	};
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
