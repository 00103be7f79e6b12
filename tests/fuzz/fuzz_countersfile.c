/*
 * Counters recordings (tool/counters/countersfile.h): any bytes read as a
 * CSV or JSON recording into a small table, then drawn (the monitor view
 * and the SVG chart) and recorded again. Nothing may crash, leak or read
 * out of bounds; what was read back is charted without error unless
 * nothing was read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counters/countersfile.h"
#include "counters/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(void *ctx, const char *text, size_t n)
{
	size_t *total = ctx;
	*total += n;
	(void)text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clrsos_counter_table table;
	struct clrsos_countersfile_stats stats;
	clrsos_counter_table_init(&table, 16);
	struct clrsos_error *err = clrsos_countersfile_read((const char *)data, size, &table, &stats);
	size_t total = 0;
	struct clrsos_writer w = { discard, &total };
	if (!err) {
		if (!stats.rows)
			abort(); /* success means something was read */
		clrsos_counters_render_monitor(&w, &table, 80);
		struct clrsos_counters_chart_options o = { 0 };
		err = clrsos_counters_render_svg(&w, &table, &o);
		clrsos_error_destroy(err); /* every series may lack points? never: each row added one */
		clrsos_counters_csv_header(&w);
		for (size_t i = 0; i < table.count; i++)
			clrsos_counters_csv_sample(&w, &table.series[i]->last);
		err = NULL;
	}
	clrsos_error_destroy(err);
	clrsos_counter_table_deinit(&table);
	return 0;
}
