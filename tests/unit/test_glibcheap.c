/* glibc's native heap (core/analysis/glibcheap.h) on synthetic heaps, healthy and damaged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/glibcheap.h"
#include "fake_target.h"
#include "glibc_synth.h"
#include "tests.h"

struct fixture {
	struct glibc_synth s;
	struct fake_target f;
	struct clrsos_target *t;
	struct clrsos_glibc_heap *h;
};

static void synth(struct fixture *x)
{
	memset(x, 0, sizeof(*x));
	glibc_synth_build(&x->s);
}

/* Walk x->s (after the test damaged it as it wished). */
static struct clrsos_error *walk(struct fixture *x)
{
	fake_target_init(&x->f);
	for (size_t i = 0; i < x->s.nregions; i++)
		fake_target_add_region(&x->f, x->s.regions[i].address, x->s.regions[i].bytes, x->s.regions[i].size);
	x->t = fake_target_create(&x->f);
	struct clrsos_glibc_where where = {.main_arena = x->s.main_arena, .mp = x->s.mp, .version_major = 2,
					   .version_minor = 36};
	return clrsos_glibc_heap_walk(x->t, &where, NULL, &x->h);
}

static void done(struct fixture *x)
{
	clrsos_glibc_heap_free(x->h);
	clrsos_target_destroy(x->t);
	fake_target_fini(&x->f);
	glibc_synth_free(&x->s);
}

static void test_glibcheap__healthy(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	assert_null(walk(&x));
	const struct clrsos_glibc_heap *h = x.h;
	assert_null(h->damaged);
	assert_int_equal(h->narenas, 2);
	const struct clrsos_glibc_arena *m = &h->arenas[0], *t = &h->arenas[1];
	assert_true(m->main);
	assert_false(t->main);
	assert_int_equal(m->address, x.s.main_arena);
	assert_int_equal(t->address, x.s.thread_arena);
	assert_int_equal(h->heap_info_size, 48);
	assert_int_equal(m->system_bytes, x.s.main_system);
	assert_int_equal(m->in_use_bytes, x.s.main_in_use_bytes);
	assert_int_equal(m->in_use_chunks, x.s.main_in_use_chunks);
	assert_int_equal(m->tcache_bytes, x.s.main_tcache_bytes);
	assert_int_equal(m->tcache_chunks, 2);
	assert_int_equal(m->fastbin_bytes, x.s.main_fast_bytes);
	assert_int_equal(m->fastbin_chunks, 1);
	assert_int_equal(m->binned_bytes, 0x200);
	assert_int_equal(m->binned_chunks, 1);
	assert_int_equal(m->free_bytes, x.s.main_free_bytes);
	assert_int_equal(m->top_bytes, x.s.main_top_bytes);
	assert_int_equal(m->largest_free, 0x200);
	assert_int_equal(m->overhead_bytes, 0);
	assert_true(h->tcache_key_known);
	assert_int_equal(h->tcache_key, x.s.key);
	/* Thread arena: two heaps, the first closed by fenceposts. */
	assert_int_equal(t->nheaps, 2);
	assert_int_equal(t->heaps[0].start, x.s.heap2);
	assert_int_equal(t->heaps[1].start, x.s.heap1);
	assert_int_equal(t->system_bytes, x.s.thread_system);
	assert_int_equal(t->in_use_bytes, x.s.thread_in_use_bytes);
	assert_int_equal(t->free_bytes, x.s.thread_free_bytes);
	assert_int_equal(t->top_bytes, x.s.thread_top_bytes);
	assert_int_equal(t->in_use_bytes + t->free_bytes + t->overhead_bytes, t->system_bytes);
	/* mmapped chunks from mp_. */
	assert_int_equal(h->mmapped_chunks, 2);
	assert_int_equal(h->mmapped_bytes, 0x3000);
	/* Totals and the histogram. */
	assert_int_equal(h->in_use_bytes, m->in_use_bytes + t->in_use_bytes);
	uint64_t sum = 0, prev = UINT64_MAX;
	for (size_t i = 0; i < h->nhistogram; i++) {
		sum += h->histogram[i].bytes;
		assert_true(h->histogram[i].bytes <= prev);
		prev = h->histogram[i].bytes;
		assert_int_equal(h->histogram[i].bytes, h->histogram[i].size * h->histogram[i].count);
	}
	assert_int_equal(sum, h->in_use_bytes);
	assert_null(clrsos_glibc_heap_damage_error(h));
	done(&x);
}

/* glibc before 2.35: 32-byte heap_info, told by where the first heap puts its arena. */
static void test_glibcheap__old_heap_info(void **state)
{
	(void)state;
	struct fixture x;
	memset(&x, 0, sizeof(x));
	glibc_synth_build_layout(&x.s, 32);
	assert_null(walk(&x));
	assert_null(x.h->damaged);
	assert_int_equal(x.h->heap_info_size, 32);
	const struct clrsos_glibc_arena *t = &x.h->arenas[1];
	assert_int_equal(t->address, x.s.heap1 + 32);
	assert_int_equal(t->in_use_bytes, x.s.thread_in_use_bytes);
	assert_int_equal(t->top_bytes, x.s.thread_top_bytes);
	assert_int_equal(t->in_use_bytes + t->free_bytes + t->overhead_bytes, t->system_bytes);
	done(&x);
}

/* Walk, expecting the main (0) or thread (1) arena damaged at address with text in the message. */
static void expect_damage(struct fixture *x, size_t arena, uint64_t address, const char *text)
{
	assert_null(walk(x));
	assert_non_null(x->h->damaged);
	const struct clrsos_glibc_arena *a = &x->h->arenas[arena];
	assert_ptr_equal(x->h->damaged, a);
	if (a->damage_address != address || !strstr(a->damage, text))
		fail_msg("damage at 0x%llx: %s; want 0x%llx: %s", (unsigned long long)a->damage_address, a->damage,
			 (unsigned long long)address, text);
	struct clrsos_error *e = clrsos_glibc_heap_damage_error(x->h);
	char want[64];
	snprintf(want, sizeof(want), "damaged native heap at 0x%llx", (unsigned long long)address);
	assert_non_null(strstr(e->message, want));
	assert_null(strchr(e->message, '\n'));
	clrsos_error_destroy(e);
	/* The other arena is still walked whole. */
	assert_null(x->h->arenas[1 - arena].damage);
	assert_true(x->h->arenas[1 - arena].in_use_chunks > 0);
	done(x);
}

static void test_glibcheap__bad_size(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.in_use[1] + 8) = 0x108 | 1;
	expect_damage(&x, 0, x.s.in_use[1], "bad chunk size 0x108");
}

static void test_glibcheap__size_past_heap(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.thread_chunks[1] + 8) = 0x100000 | 5;
	expect_damage(&x, 1, x.s.thread_chunks[1], "runs past its heap's end");
}

static void test_glibcheap__misaligned_tcache_entry(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.tcache + 16 + 128 + 8) = x.s.tc1 + 16 + 8;
	expect_damage(&x, 0, x.s.tc1 + 16 + 8, "misaligned entry");
}

static void test_glibcheap__tcache_loop(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.tc2 + 16) = glibc_synth_protect(x.s.tc2 + 16, x.s.tc1 + 16);
	/* Two entries counted: a third is one too many before it is a loop. */
	expect_damage(&x, 0, x.s.tc1, "longer than its count");
}

static void test_glibcheap__fastbin_loop(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.fast + 16) = glibc_synth_protect(x.s.fast + 16, x.s.fast);
	expect_damage(&x, 0, x.s.fast, "loops");
}

static void test_glibcheap__fastbin_wrong_size(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.main_arena + 16) = x.s.in_use[2]; /* a 0x40 chunk in the 0x20 bin */
	expect_damage(&x, 0, x.s.in_use[2], "fastbin 0");
}

static void test_glibcheap__bin_fd_bk_mismatch(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.unsorted + 24) = x.s.in_use[0];
	expect_damage(&x, 0, x.s.unsorted, "its bk");
}

static void test_glibcheap__bin_loop(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	/* The chunk's fd points to itself, its bk is right: the second visit is a loop. */
	*glibc_synth_at(&x.s, x.s.unsorted + 16) = x.s.unsorted;
	expect_damage(&x, 0, x.s.unsorted, "loops at");
}

static void test_glibcheap__free_footer(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.after_free) = 0x1f0;
	expect_damage(&x, 0, x.s.unsorted, "footer 0x1f0");
}

static void test_glibcheap__non_main_bit(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.thread_chunks[1] + 8) = 0x80 | 1;
	expect_damage(&x, 1, x.s.thread_chunks[1], "lacks the NON_MAIN_ARENA bit");
}

static void test_glibcheap__heap_of_another_arena(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.heap1) = 0x7e0001230030ull;
	expect_damage(&x, 1, x.s.heap1, "belongs to arena");
}

static void test_glibcheap__memory_missing(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	fake_target_init(&x.f);
	for (size_t i = 0; i < x.s.nregions; i++)
		fake_target_add_region(&x.f, x.s.regions[i].address, x.s.regions[i].bytes, x.s.regions[i].size);
	fake_target_add_hole(&x.f, x.s.heap2 + 0x800, 0x800);
	x.t = fake_target_create(&x.f);
	struct clrsos_glibc_where where = {.main_arena = x.s.main_arena, .mp = x.s.mp, .version_major = 2,
					   .version_minor = 36};
	struct clrsos_error *err = clrsos_glibc_heap_walk(x.t, &where, NULL, &x.h);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_FAULT);
	assert_non_null(strstr(err->message, "is not in the target"));
	assert_null(x.h);
	clrsos_error_destroy(err);
	done(&x);
}

static void test_glibcheap__arena_list_loop(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	*glibc_synth_at(&x.s, x.s.thread_arena + 2160) = x.s.thread_arena;
	struct clrsos_error *err = walk(&x);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "loops"));
	clrsos_error_destroy(err);
	done(&x);
}

/* A libc.so.6 image with a version string and the synthetic data at its writable segment. */
static void test_glibcheap__read_finds_arena(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	static const char version[] = "GNU C Library (Debian GLIBC 2.36-9+deb12u14) stable release version 2.36.";
	uint64_t base = x.s.regions[0].address - 0x10000;
	struct fake_elf_spec spec = {.size = 0x10000, .nloads = 2};
	spec.loads[0] = (struct fake_elf_load){.offset = 0, .vaddr = 0, .filesz = 0x10000, .flags = 4};
	spec.loads[1] = (struct fake_elf_load){.offset = 0x10000, .vaddr = 0x10000, .filesz = 0x2000, .flags = 6};
	uint8_t *image = fake_elf_build(&spec);
	memcpy(image + 0x8000, version, sizeof(version));
	fake_target_init(&x.f);
	fake_target_add_region(&x.f, base, image, 0x10000);
	for (size_t i = 0; i < x.s.nregions; i++)
		fake_target_add_region(&x.f, x.s.regions[i].address, x.s.regions[i].bytes, x.s.regions[i].size);
	fake_target_add_module(&x.f, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", base, NULL, 0);
	x.t = fake_target_create(&x.f);
	assert_null(clrsos_glibc_heap_read(x.t, NULL, &x.h));
	assert_int_equal(x.h->main_arena, x.s.main_arena);
	assert_int_equal(x.h->mp, x.s.mp);
	assert_string_equal(x.h->version, "2.36");
	assert_true(x.h->version_verified);
	assert_int_equal(x.h->narenas, 2);
	done(&x);
	/* The same with the data page holding main_arena cut: said to be missing. */
	synth(&x);
	fake_target_init(&x.f);
	fake_target_add_region(&x.f, base, image, 0x10000);
	for (size_t i = 0; i < x.s.nregions; i++)
		fake_target_add_region(&x.f, x.s.regions[i].address, x.s.regions[i].bytes, x.s.regions[i].size);
	fake_target_add_hole(&x.f, x.s.regions[0].address, 0x1000);
	fake_target_add_module(&x.f, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", base, NULL, 0);
	x.t = fake_target_create(&x.f);
	struct clrsos_error *err = clrsos_glibc_heap_read(x.t, NULL, &x.h);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "libc's data at 0x7f0000010000 is not in the target"));
	clrsos_error_destroy(err);
	done(&x);
	/* An older glibc: refused. */
	synth(&x);
	static const char old[] = "GNU C Library (GNU libc) stable release version 2.31.";
	memcpy(image + 0x8000, old, sizeof(old));
	fake_target_init(&x.f);
	fake_target_add_region(&x.f, base, image, 0x10000);
	fake_target_add_module(&x.f, "libc.so.6", "/lib/libc.so.6", base, NULL, 0);
	x.t = fake_target_create(&x.f);
	err = clrsos_glibc_heap_read(x.t, NULL, &x.h);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "glibc 2.31 is not understood"));
	clrsos_error_destroy(err);
	done(&x);
	free(image);
}

static void test_glibcheap__musl(void **state)
{
	(void)state;
	struct fixture x;
	synth(&x);
	fake_target_init(&x.f);
	fake_target_add_module(&x.f, "ld-musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1", 0x7f0000000000ull, NULL, 0);
	x.t = fake_target_create(&x.f);
	struct clrsos_error *err = clrsos_glibc_heap_read(x.t, NULL, &x.h);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "musl"));
	clrsos_error_destroy(err);
	done(&x);
}

int run_glibcheap_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glibcheap__healthy),
		cmocka_unit_test(test_glibcheap__old_heap_info),
		cmocka_unit_test(test_glibcheap__bad_size),
		cmocka_unit_test(test_glibcheap__size_past_heap),
		cmocka_unit_test(test_glibcheap__misaligned_tcache_entry),
		cmocka_unit_test(test_glibcheap__tcache_loop),
		cmocka_unit_test(test_glibcheap__fastbin_loop),
		cmocka_unit_test(test_glibcheap__fastbin_wrong_size),
		cmocka_unit_test(test_glibcheap__bin_fd_bk_mismatch),
		cmocka_unit_test(test_glibcheap__bin_loop),
		cmocka_unit_test(test_glibcheap__free_footer),
		cmocka_unit_test(test_glibcheap__non_main_bit),
		cmocka_unit_test(test_glibcheap__heap_of_another_arena),
		cmocka_unit_test(test_glibcheap__memory_missing),
		cmocka_unit_test(test_glibcheap__arena_list_loop),
		cmocka_unit_test(test_glibcheap__read_finds_arena),
		cmocka_unit_test(test_glibcheap__musl),
	};
	return cmocka_run_group_tests_name("glibcheap", tests, NULL, NULL);
}
