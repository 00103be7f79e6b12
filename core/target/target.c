#include "target/target.h"

#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/vector.h"
#include "target/elfimage.h"
#include "target/pe.h"

#define GPR(reg) {#reg, offsetof(struct clrsos_regs, reg)}
const struct clrsos_x64_gpr clrsos_x64_gprs[CLRSOS_X64_GPRS] = {
	GPR(rax), GPR(rcx), GPR(rdx), GPR(rbx), GPR(rsp), GPR(rbp), GPR(rsi), GPR(rdi), GPR(r8),
	GPR(r9),  GPR(r10), GPR(r11), GPR(r12), GPR(r13), GPR(r14), GPR(r15), GPR(rip),
};
#undef GPR

/* What a module's file on disk can serve for pages the target lacks. */
struct file_backing {
	int fd;                /* -1: this module has no usable file */
	struct clrsos_elf_info elf;
};

struct image {
	uint64_t base, end;
	bool mapped;
	struct clrsos_pe_image *pe;
};
CLRSOS_VECTOR(image_vector, struct image)

struct clrsos_target {
	const struct clrsos_target_ops *ops;
	void *ctx;
	uint64_t stop_id;
	bool have_modules;
	struct clrsos_module *modules;
	size_t nmodules;
	struct file_backing *backing; /* one per module, built on first need */
	struct image_vector images;   /* managed images, added by the runtime */
};

static void drop_caches(struct clrsos_target *t)
{
	if (t->backing) {
		for (size_t i = 0; i < t->nmodules; i++) {
			if (t->backing[i].fd >= 0)
				close(t->backing[i].fd);
		}
		free(t->backing);
		t->backing = NULL;
	}
	for (size_t i = 0; i < t->images.count; i++)
		clrsos_pe_close(t->images.items[i].pe);
	image_vector_deinit(&t->images);
	clrsos_modules_free(t->modules, t->nmodules);
	t->modules = NULL;
	t->nmodules = 0;
	t->have_modules = false;
}

struct clrsos_error *clrsos_target_create(const struct clrsos_target_ops *ops,
					  void *ctx,
					  struct clrsos_target **ret)
{
	struct clrsos_target *t = calloc(1, sizeof(*t));
	if (!t)
		return &clrsos_error_no_memory;
	t->ops = ops;
	t->ctx = ctx;
	t->stop_id = ops->stop_id ? ops->stop_id(ctx) : 0;
	*ret = t;
	return NULL;
}

void clrsos_target_destroy(struct clrsos_target *target)
{
	if (!target)
		return;
	drop_caches(target);
	free(target);
}

bool clrsos_target_refresh(struct clrsos_target *t)
{
	uint64_t id = t->ops->stop_id ? t->ops->stop_id(t->ctx) : 0;
	if (id == t->stop_id)
		return false;
	t->stop_id = id;
	drop_caches(t);
	return true;
}

struct clrsos_error *clrsos_target_write(struct clrsos_target *t, uint64_t address, const void *buf,
					 size_t size)
{
	if (!t->ops->write || !clrsos_target_is_live(t))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "cannot write to 0x%llx: the target is not a live process",
					   (unsigned long long)address);
	size_t n = t->ops->write(t->ctx, address, buf, size);
	if (n < size)
		return clrsos_error_fault(address + n, "cannot write to 0x%llx", (unsigned long long)(address + n));
	return NULL;
}

const struct clrsos_target_ops *clrsos_target_ops_of(struct clrsos_target *t, void **ret_ctx)
{
	*ret_ctx = t->ctx;
	return t->ops;
}

uint64_t clrsos_target_stop_id(struct clrsos_target *t)
{
	return t->stop_id;
}

const uint8_t *clrsos_target_view(struct clrsos_target *t, uint64_t address, size_t size,
				  size_t *len)
{
	*len = 0;
	if (!t->ops->view || size == 0)
		return NULL;
	size_t n = 0;
	const void *v = t->ops->view(t->ctx, address, size, &n);
	if (!v || n == 0)
		return NULL;
	*len = n < size ? n : size;
	return v;
}

size_t clrsos_target_scan(struct clrsos_target *t, uint64_t address, void *buf, size_t size)
{
	if (!t->ops->scan || size == 0)
		return 0;
	size_t n = t->ops->scan(t->ctx, address, buf, size);
	return n <= size ? n : 0;
}

bool clrsos_target_is_live(struct clrsos_target *t)
{
	return t->ops->is_live ? t->ops->is_live(t->ctx) : false;
}

void clrsos_modules_free(struct clrsos_module *modules, size_t count)
{
	if (!modules)
		return;
	for (size_t i = 0; i < count; i++) {
		free(modules[i].name);
		free(modules[i].path);
	}
	free(modules);
}

void clrsos_vm_regions_free(struct clrsos_vm_region *regions, size_t count)
{
	if (!regions)
		return;
	for (size_t i = 0; i < count; i++)
		free(regions[i].path);
	free(regions);
}

struct clrsos_error *clrsos_target_vm_regions(struct clrsos_target *t, struct clrsos_vm_region **ret,
					      size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	if (!t->ops->vm_regions)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "this debugger cannot list the process's memory mappings");
	return t->ops->vm_regions(t->ctx, ret, ret_count);
}

enum { MAX_DISASSEMBLY = 16 << 20 };

struct clrsos_error *clrsos_target_disassemble(struct clrsos_target *target, uint64_t address, size_t size,
					       struct clrsos_insn **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	if (!target->ops->disassemble)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "this debugger offers no disassembler");
	if (size > MAX_DISASSEMBLY)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "%zu bytes of code at 0x%" PRIx64 " are too many to disassemble", size, address);
	uint8_t *code = malloc(size ? size : 1);
	if (!code)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = clrsos_target_read(target, address, code, size);
	if (!err)
		err = target->ops->disassemble(target->ctx, address, code, size, ret, ret_count);
	free(code);
	return err;
}

bool clrsos_target_source_line(struct clrsos_target *target, uint64_t address, char **ret_file, uint32_t *ret_line)
{
	*ret_file = NULL;
	*ret_line = 0;
	if (!target->ops->source_line || !target->ops->source_line(target->ctx, address, ret_file, ret_line))
		return false;
	if (!*ret_file)
		return false;
	return true;
}

void clrsos_insns_free(struct clrsos_insn *insns, size_t count)
{
	if (!insns)
		return;
	for (size_t i = 0; i < count; i++) {
		free(insns[i].mnemonic);
		free(insns[i].operands);
	}
	free(insns);
}

void clrsos_build_id_hex(const uint8_t *id, size_t len, char *buf)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		buf[2 * i] = digits[id[i] >> 4];
		buf[2 * i + 1] = digits[id[i] & 15];
	}
	buf[2 * len] = '\0';
}

struct clrsos_error *clrsos_target_modules(struct clrsos_target *t,
					   const struct clrsos_module **ret,
					   size_t *ret_count)
{
	if (!t->have_modules) {
		struct clrsos_error *err =
			t->ops->modules(t->ctx, &t->modules, &t->nmodules);
		if (err)
			return err;
		t->have_modules = true;
	}
	*ret = t->modules;
	*ret_count = t->nmodules;
	return NULL;
}

const struct clrsos_module *
clrsos_target_find_module(struct clrsos_target *t, const char *name)
{
	const struct clrsos_module *mods;
	size_t n;
	struct clrsos_error *err = clrsos_target_modules(t, &mods, &n);
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (mods[i].name && strcasecmp(mods[i].name, name) == 0)
			return &mods[i];
	}
	return NULL;
}

/* Read page by page from the target alone; returns bytes read from the start. */
static size_t read_pages(struct clrsos_target *t, uint64_t address,
			 uint8_t *buf, size_t size)
{
	size_t done = 0;
	while (done < size) {
		uint64_t a = address + done;
		size_t chunk = CLRSOS_PAGE_SIZE - (a & (CLRSOS_PAGE_SIZE - 1));
		if (chunk > size - done)
			chunk = size - done;
		size_t n = t->ops->read(t->ctx, a, buf + done, chunk);
		done += n;
		if (n < chunk)
			break;
	}
	return done;
}

struct elf_mem_ctx {
	struct clrsos_target *t;
	uint64_t base;
};

static bool elf_mem_read(void *ctx, uint64_t pos, void *buf, size_t size)
{
	struct elf_mem_ctx *m = ctx;
	return read_pages(m->t, m->base + pos, buf, size) == size;
}

/* The bytes a parsed image's file maps from its first page: the end of the
 * last loaded segment's file bytes, rounded up to a page (SOS's ImageSize:
 * a segment's zero-filled tail, .bss, is anonymous memory, not the file's).
 * False when a segment's end, or its rounding, passes 2^64 (a damaged or
 * hostile header). */
static bool elf_image_span(const struct clrsos_elf_info *info, uint64_t *ret)
{
	uint64_t end = 0;
	for (size_t i = 0; i < info->nloads; i++) {
		const struct clrsos_elf_load *l = &info->loads[i];
		if (l->filesz > UINT64_MAX - l->vaddr)
			return false;
		if (l->vaddr + l->filesz > end)
			end = l->vaddr + l->filesz;
	}
	if (end > UINT64_MAX - (CLRSOS_PAGE_SIZE - 1))
		return false;
	*ret = (end + CLRSOS_PAGE_SIZE - 1) & ~(uint64_t)(CLRSOS_PAGE_SIZE - 1);
	return true;
}

struct clrsos_error *clrsos_target_module_image_size(struct clrsos_target *t,
						     const struct clrsos_module *module, uint64_t *ret)
{
	*ret = 0;
	struct elf_mem_ctx m = {t, module->base};
	struct clrsos_elf_info info;
	struct clrsos_error *err = clrsos_elf_parse(elf_mem_read, &m, true, &info);
	if (err && module->path) {
		/* The core lacks the header page: the file's headers, if it is the same build. */
		clrsos_error_destroy(err);
		err = clrsos_elf_parse_file(module->path, &info);
		if (!err && module->build_id_len &&
		    (info.build_id_len != module->build_id_len ||
		     memcmp(info.build_id, module->build_id, info.build_id_len) != 0))
			err = clrsos_error_create(CLRSOS_ERROR_IO, "%s is not the module loaded",
						  module->path);
	}
	if (err)
		return err;
	if (!elf_image_span(&info, ret))
		return clrsos_error_create(CLRSOS_ERROR_IO, "the ELF headers of %s at 0x%" PRIx64
					   " give a segment that ends past the address space", module->name, module->base);
	return NULL;
}

struct clrsos_error *
clrsos_target_module_build_id(struct clrsos_target *t,
			      const struct clrsos_module *module, uint8_t *ret,
			      size_t *ret_len, bool *ret_from_memory)
{
	struct elf_mem_ctx m = {t, module->base};
	struct clrsos_elf_info info;
	struct clrsos_error *err = clrsos_elf_parse(elf_mem_read, &m, true, &info);
	if (!err && info.build_id_len) {
		memcpy(ret, info.build_id, info.build_id_len);
		*ret_len = info.build_id_len;
		*ret_from_memory = true;
		return NULL;
	}
	clrsos_error_destroy(err);
	if (module->build_id_len) {
		memcpy(ret, module->build_id, module->build_id_len);
		*ret_len = module->build_id_len;
		*ret_from_memory = false;
		return NULL;
	}
	return clrsos_error_fault(module->base,
				  "the build-id of %s is not in the target at 0x%llx",
				  module->name, (unsigned long long)module->base);
}

/*
 * Open each module's file and keep it only if its build-id is the one the
 * target has: a file that does not match would serve wrong bytes.
 */
static void init_backing(struct clrsos_target *t)
{
	const struct clrsos_module *mods;
	size_t n;
	struct clrsos_error *err = clrsos_target_modules(t, &mods, &n);
	if (err) {
		clrsos_error_destroy(err);
		return;
	}
	t->backing = calloc(n ? n : 1, sizeof(*t->backing));
	if (!t->backing)
		return;
	for (size_t i = 0; i < n; i++) {
		struct file_backing *b = &t->backing[i];
		b->fd = -1;
		if (!mods[i].path || mods[i].path[0] != '/')
			continue;
		/* Opened once, a regular file only (a FIFO there would block). */
		int fd;
		if ((err = clrsos_file_open_read(mods[i].path, &fd))) {
			clrsos_error_destroy(err);
			continue;
		}
		if ((err = clrsos_elf_parse_fd(fd, &b->elf))) {
			clrsos_error_destroy(err);
			close(fd);
			continue; /* not ELF: nothing to serve */
		}
		uint8_t id[CLRSOS_BUILD_ID_MAX];
		size_t id_len;
		bool from_memory;
		err = clrsos_target_module_build_id(t, &mods[i], id, &id_len,
						    &from_memory);
		if (err) {
			clrsos_error_destroy(err);
			close(fd);
			continue;
		}
		if (id_len == 0 || id_len != b->elf.build_id_len ||
		    memcmp(id, b->elf.build_id, id_len) != 0) {
			close(fd);
			continue;
		}
		b->fd = fd;
	}
}

/* Serve one page's bytes from a matching module file, if one maps it read-only. */
static size_t read_from_files(struct clrsos_target *t, uint64_t address,
			      uint8_t *buf, size_t size)
{
	for (size_t i = 0; i < t->images.count; i++) {
		struct image *im = &t->images.items[i];
		if (address >= im->base && address < im->end) {
			size_t want = size < im->end - address ? size : (size_t)(im->end - address);
			return clrsos_pe_read(im->pe, im->mapped, address - im->base, buf, want);
		}
	}
	if (!t->backing)
		init_backing(t);
	if (!t->backing)
		return 0;
	for (size_t i = 0; i < t->nmodules; i++) {
		struct file_backing *b = &t->backing[i];
		if (b->fd < 0)
			continue;
		uint64_t base = t->modules[i].base;
		for (size_t j = 0; j < b->elf.nloads; j++) {
			const struct clrsos_elf_load *l = &b->elf.loads[j];
			uint64_t start = base + l->vaddr;
			if (l->writable || address < start ||
			    address - start >= l->filesz)
				continue;
			uint64_t avail = l->filesz - (address - start);
			size_t want = size < avail ? size : (size_t)avail;
			ssize_t got = pread(b->fd, buf, want,
					    (off_t)(l->offset + (address - start)));
			return got > 0 ? (size_t)got : 0;
		}
	}
	return 0;
}

static size_t read_any(struct clrsos_target *t, uint64_t address, uint8_t *buf,
		       size_t size, bool use_files)
{
	/* Nothing follows the last byte of the address space. */
	uint64_t room = UINT64_MAX - address; /* bytes after the first one */
	if (size > 0 && size - 1 > room)
		size = (size_t)room + 1;
	size_t done = t->ops->read(t->ctx, address, buf, size);
	if (done == size)
		return done;
	while (done < size) {
		uint64_t a = address + done;
		size_t chunk = CLRSOS_PAGE_SIZE - (a & (CLRSOS_PAGE_SIZE - 1));
		if (chunk > size - done)
			chunk = size - done;
		size_t n = t->ops->read(t->ctx, a, buf + done, chunk);
		if (n < chunk && use_files)
			n += read_from_files(t, a + n, buf + done + n, chunk - n);
		done += n;
		if (n < chunk)
			break;
	}
	return done;
}

static struct clrsos_error *missing(uint64_t address)
{
	return clrsos_error_fault(address,
				  "memory at 0x%llx is not in the target (not saved in the core and in no matching module file)",
				  (unsigned long long)address);
}

struct clrsos_error *clrsos_target_read(struct clrsos_target *t,
					uint64_t address, void *buf,
					size_t size)
{
	if (size == 0)
		return NULL;
	size_t done = read_any(t, address, buf, size, true);
	return done == size ? NULL : missing(address + done);
}

struct clrsos_error *clrsos_target_read_partial(struct clrsos_target *t,
						uint64_t address, void *buf,
						size_t size, size_t *ret)
{
	*ret = 0;
	if (size == 0)
		return NULL;
	size_t done = read_any(t, address, buf, size, true);
	if (done == 0)
		return missing(address);
	*ret = done;
	return NULL;
}

struct clrsos_error *clrsos_target_read_raw(struct clrsos_target *t,
					    uint64_t address, void *buf,
					    size_t size)
{
	if (size == 0)
		return NULL;
	size_t done = read_any(t, address, buf, size, false);
	return done == size ? NULL : missing(address + done);
}

struct clrsos_error *clrsos_target_read_u64(struct clrsos_target *t,
					    uint64_t address, uint64_t *ret)
{
	return clrsos_target_read(t, address, ret, sizeof(*ret));
}

struct clrsos_error *clrsos_target_read_u32(struct clrsos_target *t,
					    uint64_t address, uint32_t *ret)
{
	return clrsos_target_read(t, address, ret, sizeof(*ret));
}

struct clrsos_error *clrsos_target_threads(struct clrsos_target *t,
					   struct clrsos_thread **ret,
					   size_t *ret_count)
{
	return t->ops->threads(t->ctx, ret, ret_count);
}

struct clrsos_error *clrsos_target_registers(struct clrsos_target *t,
					     uint32_t os_id,
					     struct clrsos_regs *ret)
{
	return t->ops->registers(t->ctx, os_id, ret);
}

struct clrsos_error *clrsos_target_add_image(struct clrsos_target *t, uint64_t base,
					     bool mapped, struct clrsos_pe_image *pe)
{
	uint64_t extent = mapped ? clrsos_pe_size_of_image(pe) : clrsos_pe_file_size(pe);
	struct clrsos_error *err = image_vector_push(&t->images, (struct image){base, base + extent, mapped, pe});
	if (err)
		clrsos_pe_close(pe);
	return err;
}

size_t clrsos_target_image_count(struct clrsos_target *t)
{
	return t->images.count;
}

void clrsos_target_drop_image(struct clrsos_target *t)
{
	if (t->images.count)
		clrsos_pe_close(image_vector_pop(&t->images)->pe);
}
