#include "counters/trigger.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A number at the start of text; *end after it. */
static bool leading_number(const char *text, double *value, const char **end)
{
	const char *p = text;
	if (*p == '+')
		p++;
	if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
		return false;
	char *e;
	double v = strtod(p, &e);
	if (e == p || !isfinite(v) || v < 0)
		return false;
	*value = v;
	*end = e;
	return true;
}

struct clrsos_error *clrsos_trigger_parse_duration(const char *text, double *seconds)
{
	double v;
	const char *unit;
	if (!text || !leading_number(text, &v, &unit))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "'%.40s' is not a duration: write 3s, 500ms, 1m or 2h", text ? text : "");
	double scale;
	if (!*unit || !strcmp(unit, "s"))
		scale = 1;
	else if (!strcmp(unit, "ms"))
		scale = 0.001;
	else if (!strcmp(unit, "m") || !strcmp(unit, "min"))
		scale = 60;
	else if (!strcmp(unit, "h"))
		scale = 3600;
	else
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "'%.40s' is not a duration: the unit is one of ms, s, m, h", text);
	if (v * scale > 366 * 86400.0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "'%.40s' is longer than a year", text);
	*seconds = v * scale;
	return NULL;
}

struct clrsos_error *clrsos_trigger_parse_threshold(const char *text, double *value, enum clrsos_trigger_unit *unit)
{
	double v;
	const char *u;
	if (!text || !leading_number(text, &v, &u))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "'%.40s' is not a threshold: write a number, with KB, MB, GB or %%",
					   text ? text : "");
	if (!*u) {
		*unit = CLRSOS_TRIGGER_PLAIN;
	} else if (!strcmp(u, "%")) {
		*unit = CLRSOS_TRIGGER_PERCENT;
	} else if (!strcasecmp(u, "B")) {
		*unit = CLRSOS_TRIGGER_BYTES;
	} else if (!strcasecmp(u, "KB")) {
		*unit = CLRSOS_TRIGGER_BYTES, v *= 1e3;
	} else if (!strcasecmp(u, "MB")) {
		*unit = CLRSOS_TRIGGER_BYTES, v *= 1e6;
	} else if (!strcasecmp(u, "GB")) {
		*unit = CLRSOS_TRIGGER_BYTES, v *= 1e9;
	} else {
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "'%.40s' is not a threshold: the unit is one of KB, MB, GB, %%", text);
	}
	*value = v;
	return NULL;
}

void clrsos_trigger_deinit(struct clrsos_trigger *t)
{
	free(t->provider);
	free(t->name);
	free(t->tags);
	memset(t, 0, sizeof(*t));
}

/* "name[tags]" into t->name and t->tags. */
static struct clrsos_error *parse_counter(struct clrsos_trigger *t, const char *text)
{
	const char *open = strchr(text, '[');
	size_t n = open ? (size_t)(open - text) : strlen(text);
	if (!n || memchr(text, ']', n))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "--counter '%.60s': write a counter name, with tags in brackets if any: "
					   "name[key=value,key2=value2]",
					   text);
	if (open) {
		size_t len = strlen(open);
		if (len < 2 || open[len - 1] != ']' || memchr(open + 1, '[', len - 1) ||
		    memchr(open + 1, ']', len - 2))
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "--counter '%.60s': the tags end with the one ']' at the end", text);
		t->tags = strndup(open + 1, len - 2);
		if (!t->tags)
			return &clrsos_error_no_memory;
	}
	t->name = strndup(text, n);
	return t->name ? NULL : &clrsos_error_no_memory;
}

struct clrsos_error *clrsos_trigger_init(struct clrsos_trigger *t, const struct clrsos_trigger_options *o)
{
	memset(t, 0, sizeof(*t));
	struct clrsos_error *err = NULL;
	if (!o->counter || !*o->counter) {
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "--counter: name the counter to watch");
		goto fail;
	}
	if (!o->above == !o->below) {
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "give one of --above and --below");
		goto fail;
	}
	if ((err = parse_counter(t, o->counter)))
		goto fail;
	t->above = o->above != NULL;
	if ((err = clrsos_trigger_parse_threshold(t->above ? o->above : o->below, &t->threshold, &t->unit))) {
		err = clrsos_error_wrap(err, "%s", t->above ? "--above" : "--below");
		goto fail;
	}
	if (o->for_time && (err = clrsos_trigger_parse_duration(o->for_time, &t->for_seconds))) {
		err = clrsos_error_wrap(err, "--for");
		goto fail;
	}
	if (o->cooldown && (err = clrsos_trigger_parse_duration(o->cooldown, &t->cooldown))) {
		err = clrsos_error_wrap(err, "--cooldown");
		goto fail;
	}
	if (o->dumps > 1000) {
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "--dumps %u: at most 1000", o->dumps);
		goto fail;
	}
	t->dumps = o->dumps ? o->dumps : 1;
	return NULL;
fail:
	clrsos_trigger_deinit(t);
	return err;
}

struct clrsos_error *clrsos_trigger_init_gc_heap(struct clrsos_trigger *t, const char *mb)
{
	memset(t, 0, sizeof(*t));
	double v;
	const char *end;
	if (!mb || !leading_number(mb, &v, &end) || *end)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "'%.40s' is not a heap size in MB: write trigger <pid> <MB>, e.g. 500",
					   mb ? mb : "");
	t->provider = strdup("System.Runtime");
	t->name = strdup("gc-heap-size");
	if (!t->provider || !t->name) {
		clrsos_trigger_deinit(t);
		return &clrsos_error_no_memory;
	}
	t->above = true;
	t->threshold = v * 1e6;
	t->unit = CLRSOS_TRIGGER_BYTES;
	t->dumps = 1;
	return NULL;
}

bool clrsos_trigger_matches(const struct clrsos_trigger *t, const struct clrsos_counter_sample *s)
{
	if (t->provider && strcmp(t->provider, s->provider ? s->provider : ""))
		return false;
	if (t->tags && strcmp(t->tags, s->tags ? s->tags : ""))
		return false;
	return (s->name && !strcmp(s->name, t->name)) || (s->display_name && !strcmp(s->display_name, t->name));
}

/* The sample's value in the threshold's unit; false if they cannot be compared. */
static bool comparable(const struct clrsos_trigger *t, const struct clrsos_counter_sample *s, double *ret)
{
	const char *u = s->unit ? s->unit : "";
	switch (t->unit) {
	case CLRSOS_TRIGGER_PLAIN:
		*ret = s->value;
		return true;
	case CLRSOS_TRIGGER_PERCENT:
		*ret = s->value;
		return !*u || !strcmp(u, "%");
	case CLRSOS_TRIGGER_BYTES:
		if (!strcmp(u, "By") || !strcasecmp(u, "B") || !strcasecmp(u, "bytes"))
			*ret = s->value;
		else if (!strcasecmp(u, "KB"))
			*ret = s->value * 1e3;
		else if (!strcasecmp(u, "MB"))
			*ret = s->value * 1e6;
		else if (!strcasecmp(u, "GB"))
			*ret = s->value * 1e9;
		else
			return false;
		return true;
	}
	return false;
}

bool clrsos_trigger_feed(struct clrsos_trigger *t, const struct clrsos_counter_sample *s)
{
	return clrsos_trigger_feed_at(t, s, NAN);
}

bool clrsos_trigger_feed_at(struct clrsos_trigger *t, const struct clrsos_counter_sample *s, double clock)
{
	if (!clrsos_trigger_matches(t, s))
		return false;
	double v;
	if (!comparable(t, s, &v)) {
		snprintf(t->mismatch_buf, sizeof(t->mismatch_buf), "%s", *s->unit ? s->unit : "(none)");
		t->mismatch_unit = t->mismatch_buf;
		return false;
	}
	t->seen = true;
	t->last_value = s->value;
	bool holds = t->above ? v > t->threshold : v < t->threshold;
	if (!holds) {
		t->holding = false;
		return false;
	}
	if (!t->holding) {
		t->holding = true;
		t->since = s->timestamp;
	}
	if (t->fired >= t->dumps)
		return false;
	if (s->timestamp - t->since < t->for_seconds)
		return false;
	if (t->fired && s->timestamp - t->last_fire < t->cooldown)
		return false;
	if (t->fired && !isnan(clock) && !isnan(t->last_fire_clock) && clock - t->last_fire_clock < t->cooldown)
		return false;
	t->fired++;
	t->last_fire = s->timestamp;
	t->last_fire_clock = clock;
	return true;
}

bool clrsos_trigger_done(const struct clrsos_trigger *t)
{
	return t->fired >= t->dumps;
}

char *clrsos_trigger_describe(const struct clrsos_trigger *t, char *buf, size_t size)
{
	char thr[48];
	if (t->unit == CLRSOS_TRIGGER_BYTES)
		snprintf(thr, sizeof(thr), "%g MB", t->threshold / 1e6);
	else if (t->unit == CLRSOS_TRIGGER_PERCENT)
		snprintf(thr, sizeof(thr), "%g%%", t->threshold);
	else
		snprintf(thr, sizeof(thr), "%g", t->threshold);
	char when[48] = "";
	if (t->for_seconds > 0)
		snprintf(when, sizeof(when), " for %g s", t->for_seconds);
	snprintf(buf, size, "%s%s%s%s %s %s%s", t->name, t->tags ? "[" : "", t->tags ? t->tags : "",
		 t->tags ? "]" : "", t->above ? ">" : "<", thr, when);
	return buf;
}
