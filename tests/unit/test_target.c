/*
 * core/target.c over the fake target: exact reads with faults naming the
 * first missing byte, page-by-page retry, partial and raw reads, the module
 * list cache, build-ids from target memory, and read-only pages served from
 * a module's file only when its build-id matches.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/error.h"
#include "fake_target.h"
#include "target/target.h"
#include "tests.h"

enum { PAGE = CLRSOS_PAGE_SIZE };

static const uint64_t HEAP = 0x7f3400000000ull;
static const uint64_t MODULE_BASE = 0x7f1200000000ull;

static const uint8_t ID_A[20] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03,
				 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
				 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t ID_B[20] = {0xca, 0xfe, 0xba, 0xbe, 0x11, 0x12, 0x13,
				 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
				 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20};

struct fixture {
	struct fake_target fake;
	struct clrsos_target *target;
	char *temp_path; /* a module file, removed at teardown */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fake_target_init(&fx->fake);
	fx->target = fake_target_create(&fx->fake);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	clrsos_target_destroy(fx->target);
	fake_target_fini(&fx->fake);
	if (fx->temp_path) {
		unlink(fx->temp_path);
		free(fx->temp_path);
	}
	free(fx);
	return 0;
}

/* The message names the address as 0x<hex>. */
static void assert_fault_at(struct clrsos_error *err, uint64_t address)
{
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_FAULT);
	assert_int_equal(err->address, address);
	char hex[32];
	snprintf(hex, sizeof(hex), "0x%" PRIx64, address);
	assert_non_null(strstr(err->message, hex));
	clrsos_error_destroy(err);
}

static void assert_pattern(const uint8_t *buf, size_t size, uint64_t address)
{
	for (size_t i = 0; i < size; i++) {
		if (buf[i] != fake_pattern(address + i))
			fail_msg("byte %zu (0x%" PRIx64 ") is 0x%02x, want 0x%02x", i,
				 address + i, buf[i], fake_pattern(address + i));
	}
}

/* Reads ------------------------------------------------------------------ */

static void test_target_read__whole_read_is_one_call(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_region(&fx->fake, HEAP, NULL, 3 * PAGE);
	uint8_t buf[3 * PAGE];
	assert_null(clrsos_target_read(fx->target, HEAP + 8, buf, sizeof(buf) - 8));
	assert_pattern(buf, sizeof(buf) - 8, HEAP + 8);
	assert_int_equal(fx->fake.read_calls, 1);
	assert_int_equal(fx->fake.bytes_read, sizeof(buf) - 8);
}

static void test_target_read__zero_size_reads_nothing(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[1] = {0x77};
	assert_null(clrsos_target_read(fx->target, 0x1000, buf, 0));
	assert_int_equal(fx->fake.read_calls, 0);
	assert_int_equal(buf[0], 0x77);
}

static void test_target_read__hole_faults_at_first_missing_address(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_region(&fx->fake, HEAP, NULL, 3 * PAGE);
	fake_target_add_hole(&fx->fake, HEAP + PAGE + 0x123, 0x40);
	uint8_t buf[3 * PAGE];
	assert_fault_at(clrsos_target_read(fx->target, HEAP, buf, sizeof(buf)),
			HEAP + PAGE + 0x123);
}

static void test_target_read__end_of_region_faults_at_first_missing_address(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_region(&fx->fake, HEAP, NULL, PAGE + 0x10);
	uint8_t buf[2 * PAGE];
	assert_fault_at(clrsos_target_read(fx->target, HEAP + 0x800, buf, sizeof(buf)),
			HEAP + PAGE + 0x10);
}

static void test_target_read__nothing_mapped_faults_at_start(void **state)
{
	struct fixture *fx = *state;
	uint64_t v;
	assert_fault_at(clrsos_target_read_u64(fx->target, 0x1234560, &v), 0x1234560);
}

static void test_target_read__missing_bytes_are_never_zero_filled(void **state)
{
	struct fixture *fx = *state;
	uint8_t zeros[PAGE] = {0};
	/* Readable zeros, then nothing: the missing part must not read as zeros. */
	fake_target_add_region(&fx->fake, HEAP, zeros, sizeof(zeros));
	uint8_t buf[2 * PAGE];
	memset(buf, 0xcc, sizeof(buf));
	assert_fault_at(clrsos_target_read(fx->target, HEAP, buf, sizeof(buf)),
			HEAP + PAGE);
	for (size_t i = PAGE; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xcc);
}

static void test_target_read__retries_page_by_page_when_large_read_fails(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_region(&fx->fake, HEAP, NULL, 4 * PAGE);
	fx->fake.fail_reads_larger_than = PAGE;
	uint8_t buf[3 * PAGE];
	/* Unaligned: a short first page, two whole pages, a short last one. */
	assert_null(clrsos_target_read(fx->target, HEAP + 0x100, buf, sizeof(buf)));
	assert_pattern(buf, sizeof(buf), HEAP + 0x100);
	/* One failed bulk read, then four page reads. */
	assert_int_equal(fx->fake.read_calls, 5);
	assert_int_equal(fx->fake.bytes_read, sizeof(buf));
}

static void test_target_read__page_retry_faults_at_missing_page(void **state)
{
	struct fixture *fx = *state;
	/* A debugger that fails a whole read when any byte of it is missing. */
	fake_target_add_region(&fx->fake, HEAP, NULL, 4 * PAGE);
	fake_target_add_hole(&fx->fake, HEAP + 2 * PAGE + 0x10, 8);
	fx->fake.all_or_nothing = true;
	uint8_t buf[4 * PAGE];
	/* Page granularity is all such a debugger allows. */
	assert_fault_at(clrsos_target_read(fx->target, HEAP, buf, sizeof(buf)),
			HEAP + 2 * PAGE);
	assert_pattern(buf, 2 * PAGE, HEAP);
	/* One bulk read, then pages 0, 1 and the failing page 2: no more. */
	assert_int_equal(fx->fake.read_calls, 4);
}

static void test_target_read_partial__returns_readable_prefix(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_region(&fx->fake, HEAP, NULL, 2 * PAGE);
	fake_target_add_hole(&fx->fake, HEAP + PAGE + 0x40, 0x10);
	uint8_t buf[2 * PAGE];
	size_t got = 12345;
	assert_null(clrsos_target_read_partial(fx->target, HEAP + 0x20, buf,
					       sizeof(buf), &got));
	assert_int_equal(got, PAGE + 0x20);
	assert_pattern(buf, got, HEAP + 0x20);
}

static void test_target_read_partial__whole_when_all_there(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_region(&fx->fake, HEAP, NULL, PAGE);
	uint8_t buf[64];
	size_t got = 0;
	assert_null(clrsos_target_read_partial(fx->target, HEAP + 16, buf,
					       sizeof(buf), &got));
	assert_int_equal(got, sizeof(buf));
	assert_pattern(buf, got, HEAP + 16);
}

static void test_target_read_partial__faults_when_nothing_readable(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_region(&fx->fake, HEAP, NULL, PAGE);
	uint8_t buf[16];
	size_t got = 99;
	assert_fault_at(clrsos_target_read_partial(fx->target, HEAP + PAGE, buf,
						   sizeof(buf), &got),
			HEAP + PAGE);
	assert_int_equal(got, 0);
}

static void test_target_read_raw__reads_process_memory(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_region(&fx->fake, HEAP, NULL, 2 * PAGE);
	fx->fake.fail_reads_larger_than = PAGE;
	uint8_t buf[PAGE + 100];
	assert_null(clrsos_target_read_raw(fx->target, HEAP + 50, buf, sizeof(buf)));
	assert_pattern(buf, sizeof(buf), HEAP + 50);
	assert_fault_at(clrsos_target_read_raw(fx->target, HEAP + PAGE, buf, sizeof(buf)),
			HEAP + 2 * PAGE);
}

static void test_target_read_u64_u32__little_endian(void **state)
{
	struct fixture *fx = *state;
	const uint8_t bytes[12] = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
				   0x04, 0x03, 0x02, 0x01};
	fake_target_add_region(&fx->fake, HEAP, bytes, sizeof(bytes));
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	assert_null(clrsos_target_read_u64(fx->target, HEAP, &v64));
	assert_int_equal(v64, 0x1122334455667788ull);
	assert_null(clrsos_target_read_u32(fx->target, HEAP + 8, &v32));
	assert_int_equal(v32, 0x01020304u);
	assert_fault_at(clrsos_target_read_u64(fx->target, HEAP + 8, &v64), HEAP + 12);
	assert_fault_at(clrsos_target_read_u32(fx->target, HEAP + 10, &v32), HEAP + 12);
}

/* Memory at the very top and the very bottom of the address space. */
static void add_wrap_regions(struct fake_target *f)
{
	fake_target_add_region(f, UINT64_MAX - PAGE + 1, NULL, PAGE);
	fake_target_add_region(f, 0, NULL, PAGE);
}

static void test_target_read__address_overflow_faults(void **state)
{
	struct fixture *fx = *state;
	add_wrap_regions(&fx->fake);
	uint8_t buf[32];
	memset(buf, 0xcc, sizeof(buf));
	struct clrsos_error *err =
		clrsos_target_read(fx->target, UINT64_MAX - 7, buf, sizeof(buf));
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_FAULT);
	clrsos_error_destroy(err);
	/* Nothing below the wrap was taken for the bytes past the top. */
	for (size_t i = 8; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xcc);
}

static void test_target_read_partial__stops_at_top_of_address_space(void **state)
{
	struct fixture *fx = *state;
	add_wrap_regions(&fx->fake);
	uint8_t buf[32];
	size_t got = 0;
	assert_null(clrsos_target_read_partial(fx->target, UINT64_MAX - 7, buf,
					       sizeof(buf), &got));
	assert_int_equal(got, 8);
	assert_pattern(buf, 8, UINT64_MAX - 7);
}

/*
 * A read running past the top of the address space must not wrap around to
 * address 0 and return those bytes as if they followed.
 */
static void test_target_read_raw__address_overflow_faults(void **state)
{
	struct fixture *fx = *state;
	add_wrap_regions(&fx->fake);
	uint8_t buf[32];
	struct clrsos_error *err =
		clrsos_target_read_raw(fx->target, UINT64_MAX - 7, buf, sizeof(buf));
	if (!err)
		fail_msg("read_raw at 0x%" PRIx64 " of %zu bytes wrapped to address 0 and succeeded",
			 UINT64_MAX - 7, sizeof(buf));
	assert_int_equal(err->code, CLRSOS_ERROR_FAULT);
	clrsos_error_destroy(err);
}

/* Modules ---------------------------------------------------------------- */

static void test_target_modules__cached_until_stop_id_changes(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_module(&fx->fake, "libc.so.6", "/lib/libc.so.6", 0x7000, NULL, 0);
	fake_target_add_module(&fx->fake, "libcoreclr.so", "/dn/libcoreclr.so",
			       MODULE_BASE, ID_A, sizeof(ID_A));
	const struct clrsos_module *mods;
	size_t n = 0;
	assert_null(clrsos_target_modules(fx->target, &mods, &n));
	assert_int_equal(n, 2);
	assert_string_equal(mods[1].name, "libcoreclr.so");
	assert_string_equal(mods[1].path, "/dn/libcoreclr.so");
	assert_int_equal(mods[1].base, MODULE_BASE);
	assert_memory_equal(mods[1].build_id, ID_A, sizeof(ID_A));
	assert_null(clrsos_target_modules(fx->target, &mods, &n));
	assert_non_null(clrsos_target_find_module(fx->target, "libc.so.6"));
	assert_int_equal(fx->fake.modules_calls, 1);

	/* The same stop: nothing dropped. */
	assert_false(clrsos_target_refresh(fx->target));
	assert_null(clrsos_target_modules(fx->target, &mods, &n));
	assert_int_equal(fx->fake.modules_calls, 1);

	/* The process ran: the list is read again and sees the new module. */
	fake_target_add_module(&fx->fake, "libnew.so", "/x/libnew.so", 0x9000, NULL, 0);
	fx->fake.stop_id = 2;
	assert_true(clrsos_target_refresh(fx->target));
	assert_false(clrsos_target_refresh(fx->target));
	assert_int_equal(clrsos_target_stop_id(fx->target), 2);
	assert_null(clrsos_target_modules(fx->target, &mods, &n));
	assert_int_equal(n, 3);
	assert_int_equal(fx->fake.modules_calls, 2);
}

static void test_target_modules__error_is_returned_and_not_cached(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_module(&fx->fake, "a.so", "/a.so", 0x1000, NULL, 0);
	fx->fake.modules_fail = true;
	const struct clrsos_module *mods;
	size_t n;
	struct clrsos_error *err = clrsos_target_modules(fx->target, &mods, &n);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_NO_TARGET);
	clrsos_error_destroy(err);
	assert_null(clrsos_target_find_module(fx->target, "a.so"));
	fx->fake.modules_fail = false;
	assert_null(clrsos_target_modules(fx->target, &mods, &n));
	assert_int_equal(n, 1);
}

static void test_target_find_module__case_insensitive(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_module(&fx->fake, "libcoreclr.so", "/dn/libcoreclr.so",
			       MODULE_BASE, NULL, 0);
	const struct clrsos_module *m =
		clrsos_target_find_module(fx->target, "LibCoreCLR.SO");
	assert_non_null(m);
	assert_int_equal(m->base, MODULE_BASE);
	assert_null(clrsos_target_find_module(fx->target, "libcoreclr"));
	assert_null(clrsos_target_find_module(fx->target, "libcoreclr.so.1"));
}

/* An image with build-id id: header, program headers and note in page 0. */
static uint8_t *small_image(const uint8_t *id, size_t id_len, size_t *ret_size)
{
	struct fake_elf_spec spec = {
		.size = 2 * PAGE,
		.loads = {{.offset = 0, .vaddr = 0, .filesz = 2 * PAGE, .flags = PF_R}},
		.nloads = 1,
		.note_offset = 0x200,
		.build_id = id,
		.build_id_len = id_len,
	};
	*ret_size = spec.size;
	return fake_elf_build(&spec);
}

static void test_target_module_build_id__read_from_memory(void **state)
{
	struct fixture *fx = *state;
	size_t size;
	uint8_t *img = small_image(ID_A, sizeof(ID_A), &size);
	fake_target_add_region(&fx->fake, MODULE_BASE, img, size);
	/* The debugger reports another id (say, of a file it found): memory wins. */
	fake_target_add_module(&fx->fake, "libcoreclr.so", "/dn/libcoreclr.so",
			       MODULE_BASE, ID_B, sizeof(ID_B));
	const struct clrsos_module *m = clrsos_target_find_module(fx->target, "libcoreclr.so");
	assert_non_null(m);
	uint8_t id[CLRSOS_BUILD_ID_MAX];
	size_t len = 0;
	bool from_memory = false;
	assert_null(clrsos_target_module_build_id(fx->target, m, id, &len, &from_memory));
	assert_int_equal(len, sizeof(ID_A));
	assert_memory_equal(id, ID_A, sizeof(ID_A));
	assert_true(from_memory);
	free(img);
}

static void test_target_module_build_id__falls_back_to_debugger_id(void **state)
{
	struct fixture *fx = *state;
	/* Nothing at the module's base in the target. */
	fake_target_add_module(&fx->fake, "libcoreclr.so", "/dn/libcoreclr.so",
			       MODULE_BASE, ID_B, sizeof(ID_B));
	const struct clrsos_module *m = clrsos_target_find_module(fx->target, "libcoreclr.so");
	uint8_t id[CLRSOS_BUILD_ID_MAX];
	size_t len = 0;
	bool from_memory = true;
	assert_null(clrsos_target_module_build_id(fx->target, m, id, &len, &from_memory));
	assert_int_equal(len, sizeof(ID_B));
	assert_memory_equal(id, ID_B, sizeof(ID_B));
	assert_false(from_memory);
}

static void test_target_module_build_id__image_without_note_falls_back(void **state)
{
	struct fixture *fx = *state;
	size_t size;
	uint8_t *img = small_image(NULL, 0, &size); /* an ABI-tag note only */
	fake_target_add_region(&fx->fake, MODULE_BASE, img, size);
	fake_target_add_module(&fx->fake, "libx.so", "/x/libx.so", MODULE_BASE,
			       ID_B, sizeof(ID_B));
	const struct clrsos_module *m = clrsos_target_find_module(fx->target, "libx.so");
	uint8_t id[CLRSOS_BUILD_ID_MAX];
	size_t len = 0;
	bool from_memory = true;
	assert_null(clrsos_target_module_build_id(fx->target, m, id, &len, &from_memory));
	assert_memory_equal(id, ID_B, sizeof(ID_B));
	assert_false(from_memory);
	free(img);
}

static void test_target_module_build_id__none_anywhere_faults(void **state)
{
	struct fixture *fx = *state;
	fake_target_add_module(&fx->fake, "libx.so", "/x/libx.so", MODULE_BASE, NULL, 0);
	const struct clrsos_module *m = clrsos_target_find_module(fx->target, "libx.so");
	uint8_t id[CLRSOS_BUILD_ID_MAX];
	size_t len = 0;
	bool from_memory;
	struct clrsos_error *err =
		clrsos_target_module_build_id(fx->target, m, id, &len, &from_memory);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "libx.so"));
	assert_fault_at(err, MODULE_BASE);
}

/* File fallback ----------------------------------------------------------- */

/*
 * The module's file: LOAD0 read-only [0, 0x3000) (header, note, rodata),
 * LOAD1 writable at file 0x3000, vaddr 0x4000, 0x2000 bytes. The target's
 * memory holds only its first two pages; a core leaves out the rest.
 */
enum { FILE_SIZE = 5 * PAGE };

static uint8_t *module_file_image(const uint8_t *id)
{
	struct fake_elf_spec spec = {
		.size = FILE_SIZE,
		.loads = {
			{.offset = 0, .vaddr = 0, .filesz = 3 * PAGE, .flags = PF_R | PF_X},
			{.offset = 3 * PAGE, .vaddr = 4 * PAGE, .filesz = 2 * PAGE,
			 .flags = PF_R | PF_W},
		},
		.nloads = 2,
		.note_offset = 0x200,
		.build_id = id,
		.build_id_len = 20,
	};
	return fake_elf_build(&spec);
}

struct file_case {
	uint8_t *file_image;
	uint8_t *memory_image;
	char *path;
};

/* The file has build-id file_id; the target's memory, memory_id. */
static void file_case_setup(struct fixture *fx, struct file_case *c,
			    const uint8_t *file_id, const uint8_t *memory_id)
{
	c->file_image = module_file_image(file_id);
	c->memory_image = module_file_image(memory_id);
	c->path = fx->temp_path = fake_temp_file(c->file_image, FILE_SIZE);
	fake_target_add_region(&fx->fake, MODULE_BASE, c->memory_image, 2 * PAGE);
	/* The debugger reports the file's id: only the target's own may count. */
	fake_target_add_module(&fx->fake, "libfake.so", c->path, MODULE_BASE,
			       file_id, 20);
}

/* The file itself goes at teardown, even after a failure. */
static void file_case_teardown(struct file_case *c)
{
	free(c->file_image);
	free(c->memory_image);
}

static void test_target_read__serves_read_only_page_from_matching_file(void **state)
{
	struct fixture *fx = *state;
	struct file_case c;
	file_case_setup(fx, &c, ID_A, ID_A);
	uint8_t buf[100];
	assert_null(clrsos_target_read(fx->target, MODULE_BASE + 2 * PAGE + 0x10,
				       buf, sizeof(buf)));
	assert_memory_equal(buf, c.file_image + 2 * PAGE + 0x10, sizeof(buf));
	/* The file is not the target's memory. */
	assert_fault_at(clrsos_target_read_raw(fx->target, MODULE_BASE + 2 * PAGE,
					       buf, sizeof(buf)),
			MODULE_BASE + 2 * PAGE);
	file_case_teardown(&c);
}

static void test_target_read__spans_target_memory_then_file(void **state)
{
	struct fixture *fx = *state;
	struct file_case c;
	file_case_setup(fx, &c, ID_A, ID_A);
	uint8_t buf[0x40];
	uint64_t at = MODULE_BASE + 2 * PAGE - 0x20;
	assert_null(clrsos_target_read(fx->target, at, buf, sizeof(buf)));
	assert_memory_equal(buf, c.file_image + 2 * PAGE - 0x20, sizeof(buf));
	size_t got = 0;
	assert_null(clrsos_target_read_partial(fx->target, at, buf, sizeof(buf), &got));
	assert_int_equal(got, sizeof(buf));
	file_case_teardown(&c);
}

static void test_target_read__file_serves_only_up_to_segment_end(void **state)
{
	struct fixture *fx = *state;
	struct file_case c;
	file_case_setup(fx, &c, ID_A, ID_A);
	/* [0x3000, 0x4000) is in no segment: not served although the file has bytes there. */
	uint8_t buf[0x40];
	assert_fault_at(clrsos_target_read(fx->target, MODULE_BASE + 3 * PAGE - 0x10,
					   buf, sizeof(buf)),
			MODULE_BASE + 3 * PAGE);
	file_case_teardown(&c);
}

static void test_target_read__writable_segment_never_served_from_file(void **state)
{
	struct fixture *fx = *state;
	struct file_case c;
	file_case_setup(fx, &c, ID_A, ID_A);
	uint8_t buf[16];
	assert_fault_at(clrsos_target_read(fx->target, MODULE_BASE + 4 * PAGE + 8,
					   buf, sizeof(buf)),
			MODULE_BASE + 4 * PAGE + 8);
	size_t got = 7;
	assert_fault_at(clrsos_target_read_partial(fx->target, MODULE_BASE + 5 * PAGE,
						   buf, sizeof(buf), &got),
			MODULE_BASE + 5 * PAGE);
	file_case_teardown(&c);
}

static void test_target_read__file_with_other_build_id_faults(void **state)
{
	struct fixture *fx = *state;
	struct file_case c;
	file_case_setup(fx, &c, ID_B, ID_A);
	uint8_t buf[16];
	assert_fault_at(clrsos_target_read(fx->target, MODULE_BASE + 2 * PAGE, buf,
					   sizeof(buf)),
			MODULE_BASE + 2 * PAGE);
	file_case_teardown(&c);
}

static void test_target_read__file_backing_dropped_when_process_runs(void **state)
{
	struct fixture *fx = *state;
	struct file_case c;
	file_case_setup(fx, &c, ID_A, ID_A);
	uint8_t buf[16];
	assert_null(clrsos_target_read(fx->target, MODULE_BASE + 2 * PAGE, buf,
				       sizeof(buf)));
	/* A new stop where the module's memory carries another build-id. */
	uint8_t *other = module_file_image(ID_B);
	memcpy(fx->fake.regions[0].bytes, other, 2 * PAGE);
	free(other);
	fx->fake.stop_id++;
	assert_true(clrsos_target_refresh(fx->target));
	assert_fault_at(clrsos_target_read(fx->target, MODULE_BASE + 2 * PAGE, buf,
					   sizeof(buf)),
			MODULE_BASE + 2 * PAGE);
	file_case_teardown(&c);
}

static void test_target_read__relative_module_path_is_not_opened(void **state)
{
	struct fixture *fx = *state;
	struct file_case c;
	file_case_setup(fx, &c, ID_A, ID_A);
	/* Same file, named relative to wherever the debugger runs: never used. */
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	free(fx->fake.modules[0].path);
	fx->fake.modules[0].path = strdup(c.path + 1);
	uint8_t buf[16];
	struct clrsos_error *err = clrsos_target_read(fx->target, MODULE_BASE + 2 * PAGE,
						      buf, sizeof(buf));
	assert_int_equal(chdir(cwd), 0);
	assert_fault_at(err, MODULE_BASE + 2 * PAGE);
	file_case_teardown(&c);
}

/* Threads, registers, the rest -------------------------------------------- */

static void test_target_threads_and_registers__passed_through(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_regs r = {.rip = 0x401000, .rsp = 0x7ffd0000, .rdi = 42, .cs = 0x33};
	fake_target_add_thread(&fx->fake, 100, NULL);
	fake_target_add_thread(&fx->fake, 101, &r);
	struct clrsos_thread *threads = NULL;
	size_t n = 0;
	assert_null(clrsos_target_threads(fx->target, &threads, &n));
	assert_int_equal(n, 2);
	assert_int_equal(threads[0].os_id, 100);
	assert_int_equal(threads[1].os_id, 101);
	free(threads);
	struct clrsos_regs got;
	assert_null(clrsos_target_registers(fx->target, 101, &got));
	assert_int_equal(got.rip, 0x401000);
	assert_int_equal(got.rsp, 0x7ffd0000);
	assert_int_equal(got.rdi, 42);
	assert_int_equal(got.cs, 0x33);
	struct clrsos_error *err = clrsos_target_registers(fx->target, 7, &got);
	assert_non_null(err);
	clrsos_error_destroy(err);
}

static void test_target_is_live_and_stop_id__from_ops(void **state)
{
	struct fixture *fx = *state;
	assert_false(clrsos_target_is_live(fx->target));
	fx->fake.is_live = true;
	assert_true(clrsos_target_is_live(fx->target));
	assert_int_equal(clrsos_target_stop_id(fx->target), 1);
}

static void test_build_id_hex__lowercase_two_digits_per_byte(void **state)
{
	(void)state;
	const uint8_t id[] = {0x00, 0x0f, 0xa0, 0xff};
	char buf[2 * sizeof(id) + 1];
	memset(buf, 'x', sizeof(buf));
	clrsos_build_id_hex(id, sizeof(id), buf);
	assert_string_equal(buf, "000fa0ff");
	clrsos_build_id_hex(id, 0, buf);
	assert_string_equal(buf, "");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int run_target_tests(void)
{
	const struct CMUnitTest tests[] = {
		T(test_target_read__whole_read_is_one_call),
		T(test_target_read__zero_size_reads_nothing),
		T(test_target_read__hole_faults_at_first_missing_address),
		T(test_target_read__end_of_region_faults_at_first_missing_address),
		T(test_target_read__nothing_mapped_faults_at_start),
		T(test_target_read__missing_bytes_are_never_zero_filled),
		T(test_target_read__retries_page_by_page_when_large_read_fails),
		T(test_target_read__page_retry_faults_at_missing_page),
		T(test_target_read_partial__returns_readable_prefix),
		T(test_target_read_partial__whole_when_all_there),
		T(test_target_read_partial__faults_when_nothing_readable),
		T(test_target_read_raw__reads_process_memory),
		T(test_target_read_u64_u32__little_endian),
		T(test_target_read__address_overflow_faults),
		T(test_target_read_partial__stops_at_top_of_address_space),
		T(test_target_read_raw__address_overflow_faults),
		T(test_target_modules__cached_until_stop_id_changes),
		T(test_target_modules__error_is_returned_and_not_cached),
		T(test_target_find_module__case_insensitive),
		T(test_target_module_build_id__read_from_memory),
		T(test_target_module_build_id__falls_back_to_debugger_id),
		T(test_target_module_build_id__image_without_note_falls_back),
		T(test_target_module_build_id__none_anywhere_faults),
		T(test_target_read__serves_read_only_page_from_matching_file),
		T(test_target_read__spans_target_memory_then_file),
		T(test_target_read__file_serves_only_up_to_segment_end),
		T(test_target_read__writable_segment_never_served_from_file),
		T(test_target_read__file_with_other_build_id_faults),
		T(test_target_read__file_backing_dropped_when_process_runs),
		T(test_target_read__relative_module_path_is_not_opened),
		T(test_target_threads_and_registers__passed_through),
		T(test_target_is_live_and_stop_id__from_ops),
		T(test_build_id_hex__lowercase_two_digits_per_byte),
	};
	return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
