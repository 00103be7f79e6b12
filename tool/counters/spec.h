/*
 * A counter specification: what `--counters` names, in dotnet-counters'
 * syntax. A comma-separated list of providers (EventCounter providers or
 * Meters: the same name may be both), each optionally followed by the
 * counters wanted in brackets:
 *
 *	System.Runtime
 *	System.Runtime[dotnet.gc.heap.total_allocated,dotnet.gc.last_collection.heap.size]
 *	System.Runtime[gc-heap-size,cpu-usage],Microsoft.AspNetCore.Hosting
 *	EventCounters\System.Runtime       (only the EventCounters, not the Meter)
 *
 * A provider named twice is merged (its lists joined; no list means all).
 * An empty specification means System.Runtime, as dotnet-counters does.
 */
#ifndef CLRSOS_COUNTERS_SPEC_H
#define CLRSOS_COUNTERS_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct clrsos_counter_group {
	char *provider;        /* without the EventCounters\ prefix */
	bool eventcounters_only; /* named with the EventCounters\ prefix */
	char **counters;       /* none: every counter of the provider */
	size_t counter_count;
};

struct clrsos_counter_spec {
	struct clrsos_counter_group *groups;
	size_t count;
};

void clrsos_counter_spec_init(struct clrsos_counter_spec *spec);
void clrsos_counter_spec_deinit(struct clrsos_counter_spec *spec);

/* Parse text (NULL or "": System.Runtime) into spec (initialized by the call); CLRSOS_ERROR_INVALID_ARGUMENT says where. */
struct clrsos_error *clrsos_counter_spec_parse(const char *text, struct clrsos_counter_spec *spec);

/* The group of provider, or NULL. */
const struct clrsos_counter_group *clrsos_counter_spec_group(const struct clrsos_counter_spec *spec,
							      const char *provider);

/* Whether the spec asks for the counter name of provider (EventCounter or instrument name). */
bool clrsos_counter_spec_match(const struct clrsos_counter_spec *spec, const char *provider, const char *name);

#endif
