#include "counters/spec.h"

#include <stdlib.h>
#include <string.h>

static const char eventcounters_prefix[] = "EventCounters\\";

void clrsos_counter_spec_init(struct clrsos_counter_spec *spec)
{
	spec->groups = NULL;
	spec->count = 0;
}

static void group_deinit(struct clrsos_counter_group *g)
{
	free(g->provider);
	for (size_t i = 0; i < g->counter_count; i++)
		free(g->counters[i]);
	free(g->counters);
}

void clrsos_counter_spec_deinit(struct clrsos_counter_spec *spec)
{
	for (size_t i = 0; i < spec->count; i++)
		group_deinit(&spec->groups[i]);
	free(spec->groups);
	clrsos_counter_spec_init(spec);
}

static char *trimmed_dup(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

static struct clrsos_error *add_counter(struct clrsos_counter_group *g, const char *s, size_t n)
{
	char *name = trimmed_dup(s, n);
	if (!name)
		return &clrsos_error_no_memory;
	if (!*name) { /* "a,,b" and "[]": empty entries are dropped, as dotnet-counters does */
		free(name);
		return NULL;
	}
	for (size_t i = 0; i < g->counter_count; i++) {
		if (!strcmp(g->counters[i], name)) {
			free(name);
			return NULL;
		}
	}
	char **grown = realloc(g->counters, (g->counter_count + 1) * sizeof(*grown));
	if (!grown) {
		free(name);
		return &clrsos_error_no_memory;
	}
	g->counters = grown;
	g->counters[g->counter_count++] = name;
	return NULL;
}

/* One provider: name[counters], from s (n bytes). */
static struct clrsos_error *parse_provider(struct clrsos_counter_spec *spec, const char *s, size_t n)
{
	const char *open = memchr(s, '[', n);
	size_t name_len = open ? (size_t)(open - s) : n;
	bool ec_only = false;
	if (name_len >= sizeof(eventcounters_prefix) - 1 &&
	    !memcmp(s, eventcounters_prefix, sizeof(eventcounters_prefix) - 1)) {
		ec_only = true;
		s += sizeof(eventcounters_prefix) - 1;
		n -= sizeof(eventcounters_prefix) - 1;
		name_len -= sizeof(eventcounters_prefix) - 1;
	}
	char *name = trimmed_dup(s, name_len);
	if (!name)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = NULL;
	if (!*name || memchr(name, ']', strlen(name))) {
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "--counters: expected a provider name before '%.*s'; write Provider[counter,...]",
					  (int)(n > 40 ? 40 : n), s);
		goto out;
	}
	const char *list = NULL, *close = NULL;
	if (open) {
		list = open + 1;
		close = memchr(list, ']', n - (size_t)(list - s));
		if (!close) {
			err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						  "--counters: no closing ']' after %s[", name);
			goto out;
		}
		if (memchr(list, '[', (size_t)(close - list))) {
			err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						  "--counters: more than one '[' after %s", name);
			goto out;
		}
		for (const char *p = close + 1; p < s + n; p++) {
			if (*p != ' ' && *p != '\t') {
				err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							  "--counters: unexpected characters after %s[...]", name);
				goto out;
			}
		}
	}
	struct clrsos_counter_group *g = NULL;
	for (size_t i = 0; i < spec->count; i++) {
		if (!strcmp(spec->groups[i].provider, name))
			g = &spec->groups[i];
	}
	bool had_all = false;
	if (g) {
		if (g->eventcounters_only != ec_only) {
			err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						  "--counters: %s is named both with and without the EventCounters\\ prefix; use one",
						  name);
			goto out;
		}
		had_all = g->counter_count == 0;
	} else {
		struct clrsos_counter_group *grown = realloc(spec->groups, (spec->count + 1) * sizeof(*grown));
		if (!grown) {
			err = &clrsos_error_no_memory;
			goto out;
		}
		spec->groups = grown;
		g = &spec->groups[spec->count++];
		memset(g, 0, sizeof(*g));
		g->provider = name;
		g->eventcounters_only = ec_only;
		name = NULL;
	}
	if (!open || had_all) {
		/* No list here or before: every counter of the provider. */
		for (size_t i = 0; i < g->counter_count; i++)
			free(g->counters[i]);
		free(g->counters);
		g->counters = NULL;
		g->counter_count = 0;
		if (had_all || !open)
			goto out;
	}
	size_t before = g->counter_count;
	for (const char *p = list; p <= close && !err;) {
		const char *end = memchr(p, ',', (size_t)(close - p));
		if (!end)
			end = close;
		err = add_counter(g, p, (size_t)(end - p));
		p = end + 1;
	}
	if (!err && g->counter_count == before && before == 0) {
		/* "System.Runtime[]": dotnet-counters takes it as every counter. */
	}
out:
	free(name);
	return err;
}

struct clrsos_error *clrsos_counter_spec_parse(const char *text, struct clrsos_counter_spec *spec)
{
	clrsos_counter_spec_init(spec);
	if (!text)
		text = "";
	struct clrsos_error *err = NULL;
	size_t n = strlen(text), start = 0;
	bool in_brackets = false, blank = true;
	for (size_t i = 0; i <= n && !err; i++) {
		char c = i < n ? text[i] : ',';
		if (in_brackets) {
			if (c == ']')
				in_brackets = false;
			else if (i == n)
				err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							  "--counters: no closing ']' in '%.60s'", text + start);
			continue;
		}
		if (c == '[') {
			in_brackets = true;
			blank = false;
			continue;
		}
		if (c != ',') {
			if (c != ' ' && c != '\t')
				blank = false;
			continue;
		}
		if (blank) {
			if (i < n || spec->count || start > 0)
				err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							  "--counters: an empty provider name at offset %zu; write A,B[c1,c2]",
							  i);
		} else {
			err = parse_provider(spec, text + start, i - start);
		}
		start = i + 1;
		blank = true;
	}
	if (!err && !spec->count)
		err = parse_provider(spec, "System.Runtime", strlen("System.Runtime"));
	if (err)
		clrsos_counter_spec_deinit(spec);
	return err;
}

const struct clrsos_counter_group *clrsos_counter_spec_group(const struct clrsos_counter_spec *spec,
							      const char *provider)
{
	for (size_t i = 0; i < spec->count; i++) {
		if (!strcmp(spec->groups[i].provider, provider))
			return &spec->groups[i];
	}
	return NULL;
}

bool clrsos_counter_spec_match(const struct clrsos_counter_spec *spec, const char *provider, const char *name)
{
	const struct clrsos_counter_group *g = clrsos_counter_spec_group(spec, provider);
	if (!g)
		return false;
	if (!g->counter_count)
		return true;
	for (size_t i = 0; i < g->counter_count; i++) {
		if (!strcmp(g->counters[i], name))
			return true;
	}
	return false;
}
