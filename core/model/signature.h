/*
 * Signatures: ECMA-335 signature blobs (II.23.2) turned into the text SOS's
 * dumpsig and dumpsigelem print. A method signature reads
 * "[DEFAULT] [hasThis] Void (String,I4)": the calling convention, its flags
 * ([hasThis], [explicit], [generic:N]), the return type, then the
 * parameters; a field's "[FIELD] I4 " (SOS's trailing space kept); a local
 * signature "[LOCALSIG] I4,String)" (SOS's unbalanced parenthesis kept).
 * One element type alone reads "Class System.String", "SZArray I4",
 * "ByRef ValueType System.DateTime", "Class System.Collections.Generic.
 * List`1<!0>" and so on, with SOS's names for the element types.
 *
 * A class or value type token is named through the module's metadata
 * ("Namespace.Name", a nested type by its own name) or printed as 0x%08x
 * when there is no metadata or the token names no row; a TypeSpec token is
 * printed in bare hex, as SOS does.
 *
 * The bytes are untrusted: the decoder never reads past len, and tells a
 * signature that needs more bytes than it was given (TRUNCATED: read more
 * and try again) from one that can never be valid (INVALID, with what is
 * wrong and at which byte). Nesting deeper than CLRSOS_SIG_MAX_DEPTH and
 * text longer than CLRSOS_SIG_MAX_TEXT are INVALID too.
 */
#ifndef CLRSOS_SIGNATURE_H
#define CLRSOS_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_metadata;

enum {
	CLRSOS_SIG_MAX_DEPTH = 64,
	CLRSOS_SIG_MAX_TEXT = 1 << 20,
};

enum clrsos_sig_status {
	CLRSOS_SIG_OK,
	CLRSOS_SIG_TRUNCATED, /* the bytes end inside the signature */
	CLRSOS_SIG_INVALID,   /* no number of bytes makes it valid */
};

/* What names tokens and MethodTables; every member may be 0/NULL. */
struct clrsos_sig_names {
	const struct clrsos_metadata *md; /* the module's metadata; NULL: tokens in hex */
	/* ELEMENT_TYPE_INTERNAL (runtime-made signatures) holds a MethodTable
	 * pointer: its name, borrowed, or NULL when unknown. */
	const char *(*mt_name)(void *ctx, uint64_t mt);
	void *ctx;
	unsigned pointer_size; /* of INTERNAL's pointer: 4 or 8 (0: 8) */
};

/* A decoded signature. Everything in it is owned by it (clrsos_signature_deinit). */
struct clrsos_signature {
	enum clrsos_sig_status status;
	const char *problem;  /* INVALID: what is wrong (static text) */
	size_t offset;        /* OK: the bytes the signature used; INVALID: the byte at fault */
	char *text;           /* OK: SOS's text; NULL otherwise */
	/* Only from clrsos_signature_decode, and only when OK: */
	uint8_t convention;          /* the first byte */
	const char *convention_name; /* "[DEFAULT]", "[FIELD]", "[LOCALSIG]", ... */
	bool has_this, explicit_this, generic;
	uint32_t generic_count;
	char *return_type;    /* a method's or property's; a field's type; NULL for locals */
	char **parameters;    /* each parameter's (or local's) type */
	size_t parameter_count;
};

/* A whole method, property, field or local signature (dumpsig). The error
 * is out of memory only; a bad signature is ret->status. */
struct clrsos_error *clrsos_signature_decode(const uint8_t *bytes, size_t len, const struct clrsos_sig_names *names,
					     struct clrsos_signature *ret);
/* One element type (dumpsigelem); only status, problem, offset and text are set. */
struct clrsos_error *clrsos_signature_decode_type(const uint8_t *bytes, size_t len,
						  const struct clrsos_sig_names *names, struct clrsos_signature *ret);
void clrsos_signature_deinit(struct clrsos_signature *sig);

#ifdef __cplusplus
}
#endif

#endif
