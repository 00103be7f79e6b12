#include "model/roots.h"

#include "dac/dac.h"
#include "model/fields.h"
#include "model/handletable.h"
#include "model/heap.h"
#include "model/stack.h"
#include "model/statics.h"

#include <stdlib.h>
#include <string.h>

#include "base/vector.h"

enum { MAX_THREADS = 1 << 20, FILL_POINTERS = 16 };

static struct clrsos_error *add(struct clrsos_roots *r, size_t *cap, const struct clrsos_root *x)
{
	struct clrsos_error *err = clrsos_array_reserve(&r->items, cap, r->count + 1);
	if (err)
		return err;
	r->items[r->count++] = *x;
	return NULL;
}

static struct clrsos_error *handles(struct clrsos_dac *dac, struct clrsos_target *target,
				    const struct clrsos_gc *gc, struct clrsos_roots *r, size_t *cap)
{
	struct clrsos_handle *h = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_handles_all(dac, target, gc->server, &h, &n, &r->handles_unlisted);
	if (err)
		return err;
	r->dependents = calloc(n ? n : 1, sizeof(*r->dependents));
	if (!r->dependents) {
		free(h);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (!h[i].readable)
			continue;
		if (h[i].kind == CLRSOS_HANDLE_KIND_DEPENDENT) {
			r->dependents[r->ndependents++] = (struct clrsos_dependent){
				h[i].address, h[i].object, h[i].secondary};
			continue;
		}
		if (!clrsos_handle_is_root(&h[i]) || !h[i].object)
			continue;
		struct clrsos_root root = {
			.kind = CLRSOS_ROOT_HANDLE, .object = h[i].object, .address = h[i].address,
			.handle_type = h[i].kind, .reg = -1, .pinned = h[i].pinned,
		};
		err = add(r, cap, &root);
	}
	free(h);
	return err;
}

static struct clrsos_error *stacks(struct clrsos_dac *dac, struct clrsos_roots *r, size_t *cap)
{
	struct clrsos_dacp_thread_store_data store;
	struct clrsos_error *err = clrsos_dac_thread_store(dac, &store);
	if (err)
		return err;
	uint64_t thread = store.first_thread;
	for (size_t n = 0; thread && n < MAX_THREADS; n++) {
		struct clrsos_dacp_thread_data t;
		if ((err = clrsos_dac_thread_data(dac, thread, &t)))
			return err;
		thread = t.next_thread;
		if (!t.os_thread_id)
			continue;
		struct clrsos_stack_reference *refs = NULL;
		size_t nrefs = 0;
		struct clrsos_error *e = clrsos_stack_references_read(dac, t.os_thread_id, &refs, &nrefs);
		if (clrsos_error_is_no_memory(e))
			return e;
		if (e) {
			clrsos_error_destroy(e);
			r->threads_failed++;
			continue;
		}
		r->threads++;
		for (size_t i = 0; i < nrefs && !err; i++) {
			if (!refs[i].object)
				continue;
			struct clrsos_root root = {
				.kind = CLRSOS_ROOT_STACK,
				.object = refs[i].object,
				.address = refs[i].address,
				.os_thread_id = t.os_thread_id,
				.stack_pointer = refs[i].stack_pointer,
				.source = refs[i].source,
				.source_type = refs[i].source_type,
				.reg = refs[i].reg,
				.interior = refs[i].interior,
				.pinned = refs[i].pinned,
			};
			err = add(r, cap, &root);
		}
		free(refs);
		if (err)
			return err;
	}
	return NULL;
}

/* Objects ready for finalization stay alive until their finalizer ran. */
static struct clrsos_error *finalizer_queue(struct clrsos_dac *dac, struct clrsos_target *target,
					    const struct clrsos_gc *gc, struct clrsos_roots *r,
					    size_t *cap)
{
	for (uint32_t i = 0; i < gc->nheaps; i++) {
		uint64_t fp[FILL_POINTERS];
		uint32_t n = 0;
		struct clrsos_error *err = clrsos_dac_fill_pointers(dac, gc->heaps[i].address, fp,
								    FILL_POINTERS, &n);
		if (err)
			return err;
		if (n < 3)
			continue;
		/* The f-reachable part: the last two ranges but one. */
		uint64_t start = fp[n - 3], end = fp[n - 1];
		if (end <= start || end - start > ((uint64_t)1 << 32) || (start & 7))
			continue;
		for (uint64_t p = start; p < end; p += 8) {
			uint64_t object;
			struct clrsos_error *e = clrsos_target_read_u64(target, p, &object);
			if (e) {
				if ((e = clrsos_error_ignore(e)))
					return e;
				break;
			}
			if (!object)
				continue;
			struct clrsos_root root = {
				.kind = CLRSOS_ROOT_FINALIZER, .object = object, .address = p, .reg = -1,
			};
			if ((err = add(r, cap, &root)))
				return err;
		}
	}
	return NULL;
}

CLRSOS_VECTOR(u64_vector, uint64_t)

/* The module map's callback runs inside a DAC call: it only collects. */
struct mt_list {
	struct u64_vector mts;
	bool oom;
};

static void collect_mt(void *ctx, uint64_t mt)
{
	struct mt_list *l = ctx;
	if (!l->oom && u64_vector_push(&l->mts, mt))
		l->oom = true;
}

struct clrsos_error *clrsos_loaded_types(struct clrsos_dac *dac, uint64_t **ret, size_t *ret_count)
{
	struct clrsos_managed_module *mods;
	size_t n;
	struct clrsos_error *err = clrsos_dac_managed_modules(dac, &mods, &n);
	if (err)
		return err;
	struct mt_list l = {.oom = false};
	u64_vector_init(&l.mts);
	for (size_t i = 0; i < n && !l.oom; i++) {
		/* A module whose types the DAC cannot list adds none. */
		if (clrsos_error_ignore(clrsos_dac_module_types(dac, mods[i].address, collect_mt, &l)))
			l.oom = true;
	}
	clrsos_managed_modules_free(mods, n);
	if (l.oom) {
		u64_vector_deinit(&l.mts);
		return &clrsos_error_no_memory;
	}
	u64_vector_steal(&l.mts, ret, ret_count);
	return NULL;
}

/*
 * The statics arrays the handle walk listed: a class's static reference
 * slots that lie in one are already reached through its handle.
 */
struct handle_arrays {
	uint64_t *objects; /* sorted handle targets */
	int8_t *state;     /* 0 not looked at, 1 an array of references, -1 not */
	uint64_t *ends;    /* for arrays: one past the last element */
	size_t count;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool handle_arrays_init(struct handle_arrays *h, const struct clrsos_roots *r)
{
	memset(h, 0, sizeof(*h));
	size_t n = 0;
	for (size_t i = 0; i < r->count; i++)
		n += r->items[i].kind == CLRSOS_ROOT_HANDLE;
	h->objects = malloc((n ? n : 1) * sizeof(*h->objects));
	h->state = calloc(n ? n : 1, 1);
	h->ends = calloc(n ? n : 1, sizeof(*h->ends));
	if (!h->objects || !h->state || !h->ends)
		return false;
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].kind == CLRSOS_ROOT_HANDLE)
			h->objects[h->count++] = r->items[i].object;
	qsort(h->objects, h->count, sizeof(*h->objects), cmp_u64);
	return true;
}

static void handle_arrays_deinit(struct handle_arrays *h)
{
	free(h->objects);
	free(h->state);
	free(h->ends);
}

/* Whether slot lies inside an array of references some listed handle holds. */
static struct clrsos_error *in_handle_array(struct handle_arrays *h, struct clrsos_dac *dac,
					    struct clrsos_target *target, uint64_t slot, bool *ret)
{
	*ret = false;
	size_t lo = 0, hi = h->count;
	while (lo < hi) { /* the first object above slot */
		size_t mid = lo + (hi - lo) / 2;
		if (h->objects[mid] <= slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	size_t i = lo - 1;
	if (!h->state[i]) {
		uint64_t mt = 0, length = 0;
		struct clrsos_dacp_method_table_data md;
		struct clrsos_error *e = clrsos_target_read_u64(target, h->objects[i], &mt);
		if (!e)
			e = clrsos_target_read_u64(target, h->objects[i] + 8, &length);
		if (!e)
			e = clrsos_dac_method_table_data(dac, mt & ~(uint64_t)7, &md);
		if (!e && md.component_size == 8 && md.contains_pointers) {
			h->state[i] = 1;
			h->ends[i] = h->objects[i] + 16 + (length & 0xffffffffu) * 8;
		} else {
			/* Out of memory is not an answer: the next slot asks again. */
			if ((e = clrsos_error_ignore(e)))
				return e;
			h->state[i] = -1;
		}
	}
	*ret = h->state[i] == 1 && slot >= h->objects[i] + 16 && slot < h->ends[i];
	return NULL;
}

/* A managed thread and its thread-static base for the class at hand. */
struct thread_base {
	uint64_t thread, gc;
	uint32_t os_id;
};
CLRSOS_VECTOR(thread_base_vector, struct thread_base)

/*
 * Class statics, read from each loaded class's static storage:
 * - [ThreadStatic] references: each thread keeps its own storage, which the
 *   GC scans with the thread; neither handles nor stack references show it.
 * - Static references whose statics array no listed handle holds: under
 *   server GC with dynamic adaptation (DATAS) the runtime's handle walk
 *   covers only as many handle tables as there are heaps in use, while the
 *   runtime keeps one per processor; the statics arrays in the others
 *   would be missed.
 */
static struct clrsos_error *class_statics(struct clrsos_dac *dac, struct clrsos_target *target,
					  struct clrsos_roots *r, size_t *cap)
{
	uint64_t *mts = NULL;
	size_t n = 0, slots_cap = 0;
	struct clrsos_error *err = clrsos_loaded_types(dac, &mts, &n);
	if (err)
		return clrsos_error_ignore(err); /* no type list: no class-static roots, as before */
	/* The managed threads, once; per class, each one's thread-static base. */
	struct thread_base_vector tv;
	thread_base_vector_init(&tv);
	struct clrsos_dacp_thread_store_data store;
	if ((err = clrsos_dac_thread_store(dac, &store))) {
		free(mts);
		return err;
	}
	for (uint64_t thread = store.first_thread; thread && tv.count < MAX_THREADS && !err;) {
		struct clrsos_dacp_thread_data td;
		if ((err = clrsos_dac_thread_data(dac, thread, &td)))
			break;
		if ((err = thread_base_vector_push(&tv, (struct thread_base){thread, 0, td.os_thread_id})))
			break;
		thread = td.next_thread;
	}
	struct thread_base *threads = tv.items;
	size_t nthreads = tv.count;
	struct handle_arrays arrays;
	if (err || !handle_arrays_init(&arrays, r)) {
		if (!err) {
			handle_arrays_deinit(&arrays);
			err = &clrsos_error_no_memory;
		}
		thread_base_vector_deinit(&tv);
		free(mts);
		return err;
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct clrsos_dacp_method_table_field_data fd;
		struct clrsos_error *e = clrsos_dac_method_table_field_data(dac, mts[i], &fd);
		if (e || !fd.num_static_fields) {
			err = clrsos_error_ignore(e); /* a class the DAC cannot read: skipped */
			continue;
		}
		/*
		 * Walk exactly this class's own FieldDescs (instance, then static):
		 * the DAC's next-field link runs past the last one, and older DACs
		 * fault reading beyond it.
		 */
		struct clrsos_dacp_method_table_data md;
		uint32_t inherited = 0;
		if ((e = clrsos_dac_method_table_data(dac, mts[i], &md))) {
			err = clrsos_error_ignore(e);
			continue;
		}
		if (md.parent_method_table) {
			struct clrsos_dacp_method_table_field_data pfd;
			if ((e = clrsos_dac_method_table_field_data(dac, md.parent_method_table, &pfd))) {
				err = clrsos_error_ignore(e);
				continue;
			}
			inherited = pfd.num_instance_fields;
		}
		uint32_t own = fd.num_instance_fields > inherited ? fd.num_instance_fields - inherited : 0;
		uint32_t total = own + fd.num_static_fields;
		uint64_t non_gc = 0, gc = 0;
		bool bases = false, thread_bases = false;
		uint64_t at = fd.first_field;
		for (uint32_t k = 0; at && k < total && !err; k++) {
			struct clrsos_dacp_field_desc_data d;
			if ((e = clrsos_dac_field_desc_data(dac, at, &d))) {
				err = clrsos_error_ignore(e);
				break;
			}
			at = d.next_field;
			if (!d.is_static || clrsos_element_is_value(d.type))
				continue;
			if (!d.is_thread_local) {
				if (!bases) {
					bases = true;
					/* No bases: gc stays 0 and the class has no static roots. */
					err = clrsos_error_ignore(
						clrsos_dac_static_bases(dac, mts[i], md.module, &non_gc, &gc));
					if (err)
						break;
				}
				uint64_t object = 0;
				bool held = false;
				if (!gc)
					continue;
				if ((err = in_handle_array(&arrays, dac, target, gc + d.offset, &held)))
					break;
				if (held) {
					/* For the dominator tree only (see static_slots). */
					if (!(e = clrsos_target_read_u64(target, gc + d.offset, &object)) && object &&
					    !(err = clrsos_array_reserve(&r->static_slots, &slots_cap, r->nstatic_slots + 1)))
						r->static_slots[r->nstatic_slots++] = (struct clrsos_root){
							.kind = CLRSOS_ROOT_STATIC, .object = object,
							.address = gc + d.offset, .field_mt = mts[i],
							.field_token = d.token | 0x04000000u, .reg = -1,
						};
					if (e)
						err = clrsos_error_ignore(e);
					continue;
				}
				if (!(e = clrsos_target_read_u64(target, gc + d.offset, &object)) && object) {
					struct clrsos_root root = {
						.kind = CLRSOS_ROOT_STATIC, .object = object, .address = gc + d.offset,
						.field_mt = mts[i], .field_token = d.token | 0x04000000u, .reg = -1,
					};
					err = add(r, cap, &root);
				}
				if (e)
					err = clrsos_error_ignore(e); /* an unreadable slot: no root */
				continue;
			}
			if (!thread_bases) {
				thread_bases = true;
				struct clrsos_thread_statics_key key;
				if ((e = clrsos_thread_statics_locate(dac, mts[i], &key))) {
					err = clrsos_error_ignore(e);
					break;
				}
				for (size_t t = 0; t < nthreads && !err; t++) {
					struct clrsos_static_bases tb = {0, 0};
					/* A thread without this class's storage: gc stays 0. */
					err = clrsos_error_ignore(clrsos_thread_static_bases_at(
						dac, target, &key, threads[t].thread, &tb));
					threads[t].gc = tb.gc;
				}
				if (err)
					break;
			}
			for (size_t t = 0; t < nthreads && !err; t++) {
				uint64_t tgc = threads[t].gc, object = 0;
				if (tgc && !(e = clrsos_target_read_u64(target, tgc + d.offset, &object)) && object) {
					struct clrsos_root root = {
						.kind = CLRSOS_ROOT_THREAD_STATIC, .object = object,
						.address = tgc + d.offset, .os_thread_id = threads[t].os_id,
						.field_mt = mts[i], .field_token = d.token | 0x04000000u, .reg = -1,
					};
					err = add(r, cap, &root);
				}
				if (e)
					err = clrsos_error_ignore(e);
				e = NULL;
			}
		}
	}
	handle_arrays_deinit(&arrays);
	thread_base_vector_deinit(&tv);
	free(mts);
	return err;
}

struct clrsos_error *clrsos_roots_init(struct clrsos_dac *dac, struct clrsos_target *target,
					  const struct clrsos_gc *gc, struct clrsos_roots *ret)
{
	memset(ret, 0, sizeof(*ret));
	size_t cap = 0;
	struct clrsos_error *err = handles(dac, target, gc, ret, &cap);
	if (!err)
		err = stacks(dac, ret, &cap);
	if (!err)
		err = finalizer_queue(dac, target, gc, ret, &cap);
	if (!err)
		err = class_statics(dac, target, ret, &cap);
	if (err)
		clrsos_roots_deinit(ret);
	return err;
}

void clrsos_roots_deinit(struct clrsos_roots *r)
{
	free(r->items);
	free(r->dependents);
	free(r->static_slots);
	memset(r, 0, sizeof(*r));
}

struct clrsos_error *clrsos_finalizer_queue_read(struct clrsos_dac *dac, uint64_t heap_address,
						 struct clrsos_finalizer_queue *ret, bool *ret_present)
{
	memset(ret, 0, sizeof(*ret));
	*ret_present = false;
	uint64_t fp[FILL_POINTERS];
	uint32_t n = 0;
	struct clrsos_error *err = clrsos_dac_fill_pointers(dac, heap_address, fp, FILL_POINTERS, &n);
	if (err || n < 6)
		return err;
	/*
	 * The DAC gives the parts' ends, oldest generation first (so gen0's is
	 * the last of them), then the ready ones; and, first, the queue's start
	 * when there is one more pointer: the large/pinned objects' part.
	 */
	ret->generations[0] = (struct clrsos_finalizer_part){fp[n - 4], fp[n - 3]};
	ret->generations[1] = (struct clrsos_finalizer_part){fp[n - 5], fp[n - 4]};
	ret->generations[2] = (struct clrsos_finalizer_part){fp[n - 6], fp[n - 5]};
	if (n >= 7)
		ret->large = (struct clrsos_finalizer_part){fp[n - 7], fp[n - 6]};
	ret->ready = (struct clrsos_finalizer_part){fp[n - 3], fp[n - 1]};
	*ret_present = true;
	return NULL;
}

struct clrsos_error *clrsos_sync_block_cleanup_count(struct clrsos_dac *dac, uint64_t *ret)
{
	*ret = 0;
	struct clrsos_dacp_sync_block_cleanup_data d;
	struct clrsos_error *err = clrsos_dac_sync_block_cleanup(dac, 0, &d);
	for (uint64_t n = 0; !err && d.sync_block; n++) {
		if (n == 1u << 20)
			return clrsos_error_create(CLRSOS_ERROR_OTHER, "the runtime's SyncBlock cleanup list does not "
						   "end after %u entries (damaged memory?)", 1u << 20);
		(*ret)++;
		if (!d.next_sync_block || d.next_sync_block == d.sync_block)
			break;
		err = clrsos_dac_sync_block_cleanup(dac, d.next_sync_block, &d);
	}
	return err;
}
