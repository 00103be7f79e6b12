#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"

/* setclrpath <dir>: one directory. */
static struct clrsos_error *dir_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	if (index > 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "setclrpath takes one directory: see 'help setclrpath'");
	*(const char **)ctx = arg;
	return NULL;
}

struct clrsos_error *clrsos_cmd_setclrpath(struct clrsos_session *session,
					   const struct clrsos_host *host,
					   int argc, const char *const *argv,
					   struct clrsos_writer *out)
{
	(void)session;
	bool json = false;
	const char *dir = NULL;
	bool clear = false;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &json),
		CLRSOS_FLAG("-clear", &clear),
	};
	const struct clrsos_options spec = {
		.command = "setclrpath",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = dir_operand,
		.ctx = &dir,
	};
	struct clrsos_error *perr = clrsos_options_parse(&spec, host, argc, argv);
	if (perr)
		return perr;
	if (dir || clear) {
		if (dir) {
			struct stat st;
			if (stat(dir, &st) != 0)
				return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							   "setclrpath: %s: %s", dir, strerror(errno));
			if (!S_ISDIR(st.st_mode))
				return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							   "setclrpath: %s is not a directory", dir);
		}
		struct clrsos_error *err = clrsos_settings_set_clr_path(host->settings, dir);
		if (err)
			return err;
	}
	const char *now = host->settings->clr_path;
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "clrPath");
		clrsos_json_string(&j, now);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (dir || clear) {
		if (now)
			clrsos_outf(out, "Set load path for DAC to '%s'\n", now);
		else
			clrsos_out(out, "Cleared the DAC load path: the runtime's own directory is used\n");
	} else {
		clrsos_outf(out, "Load path for DAC: %s\n",
			    now ? now : "(not set: the runtime's own directory)");
	}
	return NULL;
}
