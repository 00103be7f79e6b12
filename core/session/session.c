#include "session/session.h"

#include "dac/dac.h"
#include "dac/dacguard.h"

#include <stdlib.h>
#include <string.h>

struct clrsos_session {
	struct clrsos_target *target;
	const struct clrsos_settings *settings;
	uint64_t settings_generation; /* of the settings the DAC was opened with */
	bool dac_given;               /* set by clrsos_session_set_dac: keep it */
	struct clrsos_dac *dac;
	struct clrsos_gc *gc; /* this stop's layout, read on first use */
	struct clrsos_heap *heap; /* this stop's heap: types, contexts */
	struct clrsos_reach *reach; /* this stop's live objects */
	struct clrsos_referrers *referrers; /* who refers to them */
	struct clrsos_watch *watch; /* the current command's, or NULL */
};

struct clrsos_error *clrsos_settings_set_clr_path(struct clrsos_settings *settings,
						  const char *dir)
{
	char *copy = NULL;
	if (dir && dir[0]) {
		copy = strdup(dir);
		if (!copy)
			return &clrsos_error_no_memory;
		/* "dir/" and "dir" are the same directory. */
		size_t n = strlen(copy);
		while (n > 1 && copy[n - 1] == '/')
			copy[--n] = '\0';
	}
	free(settings->clr_path);
	settings->clr_path = copy;
	settings->generation++;
	return NULL;
}

void clrsos_settings_deinit(struct clrsos_settings *settings)
{
	free(settings->clr_path);
	settings->clr_path = NULL;
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
	clrsos_referrers_destroy(s->referrers);
	clrsos_reach_destroy(s->reach);
	clrsos_heap_destroy(s->heap);
	clrsos_gc_destroy(s->gc);
	clrsos_dac_destroy(s->dac);
	clrsos_target_destroy(s->target);
	free(s);
}

struct clrsos_target *clrsos_session_target(struct clrsos_session *s)
{
	return s->target;
}

static void drop_stop(struct clrsos_session *s)
{
	clrsos_referrers_destroy(s->referrers);
	s->referrers = NULL;
	clrsos_reach_destroy(s->reach);
	s->reach = NULL;
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
			.env_dir = getenv("CLRSOS_RUNTIME_DIR"),
		};
		struct clrsos_error *err = clrsos_dac_open(s->target, &options, &s->dac);
		if (err)
			return err;
		/* A core may lack the assemblies' images: let their files fill in. */
		if (!clrsos_target_is_live(s->target)) {
			size_t added;
			clrsos_error_destroy(clrsos_runtime_add_images(s->dac, s->target, &added));
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
		err = clrsos_gc_read(dac, &s->gc);
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

struct clrsos_error *clrsos_session_reach(struct clrsos_session *s,
					  const struct clrsos_reach **ret)
{
	struct clrsos_heap *heap;
	struct clrsos_error *err = clrsos_session_heap(s, &heap);
	if (!err)
		err = clrsos_heap_check_walkable(heap); /* even when kept from an earlier -ignoreGCState */
	if (err)
		return err;
	if (!s->reach) {
		err = clrsos_reach_compute(s->dac, s->target, heap, &s->reach);
		if (!err && clrsos_watch_stopped(s->watch)) {
			/* Interrupted where an error was taken for an answer: not kept. */
			clrsos_reach_destroy(s->reach);
			s->reach = NULL;
			err = clrsos_watch_error(s->watch);
		}
		if (err)
			return err;
	}
	*ret = s->reach;
	return NULL;
}

struct clrsos_error *clrsos_session_referrers(struct clrsos_session *s,
					      struct clrsos_referrers **ret)
{
	const struct clrsos_reach *reach;
	struct clrsos_error *err = clrsos_session_reach(s, &reach);
	if (err)
		return err;
	if (!s->referrers) {
		err = clrsos_referrers_build(s->heap, reach, &s->referrers);
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

void clrsos_session_begin_command(struct clrsos_session *s)
{
	clrsos_guard_arm();
	if (s->dac && clrsos_dac_crashed(s->dac) && !s->dac_given) {
		drop_stop(s);
		clrsos_dac_destroy(s->dac);
		s->dac = NULL;
	}
}

struct clrsos_error *clrsos_session_end_command(struct clrsos_session *s)
{
	return clrsos_dac_take_crash(s->dac);
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
