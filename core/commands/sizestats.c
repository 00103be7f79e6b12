/*
 * sizestats: SOS's SizeStats. For each generation (0, 1, 2, large, then
 * pinned and frozen when the heap has them), how many objects there are of
 * each size (rounded up to 8), smallest first, with the size and count of
 * all the smaller ones before each row; then the same of the free space
 * (Free objects) of generations 0, 1, 2, large and pinned. One heap walk.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "commands.h"
#include "model/heap.h"

CLRSOS_HASHMAP(size_counts, uint64_t, uint64_t, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

struct size_row {
	uint64_t size, count;
};

/* One table: a generation's objects, or its free space. */
struct bucket {
	struct size_counts map;
	struct size_row *rows; /* sorted by size, after the walk */
	size_t nrows;
};

struct sizestats {
	struct bucket b[CLRSOS_GEN_COUNT][2]; /* [generation][free] */
	bool has_pinned, has_frozen, oom;
};

static bool on_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct sizestats *s = ctx;
	if (obj->generation >= CLRSOS_GEN_COUNT)
		return true;
	uint64_t size = (obj->size + 7) & ~(uint64_t)7;
	struct bucket *b = &s->b[obj->generation][obj->type && obj->type->is_free];
	struct size_counts_entry *e;
	if (!size || size_counts_insert(&b->map, size, &e, NULL)) {
		s->oom = size != 0;
		return !s->oom;
	}
	e->value++;
	return true;
}

static int cmp_row(const void *a, const void *b)
{
	const struct size_row *x = a, *y = b;
	return x->size < y->size ? -1 : x->size > y->size;
}

static const char *gen_word(enum clrsos_generation g)
{
	static const char *const words[] = {"generation0", "generation1", "generation2", "large", "pinned", "frozen"};
	return g < CLRSOS_GEN_COUNT ? words[g] : "?";
}

/* The tables in SOS's order. */
static size_t tables(const struct sizestats *s, enum clrsos_generation *gens, bool *frees)
{
	size_t n = 0;
	for (int g = CLRSOS_GEN0; g <= CLRSOS_GEN_FROZEN; g++) {
		if ((g == CLRSOS_GEN_POH && !s->has_pinned) || (g == CLRSOS_GEN_FROZEN && !s->has_frozen))
			continue;
		gens[n] = (enum clrsos_generation)g;
		frees[n++] = false;
	}
	for (int g = CLRSOS_GEN0; g <= CLRSOS_GEN_POH; g++) {
		if (g == CLRSOS_GEN_POH && !s->has_pinned)
			continue;
		gens[n] = (enum clrsos_generation)g;
		frees[n++] = true;
	}
	return n;
}

static void render_text(const struct sizestats *s, struct clrsos_writer *out)
{
	enum clrsos_generation gens[16];
	bool frees[16];
	size_t n = tables(s, gens, frees);
	for (size_t t = 0; t < n; t++) {
		const struct bucket *b = &s->b[gens[t]][frees[t]];
		clrsos_outf(out, "Size Statistics for %s %sobjects\n\n", gen_word(gens[t]), frees[t] ? "free " : "");
		if (!b->nrows)
			clrsos_out(out, "(none)\n");
		else
			clrsos_outf(out, "%14s %14s %15s %16s\n", "Size", "Count", "Cumulative Size", "Cumulative Count");
		uint64_t cum_size = 0, cum_count = 0;
		for (size_t i = 0; i < b->nrows; i++) {
			char sz[32], ct[32], cs[32], cc[32];
			clrsos_format_thousands(b->rows[i].size, sz, sizeof(sz));
			clrsos_format_thousands(b->rows[i].count, ct, sizeof(ct));
			clrsos_format_thousands(cum_size, cs, sizeof(cs));
			clrsos_format_thousands(cum_count, cc, sizeof(cc));
			clrsos_outf(out, "%14s %14s %15s %16s\n", sz, ct, cs, cc);
			cum_size += b->rows[i].size * b->rows[i].count;
			cum_count += b->rows[i].count;
		}
		clrsos_out(out, "\n");
	}
}

static void render_json(const struct sizestats *s, struct clrsos_writer *out)
{
	enum clrsos_generation gens[16];
	bool frees[16];
	size_t n = tables(s, gens, frees);
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "tables");
	clrsos_json_array_begin(&j);
	for (size_t t = 0; t < n; t++) {
		const struct bucket *b = &s->b[gens[t]][frees[t]];
		uint64_t objects = 0, bytes = 0;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "generation");
		clrsos_json_string(&j, clrsos_generation_name(gens[t]));
		clrsos_json_key(&j, "free");
		clrsos_json_bool(&j, frees[t]);
		clrsos_json_key(&j, "sizes");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < b->nrows; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "size");
			clrsos_json_uint(&j, b->rows[i].size);
			clrsos_json_key(&j, "count");
			clrsos_json_uint(&j, b->rows[i].count);
			clrsos_json_object_end(&j);
			objects += b->rows[i].count;
			bytes += b->rows[i].count * b->rows[i].size;
		}
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "objects");
		clrsos_json_uint(&j, objects);
		clrsos_json_key(&j, "bytes");
		clrsos_json_uint(&j, bytes);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_sizestats(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("sizestats", host, argc, argv, &json);
	if (err)
		return err;
	struct clrsos_heap *heap;
	if ((err = clrsos_session_heap(session, &heap)))
		return err;
	struct sizestats *s = calloc(1, sizeof(*s));
	if (!s)
		return &clrsos_error_no_memory;
	const struct clrsos_gc *gc = clrsos_heap_gc(heap);
	for (size_t i = 0; i < gc->nsegments; i++) {
		s->has_pinned |= gc->segments[i].kind == CLRSOS_SEGMENT_PINNED;
		s->has_frozen |= gc->segments[i].kind == CLRSOS_SEGMENT_FROZEN;
	}
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_walk_result wr;
	err = clrsos_heap_walk(heap, &filter, on_object, s, NULL, NULL, &wr);
	if (!err && s->oom)
		err = &clrsos_error_no_memory;
	for (int g = 0; g < CLRSOS_GEN_COUNT && !err; g++) {
		for (int f = 0; f < 2 && !err; f++) {
			struct bucket *b = &s->b[g][f];
			if (!b->map.count)
				continue;
			if (!(b->rows = malloc(b->map.count * sizeof(*b->rows)))) {
				err = &clrsos_error_no_memory;
				break;
			}
			for (struct size_counts_entry *e = size_counts_first(&b->map); e; e = size_counts_next(&b->map, e))
				b->rows[b->nrows++] = (struct size_row){e->key, e->value};
			qsort(b->rows, b->nrows, sizeof(*b->rows), cmp_row);
		}
	}
	if (!err) {
		if (json)
			render_json(s, out);
		else
			render_text(s, out);
	}
	for (int g = 0; g < CLRSOS_GEN_COUNT; g++) {
		for (int f = 0; f < 2; f++) {
			size_counts_deinit(&s->b[g][f].map);
			free(s->b[g][f].rows);
		}
	}
	free(s);
	return err;
}
