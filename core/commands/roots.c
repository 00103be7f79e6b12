#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/addrmap.h"
#include "model/fields.h"
#include "model/heap.h"
#include "model/handletable.h"
#include "model/roots.h"
#include "commands.h"
#include "typestats.h"

/* Commands about what keeps objects alive: gchandles, finalizequeue,
 * objsize, clrthreads, gcroot. */

struct ctx {
	struct clrsos_heap *heap;
	struct clrsos_dac *dac;
	struct clrsos_types *types;
	struct clrsos_target *target;
	uint8_t *buf;
	size_t buf_cap;
};

static struct clrsos_error *ctx_init(struct ctx *c, struct clrsos_session *session)
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

/* The type of the object at address, or NULL (not an object). */
static const struct clrsos_type *type_of(struct ctx *c, uint64_t address, uint64_t *size)
{
	const struct clrsos_type *t = NULL;
	uint64_t s = 0;
	struct clrsos_error *err = clrsos_heap_read_object(c->heap, address, &t, &s, NULL, NULL);
	clrsos_error_destroy(err);
	if (size)
		*size = err ? 0 : s;
	return err ? NULL : t;
}

static bool only_json(int argc, const char *const *argv, const char *command,
		      struct clrsos_error **err, bool *json, bool *stat, const char *extra,
		      bool *extra_flag)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = true;
		else if (stat && strcmp(argv[i], "-stat") == 0)
			*stat = true;
		else if (extra && strcmp(argv[i], extra) == 0)
			*extra_flag = true;
		else {
			*err = clrsos_unknown_option(command, argv[i]);
			return false;
		}
	}
	return true;
}

/* gchandles ------------------------------------------------------------- */

struct clrsos_error *clrsos_cmd_gchandles(struct clrsos_session *session,
					  const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	(void)host;
	bool json = false, stat = false;
	int kind = -1;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-stat") == 0) {
			stat = true;
		} else if (strcmp(argv[i], "-type") == 0 && i + 1 < argc) {
			i++;
			for (uint32_t k = 0; k < 10 && kind < 0; k++) {
				if (strcasecmp(argv[i], clrsos_handle_type_name(k)) == 0)
					kind = (int)k;
			}
			if (kind < 0)
				return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							   "gchandles -type %s: expected Strong, Pinned, WeakShort, WeakLong, RefCounted, Dependent, AsyncPinned, SizedRef or Variable",
							   argv[i]);
		} else if (strcmp(argv[i], "-type") == 0) {
			return clrsos_missing_value("gchandles", "-type");
		} else {
			return clrsos_unknown_option("gchandles", argv[i]);
		}
	}
	struct ctx c;
	struct clrsos_error *err = ctx_init(&c, session);
	if (err)
		return err;
	const struct clrsos_gc *gc;
	if ((err = clrsos_session_gc(session, &gc)))
		return err;
	struct clrsos_sos_handle_data *h = NULL;
	size_t n = 0, unlisted = 0;
	if ((err = clrsos_handles_all(c.dac, c.target, gc->server, &h, &n, &unlisted)))
		return err;
	struct clrsos_typestats stats = {0};
	uint64_t per_kind[10] = {0};
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "handles");
		clrsos_json_array_begin(&j);
	} else if (!stat) {
		clrsos_outf(out, "%16s %-12s %16s %10s %16s %s\n", "Handle", "Type", "Object", "Size",
			    "Data", "Type");
	}
	for (size_t i = 0; i < n; i++) {
		if (kind >= 0 && h[i].type != (uint32_t)kind)
			continue;
		uint64_t object = 0, size = 0;
		struct clrsos_error *e = clrsos_target_read_u64(c.target, h[i].handle, &object);
		clrsos_error_destroy(e);
		const struct clrsos_type *t = object ? type_of(&c, object, &size) : NULL;
		if (h[i].type < 10)
			per_kind[h[i].type]++;
		if (t && !clrsos_typestats_add(&stats, t, size)) {
			err = &clrsos_error_no_memory;
			break;
		}
		const char *tname = t ? clrsos_types_name(c.types, t) : object ? "<not an object>" : "";
		uint64_t data = h[i].type == CLRSOS_HANDLE_DEPENDENT ? h[i].secondary
				: h[i].type == CLRSOS_HANDLE_REF_COUNTED ? h[i].ref_count : 0;
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "handle");
			clrsos_json_address(&j, h[i].handle);
			clrsos_json_key(&j, "type");
			clrsos_json_string(&j, clrsos_handle_type_name(h[i].type));
			clrsos_json_key(&j, "object");
			clrsos_json_address(&j, object);
			clrsos_json_key(&j, "objectType");
			clrsos_json_string(&j, t ? tname : NULL);
			clrsos_json_key(&j, "size");
			clrsos_json_uint(&j, size);
			if (h[i].type == CLRSOS_HANDLE_DEPENDENT) {
				clrsos_json_key(&j, "secondary");
				clrsos_json_address(&j, h[i].secondary);
			} else if (h[i].type == CLRSOS_HANDLE_REF_COUNTED) {
				clrsos_json_key(&j, "refCount");
				clrsos_json_uint(&j, h[i].ref_count);
			}
			clrsos_json_object_end(&j);
		} else if (!stat) {
			char d[24] = "";
			if (data)
				snprintf(d, sizeof(d), h[i].type == CLRSOS_HANDLE_DEPENDENT ? "%012" PRIx64 : "%" PRIu64, data);
			struct clrsos_name_buf nb;
			clrsos_outf(out, "    %012" PRIx64 " %-12s     %012" PRIx64 " %10" PRIu64 " %16s %s\n",
				    h[i].handle, clrsos_handle_type_name(h[i].type), object, size, d,
				    clrsos_safe_name(tname, &nb));
		}
	}
	free(h);
	struct clrsos_typestat *rows = err ? NULL : clrsos_typestats_sorted(&stats, false);
	if (!err && json) {
		clrsos_json_array_end(&j);
		clrsos_typestats_write_json(&stats, rows, c.types, &j);
		clrsos_json_key(&j, "counts");
		clrsos_json_object_begin(&j);
		for (uint32_t k = 0; k < 10; k++) {
			if (!per_kind[k])
				continue;
			clrsos_json_key(&j, clrsos_handle_type_name(k));
			clrsos_json_uint(&j, per_kind[k]);
		}
		clrsos_json_object_end(&j);
		clrsos_json_key(&j, "unlistedByRuntime");
		clrsos_json_uint(&j, unlisted);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (!err) {
		if (!stat)
			clrsos_out(out, "\n");
		clrsos_typestats_write_text(&stats, rows, c.types, out);
		clrsos_out(out, "Handles:\n");
		for (uint32_t k = 0; k < 10; k++) {
			if (per_kind[k])
				clrsos_outf(out, "    %-12s %" PRIu64 "\n", clrsos_handle_type_name(k), per_kind[k]);
		}
		if (unlisted)
			clrsos_outf(out, "(%zu handles are in handle tables the runtime's own walk skips under "
					 "dynamic heap counts; read from memory)\n", unlisted);
	}
	free(rows);
	clrsos_typestats_deinit(&stats);
	return err;
}

/* finalizequeue --------------------------------------------------------- */

enum { FILL_POINTERS = 16 };

struct clrsos_error *clrsos_cmd_finalizequeue(struct clrsos_session *session,
					      const struct clrsos_host *host, int argc,
					      const char *const *argv, struct clrsos_writer *out)
{
	(void)host;
	bool json = false, stat = false, detail = false;
	struct clrsos_error *err = NULL;
	if (!only_json(argc, argv, "finalizequeue", &err, &json, &stat, "-detail", &detail))
		return err;
	struct ctx c;
	if ((err = ctx_init(&c, session)))
		return err;
	const struct clrsos_gc *gc = clrsos_heap_gc(c.heap);
	struct clrsos_typestats stats = {0};
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "heaps");
		clrsos_json_array_begin(&j);
	}
	uint64_t ready_total = 0;
	for (uint32_t hi = 0; hi < gc->nheaps && !err; hi++) {
		uint64_t fp[FILL_POINTERS];
		uint32_t n = 0;
		if ((err = clrsos_dac_fill_pointers(c.dac, gc->heaps[hi].address, fp, FILL_POINTERS, &n)))
			break;
		if (n < 6)
			continue;
		/*
		 * The queue's segments, as the GC lays them out: one per generation,
		 * oldest first (so gen0's is the last of them), then the critical
		 * finalizers and the f-reachable list, both ready to be finalized.
		 * The DAC gives the segments' ends (and, first, the queue's start
		 * when there is one more pointer: the large/pinned objects' segment).
		 */
		struct {
			const char *name;
			uint64_t start, end;
		} parts[] = {
			{"generation 0", fp[n - 4], fp[n - 3]},
			{"generation 1", fp[n - 5], fp[n - 4]},
			{"generation 2", fp[n - 6], fp[n - 5]},
			{"large and pinned", n >= 7 ? fp[n - 7] : 0, n >= 7 ? fp[n - 6] : 0},
			{"ready", fp[n - 3], fp[n - 1]},
		};
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "heap");
			clrsos_json_uint(&j, hi);
		} else if (gc->nheaps > 1) {
			clrsos_outf(out, "------------------------------\nHeap %u\n", hi);
		}
		for (size_t k = 0; k < 5; k++) {
			uint64_t start = parts[k].start, end = parts[k].end;
			uint64_t count = end > start && !(start & 7) ? (end - start) / 8 : 0;
			if (k == 4)
				ready_total += count;
			if (json) {
				clrsos_json_key(&j, parts[k].name);
				clrsos_json_uint(&j, count);
			} else if (k < 3) {
				clrsos_outf(out, "%s has %" PRIu64 " finalizable objects (%012" PRIx64 "->%012" PRIx64 ")\n",
					    parts[k].name, count, start, end);
			} else if (k == 4) {
				clrsos_outf(out, "Ready for finalization %" PRIu64 " objects (%012" PRIx64 "->%012" PRIx64 ")\n",
					    count, start, end);
			} else if (count) {
				clrsos_outf(out, "%s objects: %" PRIu64 " finalizable objects (%012" PRIx64 "->%012" PRIx64 ")\n",
					    parts[k].name, count, start, end);
			}
			for (uint64_t p = start; p < end && count; p += 8) {
				uint64_t object = 0, size = 0;
				struct clrsos_error *e = clrsos_target_read_u64(c.target, p, &object);
				if (e) {
					clrsos_error_destroy(e);
					break;
				}
				const struct clrsos_type *t = type_of(&c, object, &size);
				if (t && !clrsos_typestats_add(&stats, t, size)) {
					err = &clrsos_error_no_memory;
					break;
				}
				struct clrsos_name_buf nb;
				if (detail && k == 4 && !json && t)
					clrsos_outf(out, "    %012" PRIx64 " %s\n", object,
						    clrsos_safe_name(clrsos_types_name(c.types, t), &nb));
			}
		}
		if (json)
			clrsos_json_object_end(&j);
	}
	struct clrsos_typestat *rows = err ? NULL : clrsos_typestats_sorted(&stats, false);
	if (!err && json) {
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "readyTotal");
		clrsos_json_uint(&j, ready_total);
		clrsos_typestats_write_json(&stats, rows, c.types, &j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (!err) {
		clrsos_out(out, "All finalizable objects (those ready for finalization included):\n");
		clrsos_typestats_write_text(&stats, rows, c.types, out);
	}
	free(rows);
	clrsos_typestats_deinit(&stats);
	return err;
}

/* objsize --------------------------------------------------------------- */

struct walk {
	struct ctx *c;
	/* Objects met: a bit per 8 bytes of each segment met (allocated on
	 * first use), a map for the rest (references outside the GC heap). A
	 * map alone stalls for its growth (half a second at millions). */
	struct clrsos_heap *heap;
	const struct clrsos_gc *gc;
	uint64_t **bits;
	struct clrsos_addrmap seen;
	uint64_t *stack;
	size_t depth, cap;
	bool oom;
	struct clrsos_watch *watch;
	struct clrsos_error *stop; /* the user interrupted (an array of millions of references, say) */
};

static void push_ref(void *ctx, uint64_t ref)
{
	struct walk *w = ctx;
	if (w->stop || (w->stop = clrsos_watch_tick(w->watch)))
		return;
	const struct clrsos_segment *seg = ref & 7 ? NULL : clrsos_heap_segment_of(w->heap, ref);
	if (seg) {
		size_t i = (size_t)(seg - w->gc->segments);
		if (!w->bits[i] && !(w->bits[i] = calloc(((seg->end - seg->start) / 8 + 63) / 64 + 1,
							  sizeof(uint64_t)))) {
			w->oom = true;
			return;
		}
		uint64_t k = (ref - seg->start) / 8;
		if (w->bits[i][k / 64] & (1ull << (k % 64)))
			return;
		w->bits[i][k / 64] |= 1ull << (k % 64);
	} else {
		if (clrsos_addrmap_get(&w->seen, ref, NULL))
			return;
		if (!clrsos_addrmap_put(&w->seen, ref, 0)) {
			w->oom = true;
			return;
		}
	}
	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		uint64_t *s = realloc(w->stack, cap * sizeof(*s));
		if (!s) {
			w->oom = true;
			return;
		}
		w->stack = s;
		w->cap = cap;
	}
	w->stack[w->depth++] = ref;
}

struct clrsos_error *clrsos_cmd_objsize(struct clrsos_session *session,
					const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, stat = false, have = false;
	uint64_t address = 0;
	for (int i = 0; i < argc; i++) {
		struct clrsos_error *e = NULL;
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-stat") == 0)
			stat = true;
		else if (clrsos_is_option(argv[i]))
			return clrsos_unknown_option("objsize", argv[i]);
		else
			e = clrsos_address_operand("objsize", host, argv[i], &have, &address);
		if (e)
			return clrsos_error_wrap(e, "objsize");
	}
	if (!have)
		return clrsos_address_missing("objsize", "an object");
	struct ctx c;
	struct clrsos_error *err = ctx_init(&c, session);
	if (err)
		return err;
	const struct clrsos_type *root_type;
	/* Mid-GC references lead to objects being moved: refused (as walks are). */
	if ((err = clrsos_heap_check_walkable(c.heap)))
		return err;
	if ((err = clrsos_heap_object_at(c.heap, address, &root_type, NULL)))
		return err;
	struct walk w = {.c = &c, .watch = clrsos_heap_watch(c.heap), .heap = c.heap,
			 .gc = clrsos_heap_gc(c.heap)};
	if (!(w.bits = calloc(w.gc->nsegments ? w.gc->nsegments : 1, sizeof(*w.bits))))
		return &clrsos_error_no_memory;
	struct clrsos_typestats stats = {0};
	push_ref(&w, address);
	while (w.depth && !w.oom && !err && !w.stop) {
		if ((err = clrsos_watch_tick(w.watch)))
			break;
		uint64_t obj = w.stack[--w.depth];
		const struct clrsos_type *t;
		uint64_t size;
		struct clrsos_error *e = clrsos_heap_read_object(c.heap, obj, &t, &size, &c.buf, &c.buf_cap);
		if (clrsos_error_is_no_memory(e)) {
			err = e;
			break;
		}
		if (e) {
			clrsos_error_destroy(e);
			continue; /* a reference to no object: not counted */
		}
		if (!clrsos_typestats_add(&stats, t, size))
			w.oom = true;
		clrsos_types_for_each_ref(c.types, t, c.buf, size, push_ref, &w);
	}
	if (!err && w.stop)
		err = w.stop;
	else
		clrsos_error_destroy(w.stop);
	if (w.oom && !err)
		err = &clrsos_error_no_memory;
	struct clrsos_typestat *rows = err ? NULL : clrsos_typestats_sorted(&stats, false);
	if (!err && json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, address);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, clrsos_types_name(c.types, root_type));
		clrsos_json_key(&j, "objects");
		clrsos_json_uint(&j, stats.total_count);
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, stats.total_size);
		clrsos_typestats_write_json(&stats, rows, c.types, &j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (!err) {
		struct clrsos_name_buf nb;
		clrsos_outf(out, "Objects which %" PRIx64 " (%s) transitively keep alive:\n\n", address,
			    clrsos_safe_name(clrsos_types_name(c.types, root_type), &nb));
		if (!stat) {
			char size[32];
			clrsos_format_thousands(stats.total_size, size, sizeof(size));
			clrsos_outf(out, "sizeof(%012" PRIx64 ") = %s (0x%" PRIx64 ") bytes in %" PRIu64 " objects\n\n",
				    address, size, stats.total_size, stats.total_count);
		}
		clrsos_typestats_write_text(&stats, rows, c.types, out);
	}
	free(rows);
	clrsos_typestats_deinit(&stats);
	clrsos_addrmap_deinit(&w.seen);
	for (size_t i = 0; i < w.gc->nsegments; i++)
		free(w.bits[i]);
	free(w.bits);
	free(w.stack);
	free(c.buf);
	return err;
}

/* clrthreads ------------------------------------------------------------ */

enum { THREAD_STATE_BACKGROUND = 0x200, THREAD_STATE_DEAD = 0x800 };

struct clrsos_error *clrsos_cmd_clrthreads(struct clrsos_session *session,
					   const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	(void)host;
	bool json = false;
	struct clrsos_error *err = NULL;
	if (!only_json(argc, argv, "clrthreads", &err, &json, NULL, NULL, NULL))
		return err;
	struct ctx c;
	if ((err = ctx_init(&c, session)))
		return err;
	struct clrsos_dacp_thread_store_data store;
	if ((err = clrsos_dac_thread_store(c.dac, &store)))
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "threadCount");
		clrsos_json_int(&j, store.thread_count);
		clrsos_json_key(&j, "threads");
		clrsos_json_array_begin(&j);
	} else {
		clrsos_outf(out, "ThreadCount:      %d\nUnstartedThread:  %d\nBackgroundThread: %d\n"
			    "PendingThread:    %d\nDeadThread:       %d\n",
			    store.thread_count, store.unstarted_thread_count, store.background_thread_count,
			    store.pending_thread_count, store.dead_thread_count);
		clrsos_outf(out, "%5s %8s %16s %8s %-11s %-33s %5s %s\n", "ID", "OSID", "ThreadOBJ", "State",
			    "GC Mode", "GC Alloc Context", "Lock", "Exception");
	}
	uint64_t thread = store.first_thread;
	for (int n = 0; thread && n < (1 << 20); n++) {
		struct clrsos_dacp_thread_data t;
		if ((err = clrsos_dac_thread_data(c.dac, thread, &t)))
			break;
		uint64_t exception = 0;
		const struct clrsos_type *et = NULL;
		if (t.last_thrown_object_handle) {
			struct clrsos_error *e = clrsos_target_read_u64(c.target, t.last_thrown_object_handle, &exception);
			clrsos_error_destroy(e);
			if (!e && exception)
				et = type_of(&c, exception, NULL);
		}
		const char *role = thread == store.finalizer_thread ? " (Finalizer)"
				   : thread == store.gc_thread ? " (GC)" : "";
		const char *mode = t.preemptive_gc_disabled ? "Cooperative" : "Preemptive";
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "managedId");
			clrsos_json_uint(&j, t.cor_thread_id);
			clrsos_json_key(&j, "osId");
			clrsos_json_uint(&j, t.os_thread_id);
			clrsos_json_key(&j, "thread");
			clrsos_json_address(&j, thread);
			clrsos_json_key(&j, "state");
			clrsos_json_uint(&j, (uint32_t)t.state);
			clrsos_json_key(&j, "gcMode");
			clrsos_json_string(&j, mode);
			clrsos_json_key(&j, "allocContext");
			clrsos_json_address(&j, t.alloc_context_ptr);
			clrsos_json_key(&j, "allocLimit");
			clrsos_json_address(&j, t.alloc_context_limit);
			clrsos_json_key(&j, "lockCount");
			clrsos_json_int(&j, (int32_t)t.lock_count);
			clrsos_json_key(&j, "finalizer");
			clrsos_json_bool(&j, thread == store.finalizer_thread);
			clrsos_json_key(&j, "exception");
			clrsos_json_string(&j, et ? clrsos_types_name(c.types, et) : NULL);
			clrsos_json_key(&j, "exceptionObject");
			clrsos_json_address(&j, exception);
			clrsos_json_object_end(&j);
		} else {
			char ctxs[40];
			snprintf(ctxs, sizeof(ctxs), "%012" PRIx64 ":%012" PRIx64, t.alloc_context_ptr, t.alloc_context_limit);
			char ex[sizeof(struct clrsos_name_buf) + 32] = "";
			struct clrsos_name_buf nb;
			if (et)
				snprintf(ex, sizeof(ex), "%s %012" PRIx64,
					 clrsos_safe_name(clrsos_types_name(c.types, et), &nb), exception);
			clrsos_outf(out, "%5u %8x %016" PRIx64 " %8x %-11s %-33s %5d %s%s\n", t.cor_thread_id,
				    t.os_thread_id, thread, (uint32_t)t.state, mode, ctxs, t.lock_count, ex, role);
		}
		thread = t.next_thread;
	}
	if (!err && json) {
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return err;
}

/* gcroot ---------------------------------------------------------------- */

/*
 * For each root, a shortest chain of references to the target: one search
 * backwards from the target over this stop's referrers index (referrers.h,
 * built on the first gcroot of a stop) marks every object that leads to
 * it; each root that holds one of them has its chain.
 */

/*
 * Static reference fields: on .NET 9 and later each lives in a slot of an
 * object[] the runtime holds with a strong handle. To name the field where a
 * chain leaves such an array, map every loaded class's GC static slots
 * (from each module's TypeDef map) to "Type.field", once per command.
 */
struct statics {
	struct ctx *c;
	struct clrsos_addrmap slots; /* slot address -> index + 1 into names */
	char **names;
	size_t count, cap;
	bool built;
};

static void note_statics(void *ctx, uint64_t mt)
{
	struct statics *st = ctx;
	struct ctx *c = st->c;
	struct clrsos_dacp_method_table_field_data fd;
	struct clrsos_error *err = clrsos_dac_method_table_field_data(c->dac, mt, &fd);
	if (err || !fd.num_static_fields) {
		clrsos_error_destroy(err);
		return;
	}
	struct clrsos_dacp_method_table_data md;
	if ((err = clrsos_dac_method_table_data(c->dac, mt, &md))) {
		clrsos_error_destroy(err);
		return;
	}
	uint64_t non_gc, gc;
	if ((err = clrsos_dac_static_bases(c->dac, mt, md.module, &non_gc, &gc)) || !gc) {
		clrsos_error_destroy(err);
		return;
	}
	struct clrsos_fields fields;
	if ((err = clrsos_fields_get(c->dac, c->types, mt, &fields))) {
		clrsos_error_destroy(err);
		return;
	}
	const struct clrsos_type *t = clrsos_types_get(c->types, mt);
	for (size_t i = 0; t && i < fields.count; i++) {
		const struct clrsos_field *f = &fields.items[i];
		if (!f->is_static || f->is_thread_static || f->declaring_mt != mt ||
		    clrsos_element_is_value(f->element_type))
			continue;
		if (st->count == st->cap) {
			size_t cap = st->cap ? st->cap * 2 : 256;
			char **g = realloc(st->names, cap * sizeof(*g));
			if (!g)
				break;
			st->names = g;
			st->cap = cap;
		}
		char *name;
		if (asprintf(&name, "%s.%s", clrsos_types_name(c->types, t), f->name) < 0)
			break;
		st->names[st->count++] = name;
		if (!clrsos_addrmap_put(&st->slots, gc + f->offset, st->count))
			break;
	}
	clrsos_fields_deinit(&fields);
}

static void build_statics(struct statics *st)
{
	st->built = true;
	uint64_t *mts = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_loaded_types(st->c->dac, &mts, &n);
	if (err) {
		clrsos_error_destroy(err);
		return;
	}
	for (size_t i = 0; i < n; i++)
		note_statics(st, mts[i]);
	free(mts);
}

/* The static field whose slot in the array at holder holds value, or NULL. */
static const char *static_name(struct statics *st, uint64_t holder, uint64_t value)
{
	const struct clrsos_type *t;
	uint64_t size;
	struct ctx *c = st->c;
	if (clrsos_heap_read_object(c->heap, holder, &t, &size, &c->buf, &c->buf_cap) || !t->is_array ||
	    t->component_size != 8)
		return NULL;
	if (!st->built)
		build_statics(st);
	for (uint64_t off = 16; off + 8 <= size; off += 8) {
		uint64_t v, index;
		memcpy(&v, c->buf + off, 8);
		if (v == value && clrsos_addrmap_get(&st->slots, holder + off, &index))
			return st->names[index - 1];
	}
	return NULL;
}

static void statics_deinit(struct statics *st)
{
	for (size_t i = 0; i < st->count; i++)
		free(st->names[i]);
	free(st->names);
	clrsos_addrmap_deinit(&st->slots);
}

/* "Type.field" for a (thread-)static root's field, or NULL; the caller frees it. */
static char *class_static_name(struct ctx *c, const struct clrsos_root *r)
{
	const struct clrsos_type *t = clrsos_types_get(c->types, r->field_mt);
	struct clrsos_fields fields;
	struct clrsos_error *err;
	char *name = NULL;
	if (!t)
		return NULL;
	if ((err = clrsos_fields_get(c->dac, c->types, r->field_mt, &fields))) {
		clrsos_error_destroy(err);
		return NULL;
	}
	for (size_t i = 0; i < fields.count; i++) {
		const struct clrsos_field *f = &fields.items[i];
		if (f->is_static && f->token == r->field_token && f->name) {
			if (asprintf(&name, "%s.%s", clrsos_types_name(c->types, t), f->name) < 0)
				name = NULL;
			break;
		}
	}
	clrsos_fields_deinit(&fields);
	return name;
}

static const char *reg_name(int reg)
{
	static const char *const names[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	return reg >= 0 && reg < 16 ? names[reg] : NULL;
}

static struct clrsos_error *write_root_text(struct ctx *c, const struct clrsos_root *r, struct clrsos_writer *w)
{
	switch (r->kind) {
	case CLRSOS_ROOT_HANDLE:
		clrsos_outf(w, "HandleTable:\n    %016" PRIx64 " (%s handle)\n", r->address,
			    clrsos_handle_type_name(r->handle_type));
		break;
	case CLRSOS_ROOT_FINALIZER:
		clrsos_outf(w, "Finalizer Queue:\n    %016" PRIx64 "\n", r->address);
		break;
	case CLRSOS_ROOT_STATIC: {
		char *field = class_static_name(c, r);
		const struct clrsos_type *t = clrsos_types_get(c->types, r->field_mt);
		clrsos_outf(w, "Static variable:\n    %016" PRIx64 " (static variable: ", r->address);
		struct clrsos_name_buf nb;
		if (field)
			clrsos_outf(w, "%s)\n", clrsos_safe_name(field, &nb));
		else
			clrsos_outf(w, "%s, field token %08x)\n",
				    t ? clrsos_safe_name(clrsos_types_name(c->types, t), &nb) : "?", r->field_token);
		free(field);
		break;
	}
	case CLRSOS_ROOT_THREAD_STATIC: {
		char *field = class_static_name(c, r);
		struct clrsos_name_buf nb;
		if (field) {
			clrsos_outf(w, "Thread %x:\n    %016" PRIx64 " (thread static variable: %s)\n", r->os_thread_id,
				    r->address, clrsos_safe_name(field, &nb));
		} else {
			const struct clrsos_type *t = clrsos_types_get(c->types, r->field_mt);
			clrsos_outf(w, "Thread %x:\n    %016" PRIx64 " (thread static variable of %s, field token %08x)\n",
				    r->os_thread_id, r->address,
				    t ? clrsos_safe_name(clrsos_types_name(c->types, t), &nb) : "?", r->field_token);
		}
		free(field);
		break;
	}
	case CLRSOS_ROOT_STACK: {
		clrsos_outf(w, "Thread %x:\n", r->os_thread_id);
		char *method = NULL;
		bool code;
		uint64_t md = r->source_type == 0 ? clrsos_dac_method_desc_from_ip(c->dac, r->source) : 0;
		if (md) {
			struct clrsos_error *e = clrsos_dac_method_desc(c->dac, md, &method, &code);
			if (clrsos_error_is_no_memory(e))
				return e;
			clrsos_error_destroy(e);
		}
		struct clrsos_name_buf nb;
		clrsos_outf(w, "    %016" PRIx64 " %016" PRIx64 " %s\n", r->stack_pointer, r->source,
			    method ? clrsos_safe_name(method, &nb) : r->source_type == 1 ? "[Frame]" : "[unknown method]");
		free(method);
		if (reg_name(r->reg) && !r->address)
			clrsos_outf(w, "        %s:\n", reg_name(r->reg));
		else
			clrsos_outf(w, "        %016" PRIx64 "%s\n", r->address, r->interior ? " (interior)" : "");
		break;
	}
	}
	return NULL;
}

struct clrsos_error *clrsos_cmd_gcroot(struct clrsos_session *session,
				       const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, nostacks = false, have = false;
	uint64_t address = 0, limit = UINT64_MAX;
	for (int i = 0; i < argc; i++) {
		struct clrsos_error *e = NULL;
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-nostacks") == 0)
			nostacks = true;
		else if (strcmp(argv[i], "-all") == 0)
			; /* every root is listed with its shortest chain anyway */
		else if (strcmp(argv[i], "-limit") == 0) {
			if (i + 1 >= argc)
				return clrsos_missing_value("gcroot", "-limit");
			/* -limit 0 would answer "nothing keeps it alive" without looking. */
			e = clrsos_parse_uint_range("-limit", argv[++i], 1, UINT64_MAX, &limit);
		} else if (clrsos_is_option(argv[i]))
			return clrsos_unknown_option("gcroot", argv[i]);
		else
			e = clrsos_address_operand("gcroot", host, argv[i], &have, &address);
		if (e)
			return clrsos_error_wrap(e, "gcroot");
	}
	if (!have)
		return clrsos_address_missing("gcroot", "an object");
	struct ctx c;
	struct clrsos_error *err = ctx_init(&c, session);
	if (err)
		return err;
	const struct clrsos_type *target_type;
	if ((err = clrsos_heap_object_at(c.heap, address, &target_type, NULL)))
		return err;
	const struct clrsos_reach *reach;
	struct clrsos_referrers *referrers;
	if ((err = clrsos_session_reach(session, &reach)) || (err = clrsos_session_referrers(session, &referrers)) ||
	    (err = clrsos_referrers_search(referrers, address)))
		return clrsos_error_wrap(err, "gcroot");
	const struct clrsos_roots *roots = clrsos_reach_roots(reach);
	struct statics st = {.c = &c};
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "target");
		clrsos_json_address(&j, address);
		clrsos_json_key(&j, "roots");
		clrsos_json_array_begin(&j);
	}
	uint64_t found = 0;
	struct clrsos_chain_link *chain = NULL;
	size_t chain_cap = 0;
	for (size_t i = 0; i < roots->count && found < limit && !err; i++) {
		const struct clrsos_root *r = &roots->items[i];
		if (nostacks && r->kind == CLRSOS_ROOT_STACK)
			continue;
		uint64_t start = r->object;
		if (r->interior) {
			struct clrsos_error *e = clrsos_heap_find_object(c.heap, start, &start, NULL);
			if (e) {
				clrsos_error_destroy(e);
				continue;
			}
		}
		size_t n = 0;
		if ((err = clrsos_referrers_chain(referrers, start, &chain, &chain_cap, &n)) || !n)
			continue;
		found++;
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "kind");
			clrsos_json_string(&j, r->kind == CLRSOS_ROOT_HANDLE ? "handle"
					       : r->kind == CLRSOS_ROOT_STACK ? "stack"
					       : r->kind == CLRSOS_ROOT_THREAD_STATIC ? "threadStatic"
					       : r->kind == CLRSOS_ROOT_STATIC	  ? "static"
										  : "finalizer");
			if (r->kind == CLRSOS_ROOT_HANDLE) {
				clrsos_json_key(&j, "handle");
				clrsos_json_address(&j, r->address);
				clrsos_json_key(&j, "handleType");
				clrsos_json_string(&j, clrsos_handle_type_name(r->handle_type));
			} else if (r->kind == CLRSOS_ROOT_STACK) {
				clrsos_json_key(&j, "osThreadId");
				clrsos_json_uint(&j, r->os_thread_id);
				clrsos_json_key(&j, "stackPointer");
				clrsos_json_address(&j, r->stack_pointer);
				clrsos_json_key(&j, "ip");
				clrsos_json_address(&j, r->source);
				clrsos_json_key(&j, "slot");
				clrsos_json_address(&j, r->address);
			} else if (r->kind == CLRSOS_ROOT_THREAD_STATIC || r->kind == CLRSOS_ROOT_STATIC) {
				if (r->kind == CLRSOS_ROOT_THREAD_STATIC) {
					clrsos_json_key(&j, "osThreadId");
					clrsos_json_uint(&j, r->os_thread_id);
				}
				clrsos_json_key(&j, "slot");
				clrsos_json_address(&j, r->address);
				clrsos_json_key(&j, "fieldToken");
				clrsos_json_uint(&j, r->field_token);
				const struct clrsos_type *ft = clrsos_types_get(c.types, r->field_mt);
				clrsos_json_key(&j, "declaringType");
				clrsos_json_string(&j, ft ? clrsos_types_name(c.types, ft) : NULL);
				char *field = class_static_name(&c, r);
				clrsos_json_key(&j, "field");
				clrsos_json_string(&j, field);
				free(field);
			} else {
				clrsos_json_key(&j, "queueEntry");
				clrsos_json_address(&j, r->address);
			}
			clrsos_json_key(&j, "path");
			clrsos_json_array_begin(&j);
		} else {
			if ((err = write_root_text(&c, r, out)))
				break;
		}
		for (size_t k = 0; k < n; k++) {
			uint64_t at = chain[k].address;
			const struct clrsos_type *t = type_of(&c, at, NULL);
			const char *name = t ? clrsos_types_name(c.types, t) : "?";
			bool dep = chain[k].dependent;
			/* Leaving a handle's statics array: which static field this is. */
			const char *field = k == 1 && r->kind == CLRSOS_ROOT_HANDLE ? static_name(&st, chain[0].address, at)
										   : NULL;
			if (json) {
				clrsos_json_object_begin(&j);
				clrsos_json_key(&j, "address");
				clrsos_json_address(&j, at);
				clrsos_json_key(&j, "type");
				clrsos_json_string(&j, name);
				clrsos_json_key(&j, "dependentHandle");
				clrsos_json_bool(&j, dep);
				if (field) {
					clrsos_json_key(&j, "staticField");
					clrsos_json_string(&j, field);
				}
				clrsos_json_object_end(&j);
			} else {
				struct clrsos_name_buf nb, fb;
				clrsos_outf(out, "          %s %012" PRIx64 " %s%s%s%s\n", dep ? "-> (dependent handle) ->" : "->",
					    at, clrsos_safe_name(name, &nb), field ? " (static variable: " : "",
					    field ? clrsos_safe_name(field, &fb) : "", field ? ")" : "");
			}
		}
		if (json) {
			clrsos_json_array_end(&j);
			clrsos_json_object_end(&j);
		} else {
			clrsos_out(out, "\n");
		}
	}
	free(chain);
	if (err)
		err = clrsos_error_wrap(err, "gcroot");
	else if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "count");
		clrsos_json_uint(&j, found);
		clrsos_json_key(&j, "frozen");
		clrsos_json_bool(&j, clrsos_reach_is_frozen(reach, address));
		clrsos_json_key(&j, "threadsUnreadable");
		clrsos_json_uint(&j, roots->threads_failed);
		clrsos_json_key(&j, "stackSlotsNotObjects");
		clrsos_json_uint(&j, clrsos_reach_stats(reach)->stack_slots_not_objects);
		char warnings[2][256];
		size_t nwarnings;
		clrsos_reach_warnings(reach, warnings, &nwarnings);
		clrsos_json_key(&j, "warnings");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < nwarnings; i++)
			clrsos_json_string(&j, warnings[i]);
		clrsos_json_array_end(&j);
		/* What this stop's index holds: for measuring it, not for reading the answer. */
		const struct clrsos_referrers_stats *rs = clrsos_referrers_stats(referrers);
		clrsos_json_key(&j, "index");
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "liveObjects");
		clrsos_json_uint(&j, rs->objects);
		clrsos_json_key(&j, "references");
		clrsos_json_uint(&j, rs->references);
		clrsos_json_key(&j, "bytes");
		clrsos_json_uint(&j, rs->bytes + clrsos_reach_stats(reach)->bytes);
		clrsos_json_object_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	struct clrsos_name_buf nb;
	if (err || json) {
		/* said above */
	} else if (found) {
		clrsos_outf(out, "Found %" PRIu64 " unique root%s.\n", found, found == 1 ? "" : "s");
		if (clrsos_reach_is_frozen(reach, address))
			clrsos_outf(out, "0x%" PRIx64 " is on the NonGC (frozen) heap: the GC never collects it.\n", address);
	} else if (clrsos_reach_is_frozen(reach, address)) {
		clrsos_outf(out, "Found 0 unique roots: 0x%" PRIx64 " (%s) is on the NonGC (frozen) heap: the GC never "
			    "collects it, so it is live without a root.\n", address, clrsos_types_name(c.types, target_type));
	} else if (nostacks && clrsos_reach_is_live(reach, address)) {
		clrsos_outf(out, "Found 0 unique roots other than stacks: 0x%" PRIx64 " (%s) is kept alive only from a stack "
			    "(-nostacks left them out).\n", address,
			    clrsos_safe_name(clrsos_types_name(c.types, target_type), &nb));
	} else {
		clrsos_outf(out, "Found 0 unique roots: nothing keeps 0x%" PRIx64 " (%s) alive; the next full GC collects it.\n",
			    address, clrsos_safe_name(clrsos_types_name(c.types, target_type), &nb));
	}
	if (!err && !json) {
		char warnings[2][256];
		size_t nwarnings;
		clrsos_reach_warnings(reach, warnings, &nwarnings);
		for (size_t i = 0; i < nwarnings; i++)
			clrsos_outf(out, "Warning: %s\n", warnings[i]);
	}
	statics_deinit(&st);
	free(c.buf);
	return err;
}

/* clrstack -------------------------------------------------------------- */

enum { SHOW_PARAMS = 1, SHOW_LOCALS = 2 };

static void write_vars_json(struct clrsos_json *j, const char *key, const struct clrsos_frame_var *v, size_t n)
{
	clrsos_json_key(j, key);
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		clrsos_json_object_begin(j);
		if (v[i].name) {
			clrsos_json_key(j, "name");
			clrsos_json_string(j, v[i].name);
		}
		clrsos_json_key(j, "location");
		clrsos_json_string(j, !v[i].has_location ? NULL : v[i].in_register ? "register" : "stack");
		if (v[i].has_location && !v[i].in_register) {
			clrsos_json_key(j, "address");
			clrsos_json_address(j, v[i].address);
		}
		clrsos_json_key(j, "size");
		clrsos_json_uint(j, v[i].size);
		clrsos_json_key(j, "value");
		if (v[i].state == CLRSOS_VAR_VALUE && v[i].size <= 8)
			clrsos_json_address(j, v[i].value);
		else
			clrsos_json_null(j);
		clrsos_json_key(j, "state");
		clrsos_json_string(j, v[i].state == CLRSOS_VAR_VALUE ? "value"
				   : v[i].state == CLRSOS_VAR_NO_DATA ? "noData" : "unreadable");
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

/* SOS's layout: "        name (0x<home>) = 0x<value>" for parameters, "        0x<home> = ..." for locals. */
static void write_vars_text(struct clrsos_writer *out, const char *title, bool params, const struct clrsos_frame_var *v,
			    size_t n)
{
	if (!n)
		return;
	clrsos_outf(out, "    %s:\n", title);
	for (size_t i = 0; i < n; i++) {
		clrsos_out(out, "        ");
		if (params && v[i].name) {
			clrsos_out_name(out, v[i].name);
			clrsos_out(out, " ");
		}
		if (v[i].has_location) {
			if (v[i].in_register)
				clrsos_out(out, params ? "(<CLR reg>) " : "<CLR reg> ");
			else
				clrsos_outf(out, params ? "(0x%016" PRIx64 ") " : "0x%016" PRIx64 " ", v[i].address);
		}
		if (v[i].has_location || (params && v[i].name))
			clrsos_out(out, "= ");
		if (v[i].state == CLRSOS_VAR_NO_DATA)
			clrsos_out(out, "<no data>\n");
		else if (v[i].state == CLRSOS_VAR_UNREADABLE)
			clrsos_out(out, "<unable to retrieve data>\n");
		else if (v[i].size > 8)
			clrsos_outf(out, "<a %u-byte value type>\n", v[i].size);
		else
			clrsos_outf(out, "0x%016" PRIx64 "\n", v[i].value);
	}
}

static void write_stack(struct clrsos_writer *out, struct clrsos_json *j, uint32_t os_id,
			const struct clrsos_stack_frame *f, size_t n, int show)
{
	if (j) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "osThreadId");
		clrsos_json_uint(j, os_id);
		clrsos_json_key(j, "frames");
		clrsos_json_array_begin(j);
		for (size_t i = 0; i < n; i++) {
			clrsos_json_object_begin(j);
			clrsos_json_key(j, "sp");
			clrsos_json_address(j, f[i].sp);
			clrsos_json_key(j, "ip");
			clrsos_json_address(j, f[i].ip);
			clrsos_json_key(j, "frame");
			clrsos_json_address(j, f[i].frame);
			clrsos_json_key(j, "methodDesc");
			clrsos_json_address(j, f[i].method_desc);
			clrsos_json_key(j, "name");
			clrsos_json_string(j, f[i].name);
			if (show && !f[i].frame) {
				if (show & SHOW_PARAMS) {
					if (f[i].args_failed) {
						clrsos_json_key(j, "parameters");
						clrsos_json_null(j);
					} else {
						write_vars_json(j, "parameters", f[i].args, f[i].nargs);
					}
				}
				if (show & SHOW_LOCALS) {
					if (f[i].locals_failed) {
						clrsos_json_key(j, "locals");
						clrsos_json_null(j);
					} else {
						write_vars_json(j, "locals", f[i].locals, f[i].nlocals);
					}
				}
			}
			clrsos_json_object_end(j);
		}
		clrsos_json_array_end(j);
		clrsos_json_object_end(j);
		return;
	}
	struct clrsos_name_buf nb;
	clrsos_outf(out, "OS Thread Id: 0x%x\n", os_id);
	clrsos_outf(out, "%16s %16s %s\n", "Child SP", "IP", "Call Site");
	for (size_t i = 0; i < n; i++) {
		if (f[i].frame) {
			clrsos_outf(out, "%016" PRIX64 " %016" PRIX64 " [%s: %016" PRIx64 "]\n", f[i].sp, f[i].ip,
				    f[i].name ? clrsos_safe_name(f[i].name, &nb) : "Frame", f[i].frame);
			continue;
		}
		clrsos_outf(out, "%016" PRIX64 " %016" PRIX64 " %s\n", f[i].sp, f[i].ip,
			    f[i].name ? clrsos_safe_name(f[i].name, &nb) : "[unknown managed code]");
		if (!show)
			continue;
		if ((show & SHOW_PARAMS) && f[i].args_failed)
			clrsos_out(out, "    PARAMETERS: <the runtime cannot list them for this frame>\n");
		else if (show & SHOW_PARAMS)
			write_vars_text(out, "PARAMETERS", true, f[i].args, f[i].nargs);
		if ((show & SHOW_LOCALS) && f[i].locals_failed)
			clrsos_out(out, "    LOCALS: <the runtime cannot list them for this frame>\n");
		else if (show & SHOW_LOCALS)
			write_vars_text(out, "LOCALS", false, f[i].locals, f[i].nlocals);
		clrsos_out(out, "\n");
	}
}

struct clrsos_error *clrsos_cmd_clrstack(struct clrsos_session *session,
					 const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, all = false;
	int show = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-all") == 0)
			all = true;
		else if (strcmp(argv[i], "-a") == 0)
			show |= SHOW_PARAMS | SHOW_LOCALS;
		else if (strcmp(argv[i], "-p") == 0)
			show |= SHOW_PARAMS;
		else if (strcmp(argv[i], "-l") == 0)
			show |= SHOW_LOCALS;
		else
			return clrsos_unknown_option("clrstack", argv[i]);
	}
	struct ctx c;
	struct clrsos_error *err = ctx_init(&c, session);
	if (err)
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "threads");
		clrsos_json_array_begin(&j);
	}
	if (all) {
		struct clrsos_dacp_thread_store_data store;
		if ((err = clrsos_dac_thread_store(c.dac, &store)))
			return err;
		uint64_t thread = store.first_thread;
		for (int n = 0; thread && n < (1 << 20) && !err; n++) {
			struct clrsos_dacp_thread_data t;
			if ((err = clrsos_dac_thread_data(c.dac, thread, &t)))
				break;
			thread = t.next_thread;
			if (!t.os_thread_id)
				continue;
			struct clrsos_stack_frame *f;
			size_t nf;
			struct clrsos_error *e = clrsos_dac_stack_walk_vars(c.dac, t.os_thread_id, show != 0, &f, &nf);
			if (e) {
				/* Said, not skipped: the other threads still follow. */
				if (json) {
					clrsos_json_object_begin(&j);
					clrsos_json_key(&j, "osThreadId");
					clrsos_json_uint(&j, t.os_thread_id);
					clrsos_json_key(&j, "frames");
					clrsos_json_null(&j);
					clrsos_json_key(&j, "error");
					clrsos_json_string(&j, e->message);
					clrsos_json_object_end(&j);
				} else {
					clrsos_outf(out, "OS Thread Id: 0x%x\nWarning: its stack could not be read: %s\n\n",
						    t.os_thread_id, e->message);
				}
				clrsos_error_destroy(e);
				continue;
			}
			write_stack(out, json ? &j : NULL, t.os_thread_id, f, nf, show);
			if (!json)
				clrsos_out(out, "\n");
			clrsos_stack_frames_free(f, nf);
		}
	} else {
		if (!host->selected_thread)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "clrstack: no thread is selected: use 'thread select <n>' or clrstack -all");
		struct clrsos_stack_frame *f;
		size_t nf;
		if ((err = clrsos_dac_stack_walk_vars(c.dac, host->selected_thread, show != 0, &f, &nf)))
			return err;
		write_stack(out, json ? &j : NULL, host->selected_thread, f, nf, show);
		clrsos_stack_frames_free(f, nf);
	}
	if (!err && json) {
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return err;
}

/* clrbt ----------------------------------------------------------------- */

enum { MAX_NATIVE_FRAMES = 4096 };

struct clrsos_error *clrsos_cmd_clrbt(struct clrsos_session *session,
				      const struct clrsos_host *host, int argc,
				      const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint32_t os_id = host->selected_thread;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (argv[i][0] != '-') {
			uint64_t v;
			struct clrsos_error *e = clrsos_parse_uint_range("the OS thread id", argv[i], 1, UINT32_MAX, &v);
			if (e)
				return clrsos_error_wrap(e, "clrbt");
			os_id = (uint32_t)v;
		} else {
			return clrsos_unknown_option("clrbt", argv[i]);
		}
	}
	if (!host->backtrace)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "clrbt: this debugger gives no backtrace");
	if (!os_id)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "clrbt: no thread is selected: use 'thread select <n>' or give its OS id");
	struct ctx c;
	struct clrsos_error *err = ctx_init(&c, session);
	if (err)
		return err;
	struct clrsos_native_frame *frames = calloc(MAX_NATIVE_FRAMES, sizeof(*frames));
	if (!frames)
		return &clrsos_error_no_memory;
	size_t n = 0;
	if ((err = host->backtrace(host->ctx, os_id, frames, MAX_NATIVE_FRAMES, &n))) {
		free(frames);
		return err;
	}
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "osThreadId");
		clrsos_json_uint(&j, os_id);
		clrsos_json_key(&j, "frames");
		clrsos_json_array_begin(&j);
	} else {
		clrsos_outf(out, "thread 0x%x:\n", os_id);
	}
	for (size_t i = 0; i < n; i++) {
		/* A frame the debugger cannot name may be JIT-compiled code: ask the runtime. */
		char *managed = NULL;
		if (!frames[i].name) {
			uint64_t md = clrsos_dac_method_desc_from_ip(c.dac, frames[i].pc);
			bool code;
			if (md) {
				struct clrsos_error *e = clrsos_dac_method_desc(c.dac, md, &managed, &code);
				if (clrsos_error_is_no_memory(e) && !err)
					err = e; /* said at the end; the frames are freed first */
				else
					clrsos_error_destroy(e);
			}
		}
		const char *name = managed ? managed : frames[i].name;
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "pc");
			clrsos_json_address(&j, frames[i].pc);
			clrsos_json_key(&j, "sp");
			clrsos_json_address(&j, frames[i].sp);
			clrsos_json_key(&j, "name");
			clrsos_json_string(&j, name);
			clrsos_json_key(&j, "managed");
			clrsos_json_bool(&j, managed != NULL);
			clrsos_json_key(&j, "module");
			clrsos_json_string(&j, frames[i].module);
			clrsos_json_object_end(&j);
		} else {
			struct clrsos_name_buf mb, nb;
			clrsos_outf(out, "  frame #%zu: 0x%016" PRIx64 " %s%s%s\n", i, frames[i].pc,
				    managed ? "[managed] " : frames[i].module ? clrsos_safe_name(frames[i].module, &mb) : "",
				    managed || !frames[i].module ? "" : "`", name ? clrsos_safe_name(name, &nb) : "???");
		}
		free(managed);
		free(frames[i].name);
		free(frames[i].module);
	}
	/*
	 * Where lldb's unwinding stopped short (a core whose native code lacks
	 * unwind data), the runtime's own stack walk goes on: its managed frames
	 * above the last frame lldb found follow.
	 */
	uint64_t last_sp = n ? frames[n - 1].sp : 0;
	free(frames);
	struct clrsos_stack_frame *rf = NULL;
	size_t nr = 0;
	struct clrsos_error *e = err ? NULL : clrsos_dac_stack_walk(c.dac, os_id, &rf, &nr);
	if (clrsos_error_is_no_memory(e))
		err = e;
	else
		clrsos_error_destroy(e);
	for (size_t i = 0; !e && !err && i < nr; i++) {
		if (rf[i].frame || !rf[i].name || rf[i].sp <= last_sp)
			continue;
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "pc");
			clrsos_json_address(&j, rf[i].ip);
			clrsos_json_key(&j, "sp");
			clrsos_json_address(&j, rf[i].sp);
			clrsos_json_key(&j, "name");
			clrsos_json_string(&j, rf[i].name);
			clrsos_json_key(&j, "managed");
			clrsos_json_bool(&j, true);
			clrsos_json_key(&j, "module");
			clrsos_json_null(&j);
			clrsos_json_key(&j, "fromRuntimeWalk");
			clrsos_json_bool(&j, true);
			clrsos_json_object_end(&j);
		} else {
			struct clrsos_name_buf nb;
			clrsos_outf(out, "  frame #%zu: 0x%016" PRIx64 " [managed] %s (the runtime's walk)\n", n++,
				    rf[i].ip, clrsos_safe_name(rf[i].name, &nb));
		}
	}
	clrsos_stack_frames_free(rf, nr);
	if (err)
		return clrsos_error_wrap(err, "clrbt");
	if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return NULL;
}

/* dso ------------------------------------------------------------------- */

struct clrsos_error *clrsos_cmd_dso(struct clrsos_session *session,
				    const struct clrsos_host *host, int argc,
				    const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	struct clrsos_error *err = NULL;
	if (!only_json(argc, argv, "dso", &err, &json, NULL, NULL, NULL))
		return err;
	if (!host->selected_thread)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dso: no thread is selected: use 'thread select <n>'");
	struct ctx c;
	if ((err = ctx_init(&c, session)))
		return err;
	struct clrsos_sos_stack_ref *refs = NULL;
	size_t n = 0;
	if ((err = clrsos_dac_stack_refs(c.dac, host->selected_thread, &refs, &n)))
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "osThreadId");
		clrsos_json_uint(&j, host->selected_thread);
		clrsos_json_key(&j, "objects");
		clrsos_json_array_begin(&j);
	} else {
		clrsos_outf(out, "OS Thread Id: 0x%x\n%16s %16s %s\n", host->selected_thread, "SP/REG",
			    "Object", "Name");
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t object = refs[i].object;
		if (!object)
			continue;
		if (refs[i].flags & CLRSOS_STACK_REF_INTERIOR) {
			struct clrsos_error *e = clrsos_heap_find_object(c.heap, object, &object, NULL);
			if (e) {
				clrsos_error_destroy(e);
				continue;
			}
		}
		const struct clrsos_type *t = type_of(&c, object, NULL);
		if (!t)
			continue;
		const char *reg = reg_name(refs[i].has_register_information && !refs[i].address ? refs[i].reg : -1);
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "slot");
			clrsos_json_address(&j, refs[i].address);
			clrsos_json_key(&j, "register");
			clrsos_json_string(&j, reg);
			clrsos_json_key(&j, "object");
			clrsos_json_address(&j, object);
			clrsos_json_key(&j, "type");
			clrsos_json_string(&j, clrsos_types_name(c.types, t));
			clrsos_json_object_end(&j);
		} else if (reg) {
			struct clrsos_name_buf nb;
			clrsos_outf(out, "%16s %016" PRIx64 " %s\n", reg, object,
				    clrsos_safe_name(clrsos_types_name(c.types, t), &nb));
		} else {
			struct clrsos_name_buf nb;
			clrsos_outf(out, "%016" PRIx64 " %016" PRIx64 " %s\n", refs[i].address, object,
				    clrsos_safe_name(clrsos_types_name(c.types, t), &nb));
		}
	}
	free(refs);
	if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return NULL;
}
