#include "fake_target.h"

#include <elf.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Memory ---------------------------------------------------------------- */

static const struct fake_region *region_at(const struct fake_target *f,
					   uint64_t a)
{
	for (size_t i = 0; i < f->nregions; i++) {
		const struct fake_region *r = &f->regions[i];
		if (a >= r->address && a - r->address < r->size)
			return r;
	}
	return NULL;
}

/* The hole holding a, or the distance to the next hole above a in *ret_gap. */
static bool in_hole(const struct fake_target *f, uint64_t a, uint64_t *ret_gap)
{
	uint64_t gap = UINT64_MAX;
	for (size_t i = 0; i < f->nholes; i++) {
		const struct fake_hole *h = &f->holes[i];
		if (a >= h->address && a - h->address < h->size)
			return true;
		if (h->address > a && h->address - a < gap)
			gap = h->address - a;
	}
	*ret_gap = gap;
	return false;
}

static size_t fake_read(void *ctx, uint64_t address, void *buf, size_t size)
{
	struct fake_target *f = ctx;
	f->read_calls++;
	if (size > f->largest_read)
		f->largest_read = size;
	if (f->fail_reads_larger_than && size > f->fail_reads_larger_than)
		return 0;
	/* Like a real debugger: never read across the top of the address space. */
	if (size && address + size - 1 < address)
		size = (size_t)(UINT64_MAX - address) + 1;
	uint8_t *out = buf;
	size_t done = 0;
	while (done < size) {
		uint64_t a = address + done;
		const struct fake_region *r = region_at(f, a);
		uint64_t gap;
		if (!r || in_hole(f, a, &gap))
			break;
		uint64_t run = r->size - (a - r->address);
		if (run > size - done)
			run = size - done;
		if (run > gap)
			run = gap;
		memcpy(out + done, r->bytes + (a - r->address), (size_t)run);
		done += (size_t)run;
	}
	if (f->all_or_nothing && done < size)
		done = 0;
	f->bytes_read += done;
	return done;
}

/* Modules, threads, the rest -------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct clrsos_error *fake_modules(void *ctx, struct clrsos_module **ret,
					 size_t *ret_count)
{
	struct fake_target *f = ctx;
	f->modules_calls++;
	if (f->modules_fail)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
					   "fake: no module list");
	struct clrsos_module *mods = calloc(f->nmodules ? f->nmodules : 1,
					    sizeof(*mods));
	if (!mods)
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < f->nmodules; i++) {
		mods[i] = f->modules[i];
		mods[i].name = dup_or_null(f->modules[i].name);
		mods[i].path = dup_or_null(f->modules[i].path);
	}
	*ret = mods;
	*ret_count = f->nmodules;
	return NULL;
}

static struct clrsos_error *fake_threads(void *ctx, struct clrsos_thread **ret,
					 size_t *ret_count)
{
	struct fake_target *f = ctx;
	f->threads_calls++;
	struct clrsos_thread *t = calloc(f->nthreads ? f->nthreads : 1, sizeof(*t));
	if (!t)
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < f->nthreads; i++)
		t[i].os_id = f->threads[i].os_id;
	*ret = t;
	*ret_count = f->nthreads;
	return NULL;
}

static struct clrsos_error *fake_registers(void *ctx, uint32_t os_id,
					   struct clrsos_regs *ret)
{
	struct fake_target *f = ctx;
	f->registers_calls++;
	for (size_t i = 0; i < f->nthreads; i++) {
		if (f->threads[i].os_id == os_id) {
			*ret = f->threads[i].regs;
			return NULL;
		}
	}
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "fake: no thread %u", os_id);
}

static uint64_t fake_stop_id(void *ctx)
{
	return ((struct fake_target *)ctx)->stop_id;
}

static bool fake_is_live(void *ctx)
{
	return ((struct fake_target *)ctx)->is_live;
}

/* A region's bytes in place, up to the region's end or the next hole. */
static const void *fake_view(void *ctx, uint64_t address, size_t size, size_t *len)
{
	struct fake_target *f = ctx;
	f->view_calls++;
	const struct fake_region *r = region_at(f, address);
	uint64_t gap;
	if (!f->views || !r || in_hole(f, address, &gap))
		return NULL;
	uint64_t run = r->size - (address - r->address);
	if (gap < run)
		run = gap;
	*len = run < size ? (size_t)run : size;
	f->views_given++;
	return r->bytes + (address - r->address);
}

const struct clrsos_target_ops fake_target_ops = {
	.read = fake_read,
	.modules = fake_modules,
	.threads = fake_threads,
	.registers = fake_registers,
	.stop_id = fake_stop_id,
	.is_live = fake_is_live,
	.view = fake_view,
};

void fake_target_init(struct fake_target *f)
{
	memset(f, 0, sizeof(*f));
	f->stop_id = 1;
}

void fake_target_fini(struct fake_target *f)
{
	for (size_t i = 0; i < f->nregions; i++)
		free(f->regions[i].bytes);
	for (size_t i = 0; i < f->nmodules; i++) {
		free(f->modules[i].name);
		free(f->modules[i].path);
	}
	memset(f, 0, sizeof(*f));
}

void fake_target_reset_counters(struct fake_target *f)
{
	f->read_calls = 0;
	f->bytes_read = 0;
	f->largest_read = 0;
	f->modules_calls = 0;
	f->threads_calls = 0;
	f->registers_calls = 0;
}

void fake_fill_pattern(uint8_t *buf, size_t size, uint64_t first_pos)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = fake_pattern(first_pos + i);
}

uint8_t *fake_target_add_region(struct fake_target *f, uint64_t address,
				const void *bytes, size_t size)
{
	assert_true(f->nregions < FAKE_MAX_REGIONS);
	struct fake_region *r = &f->regions[f->nregions++];
	r->address = address;
	r->size = size;
	r->bytes = malloc(size ? size : 1);
	assert_non_null(r->bytes);
	if (bytes)
		memcpy(r->bytes, bytes, size);
	else
		fake_fill_pattern(r->bytes, size, address);
	return r->bytes;
}

void fake_target_add_hole(struct fake_target *f, uint64_t address, size_t size)
{
	assert_true(f->nholes < FAKE_MAX_HOLES);
	f->holes[f->nholes].address = address;
	f->holes[f->nholes].size = size;
	f->nholes++;
}

struct clrsos_module *fake_target_add_module(struct fake_target *f,
					     const char *name, const char *path,
					     uint64_t base, const uint8_t *build_id,
					     size_t build_id_len)
{
	assert_true(f->nmodules < FAKE_MAX_MODULES);
	assert_true(build_id_len <= CLRSOS_BUILD_ID_MAX);
	struct clrsos_module *m = &f->modules[f->nmodules++];
	memset(m, 0, sizeof(*m));
	m->name = dup_or_null(name);
	m->path = dup_or_null(path);
	m->base = base;
	if (build_id_len)
		memcpy(m->build_id, build_id, build_id_len);
	m->build_id_len = build_id_len;
	return m;
}

void fake_target_add_thread(struct fake_target *f, uint32_t os_id,
			    const struct clrsos_regs *regs)
{
	assert_true(f->nthreads < FAKE_MAX_THREADS);
	struct fake_thread *t = &f->threads[f->nthreads++];
	t->os_id = os_id;
	if (regs)
		t->regs = *regs;
	else
		memset(&t->regs, 0, sizeof(t->regs));
}

struct clrsos_target *fake_target_create(struct fake_target *f)
{
	struct clrsos_target *t = NULL;
	struct clrsos_error *err = clrsos_target_create(&fake_target_ops, f, &t);
	assert_null(err);
	assert_non_null(t);
	return t;
}

/* ELF images ------------------------------------------------------------ */

uint8_t *fake_elf_build(const struct fake_elf_spec *spec)
{
	size_t nph = spec->nloads + (spec->note_offset ? 1 : 0);
	assert_true(spec->size >= sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr));
	uint8_t *img = malloc(spec->size);
	assert_non_null(img);
	fake_fill_pattern(img, spec->size, 0);

	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)nph;
	memcpy(img, &eh, sizeof(eh));

	Elf64_Phdr ph;
	for (size_t i = 0; i < spec->nloads; i++) {
		const struct fake_elf_load *l = &spec->loads[i];
		memset(&ph, 0, sizeof(ph));
		ph.p_type = PT_LOAD;
		ph.p_flags = l->flags;
		ph.p_offset = l->offset;
		ph.p_vaddr = ph.p_paddr = l->vaddr;
		ph.p_filesz = ph.p_memsz = l->filesz;
		ph.p_align = CLRSOS_PAGE_SIZE;
		memcpy(img + eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph));
	}
	if (spec->note_offset) {
		/* One note: a GNU build-id, or (without build_id) an ABI tag. */
		Elf64_Nhdr nh;
		uint8_t desc[CLRSOS_BUILD_ID_MAX];
		size_t desc_len;
		if (spec->build_id) {
			nh.n_type = NT_GNU_BUILD_ID;
			desc_len = spec->build_id_len;
			memcpy(desc, spec->build_id, desc_len);
		} else {
			nh.n_type = NT_GNU_ABI_TAG;
			desc_len = 16;
			memset(desc, 0, desc_len);
			desc[4] = 3;
		}
		nh.n_namesz = 4;
		nh.n_descsz = (Elf64_Word)desc_len;
		size_t note_size = sizeof(nh) + 4 + ((desc_len + 3) & ~(size_t)3);
		assert_true(spec->note_offset + note_size <= spec->size);
		uint8_t *p = img + spec->note_offset;
		memset(p, 0, note_size);
		memcpy(p, &nh, sizeof(nh));
		memcpy(p + sizeof(nh), "GNU", 4);
		memcpy(p + sizeof(nh) + 4, desc, desc_len);

		memset(&ph, 0, sizeof(ph));
		ph.p_type = PT_NOTE;
		ph.p_flags = PF_R;
		ph.p_offset = spec->note_offset;
		ph.p_vaddr = ph.p_paddr = spec->note_offset;
		ph.p_filesz = ph.p_memsz = note_size;
		ph.p_align = 4;
		memcpy(img + eh.e_phoff + spec->nloads * sizeof(ph), &ph, sizeof(ph));
	}
	return img;
}

/* Temporary files --------------------------------------------------------- */

static const char *tmp_root(void)
{
	const char *t = getenv("TMPDIR");
	return t && t[0] == '/' ? t : "/tmp";
}

char *fake_temp_file(const void *data, size_t size)
{
	char *path;
	assert_true(asprintf(&path, "%s/clrsos-unit-XXXXXX", tmp_root()) > 0);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const uint8_t *p = data;
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, p + done, size - done);
		assert_true(n > 0);
		done += (size_t)n;
	}
	close(fd);
	return path;
}

char *fake_temp_dir(void)
{
	char *path;
	assert_true(asprintf(&path, "%s/clrsos-unit-dir-XXXXXX", tmp_root()) > 0);
	assert_non_null(mkdtemp(path));
	return path;
}

/* Buffer writer ------------------------------------------------------------ */

static void buffer_write(void *ctx, const char *text, size_t size)
{
	struct test_buffer *b = ctx;
	if (b->len + size + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + size + 1)
			cap *= 2;
		char *data = realloc(b->data, cap);
		assert_non_null(data);
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, text, size);
	b->len += size;
	b->data[b->len] = '\0';
}

void test_buffer_init(struct test_buffer *b)
{
	memset(b, 0, sizeof(*b));
	b->writer.write = buffer_write;
	b->writer.ctx = b;
	buffer_write(b, "", 0);
}

void test_buffer_reset(struct test_buffer *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

void test_buffer_fini(struct test_buffer *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
