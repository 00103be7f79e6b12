#include "analysis/dominators.h"

#include <stdlib.h>
#include <string.h>

#include "base/vector.h"

/*
 * Numbering: the depth-first search gives each reached node a number p,
 * 1 .. reached, in preorder; 0 is the virtual root. While the tree is
 * computed, arrays indexed by p hold numbers p; the tree kept is by node
 * (immediate dominator and retained size), with vertex[] for the order:
 * the dominator tree's own preorder, so that what a node dominates is the
 * run right after it.
 */
enum { MAX_NODES = 0x7ffffffeu, UNREACHED = UINT32_MAX - 1 };

CLRSOS_VECTOR(dom_u32_vector, uint32_t)

struct clrsos_domtree {
	uint32_t count;     /* nodes */
	uint32_t reached;   /* numbered 1 .. reached */
	uint32_t *idom;     /* count: node to its immediate dominator, CLRSOS_DOM_ROOT or UNREACHED */
	uint32_t *vertex;   /* reached + 1: the dominator tree's preorder, to node (vertex[0] unused) */
	uint32_t *retained; /* count: own, then retained sizes, in 8 bytes, or BIG */
	uint32_t *big_key;  /* big_cap (a power of 2, or 0): nodes whose size is BIG, UINT32_MAX free */
	uint64_t *big_value; /* their sizes in bytes */
	size_t big_cap, big_count;
	uint64_t total;     /* every size given */
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
	uint64_t edges = g->preds->values + g->nextra;
	if (edges > UINT32_MAX)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "more than 4 G references among live objects: too many for a dominator tree");
	out->first = alloc_array((size_t)g->count + 1, sizeof(uint32_t));
	out->to = alloc_array((size_t)edges, sizeof(uint32_t));
	if (!out->first || !out->to)
		return &clrsos_error_no_memory;
	/* Count each node's successors, then place them, each row filled from its start. */
	struct clrsos_rows_cursor c;
	uint32_t p;
	for (uint32_t n = 0; n < g->count; n++) {
		for (clrsos_rows_open(g->preds, n, &c); clrsos_rows_next(&c, &p);) {
			if (p < g->count)
				out->first[p + 1]++;
		}
	}
	for (size_t e = 0; e < g->nextra; e++) {
		if (g->extra[e].from < g->count && g->extra[e].to < g->count)
			out->first[g->extra[e].from + 1]++;
	}
	for (uint32_t n = 0; n < g->count; n++)
		out->first[n + 1] += out->first[n];
	for (uint32_t n = 0; n < g->count; n++) {
		for (clrsos_rows_open(g->preds, n, &c); clrsos_rows_next(&c, &p);) {
			if (p < g->count)
				out->to[out->first[p]++] = n;
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
 * Preorder numbers. A node may be pushed more than once: it is numbered
 * when first popped. Every edge u -> v with pre[u] < pre[v] then has u on
 * the search's path to v (u pushed v, and v was popped before anything
 * pushed below u), so v's depth-first parent is its predecessor with the
 * largest number below v's own: found again from the predecessor rows
 * where it is needed, rather than kept.
 */
static struct clrsos_error *search(const struct clrsos_dom_graph *g, const struct successors *succ, uint32_t *pre,
				   uint32_t *ret_reached)
{
	struct dom_u32_vector stack;
	dom_u32_vector_init(&stack);
	struct clrsos_error *err = NULL;
	for (size_t i = g->nroots; i > 0 && !err; i--) {
		if (g->roots[i - 1] < g->count)
			err = dom_u32_vector_push(&stack, g->roots[i - 1]);
	}
	uint32_t next = 0;
	while (!err && stack.count) {
		uint32_t top = *dom_u32_vector_pop(&stack);
		if (pre[top])
			continue;
		if ((err = clrsos_watch_tick(g->watch)))
			break;
		pre[top] = ++next;
		/* Last first, so that the first successor is searched first. */
		for (uint32_t k = succ->first[top + 1]; k > succ->first[top] && !err; k--) {
			uint32_t m = succ->to[k - 1];
			if (!pre[m])
				err = dom_u32_vector_push(&stack, m);
		}
	}
	dom_u32_vector_deinit(&stack);
	*ret_reached = next;
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

/* Where the dependent handles' edges into n lie in g->extra: [*lo, *hi). */
static void extra_range(const struct clrsos_dom_graph *g, uint32_t n, size_t *lo, size_t *hi)
{
	size_t a = 0, b = g->nextra;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (g->extra[mid].to < n)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	while (b < g->nextra && g->extra[b].to == n)
		b++;
	*hi = b;
}

static bool is_root(const uint8_t *roots, uint32_t n)
{
	return roots[n >> 3] & (1u << (n & 7));
}

/* n's depth-first parent, n numbered i: see search(). */
static uint32_t parent_of(const struct clrsos_dom_graph *g, const uint32_t *pre, uint32_t n, uint32_t i)
{
	uint32_t parent = 0;
	struct clrsos_rows_cursor c;
	uint32_t p;
	for (clrsos_rows_open(g->preds, n, &c); clrsos_rows_next(&c, &p);) {
		uint32_t q = p < g->count ? pre[p] : 0;
		if (q < i && q > parent)
			parent = q;
	}
	size_t lo, hi;
	extra_range(g, n, &lo, &hi);
	for (; lo < hi; lo++) {
		uint32_t q = g->extra[lo].from < g->count ? pre[g->extra[lo].from] : 0;
		if (q < i && q > parent)
			parent = q;
	}
	return parent;
}

/* One predecessor numbered q (0: not reached) of the node numbered i, into its semidominator *s. */
static struct clrsos_error *semi_step(struct forest *f, uint32_t q, uint32_t i, uint32_t *s)
{
	if (!q || q == i)
		return NULL; /* not reached (on no path from the roots), or itself */
	uint32_t c = q;
	struct clrsos_error *err = q > i ? eval(f, q, i, &c) : NULL;
	if (!err && c < *s)
		*s = c;
	return err;
}

/*
 * Semidominators, last number first. vertex[i] is read once, when i is
 * processed, and then holds i's semidominator: the caller numbers the
 * nodes again afterwards. ancestor[i] becomes i's parent once i is
 * processed, linking it into the forest of processed nodes.
 */
static struct clrsos_error *semidominators(const struct clrsos_dom_graph *g, const uint32_t *pre, uint32_t reached,
					   uint32_t *vertex, uint32_t *ancestor, uint32_t *least, const uint8_t *roots)
{
	struct forest f = {.ancestor = ancestor, .least = least};
	dom_u32_vector_init(&f.path);
	struct clrsos_error *err = NULL;
	for (uint32_t i = reached; i >= 1 && !err; i--) {
		if ((err = clrsos_watch_tick(g->watch)))
			break;
		uint32_t n = vertex[i];
		uint32_t s = i;
		struct clrsos_rows_cursor c;
		uint32_t p;
		for (clrsos_rows_open(g->preds, n, &c); !err && clrsos_rows_next(&c, &p);)
			err = semi_step(&f, p < g->count ? pre[p] : 0, i, &s);
		size_t lo, hi;
		extra_range(g, n, &lo, &hi);
		for (; lo < hi && !err; lo++)
			err = semi_step(&f, g->extra[lo].from < g->count ? pre[g->extra[lo].from] : 0, i, &s);
		if (is_root(roots, n))
			s = 0; /* the virtual root refers to it */
		vertex[i] = s;
		least[i] = s;
		ancestor[i] = parent_of(g, pre, n, i);
	}
	dom_u32_vector_deinit(&f.path);
	return err;
}

/*
 * Retained sizes, per node: in units of 8 bytes while a size is such a
 * multiple below 32 G, otherwise BIG with the bytes in a map of its own
 * (few nodes retain that much).
 */
enum { BIG = UINT32_MAX };

static uint64_t hash_node(uint32_t n)
{
	return (uint64_t)n * 0x9e3779b97f4a7c15ull;
}

static uint64_t *big_slot(const struct clrsos_domtree *t, uint32_t n)
{
	if (!t->big_cap)
		return NULL;
	for (size_t k = hash_node(n) >> 40 & (t->big_cap - 1);; k = (k + 1) & (t->big_cap - 1)) {
		if (t->big_key[k] == n)
			return &t->big_value[k];
		if (t->big_key[k] == UINT32_MAX)
			return NULL;
	}
}

static uint64_t get_retained(const struct clrsos_domtree *t, uint32_t n)
{
	if (t->retained[n] != BIG)
		return (uint64_t)t->retained[n] * 8;
	uint64_t *v = big_slot(t, n);
	return v ? *v : 0;
}

static bool big_insert(uint32_t *keys, uint64_t *values, size_t cap, uint32_t n, uint64_t bytes)
{
	for (size_t k = hash_node(n) >> 40 & (cap - 1);; k = (k + 1) & (cap - 1)) {
		if (keys[k] == n || keys[k] == UINT32_MAX) {
			keys[k] = n;
			values[k] = bytes;
			return true;
		}
	}
}

static struct clrsos_error *put_retained(struct clrsos_domtree *t, uint32_t n, uint64_t bytes)
{
	if (bytes % 8 == 0 && bytes / 8 < BIG) {
		t->retained[n] = (uint32_t)(bytes / 8);
		return NULL;
	}
	uint64_t *v = t->retained[n] == BIG ? big_slot(t, n) : NULL;
	if (v) {
		*v = bytes;
		return NULL;
	}
	if ((t->big_count + 1) * 2 > t->big_cap) {
		size_t cap = t->big_cap ? t->big_cap * 2 : 64;
		uint32_t *keys = malloc(cap * sizeof(*keys));
		uint64_t *values = malloc(cap * sizeof(*values));
		if (!keys || !values) {
			free(keys);
			free(values);
			return &clrsos_error_no_memory;
		}
		memset(keys, 0xff, cap * sizeof(*keys));
		for (size_t k = 0; k < t->big_cap; k++) {
			if (t->big_key[k] != UINT32_MAX)
				big_insert(keys, values, cap, t->big_key[k], t->big_value[k]);
		}
		free(t->big_key);
		free(t->big_value);
		t->big_key = keys;
		t->big_value = values;
		t->big_cap = cap;
	}
	big_insert(t->big_key, t->big_value, t->big_cap, n, bytes);
	t->big_count++;
	t->retained[n] = BIG;
	return NULL;
}

static void count_bytes(struct clrsos_domtree *t)
{
	t->stats.bytes = (uint64_t)t->count * 2 * sizeof(uint32_t) + ((uint64_t)t->reached + 1) * sizeof(uint32_t) +
			 (uint64_t)t->big_cap * (sizeof(uint32_t) + sizeof(uint64_t));
}

/*
 * vertex[] from the search's preorder to the dominator tree's: each node's
 * dominator comes before it in the search's, so its subtree's size is
 * summed last number first, and its place handed out first number first
 * (slot[n]: n's subtree size, then the next free place in it). The
 * children of a node keep the search's order.
 */
static struct clrsos_error *tree_preorder(struct clrsos_domtree *t, struct clrsos_watch *watch)
{
	uint32_t *slot = alloc_array(t->count, sizeof(uint32_t));
	uint32_t *order = alloc_array((size_t)t->reached + 1, sizeof(uint32_t));
	struct clrsos_error *err = NULL;
	if (!slot || !order) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (uint32_t i = t->reached; i >= 1; i--) {
		uint32_t n = t->vertex[i], d = t->idom[n];
		slot[n]++;
		if (d != CLRSOS_DOM_ROOT)
			slot[d] += slot[n];
	}
	uint32_t next = 1; /* under the virtual root */
	for (uint32_t i = 1; i <= t->reached; i++) {
		if ((err = clrsos_watch_tick(watch)))
			goto out;
		uint32_t n = t->vertex[i], d = t->idom[n];
		uint32_t *at = d == CLRSOS_DOM_ROOT ? &next : &slot[d];
		uint32_t p = *at;
		*at += slot[n];
		order[p] = n;
		slot[n] = p + 1;
	}
	free(t->vertex);
	t->vertex = order;
	order = NULL;
out:
	free(slot);
	free(order);
	return err;
}

struct clrsos_error *clrsos_domtree_create(const struct clrsos_dom_graph *g, struct clrsos_domtree **ret)
{
	*ret = NULL;
	if (g->preds->count != g->count)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "a dominator tree of %u nodes given %u rows of predecessors",
					   (unsigned)g->count, (unsigned)g->preds->count);
	if (g->count > MAX_NODES)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "more than %u live objects: too many for a dominator tree",
					   (unsigned)MAX_NODES);
	struct clrsos_domtree *t = calloc(1, sizeof(*t));
	if (!t)
		return &clrsos_error_no_memory;
	t->count = g->count;
	uint32_t *pre = NULL, *semi = NULL, *least = NULL;
	uint8_t *roots = NULL;
	struct clrsos_error *err = NULL;
	pre = alloc_array(g->count, sizeof(uint32_t));
	roots = alloc_array(g->count / 8 + 1, 1);
	if (!pre || !roots) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (size_t r = 0; r < g->nroots; r++) {
		if (g->roots[r] < g->count)
			roots[g->roots[r] >> 3] |= (uint8_t)(1u << (g->roots[r] & 7));
	}
	/* The search, on successor rows freed right after it. */
	struct successors succ = {0};
	if (!(err = turn_around(g, &succ)))
		err = search(g, &succ, pre, &t->reached);
	free(succ.first);
	free(succ.to);
	if (err)
		goto out;
	t->stats.reached = t->reached;
	/*
	 * Semidominators: semi[] first holds number -> node, then each
	 * number's semidominator; the forest's links (t->idom, until the
	 * immediate dominators replace them) and least[] by number.
	 */
	size_t r1 = (size_t)t->reached + 1;
	semi = alloc_array(r1, sizeof(uint32_t));
	t->idom = alloc_array(r1, sizeof(uint32_t));
	least = alloc_array(r1, sizeof(uint32_t));
	if (!semi || !t->idom || !least) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (uint32_t n = 0; n < g->count; n++) {
		if (pre[n])
			semi[pre[n]] = n;
	}
	if ((err = semidominators(g, pre, t->reached, semi, t->idom, least, roots)))
		goto out;
	free(least);
	least = NULL;
	if (!(t->vertex = alloc_array(r1, sizeof(uint32_t)))) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (uint32_t n = 0; n < g->count; n++) {
		if (pre[n])
			t->vertex[pre[n]] = n;
	}
	/*
	 * Each immediate dominator, first number first: the nearest ancestor
	 * of the node's parent (found again) whose number is not above its
	 * semidominator's. t->idom[d] for d below i is already final.
	 */
	t->idom[0] = 0;
	for (uint32_t i = 1; i <= t->reached; i++) {
		if ((err = clrsos_watch_tick(g->watch)))
			goto out;
		uint32_t d = parent_of(g, pre, t->vertex[i], i);
		while (d > semi[i])
			d = t->idom[d];
		t->idom[i] = d;
	}
	free(semi);
	semi = NULL;
	/* By node from here on: pre[] becomes each node's immediate dominator, a node. */
	for (uint32_t n = 0; n < g->count; n++) {
		if (!pre[n]) {
			pre[n] = UNREACHED;
			continue;
		}
		uint32_t d = t->idom[pre[n]];
		pre[n] = d ? t->vertex[d] : CLRSOS_DOM_ROOT;
	}
	free(t->idom);
	t->idom = pre;
	pre = NULL;
	if ((err = tree_preorder(t, g->watch)))
		goto out;
	if (!(t->retained = alloc_array(g->count, sizeof(uint32_t)))) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	count_bytes(t);
out:
	free(pre);
	free(semi);
	free(least);
	free(roots);
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
	free(t->idom);
	free(t->vertex);
	free(t->retained);
	free(t->big_key);
	free(t->big_value);
	free(t);
}

bool clrsos_domtree_reached(const struct clrsos_domtree *t, uint32_t n)
{
	return n < t->count && t->idom[n] != UNREACHED;
}

uint32_t clrsos_domtree_idom(const struct clrsos_domtree *t, uint32_t n)
{
	return clrsos_domtree_reached(t, n) ? t->idom[n] : CLRSOS_DOM_ROOT;
}

struct clrsos_error *clrsos_domtree_set_size(struct clrsos_domtree *t, uint32_t n, uint64_t size)
{
	if (!clrsos_domtree_reached(t, n))
		return NULL;
	t->total += size;
	return put_retained(t, n, size);
}

struct clrsos_error *clrsos_domtree_accumulate(struct clrsos_domtree *t)
{
	/* Every node's number is above its dominator's: add each to it, last first. */
	struct clrsos_error *err = NULL;
	for (uint32_t i = t->reached; i >= 1 && !err; i--) {
		uint32_t n = t->vertex[i], d = t->idom[n];
		if (d == CLRSOS_DOM_ROOT)
			continue;
		if (t->retained[n] != BIG && t->retained[d] != BIG &&
		    (uint64_t)t->retained[d] + t->retained[n] < BIG)
			t->retained[d] += t->retained[n];
		else
			err = put_retained(t, d, get_retained(t, d) + get_retained(t, n));
	}
	count_bytes(t);
	return err;
}

uint64_t clrsos_domtree_retained(const struct clrsos_domtree *t, uint32_t n)
{
	return clrsos_domtree_reached(t, n) ? get_retained(t, n) : 0;
}

uint64_t clrsos_domtree_total(const struct clrsos_domtree *t)
{
	return t->total;
}

/* Where node n lies in preorder (it is reached). */
static uint32_t number_of(const struct clrsos_domtree *t, uint32_t n)
{
	for (uint32_t i = 1; i <= t->reached; i++) {
		if (t->vertex[i] == n)
			return i;
	}
	return 0;
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
	uint32_t top = root ? 0 : number_of(t, n);
	/*
	 * What n dominates is the run right after it in the tree's preorder:
	 * it ends at the first node whose dominator is not n or under n. By
	 * node: level 1 + depth below n (saturating), 0 not under n; count:
	 * nodes it retains. The virtual root's are kept apart.
	 */
	uint8_t *level = calloc(t->count ? t->count : 1, 1);
	uint32_t *count = calloc(t->count ? t->count : 1, sizeof(uint32_t));
	if (!level || !count) {
		free(level);
		free(count);
		return &clrsos_error_no_memory;
	}
	uint32_t top_count = 1;
	if (!root)
		level[n] = 1;
	size_t listed = 0;
	uint32_t end = top + 1;
	for (; end <= t->reached; end++) {
		uint32_t m = t->vertex[end], d = t->idom[m];
		unsigned l = d == CLRSOS_DOM_ROOT ? (root ? 1 : 0) : level[d];
		if (!l)
			break;
		level[m] = (uint8_t)(l < 255 ? l + 1 : 255);
		count[m] = 1;
		if (level[m] - 1u <= depth)
			listed++;
	}
	for (uint32_t k = end - 1; k > top; k--) {
		uint32_t m = t->vertex[k], d = t->idom[m];
		if (d == CLRSOS_DOM_ROOT)
			top_count += count[m];
		else
			count[d] += count[m];
	}
	if (!root)
		top_count = count[n] + 1;
	struct clrsos_dom_node *nodes = calloc(listed ? listed : 1, sizeof(*nodes));
	if (!nodes) {
		free(level);
		free(count);
		return &clrsos_error_no_memory;
	}
	size_t i = 0;
	for (uint32_t k = top + 1; k < end && i < listed; k++) {
		uint32_t m = t->vertex[k];
		if (level[m] - 1u > depth)
			continue;
		nodes[i++] = (struct clrsos_dom_node){
			.node = m,
			.idom = t->idom[m],
			.level = level[m] - 1u,
			.retained = get_retained(t, m),
			.count = count[m],
		};
	}
	*ret_total = root ? top_count - 1 : top_count; /* the virtual root is no node */
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
	uint32_t *open = calloc(ngroups ? ngroups : 1, sizeof(uint32_t)); /* per group: its nodes on the path */
	if (!open)
		return &clrsos_error_no_memory;
	/*
	 * Down the tree in its preorder, the path from the virtual root on a
	 * stack: before a node, the path is cut back to its dominator. A node
	 * is counted when no node of its group is open above it.
	 */
	struct dom_u32_vector path;
	dom_u32_vector_init(&path);
	struct clrsos_error *err = NULL;
	for (uint32_t k = 1; k <= t->reached && !err; k++) {
		uint32_t m = t->vertex[k], d = t->idom[m];
		while (path.count && (d == CLRSOS_DOM_ROOT || path.items[path.count - 1] != d)) {
			uint32_t g = group[*dom_u32_vector_pop(&path)];
			if (g < ngroups)
				open[g]--;
		}
		uint32_t g = group[m];
		if (g < ngroups && !open[g]++)
			ret_bytes[g] += get_retained(t, m);
		err = dom_u32_vector_push(&path, m);
	}
	dom_u32_vector_deinit(&path);
	free(open);
	return err;
}

const struct clrsos_domtree_stats *clrsos_domtree_stats(const struct clrsos_domtree *t)
{
	return &t->stats;
}
