/*
 * SOS's host commands: what SOS's own host (not the runtime) answers about
 * the process and the session. modules, threads and registers come from
 * the debugger's view of the target; logopen/logclose copy the commands'
 * output to a file; sethostruntime, setsymbolserver and logging are
 * accepted in SOS's forms and say what clrsos does instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/pattern.h"
#include "commands.h"
#include "target/target.h"

/* ---- logopen / logclose: the console's output copied to a file ---- */

static struct {
	struct clrsos_file_sink sink; /* sink.f NULL: not logging */
	char *path;
} console_log;

/* The tee's ctx: the writer the command's output goes to. */
static void console_tee_write(void *ctx, const char *text, size_t size)
{
	struct clrsos_writer *out = ctx;
	out->write(out->ctx, text, size);
	if (console_log.sink.f)
		clrsos_file_sink_write(&console_log.sink, text, size);
}

struct clrsos_writer clrsos_console_log_tee(struct clrsos_writer *out)
{
	return (struct clrsos_writer){console_tee_write, out};
}

void clrsos_console_log_flush(void)
{
	if (console_log.sink.f && fflush(console_log.sink.f) != 0 && !console_log.sink.failed) {
		console_log.sink.failed = true;
		console_log.sink.error = errno ? errno : EIO;
	}
}

/* Close the log; an error if any of its writes failed. */
static struct clrsos_error *console_log_close(const char *command)
{
	if (!console_log.sink.f)
		return NULL;
	int error = clrsos_file_sink_close(&console_log.sink);
	struct clrsos_error *err = NULL;
	if (error)
		err = clrsos_error_create(CLRSOS_ERROR_IO, "%s: writing the log '%s' failed: %s: it is incomplete",
					  command, console_log.path, strerror(error));
	free(console_log.path);
	memset(&console_log, 0, sizeof(console_log));
	return err;
}

/* logopen [<path>] [--disable], and logclose: logopen --disable, as SOS has it. */
static struct clrsos_error *console_log_command(const char *name, const struct clrsos_host *host, int argc,
						const char *const *argv, struct clrsos_writer *out)
{
	bool disable = strcmp(name, "logclose") == 0;
	const char *path = NULL;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--disable|-disable", &disable),
	};
	struct clrsos_error *err = clrsos_options_parse_operand(name, table, CLRSOS_OPTION_COUNT(table),
								strcmp(name, "logopen") == 0 ? 1 : 0, host, argc, argv, &path);
	if (err)
		return err;
	if (disable) {
		if ((err = console_log_close(name)))
			return err;
	} else if (path) {
		/*
		 * The old log first: reopening the same file would truncate it
		 * under the old stream's unwritten buffer.
		 */
		if ((err = console_log_close(name)))
			return err;
		int fd;
		if ((err = clrsos_file_open_write(path, &fd)))
			return err;
		FILE *f = fdopen(fd, "w");
		char *copy = strdup(path);
		if (!f || !copy) {
			if (f)
				fclose(f);
			else
				close(fd);
			free(copy);
			return &clrsos_error_no_memory;
		}
		console_log.sink.f = f;
		console_log.path = copy;
	}
	if (console_log.sink.f)
		clrsos_outf(out, "Console is logging to %s\n", console_log.path);
	else
		clrsos_out(out, "Console logging is disabled\n");
	return NULL;
}

struct clrsos_error *clrsos_cmd_logopen(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	(void)session;
	return console_log_command("logopen", host, argc, argv, out);
}

struct clrsos_error *clrsos_cmd_logclose(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	(void)session;
	return console_log_command("logclose", host, argc, argv, out);
}

/* ---- logging, sethostruntime, setsymbolserver: accepted, said what clrsos does ---- */

struct clrsos_error *clrsos_cmd_logging(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	(void)session;
	bool enable = false, disable = false;
	const char *path = NULL;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--enable|-e|enable", &enable),
		CLRSOS_FLAG("--disable|-d|disable", &disable),
	};
	struct clrsos_error *err = clrsos_options_parse_operand("logging", table, CLRSOS_OPTION_COUNT(table),
								1, host, argc, argv, &path);
	if (err)
		return err;
	if (path && (strcmp(path, "enable") == 0 || strcmp(path, "disable") == 0))
		path = NULL; /* SOS's word forms, taken as operands */
	clrsos_out(out, "Logging is disabled (clrsos keeps no diagnostic log; logopen copies the output to a file)\n");
	return NULL;
}

struct clrsos_error *clrsos_cmd_sethostruntime(struct clrsos_session *session, const struct clrsos_host *host,
					       int argc, const char *const *argv, struct clrsos_writer *out)
{
	(void)session;
	bool clear = false, none = false, netcore = false, netfx = false;
	const char *major = NULL, *path = NULL;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("-clear", &clear),
		CLRSOS_FLAG("-none", &none),
		CLRSOS_FLAG("-netcore", &netcore),
		CLRSOS_FLAG("-netfx", &netfx),
		CLRSOS_STRING("-major", &major),
	};
	struct clrsos_error *err = clrsos_options_parse_operand("sethostruntime", table, CLRSOS_OPTION_COUNT(table),
								1, host, argc, argv, &path);
	if (err)
		return err;
	clrsos_out(out, "clrsos hosts no .NET runtime (it is native code): sethostruntime has nothing to set\n");
	return NULL;
}

struct clrsos_error *clrsos_cmd_setsymbolserver(struct clrsos_session *session, const struct clrsos_host *host,
						int argc, const char *const *argv, struct clrsos_writer *out)
{
	(void)session;
	bool flag = false;
	const char *text = NULL, *url = NULL;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--ms|-ms", &flag, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("--mi|-mi", &flag, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("--interactive|-interactive", &flag, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("--disable|-disable|-clear", &flag, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("--reset|-reset", &flag, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("--nocache|-nocache", &flag, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("--loadsymbols|-loadsymbols", &flag, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_STRING("--cache|-cache", &text, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_STRING("--directory|-directory", &text, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_STRING("--pat|-pat", &text, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_STRING("--timeout|-timeout", &text, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_STRING("--retrycount|-retrycount", &text, .flags = CLRSOS_OPTION_NOCASE),
	};
	struct clrsos_error *err = clrsos_options_parse_operand("setsymbolserver", table, CLRSOS_OPTION_COUNT(table),
								1, host, argc, argv, &url);
	if (err)
		return err;
	clrsos_out(out, "clrsos downloads no symbols: it loads the DAC from the runtime's directory (setclrpath), reads "
			"portable PDBs beside the assemblies or embedded in them, and native symbols are lldb's "
			"(target symbols add)\n");
	return NULL;
}

/* ---- modules ---- */

struct modules_options {
	bool verbose, json, have_address;
	const char *name;
	uint64_t address;
};

/* A module listed, with its image size (0: not read). */
struct module_row {
	size_t index;
	const struct clrsos_module *module;
	uint64_t size;
};

struct modules_result {
	struct module_row *rows;
	size_t count;
	uint64_t total; /* of the modules listed */
};

/* The modules the options select (by name, by an address they hold, or all), with their sizes. */
static struct clrsos_error *modules_compute(struct clrsos_session *session, const struct modules_options *o,
					    struct modules_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_pattern *pattern = NULL;
	struct clrsos_error *err;
	if (o->name) {
		/* SOS matches the file name in any case. */
		size_t n = strlen(o->name) + 5;
		char *ci = malloc(n);
		if (!ci)
			return &clrsos_error_no_memory;
		snprintf(ci, n, "(?i)%s", o->name);
		err = clrsos_pattern_create(ci, &pattern);
		free(ci);
		if (err)
			return clrsos_error_wrap(err, "modules: -n");
	}
	struct clrsos_target *target = clrsos_session_target(session);
	const struct clrsos_module *modules;
	size_t count;
	if ((err = clrsos_target_modules(target, &modules, &count))) {
		clrsos_pattern_destroy(pattern);
		return err;
	}
	if (!(r->rows = calloc(count ? count : 1, sizeof(*r->rows)))) {
		clrsos_pattern_destroy(pattern);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < count; i++) {
		const struct clrsos_module *m = &modules[i];
		/* The sizes of all: -a looks an address up in every module's range. */
		uint64_t size = 0;
		clrsos_error_destroy(clrsos_target_module_image_size(target, m, &size));
		if (o->have_address) {
			if (o->address < m->base || o->address - m->base >= size)
				continue;
		} else if (pattern && !(m->name && clrsos_pattern_search(pattern, m->name, strlen(m->name)))) {
			continue;
		}
		r->rows[r->count++] = (struct module_row){i, m, size};
		r->total += size;
	}
	clrsos_pattern_destroy(pattern);
	if (o->have_address && !r->count) {
		free(r->rows);
		r->rows = NULL;
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "modules: address 0x%016" PRIX64 " is in no module: see 'modules' for their ranges",
					   o->address);
	}
	return NULL;
}

static void modules_render_json(const struct modules_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "modules");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		const struct clrsos_module *m = r->rows[i].module;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "index");
		clrsos_json_uint(&j, r->rows[i].index);
		clrsos_json_key(&j, "path");
		clrsos_json_string(&j, m->path ? m->path : m->name);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, m->base);
		clrsos_json_key(&j, "imageSize");
		if (r->rows[i].size)
			clrsos_json_uint(&j, r->rows[i].size);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "buildId");
		if (m->build_id_len) {
			char hex[2 * CLRSOS_BUILD_ID_MAX + 1];
			for (size_t b = 0; b < m->build_id_len; b++)
				snprintf(hex + 2 * b, 3, "%02x", m->build_id[b]);
			clrsos_json_string(&j, hex);
		} else {
			clrsos_json_null(&j);
		}
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "totalImageSize");
	clrsos_json_uint(&j, r->total);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void modules_render_text(const struct modules_result *r, const struct modules_options *o,
				struct clrsos_writer *out)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct clrsos_module *m = r->rows[i].module;
		const char *path = m->path ? m->path : m->name;
		char size[24] = "????????"; /* not read: SOS's width */
		if (r->rows[i].size)
			snprintf(size, sizeof(size), "%08" PRIX64, r->rows[i].size);
		struct clrsos_name_buf nb;
		if (!o->verbose) {
			clrsos_outf(out, "%016" PRIX64 " %s %s\n", m->base, size, clrsos_safe_name(path, &nb));
			continue;
		}
		clrsos_outf(out, "%zu %s\n", r->rows[i].index, clrsos_safe_name(path, &nb));
		clrsos_outf(out, "    Address:         %016" PRIX64 "\n", m->base);
		clrsos_outf(out, "    ImageSize:       %s\n", size);
		clrsos_out(out, "    IsPEImage:       False\n");
		clrsos_out(out, "    IsManaged:       False\n");
		clrsos_out(out, "    BuildId:         ");
		if (!m->build_id_len)
			clrsos_out(out, "<none>");
		for (size_t b = 0; b < m->build_id_len; b++)
			clrsos_outf(out, "%02x", m->build_id[b]);
		clrsos_out(out, "\n");
	}
	if (!o->have_address)
		clrsos_outf(out, "Total image size: %" PRIu64 "\n", r->total);
}

struct clrsos_error *clrsos_cmd_modules(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct modules_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--verbose|-v", &o.verbose),
		CLRSOS_STRING("--name|-n", &o.name, .flags = CLRSOS_OPTION_NONEMPTY),
		CLRSOS_ADDRESS("--address|-a", &o.address, .given = &o.have_address),
		CLRSOS_FLAG("--json", &o.json),
	};
	const struct clrsos_options spec = {
		.command = "modules",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	struct modules_result r;
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err || (err = modules_compute(session, &o, &r)))
		return err;
	if (o.json)
		modules_render_json(&r, out);
	else
		modules_render_text(&r, &o, out);
	free(r.rows);
	return NULL;
}

/* ---- threads ---- */

struct clrsos_error *clrsos_cmd_threads(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	bool verbose = false, json = false, by_tid = false;
	const char *which = NULL;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--verbose|-v", &verbose),
		CLRSOS_FLAG("--tid|-t", &by_tid),
		CLRSOS_FLAG("--json", &json),
	};
	struct clrsos_error *err = clrsos_options_parse_operand("threads", table, CLRSOS_OPTION_COUNT(table),
								1, host, argc, argv, &which);
	if (err)
		return err;
	uint64_t number = 0;
	if (which && (err = clrsos_parse_uint_range("threads", which, 0, UINT32_MAX, &number)))
		return err;
	struct clrsos_target *target = clrsos_session_target(session);
	struct clrsos_thread *threads;
	size_t count;
	if ((err = clrsos_target_threads(target, &threads, &count)))
		return err;
	if (which) {
		/* Select: by index in this list, or with -t by OS id. */
		uint32_t os_id = 0;
		if (by_tid) {
			for (size_t i = 0; i < count; i++)
				if (threads[i].os_id == number)
					os_id = threads[i].os_id;
		} else if (number < count) {
			os_id = threads[number].os_id;
		}
		free(threads);
		if (!os_id)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "threads: no thread %s %" PRIu64 ": see 'threads' for the list",
						   by_tid ? "with OS id" : "of index", number);
		if (!host->select_thread)
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "threads: this debugger cannot select a thread: use its own command");
		return host->select_thread(host->ctx, os_id);
	}
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "threads");
		clrsos_json_array_begin(&j);
	}
	for (size_t i = 0; i < count; i++) {
		uint32_t id = threads[i].os_id;
		bool current = id == host->selected_thread;
		struct clrsos_regs regs = {0};
		bool have_regs = false;
		if (verbose || json) {
			struct clrsos_error *e = clrsos_target_registers(target, id, &regs);
			have_regs = !e;
			clrsos_error_destroy(e);
		}
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "index");
			clrsos_json_uint(&j, i);
			clrsos_json_key(&j, "osId");
			clrsos_json_uint(&j, id);
			clrsos_json_key(&j, "current");
			clrsos_json_bool(&j, current);
			const char *keys[] = {"ip", "sp", "fp"};
			uint64_t values[] = {regs.rip, regs.rsp, regs.rbp};
			for (size_t k = 0; k < 3; k++) {
				clrsos_json_key(&j, keys[k]);
				if (have_regs)
					clrsos_json_address(&j, values[k]);
				else
					clrsos_json_null(&j);
			}
			clrsos_json_object_end(&j);
			continue;
		}
		clrsos_outf(out, "%s%zu 0x%04" PRIX32 " (%" PRIu32 ")\n", current ? "*" : " ", i, id, id);
		if (!verbose)
			continue;
		if (have_regs)
			clrsos_outf(out,
				    "    IP  0x%016" PRIX64 "\n"
				    "    SP  0x%016" PRIX64 "\n"
				    "    FP  0x%016" PRIX64 "\n",
				    regs.rip, regs.rsp, regs.rbp);
		else
			clrsos_out(out, "    (its registers cannot be read)\n");
	}
	free(threads);
	if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return NULL;
}

/* ---- registers ---- */

struct clrsos_error *clrsos_cmd_registers(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	struct clrsos_error *err = clrsos_options_parse_json_only("registers", host, argc, argv, &json);
	if (err)
		return err;
	if (!host->selected_thread)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "registers: no thread is selected: select one with 'thread select <n>'");
	struct clrsos_regs r;
	if ((err = clrsos_target_registers(clrsos_session_target(session), host->selected_thread, &r)))
		return err;
	/* SOS's order: the segment registers, the flags, then the CONTEXT's order (the registers' table). */
	struct {
		const char *name;
		uint64_t value;
		int digits;
	} rows[7 + CLRSOS_X64_GPRS] = {
		{"cs", r.cs, 4},   {"ds", r.ds, 4},   {"es", r.es, 4},   {"fs", r.fs, 4},   {"gs", r.gs, 4},
		{"ss", r.ss, 4},   {"eflags", r.rflags, 8},
	};
	for (int i = 0; i < CLRSOS_X64_GPRS; i++) {
		rows[7 + i].name = clrsos_x64_gprs[i].name;
		rows[7 + i].value = clrsos_regs_gpr(&r, (enum clrsos_x64_gpr_index)i);
		rows[7 + i].digits = 16;
	}
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "osThreadId");
		clrsos_json_uint(&j, host->selected_thread);
		clrsos_json_key(&j, "registers");
		clrsos_json_object_begin(&j);
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (json) {
			clrsos_json_key(&j, rows[i].name);
			clrsos_json_address(&j, rows[i].value);
		} else {
			clrsos_outf(out, "%s = 0x%0*" PRIX64 "\n", rows[i].name, rows[i].digits, rows[i].value);
		}
	}
	if (json) {
		clrsos_json_object_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return NULL;
}
