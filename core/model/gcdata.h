/*
 * GC data: the counters the GC keeps of its own decisions (SOS's
 * DumpGCData): per GC heap, how often it met each "interesting data point"
 * of plan phase (pins, short plugs), why it compacted, how it expanded
 * the ephemeral segment and which mechanisms it used; and, for the process,
 * how many GCs were concurrent, compacting, promoting... Kept by runtimes
 * built with GC_CONFIG_DRIVEN (the shipped ones are), read through the DAC.
 */
#ifndef CLRSOS_GCDATA_H
#define CLRSOS_GCDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

enum {
	CLRSOS_GC_DATA_POINTS = 9,
	CLRSOS_GC_COMPACT_REASONS = 11,
	CLRSOS_GC_EXPAND_MECHANISMS = 6,
	CLRSOS_GC_MECHANISM_BITS = 2,
	CLRSOS_GC_GLOBAL_MECHANISMS = 6,
};

/* The runtime's names for each counter (gcrecord.h), as SOS prints them. */
extern const char *const clrsos_gc_data_point_names[CLRSOS_GC_DATA_POINTS];
extern const char *const clrsos_gc_compact_reason_names[CLRSOS_GC_COMPACT_REASONS];
extern const bool clrsos_gc_compact_reason_mandatory[CLRSOS_GC_COMPACT_REASONS];
extern const char *const clrsos_gc_expand_mechanism_names[CLRSOS_GC_EXPAND_MECHANISMS];
extern const char *const clrsos_gc_mechanism_bit_names[CLRSOS_GC_MECHANISM_BITS];
extern const char *const clrsos_gc_global_mechanism_names[CLRSOS_GC_GLOBAL_MECHANISMS];

struct clrsos_gc_data_heap {
	uint64_t data_points[CLRSOS_GC_DATA_POINTS];
	uint64_t compact_reasons[CLRSOS_GC_COMPACT_REASONS];
	uint64_t expand_mechanisms[CLRSOS_GC_EXPAND_MECHANISMS];
	uint64_t bit_mechanisms[CLRSOS_GC_MECHANISM_BITS];
};

struct clrsos_gc_data {
	bool server;
	bool have_global; /* the global mechanisms (the workstation GC only, as SOS) */
	uint64_t global_mechanisms[CLRSOS_GC_GLOBAL_MECHANISMS];
	uint32_t nheaps;
	struct clrsos_gc_data_heap *heaps; /* malloc'd, nheaps of them */
};

/*
 * Read them for gc's heaps; the caller deinits *ret (also after an error).
 * A standalone GC (libclrgc.so) is an error: the DAC cannot read its counters.
 */
struct clrsos_error *clrsos_gc_data_init(struct clrsos_gc_data *ret, struct clrsos_dac *dac,
					 struct clrsos_target *target, const struct clrsos_gc *gc);
void clrsos_gc_data_deinit(struct clrsos_gc_data *data);

#ifdef __cplusplus
}
#endif

#endif
