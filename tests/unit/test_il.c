/*
 * core/model/il.c: IL method bodies and instructions. Hand-built tiny and
 * fat bodies with small and fat exception sections, every operand kind,
 * bodies and instructions cut short or undefined (an error naming the
 * offset), random bytes decoded from heap copies of exactly their length
 * (the ASan build catches an over-read); and the target's disassembler
 * absent (the fake target has none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "model/il.h"
#include "target/target.h"
#include "fake_target.h"
#include "tests.h"

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_il__tiny_body(void **state)
{
	(void)state;
	const uint8_t body[] = {0x02 << 2 | 0x2, 0x02, 0x2a, 0xff};
	size_t need = 99;
	assert_null(clrsos_il_body_size(body, 1, &need));
	assert_int_equal(need, 0);
	assert_null(clrsos_il_body_size(body, sizeof(body), &need));
	assert_int_equal(need, 3);
	struct clrsos_il_body b;
	assert_null(clrsos_il_body_parse(body, 3, &b));
	assert_false(b.fat);
	assert_int_equal(b.code_size, 2);
	assert_int_equal(b.nclauses, 0);
	struct clrsos_il_insn in;
	assert_null(clrsos_il_decode(b.code, b.code_size, 0, &in));
	assert_string_equal(in.name, "ldarg.0");
	assert_null(clrsos_il_decode(b.code, b.code_size, 1, &in));
	assert_string_equal(in.name, "ret");
	clrsos_il_body_deinit(&b);
}

/* A fat body: 12-byte header, 7 bytes of code, then one small and one fat EH section. */
static size_t fat_body(uint8_t *b)
{
	memset(b, 0, 128);
	b[0] = 0x1b; /* fat, more sections, init locals */
	b[1] = 0x30; /* header size 3 words */
	b[2] = 8;
	put32(b + 4, 7);
	put32(b + 8, 0x11000001);
	const uint8_t code[] = {0x00, 0xde, 0x02, 0x00, 0x00, 0xdc, 0x2a}; /* nop leave.s nop nop endfinally ret */
	memcpy(b + 12, code, sizeof(code));
	size_t pos = 20; /* 19 aligned to 4 */
	b[pos] = 0x01 | 0x80; /* EH table, small, more sections */
	b[pos + 1] = 4 + 12;
	uint8_t *c = b + pos + 4;
	c[0] = 2; /* finally */
	c[2] = 0;
	c[4] = 3;
	c[5] = 3;
	c[7] = 3;
	pos += 16;
	b[pos] = 0x01 | 0x40; /* EH table, fat */
	b[pos + 1] = 4 + 24;
	c = b + pos + 4;
	put32(c, 0);           /* catch */
	put32(c + 4, 1);
	put32(c + 8, 2);
	put32(c + 12, 3);
	put32(c + 16, 4);
	put32(c + 20, 0x01000005);
	return pos + 28;
}

static void test_il__fat_body_with_sections(void **state)
{
	(void)state;
	uint8_t b[128];
	size_t total = fat_body(b);
	for (size_t n = 0; n < total; n++) {
		size_t need = 1;
		assert_null(clrsos_il_body_size(b, n, &need));
		assert_int_equal(need, 0);
		struct clrsos_il_body body;
		struct clrsos_error *err = clrsos_il_body_parse(b, n, &body);
		assert_non_null(err);
		clrsos_error_destroy(err);
	}
	size_t need;
	assert_null(clrsos_il_body_size(b, sizeof(b), &need));
	assert_int_equal(need, total);
	struct clrsos_il_body body;
	assert_null(clrsos_il_body_parse(b, total, &body));
	assert_true(body.fat);
	assert_true(body.init_locals);
	assert_int_equal(body.max_stack, 8);
	assert_int_equal(body.local_sig, 0x11000001);
	assert_int_equal(body.code_size, 7);
	assert_int_equal(body.nclauses, 2);
	assert_int_equal(body.clauses[0].flags, CLRSOS_IL_CLAUSE_FINALLY);
	assert_int_equal(body.clauses[0].try_length, 3);
	assert_int_equal(body.clauses[0].handler_offset, 3);
	assert_int_equal(body.clauses[1].flags, CLRSOS_IL_CLAUSE_CATCH);
	assert_int_equal(body.clauses[1].handler_length, 4);
	assert_int_equal(body.clauses[1].class_token_or_filter, 0x01000005);
	clrsos_il_body_deinit(&body);
	/* Neither tiny nor fat. */
	const uint8_t bad[] = {0x01, 0, 0, 0};
	struct clrsos_error *err = clrsos_il_body_size(bad, sizeof(bad), &need);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "neither tiny nor fat"));
	clrsos_error_destroy(err);
}

static void test_il__operands(void **state)
{
	(void)state;
	const uint8_t code[] = {
		0x1f, 0xff,                   /* 0: ldc.i4.s -1 */
		0x2b, 0xfc,                   /* 2: br.s IL_0000 */
		0x45, 2, 0, 0, 0, 1, 0, 0, 0, 0xf3, 0xff, 0xff, 0xff, /* 4: switch (IL_0012, IL_0004) */
		0xfe, 0x01,                   /* 17: ceq */
		0x11, 0x07,                   /* 19: ldloc.s 7 */
		0xfe, 0x0c, 0x02, 0x01,       /* 21: ldloc 258 */
		0x23, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, /* 25: ldc.r8 1.5 */
		0x28, 0x01, 0x00, 0x00, 0x06, /* 34: call 06000001 */
	};
	struct clrsos_il_insn in;
	assert_null(clrsos_il_decode(code, sizeof(code), 0, &in));
	assert_string_equal(in.name, "ldc.i4.s");
	assert_int_equal(in.value, -1);
	assert_null(clrsos_il_decode(code, sizeof(code), 2, &in));
	assert_int_equal(in.operand, CLRSOS_IL_BR8);
	assert_int_equal(in.value, 0);
	assert_null(clrsos_il_decode(code, sizeof(code), 4, &in));
	assert_string_equal(in.name, "switch");
	assert_int_equal(in.size, 13);
	assert_int_equal(in.count, 2);
	assert_int_equal(clrsos_il_switch_target(&in, 0), 18);
	assert_int_equal(clrsos_il_switch_target(&in, 1), 4);
	assert_null(clrsos_il_decode(code, sizeof(code), 17, &in));
	assert_string_equal(in.name, "ceq");
	assert_int_equal(in.opcode, 0xfe01);
	assert_null(clrsos_il_decode(code, sizeof(code), 19, &in));
	assert_int_equal(in.value, 7);
	assert_null(clrsos_il_decode(code, sizeof(code), 21, &in));
	assert_string_equal(in.name, "ldloc");
	assert_int_equal(in.value, 258);
	assert_null(clrsos_il_decode(code, sizeof(code), 25, &in));
	assert_true(in.real == 1.5);
	assert_null(clrsos_il_decode(code, sizeof(code), 34, &in));
	assert_int_equal(in.operand, CLRSOS_IL_TOKEN);
	assert_int_equal(in.value, 0x06000001);
	char *text = clrsos_il_token_text(NULL, 0x06000001);
	assert_string_equal(text, "TOKEN 6000001");
	free(text);
}

static void expect_error(const uint8_t *code, size_t size, uint32_t offset, const char *want)
{
	uint8_t *copy = malloc(size ? size : 1);
	assert_non_null(copy);
	memcpy(copy, code, size);
	struct clrsos_il_insn in;
	struct clrsos_error *err = clrsos_il_decode(copy, (uint32_t)size, offset, &in);
	free(copy);
	assert_non_null(err);
	if (!strstr(err->message, want))
		fail_msg("%s: expected %s", err->message, want);
	clrsos_error_destroy(err);
}

static void test_il__bad_instructions(void **state)
{
	(void)state;
	expect_error((const uint8_t[]){0x24}, 1, 0, "IL_0000: opcode 0x24 is not defined");
	expect_error((const uint8_t[]){0x00, 0xfe, 0x08}, 3, 1, "IL_0001: opcode 0xfe08 is not defined");
	expect_error((const uint8_t[]){0xfe}, 1, 0, "two-byte opcode is cut");
	expect_error((const uint8_t[]){0x00, 0x28, 1, 2}, 4, 1, "IL_0001: the operand of call runs past the end");
	expect_error((const uint8_t[]){0x45, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0}, 9, 0, "operand of switch");
	expect_error((const uint8_t[]){0x00}, 1, 1, "past the end");
}

static void test_il__random_bytes_are_safe(void **state)
{
	(void)state;
	srand(1234);
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand() % 64) + 1;
		uint8_t *b = malloc(n);
		assert_non_null(b);
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)rand();
		size_t need = 0;
		struct clrsos_error *err = clrsos_il_body_size(b, n, &need);
		clrsos_error_destroy(err);
		struct clrsos_il_body body;
		err = clrsos_il_body_parse(b, n, &body);
		if (!err) {
			for (uint32_t pos = 0; pos < body.code_size;) {
				struct clrsos_il_insn in;
				struct clrsos_error *e = clrsos_il_decode(body.code, body.code_size, pos, &in);
				if (e) {
					clrsos_error_destroy(e);
					break;
				}
				pos += in.size;
			}
			clrsos_il_body_deinit(&body);
		}
		clrsos_error_destroy(err);
		free(b);
	}
}

static void test_il__no_disassembler(void **state)
{
	(void)state;
	struct fake_target fake;
	fake_target_init(&fake);
	static const uint8_t nops[16] = {0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
					 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
	fake_target_add_region(&fake, 0x1000, nops, sizeof(nops));
	struct clrsos_target *target = fake_target_create(&fake);
	struct clrsos_insn *insns = NULL;
	size_t n = 7;
	struct clrsos_error *err = clrsos_target_disassemble(target, 0x1000, 16, &insns, &n);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "no disassembler"));
	assert_null(insns);
	assert_int_equal(n, 0);
	clrsos_error_destroy(err);
	clrsos_target_destroy(target);
	fake_target_fini(&fake);
}

int run_il_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_il__tiny_body),
		cmocka_unit_test(test_il__fat_body_with_sections),
		cmocka_unit_test(test_il__operands),
		cmocka_unit_test(test_il__bad_instructions),
		cmocka_unit_test(test_il__random_bytes_are_safe),
		cmocka_unit_test(test_il__no_disassembler),
	};
	return cmocka_run_group_tests_name("il", tests, NULL, NULL);
}
