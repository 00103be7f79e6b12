/*
 * Strings: the text of System.String objects. A string is its MethodTable,
 * a 32-bit length at +8 and that many UTF-16 units from +12. Decoding to
 * UTF-8 streams chunk by chunk (a surrogate pair may straddle two chunks),
 * so megabyte strings never need to fit in one buffer.
 */
#ifndef CLRSOS_CLRSTRING_H
#define CLRSOS_CLRSTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"
#include "base/output.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	CLRSOS_STRING_LENGTH_OFFSET = 8,
	CLRSOS_STRING_CHARS_OFFSET = 12,
};

enum clrsos_text_mode {
	/* For a terminal: control characters and unpaired surrogates escaped
	 * (\n, \t, \r, \uXXXX). */
	CLRSOS_TEXT_ESCAPED,
	/* Exactly the text: control characters as they are, an unpaired
	 * surrogate as its 3-byte (WTF-8) form, so nothing is lost. */
	CLRSOS_TEXT_RAW,
	/* One line for a table: like ESCAPED, and other characters that are
	 * not printable shown as '.', as SOS does. */
	CLRSOS_TEXT_CELL,
	/* The inside of a JSON string: quotes, backslashes and control
	 * characters escaped, a lone surrogate as \uXXXX (valid JSON). */
	CLRSOS_TEXT_JSON,
};

struct clrsos_utf16_decoder {
	enum clrsos_text_mode mode;
	bool have_high;    /* a high surrogate waits for its pair */
	uint16_t high;
};

void clrsos_utf16_decoder_init(struct clrsos_utf16_decoder *d, enum clrsos_text_mode mode);
/* Decode n units (little-endian bytes), writing UTF-8 to w; final flushes a pending surrogate. */
void clrsos_utf16_decode(struct clrsos_utf16_decoder *d, const uint8_t *units, size_t n,
			 bool final, struct clrsos_writer *w);

/* The string object at address: its length, checked against its segment. */
struct clrsos_error *clrsos_string_length(struct clrsos_heap *heap, uint64_t address,
					  uint32_t *ret);

/*
 * Write chars [0, count) of the string at address to w, reading the target
 * in chunks.
 */
struct clrsos_error *clrsos_string_write(struct clrsos_target *target, uint64_t address,
					 uint32_t count, enum clrsos_text_mode mode,
					 struct clrsos_writer *w);

/*
 * A 64-bit hash of n UTF-16 units (their length included), for grouping
 * equal strings; texts that share it must still be compared.
 */
uint64_t clrsos_string_hash(const uint8_t *units, size_t n);

#ifdef __cplusplus
}
#endif

#endif
