/* clrthreads: the runtime's managed threads. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/threads.h"
#include "commands.h"
#include "rootcmds.h"

struct clrthreads_options {
	bool json, live, managed_exception;
};

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct clrthreads_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-live", &o->live),
		CLRSOS_FLAG("-managedexception", &o->managed_exception),
	};
	const struct clrsos_options spec = {
		.command = "clrthreads",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}

/* A thread and its current exception (exception 0 and type_name NULL when none). */
struct thread_row {
	const struct clrsos_managed_thread *thread;
	uint32_t debugger_index; /* the debugger's number for its OS thread, 0 if none */
	uint64_t exception;
	const char *exception_type;
};

struct clrthreads_result {
	struct clrsos_managed_thread_list list;
	struct thread_row *rows; /* list.count of them */
};

static struct clrsos_error *compute(struct clrsos_session *session, const struct clrsos_host *host,
				    struct clrthreads_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err || (err = clrsos_managed_thread_list_init(&r->list, c.dac)))
		return err;
	if (!(r->rows = calloc(r->list.count ? r->list.count : 1, sizeof(*r->rows))))
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < r->list.count && !err; i++) {
		const struct clrsos_managed_thread *t = &r->list.items[i];
		struct thread_row *row = &r->rows[i];
		row->thread = t;
		if (host->thread_index && t->os_id)
			row->debugger_index = host->thread_index(host->ctx, t->os_id);
		if (!t->last_thrown_handle)
			continue;
		uint64_t exception = 0;
		struct clrsos_error *e = clrsos_target_read_u64(c.target, t->last_thrown_handle, &exception);
		if (e) {
			clrsos_error_destroy(e);
			continue;
		}
		row->exception = exception;
		const struct clrsos_type *et = NULL;
		if (exception && !(err = clrsos_root_cmd_type_of(&c, exception, &et, NULL)) && et)
			row->exception_type = clrsos_types_name(c.types, et);
	}
	return err;
}

static void render_json(const struct clrthreads_result *r, bool live, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "threadCount");
	clrsos_json_int(&j, r->list.thread_count);
	clrsos_json_key(&j, "hostedRuntime");
	clrsos_json_bool(&j, r->list.host_config != 0);
	clrsos_json_key(&j, "threads");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->list.count; i++) {
		const struct clrsos_managed_thread *t = r->rows[i].thread;
		if (live && !r->rows[i].debugger_index)
			continue;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "debuggerId");
		if (r->rows[i].debugger_index)
			clrsos_json_uint(&j, r->rows[i].debugger_index);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "managedId");
		clrsos_json_uint(&j, t->managed_id);
		clrsos_json_key(&j, "osId");
		clrsos_json_uint(&j, t->os_id);
		clrsos_json_key(&j, "thread");
		clrsos_json_address(&j, t->address);
		clrsos_json_key(&j, "state");
		clrsos_json_uint(&j, t->state);
		clrsos_json_key(&j, "gcMode");
		clrsos_json_string(&j, t->cooperative ? "Cooperative" : "Preemptive");
		clrsos_json_key(&j, "allocContext");
		clrsos_json_address(&j, t->alloc_context);
		clrsos_json_key(&j, "allocLimit");
		clrsos_json_address(&j, t->alloc_limit);
		clrsos_json_key(&j, "domain");
		clrsos_json_address(&j, t->domain);
		clrsos_json_key(&j, "lockCount");
		clrsos_json_int(&j, (int32_t)t->lock_count);
		clrsos_json_key(&j, "finalizer");
		clrsos_json_bool(&j, t->is_finalizer);
		clrsos_json_key(&j, "exception");
		clrsos_json_string(&j, r->rows[i].exception_type);
		clrsos_json_key(&j, "exceptionObject");
		clrsos_json_address(&j, r->rows[i].exception);
		clrsos_json_key(&j, "nestedExceptions");
		clrsos_json_bool(&j, r->rows[i].exception_type && t->nested_exceptions);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

enum {
	THREAD_STATE_TP_WORKER = 0x01000000,       /* a thread pool worker */
	THREAD_STATE_COMPLETION_PORT = 0x08000000, /* an I/O completion port thread */
};

/*
 * SOS's table: DBG (the debugger's thread number, XXXX for a thread the
 * debugger does not have), ID, OSID, ThreadOBJ, State, GC Mode, GC Alloc
 * Context, Domain, Lock Count, Apt (Ukn off Windows), Exception.
 */
static void render_text(const struct clrthreads_result *r, bool live, struct clrsos_writer *out)
{
	const struct clrsos_managed_thread_list *l = &r->list;
	clrsos_outf(out, "ThreadCount:      %d\nUnstartedThread:  %d\nBackgroundThread: %d\n"
		    "PendingThread:    %d\nDeadThread:       %d\n",
		    l->thread_count, l->unstarted_count, l->background_count, l->pending_count, l->dead_count);
	if (l->host_config)
		clrsos_outf(out, "Hosted Runtime:   yes (flags 0x%x)\n", l->host_config);
	else
		clrsos_out(out, "Hosted Runtime:   no\n");
	clrsos_outf(out, "%108s%s\n", "", "Lock");
	clrsos_outf(out, "%4s %4s %8s %-16s %8s %-11s %-33s %-16s %5s %-3s %s\n", "DBG", "ID", "OSID", "ThreadOBJ",
		    "State", "GC Mode", "GC Alloc Context", "Domain", "Count", "Apt", "Exception");
	for (size_t i = 0; i < l->count; i++) {
		const struct thread_row *row = &r->rows[i];
		const struct clrsos_managed_thread *t = row->thread;
		if (live && !row->debugger_index)
			continue;
		char dbg[16], ctxs[40];
		if (row->debugger_index)
			snprintf(dbg, sizeof(dbg), "%u", row->debugger_index);
		else
			snprintf(dbg, sizeof(dbg), "XXXX");
		snprintf(ctxs, sizeof(ctxs), "%016" PRIx64 ":%016" PRIx64, t->alloc_context, t->alloc_limit);
		clrsos_outf(out, "%4s %4u %8x %016" PRIx64 " %8x %-11s %-33s %016" PRIx64 " %5d %-3s ", dbg,
			    t->managed_id, t->os_id, t->address, t->state, t->cooperative ? "Cooperative" : "Preemptive",
			    ctxs, t->domain, (int32_t)t->lock_count, "Ukn");
		if (t->is_finalizer)
			clrsos_out(out, "(Finalizer) ");
		if (t->is_gc)
			clrsos_out(out, "(GC) ");
		if (t->state & THREAD_STATE_TP_WORKER)
			clrsos_out(out, "(Threadpool Worker) ");
		else if (t->state & THREAD_STATE_COMPLETION_PORT)
			clrsos_out(out, "(Threadpool Completion Port) ");
		if (row->exception_type) {
			clrsos_out_name(out, row->exception_type);
			clrsos_outf(out, " %016" PRIx64 "%s", row->exception,
				    t->nested_exceptions ? " (nested exceptions)" : "");
		}
		clrsos_out(out, "\n");
	}
}

/*
 * -managedexception: select the first thread with a current managed
 * exception in the debugger (for pe), as SOS does.
 */
static struct clrsos_error *select_exception_thread(const struct clrthreads_result *r, const struct clrsos_host *host,
						    bool json, struct clrsos_writer *out)
{
	const struct clrsos_managed_thread *found = NULL;
	for (size_t i = 0; i < r->list.count && !found; i++)
		if (r->rows[i].exception && r->rows[i].debugger_index)
			found = r->rows[i].thread;
	if (found) {
		if (!host->select_thread)
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "clrthreads -managedexception: this debugger cannot select a thread");
		struct clrsos_error *err = host->select_thread(host->ctx, found->os_id);
		if (err)
			return clrsos_error_wrap(err, "clrthreads -managedexception");
	}
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "selectedOsId");
		if (found)
			clrsos_json_uint(&j, found->os_id);
		else
			clrsos_json_null(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (found) {
		clrsos_outf(out, "Found managed exception on thread %x\n", found->os_id);
	} else {
		clrsos_out(out, "No thread has a managed exception\n");
	}
	return NULL;
}

struct clrsos_error *clrsos_cmd_clrthreads(struct clrsos_session *session, const struct clrsos_host *host,
					   int argc, const char *const *argv, struct clrsos_writer *out)
{
	struct clrthreads_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	if (o.live && !host->thread_index)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "clrthreads -live: this debugger cannot say which threads it has");
	struct clrthreads_result r;
	if (!(err = compute(session, host, &r))) {
		if (o.managed_exception)
			err = select_exception_thread(&r, host, o.json, out);
		else if (o.json)
			render_json(&r, o.live, out);
		else
			render_text(&r, o.live, out);
	}
	free(r.rows);
	clrsos_managed_thread_list_deinit(&r.list);
	return err;
}
