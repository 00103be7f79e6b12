/* finalizequeue: each heap's finalization queue, and what it holds by type. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/roots.h"
#include "commands.h"
#include "base/vector.h"
#include "rootcmds.h"
#include "typestats.h"

struct finalizequeue_options {
	bool json, stat, detail;
};

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct finalizequeue_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-stat", &o->stat),
		CLRSOS_FLAG("-detail", &o->detail),
	};
	const struct clrsos_options spec = {
		.command = "finalizequeue",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}

enum { PARTS = 5 };

static const char *const part_names[PARTS] = {"generation 0", "generation 1", "generation 2", "large and pinned",
					      "ready"};

/* An object ready for finalization (-detail). */
struct ready_object {
	uint64_t address;
	const char *type_name;
};

struct fq_heap {
	uint32_t index;
	struct clrsos_finalizer_part parts[PARTS]; /* in part_names' order */
	uint64_t counts[PARTS];
	size_t first_ready, nready;                /* its objects in the result's ready list */
};

struct finalizequeue_result {
	struct fq_heap *heaps;
	size_t nheaps;
	uint32_t gc_heaps; /* the GC's heap count (a header per heap when several) */
	struct ready_object *ready;
	size_t nready, ready_cap;
	uint64_t ready_total;
	struct clrsos_typestats stats;
	struct clrsos_typestat *sorted;
	struct clrsos_types *types;
};

static void result_deinit(struct finalizequeue_result *r)
{
	free(r->heaps);
	free(r->ready);
	free(r->sorted);
	clrsos_typestats_deinit(&r->stats);
}

static bool add_ready(struct finalizequeue_result *r, uint64_t address, const char *type_name)
{
	if (clrsos_array_reserve(&r->ready, &r->ready_cap, r->nready + 1))
		return false;
	r->ready[r->nready++] = (struct ready_object){address, type_name};
	return true;
}

static struct clrsos_error *compute(struct clrsos_session *session, const struct finalizequeue_options *o,
				    struct finalizequeue_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	r->types = c.types;
	const struct clrsos_gc *gc = clrsos_heap_gc(c.heap);
	r->gc_heaps = gc->nheaps;
	if (!(r->heaps = calloc(gc->nheaps ? gc->nheaps : 1, sizeof(*r->heaps))))
		return &clrsos_error_no_memory;
	for (uint32_t hi = 0; hi < gc->nheaps && !err; hi++) {
		struct clrsos_finalizer_queue q;
		bool present;
		if ((err = clrsos_finalizer_queue_read(c.dac, gc->heaps[hi].address, &q, &present)))
			break;
		if (!present)
			continue;
		struct fq_heap *h = &r->heaps[r->nheaps++];
		*h = (struct fq_heap){.index = hi,
				      .parts = {q.generations[0], q.generations[1], q.generations[2], q.large, q.ready},
				      .first_ready = r->nready};
		for (size_t k = 0; k < PARTS && !err; k++) {
			uint64_t start = h->parts[k].start, end = h->parts[k].end;
			uint64_t count = end > start && !(start & 7) ? (end - start) / 8 : 0;
			h->counts[k] = count;
			if (k == PARTS - 1)
				r->ready_total += count;
			for (uint64_t p = start; p < end && count; p += 8) {
				uint64_t object = 0, size = 0;
				struct clrsos_error *e = clrsos_target_read_u64(c.target, p, &object);
				if (e) {
					clrsos_error_destroy(e);
					break;
				}
				const struct clrsos_type *t;
				if ((err = clrsos_root_cmd_type_of(&c, object, &t, &size)))
					break;
				if (t && !clrsos_typestats_add(&r->stats, t, size)) {
					err = &clrsos_error_no_memory;
					break;
				}
				if (o->detail && k == PARTS - 1 && !o->json && t &&
				    !add_ready(r, object, clrsos_types_name(c.types, t))) {
					err = &clrsos_error_no_memory;
					break;
				}
			}
		}
		h->nready = r->nready - h->first_ready;
	}
	if (!err && !(r->sorted = clrsos_typestats_sorted(&r->stats, false)) && r->stats.count)
		err = &clrsos_error_no_memory;
	return err;
}

static void render_json(const struct finalizequeue_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "heaps");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nheaps; i++) {
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "heap");
		clrsos_json_uint(&j, r->heaps[i].index);
		for (size_t k = 0; k < PARTS; k++) {
			clrsos_json_key(&j, part_names[k]);
			clrsos_json_uint(&j, r->heaps[i].counts[k]);
		}
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "readyTotal");
	clrsos_json_uint(&j, r->ready_total);
	clrsos_typestats_write_json(&r->stats, r->sorted, r->types, &j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

static void render_text(const struct finalizequeue_result *r, struct clrsos_writer *out)
{
	for (size_t i = 0; i < r->nheaps; i++) {
		const struct fq_heap *h = &r->heaps[i];
		if (r->gc_heaps > 1)
			clrsos_outf(out, "------------------------------\nHeap %u\n", h->index);
		for (size_t k = 0; k < PARTS; k++) {
			uint64_t start = h->parts[k].start, end = h->parts[k].end, count = h->counts[k];
			if (k < 3) {
				clrsos_outf(out, "%s has %" PRIu64 " finalizable objects (%012" PRIx64 "->%012" PRIx64 ")\n",
					    part_names[k], count, start, end);
			} else if (k == 4) {
				clrsos_outf(out, "Ready for finalization %" PRIu64 " objects (%012" PRIx64 "->%012" PRIx64 ")\n",
					    count, start, end);
				for (size_t n = 0; n < h->nready; n++) {
					struct clrsos_name_buf nb;
					const struct ready_object *ro = &r->ready[h->first_ready + n];
					clrsos_outf(out, "    %012" PRIx64 " %s\n", ro->address,
						    clrsos_safe_name(ro->type_name, &nb));
				}
			} else if (count) {
				clrsos_outf(out, "%s objects: %" PRIu64 " finalizable objects (%012" PRIx64 "->%012" PRIx64 ")\n",
					    part_names[k], count, start, end);
			}
		}
	}
	clrsos_out(out, "All finalizable objects (those ready for finalization included):\n");
	clrsos_typestats_write_text(&r->stats, r->sorted, r->types, out);
}

struct clrsos_error *clrsos_cmd_finalizequeue(struct clrsos_session *session, const struct clrsos_host *host,
					      int argc, const char *const *argv, struct clrsos_writer *out)
{
	struct finalizequeue_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	struct finalizequeue_result r;
	if (!(err = compute(session, &o, &r))) {
		if (o.json)
			render_json(&r, out);
		else
			render_text(&r, out);
	}
	result_deinit(&r);
	return err;
}
