/*
 * The Fields table of dumpobj, dumpvc and dumparray -details: computed from
 * the model (fields, statics, thread statics), rendered as SOS's table or
 * as JSON.
 */
#ifndef CLRSOS_FIELDTABLE_H
#define CLRSOS_FIELDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/output.h"
#include "model/clrstring.h"
#include "model/fields.h"
#include "model/objects.h"

#ifdef __cplusplus
extern "C" {
#ifdef __cplusplus
}
#endif

#endif

struct clrsos_dac;
struct clrsos_heap;
struct clrsos_host;

struct clrsos_field_row {
	const struct clrsos_field *field;
	uint32_t offset;       /* as SOS shows it: an object's instance fields from the object's start */
	char type[256];        /* the field's type name */
	bool vt;               /* stored inline */
	const char *attr;      /* instance, static, TLstatic */
	char value[64];        /* empty for thread statics (thread_values) */
	struct clrsos_thread_static_values thread_values;
};

struct clrsos_field_table {
	struct clrsos_fields fields;
	struct clrsos_field_row *rows; /* one per field */
};

/*
 * The fields of mt with their values: of an object at base (object true),
 * of a value stored at base (object false), or without instance values
 * (base 0).
 */
struct clrsos_error *clrsos_field_table_init(struct clrsos_field_table *table, struct clrsos_heap *heap,
				      struct clrsos_dac *dac, uint64_t mt, uint64_t base, bool object);
void clrsos_field_table_deinit(struct clrsos_field_table *table);

void clrsos_field_table_render_text(const struct clrsos_field_table *table, struct clrsos_writer *out);
/* The same without its "Fields:" line (dumpclass): the header and rows only, nothing if none. */
void clrsos_field_table_render_rows(const struct clrsos_field_table *table, struct clrsos_writer *out);
/* "fields": [...] in the object j is in. */
void clrsos_field_table_render_json(const struct clrsos_field_table *table, struct clrsos_json *j);

/* A string's text on a writer, in the given mode (a pure decoding of what was read). */
void clrsos_string_text_render(const struct clrsos_string_text *text, enum clrsos_text_mode mode,
			struct clrsos_writer *w);

/* One address operand: ctx is a struct clrsos_address_operands. */
struct clrsos_address_operands {
	const char *command;
	uint64_t values[2];
	int count;
};
struct clrsos_error *clrsos_address_operands_add(void *ctx, const struct clrsos_host *host, const char *arg, int index);
/*
 * A command's argv of one address, --json and (flag_name, flag not NULL)
 * one more flag such as "-mt". what NULL: the address may be left out;
 * else the missing address's error names it ("a MethodDesc").
 */
struct clrsos_error *clrsos_parse_one_address(const char *command, const char *what, const struct clrsos_host *host,
					      int argc, const char *const *argv, const char *flag_name, bool *flag,
					      bool *json, struct clrsos_address_operands *a);

#ifdef __cplusplus
}
#endif

#endif
