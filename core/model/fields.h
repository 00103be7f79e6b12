/*
 * Fields: what a type's objects hold, as dumpobj shows it. The DAC lists
 * each class's FieldDescs (offsets, element types, the field's token); the
 * names come from the module's metadata, read from the target and parsed
 * by core/metadata.c. Inherited fields come first, as SOS lists them.
 */
#ifndef CLRSOS_FIELDS_H
#define CLRSOS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_target;
struct clrsos_types;

/* CorElementType values clrsos decodes. */
enum clrsos_element_type {
	CLRSOS_ELEMENT_VOID = 0x1,
	CLRSOS_ELEMENT_BOOLEAN = 0x2,
	CLRSOS_ELEMENT_CHAR = 0x3,
	CLRSOS_ELEMENT_I1 = 0x4,
	CLRSOS_ELEMENT_U1 = 0x5,
	CLRSOS_ELEMENT_I2 = 0x6,
	CLRSOS_ELEMENT_U2 = 0x7,
	CLRSOS_ELEMENT_I4 = 0x8,
	CLRSOS_ELEMENT_U4 = 0x9,
	CLRSOS_ELEMENT_I8 = 0xa,
	CLRSOS_ELEMENT_U8 = 0xb,
	CLRSOS_ELEMENT_R4 = 0xc,
	CLRSOS_ELEMENT_R8 = 0xd,
	CLRSOS_ELEMENT_STRING = 0xe,
	CLRSOS_ELEMENT_PTR = 0xf,
	CLRSOS_ELEMENT_BYREF = 0x10,
	CLRSOS_ELEMENT_VALUETYPE = 0x11,
	CLRSOS_ELEMENT_CLASS = 0x12,
	CLRSOS_ELEMENT_VAR = 0x13,
	CLRSOS_ELEMENT_ARRAY = 0x14,
	CLRSOS_ELEMENT_GENERICINST = 0x15,
	CLRSOS_ELEMENT_I = 0x18,
	CLRSOS_ELEMENT_U = 0x19,
	CLRSOS_ELEMENT_FNPTR = 0x1b,
	CLRSOS_ELEMENT_OBJECT = 0x1c,
	CLRSOS_ELEMENT_SZARRAY = 0x1d,
};

struct clrsos_field {
	uint32_t element_type;     /* CorElementType (an enum as its underlying type) */
	uint32_t sig_element_type; /* as the field's signature says */
	uint64_t type_mt;          /* the field's type's MethodTable, 0 if not loaded */
	uint64_t type_module;      /* the module of the field's type's token, 0: the declaring one */
	uint32_t type_token;       /* the field's type's TypeDef/TypeRef, 0 if none */
	uint32_t offset;           /* instance: from the object's data (past its MethodTable word);
				      static: from the type's static block */
	bool is_static;
	bool is_thread_static;     /* a [ThreadStatic]: is_static too */
	uint32_t token;      /* 0x04xxxxxx */
	uint64_t declaring_mt;
	uint64_t module;     /* the declaring type's module */
	const char *name;    /* borrowed from the types' metadata cache; never NULL */
};

struct clrsos_fields {
	struct clrsos_field *items; /* malloc'd */
	size_t count;
};

/* Every field of mt: inherited first, then its own (instance, static, thread static). */
struct clrsos_error *clrsos_fields_init(struct clrsos_dac *dac, struct clrsos_types *types,
				       uint64_t mt, struct clrsos_fields *ret);
void clrsos_fields_deinit(struct clrsos_fields *fields);

/* The byte size of a field of this element type in an object (0: embedded struct or unknown). */
size_t clrsos_element_size(uint32_t element_type);
/* Whether a value of this element type is stored inline (not a reference). */
bool clrsos_element_is_value(uint32_t element_type);
/* "System.Int32" for primitives; NULL for others. */
const char *clrsos_element_name(uint32_t element_type);

/*
 * A field's type name: the loaded type's name, the metadata's, or the
 * primitive's. buf receives it.
 */
void clrsos_field_type_name(struct clrsos_types *types, const struct clrsos_field *f,
			    char *buf, size_t size);

/*
 * The value of a field stored at address, as SOS shows it: integers in
 * decimal, bool 0/1, char as its hex code, floats with %f, references and
 * native ints as 16 hex digits, an embedded struct as its own address.
 */
struct clrsos_error *clrsos_field_value(struct clrsos_target *target, uint32_t element_type,
					uint64_t address, char *buf, size_t size);

/* Whether the field holds a reference (a static struct is boxed: a reference too). */
bool clrsos_field_is_reference(const struct clrsos_field *f);

/*
 * A (non-thread) static field's value as SOS shows it, given its type's
 * static blocks (statics.h): a reference for a static struct (it is
 * boxed), "<no information>" while the block it lives in is not allocated.
 */
struct clrsos_static_bases;
struct clrsos_error *clrsos_field_static_value(struct clrsos_target *target, const struct clrsos_field *f,
					       const struct clrsos_static_bases *bases, char *buf, size_t size);

/* A thread-static field's value on one managed thread. */
struct clrsos_thread_static_value {
	uint32_t os_thread_id;
	char value[64];
};

struct clrsos_thread_static_values {
	struct clrsos_thread_static_value *items; /* malloc'd */
	size_t count;
	bool available; /* false: the runtime's thread store could not be read */
};

/*
 * The values of the thread-static field f on each running managed thread
 * that has storage for it, in the thread store's order (a thread whose
 * record or value cannot be read ends or skips, as SOS does). Only running
 * out of memory is an error.
 */
struct clrsos_error *clrsos_thread_static_values_init(struct clrsos_thread_static_values *values,
						      struct clrsos_dac *dac, struct clrsos_target *target,
						      const struct clrsos_field *f);
void clrsos_thread_static_values_deinit(struct clrsos_thread_static_values *values);

#ifdef __cplusplus
}
#endif

#endif
