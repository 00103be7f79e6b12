/*
 * The EventPipe providers a counters session enables, as dotnet-counters
 * does (Microsoft.Diagnostics.Monitoring.EventPipe's MetricSourceConfiguration):
 *
 * - each provider of the spec as an EventCounters provider: its own name,
 *   keywords 0, level 4 (Informational), "EventCounterIntervalSec=<s>";
 * - the Meters of the spec through one "System.Diagnostics.Metrics"
 *   provider (the runtime's MetricsEventSource): keywords 0x2
 *   (TimeSeriesValues), level 4, arguments SessionId, Metrics (the meter
 *   names joined by ','), RefreshInterval, MaxTimeSeries, MaxHistograms,
 *   ClientId. SessionId is "SHARED" on runtimes from 8 on (the shared
 *   session several tools can join), else the client id.
 *
 * The runtime's own System.Runtime Meter exists from .NET 9 on: before
 * that System.Runtime is asked of the EventCounters provider only. Other
 * Meters (Microsoft.AspNetCore.Hosting...) are asked on every runtime.
 */
#ifndef CLRSOS_COUNTERS_PROVIDERS_H
#define CLRSOS_COUNTERS_PROVIDERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "counters/spec.h"
#include "diag/eventpipe.h"

enum {
	CLRSOS_METRICS_KEYWORD_TIMESERIES = 0x2,
	CLRSOS_COUNTERS_LEVEL = 4,
	CLRSOS_COUNTERS_MAX_TIMESERIES = 1000, /* dotnet-counters' defaults */
	CLRSOS_COUNTERS_MAX_HISTOGRAMS = 10,
};

#define CLRSOS_METRICS_PROVIDER "System.Diagnostics.Metrics"
#define CLRSOS_METRICS_SHARED_SESSION "SHARED"

/* What a session enables; the provider array and every string in it belong to this struct. */
struct clrsos_counters_providers {
	struct clrsos_eventpipe_provider *items;
	size_t count;
	char *session_id; /* what the Metrics events of our session carry ("" when no Meter is asked) */
	char *client_id;
	char **strings;   /* owned: names and arguments the items point to */
	size_t string_count;
};

/* The major version of a runtime version string ("9.0.1", "10.0.0-rc.1..."); an error if it is none. */
struct clrsos_error *clrsos_counters_runtime_major(const char *version, int *ret);

/*
 * Fill providers (initialized by the call) for spec on a runtime of that
 * major version, sampling every interval seconds (whole seconds, 1 to
 * 86400: MetricsEventSource parses RefreshInterval with the target's own
 * culture, where "1.5" may read as 15). client_id NULL: a
 * new random one. Every name of the spec goes into the arguments checked:
 * a name with ';', '=' or '"' is refused (it would break the argument list).
 */
struct clrsos_error *clrsos_counters_providers_build(const struct clrsos_counter_spec *spec, int runtime_major,
						     double interval, const char *client_id,
						     struct clrsos_counters_providers *providers);
void clrsos_counters_providers_deinit(struct clrsos_counters_providers *providers);

#endif
