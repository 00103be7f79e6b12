/*
 * Statics: where a type keeps its static fields. Value-type and primitive
 * statics live in the type's non-GC block, references (and boxed structs)
 * in its GC block; thread statics have a pair of blocks per thread.
 */
#ifndef CLRSOS_STATICS_H
#define CLRSOS_STATICS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_target;
struct clrsos_types;

struct clrsos_static_bases {
	uint64_t non_gc; /* 0: not allocated (the type's statics are not initialized) */
	uint64_t gc;
};

/* The static blocks of the type mt, declared in module. */
struct clrsos_error *clrsos_static_bases_read(struct clrsos_dac *dac, uint64_t mt, uint64_t module,
					      struct clrsos_static_bases *ret);

/*
 * Where a type's thread statics are found, per thread: .NET 9 and later
 * locate them by type (ISOSDacInterface14); before, each thread has a
 * ThreadLocalModule per module, with a flags byte per class (by TypeDef)
 * saying whether the class's storage is allocated on that thread.
 */
struct clrsos_thread_statics_key {
	uint64_t mt;
	bool by_module;        /* before .NET 9, a non-generic type: the fields below */
	uint32_t module_index; /* DacpModuleData's */
	uint32_t class_index;  /* the TypeDef's RID - 1 */
};
/* Resolve mt once (errors: mt is not a MethodTable, its module is unreadable). */
struct clrsos_error *clrsos_thread_statics_locate(struct clrsos_dac *dac, uint64_t mt,
						  struct clrsos_thread_statics_key *ret);
/*
 * The thread-static blocks of the type key names for the thread at thread;
 * zeros if that thread has none (or, before .NET 9, for a generic type's
 * statics, which are not read).
 */
struct clrsos_error *clrsos_thread_static_bases_at(struct clrsos_dac *dac, struct clrsos_target *target,
						   const struct clrsos_thread_statics_key *key, uint64_t thread,
						   struct clrsos_static_bases *ret);

/*
 * The name of the static (or thread-static) field token of the type mt,
 * "Type.field" (malloc'd), or *ret NULL when the type or field is not
 * found. Only running out of memory is an error.
 */
struct clrsos_error *clrsos_static_field_name(struct clrsos_dac *dac, struct clrsos_types *types, uint64_t mt,
					      uint32_t token, char **ret);

/*
 * Static reference fields by slot: on .NET 9 and later each static
 * reference field lives in a slot of an object[] the runtime holds with a
 * strong handle. The map names every loaded class's GC static slots
 * ("Type.field"), from each module's TypeDef map. Types the runtime cannot
 * describe are left out; only running out of memory is an error.
 */
struct clrsos_static_slots;
struct clrsos_error *clrsos_static_slots_create(struct clrsos_dac *dac, struct clrsos_types *types,
						struct clrsos_static_slots **ret);
void clrsos_static_slots_destroy(struct clrsos_static_slots *slots);
/* The field whose static slot is at slot, or NULL. */
const char *clrsos_static_slots_name(const struct clrsos_static_slots *slots, uint64_t slot);

#ifdef __cplusplus
}
#endif

#endif
