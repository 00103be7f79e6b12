/*
 * bpmd: breakpoints on managed methods of a live process, set when their
 * code exists (core/model/breakpoints.h decides; the debugger sets them).
 *
 *   bpmd [-nofuturemodule] <module> <Namespace.Type.Method> [<il offset>]
 *   bpmd <file>:<line>
 *   bpmd -md <MethodDesc>
 *   bpmd -list | -clear <n> | -clearall
 *
 * Output as SOS prints it ("MethodDesc = ...", "Setting breakpoint: ...",
 * "Adding pending breakpoints...", the -list table).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "model/breakpoints.h"

struct bpmd_args {
	const char *operands[3];
	int noperands;
};

static struct clrsos_error *bpmd_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	struct bpmd_args *a = ctx;
	a->operands[index] = arg;
	a->noperands = index + 1;
	return NULL;
}

static void write_events(const struct clrsos_bpmd_events *events, bool json, struct clrsos_json *j,
			 struct clrsos_writer *out)
{
	struct clrsos_name_buf nb, mb;
	for (size_t i = 0; i < events->count; i++) {
		const struct clrsos_bpmd_event *e = &events->items[i];
		if (json) {
			static const char *const kinds[] = {"methodDesc", "jitted", "breakpoint", "pending",
							    "notJitted"};
			clrsos_json_object_begin(j);
			clrsos_json_key(j, "event");
			clrsos_json_string(j, kinds[e->kind]);
			if (e->kind != CLRSOS_BPMD_PENDING) {
				clrsos_json_key(j, e->kind == CLRSOS_BPMD_SET ? "address" : "methodDesc");
				clrsos_json_address(j, e->address);
			}
			if (e->name) {
				clrsos_json_key(j, "name");
				clrsos_json_string(j, e->name);
			}
			if (e->module_name) {
				clrsos_json_key(j, "module");
				clrsos_json_string(j, e->module_name);
			}
			if (e->kind == CLRSOS_BPMD_SET) {
				clrsos_json_key(j, "id");
				clrsos_json_uint(j, e->id);
			}
			clrsos_json_object_end(j);
			continue;
		}
		switch (e->kind) {
		case CLRSOS_BPMD_METHOD_DESC:
			clrsos_outf(out, "MethodDesc = %016" PRIX64 "\n", e->address);
			break;
		case CLRSOS_BPMD_JITTED:
			clrsos_outf(out, "JITTED %s!%s\n", clrsos_safe_name(e->module_name ? e->module_name : "UNKNOWN", &mb),
				    clrsos_safe_name(e->name ? e->name : "UNKNOWN", &nb));
			break;
		case CLRSOS_BPMD_SET:
			clrsos_outf(out, "Setting breakpoint: breakpoint set --address 0x%016" PRIX64 " [%s]\n", e->address,
				    clrsos_safe_name(e->name ? e->name : "UNKNOWN", &nb));
			break;
		case CLRSOS_BPMD_PENDING:
			clrsos_out(out, "Adding pending breakpoints...\n");
			break;
		case CLRSOS_BPMD_NOT_JITTED:
			clrsos_outf(out, "This DynamicMethodDesc is not yet JITTED %016" PRIX64 "\n", e->address);
			break;
		}
	}
}

static void write_list(const struct clrsos_breakpoints *bps, bool json, struct clrsos_json *j,
		       struct clrsos_writer *out)
{
	size_t n = 0;
	const struct clrsos_bpmd_entry *entries = clrsos_breakpoints_list(bps, &n);
	struct clrsos_name_buf a, b;
	if (!json)
		clrsos_out(out, "bpmd pending breakpoint list\n Breakpoint index - Location, ModuleID, Method Token\n");
	for (size_t k = 0; k < n; k++) {
		const struct clrsos_bpmd_entry *e = &entries[n - 1 - k]; /* newest first */
		if (json) {
			clrsos_json_object_begin(j);
			clrsos_json_key(j, "index");
			clrsos_json_uint(j, k + 1);
			if (e->module_name) {
				clrsos_json_key(j, "module");
				clrsos_json_string(j, e->module_name);
				clrsos_json_key(j, "method");
				clrsos_json_string(j, e->method_name);
				clrsos_json_key(j, "ilOffset");
				clrsos_json_uint(j, e->il_offset);
			} else {
				clrsos_json_key(j, "file");
				clrsos_json_string(j, e->file);
				clrsos_json_key(j, "line");
				clrsos_json_uint(j, e->line);
			}
			clrsos_json_key(j, "moduleId");
			clrsos_json_address(j, e->module);
			clrsos_json_key(j, "token");
			clrsos_json_uint(j, e->token);
			clrsos_json_object_end(j);
		} else if (e->module_name) {
			clrsos_outf(out, "%zu - %s!%s+%u, 0x%016" PRIX64 ", 0x%08x\n", k + 1, clrsos_safe_name(e->module_name, &a),
				    clrsos_safe_name(e->method_name, &b), e->il_offset, e->module, e->token);
		} else {
			clrsos_outf(out, "%zu - %s:%u, 0x%016" PRIX64 ", 0x%08x\n", k + 1, clrsos_safe_name(e->file, &a), e->line,
				    e->module, e->token);
		}
	}
}

static const char usage[] = "give bpmd <module> <method> [<il offset>], <file>:<line>, -md <MethodDesc>, "
			    "-list, -clear <n> or -clearall (see 'help bpmd')";

struct clrsos_error *clrsos_cmd_bpmd(struct clrsos_session *session, const struct clrsos_host *host, int argc,
				     const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, list = false, clear_all = false, no_future = false, have_md = false, have_clear = false;
	uint64_t md = 0, clear = 0;
	struct bpmd_args a = {{NULL, NULL, NULL}, 0};
	const struct clrsos_option options[] = {
		CLRSOS_ADDRESS("-md", &md, .given = &have_md),
		CLRSOS_FLAG("-nofuturemodule", &no_future),
		CLRSOS_FLAG("-list", &list),
		CLRSOS_UINT("-clear", &clear, .given = &have_clear, .min = 1, .max = UINT32_MAX),
		CLRSOS_FLAG("-clearall", &clear_all),
		CLRSOS_FLAG("--json", &json),
	};
	const struct clrsos_options spec = {"bpmd", options, CLRSOS_OPTION_COUNT(options), 3, bpmd_operand, &a};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	int actions = have_md + list + have_clear + clear_all + (a.noperands > 0);
	if (actions != 1 || (a.noperands > 0 && a.noperands < 2 && !strchr(a.operands[0], ':')))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "bpmd: %s", usage);
	if (have_md && !md)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "bpmd: 0 is not a valid MethodDesc");
	struct clrsos_bpmd_request r = {.no_future_module = no_future, .method_desc = md};
	if (a.noperands > 0) {
		char *colon = strrchr(a.operands[0], ':');
		if (colon && a.noperands == 1) {
			char *end = NULL;
			unsigned long line = strtoul(colon + 1, &end, 10);
			if (colon[1] < '0' || colon[1] > '9' || *end || line == 0 || line > UINT32_MAX || colon == a.operands[0])
				return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							   "bpmd: '%s' is not <file>:<line> (a line number from 1)",
							   a.operands[0]);
			r.line = (uint32_t)line;
		} else if (a.noperands < 2) {
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "bpmd: %s", usage);
		} else {
			r.module_name = a.operands[0];
			r.method_name = a.operands[1];
			if (a.noperands == 3) {
				uint64_t il = 0;
				if ((err = clrsos_parse_uint_range("il offset", a.operands[2], 0, UINT32_MAX, &il)))
					return err;
				r.il_offset = (uint32_t)il;
			}
		}
	}
	if (!clrsos_target_is_live(clrsos_session_target(session)))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "bpmd needs a live process: this target is a core dump (run the program under lldb, "
					   "or attach to it with process attach -p <pid>)");
	struct clrsos_breakpoints *bps = NULL;
	struct clrsos_dac *dac = NULL;
	if ((err = clrsos_session_breakpoints(session, &bps)))
		return err;
	/* Before the runtime is loaded (a process launched stopped at its
	 * entry) bpmd waits for it, as SOS does: no DAC until then. */
	if ((err = clrsos_session_dac(session, &dac))) {
		if (err->code != CLRSOS_ERROR_NO_RUNTIME)
			return err;
		clrsos_error_destroy(err);
		err = NULL;
	}
	struct clrsos_target *target = clrsos_session_target(session);
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
	}
	if (list) {
		if (json) {
			clrsos_json_key(&j, "pending");
			clrsos_json_array_begin(&j);
		}
		write_list(bps, json, &j, out);
		if (json)
			clrsos_json_array_end(&j);
	} else if (have_clear || clear_all) {
		bool found = true;
		struct clrsos_bpmd_entry cleared = {0};
		if (clear_all)
			err = clrsos_breakpoints_clear_all(bps, target, dac);
		else
			err = clrsos_breakpoints_clear(bps, target, dac, (size_t)clear, &found, &cleared);
		if (!err && !found)
			err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						  "bpmd: no pending breakpoint %" PRIu64 ": bpmd -list shows them", clear);
		if (!err && json) {
			clrsos_json_key(&j, "cleared");
			clrsos_json_string(&j, clear_all ? "all" : "one");
		} else if (!err && clear_all) {
			clrsos_out(out, "All pending breakpoints cleared.\n");
		} else if (!err) {
			struct clrsos_name_buf x, y;
			clrsos_outf(out, "%" PRIu64 " - %s, %s, %016" PRIX64 "\nCleared\n", clear,
				    clrsos_safe_name(cleared.module_name ? cleared.module_name : "", &x),
				    clrsos_safe_name(cleared.method_name ? cleared.method_name : "", &y), cleared.module);
		}
		clrsos_bpmd_entry_deinit(&cleared);
	} else {
		char *file = NULL;
		if (r.line) {
			file = strdup(a.operands[0]);
			if (!file)
				return &clrsos_error_no_memory;
			*strrchr(file, ':') = '\0';
			r.file = file;
		}
		struct clrsos_bpmd_events events = {0};
		if (dac)
			err = clrsos_breakpoints_add(bps, target, dac, &r, &events);
		else
			err = clrsos_breakpoints_add_before_runtime(bps, target, &r, &events);
		if (json) {
			clrsos_json_key(&j, "events");
			clrsos_json_array_begin(&j);
		}
		write_events(&events, json, &j, out);
		if (json)
			clrsos_json_array_end(&j);
		clrsos_bpmd_events_deinit(&events);
		free(file);
	}
	if (json) {
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return err;
}

/* The debugger stopped where bpmd asked: a notification, or the runtime started. */
static struct clrsos_error *on_stop(struct clrsos_session *session, struct clrsos_writer *out, bool runtime_started,
				    bool *ret_stop)
{
	*ret_stop = false;
	struct clrsos_breakpoints *bps = NULL;
	struct clrsos_dac *dac = NULL;
	struct clrsos_error *err = clrsos_session_breakpoints(session, &bps);
	if (!err)
		err = clrsos_session_dac(session, &dac);
	if (err)
		return runtime_started
			       ? clrsos_error_wrap(err, "the runtime started, but its pending breakpoints cannot be set")
			       : err;
	struct clrsos_bpmd_events events = {0};
	struct clrsos_target *target = clrsos_session_target(session);
	if (runtime_started)
		err = clrsos_breakpoints_on_runtime_loaded(bps, target, dac, &events);
	else
		err = clrsos_breakpoints_on_notification(bps, target, dac, &events, ret_stop);
	write_events(&events, false, NULL, out);
	clrsos_bpmd_events_deinit(&events);
	return err;
}

struct clrsos_error *clrsos_bpmd_notification(struct clrsos_session *session, struct clrsos_writer *out,
					      bool *ret_stop)
{
	return on_stop(session, out, false, ret_stop);
}

struct clrsos_error *clrsos_bpmd_symbol_hit(struct clrsos_session *session, struct clrsos_writer *out,
					    bool *ret_stop)
{
	return on_stop(session, out, true, ret_stop);
}
