#include "target/pe.h"
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	MAX_SECTIONS = 96,
	CLI_HEADER_DIRECTORY = 14,
	PE32_MAGIC = 0x10b,
	PE32PLUS_MAGIC = 0x20b,
};

struct section {
	uint32_t va, vsize, raw, rawsize;
};

struct clrsos_pe_image {
	int fd;
	uint64_t file_size;
	uint32_t timestamp, size_of_image, size_of_headers;
	uint32_t md_rva, md_offset, md_size;
	size_t nsections;
	struct section sections[MAX_SECTIONS];
};

static uint16_t u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static bool read_at(int fd, uint64_t pos, void *buf, size_t size)
{
	return pread(fd, buf, size, (off_t)pos) == (ssize_t)size;
}

static bool rva_to_offset(const struct clrsos_pe_image *img, uint32_t rva, uint32_t *ret)
{
	for (size_t i = 0; i < img->nsections; i++) {
		const struct section *s = &img->sections[i];
		uint32_t span = s->vsize > s->rawsize ? s->vsize : s->rawsize;
		if (rva >= s->va && rva - s->va < span) {
			*ret = s->raw + (rva - s->va);
			return true;
		}
	}
	if (rva < img->size_of_headers) {
		*ret = rva;
		return true;
	}
	return false;
}

static struct clrsos_error *bad(const char *path, const char *what)
{
	return clrsos_error_create(CLRSOS_ERROR_IO, "%s: %s", path, what);
}

struct clrsos_error *clrsos_pe_open(const char *path, struct clrsos_pe_image **ret)
{
	struct clrsos_pe_image *img = calloc(1, sizeof(*img));
	if (!img)
		return &clrsos_error_no_memory;
	struct clrsos_error *err = clrsos_file_open_read(path, &img->fd);
	if (err) {
		free(img);
		return err;
	}
	struct stat st;
	uint8_t dos[64], nt[24], opt[240], table[MAX_SECTIONS * 40], cli[16];
	if (fstat(img->fd, &st) != 0 || !read_at(img->fd, 0, dos, sizeof(dos)) ||
	    dos[0] != 'M' || dos[1] != 'Z') {
		err = bad(path, "not a PE file");
		goto out;
	}
	img->file_size = (uint64_t)st.st_size;
	uint32_t nt_pos = u32(dos + 0x3c);
	if (!read_at(img->fd, nt_pos, nt, sizeof(nt)) || memcmp(nt, "PE\0\0", 4) != 0) {
		err = bad(path, "not a PE file");
		goto out;
	}
	uint16_t nsections = u16(nt + 4 + 2);
	uint16_t opt_size = u16(nt + 4 + 16);
	img->timestamp = u32(nt + 4 + 4);
	if (opt_size > sizeof(opt) || opt_size < 96 || nsections > MAX_SECTIONS ||
	    !read_at(img->fd, nt_pos + 24, opt, opt_size)) {
		err = bad(path, "bad PE optional header");
		goto out;
	}
	uint16_t magic = u16(opt);
	size_t dirs = magic == PE32PLUS_MAGIC ? 112 : magic == PE32_MAGIC ? 96 : 0;
	if (!dirs || dirs + (CLI_HEADER_DIRECTORY + 1) * 8 > opt_size) {
		err = bad(path, "not a managed PE image");
		goto out;
	}
	img->size_of_image = u32(opt + 56);
	img->size_of_headers = u32(opt + 60);
	if (!read_at(img->fd, nt_pos + 24 + opt_size, table, (size_t)nsections * 40)) {
		err = bad(path, "cannot read the PE section table");
		goto out;
	}
	img->nsections = nsections;
	for (size_t i = 0; i < nsections; i++) {
		const uint8_t *s = table + i * 40;
		img->sections[i] = (struct section){u32(s + 12), u32(s + 8), u32(s + 20), u32(s + 16)};
	}
	uint32_t cli_rva = u32(opt + dirs + CLI_HEADER_DIRECTORY * 8), cli_pos;
	if (!cli_rva || !rva_to_offset(img, cli_rva, &cli_pos) ||
	    !read_at(img->fd, cli_pos, cli, sizeof(cli))) {
		err = bad(path, "has no CLI header");
		goto out;
	}
	img->md_rva = u32(cli + 8);
	img->md_size = u32(cli + 12);
	if (!rva_to_offset(img, img->md_rva, &img->md_offset)) {
		err = bad(path, "metadata outside every section");
		goto out;
	}
out:
	if (err) {
		clrsos_pe_close(img);
		return err;
	}
	*ret = img;
	return NULL;
}

void clrsos_pe_close(struct clrsos_pe_image *img)
{
	if (!img)
		return;
	if (img->fd >= 0)
		close(img->fd);
	free(img);
}

uint32_t clrsos_pe_timestamp(const struct clrsos_pe_image *img) { return img->timestamp; }
uint32_t clrsos_pe_size_of_image(const struct clrsos_pe_image *img) { return img->size_of_image; }
uint64_t clrsos_pe_file_size(const struct clrsos_pe_image *img) { return img->file_size; }
uint32_t clrsos_pe_metadata_rva(const struct clrsos_pe_image *img) { return img->md_rva; }
uint32_t clrsos_pe_metadata_offset(const struct clrsos_pe_image *img) { return img->md_offset; }
uint32_t clrsos_pe_metadata_size(const struct clrsos_pe_image *img) { return img->md_size; }

static size_t read_file(struct clrsos_pe_image *img, uint64_t pos, void *buf, size_t size)
{
	if (pos >= img->file_size)
		return 0;
	if (size > img->file_size - pos)
		size = (size_t)(img->file_size - pos);
	ssize_t n = pread(img->fd, buf, size, (off_t)pos);
	return n > 0 ? (size_t)n : 0;
}

size_t clrsos_pe_read(struct clrsos_pe_image *img, bool mapped, uint64_t pos,
		      void *buf, size_t size)
{
	if (!mapped)
		return read_file(img, pos, buf, size);
	size_t done = 0;
	while (done < size) {
		uint64_t rva = pos + done;
		if (rva >= img->size_of_image)
			break;
		/* Which part of the image holds rva, and how much of it follows. */
		uint64_t file_pos = 0, avail = 0, zeros = 0;
		if (rva < img->size_of_headers) {
			file_pos = rva;
			avail = img->size_of_headers - rva;
		} else {
			bool found = false;
			for (size_t i = 0; i < img->nsections && !found; i++) {
				const struct section *s = &img->sections[i];
				if (rva < s->va || rva - s->va >= (s->vsize > s->rawsize ? s->vsize : s->rawsize))
					continue;
				found = true;
				uint64_t off = rva - s->va;
				if (off < s->rawsize) {
					file_pos = s->raw + off;
					avail = s->rawsize - off;
				} else {
					zeros = s->vsize - off;
				}
			}
			if (!found)
				break; /* between sections: not mapped */
		}
		size_t want = size - done;
		if (zeros) {
			size_t n = want < zeros ? want : (size_t)zeros;
			memset((uint8_t *)buf + done, 0, n);
			done += n;
			continue;
		}
		size_t n = want < avail ? want : (size_t)avail;
		size_t got = read_file(img, file_pos, (uint8_t *)buf + done, n);
		done += got;
		if (got < n)
			break;
	}
	return done;
}

struct clrsos_error *clrsos_pe_read_metadata(const char *path,
					     uint32_t timestamp,
					     uint32_t image_size, void *buf,
					     size_t size, size_t *ret)
{
	*ret = 0;
	struct clrsos_pe_image *img;
	struct clrsos_error *err = clrsos_pe_open(path, &img);
	if (err)
		return err;
	if (img->timestamp != timestamp || img->size_of_image != image_size) {
		clrsos_pe_close(img);
		return bad(path, "is not the image the target loaded (timestamp or size differs)");
	}
	size_t want = size < img->md_size ? size : img->md_size;
	if (read_file(img, img->md_offset, buf, want) != want) {
		clrsos_pe_close(img);
		return bad(path, "cannot read the metadata");
	}
	*ret = img->md_size;
	clrsos_pe_close(img);
	return NULL;
}

bool clrsos_pe_read_fd(void *ctx, uint64_t pos, void *buf, size_t size)
{
	return read_at(*(const int *)ctx, pos, buf, size);
}

enum {
	DEBUG_DIRECTORY = 6,
	DEBUG_ENTRY_SIZE = 28,
	MAX_DEBUG_ENTRIES = 64,
	DEBUG_TYPE_CODEVIEW = 2,
	DEBUG_TYPE_EMBEDDED_PDB = 17,
};

struct clrsos_error *clrsos_pe_debug_read(clrsos_pe_read_fn *read, void *ctx, bool mapped,
					  struct clrsos_pe_debug *ret)
{
	memset(ret, 0, sizeof(*ret));
	uint8_t dos[64], nt[24], opt[240];
	if (!read(ctx, 0, dos, sizeof(dos)) || dos[0] != 'M' || dos[1] != 'Z')
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "not a PE image");
	uint32_t nt_pos = u32(dos + 0x3c);
	if (!read(ctx, nt_pos, nt, sizeof(nt)) || memcmp(nt, "PE\0\0", 4) != 0)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "not a PE image");
	uint16_t nsections = u16(nt + 4 + 2), opt_size = u16(nt + 4 + 16);
	if (opt_size > sizeof(opt) || opt_size < 96 || nsections > MAX_SECTIONS ||
	    !read(ctx, nt_pos + 24, opt, opt_size))
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "bad PE optional header");
	uint16_t magic = u16(opt);
	size_t dirs = magic == PE32PLUS_MAGIC ? 112 : magic == PE32_MAGIC ? 96 : 0;
	if (!dirs || dirs + (DEBUG_DIRECTORY + 1) * 8 > opt_size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "bad PE optional header");
	uint32_t dir_rva = u32(opt + dirs + DEBUG_DIRECTORY * 8), dir_size = u32(opt + dirs + DEBUG_DIRECTORY * 8 + 4);
	if (!dir_rva || dir_size < DEBUG_ENTRY_SIZE)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the PE image has no debug directory");
	struct clrsos_pe_image img = {.fd = -1, .size_of_headers = u32(opt + 60), .nsections = nsections};
	uint8_t table[40];
	for (size_t i = 0; i < nsections; i++) {
		if (!read(ctx, nt_pos + 24 + opt_size + i * 40, table, sizeof(table)))
			return clrsos_error_create(CLRSOS_ERROR_OTHER, "cannot read the PE section table");
		img.sections[i] = (struct section){u32(table + 12), u32(table + 8), u32(table + 20), u32(table + 16)};
	}
	uint32_t dir_pos = dir_rva;
	if (!mapped && !rva_to_offset(&img, dir_rva, &dir_pos))
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the PE debug directory is outside every section");
	size_t n = dir_size / DEBUG_ENTRY_SIZE;
	if (n > MAX_DEBUG_ENTRIES)
		n = MAX_DEBUG_ENTRIES;
	for (size_t i = 0; i < n; i++) {
		uint8_t e[DEBUG_ENTRY_SIZE], cv[24];
		if (!read(ctx, dir_pos + i * DEBUG_ENTRY_SIZE, e, sizeof(e)))
			return clrsos_error_create(CLRSOS_ERROR_OTHER, "cannot read the PE debug directory");
		uint32_t type = u32(e + 12), size = u32(e + 16);
		uint64_t pos = mapped ? u32(e + 20) : u32(e + 24);
		if (type == DEBUG_TYPE_CODEVIEW && size >= sizeof(cv) && !ret->has_codeview &&
		    read(ctx, pos, cv, sizeof(cv)) && memcmp(cv, "RSDS", 4) == 0) {
			ret->has_codeview = true;
			memcpy(ret->guid, cv + 4, 16);
			ret->age = u32(cv + 20);
			ret->stamp = u32(e + 4);
		} else if (type == DEBUG_TYPE_EMBEDDED_PDB && !ret->has_embedded && size) {
			ret->has_embedded = true;
			ret->embedded_pos = pos;
			ret->embedded_size = size;
		}
	}
	return NULL;
}
