#include "model/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/vector.h"
#include "dac/dac.h"
#include "model/metadata.h"
#include "model/typename.h"

/* MethodTable flag bits (methodtable.h). */
enum {
	MT_FLAG_HAS_COMPONENT_SIZE = 0x80000000u,
	MT_FLAG_CATEGORY_ARRAY_MASK = 0x000c0000u,
	MT_FLAG_CATEGORY_ARRAY = 0x00080000u,
	/* A GCDesc bigger than this is nonsense: a bound against garbage. */
	MAX_GCDESC_SERIES = 1 << 16,
};

/* MethodTable -> its type; NULL: mt is known not to be a MethodTable. */
CLRSOS_HASHMAP(type_map, uint64_t, struct clrsos_type *, clrsos_hash_address, clrsos_u64_equal,
	       clrsos_u64_is_zero)

struct module_metadata {
	uint64_t module;
	struct clrsos_metadata *md; /* NULL: unreadable */
};
CLRSOS_VECTOR(metadata_vector, struct module_metadata)

struct clrsos_types {
	struct clrsos_dac *dac;
	struct clrsos_target *target;
	struct type_map map;
	uint64_t string_mt, free_mt;
	struct metadata_vector metadata;
	/* The last lookup: objects of one type often come in runs. */
	uint64_t last_mt;
	const struct clrsos_type *last;
	uint32_t ntypes; /* types loaded: the next index */
	clrsos_types_excluded_fn *excluded;
	void *excluded_ctx;
};

void clrsos_types_exclude(struct clrsos_types *t, clrsos_types_excluded_fn *fn, void *ctx)
{
	t->excluded = fn;
	t->excluded_ctx = ctx;
}

struct clrsos_error *clrsos_types_create(struct clrsos_dac *dac,
					 struct clrsos_target *target,
					 struct clrsos_types **ret)
{
	struct clrsos_types *t = calloc(1, sizeof(*t));
	if (!t)
		return &clrsos_error_no_memory;
	t->dac = dac;
	t->target = target;
	type_map_init(&t->map);
	metadata_vector_init(&t->metadata);
	struct clrsos_error *err = type_map_reserve(&t->map, 512);
	if (err) {
		free(t);
		return err;
	}
	struct clrsos_dacp_useful_globals g;
	err = clrsos_dac_useful_globals(dac, &g);
	if (err) {
		clrsos_types_destroy(t);
		return err;
	}
	t->string_mt = g.string_method_table;
	t->free_mt = g.free_method_table;
	*ret = t;
	return NULL;
}

static void type_destroy(struct clrsos_type *type)
{
	if (!type)
		return;
	free(type->gcdesc);
	free(type->name);
	free(type);
}

void clrsos_types_destroy(struct clrsos_types *t)
{
	if (!t)
		return;
	for (struct type_map_entry *e = type_map_first(&t->map); e; e = type_map_next(&t->map, e))
		type_destroy(e->value);
	type_map_deinit(&t->map);
	for (size_t i = 0; i < t->metadata.count; i++)
		clrsos_metadata_destroy(t->metadata.items[i].md);
	metadata_vector_deinit(&t->metadata);
	free(t);
}

uint64_t clrsos_types_string_mt(const struct clrsos_types *t)
{
	return t->string_mt;
}

uint64_t clrsos_types_free_mt(const struct clrsos_types *t)
{
	return t->free_mt;
}

/* Read what the GC reads of a MethodTable, and ask the DAC whether it is one. */
static struct clrsos_type *load(struct clrsos_types *t, uint64_t mt)
{
	uint32_t words[2];
	if (mt == 0 || (mt & 7) != 0 || (t->excluded && t->excluded(t->excluded_ctx, mt)))
		return NULL;
	struct clrsos_error *err = clrsos_target_read(t->target, mt, words, sizeof(words));
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	struct clrsos_dacp_method_table_data d;
	err = clrsos_dac_method_table_data(t->dac, mt, &d);
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	struct clrsos_type *type = calloc(1, sizeof(*type));
	if (!type)
		return NULL;
	type->mt = mt;
	type->flags = words[0];
	type->base_size = words[1];
	if (words[0] & MT_FLAG_HAS_COMPONENT_SIZE)
		type->component_size = words[0] & 0xffff;
	type->is_free = d.is_free || mt == t->free_mt;
	type->is_string = mt == t->string_mt;
	type->is_array = (words[0] & MT_FLAG_CATEGORY_ARRAY_MASK) == MT_FLAG_CATEGORY_ARRAY;
	type->contains_pointers = d.contains_pointers != 0;
	if (type->base_size < 2 * sizeof(uint64_t) || type->base_size > (1u << 30)) {
		/* Not a size an object can have: the DAC was fooled. */
		free(type);
		return NULL;
	}
	return type;
}

static const struct clrsos_type *lookup(struct clrsos_types *t, uint64_t mt,
					bool may_load)
{
	if (mt == t->last_mt && t->last)
		return t->last;
	struct type_map_entry *e = type_map_find(&t->map, mt);
	if (e) {
		if (e->value) {
			t->last_mt = mt;
			t->last = e->value;
		}
		return e->value;
	}
	if (!may_load || mt == 0)
		return NULL;
	struct clrsos_error *err = type_map_insert(&t->map, mt, &e, NULL);
	if (err)
		return NULL; /* out of memory: not known, as before this map was full */
	e->value = load(t, mt);
	if (e->value) {
		e->value->index = t->ntypes++;
		t->last_mt = mt;
		t->last = e->value;
	}
	return e->value;
}

const struct clrsos_type *clrsos_types_get(struct clrsos_types *t, uint64_t mt)
{
	return lookup(t, mt, true);
}

const struct clrsos_type *clrsos_types_peek(struct clrsos_types *t, uint64_t mt)
{
	return lookup(t, mt, false);
}

uint32_t clrsos_types_count(const struct clrsos_types *t)
{
	return t->ntypes;
}

/* Whether err is an error (then destroyed). */
static bool failed(struct clrsos_error *err)
{
	if (!err)
		return false;
	clrsos_error_destroy(err);
	return true;
}

/* What the DAC calls every type of a module without a PE image (Reflection.Emit). */
static const char UNLOADED_TYPE[] = "<Unloaded Type>";

enum {
	MT_OFFSET_PER_INST_INFO = 48, /* m_pPerInstInfo / m_ElementTypeHnd (64-bit) */
	MT_FLAG_SZARRAY_MASK = 0x000e0000u,
	MT_FLAG_SZARRAY = 0x000a0000u, /* array category with IfArrayThenSzArray */
	MAX_NAME_DEPTH = 16,           /* generic arguments inside generic arguments */
	MAX_TYPE_ARGS = 64,
	MAX_NESTING = 32,
};

struct name_buf {
	char *text;
	size_t len, cap;
	bool oom;
};

static void put(struct name_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n > SIZE_MAX - b->len - 1 || clrsos_array_reserve(&b->text, &b->cap, b->len + n + 1)) {
		b->oom = true;
		return;
	}
	memcpy(b->text + b->len, s, n);
	b->len += n;
	b->text[b->len] = '\0';
}

static void puts_(struct name_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static const char *name_at_depth(struct clrsos_types *t, const struct clrsos_type *type, int depth);

/* The name of the type handle th (a MethodTable; TypeDescs are not named here). */
static const char *handle_name(struct clrsos_types *t, uint64_t th, int depth)
{
	if (th & 2)
		return NULL; /* a TypeDesc: a pointer, by-ref or generic variable */
	const struct clrsos_type *a = clrsos_types_get(t, th);
	return a ? name_at_depth(t, a, depth + 1) : NULL;
}

/*
 * The type arguments of an instantiated generic MethodTable: its
 * m_pPerInstInfo points past a GenericsDictInfo {padding, WORD numDicts,
 * WORD numTyPars} at the dictionaries of each generic class in its
 * hierarchy; its own is the last, and starts with its type arguments.
 */
static size_t type_args(struct clrsos_types *t, uint64_t mt, uint64_t *args, size_t max)
{
	uint64_t per_inst;
	uint16_t info[2];
	if (failed(clrsos_target_read_u64(t->target, mt + MT_OFFSET_PER_INST_INFO, &per_inst)) ||
	    !per_inst || (per_inst & 7) ||
	    failed(clrsos_target_read(t->target, per_inst - 4, info, sizeof(info))))
		return 0;
	uint16_t ndicts = info[0], npars = info[1];
	if (!ndicts || !npars || npars > max || ndicts > 64)
		return 0;
	uint64_t dict;
	if (failed(clrsos_target_read_u64(t->target, per_inst + 8 * (uint64_t)(ndicts - 1), &dict)) ||
	    !dict || failed(clrsos_target_read(t->target, dict, args, npars * sizeof(*args))))
		return 0;
	return npars;
}

/* The arity of a metadata name ("Holder`1" is 1), 0 if none. */
static unsigned arity_of(const char *name, size_t *ret_base_len)
{
	const char *tick = strrchr(name, '`');
	*ret_base_len = strlen(name);
	if (!tick || !tick[1])
		return 0;
	unsigned n = 0;
	for (const char *p = tick + 1; *p; p++) {
		if (*p < '0' || *p > '9' || n > 1000)
			return 0;
		n = n * 10 + (unsigned)(*p - '0');
	}
	*ret_base_len = (size_t)(tick - name);
	return n;
}

static char *name_from_metadata(struct clrsos_types *t, const struct clrsos_type *type, int depth)
{
	if (depth > MAX_NAME_DEPTH)
		return NULL;
	struct name_buf b = {0};
	if (type->is_array) {
		/* An array of an emitted type: its element's name, then the rank. */
		uint64_t element;
		if (failed(clrsos_target_read_u64(t->target, type->mt + MT_OFFSET_PER_INST_INFO, &element)))
			return NULL;
		const char *en = handle_name(t, element, depth);
		if (!en)
			return NULL;
		puts_(&b, en);
		if ((type->flags & MT_FLAG_SZARRAY_MASK) == MT_FLAG_SZARRAY) {
			puts_(&b, "[]");
		} else {
			/* A multi-dimensional array: after the array header, a length and a lower bound per dimension. */
			uint32_t rank = type->base_size > 24 ? (type->base_size - 24) / 8 : 1;
			puts_(&b, "[");
			for (uint32_t i = 1; i < rank && i < 32; i++)
				puts_(&b, ",");
			puts_(&b, "]");
		}
		return b.oom ? (free(b.text), NULL) : b.text;
	}
	struct clrsos_dacp_method_table_data d;
	struct clrsos_error *err = clrsos_dac_method_table_data(t->dac, type->mt, &d);
	if (err) {
		clrsos_error_destroy(err);
		return NULL;
	}
	const struct clrsos_metadata *md = NULL;
	if ((err = clrsos_types_metadata(t, d.module, &md))) {
		clrsos_error_destroy(err); /* out of memory: no name from metadata either */
		return NULL;
	}
	if (!md || (d.token >> 24) != CLRSOS_MD_TYPEDEF)
		return NULL;
	/* The chain of enclosing types, innermost first. */
	uint32_t chain[MAX_NESTING];
	size_t nchain = 0;
	uint32_t token = d.token;
	uint32_t nrows = clrsos_metadata_rows(md, CLRSOS_MD_NESTEDCLASS);
	while (nchain < MAX_NESTING) {
		chain[nchain++] = token;
		uint32_t enclosing = 0;
		for (uint32_t r = 1; r <= nrows && !enclosing; r++) {
			uint32_t nested, outer;
			if (failed(clrsos_metadata_column(md, CLRSOS_MD_NESTEDCLASS, r, 0, &nested)) ||
			    failed(clrsos_metadata_column(md, CLRSOS_MD_NESTEDCLASS, r, 1, &outer)))
				break;
			if ((nested & 0xffffff) == (token & 0xffffff))
				enclosing = CLRSOS_MD_TYPEDEF << 24 | (outer & 0xffffff);
		}
		if (!enclosing || enclosing == token)
			break;
		token = enclosing;
	}
	uint64_t args[MAX_TYPE_ARGS];
	size_t nargs = SIZE_MAX, next_arg = 0; /* read when a generic segment needs them */
	for (size_t i = nchain; i-- > 0;) {
		const char *ns = NULL, *name = NULL;
		if (failed(clrsos_metadata_typedef(md, chain[i], &ns, &name)) || !name) {
			free(b.text);
			return NULL;
		}
		if (i != nchain - 1)
			puts_(&b, "+");
		else if (ns && ns[0]) {
			puts_(&b, ns);
			puts_(&b, ".");
		}
		size_t base_len;
		unsigned arity = arity_of(name, &base_len);
		put(&b, name, base_len);
		if (!arity)
			continue;
		if (nargs == SIZE_MAX)
			nargs = type_args(t, type->mt, args, MAX_TYPE_ARGS);
		puts_(&b, "<");
		for (unsigned k = 0; k < arity; k++) {
			if (k)
				puts_(&b, ", ");
			const char *an = next_arg < nargs ? handle_name(t, args[next_arg], depth) : NULL;
			next_arg++;
			if (an) {
				puts_(&b, an);
			} else {
				char ph[16];
				snprintf(ph, sizeof(ph), "T%u", k + 1);
				puts_(&b, ph);
			}
		}
		puts_(&b, ">");
	}
	if (b.oom) {
		free(b.text);
		return NULL;
	}
	return b.text;
}

static const char *name_at_depth(struct clrsos_types *t, const struct clrsos_type *ctype, int depth)
{
	struct clrsos_type *type = (struct clrsos_type *)ctype;
	if (type->name || depth == 0)
		return clrsos_types_name(t, type);
	/* Inside a generic argument list: name it only if that stays shallow. */
	char *dac_name = NULL;
	struct clrsos_error *err = clrsos_dac_method_table_name(t->dac, type->mt, &dac_name);
	if (!err && strcmp(dac_name, UNLOADED_TYPE) != 0)
		type->name = clrsos_typename_from_dac(dac_name);
	else
		type->name = name_from_metadata(t, type, depth);
	free(dac_name);
	clrsos_error_destroy(err);
	return type->name;
}

const char *clrsos_types_name(struct clrsos_types *t,
			      const struct clrsos_type *ctype)
{
	struct clrsos_type *type = (struct clrsos_type *)ctype;
	if (type->name)
		return type->name;
	if (type->is_free) {
		type->name = strdup("Free");
	} else {
		char *dac_name = NULL;
		struct clrsos_error *err =
			clrsos_dac_method_table_name(t->dac, type->mt, &dac_name);
		if (!err && strcmp(dac_name, UNLOADED_TYPE) != 0) {
			type->name = clrsos_typename_from_dac(dac_name);
		} else {
			/* A type of a Reflection.Emit module (or of a module
			 * whose image the DAC cannot see): name it from the
			 * module's metadata, as the DAC does not. */
			type->name = name_from_metadata(t, type, 0);
			if (!type->name && !err)
				type->name = clrsos_typename_from_dac(dac_name);
		}
		free(dac_name);
		clrsos_error_destroy(err);
	}
	if (!type->name) {
		char buf[48];
		snprintf(buf, sizeof(buf), "<unknown type 0x%llx>",
			 (unsigned long long)type->mt);
		type->name = strdup(buf);
	}
	return type->name ? type->name : "<unknown type>";
}

static void read_gcdesc(struct clrsos_types *t, struct clrsos_type *type)
{
	type->gcdesc_read = true;
	if (!type->contains_pointers)
		return;
	int64_t n;
	struct clrsos_error *err =
		clrsos_target_read(t->target, type->mt - 8, &n, sizeof(n));
	if (err || n == 0 || n > MAX_GCDESC_SERIES || n < -MAX_GCDESC_SERIES) {
		clrsos_error_destroy(err);
		type->gcdesc_bad = true;
		return;
	}
	/* Series: n pairs {size, offset}; value-type arrays: one pair whose
	 * first word is item 0, then -n - 1 more items below it. */
	size_t words = n > 0 ? (size_t)n * 2 : 2 + (size_t)(-n - 1);
	uint64_t *buf = malloc(words * sizeof(*buf));
	if (!buf) {
		type->gcdesc_bad = true;
		return;
	}
	err = clrsos_target_read(t->target, type->mt - 8 - words * 8, buf,
				 words * sizeof(*buf));
	if (err) {
		clrsos_error_destroy(err);
		free(buf);
		type->gcdesc_bad = true;
		return;
	}
	type->gcdesc_series = n;
	type->gcdesc = buf;
	type->gcdesc_words = words;
}

/* The walk of both: fn or at_fn (the other NULL). */
static bool for_each_ref(struct clrsos_types *t, const struct clrsos_type *ctype, const uint8_t *bytes, uint64_t size,
			 clrsos_ref_fn *fn, clrsos_ref_at_fn *at_fn, void *ctx)
{
	struct clrsos_type *type = (struct clrsos_type *)ctype;
	if (!type->contains_pointers)
		return true;
	if (!type->gcdesc_read)
		read_gcdesc(t, type);
	if (type->gcdesc_bad)
		return false;
	const uint64_t *w = type->gcdesc;
	size_t nw = type->gcdesc_words;
	if (type->gcdesc_series > 0) {
		/* The highest series is nearest the MethodTable: the last pair. */
		for (int64_t i = 0; i < type->gcdesc_series; i++) {
			uint64_t series_size = w[nw - 2 - 2 * i];
			uint64_t offset = w[nw - 1 - 2 * i];
			uint64_t len = series_size + size; /* stored minus the base size */
			if (offset >= size || len > size - offset)
				continue; /* corrupt: never read outside the object */
			for (uint64_t p = offset; p + 8 <= offset + len; p += 8) {
				uint64_t ref;
				memcpy(&ref, bytes + p, 8);
				if (ref && fn)
					fn(ctx, ref);
				else if (ref)
					at_fn(ctx, p, ref);
			}
		}
		return true;
	}
	/* An array of value types: from the start offset to the end of the
	 * object, repeat the items (n pointers, then skip bytes). */
	uint64_t offset = w[nw - 1];
	int64_t items = -type->gcdesc_series;
	uint64_t end = size >= 8 ? size - 8 : 0;
	uint64_t p = offset;
	while (p < end) {
		uint64_t before = p;
		for (int64_t k = 0; k < items && p < end; k++) {
			uint64_t item = w[nw - 2 - (size_t)k];
			uint32_t nptrs = (uint32_t)item;
			uint32_t skip = (uint32_t)(item >> 32);
			for (uint32_t j = 0; j < nptrs && p + 8 <= size; j++, p += 8) {
				uint64_t ref;
				memcpy(&ref, bytes + p, 8);
				if (ref && fn)
					fn(ctx, ref);
				else if (ref)
					at_fn(ctx, p, ref);
			}
			p += skip;
		}
		if (p == before)
			break; /* an item list that never advances: corrupt */
	}
	return true;
}

bool clrsos_types_for_each_ref(struct clrsos_types *t, const struct clrsos_type *type, const uint8_t *bytes,
			       uint64_t size, clrsos_ref_fn *fn, void *ctx)
{
	return for_each_ref(t, type, bytes, size, fn, NULL, ctx);
}

bool clrsos_types_for_each_ref_at(struct clrsos_types *t, const struct clrsos_type *type, const uint8_t *bytes,
				  uint64_t size, clrsos_ref_at_fn *fn, void *ctx)
{
	return for_each_ref(t, type, bytes, size, NULL, fn, ctx);
}

enum { MAX_METADATA_BYTES = 512 << 20 };

/* The metadata of a module, read and parsed once into m->md (left NULL when unreadable). */
static struct clrsos_error *read_metadata(struct clrsos_types *t, uint64_t module,
					  struct module_metadata *m)
{
	struct clrsos_dacp_module_data d;
	struct clrsos_error *err = clrsos_dac_module_data(t->dac, module, &d);
	if (err)
		return err;
	if (d.is_reflection || !d.metadata_start) {
		/* A Reflection.Emit module: no image; its metadata is kept in
		 * the runtime's memory, where the DAC reads it. */
		void *copy = NULL;
		size_t size = 0;
		err = clrsos_dac_module_metadata_copy(t->dac, module, &copy, &size);
		if (!err)
			err = clrsos_metadata_create(copy, size, &m->md);
		free(copy);
		return err;
	}
	if (!d.metadata_size || d.metadata_size > MAX_METADATA_BYTES)
		return NULL;
	void *bytes = malloc((size_t)d.metadata_size);
	if (!bytes)
		return &clrsos_error_no_memory;
	err = clrsos_target_read(t->target, d.metadata_start, bytes, (size_t)d.metadata_size);
	if (!err)
		err = clrsos_metadata_create(bytes, (size_t)d.metadata_size, &m->md);
	free(bytes);
	return err;
}

struct clrsos_error *clrsos_types_metadata(struct clrsos_types *t, uint64_t module,
					   const struct clrsos_metadata **ret)
{
	*ret = NULL;
	for (size_t i = 0; i < t->metadata.count; i++) {
		if (t->metadata.items[i].module == module) {
			*ret = t->metadata.items[i].md;
			return NULL;
		}
	}
	struct module_metadata *m = metadata_vector_push_slot(&t->metadata);
	if (!m)
		return &clrsos_error_no_memory;
	m->module = module;
	m->md = NULL;
	/* An unreadable module has no metadata (remembered as such); out of memory is not remembered. */
	struct clrsos_error *err = clrsos_error_ignore(read_metadata(t, module, m));
	if (err) {
		t->metadata.count--;
		return err;
	}
	*ret = m->md;
	return NULL;
}
