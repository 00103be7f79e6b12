/*
 * The ELF core reader (core/elfimage.h): any bytes as a core file, mapped
 * in place; then what the plugin asks of it: bytes at each segment and
 * region, whether it fits a debugger's view of itself and of a changed
 * view, and which of two copies holds a reader's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "target/elfimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A debugger that reads what the core itself holds. */
static size_t read_core(void *ctx, uint64_t address, void *buf, size_t size)
{
	size_t len = 0;
	const uint8_t *p = clrsos_elf_core_at(ctx, address, size, &len);
	if (!p)
		return 0;
	memcpy(buf, p, len);
	return len;
}

static volatile uint8_t sink;

static void touch(const struct clrsos_elf_core *core, uint64_t address, size_t want)
{
	size_t len = 0;
	const uint8_t *p = clrsos_elf_core_at(core, address, want, &len);
	if (!p)
		return;
	if (len == 0 || len > want)
		abort();
	sink ^= p[0] ^ p[len - 1];
	/* The file's copy of the same bytes is the view's. */
	uint8_t buf[64];
	size_t n = clrsos_elf_core_copy(core, address, buf, len < sizeof(buf) ? len : sizeof(buf));
	if (n != (len < sizeof(buf) ? len : sizeof(buf)) || memcmp(buf, p, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("core", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	struct clrsos_elf_core *core = NULL;
	struct clrsos_error *err = clrsos_elf_core_open(fd, &core);
	struct clrsos_elf_core *second = NULL;
	if (!err)
		err = clrsos_elf_core_open(fd, &second);
	close(fd);
	if (err) {
		if (strchr(err->message, '\n'))
			abort();
		clrsos_error_destroy(err);
		clrsos_elf_core_close(core);
		return 0;
	}
	for (size_t i = 0; i < core->nloads; i++) {
		const struct clrsos_elf_load *l = &core->loads[i];
		touch(core, l->vaddr, 64);
		if (l->memsz)
			touch(core, l->vaddr + l->memsz - 1, 64);
		touch(core, l->vaddr + l->memsz / 2, 1 << 20);
	}
	for (size_t i = 0; i < core->nregions; i++)
		touch(core, core->regions[i].start, 16);
	struct clrsos_core_view view = {core->regions, core->nregions, core->threads, core->nthreads};
	sink ^= (uint8_t)clrsos_elf_core_fits(core, &view);
	/* A view with one thread fewer, or one region fewer. */
	if (core->nthreads) {
		view.nthreads--;
		sink ^= (uint8_t)clrsos_elf_core_fits(core, &view);
		view.nthreads++;
	}
	if (core->nregions) {
		view.regions++;
		view.nregions--;
		sink ^= (uint8_t)clrsos_elf_core_fits(core, &view);
	}
	const struct clrsos_elf_core *both[2] = {core, second};
	long chosen = clrsos_elf_core_choose(both, 2, read_core, core);
	if (chosen < -1 || chosen > 1)
		abort();
	clrsos_elf_core_close(second);
	clrsos_elf_core_close(core);
	return 0;
}
