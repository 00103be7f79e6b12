/*
 * clrsos chart: an SVG chart of a counters recording (`clrsos counters
 * --format csv|json`, dotnet-counters collect's files, or a trigger's
 * <dump>.counters.json), with moments marked (--mark: a dump's time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/output.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "counters/countersfile.h"
#include "counters/render.h"
#include "counters/table.h"

enum { MAX_NAMES = 64, MAX_POINTS = 100000 };

static void help(void)
{
	printf("usage: clrsos chart <recording.csv|.json> [-o <chart.svg>] [--counters <name>,...] [--title <text>]\n"
	       "                    [--mark <time>[=<label>]]...\n\n"
	       "Draws a counters recording as an SVG chart: one panel per counter, time across.\n\n"
	       "  -o, --output <file>   the chart (default: the recording's name with .svg)\n"
	       "  --counters <names>    which counters, comma-separated: a name (every tag set) or name[tags]\n"
	       "                        (default: every counter in the recording)\n"
	       "  --title <text>        the chart's title\n"
	       "  --mark <time>[=<l>]   a vertical line at that moment (ISO 8601, e.g. 2026-12-04T12:00:05Z,\n"
	       "                        or seconds since 1970), labelled; repeatable\n");
}

static int split_names(char *list, const char **names, size_t *count)
{
	/* Commas inside [tags] belong to the tags. */
	int depth = 0;
	char *start = list;
	for (char *p = list;; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth)
			depth--;
		else if ((*p == ',' && !depth) || !*p) {
			int end = !*p;
			*p = '\0';
			if (*start) {
				if (*count >= MAX_NAMES)
					return -1;
				names[(*count)++] = start;
			}
			if (end)
				break;
			start = p + 1;
		}
	}
	return 0;
}

static int parse_mark(const char *text, double *t, const char **label)
{
	const char *eq = strchr(text, '=');
	size_t n = eq ? (size_t)(eq - text) : strlen(text);
	*label = eq ? eq + 1 : "dump";
	char *end;
	double v = strtod(text, &end);
	if (end == text + n && n)
		return (*t = v) > 0 ? 0 : -1;
	return clrsos_countersfile_parse_time(text, n, t) ? 0 : -1;
}

int clrsos_cli_chart(int argc, char **argv)
{
	const char *input = NULL, *output = NULL, *title = NULL;
	const char *names[MAX_NAMES];
	size_t name_count = 0;
	double marks[MAX_NAMES];
	const char *labels[MAX_NAMES];
	size_t mark_count = 0;
	char *lists[MAX_NAMES];
	size_t list_count = 0;
	int status = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help();
			return 0;
		} else if (a[0] == '-' && !value) {
			return clrsos_cli_usage_error("chart", "%s needs a value", a);
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			output = argv[++i];
		} else if (!strcmp(a, "--title")) {
			title = argv[++i];
		} else if (!strcmp(a, "--counters")) {
			if (list_count >= MAX_NAMES || !(lists[list_count] = strdup(argv[++i])))
				goto too_many;
			if (split_names(lists[list_count++], names, &name_count))
				goto too_many;
		} else if (!strcmp(a, "--mark")) {
			if (mark_count >= MAX_NAMES)
				goto too_many;
			if (parse_mark(argv[++i], &marks[mark_count], &labels[mark_count])) {
				status = clrsos_cli_usage_error("chart", "--mark '%s': write an ISO 8601 time "
								"(2026-12-04T12:00:05Z) or seconds since 1970", argv[i]);
				goto done;
			}
			mark_count++;
		} else if (a[0] == '-') {
			status = clrsos_cli_usage_error("chart", "unknown option '%s'", a);
			goto done;
		} else if (!input) {
			input = a;
		} else {
			status = clrsos_cli_usage_error("chart", "unexpected argument '%s'", a);
			goto done;
		}
	}
	if (!input) {
		status = clrsos_cli_usage_error("chart", "which recording? give a .csv or .json file");
		goto done;
	}

	char *derived = NULL;
	if (!output) {
		const char *dot = strrchr(input, '.');
		const char *slash = strrchr(input, '/');
		size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - input) : strlen(input);
		if (asprintf(&derived, "%.*s.svg", (int)stem, input) < 0) {
			status = clrsos_cli_fail("chart", &clrsos_error_no_memory);
			goto done;
		}
		output = derived;
	}
	struct clrsos_counter_table table;
	clrsos_counter_table_init(&table, MAX_POINTS);
	struct clrsos_countersfile_stats stats;
	struct clrsos_error *err = clrsos_countersfile_load(input, &table, &stats);
	for (size_t i = 0; !err && i < mark_count; i++)
		err = clrsos_counter_table_mark(&table, marks[i], labels[i]);
	FILE *f = NULL;
	if (!err)
		err = clrsos_cli_create_file(output, &f);
	if (!err) {
		struct clrsos_writer w = { clrsos_cli_write_file, f };
		struct clrsos_counters_chart_options opts = { .title = title, .names = names, .name_count = name_count };
		err = clrsos_counters_render_svg(&w, &table, &opts);
		int bad = fflush(f) || ferror(f);
		fclose(f);
		if (!err && bad)
			err = clrsos_error_create(CLRSOS_ERROR_IO, "writing the chart failed");
		if (err)
			remove(output);
	}
	struct clrsos_name_buf nb;
	if (!err) {
		printf("Chart of %zu counters, %zu values", table.count, stats.rows);
		if (stats.skipped)
			printf(" (%zu rows skipped: not values)", stats.skipped);
		if (stats.truncated)
			printf(" (the recording ends early)");
		printf(", written to %s\n", clrsos_safe_name(output, &nb));
		status = 0;
	} else {
		status = clrsos_cli_fail("chart", err);
	}
	clrsos_counter_table_deinit(&table);
	free(derived);
	goto done;
too_many:
	status = clrsos_cli_usage_error("chart", "too many --counters or --mark (at most %d)", MAX_NAMES);
done:
	for (size_t i = 0; i < list_count; i++)
		free(lists[i]);
	return status;
}
