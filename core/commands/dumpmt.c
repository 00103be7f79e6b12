/*
 * dumpmt [-md] <MethodTable>: a type's MethodTable and, with -md, its
 * methods by slot. Parse, compute from the model, render text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/heap.h"
#include "model/methods.h"
#include "model/objects.h"
#include "commands.h"
#include "fieldtable.h"

struct dumpmt_options {
	bool json, methods;
	struct clrsos_address_operands mt;
};

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct dumpmt_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mt.command = "dumpmt";
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-md", &o->methods),
	};
	const struct clrsos_options spec = {
		.command = "dumpmt",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = &o->mt,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->mt.count)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "dumpmt needs <MethodTable>");
	return err;
}

enum { MT_FLAG_HAS_FINALIZER = 0x00100000 };

struct dumpmt_result {
	struct clrsos_method_table_info info;
	const char *name;
	const char *parent_name; /* NULL: no parent, or not a type */
	bool has_finalizer;
	bool have_methods;
	struct clrsos_method_list methods;
	struct clrsos_error *methods_error; /* the methods could not be listed */
};

static struct clrsos_error *compute(struct clrsos_session *session, const struct dumpmt_options *o,
				    struct dumpmt_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	struct clrsos_types *types = clrsos_heap_types(heap);
	uint64_t mt = o->mt.values[0];
	const struct clrsos_type *t = clrsos_types_get(types, mt);
	if (!t)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not a MethodTable (take one from dumpheap -stat or dumpobj)", mt);
	if ((err = clrsos_method_table_info_init(&r->info, dac, mt)))
		return err;
	r->name = clrsos_types_name(types, t);
	const struct clrsos_type *parent = r->info.parent ? clrsos_types_get(types, r->info.parent) : NULL;
	r->parent_name = parent ? clrsos_types_name(types, parent) : NULL;
	r->has_finalizer = (t->flags & MT_FLAG_HAS_FINALIZER) != 0;
	if (o->methods) {
		/* Kept: the text shows the rest, then the command fails with it. */
		r->methods_error = clrsos_method_list_init(&r->methods, dac, mt, r->info.methods);
		if (clrsos_error_is_no_memory(r->methods_error)) {
			r->methods_error = NULL;
			return &clrsos_error_no_memory;
		}
		r->have_methods = true;
	}
	return NULL;
}

static void render_methods_text(const struct clrsos_method_list *list, struct clrsos_writer *out)
{
	clrsos_out(out, "--------------------------------------\nMethodDesc Table\n");
	clrsos_outf(out, "%16s %16s %6s %s\n", "Entry", "MethodDesc", "JIT", "Name");
	for (size_t i = 0; i < list->count; i++) {
		const struct clrsos_method *m = &list->items[i];
		char unknown[48];
		snprintf(unknown, sizeof(unknown), m->token ? "<unknown: token 0x%08x>" : "<unknown>", m->token);
		struct clrsos_name_buf nb;
		clrsos_outf(out, "%016" PRIx64 " %016" PRIx64 " %6s %s\n", m->entry, m->method_desc,
			    m->has_code ? "JIT" : "NONE", m->name ? clrsos_safe_name(m->name, &nb) : unknown);
	}
}

static void render_text(const struct dumpmt_result *r, struct clrsos_writer *out)
{
	const struct clrsos_method_table_info *m = &r->info;
	clrsos_outf(out, "EEClass:             %016" PRIx64 "\n", m->eeclass);
	clrsos_outf(out, "Module:              %016" PRIx64 "\n", m->module);
	struct clrsos_name_buf nb;
	clrsos_outf(out, "Name:                %s\n", clrsos_safe_name(r->name, &nb));
	clrsos_outf(out, "mdToken:             %016x\n", m->token);
	clrsos_outf(out, "File:                %s\n", clrsos_safe_name(m->file ? m->file : "Unknown Module", &nb));
	clrsos_outf(out, "BaseSize:            0x%x\n", m->base_size);
	clrsos_outf(out, "ComponentSize:       0x%x\n", m->component_size);
	clrsos_outf(out, "DynamicStatics:      %s\n", m->is_dynamic ? "true" : "false");
	clrsos_outf(out, "ContainsPointers:    %s\n", m->contains_pointers ? "true" : "false");
	clrsos_outf(out, "HasFinalizer:        %s\n", r->has_finalizer ? "true" : "false");
	clrsos_outf(out, "Slots in VTable:     %u\n", m->vtable_slots);
	clrsos_outf(out, "Number of Methods:   %u\n", m->methods);
	clrsos_outf(out, "Number of IFaces in IFaceMap: %u\n", m->interfaces);
	clrsos_outf(out, "Parent MethodTable:  %016" PRIx64 " %s\n", m->parent,
		    r->parent_name ? clrsos_safe_name(r->parent_name, &nb) : "");
	if (m->have_field_counts)
		clrsos_outf(out, "Fields:              %u instance, %u static, %u thread static\n", m->instance_fields,
			    m->static_fields, m->thread_static_fields);
	else
		clrsos_out(out, "Fields:              (the runtime lists none for this type)\n");
	if (r->have_methods)
		render_methods_text(&r->methods, out);
}

static void render_json(const struct dumpmt_result *r, struct clrsos_writer *out)
{
	const struct clrsos_method_table_info *m = &r->info;
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "methodTable");
	clrsos_json_address(&j, m->mt);
	clrsos_json_key(&j, "eeClass");
	clrsos_json_address(&j, m->eeclass);
	clrsos_json_key(&j, "module");
	clrsos_json_address(&j, m->module);
	clrsos_json_key(&j, "name");
	clrsos_json_string(&j, r->name);
	clrsos_json_key(&j, "token");
	clrsos_json_uint(&j, m->token);
	clrsos_json_key(&j, "file");
	clrsos_json_string(&j, m->file);
	clrsos_json_key(&j, "baseSize");
	clrsos_json_uint(&j, m->base_size);
	clrsos_json_key(&j, "componentSize");
	clrsos_json_uint(&j, m->component_size);
	clrsos_json_key(&j, "parent");
	clrsos_json_address(&j, m->parent);
	clrsos_json_key(&j, "parentName");
	clrsos_json_string(&j, r->parent_name);
	clrsos_json_key(&j, "vtableSlots");
	clrsos_json_uint(&j, m->vtable_slots);
	clrsos_json_key(&j, "methods");
	clrsos_json_uint(&j, m->methods);
	clrsos_json_key(&j, "interfaces");
	clrsos_json_uint(&j, m->interfaces);
	clrsos_json_key(&j, "instanceFields");
	m->have_field_counts ? clrsos_json_uint(&j, m->instance_fields) : clrsos_json_null(&j);
	clrsos_json_key(&j, "staticFields");
	m->have_field_counts ? clrsos_json_uint(&j, m->static_fields) : clrsos_json_null(&j);
	clrsos_json_key(&j, "threadStaticFields");
	m->have_field_counts ? clrsos_json_uint(&j, m->thread_static_fields) : clrsos_json_null(&j);
	clrsos_json_key(&j, "containsPointers");
	clrsos_json_bool(&j, m->contains_pointers);
	clrsos_json_key(&j, "hasFinalizer");
	clrsos_json_bool(&j, r->has_finalizer);
	if (r->have_methods) {
		clrsos_json_key(&j, "methodDescs");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < r->methods.count; i++) {
			const struct clrsos_method *md = &r->methods.items[i];
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "entry");
			clrsos_json_address(&j, md->entry);
			clrsos_json_key(&j, "methodDesc");
			clrsos_json_address(&j, md->method_desc);
			clrsos_json_key(&j, "slot");
			clrsos_json_uint(&j, md->slot);
			clrsos_json_key(&j, "hasCode");
			clrsos_json_bool(&j, md->has_code);
			clrsos_json_key(&j, "name");
			clrsos_json_string(&j, md->name);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpmt(struct clrsos_session *session,
				       const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	struct dumpmt_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct dumpmt_result r;
	if (!(err = compute(session, &o, &r))) {
		if (o.json && !r.methods_error)
			render_json(&r, out);
		else if (!o.json)
			render_text(&r, out);
		err = r.methods_error; /* the command's error, after the text it could show */
	}
	clrsos_method_table_info_deinit(&r.info);
	clrsos_method_list_deinit(&r.methods);
	return err;
}
