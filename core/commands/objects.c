/*
 * dumpobj, dumpvc and dumparray: one object, one value, one array, with the
 * fields of each (fieldtable.h). Each parses its argv, computes a result
 * from the model and renders it as SOS's text or as JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clrstring.h"
#include "model/fields.h"
#include "model/heap.h"
#include "model/objects.h"
#include "commands.h"
#include "base/vector.h"
#include "fieldtable.h"

static const char *element_short_name(uint32_t et)
{
	const char *n = clrsos_element_name(et);
	if (!n)
		return "Unknown";
	return strncmp(n, "System.", 7) == 0 ? n + 7 : n;
}

/* dumpobj ----------------------------------------------------------------- */

struct dumpobj_options {
	bool json, nofields, refs;
	struct clrsos_address_operands address;
};

static struct clrsos_error *dumpobj_parse(const struct clrsos_host *host, int argc, const char *const *argv,
					  struct dumpobj_options *o)
{
	memset(o, 0, sizeof(*o));
	o->address.command = "dumpobj";
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-nofields", &o->nofields),
		CLRSOS_FLAG("-refs", &o->refs),
	};
	const struct clrsos_options spec = {
		.command = "dumpobj",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = &o->address,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->address.count)
		err = clrsos_address_missing("dumpobj", "an object");
	return err;
}

/* An object the object refers to, as SOS's GC Refs table shows it. */
struct dumpobj_ref {
	uint64_t offset;  /* from the object's data (past its MethodTable word), as ClrMD counts it */
	uint64_t address;
	const char *type; /* "<not an object>" if it is none */
	char field[256];  /* the field that holds it, "outer.inner" within structs; empty for an array element */
};

struct dumpobj_result {
	uint64_t address;
	uint64_t mt;
	const char *name;
	bool is_free, is_string;
	struct clrsos_object_data object;
	struct clrsos_method_table_info type;
	struct clrsos_string_text string; /* is_string: its first chars */
	bool have_fields;
	struct clrsos_field_table fields;
	bool have_refs;
	struct dumpobj_ref *refs;
	size_t ref_count, ref_cap;
	struct clrsos_error *refs_error; /* the object's memory could not be read */
	struct clrsos_thin_lock lock;
};

enum { DUMPOBJ_STRING_SHOWN = 4096 };

struct ref_ctx {
	struct dumpobj_result *r;
	struct clrsos_types *types;
	struct clrsos_target *target;
	bool oom;
};

static void add_ref(void *ctx, uint64_t offset, uint64_t ref)
{
	struct ref_ctx *c = ctx;
	struct dumpobj_result *r = c->r;
	if (c->oom)
		return;
	if (clrsos_array_reserve(&r->refs, &r->ref_cap, r->ref_count + 1)) {
		c->oom = true;
		return;
	}
	uint64_t mt = 0;
	const struct clrsos_type *t = NULL;
	struct clrsos_error *err = clrsos_target_read_u64(c->target, ref, &mt);
	if (!err)
		t = clrsos_types_get(c->types, mt & ~(uint64_t)7);
	clrsos_error_destroy(err);
	struct dumpobj_ref *d = &r->refs[r->ref_count++];
	memset(d, 0, sizeof(*d));
	d->offset = offset >= 8 ? offset - 8 : 0;
	d->address = ref;
	d->type = t ? clrsos_types_name(c->types, t) : "<not an object>";
}

/*
 * The instance field of fields that holds offset (from the data's start):
 * the one at or nearest below it, as ClrMD finds it; NULL if none.
 */
static const struct clrsos_field *field_at(const struct clrsos_fields *fields, uint64_t offset)
{
	const struct clrsos_field *best = NULL;
	for (size_t i = 0; i < fields->count; i++) {
		const struct clrsos_field *f = &fields->items[i];
		if (f->is_static || f->offset > offset)
			continue;
		if (!best || f->offset > best->offset)
			best = f;
	}
	return best;
}

/*
 * The name of the field holding offset among the instance fields of a
 * type (top): into embedded structs as "outer.inner", each struct's fields
 * read from the model (at most 8 deep). Empty when the type has no such field.
 */
static struct clrsos_error *ref_field_name(struct clrsos_dac *dac, struct clrsos_types *types,
					   const struct clrsos_fields *top, uint64_t offset, char *buf, size_t size)
{
	buf[0] = 0;
	size_t used = 0;
	const struct clrsos_fields *fields = top;
	struct clrsos_fields inner = {NULL, 0};
	for (int depth = 0; depth < 8; depth++) {
		const struct clrsos_field *f = field_at(fields, offset);
		if (!f)
			break;
		int n = snprintf(buf + used, size - used, "%s%s", used ? "." : "", f->name);
		used = n < 0 || (size_t)n >= size - used ? size - 1 : used + (size_t)n;
		offset -= f->offset;
		uint64_t mt = f->element_type == CLRSOS_ELEMENT_VALUETYPE ? f->type_mt : 0;
		clrsos_fields_deinit(&inner); /* f is not used after this */
		if (!mt)
			break;
		struct clrsos_error *err = clrsos_fields_init(dac, types, mt, &inner);
		if (clrsos_error_is_no_memory(err))
			return err;
		if (err) { /* the rest of the name is unknown */
			clrsos_error_destroy(err);
			return NULL;
		}
		fields = &inner;
	}
	clrsos_fields_deinit(&inner);
	return NULL;
}

static struct clrsos_error *dumpobj_refs(struct dumpobj_result *r, struct clrsos_heap *heap, struct clrsos_dac *dac,
					 const struct clrsos_type *type)
{
	struct ref_ctx c = {r, clrsos_heap_types(heap), clrsos_heap_target(heap), false};
	uint64_t size = clrsos_object_size(type, type->component_size ? (uint32_t)r->object.length : 0);
	uint8_t *bytes = malloc((size_t)size);
	if (!bytes)
		return &clrsos_error_no_memory;
	r->have_refs = true;
	struct clrsos_error *err = clrsos_target_read(c.target, r->address, bytes, (size_t)size);
	if (!err)
		clrsos_types_for_each_ref_at(c.types, type, bytes, size, add_ref, &c);
	free(bytes);
	if (c.oom || clrsos_error_is_no_memory(err)) {
		clrsos_error_destroy(err);
		return &clrsos_error_no_memory;
	}
	r->refs_error = err;
	if (type->is_array || !r->ref_count)
		return NULL; /* an array's elements have no field names */
	struct clrsos_fields top;
	if ((err = clrsos_fields_init(dac, c.types, type->mt, &top))) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err); /* the refs without their field names */
		return NULL;
	}
	for (size_t i = 0; i < r->ref_count && !err; i++)
		err = ref_field_name(dac, c.types, &top, r->refs[i].offset, r->refs[i].field, sizeof(r->refs[i].field));
	clrsos_fields_deinit(&top);
	return err;
}

static void dumpobj_result_deinit(struct dumpobj_result *r)
{
	clrsos_method_table_info_deinit(&r->type);
	clrsos_string_text_deinit(&r->string);
	clrsos_field_table_deinit(&r->fields);
	free(r->refs);
	clrsos_error_destroy(r->refs_error);
	memset(r, 0, sizeof(*r));
}

static struct clrsos_error *dumpobj_compute(struct clrsos_session *session, const struct dumpobj_options *o,
					    struct dumpobj_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	uint64_t address = o->address.values[0];
	const struct clrsos_type *type = NULL;
	if ((err = clrsos_heap_object_at(heap, address, &type, NULL)))
		return err;
	r->address = address;
	r->mt = type->mt;
	r->name = clrsos_types_name(clrsos_heap_types(heap), type);
	r->is_free = type->is_free;
	r->is_string = type->is_string;
	if ((err = clrsos_object_data_read(dac, address, &r->object)) ||
	    (err = clrsos_method_table_info_init(&r->type, dac, type->mt)))
		return err;
	if (r->is_free && !o->json)
		return NULL; /* the text shows a free object's size only */
	if (type->is_string) {
		if ((err = clrsos_string_text_init(&r->string, heap, address, DUMPOBJ_STRING_SHOWN)))
			return err;
		if (r->string.unreadable) {
			err = clrsos_error_create(CLRSOS_ERROR_FAULT, "the chars of the string at 0x%" PRIx64
						  " are unreadable from the %u-th", address, r->string.count);
			if (err->code == CLRSOS_ERROR_FAULT)
				err->address = address + CLRSOS_STRING_CHARS_OFFSET + 2ull * r->string.count;
			return err;
		}
	}
	if (!o->nofields && !type->is_array) {
		if ((err = clrsos_field_table_init(&r->fields, heap, dac, type->mt, address, true)))
			return err;
		r->have_fields = true;
	}
	if (o->refs && (err = dumpobj_refs(r, heap, dac, type)))
		return err;
	return clrsos_object_thin_lock(dac, clrsos_heap_target(heap), address, &r->lock);
}

/*
 * SOS's GC Refs table: Field left-aligned as wide as its widest name,
 * Offset (0x..) right-aligned, Object 16 wide, Type.
 */
static void dumpobj_refs_render_text(const struct dumpobj_result *r, struct clrsos_writer *out)
{
	if (r->refs_error) { /* not "none": the object's memory could not be read */
		clrsos_outf(out, "GC Refs: <not readable: %s>\n", r->refs_error->message);
		return;
	}
	if (!r->ref_count) {
		clrsos_out(out, "GC Refs: none\n");
		return;
	}
	int field_width = 5, offset_width = 6;
	struct clrsos_name_buf nb;
	for (size_t i = 0; i < r->ref_count; i++) {
		char off[24];
		int n = snprintf(off, sizeof(off), "0x%02" PRIx64, r->refs[i].offset);
		if (n > offset_width)
			offset_width = n;
		n = (int)strlen(clrsos_safe_name(r->refs[i].field, &nb));
		if (n > field_width)
			field_width = n;
	}
	clrsos_out(out, "GC Refs:\n");
	clrsos_outf(out, "%-*s %*s %16s %s\n", field_width, "Field", offset_width, "Offset", "Object", "Type");
	for (size_t i = 0; i < r->ref_count; i++) {
		const struct dumpobj_ref *d = &r->refs[i];
		char off[24], obj[24];
		snprintf(off, sizeof(off), "0x%02" PRIx64, d->offset);
		snprintf(obj, sizeof(obj), "%012" PRIx64, d->address);
		clrsos_outf(out, "%-*s %*s %16s ", field_width, clrsos_safe_name(d->field, &nb), offset_width, off,
			    obj);
		clrsos_out_name(out, d->type);
		clrsos_out(out, "\n");
	}
}

static void dumpobj_render_text(const struct dumpobj_result *r, struct clrsos_writer *out)
{
	if (r->is_free) {
		clrsos_outf(out, "Free Object\nSize:        %" PRIu64 "(0x%" PRIx64 ") bytes\n", r->object.size,
			    r->object.size);
		return;
	}
	clrsos_out(out, "Name:        ");
	clrsos_out_name(out, r->name);
	clrsos_outf(out, "\nMethodTable: %016" PRIx64 "\n", r->mt);
	clrsos_outf(out, "EEClass:     %016" PRIx64 "\n", r->type.eeclass);
	clrsos_outf(out, "Size:        %" PRIu64 "(0x%" PRIx64 ") bytes\n", r->object.size, r->object.size);
	if (r->object.is_array) {
		clrsos_outf(out, "Array:       Rank %u, Number of elements %" PRIu64 ", Type %s\n", r->object.rank,
			    r->object.length, element_short_name(r->object.element_type));
	} else {
		clrsos_out(out, "File:        ");
		clrsos_out_name(out, r->type.file ? r->type.file : "Unknown Module");
		clrsos_out(out, "\n");
	}
	if (r->is_string && r->string.valid) {
		clrsos_out(out, "String:      ");
		clrsos_string_text_render(&r->string, CLRSOS_TEXT_ESCAPED, out);
		clrsos_out(out, r->string.count < r->string.length ? "... (use dumpstring for all of it)\n" : "\n");
	}
	if (r->have_fields)
		clrsos_field_table_render_text(&r->fields, out);
	if (r->lock.held)
		clrsos_outf(out, "ThinLock owner %x (%016" PRIx64 "), Recursive %x\n", r->lock.thread_id,
			    r->lock.thread, r->lock.recursion);
	if (r->have_refs)
		dumpobj_refs_render_text(r, out);
}

static void dumpobj_render_json(const struct dumpobj_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, r->address);
	clrsos_json_key(&j, "name");
	clrsos_json_string(&j, r->is_free ? "Free" : r->name);
	clrsos_json_key(&j, "methodTable");
	clrsos_json_address(&j, r->mt);
	clrsos_json_key(&j, "eeClass");
	clrsos_json_address(&j, r->type.eeclass);
	clrsos_json_key(&j, "size");
	clrsos_json_uint(&j, r->object.size);
	clrsos_json_key(&j, "file");
	clrsos_json_string(&j, r->type.file);
	if (r->object.is_array) {
		clrsos_json_key(&j, "array");
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "rank");
		clrsos_json_uint(&j, r->object.rank);
		clrsos_json_key(&j, "length");
		clrsos_json_uint(&j, r->object.length);
		clrsos_json_key(&j, "elementType");
		clrsos_json_string(&j, element_short_name(r->object.element_type));
		clrsos_json_key(&j, "elementMethodTable");
		clrsos_json_address(&j, r->object.element_mt);
		clrsos_json_object_end(&j);
	}
	if (r->is_string && r->string.valid) {
		clrsos_json_key(&j, "string");
		struct clrsos_json_stream s;
		clrsos_json_string_begin(&j, &s);
		clrsos_string_text_render(&r->string, CLRSOS_TEXT_JSON, s.raw);
		clrsos_json_string_end(&s);
	}
	if (r->have_fields)
		clrsos_field_table_render_json(&r->fields, &j);
	if (r->have_refs) {
		clrsos_json_key(&j, "references");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < r->ref_count; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "field");
			if (r->refs[i].field[0])
				clrsos_json_string(&j, r->refs[i].field);
			else
				clrsos_json_null(&j);
			clrsos_json_key(&j, "offset");
			clrsos_json_uint(&j, r->refs[i].offset);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, r->refs[i].address);
			clrsos_json_key(&j, "type");
			clrsos_json_string(&j, r->refs[i].type);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		if (r->refs_error) {
			clrsos_json_key(&j, "referencesError");
			clrsos_json_string(&j, r->refs_error->message);
		}
	}
	clrsos_json_key(&j, "thinLock");
	if (r->lock.held) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "threadId");
		clrsos_json_uint(&j, r->lock.thread_id);
		clrsos_json_key(&j, "thread");
		clrsos_json_address(&j, r->lock.thread);
		clrsos_json_key(&j, "recursion");
		clrsos_json_uint(&j, r->lock.recursion);
		clrsos_json_object_end(&j);
	} else {
		clrsos_json_null(&j);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpobj(struct clrsos_session *session,
					const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct dumpobj_options o;
	struct clrsos_error *err = dumpobj_parse(host, argc, argv, &o);
	if (err)
		return err;
	struct dumpobj_result r;
	if (!(err = dumpobj_compute(session, &o, &r))) {
		if (o.json)
			dumpobj_render_json(&r, out);
		else
			dumpobj_render_text(&r, out);
	}
	dumpobj_result_deinit(&r);
	return err;
}

/* dumpvc ------------------------------------------------------------------ */

struct dumpvc_options {
	bool json;
	struct clrsos_address_operands operands; /* the MethodTable, the value's address */
};

static struct clrsos_error *dumpvc_parse(const struct clrsos_host *host, int argc, const char *const *argv,
					 struct dumpvc_options *o)
{
	memset(o, 0, sizeof(*o));
	o->operands.command = "dumpvc";
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
	};
	const struct clrsos_options spec = {
		.command = "dumpvc",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 2,
		.operand = clrsos_address_operands_add,
		.ctx = &o->operands,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && o->operands.count < 2)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "dumpvc needs <MethodTable> <address>");
	return err;
}

/* The type at mt, or an error saying mt is not a MethodTable. */
static struct clrsos_error *method_table_at(struct clrsos_heap *heap, uint64_t mt, const struct clrsos_type **ret)
{
	*ret = clrsos_types_get(clrsos_heap_types(heap), mt);
	if (!*ret)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not a MethodTable (take one from dumpheap -stat or dumpobj)", mt);
	return NULL;
}

struct dumpvc_result {
	uint64_t mt, address;
	const char *name;
	struct clrsos_method_table_info type;
	uint32_t size; /* the value's data: a boxed one's base size less the header and MethodTable words */
	struct clrsos_field_table fields;
};

static struct clrsos_error *dumpvc_compute(struct clrsos_session *session, const struct dumpvc_options *o,
					   struct dumpvc_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	r->mt = o->operands.values[0];
	r->address = o->operands.values[1];
	const struct clrsos_type *t;
	if ((err = method_table_at(heap, r->mt, &t)) || (err = clrsos_method_table_info_init(&r->type, dac, r->mt)))
		return err;
	r->name = clrsos_types_name(clrsos_heap_types(heap), t);
	r->size = r->type.base_size > 16 ? r->type.base_size - 16 : r->type.base_size;
	return clrsos_field_table_init(&r->fields, heap, dac, r->mt, r->address, false);
}

static void dumpvc_render_text(const struct dumpvc_result *r, struct clrsos_writer *out)
{
	clrsos_out(out, "Name:        ");
	clrsos_out_name(out, r->name);
	clrsos_outf(out, "\nMethodTable: %016" PRIx64 "\n", r->mt);
	clrsos_outf(out, "EEClass:     %016" PRIx64 "\n", r->type.eeclass);
	clrsos_outf(out, "Size:        %u(0x%x) bytes\n", r->size, r->size);
	clrsos_out(out, "File:        ");
	clrsos_out_name(out, r->type.file ? r->type.file : "Unknown Module");
	clrsos_out(out, "\n");
	clrsos_field_table_render_text(&r->fields, out);
}

static void dumpvc_render_json(const struct dumpvc_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, r->address);
	clrsos_json_key(&j, "name");
	clrsos_json_string(&j, r->name);
	clrsos_json_key(&j, "methodTable");
	clrsos_json_address(&j, r->mt);
	clrsos_json_key(&j, "size");
	clrsos_json_uint(&j, r->size);
	clrsos_json_key(&j, "file");
	clrsos_json_string(&j, r->type.file);
	clrsos_field_table_render_json(&r->fields, &j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpvc(struct clrsos_session *session,
				       const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	struct dumpvc_options o;
	struct clrsos_error *err = dumpvc_parse(host, argc, argv, &o);
	if (err)
		return err;
	struct dumpvc_result r;
	if (!(err = dumpvc_compute(session, &o, &r))) {
		if (o.json)
			dumpvc_render_json(&r, out);
		else
			dumpvc_render_text(&r, out);
	}
	clrsos_method_table_info_deinit(&r.type);
	clrsos_field_table_deinit(&r.fields);
	return err;
}

/* dumparray --------------------------------------------------------------- */

struct dumparray_options {
	bool json, details;
	uint64_t start, length;
	const char *start_text; /* -start as typed, to quote */
	struct clrsos_address_operands address;
};

static struct clrsos_error *dumparray_parse(const struct clrsos_host *host, int argc, const char *const *argv,
					    struct dumparray_options *o)
{
	memset(o, 0, sizeof(*o));
	o->length = UINT64_MAX;
	o->address.command = "dumparray";
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-details", &o->details),
		CLRSOS_UINT("-start", &o->start, .text = &o->start_text),
		CLRSOS_UINT("-length", &o->length),
	};
	const struct clrsos_options spec = {
		.command = "dumparray",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = &o->address,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->address.count)
		err = clrsos_address_missing("dumparray", "an array");
	return err;
}

/* The array's header, computed before its elements. */
struct dumparray_result {
	uint64_t address, mt;
	const char *name;
	struct clrsos_object_data object;
	struct clrsos_method_table_info type;
	uint64_t start, end; /* the elements shown: [start, end) */
};

/* One element, handed to the renderer as it is computed. */
struct dumparray_element {
	char index[128]; /* "[3]", "[1][2]" */
	char value[64];
	bool null_ref;
	const struct clrsos_field_table *fields; /* -details on a struct element, else NULL */
};

struct dumparray_renderer {
	void (*begin)(struct dumparray_renderer *self, const struct dumparray_result *r);
	void (*element)(struct dumparray_renderer *self, const struct dumparray_element *e);
	void (*end)(struct dumparray_renderer *self);
	struct clrsos_writer *out;
	struct clrsos_json j;
};

static void dumparray_text_begin(struct dumparray_renderer *self, const struct dumparray_result *r)
{
	struct clrsos_writer *out = self->out;
	clrsos_out(out, "Name:        ");
	clrsos_out_name(out, r->name);
	clrsos_outf(out, "\nMethodTable: %016" PRIx64 "\n", r->mt);
	clrsos_outf(out, "EEClass:     %016" PRIx64 "\n", r->type.eeclass);
	clrsos_outf(out, "Size:        %" PRIu64 "(0x%" PRIx64 ") bytes\n", r->object.size, r->object.size);
	clrsos_outf(out, "Array:       Rank %u, Number of elements %" PRIu64 ", Type %s\n", r->object.rank,
		    r->object.length, element_short_name(r->object.element_type));
	clrsos_outf(out, "Element Methodtable: %016" PRIx64 "\n", r->object.element_mt);
}

static void dumparray_text_element(struct dumparray_renderer *self, const struct dumparray_element *e)
{
	clrsos_outf(self->out, "%s %s\n", e->index, e->null_ref ? "null" : e->value);
	if (e->fields)
		clrsos_field_table_render_text(e->fields, self->out);
}

static void dumparray_text_end(struct dumparray_renderer *self)
{
	(void)self;
}

static void dumparray_json_begin(struct dumparray_renderer *self, const struct dumparray_result *r)
{
	struct clrsos_json *j = &self->j;
	clrsos_json_init(j, self->out);
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "address");
	clrsos_json_address(j, r->address);
	clrsos_json_key(j, "name");
	clrsos_json_string(j, r->name);
	clrsos_json_key(j, "methodTable");
	clrsos_json_address(j, r->mt);
	clrsos_json_key(j, "size");
	clrsos_json_uint(j, r->object.size);
	clrsos_json_key(j, "rank");
	clrsos_json_uint(j, r->object.rank);
	clrsos_json_key(j, "length");
	clrsos_json_uint(j, r->object.length);
	clrsos_json_key(j, "elementType");
	clrsos_json_string(j, element_short_name(r->object.element_type));
	clrsos_json_key(j, "elementMethodTable");
	clrsos_json_address(j, r->object.element_mt);
	clrsos_json_key(j, "elements");
	clrsos_json_array_begin(j);
}

static void dumparray_json_element(struct dumparray_renderer *self, const struct dumparray_element *e)
{
	struct clrsos_json *j = &self->j;
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "index");
	clrsos_json_string(j, e->index);
	clrsos_json_key(j, "value");
	if (e->null_ref)
		clrsos_json_null(j);
	else
		clrsos_json_string(j, e->value);
	if (e->fields)
		clrsos_field_table_render_json(e->fields, j);
	clrsos_json_object_end(j);
}

static void dumparray_json_end(struct dumparray_renderer *self)
{
	clrsos_json_array_end(&self->j);
	clrsos_json_object_end(&self->j);
	clrsos_json_end(&self->j);
}

/* Element i's index: [i], or [i][j]... in a multi-dimensional array of these lengths. */
static void element_index(uint64_t i, const uint32_t *dims, uint32_t rank, char *index, size_t size)
{
	if (rank <= 1) {
		snprintf(index, size, "[%" PRIu64 "]", i);
		return;
	}
	uint64_t rest = i;
	char *o = index + size;
	*--o = '\0';
	for (uint32_t d = rank; d-- > 0;) {
		char part[24];
		uint64_t len = dims[d] ? dims[d] : 1;
		int k = snprintf(part, sizeof(part), "[%" PRIu64 "]", rest % len);
		rest /= len;
		o -= k;
		memcpy(o, part, (size_t)k);
	}
	memmove(index, o, strlen(o) + 1);
}

/* The header, then each element streamed to the renderer as it is read. */
static struct clrsos_error *dumparray_compute(struct clrsos_session *session, const struct dumparray_options *o,
					      struct dumparray_renderer *render)
{
	struct dumparray_result r;
	memset(&r, 0, sizeof(r));
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	struct clrsos_target *target = clrsos_heap_target(heap);
	r.address = o->address.values[0];
	const struct clrsos_type *type = NULL;
	if ((err = clrsos_heap_object_at(heap, r.address, &type, NULL)))
		return err;
	r.mt = type->mt;
	r.name = clrsos_types_name(clrsos_heap_types(heap), type);
	if ((err = clrsos_object_data_read(dac, r.address, &r.object)) ||
	    (err = clrsos_method_table_info_init(&r.type, dac, type->mt)))
		goto out;
	if (!r.object.is_array) {
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "0x%" PRIx64 " is not an array: it is a %s",
					  r.address, r.name);
		goto out;
	}
	uint64_t n = r.object.length, start = o->start;
	if (o->start_text && start >= n && start > 0) {
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "dumparray -start %s: the array has %" PRIu64 " element%s%s", o->start_text, n,
					  n == 1 ? "" : "s", n ? " (-start 0 to the last)" : "");
		goto out;
	}
	r.start = start;
	r.end = o->length >= n - start ? n : start + o->length; /* no start + length overflow */
	/* Multi-dimensional arrays: the lengths of each dimension, for [i][j] indexes. */
	uint32_t dims[32] = {0};
	uint32_t rank = r.object.rank > 0 && r.object.rank <= 32 ? r.object.rank : 1;
	if (rank > 1 && r.object.bounds &&
	    (err = clrsos_target_read(target, r.object.bounds, dims, rank * sizeof(uint32_t))))
		goto out;
	render->begin(render, &r);
	uint32_t et = r.object.element_type;
	for (uint64_t i = r.start; i < r.end; i++) {
		uint64_t at = r.object.data + i * r.object.component_size;
		struct dumparray_element e;
		memset(&e, 0, sizeof(e));
		element_index(i, dims, rank, e.index, sizeof(e.index));
		if ((err = clrsos_field_value(target, et, at, e.value, sizeof(e.value))))
			goto out;
		e.null_ref = !clrsos_element_is_value(et) && strspn(e.value, "0") == strlen(e.value);
		struct clrsos_field_table fields;
		if (o->details && et == CLRSOS_ELEMENT_VALUETYPE) {
			if ((err = clrsos_field_table_init(&fields, heap, dac, r.object.element_mt, at, false)))
				goto out;
			e.fields = &fields;
		}
		render->element(render, &e);
		if (e.fields)
			clrsos_field_table_deinit(&fields);
	}
	render->end(render);
out:
	clrsos_method_table_info_deinit(&r.type);
	return err;
}

struct clrsos_error *clrsos_cmd_dumparray(struct clrsos_session *session,
					  const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	struct dumparray_options o;
	struct clrsos_error *err = dumparray_parse(host, argc, argv, &o);
	if (err)
		return err;
	struct dumparray_renderer render = {
		.begin = o.json ? dumparray_json_begin : dumparray_text_begin,
		.element = o.json ? dumparray_json_element : dumparray_text_element,
		.end = o.json ? dumparray_json_end : dumparray_text_end,
		.out = out,
	};
	return dumparray_compute(session, &o, &render);
}
