/*
 * Portable PDB (dotnet/runtime docs/design/specs/PortablePdb-Metadata.md):
 * the "#Pdb" stream, the layout of the debug tables 0x30 to 0x37 and the
 * two blobs a stack trace needs, the Document name and the sequence
 * points. model/metadata.c parses the root, the heaps and the table
 * header, and hands over the part of the table stream past table 0x2C.
 */
#include "model/pdb.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/fileio.h"
#include "model/metadata.h"

enum {
	PDB_STREAM_HEADER = 32, /* PdbId (20), EntryPoint (4), ReferencedTypeSystemTables (8) */
	FIRST_TABLE = CLRSOS_PDB_DOCUMENT,
	LAST_TABLE = CLRSOS_PDB_CUSTOMDEBUGINFORMATION,
	NTABLES = LAST_TABLE - FIRST_TABLE + 1,
	MAX_COLUMNS = 6,
	MAX_ROWS = 0xFFFFFF,
	MAX_FILE = CLRSOS_PDB_MAX_SIZE,
	MAX_NAME = 32768, /* a decoded document name */
	HEAP_STRING_4 = 0x01,
	HEAP_GUID_4 = 0x02,
	HEAP_BLOB_4 = 0x04,
};

enum { COL_END, COL_U16, COL_U32, COL_STRING, COL_GUID, COL_BLOB, COL_HAS_CDI, COL_TABLE = 0x40 };
#define TBL(t) (COL_TABLE | (t))

/* The debug tables' columns in order. */
static const uint8_t schema[NTABLES][MAX_COLUMNS + 1] = {
	[CLRSOS_PDB_DOCUMENT - FIRST_TABLE] = {COL_BLOB, COL_GUID, COL_BLOB, COL_GUID},
	[CLRSOS_PDB_METHODDEBUGINFORMATION - FIRST_TABLE] = {TBL(CLRSOS_PDB_DOCUMENT), COL_BLOB},
	[CLRSOS_PDB_LOCALSCOPE - FIRST_TABLE] = {TBL(CLRSOS_MD_METHODDEF), TBL(CLRSOS_PDB_IMPORTSCOPE),
						 TBL(CLRSOS_PDB_LOCALVARIABLE), TBL(CLRSOS_PDB_LOCALCONSTANT),
						 COL_U32, COL_U32},
	[CLRSOS_PDB_LOCALVARIABLE - FIRST_TABLE] = {COL_U16, COL_U16, COL_STRING},
	[CLRSOS_PDB_LOCALCONSTANT - FIRST_TABLE] = {COL_STRING, COL_BLOB},
	[CLRSOS_PDB_IMPORTSCOPE - FIRST_TABLE] = {TBL(CLRSOS_PDB_IMPORTSCOPE), COL_BLOB},
	[CLRSOS_PDB_STATEMACHINEMETHOD - FIRST_TABLE] = {TBL(CLRSOS_MD_METHODDEF), TBL(CLRSOS_MD_METHODDEF)},
	[CLRSOS_PDB_CUSTOMDEBUGINFORMATION - FIRST_TABLE] = {COL_HAS_CDI, COL_GUID, COL_BLOB},
};

/* HasCustomDebugInformation (5 tag bits): the tables it can point to. */
static const uint8_t has_cdi_tables[] = {
	CLRSOS_MD_METHODDEF, CLRSOS_MD_FIELD, CLRSOS_MD_TYPEREF, CLRSOS_MD_TYPEDEF,
	CLRSOS_MD_PARAM, CLRSOS_MD_INTERFACEIMPL, CLRSOS_MD_MEMBERREF, CLRSOS_MD_MODULE,
	CLRSOS_MD_DECLSECURITY, CLRSOS_MD_PROPERTY, CLRSOS_MD_EVENT, CLRSOS_MD_STANDALONESIG,
	CLRSOS_MD_MODULEREF, CLRSOS_MD_TYPESPEC, CLRSOS_MD_ASSEMBLY, CLRSOS_MD_ASSEMBLYREF,
	CLRSOS_MD_FILE, CLRSOS_MD_EXPORTEDTYPE, CLRSOS_MD_MANIFESTRESOURCE, CLRSOS_MD_GENERICPARAM,
	CLRSOS_MD_GENERICPARAMCONSTRAINT, CLRSOS_MD_METHODSPEC, CLRSOS_PDB_DOCUMENT,
	CLRSOS_PDB_LOCALSCOPE, CLRSOS_PDB_LOCALVARIABLE, CLRSOS_PDB_LOCALCONSTANT,
	CLRSOS_PDB_IMPORTSCOPE,
};

struct table {
	const uint8_t *data;
	uint32_t rows;
	uint32_t row_size;
	uint8_t ncolumns;
	uint8_t offset[MAX_COLUMNS];
	uint8_t width[MAX_COLUMNS];
};

struct clrsos_pdb {
	struct clrsos_metadata *md;
	uint32_t rows[64]; /* for index widths: debug tables and the assembly's */
	struct table table[NTABLES];
	uint8_t id[CLRSOS_PDB_ID_SIZE]; /* the #Pdb stream's PdbId */
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static struct clrsos_error *corrupt(const char *what)
{
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "corrupt portable PDB: %s", what);
}

static unsigned column_width(const struct clrsos_pdb *pdb, uint8_t heap_sizes,
			     bool minimal_delta, uint8_t col)
{
	if (col & COL_TABLE)
		return minimal_delta || pdb->rows[col & ~COL_TABLE] > 0xFFFF ? 4 : 2;
	switch (col) {
	case COL_U16: return 2;
	case COL_U32: return 4;
	case COL_STRING: return heap_sizes & HEAP_STRING_4 ? 4 : 2;
	case COL_GUID: return heap_sizes & HEAP_GUID_4 ? 4 : 2;
	case COL_BLOB: return heap_sizes & HEAP_BLOB_4 ? 4 : 2;
	case COL_HAS_CDI: {
		uint32_t max = 0;
		for (size_t i = 0; i < sizeof(has_cdi_tables); i++)
			if (pdb->rows[has_cdi_tables[i]] > max)
				max = pdb->rows[has_cdi_tables[i]];
		return minimal_delta || max >= (1u << (16 - 5)) ? 4 : 2;
	}
	}
	return 0;
}

/* The "#Pdb" stream's type-system row counts, then the debug tables' layout. */
static struct clrsos_error *read_layout(struct clrsos_pdb *pdb)
{
	struct clrsos_metadata_tail tail;
	clrsos_metadata_tail(pdb->md, &tail);
	if (!tail.pdb)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "not a portable PDB: no #Pdb stream");
	if (tail.pdb_size < PDB_STREAM_HEADER)
		return corrupt("the #Pdb stream is too small");
	memcpy(pdb->id, tail.pdb, sizeof(pdb->id));
	uint64_t referenced = (uint64_t)get32(tail.pdb + 24) | (uint64_t)get32(tail.pdb + 28) << 32;
	size_t pos = PDB_STREAM_HEADER;
	for (unsigned t = 0; t < 64; t++) {
		pdb->rows[t] = tail.rows[t];
		if (!(referenced >> t & 1))
			continue;
		if (t >= FIRST_TABLE)
			return corrupt("the #Pdb stream references a table that is not a type-system table");
		if (tail.pdb_size - pos < 4)
			return corrupt("the #Pdb stream's row counts run past its end");
		pdb->rows[t] = get32(tail.pdb + pos);
		pos += 4;
		if (pdb->rows[t] > MAX_ROWS)
			return corrupt("a table has more rows than a token can name");
	}
	/* Tables 0x2D to 0x2F have no known layout: the debug tables behind
	 * them could not be found. */
	for (unsigned t = CLRSOS_MD_TABLE_COUNT; t < FIRST_TABLE; t++)
		if (tail.rows[t])
			return corrupt("an unknown metadata table precedes the debug tables");
	uint64_t at = 0;
	for (unsigned i = 0; i < NTABLES; i++) {
		struct table *tb = &pdb->table[i];
		unsigned off = 0, c;
		for (c = 0; c < MAX_COLUMNS && schema[i][c] != COL_END; c++) {
			unsigned w = column_width(pdb, tail.heap_sizes, tail.minimal_delta, schema[i][c]);
			tb->offset[c] = (uint8_t)off;
			tb->width[c] = (uint8_t)w;
			off += w;
		}
		tb->ncolumns = (uint8_t)c;
		tb->row_size = off;
		tb->rows = tail.rows[FIRST_TABLE + i];
		if (tb->rows > MAX_ROWS)
			return corrupt("a debug table has more rows than a token can name");
		uint64_t bytes = (uint64_t)tb->rows * tb->row_size;
		if (bytes > tail.size - at)
			return corrupt("a debug table runs past the table stream");
		tb->data = tail.data + at;
		at += bytes;
	}
	return NULL;
}

struct clrsos_error *clrsos_pdb_create(const void *bytes, size_t size,
				       struct clrsos_pdb **ret)
{
	static const char msf[] = "Microsoft C/C++ MSF 7.00";
	if (size >= 2 && !memcmp(bytes, "MZ", 2))
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "not a portable PDB: a PE file (an assembly?)");
	if (size >= sizeof(msf) - 1 && !memcmp(bytes, msf, sizeof(msf) - 1))
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "not a portable PDB: a Windows PDB (build with <DebugType>portable</DebugType>)");
	struct clrsos_pdb *pdb = calloc(1, sizeof(*pdb));
	if (!pdb)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = clrsos_metadata_create(bytes, size, &pdb->md);
	if (!err)
		err = read_layout(pdb);
	if (err) {
		clrsos_pdb_destroy(pdb);
		return err;
	}
	*ret = pdb;
	return NULL;
}

const uint8_t *clrsos_pdb_id(const struct clrsos_pdb *pdb)
{
	return pdb->id;
}

struct clrsos_error *clrsos_pdb_create_embedded(const void *blob, size_t size, struct clrsos_pdb **ret)
{
	const uint8_t *b = blob;
	if (size < 8 || memcmp(b, "MPDB", 4) != 0)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "corrupt embedded PDB: no MPDB signature");
	uint32_t full = get32(b + 4);
	if (full > MAX_FILE)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "corrupt embedded PDB: says it is %u bytes", full);
	uint8_t *bytes = malloc(full ? full : 1);
	if (!bytes)
		return &clrsos_error_no_memory;
	/* Raw deflate (no zlib header), as the compiler writes it. */
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
		free(bytes);
		return &clrsos_error_no_memory;
	}
	z.next_in = (Bytef *)(uintptr_t)(b + 8);
	z.avail_in = (uInt)(size - 8);
	z.next_out = bytes;
	z.avail_out = full;
	int rc = inflate(&z, Z_FINISH);
	size_t got = full - z.avail_out;
	inflateEnd(&z);
	struct clrsos_error *err;
	if (rc == Z_MEM_ERROR)
		err = &clrsos_error_no_memory;
	else if (rc != Z_STREAM_END || got != full)
		err = clrsos_error_create(CLRSOS_ERROR_OTHER, "corrupt embedded PDB: its deflated data does not "
					  "inflate to the %u bytes it says", full);
	else
		err = clrsos_pdb_create(bytes, full, ret);
	free(bytes);
	return err;
}

struct clrsos_error *clrsos_pdb_open_file(const char *path, struct clrsos_pdb **ret)
{
	int fd = -1;
	struct clrsos_error *err = clrsos_file_open_read(path, &fd);
	if (err)
		return err;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot read '%s': %s", path, strerror(e));
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > MAX_FILE) {
		close(fd);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot read '%s': larger than %u MiB",
					   path, MAX_FILE >> 20);
	}
	size_t size = (size_t)st.st_size;
	uint8_t *bytes = malloc(size ? size : 1);
	if (!bytes) {
		close(fd);
		return &clrsos_error_no_memory;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, bytes + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : 0;
			close(fd);
			free(bytes);
			return clrsos_error_create(CLRSOS_ERROR_IO, "cannot read '%s': %s", path,
						   e ? strerror(e) : "it shrank while being read");
		}
		got += (size_t)n;
	}
	close(fd);
	err = clrsos_pdb_create(bytes, size, ret);
	free(bytes);
	return clrsos_error_wrap(err, "%s", path);
}

void clrsos_pdb_destroy(struct clrsos_pdb *pdb)
{
	if (!pdb)
		return;
	clrsos_metadata_destroy(pdb->md);
	free(pdb);
}

uint32_t clrsos_pdb_rows(const struct clrsos_pdb *pdb, unsigned table)
{
	if (table < FIRST_TABLE || table > LAST_TABLE)
		return 0;
	return pdb->table[table - FIRST_TABLE].rows;
}

static struct clrsos_error *column(const struct clrsos_pdb *pdb, unsigned table,
				   uint32_t rid, unsigned col, uint32_t *ret)
{
	const struct table *tb = &pdb->table[table - FIRST_TABLE];
	if (rid == 0 || rid > tb->rows)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt portable PDB: table 0x%02x has no row %u (%u rows)",
					   table, rid, tb->rows);
	const uint8_t *p = tb->data + (size_t)(rid - 1) * tb->row_size + tb->offset[col];
	*ret = tb->width[col] == 4 ? get32(p) : (uint32_t)(p[0] | p[1] << 8);
	return NULL;
}

struct clrsos_error *clrsos_pdb_document_name(const struct clrsos_pdb *pdb,
					      uint32_t rid, char **ret)
{
	uint32_t index = 0;
	const uint8_t *p = NULL, *end;
	size_t len = 0;
	struct clrsos_error *err = column(pdb, CLRSOS_PDB_DOCUMENT, rid, 0, &index);
	if (!err)
		err = clrsos_metadata_blob(pdb->md, index, &p, &len);
	if (err)
		return clrsos_error_wrap(err, "document %u", rid);
	if (len == 0)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt portable PDB: document %u has an empty name", rid);
	end = p + len;
	/* The separator: one UTF-8 character, or 0 for none. */
	size_t seplen = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 :
			(p[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (seplen == 0 || seplen > len)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "corrupt portable PDB: document %u's name has a bad separator", rid);
	const uint8_t *sep = p;
	if (p[0] == 0)
		seplen = 0;
	p += seplen ? seplen : 1;
	char *name = malloc(MAX_NAME + 1);
	if (!name)
		return &clrsos_error_no_memory;
	size_t n = 0;
	bool first = true;
	while (p < end) {
		uint32_t part = 0;
		const uint8_t *s = NULL;
		size_t slen = 0;
		err = clrsos_metadata_uncompress(&p, end, &part);
		if (!err)
			err = clrsos_metadata_blob(pdb->md, part, &s, &slen);
		if (err) {
			free(name);
			return clrsos_error_wrap(err, "document %u's name", rid);
		}
		if (!first && seplen) {
			if (MAX_NAME - n < seplen)
				goto too_long;
			memcpy(name + n, sep, seplen);
			n += seplen;
		}
		first = false;
		if (MAX_NAME - n < slen)
			goto too_long;
		if (memchr(s, 0, slen)) {
			free(name);
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "corrupt portable PDB: document %u's name holds a NUL", rid);
		}
		memcpy(name + n, s, slen);
		n += slen;
	}
	name[n] = 0;
	*ret = name;
	return NULL;
too_long:
	free(name);
	return clrsos_error_create(CLRSOS_ERROR_OTHER,
				   "corrupt portable PDB: document %u's name is longer than %u bytes",
				   rid, MAX_NAME);
}

/* A signed compressed integer (II.23.2): the unsigned one rotated right by one bit. */
static struct clrsos_error *read_signed(const uint8_t **pos, const uint8_t *end, int32_t *ret)
{
	const uint8_t *start = *pos;
	uint32_t raw = 0;
	struct clrsos_error *err = clrsos_metadata_uncompress(pos, end, &raw);
	if (err)
		return err;
	size_t n = (size_t)(*pos - start);
	int32_t bias = n == 1 ? 0x40 : n == 2 ? 0x2000 : 0x10000000;
	int32_t v = (int32_t)(raw >> 1);
	if (raw & 1)
		v -= bias;
	*ret = v;
	return NULL;
}

/* A visible sequence point: its document (rid), IL offset and first and last line. */
typedef bool point_fn(void *ctx, uint32_t doc, uint32_t il, uint32_t line, uint32_t end_line);

/*
 * Decode method rid's sequence points (Portable PDB spec, SequencePoints
 * blob), calling fn for each that is not hidden, in IL order, until it
 * returns false.
 */
static struct clrsos_error *walk_points(const struct clrsos_pdb *pdb, uint32_t rid, point_fn *fn, void *ctx)
{
	uint32_t doc = 0, blob = 0;
	const uint8_t *p = NULL;
	size_t len = 0;
	struct clrsos_error *err = column(pdb, CLRSOS_PDB_METHODDEBUGINFORMATION, rid, 0, &doc);
	if (!err)
		err = column(pdb, CLRSOS_PDB_METHODDEBUGINFORMATION, rid, 1, &blob);
	if (!err && blob)
		err = clrsos_metadata_blob(pdb->md, blob, &p, &len);
	if (err || !blob)
		return err;
	const uint8_t *end = p + len;
	uint32_t sig = 0;
	err = clrsos_metadata_uncompress(&p, end, &sig); /* LocalSignature */
	if (!err && doc == 0)
		err = clrsos_metadata_uncompress(&p, end, &doc); /* InitialDocument */
	bool first = true, first_visible = true;
	uint32_t il = 0;
	int64_t line = 0, col = 0;
	while (!err && p < end) {
		uint32_t delta = 0, dlines = 0;
		err = clrsos_metadata_uncompress(&p, end, &delta);
		if (err)
			break;
		if (!first && delta == 0) { /* a document record */
			err = clrsos_metadata_uncompress(&p, end, &doc);
			continue;
		}
		if (!first && delta > UINT32_MAX - il) {
			err = corrupt("an IL offset past 4 GiB");
			break;
		}
		il = first ? delta : il + delta;
		first = false;
		err = clrsos_metadata_uncompress(&p, end, &dlines);
		if (err)
			break;
		int32_t dcols = 0;
		if (dlines == 0) {
			uint32_t u = 0;
			err = clrsos_metadata_uncompress(&p, end, &u);
			dcols = (int32_t)u;
		} else {
			err = read_signed(&p, end, &dcols);
		}
		if (err)
			break;
		if (dlines == 0 && dcols == 0) /* hidden */
			continue;
		if (first_visible) {
			uint32_t l = 0, c = 0;
			err = clrsos_metadata_uncompress(&p, end, &l);
			if (!err)
				err = clrsos_metadata_uncompress(&p, end, &c);
			line = l;
			col = c;
			first_visible = false;
		} else {
			int32_t dl = 0, dc = 0;
			err = read_signed(&p, end, &dl);
			if (!err)
				err = read_signed(&p, end, &dc);
			line += dl;
			col += dc;
		}
		if (err)
			break;
		if (line <= 0 || line >= 0x20000000 || col < 0 || col >= 0x10000) {
			err = corrupt("a sequence point's line or column is out of range");
			break;
		}
		if (line == CLRSOS_PDB_HIDDEN_LINE)
			continue;
		if (!fn(ctx, doc, il, (uint32_t)line, (uint32_t)line + dlines))
			break;
	}
	(void)sig;
	return err;
}

struct source_line_ctx {
	uint32_t il_offset;
	uint32_t doc, line;
};

static bool source_line_point(void *ctx, uint32_t doc, uint32_t il, uint32_t line, uint32_t end_line)
{
	struct source_line_ctx *c = ctx;
	(void)end_line;
	if (il > c->il_offset)
		return false;
	c->doc = doc;
	c->line = line;
	return true;
}

struct clrsos_error *clrsos_pdb_source_line(const struct clrsos_pdb *pdb,
					    uint32_t method_token,
					    uint32_t il_offset,
					    char **ret_document,
					    uint32_t *ret_line)
{
	*ret_document = NULL;
	*ret_line = 0;
	if (method_token >> 24 != CLRSOS_MD_METHODDEF || (method_token & 0xFFFFFF) == 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%08x is not a MethodDef token", method_token);
	uint32_t rid = method_token & 0xFFFFFF;
	/* MethodDebugInformation has a row for each MethodDef, same row id. */
	if (rid > pdb->table[CLRSOS_PDB_METHODDEBUGINFORMATION - FIRST_TABLE].rows)
		return NULL;
	struct source_line_ctx c = {il_offset, 0, 0};
	struct clrsos_error *err = walk_points(pdb, rid, source_line_point, &c);
	if (err)
		return clrsos_error_wrap(err, "the sequence points of method 0x%08x", method_token);
	if (!c.line)
		return NULL;
	char *name = NULL;
	err = clrsos_pdb_document_name(pdb, c.doc, &name);
	if (err)
		return clrsos_error_wrap(err, "method 0x%08x", method_token);
	*ret_document = name;
	*ret_line = c.line;
	return NULL;
}

struct clrsos_error *clrsos_pdb_local_name(const struct clrsos_pdb *pdb, uint32_t method_token, uint32_t il_offset,
					   uint32_t index, const char **ret)
{
	*ret = NULL;
	uint32_t rid = method_token & 0xFFFFFF;
	if (method_token >> 24 != CLRSOS_MD_METHODDEF || !rid)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "0x%08x is not a MethodDef token",
					   method_token);
	const uint32_t nscopes = pdb->table[CLRSOS_PDB_LOCALSCOPE - FIRST_TABLE].rows;
	const uint32_t nvars = pdb->table[CLRSOS_PDB_LOCALVARIABLE - FIRST_TABLE].rows;
	bool covering = false; /* a name from a scope that covers il_offset wins over one that does not */
	for (uint32_t s = 1; s <= nscopes; s++) {
		uint32_t method = 0, first = 0, start = 0, length = 0, end = nvars + 1;
		struct clrsos_error *err = column(pdb, CLRSOS_PDB_LOCALSCOPE, s, 0, &method);
		if (!err && method != rid)
			continue;
		if (!err)
			err = column(pdb, CLRSOS_PDB_LOCALSCOPE, s, 2, &first);
		if (!err)
			err = column(pdb, CLRSOS_PDB_LOCALSCOPE, s, 4, &start);
		if (!err)
			err = column(pdb, CLRSOS_PDB_LOCALSCOPE, s, 5, &length);
		if (!err && s < nscopes)
			err = column(pdb, CLRSOS_PDB_LOCALSCOPE, s + 1, 2, &end);
		if (err)
			return clrsos_error_wrap(err, "the local scopes of method 0x%08x", method_token);
		bool covers = il_offset >= start && il_offset - start < length;
		if (*ret && (covering || !covers))
			continue;
		for (uint32_t v = first; v && v < end && v <= nvars; v++) {
			uint32_t slot = 0, name = 0;
			const char *text = NULL;
			if (!(err = column(pdb, CLRSOS_PDB_LOCALVARIABLE, v, 1, &slot)) && slot == index &&
			    !(err = column(pdb, CLRSOS_PDB_LOCALVARIABLE, v, 2, &name)))
				err = clrsos_metadata_string(pdb->md, name, &text);
			if (err)
				return clrsos_error_wrap(err, "the locals of method 0x%08x", method_token);
			if (text && *text) {
				*ret = text;
				covering = covers;
				break;
			}
		}
	}
	return NULL;
}

/* Whether a document's name is the file the user typed: the same path's end, or the same file name (any case). */
static bool document_matches(const char *document, const char *file)
{
	bool has_dir = strchr(file, '/') || strchr(file, '\\');
	size_t dn = strlen(document), fn = strlen(file);
	if (has_dir)
		return dn >= fn && strcmp(document + dn - fn, file) == 0 &&
		       (dn == fn || document[dn - fn - 1] == '/' || document[dn - fn - 1] == '\\' || file[0] == '/');
	const char *slash = strrchr(document, '/');
	const char *back = strrchr(document, '\\');
	const char *base = slash && (!back || slash > back) ? slash + 1 : back ? back + 1 : document;
	return strcasecmp(base, file) == 0;
}

struct line_ctx {
	const bool *docs; /* by rid: the document matches */
	uint32_t ndocs;
	uint32_t line;
	bool exact;       /* a point starting on the line (else one spanning it) */
	bool found;
	uint32_t il;
};

static bool line_point(void *ctx, uint32_t doc, uint32_t il, uint32_t line, uint32_t end_line)
{
	struct line_ctx *c = ctx;
	if (doc == 0 || doc > c->ndocs || !c->docs[doc])
		return true;
	if (c->exact ? line == c->line : line <= c->line && c->line <= end_line) {
		c->found = true;
		c->il = il;
		return false;
	}
	return true;
}

struct clrsos_error *clrsos_pdb_line_to_il(const struct clrsos_pdb *pdb, const char *file, uint32_t line,
					   uint32_t *ret_token, uint32_t *ret_il, bool *ret_found)
{
	*ret_token = 0;
	*ret_il = 0;
	*ret_found = false;
	uint32_t ndocs = pdb->table[CLRSOS_PDB_DOCUMENT - FIRST_TABLE].rows;
	bool *docs = calloc((size_t)ndocs + 1, sizeof(*docs));
	if (!docs)
		return &clrsos_error_no_memory;
	bool any = false;
	struct clrsos_error *err = NULL;
	for (uint32_t rid = 1; rid <= ndocs && !err; rid++) {
		char *name = NULL;
		err = clrsos_pdb_document_name(pdb, rid, &name);
		if (!err && document_matches(name, file))
			docs[rid] = any = true;
		free(name);
	}
	uint32_t methods = pdb->table[CLRSOS_PDB_METHODDEBUGINFORMATION - FIRST_TABLE].rows;
	/* First a sequence point that starts on the line; failing that one that spans it. */
	for (int pass = 0; pass < 2 && any && !err && !*ret_found; pass++) {
		for (uint32_t rid = 1; rid <= methods && !err; rid++) {
			struct line_ctx c = {docs, ndocs, line, pass == 0, false, 0};
			err = walk_points(pdb, rid, line_point, &c);
			if (err) {
				err = clrsos_error_wrap(err, "the sequence points of method 0x%08x",
							(uint32_t)CLRSOS_MD_METHODDEF << 24 | rid);
			} else if (c.found) {
				*ret_token = (uint32_t)CLRSOS_MD_METHODDEF << 24 | rid;
				*ret_il = c.il;
				*ret_found = true;
				break;
			}
		}
	}
	free(docs);
	return err;
}
