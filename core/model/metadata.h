/*
 * Metadata: a reader of ECMA-335 CLI metadata, the blob a managed
 * assembly's CLI header points to ("BSJB", a version string, the streams
 * #~ or #-, #Strings, #US, #GUID, #Blob). The DAC names a module's fields
 * only by token (0x04xxxxxx) and hands out the module's metadata bytes;
 * this turns tokens into names and signatures.
 *
 * The bytes come from the target or from a file on disk: they are
 * untrusted. Every read is bounds-checked; a corrupt or truncated blob
 * gives an error (CLRSOS_ERROR_OTHER), never a read outside the copy.
 * clrsos_metadata_create() checks the root, the stream headers and that
 * every table lies inside the table stream; strings, blobs and row ids are
 * checked when they are read. A token of the wrong table, a table or a
 * column that does not exist is CLRSOS_ERROR_INVALID_ARGUMENT.
 *
 * Tables are numbered as in tokens and in ECMA-335 II.22 (Module 0x00 to
 * GenericParamConstraint 0x2C). Their columns, numbered from 0 in this
 * order, are what clrsos_metadata_column() reads:
 *
 *   0x00 Module: Generation, Name, Mvid, EncId, EncBaseId
 *   0x01 TypeRef: ResolutionScope, TypeName, TypeNamespace
 *   0x02 TypeDef: Flags, TypeName, TypeNamespace, Extends, FieldList, MethodList
 *   0x03 FieldPtr: Field
 *   0x04 Field: Flags, Name, Signature
 *   0x05 MethodPtr: Method
 *   0x06 MethodDef: RVA, ImplFlags, Flags, Name, Signature, ParamList
 *   0x07 ParamPtr: Param
 *   0x08 Param: Flags, Sequence, Name
 *   0x09 InterfaceImpl: Class, Interface
 *   0x0A MemberRef: Class, Name, Signature
 *   0x0B Constant: Type (the low byte; the high byte is padding), Parent, Value
 *   0x0C CustomAttribute: Parent, Type, Value
 *   0x0D FieldMarshal: Parent, NativeType
 *   0x0E DeclSecurity: Action, Parent, PermissionSet
 *   0x0F ClassLayout: PackingSize, ClassSize, Parent
 *   0x10 FieldLayout: Offset, Field
 *   0x11 StandAloneSig: Signature
 *   0x12 EventMap: Parent, EventList
 *   0x13 EventPtr: Event
 *   0x14 Event: EventFlags, Name, EventType
 *   0x15 PropertyMap: Parent, PropertyList
 *   0x16 PropertyPtr: Property
 *   0x17 Property: Flags, Name, Type
 *   0x18 MethodSemantics: Semantics, Method, Association
 *   0x19 MethodImpl: Class, MethodBody, MethodDeclaration
 *   0x1A ModuleRef: Name
 *   0x1B TypeSpec: Signature
 *   0x1C ImplMap: MappingFlags, MemberForwarded, ImportName, ImportScope
 *   0x1D FieldRVA: RVA, Field
 *   0x1E ENCLog: Token, FuncCode
 *   0x1F ENCMap: Token
 *   0x20 Assembly: HashAlgId, MajorVersion, MinorVersion, BuildNumber,
 *        RevisionNumber, Flags, PublicKey, Name, Culture
 *   0x21 AssemblyProcessor: Processor
 *   0x22 AssemblyOS: OSPlatformID, OSMajorVersion, OSMinorVersion
 *   0x23 AssemblyRef: MajorVersion, MinorVersion, BuildNumber, RevisionNumber,
 *        Flags, PublicKeyOrToken, Name, Culture, HashValue
 *   0x24 AssemblyRefProcessor: Processor, AssemblyRef
 *   0x25 AssemblyRefOS: OSPlatformID, OSMajorVersion, OSMinorVersion, AssemblyRef
 *   0x26 File: Flags, Name, HashValue
 *   0x27 ExportedType: Flags, TypeDefId, TypeName, TypeNamespace, Implementation
 *   0x28 ManifestResource: Offset, Flags, Name, Implementation
 *   0x29 NestedClass: NestedClass, EnclosingClass
 *   0x2A GenericParam: Number, Flags, Owner, Name
 *   0x2B MethodSpec: Method, Instantiation
 *   0x2C GenericParamConstraint: Owner, Constraint
 *
 * A column's value is the number as stored, except that a coded index
 * (II.24.2.6) comes back decoded as a token: table << 24 | row id (the row
 * id may be 0: no row). String, GUID and blob columns are heap indexes for
 * clrsos_metadata_string(), _guid() and _blob().
 *
 * Also accepted: the uncompressed table stream "#-" (with the Ptr tables
 * of edit and continue), the ExtraData flag (HeapSizes 0x40: 4 bytes after
 * the row counts) and "#JTD" (minimal deltas: every table index 4 bytes).
 * Tables past 0x2C (portable PDB tables) may be present but are not read.
 */
#ifndef CLRSOS_METADATA_H
#define CLRSOS_METADATA_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum clrsos_md_table {
	CLRSOS_MD_MODULE = 0x00,
	CLRSOS_MD_TYPEREF = 0x01,
	CLRSOS_MD_TYPEDEF = 0x02,
	CLRSOS_MD_FIELDPTR = 0x03,
	CLRSOS_MD_FIELD = 0x04,
	CLRSOS_MD_METHODPTR = 0x05,
	CLRSOS_MD_METHODDEF = 0x06,
	CLRSOS_MD_PARAMPTR = 0x07,
	CLRSOS_MD_PARAM = 0x08,
	CLRSOS_MD_INTERFACEIMPL = 0x09,
	CLRSOS_MD_MEMBERREF = 0x0A,
	CLRSOS_MD_CONSTANT = 0x0B,
	CLRSOS_MD_CUSTOMATTRIBUTE = 0x0C,
	CLRSOS_MD_FIELDMARSHAL = 0x0D,
	CLRSOS_MD_DECLSECURITY = 0x0E,
	CLRSOS_MD_CLASSLAYOUT = 0x0F,
	CLRSOS_MD_FIELDLAYOUT = 0x10,
	CLRSOS_MD_STANDALONESIG = 0x11,
	CLRSOS_MD_EVENTMAP = 0x12,
	CLRSOS_MD_EVENTPTR = 0x13,
	CLRSOS_MD_EVENT = 0x14,
	CLRSOS_MD_PROPERTYMAP = 0x15,
	CLRSOS_MD_PROPERTYPTR = 0x16,
	CLRSOS_MD_PROPERTY = 0x17,
	CLRSOS_MD_METHODSEMANTICS = 0x18,
	CLRSOS_MD_METHODIMPL = 0x19,
	CLRSOS_MD_MODULEREF = 0x1A,
	CLRSOS_MD_TYPESPEC = 0x1B,
	CLRSOS_MD_IMPLMAP = 0x1C,
	CLRSOS_MD_FIELDRVA = 0x1D,
	CLRSOS_MD_ENCLOG = 0x1E,
	CLRSOS_MD_ENCMAP = 0x1F,
	CLRSOS_MD_ASSEMBLY = 0x20,
	CLRSOS_MD_ASSEMBLYPROCESSOR = 0x21,
	CLRSOS_MD_ASSEMBLYOS = 0x22,
	CLRSOS_MD_ASSEMBLYREF = 0x23,
	CLRSOS_MD_ASSEMBLYREFPROCESSOR = 0x24,
	CLRSOS_MD_ASSEMBLYREFOS = 0x25,
	CLRSOS_MD_FILE = 0x26,
	CLRSOS_MD_EXPORTEDTYPE = 0x27,
	CLRSOS_MD_MANIFESTRESOURCE = 0x28,
	CLRSOS_MD_NESTEDCLASS = 0x29,
	CLRSOS_MD_GENERICPARAM = 0x2A,
	CLRSOS_MD_METHODSPEC = 0x2B,
	CLRSOS_MD_GENERICPARAMCONSTRAINT = 0x2C,
	CLRSOS_MD_TABLE_COUNT = 0x2D, /* the tables this reader knows */
};

/* Field flags (II.23.1.5) that dumpobj shows. */
enum {
	CLRSOS_MD_FIELD_ACCESS_MASK = 0x0007,
	CLRSOS_MD_FIELD_PRIVATE = 0x0001,
	CLRSOS_MD_FIELD_PUBLIC = 0x0006,
	CLRSOS_MD_FIELD_STATIC = 0x0010,
	CLRSOS_MD_FIELD_INIT_ONLY = 0x0020,
	CLRSOS_MD_FIELD_LITERAL = 0x0040,
	CLRSOS_MD_FIELD_HAS_RVA = 0x0100,
};

struct clrsos_metadata;

/* Parse metadata bytes; they are copied (the caller's buffer may go). */
struct clrsos_error *clrsos_metadata_create(const void *bytes, size_t size,
					    struct clrsos_metadata **ret);
void clrsos_metadata_destroy(struct clrsos_metadata *md);

/* The version string of the root ("v4.0.30319"); never NULL. */
const char *clrsos_metadata_version(const struct clrsos_metadata *md);

/* The Field row of a field token (0x04000000 | rid): its name (UTF-8,
 * borrowed from md), flags and signature blob (borrowed). Any ret may be
 * NULL. */
struct clrsos_error *clrsos_metadata_field(const struct clrsos_metadata *md,
					   uint32_t token, const char **ret_name,
					   uint16_t *ret_flags,
					   const uint8_t **ret_sig,
					   size_t *ret_sig_len);

/* A TypeDef (0x02xxxxxx) or TypeRef (0x01xxxxxx): namespace ("" for none
 * and for nested types) and name, borrowed. Either ret may be NULL. */
struct clrsos_error *clrsos_metadata_typedef(const struct clrsos_metadata *md,
					     uint32_t token,
					     const char **ret_namespace,
					     const char **ret_name);
struct clrsos_error *clrsos_metadata_typeref(const struct clrsos_metadata *md,
					     uint32_t token,
					     const char **ret_namespace,
					     const char **ret_name);

/* The fields a TypeDef declares: how many, and the field token of the i-th
 * (through FieldPtr when the metadata has one). */
struct clrsos_error *clrsos_metadata_typedef_field_count(
	const struct clrsos_metadata *md, uint32_t token, uint32_t *ret);
struct clrsos_error *clrsos_metadata_typedef_field(
	const struct clrsos_metadata *md, uint32_t token, uint32_t index,
	uint32_t *ret_token);

/* The Module's name ("System.Private.CoreLib.dll"), and the Assembly's
 * ("System.Private.CoreLib"; NULL without an Assembly row: a netmodule). */
struct clrsos_error *clrsos_metadata_module_name(const struct clrsos_metadata *md,
						 const char **ret);
struct clrsos_error *clrsos_metadata_assembly_name(const struct clrsos_metadata *md,
						   const char **ret);

/* Any table: its rows (0 for a table absent or unknown), the size of a row
 * in bytes, and the value of one column of row rid (1-based). */
uint32_t clrsos_metadata_rows(const struct clrsos_metadata *md, unsigned table);
uint32_t clrsos_metadata_row_size(const struct clrsos_metadata *md, unsigned table);
struct clrsos_error *clrsos_metadata_column(const struct clrsos_metadata *md,
					    unsigned table, uint32_t rid,
					    unsigned column, uint32_t *ret);

/* The heaps. A string is NUL-terminated UTF-8; index 0 is "". A blob is
 * *ret_len bytes; index 0 is the empty blob. A GUID is 16 bytes; index 0
 * (no GUID) is 16 zeros. All borrowed from md. */
struct clrsos_error *clrsos_metadata_string(const struct clrsos_metadata *md,
					    uint32_t index, const char **ret);
struct clrsos_error *clrsos_metadata_blob(const struct clrsos_metadata *md,
					  uint32_t index, const uint8_t **ret,
					  size_t *ret_len);
struct clrsos_error *clrsos_metadata_guid(const struct clrsos_metadata *md,
					  uint32_t index, const uint8_t **ret);

/* A user string (ldstr's token 0x70xxxxxx, its row id the #US index):
 * *ret_len bytes of UTF-16LE, borrowed from md. */
struct clrsos_error *clrsos_metadata_user_string(const struct clrsos_metadata *md, uint32_t index,
						 const uint8_t **ret, size_t *ret_len);

/*
 * Signatures: read one compressed unsigned integer (II.23.2) at *pos, not
 * past end, and move *pos past it.
 */
struct clrsos_error *clrsos_metadata_uncompress(const uint8_t **pos,
						const uint8_t *end,
						uint32_t *ret);

/*
 * For readers of the tables past 0x2C (model/pdb.c, portable PDB): what
 * this reader does not interpret, borrowed from md. heap_sizes is the
 * table stream's HeapSizes byte; data and size are the table stream past
 * the last row of table 0x2C (where table 0x2D or the first later table
 * present starts); rows are the row counts of the table stream's header,
 * for all 64 tables; pdb and pdb_size the "#Pdb" stream (NULL and 0
 * without one).
 */
struct clrsos_metadata_tail {
	uint8_t heap_sizes;
	int minimal_delta;
	const uint8_t *data;
	size_t size;
	uint32_t rows[64];
	const uint8_t *pdb;
	size_t pdb_size;
};
void clrsos_metadata_tail(const struct clrsos_metadata *md,
			  struct clrsos_metadata_tail *ret);

#ifdef __cplusplus
}
#endif

#endif
