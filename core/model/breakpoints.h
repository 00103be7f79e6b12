/*
 * Managed breakpoints (bpmd): a breakpoint asked for by method name, by
 * source line or by MethodDesc stays pending until the method has code;
 * then the debugger sets a breakpoint at that code (through the target's
 * breakpoint_set). Code that does not exist yet is waited for with the
 * runtime's notifications: the DAC asks the runtime to raise one when it
 * compiles the method (every code version: a tier-up too) and when a module
 * loads; the debugger calls clrsos_breakpoints_on_notification at each.
 * Live processes only. No debugger header here: the debugger is the
 * target's ops.
 */
#ifndef CLRSOS_BREAKPOINTS_H
#define CLRSOS_BREAKPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_target;

/* One pending breakpoint, as `bpmd -list` shows it. */
struct clrsos_bpmd_entry {
	char *module_name; /* bpmd <module> <method>: the module as typed; NULL for file:line */
	char *method_name;
	char *file;        /* bpmd <file>:<line>: the file as typed */
	uint32_t line;
	uint64_t module;   /* the Module it is bound to; 0: any module (loaded later) */
	uint32_t token;    /* its MethodDef once bound, else 0 */
	uint32_t il_offset;
};

/* What a bpmd or a notification did, in order, for the command to say. */
enum clrsos_bpmd_event_kind {
	CLRSOS_BPMD_METHOD_DESC, /* a MethodDesc of the method: "MethodDesc = ..." */
	CLRSOS_BPMD_JITTED,      /* the runtime compiled it: "JITTED <module>!<method>" */
	CLRSOS_BPMD_SET,         /* a debugger breakpoint set at address */
	CLRSOS_BPMD_PENDING,     /* waiting for notifications: "Adding pending breakpoints..." */
	CLRSOS_BPMD_NOT_JITTED,  /* a dynamic method with no code yet (-md) */
};

struct clrsos_bpmd_event {
	enum clrsos_bpmd_event_kind kind;
	uint64_t address;  /* the MethodDesc, or the breakpoint's code address */
	char *name;        /* the method (malloc'd), or NULL: "UNKNOWN" */
	char *module_name; /* JITTED: the module's file name (malloc'd), or NULL */
	uint32_t id;       /* SET: the debugger's breakpoint id */
};

struct clrsos_bpmd_events {
	struct clrsos_bpmd_event *items;
	size_t count, capacity;
};
void clrsos_bpmd_events_deinit(struct clrsos_bpmd_events *events);

struct clrsos_breakpoints;

struct clrsos_breakpoints *clrsos_breakpoints_create(void);
void clrsos_breakpoints_destroy(struct clrsos_breakpoints *bps);

/* What `bpmd` asks for: a method by module and name, a source line, or a MethodDesc. */
struct clrsos_bpmd_request {
	const char *module_name;
	const char *method_name;
	uint32_t il_offset;
	const char *file;
	uint32_t line;
	uint64_t method_desc;
	bool no_future_module; /* do not wait for modules not loaded yet */
};

/*
 * Add a breakpoint: set at once where code exists, pending (with the
 * runtime's notifications asked for) where it may come. The target must be
 * a live process whose debugger can set breakpoints.
 */
struct clrsos_error *clrsos_breakpoints_add(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					    struct clrsos_dac *dac, const struct clrsos_bpmd_request *request,
					    struct clrsos_bpmd_events *events);

/*
 * The process stopped where the runtime raises its notifications (or at
 * some other C++ exception): bind and set what this notification allows.
 * *ret_stop stays false (the process goes on): a notification only sets
 * breakpoints.
 */
struct clrsos_error *clrsos_breakpoints_on_notification(struct clrsos_breakpoints *bps,
							struct clrsos_target *target, struct clrsos_dac *dac,
							struct clrsos_bpmd_events *events, bool *ret_stop);

/*
 * bpmd before the runtime is loaded (a process launched stopped at its
 * entry): keep the request (by name or line; -md and -nofuturemodule are
 * errors) and ask the debugger for a breakpoint where the runtime starts.
 */
struct clrsos_error *clrsos_breakpoints_add_before_runtime(struct clrsos_breakpoints *bps,
							   struct clrsos_target *target,
							   const struct clrsos_bpmd_request *request,
							   struct clrsos_bpmd_events *events);

/*
 * The process stopped where the runtime starts (that breakpoint, now
 * deleted): bind what is pending to the modules loaded, ask the runtime for
 * module loads and watch its notifications.
 */
struct clrsos_error *clrsos_breakpoints_on_runtime_loaded(struct clrsos_breakpoints *bps,
							  struct clrsos_target *target, struct clrsos_dac *dac,
							  struct clrsos_bpmd_events *events);

/* The pending breakpoints, newest first (bpmd -list; index 1 is the first). */
const struct clrsos_bpmd_entry *clrsos_breakpoints_list(const struct clrsos_breakpoints *bps, size_t *ret_count);

/*
 * Forget pending breakpoint index (1-based, as listed; *ret_found false if
 * there is none) or all of them; with none left, notifications are no
 * longer watched. *ret_cleared: a copy of the entry cleared (deinit it).
 */
struct clrsos_error *clrsos_breakpoints_clear(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					      struct clrsos_dac *dac, size_t index, bool *ret_found,
					      struct clrsos_bpmd_entry *ret_cleared);
struct clrsos_error *clrsos_breakpoints_clear_all(struct clrsos_breakpoints *bps, struct clrsos_target *target,
						  struct clrsos_dac *dac);
void clrsos_bpmd_entry_deinit(struct clrsos_bpmd_entry *entry);

#ifdef __cplusplus
}
#endif

#endif
