#include "base/watch.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

/* Ask the debugger about every this many seconds of work (well under the half second allowed). */
#define POLL_SECONDS 0.01
/* Without a terminal, a progress line at most this often. */
#define LINE_SECONDS 1.0

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void clrsos_watch_init(struct clrsos_watch *w, const char *command, bool (*interrupted)(void *ctx),
		       void *interrupted_ctx, struct clrsos_writer *progress, bool terminal)
{
	*w = (struct clrsos_watch){
		.interrupted = interrupted,
		.interrupted_ctx = interrupted_ctx,
		.progress = progress,
		.terminal = terminal,
		.command = command ? command : "clrsos",
		.after = 1.0,
		.countdown = 64,
		.every = 64,
	};
	w->start = w->last_poll = now();
	w->last_shown = -1e9;
}

struct clrsos_error *clrsos_watch_error(const struct clrsos_watch *w)
{
	(void)w;
	return clrsos_error_create(CLRSOS_ERROR_INTERRUPTED,
				   "interrupted (Ctrl-C) before the command finished: what it printed is incomplete");
}

struct clrsos_error *clrsos_watch_poll(struct clrsos_watch *w)
{
	if (w->stopped) {
		w->countdown = 1;
		return clrsos_watch_error(w);
	}
	double t = now();
	/* As many ticks between polls as make about POLL_SECONDS of work. */
	double dt = t - w->last_poll;
	/* At most 4096: a loop whose steps turn slow (pages read from disk, say) still answers soon. */
	if (dt < POLL_SECONDS / 4 && w->every < 4096)
		w->every *= 2;
	else if (dt > POLL_SECONDS && w->every > 1)
		w->every /= 2;
	w->countdown = w->every;
	w->last_poll = t;
	if (w->interrupted && w->interrupted(w->interrupted_ctx)) {
		w->stopped = true;
		w->countdown = 1;
		return clrsos_watch_error(w);
	}
	return NULL;
}

static void clear_line(struct clrsos_watch *w)
{
	if (w->line_open)
		clrsos_out(w->progress, "\r\033[K");
	w->line_open = false;
}

bool clrsos_watch_due(struct clrsos_watch *w, bool last)
{
	if (!w || !w->progress || w->quiet || w->stopped)
		return false;
	/* Rows that keep coming say enough; a line between them would only garble them. */
	if (w->wrote) {
		w->wrote = false;
		return false;
	}
	double t = now();
	if (t - w->start < w->after)
		return false;
	if (t - w->last_shown < (w->terminal ? 0.1 : LINE_SECONDS) && !last)
		return false;
	w->last_shown = t;
	return true;
}

void clrsos_watch_show(struct clrsos_watch *w, const char *text)
{
	w->shown = true;
	if (w->terminal) {
		clrsos_outf(w->progress, "\r%s: %s\033[K", w->command, text);
		w->line_open = true;
	} else {
		clrsos_outf(w->progress, "%s: %s\n", w->command, text);
	}
}

void clrsos_watch_report(struct clrsos_watch *w, uint64_t done, uint64_t total, uint64_t shown_total,
			 const char *what)
{
	if (!clrsos_watch_due(w, done >= total))
		return;
	unsigned pct = total ? (unsigned)(done > total ? 100 : done * 100 / total) : 100;
	char text[256];
	snprintf(text, sizeof(text), "%3u%% of %" PRIu64 " %s", pct, shown_total, what);
	clrsos_watch_show(w, text);
}

void clrsos_watch_heap_progress(void *ctx, uint64_t done, uint64_t total)
{
	clrsos_watch_report(ctx, done, total, total >> 20, "MB of heap walked");
}

void clrsos_watch_output(struct clrsos_watch *w)
{
	if (!w)
		return;
	w->wrote = true;
	if (w->line_open)
		clear_line(w);
}

void clrsos_watch_end(struct clrsos_watch *w)
{
	if (w && w->progress)
		clear_line(w);
}
