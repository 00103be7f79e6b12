/*
 * PE: managed assemblies' files on disk. A core that leaves out the
 * assemblies' mapped images (a kernel or gdb core: file-backed pages are
 * not saved) is completed from these files, laid out as the runtime mapped
 * them; and the DAC's metadata locator reads metadata from them.
 */
#ifndef CLRSOS_PE_H
#define CLRSOS_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_pe_image;

struct clrsos_error *clrsos_pe_open(const char *path, struct clrsos_pe_image **ret);
void clrsos_pe_close(struct clrsos_pe_image *image);

uint32_t clrsos_pe_timestamp(const struct clrsos_pe_image *image);
uint32_t clrsos_pe_size_of_image(const struct clrsos_pe_image *image);
uint64_t clrsos_pe_file_size(const struct clrsos_pe_image *image);
/* The metadata: where it is (as an RVA and in the file) and its size. */
uint32_t clrsos_pe_metadata_rva(const struct clrsos_pe_image *image);
uint32_t clrsos_pe_metadata_offset(const struct clrsos_pe_image *image);
uint32_t clrsos_pe_metadata_size(const struct clrsos_pe_image *image);

/*
 * Read the image as loaded: mapped (sections at their RVAs; pos is an RVA)
 * or flat (the file as it is; pos is a file offset). Returns bytes read;
 * bytes a mapped image has but the file does not (a section's zero tail)
 * read as zeros, as in the process.
 */
size_t clrsos_pe_read(struct clrsos_pe_image *image, bool mapped, uint64_t pos,
		      void *buf, size_t size);

/*
 * Copy up to size bytes of the metadata of the assembly at path into buf.
 * The file must have the given COFF timestamp and image size (the identity
 * the runtime recorded); *ret is the metadata's full size.
 */
struct clrsos_error *clrsos_pe_read_metadata(const char *path,
					     uint32_t timestamp,
					     uint32_t image_size, void *buf,
					     size_t size, size_t *ret);

/*
 * A PE image's debug directory, as a PDB is matched to it: its CodeView
 * entry (a portable PDB's id is the entry's GUID and TimeDateStamp) and an
 * embedded portable PDB (entry type 17: "MPDB", its size, then the PDB
 * deflated).
 */
struct clrsos_pe_debug {
	bool has_codeview;
	uint8_t guid[16];
	uint32_t age, stamp;
	bool has_embedded;
	uint64_t embedded_pos; /* where its data is, in the layout read */
	uint32_t embedded_size;
};

/* Reads size bytes at pos of an image (a file, or the target's memory); false if it cannot. */
typedef bool clrsos_pe_read_fn(void *ctx, uint64_t pos, void *buf, size_t size);

/*
 * The debug directory of the image read through read: mapped (pos is an
 * RVA, sections at their RVAs, as the loader lays them out) or flat (the
 * file's layout). Not a PE image, or no debug directory, is an error.
 */
struct clrsos_error *clrsos_pe_debug_read(clrsos_pe_read_fn *read, void *ctx, bool mapped,
					  struct clrsos_pe_debug *ret);

/* clrsos_pe_read_fn over a file descriptor (ctx points to the int). */
bool clrsos_pe_read_fd(void *ctx, uint64_t pos, void *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
