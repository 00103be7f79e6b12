/* Statics: where a type keeps its static fields (statics.h). */
#include "statics.h"

#include "dac/dac.h"
#include "base/hashmap.h"
#include "base/vector.h"
#include "model/fields.h"
#include "model/roots.h"
#include "model/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct clrsos_error *clrsos_static_bases_read(struct clrsos_dac *dac, uint64_t mt, uint64_t module,
					      struct clrsos_static_bases *ret)
{
	return clrsos_dac_static_bases(dac, mt, module, &ret->non_gc, &ret->gc);
}

/* A class's flags byte in a ThreadLocalModule: its storage is allocated. */
enum { TLM_CLASS_ALLOCATED = 0x4 };

struct clrsos_error *clrsos_thread_statics_locate(struct clrsos_dac *dac, uint64_t mt,
						  struct clrsos_thread_statics_key *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->mt = mt;
	if (clrsos_dac_has_thread_static_bases(dac))
		return NULL;
	struct clrsos_dacp_method_table_data d;
	struct clrsos_error *err = clrsos_dac_method_table_data(dac, mt, &d);
	if (err)
		return err;
	struct clrsos_dacp_module_data m;
	if ((err = clrsos_dac_module_data(dac, d.module, &m)))
		return err;
	/* Generic instantiations keep theirs in the module's dynamic class table: not read. */
	if (d.is_dynamic || !(d.token & 0xffffffu) || m.module_index > UINT32_MAX)
		return NULL;
	ret->by_module = true;
	ret->module_index = (uint32_t)m.module_index;
	ret->class_index = (d.token & 0xffffffu) - 1;
	return NULL;
}

struct clrsos_error *clrsos_thread_static_bases_at(struct clrsos_dac *dac, struct clrsos_target *target,
						   const struct clrsos_thread_statics_key *key, uint64_t thread,
						   struct clrsos_static_bases *ret)
{
	ret->non_gc = ret->gc = 0;
	if (clrsos_dac_has_thread_static_bases(dac))
		return clrsos_dac_thread_static_bases(dac, key->mt, thread, &ret->non_gc, &ret->gc);
	if (!key->by_module)
		return NULL;
	/* Before .NET 9: the thread's ThreadLocalModule of the class's module. */
	struct clrsos_dacp_thread_local_module_data tlm;
	struct clrsos_error *err = clrsos_dac_thread_local_module_data(dac, thread, key->module_index, &tlm);
	if (err)
		return clrsos_error_ignore(err); /* this thread has no statics of the module */
	uint8_t flags = 0;
	if (!tlm.class_data ||
	    (err = clrsos_target_read(target, tlm.class_data + key->class_index, &flags, 1)))
		return clrsos_error_ignore(err);
	if (flags & TLM_CLASS_ALLOCATED) {
		ret->non_gc = tlm.non_gc_static_data_start;
		ret->gc = tlm.gc_static_data_start;
	}
	return NULL;
}

struct clrsos_error *clrsos_static_field_name(struct clrsos_dac *dac, struct clrsos_types *types, uint64_t mt,
					      uint32_t token, char **ret)
{
	*ret = NULL;
	const struct clrsos_type *t = clrsos_types_get(types, mt);
	if (!t)
		return NULL;
	struct clrsos_fields fields;
	struct clrsos_error *err = clrsos_fields_init(dac, types, mt, &fields);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	for (size_t i = 0; i < fields.count; i++) {
		const struct clrsos_field *f = &fields.items[i];
		if (f->is_static && f->token == token && f->name) {
			if (asprintf(ret, "%s.%s", clrsos_types_name(types, t), f->name) < 0) {
				*ret = NULL;
				err = &clrsos_error_no_memory;
			}
			break;
		}
	}
	clrsos_fields_deinit(&fields);
	return err;
}

CLRSOS_HASHMAP(slot_map, uint64_t, size_t, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)
CLRSOS_VECTOR(name_vector, char *)

struct clrsos_static_slots {
	struct slot_map slots; /* slot address -> index into names */
	struct name_vector names;
};

/* The GC static reference fields mt declares. */
static struct clrsos_error *note_statics(struct clrsos_static_slots *st, struct clrsos_dac *dac,
					 struct clrsos_types *types, uint64_t mt)
{
	struct clrsos_dacp_method_table_field_data fd;
	struct clrsos_error *err = clrsos_dac_method_table_field_data(dac, mt, &fd);
	if (err || !fd.num_static_fields)
		goto skip;
	struct clrsos_dacp_method_table_data md;
	if ((err = clrsos_dac_method_table_data(dac, mt, &md)))
		goto skip;
	uint64_t non_gc, gc;
	if ((err = clrsos_dac_static_bases(dac, mt, md.module, &non_gc, &gc)) || !gc)
		goto skip;
	struct clrsos_fields fields;
	if ((err = clrsos_fields_init(dac, types, mt, &fields)))
		goto skip;
	const struct clrsos_type *t = clrsos_types_get(types, mt);
	for (size_t i = 0; t && i < fields.count && !err; i++) {
		const struct clrsos_field *f = &fields.items[i];
		if (!f->is_static || f->is_thread_static || f->declaring_mt != mt ||
		    clrsos_element_is_value(f->element_type))
			continue;
		if ((err = name_vector_reserve(&st->names, st->names.count + 1)))
			break;
		char *name;
		if (asprintf(&name, "%s.%s", clrsos_types_name(types, t), f->name) < 0) {
			err = &clrsos_error_no_memory;
			break;
		}
		size_t index = st->names.count;
		st->names.items[st->names.count++] = name;
		err = slot_map_set(&st->slots, gc + f->offset, index);
	}
	clrsos_fields_deinit(&fields);
	return err;
skip:
	if (clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	return NULL;
}

struct clrsos_error *clrsos_static_slots_create(struct clrsos_dac *dac, struct clrsos_types *types,
						struct clrsos_static_slots **ret)
{
	*ret = NULL;
	struct clrsos_static_slots *st = calloc(1, sizeof(*st));
	if (!st)
		return &clrsos_error_no_memory;
	uint64_t *mts = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_loaded_types(dac, &mts, &n);
	if (err) {
		if (clrsos_error_is_no_memory(err)) {
			clrsos_static_slots_destroy(st);
			return err;
		}
		clrsos_error_destroy(err);
		err = NULL; /* destroyed: the loop and the result below must not see it */
		n = 0;
	}
	for (size_t i = 0; i < n && !err; i++)
		err = note_statics(st, dac, types, mts[i]);
	free(mts);
	if (err) {
		clrsos_static_slots_destroy(st);
		return err;
	}
	*ret = st;
	return NULL;
}

void clrsos_static_slots_destroy(struct clrsos_static_slots *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->names.count; i++)
		free(st->names.items[i]);
	name_vector_deinit(&st->names);
	slot_map_deinit(&st->slots);
	free(st);
}

const char *clrsos_static_slots_name(const struct clrsos_static_slots *st, uint64_t slot)
{
	const struct slot_map_entry *e = st ? slot_map_find(&st->slots, slot) : NULL;
	return e ? st->names.items[e->value] : NULL;
}
