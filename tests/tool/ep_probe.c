/*
 * ep_probe: drives tool/diag/eventpipe.c against a live process for
 * test_eventpipe.py, without the nettrace reader (another helper's): a weak
 * clrsos_nettrace_feed here counts the bytes and keeps the first eight.
 *
 *   ep_probe <pid> <seconds> normal|signal|hang
 *
 * Starts a session (System.Runtime counters, every second), prints
 * "SESSION <id>" and pumps for <seconds>, then: normal stops and destroys
 * it; with SIGINT/SIGTERM the handler calls clrsos_eventpipe_stop_all()
 * and _exits 130 (signal mode installs the handler; hang mode pumps
 * forever). At the end it prints "BYTES <n> MAGIC <first 8 bytes>".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag/eventpipe.h"
#include "diag/nettrace.h"

static size_t total;
static char magic[9];

__attribute__((weak)) struct clrsos_error *clrsos_nettrace_feed(struct clrsos_nettrace_reader *reader, const uint8_t *data,
								size_t n)
{
	(void)reader;
	for (size_t i = 0; i < n && total + i < 8; i++)
		magic[total + i] = (char)(data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?');
	total += n;
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	clrsos_eventpipe_stop_all();
	_exit(130);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ep_probe <pid> <seconds> normal|signal|hang\n");
		return 2;
	}
	int pid = atoi(argv[1]), seconds = atoi(argv[2]);
	const char *mode = argv[3];
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(mode, "normal")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	struct clrsos_ipc_endpoint ep;
	struct clrsos_error *err = clrsos_ipc_endpoint_find(pid, &ep);
	if (err) {
		fprintf(stderr, "ep_probe: %s\n", err->message);
		return 1;
	}
	struct clrsos_eventpipe_provider prov = { "System.Runtime", 0xffffffff, 4, "EventCounterIntervalSec=1" };
	struct clrsos_eventpipe_session *s;
	if ((err = clrsos_eventpipe_start(&ep, &prov, 1, 16, &s))) {
		fprintf(stderr, "ep_probe: %s\n", err->message);
		return 1;
	}
	printf("SESSION 0x%llx\n", (unsigned long long)clrsos_eventpipe_id(s));
	fflush(stdout);
	/* The reader pointer is never dereferenced by the stub: any non-NULL value feeds it. */
	struct clrsos_nettrace_reader *reader = (struct clrsos_nettrace_reader *)&total;
	for (int i = 0; i < seconds * 10 || !strcmp(mode, "hang"); i++) {
		int eof;
		if ((err = clrsos_eventpipe_pump(s, reader, 100, &eof))) {
			fprintf(stderr, "ep_probe: %s\n", err->message);
			return 1;
		}
		if (eof) {
			printf("EOF\n");
			break;
		}
	}
	err = clrsos_eventpipe_stop(s);
	if (err) {
		fprintf(stderr, "ep_probe: stop: %s\n", err->message);
		return 1;
	}
	clrsos_eventpipe_destroy(s);
	clrsos_ipc_endpoint_deinit(&ep);
	printf("BYTES %zu MAGIC %s\n", total, magic);
	return 0;
}
