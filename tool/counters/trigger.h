/*
 * Trigger conditions: when to take a dump, decided sample by sample.
 *
 * A condition names a counter (its name or display name, optionally with
 * tags in brackets: "dotnet.gc.heap.total_allocated",
 * "dotnet.gc.last_collection.heap.size[gc.heap.generation=gen2]"), a
 * threshold it must be above or below (a number, with KB/MB/GB for byte
 * counters, decimal as the runtime's own MB counters are, or % for a
 * percentage counter), and how long it must hold (--for, a duration: 3s,
 * 500ms, 1m, 2h; 0 fires on the first sample past the threshold). The
 * classic `trigger <pid> <MB>` is the GC heap size above MB: System.Runtime's
 * EventCounter gc-heap-size, in MB, as triggerdump had it.
 *
 * The trigger fires at most `dumps` times, at least `cooldown` seconds
 * apart, while the condition holds; time is the samples' own, so the
 * whole state machine is deterministic and tested with made-up samples.
 * A sample whose unit cannot be compared with the threshold's (bytes
 * asked, counter in "count") never fires; mismatch_unit says so.
 */
#ifndef CLRSOS_COUNTERS_TRIGGER_H
#define CLRSOS_COUNTERS_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "counters/sample.h"

enum clrsos_trigger_unit {
	CLRSOS_TRIGGER_PLAIN,   /* a bare number: compared as the counter gives it */
	CLRSOS_TRIGGER_BYTES,   /* KB, MB, GB (powers of 1000) or B */
	CLRSOS_TRIGGER_PERCENT, /* % */
};

/* What the user wrote, parsed; the strings are options' text, borrowed for the call. */
struct clrsos_trigger_options {
	const char *counter;  /* name[tags] */
	const char *above;    /* one of above and below */
	const char *below;
	const char *for_time; /* NULL: 0 */
	unsigned dumps;       /* 0: 1 */
	const char *cooldown; /* NULL: 0 */
};

struct clrsos_trigger {
	/* The condition. */
	char *provider; /* NULL: any provider */
	char *name;
	char *tags;     /* NULL: any tags */
	bool above;
	double threshold;   /* in bytes for BYTES */
	enum clrsos_trigger_unit unit;
	double for_seconds;
	unsigned dumps;
	double cooldown;
	/* The state. */
	unsigned fired;
	bool holding;       /* the condition held at the last matching sample */
	double since;       /* from when it has held */
	double last_fire;
	double last_fire_clock; /* the caller's clock at the last dump (clrsos_trigger_feed_at), or NAN */
	double last_value;  /* the last matching sample's value */
	bool seen;          /* a matching sample was seen */
	const char *mismatch_unit; /* a matching counter's unit that the threshold cannot be compared with, or NULL */
	char mismatch_buf[64];
};

/* A duration: "3s", "500ms", "1.5m", "2h", "3" (seconds). */
struct clrsos_error *clrsos_trigger_parse_duration(const char *text, double *seconds);

/* A threshold: "500", "1.5GB", "80%". */
struct clrsos_error *clrsos_trigger_parse_threshold(const char *text, double *value, enum clrsos_trigger_unit *unit);

/* From options (initialized by the call). Errors name the option and say what to write. */
struct clrsos_error *clrsos_trigger_init(struct clrsos_trigger *trigger, const struct clrsos_trigger_options *options);

/* The classic condition: System.Runtime's gc-heap-size above mb megabytes, once. */
struct clrsos_error *clrsos_trigger_init_gc_heap(struct clrsos_trigger *trigger, const char *mb);

void clrsos_trigger_deinit(struct clrsos_trigger *trigger);

/* Whether sample is the trigger's counter. */
bool clrsos_trigger_matches(const struct clrsos_trigger *trigger, const struct clrsos_counter_sample *sample);

/* Feed a sample (any: others are ignored); true: take a dump now. */
bool clrsos_trigger_feed(struct clrsos_trigger *trigger, const struct clrsos_counter_sample *sample);

/* The same, where the caller also knows the time the dump would be taken at (seconds, any epoch): the
 * cooldown then holds on that clock too, as samples arrive in batches and late. */
bool clrsos_trigger_feed_at(struct clrsos_trigger *trigger, const struct clrsos_counter_sample *sample, double clock);

/* Every dump asked for was fired. */
bool clrsos_trigger_done(const struct clrsos_trigger *trigger);

/* "gc-heap-size > 500 MB for 3 s" into buf; returns buf. */
char *clrsos_trigger_describe(const struct clrsos_trigger *trigger, char *buf, size_t size);

#endif
