/*
 * Renderers of counters, in dotnet-counters' formats where it has one:
 *
 * - the monitor view (`counters`): a "Name ... Current Value" heading,
 *   then per provider "[Provider]", each counter's display name with its
 *   unit indented 4, its tag sets (if any) under it indented 8, values
 *   right-aligned in one column formatted as dotnet-counters does
 *   (thousands separators, up to 3 decimals, from 1e8 on as 1.2346e+08).
 *   The caller redraws it in place (ANSI: home, clear to end) on a
 *   terminal, or prints it once per refresh otherwise;
 * - the CSV recorder (`counters --format csv`): the header
 *   "Timestamp,Provider,Counter Name,Counter Type,Mean/Increment", then a
 *   row per sample: local time "MM/dd/yyyy HH:mm:ss", provider, display
 *   name with its tags in brackets (',' between tags becomes ';'),
 *   "Metric" or "Rate", the value in invariant culture;
 * - the JSON recorder (`--format json`): { "TargetProcess": ...,
 *   "StartTime": ..., "Events": [ { "timestamp", "provider", "name",
 *   "tags", "counterType", "meterTags", "instrumentTags", "value" } ...] },
 *   timestamps ISO 8601 local with offset and 7 fraction digits;
 * - an SVG chart of a table's history (`chart`): one panel per counter
 *   chosen, time on x, value and unit on y with ticks, marks (dumps) as
 *   labelled vertical lines.
 *
 * Text from the target (provider, counter and tag names) is escaped:
 * clrsos_safe_name for the monitor view, control characters and invalid
 * UTF-8 for CSV and JSON (CSV also turns a provider's ',' into ';'), and
 * XML-escaped as well in SVG. The writers never fail; the caller's writer
 * carries write errors.
 */
#ifndef CLRSOS_COUNTERS_RENDER_H
#define CLRSOS_COUNTERS_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/output.h"
#include "counters/sample.h"
#include "counters/table.h"

/* The value as dotnet-counters monitor shows it ("1,234.5  ", "7    ", "1.2346e+08   "), unpadded on the left. */
void clrsos_counters_format_value(double value, char *buf, size_t size);

/* The shortest text that reads back as value ("0.1", "1E+21" as .NET writes "R": here "1e+21"). */
void clrsos_counters_format_number(double value, char *buf, size_t size);

/* The monitor view, width columns wide (0: 80); every line ends "\n". */
void clrsos_counters_render_monitor(struct clrsos_writer *w, const struct clrsos_counter_table *table,
				    unsigned width);

void clrsos_counters_csv_header(struct clrsos_writer *w);
void clrsos_counters_csv_sample(struct clrsos_writer *w, const struct clrsos_counter_sample *sample);

/* The JSON recorder: begin once, a sample at a time, end once (the document is whole only after end). */
struct clrsos_counters_json_recorder {
	struct clrsos_writer *w;
	bool any;
};
void clrsos_counters_json_begin(struct clrsos_counters_json_recorder *r, struct clrsos_writer *w,
				const char *process_name, double start_time);
void clrsos_counters_json_sample(struct clrsos_counters_json_recorder *r, const struct clrsos_counter_sample *sample);
void clrsos_counters_json_end(struct clrsos_counters_json_recorder *r);

/* Times as the recorders write them (local time). */
void clrsos_counters_format_csv_time(double t, char *buf, size_t size);
void clrsos_counters_format_iso_time(double t, char *buf, size_t size);

struct clrsos_counters_chart_options {
	const char *title;        /* NULL: "clrsos counters" */
	const char *const *names; /* counters to chart: "name" (all its tag sets) or "name[tags]"; none: every shown */
	size_t name_count;
	unsigned width, panel_height; /* 0: 960 and 240 */
};

/*
 * An SVG document of table's history. CLRSOS_ERROR_INVALID_ARGUMENT when a
 * name matches no counter (the message lists some that exist) or the table
 * has no point to draw; nothing is written then.
 */
struct clrsos_error *clrsos_counters_render_svg(struct clrsos_writer *w, const struct clrsos_counter_table *table,
						const struct clrsos_counters_chart_options *options);

#endif
