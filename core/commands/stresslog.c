/*
 * dumplog: the runtime's stress log to a file, in SOS's layout; histinit,
 * histstats, histroot, histobj, histobjfind, histclear: SOS's GC history
 * built from the log's GC messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/output.h"
#include "commands.h"
#include "commands/options.h"
#include "model/stresslog.h"
#include "session/session.h"
#include "target/target.h"

struct names_ctx {
	const struct clrsos_host *host;
};

static char *names_code(void *ctx, uint64_t address)
{
	struct names_ctx *c = ctx;
	if (!c->host || !c->host->symbolize)
		return NULL;
	char *module = NULL, *name = NULL;
	uint64_t offset = 0;
	c->host->symbolize(c->host->ctx, address, &module, &name, &offset);
	char *text = NULL;
	if (name) {
		size_t n = strlen(name) + (module ? strlen(module) : 0) + 32;
		text = malloc(n);
		if (text) {
			if (offset)
				snprintf(text, n, "%s%s%s+0x%" PRIx64, module ? module : "", module ? "!" : "", name,
					 offset);
			else
				snprintf(text, n, "%s%s%s", module ? module : "", module ? "!" : "", name);
		}
	}
	free(module);
	free(name);
	return text;
}

/* FILETIME (100 ns since 1601) as UTC HH:MM:SS. */
static void clock_time(uint64_t filetime, char buf[16])
{
	const uint64_t epoch_1601_to_1970 = 11644473600ull;
	uint64_t secs = filetime / 10000000u;
	if (secs < epoch_1601_to_1970) {
		snprintf(buf, 16, "BAD TIME");
		return;
	}
	time_t t = (time_t)(secs - epoch_1601_to_1970);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, 16, "BAD TIME");
		return;
	}
	snprintf(buf, 16, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static uint64_t newest_timestamp(const struct clrsos_stresslog *log)
{
	uint64_t last = 0;
	for (size_t t = 0; t < log->thread_count; t++)
		if (log->threads[t].msg_count && log->threads[t].msgs[0].timestamp > last)
			last = log->threads[t].msgs[0].timestamp;
	return last;
}

static void write_header(struct clrsos_writer *w, const struct clrsos_stresslog *log)
{
	uint64_t last = newest_timestamp(log);
	double total = last > log->start_timestamp ? clrsos_stresslog_seconds(log, last) : 0;
	/* A damaged clock (its frequency, say) gives any number: past a century is none. */
	if (!(total >= 0 && total < 3.2e9))
		total = 0;
	char start[16], end[16];
	clock_time(log->start_filetime, start);
	uint64_t ticks = (uint64_t)(total * 1.0e7);
	clock_time(log->start_filetime <= UINT64_MAX - ticks ? log->start_filetime + ticks : log->start_filetime, end);
	clrsos_outf(w,
		    "STRESS LOG:\n"
		    "    facilitiesToLog  = 0x%x\n"
		    "    levelToLog       = %u\n"
		    "    MaxLogSizePerThread = 0x%x (%u)\n"
		    "    MaxTotalLogSize = 0x%x (%u)\n"
		    "    CurrentTotalLogChunk = %d\n"
		    "    ThreadsWithLogs  = %zu\n",
		    log->facilities, log->level, log->max_size_per_thread, log->max_size_per_thread,
		    log->max_size_total, log->max_size_total, log->total_chunks, log->thread_count);
	clrsos_outf(w, "    Clock frequency  = %5.3f GHz\n", (double)log->tick_frequency / 1.0e9);
	clrsos_outf(w, "    Start time         %s\n", start);
	clrsos_outf(w, "    Last message time  %s\n", end);
	clrsos_outf(w, "    Total elapsed time %5.3f sec\n", total);
}

static struct clrsos_error *open_log(struct clrsos_session *session, uint64_t address, struct clrsos_dac **ret_dac,
				     struct clrsos_stresslog **ret)
{
	struct clrsos_dac *dac = NULL;
	struct clrsos_error *err = clrsos_session_dac(session, &dac);
	if (err) {
		if (address == 0)
			return err;
		clrsos_error_destroy(err);
		dac = NULL;
	}
	*ret_dac = dac;
	return clrsos_stresslog_read(clrsos_session_target(session), dac, address, clrsos_session_watch(session), ret);
}

struct clrsos_error *clrsos_cmd_dumplog(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint64_t address = 0;
	const char *file = NULL;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
		CLRSOS_ADDRESS("-addr", &address),
	};
	struct clrsos_error *err =
		clrsos_options_parse_operand("dumplog", table, CLRSOS_OPTION_COUNT(table), 1, host, argc, argv, &file);
	if (err)
		return err;
	if (!file)
		file = "StressLog.txt";
	struct clrsos_dac *dac = NULL;
	struct clrsos_stresslog *log = NULL;
	if ((err = open_log(session, address, &dac, &log)))
		return clrsos_error_wrap(err, "dumplog");
	struct clrsos_target *target = clrsos_session_target(session);
	int fd;
	if ((err = clrsos_file_open_write(file, &fd))) {
		clrsos_stresslog_destroy(log);
		return clrsos_error_wrap(err, "dumplog");
	}
	FILE *f = fdopen(fd, "w");
	struct clrsos_stresslog_formats formats = {0};
	struct clrsos_stresslog_cursor cursor = {0};
	uint64_t entries = 0;
	if (!f || (err = clrsos_stresslog_cursor_init(log, &cursor))) {
		if (f)
			fclose(f);
		else
			close(fd);
		clrsos_stresslog_destroy(log);
		return err ? err : &clrsos_error_no_memory;
	}
	if (!json)
		clrsos_outf(out,
			    "Attempting to dump Stress log to file '%s'\n"
			    "Writing to file: %s\n"
			    "Stress log in module 0x%016" PRIX64 "\n"
			    "Stress log address = 0x%016" PRIX64 "\n",
			    file, file, log->module_offset, log->address);
	struct clrsos_file_sink sink = {.f = f};
	struct clrsos_writer fw = {clrsos_file_sink_write, &sink};
	write_header(&fw, log);
	clrsos_out(&fw, "\nTHREAD  TIMESTAMP     FACILITY                              MESSAGE\n"
			"  ID  (sec from start)\n"
			"--------------------------------------------------------------------------------------\n");
	struct names_ctx nctx = {host};
	struct clrsos_stresslog_target_names tnames = {target, dac, names_code, &nctx, NULL};
	struct clrsos_stresslog_names names;
	clrsos_stresslog_names_of_target(&tnames, &names);
	/* A task switch renames the thread for the (older) messages after it. */
	uint64_t *shown_id = calloc(log->thread_count ? log->thread_count : 1, sizeof(*shown_id));
	if (!shown_id) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (size_t t = 0; t < log->thread_count; t++)
		shown_id[t] = log->threads[t].thread_id;
	struct clrsos_watch *watch = clrsos_session_watch(session);
	size_t thread;
	const struct clrsos_stresslog_msg *m;
	bool done;
	char facility[512];
	while (clrsos_stresslog_next(log, &cursor, &thread, &m, &done)) {
		if ((err = clrsos_watch_tick(watch))) {
			clrsos_out(&fw, "----- Interrupted by user -----\n");
			break;
		}
		if (m->format_offset != 0) {
			const char *fmt = clrsos_stresslog_formats_get(&formats, target, log, m->format_offset);
			if (!fmt)
				fmt = "Could not read address of format string";
			if (!strcmp(fmt, clrsos_stresslog_task_switch_msg)) {
				uint64_t from = m->arg_count ? m->args[0] : 0;
				clrsos_outf(&fw, "Task was switched from %x\n", (unsigned)from);
				shown_id[thread] = from;
			} else {
				clrsos_outf(&fw, "%4x %13.9f : %-20s ", (unsigned)shown_id[thread],
					    clrsos_stresslog_seconds(log, m->timestamp),
					    clrsos_stresslog_facility_name(m->facility, facility, sizeof(facility)));
				clrsos_stresslog_format(fmt, m->args, m->arg_count, &names, &fw);
				clrsos_out(&fw, "\n");
			}
			entries++;
		}
		if (done)
			clrsos_outf(&fw, "------------ Last message from thread %x -----------\n",
				    (unsigned)shown_id[thread]);
	}
	clrsos_outf(&fw, "---------------------------- %" PRIu64
			 " total entries ------------------------------------\n",
		    entries);
out:
	free(shown_id);
	clrsos_stresslog_cursor_deinit(&cursor);
	clrsos_stresslog_formats_deinit(&formats);
	clrsos_stresslog_target_names_deinit(&tnames);
	int error = clrsos_file_sink_close(&sink);
	if (!err && error)
		err = clrsos_error_create(CLRSOS_ERROR_IO, "dumplog: writing %s failed: %s", file, strerror(error));
	if (err) {
		clrsos_stresslog_destroy(log);
		return err;
	}
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "file");
		clrsos_json_string(&j, file);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, log->address);
		clrsos_json_key(&j, "module");
		clrsos_json_address(&j, log->module_offset);
		clrsos_json_key(&j, "threads");
		clrsos_json_uint(&j, log->thread_count);
		clrsos_json_key(&j, "entries");
		clrsos_json_uint(&j, entries);
		clrsos_json_key(&j, "problem");
		if (log->problem)
			clrsos_json_string(&j, log->problem);
		else
			clrsos_json_null(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else {
		if (log->problem)
			clrsos_outf(out, "Note: part of the log was left out: %s\n", log->problem);
		clrsos_out(out, "SUCCESS: Stress log dumped\n");
	}
	clrsos_stresslog_destroy(log);
	return NULL;
}

/* ---- GC history ---- */

struct clrsos_error *clrsos_cmd_histinit(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	struct clrsos_error *err = clrsos_options_parse_json_only("histinit", host, argc, argv, &json);
	if (err)
		return err;
	struct clrsos_gchist **slot = clrsos_session_gchist(session);
	clrsos_gchist_destroy(*slot);
	*slot = NULL;
	struct clrsos_dac *dac = NULL;
	struct clrsos_stresslog *log = NULL;
	if ((err = open_log(session, 0, &dac, &log)))
		return clrsos_error_wrap(err, "histinit");
	struct clrsos_gchist *hist = NULL;
	if ((err = clrsos_gchist_build(clrsos_session_target(session), log, clrsos_session_watch(session), &hist))) {
		clrsos_stresslog_destroy(log);
		return err;
	}
	*slot = hist;
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, log->address);
		clrsos_json_key(&j, "entries");
		clrsos_json_uint(&j, hist->messages);
		clrsos_json_key(&j, "problem");
		if (log->problem)
			clrsos_json_string(&j, log->problem);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "gcs");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < hist->gc_count; i++)
			clrsos_json_uint(&j, hist->gcs[i].gc_count);
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else {
		clrsos_out(out, "Attempting to read Stress log\n");
		write_header(out, log);
		clrsos_outf(out, "---------------------------- %zu total entries ------------------------------------\n",
			    hist->messages);
		if (log->problem)
			clrsos_outf(out, "Note: part of the log was left out: %s\n", log->problem);
		clrsos_out(out, "SUCCESS: GCHist structures initialized\n");
	}
	clrsos_stresslog_destroy(log);
	return NULL;
}

struct clrsos_error *clrsos_cmd_histclear(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	struct clrsos_error *err = clrsos_options_parse_json_only("histclear", host, argc, argv, &json);
	if (err)
		return err;
	struct clrsos_gchist **slot = clrsos_session_gchist(session);
	clrsos_gchist_destroy(*slot);
	*slot = NULL;
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "cleared");
		clrsos_json_bool(&j, true);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else {
		clrsos_out(out, "Completed successfully.\n");
	}
	return NULL;
}

static struct clrsos_error *history(struct clrsos_session *session, const char *command,
				    const struct clrsos_gchist **ret)
{
	*ret = *clrsos_session_gchist(session);
	if (!*ret)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "%s: no GC history: run histinit first (it reads the stress log)", command);
	return NULL;
}

enum { MAX_PAIRWISE = 20000 };

struct clrsos_error *clrsos_cmd_histstats(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	const struct clrsos_gchist *hist;
	struct clrsos_error *err = clrsos_options_parse_json_only("histstats", host, argc, argv, &json);
	if (err || (err = history(session, "histstats", &hist)))
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_array_begin(&j);
	} else {
		clrsos_outf(out, "%8s %8s %8s\n", "GCCount", "Promotes", "Relocs");
		clrsos_out(out, "-----------------------------------\n");
	}
	for (size_t i = 0; i < hist->gc_count; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "gc");
			clrsos_json_uint(&j, gc->gc_count);
			clrsos_json_key(&j, "promotes");
			clrsos_json_uint(&j, gc->promote_count);
			clrsos_json_key(&j, "relocs");
			clrsos_json_uint(&j, gc->reloc_count);
			clrsos_json_key(&j, "plugs");
			clrsos_json_uint(&j, gc->plug_count);
			clrsos_json_object_end(&j);
		} else {
			clrsos_outf(out, "%8u %8zu %8zu\n", (unsigned)gc->gc_count, gc->promote_count, gc->reloc_count);
		}
	}
	if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_end(&j);
		return NULL;
	}
	/* Duplicates, as SOS checks them: a root promoted or relocated twice in one GC. */
	bool found = false;
	struct clrsos_watch *watch = clrsos_session_watch(session);
	for (size_t i = 0; i < hist->gc_count; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		/* Pairwise, as SOS: bounded so that a huge (or hostile) log cannot hang it. */
		if (gc->promote_count > MAX_PAIRWISE || gc->reloc_count > MAX_PAIRWISE) {
			clrsos_outf(out, "GC %u has too many records to check for duplicates (%zu promotes, %zu relocs)\n",
				    (unsigned)gc->gc_count, gc->promote_count, gc->reloc_count);
			continue;
		}
		for (size_t a = gc->promote_count; a-- > 0;) {
			struct clrsos_error *stop = clrsos_watch_tick(watch);
			if (stop)
				return stop;
			for (size_t b = a; b-- > 0;)
				if (gc->promotes[a].root == gc->promotes[b].root) {
					clrsos_outf(out, "Root %016" PRIX64 " promoted multiple times in gc %u\n",
						    gc->promotes[a].root, (unsigned)gc->gc_count);
					found = true;
				}
		}
		for (size_t a = gc->reloc_count; a-- > 0;) {
			struct clrsos_error *stop = clrsos_watch_tick(watch);
			if (stop)
				return stop;
			for (size_t b = a; b-- > 0;)
				if (gc->relocs[a].root == gc->relocs[b].root) {
					clrsos_outf(out, "Root %016" PRIX64 " relocated multiple times in gc %u\n",
						    gc->relocs[a].root, (unsigned)gc->gc_count);
					found = true;
				}
		}
	}
	if (!found)
		clrsos_out(out, "No duplicate promote or relocate messages found in the log.\n");
	return NULL;
}

/* histroot / histobj / histobjfind: one address operand and --json. */
static struct clrsos_error *one_address(const char *command, const struct clrsos_host *host, int argc,
					const char *const *argv, bool *json, uint64_t *ret)
{
	bool have = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
			continue;
		}
		if (have)
			return clrsos_unexpected_argument(command, argv[i]);
		struct clrsos_error *err = clrsos_address_operand(command, host, argv[i], &have, ret);
		if (err)
			return err;
	}
	return have ? NULL : clrsos_address_missing(command, "an address");
}

struct clrsos_error *clrsos_cmd_histroot(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint64_t root = 0;
	const struct clrsos_gchist *hist;
	struct clrsos_error *err = one_address("histroot", host, argc, argv, &json, &root);
	if (err || (err = history(session, "histroot", &hist)))
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_array_begin(&j);
	} else {
		clrsos_outf(out, "%8s %16s %16s %9s %20s\n", "GCCount", "Value", "MT", "Promoted?", "Notes");
		clrsos_out(out, "---------------------------------------------------------\n");
	}
	bool elided = false;
	for (size_t i = 0; i < hist->gc_count; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		/* The oldest record of each kind first, as SOS's lists hold them. */
		const struct clrsos_gchist_promote *promote = NULL;
		bool promoted_twice = false, relocated_twice = false;
		for (size_t k = gc->promote_count; k-- > 0;)
			if (gc->promotes[k].root == root) {
				if (promote)
					promoted_twice = true;
				else
					promote = &gc->promotes[k];
			}
		const struct clrsos_gchist_reloc *reloc = NULL;
		for (size_t k = gc->reloc_count; k-- > 0;)
			if (gc->relocs[k].root == root) {
				if (reloc)
					relocated_twice = true;
				else
					reloc = &gc->relocs[k];
			}
		bool mismatch = reloc && promote &&
				(promote->value != reloc->prev_value || promote->method_table != reloc->method_table);
		if (json) {
			if (!reloc && !promote)
				continue;
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "gc");
			clrsos_json_uint(&j, gc->gc_count);
			clrsos_json_key(&j, "value");
			if (reloc)
				clrsos_json_address(&j, reloc->new_value);
			else
				clrsos_json_null(&j);
			clrsos_json_key(&j, "methodTable");
			if (reloc)
				clrsos_json_address(&j, reloc->method_table);
			else
				clrsos_json_null(&j);
			clrsos_json_key(&j, "promoted");
			clrsos_json_bool(&j, promote != NULL);
			clrsos_json_key(&j, "relocated");
			clrsos_json_bool(&j, reloc != NULL);
			clrsos_json_key(&j, "mismatch");
			clrsos_json_bool(&j, mismatch);
			clrsos_json_key(&j, "duplicate");
			clrsos_json_bool(&j, promoted_twice || relocated_twice);
			clrsos_json_object_end(&j);
			continue;
		}
		if (reloc) {
			elided = false;
			clrsos_outf(out, "%8u %016" PRIX64 " %016" PRIX64 " %9s ", (unsigned)gc->gc_count, reloc->new_value,
				    reloc->method_table, promote ? "yes" : "no");
			if (promote) {
				if (mismatch)
					clrsos_out(out, "promote/reloc records in error ");
				if (promoted_twice || relocated_twice)
					clrsos_out(out, "Duplicate promote/relocs");
			}
			clrsos_out(out, "\n");
		} else if (promote) {
			clrsos_outf(out, "Error: There is a promote record for root %016" PRIX64 ", but no relocation record\n",
				    promote->root);
		} else if (!elided) {
			clrsos_out(out, "...\n");
			elided = true;
		}
	}
	if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_end(&j);
	}
	return NULL;
}

struct clrsos_error *clrsos_cmd_histobjfind(struct clrsos_session *session, const struct clrsos_host *host,
					    int argc, const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint64_t object = 0;
	const struct clrsos_gchist *hist;
	struct clrsos_error *err = one_address("histobjfind", host, argc, argv, &json, &object);
	if (err || (err = history(session, "histobjfind", &hist)))
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_array_begin(&j);
	} else {
		clrsos_outf(out, "%8s %16s %40s\n", "GCCount", "Object", "Message");
		clrsos_out(out, "---------------------------------------------------------\n");
	}
	bool elided = false;
	for (size_t i = 0; i < hist->gc_count && object; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		for (size_t k = gc->promote_count; k-- > 0;) {
			const struct clrsos_gchist_promote *p = &gc->promotes[k];
			if (p->value != object)
				continue;
			elided = false;
			if (json) {
				clrsos_json_object_begin(&j);
				clrsos_json_key(&j, "gc");
				clrsos_json_uint(&j, gc->gc_count);
				clrsos_json_key(&j, "kind");
				clrsos_json_string(&j, "promote");
				clrsos_json_key(&j, "root");
				clrsos_json_address(&j, p->root);
				clrsos_json_key(&j, "methodTable");
				clrsos_json_address(&j, p->method_table);
				clrsos_json_object_end(&j);
			} else {
				clrsos_outf(out, "%8u %016" PRIX64 " Promotion for root %016" PRIX64 " (MT = %016" PRIX64 ")\n",
					    (unsigned)gc->gc_count, object, p->root, p->method_table);
			}
		}
		for (size_t k = gc->reloc_count; k-- > 0;) {
			const struct clrsos_gchist_reloc *r = &gc->relocs[k];
			if (r->new_value != object && r->prev_value != object)
				continue;
			elided = false;
			const char *which = r->new_value == object ? "NEWVALUE" : "PREVVALUE";
			if (json) {
				clrsos_json_object_begin(&j);
				clrsos_json_key(&j, "gc");
				clrsos_json_uint(&j, gc->gc_count);
				clrsos_json_key(&j, "kind");
				clrsos_json_string(&j, r->new_value == object ? "relocNew" : "relocPrev");
				clrsos_json_key(&j, "root");
				clrsos_json_address(&j, r->root);
				clrsos_json_object_end(&j);
			} else {
				clrsos_outf(out, "%8u %016" PRIX64 " Relocation %s for root %016" PRIX64 "\n",
					    (unsigned)gc->gc_count, object, which, r->root);
			}
		}
		if (!elided && !json) {
			clrsos_out(out, "...\n");
			elided = true;
		}
	}
	if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_end(&j);
	}
	return NULL;
}

struct clrsos_error *clrsos_cmd_histobj(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint64_t object = 0;
	const struct clrsos_gchist *hist;
	struct clrsos_error *err = one_address("histobj", host, argc, argv, &json, &object);
	if (err || (err = history(session, "histobj", &hist)))
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_array_begin(&j);
	} else {
		clrsos_outf(out, "%8s %16s %40s\n", "GCCount", "Object", "Roots");
		clrsos_out(out, "---------------------------------------------------------\n");
	}
	/* Newest GC first: the object's address before each GC is where it was relocated from. */
	uint64_t cur = object;
	for (size_t i = 0; i < hist->gc_count && cur; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "gc");
			clrsos_json_uint(&j, gc->gc_count);
			clrsos_json_key(&j, "object");
			clrsos_json_address(&j, cur);
			clrsos_json_key(&j, "roots");
			clrsos_json_array_begin(&j);
		} else {
			clrsos_outf(out, "%8u %016" PRIX64 " ", (unsigned)gc->gc_count, cur);
		}
		uint64_t before = cur;
		bool first = true, differing = false;
		for (size_t k = gc->reloc_count; k-- > 0;) {
			const struct clrsos_gchist_reloc *r = &gc->relocs[k];
			if (r->new_value != cur)
				continue;
			if (json)
				clrsos_json_address(&j, r->root);
			else
				clrsos_outf(out, "%016" PRIX64 ", ", r->root);
			if (first) {
				before = r->prev_value;
				first = false;
			} else if (before != r->prev_value) {
				differing = true;
				if (!json)
					clrsos_out(out, "differing reloc values for this object!\n");
			}
		}
		if (json) {
			clrsos_json_array_end(&j);
			clrsos_json_key(&j, "differing");
			clrsos_json_bool(&j, differing);
			clrsos_json_object_end(&j);
		} else {
			clrsos_out(out, "\n");
		}
		cur = before;
	}
	if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_end(&j);
	}
	return NULL;
}
