/*
 * Statics: where a type keeps its static fields. Value-type and primitive
 * statics live in the type's non-GC block, references (and boxed structs)
 * in its GC block; thread statics have a pair of blocks per thread.
 */
#ifndef CLRSOS_STATICS_H
#define CLRSOS_STATICS_H

#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

struct clrsos_static_bases {
	uint64_t non_gc; /* 0: not allocated (the type's statics are not initialized) */
	uint64_t gc;
};

/* The static blocks of the type mt, declared in module. */
struct clrsos_error *clrsos_static_bases_read(struct clrsos_dac *dac, uint64_t mt, uint64_t module,
					      struct clrsos_static_bases *ret);

/*
 * The thread-static blocks of mt for the thread at thread (zeros if that
 * thread has none); a runtime whose DAC cannot locate them (before .NET 9)
 * is an error.
 */
struct clrsos_error *clrsos_thread_static_bases_read(struct clrsos_dac *dac, uint64_t mt, uint64_t thread,
						     struct clrsos_static_bases *ret);

#ifdef __cplusplus
}
#endif

#endif
