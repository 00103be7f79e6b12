/*
 * Async state machines: see asyncsm.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/asyncsm.h"
#include "model/fields.h"
#include "model/objects.h"
#include "model/types.h"
#include "target/target.h"
#include "base/vector.h"
#include "base/watch.h"

enum {
	OBJECT_DATA = 8,            /* an object's fields start past its MethodTable word */
	ARRAY_LENGTH = 8,
	ARRAY_DATA = 16,
	MAX_CACHED = 32,
	MAX_LIST_ITEMS = 1 << 20,   /* continuations of one task: far more than any program registers */
	NO_FIELD = UINT32_MAX,
};

struct cached_fields {
	uint64_t mt;
	struct clrsos_fields fields;
};

/* Per type met in the walk (by type index): whether it is a box or Task, and where its fields are. */
struct type_info {
	uint8_t kind;               /* 0 not looked at, 1 not wanted, 2 box, 3 other Task */
	uint32_t flags_off, continuation_off, sm_off, state_off;
	uint64_t sm_mt;
	bool sm_is_object;
};

struct reader {
	struct clrsos_heap *heap;
	struct clrsos_types *types;
	struct clrsos_target *target;
	struct clrsos_dac *dac;
	bool tasks;
	struct cached_fields cache[MAX_CACHED];
	size_t ncache;
	struct type_info *infos;
	size_t ninfos;
	uint8_t *task;              /* per type index: 0 not asked, 1 no Task, 2 a Task */
	size_t ntask;
	struct clrsos_async *a;
	size_t capacity;
	size_t cont_capacity;
	struct clrsos_error *err;
};

static const struct clrsos_fields *fields_of(struct reader *r, uint64_t mt)
{
	for (size_t i = 0; i < r->ncache; i++)
		if (r->cache[i].mt == mt)
			return &r->cache[i].fields;
	if (r->ncache == MAX_CACHED) {
		clrsos_fields_deinit(&r->cache[0].fields);
		memmove(&r->cache[0], &r->cache[1], sizeof(r->cache[0]) * (MAX_CACHED - 1));
		r->ncache--;
	}
	struct cached_fields *slot = &r->cache[r->ncache];
	struct clrsos_error *err = clrsos_fields_init(r->dac, r->types, mt, &slot->fields);
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	slot->mt = mt;
	r->ncache++;
	return &slot->fields;
}

/* The instance field name of mt, or NULL. */
static const struct clrsos_field *field(struct reader *r, uint64_t mt, const char *name)
{
	const struct clrsos_fields *fields = fields_of(r, mt);
	if (!fields)
		return NULL;
	for (size_t i = 0; i < fields->count; i++) {
		const struct clrsos_field *f = &fields->items[i];
		if (!f->is_static && strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

enum { MAX_BASE_DEPTH = 64 };

/*
 * Whether t is System.Threading.Tasks.Task or derives from it (Task<T>, the
 * ContinueWith tasks, ...): its base types followed, each type's answer
 * kept (by type index) so a type costs one DAC call once.
 */
static bool is_task(struct reader *r, const struct clrsos_type *t, int depth)
{
	if (t->index < r->ntask && r->task[t->index])
		return r->task[t->index] == 2;
	bool yes = false;
	if (strcmp(clrsos_types_name(r->types, t), "System.Threading.Tasks.Task") == 0) {
		yes = true;
	} else if (depth < MAX_BASE_DEPTH) {
		struct clrsos_method_table_info info;
		struct clrsos_error *err = clrsos_method_table_info_init(&info, r->dac, t->mt);
		if (err) {
			clrsos_error_destroy(err);
		} else {
			const struct clrsos_type *parent = info.parent ? clrsos_types_get(r->types, info.parent) : NULL;
			clrsos_method_table_info_deinit(&info);
			yes = parent && parent != t && is_task(r, parent, depth + 1);
		}
	}
	if (t->index >= r->ntask) {
		size_t n = r->ntask ? r->ntask : 256;
		while (n <= t->index)
			n *= 2;
		uint8_t *task = realloc(r->task, n);
		if (!task)
			return yes; /* not kept: asked again */
		memset(task + r->ntask, 0, n - r->ntask);
		r->task = task;
		r->ntask = n;
	}
	r->task[t->index] = yes ? 2 : 1;
	return yes;
}

/* A field's offset within an object of base size, checked to hold width bytes; NO_FIELD if not. */
static uint32_t checked_offset(const struct clrsos_field *f, const struct clrsos_type *t, uint32_t width)
{
	if (!f || (uint64_t)OBJECT_DATA + f->offset + width > t->base_size)
		return NO_FIELD;
	return f->offset;
}

static void classify(struct reader *r, const struct clrsos_type *t, struct type_info *info)
{
	info->kind = 1;
	const char *name = clrsos_types_name(r->types, t);
	bool box = strstr(name, "AsyncStateMachineBox<") != NULL;
	if (!box && !(r->tasks && t->base_size >= OBJECT_DATA + 16 && is_task(r, t, 0)))
		return;
	info->flags_off = checked_offset(field(r, t->mt, "m_stateFlags"), t, 4);
	info->continuation_off = checked_offset(field(r, t->mt, "m_continuationObject"), t, 8);
	if (info->flags_off == NO_FIELD || info->continuation_off == NO_FIELD)
		return; /* not laid out as a Task: not one we can read */
	info->kind = box ? 2 : 3;
	info->sm_off = info->state_off = NO_FIELD;
	if (!box)
		return;
	const struct clrsos_field *sm = field(r, t->mt, "StateMachine");
	if (!sm)
		return;
	if (sm->element_type == CLRSOS_ELEMENT_VALUETYPE && sm->type_mt) {
		info->sm_mt = sm->type_mt;
		const struct clrsos_type *smt = clrsos_types_get(r->types, sm->type_mt);
		const struct clrsos_field *state = field(r, sm->type_mt, "<>1__state");
		/* A struct's base size counts an object header and MethodTable word around its data. */
		if (smt && state && state->offset + 4 <= smt->base_size &&
		    (uint64_t)OBJECT_DATA + sm->offset + state->offset + 4 <= t->base_size) {
			info->sm_off = sm->offset;
			info->state_off = state->offset;
		} else if (smt && (uint64_t)OBJECT_DATA + sm->offset <= t->base_size) {
			info->sm_off = sm->offset;
		}
	} else if (!clrsos_element_is_value(sm->element_type)) {
		info->sm_off = checked_offset(sm, t, 8);
		info->sm_is_object = info->sm_off != NO_FIELD;
	}
}

static bool read_at(const struct clrsos_heap_object *obj, struct reader *r, uint64_t offset, void *buf, size_t n)
{
	if (offset + n <= obj->bytes_len) {
		memcpy(buf, obj->bytes + offset, n);
		return true;
	}
	struct clrsos_error *err = clrsos_target_read(r->target, obj->address + offset, buf, n);
	if (err) {
		clrsos_error_destroy(err);
		return false;
	}
	return true;
}

static bool on_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct reader *r = ctx;
	const struct clrsos_type *t = obj->type;
	if (!t || t->is_free || t->is_array || t->is_string || obj->size <= 24)
		return true;
	if (t->index >= r->ninfos) {
		size_t n = r->ninfos ? r->ninfos : 256;
		while (n <= t->index)
			n *= 2;
		struct type_info *infos = realloc(r->infos, n * sizeof(*infos));
		if (!infos) {
			r->err = &clrsos_error_no_memory;
			return false;
		}
		memset(infos + r->ninfos, 0, (n - r->ninfos) * sizeof(*infos));
		r->infos = infos;
		r->ninfos = n;
	}
	struct type_info *info = &r->infos[t->index];
	if (!info->kind)
		classify(r, t, info);
	if (info->kind < 2)
		return true;
	struct clrsos_async *a = r->a;
	if ((r->err = clrsos_array_reserve(&a->objects, &r->capacity, a->count + 1)))
		return false;
	struct clrsos_async_object *o = &a->objects[a->count];
	memset(o, 0, sizeof(*o));
	o->address = obj->address;
	o->mt = t->mt;
	o->size = obj->size;
	o->type_name = clrsos_types_name(r->types, t);
	o->is_box = info->kind == 2;
	o->top_level = true;
	uint64_t continuation = 0;
	if (!read_at(obj, r, OBJECT_DATA + info->flags_off, &o->flags, 4) ||
	    !read_at(obj, r, OBJECT_DATA + info->continuation_off, &continuation, 8))
		return true; /* unreadable: skipped, as SOS skips a task whose flags it cannot read */
	if (o->is_box && info->sm_off != NO_FIELD) {
		o->sm_mt = info->sm_mt;
		if (info->sm_is_object) {
			o->sm_is_object = true;
			if (!read_at(obj, r, OBJECT_DATA + info->sm_off, &o->sm_address, 8))
				o->sm_address = 0;
		} else {
			o->sm_address = obj->address + OBJECT_DATA + info->sm_off;
			if (info->state_off != NO_FIELD &&
			    read_at(obj, r, OBJECT_DATA + info->sm_off + info->state_off, &o->state, 4))
				o->has_state = true;
		}
	}
	o->continuation_object = continuation;
	a->count++;
	return true;
}

/* The type of a valid object at address, or NULL. */
static const struct clrsos_type *type_at(struct reader *r, uint64_t address)
{
	if (!address)
		return NULL;
	const struct clrsos_type *t = NULL;
	struct clrsos_error *err = clrsos_heap_object_at(r->heap, address, &t, NULL);
	if (err) {
		if (clrsos_error_is_no_memory(err) && !r->err)
			r->err = err;
		else
			clrsos_error_destroy(err);
		return NULL;
	}
	return t;
}

/* A reference field of the object at address (of type t), if it is a valid object; else 0. */
static uint64_t ref_field(struct reader *r, uint64_t address, const struct clrsos_type *t, const char *name)
{
	const struct clrsos_field *f = field(r, t->mt, name);
	if (!f || clrsos_element_is_value(f->element_type) || checked_offset(f, t, 8) == NO_FIELD)
		return 0;
	uint64_t v = 0;
	struct clrsos_error *err = clrsos_target_read_u64(r->target, address + OBJECT_DATA + f->offset, &v);
	if (err) {
		clrsos_error_destroy(err);
		return 0;
	}
	return type_at(r, v) ? v : 0;
}

/* What a continuation object stands for: the awaiting box or task, or the delegate's target. */
static uint64_t resolve(struct reader *r, uint64_t c)
{
	if (clrsos_async_find(r->a, c))
		return c;
	const struct clrsos_type *t = type_at(r, c);
	if (!t)
		return c;
	uint64_t v;
	if ((v = ref_field(r, c, t, "m_task")))
		return v;
	if ((v = ref_field(r, c, t, "m_action"))) {
		c = v;
		if (!(t = type_at(r, c)))
			return c;
	}
	if ((v = ref_field(r, c, t, "_target"))) {
		c = v;
		if (!(t = type_at(r, c)))
			return c;
		if (strcmp(clrsos_types_name(r->types, t),
			   "System.Runtime.CompilerServices.AsyncMethodBuilderCore+ContinuationWrapper") == 0 &&
		    (v = ref_field(r, c, t, "_continuation"))) {
			c = v;
			if ((t = type_at(r, c)) && (v = ref_field(r, c, t, "_target")))
				c = v;
		}
	}
	return c;
}

static struct clrsos_error *add_continuation(struct reader *r, uint64_t c)
{
	struct clrsos_async *a = r->a;
	struct clrsos_error *err = clrsos_array_reserve(&a->continuations, &r->cont_capacity, a->ncontinuations + 1);
	if (err)
		return err;
	a->continuations[a->ncontinuations++] = c;
	return NULL;
}

/* The continuations in m_continuationObject c: one object, or each item of a List<object>. */
static struct clrsos_error *continuations_of(struct reader *r, uint64_t c)
{
	const struct clrsos_type *t = type_at(r, c);
	if (!t)
		return r->err;
	const char *name = clrsos_types_name(r->types, t);
	if (strncmp(name, "System.Collections.Generic.List<", 32) != 0)
		return add_continuation(r, resolve(r, c));
	uint64_t items = ref_field(r, c, t, "_items");
	const struct clrsos_type *at = items ? type_at(r, items) : NULL;
	if (!at || !at->is_array || at->component_size != 8)
		return NULL;
	uint32_t length = 0;
	struct clrsos_error *err = clrsos_target_read_u32(r->target, items + ARRAY_LENGTH, &length);
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	if (length > MAX_LIST_ITEMS)
		length = MAX_LIST_ITEMS;
	uint64_t *refs = malloc((size_t)length * 8 + 8);
	if (!refs)
		return &clrsos_error_no_memory;
	err = clrsos_target_read(r->target, items + ARRAY_DATA, refs, (size_t)length * 8);
	if (err) {
		clrsos_error_destroy(err);
		free(refs);
		return NULL;
	}
	for (uint32_t i = 0; i < length && !err; i++)
		if (refs[i] && type_at(r, refs[i]))
			err = add_continuation(r, resolve(r, refs[i]));
	free(refs);
	return err ? err : r->err;
}

/* A class state machine (Debug builds): its type and <>1__state from the object. */
static void read_class_state(struct reader *r, struct clrsos_async_object *o)
{
	const struct clrsos_type *t = type_at(r, o->sm_address);
	if (!t) {
		o->sm_address = 0;
		return;
	}
	o->sm_mt = t->mt;
	const struct clrsos_field *f = field(r, t->mt, "<>1__state");
	if (!f || checked_offset(f, t, 4) == NO_FIELD)
		return;
	uint32_t v;
	struct clrsos_error *err = clrsos_target_read_u32(r->target, o->sm_address + OBJECT_DATA + f->offset, &v);
	if (err) {
		clrsos_error_destroy(err);
		return;
	}
	o->state = (int32_t)v;
	o->has_state = true;
}

static int by_address(const void *x, const void *y)
{
	const struct clrsos_async_object *a = x, *b = y;
	return a->address < b->address ? -1 : a->address > b->address;
}

struct clrsos_error *clrsos_async_init(struct clrsos_async *a, struct clrsos_heap *heap, struct clrsos_dac *dac,
				       bool tasks)
{
	memset(a, 0, sizeof(*a));
	struct reader r = {
		.heap = heap,
		.types = clrsos_heap_types(heap),
		.target = clrsos_heap_target(heap),
		.dac = dac,
		.tasks = tasks,
		.a = a,
	};
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_error *err = clrsos_heap_walk(heap, &filter, on_object, &r, clrsos_watch_heap_progress,
						    clrsos_heap_watch(heap), &a->walk);
	if (!err)
		err = r.err;
	if (!err && a->count)
		qsort(a->objects, a->count, sizeof(a->objects[0]), by_address);
	for (size_t i = 0; i < a->count && !err; i++) {
		struct clrsos_async_object *o = &a->objects[i];
		if (o->sm_is_object && o->sm_address)
			read_class_state(&r, o);
		o->first_continuation = a->ncontinuations;
		if (o->continuation_object)
			err = continuations_of(&r, o->continuation_object);
		o->ncontinuations = a->ncontinuations - o->first_continuation;
	}
	for (size_t i = 0; i < a->ncontinuations && !err; i++) {
		struct clrsos_async_object *o = (struct clrsos_async_object *)clrsos_async_find(a, a->continuations[i]);
		if (o)
			o->top_level = false;
	}
	for (size_t i = 0; i < r.ncache; i++)
		clrsos_fields_deinit(&r.cache[i].fields);
	free(r.infos);
	free(r.task);
	if (err)
		clrsos_async_deinit(a);
	return err;
}

void clrsos_async_deinit(struct clrsos_async *a)
{
	free(a->objects);
	free(a->continuations);
	memset(a, 0, sizeof(*a));
}

const struct clrsos_async_object *clrsos_async_find(const struct clrsos_async *a, uint64_t address)
{
	size_t lo = 0, hi = a->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->objects[mid].address == address)
			return &a->objects[mid];
		if (a->objects[mid].address < address)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Whether the awaiter field f of the state machine stored at base holds something, and what. */
static bool awaiter_of(struct clrsos_heap *heap, const struct clrsos_field *f, uint64_t base, bool need_set,
		       struct clrsos_async_awaiter *ret)
{
	struct clrsos_types *types = clrsos_heap_types(heap);
	struct clrsos_target *target = clrsos_heap_target(heap);
	uint64_t address = base + f->offset;
	if (!clrsos_element_is_value(f->element_type)) {
		uint64_t ref = 0;
		const struct clrsos_type *t = NULL;
		struct clrsos_error *err = clrsos_target_read_u64(target, address, &ref);
		if (!err && ref)
			err = clrsos_heap_object_at(heap, ref, &t, NULL);
		bool ok = !err && t;
		clrsos_error_destroy(err);
		if (!ok)
			return false;
		ret->address = ref;
		ret->mt = t->mt;
		ret->is_value = false;
		return true;
	}
	if (f->element_type != CLRSOS_ELEMENT_VALUETYPE || !f->type_mt)
		return false;
	const struct clrsos_type *t = clrsos_types_get(types, f->type_mt);
	if (!t)
		return false;
	if (need_set) {
		/* A struct's base size counts an object header and MethodTable word around its data. */
		uint8_t bytes[256];
		size_t n = t->base_size > 16 ? t->base_size - 16 : 0;
		if (n > sizeof(bytes))
			n = sizeof(bytes);
		struct clrsos_error *err = clrsos_target_read(target, address, bytes, n);
		if (err) {
			clrsos_error_destroy(err);
			return false;
		}
		bool zero = true;
		for (size_t i = 0; i < n && zero; i++)
			zero = bytes[i] == 0;
		if (zero)
			return false;
	}
	ret->address = address;
	ret->mt = f->type_mt;
	ret->is_value = true;
	return true;
}

struct clrsos_error *clrsos_async_awaiter(struct clrsos_heap *heap, struct clrsos_dac *dac,
					  const struct clrsos_async_object *o, struct clrsos_async_awaiter *ret,
					  bool *found)
{
	*found = false;
	if (!o->is_box || !o->has_state || o->state < 0 || !o->sm_mt || !o->sm_address)
		return NULL;
	struct clrsos_fields fields;
	struct clrsos_error *err = clrsos_fields_init(dac, clrsos_heap_types(heap), o->sm_mt, &fields);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	uint64_t base = o->sm_address + (o->sm_is_object ? OBJECT_DATA : 0);
	size_t awaiters = 0;
	const struct clrsos_field *first = NULL;
	for (size_t i = 0; i < fields.count; i++) {
		const struct clrsos_field *f = &fields.items[i];
		if (f->is_static || strncmp(f->name, "<>u__", 5) != 0)
			continue;
		awaiters++;
		if (strcmp(f->name, "<>u__1") == 0)
			first = f;
	}
	if (o->state == 0 || awaiters == 1) {
		*found = first && awaiter_of(heap, first, base, false, ret);
	} else {
		for (size_t i = 0; i < fields.count && !*found; i++) {
			const struct clrsos_field *f = &fields.items[i];
			if (!f->is_static && strncmp(f->name, "<>u__", 5) == 0)
				*found = awaiter_of(heap, f, base, true, ret);
		}
	}
	clrsos_fields_deinit(&fields);
	return NULL;
}
