/*
 * GC info: the runtime's per-method table (GcInfo encoding, versions 2 to
 * 4, x64) that says which registers and stack slots hold object
 * references at each point of a JIT-compiled method. Decoded from its
 * bytes (read from the target by the caller) into a header, a slot table
 * and the live slots at each safepoint and across the fully interruptible
 * ranges; clrsos_gcinfo_transitions then lists the changes offset by
 * offset, as SOS's GCInfo prints them. No target access here.
 */
#ifndef CLRSOS_GCINFO_H
#define CLRSOS_GCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a stack slot's offset is from. */
enum clrsos_gcinfo_base {
	CLRSOS_GCINFO_CALLER_SP = 0,
	CLRSOS_GCINFO_SP = 1,
	CLRSOS_GCINFO_FRAME_REG = 2,
};

enum clrsos_gcinfo_slot_flags {
	CLRSOS_GCINFO_INTERIOR = 0x1,
	CLRSOS_GCINFO_PINNED = 0x2,
};

enum clrsos_gcinfo_generics {
	CLRSOS_GCINFO_GENERICS_NONE = 0,
	CLRSOS_GCINFO_GENERICS_METHODTABLE = 1, /* a MethodTable (METHODHANDLE) */
	CLRSOS_GCINFO_GENERICS_METHODDESC = 2,
	CLRSOS_GCINFO_GENERICS_THIS = 3,
};

struct clrsos_gcinfo_slot {
	bool is_register;
	bool untracked;
	uint8_t base;      /* enum clrsos_gcinfo_base (stack slots) */
	uint8_t flags;     /* enum clrsos_gcinfo_slot_flags */
	uint32_t reg;      /* register number (x64: 0 rax .. 15 r15) */
	int32_t offset;    /* stack slot: bytes from base */
};

struct clrsos_gcinfo_range {
	uint32_t start, stop; /* [start, stop) code offsets */
};

struct clrsos_gcinfo_chunk_slot;

struct clrsos_gcinfo {
	uint32_t version;          /* the GcInfo version it was decoded as */
	bool slim_header;
	uint32_t header_flags;     /* the fat header's flag bits (slim: as implied) */
	bool has_return_kind;      /* versions before 4 */
	uint32_t return_kind;
	uint32_t code_length;
	uint32_t prolog_size;      /* the valid range start (GS cookie or generics context) */
	uint32_t valid_range_start, valid_range_end;
	bool varargs;
	bool wants_report_only_leaf;
	bool has_gs_cookie;
	int32_t gs_cookie;         /* caller SP relative */
	bool has_psp_sym;          /* versions before 4 */
	int32_t psp_sym;
	uint8_t generics;          /* enum clrsos_gcinfo_generics */
	int32_t generics_context;  /* caller SP relative */
	bool has_frame_register;
	uint32_t frame_register;
	bool has_enc_area;
	uint32_t enc_area;
	bool has_reverse_pinvoke;
	int32_t reverse_pinvoke;
	uint32_t stack_parameter_area;
	uint32_t *safepoints;      /* code offsets as encoded, ascending */
	size_t nsafepoints;
	struct clrsos_gcinfo_range *ranges;
	size_t nranges;
	struct clrsos_gcinfo_slot *slots; /* tracked first, then untracked */
	size_t nslots, ntracked;
	size_t bits;               /* how many bits the decoder read (the end it reached) */
	/* Live state: one byte per (safepoint, tracked slot). */
	uint8_t *safepoint_live;
	/* Per 64-offset chunk of the interruptible code: its slots' live masks. */
	uint32_t nchunks;
	uint32_t *chunk_first, *chunk_count; /* into chunk_slots; count UINT32_MAX: no chunk data */
	struct clrsos_gcinfo_chunk_slot *chunk_slots;
	size_t nchunk_slots;
};

/*
 * Decode size bytes of GC info encoded as version (2..5; 2 and 3 are one
 * format). A truncated or malformed blob fails with one line naming the
 * bit where decoding stopped. Deinit after success only.
 */
struct clrsos_error *clrsos_gcinfo_decode(const uint8_t *bytes, size_t size, uint32_t version,
					  struct clrsos_gcinfo *ret);
void clrsos_gcinfo_deinit(struct clrsos_gcinfo *gi);

/* The GcInfo version of JIT-compiled code in a runtime of that major version. */
uint32_t clrsos_gcinfo_version_for_runtime(unsigned major);

/* Is code offset inside a fully interruptible range; the index of a safepoint at it or -1. */
bool clrsos_gcinfo_interruptible_at(const struct clrsos_gcinfo *gi, uint32_t offset);
long clrsos_gcinfo_safepoint_at(const struct clrsos_gcinfo *gi, uint32_t offset);

/*
 * The tracked slots live at offset (live[i] for slot i, ntracked bytes):
 * a safepoint's state there, else the interruptible state, else none.
 */
void clrsos_gcinfo_live_at(const struct clrsos_gcinfo *gi, uint32_t offset, uint8_t *live);

/* One step of the offset-by-offset walk SOS's GCInfo prints. */
enum clrsos_gcinfo_event_kind {
	CLRSOS_GCINFO_UNTRACKED,       /* slot is untracked (live throughout) */
	CLRSOS_GCINFO_INTERRUPTIBLE,   /* live: interruptible from offset on, or not */
	CLRSOS_GCINFO_SAFEPOINT,       /* offset is a safepoint */
	CLRSOS_GCINFO_SLOT,            /* slot becomes live or dead at offset */
};

struct clrsos_gcinfo_event {
	uint8_t kind;
	bool live;
	uint32_t offset;
	uint32_t slot;
};

/*
 * All events from offset 0 to the code length: untracked slots, then per
 * offset an interruptibility change, a safepoint, the slots that died and
 * then the ones that became live (each highest slot first, as the
 * runtime's dumper reports them). Safepoint offsets are printed as the
 * runtime's dumper does (one past the encoded offset before version 4).
 */
struct clrsos_error *clrsos_gcinfo_transitions(const struct clrsos_gcinfo *gi, struct clrsos_gcinfo_event **ret,
					       size_t *ret_count);

struct clrsos_dac;
struct clrsos_target;

/* A method's code header and its decoded GC info (gcinforead.c: from the target). */
struct clrsos_method_gcinfo {
	uint64_t method_desc;
	uint64_t method_start;     /* the code header's start (the entry point SOS prints) */
	uint32_t method_size;
	uint32_t jit_type;         /* 0 unknown, 1 JIT, 2 pre-JIT */
	uint64_t gc_info;          /* where its GC info is */
	struct clrsos_gcinfo info;
};

/*
 * The GC info of the code at address, or of a MethodDesc's current code:
 * the code header from the DAC, the bytes from the target, decoded as
 * the runtime's version of JIT-compiled code. Errors are one line.
 */
struct clrsos_error *clrsos_method_gcinfo_read(struct clrsos_dac *dac, struct clrsos_target *target,
					       uint64_t address, struct clrsos_method_gcinfo *ret);
void clrsos_method_gcinfo_deinit(struct clrsos_method_gcinfo *m);

/* x64 register names as SOS prints them ("rax" .. "r15", "???"). */
const char *clrsos_gcinfo_register_name(uint32_t reg);

#ifdef __cplusplus
}
#endif

#endif
