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

	struct clrsos_writer w = { clrsos_cli_write_file, stdout };
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, &w);
		clrsos_json_array_begin(&j);
	}
	for (size_t i = 0; i < count; i++) {
		char name[64];
		clrsos_cli_process_name(eps[i].pid, name, sizeof(name));
		struct clrsos_process_info info;
		struct clrsos_error *e = clrsos_ipc_process_info(&eps[i], &info);
		if (clrsos_error_is_no_memory(e)) {
			err = e;
			break;
		}
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "pid");
			clrsos_json_int(&j, eps[i].pid);
			clrsos_json_key(&j, "nsPid");
			clrsos_json_int(&j, eps[i].ns_pid);
			clrsos_json_key(&j, "name");
			clrsos_json_string(&j, name);
			clrsos_json_key(&j, "socket");
			clrsos_json_string(&j, eps[i].path);
			if (e) {
				clrsos_json_key(&j, "error");
				clrsos_json_string(&j, e->message);
			} else {
				clrsos_json_key(&j, "runtimeVersion");
				info.runtime_version ? clrsos_json_string(&j, info.runtime_version) : clrsos_json_null(&j);
				clrsos_json_key(&j, "commandLine");
				info.command_line ? clrsos_json_string(&j, info.command_line) : clrsos_json_null(&j);
				clrsos_json_key(&j, "assembly");
				info.assembly ? clrsos_json_string(&j, info.assembly) : clrsos_json_null(&j);
				clrsos_json_key(&j, "os");
				info.os ? clrsos_json_string(&j, info.os) : clrsos_json_null(&j);
				clrsos_json_key(&j, "arch");
				info.arch ? clrsos_json_string(&j, info.arch) : clrsos_json_null(&j);
				clrsos_json_key(&j, "rid");
				info.rid ? clrsos_json_string(&j, info.rid) : clrsos_json_null(&j);
			}
			clrsos_json_object_end(&j);
		} else if (e) {
			struct clrsos_name_buf nb;
			printf("%7d %-16s %-12s (%s)\n", eps[i].pid, name, "?", clrsos_safe_name(e->message, &nb));
		} else {
			struct clrsos_name_buf nb, vb;
			printf("%7d %-16s %-12s %s\n", eps[i].pid, name,
			       info.runtime_version ? clrsos_safe_name(info.runtime_version, &vb) : "?",
			       info.command_line ? clrsos_safe_name(info.command_line, &nb) : "");
		}
		clrsos_error_destroy(e);
		if (!e)
			clrsos_process_info_deinit(&info);
	}
	if (json && !err) {
		clrsos_json_array_end(&j);
		clrsos_json_end(&j);
	}
	for (size_t i = 0; i < count; i++)
		clrsos_ipc_endpoint_deinit(&eps[i]);
	free(eps);
	if (err)
		return clrsos_cli_fail("ps", err);
	return 0;
}
