/*
 * Mark bits over the GC heap: one bit per 8 bytes of a segment, bit k of
 * word k / 64 standing for the object at segment start + 8 k.
 * Reachability's marking (reach.c) and objsize's walk (objsize.c) share
 * them; inline, as both test and set a bit per reference followed.
 */
#ifndef CLRSOS_MARKBITS_H
#define CLRSOS_MARKBITS_H

#include <stdint.h>

#include "model/heap.h"

/* How many 64-bit words the bits of segment s take (0 for an empty segment). */
static inline uint64_t clrsos_markbits_words(const struct clrsos_segment *s)
{
	return ((s->end - s->start) / 8 + 63) / 64;
}

/* The word of bits (segment s's) holding address's bit, and its mask in *mask. */
static inline uint64_t *clrsos_markbits_word(uint64_t *bits, const struct clrsos_segment *s, uint64_t address,
					     uint64_t *mask)
{
	uint64_t i = (address - s->start) >> 3;
	*mask = (uint64_t)1 << (i & 63);
	return &bits[i >> 6];
}

#endif
