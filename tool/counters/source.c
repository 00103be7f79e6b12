/* The one bridge from diag/nettrace to the counter decoder (counters/sample.h). */
#include "counters/sample.h"

#include <string.h>
#include <time.h>

#include "counters/providers.h"

/*
 * MetricsEventSource's event ids, should a stream's metadata carry no
 * event name (EventPipe's metadata for EventSource events does name them).
 */
static const char *metrics_event_name(uint32_t id)
{
	static const char *const names[] = {
		[4] = "CounterRateValuePublished", [5] = "GaugeValuePublished", [6] = "HistogramValuePublished",
		[9] = "Error", [12] = "TimeSeriesLimitReached", [13] = "HistogramLimitReached",
		[14] = "ObservableInstrumentCallbackError", [15] = "MultipleSessionsNotSupportedError",
		[16] = "UpDownCounterRateValuePublished", [17] = "MultipleSessionsConfiguredIncorrectlyError",
	};
	return id < sizeof(names) / sizeof(names[0]) && names[id] ? names[id] : "";
}

static struct clrsos_error *find(void *ctx, const char *path, struct clrsos_nettrace_value *value, char **string)
{
	return clrsos_nettrace_payload_find(ctx, path, value, string);
}

void clrsos_counters_event_from_nettrace(const struct clrsos_nettrace_trace *trace,
					 const struct clrsos_nettrace_event *event,
					 struct clrsos_counters_event *ret)
{
	const struct clrsos_nettrace_metadata *md = event->metadata;
	struct tm tm = {
		.tm_year = trace->sync_time[0] - 1900,
		.tm_mon = trace->sync_time[1] - 1,
		.tm_mday = trace->sync_time[3],
		.tm_hour = trace->sync_time[4],
		.tm_min = trace->sync_time[5],
		.tm_sec = trace->sync_time[6],
	};
	double t = (double)timegm(&tm) + trace->sync_time[7] / 1000.0;
	if (trace->qpc_frequency > 0)
		t += ((double)event->timestamp - (double)trace->qpc_sync) / (double)trace->qpc_frequency;
	const char *provider = md && md->provider ? md->provider : "";
	const char *name = md && md->event_name ? md->event_name : "";
	if (!*name && md && !strcmp(provider, CLRSOS_METRICS_PROVIDER))
		name = metrics_event_name(md->event_id);
	*ret = (struct clrsos_counters_event){
		.provider = provider,
		.name = name,
		.version = md ? md->version : 0,
		.timestamp = t,
		.find = find,
		.ctx = (void *)event,
	};
}
