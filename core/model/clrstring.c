#include "model/clrstring.h"

#include "base/utf.h"

#include <stdio.h>
#include <string.h>

enum { CHUNK_UNITS = 1 << 19 }; /* 1 MB of UTF-16 read at once */

void clrsos_utf16_decoder_init(struct clrsos_utf16_decoder *d, enum clrsos_text_mode mode)
{
	memset(d, 0, sizeof(*d));
	d->mode = mode;
}

/* One code point (or lone surrogate) in the decoder's mode. */
static size_t emit(const struct clrsos_utf16_decoder *d, uint32_t c, bool lone, char *out)
{
	if (d->mode == CLRSOS_TEXT_RAW)
		return clrsos_utf8_encode(c, out);
	bool json = d->mode == CLRSOS_TEXT_JSON;
	if (lone)
		return (size_t)sprintf(out, json ? "\\u%04x" : "\\u%04X", c);
	switch (c) {
	case '\n': return (size_t)sprintf(out, "\\n");
	case '\t': return (size_t)sprintf(out, "\\t");
	case '\r': return (size_t)sprintf(out, "\\r");
	}
	if (json) {
		if (c == '"' || c == '\\')
			return (size_t)sprintf(out, "\\%c", (char)c);
		return c < 0x20 ? (size_t)sprintf(out, "\\u%04x", c) : clrsos_utf8_encode(c, out);
	}
	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
		if (d->mode == CLRSOS_TEXT_CELL) {
			out[0] = '.';
			return 1;
		}
		return (size_t)sprintf(out, "\\u%04X", c);
	}
	return clrsos_utf8_encode(c, out);
}

void clrsos_utf16_decode(struct clrsos_utf16_decoder *d, const uint8_t *units, size_t n,
			 bool final, struct clrsos_writer *w)
{
	char buf[4096];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o + 16 > sizeof(buf)) {
			w->write(w->ctx, buf, o);
			o = 0;
		}
		uint16_t u = (uint16_t)(units[2 * i] | units[2 * i + 1] << 8);
		if (d->have_high) {
			d->have_high = false;
			if (u >= 0xdc00 && u < 0xe000) {
				uint32_t c = 0x10000 + ((uint32_t)(d->high - 0xd800) << 10) + (u - 0xdc00);
				o += emit(d, c, false, buf + o);
				continue;
			}
			o += emit(d, d->high, true, buf + o);
		}
		if (u >= 0xd800 && u < 0xdc00) {
			d->have_high = true;
			d->high = u;
		} else if (u >= 0xdc00 && u < 0xe000) {
			o += emit(d, u, true, buf + o);
		} else {
			o += emit(d, u, false, buf + o);
		}
	}
	if (final && d->have_high) {
		d->have_high = false;
		o += emit(d, d->high, true, buf + o);
	}
	if (o)
		w->write(w->ctx, buf, o);
}

struct clrsos_error *clrsos_string_length(struct clrsos_heap *heap, uint64_t address,
					  uint32_t *ret)
{
	const struct clrsos_segment *s = clrsos_heap_segment_of(heap, address);
	uint32_t len;
	struct clrsos_error *err = clrsos_target_read_u32(
		clrsos_heap_target(heap), address + CLRSOS_STRING_LENGTH_OFFSET, &len);
	if (err)
		return err;
	if (s && ((uint64_t)len * 2 + CLRSOS_STRING_CHARS_OFFSET > s->end - address))
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "the string at 0x%llx claims %u chars, more than its segment holds: the heap is corrupt there",
					   (unsigned long long)address, len);
	*ret = len;
	return NULL;
}

struct clrsos_error *clrsos_string_write(struct clrsos_target *target, uint64_t address,
					 uint32_t count, enum clrsos_text_mode mode,
					 struct clrsos_writer *w)
{
	static uint8_t chunk[2 * CHUNK_UNITS];
	struct clrsos_utf16_decoder d;
	clrsos_utf16_decoder_init(&d, mode);
	uint64_t at = address + CLRSOS_STRING_CHARS_OFFSET;
	for (uint32_t done = 0; done < count;) {
		uint32_t n = count - done < CHUNK_UNITS ? count - done : CHUNK_UNITS;
		struct clrsos_error *err = clrsos_target_read(target, at + 2ull * done, chunk, 2ull * n);
		if (err)
			return err;
		done += n;
		clrsos_utf16_decode(&d, chunk, n, done == count, w);
	}
	return NULL;
}

uint64_t clrsos_string_hash(const uint8_t *units, size_t n)
{
	/* Eight bytes a step, each mixed by a multiply and a shift; the length
	 * is in the seed, so zero padding of the tail cannot make two texts of
	 * different lengths alike; a final avalanche spreads the high bits. */
	size_t bytes = 2 * n, i = 0;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xff51afd7ed558ccdull);
	for (; i + 8 <= bytes; i += 8) {
		uint64_t w;
		memcpy(&w, units + i, sizeof(w));
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
	}
	if (i < bytes) {
		uint64_t w = 0;
		memcpy(&w, units + i, bytes - i);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}
