/* Running one command under a watch: Ctrl-C and progress (watch.h). */
#include "commands.h"

#include "base/watch.h"

/* The command's output, passed on; a progress line on the terminal is cleared first. */
struct watched_writer {
	struct clrsos_writer *out;
	struct clrsos_watch *watch;
};

static void write_watched(void *ctx, const char *text, size_t size)
{
	struct watched_writer *w = ctx;
	clrsos_watch_output(w->watch);
	w->out->write(w->out->ctx, text, size);
}

struct clrsos_error *clrsos_command_run_watched(const struct clrsos_command *command,
						struct clrsos_session *session,
						const struct clrsos_host *host, int argc,
						const char *const *argv, struct clrsos_writer *out)
{
	struct clrsos_watch watch;
	/* No host (a caller with no debugger, the unit tests): no Ctrl-C, no progress. */
	clrsos_watch_init(&watch, command->name, host ? host->interrupted : NULL,
			  host ? host->interrupted_ctx : NULL, host ? host->progress : NULL,
			  host && host->progress_terminal);
	/* The user's progress-after-ms setting (clrsos settings). */
	if (host && host->settings)
		watch.after = (double)host->settings->progress_after_ms / 1000.0;
	struct watched_writer ww = {out, &watch};
	struct clrsos_writer watched = {write_watched, &ww};
	if (session)
		clrsos_session_set_watch(session, &watch);
	struct clrsos_error *err = command->run(session, host, argc, argv, &watched);
	if (session)
		clrsos_session_set_watch(session, NULL);
	clrsos_watch_end(&watch);
	/*
	 * Interrupted where an error was taken for an answer ("no object
	 * there", say): the answer is incomplete, so the command says so.
	 */
	if (!err && watch.stopped)
		err = clrsos_watch_error(&watch);
	else if (err && watch.stopped && err->code != CLRSOS_ERROR_INTERRUPTED) {
		clrsos_error_destroy(err);
		err = clrsos_watch_error(&watch);
	}
	return err;
}
