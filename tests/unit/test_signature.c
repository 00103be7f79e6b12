/*
 * core/model/signature.c: signature blobs as SOS's dumpsig/dumpsigelem
 * print them. Hand-built blobs for each element type and calling
 * convention, names through the machine's System.Private.CoreLib metadata,
 * and hostile blobs: every prefix of a good blob is TRUNCATED, bad bytes are
 * INVALID at the right byte, and random bytes never read outside the copy
 * (each decode gets a heap copy of exactly its length: the ASan build
 * catches an over-read).
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "model/metadata.h"
#include "model/signature.h"
#include "target/pe.h"
#include "tests.h"

/* Decodes a heap copy of exactly len bytes (whole signature or one type). */
static void decode(bool method, const uint8_t *bytes, size_t len, const struct clrsos_sig_names *names,
		   struct clrsos_signature *ret)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, bytes, len);
	struct clrsos_error *err = method ? clrsos_signature_decode(copy, len, names, ret)
					  : clrsos_signature_decode_type(copy, len, names, ret);
	free(copy);
	assert_null(err);
}

/* The blob decodes to want using all its bytes, and each shorter prefix is TRUNCATED. */
static void check(bool method, const uint8_t *bytes, size_t len, const struct clrsos_sig_names *names,
		  const char *want)
{
	struct clrsos_signature s;
	decode(method, bytes, len, names, &s);
	if (s.status != CLRSOS_SIG_OK)
		fail_msg("want '%s', got status %d (%s at byte %zu)", want, s.status, s.problem ? s.problem : "",
			 s.offset);
	assert_string_equal(s.text, want);
	assert_int_equal(s.offset, len);
	clrsos_signature_deinit(&s);
	for (size_t k = 0; k < len; k++) {
		decode(method, bytes, k, names, &s);
		if (s.status != CLRSOS_SIG_TRUNCATED)
			fail_msg("'%s' cut to %zu bytes: status %d, not TRUNCATED", want, k, s.status);
		assert_null(s.text);
		clrsos_signature_deinit(&s);
	}
}

#define CHECK_SIG(want, ...)                                                            \
	do {                                                                            \
		static const uint8_t b_[] = {__VA_ARGS__};                              \
		check(true, b_, sizeof(b_), NULL, want);                                \
	} while (0)
#define CHECK_TYPE(want, ...)                                                           \
	do {                                                                            \
		static const uint8_t b_[] = {__VA_ARGS__};                              \
		check(false, b_, sizeof(b_), NULL, want);                               \
	} while (0)

static void expect_invalid(bool method, const uint8_t *bytes, size_t len, size_t at)
{
	struct clrsos_signature s;
	decode(method, bytes, len, NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_INVALID);
	assert_non_null(s.problem);
	assert_null(s.text);
	assert_int_equal(s.offset, at);
	clrsos_signature_deinit(&s);
}

static void test_signature__method_parts(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x20, 0x02, 0x01, 0x0e, 0x08, 0xff, 0xff}; /* two bytes after it */
	struct clrsos_signature s;
	decode(true, b, sizeof(b), NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_OK);
	assert_string_equal(s.text, "[DEFAULT] [hasThis] Void (String,I4)");
	assert_int_equal(s.offset, 5);
	assert_int_equal(s.convention, 0x20);
	assert_string_equal(s.convention_name, "[DEFAULT]");
	assert_true(s.has_this);
	assert_false(s.explicit_this);
	assert_false(s.generic);
	assert_string_equal(s.return_type, "Void");
	assert_int_equal(s.parameter_count, 2);
	assert_string_equal(s.parameters[0], "String");
	assert_string_equal(s.parameters[1], "I4");
	clrsos_signature_deinit(&s);

	static const uint8_t g[] = {0x30, 0x02, 0x01, 0x1e, 0x01, 0x1d, 0x1e, 0x00};
	decode(true, g, sizeof(g), NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_OK);
	assert_string_equal(s.text, "[DEFAULT] [hasThis] [generic:2] !!1 (SZArray !!0)");
	assert_true(s.generic);
	assert_int_equal(s.generic_count, 2);
	assert_string_equal(s.return_type, "!!1");
	assert_int_equal(s.parameter_count, 1);
	assert_string_equal(s.parameters[0], "SZArray !!0");
	clrsos_signature_deinit(&s);

	static const uint8_t l[] = {0x07, 0x02, 0x08, 0x45, 0x0e};
	decode(true, l, sizeof(l), NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_OK);
	assert_string_equal(s.text, "[LOCALSIG] I4,PINNED String)");
	assert_null(s.return_type);
	assert_int_equal(s.parameter_count, 2);
	assert_string_equal(s.parameters[1], "PINNED String");
	clrsos_signature_deinit(&s);

	static const uint8_t f[] = {0x06, 0x1d, 0x08};
	decode(true, f, sizeof(f), NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_OK);
	assert_string_equal(s.text, "[FIELD] SZArray I4 ");
	assert_string_equal(s.return_type, "SZArray I4");
	assert_int_equal(s.parameter_count, 0);
	clrsos_signature_deinit(&s);
}

static void test_signature__conventions(void **state)
{
	(void)state;
	CHECK_SIG("[DEFAULT] Void ()", 0x00, 0x00, 0x01);
	CHECK_SIG("[DEFAULT] [hasThis] Void (String,I4)", 0x20, 0x02, 0x01, 0x0e, 0x08);
	CHECK_SIG("[DEFAULT] [hasThis] [explicit] I8 ()", 0x60, 0x00, 0x0a);
	CHECK_SIG("[DEFAULT] [generic:1] !!0 (!!0,ByRef !!0)", 0x10, 0x01, 0x02, 0x1e, 0x00, 0x1e, 0x00, 0x10, 0x1e,
		  0x00);
	CHECK_SIG("[FIELD] I4 ", 0x06, 0x08);
	CHECK_SIG("[LOCALSIG] I4,PINNED String)", 0x07, 0x02, 0x08, 0x45, 0x0e);
	CHECK_SIG("[PROPERTY] [hasThis] String ()", 0x28, 0x00, 0x0e);
	CHECK_SIG("[VARARG] Void (I4,<ELEMENT_TYPE_SENTINEL> String)", 0x05, 0x02, 0x01, 0x08, 0x41, 0x0e);
	CHECK_SIG("[C] I4 (IntPtr)", 0x01, 0x01, 0x08, 0x18);
	CHECK_SIG("[UNMANAGED] Void ()", 0x09, 0x00, 0x01);
	CHECK_SIG("[UNKNOWN] Void ()", 0x0c, 0x00, 0x01);
}

static void test_signature__element_types(void **state)
{
	(void)state;
	CHECK_TYPE("I4", 0x08);
	CHECK_TYPE("Boolean", 0x02);
	CHECK_TYPE("R8", 0x0d);
	CHECK_TYPE("Object", 0x1c);
	CHECK_TYPE("TypedByRef", 0x16);
	CHECK_TYPE("UIntPtr", 0x19);
	CHECK_TYPE("ByRef I4", 0x10, 0x08);
	CHECK_TYPE("Ptr Ptr Void", 0x0f, 0x0f, 0x01);
	CHECK_TYPE("SZArray String", 0x1d, 0x0e);
	CHECK_TYPE("SZArray SZArray Object", 0x1d, 0x1d, 0x1c);
	CHECK_TYPE("!3", 0x13, 0x03);
	CHECK_TYPE("!!200", 0x1e, 0x80, 0xc8);
	/* No module: tokens in hex; TypeDefOrRef coded (II.23.2.8). */
	CHECK_TYPE("Class 0x01000002", 0x12, 0x09);
	CHECK_TYPE("ValueType 0x02000002", 0x11, 0x08);
	CHECK_TYPE("Class 0x02000234", 0x12, 0x80 | (0x234 << 2) >> 8, (0x234 << 2) & 0xff);
	CHECK_TYPE("Class 1b000002", 0x12, 0x0a);
	CHECK_TYPE("Class ", 0x12, 0x00); /* a nil token: SOS prints no name */
	CHECK_TYPE("ByRef ValueType 0x02000005", 0x10, 0x11, 0x14);
	CHECK_TYPE("Class 0x01000002<I4,!0>", 0x15, 0x12, 0x09, 0x02, 0x08, 0x13, 0x00);
	CHECK_TYPE("Class 0x01000002<Class 0x01000003<String>>", 0x15, 0x12, 0x09, 0x01, 0x15, 0x12, 0x0d, 0x01,
		   0x0e);
	CHECK_TYPE("CMOD_REQD 0x01000002 ByRef I4", 0x1f, 0x09, 0x10, 0x08);
	CHECK_TYPE("CMOD_OPT 0x01000001 I4", 0x20, 0x05, 0x08);
	CHECK_TYPE("FnPtr [DEFAULT]Void(I4,String)", 0x1b, 0x00, 0x02, 0x01, 0x08, 0x0e);
	CHECK_TYPE("FnPtr [explicit] [hasThis] [C]I4()", 0x1b, 0x61, 0x00, 0x08);
	CHECK_TYPE("PINNED ByRef U1", 0x45, 0x10, 0x05);
	/* int[,] as C# writes it: rank 2, no sizes, two lower bounds of 0. */
	CHECK_TYPE("MDArray {I4, 2 0 2 0 0 }", 0x14, 0x08, 0x02, 0x00, 0x02, 0x00, 0x00);
	/* Sizes 3 and 4, one lower bound -2 (signed, II.23.2); SOS writes no
	 * space between the count of sizes and the first size. */
	CHECK_TYPE("MDArray {I4, 2 23 4 1 -2 }", 0x14, 0x08, 0x02, 0x02, 0x03, 0x04, 0x01, 0x7d);
	/* Lower bounds -8192 (two bytes) and 1000 (two bytes). */
	CHECK_TYPE("MDArray {R8, 2 0 2 -8192 1000 }", 0x14, 0x0d, 0x02, 0x00, 0x02, 0x80, 0x01, 0x87, 0xd0);
	CHECK_TYPE("MDArray {I4, 0", 0x14, 0x08, 0x00); /* rank 0: SOS stops there */
	CHECK_TYPE("End", 0x00);
}

static const char *fake_mt_name(void *ctx, uint64_t mt)
{
	(void)ctx;
	return mt == 0x7f0011223344u ? "System.String" : NULL;
}

static void test_signature__internal(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x21, 0x44, 0x33, 0x22, 0x11, 0x00, 0x7f, 0x00, 0x00};
	CHECK_TYPE("INTERNAL MT 7f0011223344 <unknown>", 0x21, 0x44, 0x33, 0x22, 0x11, 0x00, 0x7f, 0x00, 0x00);
	struct clrsos_sig_names names = {.mt_name = fake_mt_name};
	check(false, b, sizeof(b), &names, "INTERNAL MT 7f0011223344 System.String");
	names.pointer_size = 4;
	check(false, b, 5, &names, "INTERNAL MT 11223344 <unknown>");
}

static void test_signature__invalid(void **state)
{
	(void)state;
	static const uint8_t modifier[] = {0x50};
	expect_invalid(false, modifier, sizeof(modifier), 0);
	static const uint8_t too_big[] = {0x1d, 0x22};
	expect_invalid(false, too_big, sizeof(too_big), 1);
	static const uint8_t unused[] = {0x00, 0x01, 0x01, 0x17};
	expect_invalid(true, unused, sizeof(unused), 3);
	static const uint8_t bad_int[] = {0x00, 0xe0, 0x01};
	expect_invalid(true, bad_int, sizeof(bad_int), 1);
	static const uint8_t byref_pinned[] = {0x10, 0x45, 0x08};
	expect_invalid(false, byref_pinned, sizeof(byref_pinned), 1);
	static const uint8_t generic_bad[] = {0x15, 0x12, 0x09, 0x02, 0x08, 0x50};
	expect_invalid(false, generic_bad, sizeof(generic_bad), 5);
	/* Nesting past the cap: 100 SZArrays deep. */
	uint8_t deep[101];
	memset(deep, 0x1d, 100);
	deep[100] = 0x08;
	expect_invalid(false, deep, sizeof(deep), CLRSOS_SIG_MAX_DEPTH);
	/* 64 deep is still fine. */
	struct clrsos_signature s;
	decode(false, deep + 100 - (CLRSOS_SIG_MAX_DEPTH - 1), CLRSOS_SIG_MAX_DEPTH, NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_OK);
	clrsos_signature_deinit(&s);
}

static void test_signature__huge_counts_are_truncated(void **state)
{
	(void)state;
	struct clrsos_signature s;
	/* 0x1fffffff parameters with two bytes of them: more bytes are needed, nothing else. */
	static const uint8_t params[] = {0x00, 0xdf, 0xff, 0xff, 0xff, 0x01, 0x08, 0x08};
	decode(true, params, sizeof(params), NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_TRUNCATED);
	clrsos_signature_deinit(&s);
	static const uint8_t args[] = {0x15, 0x12, 0x09, 0xdf, 0xff, 0xff, 0xff, 0x08};
	decode(false, args, sizeof(args), NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_TRUNCATED);
	clrsos_signature_deinit(&s);
	static const uint8_t empty[] = {0};
	decode(true, empty, 0, NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_TRUNCATED);
	clrsos_signature_deinit(&s);
	/* A long valid run of generic arguments still decodes: 10000 I4s. */
	size_t n = 10000, len = 0;
	uint8_t *big = malloc(n + 8);
	assert_non_null(big);
	big[len++] = 0x15;
	big[len++] = 0x12;
	big[len++] = 0x09;
	big[len++] = 0x80 | (uint8_t)(n >> 8);
	big[len++] = (uint8_t)n;
	memset(big + len, 0x08, n);
	len += n;
	decode(false, big, len, NULL, &s);
	assert_int_equal(s.status, CLRSOS_SIG_OK);
	assert_int_equal(s.offset, len);
	assert_int_equal(strlen(s.text), strlen("Class 0x01000002<>") + n * 3 - 1);
	clrsos_signature_deinit(&s);
	free(big);
}

static void test_signature__random_bytes_are_safe(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	uint8_t bytes[48];
	int ok = 0, truncated = 0, invalid = 0;
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(round % 48);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly small bytes, so that many decode far. */
			uint8_t b = (uint8_t)(seed >> 16);
			bytes[i] = (seed & 0x3000) ? (uint8_t)(b % 0x23) : b;
		}
		for (int method = 0; method < 2; method++) {
			struct clrsos_signature s;
			decode(method, bytes, len, NULL, &s);
			switch (s.status) {
			case CLRSOS_SIG_OK:
				ok++;
				assert_non_null(s.text);
				assert_true(s.offset <= len);
				break;
			case CLRSOS_SIG_TRUNCATED:
				truncated++;
				assert_null(s.text);
				break;
			case CLRSOS_SIG_INVALID:
				invalid++;
				assert_true(s.offset < len);
				break;
			}
			clrsos_signature_deinit(&s);
		}
	}
	assert_true(ok > 100 && truncated > 100 && invalid > 100);
}

/* Names through real metadata ---------------------------------------------- */

struct corelib {
	uint8_t *bytes;
	size_t size;
	struct clrsos_metadata *md;
};

static int corelib_setup(void **state)
{
	struct corelib *cl = calloc(1, sizeof(*cl));
	if (!cl)
		return -1;
	*state = cl;
	glob_t g;
	if (glob("/usr/share/dotnet/shared/Microsoft.NETCore.App/*/System.Private.CoreLib.dll", 0, NULL, &g) != 0)
		return 0; /* no runtime: the tests skip */
	struct clrsos_pe_image *img;
	struct clrsos_error *err = clrsos_pe_open(g.gl_pathv[g.gl_pathc - 1], &img);
	globfree(&g);
	if (err) {
		clrsos_error_destroy(err);
		return -1;
	}
	cl->size = clrsos_pe_metadata_size(img);
	cl->bytes = malloc(cl->size ? cl->size : 1);
	int rc = -1;
	if (cl->bytes && cl->size &&
	    clrsos_pe_read(img, false, clrsos_pe_metadata_offset(img), cl->bytes, cl->size) == cl->size) {
		err = clrsos_metadata_create(cl->bytes, cl->size, &cl->md);
		if (err)
			clrsos_error_destroy(err);
		else
			rc = 0;
	}
	clrsos_pe_close(img);
	return rc;
}

static int corelib_teardown(void **state)
{
	struct corelib *cl = *state;
	if (cl) {
		clrsos_metadata_destroy(cl->md);
		free(cl->bytes);
		free(cl);
	}
	return 0;
}

static uint32_t find_typedef(const struct clrsos_metadata *md, const char *want_ns, const char *want_name)
{
	for (uint32_t r = 1; r <= clrsos_metadata_rows(md, CLRSOS_MD_TYPEDEF); r++) {
		const char *ns, *name;
		assert_null(clrsos_metadata_typedef(md, 0x02000000 | r, &ns, &name));
		if (!strcmp(ns, want_ns) && !strcmp(name, want_name))
			return r;
	}
	return 0;
}

/* A TypeDefOrRef coded index, compressed, at p; returns its length. */
static size_t put_token(uint8_t *p, uint32_t table_bits, uint32_t rid)
{
	uint32_t v = rid << 2 | table_bits;
	if (v < 0x80) {
		p[0] = (uint8_t)v;
		return 1;
	}
	if (v < 0x4000) {
		p[0] = (uint8_t)(0x80 | v >> 8);
		p[1] = (uint8_t)v;
		return 2;
	}
	p[0] = (uint8_t)(0xc0 | v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

static void test_signature__names_from_metadata(void **state)
{
	struct corelib *cl = *state;
	if (!cl->md)
		skip();
	struct clrsos_sig_names names = {.md = cl->md};
	uint32_t string = find_typedef(cl->md, "System", "String");
	uint32_t datetime = find_typedef(cl->md, "System", "DateTime");
	uint32_t list = find_typedef(cl->md, "System.Collections.Generic", "List`1");
	uint32_t enumerator = 0;
	/* List`1+Enumerator: a nested type, named alone as SOS names it. */
	for (uint32_t r = 1; r <= clrsos_metadata_rows(cl->md, CLRSOS_MD_NESTEDCLASS); r++) {
		uint32_t nested, outer;
		assert_null(clrsos_metadata_column(cl->md, CLRSOS_MD_NESTEDCLASS, r, 0, &nested));
		assert_null(clrsos_metadata_column(cl->md, CLRSOS_MD_NESTEDCLASS, r, 1, &outer));
		const char *ns, *name;
		assert_null(clrsos_metadata_typedef(cl->md, 0x02000000 | nested, &ns, &name));
		if (outer == list && !strcmp(name, "Enumerator"))
			enumerator = nested;
	}
	assert_int_not_equal(string, 0);
	assert_int_not_equal(datetime, 0);
	assert_int_not_equal(list, 0);
	assert_int_not_equal(enumerator, 0);

	uint8_t b[64];
	size_t n = 0;
	/* instance void (string, ref DateTime, List<int>, List<int>.Enumerator) */
	b[n++] = 0x20;
	b[n++] = 4;
	b[n++] = 0x01;
	b[n++] = 0x12;
	n += put_token(b + n, 0, string);
	b[n++] = 0x10;
	b[n++] = 0x11;
	n += put_token(b + n, 0, datetime);
	b[n++] = 0x15;
	b[n++] = 0x12;
	n += put_token(b + n, 0, list);
	b[n++] = 0x01;
	b[n++] = 0x08;
	b[n++] = 0x11;
	n += put_token(b + n, 0, enumerator);
	check(true, b, n, &names,
	      "[DEFAULT] [hasThis] Void (Class System.String,ByRef ValueType System.DateTime,"
	      "Class System.Collections.Generic.List`1<I4>,ValueType Enumerator)");
	/* A row past the table: hex, as without metadata. */
	n = 0;
	b[n++] = 0x12;
	n += put_token(b + n, 0, 0xfffff);
	check(false, b, n, &names, "Class 0x020fffff");
	/* A TypeRef, if CoreLib has one. */
	if (clrsos_metadata_rows(cl->md, CLRSOS_MD_TYPEREF)) {
		const char *ns, *name;
		assert_null(clrsos_metadata_typeref(cl->md, 0x01000001, &ns, &name));
		char want[512];
		snprintf(want, sizeof(want), "Class %s%s%s", ns, *ns ? "." : "", name);
		n = 0;
		b[n++] = 0x12;
		n += put_token(b + n, 1, 1);
		check(false, b, n, &names, want);
	}
}

int run_signature_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature__method_parts),
		cmocka_unit_test(test_signature__conventions),
		cmocka_unit_test(test_signature__element_types),
		cmocka_unit_test(test_signature__internal),
		cmocka_unit_test(test_signature__invalid),
		cmocka_unit_test(test_signature__huge_counts_are_truncated),
		cmocka_unit_test(test_signature__random_bytes_are_safe),
		cmocka_unit_test_setup_teardown(test_signature__names_from_metadata, corelib_setup, corelib_teardown),
	};
	return cmocka_run_group_tests_name("signature", tests, NULL, NULL);
}
