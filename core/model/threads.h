/*
 * Managed threads: the runtime's threads (ClrMD's ClrThread; target.h's clrsos_thread is the OS thread), as the
 * runtime's thread store lists them at this stop, and the thin-lock
 * owners that name them.
 *
 * A thread list is the caller's struct (init/deinit); its threads are
 * values of their own, not the DAC's records.
 */
#ifndef CLRSOS_THREADS_H
#define CLRSOS_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

/* Thread state bits SOS shows (the runtime's Thread::ThreadState). */
enum {
	CLRSOS_THREAD_STATE_BACKGROUND = 0x200,
	CLRSOS_THREAD_STATE_DEAD = 0x800,
};

struct clrsos_managed_thread {
	uint64_t address;            /* the runtime's Thread (SOS: ThreadOBJ) */
	uint32_t managed_id;
	uint32_t os_id;              /* 0: not started, or gone */
	uint32_t state;              /* CLRSOS_THREAD_STATE_* and others */
	bool cooperative;            /* in cooperative GC mode (preemptive GC disabled) */
	bool is_finalizer, is_gc;
	uint64_t alloc_context;      /* its allocation context: [alloc_context, alloc_limit) */
	uint64_t alloc_limit;
	uint32_t lock_count;
	uint64_t last_thrown_handle; /* the handle of its current exception, 0 if none */
	uint64_t domain;             /* its AppDomain, 0 if the runtime does not say */
	bool nested_exceptions;      /* exceptions thrown while one was in flight */
	uint64_t first_nested;       /* the first of their records (GetNestedExceptionData), 0 if none */
};

struct clrsos_managed_thread_list {
	struct clrsos_managed_thread *items;
	size_t count;
	/* The thread store's own counts (SOS's clrthreads header). */
	int32_t thread_count, unstarted_count, background_count, pending_count, dead_count;
	uint32_t host_config; /* the runtime's hosting flags (CoreCLR: 0, not hosted) */
};

/*
 * The managed threads at this stop, in the store's order. A list that does
 * not end within 2^20 threads (a damaged core) is an error.
 */
struct clrsos_error *clrsos_managed_thread_list_init(struct clrsos_managed_thread_list *list, struct clrsos_dac *dac);
void clrsos_managed_thread_list_deinit(struct clrsos_managed_thread_list *list);

/* One thread, by its Thread address. */
struct clrsos_error *clrsos_managed_thread_read(struct clrsos_dac *dac, uint64_t address, struct clrsos_managed_thread *ret);

/*
 * The thread whose thin-lock id is id (an object header's lock owner):
 * *ret_found false, and no error, if no thread has it.
 */
struct clrsos_error *clrsos_managed_thread_from_thinlock(struct clrsos_dac *dac, uint32_t id, struct clrsos_managed_thread *ret,
						 bool *ret_found);

#ifdef __cplusplus
}
#endif

#endif
