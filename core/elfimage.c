#include "elfimage.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

struct clrsos_error *clrsos_elf_parse(clrsos_elf_read_fn *read, void *ctx,
				      bool in_memory,
				      struct clrsos_elf_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	Elf64_Ehdr eh;
	if (!read(ctx, 0, &eh, sizeof(eh)))
		return clrsos_error_create(CLRSOS_ERROR_IO,
					   "cannot read the ELF header");
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > MAX_PHDRS)
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
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot open %s: %s",
					   path, strerror(errno));
	struct clrsos_error *err = clrsos_elf_parse(file_read, &fd, false, ret);
	close(fd);
	return clrsos_error_wrap(err, "%s", path);
}
