/*
 * ip2md <code address>, dumpmd <MethodDesc>: a method as SOS's IP2MD and
 * DumpMD show it (its MethodDesc, name, type, module, code and code
 * versions); dumpmodule <Module>: a module as SOS's DumpModule shows it.
 * Parse, compute from the model, render text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/domains.h"
#include "model/methods.h"
#include "model/runtimedata.h"
#include "model/stack.h"
#include "session/session.h"
#include "commands.h"
#include "fieldtable.h"

/* SOS's DumpMD block; ip2md puts its MethodDesc line first. */
static void render_text(const struct clrsos_method_desc_info *m, bool with_md, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	if (with_md)
		clrsos_outf(out, "MethodDesc:   %016" PRIx64 "\n", m->method_desc);
	clrsos_outf(out, "Method Name:          %s\n", m->name ? clrsos_safe_name(m->name, &nb) : "UNKNOWN");
	if (m->eeclass)
		clrsos_outf(out, "Class:                %016" PRIx64 "\n", m->eeclass);
	clrsos_outf(out, "MethodTable:          %016" PRIx64 "\n", m->method_table);
	clrsos_outf(out, "mdToken:              %016" PRIx32 "\n", m->token);
	clrsos_outf(out, "Module:               %016" PRIx64 "\n", m->module);
	clrsos_outf(out, "IsJitted:             %s\n", m->has_code ? "yes" : "no");
	clrsos_outf(out, "Current CodeAddr:     %016" PRIx64 "\n", m->code);
	clrsos_out(out, "Version History:\n");
	if (!m->have_versions)
		return;
	clrsos_outf(out, "  ILCodeVersion:      %016" PRIx64 "\n", m->il_code_version);
	clrsos_outf(out, "  ReJIT ID:           %d\n", m->rejit_id);
	clrsos_outf(out, "  IL Addr:            %016" PRIx64 "\n", m->il);
	for (size_t i = m->nversions; i-- > 0;) {
		const struct clrsos_code_version *v = &m->versions[i];
		clrsos_outf(out, "     CodeAddr:           %016" PRIx64 "  (%s)\n", v->code,
			    clrsos_code_tier_name(v->tier));
		clrsos_outf(out, "     NativeCodeVersion:  %016" PRIx64 "\n", v->node);
	}
}

/* ip2md's source position of the address (file NULL: none). */
struct ip_source {
	char *file;
	uint32_t line;
};

static void render_json(const struct clrsos_method_desc_info *m, const uint64_t *ip, const struct ip_source *src,
			struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	if (ip) {
		clrsos_json_key(&j, "ip");
		clrsos_json_address(&j, *ip);
	}
	if (src && src->file) {
		clrsos_json_key(&j, "file");
		clrsos_json_string(&j, src->file);
		clrsos_json_key(&j, "line");
		clrsos_json_uint(&j, src->line);
	}
	clrsos_render_method_desc_json(m, &j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

/* DumpMD's fields, as members of the JSON object j is in (ehinfo and clru repeat them). */
void clrsos_render_method_desc_json(const struct clrsos_method_desc_info *m, struct clrsos_json *j)
{
	clrsos_json_key(j, "methodDesc");
	clrsos_json_address(j, m->method_desc);
	clrsos_json_key(j, "name");
	clrsos_json_string(j, m->name);
	clrsos_json_key(j, "class");
	m->eeclass ? clrsos_json_address(j, m->eeclass) : clrsos_json_null(j);
	clrsos_json_key(j, "methodTable");
	clrsos_json_address(j, m->method_table);
	clrsos_json_key(j, "token");
	clrsos_json_uint(j, m->token);
	clrsos_json_key(j, "module");
	clrsos_json_address(j, m->module);
	clrsos_json_key(j, "slot");
	clrsos_json_uint(j, m->slot);
	clrsos_json_key(j, "isJitted");
	clrsos_json_bool(j, m->has_code);
	clrsos_json_key(j, "isDynamic");
	clrsos_json_bool(j, m->is_dynamic);
	clrsos_json_key(j, "codeAddr");
	clrsos_json_address(j, m->code);
	clrsos_json_key(j, "rejitId");
	clrsos_json_int(j, m->rejit_id);
	clrsos_json_key(j, "ilCodeVersion");
	clrsos_json_address(j, m->il_code_version);
	clrsos_json_key(j, "il");
	clrsos_json_address(j, m->il);
	clrsos_json_key(j, "versions");
	if (m->have_versions) {
		clrsos_json_array_begin(j);
		for (size_t i = m->nversions; i-- > 0;) {
			const struct clrsos_code_version *v = &m->versions[i];
			clrsos_json_object_begin(j);
			clrsos_json_key(j, "codeAddr");
			clrsos_json_address(j, v->code);
			clrsos_json_key(j, "tier");
			clrsos_json_string(j, clrsos_code_tier_name(v->tier));
			clrsos_json_key(j, "nativeCodeVersion");
			clrsos_json_address(j, v->node);
			clrsos_json_object_end(j);
		}
		clrsos_json_array_end(j);
	} else {
		clrsos_json_null(j);
	}
}

struct clrsos_error *clrsos_cmd_ip2md(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				      const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_address_operands a;
	struct clrsos_error *err = clrsos_parse_one_address("ip2md", "code", host, argc, argv, NULL, NULL, &json, &a);
	if (err)
		return err;
	struct clrsos_dac *dac;
	if ((err = clrsos_session_dac(session, &dac)))
		return err;
	uint64_t ip = a.values[0], md = 0;
	if (ip && (err = clrsos_method_desc_from_ip(dac, ip, &md)))
		return err;
	if (!md)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not in JIT-compiled code: give ip2md a code address "
					   "(clrstack lists them)", ip);
	struct clrsos_method_desc_info m;
	if ((err = clrsos_method_desc_info_init(&m, dac, md, ip)))
		return err;
	/* As SOS: the source line of the address itself, from the module's PDB. */
	struct ip_source src = {0};
	struct clrsos_source_cache *cache = clrsos_source_cache_create();
	err = cache ? clrsos_source_line_at(cache, dac, md, ip, false, &src.file, &src.line) : &clrsos_error_no_memory;
	clrsos_source_cache_destroy(cache);
	if (!err) {
		struct clrsos_name_buf nb;
		if (json)
			render_json(&m, &ip, &src, out);
		else
			render_text(&m, true, out);
		if (!json && src.file)
			clrsos_outf(out, "Source file:  %s @ %u\n", clrsos_safe_name(src.file, &nb), src.line);
	}
	free(src.file);
	clrsos_method_desc_info_deinit(&m);
	return err;
}

struct clrsos_error *clrsos_cmd_dumpmd(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_address_operands a;
	struct clrsos_error *err = clrsos_parse_one_address("dumpmd", "a MethodDesc", host, argc, argv, NULL, NULL, &json, &a);
	if (err)
		return err;
	struct clrsos_dac *dac;
	if ((err = clrsos_session_dac(session, &dac)))
		return err;
	struct clrsos_method_desc_info m;
	if ((err = clrsos_method_desc_info_init(&m, dac, a.values[0], 0)))
		return err;
	if (json)
		render_json(&m, NULL, NULL, out);
	else
		render_text(&m, false, out);
	clrsos_method_desc_info_deinit(&m);
	return NULL;
}

static void render_module_text(const struct clrsos_module_info *m, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	clrsos_outf(out, "Name: %s\n", clrsos_safe_name(m->path ? m->path : "Unknown Module", &nb));
	clrsos_out(out, "Attributes:              ");
	if (m->is_pe_file)
		clrsos_out(out, "PEFile ");
	if (m->is_reflection)
		clrsos_out(out, "Reflection ");
	if (m->transient_flags & CLRSOS_MODULE_EDIT_AND_CONTINUE)
		clrsos_out(out, "EditAndContinue ");
	if (m->is_dynamic)
		clrsos_out(out, "IsDynamic ");
	if (m->is_in_memory)
		clrsos_out(out, "IsInMemory ");
	if (m->is_file_layout)
		clrsos_out(out, "IsFileLayout ");
	clrsos_out(out, "\n");
	/* As SOS: the Assembly in lower-case hex, the rest upper-case. */
	clrsos_outf(out, "Assembly:                %016" PRIx64 "\n", m->assembly);
	static const char *const labels[] = {
		"BaseAddress:             ", "LoaderHeap:              ",
		"TypeDefToMethodTableMap: ", "TypeRefToMethodTableMap: ", "MethodDefToDescMap:      ",
		"FieldDefToDescMap:       ", "MemberRefToDescMap:      ", "FileReferencesMap:       ",
		"AssemblyReferencesMap:   ",
	};
	const uint64_t values[] = {
		m->il_base, m->loader_allocator, m->type_def_map, m->type_ref_map, m->method_def_map,
		m->field_def_map, m->member_ref_map, m->file_references_map, m->assembly_references_map,
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		clrsos_outf(out, "%s%016" PRIX64 "\n", labels[i], values[i]);
	if (m->il_base && m->metadata_start)
		clrsos_outf(out, "MetaData start address:  %016" PRIX64 " (%" PRIu64 " bytes)\n", m->metadata_start,
			    m->metadata_size);
}

static void render_module_types_json(const struct clrsos_module_type_list *list, struct clrsos_json *j);

static void render_profiled_json(const struct clrsos_profiled_methods *p, struct clrsos_json *j);

static void render_module_json(const struct clrsos_module_info *m, struct clrsos_writer *out,
			       const struct clrsos_module_type_list *types, const struct clrsos_profiled_methods *prof)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "module");
	clrsos_json_address(&j, m->address);
	clrsos_json_key(&j, "name");
	clrsos_json_string(&j, m->path);
	clrsos_json_key(&j, "isPEFile");
	clrsos_json_bool(&j, m->is_pe_file);
	clrsos_json_key(&j, "isReflection");
	clrsos_json_bool(&j, m->is_reflection);
	clrsos_json_key(&j, "transientFlags");
	clrsos_json_uint(&j, m->transient_flags);
	const struct {
		const char *key;
		bool value;
	} layout[] = {{"isDynamic", m->is_dynamic}, {"isInMemory", m->is_in_memory}, {"isFileLayout", m->is_file_layout}};
	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		clrsos_json_key(&j, layout[i].key);
		m->have_layout ? clrsos_json_bool(&j, layout[i].value) : clrsos_json_null(&j);
	}
	const struct {
		const char *key;
		uint64_t value;
	} fields[] = {
		{"assembly", m->assembly},
		{"peAssembly", m->pe_assembly},
		{"baseAddress", m->il_base},
		{"loaderHeap", m->loader_allocator},
		{"thunkHeap", m->thunk_heap},
		{"typeDefToMethodTableMap", m->type_def_map},
		{"typeRefToMethodTableMap", m->type_ref_map},
		{"methodDefToDescMap", m->method_def_map},
		{"fieldDefToDescMap", m->field_def_map},
		{"memberRefToDescMap", m->member_ref_map},
		{"fileReferencesMap", m->file_references_map},
		{"assemblyReferencesMap", m->assembly_references_map},
		{"metadataStart", m->metadata_start},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		clrsos_json_key(&j, fields[i].key);
		clrsos_json_address(&j, fields[i].value);
	}
	clrsos_json_key(&j, "metadataSize");
	clrsos_json_uint(&j, m->metadata_size);
	clrsos_json_key(&j, "moduleId");
	clrsos_json_uint(&j, m->module_id);
	clrsos_json_key(&j, "moduleIndex");
	clrsos_json_uint(&j, m->module_index);
	if (types) {
		clrsos_json_key(&j, "typesDefined");
		render_module_types_json(&types[0], &j);
		clrsos_json_key(&j, "typesReferenced");
		render_module_types_json(&types[1], &j);
	}
	if (prof)
		render_profiled_json(prof, &j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

/* SOS's DumpModule -mt: the types the module defines, then those it refers to. */
static void render_module_types_text(const struct clrsos_module_type_list lists[2], struct clrsos_writer *out)
{
	static const char *const heads[2] = {"\nTypes defined in this module\n\n", "\nTypes referenced in this module\n\n"};
	for (int k = 0; k < 2; k++) {
		clrsos_out(out, heads[k]);
		clrsos_outf(out, k ? "%16s   %16s %s\n" : "%16s %16s %s\n", "MT", k ? "TypeRef" : "TypeDef", "Name");
		clrsos_out(out, "------------------------------------------------------------------------------\n");
		for (size_t i = 0; i < lists[k].count; i++) {
			const struct clrsos_module_type *t = &lists[k].items[i];
			struct clrsos_name_buf nb;
			clrsos_outf(out, "%016" PRIx64 " 0x%08" PRIx32 " %s\n", t->mt, t->token,
				    t->name ? clrsos_safe_name(t->name, &nb) : "<unknown>");
		}
	}
}

static void render_module_types_json(const struct clrsos_module_type_list *list, struct clrsos_json *j)
{
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < list->count; i++) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "methodTable");
		clrsos_json_address(j, list->items[i].mt);
		clrsos_json_key(j, "token");
		clrsos_json_uint(j, list->items[i].token);
		clrsos_json_key(j, "name");
		clrsos_json_string(j, list->items[i].name);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

/* SOS's DumpModule -prof: the methods whose IL a profiler changed. */
static void render_profiled_text(const struct clrsos_profiled_methods *p, struct clrsos_writer *out)
{
	if (!p->supported) {
		clrsos_out(out, "\nThis runtime version does not support listing the profiler modified functions.\n");
		return;
	}
	if (!p->count) {
		clrsos_out(out, "\nThis module has no methods with profiler modified IL.\n");
		return;
	}
	clrsos_out(out, "\nMethods in this module with profiler modified IL:\n");
	for (size_t i = 0; i < p->count; i++) {
		const struct clrsos_profiled_method *m = &p->items[i];
		struct clrsos_name_buf nb;
		clrsos_outf(out, "MethodDesc: %016" PRIx64 " ", m->method_desc);
		if (m->name)
			clrsos_outf(out, "Name: %s", clrsos_safe_name(m->name, &nb));
		clrsos_out(out, m->kind == 1 ? " (IL Modified)\n" : m->kind == 2 ? " (ReJIT Modified)\n" : "\n");
	}
	if (p->truncated)
		clrsos_out(out, "Profiler modified methods truncated, reached max value.\n");
}

/* profilerModified: null where the runtime cannot list them; kind "il", "rejit" or null. */
static void render_profiled_json(const struct clrsos_profiled_methods *p, struct clrsos_json *j)
{
	clrsos_json_key(j, "profilerModified");
	if (!p->supported) {
		clrsos_json_null(j);
		return;
	}
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < p->count; i++) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "methodDesc");
		clrsos_json_address(j, p->items[i].method_desc);
		clrsos_json_key(j, "name");
		clrsos_json_string(j, p->items[i].name);
		clrsos_json_key(j, "kind");
		int kind = p->items[i].kind;
		kind == 1 ? clrsos_json_string(j, "il") : kind == 2 ? clrsos_json_string(j, "rejit") : clrsos_json_null(j);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	clrsos_json_key(j, "profilerModifiedTruncated");
	clrsos_json_bool(j, p->truncated);
}

struct clrsos_error *clrsos_cmd_dumpmodule(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, types = false, prof = false;
	struct clrsos_address_operands a = {.command = "dumpmodule"};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
		CLRSOS_FLAG("-mt", &types),
		CLRSOS_FLAG("-prof", &prof),
	};
	const struct clrsos_options spec = {
		.command = "dumpmodule",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = &a,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !a.count)
		err = clrsos_address_missing("dumpmodule", "a Module");
	if (err)
		return err;
	struct clrsos_dac *dac;
	if ((err = clrsos_session_dac(session, &dac)))
		return err;
	struct clrsos_module_info m;
	if ((err = clrsos_module_info_init(&m, dac, a.values[0])))
		return err;
	struct clrsos_module_type_list lists[2] = {{0}};
	struct clrsos_profiled_methods profiled = {0};
	for (int k = 0; k < 2 && types && !err; k++)
		err = clrsos_module_type_list_init(&lists[k], dac, a.values[0], k == 1, true);
	if (!err && prof)
		err = clrsos_profiled_methods_init(&profiled, dac, a.values[0]);
	if (!err && json) {
		render_module_json(&m, out, types ? lists : NULL, prof ? &profiled : NULL);
	} else if (!err) {
		render_module_text(&m, out);
		if (types)
			render_module_types_text(lists, out);
		if (prof)
			render_profiled_text(&profiled, out);
	}
	clrsos_profiled_methods_deinit(&profiled);
	for (int k = 0; k < 2; k++)
		clrsos_module_type_list_deinit(&lists[k]);
	clrsos_module_info_deinit(&m);
	return err;
}

void clrsos_render_method_desc_text(const struct clrsos_method_desc_info *m, struct clrsos_writer *out)
{
	render_text(m, true, out);
}
