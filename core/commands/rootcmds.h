/*
 * What the root commands (gchandles, finalizequeue, objsize, clrthreads,
 * gcroot, clrstack, clrbt, dso) share: the heap they look at, and an
 * object's type as a compute step asks it.
 */
#ifndef CLRSOS_ROOTCMDS_H
#define CLRSOS_ROOTCMDS_H

#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"
#include "session/session.h"

struct clrsos_root_cmd {
	struct clrsos_heap *heap;
	struct clrsos_dac *dac; /* opaque: passed on to model functions */
	struct clrsos_types *types;
	struct clrsos_target *target;
};

struct clrsos_error *clrsos_root_cmd_init(struct clrsos_root_cmd *c, struct clrsos_session *session);

/*
 * The type of the object at address and its size, or *ret NULL (and size
 * 0) when no object is there; only running out of memory is an error.
 */
struct clrsos_error *clrsos_root_cmd_type_of(struct clrsos_root_cmd *c, uint64_t address,
					     const struct clrsos_type **ret, uint64_t *size);

#endif
