/* Frame variables with names, types and typed values (framevars.h). */
#include "model/framevars.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/output.h"
#include "base/utf.h"
#include "dac/dac.h"
#include "model/fields.h"
#include "model/heap.h"
#include "model/il.h"
#include "model/metadata.h"
#include "model/objects.h"
#include "model/pdb.h"
#include "model/signature.h"
#include "model/stack.h"
#include "model/types.h"

enum { MAX_SIG_DEPTH = 16, CALLCONV_GENERIC = 0x10, CALLCONV_MASK = 0x0f, LOCAL_SIG = 0x07 };

/* The names ICorDebug's view gives the primitive element types (SOS's -i). */
static const char *primitive_name(uint8_t et)
{
	switch (et) {
	case CLRSOS_ELEMENT_VOID: return "void";
	case CLRSOS_ELEMENT_BOOLEAN: return "bool";
	case CLRSOS_ELEMENT_CHAR: return "char";
	case CLRSOS_ELEMENT_I1: return "signed byte";
	case CLRSOS_ELEMENT_U1: return "byte";
	case CLRSOS_ELEMENT_I2: return "short";
	case CLRSOS_ELEMENT_U2: return "unsigned short";
	case CLRSOS_ELEMENT_I4: return "int";
	case CLRSOS_ELEMENT_U4: return "unsigned int";
	case CLRSOS_ELEMENT_I8: return "long";
	case CLRSOS_ELEMENT_U8: return "unsigned long";
	case CLRSOS_ELEMENT_R4: return "float";
	case CLRSOS_ELEMENT_R8: return "double";
	case CLRSOS_ELEMENT_STRING: return "string";
	case CLRSOS_ELEMENT_I: return "IntPtr";
	case CLRSOS_ELEMENT_U: return "UIntPtr";
	case CLRSOS_ELEMENT_OBJECT: return "object";
	case 0x16: return "typedbyref";
	}
	return NULL;
}

/* "System.Int32" -> "int" (and "System.Int32[]" -> "int[]"): the same names for loaded types. */
static char *keyword_name(const char *name)
{
	static const struct {
		const char *system;
		uint8_t et;
	} map[] = {
		{"System.Boolean", CLRSOS_ELEMENT_BOOLEAN}, {"System.Char", CLRSOS_ELEMENT_CHAR},
		{"System.SByte", CLRSOS_ELEMENT_I1},        {"System.Byte", CLRSOS_ELEMENT_U1},
		{"System.Int16", CLRSOS_ELEMENT_I2},        {"System.UInt16", CLRSOS_ELEMENT_U2},
		{"System.Int32", CLRSOS_ELEMENT_I4},        {"System.UInt32", CLRSOS_ELEMENT_U4},
		{"System.Int64", CLRSOS_ELEMENT_I8},        {"System.UInt64", CLRSOS_ELEMENT_U8},
		{"System.Single", CLRSOS_ELEMENT_R4},       {"System.Double", CLRSOS_ELEMENT_R8},
		{"System.String", CLRSOS_ELEMENT_STRING},   {"System.Object", CLRSOS_ELEMENT_OBJECT},
	};
	size_t stem = strcspn(name, "[");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strlen(map[i].system) != stem || strncmp(name, map[i].system, stem))
			continue;
		const char *kw = primitive_name(map[i].et);
		char *s = malloc(strlen(kw) + strlen(name + stem) + 1);
		if (s) {
			strcpy(s, kw);
			strcat(s, name + stem);
		}
		return s;
	}
	return strdup(name);
}


/* A TypeDefOrRef coded index (II.23.2.8) as a token. */
static uint32_t coded_type_token(uint32_t v)
{
	static const uint32_t tables[] = {CLRSOS_MD_TYPEDEF, CLRSOS_MD_TYPEREF, CLRSOS_MD_TYPESPEC, 0};
	return tables[v & 3] << 24 | v >> 2;
}

/* One type of a signature: its outermost element type (modifiers skipped) and its C#-like name. */
struct sig_type {
	uint8_t et;
	uint8_t inner; /* GENERICINST: CLASS or VALUETYPE; SZARRAY/ARRAY/BYREF/PTR: the element's */
	char *name;    /* malloc'd, or NULL out of memory */
};

static char *sig_name(const struct clrsos_metadata *md, const uint8_t **pos, const uint8_t *end, int depth,
		      uint8_t *ret_et, uint8_t *ret_inner);

static char *sig_name_suffix(const struct clrsos_metadata *md, const uint8_t **pos, const uint8_t *end, int depth,
			     const char *suffix, uint8_t *ret_inner)
{
	uint8_t inner = 0;
	char *base = sig_name(md, pos, end, depth + 1, &inner, NULL);
	if (ret_inner)
		*ret_inner = inner;
	char *s = base ? clrsos_strdup_printf("%s%s", base, suffix) : NULL;
	free(base);
	return s;
}

static char *sig_name(const struct clrsos_metadata *md, const uint8_t **pos, const uint8_t *end, int depth,
		      uint8_t *ret_et, uint8_t *ret_inner)
{
	uint32_t v = 0;
	if (depth > MAX_SIG_DEPTH || *pos >= end)
		return strdup("<unknown>");
	uint8_t et = *(*pos)++;
	while ((et == 0x1f || et == 0x20 || et == 0x45) && *pos < end) { /* modifiers, PINNED */
		if (et != 0x45 && clrsos_error_ignore(clrsos_metadata_uncompress(pos, end, &v)))
			return strdup("<unknown>");
		if (*pos >= end)
			return strdup("<unknown>");
		et = *(*pos)++;
	}
	if (ret_et)
		*ret_et = et;
	const char *prim = primitive_name(et);
	if (prim)
		return strdup(prim);
	switch (et) {
	case CLRSOS_ELEMENT_PTR:
		return sig_name_suffix(md, pos, end, depth, "*", ret_inner);
	case CLRSOS_ELEMENT_BYREF:
		return sig_name_suffix(md, pos, end, depth, "&", ret_inner);
	case CLRSOS_ELEMENT_SZARRAY:
		return sig_name_suffix(md, pos, end, depth, "[]", ret_inner);
	case CLRSOS_ELEMENT_ARRAY: {
		uint8_t inner = 0;
		char *base = sig_name(md, pos, end, depth + 1, &inner, NULL);
		uint32_t rank = 0, n = 0, x = 0;
		bool ok = !clrsos_error_ignore(clrsos_metadata_uncompress(pos, end, &rank)) &&
			  !clrsos_error_ignore(clrsos_metadata_uncompress(pos, end, &n));
		for (uint32_t i = 0; ok && i < n; i++)
			ok = !clrsos_error_ignore(clrsos_metadata_uncompress(pos, end, &x));
		ok = ok && !clrsos_error_ignore(clrsos_metadata_uncompress(pos, end, &n));
		for (uint32_t i = 0; ok && i < n; i++)
			ok = !clrsos_error_ignore(clrsos_metadata_uncompress(pos, end, &x));
		if (ret_inner)
			*ret_inner = inner;
		char commas[33] = "";
		for (uint32_t i = 1; i < rank && i < 32; i++)
			commas[i - 1] = ',';
		char *s = base ? clrsos_strdup_printf("%s[%s]", base, commas) : NULL;
		free(base);
		return s;
	}
	case CLRSOS_ELEMENT_VALUETYPE:
	case CLRSOS_ELEMENT_CLASS: {
		if (clrsos_error_ignore(clrsos_metadata_uncompress(pos, end, &v)))
			return strdup("<unknown>");
		uint32_t token = coded_type_token(v);
		if (!md || token >> 24 == CLRSOS_MD_TYPESPEC)
			return strdup(et == CLRSOS_ELEMENT_VALUETYPE ? "struct" : "class");
		return clrsos_il_type_name(md, token);
	}
	case CLRSOS_ELEMENT_GENERICINST: {
		uint8_t kind = 0;
		char *s = sig_name(md, pos, end, depth + 1, &kind, NULL);
		if (ret_inner)
			*ret_inner = kind;
		uint32_t n = 0;
		if (!s || clrsos_error_ignore(clrsos_metadata_uncompress(pos, end, &n)))
			return s;
		/* A count the blob cannot hold (each argument takes a byte at least) ends at the blob's end. */
		for (uint32_t i = 0; i < n && s && *pos < end; i++) {
			char *arg = sig_name(md, pos, end, depth + 1, NULL, NULL);
			char *t = arg ? clrsos_strdup_printf("%s%s%s", s, i ? "," : "<", arg) : NULL;
			free(arg);
			free(s);
			s = t;
		}
		if (s && n) {
			char *t = clrsos_strdup_printf("%s>", s);
			free(s);
			s = t;
		}
		return s;
	}
	case CLRSOS_ELEMENT_VAR:
	case 0x1e: /* MVAR */
		clrsos_error_destroy(clrsos_metadata_uncompress(pos, end, &v));
		return clrsos_strdup_printf("%s%u", et == CLRSOS_ELEMENT_VAR ? "!" : "!!", v);
	case CLRSOS_ELEMENT_FNPTR:
		*pos = end; /* nothing after it is named */
		return strdup("*(...)");
	}
	return clrsos_strdup_printf("(Unhandled CorElementType: 0x%x)", et);
}

/* A signature's types: a method's parameters (after its return type) or a local signature's locals. */
struct sig_types {
	struct sig_type *items;
	size_t count;
};

static void sig_types_free(struct sig_types *s)
{
	for (size_t i = 0; s->items && i < s->count; i++)
		free(s->items[i].name);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static struct clrsos_error *sig_types_read(const struct clrsos_metadata *md, const uint8_t *p, size_t len,
					   bool method, struct sig_types *ret)
{
	memset(ret, 0, sizeof(*ret));
	const uint8_t *end = p + len;
	uint32_t n = 0, generics = 0;
	if (p >= end)
		return NULL;
	uint8_t conv = *p++;
	if (!method && (conv & CALLCONV_MASK) != LOCAL_SIG)
		return NULL;
	if ((conv & CALLCONV_GENERIC) && clrsos_error_ignore(clrsos_metadata_uncompress(&p, end, &generics)))
		return NULL;
	if (clrsos_error_ignore(clrsos_metadata_uncompress(&p, end, &n)) || n > 0xffff)
		return NULL;
	if (method)
		free(sig_name(md, &p, end, 0, NULL, NULL)); /* the return type */
	if (!(ret->items = calloc(n ? n : 1, sizeof(*ret->items))))
		return &clrsos_error_no_memory;
	for (uint32_t i = 0; i < n && p < end; i++) {
		struct sig_type *t = &ret->items[ret->count++];
		if (!(t->name = sig_name(md, &p, end, 0, &t->et, &t->inner))) {
			sig_types_free(ret);
			return &clrsos_error_no_memory;
		}
	}
	return NULL;
}

/* SOS's -i name of a method: "[DEFAULT] [hasThis] Void Ns.Type.Name(I4,String)". */
static char *method_text(const struct clrsos_metadata *md, uint32_t token, bool *ret_static, char **ret_owner)
{
	uint32_t rid = token & 0xffffff, flags = 0, name_index = 0, sig_index = 0;
	const char *name = NULL;
	const uint8_t *sig = NULL;
	size_t sig_len = 0;
	*ret_static = false;
	*ret_owner = NULL;
	if (clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_METHODDEF, rid, 2, &flags)) ||
	    clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_METHODDEF, rid, 3, &name_index)) ||
	    clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_METHODDEF, rid, 4, &sig_index)) ||
	    clrsos_error_ignore(clrsos_metadata_string(md, name_index, &name)) ||
	    clrsos_error_ignore(clrsos_metadata_blob(md, sig_index, &sig, &sig_len)))
		return clrsos_strdup_printf("0x%08x", token);
	*ret_static = (flags & 0x10) != 0; /* mdStatic */
	/* The declaring type: the last TypeDef whose method list starts at or before this method. */
	uint32_t owner = 0, ntypes = clrsos_metadata_rows(md, CLRSOS_MD_TYPEDEF);
	for (uint32_t t = 1; t <= ntypes; t++) {
		uint32_t first = 0;
		if (clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_TYPEDEF, t, 5, &first)) || first > rid)
			break;
		owner = t;
	}
	char *type = owner ? clrsos_il_type_name(md, CLRSOS_MD_TYPEDEF << 24 | owner) : NULL;
	struct clrsos_sig_names names = {.md = md};
	struct clrsos_signature s;
	struct clrsos_error *err = clrsos_signature_decode(sig, sig_len, &names, &s);
	char *text = NULL;
	if (!err && s.status == CLRSOS_SIG_OK && s.return_type) {
		size_t size = strlen(s.convention_name) + strlen(s.return_type) + strlen(name) + (type ? strlen(type) : 0) + 64;
		for (size_t i = 0; i < s.parameter_count; i++)
			size += strlen(s.parameters[i]) + 1;
		if ((text = malloc(size))) {
			char generic[32] = "";
			if (s.generic)
				snprintf(generic, sizeof(generic), "[generic:%u] ", s.generic_count);
			int at = snprintf(text, size, "%s %s%s%s%s %s%s%s(", s.convention_name, s.has_this ? "[hasThis] " : "",
					  s.explicit_this ? "[explicit] " : "", generic, s.return_type, type ? type : "",
					  type ? "." : "", name);
			for (size_t i = 0; i < s.parameter_count && at > 0; i++)
				at += snprintf(text + at, size - (size_t)at, "%s%s", i ? "," : "", s.parameters[i]);
			if (at > 0)
				snprintf(text + at, size - (size_t)at, ")");
		}
	} else if (!err) {
		text = clrsos_strdup_printf("%s%s%s", type ? type : "", type ? "." : "", name);
	}
	if (!err)
		clrsos_signature_deinit(&s);
	clrsos_error_destroy(err);
	*ret_owner = type;
	return text;
}

/* The local signature of a MethodDef's IL body (its fat header's LocalVarSigTok), or NULL and 0. */
static void local_signature(struct clrsos_dac *dac, const struct clrsos_metadata *md, uint64_t module, uint32_t token,
			    const uint8_t **ret, size_t *ret_len)
{
	*ret = NULL;
	*ret_len = 0;
	uint64_t il = 0;
	uint8_t h[12];
	if (clrsos_error_ignore(clrsos_il_address(dac, md, module, token, &il)) || !il ||
	    clrsos_error_ignore(clrsos_target_read(clrsos_dac_target(dac), il, h, sizeof(h))))
		return;
	if ((h[0] & 3) != 3) /* a tiny header: no locals */
		return;
	uint32_t sig_token = (uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
	uint32_t blob = 0;
	if (sig_token >> 24 != CLRSOS_MD_STANDALONESIG ||
	    clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_STANDALONESIG, sig_token & 0xffffff, 0, &blob)) ||
	    clrsos_error_ignore(clrsos_metadata_blob(md, blob, ret, ret_len))) {
		*ret = NULL;
		*ret_len = 0;
	}
}

static bool is_reference(uint8_t et, uint8_t inner)
{
	return et == CLRSOS_ELEMENT_CLASS || et == CLRSOS_ELEMENT_STRING || et == CLRSOS_ELEMENT_OBJECT ||
	       et == CLRSOS_ELEMENT_SZARRAY || et == CLRSOS_ELEMENT_ARRAY ||
	       (et == CLRSOS_ELEMENT_GENERICINST && inner == CLRSOS_ELEMENT_CLASS);
}

static void typed_vars_free(struct clrsos_typed_var *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].type);
		free(v[i].text);
		typed_vars_free(v[i].fields, v[i].nfields);
	}
	free(v);
}

/* A reference's value: null, or what the object is (its own type's name replaces the declared one). */
static struct clrsos_error *reference_value(struct clrsos_dac *dac, struct clrsos_heap *heap, uint64_t object,
					    struct clrsos_typed_var *v)
{
	if (!object) {
		v->kind = CLRSOS_TYPED_NULL;
		return NULL;
	}
	v->kind = CLRSOS_TYPED_OBJECT;
	v->address = object;
	v->has_address = true;
	const struct clrsos_type *t = NULL;
	uint64_t size = 0;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_heap_read_object(heap, object, &t, &size, NULL, NULL));
	if (err || !t)
		return err;
	struct clrsos_types *types = clrsos_heap_types(heap);
	char *name = keyword_name(clrsos_types_name(types, t));
	if (!name)
		return &clrsos_error_no_memory;
	free(v->type);
	v->type = name;
	if (t->is_string) {
		struct clrsos_string_text s;
		if ((err = clrsos_error_ignore(clrsos_string_text_init(&s, heap, object, CLRSOS_TYPED_MAX_TEXT))))
			return err;
		if (s.valid) {
			size_t cap = (size_t)s.count * 3 + 1;
			uint16_t *units = malloc((s.count ? s.count : 1) * sizeof(uint16_t));
			if (!units || !(v->text = malloc(cap))) {
				free(units);
				clrsos_string_text_deinit(&s);
				return &clrsos_error_no_memory;
			}
			for (uint32_t i = 0; i < s.count; i++)
				units[i] = (uint16_t)(s.units[2 * i] | s.units[2 * i + 1] << 8);
			clrsos_utf16_to_utf8(units, s.count, v->text, cap);
			free(units);
			v->text_cut = s.count < s.length;
			v->kind = CLRSOS_TYPED_STRING;
		}
		clrsos_string_text_deinit(&s);
	} else if (t->is_array) {
		uint32_t n = 0;
		if (!clrsos_error_ignore(clrsos_target_read_u32(clrsos_dac_target(dac), object + 8, &n))) {
			v->kind = CLRSOS_TYPED_ARRAY;
			v->length = n;
		}
	}
	return NULL;
}

/* A value of a primitive element type from its bytes (zero-extended in bits). */
static void primitive_value(uint8_t et, uint64_t bits, struct clrsos_typed_var *v)
{
	v->bits = bits;
	switch (et) {
	case CLRSOS_ELEMENT_BOOLEAN: v->kind = CLRSOS_TYPED_BOOL; v->bits &= 0xff; break;
	case CLRSOS_ELEMENT_CHAR: v->kind = CLRSOS_TYPED_CHAR; v->bits &= 0xffff; break;
	case CLRSOS_ELEMENT_I1: v->kind = CLRSOS_TYPED_SIGNED; v->bits = (uint64_t)(int64_t)(int8_t)bits; break;
	case CLRSOS_ELEMENT_U1: v->kind = CLRSOS_TYPED_UNSIGNED; v->bits &= 0xff; break;
	case CLRSOS_ELEMENT_I2: v->kind = CLRSOS_TYPED_SIGNED; v->bits = (uint64_t)(int64_t)(int16_t)bits; break;
	case CLRSOS_ELEMENT_U2: v->kind = CLRSOS_TYPED_UNSIGNED; v->bits &= 0xffff; break;
	case CLRSOS_ELEMENT_I4: v->kind = CLRSOS_TYPED_SIGNED; v->bits = (uint64_t)(int64_t)(int32_t)bits; break;
	case CLRSOS_ELEMENT_U4: v->kind = CLRSOS_TYPED_UNSIGNED; v->bits &= 0xffffffffu; break;
	case CLRSOS_ELEMENT_I8:
	case CLRSOS_ELEMENT_I: v->kind = CLRSOS_TYPED_SIGNED; break;
	case CLRSOS_ELEMENT_U8:
	case CLRSOS_ELEMENT_U: v->kind = CLRSOS_TYPED_UNSIGNED; break;
	case CLRSOS_ELEMENT_R4: {
		float f;
		uint32_t b = (uint32_t)bits;
		memcpy(&f, &b, 4);
		v->kind = CLRSOS_TYPED_FLOAT;
		v->real = f;
		break;
	}
	case CLRSOS_ELEMENT_R8: memcpy(&v->real, &bits, 8); v->kind = CLRSOS_TYPED_FLOAT; break;
	default: v->kind = CLRSOS_TYPED_POINTER; break;
	}
}

/* -i <name>: an object's instance fields, one level, each read as its own type. */
static struct clrsos_error *expand_fields(struct clrsos_dac *dac, struct clrsos_heap *heap, struct clrsos_typed_var *v)
{
	struct clrsos_types *types = clrsos_heap_types(heap);
	struct clrsos_target *target = clrsos_dac_target(dac);
	uint64_t mt = 0;
	if (v->kind != CLRSOS_TYPED_OBJECT ||
	    clrsos_error_ignore(clrsos_target_read_u64(target, v->address, &mt)) || !mt)
		return NULL;
	struct clrsos_fields fields;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_fields_init(dac, types, mt & ~(uint64_t)7, &fields));
	if (err)
		return err;
	v->expanded = true;
	if (!(v->fields = calloc(fields.count ? fields.count : 1, sizeof(*v->fields)))) {
		clrsos_fields_deinit(&fields);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < fields.count && !err; i++) {
		const struct clrsos_field *f = &fields.items[i];
		if (f->is_static)
			continue;
		struct clrsos_typed_var *fv = &v->fields[v->nfields++];
		char tname[512];
		clrsos_field_type_name(types, f, tname, sizeof(tname));
		if (!(fv->name = strdup(f->name)) || !(fv->type = keyword_name(tname))) {
			err = &clrsos_error_no_memory;
			break;
		}
		uint64_t at = v->address + 8 + f->offset, bits = 0;
		if (f->element_type == CLRSOS_ELEMENT_VALUETYPE) {
			fv->kind = CLRSOS_TYPED_STRUCT;
			fv->address = at;
			fv->has_address = true;
			continue;
		}
		size_t size = clrsos_field_is_reference(f) ? 8 : clrsos_element_size(f->element_type);
		if (!size || size > 8 || clrsos_error_ignore(clrsos_target_read(target, at, &bits, size))) {
			fv->kind = CLRSOS_TYPED_UNREADABLE;
			continue;
		}
		if (clrsos_field_is_reference(f))
			err = reference_value(dac, heap, bits, fv);
		else
			primitive_value((uint8_t)f->element_type, bits, fv);
	}
	clrsos_fields_deinit(&fields);
	return err;
}

static bool wanted(const char *name, const char *const *expand, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(expand[i], ".");
		if (strlen(name) == len && !strncmp(name, expand[i], len))
			return true;
	}
	return false;
}

/* One variable: its name, its type from the signature, its value read as that type. */
static struct clrsos_error *typed_var(struct clrsos_dac *dac, struct clrsos_heap *heap,
				      const struct clrsos_managed_var *raw,
				      const struct sig_type *st, char *name, struct clrsos_typed_var *v)
{
	v->name = name;
	if (!name)
		return &clrsos_error_no_memory;
	if (!(v->type = strdup(st && st->name ? st->name : "<unknown>")))
		return &clrsos_error_no_memory;
	if (raw->state == CLRSOS_MANAGED_VAR_NO_DATA) {
		v->kind = CLRSOS_TYPED_NO_DATA;
		return NULL;
	}
	if (raw->state == CLRSOS_MANAGED_VAR_UNREADABLE) {
		v->kind = CLRSOS_TYPED_UNREADABLE;
		return NULL;
	}
	uint8_t et = st ? st->et : 0, inner = st ? st->inner : 0;
	bool on_stack = raw->has_location && !raw->in_register;
	if (et == CLRSOS_ELEMENT_VALUETYPE || (et == CLRSOS_ELEMENT_GENERICINST && inner == CLRSOS_ELEMENT_VALUETYPE)) {
		v->kind = CLRSOS_TYPED_STRUCT;
		v->has_address = on_stack;
		v->address = on_stack ? raw->address : 0;
		return NULL;
	}
	if (raw->size > 8) {
		v->kind = CLRSOS_TYPED_STRUCT;
		return NULL;
	}
	/* A type parameter's value: a reference when an object starts there. */
	if (is_reference(et, inner) ||
	    ((et == CLRSOS_ELEMENT_VAR || et == 0x1e) && raw->size == 8 && clrsos_heap_segment_of(heap, raw->value)))
		return reference_value(dac, heap, raw->value, v);
	if (!st)
		et = raw->size == 8 ? CLRSOS_ELEMENT_U8 : CLRSOS_ELEMENT_U4;
	primitive_value(et, raw->value, v);
	return NULL;
}

/* What method_text found of a method, kept for its later frames. */
struct typed_method {
	char *text;  /* never NULL */
	char *owner; /* or NULL */
	bool is_static;
};

CLRSOS_HASHMAP(typed_method_map, uint64_t, struct typed_method *, clrsos_hash_address, clrsos_u64_equal,
	       clrsos_u64_is_zero)

struct clrsos_typed_methods {
	struct typed_method_map by_method_desc;
};

struct clrsos_typed_methods *clrsos_typed_methods_create(void)
{
	struct clrsos_typed_methods *m = calloc(1, sizeof(*m));
	if (m)
		typed_method_map_init(&m->by_method_desc);
	return m;
}

void clrsos_typed_methods_destroy(struct clrsos_typed_methods *methods)
{
	if (!methods)
		return;
	struct typed_method_map *map = &methods->by_method_desc;
	for (struct typed_method_map_entry *e = typed_method_map_first(map); e; e = typed_method_map_next(map, e)) {
		if (e->value) {
			free(e->value->text);
			free(e->value->owner);
			free(e->value);
		}
	}
	typed_method_map_deinit(map);
	free(methods);
}

/*
 * method_text of the method method_desc (of token in md), from methods
 * when an earlier frame found it: *ret_text and *ret_owner malloc'd.
 */
static struct clrsos_error *method_text_cached(struct clrsos_typed_methods *methods, uint64_t method_desc,
					       const struct clrsos_metadata *md, uint32_t token, char **ret_text,
					       bool *ret_static, char **ret_owner)
{
	struct typed_method_map_entry *e = NULL;
	bool inserted = false;
	if (methods && method_desc &&
	    typed_method_map_insert(&methods->by_method_desc, method_desc, &e, &inserted))
		e = NULL; /* no memory for the cache: found again */
	if (e && !inserted && e->value) {
		*ret_static = e->value->is_static;
		*ret_text = strdup(e->value->text);
		*ret_owner = e->value->owner ? strdup(e->value->owner) : NULL;
		if (!*ret_text || (e->value->owner && !*ret_owner)) {
			free(*ret_text);
			free(*ret_owner);
			*ret_text = *ret_owner = NULL;
			return &clrsos_error_no_memory;
		}
		return NULL;
	}
	if (!(*ret_text = method_text(md, token, ret_static, ret_owner))) {
		free(*ret_owner);
		*ret_owner = NULL;
		if (e)
			typed_method_map_remove(&methods->by_method_desc, e);
		return &clrsos_error_no_memory;
	}
	if (!e)
		return NULL;
	struct typed_method *kept = malloc(sizeof(*kept));
	if (kept) {
		kept->text = strdup(*ret_text);
		kept->owner = *ret_owner ? strdup(*ret_owner) : NULL;
		kept->is_static = *ret_static;
		if (!kept->text || (*ret_owner && !kept->owner)) {
			free(kept->text);
			free(kept->owner);
			free(kept);
			kept = NULL;
		}
	}
	if (kept)
		e->value = kept;
	else
		typed_method_map_remove(&methods->by_method_desc, e);
	return NULL;
}

struct clrsos_error *clrsos_typed_frame_init(struct clrsos_typed_frame *ret, struct clrsos_dac *dac,
					     struct clrsos_heap *heap, struct clrsos_source_cache *cache,
					     struct clrsos_typed_methods *methods, const struct clrsos_managed_frame *f,
					     const char *const *expand, size_t nexpand)
{
	memset(ret, 0, sizeof(*ret));
	uint64_t module = 0;
	uint32_t token = 0;
	const struct clrsos_metadata *md = NULL;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_method_desc_module(dac, f->method_desc, &module, &token));
	if (!err && module)
		err = clrsos_types_metadata(clrsos_heap_types(heap), module, &md);
	if (!err && module)
		err = clrsos_error_ignore(clrsos_dac_module_file(dac, module, &ret->module));
	if (err)
		return err;
	bool is_static = true;
	char *owner = NULL; /* the declaring type: "this"'s type when its value is not there */
	struct sig_types params = {0}, locals = {0};
	if (md && token >> 24 == CLRSOS_MD_METHODDEF) {
		uint32_t sig_index = 0;
		const uint8_t *sig = NULL, *lsig = NULL;
		size_t len = 0, llen = 0;
		if ((err = method_text_cached(methods, f->method_desc, md, token, &ret->method, &is_static, &owner))) {
			clrsos_typed_frame_deinit(ret);
			return err;
		}
		if (!clrsos_error_ignore(clrsos_metadata_column(md, CLRSOS_MD_METHODDEF, token & 0xffffff, 4, &sig_index)) &&
		    !clrsos_error_ignore(clrsos_metadata_blob(md, sig_index, &sig, &len)))
			err = sig_types_read(md, sig, len, true, &params);
		local_signature(dac, md, module, token, &lsig, &llen);
		if (!err && lsig)
			err = sig_types_read(md, lsig, llen, false, &locals);
	}
	const struct clrsos_pdb *pdb = module ? clrsos_source_cache_pdb(cache, dac, module) : NULL;
	if (!err && f->nargs && !(ret->params = calloc(f->nargs, sizeof(*ret->params))))
		err = &clrsos_error_no_memory;
	for (size_t i = 0; i < f->nargs && !err; i++) {
		/* The instance method's first argument is "this", of the declaring type (not in the signature). */
		size_t si = is_static ? i : i - 1;
		const struct sig_type *st = (!is_static && i == 0) || si >= params.count ? NULL : &params.items[si];
		const struct clrsos_managed_var *raw = &f->args[i];
		char *name = raw->name && *raw->name ? strdup(raw->name)
			     : !is_static && i == 0   ? strdup("this")
						      : clrsos_strdup_printf("param_%zu", i);
		struct clrsos_typed_var *v = &ret->params[ret->nparams++];
		if (!st && !is_static && i == 0) {
			/* "this": a reference (a struct's this is a byref, shown as its address). */
			v->name = name;
			if (!name || !(v->type = strdup(owner ? owner : "class")))
				err = &clrsos_error_no_memory;
			else if (raw->state == CLRSOS_MANAGED_VAR_VALUE && raw->size == 8 && clrsos_heap_segment_of(heap, raw->value))
				err = reference_value(dac, heap, raw->value, v);
			else if (raw->state == CLRSOS_MANAGED_VAR_VALUE)
				primitive_value(CLRSOS_ELEMENT_PTR, raw->value, v);
			else
				v->kind = raw->state == CLRSOS_MANAGED_VAR_NO_DATA ? CLRSOS_TYPED_NO_DATA : CLRSOS_TYPED_UNREADABLE;
		} else {
			err = typed_var(dac, heap, raw, st, name, v);
		}
		if (!err && wanted(v->name, expand, nexpand))
			err = expand_fields(dac, heap, v);
	}
	if (!err && f->nlocals && !(ret->locals = calloc(f->nlocals, sizeof(*ret->locals))))
		err = &clrsos_error_no_memory;
	for (size_t i = 0; i < f->nlocals && !err; i++) {
		const char *pdb_name = NULL;
		if (pdb && token)
			err = clrsos_error_ignore(clrsos_pdb_local_name(pdb, token, f->has_il ? f->il_offset : 0,
									(uint32_t)i, &pdb_name));
		if (err)
			break;
		char *name = pdb_name ? strdup(pdb_name) : clrsos_strdup_printf("local_%zu", i);
		struct clrsos_typed_var *v = &ret->locals[ret->nlocals++];
		err = typed_var(dac, heap, &f->locals[i], i < locals.count ? &locals.items[i] : NULL, name, v);
		if (!err && wanted(v->name, expand, nexpand))
			err = expand_fields(dac, heap, v);
	}
	sig_types_free(&params);
	sig_types_free(&locals);
	free(owner);
	if (err)
		clrsos_typed_frame_deinit(ret);
	return err;
}

void clrsos_typed_frame_deinit(struct clrsos_typed_frame *frame)
{
	free(frame->method);
	free(frame->module);
	typed_vars_free(frame->params, frame->nparams);
	typed_vars_free(frame->locals, frame->nlocals);
	memset(frame, 0, sizeof(*frame));
}
