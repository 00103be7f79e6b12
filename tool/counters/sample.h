/*
 * Counter samples: what one EventPipe event says of the counters, decoded.
 *
 * Two providers publish counters. EventCounters (every EventSource with
 * counters, System.Runtime's classic ones on every runtime) send one event
 * named "EventCounters" per counter and interval, whose one field Payload
 * is a struct: Name, DisplayName, DisplayUnits, IntervalSec (float),
 * Series ("Interval=<ms>"), CounterType ("Mean": a gauge, value Mean; or
 * "Sum": a rate, value Increment per interval, DisplayRateTimeScale),
 * Metadata, and for Mean also StandardDeviation, Count, Min, Max.
 *
 * Meters reach us through the System.Diagnostics.Metrics provider
 * (MetricsEventSource), whose events carry strings: sessionId, meterName,
 * meterVersion, instrumentName, unit, tags ("k=v,k2=v2"), then
 * GaugeValuePublished: lastValue; CounterRateValuePublished and
 * UpDownCounterRateValuePublished: rate, value (version >= 1);
 * HistogramValuePublished: quantiles ("0.5=12;0.95=40;0.99=41"), count
 * (int), sum (double, version >= 1); from .NET 9 (version 2) an int
 * instrumentId at the end. Numbers are invariant-culture text; an empty
 * one means no measurement this interval. Events of another session are
 * not ours (sessionId). Error, TimeSeriesLimitReached,
 * HistogramLimitReached, ObservableInstrumentCallbackError,
 * MultipleSessionsNotSupportedError and
 * MultipleSessionsConfiguredIncorrectlyError become warnings.
 *
 * The decoder reads an event through a small interface (struct
 * clrsos_counters_event: provider, name, version, time, and a field
 * finder with clrsos_nettrace_payload_find()'s contract), so it is tested
 * with hand-built events; clrsos_counters_event_from_nettrace() adapts a
 * nettrace event.
 */
#ifndef CLRSOS_COUNTERS_SAMPLE_H
#define CLRSOS_COUNTERS_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/vector.h"
#include "diag/nettrace.h"

enum clrsos_counter_kind {
	CLRSOS_COUNTER_GAUGE,      /* a value now (EventCounter Mean, Gauge) */
	CLRSOS_COUNTER_RATE,       /* an increment over interval seconds (EventCounter Sum, a Meter counter without value) */
	CLRSOS_COUNTER_SUM,        /* a Meter counter's running total (rate beside it) */
	CLRSOS_COUNTER_UPDOWN,     /* an UpDownCounter's value (rate beside it) */
	CLRSOS_COUNTER_PERCENTILE, /* one quantile of a histogram (tags end Percentile=<p>) */
};

/* One sample. Strings are the sample's own (UTF-8 as the target sent them: escape them to print). */
struct clrsos_counter_sample {
	char *provider;     /* EventSource or Meter name */
	char *name;         /* counter or instrument name */
	char *display_name; /* EventCounter DisplayName; the name for Meters */
	char *unit;         /* "" when none */
	char *tags;         /* "" when none: "k=v,k2=v2" */
	enum clrsos_counter_kind kind;
	bool meter;         /* from a Meter, not an EventCounter */
	bool has_rate;
	double value;
	double rate;        /* SUM, UPDOWN: the change over the interval */
	double interval;    /* seconds a RATE covers (0: unknown) */
	double timestamp;   /* seconds since the Unix epoch */
};

void clrsos_counter_sample_deinit(struct clrsos_counter_sample *sample);
/* A deep copy. */
struct clrsos_error *clrsos_counter_sample_copy(const struct clrsos_counter_sample *from,
						struct clrsos_counter_sample *to);

/* "Counter" type as dotnet-counters' CSV and JSON say it: "Rate" for RATE, else "Metric". */
const char *clrsos_counter_kind_csv_name(enum clrsos_counter_kind kind);

/*
 * The name as dotnet-counters shows it: "DisplayName (unit)",
 * "DisplayName (Count / 1 sec)" for rates, the bare name without a unit.
 * Written to buf (size bytes, cut if longer); returns buf.
 */
char *clrsos_counter_sample_display(const struct clrsos_counter_sample *sample, char *buf, size_t size);

CLRSOS_VECTOR(clrsos_counter_sample_vector, struct clrsos_counter_sample)
CLRSOS_VECTOR(clrsos_counter_warning_vector, char *)

/* What events decoded to: samples and warnings, both owned (clear frees their contents). */
struct clrsos_counter_batch {
	struct clrsos_counter_sample_vector samples;
	struct clrsos_counter_warning_vector warnings; /* one line each, text from the target included raw */
};

void clrsos_counter_batch_init(struct clrsos_counter_batch *batch);
void clrsos_counter_batch_clear(struct clrsos_counter_batch *batch);
void clrsos_counter_batch_deinit(struct clrsos_counter_batch *batch);

/* Finds the field at path as clrsos_nettrace_payload_find() does (string copied into *string, the caller frees). */
typedef struct clrsos_error *(*clrsos_counters_find_fn)(void *ctx, const char *path,
							  struct clrsos_nettrace_value *value, char **string);

/* An event as the decoder sees it. */
struct clrsos_counters_event {
	const char *provider;
	const char *name;
	uint32_t version;
	double timestamp; /* seconds since the Unix epoch */
	clrsos_counters_find_fn find;
	void *ctx;
};

/*
 * Adapt a nettrace event (valid as long as event is): its time from the
 * trace's sync time and QPC frequency. Defined in counters/source.c, the
 * only file of counters/ that needs diag/nettrace.c.
 */
void clrsos_counters_event_from_nettrace(const struct clrsos_nettrace_trace *trace,
					 const struct clrsos_nettrace_event *event,
					 struct clrsos_counters_event *ret);

/* The session the decoder keeps: Metrics events of other sessions are ignored. */
struct clrsos_counters_session {
	const char *session_id; /* NULL: take every session's (reading a file) */
	const char *client_id;
	int max_timeseries, max_histograms; /* for the warnings' text */
};

/*
 * Decode event into zero or more samples and warnings appended to batch.
 * Events that are no counter's are skipped; a counter event missing a
 * field it must have is skipped too (and counted in *skipped if given),
 * never an error: only running out of memory is.
 */
struct clrsos_error *clrsos_counters_decode(const struct clrsos_counters_session *session,
					    const struct clrsos_counters_event *event,
					    struct clrsos_counter_batch *batch, size_t *skipped);

/* Parse an invariant-culture number ("12.5", "1E+21", "-0"); false for "", junk, NaN and infinities. */
bool clrsos_counters_parse_number(const char *text, double *ret);

#endif
