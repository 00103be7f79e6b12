#include "target/vmregions.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/vector.h"

struct list {
	struct clrsos_vm_region *items;
	size_t count, cap;
};

static struct clrsos_error *push(struct list *l, const struct clrsos_vm_region *r)
{
	struct clrsos_error *err = clrsos_array_reserve(&l->items, &l->cap, l->count + 1);
	if (err)
		return err;
	l->items[l->count++] = *r;
	return NULL;
}

static struct clrsos_error *fail(struct list *l, struct clrsos_error *err)
{
	clrsos_vm_regions_free(l->items, l->count);
	return err;
}

/* "start-end perms offset dev inode [path]": a mapping's header line. */
static bool parse_header(char *line, struct clrsos_vm_region *r, struct clrsos_error **err)
{
	*err = NULL;
	char perms[8];
	unsigned long long start, end, offset;
	int path_at = 0;
	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &offset, &path_at) != 4 ||
	    path_at <= 0 || strlen(perms) != 4 || end <= start)
		return false;
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->end = end;
	r->offset = offset;
	r->prot = (perms[0] == 'r' ? CLRSOS_VM_READ : 0u) | (perms[1] == 'w' ? CLRSOS_VM_WRITE : 0u) |
		  (perms[2] == 'x' ? CLRSOS_VM_EXEC : 0u);
	r->shared = perms[3] == 's';
	r->resident = CLRSOS_VM_UNKNOWN;
	r->in_core = CLRSOS_VM_UNKNOWN;
	char *path = line + path_at;
	size_t len = strlen(path);
	while (len && (path[len - 1] == '\n' || path[len - 1] == ' '))
		path[--len] = 0;
	if (len) {
		r->path = strdup(path);
		if (!r->path)
			*err = &clrsos_error_no_memory;
	}
	return true;
}

struct clrsos_error *clrsos_vm_regions_parse_smaps(FILE *f, struct clrsos_vm_region **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	struct list l = {0};
	char *line = NULL;
	size_t cap = 0;
	struct clrsos_error *err = NULL;
	while (getline(&line, &cap, f) > 0) {
		struct clrsos_vm_region r;
		if (parse_header(line, &r, &err)) {
			if (err || (err = push(&l, &r))) {
				free(r.path);
				break;
			}
			continue;
		}
		unsigned long long kb;
		if (l.count && sscanf(line, "Rss: %llu kB", &kb) == 1)
			l.items[l.count - 1].resident = (uint64_t)kb * 1024;
	}
	free(line);
	if (err)
		return fail(&l, err);
	*ret = l.items;
	*ret_count = l.count;
	return NULL;
}

struct clrsos_error *clrsos_vm_regions_proc(uint64_t pid, struct clrsos_vm_region **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/smaps", pid);
	int fd;
	struct clrsos_error *err = clrsos_file_open_read(path, &fd);
	if (err)
		return err;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return &clrsos_error_no_memory;
	}
	err = clrsos_vm_regions_parse_smaps(f, ret, ret_count);
	fclose(f);
	if (!err && *ret_count == 0)
		err = clrsos_error_create(CLRSOS_ERROR_IO, "%s lists no mappings (has the process exited?)", path);
	return err;
}

/* The NT_FILE mapping holding address, or NULL. */
static const struct clrsos_core_file *file_at(const struct clrsos_elf_core *c, uint64_t address)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		if (address >= c->files[i].start && address < c->files[i].end)
			return &c->files[i];
	}
	return NULL;
}

/* The bytes the core file holds of [start, end). */
static uint64_t held(const struct clrsos_elf_core *c, uint64_t start, uint64_t end)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < c->nloads; i++) {
		const struct clrsos_elf_load *l = &c->loads[i];
		uint64_t s = l->vaddr > start ? l->vaddr : start;
		uint64_t e = l->vaddr + l->filesz < end ? l->vaddr + l->filesz : end;
		if (e > s)
			sum += e - s;
	}
	return sum;
}

static int by_start(const void *a, const void *b)
{
	const struct clrsos_vm_region *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static bool covered(const struct clrsos_elf_core *c, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < c->nregions; i++) {
		if (c->regions[i].start < end && c->regions[i].end > start)
			return true;
	}
	return false;
}

/* A core's region flags become prot as they are. */
_Static_assert((int)CLRSOS_REGION_READ == CLRSOS_VM_READ && (int)CLRSOS_REGION_WRITE == CLRSOS_VM_WRITE &&
		       (int)CLRSOS_REGION_EXEC == CLRSOS_VM_EXEC,
	       "CLRSOS_REGION_* and CLRSOS_VM_* differ");

struct clrsos_error *clrsos_vm_regions_core(const struct clrsos_elf_core *c, struct clrsos_vm_region **ret,
					    size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	struct list l = {0};
	struct clrsos_error *err = NULL;
	/* A core writer may merge neighbouring mappings of the same access into
	 * one PT_LOAD: cut it where the NT_FILE note's mappings start or end,
	 * and where a thread's stack mapping ends (the page after its thread
	 * pointer: glibc puts struct pthread at the top of the mapping). */
	for (size_t i = 0; i < c->nregions && !err; i++) {
		const struct clrsos_region *cr = &c->regions[i];
		for (uint64_t at = cr->start; at < cr->end && !err;) {
			uint64_t next = cr->end;
			for (size_t k = 0; k < c->nthreads; k++) {
				const struct clrsos_core_thread *t = &c->threads[k];
				uint64_t top = (t->fs_base | (CLRSOS_PAGE_SIZE - 1)) + 1;
				if (t->fs_base && t->sp >= at && t->sp < t->fs_base && t->fs_base < cr->end && top > at &&
				    top < next)
					next = top;
			}
			for (size_t k = 0; k < c->nfiles; k++) {
				const struct clrsos_core_file *f = &c->files[k];
				if (f->start > at && f->start < next)
					next = f->start;
				if (f->end > at && f->end < next)
					next = f->end;
			}
			struct clrsos_vm_region r = {
				.start = at, .end = next, .prot = cr->flags,
				.resident = CLRSOS_VM_UNKNOWN, .in_core = held(c, at, next)};
			const struct clrsos_core_file *f = file_at(c, at);
			if (f) {
				r.offset = f->offset + (at - f->start);
				if (!(r.path = strdup(f->path)))
					err = &clrsos_error_no_memory;
			}
			if (!err && (err = push(&l, &r)))
				free(r.path);
			at = next;
		}
	}
	for (size_t i = 0; i < c->nfiles && !err; i++) {
		const struct clrsos_core_file *f = &c->files[i];
		if (f->end <= f->start || covered(c, f->start, f->end))
			continue;
		struct clrsos_vm_region r = {
			.start = f->start, .end = f->end, .prot = CLRSOS_VM_PROT_UNKNOWN, .offset = f->offset,
			.resident = CLRSOS_VM_UNKNOWN, .in_core = 0, .path = strdup(f->path)};
		if (!r.path)
			err = &clrsos_error_no_memory;
		else if ((err = push(&l, &r)))
			free(r.path);
	}
	if (err)
		return fail(&l, err);
	if (l.count)
		qsort(l.items, l.count, sizeof(*l.items), by_start);
	*ret = l.items;
	*ret_count = l.count;
	return NULL;
}
