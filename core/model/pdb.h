/*
 * Portable PDB: the debugging information the C# compiler writes beside an
 * assembly (Foo.pdb next to Foo.dll). A portable PDB is ECMA-335 metadata
 * ("BSJB") with a "#Pdb" stream and the debug tables 0x30 to 0x37
 * (Document, MethodDebugInformation, LocalScope, LocalVariable,
 * LocalConstant, ImportScope, StateMachineMethod, CustomDebugInformation);
 * its table stream holds no type-system tables, and the widths of its
 * indexes into them (a MethodDef in LocalScope, a coded index in
 * CustomDebugInformation) come from the row counts the "#Pdb" stream lists
 * for the assembly (ReferencedTypeSystemTables, TypeSystemTableRows).
 *
 * This answers what a stack trace needs: for a method (its MethodDef token
 * in the assembly) and an IL offset, the source document and the line of
 * the sequence point that covers the offset, as .NET's own StackTrace and
 * SOS choose it: the last sequence point at or before the offset that is
 * not hidden (line 0xfeefee).
 *
 * The bytes come from a file on disk: they are untrusted. The root, the
 * heaps and the type-system tables are read by model/metadata.c; the debug
 * tables are laid out and checked here. Every read is bounds-checked;
 * corrupt or truncated input gives an error (CLRSOS_ERROR_OTHER), never a
 * read outside the copy.
 */
#ifndef CLRSOS_PDB_H
#define CLRSOS_PDB_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum clrsos_pdb_table {
	CLRSOS_PDB_DOCUMENT = 0x30,
	CLRSOS_PDB_METHODDEBUGINFORMATION = 0x31,
	CLRSOS_PDB_LOCALSCOPE = 0x32,
	CLRSOS_PDB_LOCALVARIABLE = 0x33,
	CLRSOS_PDB_LOCALCONSTANT = 0x34,
	CLRSOS_PDB_IMPORTSCOPE = 0x35,
	CLRSOS_PDB_STATEMACHINEMETHOD = 0x36,
	CLRSOS_PDB_CUSTOMDEBUGINFORMATION = 0x37,
};

/* A sequence point's line that means "no line" (compiler-generated code). */
enum { CLRSOS_PDB_HIDDEN_LINE = 0xFEEFEE };

/* The largest PDB read (a file or an embedded one inflated), in bytes. */
enum { CLRSOS_PDB_MAX_SIZE = 512 << 20 };

struct clrsos_pdb;

/* Parse a portable PDB's bytes; they are copied. Not a portable PDB (no
 * "#Pdb" stream: a Windows PDB, an assembly) is an error too. */
struct clrsos_error *clrsos_pdb_create(const void *bytes, size_t size,
				       struct clrsos_pdb **ret);

/* Read and parse the portable PDB at path (a regular file of at most
 * 512 MiB). A missing file is CLRSOS_ERROR_IO. */
struct clrsos_error *clrsos_pdb_open_file(const char *path,
					  struct clrsos_pdb **ret);

/*
 * Parse an embedded portable PDB: the data of an assembly's debug
 * directory entry of type 17 ("MPDB", the PDB's size, then the PDB
 * deflated). Corrupt data is an error.
 */
struct clrsos_error *clrsos_pdb_create_embedded(const void *blob, size_t size, struct clrsos_pdb **ret);

void clrsos_pdb_destroy(struct clrsos_pdb *pdb);

/* The PDB's id (the #Pdb stream's PdbId): the GUID and the stamp the
 * assembly's CodeView debug entry names (GUID, then its TimeDateStamp). */
enum { CLRSOS_PDB_ID_SIZE = 20 };
const uint8_t *clrsos_pdb_id(const struct clrsos_pdb *pdb);

/* The rows of a debug table (0x30 to 0x37; 0 for any other). */
uint32_t clrsos_pdb_rows(const struct clrsos_pdb *pdb, unsigned table);

/* A Document's name (rid from 1), decoded from its separator-joined blob:
 * "/src/app/Program.cs". Caller frees *ret. */
struct clrsos_error *clrsos_pdb_document_name(const struct clrsos_pdb *pdb,
					      uint32_t rid, char **ret);

/*
 * The source position of IL offset il_offset in the method method_token
 * (0x06xxxxxx): its document's name (caller frees) and start line. Without
 * one (the method has no sequence points, or none that is not hidden at
 * or before the offset) *ret_document is NULL and *ret_line 0, and the
 * result is NULL (success). A token that is not a MethodDef token is
 * CLRSOS_ERROR_INVALID_ARGUMENT; corrupt sequence points an error.
 */
struct clrsos_error *clrsos_pdb_source_line(const struct clrsos_pdb *pdb,
					    uint32_t method_token,
					    uint32_t il_offset,
					    char **ret_document,
					    uint32_t *ret_line);

/*
 * The name of local variable index (its slot in the method's local
 * signature) of method_token, from the LocalScope and LocalVariable tables:
 * the one of a scope that covers il_offset, else of any scope of the
 * method; *ret NULL when the PDB names none (compiler-made locals).
 * Borrowed from the PDB.
 */
struct clrsos_error *clrsos_pdb_local_name(const struct clrsos_pdb *pdb, uint32_t method_token, uint32_t il_offset,
					   uint32_t index, const char **ret);

/*
 * The method and IL offset of a source line (bpmd <file>:<line>): the
 * first sequence point, in MethodDef order, that starts on line in a
 * document named file (a path's end, or any-case file name); failing
 * that, the first that spans line. *ret_found false when none does.
 */
struct clrsos_error *clrsos_pdb_line_to_il(const struct clrsos_pdb *pdb, const char *file, uint32_t line,
					   uint32_t *ret_token, uint32_t *ret_il, bool *ret_found);

#ifdef __cplusplus
}
#endif

#endif
