/*
 * DAC guard: a fault inside the DAC becomes an error, not a dead debugger.
 *
 * The DAC is the runtime's own code, run inside the debugger, and it follows
 * pointers read from the target: on a thread stopped in the runtime's abort
 * path, a runtime still starting, or a damaged dump it can fault (SIGSEGV,
 * SIGBUS), divide by zero, meet an illegal instruction or abort. A call made
 * under a guard returns to the guard with the signal recorded instead; every
 * other fault in the process goes to the handler that was there before
 * (lldb's own crash reporting), as if clrsos were not loaded.
 *
 * What faulted may have left the DAC's own state half-changed, so the caller
 * abandons that DAC instance (core/dac.c): nothing more is asked of it.
 *
 * Guards are for one thread at a time (the DAC lock serialises calls) and
 * nest: an inner guard inside an outer one on the same thread is the one
 * that catches.
 */
#ifndef CLRSOS_DACGUARD_H
#define CLRSOS_DACGUARD_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_guard {
	sigjmp_buf jump;
	struct clrsos_guard *outer;
	volatile int signal;      /* 0: no fault; else the signal caught */
	volatile uint64_t address; /* the faulting data address (SIGSEGV, SIGBUS) */
	volatile uint64_t pc;      /* where the fault happened */
};

/*
 * Install the fault handlers, or install them again if something replaced
 * them since (the handler found there becomes the one faults outside a
 * guard go to). Cheap when they are in place; call before guarded work.
 */
void clrsos_guard_arm(void);

/* Run stmt under guard g; afterwards g.signal says whether it faulted. */
#define CLRSOS_GUARDED(g, ...)                          \
	do {                                            \
		clrsos_guard_enter(&(g));               \
		if (sigsetjmp((g).jump, 0) == 0) {      \
			__VA_ARGS__;                    \
		}                                       \
		clrsos_guard_leave(&(g));               \
	} while (0)

void clrsos_guard_enter(struct clrsos_guard *g);
void clrsos_guard_leave(struct clrsos_guard *g);

/*
 * "SIGSEGV at libmscordaccore.so+0x13c097 reading 0x0": what g caught, for
 * a message (buf of size bytes, always terminated).
 */
void clrsos_guard_describe(const struct clrsos_guard *g, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
