/*
 * Types: what clrsos knows about each MethodTable it meets on the heap,
 * read once per MethodTable and per stop: the sizes and flags the GC itself
 * uses (from the MethodTable's own words), whether the DAC accepts it as a
 * MethodTable, where references lie inside its objects (the GCDesc), and its
 * name (only when asked for: names cost a DAC call each).
 */
#ifndef CLRSOS_TYPES_H
#define CLRSOS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

enum {
	CLRSOS_MIN_OBJECT_SIZE = 24,
	CLRSOS_OBJECT_ALIGN = 8,
	CLRSOS_LARGE_OBJECT_ALIGN = 8,
};

struct clrsos_type {
	uint64_t mt;
	uint32_t flags;          /* the MethodTable's first word */
	uint32_t base_size;
	uint32_t component_size; /* 0: no components (not an array or string) */
	bool is_free;            /* the GC's free-space filler */
	bool is_string;
	bool is_array;
	bool contains_pointers;
	/* The GCDesc: runs of references (read on first need). */
	bool gcdesc_read;
	bool gcdesc_bad;         /* unreadable or nonsense: treat as no refs */
	int64_t gcdesc_series;   /* > 0 series, < 0 value-type array items */
	uint64_t *gcdesc;        /* the words below the MethodTable, lowest first */
	size_t gcdesc_words;
	char *name;              /* C#-like; read on first need */
	/* Dense, from 0, in the order types are met: commands keep their
	 * per-type data in arrays indexed by it (no hash lookup per object). */
	uint32_t index;
};

struct clrsos_types;

struct clrsos_error *clrsos_types_create(struct clrsos_dac *dac,
					 struct clrsos_target *target,
					 struct clrsos_types **ret);
void clrsos_types_destroy(struct clrsos_types *types);

/*
 * Addresses that cannot hold a MethodTable, checked before the DAC is asked
 * (the GC heap's own: clrsos_heap_create sets it). Asked about an object as
 * if it were a MethodTable (a damaged reference, garbage in a handle),
 * .NET 8's DAC fails that question and then every later one of its
 * instance, real MethodTables too (E_UNEXPECTED), until it crashes.
 */
typedef bool clrsos_types_excluded_fn(void *ctx, uint64_t address);
void clrsos_types_exclude(struct clrsos_types *types, clrsos_types_excluded_fn *fn, void *ctx);

/*
 * The type of MethodTable mt, or NULL if mt is not one (a corrupt or
 * garbage header). Each distinct mt costs one DAC call, once.
 */
const struct clrsos_type *clrsos_types_get(struct clrsos_types *types,
					   uint64_t mt);
/* Only a type already met: no DAC call (for scanning over garbage). */
const struct clrsos_type *clrsos_types_peek(struct clrsos_types *types,
					    uint64_t mt);

/* One more than the highest type index handed out so far (see index). */
uint32_t clrsos_types_count(const struct clrsos_types *types);

/* The type's name as SOS prints it; never NULL ("<unknown type 0x...>"). */
const char *clrsos_types_name(struct clrsos_types *types,
			      const struct clrsos_type *type);

/* The MethodTable of strings and of free space (0 if the DAC did not say). */
uint64_t clrsos_types_string_mt(const struct clrsos_types *types);
uint64_t clrsos_types_free_mt(const struct clrsos_types *types);

struct clrsos_metadata;
/*
 * A module's metadata (read from the target once, parsed) in *ret, or NULL
 * there when the module has none readable; the error is out of memory only.
 */
struct clrsos_error *clrsos_types_metadata(struct clrsos_types *types, uint64_t module,
					   const struct clrsos_metadata **ret);

/* An object's size as the GC computes it. */
static inline uint64_t clrsos_object_size(const struct clrsos_type *type,
					  uint32_t components)
{
	uint64_t size = type->base_size +
			(uint64_t)components * type->component_size;
	size = (size + CLRSOS_OBJECT_ALIGN - 1) & ~(uint64_t)(CLRSOS_OBJECT_ALIGN - 1);
	return size < (uint64_t)CLRSOS_MIN_OBJECT_SIZE ? (uint64_t)CLRSOS_MIN_OBJECT_SIZE : size;
}

/*
 * Call fn for every non-null reference the object holds. bytes holds the
 * object (from its MethodTable word), size bytes of it. Returns false if
 * the type's GCDesc cannot be read.
 */
typedef void clrsos_ref_fn(void *ctx, uint64_t ref);
bool clrsos_types_for_each_ref(struct clrsos_types *types,
			       const struct clrsos_type *type,
			       const uint8_t *bytes, uint64_t size,
			       clrsos_ref_fn *fn, void *ctx);
/* The same, with each reference's offset from the object's start (its MethodTable word). */
typedef void clrsos_ref_at_fn(void *ctx, uint64_t offset, uint64_t ref);
bool clrsos_types_for_each_ref_at(struct clrsos_types *types, const struct clrsos_type *type, const uint8_t *bytes,
				  uint64_t size, clrsos_ref_at_fn *fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
