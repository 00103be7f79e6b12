/*
 * dumpsig and dumpsigelem: SOS's DumpSig and DumpSigElem. The signature
 * blob at an address in the target, as text ("[DEFAULT] [hasThis] Void
 * (String,I4)"; model/signature.h says the format); dumpsig a whole method,
 * property, field or local signature, dumpsigelem one element type. Given
 * a Module (as clrmodules, dumpmt and dumpobj print it), class and value
 * type tokens are named through its metadata; without one they are hex.
 *
 * The blob's length is known only by decoding it: it is read 256 bytes at
 * a time until it decodes (or is invalid), up to 64 KiB, as SOS reads it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "model/heap.h"
#include "model/runtimedata.h"
#include "model/signature.h"
#include "model/types.h"
#include "options.h"
#include "session/session.h"
#include "target/target.h"

enum {
	SIG_CHUNK = 256,
	SIG_MAX_BYTES = 64 << 10,
};

struct dumpsig_options {
	const char *command;
	bool json, have_sig, have_module;
	uint64_t sig, module;
};

static struct clrsos_error *operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	struct dumpsig_options *o = ctx;
	if (index == 0) {
		o->have_sig = true;
		return clrsos_parse_address(host, arg, &o->sig);
	}
	o->have_module = true;
	return clrsos_parse_address(host, arg, &o->module);
}

static struct clrsos_error *parse(const char *command, const struct clrsos_host *host, int argc,
				  const char *const *argv, struct dumpsig_options *o)
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
		.max_operands = 2,
		.operand = operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (!o->have_sig)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "%s needs the address of a signature: %s <sigaddr> [<moduleaddr>]", command,
					   command);
	if (!o->sig)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s: 0 is not a signature address", command);
	if (o->have_module && !o->module)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "%s: 0 is not a Module (take one from clrmodules, dumpmt or dumpobj)", command);
	return NULL;
}

static const char *mt_name(void *ctx, uint64_t mt)
{
	struct clrsos_types *types = ctx;
	const struct clrsos_type *t = clrsos_types_get(types, mt);
	return t ? clrsos_types_name(types, t) : NULL;
}

/* The Module's metadata: the module must be one the runtime lists, and its metadata readable. */
static struct clrsos_error *module_metadata(struct clrsos_session *session, const struct dumpsig_options *o,
					    struct clrsos_types *types, const struct clrsos_metadata **ret)
{
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	struct clrsos_clr_module_list list;
	if ((err = clrsos_clr_module_list_init(&list, dac, clrsos_session_target(session))))
		return err;
	bool found = false;
	for (size_t i = 0; i < list.count && !found; i++)
		found = list.items[i].address == o->module;
	clrsos_clr_module_list_deinit(&list);
	if (!found)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "%s: 0x%" PRIx64 " is not a Module (take one from clrmodules, dumpmt or dumpobj)",
					   o->command, o->module);
	if ((err = clrsos_types_metadata(types, o->module, ret)))
		return err;
	if (!*ret)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "%s: the metadata of Module 0x%" PRIx64
					   " cannot be read; leave the module out to see tokens in hex",
					   o->command, o->module);
	return NULL;
}

/* Read the blob in growing chunks and decode it into *ret (status OK). */
static struct clrsos_error *compute(struct clrsos_session *session, const struct dumpsig_options *o, bool method,
				    struct clrsos_signature *ret)
{
	/* The types name MethodTables (INTERNAL) and hold the modules' metadata. A blob read
	 * without a Module needs none of it: it decodes even where the GC heap cannot be read. */
	struct clrsos_heap *heap;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (err && (o->have_module || clrsos_error_is_no_memory(err)))
		return err;
	struct clrsos_types *types = err ? NULL : clrsos_heap_types(heap);
	clrsos_error_destroy(err);
	struct clrsos_sig_names names = {.mt_name = types ? mt_name : NULL, .ctx = types, .pointer_size = 8};
	if (o->have_module && (err = module_metadata(session, o, types, &names.md)))
		return err;
	struct clrsos_target *target = clrsos_session_target(session);
	uint8_t *buf = malloc(SIG_MAX_BYTES);
	if (!buf)
		return &clrsos_error_no_memory;
	size_t have = 0;
	for (;;) {
		size_t got = 0;
		err = clrsos_target_read_partial(target, o->sig + have, buf + have, SIG_CHUNK, &got);
		if (err && have == 0) {
			clrsos_error_destroy(err);
			err = clrsos_error_create(CLRSOS_ERROR_FAULT, "%s: cannot read memory at 0x%" PRIx64,
						  o->command, o->sig);
			break;
		}
		if ((err = clrsos_error_ignore(err)))
			break;
		have += got;
		err = method ? clrsos_signature_decode(buf, have, &names, ret)
			     : clrsos_signature_decode_type(buf, have, &names, ret);
		if (err || ret->status == CLRSOS_SIG_OK)
			break;
		if (ret->status == CLRSOS_SIG_INVALID) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER, "%s: invalid signature at 0x%" PRIx64 ": %s (byte %zu)",
						  o->command, o->sig, ret->problem, ret->offset);
			break;
		}
		if (got < SIG_CHUNK) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER,
						  "%s: invalid signature at 0x%" PRIx64
						  ": it runs past readable memory (%zu bytes readable)",
						  o->command, o->sig, have);
			break;
		}
		if (have + SIG_CHUNK > SIG_MAX_BYTES) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER,
						  "%s: invalid signature at 0x%" PRIx64 ": not complete within %d KiB",
						  o->command, o->sig, SIG_MAX_BYTES >> 10);
			break;
		}
	}
	free(buf);
	return err;
}

static void render_json(const struct dumpsig_options *o, bool method, const struct clrsos_signature *s,
			struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, o->sig);
	clrsos_json_key(&j, "module");
	if (o->have_module)
		clrsos_json_address(&j, o->module);
	else
		clrsos_json_null(&j);
	clrsos_json_key(&j, "signature");
	clrsos_json_string(&j, s->text);
	clrsos_json_key(&j, "length");
	clrsos_json_uint(&j, s->offset);
	if (method) {
		clrsos_json_key(&j, "callingConvention");
		clrsos_json_string(&j, s->convention_name);
		clrsos_json_key(&j, "callingConventionByte");
		clrsos_json_uint(&j, s->convention);
		clrsos_json_key(&j, "hasThis");
		clrsos_json_bool(&j, s->has_this);
		clrsos_json_key(&j, "explicitThis");
		clrsos_json_bool(&j, s->explicit_this);
		clrsos_json_key(&j, "genericParameterCount");
		if (s->generic)
			clrsos_json_uint(&j, s->generic_count);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "returnType");
		if (s->return_type)
			clrsos_json_string(&j, s->return_type);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "parameters");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < s->parameter_count; i++)
			clrsos_json_string(&j, s->parameters[i]);
		clrsos_json_array_end(&j);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static struct clrsos_error *run(const char *command, bool method, struct clrsos_session *session,
				const struct clrsos_host *host, int argc, const char *const *argv,
				struct clrsos_writer *out)
{
	struct dumpsig_options o;
	struct clrsos_error *err = parse(command, host, argc, argv, &o);
	if (err)
		return err;
	struct clrsos_signature s;
	memset(&s, 0, sizeof(s));
	if (!(err = compute(session, &o, method, &s))) {
		if (o.json) {
			render_json(&o, method, &s, out);
		} else {
			clrsos_out_name(out, s.text);
			clrsos_out(out, "\n");
		}
	}
	clrsos_signature_deinit(&s);
	return err;
}

struct clrsos_error *clrsos_cmd_dumpsig(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	return run("dumpsig", true, session, host, argc, argv, out);
}

struct clrsos_error *clrsos_cmd_dumpsigelem(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					    const char *const *argv, struct clrsos_writer *out)
{
	return run("dumpsigelem", false, session, host, argc, argv, out);
}
