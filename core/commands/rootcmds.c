/* What the root commands share (rootcmds.h). */
#include "rootcmds.h"

#include <string.h>

struct clrsos_error *clrsos_root_cmd_init(struct clrsos_root_cmd *c, struct clrsos_session *session)
{
	memset(c, 0, sizeof(*c));
	struct clrsos_error *err = clrsos_session_heap(session, &c->heap);
	if (!err)
		err = clrsos_session_dac(session, &c->dac);
	if (!err) {
		c->types = clrsos_heap_types(c->heap);
		c->target = clrsos_heap_target(c->heap);
	}
	return err;
}

struct clrsos_error *clrsos_root_cmd_type_of(struct clrsos_root_cmd *c, uint64_t address,
					     const struct clrsos_type **ret, uint64_t *size)
{
	const struct clrsos_type *t = NULL;
	uint64_t s = 0;
	struct clrsos_error *err = clrsos_heap_read_object(c->heap, address, &t, &s, NULL, NULL);
	*ret = err ? NULL : t;
	if (size)
		*size = err ? 0 : s;
	if (clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	return NULL;
}
