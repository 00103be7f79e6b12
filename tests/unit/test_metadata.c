/*
 * core/metadata.c: ECMA-335 metadata. Real metadata (the machine's
 * System.Private.CoreLib.dll, through core/pe.c), and synthetic blobs
 * written here to reach what real assemblies seldom have (#-, FieldPtr,
 * #JTD, ExtraData, large heaps, tables past 65535 rows, width boundaries)
 * and corruption of every kind: all of it must give an error, never a
 * read outside the bytes (the ASan build checks).
 */
#include <glob.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "model/metadata.h"
#include "target/pe.h"
#include "tests.h"

/* A growing byte buffer -------------------------------------------------- */

struct buf {
	uint8_t *data;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (b->len + n > cap)
			cap *= 2;
		b->data = realloc(b->data, cap);
		assert_non_null(b->data);
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put16(struct buf *b, uint32_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(b, x, 2);
}

static void put32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			(uint8_t)(v >> 24)};
	put(b, x, 4);
}

static void put_index(struct buf *b, unsigned width, uint32_t v)
{
	if (width == 4)
		put32(b, v);
	else
		put16(b, v);
}

static void put_zeros(struct buf *b, size_t n)
{
	while (n--)
		put8(b, 0);
}

static void align4(struct buf *b)
{
	while (b->len % 4)
		put8(b, 0);
}

/* Add a string to a #Strings heap; its index. */
static uint32_t add_string(struct buf *b, const char *s)
{
	uint32_t at = (uint32_t)b->len;
	put(b, s, strlen(s) + 1);
	return at;
}

/* Add a blob (length < 128) to a #Blob heap; its index. */
static uint32_t add_blob(struct buf *b, const uint8_t *p, size_t n)
{
	uint32_t at = (uint32_t)b->len;
	put8(b, (uint8_t)n);
	put(b, p, n);
	return at;
}

/* The metadata writer ----------------------------------------------------- */

/*
 * A tiny module: Module "test.dll", TypeRef(s) System.Object, TypeDefs
 * <Module> and Test.Point (extends the TypeRef, owns every field), fields
 * "x" (private int), "y" (public static string), more "z" up to "last",
 * optional FieldPtr (in reverse order) and Param rows, and Assembly "test".
 * Column widths are worked out here from the rules of II.24.2.6, for the
 * few tables written.
 */
struct model {
	const char *table_stream; /* "#~" (default) or "#-" */
	uint8_t heap_sizes;
	bool extra_data;
	bool minimal_delta;       /* a #JTD stream: every table index 4 bytes */
	bool field_ptr;
	uint32_t field_ptrs;      /* FieldPtr rows (default: one per field) */
	uint32_t typerefs;        /* at least 1 */
	uint32_t fields;          /* at least 3 */
	uint32_t params;
	uint32_t string_pad, blob_pad, guid_pad;
};

/* Where things landed in the built blob. */
struct built {
	uint8_t *data;
	size_t len;
	size_t tables_off, tables_len;
	size_t strings_off, strings_len;
	size_t blob_off, blob_len;
	size_t guid_off, guid_len;
	size_t rows_off;         /* the row counts */
	size_t typedef_off, typedef_row;
	size_t field_off, field_row;
	size_t fieldptr_off, fieldptr_row;
	uint32_t assembly_name;  /* its #Strings index, the heap's last string */
	unsigned str_w, blob_w, guid_w;
	size_t stream_header_off[8];
	unsigned nstreams;
};

static void build_free(struct built *b)
{
	free(b->data);
	b->data = NULL;
}

static const uint8_t SIG_X[] = {0x06, 0x08}; /* FIELD I4 */
static const uint8_t SIG_Y[] = {0x06, 0x0e}; /* FIELD STRING */

static struct built build(const struct model *m)
{
	struct built out = {0};
	uint32_t nfields = m->fields < 3 ? 3 : m->fields;
	uint32_t ntyperefs = m->typerefs < 1 ? 1 : m->typerefs;
	uint32_t nptrs = m->field_ptr ? (m->field_ptrs ? m->field_ptrs : nfields) : 0;

	struct buf strings = {0}, blobs = {0}, guids = {0}, us = {0}, tables = {0};
	put8(&strings, 0);
	put_zeros(&strings, m->string_pad);
	uint32_t s_module = add_string(&strings, "test.dll");
	uint32_t s_object = add_string(&strings, "Object");
	uint32_t s_system = add_string(&strings, "System");
	uint32_t s_mod_type = add_string(&strings, "<Module>");
	uint32_t s_point = add_string(&strings, "Point");
	uint32_t s_test = add_string(&strings, "Test");
	uint32_t s_x = add_string(&strings, "x");
	uint32_t s_y = add_string(&strings, "y");
	uint32_t s_z = add_string(&strings, "z");
	uint32_t s_last = add_string(&strings, "last");
	uint32_t s_assembly = add_string(&strings, "test");
	align4(&strings);
	put8(&blobs, 0);
	put_zeros(&blobs, m->blob_pad);
	uint32_t b_x = add_blob(&blobs, SIG_X, sizeof(SIG_X));
	uint32_t b_y = add_blob(&blobs, SIG_Y, sizeof(SIG_Y));
	align4(&blobs);
	put_zeros(&guids, 16 * (size_t)m->guid_pad);
	for (unsigned i = 0; i < 16; i++)
		put8(&guids, (uint8_t)(0xa0 + i));
	uint32_t g_mvid = m->guid_pad + 1;
	put32(&us, 0);

	unsigned sw = m->heap_sizes & 1 ? 4 : 2;
	unsigned gw = m->heap_sizes & 2 ? 4 : 2;
	unsigned bw = m->heap_sizes & 4 ? 4 : 2;
	bool big = m->minimal_delta;
	/* ResolutionScope: Module, ModuleRef, AssemblyRef, TypeRef; 2 tag bits. */
	unsigned scope_w = big || ntyperefs >= (1u << 14) ? 4 : 2;
	/* TypeDefOrRef: TypeDef, TypeRef, TypeSpec; 2 tag bits. */
	unsigned tdor_w = scope_w;
	unsigned field_w = big || nfields > 0xFFFF ? 4 : 2;
	/* TypeDef.FieldList points into FieldPtr when there is one. */
	unsigned list_w = field_w == 4 || nptrs > 0xFFFF ? 4 : 2;
	unsigned method_w = big ? 4 : 2;
	out.str_w = sw;
	out.blob_w = bw;
	out.guid_w = gw;

	uint64_t valid = 1ull << 0x00 | 1ull << 0x01 | 1ull << 0x02 |
			 1ull << 0x04 | 1ull << 0x20;
	if (m->field_ptr)
		valid |= 1ull << 0x03;
	if (m->params)
		valid |= 1ull << 0x08;
	put32(&tables, 0);
	put8(&tables, 2);
	put8(&tables, 0);
	put8(&tables, (uint8_t)(m->heap_sizes | (m->extra_data ? 0x40 : 0)));
	put8(&tables, 1);
	put32(&tables, (uint32_t)valid);
	put32(&tables, (uint32_t)(valid >> 32));
	put32(&tables, 0);
	put32(&tables, 0);
	out.rows_off = tables.len;
	put32(&tables, 1);
	put32(&tables, ntyperefs);
	put32(&tables, 2);
	if (m->field_ptr)
		put32(&tables, nptrs);
	put32(&tables, nfields);
	if (m->params)
		put32(&tables, m->params);
	put32(&tables, 1);
	if (m->extra_data)
		put32(&tables, 0xdeadbeef);

	/* Module */
	put16(&tables, 0);
	put_index(&tables, sw, s_module);
	put_index(&tables, gw, g_mvid);
	put_index(&tables, gw, 0);
	put_index(&tables, gw, 0);
	/* TypeRef: scope Module 1 (tag 0) */
	for (uint32_t i = 0; i < ntyperefs; i++) {
		put_index(&tables, scope_w, 1 << 2 | 0);
		put_index(&tables, sw, s_object);
		put_index(&tables, sw, s_system);
	}
	/* TypeDef */
	out.typedef_off = tables.len;
	put32(&tables, 0);
	put_index(&tables, sw, s_mod_type);
	put_index(&tables, sw, 0);
	put_index(&tables, tdor_w, 0);
	put_index(&tables, list_w, 1);
	put_index(&tables, method_w, 1);
	out.typedef_row = tables.len - out.typedef_off;
	put32(&tables, 0x00100001);
	put_index(&tables, sw, s_point);
	put_index(&tables, sw, s_test);
	put_index(&tables, tdor_w, 1 << 2 | 1); /* TypeRef 1 */
	put_index(&tables, list_w, 1);
	put_index(&tables, method_w, 1);
	/* FieldPtr: the list in reverse (and again, if longer) */
	out.fieldptr_off = tables.len;
	if (m->field_ptr) {
		for (uint32_t i = 0; i < nptrs; i++)
			put_index(&tables, field_w, nfields - i % nfields);
		out.fieldptr_row = field_w;
	}
	/* Field */
	out.field_off = tables.len;
	for (uint32_t i = 1; i <= nfields; i++) {
		bool y = i == 2;
		put16(&tables, y ? 0x0016 : 0x0001);
		put_index(&tables, sw, i == 1 ? s_x : y ? s_y : i == nfields ? s_last : s_z);
		put_index(&tables, bw, y ? b_y : b_x);
	}
	out.field_row = 2 + sw + bw;
	/* Param */
	for (uint32_t i = 0; i < m->params; i++) {
		put16(&tables, 0);
		put16(&tables, (uint16_t)i);
		put_index(&tables, sw, 0);
	}
	/* Assembly */
	put32(&tables, 0x8004);
	put16(&tables, 1);
	put16(&tables, 2);
	put16(&tables, 3);
	put16(&tables, 4);
	put32(&tables, 0);
	put_index(&tables, bw, 0);
	put_index(&tables, sw, s_assembly);
	put_index(&tables, sw, 0);
	align4(&tables);
	out.assembly_name = s_assembly;

	struct {
		const char *name;
		struct buf *b;
		size_t *off, *len;
	} streams[] = {
		{m->table_stream ? m->table_stream : "#~", &tables, &out.tables_off, &out.tables_len},
		{"#Strings", &strings, &out.strings_off, &out.strings_len},
		{"#US", &us, NULL, NULL},
		{"#GUID", &guids, &out.guid_off, &out.guid_len},
		{"#Blob", &blobs, &out.blob_off, &out.blob_len},
		{"#JTD", NULL, NULL, NULL},
	};
	unsigned nstreams = m->minimal_delta ? 6 : 5;

	struct buf root = {0};
	static const char version[] = "v4.0.30319";
	put32(&root, 0x424A5342);
	put16(&root, 1);
	put16(&root, 1);
	put32(&root, 0);
	put32(&root, 12);
	put(&root, version, sizeof(version));
	align4(&root);
	put16(&root, 0);
	put16(&root, (uint16_t)nstreams);
	size_t header_size = 0;
	for (unsigned i = 0; i < nstreams; i++)
		header_size += 8 + ((strlen(streams[i].name) + 1 + 3) & ~(size_t)3);
	size_t at = root.len + header_size;
	for (unsigned i = 0; i < nstreams; i++) {
		size_t len = streams[i].b ? streams[i].b->len : 0;
		out.stream_header_off[i] = root.len;
		put32(&root, (uint32_t)at);
		put32(&root, (uint32_t)len);
		put(&root, streams[i].name, strlen(streams[i].name) + 1);
		align4(&root);
		if (streams[i].off)
			*streams[i].off = at;
		if (streams[i].len)
			*streams[i].len = len;
		at += len;
	}
	out.nstreams = nstreams;
	for (unsigned i = 0; i < nstreams; i++)
		if (streams[i].b)
			put(&root, streams[i].b->data, streams[i].b->len);
	assert_int_equal(root.len, at);
	/* Offsets into the tables stream, made absolute. */
	out.rows_off += out.tables_off;
	out.typedef_off += out.tables_off;
	out.fieldptr_off += out.tables_off;
	out.field_off += out.tables_off;
	free(strings.data);
	free(blobs.data);
	free(guids.data);
	free(us.data);
	free(tables.data);
	out.data = root.data;
	out.len = root.len;
	return out;
}

static void set16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void set32(uint8_t *p, uint32_t v)
{
	set16(p, v);
	set16(p + 2, v >> 16);
}

static void set_index(uint8_t *p, unsigned width, uint32_t v)
{
	if (width == 4)
		set32(p, v);
	else
		set16(p, v);
}

/* Checking helpers -------------------------------------------------------- */

static struct clrsos_metadata *open_md(const struct built *b)
{
	struct clrsos_metadata *md = NULL;
	struct clrsos_error *err = clrsos_metadata_create(b->data, b->len, &md);
	if (err)
		print_error("%s\n", err->message);
	assert_null(err);
	return md;
}

/* Creating from these bytes fails (never crashes); the copy is exact-size. */
static void expect_create_fails(const uint8_t *bytes, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, bytes, len);
	struct clrsos_metadata *md = NULL;
	struct clrsos_error *err = clrsos_metadata_create(copy, len, &md);
	free(copy);
	if (!err) {
		print_error("metadata of %zu bytes accepted\n", len);
		clrsos_metadata_destroy(md);
	}
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_OTHER);
	assert_non_null(err->message);
	clrsos_error_destroy(err);
}

static void expect_error(struct clrsos_error *err, enum clrsos_error_code code)
{
	assert_non_null(err);
	assert_int_equal(err->code, code);
	clrsos_error_destroy(err);
}

static void expect_field(const struct clrsos_metadata *md, uint32_t token,
			 const char *name, uint16_t flags, const uint8_t *sig,
			 size_t sig_len)
{
	const char *n;
	uint16_t f;
	const uint8_t *s;
	size_t len;
	struct clrsos_error *err = clrsos_metadata_field(md, token, &n, &f, &s, &len);
	if (err)
		print_error("%s\n", err->message);
	assert_null(err);
	assert_string_equal(n, name);
	assert_int_equal(f, flags);
	assert_int_equal(len, sig_len);
	assert_memory_equal(s, sig, sig_len);
}

/* What every variant of the model must read back as. */
static void check_model(const struct model *m, const struct built *b)
{
	uint32_t nfields = m->fields < 3 ? 3 : m->fields;
	struct clrsos_metadata *md = open_md(b);
	const char *s, *ns;
	assert_string_equal(clrsos_metadata_version(md), "v4.0.30319");
	assert_null(clrsos_metadata_module_name(md, &s));
	assert_string_equal(s, "test.dll");
	assert_null(clrsos_metadata_assembly_name(md, &s));
	assert_string_equal(s, "test");

	assert_null(clrsos_metadata_typedef(md, 0x02000001, &ns, &s));
	assert_string_equal(ns, "");
	assert_string_equal(s, "<Module>");
	assert_null(clrsos_metadata_typedef(md, 0x02000002, &ns, &s));
	assert_string_equal(ns, "Test");
	assert_string_equal(s, "Point");
	uint32_t typerefs = m->typerefs < 1 ? 1 : m->typerefs;
	assert_int_equal(clrsos_metadata_rows(md, CLRSOS_MD_TYPEREF), typerefs);
	assert_null(clrsos_metadata_typeref(md, 0x01000000 | typerefs, &ns, &s));
	assert_string_equal(ns, "System");
	assert_string_equal(s, "Object");

	/* Coded indexes come back as tokens. */
	uint32_t v;
	assert_null(clrsos_metadata_column(md, CLRSOS_MD_TYPEDEF, 2, 3, &v));
	assert_int_equal(v, 0x01000001);
	assert_null(clrsos_metadata_column(md, CLRSOS_MD_TYPEDEF, 2, 0, &v));
	assert_int_equal(v, 0x00100001);
	assert_null(clrsos_metadata_column(md, CLRSOS_MD_TYPEREF, typerefs, 0, &v));
	assert_int_equal(v, 0x00000001);
	/* The Assembly row, after every other table. */
	assert_null(clrsos_metadata_column(md, CLRSOS_MD_ASSEMBLY, 1, 0, &v));
	assert_int_equal(v, 0x8004);
	assert_null(clrsos_metadata_column(md, CLRSOS_MD_ASSEMBLY, 1, 4, &v));
	assert_int_equal(v, 4);
	/* The Mvid. */
	const uint8_t *guid;
	assert_null(clrsos_metadata_column(md, CLRSOS_MD_MODULE, 1, 2, &v));
	assert_int_equal(v, m->guid_pad + 1);
	assert_null(clrsos_metadata_guid(md, v, &guid));
	assert_int_equal(guid[0], 0xa0);
	assert_int_equal(guid[15], 0xaf);

	expect_field(md, 0x04000001, "x", 0x0001, SIG_X, sizeof(SIG_X));
	expect_field(md, 0x04000002, "y", 0x0016, SIG_Y, sizeof(SIG_Y));
	expect_field(md, 0x04000003, nfields == 3 ? "last" : "z", 0x0001, SIG_X,
		     sizeof(SIG_X));
	expect_field(md, 0x04000000 | nfields, "last", 0x0001, SIG_X, sizeof(SIG_X));

	/* <Module> has no field; Point has them all, through FieldPtr if any. */
	uint32_t count, token;
	assert_null(clrsos_metadata_typedef_field_count(md, 0x02000001, &count));
	assert_int_equal(count, 0);
	assert_null(clrsos_metadata_typedef_field_count(md, 0x02000002, &count));
	assert_int_equal(count, nfields);
	assert_null(clrsos_metadata_typedef_field(md, 0x02000002, 0, &token));
	assert_int_equal(token, m->field_ptr ? 0x04000000 | nfields : 0x04000001);
	assert_null(clrsos_metadata_typedef_field(md, 0x02000002, nfields - 1, &token));
	assert_int_equal(token, m->field_ptr ? 0x04000001 : 0x04000000 | nfields);
	expect_error(clrsos_metadata_typedef_field(md, 0x02000002, nfields, &token),
		     CLRSOS_ERROR_INVALID_ARGUMENT);

	/* Row sizes as this file worked them out. */
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_FIELD), b->field_row);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_TYPEDEF), b->typedef_row);
	if (m->field_ptr)
		assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_FIELDPTR),
				 b->fieldptr_row);
	clrsos_metadata_destroy(md);
}

static void check_built(const struct model *m)
{
	struct built b = build(m);
	check_model(m, &b);
	build_free(&b);
}

/* Synthetic metadata ----------------------------------------------------- */

static void test_metadata__small_module(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	check_model(&m, &b);
	struct clrsos_metadata *md = open_md(&b);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_MODULE), 10);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_TYPEREF), 6);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_TYPEDEF), 14);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_FIELD), 6);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_ASSEMBLY), 22);
	assert_int_equal(clrsos_metadata_rows(md, CLRSOS_MD_METHODDEF), 0);
	assert_int_equal(clrsos_metadata_rows(md, 0x3f), 0);
	assert_int_equal(clrsos_metadata_row_size(md, 0x3f), 0);
	/* Any out parameter may be left out. */
	assert_null(clrsos_metadata_field(md, 0x04000001, NULL, NULL, NULL, NULL));
	assert_null(clrsos_metadata_typedef(md, 0x02000002, NULL, NULL));
	/* Index 0 of each heap is the empty item. */
	const char *s;
	const uint8_t *p;
	size_t len;
	assert_null(clrsos_metadata_string(md, 0, &s));
	assert_string_equal(s, "");
	assert_null(clrsos_metadata_blob(md, 0, &p, &len));
	assert_int_equal(len, 0);
	assert_null(clrsos_metadata_guid(md, 0, &p));
	assert_int_equal(p[0] | p[15], 0);
	clrsos_metadata_destroy(md);
	build_free(&b);
}

static void test_metadata__bytes_are_copied(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	struct clrsos_metadata *md = open_md(&b);
	memset(b.data, 0xee, b.len);
	build_free(&b);
	const char *s;
	assert_null(clrsos_metadata_assembly_name(md, &s));
	assert_string_equal(s, "test");
	clrsos_metadata_destroy(md);
}

static void test_metadata__uncompressed_stream_with_field_ptr(void **state)
{
	(void)state;
	struct model m = {.table_stream = "#-", .field_ptr = true, .fields = 5};
	check_built(&m);
	m.fields = 3;
	check_built(&m);
}

static void test_metadata__extra_data(void **state)
{
	(void)state;
	struct model m = {.extra_data = true};
	check_built(&m);
	m.table_stream = "#-";
	m.field_ptr = true;
	check_built(&m);
}

static void test_metadata__minimal_delta(void **state)
{
	(void)state;
	struct model m = {.table_stream = "#-", .minimal_delta = true, .field_ptr = true};
	struct built b = build(&m);
	check_model(&m, &b);
	struct clrsos_metadata *md = open_md(&b);
	/* Every table index 4 bytes, heap indexes still 2. */
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_TYPEREF), 4 + 2 + 2);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_TYPEDEF), 4 + 2 + 2 + 4 + 4 + 4);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_FIELDPTR), 4);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_FIELD), 6);
	clrsos_metadata_destroy(md);
	build_free(&b);
}

static void test_metadata__large_heaps(void **state)
{
	(void)state;
	/* Names, blobs and the Mvid past 64 KB: only 4-byte indexes reach them. */
	struct model m = {.heap_sizes = 0x07, .string_pad = 70000,
			  .blob_pad = 70000, .guid_pad = 5000};
	struct built b = build(&m);
	check_model(&m, &b);
	struct clrsos_metadata *md = open_md(&b);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_MODULE), 2 + 4 + 3 * 4);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_FIELD), 2 + 4 + 4);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_ASSEMBLY), 16 + 4 + 4 + 4);
	uint32_t name;
	assert_null(clrsos_metadata_column(md, CLRSOS_MD_FIELD, 1, 1, &name));
	assert_true(name > 0xFFFF);
	clrsos_metadata_destroy(md);
	build_free(&b);
	/* Each flag on its own. */
	for (uint8_t flag = 1; flag <= 4; flag <<= 1) {
		struct model one = {.heap_sizes = flag};
		check_built(&one);
	}
}

static void test_metadata__many_rows_widen_indexes(void **state)
{
	(void)state;
	/* 65535 fields: FieldList still 2 bytes; 65536: 4. */
	struct model m = {.fields = 0xFFFF};
	struct built b = build(&m);
	check_model(&m, &b);
	assert_int_equal(b.typedef_row, 14);
	build_free(&b);
	m.fields = 0x10000;
	b = build(&m);
	check_model(&m, &b);
	assert_int_equal(b.typedef_row, 16);
	build_free(&b);
	/* 70000 fields behind a FieldPtr table, in #-. */
	m = (struct model){.table_stream = "#-", .fields = 70000, .field_ptr = true};
	check_built(&m);
	/* TypeRef at 2^14 rows: ResolutionScope and TypeDefOrRef go 4 bytes. */
	m = (struct model){.typerefs = (1u << 14) - 1};
	b = build(&m);
	check_model(&m, &b);
	assert_int_equal(b.typedef_row, 14);
	build_free(&b);
	m.typerefs = 1u << 14;
	b = build(&m);
	check_model(&m, &b);
	assert_int_equal(b.typedef_row, 16);
	struct clrsos_metadata *md = open_md(&b);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_TYPEREF), 8);
	clrsos_metadata_destroy(md);
	build_free(&b);
	/* A FieldPtr table longer than 65535 rows widens TypeDef.FieldList
	 * even when Field is small (as System.Reflection.Metadata reads it). */
	m = (struct model){.table_stream = "#-", .field_ptr = true, .field_ptrs = 70000};
	b = build(&m);
	assert_int_equal(b.typedef_row, 16);
	md = open_md(&b);
	const char *s;
	uint32_t v;
	assert_null(clrsos_metadata_assembly_name(md, &s));
	assert_string_equal(s, "test");
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_TYPEDEF), 16);
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_FIELDPTR), 2);
	assert_null(clrsos_metadata_typedef_field_count(md, 0x02000002, &v));
	assert_int_equal(v, 70000);
	assert_null(clrsos_metadata_typedef_field(md, 0x02000002, 69999, &v));
	assert_int_equal(v, 0x04000000 | (3 - 69999 % 3));
	clrsos_metadata_destroy(md);
	build_free(&b);
	/* 70000 Param rows between Field and Assembly. */
	m = (struct model){.params = 70000};
	check_built(&m);
}

/* Corruption ------------------------------------------------------------- */

static void test_metadata__every_truncation_fails(void **state)
{
	(void)state;
	static const struct model models[] = {
		{0},
		{.table_stream = "#-", .field_ptr = true, .extra_data = true},
		{.minimal_delta = true, .heap_sizes = 7},
	};
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		struct built b = build(&models[i]);
		for (size_t len = 0; len < b.len; len++)
			expect_create_fails(b.data, len);
		build_free(&b);
	}
}

/* Read everything there is to read; errors are fine, crashes are not. */
static void read_everything(const struct clrsos_metadata *md)
{
	const char *s, *ns;
	const uint8_t *p;
	size_t len;
	uint16_t flags;
	uint32_t v;
	clrsos_metadata_version(md);
	clrsos_error_destroy(clrsos_metadata_module_name(md, &s));
	clrsos_error_destroy(clrsos_metadata_assembly_name(md, &s));
	for (unsigned t = 0; t < CLRSOS_MD_TABLE_COUNT; t++) {
		uint32_t rows = clrsos_metadata_rows(md, t);
		for (uint32_t r = 0; r <= rows + 1 && r < 64; r++)
			for (unsigned c = 0; c < 10; c++) {
				struct clrsos_error *err =
					clrsos_metadata_column(md, t, r, c, &v);
				if (err) {
					clrsos_error_destroy(err);
					continue;
				}
				clrsos_error_destroy(clrsos_metadata_string(md, v, &s));
				clrsos_error_destroy(clrsos_metadata_blob(md, v, &p, &len));
				clrsos_error_destroy(clrsos_metadata_guid(md, v, &p));
			}
	}
	for (uint32_t r = 0; r < 8; r++) {
		uint32_t n = 0;
		clrsos_error_destroy(clrsos_metadata_typedef(md, 0x02000000 | r, &ns, &s));
		clrsos_error_destroy(clrsos_metadata_typeref(md, 0x01000000 | r, &ns, &s));
		clrsos_error_destroy(clrsos_metadata_field(md, 0x04000000 | r, &s, &flags, &p, &len));
		struct clrsos_error *err =
			clrsos_metadata_typedef_field_count(md, 0x02000000 | r, &n);
		clrsos_error_destroy(err);
		for (uint32_t i = 0; !err && i < n && i < 16; i++)
			clrsos_error_destroy(clrsos_metadata_typedef_field(md, 0x02000000 | r, i, &v));
	}
}

static void test_metadata__random_corruption_is_safe(void **state)
{
	(void)state;
	static const struct model models[] = {
		{0},
		{.table_stream = "#-", .field_ptr = true, .fields = 6},
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned accepted = 0;
	for (size_t k = 0; k < sizeof(models) / sizeof(models[0]); k++) {
		struct built b = build(&models[k]);
		uint8_t *copy = malloc(b.len);
		assert_non_null(copy);
		for (unsigned iter = 0; iter < 3000; iter++) {
			memcpy(copy, b.data, b.len);
			unsigned flips = 1 + iter % 4;
			for (unsigned f = 0; f < flips; f++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				size_t at = (size_t)(x % b.len);
				uint8_t val = (uint8_t)(x >> 40);
				/* Mostly in the tables stream and the headers, where it hurts. */
				if (iter % 2 == 0)
					at = b.tables_off + (size_t)(x % b.tables_len);
				copy[at] = iter % 3 == 0 ? 0xff : val;
			}
			struct clrsos_metadata *md = NULL;
			struct clrsos_error *err = clrsos_metadata_create(copy, b.len, &md);
			if (err) {
				assert_true(err->code == CLRSOS_ERROR_OTHER);
				clrsos_error_destroy(err);
				continue;
			}
			accepted++;
			read_everything(md);
			clrsos_metadata_destroy(md);
		}
		free(copy);
		build_free(&b);
	}
	assert_true(accepted > 0);
}

static void test_metadata__bad_root(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	uint8_t *c = malloc(b.len);
	assert_non_null(c);
	/* No signature. */
	memcpy(c, b.data, b.len);
	c[0] = 'X';
	expect_create_fails(c, b.len);
	/* A version string longer than the metadata. */
	memcpy(c, b.data, b.len);
	set32(c + 12, 0xFFFFFFF0);
	expect_create_fails(c, b.len);
	memcpy(c, b.data, b.len);
	set32(c + 12, (uint32_t)b.len);
	expect_create_fails(c, b.len);
	/* More streams than headers. */
	memcpy(c, b.data, b.len);
	set16(c + 16 + 12 + 2, 0xFFFF);
	expect_create_fails(c, b.len);
	/* No table stream at all. */
	memcpy(c, b.data, b.len);
	memcpy(c + b.stream_header_off[0] + 8, "#X", 2);
	expect_create_fails(c, b.len);
	free(c);
	build_free(&b);
}

static void test_metadata__bad_stream_headers(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	uint8_t *c = malloc(b.len);
	assert_non_null(c);
	static const struct {
		uint32_t offset, size;
	} bad[] = {
		{0xFFFFFFF0, 0x20},       /* wraps around 32 bits */
		{0x7FFFFFFF, 0x7FFFFFFF},
		{0, 0xFFFFFFFF},
		{0, 0},                   /* replaced below by len + 1 */
		{0, 0},                   /* replaced below: offset len, size 1 */
	};
	for (unsigned s = 0; s < b.nstreams; s++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			uint32_t offset = bad[i].offset, size = bad[i].size;
			if (i == 3)
				size = (uint32_t)b.len + 1;
			if (i == 4) {
				offset = (uint32_t)b.len;
				size = 1;
			}
			memcpy(c, b.data, b.len);
			set32(c + b.stream_header_off[s], offset);
			set32(c + b.stream_header_off[s] + 4, size);
			expect_create_fails(c, b.len);
		}
		/* A name without its NUL in 32 bytes. */
		memcpy(c, b.data, b.len);
		memset(c + b.stream_header_off[s] + 8, 'A',
		       b.len - b.stream_header_off[s] - 8 < 40 ? b.len - b.stream_header_off[s] - 8 : 40);
		expect_create_fails(c, b.len);
	}
	/* A tables stream too short for its header. */
	memcpy(c, b.data, b.len);
	set32(c + b.stream_header_off[0] + 4, 20);
	expect_create_fails(c, b.len);
	/* Too short for its tables. */
	memcpy(c, b.data, b.len);
	set32(c + b.stream_header_off[0] + 4, (uint32_t)b.tables_len - 4);
	expect_create_fails(c, b.len);
	free(c);
	build_free(&b);
}

static void test_metadata__bad_row_counts(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	uint8_t *c = malloc(b.len);
	assert_non_null(c);
	static const uint32_t counts[] = {0xFFFFFFFF, 0x01000000, 0x00FFFFFF,
					  0x80000000, 0x10000, 1000};
	/* The row counts of Module, TypeRef, TypeDef, Field, Assembly. */
	for (unsigned t = 0; t < 5; t++)
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			memcpy(c, b.data, b.len);
			set32(c + b.rows_off + 4 * t, counts[i]);
			expect_create_fails(c, b.len);
		}
	/* A table present in Valid with no room for its count. */
	memcpy(c, b.data, b.len);
	set32(c + b.tables_off + 8, 0xFFFFFFFF);
	set32(c + b.tables_off + 12, 0xFFFFFFFF);
	expect_create_fails(c, b.len);
	free(c);
	build_free(&b);
}

static void test_metadata__bad_strings(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	struct clrsos_metadata *md;
	const char *s;
	/* The heap's last string loses its NUL (and the padding after it). */
	uint8_t *c = malloc(b.len);
	assert_non_null(c);
	memcpy(c, b.data, b.len);
	memset(c + b.strings_off + b.assembly_name, 'A',
	       b.strings_len - b.assembly_name);
	assert_null(clrsos_metadata_create(c, b.len, &md));
	expect_error(clrsos_metadata_assembly_name(md, &s), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_string(md, b.assembly_name, &s), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_string(md, (uint32_t)b.strings_len - 1, &s),
		     CLRSOS_ERROR_OTHER);
	/* The rest still reads. */
	assert_null(clrsos_metadata_module_name(md, &s));
	assert_string_equal(s, "test.dll");
	/* Indexes past the heap. */
	expect_error(clrsos_metadata_string(md, (uint32_t)b.strings_len, &s), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_string(md, 0xFFFFFFFF, &s), CLRSOS_ERROR_OTHER);
	clrsos_metadata_destroy(md);

	/* A field whose name index is past the heap. */
	memcpy(c, b.data, b.len);
	set_index(c + b.field_off + 2, b.str_w, (uint32_t)b.strings_len);
	assert_null(clrsos_metadata_create(c, b.len, &md));
	expect_error(clrsos_metadata_field(md, 0x04000001, &s, NULL, NULL, NULL),
		     CLRSOS_ERROR_OTHER);
	assert_null(clrsos_metadata_field(md, 0x04000002, &s, NULL, NULL, NULL));
	assert_string_equal(s, "y");
	clrsos_metadata_destroy(md);

	/* No #Strings stream: only index 0 reads. */
	memcpy(c, b.data, b.len);
	memcpy(c + b.stream_header_off[1] + 8, "#Strx", 5);
	assert_null(clrsos_metadata_create(c, b.len, &md));
	expect_error(clrsos_metadata_module_name(md, &s), CLRSOS_ERROR_OTHER);
	assert_null(clrsos_metadata_string(md, 0, &s));
	assert_string_equal(s, "");
	clrsos_metadata_destroy(md);
	free(c);
	build_free(&b);
}

static void test_metadata__bad_blobs_and_guids(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	struct clrsos_metadata *md;
	const uint8_t *p;
	size_t len;
	uint8_t *c = malloc(b.len);
	assert_non_null(c);
	uint32_t sig_x = 1; /* the first blob after the empty one */
	/* A length past the heap; a bad length prefix; a truncated prefix. */
	static const uint8_t prefixes[][2] = {{0x7f, 0}, {0xff, 0}, {0xe0, 0}, {0xbf, 0xff}};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		memcpy(c, b.data, b.len);
		memcpy(c + b.blob_off + sig_x, prefixes[i], 2);
		assert_null(clrsos_metadata_create(c, b.len, &md));
		expect_error(clrsos_metadata_field(md, 0x04000001, NULL, NULL, &p, &len),
			     CLRSOS_ERROR_OTHER);
		expect_error(clrsos_metadata_blob(md, sig_x, &p, &len), CLRSOS_ERROR_OTHER);
		clrsos_metadata_destroy(md);
	}
	/* A 4-byte prefix cut by the end of the heap. */
	memcpy(c, b.data, b.len);
	c[b.blob_off + b.blob_len - 1] = 0xc0;
	assert_null(clrsos_metadata_create(c, b.len, &md));
	expect_error(clrsos_metadata_blob(md, (uint32_t)b.blob_len - 1, &p, &len),
		     CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_blob(md, (uint32_t)b.blob_len, &p, &len),
		     CLRSOS_ERROR_OTHER);
	/* GUIDs past the heap. */
	expect_error(clrsos_metadata_guid(md, 2, &p), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_guid(md, 0xFFFFFFFF, &p), CLRSOS_ERROR_OTHER);
	assert_null(clrsos_metadata_guid(md, 1, &p));
	clrsos_metadata_destroy(md);
	free(c);
	build_free(&b);
}

static void test_metadata__bad_rows_and_tokens(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	struct clrsos_metadata *md = open_md(&b);
	const char *s;
	uint32_t v;
	/* Row 0 and rows past the count. */
	expect_error(clrsos_metadata_field(md, 0x04000000, &s, NULL, NULL, NULL), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_field(md, 0x04000004, &s, NULL, NULL, NULL), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_field(md, 0x04FFFFFF, &s, NULL, NULL, NULL), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_typedef(md, 0x02000000, NULL, &s), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_typedef(md, 0x02000003, NULL, &s), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_typeref(md, 0x01000002, NULL, &s), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_column(md, CLRSOS_MD_METHODDEF, 1, 0, &v), CLRSOS_ERROR_OTHER);
	/* Tokens of another table, tables and columns that do not exist. */
	expect_error(clrsos_metadata_field(md, 0x02000001, &s, NULL, NULL, NULL),
		     CLRSOS_ERROR_INVALID_ARGUMENT);
	expect_error(clrsos_metadata_typedef(md, 0x04000001, NULL, &s), CLRSOS_ERROR_INVALID_ARGUMENT);
	expect_error(clrsos_metadata_typeref(md, 0x02000001, NULL, &s), CLRSOS_ERROR_INVALID_ARGUMENT);
	expect_error(clrsos_metadata_typedef_field_count(md, 0x04000001, &v),
		     CLRSOS_ERROR_INVALID_ARGUMENT);
	expect_error(clrsos_metadata_column(md, CLRSOS_MD_TABLE_COUNT, 1, 0, &v),
		     CLRSOS_ERROR_INVALID_ARGUMENT);
	expect_error(clrsos_metadata_column(md, CLRSOS_MD_FIELD, 1, 3, &v),
		     CLRSOS_ERROR_INVALID_ARGUMENT);
	expect_error(clrsos_metadata_column(md, CLRSOS_MD_FIELD, 1, 1000, &v),
		     CLRSOS_ERROR_INVALID_ARGUMENT);
	clrsos_metadata_destroy(md);
	build_free(&b);
}

static void test_metadata__bad_coded_index(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	struct clrsos_metadata *md;
	uint32_t v;
	/* TypeDefOrRef tag 3 names no table. */
	size_t extends = b.typedef_off + b.typedef_row + 4 + 2 * b.str_w;
	set16(b.data + extends, 1 << 2 | 3);
	assert_null(clrsos_metadata_create(b.data, b.len, &md));
	expect_error(clrsos_metadata_column(md, CLRSOS_MD_TYPEDEF, 2, 3, &v), CLRSOS_ERROR_OTHER);
	/* The raw columns around it still read. */
	assert_null(clrsos_metadata_column(md, CLRSOS_MD_TYPEDEF, 2, 4, &v));
	assert_int_equal(v, 1);
	clrsos_metadata_destroy(md);
	build_free(&b);
}

static void test_metadata__bad_field_lists(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	struct clrsos_metadata *md;
	uint32_t v;
	size_t list1 = b.typedef_off + 4 + 3 * 2; /* small indexes */
	size_t list2 = list1 + b.typedef_row;
	uint8_t *c = malloc(b.len);
	assert_non_null(c);
	/* Past the end of the Field table (3 rows: 4 is the end). */
	memcpy(c, b.data, b.len);
	set16(c + list2, 5);
	assert_null(clrsos_metadata_create(c, b.len, &md));
	expect_error(clrsos_metadata_typedef_field_count(md, 0x02000002, &v), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_typedef_field_count(md, 0x02000001, &v), CLRSOS_ERROR_OTHER);
	clrsos_metadata_destroy(md);
	/* Going backwards. */
	memcpy(c, b.data, b.len);
	set16(c + list1, 3);
	assert_null(clrsos_metadata_create(c, b.len, &md));
	expect_error(clrsos_metadata_typedef_field_count(md, 0x02000001, &v), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_typedef_field(md, 0x02000001, 0, &v), CLRSOS_ERROR_OTHER);
	assert_null(clrsos_metadata_typedef_field_count(md, 0x02000002, &v));
	assert_int_equal(v, 3);
	clrsos_metadata_destroy(md);
	/* Row 0. */
	memcpy(c, b.data, b.len);
	set16(c + list2, 0);
	assert_null(clrsos_metadata_create(c, b.len, &md));
	expect_error(clrsos_metadata_typedef_field_count(md, 0x02000002, &v), CLRSOS_ERROR_OTHER);
	clrsos_metadata_destroy(md);
	free(c);
	build_free(&b);

	/* A FieldPtr pointing nowhere. */
	m = (struct model){.table_stream = "#-", .field_ptr = true};
	b = build(&m);
	set16(b.data + b.fieldptr_off, 0);
	set16(b.data + b.fieldptr_off + 2, 4);
	assert_null(clrsos_metadata_create(b.data, b.len, &md));
	expect_error(clrsos_metadata_typedef_field(md, 0x02000002, 0, &v), CLRSOS_ERROR_OTHER);
	expect_error(clrsos_metadata_typedef_field(md, 0x02000002, 1, &v), CLRSOS_ERROR_OTHER);
	assert_null(clrsos_metadata_typedef_field(md, 0x02000002, 2, &v));
	assert_int_equal(v, 0x04000001);
	clrsos_metadata_destroy(md);
	build_free(&b);
}

static void test_metadata__no_assembly_row(void **state)
{
	(void)state;
	struct model m = {0};
	struct built b = build(&m);
	/* Assembly: 0 rows (a netmodule); its row is left as trailing bytes. */
	set32(b.data + b.rows_off + 4 * 4, 0);
	struct clrsos_metadata *md = open_md(&b);
	const char *s = "unset";
	assert_null(clrsos_metadata_assembly_name(md, &s));
	assert_null(s);
	clrsos_metadata_destroy(md);
	/* No Module row: no module name. */
	set32(b.data + b.rows_off, 0);
	md = open_md(&b);
	expect_error(clrsos_metadata_module_name(md, &s), CLRSOS_ERROR_OTHER);
	clrsos_metadata_destroy(md);
	build_free(&b);
}

static void test_metadata__uncompress(void **state)
{
	(void)state;
	/* The examples of II.23.2. */
	static const struct {
		uint8_t bytes[4];
		size_t len;
		uint32_t value;
	} cases[] = {
		{{0x03}, 1, 0x03},
		{{0x7f}, 1, 0x7f},
		{{0x80, 0x80}, 2, 0x80},
		{{0xae, 0x57}, 2, 0x2e57},
		{{0xbf, 0xff}, 2, 0x3fff},
		{{0xc0, 0x00, 0x40, 0x00}, 4, 0x4000},
		{{0xdf, 0xff, 0xff, 0xff}, 4, 0x1fffffff},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *p = cases[i].bytes;
		uint32_t v;
		assert_null(clrsos_metadata_uncompress(&p, cases[i].bytes + cases[i].len, &v));
		assert_int_equal(v, cases[i].value);
		assert_ptr_equal(p, cases[i].bytes + cases[i].len);
		/* Cut short: an error, and *pos stays. */
		p = cases[i].bytes;
		expect_error(clrsos_metadata_uncompress(&p, cases[i].bytes + cases[i].len - 1, &v),
			     CLRSOS_ERROR_OTHER);
		assert_ptr_equal(p, cases[i].bytes);
	}
	static const uint8_t bad[] = {0xe0, 0xff};
	for (size_t i = 0; i < sizeof(bad); i++) {
		const uint8_t *p = &bad[i];
		uint32_t v;
		expect_error(clrsos_metadata_uncompress(&p, bad + sizeof(bad), &v),
			     CLRSOS_ERROR_OTHER);
	}
}

/* System.Private.CoreLib ------------------------------------------------- */

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
	if (glob("/usr/share/dotnet/shared/Microsoft.NETCore.App/*/System.Private.CoreLib.dll",
		 0, NULL, &g) != 0)
		return 0; /* no runtime: the tests skip */
	const char *path = g.gl_pathv[g.gl_pathc - 1];
	struct clrsos_pe_image *img;
	struct clrsos_error *err = clrsos_pe_open(path, &img);
	if (err) {
		fprintf(stderr, "%s\n", err->message);
		clrsos_error_destroy(err);
		globfree(&g);
		return -1;
	}
	cl->size = clrsos_pe_metadata_size(img);
	cl->bytes = malloc(cl->size ? cl->size : 1);
	int rc = -1;
	if (cl->bytes && cl->size &&
	    clrsos_pe_read(img, false, clrsos_pe_metadata_offset(img), cl->bytes,
			   cl->size) == cl->size) {
		err = clrsos_metadata_create(cl->bytes, cl->size, &cl->md);
		if (err) {
			fprintf(stderr, "%s: %s\n", path, err->message);
			clrsos_error_destroy(err);
		} else {
			rc = 0;
		}
	}
	clrsos_pe_close(img);
	globfree(&g);
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

static struct clrsos_metadata *corelib_md(void **state)
{
	struct corelib *cl = *state;
	if (!cl->md)
		skip();
	return cl->md;
}

static uint32_t find_typedef(const struct clrsos_metadata *md, const char *want_ns,
			     const char *want_name)
{
	uint32_t found = 0;
	for (uint32_t r = 1; r <= clrsos_metadata_rows(md, CLRSOS_MD_TYPEDEF); r++) {
		const char *ns, *name;
		assert_null(clrsos_metadata_typedef(md, 0x02000000 | r, &ns, &name));
		if (!strcmp(ns, want_ns) && !strcmp(name, want_name)) {
			assert_int_equal(found, 0); /* once */
			found = 0x02000000 | r;
		}
	}
	return found;
}

/* The token of a field of a TypeDef, by name (0: none). */
static uint32_t find_field(const struct clrsos_metadata *md, uint32_t type,
			   const char *want)
{
	uint32_t n, token;
	assert_null(clrsos_metadata_typedef_field_count(md, type, &n));
	for (uint32_t i = 0; i < n; i++) {
		const char *name;
		assert_null(clrsos_metadata_typedef_field(md, type, i, &token));
		assert_null(clrsos_metadata_field(md, token, &name, NULL, NULL, NULL));
		if (!strcmp(name, want))
			return token;
	}
	return 0;
}

static void test_metadata__corelib_names(void **state)
{
	const struct clrsos_metadata *md = corelib_md(state);
	const char *s;
	assert_true(!strncmp(clrsos_metadata_version(md), "v4.0.30319", 10));
	assert_null(clrsos_metadata_module_name(md, &s));
	assert_string_equal(s, "System.Private.CoreLib.dll");
	assert_null(clrsos_metadata_assembly_name(md, &s));
	assert_string_equal(s, "System.Private.CoreLib");
	assert_int_equal(clrsos_metadata_rows(md, CLRSOS_MD_MODULE), 1);
	assert_true(clrsos_metadata_rows(md, CLRSOS_MD_TYPEDEF) > 1000);
	/* The first TypeDef is <Module>. */
	const char *ns;
	assert_null(clrsos_metadata_typedef(md, 0x02000001, &ns, &s));
	assert_string_equal(ns, "");
	assert_string_equal(s, "<Module>");
	assert_int_not_equal(find_typedef(md, "System", "Object"), 0);
	assert_int_not_equal(find_typedef(md, "System", "String"), 0);
	assert_int_not_equal(find_typedef(md, "System.Collections.Generic", "Dictionary`2"), 0);
	assert_int_equal(find_typedef(md, "System", "NoSuchTypeHere"), 0);
}

static void test_metadata__corelib_string_fields(void **state)
{
	const struct clrsos_metadata *md = corelib_md(state);
	uint32_t string = find_typedef(md, "System", "String");
	assert_int_not_equal(string, 0);
	static const struct {
		const char *name;
		uint8_t element_type;
		bool is_static;
	} fields[] = {
		{"_stringLength", 0x08 /* I4 */, false},
		{"_firstChar", 0x03 /* CHAR */, false},
		{"Empty", 0x0e /* STRING */, true},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint32_t token = find_field(md, string, fields[i].name);
		if (!token)
			print_error("System.String has no field %s\n", fields[i].name);
		assert_int_not_equal(token, 0);
		const char *name;
		uint16_t flags;
		const uint8_t *sig;
		size_t len;
		assert_null(clrsos_metadata_field(md, token, &name, &flags, &sig, &len));
		assert_string_equal(name, fields[i].name);
		assert_int_equal(len, 2);
		assert_int_equal(sig[0], 0x06); /* FIELD */
		assert_int_equal(sig[1], fields[i].element_type);
		assert_int_equal(!!(flags & CLRSOS_MD_FIELD_STATIC), fields[i].is_static);
		assert_int_equal(flags & CLRSOS_MD_FIELD_ACCESS_MASK,
				 fields[i].is_static ? CLRSOS_MD_FIELD_PUBLIC
						     : CLRSOS_MD_FIELD_PRIVATE);
	}
	/* System.Object has no fields. */
	uint32_t n;
	assert_null(clrsos_metadata_typedef_field_count(md, find_typedef(md, "System", "Object"), &n));
	assert_int_equal(n, 0);
}

static void test_metadata__corelib_every_row_reads(void **state)
{
	const struct clrsos_metadata *md = corelib_md(state);
	/* Every TypeDef's fields, and together they are the Field table. */
	uint32_t total = 0;
	for (uint32_t r = 1; r <= clrsos_metadata_rows(md, CLRSOS_MD_TYPEDEF); r++) {
		uint32_t n, token, prev = 0;
		assert_null(clrsos_metadata_typedef_field_count(md, 0x02000000 | r, &n));
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *sig;
			size_t len;
			const char *name;
			assert_null(clrsos_metadata_typedef_field(md, 0x02000000 | r, i, &token));
			assert_true(token > prev);
			prev = token;
			assert_null(clrsos_metadata_field(md, token, &name, NULL, &sig, &len));
			assert_true(name[0] != '\0');
			assert_true(len >= 2);
			assert_int_equal(sig[0], 0x06);
		}
		total += n;
	}
	assert_int_equal(total, clrsos_metadata_rows(md, CLRSOS_MD_FIELD));
	/* Every column of every row of every table decodes. */
	for (unsigned t = 0; t < CLRSOS_MD_TABLE_COUNT; t++)
		for (uint32_t r = 1; r <= clrsos_metadata_rows(md, t); r++)
			for (unsigned c = 0;; c++) {
				uint32_t v;
				struct clrsos_error *err = clrsos_metadata_column(md, t, r, c, &v);
				if (err) {
					assert_int_equal(err->code, CLRSOS_ERROR_INVALID_ARGUMENT);
					clrsos_error_destroy(err);
					assert_true(c > 0);
					break;
				}
			}
	/* Coded indexes (decoded to tokens) and table indexes (row ids of the
	 * table given here) point at rows that exist. */
	enum { CODED = 0xFF };
	static const struct {
		unsigned table, column, target;
		bool may_be_nil;
	} refs[] = {
		{CLRSOS_MD_TYPEREF, 0, CODED, true},
		{CLRSOS_MD_TYPEDEF, 3, CODED, true},
		{CLRSOS_MD_INTERFACEIMPL, 0, CLRSOS_MD_TYPEDEF, false},
		{CLRSOS_MD_INTERFACEIMPL, 1, CODED, false},
		{CLRSOS_MD_MEMBERREF, 0, CODED, false},
		{CLRSOS_MD_CONSTANT, 1, CODED, false},
		{CLRSOS_MD_CUSTOMATTRIBUTE, 0, CODED, false},
		{CLRSOS_MD_CUSTOMATTRIBUTE, 1, CODED, false},
		{CLRSOS_MD_FIELDMARSHAL, 0, CODED, false},
		{CLRSOS_MD_DECLSECURITY, 1, CODED, false},
		{CLRSOS_MD_CLASSLAYOUT, 2, CLRSOS_MD_TYPEDEF, false},
		{CLRSOS_MD_FIELDLAYOUT, 1, CLRSOS_MD_FIELD, false},
		{CLRSOS_MD_EVENTMAP, 0, CLRSOS_MD_TYPEDEF, false},
		{CLRSOS_MD_EVENT, 2, CODED, true},
		{CLRSOS_MD_PROPERTYMAP, 0, CLRSOS_MD_TYPEDEF, false},
		{CLRSOS_MD_METHODSEMANTICS, 1, CLRSOS_MD_METHODDEF, false},
		{CLRSOS_MD_METHODSEMANTICS, 2, CODED, false},
		{CLRSOS_MD_METHODIMPL, 0, CLRSOS_MD_TYPEDEF, false},
		{CLRSOS_MD_METHODIMPL, 1, CODED, false},
		{CLRSOS_MD_METHODIMPL, 2, CODED, false},
		{CLRSOS_MD_IMPLMAP, 1, CODED, false},
		{CLRSOS_MD_IMPLMAP, 3, CLRSOS_MD_MODULEREF, false},
		{CLRSOS_MD_FIELDRVA, 1, CLRSOS_MD_FIELD, false},
		{CLRSOS_MD_NESTEDCLASS, 0, CLRSOS_MD_TYPEDEF, false},
		{CLRSOS_MD_NESTEDCLASS, 1, CLRSOS_MD_TYPEDEF, false},
		{CLRSOS_MD_GENERICPARAM, 2, CODED, false},
		{CLRSOS_MD_METHODSPEC, 0, CODED, false},
		{CLRSOS_MD_GENERICPARAMCONSTRAINT, 0, CLRSOS_MD_GENERICPARAM, false},
		{CLRSOS_MD_GENERICPARAMCONSTRAINT, 1, CODED, false},
	};
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		unsigned t = refs[i].table;
		for (uint32_t r = 1; r <= clrsos_metadata_rows(md, t); r++) {
			uint32_t v;
			assert_null(clrsos_metadata_column(md, t, r, refs[i].column, &v));
			unsigned target = refs[i].target;
			uint32_t rid = v;
			if (target == CODED) {
				target = v >> 24;
				rid = v & 0xFFFFFF;
			}
			if (rid == 0 && refs[i].may_be_nil)
				continue;
			if (rid < 1 || rid > clrsos_metadata_rows(md, target))
				print_error("table 0x%02x row %u column %u: 0x%08x\n",
					    t, r, refs[i].column, v);
			assert_true(rid >= 1 && rid <= clrsos_metadata_rows(md, target));
		}
	}
	/* The last tables: names of generic parameters ("T", "TKey", ...). */
	uint32_t gps = clrsos_metadata_rows(md, CLRSOS_MD_GENERICPARAM);
	assert_true(gps > 0);
	for (uint32_t r = 1; r <= gps; r++) {
		uint32_t index, owner;
		const char *name;
		assert_null(clrsos_metadata_column(md, CLRSOS_MD_GENERICPARAM, r, 3, &index));
		assert_null(clrsos_metadata_string(md, index, &name));
		assert_true(name[0] != '\0');
		assert_null(clrsos_metadata_column(md, CLRSOS_MD_GENERICPARAM, r, 2, &owner));
		assert_true(owner >> 24 == CLRSOS_MD_TYPEDEF || owner >> 24 == CLRSOS_MD_METHODDEF);
		assert_true((owner & 0xFFFFFF) >= 1 &&
			    (owner & 0xFFFFFF) <= clrsos_metadata_rows(md, owner >> 24));
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The tables fill the #~ stream (as located here, independently) up to its
 * 4-byte padding: every row size of every table present adds up. */
static void test_metadata__corelib_tables_fill_their_stream(void **state)
{
	const struct clrsos_metadata *md = corelib_md(state);
	const struct corelib *cl = *state;
	const uint8_t *p = cl->bytes;
	size_t pos = 16 + le32(p + 12);
	unsigned nstreams = p[pos + 2] | p[pos + 3] << 8;
	pos += 4;
	uint32_t offset = 0, size = 0;
	for (unsigned i = 0; i < nstreams; i++) {
		const char *name = (const char *)p + pos + 8;
		if (!strcmp(name, "#~")) {
			offset = le32(p + pos);
			size = le32(p + pos + 4);
		}
		pos += 8 + ((strlen(name) + 1 + 3) & ~(size_t)3);
	}
	assert_int_not_equal(size, 0);
	const uint8_t *t = p + offset;
	uint64_t valid = le32(t + 8) | (uint64_t)le32(t + 12) << 32;
	assert_int_equal(valid >> CLRSOS_MD_TABLE_COUNT, 0);
	uint64_t used = 24 + 4 * (uint64_t)__builtin_popcountll(valid) +
			(t[6] & 0x40 ? 4 : 0);
	for (unsigned i = 0; i < CLRSOS_MD_TABLE_COUNT; i++) {
		uint32_t rows = clrsos_metadata_rows(md, i);
		if (!(valid >> i & 1))
			assert_int_equal(rows, 0);
		used += (uint64_t)rows * clrsos_metadata_row_size(md, i);
	}
	assert_true(used <= size);
	assert_true(size - used < 4);
	/* MethodDef's ParamList widens past 65535 Params (CoreLib has more). */
	uint32_t heap_indexes = clrsos_metadata_row_size(md, CLRSOS_MD_FIELD) - 2;
	assert_int_equal(clrsos_metadata_row_size(md, CLRSOS_MD_METHODDEF),
			 8 + heap_indexes +
				 (clrsos_metadata_rows(md, CLRSOS_MD_PARAM) > 0xFFFF ? 4 : 2));
}

int run_metadata_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata__small_module),
		cmocka_unit_test(test_metadata__bytes_are_copied),
		cmocka_unit_test(test_metadata__uncompressed_stream_with_field_ptr),
		cmocka_unit_test(test_metadata__extra_data),
		cmocka_unit_test(test_metadata__minimal_delta),
		cmocka_unit_test(test_metadata__large_heaps),
		cmocka_unit_test(test_metadata__many_rows_widen_indexes),
		cmocka_unit_test(test_metadata__every_truncation_fails),
		cmocka_unit_test(test_metadata__random_corruption_is_safe),
		cmocka_unit_test(test_metadata__bad_root),
		cmocka_unit_test(test_metadata__bad_stream_headers),
		cmocka_unit_test(test_metadata__bad_row_counts),
		cmocka_unit_test(test_metadata__bad_strings),
		cmocka_unit_test(test_metadata__bad_blobs_and_guids),
		cmocka_unit_test(test_metadata__bad_rows_and_tokens),
		cmocka_unit_test(test_metadata__bad_coded_index),
		cmocka_unit_test(test_metadata__bad_field_lists),
		cmocka_unit_test(test_metadata__no_assembly_row),
		cmocka_unit_test(test_metadata__uncompress),
		cmocka_unit_test_setup_teardown(test_metadata__corelib_names,
						corelib_setup, corelib_teardown),
		cmocka_unit_test_setup_teardown(test_metadata__corelib_string_fields,
						corelib_setup, corelib_teardown),
		cmocka_unit_test_setup_teardown(test_metadata__corelib_every_row_reads,
						corelib_setup, corelib_teardown),
		cmocka_unit_test_setup_teardown(test_metadata__corelib_tables_fill_their_stream,
						corelib_setup, corelib_teardown),
	};
	return cmocka_run_group_tests_name("metadata", tests, NULL, NULL);
}
