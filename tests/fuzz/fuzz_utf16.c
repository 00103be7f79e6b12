/*
 * String decoding: any UTF-16 code units (unpaired surrogates, controls,
 * odd lengths) decoded in each text mode, in one piece and split in two
 * (a surrogate pair may straddle the split). The escaped modes never emit
 * a control byte; the JSON mode's output is always a valid JSON string.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/clrstring.h"
#include "base/output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	char *text;
	size_t len, cap;
};

static void collect(void *ctx, const char *text, size_t n)
{
	struct sink *s = ctx;
	if (s->len + n + 3 > s->cap) {
		s->cap = (s->len + n + 3) * 2;
		s->text = realloc(s->text, s->cap);
		if (!s->text)
			abort();
	}
	memcpy(s->text + s->len, text, n);
	s->len += n;
}

/*
 * Whether text is the inside of a JSON string (RFC 8259): no raw control
 * character or quote, escapes from the list, \\u with four hex digits, and
 * well-formed UTF-8 (no surrogate code points: those must be escaped).
 * Not a JSON library: jansson refuses a lone surrogate's \\u escape, which
 * the RFC's grammar allows and clrsos uses to lose nothing.
 */
static bool json_string_body(const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c < 0x20 || c == '"')
			return false;
		if (c == '\\') {
			if (i + 1 >= n)
				return false;
			unsigned char e = p[i + 1];
			if (e == 'u') {
				if (i + 6 > n)
					return false;
				for (int k = 2; k < 6; k++) {
					if (!isxdigit(p[i + k]))
						return false;
				}
				i += 6;
			} else if (strchr("\"\\/bfnrt", e) && e) {
				i += 2;
			} else {
				return false;
			}
			continue;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (!len || c > 0xf4 || i + len > n)
			return false;
		uint32_t cp = c & (0x7f >> len);
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp < 0xe000))
			return false;
		i += len;
	}
	return true;
}

static const enum clrsos_text_mode MODES[] = {CLRSOS_TEXT_ESCAPED, CLRSOS_TEXT_RAW, CLRSOS_TEXT_CELL,
					      CLRSOS_TEXT_JSON};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *units = data + 1;
	size_t n = (size - 1) / 2;
	size_t split = data[0] % (n + 1);
	for (size_t m = 0; m < sizeof(MODES) / sizeof(MODES[0]); m++) {
		struct sink s = {0};
		struct clrsos_writer w = {collect, &s};
		struct clrsos_utf16_decoder d;
		clrsos_utf16_decoder_init(&d, MODES[m]);
		clrsos_utf16_decode(&d, units, split, false, &w);
		clrsos_utf16_decode(&d, units + 2 * split, n - split, true, &w);
		if (MODES[m] != CLRSOS_TEXT_RAW) {
			for (size_t i = 0; i < s.len; i++) {
				if ((unsigned char)s.text[i] < 0x20 || (MODES[m] != CLRSOS_TEXT_JSON && s.text[i] == 0x7f))
					abort(); /* a control character left unescaped */
			}
		}
		if (MODES[m] == CLRSOS_TEXT_JSON && !json_string_body(s.text, s.len))
			abort(); /* not the inside of a valid JSON string */
		free(s.text);
	}
	(void)clrsos_string_hash(units, n);
	return 0;
}
