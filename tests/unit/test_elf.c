/*
 * core/elfimage.c (ELF64 load segments and GNU build-id, from a file or an
 * image in memory) and core/pe.c (a managed assembly's metadata from its
 * file), over synthetic images.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "target/elfimage.h"
#include "base/error.h"
#include "fake_target.h"
#include "target/pe.h"
#include "target/vmregions.h"
#include "model/addrspace.h"
#include "tests.h"

enum { PAGE = CLRSOS_PAGE_SIZE };

static const uint8_t ID[20] = {0x3a, 0x5b, 0x7c, 0x9d, 0xbe, 0xdf, 0x00, 0x11,
			       0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
			       0xaa, 0xbb, 0xcc, 0xdd};

/* An image in a buffer, read as a file or as memory. */
struct image {
	const uint8_t *bytes;
	size_t size;
	unsigned reads;
};

static bool image_read(void *ctx, uint64_t pos, void *buf, size_t size)
{
	struct image *im = ctx;
	im->reads++;
	if (pos > im->size || size > im->size - pos)
		return false;
	memcpy(buf, im->bytes + pos, size);
	return true;
}

/* Read-only text + header, writable data, a build-id note. */
static uint8_t *good_image(size_t *ret_size)
{
	struct fake_elf_spec spec = {
		.size = 4 * PAGE,
		.loads = {
			{.offset = 0, .vaddr = 0, .filesz = 2 * PAGE, .flags = PF_R | PF_X},
			{.offset = 2 * PAGE, .vaddr = 3 * PAGE, .filesz = 2 * PAGE,
			 .flags = PF_R | PF_W},
		},
		.nloads = 2,
		.note_offset = 0x1c0,
		.build_id = ID,
		.build_id_len = sizeof(ID),
	};
	*ret_size = spec.size;
	return fake_elf_build(&spec);
}

static Elf64_Ehdr *ehdr(uint8_t *img)
{
	return (Elf64_Ehdr *)img;
}

static Elf64_Phdr *phdr(uint8_t *img, size_t i)
{
	return (Elf64_Phdr *)(img + ehdr(img)->e_phoff) + i;
}

static struct clrsos_error *parse_buffer(const uint8_t *img, size_t size,
					 bool in_memory,
					 struct clrsos_elf_info *info)
{
	struct image im = {img, size, 0};
	return clrsos_elf_parse(image_read, &im, in_memory, info);
}

static void assert_io_error(struct clrsos_error *err)
{
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_IO);
	assert_non_null(err->message);
	clrsos_error_destroy(err);
}

static void test_elf_parse__good_image_loads_and_build_id(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	struct clrsos_elf_info info;
	assert_null(parse_buffer(img, size, false, &info));
	assert_int_equal(info.nloads, 2);
	assert_int_equal(info.loads[0].vaddr, 0);
	assert_int_equal(info.loads[0].offset, 0);
	assert_int_equal(info.loads[0].filesz, 2 * PAGE);
	assert_false(info.loads[0].writable);
	assert_int_equal(info.loads[1].vaddr, 3 * PAGE);
	assert_int_equal(info.loads[1].offset, 2 * PAGE);
	assert_int_equal(info.loads[1].memsz, 2 * PAGE);
	assert_true(info.loads[1].writable);
	assert_int_equal(info.build_id_len, sizeof(ID));
	assert_memory_equal(info.build_id, ID, sizeof(ID));
	free(img);
}

static void test_elf_parse_file__good_file(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	char *path = fake_temp_file(img, size);
	struct clrsos_elf_info info;
	assert_null(clrsos_elf_parse_file(path, &info));
	assert_int_equal(info.nloads, 2);
	assert_int_equal(info.build_id_len, sizeof(ID));
	assert_memory_equal(info.build_id, ID, sizeof(ID));
	unlink(path);
	free(path);
	free(img);
}

/* A core of three memory segments, written out of address order; the last
 * runs past the file (a truncated core). */
static uint8_t *small_core(size_t *size)
{
	enum { DATA = 0x200, A_LEN = 0x100, B_LEN = 0x80 };
	*size = DATA + A_LEN + B_LEN;
	uint8_t *img = calloc(1, *size);
	assert_non_null(img);
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	memcpy(img, &eh, sizeof(eh));
	Elf64_Phdr ph[3] = {
		{.p_type = PT_LOAD, .p_vaddr = 0x20000, .p_offset = DATA + A_LEN, .p_filesz = B_LEN, .p_memsz = B_LEN},
		{.p_type = PT_LOAD, .p_vaddr = 0x10000, .p_offset = DATA, .p_filesz = A_LEN, .p_memsz = A_LEN},
		{.p_type = PT_LOAD, .p_vaddr = 0x30000, .p_offset = DATA + A_LEN + B_LEN, .p_filesz = 0x1000,
		 .p_memsz = 0x1000},
	};
	memcpy(img + sizeof(eh), ph, sizeof(ph));
	for (size_t i = DATA; i < *size; i++)
		img[i] = (uint8_t)i;
	return img;
}

static void test_elf_core__segments_read_in_place_truncated_ones_left_out(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = small_core(&size);
	char *path = fake_temp_file(img, size);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct clrsos_elf_core *core;
	assert_null(clrsos_elf_core_open(fd, &core));
	close(fd);
	assert_int_equal(core->nloads, 2);
	assert_int_equal(core->loads[0].vaddr, 0x10000); /* sorted by address */
	size_t len = 0;
	const uint8_t *p = clrsos_elf_core_at(core, 0x10010, 0x1000, &len);
	assert_non_null(p);
	assert_int_equal(len, 0xf0); /* up to the segment's end */
	assert_memory_equal(p, img + 0x210, len);
	p = clrsos_elf_core_at(core, 0x20000, 8, &len);
	assert_non_null(p);
	assert_int_equal(len, 8);
	assert_memory_equal(p, img + 0x300, 8);
	assert_null(clrsos_elf_core_at(core, 0x10100, 8, &len)); /* between segments */
	assert_null(clrsos_elf_core_at(core, 0xfff8, 8, &len));  /* below all */
	assert_null(clrsos_elf_core_at(core, 0x30000, 8, &len)); /* past the file's end */
	/* The same bytes copied from the file (the caller's fd is closed: the core has its own). */
	uint8_t buf[0x200];
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(clrsos_elf_core_copy(core, 0x10010, buf, sizeof(buf)), 0xf0);
	assert_memory_equal(buf, img + 0x210, 0xf0);
	assert_int_equal(buf[0xf0], 0xee); /* nothing past the segment */
	assert_int_equal(clrsos_elf_core_copy(core, 0x20000, buf, 8), 8);
	assert_memory_equal(buf, img + 0x300, 8);
	assert_int_equal(clrsos_elf_core_copy(core, 0x10100, buf, 8), 0);
	assert_int_equal(clrsos_elf_core_copy(core, 0xfff8, buf, 8), 0);
	assert_int_equal(clrsos_elf_core_copy(core, 0x30000, buf, 8), 0);
	clrsos_elf_core_close(core);
	unlink(path);
	free(path);
	free(img);
}

static void test_elf_core__not_a_core_refused(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	char *path = fake_temp_file(img, size);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct clrsos_elf_core *core = NULL;
	struct clrsos_error *err = clrsos_elf_core_open(fd, &core);
	close(fd);
	assert_non_null(err);
	assert_null(core);
	assert_string_equal(err->message, "not an x86-64 ELF core file");
	clrsos_error_destroy(err);
	unlink(path);
	free(path);
	free(img);
}

/*
 * A core of one process as a debugger shows it: two memory segments
 * (a read-only one and a writable one), one region the file holds nothing of,
 * and two threads. marker: the writable segment's byte at 0x40010; pc0: the
 * first thread's instruction pointer.
 */
enum { TC_DATA = 0x800, TC_A = 0x100, TC_B = 0x200 };
static uint8_t *threads_core(size_t *size, uint8_t marker, uint64_t pc0)
{
	*size = TC_DATA + TC_A + TC_B;
	uint8_t *img = calloc(1, *size);
	assert_non_null(img);
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 4;
	memcpy(img, &eh, sizeof(eh));
	enum { NOTES = sizeof(Elf64_Ehdr) + 4 * sizeof(Elf64_Phdr), DESC = 336 };
	size_t note_size = 2 * (sizeof(Elf64_Nhdr) + 8 + DESC);
	Elf64_Phdr ph[4] = {
		{.p_type = PT_NOTE, .p_offset = NOTES, .p_filesz = note_size},
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_vaddr = 0x40000, .p_offset = TC_DATA + TC_A,
		 .p_filesz = TC_B, .p_memsz = TC_B},
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = 0x10000, .p_offset = TC_DATA,
		 .p_filesz = TC_A, .p_memsz = TC_A},
		{.p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = 0x20000, .p_offset = 0, .p_filesz = 0,
		 .p_memsz = 0x3000},
	};
	memcpy(img + sizeof(eh), ph, sizeof(ph));
	size_t pos = NOTES;
	const uint32_t tids[2] = {4242, 4250};
	const uint64_t pcs[2] = {pc0, 0x7f0000001000}, sps[2] = {0x7ffc0000, 0x7ffd0000};
	for (int i = 0; i < 2; i++) {
		Elf64_Nhdr nh = {.n_namesz = 5, .n_descsz = DESC, .n_type = NT_PRSTATUS};
		memcpy(img + pos, &nh, sizeof(nh));
		memcpy(img + pos + sizeof(nh), "CORE", 5);
		uint8_t *desc = img + pos + sizeof(nh) + 8;
		memcpy(desc + 32, &tids[i], 4);
		memcpy(desc + 112 + 16 * 8, &pcs[i], 8);
		memcpy(desc + 112 + 19 * 8, &sps[i], 8);
		pos += sizeof(nh) + 8 + DESC;
	}
	assert_true(pos <= TC_DATA);
	for (size_t i = TC_DATA; i < *size; i++)
		img[i] = (uint8_t)(i * 7);
	img[TC_DATA + TC_A + 0x10] = marker;
	return img;
}

static struct clrsos_elf_core *open_core_bytes(const uint8_t *img, size_t size)
{
	char *path = fake_temp_file(img, size);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct clrsos_elf_core *core = NULL;
	assert_null(clrsos_elf_core_open(fd, &core));
	close(fd);
	unlink(path);
	free(path);
	return core;
}

static const struct clrsos_region VIEW_REGIONS[] = {
	{0x10000, 0x10100, CLRSOS_REGION_READ | CLRSOS_REGION_EXEC},
	{0x20000, 0x23000, CLRSOS_REGION_READ},
	{0x40000, 0x40200, CLRSOS_REGION_READ | CLRSOS_REGION_WRITE},
};

static void test_elf_core__regions_and_threads_as_a_debugger_shows_them(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = threads_core(&size, 0xaa, 0x401000);
	struct clrsos_elf_core *core = open_core_bytes(img, size);
	assert_int_equal(core->nregions, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(core->regions[i].start, VIEW_REGIONS[i].start);
		assert_int_equal(core->regions[i].end, VIEW_REGIONS[i].end);
		assert_int_equal(core->regions[i].flags, VIEW_REGIONS[i].flags);
	}
	assert_int_equal(core->nloads, 2); /* the file holds two of them */
	assert_int_equal(core->nthreads, 2);
	assert_int_equal(core->threads[0].tid, 4242);
	assert_int_equal(core->threads[0].pc, 0x401000);
	assert_int_equal(core->threads[0].sp, 0x7ffc0000);
	assert_int_equal(core->threads[1].tid, 4250);
	clrsos_elf_core_close(core);
	free(img);
}

static void test_elf_core_fits__every_region_and_thread_compared(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = threads_core(&size, 0xaa, 0x401000);
	struct clrsos_elf_core *core = open_core_bytes(img, size);
	struct clrsos_region regions[3];
	memcpy(regions, VIEW_REGIONS, sizeof(regions));
	struct clrsos_core_thread threads[2] = {{4250, 0, 0, 0}, {4242, 0x401000, 0x7ffc0000, 0}};
	struct clrsos_core_view view = {regions, 3, threads, 2};
	assert_true(clrsos_elf_core_fits(core, &view)); /* thread order does not matter */

	regions[1].end += 0x1000; /* a region's size */
	assert_false(clrsos_elf_core_fits(core, &view));
	regions[1].end -= 0x1000;
	regions[2].flags &= ~(uint32_t)CLRSOS_REGION_WRITE; /* its permissions */
	assert_false(clrsos_elf_core_fits(core, &view));
	regions[2].flags |= CLRSOS_REGION_WRITE;
	view.nregions = 2; /* one region fewer */
	assert_false(clrsos_elf_core_fits(core, &view));
	view.nregions = 3;

	threads[0].tid = 4251; /* another thread */
	assert_false(clrsos_elf_core_fits(core, &view));
	threads[0].tid = 4242; /* one thread twice */
	assert_false(clrsos_elf_core_fits(core, &view));
	threads[0].tid = 4250;
	threads[1].pc = 0x401001; /* stopped elsewhere */
	assert_false(clrsos_elf_core_fits(core, &view));
	threads[1].pc = 0; /* unknown to the debugger: not compared */
	threads[1].sp = 0;
	assert_true(clrsos_elf_core_fits(core, &view));
	view.nthreads = 1;
	assert_false(clrsos_elf_core_fits(core, &view));
	clrsos_elf_core_close(core);
	free(img);
}

/* The debugger's memory: one core's bytes, or nothing (reads fail). */
struct debugger_memory {
	const struct clrsos_elf_core *core;
	unsigned reads;
};

static size_t debugger_read(void *ctx, uint64_t address, void *buf, size_t size)
{
	struct debugger_memory *m = ctx;
	m->reads++;
	size_t len = 0;
	const uint8_t *p = m->core ? clrsos_elf_core_at(m->core, address, size, &len) : NULL;
	if (!p)
		return 0;
	memcpy(buf, p, len);
	return len;
}

static void test_elf_core_choose__the_debuggers_bytes_decide(void **state)
{
	(void)state;
	/* Two cores of one process, taken one after the other: the same
	 * regions and threads, one byte apart. */
	size_t size;
	uint8_t *img_a = threads_core(&size, 0xaa, 0x401000);
	uint8_t *img_b = threads_core(&size, 0xbb, 0x401000);
	uint8_t *img_c = threads_core(&size, 0xcc, 0x401000);
	struct clrsos_elf_core *a = open_core_bytes(img_a, size);
	struct clrsos_elf_core *b = open_core_bytes(img_b, size);
	struct clrsos_elf_core *c = open_core_bytes(img_c, size);
	const struct clrsos_elf_core *ab[] = {a, b}, *ba[] = {b, a}, *abc[] = {a, b, c};

	/* Whichever comes first among lldb's mappings, the debugger's own. */
	struct debugger_memory m = {b, 0};
	assert_int_equal(clrsos_elf_core_choose(ab, 2, debugger_read, &m), 1);
	assert_int_equal(clrsos_elf_core_choose(ba, 2, debugger_read, &m), 0);
	m.core = a;
	assert_int_equal(clrsos_elf_core_choose(ab, 2, debugger_read, &m), 0);
	assert_int_equal(clrsos_elf_core_choose(ba, 2, debugger_read, &m), 1);
	m.core = c;
	assert_int_equal(clrsos_elf_core_choose(abc, 3, debugger_read, &m), 2);
	/* The debugger's core is none of them: unsure, not the first. */
	assert_int_equal(clrsos_elf_core_choose(ab, 2, debugger_read, &m), -1);
	/* Nor one alone that differs from the debugger's where it checks. */
	const struct clrsos_elf_core *just_a[] = {a};
	m.core = b;
	assert_int_equal(clrsos_elf_core_choose(just_a, 1, debugger_read, &m), -1);
	/* The debugger cannot read where they differ: unsure. */
	m.core = NULL;
	assert_int_equal(clrsos_elf_core_choose(ab, 2, debugger_read, &m), -1);
	assert_int_equal(clrsos_elf_core_choose(just_a, 1, debugger_read, &m), -1);
	/* Two copies of the same core: either one. */
	struct clrsos_elf_core *a2 = open_core_bytes(img_a, size);
	const struct clrsos_elf_core *aa[] = {a, a2};
	m.core = a;
	assert_int_equal(clrsos_elf_core_choose(aa, 2, debugger_read, &m), 0);
	assert_int_equal(clrsos_elf_core_choose(NULL, 0, debugger_read, &m), -1);
	clrsos_elf_core_close(a2);
	clrsos_elf_core_close(a);
	clrsos_elf_core_close(b);
	clrsos_elf_core_close(c);
	free(img_a);
	free(img_b);
	free(img_c);
}

/* A module's image size: the end of its file bytes, a page rounded; a header whose end wraps is refused. */
static void test_module_image_size__hostile_segment_cannot_wrap(void **state)
{
	(void)state;
	enum { BASE = 0x7f0000000000 };
	size_t size;
	uint8_t *img = good_image(&size);
	struct fake_target fake;
	fake_target_init(&fake);
	fake_target_add_region(&fake, BASE, img, size);
	struct clrsos_module *mod = fake_target_add_module(&fake, "libgood.so", NULL, BASE, NULL, 0);
	struct clrsos_target *t = fake_target_create(&fake);
	uint64_t got = 1;
	assert_null(clrsos_target_module_image_size(t, mod, &got));
	assert_int_equal(got, 5 * PAGE);
	clrsos_target_destroy(t);
	fake_target_fini(&fake);

	/* The data segment's file size runs to the last page of the address space and past it. */
	uint64_t hostile[] = {UINT64_MAX, UINT64_MAX - 3 * PAGE};
	for (size_t i = 0; i < 2; i++) {
		phdr(img, 1)->p_filesz = hostile[i];
		fake_target_init(&fake);
		fake_target_add_region(&fake, BASE, img, size);
		mod = fake_target_add_module(&fake, "libgood.so", NULL, BASE, NULL, 0);
		t = fake_target_create(&fake);
		got = 1;
		assert_io_error(clrsos_target_module_image_size(t, mod, &got));
		assert_int_equal(got, 0);
		clrsos_target_destroy(t);
		fake_target_fini(&fake);
	}
	free(img);
}

static void test_elf_parse_file__missing_file_names_path(void **state)
{
	(void)state;
	struct clrsos_elf_info info;
	struct clrsos_error *err =
		clrsos_elf_parse_file("/nonexistent/clrsos/libnothing.so", &info);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_IO);
	assert_non_null(strstr(err->message, "/nonexistent/clrsos/libnothing.so"));
	clrsos_error_destroy(err);
}

static void test_elf_parse_file__truncated_header_fails(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	char *path = fake_temp_file(img, sizeof(Elf64_Ehdr) - 1);
	struct clrsos_elf_info info;
	struct clrsos_error *err = clrsos_elf_parse_file(path, &info);
	assert_non_null(err);
	assert_non_null(strstr(err->message, path));
	assert_io_error(err);
	unlink(path);
	free(path);
	free(img);
}

static void test_elf_parse__truncated_program_headers_fail(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	struct clrsos_elf_info info;
	assert_io_error(parse_buffer(img, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr),
				     false, &info));
	free(img);
}

static void test_elf_parse__wrong_class_fails(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	ehdr(img)->e_ident[EI_CLASS] = ELFCLASS32;
	struct clrsos_elf_info info;
	assert_io_error(parse_buffer(img, size, false, &info));
	free(img);
}

static void test_elf_parse__big_endian_fails(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	ehdr(img)->e_ident[EI_DATA] = ELFDATA2MSB;
	struct clrsos_elf_info info;
	assert_io_error(parse_buffer(img, size, false, &info));
	free(img);
}

static void test_elf_parse__bad_magic_fails(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	img[1] = 'e';
	struct clrsos_elf_info info;
	assert_io_error(parse_buffer(img, size, false, &info));
	free(img);
}

static void test_elf_parse__wrong_phentsize_fails(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	ehdr(img)->e_phentsize = sizeof(Elf32_Phdr);
	struct clrsos_elf_info info;
	assert_io_error(parse_buffer(img, size, false, &info));
	free(img);
}

static void test_elf_parse__too_many_phdrs_fails_without_reading_them(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	ehdr(img)->e_phnum = 0xffff;
	struct image im = {img, size, 0};
	struct clrsos_elf_info info;
	assert_io_error(clrsos_elf_parse(image_read, &im, false, &info));
	assert_int_equal(im.reads, 1); /* the header only */
	free(img);
}

static void test_elf_parse__missing_build_id_is_not_an_error(void **state)
{
	(void)state;
	struct fake_elf_spec spec = {
		.size = PAGE,
		.loads = {{.offset = 0, .vaddr = 0, .filesz = PAGE, .flags = PF_R}},
		.nloads = 1,
	};
	uint8_t *img = fake_elf_build(&spec);
	struct clrsos_elf_info info;
	memset(&info, 0xee, sizeof(info));
	assert_null(parse_buffer(img, spec.size, false, &info));
	assert_int_equal(info.nloads, 1);
	assert_int_equal(info.build_id_len, 0);
	/* Another kind of note only: still none. */
	spec.note_offset = 0x100;
	free(img);
	img = fake_elf_build(&spec);
	assert_null(parse_buffer(img, spec.size, true, &info));
	assert_int_equal(info.build_id_len, 0);
	free(img);
}

/* Overwrite the note segment with raw notes of size bytes. */
static void put_notes(uint8_t *img, size_t note_phdr, const void *notes,
		      size_t size)
{
	Elf64_Phdr *ph = phdr(img, note_phdr);
	assert_int_equal(ph->p_type, PT_NOTE);
	memcpy(img + ph->p_offset, notes, size);
	ph->p_filesz = ph->p_memsz = size;
}

static void test_elf_parse__build_id_after_another_note(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	uint8_t notes[64] = {0};
	Elf64_Nhdr abi = {.n_namesz = 4, .n_descsz = 16, .n_type = NT_GNU_ABI_TAG};
	Elf64_Nhdr bid = {.n_namesz = 4, .n_descsz = 8, .n_type = NT_GNU_BUILD_ID};
	memcpy(notes, &abi, sizeof(abi));
	memcpy(notes + 12, "GNU", 4);
	memcpy(notes + 32, &bid, sizeof(bid));
	memcpy(notes + 44, "GNU", 4);
	memcpy(notes + 48, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	put_notes(img, 2, notes, 56);
	struct clrsos_elf_info info;
	assert_null(parse_buffer(img, size, false, &info));
	assert_int_equal(info.build_id_len, 8);
	assert_memory_equal(info.build_id, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	free(img);
}

static void test_elf_parse__note_with_bogus_sizes_does_not_overrun(void **state)
{
	(void)state;
	/* A build-id note of "GNU" and 20 bytes: 36 bytes, cut to segment bytes. */
	static const struct {
		uint32_t namesz, descsz;
		size_t segment;
	} bogus[] = {
		{4, 20, 26},                   /* the segment ends inside the id */
		{4, 20, 14},                   /* ... inside the name */
		{4, 0x1000, 36},               /* desc past the segment */
		{0x1000, 20, 36},              /* name past the segment */
		{0xffffffff, 20, 36},          /* rounding the name size wraps */
		{4, 0xfffffffe, 36},           /* rounding the desc size wraps */
		{0xfffffffd, 0xfffffffd, 36},
		{4, 0, 36},                    /* an empty build-id */
	};
	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		size_t size;
		uint8_t *img = good_image(&size);
		uint8_t *notes = malloc(36);
		assert_non_null(notes);
		Elf64_Nhdr nh = {.n_namesz = bogus[i].namesz,
				 .n_descsz = bogus[i].descsz,
				 .n_type = NT_GNU_BUILD_ID};
		memcpy(notes, &nh, sizeof(nh));
		memcpy(notes + 12, "GNU", 4);
		memset(notes + 16, 0xab, 20);
		put_notes(img, 2, notes, 36);
		phdr(img, 2)->p_filesz = phdr(img, 2)->p_memsz = bogus[i].segment;
		free(notes);
		struct clrsos_elf_info info;
		assert_null(parse_buffer(img, size, false, &info));
		if (info.build_id_len != 0)
			fail_msg("bogus note %zu gave a build-id of %zu bytes (file)", i,
				 info.build_id_len);
		assert_null(parse_buffer(img, size, true, &info));
		if (info.build_id_len != 0)
			fail_msg("bogus note %zu gave a build-id of %zu bytes (memory)", i,
				 info.build_id_len);
		free(img);
	}
}

static void test_elf_parse__oversized_build_id_is_ignored(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	size_t desc = CLRSOS_BUILD_ID_MAX + 4;
	uint8_t notes[16 + CLRSOS_BUILD_ID_MAX + 4];
	Elf64_Nhdr nh = {.n_namesz = 4, .n_descsz = (Elf64_Word)desc,
			 .n_type = NT_GNU_BUILD_ID};
	memcpy(notes, &nh, sizeof(nh));
	memcpy(notes + 12, "GNU", 4);
	memset(notes + 16, 0x42, desc);
	put_notes(img, 2, notes, sizeof(notes));
	struct clrsos_elf_info info;
	assert_null(parse_buffer(img, size, false, &info));
	assert_int_equal(info.build_id_len, 0);
	free(img);
}

static void test_elf_parse__in_memory_finds_note_by_vaddr(void **state)
{
	(void)state;
	/*
	 * A non-PIE-like image linked at 0x400000 whose note's file offset
	 * (0x100) differs from its place in memory (0x400000 + 0x1100). In
	 * memory the image starts at its first load's page.
	 */
	struct fake_elf_spec spec = {
		.size = 2 * PAGE,
		.loads = {{.offset = 0, .vaddr = 0x400000, .filesz = 2 * PAGE, .flags = PF_R}},
		.nloads = 1,
		.note_offset = 0x1100,
		.build_id = ID,
		.build_id_len = sizeof(ID),
	};
	uint8_t *mem = fake_elf_build(&spec);
	Elf64_Phdr *note = phdr(mem, 1);
	note->p_vaddr = note->p_paddr = 0x400000 + 0x1100;
	note->p_offset = 0x100; /* in the file the note would be here */
	/* The file image has the note at its offset, not at 0x1100. */
	uint8_t *file = malloc(spec.size);
	assert_non_null(file);
	memcpy(file, mem, spec.size);
	memcpy(file + 0x100, mem + 0x1100, note->p_filesz);
	memset(file + 0x1100, 0, note->p_filesz);

	struct clrsos_elf_info info;
	assert_null(parse_buffer(mem, spec.size, true, &info));
	assert_int_equal(info.loads[0].vaddr, 0);
	assert_int_equal(info.build_id_len, sizeof(ID));
	assert_memory_equal(info.build_id, ID, sizeof(ID));
	assert_null(parse_buffer(file, spec.size, false, &info));
	assert_int_equal(info.build_id_len, sizeof(ID));
	/* Each way read on the other's layout finds nothing. */
	assert_null(parse_buffer(file, spec.size, true, &info));
	assert_int_equal(info.build_id_len, 0);
	free(file);
	free(mem);
}

static void test_elf_parse__unreadable_note_is_skipped(void **state)
{
	(void)state;
	size_t size;
	uint8_t *img = good_image(&size);
	phdr(img, 2)->p_offset = 100 * PAGE; /* past the end of the file */
	struct clrsos_elf_info info;
	assert_null(parse_buffer(img, size, false, &info));
	assert_int_equal(info.nloads, 2);
	assert_int_equal(info.build_id_len, 0);
	free(img);
}

/* PE --------------------------------------------------------------------- */

enum {
	PE_TIMESTAMP = 0x5f3759df,
	PE_IMAGE_SIZE = 0x6000,
	PE_NT = 0x80,
	PE_SECTION_RVA = 0x2000,
	PE_SECTION_RAW = 0x400,
	PE_SECTION_SIZE = 0x1000,
	PE_CLI_RVA = 0x2008,
	PE_MD_RVA = 0x2100,
	PE_MD_SIZE = 0x90,
	PE_FILE_SIZE = PE_SECTION_RAW + PE_SECTION_SIZE,
};

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A managed PE32+ (or PE32) file: one section holding the CLI header and metadata. */
static uint8_t *pe_image(bool pe32plus)
{
	uint8_t *f = calloc(1, PE_FILE_SIZE);
	assert_non_null(f);
	f[0] = 'M';
	f[1] = 'Z';
	put_u32(f + 0x3c, PE_NT);
	uint8_t *nt = f + PE_NT;
	memcpy(nt, "PE\0\0", 4);
	uint8_t *coff = nt + 4;
	uint16_t opt_size = pe32plus ? 240 : 224;
	put_u16(coff + 0, pe32plus ? 0x8664 : 0x14c);
	put_u16(coff + 2, 1);
	put_u32(coff + 4, PE_TIMESTAMP);
	put_u16(coff + 16, opt_size);
	put_u16(coff + 18, 0x2022);
	uint8_t *opt = coff + 20;
	put_u16(opt, pe32plus ? 0x20b : 0x10b);
	put_u32(opt + 56, PE_IMAGE_SIZE);
	size_t dirs = pe32plus ? 112 : 96;
	put_u32(opt + dirs - 4, 16); /* NumberOfRvaAndSizes */
	put_u32(opt + dirs + 14 * 8, PE_CLI_RVA);
	put_u32(opt + dirs + 14 * 8 + 4, 72);
	uint8_t *sec = opt + opt_size;
	memcpy(sec, ".text", 5);
	put_u32(sec + 8, PE_SECTION_SIZE);
	put_u32(sec + 12, PE_SECTION_RVA);
	put_u32(sec + 16, PE_SECTION_SIZE);
	put_u32(sec + 20, PE_SECTION_RAW);
	uint8_t *cli = f + PE_SECTION_RAW + (PE_CLI_RVA - PE_SECTION_RVA);
	put_u32(cli, 72);
	put_u16(cli + 4, 2);
	put_u16(cli + 6, 5);
	put_u32(cli + 8, PE_MD_RVA);
	put_u32(cli + 12, PE_MD_SIZE);
	uint8_t *md = f + PE_SECTION_RAW + (PE_MD_RVA - PE_SECTION_RVA);
	fake_fill_pattern(md, PE_MD_SIZE, 0x1234);
	memcpy(md, "BSJB", 4);
	return f;
}

static const uint8_t *pe_metadata(const uint8_t *f)
{
	return f + PE_SECTION_RAW + (PE_MD_RVA - PE_SECTION_RVA);
}

static void test_pe_read_metadata__returns_metadata_bytes(void **state)
{
	(void)state;
	for (int plus = 1; plus >= 0; plus--) {
		uint8_t *f = pe_image(plus);
		char *path = fake_temp_file(f, PE_FILE_SIZE);
		uint8_t buf[0x200];
		memset(buf, 0xcc, sizeof(buf));
		size_t total = 0;
		assert_null(clrsos_pe_read_metadata(path, PE_TIMESTAMP, PE_IMAGE_SIZE,
						    buf, sizeof(buf), &total));
		assert_int_equal(total, PE_MD_SIZE);
		assert_memory_equal(buf, pe_metadata(f), PE_MD_SIZE);
		assert_memory_equal(buf, "BSJB", 4);
		assert_int_equal(buf[PE_MD_SIZE], 0xcc);
		unlink(path);
		free(path);
		free(f);
	}
}

static void test_pe_read_metadata__small_buffer_gets_prefix_and_full_size(void **state)
{
	(void)state;
	uint8_t *f = pe_image(true);
	char *path = fake_temp_file(f, PE_FILE_SIZE);
	uint8_t buf[20];
	memset(buf, 0, sizeof(buf));
	size_t total = 0;
	assert_null(clrsos_pe_read_metadata(path, PE_TIMESTAMP, PE_IMAGE_SIZE, buf,
					    16, &total));
	assert_int_equal(total, PE_MD_SIZE);
	assert_memory_equal(buf, pe_metadata(f), 16);
	assert_int_equal(buf[16], 0);
	unlink(path);
	free(path);
	free(f);
}

static void expect_pe_error(const uint8_t *f, size_t size, uint32_t timestamp,
			    uint32_t image_size, const char *words)
{
	char *path = fake_temp_file(f, size);
	uint8_t buf[0x200];
	size_t total = 77;
	struct clrsos_error *err = clrsos_pe_read_metadata(path, timestamp, image_size,
							   buf, sizeof(buf), &total);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_IO);
	assert_non_null(strstr(err->message, path));
	if (!strstr(err->message, words))
		fail_msg("'%s' does not say '%s'", err->message, words);
	assert_int_equal(total, 0);
	clrsos_error_destroy(err);
	unlink(path);
	free(path);
}

static void test_pe_read_metadata__wrong_timestamp_fails(void **state)
{
	(void)state;
	uint8_t *f = pe_image(true);
	expect_pe_error(f, PE_FILE_SIZE, PE_TIMESTAMP + 1, PE_IMAGE_SIZE, "timestamp");
	free(f);
}

static void test_pe_read_metadata__wrong_image_size_fails(void **state)
{
	(void)state;
	uint8_t *f = pe_image(true);
	expect_pe_error(f, PE_FILE_SIZE, PE_TIMESTAMP, PE_IMAGE_SIZE + 0x1000, "size");
	free(f);
}

static void test_pe_read_metadata__not_a_pe_fails(void **state)
{
	(void)state;
	size_t size;
	uint8_t *elf = good_image(&size);
	expect_pe_error(elf, size, PE_TIMESTAMP, PE_IMAGE_SIZE, "not a PE");
	free(elf);
	/* MZ, but no PE signature where e_lfanew points. */
	uint8_t *f = pe_image(true);
	f[PE_NT] = 'X';
	expect_pe_error(f, PE_FILE_SIZE, PE_TIMESTAMP, PE_IMAGE_SIZE, "not a PE");
	free(f);
	/* Too short for a DOS header. */
	expect_pe_error((const uint8_t *)"MZ", 2, PE_TIMESTAMP, PE_IMAGE_SIZE, "not a PE");
}

static void test_pe_read_metadata__missing_file_fails(void **state)
{
	(void)state;
	uint8_t buf[16];
	size_t total = 5;
	struct clrsos_error *err = clrsos_pe_read_metadata(
		"/nonexistent/clrsos/App.dll", PE_TIMESTAMP, PE_IMAGE_SIZE, buf,
		sizeof(buf), &total);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_IO);
	assert_non_null(strstr(err->message, "/nonexistent/clrsos/App.dll"));
	assert_int_equal(total, 0);
	clrsos_error_destroy(err);
}

static void test_pe_read_metadata__native_pe_without_cli_header_fails(void **state)
{
	(void)state;
	uint8_t *f = pe_image(true);
	put_u32(f + PE_NT + 24 + 112 + 14 * 8, 0);
	expect_pe_error(f, PE_FILE_SIZE, PE_TIMESTAMP, PE_IMAGE_SIZE, "CLI header");
	free(f);
}

static void test_pe_read_metadata__metadata_outside_sections_fails(void **state)
{
	(void)state;
	uint8_t *f = pe_image(true);
	uint8_t *cli = f + PE_SECTION_RAW + (PE_CLI_RVA - PE_SECTION_RVA);
	put_u32(cli + 8, 0x9000);
	expect_pe_error(f, PE_FILE_SIZE, PE_TIMESTAMP, PE_IMAGE_SIZE, "outside");
	free(f);
}

static void test_pe_read_metadata__metadata_past_end_of_file_fails(void **state)
{
	(void)state;
	uint8_t *f = pe_image(true);
	/* Inside the section's span, but the file ends before the metadata does. */
	expect_pe_error(f, PE_SECTION_RAW + (PE_MD_RVA - PE_SECTION_RVA) + 16,
			PE_TIMESTAMP, PE_IMAGE_SIZE, "metadata");
	free(f);
}

static void test_pe_read_metadata__too_many_sections_fails(void **state)
{
	(void)state;
	uint8_t *f = pe_image(true);
	put_u16(f + PE_NT + 4 + 2, 0xffff);
	expect_pe_error(f, PE_FILE_SIZE, PE_TIMESTAMP, PE_IMAGE_SIZE, "optional header");
	free(f);
}


/* smaps: each mapping's header line, its Rss (kB), its path (with spaces). */
static void test_vm_regions_parse_smaps__rss_path_and_access(void **state)
{
	(void)state;
	static const char text[] =
		"55d4c0a00000-55d4c0a02000 r-xp 00001000 08:01 1234   /usr/bin/my prog\n"
		"Size:                  8 kB\n"
		"Rss:                   4 kB\n"
		"VmFlags: rd ex mr mw me dw sd \n"
		"7f0000000000-7f0000400000 ---p 00000000 00:00 0 \n"
		"Rss:                   0 kB\n"
		"7f0000400000-7f0000401000 rw-s 00000000 00:05 77 /memfd:doublemapper (deleted)\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	assert_non_null(f);
	struct clrsos_vm_region *r = NULL;
	size_t n = 0;
	assert_null(clrsos_vm_regions_parse_smaps(f, &r, &n));
	fclose(f);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 0x55d4c0a00000);
	assert_int_equal(r[0].end, 0x55d4c0a02000);
	assert_int_equal(r[0].prot, CLRSOS_VM_READ | CLRSOS_VM_EXEC);
	assert_int_equal(r[0].offset, 0x1000);
	assert_string_equal(r[0].path, "/usr/bin/my prog");
	assert_int_equal(r[0].resident, 4096);
	assert_int_equal(r[1].prot, 0);
	assert_null(r[1].path);
	assert_int_equal(r[1].resident, 0);
	assert_true(r[2].shared);
	assert_string_equal(r[2].path, "/memfd:doublemapper (deleted)");
	assert_int_equal(r[2].resident, CLRSOS_VM_UNKNOWN);
	clrsos_vm_regions_free(r, n);
}

/* A core's PT_LOAD that merged a file mapping, a thread's stack and the
 * memory above it is cut where the file ends and where the stack ends. */
static void test_vm_regions_core__merged_load_is_cut(void **state)
{
	(void)state;
	struct clrsos_region regions[] = {{0x10000, 0x20000, CLRSOS_REGION_READ | CLRSOS_REGION_WRITE}};
	struct clrsos_elf_load loads[] = {{0x10000, 0x10000, 0, 0x8000, true}};
	struct clrsos_core_file files[] = {{0x10000, 0x12000, 0x3000, "/data/file.bin"}};
	/* sp in the stack, its thread pointer in the stack's last page (0x16000-0x17000). */
	struct clrsos_core_thread threads[] = {{7, 0x401000, 0x15000, 0x16a00}};
	struct clrsos_elf_core c = {.regions = regions, .nregions = 1, .loads = loads, .nloads = 1,
				    .files = files, .nfiles = 1, .threads = threads, .nthreads = 1};
	struct clrsos_vm_region *r = NULL;
	size_t n = 0;
	assert_null(clrsos_vm_regions_core(&c, &r, &n));
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 0x10000);
	assert_int_equal(r[0].end, 0x12000);
	assert_string_equal(r[0].path, "/data/file.bin");
	assert_int_equal(r[0].offset, 0x3000);
	assert_int_equal(r[0].in_core, 0x2000);
	assert_int_equal(r[1].start, 0x12000);
	assert_int_equal(r[1].end, 0x17000);
	assert_null(r[1].path);
	assert_int_equal(r[1].in_core, 0x5000);
	assert_int_equal(r[2].start, 0x17000);
	assert_int_equal(r[2].end, 0x20000);
	assert_int_equal(r[2].in_core, 0x1000);
	assert_int_equal(r[2].resident, CLRSOS_VM_UNKNOWN);
	clrsos_vm_regions_free(r, n);
}

/* Tagging splits a mapping at the owner's ends; in a core, the part no
 * mapping holds becomes a synthetic one. */
static void test_addrspace_tag__splits_and_synthesizes(void **state)
{
	(void)state;
	struct clrsos_addrspace s;
	memset(&s, 0, sizeof(s));
	s.synthesize = true;
	s.capacity = 4;
	s.regions = calloc(s.capacity, sizeof(*s.regions));
	assert_non_null(s.regions);
	s.regions[0] = (struct clrsos_addr_region){.start = 0x1000, .end = 0x5000, .prot = CLRSOS_VM_READ | CLRSOS_VM_WRITE,
						  .resident = CLRSOS_VM_UNKNOWN, .in_core = 0x4000};
	s.count = 1;
	assert_null(clrsos_addrspace_tag(&s, 0x2000, 0x3000, CLRSOS_OWNER_GC_HEAP, NULL, "heap 0 gen0", false));
	assert_null(clrsos_addrspace_tag(&s, 0x4000, 0x8000, CLRSOS_OWNER_LOADER_HEAP, "StubHeap", NULL, true));
	assert_int_equal(s.count, 5);
	assert_int_equal(s.regions[0].end, 0x2000);
	assert_int_equal(s.regions[0].owner, CLRSOS_OWNER_UNOWNED);
	assert_int_equal(s.regions[1].start, 0x2000);
	assert_int_equal(s.regions[1].end, 0x3000);
	assert_int_equal(s.regions[1].owner, CLRSOS_OWNER_GC_HEAP);
	assert_string_equal(s.regions[1].detail, "heap 0 gen0");
	assert_int_equal(s.regions[1].in_core, 0x1000);
	assert_int_equal(s.regions[2].owner, CLRSOS_OWNER_UNOWNED);
	assert_int_equal(s.regions[3].start, 0x4000);
	assert_int_equal(s.regions[3].end, 0x5000);
	assert_string_equal(s.regions[3].kind, "StubHeap");
	assert_false(s.regions[3].synthetic);
	assert_int_equal(s.regions[4].start, 0x5000);
	assert_int_equal(s.regions[4].end, 0x8000);
	assert_true(s.regions[4].synthetic);
	assert_int_equal(s.regions[4].state, CLRSOS_MEM_RESERVE);
	char buf[48];
	assert_string_equal(clrsos_addr_region_name(&s.regions[4], buf, sizeof(buf)), "StubHeap");
	assert_string_equal(clrsos_addr_region_name(&s.regions[0], buf, sizeof(buf)), "PAGE_READWRITE");
	clrsos_addrspace_deinit(&s);
}

int run_elf_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_parse__good_image_loads_and_build_id),
		cmocka_unit_test(test_elf_parse_file__good_file),
		cmocka_unit_test(test_elf_core__segments_read_in_place_truncated_ones_left_out),
		cmocka_unit_test(test_elf_core__not_a_core_refused),
		cmocka_unit_test(test_elf_core__regions_and_threads_as_a_debugger_shows_them),
		cmocka_unit_test(test_elf_core_fits__every_region_and_thread_compared),
		cmocka_unit_test(test_vm_regions_parse_smaps__rss_path_and_access),
		cmocka_unit_test(test_vm_regions_core__merged_load_is_cut),
		cmocka_unit_test(test_addrspace_tag__splits_and_synthesizes),
		cmocka_unit_test(test_elf_core_choose__the_debuggers_bytes_decide),
		cmocka_unit_test(test_elf_parse_file__missing_file_names_path),
		cmocka_unit_test(test_module_image_size__hostile_segment_cannot_wrap),
		cmocka_unit_test(test_elf_parse_file__truncated_header_fails),
		cmocka_unit_test(test_elf_parse__truncated_program_headers_fail),
		cmocka_unit_test(test_elf_parse__wrong_class_fails),
		cmocka_unit_test(test_elf_parse__big_endian_fails),
		cmocka_unit_test(test_elf_parse__bad_magic_fails),
		cmocka_unit_test(test_elf_parse__wrong_phentsize_fails),
		cmocka_unit_test(test_elf_parse__too_many_phdrs_fails_without_reading_them),
		cmocka_unit_test(test_elf_parse__missing_build_id_is_not_an_error),
		cmocka_unit_test(test_elf_parse__build_id_after_another_note),
		cmocka_unit_test(test_elf_parse__note_with_bogus_sizes_does_not_overrun),
		cmocka_unit_test(test_elf_parse__oversized_build_id_is_ignored),
		cmocka_unit_test(test_elf_parse__in_memory_finds_note_by_vaddr),
		cmocka_unit_test(test_elf_parse__unreadable_note_is_skipped),
		cmocka_unit_test(test_pe_read_metadata__returns_metadata_bytes),
		cmocka_unit_test(test_pe_read_metadata__small_buffer_gets_prefix_and_full_size),
		cmocka_unit_test(test_pe_read_metadata__wrong_timestamp_fails),
		cmocka_unit_test(test_pe_read_metadata__wrong_image_size_fails),
		cmocka_unit_test(test_pe_read_metadata__not_a_pe_fails),
		cmocka_unit_test(test_pe_read_metadata__missing_file_fails),
		cmocka_unit_test(test_pe_read_metadata__native_pe_without_cli_header_fails),
		cmocka_unit_test(test_pe_read_metadata__metadata_outside_sections_fails),
		cmocka_unit_test(test_pe_read_metadata__metadata_past_end_of_file_fails),
		cmocka_unit_test(test_pe_read_metadata__too_many_sections_fails),
	};
	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
