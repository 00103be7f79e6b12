/*
 * gcinfo <MethodDesc or code address>: SOS's GCInfo, a method's GC info
 * decoded (header, then which registers and stack slots hold references,
 * offset by offset); threadstate <value>: SOS's ThreadState, the names
 * of a Thread's state bits.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/gcinfo.h"
#include "session/session.h"
#include "commands.h"
#include "fieldtable.h"

static const char *const generics_kind[] = {"", "GENERIC_PARAM_CONTEXT_METHODHANDLE",
					    "GENERIC_PARAM_CONTEXT_METHODDESC", "GENERIC_PARAM_CONTEXT_THIS"};

static const char *return_kind_name(uint32_t k)
{
	static const char *const names[16] = {
		[0] = "Scalar", [1] = "Object", [2] = "ByRef", [3] = "UNSET",
		[4] = "{Scalar, Object}", [5] = "{Object, Object}", [6] = "{ByRef, Object}",
		[8] = "{Scalar, ByRef}", [9] = "{Object, ByRef}", [10] = "{ByRef, ByRef}",
	};
	return k < 16 && names[k] ? names[k] : "!Impossible!";
}

static const char *base_name(const struct clrsos_gcinfo *gi, uint8_t base)
{
	switch (base) {
	case CLRSOS_GCINFO_CALLER_SP:
		return "caller.sp";
	case CLRSOS_GCINFO_SP:
		return "sp";
	case CLRSOS_GCINFO_FRAME_REG:
		return clrsos_gcinfo_register_name(gi->has_frame_register ? gi->frame_register : 99);
	default:
		return "???";
	}
}

/* " +rax(interior)", " -sp+20", " +caller.sp-18(pinned)" as SOS prints a slot. */
static void out_slot(struct clrsos_writer *out, const struct clrsos_gcinfo *gi, uint32_t index, bool live)
{
	const struct clrsos_gcinfo_slot *s = &gi->slots[index];
	char delta = live ? '+' : '-';
	if (s->is_register) {
		clrsos_outf(out, " %c%s", delta, clrsos_gcinfo_register_name(s->reg));
	} else {
		int64_t off = s->offset;
		clrsos_outf(out, " %c%s%c%" PRIx64, delta, base_name(gi, s->base), off < 0 ? '-' : '+',
			    (uint64_t)(off < 0 ? -off : off));
	}
	if (s->flags & CLRSOS_GCINFO_PINNED)
		clrsos_out(out, "(pinned)");
	if (s->flags & CLRSOS_GCINFO_INTERIOR)
		clrsos_out(out, "(interior)");
}

static void out_caller_sp(struct clrsos_writer *out, const char *base, int32_t v)
{
	int64_t o = v;
	clrsos_outf(out, "%s%c%" PRIx64, base, o < 0 ? '-' : '+', (uint64_t)(o < 0 ? -o : o));
}

/* The line ended, if one is open (a line ends when the next starts, or where the rendering stops). */
static void close_line(struct clrsos_gcinfo_render *st, struct clrsos_writer *out)
{
	if (st->open)
		clrsos_out(out, "\n");
	st->open = false;
}

void clrsos_render_gcinfo_transitions(const struct clrsos_gcinfo *gi, const struct clrsos_gcinfo_event *ev, size_t n,
				      struct clrsos_gcinfo_render *st, uint64_t through, struct clrsos_writer *out)
{
	if (!st->started) {
		st->last = UINT32_MAX;
		st->started = true;
	}
	for (; st->next < n; st->next++) {
		const struct clrsos_gcinfo_event *e = &ev[st->next];
		/* Where a new line starts: a line of a later offset waits ("Untracked:" is of none). */
		bool new_line = e->kind == CLRSOS_GCINFO_INTERRUPTIBLE || e->kind == CLRSOS_GCINFO_SAFEPOINT ||
				(!(st->safepoint && !e->live) && st->last != e->offset &&
				 !(e->kind == CLRSOS_GCINFO_UNTRACKED && !st->printed));
		if (new_line && e->offset > through)
			break;
		switch (e->kind) {
		case CLRSOS_GCINFO_INTERRUPTIBLE:
			if (st->printed) {
				close_line(st, out);
				st->printed = st->safepoint = false;
			}
			clrsos_outf(out, "%08x%s interruptible\n", e->offset, e->live ? "" : " not");
			st->last = UINT32_MAX;
			break;
		case CLRSOS_GCINFO_SAFEPOINT:
			close_line(st, out);
			clrsos_outf(out, "%08x is a safepoint: ", e->offset);
			st->last = e->offset;
			st->printed = st->safepoint = st->open = true;
			break;
		case CLRSOS_GCINFO_UNTRACKED:
		case CLRSOS_GCINFO_SLOT:
			if (st->safepoint && !e->live)
				break; /* SOS prints no deaths at safepoints */
			if (st->last != e->offset) {
				close_line(st, out);
				if (e->kind == CLRSOS_GCINFO_UNTRACKED && !st->printed)
					clrsos_out(out, "Untracked:");
				else
					clrsos_outf(out, "%08x", e->offset);
				st->last = e->offset;
			}
			out_slot(out, gi, e->slot, e->live);
			st->printed = st->open = true;
			break;
		}
	}
	close_line(st, out);
}

static void render_text(const struct clrsos_method_gcinfo *m, const struct clrsos_gcinfo_event *ev, size_t n,
			struct clrsos_writer *out)
{
	clrsos_outf(out, "entry point %016" PRIX64 "\n", m->method_start);
	clrsos_out(out, m->jit_type == 2 ? "preJIT generated code\n" : "Normal JIT generated code\n");
	clrsos_outf(out, "GC info %016" PRIX64 "\n", m->gc_info);
	clrsos_out(out, "Pointer table:\n");
	clrsos_render_gcinfo_table(m, ev, n, out);
}

void clrsos_render_gcinfo_table(const struct clrsos_method_gcinfo *m, const struct clrsos_gcinfo_event *ev, size_t n,
				struct clrsos_writer *out)
{
	struct clrsos_gcinfo_render st = {0};
	clrsos_render_gcinfo_header(m, out);
	clrsos_render_gcinfo_transitions(&m->info, ev, n, &st, UINT64_MAX, out);
}

void clrsos_render_gcinfo_header(const struct clrsos_method_gcinfo *m, struct clrsos_writer *out)
{
	const struct clrsos_gcinfo *gi = &m->info;
	if (gi->generics || !gi->has_gs_cookie)
		clrsos_outf(out, "Prolog size: %u\n", gi->prolog_size);
	clrsos_out(out, "GS cookie: ");
	if (gi->has_gs_cookie) {
		out_caller_sp(out, "caller.sp", gi->gs_cookie);
		clrsos_outf(out, "\nGS cookie valid range: [%x;%x)\n", gi->valid_range_start, gi->valid_range_end);
	} else {
		clrsos_out(out, "<none>\n");
	}
	clrsos_out(out, "PSPSym: ");
	if (gi->has_psp_sym)
		out_caller_sp(out, "initial.sp", gi->psp_sym);
	else
		clrsos_out(out, "<none>");
	clrsos_out(out, "\nGenerics inst context: ");
	if (gi->generics)
		out_caller_sp(out, "caller.sp", gi->generics_context);
	else
		clrsos_out(out, "<none>");
	clrsos_out(out, "\nPSP slot: ");
	if (gi->has_psp_sym)
		out_caller_sp(out, "caller.sp", gi->psp_sym);
	else
		clrsos_out(out, "<none>");
	clrsos_out(out, "\nGenericInst slot: ");
	if (gi->generics) {
		out_caller_sp(out, "caller.sp", gi->generics_context);
		clrsos_outf(out, " (%s)\n", generics_kind[gi->generics & 3]);
	} else {
		clrsos_out(out, "<none>\n");
	}
	clrsos_outf(out, "Varargs: %u\n", gi->varargs ? 1u : 0u);
	clrsos_outf(out, "Frame pointer: %s\n",
		    gi->has_frame_register ? clrsos_gcinfo_register_name(gi->frame_register) : "<none>");
	clrsos_outf(out, "Wants Report Only Leaf: %u\n", gi->wants_report_only_leaf ? 1u : 0u);
	clrsos_outf(out, "Size of parameter area: %x\n", gi->stack_parameter_area);
	if (gi->has_return_kind)
		clrsos_outf(out, "Return Kind: %s\n", return_kind_name(gi->return_kind));
	clrsos_outf(out, "Code size: %x\n", gi->code_length);
}

static void json_slot_offset(struct clrsos_json *j, const char *key, bool have, int32_t v)
{
	clrsos_json_key(j, key);
	if (have)
		clrsos_json_int(j, v);
	else
		clrsos_json_null(j);
}

static void render_json(const struct clrsos_method_gcinfo *m, const struct clrsos_gcinfo_event *ev, size_t n,
			struct clrsos_writer *out)
{
	const struct clrsos_gcinfo *gi = &m->info;
	static const char *const bases[] = {"caller.sp", "sp", "frame"};
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "methodDesc");
	clrsos_json_address(&j, m->method_desc);
	clrsos_json_key(&j, "entryPoint");
	clrsos_json_address(&j, m->method_start);
	clrsos_json_key(&j, "methodSize");
	clrsos_json_uint(&j, m->method_size);
	clrsos_json_key(&j, "jitType");
	clrsos_json_string(&j, m->jit_type == 1 ? "jit" : m->jit_type == 2 ? "prejit" : "unknown");
	clrsos_json_key(&j, "gcInfo");
	clrsos_json_address(&j, m->gc_info);
	clrsos_json_key(&j, "gcInfoVersion");
	clrsos_json_uint(&j, gi->version);
	clrsos_json_key(&j, "gcInfoBits");
	clrsos_json_uint(&j, gi->bits);
	clrsos_json_key(&j, "slimHeader");
	clrsos_json_bool(&j, gi->slim_header);
	clrsos_json_key(&j, "codeLength");
	clrsos_json_uint(&j, gi->code_length);
	clrsos_json_key(&j, "prologSize");
	clrsos_json_uint(&j, gi->prolog_size);
	json_slot_offset(&j, "gsCookie", gi->has_gs_cookie, gi->gs_cookie);
	json_slot_offset(&j, "pspSym", gi->has_psp_sym, gi->psp_sym);
	json_slot_offset(&j, "genericsContext", gi->generics != 0, gi->generics_context);
	clrsos_json_key(&j, "genericsContextKind");
	if (gi->generics)
		clrsos_json_string(&j, generics_kind[gi->generics & 3]);
	else
		clrsos_json_null(&j);
	json_slot_offset(&j, "reversePInvokeFrame", gi->has_reverse_pinvoke, gi->reverse_pinvoke);
	clrsos_json_key(&j, "varargs");
	clrsos_json_bool(&j, gi->varargs);
	clrsos_json_key(&j, "framePointer");
	if (gi->has_frame_register)
		clrsos_json_string(&j, clrsos_gcinfo_register_name(gi->frame_register));
	else
		clrsos_json_null(&j);
	clrsos_json_key(&j, "wantsReportOnlyLeaf");
	clrsos_json_bool(&j, gi->wants_report_only_leaf);
	clrsos_json_key(&j, "parameterArea");
	clrsos_json_uint(&j, gi->stack_parameter_area);
	clrsos_json_key(&j, "returnKind");
	if (gi->has_return_kind)
		clrsos_json_string(&j, return_kind_name(gi->return_kind));
	else
		clrsos_json_null(&j);
	clrsos_json_key(&j, "safepoints");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < gi->nsafepoints; i++)
		clrsos_json_uint(&j, gi->safepoints[i]);
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "interruptibleRanges");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < gi->nranges; i++) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "start");
		clrsos_json_uint(&j, gi->ranges[i].start);
		clrsos_json_key(&j, "stop");
		clrsos_json_uint(&j, gi->ranges[i].stop);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "slots");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < gi->nslots; i++) {
		const struct clrsos_gcinfo_slot *s = &gi->slots[i];
		clrsos_json_object_begin(&j);
		if (s->is_register) {
			clrsos_json_key(&j, "register");
			clrsos_json_string(&j, clrsos_gcinfo_register_name(s->reg));
		} else {
			clrsos_json_key(&j, "base");
			clrsos_json_string(&j, s->base < 3 ? bases[s->base] : "???");
			clrsos_json_key(&j, "offset");
			clrsos_json_int(&j, s->offset);
		}
		clrsos_json_key(&j, "interior");
		clrsos_json_bool(&j, s->flags & CLRSOS_GCINFO_INTERIOR);
		clrsos_json_key(&j, "pinned");
		clrsos_json_bool(&j, s->flags & CLRSOS_GCINFO_PINNED);
		clrsos_json_key(&j, "untracked");
		clrsos_json_bool(&j, s->untracked);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "transitions");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		const struct clrsos_gcinfo_event *e = &ev[i];
		if (e->kind != CLRSOS_GCINFO_SLOT)
			continue;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "offset");
		clrsos_json_uint(&j, e->offset);
		clrsos_json_key(&j, "slot");
		clrsos_json_uint(&j, e->slot);
		clrsos_json_key(&j, "live");
		clrsos_json_bool(&j, e->live);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_gcinfo(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_address_operands a;
	struct clrsos_error *err =
		clrsos_parse_one_address("gcinfo", "a MethodDesc or code", host, argc, argv, NULL, NULL, &json, &a);
	if (err)
		return err;
	struct clrsos_dac *dac;
	if ((err = clrsos_session_dac(session, &dac)))
		return err;
	struct clrsos_method_gcinfo m;
	if ((err = clrsos_method_gcinfo_read(dac, clrsos_session_target(session), a.values[0], &m)))
		return err;
	struct clrsos_gcinfo_event *ev = NULL;
	size_t n = 0;
	if (!(err = clrsos_gcinfo_transitions(&m.info, &ev, &n))) {
		if (json)
			render_json(&m, ev, n, out);
		else
			render_text(&m, ev, n, out);
	}
	free(ev);
	clrsos_method_gcinfo_deinit(&m);
	return err;
}

/* Thread::ThreadState's bits, named as SOS's ThreadState prints them. */
static const char *const thread_state_names[32] = {
	"Thread Abort Requested", "GC Suspend Pending", "User Suspend Pending", "Debug Suspend Pending",
	"GC On Transitions", "Legal to Join", "Yield Requested", "Hijacked by the GC",
	"Blocking GC for Stack Overflow", "Background", "Unstarted", "Dead",
	"CLR Owns", "CoInitialized", "In Single Threaded Apartment", "In Multi Threaded Apartment",
	"Reported Dead", "Fully initialized", "Task Reset", "Sync Suspended",
	"Debug Will Sync", "Stack Crawl Needed", "Suspend Unstarted", "Aborted",
	"Thread Pool Worker Thread", "Interruptible", "Interrupted", "Completion Port Thread",
	"Abort Initiated", "Finalized", "Failed to Start", "Detached",
};

struct threadstate_options {
	bool have;
	uint64_t value;
	const char *text;
};

static struct clrsos_error *threadstate_operand(void *ctx, const struct clrsos_host *host, const char *arg,
						int index)
{
	struct threadstate_options *o = ctx;
	(void)index;
	o->text = arg;
	return clrsos_address_operand("threadstate", host, arg, &o->have, &o->value);
}

struct clrsos_error *clrsos_cmd_threadstate(struct clrsos_session *session, const struct clrsos_host *host,
					    int argc, const char *const *argv, struct clrsos_writer *out)
{
	(void)session;
	bool json = false;
	struct threadstate_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
	};
	const struct clrsos_options spec = {
		.command = "threadstate",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = threadstate_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (!o.have)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "threadstate needs a thread state value (clrthreads' State column)");
	if (o.value > UINT32_MAX)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not a thread state: states are 32 bits", o.value);
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "state");
		clrsos_json_uint(&j, o.value);
		clrsos_json_key(&j, "names");
		clrsos_json_array_begin(&j);
		for (unsigned i = 0; i < 32; i++)
			if (o.value & (1u << i))
				clrsos_json_string(&j, thread_state_names[i]);
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
		return NULL;
	}
	for (unsigned i = 0; i < 32; i++)
		if (o.value & (1u << i))
			clrsos_outf(out, "    %s\n", thread_state_names[i]);
	if (!o.value) {
		struct clrsos_name_buf nb;
		clrsos_outf(out, "    No thread states for '%s'\n", clrsos_safe_name(o.text, &nb));
	}
	return NULL;
}
