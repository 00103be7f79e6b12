/*
 * The data structures the DAC's ISOSDacInterface family fills, in the x64
 * layout of dacprivate.h (sizes checked below), and the handful of
 * interface identities clrsos asks for.
 */
#ifndef CLRSOS_SOSDAC_H
#define CLRSOS_SOSDAC_H

#include <assert.h>
#include <stdint.h>

#include "com.h"

typedef uint64_t clrsos_clrdata_address;

enum { CLRSOS_DAC_NUMBERGENERATIONS = 4 };

struct clrsos_dacp_gc_heap_data {
	int32_t server_mode;
	int32_t gc_structures_valid;
	uint32_t heap_count;
	uint32_t max_generation;
};

struct clrsos_dacp_generation_data {
	clrsos_clrdata_address start_segment;
	clrsos_clrdata_address allocation_start;
	clrsos_clrdata_address alloc_context_ptr;
	clrsos_clrdata_address alloc_context_limit;
};

struct clrsos_dacp_gc_heap_details {
	clrsos_clrdata_address heap_addr;
	clrsos_clrdata_address alloc_allocated;
	clrsos_clrdata_address mark_array;
	clrsos_clrdata_address current_c_gc_state;
	clrsos_clrdata_address next_sweep_obj;
	clrsos_clrdata_address saved_sweep_ephemeral_seg;
	clrsos_clrdata_address saved_sweep_ephemeral_start;
	clrsos_clrdata_address background_saved_lowest_address;
	clrsos_clrdata_address background_saved_highest_address;
	struct clrsos_dacp_generation_data
		generation_table[CLRSOS_DAC_NUMBERGENERATIONS];
	clrsos_clrdata_address ephemeral_heap_segment;
	clrsos_clrdata_address
		finalization_fill_pointers[CLRSOS_DAC_NUMBERGENERATIONS + 3];
	clrsos_clrdata_address lowest_address;
	clrsos_clrdata_address highest_address;
	clrsos_clrdata_address card_table;
};

struct clrsos_dacp_heap_segment_data {
	clrsos_clrdata_address segment_addr;
	clrsos_clrdata_address allocated;
	clrsos_clrdata_address committed;
	clrsos_clrdata_address reserved;
	clrsos_clrdata_address used;
	clrsos_clrdata_address mem;
	clrsos_clrdata_address next;
	clrsos_clrdata_address gc_heap;
	clrsos_clrdata_address high_alloc_mark;
	uint64_t flags;
	clrsos_clrdata_address background_allocated;
};

struct clrsos_dacp_useful_globals {
	clrsos_clrdata_address array_method_table;
	clrsos_clrdata_address string_method_table;
	clrsos_clrdata_address object_method_table;
	clrsos_clrdata_address exception_method_table;
	clrsos_clrdata_address free_method_table;
};

struct clrsos_dacp_thread_store_data {
	int32_t thread_count;
	int32_t unstarted_thread_count;
	int32_t background_thread_count;
	int32_t pending_thread_count;
	int32_t dead_thread_count;
	clrsos_clrdata_address first_thread;
	clrsos_clrdata_address finalizer_thread;
	clrsos_clrdata_address gc_thread;
	uint32_t host_config;
};

struct clrsos_dacp_thread_data {
	uint32_t cor_thread_id;
	uint32_t os_thread_id;
	int32_t state;
	uint32_t preemptive_gc_disabled;
	clrsos_clrdata_address alloc_context_ptr;
	clrsos_clrdata_address alloc_context_limit;
	clrsos_clrdata_address context;
	clrsos_clrdata_address domain;
	clrsos_clrdata_address frame;
	uint32_t lock_count;
	clrsos_clrdata_address first_nested_exception;
	clrsos_clrdata_address teb;
	clrsos_clrdata_address fiber_data;
	clrsos_clrdata_address last_thrown_object_handle;
	clrsos_clrdata_address next_thread;
};

static_assert(sizeof(struct clrsos_dacp_gc_heap_data) == 16, "DacpGcHeapData");
static_assert(sizeof(struct clrsos_dacp_generation_data) == 32, "DacpGenerationData");
static_assert(sizeof(struct clrsos_dacp_gc_heap_details) == 288, "DacpGcHeapDetails");
static_assert(sizeof(struct clrsos_dacp_heap_segment_data) == 88, "DacpHeapSegmentData");
static_assert(sizeof(struct clrsos_dacp_useful_globals) == 40, "DacpUsefulGlobalsData");
static_assert(sizeof(struct clrsos_dacp_thread_store_data) == 56, "DacpThreadStoreData");
static_assert(sizeof(struct clrsos_dacp_thread_data) == 104, "DacpThreadData");

/* Segment flag: a read-only (frozen, NonGC) segment. */
enum { CLRSOS_SEGMENT_FLAG_READONLY = 1 };

#endif
