/*
 * nettrace_dump: reads a nettrace file with tool/diag's reader, feeding it
 * in pieces, and prints one JSON line per event (its metadata and every
 * payload value with its path), then one line with how the stream ended.
 * The end-to-end test compares the output of different splits and checks
 * what the runtime's providers wrote.
 *
 *   nettrace_dump [--whole | --bytes | --random SEED] FILE
 *
 * Exit status: 0 the stream read to its end, 1 the reader reported an
 * error (printed on the last line), 2 usage or I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/output.h"
#include "diag/nettrace.h"

static void write_stdout(void *ctx, const char *text, size_t size)
{
	(void)ctx;
	fwrite(text, 1, size, stdout);
}

static struct clrsos_writer out = {write_stdout, NULL};

static const char *type_name(enum clrsos_nettrace_type t)
{
	switch (t) {
	case CLRSOS_NETTRACE_BOOLEAN: return "bool";
	case CLRSOS_NETTRACE_CHAR: return "char";
	case CLRSOS_NETTRACE_SBYTE: case CLRSOS_NETTRACE_INT16: case CLRSOS_NETTRACE_INT32:
	case CLRSOS_NETTRACE_INT64: return "int";
	case CLRSOS_NETTRACE_BYTE: case CLRSOS_NETTRACE_UINT16: case CLRSOS_NETTRACE_UINT32:
	case CLRSOS_NETTRACE_UINT64: return "uint";
	case CLRSOS_NETTRACE_SINGLE: case CLRSOS_NETTRACE_DOUBLE: return "float";
	case CLRSOS_NETTRACE_DATETIME: return "datetime";
	case CLRSOS_NETTRACE_STRING: return "string";
	case CLRSOS_NETTRACE_GUID: return "guid";
	case CLRSOS_NETTRACE_DECIMAL: return "decimal";
	default: return "other";
	}
}

static void json_fields(struct clrsos_json *j, const struct clrsos_nettrace_field *fields, size_t count)
{
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < count; i++) {
		const struct clrsos_nettrace_field *f = &fields[i];
		clrsos_json_array_begin(j);
		clrsos_json_string(j, f->name ? f->name : "");
		clrsos_json_uint(j, f->type);
		if (f->type == CLRSOS_NETTRACE_OBJECT)
			json_fields(j, f->fields, f->field_count);
		else if (f->type == CLRSOS_NETTRACE_ARRAY)
			json_fields(j, f->element, 1);
		clrsos_json_array_end(j);
	}
	clrsos_json_array_end(j);
}

static struct clrsos_error *value_fn(void *ctx, const struct clrsos_nettrace_value *v)
{
	struct clrsos_json *j = ctx;
	char text[64];
	clrsos_json_array_begin(j);
	clrsos_json_string(j, v->path);
	clrsos_json_string(j, type_name(v->field->type));
	switch (v->field->type) {
	case CLRSOS_NETTRACE_STRING:
		clrsos_json_string(j, v->v.s);
		break;
	case CLRSOS_NETTRACE_BYTE: case CLRSOS_NETTRACE_UINT16: case CLRSOS_NETTRACE_UINT32:
	case CLRSOS_NETTRACE_UINT64:
		clrsos_json_uint(j, v->v.u);
		break;
	case CLRSOS_NETTRACE_SINGLE: case CLRSOS_NETTRACE_DOUBLE:
		snprintf(text, sizeof(text), "%.17g", v->v.d);
		clrsos_json_string(j, text);
		break;
	case CLRSOS_NETTRACE_GUID: case CLRSOS_NETTRACE_DECIMAL:
		for (int i = 0; i < 16; i++)
			snprintf(text + 2 * i, 3, "%02x", v->v.guid[i]);
		clrsos_json_string(j, text);
		break;
	default:
		clrsos_json_int(j, v->v.i);
		break;
	}
	clrsos_json_array_end(j);
	return NULL;
}

static struct clrsos_error *event_fn(void *ctx, const struct clrsos_nettrace_trace *trace,
				     const struct clrsos_nettrace_event *ev)
{
	(void)ctx;
	const struct clrsos_nettrace_metadata *md = ev->metadata;
	struct clrsos_json j;
	clrsos_json_init(&j, &out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "provider");
	clrsos_json_string(&j, md->provider);
	clrsos_json_key(&j, "event");
	clrsos_json_string(&j, md->event_name);
	clrsos_json_key(&j, "id");
	clrsos_json_uint(&j, md->event_id);
	clrsos_json_key(&j, "version");
	clrsos_json_uint(&j, md->version);
	clrsos_json_key(&j, "level");
	clrsos_json_uint(&j, md->level);
	clrsos_json_key(&j, "keywords");
	clrsos_json_address(&j, md->keywords);
	clrsos_json_key(&j, "opcode");
	clrsos_json_uint(&j, md->opcode);
	clrsos_json_key(&j, "metadata");
	json_fields(&j, md->fields, md->field_count);
	clrsos_json_key(&j, "seq");
	clrsos_json_uint(&j, ev->sequence);
	clrsos_json_key(&j, "thread");
	clrsos_json_uint(&j, ev->thread);
	clrsos_json_key(&j, "seconds");
	char text[64];
	snprintf(text, sizeof(text), "%.9f",
		 (double)((int64_t)ev->timestamp - trace->qpc_sync) / (double)trace->qpc_frequency);
	clrsos_json_string(&j, text);
	clrsos_json_key(&j, "pid");
	clrsos_json_uint(&j, trace->process_id);
	clrsos_json_key(&j, "values");
	clrsos_json_array_begin(&j);
	struct clrsos_error *err = clrsos_nettrace_payload_walk(ev, value_fn, &j);
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "walk_error");
	if (err) {
		clrsos_json_string(&j, err->message);
		clrsos_error_destroy(err);
	} else {
		clrsos_json_null(&j);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
	return NULL;
}

int main(int argc, char **argv)
{
	enum { WHOLE, BYTES, RANDOM } mode = WHOLE;
	unsigned seed = 0;
	int a = 1;
	if (a < argc && !strcmp(argv[a], "--whole")) {
		a++;
	} else if (a < argc && !strcmp(argv[a], "--bytes")) {
		mode = BYTES;
		a++;
	} else if (a + 1 < argc && !strcmp(argv[a], "--random")) {
		mode = RANDOM;
		seed = (unsigned)strtoul(argv[a + 1], NULL, 10);
		a += 2;
	}
	if (a + 1 != argc) {
		fprintf(stderr, "usage: nettrace_dump [--whole | --bytes | --random SEED] FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[a], "rb");
	if (!f) {
		perror(argv[a]);
		return 2;
	}
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, n;
	uint8_t chunk[65536];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (size + n > cap) {
			cap = (size + n) * 2;
			data = realloc(data, cap);
			if (!data)
				abort();
		}
		memcpy(data + size, chunk, n);
		size += n;
	}
	fclose(f);

	struct clrsos_nettrace_reader *r = clrsos_nettrace_reader_create(event_fn, NULL);
	if (!r)
		abort();
	struct clrsos_error *err = NULL;
	srand(seed);
	for (size_t pos = 0; pos < size && !err;) {
		size_t piece = size - pos;
		if (mode == BYTES)
			piece = 1;
		else if (mode == RANDOM && piece > 1)
			piece = 1 + (size_t)rand() % (rand() % 4 ? 64 : 20000) % piece;
		err = clrsos_nettrace_feed(r, data + pos, piece);
		pos += piece;
	}
	if (!err)
		err = clrsos_nettrace_finish(r);
	struct clrsos_json j;
	clrsos_json_init(&j, &out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "end_tag");
	clrsos_json_bool(&j, clrsos_nettrace_ended(r));
	clrsos_json_key(&j, "offset");
	clrsos_json_uint(&j, clrsos_nettrace_offset(r));
	clrsos_json_key(&j, "error");
	if (err)
		clrsos_json_string(&j, err->message);
	else
		clrsos_json_null(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
	int status = err ? 1 : 0;
	clrsos_error_destroy(err);
	clrsos_nettrace_reader_destroy(r);
	free(data);
	return status;
}
