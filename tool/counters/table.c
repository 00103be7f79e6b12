#include "counters/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vector.h"

void clrsos_counter_table_init(struct clrsos_counter_table *t, size_t max_points)
{
	memset(t, 0, sizeof(*t));
	clrsos_counters_key_map_init(&t->index);
	t->max_points = max_points && max_points < 2 ? 2 : max_points;
}

static void series_destroy(struct clrsos_counter_series *s)
{
	if (!s)
		return;
	clrsos_counter_sample_deinit(&s->last);
	free(s->points);
	free(s);
}

void clrsos_counter_table_deinit(struct clrsos_counter_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		series_destroy(t->series[i]);
	free(t->series);
	for (size_t i = 0; i < t->provider_count; i++)
		free(t->providers[i]);
	free(t->providers);
	free(t->provider_has_meter);
	for (struct clrsos_counters_key_map_entry *e = clrsos_counters_key_map_first(&t->index); e;
	     e = clrsos_counters_key_map_next(&t->index, e))
		free(e->key);
	clrsos_counters_key_map_deinit(&t->index);
	for (size_t i = 0; i < t->mark_count; i++)
		free(t->marks[i].label);
	free(t->marks);
	memset(t, 0, sizeof(*t));
}

static char *make_key(const char *provider, const char *name, const char *tags)
{
	char *key = NULL;
	if (asprintf(&key, "%s\x1f%s\x1f%s", provider ? provider : "", name ? name : "", tags ? tags : "") < 0)
		return NULL;
	return key;
}

static struct clrsos_error *provider_index(struct clrsos_counter_table *t, const char *provider, size_t *ret)
{
	for (size_t i = 0; i < t->provider_count; i++) {
		if (!strcmp(t->providers[i], provider)) {
			*ret = i;
			return NULL;
		}
	}
	size_t cap = t->provider_capacity;
	struct clrsos_error *err = clrsos_array_reserve(&t->providers, &t->provider_capacity, t->provider_count + 1);
	if (err)
		return err;
	if (cap != t->provider_capacity) {
		bool *grown = realloc(t->provider_has_meter, t->provider_capacity * sizeof(*grown));
		if (!grown)
			return &clrsos_error_no_memory;
		t->provider_has_meter = grown;
	}
	char *copy = strdup(provider);
	if (!copy)
		return &clrsos_error_no_memory;
	t->providers[t->provider_count] = copy;
	t->provider_has_meter[t->provider_count] = false;
	*ret = t->provider_count++;
	return NULL;
}

static struct clrsos_error *history_add(struct clrsos_counter_table *t, struct clrsos_counter_series *s, double when,
				       double v)
{
	if (!t->max_points)
		return NULL;
	if (s->stride > 1 && (s->count - 1) % s->stride)
		return NULL;
	if (s->point_count == s->point_capacity && s->point_capacity < t->max_points) {
		size_t cap = s->point_capacity ? s->point_capacity * 2 : 16;
		if (cap > t->max_points)
			cap = t->max_points;
		struct clrsos_counter_point *grown = realloc(s->points, cap * sizeof(*grown));
		if (!grown)
			return &clrsos_error_no_memory;
		s->points = grown;
		s->point_capacity = cap;
	}
	if (s->point_count == t->max_points) {
		/* Full: keep every other point, and from now on every other sample more. */
		size_t j = 0;
		for (size_t i = 0; i < s->point_count; i += 2)
			s->points[j++] = s->points[i];
		s->point_count = j;
		s->stride *= 2;
	}
	s->points[s->point_count++] = (struct clrsos_counter_point){ when, v };
	return NULL;
}

struct clrsos_error *clrsos_counter_table_add(struct clrsos_counter_table *t, const struct clrsos_counter_sample *sample)
{
	struct clrsos_error *err;
	size_t p;
	if ((err = provider_index(t, sample->provider ? sample->provider : "", &p)))
		return err;
	char *key = make_key(sample->provider, sample->name, sample->tags);
	if (!key)
		return &clrsos_error_no_memory;
	struct clrsos_counters_key_map_entry *e = clrsos_counters_key_map_find(&t->index, key);
	struct clrsos_counter_series *s;
	if (e) {
		free(key);
		s = t->series[e->value];
		struct clrsos_counter_sample copy;
		if ((err = clrsos_counter_sample_copy(sample, &copy)))
			return err;
		clrsos_counter_sample_deinit(&s->last);
		s->last = copy;
	} else {
		if (t->count >= CLRSOS_COUNTER_TABLE_MAX_SERIES) {
			free(key);
			t->dropped++;
			return NULL;
		}
		if ((err = clrsos_array_reserve(&t->series, &t->capacity, t->count + 1))) {
			free(key);
			return err;
		}
		s = calloc(1, sizeof(*s));
		if (!s) {
			free(key);
			return &clrsos_error_no_memory;
		}
		s->stride = 1;
		if ((err = clrsos_counter_sample_copy(sample, &s->last)) ||
		    (err = clrsos_counters_key_map_set(&t->index, key, t->count))) {
			series_destroy(s);
			free(key);
			return err;
		}
		t->series[t->count++] = s;
	}
	s->count++;
	t->samples++;
	if (sample->meter && !t->provider_has_meter[p]) {
		t->provider_has_meter[p] = true;
		for (size_t i = 0; i < t->count; i++) {
			if (!t->series[i]->last.meter && !strcmp(t->series[i]->last.provider, t->providers[p]))
				t->series[i]->hidden = true;
		}
	}
	s->hidden = !sample->meter && t->provider_has_meter[p];
	if ((err = history_add(t, s, sample->timestamp, sample->value)))
		return err;
	if (!t->first_t || sample->timestamp < t->first_t)
		t->first_t = sample->timestamp;
	if (sample->timestamp > t->last_t)
		t->last_t = sample->timestamp;
	return NULL;
}

struct clrsos_counter_series *clrsos_counter_table_find(const struct clrsos_counter_table *t, const char *provider,
							 const char *name, const char *tags)
{
	char *key = make_key(provider, name, tags);
	if (!key)
		return NULL;
	struct clrsos_counters_key_map_entry *e = clrsos_counters_key_map_find(&t->index, key);
	free(key);
	if (e)
		return t->series[e->value];
	for (size_t i = 0; i < t->count; i++) {
		const struct clrsos_counter_sample *l = &t->series[i]->last;
		if ((!provider || !strcmp(l->provider, provider)) && !strcmp(l->tags, tags ? tags : "") &&
		    (!strcmp(l->name, name) || !strcmp(l->display_name, name)))
			return t->series[i];
	}
	return NULL;
}

struct clrsos_error *clrsos_counter_table_mark(struct clrsos_counter_table *t, double when, const char *label)
{
	struct clrsos_error *err = clrsos_array_reserve(&t->marks, &t->mark_capacity, t->mark_count + 1);
	if (err)
		return err;
	char *copy = strdup(label ? label : "");
	if (!copy)
		return &clrsos_error_no_memory;
	t->marks[t->mark_count++] = (struct clrsos_counter_mark){ when, copy };
	return NULL;
}

void clrsos_counter_table_visit(const struct clrsos_counter_table *t, bool with_hidden, clrsos_counter_visit_fn fn,
				void *ctx)
{
	for (size_t p = 0; p < t->provider_count; p++) {
		bool first = true;
		for (size_t i = 0; i < t->count; i++) {
			const struct clrsos_counter_series *s = t->series[i];
			if ((s->hidden && !with_hidden) || strcmp(s->last.provider, t->providers[p]))
				continue;
			if (!fn(ctx, s, first))
				return;
			first = false;
		}
	}
}
