/* Methods: a MethodTable's slots and their MethodDescs (methods.h). */
#include "methods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"

struct clrsos_error *clrsos_method_desc_name(struct clrsos_dac *dac, uint64_t method_desc, char **ret_name,
					     bool *ret_has_code)
{
	return clrsos_dac_method_desc(dac, method_desc, ret_name, ret_has_code);
}

struct clrsos_error *clrsos_method_desc_from_ip(struct clrsos_dac *dac, uint64_t ip, uint64_t *ret)
{
	/* The runtime refusing the address means no method there; out of memory is said. */
	return clrsos_error_ignore(clrsos_dac_method_desc_from_ip(dac, ip, ret));
}

struct clrsos_error *clrsos_method_il_map(struct clrsos_dac *dac, uint64_t code, struct clrsos_il_map_entry **ret,
					  size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	struct clrsos_dac_il_map_entry *raw = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_il_address_map(dac, code, &raw, &n));
	if (err || !raw)
		return err;
	if (!clrsos_dac_il_map_starts_at(raw, n, code)) {
		free(raw); /* another version's: none for this code */
		return NULL;
	}
	struct clrsos_il_map_entry *map = calloc(n ? n : 1, sizeof(*map));
	if (!map) {
		free(raw);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n; i++)
		map[i] = (struct clrsos_il_map_entry){raw[i].il_offset, raw[i].start, raw[i].end};
	free(raw);
	*ret = map;
	*ret_count = n;
	return NULL;
}

struct clrsos_error *clrsos_method_desc_from_entry(struct clrsos_dac *dac, uint64_t entry, uint64_t *ret)
{
	struct clrsos_error *err = clrsos_method_desc_from_ip(dac, entry, ret);
	if (err || *ret)
		return err;
	return clrsos_error_ignore(clrsos_dac_code_header_method_desc(dac, entry, ret));
}

struct clrsos_error *clrsos_method_list_init(struct clrsos_method_list *list, struct clrsos_dac *dac,
					     uint64_t mt, uint32_t slot_count)
{
	memset(list, 0, sizeof(*list));
	/* Newer DACs list the methods with their MethodDescs; older ones give
	 * slots, whose entry points lead to their MethodDescs. */
	struct clrsos_sos_method_data *listed = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_methods(dac, mt, &listed, &n);
	if (err)
		return err;
	size_t count = listed ? n : slot_count;
	list->items = calloc(count ? count : 1, sizeof(*list->items));
	if (!list->items) {
		free(listed);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < count; i++) {
		struct clrsos_method *m = &list->items[i];
		if (listed) {
			m->entry = listed[i].entry_point;
			m->method_desc = listed[i].method_desc;
			m->slot = listed[i].slot;
			m->token = listed[i].token;
		} else {
			m->slot = (uint32_t)i;
			if ((err = clrsos_dac_method_slot(dac, mt, (uint32_t)i, &m->entry, &m->method_desc)))
				break;
		}
		list->count = i + 1;
		if (!m->method_desc && m->entry &&
		    (err = clrsos_method_desc_from_entry(dac, m->entry, &m->method_desc)))
			break;
		if (m->method_desc && (err = clrsos_dac_method_desc(dac, m->method_desc, &m->name, &m->has_code))) {
			if (clrsos_error_is_no_memory(err))
				break;
			clrsos_error_destroy(err);
			err = NULL;
			m->name = NULL; /* has_code still says what the runtime answered */
		}
	}
	free(listed);
	if (err)
		clrsos_method_list_deinit(list);
	return err;
}

void clrsos_method_list_deinit(struct clrsos_method_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].name);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

const char *clrsos_code_tier_name(uint32_t tier)
{
	static const char *const names[] = {
		"Unknown Tier", "MinOptJitted", "Optimized", "QuickJitted", "OptimizedTier1", "ReadyToRun",
		"OptimizedTier1OSR", "QuickJitted + Instrumented", "OptimizedTier1 + Instrumented",
	};
	return tier < sizeof(names) / sizeof(names[0]) ? names[tier] : names[0];
}

struct clrsos_error *clrsos_method_desc_info_init(struct clrsos_method_desc_info *info, struct clrsos_dac *dac,
						  uint64_t method_desc, uint64_t ip)
{
	memset(info, 0, sizeof(*info));
	struct clrsos_dacp_method_desc_data d;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_method_desc_data(dac, method_desc, ip, &d));
	if (err)
		return err;
	if (d.method_desc != method_desc || !d.method_table) {
		if ((err = clrsos_dac_crash_if_any(dac)))
			return err;
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is not a MethodDesc (take one from ip2md, dumpmt -md or clrstack)",
					   (unsigned long long)method_desc);
	}
	info->method_desc = method_desc;
	info->method_table = d.method_table;
	info->module = d.module;
	info->code = d.native_code;
	info->token = d.token;
	info->slot = d.slot;
	info->has_code = d.has_native_code != 0;
	info->is_dynamic = d.is_dynamic != 0;
	info->rejit_id = (int32_t)d.rejit_current.rejit_id;
	/* The name, type, IL and versions are all the runtime may lack: shown as unknown. */
	err = clrsos_dac_method_desc_name(dac, method_desc, &info->name);
	if (err && (err = clrsos_error_ignore(err)))
		goto fail;
	struct clrsos_dacp_method_table_data mt;
	if (!(err = clrsos_dac_method_table_data(dac, d.method_table, &mt)))
		info->eeclass = mt.klass;
	else if ((err = clrsos_error_ignore(err)))
		goto fail;
	struct clrsos_dacp_rejit_data2 rejit;
	bool known;
	if ((err = clrsos_error_ignore(clrsos_dac_rejit_info(dac, method_desc, info->rejit_id, &rejit, &known))))
		goto fail;
	if (known) {
		info->il = rejit.il;
		info->il_code_version = rejit.il_code_version;
	}
	struct clrsos_dacp_tiered_version_data *v = NULL;
	size_t n = 0;
	err = clrsos_dac_tiered_versions(dac, method_desc, info->rejit_id, &v, &n);
	if (!err && v) {
		info->versions = calloc(n ? n : 1, sizeof(*info->versions));
		if (!info->versions) {
			free(v);
			err = &clrsos_error_no_memory;
			goto fail;
		}
		for (size_t i = 0; i < n; i++)
			info->versions[i] = (struct clrsos_code_version){
				.code = v[i].native_code, .node = v[i].native_code_version, .tier = v[i].tier};
		info->nversions = n;
		info->have_versions = true;
	}
	free(v);
	if (err && (err = clrsos_error_ignore(err)))
		goto fail;
	return NULL;
fail:
	clrsos_method_desc_info_deinit(info);
	return err;
}

void clrsos_method_desc_info_deinit(struct clrsos_method_desc_info *info)
{
	free(info->name);
	free(info->versions);
	memset(info, 0, sizeof(*info));
}

struct clrsos_error *clrsos_method_code_place(struct clrsos_dac *dac, uint64_t method_desc, uint64_t ip,
					      char **ret_module, uint64_t *ret_offset)
{
	*ret_module = NULL;
	*ret_offset = 0;
	struct clrsos_dacp_method_desc_data d;
	struct clrsos_error *err = clrsos_dac_method_desc_data(dac, method_desc, 0, &d);
	if (err)
		return clrsos_error_ignore(err);
	char *file = NULL;
	if ((err = clrsos_error_ignore(clrsos_dac_module_file(dac, d.module, &file))))
		return err;
	const char *base = file ? strrchr(file, '/') : NULL;
	base = base ? base + 1 : file;
	*ret_module = strdup(base && *base ? base : "UNKNOWN");
	*ret_offset = ip - d.native_code;
	free(file);
	return *ret_module ? NULL : &clrsos_error_no_memory;
}

struct clrsos_error *clrsos_method_frame_text(struct clrsos_dac *dac, uint64_t method_desc, uint64_t ip,
					      const char *name, char **ret)
{
	*ret = NULL;
	char *base = NULL;
	uint64_t off = 0;
	struct clrsos_error *err = clrsos_method_code_place(dac, method_desc, ip, &base, &off);
	if (err || !base)
		return err;
	char offset[24] = "";
	if (off)
		snprintf(offset, sizeof(offset), "+0x%llx", (unsigned long long)off);
	size_t n = strlen(base) + 1 + strlen(name ? name : "UNKNOWN") + strlen(offset) + 1;
	*ret = malloc(n);
	if (*ret)
		snprintf(*ret, n, "%s!%s%s", base, name ? name : "UNKNOWN", offset);
	free(base);
	return *ret ? NULL : &clrsos_error_no_memory;
}

struct clrsos_error *clrsos_method_desc_from_token(struct clrsos_dac *dac, uint64_t module, uint32_t token,
						   uint64_t *ret)
{
	return clrsos_error_ignore(clrsos_dac_method_desc_from_token(dac, module, token, ret));
}

struct clrsos_error *clrsos_method_desc_token(struct clrsos_dac *dac, uint64_t method_desc, uint64_t *ret_module,
					      uint32_t *ret)
{
	*ret = 0;
	*ret_module = 0;
	struct clrsos_error *err = clrsos_dac_method_desc_module(dac, method_desc, ret_module, ret);
	if (err)
		*ret = 0, *ret_module = 0;
	return clrsos_error_ignore(err);
}
