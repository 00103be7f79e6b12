/* Stacks: clrstack (managed frames), clrbt (native and managed), dso (objects on a stack). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/stack.h"
#include "model/framevars.h"
#include "model/heap.h"
#include "model/objects.h"
#include "base/utf.h"
#include "model/methods.h"
#include "model/nativestack.h"
#include "target/unwind.h"
#include "analysis/verify.h"
#include "model/threads.h"
#include "model/types.h"
#include "target/target.h"
#include "commands.h"
#include "rootcmds.h"

/* clrstack -------------------------------------------------------------- */

enum { SHOW_PARAMS = 1, SHOW_LOCALS = 2 };
enum { MAX_EXPAND = 16 };

struct clrstack_options {
	bool json, all, a, p, l;
	bool full, regs, no_lines, icordebug, gc; /* -f, -r, -n, -i, -gc */
	uint64_t count;                           /* -c: at most this many frames (0: all) */
	int show;
	/* -i [var...] [frame]: the variables whose fields to show, the only frame to show variables of */
	const char *expand[MAX_EXPAND];
	size_t nexpand;
	int64_t only_frame; /* -1: every frame */
};

static struct clrsos_error *clrstack_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	(void)index;
	struct clrstack_options *o = ctx;
	if (o->nexpand == MAX_EXPAND)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "clrstack: at most %d variables to expand",
					   MAX_EXPAND);
	o->expand[o->nexpand++] = arg;
	return NULL;
}

static struct clrsos_error *clrstack_parse(const struct clrsos_host *host, int argc, const char *const *argv,
					   struct clrstack_options *o)
{
	memset(o, 0, sizeof(*o));
	o->only_frame = -1;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-all", &o->all),
		CLRSOS_FLAG("-a", &o->a),
		CLRSOS_FLAG("-p", &o->p),
		CLRSOS_FLAG("-l", &o->l),
		CLRSOS_FLAG("-f", &o->full),
		CLRSOS_FLAG("-r", &o->regs),
		CLRSOS_FLAG("-n", &o->no_lines),
		CLRSOS_FLAG("-i", &o->icordebug),
		CLRSOS_FLAG("-gc", &o->gc),
		CLRSOS_UINT("-c", &o->count, .max = UINT32_MAX),
	};
	const struct clrsos_options spec = {"clrstack", table, CLRSOS_OPTION_COUNT(table), MAX_EXPAND, clrstack_operand, o};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (o->nexpand && !o->icordebug)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "clrstack: '%s' is not an option; variable names to expand go with -i "
					   "(clrstack -i <variable> [<frame>])",
					   o->expand[0]);
	/* As SOS: a last operand of digits alone is the frame to show variables of. */
	if (o->nexpand && strspn(o->expand[o->nexpand - 1], "0123456789") == strlen(o->expand[o->nexpand - 1])) {
		uint64_t frame;
		if ((err = clrsos_parse_uint_range("the frame number", o->expand[o->nexpand - 1], 0, INT32_MAX, &frame)))
			return clrsos_error_wrap(err, "clrstack -i");
		o->only_frame = (int64_t)frame;
		o->nexpand--;
	}
	if (o->nexpand)
		o->a = true; /* as SOS: a variable to expand shows parameters and locals */
	o->show = (o->a ? SHOW_PARAMS | SHOW_LOCALS : 0) | (o->p ? SHOW_PARAMS : 0) | (o->l ? SHOW_LOCALS : 0);
	if (o->icordebug && (o->full || o->regs || o->gc))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "clrstack: -i takes none of -f, -r and -gc (SOS's -i has its own view)");
	return NULL;
}

/* -gc: a reference the runtime reports for a frame, and what it holds. */
struct gc_ref {
	struct clrsos_stack_reference ref;
	char *what; /* the object's type, a string's first characters (malloc'd), or NULL */
};

/* -gc: a reference's place in the index of a thread's references by their frame's source. */
struct gc_ref_key {
	uint64_t source;
	size_t index;
};

static int gc_ref_key_cmp(const void *a, const void *b)
{
	const struct gc_ref_key *x = a, *y = b;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* clrstack -f: a native frame clrsos unwound, or a managed frame's "Module!Name" and offset. */
struct full_frame {
	uint64_t sp, ip;
	char *module, *name; /* malloc'd, or NULL */
	uint64_t offset;
	bool managed;        /* clrbt: JIT-compiled code the runtime named */
	char *source_file;   /* clrstack -f: the debugger's line of ip (malloc'd), or NULL */
	uint32_t source_line;
};

/* A thread's stack, or why it could not be read (-all goes on past it). */
struct thread_stack {
	struct clrsos_managed_stack stack;
	char *error; /* malloc'd, or NULL */
	struct full_frame *natives; /* -f: the native frames, innermost first */
	size_t nnatives;
	struct full_frame *places;  /* -f: per managed frame, its module and offset */
	struct clrsos_typed_frame *typed; /* -i: per frame (managed frames with variables shown) */
	bool top_native;            /* -i: the thread is in native code: its SP and IP */
	uint64_t top_sp, top_ip;
	struct gc_ref *refs;        /* -gc */
	size_t nrefs;
	struct gc_ref_key *ref_index; /* -gc: refs by source (then their order), for each frame's */
};

struct clrstack_result {
	struct thread_stack *threads;
	size_t count;
};

static void clrstack_result_deinit(struct clrstack_result *r)
{
	for (size_t i = 0; i < r->count; i++) {
		struct thread_stack *ts = &r->threads[i];
		for (size_t k = 0; ts->natives && k < ts->nnatives; k++) {
			free(ts->natives[k].module);
			free(ts->natives[k].source_file);
			free(ts->natives[k].name);
		}
		for (size_t k = 0; ts->places && k < ts->stack.count; k++) {
			free(ts->places[k].module);
			free(ts->places[k].name);
		}
		free(ts->natives);
		free(ts->places);
		for (size_t k = 0; ts->typed && k < ts->stack.count; k++)
			clrsos_typed_frame_deinit(&ts->typed[k]);
		free(ts->typed);
		for (size_t k = 0; k < ts->nrefs; k++)
			free(ts->refs[k].what);
		free(ts->refs);
		free(ts->ref_index);
		clrsos_managed_stack_deinit(&ts->stack);
		free(ts->error);
	}
	free(r->threads);
}

/* Source file and line for every managed frame, from the modules' PDBs. */
static struct clrsos_error *clrstack_sources(struct clrstack_result *r, struct clrsos_dac *dac)
{
	struct clrsos_source_cache *cache = clrsos_source_cache_create();
	if (!cache)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < r->count && !err; i++)
		if (!r->threads[i].error)
			err = clrsos_managed_stack_sources(&r->threads[i].stack, dac, cache);
	clrsos_source_cache_destroy(cache);
	return err;
}

/* clrstack -f ----------------------------------------------------------- */

enum { MAX_UNWOUND_FRAMES = 4096 };

/* One thread's native frames, each named by the debugger's symbols, and its managed frames' places. */
static struct clrsos_error *clrstack_full_thread(struct thread_stack *ts, struct clrsos_root_cmd *c,
						 struct clrsos_unwinder *u, const struct clrsos_host *host, bool lines)
{
	struct clrsos_native_stack_frame *nf = NULL;
	size_t n = 0;
	struct clrsos_error *err =
		clrsos_native_stack_walk(c->target, u, ts->stack.os_id, &ts->stack, MAX_UNWOUND_FRAMES, &nf, &n);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err); /* no registers: the managed frames alone */
		n = 0;
	}
	if (!(ts->natives = calloc(n ? n : 1, sizeof(*ts->natives))) ||
	    !(ts->places = calloc(ts->stack.count ? ts->stack.count : 1, sizeof(*ts->places)))) {
		free(nf);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n; i++) {
		struct full_frame *f = &ts->natives[ts->nnatives++];
		f->sp = nf[i].sp;
		f->ip = nf[i].ip;
		if (host->symbolize)
			host->symbolize(host->ctx, f->ip, &f->module, &f->name, &f->offset);
		/* As SOS: the debugger's line of the address itself, for a frame it names. */
		if (lines && f->name)
			clrsos_target_source_line(c->target, f->ip, &f->source_file, &f->source_line);
	}
	free(nf);
	for (size_t i = 0; i < ts->stack.count && !err; i++) {
		const struct clrsos_managed_frame *m = &ts->stack.frames[i];
		/* A Frame's method is named with its module, as SOS: its offset is not shown. */
		uint64_t md = m->frame ? m->frame_method_desc : m->method_desc;
		if (md)
			err = clrsos_method_code_place(c->dac, md, m->ip, &ts->places[i].module,
						       &ts->places[i].offset);
	}
	return err;
}

static struct clrsos_error *clrstack_full(struct clrstack_result *r, struct clrsos_root_cmd *c,
					  const struct clrsos_host *host, bool lines)
{
	struct clrsos_unwinder *u;
	struct clrsos_error *err = clrsos_unwinder_create(c->target, &u);
	if (err)
		return clrsos_error_wrap(err, "clrstack -f");
	for (size_t i = 0; i < r->count && !err; i++)
		if (!r->threads[i].error)
			err = clrstack_full_thread(&r->threads[i], c, u, host, lines);
	clrsos_unwinder_destroy(u);
	return err;
}

/* SOS's -r order of a frame's registers. */
static const enum clrsos_x64_gpr_index frame_regs[] = {
	CLRSOS_RSP, CLRSOS_RBP, CLRSOS_RIP, CLRSOS_RAX, CLRSOS_RBX, CLRSOS_RCX, CLRSOS_RDX, CLRSOS_RSI, CLRSOS_RDI,
	CLRSOS_R8,  CLRSOS_R9,  CLRSOS_R10, CLRSOS_R11, CLRSOS_R12, CLRSOS_R13, CLRSOS_R14, CLRSOS_R15,
};
enum { FRAME_REGS = sizeof(frame_regs) / sizeof(frame_regs[0]) };

/* SOS's -r: the frame's registers, three to a line. */
static void write_regs_text(struct clrsos_writer *out, const struct clrsos_regs *g)
{
	for (size_t i = 0; i < FRAME_REGS; i++)
		clrsos_outf(out, "%s%3s=%016" PRIx64 "%s", i % 3 ? " " : "    ", clrsos_x64_gprs[frame_regs[i]].name,
			    clrsos_regs_gpr(g, frame_regs[i]), i % 3 == 2 || i == FRAME_REGS - 1 ? "\n" : "");
}

static void write_regs_json(struct clrsos_json *j, const struct clrsos_regs *g)
{
	clrsos_json_key(j, "registers");
	clrsos_json_object_begin(j);
	for (size_t i = 0; i < FRAME_REGS; i++) {
		clrsos_json_key(j, clrsos_x64_gprs[frame_regs[i]].name);
		clrsos_json_address(j, clrsos_regs_gpr(g, frame_regs[i]));
	}
	clrsos_json_object_end(j);
}

/* A native frame as SOS's -f prints it: "module!symbol + <decimal offset>" and, where the
 * debugger has its line, " at <file>:<line>"; or nothing. */
static void write_native_text(struct clrsos_writer *out, const struct full_frame *f)
{
	struct clrsos_name_buf mb, nb;
	clrsos_outf(out, "%016" PRIX64 " %016" PRIX64 " ", f->sp, f->ip);
	if (f->name) {
		clrsos_outf(out, "%s!%s", f->module ? clrsos_safe_name(f->module, &mb) : "UNKNOWN",
			    clrsos_safe_name(f->name, &nb));
		if (f->offset)
			clrsos_outf(out, " + %" PRIu64, f->offset);
		if (f->source_file)
			clrsos_outf(out, " at %s:%" PRIu32, clrsos_safe_name(f->source_file, &nb), f->source_line);
	}
	clrsos_out(out, "\n");
}

/* -i: each managed frame's variables typed and named, and whether the thread stands in native code. */
static struct clrsos_error *clrstack_typed(struct clrstack_result *r, struct clrsos_root_cmd *c,
					   const struct clrstack_options *o)
{
	struct clrsos_source_cache *cache = clrsos_source_cache_create();
	struct clrsos_typed_methods *methods = clrsos_typed_methods_create();
	if (!cache || !methods) {
		clrsos_source_cache_destroy(cache);
		clrsos_typed_methods_destroy(methods);
		return &clrsos_error_no_memory;
	}
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < r->count && !err; i++) {
		struct thread_stack *ts = &r->threads[i];
		if (ts->error)
			continue;
		struct clrsos_regs regs;
		struct clrsos_error *e = clrsos_target_registers(c->target, ts->stack.os_id, &regs);
		if (!e) {
			uint64_t md = 0;
			/* A lookup that fails says nothing of the IP: no native frame on top. */
			if ((err = clrsos_error_ignore(clrsos_method_desc_from_ip(c->dac, regs.rip, &md))))
				break;
			ts->top_native = !md && regs.rip;
			ts->top_sp = regs.rsp;
			ts->top_ip = regs.rip;
		}
		clrsos_error_destroy(e);
		if (!(ts->typed = calloc(ts->stack.count ? ts->stack.count : 1, sizeof(*ts->typed)))) {
			err = &clrsos_error_no_memory;
			break;
		}
		for (size_t k = 0; k < ts->stack.count && !err; k++) {
			const struct clrsos_managed_frame *f = &ts->stack.frames[k];
			if ((err = clrsos_watch_tick(clrsos_heap_watch(c->heap))))
				break;
			if (!f->frame && f->method_desc)
				err = clrsos_typed_frame_init(&ts->typed[k], c->dac, c->heap, cache, methods, f, o->expand,
							      o->nexpand);
		}
	}
	clrsos_typed_methods_destroy(methods);
	clrsos_source_cache_destroy(cache);
	return err;
}

/* -gc: the references the runtime reports for the thread's frames, each with what it holds. */
static struct clrsos_error *clrstack_gc(struct clrstack_result *r, struct clrsos_root_cmd *c)
{
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < r->count && !err; i++) {
		struct thread_stack *ts = &r->threads[i];
		struct clrsos_stack_reference *refs = NULL;
		size_t n = 0;
		if (ts->error)
			continue;
		struct clrsos_error *e = clrsos_stack_references_read(c->dac, ts->stack.os_id, &refs, &n);
		if (clrsos_error_is_no_memory(e))
			return e;
		clrsos_error_destroy(e); /* none to show: the frames alone */
		if (e)
			continue;
		if (!(ts->refs = calloc(n ? n : 1, sizeof(*ts->refs)))) {
			free(refs);
			return &clrsos_error_no_memory;
		}
		for (size_t k = 0; k < n && !err; k++) {
			if ((err = clrsos_watch_tick(clrsos_heap_watch(c->heap))))
				break;
			struct gc_ref *g = &ts->refs[ts->nrefs++];
			g->ref = refs[k];
			const struct clrsos_type *t = NULL;
			if (!g->ref.object || g->ref.interior || (err = clrsos_root_cmd_type_of(c, g->ref.object, &t, NULL)) || !t)
				continue;
			/* SOS's form: "System.String: \"<its first 31 characters>\"", "T[]" for an array of T. */
			const char *name = clrsos_types_name(c->types, t);
			if (t->is_string) {
				struct clrsos_string_text st;
				char text[32 * 3 + 1] = "";
				if (!clrsos_error_ignore(clrsos_string_text_init(&st, c->heap, g->ref.object, 31))) {
					uint16_t units[31];
					for (uint32_t u = 0; u < st.count && u < 31; u++)
						units[u] = (uint16_t)(st.units[2 * u] | st.units[2 * u + 1] << 8);
					clrsos_utf16_to_utf8(units, st.count < 31 ? st.count : 31, text, sizeof(text));
					clrsos_string_text_deinit(&st);
				}
				if (asprintf(&g->what, "%s: \"%s\"", name, text) < 0)
					g->what = NULL;
			} else {
				g->what = strdup(name);
			}
			if (!g->what)
				err = &clrsos_error_no_memory;
		}
		free(refs);
		/* Each frame finds its references by a binary search, not a pass over all of them. */
		if (!(ts->ref_index = malloc((ts->nrefs ? ts->nrefs : 1) * sizeof(*ts->ref_index))))
			return err ? err : &clrsos_error_no_memory;
		for (size_t k = 0; k < ts->nrefs; k++)
			ts->ref_index[k] = (struct gc_ref_key){ts->refs[k].ref.source, k};
		qsort(ts->ref_index, ts->nrefs, sizeof(*ts->ref_index), gc_ref_key_cmp);
	}
	return err;
}

/*
 * What the walk reads: the variables when shown; the IL offsets for source
 * lines (not with -n, but still for --json's ilOffset) and for -i's locals'
 * names (their PDB scopes).
 */
static unsigned clrstack_walk_what(const struct clrstack_options *o)
{
	bool il = o->icordebug ? o->show != 0 : !o->no_lines || o->json;
	return (o->show ? CLRSOS_STACK_VARS : 0) | (il ? CLRSOS_STACK_IL : 0);
}

/* What the options add to the walked stacks: source lines, native frames, typed variables, GC references. */
static struct clrsos_error *clrstack_extras(struct clrstack_result *r, struct clrsos_root_cmd *c,
					    const struct clrsos_host *host, const struct clrstack_options *o)
{
	struct clrsos_error *err = NULL;
	if (!o->icordebug)
		err = clrstack_sources(r, c->dac);
	if (!err && o->full)
		err = clrstack_full(r, c, host, !o->no_lines);
	if (!err && o->icordebug)
		err = clrstack_typed(r, c, o);
	if (!err && o->gc)
		err = clrstack_gc(r, c);
	return err;
}

static struct clrsos_error *clrstack_compute(struct clrsos_session *session, const struct clrsos_host *host,
					     const struct clrstack_options *o, struct clrstack_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	if (!o->all) {
		if (!host->selected_thread)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "clrstack: no thread is selected: use 'thread select <n>' or clrstack -all");
		if (!(r->threads = calloc(1, sizeof(*r->threads))))
			return &clrsos_error_no_memory;
		if ((err = clrsos_managed_stack_init(&r->threads[0].stack, c.dac, host->selected_thread, clrstack_walk_what(o))))
			return err;
		r->count = 1;
		return clrstack_extras(r, &c, host, o);
	}
	struct clrsos_managed_thread_list list;
	if ((err = clrsos_managed_thread_list_init(&list, c.dac)))
		return err;
	if (!(r->threads = calloc(list.count ? list.count : 1, sizeof(*r->threads)))) {
		clrsos_managed_thread_list_deinit(&list);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < list.count && !err; i++) {
		uint32_t os_id = list.items[i].os_id;
		if (!os_id)
			continue;
		struct thread_stack *ts = &r->threads[r->count++];
		struct clrsos_error *e = clrsos_managed_stack_init(&ts->stack, c.dac, os_id, clrstack_walk_what(o));
		if (clrsos_error_is_no_memory(e)) {
			err = e;
		} else if (e) {
			/* Said, not skipped: the other threads still follow. */
			ts->stack.os_id = os_id;
			if (!(ts->error = strdup(e->message)))
				err = &clrsos_error_no_memory;
			clrsos_error_destroy(e);
		}
	}
	clrsos_managed_thread_list_deinit(&list);
	return err ? err : clrstack_extras(r, &c, host, o);
}

static void write_vars_json(struct clrsos_json *j, const char *key, const struct clrsos_managed_var *v, size_t n)
{
	clrsos_json_key(j, key);
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		clrsos_json_object_begin(j);
		if (v[i].name) {
			clrsos_json_key(j, "name");
			clrsos_json_string(j, v[i].name);
		}
		clrsos_json_key(j, "location");
		clrsos_json_string(j, !v[i].has_location ? NULL : v[i].in_register ? "register" : "stack");
		if (v[i].has_location && !v[i].in_register) {
			clrsos_json_key(j, "address");
			clrsos_json_address(j, v[i].address);
		}
		clrsos_json_key(j, "size");
		clrsos_json_uint(j, v[i].size);
		clrsos_json_key(j, "value");
		if (v[i].state == CLRSOS_MANAGED_VAR_VALUE && v[i].size <= 8)
			clrsos_json_address(j, v[i].value);
		else
			clrsos_json_null(j);
		clrsos_json_key(j, "state");
		clrsos_json_string(j, v[i].state == CLRSOS_MANAGED_VAR_VALUE	    ? "value"
				   : v[i].state == CLRSOS_MANAGED_VAR_NO_DATA ? "noData"
									      : "unreadable");
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

/* SOS's layout: "        name (0x<home>) = 0x<value>" for parameters, "        0x<home> = ..." for locals. */
static void write_vars_text(struct clrsos_writer *out, const char *title, bool params,
			    const struct clrsos_managed_var *v, size_t n)
{
	if (!n)
		return;
	clrsos_outf(out, "    %s:\n", title);
	for (size_t i = 0; i < n; i++) {
		clrsos_out(out, "        ");
		if (params && v[i].name) {
			clrsos_out_name(out, v[i].name);
			clrsos_out(out, " ");
		}
		if (v[i].has_location) {
			if (v[i].in_register)
				clrsos_out(out, params ? "(<CLR reg>) " : "<CLR reg> ");
			else
				clrsos_outf(out, params ? "(0x%016" PRIx64 ") " : "0x%016" PRIx64 " ", v[i].address);
		}
		if (v[i].has_location || (params && v[i].name))
			clrsos_out(out, "= ");
		if (v[i].state == CLRSOS_MANAGED_VAR_NO_DATA)
			clrsos_out(out, "<no data>\n");
		else if (v[i].state == CLRSOS_MANAGED_VAR_UNREADABLE)
			clrsos_out(out, "<unable to retrieve data>\n");
		else if (v[i].size > 8)
			clrsos_outf(out, "<a %u-byte value type>\n", v[i].size);
		else
			clrsos_outf(out, "0x%016" PRIx64 "\n", v[i].value);
	}
}

/* -gc: [*ret_begin, *ret_end) of ts->ref_index, the references whose frame's source is source, in their order. */
static void gc_refs_of(const struct thread_stack *ts, uint64_t source, size_t *ret_begin, size_t *ret_end)
{
	size_t lo = 0, hi = ts->ref_index ? ts->nrefs : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ts->ref_index[mid].source < source)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < (ts->ref_index ? ts->nrefs : 0) && ts->ref_index[end].source == source)
		end++;
	*ret_begin = lo;
	*ret_end = end;
}

/* -gc: a reference as SOS prints it under its frame: "rbp-38: <slot> -> <object> - <type>". */
static void write_gc_refs_text(struct clrsos_writer *out, const struct thread_stack *ts, uint64_t source, uint64_t sp,
			       bool frame)
{
	size_t i, end;
	gc_refs_of(ts, source, &i, &end);
	for (; i < end; i++) {
		const struct gc_ref *g = &ts->refs[ts->ref_index[i].index];
		if (!frame && g->ref.stack_pointer != sp)
			continue;
		struct clrsos_name_buf nb;
		clrsos_outf(out, "%34s", "");
		const char *reg = clrsos_register_name(g->ref.reg);
		if (g->ref.reg >= 0) {
			clrsos_out(out, reg ? reg : "<unknown register>");
			if (g->ref.offset)
				clrsos_outf(out, "%c%x", g->ref.offset > 0 ? '+' : '-',
					    g->ref.offset > 0 ? (unsigned)g->ref.offset : 0u - (unsigned)g->ref.offset);
			clrsos_out(out, ": ");
		}
		if (g->ref.address)
			clrsos_outf(out, "%016" PRIx64 " -> ", g->ref.address);
		clrsos_outf(out, "%016" PRIx64, g->ref.object);
		if (g->ref.pinned)
			clrsos_out(out, " (pinned)");
		if (g->ref.interior)
			clrsos_out(out, " (interior)");
		if (g->what)
			clrsos_outf(out, " - %s", clrsos_safe_name(g->what, &nb));
		clrsos_out(out, "\n");
	}
}

static void write_gc_refs_json(struct clrsos_json *j, const struct thread_stack *ts, uint64_t source, uint64_t sp,
			       bool frame)
{
	clrsos_json_key(j, "gcReferences");
	clrsos_json_array_begin(j);
	size_t i, end;
	gc_refs_of(ts, source, &i, &end);
	for (; i < end; i++) {
		const struct gc_ref *g = &ts->refs[ts->ref_index[i].index];
		if (!frame && g->ref.stack_pointer != sp)
			continue;
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "register");
		clrsos_json_string(j, g->ref.reg >= 0 ? clrsos_register_name(g->ref.reg) : NULL);
		clrsos_json_key(j, "offset");
		clrsos_json_int(j, g->ref.offset);
		clrsos_json_key(j, "address");
		clrsos_json_address(j, g->ref.address);
		clrsos_json_key(j, "object");
		clrsos_json_address(j, g->ref.object);
		clrsos_json_key(j, "pinned");
		clrsos_json_bool(j, g->ref.pinned);
		clrsos_json_key(j, "interior");
		clrsos_json_bool(j, g->ref.interior);
		clrsos_json_key(j, "type");
		clrsos_json_string(j, g->what);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

/* -i: a variable's value as SOS's ICorDebug view prints it after "  + <type> <name>". */
static void write_typed_value_text(struct clrsos_writer *out, const struct clrsos_typed_var *v)
{
	struct clrsos_name_buf nb;
	switch (v->kind) {
	case CLRSOS_TYPED_NO_DATA: clrsos_out(out, " = <no data>\n"); break;
	case CLRSOS_TYPED_UNREADABLE: clrsos_out(out, " = <unable to retrieve data>\n"); break;
	case CLRSOS_TYPED_NULL: clrsos_out(out, " = null\n"); break;
	case CLRSOS_TYPED_STRING:
		clrsos_outf(out, " = \"%s\"%s\n", clrsos_safe_name(v->text, &nb), v->text_cut ? "..." : "");
		break;
	case CLRSOS_TYPED_ARRAY:
		if (v->length == 0)
			clrsos_out(out, "   (empty)\n");
		else if (v->length == 1)
			clrsos_out(out, "   (1 element)\n");
		else
			clrsos_outf(out, "   (%u elements)\n", v->length);
		break;
	case CLRSOS_TYPED_OBJECT:
	case CLRSOS_TYPED_STRUCT:
		if (v->has_address)
			clrsos_outf(out, " @ 0x%" PRIx64 "\n", v->address);
		else
			clrsos_out(out, "\n");
		break;
	case CLRSOS_TYPED_BOOL: clrsos_outf(out, "  = %s\n", v->bits ? "true" : "false"); break;
	case CLRSOS_TYPED_CHAR: {
		char c[8] = "";
		uint16_t u = (uint16_t)v->bits;
		clrsos_utf16_to_utf8(&u, 1, c, sizeof(c));
		clrsos_outf(out, "  = '%s'\n", u >= 0x20 && u != 0x7f ? clrsos_safe_name(c, &nb) : "?");
		break;
	}
	case CLRSOS_TYPED_SIGNED: clrsos_outf(out, "  = %" PRId64 "\n", (int64_t)v->bits); break;
	case CLRSOS_TYPED_UNSIGNED: clrsos_outf(out, "  = %" PRIu64 "\n", v->bits); break;
	case CLRSOS_TYPED_FLOAT: clrsos_outf(out, "  = %f\n", v->real); break;
	case CLRSOS_TYPED_POINTER: clrsos_outf(out, "  = 0x%016" PRIx64 "\n", v->bits); break;
	}
	for (size_t i = 0; i < v->nfields; i++) {
		struct clrsos_name_buf tb, fb;
		clrsos_outf(out, "     |- %s %s", clrsos_safe_name(v->fields[i].type, &tb),
			    clrsos_safe_name(v->fields[i].name, &fb));
		write_typed_value_text(out, &v->fields[i]);
	}
}

static void write_typed_vars_text(struct clrsos_writer *out, const char *title, const struct clrsos_typed_var *v,
				  size_t n)
{
	if (!n) {
		clrsos_outf(out, "\n%s: (none)\n", title);
		return;
	}
	clrsos_outf(out, "\n%s:\n", title);
	for (size_t i = 0; i < n; i++) {
		struct clrsos_name_buf tb, nb;
		/* No home here: SOS's line for ICorDebug's CORDBG_E_IL_VAR_NOT_AVAILABLE. */
		if (v[i].kind == CLRSOS_TYPED_NO_DATA) {
			clrsos_outf(out, "  + (Error 0x80131304 retrieving %s '%s')\n",
				    title[0] == 'P' ? "parameter" : "local variable", clrsos_safe_name(v[i].name, &nb));
			continue;
		}
		clrsos_outf(out, "  + %s %s", clrsos_safe_name(v[i].type, &tb), clrsos_safe_name(v[i].name, &nb));
		write_typed_value_text(out, &v[i]);
	}
}

static const char *typed_kind_name(enum clrsos_typed_kind k)
{
	static const char *const names[] = {"noData", "unreadable", "null", "string", "array", "object", "struct",
					    "bool", "char", "signed", "unsigned", "float", "pointer"};
	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

static void write_typed_vars_json(struct clrsos_json *j, const char *key, const struct clrsos_typed_var *v, size_t n)
{
	clrsos_json_key(j, key);
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "name");
		clrsos_json_string(j, v[i].name);
		clrsos_json_key(j, "type");
		clrsos_json_string(j, v[i].type);
		clrsos_json_key(j, "kind");
		clrsos_json_string(j, typed_kind_name(v[i].kind));
		clrsos_json_key(j, "value");
		switch (v[i].kind) {
		case CLRSOS_TYPED_STRING: clrsos_json_string(j, v[i].text); break;
		case CLRSOS_TYPED_BOOL: clrsos_json_bool(j, v[i].bits != 0); break;
		case CLRSOS_TYPED_SIGNED: clrsos_json_int(j, (int64_t)v[i].bits); break;
		case CLRSOS_TYPED_CHAR:
		case CLRSOS_TYPED_UNSIGNED: clrsos_json_uint(j, v[i].bits); break;
		case CLRSOS_TYPED_FLOAT: {
			char buf[64];
			snprintf(buf, sizeof(buf), "%.17g", v[i].real);
			clrsos_json_string(j, buf);
			break;
		}
		case CLRSOS_TYPED_POINTER: clrsos_json_address(j, v[i].bits); break;
		default: clrsos_json_null(j); break;
		}
		if (v[i].has_address) {
			clrsos_json_key(j, "address");
			clrsos_json_address(j, v[i].address);
		}
		if (v[i].kind == CLRSOS_TYPED_ARRAY) {
			clrsos_json_key(j, "length");
			clrsos_json_uint(j, v[i].length);
		}
		if (v[i].expanded)
			write_typed_vars_json(j, "fields", v[i].fields, v[i].nfields);
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

static void write_typed_json(struct clrsos_json *j, const struct clrsos_typed_frame *t, int show)
{
	clrsos_json_key(j, "signature");
	clrsos_json_string(j, t->method);
	clrsos_json_key(j, "modulePath");
	clrsos_json_string(j, t->module);
	if (show & SHOW_PARAMS)
		write_typed_vars_json(j, "parameters", t->params, t->nparams);
	if (show & SHOW_LOCALS)
		write_typed_vars_json(j, "locals", t->locals, t->nlocals);
}

/*
 * -i: a runtime Frame as SOS prints ICorDebug's internal frames (no IP:
 * "(null)"); the kinds ICorDebug names, else the Frame's own name.
 */
static void write_internal_frame(struct clrsos_writer *out, const struct clrsos_managed_frame *x)
{
	static const struct {
		const char *frame, *kind;
	} kinds[] = {
		{"InlinedCallFrame", "Managed to Unmanaged transition"},
		{"PInvokeCalliFrame", "Managed to Unmanaged transition"},
		{"UMThkCallFrame", "Unmanaged to Managed transition"},
		{"FuncEvalFrame", "Function evaluation"},
		{"DebuggerClassInitMarkFrame", "Class initialization"},
		{"ExceptionFilterFrame", "Exception"},
	};
	struct clrsos_name_buf nb;
	const char *kind = x->name ? clrsos_safe_name(x->name, &nb) : "Frame";
	for (size_t k = 0; x->name && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(x->name, kinds[k].frame))
			kind = kinds[k].kind;
	clrsos_outf(out, "%016" PRIX64 " (null) [%s: %016" PRIX64 "]\n", x->frame, kind, x->frame);
}

/* -i: SOS's ICorDebug view of the stack, from the runtime's walk. */
static void write_icordebug_text(struct clrsos_writer *out, const struct thread_stack *ts,
				 const struct clrstack_options *o)
{
	static const char rule[] = "=============================================================================\n";
	const struct clrsos_managed_stack *s = &ts->stack;
	uint64_t printed = 0;
	int64_t number = 0;
	if (o->all)
		clrsos_outf(out, "OS Thread Id: 0x%x\n", s->os_id);
	clrsos_outf(out, "\n\n\nDumping managed stack and managed variables using ICorDebug.\n%s", rule);
	clrsos_outf(out, "%-16s %-16s %s\n", "Child SP", "IP", "Call Site");
	if (ts->top_native) {
		clrsos_outf(out, "%016" PRIX64 " %016" PRIx64 " [NativeStackFrame]\n", ts->top_sp, ts->top_ip);
		printed++;
		number++;
	}
	size_t next_frame = 0; /* the runtime's Frames go where ICorDebug puts its internal frames: by address */
	for (size_t i = 0; i < s->count && (!o->count || printed < o->count); i++) {
		const struct clrsos_managed_frame *f = &s->frames[i];
		struct clrsos_name_buf nb, mb;
		if (f->frame)
			continue;
		for (; next_frame < s->count && (!o->count || printed < o->count); next_frame++) {
			const struct clrsos_managed_frame *x = &s->frames[next_frame];
			if (!x->frame)
				continue;
			if (x->frame > f->sp)
				break;
			if (next_frame > 0 && s->frames[next_frame - 1].frame == x->frame)
				continue; /* the walk meets some Frames twice */
			write_internal_frame(out, x);
			printed++;
		}
		if (o->count && printed >= o->count)
			break;
		printed++;
		const struct clrsos_typed_frame *t = ts->typed ? &ts->typed[i] : NULL;
		clrsos_outf(out, "%016" PRIX64 " %016" PRIx64 " ", f->sp, f->ip);
		if (t && t->method)
			clrsos_outf(out, "%s (%s)\n", clrsos_safe_name(t->method, &nb),
				    t->module ? clrsos_safe_name(t->module, &mb) : "");
		else
			clrsos_outf(out, "%s\n", f->name ? clrsos_safe_name(f->name, &nb) : "[IL Stub or LCG]");
		if (t && t->method && (o->only_frame < 0 || o->only_frame == number)) {
			if (o->show & SHOW_PARAMS)
				write_typed_vars_text(out, "PARAMETERS", t->params, t->nparams);
			if (o->show & SHOW_LOCALS)
				write_typed_vars_text(out, "LOCALS", t->locals, t->nlocals);
			/* As SOS: an empty line closes the variables, none without them. */
			if (o->show & (SHOW_PARAMS | SHOW_LOCALS))
				clrsos_out(out, "\n");
		}
		number++;
	}
	for (; next_frame < s->count && (!o->count || printed < o->count); next_frame++) {
		const struct clrsos_managed_frame *x = &s->frames[next_frame];
		if (x->frame && !(next_frame > 0 && s->frames[next_frame - 1].frame == x->frame)) {
			write_internal_frame(out, x);
			printed++;
		}
	}
	if (!o->count || printed < o->count)
		clrsos_out(out, "Stack walk complete.\n");
	clrsos_out(out, rule);
}

static void write_stack_json(struct clrsos_json *j, const struct thread_stack *ts,
			     const struct clrstack_options *o)
{
	const struct clrsos_managed_stack *s = &ts->stack;
	const struct clrsos_managed_frame *f = s->frames;
	const int show = o->show;
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "osThreadId");
	clrsos_json_uint(j, s->os_id);
	clrsos_json_key(j, "frames");
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < s->count && (!o->count || i < o->count); i++) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "sp");
		clrsos_json_address(j, f[i].sp);
		if (o->regs)
			write_regs_json(j, &f[i].regs);
		if (o->full && ts->places && ts->places[i].module && !f[i].frame) {
			clrsos_json_key(j, "module");
			clrsos_json_string(j, ts->places[i].module);
			clrsos_json_key(j, "offset");
			clrsos_json_uint(j, ts->places[i].offset);
		}
		clrsos_json_key(j, "ip");
		clrsos_json_address(j, f[i].ip);
		clrsos_json_key(j, "frame");
		clrsos_json_address(j, f[i].frame);
		clrsos_json_key(j, "methodDesc");
		clrsos_json_address(j, f[i].method_desc);
		clrsos_json_key(j, "name");
		clrsos_json_string(j, f[i].name);
		if (f[i].frame) {
			clrsos_json_key(j, "frameMethodDesc");
			clrsos_json_address(j, f[i].frame_method_desc);
			clrsos_json_key(j, "frameMethod");
			clrsos_json_string(j, f[i].frame_method);
		}
		if (f[i].has_il) {
			clrsos_json_key(j, "ilOffset");
			clrsos_json_uint(j, f[i].il_offset);
		}
		if (f[i].source_file) {
			clrsos_json_key(j, "file");
			clrsos_json_string(j, f[i].source_file);
			clrsos_json_key(j, "line");
			clrsos_json_uint(j, f[i].source_line);
		}
		if (o->gc)
			write_gc_refs_json(j, ts, f[i].frame ? f[i].frame : f[i].ip, f[i].sp, f[i].frame != 0);
		if (o->icordebug && ts->typed && ts->typed[i].method)
			write_typed_json(j, &ts->typed[i], show);
		if (show && !f[i].frame && !o->icordebug) {
			if (show & SHOW_PARAMS) {
				if (f[i].args_failed) {
					clrsos_json_key(j, "parameters");
					clrsos_json_null(j);
				} else {
					write_vars_json(j, "parameters", f[i].args, f[i].nargs);
				}
			}
			if (show & SHOW_LOCALS) {
				if (f[i].locals_failed) {
					clrsos_json_key(j, "locals");
					clrsos_json_null(j);
				} else {
					write_vars_json(j, "locals", f[i].locals, f[i].nlocals);
				}
			}
		}
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
	if (o->full) {
		clrsos_json_key(j, "nativeFrames");
		clrsos_json_array_begin(j);
		for (size_t i = 0; i < ts->nnatives; i++) {
			clrsos_json_object_begin(j);
			clrsos_json_key(j, "sp");
			clrsos_json_address(j, ts->natives[i].sp);
			clrsos_json_key(j, "ip");
			clrsos_json_address(j, ts->natives[i].ip);
			clrsos_json_key(j, "module");
			clrsos_json_string(j, ts->natives[i].module);
			clrsos_json_key(j, "symbol");
			clrsos_json_string(j, ts->natives[i].name);
			clrsos_json_key(j, "offset");
			clrsos_json_uint(j, ts->natives[i].offset);
			if (ts->natives[i].source_file) {
				clrsos_json_key(j, "file");
				clrsos_json_string(j, ts->natives[i].source_file);
				clrsos_json_key(j, "line");
				clrsos_json_uint(j, ts->natives[i].source_line);
			}
			clrsos_json_object_end(j);
		}
		clrsos_json_array_end(j);
	}
	clrsos_json_key(j, "truncated");
	clrsos_json_bool(j, s->truncated);
	clrsos_json_object_end(j);
}

static void write_stack_text(struct clrsos_writer *out, const struct thread_stack *ts,
			     const struct clrstack_options *o)
{
	const struct clrsos_managed_stack *s = &ts->stack;
	const struct clrsos_managed_frame *f = s->frames;
	const int show = o->show;
	struct clrsos_name_buf nb, mb;
	size_t printed = 0, native = 0;
	clrsos_outf(out, "OS Thread Id: 0x%x\n", s->os_id);
	clrsos_outf(out, "%16s %16s %s\n", "Child SP", "IP", "Call Site");
	for (size_t i = 0; i < s->count; i++) {
		/* As SOS: a Frame stands at its own address (-f: native frames below each row come first). */
		uint64_t sp = f[i].frame ? f[i].frame : f[i].sp;
		for (; o->full && native < ts->nnatives && ts->natives[native].sp <= sp; native++)
			if (ts->natives[native].sp != sp)
				write_native_text(out, &ts->natives[native]);
		if (f[i].frame) {
			/* SOS's row: its IP in lower case (none with -f), then "[Frame: address] " and the
			 * method the Frame stands for. */
			clrsos_outf(out, "%016" PRIX64 " ", sp);
			if (o->full)
				clrsos_outf(out, "%16s", "");
			else
				clrsos_outf(out, "%016" PRIx64, f[i].ip);
			clrsos_outf(out, " [%s: %016" PRIx64 "] ",
				    f[i].name ? clrsos_safe_name(f[i].name, &nb) : "Frame", f[i].frame);
			if (f[i].frame_method) {
				if (o->full && ts->places && ts->places[i].module)
					clrsos_outf(out, "%s!", clrsos_safe_name(ts->places[i].module, &mb));
				clrsos_out(out, clrsos_safe_name(f[i].frame_method, &nb));
			}
			clrsos_out(out, "\n");
			if (o->gc)
				write_gc_refs_text(out, ts, f[i].frame, 0, true);
		} else {
			clrsos_outf(out, "%016" PRIX64 " %016" PRIX64 " ", f[i].sp, f[i].ip);
			if (o->full && ts->places && ts->places[i].module)
				clrsos_outf(out, "%s!", clrsos_safe_name(ts->places[i].module, &mb));
			clrsos_out(out, f[i].name ? clrsos_safe_name(f[i].name, &nb) : "[unknown managed code]");
			if (o->full && ts->places && ts->places[i].module)
				clrsos_outf(out, " + %" PRIu64, ts->places[i].offset);
			/* As SOS: the source position after the method's name. */
			if (f[i].source_file && !o->no_lines)
				clrsos_outf(out, " [%s @ %u]", clrsos_safe_name(f[i].source_file, &nb),
					    f[i].source_line);
			clrsos_out(out, "\n");
			if (o->gc)
				write_gc_refs_text(out, ts, f[i].ip, f[i].sp, false);
			if (show) {
				if ((show & SHOW_PARAMS) && f[i].args_failed)
					clrsos_out(out,
						   "    PARAMETERS: <the runtime cannot list them for this frame>\n");
				else if (show & SHOW_PARAMS)
					write_vars_text(out, "PARAMETERS", true, f[i].args, f[i].nargs);
				if ((show & SHOW_LOCALS) && f[i].locals_failed)
					clrsos_out(out, "    LOCALS: <the runtime cannot list them for this frame>\n");
				else if (show & SHOW_LOCALS)
					write_vars_text(out, "LOCALS", false, f[i].locals, f[i].nlocals);
				clrsos_out(out, "\n");
			}
		}
		if (o->regs)
			write_regs_text(out, &f[i].regs);
		if (++printed == o->count)
			return;
	}
	for (; native < ts->nnatives && (!o->count || printed < o->count); native++, printed++)
		write_native_text(out, &ts->natives[native]);
	if (s->truncated)
		clrsos_outf(out, "Warning: the walk stopped after %zu frames; the stack is deeper (a stack overflow?)\n",
			    s->count);
}

static void clrstack_render_json(const struct clrstack_result *r, const struct clrstack_options *o,
				 struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "threads");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		const struct thread_stack *ts = &r->threads[i];
		if (!ts->error) {
			write_stack_json(&j, ts, o);
			continue;
		}
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "osThreadId");
		clrsos_json_uint(&j, ts->stack.os_id);
		clrsos_json_key(&j, "frames");
		clrsos_json_null(&j);
		clrsos_json_key(&j, "error");
		clrsos_json_string(&j, ts->error);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void clrstack_render_text(const struct clrstack_result *r, const struct clrstack_options *o,
				 struct clrsos_writer *out)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct thread_stack *ts = &r->threads[i];
		if (ts->error) {
			clrsos_outf(out, "OS Thread Id: 0x%x\nWarning: its stack could not be read: %s\n\n",
				    ts->stack.os_id, ts->error);
			continue;
		}
		if (o->icordebug)
			write_icordebug_text(out, ts, o);
		else
			write_stack_text(out, ts, o);
		if (o->all)
			clrsos_out(out, "\n");
	}
}

struct clrsos_error *clrsos_cmd_clrstack(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	struct clrstack_options o;
	struct clrsos_error *err = clrstack_parse(host, argc, argv, &o);
	if (err)
		return err;
	struct clrstack_result r;
	if (!(err = clrstack_compute(session, host, &o, &r))) {
		if (o.json)
			clrstack_render_json(&r, &o, out);
		else
			clrstack_render_text(&r, &o, out);
	}
	clrstack_result_deinit(&r);
	return err;
}

/* clrbt ----------------------------------------------------------------- */

enum { MAX_NATIVE_FRAMES = 4096 };

struct clrbt_options {
	bool json;
	uint32_t os_id;
};

static struct clrsos_error *thread_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	(void)index;
	struct clrbt_options *o = ctx;
	uint64_t v;
	struct clrsos_error *err = clrsos_parse_uint_range("the OS thread id", arg, 1, UINT32_MAX, &v);
	if (err)
		return clrsos_error_wrap(err, "clrbt");
	o->os_id = (uint32_t)v;
	return NULL;
}

static struct clrsos_error *clrbt_parse(const struct clrsos_host *host, int argc, const char *const *argv,
					struct clrbt_options *o)
{
	memset(o, 0, sizeof(*o));
	o->os_id = host->selected_thread;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
	};
	const struct clrsos_options spec = {
		.command = "clrbt",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = thread_operand,
		.ctx = o,
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}

/* A frame: the debugger's (managed when the runtime named it), or the runtime walk's past where lldb stopped. */
struct bt_frame {
	uint64_t pc, sp;
	const char *name;   /* borrowed from native or managed, or NULL */
	const char *module; /* the debugger's, or NULL */
	bool managed;
	bool from_runtime;  /* past the end of the debugger's backtrace: the runtime's walk */
	bool from_unwinder; /* past the end of the debugger's backtrace: clrsos's own unwinding */
	char *source_file;  /* a managed frame's source position (malloc'd), or NULL */
	uint32_t source_line;
};

struct clrbt_result {
	uint32_t os_id;
	struct clrsos_native_frame *native;
	size_t nnative;
	char **managed; /* per native frame: the runtime's name for it, or NULL */
	struct clrsos_managed_stack walk;
	struct full_frame *unwound; /* frames clrsos unwound past the debugger's last (names owned) */
	size_t nunwound;
	struct bt_frame *frames;
	size_t count;
};

static void clrbt_result_deinit(struct clrbt_result *r)
{
	for (size_t i = 0; r->native && i < r->nnative; i++) {
		free(r->native[i].name);
		free(r->native[i].module);
		if (r->managed)
			free(r->managed[i]);
	}
	free(r->native);
	free(r->managed);
	for (size_t i = 0; r->unwound && i < r->nunwound; i++) {
		free(r->unwound[i].module);
		free(r->unwound[i].name);
	}
	free(r->unwound);
	for (size_t i = 0; r->frames && i < r->count; i++)
		free(r->frames[i].source_file);
	free(r->frames);
	clrsos_managed_stack_deinit(&r->walk);
}

/*
 * Where lldb's backtrace stops short of the stack's end (a core whose
 * native code it cannot unwind), clrsos's own unwinding goes on: the
 * frames it finds above lldb's last one, managed ones named by the
 * runtime, native ones by the debugger's symbols.
 */
static struct clrsos_error *clrbt_unwind_tail(struct clrbt_result *r, struct clrsos_root_cmd *c,
					      const struct clrsos_host *host, bool walked)
{
	uint64_t last_sp = r->nnative ? r->native[r->nnative - 1].sp : 0;
	struct clrsos_unwinder *u;
	struct clrsos_error *err = clrsos_unwinder_create(c->target, &u);
	if (err)
		return clrsos_error_is_no_memory(err) ? err : (clrsos_error_destroy(err), NULL);
	struct clrsos_native_stack_frame *nf = NULL;
	size_t n = 0;
	err = clrsos_native_stack_walk(c->target, u, r->os_id, walked ? &r->walk : NULL, MAX_NATIVE_FRAMES, &nf,
				       &n);
	clrsos_unwinder_destroy(u);
	if (err)
		return clrsos_error_is_no_memory(err) ? err : (clrsos_error_destroy(err), NULL);
	size_t first = 0;
	while (first < n && nf[first].sp <= last_sp)
		first++;
	if (first < n && !(r->unwound = calloc(n - first, sizeof(*r->unwound)))) {
		free(nf);
		return &clrsos_error_no_memory;
	}
	for (size_t i = first; i < n && !err; i++) {
		struct full_frame *f = &r->unwound[r->nunwound++];
		f->sp = nf[i].sp;
		f->ip = nf[i].ip;
		if (!nf[i].in_module) {
			/* JIT-compiled code: its method's name, no module and no offset (a managed frame). */
			struct clrsos_error *e = clrsos_method_name_at_ip(c->dac, f->ip, &f->name);
			if (clrsos_error_is_no_memory(e))
				err = e;
			else
				clrsos_error_destroy(e);
			f->managed = f->name != NULL;
		} else if (host->symbolize) {
			host->symbolize(host->ctx, f->ip, &f->module, &f->name, &f->offset);
			/* As clrbt shows lldb's own frames: its synthetic names say nothing ("???"). */
			if (f->name && !strncmp(f->name, "___lldb_unnamed_symbol", 22)) {
				free(f->name);
				f->name = NULL;
			}
		}
	}
	free(nf);
	return err;
}

/*
 * The source position of each managed frame, from its module's PDB: the
 * innermost frame's at its pc, the others' at the call before their return
 * address. Only out of memory is an error.
 */
static struct clrsos_error *clrbt_sources(struct clrbt_result *r, struct clrsos_dac *dac)
{
	struct clrsos_source_cache *cache = clrsos_source_cache_create();
	if (!cache)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < r->count && !err; i++) {
		struct bt_frame *f = &r->frames[i];
		uint64_t md = 0;
		if (!f->managed)
			continue;
		if ((err = clrsos_error_ignore(clrsos_method_desc_from_ip(dac, f->pc, &md))) || !md)
			continue;
		err = clrsos_source_line_at(cache, dac, md, f->pc, i > 0, &f->source_file, &f->source_line);
	}
	clrsos_source_cache_destroy(cache);
	return err;
}

static struct clrsos_error *clrbt_compute(struct clrsos_session *session, const struct clrsos_host *host,
					  const struct clrbt_options *o, struct clrbt_result *r)
{
	memset(r, 0, sizeof(*r));
	r->os_id = o->os_id;
	if (!host->backtrace)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "clrbt: this debugger gives no backtrace");
	if (!o->os_id)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "clrbt: no thread is selected: use 'thread select <n>' or give its OS id");
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	if (!(r->native = calloc(MAX_NATIVE_FRAMES, sizeof(*r->native))))
		return &clrsos_error_no_memory;
	if ((err = host->backtrace(host->ctx, o->os_id, r->native, MAX_NATIVE_FRAMES, &r->nnative)))
		return err;
	if (!(r->managed = calloc(r->nnative ? r->nnative : 1, sizeof(*r->managed))))
		return clrsos_error_wrap(&clrsos_error_no_memory, "clrbt");
	for (size_t i = 0; i < r->nnative; i++) {
		/* A frame the debugger cannot name may be JIT-compiled code: ask the runtime. */
		if (r->native[i].name)
			continue;
		struct clrsos_error *e = clrsos_method_name_at_ip(c.dac, r->native[i].pc, &r->managed[i]);
		if (clrsos_error_is_no_memory(e))
			return clrsos_error_wrap(e, "clrbt");
		clrsos_error_destroy(e);
	}
	/*
	 * Where lldb's unwinding stopped short (a core whose native code lacks
	 * unwind data), the runtime's own stack walk goes on: its managed frames
	 * above the last frame lldb found follow.
	 */
	struct clrsos_error *e = clrsos_managed_stack_init(&r->walk, c.dac, o->os_id, 0);
	if (clrsos_error_is_no_memory(e))
		return clrsos_error_wrap(e, "clrbt");
	bool walked = !e;
	clrsos_error_destroy(e);
	if ((err = clrbt_unwind_tail(r, &c, host, walked)))
		return clrsos_error_wrap(err, "clrbt");
	size_t max = r->nnative + (walked ? r->walk.count : 0) + r->nunwound;
	if (!(r->frames = calloc(max ? max : 1, sizeof(*r->frames))))
		return clrsos_error_wrap(&clrsos_error_no_memory, "clrbt");
	for (size_t i = 0; i < r->nnative; i++) {
		const struct clrsos_native_frame *n = &r->native[i];
		r->frames[r->count++] = (struct bt_frame){
			.pc = n->pc,
			.sp = n->sp,
			.name = r->managed[i] ? r->managed[i] : n->name,
			.module = n->module,
			.managed = r->managed[i] != NULL,
		};
	}
	uint64_t last_sp = r->nnative ? r->native[r->nnative - 1].sp : 0;
	for (size_t i = 0; i < r->nunwound; i++) {
		const struct full_frame *u = &r->unwound[i];
		r->frames[r->count++] = (struct bt_frame){
			.pc = u->ip, .sp = u->sp, .name = u->name, .module = u->module,
			.managed = u->managed, .from_unwinder = true};
	}
	for (size_t i = 0; walked && !r->nunwound && i < r->walk.count; i++) {
		const struct clrsos_managed_frame *f = &r->walk.frames[i];
		if (f->frame || !f->name || f->sp <= last_sp)
			continue;
		r->frames[r->count++] = (struct bt_frame){
			.pc = f->ip, .sp = f->sp, .name = f->name, .managed = true, .from_runtime = true};
	}
	return clrsos_error_wrap(clrbt_sources(r, c.dac), "clrbt");
}

static void clrbt_render_json(const struct clrbt_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "osThreadId");
	clrsos_json_uint(&j, r->os_id);
	clrsos_json_key(&j, "frames");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		const struct bt_frame *f = &r->frames[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "pc");
		clrsos_json_address(&j, f->pc);
		clrsos_json_key(&j, "sp");
		clrsos_json_address(&j, f->sp);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, f->name);
		clrsos_json_key(&j, "managed");
		clrsos_json_bool(&j, f->managed);
		clrsos_json_key(&j, "module");
		clrsos_json_string(&j, f->from_runtime ? NULL : f->module);
		if (f->source_file) {
			clrsos_json_key(&j, "file");
			clrsos_json_string(&j, f->source_file);
			clrsos_json_key(&j, "line");
			clrsos_json_uint(&j, f->source_line);
		}
		if (f->from_runtime) {
			clrsos_json_key(&j, "fromRuntimeWalk");
			clrsos_json_bool(&j, true);
		}
		if (f->from_unwinder) {
			clrsos_json_key(&j, "fromUnwinder");
			clrsos_json_bool(&j, true);
		}
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void clrbt_render_text(const struct clrbt_result *r, struct clrsos_writer *out)
{
	clrsos_outf(out, "thread 0x%x:\n", r->os_id);
	for (size_t i = 0; i < r->count; i++) {
		const struct bt_frame *f = &r->frames[i];
		struct clrsos_name_buf mb, nb, sb;
		/* A managed frame's source as lldb prints a native one's: " at <file>:<line>". */
		char line[16] = "";
		if (f->source_file)
			snprintf(line, sizeof(line), ":%u", f->source_line);
		const char *at = f->source_file ? " at " : "";
		const char *file = f->source_file ? clrsos_safe_name(f->source_file, &sb) : "";
		if (f->from_runtime) {
			clrsos_outf(out, "  frame #%zu: 0x%016" PRIx64 " [managed] %s%s%s%s (the runtime's walk)\n", i,
				    f->pc, clrsos_safe_name(f->name, &nb), at, file, line);
			continue;
		}
		clrsos_outf(out, "  frame #%zu: 0x%016" PRIx64 " %s%s%s%s%s%s%s\n", i, f->pc,
			    f->managed ? "[managed] " : f->module ? clrsos_safe_name(f->module, &mb) : "",
			    f->managed || !f->module ? "" : "`", f->name ? clrsos_safe_name(f->name, &nb) : "???", at, file,
			    line, f->from_unwinder ? " (unwound by clrsos)" : "");
	}
}

struct clrsos_error *clrsos_cmd_clrbt(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				      const char *const *argv, struct clrsos_writer *out)
{
	struct clrbt_options o;
	struct clrsos_error *err = clrbt_parse(host, argc, argv, &o);
	if (err)
		return err;
	struct clrbt_result r;
	if (!(err = clrbt_compute(session, host, &o, &r))) {
		if (o.json)
			clrbt_render_json(&r, out);
		else
			clrbt_render_text(&r, out);
	}
	clrbt_result_deinit(&r);
	return err;
}

/* dso ------------------------------------------------------------------- */

/*
 * As SOS does it: every pointer-sized word of the thread's stack (and each
 * register) that holds the address where an object starts. A word is a
 * candidate only inside a segment's objects, and it counts only when the
 * heap's own index of that segment has an object starting there (never a
 * pointer into the middle of one, or into free space). Stale words of
 * frames already left are listed as SOS lists them; -precise lists instead
 * what the runtime itself reports for the stack (its GC reference walk).
 */

struct dso_row {
	uint64_t slot;       /* the stack slot (0 for a register) */
	const char *reg;     /* the register holding it, or NULL */
	uint64_t object;
	const char *type_name;
};

struct dso_options {
	bool json, verify, precise;
	uint64_t bounds[2];
	int nbounds;
};

struct dso_result {
	uint32_t os_id;
	uint64_t start, end;            /* the range scanned (not with -precise) */
	uint64_t extra_start, extra_end; /* a second range: the managed frames' stack, away from the SP */
	bool mid_gc;                    /* stopped in a GC: the heap walked all the same */
	struct dso_row *rows;
	size_t count, cap;
};

static struct clrsos_error *dso_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	struct dso_options *o = ctx;
	o->nbounds = index + 1;
	return clrsos_parse_address(host, arg, &o->bounds[index]);
}

static struct clrsos_error *dso_parse(const struct clrsos_host *host, int argc, const char *const *argv,
				      struct dso_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-verify", &o->verify, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-precise", &o->precise, .flags = CLRSOS_OPTION_NOCASE),
	};
	const struct clrsos_options spec = {"dso", table, CLRSOS_OPTION_COUNT(table), 2, dso_operand, o};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (o->nbounds == 1)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dso: give both ends of the stack range (dso <top> <bottom>), or none");
	if (o->nbounds == 2 && o->precise)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dso: -precise lists what the runtime reports for the whole stack: it takes no range");
	return NULL;
}

static struct clrsos_error *dso_add(struct dso_result *r, struct dso_row row)
{
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct dso_row *rows = realloc(r->rows, cap * sizeof(*rows));
		if (!rows)
			return &clrsos_error_no_memory;
		r->rows = rows;
		r->cap = cap;
	}
	r->rows[r->count++] = row;
	return NULL;
}

/* The type of the object starting exactly at value, or NULL when none starts there. */
static struct clrsos_error *dso_object_at(struct clrsos_root_cmd *c, bool verify, uint64_t value,
					  const struct clrsos_type **ret)
{
	*ret = NULL;
	if ((value & 7) || !clrsos_heap_segment_of(c->heap, value))
		return NULL;
	uint64_t start = 0;
	const struct clrsos_type *t = NULL;
	struct clrsos_error *e = clrsos_heap_find_object(c->heap, value, &start, &t);
	if (e) {
		if (clrsos_error_is_no_memory(e))
			return e;
		clrsos_error_destroy(e);
		return NULL;
	}
	if (start != value || !t || t->is_free)
		return NULL;
	if (verify) {
		struct clrsos_verify_result v;
		memset(&v, 0, sizeof(v));
		e = clrsos_verify_object(c->heap, value, &v);
		bool bad = e || v.error_count;
		clrsos_verify_result_deinit(&v);
		if (e && clrsos_error_is_no_memory(e))
			return e;
		clrsos_error_destroy(e);
		if (bad)
			return NULL;
	}
	*ret = t;
	return NULL;
}

static struct clrsos_error *dso_scan(struct clrsos_root_cmd *c, struct clrsos_watch *watch, bool verify,
				     uint64_t start, uint64_t end, struct dso_result *r)
{
	enum { CHUNK = 64 * 1024 };
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = NULL;
	for (uint64_t at = start; at < end && !err;) {
		if ((err = clrsos_watch_tick(watch)))
			break;
		size_t want = end - at < CHUNK ? (size_t)(end - at) : CHUNK, got = 0;
		struct clrsos_error *e = clrsos_target_read_partial(c->target, at, buf, want, &got);
		if (e) {
			clrsos_error_destroy(e);
			break; /* the stack's memory ends here */
		}
		got &= ~(size_t)7;
		if (!got)
			break;
		for (size_t i = 0; i < got && !err; i += 8) {
			uint64_t value;
			memcpy(&value, buf + i, 8);
			const struct clrsos_type *t;
			if ((err = dso_object_at(c, verify, value, &t)) || !t)
				continue;
			err = dso_add(r, (struct dso_row){.slot = at + i, .object = value,
							  .type_name = clrsos_types_name(c->types, t)});
		}
		if (got < want)
			break;
		at += got;
	}
	free(buf);
	return err;
}

/* Where to scan: SOS's way on Linux, from the stack pointer to just past the outermost managed frame. */
static void dso_range(struct clrsos_root_cmd *c, uint32_t os_id, uint64_t sp, struct dso_result *r)
{
	enum { GAP = 0x400000, PAST = 0x2000, NEAR = 0xffff };
	struct clrsos_managed_stack stack;
	uint64_t lo = 0, hi = 0;
	struct clrsos_error *e = clrsos_managed_stack_init(&stack, c->dac, os_id, 0);
	if (!e) {
		for (size_t i = 0; i < stack.count; i++) {
			uint64_t fsp = stack.frames[i].sp;
			if (!fsp)
				continue;
			if (!lo || fsp < lo)
				lo = fsp;
			if (fsp > hi)
				hi = fsp;
		}
		clrsos_managed_stack_deinit(&stack);
	}
	clrsos_error_destroy(e);
	r->start = sp & ~(uint64_t)7;
	if (!lo) {
		r->end = sp + NEAR;
	} else if (sp > hi + PAST || (sp < lo && lo - sp > GAP)) {
		/* An alternate signal stack: around the SP, and the managed frames' own range too. */
		r->end = sp + NEAR;
		r->extra_start = lo & ~(uint64_t)7;
		r->extra_end = hi + PAST;
	} else {
		r->start = (sp < lo ? sp : lo) & ~(uint64_t)7;
		r->end = hi + PAST;
	}
}

static int dso_row_cmp(const void *a, const void *b)
{
	const struct dso_row *x = a, *y = b;
	if (!x->reg != !y->reg)
		return x->reg ? -1 : 1; /* registers first, as SOS lists them */
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static struct clrsos_error *dso_precise(struct clrsos_root_cmd *c, uint32_t os_id, struct dso_result *r)
{
	struct clrsos_stack_reference *refs = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_stack_references_read(c->dac, os_id, &refs, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t object = refs[i].object;
		if (!object)
			continue;
		if (refs[i].interior) {
			struct clrsos_error *e = clrsos_heap_find_object(c->heap, object, &object, NULL);
			if (clrsos_error_is_no_memory(e)) {
				err = e;
				break;
			}
			if (e) {
				clrsos_error_destroy(e);
				continue;
			}
		}
		const struct clrsos_type *t;
		if ((err = clrsos_root_cmd_type_of(c, object, &t, NULL)) || !t)
			continue;
		err = dso_add(r, (struct dso_row){
			.slot = refs[i].address,
			.reg = refs[i].address ? NULL : clrsos_register_name(refs[i].reg),
			.object = object,
			.type_name = clrsos_types_name(c->types, t),
		});
	}
	free(refs);
	return err;
}

static struct clrsos_error *dso_scan_all(struct clrsos_root_cmd *c, struct clrsos_session *session,
					 const struct dso_options *o, struct dso_result *r);

static struct clrsos_error *dso_compute(struct clrsos_session *session, const struct clrsos_host *host,
					const struct dso_options *o, struct dso_result *r)
{
	memset(r, 0, sizeof(*r));
	r->os_id = host->selected_thread;
	if (!host->selected_thread)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dso: no thread is selected: use 'thread select <n>'");
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	if (o->precise)
		return dso_precise(&c, r->os_id, r);
	/* Mid-GC the scan is still made, as SOS makes it, and says what it rests on. */
	struct clrsos_error *walkable = clrsos_heap_check_walkable(c.heap);
	r->mid_gc = walkable != NULL;
	clrsos_error_destroy(walkable);
	if (r->mid_gc)
		clrsos_heap_set_ignore_gc_state(c.heap, true);
	err = dso_scan_all(&c, session, o, r);
	if (r->mid_gc)
		clrsos_heap_set_ignore_gc_state(c.heap, false);
	return err;
}

static struct clrsos_error *dso_scan_all(struct clrsos_root_cmd *c, struct clrsos_session *session,
					 const struct dso_options *o, struct dso_result *r)
{
	struct clrsos_error *err;
	struct clrsos_regs regs;
	if ((err = clrsos_target_registers(c->target, r->os_id, &regs)))
		return clrsos_error_wrap(err, "dso: the selected thread's registers");
	if (o->nbounds == 2) {
		uint64_t a = o->bounds[0], b = o->bounds[1];
		r->start = (a < b ? a : b) & ~(uint64_t)7;
		r->end = a < b ? b : a;
	} else {
		dso_range(c, r->os_id, regs.rsp, r);
	}
	/* SOS's order of the registers it looks in. */
	static const enum clrsos_x64_gpr_index order[] = {
		CLRSOS_RAX, CLRSOS_RBX, CLRSOS_RCX, CLRSOS_RDX, CLRSOS_RSI, CLRSOS_RDI, CLRSOS_RBP, CLRSOS_RSP,
		CLRSOS_R8,  CLRSOS_R9,  CLRSOS_R10, CLRSOS_R11, CLRSOS_R12, CLRSOS_R13, CLRSOS_R14, CLRSOS_R15,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && !err; i++) {
		const struct clrsos_type *t;
		uint64_t value = clrsos_regs_gpr(&regs, order[i]);
		if ((err = dso_object_at(c, o->verify, value, &t)) || !t)
			continue;
		err = dso_add(r, (struct dso_row){.reg = clrsos_x64_gprs[order[i]].name, .object = value,
						  .type_name = clrsos_types_name(c->types, t)});
	}
	if (!err)
		err = dso_scan(c, clrsos_session_watch(session), o->verify, r->start, r->end, r);
	if (!err && r->extra_end)
		err = dso_scan(c, clrsos_session_watch(session), o->verify, r->extra_start, r->extra_end, r);
	if (!err && r->count)
		qsort(r->rows, r->count, sizeof(*r->rows), dso_row_cmp);
	return err;
}

static void dso_render_json(const struct dso_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "osThreadId");
	clrsos_json_uint(&j, r->os_id);
	clrsos_json_key(&j, "warnings");
	clrsos_json_array_begin(&j);
	if (r->mid_gc)
		clrsos_json_string(&j, "the process is stopped in the middle of a garbage collection: objects are found "
				       "by a walk of the heap that may be wrong until the GC has finished");
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "scanned");
	clrsos_json_array_begin(&j);
	for (int k = 0; k < 2; k++) {
		uint64_t a = k ? r->extra_start : r->start, b = k ? r->extra_end : r->end;
		if (!b)
			continue;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "start");
		clrsos_json_address(&j, a);
		clrsos_json_key(&j, "end");
		clrsos_json_address(&j, b);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "objects");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "slot");
		clrsos_json_address(&j, r->rows[i].slot);
		clrsos_json_key(&j, "register");
		clrsos_json_string(&j, r->rows[i].reg);
		clrsos_json_key(&j, "object");
		clrsos_json_address(&j, r->rows[i].object);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, r->rows[i].type_name);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void dso_render_text(const struct dso_result *r, struct clrsos_writer *out)
{
	clrsos_outf(out, "OS Thread Id: 0x%x\n", r->os_id);
	if (r->extra_end)
		clrsos_outf(out,
			    "Note: the thread appears to be on an alternate signal stack; also scanning its managed "
			    "frames' stack %" PRIx64 "-%" PRIx64 ".\n",
			    r->extra_start, r->extra_end);
	if (r->mid_gc)
		clrsos_outf(out, "Warning: the process is stopped in the middle of a garbage collection: objects are "
				 "found by a walk of the heap that may be wrong until the GC has finished\n");
	clrsos_outf(out, "%16s %16s %s\n", "SP/REG", "Object", "Name");
	for (size_t i = 0; i < r->count; i++) {
		const struct dso_row *row = &r->rows[i];
		struct clrsos_name_buf nb;
		if (row->reg)
			clrsos_outf(out, "%16s %016" PRIx64 " %s\n", row->reg, row->object,
				    clrsos_safe_name(row->type_name, &nb));
		else
			clrsos_outf(out, "%016" PRIx64 " %016" PRIx64 " %s\n", row->slot, row->object,
				    clrsos_safe_name(row->type_name, &nb));
	}
}

struct clrsos_error *clrsos_cmd_dso(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				    const char *const *argv, struct clrsos_writer *out)
{
	struct dso_options o;
	struct clrsos_error *err = dso_parse(host, argc, argv, &o);
	if (err)
		return err;
	struct dso_result r;
	if (!(err = dso_compute(session, host, &o, &r))) {
		if (o.json)
			dso_render_json(&r, out);
		else
			dso_render_text(&r, out);
	}
	free(r.rows);
	return err;
}
