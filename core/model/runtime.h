/*
 * Runtime: what the target's CLR is and how its GC heap is laid out: the
 * version, the GC mode (workstation or server, regions or segments), the GC
 * heaps, their generations, and every segment or region with its object
 * range and committed memory. Read once per stop through the DAC.
 */
#ifndef CLRSOS_RUNTIME_H
#define CLRSOS_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dac;

struct clrsos_runtime_version {
	char product[32];      /* "10.0.12" */
	char file_version[32]; /* "10.0.1226.42308" */
	char commit[48];       /* the runtime source commit, if recorded */
};

/*
 * The version the runtime module records ("@(#)Version ..."), read through
 * the target (a matching module file serves what a core lacks).
 */
struct clrsos_error *
clrsos_runtime_version_read(struct clrsos_target *target,
			    const struct clrsos_module *runtime,
			    struct clrsos_runtime_version *ret);

/* The GC's mode: what eeversion says of it (clrsos_runtime_describe_gc). */
struct clrsos_gc_mode {
	bool server;
	bool regions;
	bool structures_valid; /* false: stopped in the middle of a GC */
	uint32_t nheaps;
	bool dynamic_adaptation_known;
	int dynamic_adaptation; /* DATAS mode when known */
};

/*
 * The runtime as a whole (ClrMD's ClrRuntime): its module, build id and
 * version, the DAC in use and the GC's mode. What the target says comes
 * first (clrsos_runtime_describe); the DAC's part is added when one could
 * be opened (clrsos_runtime_describe_dac).
 */
struct clrsos_runtime_info {
	const struct clrsos_module *module; /* the runtime module (borrowed from the target) */
	char build_id[2 * CLRSOS_BUILD_ID_MAX + 1];
	bool build_id_from_memory;          /* false: as the debugger reports it */
	bool have_version;
	struct clrsos_runtime_version version;
	const char *dac_path;               /* borrowed from the DAC; NULL: no DAC */
	bool have_gc_mode;
	struct clrsos_gc_mode gc_mode;
};

/* The runtime module of target, its build id and version (a version that cannot be read is left out). */
struct clrsos_error *clrsos_runtime_describe(struct clrsos_target *target, struct clrsos_runtime_info *ret);
/* The DAC in use and the GC's mode; the error says why the mode is missing (info keeps what was read). */
struct clrsos_error *clrsos_runtime_describe_dac(struct clrsos_runtime_info *info, struct clrsos_dac *dac);

/*
 * For a core: find each managed assembly's file and let the target serve
 * the parts of its mapped image the core lacks (kernel and gdb cores leave
 * out file-backed pages, where the DAC reads metadata and type names). A
 * file is used only if its metadata sits where the runtime says and has the
 * size the runtime recorded. Returns how many images were added.
 */
struct clrsos_error *clrsos_runtime_add_images(struct clrsos_dac *dac,
					       struct clrsos_target *target,
					       size_t *ret_added);

enum clrsos_segment_kind {
	CLRSOS_SEGMENT_GEN0,      /* a gen0 region */
	CLRSOS_SEGMENT_GEN1,      /* a gen1 region */
	CLRSOS_SEGMENT_GEN2,      /* a gen2 region or a non-ephemeral SOH segment */
	CLRSOS_SEGMENT_EPHEMERAL, /* the segments GC's ephemeral segment (gen0-2) */
	CLRSOS_SEGMENT_LARGE,     /* large object heap */
	CLRSOS_SEGMENT_PINNED,    /* pinned object heap */
	CLRSOS_SEGMENT_FROZEN,    /* NonGC (frozen) objects */
};

/* Generations as clrsos counts them for sizes: gen0-2, LOH, POH, NonGC. */
enum clrsos_generation {
	CLRSOS_GEN0,
	CLRSOS_GEN1,
	CLRSOS_GEN2,
	CLRSOS_GEN_LOH,
	CLRSOS_GEN_POH,
	CLRSOS_GEN_FROZEN,
	CLRSOS_GEN_COUNT,
};

const char *clrsos_segment_kind_name(enum clrsos_segment_kind kind);
const char *clrsos_generation_name(enum clrsos_generation gen);

struct clrsos_segment {
	uint64_t address;         /* the GC's heap_segment record */
	uint64_t start, end;      /* objects: [start, end) */
	uint64_t committed_start; /* committed memory: [committed_start, committed_end) */
	uint64_t committed_end;
	uint64_t reserved_end;
	uint64_t flags;
	enum clrsos_segment_kind kind;
	uint32_t heap; /* index of the GC heap it belongs to */
	/* Bytes of objects per generation (only an ephemeral segment has more than one). */
	uint64_t gen_size[CLRSOS_GEN_COUNT];
};

/* One generation of a GC heap, as the GC's generation table holds it. */
struct clrsos_gc_generation {
	uint64_t start_segment;    /* its first segment or region */
	uint64_t allocation_start; /* segments: where the generation starts */
	uint64_t alloc_context_ptr; /* gen0: the heap's own allocation context */
	uint64_t alloc_context_limit;
};

struct clrsos_gc_heap {
	uint32_t index;
	uint64_t address; /* 0 for the workstation heap */
	uint64_t alloc_allocated;
	uint64_t ephemeral_segment;
	uint32_t ngenerations;
	struct clrsos_gc_generation generations[8];
	/* Its segments: gc->segments[first_segment .. first_segment + nsegments). */
	size_t first_segment, nsegments;
	uint64_t gen_allocated[CLRSOS_GEN_COUNT];
	uint64_t gen_committed[CLRSOS_GEN_COUNT];
};

struct clrsos_gc {
	bool server;
	bool regions;
	bool structures_valid;
	uint32_t max_generation;
	int dynamic_adaptation; /* DATAS mode when dynamic_adaptation_known */
	bool dynamic_adaptation_known;
	uint32_t nheaps;
	struct clrsos_gc_heap *heaps;
	size_t nsegments;
	struct clrsos_segment *segments;
	uint64_t total_allocated, total_committed;
	/* Problems met while walking the layout (a looping segment list ...),
	 * each one line; the layout holds everything that could be read. */
	size_t nwarnings;
	char **warnings;
	size_t warnings_capacity; /* allocated */
};

/*
 * Read the GC's layout. The caller owns *ret (clrsos_gc_destroy). A process
 * stopped in the middle of a garbage collection still has its layout read
 * (structures_valid false): see clrsos_gc_check_walkable.
 */
struct clrsos_error *clrsos_gc_create(struct clrsos_dac *dac,
				    struct clrsos_gc **ret);
void clrsos_gc_destroy(struct clrsos_gc *gc);

/*
 * NULL if the GC's structures are valid; otherwise the error for what needs
 * to walk objects (heap walks, -live, gcroot, objsize...): mid-GC, objects
 * are being marked, moved and their gaps filled. Threads, stacks, one
 * object's fields, MethodTables and the layout can still be read.
 */
struct clrsos_error *clrsos_gc_check_walkable(const struct clrsos_gc *gc);

/* Only the GC mode (cheap): for eeversion. */
struct clrsos_error *clrsos_gc_mode_read(struct clrsos_dac *dac,
					 struct clrsos_gc *ret);

#ifdef __cplusplus
}
#endif

#endif
