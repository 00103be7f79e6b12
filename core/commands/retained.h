/*
 * Retained bytes by type: each type's live instances, their own bytes and
 * generations, and what its topmost instances keep alive alone (each object
 * counted once, under the topmost instance of the type on its chain of
 * dominators). retained -stat prints and saves it; heapdiff compares it.
 */
#ifndef CLRSOS_RETAINED_H
#define CLRSOS_RETAINED_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/runtime.h"
#include "model/types.h"
#include "session/session.h"

struct clrsos_retained_type {
	const struct clrsos_type *type;
	const char *name;
	uint64_t count, size, retained;
	uint64_t gen_count[CLRSOS_GEN_COUNT], gen_size[CLRSOS_GEN_COUNT];
};

/*
 * The live types of this stop's heap: *ret (the caller frees it) sorted
 * ascending by retained bytes, *ret_live the live heap's bytes. Builds the
 * dominator tree if no command did yet.
 */
struct clrsos_error *clrsos_retained_by_type(struct clrsos_session *session, struct clrsos_retained_type **ret,
					     size_t *ret_count, uint64_t *ret_live);

#endif
