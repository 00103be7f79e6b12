#include "model/fields.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vector.h"
#include "dac/dac.h"
#include "model/metadata.h"
#include "model/statics.h"
#include "model/types.h"
#include "target/target.h"

enum { MAX_DEPTH = 64, MAX_FIELDS = 1 << 16 };

size_t clrsos_element_size(uint32_t et)
{
	switch (et) {
	case CLRSOS_ELEMENT_BOOLEAN: case CLRSOS_ELEMENT_I1: case CLRSOS_ELEMENT_U1:
		return 1;
	case CLRSOS_ELEMENT_CHAR: case CLRSOS_ELEMENT_I2: case CLRSOS_ELEMENT_U2:
		return 2;
	case CLRSOS_ELEMENT_I4: case CLRSOS_ELEMENT_U4: case CLRSOS_ELEMENT_R4:
		return 4;
	case CLRSOS_ELEMENT_I8: case CLRSOS_ELEMENT_U8: case CLRSOS_ELEMENT_R8:
	case CLRSOS_ELEMENT_I: case CLRSOS_ELEMENT_U: case CLRSOS_ELEMENT_PTR:
	case CLRSOS_ELEMENT_FNPTR: case CLRSOS_ELEMENT_BYREF:
	case CLRSOS_ELEMENT_STRING: case CLRSOS_ELEMENT_CLASS: case CLRSOS_ELEMENT_OBJECT:
	case CLRSOS_ELEMENT_ARRAY: case CLRSOS_ELEMENT_SZARRAY: case CLRSOS_ELEMENT_GENERICINST:
	case CLRSOS_ELEMENT_VAR:
		return 8;
	}
	return 0;
}

bool clrsos_element_is_value(uint32_t et)
{
	return (et >= CLRSOS_ELEMENT_BOOLEAN && et <= CLRSOS_ELEMENT_R8) || et == CLRSOS_ELEMENT_I ||
	       et == CLRSOS_ELEMENT_U || et == CLRSOS_ELEMENT_VALUETYPE || et == CLRSOS_ELEMENT_PTR ||
	       et == CLRSOS_ELEMENT_FNPTR;
}

const char *clrsos_element_name(uint32_t et)
{
	switch (et) {
	case CLRSOS_ELEMENT_BOOLEAN: return "System.Boolean";
	case CLRSOS_ELEMENT_CHAR: return "System.Char";
	case CLRSOS_ELEMENT_I1: return "System.SByte";
	case CLRSOS_ELEMENT_U1: return "System.Byte";
	case CLRSOS_ELEMENT_I2: return "System.Int16";
	case CLRSOS_ELEMENT_U2: return "System.UInt16";
	case CLRSOS_ELEMENT_I4: return "System.Int32";
	case CLRSOS_ELEMENT_U4: return "System.UInt32";
	case CLRSOS_ELEMENT_I8: return "System.Int64";
	case CLRSOS_ELEMENT_U8: return "System.UInt64";
	case CLRSOS_ELEMENT_R4: return "System.Single";
	case CLRSOS_ELEMENT_R8: return "System.Double";
	case CLRSOS_ELEMENT_STRING: return "System.String";
	case CLRSOS_ELEMENT_I: return "System.IntPtr";
	case CLRSOS_ELEMENT_U: return "System.UIntPtr";
	case CLRSOS_ELEMENT_OBJECT: return "System.Object";
	case CLRSOS_ELEMENT_PTR: return "PTR";
	case CLRSOS_ELEMENT_FNPTR: return "FNPTR";
	case CLRSOS_ELEMENT_BYREF: return "BYREF";
	case CLRSOS_ELEMENT_SZARRAY: case CLRSOS_ELEMENT_ARRAY: return "System.Array";
	case CLRSOS_ELEMENT_CLASS: return "CLASS";
	case CLRSOS_ELEMENT_VALUETYPE: return "VALUETYPE";
	}
	return NULL;
}

static struct clrsos_error *add(struct clrsos_fields *f, size_t *cap, const struct clrsos_field *x)
{
	struct clrsos_error *err = clrsos_array_reserve(&f->items, cap, f->count + 1);
	if (err)
		return err;
	f->items[f->count++] = *x;
	return NULL;
}

static struct clrsos_error *collect(struct clrsos_dac *dac, struct clrsos_types *types,
				    uint64_t mt, int depth, struct clrsos_fields *out,
				    size_t *cap, uint32_t *ret_instance)
{
	if (depth > MAX_DEPTH)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "the class hierarchy above 0x%" PRIx64 " is deeper than %d", mt, MAX_DEPTH);
	struct clrsos_dacp_method_table_data md;
	struct clrsos_error *err = clrsos_dac_method_table_data(dac, mt, &md);
	if (err)
		return err;
	struct clrsos_dacp_method_table_field_data fd;
	err = clrsos_dac_method_table_field_data(dac, mt, &fd);
	if (err)
		return err;
	uint32_t inherited = 0;
	if (md.parent_method_table) {
		err = collect(dac, types, md.parent_method_table, depth + 1, out, cap, &inherited);
		if (err)
			return err;
	}
	*ret_instance = fd.num_instance_fields;
	uint32_t own = fd.num_instance_fields > inherited ? fd.num_instance_fields - inherited : 0;
	uint32_t total = own + fd.num_static_fields;
	const struct clrsos_metadata *meta = NULL;
	if ((err = clrsos_types_metadata(types, md.module, &meta)))
		return err;
	uint64_t at = fd.first_field;
	for (uint32_t i = 0; i < total && at && out->count < MAX_FIELDS; i++) {
		struct clrsos_dacp_field_desc_data desc;
		err = clrsos_dac_field_desc_data(dac, at, &desc);
		if (err)
			return err;
		struct clrsos_field f;
		memset(&f, 0, sizeof(f));
		f.element_type = desc.type;
		f.sig_element_type = desc.sig_type;
		f.type_mt = desc.mt_of_type;
		f.type_module = desc.module_of_type;
		f.type_token = desc.token_of_type;
		f.offset = desc.offset;
		f.is_static = desc.is_static != 0;
		f.is_thread_static = desc.is_static && desc.is_thread_local;
		f.token = desc.token | 0x04000000u;
		f.declaring_mt = mt;
		f.module = md.module;
		f.name = NULL;
		if (meta) {
			struct clrsos_error *e = clrsos_metadata_field(meta, f.token, &f.name, NULL, NULL, NULL);
			if (e) {
				/* A field whose name the metadata lacks: unnamed. */
				f.name = NULL;
				if ((err = clrsos_error_ignore(e)))
					return err;
			}
		}
		if (!f.name)
			f.name = "<unknown name>";
		err = add(out, cap, &f);
		if (err)
			return err;
		at = desc.next_field;
	}
	return NULL;
}

struct clrsos_error *clrsos_fields_init(struct clrsos_dac *dac, struct clrsos_types *types,
				       uint64_t mt, struct clrsos_fields *ret)
{
	memset(ret, 0, sizeof(*ret));
	size_t cap = 0;
	uint32_t instance;
	struct clrsos_error *err = collect(dac, types, mt, 0, ret, &cap, &instance);
	if (err)
		clrsos_fields_deinit(ret);
	return err;
}

void clrsos_fields_deinit(struct clrsos_fields *f)
{
	free(f->items);
	f->items = NULL;
	f->count = 0;
}

void clrsos_field_type_name(struct clrsos_types *types, const struct clrsos_field *f,
			    char *buf, size_t size)
{
	uint32_t et = f->element_type;
	if ((et == CLRSOS_ELEMENT_VALUETYPE || et == CLRSOS_ELEMENT_CLASS) && f->type_mt) {
		const struct clrsos_type *t = clrsos_types_get(types, f->type_mt);
		if (t) {
			snprintf(buf, size, "%s", clrsos_types_name(types, t));
			return;
		}
	}
	if ((et == CLRSOS_ELEMENT_VALUETYPE || et == CLRSOS_ELEMENT_CLASS) && f->type_token) {
		const struct clrsos_metadata *meta = NULL;
		/* This formatter has no error to return: out of memory shows the element type below. */
		struct clrsos_error *err =
			clrsos_types_metadata(types, f->type_module ? f->type_module : f->module, &meta);
		clrsos_error_destroy(err);
		err = NULL;
		const char *ns = NULL, *name = NULL;
		uint32_t tok = f->type_token;
		if (meta) {
			err = (tok >> 24) == 0x01 ? clrsos_metadata_typeref(meta, tok, &ns, &name)
						  : clrsos_metadata_typedef(meta, tok | 0x02000000u, &ns, &name);
			if (!err && name) {
				snprintf(buf, size, "%s%s%s", ns && ns[0] ? ns : "", ns && ns[0] ? "." : "", name);
				return;
			}
			clrsos_error_destroy(err);
		}
	}
	uint32_t shown = et != f->sig_element_type && clrsos_element_name(f->sig_element_type) ? f->sig_element_type : et;
	const char *n = clrsos_element_name(shown);
	snprintf(buf, size, "%s", n ? n : "UNKNOWN");
}

struct clrsos_error *clrsos_field_value(struct clrsos_target *target, uint32_t et,
					uint64_t address, char *buf, size_t size)
{
	if (et == CLRSOS_ELEMENT_VALUETYPE) {
		snprintf(buf, size, "%016" PRIx64, address);
		return NULL;
	}
	size_t n = clrsos_element_size(et);
	if (!n) {
		snprintf(buf, size, "?");
		return NULL;
	}
	uint8_t raw[8] = {0};
	struct clrsos_error *err = clrsos_target_read(target, address, raw, n);
	if (err)
		return err;
	int8_t i8; int16_t i16; int32_t i32; int64_t i64;
	uint16_t u16; uint32_t u32; uint64_t u64; float f; double d;
	switch (et) {
	case CLRSOS_ELEMENT_BOOLEAN: case CLRSOS_ELEMENT_U1:
		snprintf(buf, size, "%u", raw[0]);
		break;
	case CLRSOS_ELEMENT_I1:
		memcpy(&i8, raw, 1);
		snprintf(buf, size, "%d", i8);
		break;
	case CLRSOS_ELEMENT_CHAR:
		memcpy(&u16, raw, 2);
		snprintf(buf, size, "%x", u16);
		break;
	case CLRSOS_ELEMENT_I2:
		memcpy(&i16, raw, 2);
		snprintf(buf, size, "%d", i16);
		break;
	case CLRSOS_ELEMENT_U2:
		memcpy(&u16, raw, 2);
		snprintf(buf, size, "%u", u16);
		break;
	case CLRSOS_ELEMENT_I4:
		memcpy(&i32, raw, 4);
		snprintf(buf, size, "%d", i32);
		break;
	case CLRSOS_ELEMENT_U4:
		memcpy(&u32, raw, 4);
		snprintf(buf, size, "%u", u32);
		break;
	case CLRSOS_ELEMENT_I8:
		memcpy(&i64, raw, 8);
		snprintf(buf, size, "%" PRId64, i64);
		break;
	case CLRSOS_ELEMENT_U8:
		memcpy(&u64, raw, 8);
		snprintf(buf, size, "%" PRIu64, u64);
		break;
	case CLRSOS_ELEMENT_R4:
		memcpy(&f, raw, 4);
		snprintf(buf, size, "%f", (double)f);
		break;
	case CLRSOS_ELEMENT_R8:
		memcpy(&d, raw, 8);
		snprintf(buf, size, "%f", d);
		break;
	default:
		memcpy(&u64, raw, 8);
		snprintf(buf, size, "%016" PRIx64, u64);
		break;
	}
	return NULL;
}

bool clrsos_field_is_reference(const struct clrsos_field *f)
{
	return !clrsos_element_is_value(f->element_type) || f->element_type == CLRSOS_ELEMENT_VALUETYPE;
}

/* A static's value: a static struct is boxed, shown as its reference. */
static uint32_t static_element_type(const struct clrsos_field *f)
{
	return f->element_type == CLRSOS_ELEMENT_VALUETYPE ? CLRSOS_ELEMENT_CLASS : f->element_type;
}

struct clrsos_error *clrsos_field_static_value(struct clrsos_target *target, const struct clrsos_field *f,
					       const struct clrsos_static_bases *bases, char *buf, size_t size)
{
	uint64_t base = clrsos_field_is_reference(f) ? bases->gc : bases->non_gc;
	if (!base) {
		snprintf(buf, size, "<no information>");
		return NULL;
	}
	return clrsos_field_value(target, static_element_type(f), base + f->offset, buf, size);
}

enum { MAX_THREADS = 1 << 16 };

struct clrsos_error *clrsos_thread_static_values_init(struct clrsos_thread_static_values *values,
						      struct clrsos_dac *dac, struct clrsos_target *target,
						      const struct clrsos_field *f)
{
	memset(values, 0, sizeof(*values));
	struct clrsos_dacp_thread_store_data store;
	struct clrsos_error *err = clrsos_dac_thread_store(dac, &store);
	if (err) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	struct clrsos_thread_statics_key key;
	if ((err = clrsos_thread_statics_locate(dac, f->declaring_mt, &key))) {
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		return NULL;
	}
	values->available = true;
	size_t cap = 0;
	uint64_t thread = store.first_thread;
	for (int n = 0; thread && n < MAX_THREADS; n++) {
		struct clrsos_dacp_thread_data t;
		if ((err = clrsos_dac_thread_data(dac, thread, &t)))
			break;
		struct clrsos_static_bases bases = {0, 0};
		struct clrsos_error *e = clrsos_thread_static_bases_at(dac, target, &key, thread, &bases);
		if (clrsos_error_is_no_memory(e)) {
			err = e;
			break;
		}
		clrsos_error_destroy(e);
		uint64_t base = clrsos_field_is_reference(f) ? bases.gc : bases.non_gc;
		char value[64];
		if (base && t.os_thread_id) {
			e = clrsos_field_value(target, static_element_type(f), base + f->offset, value, sizeof(value));
			if (!e) {
				if (values->count == cap) {
					size_t ncap = cap ? cap * 2 : 8;
					struct clrsos_thread_static_value *items =
						realloc(values->items, ncap * sizeof(*items));
					if (!items) {
						err = &clrsos_error_no_memory;
						break;
					}
					values->items = items;
					cap = ncap;
				}
				struct clrsos_thread_static_value *v = &values->items[values->count++];
				v->os_thread_id = t.os_thread_id;
				memcpy(v->value, value, sizeof(v->value));
			} else if (clrsos_error_is_no_memory(e)) {
				err = e;
				break;
			}
			clrsos_error_destroy(e);
		}
		thread = t.next_thread;
	}
	if (err && clrsos_error_is_no_memory(err)) {
		clrsos_thread_static_values_deinit(values);
		return err;
	}
	clrsos_error_destroy(err);
	return NULL;
}

void clrsos_thread_static_values_deinit(struct clrsos_thread_static_values *values)
{
	free(values->items);
	memset(values, 0, sizeof(*values));
}
