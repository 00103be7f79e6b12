/*
 * Stacks: a managed thread's frames as the runtime walks them (ClrMD's
 * ClrStackFrame), with each managed frame's arguments and locals when
 * asked, and the object references its stack and registers hold (what the
 * GC reports as roots). Values of their own, not the DAC's records.
 */
#ifndef CLRSOS_STACK_H
#define CLRSOS_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

enum clrsos_managed_var_state {
	CLRSOS_MANAGED_VAR_VALUE,      /* value holds it */
	CLRSOS_MANAGED_VAR_NO_DATA,    /* the runtime cannot tell (optimized away, not yet live) */
	CLRSOS_MANAGED_VAR_UNREADABLE, /* it has a home, but its memory is not in the target */
};

/* An argument or local of a managed frame. */
struct clrsos_managed_var {
	char *name;            /* arguments only ("this" for the instance), or NULL (malloc'd) */
	enum clrsos_managed_var_state state;
	uint64_t value;        /* 1-, 2-, 4- or 8-byte values, zero-extended */
	uint32_t size;         /* the value's size in bytes */
	bool has_location;     /* exactly one home: */
	bool in_register;      /* a register (which one the runtime does not say) */
	uint64_t address;      /* or this stack address */
};

struct clrsos_managed_frame {
	uint64_t sp, ip;
	uint64_t frame;       /* an explicit runtime Frame, or 0 for managed code */
	uint64_t method_desc; /* managed code's method, or 0 */
	char *name;           /* method or Frame name (malloc'd), or NULL */
	uint64_t frame_method_desc; /* a Frame's method, as the runtime names it (the P/Invoke an */
	char *frame_method;         /* InlinedCallFrame calls; malloc'd), or 0 and NULL */
	struct clrsos_managed_var *args, *locals; /* with variables asked for, managed frames */
	size_t nargs, nlocals;
	bool args_failed, locals_failed; /* the runtime could not list them for this frame */
	bool has_il;          /* with CLRSOS_STACK_IL, managed code whose IL offset the runtime knows (of the call */
	uint32_t il_offset;   /* below the first frame) */
	char *source_file;    /* after clrsos_managed_stack_sources: from the module's PDB (malloc'd), */
	uint32_t source_line; /* or NULL and 0 */
	struct clrsos_regs regs; /* its registers, as the runtime's walk gives them (clrstack -r) */
};

/* A thread's stack: the caller's struct (init/deinit). */
struct clrsos_managed_stack {
	uint32_t os_id;
	struct clrsos_managed_frame *frames;
	size_t count;
	bool truncated; /* the walk stopped at its limit of frames: the stack is deeper (an overflow) */
};

/* What clrsos_managed_stack_init reads beyond each frame's place and method. */
enum {
	CLRSOS_STACK_VARS = 1, /* each managed frame's arguments and locals */
	CLRSOS_STACK_IL = 2,   /* each managed frame's IL offset (has_il): what source lines need */
};

/*
 * The frames of the managed thread os_id, innermost first, with what `what`
 * asks for (CLRSOS_STACK_*, or 0). A thread that is not managed is an error.
 */
struct clrsos_error *clrsos_managed_stack_init(struct clrsos_managed_stack *stack, struct clrsos_dac *dac,
					       uint32_t os_id, unsigned what);
void clrsos_managed_stack_deinit(struct clrsos_managed_stack *stack);

/*
 * Source file and line for the stack's managed frames, from the portable
 * PDB beside each module's file on disk (<module path less its extension>.pdb;
 * embedded PDBs are not read). A frame whose module has no such PDB, or
 * whose PDB has no line for its IL offset, keeps NULL and 0; a PDB that
 * cannot be read counts as none (a source line is a help, not the stack).
 * cache keeps each module's PDB open across stacks: one cache per command,
 * created with clrsos_source_cache_create (NULL out of memory).
 */
struct clrsos_source_cache;
struct clrsos_source_cache *clrsos_source_cache_create(void);
void clrsos_source_cache_destroy(struct clrsos_source_cache *cache);

struct clrsos_pdb;
/*
 * A module's portable PDB (the caller's: clrsos_pdb_destroy), or NULL: the
 * one beside its file ("/app/Foo.dll" -> "/app/Foo.pdb"), else the one
 * embedded in it; only one whose id is the one the image names.
 */
struct clrsos_pdb *clrsos_module_pdb(struct clrsos_dac *dac, uint64_t module);
/*
 * The i-th note of the modules looked up so far: why a PDB found for one was
 * not used (another build's: its id is not the one the image names; a
 * corrupt embedded one); NULL past the last. Borrowed from the cache.
 */
const char *clrsos_source_cache_note(const struct clrsos_source_cache *cache, size_t i);
struct clrsos_error *clrsos_managed_stack_sources(struct clrsos_managed_stack *stack, struct clrsos_dac *dac,
						  struct clrsos_source_cache *cache);
/* module's PDB as the cache found it (borrowed from the cache), or NULL: none. */
const struct clrsos_pdb *clrsos_source_cache_pdb(struct clrsos_source_cache *cache, struct clrsos_dac *dac,
					       uint64_t module);
/*
 * The source position of IL offset il_offset in method_desc's method, from
 * its module's PDB as clrsos_managed_stack_sources finds it: *ret_file
 * (malloc'd) and *ret_line, or NULL and 0. Only out of memory is an error.
 */
struct clrsos_error *clrsos_source_line(struct clrsos_source_cache *cache, struct clrsos_dac *dac,
					uint64_t method_desc, uint32_t il_offset, char **ret_file, uint32_t *ret_line);
/*
 * The same for JIT-compiled code at ip: its IL offset from the runtime,
 * then the line. before: ip is a return address or a throw's, whose source
 * is the call's (looked up at ip - 1), as SOS adjusts it.
 */
struct clrsos_error *clrsos_source_line_at(struct clrsos_source_cache *cache, struct clrsos_dac *dac,
					   uint64_t method_desc, uint64_t ip, bool before, char **ret_file,
					   uint32_t *ret_line);

/* An object reference a thread's stack or registers hold (a stack root). */
struct clrsos_stack_reference {
	uint64_t address;       /* the stack slot, or 0 for a register */
	uint64_t object;        /* what it holds (with interior, maybe inside an object) */
	int32_t reg;            /* the register the runtime names for it, or -1 */
	int32_t offset;         /* with reg, the slot's offset from it ("rbp-38"), or 0: in reg itself */
	uint64_t stack_pointer; /* the frame's SP */
	uint64_t source;        /* the frame's IP (or Frame) */
	uint32_t source_type;   /* 0 managed IP, 1 Frame, 2 other */
	bool interior;
	bool pinned;
};

/* The references the thread os_id's stack holds (malloc'd). */
struct clrsos_error *clrsos_stack_references_read(struct clrsos_dac *dac, uint32_t os_id,
						  struct clrsos_stack_reference **ret, size_t *ret_count);

/* The x64 register of the runtime's number reg ("rax", "r15"), or NULL. */
const char *clrsos_register_name(int reg);

/*
 * The full name of the managed method whose code holds ip (malloc'd), or
 * *ret NULL if none does. An error is the runtime failing to name a method
 * it knows.
 */
struct clrsos_error *clrsos_method_name_at_ip(struct clrsos_dac *dac, uint64_t ip, char **ret);

#ifdef __cplusplus
}
#endif

#endif
