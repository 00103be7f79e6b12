/*
 * Frame variables as a debugger shows them (SOS's clrstack -i, which asks
 * ICorDebug): each argument and local of a managed frame with a name, a
 * C#-like type and a value read as that type. Built without ICorDebug: the
 * values' homes and bytes from the runtime's stack walk (stack.h), the
 * types from the method's signature and its IL header's local signature,
 * the arguments' names from the runtime (the Param table), the locals'
 * from the module's portable PDB (LocalScope/LocalVariable), else
 * "local_<n>" as SOS names them without symbols. A reference's type is the
 * type of the object it holds ("string", "int[]", "System.FormatException"),
 * a null one's the declared type.
 */
#ifndef CLRSOS_FRAMEVARS_H
#define CLRSOS_FRAMEVARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_heap;
struct clrsos_managed_frame;
struct clrsos_source_cache;

enum clrsos_typed_kind {
	CLRSOS_TYPED_NO_DATA,    /* the runtime keeps no home for it here */
	CLRSOS_TYPED_UNREADABLE, /* its memory is not in the target */
	CLRSOS_TYPED_NULL,       /* a null reference */
	CLRSOS_TYPED_STRING,     /* text */
	CLRSOS_TYPED_ARRAY,      /* length elements, at address */
	CLRSOS_TYPED_OBJECT,     /* an object at address */
	CLRSOS_TYPED_STRUCT,     /* a value type, at address when has_address */
	CLRSOS_TYPED_BOOL,       /* bits 0 or not */
	CLRSOS_TYPED_CHAR,       /* a UTF-16 unit in bits */
	CLRSOS_TYPED_SIGNED,     /* bits sign-extended */
	CLRSOS_TYPED_UNSIGNED,
	CLRSOS_TYPED_FLOAT,      /* real */
	CLRSOS_TYPED_POINTER,    /* an unmanaged pointer or a byref, in bits */
};

struct clrsos_typed_var {
	char *name;   /* malloc'd */
	char *type;   /* malloc'd, C#-like ("int", "string[]", "Ns.Type") */
	enum clrsos_typed_kind kind;
	uint64_t bits;
	double real;
	char *text;   /* STRING: UTF-8, malloc'd (at most CLRSOS_TYPED_MAX_TEXT units) */
	bool text_cut;
	uint64_t address;
	bool has_address;
	uint32_t length;
	struct clrsos_typed_var *fields; /* expanded: an object's instance fields (a struct's are not read) */
	size_t nfields;
	bool expanded;
};

enum { CLRSOS_TYPED_MAX_TEXT = 4096 };

struct clrsos_typed_frame {
	char *method;  /* SOS's signature form: "[DEFAULT] Void Ns.Type.Main(SZArray String)", or NULL */
	char *module;  /* the module's file, or NULL */
	struct clrsos_typed_var *params, *locals;
	size_t nparams, nlocals;
};

/*
 * What the typed views of one command's frames share: each method's text
 * and declaring type, found once per method (a scan of its module's
 * TypeDefs). NULL when out of memory.
 */
struct clrsos_typed_methods;
struct clrsos_typed_methods *clrsos_typed_methods_create(void);
void clrsos_typed_methods_destroy(struct clrsos_typed_methods *methods);

/*
 * The typed view of managed frame f (a frame of clrsos_managed_stack_init
 * with vars). Variables named in expand[] (a name, or "name.field"'s first
 * part) that hold an object get its instance fields, one level (a struct
 * variable, a value type, is not expanded: its fields are not read).
 * cache finds the module's PDB; methods (may be NULL: nothing kept) keeps
 * what is found of each method for later frames of it.
 */
struct clrsos_error *clrsos_typed_frame_init(struct clrsos_typed_frame *ret, struct clrsos_dac *dac,
					     struct clrsos_heap *heap, struct clrsos_source_cache *cache,
					     struct clrsos_typed_methods *methods, const struct clrsos_managed_frame *f,
					     const char *const *expand, size_t nexpand);
void clrsos_typed_frame_deinit(struct clrsos_typed_frame *frame);

#ifdef __cplusplus
}
#endif

#endif
