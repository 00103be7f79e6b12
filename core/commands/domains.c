/*
 * dumpdomain [<Domain>], dumpassembly <Assembly>: the runtime's domains,
 * their assemblies and modules, as SOS's DumpDomain and DumpAssembly show
 * them. Parse, compute from the model, render text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model/domains.h"
#include "session/session.h"
#include "commands.h"
#include "fieldtable.h"

static const char rule[] = "--------------------------------------\n";

/* SOS's AssemblyInfo: its modules, each with its file. */
static void render_modules_text(const struct clrsos_assembly_info *a, struct clrsos_writer *out)
{
	clrsos_out(out, "  Module\n");
	for (size_t i = 0; i < a->nmodules; i++) {
		const struct clrsos_domain_module *m = &a->modules[i];
		struct clrsos_name_buf nb;
		clrsos_outf(out, "  %016" PRIx64 "    %s\n", m->address,
			    !m->have_data ? "Request module data FAILED"
			    : m->file     ? clrsos_safe_name(m->file, &nb)
			    : m->is_reflection ? "Dynamic Module"
					       : "Unknown Module");
	}
}

static void render_domain_text(const struct clrsos_domain_info *d, struct clrsos_writer *out)
{
	clrsos_out(out, rule);
	if (d->kind == CLRSOS_DOMAIN_SYSTEM)
		clrsos_outf(out, "System Domain:      %016" PRIx64 "\n", d->address);
	else
		clrsos_outf(out, "Domain %u:%s          %016" PRIx64 "\n", d->id, d->id >= 10 ? "" : " ", d->address);
	/* SOS prints these three with %p: upper-case hex. */
	clrsos_outf(out, "LowFrequencyHeap:   %016" PRIX64 "\n", d->low_frequency_heap);
	clrsos_outf(out, "HighFrequencyHeap:  %016" PRIX64 "\n", d->high_frequency_heap);
	clrsos_outf(out, "StubHeap:           %016" PRIX64 "\n", d->stub_heap);
	clrsos_outf(out, "Stage:              %s\n", clrsos_domain_stage_name(d->stage));
	struct clrsos_name_buf nb;
	clrsos_outf(out, "Name:               %s\n",
		    !d->name ? "Error getting AppDomain friendly name" : d->name[0] ? clrsos_safe_name(d->name, &nb) : "None");
	for (size_t i = 0; i < d->nassemblies; i++) {
		const struct clrsos_assembly_info *a = &d->assemblies[i];
		if (i)
			clrsos_out(out, "\n");
		clrsos_outf(out, "Assembly:           %016" PRIx64, a->address);
		if (a->is_dynamic)
			clrsos_out(out, " (Dynamic)");
		clrsos_outf(out, " [%s]\n", a->name ? clrsos_safe_name(a->name, &nb) : "");
		if (a->have_data)
			render_modules_text(a, out);
	}
	if (d->nassemblies)
		clrsos_out(out, "\n");
}

static void render_modules_json(const struct clrsos_assembly_info *a, struct clrsos_json *j)
{
	clrsos_json_key(j, "modules");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < a->nmodules; i++) {
		const struct clrsos_domain_module *m = &a->modules[i];
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "module");
		clrsos_json_address(j, m->address);
		clrsos_json_key(j, "file");
		clrsos_json_string(j, m->file);
		clrsos_json_key(j, "isReflection");
		clrsos_json_bool(j, m->is_reflection);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

static void render_assembly_json(const struct clrsos_assembly_info *a, struct clrsos_json *j)
{
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "assembly");
	clrsos_json_address(j, a->address);
	clrsos_json_key(j, "parentDomain");
	clrsos_json_address(j, a->parent_domain);
	clrsos_json_key(j, "name");
	clrsos_json_string(j, a->name);
	clrsos_json_key(j, "isDynamic");
	clrsos_json_bool(j, a->is_dynamic);
	render_modules_json(a, j);
	clrsos_json_object_end(j);
}

static void render_domains_json(const struct clrsos_domain_list *list, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "domains");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < list->count; i++) {
		const struct clrsos_domain_info *d = &list->items[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "domain");
		clrsos_json_address(&j, d->address);
		clrsos_json_key(&j, "kind");
		clrsos_json_string(&j, d->kind == CLRSOS_DOMAIN_SYSTEM ? "system" : "app");
		clrsos_json_key(&j, "id");
		clrsos_json_uint(&j, d->id);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, d->name);
		clrsos_json_key(&j, "lowFrequencyHeap");
		clrsos_json_address(&j, d->low_frequency_heap);
		clrsos_json_key(&j, "highFrequencyHeap");
		clrsos_json_address(&j, d->high_frequency_heap);
		clrsos_json_key(&j, "stubHeap");
		clrsos_json_address(&j, d->stub_heap);
		clrsos_json_key(&j, "stage");
		clrsos_json_string(&j, clrsos_domain_stage_name(d->stage));
		clrsos_json_key(&j, "assemblies");
		clrsos_json_array_begin(&j);
		for (size_t k = 0; k < d->nassemblies; k++)
			render_assembly_json(&d->assemblies[k], &j);
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpdomain(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_address_operands a;
	struct clrsos_error *err = clrsos_parse_one_address("dumpdomain", NULL, host, argc, argv, NULL, NULL, &json, &a);
	struct clrsos_dac *dac;
	if (err || (err = clrsos_session_dac(session, &dac)))
		return err;
	if (a.count && !a.values[0])
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "0x0 is not an AppDomain (dumpdomain lists them)");
	struct clrsos_domain_list list;
	if ((err = clrsos_domain_list_init(&list, dac, a.count ? a.values[0] : 0)))
		return err;
	if (json) {
		render_domains_json(&list, out);
	} else {
		for (size_t i = 0; i < list.count; i++)
			render_domain_text(&list.items[i], out);
	}
	clrsos_domain_list_deinit(&list);
	return NULL;
}

struct clrsos_error *clrsos_cmd_dumpassembly(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					     const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_address_operands a;
	struct clrsos_error *err =
		clrsos_parse_one_address("dumpassembly", "an Assembly", host, argc, argv, NULL, NULL, &json, &a);
	struct clrsos_dac *dac;
	if (err || (err = clrsos_session_dac(session, &dac)))
		return err;
	struct clrsos_assembly_info info;
	if ((err = clrsos_assembly_info_init(&info, dac, a.values[0])))
		return err;
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		render_assembly_json(&info, &j);
		clrsos_json_end(&j);
	} else {
		struct clrsos_name_buf nb;
		clrsos_outf(out, "Parent Domain:      %016" PRIx64 "\n", info.parent_domain);
		clrsos_outf(out, "Name:               %s\n", info.name ? clrsos_safe_name(info.name, &nb) : "Unknown");
		render_modules_text(&info, out);
	}
	clrsos_assembly_info_deinit(&info);
	return NULL;
}
