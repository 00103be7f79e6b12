#include "pe.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

enum {
	MAX_SECTIONS = 96,
	CLI_HEADER_DIRECTORY = 14,
	PE32_MAGIC = 0x10b,
	PE32PLUS_MAGIC = 0x20b,
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

struct sections {
	uint8_t table[MAX_SECTIONS * 40];
	size_t count;
};

static bool rva_to_offset(const struct sections *s, uint32_t rva,
			  uint32_t *ret)
{
	for (size_t i = 0; i < s->count; i++) {
		const uint8_t *sec = s->table + i * 40;
		uint32_t vsize = u32(sec + 8), va = u32(sec + 12);
		uint32_t rawsize = u32(sec + 16), raw = u32(sec + 20);
		uint32_t span = vsize > rawsize ? vsize : rawsize;
		if (rva >= va && rva - va < span) {
			*ret = raw + (rva - va);
			return true;
		}
	}
	return false;
}

static struct clrsos_error *bad(const char *path, const char *what)
{
	return clrsos_error_create(CLRSOS_ERROR_IO, "%s: %s", path, what);
}

struct clrsos_error *clrsos_pe_read_metadata(const char *path,
					     uint32_t timestamp,
					     uint32_t image_size, void *buf,
					     size_t size, size_t *ret)
{
	*ret = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot open %s: %s",
					   path, strerror(errno));
	struct clrsos_error *err = NULL;
	uint8_t dos[64], nt[24], opt[240];
	struct sections secs;
	if (!read_at(fd, 0, dos, sizeof(dos)) || dos[0] != 'M' || dos[1] != 'Z') {
		err = bad(path, "not a PE file");
		goto out;
	}
	uint32_t nt_pos = u32(dos + 0x3c);
	if (!read_at(fd, nt_pos, nt, sizeof(nt)) || memcmp(nt, "PE\0\0", 4) != 0) {
		err = bad(path, "not a PE file");
		goto out;
	}
	uint16_t nsections = u16(nt + 4 + 2);
	uint32_t file_timestamp = u32(nt + 4 + 4);
	uint16_t opt_size = u16(nt + 4 + 16);
	if (opt_size > sizeof(opt) || opt_size < 96 || nsections > MAX_SECTIONS ||
	    !read_at(fd, nt_pos + 24, opt, opt_size)) {
		err = bad(path, "bad PE optional header");
		goto out;
	}
	uint16_t magic = u16(opt);
	size_t dirs = magic == PE32PLUS_MAGIC ? 112 : magic == PE32_MAGIC ? 96 : 0;
	if (!dirs || dirs + (CLI_HEADER_DIRECTORY + 1) * 8 > opt_size) {
		err = bad(path, "not a managed PE image");
		goto out;
	}
	if (file_timestamp != timestamp || u32(opt + 56) != image_size) {
		err = bad(path, "is not the image the target loaded (timestamp or size differs)");
		goto out;
	}
	secs.count = nsections;
	if (!read_at(fd, nt_pos + 24 + opt_size, secs.table, nsections * 40)) {
		err = bad(path, "cannot read the PE section table");
		goto out;
	}
	uint32_t cli_rva = u32(opt + dirs + CLI_HEADER_DIRECTORY * 8), cli_pos;
	uint8_t cli[16];
	if (!cli_rva || !rva_to_offset(&secs, cli_rva, &cli_pos) ||
	    !read_at(fd, cli_pos, cli, sizeof(cli))) {
		err = bad(path, "has no CLI header");
		goto out;
	}
	uint32_t md_rva = u32(cli + 8), md_size = u32(cli + 12), md_pos;
	if (!rva_to_offset(&secs, md_rva, &md_pos)) {
		err = bad(path, "metadata outside every section");
		goto out;
	}
	size_t want = size < md_size ? size : md_size;
	if (!read_at(fd, md_pos, buf, want)) {
		err = bad(path, "cannot read the metadata");
		goto out;
	}
	*ret = md_size;
out:
	close(fd);
	return err;
}
