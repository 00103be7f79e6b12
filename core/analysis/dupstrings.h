/*
 * Duplicate strings: the heap's strings tallied by text (a 128-bit hash of
 * all their chars and their length), so that texts held in many copies can
 * be listed with the bytes the copies take beyond the first. dumpheap
 * -strings and inspect's duplicate-strings check share it.
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

/* One text: its copies, the size of one (all copies of a text have the same), the lowest-addressed one met first. */
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
 */
struct clrsos_error *clrsos_dupstrings_sorted(const struct clrsos_dupstrings *s, struct clrsos_dupstring **ret,
					      size_t *ret_count, uint64_t *ret_wasted, size_t *ret_unique);

static inline uint64_t clrsos_dupstring_wasted(const struct clrsos_dupstring *d)
{
	return (d->count - 1) * d->size;
}

#ifdef __cplusplus
}
#endif

#endif
