/* clrthreads: the runtime's managed threads. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/threads.h"
#include "commands.h"
#include "rootcmds.h"

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv, bool *json)
{
	*json = false;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", json),
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
	uint64_t exception;
	const char *exception_type;
};

struct clrthreads_result {
	struct clrsos_managed_thread_list list;
	struct thread_row *rows; /* list.count of them */
};

static struct clrsos_error *compute(struct clrsos_session *session, struct clrthreads_result *r)
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

static void render_json(const struct clrthreads_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "threadCount");
	clrsos_json_int(&j, r->list.thread_count);
	clrsos_json_key(&j, "threads");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->list.count; i++) {
		const struct clrsos_managed_thread *t = r->rows[i].thread;
		clrsos_json_object_begin(&j);
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
		clrsos_json_key(&j, "lockCount");
		clrsos_json_int(&j, (int32_t)t->lock_count);
		clrsos_json_key(&j, "finalizer");
		clrsos_json_bool(&j, t->is_finalizer);
		clrsos_json_key(&j, "exception");
		clrsos_json_string(&j, r->rows[i].exception_type);
		clrsos_json_key(&j, "exceptionObject");
		clrsos_json_address(&j, r->rows[i].exception);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void render_text(const struct clrthreads_result *r, struct clrsos_writer *out)
{
	const struct clrsos_managed_thread_list *l = &r->list;
	clrsos_outf(out, "ThreadCount:      %d\nUnstartedThread:  %d\nBackgroundThread: %d\n"
		    "PendingThread:    %d\nDeadThread:       %d\n",
		    l->thread_count, l->unstarted_count, l->background_count, l->pending_count, l->dead_count);
	clrsos_outf(out, "%5s %8s %16s %8s %-11s %-33s %5s %s\n", "ID", "OSID", "ThreadOBJ", "State", "GC Mode",
		    "GC Alloc Context", "Lock", "Exception");
	for (size_t i = 0; i < l->count; i++) {
		const struct thread_row *row = &r->rows[i];
		const struct clrsos_managed_thread *t = row->thread;
		char ctxs[40];
		snprintf(ctxs, sizeof(ctxs), "%012" PRIx64 ":%012" PRIx64, t->alloc_context, t->alloc_limit);
		char ex[sizeof(struct clrsos_name_buf) + 32] = "";
		struct clrsos_name_buf nb;
		if (row->exception_type)
			snprintf(ex, sizeof(ex), "%s %012" PRIx64, clrsos_safe_name(row->exception_type, &nb),
				 row->exception);
		clrsos_outf(out, "%5u %8x %016" PRIx64 " %8x %-11s %-33s %5d %s%s\n", t->managed_id, t->os_id, t->address,
			    t->state, t->cooperative ? "Cooperative" : "Preemptive", ctxs, (int32_t)t->lock_count, ex,
			    t->is_finalizer ? " (Finalizer)" : t->is_gc ? " (GC)" : "");
	}
}

struct clrsos_error *clrsos_cmd_clrthreads(struct clrsos_session *session, const struct clrsos_host *host,
					   int argc, const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = parse(host, argc, argv, &json);
	if (err)
		return err;
	struct clrthreads_result r;
	if (!(err = compute(session, &r))) {
		if (json)
			render_json(&r, out);
		else
			render_text(&r, out);
	}
	free(r.rows);
	clrsos_managed_thread_list_deinit(&r.list);
	return err;
}
