/*
 * gcwhere: SOS's GCWhere. Which GC heap, segment (or region) and
 * generation an address lies in: in a segment's objects, its committed
 * memory past them, or its reserved memory past that ("reserve"). An
 * address in no segment is an answer, not an error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "model/heap.h"

struct gcwhere_options {
	bool json, have;
	uint64_t address;
};

struct gcwhere_row {
	const struct clrsos_segment *segment;
	const char *generation; /* SOS's word: 0, 1, 2, large, pinned, frozen, reserve */
};

static struct clrsos_error *address_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct gcwhere_options *o = ctx;
	struct clrsos_error *err = clrsos_address_operand("gcwhere", host, arg, &o->have, &o->address);
	return err ? clrsos_error_wrap(err, "gcwhere") : NULL;
}

static const char *generation_word(enum clrsos_generation gen)
{
	switch (gen) {
	case CLRSOS_GEN0: return "0";
	case CLRSOS_GEN1: return "1";
	case CLRSOS_GEN2: return "2";
	case CLRSOS_GEN_LOH: return "large";
	case CLRSOS_GEN_POH: return "pinned";
	case CLRSOS_GEN_FROZEN: return "frozen";
	default: return "???";
	}
}

/* The segments holding address (one, unless the layout is inconsistent), by heap then address. */
static size_t find(struct clrsos_heap *heap, uint64_t address, struct gcwhere_row *rows, size_t max)
{
	const struct clrsos_gc *gc = clrsos_heap_gc(heap);
	size_t n = 0;
	for (size_t i = 0; i < gc->nsegments && n < max; i++) {
		const struct clrsos_segment *s = &gc->segments[i];
		bool objects = address >= s->start && address < s->end;
		bool committed = address >= s->committed_start && address < s->committed_end;
		bool reserved = address >= s->committed_end && address < s->reserved_end;
		if (!objects && !committed && !reserved)
			continue;
		rows[n].segment = s;
		rows[n].generation = reserved && !objects ? "reserve"
				     : generation_word(clrsos_heap_generation_of(heap, s, address));
		n++;
	}
	for (size_t i = 1; i < n; i++) {
		for (size_t k = i; k > 0; k--) {
			const struct clrsos_segment *a = rows[k - 1].segment, *b = rows[k].segment;
			if (a->heap < b->heap || (a->heap == b->heap && a->address <= b->address))
				break;
			struct gcwhere_row t = rows[k];
			rows[k] = rows[k - 1];
			rows[k - 1] = t;
		}
	}
	return n;
}

static void render_text(uint64_t address, const struct gcwhere_row *rows, size_t n, struct clrsos_writer *out)
{
	if (!n) {
		clrsos_outf(out, "Address %" PRIx64 " not found in the managed heap.\n", address);
		return;
	}
	clrsos_outf(out, "%-12s %-6s %-12s %-10s %-25s %-25s %s\n", "Address", "Heap", "Segment", "Generation",
		    "Allocated", "Committed", "Reserved");
	for (size_t i = 0; i < n; i++) {
		const struct clrsos_segment *s = rows[i].segment;
		char alloc[48], comm[48], resv[48];
		snprintf(alloc, sizeof(alloc), "%" PRIx64 "-%" PRIx64, s->start, s->end);
		snprintf(comm, sizeof(comm), "%" PRIx64 "-%" PRIx64, s->committed_start, s->committed_end);
		snprintf(resv, sizeof(resv), "%" PRIx64 "-%" PRIx64, s->committed_end, s->reserved_end);
		clrsos_outf(out, "%012" PRIx64 " %-6u %012" PRIx64 " %-10s %-25s %-25s %s\n", address, s->heap,
			    s->address, rows[i].generation, alloc, comm, resv);
	}
}

static void render_json(uint64_t address, const struct gcwhere_row *rows, size_t n, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "address");
	clrsos_json_address(&j, address);
	clrsos_json_key(&j, "found");
	clrsos_json_bool(&j, n > 0);
	clrsos_json_key(&j, "segments");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		const struct clrsos_segment *s = rows[i].segment;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "heap");
		clrsos_json_uint(&j, s->heap);
		clrsos_json_key(&j, "segment");
		clrsos_json_address(&j, s->address);
		clrsos_json_key(&j, "kind");
		clrsos_json_string(&j, clrsos_segment_kind_name(s->kind));
		clrsos_json_key(&j, "generation");
		clrsos_json_string(&j, rows[i].generation);
		clrsos_json_key(&j, "begin");
		clrsos_json_address(&j, s->start);
		clrsos_json_key(&j, "allocated");
		clrsos_json_address(&j, s->end);
		clrsos_json_key(&j, "committedBegin");
		clrsos_json_address(&j, s->committed_start);
		clrsos_json_key(&j, "committed");
		clrsos_json_address(&j, s->committed_end);
		clrsos_json_key(&j, "reserved");
		clrsos_json_address(&j, s->reserved_end);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

enum { MAX_ROWS = 16 };

struct clrsos_error *clrsos_cmd_gcwhere(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct gcwhere_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
	};
	const struct clrsos_options spec = {
		.command = "gcwhere",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1, /* a second address is refused by address_operand */
		.operand = address_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o.have)
		err = clrsos_address_missing("gcwhere", "a place in the GC heap");
	if (err)
		return err;
	struct clrsos_heap *heap;
	if ((err = clrsos_session_heap(session, &heap)))
		return err;
	struct gcwhere_row rows[MAX_ROWS];
	size_t n = find(heap, o.address, rows, MAX_ROWS);
	if (o.json)
		render_json(o.address, rows, n, out);
	else
		render_text(o.address, rows, n, out);
	return NULL;
}
