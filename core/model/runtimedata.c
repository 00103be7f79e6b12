#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"
#include "model/runtimedata.h"
#include "model/threads.h"

void clrsos_clr_module_list_deinit(struct clrsos_clr_module_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].path);
		free(list->items[i].assembly_name);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* SizeOfImage from the PE header mapped at base, or 0. */
static uint32_t image_size(struct clrsos_target *target, uint64_t base)
{
	uint8_t dos[64];
	if (!base || clrsos_error_ignore(clrsos_target_read(target, base, dos, sizeof(dos))) || dos[0] != 'M' ||
	    dos[1] != 'Z')
		return 0;
	uint32_t lfanew;
	memcpy(&lfanew, dos + 0x3c, 4);
	if (lfanew < 64 || lfanew > 4096)
		return 0;
	/* "PE\0\0", the 20-byte file header, then the optional header: SizeOfImage at 56. */
	uint8_t nt[24 + 60];
	if (clrsos_error_ignore(clrsos_target_read(target, base + lfanew, nt, sizeof(nt))) ||
	    memcmp(nt, "PE\0\0", 4) != 0)
		return 0;
	uint32_t size;
	memcpy(&size, nt + 24 + 56, 4);
	return size;
}

struct clrsos_error *clrsos_clr_module_list_init(struct clrsos_clr_module_list *list, struct clrsos_dac *dac,
						 struct clrsos_target *target)
{
	memset(list, 0, sizeof(*list));
	struct clrsos_managed_module *mods;
	size_t n;
	struct clrsos_error *err = clrsos_dac_managed_modules(dac, &mods, &n);
	if (err)
		return err;
	list->items = calloc(n ? n : 1, sizeof(*list->items));
	if (!list->items) {
		clrsos_managed_modules_free(mods, n);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n && !err; i++) {
		const struct clrsos_managed_module *m = &mods[i];
		struct clrsos_clr_module *c = &list->items[list->count++];
		c->address = m->address;
		c->image_base = m->is_reflection ? 0 : m->il_base;
		c->dynamic = m->is_reflection;
		c->have_data = m->have_data;
		c->metadata_start = m->metadata_start;
		c->metadata_size = m->metadata_size;
		if (m->path && !(c->path = strdup(m->path))) {
			err = &clrsos_error_no_memory;
			break;
		}
		struct clrsos_dacp_module_data md;
		struct clrsos_error *md_err = clrsos_dac_module_data(dac, m->address, &md);
		if ((err = clrsos_error_ignore(md_err)))
			break;
		if (!md_err) {
			c->assembly = md.assembly;
			c->is_pe_file = md.is_pe_file != 0;
			if (md.assembly && (err = clrsos_error_ignore(clrsos_dac_assembly_name(dac, md.assembly,
												 &c->assembly_name))))
				break;
		}
		c->image_size = image_size(target, c->image_base);
	}
	clrsos_managed_modules_free(mods, n);
	if (err)
		clrsos_clr_module_list_deinit(list);
	return err;
}

enum { MAX_SYNC_BLOCKS = 1 << 20 };

struct clrsos_error *clrsos_sync_block_count(struct clrsos_dac *dac, uint32_t *ret)
{
	struct clrsos_dacp_sync_block_data d;
	*ret = 0;
	struct clrsos_error *err = clrsos_dac_sync_block(dac, 1, &d);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		/* The runtime answers the first entry with a failure when it made none. */
		if (d.sync_block_count == 0)
			return NULL;
		return clrsos_error_create(CLRSOS_ERROR_DAC, "the runtime could not read its sync block table");
	}
	if (d.sync_block_count > MAX_SYNC_BLOCKS)
		return clrsos_error_create(CLRSOS_ERROR_DAC,
					   "the runtime reports %u sync blocks: its sync block table is damaged",
					   d.sync_block_count);
	*ret = d.sync_block_count;
	return NULL;
}

struct clrsos_error *clrsos_sync_block_read(struct clrsos_dac *dac, uint32_t index, struct clrsos_sync_block *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->index = index;
	struct clrsos_dacp_sync_block_data d;
	struct clrsos_error *err = clrsos_dac_sync_block(dac, index, &d);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL; /* not valid */
	}
	ret->valid = true;
	ret->free = d.is_free != 0;
	ret->address = d.sync_block_pointer;
	ret->object = d.object;
	ret->monitor_held = d.monitor_held;
	ret->recursion = d.recursion;
	ret->com_flags = d.com_flags;
	ret->additional_waiters = d.additional_thread_count;
	ret->owner = d.holding_thread == UINT64_MAX || d.holding_thread == 0xffffffffu ? CLRSOS_SYNC_BLOCK_ORPHANED
											: d.holding_thread;
	if (ret->owner && ret->owner != CLRSOS_SYNC_BLOCK_ORPHANED) {
		struct clrsos_managed_thread t;
		struct clrsos_error *terr = clrsos_managed_thread_read(dac, ret->owner, &t);
		if (!terr) {
			ret->owner_os_id = t.os_id;
			ret->owner_managed_id = t.managed_id;
		} else if ((err = clrsos_error_ignore(terr))) {
			return err;
		}
	}
	return NULL;
}

struct clrsos_error *clrsos_oom_read(struct clrsos_dac *dac, const uint64_t *heap_addresses, uint32_t nheaps,
				     struct clrsos_oom_info *ret)
{
	for (uint32_t i = 0; i < nheaps; i++) {
		struct clrsos_dacp_oom_data d;
		struct clrsos_error *err = clrsos_dac_oom_data(dac, heap_addresses[i], &d);
		if (err)
			return err;
		ret[i] = (struct clrsos_oom_info){
			.heap = i,
			.reason = d.reason,
			.get_memory_failure = d.fgm,
			.alloc_size = d.alloc_size,
			.size = d.size,
			.available_pagefile_mb = d.available_pagefile_mb,
			.gc_index = d.gc_index,
			.large_object = d.loh_p != 0,
		};
	}
	return NULL;
}

const char *clrsos_oom_reason_text(int32_t reason)
{
	switch (reason) {
	case 0: return NULL;
	case 1: /* budget */
	case 3: /* can't reserve */
		return "OOM was due to an internal .Net error, likely a bug in the GC";
	case 2: return "Didn't have enough memory to commit";
	case 4: return "Didn't have enough memory to allocate an LOH segment";
	case 5: return "Low on memory during GC";
	case 6: return "Could not do a full GC";
	default: return "OOM for a reason this runtime added";
	}
}

const char *clrsos_oom_failure_text(int32_t failure)
{
	switch (failure) {
	case 0: return NULL;
	case 1: return "Failed to reserve memory";
	case 2: return "Didn't have enough memory to commit beginning of the segment";
	case 3: return "Didn't have enough memory to commit the new ephemeral segment";
	case 4: return "Didn't have enough memory to grow the internal GC data structures";
	case 5: return "Didn't have enough memory to commit the internal GC data structures";
	default: return "failed to get memory for a reason this runtime added";
	}
}

struct clrsos_error *clrsos_app_domain_read(struct clrsos_dac *dac, uint64_t *ret)
{
	return clrsos_error_ignore(clrsos_dac_app_domain(dac, ret));
}

struct clrsos_error *clrsos_assembly_load_context_read(struct clrsos_dac *dac, uint64_t mt, uint64_t *ret)
{
	return clrsos_dac_assembly_load_context(dac, mt, ret);
}

struct clrsos_error *clrsos_loader_allocator_read(struct clrsos_dac *dac, struct clrsos_target *target, uint64_t mt,
						  uint64_t *ret)
{
	uint64_t handle = 0;
	bool collectible = false;
	*ret = 0;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_method_table_collectible(dac, mt, &handle, &collectible));
	if (err || !handle)
		return err;
	/* A handle that cannot be read: no line, as SOS shows none then. */
	return clrsos_error_ignore(clrsos_target_read_u64(target, handle, ret));
}

struct clrsos_error *clrsos_profiled_methods_init(struct clrsos_profiled_methods *list, struct clrsos_dac *dac,
						  uint64_t module)
{
	memset(list, 0, sizeof(*list));
	uint64_t mds[CLRSOS_PROFILED_METHODS_MAX];
	int count = 0;
	struct clrsos_error *err = clrsos_dac_profiler_modified_methods(dac, module, mds, CLRSOS_PROFILED_METHODS_MAX,
								       &count);
	if (err)
		return clrsos_error_ignore(err); /* unsupported: supported stays false */
	list->supported = true;
	list->truncated = count == CLRSOS_PROFILED_METHODS_MAX;
	if (!count)
		return NULL;
	if (!(list->items = calloc((size_t)count, sizeof(*list->items))))
		return &clrsos_error_no_memory;
	for (int i = 0; i < count; i++) {
		struct clrsos_profiled_method *m = &list->items[list->count++];
		m->method_desc = mds[i];
		if ((err = clrsos_error_ignore(clrsos_dac_method_desc_name(dac, mds[i], &m->name))))
			return err;
		m->kind = clrsos_dac_profiler_il_kind(dac, mds[i]);
	}
	return NULL;
}

void clrsos_profiled_methods_deinit(struct clrsos_profiled_methods *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].name);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

struct clrsos_error *clrsos_module_info_init(struct clrsos_module_info *info, struct clrsos_dac *dac,
					     uint64_t module)
{
	memset(info, 0, sizeof(*info));
	struct clrsos_dacp_module_data d;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_module_data(dac, module, &d));
	if (err)
		return err;
	if (d.address != module) {
		if ((err = clrsos_dac_crash_if_any(dac)))
			return err;
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is not a Module (take one from clrmodules, dumpmt or dumpmd)",
					   (unsigned long long)module);
	}
	info->address = module;
	info->assembly = d.assembly;
	info->pe_assembly = d.pe_assembly;
	info->il_base = d.il_base;
	info->metadata_start = d.metadata_start;
	info->metadata_size = d.metadata_size;
	info->loader_allocator = d.loader_allocator;
	info->thunk_heap = d.thunk_heap;
	info->type_def_map = d.type_def_to_method_table_map;
	info->type_ref_map = d.type_ref_to_method_table_map;
	info->method_def_map = d.method_def_to_desc_map;
	info->field_def_map = d.field_def_to_desc_map;
	info->member_ref_map = d.member_ref_to_desc_map;
	info->file_references_map = d.file_references_map;
	info->assembly_references_map = d.manifest_module_references_map;
	info->module_id = d.module_id;
	info->module_index = d.module_index;
	info->transient_flags = d.transient_flags;
	info->is_pe_file = d.is_pe_file != 0;
	info->is_reflection = d.is_reflection != 0;
	struct clrsos_dac_module_layout layout;
	if (!(err = clrsos_dac_module_layout(dac, module, &layout))) {
		info->have_layout = true;
		info->is_dynamic = layout.is_dynamic;
		info->is_in_memory = layout.is_in_memory;
		info->is_file_layout = layout.is_file_layout;
	} else if ((err = clrsos_error_ignore(err))) {
		return err; /* out of memory; any other failure: no layout attributes, as SOS then prints none */
	}
	/* A module with no file (emitted) has no name: "Unknown Module", as SOS says. */
	return clrsos_error_ignore(clrsos_dac_module_file(dac, module, &info->path));
}

void clrsos_module_info_deinit(struct clrsos_module_info *info)
{
	free(info->path);
	memset(info, 0, sizeof(*info));
}
