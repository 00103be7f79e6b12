/*
 * tool/diag/ipc.c: parsing replies, payload strings and ProcessInfo
 * payloads, and writing request payloads. Built messages as the runtime
 * writes them (ds-protocol.c's layout), then every way one can be cut or lie.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag/ipc.h"

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put32(struct msg *m, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put(m, b, 4);
}

static void put64(struct msg *m, uint64_t v)
{
	put32(m, (uint32_t)v);
	put32(m, (uint32_t)(v >> 32));
}

/* An ASCII string as the runtime writes it. */
static void put_str(struct msg *m, const char *s)
{
	put32(m, (uint32_t)strlen(s) + 1);
	for (const char *c = s;; c++) {
		uint8_t u[2] = { (uint8_t)*c, 0 };
		put(m, u, 2);
		if (!*c)
			break;
	}
}

static void header(struct msg *m, uint8_t set, uint8_t id)
{
	m->n = 0;
	put(m, "DOTNET_IPC_V1", 14);
	uint8_t rest[6] = { 0, 0, set, id, 0, 0 };
	put(m, rest, 6);
}

static void finish(struct msg *m)
{
	m->b[14] = (uint8_t)m->n;
	m->b[15] = (uint8_t)(m->n >> 8);
}

static void test_parse_reply_ok(void **state)
{
	(void)state;
	struct msg m;
	header(&m, 0xff, 0x00);
	put64(&m, 0x1122334455667788ull);
	finish(&m);
	struct clrsos_ipc_reply r;
	assert_null(clrsos_ipc_parse_reply(m.b, m.n, &r));
	assert_int_equal(r.command_set, 0xff);
	assert_int_equal(r.command_id, 0x00);
	assert_int_equal(r.size, 8);
	assert_int_equal(r.payload[0], 0x88);
	uint32_t hr;
	assert_false(clrsos_ipc_reply_is_error(&r, &hr));
	clrsos_ipc_reply_deinit(&r);
	assert_null(r.payload);

	/* The generic OK: a header alone. */
	header(&m, 0xff, 0x00);
	finish(&m);
	assert_null(clrsos_ipc_parse_reply(m.b, m.n, &r));
	assert_int_equal(r.size, 0);
	clrsos_ipc_reply_deinit(&r);
}

static void test_parse_reply_error(void **state)
{
	(void)state;
	struct msg m;
	header(&m, 0xff, 0xff);
	put32(&m, CLRSOS_IPC_E_UNKNOWN_COMMAND);
	finish(&m);
	struct clrsos_ipc_reply r;
	assert_null(clrsos_ipc_parse_reply(m.b, m.n, &r));
	uint32_t hr;
	assert_true(clrsos_ipc_reply_is_error(&r, &hr));
	assert_int_equal(hr, CLRSOS_IPC_E_UNKNOWN_COMMAND);
	assert_string_equal(clrsos_ipc_hresult_text(hr), "unknown command (the runtime is too old for it)");
	clrsos_ipc_reply_deinit(&r);

	/* An error reply without its HRESULT is still an error, with 0. */
	header(&m, 0xff, 0xff);
	finish(&m);
	assert_null(clrsos_ipc_parse_reply(m.b, m.n, &r));
	assert_true(clrsos_ipc_reply_is_error(&r, &hr));
	assert_int_equal(hr, 0);
	clrsos_ipc_reply_deinit(&r);
}

static void expect_reply_error(const uint8_t *b, size_t n, const char *words)
{
	struct clrsos_ipc_reply r;
	struct clrsos_error *err = clrsos_ipc_parse_reply(b, n, &r);
	assert_non_null(err);
	assert_non_null(strstr(err->message, words));
	assert_null(r.payload);
	clrsos_error_destroy(err);
}

static void test_parse_reply_hostile(void **state)
{
	(void)state;
	struct msg m;
	header(&m, 0xff, 0x00);
	put64(&m, 1);
	finish(&m);
	expect_reply_error(m.b, 0, "shorter than its 20-byte header");
	expect_reply_error(m.b, 19, "shorter than its 20-byte header");
	/* Cut: the header says 28, 27 are there. */
	expect_reply_error(m.b, m.n - 1, "says it is 28 bytes but is 27");
	/* Too long for what the header says. */
	uint8_t longer[64];
	memcpy(longer, m.b, m.n);
	longer[m.n] = 0;
	expect_reply_error(longer, m.n + 1, "says it is 28 bytes but is 29");
	/* A size below the header's own. */
	m.b[14] = 3;
	m.b[15] = 0;
	expect_reply_error(m.b, m.n, "says it is 3 bytes");
	finish(&m);
	/* Not the magic: garbage, or another protocol. */
	m.b[0] = 'X';
	expect_reply_error(m.b, m.n, "not a .NET diagnostics server");
	memset(m.b, 0xff, m.n);
	expect_reply_error(m.b, m.n, "not a .NET diagnostics server");
}

static void test_read_string(void **state)
{
	(void)state;
	struct msg m = { .n = 0 };
	put32(&m, 0);              /* no string */
	put_str(&m, "Linux");
	/* "é" U+00E9, "😀" U+1F600 as a pair, a lone high surrogate, NUL. */
	put32(&m, 5);
	uint8_t units[] = { 0xe9, 0x00, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xd8, 0x00, 0x00 };
	put(&m, units, sizeof(units));
	size_t off = 0;
	char *s;
	assert_null(clrsos_ipc_read_string(m.b, m.n, &off, &s));
	assert_null(s);
	assert_int_equal(off, 4);
	assert_null(clrsos_ipc_read_string(m.b, m.n, &off, &s));
	assert_string_equal(s, "Linux");
	free(s);
	assert_null(clrsos_ipc_read_string(m.b, m.n, &off, &s));
	assert_string_equal(s, "\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd");
	free(s);
	assert_int_equal(off, m.n);

	/* Past the end: no length, or a length larger than what is left. */
	struct clrsos_error *err = clrsos_ipc_read_string(m.b, m.n, &off, &s);
	assert_non_null(err);
	assert_null(s);
	clrsos_error_destroy(err);
	struct msg big = { .n = 0 };
	put32(&big, 0xffffffffu);
	put32(&big, 0x00410041u);
	off = 0;
	err = clrsos_ipc_read_string(big.b, big.n, &off, &s);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "claims 4294967295 characters"));
	assert_int_equal(off, 0);
	clrsos_error_destroy(err);
	/* Odd bytes left: a length of 2 units over 3 bytes. */
	big.n = 0;
	put32(&big, 2);
	put(&big, "A\0B", 3);
	off = 0;
	err = clrsos_ipc_read_string(big.b, big.n, &off, &s);
	assert_non_null(err);
	clrsos_error_destroy(err);
	/* An offset already past the payload. */
	off = big.n + 10;
	err = clrsos_ipc_read_string(big.b, big.n, &off, &s);
	assert_non_null(err);
	clrsos_error_destroy(err);
	/* A string without its NUL is taken as it is. */
	big.n = 0;
	put32(&big, 2);
	put(&big, "O\0K\0", 4);
	off = 0;
	assert_null(clrsos_ipc_read_string(big.b, big.n, &off, &s));
	assert_string_equal(s, "OK");
	free(s);
}

/* A ProcessInfo payload as ds-process-protocol.c writes it. */
static void process_info_payload(struct msg *m, int version)
{
	m->n = 0;
	if (version == 3)
		put32(m, 1);
	put64(m, 4242);
	uint8_t cookie[16];
	for (int i = 0; i < 16; i++)
		cookie[i] = (uint8_t)i;
	put(m, cookie, 16);
	put_str(m, "/usr/bin/dotnet /app/App.dll --flag");
	put_str(m, "Linux");
	put_str(m, "x64");
	if (version >= 2) {
		put_str(m, "App");
		put_str(m, "10.0.12");
	}
	if (version == 3)
		put_str(m, "linux-x64");
}

static void test_process_info(void **state)
{
	(void)state;
	for (int version = 1; version <= 3; version++) {
		struct msg m;
		process_info_payload(&m, version);
		struct clrsos_process_info info;
		assert_null(clrsos_ipc_parse_process_info(m.b, m.n, version, &info));
		assert_int_equal(info.pid, 4242);
		assert_int_equal(info.runtime_cookie[15], 15);
		assert_string_equal(info.command_line, "/usr/bin/dotnet /app/App.dll --flag");
		assert_string_equal(info.os, "Linux");
		assert_string_equal(info.arch, "x64");
		assert_int_equal(info.version, version);
		if (version >= 2) {
			assert_string_equal(info.assembly, "App");
			assert_string_equal(info.runtime_version, "10.0.12");
		} else {
			assert_null(info.assembly);
			assert_null(info.runtime_version);
		}
		if (version == 3)
			assert_string_equal(info.rid, "linux-x64");
		else
			assert_null(info.rid);
		clrsos_process_info_deinit(&info);

		/* Every cut of it fails cleanly (ASan checks the reads). */
		for (size_t n = 0; n < m.n; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			memcpy(copy, m.b, n);
			struct clrsos_error *err = clrsos_ipc_parse_process_info(copy, n, version, &info);
			assert_non_null(err);
			assert_null(info.command_line);
			clrsos_error_destroy(err);
			free(copy);
		}
	}
	/* ProcessInfo3 of payload version 0: no rid, and none read. */
	struct msg m;
	process_info_payload(&m, 3);
	m.b[0] = 0;
	struct clrsos_process_info info;
	assert_null(clrsos_ipc_parse_process_info(m.b, m.n, 3, &info));
	assert_null(info.rid);
	clrsos_process_info_deinit(&info);
}

static void test_put_string(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t n = 0;
	assert_int_equal(clrsos_ipc_put_string(buf, sizeof(buf), &n, "a\xc3\xa9\xf0\x9f\x98\x80"), 0);
	/* 'a', U+00E9, a pair, NUL: 5 units. */
	assert_int_equal(n, 4 + 10);
	assert_int_equal(buf[0], 5);
	size_t off = 0;
	char *s;
	assert_null(clrsos_ipc_read_string(buf, n, &off, &s));
	assert_string_equal(s, "a\xc3\xa9\xf0\x9f\x98\x80");
	free(s);
	/* NULL: length 0. */
	n = 0;
	assert_int_equal(clrsos_ipc_put_string(buf, sizeof(buf), &n, NULL), 0);
	assert_int_equal(n, 4);
	assert_int_equal(buf[0], 0);
	/* Invalid UTF-8 becomes U+FFFD. */
	n = 0;
	assert_int_equal(clrsos_ipc_put_string(buf, sizeof(buf), &n, "\xff"), 0);
	assert_int_equal(buf[4], 0xfd);
	assert_int_equal(buf[5], 0xff);
	/* No room: -1, never past cap. */
	n = 0;
	assert_int_equal(clrsos_ipc_put_string(buf, 9, &n, "abc"), -1);
	n = 10;
	assert_int_equal(clrsos_ipc_put_u32(buf, 9, &n, 1), -1);
	n = 6;
	assert_int_equal(clrsos_ipc_put_u64(buf, 12, &n, 1), -1);
	n = 0;
	assert_int_equal(clrsos_ipc_put_u8(buf, 1, &n, 7), 0);
	assert_int_equal(clrsos_ipc_put_u8(buf, 1, &n, 7), -1);
}

static void test_endpoint_errors(void **state)
{
	(void)state;
	struct clrsos_ipc_endpoint ep;
	struct clrsos_error *err = clrsos_ipc_endpoint_find(0, &ep);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_INVALID_ARGUMENT);
	clrsos_error_destroy(err);
	err = clrsos_ipc_endpoint_find(0x3fffffff, &ep);
	assert_non_null(err);
	assert_string_equal(err->message, "no process with pid 1073741823");
	clrsos_error_destroy(err);
	clrsos_ipc_endpoint_deinit(&ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reply_ok),
		cmocka_unit_test(test_parse_reply_error),
		cmocka_unit_test(test_parse_reply_hostile),
		cmocka_unit_test(test_read_string),
		cmocka_unit_test(test_process_info),
		cmocka_unit_test(test_put_string),
		cmocka_unit_test(test_endpoint_errors),
	};
	return cmocka_run_group_tests_name("tool_ipc", tests, NULL, NULL);
}
