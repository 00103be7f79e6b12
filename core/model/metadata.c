/*
 * ECMA-335 metadata (II.24): the root and its stream headers, the table
 * stream's header and row counts, and from them the layout of every table
 * of II.22 (column widths depend on heap sizes and row counts), so that a
 * row is found by arithmetic and a column read in place.
 *
 * Everything lives in one malloc'd copy of the bytes. create() checks what
 * the layout rests on: the root, each stream inside the blob, the table
 * header inside its stream, row counts below 2^24 (a token's row id) and
 * every known table inside the table stream. The rest (row ids, heap
 * indexes, blob lengths, NUL terminators, list ranges) is checked on each
 * read, against the sizes computed here.
 */
#include "model/metadata.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
	MD_SIGNATURE = 0x424A5342, /* "BSJB" */
	MD_ROOT_SIZE = 16,         /* up to the version string's length */
	MD_STREAM_NAME_MAX = 32,   /* with its NUL */
	MD_TABLES_HEADER = 24,     /* up to the row counts */
	MD_MAX_TABLES = 64,
	MD_MAX_ROWS = 0xFFFFFF,    /* a token's row id */
	MD_MAX_COLUMNS = 9,
	HEAP_STRING_4 = 0x01,
	HEAP_GUID_4 = 0x02,
	HEAP_BLOB_4 = 0x04,
	HEAP_EXTRA_DATA = 0x40,
};

/* Column kinds: a fixed-size number, a heap index, a table index. */
enum {
	COL_END = 0,
	COL_U16,
	COL_U32,
	COL_STRING,
	COL_GUID,
	COL_BLOB,
	COL_TABLE = 0x40, /* | table: a row id of that table */
	COL_LIST = 0x80,  /* | table: the first of a run of rows of that table
			   * (or of its Ptr table, which can make it wider) */
	COL_CODED = 0xC0, /* | coded index kind */
	COL_ARG = 0x3F,
};

enum coded_kind {
	TYPE_DEF_OR_REF,
	HAS_CONSTANT,
	HAS_CUSTOM_ATTRIBUTE,
	HAS_FIELD_MARSHAL,
	HAS_DECL_SECURITY,
	MEMBER_REF_PARENT,
	HAS_SEMANTICS,
	METHOD_DEF_OR_REF,
	MEMBER_FORWARDED,
	IMPLEMENTATION,
	CUSTOM_ATTRIBUTE_TYPE,
	RESOLUTION_SCOPE,
	TYPE_OR_METHOD_DEF,
	CODED_COUNT,
};

enum { NO_TABLE = 0xFF }; /* a tag that names no table */

/* II.24.2.6: the tables a coded index can point to, in tag order. */
static const struct coded_index {
	uint8_t bits;
	uint8_t count;
	uint8_t tables[22];
} coded_indexes[CODED_COUNT] = {
	[TYPE_DEF_OR_REF] = {2, 3, {CLRSOS_MD_TYPEDEF, CLRSOS_MD_TYPEREF, CLRSOS_MD_TYPESPEC}},
	[HAS_CONSTANT] = {2, 3, {CLRSOS_MD_FIELD, CLRSOS_MD_PARAM, CLRSOS_MD_PROPERTY}},
	[HAS_CUSTOM_ATTRIBUTE] = {5, 22, {
		CLRSOS_MD_METHODDEF, CLRSOS_MD_FIELD, CLRSOS_MD_TYPEREF,
		CLRSOS_MD_TYPEDEF, CLRSOS_MD_PARAM, CLRSOS_MD_INTERFACEIMPL,
		CLRSOS_MD_MEMBERREF, CLRSOS_MD_MODULE, CLRSOS_MD_DECLSECURITY,
		CLRSOS_MD_PROPERTY, CLRSOS_MD_EVENT, CLRSOS_MD_STANDALONESIG,
		CLRSOS_MD_MODULEREF, CLRSOS_MD_TYPESPEC, CLRSOS_MD_ASSEMBLY,
		CLRSOS_MD_ASSEMBLYREF, CLRSOS_MD_FILE, CLRSOS_MD_EXPORTEDTYPE,
		CLRSOS_MD_MANIFESTRESOURCE, CLRSOS_MD_GENERICPARAM,
		CLRSOS_MD_GENERICPARAMCONSTRAINT, CLRSOS_MD_METHODSPEC}},
	[HAS_FIELD_MARSHAL] = {1, 2, {CLRSOS_MD_FIELD, CLRSOS_MD_PARAM}},
	[HAS_DECL_SECURITY] = {2, 3, {CLRSOS_MD_TYPEDEF, CLRSOS_MD_METHODDEF, CLRSOS_MD_ASSEMBLY}},
	[MEMBER_REF_PARENT] = {3, 5, {CLRSOS_MD_TYPEDEF, CLRSOS_MD_TYPEREF, CLRSOS_MD_MODULEREF,
				      CLRSOS_MD_METHODDEF, CLRSOS_MD_TYPESPEC}},
	[HAS_SEMANTICS] = {1, 2, {CLRSOS_MD_EVENT, CLRSOS_MD_PROPERTY}},
	[METHOD_DEF_OR_REF] = {1, 2, {CLRSOS_MD_METHODDEF, CLRSOS_MD_MEMBERREF}},
	[MEMBER_FORWARDED] = {1, 2, {CLRSOS_MD_FIELD, CLRSOS_MD_METHODDEF}},
	[IMPLEMENTATION] = {2, 3, {CLRSOS_MD_FILE, CLRSOS_MD_ASSEMBLYREF, CLRSOS_MD_EXPORTEDTYPE}},
	[CUSTOM_ATTRIBUTE_TYPE] = {3, 5, {NO_TABLE, NO_TABLE, CLRSOS_MD_METHODDEF,
					  CLRSOS_MD_MEMBERREF, NO_TABLE}},
	[RESOLUTION_SCOPE] = {2, 4, {CLRSOS_MD_MODULE, CLRSOS_MD_MODULEREF,
				     CLRSOS_MD_ASSEMBLYREF, CLRSOS_MD_TYPEREF}},
	[TYPE_OR_METHOD_DEF] = {1, 2, {CLRSOS_MD_TYPEDEF, CLRSOS_MD_METHODDEF}},
};

#define U16 COL_U16
#define U32 COL_U32
#define STR COL_STRING
#define GUID COL_GUID
#define BLOB COL_BLOB
#define TBL(t) (COL_TABLE | CLRSOS_MD_##t)
#define LIST(t) (COL_LIST | CLRSOS_MD_##t)
#define CODED(k) (COL_CODED | (k))

/* II.22: each table's columns in order. */
static const uint8_t schema[CLRSOS_MD_TABLE_COUNT][MD_MAX_COLUMNS + 1] = {
	[CLRSOS_MD_MODULE] = {U16, STR, GUID, GUID, GUID},
	[CLRSOS_MD_TYPEREF] = {CODED(RESOLUTION_SCOPE), STR, STR},
	[CLRSOS_MD_TYPEDEF] = {U32, STR, STR, CODED(TYPE_DEF_OR_REF), LIST(FIELD), LIST(METHODDEF)},
	[CLRSOS_MD_FIELDPTR] = {TBL(FIELD)},
	[CLRSOS_MD_FIELD] = {U16, STR, BLOB},
	[CLRSOS_MD_METHODPTR] = {TBL(METHODDEF)},
	[CLRSOS_MD_METHODDEF] = {U32, U16, U16, STR, BLOB, LIST(PARAM)},
	[CLRSOS_MD_PARAMPTR] = {TBL(PARAM)},
	[CLRSOS_MD_PARAM] = {U16, U16, STR},
	[CLRSOS_MD_INTERFACEIMPL] = {TBL(TYPEDEF), CODED(TYPE_DEF_OR_REF)},
	[CLRSOS_MD_MEMBERREF] = {CODED(MEMBER_REF_PARENT), STR, BLOB},
	[CLRSOS_MD_CONSTANT] = {U16, CODED(HAS_CONSTANT), BLOB},
	[CLRSOS_MD_CUSTOMATTRIBUTE] = {CODED(HAS_CUSTOM_ATTRIBUTE), CODED(CUSTOM_ATTRIBUTE_TYPE), BLOB},
	[CLRSOS_MD_FIELDMARSHAL] = {CODED(HAS_FIELD_MARSHAL), BLOB},
	[CLRSOS_MD_DECLSECURITY] = {U16, CODED(HAS_DECL_SECURITY), BLOB},
	[CLRSOS_MD_CLASSLAYOUT] = {U16, U32, TBL(TYPEDEF)},
	[CLRSOS_MD_FIELDLAYOUT] = {U32, TBL(FIELD)},
	[CLRSOS_MD_STANDALONESIG] = {BLOB},
	[CLRSOS_MD_EVENTMAP] = {TBL(TYPEDEF), LIST(EVENT)},
	[CLRSOS_MD_EVENTPTR] = {TBL(EVENT)},
	[CLRSOS_MD_EVENT] = {U16, STR, CODED(TYPE_DEF_OR_REF)},
	[CLRSOS_MD_PROPERTYMAP] = {TBL(TYPEDEF), LIST(PROPERTY)},
	[CLRSOS_MD_PROPERTYPTR] = {TBL(PROPERTY)},
	[CLRSOS_MD_PROPERTY] = {U16, STR, BLOB},
	[CLRSOS_MD_METHODSEMANTICS] = {U16, TBL(METHODDEF), CODED(HAS_SEMANTICS)},
	[CLRSOS_MD_METHODIMPL] = {TBL(TYPEDEF), CODED(METHOD_DEF_OR_REF), CODED(METHOD_DEF_OR_REF)},
	[CLRSOS_MD_MODULEREF] = {STR},
	[CLRSOS_MD_TYPESPEC] = {BLOB},
	[CLRSOS_MD_IMPLMAP] = {U16, CODED(MEMBER_FORWARDED), STR, TBL(MODULEREF)},
	[CLRSOS_MD_FIELDRVA] = {U32, TBL(FIELD)},
	[CLRSOS_MD_ENCLOG] = {U32, U32},
	[CLRSOS_MD_ENCMAP] = {U32},
	[CLRSOS_MD_ASSEMBLY] = {U32, U16, U16, U16, U16, U32, BLOB, STR, STR},
	[CLRSOS_MD_ASSEMBLYPROCESSOR] = {U32},
	[CLRSOS_MD_ASSEMBLYOS] = {U32, U32, U32},
	[CLRSOS_MD_ASSEMBLYREF] = {U16, U16, U16, U16, U32, BLOB, STR, STR, BLOB},
	[CLRSOS_MD_ASSEMBLYREFPROCESSOR] = {U32, TBL(ASSEMBLYREF)},
	[CLRSOS_MD_ASSEMBLYREFOS] = {U32, U32, U32, TBL(ASSEMBLYREF)},
	[CLRSOS_MD_FILE] = {U32, STR, BLOB},
	[CLRSOS_MD_EXPORTEDTYPE] = {U32, U32, STR, STR, CODED(IMPLEMENTATION)},
	[CLRSOS_MD_MANIFESTRESOURCE] = {U32, U32, STR, CODED(IMPLEMENTATION)},
	[CLRSOS_MD_NESTEDCLASS] = {TBL(TYPEDEF), TBL(TYPEDEF)},
	[CLRSOS_MD_GENERICPARAM] = {U16, U16, CODED(TYPE_OR_METHOD_DEF), STR},
	[CLRSOS_MD_METHODSPEC] = {CODED(METHOD_DEF_OR_REF), BLOB},
	[CLRSOS_MD_GENERICPARAMCONSTRAINT] = {TBL(GENERICPARAM), CODED(TYPE_DEF_OR_REF)},
};

#undef U16
#undef U32
#undef STR
#undef GUID
#undef BLOB
#undef TBL
#undef LIST
#undef CODED

/* The table of pointers (edit and continue's indirection) to a table. */
static unsigned ptr_table(unsigned table)
{
	switch (table) {
	case CLRSOS_MD_FIELD: return CLRSOS_MD_FIELDPTR;
	case CLRSOS_MD_METHODDEF: return CLRSOS_MD_METHODPTR;
	case CLRSOS_MD_PARAM: return CLRSOS_MD_PARAMPTR;
	case CLRSOS_MD_EVENT: return CLRSOS_MD_EVENTPTR;
	case CLRSOS_MD_PROPERTY: return CLRSOS_MD_PROPERTYPTR;
	default: return NO_TABLE;
	}
}

struct heap {
	const uint8_t *data;
	uint32_t size;
};

struct table {
	const uint8_t *data; /* the first row */
	uint32_t rows;
	uint32_t row_size;
	uint8_t ncolumns;
	uint8_t offset[MD_MAX_COLUMNS];
	uint8_t width[MD_MAX_COLUMNS];
};

struct clrsos_metadata {
	uint8_t *bytes;
	size_t size;
	char *version;
	struct heap strings, user_strings, guids, blobs, tables;
	struct heap pdb;     /* "#Pdb": a portable PDB's own stream */
	uint32_t tables_end; /* the table stream past table 0x2C */
	bool uncompressed;  /* "#-" */
	bool minimal_delta; /* "#JTD" */
	uint8_t heap_sizes;
	uint32_t rows[MD_MAX_TABLES];
	struct table table[CLRSOS_MD_TABLE_COUNT];
};

static const uint8_t zeros[16];

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static struct clrsos_error *corrupt(const char *what)
{
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "corrupt metadata: %s", what);
}

/* The root and the stream headers (II.24.2.1, II.24.2.2). */
static struct clrsos_error *read_root(struct clrsos_metadata *md)
{
	const uint8_t *p = md->bytes;
	size_t size = md->size;
	if (size < MD_ROOT_SIZE || get32(p) != MD_SIGNATURE)
		return corrupt("no BSJB signature");
	uint32_t version_len = get32(p + 12);
	if (version_len > size - MD_ROOT_SIZE ||
	    size - MD_ROOT_SIZE - version_len < 4)
		return corrupt("the version string runs past the end");
	const uint8_t *version = p + MD_ROOT_SIZE;
	const uint8_t *nul = memchr(version, 0, version_len);
	size_t n = nul ? (size_t)(nul - version) : version_len;
	md->version = strndup((const char *)version, n);
	if (!md->version)
		return &clrsos_error_no_memory;

	size_t pos = MD_ROOT_SIZE + version_len;
	uint16_t nstreams = get16(p + pos + 2); /* after Flags */
	pos += 4;
	struct heap compressed = {0}, uncompressed = {0};
	bool have_compressed = false, have_uncompressed = false;
	for (uint16_t i = 0; i < nstreams; i++) {
		if (size - pos < 8 + 4)
			return corrupt("the stream headers run past the end");
		uint32_t offset = get32(p + pos), ssize = get32(p + pos + 4);
		const char *name = (const char *)p + pos + 8;
		size_t room = size - pos - 8;
		if (room > MD_STREAM_NAME_MAX)
			room = MD_STREAM_NAME_MAX;
		const char *end = memchr(name, 0, room);
		if (!end)
			return corrupt("a stream name is not terminated");
		size_t header = 8 + (((size_t)(end - name) + 1 + 3) & ~(size_t)3);
		if (header > size - pos)
			return corrupt("the stream headers run past the end");
		pos += header;
		if ((uint64_t)offset + ssize > size)
			return corrupt("a stream lies past the end of the metadata");
		struct heap s = {md->bytes + offset, ssize};
		struct heap *dest = NULL;
		if (!strcmp(name, "#~")) {
			if (!have_compressed) {
				compressed = s;
				have_compressed = true;
			}
		} else if (!strcmp(name, "#-")) {
			if (!have_uncompressed) {
				uncompressed = s;
				have_uncompressed = true;
			}
		} else if (!strcmp(name, "#Strings")) {
			dest = &md->strings;
		} else if (!strcmp(name, "#US")) {
			dest = &md->user_strings;
		} else if (!strcmp(name, "#GUID")) {
			dest = &md->guids;
		} else if (!strcmp(name, "#Blob")) {
			dest = &md->blobs;
		} else if (!strcmp(name, "#Pdb")) {
			dest = &md->pdb;
		} else if (!strcmp(name, "#JTD")) {
			md->minimal_delta = true;
		}
		/* The first of each name counts, as for the runtime; others
		 * (obfuscators add some) are ignored. */
		if (dest && !dest->data)
			*dest = s;
	}
	if (have_compressed) {
		md->tables = compressed;
	} else if (have_uncompressed) {
		md->tables = uncompressed;
		md->uncompressed = true;
	} else {
		return corrupt("no table stream (#~ or #-)");
	}
	return NULL;
}

static unsigned index_width(const struct clrsos_metadata *md, unsigned table)
{
	return md->minimal_delta || md->rows[table] > 0xFFFF ? 4 : 2;
}

static unsigned column_width(const struct clrsos_metadata *md, uint8_t col)
{
	unsigned arg = col & COL_ARG;
	switch (col & ~COL_ARG) {
	case COL_TABLE:
		return index_width(md, arg);
	case COL_LIST: {
		unsigned ptr = ptr_table(arg);
		if (ptr != NO_TABLE && index_width(md, ptr) == 4)
			return 4;
		return index_width(md, arg);
	}
	case COL_CODED: {
		const struct coded_index *c = &coded_indexes[arg];
		uint32_t max = 0;
		for (unsigned i = 0; i < c->count; i++)
			if (c->tables[i] != NO_TABLE && md->rows[c->tables[i]] > max)
				max = md->rows[c->tables[i]];
		return md->minimal_delta || max >= (1u << (16 - c->bits)) ? 4 : 2;
	}
	}
	switch (col) {
	case COL_U16: return 2;
	case COL_U32: return 4;
	case COL_STRING: return md->heap_sizes & HEAP_STRING_4 ? 4 : 2;
	case COL_GUID: return md->heap_sizes & HEAP_GUID_4 ? 4 : 2;
	case COL_BLOB: return md->heap_sizes & HEAP_BLOB_4 ? 4 : 2;
	}
	return 0; /* not reached: the schema has no other kind */
}

/* The table stream's header, row counts and table layout (II.24.2.6). */
static struct clrsos_error *read_tables(struct clrsos_metadata *md)
{
	const uint8_t *p = md->tables.data;
	uint32_t size = md->tables.size;
	if (size < MD_TABLES_HEADER)
		return corrupt("the table stream is too small");
	md->heap_sizes = p[6];
	uint64_t valid = (uint64_t)get32(p + 8) | (uint64_t)get32(p + 12) << 32;
	uint32_t pos = MD_TABLES_HEADER;
	for (unsigned i = 0; i < MD_MAX_TABLES; i++) {
		if (!(valid >> i & 1))
			continue;
		if (size - pos < 4)
			return corrupt("the row counts run past the table stream");
		md->rows[i] = get32(p + pos);
		pos += 4;
		if (md->rows[i] > MD_MAX_ROWS)
			return corrupt("a table has more rows than a token can name");
	}
	if (md->heap_sizes & HEAP_EXTRA_DATA) {
		if (size - pos < 4)
			return corrupt("the table header runs past the table stream");
		pos += 4;
	}
	/* Rows below 2^24, row sizes below 256: no overflow in 64 bits. */
	uint64_t at = pos;
	for (unsigned t = 0; t < CLRSOS_MD_TABLE_COUNT; t++) {
		struct table *tb = &md->table[t];
		unsigned off = 0, c;
		for (c = 0; c < MD_MAX_COLUMNS && schema[t][c] != COL_END; c++) {
			unsigned w = column_width(md, schema[t][c]);
			tb->offset[c] = (uint8_t)off;
			tb->width[c] = (uint8_t)w;
			off += w;
		}
		tb->ncolumns = (uint8_t)c;
		tb->row_size = off;
		tb->rows = md->rows[t];
		uint64_t bytes = (uint64_t)tb->rows * tb->row_size;
		if (bytes > size - at)
			return corrupt("a table runs past the table stream");
		tb->data = p + at;
		at += bytes;
	}
	/* Tables past 0x2C (portable PDB tables) follow; model/pdb.c reads
	 * them through clrsos_metadata_tail(). */
	md->tables_end = (uint32_t)at;
	return NULL;
}

struct clrsos_error *clrsos_metadata_create(const void *bytes, size_t size,
					    struct clrsos_metadata **ret)
{
	if (!bytes && size)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "no metadata bytes");
	struct clrsos_metadata *md = calloc(1, sizeof(*md));
	if (!md)
		return &clrsos_error_no_memory;
	md->bytes = malloc(size ? size : 1);
	if (!md->bytes) {
		free(md);
		return &clrsos_error_no_memory;
	}
	if (size)
		memcpy(md->bytes, bytes, size);
	md->size = size;
	struct clrsos_error *err = read_root(md);
	if (!err)
		err = read_tables(md);
	if (err) {
		clrsos_metadata_destroy(md);
		return err;
	}
	*ret = md;
	return NULL;
}

void clrsos_metadata_destroy(struct clrsos_metadata *md)
{
	if (!md)
		return;
	free(md->version);
	free(md->bytes);
	free(md);
}

const char *clrsos_metadata_version(const struct clrsos_metadata *md)
{
	return md->version;
}

uint32_t clrsos_metadata_rows(const struct clrsos_metadata *md, unsigned table)
{
	return table < CLRSOS_MD_TABLE_COUNT ? md->rows[table] : 0;
}

uint32_t clrsos_metadata_row_size(const struct clrsos_metadata *md, unsigned table)
{
	return table < CLRSOS_MD_TABLE_COUNT ? md->table[table].row_size : 0;
}

/* The raw value of a column, as stored. */
static struct clrsos_error *raw_column(const struct clrsos_metadata *md,
				       unsigned table, uint32_t rid,
				       unsigned column, uint32_t *ret)
{
	if (table >= CLRSOS_MD_TABLE_COUNT || column >= md->table[table].ncolumns)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "metadata table 0x%02x has no column %u",
					   table, column);
	const struct table *tb = &md->table[table];
	if (rid == 0 || rid > tb->rows)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "metadata table 0x%02x has no row %u (%u rows)",
					   table, rid, tb->rows);
	const uint8_t *p = tb->data + (size_t)(rid - 1) * tb->row_size +
			   tb->offset[column];
	*ret = tb->width[column] == 4 ? get32(p) : get16(p);
	return NULL;
}

struct clrsos_error *clrsos_metadata_column(const struct clrsos_metadata *md,
					    unsigned table, uint32_t rid,
					    unsigned column, uint32_t *ret)
{
	uint32_t value;
	struct clrsos_error *err = raw_column(md, table, rid, column, &value);
	if (err)
		return err;
	uint8_t col = schema[table][column];
	if ((col & ~COL_ARG) == COL_CODED) {
		const struct coded_index *c = &coded_indexes[col & COL_ARG];
		uint32_t tag = value & ((1u << c->bits) - 1);
		if (tag >= c->count || c->tables[tag] == NO_TABLE)
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "corrupt metadata: bad coded index 0x%x in table 0x%02x row %u",
						   value, table, rid);
		value = (uint32_t)c->tables[tag] << 24 | value >> c->bits;
	}
	*ret = value;
	return NULL;
}

struct clrsos_error *clrsos_metadata_string(const struct clrsos_metadata *md,
					    uint32_t index, const char **ret)
{
	if (index == 0) {
		*ret = "";
		return NULL;
	}
	if (index >= md->strings.size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt metadata: string 0x%x past the #Strings heap (0x%x bytes)",
					   index, md->strings.size);
	const uint8_t *s = md->strings.data + index;
	if (!memchr(s, 0, md->strings.size - index))
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt metadata: string 0x%x is not terminated",
					   index);
	*ret = (const char *)s;
	return NULL;
}

struct clrsos_error *clrsos_metadata_uncompress(const uint8_t **pos,
						const uint8_t *end,
						uint32_t *ret)
{
	const uint8_t *p = *pos;
	if (p >= end)
		return corrupt("a compressed integer runs past its blob");
	size_t avail = (size_t)(end - p);
	uint32_t value;
	size_t n;
	if (!(p[0] & 0x80)) {
		n = 1;
		value = p[0];
	} else if ((p[0] & 0xC0) == 0x80) {
		n = 2;
		if (avail < n)
			return corrupt("a compressed integer runs past its blob");
		value = (uint32_t)(p[0] & 0x3F) << 8 | p[1];
	} else if ((p[0] & 0xE0) == 0xC0) {
		n = 4;
		if (avail < n)
			return corrupt("a compressed integer runs past its blob");
		value = (uint32_t)(p[0] & 0x1F) << 24 | (uint32_t)p[1] << 16 |
			(uint32_t)p[2] << 8 | p[3];
	} else {
		return corrupt("bad compressed integer");
	}
	*pos = p + n;
	*ret = value;
	return NULL;
}

struct clrsos_error *clrsos_metadata_blob(const struct clrsos_metadata *md,
					  uint32_t index, const uint8_t **ret,
					  size_t *ret_len)
{
	if (index == 0) {
		*ret = zeros;
		*ret_len = 0;
		return NULL;
	}
	if (index >= md->blobs.size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt metadata: blob 0x%x past the #Blob heap (0x%x bytes)",
					   index, md->blobs.size);
	const uint8_t *p = md->blobs.data + index;
	const uint8_t *end = md->blobs.data + md->blobs.size;
	uint32_t len;
	struct clrsos_error *err = clrsos_metadata_uncompress(&p, end, &len);
	if (err)
		return clrsos_error_wrap(err, "blob 0x%x", index);
	if (len > (size_t)(end - p))
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt metadata: blob 0x%x runs past the #Blob heap",
					   index);
	*ret = p;
	*ret_len = len;
	return NULL;
}

struct clrsos_error *clrsos_metadata_user_string(const struct clrsos_metadata *md, uint32_t index,
						 const uint8_t **ret, size_t *ret_len)
{
	/* A #US entry is a blob: UTF-16LE code units, then one flag byte. */
	const uint8_t *p = md->user_strings.data + index, *end = md->user_strings.data + md->user_strings.size;
	uint32_t len;
	if (index == 0 || index >= md->user_strings.size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "corrupt metadata: string 0x%x past the #US heap",
					   index);
	struct clrsos_error *err = clrsos_metadata_uncompress(&p, end, &len);
	if (err)
		return clrsos_error_wrap(err, "string 0x%x", index);
	if (len > (size_t)(end - p))
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "corrupt metadata: string 0x%x runs past the #US heap",
					   index);
	*ret = p;
	*ret_len = len & ~(uint32_t)1;
	return NULL;
}

struct clrsos_error *clrsos_metadata_guid(const struct clrsos_metadata *md,
					  uint32_t index, const uint8_t **ret)
{
	if (index == 0) {
		*ret = zeros;
		return NULL;
	}
	if (index > md->guids.size / 16)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt metadata: GUID %u past the #GUID heap",
					   index);
	*ret = md->guids.data + (size_t)(index - 1) * 16;
	return NULL;
}

/* The row id of a token of the given table. */
static struct clrsos_error *token_rid(uint32_t token, unsigned table,
				      const char *what, uint32_t *ret)
{
	if (token >> 24 != table)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%08x is not a %s token", token, what);
	*ret = token & 0xFFFFFF;
	return NULL;
}

static struct clrsos_error *string_column(const struct clrsos_metadata *md,
					  unsigned table, uint32_t rid,
					  unsigned column, const char **ret)
{
	uint32_t index = 0;
	struct clrsos_error *err = raw_column(md, table, rid, column, &index);
	if (!err)
		err = clrsos_metadata_string(md, index, ret);
	return err;
}

struct clrsos_error *clrsos_metadata_field(const struct clrsos_metadata *md,
					   uint32_t token, const char **ret_name,
					   uint16_t *ret_flags,
					   const uint8_t **ret_sig,
					   size_t *ret_sig_len)
{
	uint32_t rid = 0, flags = 0, sig = 0;
	const char *name = NULL;
	const uint8_t *blob = NULL;
	size_t len = 0;
	struct clrsos_error *err = token_rid(token, CLRSOS_MD_FIELD, "field", &rid);
	if (!err)
		err = raw_column(md, CLRSOS_MD_FIELD, rid, 0, &flags);
	if (!err)
		err = string_column(md, CLRSOS_MD_FIELD, rid, 1, &name);
	if (!err)
		err = raw_column(md, CLRSOS_MD_FIELD, rid, 2, &sig);
	if (!err)
		err = clrsos_metadata_blob(md, sig, &blob, &len);
	if (err)
		return clrsos_error_wrap(err, "field 0x%08x", token);
	if (ret_name)
		*ret_name = name;
	if (ret_flags)
		*ret_flags = (uint16_t)flags;
	if (ret_sig)
		*ret_sig = blob;
	if (ret_sig_len)
		*ret_sig_len = len;
	return NULL;
}

/* TypeDef and TypeRef have their name and namespace in the same columns. */
static struct clrsos_error *type_name(const struct clrsos_metadata *md,
				      uint32_t token, unsigned table,
				      const char *what, const char **ret_namespace,
				      const char **ret_name)
{
	uint32_t rid = 0;
	const char *ns = NULL, *name = NULL;
	struct clrsos_error *err = token_rid(token, table, what, &rid);
	if (!err)
		err = string_column(md, table, rid, 1, &name);
	if (!err)
		err = string_column(md, table, rid, 2, &ns);
	if (err)
		return clrsos_error_wrap(err, "%s 0x%08x", what, token);
	if (ret_namespace)
		*ret_namespace = ns;
	if (ret_name)
		*ret_name = name;
	return NULL;
}

struct clrsos_error *clrsos_metadata_typedef(const struct clrsos_metadata *md,
					     uint32_t token,
					     const char **ret_namespace,
					     const char **ret_name)
{
	return type_name(md, token, CLRSOS_MD_TYPEDEF, "TypeDef", ret_namespace,
			 ret_name);
}

struct clrsos_error *clrsos_metadata_typeref(const struct clrsos_metadata *md,
					     uint32_t token,
					     const char **ret_namespace,
					     const char **ret_name)
{
	return type_name(md, token, CLRSOS_MD_TYPEREF, "TypeRef", ret_namespace,
			 ret_name);
}

/*
 * A TypeDef's run of fields: FieldList of its row up to that of the next
 * row (or the end of the list), in the Field table or, when there is one,
 * the FieldPtr table.
 */
static struct clrsos_error *field_range(const struct clrsos_metadata *md,
					uint32_t token, uint32_t *ret_first,
					uint32_t *ret_end)
{
	enum { FIELD_LIST = 4 };
	uint32_t rid = 0, first = 0, end = 0;
	struct clrsos_error *err = token_rid(token, CLRSOS_MD_TYPEDEF, "TypeDef", &rid);
	if (!err)
		err = raw_column(md, CLRSOS_MD_TYPEDEF, rid, FIELD_LIST, &first);
	if (err)
		return clrsos_error_wrap(err, "the fields of TypeDef 0x%08x", token);
	unsigned list = md->rows[CLRSOS_MD_FIELDPTR] ? CLRSOS_MD_FIELDPTR : CLRSOS_MD_FIELD;
	uint32_t limit = md->rows[list] + 1;
	if (rid < md->rows[CLRSOS_MD_TYPEDEF]) {
		err = raw_column(md, CLRSOS_MD_TYPEDEF, rid + 1, FIELD_LIST, &end);
		if (err)
			return err;
	} else {
		end = limit;
	}
	/* FieldList 0 in an empty list is taken for "none". */
	if (first == 0 && end == 0)
		first = end = 1;
	if (first == 0 || first > end || end > limit)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt metadata: TypeDef 0x%08x has fields %u to %u of %u",
					   token, first, end, limit - 1);
	*ret_first = first;
	*ret_end = end;
	return NULL;
}

struct clrsos_error *clrsos_metadata_typedef_field_count(
	const struct clrsos_metadata *md, uint32_t token, uint32_t *ret)
{
	uint32_t first = 0, end = 0;
	struct clrsos_error *err = field_range(md, token, &first, &end);
	if (err)
		return err;
	*ret = end - first;
	return NULL;
}

struct clrsos_error *clrsos_metadata_typedef_field(
	const struct clrsos_metadata *md, uint32_t token, uint32_t index,
	uint32_t *ret_token)
{
	uint32_t first = 0, end = 0;
	struct clrsos_error *err = field_range(md, token, &first, &end);
	if (err)
		return err;
	if (index >= end - first)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "TypeDef 0x%08x has no field %u (%u fields)",
					   token, index, end - first);
	uint32_t rid = first + index;
	if (md->rows[CLRSOS_MD_FIELDPTR]) {
		err = raw_column(md, CLRSOS_MD_FIELDPTR, rid, 0, &rid);
		if (err)
			return err;
		if (rid == 0 || rid > md->rows[CLRSOS_MD_FIELD])
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "corrupt metadata: FieldPtr %u points to field %u of %u",
						   first + index, rid, md->rows[CLRSOS_MD_FIELD]);
	}
	*ret_token = (uint32_t)CLRSOS_MD_FIELD << 24 | rid;
	return NULL;
}

struct clrsos_error *clrsos_metadata_module_name(const struct clrsos_metadata *md,
						 const char **ret)
{
	struct clrsos_error *err = string_column(md, CLRSOS_MD_MODULE, 1, 1, ret);
	return clrsos_error_wrap(err, "the module's name");
}

struct clrsos_error *clrsos_metadata_assembly_name(const struct clrsos_metadata *md,
						   const char **ret)
{
	enum { ASSEMBLY_NAME = 7 };
	if (md->rows[CLRSOS_MD_ASSEMBLY] == 0) {
		*ret = NULL;
		return NULL;
	}
	struct clrsos_error *err =
		string_column(md, CLRSOS_MD_ASSEMBLY, 1, ASSEMBLY_NAME, ret);
	return clrsos_error_wrap(err, "the assembly's name");
}

void clrsos_metadata_tail(const struct clrsos_metadata *md,
			  struct clrsos_metadata_tail *ret)
{
	ret->heap_sizes = md->heap_sizes;
	ret->minimal_delta = md->minimal_delta;
	ret->data = md->tables.data + md->tables_end;
	ret->size = md->tables.size - md->tables_end;
	memcpy(ret->rows, md->rows, sizeof(ret->rows));
	ret->pdb = md->pdb.data;
	ret->pdb_size = md->pdb.size;
}
