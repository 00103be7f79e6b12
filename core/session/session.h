/*
 * Session: clrsos's state for one debugged process: the target, the DAC
 * opened for it, and what was read for the current stop. When the process
 * has run and stopped again, the stop's caches are dropped and the DAC is
 * flushed; a DAC that could not be opened is tried again on the next use
 * (the user may have fixed the cause, e.g. with setclrpath).
 */
#ifndef CLRSOS_SESSION_H
#define CLRSOS_SESSION_H

#include "base/error.h"
#include "model/heap.h"
#include "analysis/reach.h"
#include "analysis/dominators.h"
#include "analysis/referrers.h"
#include "model/runtime.h"
#include "target/target.h"
#include "base/watch.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

struct clrsos_session;

/*
 * Settings the user makes for the whole debugger, with or without a
 * process: `clrsos settings <name> <value>` (and setclrpath for clr-path).
 * They are read where they act, from here: never from the environment
 * (the plugin seeds them from CLRSOS_* variables once, when it loads).
 * Sessions notice a change that concerns the DAC or the memory read
 * through the generation.
 */
enum clrsos_memory_reader {
	/* A live process's memory from /proc/<pid>/mem, a core's from the file
	 * mapped in place, where possible; else through the debugger. */
	CLRSOS_MEMORY_DIRECT,
	/* Everything through the debugger (to compare the two). */
	CLRSOS_MEMORY_DEBUGGER,
};

struct clrsos_settings {
	char *clr_path; /* named with setclrpath; NULL: the runtime's own directory */
	/* The DAC's directory instead of the runtime's own (not trusted
	 * blindly, unlike clr_path), or NULL. */
	char *runtime_dir;
	/* Milliseconds of work before a long command shows its progress. */
	uint64_t progress_after_ms;
	enum clrsos_memory_reader memory_reader;
	uint64_t generation;
};

/* The defaults: nothing named, progress after a second, memory read directly. */
void clrsos_settings_init(struct clrsos_settings *settings);

/* Set (dir) or clear (NULL or "") the directory named with setclrpath. */
struct clrsos_error *clrsos_settings_set_clr_path(struct clrsos_settings *settings,
						  const char *dir);
void clrsos_settings_deinit(struct clrsos_settings *settings);

/*
 * The settings by name, as `clrsos settings` lists, shows and sets them.
 * A value is text, a number or nothing (a directory not set).
 */
enum clrsos_setting_kind {
	CLRSOS_SETTING_DIRECTORY, /* a directory, or not set */
	CLRSOS_SETTING_NUMBER,    /* a count (decimal, or hex with 0x) */
	CLRSOS_SETTING_CHOICE,    /* one of a few words */
};

struct clrsos_setting_info {
	const char *name;
	enum clrsos_setting_kind kind;
	const char *values;  /* what it takes, for errors and help ("direct|debugger") */
	const char *help;    /* one line */
};

struct clrsos_setting_value {
	const char *text; /* a directory or a choice; NULL: not set (or a number) */
	uint64_t number;  /* a number's value */
};

extern const struct clrsos_setting_info clrsos_setting_infos[];
extern const size_t clrsos_setting_count;

/* The setting of this name (any case), or NULL. */
const struct clrsos_setting_info *clrsos_setting_find(const char *name);

/* A setting's value now (borrowed from settings: valid until the next set). */
struct clrsos_setting_value clrsos_settings_get(const struct clrsos_settings *settings,
						const struct clrsos_setting_info *info);

/*
 * Set from text: a directory must exist ("" clears it); a number or a
 * choice must be one. A bad value is an INVALID_ARGUMENT error naming the
 * setting and what it takes; the setting is then unchanged.
 */
struct clrsos_error *clrsos_settings_set(struct clrsos_settings *settings,
					 const struct clrsos_setting_info *info, const char *text);

/* Back to the default. */
struct clrsos_error *clrsos_settings_reset(struct clrsos_settings *settings,
					   const struct clrsos_setting_info *info);

/* The session takes ownership of target; settings are borrowed and outlive it. */
struct clrsos_error *clrsos_session_create(struct clrsos_target *target,
					   const struct clrsos_settings *settings,
					   struct clrsos_session **ret);
void clrsos_session_destroy(struct clrsos_session *session);

struct clrsos_target *clrsos_session_target(struct clrsos_session *session);

/*
 * Around each command: the start arms the DAC fault guard and replaces a
 * DAC that crashed in an earlier command with a new instance; the end,
 * given the command's error (shown; NULL if it succeeded), returns an error
 * if the DAC crashed during the command and shown does not say so (the
 * answer is then incomplete, or the error may be the crash's doing), else
 * NULL.
 */
void clrsos_session_begin_command(struct clrsos_session *session);
/*
 * Before a command writes a file of its answer (--save): an error if the
 * DAC crashed during the command (types may be unnamed, the answer
 * incomplete), else NULL. The file is then not written; the error says why.
 */
struct clrsos_error *clrsos_session_check_saving(struct clrsos_session *session, const char *what);
struct clrsos_error *clrsos_session_end_command(struct clrsos_session *session,
					       const struct clrsos_error *shown);

/*
 * The watch of the command now running (NULL after it): the heap's walks,
 * marking and indexes poll it, and stop when the user asks (Ctrl-C).
 */
void clrsos_session_set_watch(struct clrsos_session *session, struct clrsos_watch *watch);
struct clrsos_watch *clrsos_session_watch(struct clrsos_session *session);

/* Start of every command: drop what belongs to an earlier stop. */
void clrsos_session_refresh(struct clrsos_session *session);

/* The DAC, opened on first use. Borrowed. */
struct clrsos_error *clrsos_session_dac(struct clrsos_session *session,
					struct clrsos_dac **ret);

/* Use this DAC instead of opening one (the session takes it): for tests. */
void clrsos_session_set_dac(struct clrsos_session *session, struct clrsos_dac *dac);

/* The GC heap layout of this stop. Borrowed. */
struct clrsos_error *clrsos_session_gc(struct clrsos_session *session,
				       const struct clrsos_gc **ret);

/* Which objects are reachable at this stop (computed once). Borrowed. */
struct clrsos_error *clrsos_session_reach(struct clrsos_session *session,
					  const struct clrsos_reach **ret);

/*
 * This stop's roots, each checked as the marking checks them (the same
 * stats and warnings): the reach above if it was made, else a reach of
 * the roots alone, without marks (clrsos_reach_create_roots; made once).
 * For what needs the roots but not which objects are live. Borrowed.
 */
struct clrsos_error *clrsos_session_roots(struct clrsos_session *session,
					  const struct clrsos_reach **ret);

/* Who refers to each object at this stop (built once, for gcroot). Borrowed. */
struct clrsos_error *clrsos_session_referrers(struct clrsos_session *session,
					      struct clrsos_referrers **ret);

/*
 * The dominator tree of this stop's live objects, with retained sizes
 * (built once, on the referrers). Both borrowed; the tree's nodes are the
 * referrers' object numbers.
 */
struct clrsos_error *clrsos_session_dominators(struct clrsos_session *session,
					       struct clrsos_referrers **ret_referrers,
					       struct clrsos_domtree **ret);

/* The GC heap of this stop (layout, types, allocation contexts). Borrowed. */
struct clrsos_error *clrsos_session_heap(struct clrsos_session *session,
					 struct clrsos_heap **ret);

struct clrsos_breakpoints;
/* bpmd's managed breakpoints of this process (kept across stops). Borrowed. */
struct clrsos_error *clrsos_session_breakpoints(struct clrsos_session *session,
						struct clrsos_breakpoints **ret);

struct clrsos_gchist;
/* histinit's GC history of this process (kept across stops until histclear or histinit). */
struct clrsos_gchist **clrsos_session_gchist(struct clrsos_session *session);

#ifdef __cplusplus
}
#endif

#endif
