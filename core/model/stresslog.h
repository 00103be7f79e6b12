/*
 * Stress log: the runtime's in-memory circular log (DOTNET_StressLog=1),
 * one chain of 32 KB chunks per thread, each message a 16-byte header
 * (facility, argument count, format offset, timestamp) and its arguments.
 * The format strings stay in the runtime's module: a message keeps only
 * their offset. clrsos_stresslog_read copies every chunk once (bounded)
 * and decodes each thread's messages, newest first, as SOS reads them;
 * clrsos_stresslog_format expands one message's printf-style format.
 * Layouts are those of .NET 8 to 10 on 64-bit Linux.
 */
#ifndef CLRSOS_STRESSLOG_H
#define CLRSOS_STRESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/output.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_target;
struct clrsos_dac;

enum {
	CLRSOS_STRESSLOG_CHUNK_SIZE = 32 * 1024, /* a chunk's message buffer */
	CLRSOS_STRESSLOG_MAX_ARGS = 63,
	CLRSOS_STRESSLOG_MODULES = 5,
	CLRSOS_STRESSLOG_MAX_THREADS = 1 << 14,
	CLRSOS_STRESSLOG_MAX_CHUNKS = 1 << 14, /* 512 MB of chunks in all */
};

/* One message: args borrowed from the log's chunk copies. */
struct clrsos_stresslog_msg {
	uint64_t timestamp;     /* the runtime's tick count */
	uint64_t format_offset; /* from the stress log's module base */
	uint32_t facility;      /* LF_* bits */
	uint32_t arg_count;
	const uint64_t *args;
};

/* A chunk copied from the target: its address and its message buffer. */
struct clrsos_stresslog_chunk {
	uint64_t address;
	const uint8_t *buf; /* CLRSOS_STRESSLOG_CHUNK_SIZE bytes */
};

/*
 * Decode one thread's messages, newest first, from its chunks in list
 * order (head first, tail last): reading starts at cur_ptr in the chunk at
 * cur_write_chunk and moves to older messages and on to the next chunks,
 * stopping where the writer's data ends (a zero timestamp, or the point
 * where it wrapped). Every header and argument is checked to lie inside
 * its chunk; at most one pass over the chunks. *ret (malloc'd, may be NULL
 * with *ret_count 0) borrows the chunks' bytes. *ret_bad: the first
 * problem found (the messages before it are kept), or NULL.
 */
struct clrsos_error *clrsos_stresslog_decode_thread(const struct clrsos_stresslog_chunk *chunks, size_t count,
						    uint64_t cur_ptr, uint64_t cur_write_chunk, bool write_wrapped,
						    struct clrsos_stresslog_msg **ret, size_t *ret_count,
						    const char **ret_bad);

struct clrsos_stresslog_thread {
	uint64_t address;   /* its ThreadStressLog */
	uint64_t thread_id; /* the OS thread id */
	size_t chunk_count;
	struct clrsos_stresslog_msg *msgs; /* newest first */
	size_t msg_count;
	const char *bad; /* why its reading stopped early, or NULL */
};

struct clrsos_stresslog {
	uint64_t address; /* StressLog::theLog */
	uint32_t facilities, level, max_size_per_thread, max_size_total;
	int32_t total_chunks;
	uint64_t tick_frequency, start_timestamp;
	uint64_t start_filetime; /* 100 ns units since 1601 */
	uint64_t module_offset;
	struct {
		uint64_t base, size;
	} modules[CLRSOS_STRESSLOG_MODULES];
	struct clrsos_stresslog_thread *threads;
	size_t thread_count;
	uint8_t **chunks; /* every chunk's copy, each allocated as it was read */
	size_t chunk_count;
	char *problem;       /* a thread or chunk left out, and why; or NULL */
};

/*
 * The runtime's own stress log (address 0: the DAC's GetStressLogAddress)
 * or the StressLog at address. An error when there is none: one that says
 * how to turn it on when the runtime keeps no log. watch (may be NULL) is
 * polled before each thread log and chunk read: Ctrl-C stops the reading
 * (an error, nothing kept). Caller owns *ret.
 */
struct clrsos_watch;
struct clrsos_error *clrsos_stresslog_read(struct clrsos_target *target, struct clrsos_dac *dac, uint64_t address,
					   struct clrsos_watch *watch, struct clrsos_stresslog **ret);
void clrsos_stresslog_destroy(struct clrsos_stresslog *log);

/* Where a message's format string is in the target. */
uint64_t clrsos_stresslog_format_address(const struct clrsos_stresslog *log, uint64_t format_offset);

/* Seconds from the log's start to a timestamp. */
double clrsos_stresslog_seconds(const struct clrsos_stresslog *log, uint64_t timestamp);

/* "`GC`GCROOTS`": the facility bits' names, as SOS prints them (buf of 512). */
const char *clrsos_stresslog_facility_name(uint32_t facility, char *buf, size_t size);

/*
 * What the formatter asks about a message's arguments: the target's
 * memory for %s/%S (got: how many bytes were read) and names for SOS's
 * pointer extensions (%pT MethodTable, %pM MethodDesc, %pK code address);
 * each name malloc'd, or NULL when the pointer is not one. Any may be NULL.
 */
struct clrsos_stresslog_names {
	void *ctx;
	size_t (*read)(void *ctx, uint64_t address, void *buf, size_t size);
	char *(*method_table)(void *ctx, uint64_t mt);
	char *(*method_desc)(void *ctx, uint64_t md);
	char *(*code)(void *ctx, uint64_t address);
};

/*
 * Names from the target itself: its memory, the DAC's MethodTable and
 * MethodDesc names (dac may be NULL: no names), and code addresses through
 * code(code_ctx, address) when set. Each name (or none) is asked once per
 * address and kept in cache for later messages. Zero-initialize cache;
 * ctx must outlive names; clrsos_stresslog_target_names_deinit frees the
 * cache.
 */
struct clrsos_stresslog_name_cache;
struct clrsos_stresslog_target_names {
	struct clrsos_target *target;
	struct clrsos_dac *dac;
	char *(*code)(void *code_ctx, uint64_t address);
	void *code_ctx;
	struct clrsos_stresslog_name_cache *cache; /* NULL until first asked */
};
void clrsos_stresslog_names_of_target(struct clrsos_stresslog_target_names *ctx,
				      struct clrsos_stresslog_names *ret);
void clrsos_stresslog_target_names_deinit(struct clrsos_stresslog_target_names *ctx);

/*
 * Format strings read once each, by their offset, for one log: get gives
 * the format (256 bytes at most) or NULL when it could not be read; the
 * text lives until deinit. Zero-initialize.
 */
struct clrsos_stresslog_formats {
	void *map;
};
const char *clrsos_stresslog_formats_get(struct clrsos_stresslog_formats *formats, struct clrsos_target *target,
					 const struct clrsos_stresslog *log, uint64_t format_offset);
void clrsos_stresslog_formats_deinit(struct clrsos_stresslog_formats *formats);

/*
 * Expand a message's format (at most 256 bytes of it are used, as SOS
 * does) with its arguments to w, as SOS's dumplog shows it: '{' and '}'
 * swapped (the log is shown newest first), %p as "0x..." ("(nil)" for 0),
 * integers with their flags, width and precision, %s/%S read from the
 * target (256 bytes at most), %f from the argument's bits, a missing
 * argument as "<missing>". The trailing newline of the format is dropped;
 * control characters are written escaped (\n, \xNN). Never reads past
 * args[arg_count].
 */
void clrsos_stresslog_format(const char *format, const uint64_t *args, uint32_t arg_count,
			     const struct clrsos_stresslog_names *names, struct clrsos_writer *w);

/* The runtime's GC messages that SOS's GC history (histinit) reads. */
extern const char clrsos_stresslog_task_switch_msg[];
extern const char clrsos_stresslog_gc_start_msg[];
extern const char clrsos_stresslog_gc_root_msg[];
extern const char clrsos_stresslog_gc_promote_msg[];
extern const char clrsos_stresslog_gc_plug_move_msg[];

/* GC history (histinit): per GC, from the newest GC back, what it logged. */
struct clrsos_gchist_plug {
	uint64_t start, end, delta;
};
struct clrsos_gchist_reloc {
	uint64_t root, prev_value, new_value, method_table;
};
struct clrsos_gchist_promote {
	uint64_t root, value, method_table;
};
struct clrsos_gchist_gc {
	uint64_t gc_count;
	struct clrsos_gchist_plug *plugs;
	size_t plug_count;
	struct clrsos_gchist_reloc *relocs; /* newest first */
	size_t reloc_count;
	struct clrsos_gchist_promote *promotes; /* newest first */
	size_t promote_count;
};
enum { CLRSOS_GCHIST_MAX_GCS = 500 };
struct clrsos_gchist {
	struct clrsos_gchist_gc *gcs; /* newest GC first */
	size_t gc_count;
	size_t messages; /* messages read */
};

/*
 * Build the GC history from a log (reads each format string once). watch
 * (may be NULL) is ticked per message: Ctrl-C stops it. Caller owns *ret.
 */
struct clrsos_error *clrsos_gchist_build(struct clrsos_target *target, const struct clrsos_stresslog *log,
					 struct clrsos_watch *watch, struct clrsos_gchist **ret);
void clrsos_gchist_destroy(struct clrsos_gchist *hist);

/*
 * The merged order of all threads' messages, newest first (SOS's order;
 * of equal timestamps, the first thread's first): init, then next until it
 * returns false. *ret_thread: the thread it came from. A binary heap of
 * the threads by their next message's timestamp: O(log threads) a message.
 */
struct clrsos_stresslog_cursor {
	size_t *pos;  /* per thread: its next message */
	size_t *heap; /* threads with messages left, newest next message on top */
	size_t heap_count;
};
struct clrsos_error *clrsos_stresslog_cursor_init(const struct clrsos_stresslog *log,
						  struct clrsos_stresslog_cursor *cursor);
void clrsos_stresslog_cursor_deinit(struct clrsos_stresslog_cursor *cursor);
/* *ret_done: set when that thread has no more messages after this one. */
bool clrsos_stresslog_next(const struct clrsos_stresslog *log, struct clrsos_stresslog_cursor *cursor,
			   size_t *ret_thread, const struct clrsos_stresslog_msg **ret, bool *ret_done);

#ifdef __cplusplus
}
#endif
#endif
