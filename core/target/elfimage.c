#include "target/elfimage.h"
#include "base/fileio.h"
#include "base/vector.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Notes and program headers are small; a bound keeps a hostile image cheap. */
enum { MAX_PHDRS = 256, MAX_NOTE_BYTES = 64 * 1024 };

static void find_build_id(const uint8_t *notes, size_t size,
			  struct clrsos_elf_info *ret)
{
	size_t pos = 0;
	while (pos + sizeof(Elf64_Nhdr) <= size) {
		Elf64_Nhdr nh;
		memcpy(&nh, notes + pos, sizeof(nh));
		pos += sizeof(nh);
		size_t name_len = ((size_t)nh.n_namesz + 3) & ~(size_t)3;
		size_t desc_len = ((size_t)nh.n_descsz + 3) & ~(size_t)3;
		if (name_len > size - pos || desc_len > size - pos - name_len)
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(notes + pos, "GNU", 4) == 0 && nh.n_descsz > 0 &&
		    nh.n_descsz <= CLRSOS_BUILD_ID_MAX) {
			memcpy(ret->build_id, notes + pos + name_len,
			       nh.n_descsz);
			ret->build_id_len = nh.n_descsz;
			return;
		}
		pos += name_len + desc_len;
	}
}

/* A 64-bit little-endian ELF header with program headers we can read. */
static bool elf64_le(const Elf64_Ehdr *eh)
{
	return memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh->e_ident[EI_DATA] == ELFDATA2LSB && eh->e_phentsize == sizeof(Elf64_Phdr);
}

struct clrsos_error *clrsos_elf_parse(clrsos_elf_read_fn *read, void *ctx,
				      bool in_memory,
				      struct clrsos_elf_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	Elf64_Ehdr eh;
	if (!read(ctx, 0, &eh, sizeof(eh)))
		return clrsos_error_create(CLRSOS_ERROR_IO,
					   "cannot read the ELF header");
	if (!elf64_le(&eh) || eh.e_phnum > MAX_PHDRS)
		return clrsos_error_create(CLRSOS_ERROR_IO,
					   "not a 64-bit little-endian ELF image");
	Elf64_Phdr ph[MAX_PHDRS];
	if (!read(ctx, eh.e_phoff, ph, (size_t)eh.e_phnum * sizeof(ph[0])))
		return clrsos_error_create(CLRSOS_ERROR_IO,
					   "cannot read the ELF program headers");
	/* In memory, offsets are from the lowest loaded page (the header). */
	uint64_t first_vaddr = UINT64_MAX;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first_vaddr)
			first_vaddr = ph[i].p_vaddr & ~(uint64_t)(CLRSOS_PAGE_SIZE - 1);
	}
	if (first_vaddr == UINT64_MAX)
		first_vaddr = 0;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD &&
		    ret->nloads < CLRSOS_ELF_MAX_LOADS) {
			struct clrsos_elf_load *l = &ret->loads[ret->nloads++];
			l->vaddr = ph[i].p_vaddr - first_vaddr;
			l->memsz = ph[i].p_memsz;
			l->offset = ph[i].p_offset;
			l->filesz = ph[i].p_filesz;
			l->writable = (ph[i].p_flags & PF_W) != 0;
		}
	}
	for (size_t i = 0; i < eh.e_phnum && ret->build_id_len == 0; i++) {
		if (ph[i].p_type != PT_NOTE || ph[i].p_filesz == 0 ||
		    ph[i].p_filesz > MAX_NOTE_BYTES)
			continue;
		uint8_t notes[MAX_NOTE_BYTES];
		uint64_t pos = in_memory ? ph[i].p_vaddr - first_vaddr
					 : ph[i].p_offset;
		if (read(ctx, pos, notes, ph[i].p_filesz))
			find_build_id(notes, ph[i].p_filesz, ret);
	}
	return NULL;
}

static bool file_read(void *ctx, uint64_t pos, void *buf, size_t size)
{
	int fd = *(int *)ctx;
	size_t done = 0;
	while (done < size) {
		ssize_t n = pread(fd, (char *)buf + done, size - done,
				  (off_t)(pos + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

struct clrsos_error *clrsos_elf_parse_file(const char *path,
					   struct clrsos_elf_info *ret)
{
	int fd;
	struct clrsos_error *err = clrsos_file_open_read(path, &fd);
	if (err)
		return err;
	err = clrsos_elf_parse_fd(fd, ret);
	close(fd);
	return clrsos_error_wrap(err, "%s", path);
}

struct clrsos_error *clrsos_elf_parse_fd(int fd, struct clrsos_elf_info *ret)
{
	return clrsos_elf_parse(file_read, &fd, false, ret);
}

static int by_vaddr(const void *a, const void *b)
{
	const struct clrsos_elf_load *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int by_start(const void *a, const void *b)
{
	const struct clrsos_region *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* x86-64 Linux struct elf_prstatus: where the thread id and registers are. */
enum {
	PRSTATUS_PID = 32,
	PRSTATUS_REGS = 112,
	PRSTATUS_RIP = PRSTATUS_REGS + 16 * 8,
	PRSTATUS_RSP = PRSTATUS_REGS + 19 * 8,
	PRSTATUS_FS_BASE = PRSTATUS_REGS + 21 * 8,
	PRSTATUS_MIN = PRSTATUS_REGS + 27 * 8,
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* NT_FILE: count, page size, count x {start, end, page offset}, then count paths. */
static struct clrsos_error *read_files(struct clrsos_elf_core *c, const uint8_t *desc, size_t size)
{
	if (size < 16 || c->files)
		return NULL;
	uint64_t count = le64(desc), page = le64(desc + 8);
	if (count == 0 || count > (size - 16) / 24)
		return NULL;
	c->files = calloc((size_t)count, sizeof(*c->files));
	if (!c->files)
		return &clrsos_error_no_memory;
	const char *name = (const char *)desc + 16 + count * 24, *end = (const char *)desc + size;
	for (uint64_t i = 0; i < count && name < end; i++) {
		const char *nul = memchr(name, 0, (size_t)(end - name));
		if (!nul)
			break;
		const uint8_t *e = desc + 16 + i * 24;
		uint64_t pages = le64(e + 16);
		c->files[c->nfiles++] = (struct clrsos_core_file){
			le64(e), le64(e + 8), page && pages <= UINT64_MAX / page ? pages * page : 0, name};
		name = nul + 1;
	}
	return NULL;
}

/* The NT_PRSTATUS notes of the core's PT_NOTE segments, in file order (and its NT_FILE note). */
static struct clrsos_error *read_threads(struct clrsos_elf_core *c, const Elf64_Phdr *ph,
					 uint64_t count)
{
	size_t cap = 0;
	for (uint64_t i = 0; i < count; i++) {
		if (ph[i].p_type != PT_NOTE || ph[i].p_offset > c->size ||
		    ph[i].p_filesz > c->size - ph[i].p_offset)
			continue;
		const uint8_t *notes = c->map + ph[i].p_offset;
		size_t size = (size_t)ph[i].p_filesz, pos = 0;
		while (size - pos >= sizeof(Elf64_Nhdr)) {
			Elf64_Nhdr nh;
			memcpy(&nh, notes + pos, sizeof(nh));
			pos += sizeof(nh);
			size_t name_len = ((size_t)nh.n_namesz + 3) & ~(size_t)3;
			size_t desc_len = ((size_t)nh.n_descsz + 3) & ~(size_t)3;
			if (nh.n_namesz > size || nh.n_descsz > size || name_len > size - pos ||
			    desc_len > size - pos - name_len)
				break;
			const uint8_t *desc = notes + pos + name_len;
			pos += name_len + desc_len;
			if (nh.n_type == NT_FILE) {
				struct clrsos_error *err = read_files(c, desc, nh.n_descsz);
				if (err)
					return err;
				continue;
			}
			if (nh.n_type != NT_PRSTATUS || nh.n_descsz < PRSTATUS_MIN)
				continue;
			struct clrsos_error *err = clrsos_array_reserve(&c->threads, &cap, c->nthreads + 1);
			if (err)
				return err;
			uint32_t tid;
			memcpy(&tid, desc + PRSTATUS_PID, sizeof(tid));
			c->threads[c->nthreads++] = (struct clrsos_core_thread){
				tid, le64(desc + PRSTATUS_RIP), le64(desc + PRSTATUS_RSP), le64(desc + PRSTATUS_FS_BASE)};
		}
	}
	return NULL;
}

struct clrsos_error *clrsos_elf_core_open(int fd, struct clrsos_elf_core **ret)
{
	*ret = NULL;
	struct stat st;
	Elf64_Ehdr eh;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !file_read(&fd, 0, &eh, sizeof(eh)) ||
	    !elf64_le(&eh) || eh.e_type != ET_CORE || eh.e_machine != EM_X86_64)
		return clrsos_error_create(CLRSOS_ERROR_IO, "not an x86-64 ELF core file");
	uint64_t size = (uint64_t)st.st_size, count = eh.e_phnum;
	if (count == PN_XNUM) {
		/* More segments than the header's field holds: section 0 has the count. */
		Elf64_Shdr sh0;
		if (eh.e_shoff == 0 || !file_read(&fd, eh.e_shoff, &sh0, sizeof(sh0)))
			return clrsos_error_create(CLRSOS_ERROR_IO, "cannot read the core's segment count");
		count = sh0.sh_info;
	}
	if (eh.e_phoff > size || count > (size - eh.e_phoff) / sizeof(Elf64_Phdr) || count == 0)
		return clrsos_error_create(CLRSOS_ERROR_IO, "the core's program headers run past the file");
	Elf64_Phdr *ph = malloc((size_t)count * sizeof(*ph));
	struct clrsos_elf_core *c = calloc(1, sizeof(*c));
	if (c) {
		c->fd = -1;
		c->loads = malloc((size_t)count * sizeof(*c->loads));
	}
	if (!ph || !c || !c->loads) {
		free(ph);
		clrsos_elf_core_close(c);
		return &clrsos_error_no_memory;
	}
	if (!file_read(&fd, eh.e_phoff, ph, (size_t)count * sizeof(*ph))) {
		free(ph);
		clrsos_elf_core_close(c);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot read the core's program headers");
	}
	c->regions = malloc((size_t)count * sizeof(*c->regions));
	if (!c->regions) {
		free(ph);
		clrsos_elf_core_close(c);
		return &clrsos_error_no_memory;
	}
	/* Only what the file holds whole: a truncated core's last segments are left to the debugger. */
	for (uint64_t i = 0; i < count; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_memsz > 0 &&
		    ph[i].p_vaddr <= UINT64_MAX - ph[i].p_memsz)
			c->regions[c->nregions++] = (struct clrsos_region){
				ph[i].p_vaddr, ph[i].p_vaddr + ph[i].p_memsz,
				((ph[i].p_flags & PF_R) ? CLRSOS_REGION_READ : 0u) |
					((ph[i].p_flags & PF_W) ? CLRSOS_REGION_WRITE : 0u) |
					((ph[i].p_flags & PF_X) ? CLRSOS_REGION_EXEC : 0u)};
		if (ph[i].p_type == PT_LOAD && ph[i].p_filesz > 0 && ph[i].p_offset <= size &&
		    ph[i].p_filesz <= size - ph[i].p_offset && ph[i].p_vaddr <= UINT64_MAX - ph[i].p_filesz)
			c->loads[c->nloads++] = (struct clrsos_elf_load){
				ph[i].p_vaddr, ph[i].p_memsz, ph[i].p_offset, ph[i].p_filesz,
				(ph[i].p_flags & PF_W) != 0};
	}
	void *m = c->nloads ? mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (m == MAP_FAILED) {
		free(ph);
		clrsos_elf_core_close(c);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot map the core file");
	}
	c->map = m;
	c->size = (size_t)size;
	/* Its own descriptor, for clrsos_elf_core_copy (none: that copies nothing). */
	c->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	struct clrsos_error *err = read_threads(c, ph, count);
	free(ph);
	if (err) {
		clrsos_elf_core_close(c);
		return err;
	}
	qsort(c->loads, c->nloads, sizeof(*c->loads), by_vaddr);
	qsort(c->regions, c->nregions, sizeof(*c->regions), by_start);
	*ret = c;
	return NULL;
}

void clrsos_elf_core_close(struct clrsos_elf_core *c)
{
	if (!c)
		return;
	if (c->map)
		munmap((void *)c->map, c->size);
	if (c->fd >= 0)
		close(c->fd);
	free(c->loads);
	free(c->regions);
	free(c->threads);
	free(c->files);
	free(c);
}

/* The load segment that holds the file's bytes at address, or NULL. */
static const struct clrsos_elf_load *load_at(const struct clrsos_elf_core *c, uint64_t address)
{
	/* The last segment starting at or below address. */
	size_t lo = 0, hi = c->nloads;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->loads[mid].vaddr <= address)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || address - c->loads[lo - 1].vaddr >= c->loads[lo - 1].filesz)
		return NULL;
	return &c->loads[lo - 1];
}

size_t clrsos_elf_core_copy(const struct clrsos_elf_core *c, uint64_t address, void *buf, size_t size)
{
	const struct clrsos_elf_load *l = c->fd >= 0 ? load_at(c, address) : NULL;
	if (!l)
		return 0;
	uint64_t left = l->filesz - (address - l->vaddr);
	size_t want = left < size ? (size_t)left : size, done = 0;
	off_t at = (off_t)(l->offset + (address - l->vaddr));
	while (done < want) {
		ssize_t n = pread(c->fd, (uint8_t *)buf + done, want - done, at + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

const uint8_t *clrsos_elf_core_at(const struct clrsos_elf_core *c, uint64_t address, size_t size,
				  size_t *len)
{
	const struct clrsos_elf_load *l = load_at(c, address);
	if (!l)
		return NULL;
	uint64_t left = l->filesz - (address - l->vaddr);
	*len = left < size ? (size_t)left : size;
	return c->map + l->offset + (address - l->vaddr);
}

bool clrsos_elf_core_fits(const struct clrsos_elf_core *c, const struct clrsos_core_view *v)
{
	if (c->nregions != v->nregions || c->nthreads != v->nthreads || c->nthreads == 0)
		return false;
	for (size_t i = 0; i < c->nregions; i++) {
		if (c->regions[i].start != v->regions[i].start ||
		    c->regions[i].end != v->regions[i].end ||
		    c->regions[i].flags != v->regions[i].flags)
			return false;
	}
	/* Each thread of the view is one of the core's, none twice (same counts). */
	for (size_t i = 0; i < v->nthreads; i++) {
		const struct clrsos_core_thread *want = &v->threads[i];
		bool found = false;
		for (size_t j = 0; j < c->nthreads && !found; j++) {
			const struct clrsos_core_thread *have = &c->threads[j];
			if (have->tid != want->tid)
				continue;
			for (size_t k = 0; k < i; k++) {
				if (v->threads[k].tid == want->tid)
					return false;
			}
			if ((want->pc && want->pc != have->pc) || (want->sp && want->sp != have->sp))
				return false;
			found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

/* The first address at which a has a byte that b lacks or holds otherwise. */
static bool differs_at(const struct clrsos_elf_core *a, const struct clrsos_elf_core *b,
		       uint64_t *ret)
{
	enum { STEP = 1 << 16 };
	for (size_t i = 0; i < a->nloads; i++) {
		const struct clrsos_elf_load *l = &a->loads[i];
		for (uint64_t done = 0; done < l->filesz;) {
			uint64_t left = l->filesz - done;
			size_t want = left < STEP ? (size_t)left : STEP, len = 0;
			const uint8_t *pa = a->map + l->offset + done;
			const uint8_t *pb = clrsos_elf_core_at(b, l->vaddr + done, want, &len);
			if (!pb || len == 0) {
				*ret = l->vaddr + done;
				return true;
			}
			if (memcmp(pa, pb, len) != 0) {
				size_t k = 0;
				while (pa[k] == pb[k])
					k++;
				*ret = l->vaddr + done + k;
				return true;
			}
			done += len;
		}
	}
	return false;
}

enum { PROBE = 64 };

/* Whether the debugger reads at address what core holds there. */
static bool agrees(const struct clrsos_elf_core *core, uint64_t address,
		   const uint8_t *theirs, size_t n)
{
	size_t len = 0;
	const uint8_t *mine = clrsos_elf_core_at(core, address, n, &len);
	return mine && len > 0 && memcmp(mine, theirs, len < n ? len : n) == 0;
}

long clrsos_elf_core_choose(const struct clrsos_elf_core *const *cores, size_t n,
			    clrsos_core_read_fn *read, void *ctx)
{
	if (n == 0)
		return -1;
	bool *alive = calloc(n, sizeof(*alive));
	if (!alive)
		return -1;
	for (size_t i = 0; i < n; i++)
		alive[i] = true;
	long chosen = -1;
	for (;;) {
		size_t a = n, b = n;
		for (size_t i = 0; i < n; i++) {
			if (!alive[i])
				continue;
			if (a == n)
				a = i;
			else if (b == n)
				b = i;
		}
		if (a == n)
			goto out; /* none had the debugger's bytes */
		if (b == n) {
			chosen = (long)a;
			break;
		}
		uint64_t at;
		if (!differs_at(cores[a], cores[b], &at) && !differs_at(cores[b], cores[a], &at)) {
			alive[b] = false; /* the same bytes everywhere: either serves */
			continue;
		}
		uint8_t theirs[PROBE];
		size_t got = read(ctx, at, theirs, sizeof(theirs));
		if (got == 0 || got > sizeof(theirs))
			goto out; /* the debugger cannot say: unsure */
		size_t dropped = 0;
		for (size_t i = 0; i < n; i++) {
			if (alive[i] && !agrees(cores[i], at, theirs, got)) {
				alive[i] = false;
				dropped++;
			}
		}
		/* Both agree where they were found to differ (overlapping
		 * segments can make a core differ from itself): unsure. */
		if (!dropped)
			goto out;
	}
	/* The one left: its bytes are the debugger's where it was checked. */
	const struct clrsos_elf_core *c = cores[chosen];
	if (c->nloads == 0) {
		chosen = -1;
		goto out;
	}
	size_t probes[] = {0, c->nloads / 2, c->nloads - 1};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct clrsos_elf_load *l = &c->loads[probes[i]];
		uint8_t theirs[PROBE];
		size_t want = l->filesz < PROBE ? (size_t)l->filesz : PROBE;
		if (read(ctx, l->vaddr, theirs, want) != want || !agrees(c, l->vaddr, theirs, want)) {
			chosen = -1;
			break;
		}
	}
out:
	free(alive);
	return chosen;
}
