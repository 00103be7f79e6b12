/*
 * An EventPipe session over the diagnostics socket: CollectTracing in the
 * newest version the runtime accepts (falling back on an "unknown command"
 * reply), then the connection carries the session's nettrace stream until
 * StopTracing, sent on a second connection with the session id. A session
 * is always stopped: by clrsos_eventpipe_stop(), by destroy, and by the
 * tool's SIGINT/SIGTERM handling (clrsos_eventpipe_stop_all()), so the
 * runtime is never left with an orphan session.
 */
#ifndef CLRSOS_EVENTPIPE_H
#define CLRSOS_EVENTPIPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "diag/ipc.h"

struct clrsos_eventpipe_provider {
	const char *name;
	uint64_t keywords;
	uint32_t level;          /* 0..5, 4 informational, 5 verbose */
	const char *arguments;   /* "Key=Value;Key2=Value2" or NULL */
};

struct clrsos_eventpipe_session;

/* Start a session with the providers; circular buffer in MB (dotnet-counters uses 256... the helper states ours). */
struct clrsos_error *clrsos_eventpipe_start(const struct clrsos_ipc_endpoint *endpoint,
					    const struct clrsos_eventpipe_provider *providers, size_t count,
					    uint32_t buffer_mb, struct clrsos_eventpipe_session **session);

/* The stream's descriptor: read nettrace from it (poll it for readability). */
int clrsos_eventpipe_fd(const struct clrsos_eventpipe_session *session);
uint64_t clrsos_eventpipe_id(const struct clrsos_eventpipe_session *session);

/* Read what is available (waiting at most timeout_ms) into the reader; *eof set when the runtime closed the stream. */
struct clrsos_nettrace_reader;
struct clrsos_error *clrsos_eventpipe_pump(struct clrsos_eventpipe_session *session,
					   struct clrsos_nettrace_reader *reader, int timeout_ms, int *eof);

/* Stop the session (StopTracing on a new connection) and drain the stream to its end. Idempotent. */
struct clrsos_error *clrsos_eventpipe_stop(struct clrsos_eventpipe_session *session);

/* Stops it if still running, then frees. */
void clrsos_eventpipe_destroy(struct clrsos_eventpipe_session *session);

/* For signal handlers: send StopTracing for every running session (async-signal-safe). */
void clrsos_eventpipe_stop_all(void);

#endif
