/* Threads: the runtime's managed threads (threads.h). */
#include "threads.h"

#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"
#include "base/vector.h"

enum { MAX_THREADS = 1 << 20 };

static void from_dac(struct clrsos_managed_thread *t, uint64_t address, const struct clrsos_dacp_thread_data *d)
{
	memset(t, 0, sizeof(*t));
	t->address = address;
	t->managed_id = d->cor_thread_id;
	t->os_id = d->os_thread_id;
	t->state = (uint32_t)d->state;
	t->cooperative = d->preemptive_gc_disabled != 0;
	t->alloc_context = d->alloc_context_ptr;
	t->alloc_limit = d->alloc_context_limit;
	t->lock_count = d->lock_count;
	t->last_thrown_handle = d->last_thrown_object_handle;
	t->domain = d->domain;
	t->nested_exceptions = d->first_nested_exception != 0;
	t->first_nested = d->first_nested_exception;
}

struct clrsos_error *clrsos_managed_thread_read(struct clrsos_dac *dac, uint64_t address, struct clrsos_managed_thread *ret)
{
	struct clrsos_dacp_thread_data d;
	struct clrsos_error *err = clrsos_dac_thread_data(dac, address, &d);
	if (err)
		return err;
	from_dac(ret, address, &d);
	return NULL;
}

struct clrsos_error *clrsos_managed_thread_list_init(struct clrsos_managed_thread_list *list, struct clrsos_dac *dac)
{
	memset(list, 0, sizeof(*list));
	struct clrsos_dacp_thread_store_data store;
	struct clrsos_error *err = clrsos_dac_thread_store(dac, &store);
	if (err)
		return err;
	list->thread_count = store.thread_count;
	list->unstarted_count = store.unstarted_thread_count;
	list->background_count = store.background_thread_count;
	list->pending_count = store.pending_thread_count;
	list->dead_count = store.dead_thread_count;
	list->host_config = store.host_config;
	size_t capacity = 0;
	uint64_t next = store.first_thread;
	while (next) {
		if (list->count == MAX_THREADS) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER,
						  "the runtime's thread list does not end after %d threads (damaged memory?)",
						  MAX_THREADS);
			goto fail;
		}
		struct clrsos_dacp_thread_data d;
		if ((err = clrsos_dac_thread_data(dac, next, &d)))
			goto fail;
		if ((err = clrsos_array_reserve(&list->items, &capacity, list->count + 1)))
			goto fail;
		struct clrsos_managed_thread *t = &list->items[list->count++];
		from_dac(t, next, &d);
		t->is_finalizer = next == store.finalizer_thread;
		t->is_gc = next == store.gc_thread;
		next = d.next_thread;
	}
	return NULL;
fail:
	clrsos_managed_thread_list_deinit(list);
	return err;
}

void clrsos_managed_thread_list_deinit(struct clrsos_managed_thread_list *list)
{
	free(list->items);
	memset(list, 0, sizeof(*list));
}

struct clrsos_error *clrsos_managed_thread_from_thinlock(struct clrsos_dac *dac, uint32_t id, struct clrsos_managed_thread *ret,
						 bool *ret_found)
{
	*ret_found = false;
	uint64_t address;
	struct clrsos_error *err = clrsos_dac_thread_from_thinlock(dac, id, &address);
	if (err || !address)
		return err;
	if ((err = clrsos_managed_thread_read(dac, address, ret)))
		return err;
	*ret_found = true;
	return NULL;
}
