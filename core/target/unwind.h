/*
 * Native unwinding: a thread's frames in native code, unwound by
 * libunwind's remote API through the target (memory and registers as
 * clrsos reads them, a core's missing read-only pages served from the
 * modules' files), with the unwind tables (.eh_frame_hdr and .eh_frame)
 * found in the modules' mapped images. Code in no module (JIT-compiled
 * code, stubs) is stepped by its frame pointer; a caller that knows
 * better (the runtime's walk) gives the caller's registers itself.
 */
#ifndef CLRSOS_UNWIND_H
#define CLRSOS_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_unwinder;

struct clrsos_error *clrsos_unwinder_create(struct clrsos_target *target, struct clrsos_unwinder **ret);
void clrsos_unwinder_destroy(struct clrsos_unwinder *u);

/* Whether ip lies in a loaded ELF module (native code whose tables the unwinder reads). */
bool clrsos_unwind_in_module(struct clrsos_unwinder *u, uint64_t ip);

/*
 * A walk: start at a thread's registers, then step to each caller.
 * clrsos_unwind_step returns true with *regs the caller's registers, or
 * false at the end of the stack (or where no unwinding goes on: the stack
 * pointer would not grow, the return address is 0). Registers the frame's
 * unwind data does not restore keep their values.
 */
struct clrsos_unwind_walk {
	struct clrsos_unwinder *u;
	struct clrsos_regs regs;      /* the current frame's */
	struct clrsos_regs init_regs; /* where libunwind's cursor began */
	bool cursor_valid, first;
	uint64_t cursor[128];         /* libunwind's unw_cursor_t, kept opaque here */
};

void clrsos_unwind_begin(struct clrsos_unwind_walk *w, struct clrsos_unwinder *u, const struct clrsos_regs *regs);
bool clrsos_unwind_step(struct clrsos_unwind_walk *w);
/* Set the current frame's registers (the runtime knows a managed frame's better); the next step starts from them. */
void clrsos_unwind_reset(struct clrsos_unwind_walk *w, const struct clrsos_regs *regs);

/*
 * One frame's caller, from its registers alone (ICorDebugDataTarget4's
 * VirtualUnwind): *regs becomes the caller's. False where it cannot.
 */
bool clrsos_unwind_virtual(struct clrsos_unwinder *u, struct clrsos_regs *regs);

#ifdef __cplusplus
}
#endif

#endif
