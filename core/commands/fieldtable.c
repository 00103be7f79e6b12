/* The Fields table shared by dumpobj, dumpvc and dumparray -details (fieldtable.h). */
#include "fieldtable.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/heap.h"
#include "model/statics.h"
#include "commands.h"

struct clrsos_error *clrsos_field_table_init(struct clrsos_field_table *table, struct clrsos_heap *heap,
				      struct clrsos_dac *dac, uint64_t mt, uint64_t base, bool object)
{
	memset(table, 0, sizeof(*table));
	struct clrsos_types *types = clrsos_heap_types(heap);
	struct clrsos_target *target = clrsos_heap_target(heap);
	struct clrsos_error *err = clrsos_fields_init(dac, types, mt, &table->fields);
	if (err)
		return err;
	table->rows = calloc(table->fields.count ? table->fields.count : 1, sizeof(*table->rows));
	if (!table->rows) {
		clrsos_field_table_deinit(table);
		return &clrsos_error_no_memory;
	}
	/* The static blocks of the declaring type of the fields last met (read once per type). */
	struct clrsos_static_bases bases = {0, 0};
	uint64_t bases_mt = 0;
	for (size_t i = 0; i < table->fields.count; i++) {
		const struct clrsos_field *f = &table->fields.items[i];
		struct clrsos_field_row *r = &table->rows[i];
		r->field = f;
		r->offset = f->offset + (!f->is_static && object ? 8 : 0);
		clrsos_field_type_name(types, f, r->type, sizeof(r->type));
		r->vt = f->element_type == CLRSOS_ELEMENT_VALUETYPE || clrsos_element_is_value(f->element_type);
		r->attr = f->is_thread_static ? "TLstatic" : f->is_static ? "static" : "instance";
		struct clrsos_error *verr = NULL;
		if (f->is_thread_static)
			verr = clrsos_thread_static_values_init(&r->thread_values, dac, target, f);
		else if (f->is_static && bases_mt != f->declaring_mt) {
			bases_mt = f->declaring_mt;
			verr = clrsos_static_bases_read(dac, f->declaring_mt, f->module, &bases);
			if (verr)
				bases.non_gc = bases.gc = 0; /* its other statics: not allocated, as far as is known */
			else
				verr = clrsos_field_static_value(target, f, &bases, r->value, sizeof(r->value));
		} else if (f->is_static)
			verr = clrsos_field_static_value(target, f, &bases, r->value, sizeof(r->value));
		else if (base)
			verr = clrsos_field_value(target, f->element_type, base + r->offset, r->value, sizeof(r->value));
		if (clrsos_error_is_no_memory(verr)) {
			clrsos_field_table_deinit(table);
			return verr;
		}
		if (verr) {
			snprintf(r->value, sizeof(r->value), "<unreadable>");
			clrsos_error_destroy(verr);
		}
	}
	return NULL;
}

void clrsos_field_table_deinit(struct clrsos_field_table *table)
{
	for (size_t i = 0; table->rows && i < table->fields.count; i++)
		clrsos_thread_static_values_deinit(&table->rows[i].thread_values);
	free(table->rows);
	clrsos_fields_deinit(&table->fields);
	memset(table, 0, sizeof(*table));
}

/* A type name in at most 20 columns, as SOS shortens it: from the left. */
static void short_type(const char *name, char *buf, size_t size)
{
	struct clrsos_name_buf nb;
	name = clrsos_safe_name(name, &nb);
	size_t n = strlen(name);
	if (n <= 20) {
		snprintf(buf, size, "%s", name);
		return;
	}
	const char *tail = name + n - 17;
	while (((unsigned char)*tail & 0xc0) == 0x80)
		tail++; /* not inside a UTF-8 sequence */
	snprintf(buf, size, "...%s", tail);
}

void clrsos_field_table_render_text(const struct clrsos_field_table *table, struct clrsos_writer *out)
{
	clrsos_out(out, "Fields:\n");
	if (!table->fields.count)
		clrsos_out(out, "None\n");
	else
		clrsos_field_table_render_rows(table, out);
}

void clrsos_field_table_render_rows(const struct clrsos_field_table *table, struct clrsos_writer *out)
{
	if (table->fields.count)
		clrsos_outf(out, "%16s %8s %8s %20s %4s %8s %16s %s\n", "MT", "Field", "Offset", "Type", "VT", "Attr",
			    "Value", "Name");
	for (size_t i = 0; i < table->fields.count; i++) {
		const struct clrsos_field_row *r = &table->rows[i];
		const struct clrsos_field *f = r->field;
		char shown_type[32];
		short_type(r->type, shown_type, sizeof(shown_type));
		struct clrsos_name_buf nb;
		clrsos_outf(out, "%016" PRIx64 " %08x %8x %20s %4s %8s %16s %s\n", f->type_mt, f->token, r->offset,
			    shown_type, r->vt ? "Yes" : "No", r->attr, r->value, clrsos_safe_name(f->name, &nb));
		if (f->is_thread_static && r->thread_values.available) {
			clrsos_out(out, "    >> Thread:Value");
			for (size_t k = 0; k < r->thread_values.count; k++)
				clrsos_outf(out, " %x:%s", r->thread_values.items[k].os_thread_id,
					    r->thread_values.items[k].value);
			clrsos_out(out, " <<\n");
		}
	}
}

void clrsos_field_table_render_json(const struct clrsos_field_table *table, struct clrsos_json *j)
{
	clrsos_json_key(j, "fields");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < table->fields.count; i++) {
		const struct clrsos_field_row *r = &table->rows[i];
		const struct clrsos_field *f = r->field;
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "mt");
		clrsos_json_address(j, f->type_mt);
		clrsos_json_key(j, "token");
		clrsos_json_uint(j, f->token);
		clrsos_json_key(j, "offset");
		clrsos_json_uint(j, r->offset);
		clrsos_json_key(j, "type");
		clrsos_json_string(j, r->type);
		clrsos_json_key(j, "elementType");
		clrsos_json_uint(j, f->element_type);
		clrsos_json_key(j, "vt");
		clrsos_json_uint(j, r->vt ? 1 : 0);
		clrsos_json_key(j, "attr");
		clrsos_json_string(j, r->attr);
		clrsos_json_key(j, "value");
		if (f->is_thread_static)
			clrsos_json_null(j);
		else
			clrsos_json_string(j, r->value);
		clrsos_json_key(j, "name");
		clrsos_json_string(j, f->name);
		if (f->is_thread_static && r->thread_values.available) {
			clrsos_json_key(j, "threadValues");
			clrsos_json_array_begin(j);
			for (size_t k = 0; k < r->thread_values.count; k++) {
				clrsos_json_object_begin(j);
				clrsos_json_key(j, "osThreadId");
				clrsos_json_uint(j, r->thread_values.items[k].os_thread_id);
				clrsos_json_key(j, "value");
				clrsos_json_string(j, r->thread_values.items[k].value);
				clrsos_json_object_end(j);
			}
			clrsos_json_array_end(j);
		}
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

void clrsos_string_text_render(const struct clrsos_string_text *text, enum clrsos_text_mode mode,
			struct clrsos_writer *w)
{
	struct clrsos_utf16_decoder d;
	clrsos_utf16_decoder_init(&d, mode);
	clrsos_utf16_decode(&d, text->units, text->count, true, w);
}

struct clrsos_error *clrsos_address_operands_add(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	struct clrsos_address_operands *o = ctx;
	struct clrsos_error *err = clrsos_parse_address(host, arg, &o->values[index]);
	if (err)
		return clrsos_error_wrap(err, "%s", o->command);
	o->count = index + 1;
	return NULL;
}

struct clrsos_error *clrsos_parse_one_address(const char *command, const char *what, const struct clrsos_host *host,
					      int argc, const char *const *argv, const char *flag_name, bool *flag,
					      bool *json, struct clrsos_address_operands *a)
{
	memset(a, 0, sizeof(*a));
	*json = false;
	if (flag)
		*flag = false;
	a->command = command;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", json),
		CLRSOS_FLAG(flag_name ? flag_name : "--json", flag ? flag : json),
	};
	const struct clrsos_options spec = {
		.command = command,
		.options = table,
		.count = flag ? 2 : 1,
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = a,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !a->count && what)
		err = clrsos_address_missing(command, what);
	return err;
}
