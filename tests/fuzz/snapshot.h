/*
 * A heap snapshot for the fuzzers: the types, the GC heap's memory and the
 * roots of a real process (taken from a core by make_seeds.py), loaded into
 * the unit tests' fake target and fake DAC as a session clrsos's commands
 * run on. The fuzzer mutates the bytes: object headers, sizes, references,
 * GCDescs, type sizes, root lists.
 *
 * Format (little-endian):
 *   "CLRSOSF1"
 *   u16 ntypes; u16 free, string, object_array, object (type indexes)
 *   ntypes x { u32 mt_flags; u32 mt_base_size (the MethodTable's first two
 *              words); u32 base_size; u32 component_size (as the DAC says);
 *              u8 bits (1: contains pointers, 2: free);
 *              u16 gcdesc_len; gcdesc_len bytes (what precedes the MT);
 *              u8 name_len; name_len bytes }
 *   u8 nsegments
 *   nsegments x { u64 start; u8 generation (0 gen0 .. 4 POH); u32 len; len bytes }
 *   u16 nroots
 *   nroots x { u8 kind (0 strong, 1 pinned, 2 weak, 3 dependent, 4 stack,
 *              5 interior stack); u64 object; u64 secondary }
 *   u8 nqueries; nqueries x u64 address (objects the commands are asked about)
 *
 * Type k's MethodTable is at SNAPSHOT_MT(k); the heap's MethodTable words
 * refer to those addresses (make_seeds.py rewrites them).
 */
#ifndef CLRSOS_FUZZ_SNAPSHOT_H
#define CLRSOS_FUZZ_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commands/commands.h"
#include "fake_dac.h"
#include "fake_target.h"
#include "base/output.h"
#include "session/session.h"

#define SNAPSHOT_MT_BASE ((uint64_t)0x7f4000000000)
#define SNAPSHOT_MT(k) (SNAPSHOT_MT_BASE + 0x1000 + (uint64_t)(k) * 0x200)

enum {
	SNAPSHOT_MAX_TYPES = 1024,
	SNAPSHOT_MAX_GCDESC = 0x1f0,
	SNAPSHOT_MAX_SEGMENTS = 16,
	SNAPSHOT_MAX_SEGMENT = 4 << 20,
	SNAPSHOT_MAX_ROOTS = 4096,
	SNAPSHOT_MAX_QUERIES = 8,
};

struct snapshot {
	struct fake_target fake;
	struct fake_dac d;
	struct clrsos_settings settings;
	struct clrsos_session *session;
	char *names[SNAPSHOT_MAX_TYPES];
	size_t ntypes;
	uint64_t queries[SNAPSHOT_MAX_QUERIES];
	size_t nqueries;
	uint64_t output_bytes; /* what the commands wrote */
	bool show;             /* CLRSOS_FUZZ_SHOW set: print it too */
	struct clrsos_writer out;
};

/* 0 and a session ready to run commands on; -1 if data is not a snapshot. */
int snapshot_load(struct snapshot *s, const uint8_t *data, size_t size);
void snapshot_free(struct snapshot *s);

/* Run one command (argv) on the snapshot; its output is counted and dropped. */
void snapshot_run(struct snapshot *s, clrsos_command_fn *cmd, int argc, const char *const *argv);

#define SNAPSHOT_RUN(s, cmd, ...) \
	snapshot_run(s, cmd, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), \
		     (const char *const[]){__VA_ARGS__})

#endif
