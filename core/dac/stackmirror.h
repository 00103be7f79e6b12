/*
 * Stack mirror: a thread's stack, copied into the debugger's own address
 * space at the address it has in the target, for the length of one DAC call.
 *
 * The runtime's DAC reads the target through its data target, except where
 * its own code takes a target address for a pointer of the debugger's: on a
 * thread that threw (the runtime's SoftwareExceptionFrame keeps pointers to
 * where callee-saved registers were pushed, and the DAC's GC reference walk
 * follows them as they are), enumerating the stack's references dereferences
 * addresses of the target's stack in the debugger's process, and faults.
 * The dotnet-dump of the same release crashes there too.
 *
 * With the stack's pages present at the same addresses, holding the target's
 * bytes, such a dereference reads what the target holds there: the answer is
 * the one the runtime itself would give. A mirror is made only where the
 * debugger has nothing mapped (MAP_FIXED_NOREPLACE never replaces a mapping
 * of ours), read-only, and is removed right after the call. When the range
 * is taken, or the kernel does not know MAP_FIXED_NOREPLACE, there is no
 * mirror and the call runs as before (a fault is then caught by the DAC
 * guard and reported).
 */
#ifndef CLRSOS_STACKMIRROR_H
#define CLRSOS_STACKMIRROR_H

#include <stddef.h>
#include <stdint.h>

#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_stack_mirror {
	void *base;   /* NULL: no mirror */
	size_t size;
};

/*
 * Mirror the stack of thread os_id from its stack pointer up to where the
 * target's readable memory ends (at most max bytes). Never fails: *m says
 * whether a mirror exists.
 */
void clrsos_stack_mirror_map(struct clrsos_target *target, uint32_t os_id, size_t max,
			     struct clrsos_stack_mirror *m);
void clrsos_stack_mirror_unmap(struct clrsos_stack_mirror *m);

#ifdef __cplusplus
}
#endif

#endif
