/*
 * clrsos ps: the .NET processes this user can diagnose, as dotnet-counters
 * ps and dotnet-dump ps list them (pid, name, command line), with the
 * runtime's version; --json for scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/output.h"
#include "cli/cli.h"
#include "diag/ipc.h"

static void help(void)
{
	printf("usage: clrsos ps [--json]\n\n"
	       "Lists the .NET processes whose diagnostics socket this user can reach (also in\n"
	       "other containers, through /proc/<pid>/root): pid, name, runtime version and\n"
	       "command line. A process that does not answer is listed with the reason.\n\n"
	       "  --json   one JSON array of {pid, nsPid, name, runtimeVersion, commandLine, assembly, os, arch, rid, socket, error}\n");
}

static int by_pid(const void *a, const void *b)
{
	const struct clrsos_ipc_endpoint *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* One process as ps shows it: its endpoint, name, and what it answered (or why not). */
struct ps_row {
	const struct clrsos_ipc_endpoint *endpoint;
	char name[64];
	struct clrsos_process_info info; /* when error is NULL */
	struct clrsos_error *error;
};

static void json_string_or_null(struct clrsos_json *j, const char *key, const char *value)
{
	clrsos_json_key(j, key);
	if (value)
		clrsos_json_string(j, value);
	else
		clrsos_json_null(j);
}

static void render_json(struct clrsos_writer *w, const struct ps_row *rows, size_t count)
{
	struct clrsos_json j;
	clrsos_json_init(&j, w);
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < count; i++) {
		const struct ps_row *r = &rows[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "pid");
		clrsos_json_int(&j, r->endpoint->pid);
		clrsos_json_key(&j, "nsPid");
		clrsos_json_int(&j, r->endpoint->ns_pid);
		json_string_or_null(&j, "name", r->name);
		json_string_or_null(&j, "socket", r->endpoint->path);
		if (r->error) {
			json_string_or_null(&j, "error", r->error->message);
		} else {
			json_string_or_null(&j, "runtimeVersion", r->info.runtime_version);
			json_string_or_null(&j, "commandLine", r->info.command_line);
			json_string_or_null(&j, "assembly", r->info.assembly);
			json_string_or_null(&j, "os", r->info.os);
			json_string_or_null(&j, "arch", r->info.arch);
			json_string_or_null(&j, "rid", r->info.rid);
		}
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_end(&j);
}

static void render_text(const struct ps_row *rows, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct ps_row *r = &rows[i];
		struct clrsos_name_buf nb, vb;
		if (r->error)
			printf("%7d %-16s %-12s (%s)\n", r->endpoint->pid, r->name, "?",
			       clrsos_safe_name(r->error->message, &nb));
		else
			printf("%7d %-16s %-12s %s\n", r->endpoint->pid, r->name,
			       r->info.runtime_version ? clrsos_safe_name(r->info.runtime_version, &vb) : "?",
			       r->info.command_line ? clrsos_safe_name(r->info.command_line, &nb) : "");
	}
}

int clrsos_cli_ps(int argc, char **argv)
{
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help();
			return 0;
		}
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-')
			return clrsos_cli_usage_error("ps", "unknown option '%s'", argv[i]);
		else
			return clrsos_cli_usage_error("ps", "unexpected argument '%s'", argv[i]);
	}

	struct clrsos_ipc_endpoint *eps;
	size_t count;
	struct clrsos_error *err = clrsos_ipc_endpoint_list(&eps, &count);
	if (err)
		return clrsos_cli_fail("ps", err);
	qsort(eps, count, sizeof(*eps), by_pid);

	/* Ask each process first; print only once every answer is in. */
	struct ps_row *rows = calloc(count ? count : 1, sizeof(*rows));
	if (!rows)
		err = &clrsos_error_no_memory;
	for (size_t i = 0; !err && i < count; i++) {
		rows[i].endpoint = &eps[i];
		clrsos_cli_process_name(eps[i].pid, rows[i].name, sizeof(rows[i].name));
		rows[i].error = clrsos_ipc_process_info(&eps[i], &rows[i].info);
		if (clrsos_error_is_no_memory(rows[i].error)) {
			err = rows[i].error;
			rows[i].error = NULL;
			rows[i].endpoint = NULL; /* no info to free */
		}
	}
	if (!err) {
		struct clrsos_writer w = { clrsos_cli_write_file, stdout };
		if (json)
			render_json(&w, rows, count);
		else
			render_text(rows, count);
	}
	for (size_t i = 0; rows && i < count; i++) {
		if (rows[i].endpoint && !rows[i].error)
			clrsos_process_info_deinit(&rows[i].info);
		clrsos_error_destroy(rows[i].error);
	}
	free(rows);
	for (size_t i = 0; i < count; i++)
		clrsos_ipc_endpoint_deinit(&eps[i]);
	free(eps);
	if (err)
		return clrsos_cli_fail("ps", err);
	return 0;
}
