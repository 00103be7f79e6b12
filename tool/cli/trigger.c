/*
 * clrsos trigger: watch a process's counters and have it write a dump when
 * a condition holds, for the spike too short to catch by hand.
 *
 *   clrsos trigger <pid> <MB>      the GC heap (gc-heap-size) above MB, once
 *   clrsos trigger <pid> --counter <name>[tags] --above|--below <value> [--for <time>]
 *
 * Beside each dump it saves the counters' history that led to it
 * (<dump>.counters.json, readable by `clrsos chart`) and a chart of it with
 * the dump marked (<dump>.counters.svg).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/output.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/watch.h"
#include "counters/render.h"
#include "counters/table.h"
#include "counters/trigger.h"

enum { HISTORY_POINTS = 3600 };

static void help(void)
{
	printf("usage: clrsos trigger [-p] <pid> <MB>\n"
	       "       clrsos trigger [-p] <pid> --counter <name>[tags] --above|--below <value> [--for <time>]\n"
	       "                      [--dumps <n>] [--cooldown <time>] [--type full|heap|mini|triage] [-o <dir>]\n"
	       "                      [--counters <list>] [--refresh-interval <s>] [--duration <time>]\n\n"
	       "Watches a .NET process's counters and has it write a dump (the runtime's createdump) when a\n"
	       "condition holds. <MB>: when the GC heap (System.Runtime's gc-heap-size) passes that many MB.\n\n"
	       "  --counter <name>[tags]  the counter: dotnet.gc.last_collection.heap.size[gc.heap.generation=gen2],\n"
	       "                          gc-heap-size, dotnet.process.memory.working_set (clrsos counters shows them)\n"
	       "  --above <value>         fire when it is above: 500, 500MB, 1.5GB (decimal units), 80%%\n"
	       "  --below <value>         fire when it is below\n"
	       "  --for <time>            only once it has held that long: 3s, 500ms, 1m (default: at once)\n"
	       "  --dumps <n>             how many dumps to take before stopping (default 1)\n"
	       "  --cooldown <time>       the least time between two dumps (default 10s)\n"
	       "  --type <type>           full (default), heap, mini or triage\n"
	       "  -o, --output <dir>      where the dumps go (default: the current directory), as\n"
	       "                          core_<pid>_YYYYMMDD_HHMMSS, with .counters.json and .counters.svg beside\n"
	       "  --counters <list>       the counters watched and kept in the history (default System.Runtime)\n"
	       "  --refresh-interval <s>  seconds between values (default 1)\n"
	       "  --duration <time>       give up after that long (default: wait until Ctrl-C)\n\n"
	       "Exit status: 0 when every dump was written, 2 when it ended first (duration, Ctrl-C, the\n"
	       "process exited), 1 on an error.\n");
}

struct trigger_run {
	struct clrsos_trigger trigger;
	struct clrsos_counter_table table;
	struct clrsos_watch *watch;
	const char *dir;
	enum clrsos_dump_type type;
	struct clrsos_error *failed; /* a dump that failed: ends the run */
};

static void utc_stamp(double t, char *buf, size_t size)
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int)((t - (double)s) * 1000) % 1000);
}

/* The history, as `counters --format json` records it. */
static struct clrsos_error *save_history(struct trigger_run *run, const char *path)
{
	FILE *f;
	struct clrsos_error *err = clrsos_cli_create_file(path, &f);
	if (err)
		return err;
	struct clrsos_writer w = { clrsos_cli_write_file, f };
	struct clrsos_counters_json_recorder rec;
	clrsos_counters_json_begin(&rec, &w, run->watch->name, run->table.first_t);
	for (size_t i = 0; i < run->table.count; i++) {
		const struct clrsos_counter_series *s = run->table.series[i];
		/* What the view shows, and the trigger's own counter even where a meter hides it (gc-heap-size). */
		if (s->hidden && !clrsos_trigger_matches(&run->trigger, &s->last))
			continue;
		struct clrsos_counter_sample p = s->last;
		for (size_t k = 0; k < s->point_count; k++) {
			p.timestamp = s->points[k].t;
			p.value = s->points[k].v;
			clrsos_counters_json_sample(&rec, &p);
		}
	}
	clrsos_counters_json_end(&rec);
	int bad = fflush(f) || ferror(f);
	fclose(f);
	if (bad) {
		struct clrsos_name_buf nb;
		return clrsos_error_create(CLRSOS_ERROR_IO, "writing %s failed", clrsos_safe_name(path, &nb));
	}
	return NULL;
}

static struct clrsos_error *save_chart(struct trigger_run *run, const char *path, const char *counter)
{
	FILE *f;
	struct clrsos_error *err = clrsos_cli_create_file(path, &f);
	if (err)
		return err;
	struct clrsos_writer w = { clrsos_cli_write_file, f };
	char title[128];
	snprintf(title, sizeof(title), "process %d: clrsos trigger", run->watch->endpoint.pid);
	const char *names[] = { counter };
	struct clrsos_counters_chart_options opts = { .title = title, .names = names, .name_count = 1 };
	err = clrsos_counters_render_svg(&w, &run->table, &opts);
	int bad = fflush(f) || ferror(f);
	fclose(f);
	if (!err && bad) {
		struct clrsos_name_buf nb;
		err = clrsos_error_create(CLRSOS_ERROR_IO, "writing %s failed", clrsos_safe_name(path, &nb));
	}
	if (err)
		unlink(path);
	return err;
}

static struct clrsos_error *fire(struct trigger_run *run, const struct clrsos_counter_sample *sample, double now)
{
	struct clrsos_watch *watch = run->watch;
	char when[48], cond[256], value[64], name[96], path[PATH_MAX], stamp[32];
	utc_stamp(now, when, sizeof(when));
	clrsos_trigger_describe(&run->trigger, cond, sizeof(cond));
	clrsos_counters_format_number(sample->value, value, sizeof(value));
	time_t s = (time_t)now;
	struct tm tm;
	localtime_r(&s, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
	snprintf(name, sizeof(name), "core_%d_%s", watch->endpoint.pid, stamp);
	if (snprintf(path, sizeof(path), "%s/%s", run->dir, name) >= (int)sizeof(path))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "the output directory's path is too long");
	struct clrsos_name_buf nb, nb2;
	printf("%s %s is %s%s%s (%s): dump %u of %u (%s) to %s\n", when, clrsos_safe_name(sample->name, &nb), value,
	       *sample->unit ? " " : "", clrsos_safe_name(sample->unit, &nb2), cond, run->trigger.fired,
	       run->trigger.dumps, clrsos_cli_dump_type_name(run->type), clrsos_safe_name(path, &nb));
	fflush(stdout);
	uint64_t bytes;
	char here[PATH_MAX + 64];
	double t0 = clrsos_watch_now();
	struct clrsos_error *err = clrsos_cli_write_dump(&watch->endpoint, path, run->type, 0, &bytes, here,
							 sizeof(here));
	if (err)
		return err;
	char size[64];
	clrsos_format_thousands(bytes, size, sizeof(size));
	printf("wrote %s (%s bytes) in %.2f s\n", clrsos_safe_name(path, &nb), size, clrsos_watch_now() - t0);
	char label[64];
	snprintf(label, sizeof(label), "dump %u", run->trigger.fired);
	if ((err = clrsos_counter_table_mark(&run->table, now, label)))
		return err;
	/* The history beside the dump, where this tool can write: next to the dump as seen from here. */
	char file[PATH_MAX + 96];
	snprintf(file, sizeof(file), "%s.counters.json", here);
	if ((err = save_history(run, file)))
		return err;
	snprintf(file, sizeof(file), "%s.counters.svg", here);
	char counter[512];
	snprintf(counter, sizeof(counter), "%s%s%s%s", sample->name, *sample->tags ? "[" : "", sample->tags,
		 *sample->tags ? "]" : "");
	if ((err = save_chart(run, file, counter)))
		return err;
	printf("saved the counters' history beside it: %s.counters.json and .counters.svg\n",
	       clrsos_safe_name(path, &nb));
	fflush(stdout);
	return NULL;
}

static struct clrsos_error *on_sample(void *ctx, const struct clrsos_counter_sample *sample)
{
	struct trigger_run *run = ctx;
	struct clrsos_error *err = clrsos_counter_table_add(&run->table, sample);
	if (err)
		return err;
	if (run->failed || clrsos_trigger_done(&run->trigger))
		return NULL;
	double now = clrsos_watch_now();
	if (clrsos_trigger_feed_at(&run->trigger, sample, now))
		run->failed = fire(run, sample, now);
	return NULL;
}

int clrsos_cli_trigger(int argc, char **argv)
{
	int pid = 0;
	const char *mb = NULL, *spec = NULL, *dir = ".";
	struct clrsos_trigger_options opts = { .cooldown = "10s" };
	double interval = 1, duration = 0;
	enum clrsos_dump_type type = CLRSOS_DUMP_FULL;
	struct clrsos_error *err = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help();
			return 0;
		}
		if (a[0] == '-' && strcmp(a, "-p") && strcmp(a, "--process-id") && !value)
			return clrsos_cli_usage_error("trigger", "%s needs a value", a);
		if (!strcmp(a, "-p") || !strcmp(a, "--process-id")) {
			if (!value || clrsos_cli_parse_pid(value, &pid))
				return clrsos_cli_usage_error("trigger", "%s needs a process id", a);
			i++;
		} else if (!strcmp(a, "--counter")) {
			opts.counter = argv[++i];
		} else if (!strcmp(a, "--above")) {
			opts.above = argv[++i];
		} else if (!strcmp(a, "--below")) {
			opts.below = argv[++i];
		} else if (!strcmp(a, "--for")) {
			opts.for_time = argv[++i];
		} else if (!strcmp(a, "--cooldown")) {
			opts.cooldown = argv[++i];
		} else if (!strcmp(a, "--dumps")) {
			char *end;
			errno = 0;
			unsigned long n = strtoul(argv[++i], &end, 10);
			if (!*argv[i] || *end || errno || n < 1 || n > 1000)
				return clrsos_cli_usage_error("trigger", "--dumps takes a number from 1 to 1000");
			opts.dumps = (unsigned)n;
		} else if (!strcmp(a, "--type") || !strcmp(a, "-t")) {
			if (clrsos_cli_parse_dump_type(argv[++i], &type))
				return clrsos_cli_usage_error("trigger", "unknown dump type '%s': full, heap, mini or triage",
							      argv[i]);
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			dir = argv[++i];
		} else if (!strcmp(a, "--counters")) {
			spec = argv[++i];
		} else if (!strcmp(a, "--refresh-interval")) {
			if ((err = clrsos_cli_parse_interval(a, argv[++i], &interval)))
				return clrsos_cli_fail("trigger", err);
		} else if (!strcmp(a, "--duration")) {
			if ((err = clrsos_cli_parse_duration(a, argv[++i], &duration)))
				return clrsos_cli_fail("trigger", err);
		} else if (a[0] == '-') {
			return clrsos_cli_usage_error("trigger", "unknown option '%s'", a);
		} else if (!pid) {
			if (clrsos_cli_parse_pid(a, &pid))
				return clrsos_cli_usage_error("trigger", "'%s' is not a process id", a);
		} else if (!mb) {
			mb = a;
		} else {
			return clrsos_cli_usage_error("trigger", "unexpected argument '%s'", a);
		}
	}
	if (!pid)
		return clrsos_cli_usage_error("trigger", "which process? give its pid (clrsos ps lists them)");
	if (mb && (opts.counter || opts.above || opts.below))
		return clrsos_cli_usage_error("trigger", "give either <MB> or --counter with --above/--below, not both");
	if (!mb && !opts.counter)
		return clrsos_cli_usage_error("trigger", "when? give <MB> (the GC heap's size) or --counter and --above");

	/* The output directory: absolute (the runtime writes there) and a directory now. */
	char abs[PATH_MAX];
	if ((err = clrsos_cli_absolute_path(dir, abs, sizeof(abs))))
		return clrsos_cli_fail("trigger", err);

	struct trigger_run run = { .dir = abs, .type = type };
	clrsos_counter_table_init(&run.table, HISTORY_POINTS);
	if (mb) {
		err = clrsos_trigger_init_gc_heap(&run.trigger, mb);
		if (!err && opts.dumps)
			run.trigger.dumps = opts.dumps;
		if (!err && (err = clrsos_trigger_parse_duration(opts.cooldown, &run.trigger.cooldown)))
			clrsos_trigger_deinit(&run.trigger);
	} else {
		err = clrsos_trigger_init(&run.trigger, &opts);
	}
	if (err) {
		clrsos_counter_table_deinit(&run.table);
		return clrsos_cli_fail("trigger", err);
	}

	clrsos_watch_signals();
	struct clrsos_watch watch;
	run.watch = &watch;
	int status = 2;
	err = clrsos_watch_start(&watch, pid, spec, interval, on_sample, &run);
	if (err)
		goto out;
	struct stat st;
	char here[PATH_MAX + 64];
	if (watch.endpoint.foreign_root)
		snprintf(here, sizeof(here), "/proc/%d/root%s", pid, abs);
	else
		snprintf(here, sizeof(here), "%s", abs);
	if (stat(here, &st) < 0 || !S_ISDIR(st.st_mode)) {
		struct clrsos_name_buf nb;
		err = clrsos_error_create(CLRSOS_ERROR_IO, "-o %s: not a directory", clrsos_safe_name(here, &nb));
		goto out;
	}
	char cond[256];
	struct clrsos_name_buf nb, nb2;
	printf("Watching process %d (%s, .NET %s): a %s dump when %s; Ctrl-C to stop\n", pid,
	       clrsos_safe_name(watch.name, &nb), clrsos_safe_name(watch.info.runtime_version, &nb2), clrsos_cli_dump_type_name(type),
	       clrsos_trigger_describe(&run.trigger, cond, sizeof(cond)));
	fflush(stdout);
	double start = clrsos_watch_now();
	bool warned = false;
	for (;;) {
		double now = clrsos_watch_now();
		if (duration && now >= start + duration)
			break;
		int timeout = 1000;
		if (duration && (start + duration - now) * 1000 < timeout)
			timeout = (int)((start + duration - now) * 1000) + 1;
		bool ended;
		if ((err = clrsos_watch_pump(&watch, timeout, &ended)) || ended)
			break;
		if (run.failed) {
			err = run.failed;
			run.failed = NULL;
			break;
		}
		if (clrsos_trigger_done(&run.trigger)) {
			status = 0;
			break;
		}
		if (!warned && run.trigger.mismatch_unit) {
			fprintf(stderr, "clrsos trigger: warning: the counter is in %s, which the threshold's unit "
				"cannot be compared with\n", clrsos_safe_name(run.trigger.mismatch_unit, &nb));
			warned = true;
		}
		if (!warned && !run.trigger.seen && clrsos_watch_now() - start > 5 * interval + 5) {
			fprintf(stderr, "clrsos trigger: warning: no counter named so has come from the process yet "
				"(clrsos counters %d lists what it has)\n", pid);
			warned = true;
		}
	}
	if (!err && status == 2)
		printf("Stopped after %u of %u dumps\n", run.trigger.fired, run.trigger.dumps);
out:
	clrsos_watch_deinit(&watch);
	clrsos_trigger_deinit(&run.trigger);
	clrsos_counter_table_deinit(&run.table);
	clrsos_error_destroy(run.failed);
	if (err)
		return clrsos_cli_fail("trigger", err);
	return status;
}
