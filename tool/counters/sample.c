#include "counters/sample.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters/providers.h"

void clrsos_counter_sample_deinit(struct clrsos_counter_sample *s)
{
	free(s->provider);
	free(s->name);
	free(s->display_name);
	free(s->unit);
	free(s->tags);
	memset(s, 0, sizeof(*s));
}

struct clrsos_error *clrsos_counter_sample_copy(const struct clrsos_counter_sample *from,
						struct clrsos_counter_sample *to)
{
	*to = *from;
	to->provider = strdup(from->provider ? from->provider : "");
	to->name = strdup(from->name ? from->name : "");
	to->display_name = strdup(from->display_name ? from->display_name : "");
	to->unit = strdup(from->unit ? from->unit : "");
	to->tags = strdup(from->tags ? from->tags : "");
	if (!to->provider || !to->name || !to->display_name || !to->unit || !to->tags) {
		clrsos_counter_sample_deinit(to);
		return &clrsos_error_no_memory;
	}
	return NULL;
}

const char *clrsos_counter_kind_csv_name(enum clrsos_counter_kind kind)
{
	return kind == CLRSOS_COUNTER_RATE ? "Rate" : "Metric";
}

char *clrsos_counter_sample_display(const struct clrsos_counter_sample *s, char *buf, size_t size)
{
	const char *name = s->display_name && *s->display_name ? s->display_name : s->name;
	const char *unit = s->unit ? s->unit : "";
	if (s->kind == CLRSOS_COUNTER_RATE) {
		if (!*unit || !strcmp(unit, "count"))
			unit = "Count";
		double iv = s->interval > 0 ? s->interval : 1;
		snprintf(buf, size, "%s (%s / %g sec)", name, unit, iv);
	} else if (*unit) {
		snprintf(buf, size, "%s (%s)", name, unit);
	} else {
		snprintf(buf, size, "%s", name);
	}
	return buf;
}

void clrsos_counter_batch_init(struct clrsos_counter_batch *b)
{
	clrsos_counter_sample_vector_init(&b->samples);
	clrsos_counter_warning_vector_init(&b->warnings);
}

void clrsos_counter_batch_clear(struct clrsos_counter_batch *b)
{
	for (size_t i = 0; i < b->samples.count; i++)
		clrsos_counter_sample_deinit(&b->samples.items[i]);
	for (size_t i = 0; i < b->warnings.count; i++)
		free(b->warnings.items[i]);
	clrsos_counter_sample_vector_clear(&b->samples);
	clrsos_counter_warning_vector_clear(&b->warnings);
}

void clrsos_counter_batch_deinit(struct clrsos_counter_batch *b)
{
	clrsos_counter_batch_clear(b);
	clrsos_counter_sample_vector_deinit(&b->samples);
	clrsos_counter_warning_vector_deinit(&b->warnings);
}

bool clrsos_counters_parse_number(const char *text, double *ret)
{
	if (!text)
		return false;
	while (*text == ' ')
		text++;
	/* Invariant culture only: digits, one '.', an exponent; no locale, no hex, no "inf". */
	const char *p = text;
	if (*p == '-' || *p == '+')
		p++;
	if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
		return false;
	for (const char *q = p; *q; q++) {
		if (!strchr("0123456789.eE+-", *q))
			return false;
	}
	char *end;
	double v = strtod(text, &end);
	while (*end == ' ')
		end++;
	if (*end || !isfinite(v))
		return false;
	*ret = v;
	return true;
}

/* A string field: *ret owned ("" if the event has it empty); NULL without error when the event has no such field. */
static struct clrsos_error *get_string(const struct clrsos_counters_event *ev, const char *path, char **ret)
{
	struct clrsos_nettrace_value v;
	char *s = NULL;
	*ret = NULL;
	struct clrsos_error *err = ev->find(ev->ctx, path, &v, &s);
	if (err) {
		free(s);
		return clrsos_error_ignore(err);
	}
	if (!v.field || v.field->type != CLRSOS_NETTRACE_STRING || !s) {
		free(s);
		return NULL;
	}
	*ret = s;
	return NULL;
}

/* A numeric field as a double; *found false when it is missing or not a number. */
static struct clrsos_error *get_number(const struct clrsos_counters_event *ev, const char *path, double *ret,
				       bool *found)
{
	struct clrsos_nettrace_value v;
	char *s = NULL;
	*found = false;
	struct clrsos_error *err = ev->find(ev->ctx, path, &v, &s);
	if (err) {
		free(s);
		return clrsos_error_ignore(err);
	}
	if (!v.field) {
		free(s);
		return NULL;
	}
	switch (v.field->type) {
	case CLRSOS_NETTRACE_SINGLE:
	case CLRSOS_NETTRACE_DOUBLE:
		*ret = v.v.d;
		*found = isfinite(v.v.d);
		break;
	case CLRSOS_NETTRACE_SBYTE:
	case CLRSOS_NETTRACE_INT16:
	case CLRSOS_NETTRACE_INT32:
	case CLRSOS_NETTRACE_INT64:
		*ret = (double)v.v.i;
		*found = true;
		break;
	case CLRSOS_NETTRACE_BYTE:
	case CLRSOS_NETTRACE_UINT16:
	case CLRSOS_NETTRACE_UINT32:
	case CLRSOS_NETTRACE_UINT64:
		*ret = (double)v.v.u;
		*found = true;
		break;
	case CLRSOS_NETTRACE_STRING:
		*found = clrsos_counters_parse_number(s, ret);
		break;
	default:
		break;
	}
	free(s);
	return NULL;
}

static struct clrsos_error *warn(struct clrsos_counter_batch *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct clrsos_error *warn(struct clrsos_counter_batch *b, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = clrsos_counter_warning_vector_push(&b->warnings, text);
	if (err)
		free(text);
	return err;
}

/* A copy of proto appended to batch. */
static struct clrsos_error *emit(struct clrsos_counter_batch *b, const struct clrsos_counter_sample *proto)
{
	struct clrsos_counter_sample *s = clrsos_counter_sample_vector_push_slot(&b->samples);
	if (!s)
		return &clrsos_error_no_memory;
	if (clrsos_counter_sample_copy(proto, s)) {
		clrsos_counter_sample_vector_pop(&b->samples);
		return &clrsos_error_no_memory;
	}
	return NULL;
}

static struct clrsos_error *decode_eventcounter(const struct clrsos_counters_event *ev,
						struct clrsos_counter_batch *b, size_t *skipped)
{
	struct clrsos_error *err = NULL;
	char *name = NULL, *display = NULL, *units = NULL, *type = NULL, *series = NULL;
	struct clrsos_counter_sample s = { 0 };
	double value = 0, interval = 0;
	bool found = false, has_interval = false;
	if ((err = get_string(ev, "Payload.Name", &name)) || (err = get_string(ev, "Payload.DisplayName", &display)) ||
	    (err = get_string(ev, "Payload.DisplayUnits", &units)) ||
	    (err = get_string(ev, "Payload.CounterType", &type)) || (err = get_string(ev, "Payload.Series", &series)) ||
	    (err = get_number(ev, "Payload.IntervalSec", &interval, &has_interval)))
		goto out;
	if (!name || !*name || !type) {
		++*skipped;
		goto out;
	}
	if (!strcmp(type, "Mean")) {
		s.kind = CLRSOS_COUNTER_GAUGE;
		err = get_number(ev, "Payload.Mean", &value, &found);
	} else if (!strcmp(type, "Sum")) {
		s.kind = CLRSOS_COUNTER_RATE;
		err = get_number(ev, "Payload.Increment", &value, &found);
	}
	if (err)
		goto out;
	if (!found) {
		++*skipped;
		goto out;
	}
	/* The interval a rate covers: the series asked for ("Interval=1000", ms), else what the source measured. */
	double iv = 0;
	if (series && !strncmp(series, "Interval=", 9)) {
		double ms;
		if (clrsos_counters_parse_number(series + 9, &ms) && ms > 0)
			iv = ms / 1000;
	}
	if (iv <= 0 && has_interval && interval > 0)
		iv = round(interval);
	s.provider = (char *)ev->provider;
	s.name = name;
	s.display_name = display && *display ? display : name;
	s.unit = units ? units : "";
	s.tags = "";
	s.value = value;
	s.interval = iv;
	s.timestamp = ev->timestamp;
	err = emit(b, &s);
out:
	free(name);
	free(display);
	free(units);
	free(type);
	free(series);
	return err;
}

/* tags and ",Percentile=<p*100>", new (NULL: out of memory). */
static char *percentile_tags(const char *tags, double q)
{
	char *s = NULL;
	return asprintf(&s, "%s%sPercentile=%.15g", tags, *tags ? "," : "", q * 100) < 0 ? NULL : s;
}

static bool ours(const struct clrsos_counters_session *session, const char *id)
{
	return !session || !session->session_id || (id && !strcmp(id, session->session_id));
}

static struct clrsos_error *decode_metrics(const struct clrsos_counters_session *session,
					   const struct clrsos_counters_event *ev, struct clrsos_counter_batch *b,
					   size_t *skipped)
{
	const char *e = ev->name;
	struct clrsos_error *err = NULL;
	char *sid = NULL, *meter = NULL, *instrument = NULL, *unit = NULL, *tags = NULL, *a = NULL, *c = NULL;
	int max_ts = session && session->max_timeseries ? session->max_timeseries : CLRSOS_COUNTERS_MAX_TIMESERIES;
	int max_h = session && session->max_histograms ? session->max_histograms : CLRSOS_COUNTERS_MAX_HISTOGRAMS;

	if (!strcmp(e, "MultipleSessionsNotSupportedError")) {
		if ((err = get_string(ev, "runningSessionId", &sid)))
			goto out;
		if (!session || !session->session_id || !sid || strcmp(sid, session->session_id))
			err = warn(b, "another tool's metrics session is running in the target and concurrent sessions are "
				      "not supported: stop it (dotnet-counters, dotnet-monitor) and try again");
		goto out;
	}
	if (!strcmp(e, "MultipleSessionsConfiguredIncorrectlyError")) {
		if ((err = get_string(ev, "clientId", &sid)))
			goto out;
		if (!sid && (err = get_string(ev, "sharedIdentifier", &sid)))
			goto out;
		if (session && session->client_id && sid && !strcmp(sid, session->client_id))
			err = warn(b, "another tool's shared metrics session runs with other settings (refresh interval, "
				      "time-series or histogram limits): use the same settings, or stop it");
		goto out;
	}
	if ((err = get_string(ev, "sessionId", &sid)))
		goto out;
	if (!ours(session, sid))
		goto out;
	if (!strcmp(e, "TimeSeriesLimitReached")) {
		err = warn(b, "the target's time-series limit (%d) was reached: not every counter is shown", max_ts);
		goto out;
	}
	if (!strcmp(e, "HistogramLimitReached")) {
		err = warn(b, "the target's histogram limit (%d) was reached: not every histogram is shown", max_h);
		goto out;
	}
	if (!strcmp(e, "Error") || !strcmp(e, "ObservableInstrumentCallbackError")) {
		if ((err = get_string(ev, "errorMessage", &a)))
			goto out;
		err = warn(b, "%s: %s",
			   e[0] == 'E' ? "the target's metrics reported an error" : "an observable instrument's callback threw in the target",
			   a ? a : "(no message)");
		goto out;
	}
	bool gauge = !strcmp(e, "GaugeValuePublished"), rate = !strcmp(e, "CounterRateValuePublished"),
	     updown = !strcmp(e, "UpDownCounterRateValuePublished"), histogram = !strcmp(e, "HistogramValuePublished");
	if (!gauge && !rate && !updown && !histogram)
		goto out;
	if ((err = get_string(ev, "meterName", &meter)) || (err = get_string(ev, "instrumentName", &instrument)) ||
	    (err = get_string(ev, "unit", &unit)) || (err = get_string(ev, "tags", &tags)))
		goto out;
	if (!meter || !instrument || !*instrument) {
		++*skipped;
		goto out;
	}
	struct clrsos_counter_sample s = {
		.provider = meter, .name = instrument, .display_name = instrument, .unit = unit ? unit : "",
		.tags = tags ? tags : "", .meter = true, .timestamp = ev->timestamp,
	};
	double v, r;
	if (gauge) {
		if ((err = get_string(ev, "lastValue", &a)))
			goto out;
		if (!clrsos_counters_parse_number(a, &v))
			goto out; /* no measurement this interval */
		s.kind = CLRSOS_COUNTER_GAUGE;
		s.value = v;
		err = emit(b, &s);
	} else if (rate || updown) {
		if ((err = get_string(ev, "rate", &a)) || (err = get_string(ev, "value", &c)))
			goto out;
		bool has_rate = clrsos_counters_parse_number(a, &r);
		bool has_value = clrsos_counters_parse_number(c, &v);
		if (updown && a && !*a)
			has_rate = false; /* observable: no rate on the first measurement */
		if (has_value) {
			s.kind = updown ? CLRSOS_COUNTER_UPDOWN : CLRSOS_COUNTER_SUM;
			s.value = v;
			s.has_rate = has_rate;
			s.rate = has_rate ? r : 0;
		} else if (has_rate && rate) { /* before version 1: the rate alone */
			s.kind = CLRSOS_COUNTER_RATE;
			s.value = r;
			s.interval = 0;
		} else {
			goto out;
		}
		err = emit(b, &s);
	} else {
		if ((err = get_string(ev, "quantiles", &a)))
			goto out;
		s.kind = CLRSOS_COUNTER_PERCENTILE;
		for (char *p = a ? a : (char *)""; *p && !err;) {
			char *end = strchr(p, ';');
			if (end)
				*end = 0;
			char *eq = strchr(p, '=');
			double q, qv;
			if (eq) {
				*eq = 0;
				if (clrsos_counters_parse_number(p, &q) && clrsos_counters_parse_number(eq + 1, &qv)) {
					struct clrsos_counter_sample ps = s;
					ps.tags = percentile_tags(s.tags, q);
					ps.value = qv;
					err = ps.tags ? emit(b, &ps) : &clrsos_error_no_memory;
					free(ps.tags);
				}
			}
			if (!end)
				break;
			p = end + 1;
		}
	}
out:
	free(sid);
	free(meter);
	free(instrument);
	free(unit);
	free(tags);
	free(a);
	free(c);
	return err;
}

struct clrsos_error *clrsos_counters_decode(const struct clrsos_counters_session *session,
					    const struct clrsos_counters_event *event,
					    struct clrsos_counter_batch *batch, size_t *skipped)
{
	size_t dummy = 0;
	if (!skipped)
		skipped = &dummy;
	if (!event->name || !event->provider || !event->find)
		return NULL;
	if (!strcmp(event->name, "EventCounters"))
		return decode_eventcounter(event, batch, skipped);
	if (!strcmp(event->provider, CLRSOS_METRICS_PROVIDER))
		return decode_metrics(session, event, batch, skipped);
	return NULL;
}
