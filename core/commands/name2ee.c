/*
 * name2ee <module|*> <name> (or <module>!<name>), token2ee <module|*>
 * <token>: the loaded types, methods and fields of a name or a metadata
 * token, module by module, as SOS's Name2EE and Token2EE show them. Every
 * match is found first, then rendered as text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/vector.h"
#include "base/watch.h"
#include "model/domains.h"
#include "model/fields.h"
#include "model/heap.h"
#include "model/metadata.h"
#include "model/methods.h"
#include "model/objects.h"
#include "model/runtimedata.h"
#include "session/session.h"
#include "commands.h"

enum ee_kind { EE_TYPE, EE_METHOD, EE_FIELD };

struct ee_match {
	enum ee_kind kind;
	uint32_t type_token;   /* the type's TypeDef (TypeRef for token2ee's) */
	uint64_t mt;           /* 0: not loaded */
	char *type_name;       /* malloc'd; NULL: unknown */
	uint32_t member_token; /* a method's or field's */
	uint64_t method_desc;  /* 0: not made yet */
	uint64_t code;         /* 0: not compiled */
	bool code_unknown;     /* compiled, but the runtime does not say where */
	char *member_name;     /* a method's full name or a field's name, malloc'd */
};

struct ee_module {
	const struct clrsos_clr_module *module;
	struct ee_match *matches;
	size_t count, capacity;
};

struct ee_result {
	struct clrsos_clr_module_list modules;
	struct ee_module *found; /* modules with a match, in the runtime's order */
	size_t nfound, capacity;
	size_t searched;         /* modules searched */
};

struct ee_search {
	struct clrsos_dac *dac;
	struct clrsos_types *types;
	struct ee_result *r;
	struct ee_module *current;
	struct clrsos_watch *watch; /* Ctrl-C: checked for each type of each module searched */
};

static void ee_result_deinit(struct ee_result *r)
{
	for (size_t i = 0; i < r->nfound; i++) {
		for (size_t k = 0; k < r->found[i].count; k++) {
			free(r->found[i].matches[k].type_name);
			free(r->found[i].matches[k].member_name);
		}
		free(r->found[i].matches);
	}
	free(r->found);
	clrsos_clr_module_list_deinit(&r->modules);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The module's file: where the runtime names none for the module itself (.NET 8), its assembly's. */
static const char *module_path(const struct clrsos_clr_module *m)
{
	return m->path ? m->path : m->assembly_name;
}

/* The module's file as SOS's Assembly line shows it. */
static const char *module_file(const struct clrsos_clr_module *m)
{
	return module_path(m) ? base_name(module_path(m)) : m->dynamic ? "<dynamic>" : "<unknown>";
}

/* By its file name (with or without its extension) or path, ignoring case. */
static bool module_matches(const struct clrsos_clr_module *m, const char *name)
{
	const char *path = module_path(m);
	if (!path)
		return false;
	const char *file = base_name(path);
	const char *dot = strrchr(file, '.');
	size_t stem = dot ? (size_t)(dot - file) : strlen(file);
	return !strcasecmp(file, name) || !strcasecmp(path, name) ||
	       (strlen(name) == stem && !strncasecmp(file, name, stem));
}

static bool contains_ci(const char *haystack, const char *needle)
{
	return strcasestr(haystack, needle) != NULL;
}

/* A match in the current module (made on the first). */
static struct clrsos_error *add_match(struct ee_search *s, const struct clrsos_clr_module *m, struct ee_match **ret)
{
	if (!s->current || s->current->module != m) {
		if (clrsos_array_reserve(&s->r->found, &s->r->capacity, s->r->nfound + 1))
			return &clrsos_error_no_memory;
		s->current = &s->r->found[s->r->nfound++];
		memset(s->current, 0, sizeof(*s->current));
		s->current->module = m;
	}
	if (clrsos_array_reserve(&s->current->matches, &s->current->capacity, s->current->count + 1))
		return &clrsos_error_no_memory;
	*ret = &s->current->matches[s->current->count++];
	memset(*ret, 0, sizeof(**ret));
	return NULL;
}

static struct clrsos_error *dup_or_null(const char *text, char **ret)
{
	*ret = text ? strdup(text) : NULL;
	return text && !*ret ? &clrsos_error_no_memory : NULL;
}

/* The type's name as dumpmt shows it; NULL if mt is not a MethodTable. */
static const char *ee_type_name(struct ee_search *s, uint64_t mt)
{
	const struct clrsos_type *t = clrsos_types_get(s->types, mt);
	return t ? clrsos_types_name(s->types, t) : NULL;
}

/*
 * A method match. token: its MethodDef where known (0: from its MethodDesc).
 * A MethodDesc the runtime will name but not describe (GetMethodDescData
 * fails for some in a core) is still listed, its code unknown.
 */
static struct clrsos_error *add_method(struct ee_search *s, const struct clrsos_clr_module *m, uint64_t mt,
				       const char *type_name, uint32_t type_token, uint64_t method_desc, uint32_t token)
{
	struct clrsos_method_desc_info info;
	struct clrsos_error *err = clrsos_method_desc_info_init(&info, s->dac, method_desc, 0);
	bool described = !err;
	char *name = NULL;
	bool has_code = false;
	if (err) {
		if ((err = clrsos_error_ignore(err)) || !token)
			return err;
		memset(&info, 0, sizeof(info));
		if ((err = clrsos_error_ignore(clrsos_method_desc_name(s->dac, method_desc, &name, &has_code))))
			return err;
	}
	struct ee_match *x;
	if (!(err = add_match(s, m, &x))) {
		x->kind = EE_METHOD;
		x->mt = mt ? mt : info.method_table;
		x->type_token = type_token;
		x->member_token = described ? info.token : token;
		x->method_desc = method_desc;
		x->code = info.has_code ? info.code : 0;
		x->code_unknown = !described && has_code;
		if (!(err = dup_or_null(described ? info.name : name, &x->member_name)))
			err = dup_or_null(type_name ? type_name : ee_type_name(s, x->mt), &x->type_name);
	}
	free(name);
	if (described)
		clrsos_method_desc_info_deinit(&info);
	return err;
}

/* A metadata cell; false where the metadata cannot say. */
static bool md_cell(const struct clrsos_metadata *md, unsigned table, uint32_t rid, unsigned column, uint32_t *ret)
{
	struct clrsos_error *err = clrsos_metadata_column(md, table, rid, column, ret);
	clrsos_error_destroy(err);
	return !err;
}

/*
 * The methods TypeDef t declares named member (every overload), from its
 * module's metadata (TypeDef's MethodList run), each with the MethodDesc
 * the runtime has made for it (none made: not listed).
 */
static struct clrsos_error *name_search_methods(struct ee_search *s, const struct clrsos_clr_module *m,
						const struct clrsos_module_type *t, const char *tname, const char *member,
						bool *ret_found)
{
	enum { TYPEDEF_METHODLIST = 5, METHODDEF_NAME = 3 };
	const struct clrsos_metadata *md = NULL;
	*ret_found = false;
	struct clrsos_error *err = clrsos_types_metadata(s->types, m->address, &md);
	if (err || !md || clrsos_metadata_rows(md, CLRSOS_MD_METHODPTR))
		return err;
	uint32_t rid = t->token & 0xffffff, types = clrsos_metadata_rows(md, CLRSOS_MD_TYPEDEF);
	uint32_t methods = clrsos_metadata_rows(md, CLRSOS_MD_METHODDEF), first, end = methods + 1;
	if (!md_cell(md, CLRSOS_MD_TYPEDEF, rid, TYPEDEF_METHODLIST, &first) ||
	    (rid < types && !md_cell(md, CLRSOS_MD_TYPEDEF, rid + 1, TYPEDEF_METHODLIST, &end)))
		return NULL;
	/* The type's methods by slot know MethodDescs the module's token map may not hold yet (read on need). */
	struct clrsos_method_list slots = {0};
	bool have_slots = false;
	for (uint32_t r = first; r < end && r <= methods && !err; r++) {
		uint32_t name_index, token = 0x06000000u | r;
		const char *name;
		if (!md_cell(md, CLRSOS_MD_METHODDEF, r, METHODDEF_NAME, &name_index))
			continue;
		struct clrsos_error *serr = clrsos_metadata_string(md, name_index, &name);
		clrsos_error_destroy(serr);
		if (serr || strcmp(name, member))
			continue;
		uint64_t desc = 0;
		if ((err = clrsos_method_desc_from_token(s->dac, m->address, token, &desc)))
			break;
		if (!desc && !have_slots) {
			struct clrsos_method_table_info info;
			have_slots = true;
			if ((err = clrsos_error_ignore(clrsos_method_table_info_init(&info, s->dac, t->mt))))
				break;
			err = clrsos_error_ignore(clrsos_method_list_init(&slots, s->dac, t->mt, info.methods));
			clrsos_method_table_info_deinit(&info);
		}
		for (size_t i = 0; i < slots.count && !desc && !err; i++) {
			/* The slot's own token and module (an inherited method's are another module's). */
			struct clrsos_method *x = &slots.items[i];
			uint64_t module = 0;
			uint32_t own = 0;
			if (x->method_desc)
				err = clrsos_method_desc_token(s->dac, x->method_desc, &module, &own);
			if (own == token && module == m->address)
				desc = x->method_desc;
		}
		if (err || !desc)
			continue;
		*ret_found = true;
		err = add_method(s, m, t->mt, tname, t->token, desc, token);
	}
	clrsos_method_list_deinit(&slots);
	return err;
}

/* name2ee's matching within one type: the type by name, else a method or field of it. */
static struct clrsos_error *name_search_type(struct ee_search *s, const struct clrsos_clr_module *m,
					     const struct clrsos_module_type *t, const char *name)
{
	const char *tname = ee_type_name(s, t->mt);
	if (!tname)
		return NULL;
	struct ee_match *x;
	struct clrsos_error *err;
	if (contains_ci(tname, name)) {
		if ((err = add_match(s, m, &x)))
			return err;
		x->kind = EE_TYPE;
		x->mt = t->mt;
		x->type_token = t->token;
		return dup_or_null(tname, &x->type_name);
	}
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name)
		return NULL;
	if (dot[-1] == '.' && dot - 1 > name)
		dot--; /* Type..ctor */
	size_t type_len = (size_t)(dot - name);
	const char *member = dot + 1;
	char *type_part = strndup(name, type_len);
	if (!type_part)
		return &clrsos_error_no_memory;
	bool in_type = contains_ci(tname, type_part);
	free(type_part);
	if (!in_type || !*member)
		return NULL;
	bool found = false;
	if ((err = name_search_methods(s, m, t, tname, member, &found)) || found)
		return err;
	struct clrsos_fields fields = {0};
	if ((err = clrsos_error_ignore(clrsos_fields_init(s->dac, s->types, t->mt, &fields))))
		return err;
	for (size_t i = 0; i < fields.count && !err; i++) {
		if (strcmp(fields.items[i].name, member))
			continue;
		if (!(err = add_match(s, m, &x))) {
			x->kind = EE_FIELD;
			x->mt = t->mt;
			x->type_token = t->token;
			x->member_token = fields.items[i].token;
			if (!(err = dup_or_null(tname, &x->type_name)))
				err = dup_or_null(fields.items[i].name, &x->member_name);
		}
		break;
	}
	clrsos_fields_deinit(&fields);
	return err;
}

static struct clrsos_error *name_search_module(struct ee_search *s, const struct clrsos_clr_module *m,
					       const char *name)
{
	struct clrsos_module_type_list types;
	struct clrsos_error *err =
		clrsos_error_ignore(clrsos_module_type_list_init(&types, s->dac, m->address, false, false));
	for (size_t i = 0; i < types.count && !err; i++)
		if (!(err = clrsos_watch_tick(s->watch)))
			err = name_search_type(s, m, &types.items[i], name);
	clrsos_module_type_list_deinit(&types);
	return err;
}

/* A TypeDef's or TypeRef's loaded type in m. */
static struct clrsos_error *token_search_type(struct ee_search *s, const struct clrsos_clr_module *m, uint32_t token)
{
	struct clrsos_module_type_list types;
	struct clrsos_error *err = clrsos_error_ignore(
		clrsos_module_type_list_init(&types, s->dac, m->address, (token >> 24) == 0x01, false));
	for (size_t i = 0; i < types.count && !err; i++) {
		if (types.items[i].token != token)
			continue;
		struct ee_match *x;
		if (!(err = add_match(s, m, &x))) {
			x->kind = EE_TYPE;
			x->mt = types.items[i].mt;
			x->type_token = token;
			err = dup_or_null(ee_type_name(s, x->mt), &x->type_name);
		}
		break;
	}
	clrsos_module_type_list_deinit(&types);
	return err;
}

/* A FieldDef: the loaded type of m that declares it. */
static struct clrsos_error *token_search_field(struct ee_search *s, const struct clrsos_clr_module *m, uint32_t token)
{
	struct clrsos_module_type_list types;
	struct clrsos_error *err =
		clrsos_error_ignore(clrsos_module_type_list_init(&types, s->dac, m->address, false, false));
	bool found = false;
	for (size_t i = 0; i < types.count && !err && !found; i++) {
		struct clrsos_fields fields = {0};
		if ((err = clrsos_error_ignore(clrsos_fields_init(s->dac, s->types, types.items[i].mt, &fields))))
			break;
		for (size_t k = 0; k < fields.count && !err && !found; k++) {
			const struct clrsos_field *f = &fields.items[k];
			if (f->token != token || f->declaring_mt != types.items[i].mt)
				continue;
			found = true;
			struct ee_match *x;
			if (!(err = add_match(s, m, &x))) {
				x->kind = EE_FIELD;
				x->mt = types.items[i].mt;
				x->type_token = types.items[i].token;
				x->member_token = token;
				if (!(err = dup_or_null(f->name, &x->member_name)))
					err = dup_or_null(ee_type_name(s, x->mt), &x->type_name);
			}
		}
		clrsos_fields_deinit(&fields);
	}
	clrsos_module_type_list_deinit(&types);
	return err;
}

static struct clrsos_error *token_search_module(struct ee_search *s, const struct clrsos_clr_module *m, uint32_t token)
{
	switch (token >> 24) {
	case 0x02:
	case 0x01:
		return token_search_type(s, m, token);
	case 0x04:
		return token_search_field(s, m, token);
	default: {
		uint64_t md = 0;
		struct clrsos_error *err = clrsos_method_desc_from_token(s->dac, m->address, token, &md);
		return err || !md ? err : add_method(s, m, 0, NULL, 0, md, token);
	}
	}
}

struct ee_options {
	const char *operands[2];
	int count;
	bool json;
};

static struct clrsos_error *ee_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	struct ee_options *o = ctx;
	o->operands[index] = arg;
	o->count = index + 1;
	return NULL;
}

static struct clrsos_error *ee_parse(const char *command, const struct clrsos_host *host, int argc,
				     const char *const *argv, struct ee_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {CLRSOS_FLAG("--json", &o->json)};
	const struct clrsos_options spec = {
		.command = command,
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 2,
		.operand = ee_operand,
		.ctx = o,
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}

/* Search the modules named (or all, "*") with fn; an error if none is named so. */
static struct clrsos_error *ee_search(struct clrsos_session *session, const char *command, const char *module,
				      struct clrsos_error *(*fn)(struct ee_search *, const struct clrsos_clr_module *,
								 const void *),
				      const void *what, struct ee_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_dac *dac;
	struct clrsos_heap *heap;
	struct clrsos_error *err = clrsos_session_dac(session, &dac);
	if (!err)
		err = clrsos_session_heap(session, &heap);
	if (err || (err = clrsos_clr_module_list_init(&r->modules, dac, clrsos_session_target(session))))
		return err;
	struct ee_search s = {.dac = dac, .types = clrsos_heap_types(heap), .r = r,
			      .watch = clrsos_session_watch(session)};
	bool all = !strcmp(module, "*");
	for (size_t i = 0; i < r->modules.count && !err; i++) {
		const struct clrsos_clr_module *m = &r->modules.items[i];
		if (!all && !module_matches(m, module))
			continue;
		r->searched++;
		if (!(err = clrsos_watch_tick(s.watch)))
			err = fn(&s, m, what);
	}
	if (!err && !r->searched) {
		struct clrsos_name_buf nb;
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "%s: no module '%s' in this process (clrmodules lists them; * searches all)",
					  command, clrsos_safe_name(module, &nb));
	}
	if (err)
		ee_result_deinit(r);
	return err;
}

static struct clrsos_error *name_fn(struct ee_search *s, const struct clrsos_clr_module *m, const void *what)
{
	return name_search_module(s, m, what);
}

static struct clrsos_error *token_fn(struct ee_search *s, const struct clrsos_clr_module *m, const void *what)
{
	return token_search_module(s, m, *(const uint32_t *)what);
}

static void render_type_lines(const struct ee_match *x, bool short_token, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	if (short_token)
		clrsos_outf(out, "Token:       %08" PRIx32 "\n", x->type_token);
	else
		clrsos_outf(out, "Token:       %016" PRIx32 "\n", x->type_token);
	if (x->mt)
		clrsos_outf(out, "MethodTable: %016" PRIx64 "\n", x->mt);
	else
		clrsos_out(out, "MethodTable: <not loaded yet>\n");
	clrsos_outf(out, "Name:        %s\n", x->type_name ? clrsos_safe_name(x->type_name, &nb) : "<unknown>");
}

static void render_match_text(const struct ee_match *x, bool token2ee, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	switch (x->kind) {
	case EE_TYPE:
		render_type_lines(x, token2ee, out);
		break;
	case EE_METHOD:
		if (token2ee)
			clrsos_outf(out, "Token:       %08" PRIx32 "\n", x->member_token);
		else
			clrsos_outf(out, "Token:       %016" PRIx32 "\n", x->member_token);
		clrsos_outf(out, "MethodDesc:  %016" PRIx64 "\n", x->method_desc);
		clrsos_outf(out, "Name:        %s\n", x->member_name ? clrsos_safe_name(x->member_name, &nb) : "<unknown>");
		if (x->code)
			clrsos_outf(out, "JITTED Code Address: %016" PRIx64 "\n", x->code);
		else if (x->code_unknown)
			clrsos_out(out, "JITTED Code Address: unknown (the runtime does not describe this MethodDesc)\n");
		else
			clrsos_outf(out, "Not JITTED yet. Use !bpmd -md %016" PRIx64 " to break on run.\n", x->method_desc);
		break;
	case EE_FIELD:
		if (token2ee) {
			clrsos_outf(out, "Token:       %08" PRIx32 "\n", x->member_token);
			clrsos_outf(out, "Field name:  %s\n", clrsos_safe_name(x->member_name, &nb));
		} else {
			clrsos_outf(out, "Field %s (mdToken %08" PRIx32 ") of\n", clrsos_safe_name(x->member_name, &nb),
				    x->member_token);
			render_type_lines(x, false, out);
		}
		break;
	}
}

static void render_text(const struct ee_result *r, bool all, bool token2ee, struct clrsos_writer *out)
{
	for (size_t i = 0; i < r->nfound; i++) {
		const struct ee_module *e = &r->found[i];
		struct clrsos_name_buf nb;
		if (i)
			clrsos_out(out, "--------------------------------------\n");
		clrsos_outf(out, "Module:      %016" PRIx64 "\n", e->module->address);
		clrsos_outf(out, "Assembly:    %s\n", clrsos_safe_name(module_file(e->module), &nb));
		for (size_t k = 0; k < e->count; k++) {
			if (k)
				clrsos_out(out, "-----------------------\n");
			render_match_text(&e->matches[k], token2ee, out);
		}
	}
	size_t without = r->searched - r->nfound;
	if (all && without) {
		if (r->nfound)
			clrsos_out(out, "--------------------------------------\n");
		clrsos_outf(out, "\nScanned %zu module%s which had no matches.\n", without, without == 1 ? "" : "s");
	}
}

static void render_json(const struct ee_result *r, struct clrsos_writer *out)
{
	static const char *const kinds[] = {"type", "method", "field"};
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "modules");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nfound; i++) {
		const struct ee_module *e = &r->found[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "module");
		clrsos_json_address(&j, e->module->address);
		clrsos_json_key(&j, "file");
		clrsos_json_string(&j, module_path(e->module));
		clrsos_json_key(&j, "matches");
		clrsos_json_array_begin(&j);
		for (size_t k = 0; k < e->count; k++) {
			const struct ee_match *x = &e->matches[k];
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "kind");
			clrsos_json_string(&j, kinds[x->kind]);
			clrsos_json_key(&j, "typeToken");
			x->type_token ? clrsos_json_uint(&j, x->type_token) : clrsos_json_null(&j);
			clrsos_json_key(&j, "methodTable");
			x->mt ? clrsos_json_address(&j, x->mt) : clrsos_json_null(&j);
			clrsos_json_key(&j, "typeName");
			clrsos_json_string(&j, x->type_name);
			if (x->kind != EE_TYPE) {
				clrsos_json_key(&j, "token");
				clrsos_json_uint(&j, x->member_token);
				clrsos_json_key(&j, "name");
				clrsos_json_string(&j, x->member_name);
			}
			if (x->kind == EE_METHOD) {
				clrsos_json_key(&j, "methodDesc");
				clrsos_json_address(&j, x->method_desc);
				clrsos_json_key(&j, "codeAddr");
				x->code ? clrsos_json_address(&j, x->code) : clrsos_json_null(&j);
			}
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "modulesWithoutMatches");
	clrsos_json_uint(&j, r->searched - r->nfound);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static struct clrsos_error *ee_finish(struct ee_result *r, const char *module, bool all, bool token2ee, bool json,
				      const char *what, struct clrsos_writer *out)
{
	struct clrsos_error *err = NULL;
	struct clrsos_name_buf nb, nb2;
	if (!r->nfound)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s: nothing loaded matches %s in %s%s",
					  token2ee ? "token2ee" : "name2ee", clrsos_safe_name(what, &nb),
					  all ? "any module" : clrsos_safe_name(module, &nb2),
					  token2ee ? "" : " (a type, Type.Method or Type.Field, as dumpmt names it)");
	else if (json)
		render_json(r, out);
	else
		render_text(r, all, token2ee, out);
	ee_result_deinit(r);
	return err;
}

struct clrsos_error *clrsos_cmd_name2ee(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct ee_options o;
	struct clrsos_error *err = ee_parse("name2ee", host, argc, argv, &o);
	if (err)
		return err;
	char *module = NULL, *name = NULL;
	bool asked = false;
	if (o.count == 2) {
		asked = true;
		module = strdup(o.operands[0]);
		name = strdup(o.operands[1]);
	} else if (o.count == 1) {
		const char *bang = strchr(o.operands[0], '!');
		if (bang && bang != o.operands[0] && bang[1] && !strchr(bang + 1, '!')) {
			asked = true;
			module = strndup(o.operands[0], (size_t)(bang - o.operands[0]));
			name = strdup(bang + 1);
		}
	}
	if (asked && (!module || !name)) {
		free(module);
		free(name);
		return &clrsos_error_no_memory;
	}
	if (!asked || !*module || !*name) {
		free(module);
		free(name);
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "name2ee needs <module> <name> or <module>!<name> (module * searches all)");
	}
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '+'; /* nested types as IL writes them */
	struct ee_result r;
	if (!(err = ee_search(session, "name2ee", module, name_fn, name, &r)))
		err = ee_finish(&r, module, !strcmp(module, "*"), false, o.json, name, out);
	free(module);
	free(name);
	return err;
}

struct clrsos_error *clrsos_cmd_token2ee(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	struct ee_options o;
	struct clrsos_error *err = ee_parse("token2ee", host, argc, argv, &o);
	if (err)
		return err;
	if (o.count != 2)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "token2ee needs <module> <token> (module * searches all)");
	const char *text = o.operands[1];
	const char *digits = !strncasecmp(text, "0x", 2) ? text + 2 : text;
	char *end = NULL;
	unsigned long long v = *digits ? strtoull(digits, &end, 16) : 0;
	struct clrsos_name_buf nb;
	if (!*digits || *end || v > 0xffffffffull || strchr(digits, '-') || strchr(digits, ' '))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "token2ee: '%s' is not a token (hex, as 02000003 or 0x06000001)",
					   clrsos_safe_name(text, &nb));
	uint32_t token = (uint32_t)v, table = token >> 24;
	if (table != 0x02 && table != 0x01 && table != 0x06 && table != 0x04)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "token2ee: 0x%08" PRIx32 " is not a TypeDef (02), TypeRef (01), MethodDef (06) "
					   "or FieldDef (04) token", token);
	struct ee_result r;
	if ((err = ee_search(session, "token2ee", o.operands[0], token_fn, &token, &r)))
		return err;
	char shown[16];
	snprintf(shown, sizeof(shown), "%08" PRIx32, token);
	return ee_finish(&r, o.operands[0], !strcmp(o.operands[0], "*"), true, o.json, shown, out);
}
