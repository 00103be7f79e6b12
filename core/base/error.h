/*
 * Errors: every function in core/ that can fail returns a struct clrsos_error *;
 * NULL means success. The caller owns a returned error and frees it with
 * clrsos_error_destroy(). The out-of-memory error is a static object, so
 * reporting it never allocates (destroying it is a no-op).
 *
 * The message is one line for the user: what went wrong and what to do.
 */
#ifndef CLRSOS_ERROR_H
#define CLRSOS_ERROR_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum clrsos_error_code {
	CLRSOS_ERROR_OTHER = 1,
	CLRSOS_ERROR_NO_MEMORY,      /* allocation failed in the debugger */
	CLRSOS_ERROR_INVALID_ARGUMENT,
	CLRSOS_ERROR_NO_TARGET,      /* no target or no process */
	CLRSOS_ERROR_NO_RUNTIME,     /* no libcoreclr.so in the target */
	CLRSOS_ERROR_DAC,            /* the DAC could not be found, trusted or used */
	CLRSOS_ERROR_FAULT,          /* target memory could not be read */
	CLRSOS_ERROR_GC_IN_PROGRESS, /* stopped in the middle of a GC */
	CLRSOS_ERROR_IO,             /* a file could not be read or written */
	CLRSOS_ERROR_INTERRUPTED,    /* the user stopped the command (Ctrl-C) */
};

struct clrsos_error {
	enum clrsos_error_code code;
	uint64_t address; /* for CLRSOS_ERROR_FAULT: the first address not read */
	char *message;
	bool dac_crash;   /* the message says the runtime's DAC crashed (core/dac/dac.h) */
};

extern struct clrsos_error clrsos_error_no_memory;

/*
 * Never NULL: out of memory, they return &clrsos_error_no_memory. Said to
 * the compiler too, so that it knows a function returning one of them has
 * failed (and left its out-parameters unset).
 */
struct clrsos_error *clrsos_error_create(enum clrsos_error_code code,
					 const char *fmt, ...)
	__attribute__((format(printf, 2, 3), returns_nonnull));

struct clrsos_error *clrsos_error_fault(uint64_t address, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), returns_nonnull));

/* Prefix an error's message with more context ("reading X: <old message>"). */
struct clrsos_error *clrsos_error_wrap(struct clrsos_error *err,
				       const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void clrsos_error_destroy(struct clrsos_error *err);

/* The code's name for scripts ("invalidArgument", "fault"): --json errors carry it. */
const char *clrsos_error_code_name(enum clrsos_error_code code);

/*
 * Whether err is an allocation failure. A caller that drops an error to
 * carry on ("no name", "not readable") must not drop this one: running out
 * of memory is reported as such, never turned into an answer.
 */
static inline int clrsos_error_is_no_memory(const struct clrsos_error *err)
{
	return err && err->code == CLRSOS_ERROR_NO_MEMORY;
}

/*
 * Drop an error a caller may carry on without ("no file name", "no method
 * there"), unless it is an allocation failure: returns NULL after
 * destroying any other error, and err itself if it is out of memory.
 *
 *	if ((err = clrsos_error_ignore(clrsos_dac_module_file(dac, m, &file))))
 *		return err;
 */
struct clrsos_error *clrsos_error_ignore(struct clrsos_error *err);

#ifdef __cplusplus
}
#endif

#endif
