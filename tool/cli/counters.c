/*
 * clrsos counters: the runtime's counters of a live process, shown like
 * `dotnet-counters monitor` (refreshed in place on a terminal, one view per
 * refresh otherwise), or recorded like `dotnet-counters collect`
 * (--format csv|json -o <file>).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/output.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/watch.h"
#include "counters/render.h"
#include "counters/table.h"

static void help(void)
{
	printf("usage: clrsos counters [-p] <pid> [--counters <list>] [--refresh-interval <s>]\n"
	       "                       [--format csv|json [-o <file>]] [--duration <time>]\n\n"
	       "The runtime's counters of a live .NET process: GC heap size and generations, committed memory,\n"
	       "fragmentation, allocation rate, GC counts and pauses, working set, CPU, exceptions, thread pool,\n"
	       "lock contention. Shown like dotnet-counters monitor, or recorded like dotnet-counters collect.\n"
	       ".NET 9 and later: the System.Runtime meter; .NET 8: the System.Runtime EventCounters.\n\n"
	       "  -p, --process-id <pid>    the process (or the pid alone)\n"
	       "  --counters <list>         providers and counters, as dotnet-counters takes them:\n"
	       "                            System.Runtime[dotnet.gc.last_collection.heap.size,dotnet.gc.collections]\n"
	       "                            (default: System.Runtime)\n"
	       "  --refresh-interval <s>    seconds between values, a whole number (default 1)\n"
	       "  --format csv|json         record instead of showing, in dotnet-counters collect's formats\n"
	       "  -o, --output <file>       where to record (default ./counter.csv or ./counter.json)\n"
	       "  --duration <time>         stop after that long: dd:hh:mm:ss, or 30s, 5m, 2h (default: Ctrl-C)\n\n"
	       "A recording can be drawn with clrsos chart.\n");
}

struct counters_run {
	struct clrsos_counter_table table;
	struct clrsos_writer out;
	FILE *file;
	char format; /* 0 monitor, 'c', 'j' */
	struct clrsos_counters_json_recorder json;
	uint64_t recorded;
};

static struct clrsos_error *on_sample(void *ctx, const struct clrsos_counter_sample *sample)
{
	struct counters_run *run = ctx;
	struct clrsos_error *err = clrsos_counter_table_add(&run->table, sample);
	if (err || !run->format)
		return err;
	/* An EventCounter its provider's meter replaces is shown by neither tool. */
	const struct clrsos_counter_series *s =
		clrsos_counter_table_find(&run->table, sample->provider, sample->name, sample->tags);
	if (s && s->hidden)
		return NULL;
	if (run->format == 'c')
		clrsos_counters_csv_sample(&run->out, sample);
	else
		clrsos_counters_json_sample(&run->json, sample);
	run->recorded++;
	return NULL;
}

static unsigned terminal_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

static void show(struct clrsos_watch *watch, struct counters_run *run, bool tty, double interval)
{
	struct clrsos_name_buf nb, nb2;
	if (tty)
		fputs("\x1b[H\x1b[J", stdout);
	else {
		char when[64];
		clrsos_counters_format_iso_time(clrsos_watch_now(), when, sizeof(when));
		printf("--- %s\n", when);
	}
	printf("Process %d (%s), .NET %s; every %g s; Ctrl-C to quit\n", watch->endpoint.pid,
	       clrsos_safe_name(watch->name, &nb), clrsos_safe_name(watch->info.runtime_version, &nb2), interval);
	/* Beside the GC heap's counters below: whether growth is managed at all. */
	unsigned long long rss = clrsos_proc_resident_bytes(watch->endpoint.pid);
	if (rss)
		printf("Resident memory (VmRSS): %.1f MB\n\n", (double)rss / 1e6);
	else
		printf("Resident memory (VmRSS): unknown (/proc/%d/status cannot be read)\n\n", watch->endpoint.pid);
	if (!run->table.count)
		printf("Waiting for the first values...\n");
	else
		clrsos_counters_render_monitor(&run->out, &run->table, tty ? terminal_width() : 80);
	if (!tty)
		putchar('\n');
	fflush(stdout);
}

int clrsos_cli_counters(int argc, char **argv)
{
	int pid = 0;
	const char *spec = NULL, *format = NULL, *output = NULL;
	double interval = 1, duration = 0;
	struct clrsos_error *err = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help();
			return 0;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--process-id")) {
			if (!value || clrsos_cli_parse_pid(value, &pid))
				return clrsos_cli_usage_error("counters", "%s needs a process id", a);
			i++;
		} else if (!strcmp(a, "--counters")) {
			if (!value || !*value)
				return clrsos_cli_usage_error("counters", "--counters needs a list, e.g. System.Runtime");
			spec = argv[++i];
		} else if (!strcmp(a, "--refresh-interval")) {
			if (!value)
				return clrsos_cli_usage_error("counters", "--refresh-interval needs seconds");
			if ((err = clrsos_cli_parse_interval(a, argv[++i], &interval)))
				return clrsos_cli_fail("counters", err);
		} else if (!strcmp(a, "--format")) {
			if (!value || (strcasecmp(value, "csv") && strcasecmp(value, "json")))
				return clrsos_cli_usage_error("counters", "--format takes csv or json");
			format = argv[++i];
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (!value || !*value)
				return clrsos_cli_usage_error("counters", "%s needs a file", a);
			output = argv[++i];
		} else if (!strcmp(a, "--duration")) {
			if (!value)
				return clrsos_cli_usage_error("counters", "--duration needs a time, e.g. 30s or 00:00:05:00");
			if ((err = clrsos_cli_parse_duration(a, argv[++i], &duration)))
				return clrsos_cli_fail("counters", err);
		} else if (a[0] == '-') {
			return clrsos_cli_usage_error("counters", "unknown option '%s'", a);
		} else if (!pid) {
			if (clrsos_cli_parse_pid(a, &pid))
				return clrsos_cli_usage_error("counters", "'%s' is not a process id", a);
		} else {
			return clrsos_cli_usage_error("counters", "unexpected argument '%s'", a);
		}
	}
	if (!pid)
		return clrsos_cli_usage_error("counters", "which process? give its pid (clrsos ps lists them)");
	if (output && !format)
		return clrsos_cli_usage_error("counters", "-o records: say --format csv or --format json too");

	struct counters_run run = { .out = { clrsos_cli_write_file, stdout } };
	clrsos_counter_table_init(&run.table, 0);
	if (format) {
		run.format = strcasecmp(format, "csv") ? 'j' : 'c';
		if (!output)
			output = run.format == 'c' ? "counter.csv" : "counter.json";
	}

	clrsos_watch_signals();
	struct clrsos_watch watch;
	err = clrsos_watch_start(&watch, pid, spec, interval, on_sample, &run);
	if (err)
		goto out;
	double start = clrsos_watch_now();
	if (run.format) {
		if ((err = clrsos_cli_create_file(output, &run.file)))
			goto out;
		run.out = (struct clrsos_writer){ clrsos_cli_write_file, run.file };
		if (run.format == 'c')
			clrsos_counters_csv_header(&run.out);
		else
			clrsos_counters_json_begin(&run.json, &run.out, watch.name, start);
		struct clrsos_name_buf nb;
		fprintf(stderr, "Recording the counters of process %d to %s; Ctrl-C to stop\n", pid,
			clrsos_safe_name(output, &nb));
	}
	bool tty = !run.format && isatty(STDOUT_FILENO);
	double next = start + interval;
	if (!run.format)
		show(&watch, &run, tty, interval);
	for (;;) {
		double now = clrsos_watch_now();
		if (duration && now >= start + duration)
			break;
		double until = next;
		if (duration && start + duration < until)
			until = start + duration;
		int timeout = until > now ? (int)((until - now) * 1000) + 1 : 0;
		bool ended;
		if ((err = clrsos_watch_pump(&watch, timeout, &ended)) || ended)
			break;
		if (clrsos_watch_now() >= next) {
			if (!run.format)
				show(&watch, &run, tty, interval);
			else
				fflush(run.file);
			while (next <= clrsos_watch_now())
				next += interval;
		}
	}
	if (run.format) {
		if (run.format == 'j')
			clrsos_counters_json_end(&run.json);
		if (fflush(run.file) || ferror(run.file)) {
			struct clrsos_name_buf nb;
			clrsos_error_destroy(err);
			err = clrsos_error_create(CLRSOS_ERROR_IO, "writing %s failed: %s",
						  clrsos_safe_name(output, &nb), strerror(errno));
		} else {
			struct clrsos_name_buf nb;
			fprintf(stderr, "File saved to %s (%llu values)\n", clrsos_safe_name(output, &nb),
				(unsigned long long)run.recorded);
		}
	}
out:
	clrsos_watch_deinit(&watch);
	if (run.file)
		fclose(run.file);
	clrsos_counter_table_deinit(&run.table);
	if (err)
		return clrsos_cli_fail("counters", err);
	return 0;
}
