/*
 * dumpstack and eestack, as SOS prints them: a scan of the raw stack for
 * words that are return addresses (model/nativestack.h), each named by
 * its caller (the managed method, or the debugger's symbol) and, for a
 * direct call, by what it calls.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/methods.h"
#include "model/nativestack.h"
#include "model/threads.h"
#include "session/session.h"
#include "target/target.h"
#include "commands.h"
#include "rootcmds.h"

enum { SCAN_BYTES = 0xffff, TS_HIJACKED = 0x80 };

struct dumpstack_options {
	bool ee_only, no_lines, short_list;
	uint64_t bounds[2];
	int nbounds;
};

/* What SOS prints for code at ip: "(MethodDesc <md> + 0x<off> <name>)", "module!symbol + 0x<off>", or the address. */
static struct clrsos_error *write_code(struct clrsos_writer *out, struct clrsos_root_cmd *c,
				       const struct clrsos_host *host, uint64_t ip, bool ee_only, bool lines,
				       bool *printed)
{
	uint64_t md = 0;
	struct clrsos_error *err = clrsos_method_desc_from_ip(c->dac, ip, &md);
	if (err && clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	*printed = false;
	if (md) {
		char *name = NULL, *module = NULL;
		bool has_code;
		uint64_t off = 0;
		if (!(err = clrsos_method_desc_name(c->dac, md, &name, &has_code)))
			err = clrsos_method_code_place(c->dac, md, ip, &module, &off);
		if (err && clrsos_error_is_no_memory(err)) {
			free(name);
			return err;
		}
		clrsos_error_destroy(err);
		struct clrsos_name_buf nb;
		clrsos_outf(out, "(MethodDesc %016" PRIx64 " ", md);
		if (module)
			clrsos_outf(out, off ? "+ %#" PRIx64 " " : "+ 0 ", off);
		clrsos_outf(out, "%s)", name ? clrsos_safe_name(name, &nb) : "<unknown method>");
		free(name);
		free(module);
		*printed = true;
		return NULL;
	}
	if (ee_only)
		return NULL;
	char *module = NULL, *symbol = NULL;
	uint64_t off = 0;
	if (host->symbolize)
		host->symbolize(host->ctx, ip, &module, &symbol, &off);
	if (symbol) {
		struct clrsos_name_buf mb, nb;
		clrsos_outf(out, "%s!%s", module ? clrsos_safe_name(module, &mb) : "UNKNOWN",
			    clrsos_safe_name(symbol, &nb));
		if (off)
			clrsos_outf(out, " + %#" PRIx64, off);
		/* As SOS: the debugger's line of the address itself, where it has a line table. */
		char *file = NULL;
		uint32_t line = 0;
		if (lines && clrsos_target_source_line(c->target, ip, &file, &line))
			clrsos_outf(out, " [%s:%" PRIu32 "]", clrsos_safe_name(file, &nb), line);
		free(file);
	} else {
		clrsos_outf(out, "%016" PRIx64, ip);
	}
	free(module);
	free(symbol);
	*printed = true;
	return NULL;
}

/* SOS's DumpStackInternal for one thread, from its registers. */
static struct clrsos_error *dump_one(struct clrsos_writer *out, struct clrsos_root_cmd *c,
				     const struct clrsos_host *host, uint32_t os_id, const struct dumpstack_options *o,
				     struct clrsos_watch *watch)
{
	struct clrsos_regs regs;
	struct clrsos_error *err = clrsos_target_registers(c->target, os_id, &regs);
	if (err)
		return err;
	uint64_t top = o->nbounds ? o->bounds[0] : regs.rsp, end = o->nbounds == 2 ? o->bounds[1] : 0;
	if (!end) {
		clrsos_out(out, "TEB information is not available so a stack size of 0xFFFF is assumed\n");
		end = top + SCAN_BYTES;
	}
	if (end < top)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "the stack range ends (0x%" PRIx64 ") below its top (0x%" PRIx64 ")", end, top);
	bool printed;
	clrsos_out(out, "Current frame: ");
	if ((err = write_code(out, c, host, regs.rip, o->ee_only, !o->no_lines, &printed)))
		return err;
	clrsos_out(out, "\nChild-SP         RetAddr          Caller, Callee\n");
	struct clrsos_return_address *ra = NULL;
	size_t n = 0;
	if ((err = clrsos_stack_return_addresses(c->target, top, end, &ra, &n)))
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		/* Each row asks the DAC and the debugger's symbols: Ctrl-C may stop between rows. */
		if ((err = clrsos_watch_tick(watch)))
			break;
		/* -EE: a native caller prints nothing at all; so the row starts only once there is one. */
		uint64_t md = 0;
		if (o->ee_only) {
			struct clrsos_error *e = clrsos_method_desc_from_ip(c->dac, ra[i].ret, &md);
			if (e && clrsos_error_is_no_memory(e)) {
				err = e;
				break;
			}
			clrsos_error_destroy(e);
			if (!md)
				continue;
		}
		clrsos_outf(out, "%016" PRIX64 " %016" PRIx64 " ", ra[i].slot - 8, ra[i].ret);
		if ((err = write_code(out, c, host, ra[i].ret, o->ee_only, !o->no_lines, &printed)))
			break;
		if (!o->ee_only && ra[i].callee != CLRSOS_CALLEE_INDIRECT) {
			clrsos_out(out, ", calling ");
			err = write_code(out, c, host, ra[i].callee, false, !o->no_lines, &printed);
		}
		clrsos_out(out, "\n");
	}
	free(ra);
	return err;
}

static struct clrsos_error *bounds_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	struct dumpstack_options *o = ctx;
	o->nbounds = index + 1;
	return clrsos_parse_address(host, arg, &o->bounds[index]);
}

struct clrsos_error *clrsos_cmd_dumpstack(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	struct dumpstack_options o;
	memset(&o, 0, sizeof(o));
	bool unwind = false;
	/* -unwind: SOS takes it and changes nothing with it. */
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("-EE", &o.ee_only, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-n", &o.no_lines),
		CLRSOS_FLAG("-unwind", &unwind),
	};
	const struct clrsos_options spec = {"dumpstack", table, CLRSOS_OPTION_COUNT(table), 2, bounds_operand, &o};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (!host->selected_thread)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpstack: no thread is selected: use 'thread select <n>'");
	struct clrsos_root_cmd c;
	if ((err = clrsos_root_cmd_init(&c, session)))
		return err;
	uint32_t index = host->thread_index ? host->thread_index(host->ctx, host->selected_thread) : 0;
	clrsos_outf(out, "OS Thread Id: 0x%x (%u)\n", host->selected_thread, index);
	err = dump_one(out, &c, host, host->selected_thread, &o, clrsos_session_watch(session));
	return err ? clrsos_error_wrap(err, "dumpstack") : NULL;
}

struct clrsos_error *clrsos_cmd_eestack(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct dumpstack_options o;
	memset(&o, 0, sizeof(o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("-EE", &o.ee_only, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-short", &o.short_list, .flags = CLRSOS_OPTION_NOCASE),
	};
	const struct clrsos_options spec = {"eestack", table, CLRSOS_OPTION_COUNT(table), 0, NULL, NULL};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	struct clrsos_root_cmd c;
	if ((err = clrsos_root_cmd_init(&c, session)))
		return err;
	struct clrsos_managed_thread_list list;
	if ((err = clrsos_managed_thread_list_init(&list, c.dac)))
		return clrsos_error_wrap(err, "eestack");
	struct clrsos_watch *watch = clrsos_session_watch(session);
	for (size_t i = 0; i < list.count && !err; i++) {
		const struct clrsos_managed_thread *t = &list.items[i];
		/* Ctrl-C: asked at each thread too (a thread with a short stack ticks a few times only). */
		if (watch && (err = clrsos_watch_poll(watch)))
			break;
		uint32_t index = t->os_id && host->thread_index ? host->thread_index(host->ctx, t->os_id) : 0;
		if (!index)
			continue; /* not a thread the debugger has */
		clrsos_outf(out, "---------------------------------------------\nThread %3u\n", index);
		bool show = !o.short_list || t->lock_count > 0 || (t->state & TS_HIJACKED);
		if (!show) {
			/* -short: also a thread whose current IP is managed code. */
			struct clrsos_regs regs;
			uint64_t md = 0;
			struct clrsos_error *e = clrsos_target_registers(c.target, t->os_id, &regs);
			if (!e)
				e = clrsos_method_desc_from_ip(c.dac, regs.rip, &md);
			if (e && clrsos_error_is_no_memory(e))
				err = e;
			else
				clrsos_error_destroy(e);
			show = md != 0;
		}
		if (show && !err) {
			struct clrsos_error *e = dump_one(out, &c, host, t->os_id, &o, watch);
			if (e && (clrsos_error_is_no_memory(e) || clrsos_watch_stopped(watch))) {
				err = e;
			} else if (e) {
				clrsos_outf(out, "Warning: its stack could not be read: %s\n", e->message);
				clrsos_error_destroy(e);
			}
		}
	}
	clrsos_managed_thread_list_deinit(&list);
	if (err && clrsos_watch_stopped(watch))
		return err;
	return err ? clrsos_error_wrap(err, "eestack") : NULL;
}
