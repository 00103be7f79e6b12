/* The one bridge from diag/nettrace to the counter decoder (counters/sample.h). */
#include "counters/sample.h"

#include <time.h>

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
	*ret = (struct clrsos_counters_event){
		.provider = md ? md->provider : "",
		.name = md ? md->event_name : "",
		.version = md ? md->version : 0,
		.timestamp = t,
		.find = find,
		.ctx = (void *)event,
	};
}
