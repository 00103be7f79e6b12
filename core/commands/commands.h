/*
 * Commands: the user's contract. Each command takes the argv lldb gave it
 * (never re-joined into a string), parses it into its options, computes a
 * result through the session and renders it with one of two writers: SOS
 * style text or JSON (--json). The plugin registers every entry of
 * clrsos_commands under its own name and under `clrsos`.
 */
#ifndef CLRSOS_COMMANDS_H
#define CLRSOS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/output.h"
#include "session/session.h"
#include "options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A frame of the debugger's own backtrace. */
struct clrsos_native_frame {
	uint64_t pc, sp;
	char *name;   /* the debugger's symbol for it, malloc'd, or NULL */
	char *module; /* the module holding pc, malloc'd, or NULL */
};

/* What a command may ask of the debugger. */
struct clrsos_host {
	/* Evaluate an address expression as `memory read` would ($rdi, 0x10+8). */
	struct clrsos_error *(*evaluate)(void *ctx, const char *expression,
					 uint64_t *ret);
	void *ctx;
	/* The debugger-wide settings (clrsos settings, setclrpath). */
	struct clrsos_settings *settings;
	/* Where progress of long commands goes (the debugger's error stream), or NULL. */
	struct clrsos_writer *progress;
	/* The OS id of the debugger's selected thread, or 0. */
	uint32_t selected_thread;
	/*
	 * The debugger's native backtrace of a thread: up to max frames, each
	 * its pc, sp and the debugger's name for it (malloc'd, or NULL where it
	 * has none, as in JIT-compiled code). NULL when the debugger cannot.
	 */
	struct clrsos_error *(*backtrace)(void *ctx, uint32_t os_thread_id,
					  struct clrsos_native_frame *ret, size_t max,
					  size_t *ret_count);
	/*
	 * Whether the user asked the running command to stop (Ctrl-C), or
	 * NULL: asked every few milliseconds of work (see watch.h).
	 */
	bool (*interrupted)(void *ctx);
	void *interrupted_ctx;
	/* progress is a terminal: its line is rewritten in place. */
	bool progress_terminal;
	/*
	 * The debugger's number for the thread with this OS id (lldb's
	 * `thread select` index, SOS's DBG column), 0 when it has no such
	 * thread; NULL when the debugger cannot say. Called with ctx.
	 */
	uint32_t (*thread_index)(void *ctx, uint32_t os_thread_id);
	/* Make the thread with this OS id the debugger's selected one (ctx), or NULL when the debugger cannot. */
	struct clrsos_error *(*select_thread)(void *ctx, uint32_t os_thread_id);
	/*
	 * The debugger's symbol for a code address (ctx): the file name of its
	 * module and the symbol's name (malloc'd, each NULL where it has none)
	 * and the address's offset from the symbol. NULL when the debugger cannot.
	 */
	void (*symbolize)(void *ctx, uint64_t address, char **ret_module, char **ret_name, uint64_t *ret_offset);
};

typedef struct clrsos_error *clrsos_command_fn(struct clrsos_session *session,
					       const struct clrsos_host *host,
					       int argc, const char *const *argv,
					       struct clrsos_writer *out);

struct clrsos_command {
	const char *name; /* clrsos's name, lowercase, as its output and errors say it */
	/*
	 * SOS's other names for the command, NULL-terminated (NULL: a command
	 * SOS does not have; an empty list: SOS has it under this name only,
	 * as clru): its short aliases (do) and the spellings SOS
	 * registers or exports (DumpObj, dumpstackobjects). Each is an lldb
	 * command too unless lldb or another plugin holds the name; after
	 * `clrsos` or `sos` every name is taken in any case.
	 */
	const char *const *aliases;
	const char *help;  /* one line */
	const char *syntax; /* the syntax, each option, an example */
	clrsos_command_fn *run;
	/* Runs without a process (setclrpath): session is then NULL. */
	bool needs_no_process;
	/*
	 * Reached only as `clrsos <name>` or `sos <name>`, as SOS has it (its
	 * host commands): no top-level lldb command, so that lldb's
	 * abbreviations of its own (reg for register) stay unambiguous.
	 */
	bool prefixed_only;
};

extern const struct clrsos_command clrsos_commands[];
extern const size_t clrsos_command_count;

/* The command of this name or alias, in any case ("DumpHeap", "DO", "PE"), or NULL. */
const struct clrsos_command *clrsos_command_find(const char *name);

/*
 * `clrsos <command> ...`: the command argv[0] names, in any case, into
 * *ret. Given no command, `help` or `help <command>` (any case), it writes
 * the list of commands or that command's syntax to out and sets *ret to
 * NULL; an unknown name is an error saying where the list is.
 */
struct clrsos_error *clrsos_command_select(int argc, const char *const *argv,
					   struct clrsos_writer *out,
					   const struct clrsos_command **ret);
/* The list of commands, one line each and a line of SOS's names, as `clrsos` and `help clrsos` show it. */
void clrsos_command_write_list(struct clrsos_writer *out);
/* A command's aliases, "do, DumpObj" (nothing when it has none). */
void clrsos_command_write_aliases(struct clrsos_writer *out, const struct clrsos_command *c);

/* Whether argv asks for JSON (--json). */
bool clrsos_command_wants_json(int argc, const char *const *argv);

/*
 * Run a command as the debugger does: around the session's begin and end
 * (session may be NULL for commands that need no process). With --json the
 * output is all or nothing: it is held (in memory, then in an unlinked
 * temporary file past a few megabytes) and reaches out only if the command
 * succeeds, so a command that fails half way leaves no half-written JSON;
 * a failure is written to out as clrsos_command_report writes it (its
 * fields joined to the command's answer if that was whole: eeversion
 * without a DAC). Returns the command's error, for the debugger's status.
 *
 * The command itself runs under a watch (watch.h) on its long work:
 * Ctrl-C stops it (CLRSOS_ERROR_INTERRUPTED, after what it had written)
 * and its progress shows on host->progress (clrsos_command_run_watched).
 */
struct clrsos_error *clrsos_command_run(const struct clrsos_command *command,
					struct clrsos_session *session,
					const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out);

/*
 * A failed command's error on its output, when argv asks for JSON: one
 * object {"error": message, "code": kind, "command": name} (and "address"
 * for an unreadable address), then a newline. Without --json it writes
 * nothing (the debugger shows the error as its own error line). For errors
 * met before clrsos_command_run (no target, no process).
 */
void clrsos_command_report(const char *command, int argc,
			   const char *const *argv, const struct clrsos_error *err,
			   struct clrsos_writer *out);

/*
 * Run a command's entry point under a watch (watch.h) on its long work,
 * so that Ctrl-C stops it (CLRSOS_ERROR_INTERRUPTED, after what it had
 * written) and its progress shows on host->progress. clrsos_command_run
 * calls it; the debugger calls clrsos_command_run.
 */
struct clrsos_error *clrsos_command_run_watched(const struct clrsos_command *command,
						struct clrsos_session *session,
						const struct clrsos_host *host, int argc,
						const char *const *argv, struct clrsos_writer *out);

/* Entry points, one per command file. */
clrsos_command_fn clrsos_cmd_eeversion;
clrsos_command_fn clrsos_cmd_nativeheap;
clrsos_command_fn clrsos_cmd_eeheap;
clrsos_command_fn clrsos_cmd_maddress;
struct clrsos_histogram;
/* The current target's memory per owner as maddress --save writes it (heapdiff of maddress summaries). */
struct clrsos_error *clrsos_maddress_histogram(struct clrsos_session *session, struct clrsos_histogram *ret);
clrsos_command_fn clrsos_cmd_setclrpath;
clrsos_command_fn clrsos_cmd_settings;
clrsos_command_fn clrsos_cmd_dumpheap;
clrsos_command_fn clrsos_cmd_heapdiff;
clrsos_command_fn clrsos_cmd_dumpstring;
clrsos_command_fn clrsos_cmd_dumplog;
clrsos_command_fn clrsos_cmd_histinit;
clrsos_command_fn clrsos_cmd_histstats;
clrsos_command_fn clrsos_cmd_histroot;
clrsos_command_fn clrsos_cmd_histobj;
clrsos_command_fn clrsos_cmd_histobjfind;
clrsos_command_fn clrsos_cmd_histclear;
clrsos_command_fn clrsos_cmd_findstring;
clrsos_command_fn clrsos_cmd_dumpobj;
clrsos_command_fn clrsos_cmd_dumpvc;
clrsos_command_fn clrsos_cmd_dumpmt;
clrsos_command_fn clrsos_cmd_dumparray;
clrsos_command_fn clrsos_cmd_gcroot;
clrsos_command_fn clrsos_cmd_gchandles;
clrsos_command_fn clrsos_cmd_finalizequeue;
clrsos_command_fn clrsos_cmd_inspect;
clrsos_command_fn clrsos_cmd_objsize;
clrsos_command_fn clrsos_cmd_clrthreads;
clrsos_command_fn clrsos_cmd_modules;
clrsos_command_fn clrsos_cmd_threads;
clrsos_command_fn clrsos_cmd_registers;
clrsos_command_fn clrsos_cmd_logopen;
clrsos_command_fn clrsos_cmd_logclose;
clrsos_command_fn clrsos_cmd_logging;
clrsos_command_fn clrsos_cmd_sethostruntime;
clrsos_command_fn clrsos_cmd_setsymbolserver;

/*
 * logopen's file: a writer that passes everything to out and, while a log
 * is open, copies it there (clrsos_command_run wraps every command's output
 * in one); flush the log after each command.
 */
struct clrsos_writer clrsos_console_log_tee(struct clrsos_writer *out);
void clrsos_console_log_flush(void);
clrsos_command_fn clrsos_cmd_dumpdelegate;
clrsos_command_fn clrsos_cmd_dumpexceptions;
clrsos_command_fn clrsos_cmd_clrstack;
clrsos_command_fn clrsos_cmd_clrbt;
clrsos_command_fn clrsos_cmd_dso;
clrsos_command_fn clrsos_cmd_dumpstack;
clrsos_command_fn clrsos_cmd_eestack;
clrsos_command_fn clrsos_cmd_pe;
clrsos_command_fn clrsos_cmd_gcheapstat;
clrsos_command_fn clrsos_cmd_gcwhere;
clrsos_command_fn clrsos_cmd_retained;
clrsos_command_fn clrsos_cmd_dominators;
clrsos_command_fn clrsos_cmd_dumpgen;
clrsos_command_fn clrsos_cmd_dcd;
clrsos_command_fn clrsos_cmd_dcq;
clrsos_command_fn clrsos_cmd_ephrefs;
clrsos_command_fn clrsos_cmd_ephtoloh;
clrsos_command_fn clrsos_cmd_dumpsig;
clrsos_command_fn clrsos_cmd_dumpsigelem;
clrsos_command_fn clrsos_cmd_dumpil;
clrsos_command_fn clrsos_cmd_ehinfo;
clrsos_command_fn clrsos_cmd_clru;
struct clrsos_method_desc_info;
/* SOS's "MethodDesc:" line and DumpMD block (ip2md's text; ehinfo and clru print it too). */
void clrsos_render_method_desc_text(const struct clrsos_method_desc_info *m, struct clrsos_writer *out);
struct clrsos_method_gcinfo;
struct clrsos_gcinfo_event;
struct clrsos_gcinfo;
/* GCInfo's table after its 'Pointer table:' line: the header's fields, then the transitions. */
void clrsos_render_gcinfo_table(const struct clrsos_method_gcinfo *m, const struct clrsos_gcinfo_event *ev, size_t n,
				struct clrsos_writer *out);
/* The table's header alone (its lines before the transitions). */
void clrsos_render_gcinfo_header(const struct clrsos_method_gcinfo *m, struct clrsos_writer *out);
/*
 * The transitions, as far as through: from where st (zeroed at first)
 * stopped, up to the first line of an offset past through (clru -gcinfo
 * shows them as the code reaches each offset; UINT64_MAX: all).
 */
struct clrsos_gcinfo_render {
	size_t next;   /* the next event */
	uint32_t last; /* the offset of the line open or last shown */
	bool started, printed, safepoint, open;
};
void clrsos_render_gcinfo_transitions(const struct clrsos_gcinfo *gi, const struct clrsos_gcinfo_event *ev, size_t n,
				      struct clrsos_gcinfo_render *st, uint64_t through, struct clrsos_writer *out);
struct clrsos_json;
/* DumpMD's JSON fields, written into the object j is in. */
void clrsos_render_method_desc_json(const struct clrsos_method_desc_info *m, struct clrsos_json *j);
clrsos_command_fn clrsos_cmd_sosstatus;
clrsos_command_fn clrsos_cmd_runtimes;
clrsos_command_fn clrsos_cmd_clrmodules;
clrsos_command_fn clrsos_cmd_syncblk;
clrsos_command_fn clrsos_cmd_analyzeoom;
clrsos_command_fn clrsos_cmd_dumpruntimetypes;
clrsos_command_fn clrsos_cmd_timerinfo;
clrsos_command_fn clrsos_cmd_threadpool;
clrsos_command_fn clrsos_cmd_threadpoolqueue;
clrsos_command_fn clrsos_cmd_dumpalc;
clrsos_command_fn clrsos_cmd_verifyheap;
clrsos_command_fn clrsos_cmd_verifyobj;
clrsos_command_fn clrsos_cmd_dumpgcdata;
clrsos_command_fn clrsos_cmd_listnearobj;
clrsos_command_fn clrsos_cmd_pathto;
clrsos_command_fn clrsos_cmd_sizestats;
clrsos_command_fn clrsos_cmd_findroots;
clrsos_command_fn clrsos_cmd_traverseheap;
clrsos_command_fn clrsos_cmd_dumpasync;
clrsos_command_fn clrsos_cmd_ip2md;
clrsos_command_fn clrsos_cmd_gcinfo;
clrsos_command_fn clrsos_cmd_threadstate;
clrsos_command_fn clrsos_cmd_dumpmd;
clrsos_command_fn clrsos_cmd_dumpmodule;
clrsos_command_fn clrsos_cmd_bpmd;

/*
 * The debugger stopped where the runtime raises its notifications (a C++
 * exception thrown in the process, while bpmd watches them): set the
 * breakpoints it allows, saying so on out. *ret_stop: whether the process
 * should stay stopped (false: it goes on).
 */
struct clrsos_error *clrsos_bpmd_notification(struct clrsos_session *session, struct clrsos_writer *out,
					      bool *ret_stop);
/*
 * The debugger stopped at the breakpoint bpmd asked for where the runtime
 * starts (ops->symbol_breakpoint): arm the pending breakpoints.
 * *ret_stop: whether the process should stay stopped (false: it goes on).
 */
struct clrsos_error *clrsos_bpmd_symbol_hit(struct clrsos_session *session, struct clrsos_writer *out,
					    bool *ret_stop);
clrsos_command_fn clrsos_cmd_dumpclass;
clrsos_command_fn clrsos_cmd_dumpdomain;
clrsos_command_fn clrsos_cmd_dumpassembly;
clrsos_command_fn clrsos_cmd_name2ee;
clrsos_command_fn clrsos_cmd_token2ee;

/*
 * Parsing helpers shared by the commands: options are SOS's single-dash
 * words; --json is accepted everywhere.
 */
/* An address argument: bare hex digits are hex (SOS's convention: "7f3c00a0"),
 * anything else is an lldb expression ("$rdi", "0x7f00+0x10", a variable). */
struct clrsos_error *clrsos_parse_address(const struct clrsos_host *host,
					  const char *text, uint64_t *ret);
/* gen0|gen1|gen2|loh|poh|foh (or 0-4): adds 1 << generation to *mask. */
struct clrsos_error *clrsos_parse_generation(const char *command, const char *text,
					     uint32_t *mask);
/* A count or size: decimal, or hex with 0x; nothing else (no sign, space or octal). */
struct clrsos_error *clrsos_parse_uint(const char *option, const char *text,
				       uint64_t *ret);
/*
 * The same within [min, max]: a number outside (however many digits) is one
 * error quoting text as typed, naming option and the range it takes.
 */
struct clrsos_error *clrsos_parse_uint_range(const char *option, const char *text, uint64_t min,
					     uint64_t max, uint64_t *ret);
/* A command's one address operand: parses text into *address the first
 * time (*have set), refuses a second one. */
struct clrsos_error *clrsos_address_operand(const char *command, const struct clrsos_host *host,
					    const char *text, bool *have, uint64_t *address);
/* The error for a command given no address operand (what: "an object"). */
struct clrsos_error *clrsos_address_missing(const char *command, const char *what);

#ifdef __cplusplus
}
#endif

#endif
