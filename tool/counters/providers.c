#include "counters/providers.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct clrsos_error *clrsos_counters_runtime_major(const char *version, int *ret)
{
	const char *p = version ? version : "";
	while (*p == ' ' || *p == 'v')
		p++;
	long major = 0;
	int digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 6)
		major = major * 10 + (*p++ - '0'), digits++;
	if (!digits || (*p && *p != '.' && *p != '-' && *p != '+'))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "not a runtime version: '%.40s'", version ? version : "");
	*ret = (int)major;
	return NULL;
}

void clrsos_counters_providers_deinit(struct clrsos_counters_providers *p)
{
	for (size_t i = 0; i < p->string_count; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->items);
	free(p->session_id);
	free(p->client_id);
	memset(p, 0, sizeof(*p));
}

/* Keep s (owned from now on) in p; NULL if it could not (s freed). */
static char *keep(struct clrsos_counters_providers *p, char *s)
{
	if (!s)
		return NULL;
	char **grown = realloc(p->strings, (p->string_count + 1) * sizeof(*grown));
	if (!grown) {
		free(s);
		return NULL;
	}
	p->strings = grown;
	p->strings[p->string_count++] = s;
	return s;
}

static struct clrsos_error *add(struct clrsos_counters_providers *p, const char *name, uint64_t keywords,
				const char *arguments)
{
	struct clrsos_eventpipe_provider *grown = realloc(p->items, (p->count + 1) * sizeof(*grown));
	if (!grown)
		return &clrsos_error_no_memory;
	p->items = grown;
	p->items[p->count++] = (struct clrsos_eventpipe_provider){
		.name = name, .keywords = keywords, .level = CLRSOS_COUNTERS_LEVEL, .arguments = arguments,
	};
	return NULL;
}

static char *new_guid(void)
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
		for (int i = 0; i < 16; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			b[i] = (uint8_t)(x >> 56);
		}
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;
	char *s = malloc(37);
	if (s)
		snprintf(s, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
			 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return s;
}

static bool argument_safe(const char *s)
{
	return !strpbrk(s, ";=\",");
}

struct clrsos_error *clrsos_counters_providers_build(const struct clrsos_counter_spec *spec, int runtime_major,
						     double interval, const char *client_id,
						     struct clrsos_counters_providers *p)
{
	memset(p, 0, sizeof(*p));
	struct clrsos_error *err = NULL;
	/* Whole seconds, as dotnet-counters' --refresh-interval: the target parses RefreshInterval in its own culture. */
	if (!(interval >= 1 && interval <= 86400) || interval != floor(interval))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "a refresh interval of %g s: give whole seconds, from 1 to 86400", interval);
	char seconds[32];
	snprintf(seconds, sizeof(seconds), "%g", interval);
	size_t meters_len = 0;
	for (size_t i = 0; i < spec->count; i++) {
		const struct clrsos_counter_group *g = &spec->groups[i];
		if (!argument_safe(g->provider))
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "--counters: a provider name with ';', '=', ',' or '\"' cannot be asked for");
		char *args = NULL;
		if (asprintf(&args, "EventCounterIntervalSec=%s", seconds) < 0)
			args = NULL;
		if (!(args = keep(p, args)) || (err = add(p, g->provider, 0, args)))
			goto fail;
		bool meter = !g->eventcounters_only && (runtime_major >= 9 || strcmp(g->provider, "System.Runtime"));
		if (meter)
			meters_len += strlen(g->provider) + 1;
	}
	if (meters_len) {
		char *meters = calloc(1, meters_len);
		if (!keep(p, meters))
			goto nomem;
		for (size_t i = 0; i < spec->count; i++) {
			const struct clrsos_counter_group *g = &spec->groups[i];
			if (g->eventcounters_only || (runtime_major < 9 && !strcmp(g->provider, "System.Runtime")))
				continue;
			if (*meters)
				strcat(meters, ",");
			strcat(meters, g->provider);
		}
		p->client_id = client_id ? strdup(client_id) : new_guid();
		if (!p->client_id)
			goto nomem;
		if (!argument_safe(p->client_id)) {
			err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "a client id with ';', '=', ',' or '\"'");
			goto fail;
		}
		p->session_id = strdup(runtime_major >= 8 ? CLRSOS_METRICS_SHARED_SESSION : p->client_id);
		char *args = NULL;
		if (asprintf(&args, "SessionId=%s;Metrics=%s;RefreshInterval=%s;MaxTimeSeries=%d;MaxHistograms=%d;ClientId=%s",
			     p->session_id ? p->session_id : "", meters, seconds, CLRSOS_COUNTERS_MAX_TIMESERIES,
			     CLRSOS_COUNTERS_MAX_HISTOGRAMS, p->client_id) < 0)
			args = NULL;
		if (!p->session_id || !(args = keep(p, args)))
			goto nomem;
		if ((err = add(p, CLRSOS_METRICS_PROVIDER, CLRSOS_METRICS_KEYWORD_TIMESERIES, args)))
			goto fail;
	} else {
		p->session_id = strdup("");
		if (!p->session_id)
			goto nomem;
	}
	return NULL;
nomem:
	err = &clrsos_error_no_memory;
fail:
	clrsos_counters_providers_deinit(p);
	return err ? err : &clrsos_error_no_memory;
}
