/*
 * Verify: the GC heap's invariants, checked in two bulk walks (verify.h).
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/markbits.h"
#include "analysis/verify.h"
#include "base/vector.h"

const char *clrsos_corruption_kind_name(enum clrsos_corruption_kind kind)
{
	switch (kind) {
	case CLRSOS_CORRUPTION_OBJECT_NOT_ON_THE_HEAP: return "ObjectNotOnTheHeap";
	case CLRSOS_CORRUPTION_OBJECT_NOT_POINTER_ALIGNED: return "ObjectNotPointerAligned";
	case CLRSOS_CORRUPTION_OBJECT_TOO_LARGE: return "ObjectTooLarge";
	case CLRSOS_CORRUPTION_INVALID_METHOD_TABLE: return "InvalidMethodTable";
	case CLRSOS_CORRUPTION_REFERENCE_NOT_POINTER_ALIGNED: return "ObjectReferenceNotPointerAligned";
	case CLRSOS_CORRUPTION_INVALID_OBJECT_REFERENCE: return "InvalidObjectReference";
	case CLRSOS_CORRUPTION_FREE_OBJECT_REFERENCE: return "FreeObjectReference";
	case CLRSOS_CORRUPTION_COULD_NOT_READ_OBJECT: return "CouldNotReadObject";
	case CLRSOS_CORRUPTION_COULD_NOT_READ_GCDESC: return "CouldNotReadGCDesc";
	}
	return "?";
}

void clrsos_verify_result_deinit(struct clrsos_verify_result *r)
{
	free(r->errors);
	memset(r, 0, sizeof(*r));
}

struct verifier {
	struct clrsos_heap *heap;
	const struct clrsos_gc *gc;
	struct clrsos_verify_result *r;
	size_t max_kept, kept_cap;
	bool oom;
	/* Per segment (its index in gc->segments): object starts, Free starts. */
	uint64_t **starts, **frees;
	/* The object being checked (its references' errors name it). */
	uint64_t object;
	const struct clrsos_segment *segment;
	/* The caller's progress; pass 0 or 1 (each walk is half of it). */
	clrsos_progress_fn *progress;
	void *progress_ctx;
	int pass;
	uint8_t *buf;
	size_t buf_cap;
};

static void add(struct verifier *v, const struct clrsos_corruption *c)
{
	struct clrsos_verify_result *r = v->r;
	r->error_count++;
	if (r->nerrors >= v->max_kept)
		return;
	if (clrsos_array_reserve(&r->errors, &v->kept_cap, r->nerrors + 1)) {
		v->oom = true;
		return;
	}
	r->errors[r->nerrors++] = *c;
}

static void not_checked(struct clrsos_verify_result *r, const char *what)
{
	if (r->nnot_checked < CLRSOS_VERIFY_MAX_NOT_CHECKED)
		r->not_checked[r->nnot_checked++] = what;
}

/* The word at address, if the target has it. */
static bool read_word(struct clrsos_heap *heap, uint64_t address, uint64_t *ret)
{
	struct clrsos_error *err = clrsos_target_read(clrsos_heap_target(heap), address, ret, 8);
	if (!err)
		return true;
	clrsos_error_destroy(err);
	return false;
}

/* A problem of the walk as a corruption (the header words read again: errors are few). */
static void describe_problem(struct clrsos_heap *heap, const struct clrsos_heap_problem *p,
			     struct clrsos_corruption *c)
{
	memset(c, 0, sizeof(*c));
	c->object = p->address;
	c->segment = clrsos_heap_segment_of(heap, p->address);
	c->segment_end = c->segment ? c->segment->end : 0;
	switch (p->kind) {
	case CLRSOS_PROBLEM_BAD_METHOD_TABLE:
		c->kind = CLRSOS_CORRUPTION_INVALID_METHOD_TABLE;
		c->value_known = read_word(heap, p->address, &c->value);
		break;
	case CLRSOS_PROBLEM_BAD_SIZE: {
		c->kind = CLRSOS_CORRUPTION_OBJECT_TOO_LARGE;
		uint64_t mt, count;
		if (read_word(heap, p->address, &mt) && read_word(heap, p->address + 8, &count)) {
			const struct clrsos_type *t = clrsos_types_get(clrsos_heap_types(heap), mt & ~(uint64_t)7);
			if (t) {
				c->value = clrsos_object_size(t, t->component_size ? (uint32_t)count : 0);
				c->value_known = true;
			}
		}
		break;
	}
	case CLRSOS_PROBLEM_MISSING_MEMORY:
	default:
		c->kind = CLRSOS_CORRUPTION_COULD_NOT_READ_OBJECT;
		break;
	}
}

static void on_problem(void *ctx, const struct clrsos_heap_problem *p)
{
	struct verifier *v = ctx;
	struct clrsos_corruption c;
	describe_problem(v->heap, p, &c);
	add(v, &c);
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct verifier *v = ctx;
	if (v->progress)
		v->progress(v->progress_ctx, v->pass * total + done, 2 * total);
}

static bool bit(uint64_t **bits, const struct clrsos_gc *gc, const struct clrsos_segment *s, uint64_t address)
{
	uint64_t *b = bits[s - gc->segments];
	if (!b)
		return false;
	uint64_t mask;
	return (*clrsos_markbits_word(b, s, address, &mask) & mask) != 0;
}

static bool note_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct verifier *v = ctx;
	size_t i = (size_t)(obj->segment - v->gc->segments);
	uint64_t mask;
	if (v->starts[i])
		*clrsos_markbits_word(v->starts[i], obj->segment, obj->address, &mask) |= mask;
	if (obj->type->is_free && v->frees[i])
		*clrsos_markbits_word(v->frees[i], obj->segment, obj->address, &mask) |= mask;
	return true;
}

/* A reference of the object being checked, against the index. */
static void check_ref(void *ctx, uint64_t offset, uint64_t ref)
{
	struct verifier *v = ctx;
	v->r->references++;
	struct clrsos_corruption c = {
		.object = v->object, .offset = offset, .value = ref, .value_known = true, .segment = v->segment,
	};
	const struct clrsos_segment *s;
	if (ref & 7)
		c.kind = CLRSOS_CORRUPTION_REFERENCE_NOT_POINTER_ALIGNED;
	else if (!(s = clrsos_heap_segment_of(v->heap, ref)) || ref >= s->end || !bit(v->starts, v->gc, s, ref))
		c.kind = CLRSOS_CORRUPTION_INVALID_OBJECT_REFERENCE;
	else if (bit(v->frees, v->gc, s, ref))
		c.kind = CLRSOS_CORRUPTION_FREE_OBJECT_REFERENCE;
	else
		return;
	add(v, &c);
}

static bool check_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct verifier *v = ctx;
	v->r->objects++;
	if (obj->address & 7) {
		struct clrsos_corruption c = {.kind = CLRSOS_CORRUPTION_OBJECT_NOT_POINTER_ALIGNED,
					      .object = obj->address, .segment = obj->segment};
		add(v, &c);
	}
	if (!obj->type->contains_pointers)
		return !v->oom;
	const uint8_t *bytes = obj->bytes;
	uint64_t size = obj->size;
	if (obj->bytes_len < size) {
		/* Runs past the walk's read block: read it whole. */
		const struct clrsos_type *t;
		struct clrsos_error *err = clrsos_heap_read_object(v->heap, obj->address, &t, &size, &v->buf,
								   &v->buf_cap);
		if (err) {
			v->oom = clrsos_error_is_no_memory(err);
			clrsos_error_destroy(err);
			if (!v->oom) {
				struct clrsos_corruption c = {.kind = CLRSOS_CORRUPTION_COULD_NOT_READ_OBJECT,
							      .object = obj->address, .segment = obj->segment};
				add(v, &c);
			}
			return !v->oom;
		}
		bytes = v->buf;
	}
	v->object = obj->address;
	v->segment = obj->segment;
	if (!clrsos_types_for_each_ref_at(clrsos_heap_types(v->heap), obj->type, bytes, size, check_ref, v)) {
		struct clrsos_corruption c = {.kind = CLRSOS_CORRUPTION_COULD_NOT_READ_GCDESC,
					      .object = obj->address, .segment = obj->segment,
					      .value = obj->type->mt, .value_known = true};
		add(v, &c);
	}
	return !v->oom;
}

static void free_bits(struct verifier *v)
{
	for (size_t i = 0; v->starts && i < v->gc->nsegments; i++)
		free(v->starts[i]);
	for (size_t i = 0; v->frees && i < v->gc->nsegments; i++)
		free(v->frees[i]);
	free(v->starts);
	free(v->frees);
	free(v->buf);
}

static void say_not_checked(struct clrsos_verify_result *r)
{
	not_checked(r, "card table not checked: clrsos does not read the GC's card table");
	not_checked(r, "brick table not checked: clrsos does not read the GC's brick table");
	not_checked(r, "free lists not checked: clrsos does not read the GC's free lists (Free objects are checked "
		       "as objects, and references to them reported)");
	not_checked(r, "sync block table not checked");
}

struct clrsos_error *clrsos_verify_heap(struct clrsos_heap *heap, const struct clrsos_walk_filter *filter,
					size_t max_kept, clrsos_progress_fn *progress, void *progress_ctx,
					struct clrsos_verify_result *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct clrsos_error *err = clrsos_heap_check_walkable(heap);
	if (err)
		return err;
	struct verifier v = {.heap = heap, .gc = clrsos_heap_gc(heap), .r = ret, .max_kept = max_kept,
			     .progress = progress, .progress_ctx = progress_ctx};
	size_t n = v.gc->nsegments;
	v.starts = calloc(n ? n : 1, sizeof(*v.starts));
	v.frees = calloc(n ? n : 1, sizeof(*v.frees));
	if (!v.starts || !v.frees) {
		free_bits(&v);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n; i++) {
		const struct clrsos_segment *s = &v.gc->segments[i];
		uint64_t words = clrsos_markbits_words(s);
		if (!words)
			continue;
		if (words > SIZE_MAX / 8 || !(v.starts[i] = calloc((size_t)words, 8)) ||
		    !(v.frees[i] = calloc((size_t)words, 8))) {
			free_bits(&v);
			return &clrsos_error_no_memory;
		}
	}
	/* The first walk: every object's start, over the whole heap (a
	 * reference may point anywhere); the problems of the objects the
	 * filter covers are errors. */
	struct clrsos_walk_filter all;
	clrsos_walk_filter_init(&all);
	struct clrsos_walk_result walk;
	err = clrsos_heap_walk(heap, &all, note_object, &v, on_progress, &v, &walk);
	if (!err) {
		/* The second walk: the filter's objects, their references and problems. */
		struct clrsos_walk_filter f = *filter;
		v.pass = 1;
		f.on_problem = on_problem;
		f.problem_ctx = &v;
		err = clrsos_heap_walk(heap, &f, check_object, &v, on_progress, &v, &walk);
	}
	if (!err && v.oom)
		err = &clrsos_error_no_memory;
	free_bits(&v);
	if (err)
		return err;
	say_not_checked(ret);
	return NULL;
}

/* Whether the walk of the segment holding address met a problem right there (the problem in *ret). */
struct probe {
	uint64_t address;
	bool found;
	struct clrsos_heap_problem problem;
};

static void probe_problem(void *ctx, const struct clrsos_heap_problem *p)
{
	struct probe *pr = ctx;
	if (p->address == pr->address && !pr->found) {
		pr->found = true;
		pr->problem = *p;
	}
}

static bool no_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct probe *pr = ctx;
	return obj->address <= pr->address; /* past it: nothing more to learn */
}

/* One reference of verifyobj's object, through the heap's own index. */
struct one {
	struct verifier v;
	struct clrsos_error *err; /* out of memory, interrupted */
};

static void check_ref_one(void *ctx, uint64_t offset, uint64_t ref)
{
	struct one *o = ctx;
	if (o->err)
		return;
	o->v.r->references++;
	struct clrsos_corruption c = {
		.object = o->v.object, .offset = offset, .value = ref, .value_known = true, .segment = o->v.segment,
	};
	uint64_t start = 0;
	const struct clrsos_type *t = NULL;
	if (ref & 7) {
		c.kind = CLRSOS_CORRUPTION_REFERENCE_NOT_POINTER_ALIGNED;
	} else {
		struct clrsos_error *err = clrsos_heap_find_object(o->v.heap, ref, &start, &t);
		if (err && (clrsos_error_is_no_memory(err) || err->code == CLRSOS_ERROR_INTERRUPTED ||
			    err->code == CLRSOS_ERROR_GC_IN_PROGRESS)) {
			o->err = err;
			return;
		}
		clrsos_error_destroy(err);
		if (err || start != ref)
			c.kind = CLRSOS_CORRUPTION_INVALID_OBJECT_REFERENCE;
		else if (t && t->is_free)
			c.kind = CLRSOS_CORRUPTION_FREE_OBJECT_REFERENCE;
		else
			return;
	}
	add(&o->v, &c);
}

struct clrsos_error *clrsos_verify_object(struct clrsos_heap *heap, uint64_t address,
					  struct clrsos_verify_result *ret)
{
	memset(ret, 0, sizeof(*ret));
	const struct clrsos_segment *seg = clrsos_heap_segment_of(heap, address);
	if (!seg)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is not in the GC heap: not a managed object (eeheap -gc lists the heap)",
					   (unsigned long long)address);
	if (address & 7)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%llx is not a managed object: objects start 8-byte aligned",
					   (unsigned long long)address);
	struct one o = {.v = {.heap = heap, .gc = clrsos_heap_gc(heap), .r = ret, .max_kept = SIZE_MAX}};
	const struct clrsos_type *type;
	uint64_t size;
	struct clrsos_error *err = clrsos_heap_object_at(heap, address, &type, &size);
	if (err) {
		if (err->code != CLRSOS_ERROR_INVALID_ARGUMENT)
			return err;
		/* Not an object by what is there: a damaged one if the walk of
		 * its segment stopped right there, else not an object at all. */
		struct probe pr = {.address = address};
		struct clrsos_walk_filter f;
		clrsos_walk_filter_init(&f);
		f.segment = seg;
		f.on_problem = probe_problem;
		f.problem_ctx = &pr;
		struct clrsos_walk_result walk;
		struct clrsos_error *werr = clrsos_heap_walk(heap, &f, no_object, &pr, NULL, NULL, &walk);
		if (werr) {
			clrsos_error_destroy(err);
			return werr;
		}
		if (!pr.found)
			return err;
		clrsos_error_destroy(err);
		struct clrsos_corruption c;
		describe_problem(heap, &pr.problem, &c);
		add(&o.v, &c);
		ret->objects = 1;
		return o.v.oom ? &clrsos_error_no_memory : NULL;
	}
	ret->objects = 1;
	if (type->contains_pointers) {
		err = clrsos_heap_read_object(heap, address, &type, &size, &o.v.buf, &o.v.buf_cap);
		if (err) {
			free(o.v.buf);
			return err;
		}
		o.v.object = address;
		o.v.segment = seg;
		if (!clrsos_types_for_each_ref_at(clrsos_heap_types(heap), type, o.v.buf, size, check_ref_one, &o)) {
			struct clrsos_corruption c = {.kind = CLRSOS_CORRUPTION_COULD_NOT_READ_GCDESC,
						      .object = address, .segment = seg,
						      .value = type->mt, .value_known = true};
			add(&o.v, &c);
		}
		free(o.v.buf);
	}
	if (o.err)
		return o.err;
	if (o.v.oom)
		return &clrsos_error_no_memory;
	say_not_checked(ret);
	return NULL;
}
