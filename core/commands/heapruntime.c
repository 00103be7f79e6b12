/*
 * Commands that find runtime structures among the heap's objects:
 * dumpruntimetypes (SOS's DumpRuntimeTypes: every System.RuntimeType and
 * the type it stands for) and timerinfo (SOS's TimerInfo: the timers of
 * every System.Threading.TimerQueue). One heap walk each; the objects found
 * are then read field by field.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vector.h"
#include "model/fields.h"
#include "model/methods.h"
#include "model/objects.h"
#include "model/runtimedata.h"
#include "model/types.h"
#include "commands.h"
#include "rootcmds.h"

/* Objects of one type, by name, found in one walk. */
struct named_objects {
	struct clrsos_types *types;
	const char *name;
	const struct clrsos_type *match; /* the type once met */
	const struct clrsos_type *checked[64]; /* types seen not to match (a small cache) */
	size_t nchecked;
	uint64_t *items;
	size_t count, capacity;
	struct clrsos_error *err;
};

static bool collect(void *ctx, const struct clrsos_heap_object *obj)
{
	struct named_objects *n = ctx;
	if (!obj->type || obj->type->is_free)
		return true;
	if (obj->type != n->match) {
		if (n->match)
			return true; /* one MethodTable per non-generic type */
		for (size_t i = 0; i < n->nchecked; i++)
			if (n->checked[i] == obj->type)
				return true;
		if (strcmp(clrsos_types_name(n->types, obj->type), n->name) != 0) {
			n->checked[n->nchecked++ % 64] = obj->type;
			if (n->nchecked > 64)
				n->nchecked = 64;
			return true;
		}
		n->match = obj->type;
	}
	if ((n->err = clrsos_array_reserve(&n->items, &n->capacity, n->count + 1)))
		return false;
	n->items[n->count++] = obj->address;
	return true;
}

static struct clrsos_error *find_objects(struct clrsos_root_cmd *c, const char *name, struct named_objects *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->types = c->types;
	ret->name = name;
	struct clrsos_walk_filter filter;
	clrsos_walk_filter_init(&filter);
	struct clrsos_walk_result result;
	struct clrsos_error *err = clrsos_heap_walk(c->heap, &filter, collect, ret, NULL, NULL, &result);
	if (!err)
		err = ret->err;
	if (err) {
		free(ret->items);
		ret->items = NULL;
	}
	return err;
}

/* A field of mt's objects by name, or found false. */
static struct clrsos_error *field_named(struct clrsos_root_cmd *c, uint64_t mt, const char *name,
					struct clrsos_field *ret, bool *found)
{
	*found = false;
	struct clrsos_fields fields;
	struct clrsos_error *err = clrsos_fields_init(c->dac, c->types, mt, &fields);
	if (err)
		return clrsos_error_is_no_memory(err) ? err : (clrsos_error_destroy(err), NULL);
	for (size_t i = 0; i < fields.count && !*found; i++) {
		if (!fields.items[i].is_static && strcmp(fields.items[i].name, name) == 0) {
			*ret = fields.items[i];
			ret->name = NULL;
			*found = true;
		}
	}
	clrsos_fields_deinit(&fields);
	return NULL;
}

/* An object's field of 4 or 8 bytes (0 if unreadable). */
static uint64_t read_field(struct clrsos_root_cmd *c, uint64_t object, const struct clrsos_field *f, size_t size)
{
	uint64_t v = 0;
	struct clrsos_error *err = size == 8 ? clrsos_target_read_u64(c->target, object + 8 + f->offset, &v)
					     : NULL;
	if (size == 4 || size == 2) {
		uint32_t v32 = 0;
		err = clrsos_target_read_u32(c->target, object + 8 + f->offset, &v32);
		v = size == 2 ? (v32 & 0xffff) : v32;
	}
	if (err) {
		clrsos_error_destroy(err);
		return 0;
	}
	return v;
}

/* --------------------------------------------------------- dumpruntimetypes */

struct runtime_type_row {
	uint64_t address, handle;
	const char *name; /* borrowed from the types, or NULL */
};

struct clrsos_error *clrsos_cmd_dumpruntimetypes(struct clrsos_session *session, const struct clrsos_host *host,
						 int argc, const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("dumpruntimetypes", host, argc, argv, &json);
	if (err)
		return err;
	struct clrsos_root_cmd c;
	struct named_objects found = {0};
	if ((err = clrsos_root_cmd_init(&c, session)) || (err = find_objects(&c, "System.RuntimeType", &found)))
		return err;
	struct runtime_type_row *rows = calloc(found.count ? found.count : 1, sizeof(*rows));
	struct clrsos_field handle = {0};
	bool have_handle = false;
	uint64_t domain = 0;
	if (!rows)
		err = &clrsos_error_no_memory;
	else if (found.count && !(err = field_named(&c, found.match->mt, "m_handle", &handle, &have_handle)) &&
		 !have_handle)
		err = clrsos_error_create(CLRSOS_ERROR_OTHER,
					  "dumpruntimetypes: System.RuntimeType has no m_handle field in this runtime");
	if (!err)
		err = clrsos_app_domain_read(c.dac, &domain);
	for (size_t i = 0; !err && i < found.count; i++) {
		rows[i].address = found.items[i];
		rows[i].handle = read_field(&c, found.items[i], &handle, 8);
		/* A TypeHandle with bit 1 set is no MethodTable (SOS names only MethodTables). */
		const struct clrsos_type *t = rows[i].handle && !(rows[i].handle & 2) ? clrsos_types_get(c.types, rows[i].handle)
										       : NULL;
		rows[i].name = t ? clrsos_types_name(c.types, t) : NULL;
	}
	if (!err && json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "domain");
		clrsos_json_address(&j, domain);
		clrsos_json_key(&j, "runtimeTypes");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < found.count; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, rows[i].address);
			clrsos_json_key(&j, "mt");
			clrsos_json_address(&j, rows[i].handle);
			clrsos_json_key(&j, "isMethodTable");
			clrsos_json_bool(&j, !(rows[i].handle & 2));
			clrsos_json_key(&j, "type");
			clrsos_json_string(&j, rows[i].name);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (!err && !found.count) {
		clrsos_out(out, "No System.RuntimeType objects found.\n");
	} else if (!err) {
		clrsos_outf(out, "%16s %16s %16s %s\n", "Address", "Domain", "MT", "Type Name");
		for (size_t i = 0; i < found.count; i++) {
			struct clrsos_name_buf nb;
			char name[96];
			const char *shown = rows[i].name ? clrsos_safe_name(rows[i].name, &nb) : name;
			if (!rows[i].name && (rows[i].handle & 2))
				snprintf(name, sizeof(name), "typehandle: %" PRIx64 " (SOS does not support resolving typehandle names.)",
					 rows[i].handle);
			else if (!rows[i].name)
				snprintf(name, sizeof(name), "%" PRIx64, rows[i].handle);
			clrsos_outf(out, "%16" PRIx64 " %16" PRIx64 " %16" PRIx64 " %s\n", rows[i].address,
				    (rows[i].handle & 2) ? (uint64_t)0 : domain, rows[i].handle, shown);
		}
	}
	free(rows);
	free(found.items);
	return err;
}

/* ---------------------------------------------------------------- timerinfo */

struct timer_row {
	uint64_t address;
	bool is_short;
	uint32_t due, period;
	uint64_t state;
	const char *state_type; /* borrowed, or NULL */
	char *method;           /* malloc'd: the callback as SOS names it */
};

struct timer_result {
	struct timer_row *rows;
	size_t count, capacity;
	size_t queues;
};

static void timer_result_deinit(struct timer_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->rows[i].method);
	free(r->rows);
}

/* The fields of TimerQueueTimer (and TimerCallback) the command reads. */
struct timer_fields {
	uint64_t mt;
	bool ok;
	struct clrsos_field next, due, period, state, callback;
	uint64_t callback_mt;
	bool callback_ok;
	struct clrsos_field method_ptr, method_ptr_aux, target;
	bool have_aux;
};

/* "Type.Method" from a method's full name "Type.Method(args)" (malloc'd). */
static char *method_without_args(const char *full, const char *this_type)
{
	size_t n = strcspn(full, "(");
	const char *dot = NULL;
	for (const char *p = full; p < full + n; p++)
		if (*p == '.')
			dot = p;
	char *out;
	if (this_type && dot) {
		size_t tl = strlen(this_type), ml = (size_t)(full + n - dot);
		out = malloc(tl + ml + 1);
		if (out) {
			memcpy(out, this_type, tl);
			memcpy(out + tl, dot, ml);
			out[tl + ml] = 0;
		}
		return out;
	}
	out = malloc(n + 1);
	if (out) {
		memcpy(out, full, n);
		out[n] = 0;
	}
	return out;
}

static struct clrsos_error *callback_name_of(struct clrsos_root_cmd *c, struct timer_fields *tf, uint64_t callback,
					     const char *expected, char **ret);

static struct clrsos_error *callback_name(struct clrsos_root_cmd *c, struct timer_fields *tf, uint64_t callback,
					  char **ret)
{
	return callback_name_of(c, tf, callback, "System.Threading.TimerCallback", ret);
}

/* The method a delegate calls, "Type.Method"; expected: the delegate type SOS names (NULL: any). */
static struct clrsos_error *callback_name_of(struct clrsos_root_cmd *c, struct timer_fields *tf, uint64_t callback,
					     const char *expected, char **ret)
{
	*ret = NULL;
	if (!callback)
		return (*ret = strdup("???")) ? NULL : &clrsos_error_no_memory;
	const struct clrsos_type *t = NULL;
	struct clrsos_error *err = clrsos_root_cmd_type_of(c, callback, &t, NULL);
	if (err)
		return err;
	if (!t)
		return (*ret = strdup("{no callback type?}")) ? NULL : &clrsos_error_no_memory;
	const char *tn = clrsos_types_name(c->types, t);
	if (expected && strcmp(tn, expected) != 0) {
		size_t n = strlen(tn) + 3;
		if (!(*ret = malloc(n)))
			return &clrsos_error_no_memory;
		snprintf(*ret, n, "<%s>", tn);
		return NULL;
	}
	if (tf->callback_mt != t->mt) {
		tf->callback_mt = t->mt;
		bool a, b;
		if ((err = field_named(c, t->mt, "_methodPtr", &tf->method_ptr, &a)) ||
		    (err = field_named(c, t->mt, "_target", &tf->target, &b)) ||
		    (err = field_named(c, t->mt, "_methodPtrAux", &tf->method_ptr_aux, &tf->have_aux)))
			return err;
		tf->callback_ok = a && b;
	}
	const char *empty = "";
	if (!tf->callback_ok)
		return (*ret = strdup(empty)) ? NULL : &clrsos_error_no_memory;
	uint64_t ip = read_field(c, callback, &tf->method_ptr, 8), md = 0;
	if (ip && (err = clrsos_method_desc_from_ip(c->dac, ip, &md)))
		return err;
	/* A delegate to a static method calls through a shuffle thunk: its method is in _methodPtrAux. */
	uint64_t aux = !md && tf->have_aux ? read_field(c, callback, &tf->method_ptr_aux, 8) : 0;
	if (aux && (err = clrsos_method_desc_from_ip(c->dac, aux, &md)))
		return err;
	if (!md)
		return (*ret = strdup(empty)) ? NULL : &clrsos_error_no_memory;
	char *full = NULL;
	bool has_code;
	if ((err = clrsos_error_ignore(clrsos_method_desc_name(c->dac, md, &full, &has_code))))
		return err;
	if (!full)
		return (*ret = strdup(empty)) ? NULL : &clrsos_error_no_memory;
	/* SOS names the delegate's target's type for an instance method. */
	uint64_t target = read_field(c, callback, &tf->target, 8);
	const char *this_type = NULL;
	if (target) {
		const struct clrsos_type *tt = NULL;
		if ((err = clrsos_root_cmd_type_of(c, target, &tt, NULL))) {
			free(full);
			return err;
		}
		this_type = tt ? clrsos_types_name(c->types, tt) : "?";
	}
	*ret = method_without_args(full, this_type);
	free(full);
	return *ret ? NULL : &clrsos_error_no_memory;
}

enum { MAX_TIMERS_PER_LIST = 1 << 22 };

static struct clrsos_error *timer_list(struct clrsos_root_cmd *c, struct timer_fields *tf, uint64_t timer,
				       bool is_short, struct timer_result *r)
{
	struct clrsos_error *err = NULL;
	for (size_t n = 0; timer && n < MAX_TIMERS_PER_LIST && !err; n++) {
		const struct clrsos_type *t = NULL;
		if ((err = clrsos_root_cmd_type_of(c, timer, &t, NULL)) || !t)
			break;
		if (tf->mt != t->mt) {
			tf->mt = t->mt;
			bool a, b, d, e, f;
			if ((err = field_named(c, t->mt, "_next", &tf->next, &a)) ||
			    (err = field_named(c, t->mt, "_dueTime", &tf->due, &b)) ||
			    (err = field_named(c, t->mt, "_period", &tf->period, &d)) ||
			    (err = field_named(c, t->mt, "_state", &tf->state, &e)) ||
			    (err = field_named(c, t->mt, "_timerCallback", &tf->callback, &f)))
				break;
			tf->ok = a && b && d && e && f;
		}
		if (!tf->ok)
			return clrsos_error_create(CLRSOS_ERROR_OTHER,
						   "timerinfo: System.Threading.TimerQueueTimer lacks the fields of .NET Core 3.0 and later (_next, _dueTime, _period, _state, _timerCallback)");
		if ((err = clrsos_array_reserve(&r->rows, &r->capacity, r->count + 1)))
			break;
		struct timer_row *row = &r->rows[r->count++];
		memset(row, 0, sizeof(*row));
		row->address = timer;
		row->is_short = is_short;
		row->due = (uint32_t)read_field(c, timer, &tf->due, 4);
		row->period = (uint32_t)read_field(c, timer, &tf->period, 4);
		row->state = read_field(c, timer, &tf->state, 8);
		if (row->state) {
			const struct clrsos_type *st = NULL;
			if ((err = clrsos_root_cmd_type_of(c, row->state, &st, NULL)))
				break;
			row->state_type = st ? clrsos_types_name(c->types, st) : NULL;
		}
		if ((err = callback_name(c, tf, read_field(c, timer, &tf->callback, 8), &row->method)))
			break;
		timer = read_field(c, timer, &tf->next, 8);
	}
	return err;
}

static struct clrsos_error *timers_compute(struct clrsos_session *session, struct timer_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_root_cmd c;
	struct named_objects queues;
	struct clrsos_error *err;
	if ((err = clrsos_root_cmd_init(&c, session)) || (err = find_objects(&c, "System.Threading.TimerQueue", &queues)))
		return err;
	r->queues = queues.count;
	struct clrsos_field short_f = {0}, long_f = {0};
	bool have_short = false, have_long = false;
	if (queues.count && !(err = field_named(&c, queues.match->mt, "_shortTimers", &short_f, &have_short)) &&
	    !(err = field_named(&c, queues.match->mt, "_longTimers", &long_f, &have_long)) && !(have_short && have_long))
		err = clrsos_error_create(CLRSOS_ERROR_OTHER,
					  "timerinfo: System.Threading.TimerQueue has no _shortTimers/_longTimers in this runtime");
	struct timer_fields tf = {0};
	for (size_t i = 0; !err && i < queues.count; i++) {
		if (!(err = timer_list(&c, &tf, read_field(&c, queues.items[i], &short_f, 8), true, r)))
			err = timer_list(&c, &tf, read_field(&c, queues.items[i], &long_f, 8), false, r);
	}
	free(queues.items);
	/* SOS lists them by period (a stable order). */
	for (size_t i = 1; !err && i < r->count; i++)
		for (size_t k = i; k > 0 && r->rows[k - 1].period > r->rows[k].period; k--) {
			struct timer_row t = r->rows[k];
			r->rows[k] = r->rows[k - 1];
			r->rows[k - 1] = t;
		}
	return err;
}

static void period_text(uint32_t period, char *buf, size_t size)
{
	if (period == UINT32_MAX)
		snprintf(buf, size, "  ------");
	else
		snprintf(buf, size, "%8u", period);
}

static void timers_text(const struct timer_result *r, struct clrsos_writer *out)
{
	/* The summary's keys: the line without the timer's address, with its count. */
	char **keys = calloc(r->count ? r->count : 1, sizeof(*keys));
	size_t *counts = calloc(r->count ? r->count : 1, sizeof(*counts));
	size_t nkeys = 0;
	for (size_t i = 0; i < r->count; i++) {
		const struct timer_row *t = &r->rows[i];
		char period[16], key[1024];
		struct clrsos_name_buf nb, mb;
		period_text(t->period, period, sizeof(period));
		const char *st = t->state_type ? clrsos_safe_name(t->state_type, &nb) : "";
		const char *m = clrsos_safe_name(t->method, &mb);
		clrsos_outf(out, "(%s) 0x%016" PRIX64 " @%8u ms every %s ms |  %016" PRIX64 " (%s) -> %s\n",
			    t->is_short ? "S" : "L", t->address, t->due, period, t->state, st, m);
		snprintf(key, sizeof(key), "(%s) @%8u ms every %s ms | %016" PRIX64 " (%s) -> %s", t->is_short ? "S" : "L",
			 t->due, period, t->state, st, m);
		if (!keys || !counts)
			continue;
		size_t k = 0;
		while (k < nkeys && strcmp(keys[k], key) != 0)
			k++;
		if (k == nkeys) {
			if (!(keys[k] = strdup(key)))
				continue;
			nkeys++;
		}
		counts[k]++;
	}
	clrsos_outf(out, "\n   %zu timers\n-----------------------------------------------\n", r->count);
	/* By count, stable. */
	for (size_t i = 1; keys && counts && i < nkeys; i++)
		for (size_t k = i; k > 0 && counts[k - 1] > counts[k]; k--) {
			size_t c = counts[k];
			char *s = keys[k];
			counts[k] = counts[k - 1];
			keys[k] = keys[k - 1];
			counts[k - 1] = c;
			keys[k - 1] = s;
		}
	for (size_t k = 0; keys && counts && k < nkeys; k++)
		clrsos_outf(out, "%4zu | %s\n", counts[k], keys[k]);
	for (size_t k = 0; keys && k < nkeys; k++)
		free(keys[k]);
	free(keys);
	free(counts);
}

static void timers_json(const struct timer_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "count");
	clrsos_json_uint(&j, r->count);
	clrsos_json_key(&j, "queues");
	clrsos_json_uint(&j, r->queues);
	clrsos_json_key(&j, "timers");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->count; i++) {
		const struct timer_row *t = &r->rows[i];
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "address");
		clrsos_json_address(&j, t->address);
		clrsos_json_key(&j, "short");
		clrsos_json_bool(&j, t->is_short);
		clrsos_json_key(&j, "dueTimeMs");
		clrsos_json_uint(&j, t->due);
		clrsos_json_key(&j, "periodMs");
		if (t->period == UINT32_MAX)
			clrsos_json_null(&j);
		else
			clrsos_json_uint(&j, t->period);
		clrsos_json_key(&j, "state");
		clrsos_json_address(&j, t->state);
		clrsos_json_key(&j, "stateType");
		clrsos_json_string(&j, t->state_type);
		clrsos_json_key(&j, "callback");
		clrsos_json_string(&j, t->method);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_timerinfo(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("timerinfo", host, argc, argv, &json);
	if (err)
		return err;
	struct timer_result r;
	if (!(err = timers_compute(session, &r))) {
		if (json)
			timers_json(&r, out);
		else
			timers_text(&r, out);
	}
	timer_result_deinit(&r);
	return err;
}

/* ---------------------------------------------------------------- threadpool */

struct threadpool_info {
	bool found;
	int32_t cpu_utilization;
	uint32_t min_threads, max_threads;
	uint32_t processing, existing; /* of the thread counts word */
	uint64_t address;              /* the PortableThreadPool */
};

/*
 * The byte offset, from the object's address, of a field reached through
 * embedded structs (path: "_separated", "counts", "_data"); found false if
 * a step is missing.
 */
static struct clrsos_error *nested_offset(struct clrsos_root_cmd *c, uint64_t mt, const char *const *path, size_t n,
					  uint64_t *ret, struct clrsos_field *last, bool *found)
{
	uint64_t offset = 8;
	*found = false;
	for (size_t i = 0; i < n; i++) {
		struct clrsos_field f;
		bool ok;
		struct clrsos_error *err = field_named(c, mt, path[i], &f, &ok);
		if (err || !ok)
			return err;
		offset += f.offset;
		if (i + 1 < n) {
			if (f.element_type != CLRSOS_ELEMENT_VALUETYPE || !f.type_mt)
				return NULL;
			mt = f.type_mt;
		}
		*last = f;
	}
	*ret = offset;
	*found = true;
	return NULL;
}

static struct clrsos_error *threadpool_read(struct clrsos_root_cmd *c, struct threadpool_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct named_objects pools;
	struct clrsos_error *err = find_objects(c, "System.Threading.PortableThreadPool", &pools);
	if (err || !pools.count) {
		free(pools.items);
		return err;
	}
	uint64_t pool = pools.items[0], mt = pools.match->mt;
	free(pools.items);
	struct clrsos_field cpu, min, max;
	bool a, b, d;
	if ((err = field_named(c, mt, "_cpuUtilization", &cpu, &a)) || (err = field_named(c, mt, "_minThreads", &min, &b)) ||
	    (err = field_named(c, mt, "_maxThreads", &max, &d)))
		return err;
	static const char *const path[] = {"_separated", "counts", "_data"};
	uint64_t offset = 0;
	struct clrsos_field data;
	bool e;
	if ((err = nested_offset(c, mt, path, 3, &offset, &data, &e)))
		return err;
	if (!(a && b && d && e))
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "threadpool: System.Threading.PortableThreadPool lacks the fields of .NET 6 and later (_cpuUtilization, _minThreads, _maxThreads, _separated.counts._data)");
	/* _data is a ulong, or a struct holding one (m_value) in older runtimes. */
	if (data.element_type == CLRSOS_ELEMENT_VALUETYPE && data.type_mt) {
		static const char *const inner[] = {"m_value"};
		struct clrsos_field v;
		uint64_t more = 0;
		if ((err = nested_offset(c, data.type_mt, inner, 1, &more, &v, &e)))
			return err;
		if (e)
			offset += more - 8;
	}
	uint64_t counts = 0;
	if ((err = clrsos_target_read_u64(c->target, pool + offset, &counts)))
		return err;
	ret->found = true;
	ret->address = pool;
	ret->cpu_utilization = (int32_t)read_field(c, pool, &cpu, 4);
	ret->min_threads = (uint32_t)read_field(c, pool, &min, clrsos_element_size(min.element_type) == 2 ? 2 : 4);
	ret->max_threads = (uint32_t)read_field(c, pool, &max, clrsos_element_size(max.element_type) == 2 ? 2 : 4);
	ret->processing = (uint32_t)(counts & 0xffff);
	ret->existing = (uint32_t)((counts >> 16) & 0xffff);
	return NULL;
}

struct clrsos_error *clrsos_cmd_threadpool(struct clrsos_session *session, const struct clrsos_host *host,
					   int argc, const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("threadpool", host, argc, argv, &json);
	if (err)
		return err;
	struct clrsos_root_cmd c;
	struct threadpool_info tp;
	if ((err = clrsos_root_cmd_init(&c, session)) || (err = threadpool_read(&c, &tp)))
		return err;
	if (!tp.found) {
		/* Not an error: a process that never queued work has no pool yet (SOS
		 * prints "Failed to obtain ThreadPool data." and succeeds too). */
		if (json) {
			struct clrsos_json j;
			clrsos_json_init(&j, out);
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "kind");
			clrsos_json_null(&j);
			clrsos_json_key(&j, "threadPool");
			clrsos_json_null(&j);
			clrsos_json_object_end(&j);
			clrsos_json_end(&j);
		} else {
			clrsos_out(out, "No thread pool: the process never used it (no "
					"System.Threading.PortableThreadPool on the heap)\n");
		}
		return NULL;
	}
	uint32_t idle = tp.existing >= tp.processing ? tp.existing - tp.processing : 0;
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "kind");
		clrsos_json_string(&j, "Portable");
		clrsos_json_key(&j, "threadPool");
		clrsos_json_address(&j, tp.address);
		clrsos_json_key(&j, "cpuUtilization");
		clrsos_json_int(&j, tp.cpu_utilization);
		clrsos_json_key(&j, "workersTotal");
		clrsos_json_uint(&j, tp.existing);
		clrsos_json_key(&j, "workersRunning");
		clrsos_json_uint(&j, tp.processing);
		clrsos_json_key(&j, "workersIdle");
		clrsos_json_uint(&j, idle);
		clrsos_json_key(&j, "workerMinLimit");
		clrsos_json_uint(&j, tp.min_threads);
		clrsos_json_key(&j, "workerMaxLimit");
		clrsos_json_uint(&j, tp.max_threads);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
		return NULL;
	}
	char cpu[16];
	snprintf(cpu, sizeof(cpu), "%d%%", tp.cpu_utilization);
	clrsos_out(out, "Using the Portable thread pool.\n\n");
	clrsos_outf(out, "%-17s %s\n", "CPU utilization:", cpu);
	clrsos_outf(out, "%-17s %u\n", "Workers Total:", tp.existing);
	clrsos_outf(out, "%-17s %u\n", "Workers Running:", tp.processing);
	clrsos_outf(out, "%-17s %u\n", "Workers Idle:", idle);
	clrsos_outf(out, "%-17s %u\n", "Worker Min Limit:", tp.min_threads);
	clrsos_outf(out, "%-17s %u\n", "Worker Max Limit:", tp.max_threads);
	clrsos_out(out, "\n");
	return NULL;
}

/* ----------------------------------------------------------- threadpoolqueue */

enum tpq_kind { TPQ_RAW, TPQ_TASK, TPQ_WORK };

struct tpq_item {
	uint64_t address;
	bool local;
	enum tpq_kind kind;
	const char *type; /* borrowed from the types, or NULL */
	char *method;     /* Task and Work items: the delegate's Type.Method (malloc'd), or NULL */
};

struct tpq_result {
	struct tpq_item *items;
	size_t count, capacity;
	bool truncated;
};

static void tpq_result_deinit(struct tpq_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->items[i].method);
	free(r->items);
}

enum { MAX_QUEUED = 1 << 22 };

/* A reference field of an object by name (0 if none or unreadable). */
static struct clrsos_error *ref_named(struct clrsos_root_cmd *c, uint64_t object, const char *name, uint64_t *ret)
{
	*ret = 0;
	const struct clrsos_type *t = NULL;
	struct clrsos_error *err = clrsos_root_cmd_type_of(c, object, &t, NULL);
	if (err || !t)
		return err;
	struct clrsos_field f;
	bool found;
	if ((err = field_named(c, t->mt, name, &f, &found)) || !found)
		return err;
	*ret = read_field(c, object, &f, 8);
	return NULL;
}

static struct clrsos_error *int_named(struct clrsos_root_cmd *c, uint64_t object, const char *name, int64_t *ret,
				      bool *found)
{
	*ret = 0;
	const struct clrsos_type *t = NULL;
	*found = false;
	struct clrsos_error *err = clrsos_root_cmd_type_of(c, object, &t, NULL);
	if (err || !t)
		return err;
	struct clrsos_field f;
	if ((err = field_named(c, t->mt, name, &f, found)) || !*found)
		return err;
	*ret = (int32_t)read_field(c, object, &f, 4);
	return NULL;
}

/* "Type.Method" of a delegate: its target's type (or the method's own, for a static one). */
static struct clrsos_error *delegate_name(struct clrsos_root_cmd *c, uint64_t delegate, char **ret)
{
	struct timer_fields tf = {0};
	return callback_name_of(c, &tf, delegate, NULL, ret);
}

static struct clrsos_error *tpq_add(struct clrsos_root_cmd *c, uint64_t item, bool local, struct tpq_result *r)
{
	if (!item)
		return NULL;
	if (r->count >= MAX_QUEUED) {
		r->truncated = true;
		return NULL;
	}
	struct clrsos_error *err = clrsos_array_reserve(&r->items, &r->capacity, r->count + 1);
	if (err)
		return err;
	struct tpq_item *it = &r->items[r->count++];
	memset(it, 0, sizeof(*it));
	it->address = item;
	it->local = local;
	const struct clrsos_type *t = NULL;
	if ((err = clrsos_root_cmd_type_of(c, item, &t, NULL)) || !t)
		return err;
	it->type = clrsos_types_name(c->types, t);
	uint64_t delegate = 0;
	if (strcmp(it->type, "System.Threading.Tasks.Task") == 0) {
		it->kind = TPQ_TASK;
		err = ref_named(c, item, "m_action", &delegate);
	} else if (strncmp(it->type, "System.Threading.QueueUserWorkItemCallback", 42) == 0) {
		it->kind = TPQ_WORK;
		err = ref_named(c, item, "_callback", &delegate);
	}
	if (!err && delegate)
		err = delegate_name(c, delegate, &it->method);
	return err;
}

/* The items of a ConcurrentQueue<T> of references: each segment's slots from head to tail. */
static struct clrsos_error *concurrent_queue(struct clrsos_root_cmd *c, uint64_t queue, struct tpq_result *r)
{
	uint64_t segment = 0;
	struct clrsos_error *err = queue ? ref_named(c, queue, "_head", &segment) : NULL;
	for (size_t n = 0; !err && segment && n < 4096; n++) {
		uint64_t slots = 0;
		int64_t mask = 0;
		bool have_mask;
		if ((err = ref_named(c, segment, "_slots", &slots)) ||
		    (err = int_named(c, segment, "_slotsMask", &mask, &have_mask)))
			break;
		/* _headAndTail: a struct whose Head and Tail ints sit past a cache line of padding. */
		const struct clrsos_type *st = NULL;
		if ((err = clrsos_root_cmd_type_of(c, segment, &st, NULL)) || !st || !slots || !have_mask)
			break;
		static const char *const head_path[] = {"_headAndTail", "Head"};
		static const char *const tail_path[] = {"_headAndTail", "Tail"};
		uint64_t head_off = 0, tail_off = 0;
		struct clrsos_field hf, tf;
		bool h, t;
		if ((err = nested_offset(c, st->mt, head_path, 2, &head_off, &hf, &h)) ||
		    (err = nested_offset(c, st->mt, tail_path, 2, &tail_off, &tf, &t)) || !h || !t)
			break;
		uint32_t head = 0, tail = 0;
		struct clrsos_object_data arr;
		if ((err = clrsos_error_ignore(clrsos_target_read_u32(c->target, segment + head_off, &head))) ||
		    (err = clrsos_error_ignore(clrsos_target_read_u32(c->target, segment + tail_off, &tail))))
			break;
		struct clrsos_error *e = clrsos_object_data_read(c->dac, slots, &arr);
		if (e) {
			err = clrsos_error_ignore(e);
			break;
		}
		/* Slot { T Item; int SequenceNumber }: Item first. */
		uint64_t esize = arr.component_size;
		for (uint32_t i = head; !err && i != tail && (uint32_t)(i - head) < MAX_QUEUED; i++) {
			uint64_t index = i & (uint64_t)mask, item = 0;
			if (index >= arr.length || !esize)
				break;
			if ((err = clrsos_error_ignore(clrsos_target_read_u64(c->target, arr.data + index * esize, &item))))
				break;
			err = tpq_add(c, item, false, r);
		}
		if (!err)
			err = ref_named(c, segment, "_nextSegment", &segment);
	}
	return err;
}

static struct clrsos_error *tpq_compute(struct clrsos_session *session, struct tpq_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_root_cmd c;
	struct named_objects queues, locals;
	struct clrsos_error *err;
	if ((err = clrsos_root_cmd_init(&c, session)) ||
	    (err = find_objects(&c, "System.Threading.ThreadPoolWorkQueue", &queues)))
		return err;
	for (size_t q = 0; !err && q < queues.count; q++) {
		static const char *const names[] = {"highPriorityWorkItems", "workItems"};
		for (size_t k = 0; !err && k < 2; k++) {
			uint64_t cq = 0;
			if (!(err = ref_named(&c, queues.items[q], names[k], &cq)))
				err = concurrent_queue(&c, cq, r);
		}
		/* .NET 8+: more global queues, one per group of processors. */
		uint64_t assignable = 0;
		struct clrsos_object_data arr;
		if (!err && !(err = ref_named(&c, queues.items[q], "_assignableWorkItemQueues", &assignable)) && assignable &&
		    !clrsos_error_ignore(clrsos_object_data_read(c.dac, assignable, &arr))) {
			for (uint64_t i = 0; !err && i < arr.length && i < 4096; i++) {
				uint64_t cq = 0;
				if (!clrsos_error_ignore(clrsos_target_read_u64(c.target, arr.data + 8 * i, &cq)))
					err = concurrent_queue(&c, cq, r);
			}
		}
	}
	free(queues.items);
	if (err || (err = find_objects(&c, "System.Threading.ThreadPoolWorkQueue+WorkStealingQueue", &locals)))
		return err;
	for (size_t q = 0; !err && q < locals.count; q++) {
		uint64_t array = 0;
		int64_t head = 0, tail = 0, mask = 0;
		bool a, b, d;
		struct clrsos_object_data arr;
		if ((err = ref_named(&c, locals.items[q], "m_array", &array)) ||
		    (err = int_named(&c, locals.items[q], "m_headIndex", &head, &a)) ||
		    (err = int_named(&c, locals.items[q], "m_tailIndex", &tail, &b)) ||
		    (err = int_named(&c, locals.items[q], "m_mask", &mask, &d)))
			break;
		if (!array || !a || !b || !d || clrsos_error_ignore(clrsos_object_data_read(c.dac, array, &arr)))
			continue;
		for (int64_t i = head; !err && i < tail && i - head < MAX_QUEUED; i++) {
			uint64_t index = (uint64_t)(i & mask), item = 0;
			if (index >= arr.length)
				break;
			if (!(err = clrsos_error_ignore(clrsos_target_read_u64(c.target, arr.data + 8 * index, &item))))
				err = tpq_add(&c, item, true, r);
		}
	}
	free(locals.items);
	return err;
}

struct tpq_stat {
	enum tpq_kind kind;
	const char *name;
	size_t count;
};

static void tpq_text(const struct tpq_result *r, struct clrsos_writer *out)
{
	struct tpq_stat *stats = calloc(r->count ? r->count : 1, sizeof(*stats));
	size_t nstats = 0, tasks = 0, works = 0;
	for (int local = 0; local < 2; local++) {
		clrsos_out(out, local ? "local per thread work items_____________________________________\n"
				      : "global work item queue________________________________\n");
		for (size_t i = 0; i < r->count; i++) {
			const struct tpq_item *it = &r->items[i];
			if (it->local != (local == 1))
				continue;
			struct clrsos_name_buf nb;
			const char *method = it->method ? it->method : "";
			if (it->kind == TPQ_RAW) {
				clrsos_outf(out, "0x%016" PRIX64 " %s\n", it->address,
					    it->type ? clrsos_safe_name(it->type, &nb) : "<unknown type>");
				continue;
			}
			clrsos_outf(out, "0x%016" PRIX64 " %s | %s\n", it->address, it->kind == TPQ_TASK ? "Task" : "Work",
				    clrsos_safe_name(method, &nb));
			if (it->kind == TPQ_TASK)
				tasks++;
			else
				works++;
			size_t k = 0;
			while (stats && k < nstats && !(stats[k].kind == it->kind && strcmp(stats[k].name, method) == 0))
				k++;
			if (!stats)
				continue;
			if (k == nstats)
				stats[nstats++] = (struct tpq_stat){.kind = it->kind, .name = method};
			stats[k].count++;
		}
		clrsos_out(out, "\n");
	}
	/* By count, ascending (stable), as SOS sorts them. */
	for (size_t i = 1; stats && i < nstats; i++)
		for (size_t k = i; k > 0 && stats[k - 1].count > stats[k].count; k--) {
			struct tpq_stat t = stats[k];
			stats[k] = stats[k - 1];
			stats[k - 1] = t;
		}
	for (int kind = TPQ_TASK; stats && kind <= TPQ_WORK; kind++) {
		size_t total = kind == TPQ_TASK ? tasks : works;
		if (!total)
			continue;
		for (size_t k = 0; k < nstats; k++) {
			if (stats[k].kind != (enum tpq_kind)kind)
				continue;
			struct clrsos_name_buf nb;
			clrsos_outf(out, " %4zu %s  %s\n", stats[k].count, kind == TPQ_TASK ? "Task" : "Work",
				    clrsos_safe_name(stats[k].name, &nb));
		}
		clrsos_outf(out, " ----\n %4zu\n\n", total);
	}
	clrsos_out(out, "\n");
	free(stats);
}

static void tpq_json(const struct tpq_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "truncated");
	clrsos_json_bool(&j, r->truncated);
	for (int local = 0; local < 2; local++) {
		clrsos_json_key(&j, local ? "local" : "global");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < r->count; i++) {
			const struct tpq_item *it = &r->items[i];
			if (it->local != (local == 1))
				continue;
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, it->address);
			clrsos_json_key(&j, "kind");
			clrsos_json_string(&j, it->kind == TPQ_TASK ? "task" : it->kind == TPQ_WORK ? "work" : "raw");
			clrsos_json_key(&j, "type");
			clrsos_json_string(&j, it->type);
			clrsos_json_key(&j, "method");
			clrsos_json_string(&j, it->method);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_threadpoolqueue(struct clrsos_session *session, const struct clrsos_host *host,
						int argc, const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("threadpoolqueue", host, argc, argv, &json);
	if (err)
		return err;
	struct tpq_result r;
	if (!(err = tpq_compute(session, &r))) {
		if (json)
			tpq_json(&r, out);
		else
			tpq_text(&r, out);
	}
	tpq_result_deinit(&r);
	return err;
}
