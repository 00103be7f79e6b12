/*
 * PE: read a managed assembly's metadata from its file on disk, for the DAC
 * when a core lacks the mapped image (ICLRMetadataLocator).
 */
#ifndef CLRSOS_PE_H
#define CLRSOS_PE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Copy up to size bytes of the metadata of the assembly at path into buf.
 * The file must have the given COFF timestamp and image size (the identity
 * the runtime recorded); *ret is the metadata's full size.
 */
struct clrsos_error *clrsos_pe_read_metadata(const char *path,
					     uint32_t timestamp,
					     uint32_t image_size, void *buf,
					     size_t size, size_t *ret);

#ifdef __cplusplus
}
#endif

#endif
