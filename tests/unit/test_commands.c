/*
 * The GC layout (core/runtime.c) over a fake DAC, the DAC wrapper's COM
 * plumbing (core/dac.c), and the commands (core/commands/) as far as they
 * run without a real DAC: argument parsing, setclrpath, and the paths that
 * fail before a DAC is loaded.
 *
 * The fake DAC (fake_dac.c) is a C COM object standing in for
 * IXCLRDataProcess; the GC it describes is scripted per test: heap data,
 * heaps with their details and generation tables, and a table of segments
 * (each may be made to fail).
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dac/com.h"
#include "commands/commands.h"
#include "dac/dac.h"
#include "base/error.h"
#include "fake_dac.h"
#include "fake_target.h"
#include "model/runtime.h"
#include "session/session.h"
#include "dac/sosdac.h"
#include "target/target.h"
#include "tests.h"

/* A fake DAC wrapped as a clrsos_dac over a fake target. */
struct gc_fixture {
	struct fake_target fake;
	struct clrsos_target *target;
	struct fake_dac d;
	struct clrsos_dac *dac;
	struct clrsos_gc *gc;
};

static int gc_setup(void **state)
{
	struct gc_fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fake_target_init(&fx->fake);
	fx->target = fake_target_create(&fx->fake);
	fake_dac_init(&fx->d);
	*state = fx;
	return 0;
}

static int gc_teardown(void **state)
{
	struct gc_fixture *fx = *state;
	clrsos_gc_destroy(fx->gc);
	clrsos_dac_destroy(fx->dac);
	if (fx->dac) {
		/* Every reference the wrapper took was given back. */
		assert_int_equal(fx->d.process.refs, 0);
		assert_int_equal(fx->d.sos.refs, 0);
		assert_int_equal(fx->d.sos8.refs, 0);
	}
	clrsos_target_destroy(fx->target);
	fake_target_fini(&fx->fake);
	fake_dac_fini(&fx->d);
	free(fx);
	return 0;
}

static void wrap_fake_dac(struct gc_fixture *fx)
{
	struct clrsos_error *err =
		clrsos_dac_from_instance(fx->target, &fx->d.process, "fake", &fx->dac);
	if (err)
		fail_msg("clrsos_dac_from_instance: %s", err->message);
	assert_non_null(fx->dac);
}

static void read_gc(struct gc_fixture *fx)
{
	wrap_fake_dac(fx);
	struct clrsos_error *err = clrsos_gc_create(fx->dac, &fx->gc);
	if (err)
		fail_msg("clrsos_gc_create: %s", err->message);
	assert_non_null(fx->gc);
}

static const struct clrsos_segment *find_segment(const struct clrsos_gc *gc,
						 uint64_t address)
{
	const struct clrsos_segment *found = NULL;
	for (size_t i = 0; i < gc->nsegments; i++) {
		if (gc->segments[i].address == address) {
			if (found)
				fail_msg("segment 0x%" PRIx64 " listed twice", address);
			found = &gc->segments[i];
		}
	}
	return found;
}

static bool has_warning(const struct clrsos_gc *gc, const char *a, const char *b)
{
	for (size_t i = 0; i < gc->nwarnings; i++) {
		if (strstr(gc->warnings[i], a) && (!b || strstr(gc->warnings[i], b)))
			return true;
	}
	return false;
}

/* What one segment must come out as. */
struct want_segment {
	uint64_t address;
	enum clrsos_segment_kind kind;
	uint64_t start, end, committed_start, committed_end;
	uint32_t heap;
};

static void assert_segments(const struct clrsos_gc *gc,
			    const struct want_segment *want, size_t n)
{
	assert_int_equal(gc->nsegments, n);
	for (size_t i = 0; i < n; i++) {
		const struct clrsos_segment *s = find_segment(gc, want[i].address);
		if (!s)
			fail_msg("segment 0x%" PRIx64 " missing", want[i].address);
		if (s->kind != want[i].kind)
			fail_msg("segment 0x%" PRIx64 ": kind %s, want %s",
				 want[i].address, clrsos_segment_kind_name(s->kind),
				 clrsos_segment_kind_name(want[i].kind));
		assert_int_equal(s->start, want[i].start);
		assert_int_equal(s->end, want[i].end);
		assert_int_equal(s->committed_start, want[i].committed_start);
		assert_int_equal(s->committed_end, want[i].committed_end);
		assert_int_equal(s->heap, want[i].heap);
	}
}

/* Scenarios -------------------------------------------------------------- */

/* Regions: each region's memory at RB(n); records live apart at REC(n). */
#define RB(n) ((uint64_t)0x7e0000000000 + (uint64_t)(n) * 0x400000)
#define REC(n) ((uint64_t)0x7d0000000000 + (uint64_t)(n) * 0x60)
static const uint64_t FROZEN_REC = 0x7c0000001000ull;
static const uint64_t FROZEN_MEM = 0x7f5000000000ull;

/*
 * Workstation, regions: gen0, gen1, two gen2 regions then a frozen
 * segment threaded in gen2's list, LOH and POH. gen0's region is the
 * ephemeral heap segment: its objects end at alloc_allocated.
 */
static void script_workstation_regions(struct fake_dac *d)
{
	struct fake_heap *h = fake_dac_add_heap(d, 0);
	h->details.alloc_allocated = RB(0) + 0x8000;
	h->details.ephemeral_heap_segment = REC(0);
	fake_dac_add_segment(d, REC(0), RB(0) + 0x18, RB(0) + 0x1000 /* stale */, RB(0) + 0x20000, 0);
	fake_dac_add_segment(d, REC(1), RB(1) + 0x18, RB(1) + 0x518, RB(1) + 0x10000, 0);
	fake_dac_add_segment(d, REC(2), RB(2) + 0x18, RB(2) + 0x2018, RB(2) + 0x3000, REC(3));
	fake_dac_add_segment(d, REC(3), RB(3) + 0x18, RB(3) + 0x118, RB(3) + 0x1000, FROZEN_REC);
	fake_dac_add_segment(d, FROZEN_REC, FROZEN_MEM + 0x10, FROZEN_MEM + 0x310,
		    FROZEN_MEM + 0x10000, 0)->data.flags = CLRSOS_SEGMENT_FLAG_READONLY;
	fake_dac_add_segment(d, REC(4), RB(4) + 0x18, RB(4) + 0x30018, RB(4) + 0x40000, 0);
	fake_dac_add_segment(d, REC(5), RB(5) + 0x18, RB(5) + 0x1018, RB(5) + 0x2000, 0);
	fake_dac_set_generation(h, 0, REC(0), RB(0) + 0x18);
	fake_dac_set_generation(h, 1, REC(1), RB(1) + 0x18);
	fake_dac_set_generation(h, 2, REC(2), RB(2) + 0x18);
	fake_dac_set_generation(h, 3, REC(4), RB(4) + 0x18);
	fake_dac_set_generation(h, 4, REC(5), RB(5) + 0x18);
}

static void test_gc_read__workstation_regions_kinds_and_ranges(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	read_gc(fx);
	const struct clrsos_gc *gc = fx->gc;
	assert_false(gc->server);
	assert_true(gc->regions);
	assert_true(gc->structures_valid);
	assert_int_equal(gc->max_generation, 2);
	assert_int_equal(gc->nheaps, 1);
	assert_int_equal(gc->heaps[0].address, 0);
	assert_int_equal(gc->heaps[0].alloc_allocated, RB(0) + 0x8000);
	assert_int_equal(gc->heaps[0].ephemeral_segment, REC(0));
	assert_int_equal(gc->heaps[0].ngenerations, 5);
	assert_int_equal(gc->nwarnings, 0);
	const struct want_segment want[] = {
		{REC(0), CLRSOS_SEGMENT_GEN0, RB(0) + 0x18, RB(0) + 0x8000, RB(0), RB(0) + 0x20000, 0},
		{REC(1), CLRSOS_SEGMENT_GEN1, RB(1) + 0x18, RB(1) + 0x518, RB(1), RB(1) + 0x10000, 0},
		{REC(2), CLRSOS_SEGMENT_GEN2, RB(2) + 0x18, RB(2) + 0x2018, RB(2), RB(2) + 0x3000, 0},
		{REC(3), CLRSOS_SEGMENT_GEN2, RB(3) + 0x18, RB(3) + 0x118, RB(3), RB(3) + 0x1000, 0},
		/* A frozen segment's memory starts one pointer before its first object. */
		{FROZEN_REC, CLRSOS_SEGMENT_FROZEN, FROZEN_MEM + 0x10, FROZEN_MEM + 0x310,
		 FROZEN_MEM + 0x8, FROZEN_MEM + 0x10000, 0},
		{REC(4), CLRSOS_SEGMENT_LARGE, RB(4) + 0x18, RB(4) + 0x30018, RB(4), RB(4) + 0x40000, 0},
		{REC(5), CLRSOS_SEGMENT_PINNED, RB(5) + 0x18, RB(5) + 0x1018, RB(5), RB(5) + 0x2000, 0},
	};
	assert_segments(gc, want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(gc->heaps[0].first_segment, 0);
	assert_int_equal(gc->heaps[0].nsegments, 7);
	assert_true(find_segment(gc, FROZEN_REC)->flags & CLRSOS_SEGMENT_FLAG_READONLY);
}

static void test_gc_read__workstation_regions_generation_sizes_and_totals(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	read_gc(fx);
	const struct clrsos_gc_heap *h = &fx->gc->heaps[0];
	assert_int_equal(h->gen_allocated[CLRSOS_GEN0], 0x8000 - 0x18);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN1], 0x500);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN2], 0x2000 + 0x100);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN_LOH], 0x30000);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN_POH], 0x1000);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN_FROZEN], 0x300);
	assert_int_equal(fx->gc->total_allocated,
			 (0x8000 - 0x18) + 0x500 + 0x2100 + 0x30000 + 0x1000 + 0x300);
	assert_int_equal(fx->gc->total_committed,
			 0x20000 + 0x10000 + 0x3000 + 0x1000 + (0x10000 - 0x8) +
				 0x40000 + 0x2000);
	/* Through the wrapper: each segment asked for once, no server calls. */
	assert_int_equal(fx->d.segment_calls, 7);
	assert_int_equal(fx->d.heap_list_calls, 0);
	assert_int_equal(fx->d.details_calls, 0);
	assert_true(fx->d.gen_table_calls >= 1);
}

/* Segments: the record heads its own memory at SEG(n) (objects from +0x1000). */
#define SEG(n) ((uint64_t)0x7f0000000000 + (uint64_t)(n) * 0x10000000)

/*
 * Workstation, segments: a gen2 segment, then the ephemeral segment
 * holding the end of gen2, gen1 and gen0 (split by allocation_start), and
 * a LOH segment. The generation table is only the 4 of the heap details.
 */
static void script_workstation_segments(struct fake_dac *d)
{
	struct fake_heap *h = fake_dac_add_heap(d, 0);
	h->details.alloc_allocated = SEG(2) + 0x90000;
	h->details.ephemeral_heap_segment = SEG(2);
	fake_dac_add_segment(d, SEG(1), SEG(1) + 0x1000, SEG(1) + 0x50000, SEG(1) + 0x60000, SEG(2));
	fake_dac_add_segment(d, SEG(2), SEG(2) + 0x1000, SEG(2) + 0x2000 /* stale */,
		    SEG(2) + 0xa0000, 0);
	fake_dac_add_segment(d, SEG(3), SEG(3) + 0x1000, SEG(3) + 0x81000, SEG(3) + 0x90000, 0);
	fake_dac_set_generation(h, 0, SEG(2), SEG(2) + 0x70000);
	fake_dac_set_generation(h, 1, SEG(2), SEG(2) + 0x40000);
	fake_dac_set_generation(h, 2, SEG(1), SEG(1) + 0x1000);
	fake_dac_set_generation(h, 3, SEG(3), SEG(3) + 0x1000);
}

static void test_gc_read__workstation_segments_split_ephemeral_by_generation(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_segments(&fx->d);
	fx->d.has_sos8 = false;
	read_gc(fx);
	const struct clrsos_gc *gc = fx->gc;
	assert_false(gc->regions);
	assert_false(gc->server);
	assert_int_equal(gc->heaps[0].ngenerations, 4);
	assert_int_equal(gc->nwarnings, 0);
	const struct want_segment want[] = {
		/* Under segments committed memory starts at the record itself. */
		{SEG(1), CLRSOS_SEGMENT_GEN2, SEG(1) + 0x1000, SEG(1) + 0x50000, SEG(1), SEG(1) + 0x60000, 0},
		{SEG(2), CLRSOS_SEGMENT_EPHEMERAL, SEG(2) + 0x1000, SEG(2) + 0x90000, SEG(2), SEG(2) + 0xa0000, 0},
		{SEG(3), CLRSOS_SEGMENT_LARGE, SEG(3) + 0x1000, SEG(3) + 0x81000, SEG(3), SEG(3) + 0x90000, 0},
	};
	assert_segments(gc, want, sizeof(want) / sizeof(want[0]));
	const struct clrsos_segment *e = find_segment(gc, SEG(2));
	assert_int_equal(e->gen_size[CLRSOS_GEN2], 0x3f000);
	assert_int_equal(e->gen_size[CLRSOS_GEN1], 0x30000);
	assert_int_equal(e->gen_size[CLRSOS_GEN0], 0x20000);
	const struct clrsos_gc_heap *h = &gc->heaps[0];
	assert_int_equal(h->gen_allocated[CLRSOS_GEN2], 0x4f000 + 0x3f000);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN1], 0x30000);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN0], 0x20000);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN_LOH], 0x80000);
	assert_int_equal(h->gen_allocated[CLRSOS_GEN_POH], 0);
	assert_int_equal(gc->total_allocated, 0x4f000 + 0x8f000 + 0x80000);
	assert_int_equal(gc->total_committed, 0x60000 + 0xa0000 + 0x90000);
	/* gen1 and gen0 share the ephemeral segment: it is read once. */
	assert_int_equal(fx->d.segment_calls, 3);
}

static void test_gc_read__workstation_segments_with_poh_from_generation_table(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_segments(&fx->d);
	fake_dac_add_segment(&fx->d, SEG(4), SEG(4) + 0x1000, SEG(4) + 0x3000, SEG(4) + 0x10000, 0);
	fake_dac_set_generation(&fx->d.heaps[0], 4, SEG(4), SEG(4) + 0x1000);
	read_gc(fx);
	assert_false(fx->gc->regions);
	assert_int_equal(fx->gc->heaps[0].ngenerations, 5);
	const struct clrsos_segment *p = find_segment(fx->gc, SEG(4));
	assert_non_null(p);
	assert_int_equal(p->kind, CLRSOS_SEGMENT_PINNED);
	assert_int_equal(fx->gc->heaps[0].gen_allocated[CLRSOS_GEN_POH], 0x2000);
	assert_int_equal(fx->gc->nsegments, 4);
}

static void test_gc_read__ephemeral_split_out_of_range_counts_all_as_gen0(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_segments(&fx->d);
	fx->d.has_sos8 = false;
	/* gen1 starting after gen0 is nonsense: no split is trusted. */
	fake_dac_set_generation(&fx->d.heaps[0], 1, SEG(2), SEG(2) + 0x80000);
	read_gc(fx);
	const struct clrsos_segment *e = find_segment(fx->gc, SEG(2));
	assert_int_equal(e->gen_size[CLRSOS_GEN0], 0x8f000);
	assert_int_equal(e->gen_size[CLRSOS_GEN1], 0);
	assert_int_equal(e->gen_size[CLRSOS_GEN2], 0);
}

/* Server, regions: heap h's regions at SRB(h, k), records at SREC(h, k). */
#define SRB(h, k) ((uint64_t)0x7e0000000000 + (uint64_t)(h) * 0x10000000 + (uint64_t)(k) * 0x400000)
#define SREC(h, k) ((uint64_t)0x7d0000000000 + (uint64_t)(h) * 0x1000 + (uint64_t)(k) * 0x60)
#define SHEAP(h) ((uint64_t)0x560000010000 + (uint64_t)(h) * 0x10000)

static void script_server_regions(struct fake_dac *d, uint32_t nheaps)
{
	d->heap_data.server_mode = 1;
	d->heap_data.heap_count = nheaps;
	for (uint32_t hi = 0; hi < nheaps; hi++) {
		struct fake_heap *h = fake_dac_add_heap(d, SHEAP(hi));
		h->details.alloc_allocated = SRB(hi, 0) + 0x1000 * (hi + 1);
		h->details.ephemeral_heap_segment = SREC(hi, 0);
		for (int k = 0; k < 5; k++) {
			uint64_t size = 0x100ull * (uint64_t)(k + 1) * (hi + 1);
			fake_dac_add_segment(d, SREC(hi, k), SRB(hi, k) + 0x18,
				    SRB(hi, k) + 0x18 + size, SRB(hi, k) + 0x10000, 0);
			fake_dac_set_generation(h, k, SREC(hi, k), SRB(hi, k) + 0x18);
		}
	}
}

static void test_gc_read__server_two_heaps(void **state)
{
	struct gc_fixture *fx = *state;
	script_server_regions(&fx->d, 2);
	read_gc(fx);
	const struct clrsos_gc *gc = fx->gc;
	assert_true(gc->server);
	assert_true(gc->regions);
	assert_int_equal(gc->nheaps, 2);
	assert_int_equal(gc->nsegments, 10);
	assert_int_equal(gc->nwarnings, 0);
	uint64_t total = 0;
	for (uint32_t hi = 0; hi < 2; hi++) {
		const struct clrsos_gc_heap *h = &gc->heaps[hi];
		assert_int_equal(h->index, hi);
		assert_int_equal(h->address, SHEAP(hi));
		assert_int_equal(h->alloc_allocated, SRB(hi, 0) + 0x1000 * (hi + 1));
		assert_int_equal(h->nsegments, 5);
		for (size_t s = h->first_segment; s < h->first_segment + h->nsegments; s++)
			assert_int_equal(gc->segments[s].heap, hi);
		static const enum clrsos_segment_kind kinds[5] = {
			CLRSOS_SEGMENT_GEN0, CLRSOS_SEGMENT_GEN1, CLRSOS_SEGMENT_GEN2,
			CLRSOS_SEGMENT_LARGE, CLRSOS_SEGMENT_PINNED};
		for (int k = 0; k < 5; k++) {
			const struct clrsos_segment *s = find_segment(gc, SREC(hi, k));
			assert_non_null(s);
			assert_int_equal(s->kind, kinds[k]);
			assert_int_equal(s->heap, hi);
		}
		uint64_t unit = 0x100ull * (hi + 1);
		assert_int_equal(h->gen_allocated[CLRSOS_GEN0], 0x1000 * (hi + 1) - 0x18);
		assert_int_equal(h->gen_allocated[CLRSOS_GEN1], 2 * unit);
		assert_int_equal(h->gen_allocated[CLRSOS_GEN2], 3 * unit);
		assert_int_equal(h->gen_allocated[CLRSOS_GEN_LOH], 4 * unit);
		assert_int_equal(h->gen_allocated[CLRSOS_GEN_POH], 5 * unit);
		total += 0x1000 * (hi + 1) - 0x18 + 14 * unit;
	}
	assert_int_equal(gc->total_allocated, total);
	assert_int_equal(gc->total_committed, 10 * 0x10000);
	/* Server heaps come from GetGCHeapDetails, never the workstation's static data. */
	assert_int_equal(fx->d.static_calls, 0);
	assert_true(fx->d.details_calls >= 2);
	assert_int_equal(fx->d.gen_table_svr_calls, 2);
	assert_int_equal(fx->d.gen_table_calls, 0);
}

static void test_gc_mode_read__runtime_not_initialised_asks_nothing_of_the_gc(void **state)
{
	struct gc_fixture *fx = *state;
	/* Stopped during start-up: no core types yet, and the GC's data
	 * pointers are not set (the real DAC faults if asked). */
	fx->d.globals.object_method_table = 0;
	wrap_fake_dac(fx);
	struct clrsos_gc mode;
	struct clrsos_error *err = clrsos_gc_mode_read(fx->dac, &mode);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_NO_RUNTIME);
	assert_non_null(strstr(err->message, "not initialised"));
	assert_int_equal(fx->d.heap_data_calls, 0);
	assert_int_equal(fx->d.details_calls, 0);
	clrsos_error_destroy(err);
}

static void test_gc_mode_read__server_mode_without_reading_segments(void **state)
{
	struct gc_fixture *fx = *state;
	script_server_regions(&fx->d, 2);
	wrap_fake_dac(fx);
	struct clrsos_gc mode;
	assert_null(clrsos_gc_mode_read(fx->dac, &mode));
	assert_true(mode.server);
	assert_true(mode.regions);
	assert_true(mode.structures_valid);
	assert_int_equal(mode.nheaps, 2);
	assert_false(mode.dynamic_adaptation_known);
	assert_int_equal(fx->d.segment_calls, 0);
}

static void test_gc_read__looping_segment_list_terminates_without_duplicates(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	/* gen2: REC(2) -> REC(3) -> REC(2) -> ... ; LOH points at itself. */
	fx->d.segments[3].data.next = REC(2);
	assert_int_equal(fx->d.segments[3].data.segment_addr, REC(3));
	fx->d.segments[5].data.next = REC(4);
	assert_int_equal(fx->d.segments[5].data.segment_addr, REC(4));
	read_gc(fx);
	/* The frozen segment is no longer reachable; every other one once. */
	assert_int_equal(fx->gc->nsegments, 6);
	assert_null(find_segment(fx->gc, FROZEN_REC));
	assert_non_null(find_segment(fx->gc, REC(2)));
	assert_non_null(find_segment(fx->gc, REC(3)));
	assert_non_null(find_segment(fx->gc, REC(4)));
	assert_int_equal(fx->gc->heaps[0].gen_allocated[CLRSOS_GEN2], 0x2100);
	assert_int_equal(fx->gc->heaps[0].gen_allocated[CLRSOS_GEN_LOH], 0x30000);
	assert_int_equal(fx->d.segment_calls, 6);
}

static void test_gc_read__failing_segment_warns_and_rest_is_read(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	fx->d.segments[3].fail = true; /* REC(3), the second of gen2 */
	read_gc(fx);
	const struct clrsos_gc *gc = fx->gc;
	char addr[32];
	snprintf(addr, sizeof(addr), "0x%" PRIx64, REC(3));
	assert_int_equal(gc->nwarnings, 1);
	if (!has_warning(gc, addr, "generation 2"))
		fail_msg("no warning naming %s: '%s'", addr, gc->warnings[0]);
	/* gen2's list stops there; every other list is whole. */
	assert_non_null(find_segment(gc, REC(2)));
	assert_null(find_segment(gc, REC(3)));
	assert_null(find_segment(gc, FROZEN_REC));
	assert_non_null(find_segment(gc, REC(0)));
	assert_non_null(find_segment(gc, REC(1)));
	assert_non_null(find_segment(gc, REC(4)));
	assert_non_null(find_segment(gc, REC(5)));
	assert_int_equal(gc->nsegments, 5);
	assert_int_equal(gc->heaps[0].gen_allocated[CLRSOS_GEN2], 0x2000);
}

static void test_gc_read__gc_in_progress_reads_layout_refuses_walks(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	fx->d.heap_data.gc_structures_valid = 0;
	wrap_fake_dac(fx);
	/* Mid-GC the layout is still read (eeheap shows it), with a warning ... */
	struct clrsos_gc *gc = NULL;
	assert_null(clrsos_gc_create(fx->dac, &gc));
	assert_non_null(gc);
	assert_false(gc->structures_valid);
	assert_true(gc->nsegments > 0);
	bool warned = false;
	for (size_t i = 0; i < gc->nwarnings; i++)
		warned = warned || strstr(gc->warnings[i], "middle of a garbage collection");
	assert_true(warned);
	/* ... and what walks objects is refused, saying what to do. */
	struct clrsos_error *err = clrsos_gc_check_walkable(gc);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_GC_IN_PROGRESS);
	assert_non_null(strstr(err->message, "continue it"));
	assert_non_null(strstr(err->message, "-ignoreGCState"));
	clrsos_error_destroy(err);
	clrsos_gc_destroy(gc);
	/* The mode alone still reads, and says so. */
	struct clrsos_gc mode;
	assert_null(clrsos_gc_mode_read(fx->dac, &mode));
	assert_false(mode.structures_valid);
}

static void test_gc_read__allocated_below_mem_warns_and_is_empty(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	fx->d.segments[1].data.allocated = RB(1) + 0x10; /* REC(1): mem is RB(1) + 0x18 */
	read_gc(fx);
	const struct clrsos_segment *s = find_segment(fx->gc, REC(1));
	assert_non_null(s);
	assert_int_equal(s->start, RB(1) + 0x18);
	assert_int_equal(s->end, s->start);
	assert_int_equal(s->gen_size[CLRSOS_GEN1], 0);
	assert_int_equal(fx->gc->heaps[0].gen_allocated[CLRSOS_GEN1], 0);
	char addr[32];
	snprintf(addr, sizeof(addr), "0x%" PRIx64, REC(1));
	assert_int_equal(fx->gc->nwarnings, 1);
	assert_true(has_warning(fx->gc, addr, "empty"));
	assert_int_equal(fx->gc->total_allocated,
			 (0x8000 - 0x18) + 0x2100 + 0x30000 + 0x1000 + 0x300);
}

static void test_gc_read__objects_past_committed_end_warn(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	fx->d.segments[4].data.committed = FROZEN_MEM + 0x100; /* objects end at +0x310 */
	read_gc(fx);
	const struct clrsos_segment *s = find_segment(fx->gc, FROZEN_REC);
	assert_non_null(s);
	assert_int_equal(s->committed_end, s->end);
	assert_int_equal(fx->gc->nwarnings, 1);
	char addr[32];
	snprintf(addr, sizeof(addr), "0x%" PRIx64, FROZEN_REC);
	assert_true(has_warning(fx->gc, addr, "committed"));
}

static void test_gc_read__heap_data_failure_names_the_call(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	fx->d.heap_data_hr = CLRSOS_E_FAIL;
	wrap_fake_dac(fx);
	struct clrsos_gc *gc = NULL;
	struct clrsos_error *err = clrsos_gc_create(fx->dac, &gc);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_non_null(strstr(err->message, "GetGCHeapData"));
	assert_non_null(strstr(err->message, "0x80004005"));
	assert_null(gc);
	clrsos_error_destroy(err);
}

static void test_gc_read__server_without_heaps_is_an_error(void **state)
{
	struct gc_fixture *fx = *state;
	script_server_regions(&fx->d, 1);
	fx->d.heap_data.heap_count = 0;
	wrap_fake_dac(fx);
	struct clrsos_gc *gc = NULL;
	struct clrsos_error *err = clrsos_gc_create(fx->dac, &gc);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_null(gc);
	clrsos_error_destroy(err);
}

/* The DAC wrapper ---------------------------------------------------------- */

static void test_dac_from_instance__without_sos_interface_fails_and_keeps_process(void **state)
{
	struct gc_fixture *fx = *state;
	fx->d.has_sos = false;
	struct clrsos_dac *dac = NULL;
	struct clrsos_error *err =
		clrsos_dac_from_instance(fx->target, &fx->d.process, "fake", &dac);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_non_null(strstr(err->message, "ISOSDacInterface"));
	assert_null(dac);
	clrsos_error_destroy(err);
	/* The caller's reference is untouched; the ISOSDacInterface8 it got is given back. */
	assert_int_equal(fx->d.process.refs, 1);
	assert_int_equal(fx->d.sos8.refs, 0);
}

static void test_dac_from_instance__holds_one_reference_per_interface(void **state)
{
	struct gc_fixture *fx = *state;
	wrap_fake_dac(fx);
	assert_int_equal(fx->d.process.refs, 1);
	assert_int_equal(fx->d.sos.refs, 1);
	assert_int_equal(fx->d.sos8.refs, 1);
	assert_string_equal(clrsos_dac_path(fx->dac), "fake");
	/* gc_teardown checks all come back to 0. */
}

static void test_dac_flush__calls_process_flush(void **state)
{
	struct gc_fixture *fx = *state;
	wrap_fake_dac(fx);
	clrsos_dac_flush(fx->dac);
	clrsos_dac_flush(fx->dac);
	assert_int_equal(fx->d.flush_calls, 2);
}

static void test_dac_useful_globals__from_slot_70(void **state)
{
	struct gc_fixture *fx = *state;
	fx->d.globals.string_method_table = 0x7f00aa001230ull;
	fx->d.globals.free_method_table = 0x7f00aa004560ull;
	wrap_fake_dac(fx);
	struct clrsos_dacp_useful_globals g;
	assert_null(clrsos_dac_useful_globals(fx->dac, &g));
	assert_int_equal(g.string_method_table, 0x7f00aa001230ull);
	assert_int_equal(g.free_method_table, 0x7f00aa004560ull);
}

static void test_dac_call__not_implemented_slot_is_a_dac_error(void **state)
{
	struct gc_fixture *fx = *state;
	fake_dac_unimplement(&fx->d, FAKE_SOS, CLRSOS_SLOT_SOS_GET_THREAD_STORE_DATA);
	wrap_fake_dac(fx);
	struct clrsos_dacp_thread_store_data ts;
	struct clrsos_error *err = clrsos_dac_thread_store(fx->dac, &ts);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_non_null(strstr(err->message, "GetThreadStoreData"));
	assert_non_null(strstr(err->message, "0x80004001"));
	clrsos_error_destroy(err);
	assert_int_equal(fx->d.not_impl_calls, 1);
}

static void test_dac_generation_table__none_without_sos8(void **state)
{
	struct gc_fixture *fx = *state;
	script_workstation_regions(&fx->d);
	fx->d.has_sos8 = false;
	wrap_fake_dac(fx);
	struct clrsos_dacp_generation_data gens[8];
	uint32_t n = 99;
	assert_null(clrsos_dac_generation_table(fx->dac, 0, gens, 8, &n));
	assert_int_equal(n, 0);
	assert_int_equal(fx->d.gen_table_calls, 0);
	bool known = true;
	int mode = 5;
	assert_null(clrsos_dac_dynamic_adaptation(fx->dac, &mode, &known));
	assert_false(known);
	assert_int_equal(mode, 0);
}

/* Commands ------------------------------------------------------------------- */

static const uint8_t RUNTIME_ID[20] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
				       0xff, 0x01, 0x02, 0x03, 0x04, 0x05};
static const uint64_t RUNTIME_BASE = 0x7f1200000000ull;

struct host_calls {
	unsigned count;
	char last[64];
};

static struct clrsos_error *host_evaluate(void *ctx, const char *expression,
					  uint64_t *ret)
{
	struct host_calls *h = ctx;
	h->count++;
	snprintf(h->last, sizeof(h->last), "%s", expression);
	if (strncmp(expression, "$bad", 4) == 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "cannot evaluate '%s'", expression);
	*ret = 0xabcdef;
	return NULL;
}

struct cmd_fixture {
	struct fake_target fake;
	struct clrsos_session *session;
	struct test_buffer out;
	struct host_calls calls;
	struct clrsos_host host;
	struct clrsos_settings settings;
	char *dir;     /* a temporary directory, or NULL */
	char *paths[4]; /* files to remove */
};

static int cmd_setup(void **state)
{
	struct cmd_fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fake_target_init(&fx->fake);
	clrsos_settings_init(&fx->settings);
	assert_null(clrsos_session_create(fake_target_create(&fx->fake), &fx->settings,
					  &fx->session));
	test_buffer_init(&fx->out);
	fx->host.evaluate = host_evaluate;
	fx->host.ctx = &fx->calls;
	fx->host.settings = &fx->settings;
	*state = fx;
	return 0;
}

static int cmd_teardown(void **state)
{
	struct cmd_fixture *fx = *state;
	clrsos_session_destroy(fx->session);
	clrsos_settings_deinit(&fx->settings);
	fake_target_fini(&fx->fake);
	test_buffer_fini(&fx->out);
	for (size_t i = 0; i < sizeof(fx->paths) / sizeof(fx->paths[0]); i++) {
		if (fx->paths[i]) {
			unlink(fx->paths[i]);
			free(fx->paths[i]);
		}
	}
	if (fx->dir) {
		rmdir(fx->dir);
		free(fx->dir);
	}
	free(fx);
	return 0;
}

static struct clrsos_error *run(struct cmd_fixture *fx, clrsos_command_fn *cmd,
				int argc, const char *const *argv)
{
	test_buffer_reset(&fx->out);
	return cmd(fx->session, &fx->host, argc, argv, &fx->out.writer);
}

#define RUN(fx, cmd, ...)                                                     \
	run(fx, cmd, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), \
	    (const char *const[]){__VA_ARGS__})

/* The error is an invalid argument that says each of the words. */
static void assert_invalid(struct clrsos_error *err, const char *w1, const char *w2)
{
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_INVALID_ARGUMENT);
	if (w1 && !strstr(err->message, w1))
		fail_msg("'%s' does not say '%s'", err->message, w1);
	if (w2 && !strstr(err->message, w2))
		fail_msg("'%s' does not say '%s'", err->message, w2);
	clrsos_error_destroy(err);
}

/* Parsing failed before anything of the target was asked for. */
static void assert_target_untouched(struct cmd_fixture *fx)
{
	assert_int_equal(fx->fake.modules_calls, 0);
	assert_int_equal(fx->fake.read_calls, 0);
	assert_int_equal(fx->out.len, 0);
}

static void test_error__a_message_quoting_a_megabyte_stays_short(void **state)
{
	(void)state;
	char *big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'A', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	struct clrsos_error *err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "unknown option '-%s'", big);
	assert_true(strlen(err->message) <= 600);
	assert_non_null(strstr(err->message, "unknown option '-AAAA"));
	assert_non_null(strstr(err->message, "... (1048593 characters in all)"));
	err = clrsos_error_wrap(err, "dumpheap %s", big);
	assert_true(strlen(err->message) <= 600);
	clrsos_error_destroy(err);
	free(big);
}

static void test_parse_address__bare_hex_is_hex(void **state)
{
	struct cmd_fixture *fx = *state;
	uint64_t v = 0;
	assert_null(clrsos_parse_address(&fx->host, "7f00a0", &v));
	assert_int_equal(v, 0x7f00a0);
	assert_null(clrsos_parse_address(&fx->host, "10", &v));
	assert_int_equal(v, 0x10);
	assert_null(clrsos_parse_address(&fx->host, "00007F12ABCDEF00", &v));
	assert_int_equal(v, 0x7f12abcdef00ull);
	assert_null(clrsos_parse_address(&fx->host, "0x10", &v));
	assert_int_equal(v, 0x10);
	assert_null(clrsos_parse_address(&fx->host, "0XfFfFfFfFfFfFfFfF", &v));
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(fx->calls.count, 0);
}

static void test_parse_address__expression_goes_to_host(void **state)
{
	struct cmd_fixture *fx = *state;
	uint64_t v = 0;
	assert_null(clrsos_parse_address(&fx->host, "$rdi", &v));
	assert_int_equal(v, 0xabcdef);
	assert_string_equal(fx->calls.last, "$rdi");
	assert_null(clrsos_parse_address(&fx->host, "0x7f00+0x10", &v));
	assert_string_equal(fx->calls.last, "0x7f00+0x10");
	/* 17 hex digits cannot be an address: the debugger decides. */
	assert_null(clrsos_parse_address(&fx->host, "10000000000000000", &v));
	assert_string_equal(fx->calls.last, "10000000000000000");
	assert_int_equal(fx->calls.count, 3);
	struct clrsos_error *err = clrsos_parse_address(&fx->host, "$bad + 1", &v);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "$bad + 1"));
	clrsos_error_destroy(err);
}

static void test_parse_address__expression_without_host_fails(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_invalid(clrsos_parse_address(NULL, "$rdi", &v), "$rdi", "not an address");
	struct clrsos_host no_eval = {0};
	assert_invalid(clrsos_parse_address(&no_eval, "my_var", &v), "my_var", NULL);
	assert_invalid(clrsos_parse_address(NULL, "", &v), NULL, NULL);
	/* Bare hex needs no host. */
	assert_null(clrsos_parse_address(NULL, "beef", &v));
	assert_int_equal(v, 0xbeef);
}

static void test_parse_uint__decimal_and_hex(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_null(clrsos_parse_uint("-heap", "12", &v));
	assert_int_equal(v, 12);
	assert_null(clrsos_parse_uint("-heap", "0x10", &v));
	assert_int_equal(v, 16);
	assert_null(clrsos_parse_uint("-heap", "0", &v));
	assert_int_equal(v, 0);
	assert_null(clrsos_parse_uint("-n", "18446744073709551615", &v));
	assert_int_equal(v, UINT64_MAX);
}

static void test_parse_uint__rejects_negative_garbage_overflow(void **state)
{
	(void)state;
	uint64_t v = 7;
	assert_invalid(clrsos_parse_uint("-heap", "-1", &v), "-heap", "'-1'");
	assert_invalid(clrsos_parse_uint("-heap", "abc", &v), "-heap", "'abc'");
	assert_invalid(clrsos_parse_uint("-heap", "12abc", &v), NULL, NULL);
	assert_invalid(clrsos_parse_uint("-heap", "", &v), NULL, NULL);
	assert_invalid(clrsos_parse_uint("-heap", NULL, &v), "-heap", NULL);
	assert_invalid(clrsos_parse_uint("-heap", "18446744073709551616", &v), NULL, NULL);
	assert_invalid(clrsos_parse_uint("-heap", "0x1ffffffffffffffff", &v), NULL, NULL);
	assert_int_equal(v, 7);
}

/* strtoull skips white space before a sign: " -1" must not wrap to UINT64_MAX. */
static void test_parse_uint_range__quotes_as_typed_names_option_and_range(void **state)
{
	(void)state;
	uint64_t v = 7;
	assert_null(clrsos_parse_uint_range("-n", "0xffffffff", 1, UINT32_MAX, &v));
	assert_int_equal(v, UINT32_MAX);
	v = 7;
	/* 2^32 + 5 must not become thread 5. */
	struct clrsos_error *err = clrsos_parse_uint_range("the OS thread id", "4294967301", 1, UINT32_MAX, &v);
	assert_non_null(err);
	assert_string_equal(err->message, "the OS thread id '4294967301' is out of range: it takes 1 to 4294967295");
	clrsos_error_destroy(err);
	err = clrsos_parse_uint_range("-heap", "0x100000000", 0, INT32_MAX, &v);
	assert_non_null(err);
	assert_string_equal(err->message, "-heap '0x100000000' is out of range: it takes 0 to 2147483647");
	clrsos_error_destroy(err);
	assert_invalid(clrsos_parse_uint_range("-n", "0", 1, 10, &v), "'0' is out of range", "1 to 10");
	/* Past 64 bits: out of range too, as typed, not a wrapped number. */
	err = clrsos_parse_uint("-min", "18446744073709551616", &v);
	assert_non_null(err);
	assert_string_equal(err->message, "-min '18446744073709551616' is out of range: it takes 0 to 18446744073709551615");
	clrsos_error_destroy(err);
	assert_int_equal(v, 7);
}

static void test_dumpheap__heap_past_int32_quoted_as_typed(void **state)
{
	struct cmd_fixture *fx = *state;
	struct clrsos_error *err = RUN(fx, clrsos_cmd_dumpheap, "-stat", "-heap", "4294967296");
	assert_non_null(err);
	assert_string_equal(err->message, "dumpheap: -heap '4294967296' is out of range: it takes 0 to 2147483647");
	clrsos_error_destroy(err);
	assert_target_untouched(fx);
}

static void test_clrbt__thread_id_past_32_bits_is_refused(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_clrbt, "4294967297"), "clrbt: the OS thread id '4294967297' is out of range",
		       "1 to 4294967295");
	assert_invalid(RUN(fx, clrsos_cmd_clrbt, "0x100000001"), "'0x100000001'", NULL);
	assert_target_untouched(fx);
}

static void test_dumpheap__min_above_max_quoted_as_typed(void **state)
{
	struct cmd_fixture *fx = *state;
	struct clrsos_error *err = RUN(fx, clrsos_cmd_dumpheap, "-stat", "-min", "0x10", "-max", "8");
	assert_non_null(err);
	assert_string_equal(err->message, "dumpheap: -min 0x10 is above -max 8");
	clrsos_error_destroy(err);
	assert_target_untouched(fx);
}

static void test_gcroot__limit_zero_is_refused(void **state)
{
	struct cmd_fixture *fx = *state;
	/* It would otherwise look at no root and say nothing keeps the object alive. */
	assert_invalid(RUN(fx, clrsos_cmd_gcroot, "-limit", "0", "1000"), "-limit '0' is out of range", "1 to");
	assert_target_untouched(fx);
}

static void test_parse_uint__rejects_negative_after_white_space(void **state)
{
	(void)state;
	uint64_t v = 7;
	struct clrsos_error *err = clrsos_parse_uint("-heap", " -1", &v);
	if (!err)
		fail_msg("\" -1\" was accepted as %" PRIu64, v);
	clrsos_error_destroy(err);
}

/* Numbers are decimal, or hex with 0x: a leading 0 is not octal. */
static void test_parse_uint__leading_zero_is_decimal_not_octal(void **state)
{
	(void)state;
	uint64_t v = 0;
	struct clrsos_error *err = clrsos_parse_uint("-heap", "010", &v);
	if (err) {
		clrsos_error_destroy(err);
		fail_msg("\"010\" was rejected");
	}
	assert_int_equal(v, 10);
	err = clrsos_parse_uint("-heap", "09", &v);
	if (err) {
		clrsos_error_destroy(err);
		fail_msg("\"09\" was rejected");
	}
	assert_int_equal(v, 9);
}

static void test_eeheap__unknown_option(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "-gc", "-bogus"), "eeheap", "'-bogus'");
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "--verbose"), "'--verbose'", NULL);
	assert_target_untouched(fx);
}

static void test_eeheap__heap_needs_a_value(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "-heap"), "-heap", "needs a value");
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "-segment"), "-segment", "needs a value");
	assert_target_untouched(fx);
}

static void test_eeheap__heap_needs_a_number(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "-heap", "two"), "-heap", "'two'");
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "-heap", "-1"), "-heap", "'-1'");
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "-heap", "4294967296"),
		       "eeheap: -heap '4294967296' is out of range: it takes 0 to 2147483647", NULL);
	assert_target_untouched(fx);
}

static void test_eeheap__segment_expression_error_is_wrapped(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "-segment", "$bad"), "eeheap: ", "$bad");
	assert_int_equal(fx->calls.count, 1);
	assert_target_untouched(fx);
}

static void test_eeheap__range_must_rise_and_at_most_two_addresses(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "2000", "1000"), "range", NULL);
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "1000", "1000"), "range", NULL);
	assert_invalid(RUN(fx, clrsos_cmd_eeheap, "1000", "2000", "3000"), "'3000'", NULL);
	assert_target_untouched(fx);
}

static void test_eeheap__no_runtime_in_target(void **state)
{
	struct cmd_fixture *fx = *state;
	fake_target_add_module(&fx->fake, "libc.so.6", "/lib/libc.so.6", 0x7f0000000000ull, NULL, 0);
	struct clrsos_error *err = RUN(fx, clrsos_cmd_eeheap, "-gc");
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_NO_RUNTIME);
	assert_non_null(strstr(err->message, "libcoreclr.so"));
	clrsos_error_destroy(err);
	assert_int_equal(fx->out.len, 0);
}

static void test_eeversion__unknown_option(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_eeversion, "-v"), "eeversion", "'-v'");
	assert_target_untouched(fx);
}

static void test_eeversion__no_runtime_in_target(void **state)
{
	struct cmd_fixture *fx = *state;
	fake_target_add_module(&fx->fake, "dotnet", "/usr/bin/dotnet", 0x400000, NULL, 0);
	fake_target_add_module(&fx->fake, "libc.so.6", "/lib/libc.so.6", 0x7f0000000000ull, NULL, 0);
	struct clrsos_error *err = RUN(fx, clrsos_cmd_eeversion, "--json");
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_NO_RUNTIME);
	assert_non_null(strstr(err->message, "libcoreclr.so"));
	clrsos_error_destroy(err);
	assert_int_equal(fx->out.len, 0);
}

/*
 * A runtime image for the target's memory, laid out as loaded: read-only
 * [0, 0x2000) with the build-id note, writable [0x3000, 0x4000) holding
 * the version string.
 */
static uint8_t *runtime_memory(size_t *ret_size)
{
	struct fake_elf_spec spec = {
		.size = 4 * CLRSOS_PAGE_SIZE,
		.loads = {
			{.offset = 0, .vaddr = 0, .filesz = 0x2000, .flags = PF_R | PF_X},
			{.offset = 0x2000, .vaddr = 0x3000, .filesz = 0x1000, .flags = PF_R | PF_W},
		},
		.nloads = 2,
		.note_offset = 0x200,
		.build_id = RUNTIME_ID,
		.build_id_len = sizeof(RUNTIME_ID),
	};
	uint8_t *img = fake_elf_build(&spec);
	static const char version[] =
		"@(#)Version 8.0.1124.51707 @Commit: 9d5e1a9fb0f9bfbb3d6ff51cb9a44b0d8a70b1a2";
	memcpy(img + 0x3100, version, sizeof(version));
	*ret_size = spec.size;
	return img;
}

static void test_eeversion__without_dac_shows_runtime_and_returns_dac_error(void **state)
{
	struct cmd_fixture *fx = *state;
	fx->dir = fake_temp_dir();
	char *runtime_path;
	assert_true(asprintf(&runtime_path, "%s/libcoreclr.so", fx->dir) > 0);
	size_t size;
	uint8_t *img = runtime_memory(&size);
	fake_target_add_region(&fx->fake, RUNTIME_BASE, img, size);
	free(img);
	fake_target_add_module(&fx->fake, "libcoreclr.so", runtime_path, RUNTIME_BASE,
			       RUNTIME_ID, sizeof(RUNTIME_ID));
	struct clrsos_error *err = run(fx, clrsos_cmd_eeversion, 0, NULL);
	/* The directory holds no DAC: said, after what is known was shown. */
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_non_null(strstr(err->message, "libmscordaccore.so"));
	assert_non_null(strstr(err->message, "112233445566778899aabbccddeeff0102030405"));
	clrsos_error_destroy(err);
	const char *out = fx->out.data;
	if (!strstr(out, "8.0.1124.51707\n.NET runtime 8.0.11 @Commit: 9d5e1a9fb0f9bfbb3d6ff51cb9a44b0d8a70b1a2\n"))
		fail_msg("no version in:\n%s", out);
	char want[512];
	snprintf(want, sizeof(want),
		 "Runtime: %s at 0x7f1200000000 (build-id 112233445566778899aabbccddeeff0102030405)\n",
		 runtime_path);
	if (!strstr(out, want))
		fail_msg("no '%s' in:\n%s", want, out);
	assert_null(strstr(out, "DAC:"));
	assert_null(strstr(out, "mode"));

	err = RUN(fx, clrsos_cmd_eeversion, "--json");
	clrsos_error_destroy(err);
	out = fx->out.data;
	assert_non_null(strstr(out, "\"runtimeVersion\":\"8.0.11\""));
	assert_non_null(strstr(out, "\"runtimeBase\":\"0x7f1200000000\""));
	assert_non_null(strstr(out, "\"buildIdFromTargetMemory\":true"));
	assert_non_null(strstr(out, "\"dacPath\":null"));
	assert_int_equal(out[fx->out.len - 1], '\n');
	free(runtime_path);
}

/* A directory holding a libcoreclr.so with build-id id and a stand-in DAC file. */
static void make_runtime_dir(struct cmd_fixture *fx, const uint8_t *id)
{
	fx->dir = fake_temp_dir();
	size_t size;
	uint8_t *img = runtime_memory(&size);
	if (id) {
		/* runtime_memory's note is at 0x200: its descriptor at 0x210. */
		memcpy(img + 0x210, id, 20);
	}
	assert_true(asprintf(&fx->paths[0], "%s/libcoreclr.so", fx->dir) > 0);
	assert_true(asprintf(&fx->paths[1], "%s/libmscordaccore.so", fx->dir) > 0);
	FILE *f = fopen(fx->paths[0], "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, size, f), size);
	fclose(f);
	f = fopen(fx->paths[1], "wb");
	assert_non_null(f);
	fputs("not a shared library", f);
	fclose(f);
	free(img);
	size_t mem_size;
	uint8_t *mem = runtime_memory(&mem_size);
	fake_target_add_region(&fx->fake, RUNTIME_BASE, mem, mem_size);
	free(mem);
	fake_target_add_module(&fx->fake, "libcoreclr.so", fx->paths[0], RUNTIME_BASE,
			       RUNTIME_ID, sizeof(RUNTIME_ID));
}

static void test_eeheap__dac_beside_other_runtime_build_is_refused(void **state)
{
	struct cmd_fixture *fx = *state;
	static const uint8_t other[20] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
					  0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
					  0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
	make_runtime_dir(fx, other);
	struct clrsos_error *err = run(fx, clrsos_cmd_eeheap, 0, NULL);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_non_null(strstr(err->message, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"));
	assert_non_null(strstr(err->message, "another runtime build"));
	clrsos_error_destroy(err);
}

static void test_eeheap__dac_in_directory_others_can_write_is_refused(void **state)
{
	struct cmd_fixture *fx = *state;
	make_runtime_dir(fx, NULL);
	assert_int_equal(chmod(fx->dir, 0777), 0);
	struct clrsos_error *err = run(fx, clrsos_cmd_eeheap, 0, NULL);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_non_null(strstr(err->message, "writable by other users"));
	assert_non_null(strstr(err->message, "setclrpath"));
	clrsos_error_destroy(err);

	/* Named by the user, the same directory is trusted: loading is tried. */
	const char *argv[] = {fx->dir};
	err = run(fx, clrsos_cmd_setclrpath, 1, argv);
	assert_null(err);
	err = run(fx, clrsos_cmd_eeheap, 0, NULL);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_null(strstr(err->message, "writable by other users"));
	assert_non_null(strstr(err->message, "cannot load"));
	clrsos_error_destroy(err);
}

static void test_setclrpath__nonexistent_directory(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_setclrpath, "/nonexistent/clrsos/runtime"),
		       "/nonexistent/clrsos/runtime", strerror(ENOENT));
	assert_null(fx->settings.clr_path);
	assert_int_equal(fx->out.len, 0);
}

static void test_setclrpath__file_is_not_a_directory(void **state)
{
	struct cmd_fixture *fx = *state;
	fx->paths[0] = fake_temp_file("x", 1);
	assert_invalid(RUN(fx, clrsos_cmd_setclrpath, fx->paths[0]), fx->paths[0],
		       "not a directory");
	assert_null(fx->settings.clr_path);
}

static void test_setclrpath__set_show_clear(void **state)
{
	struct cmd_fixture *fx = *state;
	fx->dir = fake_temp_dir();
	char want[512];

	assert_null(run(fx, clrsos_cmd_setclrpath, 0, NULL));
	assert_string_equal(fx->out.data,
			    "Load path for DAC: (not set: the runtime's own directory)\n");

	assert_null(RUN(fx, clrsos_cmd_setclrpath, fx->dir));
	snprintf(want, sizeof(want), "Set load path for DAC to '%s'\n", fx->dir);
	assert_string_equal(fx->out.data, want);
	assert_string_equal(fx->settings.clr_path, fx->dir);

	assert_null(run(fx, clrsos_cmd_setclrpath, 0, NULL));
	snprintf(want, sizeof(want), "Load path for DAC: %s\n", fx->dir);
	assert_string_equal(fx->out.data, want);

	assert_null(RUN(fx, clrsos_cmd_setclrpath, "--json"));
	snprintf(want, sizeof(want), "{\"clrPath\":\"%s\"}\n", fx->dir);
	assert_string_equal(fx->out.data, want);

	assert_null(RUN(fx, clrsos_cmd_setclrpath, "-clear"));
	assert_string_equal(fx->out.data,
			    "Cleared the DAC load path: the runtime's own directory is used\n");
	assert_null(fx->settings.clr_path);

	assert_null(RUN(fx, clrsos_cmd_setclrpath, "--json"));
	assert_string_equal(fx->out.data, "{\"clrPath\":null}\n");
	/* None of it needed the target. */
	assert_int_equal(fx->fake.modules_calls, 0);
}

static void test_setclrpath__trailing_slashes_dropped(void **state)
{
	struct cmd_fixture *fx = *state;
	fx->dir = fake_temp_dir();
	char with_slashes[512];
	snprintf(with_slashes, sizeof(with_slashes), "%s//", fx->dir);
	assert_null(RUN(fx, clrsos_cmd_setclrpath, with_slashes));
	assert_string_equal(fx->settings.clr_path, fx->dir);
	assert_null(RUN(fx, clrsos_cmd_setclrpath, "/"));
	assert_string_equal(fx->settings.clr_path, "/");
}

static void test_setclrpath__bad_arguments(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_setclrpath, "-x"), "setclrpath", "'-x'");
	assert_invalid(RUN(fx, clrsos_cmd_setclrpath, "/", "/tmp"), "one directory", NULL);
	assert_null(fx->settings.clr_path);
}

static void test_settings__list_shows_every_setting_with_its_default(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_null(run(fx, clrsos_cmd_settings, 0, NULL));
	const char *names[] = {"clr-path ", "runtime-dir ", "progress-after-ms ", "memory-reader "};
	for (size_t i = 0; i < 4; i++)
		if (!strstr(fx->out.data, names[i]))
			fail_msg("no %s in:\n%s", names[i], fx->out.data);
	assert_non_null(strstr(fx->out.data, "progress-after-ms  1000 "));
	assert_non_null(strstr(fx->out.data, "memory-reader      direct "));
	assert_non_null(strstr(fx->out.data, "runtime-dir        (not set) "));
	/* One line each. */
	size_t lines = 0;
	for (const char *p = fx->out.data; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, clrsos_setting_count);

	assert_null(RUN(fx, clrsos_cmd_settings, "--json"));
	assert_non_null(strstr(fx->out.data, "{\"settings\":[{\"name\":\"clr-path\",\"value\":null,"));
	assert_non_null(strstr(fx->out.data, "{\"name\":\"progress-after-ms\",\"value\":1000,"));
	assert_non_null(strstr(fx->out.data, "{\"name\":\"memory-reader\",\"value\":\"direct\","));
	assert_int_equal(fx->fake.modules_calls, 0);
}

static void test_settings__set_show_clear(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_null(RUN(fx, clrsos_cmd_settings, "progress-after-ms", "0"));
	assert_string_equal(fx->out.data, "progress-after-ms = 0\n");
	assert_int_equal(fx->settings.progress_after_ms, 0);
	assert_null(RUN(fx, clrsos_cmd_settings, "Progress-After-MS", "0x10", "--json"));
	assert_string_equal(fx->out.data, "{\"name\":\"progress-after-ms\",\"value\":16,\"changed\":true}\n");
	assert_null(RUN(fx, clrsos_cmd_settings, "progress-after-ms"));
	assert_string_equal(fx->out.data, "progress-after-ms = 16\n");
	assert_null(RUN(fx, clrsos_cmd_settings, "progress-after-ms", "-clear"));
	assert_string_equal(fx->out.data, "progress-after-ms = 1000\n");

	uint64_t generation = fx->settings.generation;
	assert_null(RUN(fx, clrsos_cmd_settings, "memory-reader", "debugger"));
	assert_int_equal(fx->settings.memory_reader, CLRSOS_MEMORY_DEBUGGER);
	assert_true(fx->settings.generation > generation);
	assert_null(RUN(fx, clrsos_cmd_settings, "memory-reader", "--json"));
	assert_string_equal(fx->out.data, "{\"name\":\"memory-reader\",\"value\":\"debugger\",\"changed\":false}\n");

	fx->dir = fake_temp_dir();
	char with_slash[512], want[600];
	snprintf(with_slash, sizeof(with_slash), "%s/", fx->dir);
	generation = fx->settings.generation;
	assert_null(RUN(fx, clrsos_cmd_settings, "runtime-dir", with_slash));
	snprintf(want, sizeof(want), "runtime-dir = %s\n", fx->dir);
	assert_string_equal(fx->out.data, want);
	assert_string_equal(fx->settings.runtime_dir, fx->dir);
	assert_true(fx->settings.generation > generation);
	assert_null(RUN(fx, clrsos_cmd_settings, "runtime-dir", ""));
	assert_null(fx->settings.runtime_dir);
	assert_string_equal(fx->out.data, "runtime-dir = (not set)\n");

	/* clr-path is setclrpath's. */
	assert_null(RUN(fx, clrsos_cmd_settings, "clr-path", fx->dir));
	assert_string_equal(fx->settings.clr_path, fx->dir);
	assert_null(run(fx, clrsos_cmd_setclrpath, 0, NULL));
	snprintf(want, sizeof(want), "Load path for DAC: %s\n", fx->dir);
	assert_string_equal(fx->out.data, want);
	assert_null(RUN(fx, clrsos_cmd_settings, "clr-path", "-clear"));
	assert_null(fx->settings.clr_path);
}

static void test_settings__errors_leave_settings_unchanged(void **state)
{
	struct cmd_fixture *fx = *state;
	assert_invalid(RUN(fx, clrsos_cmd_settings, "no-such-setting"), "no setting 'no-such-setting'",
		       "clrsos settings");
	assert_invalid(RUN(fx, clrsos_cmd_settings, "no-such-setting", "1"), "no setting", NULL);
	assert_invalid(RUN(fx, clrsos_cmd_settings, "progress-after-ms", "soon"), "'soon' is not a number",
		       "milliseconds");
	assert_invalid(RUN(fx, clrsos_cmd_settings, "progress-after-ms", "-5"), "'-5'", NULL);
	assert_invalid(RUN(fx, clrsos_cmd_settings, "progress-after-ms", "99999999999999999999999"),
		       "out of range", NULL);
	assert_int_equal(fx->settings.progress_after_ms, 1000);
	assert_invalid(RUN(fx, clrsos_cmd_settings, "memory-reader", "ptrace"), "'ptrace' is not one",
		       "direct or debugger");
	assert_int_equal(fx->settings.memory_reader, CLRSOS_MEMORY_DIRECT);
	assert_invalid(RUN(fx, clrsos_cmd_settings, "runtime-dir", "/nonexistent/clrsos"), "/nonexistent/clrsos",
		       strerror(ENOENT));
	assert_null(fx->settings.runtime_dir);
	assert_invalid(RUN(fx, clrsos_cmd_settings, "progress-after-ms", "1", "2"), "'2'", NULL);
	assert_invalid(RUN(fx, clrsos_cmd_settings, "-clear"), "-clear", NULL);
	assert_int_equal(fx->settings.progress_after_ms, 1000);
}

static void test_command_table__every_command_complete(void **state)
{
	(void)state;
	const char *const names[] = {"eeversion", "eeheap", "setclrpath"};
	for (size_t n = 0; n < 3; n++) {
		size_t i = 0;
		while (i < clrsos_command_count && strcmp(clrsos_commands[i].name, names[n]))
			i++;
		if (i == clrsos_command_count)
			fail_msg("no command %s", names[n]);
	}
	for (size_t i = 0; i < clrsos_command_count; i++) {
		const struct clrsos_command *c = &clrsos_commands[i];
		assert_non_null(c->name);
		assert_non_null(c->help);
		assert_non_null(c->syntax);
		assert_non_null(c->run);
		/* The syntax starts with the command's own name. */
		assert_int_equal(strncmp(c->syntax, c->name, strlen(c->name)), 0);
	}
}


/* clrsos_command_run and --json errors --------------------------------- */

struct held_out {
	char *text;
	size_t size;
};

static void held_out_write(void *ctx, const char *text, size_t size)
{
	struct held_out *o = ctx;
	o->text = realloc(o->text, o->size + size + 1);
	assert_non_null(o->text);
	memcpy(o->text + o->size, text, size);
	o->size += size;
	o->text[o->size] = '\0';
}

/* Writes a JSON document's start, then fails, as gcroot could half way. */
static struct clrsos_error *fails_half_way(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	(void)session, (void)host, (void)argc, (void)argv;
	clrsos_out(out, "{\"roots\":[{\"kind\":\"handle\"");
	return clrsos_error_fault(0x1234, "reading 0x1234: \"quoted\"\tand tabbed");
}

/* Writes 20 MB of one JSON string (past what is held in memory), then succeeds. */
static struct clrsos_error *writes_a_lot(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	(void)session, (void)host, (void)argc, (void)argv;
	static char chunk[4096];
	memset(chunk, 'a', sizeof(chunk));
	clrsos_out(out, "{\"text\":\"");
	for (int i = 0; i < 5120; i++)
		out->write(out->ctx, chunk, sizeof(chunk));
	clrsos_out(out, "\"}\n");
	return NULL;
}

static void test_command_run__json_failure_leaves_only_the_error_object(void **state)
{
	(void)state;
	const struct clrsos_command c = {.name = "gcroot", .help = "", .syntax = "gcroot", .run = fails_half_way};
	struct held_out o = {0};
	struct clrsos_writer w = {held_out_write, &o};
	const char *argv[] = {"0x10", "--json"};
	struct clrsos_error *err = clrsos_command_run(&c, NULL, NULL, 2, argv, &w);
	assert_non_null(err);
	/* Nothing of the half-written document: the error object alone. */
	assert_string_equal(o.text, "{\"error\":\"reading 0x1234: \\\"quoted\\\"\\\\tand tabbed\",\"code\":\"fault\","
				    "\"command\":\"gcroot\",\"address\":\"0x1234\"}\n");
	clrsos_error_destroy(err);
	free(o.text);
}

/* Answers whole, then fails: eeversion without a DAC. */
static struct clrsos_error *answers_then_fails(struct clrsos_session *session, const struct clrsos_host *host,
					       int argc, const char *const *argv, struct clrsos_writer *out)
{
	(void)session, (void)host, (void)argc, (void)argv;
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "runtimeVersion");
	clrsos_json_string(&j, "10.0.12");
	clrsos_json_key(&j, "dacPath");
	clrsos_json_null(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
	return clrsos_error_create(CLRSOS_ERROR_DAC, "no usable DAC");
}

static void test_command_run__json_whole_answer_then_failure_is_one_object(void **state)
{
	(void)state;
	const struct clrsos_command c = {.name = "eeversion", .help = "", .syntax = "eeversion",
					 .run = answers_then_fails};
	struct held_out o = {0};
	struct clrsos_writer w = {held_out_write, &o};
	const char *argv[] = {"--json"};
	struct clrsos_error *err = clrsos_command_run(&c, NULL, NULL, 1, argv, &w);
	assert_non_null(err);
	assert_string_equal(o.text, "{\"runtimeVersion\":\"10.0.12\",\"dacPath\":null,\"error\":\"no usable DAC\","
				    "\"code\":\"dac\",\"command\":\"eeversion\"}\n");
	clrsos_error_destroy(err);
	free(o.text);
}

static void test_command_run__text_failure_keeps_what_was_written_and_reports_nothing(void **state)
{
	(void)state;
	const struct clrsos_command c = {.name = "gcroot", .help = "", .syntax = "gcroot", .run = fails_half_way};
	struct held_out o = {0};
	struct clrsos_writer w = {held_out_write, &o};
	const char *argv[] = {"0x10"};
	struct clrsos_error *err = clrsos_command_run(&c, NULL, NULL, 1, argv, &w);
	assert_non_null(err);
	assert_non_null(o.text);
	size_t before = o.size;
	clrsos_command_report(c.name, 1, argv, err, &w);
	assert_int_equal(o.size, before); /* the debugger shows the error line */
	clrsos_error_destroy(err);
	free(o.text);
}

static void test_command_run__large_json_output_arrives_whole(void **state)
{
	(void)state;
	const struct clrsos_command c = {.name = "dumpstring", .help = "", .syntax = "dumpstring", .run = writes_a_lot};
	struct held_out o = {0};
	struct clrsos_writer w = {held_out_write, &o};
	const char *argv[] = {"--json"};
	struct clrsos_error *err = clrsos_command_run(&c, NULL, NULL, 1, argv, &w);
	assert_null(err);
	assert_int_equal(o.size, strlen("{\"text\":\"") + 5120 * 4096 + strlen("\"}\n"));
	assert_int_equal(strncmp(o.text, "{\"text\":\"aaaa", 13), 0);
	assert_string_equal(o.text + o.size - 5, "aa\"}\n");
	free(o.text);
}

static void test_command_select__any_case_alias_help_and_unknown(void **state)
{
	(void)state;
	struct held_out o = {0};
	struct clrsos_writer w = {held_out_write, &o};
	const struct clrsos_command *c;
	const char *a1[] = {"DumpHeap", "-stat"};
	assert_null(clrsos_command_select(2, a1, &w, &c));
	assert_non_null(c);
	assert_string_equal(c->name, "dumpheap");
	const char *a2[] = {"DO"};
	assert_null(clrsos_command_select(1, a2, &w, &c));
	assert_string_equal(c->name, "dumpobj");
	assert_null(o.text);
	assert_null(clrsos_command_select(0, NULL, &w, &c));
	assert_null(c);
	assert_non_null(strstr(o.text, "  finalizequeue        Show"));
	assert_non_null(strstr(o.text, "also: fq, FinalizeQueue\n"));
	assert_non_null(strstr(o.text, "also: printexception, PrintException, Printexception\n"));
	free(o.text);
	o = (struct held_out){0};
	/* SOS's names, in any case; the help of one says them. */
	const char *sos_names[][2] = {{"DUMPSTACKOBJECTS", "dso"}, {"printException", "pe"}, {"Threads", "threads"}, {"T", "clrthreads"},
				      {"CLRSTACK", "clrstack"}, {"setclrpath", "setclrpath"}, {"dA", "dumparray"}};
	for (size_t i = 0; i < sizeof(sos_names) / sizeof(sos_names[0]); i++) {
		const char *a[] = {sos_names[i][0]};
		assert_null(clrsos_command_select(1, a, &w, &c));
		assert_non_null(c);
		assert_string_equal(c->name, sos_names[i][1]);
	}
	assert_null(o.text);
	const char *a5[] = {"help", "Do"};
	assert_null(clrsos_command_select(2, a5, &w, &c));
	assert_non_null(strstr(o.text, "\nAlso: do, DumpObj (SOS's names)\n"));
	free(o.text);
	o = (struct held_out){0};
	/* An SOS command clrsos does not have is no command of clrsos's. */
	const char *a6[] = {"soshelp"};
	struct clrsos_error *missing = clrsos_command_select(1, a6, &w, &c);
	assert_non_null(missing);
	assert_null(c);
	clrsos_error_destroy(missing);
	o = (struct held_out){0};
	const char *a3[] = {"Help", "GCROOT"};
	assert_null(clrsos_command_select(2, a3, &w, &c));
	assert_null(c);
	assert_non_null(strstr(o.text, "gcroot <address> [-nostacks]"));
	free(o.text);
	const char *a4[] = {"dumpheaps"};
	struct clrsos_error *err = clrsos_command_select(1, a4, &w, &c);
	assert_non_null(err);
	assert_null(c);
	assert_non_null(strstr(err->message, "'dumpheaps'"));
	assert_non_null(strstr(err->message, "clrsos help"));
	clrsos_error_destroy(err);
}

#define G(name) cmocka_unit_test_setup_teardown(name, gc_setup, gc_teardown)
#define C(name) cmocka_unit_test_setup_teardown(name, cmd_setup, cmd_teardown)

int run_commands_tests(void)
{
	const struct CMUnitTest tests[] = {
		G(test_gc_read__workstation_regions_kinds_and_ranges),
		G(test_gc_read__workstation_regions_generation_sizes_and_totals),
		G(test_gc_read__workstation_segments_split_ephemeral_by_generation),
		G(test_gc_read__workstation_segments_with_poh_from_generation_table),
		G(test_gc_read__ephemeral_split_out_of_range_counts_all_as_gen0),
		G(test_gc_read__server_two_heaps),
		G(test_gc_mode_read__server_mode_without_reading_segments),
		G(test_gc_mode_read__runtime_not_initialised_asks_nothing_of_the_gc),
		G(test_gc_read__looping_segment_list_terminates_without_duplicates),
		G(test_gc_read__failing_segment_warns_and_rest_is_read),
		G(test_gc_read__gc_in_progress_reads_layout_refuses_walks),
		G(test_gc_read__allocated_below_mem_warns_and_is_empty),
		G(test_gc_read__objects_past_committed_end_warn),
		G(test_gc_read__heap_data_failure_names_the_call),
		G(test_gc_read__server_without_heaps_is_an_error),
		G(test_dac_from_instance__without_sos_interface_fails_and_keeps_process),
		G(test_dac_from_instance__holds_one_reference_per_interface),
		G(test_dac_flush__calls_process_flush),
		G(test_dac_useful_globals__from_slot_70),
		G(test_dac_call__not_implemented_slot_is_a_dac_error),
		G(test_dac_generation_table__none_without_sos8),
		C(test_parse_address__bare_hex_is_hex),
		C(test_parse_address__expression_goes_to_host),
		C(test_parse_address__expression_without_host_fails),
		C(test_parse_uint__decimal_and_hex),
		C(test_parse_uint__rejects_negative_garbage_overflow),
		C(test_parse_uint_range__quotes_as_typed_names_option_and_range),
		C(test_dumpheap__heap_past_int32_quoted_as_typed),
		C(test_clrbt__thread_id_past_32_bits_is_refused),
		C(test_dumpheap__min_above_max_quoted_as_typed),
		C(test_gcroot__limit_zero_is_refused),
		C(test_parse_uint__rejects_negative_after_white_space),
		C(test_parse_uint__leading_zero_is_decimal_not_octal),
		C(test_eeheap__unknown_option),
		C(test_eeheap__heap_needs_a_value),
		C(test_eeheap__heap_needs_a_number),
		C(test_eeheap__segment_expression_error_is_wrapped),
		C(test_eeheap__range_must_rise_and_at_most_two_addresses),
		C(test_eeheap__no_runtime_in_target),
		C(test_eeversion__unknown_option),
		C(test_eeversion__no_runtime_in_target),
		C(test_eeversion__without_dac_shows_runtime_and_returns_dac_error),
		C(test_eeheap__dac_beside_other_runtime_build_is_refused),
		C(test_eeheap__dac_in_directory_others_can_write_is_refused),
		C(test_setclrpath__nonexistent_directory),
		C(test_setclrpath__file_is_not_a_directory),
		C(test_setclrpath__set_show_clear),
		C(test_setclrpath__trailing_slashes_dropped),
		C(test_setclrpath__bad_arguments),
		C(test_settings__list_shows_every_setting_with_its_default),
		C(test_settings__set_show_clear),
		C(test_settings__errors_leave_settings_unchanged),
		C(test_command_table__every_command_complete),
		C(test_error__a_message_quoting_a_megabyte_stays_short),
		C(test_command_run__json_failure_leaves_only_the_error_object),
		C(test_command_run__text_failure_keeps_what_was_written_and_reports_nothing),
		C(test_command_run__json_whole_answer_then_failure_is_one_object),
		C(test_command_run__large_json_output_arrives_whole),
		C(test_command_select__any_case_alias_help_and_unknown),
	};
	return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
