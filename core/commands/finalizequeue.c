/*
 * finalizequeue: each heap's finalization queue, the objects in it and
 * their statistics, as SOS 10 prints them; -allReady keeps the objects no
 * root holds (reachability, reach.h) and those ready for finalization.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/reach.h"
#include "model/roots.h"
#include "commands.h"
#include "base/vector.h"
#include "rootcmds.h"
#include "typestats.h"

struct finalizequeue_options {
	bool json, stat, detail, all_ready, shortform, have_mt;
	uint64_t mt;
};

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct finalizequeue_options *o)
{
	memset(o, 0, sizeof(*o));
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_FLAG("-stat|-summary", &o->stat),
		CLRSOS_FLAG("-detail", &o->detail),
		CLRSOS_FLAG("-allReady", &o->all_ready, .flags = CLRSOS_OPTION_NOCASE),
		CLRSOS_FLAG("-short", &o->shortform),
		CLRSOS_ADDRESS("-mt", &o->mt, .given = &o->have_mt),
	};
	const struct clrsos_options spec = {
		.command = "finalizequeue",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && o->shortform && o->stat)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "finalizequeue: -short and -stat exclude each other: give one");
	return err;
}

enum { PARTS = 5 };

static const char *const part_names[PARTS] = {"generation 0", "generation 1", "generation 2", "large and pinned",
					      "ready"};

/* An object ready for finalization (-detail). */
struct ready_object {
	uint64_t address;
	const char *type_name;
};

/* A finalizable object listed (unless -stat), after -mt and -allReady. */
struct fq_object {
	uint64_t address, mt, size;
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
	uint64_t sync_blocks; /* waiting for cleanup */
	struct fq_object *objects;
	size_t nobjects, objects_cap;
	char reach_warnings[2][256];
	size_t nreach_warnings;
	struct clrsos_typestats stats;
	struct clrsos_typestat *sorted;
	struct clrsos_types *types;
};

static void result_deinit(struct finalizequeue_result *r)
{
	free(r->heaps);
	free(r->ready);
	free(r->objects);
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
	if ((err = clrsos_sync_block_cleanup_count(c.dac, &r->sync_blocks)))
		return err;
	const struct clrsos_reach *reach = NULL;
	if (o->all_ready) {
		if ((err = clrsos_session_reach(session, &reach)))
			return err;
		clrsos_reach_warnings(reach, r->reach_warnings, &r->nreach_warnings);
	}
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
				if (!t || (o->have_mt && t->mt != o->mt))
					continue; /* SOS lists only valid objects */
				/* -allReady: ready for finalization, or held by no root (the next GC readies it). */
				if (reach && k != PARTS - 1 && clrsos_reach_is_live(reach, object))
					continue;
				if (!clrsos_typestats_add(&r->stats, t, size)) {
					err = &clrsos_error_no_memory;
					break;
				}
				if (!o->stat) {
					if (clrsos_array_reserve(&r->objects, &r->objects_cap, r->nobjects + 1)) {
						err = &clrsos_error_no_memory;
						break;
					}
					r->objects[r->nobjects++] = (struct fq_object){object, t->mt, size};
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

static void render_json(const struct finalizequeue_result *r, const struct finalizequeue_options *o,
			struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "syncBlocksToCleanUp");
	clrsos_json_uint(&j, r->sync_blocks);
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
	clrsos_json_key(&j, "allReady");
	clrsos_json_bool(&j, o->all_ready);
	if (!o->stat) {
		clrsos_json_key(&j, "objects");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < r->nobjects; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, r->objects[i].address);
			clrsos_json_key(&j, "mt");
			clrsos_json_address(&j, r->objects[i].mt);
			clrsos_json_key(&j, "size");
			clrsos_json_uint(&j, r->objects[i].size);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	}
	clrsos_json_key(&j, "warnings");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nreach_warnings; i++)
		clrsos_json_string(&j, r->reach_warnings[i]);
	clrsos_json_array_end(&j);
	clrsos_typestats_write_json(&r->stats, r->sorted, r->types, &j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

/*
 * SOS 10's layout: the cleanup counts (no COM interop off Windows: its
 * interface counts are 0), each heap's queue, then the objects as dumpheap
 * lists them and their statistics. -short: the objects' addresses alone.
 */
static void render_text(const struct finalizequeue_result *r, const struct finalizequeue_options *o,
			struct clrsos_writer *out)
{
	for (size_t i = 0; i < r->nreach_warnings; i++)
		clrsos_outf(out, "Warning: %s\n", r->reach_warnings[i]);
	if (o->shortform) {
		for (size_t i = 0; i < r->nobjects; i++)
			clrsos_outf(out, "%012" PRIx64 "\n", r->objects[i].address);
		return;
	}
	clrsos_outf(out, "SyncBlocks to be cleaned up: %" PRIu64 "\n", r->sync_blocks);
	clrsos_out(out, "Free-Threaded Interfaces to be released: 0\nMTA Interfaces to be released: 0\n"
		   "STA Interfaces to be released: 0\n----------------------------------\n\n");
	for (size_t i = 0; i < r->nheaps; i++) {
		const struct fq_heap *h = &r->heaps[i];
		clrsos_outf(out, "Heap %u\n", h->index);
		for (size_t k = 0; k < PARTS; k++) {
			uint64_t start = h->parts[k].start, end = h->parts[k].end, count = h->counts[k];
			if (k < 3) {
				clrsos_outf(out, "%s has %" PRIu64 " objects (%" PRIx64 "->%" PRIx64 ")\n", part_names[k],
					    count, start, end);
			} else if (k == 4) {
				clrsos_outf(out, "Ready for finalization %" PRIu64 " objects (%" PRIx64 "->%" PRIx64 ")\n",
					    count, start, end);
				for (size_t n = 0; n < h->nready; n++) {
					struct clrsos_name_buf nb;
					const struct ready_object *ro = &r->ready[h->first_ready + n];
					clrsos_outf(out, "    %012" PRIx64 " %s\n", ro->address,
						    clrsos_safe_name(ro->type_name, &nb));
				}
			} else if (count) {
				clrsos_outf(out, "%s objects: %" PRIu64 " objects (%" PRIx64 "->%" PRIx64 ")\n",
					    part_names[k], count, start, end);
			}
		}
		clrsos_out(out, "------------------------------\n");
	}
	clrsos_out(out, o->all_ready ? "Statistics for all finalizable objects that are no longer rooted:\n"
		   : "Statistics for all finalizable objects (including all objects ready for finalization):\n");
	if (!o->stat && r->nobjects) {
		clrsos_outf(out, "%16s %16s %14s\n", "Address", "MT", "Size");
		for (size_t i = 0; i < r->nobjects; i++) {
			char size[32];
			clrsos_format_thousands(r->objects[i].size, size, sizeof(size));
			clrsos_outf(out, "    %012" PRIx64 "     %012" PRIx64 " %14s\n", r->objects[i].address,
				    r->objects[i].mt, size);
		}
		clrsos_out(out, "\n");
	}
	if (r->stats.count)
		clrsos_typestats_write_text(&r->stats, r->sorted, r->types, out);
	else
		clrsos_out(out, "Total 0 objects, 0 bytes\n");
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
			render_json(&r, &o, out);
		else
			render_text(&r, &o, out);
	}
	result_deinit(&r);
	return err;
}
