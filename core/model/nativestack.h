/*
 * A thread's whole stack, native frames too: unwound by clrsos itself
 * (target/unwind.h: libunwind over the modules' unwind tables), with the
 * runtime's walk standing in at managed code. For clrstack -f and clrbt.
 */
#ifndef CLRSOS_NATIVESTACK_H
#define CLRSOS_NATIVESTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/stack.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_unwinder;

struct clrsos_native_stack_frame {
	uint64_t sp, ip;
	bool in_module; /* ip lies in a loaded ELF module (else JIT code, a stub, or garbage) */
};

/*
 * The frames of thread os_id from its registers outwards, innermost first,
 * at most max of them (malloc'd). managed (or NULL): the runtime's walk of
 * the same thread; at a managed frame it knows, a step that the frame
 * pointer cannot make takes the runtime's next frame instead.
 */
struct clrsos_error *clrsos_native_stack_walk(struct clrsos_target *target, struct clrsos_unwinder *u,
					      uint32_t os_id, const struct clrsos_managed_stack *managed, size_t max,
					      struct clrsos_native_stack_frame **ret, size_t *ret_count);

/*
 * SOS's dumpstack scan: every pointer-sized word of [start, end) whose value
 * is a return address, that is: the bytes just before it are an x86-64 call
 * instruction (a direct call, or an indirect one through memory or a
 * register, the forms SOS recognises). Heuristic: stale words of frames
 * already left count too. callee: a direct call's target (past any jumps it
 * lands on), CLRSOS_CALLEE_INDIRECT for an indirect call.
 */
enum { CLRSOS_CALLEE_INDIRECT = 1 };
struct clrsos_return_address {
	uint64_t slot;   /* the stack word */
	uint64_t ret;    /* its value */
	uint64_t callee;
};
struct clrsos_error *clrsos_stack_return_addresses(struct clrsos_target *target, uint64_t start, uint64_t end,
						   struct clrsos_return_address **ret, size_t *ret_count);

#ifdef __cplusplus
}
#endif

#endif
