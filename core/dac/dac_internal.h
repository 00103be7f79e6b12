/*
 * The DAC floor's private declarations: shared by the .c files of core/dac/ only, never
 * included from another floor (dac.h is the floor's interface).
 *
 *   dac.c         opening and closing an instance, crash handling, errors
 *   datatarget.c  the COM data target the DAC reads the target through
 *   loadpolicy.c  which DAC file may be loaded, and loading it
 *   calls.c       the typed ISOSDacInterface wrappers
 *   stackwalk.c   a managed thread's frames, arguments and locals
 */
#ifndef CLRSOS_DAC_INTERNAL_H
#define CLRSOS_DAC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/utf.h"
#include "dac/com.h"
#include "dac/dac.h"
#include "dac/dacguard.h"
#include "target/elfimage.h"
#include "target/target.h"

/*
 * Every DAC call runs under a fault guard (sigsetjmp, core/dac/dacguard.h). A
 * guarded statement changes only volatile locals and memory through
 * pointers, so no local is clobbered by the jump back; GCC cannot see that.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wclobbered"
#endif

/* The DAC is not thread-safe: one process-wide lock around every call. */
extern pthread_mutex_t clrsos_dac_lock;

/*
 * Our data target (datatarget.c): one object exposing three interfaces,
 * each a vtable pointer inside it; a method finds the object from its
 * interface pointer.
 */
struct clrsos_data_target {
	const void *const *target_vtbl;
	const void *const *runtime_locator_vtbl;
	const void *const *metadata_locator_vtbl;
	const void *const *unwind_vtbl; /* ICorDebugDataTarget4 */
	uint32_t refs;
	struct clrsos_target *target;
	uint64_t runtime_base;
	/* The first address the DAC asked for and the target lacked, during the
	 * current call: a failed call names it. */
	uint64_t fault;
	bool faulted;
};

/* A data target over target with one reference, or NULL out of memory. */
struct clrsos_data_target *clrsos_data_target_create(struct clrsos_target *target,
						     uint64_t runtime_base);
/* An AMD64 CONTEXT (Windows layout, size bytes, at least 0x100) from registers, and back. */
void clrsos_context_from_regs(const struct clrsos_regs *r, uint32_t flags, uint8_t *ctx, size_t size);
void clrsos_regs_from_context(const uint8_t *ctx, struct clrsos_regs *r);
/* Drop a reference (the DAC holds its own); the last one frees it. */
uint32_t clrsos_data_target_release(struct clrsos_data_target *dt);

struct clrsos_dac {
	struct clrsos_data_target *data_target;
	void *process; /* IXCLRDataProcess */
	void *sos;     /* ISOSDacInterface */
	void *sos3, *sos5, *sos6, *sos7, *sos8, *sos12, *sos13, *sos14, *sos15, *sos16;
	char *path;
	char *runtime_path;
	uint64_t runtime_base;
	char build_id[2 * CLRSOS_BUILD_ID_MAX + 1];
	/* A call faulted inside the DAC: its state may be half-changed, so
	 * nothing more is asked of this instance (core/dac/dacguard.h). */
	bool crashed;
	bool crash_reported;  /* a command's end has said so already */
	bool crash_recovered; /* the locks it left held were released */
	char crash_call[64];  /* the call that faulted ("GetStackReferences") */
	char crash_how[192];  /* "SIGSEGV at libmscordaccore.so+0x13c097 reading 0x0" */
	void *lib;            /* the DAC library this instance runs in */
};

/* What a call into a DAC that crashed returns: it is not made. */
#define DAC_CRASHED_HR ((clrsos_hresult)0x8000ffff) /* E_UNEXPECTED */

/* Record that guard g caught a fault in the DAC during call (a slot name). */
void clrsos_dac_note_crash(struct clrsos_dac *dac, const struct clrsos_guard *g, const char *call);

/*
 * Run stmt (calls into the DAC) under the DAC lock and a fault guard; a
 * fault marks the DAC crashed. On a DAC that crashed, stmt is not run.
 */
#define DAC_GUARD(call, ...)                                            \
	do {                                                             \
		pthread_mutex_lock(&clrsos_dac_lock);                    \
		if (!dac->crashed) {                                     \
			struct clrsos_guard guard_;                      \
			CLRSOS_GUARDED(guard_, __VA_ARGS__);                    \
			if (guard_.signal)                               \
				clrsos_dac_note_crash(dac, &guard_, call); \
		}                                                        \
		pthread_mutex_unlock(&clrsos_dac_lock);                  \
	} while (0)
/* Call slot of iface under the DAC lock and a fault guard. */
#define DAC_CALL(hr, iface, slot, fn_type, ...)                          \
	do {                                                             \
		volatile clrsos_hresult hr_ = DAC_CRASHED_HR;            \
		dac->data_target->faulted = false;                       \
		DAC_GUARD(#slot, hr_ = CLRSOS_COM_SLOT(iface, slot, fn_type)(iface, ##__VA_ARGS__)); \
		(hr) = hr_;                                              \
	} while (0)

/*
 * The error for a failed call answering what: the crash if the DAC
 * crashed (dac_crash set: if the user sees it, clrsos_dac_take_crash does
 * not repeat it), a fault if the DAC lacked target memory, else the HRESULT.
 */
struct clrsos_error *clrsos_dac_call_failed(struct clrsos_dac *dac, const char *what,
					    clrsos_hresult hr);

/* n UTF-16 units as UTF-8, malloc'd (NULL: out of memory). */
static inline char *clrsos_dac_utf16_to_utf8(const uint16_t *s, size_t n)
{
	/* Each unit takes at most 3 bytes; the encoder wants room for 4 and the NUL. */
	char *out = malloc(n * 3 + 5);
	if (out)
		clrsos_utf16_to_utf8(s, n, out, n * 3 + 5);
	return out;
}

/*
 * The IL-to-native map of a method instance (an IXCLRDataMethodInstance),
 * *ret malloc'd; ip only names the code in an error.
 */
struct clrsos_error *clrsos_dac_instance_il_map(struct clrsos_dac *dac, void *method, uint64_t ip,
						struct clrsos_dac_il_map_entry **ret, size_t *ret_count);

/*
 * The method instance (an IXCLRDataMethodInstance) whose code holds ip
 * (*ret_method NULL: none), and the enumeration that found it: an error
 * when it could not start; else clrsos_dac_instance_close ends both.
 */
struct clrsos_error *clrsos_dac_instance_open(struct clrsos_dac *dac, uint64_t ip, uint64_t *ret_handle,
					      void **ret_method);
void clrsos_dac_instance_close(struct clrsos_dac *dac, uint64_t handle, void *method);

#endif
