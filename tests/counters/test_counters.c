/*
 * Unit tests of tool/counters/: the --counters syntax, the providers a
 * session enables, decoding hand-built EventCounters and Metrics events,
 * the table, the renderers and recorders (exact text), reading recordings
 * back (also hostile ones), the SVG chart and the trigger's state machine.
 *
 *   counters_unit               run the tests
 *   counters_unit --svg DIR     write sample charts into DIR (for check_svg.py)
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "counters/countersfile.h"
#include "counters/providers.h"
#include "counters/render.h"
#include "counters/sample.h"
#include "counters/spec.h"
#include "counters/table.h"
#include "counters/trigger.h"
#include "fake_event.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* 2026-12-04 12:00:00 UTC; the tests run with TZ=UTC. */
static const double T0 = 1796385600.0;

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

#define SINK(name) struct sink name = { 0 }; struct clrsos_writer name##_w = { sink_write, &name }

static void expect_error(struct clrsos_error *err, const char *part)
{
	assert_non_null(err);
	if (!strstr(err->message, part))
		fail_msg("error '%s' does not say '%s'", err->message, part);
	clrsos_error_destroy(err);
}

/* ---- spec ---- */

static void test_spec__default_is_system_runtime(void **state)
{
	(void)state;
	struct clrsos_counter_spec spec;
	assert_null(clrsos_counter_spec_parse(NULL, &spec));
	assert_int_equal(spec.count, 1);
	assert_string_equal(spec.groups[0].provider, "System.Runtime");
	assert_int_equal(spec.groups[0].counter_count, 0);
	assert_true(clrsos_counter_spec_match(&spec, "System.Runtime", "anything"));
	assert_false(clrsos_counter_spec_match(&spec, "Other", "anything"));
	clrsos_counter_spec_deinit(&spec);
}

static void test_spec__lists_and_merges(void **state)
{
	(void)state;
	struct clrsos_counter_spec spec;
	assert_null(clrsos_counter_spec_parse(
		"System.Runtime[dotnet.gc.heap.total_allocated, dotnet.gc.last_collection.heap.size],"
		" Microsoft.AspNetCore.Hosting,System.Runtime[gc-heap-size,cpu-usage]",
		&spec));
	assert_int_equal(spec.count, 2);
	const struct clrsos_counter_group *g = &spec.groups[0];
	assert_string_equal(g->provider, "System.Runtime");
	assert_int_equal(g->counter_count, 4);
	assert_string_equal(g->counters[0], "dotnet.gc.heap.total_allocated");
	assert_string_equal(g->counters[1], "dotnet.gc.last_collection.heap.size");
	assert_string_equal(g->counters[3], "cpu-usage");
	assert_string_equal(spec.groups[1].provider, "Microsoft.AspNetCore.Hosting");
	assert_true(clrsos_counter_spec_match(&spec, "System.Runtime", "gc-heap-size"));
	assert_false(clrsos_counter_spec_match(&spec, "System.Runtime", "threadpool-queue-length"));
	assert_true(clrsos_counter_spec_match(&spec, "Microsoft.AspNetCore.Hosting", "x"));
	clrsos_counter_spec_deinit(&spec);

	/* A list, then the whole provider: all of it. */
	assert_null(clrsos_counter_spec_parse("System.Runtime[a],System.Runtime", &spec));
	assert_int_equal(spec.count, 1);
	assert_int_equal(spec.groups[0].counter_count, 0);
	clrsos_counter_spec_deinit(&spec);

	assert_null(clrsos_counter_spec_parse("EventCounters\\System.Runtime[gc-heap-size]", &spec));
	assert_true(spec.groups[0].eventcounters_only);
	assert_string_equal(spec.groups[0].provider, "System.Runtime");
	clrsos_counter_spec_deinit(&spec);
}

static void test_spec__errors(void **state)
{
	(void)state;
	struct clrsos_counter_spec spec;
	expect_error(clrsos_counter_spec_parse("System.Runtime[a,b", &spec), "no closing ']'");
	expect_error(clrsos_counter_spec_parse("A,,B", &spec), "empty provider");
	expect_error(clrsos_counter_spec_parse(",A", &spec), "empty provider");
	expect_error(clrsos_counter_spec_parse("A,", &spec), "empty provider");
	expect_error(clrsos_counter_spec_parse("A[x]y", &spec), "unexpected characters");
	expect_error(clrsos_counter_spec_parse("A[x][y]", &spec), "unexpected characters");
	expect_error(clrsos_counter_spec_parse("[x]", &spec), "expected a provider name");
	expect_error(clrsos_counter_spec_parse("A],B", &spec), "expected a provider name");
	expect_error(clrsos_counter_spec_parse("A,EventCounters\\A", &spec), "both with and without");
	assert_null(spec.groups);
}

/* ---- providers ---- */

static void test_providers__net9_meter_and_eventcounters(void **state)
{
	(void)state;
	struct clrsos_counter_spec spec;
	struct clrsos_counters_providers p;
	int major;
	assert_null(clrsos_counters_runtime_major("9.0.11", &major));
	assert_int_equal(major, 9);
	assert_null(clrsos_counter_spec_parse("System.Runtime", &spec));
	assert_null(clrsos_counters_providers_build(&spec, major, 1, "c1d2", &p));
	assert_int_equal(p.count, 2);
	assert_string_equal(p.items[0].name, "System.Runtime");
	assert_int_equal(p.items[0].keywords, 0);
	assert_int_equal(p.items[0].level, 4);
	assert_string_equal(p.items[0].arguments, "EventCounterIntervalSec=1");
	assert_string_equal(p.items[1].name, "System.Diagnostics.Metrics");
	assert_int_equal(p.items[1].keywords, 2);
	assert_string_equal(p.items[1].arguments, "SessionId=SHARED;Metrics=System.Runtime;RefreshInterval=1;"
						  "MaxTimeSeries=1000;MaxHistograms=10;ClientId=c1d2");
	assert_string_equal(p.session_id, "SHARED");
	clrsos_counters_providers_deinit(&p);
	clrsos_counter_spec_deinit(&spec);
}

static void test_providers__net8_and_others(void **state)
{
	(void)state;
	struct clrsos_counter_spec spec;
	struct clrsos_counters_providers p;
	int major;
	assert_null(clrsos_counters_runtime_major("8.0.22", &major));
	assert_null(clrsos_counter_spec_parse("System.Runtime", &spec));
	expect_error(clrsos_counters_providers_build(&spec, major, 2.5, NULL, &p), "whole seconds");
	assert_null(clrsos_counters_providers_build(&spec, major, 5, NULL, &p));
	assert_int_equal(p.count, 1);
	assert_string_equal(p.items[0].arguments, "EventCounterIntervalSec=5");
	assert_string_equal(p.session_id, "");
	clrsos_counters_providers_deinit(&p);
	clrsos_counter_spec_deinit(&spec);

	assert_null(clrsos_counter_spec_parse("System.Runtime,Microsoft.AspNetCore.Hosting,EventCounters\\Foo", &spec));
	assert_null(clrsos_counters_providers_build(&spec, 8, 1, NULL, &p));
	assert_int_equal(p.count, 4);
	assert_string_equal(p.items[3].name, "System.Diagnostics.Metrics");
	assert_non_null(strstr(p.items[3].arguments, ";Metrics=Microsoft.AspNetCore.Hosting;"));
	assert_int_equal(strlen(p.client_id), 36); /* a new GUID */
	clrsos_counters_providers_deinit(&p);
	/* Before 8: no shared session; the session id is ours. */
	assert_null(clrsos_counters_providers_build(&spec, 7, 1, "abc", &p));
	assert_string_equal(p.session_id, "abc");
	clrsos_counters_providers_deinit(&p);
	clrsos_counter_spec_deinit(&spec);

	expect_error(clrsos_counters_runtime_major("x9", &major), "not a runtime version");
	assert_null(clrsos_counters_runtime_major("10.0.0-rc.2.25502.107", &major));
	assert_int_equal(major, 10);
	assert_null(clrsos_counter_spec_parse("A=B", &spec));
	expect_error(clrsos_counters_providers_build(&spec, 9, 1, NULL, &p), "cannot be asked for");
	expect_error(clrsos_counters_providers_build(&spec, 9, 0, NULL, &p), "refresh interval");
	clrsos_counter_spec_deinit(&spec);
}

/* ---- decoding ---- */

static const struct clrsos_counters_session our_session = { .session_id = "SHARED", .client_id = "me" };

static struct clrsos_counter_sample *decode(struct clrsos_counter_batch *b, const char *provider, const char *name,
					    unsigned version, const struct fake_field *fields, size_t count)
{
	struct fake_event fake;
	struct clrsos_counters_event ev;
	fake_event_init(&fake, &ev, provider, name, version, T0 + 1, fields, count);
	size_t skipped = 0;
	assert_null(clrsos_counters_decode(&our_session, &ev, b, &skipped));
	return b->samples.count ? &b->samples.items[0] : NULL;
}

static void test_decode__eventcounter_mean_and_sum(void **state)
{
	(void)state;
	struct clrsos_counter_batch b;
	clrsos_counter_batch_init(&b);
	static const struct fake_field mean[] = {
		FS("Payload.Name", "gc-heap-size"), FS("Payload.DisplayName", "GC Heap Size"), FD("Payload.Mean", 42.5),
		FD("Payload.StandardDeviation", 0), FI("Payload.Count", 1), FF("Payload.IntervalSec", 1.0001),
		FS("Payload.Series", "Interval=1000"), FS("Payload.CounterType", "Mean"), FS("Payload.Metadata", ""),
		FS("Payload.DisplayUnits", "MB"),
	};
	struct clrsos_counter_sample *s = decode(&b, "System.Runtime", "EventCounters", 0, mean, N(mean));
	assert_non_null(s);
	assert_string_equal(s->provider, "System.Runtime");
	assert_string_equal(s->name, "gc-heap-size");
	assert_string_equal(s->display_name, "GC Heap Size");
	assert_string_equal(s->unit, "MB");
	assert_string_equal(s->tags, "");
	assert_int_equal(s->kind, CLRSOS_COUNTER_GAUGE);
	assert_false(s->meter);
	assert_true(s->value == 42.5);
	assert_true(s->timestamp == T0 + 1);
	char buf[200];
	assert_string_equal(clrsos_counter_sample_display(s, buf, sizeof(buf)), "GC Heap Size (MB)");
	clrsos_counter_batch_clear(&b);

	static const struct fake_field sum[] = {
		FS("Payload.Name", "exception-count"), FS("Payload.DisplayName", "Exception Count"),
		FS("Payload.DisplayRateTimeScale", "00:00:01"), FD("Payload.Increment", 3), FF("Payload.IntervalSec", 1.02f),
		FS("Payload.Series", "Interval=1000"), FS("Payload.CounterType", "Sum"), FS("Payload.DisplayUnits", ""),
	};
	s = decode(&b, "System.Runtime", "EventCounters", 0, sum, N(sum));
	assert_non_null(s);
	assert_int_equal(s->kind, CLRSOS_COUNTER_RATE);
	assert_true(s->value == 3);
	assert_true(s->interval == 1);
	assert_string_equal(clrsos_counter_sample_display(s, buf, sizeof(buf)), "Exception Count (Count / 1 sec)");
	clrsos_counter_batch_clear(&b);

	/* No value field: skipped, not an error. */
	static const struct fake_field broken[] = { FS("Payload.Name", "x"), FS("Payload.CounterType", "Mean") };
	assert_null(decode(&b, "System.Runtime", "EventCounters", 0, broken, N(broken)));
	clrsos_counter_batch_deinit(&b);
}

static void test_decode__metrics_events(void **state)
{
	(void)state;
	struct clrsos_counter_batch b;
	clrsos_counter_batch_init(&b);
	static const struct fake_field gauge[] = {
		FS("sessionId", "SHARED"), FS("meterName", "System.Runtime"), FS("meterVersion", ""),
		FS("instrumentName", "dotnet.gc.last_collection.heap.size"), FS("unit", "By"),
		FS("tags", "gc.heap.generation=gen0"), FS("lastValue", "1234567"), FI("instrumentId", 7),
	};
	struct clrsos_counter_sample *s = decode(&b, "System.Diagnostics.Metrics", "GaugeValuePublished", 2, gauge,
						 N(gauge));
	assert_non_null(s);
	assert_string_equal(s->provider, "System.Runtime");
	assert_string_equal(s->name, "dotnet.gc.last_collection.heap.size");
	assert_string_equal(s->unit, "By");
	assert_string_equal(s->tags, "gc.heap.generation=gen0");
	assert_true(s->meter);
	assert_int_equal(s->kind, CLRSOS_COUNTER_GAUGE);
	assert_true(s->value == 1234567);
	clrsos_counter_batch_clear(&b);

	static const struct fake_field counter[] = {
		FS("sessionId", "SHARED"), FS("meterName", "System.Runtime"), FS("meterVersion", ""),
		FS("instrumentName", "dotnet.gc.heap.total_allocated"), FS("unit", "By"), FS("tags", ""),
		FS("rate", "1048576"), FS("value", "9.5E+09"),
	};
	s = decode(&b, "System.Diagnostics.Metrics", "CounterRateValuePublished", 1, counter, N(counter));
	assert_non_null(s);
	assert_int_equal(s->kind, CLRSOS_COUNTER_SUM);
	assert_true(s->value == 9.5e9);
	assert_true(s->has_rate && s->rate == 1048576);
	clrsos_counter_batch_clear(&b);

	static const struct fake_field updown[] = {
		FS("sessionId", "SHARED"), FS("meterName", "M"), FS("instrumentName", "queue"), FS("unit", ""),
		FS("tags", ""), FS("rate", ""), FS("value", "-3"),
	};
	s = decode(&b, "System.Diagnostics.Metrics", "UpDownCounterRateValuePublished", 1, updown, N(updown));
	assert_non_null(s);
	assert_int_equal(s->kind, CLRSOS_COUNTER_UPDOWN);
	assert_true(s->value == -3);
	assert_false(s->has_rate);
	clrsos_counter_batch_clear(&b);

	static const struct fake_field histogram[] = {
		FS("sessionId", "SHARED"), FS("meterName", "Microsoft.AspNetCore.Hosting"),
		FS("instrumentName", "http.server.request.duration"), FS("unit", "s"), FS("tags", "http.route=/"),
		FS("quantiles", "0.5=0.012;0.95=0.25;junk;0.99=x;0.99=0.5"), FI("count", 10), FD("sum", 1.5),
	};
	decode(&b, "System.Diagnostics.Metrics", "HistogramValuePublished", 1, histogram, N(histogram));
	assert_int_equal(b.samples.count, 3);
	assert_string_equal(b.samples.items[0].tags, "http.route=/,Percentile=50");
	assert_true(b.samples.items[0].value == 0.012);
	assert_string_equal(b.samples.items[1].tags, "http.route=/,Percentile=95");
	assert_string_equal(b.samples.items[2].tags, "http.route=/,Percentile=99");
	assert_int_equal(b.samples.items[2].kind, CLRSOS_COUNTER_PERCENTILE);
	clrsos_counter_batch_clear(&b);

	/* Another session's events, an empty gauge: nothing. */
	static const struct fake_field other[] = {
		FS("sessionId", "someone-else"), FS("meterName", "System.Runtime"), FS("instrumentName", "x"),
		FS("unit", ""), FS("tags", ""), FS("lastValue", "1"),
	};
	assert_null(decode(&b, "System.Diagnostics.Metrics", "GaugeValuePublished", 0, other, N(other)));
	static const struct fake_field empty[] = {
		FS("sessionId", "SHARED"), FS("meterName", "System.Runtime"), FS("instrumentName", "x"),
		FS("unit", ""), FS("tags", ""), FS("lastValue", ""),
	};
	assert_null(decode(&b, "System.Diagnostics.Metrics", "GaugeValuePublished", 0, empty, N(empty)));
	/* Not the Metrics provider: not a meter's event. */
	assert_null(decode(&b, "Some.Other", "GaugeValuePublished", 0, gauge, N(gauge)));
	assert_int_equal(b.warnings.count, 0);
	clrsos_counter_batch_deinit(&b);
}

static void test_decode__metrics_warnings(void **state)
{
	(void)state;
	struct clrsos_counter_batch b;
	clrsos_counter_batch_init(&b);
	static const struct fake_field limit[] = { FS("sessionId", "SHARED") };
	decode(&b, "System.Diagnostics.Metrics", "TimeSeriesLimitReached", 0, limit, N(limit));
	static const struct fake_field hlimit[] = { FS("sessionId", "SHARED") };
	decode(&b, "System.Diagnostics.Metrics", "HistogramLimitReached", 0, hlimit, N(hlimit));
	static const struct fake_field error[] = { FS("sessionId", "SHARED"), FS("errorMessage", "boom\nline") };
	decode(&b, "System.Diagnostics.Metrics", "Error", 0, error, N(error));
	static const struct fake_field multi_ours[] = { FS("runningSessionId", "SHARED") };
	decode(&b, "System.Diagnostics.Metrics", "MultipleSessionsNotSupportedError", 0, multi_ours, N(multi_ours));
	static const struct fake_field multi[] = { FS("runningSessionId", "abc") };
	decode(&b, "System.Diagnostics.Metrics", "MultipleSessionsNotSupportedError", 0, multi, N(multi));
	static const struct fake_field conf[] = { FS("clientId", "me"), FS("expectedMaxHistograms", "10") };
	decode(&b, "System.Diagnostics.Metrics", "MultipleSessionsConfiguredIncorrectlyError", 0, conf, N(conf));
	static const struct fake_field conf_other[] = { FS("clientId", "you") };
	decode(&b, "System.Diagnostics.Metrics", "MultipleSessionsConfiguredIncorrectlyError", 0, conf_other,
	       N(conf_other));
	assert_int_equal(b.samples.count, 0);
	assert_int_equal(b.warnings.count, 5);
	assert_non_null(strstr(b.warnings.items[0], "time-series limit (1000)"));
	assert_non_null(strstr(b.warnings.items[1], "histogram limit (10)"));
	assert_non_null(strstr(b.warnings.items[2], "boom\nline"));
	assert_non_null(strstr(b.warnings.items[3], "another tool's metrics session"));
	assert_non_null(strstr(b.warnings.items[4], "other settings"));
	clrsos_counter_batch_deinit(&b);
}

static void test_decode__numbers(void **state)
{
	(void)state;
	double v;
	assert_true(clrsos_counters_parse_number("12.5", &v) && v == 12.5);
	assert_true(clrsos_counters_parse_number("-1E-05", &v) && v == -1e-5);
	assert_true(clrsos_counters_parse_number(".5", &v) && v == 0.5);
	assert_false(clrsos_counters_parse_number("", &v));
	assert_false(clrsos_counters_parse_number("NaN", &v));
	assert_false(clrsos_counters_parse_number("Infinity", &v));
	assert_false(clrsos_counters_parse_number("1e999", &v));
	assert_false(clrsos_counters_parse_number("0x10", &v));
	assert_false(clrsos_counters_parse_number("1,5", &v));
	assert_false(clrsos_counters_parse_number("12abc", &v));
}

/* ---- table ---- */

static struct clrsos_counter_sample mk(const char *provider, const char *name, const char *unit, const char *tags,
				       bool meter, double t, double v)
{
	return (struct clrsos_counter_sample){
		.provider = (char *)provider, .name = (char *)name, .display_name = (char *)name, .unit = (char *)unit,
		.tags = (char *)tags, .meter = meter, .timestamp = t, .value = v, .kind = CLRSOS_COUNTER_GAUGE,
	};
}

struct order {
	char text[1024];
};

static bool collect_order(void *ctx, const struct clrsos_counter_series *s, bool first)
{
	struct order *o = ctx;
	size_t n = strlen(o->text);
	snprintf(o->text + n, sizeof(o->text) - n, "%s%s/%s%s%s;", first ? "|" : "", s->last.provider, s->last.name,
		 *s->last.tags ? "#" : "", s->last.tags);
	return true;
}

static void test_table__order_counts_hidden(void **state)
{
	(void)state;
	struct clrsos_counter_table t;
	clrsos_counter_table_init(&t, 100);
	struct clrsos_counter_sample s;
	s = mk("B", "b1", "", "", false, T0, 1);
	assert_null(clrsos_counter_table_add(&t, &s));
	s = mk("System.Runtime", "gc-heap-size", "MB", "", false, T0, 10);
	assert_null(clrsos_counter_table_add(&t, &s));
	s = mk("B", "b2", "", "k=v", false, T0, 2);
	assert_null(clrsos_counter_table_add(&t, &s));
	s = mk("B", "b1", "", "", false, T0 + 1, 3);
	assert_null(clrsos_counter_table_add(&t, &s));
	struct order o = { "" };
	clrsos_counter_table_visit(&t, false, collect_order, &o);
	assert_string_equal(o.text, "|B/b1;B/b2#k=v;|System.Runtime/gc-heap-size;");
	struct clrsos_counter_series *b1 = clrsos_counter_table_find(&t, "B", "b1", "");
	assert_non_null(b1);
	assert_int_equal(b1->count, 2);
	assert_true(b1->last.value == 3);
	assert_int_equal(b1->point_count, 2);
	assert_int_equal(t.samples, 4);

	/* The runtime's Meter arrives: its EventCounters leave the view, not the table. */
	s = mk("System.Runtime", "dotnet.gc.heap.total_allocated", "By", "", true, T0 + 1, 5);
	assert_null(clrsos_counter_table_add(&t, &s));
	s = mk("System.Runtime", "gc-heap-size", "MB", "", false, T0 + 2, 11);
	assert_null(clrsos_counter_table_add(&t, &s));
	o.text[0] = 0;
	clrsos_counter_table_visit(&t, false, collect_order, &o);
	assert_string_equal(o.text, "|B/b1;B/b2#k=v;|System.Runtime/dotnet.gc.heap.total_allocated;");
	o.text[0] = 0;
	clrsos_counter_table_visit(&t, true, collect_order, &o);
	assert_string_equal(o.text,
			    "|B/b1;B/b2#k=v;|System.Runtime/gc-heap-size;System.Runtime/dotnet.gc.heap.total_allocated;");
	assert_true(clrsos_counter_table_find(&t, "System.Runtime", "gc-heap-size", "")->last.value == 11);
	clrsos_counter_table_deinit(&t);
}

static void test_table__history_is_bounded(void **state)
{
	(void)state;
	struct clrsos_counter_table t;
	clrsos_counter_table_init(&t, 8);
	for (int i = 0; i < 1000; i++) {
		struct clrsos_counter_sample s = mk("P", "c", "", "", false, T0 + i, i);
		assert_null(clrsos_counter_table_add(&t, &s));
	}
	struct clrsos_counter_series *s = clrsos_counter_table_find(&t, "P", "c", "");
	assert_true(s->point_count <= 8 && s->point_count >= 4);
	assert_true(s->points[0].t == T0);                   /* the start kept */
	assert_true(s->points[s->point_count - 1].t >= T0 + 800); /* and reaching near the end */
	for (size_t i = 1; i < s->point_count; i++)
		assert_true(s->points[i].t > s->points[i - 1].t);
	assert_int_equal(s->count, 1000);
	clrsos_counter_table_deinit(&t);

	/* So is the number of series. */
	clrsos_counter_table_init(&t, 8);
	char name[32];
	for (int i = 0; i <= CLRSOS_COUNTER_TABLE_MAX_SERIES; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		struct clrsos_counter_sample x = mk("P", name, "", "", false, T0, i);
		assert_null(clrsos_counter_table_add(&t, &x));
	}
	assert_int_equal(t.count, CLRSOS_COUNTER_TABLE_MAX_SERIES);
	assert_int_equal(t.dropped, 1);
	assert_null(clrsos_counter_table_find(&t, "P", name, ""));
	clrsos_counter_table_deinit(&t);
}

/* ---- rendering and recording ---- */

static void test_render__values(void **state)
{
	(void)state;
	char b[64];
	clrsos_counters_format_value(1234567.5, b, sizeof(b));
	assert_string_equal(b, "1,234,567.5  ");
	clrsos_counters_format_value(7, b, sizeof(b));
	assert_string_equal(b, "7    ");
	clrsos_counters_format_value(-0.1234, b, sizeof(b));
	assert_string_equal(b, "-0.123");
	clrsos_counters_format_value(0.0001, b, sizeof(b));
	assert_string_equal(b, "0    ");
	clrsos_counters_format_value(123456789, b, sizeof(b));
	assert_string_equal(b, "1.2346e+08   ");
	clrsos_counters_format_value(-2e10, b, sizeof(b));
	assert_string_equal(b, "-2e+10   ");
	clrsos_counters_format_number(0.1, b, sizeof(b));
	assert_string_equal(b, "0.1");
	clrsos_counters_format_number(1e21, b, sizeof(b));
	assert_string_equal(b, "1E+21");
	clrsos_counters_format_number(1234567, b, sizeof(b));
	assert_string_equal(b, "1234567");
}

static void fill_view_table(struct clrsos_counter_table *t)
{
	struct clrsos_counter_sample s;
	clrsos_counter_table_init(t, 100);
	s = mk("System.Runtime", "dotnet.gc.heap.total_allocated", "By", "", true, T0, 1234567.5);
	assert_null(clrsos_counter_table_add(t, &s));
	s = mk("System.Runtime", "dotnet.gc.last_collection.heap.size", "By", "gc.heap.generation=gen0", true, T0, 1000);
	assert_null(clrsos_counter_table_add(t, &s));
	s = mk("Evil\x1b[2J", "x", "", "", false, T0, 3e9);
	assert_null(clrsos_counter_table_add(t, &s));
	s = mk("System.Runtime", "dotnet.gc.last_collection.heap.size", "By", "gc.heap.generation=gen1", true, T0, 2.25);
	assert_null(clrsos_counter_table_add(t, &s));
}

static void test_render__monitor(void **state)
{
	(void)state;
	struct clrsos_counter_table t;
	fill_view_table(&t);
	SINK(out);
	clrsos_counters_render_monitor(&out_w, &t, 60);
	char expect[4096];
	snprintf(expect, sizeof(expect),
		 "%-44s %15s\n"
		 "[System.Runtime]\n"
		 "%-44s %15s\n"
		 "    dotnet.gc.last_collection.heap.size (By)\n"
		 "%-44s %15s\n"
		 "%-44s %15s\n"
		 "[Evil\\u001B[2J]\n"
		 "%-44s %15s\n",
		 "Name", "Current Value", "    dotnet.gc.heap.total_allocated (By)", "1,234,567.5  ",
		 "        gc.heap.generation=gen0", "1,000    ", "        gc.heap.generation=gen1", "2.25 ", "    x",
		 "3e+09   ");
	assert_string_equal(out.text, expect);
	free(out.text);
	clrsos_counter_table_deinit(&t);
}

static void test_render__csv_and_json_exact(void **state)
{
	(void)state;
	struct clrsos_counter_sample a = mk("System.Runtime", "dotnet.x", "By", "a=1,b=2", true, T0 + 1.5, 0.1);
	struct clrsos_counter_sample r = mk("A,B", "gc-count", "", "", false, T0 + 2, 3);
	r.display_name = "GC Count";
	r.kind = CLRSOS_COUNTER_RATE;
	r.interval = 1;
	SINK(csv);
	clrsos_counters_csv_header(&csv_w);
	clrsos_counters_csv_sample(&csv_w, &a);
	clrsos_counters_csv_sample(&csv_w, &r);
	assert_string_equal(csv.text, "Timestamp,Provider,Counter Name,Counter Type,Mean/Increment\n"
				      "12/04/2026 12:00:01,System.Runtime,dotnet.x (By)[a=1;b=2],Metric,0.1\n"
				      "12/04/2026 12:00:02,A;B,GC Count (Count / 1 sec),Rate,3\n");
	SINK(json);
	struct clrsos_counters_json_recorder rec;
	clrsos_counters_json_begin(&rec, &json_w, "Spik\"er", T0);
	clrsos_counters_json_sample(&rec, &a);
	struct clrsos_counter_sample bad = mk("P", "n\x01\xff", "", "", true, T0 + 3, -2);
	clrsos_counters_json_sample(&rec, &bad);
	clrsos_counters_json_end(&rec);
	assert_string_equal(json.text,
			    "{ \"TargetProcess\": \"Spik\\\"er\", \"StartTime\": \"2026-12-04T12:00:00.0000000+00:00\", "
			    "\"Events\": [{ \"timestamp\": \"2026-12-04T12:00:01.5000000+00:00\",  \"provider\": "
			    "\"System.Runtime\",  \"name\": \"dotnet.x (By)\",  \"tags\": \"a=1,b=2\",  \"counterType\": "
			    "\"Metric\",  \"meterTags\": \"\",  \"instrumentTags\": \"\",  \"value\": 0.1 },"
			    "{ \"timestamp\": \"2026-12-04T12:00:03.0000000+00:00\",  \"provider\": \"P\",  \"name\": "
			    "\"n\\u0001\\ufffd\",  \"tags\": \"\",  \"counterType\": \"Metric\",  \"meterTags\": \"\",  "
			    "\"instrumentTags\": \"\",  \"value\": -2 }]}\n");

	/* Both read back. */
	struct clrsos_counter_table t;
	struct clrsos_countersfile_stats st;
	clrsos_counter_table_init(&t, 100);
	assert_null(clrsos_countersfile_read(csv.text, csv.len, &t, &st));
	assert_int_equal(st.format, 'c');
	assert_int_equal(st.rows, 2);
	assert_int_equal(st.skipped, 0);
	struct clrsos_counter_series *s = clrsos_counter_table_find(&t, "System.Runtime", "dotnet.x", "a=1,b=2");
	assert_non_null(s);
	assert_string_equal(s->last.unit, "By");
	assert_true(s->last.value == 0.1);
	assert_true(s->last.timestamp == T0 + 1);
	s = clrsos_counter_table_find(&t, "A;B", "GC Count", "");
	assert_non_null(s);
	assert_int_equal(s->last.kind, CLRSOS_COUNTER_RATE);
	assert_string_equal(s->last.unit, "Count");
	assert_true(s->last.interval == 1);
	clrsos_counter_table_deinit(&t);

	clrsos_counter_table_init(&t, 100);
	assert_null(clrsos_countersfile_read(json.text, json.len, &t, &st));
	assert_int_equal(st.format, 'j');
	assert_int_equal(st.rows, 2);
	assert_false(st.truncated);
	s = clrsos_counter_table_find(&t, "System.Runtime", "dotnet.x", "a=1,b=2");
	assert_non_null(s);
	assert_true(s->last.timestamp == T0 + 1.5);
	s = clrsos_counter_table_find(&t, "P", "n\x01\xef\xbf\xbd", "");
	assert_non_null(s);
	assert_true(s->last.value == -2);
	clrsos_counter_table_deinit(&t);
	free(csv.text);
	free(json.text);
}

static void test_countersfile__dotnet_counters_files(void **state)
{
	(void)state;
	static const char csv[] = "\xef\xbb\xbfTimestamp,Provider,Counter Name,Counter Type,Mean/Increment\r\n"
				  "12/4/2026 12:00:01 PM,System.Runtime,CPU Usage (%),Metric,0.5\r\n"
				  "12/4/2026 12:00:02 PM,System.Runtime,Allocation Rate (B / 1 sec),Rate,1024\r\n"
				  "12/4/2026 12:00:03 AM,System.Runtime,CPU Usage (%),Metric,1.5\r\n"
				  "13/4/2026 12:00:03,System.Runtime,CPU Usage (%),Metric,1.5\r\n" /* bad month */
				  "12/4/2026 12:00:03,System.Runtime,CPU Usage (%),Metric,abc\r\n"
				  "12/4/2026 12:00:03,System.Runtime,CPU Usage (%),Gauge,1\r\n"
				  "just junk\r\n";
	struct clrsos_counter_table t;
	struct clrsos_countersfile_stats st;
	clrsos_counter_table_init(&t, 100);
	assert_null(clrsos_countersfile_read(csv, sizeof(csv) - 1, &t, &st));
	assert_int_equal(st.rows, 3);
	assert_int_equal(st.skipped, 4);
	struct clrsos_counter_series *s = clrsos_counter_table_find(&t, "System.Runtime", "CPU Usage", "");
	assert_non_null(s);
	assert_string_equal(s->last.unit, "%");
	assert_int_equal(s->point_count, 2);
	assert_true(s->points[0].t == T0 + 1);
	assert_true(s->points[1].t == T0 + 3 - 12 * 3600); /* 12 AM is midnight */
	s = clrsos_counter_table_find(&t, "System.Runtime", "Allocation Rate", "");
	assert_non_null(s);
	assert_int_equal(s->last.kind, CLRSOS_COUNTER_RATE);
	assert_string_equal(s->last.unit, "B");
	clrsos_counter_table_deinit(&t);

	/* dotnet-counters' JSON, cut in the middle of an event (the recorder was killed). */
	static const char json[] =
		"{ \"TargetProcess\": \"app\", \"StartTime\": \"2026-12-04T13:00:00.1234567+01:00\", \"Events\": ["
		"{ \"timestamp\": \"2026-12-04T13:00:01.0000000+01:00\",  \"provider\": \"System.Runtime\",  "
		"\"name\": \"dotnet.gc.last_collection.heap.size (By)\",  \"tags\": \"gc.heap.generation=gen0\",  "
		"\"counterType\": \"Metric\",  \"meterTags\": \"\",  \"instrumentTags\": \"\",  \"value\": 5E+06 },"
		"{ \"timestamp\": \"2026-12-04T13:00:02.0000000+01:00\",  \"provider\": \"System.Runtime\",  "
		"\"name\": \"dotnet.gc.last_colle";
	clrsos_counter_table_init(&t, 100);
	assert_null(clrsos_countersfile_read(json, sizeof(json) - 1, &t, &st));
	assert_int_equal(st.rows, 1);
	assert_true(st.truncated);
	s = clrsos_counter_table_find(&t, "System.Runtime", "dotnet.gc.last_collection.heap.size",
				      "gc.heap.generation=gen0");
	assert_non_null(s);
	assert_true(s->last.value == 5e6);
	assert_true(s->last.timestamp == T0 + 1);
	clrsos_counter_table_deinit(&t);
}

static void read_expect_error(const char *text, size_t n, const char *part)
{
	struct clrsos_counter_table t;
	clrsos_counter_table_init(&t, 10);
	expect_error(clrsos_countersfile_read(text, n, &t, NULL), part);
	clrsos_counter_table_deinit(&t);
}

static void test_countersfile__hostile(void **state)
{
	(void)state;
	read_expect_error("", 0, "not a counters recording");
	read_expect_error("garbage", 7, "not a counters recording");
	read_expect_error("Timestamp,x\n", 12, "first line");
	read_expect_error("Timestamp,Provider,Counter Name,Counter Type,Mean/Increment\n", 60, "no counter value");
	read_expect_error("{", 1, "no counter value");
	read_expect_error("{\"Events\": [1, 2]}", 18, "unexpected text");
	read_expect_error("{\"a\" 1}", 7, "unexpected text");
	read_expect_error("{\"Events\": [{\"value\": 1}]}", 26, "no counter value");
	/* Deep nesting is bounded, not recursed. */
	size_t n = 200000;
	char *deep = malloc(n + 16);
	strcpy(deep, "{\"x\": ");
	memset(deep + 6, '[', n);
	deep[n + 6] = 0;
	read_expect_error(deep, n + 6, "unexpected text");
	/* Big numbers, NUL escapes, raw controls and a long string: those events skipped. */
	static const char odd[] =
		"{\"Events\": ["
		"{\"timestamp\": \"2026-12-04T12:00:00Z\", \"provider\": \"P\", \"name\": \"a\", \"value\": 1e999},"
		"{\"timestamp\": \"2026-12-04T12:00:00Z\", \"provider\": \"P\\u0000\", \"name\": \"a\", \"value\": 1},"
		"{\"timestamp\": \"2026-12-04T12:00:00Z\", \"provider\": [\"P\"], \"name\": \"a\", \"value\": 1},"
		"{\"timestamp\": \"2026-12-04T12:00:00+99:00\", \"provider\": \"P\", \"name\": \"a\", \"value\": 1},"
		"{\"timestamp\": \"2026-12-04T12:00:00Z\", \"provider\": \"P\", \"name\": \"\\ud800ok\", \"value\": \"2\"}"
		"]}";
	struct clrsos_counter_table t;
	struct clrsos_countersfile_stats st;
	clrsos_counter_table_init(&t, 10);
	assert_null(clrsos_countersfile_read(odd, sizeof(odd) - 1, &t, &st));
	assert_int_equal(st.rows, 1);
	assert_int_equal(st.skipped, 4);
	assert_non_null(clrsos_counter_table_find(&t, "P", "\xef\xbf\xbdok", ""));
	clrsos_counter_table_deinit(&t);
	char *big = malloc(100000);
	int len = snprintf(big, 100000, "{\"Events\": [{\"timestamp\": \"2026-12-04T12:00:00Z\", \"provider\": \"");
	memset(big + len, 'x', 40000);
	len += 40000;
	len += snprintf(big + len, 100000 - (size_t)len, "\", \"name\": \"a\", \"value\": 1}]}");
	read_expect_error(big, (size_t)len, "no counter value");
	free(big);
	free(deep);
	/* A file that is not there, a directory. */
	struct clrsos_counter_table t2;
	clrsos_counter_table_init(&t2, 10);
	expect_error(clrsos_countersfile_load("/nonexistent/x.csv", &t2, NULL), "cannot open");
	expect_error(clrsos_countersfile_load("/", &t2, NULL), "not a regular file");
	clrsos_counter_table_deinit(&t2);
}

/* ---- the chart ---- */

static void fill_chart_table(struct clrsos_counter_table *t, const char *provider, const char *mark)
{
	clrsos_counter_table_init(t, 1000);
	for (int i = 0; i < 120; i++) {
		struct clrsos_counter_sample s = mk(provider, "dotnet.gc.last_collection.heap.size", "By",
						    "gc.heap.generation=gen0", true, T0 + i, 5e6 + 1e5 * (i % 30));
		assert_null(clrsos_counter_table_add(t, &s));
		s.tags = "gc.heap.generation=gen2";
		s.value = 2e7 + 1e6 * (i / 10);
		assert_null(clrsos_counter_table_add(t, &s));
		s = mk(provider, "cpu-usage", "%", "", true, T0 + i, i % 7);
		s.display_name = "CPU Usage";
		assert_null(clrsos_counter_table_add(t, &s));
	}
	assert_null(clrsos_counter_table_mark(t, T0 + 60, mark));
}

static void test_chart__svg(void **state)
{
	(void)state;
	struct clrsos_counter_table t;
	fill_chart_table(&t, "<script>alert(1)</script>", "dump 1 & <core.123>");
	SINK(out);
	struct clrsos_counters_chart_options o = { .title = "pid 42" };
	assert_null(clrsos_counters_render_svg(&out_w, &t, &o));
	assert_non_null(strstr(out.text, "<svg"));
	assert_non_null(strstr(out.text, "</svg>\n"));
	assert_null(strstr(out.text, "<script"));
	assert_non_null(strstr(out.text, "&lt;script&gt;"));
	assert_non_null(strstr(out.text, "dump 1 &amp; &lt;core.123&gt;"));
	assert_non_null(strstr(out.text, ">MB<")); /* bytes shown in MB */
	assert_non_null(strstr(out.text, ">12:01:00<"));
	size_t lines = 0;
	for (const char *p = out.text; (p = strstr(p, "<polyline")); p++)
		lines++;
	assert_int_equal(lines, 3);
	free(out.text);

	/* Chosen counters: by name (all tag sets), by display name, by name[tags]. */
	const char *names[] = { "CPU Usage", "dotnet.gc.last_collection.heap.size[gc.heap.generation=gen2]" };
	SINK(two);
	o.names = names;
	o.name_count = 2;
	assert_null(clrsos_counters_render_svg(&two_w, &t, &o));
	lines = 0;
	for (const char *p = two.text; (p = strstr(p, "<polyline")); p++)
		lines++;
	assert_int_equal(lines, 2);
	free(two.text);
	const char *missing[] = { "nope" };
	o.names = missing;
	o.name_count = 1;
	SINK(none);
	expect_error(clrsos_counters_render_svg(&none_w, &t, &o), "no counter 'nope'");
	assert_null(none.text);
	clrsos_counter_table_deinit(&t);
	struct clrsos_counter_table empty;
	clrsos_counter_table_init(&empty, 10);
	o.name_count = 0;
	expect_error(clrsos_counters_render_svg(&none_w, &empty, &o), "nothing to chart");
	clrsos_counter_table_deinit(&empty);
}

/* ---- the trigger ---- */

static bool feed(struct clrsos_trigger *t, const char *provider, const char *name, const char *unit,
		 const char *tags, double when, double v)
{
	struct clrsos_counter_sample s = mk(provider, name, unit, tags, false, when, v);
	return clrsos_trigger_feed(t, &s);
}

static void test_trigger__gc_heap_classic(void **state)
{
	(void)state;
	struct clrsos_trigger t;
	assert_null(clrsos_trigger_init_gc_heap(&t, "500"));
	assert_false(feed(&t, "System.Runtime", "gc-heap-size", "MB", "", T0, 400));
	assert_false(feed(&t, "Other", "gc-heap-size", "MB", "", T0 + 1, 900));
	assert_false(feed(&t, "System.Runtime", "gc-heap-size", "MB", "", T0 + 1, 500));
	assert_true(feed(&t, "System.Runtime", "gc-heap-size", "MB", "", T0 + 2, 501));
	assert_true(clrsos_trigger_done(&t));
	assert_false(feed(&t, "System.Runtime", "gc-heap-size", "MB", "", T0 + 3, 900));
	char d[128];
	assert_string_equal(clrsos_trigger_describe(&t, d, sizeof(d)), "gc-heap-size > 500 MB");
	clrsos_trigger_deinit(&t);
	expect_error(clrsos_trigger_init_gc_heap(&t, "500x"), "not a heap size");
}

static void test_trigger__for_cooldown_dumps(void **state)
{
	(void)state;
	struct clrsos_trigger t;
	struct clrsos_trigger_options o = {
		.counter = "dotnet.gc.last_collection.heap.size[gc.heap.generation=gen2]", .above = "1MB",
		.for_time = "3s", .dumps = 2, .cooldown = "10s",
	};
	assert_null(clrsos_trigger_init(&t, &o));
	const char *n = "dotnet.gc.last_collection.heap.size", *tags = "gc.heap.generation=gen2";
	bool fired[15] = { 0 };
	for (int i = 0; i < 15; i++) {
		double v = i == 5 ? 5e5 : 2e6;
		/* Another tag set past the threshold all along changes nothing. */
		assert_false(feed(&t, "System.Runtime", n, "By", "gc.heap.generation=gen0", T0 + i, 9e9));
		fired[i] = feed(&t, "System.Runtime", n, "By", tags, T0 + i, v);
	}
	for (int i = 0; i < 15; i++)
		assert_int_equal(fired[i], i == 3 || i == 13);
	assert_true(clrsos_trigger_done(&t));
	char d[160];
	assert_string_equal(clrsos_trigger_describe(&t, d, sizeof(d)),
			    "dotnet.gc.last_collection.heap.size[gc.heap.generation=gen2] > 1 MB for 3 s");
	clrsos_trigger_deinit(&t);

	/* Samples that arrive in a batch, late: the cooldown holds on the caller's clock too. */
	struct clrsos_trigger_options c = { .counter = "working-set", .above = "1MB", .dumps = 2, .cooldown = "2s" };
	assert_null(clrsos_trigger_init(&t, &c));
	struct clrsos_counter_sample s0 = mk("System.Runtime", "working-set", "MB", "", false, T0, 5);
	assert_true(clrsos_trigger_feed_at(&t, &s0, 100.0));
	struct clrsos_counter_sample s2 = mk("System.Runtime", "working-set", "MB", "", false, T0 + 2, 5);
	assert_false(clrsos_trigger_feed_at(&t, &s2, 101.98)); /* 2 s apart in the target, 1.98 s here */
	struct clrsos_counter_sample s3 = mk("System.Runtime", "working-set", "MB", "", false, T0 + 3, 5);
	assert_true(clrsos_trigger_feed_at(&t, &s3, 103.0));
	assert_true(clrsos_trigger_done(&t));
	clrsos_trigger_deinit(&t);

	/* Below a percentage, at once. */
	struct clrsos_trigger_options b = { .counter = "cpu-usage", .below = "5%" };
	assert_null(clrsos_trigger_init(&t, &b));
	assert_false(feed(&t, "System.Runtime", "cpu-usage", "%", "", T0, 50));
	assert_true(feed(&t, "System.Runtime", "cpu-usage", "%", "", T0 + 1, 4));
	clrsos_trigger_deinit(&t);

	/* Bytes asked of a counter in counts: never, and said. */
	struct clrsos_trigger_options m = { .counter = "gen-0-gc-count", .above = "1KB" };
	assert_null(clrsos_trigger_init(&t, &m));
	assert_false(feed(&t, "System.Runtime", "gen-0-gc-count", "count", "", T0, 1e9));
	assert_string_equal(t.mismatch_unit, "count");
	clrsos_trigger_deinit(&t);
}

static void test_trigger__parsing(void **state)
{
	(void)state;
	double s;
	enum clrsos_trigger_unit u;
	assert_null(clrsos_trigger_parse_duration("500ms", &s));
	assert_true(s == 0.5);
	assert_null(clrsos_trigger_parse_duration("1m", &s));
	assert_true(s == 60);
	assert_null(clrsos_trigger_parse_duration("2h", &s));
	assert_true(s == 7200);
	assert_null(clrsos_trigger_parse_duration("3", &s));
	assert_true(s == 3);
	expect_error(clrsos_trigger_parse_duration("3x", &s), "unit is one of");
	expect_error(clrsos_trigger_parse_duration("-3s", &s), "not a duration");
	expect_error(clrsos_trigger_parse_duration("9999999h", &s), "longer than a year");
	assert_null(clrsos_trigger_parse_threshold("1.5GB", &s, &u));
	assert_true(s == 1.5e9 && u == CLRSOS_TRIGGER_BYTES);
	assert_null(clrsos_trigger_parse_threshold("80%", &s, &u));
	assert_true(s == 80 && u == CLRSOS_TRIGGER_PERCENT);
	expect_error(clrsos_trigger_parse_threshold("5TB", &s, &u), "KB, MB, GB");
	expect_error(clrsos_trigger_parse_threshold("abc", &s, &u), "not a threshold");
	struct clrsos_trigger t;
	struct clrsos_trigger_options o = { .counter = "x" };
	expect_error(clrsos_trigger_init(&t, &o), "one of --above and --below");
	o.above = o.below = "1";
	expect_error(clrsos_trigger_init(&t, &o), "one of --above and --below");
	o.below = NULL;
	o.counter = "[x]";
	expect_error(clrsos_trigger_init(&t, &o), "--counter");
	o.counter = "x[a=b";
	expect_error(clrsos_trigger_init(&t, &o), "the tags end");
	o.counter = "x";
	o.for_time = "soon";
	expect_error(clrsos_trigger_init(&t, &o), "--for: ");
	o.for_time = NULL;
	o.above = "lots";
	expect_error(clrsos_trigger_init(&t, &o), "--above: ");
}

/* ---- main ---- */

static int write_svgs(const char *dir)
{
	const char *providers[] = { "System.Runtime", "<&\"'>\x01\xff\xef\xbf\xbe" };
	for (int i = 0; i < 2; i++) {
		struct clrsos_counter_table t;
		fill_chart_table(&t, providers[i], providers[i]);
		char path[4096];
		snprintf(path, sizeof(path), "%s/chart%d.svg", dir, i);
		FILE *f = fopen(path, "w");
		if (!f)
			return 1;
		SINK(out);
		struct clrsos_counters_chart_options o = { .title = providers[i] };
		struct clrsos_error *err = clrsos_counters_render_svg(&out_w, &t, &o);
		if (err)
			return 1;
		fwrite(out.text, 1, out.len, f);
		fclose(f);
		free(out.text);
		clrsos_counter_table_deinit(&t);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setenv("TZ", "UTC", 1);
	tzset();
	if (argc == 3 && !strcmp(argv[1], "--svg"))
		return write_svgs(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec__default_is_system_runtime),
		cmocka_unit_test(test_spec__lists_and_merges),
		cmocka_unit_test(test_spec__errors),
		cmocka_unit_test(test_providers__net9_meter_and_eventcounters),
		cmocka_unit_test(test_providers__net8_and_others),
		cmocka_unit_test(test_decode__eventcounter_mean_and_sum),
		cmocka_unit_test(test_decode__metrics_events),
		cmocka_unit_test(test_decode__metrics_warnings),
		cmocka_unit_test(test_decode__numbers),
		cmocka_unit_test(test_table__order_counts_hidden),
		cmocka_unit_test(test_table__history_is_bounded),
		cmocka_unit_test(test_render__values),
		cmocka_unit_test(test_render__monitor),
		cmocka_unit_test(test_render__csv_and_json_exact),
		cmocka_unit_test(test_countersfile__dotnet_counters_files),
		cmocka_unit_test(test_countersfile__hostile),
		cmocka_unit_test(test_chart__svg),
		cmocka_unit_test(test_trigger__gc_heap_classic),
		cmocka_unit_test(test_trigger__for_cooldown_dumps),
		cmocka_unit_test(test_trigger__parsing),
	};
	return cmocka_run_group_tests_name("counters", tests, NULL, NULL);
}
