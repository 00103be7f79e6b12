/*
 * dumpmt [-md] <MethodTable>: a type's MethodTable and, with -md, its
 * methods by slot; dumpclass <EEClass>: a type's class, attributes and
 * fields as SOS's DumpClass shows them. Parse, compute from the model,
 * render text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/heap.h"
#include "model/methods.h"
#include "model/objects.h"
#include "model/runtimedata.h"
#include "session/session.h"
#include "commands.h"
#include "fieldtable.h"

struct dumpmt_options {
	bool json, methods, all;
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
		CLRSOS_FLAG("-all", &o->all),
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
	if (o->all)
		o->methods = true; /* -all: the MethodDesc table, then the class's details */
	return err;
}

enum { MT_FLAG_HAS_FINALIZER = 0x00100000 };

struct dumpmt_result {
	struct clrsos_method_table_info info;
	const char *name;
	const char *parent_name; /* NULL: no parent, or not a type */
	bool has_finalizer;
	bool prefer_mt;          /* the runtime shows no EEClass (.NET 9+): info.eeclass is the canonical MethodTable */
	bool have_alc;           /* the runtime said which AssemblyLoadContext (alc 0: the default one, not created) */
	uint64_t alc;
	uint64_t loader_allocator; /* a collectible type's LoaderAllocator object (0: none) */
	bool have_fields;        /* -all: the field table */
	struct clrsos_field_table fields;
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
	/* As SOS: the low two bits (the GC's marks in an object's first word) are dropped. */
	uint64_t mt = o->mt.values[0] & ~(uint64_t)3;
	const struct clrsos_type *t = clrsos_types_get(types, mt);
	if (!t)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not a MethodTable (take one from dumpheap -stat or dumpobj)",
					   o->mt.values[0]);
	if ((err = clrsos_method_table_info_init(&r->info, dac, mt)))
		return err;
	r->name = clrsos_types_name(types, t);
	const struct clrsos_type *parent = r->info.parent ? clrsos_types_get(types, r->info.parent) : NULL;
	r->parent_name = parent ? clrsos_types_name(types, parent) : NULL;
	r->has_finalizer = (t->flags & MT_FLAG_HAS_FINALIZER) != 0;
	uint64_t canonical = 0;
	if ((err = clrsos_eeclass_canonical(dac, r->info.eeclass, &canonical, &r->prefer_mt)))
		return err;
	err = clrsos_assembly_load_context_read(dac, mt, &r->alc);
	r->have_alc = !err;
	if ((err = clrsos_error_ignore(err)))
		return err;
	if ((err = clrsos_loader_allocator_read(dac, clrsos_session_target(session), mt, &r->loader_allocator)))
		return err;
	if (o->all && r->info.have_field_counts && r->info.instance_fields + r->info.static_fields > 0) {
		if ((err = clrsos_field_table_init(&r->fields, heap, dac, mt, 0, true)))
			return err;
		r->have_fields = true;
	}
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

/* SOS's MethodDesc Table (its %p columns: upper-case hex). */
static void render_methods_text(const struct clrsos_method_list *list, struct clrsos_writer *out)
{
	clrsos_out(out, "--------------------------------------\nMethodDesc Table\n");
	clrsos_outf(out, "%16s %16s %6s %-16s %s\n", "Entry", "MethodDesc", "JIT", "Slot", "Name");
	for (size_t i = 0; i < list->count; i++) {
		const struct clrsos_method *m = &list->items[i];
		char unknown[48];
		snprintf(unknown, sizeof(unknown), m->token ? "<unknown: token 0x%08x>" : "<unknown>", m->token);
		struct clrsos_name_buf nb;
		clrsos_outf(out, "%016" PRIX64 " %016" PRIX64 " %6s %016" PRIX32 " %s\n", m->entry, m->method_desc,
			    m->has_code ? "JIT" : "NONE", m->slot, m->name ? clrsos_safe_name(m->name, &nb) : unknown);
	}
}

static void render_class_details(const struct clrsos_method_table_info *m, const struct clrsos_field_table *fields,
				 struct clrsos_writer *out);

/*
 * SOS 10's DumpMT: Parent, then the canonical MethodTable where the runtime
 * shows no EEClass (.NET 9+; only if it is another) or the EEClass; the
 * Module, EEClass and objects in upper-case hex, the MethodTables in
 * lower-case, as SOS prints them.
 */
static void render_text(const struct dumpmt_result *r, bool all, struct clrsos_writer *out)
{
	const struct clrsos_method_table_info *m = &r->info;
	clrsos_outf(out, "Parent:              %016" PRIx64 "\n", m->parent);
	if (!r->prefer_mt)
		clrsos_outf(out, "EEClass:             %016" PRIX64 "\n", m->eeclass);
	else if (m->eeclass && m->eeclass != m->mt)
		clrsos_outf(out, "Canonical:           %016" PRIx64 "\n", m->eeclass);
	clrsos_outf(out, "Module:              %016" PRIX64 "\n", m->module);
	struct clrsos_name_buf nb;
	clrsos_outf(out, "Name:                %s\n", clrsos_safe_name(r->name, &nb));
	clrsos_outf(out, "mdToken:             %016" PRIX32 "\n", m->token);
	clrsos_outf(out, "File:                %s\n", clrsos_safe_name(m->file ? m->file : "Unknown Module", &nb));
	if (r->loader_allocator)
		clrsos_outf(out, "LoaderAllocator:     %016" PRIX64 "\n", r->loader_allocator);
	if (r->have_alc && r->alc)
		clrsos_outf(out, "AssemblyLoadContext: %016" PRIX64 "\n", r->alc);
	else if (r->have_alc)
		clrsos_out(out, "AssemblyLoadContext: Default ALC - The managed instance of this context doesn't exist yet.\n");
	clrsos_outf(out, "BaseSize:            0x%x\n", m->base_size);
	if (m->component_size)
		clrsos_outf(out, "ComponentSize:       0x%x\n", m->component_size);
	clrsos_outf(out, "Has GC Pointers:     %s\n", m->contains_pointers ? "true" : "false");
	clrsos_outf(out, "Number of Methods:   %u\n", m->methods);
	clrsos_outf(out, "Number of IFaces in IFaceMap: %u\n", m->interfaces);
	if (r->have_methods)
		render_methods_text(&r->methods, out);
	if (all) {
		clrsos_out(out, "--------------------------------------\nAdditional Details\n");
		render_class_details(m, r->have_fields ? &r->fields : NULL, out);
	}
}

/* instanceFields, staticFields, threadStaticFields: null where the runtime lists no fields. */
static void json_field_counts(struct clrsos_json *j, const struct clrsos_method_table_info *m)
{
	const char *const keys[] = {"instanceFields", "staticFields", "threadStaticFields"};
	const uint32_t values[] = {m->instance_fields, m->static_fields, m->thread_static_fields};
	for (size_t i = 0; i < 3; i++) {
		clrsos_json_key(j, keys[i]);
		m->have_field_counts ? clrsos_json_uint(j, values[i]) : clrsos_json_null(j);
	}
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
	json_field_counts(&j, m);
	clrsos_json_key(&j, "containsPointers");
	clrsos_json_bool(&j, m->contains_pointers);
	clrsos_json_key(&j, "hasFinalizer");
	clrsos_json_bool(&j, r->has_finalizer);
	clrsos_json_key(&j, "dynamicStatics");
	clrsos_json_bool(&j, m->is_dynamic);
	clrsos_json_key(&j, "eeClassIsCanonicalMethodTable");
	clrsos_json_bool(&j, r->prefer_mt);
	clrsos_json_key(&j, "canonicalMethodTable");
	r->prefer_mt ? clrsos_json_address(&j, m->eeclass) : clrsos_json_null(&j);
	clrsos_json_key(&j, "loaderAllocator");
	r->loader_allocator ? clrsos_json_address(&j, r->loader_allocator) : clrsos_json_null(&j);
	clrsos_json_key(&j, "assemblyLoadContext");
	r->have_alc ? clrsos_json_address(&j, r->alc) : clrsos_json_null(&j);
	if (r->have_fields)
		clrsos_field_table_render_json(&r->fields, &j);
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
			render_text(&r, o.all, out);
		err = r.methods_error; /* the command's error, after the text it could show */
	}
	if (r.have_fields)
		clrsos_field_table_deinit(&r.fields);
	clrsos_method_table_info_deinit(&r.info);
	clrsos_method_list_deinit(&r.methods);
	return err;
}

/* dumpclass: what SOS's DumpClass shows of a class. */
enum {
	TD_INTERFACE = 0x20,
	TD_ABSTRACT = 0x80,
	TD_SEALED = 0x100,
	TD_IMPORT = 0x1000,
};

struct dumpclass_result {
	uint64_t eeclass;
	bool prefer_mt;          /* the runtime has no EEClass to show: the address is the canonical MethodTable */
	struct clrsos_method_table_info info;
	const char *name;
	uint64_t parent_eeclass; /* the parent's EEClass (0: no parent) */
	struct clrsos_field_table fields;
	bool have_fields;
};

static struct clrsos_error *dumpclass_compute(struct clrsos_session *session, uint64_t eeclass,
					      struct dumpclass_result *r)
{
	memset(r, 0, sizeof(*r));
	r->eeclass = eeclass;
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	uint64_t mt = 0;
	err = clrsos_eeclass_canonical(dac, eeclass, &mt, &r->prefer_mt);
	struct clrsos_types *types = clrsos_heap_types(heap);
	const struct clrsos_type *t = mt ? clrsos_types_get(types, mt) : NULL;
	if (!err && !t)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not an EEClass (dumpmd prints one as Class, dumpmt as EEClass)",
					   eeclass);
	if (err || (err = clrsos_method_table_info_init(&r->info, dac, mt)))
		return err;
	r->name = clrsos_types_name(types, t);
	if (r->info.parent && (err = clrsos_method_table_eeclass(dac, r->info.parent, &r->parent_eeclass)))
		return err;
	if (r->info.have_field_counts && r->info.instance_fields + r->info.static_fields > 0) {
		if ((err = clrsos_field_table_init(&r->fields, heap, dac, mt, 0, true)))
			return err;
		r->have_fields = true;
	}
	return NULL;
}

static void dumpclass_text(const struct dumpclass_result *r, struct clrsos_writer *out)
{
	const struct clrsos_method_table_info *m = &r->info;
	struct clrsos_name_buf nb;
	clrsos_outf(out, "Class Name:      %s\n", clrsos_safe_name(r->name, &nb));
	clrsos_outf(out, "mdToken:         %016" PRIX32 "\n", m->token);
	clrsos_outf(out, "File:            %s\n", m->file ? clrsos_safe_name(m->file, &nb) : "");
	if (r->prefer_mt)
		clrsos_outf(out, "Parent:    %016" PRIx64 "\n", m->parent);
	else
		clrsos_outf(out, "Parent Class:    %016" PRIx64 "\n", r->parent_eeclass);
	clrsos_outf(out, "Module:          %016" PRIx64 "\n", m->module);
	clrsos_outf(out, "Method Table:    %016" PRIx64 "\n", m->mt);
	if (r->prefer_mt && m->mt != m->eeclass)
		clrsos_outf(out, "Canonical:    %016" PRIx64 "\n", m->eeclass);
	render_class_details(m, r->have_fields ? &r->fields : NULL, out);
}

/* SOS's class details (DumpClass's tail, DumpMT -all's Additional Details); fields NULL: none to list. */
static void render_class_details(const struct clrsos_method_table_info *m, const struct clrsos_field_table *fields,
				 struct clrsos_writer *out)
{
	clrsos_outf(out, "Class Attributes:    %08" PRIx32 "  ", m->attributes);
	static const struct {
		uint32_t flag;
		const char *name;
	} attrs[] = {{TD_INTERFACE, "Interface "}, {TD_ABSTRACT, "Abstract "}, {TD_IMPORT, "ComImport "}, {TD_SEALED, "Sealed "}};
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (m->attributes & attrs[i].flag)
			clrsos_out(out, attrs[i].name);
	clrsos_out(out, "\n");
	if (m->virtuals)
		clrsos_outf(out, "Vtable Slots:    %u\n", m->virtuals);
	if (m->vtable_slots)
		clrsos_outf(out, "Total Method Slots:  %u\n", m->vtable_slots);
	if (!m->have_field_counts)
		return;
	clrsos_outf(out, "NumInstanceFields:   %u\n", m->instance_fields);
	clrsos_outf(out, "NumStaticFields:     %u\n", m->static_fields);
	if (m->thread_static_fields)
		clrsos_outf(out, "NumThreadStaticFields: %u\n", m->thread_static_fields);
	if (fields)
		clrsos_field_table_render_rows(fields, out);
}

static void dumpclass_json(const struct dumpclass_result *r, struct clrsos_writer *out)
{
	const struct clrsos_method_table_info *m = &r->info;
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "eeClass");
	clrsos_json_address(&j, r->eeclass);
	clrsos_json_key(&j, "isCanonicalMethodTable");
	clrsos_json_bool(&j, r->prefer_mt);
	clrsos_json_key(&j, "name");
	clrsos_json_string(&j, r->name);
	clrsos_json_key(&j, "token");
	clrsos_json_uint(&j, m->token);
	clrsos_json_key(&j, "file");
	clrsos_json_string(&j, m->file);
	clrsos_json_key(&j, "parent");
	clrsos_json_address(&j, m->parent);
	clrsos_json_key(&j, "parentEEClass");
	clrsos_json_address(&j, r->parent_eeclass);
	clrsos_json_key(&j, "module");
	clrsos_json_address(&j, m->module);
	clrsos_json_key(&j, "methodTable");
	clrsos_json_address(&j, m->mt);
	clrsos_json_key(&j, "attributes");
	clrsos_json_uint(&j, m->attributes);
	clrsos_json_key(&j, "vtableSlots");
	clrsos_json_uint(&j, m->virtuals);
	clrsos_json_key(&j, "totalMethodSlots");
	clrsos_json_uint(&j, m->vtable_slots);
	json_field_counts(&j, m);
	if (r->have_fields) {
		clrsos_field_table_render_json(&r->fields, &j);
	} else {
		clrsos_json_key(&j, "fields");
		clrsos_json_array_begin(&j);
		clrsos_json_array_end(&j);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpclass(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_address_operands a;
	struct clrsos_error *err =
		clrsos_parse_one_address("dumpclass", "an EEClass", host, argc, argv, NULL, NULL, &json, &a);
	if (err)
		return err;
	struct dumpclass_result r;
	if (!(err = dumpclass_compute(session, a.values[0], &r))) {
		if (json)
			dumpclass_json(&r, out);
		else
			dumpclass_text(&r, out);
	}
	if (r.have_fields)
		clrsos_field_table_deinit(&r.fields);
	clrsos_method_table_info_deinit(&r.info);
	return err;
}
