/* Exceptions: System.Exception objects as values (exception.h). */
#include "exception.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"
#include "model/fields.h"
#include "model/heap.h"
#include "model/methods.h"
#include "model/stack.h"
#include "base/vector.h"
#include "model/threads.h"
#include "model/types.h"
#include "target/target.h"

struct clrsos_error *clrsos_type_is_exception(struct clrsos_dac *dac, uint64_t mt, bool *ret)
{
	*ret = false;
	struct clrsos_dacp_useful_globals g;
	struct clrsos_error *err = clrsos_dac_useful_globals(dac, &g);
	if (err)
		return clrsos_error_ignore(err); /* no System.Exception known: none is one */
	for (int depth = 0; mt && depth < 64; depth++) {
		if (mt == g.exception_method_table) {
			*ret = true;
			return NULL;
		}
		struct clrsos_dacp_method_table_data md;
		if ((err = clrsos_dac_method_table_data(dac, mt, &md)))
			return clrsos_error_ignore(err); /* an unreadable parent: not shown to derive */
		mt = md.parent_method_table;
	}
	return NULL;
}

/* An instance field of fields by name, or NULL. */
static const struct clrsos_field *field_by_name(const struct clrsos_fields *fields, const char *name)
{
	for (size_t i = 0; i < fields->count; i++) {
		if (!fields->items[i].is_static && strcmp(fields->items[i].name, name) == 0)
			return &fields->items[i];
	}
	return NULL;
}

/* A reference field's value (0 if there is no such field or it is unreadable). */
static uint64_t read_ref_field(struct clrsos_target *target, const struct clrsos_fields *fields, uint64_t object,
			       const char *name)
{
	const struct clrsos_field *f = field_by_name(fields, name);
	uint64_t v = 0;
	if (f) {
		struct clrsos_error *e = clrsos_target_read_u64(target, object + 8 + f->offset, &v);
		clrsos_error_destroy(e);
	}
	return v;
}

/*
 * The stack trace the runtime recorded as the exception travelled: a byte[]
 * (or, since .NET 9, an object[] whose first element is that byte[]) holding
 * a header {size_t count; Thread *} and count elements {ip, sp, MethodDesc,
 * flags} of 32 bytes.
 */
enum { EXCEPTION_MANAGED = 0xe0434352 }; /* the exception code of a managed throw */
enum { TRACE_HEADER = 16, TRACE_ELEMENT = 32, ARRAY_DATA = 16 };

static struct clrsos_error *decode_stack_trace(struct clrsos_exception *ex, struct clrsos_heap *heap,
					       struct clrsos_dac *dac, uint64_t trace)
{
	struct clrsos_error *err = NULL;
	const struct clrsos_type *t = NULL;
	uint64_t size = 0;
	uint8_t *buf = NULL;
	size_t cap = 0;
	if (!trace)
		return NULL;
	/* Not an object (either one): no trace. */
	if ((err = clrsos_heap_read_object(heap, trace, &t, &size, &buf, &cap)))
		goto out;
	if (t->is_array && t->component_size == 8 && size >= 24) {
		uint64_t first = 0;
		memcpy(&first, buf + ARRAY_DATA, 8); /* object[]: its first element */
		if (!first || (err = clrsos_heap_read_object(heap, first, &t, &size, &buf, &cap)))
			goto out;
	}
	if (t->is_array && t->component_size == 1 && size >= ARRAY_DATA + TRACE_HEADER) {
		uint32_t length;
		memcpy(&length, buf + 8, 4);
		const uint8_t *data = buf + ARRAY_DATA;
		uint64_t count;
		memcpy(&count, data, 8);
		if (length >= TRACE_HEADER && count <= (length - TRACE_HEADER) / TRACE_ELEMENT) {
			ex->stack_trace_decoded = true;
			ex->frames = calloc(count ? (size_t)count : 1, sizeof(*ex->frames));
			if (!ex->frames) {
				free(buf);
				return &clrsos_error_no_memory;
			}
			for (uint64_t i = 0; i < count; i++) {
				struct clrsos_exception_frame *f = &ex->frames[i];
				const uint8_t *e = data + TRACE_HEADER + i * TRACE_ELEMENT;
				memcpy(&f->ip, e, 8);
				memcpy(&f->sp, e + 8, 8);
				memcpy(&f->method_desc, e + 16, 8);
				/* SOS's rule for showing the IP (its "counterhack"): one more for an exception of the
				 * hardware kind, where the runtime stored each IP one less. */
				if (ex->hardware)
					f->ip += 1;
				ex->frame_count = (size_t)i + 1;
				bool code;
				struct clrsos_error *me =
					f->method_desc ? clrsos_method_desc_name(dac, f->method_desc, &f->method, &code) : NULL;
				if (clrsos_error_is_no_memory(me)) {
					err = me;
					break;
				}
				if (me)
					f->method = NULL;
				clrsos_error_destroy(me);
				if (f->method_desc &&
				    (err = clrsos_method_frame_text(dac, f->method_desc, f->ip, f->method, &f->function)))
					break;
			}
		}
	}
	free(buf);
	return err;
out:
	free(buf);
	if (clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	return NULL;
}

/* The object at address and its type, checked against the heap. */
static struct clrsos_error *object_at(struct clrsos_heap *heap, uint64_t address, const struct clrsos_type **ret)
{
	return clrsos_heap_object_at(heap, address, ret, NULL);
}

/* A string field's text: none (valid false) if it is not a readable string. */
static struct clrsos_error *string_text(struct clrsos_string_text *text, struct clrsos_heap *heap, uint64_t address)
{
	struct clrsos_error *err = clrsos_string_text_init(text, heap, address, UINT32_MAX);
	if (clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	return NULL;
}

struct clrsos_error *clrsos_exception_init(struct clrsos_exception *ex, struct clrsos_heap *heap,
					   struct clrsos_dac *dac, uint64_t address)
{
	memset(ex, 0, sizeof(*ex));
	struct clrsos_types *types = clrsos_heap_types(heap);
	struct clrsos_target *target = clrsos_heap_target(heap);
	const struct clrsos_type *type = NULL;
	struct clrsos_error *err = object_at(heap, address, &type);
	if (err)
		return err;
	bool is_exception;
	if ((err = clrsos_type_is_exception(dac, type->mt, &is_exception)))
		return err;
	if (!is_exception)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not an exception: it is a %s", address,
					   clrsos_types_name(types, type));
	ex->address = address;
	ex->mt = type->mt;
	ex->type_name = clrsos_types_name(types, type);
	struct clrsos_fields fields;
	if ((err = clrsos_fields_init(dac, types, type->mt, &fields)))
		return err;
	ex->message = read_ref_field(target, &fields, address, "_message");
	ex->inner = read_ref_field(target, &fields, address, "_innerException");
	uint64_t trace = read_ref_field(target, &fields, address, "_stackTrace");
	ex->stack_trace_string = read_ref_field(target, &fields, address, "_stackTraceString");
	const struct clrsos_field *hf = field_by_name(&fields, "_HResult");
	if (hf) {
		uint32_t v = 0;
		struct clrsos_error *e = clrsos_target_read_u32(target, address + 8 + hf->offset, &v);
		if (!e)
			ex->hresult = (int32_t)v;
		if ((e = clrsos_error_ignore(e))) { /* unreadable: 0 */
			clrsos_fields_deinit(&fields);
			return e;
		}
	}
	/* SOS's test of an exception of the hardware kind: an exception code other than the one of a managed
	 * throw, or an HRESULT of the kinds a fault raises (arithmetic, overflow, divide by zero, format, null
	 * reference, access violation). */
	const struct clrsos_field *xf = field_by_name(&fields, "_xcode");
	uint32_t xcode = EXCEPTION_MANAGED;
	if (xf) {
		struct clrsos_error *e = clrsos_target_read_u32(target, address + 8 + xf->offset, &xcode);
		if (e)
			xcode = EXCEPTION_MANAGED;
		if ((e = clrsos_error_ignore(e))) {
			clrsos_fields_deinit(&fields);
			return e;
		}
	}
	static const uint32_t fault_hresults[] = {0x80070216, 0x80131516, 0x80020012, 0x80131537, 0x80004003};
	ex->hardware = xcode != EXCEPTION_MANAGED;
	for (size_t i = 0; i < sizeof(fault_hresults) / sizeof(fault_hresults[0]); i++)
		ex->hardware = ex->hardware || (uint32_t)ex->hresult == fault_hresults[i];
	clrsos_fields_deinit(&fields);
	if (ex->inner) {
		const struct clrsos_type *inner_type = NULL;
		struct clrsos_error *e = object_at(heap, ex->inner, &inner_type);
		if (clrsos_error_is_no_memory(e))
			return e;
		if (!e) {
			ex->inner_type_name = clrsos_types_name(types, inner_type);
			if ((e = clrsos_type_is_exception(dac, inner_type->mt, &ex->inner_is_exception)))
				return e;
		}
		clrsos_error_destroy(e); /* an inner object not in the heap: shown by address only */
	}
	if ((ex->message && (err = string_text(&ex->message_text, heap, ex->message))) ||
	    (ex->stack_trace_string && (err = string_text(&ex->stack_trace_string_text, heap, ex->stack_trace_string))) ||
	    (err = decode_stack_trace(ex, heap, dac, trace))) {
		clrsos_exception_deinit(ex);
		return err;
	}
	return NULL;
}

void clrsos_exception_deinit(struct clrsos_exception *ex)
{
	clrsos_string_text_deinit(&ex->message_text);
	clrsos_string_text_deinit(&ex->stack_trace_string_text);
	for (size_t i = 0; i < ex->frame_count; i++) {
		free(ex->frames[i].method);
		free(ex->frames[i].function);
		free(ex->frames[i].source_file);
	}
	free(ex->frames);
	memset(ex, 0, sizeof(*ex));
}

struct clrsos_error *clrsos_exception_inner(struct clrsos_heap *heap, struct clrsos_dac *dac, uint64_t address,
					    uint64_t *ret)
{
	*ret = 0;
	struct clrsos_types *types = clrsos_heap_types(heap);
	const struct clrsos_type *type = NULL, *inner_type = NULL;
	struct clrsos_fields fields;
	struct clrsos_error *e = object_at(heap, address, &type);
	if (!e && !(e = clrsos_fields_init(dac, types, type->mt, &fields))) {
		uint64_t inner = read_ref_field(clrsos_heap_target(heap), &fields, address, "_innerException");
		clrsos_fields_deinit(&fields);
		bool is_exception = false;
		if (inner && !(e = object_at(heap, inner, &inner_type)) &&
		    !(e = clrsos_type_is_exception(dac, inner_type->mt, &is_exception)) && is_exception)
			*ret = inner;
	}
	if (clrsos_error_is_no_memory(e))
		return e;
	clrsos_error_destroy(e);
	return NULL;
}

struct clrsos_error *clrsos_thread_current_exception(struct clrsos_dac *dac, struct clrsos_target *target,
						     uint32_t os_thread_id, uint64_t *ret, bool *ret_nested)
{
	*ret = 0;
	if (ret_nested)
		*ret_nested = false;
	struct clrsos_managed_thread_list threads;
	struct clrsos_error *err = clrsos_managed_thread_list_init(&threads, dac);
	if (err)
		return err;
	for (size_t i = 0; i < threads.count && !*ret; i++) {
		const struct clrsos_managed_thread *t = &threads.items[i];
		if (t->os_id == os_thread_id && ret_nested)
			*ret_nested = t->nested_exceptions;
		if (t->os_id == os_thread_id && t->last_thrown_handle) {
			struct clrsos_error *e = clrsos_target_read_u64(target, t->last_thrown_handle, ret);
			if (e)
				*ret = 0; /* an unreadable handle: no current exception */
			if ((e = clrsos_error_ignore(e))) {
				clrsos_managed_thread_list_deinit(&threads);
				return e;
			}
		}
	}
	clrsos_managed_thread_list_deinit(&threads);
	return NULL;
}

struct clrsos_error *clrsos_exception_sources(struct clrsos_exception *ex, struct clrsos_dac *dac,
					      struct clrsos_source_cache *cache)
{
	for (size_t i = 0; i < ex->frame_count; i++) {
		struct clrsos_exception_frame *f = &ex->frames[i];
		if (!f->method_desc || f->source_file)
			continue;
		struct clrsos_error *err = clrsos_source_line_at(cache, dac, f->method_desc, f->ip,
								 !ex->hardware || i > 0, &f->source_file,
								 &f->source_line);
		if (err)
			return err;
	}
	return NULL;
}

struct clrsos_error *clrsos_thread_nested_exceptions(struct clrsos_dac *dac, uint32_t os_thread_id, size_t max,
						     uint64_t **ret, size_t *ret_count, bool *ret_more)
{
	*ret = NULL;
	*ret_count = 0;
	*ret_more = false;
	struct clrsos_managed_thread_list threads;
	struct clrsos_error *err = clrsos_managed_thread_list_init(&threads, dac);
	if (err)
		return err;
	uint64_t record = 0;
	for (size_t i = 0; i < threads.count; i++)
		if (threads.items[i].os_id == os_thread_id)
			record = threads.items[i].first_nested;
	clrsos_managed_thread_list_deinit(&threads);
	size_t cap = 0;
	/* The records live on the thread's stack: a corrupt chain ends at max (said as more). */
	while (record && !err) {
		if (*ret_count == max) {
			*ret_more = true;
			break;
		}
		uint64_t object = 0, next = 0;
		if ((err = clrsos_dac_nested_exception(dac, record, &object, &next)))
			break;
		if (!(err = clrsos_array_reserve(ret, &cap, *ret_count + 1)))
			(*ret)[(*ret_count)++] = object;
		record = next;
	}
	if (err) {
		free(*ret);
		*ret = NULL;
		*ret_count = 0;
	}
	return err;
}
