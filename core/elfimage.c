#include "elfimage.h"
#include "fileio.h"

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
	if (c)
		c->loads = malloc((size_t)count * sizeof(*c->loads));
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
	/* Only what the file holds whole: a truncated core's last segments are left to the debugger. */
	for (uint64_t i = 0; i < count; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_filesz > 0 && ph[i].p_offset <= size &&
		    ph[i].p_filesz <= size - ph[i].p_offset && ph[i].p_vaddr <= UINT64_MAX - ph[i].p_filesz)
			c->loads[c->nloads++] = (struct clrsos_elf_load){
				ph[i].p_vaddr, ph[i].p_memsz, ph[i].p_offset, ph[i].p_filesz,
				(ph[i].p_flags & PF_W) != 0};
	free(ph);
	void *m = c->nloads ? mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (m == MAP_FAILED) {
		clrsos_elf_core_close(c);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot map the core file");
	}
	c->map = m;
	c->size = (size_t)size;
	qsort(c->loads, c->nloads, sizeof(*c->loads), by_vaddr);
	*ret = c;
	return NULL;
}

void clrsos_elf_core_close(struct clrsos_elf_core *c)
{
	if (!c)
		return;
	if (c->map)
		munmap((void *)c->map, c->size);
	free(c->loads);
	free(c);
}

const uint8_t *clrsos_elf_core_at(const struct clrsos_elf_core *c, uint64_t address, size_t size,
				  size_t *len)
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
	if (lo == 0)
		return NULL;
	const struct clrsos_elf_load *l = &c->loads[lo - 1];
	if (address - l->vaddr >= l->filesz)
		return NULL;
	uint64_t left = l->filesz - (address - l->vaddr);
	*len = left < size ? (size_t)left : size;
	return c->map + l->offset + (address - l->vaddr);
}
