/*
 * dumpgcdata: SOS's DumpGCData. The GC's counters of its own decisions
 * (model/gcdata.h) in SOS's layout: under workstation GC the global
 * mechanisms, then "[info per heap]" and each heap's interesting data
 * points, compacting reasons ([M]andatory or [W]anted), expansion
 * mechanisms and other mechanisms.
 */
#include <inttypes.h>
#include <stdio.h>

#include "commands.h"
#include "model/gcdata.h"

static void heap_text(const struct clrsos_gc_data_heap *h, struct clrsos_writer *out)
{
	clrsos_out(out, "Interesting data points\n");
	for (int i = 0; i < CLRSOS_GC_DATA_POINTS; i++)
		clrsos_outf(out, "%20s: %" PRIu64 "\n", clrsos_gc_data_point_names[i], h->data_points[i]);
	clrsos_out(out, "\nCompacting reasons\n");
	for (int i = 0; i < CLRSOS_GC_COMPACT_REASONS; i++)
		clrsos_outf(out, "[%s]%35s: %" PRIu64 "\n", clrsos_gc_compact_reason_mandatory[i] ? "M" : "W",
			    clrsos_gc_compact_reason_names[i], h->compact_reasons[i]);
	clrsos_out(out, "\nExpansion mechanisms\n");
	for (int i = 0; i < CLRSOS_GC_EXPAND_MECHANISMS; i++)
		clrsos_outf(out, "%30s: %" PRIu64 "\n", clrsos_gc_expand_mechanism_names[i], h->expand_mechanisms[i]);
	clrsos_out(out, "\nOther mechanisms enabled\n");
	for (int i = 0; i < CLRSOS_GC_MECHANISM_BITS; i++)
		clrsos_outf(out, "%20s: %" PRIu64 "\n", clrsos_gc_mechanism_bit_names[i], h->bit_mechanisms[i]);
}

static void render_text(const struct clrsos_gc_data *d, struct clrsos_writer *out)
{
	if (d->have_global) {
		for (int i = 0; i < CLRSOS_GC_GLOBAL_MECHANISMS; i++)
			clrsos_outf(out, "%-30s: %" PRIu64 "\n", clrsos_gc_global_mechanism_names[i],
				    d->global_mechanisms[i]);
	}
	clrsos_out(out, "\n[info per heap]\n");
	if (!d->server) {
		heap_text(&d->heaps[0], out);
		return;
	}
	for (uint32_t i = 0; i < d->nheaps; i++) {
		clrsos_outf(out, "--------info for heap %u--------\n", i);
		heap_text(&d->heaps[i], out);
		clrsos_out(out, "\n");
	}
}

static void json_counts(struct clrsos_json *j, const char *key, const char *const *names, const uint64_t *values,
			int n)
{
	clrsos_json_key(j, key);
	clrsos_json_object_begin(j);
	for (int i = 0; i < n; i++) {
		clrsos_json_key(j, names[i]);
		clrsos_json_uint(j, values[i]);
	}
	clrsos_json_object_end(j);
}

static void render_json(const struct clrsos_gc_data *d, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "server");
	clrsos_json_bool(&j, d->server);
	if (d->have_global)
		json_counts(&j, "globalMechanisms", clrsos_gc_global_mechanism_names, d->global_mechanisms,
			    CLRSOS_GC_GLOBAL_MECHANISMS);
	clrsos_json_key(&j, "heaps");
	clrsos_json_array_begin(&j);
	for (uint32_t i = 0; i < d->nheaps; i++) {
		const struct clrsos_gc_data_heap *h = &d->heaps[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "heap");
		clrsos_json_uint(&j, i);
		json_counts(&j, "interestingDataPoints", clrsos_gc_data_point_names, h->data_points,
			    CLRSOS_GC_DATA_POINTS);
		json_counts(&j, "compactingReasons", clrsos_gc_compact_reason_names, h->compact_reasons,
			    CLRSOS_GC_COMPACT_REASONS);
		json_counts(&j, "expansionMechanisms", clrsos_gc_expand_mechanism_names, h->expand_mechanisms,
			    CLRSOS_GC_EXPAND_MECHANISMS);
		json_counts(&j, "otherMechanisms", clrsos_gc_mechanism_bit_names, h->bit_mechanisms,
			    CLRSOS_GC_MECHANISM_BITS);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_dumpgcdata(struct clrsos_session *session, const struct clrsos_host *host,
					   int argc, const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("dumpgcdata", host, argc, argv, &json);
	if (err)
		return err;
	struct clrsos_dac *dac;
	const struct clrsos_gc *gc;
	if ((err = clrsos_session_dac(session, &dac)) || (err = clrsos_session_gc(session, &gc)))
		return err;
	struct clrsos_gc_data d;
	err = clrsos_gc_data_init(&d, dac, clrsos_session_target(session), gc);
	if (!err) {
		if (json)
			render_json(&d, out);
		else
			render_text(&d, out);
	}
	clrsos_gc_data_deinit(&d);
	return err ? clrsos_error_wrap(err, "dumpgcdata") : NULL;
}
