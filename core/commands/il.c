/*
 * dumpil <MethodDesc | DynamicMethod object>, dumpil -i <IL address>: a
 * method's IL as SOS's DumpIL prints it (IL_0000: ldarg.0 ..., tokens
 * named through the module's metadata, .try/.catch blocks from the body's
 * exception sections; a dynamic method's IL with its tokens resolved
 * through its DynamicResolver's token list).
 * ehinfo <MethodDesc | code address>: the exception clauses of the
 * method's JIT-compiled code as SOS's EHInfo prints them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"
#include "model/gcinfo.h"
#include "model/heap.h"
#include "model/il.h"
#include "model/methods.h"
#include "model/objects.h"
#include "model/stack.h"
#include "model/types.h"
#include "session/session.h"
#include "target/target.h"
#include "commands.h"
#include "fieldtable.h"

enum {
	IL_READ_CHUNK = 4096,
	IL_MAX_BODY = 64 << 20,
	DYNAMIC_STRING_CHARS = 40,
	STUB_BYTES = 32, /* how much of a stub clru reads to follow its jump */
	STUB_INSNS = 5,
};

struct dumpil_options {
	bool json, direct;
	struct clrsos_address_operands a;
};

/* One instruction of the listing. */
struct il_line {
	uint32_t offset;
	const char *opcode;
	char *operand; /* malloc'd; NULL: none */
};

struct il_listing {
	uint64_t method_desc;  /* 0: from -i or an object */
	uint64_t il;           /* where the body is (0: a dynamic method's code array) */
	uint64_t dynamic;      /* the DynamicMethod object, 0 if not dynamic */
	uint64_t token_array;  /* a dynamic method's token table (object[]) */
	char *name;            /* the method's name, malloc'd, NULL if unknown */
	uint8_t *bytes;        /* the body as read, malloc'd */
	struct clrsos_il_body body;
	struct il_line *lines;
	size_t nlines;
};

static void listing_deinit(struct il_listing *l)
{
	for (size_t i = 0; i < l->nlines; i++)
		free(l->lines[i].operand);
	free(l->lines);
	free(l->bytes);
	free(l->name);
	clrsos_il_body_deinit(&l->body);
}

/* Read the body at address: its header first, then as much as it says it needs. */
static struct clrsos_error *read_body(struct clrsos_target *target, uint64_t address, struct il_listing *l)
{
	size_t have = 0, cap = 0, need = 0;
	uint8_t *buf = NULL;
	struct clrsos_error *err = NULL;
	for (;;) {
		size_t want = need ? need : have + IL_READ_CHUNK;
		if (want > IL_MAX_BODY) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER,
						  "the IL body at 0x%" PRIx64 " claims more than %d MiB: not a method body",
						  address, IL_MAX_BODY >> 20);
			break;
		}
		if (want > cap) {
			uint8_t *p = realloc(buf, want);
			if (!p) {
				err = &clrsos_error_no_memory;
				break;
			}
			buf = p;
			cap = want;
		}
		size_t got = 0;
		err = clrsos_target_read_partial(target, address + have, buf + have, want - have, &got);
		clrsos_error_destroy(err);
		err = NULL;
		have += got;
		if ((err = clrsos_il_body_size(buf, have, &need)))
			break;
		if (need && need <= have)
			break;
		if (got == 0) {
			err = clrsos_error_create(CLRSOS_ERROR_FAULT,
						  "the IL body at 0x%" PRIx64 " cannot be read past byte 0x%zx", address, have);
			break;
		}
	}
	if (!err)
		err = clrsos_il_body_parse(buf, have, &l->body);
	if (err) {
		free(buf);
		return err;
	}
	l->bytes = buf;
	return NULL;
}

typedef char *operand_namer(void *ctx, uint32_t token);

static char *format_operand(const struct clrsos_il_insn *in, operand_namer *namer, void *ctx, bool *oom)
{
	char buf[64];
	switch (in->operand) {
	case CLRSOS_IL_NONE:
		return NULL;
	case CLRSOS_IL_VAR8:
	case CLRSOS_IL_VAR16:
		snprintf(buf, sizeof(buf), "VAR OR ARG %" PRId64, in->value);
		break;
	case CLRSOS_IL_I8:
	case CLRSOS_IL_I32:
	case CLRSOS_IL_I64:
		snprintf(buf, sizeof(buf), "%" PRId64, in->value);
		break;
	case CLRSOS_IL_R4:
	case CLRSOS_IL_R8:
		snprintf(buf, sizeof(buf), "%f", in->real);
		break;
	case CLRSOS_IL_BR8:
	case CLRSOS_IL_BR32:
		snprintf(buf, sizeof(buf), "IL_%04" PRIx32, (uint32_t)in->value);
		break;
	case CLRSOS_IL_TOKEN: {
		char *s = namer(ctx, (uint32_t)in->value);
		*oom = !s;
		return s;
	}
	case CLRSOS_IL_SWITCH: {
		size_t cap = 3 + (size_t)in->count * 12;
		char *s = malloc(cap);
		if (!s) {
			*oom = true;
			return NULL;
		}
		size_t n = 0;
		s[n++] = '(';
		for (uint32_t i = 0; i < in->count; i++)
			n += (size_t)snprintf(s + n, cap - n, "%sIL_%04" PRIx32, i ? ", " : "",
					      (uint32_t)clrsos_il_switch_target(in, i));
		snprintf(s + n, cap - n, ")");
		return s;
	}
	}
	char *s = strdup(buf);
	*oom = !s;
	return s;
}

static struct clrsos_error *decode_all(struct il_listing *l, operand_namer *namer, void *ctx)
{
	const struct clrsos_il_body *b = &l->body;
	size_t cap = 16;
	l->lines = malloc(cap * sizeof(*l->lines));
	if (!l->lines)
		return &clrsos_error_no_memory;
	for (uint32_t pos = 0; pos < b->code_size;) {
		struct clrsos_il_insn in;
		struct clrsos_error *err = clrsos_il_decode(b->code, b->code_size, pos, &in);
		if (err)
			return err;
		if (l->nlines == cap) {
			struct il_line *p = realloc(l->lines, cap * 2 * sizeof(*p));
			if (!p)
				return &clrsos_error_no_memory;
			l->lines = p;
			cap *= 2;
		}
		bool oom = false;
		struct il_line *line = &l->lines[l->nlines++];
		*line = (struct il_line){.offset = pos, .opcode = in.name, .operand = NULL};
		line->operand = format_operand(&in, namer, ctx, &oom);
		if (oom)
			return &clrsos_error_no_memory;
		pos += in.size;
	}
	return NULL;
}

static char *metadata_namer(void *ctx, uint32_t token)
{
	return clrsos_il_token_text(ctx, token);
}

/* A dynamic method's tokens: the objects of its token table, as SOS names them. */
struct dynamic_names {
	struct clrsos_dac *dac;
	struct clrsos_heap *heap;
	struct clrsos_target *target;
	uint64_t items;   /* the object[] */
	uint64_t count;
	uint64_t data;    /* its first element */
};

/* The reference (or pointer-sized value) in field name of the object at obj; 0 when it has none. */
static uint64_t object_field(struct clrsos_dac *dac, struct clrsos_heap *heap, struct clrsos_target *target,
			     uint64_t obj, const char *name)
{
	struct clrsos_object_data d;
	if (!obj || clrsos_error_ignore(clrsos_object_data_read(dac, obj, &d)))
		return 0;
	struct clrsos_fields fields;
	if (clrsos_error_ignore(clrsos_fields_init(dac, clrsos_heap_types(heap), d.mt, &fields)))
		return 0;
	uint64_t value = 0;
	for (size_t i = 0; i < fields.count; i++) {
		const struct clrsos_field *f = &fields.items[i];
		if (!f->is_static && !strcmp(f->name, name)) {
			if (clrsos_error_ignore(clrsos_target_read(target, obj + 8 + f->offset, &value, 8)))
				value = 0;
			break;
		}
	}
	clrsos_fields_deinit(&fields);
	return value;
}

static char *dynamic_namer(void *ctx, uint32_t token)
{
	struct dynamic_names *n = ctx;
	uint32_t rid = token & 0xffffff;
	uint64_t obj = 0;
	if (rid < n->count && clrsos_error_ignore(clrsos_target_read(n->target, n->data + (uint64_t)rid * 8, &obj, 8)))
		obj = 0;
	char *text = NULL;
	switch (token >> 24) {
	case 0x02: { /* a RuntimeTypeHandle: its RuntimeType's MethodTable */
		uint64_t type = 0, mt;
		if (obj && clrsos_error_ignore(clrsos_target_read(n->target, obj + 8, &type, 8)))
			type = 0;
		mt = object_field(n->dac, n->heap, n->target, type, "m_handle");
		const struct clrsos_type *t = mt ? clrsos_types_get(clrsos_heap_types(n->heap), mt) : NULL;
		if (!t) {
			text = strdup("<invalid MethodTable>");
			break;
		}
		struct clrsos_name_buf nb;
		const char *name = clrsos_safe_name(clrsos_types_name(clrsos_heap_types(n->heap), t), &nb);
		size_t len = strlen(name) + 32;
		if ((text = malloc(len)))
			snprintf(text, len, "%x \"%s\"", token, name);
		break;
	}
	case 0x06: { /* a RuntimeMethodHandle: its MethodDesc */
		uint64_t info = object_field(n->dac, n->heap, n->target, obj, "m_value");
		uint64_t md = object_field(n->dac, n->heap, n->target, info, "m_handle");
		char *name = NULL;
		bool has_code;
		if (md && clrsos_error_ignore(clrsos_method_desc_name(n->dac, md, &name, &has_code)))
			name = NULL;
		struct clrsos_name_buf nb;
		const char *shown = name ? clrsos_safe_name(name, &nb) : "UNKNOWN";
		size_t len = strlen(shown) + 32;
		if ((text = malloc(len)))
			snprintf(text, len, "%x %s", token, shown);
		free(name);
		break;
	}
	case 0x70: { /* a string */
		struct clrsos_string_text s;
		char quoted[DYNAMIC_STRING_CHARS + 4] = "";
		if (obj && !clrsos_error_ignore(clrsos_string_text_init(&s, n->heap, obj, DYNAMIC_STRING_CHARS))) {
			uint32_t i;
			for (i = 0; i < s.count && i < DYNAMIC_STRING_CHARS; i++) {
				unsigned u = s.units[2 * i] | s.units[2 * i + 1] << 8;
				quoted[i] = u >= 0x20 && u < 0x7f ? (char)u : '.';
			}
			quoted[i] = '\0';
			clrsos_string_text_deinit(&s);
		}
		if ((text = malloc(sizeof(quoted) + 16)))
			snprintf(text, sizeof(quoted) + 16, "%x \"%s\"", token, quoted);
		break;
	}
	default:
		if ((text = malloc(48)))
			snprintf(text, 48, "%x (%016" PRIx64 ")", token, obj);
	}
	return text;
}

/* The DynamicMethod at obj: its code array and token table, decoded. */
static struct clrsos_error *dynamic_listing(struct clrsos_dac *dac, struct clrsos_heap *heap,
					    struct clrsos_target *target, uint64_t obj, struct il_listing *l)
{
	uint64_t resolver = object_field(dac, heap, target, obj, "_resolver");
	if (!resolver)
		resolver = object_field(dac, heap, target, obj, "m_resolver");
	uint64_t code = object_field(dac, heap, target, resolver, "m_code");
	uint64_t scope = object_field(dac, heap, target, resolver, "m_scope");
	uint64_t tokens = object_field(dac, heap, target, scope, "m_tokens");
	uint64_t items = object_field(dac, heap, target, tokens, "_items");
	struct clrsos_object_data cd, td;
	if (!code || !items || clrsos_error_ignore(clrsos_object_data_read(dac, code, &cd)) || !cd.is_array ||
	    cd.component_size != 1 || clrsos_error_ignore(clrsos_object_data_read(dac, items, &td)) || !td.is_array)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "dumpil: the DynamicMethod 0x%" PRIx64
					   " has no IL to show (no resolver with code and tokens: not yet compiled?)",
					   obj);
	if (cd.length > IL_MAX_BODY)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "dumpil: the IL array of 0x%" PRIx64 " is too large", obj);
	l->dynamic = obj;
	l->token_array = items;
	l->bytes = malloc(cd.length ? cd.length : 1);
	if (!l->bytes)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = clrsos_target_read(target, cd.data, l->bytes, cd.length);
	if (err)
		return err;
	/* No header: the array is the code. */
	l->body.code = l->bytes;
	l->body.code_size = (uint32_t)cd.length;
	struct dynamic_names names = {dac, heap, target, items, td.length, td.data};
	return decode_all(l, dynamic_namer, &names);
}

static struct clrsos_error *dumpil_compute(struct clrsos_session *session, const struct dumpil_options *o,
					   struct il_listing *l)
{
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	struct clrsos_target *target = clrsos_session_target(session);
	uint64_t addr = o->a.values[0];
	if (!addr)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpil: 0 is no MethodDesc (dumpmt -md, ip2md and name2ee give them)");
	if (o->direct) {
		l->il = addr;
		if ((err = read_body(target, addr, l)))
			return err;
		return decode_all(l, metadata_namer, NULL);
	}
	struct clrsos_heap *heap = NULL;
	struct clrsos_error *heap_err = clrsos_session_heap(session, &heap);
	if (heap_err && clrsos_error_is_no_memory(heap_err))
		return heap_err;
	clrsos_error_destroy(heap_err);
	struct clrsos_method_desc_info m;
	err = clrsos_method_desc_info_init(&m, dac, addr, 0);
	if (err) {
		/* Not a MethodDesc: a DynamicMethod object? */
		struct clrsos_object_data d;
		const struct clrsos_type *t;
		if (heap && !clrsos_error_ignore(clrsos_object_data_read(dac, addr, &d)) &&
		    (t = clrsos_types_get(clrsos_heap_types(heap), d.mt)) &&
		    !strcmp(clrsos_types_name(clrsos_heap_types(heap), t), "System.Reflection.Emit.DynamicMethod")) {
			clrsos_error_destroy(err);
			return dynamic_listing(dac, heap, target, addr, l);
		}
		clrsos_error_destroy(err);
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpil: 0x%" PRIx64 " is not a MethodDesc or a DynamicMethod object "
					   "(dumpmt -md, ip2md and name2ee give MethodDescs)", addr);
	}
	l->method_desc = addr;
	l->name = m.name;
	m.name = NULL;
	uint64_t module = m.module, il = m.il;
	uint32_t token = m.token;
	bool dynamic = m.is_dynamic;
	clrsos_method_desc_info_deinit(&m);
	if (dynamic) {
		uint64_t obj = 0;
		if ((err = clrsos_method_dynamic_object(dac, addr, &obj)))
			return err;
		if (!obj || !heap)
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "dumpil: the dynamic method 0x%" PRIx64
						   " has no DynamicMethod object to read its IL from (an IL stub?)", addr);
		return dynamic_listing(dac, heap, target, obj, l);
	}
	if ((token & 0xffffff) == 0)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "dumpil: this method has no IL body (e.g. IL stubs generated for P/Invoke "
					   "or Reverse P/Invoke marshaling)");
	const struct clrsos_metadata *md = NULL;
	if (heap && (err = clrsos_types_metadata(clrsos_heap_types(heap), module, &md)))
		return err;
	if (!il && (err = clrsos_il_address(dac, md, module, token, &il)))
		return clrsos_error_wrap(err, "dumpil: the IL of 0x%" PRIx64 " cannot be found", addr);
	if (!il)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "dumpil: the runtime knows no IL for 0x%" PRIx64, addr);
	l->il = il;
	if ((err = read_body(target, il, l)))
		return err;
	return decode_all(l, metadata_namer, (void *)md);
}

static void print_line(const struct il_line *line, unsigned indent, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	clrsos_outf(out, "%*sIL_%04" PRIx32 ": %s %s\n", indent, "", line->offset, line->opcode,
		    line->operand ? clrsos_safe_name(line->operand, &nb) : "");
}

/* SOS's block lines before the instruction at pos, its indentation moved. */
static void blocks_at(const struct clrsos_il_body *b, uint32_t pos, unsigned *indent, struct clrsos_writer *out)
{
	for (size_t e = 0; e < b->nclauses; e++) {
		const struct clrsos_il_clause *c = &b->clauses[e];
		bool finally = c->flags == CLRSOS_IL_CLAUSE_FINALLY;
		if (c->try_offset == pos) {
			clrsos_outf(out, "%*s.try\n%*s{\n", *indent, "", *indent, "");
			*indent += 2;
		} else if ((uint64_t)c->try_offset + c->try_length == pos && *indent >= 2) {
			*indent -= 2;
			clrsos_outf(out, "%*s} // end .try\n", *indent, "");
		}
		if (c->handler_offset == pos) {
			clrsos_outf(out, "%*s%s\n%*s{\n", *indent, "", finally ? ".finally" : ".catch", *indent, "");
			*indent += 2;
		} else if ((uint64_t)c->handler_offset + c->handler_length == pos && *indent >= 2) {
			*indent -= 2;
			clrsos_outf(out, "%*s} // end %s\n", *indent, "", finally ? ".finally" : ".catch");
		}
	}
}

static void dumpil_text(const struct il_listing *l, struct clrsos_writer *out)
{
	if (l->dynamic) {
		clrsos_out(out, "This is dynamic IL. Exception info is not reported at this time.\n");
		clrsos_out(out, "If a token is unresolved, run \"dumpobj <addr>\" on the addr given\n");
		clrsos_out(out, "in parenthesis. You can also look at the token table yourself, by\n");
		clrsos_outf(out, "running \"dumparray %016" PRIX64 "\".\n\n", l->token_array);
	} else {
		clrsos_outf(out, "ilAddr = %016" PRIX64 "\n", l->il);
	}
	unsigned indent = 0;
	for (size_t i = 0; i < l->nlines; i++) {
		blocks_at(&l->body, l->lines[i].offset, &indent, out);
		print_line(&l->lines[i], indent, out);
	}
	blocks_at(&l->body, l->body.code_size, &indent, out);
}

static const char *clause_kind(uint32_t flags)
{
	switch (flags) {
	case CLRSOS_IL_CLAUSE_CATCH:
		return "catch";
	case CLRSOS_IL_CLAUSE_FILTER:
		return "filter";
	case CLRSOS_IL_CLAUSE_FINALLY:
		return "finally";
	case CLRSOS_IL_CLAUSE_FAULT:
		return "fault";
	default:
		return "unknown";
	}
}

static void dumpil_json(const struct il_listing *l, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "methodDesc");
	l->method_desc ? clrsos_json_address(&j, l->method_desc) : clrsos_json_null(&j);
	clrsos_json_key(&j, "name");
	clrsos_json_string(&j, l->name);
	clrsos_json_key(&j, "ilAddress");
	l->il ? clrsos_json_address(&j, l->il) : clrsos_json_null(&j);
	clrsos_json_key(&j, "dynamicMethod");
	l->dynamic ? clrsos_json_address(&j, l->dynamic) : clrsos_json_null(&j);
	clrsos_json_key(&j, "tokenArray");
	l->token_array ? clrsos_json_address(&j, l->token_array) : clrsos_json_null(&j);
	clrsos_json_key(&j, "fatHeader");
	clrsos_json_bool(&j, l->body.fat);
	clrsos_json_key(&j, "maxStack");
	clrsos_json_uint(&j, l->body.max_stack);
	clrsos_json_key(&j, "localSignature");
	clrsos_json_uint(&j, l->body.local_sig);
	clrsos_json_key(&j, "codeSize");
	clrsos_json_uint(&j, l->body.code_size);
	clrsos_json_key(&j, "clauses");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < l->body.nclauses; i++) {
		const struct clrsos_il_clause *c = &l->body.clauses[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "kind");
		clrsos_json_string(&j, clause_kind(c->flags));
		clrsos_json_key(&j, "tryOffset");
		clrsos_json_uint(&j, c->try_offset);
		clrsos_json_key(&j, "tryLength");
		clrsos_json_uint(&j, c->try_length);
		clrsos_json_key(&j, "handlerOffset");
		clrsos_json_uint(&j, c->handler_offset);
		clrsos_json_key(&j, "handlerLength");
		clrsos_json_uint(&j, c->handler_length);
		clrsos_json_key(&j, c->flags == CLRSOS_IL_CLAUSE_FILTER ? "filterOffset" : "classToken");
		clrsos_json_uint(&j, c->class_token_or_filter);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "instructions");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < l->nlines; i++) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "offset");
		clrsos_json_uint(&j, l->lines[i].offset);
		clrsos_json_key(&j, "opcode");
		clrsos_json_string(&j, l->lines[i].opcode);
		clrsos_json_key(&j, "operand");
		clrsos_json_string(&j, l->lines[i].operand);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpil(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	struct dumpil_options o;
	memset(&o, 0, sizeof(o));
	o.a.command = "dumpil";
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
		CLRSOS_FLAG("-i", &o.direct),
	};
	const struct clrsos_options spec = {
		.command = "dumpil",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = &o.a,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o.a.count)
		err = clrsos_address_missing("dumpil", "a MethodDesc");
	if (err)
		return err;
	struct il_listing l;
	memset(&l, 0, sizeof(l));
	if (!(err = dumpil_compute(session, &o, &l))) {
		if (o.json)
			dumpil_json(&l, out);
		else
			dumpil_text(&l, out);
	}
	listing_deinit(&l);
	return err;
}

/* ehinfo */

struct ehinfo {
	struct clrsos_method_desc_info m;
	struct clrsos_eh_clause *clauses;
	size_t count;
	char **catch_types; /* per clause, malloc'd or NULL */
};

static const char *eh_kind_name(int32_t kind)
{
	static const char *const names[] = {"FAULT", "FINALLY", "FILTER", "TYPED"};
	return kind >= 0 && kind < 4 ? names[kind] : "UNKNOWN";
}

static bool cloned_finally(const struct clrsos_eh_clause *c)
{
	return c->try_start == c->try_end && c->try_start == c->handler_start && c->kind == CLRSOS_EH_FINALLY &&
	       c->duplicate;
}

/* The EH clauses of the code at code, with the caught type's name of each typed one (*ret_types[i] or NULL). */
static struct clrsos_error *eh_clauses(struct clrsos_session *session, struct clrsos_dac *dac, uint64_t code,
				       struct clrsos_eh_clause **ret, size_t *ret_count, char ***ret_types)
{
	struct clrsos_error *err = clrsos_code_eh_clauses(dac, code, ret, ret_count);
	if (err)
		return err;
	size_t count = *ret_count;
	char **types = calloc(count ? count : 1, sizeof(*types));
	if (!types)
		return &clrsos_error_no_memory;
	*ret_types = types;
	struct clrsos_heap *heap = NULL;
	struct clrsos_error *heap_err = clrsos_session_heap(session, &heap);
	if (heap_err) {
		if (clrsos_error_is_no_memory(heap_err))
			return heap_err;
		clrsos_error_destroy(heap_err);
		heap = NULL;
	}
	for (size_t i = 0; i < count; i++) {
		const struct clrsos_eh_clause *c = &(*ret)[i];
		if (c->kind != CLRSOS_EH_TYPED)
			continue;
		char *name = NULL;
		if (c->catch_all) {
			name = strdup("...");
		} else if (!c->module) {
			const struct clrsos_type *t =
				heap && c->catch_mt ? clrsos_types_get(clrsos_heap_types(heap), c->catch_mt) : NULL;
			name = strdup(t ? clrsos_types_name(clrsos_heap_types(heap), t) : "<unknown type>");
		} else {
			const struct clrsos_metadata *md = NULL;
			if (heap && (err = clrsos_error_ignore(
					     clrsos_types_metadata(clrsos_heap_types(heap), c->module, &md))))
				return err;
			if (md) {
				name = clrsos_il_type_name(md, c->catch_token);
			} else {
				char buf[32];
				snprintf(buf, sizeof(buf), "token_0x%08" PRIX32, c->catch_token);
				name = strdup(buf);
			}
		}
		if (!name)
			return &clrsos_error_no_memory;
		types[i] = name;
	}
	return NULL;
}

static struct clrsos_error *method_of(struct clrsos_dac *dac, const char *command, uint64_t addr,
				      struct clrsos_method_desc_info *m, uint64_t *ret_ip);

static struct clrsos_error *ehinfo_compute(struct clrsos_session *session, uint64_t addr, struct ehinfo *e)
{
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	uint64_t ip;
	if ((err = method_of(dac, "ehinfo", addr, &e->m, &ip)))
		return err;
	if (!e->m.has_code || !e->m.code)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "ehinfo: No EH info available: 0x%" PRIx64 " has no JIT-compiled code",
					   e->m.method_desc);
	return eh_clauses(session, dac, e->m.code, &e->clauses, &e->count, &e->catch_types);
}

static void free_types(char **types, size_t count)
{
	for (size_t i = 0; types && i < count; i++)
		free(types[i]);
	free(types);
}

static void ehinfo_deinit(struct ehinfo *e)
{
	free_types(e->catch_types, e->count);
	free(e->clauses);
	clrsos_method_desc_info_deinit(&e->m);
}

static void print_range(const char *label, uint64_t base, uint64_t start, uint64_t end, struct clrsos_writer *out)
{
	uint64_t a = base + start, b = base + end;
	clrsos_outf(out, "%s[%08" PRIx32 "`%08" PRIx32 ", %08" PRIx32 "`%08" PRIx32 "] [%" PRIx32 ", %" PRIx32 "]\n",
		    label, (uint32_t)(a >> 32), (uint32_t)a, (uint32_t)(b >> 32), (uint32_t)b, (uint32_t)start,
		    (uint32_t)end);
}

static void ehinfo_text(const struct ehinfo *e, struct clrsos_writer *out)
{
	clrsos_render_method_desc_text(&e->m, out);
	clrsos_out(out, "\n");
	for (size_t i = 0; i < e->count; i++) {
		const struct clrsos_eh_clause *c = &e->clauses[i];
		clrsos_outf(out, "EHHandler %zu: %s ", i, eh_kind_name(c->kind));
		if (e->catch_types[i]) {
			struct clrsos_name_buf nb;
			clrsos_outf(out, "catch(%s) ", clrsos_safe_name(e->catch_types[i], &nb));
		}
		if (cloned_finally(c))
			clrsos_out(out, "(cloned finally)");
		else if (c->duplicate)
			clrsos_out(out, "(duplicate)");
		clrsos_out(out, "\n");
		print_range("Clause:  ", e->m.code, c->try_start, c->try_end, out);
		print_range("Handler: ", e->m.code, c->handler_start, c->handler_end, out);
		if (c->kind == CLRSOS_EH_FILTER) {
			uint64_t f = e->m.code + c->filter;
			clrsos_outf(out, "Filter: [%08" PRIx32 "`%08" PRIx32 "] [%" PRIx32 "]\n", (uint32_t)(f >> 32),
				    (uint32_t)f, (uint32_t)c->filter);
		}
		clrsos_out(out, "\n");
	}
}

static void ehinfo_json(const struct ehinfo *e, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_render_method_desc_json(&e->m, &j);
	clrsos_json_key(&j, "clauses");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < e->count; i++) {
		const struct clrsos_eh_clause *c = &e->clauses[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "kind");
		clrsos_json_string(&j, eh_kind_name(c->kind));
		clrsos_json_key(&j, "catchType");
		clrsos_json_string(&j, e->catch_types[i]);
		clrsos_json_key(&j, "duplicate");
		clrsos_json_bool(&j, c->duplicate);
		clrsos_json_key(&j, "clonedFinally");
		clrsos_json_bool(&j, cloned_finally(c));
		const struct {
			const char *key;
			uint64_t offset;
		} ranges[] = {
			{"tryStart", c->try_start},
			{"tryEnd", c->try_end},
			{"handlerStart", c->handler_start},
			{"handlerEnd", c->handler_end},
		};
		for (size_t k = 0; k < 4; k++) {
			clrsos_json_key(&j, ranges[k].key);
			clrsos_json_address(&j, e->m.code + ranges[k].offset);
		}
		clrsos_json_key(&j, "filter");
		c->kind == CLRSOS_EH_FILTER ? clrsos_json_address(&j, e->m.code + c->filter) : clrsos_json_null(&j);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_ehinfo(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_address_operands a;
	struct clrsos_error *err = clrsos_parse_one_address("ehinfo", "a MethodDesc or a code address", host, argc,
							     argv, NULL, NULL, &json, &a);
	if (err)
		return err;
	struct ehinfo e;
	memset(&e, 0, sizeof(e));
	if (!(err = ehinfo_compute(session, a.values[0], &e))) {
		if (json)
			ehinfo_json(&e, out);
		else
			ehinfo_text(&e, out);
	}
	ehinfo_deinit(&e);
	return err;
}

/* clru */

struct clru_line {
	uint64_t address;
	uint32_t size;
	char *text;       /* "push    rbp", malloc'd */
	char *annotation; /* "JitHelp: CORINFO_HELP_NEWSFAST", "Sig.Code.Helper(Int32), mdToken: ...", or NULL */
	const uint8_t *bytes;
	int region;       /* 0 hot (or the whole code), 1 cold */
	char *file;       /* its source file (malloc'd), NULL: none or -n */
	uint32_t line;
};

/* clru -il: IL instructions [first, last] shown before the code [start, end) they became. */
struct il_range {
	uint32_t first, last;
	uint64_t start, end;
};

struct clru {
	struct clrsos_method_desc_info m;
	struct clrsos_code_header h;
	uint64_t asked;       /* the code address asked for (0: a MethodDesc was given) */
	uint8_t *code[2];     /* each region's bytes */
	uint64_t start[2];
	uint32_t size[2];
	int nregions;
	struct clru_line *lines;
	size_t nlines;
	bool with_eh, offsets, no_lines, with_il, with_map;
	struct clrsos_eh_clause *clauses;
	size_t nclauses;
	char **catch_types;
	struct clrsos_il_map_entry *map; /* -il: the code's IL to native map */
	size_t nmap;
	struct il_listing il;            /* -il: the method's IL, decoded */
	bool has_il;
	struct il_range *ranges;
	size_t nranges;
	bool with_gcinfo;
	struct clrsos_method_gcinfo gc;        /* -gcinfo: the code's GC info (have_gc) */
	bool have_gc, gc_ready;                /* gc_ready: its transitions too */
	struct clrsos_gcinfo_event *gc_events; /* its transitions, shown as the code reaches each offset */
	size_t gc_nevents;
};

static void clru_deinit(struct clru *u)
{
	for (size_t i = 0; i < u->nlines; i++) {
		free(u->lines[i].text);
		free(u->lines[i].annotation);
		free(u->lines[i].file);
	}
	free(u->lines);
	free(u->map);
	free(u->ranges);
	free(u->gc_events);
	if (u->have_gc)
		clrsos_method_gcinfo_deinit(&u->gc);
	listing_deinit(&u->il);
	free(u->code[0]);
	free(u->code[1]);
	free(u->clauses);
	free_types(u->catch_types, u->nclauses);
	clrsos_method_desc_info_deinit(&u->m);
}

/* A call's or jump's target: an immediate, or the cell a RIP-relative operand reads. */
static bool branch_target(struct clrsos_target *target, const struct clrsos_insn *in, uint64_t *ret)
{
	const char *op = in->operands;
	char *end;
	if (!strncmp(op, "0x", 2)) {
		*ret = strtoull(op, &end, 16);
		return *end == '\0';
	}
	const char *rip = strstr(op, "[rip ");
	if (!rip || strncmp(op, "qword ptr ", 10))
		return false;
	char sign = rip[5];
	if ((sign != '+' && sign != '-') || strncmp(rip + 6, " 0x", 3))
		return false;
	uint64_t disp = strtoull(rip + 9, &end, 16);
	if (*end != ']')
		return false;
	uint64_t next = in->address + in->size;
	uint64_t cell = sign == '+' ? next + disp : next - disp;
	return !clrsos_error_ignore(clrsos_target_read(target, cell, ret, 8));
}

static char *method_annotation(struct clrsos_dac *dac, uint64_t md)
{
	struct clrsos_method_desc_info m;
	if (clrsos_error_ignore(clrsos_method_desc_info_init(&m, dac, md, 0)))
		return NULL;
	struct clrsos_name_buf nb;
	const char *name = m.name ? clrsos_safe_name(m.name, &nb) : "UNKNOWN";
	size_t len = strlen(name) + 48;
	char *s = malloc(len);
	if (s)
		snprintf(s, len, "%s, mdToken: %016" PRIx32, name, m.token);
	clrsos_method_desc_info_deinit(&m);
	return s;
}

/* What a call or jump reaches, as SOS names it: a managed method, or a JIT helper. */
static char *annotate(struct clrsos_dac *dac, struct clrsos_target *target, const struct clru *u,
		      const struct clrsos_insn *in)
{
	bool call = !strncmp(in->mnemonic, "call", 4);
	if (!call && strncmp(in->mnemonic, "jmp", 3))
		return NULL;
	uint64_t to;
	if (!branch_target(target, in, &to) || !to)
		return NULL;
	/* A jump inside the method is not named; a call inside it (a funclet) is, as SOS does. */
	for (int r = 0; r < u->nregions && !call; r++)
		if (to >= u->start[r] && to - u->start[r] < u->size[r])
			return NULL;
	/* A stub between (a call counter, a precode) jumps on through a cell: follow a few. */
	for (int hop = 0; hop < 4 && to; hop++) {
		uint64_t md = 0;
		if (clrsos_error_ignore(clrsos_method_desc_from_entry(dac, to, &md)))
			md = 0;
		if (md)
			return method_annotation(dac, md);
		char helper[256];
		if (clrsos_jit_helper_name(dac, to, helper, sizeof(helper))) {
			size_t len = strlen(helper) + 16;
			char *s = malloc(len);
			if (s)
				snprintf(s, len, "JitHelp: %s", helper);
			return s;
		}
		struct clrsos_insn *stub = NULL;
		size_t n = 0;
		uint64_t next = 0;
		if (!clrsos_error_ignore(clrsos_target_disassemble(target, to, STUB_BYTES, &stub, &n))) {
			for (size_t i = 0; i < n && i < STUB_INSNS && !next; i++)
				if (!strcmp(stub[i].mnemonic, "jmp") && !branch_target(target, &stub[i], &next))
					next = 0;
		}
		clrsos_insns_free(stub, n);
		to = next;
	}
	return NULL;
}

/* A MethodDesc, or an address in JIT-compiled code: the MethodDesc and the code address (0 for a MethodDesc). */
static struct clrsos_error *method_of(struct clrsos_dac *dac, const char *command, uint64_t addr,
				      struct clrsos_method_desc_info *m, uint64_t *ret_ip)
{
	*ret_ip = 0;
	struct clrsos_error *err = addr ? clrsos_method_desc_info_init(m, dac, addr, 0) : NULL;
	if (addr && !err)
		return NULL;
	if (clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	uint64_t md = 0;
	if (addr && (err = clrsos_error_ignore(clrsos_method_desc_from_ip(dac, addr, &md))))
		return err;
	if (!md)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "%s: 0x%" PRIx64 " is not a MethodDesc or an address in JIT-compiled code "
					   "(ip2md, dumpmt -md and clrstack give them)", command, addr);
	*ret_ip = addr;
	return clrsos_method_desc_info_init(m, dac, md, addr);
}

/* -gcinfo: the code's GC info, decoded, and its transitions. */
static struct clrsos_error *clru_gcinfo(struct clrsos_dac *dac, struct clrsos_target *target, struct clru *u)
{
	struct clrsos_error *err = clrsos_method_gcinfo_read(dac, target, u->h.start, &u->gc);
	if (err)
		return clrsos_error_wrap(err, "clru -gcinfo");
	u->have_gc = true;
	if ((err = clrsos_gcinfo_transitions(&u->gc.info, &u->gc_events, &u->gc_nevents)))
		return err;
	u->gc_ready = true;
	return NULL;
}

/*
 * -gcinfo, as SOS interleaves it: the table's header before the first
 * instruction, and before the instruction at offset the transitions not
 * yet shown up to the first line of a later offset.
 */
static void gcinfo_through(const struct clru *u, struct clrsos_gcinfo_render *st, uint64_t offset,
			   struct clrsos_writer *out)
{
	if (!u->gc_ready)
		return;
	if (!st->started)
		clrsos_render_gcinfo_header(&u->gc, out);
	clrsos_render_gcinfo_transitions(&u->gc.info, u->gc_events, u->gc_nevents, st, offset, out);
}

/* Each instruction's source line, as SOS finds it: the IL offset of the instruction's own address. */
static struct clrsos_error *clru_sources(struct clrsos_dac *dac, struct clru *u)
{
	struct clrsos_source_cache *cache = clrsos_source_cache_create();
	if (!cache)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < u->nlines && !err; i++)
		err = clrsos_source_line_at(cache, dac, u->m.method_desc, u->lines[i].address, false, &u->lines[i].file,
					    &u->lines[i].line);
	clrsos_source_cache_destroy(cache);
	return err;
}

/*
 * -il: the method's IL and, as SOS pairs them, each run of IL instructions
 * with the code it became: a run starts at an IL offset the map gives
 * code for and takes the offsets after it that the map gives none.
 */
static struct clrsos_error *clru_il(struct clrsos_session *session, struct clrsos_dac *dac, struct clru *u)
{
	struct clrsos_error *err = clrsos_method_il_map(dac, u->h.start, &u->map, &u->nmap);
	if (err)
		return err;
	if ((u->m.token & 0xffffff) == 0 || u->m.is_dynamic)
		return NULL;
	struct dumpil_options o;
	memset(&o, 0, sizeof(o));
	o.a.values[0] = u->m.method_desc;
	o.a.count = 1;
	err = dumpil_compute(session, &o, &u->il);
	if (err) {
		/* Without its IL, the code alone, as SOS goes on. */
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	u->has_il = true;
	if (!u->nmap)
		return NULL;
	if (!(u->ranges = calloc(u->il.nlines, sizeof(*u->ranges))))
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < u->il.nlines; i++) {
		uint32_t pos = u->il.lines[i].offset;
		size_t k;
		for (k = 0; k < u->nmap; k++)
			if (u->map[k].il_offset == pos && u->map[k].end > u->map[k].start)
				break;
		if (k < u->nmap)
			u->ranges[u->nranges++] = (struct il_range){pos, pos, u->map[k].start, u->map[k].end};
		else if (u->nranges)
			u->ranges[u->nranges - 1].last = pos;
	}
	return NULL;
}

static struct clrsos_error *clru_compute(struct clrsos_session *session, uint64_t addr, struct clru *u)
{
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	struct clrsos_target *target = clrsos_session_target(session);
	if ((err = method_of(dac, "clru", addr, &u->m, &u->asked)))
		return err;
	if (!u->m.has_code || !u->m.code)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "clru: Not jitted yet: 0x%" PRIx64 " has no code",
					   u->m.method_desc);
	uint64_t at = u->asked ? u->asked : u->m.code;
	if ((err = clrsos_error_ignore(clrsos_code_header_read(dac, at, &u->h))))
		return err;
	if (!u->h.start)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "clru: Unable to get codeHeader information for 0x%" PRIx64, at);
	if (u->h.jit_type == 0)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "clru: unknown Jit for the code at 0x%" PRIx64,
					   u->h.start);
	u->start[0] = u->h.start;
	u->size[0] = u->h.cold_start ? u->h.hot_size : u->h.size;
	u->nregions = 1;
	if (u->h.cold_start) {
		u->start[1] = u->h.cold_start;
		u->size[1] = u->h.cold_size;
		u->nregions = 2;
	}
	if (u->with_eh && (err = eh_clauses(session, dac, u->h.start, &u->clauses, &u->nclauses, &u->catch_types)))
		return err;
	size_t cap = 0;
	for (int r = 0; r < u->nregions; r++) {
		struct clrsos_insn *insns = NULL;
		size_t n = 0;
		if (!(u->code[r] = malloc(u->size[r] ? u->size[r] : 1)))
			return &clrsos_error_no_memory;
		if ((err = clrsos_target_read(target, u->start[r], u->code[r], u->size[r])) ||
		    (err = clrsos_target_disassemble(target, u->start[r], u->size[r], &insns, &n)))
			return clrsos_error_wrap(err, "clru: the code at 0x%" PRIx64, u->start[r]);
		for (size_t i = 0; i < n && !err; i++) {
			const struct clrsos_insn *in = &insns[i];
			if (in->address < u->start[r] || in->address - u->start[r] + in->size > u->size[r])
				break;
			if (u->nlines == cap) {
				cap = cap ? cap * 2 : 256;
				struct clru_line *p = realloc(u->lines, cap * sizeof(*p));
				if (!p) {
					err = &clrsos_error_no_memory;
					break;
				}
				u->lines = p;
			}
			struct clru_line *line = &u->lines[u->nlines];
			memset(line, 0, sizeof(*line));
			line->address = in->address;
			line->size = in->size;
			line->region = r;
			line->bytes = u->code[r] + (in->address - u->start[r]);
			size_t len = strlen(in->mnemonic) + strlen(in->operands) + 16;
			if (!(line->text = malloc(len))) {
				err = &clrsos_error_no_memory;
				break;
			}
			u->nlines++;
			/* lldb's layout, as SOS prints it: the mnemonic padded, a space, the operands. */
			snprintf(line->text, len, "%-7s %s", in->mnemonic, in->operands);
			line->annotation = annotate(dac, target, u, in);
		}
		clrsos_insns_free(insns, n);
		if (err)
			return err;
	}
	if (!u->no_lines && (err = clru_sources(dac, u)))
		return err;
	if (u->with_gcinfo && (err = clru_gcinfo(dac, target, u)))
		return err;
	if (u->with_il)
		return clru_il(session, dac, u);
	return NULL;
}

/* SOS's EH markers at an offset of the code (u -ehinfo). */
static void eh_marks(const struct clru *u, uint64_t offset, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	for (size_t i = 0; i < u->nclauses; i++) {
		const struct clrsos_eh_clause *c = &u->clauses[i];
		if (cloned_finally(c) && offset == c->handler_end)
			clrsos_outf(out, "EHHandler %zu: CLONED FINALLY END\n", i);
	}
	for (size_t i = 0; i < u->nclauses; i++) {
		const struct clrsos_eh_clause *c = &u->clauses[i];
		if (c->duplicate)
			continue;
		if (offset == c->try_end)
			clrsos_outf(out, "EHHandler %zu: %s CLAUSE END\n", i, eh_kind_name(c->kind));
		if (offset == c->handler_end)
			clrsos_outf(out, "EHHandler %zu: %s HANDLER END\n", i, eh_kind_name(c->kind));
	}
	for (size_t i = u->nclauses; i-- > 0;) {
		const struct clrsos_eh_clause *c = &u->clauses[i];
		if (cloned_finally(c) && offset == c->handler_start)
			clrsos_outf(out, "EHHandler %zu: CLONED FINALLY BEGIN\n", i);
		if (c->duplicate)
			continue;
		const char *type = u->catch_types[i] ? clrsos_safe_name(u->catch_types[i], &nb) : NULL;
		if (offset == c->try_start) {
			clrsos_outf(out, "EHHandler %zu: %s CLAUSE BEGIN", i, eh_kind_name(c->kind));
			if (type)
				clrsos_outf(out, " catch(%s) ", type);
			clrsos_out(out, "\n");
		}
		if (offset == c->handler_start) {
			clrsos_outf(out, "EHHandler %zu: %s HANDLER BEGIN", i, eh_kind_name(c->kind));
			if (type)
				clrsos_outf(out, " catch(%s) ", type);
			clrsos_out(out, "\n");
		}
		if (c->kind == CLRSOS_EH_FILTER && offset == c->filter)
			clrsos_outf(out, "EHHandler %zu: %s FILTER BEGIN\n", i, eh_kind_name(c->kind));
	}
}

static void clru_text(const struct clru *u, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	clrsos_out(out, u->h.jit_type == 1 ? "Normal JIT generated code\n" : "preJIT generated code\n");
	clrsos_outf(out, "%s\n", u->m.name ? clrsos_safe_name(u->m.name, &nb) : "UNKNOWN");
	if (u->with_il && !u->nmap)
		clrsos_out(out, "Failed to get IL address map, proceeding without IL map\n");
	/* -il -map: the map, as SOS lists it (IL offset, code begin, code end). */
	for (size_t i = 0; u->with_map && i < u->nmap; i++)
		clrsos_outf(out, "%08" PRIx32 " %016" PRIX64 " %016" PRIX64 "\n", u->map[i].il_offset, u->map[i].start,
			    u->map[i].end);
	/* -il, as SOS: the whole IL first, then each run again before its code. */
	if (u->has_il && u->nmap) {
		unsigned indent = 0;
		for (size_t i = 0; i < u->il.nlines; i++) {
			blocks_at(&u->il.body, u->il.lines[i].offset, &indent, out);
			print_line(&u->il.lines[i], indent, out);
		}
	}
	if (u->h.cold_start)
		clrsos_outf(out, "Begin %016" PRIX64 ", size %" PRIx32 ". Cold region begin %016" PRIX64 ", size %" PRIx32 "\n",
			    u->h.start, u->h.hot_size, u->h.cold_start, u->h.cold_size);
	else
		clrsos_outf(out, "Begin %016" PRIX64 ", size %" PRIx32 "\n", u->h.start, u->h.size);
	int region = -1;
	uint32_t shown_line = 0;
	bool *shown_range = u->nranges ? calloc(u->nranges, sizeof(bool)) : NULL;
	unsigned il_indent = 0;
	struct clrsos_gcinfo_render gc_state = {0};
	for (size_t i = 0; i < u->nlines; i++) {
		const struct clru_line *l = &u->lines[i];
		if (u->nregions > 1 && l->region != region) {
			region = l->region;
			clrsos_out(out, region ? "Cold region:\n" : "Hot region:\n");
		}
		/* The source line where it changes, as SOS marks it. */
		if (l->file && l->line != shown_line) {
			shown_line = l->line;
			clrsos_outf(out, "\n%s @ %u:\n", clrsos_safe_name(l->file, &nb), l->line);
		}
		/* -il: the first run of IL whose code holds this instruction, once. */
		for (size_t k = 0; shown_range && k < u->nranges; k++) {
			const struct il_range *r = &u->ranges[k];
			if (shown_range[k] || l->address < r->start || l->address >= r->end)
				continue;
			for (size_t x = 0; x < u->il.nlines; x++) {
				uint32_t pos = u->il.lines[x].offset;
				if (pos < r->first || pos > r->last)
					continue;
				blocks_at(&u->il.body, pos, &il_indent, out);
				print_line(&u->il.lines[x], il_indent, out);
			}
			shown_range[k] = true;
			break;
		}
		/* Offsets run on from the hot region into the cold one, as SOS counts them. */
		uint64_t offset = l->address - u->start[l->region] + (l->region ? u->size[0] : 0);
		gcinfo_through(u, &gc_state, offset, out);
		if (u->with_eh)
			eh_marks(u, offset, out);
		if (u->asked && l->address == u->asked)
			clrsos_out(out, ">>> ");
		if (u->offsets)
			clrsos_outf(out, "%04" PRIx64 " ", offset);
		char hex[2 * 16 + 1] = "";
		for (uint32_t b = 0; b < l->size && b < 16; b++)
			snprintf(hex + 2 * b, 3, "%02x", l->bytes[b]);
		clrsos_outf(out, "%016" PRIx64 " %-20s %s", l->address, hex, l->text);
		if (l->annotation)
			clrsos_outf(out, " (%s)", clrsos_safe_name(l->annotation, &nb));
		clrsos_out(out, "\n");
	}
	free(shown_range);
}

static void clru_json(const struct clru *u, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_render_method_desc_json(&u->m, &j);
	clrsos_json_key(&j, "jitType");
	clrsos_json_string(&j, u->h.jit_type == 1 ? "JIT" : "preJIT");
	clrsos_json_key(&j, "begin");
	clrsos_json_address(&j, u->h.start);
	clrsos_json_key(&j, "size");
	clrsos_json_uint(&j, u->h.cold_start ? u->h.hot_size : u->h.size);
	clrsos_json_key(&j, "coldBegin");
	u->h.cold_start ? clrsos_json_address(&j, u->h.cold_start) : clrsos_json_null(&j);
	clrsos_json_key(&j, "coldSize");
	clrsos_json_uint(&j, u->h.cold_size);
	clrsos_json_key(&j, "instructions");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < u->nlines; i++) {
		const struct clru_line *l = &u->lines[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, l->address);
		clrsos_json_key(&j, "offset");
		clrsos_json_uint(&j, l->address - u->start[l->region] + (l->region ? u->size[0] : 0));
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, l->size);
		clrsos_json_key(&j, "text");
		size_t n = strlen(l->text);
		while (n && l->text[n - 1] == ' ')
			n--;
		char *text = strndup(l->text, n);
		clrsos_json_string(&j, text ? text : l->text);
		free(text);
		clrsos_json_key(&j, "annotation");
		clrsos_json_string(&j, l->annotation);
		clrsos_json_key(&j, "file");
		clrsos_json_string(&j, l->file);
		clrsos_json_key(&j, "line");
		l->file ? clrsos_json_uint(&j, l->line) : clrsos_json_null(&j);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	if (u->with_il) {
		clrsos_json_key(&j, "ilMap");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < u->nmap; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "ilOffset");
			clrsos_json_uint(&j, u->map[i].il_offset);
			clrsos_json_key(&j, "begin");
			clrsos_json_address(&j, u->map[i].start);
			clrsos_json_key(&j, "end");
			clrsos_json_address(&j, u->map[i].end);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "ilRuns");
		clrsos_json_array_begin(&j);
		for (size_t k = 0; k < u->nranges; k++) {
			const struct il_range *r = &u->ranges[k];
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "begin");
			clrsos_json_address(&j, r->start);
			clrsos_json_key(&j, "end");
			clrsos_json_address(&j, r->end);
			clrsos_json_key(&j, "instructions");
			clrsos_json_array_begin(&j);
			for (size_t x = 0; x < u->il.nlines; x++) {
				const struct il_line *il = &u->il.lines[x];
				if (il->offset < r->first || il->offset > r->last)
					continue;
				clrsos_json_object_begin(&j);
				clrsos_json_key(&j, "offset");
				clrsos_json_uint(&j, il->offset);
				clrsos_json_key(&j, "opcode");
				clrsos_json_string(&j, il->opcode);
				clrsos_json_key(&j, "operand");
				clrsos_json_string(&j, il->operand);
				clrsos_json_object_end(&j);
			}
			clrsos_json_array_end(&j);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_clru(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				     const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	struct clru u;
	memset(&u, 0, sizeof(u));
	struct clrsos_address_operands a;
	memset(&a, 0, sizeof(a));
	a.command = "clru";
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
		CLRSOS_FLAG("-ehinfo", &u.with_eh),
		CLRSOS_FLAG("-o", &u.offsets),
		CLRSOS_FLAG("-n", &u.no_lines),
		CLRSOS_FLAG("-il", &u.with_il),
		CLRSOS_FLAG("-map", &u.with_map),
		CLRSOS_FLAG("-gcinfo", &u.with_gcinfo),
	};
	const struct clrsos_options spec = {
		.command = "clru",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = &a,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !a.count)
		err = clrsos_address_missing("clru", "a MethodDesc or a code address");
	if (err)
		return err;
	if (!(err = clru_compute(session, a.values[0], &u))) {
		if (json)
			clru_json(&u, out);
		else
			clru_text(&u, out);
	}
	clru_deinit(&u);
	return err;
}
