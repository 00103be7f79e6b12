/*
 * Hand-built counter events for the tests: a provider, an event name and
 * a list of fields by path, served through the decoder's find interface
 * (clrsos_nettrace_payload_find()'s contract), so no nettrace stream is
 * needed.
 */
#ifndef CLRSOS_TEST_FAKE_EVENT_H
#define CLRSOS_TEST_FAKE_EVENT_H

#include "counters/sample.h"

struct fake_field {
	const char *path;
	enum clrsos_nettrace_type type;
	const char *s; /* STRING */
	double d;      /* SINGLE, DOUBLE */
	long long i;   /* integers */
};

#define FS(p, v) { .path = (p), .type = CLRSOS_NETTRACE_STRING, .s = (v) }
#define FD(p, v) { .path = (p), .type = CLRSOS_NETTRACE_DOUBLE, .d = (v) }
#define FF(p, v) { .path = (p), .type = CLRSOS_NETTRACE_SINGLE, .d = (v) }
#define FI(p, v) { .path = (p), .type = CLRSOS_NETTRACE_INT32, .i = (v) }

struct fake_event {
	const struct fake_field *fields;
	size_t count;
	struct clrsos_nettrace_field descs[32];
};

/* Make event (valid while fake and fields are) from the fields. */
void fake_event_init(struct fake_event *fake, struct clrsos_counters_event *event, const char *provider,
		     const char *name, unsigned version, double timestamp, const struct fake_field *fields,
		     size_t count);

#endif
