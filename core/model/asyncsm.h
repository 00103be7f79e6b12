/*
 * Async state machines: the boxes the runtime makes for async methods that
 * did not finish at once, and the continuation chains between them, as
 * dumpasync shows them.
 *
 * An async method that awaits something unfinished moves its state machine
 * (a struct the compiler writes, in Release builds) into a heap object of
 * type AsyncTaskMethodBuilder<T>+AsyncStateMachineBox<TStateMachine>, a
 * Task<T> whose field StateMachine holds the struct. The struct's field
 * <>1__state says where the method is: -1 running or not started, -2
 * finished, n >= 0 paused at its await number n. The Task's field
 * m_continuationObject says what runs when it completes: another box (the
 * awaiting caller), a TaskContinuation (m_task), an Action whose target
 * (perhaps a ContinuationWrapper) is the awaiting object, or a List<object>
 * of several. A box that no other found object continues to is the top of
 * a stack: the innermost awaited work; its continuations are its callers.
 *
 * One heap walk finds the boxes (and, asked, the other Task objects); what
 * each continuation points at is then read by field name, each field
 * checked to lie inside its object, lists and chains bounded.
 */
#ifndef CLRSOS_ASYNCSM_H
#define CLRSOS_ASYNCSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

/* Task state flags (Task.m_stateFlags). */
enum {
	CLRSOS_TASK_COMPLETED_MASK = 0x1600000, /* RanToCompletion | Faulted | Canceled */
};

struct clrsos_async_object {
	uint64_t address;
	uint64_t mt;
	uint64_t size;
	const char *type_name;      /* the object's type, borrowed from the heap's types */
	bool is_box;                /* an AsyncStateMachineBox (else another Task) */
	bool has_state;             /* is_box and <>1__state was read */
	int32_t state;              /* <>1__state */
	uint64_t sm_mt;             /* the state machine's MethodTable, 0 if unknown */
	uint64_t sm_address;        /* where the state machine is stored (inside the box, or an object) */
	bool sm_is_object;          /* the state machine is a class (Debug builds): sm_address is an object */
	uint32_t flags;             /* m_stateFlags */
	uint64_t continuation_object; /* m_continuationObject as stored (0: none) */
	bool top_level;             /* no other found object continues to it */
	size_t first_continuation;  /* into clrsos_async.continuations */
	size_t ncontinuations;
};

struct clrsos_async {
	struct clrsos_async_object *objects; /* ascending address; malloc'd */
	size_t count;
	uint64_t *continuations;            /* resolved continuation objects; malloc'd */
	size_t ncontinuations;
	struct clrsos_walk_result walk;
};

/*
 * Every state machine box on the heap (tasks: every other Task object too),
 * completed ones included (the caller filters on flags), with their
 * continuations resolved.
 */
struct clrsos_error *clrsos_async_init(struct clrsos_async *a, struct clrsos_heap *heap, struct clrsos_dac *dac,
				       bool tasks);
void clrsos_async_deinit(struct clrsos_async *a);

/* The found object at address, or NULL. */
const struct clrsos_async_object *clrsos_async_find(const struct clrsos_async *a, uint64_t address);

/* What a paused state machine awaits: one of its awaiter fields (<>u__n). */
struct clrsos_async_awaiter {
	uint64_t address;  /* the awaiter object, or (is_value) where the awaiter struct is stored */
	uint64_t mt;
	bool is_value;
};

/*
 * The awaiter a box paused at an await (state >= 0) holds, as SOS guesses
 * it: <>u__1 when the state is 0 or the state machine has one awaiter
 * field (awaits of one awaiter type share it), else the first awaiter
 * field that is set (the compiler clears those it is done with). *found
 * false when there is none to show.
 */
struct clrsos_error *clrsos_async_awaiter(struct clrsos_heap *heap, struct clrsos_dac *dac,
					  const struct clrsos_async_object *o, struct clrsos_async_awaiter *ret,
					  bool *found);

static inline bool clrsos_async_completed(const struct clrsos_async_object *o)
{
	return (o->flags & CLRSOS_TASK_COMPLETED_MASK) != 0;
}

#ifdef __cplusplus
}
#endif

#endif
