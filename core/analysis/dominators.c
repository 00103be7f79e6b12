#include "analysis/dominators.h"

#include <stdlib.h>
#include <string.h>

#include "base/vector.h"

/*
 * Numbering: the depth-first search gives each reached node a number p,
 * 1 .. reached, in preorder; 0 is the virtual root. Arrays indexed by p
 * hold numbers p too, except vertex[] (p to node). pre[] maps a node to p
 * (0: not reached).
 */
enum { MARK = 0x80000000u, MAX_NODES = 0x7ffffffeu };

CLRSOS_VECTOR(dom_u32_vector, uint32_t)

struct clrsos_domtree {
	uint32_t count;     /* nodes */
	uint32_t reached;   /* numbered 1 .. reached */
	uint32_t *pre;      /* count: node to number, 0 if not reached */
	uint32_t *vertex;   /* reached + 1: number to node (vertex[0] unused) */
	uint32_t *idom;     /* reached + 1: number to its immediate dominator's number */
	uint64_t *retained; /* reached + 1: own sizes, then retained sizes */
	struct clrsos_domtree_stats stats;
};

static void *alloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/*
 * Successor rows: the predecessor rows (and the extra edges) turned around,
 * so that the search reads no object again. first[n] .. first[n + 1] in
 * to[] are n's successors.
 */
struct successors {
	uint32_t *first;
	uint32_t *to;
};

static struct clrsos_error *turn_around(const struct clrsos_dom_graph *g, struct successors *out)
{
	uint64_t edges = (uint64_t)g->first[g->count] + g->nextra;
	if (edges > UINT32_MAX)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "more than 4 G references among live objects: too many for a dominator tree");
	out->first = alloc_array((size_t)g->count + 1, sizeof(uint32_t));
	out->to = alloc_array((size_t)edges, sizeof(uint32_t));
	if (!out->first || !out->to)
		return &clrsos_error_no_memory;
	/* Count each node's successors, then place them, each row filled from its start. */
	for (uint32_t n = 0; n < g->count; n++) {
		for (uint32_t k = g->first[n]; k < g->first[n + 1]; k++) {
			if (g->from[k] < g->count)
				out->first[g->from[k] + 1]++;
		}
	}
	for (size_t e = 0; e < g->nextra; e++) {
		if (g->extra[e].from < g->count && g->extra[e].to < g->count)
			out->first[g->extra[e].from + 1]++;
	}
	for (uint32_t n = 0; n < g->count; n++)
		out->first[n + 1] += out->first[n];
	for (uint32_t n = 0; n < g->count; n++) {
		for (uint32_t k = g->first[n]; k < g->first[n + 1]; k++) {
			if (g->from[k] < g->count)
				out->to[out->first[g->from[k]]++] = n;
		}
	}
	for (size_t e = 0; e < g->nextra; e++) {
		if (g->extra[e].from < g->count && g->extra[e].to < g->count)
			out->to[out->first[g->extra[e].from]++] = g->extra[e].to;
	}
	/* first[n] now holds where row n ends: shift back. */
	memmove(out->first + 1, out->first, (size_t)g->count * sizeof(uint32_t));
	out->first[0] = 0;
	return NULL;
}

/*
 * Preorder numbers and depth-first parents. stack holds nodes to visit and
 * MARK | p where p's successors end. A node may be pushed more than once:
 * it is numbered when first popped, its parent then the node whose
 * successors are being visited (the innermost MARK not yet popped), which
 * is what a recursive search would have found.
 */
static struct clrsos_error *search(const struct clrsos_dom_graph *g, const struct successors *succ,
				   struct clrsos_domtree *t, uint32_t *parent)
{
	struct dom_u32_vector stack;
	dom_u32_vector_init(&stack);
	struct clrsos_error *err = NULL;
	for (size_t i = g->nroots; i > 0 && !err; i--) {
		if (g->roots[i - 1] < g->count)
			err = dom_u32_vector_push(&stack, g->roots[i - 1]);
	}
	uint32_t current = 0, next = 0;
	while (!err && stack.count) {
		uint32_t top = *dom_u32_vector_pop(&stack);
		if (top & MARK) {
			current = parent[top & ~MARK];
			continue;
		}
		if (t->pre[top])
			continue;
		if ((err = clrsos_watch_tick(g->watch)))
			break;
		uint32_t p = ++next;
		t->pre[top] = p;
		t->vertex[p] = top;
		parent[p] = current;
		current = p;
		if ((err = dom_u32_vector_push(&stack, MARK | p)))
			break;
		/* Last first, so that the first successor is searched first. */
		for (uint32_t k = succ->first[top + 1]; k > succ->first[top] && !err; k--) {
			uint32_t m = succ->to[k - 1];
			if (!t->pre[m])
				err = dom_u32_vector_push(&stack, m);
		}
	}
	dom_u32_vector_deinit(&stack);
	t->reached = next;
	return err;
}

/* What a compression walk needs: ancestors (linked forest) and the least semidominator on the way. */
struct forest {
	uint32_t *ancestor;
	uint32_t *least; /* the least semidominator between p and its ancestor */
	struct dom_u32_vector path;
};

/*
 * The least semidominator number on the path from p (already processed,
 * p > i) up to the root of its tree in the forest of processed nodes,
 * compressing the path on the way.
 */
static struct clrsos_error *eval(struct forest *f, uint32_t p, uint32_t i, uint32_t *ret)
{
	if (f->ancestor[p] <= i) {
		*ret = f->least[p];
		return NULL;
	}
	dom_u32_vector_clear(&f->path);
	uint32_t x = p;
	do {
		struct clrsos_error *err = dom_u32_vector_push(&f->path, x);
		if (err)
			return err;
		x = f->ancestor[x];
	} while (f->ancestor[x] > i);
	/* x is the last below the forest's root; walk back down, shortening each link. */
	uint32_t above = x;
	while (f->path.count) {
		uint32_t v = *dom_u32_vector_pop(&f->path);
		f->ancestor[v] = f->ancestor[above];
		if (f->least[above] < f->least[v])
			f->least[v] = f->least[above];
		above = v;
	}
	*ret = f->least[p];
	return NULL;
}

static struct clrsos_error *semidominators(const struct clrsos_dom_graph *g, struct clrsos_domtree *t,
					   uint32_t *parent, uint32_t *semi, uint32_t *least, uint8_t *is_root)
{
	struct forest f = {.ancestor = parent, .least = least};
	dom_u32_vector_init(&f.path);
	struct clrsos_error *err = NULL;
	for (uint32_t i = t->reached; i >= 1 && !err; i--) {
		if ((err = clrsos_watch_tick(g->watch)))
			break;
		uint32_t n = t->vertex[i];
		uint32_t s = is_root[n >> 3] & (1u << (n & 7)) ? 0 : parent[i];
		for (uint32_t k = g->first[n]; k < g->first[n + 1] && s; k++) {
			uint32_t from = g->from[k];
			uint32_t q = from < g->count ? t->pre[from] : 0;
			if (!q)
				continue; /* not reached: on no path from the roots */
			uint32_t c = q;
			if (q > i && (err = eval(&f, q, i, &c)))
				break;
			if (c < s)
				s = c;
		}
		/* Dependent handles' edges into n. */
		size_t lo = 0, hi = g->nextra;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (g->extra[mid].to < n)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; !err && s && lo < g->nextra && g->extra[lo].to == n; lo++) {
			uint32_t from = g->extra[lo].from;
			uint32_t q = from < g->count ? t->pre[from] : 0;
			if (!q)
				continue;
			uint32_t c = q;
			if (q > i && (err = eval(&f, q, i, &c)))
				break;
			if (c < s)
				s = c;
		}
		semi[i] = s;
		least[i] = s;
	}
	dom_u32_vector_deinit(&f.path);
	return err;
}

struct clrsos_error *clrsos_domtree_create(const struct clrsos_dom_graph *g, struct clrsos_domtree **ret)
{
	*ret = NULL;
	if (g->count > MAX_NODES)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "more than %u live objects: too many for a dominator tree",
					   (unsigned)MAX_NODES);
	struct clrsos_domtree *t = calloc(1, sizeof(*t));
	if (!t)
		return &clrsos_error_no_memory;
	t->count = g->count;
	uint32_t *parent = NULL, *semi = NULL, *least = NULL;
	uint8_t *is_root = NULL;
	struct clrsos_error *err = NULL;
	size_t n1 = (size_t)g->count + 1;
	t->pre = alloc_array(g->count, sizeof(uint32_t));
	t->vertex = alloc_array(n1, sizeof(uint32_t));
	parent = alloc_array(n1, sizeof(uint32_t));
	is_root = alloc_array(g->count / 8 + 1, 1);
	if (!t->pre || !t->vertex || !parent || !is_root) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (size_t r = 0; r < g->nroots; r++) {
		if (g->roots[r] < g->count)
			is_root[g->roots[r] >> 3] |= (uint8_t)(1u << (g->roots[r] & 7));
	}
	struct successors succ = {0};
	if (!(err = turn_around(g, &succ)))
		err = search(g, &succ, t, parent);
	free(succ.first);
	free(succ.to);
	if (err)
		goto out;
	t->stats.reached = t->reached;
	size_t r1 = (size_t)t->reached + 1;
	t->idom = alloc_array(r1, sizeof(uint32_t));
	semi = alloc_array(r1, sizeof(uint32_t));
	least = alloc_array(r1, sizeof(uint32_t));
	if (!t->idom || !semi || !least) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	/* The search's parents, kept: the forest's links are shortened below. */
	memcpy(t->idom, parent, r1 * sizeof(uint32_t));
	if ((err = semidominators(g, t, parent, semi, least, is_root)))
		goto out;
	/* Each immediate dominator: the nearest ancestor of its parent not below its semidominator. */
	for (uint32_t i = 1; i <= t->reached; i++) {
		uint32_t d = t->idom[i];
		while (d > semi[i])
			d = t->idom[d];
		t->idom[i] = d;
	}
	free(parent);
	free(least);
	free(semi);
	free(is_root);
	parent = least = semi = NULL;
	is_root = NULL;
	if (!(t->retained = alloc_array(r1, sizeof(uint64_t)))) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	t->stats.bytes = (uint64_t)g->count * sizeof(uint32_t) + r1 * (2 * sizeof(uint32_t) + sizeof(uint64_t));
out:
	free(parent);
	free(semi);
	free(least);
	free(is_root);
	if (err) {
		clrsos_domtree_destroy(t);
		return err;
	}
	*ret = t;
	return NULL;
}

void clrsos_domtree_destroy(struct clrsos_domtree *t)
{
	if (!t)
		return;
	free(t->pre);
	free(t->vertex);
	free(t->idom);
	free(t->retained);
	free(t);
}

bool clrsos_domtree_reached(const struct clrsos_domtree *t, uint32_t n)
{
	return n < t->count && t->pre[n];
}

uint32_t clrsos_domtree_idom(const struct clrsos_domtree *t, uint32_t n)
{
	if (!clrsos_domtree_reached(t, n))
		return CLRSOS_DOM_ROOT;
	uint32_t d = t->idom[t->pre[n]];
	return d ? t->vertex[d] : CLRSOS_DOM_ROOT;
}

void clrsos_domtree_set_size(struct clrsos_domtree *t, uint32_t n, uint64_t size)
{
	if (clrsos_domtree_reached(t, n))
		t->retained[t->pre[n]] = size;
}

void clrsos_domtree_accumulate(struct clrsos_domtree *t)
{
	/* Every node's number is above its dominator's: add each to it, last first. */
	t->retained[0] = 0;
	for (uint32_t i = t->reached; i >= 1; i--)
		t->retained[t->idom[i]] += t->retained[i];
}

uint64_t clrsos_domtree_retained(const struct clrsos_domtree *t, uint32_t n)
{
	return clrsos_domtree_reached(t, n) ? t->retained[t->pre[n]] : 0;
}

uint64_t clrsos_domtree_total(const struct clrsos_domtree *t)
{
	return t->retained[0];
}

struct clrsos_error *clrsos_domtree_dominated(const struct clrsos_domtree *t, uint32_t n, unsigned depth,
					      struct clrsos_dom_node **ret, size_t *ret_count, uint64_t *ret_total)
{
	*ret = NULL;
	*ret_count = 0;
	*ret_total = 0;
	bool root = n == CLRSOS_DOM_ROOT;
	if (!root && !clrsos_domtree_reached(t, n))
		return NULL;
	uint32_t top = root ? 0 : t->pre[n];
	/*
	 * What n dominates lies after it in preorder, within its search
	 * subtree. level[i - top]: 0 not under n, else 1 + depth below n
	 * (saturating); count[i - top]: nodes i retains.
	 */
	size_t span = (size_t)t->reached - top + 1;
	uint8_t *level = calloc(span, 1);
	uint32_t *count = calloc(span, sizeof(uint32_t));
	if (!level || !count) {
		free(level);
		free(count);
		return &clrsos_error_no_memory;
	}
	level[0] = 1;
	size_t listed = 0;
	for (size_t k = 1; k < span; k++) {
		uint32_t d = t->idom[top + k];
		if (d < top || !level[d - top])
			continue;
		unsigned l = level[d - top];
		level[k] = (uint8_t)(l < 255 ? l + 1 : 255);
		count[k] = 1;
		if (level[k] - 1u <= depth)
			listed++;
	}
	count[0] = 1;
	for (size_t k = span - 1; k >= 1; k--) {
		if (level[k])
			count[t->idom[top + k] - top] += count[k];
	}
	struct clrsos_dom_node *nodes = calloc(listed ? listed : 1, sizeof(*nodes));
	if (!nodes) {
		free(level);
		free(count);
		return &clrsos_error_no_memory;
	}
	size_t i = 0;
	for (size_t k = 1; k < span && i < listed; k++) {
		if (!level[k] || level[k] - 1u > depth)
			continue;
		nodes[i++] = (struct clrsos_dom_node){
			.node = t->vertex[top + k],
			.idom = t->idom[top + k] ? t->vertex[t->idom[top + k]] : CLRSOS_DOM_ROOT,
			.level = level[k] - 1u,
			.retained = t->retained[top + k],
			.count = count[k],
		};
	}
	*ret_total = root ? count[0] - 1 : count[0]; /* the virtual root is no node */
	free(level);
	free(count);
	*ret = nodes;
	*ret_count = i;
	return NULL;
}

struct clrsos_error *clrsos_domtree_group_retained(const struct clrsos_domtree *t, const uint32_t *group,
						   uint32_t ngroups, uint64_t *ret_bytes)
{
	memset(ret_bytes, 0, (size_t)ngroups * sizeof(*ret_bytes));
	size_t r1 = (size_t)t->reached + 1;
	/* The dominator tree's children rows, by number: kids[first[d] .. first[d + 1]]. */
	uint32_t *first = calloc(r1 + 1, sizeof(uint32_t));
	uint32_t *kids = calloc(r1, sizeof(uint32_t));
	uint32_t *open = calloc(ngroups ? ngroups : 1, sizeof(uint32_t)); /* per group: its nodes on the path */
	struct dom_u32_vector stack;
	dom_u32_vector_init(&stack);
	struct clrsos_error *err = NULL;
	if (!first || !kids || !open) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (uint32_t i = 1; i <= t->reached; i++)
		first[t->idom[i] + 1]++;
	for (size_t d = 0; d < r1; d++)
		first[d + 1] += first[d];
	for (uint32_t i = 1; i <= t->reached; i++)
		kids[first[t->idom[i]]++] = i;
	memmove(first + 1, first, r1 * sizeof(uint32_t));
	first[0] = 0;
	/* Down the tree from the virtual root: a node is counted when no node of its group is open above it. */
	for (uint32_t k = first[0]; k < first[1] && !err; k++)
		err = dom_u32_vector_push(&stack, kids[k]);
	while (!err && stack.count) {
		uint32_t top = *dom_u32_vector_pop(&stack);
		uint32_t i = top & ~MARK;
		uint32_t g = group[t->vertex[i]];
		if (top & MARK) {
			if (g < ngroups)
				open[g]--;
			continue;
		}
		if (g < ngroups) {
			if (!open[g]++)
				ret_bytes[g] += t->retained[i];
		}
		if ((err = dom_u32_vector_push(&stack, MARK | i)))
			break;
		for (uint32_t k = first[i]; k < first[i + 1] && !err; k++)
			err = dom_u32_vector_push(&stack, kids[k]);
	}
out:
	dom_u32_vector_deinit(&stack);
	free(first);
	free(kids);
	free(open);
	return err;
}

const struct clrsos_domtree_stats *clrsos_domtree_stats(const struct clrsos_domtree *t)
{
	return &t->stats;
}
