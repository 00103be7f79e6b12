/*
 * core/model/gcinfo.c: GC info blobs the runtime's JIT wrote for our own
 * target's methods (HeapShapes' <StartLockHolderThread>b__64_0 on .NET 8,
 * GcInfo version 3, and on .NET 10, version 4; StackHolderMain on .NET 10),
 * read from the live targets. The .NET 8 one is checked against what SOS
 * 10.0.750501's GCInfo printed for the same bytes; the .NET 10 ones against
 * their code headers (method size) and the disassembly (the safepoint after
 * the allocation call). Then hostile input: every prefix is an error naming
 * a bit, flipped bits and random bytes never read outside the copy (each
 * decode gets a heap copy of exactly its length: the ASan build catches an
 * over-read).
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
#include "commands/commands.h"
#include "model/gcinfo.h"
#include "fake_target.h"
#include "tests.h"

static const uint8_t v3_lambda[] = {
	0x91, 0x81, 0xec, 0x01, 0x00, 0x00, 0xb8, 0x53, 0xb4, 0x10, 0x78, 0x58,
	0x64, 0x9b, 0xd0, 0xa0, 0x0b, 0x68, 0x60, 0x0d, 0x85, 0xc2, 0x90, 0x11,
	0xe0, 0x04, 0xa8, 0x66, 0xe5, 0x00, 0x64, 0x04, 0x28, 0xcd, 0xb4, 0x6e,
	0x9a, 0x8f, 0x8a, 0x5d, 0xa1, 0xd8, 0xb4, 0x2b, 0x12, 0x73, 0x8a, 0x35,
	0xbb, 0x77, 0x99, 0x10, 0x98, 0x81, 0xd3, 0xac, 0xd9, 0x25, 0x9e, 0xf7,
	0x27, 0xb2, 0x68, 0x4d, 0x2d, 0x66, 0x53, 0xa0, 0x05,
};

static const char *const v3_lambda_sos[] = {
	"4d+rax", "55+rdi", "5b-rdi", "5b-rax", "6f+rax", "73+rdi", "77-rdi", "77+rdi(interior)",
	"7a+rsi", "7f-rsi", "7f-rax", "7f-rdi(interior)", "89+rax(interior)", "8d+rsi",
	"90+rdi(interior)", "95-rsi", "95-rdi(interior)", "95-rax(interior)", "a2+rsi", "a8-rsi",
	"ba+rdi", "c0-rdi", "cd+rdi", "d5-rdi", "123+rax(interior)", "126+rdi", "12c-rdi",
	"12c-rax(interior)", "13d+rax(interior)", "140+rdi", "150-rdi", "150-rax(interior)", "1be+rdi",
	"1c3-rdi",
};

static const uint8_t v4_stackholder[] = {
	0x1e, 0x0d, 0x90, 0x23, 0x13, 0x07, 0x88, 0xc3, 0x60, 0x10,
};

static const uint8_t v4_lambda[] = {
	0x81, 0xf9, 0x1d, 0x00, 0x00, 0xe7, 0x91, 0x16, 0x02, 0x93, 0x01, 0xad,
	0x13, 0x1a, 0x74, 0x01, 0x60, 0x60, 0x0d, 0x85, 0xc2, 0x90, 0x11, 0x00,
	0xc5, 0x26, 0x68, 0xe0, 0x00, 0xb0, 0x04, 0x48, 0xb6, 0x77, 0xeb, 0x3b,
	0x1f, 0xa8, 0xbe, 0xbd, 0x7e, 0xdd, 0xb7, 0xcf, 0xcf, 0xe9, 0xa7, 0xf6,
	0x2b, 0xbf, 0x21, 0x49, 0x54, 0xac, 0x6e, 0xd1, 0x30, 0xc1, 0x3e, 0x25,
	0x22, 0xb5, 0x9e, 0x5e, 0x57, 0x21, 0xd2, 0xec, 0x02, 0x2a, 0x44, 0x00,
};

static const char *const v4_lambda_slots[] = {
	"4b+rax", "53+rdi", "59-rdi", "59-rax", "6d+rax", "71+rcx", "75+rdi(interior)", "78+rsi",
	"7d-rsi", "7d-rcx", "7d-rax", "7d-rdi(interior)", "88+rax(interior)", "8c+rdi(interior)",
	"90+rsi", "95-rsi", "95-rdi(interior)", "95-rax(interior)", "a2+rax", "a8-rax", "b3+rdi",
	"b9-rdi", "c6+rdi", "ce-rdi", "11c+rax(interior)", "120+rdi", "126-rdi", "126-rax(interior)",
	"138+rax(interior)", "13c-rax(interior)", "13c+rax", "144+rdi", "14c-rdi", "14c-rax", "1a4+rdi",
	"1aa-rdi",
};

static struct clrsos_error *decode(const uint8_t *bytes, size_t len, uint32_t version, struct clrsos_gcinfo *ret)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, bytes, len);
	struct clrsos_error *err = clrsos_gcinfo_decode(copy, len, version, ret);
	free(copy);
	return err;
}

/* The slot transitions as "<offset hex><+|-><slot>" tokens, SOS's spelling of a slot. */
static size_t slot_tokens(const struct clrsos_gcinfo *gi, char tokens[][40], size_t max)
{
	struct clrsos_gcinfo_event *ev;
	size_t n, k = 0;
	assert_null(clrsos_gcinfo_transitions(gi, &ev, &n));
	for (size_t i = 0; i < n && k < max; i++) {
		if (ev[i].kind != CLRSOS_GCINFO_SLOT)
			continue;
		const struct clrsos_gcinfo_slot *s = &gi->slots[ev[i].slot];
		assert_true(s->is_register);
		snprintf(tokens[k++], 40, "%x%c%s%s", ev[i].offset, ev[i].live ? '+' : '-',
			 clrsos_gcinfo_register_name(s->reg), s->flags & CLRSOS_GCINFO_INTERIOR ? "(interior)" : "");
	}
	free(ev);
	return k;
}

static const int32_t lambda_untracked[] = {-0x58, -0x48, -0x38, -0x30};
static const int32_t stackholder_untracked[] = {-0x40, -0x38, -0x30};

static void check_untracked_frame_slots(const struct clrsos_gcinfo *gi, const int32_t *want, size_t n)
{
	assert_int_equal(gi->nslots - gi->ntracked, n);
	for (size_t i = 0; i < n; i++) {
		const struct clrsos_gcinfo_slot *s = &gi->slots[gi->ntracked + i];
		assert_true(s->untracked && !s->is_register);
		assert_int_equal(s->base, CLRSOS_GCINFO_FRAME_REG);
		assert_int_equal(s->offset, want[i]);
	}
}

static void test_gcinfo__v3_as_sos_prints_it(void **state)
{
	(void)state;
	struct clrsos_gcinfo gi;
	assert_null(decode(v3_lambda, sizeof(v3_lambda), 3, &gi));
	assert_false(gi.slim_header);
	assert_int_equal(gi.code_length, 0x1d9);
	assert_true(gi.has_return_kind);
	assert_int_equal(gi.return_kind, 0); /* Scalar */
	assert_true(gi.has_psp_sym);
	assert_int_equal(gi.psp_sym, 0);
	assert_true(gi.wants_report_only_leaf);
	assert_true(gi.has_frame_register);
	assert_int_equal(gi.frame_register, 5);
	assert_false(gi.has_gs_cookie);
	assert_int_equal(gi.generics, CLRSOS_GCINFO_GENERICS_NONE);
	assert_int_equal(gi.stack_parameter_area, 0);
	assert_int_equal(gi.nsafepoints, 0);
	static const struct clrsos_gcinfo_range ranges[] = {{0x27, 0x179}, {0x17a, 0x18a}, {0x1a0, 0x1d3}};
	assert_int_equal(gi.nranges, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(gi.ranges[i].start, ranges[i].start);
		assert_int_equal(gi.ranges[i].stop, ranges[i].stop);
	}
	check_untracked_frame_slots(&gi, lambda_untracked, 4);
	assert_true(gi.bits <= sizeof(v3_lambda) * 8 && gi.bits > sizeof(v3_lambda) * 8 - 8);
	char tokens[64][40];
	size_t n = slot_tokens(&gi, tokens, 64);
	assert_int_equal(n, sizeof(v3_lambda_sos) / sizeof(v3_lambda_sos[0]));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(tokens[i], v3_lambda_sos[i]);
	assert_true(clrsos_gcinfo_interruptible_at(&gi, 0x27));
	assert_false(clrsos_gcinfo_interruptible_at(&gi, 0x179));
	clrsos_gcinfo_deinit(&gi);
}

static void test_gcinfo__v4(void **state)
{
	(void)state;
	struct clrsos_gcinfo gi;
	/* StackHolderMain: slim header, 327 bytes of code, rax live after the allocation call at 0x42. */
	assert_null(decode(v4_stackholder, sizeof(v4_stackholder), 4, &gi));
	assert_true(gi.slim_header);
	assert_false(gi.has_return_kind);
	assert_int_equal(gi.code_length, 327);
	assert_int_equal(gi.nsafepoints, 1);
	assert_int_equal(gi.safepoints[0], 0x47);
	assert_int_equal(gi.ntracked, 1);
	assert_true(gi.slots[0].is_register && gi.slots[0].reg == 0);
	check_untracked_frame_slots(&gi, stackholder_untracked, 3);
	uint8_t live[1];
	clrsos_gcinfo_live_at(&gi, 0x47, live);
	assert_int_equal(live[0], 1);
	clrsos_gcinfo_live_at(&gi, 0x46, live);
	assert_int_equal(live[0], 0);
	clrsos_gcinfo_deinit(&gi);
	/* The lambda again on .NET 10: no return kind, no PSP sym, 447 bytes. */
	assert_null(decode(v4_lambda, sizeof(v4_lambda), 4, &gi));
	assert_false(gi.has_psp_sym || gi.has_return_kind);
	assert_int_equal(gi.code_length, 447);
	assert_int_equal(gi.nranges, 3);
	check_untracked_frame_slots(&gi, lambda_untracked, 4);
	char tokens[64][40];
	size_t n = slot_tokens(&gi, tokens, 64);
	assert_int_equal(n, sizeof(v4_lambda_slots) / sizeof(v4_lambda_slots[0]));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(tokens[i], v4_lambda_slots[i]);
	clrsos_gcinfo_deinit(&gi);
	/* Read as version 3 (as SOS 10.0.750501 does) it is another, wrong, method. */
	if (!decode(v4_lambda, sizeof(v4_lambda), 3, &gi)) {
		assert_int_not_equal(gi.code_length, 447);
		clrsos_gcinfo_deinit(&gi);
	}
}

/*
 * clru -gcinfo's rendering, offset by offset as the code reaches them: the
 * pieces put together are gcinfo's table, and a piece shows no line of an
 * offset past the one it was rendered through.
 */
static void render_in_pieces(const uint8_t *bytes, size_t len, uint32_t version, uint32_t stride)
{
	struct clrsos_method_gcinfo m = {0};
	assert_null(decode(bytes, len, version, &m.info));
	struct clrsos_gcinfo_event *ev;
	size_t n;
	assert_null(clrsos_gcinfo_transitions(&m.info, &ev, &n));
	struct test_buffer whole, pieces, piece;
	test_buffer_init(&whole);
	test_buffer_init(&pieces);
	test_buffer_init(&piece);
	clrsos_render_gcinfo_table(&m, ev, n, &whole.writer);
	struct clrsos_gcinfo_render st = {0};
	clrsos_render_gcinfo_header(&m, &pieces.writer);
	for (uint32_t at = 0; at <= m.info.code_length + stride; at += stride) {
		test_buffer_reset(&piece);
		clrsos_render_gcinfo_transitions(&m.info, ev, n, &st, at, &piece.writer);
		for (const char *line = piece.data; line && *line;) {
			unsigned offset;
			char blank;
			if (sscanf(line, "%8x%c", &offset, &blank) == 2 && (blank == ' ' || blank == '\n'))
				assert_true(offset <= at);
			const char *nl = strchr(line, '\n');
			line = nl ? nl + 1 : NULL;
		}
		/* Whole lines: the instruction after it starts a line of its own. */
		if (piece.len) {
			assert_int_equal(piece.data[piece.len - 1], '\n');
			pieces.writer.write(pieces.writer.ctx, piece.data, piece.len);
		}
	}
	assert_string_equal(pieces.data, whole.data);
	test_buffer_fini(&whole);
	test_buffer_fini(&pieces);
	test_buffer_fini(&piece);
	free(ev);
	clrsos_gcinfo_deinit(&m.info);
}

static void test_gcinfo__rendered_offset_by_offset_as_a_whole(void **state)
{
	(void)state;
	for (uint32_t stride = 1; stride < 40; stride += 7) {
		render_in_pieces(v3_lambda, sizeof(v3_lambda), 3, stride);
		render_in_pieces(v4_stackholder, sizeof(v4_stackholder), 4, stride);
		render_in_pieces(v4_lambda, sizeof(v4_lambda), 4, stride);
	}
}

static void test_gcinfo__prefixes_fail_at_a_bit(void **state)
{
	(void)state;
	const struct {
		const uint8_t *b;
		size_t n;
		uint32_t v;
	} blobs[] = {{v3_lambda, sizeof(v3_lambda), 3}, {v4_stackholder, sizeof(v4_stackholder), 4},
		     {v4_lambda, sizeof(v4_lambda), 4}};
	for (size_t k = 0; k < 3; k++) {
		struct clrsos_gcinfo gi;
		assert_null(decode(blobs[k].b, blobs[k].n, blobs[k].v, &gi));
		size_t need = (gi.bits + 7) / 8;
		clrsos_gcinfo_deinit(&gi);
		for (size_t len = 0; len < need; len++) {
			struct clrsos_error *err = decode(blobs[k].b, len, blobs[k].v, &gi);
			assert_non_null(err);
			assert_non_null(strstr(err->message, "at bit"));
			assert_null(strchr(err->message, '\n'));
			clrsos_error_destroy(err);
		}
	}
	struct clrsos_error *err = decode(v4_lambda, sizeof(v4_lambda), 1, &(struct clrsos_gcinfo){0});
	assert_non_null(err);
	clrsos_error_destroy(err);
}

static void exercise(const uint8_t *b, size_t n, uint32_t v)
{
	struct clrsos_gcinfo gi;
	struct clrsos_error *err = decode(b, n, v, &gi);
	if (err) {
		assert_null(strchr(err->message, '\n'));
		clrsos_error_destroy(err);
		return;
	}
	struct clrsos_gcinfo_event *ev;
	size_t nev;
	if (gi.code_length <= 4096) {
		assert_null(clrsos_gcinfo_transitions(&gi, &ev, &nev));
		for (size_t i = 0; i < nev; i++)
			assert_true(ev[i].kind != CLRSOS_GCINFO_SLOT || ev[i].slot < gi.ntracked);
		free(ev);
	}
	clrsos_gcinfo_deinit(&gi);
}

static void test_gcinfo__flipped_and_random_bytes_are_safe(void **state)
{
	(void)state;
	uint8_t buf[96];
	memcpy(buf, v4_lambda, sizeof(v4_lambda));
	for (size_t bit = 0; bit < sizeof(v4_lambda) * 8; bit++) {
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		exercise(buf, sizeof(v4_lambda), 4);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	uint32_t x = 12345;
	for (int round = 0; round < 3000; round++) {
		size_t n = 1 + (round % (int)sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (uint8_t)(x >> 16);
		}
		exercise(buf, n, 3 + (uint32_t)(round & 1));
	}
}

int run_gcinfo_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcinfo__v3_as_sos_prints_it),
		cmocka_unit_test(test_gcinfo__v4),
		cmocka_unit_test(test_gcinfo__rendered_offset_by_offset_as_a_whole),
		cmocka_unit_test(test_gcinfo__prefixes_fail_at_a_bit),
		cmocka_unit_test(test_gcinfo__flipped_and_random_bytes_are_safe),
	};
	return cmocka_run_group_tests_name("gcinfo", tests, NULL, NULL);
}
