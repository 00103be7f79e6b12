/*
 * Dominators: which object keeps which alive. In the graph of live objects,
 * with the roots as the successors of one virtual root, object d dominates
 * object o when every path from the roots to o passes through d; o's
 * immediate dominator is the nearest of them. An object's retained size is
 * its own size plus that of every object it dominates: what a collection
 * would free if nothing referred to it any more.
 *
 * Computed exactly with semi-NCA (Georgiadis' simplification of
 * Lengauer-Tarjan: semidominators with path compression, then each
 * immediate dominator as the nearest common ancestor of its parent and its
 * semidominator), iteratively, over the nodes numbered by a depth-first
 * search. The graph is given as packed predecessor rows (the referrer
 * index gcroot builds); the search's successor rows are made from them,
 * and freed before the semidominators are computed.
 */
#ifndef CLRSOS_DOMINATORS_H
#define CLRSOS_DOMINATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/rows.h"
#include "base/watch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An edge kept apart from the rows: from keeps to alive (dependent handles). */
struct clrsos_dom_edge {
	uint32_t to, from;
};

struct clrsos_dom_graph {
	uint32_t count;        /* nodes 0 .. count - 1 */
	const struct clrsos_rows *preds; /* count rows: each node's predecessors, as node numbers */
	const struct clrsos_dom_edge *extra; /* more predecessors, sorted by to */
	size_t nextra;
	const uint32_t *roots; /* what the virtual root refers to (repeats allowed) */
	size_t nroots;
	struct clrsos_watch *watch; /* may be NULL: polled for Ctrl-C */
};

/* Node number of the virtual root, as an immediate dominator. */
#define CLRSOS_DOM_ROOT UINT32_MAX

struct clrsos_domtree;

/* The graph is borrowed only during the call. */
struct clrsos_error *clrsos_domtree_create(const struct clrsos_dom_graph *graph, struct clrsos_domtree **ret);
void clrsos_domtree_destroy(struct clrsos_domtree *tree);

/* Whether node n is reachable from the roots (otherwise it has no dominator). */
bool clrsos_domtree_reached(const struct clrsos_domtree *tree, uint32_t n);
/* n's immediate dominator: a node, or CLRSOS_DOM_ROOT (also for an unreached n). */
uint32_t clrsos_domtree_idom(const struct clrsos_domtree *tree, uint32_t n);

/*
 * Retained sizes: give each reached node its own size (any order, once
 * each; unreached nodes are ignored), then accumulate once. Afterwards
 * clrsos_domtree_retained answers, and the virtual root's retained size is
 * the total of all sizes given.
 */
struct clrsos_error *clrsos_domtree_set_size(struct clrsos_domtree *tree, uint32_t n, uint64_t size);
struct clrsos_error *clrsos_domtree_accumulate(struct clrsos_domtree *tree);
uint64_t clrsos_domtree_retained(const struct clrsos_domtree *tree, uint32_t n);
uint64_t clrsos_domtree_total(const struct clrsos_domtree *tree);

/* A node below another in the dominator tree, as clrsos_domtree_dominated lists it. */
struct clrsos_dom_node {
	uint32_t node;
	uint32_t idom;     /* its immediate dominator (a node) */
	unsigned level;    /* 1: immediately dominated by the node asked about */
	uint64_t retained; /* (after accumulating) */
	uint64_t count;    /* nodes it retains, itself included */
};

/*
 * What node n dominates: *ret (the caller frees it) lists those down to
 * depth levels below n, in preorder; *ret_count their number; *ret_total
 * every node n retains, at any depth, n itself included (0 if n is not
 * reached). n may be CLRSOS_DOM_ROOT: level 1 is then the nodes no other
 * node dominates, their idom CLRSOS_DOM_ROOT, and *ret_total every reached
 * node.
 */
struct clrsos_error *clrsos_domtree_dominated(const struct clrsos_domtree *tree, uint32_t n, unsigned depth,
					      struct clrsos_dom_node **ret, size_t *ret_count, uint64_t *ret_total);

/*
 * Retained bytes per group (a node's type, say), each node counted once:
 * under the topmost node of its group on its chain of dominators. group[n]
 * is node n's group (below ngroups; others are in none); ret_bytes has
 * ngroups entries, set. After accumulating.
 */
struct clrsos_error *clrsos_domtree_group_retained(const struct clrsos_domtree *tree, const uint32_t *group,
						   uint32_t ngroups, uint64_t *ret_bytes);

struct clrsos_domtree_stats {
	uint32_t reached;    /* nodes reached from the roots */
	uint64_t bytes;      /* memory the tree holds */
};
const struct clrsos_domtree_stats *clrsos_domtree_stats(const struct clrsos_domtree *tree);

#ifdef __cplusplus
}
#endif

#endif
