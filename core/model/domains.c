/*
 * Domains, their assemblies and modules, each read with the runtime's own
 * calls (one per domain, assembly and module: there are tens, not millions).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"
#include "base/vector.h"
#include "model/domains.h"

const char *clrsos_domain_stage_name(int32_t stage)
{
	static const char *const names[] = {
		"CREATING", "READYFORMANAGEDCODE", "ACTIVE", "OPEN", "UNLOAD_REQUESTED", "EXITING", "EXITED",
		"FINALIZING", "FINALIZED", "HANDLETABLE_NOACCESS", "CLEARED", "COLLECTED", "CLOSED",
	};
	return stage >= 0 && (size_t)stage < sizeof(names) / sizeof(names[0]) ? names[stage] : "UNKNOWN";
}

static struct clrsos_error *module_init(struct clrsos_domain_module *m, struct clrsos_dac *dac, uint64_t address)
{
	memset(m, 0, sizeof(*m));
	m->address = address;
	struct clrsos_dacp_module_data md;
	struct clrsos_error *err = clrsos_dac_module_data(dac, address, &md);
	if (clrsos_error_is_no_memory(err))
		return err;
	m->have_data = !err;
	clrsos_error_destroy(err);
	if (!m->have_data)
		return NULL;
	m->is_reflection = md.is_reflection != 0;
	return clrsos_error_ignore(clrsos_dac_module_file(dac, address, &m->file));
}

void clrsos_assembly_info_deinit(struct clrsos_assembly_info *info)
{
	for (size_t i = 0; i < info->nmodules; i++)
		free(info->modules[i].file);
	free(info->modules);
	free(info->name);
	memset(info, 0, sizeof(*info));
}

/* The assembly's data and modules; *ret_found false if the runtime does not describe it. */
static struct clrsos_error *assembly_read(struct clrsos_assembly_info *info, struct clrsos_dac *dac, uint64_t domain,
					  uint64_t address)
{
	memset(info, 0, sizeof(*info));
	info->address = address;
	struct clrsos_dacp_assembly_data ad;
	struct clrsos_error *err = clrsos_dac_assembly_data(dac, domain, address, &ad);
	if (clrsos_error_is_no_memory(err))
		return err;
	info->have_data = !err;
	clrsos_error_destroy(err);
	if ((err = clrsos_error_ignore(clrsos_dac_assembly_name(dac, address, &info->name))))
		return err;
	if (!info->have_data)
		return NULL;
	info->parent_domain = ad.parent_domain;
	info->is_dynamic = ad.is_dynamic != 0;
	uint64_t *mods = NULL;
	size_t n = 0;
	if ((err = clrsos_error_ignore(clrsos_dac_assembly_modules(dac, address, ad.module_count, &mods, &n))))
		return err;
	if (n && !(info->modules = calloc(n, sizeof(*info->modules)))) {
		free(mods);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n && !err; i++, info->nmodules++)
		err = module_init(&info->modules[i], dac, mods[i]);
	free(mods);
	return err;
}

/* Whether address is an assembly some domain lists (the runtime describes any address it is given). */
static struct clrsos_error *assembly_listed(struct clrsos_dac *dac, uint64_t address, uint64_t *ret_domain)
{
	uint64_t system = 0, *domains = NULL;
	size_t n = 0;
	*ret_domain = 0;
	struct clrsos_error *err = clrsos_dac_app_domains(dac, &system, &domains, &n);
	for (size_t d = 0; d < n && !err && !*ret_domain; d++) {
		uint64_t *list = NULL;
		size_t count = 0;
		err = clrsos_error_ignore(clrsos_dac_domain_assemblies(dac, domains[d], &list, &count));
		for (size_t i = 0; i < count && !*ret_domain; i++)
			if (list[i] == address)
				*ret_domain = domains[d];
		free(list);
	}
	free(domains);
	return err;
}

struct clrsos_error *clrsos_assembly_info_init(struct clrsos_assembly_info *info, struct clrsos_dac *dac,
					       uint64_t address)
{
	memset(info, 0, sizeof(*info));
	uint64_t domain = 0;
	struct clrsos_error *err = assembly_listed(dac, address, &domain);
	if (!err && !domain)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not an Assembly (dumpdomain lists them)", address);
	if (!err)
		err = assembly_read(info, dac, 0, address);
	if (!err && !info->have_data)
		err = clrsos_error_create(CLRSOS_ERROR_DAC, "the runtime cannot describe Assembly 0x%" PRIx64, address);
	if (err)
		clrsos_assembly_info_deinit(info);
	return err;
}

static void domain_deinit(struct clrsos_domain_info *d)
{
	for (size_t i = 0; i < d->nassemblies; i++)
		clrsos_assembly_info_deinit(&d->assemblies[i]);
	free(d->assemblies);
	free(d->name);
}

void clrsos_domain_list_deinit(struct clrsos_domain_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		domain_deinit(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

static struct clrsos_error *domain_read(struct clrsos_domain_info *d, struct clrsos_dac *dac,
					const struct clrsos_dacp_app_domain_data *ad)
{
	d->low_frequency_heap = ad->low_frequency_heap;
	d->high_frequency_heap = ad->high_frequency_heap;
	d->stub_heap = ad->stub_heap;
	d->stage = ad->stage;
	d->id = ad->id;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_app_domain_name(dac, d->address, &d->name));
	uint64_t *list = NULL;
	size_t n = 0;
	if (!err && ad->assembly_count > 0)
		err = clrsos_error_ignore(clrsos_dac_domain_assemblies(dac, d->address, &list, &n));
	if (!err && n && !(d->assemblies = calloc(n, sizeof(*d->assemblies))))
		err = &clrsos_error_no_memory;
	for (size_t i = 0; i < n && !err; i++, d->nassemblies++)
		err = assembly_read(&d->assemblies[i], dac, d->address, list[i]);
	free(list);
	return err;
}

struct clrsos_error *clrsos_domain_list_init(struct clrsos_domain_list *list, struct clrsos_dac *dac, uint64_t only)
{
	memset(list, 0, sizeof(*list));
	uint64_t system = 0, *domains = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_app_domains(dac, &system, &domains, &n);
	if (err)
		return err;
	if (only) {
		/* The runtime describes any address it is given: only its own list says what is a domain. */
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = domains[i] == only;
		if (!found) {
			free(domains);
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "0x%" PRIx64 " is not an AppDomain (dumpdomain lists them)", only);
		}
		domains[0] = only;
		n = 1;
	}
	if (n && !(list->items = calloc(n, sizeof(*list->items)))) {
		free(domains);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct clrsos_dacp_app_domain_data ad;
		struct clrsos_error *derr = clrsos_dac_app_domain_data(dac, domains[i], &ad);
		if (derr) {
			if (clrsos_error_is_no_memory(derr))
				err = derr;
			else
				clrsos_error_destroy(derr);
			continue;
		}
		struct clrsos_domain_info *d = &list->items[list->count++];
		d->address = domains[i];
		d->kind = domains[i] == system ? CLRSOS_DOMAIN_SYSTEM : CLRSOS_DOMAIN_APP;
		err = domain_read(d, dac, &ad);
	}
	free(domains);
	if (err)
		clrsos_domain_list_deinit(list);
	return err;
}

struct type_collect {
	struct clrsos_module_type_list *list;
	size_t capacity;
	uint32_t table;
	bool no_memory;
};

static void type_collect_one(void *ctx, uint32_t rid, uint64_t mt)
{
	struct type_collect *c = ctx;
	if (c->no_memory || rid > 0xffffff)
		return;
	if (clrsos_array_reserve(&c->list->items, &c->capacity, c->list->count + 1)) {
		c->no_memory = true;
		return;
	}
	c->list->items[c->list->count++] = (struct clrsos_module_type){.token = c->table | rid, .mt = mt};
}

void clrsos_module_type_list_deinit(struct clrsos_module_type_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].name);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

struct clrsos_error *clrsos_module_type_list_init(struct clrsos_module_type_list *list, struct clrsos_dac *dac,
						  uint64_t module, bool type_refs, bool names)
{
	memset(list, 0, sizeof(*list));
	struct type_collect c = {.list = list, .table = type_refs ? 0x01000000u : 0x02000000u};
	struct clrsos_error *err = clrsos_dac_module_map(dac, module, type_refs, type_collect_one, &c);
	if (!err && c.no_memory)
		err = &clrsos_error_no_memory;
	for (size_t i = 0; i < list->count && !err && names; i++)
		err = clrsos_error_ignore(clrsos_dac_method_table_name(dac, list->items[i].mt, &list->items[i].name));
	if (err)
		clrsos_module_type_list_deinit(list);
	return err;
}
