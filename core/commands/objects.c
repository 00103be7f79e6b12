#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clrstring.h"
#include "model/fields.h"
#include "model/heap.h"
#include "commands.h"

/* The object at exactly address, or an error naming what is there instead. */
static struct clrsos_error *object_at(struct clrsos_heap *heap, uint64_t address,
				      const struct clrsos_type **ret)
{
	return clrsos_heap_object_at(heap, address, ret, NULL);
}

/* A type name in at most 20 columns, as SOS shortens it: from the left. */
static void short_type(const char *name, char *buf, size_t size)
{
	struct clrsos_name_buf nb;
	name = clrsos_safe_name(name, &nb);
	size_t n = strlen(name);
	if (n <= 20) {
		snprintf(buf, size, "%s", name);
		return;
	}
	const char *tail = name + n - 17;
	while (((unsigned char)*tail & 0xc0) == 0x80)
		tail++; /* not inside a UTF-8 sequence */
	snprintf(buf, size, "...%s", tail);
}

struct field_printer {
	struct clrsos_session *session;
	struct clrsos_dac *dac;
	struct clrsos_heap *heap;
	struct clrsos_types *types;
	struct clrsos_target *target;
	struct clrsos_writer *out;
	struct clrsos_json *json;
};

static bool is_reference(uint32_t et)
{
	return !clrsos_element_is_value(et) || et == CLRSOS_ELEMENT_VALUETYPE;
}

/* Thread-static values: one per managed thread that has storage for the type. */
static void thread_values(struct field_printer *p, const struct clrsos_field *f)
{
	struct clrsos_dacp_thread_store_data store;
	struct clrsos_error *err = clrsos_dac_thread_store(p->dac, &store);
	if (err) {
		clrsos_error_destroy(err);
		return;
	}
	if (p->json) {
		clrsos_json_key(p->json, "threadValues");
		clrsos_json_array_begin(p->json);
	} else {
		clrsos_out(p->out, "    >> Thread:Value");
	}
	uint64_t thread = store.first_thread;
	for (int n = 0; thread && n < (1 << 16); n++) {
		struct clrsos_dacp_thread_data t;
		if ((err = clrsos_dac_thread_data(p->dac, thread, &t))) {
			clrsos_error_destroy(err);
			break;
		}
		uint64_t non_gc, gc;
		clrsos_error_destroy(clrsos_dac_thread_static_bases(p->dac, f->declaring_mt, thread,
								    &non_gc, &gc));
		uint64_t base = is_reference(f->desc.type) ? gc : non_gc;
		char value[64];
		if (base && t.os_thread_id &&
		    !(err = clrsos_field_value(p->target, f->desc.type == CLRSOS_ELEMENT_VALUETYPE
							       ? CLRSOS_ELEMENT_CLASS : f->desc.type,
					       base + f->desc.offset, value, sizeof(value)))) {
			if (p->json) {
				clrsos_json_object_begin(p->json);
				clrsos_json_key(p->json, "osThreadId");
				clrsos_json_uint(p->json, t.os_thread_id);
				clrsos_json_key(p->json, "value");
				clrsos_json_string(p->json, value);
				clrsos_json_object_end(p->json);
			} else {
				clrsos_outf(p->out, " %x:%s", t.os_thread_id, value);
			}
		}
		clrsos_error_destroy(err);
		err = NULL;
		thread = t.next_thread;
	}
	if (p->json)
		clrsos_json_array_end(p->json);
	else
		clrsos_out(p->out, " <<\n");
}

/*
 * The Fields table of an object (base = its address, object = true) or of
 * a value type stored at base (object = false).
 */
static struct clrsos_error *print_fields(struct field_printer *p, uint64_t mt, uint64_t base,
					 bool object)
{
	struct clrsos_fields fields;
	struct clrsos_error *err = clrsos_fields_get(p->dac, p->types, mt, &fields);
	if (err)
		return err;
	if (p->json) {
		clrsos_json_key(p->json, "fields");
		clrsos_json_array_begin(p->json);
	} else {
		clrsos_out(p->out, "Fields:\n");
		if (!fields.count)
			clrsos_out(p->out, "None\n");
		else
			clrsos_outf(p->out, "%16s %8s %8s %20s %2s %8s %16s %s\n", "MT", "Field", "Offset",
				    "Type", "VT", "Attr", "Value", "Name");
	}
	uint64_t non_gc = 0, gc = 0, statics_mt = 0;
	for (size_t i = 0; i < fields.count; i++) {
		const struct clrsos_field *f = &fields.items[i];
		const struct clrsos_dacp_field_desc_data *d = &f->desc;
		bool is_static = d->is_static, thread_static = d->is_static && d->is_thread_local;
		/* SOS shows an object's instance offsets from the object's start (after the MethodTable word). */
		uint32_t offset = d->offset + (!is_static && object ? 8 : 0);
		char type[256], shown_type[32], value[64] = "";
		clrsos_field_type_name(p->types, f, type, sizeof(type));
		short_type(type, shown_type, sizeof(shown_type));
		int vt = d->type == CLRSOS_ELEMENT_VALUETYPE || clrsos_element_is_value(d->type);
		const char *attr = thread_static ? "TLstatic" : is_static ? "static" : "instance";
		struct clrsos_error *verr = NULL;
		if (thread_static) {
			/* values per thread, below */
		} else if (is_static) {
			if (statics_mt != f->declaring_mt) {
				statics_mt = f->declaring_mt;
				verr = clrsos_dac_static_bases(p->dac, f->declaring_mt, f->module, &non_gc, &gc);
			}
			uint64_t sbase = is_reference(d->type) ? gc : non_gc;
			if (!verr && sbase)
				verr = clrsos_field_value(p->target, d->type == CLRSOS_ELEMENT_VALUETYPE
									? CLRSOS_ELEMENT_CLASS : d->type,
							  sbase + d->offset, value, sizeof(value));
			else if (!verr)
				snprintf(value, sizeof(value), "<no information>");
		} else if (base) {
			verr = clrsos_field_value(p->target, d->type, base + offset, value, sizeof(value));
		}
		if (verr) {
			snprintf(value, sizeof(value), "<unreadable>");
			clrsos_error_destroy(verr);
		}
		if (p->json) {
			clrsos_json_object_begin(p->json);
			clrsos_json_key(p->json, "mt");
			clrsos_json_address(p->json, d->mt_of_type);
			clrsos_json_key(p->json, "token");
			clrsos_json_uint(p->json, f->token);
			clrsos_json_key(p->json, "offset");
			clrsos_json_uint(p->json, offset);
			clrsos_json_key(p->json, "type");
			clrsos_json_string(p->json, type);
			clrsos_json_key(p->json, "elementType");
			clrsos_json_uint(p->json, d->type);
			clrsos_json_key(p->json, "vt");
			clrsos_json_uint(p->json, (uint64_t)vt);
			clrsos_json_key(p->json, "attr");
			clrsos_json_string(p->json, attr);
			clrsos_json_key(p->json, "value");
			if (thread_static)
				clrsos_json_null(p->json);
			else
				clrsos_json_string(p->json, value);
			clrsos_json_key(p->json, "name");
			clrsos_json_string(p->json, f->name);
			if (thread_static)
				thread_values(p, f);
			clrsos_json_object_end(p->json);
			continue;
		}
		struct clrsos_name_buf nb;
		clrsos_outf(p->out, "%016" PRIx64 " %08x %8x %20s %2d %8s %16s %s\n", d->mt_of_type,
			    f->token, offset, shown_type, vt, attr, value, clrsos_safe_name(f->name, &nb));
		if (thread_static)
			thread_values(p, f);
	}
	if (p->json)
		clrsos_json_array_end(p->json);
	clrsos_fields_deinit(&fields);
	return NULL;
}

static const char *element_short_name(uint32_t et)
{
	const char *n = clrsos_element_name(et);
	if (!n)
		return "Unknown";
	return strncmp(n, "System.", 7) == 0 ? n + 7 : n;
}

struct ref_ctx {
	struct field_printer *p;
	size_t count;
};

static void print_ref(void *ctx, uint64_t ref)
{
	struct ref_ctx *c = ctx;
	struct field_printer *p = c->p;
	uint64_t mt = 0;
	const struct clrsos_type *t = NULL;
	struct clrsos_error *err = clrsos_target_read_u64(p->target, ref, &mt);
	if (!err)
		t = clrsos_types_get(p->types, mt & ~(uint64_t)7);
	clrsos_error_destroy(err);
	const char *name = t ? clrsos_types_name(p->types, t) : "<not an object>";
	c->count++;
	if (p->json) {
		clrsos_json_object_begin(p->json);
		clrsos_json_key(p->json, "address");
		clrsos_json_address(p->json, ref);
		clrsos_json_key(p->json, "type");
		clrsos_json_string(p->json, name);
		clrsos_json_object_end(p->json);
	} else {
		struct clrsos_name_buf nb;
		clrsos_outf(p->out, "    %016" PRIx64 " %s\n", ref, clrsos_safe_name(name, &nb));
	}
}

static struct clrsos_error *printer_init(struct field_printer *p, struct clrsos_session *session,
					 struct clrsos_writer *out)
{
	memset(p, 0, sizeof(*p));
	p->session = session;
	p->out = out;
	struct clrsos_error *err = clrsos_session_heap(session, &p->heap);
	if (!err)
		err = clrsos_session_dac(session, &p->dac);
	if (err)
		return err;
	p->types = clrsos_heap_types(p->heap);
	p->target = clrsos_heap_target(p->heap);
	return NULL;
}

/* Thin lock bits of the header word (syncblk.h). */
enum {
	SBLK_IS_HASH_OR_SYNCBLKINDEX = 0x08000000,
	SBLK_SPIN_LOCK = 0x10000000,
	SBLK_LOCK_THREADID = 0x0000ffff,
	SBLK_LOCK_RECLEVEL = 0x003f0000,
};

struct clrsos_error *clrsos_cmd_dumpobj(struct clrsos_session *session,
					const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, nofields = false, refs = false, have = false;
	uint64_t address = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		struct clrsos_error *err = NULL;
		if (strcmp(a, "--json") == 0)
			json = true;
		else if (strcmp(a, "-nofields") == 0)
			nofields = true;
		else if (strcmp(a, "-refs") == 0)
			refs = true;
		else if (clrsos_is_option(a))
			return clrsos_unknown_option("dumpobj", a);
		else
			err = clrsos_address_operand("dumpobj", host, a, &have, &address);
		if (err)
			return clrsos_error_wrap(err, "dumpobj");
	}
	if (!have)
		return clrsos_address_missing("dumpobj", "an object");
	struct field_printer p;
	struct clrsos_error *err = printer_init(&p, session, out);
	if (err)
		return err;
	const struct clrsos_type *type = NULL;
	if ((err = object_at(p.heap, address, &type)))
		return err;
	struct clrsos_dacp_object_data od;
	struct clrsos_dacp_method_table_data md;
	if ((err = clrsos_dac_object_data(p.dac, address, &od)) ||
	    (err = clrsos_dac_method_table_data(p.dac, type->mt, &md)))
		return err;
	const char *name = clrsos_types_name(p.types, type);
	char *file = NULL;
	if ((err = clrsos_error_ignore(clrsos_dac_module_file(p.dac, md.module, &file))))
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		p.json = &j;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, address);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, type->is_free ? "Free" : name);
		clrsos_json_key(&j, "methodTable");
		clrsos_json_address(&j, type->mt);
		clrsos_json_key(&j, "eeClass");
		clrsos_json_address(&j, md.klass);
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, od.size);
		clrsos_json_key(&j, "file");
		clrsos_json_string(&j, file);
	} else if (type->is_free) {
		clrsos_outf(out, "Free Object\nSize:        %" PRIu64 "(0x%" PRIx64 ") bytes\n", od.size, od.size);
		free(file);
		return NULL;
	} else {
		clrsos_out(out, "Name:        ");
		clrsos_out_name(out, name);
		clrsos_outf(out, "\nMethodTable: %016" PRIx64 "\n", type->mt);
		clrsos_outf(out, "EEClass:     %016" PRIx64 "\n", md.klass);
		clrsos_outf(out, "Size:        %" PRIu64 "(0x%" PRIx64 ") bytes\n", od.size, od.size);
	}
	if (od.object_type == 3 /* array */) {
		if (json) {
			clrsos_json_key(&j, "array");
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "rank");
			clrsos_json_uint(&j, od.rank);
			clrsos_json_key(&j, "length");
			clrsos_json_uint(&j, od.num_components);
			clrsos_json_key(&j, "elementType");
			clrsos_json_string(&j, element_short_name(od.element_type));
			clrsos_json_key(&j, "elementMethodTable");
			clrsos_json_address(&j, od.element_type_handle);
			clrsos_json_object_end(&j);
		} else {
			clrsos_outf(out, "Array:       Rank %u, Number of elements %" PRIu64 ", Type %s\n",
				    od.rank, od.num_components, element_short_name(od.element_type));
		}
	} else if (!json) {
		clrsos_out(out, "File:        ");
		clrsos_out_name(out, file ? file : "Unknown Module");
		clrsos_out(out, "\n");
	}
	free(file);
	if (type->is_string) {
		uint32_t length = 0;
		if (!(err = clrsos_string_length(p.heap, address, &length))) {
			uint32_t shown = length < 4096 ? length : 4096;
			if (json) {
				clrsos_json_key(&j, "string");
				struct clrsos_json_stream s;
				clrsos_json_string_begin(&j, &s);
				err = clrsos_string_write(p.target, address, shown, CLRSOS_TEXT_JSON, s.raw);
				clrsos_json_string_end(&s);
			} else {
				clrsos_out(out, "String:      ");
				err = clrsos_string_write(p.target, address, shown, CLRSOS_TEXT_ESCAPED, out);
				clrsos_out(out, shown < length ? "... (use dumpstring for all of it)\n" : "\n");
			}
		}
		if (err)
			return err;
	}
	if (!nofields && !type->is_array && (err = print_fields(&p, type->mt, address, true)))
		return err;
	if (refs) {
		uint64_t size = clrsos_object_size(type, type->component_size ? (uint32_t)od.num_components : 0);
		uint8_t *bytes = malloc((size_t)size);
		struct ref_ctx rc = {&p, 0};
		if (!bytes)
			return &clrsos_error_no_memory;
		err = clrsos_target_read(p.target, address, bytes, (size_t)size);
		if (json) {
			clrsos_json_key(&j, "references");
			clrsos_json_array_begin(&j);
		} else {
			clrsos_out(out, "References:\n");
		}
		if (!err)
			clrsos_types_for_each_ref(p.types, type, bytes, size, print_ref, &rc);
		free(bytes);
		if (clrsos_error_is_no_memory(err))
			return err;
		if (json) {
			clrsos_json_array_end(&j);
			if (err) {
				clrsos_json_key(&j, "referencesError");
				clrsos_json_string(&j, err->message);
			}
		} else if (err) {
			/* not "None": the object's memory could not be read */
			clrsos_outf(out, "    <not readable: %s>\n", err->message);
		} else if (!rc.count) {
			clrsos_out(out, "    None\n");
		}
		clrsos_error_destroy(err);
		err = NULL;
	}
	/* A thin lock in the header, if its owner is a managed thread. */
	uint32_t header = 0;
	struct clrsos_error *herr = clrsos_target_read_u32(p.target, address - 4, &header);
	clrsos_error_destroy(herr);
	uint64_t owner = 0;
	if (!herr && !(header & (SBLK_IS_HASH_OR_SYNCBLKINDEX | SBLK_SPIN_LOCK)) &&
	    (header & SBLK_LOCK_THREADID) &&
	    (err = clrsos_error_ignore(clrsos_dac_thread_from_thinlock(p.dac, header & SBLK_LOCK_THREADID, &owner))))
		return err;
	if (json) {
		clrsos_json_key(&j, "thinLock");
		if (owner) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "threadId");
			clrsos_json_uint(&j, header & SBLK_LOCK_THREADID);
			clrsos_json_key(&j, "thread");
			clrsos_json_address(&j, owner);
			clrsos_json_key(&j, "recursion");
			clrsos_json_uint(&j, (header & SBLK_LOCK_RECLEVEL) >> 16);
			clrsos_json_object_end(&j);
		} else {
			clrsos_json_null(&j);
		}
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (owner) {
		clrsos_outf(out, "ThinLock owner %x (%016" PRIx64 "), Recursive %x\n",
			    header & SBLK_LOCK_THREADID, owner, (header & SBLK_LOCK_RECLEVEL) >> 16);
	}
	return NULL;
}

/* Header lines shared by dumpvc and dumpmt. */
static void type_header(struct field_printer *p, uint64_t mt,
			const struct clrsos_dacp_method_table_data *md, const char *name, char *file)
{
	clrsos_out(p->out, "Name:        ");
	clrsos_out_name(p->out, name);
	clrsos_outf(p->out, "\nMethodTable: %016" PRIx64 "\n", mt);
	clrsos_outf(p->out, "EEClass:     %016" PRIx64 "\n", md->klass);
	(void)file;
}

static struct clrsos_error *parse_two(const char *command, const struct clrsos_host *host,
				      int argc, const char *const *argv, bool *json,
				      uint64_t *values, int want, const char *usage)
{
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			*json = true;
		} else if (clrsos_is_option(argv[i])) {
			return clrsos_unknown_option(command, argv[i]);
		} else if (n < want) {
			struct clrsos_error *err = clrsos_parse_address(host, argv[i], &values[n++]);
			if (err)
				return clrsos_error_wrap(err, "%s", command);
		} else {
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s: too many arguments: %s",
						   command, usage);
		}
	}
	if (n < want)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s needs %s", command, usage);
	return NULL;
}

static struct clrsos_error *method_table(struct field_printer *p, uint64_t mt,
					 const struct clrsos_type **ret_type,
					 struct clrsos_dacp_method_table_data *ret)
{
	const struct clrsos_type *t = clrsos_types_get(p->types, mt);
	if (!t)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not a MethodTable (take one from dumpheap -stat or dumpobj)", mt);
	*ret_type = t;
	return clrsos_dac_method_table_data(p->dac, mt, ret);
}

struct clrsos_error *clrsos_cmd_dumpvc(struct clrsos_session *session,
				       const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	bool json = false;
	uint64_t v[2];
	struct clrsos_error *err = parse_two("dumpvc", host, argc, argv, &json, v, 2,
					     "<MethodTable> <address>");
	struct field_printer p;
	if (!err)
		err = printer_init(&p, session, out);
	if (err)
		return err;
	const struct clrsos_type *t = NULL;
	struct clrsos_dacp_method_table_data md;
	if ((err = method_table(&p, v[0], &t, &md)))
		return err;
	const char *name = clrsos_types_name(p.types, t);
	/* A boxed value's data size: its base size less the header and MethodTable words. */
	uint32_t size = md.base_size > 16 ? md.base_size - 16 : md.base_size;
	char *file = NULL;
	if ((err = clrsos_error_ignore(clrsos_dac_module_file(p.dac, md.module, &file))))
		return err;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		p.json = &j;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, v[1]);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, name);
		clrsos_json_key(&j, "methodTable");
		clrsos_json_address(&j, v[0]);
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, size);
		clrsos_json_key(&j, "file");
		clrsos_json_string(&j, file);
	} else {
		type_header(&p, v[0], &md, name, file);
		clrsos_outf(out, "Size:        %u(0x%x) bytes\n", size, size);
		clrsos_out(out, "File:        ");
		clrsos_out_name(out, file ? file : "Unknown Module");
		clrsos_out(out, "\n");
	}
	free(file);
	err = print_fields(&p, v[0], v[1], false);
	if (!err && json) {
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return err;
}

enum { MT_FLAG_HAS_FINALIZER = 0x00100000 };

/* dumpmt -md: each method slot's entry point, MethodDesc, whether it has code, and name. */
static struct clrsos_error *print_methods(struct field_printer *p, uint64_t mt, uint32_t count)
{
	if (p->json) {
		clrsos_json_key(p->json, "methodDescs");
		clrsos_json_array_begin(p->json);
	} else {
		clrsos_out(p->out, "--------------------------------------\nMethodDesc Table\n");
		clrsos_outf(p->out, "%16s %16s %6s %s\n", "Entry", "MethodDesc", "JIT", "Name");
	}
	/* Newer DACs list the methods with their MethodDescs; older ones give
	 * slots, whose entry points lead to their MethodDescs. */
	struct clrsos_sos_method_data *list = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_methods(p->dac, mt, &list, &n);
	if (err)
		return err;
	if (!list) {
		list = calloc(count ? count : 1, sizeof(*list));
		if (!list)
			return &clrsos_error_no_memory;
		for (uint32_t slot = 0; slot < count; slot++, n++) {
			err = clrsos_dac_method_slot(p->dac, mt, slot, &list[n].entry_point, &list[n].method_desc);
			if (err) {
				free(list);
				return err;
			}
			list[n].slot = slot;
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t entry = list[i].entry_point, desc = list[i].method_desc;
		if (!desc && entry && (err = clrsos_error_ignore(clrsos_dac_method_desc_from_ip(p->dac, entry, &desc)))) {
			free(list);
			return err;
		}
		char *name = NULL;
		bool code = false;
		if (desc && (err = clrsos_dac_method_desc(p->dac, desc, &name, &code))) {
			if (clrsos_error_is_no_memory(err)) {
				free(list);
				return err;
			}
			clrsos_error_destroy(err);
			name = NULL;
		}
		if (p->json) {
			clrsos_json_object_begin(p->json);
			clrsos_json_key(p->json, "entry");
			clrsos_json_address(p->json, entry);
			clrsos_json_key(p->json, "methodDesc");
			clrsos_json_address(p->json, desc);
			clrsos_json_key(p->json, "slot");
			clrsos_json_uint(p->json, list[i].slot);
			clrsos_json_key(p->json, "hasCode");
			clrsos_json_bool(p->json, code);
			clrsos_json_key(p->json, "name");
			clrsos_json_string(p->json, name);
			clrsos_json_object_end(p->json);
		} else {
			char unknown[48];
			snprintf(unknown, sizeof(unknown), list[i].token ? "<unknown: token 0x%08x>" : "<unknown>",
				 list[i].token);
			struct clrsos_name_buf nb;
			clrsos_outf(p->out, "%016" PRIx64 " %016" PRIx64 " %6s %s\n", entry, desc,
				    code ? "JIT" : "NONE", name ? clrsos_safe_name(name, &nb) : unknown);
		}
		free(name);
	}
	free(list);
	if (p->json)
		clrsos_json_array_end(p->json);
	return NULL;
}

struct clrsos_error *clrsos_cmd_dumpmt(struct clrsos_session *session,
				       const struct clrsos_host *host, int argc,
				       const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, methods = false;
	uint64_t mt;
	const char *rest[64];
	int nrest = 0;
	for (int i = 0; i < argc && nrest < 64; i++) {
		if (strcmp(argv[i], "-md") == 0)
			methods = true;
		else
			rest[nrest++] = argv[i];
	}
	struct clrsos_error *err = parse_two("dumpmt", host, nrest, rest, &json, &mt, 1, "<MethodTable>");
	struct field_printer p;
	if (!err)
		err = printer_init(&p, session, out);
	if (err)
		return err;
	const struct clrsos_type *t = NULL;
	struct clrsos_dacp_method_table_data md;
	struct clrsos_dacp_method_table_field_data fd;
	if ((err = method_table(&p, mt, &t, &md)))
		return err;
	/* The Free type and some runtime types have no field data: show the rest. */
	struct clrsos_error *fields_err = clrsos_dac_method_table_field_data(p.dac, mt, &fd);
	bool have_fields = !fields_err;
	clrsos_error_destroy(fields_err);
	char *file = NULL;
	if ((err = clrsos_error_ignore(clrsos_dac_module_file(p.dac, md.module, &file))))
		return err;
	const char *name = clrsos_types_name(p.types, t);
	const struct clrsos_type *parent = md.parent_method_table
						   ? clrsos_types_get(p.types, md.parent_method_table) : NULL;
	bool finalizer = (t->flags & MT_FLAG_HAS_FINALIZER) != 0;
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "methodTable");
		clrsos_json_address(&j, mt);
		clrsos_json_key(&j, "eeClass");
		clrsos_json_address(&j, md.klass);
		clrsos_json_key(&j, "module");
		clrsos_json_address(&j, md.module);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, name);
		clrsos_json_key(&j, "token");
		clrsos_json_uint(&j, md.token);
		clrsos_json_key(&j, "file");
		clrsos_json_string(&j, file);
		clrsos_json_key(&j, "baseSize");
		clrsos_json_uint(&j, md.base_size);
		clrsos_json_key(&j, "componentSize");
		clrsos_json_uint(&j, md.component_size);
		clrsos_json_key(&j, "parent");
		clrsos_json_address(&j, md.parent_method_table);
		clrsos_json_key(&j, "parentName");
		clrsos_json_string(&j, parent ? clrsos_types_name(p.types, parent) : NULL);
		clrsos_json_key(&j, "vtableSlots");
		clrsos_json_uint(&j, md.num_vtable_slots);
		clrsos_json_key(&j, "methods");
		clrsos_json_uint(&j, md.num_methods);
		clrsos_json_key(&j, "interfaces");
		clrsos_json_uint(&j, md.num_interfaces);
		clrsos_json_key(&j, "instanceFields");
		have_fields ? clrsos_json_uint(&j, fd.num_instance_fields) : clrsos_json_null(&j);
		clrsos_json_key(&j, "staticFields");
		have_fields ? clrsos_json_uint(&j, fd.num_static_fields) : clrsos_json_null(&j);
		clrsos_json_key(&j, "threadStaticFields");
		have_fields ? clrsos_json_uint(&j, fd.num_thread_static_fields) : clrsos_json_null(&j);
		clrsos_json_key(&j, "containsPointers");
		clrsos_json_bool(&j, md.contains_pointers != 0);
		clrsos_json_key(&j, "hasFinalizer");
		clrsos_json_bool(&j, finalizer);
		if (methods) {
			p.json = &j;
			err = print_methods(&p, mt, md.num_methods);
		}
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else {
		clrsos_outf(out, "EEClass:             %016" PRIx64 "\n", md.klass);
		clrsos_outf(out, "Module:              %016" PRIx64 "\n", md.module);
		struct clrsos_name_buf nb;
		clrsos_outf(out, "Name:                %s\n", clrsos_safe_name(name, &nb));
		clrsos_outf(out, "mdToken:             %016x\n", md.token);
		clrsos_outf(out, "File:                %s\n", clrsos_safe_name(file ? file : "Unknown Module", &nb));
		clrsos_outf(out, "BaseSize:            0x%x\n", md.base_size);
		clrsos_outf(out, "ComponentSize:       0x%x\n", md.component_size);
		clrsos_outf(out, "DynamicStatics:      %s\n", md.is_dynamic ? "true" : "false");
		clrsos_outf(out, "ContainsPointers:    %s\n", md.contains_pointers ? "true" : "false");
		clrsos_outf(out, "HasFinalizer:        %s\n", finalizer ? "true" : "false");
		clrsos_outf(out, "Slots in VTable:     %u\n", md.num_vtable_slots);
		clrsos_outf(out, "Number of Methods:   %u\n", md.num_methods);
		clrsos_outf(out, "Number of IFaces in IFaceMap: %u\n", md.num_interfaces);
		clrsos_outf(out, "Parent MethodTable:  %016" PRIx64 " %s\n", md.parent_method_table,
			    parent ? clrsos_safe_name(clrsos_types_name(p.types, parent), &nb) : "");
		if (have_fields)
			clrsos_outf(out, "Fields:              %u instance, %u static, %u thread static\n",
				    fd.num_instance_fields, fd.num_static_fields, fd.num_thread_static_fields);
		else
			clrsos_out(out, "Fields:              (the runtime lists none for this type)\n");
		if (methods)
			err = print_methods(&p, mt, md.num_methods);
	}
	free(file);
	return err;
}

struct clrsos_error *clrsos_cmd_dumparray(struct clrsos_session *session,
					  const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, details = false, have = false;
	uint64_t address = 0, start = 0, length = UINT64_MAX;
	const char *start_text = NULL; /* -start as typed, to quote */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		struct clrsos_error *err = NULL;
		if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "-details") == 0) {
			details = true;
		} else if (strcmp(a, "-start") == 0 || strcmp(a, "-length") == 0) {
			if (i + 1 >= argc)
				return clrsos_missing_value("dumparray", a);
			err = clrsos_parse_uint(a, argv[++i], a[1] == 's' ? &start : &length);
			if (a[1] == 's')
				start_text = argv[i];
		} else if (clrsos_is_option(a)) {
			return clrsos_unknown_option("dumparray", a);
		} else {
			err = clrsos_address_operand("dumparray", host, a, &have, &address);
		}
		if (err)
			return clrsos_error_wrap(err, "dumparray");
	}
	if (!have)
		return clrsos_address_missing("dumparray", "an array");
	struct field_printer p;
	struct clrsos_error *err = printer_init(&p, session, out);
	if (err)
		return err;
	const struct clrsos_type *type = NULL;
	if ((err = object_at(p.heap, address, &type)))
		return err;
	struct clrsos_dacp_object_data od;
	struct clrsos_dacp_method_table_data md;
	if ((err = clrsos_dac_object_data(p.dac, address, &od)) ||
	    (err = clrsos_dac_method_table_data(p.dac, type->mt, &md)))
		return err;
	const char *name = clrsos_types_name(p.types, type);
	if (od.object_type != 3)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not an array: it is a %s", address, name);
	uint64_t n = od.num_components;
	if (start_text && start >= n && start > 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumparray -start %s: the array has %" PRIu64 " element%s%s", start_text, n,
					   n == 1 ? "" : "s", n ? " (-start 0 to the last)" : "");
	uint64_t end = length >= n - start ? n : start + length; /* no start + length overflow */
	uint32_t et = od.element_type;
	uint64_t esize = od.component_size;
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		p.json = &j;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, address);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, name);
		clrsos_json_key(&j, "methodTable");
		clrsos_json_address(&j, type->mt);
		clrsos_json_key(&j, "size");
		clrsos_json_uint(&j, od.size);
		clrsos_json_key(&j, "rank");
		clrsos_json_uint(&j, od.rank);
		clrsos_json_key(&j, "length");
		clrsos_json_uint(&j, n);
		clrsos_json_key(&j, "elementType");
		clrsos_json_string(&j, element_short_name(et));
		clrsos_json_key(&j, "elementMethodTable");
		clrsos_json_address(&j, od.element_type_handle);
		clrsos_json_key(&j, "elements");
		clrsos_json_array_begin(&j);
	} else {
		clrsos_out(out, "Name:        ");
		clrsos_out_name(out, name);
		clrsos_outf(out, "\nMethodTable: %016" PRIx64 "\n", type->mt);
		clrsos_outf(out, "EEClass:     %016" PRIx64 "\n", md.klass);
		clrsos_outf(out, "Size:        %" PRIu64 "(0x%" PRIx64 ") bytes\n", od.size, od.size);
		clrsos_outf(out, "Array:       Rank %u, Number of elements %" PRIu64 ", Type %s\n", od.rank, n,
			    element_short_name(et));
		clrsos_outf(out, "Element Methodtable: %016" PRIx64 "\n", od.element_type_handle);
	}
	/* Multi-dimensional arrays: the lengths of each dimension, for [i][j] indexes. */
	uint32_t dims[32] = {0};
	uint32_t rank = od.rank > 0 && od.rank <= 32 ? od.rank : 1;
	if (rank > 1 && od.array_bounds &&
	    (err = clrsos_target_read(p.target, od.array_bounds, dims, rank * sizeof(uint32_t))))
		return err;
	for (uint64_t i = start; i < end; i++) {
		uint64_t at = od.array_data + i * esize;
		char value[64], index[128] = "";
		if (rank > 1) {
			uint64_t rest = i;
			char *o = index + sizeof(index);
			*--o = '\0';
			for (uint32_t d = rank; d-- > 0;) {
				char part[24];
				uint64_t len = dims[d] ? dims[d] : 1;
				int k = snprintf(part, sizeof(part), "[%" PRIu64 "]", rest % len);
				rest /= len;
				o -= k;
				memcpy(o, part, (size_t)k);
			}
			memmove(index, o, strlen(o) + 1);
		} else {
			snprintf(index, sizeof(index), "[%" PRIu64 "]", i);
		}
		err = clrsos_field_value(p.target, et, at, value, sizeof(value));
		if (err)
			return err;
		bool null_ref = !clrsos_element_is_value(et) && strspn(value, "0") == strlen(value);
		if (json) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "index");
			clrsos_json_string(&j, index);
			clrsos_json_key(&j, "value");
			if (null_ref)
				clrsos_json_null(&j);
			else
				clrsos_json_string(&j, value);
			if (details && et == CLRSOS_ELEMENT_VALUETYPE && (err = print_fields(&p, od.element_type_handle, at, false)))
				return err;
			clrsos_json_object_end(&j);
			continue;
		}
		clrsos_outf(out, "%s %s\n", index, null_ref ? "null" : value);
		if (details && et == CLRSOS_ELEMENT_VALUETYPE && (err = print_fields(&p, od.element_type_handle, at, false)))
			return err;
	}
	if (json) {
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	}
	return NULL;
}

/* pe ---------------------------------------------------------------------- */

/* The object at address as a reference field named name of mt's fields, or a value. */
static bool field_by_name(const struct clrsos_fields *fields, const char *name,
			  const struct clrsos_field **ret)
{
	for (size_t i = 0; i < fields->count; i++) {
		if (!fields->items[i].desc.is_static && strcmp(fields->items[i].name, name) == 0) {
			*ret = &fields->items[i];
			return true;
		}
	}
	return false;
}

static uint64_t read_ref_field(struct field_printer *p, const struct clrsos_fields *fields,
			       uint64_t object, const char *name)
{
	const struct clrsos_field *f;
	uint64_t v = 0;
	if (field_by_name(fields, name, &f)) {
		struct clrsos_error *e = clrsos_target_read_u64(p->target, object + 8 + f->desc.offset, &v);
		clrsos_error_destroy(e);
	}
	return v;
}

/* Whether mt is System.Exception or derives from it. */
static bool is_exception(struct field_printer *p, uint64_t mt)
{
	struct clrsos_dacp_useful_globals g;
	struct clrsos_error *err = clrsos_dac_useful_globals(p->dac, &g);
	if (err) {
		clrsos_error_destroy(err);
		return false;
	}
	for (int depth = 0; mt && depth < 64; depth++) {
		if (mt == g.exception_method_table)
			return true;
		struct clrsos_dacp_method_table_data md;
		if ((err = clrsos_dac_method_table_data(p->dac, mt, &md))) {
			clrsos_error_destroy(err);
			return false;
		}
		mt = md.parent_method_table;
	}
	return false;
}

/*
 * The stack trace the runtime recorded as the exception travelled: a byte[]
 * (or, since .NET 9, an object[] whose first element is that byte[]) holding
 * a header {size_t count; Thread *} and count elements {ip, sp, MethodDesc,
 * flags} of 32 bytes.
 */
static struct clrsos_error *print_stack_trace(struct field_printer *p, uint64_t trace, struct clrsos_json *j)
{
	struct clrsos_error *err = NULL;
	const struct clrsos_type *t;
	uint64_t size;
	uint8_t *buf = NULL;
	size_t cap = 0;
	if (j) {
		clrsos_json_key(j, "stackTrace");
		clrsos_json_array_begin(j);
	} else {
		clrsos_out(p->out, "StackTrace (generated):\n");
	}
	if (trace && !clrsos_heap_read_object(p->heap, trace, &t, &size, &buf, &cap) && t->is_array &&
	    t->component_size == 8 && size >= 24) {
		uint64_t first = 0;
		memcpy(&first, buf + 16, 8); /* object[]: its first element */
		trace = first;
		if (clrsos_heap_read_object(p->heap, trace, &t, &size, &buf, &cap))
			trace = 0;
	}
	size_t shown = 0;
	if (trace && t->is_array && t->component_size == 1 && size >= 16 + 16) {
		uint32_t length;
		memcpy(&length, buf + 8, 4);
		const uint8_t *data = buf + 16;
		uint64_t count;
		memcpy(&count, data, 8);
		if (length >= 16 && count <= (length - 16) / 32) {
			if (!j)
				clrsos_outf(p->out, "    %-16s %-16s %s\n", "SP", "IP", "Function");
			for (uint64_t i = 0; i < count; i++) {
				uint64_t ip, sp, md;
				memcpy(&ip, data + 16 + i * 32, 8);
				memcpy(&sp, data + 16 + i * 32 + 8, 8);
				memcpy(&md, data + 16 + i * 32 + 16, 8);
				char *name = NULL;
				bool code;
				struct clrsos_error *e = md ? clrsos_dac_method_desc(p->dac, md, &name, &code) : NULL;
				if (clrsos_error_is_no_memory(e)) {
					err = e;
					break;
				}
				clrsos_error_destroy(e);
				if (j) {
					clrsos_json_object_begin(j);
					clrsos_json_key(j, "sp");
					clrsos_json_address(j, sp);
					clrsos_json_key(j, "ip");
					clrsos_json_address(j, ip);
					clrsos_json_key(j, "method");
					clrsos_json_string(j, name);
					clrsos_json_object_end(j);
				} else {
					struct clrsos_name_buf nb;
					clrsos_outf(p->out, "    %016" PRIX64 " %016" PRIX64 " %s\n", sp, ip,
						    name ? clrsos_safe_name(name, &nb) : "<unknown method>");
				}
				free(name);
				shown++;
			}
		}
	}
	free(buf);
	if (err)
		return err;
	if (j)
		clrsos_json_array_end(j);
	else if (!shown)
		clrsos_out(p->out, "    <none>\n");
	return NULL;
}

/*
 * One exception. In JSON its object is left open (the caller nests the
 * inner exceptions in it and closes it). *inner_ret: its InnerException
 * if that is an exception object, else 0.
 */
static struct clrsos_error *print_exception(struct field_printer *p, uint64_t address,
					    uint64_t *inner_ret)
{
	*inner_ret = 0;
	const struct clrsos_type *type = NULL;
	struct clrsos_error *err = object_at(p->heap, address, &type);
	if (err)
		return err;
	if (!is_exception(p, type->mt))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "0x%" PRIx64 " is not an exception: it is a %s", address,
					   clrsos_types_name(p->types, type));
	struct clrsos_fields fields;
	if ((err = clrsos_fields_get(p->dac, p->types, type->mt, &fields)))
		return err;
	uint64_t message = read_ref_field(p, &fields, address, "_message");
	uint64_t inner = read_ref_field(p, &fields, address, "_innerException");
	uint64_t trace = read_ref_field(p, &fields, address, "_stackTrace");
	uint64_t trace_string = read_ref_field(p, &fields, address, "_stackTraceString");
	int32_t hresult = 0;
	const struct clrsos_field *hf;
	if (field_by_name(&fields, "_HResult", &hf)) {
		struct clrsos_error *e = clrsos_target_read_u32(p->target, address + 8 + hf->desc.offset,
								(uint32_t *)&hresult);
		clrsos_error_destroy(e);
	}
	clrsos_fields_deinit(&fields);
	const struct clrsos_type *inner_type = NULL;
	if (inner) {
		struct clrsos_error *e = object_at(p->heap, inner, &inner_type);
		if (e) {
			inner_type = NULL;
			if (e->code == CLRSOS_ERROR_NO_MEMORY)
				return e;
		}
		clrsos_error_destroy(e);
	}
	if (inner_type && is_exception(p, inner_type->mt))
		*inner_ret = inner;
	struct clrsos_json *j = p->json;
	if (j) {
		clrsos_json_object_begin(j);
		clrsos_json_key(j, "address");
		clrsos_json_address(j, address);
		clrsos_json_key(j, "type");
		clrsos_json_string(j, clrsos_types_name(p->types, type));
		clrsos_json_key(j, "message");
		if (message) {
			uint32_t len = 0;
			struct clrsos_json_stream s;
			clrsos_json_string_begin(j, &s);
			if (!clrsos_string_length(p->heap, message, &len))
				clrsos_error_destroy(clrsos_string_write(p->target, message, len, CLRSOS_TEXT_JSON, s.raw));
			clrsos_json_string_end(&s);
		} else {
			clrsos_json_null(j);
		}
		clrsos_json_key(j, "hresult");
		clrsos_json_int(j, hresult);
		clrsos_json_key(j, "innerException");
		clrsos_json_address(j, inner);
		if ((err = print_stack_trace(p, trace, j)))
			return err;
		clrsos_json_key(j, "stackTraceString");
		clrsos_json_address(j, trace_string);
		return NULL;
	}
	struct clrsos_writer *out = p->out;
	clrsos_outf(out, "Exception object: %016" PRIx64 "\n", address);
	clrsos_out(out, "Exception type:   ");
	clrsos_out_name(out, clrsos_types_name(p->types, type));
	clrsos_out(out, "\n");
	clrsos_out(out, "Message:          ");
	uint32_t len = 0;
	if (message && !clrsos_string_length(p->heap, message, &len))
		clrsos_error_destroy(clrsos_string_write(p->target, message, len, CLRSOS_TEXT_ESCAPED, out));
	else
		clrsos_out(out, "<none>");
	clrsos_out(out, "\n");
	struct clrsos_name_buf nb;
	if (inner && inner_type)
		clrsos_outf(out, "InnerException:   %s, Use pe %016" PRIx64 " to see more.\n",
			    clrsos_safe_name(clrsos_types_name(p->types, inner_type), &nb), inner);
	else
		clrsos_out(out, "InnerException:   <none>\n");
	if ((err = print_stack_trace(p, trace, NULL)))
		return err;
	clrsos_out(out, "StackTraceString: ");
	if (trace_string && !clrsos_string_length(p->heap, trace_string, &len))
		clrsos_error_destroy(clrsos_string_write(p->target, trace_string, len, CLRSOS_TEXT_ESCAPED, out));
	else
		clrsos_out(out, "<none>");
	clrsos_outf(out, "\nHResult: %x\n", (uint32_t)hresult);
	return NULL;
}

/*
 * The InnerException of the exception at address if it is an exception
 * object, else 0 (*oom set if memory ran out on the way).
 */
static uint64_t inner_exception_of(struct field_printer *p, uint64_t address, bool *oom)
{
	const struct clrsos_type *type = NULL, *inner_type = NULL;
	struct clrsos_fields fields;
	struct clrsos_error *e = object_at(p->heap, address, &type);
	if (!e && !(e = clrsos_fields_get(p->dac, p->types, type->mt, &fields))) {
		uint64_t inner = read_ref_field(p, &fields, address, "_innerException");
		clrsos_fields_deinit(&fields);
		if (inner && !(e = object_at(p->heap, inner, &inner_type)) && is_exception(p, inner_type->mt))
			return inner;
	}
	if (clrsos_error_is_no_memory(e))
		*oom = true;
	clrsos_error_destroy(e);
	return 0;
}

/*
 * pe -nested: the exception and its chain of inner exceptions, the first
 * PE_NESTED_SHOWN of them; what follows is counted (up to PE_CHAIN_MAX
 * links) and said, and a chain that comes back to an exception already
 * shown is named as a cycle.
 */
enum { PE_NESTED_SHOWN = 32, PE_CHAIN_MAX = 4096 };

static struct clrsos_error *print_exception_chain(struct field_printer *p, uint64_t address, bool nested)
{
	uint64_t *chain = malloc(PE_CHAIN_MAX * sizeof(*chain));
	if (!chain)
		return &clrsos_error_no_memory;
	size_t n = 0, shown = 0;
	uint64_t cycle_to = 0; /* the inner exception of chain[n - 1] when it is in chain already */
	struct clrsos_error *err = NULL;
	for (uint64_t at = address; at && n < PE_CHAIN_MAX;) {
		chain[n++] = at;
		uint64_t next = 0;
		if (n <= PE_NESTED_SHOWN) {
			if (n > 1 && !p->json)
				clrsos_out(p->out, "\nNested exception -------------------------------------------------------------\n");
			if (n > 1 && p->json)
				clrsos_json_key(p->json, "inner");
			if ((err = print_exception(p, at, &next)))
				break;
			shown = n;
		} else {
			bool oom = false;
			next = inner_exception_of(p, at, &oom);
			if (oom) {
				err = &clrsos_error_no_memory;
				break;
			}
		}
		if (!nested)
			break;
		for (size_t i = 0; next && i < n; i++) {
			if (chain[i] == next) {
				cycle_to = next;
				next = 0;
			}
		}
		at = next;
	}
	bool oom = false;
	bool more_than_counted = !err && nested && n == PE_CHAIN_MAX && !cycle_to &&
				 inner_exception_of(p, chain[n - 1], &oom);
	if (oom)
		err = &clrsos_error_no_memory;
	if (!err && nested && shown < n) {
		uint64_t next = chain[shown];
		if (p->json) {
			clrsos_json_key(p->json, "innerNotShown");
			clrsos_json_uint(p->json, n - shown);
			clrsos_json_key(p->json, "innerNotShownAtLeast");
			clrsos_json_bool(p->json, more_than_counted);
			clrsos_json_key(p->json, "nextInner");
			clrsos_json_address(p->json, next);
		} else {
			clrsos_outf(p->out,
				    "\n... %s%zu more inner exception%s not shown%s; pe -nested %016" PRIx64
				    " continues from the next one\n",
				    more_than_counted ? "at least " : "", n - shown, n - shown == 1 ? "" : "s",
				    cycle_to ? " (then the chain loops back)" : "", next);
		}
	} else if (!err && cycle_to) {
		const struct clrsos_type *t = NULL, *ct = NULL;
		struct clrsos_error *e = object_at(p->heap, chain[n - 1], &t);
		clrsos_error_destroy(e);
		e = object_at(p->heap, cycle_to, &ct);
		clrsos_error_destroy(e);
		if (p->json) {
			clrsos_json_key(p->json, "innerCycle");
			clrsos_json_address(p->json, cycle_to);
		} else {
			struct clrsos_name_buf a, b;
			clrsos_outf(p->out,
				    "\ncycle: the inner exception of %016" PRIx64 " (%s) is %016" PRIx64
				    " (%s), already shown above\n",
				    chain[n - 1], t ? clrsos_safe_name(clrsos_types_name(p->types, t), &a) : "?",
				    cycle_to, ct ? clrsos_safe_name(clrsos_types_name(p->types, ct), &b) : "?");
		}
	}
	if (p->json) {
		for (size_t i = 0; i < shown; i++)
			clrsos_json_object_end(p->json);
	}
	free(chain);
	return err;
}

struct clrsos_error *clrsos_cmd_pe(struct clrsos_session *session, const struct clrsos_host *host,
				   int argc, const char *const *argv, struct clrsos_writer *out)
{
	bool json = false, nested = false, have = false;
	uint64_t address = 0;
	for (int i = 0; i < argc; i++) {
		struct clrsos_error *e = NULL;
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-nested") == 0)
			nested = true;
		else if (clrsos_is_option(argv[i]))
			return clrsos_unknown_option("pe", argv[i]);
		else
			e = clrsos_address_operand("pe", host, argv[i], &have, &address);
		if (e)
			return clrsos_error_wrap(e, "pe");
	}
	struct field_printer p;
	struct clrsos_error *err = printer_init(&p, session, out);
	if (err)
		return err;
	if (!have) {
		/* The selected thread's current (last thrown) exception. */
		struct clrsos_dacp_thread_store_data store;
		if ((err = clrsos_dac_thread_store(p.dac, &store)))
			return err;
		uint64_t thread = store.first_thread;
		for (int n = 0; thread && n < (1 << 20) && !address; n++) {
			struct clrsos_dacp_thread_data t;
			if ((err = clrsos_dac_thread_data(p.dac, thread, &t)))
				return err;
			if (t.os_thread_id == host->selected_thread && t.last_thrown_object_handle) {
				struct clrsos_error *e = clrsos_target_read_u64(p.target, t.last_thrown_object_handle, &address);
				clrsos_error_destroy(e);
			}
			thread = t.next_thread;
		}
		if (!address)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "pe: the selected thread (0x%x) holds no exception; give an exception's address",
						   host->selected_thread);
	}
	struct clrsos_json j;
	if (json) {
		clrsos_json_init(&j, out);
		p.json = &j;
	}
	err = print_exception_chain(&p, address, nested);
	if (!err && json)
		clrsos_json_end(&j);
	return err;
}
