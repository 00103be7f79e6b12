/*
 * clrsos collect: have a .NET process write a dump of itself with the
 * runtime's own createdump, as dotnet-dump collect does (same options,
 * same default name core_YYYYMMDD_HHMMSS in the current directory).
 *
 * The runtime writes the file, as the process's user and in the process's
 * mount namespace: for a process in another container the path is the
 * container's, and this tool says where that is from here.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/output.h"
#include "cli/cli.h"
#include "diag/ipc.h"

static void help(void)
{
	printf("usage: clrsos collect [-p] <pid> [--type full|heap|mini|triage] [-o <path>] [--diag]\n\n"
	       "Has the process write a dump of itself (the runtime's createdump), as dotnet-dump collect.\n\n"
	       "  -p, --process-id <pid>  the process (or the pid alone)\n"
	       "  --type <type>           full (default: all memory), heap (the GC heap and what SOS needs),\n"
	       "                          mini (stacks and modules), triage (mini without personal data)\n"
	       "  -o, --output <path>     the dump's file (default ./core_YYYYMMDD_HHMMSS); made absolute\n"
	       "  --diag                  createdump logs what it does to the target's console\n\n"
	       "The runtime writes the file as the target's user: the directory must be writable by it.\n"
	       "For a process in another container the path is inside that container.\n");
}

int clrsos_cli_collect(int argc, char **argv)
{
	int pid = 0, diag = 0;
	const char *output = NULL;
	enum clrsos_dump_type type = CLRSOS_DUMP_FULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help();
			return 0;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--process-id")) {
			if (++i >= argc)
				return clrsos_cli_usage_error("collect", "%s needs a pid", a);
			if (clrsos_cli_parse_pid(argv[i], &pid))
				return clrsos_cli_usage_error("collect", "'%s' is not a process id", argv[i]);
		} else if (!strcmp(a, "--type") || !strcmp(a, "-t")) {
			if (++i >= argc)
				return clrsos_cli_usage_error("collect", "--type needs full, heap, mini or triage");
			if (clrsos_cli_parse_dump_type(argv[i], &type))
				return clrsos_cli_usage_error("collect", "unknown dump type '%s': full, heap, mini or triage", argv[i]);
		} else if (!strncmp(a, "--type=", 7)) {
			if (clrsos_cli_parse_dump_type(a + 7, &type))
				return clrsos_cli_usage_error("collect", "unknown dump type '%s': full, heap, mini or triage", a + 7);
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc || !argv[i][0])
				return clrsos_cli_usage_error("collect", "%s needs a path", a);
			output = argv[i];
		} else if (!strcmp(a, "--diag")) {
			diag = 1;
		} else if (a[0] == '-') {
			return clrsos_cli_usage_error("collect", "unknown option '%s'", a);
		} else if (!pid) {
			if (clrsos_cli_parse_pid(a, &pid))
				return clrsos_cli_usage_error("collect", "'%s' is not a process id", a);
		} else {
			return clrsos_cli_usage_error("collect", "unexpected argument '%s'", a);
		}
	}
	if (!pid)
		return clrsos_cli_usage_error("collect", "which process? give its pid (clrsos ps lists them)");

	char path[PATH_MAX];
	char name[64];
	if (!output) {
		clrsos_cli_default_dump_name(name, sizeof(name));
		output = name;
	}
	struct clrsos_error *err = clrsos_cli_absolute_path(output, path, sizeof(path));
	if (err)
		return clrsos_cli_fail("collect", err);

	struct clrsos_ipc_endpoint ep;
	err = clrsos_ipc_endpoint_find(pid, &ep);
	if (err)
		return clrsos_cli_fail("collect", err);
	/* Ask who it is first: a quick answer, so that a hung or fake peer fails within seconds. */
	struct clrsos_process_info info;
	if ((err = clrsos_ipc_process_info(&ep, &info))) {
		clrsos_ipc_endpoint_deinit(&ep);
		return clrsos_cli_fail("collect", err);
	}
	clrsos_process_info_deinit(&info);

	struct clrsos_name_buf nb;
	printf("Writing %s dump to %s\n", clrsos_cli_dump_type_name(type), clrsos_safe_name(path, &nb));
	fflush(stdout);
	uint64_t bytes;
	char here[PATH_MAX + 64];
	if ((err = clrsos_cli_write_dump(&ep, path, type, diag, &bytes, here, sizeof(here)))) {
		clrsos_ipc_endpoint_deinit(&ep);
		return clrsos_cli_fail("collect", err);
	}
	char size[64];
	clrsos_format_thousands(bytes, size, sizeof(size));
	printf("Dump written to %s (%s bytes)\n", clrsos_safe_name(path, &nb), size);
	if (ep.foreign_root)
		printf("The process is in another container: the path is inside it; from here: %s\n",
		       clrsos_safe_name(here, &nb));
	clrsos_ipc_endpoint_deinit(&ep);
	return 0;
}

int clrsos_cli_parse_dump_type(const char *s, enum clrsos_dump_type *type)
{
	static const struct { const char *name; enum clrsos_dump_type type; } types[] = {
		{ "full", CLRSOS_DUMP_FULL }, { "heap", CLRSOS_DUMP_HEAP },
		{ "mini", CLRSOS_DUMP_MINI }, { "triage", CLRSOS_DUMP_TRIAGE },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(s, types[i].name)) {
			*type = types[i].type;
			return 0;
		}
	return -1;
}

const char *clrsos_cli_dump_type_name(enum clrsos_dump_type type)
{
	static const char *const names[] = { "", "mini", "heap", "triage", "full" };
	return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

void clrsos_cli_default_dump_name(char *name, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(name, size, "core_%Y%m%d_%H%M%S", &tm);
}

struct clrsos_error *clrsos_cli_absolute_path(const char *output, char *path, size_t size)
{
	if (output[0] == '/') {
		if (snprintf(path, size, "%s", output) >= (int)size)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "the output path is too long");
		return NULL;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot tell the current directory: %s", strerror(errno));
	if (snprintf(path, size, "%s/%s", strcmp(cwd, "/") ? cwd : "", output) >= (int)size)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "the output path is too long");
	return NULL;
}

struct clrsos_error *clrsos_cli_write_dump(const struct clrsos_ipc_endpoint *ep, const char *path,
					   enum clrsos_dump_type type, int diag, uint64_t *bytes,
					   char *here, size_t here_size)
{
	if (ep->foreign_root)
		snprintf(here, here_size, "/proc/%d/root%s", ep->pid, path);
	else
		snprintf(here, here_size, "%s", path);
	struct clrsos_error *err = clrsos_ipc_dump(ep, path, type, diag);
	if (err)
		return err;
	struct stat st;
	struct clrsos_name_buf nb;
	if (stat(here, &st) < 0)
		return clrsos_error_create(CLRSOS_ERROR_IO, "the runtime said the dump was written, but %s is not there: %s",
					   clrsos_safe_name(here, &nb), strerror(errno));
	*bytes = (uint64_t)st.st_size;
	return NULL;
}
