/*
 * ephrefs and ephtoloh: SOS's commands of those names (analysis/ephrefs.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "analysis/ephrefs.h"

/* SOS's words for a generation (ClrMD's Generation, as the tables show it). */
static const char *generation_word(enum clrsos_generation g)
{
	switch (g) {
	case CLRSOS_GEN0: return "Generation0";
	case CLRSOS_GEN1: return "Generation1";
	case CLRSOS_GEN2: return "Generation2";
	case CLRSOS_GEN_LOH: return "Large";
	case CLRSOS_GEN_POH: return "Pinned";
	case CLRSOS_GEN_FROZEN: return "Frozen";
	default: return "Unknown";
	}
}

static void walk_note(const struct clrsos_walk_result *walk, struct clrsos_writer *out)
{
	if (walk->problem_count)
		clrsos_outf(out, "Note: the heap walk met %" PRIu64 " damaged places and skipped %" PRIu64
			    " bytes (verifyheap lists them); references from there are not counted.\n",
			    walk->problem_count, walk->skipped_bytes);
}

static void walk_json(struct clrsos_json *j, const struct clrsos_walk_result *walk)
{
	clrsos_json_key(j, "problemCount");
	clrsos_json_uint(j, walk->problem_count);
}

static void ephrefs_text(struct clrsos_heap *heap, const struct clrsos_ephrefs *r, struct clrsos_writer *out)
{
	struct clrsos_types *types = clrsos_heap_types(heap);
	const struct clrsos_ephref *last = NULL;
	for (size_t i = 0; i < r->count; i++) {
		const struct clrsos_ephref *e = &r->rows[i];
		if (!last || last->object_generation != e->object_generation ||
		    last->reference_generation != e->reference_generation) {
			if (last)
				clrsos_out(out, "\n");
			clrsos_outf(out, "References from %s to %s:\n\n", clrsos_generation_name(e->object_generation),
				    clrsos_generation_name(e->reference_generation));
			clrsos_outf(out, "%16s %16s %10s %12s %12s %10s %10s %s\n", "Object", "MethodTable", "Size",
				    "Obj Gen", "Ref Gen", "Obj Count", "Obj Size", "Type");
		}
		last = e;
		struct clrsos_name_buf nb;
		clrsos_outf(out, "%016" PRIx64 " %016" PRIx64 " %10" PRIu64 " %12s %12s %10" PRIu64 " %10" PRIu64 " %s\n",
			    e->object, e->type->mt, e->size, generation_word(e->object_generation),
			    generation_word(e->reference_generation), e->count, e->ref_size,
			    clrsos_safe_name(clrsos_types_name(types, e->type), &nb));
	}
	if (r->count)
		clrsos_out(out, "\n");
	char objects[32], referenced[32], bytes[32];
	clrsos_format_thousands(r->count, objects, sizeof(objects));
	clrsos_format_thousands(r->referenced, referenced, sizeof(referenced));
	clrsos_format_thousands(r->referenced_bytes, bytes, sizeof(bytes));
	clrsos_outf(out, "%s older generation objects referenced %s younger objects (%s bytes)\n", objects, referenced,
		    bytes);
	walk_note(&r->walk, out);
}

static void ephrefs_json(struct clrsos_heap *heap, const struct clrsos_ephrefs *r, struct clrsos_writer *out)
{
	struct clrsos_types *types = clrsos_heap_types(heap);
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "objects");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		const struct clrsos_ephref *e = &r->rows[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, e->object);
		clrsos_json_key(&j, "mt");
		clrsos_json_address(&j, e->type->mt);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, clrsos_types_name(types, e->type));
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, e->size);
		clrsos_json_key(&j, "generation");
		clrsos_json_string(&j, clrsos_generation_name(e->object_generation));
		clrsos_json_key(&j, "referenceGeneration");
		clrsos_json_string(&j, clrsos_generation_name(e->reference_generation));
		clrsos_json_key(&j, "referenceCount");
		clrsos_json_uint(&j, e->count);
		clrsos_json_key(&j, "referenceSize");
		clrsos_json_uint(&j, e->ref_size);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "count");
	clrsos_json_uint(&j, r->count);
	clrsos_json_key(&j, "referenced");
	clrsos_json_uint(&j, r->referenced);
	clrsos_json_key(&j, "referencedBytes");
	clrsos_json_uint(&j, r->referenced_bytes);
	walk_json(&j, &r->walk);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_ephrefs(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("ephrefs", host, argc, argv, &json);
	struct clrsos_heap *heap;
	if (err || (err = clrsos_session_heap(session, &heap)))
		return err;
	struct clrsos_ephrefs r;
	if ((err = clrsos_ephrefs_init(&r, heap)))
		return clrsos_error_wrap(err, "ephrefs");
	if (json)
		ephrefs_json(heap, &r, out);
	else
		ephrefs_text(heap, &r, out);
	clrsos_ephrefs_deinit(&r);
	return NULL;
}

static void link_row(struct clrsos_types *types, const struct clrsos_link *l, const struct clrsos_link *next,
		     struct clrsos_writer *out)
{
	struct clrsos_name_buf a, b, c;
	if (next)
		clrsos_outf(out, "%016" PRIx64 " %-64s %016" PRIx64 " %-64s %016" PRIx64 " %s\n", l->from,
			    clrsos_safe_name(clrsos_types_name(types, l->from_type), &a), l->to,
			    clrsos_safe_name(clrsos_types_name(types, l->to_type), &b), next->to,
			    clrsos_safe_name(clrsos_types_name(types, next->to_type), &c));
	else
		clrsos_outf(out, "%016" PRIx64 " %-64s %016" PRIx64 " %s\n", l->from,
			    clrsos_safe_name(clrsos_types_name(types, l->from_type), &a), l->to,
			    clrsos_safe_name(clrsos_types_name(types, l->to_type), &b));
}

/* The first link from `from` (links sorted by from), or NULL. */
static const struct clrsos_link *first_from(const struct clrsos_link *links, size_t n, uint64_t from)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (links[mid].from < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && links[lo].from == from ? &links[lo] : NULL;
}

static void links_text(struct clrsos_types *types, const struct clrsos_link *links, size_t n, const char *title,
		       const char *none, struct clrsos_writer *out)
{
	if (!n) {
		clrsos_outf(out, "%s\n", none);
		return;
	}
	clrsos_outf(out, "%s\n\n", title);
	clrsos_outf(out, "%16s %-64s %16s %s\n", "Ephemeral", "Ephemeral Type", "Large Object", "Large Object Type");
	for (size_t i = 0; i < n; i++)
		link_row(types, &links[i], NULL, out);
	clrsos_out(out, "\n");
}

static void ephtoloh_text(struct clrsos_heap *heap, const struct clrsos_ephtoloh *r, struct clrsos_writer *out)
{
	struct clrsos_types *types = clrsos_heap_types(heap);
	links_text(types, r->to_large, r->nto_large, "Ephemeral objects pointing to the Large objects:",
		   "No Ephemeral objects pointing to the Large objects.", out);
	links_text(types, r->from_large, r->nfrom_large, "Large objects pointing to Ephemeral objects:",
		   "No Large objects pointing to Ephemeral objects.", out);
	if (r->nto_large && r->nfrom_large) {
		bool any = false;
		for (size_t i = 0; i < r->nto_large; i++) {
			const struct clrsos_link *next = first_from(r->from_large, r->nfrom_large, r->to_large[i].to);
			if (!next)
				continue;
			if (!any)
				clrsos_out(out, "Ephemeral objects which point to Large objects which point to Ephemeral "
						"objects:\n\n");
			any = true;
			link_row(types, &r->to_large[i], next, out);
		}
		clrsos_out(out, any ? "\n" : "No Ephemeral objects which point to Large objects which point to "
					     "Ephemeral objects.\n");
	}
	walk_note(&r->walk, out);
}

static void links_json(struct clrsos_json *j, struct clrsos_types *types, const char *key,
		       const struct clrsos_link *links, size_t n)
{
	clrsos_json_key(j, key);
	clrsos_json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "from");
		clrsos_json_address(j, links[i].from);
		clrsos_json_key(j, "fromType");
		clrsos_json_string(j, clrsos_types_name(types, links[i].from_type));
		clrsos_json_key(j, "to");
		clrsos_json_address(j, links[i].to);
		clrsos_json_key(j, "toType");
		clrsos_json_string(j, clrsos_types_name(types, links[i].to_type));
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}

static void ephtoloh_json(struct clrsos_heap *heap, const struct clrsos_ephtoloh *r, struct clrsos_writer *out)
{
	struct clrsos_types *types = clrsos_heap_types(heap);
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	links_json(&j, types, "ephemeralToLarge", r->to_large, r->nto_large);
	links_json(&j, types, "largeToEphemeral", r->from_large, r->nfrom_large);
	clrsos_json_key(&j, "chains");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nto_large; i++) {
		const struct clrsos_link *next = first_from(r->from_large, r->nfrom_large, r->to_large[i].to);
		if (!next)
			continue;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "ephemeral");
		clrsos_json_address(&j, r->to_large[i].from);
		clrsos_json_key(&j, "large");
		clrsos_json_address(&j, r->to_large[i].to);
		clrsos_json_key(&j, "then");
		clrsos_json_address(&j, next->to);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	walk_json(&j, &r->walk);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_ephtoloh(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("ephtoloh", host, argc, argv, &json);
	struct clrsos_heap *heap;
	if (err || (err = clrsos_session_heap(session, &heap)))
		return err;
	struct clrsos_ephtoloh r;
	if ((err = clrsos_ephtoloh_init(&r, heap)))
		return clrsos_error_wrap(err, "ephtoloh");
	if (json)
		ephtoloh_json(heap, &r, out);
	else
		ephtoloh_text(heap, &r, out);
	clrsos_ephtoloh_deinit(&r);
	return NULL;
}
