/* A thread's stack unwound by clrsos, native and managed frames alike. */
#include <stdlib.h>

#include "model/nativestack.h"
#include "target/unwind.h"

/* The runtime's managed frame at (ip, sp), or -1. */
static long managed_frame_at(const struct clrsos_managed_stack *m, uint64_t ip, uint64_t sp)
{
	for (size_t i = 0; m && i < m->count; i++)
		if (!m->frames[i].frame && m->frames[i].ip == ip && m->frames[i].sp == sp)
			return (long)i;
	return -1;
}

struct clrsos_error *clrsos_native_stack_walk(struct clrsos_target *target, struct clrsos_unwinder *u,
					      uint32_t os_id, const struct clrsos_managed_stack *managed, size_t max,
					      struct clrsos_native_stack_frame **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	struct clrsos_regs regs;
	struct clrsos_error *err = clrsos_target_registers(target, os_id, &regs);
	if (err)
		return err;
	struct clrsos_native_stack_frame *frames = calloc(max ? max : 1, sizeof(*frames));
	if (!frames)
		return &clrsos_error_no_memory;
	struct clrsos_unwind_walk *w = malloc(sizeof(*w));
	if (!w) {
		free(frames);
		return &clrsos_error_no_memory;
	}
	clrsos_unwind_begin(w, u, &regs);
	size_t n = 0;
	while (n < max) {
		uint64_t ip = w->regs.rip, sp = w->regs.rsp;
		bool in_module = clrsos_unwind_in_module(u, ip);
		frames[n++] = (struct clrsos_native_stack_frame){.sp = sp, .ip = ip, .in_module = in_module};
		long k = in_module ? -1 : managed_frame_at(managed, ip, sp);
		/* Managed code: the runtime's registers for it are the right ones to step from. */
		if (k >= 0)
			clrsos_unwind_reset(w, &managed->frames[k].regs);
		if (clrsos_unwind_step(w))
			continue;
		/* The frame pointer did not lead on: the runtime's next managed frame, if it has one. */
		size_t next = (size_t)(k + 1);
		while (k >= 0 && next < managed->count && managed->frames[next].frame)
			next++;
		if (k < 0 || next >= managed->count || managed->frames[next].sp <= sp)
			break;
		clrsos_unwind_reset(w, &managed->frames[next].regs);
	}
	free(w);
	*ret = frames;
	*ret_count = n;
	return NULL;
}
