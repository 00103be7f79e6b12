/*
 * Dominators (core/analysis/dominators.h): known shapes (a chain, a
 * diamond, a cycle under one root, two roots sharing an object, a
 * dependent handle's edge), and random graphs checked against the
 * definition (d dominates n when n cannot be reached from the roots with d
 * removed), retained sizes against a sum over what each node dominates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/dominators.h"
#include "tests.h"

struct edge {
	uint32_t from, to;
};

/* A graph built from an edge list: predecessor rows and a successor callback. */
struct graph {
	uint32_t count;
	struct edge *edges; /* object references */
	size_t nedges;
	struct clrsos_dom_edge *extra; /* dependent edges, sorted by to */
	size_t nextra;
	uint32_t *roots;
	size_t nroots;
	uint32_t *first, *from;
	struct clrsos_rows preds; /* first[] and from[], packed (first[] taken over) */
	struct clrsos_dom_graph dom;
};

static int by_to(const void *a, const void *b)
{
	const struct clrsos_dom_edge *x = a, *y = b;
	return x->to < y->to ? -1 : x->to > y->to;
}

static void graph_build(struct graph *g)
{
	g->first = calloc(g->count + 1, sizeof(uint32_t));
	g->from = calloc(g->nedges + 1, sizeof(uint32_t));
	assert_non_null(g->first);
	assert_non_null(g->from);
	for (size_t e = 0; e < g->nedges; e++)
		g->first[g->edges[e].to + 1]++;
	for (uint32_t n = 0; n < g->count; n++)
		g->first[n + 1] += g->first[n];
	uint32_t *fill = calloc(g->count + 1, sizeof(uint32_t));
	assert_non_null(fill);
	memcpy(fill, g->first, (g->count + 1) * sizeof(uint32_t));
	for (size_t e = 0; e < g->nedges; e++)
		g->from[fill[g->edges[e].to]++] = g->edges[e].from;
	free(fill);
	if (g->nextra)
		qsort(g->extra, g->nextra, sizeof(*g->extra), by_to);
	assert_null(clrsos_rows_pack(&g->preds, g->count, &g->first, g->from));
	assert_null(g->first);
	g->dom = (struct clrsos_dom_graph){
		.count = g->count, .preds = &g->preds, .extra = g->extra, .nextra = g->nextra,
		.roots = g->roots, .nroots = g->nroots,
	};
}

static void graph_free(struct graph *g)
{
	free(g->first);
	free(g->from);
	clrsos_rows_deinit(&g->preds);
}

static struct clrsos_domtree *tree_of(struct graph *g)
{
	graph_build(g);
	struct clrsos_domtree *t = NULL;
	assert_null(clrsos_domtree_create(&g->dom, &t));
	assert_non_null(t);
	return t;
}

/* Nodes reachable from the roots without passing through skip (UINT32_MAX: none). */
static void reach_without(const struct graph *g, uint32_t skip, uint8_t *seen)
{
	memset(seen, 0, g->count);
	uint32_t *stack = malloc((g->count + g->nroots + 1) * sizeof(uint32_t));
	assert_non_null(stack);
	size_t top = 0;
	for (size_t r = 0; r < g->nroots; r++)
		if (g->roots[r] != skip && !seen[g->roots[r]]) {
			seen[g->roots[r]] = 1;
			stack[top++] = g->roots[r];
		}
	while (top) {
		uint32_t n = stack[--top];
		for (size_t e = 0; e < g->nedges + g->nextra; e++) {
			uint32_t from = e < g->nedges ? g->edges[e].from : g->extra[e - g->nedges].from;
			uint32_t to = e < g->nedges ? g->edges[e].to : g->extra[e - g->nedges].to;
			if (from == n && to != skip && !seen[to]) {
				seen[to] = 1;
				stack[top++] = to;
			}
		}
	}
	free(stack);
}

static void test_dominators__chain_and_diamond(void **state)
{
	(void)state;
	/* 0 -> 1 -> 2 -> {3, 4} -> 5 (a diamond under a chain); 6 unreachable. */
	struct edge edges[] = {{0, 1}, {1, 2}, {2, 3}, {2, 4}, {3, 5}, {4, 5}};
	uint32_t roots[] = {0};
	struct graph g = {.count = 7, .edges = edges, .nedges = 6, .roots = roots, .nroots = 1};
	struct clrsos_domtree *t = tree_of(&g);
	assert_int_equal(clrsos_domtree_idom(t, 0), CLRSOS_DOM_ROOT);
	assert_int_equal(clrsos_domtree_idom(t, 1), 0);
	assert_int_equal(clrsos_domtree_idom(t, 2), 1);
	assert_int_equal(clrsos_domtree_idom(t, 3), 2);
	assert_int_equal(clrsos_domtree_idom(t, 4), 2);
	assert_int_equal(clrsos_domtree_idom(t, 5), 2); /* neither side of the diamond */
	assert_false(clrsos_domtree_reached(t, 6));
	for (uint32_t n = 0; n < 7; n++)
		assert_null(clrsos_domtree_set_size(t, n, 10u << n));
	assert_null(clrsos_domtree_accumulate(t));
	assert_int_equal(clrsos_domtree_retained(t, 5), 320);
	assert_int_equal(clrsos_domtree_retained(t, 3), 80);
	assert_int_equal(clrsos_domtree_retained(t, 2), 40 + 80 + 160 + 320);
	assert_int_equal(clrsos_domtree_retained(t, 0), 10 + 20 + 600);
	assert_int_equal(clrsos_domtree_total(t), 630);
	assert_int_equal(clrsos_domtree_retained(t, 6), 0);
	assert_int_equal(clrsos_domtree_stats(t)->reached, 6);
	/* What 1 dominates: 2 one level down, 3, 4 and 5 two levels down. */
	struct clrsos_dom_node *below;
	size_t nbelow;
	uint64_t retains;
	assert_null(clrsos_domtree_dominated(t, 1, 1, &below, &nbelow, &retains));
	assert_int_equal(retains, 5);
	assert_int_equal(nbelow, 1);
	assert_int_equal(below[0].node, 2);
	assert_int_equal(below[0].idom, 1);
	assert_int_equal(below[0].level, 1);
	assert_int_equal(below[0].count, 4);
	assert_int_equal(below[0].retained, 600);
	free(below);
	assert_null(clrsos_domtree_dominated(t, 1, 2, &below, &nbelow, &retains));
	assert_int_equal(nbelow, 4);
	for (size_t i = 1; i < nbelow; i++) {
		assert_int_equal(below[i].idom, 2);
		assert_int_equal(below[i].level, 2);
		assert_int_equal(below[i].count, 1);
	}
	free(below);
	/* Under the virtual root: 0, the only root, then 1. */
	assert_null(clrsos_domtree_dominated(t, CLRSOS_DOM_ROOT, 2, &below, &nbelow, &retains));
	assert_int_equal(retains, 6);
	assert_int_equal(nbelow, 2);
	assert_int_equal(below[0].node, 0);
	assert_int_equal(below[0].idom, CLRSOS_DOM_ROOT);
	assert_int_equal(below[0].count, 6);
	assert_int_equal(below[0].retained, 630);
	assert_int_equal(below[1].node, 1);
	assert_int_equal(below[1].level, 2);
	free(below);
	assert_null(clrsos_domtree_dominated(t, 6, 2, &below, &nbelow, &retains));
	assert_int_equal(nbelow, 0);
	assert_int_equal(retains, 0);
	free(below);
	clrsos_domtree_destroy(t);
	graph_free(&g);
}

static void test_dominators__cycle_shared_and_dependent(void **state)
{
	(void)state;
	/*
	 * Root 0 holds a cycle 1 -> 2 -> 3 -> 1; roots 4 and 5 both hold 6
	 * (dominated by neither); 7 is a dependent handle's secondary, its
	 * primary 3; a second root reference to 0 changes nothing.
	 */
	struct edge edges[] = {{0, 1}, {1, 2}, {2, 3}, {3, 1}, {4, 6}, {5, 6}};
	struct clrsos_dom_edge extra[] = {{.to = 7, .from = 3}};
	uint32_t roots[] = {0, 4, 5, 0};
	struct graph g = {.count = 8, .edges = edges, .nedges = 6, .extra = extra, .nextra = 1, .roots = roots,
			  .nroots = 4};
	struct clrsos_domtree *t = tree_of(&g);
	assert_int_equal(clrsos_domtree_idom(t, 1), 0);
	assert_int_equal(clrsos_domtree_idom(t, 2), 1);
	assert_int_equal(clrsos_domtree_idom(t, 3), 2);
	assert_int_equal(clrsos_domtree_idom(t, 6), CLRSOS_DOM_ROOT);
	assert_int_equal(clrsos_domtree_idom(t, 7), 3);
	for (uint32_t n = 0; n < 8; n++)
		assert_null(clrsos_domtree_set_size(t, n, 24));
	assert_null(clrsos_domtree_accumulate(t));
	assert_int_equal(clrsos_domtree_retained(t, 0), 5 * 24);
	assert_int_equal(clrsos_domtree_retained(t, 4), 24);
	assert_int_equal(clrsos_domtree_total(t), 8 * 24);
	clrsos_domtree_destroy(t);
	graph_free(&g);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t below)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % below);
}

/*
 * What n dominates, every level down: exactly the nodes it dominates, each
 * once, its level the number of their dominators from n down, its count
 * the nodes it dominates and itself.
 */
static void check_dominated(const struct clrsos_domtree *t, uint32_t n, uint32_t count, const uint8_t *dominated)
{
	struct clrsos_dom_node *below;
	size_t nbelow;
	uint64_t retains;
	assert_null(clrsos_domtree_dominated(t, n, 254, &below, &nbelow, &retains));
	size_t want = 0;
	for (uint32_t m = 0; m < count; m++)
		want += dominated[(size_t)n * count + m];
	assert_int_equal(nbelow, want);
	assert_int_equal(retains, want + 1);
	uint8_t *seen = calloc(count, 1);
	assert_non_null(seen);
	for (size_t i = 0; i < nbelow; i++) {
		uint32_t m = below[i].node;
		assert_true(m < count && dominated[(size_t)n * count + m] && !seen[m]);
		seen[m] = 1;
		unsigned level = 0;
		for (uint32_t d = 0; d < count; d++)
			level += dominated[(size_t)n * count + d] && dominated[(size_t)d * count + m];
		assert_int_equal(below[i].level, level + 1);
		uint64_t retained = 1;
		for (uint32_t d = 0; d < count; d++)
			retained += dominated[(size_t)m * count + d];
		assert_int_equal(below[i].count, retained);
	}
	free(seen);
	free(below);
}

static void test_dominators__random_graphs_match_the_definition(void **state)
{
	(void)state;
	for (int round = 0; round < 300; round++) {
		uint32_t count = 2 + rnd(40);
		size_t nedges = rnd(count * 3);
		struct edge *edges = malloc((nedges + 1) * sizeof(*edges));
		assert_non_null(edges);
		for (size_t e = 0; e < nedges; e++) {
			/* Mostly forward, like a heap's trees, with back and cross edges. */
			uint32_t a = rnd(count), b = rnd(4) ? a + 1 + rnd(3) : rnd(count);
			edges[e] = (struct edge){a, b % count};
		}
		size_t nextra = rnd(3);
		struct clrsos_dom_edge extra[3];
		for (size_t e = 0; e < nextra; e++)
			extra[e] = (struct clrsos_dom_edge){.to = rnd(count), .from = rnd(count)};
		uint32_t roots[4];
		size_t nroots = 1 + rnd(4);
		for (size_t r = 0; r < nroots; r++)
			roots[r] = rnd(count);
		struct graph g = {.count = count, .edges = edges, .nedges = nedges, .extra = extra, .nextra = nextra,
				  .roots = roots, .nroots = nroots};
		struct clrsos_domtree *t = tree_of(&g);
		uint8_t *all = malloc(count), *without = malloc(count);
		assert_non_null(all);
		assert_non_null(without);
		reach_without(&g, UINT32_MAX, all);
		/* dominated[d][n]: d dominates n (n reached, d != n). */
		uint8_t *dominated = calloc((size_t)count * count, 1);
		assert_non_null(dominated);
		for (uint32_t d = 0; d < count; d++) {
			reach_without(&g, d, without);
			for (uint32_t n = 0; n < count; n++)
				dominated[(size_t)d * count + n] = all[n] && all[d] && n != d && !without[n];
		}
		for (uint32_t n = 0; n < count; n++) {
			assert_int_equal(clrsos_domtree_reached(t, n), all[n] != 0);
			if (!all[n])
				continue;
			/* The immediate dominator: dominates n, and every other dominator of n dominates it. */
			uint32_t id = clrsos_domtree_idom(t, n);
			for (uint32_t d = 0; d < count; d++) {
				if (!dominated[(size_t)d * count + n] || d == id)
					continue;
				assert_true(id != CLRSOS_DOM_ROOT);
				assert_true(dominated[(size_t)d * count + id]);
			}
			if (id != CLRSOS_DOM_ROOT)
				assert_true(dominated[(size_t)id * count + n]);
			assert_null(clrsos_domtree_set_size(t, n, 8 + n));
		}
		assert_null(clrsos_domtree_accumulate(t));
		/*
		 * By group (n % 4, group 3 being none of the 3): a node counts
		 * once, under the topmost node of its group that dominates it, or
		 * itself.
		 */
		uint32_t *group = malloc(count * sizeof(uint32_t));
		assert_non_null(group);
		for (uint32_t n = 0; n < count; n++)
			group[n] = n % 4;
		uint64_t by_group[3], want_group[3] = {0, 0, 0};
		assert_null(clrsos_domtree_group_retained(t, group, 3, by_group));
		for (uint32_t n = 0; n < count; n++) {
			if (!all[n])
				continue;
			/* Counted in each group that has a node dominating n (or n itself). */
			bool in[4] = {false, false, false, false};
			in[n % 4] = true;
			for (uint32_t d = 0; d < count; d++)
				if (dominated[(size_t)d * count + n])
					in[d % 4] = true;
			for (int k = 0; k < 3; k++)
				if (in[k])
					want_group[k] += 8 + n;
		}
		for (int k = 0; k < 3; k++)
			assert_int_equal(by_group[k], want_group[k]);
		free(group);
		uint64_t total = 0;
		for (uint32_t n = 0; n < count; n++) {
			if (!all[n])
				continue;
			total += 8 + n;
			uint64_t want = 8 + n;
			for (uint32_t m = 0; m < count; m++)
				if (dominated[(size_t)n * count + m])
					want += 8 + m;
			assert_int_equal(clrsos_domtree_retained(t, n), want);
			check_dominated(t, n, count, dominated);
		}
		assert_int_equal(clrsos_domtree_total(t), total);
		free(dominated);
		free(all);
		free(without);
		clrsos_domtree_destroy(t);
		graph_free(&g);
		free(edges);
	}
}

static void test_dominators__long_chain_without_recursion(void **state)
{
	(void)state;
	/* A linked list of 200 000 with a back edge from its end to its head. */
	uint32_t count = 200000;
	struct edge *edges = malloc(count * sizeof(*edges));
	assert_non_null(edges);
	for (uint32_t n = 0; n + 1 < count; n++)
		edges[n] = (struct edge){n, n + 1};
	edges[count - 1] = (struct edge){count - 1, 0};
	uint32_t roots[] = {0};
	struct graph g = {.count = count, .edges = edges, .nedges = count, .roots = roots, .nroots = 1};
	graph_build(&g);
	struct clrsos_domtree *t = NULL;
	assert_null(clrsos_domtree_create(&g.dom, &t));
	assert_int_equal(clrsos_domtree_idom(t, count - 1), count - 2);
	assert_int_equal(clrsos_domtree_idom(t, 1), 0);
	for (uint32_t n = 0; n < count; n++)
		assert_null(clrsos_domtree_set_size(t, n, 1));
	assert_null(clrsos_domtree_accumulate(t));
	assert_int_equal(clrsos_domtree_retained(t, 0), count);
	assert_int_equal(clrsos_domtree_retained(t, count / 2), count - count / 2);
	/* Groups down the chain's whole depth: 0, 1, 0, 1, ...: each group's topmost node holds the rest. */
	uint32_t *group = malloc(count * sizeof(uint32_t));
	assert_non_null(group);
	for (uint32_t n = 0; n < count; n++)
		group[n] = n % 2;
	uint64_t by_group[2];
	assert_null(clrsos_domtree_group_retained(t, group, 2, by_group));
	assert_int_equal(by_group[0], count);
	assert_int_equal(by_group[1], count - 1);
	free(group);
	clrsos_domtree_destroy(t);
	graph_free(&g);
	free(edges);
}

static void test_dominators__rows_for_another_count_refused(void **state)
{
	(void)state;
	/* 0 -> 1 -> 2, given as a graph of 2 nodes: an error, no tree. */
	struct edge edges[] = {{0, 1}, {1, 2}};
	uint32_t roots[] = {0};
	struct graph g = {.count = 3, .edges = edges, .nedges = 2, .roots = roots, .nroots = 1};
	graph_build(&g);
	g.dom.count = 2;
	struct clrsos_domtree *t = NULL;
	struct clrsos_error *err = clrsos_domtree_create(&g.dom, &t);
	assert_non_null(err);
	assert_null(t);
	assert_non_null(strstr(err->message, "2 nodes given 3 rows"));
	clrsos_error_destroy(err);
	graph_free(&g);
}

static void test_dominators__sizes_beyond_32_gb(void **state)
{
	(void)state;
	/* 0 -> 1 -> 2 -> 3, 0 -> 4: sizes kept in units of 8 bytes below 32 G, exactly above. */
	struct edge edges[] = {{0, 1}, {1, 2}, {2, 3}, {0, 4}};
	uint32_t roots[] = {0};
	struct graph g = {.count = 5, .edges = edges, .nedges = 4, .roots = roots, .nroots = 1};
	struct clrsos_domtree *t = tree_of(&g);
	uint64_t gb = 1ull << 30;
	uint64_t sizes[] = {24, 20 * gb, 20 * gb + 8, 32 * gb - 16, 7};
	for (uint32_t n = 0; n < 5; n++)
		assert_null(clrsos_domtree_set_size(t, n, sizes[n]));
	assert_null(clrsos_domtree_accumulate(t));
	assert_int_equal(clrsos_domtree_retained(t, 3), 32 * gb - 16);
	assert_int_equal(clrsos_domtree_retained(t, 2), 52 * gb - 8);
	assert_int_equal(clrsos_domtree_retained(t, 1), 72 * gb - 8);
	assert_int_equal(clrsos_domtree_retained(t, 4), 7);
	assert_int_equal(clrsos_domtree_retained(t, 0), 72 * gb - 8 + 24 + 7);
	assert_int_equal(clrsos_domtree_total(t), 72 * gb - 8 + 24 + 7);
	clrsos_domtree_destroy(t);
	graph_free(&g);
	/* Many nodes above 32 G: the map grows and keeps each. */
	enum { N = 1000 };
	struct edge *chain = calloc(N, sizeof(*chain));
	assert_non_null(chain);
	for (uint32_t n = 0; n + 1 < N; n++)
		chain[n] = (struct edge){n, n + 1};
	struct graph h = {.count = N, .edges = chain, .nedges = N - 1, .roots = roots, .nroots = 1};
	t = tree_of(&h);
	for (uint32_t n = 0; n < N; n++)
		assert_null(clrsos_domtree_set_size(t, n, 40 * gb + 8 * n));
	assert_null(clrsos_domtree_accumulate(t));
	for (uint32_t n = 0; n < N; n++) {
		uint64_t want = 0;
		for (uint32_t m = n; m < N; m++)
			want += 40 * gb + 8 * m;
		assert_int_equal(clrsos_domtree_retained(t, n), want);
	}
	clrsos_domtree_destroy(t);
	graph_free(&h);
	free(chain);
}

int run_dominators_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dominators__chain_and_diamond),
		cmocka_unit_test(test_dominators__cycle_shared_and_dependent),
		cmocka_unit_test(test_dominators__random_graphs_match_the_definition),
		cmocka_unit_test(test_dominators__long_chain_without_recursion),
		cmocka_unit_test(test_dominators__sizes_beyond_32_gb),
		cmocka_unit_test(test_dominators__rows_for_another_count_refused),
	};
	return cmocka_run_group_tests_name("dominators", tests, NULL, NULL);
}
