#include "roots.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_THREADS = 1 << 20, FILL_POINTERS = 16 };

const char *clrsos_handle_type_name(uint32_t type)
{
	static const char *const names[] = {
		"WeakShort", "WeakLong", "Strong", "Pinned", "Variable", "RefCounted",
		"Dependent", "AsyncPinned", "SizedRef", "WeakWinRT",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "Unknown";
}

static struct clrsos_error *add(struct clrsos_roots *r, size_t *cap, const struct clrsos_root *x)
{
	if (r->count == *cap) {
		size_t n = *cap ? *cap * 2 : 256;
		struct clrsos_root *items = realloc(r->items, n * sizeof(*items));
		if (!items)
			return &clrsos_error_no_memory;
		r->items = items;
		*cap = n;
	}
	r->items[r->count++] = *x;
	return NULL;
}

static struct clrsos_error *handles(struct clrsos_dac *dac, struct clrsos_target *target,
				    struct clrsos_roots *r, size_t *cap)
{
	struct clrsos_sos_handle_data *h = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_handles(dac, &h, &n);
	if (err)
		return err;
	r->dependents = calloc(n ? n : 1, sizeof(*r->dependents));
	if (!r->dependents) {
		free(h);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t object = 0;
		struct clrsos_error *e = clrsos_target_read_u64(target, h[i].handle, &object);
		if (e) {
			clrsos_error_destroy(e);
			continue;
		}
		if (h[i].type == CLRSOS_HANDLE_DEPENDENT) {
			r->dependents[r->ndependents++] = (struct clrsos_dependent){
				h[i].handle, object, h[i].secondary};
			continue;
		}
		bool strong = h[i].type == CLRSOS_HANDLE_STRONG || h[i].type == CLRSOS_HANDLE_PINNED ||
			      h[i].type == CLRSOS_HANDLE_ASYNC_PINNED || h[i].type == CLRSOS_HANDLE_SIZED_REF ||
			      (h[i].type == CLRSOS_HANDLE_REF_COUNTED && h[i].ref_count > 0) ||
			      (h[i].type == CLRSOS_HANDLE_VARIABLE && h[i].strong_reference);
		if (!strong || !object)
			continue;
		struct clrsos_root root = {
			.kind = CLRSOS_ROOT_HANDLE, .object = object, .address = h[i].handle,
			.handle_type = h[i].type, .reg = -1,
			.pinned = h[i].type == CLRSOS_HANDLE_PINNED || h[i].type == CLRSOS_HANDLE_ASYNC_PINNED,
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
		struct clrsos_sos_stack_ref *refs = NULL;
		size_t nrefs = 0;
		struct clrsos_error *e = clrsos_dac_stack_refs(dac, t.os_thread_id, &refs, &nrefs);
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
				.reg = refs[i].has_register_information ? refs[i].reg : -1,
				.interior = (refs[i].flags & CLRSOS_STACK_REF_INTERIOR) != 0,
				.pinned = (refs[i].flags & CLRSOS_STACK_REF_PINNED) != 0,
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
				clrsos_error_destroy(e);
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

struct clrsos_error *clrsos_roots_collect(struct clrsos_dac *dac, struct clrsos_target *target,
					  const struct clrsos_gc *gc, struct clrsos_roots *ret)
{
	memset(ret, 0, sizeof(*ret));
	size_t cap = 0;
	struct clrsos_error *err = handles(dac, target, ret, &cap);
	if (!err)
		err = stacks(dac, ret, &cap);
	if (!err)
		err = finalizer_queue(dac, target, gc, ret, &cap);
	if (err)
		clrsos_roots_deinit(ret);
	return err;
}

void clrsos_roots_deinit(struct clrsos_roots *r)
{
	free(r->items);
	free(r->dependents);
	memset(r, 0, sizeof(*r));
}
