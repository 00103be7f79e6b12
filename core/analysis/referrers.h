/*
 * Referrers: for every object of the heap, the objects that refer to it,
 * so that gcroot answers each query by searching backwards from its target
 * through what can reach it, not forwards from every root through the heap.
 *
 * Built once per stop in three linear walks of the heap, without marking
 * the live objects: the first numbers every object by its rank in a bitmap
 * of object starts (a 32-bit count per bitmap word, no table of
 * addresses); the other two read the references among them into rows
 * (per object, where its referrers start in one array of 32-bit object
 * numbers), then packed (base/rows.h). Dead objects are numbered too and
 * change no answer (see number_objects). Dependent handles (primary keeps
 * secondary alive) are kept apart as edges of their own. About 4 bytes per
 * object, 1 to 5 per reference (about 1 where objects refer to objects
 * allocated near them), and 1.5 bits per 8 bytes of heap for the numbers;
 * while built, 4 more per reference; plus 4 per object for a query's
 * search, allocated on the first query.
 */
#ifndef CLRSOS_REFERRERS_H
#define CLRSOS_REFERRERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/heap.h"
#include "analysis/reach.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_referrers;

/* heap and reach (its roots' dependent handles; marks are not needed) are borrowed and must outlive the index. */
struct clrsos_error *clrsos_referrers_create(struct clrsos_heap *heap, const struct clrsos_reach *reach,
					    struct clrsos_referrers **ret);
void clrsos_referrers_destroy(struct clrsos_referrers *referrers);

struct clrsos_referrers_stats {
	uint64_t objects;    /* objects numbered, live or dead */
	uint64_t references; /* references among them (dependent handles apart) */
	uint64_t bytes;      /* memory the index holds */
};
const struct clrsos_referrers_stats *clrsos_referrers_stats(const struct clrsos_referrers *referrers);

/* One link of a chain: an object, and whether a dependent handle leads to it. */
struct clrsos_chain_link {
	uint64_t address;
	bool dependent;
};

/*
 * Search backwards from target. Afterwards clrsos_referrers_chain gives,
 * for any object, a shortest chain of references from it to the target, if
 * it has one. A dead or unknown target reaches nothing (not an error).
 */
struct clrsos_error *clrsos_referrers_search(struct clrsos_referrers *referrers, uint64_t target);

/*
 * The chain from object (a root's object) to the last search's target,
 * both included, into *links (grown; *cap entries): *ret_count links, or 0
 * if object does not lead to the target.
 */
struct clrsos_error *clrsos_referrers_chain(struct clrsos_referrers *referrers, uint64_t object,
					    struct clrsos_chain_link **links, size_t *cap, size_t *ret_count);

/*
 * The dominator tree of the live objects (dominators.h), over this index's
 * rows and numbers, the reach's roots as the virtual root's successors,
 * with each object's size given. The tree's nodes are this index's object
 * numbers: see clrsos_referrers_number and clrsos_referrers_address. The
 * index must outlive nothing of the tree; the tree is the caller's.
 */
struct clrsos_domtree;
struct clrsos_error *clrsos_referrers_dominators(struct clrsos_referrers *referrers,
						 const struct clrsos_reach *reach, struct clrsos_domtree **ret);
/* Whether the last search met object (an object start): a chain leads from it to the target. */
bool clrsos_referrers_leads(struct clrsos_referrers *referrers, uint64_t object);
/* The number of the object at address (an object start), or false. */
bool clrsos_referrers_number(struct clrsos_referrers *referrers, uint64_t address, uint32_t *ret);
/* The address of object number n (below the count of objects). */
uint64_t clrsos_referrers_address(const struct clrsos_referrers *referrers, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif
