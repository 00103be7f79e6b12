/*
 * Session: clrsos's state for one debugged process: the target, the DAC
 * opened for it, and what was read for the current stop. When the process
 * has run and stopped again, the stop's caches are dropped and the DAC is
 * flushed; a DAC that could not be opened is tried again on the next use
 * (the user may have fixed the cause, e.g. with setclrpath).
 */
#ifndef CLRSOS_SESSION_H
#define CLRSOS_SESSION_H

#include "dac.h"
#include "error.h"
#include "runtime.h"
#include "target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_session;

/* The session takes ownership of target. */
struct clrsos_error *clrsos_session_create(struct clrsos_target *target,
					   struct clrsos_session **ret);
void clrsos_session_destroy(struct clrsos_session *session);

struct clrsos_target *clrsos_session_target(struct clrsos_session *session);

/* The directory named by setclrpath (NULL or "" clears it); reopens the DAC. */
struct clrsos_error *clrsos_session_set_clr_path(struct clrsos_session *session,
						 const char *dir);
const char *clrsos_session_clr_path(struct clrsos_session *session);

/* Start of every command: drop what belongs to an earlier stop. */
void clrsos_session_refresh(struct clrsos_session *session);

/* The DAC, opened on first use. Borrowed. */
struct clrsos_error *clrsos_session_dac(struct clrsos_session *session,
					struct clrsos_dac **ret);

/* The GC heap layout of this stop. Borrowed. */
struct clrsos_error *clrsos_session_gc(struct clrsos_session *session,
				       const struct clrsos_gc **ret);

#ifdef __cplusplus
}
#endif

#endif
