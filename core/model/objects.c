/* Objects: one object's and one MethodTable's own data (objects.h). */
#include "objects.h"

#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"
#include "model/clrstring.h"
#include "model/heap.h"
#include "model/threads.h"
#include "target/target.h"

enum { OBJECT_TYPE_ARRAY = 3 };

struct clrsos_error *clrsos_object_data_read(struct clrsos_dac *dac, uint64_t address,
					     struct clrsos_object_data *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct clrsos_dacp_object_data od;
	struct clrsos_error *err = clrsos_dac_object_data(dac, address, &od);
	if (err)
		return err;
	ret->address = address;
	ret->mt = od.method_table;
	ret->size = od.size;
	ret->is_array = od.object_type == OBJECT_TYPE_ARRAY;
	ret->rank = od.rank;
	ret->length = od.num_components;
	ret->element_type = od.element_type;
	ret->element_mt = od.element_type_handle;
	ret->component_size = od.component_size;
	ret->data = od.array_data;
	ret->bounds = od.array_bounds;
	return NULL;
}

struct clrsos_error *clrsos_method_table_info_init(struct clrsos_method_table_info *info,
						   struct clrsos_dac *dac, uint64_t mt)
{
	memset(info, 0, sizeof(*info));
	struct clrsos_dacp_method_table_data md;
	struct clrsos_error *err = clrsos_dac_method_table_data(dac, mt, &md);
	if (err)
		return err;
	info->mt = mt;
	info->eeclass = md.klass;
	info->module = md.module;
	info->parent = md.parent_method_table;
	info->token = md.token;
	info->base_size = md.base_size;
	info->component_size = md.component_size;
	info->vtable_slots = md.num_vtable_slots;
	info->methods = md.num_methods;
	info->interfaces = md.num_interfaces;
	info->virtuals = md.num_virtuals;
	info->attributes = md.attr_class;
	info->is_dynamic = md.is_dynamic != 0;
	info->contains_pointers = md.contains_pointers != 0;
	struct clrsos_dacp_method_table_field_data fd;
	err = clrsos_dac_method_table_field_data(dac, mt, &fd);
	if (clrsos_error_is_no_memory(err))
		return err;
	if (!err) {
		info->have_field_counts = true;
		info->instance_fields = fd.num_instance_fields;
		info->static_fields = fd.num_static_fields;
		info->thread_static_fields = fd.num_thread_static_fields;
	}
	clrsos_error_destroy(err);
	/* A module without a file (emitted at run time) has none to show. */
	return clrsos_error_ignore(clrsos_dac_module_file(dac, md.module, &info->file));
}

struct clrsos_error *clrsos_eeclass_method_table(struct clrsos_dac *dac, uint64_t eeclass, uint64_t *ret)
{
	return clrsos_error_ignore(clrsos_dac_method_table_for_eeclass(dac, eeclass, ret));
}

struct clrsos_error *clrsos_eeclass_canonical(struct clrsos_dac *dac, uint64_t eeclass, uint64_t *ret_mt,
					      bool *ret_is_mt)
{
	*ret_mt = 0;
	struct clrsos_error *err = clrsos_eeclass_method_table(dac, eeclass, ret_mt);
	*ret_is_mt = !err && *ret_mt && *ret_mt == eeclass;
	return err;
}

struct clrsos_error *clrsos_method_table_eeclass(struct clrsos_dac *dac, uint64_t mt, uint64_t *ret)
{
	struct clrsos_dacp_method_table_data md;
	*ret = 0;
	struct clrsos_error *err = clrsos_dac_method_table_data(dac, mt, &md);
	if (!err)
		*ret = md.klass;
	return clrsos_error_ignore(err);
}

void clrsos_method_table_info_deinit(struct clrsos_method_table_info *info)
{
	free(info->file);
	memset(info, 0, sizeof(*info));
}

enum { CHUNK_UNITS = 4096 };

struct clrsos_error *clrsos_string_text_init(struct clrsos_string_text *text, struct clrsos_heap *heap,
					     uint64_t address, uint32_t max)
{
	memset(text, 0, sizeof(*text));
	uint32_t length = 0;
	struct clrsos_error *err = clrsos_string_length(heap, address, &length);
	if (err)
		return err;
	text->valid = true;
	text->length = length;
	uint32_t want = length < max ? length : max;
	text->units = malloc(want ? (size_t)want * 2 : 1);
	if (!text->units)
		return &clrsos_error_no_memory;
	struct clrsos_target *target = clrsos_heap_target(heap);
	while (text->count < want) {
		uint32_t n = want - text->count < CHUNK_UNITS ? want - text->count : CHUNK_UNITS;
		err = clrsos_target_read(target, address + CLRSOS_STRING_CHARS_OFFSET + (uint64_t)text->count * 2,
					 text->units + (size_t)text->count * 2, (size_t)n * 2);
		if (err) {
			if (clrsos_error_is_no_memory(err)) {
				clrsos_string_text_deinit(text);
				return err;
			}
			clrsos_error_destroy(err);
			text->unreadable = true;
			break;
		}
		text->count += n;
	}
	return NULL;
}

void clrsos_string_text_deinit(struct clrsos_string_text *text)
{
	free(text->units);
	memset(text, 0, sizeof(*text));
}

/* Thin lock bits of the header word (syncblk.h). */
enum {
	SBLK_IS_HASH_OR_SYNCBLKINDEX = 0x08000000,
	SBLK_SPIN_LOCK = 0x10000000,
	SBLK_LOCK_THREADID = 0x0000ffff,
	SBLK_LOCK_RECLEVEL = 0x003f0000,
};

struct clrsos_error *clrsos_object_thin_lock(struct clrsos_dac *dac, struct clrsos_target *target,
					     uint64_t address, struct clrsos_thin_lock *ret)
{
	memset(ret, 0, sizeof(*ret));
	uint32_t header = 0;
	struct clrsos_error *err = clrsos_target_read_u32(target, address - 4, &header);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	if ((header & (SBLK_IS_HASH_OR_SYNCBLKINDEX | SBLK_SPIN_LOCK)) || !(header & SBLK_LOCK_THREADID))
		return NULL;
	struct clrsos_managed_thread owner;
	bool found = false;
	err = clrsos_managed_thread_from_thinlock(dac, header & SBLK_LOCK_THREADID, &owner, &found);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	if (found && owner.address) {
		ret->held = true;
		ret->thread_id = header & SBLK_LOCK_THREADID;
		ret->thread = owner.address;
		ret->recursion = (header & SBLK_LOCK_RECLEVEL) >> 16;
	}
	return NULL;
}
