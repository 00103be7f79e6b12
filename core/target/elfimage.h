/*
 * ELF: the little of an ELF64 image that clrsos needs: its loadable segments
 * (to serve a module's read-only pages from its file) and its GNU build-id
 * (to match a file on disk to a module in the target). The same parser reads
 * a file on disk or an image mapped in target memory. And a core file's
 * memory segments, to read a core in place.
 */
#ifndef CLRSOS_ELFIMAGE_H
#define CLRSOS_ELFIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLRSOS_ELF_MAX_LOADS = 16 };

struct clrsos_elf_load {
	uint64_t vaddr;  /* as linked; add the load bias for an address */
	uint64_t memsz;
	uint64_t offset; /* in the file */
	uint64_t filesz;
	bool writable;
};

struct clrsos_elf_info {
	struct clrsos_elf_load loads[CLRSOS_ELF_MAX_LOADS];
	size_t nloads;
	uint8_t build_id[CLRSOS_BUILD_ID_MAX];
	size_t build_id_len; /* 0: the image has no build-id note */
};

/* Reads size bytes at pos (a file offset, or an offset from the image base
 * for an image in memory); returns false if it cannot. */
typedef bool clrsos_elf_read_fn(void *ctx, uint64_t pos, void *buf,
				size_t size);

/*
 * Parse an ELF64 little-endian image. in_memory selects whether notes are
 * found by their virtual address (an image mapped in a process) or their
 * file offset (a file).
 */
struct clrsos_error *clrsos_elf_parse(clrsos_elf_read_fn *read, void *ctx,
				      bool in_memory,
				      struct clrsos_elf_info *ret);

/* Parse the file at path (a regular file: see fileio.h). */
struct clrsos_error *clrsos_elf_parse_file(const char *path,
					   struct clrsos_elf_info *ret);
/* Parse the file open at fd (read with pread; the offset is left alone). */
struct clrsos_error *clrsos_elf_parse_fd(int fd, struct clrsos_elf_info *ret);

/*
 * A core file's memory in place: the PT_LOAD segments the file holds whole,
 * sorted by address, over a read-only mapping of the file (valid until
 * clrsos_elf_core_close).
 */
enum {
	CLRSOS_REGION_READ = 1,
	CLRSOS_REGION_WRITE = 2,
	CLRSOS_REGION_EXEC = 4,
};

/* A memory region of a process: [start, end) and CLRSOS_REGION_* flags. */
struct clrsos_region {
	uint64_t start, end;
	uint32_t flags;
};

/* A thread of a core: its id and where its innermost frame was (0: unknown). */
struct clrsos_core_thread {
	uint32_t tid;
	uint64_t pc, sp;
	uint64_t fs_base; /* its thread pointer (glibc: its struct pthread, atop its stack's mapping); 0: unknown */
};

/* A file mapping the core's NT_FILE note records: [start, end) maps path from offset. */
struct clrsos_core_file {
	uint64_t start, end, offset;
	const char *path; /* in the core's mapping, NUL-terminated there */
};

struct clrsos_elf_core {
	const uint8_t *map;
	size_t size;
	int fd; /* the core's own descriptor (-1: none) */
	struct clrsos_elf_load *loads; /* vaddr: the address in the process */
	size_t nloads;
	/* Every PT_LOAD header as the process's memory regions, sorted (with
	 * those the file holds nothing of), and the NT_PRSTATUS threads in
	 * file order: what a debugger shows of a process loaded from this core. */
	struct clrsos_region *regions;
	size_t nregions;
	struct clrsos_core_thread *threads;
	size_t nthreads;
	/* The NT_FILE note's mappings, in note order (none: the core has no note). */
	struct clrsos_core_file *files;
	size_t nfiles;
};

/* Map the ELF64 x86-64 core file open on fd (the caller keeps fd); an error
 * when it is not one or holds no memory. */
struct clrsos_error *clrsos_elf_core_open(int fd, struct clrsos_elf_core **ret);
void clrsos_elf_core_close(struct clrsos_elf_core *core);
/* The core's bytes at address, if a segment holds it: *len (at most size)
 * of them from address; NULL otherwise. */
const uint8_t *clrsos_elf_core_at(const struct clrsos_elf_core *core, uint64_t address,
				  size_t size, size_t *len);
/*
 * Copy up to size of the core's bytes at address into buf, read from the
 * file: as clrsos_elf_core_at, one segment's worth at most. Returns how
 * many (0: none there). A long one-pass scan reads this way: it leaves the
 * core's pages unmapped in this process, whose first touch of each, through
 * the mapping, costs several times the copy on some virtual machines.
 */
size_t clrsos_elf_core_copy(const struct clrsos_elf_core *core, uint64_t address, void *buf,
			    size_t size);

/*
 * What the debugger shows of the process it loaded from a core: its mapped
 * memory regions in address order, and its threads (pc and sp 0 where the
 * debugger could not tell them).
 */
struct clrsos_core_view {
	const struct clrsos_region *regions;
	size_t nregions;
	const struct clrsos_core_thread *threads;
	size_t nthreads;
};

/* Whether core has exactly the view's regions (address, size, permissions),
 * the same thread ids, and, where the view knows them, the same pc and sp. */
bool clrsos_elf_core_fits(const struct clrsos_elf_core *core,
			  const struct clrsos_core_view *view);

/* Reads the debugger's memory: how many bytes from address it has. */
typedef size_t clrsos_core_read_fn(void *ctx, uint64_t address, void *buf, size_t size);

/*
 * Which of n cores that all fit the debugger's view holds the debugger's
 * bytes. Where two of them differ, the debugger's bytes there decide, until
 * one is left (cores that do not differ anywhere serve the same bytes: the
 * first is taken); then the survivor's first, middle and last segments are
 * checked against the debugger's bytes too. Returns its index, or -1 when
 * unsure (the debugger cannot read a deciding place, no core has its
 * bytes there, or the survivor disagrees): never a guess.
 */
long clrsos_elf_core_choose(const struct clrsos_elf_core *const *cores, size_t n,
			    clrsos_core_read_fn *read, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
