/*
 * Watch: a long computation's link to the user who waits for it. It
 * answers whether the user asked the command to stop (Ctrl-C in the
 * debugger), cheaply enough to be asked for every object, and shows how
 * far the work got once it has taken about a second (progress, on the
 * debugger's error stream only: never in the command's output).
 *
 * Loops call clrsos_watch_tick for each unit of work (an object, a root, a
 * string): it counts down and, every few milliseconds of work, asks the
 * debugger. Once the user has asked, every later tick fails with a
 * CLRSOS_ERROR_INTERRUPTED error, so that whatever loop or cache the work
 * was in ends and is discarded. A NULL watch never stops and shows nothing.
 */
#ifndef CLRSOS_WATCH_H
#define CLRSOS_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/output.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_watch {
	/* Whether the user asked to stop; NULL: never. */
	bool (*interrupted)(void *ctx);
	void *interrupted_ctx;
	/* Where progress goes (the debugger's error stream), or NULL. */
	struct clrsos_writer *progress;
	/* progress is a terminal: one line, rewritten in place (\r). */
	bool terminal;
	/* No progress for this command (-noprogress, --json). */
	bool quiet;
	const char *command; /* named in progress lines and the interrupted error */
	double after;        /* seconds of work before progress shows (1; the caller may change it) */

	/* State. */
	uint32_t countdown, every;
	double start, last_poll, last_shown;
	bool stopped;   /* the user asked: every tick fails from now on */
	bool line_open; /* a progress line is on the terminal, to be cleared */
	bool shown;     /* a progress line was shown */
	bool wrote;     /* output was written since the last report */
};

/* A watch for one command; host callbacks as above (each may be NULL). */
void clrsos_watch_init(struct clrsos_watch *w, const char *command, bool (*interrupted)(void *ctx),
		       void *interrupted_ctx, struct clrsos_writer *progress, bool terminal);

/* The slow path of clrsos_watch_tick: asks the debugger, now and then. */
struct clrsos_error *clrsos_watch_poll(struct clrsos_watch *w);

/*
 * One unit of work done: NULL, or the CLRSOS_ERROR_INTERRUPTED error (the
 * caller's to return, and destroy) once the user asked to stop.
 */
static inline struct clrsos_error *clrsos_watch_tick(struct clrsos_watch *w)
{
	if (!w || --w->countdown)
		return 0;
	return clrsos_watch_poll(w);
}

/* Whether the user asked to stop (a tick failed): what was computed is incomplete. */
static inline bool clrsos_watch_stopped(const struct clrsos_watch *w)
{
	return w && w->stopped;
}

/* The error that says the command was interrupted. */
struct clrsos_error *clrsos_watch_error(const struct clrsos_watch *w);

/*
 * How far the work is: done of total, shown (once the work has lasted
 * w->after, about once a second or in place on a terminal) as
 * "<command>: NN% of <shown_total> <what>", e.g. "dumpheap:  45% of 252 MB
 * of heap walked".
 */
void clrsos_watch_report(struct clrsos_watch *w, uint64_t done, uint64_t total, uint64_t shown_total,
			 const char *what);

/*
 * For a line of the caller's own: whether one is due now (last: the work
 * is done), then the text shown after "<command>: ".
 */
bool clrsos_watch_due(struct clrsos_watch *w, bool last);
void clrsos_watch_show(struct clrsos_watch *w, const char *text);

/* The heap walk's progress callback (clrsos_progress_fn) for ctx = a watch. */
void clrsos_watch_heap_progress(void *ctx, uint64_t done, uint64_t total);

/* The command is about to write output: a progress line on the terminal goes first. */
void clrsos_watch_output(struct clrsos_watch *w);

/* The command ends: its progress line, on a terminal, is cleared. */
void clrsos_watch_end(struct clrsos_watch *w);

#ifdef __cplusplus
}
#endif

#endif
