/*
 * The counter table: the latest value of every time series seen, a series
 * being one (provider, counter name, tags), kept in first-seen order and
 * shown grouped by provider (providers in first-seen order too), as
 * dotnet-counters monitor shows them; with each series its sample count
 * and its history, bounded in memory: at most max_points points a series,
 * and when a history is full every other point is dropped and from then
 * on only every second sample kept (then every fourth...), so a long run
 * keeps its whole span at a coarser step.
 *
 * Where a provider publishes both EventCounters and a Meter of the same
 * name (System.Runtime on .NET 9 and later), the Meter's series are what
 * the view shows: the EventCounter series stay in the table (the trigger
 * and charts may ask for them by name) but are marked hidden, as
 * dotnet-counters shows the Meter only.
 *
 * Marks are moments to show on charts (a dump taken), with a label.
 *
 * Memory is bounded whatever a target or a recording holds: at most
 * CLRSOS_COUNTER_TABLE_MAX_SERIES series (samples of further ones are
 * counted in dropped, not kept), histories grown as filled.
 */
#ifndef CLRSOS_COUNTERS_TABLE_H
#define CLRSOS_COUNTERS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/hashmap.h"
#include "counters/sample.h"

enum { CLRSOS_COUNTER_TABLE_MAX_SERIES = 10000 };

struct clrsos_counter_point {
	double t; /* seconds since the Unix epoch */
	double v;
};

struct clrsos_counter_series {
	/* What it is: a copy of its first sample's strings (display name and unit follow the latest). */
	struct clrsos_counter_sample last; /* the latest sample */
	uint64_t count;                    /* samples seen */
	bool hidden;                       /* an EventCounter its provider's Meter replaces in the view */
	struct clrsos_counter_point *points; /* history, oldest first */
	size_t point_count, point_capacity;
	uint64_t stride; /* keep one sample in stride */
};

struct clrsos_counter_mark {
	double t;
	char *label;
};

static inline size_t clrsos_counters_key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 29));
}
#define clrsos_counters_key_equal(a, b) (strcmp((a), (b)) == 0)
#define clrsos_counters_key_empty(a) ((a) == NULL)
CLRSOS_HASHMAP(clrsos_counters_key_map, char *, size_t, clrsos_counters_key_hash, clrsos_counters_key_equal,
	       clrsos_counters_key_empty)

struct clrsos_counter_table {
	struct clrsos_counter_series **series; /* first-seen order; owned */
	size_t count, capacity;
	char **providers;                      /* first-seen order; owned */
	size_t provider_count, provider_capacity;
	bool *provider_has_meter;
	struct clrsos_counters_key_map index;  /* "provider\x1fname\x1ftags" -> position in series */
	struct clrsos_counter_mark *marks;
	size_t mark_count, mark_capacity;
	size_t max_points;                     /* per series; 0: no history */
	uint64_t samples;                      /* every sample added */
	uint64_t dropped;                      /* samples of series past the limit, not kept */
	double first_t, last_t;                /* time span of the samples (0 before any) */
};

/* max_points: the history kept per series (0 none; at least 2 otherwise). */
void clrsos_counter_table_init(struct clrsos_counter_table *table, size_t max_points);
void clrsos_counter_table_deinit(struct clrsos_counter_table *table);

/* Record a sample (copied). */
struct clrsos_error *clrsos_counter_table_add(struct clrsos_counter_table *table,
					      const struct clrsos_counter_sample *sample);

/* The series of (provider, name, tags), or NULL. name matches the counter name or its display name. */
struct clrsos_counter_series *clrsos_counter_table_find(const struct clrsos_counter_table *table,
							 const char *provider, const char *name, const char *tags);

/* Note a moment (label copied). */
struct clrsos_error *clrsos_counter_table_mark(struct clrsos_counter_table *table, double t, const char *label);

/*
 * The series in view order: provider by provider in first-seen order, the
 * series of each in first-seen order; hidden ones skipped unless
 * with_hidden. Calls fn for each until it returns false. provider_first
 * is true for the first series shown of its provider.
 */
typedef bool (*clrsos_counter_visit_fn)(void *ctx, const struct clrsos_counter_series *series, bool provider_first);
void clrsos_counter_table_visit(const struct clrsos_counter_table *table, bool with_hidden,
				clrsos_counter_visit_fn fn, void *ctx);

#endif
