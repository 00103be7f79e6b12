/*
 * The counters floor on what the runtime really writes: the nettrace
 * files of .NET 10 that tests/fuzz/seeds/nettrace/ holds (System.Runtime's
 * EventCounters; System.Diagnostics.Metrics for meter System.Runtime,
 * session "s1"), read by diag/nettrace.c and decoded through
 * counters/source.c. Built only where diag/nettrace.c is.
 *
 *   counters_nettrace <seeds dir>
 *
 * A fuzz seed's first byte sizes the fuzzer's split; the stream follows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "counters/countersfile.h"
#include "counters/render.h"
#include "counters/sample.h"
#include "counters/table.h"
#include "counters/trigger.h"
#include "diag/nettrace.h"

static const char *seeds;

struct run {
	struct clrsos_counters_session session;
	struct clrsos_counter_batch batch;
	struct clrsos_counter_table table;
	struct clrsos_trigger *trigger;
	size_t events, skipped, warnings, fired;
	double first, last;
};

static struct clrsos_error *on_event(void *ctx, const struct clrsos_nettrace_trace *trace,
				     const struct clrsos_nettrace_event *event)
{
	struct run *r = ctx;
	struct clrsos_counters_event ev;
	clrsos_counters_event_from_nettrace(trace, event, &ev);
	r->events++;
	struct clrsos_error *err = clrsos_counters_decode(&r->session, &ev, &r->batch, &r->skipped);
	for (size_t i = 0; !err && i < r->batch.samples.count; i++) {
		const struct clrsos_counter_sample *s = &r->batch.samples.items[i];
		if (!r->first || s->timestamp < r->first)
			r->first = s->timestamp;
		if (s->timestamp > r->last)
			r->last = s->timestamp;
		if (r->trigger && clrsos_trigger_feed(r->trigger, s))
			r->fired++;
		err = clrsos_counter_table_add(&r->table, s);
	}
	r->warnings += r->batch.warnings.count;
	clrsos_counter_batch_clear(&r->batch);
	return err;
}

static void run_file(struct run *r, const char *name, const char *session)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", seeds, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[4 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 1);
	r->session.session_id = session;
	clrsos_counter_batch_init(&r->batch);
	clrsos_counter_table_init(&r->table, 100);
	struct clrsos_nettrace_reader *reader = clrsos_nettrace_reader_create(on_event, r);
	assert_non_null(reader);
	struct clrsos_error *err = clrsos_nettrace_feed(reader, buf + 1, n - 1);
	if (err)
		fail_msg("%s: %s", name, err->message);
	clrsos_nettrace_reader_destroy(reader);
}

static void run_deinit(struct run *r)
{
	clrsos_counter_batch_deinit(&r->batch);
	clrsos_counter_table_deinit(&r->table);
}

static void test_nettrace__eventcounters(void **state)
{
	(void)state;
	struct clrsos_trigger low, high;
	assert_null(clrsos_trigger_init_gc_heap(&low, "1"));
	struct run r = { .trigger = &low };
	run_file(&r, "eventcounters-net10", NULL);
	assert_true(r.events > 20);
	assert_true(r.table.count >= 20);
	assert_int_equal(r.skipped, 0);
	struct clrsos_counter_series *s = clrsos_counter_table_find(&r.table, "System.Runtime", "gc-heap-size", "");
	assert_non_null(s);
	assert_string_equal(s->last.display_name, "GC Heap Size");
	assert_string_equal(s->last.unit, "MB");
	assert_int_equal(s->last.kind, CLRSOS_COUNTER_GAUGE);
	assert_true(s->last.value > 0.1 && s->last.value < 10000);
	s = clrsos_counter_table_find(&r.table, "System.Runtime", "exception-count", "");
	assert_non_null(s);
	assert_int_equal(s->last.kind, CLRSOS_COUNTER_RATE);
	assert_true(s->last.interval == 1);
	assert_non_null(clrsos_counter_table_find(&r.table, "System.Runtime", "cpu-usage", ""));
	/* Times: this decade, and the recording a few seconds long. */
	assert_true(r.first > 1.7e9 && r.first < 2.1e9);
	assert_true(r.last - r.first >= 0 && r.last - r.first < 600);
	assert_int_equal(r.fired, 1);
	clrsos_trigger_deinit(&low);

	run_deinit(&r);

	assert_null(clrsos_trigger_init_gc_heap(&high, "100000"));
	struct run r2 = { .trigger = &high };
	run_file(&r2, "eventcounters-net10", NULL);
	assert_int_equal(r2.fired, 0);
	clrsos_trigger_deinit(&high);
	run_deinit(&r2);
}

struct sink {
	char *text;
	size_t len, cap;
};

static void sink_write(void *ctx, const char *text, size_t n)
{
	struct sink *s = ctx;
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->text = realloc(s->text, s->cap);
		assert_non_null(s->text);
	}
	memcpy(s->text + s->len, text, n);
	s->len += n;
	s->text[s->len] = 0;
}

static void test_nettrace__metrics(void **state)
{
	(void)state;
	struct run r = { 0 };
	run_file(&r, "metrics-net10", "s1");
	assert_true(r.table.count >= 20);
	struct clrsos_counter_series *s = clrsos_counter_table_find(&r.table, "System.Runtime",
								     "dotnet.gc.last_collection.heap.size",
								     "gc.heap.generation=gen0");
	assert_non_null(s);
	assert_true(s->last.meter);
	assert_string_equal(s->last.unit, "By");
	s = clrsos_counter_table_find(&r.table, "System.Runtime", "dotnet.gc.heap.total_allocated", "");
	assert_non_null(s);
	assert_int_equal(s->last.kind, CLRSOS_COUNTER_SUM);
	assert_true(s->last.value > 100000);

	/* Every series recorded as CSV and JSON reads back. */
	struct sink csv = { 0 }, json = { 0 };
	struct clrsos_writer cw = { sink_write, &csv }, jw = { sink_write, &json };
	struct clrsos_counters_json_recorder rec;
	clrsos_counters_csv_header(&cw);
	clrsos_counters_json_begin(&rec, &jw, "HeapShapes", r.first);
	for (size_t i = 0; i < r.table.count; i++) {
		clrsos_counters_csv_sample(&cw, &r.table.series[i]->last);
		clrsos_counters_json_sample(&rec, &r.table.series[i]->last);
	}
	clrsos_counters_json_end(&rec);
	struct clrsos_countersfile_stats st;
	struct clrsos_counter_table back;
	clrsos_counter_table_init(&back, 10);
	assert_null(clrsos_countersfile_read(csv.text, csv.len, &back, &st));
	assert_int_equal(st.rows, r.table.count);
	assert_int_equal(back.count, r.table.count);
	clrsos_counter_table_deinit(&back);
	clrsos_counter_table_init(&back, 10);
	assert_null(clrsos_countersfile_read(json.text, json.len, &back, &st));
	assert_int_equal(st.rows, r.table.count);
	assert_int_equal(back.count, r.table.count);
	clrsos_counter_table_deinit(&back);
	free(csv.text);
	free(json.text);
	run_deinit(&r);

	/* Another session's: nothing of it is ours. */
	struct run other = { 0 };
	run_file(&other, "metrics-net10", "not-s1");
	assert_int_equal(other.table.count, 0);
	assert_true(other.events > 20);
	run_deinit(&other);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: counters_nettrace <seeds dir>\n");
		return 2;
	}
	seeds = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nettrace__eventcounters),
		cmocka_unit_test(test_nettrace__metrics),
	};
	return cmocka_run_group_tests_name("counters_nettrace", tests, NULL, NULL);
}
