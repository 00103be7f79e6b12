/*
 * Collections: see collections.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/collections.h"
#include "model/fields.h"
#include "model/types.h"
#include "target/target.h"
#include "base/watch.h"

enum {
	OBJECT_DATA = 8,           /* an object's fields start past its MethodTable word */
	ARRAY_LENGTH = 8,          /* an array's length (32 bits) */
	ARRAY_DATA = 16,           /* its first element */
	MAX_CACHED_TYPES = 16,
	MAX_BUCKETS = 1 << 30,     /* more than any dictionary the runtime can grow */
	MAX_ITEMS = 1u << 31,      /* an int counts a collection's items */
	CHUNK_ELEMENTS = 8192,     /* elements read at once */
};

struct cached_fields {
	uint64_t mt;
	struct clrsos_fields fields;
};

/* What one enumeration needs: the heap, the DAC for field lists, a cache of them. */
struct reader {
	struct clrsos_heap *heap;
	struct clrsos_types *types;
	struct clrsos_target *target;
	struct clrsos_dac *dac;
	struct clrsos_watch *watch;
	const char *command;
	struct cached_fields cache[MAX_CACHED_TYPES];
	size_t ncache;
	struct clrsos_collection *c;
	size_t capacity;
};

static void reader_deinit(struct reader *r)
{
	for (size_t i = 0; i < r->ncache; i++)
		clrsos_fields_deinit(&r->cache[i].fields);
}

static struct clrsos_error *fields_of(struct reader *r, uint64_t mt, const struct clrsos_fields **ret)
{
	for (size_t i = 0; i < r->ncache; i++) {
		if (r->cache[i].mt == mt) {
			*ret = &r->cache[i].fields;
			return NULL;
		}
	}
	if (r->ncache == MAX_CACHED_TYPES) {
		clrsos_fields_deinit(&r->cache[0].fields);
		memmove(&r->cache[0], &r->cache[1], sizeof(r->cache[0]) * (MAX_CACHED_TYPES - 1));
		r->ncache--;
	}
	struct cached_fields *slot = &r->cache[r->ncache];
	struct clrsos_error *err = clrsos_fields_init(r->dac, r->types, mt, &slot->fields);
	if (err)
		return clrsos_error_wrap(err, "the fields of MethodTable %" PRIx64, mt);
	slot->mt = mt;
	r->ncache++;
	*ret = &slot->fields;
	return NULL;
}

/* The instance field name of mt; an error naming the type when it has none. */
static struct clrsos_error *field(struct reader *r, uint64_t mt, const char *name, const struct clrsos_field **ret)
{
	const struct clrsos_fields *fields = NULL;
	struct clrsos_error *err = fields_of(r, mt, &fields);
	if (err)
		return err;
	for (size_t i = 0; i < fields->count; i++) {
		const struct clrsos_field *f = &fields->items[i];
		if (!f->is_static && strcmp(f->name, name) == 0) {
			*ret = f;
			return NULL;
		}
	}
	const struct clrsos_type *t = clrsos_types_get(r->types, mt);
	return clrsos_error_create(CLRSOS_ERROR_OTHER,
				   "%s has no field %s: this runtime lays the collection out differently, and %s "
				   "cannot read it (dumpobj shows its fields)",
				   t ? clrsos_types_name(r->types, t) : "the type", name, r->command);
}

/* The type of the object at address, checked to be one; NULL with an error otherwise. */
static struct clrsos_error *object_type(struct reader *r, uint64_t address, const char *what,
					const struct clrsos_type **ret)
{
	struct clrsos_error *err = clrsos_heap_object_at(r->heap, address, ret, NULL);
	if (!err)
		return NULL;
	if (clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "%s at %" PRIx64 " is not a valid object: the collection "
				   "is damaged or was being changed when the process stopped", what, address);
}

static struct clrsos_error *read_ref(struct reader *r, uint64_t address, uint64_t *ret)
{
	return clrsos_target_read_u64(r->target, address, ret);
}

static uint64_t load(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n); /* little-endian targets only, as everywhere in clrsos */
	return v;
}

/*
 * A float or double as C# prints it: the shortest digits that read back
 * the same, written out positionally unless the exponent is below -4 or
 * reaches 17 (9 for a float); then as 1.5E+17.
 */
static void copy_text(char *buf, size_t size, const char *text)
{
	size_t n = strlen(text);
	if (n >= size)
		n = size - 1;
	memcpy(buf, text, n);
	buf[n] = 0;
}

static void format_real(double v, bool single, char *buf, size_t size)
{
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, "%s", v < 0 ? "-Infinity" : "Infinity");
		return;
	}
	int max_digits = single ? 9 : 17, digits = 1;
	char e[32];
	for (; digits < max_digits; digits++) {
		snprintf(e, sizeof(e), "%.*e", digits - 1, v);
		double back = strtod(e, NULL);
		if (single ? (float)back == (float)v : back == v)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", digits - 1, v); /* [-]d[.ddd]e[+-]xx */
	const char *x = strchr(e, 'e');
	if (!x) {
		copy_text(buf, size, e);
		return;
	}
	int exponent = atoi(x + 1);
	if (exponent < -4 || exponent >= (single ? 9 : 17)) {
		snprintf(buf, size, "%.*sE%c%02d", (int)(x - e), e, exponent < 0 ? '-' : '+', abs(exponent));
		return;
	}
	/* The significant digits, without sign or point, then placed. */
	char d[24];
	size_t nd = 0;
	const char *p = e;
	bool negative = *p == '-';
	for (p += negative; p < x && nd < sizeof(d) - 1; p++) {
		if (*p != '.')
			d[nd++] = *p;
	}
	while (nd > 1 && d[nd - 1] == '0')
		nd--;
	size_t o = 0;
	char out[64];
	if (negative)
		out[o++] = '-';
	if (exponent < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -exponent - 1; i++)
			out[o++] = '0';
		for (size_t i = 0; i < nd; i++)
			out[o++] = d[i];
	} else {
		for (int i = 0; i <= exponent; i++)
			out[o++] = (size_t)i < nd ? d[i] : '0';
		if (nd > (size_t)exponent + 1) {
			out[o++] = '.';
			for (size_t i = (size_t)exponent + 1; i < nd; i++)
				out[o++] = d[i];
		}
	}
	out[o] = 0;
	copy_text(buf, size, out);
}

/* A primitive's value as C# prints it; false if the element type is no primitive. */
static bool format_primitive(uint32_t et, const uint8_t *p, char *buf, size_t size)
{
	switch (et) {
	case CLRSOS_ELEMENT_BOOLEAN:
		snprintf(buf, size, "%s", p[0] ? "True" : "False");
		return true;
	case CLRSOS_ELEMENT_CHAR: {
		uint32_t c = (uint32_t)load(p, 2);
		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			snprintf(buf, size, "'%c'", (char)c);
		else
			snprintf(buf, size, "'\\u%04X'", c);
		return true;
	}
	case CLRSOS_ELEMENT_I1: snprintf(buf, size, "%d", (int8_t)p[0]); return true;
	case CLRSOS_ELEMENT_U1: snprintf(buf, size, "%u", p[0]); return true;
	case CLRSOS_ELEMENT_I2: snprintf(buf, size, "%d", (int16_t)load(p, 2)); return true;
	case CLRSOS_ELEMENT_U2: snprintf(buf, size, "%u", (unsigned)load(p, 2)); return true;
	case CLRSOS_ELEMENT_I4: snprintf(buf, size, "%" PRId32, (int32_t)load(p, 4)); return true;
	case CLRSOS_ELEMENT_U4: snprintf(buf, size, "%" PRIu32, (uint32_t)load(p, 4)); return true;
	case CLRSOS_ELEMENT_I8:
	case CLRSOS_ELEMENT_I: snprintf(buf, size, "%" PRId64, (int64_t)load(p, 8)); return true;
	case CLRSOS_ELEMENT_U8:
	case CLRSOS_ELEMENT_U: snprintf(buf, size, "%" PRIu64, load(p, 8)); return true;
	case CLRSOS_ELEMENT_R4: {
		float f;
		memcpy(&f, p, 4);
		format_real(f, true, buf, size);
		return true;
	}
	case CLRSOS_ELEMENT_R8: {
		double d;
		memcpy(&d, p, 8);
		format_real(d, false, buf, size);
		return true;
	}
	default:
		return false;
	}
}

/* Describe the value of field f stored at address, whose bytes are at p. */
static struct clrsos_error *describe(struct reader *r, const struct clrsos_field *f, uint64_t address,
				     const uint8_t *p, struct clrsos_item *item)
{
	memset(item, 0, sizeof(*item));
	item->address = address;
	if (f->element_type == CLRSOS_ELEMENT_VALUETYPE) {
		item->mt = f->type_mt;
		item->kind = f->type_mt ? CLRSOS_ITEM_STRUCT : CLRSOS_ITEM_UNKNOWN;
		return NULL;
	}
	if (clrsos_element_is_value(f->element_type)) {
		item->kind = format_primitive(f->element_type, p, item->text, sizeof(item->text)) ? CLRSOS_ITEM_VALUE
												 : CLRSOS_ITEM_UNKNOWN;
		return NULL;
	}
	uint64_t ref = load(p, 8);
	if (!ref) {
		item->kind = CLRSOS_ITEM_NULL;
		return NULL;
	}
	item->address = ref;
	const struct clrsos_type *t;
	struct clrsos_error *err = clrsos_heap_object_at(r->heap, ref, &t, NULL);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		item->kind = CLRSOS_ITEM_UNKNOWN;
		return NULL;
	}
	item->mt = t->mt;
	if (t->is_string) {
		item->kind = CLRSOS_ITEM_STRING;
		err = clrsos_string_text_init(&item->string, r->heap, ref, CLRSOS_ITEM_STRING_KEPT);
		if (err) {
			if (clrsos_error_is_no_memory(err))
				return err;
			clrsos_error_destroy(err);
			item->kind = CLRSOS_ITEM_UNKNOWN;
		}
		return NULL;
	}
	item->kind = t->is_array ? CLRSOS_ITEM_ARRAY : CLRSOS_ITEM_OBJECT;
	return NULL;
}

/* Room for one more item (and key). */
static struct clrsos_error *grow(struct reader *r)
{
	struct clrsos_collection *c = r->c;
	if (c->count < r->capacity)
		return NULL;
	if (c->count >= MAX_ITEMS)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the collection at %" PRIx64 " holds more than %u "
					   "items, more than it can: it is damaged", c->address, MAX_ITEMS);
	size_t n = r->capacity ? r->capacity * 2 : 64;
	struct clrsos_item *items = realloc(c->items, n * sizeof(*items));
	if (!items)
		return &clrsos_error_no_memory;
	c->items = items;
	if (c->is_dictionary) {
		struct clrsos_item *keys = realloc(c->keys, n * sizeof(*keys));
		if (!keys)
			return &clrsos_error_no_memory;
		c->keys = keys;
	}
	r->capacity = n;
	return NULL;
}

/* The collection's object: it must be one, of the type named by prefix. */
static struct clrsos_error *start(struct reader *r, struct clrsos_collection *c, struct clrsos_heap *heap,
				  struct clrsos_dac *dac, uint64_t address, const char *prefix, const char *kind,
				  const struct clrsos_type **ret)
{
	memset(c, 0, sizeof(*c));
	memset(r, 0, sizeof(*r));
	c->address = address;
	r->heap = heap;
	r->types = clrsos_heap_types(heap);
	r->target = clrsos_heap_target(heap);
	r->dac = dac;
	r->watch = clrsos_heap_watch(heap);
	r->c = c;
	const struct clrsos_type *t;
	struct clrsos_error *err = clrsos_heap_object_at(heap, address, &t, NULL);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%016" PRIx64 " is not referencing an object "
					   "(dumpheap -type %s finds them)", address, kind);
	}
	c->type_name = clrsos_types_name(r->types, t);
	if (strncmp(c->type_name, prefix, strlen(prefix)) != 0) {
		struct clrsos_name_buf nb;
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%016" PRIx64 " is not a %s but an instance "
					   "of %s", address, kind, clrsos_safe_name(c->type_name, &nb));
	}
	*ret = t;
	return NULL;
}

/* Whether p has come round again in a chain being followed (Brent's cycle check). */
struct cycle {
	uint64_t saved;
	uint64_t steps, power;
};

static bool cycle_seen(struct cycle *cy, uint64_t p)
{
	if (p == cy->saved)
		return true;
	if (++cy->steps == cy->power) {
		cy->saved = p;
		cy->power *= 2;
		cy->steps = 0;
	}
	return false;
}

/* The bytes of the object at address (its base size, at most size). */
static struct clrsos_error *read_object(struct reader *r, uint64_t address, const struct clrsos_type *t,
					uint8_t *buf, size_t size)
{
	if (t->base_size > size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the object at %" PRIx64 " is larger than %s expects "
					   "(%u bytes)", address, r->command, t->base_size);
	return clrsos_target_read(r->target, address, buf, t->base_size);
}

/* Whether a field of this element type lies within an object of base size. */
static struct clrsos_error *check_within(const struct clrsos_field *f, const struct clrsos_type *t, size_t width)
{
	if ((uint64_t)OBJECT_DATA + f->offset + width > t->base_size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "field %s lies past its object's end: the type's "
					   "layout is not understood", f->name);
	return NULL;
}

static size_t value_width(const struct clrsos_field *f)
{
	size_t w = clrsos_element_size(f->element_type);
	return w ? w : 8;
}

enum { NODE_BYTES = 4096 };

/* One chain of Nodes from head. */
static struct clrsos_error *dictionary_chain(struct reader *r, uint64_t head)
{
	struct clrsos_collection *c = r->c;
	struct cycle cy = {0, 0, 1};
	uint8_t node[NODE_BYTES];
	for (uint64_t p = head; p; ) {
		if (cycle_seen(&cy, p))
			return clrsos_error_create(CLRSOS_ERROR_OTHER, "the chain of nodes at %" PRIx64 " comes back to "
						   "itself: the dictionary is damaged", head);
		struct clrsos_error *err = r->watch ? clrsos_watch_tick(r->watch) : NULL;
		if (err)
			return err;
		const struct clrsos_type *t;
		if ((err = object_type(r, p, "a node", &t)))
			return err;
		const struct clrsos_field *fk, *fv, *fn;
		if ((err = field(r, t->mt, "_key", &fk)) || (err = field(r, t->mt, "_value", &fv)) ||
		    (err = field(r, t->mt, "_next", &fn)))
			return err;
		if ((err = check_within(fk, t, value_width(fk))) || (err = check_within(fv, t, value_width(fv))) ||
		    (err = check_within(fn, t, 8)))
			return err;
		if ((err = read_object(r, p, t, node, sizeof(node))))
			return err;
		if ((err = grow(r)))
			return err;
		size_t k = OBJECT_DATA + fk->offset, v = OBJECT_DATA + fv->offset;
		if ((err = describe(r, fk, p + k, node + k, &c->keys[c->count])))
			return err;
		if ((err = describe(r, fv, p + v, node + v, &c->items[c->count]))) {
			clrsos_string_text_deinit(&c->keys[c->count].string);
			return err;
		}
		c->count++;
		p = load(node + OBJECT_DATA + fn->offset, 8);
	}
	return NULL;
}

/* An array's length and element size, checked against its object's size on the heap. */
static struct clrsos_error *array_shape(struct reader *r, uint64_t address, const char *what, uint64_t max,
					uint32_t *ret_length, uint32_t *ret_component)
{
	const struct clrsos_type *t;
	uint64_t size;
	struct clrsos_error *err = clrsos_heap_object_at(r->heap, address, &t, &size);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "%s at %" PRIx64 " is not a valid object: the collection "
					   "is damaged", what, address);
	}
	uint32_t length;
	if ((err = clrsos_target_read_u32(r->target, address + ARRAY_LENGTH, &length)))
		return err;
	if (!t->is_array || !t->component_size || length > max ||
	    ARRAY_DATA + (uint64_t)length * t->component_size > size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "%s at %" PRIx64 " is not the array it should be: the "
					   "collection is damaged", what, address);
	*ret_length = length;
	*ret_component = t->component_size;
	return NULL;
}

struct clrsos_error *clrsos_concurrent_dictionary_init(struct clrsos_collection *c, struct clrsos_heap *heap,
						       struct clrsos_dac *dac, uint64_t address)
{
	struct reader r;
	const struct clrsos_type *t;
	struct clrsos_error *err = start(&r, c, heap, dac, address, "System.Collections.Concurrent.ConcurrentDictionary<",
					 "ConcurrentDictionary", &t);
	r.command = "dcd";
	c->is_dictionary = true;
	const struct clrsos_field *f;
	uint64_t tables = 0, buckets = 0;
	if (!err && !(err = field(&r, t->mt, "_tables", &f)))
		err = read_ref(&r, address + OBJECT_DATA + f->offset, &tables);
	const struct clrsos_type *tt = NULL;
	if (!err && tables && !(err = object_type(&r, tables, "its tables", &tt)) &&
	    !(err = field(&r, tt->mt, "_buckets", &f)))
		err = read_ref(&r, tables + OBJECT_DATA + f->offset, &buckets);
	uint32_t length = 0, component = 0;
	if (!err && buckets && !(err = array_shape(&r, buckets, "its buckets", MAX_BUCKETS, &length, &component)) &&
	    component != 8)
		err = clrsos_error_create(CLRSOS_ERROR_OTHER, "the buckets at %" PRIx64 " hold %u-byte elements, not "
					  "references: this runtime's dictionary is not understood", buckets, component);
	uint64_t chunk[CHUNK_ELEMENTS];
	for (uint32_t i = 0; !err && i < length; i += CHUNK_ELEMENTS) {
		uint32_t n = length - i < CHUNK_ELEMENTS ? length - i : CHUNK_ELEMENTS;
		err = clrsos_target_read(r.target, buckets + ARRAY_DATA + (uint64_t)i * 8, chunk, (size_t)n * 8);
		for (uint32_t k = 0; !err && k < n; k++) {
			if (chunk[k])
				err = dictionary_chain(&r, chunk[k]);
		}
	}
	reader_deinit(&r);
	if (err) {
		clrsos_collection_deinit(c);
		return err;
	}
	return NULL;
}

/* One segment's items, from Head to Tail. */
static struct clrsos_error *queue_segment(struct reader *r, uint64_t segment, const struct clrsos_type *st,
					  uint64_t *ret_next)
{
	const struct clrsos_field *fslots, *fht, *ffrozen, *fnext, *fhead, *ftail, *fitem;
	struct clrsos_error *err;
	if ((err = field(r, st->mt, "_slots", &fslots)) || (err = field(r, st->mt, "_headAndTail", &fht)) ||
	    (err = field(r, st->mt, "_frozenForEnqueues", &ffrozen)) || (err = field(r, st->mt, "_nextSegment", &fnext)))
		return err;
	if (fht->element_type != CLRSOS_ELEMENT_VALUETYPE || !fht->type_mt)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the queue segment's _headAndTail is not the struct "
					   "dcq expects: this runtime's queue is not understood");
	if ((err = field(r, fht->type_mt, "Head", &fhead)) || (err = field(r, fht->type_mt, "Tail", &ftail)))
		return err;
	uint8_t seg[NODE_BYTES];
	if ((err = check_within(fslots, st, 8)) || (err = check_within(fnext, st, 8)) ||
	    (err = check_within(ffrozen, st, 1)) || (err = read_object(r, segment, st, seg, sizeof(seg))))
		return err;
	uint64_t ht = OBJECT_DATA + (uint64_t)fht->offset;
	if (ht + fhead->offset + 4 > st->base_size || ht + ftail->offset + 4 > st->base_size)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the queue segment's Head and Tail lie past its end: "
					   "this runtime's queue is not understood");
	int32_t head = (int32_t)load(seg + ht + fhead->offset, 4);
	int32_t tail = (int32_t)load(seg + ht + ftail->offset, 4);
	bool frozen = seg[OBJECT_DATA + ffrozen->offset] != 0;
	uint64_t slots = load(seg + OBJECT_DATA + fslots->offset, 8);
	*ret_next = load(seg + OBJECT_DATA + fnext->offset, 8);
	uint32_t length, component;
	if ((err = array_shape(r, slots, "a segment's slots", MAX_BUCKETS, &length, &component)))
		return err;
	struct clrsos_object_data od;
	if ((err = clrsos_object_data_read(r->dac, slots, &od)))
		return clrsos_error_wrap(err, "the slots at %" PRIx64, slots);
	if (!od.element_mt || (err = field(r, od.element_mt, "Item", &fitem)))
		return err ? err : clrsos_error_create(CLRSOS_ERROR_OTHER, "the runtime does not say what the slots at "
						       "%" PRIx64 " hold", slots);
	if (fitem->element_type != CLRSOS_ELEMENT_VALUETYPE && fitem->offset + value_width(fitem) > component)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "a slot's Item lies past the slot's end: this runtime's "
					   "queue is not understood");
	int64_t freeze = (int64_t)length * 2;
	int64_t end = frozen ? (int64_t)tail - freeze : tail;
	if (length == 0 || (length & (length - 1)) || head < 0 || end < head || end - head > (int64_t)length)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "the queue segment at %" PRIx64 " says Head %" PRId32
					   " and Tail %" PRId32 " for %u slots: it is damaged or was being changed when "
					   "the process stopped", segment, head, tail, length);
	uint8_t *buf = malloc((size_t)length * component);
	if (!buf)
		return &clrsos_error_no_memory;
	uint64_t data = slots + ARRAY_DATA;
	err = clrsos_target_read(r->target, data, buf, (size_t)length * component);
	for (int64_t pos = head; !err && pos < end; pos++) {
		uint64_t index = (uint64_t)pos & (length - 1);
		uint64_t at = index * component + fitem->offset;
		if (!(err = grow(r)) && !(err = r->watch ? clrsos_watch_tick(r->watch) : NULL)) {
			err = describe(r, fitem, data + at, buf + at, &r->c->items[r->c->count]);
			if (!err)
				r->c->count++;
		}
	}
	free(buf);
	return err;
}

struct clrsos_error *clrsos_concurrent_queue_init(struct clrsos_collection *c, struct clrsos_heap *heap,
						  struct clrsos_dac *dac, uint64_t address)
{
	struct reader r;
	const struct clrsos_type *t;
	struct clrsos_error *err = start(&r, c, heap, dac, address, "System.Collections.Concurrent.ConcurrentQueue<",
					 "ConcurrentQueue", &t);
	r.command = "dcq";
	const struct clrsos_field *f;
	uint64_t segment = 0;
	if (!err && !(err = field(&r, t->mt, "_head", &f)))
		err = read_ref(&r, address + OBJECT_DATA + f->offset, &segment);
	struct cycle cy = {0, 0, 1};
	while (!err && segment) {
		if (cycle_seen(&cy, segment)) {
			err = clrsos_error_create(CLRSOS_ERROR_OTHER, "the queue's segments come back to %" PRIx64
						  ": the queue is damaged", segment);
			break;
		}
		const struct clrsos_type *st;
		uint64_t next = 0;
		if (!(err = object_type(&r, segment, "a queue segment", &st)))
			err = queue_segment(&r, segment, st, &next);
		segment = next;
	}
	reader_deinit(&r);
	if (err) {
		clrsos_collection_deinit(c);
		return err;
	}
	return NULL;
}

void clrsos_collection_deinit(struct clrsos_collection *c)
{
	for (size_t i = 0; i < c->count; i++) {
		clrsos_string_text_deinit(&c->items[i].string);
		if (c->keys)
			clrsos_string_text_deinit(&c->keys[i].string);
	}
	free(c->items);
	free(c->keys);
	memset(c, 0, sizeof(*c));
}
