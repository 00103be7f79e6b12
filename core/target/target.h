/*
 * Target: how core/ sees a process, live or in a core file.
 *
 * A debugger supplies a struct clrsos_target_ops (plugin/ implements it over
 * lldb's SBProcess/SBTarget/SBThread, tests/unit over fake memory). On top of
 * it the target adds what every reader needs: bulk reads that retry page by
 * page where a large read fails, bytes of read-only file-backed pages that a
 * core left out served from the module's file on disk (only when that file's
 * ELF build-id matches the module in the target), and a module list that is
 * dropped when the process has run.
 *
 * No read ever returns zeros for bytes nobody has: a byte that neither the
 * process nor a matching module file holds is a fault with its address.
 */
#ifndef CLRSOS_TARGET_H
#define CLRSOS_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLRSOS_BUILD_ID_MAX = 64, CLRSOS_PAGE_SIZE = 4096 };

struct clrsos_module {
	char *name;     /* file name: "libcoreclr.so" */
	char *path;     /* the path the target records for it */
	uint64_t base;  /* load address of its ELF header */
	/* The build-id the debugger reports (may come from the file it found
	 * on disk, so the target's own memory is preferred where it has one). */
	uint8_t build_id[CLRSOS_BUILD_ID_MAX];
	size_t build_id_len;
};

struct clrsos_thread {
	uint32_t os_id;
};

/* Access bits of a mapping (the same values as elfimage.h's CLRSOS_REGION_*). */
enum { CLRSOS_VM_READ = 1, CLRSOS_VM_WRITE = 2, CLRSOS_VM_EXEC = 4 };
/* A size nobody can tell (a core has no resident sizes, a live process no core). */
#define CLRSOS_VM_UNKNOWN UINT64_MAX

/*
 * One mapping of the process's address space, as the kernel lists it live
 * (/proc/<pid>/smaps) or a core records it (its PT_LOAD headers, named by
 * its NT_FILE note).
 */
struct clrsos_vm_region {
	uint64_t start, end;
	uint32_t prot;     /* CLRSOS_VM_*; 0: no access (a reservation) */
	bool shared;       /* a shared mapping ('s' in maps) */
	uint64_t offset;   /* of its first byte in its file */
	char *path;        /* malloc'd: its file, or the kernel's "[heap]", "[stack]" ...; NULL: anonymous */
	uint64_t resident; /* live: bytes resident in RAM (smaps Rss); else CLRSOS_VM_UNKNOWN */
	uint64_t in_core;  /* core: bytes of it the core file holds; else CLRSOS_VM_UNKNOWN */
};
void clrsos_vm_regions_free(struct clrsos_vm_region *regions, size_t count);

/* x86-64 general-purpose registers of a thread's innermost frame. */
struct clrsos_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	uint16_t cs, ss, ds, es, fs, gs;
};

/*
 * The general-purpose registers in the x64 CONTEXT's order, which is also
 * the order of the runtime's register numbers (0-15), with rip last: the
 * one table of their names and places in struct clrsos_regs.
 */
enum clrsos_x64_gpr_index {
	CLRSOS_RAX, CLRSOS_RCX, CLRSOS_RDX, CLRSOS_RBX, CLRSOS_RSP, CLRSOS_RBP, CLRSOS_RSI, CLRSOS_RDI,
	CLRSOS_R8,  CLRSOS_R9,  CLRSOS_R10, CLRSOS_R11, CLRSOS_R12, CLRSOS_R13, CLRSOS_R14, CLRSOS_R15,
	CLRSOS_RIP,
	CLRSOS_X64_GPRS
};
struct clrsos_x64_gpr {
	const char *name; /* "rax" */
	size_t offset;    /* of its uint64_t in struct clrsos_regs */
};
extern const struct clrsos_x64_gpr clrsos_x64_gprs[CLRSOS_X64_GPRS];

static inline uint64_t clrsos_regs_gpr(const struct clrsos_regs *r, enum clrsos_x64_gpr_index i)
{
	return *(const uint64_t *)(const void *)((const char *)r + clrsos_x64_gprs[i].offset);
}

static inline void clrsos_regs_set_gpr(struct clrsos_regs *r, enum clrsos_x64_gpr_index i, uint64_t value)
{
	*(uint64_t *)(void *)((char *)r + clrsos_x64_gprs[i].offset) = value;
}

/* One machine instruction as the debugger's disassembler shows it. */
struct clrsos_insn {
	uint64_t address;
	uint32_t size;
	char *mnemonic; /* "call" */
	char *operands; /* "qword ptr [rip + 0x1234]" ("" for none) */
};

struct clrsos_target_ops {
	/* Copy up to size bytes at address into buf. Returns how many bytes
	 * from the start were read: may be short, 0 when nothing is there. */
	size_t (*read)(void *ctx, uint64_t address, void *buf, size_t size);
	/* The loaded modules. The arrays and strings are malloc'd and belong
	 * to the caller (free with clrsos_modules_free). */
	struct clrsos_error *(*modules)(void *ctx, struct clrsos_module **ret,
					size_t *ret_count);
	/* The threads (malloc'd array owned by the caller). */
	struct clrsos_error *(*threads)(void *ctx, struct clrsos_thread **ret,
					size_t *ret_count);
	struct clrsos_error *(*registers)(void *ctx, uint32_t os_id,
					  struct clrsos_regs *ret);
	/* Changes each time the process has run and stopped again. */
	uint64_t (*stop_id)(void *ctx);
	/* True for a live process, false for a core file. */
	bool (*is_live)(void *ctx);
	/* Optional (NULL: none): bytes at address in place, without a copy,
	 * where the debugger holds them in memory that stays valid and
	 * unchanged while the target lives (a core file's mapping). Returns
	 * them and sets *len to how many from address it has (at most size),
	 * or NULL (then read is used). */
	const void *(*view)(void *ctx, uint64_t address, size_t size, size_t *len);
	/* Optional (NULL: none): the debugger's disassembly of the size bytes
	 * in code, as if they were at address: each instruction (the arrays
	 * and strings malloc'd, the caller's: clrsos_insns_free). */
	struct clrsos_error *(*disassemble)(void *ctx, uint64_t address, const uint8_t *code, size_t size,
					    struct clrsos_insn **ret, size_t *ret_count);

	/* Optional, live processes only (NULL: none). Breakpoints (bpmd) and
	 * the runtime's notifications, which the DAC asks for by writing the
	 * runtime's tables in the process. */
	/* Write size bytes at address; how many were written. */
	size_t (*write)(void *ctx, uint64_t address, const void *buf, size_t size);
	/* A debugger breakpoint at a code address: its id in *ret_id (an
	 * address that has one already gives that one). */
	struct clrsos_error *(*breakpoint_set)(void *ctx, uint64_t address, uint32_t *ret_id);
	/* Delete the debugger breakpoint with this id (gone already: no error). */
	void (*breakpoint_delete)(void *ctx, uint32_t id);
	/* Watch (on) or stop watching the runtime's debugger notifications:
	 * while watched, the debugger calls clrsos_session_on_notification at
	 * each one (the runtime raises them as C++ exceptions under a debugger). */
	struct clrsos_error *(*notifications)(void *ctx, bool on);
	/* Optional, live processes only (NULL: none). A debugger breakpoint on
	 * the function symbol in the module whose file name is module, pending
	 * while that module is not loaded yet (symbol NULL: delete it; one at
	 * a time). At its hit the debugger calls clrsos_bpmd_symbol_hit, then
	 * lets the process go on unless that asks it to stop. */
	struct clrsos_error *(*symbol_breakpoint)(void *ctx, const char *module, const char *symbol);

	/* Optional (NULL: none): the source line the debugger's line table
	 * gives the code at address (native code with debug info): the file's
	 * path in *ret_file (malloc'd, the caller's) and its line; false when
	 * it has none. */
	bool (*source_line)(void *ctx, uint64_t address, char **ret_file, uint32_t *ret_line);

	/* Optional (NULL: none): the process's mappings in address order (the
	 * array and paths malloc'd, the caller's: clrsos_vm_regions_free). */
	struct clrsos_error *(*vm_regions)(void *ctx, struct clrsos_vm_region **ret, size_t *ret_count);
	/* Optional (NULL: none): copy up to size bytes at address into buf
	 * the way a long one-pass scan of memory reads best (a core's bytes
	 * read from its file, where view would map every page into this
	 * process). Returns how many; 0: use view or read. */
	size_t (*scan)(void *ctx, uint64_t address, void *buf, size_t size);
};

struct clrsos_target;

struct clrsos_error *clrsos_target_create(const struct clrsos_target_ops *ops,
					  void *ctx,
					  struct clrsos_target **ret);
void clrsos_target_destroy(struct clrsos_target *target);

/*
 * Check the stop id; when the process has run since the last call, drop
 * what the target cached and return true.
 */
bool clrsos_target_refresh(struct clrsos_target *target);
uint64_t clrsos_target_stop_id(struct clrsos_target *target);
bool clrsos_target_is_live(struct clrsos_target *target);

/* Read exactly size bytes, or fail with a fault naming the first missing address. */
struct clrsos_error *clrsos_target_read(struct clrsos_target *target,
					uint64_t address, void *buf,
					size_t size);

/*
 * The target's bytes at address in place (ops->view), for bulk readers that
 * can use them without a copy; NULL when the debugger gives no view there.
 * *len: how many bytes from address the view holds (at most size).
 */
const uint8_t *clrsos_target_view(struct clrsos_target *target, uint64_t address,
				  size_t size, size_t *len);

/*
 * Copy up to size bytes at address into buf as a long one-pass scan reads
 * best (ops->scan: a core's file read): how many; 0 when the debugger has
 * no such way there (then use clrsos_target_view or a read).
 */
size_t clrsos_target_scan(struct clrsos_target *target, uint64_t address, void *buf, size_t size);

/* Read as many bytes from the start as exist; *ret is that count. Never fails
 * except when nothing at all can be read at address (a fault). */
struct clrsos_error *clrsos_target_read_partial(struct clrsos_target *target,
						uint64_t address, void *buf,
						size_t size, size_t *ret);

/* Read only what the process (or core) itself holds: no file fallback. */
struct clrsos_error *clrsos_target_read_raw(struct clrsos_target *target,
					    uint64_t address, void *buf,
					    size_t size);

struct clrsos_error *clrsos_target_read_u64(struct clrsos_target *target,
					    uint64_t address, uint64_t *ret);
struct clrsos_error *clrsos_target_read_u32(struct clrsos_target *target,
					    uint64_t address, uint32_t *ret);

/*
 * Write to a live process (ops->write): a core, or a debugger that cannot
 * write, is an error saying so; a short write is a fault at its first byte.
 */
struct clrsos_error *clrsos_target_write(struct clrsos_target *target, uint64_t address,
					 const void *buf, size_t size);

/* The target's ops (breakpoints, notifications: checked for NULL by the caller). */
const struct clrsos_target_ops *clrsos_target_ops_of(struct clrsos_target *target, void **ret_ctx);

/* Modules (borrowed from the target; valid until the next refresh). */
struct clrsos_error *clrsos_target_modules(struct clrsos_target *target,
					   const struct clrsos_module **ret,
					   size_t *ret_count);
/* The module whose file name is name (case-insensitive), or NULL. */
const struct clrsos_module *
clrsos_target_find_module(struct clrsos_target *target, const char *name);

/*
 * The build-id of a module as the target's memory holds it (the ELF note
 * read through the process or core). Falls back to the id the debugger
 * reports when the memory lacks the note; *ret_from_memory says which.
 */
struct clrsos_error *
clrsos_target_module_build_id(struct clrsos_target *target,
			      const struct clrsos_module *module, uint8_t *ret,
			      size_t *ret_len, bool *ret_from_memory);

/*
 * The bytes of a module's file mapped in the target (its first page to the
 * end of its last PT_LOAD segment's file bytes, page-rounded, as SOS's
 * ImageSize: without the zero-filled .bss after them), from its headers in the
 * target's memory or, where a core left them out, from its file when that
 * has the module's build-id.
 */
struct clrsos_error *clrsos_target_module_image_size(struct clrsos_target *target,
						     const struct clrsos_module *module, uint64_t *ret);

struct clrsos_error *clrsos_target_threads(struct clrsos_target *target,
					   struct clrsos_thread **ret,
					   size_t *ret_count);
struct clrsos_error *clrsos_target_registers(struct clrsos_target *target,
					     uint32_t os_id,
					     struct clrsos_regs *ret);

void clrsos_modules_free(struct clrsos_module *modules, size_t count);

/*
 * The process's mappings (ops->vm_regions), in address order; the caller
 * frees them (clrsos_vm_regions_free). An error saying so when the debugger
 * cannot list them.
 */
struct clrsos_error *clrsos_target_vm_regions(struct clrsos_target *target, struct clrsos_vm_region **ret,
					      size_t *ret_count);

/*
 * The instructions of the size bytes at address, read from the target and
 * disassembled by the debugger; an error when the debugger has no
 * disassembler or the bytes cannot be read.
 */
struct clrsos_error *clrsos_target_disassemble(struct clrsos_target *target, uint64_t address, size_t size,
					       struct clrsos_insn **ret, size_t *ret_count);
/*
 * The debugger's source line of native code at address (its line table):
 * *ret_file malloc'd; false (and NULL) when it has none or offers none.
 */
bool clrsos_target_source_line(struct clrsos_target *target, uint64_t address, char **ret_file, uint32_t *ret_line);

void clrsos_insns_free(struct clrsos_insn *insns, size_t count);

struct clrsos_pe_image;
/*
 * A managed image mapped in the target at base (mapped: sections at their
 * RVAs; flat: the file as it is). Reads the target lacks inside it are
 * served from the image's file. The target takes the image.
 */
struct clrsos_error *clrsos_target_add_image(struct clrsos_target *target,
					     uint64_t base, bool mapped,
					     struct clrsos_pe_image *image);
size_t clrsos_target_image_count(struct clrsos_target *target);
/* Forget the image added last (a layout that did not check out). */
void clrsos_target_drop_image(struct clrsos_target *target);

/* Hex text of a build-id into buf (at least 2 * len + 1 bytes). */
void clrsos_build_id_hex(const uint8_t *id, size_t len, char *buf);

#ifdef __cplusplus
}
#endif

#endif
