/*
 * The tool's commands: each takes its own argv (argv[0] is the command's
 * name), prints its result to stdout and one-line errors to stderr, and
 * returns the process's exit status (0 success, 1 a usage error or a
 * failure). main.c dispatches to them.
 */
#ifndef CLRSOS_CLI_H
#define CLRSOS_CLI_H

#include <stdio.h>

#include "base/error.h"
#include "diag/ipc.h"

int clrsos_cli_ps(int argc, char **argv);
int clrsos_cli_collect(int argc, char **argv);

int clrsos_cli_counters(int argc, char **argv);
int clrsos_cli_trigger(int argc, char **argv);
int clrsos_cli_chart(int argc, char **argv);

/* "full", "heap", "mini", "triage" (any case) to the runtime's number; 0 on success. */
int clrsos_cli_parse_dump_type(const char *text, enum clrsos_dump_type *type);
const char *clrsos_cli_dump_type_name(enum clrsos_dump_type type);

/* dotnet-dump's default name: core_YYYYMMDD_HHMMSS (local time). */
void clrsos_cli_default_dump_name(char *name, size_t size);

/* output made absolute against the current directory, into path. */
struct clrsos_error *clrsos_cli_absolute_path(const char *output, char *path, size_t size);

/*
 * Have the process write a dump to path (absolute, as the process sees
 * it) and check it is there: *bytes its size, here the path from this
 * tool's side (through /proc/<pid>/root for a process in another container).
 */
struct clrsos_error *clrsos_cli_write_dump(const struct clrsos_ipc_endpoint *ep, const char *path,
					   enum clrsos_dump_type type, int diag, uint64_t *bytes,
					   char *here, size_t here_size);

/* "clrsos <cmd>: <message>" on stderr; destroys err; returns 1. */
int clrsos_cli_fail(const char *cmd, struct clrsos_error *err);

/* "clrsos <cmd>: <what>" for a usage error, with a pointer to --help; returns 1. */
int clrsos_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a pid (a positive decimal number); 0 on success. */
int clrsos_cli_parse_pid(const char *text, int *pid);

/* A writer to a stdio stream (ctx: the FILE *), for core/base/output.h's helpers. */
void clrsos_cli_write_file(void *ctx, const char *text, size_t size);

/* The process's name (/proc/<pid>/comm), control characters as '?'; "?" when unreadable. */
void clrsos_cli_process_name(int pid, char *name, size_t size);

#endif
