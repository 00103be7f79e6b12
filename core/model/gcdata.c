/*
 * GC data: the GC's own counters through ISOSDacInterface3 (gcdata.h).
 */
#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"
#include "model/gcdata.h"

const char *const clrsos_gc_data_point_names[CLRSOS_GC_DATA_POINTS] = {
	"pre short", "post short", "merged pins", "converted pins", "pre pin",
	"post pin", "pre and post pin", "pre short padded", "post short padded",
};

const char *const clrsos_gc_compact_reason_names[CLRSOS_GC_COMPACT_REASONS] = {
	"low on ephemeral space", "high fragmentation", "couldn't allocate gaps",
	"user specfied compact LOH", "last GC before OOM", "induced compacting GC",
	"fragmented gen0 (ephemeral GC)", "high memory load (ephemeral GC)", "high memory load and frag",
	"very high memory load and frag", "no gc mode",
};

/* Whether the GC had to compact for the reason (M) or chose to (W). */
const bool clrsos_gc_compact_reason_mandatory[CLRSOS_GC_COMPACT_REASONS] = {
	true, false, true, true, true, true, false, false, true, true, true,
};

const char *const clrsos_gc_expand_mechanism_names[CLRSOS_GC_EXPAND_MECHANISMS] = {
	"reused seg with normal fit", "reused seg with best fit", "expand promoting eph",
	"expand with a new seg", "no memory for a new seg", "expand in next full GC",
};

const char *const clrsos_gc_mechanism_bit_names[CLRSOS_GC_MECHANISM_BITS] = {
	"using mark list", "demotion",
};

const char *const clrsos_gc_global_mechanism_names[CLRSOS_GC_GLOBAL_MECHANISMS] = {
	"concurrent GCs", "compacting GCs", "promoting GCs", "GCs that did demotion", "card bundles",
	"elevation logic",
};

_Static_assert((int)CLRSOS_GC_DATA_POINTS == (int)CLRSOS_DAC_GC_DATA_POINTS &&
	       (int)CLRSOS_GC_COMPACT_REASONS == (int)CLRSOS_DAC_GC_COMPACT_REASONS &&
	       (int)CLRSOS_GC_EXPAND_MECHANISMS == (int)CLRSOS_DAC_GC_EXPAND_MECHANISMS &&
	       (int)CLRSOS_GC_MECHANISM_BITS == (int)CLRSOS_DAC_GC_MECHANISM_BITS &&
	       (int)CLRSOS_GC_GLOBAL_MECHANISMS == (int)CLRSOS_DAC_GC_GLOBAL_MECHANISMS, "the DAC's counts");

void clrsos_gc_data_deinit(struct clrsos_gc_data *d)
{
	free(d->heaps);
	memset(d, 0, sizeof(*d));
}

struct clrsos_error *clrsos_gc_data_init(struct clrsos_gc_data *d, struct clrsos_dac *dac,
					 struct clrsos_target *target, const struct clrsos_gc *gc)
{
	memset(d, 0, sizeof(*d));
	/* A GC loaded from its own library (DOTNET_GCName) keeps its counters
	 * where the runtime's DAC does not look (it faults reading them). */
	static const char *const standalone[] = {"libclrgc.so", "libclrgcexp.so"};
	for (size_t i = 0; i < sizeof(standalone) / sizeof(standalone[0]); i++) {
		if (clrsos_target_find_module(target, standalone[i]))
			return clrsos_error_create(CLRSOS_ERROR_DAC,
						   "this process runs the standalone GC %s (DOTNET_GCName): the "
						   "runtime's DAC cannot read its counters", standalone[i]);
	}
	d->server = gc->server;
	uint32_t n = gc->server ? gc->nheaps : 1;
	if (gc->server && gc->nheaps == 0)
		return clrsos_error_create(CLRSOS_ERROR_DAC, "the GC has no heap yet: GC Heap not initialized yet");
	d->heaps = calloc(n, sizeof(*d->heaps));
	if (!d->heaps)
		return &clrsos_error_no_memory;
	d->nheaps = n;
	struct clrsos_error *err;
	if (!gc->server) {
		/* SOS asks it only of the workstation GC (a server GC's crashed its DAC once). */
		err = clrsos_dac_gc_global_mechanisms(dac, d->global_mechanisms);
		if (err)
			return clrsos_error_wrap(err, "reading the GC's global mechanisms");
		d->have_global = true;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct clrsos_dacp_gc_interesting_info info;
		err = clrsos_dac_gc_interesting_info(dac, gc->server, gc->server ? gc->heaps[i].address : 0, &info);
		if (err)
			return clrsos_error_wrap(err, "reading the GC's data of heap %u", i);
		struct clrsos_gc_data_heap *h = &d->heaps[i];
		memcpy(h->data_points, info.data_points, sizeof(h->data_points));
		memcpy(h->compact_reasons, info.compact_reasons, sizeof(h->compact_reasons));
		memcpy(h->expand_mechanisms, info.expand_mechanisms, sizeof(h->expand_mechanisms));
		memcpy(h->bit_mechanisms, info.bit_mechanisms, sizeof(h->bit_mechanisms));
	}
	return NULL;
}
