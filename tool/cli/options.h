/*
 * Option values the live commands share: pids, durations (dotnet-counters'
 * dd:hh:mm:ss, or 30s / 500ms / 2m), whole-second refresh intervals, and
 * output files opened once and checked on their descriptor.
 */
#ifndef CLRSOS_CLI_OPTIONS_H
#define CLRSOS_CLI_OPTIONS_H

#include <stdio.h>

#include "base/error.h"

/* "dd:hh:mm:ss", "hh:mm:ss", "mm:ss" or a duration with a unit; > 0. */
struct clrsos_error *clrsos_cli_parse_duration(const char *option, const char *text, double *seconds);

/* A whole number of seconds, 1 to 86400 (what the runtime's counters accept). */
struct clrsos_error *clrsos_cli_parse_interval(const char *option, const char *text, double *seconds);

/* A file to write: created or truncated, refused unless it is a regular file, a FIFO or a terminal. */
struct clrsos_error *clrsos_cli_create_file(const char *path, FILE **file);

#endif
