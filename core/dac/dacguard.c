#include "dac/dacguard.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

/* The signals a fault in foreign code raises. */
static const int guarded_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
enum { NSIGNALS = sizeof(guarded_signals) / sizeof(guarded_signals[0]) };

/* The handler each signal had before ours: faults outside a guard go there. */
static struct sigaction previous[NSIGNALS];
static pthread_mutex_t arm_lock = PTHREAD_MUTEX_INITIALIZER;

/* The innermost guard and its thread. Set and cleared under the DAC lock
 * by one thread at a time; read by the handler on any thread. */
static struct clrsos_guard *volatile active;
static volatile pthread_t active_thread;

/* An alternate stack for this thread, so that a stack overflow inside the
 * DAC can still be caught; allocated once per thread that guards. */
enum { ALT_STACK_SIZE = 64 * 1024 };

static void ensure_alt_stack(void)
{
	stack_t current;
	if (sigaltstack(NULL, &current) != 0 || !(current.ss_flags & SS_DISABLE))
		return;
	void *mem = malloc(ALT_STACK_SIZE);
	if (!mem)
		return;
	stack_t alt = {.ss_sp = mem, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
	if (sigaltstack(&alt, NULL) != 0)
		free(mem);
	/* Otherwise kept for the thread's life: the kernel may use it at any time. */
}

static int signal_index(int sig)
{
	for (int i = 0; i < NSIGNALS; i++)
		if (guarded_signals[i] == sig)
			return i;
	return -1;
}

/* Hand a fault that is not ours to whoever handled it before. */
static void chain(int sig, siginfo_t *info, void *uc)
{
	int i = signal_index(sig);
	const struct sigaction *prev = i >= 0 ? &previous[i] : NULL;
	if (prev && (prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
		prev->sa_sigaction(sig, info, uc);
		return;
	}
	if (prev && prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
		return;
	}
	/* The default action: restore it and let the fault happen again (a
	 * hardware fault re-executes; a sent signal is sent again). */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (info->si_code <= 0 || sig == SIGABRT)
		raise(sig);
}

static void on_fault(int sig, siginfo_t *info, void *uc)
{
	struct clrsos_guard *g = active;
	if (g && pthread_equal(active_thread, pthread_self())) {
		g->signal = sig;
		g->address = (uint64_t)(uintptr_t)info->si_addr;
#if defined(__x86_64__)
		g->pc = (uint64_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#else
		g->pc = 0;
#endif
		siglongjmp(g->jump, 1);
	}
	chain(sig, info, uc);
}

void clrsos_guard_arm(void)
{
	pthread_mutex_lock(&arm_lock);
	for (int i = 0; i < NSIGNALS; i++) {
		struct sigaction current;
		if (sigaction(guarded_signals[i], NULL, &current) != 0)
			continue;
		if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_fault)
			continue;
		struct sigaction ours;
		memset(&ours, 0, sizeof(ours));
		ours.sa_sigaction = on_fault;
		/* SA_NODEFER: leaving the handler by a jump must not leave the
		 * signal blocked (the jump does not restore the mask). */
		ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
		sigemptyset(&ours.sa_mask);
		previous[i] = current;
		sigaction(guarded_signals[i], &ours, NULL);
	}
	pthread_mutex_unlock(&arm_lock);
	ensure_alt_stack();
}

void clrsos_guard_enter(struct clrsos_guard *g)
{
	g->signal = 0;
	g->address = 0;
	g->pc = 0;
	g->outer = active;
	active_thread = pthread_self();
	active = g;
}

void clrsos_guard_leave(struct clrsos_guard *g)
{
	active = g->outer;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	default: return "a signal";
	}
}

void clrsos_guard_describe(const struct clrsos_guard *g, char *buf, size_t size)
{
	char where[256] = "";
	Dl_info info;
	uintptr_t pc = (uintptr_t)g->pc;
	if (pc && dladdr((void *)pc, &info) && info.dli_fname && info.dli_fbase) {
		const char *slash = strrchr(info.dli_fname, '/');
		snprintf(where, sizeof(where), " at %s+0x%llx", slash ? slash + 1 : info.dli_fname,
			 (unsigned long long)(pc - (uintptr_t)info.dli_fbase));
	} else if (pc) {
		snprintf(where, sizeof(where), " at 0x%llx", (unsigned long long)pc);
	}
	if (g->signal == SIGSEGV || g->signal == SIGBUS)
		snprintf(buf, size, "%s%s reading 0x%llx", signal_name(g->signal), where,
			 (unsigned long long)g->address);
	else
		snprintf(buf, size, "%s%s", signal_name(g->signal), where);
}
