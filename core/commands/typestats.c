#include "typestats.h"

#include "base/vector.h"

#include <stdlib.h>
#include <string.h>

bool clrsos_typestats_add(struct clrsos_typestats *s, const struct clrsos_type *type, uint64_t size)
{
	return clrsos_typestats_add_gen(s, type, size, CLRSOS_GEN_COUNT);
}

/* Grows the index of slots to hold index i; false when out of memory. */
static bool reserve_index(struct clrsos_typestats *s, uint32_t i)
{
	if (i < s->nslot_of)
		return true;
	size_t n = s->nslot_of;
	if (clrsos_array_reserve(&s->slot_of, &s->nslot_of, (size_t)i + 1))
		return false;
	memset(s->slot_of + n, 0, (s->nslot_of - n) * sizeof(*s->slot_of));
	return true;
}

bool clrsos_typestats_add_gen(struct clrsos_typestats *s, const struct clrsos_type *type, uint64_t size,
			      enum clrsos_generation gen)
{
	struct clrsos_typestat *slot = s->last;
	if (!slot || slot->type != type) {
		if (!reserve_index(s, type->index))
			return false;
		uint32_t at = s->slot_of[type->index];
		if (at) {
			slot = &s->rows.entries[at - 1].value;
		} else {
			/* The first table holds 512 types. */
			size_t cap = s->rows.capacity;
			struct clrsos_typestat_map_entry *e;
			if ((!cap && clrsos_typestat_map_reserve(&s->rows, 512)) ||
			    clrsos_typestat_map_insert(&s->rows, type->mt, &e, NULL))
				return false;
			if (s->rows.capacity != cap) {
				/* Grown: every entry moved. */
				for (e = clrsos_typestat_map_first(&s->rows); e; e = clrsos_typestat_map_next(&s->rows, e))
					if (e->value.type)
						s->slot_of[e->value.type->index] = (uint32_t)(e - s->rows.entries) + 1;
				e = clrsos_typestat_map_find(&s->rows, type->mt);
			}
			slot = &e->value;
			slot->type = type;
			s->count = s->rows.count;
			s->slot_of[type->index] = (uint32_t)(e - s->rows.entries) + 1;
		}
		s->last = slot;
	}
	slot->count++;
	slot->size += size;
	if ((unsigned)gen < CLRSOS_GEN_COUNT) {
		slot->gen_count[gen]++;
		slot->gen_size[gen] += size;
	}
	s->total_count++;
	s->total_size += size;
	return true;
}

void clrsos_typestats_deinit(struct clrsos_typestats *s)
{
	clrsos_typestat_map_deinit(&s->rows);
	free(s->slot_of);
	memset(s, 0, sizeof(*s));
}

static int cmp_by_size(const void *a, const void *b)
{
	const struct clrsos_typestat *x = a, *y = b;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->count < y->count ? -1 : x->count > y->count;
}

static int cmp_by_count(const void *a, const void *b)
{
	const struct clrsos_typestat *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

struct clrsos_typestat *clrsos_typestats_sorted(const struct clrsos_typestats *s, bool by_count)
{
	struct clrsos_typestat *rows = malloc((s->count ? s->count : 1) * sizeof(*rows));
	if (!rows)
		return NULL;
	size_t n = 0;
	for (const struct clrsos_typestat_map_entry *e = clrsos_typestat_map_first(&s->rows); e;
	     e = clrsos_typestat_map_next(&s->rows, e))
		rows[n++] = e->value;
	qsort(rows, n, sizeof(*rows), by_count ? cmp_by_count : cmp_by_size);
	return rows;
}

void clrsos_typestats_name_rows(struct clrsos_typestat *rows, size_t count, struct clrsos_types *types)
{
	for (size_t i = 0; rows && i < count; i++)
		rows[i].name = clrsos_types_name(types, rows[i].type);
}

static const char *row_name(const struct clrsos_typestat *row, struct clrsos_types *types)
{
	return row->name ? row->name : clrsos_types_name(types, row->type);
}

static int width(uint64_t v)
{
	char buf[32];
	clrsos_format_thousands(v, buf, sizeof(buf));
	return (int)strlen(buf);
}

void clrsos_typestats_write_text(const struct clrsos_typestats *s, const struct clrsos_typestat *rows,
				 struct clrsos_types *types, struct clrsos_writer *w)
{
	if (!s->count || !rows)
		return;
	clrsos_out(w, "Statistics:\n");
	int cw = (int)strlen("Count"), sw = (int)strlen("TotalSize"), mw = 12;
	for (size_t i = 0; i < s->count; i++) {
		char mt[32];
		if (width(rows[i].count) > cw)
			cw = width(rows[i].count);
		if (width(rows[i].size) > sw)
			sw = width(rows[i].size);
		clrsos_format_pointer(rows[i].type->mt, mt, sizeof(mt));
		if ((int)strlen(mt) > mw)
			mw = (int)strlen(mt);
	}
	clrsos_outf(w, "%*s %*s %*s %s\n", mw, "MT", cw, "Count", sw, "TotalSize", "Class Name");
	for (size_t i = 0; i < s->count; i++) {
		char count[32], size[32], mt[32];
		clrsos_format_thousands(rows[i].count, count, sizeof(count));
		clrsos_format_thousands(rows[i].size, size, sizeof(size));
		clrsos_format_pointer(rows[i].type->mt, mt, sizeof(mt));
		struct clrsos_name_buf nb;
		clrsos_outf(w, "%*s %*s %*s %s\n", mw, mt, cw, count, sw, size,
			    clrsos_safe_name(row_name(&rows[i], types), &nb));
	}
	char count[32], size[32];
	clrsos_format_thousands(s->total_count, count, sizeof(count));
	clrsos_format_thousands(s->total_size, size, sizeof(size));
	clrsos_outf(w, "Total %s objects, %s bytes\n", count, size);
}

void clrsos_typestats_write_json(const struct clrsos_typestats *s, const struct clrsos_typestat *rows,
				 struct clrsos_types *types, struct clrsos_json *j)
{
	clrsos_json_key(j, "statistics");
	clrsos_json_array_begin(j);
	for (size_t i = 0; rows && i < s->count; i++) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "mt");
		clrsos_json_address(j, rows[i].type->mt);
		clrsos_json_key(j, "count");
		clrsos_json_uint(j, rows[i].count);
		clrsos_json_key(j, "totalSize");
		clrsos_json_uint(j, rows[i].size);
		clrsos_json_key(j, "type");
		clrsos_json_string(j, row_name(&rows[i], types));
		clrsos_json_object_end(j);
	}
	clrsos_json_array_end(j);
}
