#include "session.h"

#include <stdlib.h>
#include <string.h>

struct clrsos_session {
	struct clrsos_target *target;
	char *clr_path;
	struct clrsos_dac *dac;
	struct clrsos_gc *gc; /* this stop's layout, read on first use */
};

struct clrsos_error *clrsos_session_create(struct clrsos_target *target,
					   struct clrsos_session **ret)
{
	struct clrsos_session *s = calloc(1, sizeof(*s));
	if (!s)
		return &clrsos_error_no_memory;
	s->target = target;
	*ret = s;
	return NULL;
}

void clrsos_session_destroy(struct clrsos_session *s)
{
	if (!s)
		return;
	clrsos_gc_destroy(s->gc);
	clrsos_dac_destroy(s->dac);
	clrsos_target_destroy(s->target);
	free(s->clr_path);
	free(s);
}

struct clrsos_target *clrsos_session_target(struct clrsos_session *s)
{
	return s->target;
}

static void drop_stop(struct clrsos_session *s)
{
	clrsos_gc_destroy(s->gc);
	s->gc = NULL;
}

struct clrsos_error *clrsos_session_set_clr_path(struct clrsos_session *s,
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
	free(s->clr_path);
	s->clr_path = copy;
	drop_stop(s);
	clrsos_dac_destroy(s->dac);
	s->dac = NULL;
	return NULL;
}

const char *clrsos_session_clr_path(struct clrsos_session *s)
{
	return s->clr_path;
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
	if (!s->dac) {
		struct clrsos_dac_options options = {
			.user_dir = s->clr_path,
			.env_dir = getenv("CLRSOS_RUNTIME_DIR"),
		};
		struct clrsos_error *err = clrsos_dac_open(s->target, &options, &s->dac);
		if (err)
			return err;
	}
	*ret = s->dac;
	return NULL;
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
