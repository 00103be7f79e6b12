/*
 * glibc's native heap walker (core/analysis/glibcheap.h): any bytes as
 * main_arena's and mp_'s addresses and up to eight memory regions (format:
 * tests/unit/glibc_synth.h, glibc_synth_serialize), walked from there; then
 * the renderings' inputs are checked: the error is one line, a damaged
 * arena names its damage, the histogram adds up to the in-use total, every
 * arena's bytes add up to what its heaps hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/glibcheap.h"
#include "fake_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_REGIONS = 8, MAX_REGION = 1 << 22 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 16)
		return 0;
	struct clrsos_glibc_where where = {.version_major = 2, .version_minor = 36};
	memcpy(&where.main_arena, data, 8);
	memcpy(&where.mp, data + 8, 8);
	struct fake_target f;
	fake_target_init(&f);
	size_t pos = 16;
	for (int i = 0; i < MAX_REGIONS && pos + 12 <= size; i++) {
		uint64_t address;
		uint32_t n;
		memcpy(&address, data + pos, 8);
		memcpy(&n, data + pos + 8, 4);
		pos += 12;
		if (n > size - pos)
			n = (uint32_t)(size - pos);
		if (n > MAX_REGION || n == 0 || address > UINT64_MAX - n)
			break;
		fake_target_add_region(&f, address, data + pos, n);
		pos += n;
	}
	struct clrsos_target *t = fake_target_create(&f);
	struct clrsos_glibc_heap *h = NULL;
	struct clrsos_error *err = clrsos_glibc_heap_walk(t, &where, NULL, &h);
	if (err) {
		if (h || strchr(err->message, '\n'))
			abort();
		clrsos_error_destroy(err);
	} else {
		uint64_t sum = 0, in_use = 0;
		for (size_t i = 0; i < h->nhistogram; i++)
			sum += h->histogram[i].bytes;
		for (size_t i = 0; i < h->narenas; i++) {
			const struct clrsos_glibc_arena *a = &h->arenas[i];
			in_use += a->in_use_bytes;
			if (a->damage && !a->damage[0])
				abort();
			if (!a->damage) {
				uint64_t span = 0;
				for (size_t k = 0; k < a->nheaps; k++)
					span += a->heaps[k].end - a->heaps[k].start;
				if (a->in_use_bytes + a->free_bytes + a->overhead_bytes != span)
					abort();
			}
		}
		if (sum != h->in_use_bytes || in_use != h->in_use_bytes)
			abort();
		struct clrsos_error *d = clrsos_glibc_heap_damage_error(h);
		if ((d != NULL) != (h->damaged != NULL) || (d && strchr(d->message, '\n')))
			abort();
		clrsos_error_destroy(d);
		clrsos_glibc_heap_free(h);
	}
	clrsos_target_destroy(t);
	fake_target_fini(&f);
	return 0;
}
