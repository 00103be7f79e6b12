/*
 * Watching a process's counters: the loop `counters` and `trigger` share.
 * It finds the process, asks its runtime version, enables the counter
 * providers that runtime has (counters/providers.h) in an EventPipe
 * session, and turns the session's nettrace stream into counter samples,
 * handed one at a time to the command's callback.
 *
 * SIGINT and SIGTERM stop the session at once from the signal handler
 * (clrsos_eventpipe_stop_all) and make clrsos_watch_pump() report the
 * stop; the runtime is never left with a session of ours.
 */
#ifndef CLRSOS_CLI_WATCH_H
#define CLRSOS_CLI_WATCH_H

#include <signal.h>
#include <stdbool.h>

#include "base/error.h"
#include "counters/providers.h"
#include "counters/sample.h"
#include "counters/spec.h"
#include "diag/eventpipe.h"
#include "diag/ipc.h"
#include "diag/nettrace.h"

typedef struct clrsos_error *(*clrsos_watch_sample_fn)(void *ctx, const struct clrsos_counter_sample *sample);

struct clrsos_watch {
	struct clrsos_ipc_endpoint endpoint;
	struct clrsos_process_info info;
	char name[64];               /* /proc/<pid>/comm */
	int runtime_major;
	struct clrsos_counter_spec spec;
	struct clrsos_counters_providers providers;
	struct clrsos_counters_session decode;
	struct clrsos_eventpipe_session *session;
	struct clrsos_nettrace_reader *reader;
	struct clrsos_counter_batch batch;
	clrsos_watch_sample_fn on_sample;
	void *ctx;
	size_t skipped;              /* counter events missing a field */
	bool has_endpoint, has_info, has_spec, has_providers;
};

/* Set by SIGINT/SIGTERM once clrsos_watch_signals() installed the handlers. */
extern volatile sig_atomic_t clrsos_watch_stopped;
void clrsos_watch_signals(void);

/*
 * Find pid, start a session for spec_text (NULL: System.Runtime) sampled
 * every interval seconds. Warnings from the runtime (limits reached,
 * another session) go to stderr as they come.
 */
struct clrsos_error *clrsos_watch_start(struct clrsos_watch *watch, int pid, const char *spec_text,
					double interval, clrsos_watch_sample_fn on_sample, void *ctx);

/* Read and decode what arrives within timeout_ms; *ended when the stream ended or a signal stopped it. */
struct clrsos_error *clrsos_watch_pump(struct clrsos_watch *watch, int timeout_ms, bool *ended);

/* Stop the session (if running) and free everything. */
void clrsos_watch_deinit(struct clrsos_watch *watch);

/* Seconds since the Unix epoch, now. */
double clrsos_watch_now(void);

#endif
