/*
 * Duplicate strings: the heap's strings tallied by text, so that texts held
 * in many copies can be listed with the bytes the copies take beyond the
 * first. dumpheap -strings and inspect's duplicate-strings check share it.
 * 16 bytes per string met (a 64-bit hash of its text and where the walk
 * met it), no text: the copies grouped by hash are compared by reading
 * their texts back from the target, so that a hash collision never merges
 * two texts into one count.
 */
#ifndef CLRSOS_DUPSTRINGS_H
#define CLRSOS_DUPSTRINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_dupstrings;

/* One text: its copies, the size of one (all copies of a text have the same), the one the walk met first. */
struct clrsos_dupstring {
	uint64_t count, size, first;
	uint32_t length; /* chars */
};

struct clrsos_error *clrsos_dupstrings_create(struct clrsos_dupstrings **ret);
void clrsos_dupstrings_destroy(struct clrsos_dupstrings *s);

/*
 * Count obj if it is a string whose length fits its size (*ret_counted
 * true); its chars are read from the walk's bytes, or from the target when
 * the walk read less of it (a string that cannot be read is not counted).
 * Only running out of memory is an error.
 */
struct clrsos_error *clrsos_dupstrings_add(struct clrsos_dupstrings *s, struct clrsos_target *target,
					   const struct clrsos_heap_object *obj, bool *ret_counted);

/*
 * The texts held in more than one copy, most bytes wasted ((count - 1) *
 * size) first, then most copies, then lowest address (malloc'd, *ret_count
 * of them); the bytes wasted by them all, and how many texts have one copy.
 * Reads the copies of each text back from the target the strings were
 * added from (the walk's target: still readable). Once per s: it hands
 * over the memory of what add() recorded. Ticks watch (NULL: none) as it
 * sorts and checks: once the user asked to stop, returns that error.
 */
struct clrsos_error *clrsos_dupstrings_sorted(struct clrsos_dupstrings *s, struct clrsos_watch *watch,
					      struct clrsos_dupstring **ret, size_t *ret_count, uint64_t *ret_wasted,
					      size_t *ret_unique);

/* Tests: keep only these bits of each hash (0: every text collides), to exercise the comparison of texts. */
void clrsos_dupstrings_set_hash_mask(struct clrsos_dupstrings *s, uint64_t mask);

static inline uint64_t clrsos_dupstring_wasted(const struct clrsos_dupstring *d)
{
	return (d->count - 1) * d->size;
}

#ifdef __cplusplus
}
#endif

#endif
