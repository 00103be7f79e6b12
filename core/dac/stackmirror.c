#include "dac/stackmirror.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

void clrsos_stack_mirror_map(struct clrsos_target *target, uint32_t os_id, size_t max,
			     struct clrsos_stack_mirror *m)
{
	m->base = NULL;
	m->size = 0;
	struct clrsos_regs regs;
	struct clrsos_error *err = clrsos_target_registers(target, os_id, &regs);
	if (err) {
		clrsos_error_destroy(err);
		return;
	}
	uint64_t start = regs.rsp & ~(uint64_t)(CLRSOS_PAGE_SIZE - 1);
	if (!start || start > UINT64_MAX - max)
		return;
	/* What the target has there first: the mirror is that long and no longer (a stack near the top of
	 * the address space leaves no room for more). */
	uint8_t *copy = malloc(max);
	if (!copy)
		return;
	size_t got = 0;
	err = clrsos_target_read_partial(target, start, copy, max, &got);
	if (err) {
		clrsos_error_destroy(err);
		got = 0;
	}
	got &= ~(size_t)(CLRSOS_PAGE_SIZE - 1);
	void *want = (void *)(uintptr_t)start;
	void *p = got ? mmap(want, got, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			     -1, 0)
		      : MAP_FAILED;
	if (p != MAP_FAILED && p != want) { /* a kernel without MAP_FIXED_NOREPLACE took it as a hint */
		munmap(p, got);
		p = MAP_FAILED;
	}
	if (p == MAP_FAILED) {
		free(copy);
		return;
	}
	memcpy(p, copy, got);
	free(copy);
	mprotect(p, got, PROT_READ);
	m->base = p;
	m->size = got;
}

void clrsos_stack_mirror_unmap(struct clrsos_stack_mirror *m)
{
	if (m->base)
		munmap(m->base, m->size);
	m->base = NULL;
	m->size = 0;
}
