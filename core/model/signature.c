/*
 * Signatures (see signature.h): a recursive decoder over a bounded cursor
 * that appends SOS's text to one growing buffer; the parts the JSON shows
 * are spans of that buffer, copied out at the end.
 */
#include "model/signature.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vector.h"
#include "model/metadata.h"

/* Element types (II.23.1.16) that the decoder treats specially. */
enum {
	ET_END = 0x00,
	ET_STRING = 0x0e,
	ET_PTR = 0x0f,
	ET_BYREF = 0x10,
	ET_VALUETYPE = 0x11,
	ET_CLASS = 0x12,
	ET_VAR = 0x13,
	ET_ARRAY = 0x14,
	ET_GENERICINST = 0x15,
	ET_TYPEDBYREF = 0x16,
	ET_I = 0x18,
	ET_U = 0x19,
	ET_FNPTR = 0x1b,
	ET_OBJECT = 0x1c,
	ET_SZARRAY = 0x1d,
	ET_MVAR = 0x1e,
	ET_CMOD_REQD = 0x1f,
	ET_CMOD_OPT = 0x20,
	ET_INTERNAL = 0x21,
	ET_MAX = 0x22,
	ET_MODIFIER = 0x40,
	ET_SENTINEL = 0x41,
	ET_PINNED = 0x45,
};

/* Calling convention byte: the kind in the low nibble, then flags. */
enum {
	CC_MASK = 0x0f,
	CC_FIELD = 0x06,
	CC_LOCAL_SIG = 0x07,
	CC_GENERIC = 0x10,
	CC_HASTHIS = 0x20,
	CC_EXPLICITTHIS = 0x40,
};

/* SOS's names of the element types 0x00 .. 0x22. */
static const char *const element_names[] = {
	"End", "Void", "Boolean", "Char", "I1", "U1", "I2", "U2", "I4", "U4", "I8", "U8", "R4", "R8", "String",
	"Ptr", "ByRef", "ValueType", "Class", "Var", "MDArray", "GenericInst", "TypedByRef", "UNUSED", "IntPtr",
	"UIntPtr", "UNUSED", "FnPtr", "Object", "SZArray", "MVar", "CMOD_REQD", "CMOD_OPT", "INTERNAL",
	"CMOD_INTERNAL",
};

static const char *const convention_names[16] = {
	"[DEFAULT]", "[C]", "[STDCALL]", "[THISCALL]", "[FASTCALL]", "[VARARG]", "[FIELD]", "[LOCALSIG]",
	"[PROPERTY]", "[UNMANAGED]", "[GENERICINST]", "[NATIVEVARARG]", "[UNKNOWN]", "[UNKNOWN]", "[UNKNOWN]",
	"[UNKNOWN]",
};

struct decoder {
	const uint8_t *start, *p, *end;
	const struct clrsos_sig_names *names;
	char *text;
	size_t len, cap;
	enum clrsos_sig_status status;
	const char *problem;
	size_t at;
	bool oom;
	unsigned depth;
};

static bool failed(const struct decoder *d)
{
	return d->oom || d->status != CLRSOS_SIG_OK;
}

static bool truncated(struct decoder *d)
{
	if (!failed(d)) {
		d->status = CLRSOS_SIG_TRUNCATED;
		d->at = (size_t)(d->end - d->start);
	}
	return false;
}

static bool invalid(struct decoder *d, const uint8_t *where, const char *problem)
{
	if (!failed(d)) {
		d->status = CLRSOS_SIG_INVALID;
		d->problem = problem;
		d->at = (size_t)(where - d->start);
	}
	return false;
}

static bool append(struct decoder *d, const char *s, size_t n)
{
	if (failed(d))
		return false;
	if (d->len + n >= CLRSOS_SIG_MAX_TEXT)
		return invalid(d, d->p, "its text would pass 1 MiB");
	if (clrsos_array_reserve(&d->text, &d->cap, d->len + n + 1)) {
		d->oom = true;
		return false;
	}
	memcpy(d->text + d->len, s, n);
	d->len += n;
	d->text[d->len] = '\0';
	return true;
}

static bool put(struct decoder *d, const char *s)
{
	return append(d, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static bool putf(struct decoder *d, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return invalid(d, d->p, "unprintable value");
	return append(d, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* A compressed unsigned integer (II.23.2), and how many bytes it took. */
static bool read_compressed(struct decoder *d, uint32_t *ret, unsigned *ret_width)
{
	if (failed(d))
		return false;
	if (d->p >= d->end)
		return truncated(d);
	uint8_t b = d->p[0];
	unsigned width;
	uint32_t v;
	if ((b & 0x80) == 0) {
		width = 1;
	} else if ((b & 0xc0) == 0x80) {
		width = 2;
	} else if ((b & 0xe0) == 0xc0) {
		width = 4;
	} else {
		return invalid(d, d->p, "a compressed integer starts with 0xE0 or more");
	}
	if ((size_t)(d->end - d->p) < width)
		return truncated(d);
	if (width == 1)
		v = b;
	else if (width == 2)
		v = (uint32_t)(b & 0x3f) << 8 | d->p[1];
	else
		v = (uint32_t)(b & 0x1f) << 24 | (uint32_t)d->p[1] << 16 | (uint32_t)d->p[2] << 8 | d->p[3];
	d->p += width;
	*ret = v;
	if (ret_width)
		*ret_width = width;
	return true;
}

static bool read_uint(struct decoder *d, uint32_t *ret)
{
	return read_compressed(d, ret, NULL);
}

/* A compressed signed integer (II.23.2): rotated right by one, sign-extended from its width. */
static bool read_int(struct decoder *d, int32_t *ret)
{
	uint32_t v;
	unsigned width;
	if (!read_compressed(d, &v, &width))
		return false;
	unsigned bits = width == 1 ? 7 : width == 2 ? 14 : 29;
	uint32_t magnitude = v >> 1;
	if (v & 1)
		magnitude |= ~(uint32_t)0 << (bits - 1);
	memcpy(ret, &magnitude, sizeof(*ret));
	return true;
}

/* A TypeDefOrRefOrSpec coded token (II.23.2.8), named as SOS names it. */
static bool type_token(struct decoder *d)
{
	static const uint32_t tables[4] = {0x02000000u, 0x01000000u, 0x1b000000u, 0x72000000u};
	uint32_t coded;
	if (!read_uint(d, &coded))
		return false;
	uint32_t token = tables[coded & 3] | coded >> 2;
	uint32_t table = token & 0xff000000u;
	if (table != 0x02000000u && table != 0x01000000u)
		return putf(d, "%" PRIx32, token);
	if ((token & 0x00ffffffu) == 0)
		return true; /* SOS prints nothing for a nil token */
	const char *ns = NULL, *name = NULL;
	if (d->names && d->names->md) {
		struct clrsos_error *err = table == 0x02000000u
						   ? clrsos_metadata_typedef(d->names->md, token, &ns, &name)
						   : clrsos_metadata_typeref(d->names->md, token, &ns, &name);
		if (clrsos_error_is_no_memory(err)) {
			d->oom = true;
			return false;
		}
		if (err) {
			clrsos_error_destroy(err);
			name = NULL;
		}
	}
	if (!name)
		return putf(d, "0x%08" PRIx32, token);
	if (ns && *ns && (!put(d, ns) || !put(d, ".")))
		return false;
	return put(d, name);
}

static bool element(struct decoder *d);

static bool fnptr_parameters(struct decoder *d, uint32_t count);

static bool array_shape(struct decoder *d)
{
	uint32_t rank, n;
	if (!put(d, "{") || !element(d) || !put(d, ", ") || !read_uint(d, &rank) || !putf(d, "%" PRIu32, rank))
		return false;
	if (rank == 0)
		return true; /* SOS stops here, without the closing brace */
	if (!put(d, " ") || !read_uint(d, &n) || !putf(d, "%" PRIu32, n))
		return false;
	if (n == 0 && !put(d, " "))
		return false;
	for (; n; n--) {
		uint32_t size;
		if (!read_uint(d, &size) || !putf(d, "%" PRIu32 " ", size))
			return false;
	}
	if (!read_uint(d, &n) || !putf(d, "%" PRIu32 " ", n))
		return false;
	for (; n; n--) {
		int32_t lo;
		if (!read_int(d, &lo) || !putf(d, "%" PRId32 " ", lo))
			return false;
	}
	return put(d, "}");
}

static bool internal_mt(struct decoder *d)
{
	unsigned size = d->names && d->names->pointer_size == 4 ? 4 : 8;
	if ((size_t)(d->end - d->p) < size)
		return truncated(d);
	uint64_t mt = 0;
	for (unsigned i = 0; i < size; i++)
		mt |= (uint64_t)d->p[i] << (8 * i);
	d->p += size;
	if (!putf(d, "MT %" PRIx64 " ", mt))
		return false;
	const char *name = d->names && d->names->mt_name ? d->names->mt_name(d->names->ctx, mt) : NULL;
	return put(d, name ? name : "<unknown>");
}

static bool element_body(struct decoder *d)
{
	const uint8_t *at = d->p;
	uint32_t et;
	if (!read_uint(d, &et))
		return false;
	if (et & ET_MODIFIER) {
		if (et == ET_SENTINEL)
			return put(d, "<ELEMENT_TYPE_SENTINEL> ") && element(d);
		if (et == ET_PINNED)
			return put(d, "PINNED ") && element(d);
		return invalid(d, at, "unknown element type");
	}
	if (et >= ET_MAX)
		return invalid(d, at, "unknown element type");
	while (et == ET_PTR || et == ET_BYREF) {
		if (!put(d, element_names[et]) || !put(d, " "))
			return false;
		at = d->p;
		if (!read_uint(d, &et))
			return false;
	}
	if (et == ET_VAR || et == ET_MVAR) {
		uint32_t index;
		return put(d, et == ET_VAR ? "!" : "!!") && read_uint(d, &index) && putf(d, "%" PRIu32, index);
	}
	if (et == ET_GENERICINST) {
		uint32_t n;
		if (!element(d) || !read_uint(d, &n) || !put(d, "<"))
			return false;
		for (uint32_t i = 0; i < n; i++) {
			if ((i && !put(d, ",")) || !element(d))
				return false;
		}
		return put(d, ">");
	}
	if (et >= ET_MAX)
		return invalid(d, at, "unknown element type");
	if (!put(d, element_names[et]))
		return false;
	if (et <= ET_STRING || et == ET_TYPEDBYREF || et == ET_OBJECT || et == ET_I || et == ET_U)
		return true;
	if (!put(d, " "))
		return false;
	switch (et) {
	case ET_VALUETYPE:
	case ET_CLASS:
		return type_token(d);
	case ET_CMOD_REQD:
	case ET_CMOD_OPT:
		return type_token(d) && put(d, " ") && element(d);
	case ET_SZARRAY:
		return element(d);
	case ET_FNPTR: {
		uint32_t cc, count;
		if (!read_uint(d, &cc))
			return false;
		if ((cc & CC_EXPLICITTHIS) && !put(d, "[explicit] "))
			return false;
		if ((cc & CC_HASTHIS) && !put(d, "[hasThis] "))
			return false;
		if (!put(d, convention_names[cc & CC_MASK]) || !read_uint(d, &count))
			return false;
		return element(d) && fnptr_parameters(d, count);
	}
	case ET_INTERNAL:
		return internal_mt(d);
	case ET_ARRAY:
		return array_shape(d);
	default:
		return invalid(d, at, "element type not allowed in a signature");
	}
}

static bool element(struct decoder *d)
{
	if (failed(d))
		return false;
	if (d->depth >= CLRSOS_SIG_MAX_DEPTH)
		return invalid(d, d->p, "types nested more than 64 deep");
	d->depth++;
	bool ok = element_body(d);
	d->depth--;
	return ok;
}

/* FNPTR's parameter list: "(" types joined by "," ")". */
static bool fnptr_parameters(struct decoder *d, uint32_t count)
{
	if (!put(d, "("))
		return false;
	for (uint32_t i = 0; i < count; i++) {
		if ((i && !put(d, ",")) || !element(d))
			return false;
	}
	return put(d, ")");
}

struct span {
	size_t start, end;
};

static char *span_copy(const struct decoder *d, struct span s, bool *oom)
{
	char *copy = malloc(s.end - s.start + 1);
	if (!copy) {
		*oom = true;
		return NULL;
	}
	memcpy(copy, d->text + s.start, s.end - s.start);
	copy[s.end - s.start] = '\0';
	return copy;
}

static void decoder_init(struct decoder *d, const uint8_t *bytes, size_t len, const struct clrsos_sig_names *names)
{
	memset(d, 0, sizeof(*d));
	d->start = d->p = bytes;
	d->end = bytes + len;
	d->names = names;
}

/* Moves the decoder's outcome into ret; frees the text unless OK. */
static struct clrsos_error *finish(struct decoder *d, struct clrsos_signature *ret)
{
	if (d->oom) {
		free(d->text);
		return &clrsos_error_no_memory;
	}
	ret->status = d->status;
	if (d->status != CLRSOS_SIG_OK) {
		free(d->text);
		ret->problem = d->problem;
		ret->offset = d->at;
		return NULL;
	}
	if (!d->text && !(d->text = calloc(1, 1)))
		return &clrsos_error_no_memory;
	ret->text = d->text;
	ret->offset = (size_t)(d->p - d->start);
	return NULL;
}

struct clrsos_error *clrsos_signature_decode_type(const uint8_t *bytes, size_t len,
						  const struct clrsos_sig_names *names, struct clrsos_signature *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct decoder d;
	decoder_init(&d, bytes, len, names);
	element(&d);
	return finish(&d, ret);
}

CLRSOS_VECTOR(span_vector, struct span)

struct clrsos_error *clrsos_signature_decode(const uint8_t *bytes, size_t len, const struct clrsos_sig_names *names,
					     struct clrsos_signature *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct decoder d;
	decoder_init(&d, bytes, len, names);
	struct span_vector params;
	span_vector_init(&params);
	struct span rtype = {0, 0};
	bool have_rtype = false;
	if (d.p >= d.end) {
		truncated(&d);
		goto out;
	}
	/* SOS reads the convention as a compressed integer; ECMA makes it one byte. */
	uint8_t cc = *d.p++;
	ret->convention = cc;
	ret->convention_name = convention_names[cc & CC_MASK];
	if (!put(&d, ret->convention_name) || !put(&d, " "))
		goto out;
	if ((cc & CC_MASK) == CC_FIELD) {
		rtype.start = d.len;
		if (!element(&d))
			goto out;
		rtype.end = d.len;
		have_rtype = true;
		put(&d, " ");
		goto out;
	}
	ret->has_this = cc & CC_HASTHIS;
	ret->explicit_this = cc & CC_EXPLICITTHIS;
	ret->generic = cc & CC_GENERIC;
	if (ret->has_this && !put(&d, "[hasThis] "))
		goto out;
	if (ret->explicit_this && !put(&d, "[explicit] "))
		goto out;
	if (ret->generic && (!read_uint(&d, &ret->generic_count) ||
			     !putf(&d, "[generic:%" PRIu32 "] ", ret->generic_count)))
		goto out;
	uint32_t count;
	if (!read_uint(&d, &count))
		goto out;
	if (cc != CC_LOCAL_SIG) {
		rtype.start = d.len;
		if (!element(&d))
			goto out;
		rtype.end = d.len;
		have_rtype = true;
		if (!put(&d, " ("))
			goto out;
	}
	for (uint32_t i = 0; i < count; i++) {
		struct span s = {d.len, 0};
		if (!element(&d))
			goto out;
		s.end = d.len;
		if (span_vector_push(&params, s)) {
			d.oom = true;
			goto out;
		}
		if (i + 1 != count && !put(&d, ","))
			goto out;
	}
	put(&d, ")");
out:;
	struct clrsos_error *err = finish(&d, ret);
	if (err || ret->status != CLRSOS_SIG_OK) {
		span_vector_deinit(&params);
		return err;
	}
	bool oom = false;
	if (have_rtype)
		ret->return_type = span_copy(&d, rtype, &oom);
	if (!oom && params.count && !(ret->parameters = calloc(params.count, sizeof(*ret->parameters))))
		oom = true;
	for (size_t i = 0; !oom && i < params.count; i++) {
		ret->parameters[i] = span_copy(&d, params.items[i], &oom);
		if (!oom)
			ret->parameter_count++;
	}
	span_vector_deinit(&params);
	if (oom) {
		clrsos_signature_deinit(ret);
		return &clrsos_error_no_memory;
	}
	return NULL;
}

void clrsos_signature_deinit(struct clrsos_signature *sig)
{
	if (!sig)
		return;
	free(sig->text);
	free(sig->return_type);
	for (size_t i = 0; i < sig->parameter_count; i++)
		free(sig->parameters[i]);
	free(sig->parameters);
	memset(sig, 0, sizeof(*sig));
}
