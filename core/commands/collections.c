/*
 * dcd and dcq: the contents of a ConcurrentDictionary or ConcurrentQueue,
 * as SOS's dumpconcurrentdictionary and dumpconcurrentqueue show them:
 * each value by its text, or by the command that opens it (dumpobj,
 * dumparray, dumpvc <MethodTable> <address>).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fieldtable.h"
#include "model/collections.h"
#include "model/clrstring.h"

/* SOS cuts a key or value's text at this many characters, then "...". */
enum { SHOWN_CHARS = 100 };

struct collection_options {
	bool json, have;
	uint64_t address;
	const char *command;
};

static struct clrsos_error *address_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct collection_options *o = ctx;
	struct clrsos_error *err = clrsos_address_operand(o->command, host, arg, &o->have, &o->address);
	return err ? clrsos_error_wrap(err, "%s: Hexadecimal address expected", o->command) : NULL;
}

static struct clrsos_error *parse(struct collection_options *o, const char *command, const char *kind,
				  const struct clrsos_host *host, int argc, const char *const *argv)
{
	memset(o, 0, sizeof(*o));
	o->command = command;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
	};
	const struct clrsos_options spec = {
		.command = command,
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1, /* a second address is refused by address_operand */
		.operand = address_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o->have)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s: Missing %s address (dumpheap -type %s "
					  "lists them)", command, kind, kind);
	return err;
}

/* The text of a value as SOS prints it, cut at SHOWN_CHARS characters. */
static void render_item_text(const struct clrsos_item *item, bool dictionary, struct clrsos_writer *out)
{
	switch (item->kind) {
	case CLRSOS_ITEM_NULL:
		clrsos_out(out, "null");
		break;
	case CLRSOS_ITEM_VALUE:
		clrsos_out(out, item->text);
		break;
	case CLRSOS_ITEM_STRING: {
		/* The quote counts as one of the characters shown. */
		struct clrsos_string_text cut = item->string;
		bool longer = (uint64_t)cut.length + 2 > SHOWN_CHARS;
		if (longer && cut.count > SHOWN_CHARS - 1)
			cut.count = SHOWN_CHARS - 1;
		clrsos_out(out, "\"");
		clrsos_string_text_render(&cut, CLRSOS_TEXT_ESCAPED, out);
		clrsos_out(out, longer ? "..." : "\"");
		break;
	}
	case CLRSOS_ITEM_ARRAY:
		clrsos_outf(out, dictionary ? "dumparray %016" PRIx64 : "dumparray 0x%016" PRIx64, item->address);
		break;
	case CLRSOS_ITEM_OBJECT:
		clrsos_outf(out, dictionary ? "dumpobj %016" PRIx64 : "dumpobj 0x%016" PRIx64, item->address);
		break;
	case CLRSOS_ITEM_STRUCT:
		clrsos_outf(out, "dumpvc %016" PRIx64 " %016" PRIx64, item->mt, item->address);
		break;
	case CLRSOS_ITEM_UNKNOWN:
		clrsos_out(out, "?");
		break;
	}
}

static const char *kind_name(enum clrsos_item_kind kind)
{
	switch (kind) {
	case CLRSOS_ITEM_NULL: return "null";
	case CLRSOS_ITEM_VALUE: return "value";
	case CLRSOS_ITEM_STRING: return "string";
	case CLRSOS_ITEM_ARRAY: return "array";
	case CLRSOS_ITEM_OBJECT: return "object";
	case CLRSOS_ITEM_STRUCT: return "struct";
	default: return "unknown";
	}
}

static void render_item_json(struct clrsos_json *j, const struct clrsos_item *item)
{
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "kind");
	clrsos_json_string(j, kind_name(item->kind));
	switch (item->kind) {
	case CLRSOS_ITEM_VALUE:
		clrsos_json_key(j, "value");
		clrsos_json_string(j, item->text);
		break;
	case CLRSOS_ITEM_STRING: {
		clrsos_json_key(j, "address");
		clrsos_json_address(j, item->address);
		clrsos_json_key(j, "length");
		clrsos_json_uint(j, item->string.length);
		clrsos_json_key(j, "text");
		struct clrsos_json_stream s;
		clrsos_json_string_begin(j, &s);
		clrsos_string_text_render(&item->string, CLRSOS_TEXT_JSON, s.raw);
		clrsos_json_string_end(&s);
		clrsos_json_key(j, "complete");
		clrsos_json_bool(j, item->string.count == item->string.length);
		break;
	}
	case CLRSOS_ITEM_ARRAY:
	case CLRSOS_ITEM_OBJECT:
	case CLRSOS_ITEM_STRUCT:
		clrsos_json_key(j, "address");
		clrsos_json_address(j, item->address);
		clrsos_json_key(j, "mt");
		clrsos_json_address(j, item->mt);
		break;
	case CLRSOS_ITEM_UNKNOWN:
		clrsos_json_key(j, "address");
		clrsos_json_address(j, item->address);
		break;
	case CLRSOS_ITEM_NULL:
		break;
	}
	clrsos_json_object_end(j);
}

static void render_text(const struct clrsos_collection *c, struct clrsos_writer *out)
{
	clrsos_out_name(out, c->type_name);
	clrsos_out(out, "\n");
	for (size_t i = 0; i < c->count; i++) {
		if (c->is_dictionary) {
			clrsos_out(out, "    -----\n      Key: ");
			render_item_text(&c->keys[i], true, out);
			clrsos_out(out, "\n    Value: ");
			render_item_text(&c->items[i], true, out);
		} else {
			clrsos_outf(out, "%4zu - ", i + 1);
			render_item_text(&c->items[i], false, out);
		}
		clrsos_out(out, "\n");
	}
	clrsos_outf(out, "---------------------------------------------\n%zu items\n\n", c->count);
}

static void render_json(const struct clrsos_collection *c, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, c->address);
	clrsos_json_key(&j, "type");
	clrsos_json_string(&j, c->type_name);
	clrsos_json_key(&j, "items");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < c->count; i++) {
		if (c->is_dictionary) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "key");
			render_item_json(&j, &c->keys[i]);
			clrsos_json_key(&j, "value");
			render_item_json(&j, &c->items[i]);
			clrsos_json_object_end(&j);
		} else {
			render_item_json(&j, &c->items[i]);
		}
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "count");
	clrsos_json_uint(&j, c->count);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static struct clrsos_error *run(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				const char *const *argv, struct clrsos_writer *out, bool dictionary)
{
	const char *command = dictionary ? "dcd" : "dcq";
	struct collection_options o;
	struct clrsos_error *err = parse(&o, command, dictionary ? "ConcurrentDictionary" : "ConcurrentQueue", host,
					 argc, argv);
	if (err)
		return err;
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	if ((err = clrsos_session_heap(session, &heap)) || (err = clrsos_session_dac(session, &dac)))
		return err;
	struct clrsos_collection c;
	err = dictionary ? clrsos_concurrent_dictionary_init(&c, heap, dac, o.address)
			 : clrsos_concurrent_queue_init(&c, heap, dac, o.address);
	if (err)
		return clrsos_error_wrap(err, "%s", command);
	if (o.json)
		render_json(&c, out);
	else
		render_text(&c, out);
	clrsos_collection_deinit(&c);
	return NULL;
}

struct clrsos_error *clrsos_cmd_dcd(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				    const char *const *argv, struct clrsos_writer *out)
{
	return run(session, host, argc, argv, out, true);
}

struct clrsos_error *clrsos_cmd_dcq(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				    const char *const *argv, struct clrsos_writer *out)
{
	return run(session, host, argc, argv, out, false);
}
