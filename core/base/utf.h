/*
 * UTF: encoding code points as UTF-8, and UTF-16 (the runtime's strings and
 * names) as UTF-8. Shared by every layer, so it depends on nothing.
 */
#ifndef CLRSOS_UTF_H
#define CLRSOS_UTF_H

#include <stddef.h>
#include <stdint.h>

/* Write c (up to 0x10ffff; a lone surrogate as its 3-byte form) to out; returns bytes written (1-4). */
static inline size_t clrsos_utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * UTF-16 units (up to n, or to a 0 unit) as NUL-terminated UTF-8 in out,
 * which has room for size bytes; a lone surrogate becomes U+FFFD. Returns
 * the bytes written (without the NUL).
 */
static inline size_t clrsos_utf16_to_utf8(const uint16_t *s, size_t n, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n && s[i] && o + 5 <= size; i++) {
		uint32_t c = s[i];
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && s[i + 1] >= 0xdc00 && s[i + 1] < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (s[i + 1] - 0xdc00u);
			i++;
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		o += clrsos_utf8_encode(c, out + o);
	}
	if (size)
		out[o] = '\0';
	return o;
}

#endif
