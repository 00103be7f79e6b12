/*
 * Type statistics: objects counted and sized per MethodTable, then printed
 * as SOS's "Statistics:" table (MT Count TotalSize Class Name, ascending by
 * total size or by count, then "Total N objects, M bytes") or as JSON.
 * dumpheap, objsize, gchandles and finalizequeue share it. The writers take
 * each row's name, or ask types for it when the rows were not named (types
 * may then be NULL only for named rows). No allocation
 * per object: one hashmap.h entry per type (keyed by its MethodTable),
 * found by the type's index.
 */
#ifndef CLRSOS_TYPESTATS_H
#define CLRSOS_TYPESTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hashmap.h"
#include "base/output.h"
#include "model/runtime.h"
#include "model/types.h"

struct clrsos_typestat {
	const struct clrsos_type *type;
	const char *name;               /* set by clrsos_typestats_name_rows */
	uint64_t count, size;
	uint64_t gen_count[CLRSOS_GEN_COUNT], gen_size[CLRSOS_GEN_COUNT];
};

/* MethodTable -> its row. */
CLRSOS_HASHMAP(clrsos_typestat_map, uint64_t, struct clrsos_typestat, clrsos_hash_address, clrsos_u64_equal,
	       clrsos_u64_is_zero)

/* All zero is empty. */
struct clrsos_typestats {
	struct clrsos_typestat_map rows;
	size_t count; /* rows.count: the types met */
	uint64_t total_count, total_size;
	struct clrsos_typestat *last; /* the row added to last: runs of one type are common */
	/* Each type's entry in rows by its index (clrsos_type.index), plus one (0: none yet). */
	uint32_t *slot_of;
	size_t nslot_of;
};

/* false when out of memory. */
bool clrsos_typestats_add(struct clrsos_typestats *s, const struct clrsos_type *type,
			  uint64_t size);
/* The same, also counted in its generation. */
bool clrsos_typestats_add_gen(struct clrsos_typestats *s, const struct clrsos_type *type,
			      uint64_t size, enum clrsos_generation gen);
void clrsos_typestats_deinit(struct clrsos_typestats *s);

/* The rows sorted ascending by total size (or by count); malloc'd, count rows. */
struct clrsos_typestat *clrsos_typestats_sorted(const struct clrsos_typestats *s, bool by_count);

/* Names the rows (a DAC call per type not named yet), so that writing them asks nothing more. */
void clrsos_typestats_name_rows(struct clrsos_typestat *rows, size_t count, struct clrsos_types *types);

/* "Statistics:", the table and the total line. Nothing when there are no rows. */
void clrsos_typestats_write_text(const struct clrsos_typestats *s, const struct clrsos_typestat *rows,
				 struct clrsos_types *types, struct clrsos_writer *w);
/* "statistics": [{mt, count, totalSize, type}...] as a key of the current object. */
void clrsos_typestats_write_json(const struct clrsos_typestats *s, const struct clrsos_typestat *rows,
				 struct clrsos_types *types, struct clrsos_json *j);

#endif
