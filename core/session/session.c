#include "session/session.h"
#include "model/stresslog.h"

#include "dac/dac.h"
#include "dac/dacguard.h"
#include "model/breakpoints.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct clrsos_session {
	struct clrsos_target *target;
	const struct clrsos_settings *settings;
	uint64_t settings_generation; /* of the settings the DAC was opened with */
	bool dac_given;               /* set by clrsos_session_set_dac: keep it */
	struct clrsos_dac *dac;
	struct clrsos_gc *gc; /* this stop's layout, read on first use */
	struct clrsos_heap *heap; /* this stop's heap: types, contexts */
	struct clrsos_reach *reach; /* this stop's live objects */
	struct clrsos_reach *roots; /* this stop's roots alone (while reach is not made) */
	struct clrsos_referrers *referrers; /* who refers to them */
	struct clrsos_domtree *dominators; /* who keeps whom alive alone */
	struct clrsos_watch *watch; /* the current command's, or NULL */
	struct clrsos_breakpoints *breakpoints; /* bpmd's, across stops; NULL: none yet */
	struct clrsos_gchist *gchist; /* histinit's, across stops until histclear; NULL: none */
};

enum { DEFAULT_PROGRESS_AFTER_MS = 1000 };

void clrsos_settings_init(struct clrsos_settings *settings)
{
	*settings = (struct clrsos_settings){
		.progress_after_ms = DEFAULT_PROGRESS_AFTER_MS,
		.memory_reader = CLRSOS_MEMORY_DIRECT,
	};
}

/* A directory's copy without its trailing slashes ("dir/" and "dir" are one), NULL for "". */
static struct clrsos_error *copy_dir(const char *dir, char **ret)
{
	*ret = NULL;
	if (!dir || !dir[0])
		return NULL;
	char *copy = strdup(dir);
	if (!copy)
		return &clrsos_error_no_memory;
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	*ret = copy;
	return NULL;
}

struct clrsos_error *clrsos_settings_set_clr_path(struct clrsos_settings *settings,
						  const char *dir)
{
	char *copy;
	struct clrsos_error *err = copy_dir(dir, &copy);
	if (err)
		return err;
	free(settings->clr_path);
	settings->clr_path = copy;
	settings->generation++;
	return NULL;
}

void clrsos_settings_deinit(struct clrsos_settings *settings)
{
	free(settings->clr_path);
	settings->clr_path = NULL;
	free(settings->runtime_dir);
	settings->runtime_dir = NULL;
}

const struct clrsos_setting_info clrsos_setting_infos[] = {
	{
		.name = "clr-path",
		.kind = CLRSOS_SETTING_DIRECTORY,
		.values = "a directory, or \"\" for none",
		.help = "The runtime's directory named with setclrpath: its DAC is loaded, trusted as named.",
	},
	{
		.name = "runtime-dir",
		.kind = CLRSOS_SETTING_DIRECTORY,
		.values = "a directory, or \"\" for none",
		.help = "A directory to load the DAC from instead of the runtime's own (checked like it).",
	},
	{
		.name = "progress-after-ms",
		.kind = CLRSOS_SETTING_NUMBER,
		.values = "milliseconds (0: at once)",
		.help = "How long a command works before it shows its progress on the error stream.",
	},
	{
		.name = "memory-reader",
		.kind = CLRSOS_SETTING_CHOICE,
		.values = "direct or debugger",
		.help = "direct: /proc/<pid>/mem and the core file where possible; debugger: all through lldb.",
	},
};

const size_t clrsos_setting_count = sizeof(clrsos_setting_infos) / sizeof(clrsos_setting_infos[0]);

static const char *const memory_reader_names[] = {
	[CLRSOS_MEMORY_DIRECT] = "direct",
	[CLRSOS_MEMORY_DEBUGGER] = "debugger",
};

const struct clrsos_setting_info *clrsos_setting_find(const char *name)
{
	for (size_t i = 0; name && i < clrsos_setting_count; i++)
		if (strcasecmp(name, clrsos_setting_infos[i].name) == 0)
			return &clrsos_setting_infos[i];
	return NULL;
}

static bool is(const struct clrsos_setting_info *info, const char *name)
{
	return strcmp(info->name, name) == 0;
}

struct clrsos_setting_value clrsos_settings_get(const struct clrsos_settings *settings,
						const struct clrsos_setting_info *info)
{
	struct clrsos_setting_value v = {0};
	if (is(info, "clr-path"))
		v.text = settings->clr_path;
	else if (is(info, "runtime-dir"))
		v.text = settings->runtime_dir;
	else if (is(info, "progress-after-ms"))
		v.number = settings->progress_after_ms;
	else if (is(info, "memory-reader"))
		v.text = memory_reader_names[settings->memory_reader];
	return v;
}

static struct clrsos_error *bad_value(const struct clrsos_setting_info *info, const char *text,
				      const char *why)
{
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "settings %s: '%s' %s: it takes %s",
				   info->name, text, why, info->values);
}

struct clrsos_error *clrsos_settings_set(struct clrsos_settings *settings,
					 const struct clrsos_setting_info *info, const char *text)
{
	if (!text)
		text = "";
	if (info->kind == CLRSOS_SETTING_DIRECTORY) {
		if (text[0]) {
			struct stat st;
			if (stat(text, &st) != 0)
				return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "settings %s: %s: %s",
							   info->name, text, strerror(errno));
			if (!S_ISDIR(st.st_mode))
				return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							   "settings %s: %s is not a directory", info->name, text);
		}
		if (is(info, "clr-path"))
			return clrsos_settings_set_clr_path(settings, text);
		char *copy;
		struct clrsos_error *err = copy_dir(text, &copy);
		if (err)
			return err;
		free(settings->runtime_dir);
		settings->runtime_dir = copy;
		settings->generation++;
		return NULL;
	}
	if (info->kind == CLRSOS_SETTING_NUMBER) {
		/* Decimal, or hex with 0x: no sign, space or octal; at most a day. */
		const char *digits = text;
		int base = 10;
		if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
			digits += 2;
			base = 16;
		}
		if (!(base == 16 ? isxdigit((unsigned char)digits[0]) : isdigit((unsigned char)digits[0])))
			return bad_value(info, text, "is not a number");
		char *end;
		errno = 0;
		unsigned long long v = strtoull(digits, &end, base);
		if (*end)
			return bad_value(info, text, "is not a number");
		if (errno == ERANGE || v > 86400000ull)
			return bad_value(info, text, "is out of range (0 to 86400000)");
		settings->progress_after_ms = v;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(memory_reader_names) / sizeof(memory_reader_names[0]); i++) {
		if (strcasecmp(text, memory_reader_names[i]) == 0) {
			if (settings->memory_reader != (enum clrsos_memory_reader)i) {
				settings->memory_reader = (enum clrsos_memory_reader)i;
				settings->generation++; /* what was read stays valid, but drop it */
			}
			return NULL;
		}
	}
	return bad_value(info, text, "is not one");
}

struct clrsos_error *clrsos_settings_reset(struct clrsos_settings *settings,
					   const struct clrsos_setting_info *info)
{
	if (is(info, "progress-after-ms")) {
		settings->progress_after_ms = DEFAULT_PROGRESS_AFTER_MS;
		return NULL;
	}
	if (is(info, "memory-reader"))
		return clrsos_settings_set(settings, info, memory_reader_names[CLRSOS_MEMORY_DIRECT]);
	return clrsos_settings_set(settings, info, "");
}

struct clrsos_error *clrsos_session_create(struct clrsos_target *target,
					   const struct clrsos_settings *settings,
					   struct clrsos_session **ret)
{
	struct clrsos_session *s = calloc(1, sizeof(*s));
	if (!s)
		return &clrsos_error_no_memory;
	s->target = target;
	s->settings = settings;
	s->settings_generation = settings ? settings->generation : 0;
	*ret = s;
	return NULL;
}

void clrsos_session_destroy(struct clrsos_session *s)
{
	if (!s)
		return;
	clrsos_domtree_destroy(s->dominators);
	clrsos_referrers_destroy(s->referrers);
	clrsos_reach_destroy(s->reach);
	clrsos_reach_destroy(s->roots);
	clrsos_heap_destroy(s->heap);
	clrsos_gc_destroy(s->gc);
	clrsos_breakpoints_destroy(s->breakpoints);
	clrsos_gchist_destroy(s->gchist);
	clrsos_dac_destroy(s->dac);
	clrsos_target_destroy(s->target);
	free(s);
}

struct clrsos_error *clrsos_session_breakpoints(struct clrsos_session *s, struct clrsos_breakpoints **ret)
{
	if (!s->breakpoints)
		s->breakpoints = clrsos_breakpoints_create();
	*ret = s->breakpoints;
	return s->breakpoints ? NULL : &clrsos_error_no_memory;
}

struct clrsos_gchist **clrsos_session_gchist(struct clrsos_session *s)
{
	return &s->gchist;
}

struct clrsos_target *clrsos_session_target(struct clrsos_session *s)
{
	return s->target;
}

static void drop_stop(struct clrsos_session *s)
{
	clrsos_domtree_destroy(s->dominators);
	s->dominators = NULL;
	clrsos_referrers_destroy(s->referrers);
	s->referrers = NULL;
	clrsos_reach_destroy(s->reach);
	s->reach = NULL;
	clrsos_reach_destroy(s->roots);
	s->roots = NULL;
	clrsos_heap_destroy(s->heap);
	s->heap = NULL;
	clrsos_gc_destroy(s->gc);
	s->gc = NULL;
}

void clrsos_session_refresh(struct clrsos_session *s)
{
	if (!clrsos_target_refresh(s->target))
		return;
	drop_stop(s);
	if (s->dac)
		clrsos_dac_flush(s->dac);
}

struct clrsos_error *clrsos_session_dac(struct clrsos_session *s,
					struct clrsos_dac **ret)
{
	clrsos_session_refresh(s);
	/* setclrpath changed where the DAC comes from: open it anew. */
	if (s->settings && s->settings->generation != s->settings_generation &&
	    !s->dac_given) {
		drop_stop(s);
		clrsos_dac_destroy(s->dac);
		s->dac = NULL;
		s->settings_generation = s->settings->generation;
	}
	if (!s->dac) {
		struct clrsos_dac_options options = {
			.user_dir = s->settings ? s->settings->clr_path : NULL,
			.env_dir = s->settings ? s->settings->runtime_dir : NULL,
		};
		struct clrsos_error *err = clrsos_dac_create(s->target, &options, &s->dac);
		if (err)
			return err;
		/* A core may lack the assemblies' images: let their files fill in. */
		if (!clrsos_target_is_live(s->target)) {
			size_t added;
			/* Images not added leave the DAC reading what the core has. */
			if ((err = clrsos_error_ignore(clrsos_runtime_add_images(s->dac, s->target, &added)))) {
				clrsos_dac_destroy(s->dac); /* the next command opens it again, whole */
				s->dac = NULL;
				return err;
			}
		}
	}
	*ret = s->dac;
	return NULL;
}

void clrsos_session_set_dac(struct clrsos_session *s, struct clrsos_dac *dac)
{
	drop_stop(s);
	clrsos_dac_destroy(s->dac);
	s->dac = dac;
	s->dac_given = true;
}

struct clrsos_error *clrsos_session_gc(struct clrsos_session *s,
				       const struct clrsos_gc **ret)
{
	struct clrsos_dac *dac;
	struct clrsos_error *err = clrsos_session_dac(s, &dac);
	if (err)
		return err;
	if (!s->gc) {
		err = clrsos_gc_create(dac, &s->gc);
		if (err)
			return err;
	}
	*ret = s->gc;
	return NULL;
}

struct clrsos_error *clrsos_session_heap(struct clrsos_session *s,
					 struct clrsos_heap **ret)
{
	const struct clrsos_gc *gc;
	struct clrsos_error *err = clrsos_session_gc(s, &gc);
	if (err)
		return err;
	if (!s->heap) {
		err = clrsos_heap_create(s->dac, s->target, gc, &s->heap);
		if (err)
			return err;
		clrsos_heap_set_watch(s->heap, s->watch);
	}
	*ret = s->heap;
	return NULL;
}

/* s->reach, or (roots_only and no marking made yet) s->roots: made on first use. */
static struct clrsos_error *session_reach(struct clrsos_session *s, bool roots_only, const struct clrsos_reach **ret)
{
	struct clrsos_heap *heap;
	struct clrsos_error *err = clrsos_session_heap(s, &heap);
	if (!err)
		err = clrsos_heap_check_walkable(heap); /* even when kept from an earlier -ignoreGCState */
	if (err)
		return err;
	if (roots_only && s->reach)
		roots_only = false;
	struct clrsos_reach **made = roots_only ? &s->roots : &s->reach;
	if (!*made) {
		err = roots_only ? clrsos_reach_create_roots(s->dac, s->target, heap, made)
				 : clrsos_reach_create(s->dac, s->target, heap, made);
		if (!err && clrsos_watch_stopped(s->watch)) {
			/* Interrupted where an error was taken for an answer: not kept. */
			clrsos_reach_destroy(*made);
			*made = NULL;
			err = clrsos_watch_error(s->watch);
		}
		if (err)
			return err;
	}
	*ret = *made;
	return NULL;
}

struct clrsos_error *clrsos_session_reach(struct clrsos_session *s, const struct clrsos_reach **ret)
{
	return session_reach(s, false, ret);
}

struct clrsos_error *clrsos_session_roots(struct clrsos_session *s, const struct clrsos_reach **ret)
{
	return session_reach(s, true, ret);
}

struct clrsos_error *clrsos_session_referrers(struct clrsos_session *s,
					      struct clrsos_referrers **ret)
{
	const struct clrsos_reach *reach;
	struct clrsos_error *err = clrsos_session_roots(s, &reach);
	if (err)
		return err;
	if (!s->referrers) {
		err = clrsos_referrers_create(s->heap, reach, &s->referrers);
		if (!err && clrsos_watch_stopped(s->watch)) {
			clrsos_referrers_destroy(s->referrers);
			s->referrers = NULL;
			err = clrsos_watch_error(s->watch);
		}
		if (err)
			return err;
	}
	*ret = s->referrers;
	return NULL;
}

struct clrsos_error *clrsos_session_dominators(struct clrsos_session *s, struct clrsos_referrers **ret_referrers,
					       struct clrsos_domtree **ret)
{
	const struct clrsos_reach *reach;
	struct clrsos_referrers *referrers;
	struct clrsos_error *err = clrsos_session_roots(s, &reach);
	if (!err)
		err = clrsos_session_referrers(s, &referrers);
	if (err)
		return err;
	if (!s->dominators) {
		err = clrsos_referrers_dominators(referrers, reach, &s->dominators);
		if (!err && clrsos_watch_stopped(s->watch)) {
			clrsos_domtree_destroy(s->dominators);
			s->dominators = NULL;
			err = clrsos_watch_error(s->watch);
		}
		if (err)
			return err;
	}
	*ret_referrers = referrers;
	*ret = s->dominators;
	return NULL;
}

void clrsos_session_begin_command(struct clrsos_session *s)
{
	clrsos_guard_arm();
	if (s->dac && clrsos_dac_crashed(s->dac) && !s->dac_given) {
		drop_stop(s);
		clrsos_dac_destroy(s->dac);
		s->dac = NULL;
	}
}

struct clrsos_error *clrsos_session_check_saving(struct clrsos_session *s, const char *what)
{
	struct clrsos_error *err = clrsos_dac_crash_if_any(s->dac);
	return err ? clrsos_error_wrap(err, "%s: nothing written, the answer may be incomplete", what) : NULL;
}

struct clrsos_error *clrsos_session_end_command(struct clrsos_session *s, const struct clrsos_error *shown)
{
	return clrsos_dac_take_crash(s->dac, shown);
}

void clrsos_session_set_watch(struct clrsos_session *s, struct clrsos_watch *watch)
{
	s->watch = watch;
	if (s->heap)
		clrsos_heap_set_watch(s->heap, watch);
}

struct clrsos_watch *clrsos_session_watch(struct clrsos_session *s)
{
	return s ? s->watch : NULL;
}
