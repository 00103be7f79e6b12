/*
 * inspect: leak suspects, found without hunting. Each check lists its
 * findings, most bytes first: what (a type, an object, a text), its bytes
 * (wasted, retained, or the objects' own size: each finding says which),
 * how it was found, and one command to follow it up.
 *
 * Checks (in this order): duplicate strings (the tally dumpheap -strings
 * makes, analysis/dupstrings.h), sparse and empty collections (List,
 * Dictionary, HashSet, Queue, Stack: their slots against their counts),
 * arrays of mostly null references, the finalization queue by type, pinned
 * objects and the free space around them and on the LOH, event-handler
 * leaks (invocation lists full of one target type) and large retainers (by
 * the dominator tree). All but the finalization queue share one walk of the
 * heap; a collection's or delegate's fields are found once per type (its
 * field list), then read from the walk's bytes or one memory read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dominators.h"
#include "analysis/dupstrings.h"
#include "analysis/referrers.h"
#include "base/vector.h"
#include "commands.h"
#include "fieldtable.h"
#include "model/fields.h"
#include "model/handletable.h"
#include "model/objects.h"
#include "model/roots.h"
#include "rootcmds.h"
#include "target/target.h"

enum check {
	CHECK_STRINGS,
	CHECK_COLLECTIONS,
	CHECK_ARRAYS,
	CHECK_FINALIZERS,
	CHECK_PINNED,
	CHECK_EVENTS,
	CHECK_RETAINERS,
	NCHECKS,
};

static const char *const check_names[NCHECKS] = {"strings", "collections", "arrays", "finalizers", "pinned",
						 "events", "retainers"};
static const char *const check_titles[NCHECKS] = {"Duplicate strings", "Sparse and empty collections",
						  "Arrays of mostly null references", "Finalizable objects",
						  "Pinned objects and fragmentation", "Event-handler leaks", "Large retainers"};

enum {
	DEFAULT_TOP = 10,
	PREVIEW_CHARS = 60,
	/* A collection is sparse when it has this many slots and uses at most half. */
	SPARSE_MIN_SLOTS = 16,
	/* An array of references is mostly null from this length, with at least this share of nulls. */
	NULL_ARRAY_MIN_LENGTH = 256,
	NULL_ARRAY_PERCENT = 90,
	OBJECT_DATA = 8,  /* an object's fields start past its MethodTable word */
	ARRAY_LENGTH = 8, /* an array's length (32 bits) */
	ARRAY_DATA = 16,  /* its first element */
	CHUNK_WORDS = 8192,
};

enum bytes_kind { BYTES_WASTED, BYTES_OWN, BYTES_RETAINED };

/* A retainer is large from this many retained bytes. */
enum { RETAINER_MIN_BYTES = 64 * 1024 };
/* An invocation list is a finding when this many of its delegates have targets of one type. */
enum { EVENT_MIN_TARGETS = 32 };

struct finding {
	uint64_t bytes;
	enum bytes_kind kind;
	uint64_t address;  /* the object, or 0 for a type's total */
	uint64_t mt;
	const char *type;  /* borrowed from the heap's types */
	const char *holder_type; /* events: the invocation list's type (the object at address) */
	uint64_t count;    /* copies, instances, null slots, objects */
	char how[160];
	char next[64];
	struct clrsos_string_text text; /* duplicate strings: the first chars; owned */
};

struct section {
	bool run;
	struct finding *items;  /* objects or texts */
	size_t count, cap;
	struct finding *types;  /* totals per type (address 0) */
	size_t ntypes, types_cap;
	uint64_t total;      /* over every finding, shown or not */
	uint64_t considered; /* strings: distinct texts; collections: instances; arrays: arrays; finalizers: objects */
	uint64_t ready;      /* finalizers: objects ready for finalization */
	uint64_t loh_bytes, loh_free, loh_free_count; /* pinned: the large object heap's bytes, its free space's, free objects */
};

/* An object a pinned handle holds: how many handles pin it, the free space the walk met just before it. */
struct pin {
	uint64_t object;
	uint64_t handles;
	uint64_t free_before;
	const struct clrsos_type *type;
	uint64_t size;
	enum clrsos_generation generation;
	bool met;
};

struct inspect_options {
	bool json;
	uint64_t top;
	bool selected[NCHECKS];
	bool any_selected;
};

static struct clrsos_error *check_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	(void)index;
	struct inspect_options *o = ctx;
	for (int i = 0; i < NCHECKS; i++) {
		if (strcmp(arg, check_names[i]) == 0) {
			o->selected[i] = true;
			o->any_selected = true;
			return NULL;
		}
	}
	struct clrsos_name_buf nb;
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "inspect: no check '%s': the checks are strings, collections, arrays, finalizers, "
				   "pinned, events, retainers",
				   clrsos_safe_name(arg, &nb));
}

static struct clrsos_error *parse(const struct clrsos_host *host, int argc, const char *const *argv,
				  struct inspect_options *o)
{
	memset(o, 0, sizeof(*o));
	o->top = DEFAULT_TOP;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o->json),
		CLRSOS_UINT("-top|--top", &o->top),
	};
	const struct clrsos_options spec = {
		.command = "inspect",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = check_operand,
		.ctx = o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && o->top == 0)
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "inspect: -top must be at least 1");
	if (!err && !o->any_selected) {
		for (int i = 0; i < NCHECKS; i++)
			o->selected[i] = true;
	}
	return err;
}

/*
 * Room for entry index of an array kept per type index (*itemsp, *np of
 * them), the entries added zeroed.
 */
static struct clrsos_error *reserve_index_(void *itemsp, size_t *np, uint32_t index, size_t size)
{
	if (index < *np)
		return NULL;
	size_t old = *np;
	struct clrsos_error *err = clrsos_array_reserve_(itemsp, np, (size_t)index + 1, size);
	if (!err)
		memset(*(char **)itemsp + old * size, 0, (*np - old) * size);
	return err;
}

#define reserve_index(itemsp, np, index) reserve_index_((void *)(itemsp), (np), (index), sizeof(**(itemsp)))

static struct finding *add_finding(struct section *s)
{
	if (clrsos_array_reserve(&s->items, &s->cap, s->count + 1))
		return NULL;
	struct finding *f = &s->items[s->count++];
	memset(f, 0, sizeof(*f));
	return f;
}

static struct finding *add_type_finding(struct section *s)
{
	if (clrsos_array_reserve(&s->types, &s->types_cap, s->ntypes + 1))
		return NULL;
	struct finding *f = &s->types[s->ntypes++];
	memset(f, 0, sizeof(*f));
	return f;
}

static int cmp_findings(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->address < y->address ? -1 : x->address > y->address;
}

/* Most bytes first; only the top n kept (of the objects, and of the types). */
static void keep_top(struct section *s, uint64_t n)
{
	if (s->count > 1)
		qsort(s->items, s->count, sizeof(*s->items), cmp_findings);
	while (s->count > n)
		clrsos_string_text_deinit(&s->items[--s->count].text);
	if (s->ntypes > 1)
		qsort(s->types, s->ntypes, sizeof(*s->types), cmp_findings);
	if (s->ntypes > n)
		s->ntypes = (size_t)n;
}

static void section_deinit(struct section *s)
{
	for (size_t i = 0; i < s->count; i++)
		clrsos_string_text_deinit(&s->items[i].text);
	free(s->items);
	free(s->types);
}

/* ---- Collections: which types, where their fields are ---- */

enum coll_kind { COLL_NONE, COLL_LIST, COLL_DICTIONARY, COLL_STACK_QUEUE };

struct coll_layout {
	bool known;          /* looked at */
	enum coll_kind kind; /* COLL_NONE: not a collection, or not laid out as expected */
	/* Offsets from the object's start: the slots array (_items, _entries, _array), the buckets (dictionaries), the counts. */
	uint32_t slots, buckets, size, free_count;
};

/* Per collection type: its instances and what they waste (the type's total finding). */
struct coll_total {
	const struct clrsos_type *type;
	uint64_t instances, sparse, wasted;
};

struct walk {
	struct clrsos_heap *heap;
	struct clrsos_types *types;
	struct clrsos_target *target;
	struct clrsos_dac *dac;
	const struct inspect_options *o;
	struct section *sections;
	struct clrsos_dupstrings *strings;
	struct coll_layout *layouts; /* by type index */
	size_t nlayouts;
	struct coll_total *totals;   /* by type index */
	size_t ntotals;
	uint64_t *chunk;
	uint8_t obj_bytes[256]; /* a collection the walk did not read whole */
	struct clrsos_referrers *refs; /* retainers: the dominator tree's numbers */
	struct clrsos_domtree *tree;
	uint8_t *retainer_kind;        /* by type index: 0 not asked, 1 none, else 2 + enum retainer_kind */
	size_t nretainer_kind;
	struct coll_total *retainer_totals; /* by type index */
	size_t nretainer_totals;
	int32_t *delegate_target; /* by type index: 0 not asked, -1 no delegate, else 1 + _target's offset */
	size_t ndelegate_target;
	struct target_count *targets; /* events: one invocation list's target types */
	size_t ntargets, targets_cap;
	struct pin *pins;   /* sorted by object */
	size_t npins;
	uint64_t free_end, free_size; /* the last free object's end and size (pinned) */
	struct clrsos_error *err;
};

static bool instance_field(const struct clrsos_fields *fields, const char *name, uint32_t *ret)
{
	for (size_t i = 0; i < fields->count; i++) {
		if (!fields->items[i].is_static && strcmp(fields->items[i].name, name) == 0) {
			*ret = OBJECT_DATA + fields->items[i].offset;
			return true;
		}
	}
	return false;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The layout of a collection type, looked at once per type (its field list: one DAC look-up per type). */
static struct clrsos_error *layout_of(struct walk *w, const struct clrsos_type *t, const struct coll_layout **ret)
{
	*ret = NULL;
	if (reserve_index(&w->layouts, &w->nlayouts, t->index))
		return &clrsos_error_no_memory;
	struct coll_layout *l = &w->layouts[t->index];
	*ret = l;
	if (l->known)
		return NULL;
	l->known = true;
	if (t->is_array || t->is_string || t->is_free)
		return NULL;
	const char *name = clrsos_types_name(w->types, t);
	enum coll_kind kind = COLL_NONE;
	if (starts_with(name, "System.Collections.Generic.List<"))
		kind = COLL_LIST;
	else if (starts_with(name, "System.Collections.Generic.Dictionary<") ||
		 starts_with(name, "System.Collections.Generic.HashSet<"))
		kind = COLL_DICTIONARY;
	else if (starts_with(name, "System.Collections.Generic.Queue<") ||
		 starts_with(name, "System.Collections.Generic.Stack<"))
		kind = COLL_STACK_QUEUE;
	if (kind == COLL_NONE)
		return NULL;
	struct clrsos_fields fields;
	struct clrsos_error *err = clrsos_fields_init(w->dac, w->types, t->mt, &fields);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err); /* fields unknown: not looked at */
		return NULL;
	}
	bool ok = false;
	switch (kind) {
	case COLL_LIST:
		ok = instance_field(&fields, "_items", &l->slots) && instance_field(&fields, "_size", &l->size);
		break;
	case COLL_DICTIONARY:
		ok = instance_field(&fields, "_entries", &l->slots) && instance_field(&fields, "_buckets", &l->buckets) &&
		     instance_field(&fields, "_count", &l->size) && instance_field(&fields, "_freeCount", &l->free_count);
		break;
	case COLL_STACK_QUEUE:
		ok = instance_field(&fields, "_array", &l->slots) && instance_field(&fields, "_size", &l->size);
		break;
	case COLL_NONE:
		break;
	}
	clrsos_fields_deinit(&fields);
	if (ok && (l->slots + 8 > t->base_size || l->size + 4 > t->base_size || l->buckets + 8 > t->base_size ||
		   l->free_count + 4 > t->base_size))
		ok = false; /* fields past the object's end: not this layout */
	l->kind = ok ? kind : COLL_NONE;
	return NULL;
}

/* The length and element size of the array at address; false if none is there. */
static bool array_of(struct walk *w, uint64_t address, uint32_t *ret_length, uint32_t *ret_component)
{
	if (!address)
		return false;
	uint64_t head[2];
	struct clrsos_error *err = clrsos_target_read(w->target, address, head, sizeof(head));
	if (err) {
		clrsos_error_destroy(err);
		return false;
	}
	const struct clrsos_type *t = clrsos_types_get(w->types, head[0] & ~(uint64_t)7);
	if (!t || !t->is_array || !t->component_size || head[1] > INT32_MAX)
		return false; /* no array, or a length no array has */
	*ret_length = (uint32_t)head[1];
	*ret_component = t->component_size;
	return true;
}

static uint32_t load_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t load_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static bool on_collection(struct walk *w, const struct clrsos_heap_object *obj)
{
	const struct coll_layout *l;
	if ((w->err = layout_of(w, obj->type, &l)))
		return false;
	if (l->kind == COLL_NONE)
		return true;
	const uint8_t *bytes = obj->bytes;
	if (obj->bytes_len < obj->type->base_size) {
		/* The walk's block ended inside it: read it (collections are small). */
		if (obj->type->base_size > sizeof(w->obj_bytes))
			return true;
		struct clrsos_error *err = clrsos_target_read(w->target, obj->address, w->obj_bytes, obj->type->base_size);
		if (err) {
			clrsos_error_destroy(err);
			return true;
		}
		bytes = w->obj_bytes;
	}
	uint32_t length, component;
	uint64_t slots = load_u64(bytes + l->slots);
	int64_t used = (int32_t)load_u32(bytes + l->size);
	if (l->kind == COLL_DICTIONARY)
		used -= (int32_t)load_u32(bytes + l->free_count);
	if (used < 0)
		return true; /* damaged or mid-change: not judged */
	uint64_t wasted = 0, capacity = 0;
	if (array_of(w, slots, &length, &component)) {
		if ((uint64_t)used > length)
			return true;
		capacity = length;
		wasted = (length - (uint64_t)used) * component;
	} else if (slots) {
		return true;
	}
	uint32_t blength, bcomponent;
	if (l->kind == COLL_DICTIONARY && array_of(w, load_u64(bytes + l->buckets), &blength, &bcomponent) &&
	    (uint64_t)used <= blength)
		wasted += (blength - (uint64_t)used) * bcomponent;
	struct section *s = &w->sections[CHECK_COLLECTIONS];
	s->considered++;
	if (reserve_index(&w->totals, &w->ntotals, obj->type->index)) {
		w->err = &clrsos_error_no_memory;
		return false;
	}
	struct coll_total *total = &w->totals[obj->type->index];
	total->type = obj->type;
	total->instances++;
	if (capacity < SPARSE_MIN_SLOTS || (uint64_t)used * 2 > capacity || !wasted)
		return true;
	total->sparse++;
	total->wasted += wasted;
	struct finding *f = add_finding(s);
	if (!f) {
		w->err = &clrsos_error_no_memory;
		return false;
	}
	f->bytes = wasted;
	f->kind = BYTES_WASTED;
	f->address = obj->address;
	f->mt = obj->type->mt;
	f->type = clrsos_types_name(w->types, obj->type);
	f->count = capacity - (uint64_t)used;
	const char *what = l->kind == COLL_DICTIONARY ? " (entries and buckets)" : "";
	if (used)
		snprintf(f->how, sizeof(f->how), "uses %" PRId64 " of %" PRIu64 " slots%s", used, capacity, what);
	else
		snprintf(f->how, sizeof(f->how), "empty, with %" PRIu64 " slots%s", capacity, what);
	snprintf(f->next, sizeof(f->next), "dumpobj %" PRIx64, obj->address);
	return true;
}

/* An array of references: each element one reference (an 8-byte struct holding pointers is one). */
static bool is_reference_array(const struct clrsos_type *t)
{
	return t->is_array && !t->is_string && t->component_size == 8 && t->contains_pointers;
}

/*
 * Words i .. i + n of the reference array obj into w->chunk: from the walk's
 * bytes where they hold them, else read. False if not all are readable.
 */
static bool array_words(struct walk *w, const struct clrsos_heap_object *obj, uint64_t i, uint64_t n)
{
	uint64_t at = ARRAY_DATA + i * 8;
	if (at + n * 8 <= obj->bytes_len) {
		memcpy(w->chunk, obj->bytes + at, n * 8); /* aligned copy */
		return true;
	}
	struct clrsos_error *err = clrsos_target_read(w->target, obj->address + at, w->chunk, n * 8);
	bool ok = !err;
	clrsos_error_destroy(err);
	return ok;
}

static bool on_array(struct walk *w, const struct clrsos_heap_object *obj)
{
	if (!is_reference_array(obj->type) || obj->bytes_len < ARRAY_DATA)
		return true;
	uint32_t length = load_u32(obj->bytes + ARRAY_LENGTH);
	if (length < NULL_ARRAY_MIN_LENGTH || ARRAY_DATA + (uint64_t)length * 8 > obj->size)
		return true;
	struct section *s = &w->sections[CHECK_ARRAYS];
	s->considered++;
	uint64_t nulls = 0;
	for (uint64_t i = 0; i < length;) {
		uint64_t n = length - i < CHUNK_WORDS ? length - i : CHUNK_WORDS;
		if (!array_words(w, obj, i, n))
			return true; /* not all readable: not judged */
		for (uint64_t k = 0; k < n; k++)
			nulls += !w->chunk[k];
		i += n;
	}
	if (nulls * 100 < (uint64_t)length * NULL_ARRAY_PERCENT)
		return true;
	struct finding *f = add_finding(s);
	if (!f) {
		w->err = &clrsos_error_no_memory;
		return false;
	}
	f->bytes = nulls * 8;
	f->kind = BYTES_WASTED;
	f->address = obj->address;
	f->mt = obj->type->mt;
	f->type = clrsos_types_name(w->types, obj->type);
	f->count = nulls;
	snprintf(f->how, sizeof(f->how), "%" PRIu64 " of its %u slots are null", nulls, length);
	snprintf(f->next, sizeof(f->next), "gcroot %" PRIx64, obj->address);
	return true;
}

static int cmp_pin(const void *a, const void *b)
{
	uint64_t x = ((const struct pin *)a)->object, y = ((const struct pin *)b)->object;
	return x < y ? -1 : x > y;
}

/* Pinned: the LOH's free space, and the free space just before each pinned object. */
static void on_pinned(struct walk *w, const struct clrsos_heap_object *obj)
{
	struct section *s = &w->sections[CHECK_PINNED];
	if (obj->segment && obj->segment->kind == CLRSOS_SEGMENT_LARGE) {
		s->loh_bytes += obj->size;
		if (obj->type->is_free) {
			s->loh_free += obj->size;
			s->loh_free_count++;
		}
	}
	if (obj->type->is_free) {
		/* Free objects next to each other add up. */
		if (w->free_end == obj->address)
			w->free_size += obj->size;
		else
			w->free_size = obj->size;
		w->free_end = obj->address + obj->size;
		return;
	}
	if (w->npins) {
		struct pin key = {.object = obj->address};
		struct pin *p = bsearch(&key, w->pins, w->npins, sizeof(*w->pins), cmp_pin);
		if (p) {
			p->met = true;
			p->type = obj->type;
			p->size = obj->size;
			p->generation = obj->generation;
			p->free_before = w->free_end == obj->address ? w->free_size : 0;
		}
	}
	w->free_end = 0;
}

enum retainer_kind { RETAINER_BYTES, RETAINER_BUILDER, RETAINER_CLOSURE, RETAINER_ASYNC };

static const char *const retainer_what[] = {"a byte array", "a StringBuilder (its chunks)",
					    "a closure (a compiler-made display class)", "an async state machine"};

/* Which kind of retainer the type's objects are, if any (asked once per type). */
static struct clrsos_error *retainer_kind_of(struct walk *w, const struct clrsos_type *t, int *ret)
{
	*ret = -1;
	if (reserve_index(&w->retainer_kind, &w->nretainer_kind, t->index))
		return &clrsos_error_no_memory;
	uint8_t *k = &w->retainer_kind[t->index];
	if (!*k) {
		const char *name = clrsos_types_name(w->types, t);
		int kind = -1;
		if (strcmp(name, "System.Byte[]") == 0)
			kind = RETAINER_BYTES;
		else if (strcmp(name, "System.Text.StringBuilder") == 0)
			kind = RETAINER_BUILDER;
		else if (strstr(name, "<>c__DisplayClass"))
			kind = RETAINER_CLOSURE;
		else if (strstr(name, ">d__"))
			kind = RETAINER_ASYNC;
		*k = (uint8_t)(kind < 0 ? 1 : 2 + kind);
	}
	*ret = *k == 1 ? -1 : *k - 2;
	return NULL;
}

static bool on_retainer(struct walk *w, const struct clrsos_heap_object *obj)
{
	int kind;
	uint32_t n;
	if ((w->err = retainer_kind_of(w, obj->type, &kind)))
		return false;
	if (kind < 0 || !clrsos_referrers_number(w->refs, obj->address, &n) || !clrsos_domtree_reached(w->tree, n))
		return true;
	uint64_t retained = clrsos_domtree_retained(w->tree, n);
	struct section *s = &w->sections[CHECK_RETAINERS];
	s->considered++;
	if (retained < RETAINER_MIN_BYTES)
		return true;
	if (reserve_index(&w->retainer_totals, &w->nretainer_totals, obj->type->index)) {
		w->err = &clrsos_error_no_memory;
		return false;
	}
	struct coll_total *t = &w->retainer_totals[obj->type->index];
	t->type = obj->type;
	t->sparse++;
	t->wasted += retained;
	struct finding *f = add_finding(s);
	if (!f) {
		w->err = &clrsos_error_no_memory;
		return false;
	}
	f->bytes = retained;
	f->kind = BYTES_RETAINED;
	f->address = obj->address;
	f->mt = obj->type->mt;
	f->type = clrsos_types_name(w->types, obj->type);
	f->count = obj->size;
	if (retained == obj->size)
		snprintf(f->how, sizeof(f->how), "%s of %" PRIu64 " bytes, retaining only itself", retainer_what[kind],
			 obj->size);
	else
		snprintf(f->how, sizeof(f->how), "%s of %" PRIu64 " bytes itself, the rest only reachable through it",
			 retainer_what[kind], obj->size);
	snprintf(f->next, sizeof(f->next), "retained %" PRIx64, obj->address);
	return true;
}

/* Events: a delegate type's _target offset (from the object's start), or -1: no delegate. Asked once per type. */
static struct clrsos_error *delegate_target_of(struct walk *w, const struct clrsos_type *t, int32_t *ret)
{
	*ret = -1;
	if (reserve_index(&w->delegate_target, &w->ndelegate_target, t->index))
		return &clrsos_error_no_memory;
	int32_t *d = &w->delegate_target[t->index];
	if (!*d) {
		*d = -1;
		struct clrsos_fields fields;
		struct clrsos_error *err = t->is_array ? NULL : clrsos_fields_init(w->dac, w->types, t->mt, &fields);
		if (err) {
			if (clrsos_error_is_no_memory(err))
				return err;
			clrsos_error_destroy(err);
		} else if (!t->is_array) {
			uint32_t target, list;
			if (instance_field(&fields, "_target", &target) && instance_field(&fields, "_invocationList", &list) &&
			    target + 8 <= t->base_size)
				*d = (int32_t)target + 1;
			clrsos_fields_deinit(&fields);
		}
	}
	*ret = *d < 0 ? -1 : *d - 1;
	return NULL;
}

struct target_count {
	const struct clrsos_type *type;
	uint64_t count, retained;
};

/*
 * Events: an array of references whose elements are all delegates (a
 * multicast delegate's invocation list), live, with many targets of one
 * type: the type, how many, and what those targets retain.
 */
static bool on_invocation_list(struct walk *w, const struct clrsos_heap_object *obj)
{
	if (!is_reference_array(obj->type) || obj->bytes_len < ARRAY_DATA)
		return true;
	uint32_t length = load_u32(obj->bytes + ARRAY_LENGTH), list_number;
	if (length < EVENT_MIN_TARGETS || ARRAY_DATA + (uint64_t)length * 8 > obj->size ||
	    !clrsos_referrers_number(w->refs, obj->address, &list_number) ||
	    !clrsos_domtree_reached(w->tree, list_number))
		return true;
	w->ntargets = 0;
	uint64_t delegates = 0;
	for (uint64_t i = 0; i < length;) {
		uint64_t n = length - i < CHUNK_WORDS ? length - i : CHUNK_WORDS;
		if (!array_words(w, obj, i, n))
			return true;
		i += n;
		for (uint64_t k = 0; k < n; k++) {
			if (!w->chunk[k])
				continue;
			struct clrsos_watch *watch = clrsos_heap_watch(w->heap);
			if (watch && (w->err = clrsos_watch_tick(watch)))
				return false;
			/* The element's MethodTable: a delegate, or this is no invocation list. */
			uint64_t mt, target = 0;
			struct clrsos_error *err = clrsos_target_read_u64(w->target, w->chunk[k], &mt);
			const struct clrsos_type *dt = err ? NULL : clrsos_types_get(w->types, mt & ~(uint64_t)7);
			clrsos_error_destroy(err);
			int32_t off = -1;
			if (dt && (w->err = delegate_target_of(w, dt, &off)))
				return false;
			if (off < 0)
				return true;
			delegates++;
			err = clrsos_target_read_u64(w->target, w->chunk[k] + (uint64_t)off, &target);
			bool unread = err != NULL;
			clrsos_error_destroy(err);
			if (unread || !target)
				continue;
			err = clrsos_target_read_u64(w->target, target, &mt);
			const struct clrsos_type *tt = err ? NULL : clrsos_types_get(w->types, mt & ~(uint64_t)7);
			clrsos_error_destroy(err);
			if (!tt)
				continue;
			uint32_t n_target;
			uint64_t retained = clrsos_referrers_number(w->refs, target, &n_target) &&
							    clrsos_domtree_reached(w->tree, n_target)
						    ? clrsos_domtree_retained(w->tree, n_target)
						    : 0;
			size_t j = 0;
			while (j < w->ntargets && w->targets[j].type != tt)
				j++;
			if (j == w->ntargets) {
				if (clrsos_array_reserve(&w->targets, &w->targets_cap, w->ntargets + 1)) {
					w->err = &clrsos_error_no_memory;
					return false;
				}
				w->targets[w->ntargets++] = (struct target_count){tt, 0, 0};
			}
			w->targets[j].count++;
			w->targets[j].retained += retained;
		}
	}
	struct section *s = &w->sections[CHECK_EVENTS];
	if (!delegates)
		return true;
	s->considered++;
	const struct target_count *most = NULL;
	for (size_t j = 0; j < w->ntargets; j++) {
		if (!most || w->targets[j].count > most->count)
			most = &w->targets[j];
	}
	if (!most || most->count < EVENT_MIN_TARGETS)
		return true;
	struct finding *f = add_finding(s);
	if (!f) {
		w->err = &clrsos_error_no_memory;
		return false;
	}
	f->bytes = most->retained;
	f->kind = BYTES_RETAINED;
	f->address = obj->address;
	f->mt = most->type->mt;
	f->type = clrsos_types_name(w->types, most->type);
	f->holder_type = clrsos_types_name(w->types, obj->type);
	f->count = most->count;
	snprintf(f->how, sizeof(f->how), "an invocation list of %" PRIu64 " delegates, %" PRIu64 " of them on objects "
		 "of this type", delegates, most->count);
	snprintf(f->next, sizeof(f->next), "gcroot %" PRIx64, obj->address);
	s->total += most->retained;
	return true;
}

/* Per retainer type: its large instances' retained bytes in all. */
static struct clrsos_error *retainer_totals(struct walk *w)
{
	struct section *s = &w->sections[CHECK_RETAINERS];
	for (size_t i = 0; i < w->nretainer_totals; i++) {
		const struct coll_total *t = &w->retainer_totals[i];
		if (!t->sparse)
			continue;
		s->total += t->wasted;
		struct finding *f = add_type_finding(s);
		if (!f)
			return &clrsos_error_no_memory;
		f->bytes = t->wasted;
		f->kind = BYTES_RETAINED;
		f->mt = t->type->mt;
		f->type = clrsos_types_name(w->types, t->type);
		f->count = t->sparse;
		snprintf(f->how, sizeof(f->how), "%" PRIu64 " instance%s retaining at least %d bytes each", t->sparse,
			 t->sparse == 1 ? "" : "s", RETAINER_MIN_BYTES);
		snprintf(f->next, sizeof(f->next), "dumpheap -mt %" PRIx64, t->type->mt);
	}
	keep_top(s, w->o->top);
	return NULL;
}

static bool on_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct walk *w = ctx;
	if (w->o->selected[CHECK_PINNED])
		on_pinned(w, obj);
	if (obj->type->is_free)
		return true;
	if (w->tree && w->o->selected[CHECK_RETAINERS] && !on_retainer(w, obj))
		return false;
	if (w->tree && w->o->selected[CHECK_EVENTS] && !on_invocation_list(w, obj))
		return false;
	if (w->strings) {
		bool counted;
		if ((w->err = clrsos_dupstrings_add(w->strings, w->target, obj, &counted)))
			return false;
		if (counted)
			return true;
	}
	if (w->o->selected[CHECK_COLLECTIONS] && !on_collection(w, obj))
		return false;
	if (w->o->selected[CHECK_ARRAYS] && !on_array(w, obj))
		return false;
	return true;
}

/* The duplicate strings' findings: the top texts by bytes wasted. */
static struct clrsos_error *string_findings(struct walk *w)
{
	struct section *s = &w->sections[CHECK_STRINGS];
	struct clrsos_dupstring *rows;
	size_t n, unique;
	uint64_t wasted;
	struct clrsos_error *err = clrsos_dupstrings_sorted(w->strings, clrsos_heap_watch(w->heap), &rows, &n, &wasted, &unique);
	if (err)
		return err;
	s->total = wasted;
	s->considered = n + unique;
	const char *string_type = NULL;
	const struct clrsos_type *st = clrsos_types_get(w->types, clrsos_types_string_mt(w->types));
	if (st)
		string_type = clrsos_types_name(w->types, st);
	for (size_t i = 0; i < n && i < w->o->top && !err; i++) {
		struct finding *f = add_finding(s);
		if (!f) {
			err = &clrsos_error_no_memory;
			break;
		}
		f->bytes = clrsos_dupstring_wasted(&rows[i]);
		f->kind = BYTES_WASTED;
		f->address = rows[i].first;
		f->mt = clrsos_types_string_mt(w->types);
		f->type = string_type ? string_type : "System.String";
		f->count = rows[i].count;
		snprintf(f->how, sizeof(f->how), "%" PRIu64 " copies of one %u-char text, %" PRIu64 " bytes each",
			 rows[i].count, rows[i].length, rows[i].size);
		snprintf(f->next, sizeof(f->next), "gcroot %" PRIx64, rows[i].first);
		err = clrsos_string_text_init(&f->text, w->heap, rows[i].first, PREVIEW_CHARS);
		if (err && !clrsos_error_is_no_memory(err)) {
			clrsos_error_destroy(err); /* unreadable now: shown without its text */
			err = NULL;
		}
	}
	free(rows);
	return err;
}

/* Per collection type with sparse instances: its instances' waste in all. */
static struct clrsos_error *collection_totals(struct walk *w)
{
	struct section *s = &w->sections[CHECK_COLLECTIONS];
	for (size_t i = 0; i < w->ntotals; i++) {
		const struct coll_total *t = &w->totals[i];
		s->total += t->wasted;
		if (!t->sparse)
			continue;
		struct finding *f = add_type_finding(s);
		if (!f)
			return &clrsos_error_no_memory;
		f->bytes = t->wasted;
		f->kind = BYTES_WASTED;
		f->mt = t->type->mt;
		f->type = clrsos_types_name(w->types, t->type);
		f->count = t->sparse;
		snprintf(f->how, sizeof(f->how), "%" PRIu64 " of its %" PRIu64 " instances use at most half their slots",
			 t->sparse, t->instances);
		snprintf(f->next, sizeof(f->next), "dumpheap -mt %" PRIx64, t->type->mt);
	}
	keep_top(s, w->o->top);
	return NULL;
}

static struct clrsos_error *array_totals(struct walk *w)
{
	struct section *s = &w->sections[CHECK_ARRAYS];
	for (size_t i = 0; i < s->count; i++)
		s->total += s->items[i].bytes;
	keep_top(s, w->o->top);
	return NULL;
}

/* The objects pinned handles hold (each once, with its handles counted), sorted for the walk. */
static struct clrsos_error *pinned_handles(struct walk *w)
{
	struct clrsos_handle *h = NULL;
	size_t n = 0, extra = 0;
	struct clrsos_error *err = clrsos_handles_all(w->dac, w->target, clrsos_heap_gc(w->heap)->server, &h, &n, &extra);
	if (err)
		return err;
	if (!(w->pins = calloc(n ? n : 1, sizeof(*w->pins)))) {
		free(h);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n; i++) {
		if (h[i].pinned && h[i].object)
			w->pins[w->npins++] = (struct pin){.object = h[i].object, .handles = 1};
	}
	free(h);
	qsort(w->pins, w->npins, sizeof(*w->pins), cmp_pin);
	size_t k = 0;
	for (size_t i = 0; i < w->npins; i++) {
		if (k && w->pins[k - 1].object == w->pins[i].object)
			w->pins[k - 1].handles++;
		else
			w->pins[k++] = w->pins[i];
	}
	w->npins = k;
	return NULL;
}

/* Per pinned object met on the heap, the free space before it; per type, the pinned objects; the LOH's free space. */
static struct clrsos_error *pinned_findings(struct walk *w)
{
	struct section *s = &w->sections[CHECK_PINNED];
	struct fin_count {
		const struct clrsos_type *type;
		uint64_t count, bytes;
	} *per_type = NULL;
	size_t ntypes = 0;
	for (size_t i = 0; i < w->npins; i++) {
		const struct pin *p = &w->pins[i];
		if (!p->met)
			continue; /* not an object the walk met */
		s->considered++;
		s->total += p->free_before;
		if (reserve_index(&per_type, &ntypes, p->type->index)) {
			free(per_type);
			return &clrsos_error_no_memory;
		}
		per_type[p->type->index].type = p->type;
		per_type[p->type->index].count++;
		per_type[p->type->index].bytes += p->size;
		struct finding *f = add_finding(s);
		if (!f) {
			free(per_type);
			return &clrsos_error_no_memory;
		}
		f->bytes = p->free_before;
		f->kind = BYTES_WASTED;
		f->address = p->object;
		f->mt = p->type->mt;
		f->type = clrsos_types_name(w->types, p->type);
		f->count = p->handles;
		snprintf(f->how, sizeof(f->how), "pinned by %" PRIu64 " handle%s in %s, %" PRIu64
			 " bytes of free space just before it", p->handles, p->handles == 1 ? "" : "s",
			 clrsos_generation_name(p->generation), p->free_before);
		snprintf(f->next, sizeof(f->next), "listnearobj %" PRIx64, p->object);
	}
	for (size_t i = 0; i < ntypes; i++) {
		if (!per_type[i].count)
			continue;
		struct finding *f = add_type_finding(s);
		if (!f) {
			free(per_type);
			return &clrsos_error_no_memory;
		}
		f->bytes = per_type[i].bytes;
		f->kind = BYTES_OWN;
		f->mt = per_type[i].type->mt;
		f->type = clrsos_types_name(w->types, per_type[i].type);
		f->count = per_type[i].count;
		snprintf(f->how, sizeof(f->how), "%" PRIu64 " object%s held by pinned handles", per_type[i].count,
			 per_type[i].count == 1 ? "" : "s");
		snprintf(f->next, sizeof(f->next), "gchandles -type Pinned");
	}
	free(per_type);
	/* The LOH's free space: a finding of its own (no address). */
	if (s->loh_bytes) {
		struct finding *f = add_finding(s);
		if (!f)
			return &clrsos_error_no_memory;
		f->bytes = s->loh_free;
		f->kind = BYTES_WASTED;
		f->mt = clrsos_types_free_mt(w->types);
		f->type = "Free (large object heap)";
		f->count = s->loh_free_count;
		snprintf(f->how, sizeof(f->how), "%" PRIu64 " free objects take %" PRIu64 "%% of the large object "
			 "heap's %" PRIu64 " bytes", s->loh_free_count, s->loh_free * 100 / s->loh_bytes, s->loh_bytes);
		snprintf(f->next, sizeof(f->next), "eeheap -gc");
		s->total += s->loh_free;
	}
	keep_top(s, w->o->top);
	return NULL;
}

/* Checks 1-3 and 5: one walk of the heap. */
static struct clrsos_error *walk_checks(struct clrsos_session *session, const struct inspect_options *o,
					struct section *sections)
{
	if (!o->selected[CHECK_STRINGS] && !o->selected[CHECK_COLLECTIONS] && !o->selected[CHECK_ARRAYS] &&
	    !o->selected[CHECK_PINNED] && !o->selected[CHECK_RETAINERS] && !o->selected[CHECK_EVENTS])
		return NULL;
	struct walk w = {.o = o, .sections = sections};
	struct clrsos_error *err;
	if ((err = clrsos_session_heap(session, &w.heap)) || (err = clrsos_heap_check_walkable(w.heap)))
		return err;
	if ((o->selected[CHECK_COLLECTIONS] || o->selected[CHECK_PINNED] || o->selected[CHECK_EVENTS]) &&
	    (err = clrsos_session_dac(session, &w.dac)))
		return err;
	w.types = clrsos_heap_types(w.heap);
	w.target = clrsos_heap_target(w.heap);
	/* The dominator tree first (the roots, the referrer index, the tree: each stops at Ctrl-C). */
	if ((o->selected[CHECK_RETAINERS] || o->selected[CHECK_EVENTS]) &&
	    (err = clrsos_session_dominators(session, &w.refs, &w.tree)))
		return err;
	if (!(w.chunk = malloc(CHUNK_WORDS * sizeof(*w.chunk))))
		return &clrsos_error_no_memory;
	if (o->selected[CHECK_STRINGS])
		err = clrsos_dupstrings_create(&w.strings);
	if (!err && o->selected[CHECK_PINNED])
		err = pinned_handles(&w);
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_walk_result r;
	if (!err)
		err = clrsos_heap_walk(w.heap, &filter, on_object, &w, clrsos_watch_heap_progress,
				       clrsos_session_watch(session), &r);
	if (!err)
		err = w.err;
	else
		clrsos_error_destroy(w.err);
	for (int i = 0; i < NCHECKS; i++) {
		if (i != CHECK_FINALIZERS)
			sections[i].run = o->selected[i];
	}
	if (!err && w.strings)
		err = string_findings(&w);
	if (!err && o->selected[CHECK_COLLECTIONS])
		err = collection_totals(&w);
	if (!err && o->selected[CHECK_ARRAYS])
		err = array_totals(&w);
	if (!err && o->selected[CHECK_PINNED])
		err = pinned_findings(&w);
	if (!err && o->selected[CHECK_RETAINERS])
		err = retainer_totals(&w);
	free(w.pins);
	if (!err && o->selected[CHECK_EVENTS])
		keep_top(&sections[CHECK_EVENTS], o->top);
	free(w.retainer_kind);
	free(w.delegate_target);
	free(w.targets);
	free(w.retainer_totals);
	clrsos_dupstrings_destroy(w.strings);
	free(w.layouts);
	free(w.totals);
	free(w.chunk);
	return err;
}

/* Check 4: the finalization queue of every GC heap, by type. */
struct fin_total {
	const struct clrsos_type *type;
	uint64_t count, bytes, ready;
};

static struct clrsos_error *finalizer_check(struct clrsos_session *session, const struct inspect_options *o,
					    struct section *s)
{
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err)
		return err;
	const struct clrsos_gc *gc = clrsos_heap_gc(c.heap);
	struct clrsos_watch *watch = clrsos_session_watch(session);
	struct fin_total *totals = NULL;
	size_t ntotals = 0;
	uint64_t *chunk = malloc(CHUNK_WORDS * sizeof(*chunk));
	if (!chunk)
		return &clrsos_error_no_memory;
	for (uint32_t hi = 0; hi < gc->nheaps && !err; hi++) {
		struct clrsos_finalizer_queue q;
		bool present;
		if ((err = clrsos_finalizer_queue_read(c.dac, gc->heaps[hi].address, &q, &present)) || !present)
			break;
		const struct clrsos_finalizer_part parts[5] = {q.generations[0], q.generations[1], q.generations[2],
							       q.large, q.ready};
		for (int k = 0; k < 5 && !err; k++) {
			uint64_t start = parts[k].start, end = parts[k].end;
			if (end <= start || (start & 7))
				continue;
			for (uint64_t p = start; p < end && !err;) {
				uint64_t n = (end - p) / 8 < CHUNK_WORDS ? (end - p) / 8 : CHUNK_WORDS;
				struct clrsos_error *e = clrsos_target_read(c.target, p, chunk, n * 8);
				if (e) {
					clrsos_error_destroy(e);
					break; /* the rest of this part is not in the target */
				}
				p += n * 8;
				for (uint64_t i = 0; i < n && !err; i++) {
					if (watch && (err = clrsos_watch_tick(watch)))
						break;
					const struct clrsos_type *t;
					uint64_t size;
					if ((err = clrsos_root_cmd_type_of(&c, chunk[i], &t, &size)) || !t)
						continue; /* not a valid object: not counted, as finalizequeue */
					if (reserve_index(&totals, &ntotals, t->index)) {
						err = &clrsos_error_no_memory;
						break;
					}
					struct fin_total *ft = &totals[t->index];
					ft->type = t;
					ft->count++;
					ft->bytes += size;
					ft->ready += k == 4;
					s->considered++;
					s->ready += k == 4;
					s->total += size;
				}
			}
		}
	}
	for (size_t i = 0; i < ntotals && !err; i++) {
		const struct fin_total *ft = &totals[i];
		if (!ft->count)
			continue;
		struct finding *f = add_type_finding(s);
		if (!f) {
			err = &clrsos_error_no_memory;
			break;
		}
		f->bytes = ft->bytes;
		f->kind = BYTES_OWN;
		f->mt = ft->type->mt;
		f->type = clrsos_types_name(c.types, ft->type);
		f->count = ft->count;
		if (ft->ready)
			snprintf(f->how, sizeof(f->how), "%" PRIu64 " objects in the finalization queue, %" PRIu64
				 " of them ready for finalization", ft->count, ft->ready);
		else
			snprintf(f->how, sizeof(f->how), "%" PRIu64 " object%s in the finalization queue", ft->count,
				 ft->count == 1 ? "" : "s");
		snprintf(f->next, sizeof(f->next), "finalizequeue -mt %" PRIx64, ft->type->mt);
	}
	free(totals);
	free(chunk);
	s->run = true;
	keep_top(s, o->top);
	return err;
}

/* ---- Rendering ---- */

static const char *bytes_word(enum bytes_kind kind)
{
	return kind == BYTES_WASTED ? "wasted" : kind == BYTES_RETAINED ? "retained" : "in the objects";
}

static const char *bytes_json(enum bytes_kind kind)
{
	return kind == BYTES_WASTED ? "wasted" : kind == BYTES_RETAINED ? "retained" : "own";
}

static enum bytes_kind section_kind(int check)
{
	return check == CHECK_FINALIZERS			      ? BYTES_OWN
	       : check == CHECK_RETAINERS || check == CHECK_EVENTS ? BYTES_RETAINED
								   : BYTES_WASTED;
}

static const char *section_clause(int check)
{
	switch (check) {
	case CHECK_STRINGS: return "wasted: (copies - 1) * the size of one";
	case CHECK_COLLECTIONS: return "wasted: unused slots * slot size";
	case CHECK_ARRAYS: return "wasted: null slots * 8";
	case CHECK_PINNED: return "wasted: free space before pinned objects, and the large object heap's";
	case CHECK_EVENTS: return "retained by the handlers' targets";
	case CHECK_RETAINERS: return "retained: what a collection would free without them; nested ones overlap";
	default: return "the objects' own size";
	}
}

static void render_finding_text(const struct finding *f, struct clrsos_writer *out)
{
	char bytes[32];
	clrsos_format_thousands(f->bytes, bytes, sizeof(bytes));
	clrsos_outf(out, "  %14s bytes %s  ", bytes, bytes_word(f->kind));
	if (f->address)
		clrsos_outf(out, "%012" PRIx64 " ", f->address);
	if (f->holder_type) {
		clrsos_out_name(out, f->holder_type);
		clrsos_out(out, " with handlers on ");
	}
	clrsos_out_name(out, f->type);
	if (f->text.valid) {
		clrsos_out(out, " \"");
		clrsos_string_text_render(&f->text, CLRSOS_TEXT_ESCAPED, out);
		clrsos_out(out, f->text.count < f->text.length ? "\"..." : "\"");
	}
	clrsos_outf(out, "\n      %s -> %s\n", f->how, f->next);
}

static void render_text(const struct section *sections, const struct inspect_options *o, struct clrsos_writer *out)
{
	uint64_t wasted = 0, findings = 0;
	int run = 0;
	for (int i = 0; i < NCHECKS; i++) {
		if (!sections[i].run)
			continue;
		run++;
		findings += sections[i].count + sections[i].ntypes;
		if (section_kind(i) == BYTES_WASTED)
			wasted += sections[i].total;
	}
	char total[32];
	clrsos_format_thousands(wasted, total, sizeof(total));
	clrsos_outf(out, "inspect: %d check%s, %" PRIu64 " finding%s (top %" PRIu64 " per list), %s bytes wasted",
		    run, run == 1 ? "" : "s", findings, findings == 1 ? "" : "s", o->top, total);
	if (sections[CHECK_FINALIZERS].run) {
		clrsos_format_thousands(sections[CHECK_FINALIZERS].total, total, sizeof(total));
		clrsos_outf(out, ", %s bytes in finalizable objects", total);
	}
	clrsos_out(out, "\n");
	for (int i = 0; i < NCHECKS; i++) {
		const struct section *s = &sections[i];
		if (!s->run)
			continue;
		clrsos_format_thousands(s->total, total, sizeof(total));
		clrsos_outf(out, "\n%s: %s bytes %s (%s)\n", check_titles[i], total, bytes_word(section_kind(i)),
			    section_clause(i));
		switch (i) {
		case CHECK_STRINGS:
			clrsos_outf(out, "  %" PRIu64 " distinct texts\n", s->considered);
			break;
		case CHECK_COLLECTIONS:
			clrsos_outf(out, "  %" PRIu64 " collections looked at\n", s->considered);
			break;
		case CHECK_ARRAYS:
			clrsos_outf(out, "  %" PRIu64 " arrays of at least %d references looked at (%d%% null or more "
				    "is a finding)\n", s->considered, NULL_ARRAY_MIN_LENGTH, NULL_ARRAY_PERCENT);
			break;
		case CHECK_PINNED:
			clrsos_outf(out, "  %" PRIu64 " objects held by pinned handles\n", s->considered);
			break;
		case CHECK_EVENTS:
			clrsos_outf(out, "  %" PRIu64 " live invocation lists of at least %d delegates looked at (%d handlers "
				    "on one type or more is a finding)\n", s->considered, EVENT_MIN_TARGETS, EVENT_MIN_TARGETS);
			break;
		case CHECK_RETAINERS:
			clrsos_outf(out, "  %" PRIu64 " live byte arrays, StringBuilders, closures and async state machines "
				    "looked at (%d bytes retained or more is a finding)\n", s->considered, RETAINER_MIN_BYTES);
			break;
		default:
			clrsos_outf(out, "  %" PRIu64 " objects in the finalization queue, %" PRIu64
				    " ready for finalization\n", s->considered, s->ready);
			break;
		}
		if (!s->count && !s->ntypes)
			clrsos_out(out, "  (none found)\n");
		if (s->ntypes && s->count)
			clrsos_out(out, "  By type:\n");
		for (size_t k = 0; k < s->ntypes; k++)
			render_finding_text(&s->types[k], out);
		if (s->ntypes && s->count)
			clrsos_out(out, "  Objects:\n");
		for (size_t k = 0; k < s->count; k++)
			render_finding_text(&s->items[k], out);
	}
}

static void render_finding_json(struct clrsos_json *j, const struct finding *f)
{
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "bytes");
	clrsos_json_uint(j, f->bytes);
	clrsos_json_key(j, "bytesKind");
	clrsos_json_string(j, bytes_json(f->kind));
	clrsos_json_key(j, "address");
	if (f->address)
		clrsos_json_address(j, f->address);
	else
		clrsos_json_null(j);
	clrsos_json_key(j, "mt");
	clrsos_json_address(j, f->mt);
	clrsos_json_key(j, "type");
	clrsos_json_string(j, f->type);
	clrsos_json_key(j, "count");
	clrsos_json_uint(j, f->count);
	if (f->holder_type) {
		clrsos_json_key(j, "listType");
		clrsos_json_string(j, f->holder_type);
	}
	if (f->text.valid) {
		clrsos_json_key(j, "text");
		struct clrsos_json_stream st;
		clrsos_json_string_begin(j, &st);
		clrsos_string_text_render(&f->text, CLRSOS_TEXT_JSON, st.raw);
		clrsos_json_string_end(&st);
		clrsos_json_key(j, "length");
		clrsos_json_uint(j, f->text.length);
	}
	clrsos_json_key(j, "how");
	clrsos_json_string(j, f->how);
	clrsos_json_key(j, "next");
	clrsos_json_string(j, f->next);
	clrsos_json_object_end(j);
}

static void render_json(const struct section *sections, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "checks");
	clrsos_json_array_begin(&j);
	for (int i = 0; i < NCHECKS; i++) {
		const struct section *s = &sections[i];
		if (!s->run)
			continue;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, check_names[i]);
		clrsos_json_key(&j, "title");
		clrsos_json_string(&j, check_titles[i]);
		clrsos_json_key(&j, "bytes");
		clrsos_json_uint(&j, s->total);
		clrsos_json_key(&j, "bytesKind");
		clrsos_json_string(&j, bytes_json(section_kind(i)));
		clrsos_json_key(&j, "considered");
		clrsos_json_uint(&j, s->considered);
		if (i == CHECK_FINALIZERS) {
			clrsos_json_key(&j, "ready");
			clrsos_json_uint(&j, s->ready);
		}
		if (i == CHECK_PINNED) {
			clrsos_json_key(&j, "lohBytes");
			clrsos_json_uint(&j, s->loh_bytes);
			clrsos_json_key(&j, "lohFree");
			clrsos_json_uint(&j, s->loh_free);
		}
		clrsos_json_key(&j, "types");
		clrsos_json_array_begin(&j);
		for (size_t k = 0; k < s->ntypes; k++)
			render_finding_json(&j, &s->types[k]);
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "findings");
		clrsos_json_array_begin(&j);
		for (size_t k = 0; k < s->count; k++)
			render_finding_json(&j, &s->items[k]);
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_inspect(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct inspect_options o;
	struct clrsos_error *err = parse(host, argc, argv, &o);
	if (err)
		return err;
	if (clrsos_session_watch(session) && o.json)
		clrsos_session_watch(session)->quiet = true;
	struct section sections[NCHECKS];
	memset(sections, 0, sizeof(sections));
	err = walk_checks(session, &o, sections);
	if (!err && o.selected[CHECK_FINALIZERS])
		err = finalizer_check(session, &o, &sections[CHECK_FINALIZERS]);
	if (!err) {
		if (o.json)
			render_json(sections, out);
		else
			render_text(sections, &o, out);
	}
	for (int i = 0; i < NCHECKS; i++)
		section_deinit(&sections[i]);
	return err ? clrsos_error_wrap(err, "inspect") : NULL;
}
