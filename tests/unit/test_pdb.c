/*
 * core/model/pdb.c: the portable PDB reader on a real PDB (the Lines
 * target's, built by the .NET SDK; skipped when the build has no .NET
 * targets) and on broken input: every truncation, every byte flipped, a PE
 * file and a Windows PDB instead of a portable PDB. Broken input must give
 * an error or an answer, never a read outside the bytes (the ASan build
 * checks). Whether the answers are right is tests/pdb/test_pdb.py's
 * business: it checks them against what .NET reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "model/metadata.h"
#include "model/pdb.h"
#include "target/pe.h"
#include "tests.h"

#include <fcntl.h>
#include <unistd.h>

#ifndef CLRSOS_TEST_TARGETS_DIR
#define CLRSOS_TEST_TARGETS_DIR "targets"
#endif

static const char lines_pdb[] = CLRSOS_TEST_TARGETS_DIR "/Lines/Lines.pdb";
static const char lines_embedded[] = CLRSOS_TEST_TARGETS_DIR "/LinesEmbedded/LinesEmbedded.dll";

static uint8_t *read_all(const char *path, size_t *ret_size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, n;
	uint8_t chunk[65536];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (size + n > cap) {
			cap = (size + n) * 2;
			data = realloc(data, cap);
			assert_non_null(data);
		}
		memcpy(data + size, chunk, n);
		size += n;
	}
	fclose(f);
	*ret_size = size;
	return data;
}

struct real {
	uint8_t *bytes;
	size_t size;
};

static int real_setup(void **state)
{
	struct real *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->bytes = read_all(lines_pdb, &r->size);
	*state = r;
	return 0;
}

static int real_teardown(void **state)
{
	struct real *r = *state;
	free(r->bytes);
	free(r);
	return 0;
}

/* Ask every method for a few IL offsets; count the answers with a line. */
static unsigned ask_everything(const struct clrsos_pdb *pdb, bool must_succeed)
{
	unsigned found = 0;
	uint32_t methods = clrsos_pdb_rows(pdb, CLRSOS_PDB_METHODDEBUGINFORMATION);
	for (uint32_t rid = 1; rid <= methods + 1; rid++) {
		for (uint32_t il = 0; il < 80; il += 7) {
			char *doc = NULL;
			uint32_t line = 0;
			struct clrsos_error *err = clrsos_pdb_source_line(
				pdb, (uint32_t)CLRSOS_MD_METHODDEF << 24 | rid, il, &doc, &line);
			if (must_succeed)
				assert_null(err);
			clrsos_error_destroy(err);
			if (!err && doc) {
				assert_true(line > 0);
				assert_true(strlen(doc) > 0);
				found++;
			} else {
				assert_null(doc);
			}
			free(doc);
		}
	}
	/* clrstack -i's way: local variables' names. */
	for (uint32_t rid = 1; rid <= methods + 1; rid++) {
		for (uint32_t index = 0; index < 12; index++) {
			const char *name = NULL;
			struct clrsos_error *err =
				clrsos_pdb_local_name(pdb, (uint32_t)CLRSOS_MD_METHODDEF << 24 | rid, 0, index, &name);
			if (must_succeed)
				assert_null(err);
			clrsos_error_destroy(err);
			if (!err && name)
				assert_true(strlen(name) > 0);
		}
	}
	for (uint32_t rid = 1; rid <= clrsos_pdb_rows(pdb, CLRSOS_PDB_DOCUMENT); rid++) {
		char *name = NULL;
		struct clrsos_error *err = clrsos_pdb_document_name(pdb, rid, &name);
		if (must_succeed)
			assert_null(err);
		clrsos_error_destroy(err);
		free(name);
	}
	/* bpmd's way round: a line to a method and IL offset. */
	for (uint32_t line = 1; line < 120; line += 3) {
		uint32_t token = 0, il = 0;
		bool found = false;
		struct clrsos_error *err = clrsos_pdb_line_to_il(pdb, "Program.cs", line, &token, &il, &found);
		if (must_succeed)
			assert_null(err);
		clrsos_error_destroy(err);
		if (found)
			assert_int_equal(token >> 24, CLRSOS_MD_METHODDEF);
	}
	return found;
}

/*
 * Each line clrsos_pdb_source_line gives for a method's IL offset leads
 * back (clrsos_pdb_line_to_il, by file name and by the path's end) to a
 * method and IL offset on that same line and document.
 */
static void test_pdb__line_to_il_round_trip(void **state)
{
	struct real *r = *state;
	if (!r->bytes)
		skip();
	struct clrsos_pdb *pdb = NULL;
	assert_null(clrsos_pdb_create(r->bytes, r->size, &pdb));
	unsigned checked = 0;
	uint32_t methods = clrsos_pdb_rows(pdb, CLRSOS_PDB_METHODDEBUGINFORMATION);
	for (uint32_t rid = 1; rid <= methods; rid++) {
		for (uint32_t il = 0; il < 80; il++) {
			char *doc = NULL;
			uint32_t line = 0;
			assert_null(clrsos_pdb_source_line(pdb, (uint32_t)CLRSOS_MD_METHODDEF << 24 | rid, il, &doc, &line));
			if (!doc)
				continue;
			const char *base = strrchr(doc, '/') ? strrchr(doc, '/') + 1 : doc;
			const char *tail = strstr(doc, "Elsewhere/") ? strstr(doc, "Elsewhere/") : base;
			for (int k = 0; k < 2; k++) {
				uint32_t token = 0, at = 0;
				bool found = false;
				assert_null(clrsos_pdb_line_to_il(pdb, k ? tail : base, line, &token, &at, &found));
				assert_true(found);
				char *back = NULL;
				uint32_t back_line = 0;
				assert_null(clrsos_pdb_source_line(pdb, token, at, &back, &back_line));
				assert_non_null(back);
				assert_string_equal(back, doc);
				assert_int_equal(back_line, line);
				free(back);
				checked++;
			}
			free(doc);
		}
	}
	assert_true(checked > 10);
	uint32_t token = 0, at = 0;
	bool found = true;
	assert_null(clrsos_pdb_line_to_il(pdb, "NoSuchFile.cs", 10, &token, &at, &found));
	assert_false(found);
	clrsos_pdb_destroy(pdb);
}

static void test_pdb__real(void **state)
{
	struct real *r = *state;
	if (!r->bytes)
		skip();
	struct clrsos_pdb *pdb = NULL;
	assert_null(clrsos_pdb_create(r->bytes, r->size, &pdb));
	/* Program.cs and Moved.cs (#line) at least. */
	assert_true(clrsos_pdb_rows(pdb, CLRSOS_PDB_DOCUMENT) >= 2);
	assert_true(clrsos_pdb_rows(pdb, CLRSOS_PDB_METHODDEBUGINFORMATION) >= 6);
	struct clrsos_error *err = NULL;
	bool program = false, moved = false;
	for (uint32_t rid = 1; rid <= clrsos_pdb_rows(pdb, CLRSOS_PDB_DOCUMENT); rid++) {
		char *name = NULL;
		assert_null(clrsos_pdb_document_name(pdb, rid, &name));
		size_t n = strlen(name);
		if (n >= 17 && !strcmp(name + n - 17, "/Lines/Program.cs"))
			program = true;
		if (n >= 19 && !strcmp(name + n - 19, "/Elsewhere/Moved.cs"))
			moved = true;
		free(name);
	}
	assert_true(program);
	assert_true(moved);
	assert_true(ask_everything(pdb, true) > 10);
	/* Lines.Program.Locals: its first locals, by slot, as its source names them. */
	bool locals = false;
	for (uint32_t rid = 1; rid <= clrsos_pdb_rows(pdb, CLRSOS_PDB_METHODDEBUGINFORMATION) && !locals; rid++) {
		const char *names[3] = {NULL, NULL, NULL};
		for (uint32_t i = 0; i < 3; i++)
			assert_null(clrsos_pdb_local_name(pdb, (uint32_t)CLRSOS_MD_METHODDEF << 24 | rid, 0, i, &names[i]));
		locals = names[0] && !strcmp(names[0], "count") && names[1] && !strcmp(names[1], "word") && names[2] &&
			 !strcmp(names[2], "held");
	}
	assert_true(locals);
	const char *none = NULL;
	err = clrsos_pdb_local_name(pdb, 0x02000001, 0, 0, &none);
	assert_non_null(err);
	clrsos_error_destroy(err);

	char *doc = NULL;
	uint32_t line = 7;
	err = clrsos_pdb_source_line(pdb, 0x02000001, 0, &doc, &line);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_INVALID_ARGUMENT);
	clrsos_error_destroy(err);
	assert_null(doc);
	assert_int_equal(line, 0);
	assert_null(clrsos_pdb_source_line(pdb, 0x06FFFFFF, 0, &doc, &line));
	assert_null(doc);
	err = clrsos_pdb_document_name(pdb, 0, &doc);
	assert_non_null(err);
	clrsos_error_destroy(err);
	clrsos_pdb_destroy(pdb);
}

/* The last stream of a PDB ends at its last byte: every shorter copy is
 * refused. */
static void test_pdb__every_truncation_fails(void **state)
{
	struct real *r = *state;
	if (!r->bytes)
		skip();
	for (size_t n = 0; n < r->size; n++) {
		struct clrsos_pdb *pdb = NULL;
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, r->bytes, n);
		struct clrsos_error *err = clrsos_pdb_create(copy, n, &pdb);
		free(copy);
		if (!err) {
			fail_msg("a PDB cut to %zu of %zu bytes was accepted", n, r->size);
			clrsos_pdb_destroy(pdb);
		}
		assert_int_equal(err->code, CLRSOS_ERROR_OTHER);
		clrsos_error_destroy(err);
	}
}

/* Each byte of the real PDB flipped in turn: an error or answers, no
 * read outside the bytes. */
static void test_pdb__every_byte_flipped_is_safe(void **state)
{
	struct real *r = *state;
	if (!r->bytes)
		skip();
	uint8_t *copy = malloc(r->size);
	assert_non_null(copy);
	unsigned accepted = 0;
	for (size_t i = 0; i < r->size; i++) {
		memcpy(copy, r->bytes, r->size);
		copy[i] ^= (uint8_t)(i & 1 ? 0xFF : 0x80);
		struct clrsos_pdb *pdb = NULL;
		struct clrsos_error *err = clrsos_pdb_create(copy, r->size, &pdb);
		if (err) {
			clrsos_error_destroy(err);
			continue;
		}
		accepted++;
		ask_everything(pdb, false);
		clrsos_pdb_destroy(pdb);
	}
	free(copy);
	assert_true(accepted > 0);
}

/*
 * The PDB embedded in LinesEmbedded.dll: found through the debug directory,
 * inflated, its id the one the CodeView entry names; its data cut short,
 * without its signature or with its deflate stream broken is one error.
 */
static void test_pdb__embedded(void **state)
{
	(void)state;
	int fd = open(lines_embedded, O_RDONLY);
	if (fd < 0)
		skip();
	struct clrsos_pe_debug dbg;
	assert_null(clrsos_pe_debug_read(clrsos_pe_read_fd, &fd, false, &dbg));
	assert_true(dbg.has_codeview);
	assert_true(dbg.has_embedded);
	uint8_t *blob = malloc(dbg.embedded_size);
	assert_non_null(blob);
	assert_true(clrsos_pe_read_fd(&fd, dbg.embedded_pos, blob, dbg.embedded_size));
	close(fd);
	struct clrsos_pdb *pdb = NULL;
	assert_null(clrsos_pdb_create_embedded(blob, dbg.embedded_size, &pdb));
	assert_memory_equal(clrsos_pdb_id(pdb), dbg.guid, 16);
	uint8_t stamp[4] = {(uint8_t)dbg.stamp, (uint8_t)(dbg.stamp >> 8), (uint8_t)(dbg.stamp >> 16),
			    (uint8_t)(dbg.stamp >> 24)};
	assert_memory_equal(clrsos_pdb_id(pdb) + 16, stamp, 4);
	assert_true(ask_everything(pdb, true) > 10);
	clrsos_pdb_destroy(pdb);
	for (size_t n = 0; n < dbg.embedded_size; n += 1 + n / 8) {
		pdb = NULL;
		struct clrsos_error *err = clrsos_pdb_create_embedded(blob, n, &pdb);
		assert_non_null(err);
		assert_null(strchr(err->message, '\n'));
		clrsos_error_destroy(err);
		assert_null(pdb);
	}
	blob[0] = 'X';
	struct clrsos_error *err = clrsos_pdb_create_embedded(blob, dbg.embedded_size, &pdb);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "no MPDB signature"));
	clrsos_error_destroy(err);
	blob[0] = 'M';
	for (size_t i = 8; i < 24 && i < dbg.embedded_size; i++)
		blob[i] ^= 0x5a;
	err = clrsos_pdb_create_embedded(blob, dbg.embedded_size, &pdb);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "does not inflate"));
	clrsos_error_destroy(err);
	free(blob);
}

static void expect_not_pdb(const void *bytes, size_t size, const char *what)
{
	struct clrsos_pdb *pdb = NULL;
	struct clrsos_error *err = clrsos_pdb_create(bytes, size, &pdb);
	assert_non_null(err);
	if (!strstr(err->message, what))
		fail_msg("'%s' does not say '%s'", err->message, what);
	clrsos_error_destroy(err);
}

static void test_pdb__not_a_portable_pdb(void **state)
{
	(void)state;
	static const char pe[] = "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff";
	static const char msf[] = "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0\0";
	expect_not_pdb(pe, sizeof(pe), "a PE file");
	expect_not_pdb(msf, sizeof(msf), "a Windows PDB");
	expect_not_pdb("", 0, "corrupt");
	expect_not_pdb("BSJB", 4, "corrupt");
}

/* Real metadata without a #Pdb stream: an assembly's, from its PE file. */
static void test_pdb__metadata_without_pdb_stream(void **state)
{
	(void)state;
	/* root: BSJB, 1.1, reserved, version "v4\0\0", flags, 2 streams */
	static const uint8_t md[] = {
		'B', 'S', 'J', 'B', 1, 0, 1, 0, 0, 0, 0, 0, 4, 0, 0, 0,
		'v', '4', 0, 0, 0, 0, 1, 0,
		/* #~ at 36, 24 bytes */
		36, 0, 0, 0, 24, 0, 0, 0, '#', '~', 0, 0,
		/* table header: no tables */
		0, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct clrsos_metadata *m = NULL;
	assert_null(clrsos_metadata_create(md, sizeof(md), &m));
	clrsos_metadata_destroy(m);
	expect_not_pdb(md, sizeof(md), "no #Pdb stream");
}

int run_pdb_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pdb__real, real_setup, real_teardown),
		cmocka_unit_test_setup_teardown(test_pdb__line_to_il_round_trip, real_setup, real_teardown),
		cmocka_unit_test_setup_teardown(test_pdb__every_truncation_fails, real_setup,
						real_teardown),
		cmocka_unit_test_setup_teardown(test_pdb__every_byte_flipped_is_safe, real_setup,
						real_teardown),
		cmocka_unit_test(test_pdb__not_a_portable_pdb),
		cmocka_unit_test(test_pdb__embedded),
		cmocka_unit_test(test_pdb__metadata_without_pdb_stream),
	};
	return cmocka_run_group_tests_name("pdb", tests, NULL, NULL);
}
