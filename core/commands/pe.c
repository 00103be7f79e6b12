/*
 * pe [-nested] [-lines] [--inner] [address]: an exception (ClrException,
 * model/exception.h), by default the selected thread's current one; with
 * -nested, as SOS, the exceptions of the thread's nested exception records
 * after it; with -lines each frame's source line; with --inner (clrsos's)
 * its chain of inner exceptions. Parse, compute from the model, render text
 * or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/exception.h"
#include "model/heap.h"
#include "model/stack.h"
#include "commands.h"
#include "fieldtable.h"

struct pe_options {
	bool json, nested, lines, inner;
	struct clrsos_address_operands address;
};

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct pe_options *o)
{
	memset(o, 0, sizeof(*o));
	o->address.command = "pe";
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-nested", &o->nested),
		CLRSOS_FLAG("-lines", &o->lines),
		CLRSOS_FLAG("-l", &o->lines),
		CLRSOS_FLAG("--inner", &o->inner),
	};
	const struct clrsos_options spec = {
		.command = "pe",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = clrsos_address_operands_add,
		.ctx = &o->address,
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}

/*
 * pe --inner: the exception and its chain of inner exceptions, the first
 * PE_NESTED_SHOWN of them; what follows is counted (up to PE_CHAIN_MAX
 * links) and said, and a chain that comes back to an exception already
 * shown is named as a cycle. pe -nested: the thread's nested exceptions,
 * the first PE_NESTED_SHOWN of them, and whether there are more.
 */
enum { PE_NESTED_SHOWN = 32, PE_CHAIN_MAX = 4096 };

struct pe_result {
	struct clrsos_exception shown[PE_NESTED_SHOWN];
	size_t shown_count;
	bool nested;
	size_t chain_count;       /* links counted, shown ones included */
	bool more_than_counted;   /* the chain goes on past PE_CHAIN_MAX */
	uint64_t next_not_shown;  /* the first link not shown */
	uint64_t last;            /* the last link counted */
	uint64_t cycle_to;        /* the inner exception of last when it is in the chain already, else 0 */
	const char *last_name, *cycle_name; /* their types ("?" if not objects) */
	bool thread_nested;       /* the selected thread's own exception was thrown while another was in flight */
	struct clrsos_exception nested_shown[PE_NESTED_SHOWN]; /* -nested: the thread's nested exceptions */
	size_t nested_count;
	bool nested_more;         /* the thread has more than PE_NESTED_SHOWN */
	bool lines;
	struct clrsos_source_cache *sources; /* -lines: the PDBs read, and notes on those not used */
};

static void result_deinit(struct pe_result *r)
{
	for (size_t i = 0; i < r->shown_count; i++)
		clrsos_exception_deinit(&r->shown[i]);
	r->shown_count = 0;
	for (size_t i = 0; i < r->nested_count; i++)
		clrsos_exception_deinit(&r->nested_shown[i]);
	r->nested_count = 0;
	clrsos_source_cache_destroy(r->sources);
	r->sources = NULL;
}

/* The type name of the object at address, or "?". */
static const char *type_name_at(struct clrsos_heap *heap, uint64_t address)
{
	const struct clrsos_type *t = NULL;
	struct clrsos_error *e = clrsos_heap_object_at(heap, address, &t, NULL);
	clrsos_error_destroy(e);
	return e ? "?" : clrsos_types_name(clrsos_heap_types(heap), t);
}

static struct clrsos_error *compute_chain(struct clrsos_heap *heap, struct clrsos_dac *dac, uint64_t address,
					  bool nested, struct pe_result *r)
{
	uint64_t *chain = malloc(PE_CHAIN_MAX * sizeof(*chain));
	if (!chain)
		return &clrsos_error_no_memory;
	size_t n = 0;
	struct clrsos_error *err = NULL;
	for (uint64_t at = address; at && n < PE_CHAIN_MAX;) {
		chain[n++] = at;
		uint64_t next = 0;
		if (n <= PE_NESTED_SHOWN) {
			struct clrsos_exception *ex = &r->shown[r->shown_count];
			if ((err = clrsos_exception_init(ex, heap, dac, at)))
				break;
			r->shown_count++;
			next = ex->inner_is_exception ? ex->inner : 0;
		} else if ((err = clrsos_exception_inner(heap, dac, at, &next))) {
			break;
		}
		if (!nested)
			break;
		for (size_t i = 0; next && i < n; i++) {
			if (chain[i] == next) {
				r->cycle_to = next;
				next = 0;
			}
		}
		at = next;
	}
	r->chain_count = n;
	if (!err && nested && n == PE_CHAIN_MAX && !r->cycle_to) {
		uint64_t more = 0;
		err = clrsos_exception_inner(heap, dac, chain[n - 1], &more);
		r->more_than_counted = more != 0;
	}
	if (!err && n) {
		r->last = chain[n - 1];
		if (r->shown_count < n)
			r->next_not_shown = chain[r->shown_count];
		if (r->cycle_to) {
			r->last_name = type_name_at(heap, r->last);
			r->cycle_name = type_name_at(heap, r->cycle_to);
		}
	}
	free(chain);
	return err;
}

/* -lines: each shown exception's frames gain their source lines. */
static struct clrsos_error *pe_sources(struct pe_result *r, struct clrsos_dac *dac)
{
	struct clrsos_source_cache *cache = r->sources = clrsos_source_cache_create();
	if (!cache)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < r->shown_count && !err; i++)
		err = clrsos_exception_sources(&r->shown[i], dac, cache);
	for (size_t i = 0; i < r->nested_count && !err; i++)
		err = clrsos_exception_sources(&r->nested_shown[i], dac, cache);
	return err;
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct clrsos_host *host,
				    const struct pe_options *o, struct pe_result *r)
{
	memset(r, 0, sizeof(*r));
	r->nested = o->inner;
	r->lines = o->lines;
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_heap(session, &heap);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err)
		return err;
	uint64_t address = o->address.values[0];
	if (!o->address.count) {
		if ((err = clrsos_thread_current_exception(dac, clrsos_heap_target(heap), host->selected_thread,
							   &address, NULL)))
			return err;
		if (!address)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "pe: the selected thread (0x%x) holds no exception; give an exception's address",
						   host->selected_thread);
	}
	if ((err = compute_chain(heap, dac, address, o->inner, r)))
		return err;
	/* As SOS: the selected thread's nested exceptions, whichever exception is shown. */
	uint64_t *nested = NULL;
	size_t n = 0;
	if ((err = clrsos_thread_nested_exceptions(dac, host->selected_thread, PE_NESTED_SHOWN, &nested, &n,
						   &r->nested_more)))
		return err;
	r->thread_nested = n > 0;
	for (size_t i = 0; o->nested && i < n && !err; i++) {
		if (nested[i] && !(err = clrsos_exception_init(&r->nested_shown[r->nested_count], heap, dac, nested[i])))
			r->nested_count++;
	}
	free(nested);
	if (!err && o->lines)
		err = pe_sources(r, dac);
	return err;
}

static void render_string_text(const struct clrsos_string_text *t, struct clrsos_writer *out)
{
	if (t->valid)
		clrsos_string_text_render(t, CLRSOS_TEXT_ESCAPED, out);
	else
		clrsos_out(out, "<none>");
}

static void render_exception_text(const struct clrsos_exception *ex, struct clrsos_writer *out)
{
	clrsos_outf(out, "Exception object: %016" PRIx64 "\n", ex->address);
	clrsos_out(out, "Exception type:   ");
	clrsos_out_name(out, ex->type_name);
	clrsos_out(out, "\n");
	clrsos_out(out, "Message:          ");
	render_string_text(&ex->message_text, out);
	clrsos_out(out, "\n");
	struct clrsos_name_buf nb;
	if (ex->inner && ex->inner_type_name)
		clrsos_outf(out, "InnerException:   %s, Use printexception %016" PRIX64 " to see more.\n",
			    clrsos_safe_name(ex->inner_type_name, &nb), ex->inner);
	else
		clrsos_out(out, "InnerException:   <none>\n");
	clrsos_out(out, "StackTrace (generated):\n");
	if (ex->stack_trace_decoded)
		clrsos_outf(out, "    %-16s %-16s %s\n", "SP", "IP", "Function");
	for (size_t i = 0; i < ex->frame_count; i++) {
		const struct clrsos_exception_frame *f = &ex->frames[i];
		const char *fn = f->function ? f->function : f->method;
		clrsos_outf(out, "    %016" PRIX64 " %016" PRIX64 " %s", f->sp, f->ip,
			    fn ? clrsos_safe_name(fn, &nb) : "<unknown method>");
		/* -lines, as SOS: the source position after the function. */
		if (f->source_file)
			clrsos_outf(out, " [%s @ %u]", clrsos_safe_name(f->source_file, &nb), f->source_line);
		clrsos_out(out, "\n");
	}
	if (!ex->frame_count)
		clrsos_out(out, "    <none>\n");
	clrsos_out(out, "\nStackTraceString: ");
	render_string_text(&ex->stack_trace_string_text, out);
	clrsos_outf(out, "\nHResult: %x\n", (uint32_t)ex->hresult);
}

static const char NESTED_RULE[] =
	"\nNested exception -------------------------------------------------------------\n";

static void render_text(const struct pe_result *r, struct clrsos_writer *out)
{
	for (size_t i = 0; i < r->shown_count; i++) {
		if (i)
			clrsos_out(out, NESTED_RULE);
		render_exception_text(&r->shown[i], out);
	}
	size_t n = r->chain_count;
	if (r->nested && r->shown_count < n) {
		clrsos_outf(out,
			    "\n... %s%zu more inner exception%s not shown%s; pe --inner %016" PRIx64
			    " continues from the next one\n",
			    r->more_than_counted ? "at least " : "", n - r->shown_count,
			    n - r->shown_count == 1 ? "" : "s", r->cycle_to ? " (then the chain loops back)" : "",
			    r->next_not_shown);
	} else if (r->cycle_to) {
		struct clrsos_name_buf a, b;
		clrsos_outf(out,
			    "\ncycle: the inner exception of %016" PRIx64 " (%s) is %016" PRIx64
			    " (%s), already shown above\n",
			    r->last, clrsos_safe_name(r->last_name, &a), r->cycle_to, clrsos_safe_name(r->cycle_name, &b));
	}
	for (size_t i = 0; i < r->nested_count; i++) {
		clrsos_out(out, NESTED_RULE);
		render_exception_text(&r->nested_shown[i], out);
	}
	if (r->nested_count && r->nested_more)
		clrsos_outf(out, "\n... more nested exceptions on this thread not shown (the first %d are)\n",
			    PE_NESTED_SHOWN);
	if (!r->nested_count && r->thread_nested)
		clrsos_out(out, "There are nested exceptions on this thread. Run with -nested for details\n");
	const char *note;
	for (size_t i = 0; r->sources && (note = clrsos_source_cache_note(r->sources, i)); i++) {
		struct clrsos_name_buf nb;
		clrsos_outf(out, "Note: %s\n", clrsos_safe_name(note, &nb));
	}
}

/* One exception's members; its object is left open (the next one nests in it). */
static void render_exception_json(const struct clrsos_exception *ex, struct clrsos_json *j)
{
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "address");
	clrsos_json_address(j, ex->address);
	clrsos_json_key(j, "type");
	clrsos_json_string(j, ex->type_name);
	clrsos_json_key(j, "message");
	if (ex->message) {
		struct clrsos_json_stream s;
		clrsos_json_string_begin(j, &s);
		if (ex->message_text.valid)
			clrsos_string_text_render(&ex->message_text, CLRSOS_TEXT_JSON, s.raw);
		clrsos_json_string_end(&s);
	} else {
		clrsos_json_null(j);
	}
	clrsos_json_key(j, "hresult");
	clrsos_json_int(j, ex->hresult);
	clrsos_json_key(j, "innerException");
	clrsos_json_address(j, ex->inner);
	clrsos_json_key(j, "stackTrace");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < ex->frame_count; i++) {
		const struct clrsos_exception_frame *f = &ex->frames[i];
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "sp");
		clrsos_json_address(j, f->sp);
		clrsos_json_key(j, "ip");
		clrsos_json_address(j, f->ip);
		clrsos_json_key(j, "method");
		clrsos_json_string(j, f->method);
		clrsos_json_key(j, "function");
		clrsos_json_string(j, f->function);
		if (f->source_file) {
			clrsos_json_key(j, "file");
			clrsos_json_string(j, f->source_file);
			clrsos_json_key(j, "line");
			clrsos_json_uint(j, f->source_line);
		}
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	clrsos_json_key(j, "stackTraceString");
	clrsos_json_address(j, ex->stack_trace_string);
}

static void render_json(const struct pe_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	for (size_t i = 0; i < r->shown_count; i++) {
		if (i)
			clrsos_json_key(&j, "inner");
		render_exception_json(&r->shown[i], &j);
	}
	size_t n = r->chain_count;
	if (r->nested && r->shown_count < n) {
		clrsos_json_key(&j, "innerNotShown");
		clrsos_json_uint(&j, n - r->shown_count);
		clrsos_json_key(&j, "innerNotShownAtLeast");
		clrsos_json_bool(&j, r->more_than_counted);
		clrsos_json_key(&j, "nextInner");
		clrsos_json_address(&j, r->next_not_shown);
	} else if (r->cycle_to) {
		clrsos_json_key(&j, "innerCycle");
		clrsos_json_address(&j, r->cycle_to);
	}
	if (r->shown_count) {
		clrsos_json_key(&j, "threadHasNestedExceptions");
		clrsos_json_bool(&j, r->thread_nested);
	}
	for (size_t i = 1; i < r->shown_count; i++)
		clrsos_json_object_end(&j);
	const char *note;
	if (r->shown_count && r->sources && clrsos_source_cache_note(r->sources, 0)) {
		clrsos_json_key(&j, "sourceNotes");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; (note = clrsos_source_cache_note(r->sources, i)); i++)
			clrsos_json_string(&j, note);
		clrsos_json_array_end(&j);
	}
	if (r->shown_count && r->nested_count) {
		clrsos_json_key(&j, "nestedExceptions");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < r->nested_count; i++) {
			render_exception_json(&r->nested_shown[i], &j);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "nestedNotShown");
		clrsos_json_bool(&j, r->nested_more);
	}
	if (r->shown_count)
		clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_pe(struct clrsos_session *session, const struct clrsos_host *host,
				   int argc, const char *const *argv, struct clrsos_writer *out)
{
	struct pe_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct pe_result *r = malloc(sizeof(*r));
	if (!r)
		return &clrsos_error_no_memory;
	if (!(err = compute(session, host, &o, r))) {
		if (o.json)
			render_json(r, out);
		else
			render_text(r, out);
	}
	result_deinit(r);
	free(r);
	return err;
}
