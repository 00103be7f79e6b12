/*
 * GC handles, as values of their own (ClrMD's ClrHandle): every handle the
 * runtime lists, plus those it leaves out. Under server GC the runtime
 * keeps one handle table per processor in each bucket, but its debugging
 * walk (up to .NET 10) visits only as many tables as there are heaps in
 * use; with dynamic adaptation (DATAS) that is fewer, and the handles in
 * the other tables go unlisted (dotnet/runtime#124872). This reads those
 * tables from the target's memory: the handle table map is found in the
 * runtime's data by its shape and confirmed through a table the runtime's
 * walk did list (every segment points back to its table).
 */
#ifndef CLRSOS_HANDLETABLE_H
#define CLRSOS_HANDLETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

/* A handle's kind: the runtime's HandleType values (gcinterface.h). */
enum clrsos_handle_kind {
	CLRSOS_HANDLE_KIND_WEAK_SHORT = 0,
	CLRSOS_HANDLE_KIND_WEAK_LONG = 1,
	CLRSOS_HANDLE_KIND_STRONG = 2,
	CLRSOS_HANDLE_KIND_PINNED = 3,
	CLRSOS_HANDLE_KIND_VARIABLE = 4,
	CLRSOS_HANDLE_KIND_REF_COUNTED = 5,
	CLRSOS_HANDLE_KIND_DEPENDENT = 6,
	CLRSOS_HANDLE_KIND_ASYNC_PINNED = 7,
	CLRSOS_HANDLE_KIND_SIZED_REF = 8,
	CLRSOS_HANDLE_KIND_WEAK_WINRT = 9,
	CLRSOS_HANDLE_KINDS = 10,
};

struct clrsos_handle {
	uint64_t address;   /* the handle: its slot holds the object */
	uint64_t object;    /* what the slot holds (0 if unreadable or freed) */
	bool readable;      /* the slot could be read */
	uint32_t kind;      /* enum clrsos_handle_kind (others: unknown) */
	uint64_t secondary; /* dependent handles: the object the primary keeps alive */
	uint32_t ref_count; /* ref-counted handles */
	bool strong;        /* the runtime's strong_reference (variable handles: strong now) */
	bool pinned;        /* pinned or async-pinned */
};

/* SOS's name of a handle kind ("Strong", "AsyncPinned"), "Unknown" for others. */
const char *clrsos_handle_type_name(uint32_t kind);

/* Whether the handle keeps its object alive (a root): strong, pinned, counted, ... */
bool clrsos_handle_is_root(const struct clrsos_handle *h);

/*
 * The runtime's handle list, plus, under server GC, the handles of the
 * tables its walk skipped (*ret_extra of them, at the end), each with its
 * object read (malloc'd). A failure to read the skipped tables is not an
 * error: the runtime's list stands alone (*ret_extra is 0).
 */
struct clrsos_error *clrsos_handles_all(struct clrsos_dac *dac, struct clrsos_target *target, bool server,
					struct clrsos_handle **ret, size_t *ret_count, size_t *ret_extra);

struct clrsos_range {
	uint64_t start, end;
};

/*
 * The live handles of the tables the runtime's list (listed) left out,
 * given the runtime's writable data ranges where the handle table map
 * lives (malloc'd; *ret_count 0 when the map is not found).
 */
struct clrsos_error *clrsos_handle_tables_unlisted(struct clrsos_target *target, const struct clrsos_range *data,
						   size_t ndata, const struct clrsos_handle *listed, size_t nlisted,
						   struct clrsos_handle **ret, size_t *ret_count);

#ifdef __cplusplus
}
#endif

#endif
