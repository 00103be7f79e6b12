/*
 * clrsos: the command-line tool for live .NET processes. main dispatches
 * to a subcommand; each parses its own options.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "ps", clrsos_cli_ps, "list the .NET processes this user can diagnose" },
	{ "collect", clrsos_cli_collect, "write a dump of a .NET process (as dotnet-dump collect)" },
	{ "counters", clrsos_cli_counters, "show or record the runtime's counters (as dotnet-counters monitor/collect)" },
	{ "trigger", clrsos_cli_trigger, "write a dump when a counter passes a threshold (the GC heap by default)" },
	{ "chart", clrsos_cli_chart, "draw a counters recording as an SVG chart, dumps marked" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: clrsos <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n  clrsos <command> --help   the command's options\n"
		   "  clrsos --version          the tool's version\n");
}

int clrsos_cli_fail(const char *cmd, struct clrsos_error *err)
{
	fprintf(stderr, "clrsos %s: %s\n", cmd, err && err->message ? err->message : "out of memory");
	clrsos_error_destroy(err);
	return 1;
}

int clrsos_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "clrsos %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (clrsos %s --help)\n", cmd);
	return 1;
}

void clrsos_cli_write_file(void *ctx, const char *text, size_t size)
{
	fwrite(text, 1, size, (FILE *)ctx);
}

void clrsos_cli_process_name(int pid, char *name, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	FILE *f = fopen(path, "re");
	size_t n = 0;
	if (f) {
		n = fread(name, 1, size - 1, f);
		fclose(f);
	}
	while (n && (name[n - 1] == '\n'))
		n--;
	name[n] = '\0';
	for (char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (!n)
		snprintf(name, size, "?");
}

int clrsos_cli_parse_pid(const char *text, int *pid)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (!*text || *end || errno || v <= 0 || v > 0x3fffffff)
		return -1;
	*pid = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	/* A peer that closes must be an error, never a death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("clrsos %s\n", CLRSOS_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	if (cmd[0] == '-')
		fprintf(stderr, "clrsos: unknown option '%s' (clrsos --help)\n", cmd);
	else
		fprintf(stderr, "clrsos: unknown command '%s' (clrsos --help lists them)\n", cmd);
	return 1;
}
