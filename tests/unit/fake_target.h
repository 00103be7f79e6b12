/*
 * A fake debugger for core/'s unit tests: a struct clrsos_target_ops over
 * in-memory regions, plus the little helpers several test files share
 * (synthetic ELF images, temporary files, a buffer writer).
 *
 * Memory: regions (address, bytes) that reads copy from; holes inside them
 * that fail to read; optionally reads above a size fail wholesale (as lldb
 * does for a large read crossing an unreadable page) or any read that
 * cannot be satisfied entirely returns 0 instead of a short count. Every
 * read is counted.
 */
#ifndef CLRSOS_TESTS_FAKE_TARGET_H
#define CLRSOS_TESTS_FAKE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/output.h"
#include "target/target.h"

enum {
	FAKE_MAX_REGIONS = 32,
	FAKE_MAX_HOLES = 16,
	FAKE_MAX_MODULES = 8,
	FAKE_MAX_THREADS = 8,
};

struct fake_region {
	uint64_t address;
	uint8_t *bytes; /* owned */
	size_t size;
};

struct fake_hole {
	uint64_t address;
	size_t size;
};

struct fake_thread {
	uint32_t os_id;
	struct clrsos_regs regs;
};

struct fake_target {
	struct fake_region regions[FAKE_MAX_REGIONS];
	size_t nregions;
	struct fake_hole holes[FAKE_MAX_HOLES];
	size_t nholes;
	/* Reads of more than this many bytes return 0 (0: no limit). */
	size_t fail_reads_larger_than;
	/* A read that cannot be satisfied entirely returns 0, not a short count. */
	bool all_or_nothing;
	/* Give views (ops->view) of the regions in place, as a core's mapping. */
	bool views;

	struct clrsos_module modules[FAKE_MAX_MODULES]; /* strings owned */
	size_t nmodules;
	bool modules_fail;

	struct fake_thread threads[FAKE_MAX_THREADS];
	size_t nthreads;

	uint64_t stop_id;
	bool is_live;

	/* Counters. */
	unsigned read_calls;
	unsigned view_calls, views_given;
	size_t bytes_read;
	size_t largest_read;
	unsigned modules_calls;
	unsigned threads_calls;
	unsigned registers_calls;
};

extern const struct clrsos_target_ops fake_target_ops;

void fake_target_init(struct fake_target *f);
void fake_target_fini(struct fake_target *f);
void fake_target_reset_counters(struct fake_target *f);

/* Add a region holding a copy of bytes (NULL: the pattern of fake_pattern). */
uint8_t *fake_target_add_region(struct fake_target *f, uint64_t address,
				const void *bytes, size_t size);
/* Bytes in [address, address + size) fail to read. */
void fake_target_add_hole(struct fake_target *f, uint64_t address, size_t size);
struct clrsos_module *fake_target_add_module(struct fake_target *f,
					     const char *name, const char *path,
					     uint64_t base, const uint8_t *build_id,
					     size_t build_id_len);
void fake_target_add_thread(struct fake_target *f, uint32_t os_id,
			    const struct clrsos_regs *regs);

/* A clrsos_target over f (fails the test if it cannot be created). */
struct clrsos_target *fake_target_create(struct fake_target *f);

/* A deterministic byte for a position: fills regions, files and images. */
static inline uint8_t fake_pattern(uint64_t pos)
{
	return (uint8_t)(pos * 131 + (pos >> 8) * 7 + 0x5a);
}
void fake_fill_pattern(uint8_t *buf, size_t size, uint64_t first_pos);

/* Synthetic ELF64 images. */
struct fake_elf_load {
	uint64_t offset;
	uint64_t vaddr;
	uint64_t filesz;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};

struct fake_elf_spec {
	size_t size;             /* whole image; the rest is fake_pattern */
	struct fake_elf_load loads[4];
	size_t nloads;
	uint64_t note_offset;    /* PT_NOTE's p_offset == p_vaddr (0: no PT_NOTE) */
	const uint8_t *build_id; /* NULL: the note is some other (non build-id) note */
	size_t build_id_len;
};

/* A malloc'd image of spec->size bytes. */
uint8_t *fake_elf_build(const struct fake_elf_spec *spec);

/* A temporary file holding data; returns its malloc'd absolute path. */
char *fake_temp_file(const void *data, size_t size);
/* A temporary directory; returns its malloc'd absolute path. */
char *fake_temp_dir(void);

/* A clrsos_writer collecting everything written (NUL-terminated). */
struct test_buffer {
	char *data;
	size_t len, cap;
	struct clrsos_writer writer;
};

void test_buffer_init(struct test_buffer *b);
void test_buffer_reset(struct test_buffer *b);
void test_buffer_fini(struct test_buffer *b);

#endif
