/* Statics: where a type keeps its static fields (statics.h). */
#include "statics.h"

#include "dac/dac.h"

struct clrsos_error *clrsos_static_bases_read(struct clrsos_dac *dac, uint64_t mt, uint64_t module,
					      struct clrsos_static_bases *ret)
{
	return clrsos_dac_static_bases(dac, mt, module, &ret->non_gc, &ret->gc);
}

struct clrsos_error *clrsos_thread_static_bases_read(struct clrsos_dac *dac, uint64_t mt, uint64_t thread,
						     struct clrsos_static_bases *ret)
{
	return clrsos_dac_thread_static_bases(dac, mt, thread, &ret->non_gc, &ret->gc);
}
