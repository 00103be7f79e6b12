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
#include "base/vector.h"
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

/* histstats' duplicate check: a GC with too many records to pair, or a root promoted or relocated twice in one. */
struct hist_finding {
	enum { FINDING_TOO_MANY, FINDING_PROMOTED, FINDING_RELOCATED } kind;
	const struct clrsos_gchist_gc *gc;
	uint64_t root;
};

/* At most this many kept: a hostile log (one root in every record) would pair into billions. */
enum { MAX_FINDINGS = 100000 };

CLRSOS_VECTOR(finding_vector, struct hist_finding)

struct hist_findings {
	struct finding_vector v;
	uint64_t left_out; /* past MAX_FINDINGS */
};

static struct clrsos_error *finding_add(struct hist_findings *f, struct hist_finding item)
{
	if (f->v.count == MAX_FINDINGS) {
		f->left_out++;
		return NULL;
	}
	return finding_vector_push(&f->v, item);
}

/* Duplicates, as SOS checks them, pairwise: bounded so that a huge (or hostile) log cannot hang it. */
static struct clrsos_error *histstats_compute(const struct clrsos_gchist *hist, struct clrsos_watch *watch,
					      struct hist_findings *f)
{
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < hist->gc_count && !err; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		if (gc->promote_count > MAX_PAIRWISE || gc->reloc_count > MAX_PAIRWISE) {
			err = finding_add(f, (struct hist_finding){FINDING_TOO_MANY, gc, 0});
			continue;
		}
		for (size_t a = gc->promote_count; a-- > 0 && !err;) {
			if ((err = clrsos_watch_tick(watch)))
				break;
			for (size_t b = a; b-- > 0 && !err;)
				if (gc->promotes[a].root == gc->promotes[b].root)
					err = finding_add(f, (struct hist_finding){FINDING_PROMOTED, gc, gc->promotes[a].root});
		}
		for (size_t a = gc->reloc_count; a-- > 0 && !err;) {
			if ((err = clrsos_watch_tick(watch)))
				break;
			for (size_t b = a; b-- > 0 && !err;)
				if (gc->relocs[a].root == gc->relocs[b].root)
					err = finding_add(f, (struct hist_finding){FINDING_RELOCATED, gc, gc->relocs[a].root});
		}
	}
	return err;
}

static void histstats_json(const struct clrsos_gchist *hist, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < hist->gc_count; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
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
	}
	clrsos_json_array_end(&j);
	clrsos_json_end(&j);
}

static void histstats_text(const struct clrsos_gchist *hist, const struct hist_findings *f, struct clrsos_writer *out)
{
	clrsos_outf(out, "%8s %8s %8s\n", "GCCount", "Promotes", "Relocs");
	clrsos_out(out, "-----------------------------------\n");
	for (size_t i = 0; i < hist->gc_count; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		clrsos_outf(out, "%8u %8zu %8zu\n", (unsigned)gc->gc_count, gc->promote_count, gc->reloc_count);
	}
	bool found = false;
	for (size_t i = 0; i < f->v.count; i++) {
		const struct hist_finding *x = &f->v.items[i];
		if (x->kind == FINDING_TOO_MANY) {
			clrsos_outf(out, "GC %u has too many records to check for duplicates (%zu promotes, %zu relocs)\n",
				    (unsigned)x->gc->gc_count, x->gc->promote_count, x->gc->reloc_count);
			continue;
		}
		clrsos_outf(out, "Root %016" PRIX64 " %s multiple times in gc %u\n", x->root,
			    x->kind == FINDING_PROMOTED ? "promoted" : "relocated", (unsigned)x->gc->gc_count);
		found = true;
	}
	if (f->left_out)
		clrsos_outf(out, "(%" PRIu64 " more duplicate records not listed)\n", f->left_out);
	if (!found)
		clrsos_out(out, "No duplicate promote or relocate messages found in the log.\n");
}

struct clrsos_error *clrsos_cmd_histstats(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	const struct clrsos_gchist *hist;
	struct clrsos_error *err = clrsos_options_parse_json_only("histstats", host, argc, argv, &json);
	if (err || (err = history(session, "histstats", &hist)))
		return err;
	if (json) {
		histstats_json(hist, out);
		return NULL;
	}
	struct hist_findings f = {0};
	finding_vector_init(&f.v);
	if (!(err = histstats_compute(hist, clrsos_session_watch(session), &f)))
		histstats_text(hist, &f, out);
	finding_vector_deinit(&f.v);
	return err;
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

/* histroot: per GC, the oldest promote and relocation records of the root, and what is wrong with them. */
struct histroot_row {
	const struct clrsos_gchist_gc *gc;
	const struct clrsos_gchist_promote *promote;
	const struct clrsos_gchist_reloc *reloc;
	bool mismatch, duplicate;
};

static struct clrsos_error *histroot_compute(const struct clrsos_gchist *hist, uint64_t root,
					     struct histroot_row **ret)
{
	struct histroot_row *rows = calloc(hist->gc_count ? hist->gc_count : 1, sizeof(*rows));
	if (!rows)
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < hist->gc_count; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		struct histroot_row *r = &rows[i];
		r->gc = gc;
		/* The oldest record of each kind first, as SOS's lists hold them. */
		for (size_t k = gc->promote_count; k-- > 0;)
			if (gc->promotes[k].root == root) {
				if (r->promote)
					r->duplicate = true;
				else
					r->promote = &gc->promotes[k];
			}
		for (size_t k = gc->reloc_count; k-- > 0;)
			if (gc->relocs[k].root == root) {
				if (r->reloc)
					r->duplicate = true;
				else
					r->reloc = &gc->relocs[k];
			}
		r->mismatch = r->reloc && r->promote &&
			      (r->promote->value != r->reloc->prev_value ||
			       r->promote->method_table != r->reloc->method_table);
	}
	*ret = rows;
	return NULL;
}

static void histroot_json(const struct histroot_row *rows, size_t n, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		const struct histroot_row *r = &rows[i];
		if (!r->reloc && !r->promote)
			continue;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "gc");
		clrsos_json_uint(&j, r->gc->gc_count);
		clrsos_json_key(&j, "value");
		if (r->reloc)
			clrsos_json_address(&j, r->reloc->new_value);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "methodTable");
		if (r->reloc)
			clrsos_json_address(&j, r->reloc->method_table);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "promoted");
		clrsos_json_bool(&j, r->promote != NULL);
		clrsos_json_key(&j, "relocated");
		clrsos_json_bool(&j, r->reloc != NULL);
		clrsos_json_key(&j, "mismatch");
		clrsos_json_bool(&j, r->mismatch);
		clrsos_json_key(&j, "duplicate");
		clrsos_json_bool(&j, r->duplicate);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_end(&j);
}

static void histroot_text(const struct histroot_row *rows, size_t n, struct clrsos_writer *out)
{
	clrsos_outf(out, "%8s %16s %16s %9s %20s\n", "GCCount", "Value", "MT", "Promoted?", "Notes");
	clrsos_out(out, "---------------------------------------------------------\n");
	bool elided = false;
	for (size_t i = 0; i < n; i++) {
		const struct histroot_row *r = &rows[i];
		if (r->reloc) {
			elided = false;
			clrsos_outf(out, "%8u %016" PRIX64 " %016" PRIX64 " %9s ", (unsigned)r->gc->gc_count,
				    r->reloc->new_value, r->reloc->method_table, r->promote ? "yes" : "no");
			if (r->promote) {
				if (r->mismatch)
					clrsos_out(out, "promote/reloc records in error ");
				if (r->duplicate)
					clrsos_out(out, "Duplicate promote/relocs");
			}
			clrsos_out(out, "\n");
		} else if (r->promote) {
			clrsos_outf(out, "Error: There is a promote record for root %016" PRIX64 ", but no relocation record\n",
				    r->promote->root);
		} else if (!elided) {
			clrsos_out(out, "...\n");
			elided = true;
		}
	}
}

struct clrsos_error *clrsos_cmd_histroot(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint64_t root = 0;
	const struct clrsos_gchist *hist;
	struct histroot_row *rows;
	struct clrsos_error *err = one_address("histroot", host, argc, argv, &json, &root);
	if (err || (err = history(session, "histroot", &hist)) || (err = histroot_compute(hist, root, &rows)))
		return err;
	if (json)
		histroot_json(rows, hist->gc_count, out);
	else
		histroot_text(rows, hist->gc_count, out);
	free(rows);
	return NULL;
}

/* histobjfind: the records that name the object, per GC (its promotes, then its relocations, oldest first). */
struct histobjfind_hit {
	const struct clrsos_gchist_gc *gc;
	const struct clrsos_gchist_promote *promote; /* or */
	const struct clrsos_gchist_reloc *reloc;
};

CLRSOS_VECTOR(hit_vector, struct histobjfind_hit)

static struct clrsos_error *histobjfind_compute(const struct clrsos_gchist *hist, uint64_t object,
						struct histobjfind_hit **ret, size_t *ret_count)
{
	struct hit_vector hits;
	hit_vector_init(&hits);
	for (size_t i = 0; i < hist->gc_count && object; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		size_t total = gc->promote_count + gc->reloc_count;
		for (size_t k = 0; k < total; k++) {
			/* promotes (newest last in the list: oldest first here), then relocations likewise */
			const struct clrsos_gchist_promote *p =
				k < gc->promote_count ? &gc->promotes[gc->promote_count - 1 - k] : NULL;
			const struct clrsos_gchist_reloc *r =
				p ? NULL : &gc->relocs[gc->reloc_count - 1 - (k - gc->promote_count)];
			if (p ? p->value != object : r->new_value != object && r->prev_value != object)
				continue;
			if (hit_vector_push(&hits, (struct histobjfind_hit){gc, p, r})) {
				hit_vector_deinit(&hits);
				return &clrsos_error_no_memory;
			}
		}
	}
	hit_vector_steal(&hits, ret, ret_count);
	return NULL;
}

static void histobjfind_json(const struct histobjfind_hit *hits, size_t n, uint64_t object, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		const struct histobjfind_hit *h = &hits[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "gc");
		clrsos_json_uint(&j, h->gc->gc_count);
		clrsos_json_key(&j, "kind");
		clrsos_json_string(&j, h->promote ? "promote" : h->reloc->new_value == object ? "relocNew" : "relocPrev");
		clrsos_json_key(&j, "root");
		clrsos_json_address(&j, h->promote ? h->promote->root : h->reloc->root);
		if (h->promote) {
			clrsos_json_key(&j, "methodTable");
			clrsos_json_address(&j, h->promote->method_table);
		}
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_end(&j);
}

static void histobjfind_text(const struct clrsos_gchist *hist, const struct histobjfind_hit *hits, size_t n,
			     uint64_t object, struct clrsos_writer *out)
{
	clrsos_outf(out, "%8s %16s %40s\n", "GCCount", "Object", "Message");
	clrsos_out(out, "---------------------------------------------------------\n");
	/* After each GC, "..." once for the GCs since the last record shown. */
	bool elided = false;
	size_t h = 0;
	for (size_t i = 0; i < hist->gc_count && object; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		for (; h < n && hits[h].gc == gc; h++) {
			const struct histobjfind_hit *x = &hits[h];
			elided = false;
			if (x->promote)
				clrsos_outf(out, "%8u %016" PRIX64 " Promotion for root %016" PRIX64 " (MT = %016" PRIX64 ")\n",
					    (unsigned)gc->gc_count, object, x->promote->root, x->promote->method_table);
			else
				clrsos_outf(out, "%8u %016" PRIX64 " Relocation %s for root %016" PRIX64 "\n",
					    (unsigned)gc->gc_count, object,
					    x->reloc->new_value == object ? "NEWVALUE" : "PREVVALUE", x->reloc->root);
		}
		if (!elided) {
			clrsos_out(out, "...\n");
			elided = true;
		}
	}
}

struct clrsos_error *clrsos_cmd_histobjfind(struct clrsos_session *session, const struct clrsos_host *host,
					    int argc, const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint64_t object = 0;
	const struct clrsos_gchist *hist;
	struct histobjfind_hit *hits = NULL;
	size_t n = 0;
	struct clrsos_error *err = one_address("histobjfind", host, argc, argv, &json, &object);
	if (err || (err = history(session, "histobjfind", &hist)) ||
	    (err = histobjfind_compute(hist, object, &hits, &n)))
		return err;
	if (json)
		histobjfind_json(hits, n, object, out);
	else
		histobjfind_text(hist, hits, n, object, out);
	free(hits);
	return NULL;
}

/*
 * histobj: newest GC first, where the object was before each GC (where it
 * was relocated from) and the roots relocated to it; a root whose previous
 * value differs from the first's is marked.
 */
struct histobj_root {
	uint64_t root;
	bool differs; /* its previous value is not the first root's */
};

struct histobj_row {
	const struct clrsos_gchist_gc *gc;
	uint64_t object;
	struct histobj_root *roots;
	size_t nroots;
	bool differing;
};

static void histobj_rows_free(struct histobj_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].roots);
	free(rows);
}

static struct clrsos_error *histobj_compute(const struct clrsos_gchist *hist, uint64_t object,
					    struct histobj_row **ret, size_t *ret_count)
{
	struct histobj_row *rows = calloc(hist->gc_count ? hist->gc_count : 1, sizeof(*rows));
	if (!rows)
		return &clrsos_error_no_memory;
	size_t n = 0;
	uint64_t cur = object;
	for (size_t i = 0; i < hist->gc_count && cur; i++) {
		const struct clrsos_gchist_gc *gc = &hist->gcs[i];
		struct histobj_row *row = &rows[n++];
		row->gc = gc;
		row->object = cur;
		uint64_t before = cur;
		bool first = true;
		for (size_t k = gc->reloc_count; k-- > 0;) {
			const struct clrsos_gchist_reloc *r = &gc->relocs[k];
			if (r->new_value != cur)
				continue;
			if (!row->roots && !(row->roots = calloc(k + 1, sizeof(*row->roots)))) {
				histobj_rows_free(rows, n);
				return &clrsos_error_no_memory;
			}
			struct histobj_root *x = &row->roots[row->nroots++];
			x->root = r->root;
			if (first) {
				before = r->prev_value;
				first = false;
			} else if (before != r->prev_value) {
				x->differs = row->differing = true;
			}
		}
		cur = before;
	}
	*ret = rows;
	*ret_count = n;
	return NULL;
}

static void histobj_json(const struct histobj_row *rows, size_t n, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "gc");
		clrsos_json_uint(&j, rows[i].gc->gc_count);
		clrsos_json_key(&j, "object");
		clrsos_json_address(&j, rows[i].object);
		clrsos_json_key(&j, "roots");
		clrsos_json_array_begin(&j);
		for (size_t k = 0; k < rows[i].nroots; k++)
			clrsos_json_address(&j, rows[i].roots[k].root);
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "differing");
		clrsos_json_bool(&j, rows[i].differing);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_end(&j);
}

static void histobj_text(const struct histobj_row *rows, size_t n, struct clrsos_writer *out)
{
	clrsos_outf(out, "%8s %16s %40s\n", "GCCount", "Object", "Roots");
	clrsos_out(out, "---------------------------------------------------------\n");
	for (size_t i = 0; i < n; i++) {
		clrsos_outf(out, "%8u %016" PRIX64 " ", (unsigned)rows[i].gc->gc_count, rows[i].object);
		for (size_t k = 0; k < rows[i].nroots; k++) {
			clrsos_outf(out, "%016" PRIX64 ", ", rows[i].roots[k].root);
			if (rows[i].roots[k].differs)
				clrsos_out(out, "differing reloc values for this object!\n");
		}
		clrsos_out(out, "\n");
	}
}

struct clrsos_error *clrsos_cmd_histobj(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint64_t object = 0;
	const struct clrsos_gchist *hist;
	struct histobj_row *rows = NULL;
	size_t n = 0;
	struct clrsos_error *err = one_address("histobj", host, argc, argv, &json, &object);
	if (err || (err = history(session, "histobj", &hist)) || (err = histobj_compute(hist, object, &rows, &n)))
		return err;
	if (json)
		histobj_json(rows, n, out);
	else
		histobj_text(rows, n, out);
	histobj_rows_free(rows, n);
	return NULL;
}
