#include "cli/watch.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/output.h"
#include "cli/cli.h"

volatile sig_atomic_t clrsos_watch_stopped;

static void on_signal(int sig)
{
	(void)sig;
	clrsos_watch_stopped = 1;
	clrsos_eventpipe_stop_all();
}

void clrsos_watch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

double clrsos_watch_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct clrsos_error *on_event(void *ctx, const struct clrsos_nettrace_trace *trace,
				     const struct clrsos_nettrace_event *event)
{
	struct clrsos_watch *watch = ctx;
	struct clrsos_counters_event ev;
	clrsos_counters_event_from_nettrace(trace, event, &ev);
	struct clrsos_error *err = clrsos_counters_decode(&watch->decode, &ev, &watch->batch, &watch->skipped);
	for (size_t i = 0; !err && i < watch->batch.warnings.count; i++) {
		struct clrsos_name_buf nb;
		fprintf(stderr, "clrsos: the runtime says: %s\n", clrsos_safe_name(watch->batch.warnings.items[i], &nb));
	}
	for (size_t i = 0; !err && i < watch->batch.samples.count; i++) {
		const struct clrsos_counter_sample *s = &watch->batch.samples.items[i];
		if (clrsos_counter_spec_match(&watch->spec, s->provider, s->name))
			err = watch->on_sample(watch->ctx, s);
	}
	clrsos_counter_batch_clear(&watch->batch);
	return err;
}

struct clrsos_error *clrsos_watch_start(struct clrsos_watch *watch, int pid, const char *spec_text,
					double interval, clrsos_watch_sample_fn on_sample, void *ctx)
{
	memset(watch, 0, sizeof(*watch));
	clrsos_counter_batch_init(&watch->batch);
	watch->on_sample = on_sample;
	watch->ctx = ctx;
	clrsos_counter_spec_init(&watch->spec);
	watch->has_spec = true;
	struct clrsos_error *err = clrsos_counter_spec_parse(spec_text, &watch->spec);
	if (err)
		return err;
	if ((err = clrsos_ipc_endpoint_find(pid, &watch->endpoint)))
		return err;
	watch->has_endpoint = true;
	clrsos_cli_process_name(pid, watch->name, sizeof(watch->name));
	if ((err = clrsos_ipc_process_info(&watch->endpoint, &watch->info)))
		return err;
	watch->has_info = true;
	if (!watch->info.runtime_version)
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
					   "process %d does not say its runtime version (older than .NET 5): "
					   "counters need .NET 8 or later", pid);
	if ((err = clrsos_counters_runtime_major(watch->info.runtime_version, &watch->runtime_major)))
		return err;
	if (watch->runtime_major < 8)
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME, "process %d runs .NET %d: counters need .NET 8 or later",
					   pid, watch->runtime_major);
	if ((err = clrsos_counters_providers_build(&watch->spec, watch->runtime_major, interval, NULL,
						   &watch->providers)))
		return err;
	watch->has_providers = true;
	watch->decode = (struct clrsos_counters_session){
		.session_id = watch->providers.session_id,
		.client_id = watch->providers.client_id,
		.max_timeseries = CLRSOS_COUNTERS_MAX_TIMESERIES,
		.max_histograms = CLRSOS_COUNTERS_MAX_HISTOGRAMS,
	};
	if (!(watch->reader = clrsos_nettrace_reader_create(on_event, watch)))
		return &clrsos_error_no_memory;
	return clrsos_eventpipe_start(&watch->endpoint, watch->providers.items, watch->providers.count, 0,
				      &watch->session);
}

struct clrsos_error *clrsos_watch_pump(struct clrsos_watch *watch, int timeout_ms, bool *ended)
{
	int eof = 0;
	*ended = false;
	if (clrsos_watch_stopped) {
		*ended = true;
		return NULL;
	}
	struct clrsos_error *err = clrsos_eventpipe_pump(watch->session, watch->reader, timeout_ms, &eof);
	if (clrsos_watch_stopped) {
		/* The handler stopped the session under us: what the pump saw of that is no error. */
		clrsos_error_destroy(err);
		*ended = true;
		return NULL;
	}
	if (err)
		return err;
	if (eof) {
		*ended = true;
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
					   "process %d closed the session: it has exited, or another tool stopped it",
					   watch->endpoint.pid);
	}
	return NULL;
}

void clrsos_watch_deinit(struct clrsos_watch *watch)
{
	if (watch->session) {
		clrsos_error_destroy(clrsos_eventpipe_stop(watch->session));
		clrsos_eventpipe_destroy(watch->session);
	}
	if (watch->reader)
		clrsos_nettrace_reader_destroy(watch->reader);
	if (watch->has_providers)
		clrsos_counters_providers_deinit(&watch->providers);
	if (watch->has_info)
		clrsos_process_info_deinit(&watch->info);
	if (watch->has_endpoint)
		clrsos_ipc_endpoint_deinit(&watch->endpoint);
	if (watch->has_spec)
		clrsos_counter_spec_deinit(&watch->spec);
	clrsos_counter_batch_deinit(&watch->batch);
	memset(watch, 0, sizeof(*watch));
}
