/*
 * core/model/stresslog.c: a thread's chunks decoded as the runtime wrote
 * them (newest first, across chunks, stopping where the writer's data
 * ends), hostile chunks (a message crossing its chunk's end, a write
 * pointer outside its chunk, random bytes) that never read outside the
 * chunk copies (each a heap block of exactly the chunk's size: the ASan
 * build catches an over-read), and the printf-style formatter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/stresslog.h"
#include "tests.h"

enum { SIZE = CLRSOS_STRESSLOG_CHUNK_SIZE };

/* A message header as the runtime's bitfields lay it out. */
static void put_msg(uint8_t *buf, size_t pos, uint32_t facility, uint32_t nargs, uint64_t format, uint64_t ts,
		    const uint64_t *args)
{
	uint64_t w0 = facility | ((uint64_t)nargs << 32) | ((format & ((1u << 26) - 1)) << 38);
	uint64_t w1 = (format >> 26) | (ts << 13);
	memcpy(buf + pos, &w0, 8);
	memcpy(buf + pos + 8, &w1, 8);
	/* The arguments given (at most 2); a header alone when it claims more. */
	if (nargs <= 2)
		memcpy(buf + pos + 16, args, nargs * 8);
}

static void decode_two_chunks(void **state)
{
	(void)state;
	uint8_t *a = calloc(1, SIZE), *b = calloc(1, SIZE);
	uint64_t args[2] = {0x1111, 0x2222};
	/* Chunk a (head, being written): newest at the lowest address. */
	size_t p2 = SIZE - 16 - 8;      /* ts 20, one argument, ends the chunk */
	size_t p3 = p2 - 16 - 16;       /* ts 30, two arguments */
	put_msg(a, p2, 1, 1, 0x100, 20, args);
	put_msg(a, p3, 1, 2, (1ull << 30) + 5, 30, args);
	/* Chunk b (tail, left earlier): full of older messages but for a zeroed gap at its start. */
	for (size_t p = 32; p < SIZE - 16; p += 16)
		put_msg(b, p, 1, 0, 0x200, 10, args);
	put_msg(b, SIZE - 16, 0x80000, 0, 0x200, 9, args);
	struct clrsos_stresslog_chunk chunks[2] = {{0x10000, a}, {0x20000, b}};
	struct clrsos_stresslog_msg *msgs;
	size_t n;
	const char *bad;
	assert_null(clrsos_stresslog_decode_thread(chunks, 2, 0x10000 + 16 + p3, 0x10000, false, &msgs, &n, &bad));
	assert_null(bad);
	assert_int_equal(n, 2 + (SIZE - 32) / 16);
	assert_int_equal(msgs[0].timestamp, 30);
	assert_int_equal(msgs[0].arg_count, 2);
	assert_int_equal(msgs[0].format_offset, (1ull << 30) + 5);
	assert_int_equal(msgs[0].args[1], 0x2222);
	assert_int_equal(msgs[1].timestamp, 20);
	assert_int_equal(msgs[1].args[0], 0x1111);
	assert_int_equal(msgs[2].timestamp, 10);
	assert_int_equal(msgs[n - 1].timestamp, 9);
	assert_int_equal(msgs[n - 1].facility, 0x80000);
	free(msgs);
	/* The write pointer outside its chunk, or a chunk not in the list: nothing. */
	assert_null(clrsos_stresslog_decode_thread(chunks, 2, 0x10000 + 16 + SIZE + 8, 0x10000, false, &msgs, &n,
						   &bad));
	assert_non_null(bad);
	assert_int_equal(n, 0);
	assert_null(clrsos_stresslog_decode_thread(chunks, 2, 0x30010, 0x30000, false, &msgs, &n, &bad));
	assert_non_null(bad);
	/* A message whose arguments would cross the chunk's end: stops there. */
	put_msg(a, SIZE - 16 - 8, 1, 63, 0x100, 20, args);
	assert_null(clrsos_stresslog_decode_thread(chunks, 2, 0x10000 + 16 + p3, 0x10000, false, &msgs, &n, &bad));
	assert_non_null(bad);
	assert_int_equal(n, 1);
	free(msgs);
	free(a);
	free(b);
}

static void decode_random(void **state)
{
	(void)state;
	srand(1234);
	for (int round = 0; round < 300; round++) {
		size_t count = 1 + (size_t)(rand() % 4);
		struct clrsos_stresslog_chunk chunks[4];
		uint8_t *bufs[4];
		for (size_t i = 0; i < count; i++) {
			bufs[i] = malloc(SIZE);
			for (size_t k = 0; k < SIZE; k++)
				bufs[i][k] = (uint8_t)((round & 1) && k % 16 > 3 ? 0 : rand());
			chunks[i].address = 0x100000 * (i + 1);
			chunks[i].buf = bufs[i];
		}
		size_t w = (size_t)rand() % count;
		uint64_t cur = chunks[w].address + 16 + (uint64_t)(rand() % (SIZE / 8 + 1)) * 8;
		struct clrsos_stresslog_msg *msgs;
		size_t n;
		const char *bad;
		assert_null(clrsos_stresslog_decode_thread(chunks, count, cur, chunks[w].address, rand() & 1, &msgs,
							   &n, &bad));
		assert_true(n <= count * (SIZE / 16) + 1);
		for (size_t i = 0; i < n; i++) {
			/* Every argument lies inside one of the chunk copies. */
			const uint8_t *end = (const uint8_t *)(msgs[i].args + msgs[i].arg_count);
			bool inside = false;
			for (size_t c = 0; c < count; c++)
				if (end <= bufs[c] + SIZE && (const uint8_t *)msgs[i].args >= bufs[c])
					inside = true;
			assert_true(inside);
		}
		free(msgs);
		for (size_t i = 0; i < count; i++)
			free(bufs[i]);
	}
}

struct sink {
	char text[4096];
	size_t len;
};

static void sink_write(void *ctx, const char *text, size_t size)
{
	struct sink *s = ctx;
	if (s->len + size < sizeof(s->text)) {
		memcpy(s->text + s->len, text, size);
		s->len += size;
		s->text[s->len] = 0;
	}
}

static size_t fake_read(void *ctx, uint64_t address, void *buf, size_t size)
{
	(void)ctx;
	const char *text = address == 0x5000 ? "hello" : NULL;
	static const uint8_t wide[] = {'w', 0, 'i', 0, 0, 0};
	if (address == 0x6000) {
		size_t n = size < sizeof(wide) ? size : sizeof(wide);
		memcpy(buf, wide, n);
		return n;
	}
	if (!text)
		return 0;
	size_t n = strlen(text) + 1 < size ? strlen(text) + 1 : size;
	memcpy(buf, text, n);
	return n;
}

static char *fake_mt(void *ctx, uint64_t mt)
{
	(void)ctx;
	return mt == 0x7000 ? strdup("System.String") : NULL;
}

static char *fake_md(void *ctx, uint64_t md)
{
	(void)ctx;
	return md == 0x8000 ? strdup("Program.Main()") : NULL;
}

static const char *fmt(const char *format, const uint64_t *args, uint32_t n, struct sink *s)
{
	const struct clrsos_stresslog_names names = {NULL, fake_read, fake_mt, fake_md, NULL};
	struct clrsos_writer w = {sink_write, s};
	s->len = 0;
	s->text[0] = 0;
	clrsos_stresslog_format(format, args, n, &names, &w);
	return s->text;
}

static void format_expands(void **state)
{
	(void)state;
	struct sink s;
	double d = 1.5;
	uint64_t dbits;
	memcpy(&dbits, &d, 8);
	uint64_t a[] = {0xffffffff00000007ull, 0x1f, 0x7ffe1234, 0, 0x5000, 0x7001, 0x8000, dbits, 0x6000};
	assert_string_equal(fmt("{ BEGINGC %d, gen %lu\n", a, 9, &s), "} BEGINGC 7, gen 31");
	assert_string_equal(fmt("%p %p -0x%x %08X", a + 2, 7, &s), "0x7ffe1234 (nil) -0x5000 00007001");
	assert_string_equal(fmt("s=%s MT = %pT md %pM", a + 4, 3, &s),
			    "s=hello MT = 0x7001 Low Bit(s) Set (System.String) md 0x8000 (Program.Main())");
	assert_string_equal(fmt("%.3fms %S %%", a + 7, 2, &s), "1.500ms wi %");
	assert_string_equal(fmt("%pT", a + 2, 1, &s), "0x7ffe1234 (BAD MethodTable)");
	/* Missing arguments, unknown conversions, control characters, huge widths. */
	assert_string_equal(fmt("%d %d %n", a, 1, &s), "7 <missing> %n");
	assert_string_equal(fmt("a\tb\x1b", a, 0, &s), "a\\tb\\x1b");
	assert_string_equal(fmt("%s", a + 2, 1, &s), "(#Could not read address of string#)");
	fmt("%99999999d|", a, 1, &s);
	assert_true(s.len > 200 && s.len < 300);
	assert_string_equal(fmt("%", a, 1, &s), "%");
	/* Never more than 256 bytes of a format. */
	char long_fmt[600];
	memset(long_fmt, 'x', sizeof(long_fmt) - 1);
	long_fmt[sizeof(long_fmt) - 1] = 0;
	assert_int_equal(strlen(fmt(long_fmt, a, 0, &s)), 256);
}

static void facility_names(void **state)
{
	(void)state;
	char buf[512];
	assert_string_equal(clrsos_stresslog_facility_name(0x80001, buf, sizeof(buf)), "`GC`GCROOTS`");
	assert_string_equal(clrsos_stresslog_facility_name(0xffffffffu, buf, sizeof(buf)), "`ALL`");
	assert_string_equal(clrsos_stresslog_facility_name(0x81000000u, buf, sizeof(buf)), "`STARTUP`ALWAYS`");
}

/* The merged order: newest first over all threads, equal timestamps the first thread's first. */
static void merge_order(void **state)
{
	(void)state;
	enum { THREADS = 37, PER = 50 };
	struct clrsos_stresslog_thread threads[THREADS];
	static struct clrsos_stresslog_msg msgs[THREADS][PER];
	memset(threads, 0, sizeof(threads));
	srand(7);
	size_t total = 0;
	for (size_t t = 0; t < THREADS; t++) {
		/* Some threads have none; timestamps fall within a thread, with ties across threads. */
		size_t n = t % 5 == 3 ? 0 : (size_t)(rand() % PER) + 1;
		uint64_t ts = 1000;
		for (size_t i = 0; i < n; i++) {
			ts -= (uint64_t)(rand() % 4);
			msgs[t][i].timestamp = ts;
			msgs[t][i].format_offset = t * 1000 + i;
		}
		threads[t].msgs = msgs[t];
		threads[t].msg_count = n;
		total += n;
	}
	struct clrsos_stresslog log = {.threads = threads, .thread_count = THREADS};
	struct clrsos_stresslog_cursor cursor;
	assert_null(clrsos_stresslog_cursor_init(&log, &cursor));
	size_t ref_pos[THREADS] = {0}, count = 0, thread;
	const struct clrsos_stresslog_msg *m;
	bool done;
	while (clrsos_stresslog_next(&log, &cursor, &thread, &m, &done)) {
		/* The reference: a scan of every thread's next message. */
		size_t best = THREADS;
		for (size_t t = 0; t < THREADS; t++)
			if (ref_pos[t] < threads[t].msg_count &&
			    (best == THREADS || msgs[t][ref_pos[t]].timestamp > msgs[best][ref_pos[best]].timestamp))
				best = t;
		assert_int_equal(thread, best);
		assert_ptr_equal(m, &msgs[best][ref_pos[best]]);
		ref_pos[best]++;
		assert_int_equal(done, ref_pos[best] == threads[best].msg_count);
		count++;
	}
	assert_int_equal(count, total);
	clrsos_stresslog_cursor_deinit(&cursor);
}

int run_stresslog_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_two_chunks),
		cmocka_unit_test(decode_random),
		cmocka_unit_test(format_expands),
		cmocka_unit_test(facility_names),
		cmocka_unit_test(merge_order),
	};
	return cmocka_run_group_tests_name("stresslog", tests, NULL, NULL);
}
