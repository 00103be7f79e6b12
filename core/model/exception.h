/*
 * Exceptions: a System.Exception object as pe shows it (ClrMD's
 * ClrException): its type, message, HResult, inner exception and the stack
 * trace the runtime recorded as it travelled, decoded into frames.
 */
#ifndef CLRSOS_EXCEPTION_H
#define CLRSOS_EXCEPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/objects.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;
struct clrsos_heap;

/* One frame of an exception's recorded stack trace. */
struct clrsos_exception_frame {
	uint64_t ip, sp;
	uint64_t method_desc; /* 0: none recorded */
	char *method;         /* its full name, malloc'd; NULL if unknown */
	char *function;       /* as SOS shows it, "File.dll!Name+0x1a", malloc'd; NULL if unknown */
	char *source_file;    /* after clrsos_exception_sources: from the module's PDB (malloc'd), */
	uint32_t source_line; /* or NULL and 0 */
};

struct clrsos_exception {
	uint64_t address;
	uint64_t mt;
	const char *type_name;        /* borrowed from the heap's types; never NULL */
	uint64_t message;             /* the _message string, 0 if none */
	struct clrsos_string_text message_text;
	int32_t hresult;
	uint64_t inner;               /* _innerException, 0 if none */
	const char *inner_type_name;  /* NULL: inner is not a valid object */
	bool inner_is_exception;
	bool hardware;                /* raised by a fault (SOS's test: _xcode, or the HRESULT's kind) */
	uint64_t stack_trace_string;  /* _stackTraceString, 0 if none */
	struct clrsos_string_text stack_trace_string_text;
	/* The decoded _stackTrace: stack_trace_decoded false if none or not decodable. */
	bool stack_trace_decoded;
	struct clrsos_exception_frame *frames;
	size_t frame_count;
};

/*
 * The exception at address. An address that is not a valid object, or an
 * object that is not an exception, is an error saying so.
 */
struct clrsos_error *clrsos_exception_init(struct clrsos_exception *ex, struct clrsos_heap *heap,
					   struct clrsos_dac *dac, uint64_t address);
void clrsos_exception_deinit(struct clrsos_exception *ex);

/*
 * The inner exception of the exception at address if it is an exception
 * object, else 0; only running out of memory is an error.
 */
struct clrsos_error *clrsos_exception_inner(struct clrsos_heap *heap, struct clrsos_dac *dac, uint64_t address,
					    uint64_t *ret);

/*
 * Whether the type mt is System.Exception or derives from it in *ret (false
 * if unreadable); the error is out of memory only.
 */
struct clrsos_error *clrsos_type_is_exception(struct clrsos_dac *dac, uint64_t mt, bool *ret);

/*
 * The current (last thrown) exception of the managed thread whose OS id is
 * os_thread_id: 0 if it holds none (or is no managed thread). ret_nested
 * (may be NULL): whether exceptions were thrown on it while one was in
 * flight (the runtime's nested exception records).
 */
struct clrsos_error *clrsos_thread_current_exception(struct clrsos_dac *dac, struct clrsos_target *target,
						     uint32_t os_thread_id, uint64_t *ret, bool *ret_nested);

struct clrsos_source_cache;
/*
 * Source file and line of each frame of ex's stack trace, from its module's
 * PDB (model/stack.h), at the IP SOS looks them up at: the IP shown, less
 * one where it is a return address or a throw's (every frame but the first
 * of a hardware-kind exception). Only out of memory is an error.
 */
struct clrsos_error *clrsos_exception_sources(struct clrsos_exception *ex, struct clrsos_dac *dac,
					      struct clrsos_source_cache *cache);

/*
 * The exceptions of the thread os_thread_id's nested exception records
 * (GetNestedExceptionData: the ones in flight when the current one was
 * thrown), most recent first, at most max of them (malloc'd, *ret_count;
 * *ret_more when there are more). A thread that is not managed has none.
 */
struct clrsos_error *clrsos_thread_nested_exceptions(struct clrsos_dac *dac, uint32_t os_thread_id, size_t max,
						     uint64_t **ret, size_t *ret_count, bool *ret_more);

#ifdef __cplusplus
}
#endif

#endif
