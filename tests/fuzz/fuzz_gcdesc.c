/*
 * GCDesc decoding: every object of a mutated heap snapshot, copied into a
 * buffer of exactly its size, its references listed by the type's GCDesc
 * (also mutated). A reference read outside the object is an ASan report.
 */
#include <stdlib.h>
#include <string.h>

#include "model/heap.h"
#include "snapshot.h"
#include "model/types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	struct clrsos_types *types;
	uint64_t refs;
};

static void count_ref(void *ctx, uint64_t ref)
{
	struct walk *w = ctx;
	w->refs += ref != 0;
}

static bool each_object(void *ctx, const struct clrsos_heap_object *obj)
{
	struct walk *w = ctx;
	if (obj->bytes_len < obj->size || obj->size > (16u << 20))
		return true;
	uint8_t *copy = malloc(obj->size ? obj->size : 1);
	if (!copy)
		return false;
	memcpy(copy, obj->bytes, obj->size);
	clrsos_types_for_each_ref(w->types, obj->type, copy, obj->size, count_ref, w);
	free(copy);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s;
	struct clrsos_heap *heap;
	if (snapshot_load(&s, data, size) == 0) {
		struct clrsos_error *err = clrsos_session_heap(s.session, &heap);
		if (!err) {
			struct walk w = {clrsos_heap_types(heap), 0};
			struct clrsos_walk_filter f;
			clrsos_walk_filter_init(&f);
			struct clrsos_walk_result r;
			err = clrsos_heap_walk(heap, &f, each_object, &w, NULL, NULL, &r);
		}
		clrsos_error_destroy(err);
	}
	snapshot_free(&s);
	return 0;
}
