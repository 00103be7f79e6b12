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

/*
 * Start a session with the providers, nettrace format, no rundown and no
 * stacks: CollectTracing3 (0x0204, .NET 9+), else CollectTracing2 (0x0203,
 * .NET 8), else CollectTracing (0x0202, rundown on: the runtime's own
 * default then). buffer_mb: the runtime's circular buffer for the session,
 * 0 for 256 (the .NET diagnostics client library's default). The start is
 * answered within 10 s or fails. At most 16 sessions at once.
 */
struct clrsos_error *clrsos_eventpipe_start(const struct clrsos_ipc_endpoint *endpoint,
					    const struct clrsos_eventpipe_provider *providers, size_t count,
					    uint32_t buffer_mb, struct clrsos_eventpipe_session **session);

/* The stream's descriptor: read nettrace from it (poll it for readability). */
int clrsos_eventpipe_fd(const struct clrsos_eventpipe_session *session);
uint64_t clrsos_eventpipe_id(const struct clrsos_eventpipe_session *session);

/*
 * Read what is available (waiting at most timeout_ms, at most 1 MiB per
 * call) into the reader (NULL: read and drop); *eof set when the runtime
 * closed the stream. The reader's error is returned as it is.
 */
struct clrsos_nettrace_reader;
struct clrsos_error *clrsos_eventpipe_pump(struct clrsos_eventpipe_session *session,
					   struct clrsos_nettrace_reader *reader, int timeout_ms, int *eof);

/*
 * Stop the session (StopTracing, 0x0201 with the uint64 id, on a new
 * connection) and drain the stream to its end, reading and dropping what
 * the runtime still flushes (read it with pump first if it matters), within
 * 10 s. Idempotent; nothing to do once the stream has ended.
 */
struct clrsos_error *clrsos_eventpipe_stop(struct clrsos_eventpipe_session *session);

/* Stops it if still running, then frees. */
void clrsos_eventpipe_destroy(struct clrsos_eventpipe_session *session);

/* For signal handlers: send StopTracing for every running session (async-signal-safe). */
void clrsos_eventpipe_stop_all(void);

#endif
