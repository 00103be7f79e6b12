#include "fake_dac.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum {
	SLOT_QUERY_INTERFACE = 0,
	SLOT_ADDREF = 1,
	SLOT_RELEASE = 2,
};

#define FAKE_FROM(self) (((struct fake_iface *)(self))->dac)

static clrsos_hresult f_query(void *self, const struct clrsos_guid *iid,
			      void **ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	struct fake_iface *i = NULL;
	if (clrsos_guid_eq(iid, &CLRSOS_IID_IUnknown) ||
	    clrsos_guid_eq(iid, &CLRSOS_IID_IXCLRDataProcess))
		i = &d->process;
	else if (clrsos_guid_eq(iid, &CLRSOS_IID_ISOSDacInterface) && d->has_sos)
		i = &d->sos;
	else if (clrsos_guid_eq(iid, &CLRSOS_IID_ISOSDacInterface8) && d->has_sos8)
		i = &d->sos8;
	if (!i) {
		*ret = NULL;
		return CLRSOS_E_NOINTERFACE;
	}
	i->refs++;
	*ret = i;
	return CLRSOS_S_OK;
}

static uint32_t f_addref(void *self)
{
	return ++((struct fake_iface *)self)->refs;
}

static uint32_t f_release(void *self)
{
	struct fake_iface *i = self;
	assert_true(i->refs > 0);
	return --i->refs;
}

static clrsos_hresult f_not_impl(void *self)
{
	FAKE_FROM(self)->not_impl_calls++;
	return CLRSOS_E_NOTIMPL;
}

static clrsos_hresult f_flush(void *self)
{
	FAKE_FROM(self)->flush_calls++;
	return CLRSOS_S_OK;
}

/* The GC layout -------------------------------------------------------------- */

static clrsos_hresult f_heap_data(void *self, struct clrsos_dacp_gc_heap_data *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->heap_data_calls++;
	if (d->heap_data_hr < 0)
		return d->heap_data_hr;
	*ret = d->heap_data;
	return CLRSOS_S_OK;
}

static clrsos_hresult f_heap_list(void *self, uint32_t count, uint64_t *heaps,
				  uint32_t *needed)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->heap_list_calls++;
	if (!d->heap_data.server_mode)
		return CLRSOS_E_FAIL;
	for (uint32_t i = 0; i < count && i < d->nheaps; i++)
		heaps[i] = d->heaps[i].address;
	if (needed)
		*needed = d->nheaps;
	return count < d->nheaps ? CLRSOS_S_FALSE : CLRSOS_S_OK;
}

static struct fake_heap *find_heap(struct fake_dac *d, uint64_t address)
{
	for (uint32_t i = 0; i < d->nheaps; i++) {
		if (d->heaps[i].address == address)
			return &d->heaps[i];
	}
	return NULL;
}

/* Like the real DAC: per-heap details only under server GC, static data only under workstation. */
static clrsos_hresult f_heap_details(void *self, uint64_t heap,
				     struct clrsos_dacp_gc_heap_details *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->details_calls++;
	struct fake_heap *h = find_heap(d, heap);
	if (!d->heap_data.server_mode || !h || heap == 0)
		return CLRSOS_E_INVALIDARG;
	*ret = h->details;
	return CLRSOS_S_OK;
}

static clrsos_hresult f_heap_static(void *self,
				    struct clrsos_dacp_gc_heap_details *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->static_calls++;
	if (d->heap_data.server_mode || d->nheaps == 0)
		return CLRSOS_E_FAIL;
	*ret = d->heaps[0].details;
	return CLRSOS_S_OK;
}

static clrsos_hresult f_segment(void *self, uint64_t segment,
				struct clrsos_dacp_heap_segment_data *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->segment_calls++;
	for (size_t i = 0; i < d->nsegments; i++) {
		if (d->segments[i].data.segment_addr != segment)
			continue;
		if (d->segments[i].fail)
			return CLRSOS_E_FAIL;
		*ret = d->segments[i].data;
		return CLRSOS_S_OK;
	}
	return CLRSOS_E_INVALIDARG;
}

static clrsos_hresult f_useful_globals(void *self,
				       struct clrsos_dacp_useful_globals *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->globals_calls++;
	*ret = d->globals;
	return CLRSOS_S_OK;
}

static clrsos_hresult gen_table(struct fake_heap *h, uint32_t count,
				struct clrsos_dacp_generation_data *ret,
				uint32_t *needed)
{
	if (needed)
		*needed = h->ngens;
	for (uint32_t i = 0; i < count && i < h->ngens; i++)
		ret[i] = h->gens[i];
	return count < h->ngens ? CLRSOS_S_FALSE : CLRSOS_S_OK;
}

static clrsos_hresult f_gen_table(void *self, uint32_t count,
				  struct clrsos_dacp_generation_data *ret,
				  uint32_t *needed)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->gen_table_calls++;
	if (d->heap_data.server_mode || d->nheaps == 0)
		return CLRSOS_E_FAIL;
	return gen_table(&d->heaps[0], count, ret, needed);
}

static clrsos_hresult f_gen_table_svr(void *self, uint64_t heap, uint32_t count,
				      struct clrsos_dacp_generation_data *ret,
				      uint32_t *needed)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->gen_table_svr_calls++;
	struct fake_heap *h = find_heap(d, heap);
	if (!d->heap_data.server_mode || !h)
		return CLRSOS_E_INVALIDARG;
	return gen_table(h, count, ret, needed);
}

static clrsos_hresult fill_pointers(struct fake_heap *h, uint32_t count,
				    uint64_t *ret, uint32_t *needed)
{
	if (needed)
		*needed = FAKE_FILL_POINTERS;
	if (count < FAKE_FILL_POINTERS)
		return CLRSOS_S_FALSE;
	memcpy(ret, h->fill_pointers, sizeof(h->fill_pointers));
	return CLRSOS_S_OK;
}

static clrsos_hresult f_fill_pointers(void *self, uint32_t count, uint64_t *ret,
				      uint32_t *needed)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->fill_pointer_calls++;
	if (d->heap_data.server_mode || d->nheaps == 0)
		return CLRSOS_E_FAIL;
	return fill_pointers(&d->heaps[0], count, ret, needed);
}

static clrsos_hresult f_fill_pointers_svr(void *self, uint64_t heap, uint32_t count,
					  uint64_t *ret, uint32_t *needed)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->fill_pointer_calls++;
	struct fake_heap *h = find_heap(d, heap);
	if (!d->heap_data.server_mode || !h)
		return CLRSOS_E_INVALIDARG;
	return fill_pointers(h, count, ret, needed);
}

/* MethodTables ------------------------------------------------------------------ */

struct fake_type *fake_dac_find_type(struct fake_dac *d, uint64_t mt)
{
	for (size_t i = 0; i < d->ntypes; i++) {
		if (d->types[i].mt == mt)
			return &d->types[i];
	}
	return NULL;
}

static clrsos_hresult f_mt_data(void *self, uint64_t mt,
				struct clrsos_dacp_method_table_data *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->mt_data_calls++;
	struct fake_type *t = fake_dac_find_type(d, mt);
	if (!t)
		return CLRSOS_E_FAIL;
	t->data_calls++;
	*ret = t->data;
	return CLRSOS_S_OK;
}

struct fake_module_rec *fake_dac_add_module(struct fake_dac *d, uint64_t address, uint64_t module_index)
{
	assert_true(d->nmodules < FAKE_MAX_MODULES_DAC);
	struct fake_module_rec *m = &d->modules[d->nmodules++];
	memset(m, 0, sizeof(*m));
	m->address = address;
	m->data.address = address;
	m->data.module_index = module_index;
	return m;
}

static clrsos_hresult f_module_data(void *self, uint64_t module, struct clrsos_dacp_module_data *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->module_data_calls++;
	for (size_t i = 0; i < d->nmodules; i++) {
		if (d->modules[i].address == module) {
			*ret = d->modules[i].data;
			return CLRSOS_S_OK;
		}
	}
	return CLRSOS_E_FAIL;
}

struct fake_tlm *fake_dac_add_tlm(struct fake_dac *d, uint64_t thread, uint32_t module_index,
				  uint64_t class_data, uint64_t gc_start, uint64_t non_gc_start)
{
	assert_true(d->ntlms < FAKE_MAX_TLMS);
	struct fake_tlm *t = &d->tlms[d->ntlms++];
	memset(t, 0, sizeof(*t));
	t->thread = thread;
	t->module_index = module_index;
	t->data.thread = thread;
	t->data.module_index = module_index;
	t->data.class_data = class_data;
	t->data.gc_static_data_start = gc_start;
	t->data.non_gc_static_data_start = non_gc_start;
	return t;
}

/* As the DAC: E_INVALIDARG for a thread without statics of the module. */
static clrsos_hresult f_tlm(void *self, uint64_t thread, uint32_t module_index,
			    struct clrsos_dacp_thread_local_module_data *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->tlm_calls++;
	for (size_t i = 0; i < d->ntlms; i++) {
		if (d->tlms[i].thread == thread && d->tlms[i].module_index == module_index) {
			*ret = d->tlms[i].data;
			return CLRSOS_S_OK;
		}
	}
	return CLRSOS_E_INVALIDARG;
}

/* UTF-8 to UTF-16 code units (up to max; surrogate pairs above the BMP); the count. */
static size_t utf8_to_utf16(const char *s, uint16_t *out, size_t max)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c = *p++;
		int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		if (more)
			c &= 0x3f >> more;
		for (; more > 0 && (*p & 0xc0) == 0x80; more--)
			c = c << 6 | (*p++ & 0x3f);
		if (c >= 0x10000) {
			if (out && n + 1 < max) {
				out[n] = (uint16_t)(0xd800 + ((c - 0x10000) >> 10));
				out[n + 1] = (uint16_t)(0xdc00 + ((c - 0x10000) & 0x3ff));
			}
			n += 2;
		} else {
			if (out && n < max)
				out[n] = (uint16_t)c;
			n++;
		}
	}
	return n;
}

/* As the DAC: needed counts the terminating NUL; a short buffer gets a truncated name. */
static clrsos_hresult f_mt_name(void *self, uint64_t mt, uint32_t count,
				uint16_t *buf, uint32_t *needed)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->mt_name_calls++;
	struct fake_type *t = fake_dac_find_type(d, mt);
	if (!t || !t->name)
		return CLRSOS_E_FAIL;
	t->name_calls++;
	size_t units = utf8_to_utf16(t->name, NULL, 0);
	if (needed)
		*needed = (uint32_t)(units + 1);
	if (buf && count) {
		size_t n = utf8_to_utf16(t->name, buf, count - 1);
		buf[n < count - 1 ? n : count - 1] = 0;
	}
	return buf && count < units + 1 ? CLRSOS_S_FALSE : CLRSOS_S_OK;
}

/* Threads ---------------------------------------------------------------------- */

static clrsos_hresult f_thread_store(void *self, struct clrsos_dacp_thread_store_data *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->thread_store_calls++;
	memset(ret, 0, sizeof(*ret));
	ret->thread_count = (int32_t)d->nthreads;
	ret->first_thread = d->nthreads ? d->threads[0].address : 0;
	return CLRSOS_S_OK;
}

static struct fake_thread_rec *find_thread(struct fake_dac *d, uint64_t address)
{
	for (size_t i = 0; i < d->nthreads; i++) {
		if (d->threads[i].address == address)
			return &d->threads[i];
	}
	return NULL;
}

static clrsos_hresult f_thread_data(void *self, uint64_t thread,
				    struct clrsos_dacp_thread_data *ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->thread_data_calls++;
	struct fake_thread_rec *t = find_thread(d, thread);
	if (!t)
		return CLRSOS_E_INVALIDARG;
	*ret = t->data;
	return CLRSOS_S_OK;
}

/* Enumerators (ISOSHandleEnum, ISOSStackRefEnum) ---------------------------------- */

struct fake_enum {
	void *const *vtbl;
	struct fake_dac *dac;
	uint32_t refs;
	uint8_t *items; /* a copy */
	size_t item_size, count, pos;
};

static clrsos_hresult e_query(void *self, const struct clrsos_guid *iid, void **ret)
{
	struct fake_enum *e = self;
	if (!clrsos_guid_eq(iid, &CLRSOS_IID_IUnknown)) {
		*ret = NULL;
		return CLRSOS_E_NOINTERFACE;
	}
	e->refs++;
	*ret = e;
	return CLRSOS_S_OK;
}

static uint32_t e_addref(void *self)
{
	return ++((struct fake_enum *)self)->refs;
}

static uint32_t e_release(void *self)
{
	struct fake_enum *e = self;
	assert_true(e->refs > 0);
	uint32_t refs = --e->refs;
	if (refs == 0) {
		e->dac->live_enums--;
		free(e->items);
		free(e);
	}
	return refs;
}

static clrsos_hresult e_not_impl(void *self)
{
	((struct fake_enum *)self)->dac->not_impl_calls++;
	return CLRSOS_E_NOTIMPL;
}

/* Next(count, items, &fetched): S_FALSE once fewer than count are left. */
static clrsos_hresult e_next(void *self, uint32_t count, void *items, uint32_t *fetched)
{
	struct fake_enum *e = self;
	e->dac->enum_next_calls++;
	size_t n = e->count - e->pos;
	if (n > count)
		n = count;
	if (n)
		memcpy(items, e->items + e->pos * e->item_size, n * e->item_size);
	e->pos += n;
	if (fetched)
		*fetched = (uint32_t)n;
	return n == count ? CLRSOS_S_OK : CLRSOS_S_FALSE;
}

/* ISOSEnum: Skip, Reset, GetCount; then Next. */
static void *const enum_vtbl[] = {
	(void *)e_query, (void *)e_addref, (void *)e_release,
	(void *)e_not_impl, (void *)e_not_impl, (void *)e_not_impl,
	(void *)e_next,
};

static clrsos_hresult new_enum(struct fake_dac *d, const void *items, size_t item_size,
			       size_t count, void **ret)
{
	struct fake_enum *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->vtbl = enum_vtbl;
	e->dac = d;
	e->refs = 1;
	e->item_size = item_size;
	e->count = count;
	e->items = malloc(count ? count * item_size : 1);
	assert_non_null(e->items);
	if (count)
		memcpy(e->items, items, count * item_size);
	d->live_enums++;
	*ret = e;
	return CLRSOS_S_OK;
}

static clrsos_hresult f_handle_enum(void *self, void **ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->handle_enum_calls++;
	return new_enum(d, d->handles, sizeof(*d->handles), d->nhandles, ret);
}

static clrsos_hresult f_stack_refs(void *self, uint32_t os_id, void **ret)
{
	struct fake_dac *d = FAKE_FROM(self);
	d->stack_ref_calls++;
	for (size_t i = 0; i < d->nthreads; i++) {
		struct fake_thread_rec *t = &d->threads[i];
		if (t->data.os_thread_id != os_id)
			continue;
		if (t->stack_fails)
			return CLRSOS_E_FAIL;
		return new_enum(d, t->refs, sizeof(t->refs[0]), t->nrefs, ret);
	}
	return CLRSOS_E_INVALIDARG;
}

/* Set-up ----------------------------------------------------------------------- */

static void init_vtables(struct fake_dac *d)
{
	for (size_t v = 0; v < FAKE_INTERFACES; v++) {
		for (size_t i = 0; i < FAKE_VTABLE_SLOTS; i++)
			d->vtbls[v][i] = (void *)f_not_impl;
		d->vtbls[v][SLOT_QUERY_INTERFACE] = (void *)f_query;
		d->vtbls[v][SLOT_ADDREF] = (void *)f_addref;
		d->vtbls[v][SLOT_RELEASE] = (void *)f_release;
	}
	void **p = d->vtbls[FAKE_PROCESS], **s = d->vtbls[FAKE_SOS], **s8 = d->vtbls[FAKE_SOS8];
	p[CLRSOS_SLOT_XCLRDATAPROCESS_FLUSH] = (void *)f_flush;
	s[CLRSOS_SLOT_SOS_GET_THREAD_STORE_DATA] = (void *)f_thread_store;
	s[CLRSOS_SLOT_SOS_GET_THREAD_DATA] = (void *)f_thread_data;
	s[CLRSOS_SLOT_SOS_GET_METHOD_TABLE_NAME] = (void *)f_mt_name;
	s[CLRSOS_SLOT_SOS_GET_METHOD_TABLE_DATA] = (void *)f_mt_data;
	s[CLRSOS_SLOT_SOS_GET_MODULE_DATA] = (void *)f_module_data;
	s[CLRSOS_SLOT_SOS_GET_THREAD_LOCAL_MODULE_DATA] = (void *)f_tlm;
	s[CLRSOS_SLOT_SOS_GET_GC_HEAP_DATA] = (void *)f_heap_data;
	s[CLRSOS_SLOT_SOS_GET_GC_HEAP_LIST] = (void *)f_heap_list;
	s[CLRSOS_SLOT_SOS_GET_GC_HEAP_DETAILS] = (void *)f_heap_details;
	s[CLRSOS_SLOT_SOS_GET_GC_HEAP_STATIC_DATA] = (void *)f_heap_static;
	s[CLRSOS_SLOT_SOS_GET_HEAP_SEGMENT_DATA] = (void *)f_segment;
	s[CLRSOS_SLOT_SOS_GET_HANDLE_ENUM] = (void *)f_handle_enum;
	s[CLRSOS_SLOT_SOS_GET_USEFUL_GLOBALS] = (void *)f_useful_globals;
	s[CLRSOS_SLOT_SOS_GET_STACK_REFERENCES] = (void *)f_stack_refs;
	s8[CLRSOS_SLOT_SOS8_GET_GENERATION_TABLE] = (void *)f_gen_table;
	s8[CLRSOS_SLOT_SOS8_GET_GENERATION_TABLE_SVR] = (void *)f_gen_table_svr;
	s8[CLRSOS_SLOT_SOS8_GET_FINALIZATION_FILL_POINTERS] = (void *)f_fill_pointers;
	s8[CLRSOS_SLOT_SOS8_GET_FINALIZATION_FILL_POINTERS_SVR] = (void *)f_fill_pointers_svr;
}

void fake_dac_init(struct fake_dac *d)
{
	memset(d, 0, sizeof(*d));
	init_vtables(d);
	d->process.vtbl = d->vtbls[FAKE_PROCESS];
	d->sos.vtbl = d->vtbls[FAKE_SOS];
	d->sos8.vtbl = d->vtbls[FAKE_SOS8];
	d->process.dac = d->sos.dac = d->sos8.dac = d;
	d->process.refs = 1; /* the reference clrsos_dac_from_instance takes */
	d->has_sos = d->has_sos8 = true;
	d->heap_data.gc_structures_valid = 1;
	d->heap_data.heap_count = 1;
	d->heap_data.max_generation = 2;
	/* A runtime that has started: its core types are loaded. */
	d->globals.object_method_table = 0x7f00aa000010ull;
}

void fake_dac_fini(struct fake_dac *d)
{
	free(d->handles);
	d->handles = NULL;
	d->nhandles = d->handles_cap = 0;
}

void fake_dac_unimplement(struct fake_dac *d, enum fake_interface iface, int slot)
{
	assert_true(slot > SLOT_RELEASE && slot < FAKE_VTABLE_SLOTS);
	d->vtbls[iface][slot] = (void *)f_not_impl;
}

struct fake_segment *fake_dac_add_segment(struct fake_dac *d, uint64_t address,
					  uint64_t mem, uint64_t allocated,
					  uint64_t committed, uint64_t next)
{
	assert_true(d->nsegments < FAKE_MAX_SEGMENTS);
	struct fake_segment *s = &d->segments[d->nsegments++];
	memset(s, 0, sizeof(*s));
	s->data.segment_addr = address;
	s->data.mem = mem;
	s->data.allocated = allocated;
	s->data.used = allocated;
	s->data.committed = committed;
	s->data.reserved = (mem & ~(uint64_t)0xfffff) + 0x400000;
	s->data.next = next;
	return s;
}

struct fake_heap *fake_dac_add_heap(struct fake_dac *d, uint64_t address)
{
	assert_true(d->nheaps < FAKE_MAX_HEAPS);
	struct fake_heap *h = &d->heaps[d->nheaps++];
	memset(h, 0, sizeof(*h));
	h->address = address;
	h->details.heap_addr = address;
	return h;
}

void fake_dac_set_generation(struct fake_heap *h, int g, uint64_t segment,
			     uint64_t allocation_start)
{
	h->gens[g].start_segment = segment;
	h->gens[g].allocation_start = allocation_start;
	if ((uint32_t)g + 1 > h->ngens)
		h->ngens = (uint32_t)g + 1;
	if (g < CLRSOS_DAC_NUMBERGENERATIONS)
		h->details.generation_table[g] = h->gens[g];
}

struct fake_type *fake_dac_add_type(struct fake_dac *d, uint64_t mt, const char *name,
				    uint32_t base_size, uint32_t component_size,
				    bool contains_pointers, bool is_free)
{
	assert_true(d->ntypes < FAKE_MAX_TYPES);
	assert_null(fake_dac_find_type(d, mt));
	struct fake_type *t = &d->types[d->ntypes++];
	memset(t, 0, sizeof(*t));
	t->mt = mt;
	t->name = name;
	t->data.is_free = is_free;
	t->data.base_size = base_size;
	t->data.component_size = component_size;
	t->data.contains_pointers = contains_pointers;
	t->data.module = 0x7f3000001000ull;
	t->data.klass = mt + 0x40;
	return t;
}

struct fake_thread_rec *fake_dac_add_thread(struct fake_dac *d, uint64_t address,
					    uint32_t os_id, uint64_t alloc_ptr,
					    uint64_t alloc_limit)
{
	assert_true(d->nthreads < FAKE_MAX_DAC_THREADS);
	struct fake_thread_rec *t = &d->threads[d->nthreads++];
	memset(t, 0, sizeof(*t));
	t->address = address;
	t->data.cor_thread_id = (uint32_t)d->nthreads;
	t->data.os_thread_id = os_id;
	t->data.alloc_context_ptr = alloc_ptr;
	t->data.alloc_context_limit = alloc_limit;
	if (d->nthreads > 1)
		d->threads[d->nthreads - 2].data.next_thread = address;
	return t;
}

void fake_dac_add_stack_ref(struct fake_thread_rec *t, uint64_t object, uint32_t flags)
{
	assert_true(t->nrefs < FAKE_MAX_STACK_REFS);
	struct clrsos_sos_stack_ref *r = &t->refs[t->nrefs++];
	memset(r, 0, sizeof(*r));
	r->address = 0x7ffd00000000ull + t->nrefs * 8; /* a stack slot */
	r->object = object;
	r->flags = flags;
	r->source_type = 0;
	r->stack_pointer = 0x7ffd00000000ull;
}

struct clrsos_sos_handle_data *fake_dac_add_handle(struct fake_dac *d, uint64_t handle,
						   uint32_t type, uint64_t secondary,
						   uint32_t ref_count)
{
	if (d->nhandles == d->handles_cap) {
		size_t cap = d->handles_cap ? d->handles_cap * 2 : 16;
		struct clrsos_sos_handle_data *h = realloc(d->handles, cap * sizeof(*h));
		assert_non_null(h);
		d->handles = h;
		d->handles_cap = cap;
	}
	struct clrsos_sos_handle_data *h = &d->handles[d->nhandles++];
	memset(h, 0, sizeof(*h));
	h->handle = handle;
	h->type = type;
	h->secondary = secondary;
	h->ref_count = ref_count;
	h->strong_reference = type == CLRSOS_HANDLE_STRONG || type == CLRSOS_HANDLE_PINNED;
	return h;
}
