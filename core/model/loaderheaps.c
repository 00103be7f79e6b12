/* Loader heaps: the runtime's native heaps besides the GC's (loaderheaps.h). */
#include "loaderheaps.h"

#include <stdlib.h>
#include <string.h>

#include "dac/dac.h"
#include "base/vector.h"

enum { PAGE = 0x1000, MAX_PAGES_PROBED = 1 << 16 };

/* SOS's order of the kinds; others after them, in the DAC's order. */
static const char *const kind_order[] = {
	"LowFrequencyHeap", "HighFrequencyHeap", "StubHeap", "ExecutableHeap", "FixupPrecodeHeap",
	"NewStubPrecodeHeap", "IndcellHeap", "LookupHeap", "ResolveHeap", "DispatchHeap", "CacheEntryHeap",
	"VtableHeap",
};

static size_t kind_rank(const char *kind, size_t dac_index)
{
	for (size_t i = 0; i < sizeof(kind_order) / sizeof(kind_order[0]); i++)
		if (kind && strcmp(kind, kind_order[i]) == 0)
			return i;
	return 100 + dac_index;
}

/* How much of [start, start + size) the target holds, page by page from start. */
static uint64_t committed_size(struct clrsos_target *target, uint64_t start, uint64_t size)
{
	uint64_t done = 0;
	for (uint32_t n = 0; done < size && n < MAX_PAGES_PROBED; n++) {
		uint8_t byte;
		struct clrsos_error *err = clrsos_target_read(target, start + done, &byte, 1);
		if (err) {
			clrsos_error_destroy(err);
			break;
		}
		done += PAGE;
	}
	return done < size ? done : size;
}

struct collect {
	struct clrsos_heap_owner *owner;
	size_t cap;
	const char *kind;
	struct clrsos_target *target;
	bool oom;
	/* Blocks met before (SOS lists a block once, under the first owner). */
	uint64_t **seen;
	size_t *nseen, *seen_cap;
};

static bool seen_before(struct collect *c, uint64_t start)
{
	for (size_t i = 0; i < *c->nseen; i++)
		if ((*c->seen)[i] == start)
			return true;
	if (clrsos_array_reserve(c->seen, c->seen_cap, *c->nseen + 1)) {
		c->oom = true;
		return true;
	}
	(*c->seen)[(*c->nseen)++] = start;
	return false;
}

static void add_block(void *ctx, uint64_t start, uint64_t size, bool current)
{
	struct collect *c = ctx;
	if (c->oom || seen_before(c, start))
		return;
	struct clrsos_heap_owner *o = c->owner;
	if (clrsos_array_reserve(&o->blocks, &c->cap, o->count + 1)) {
		c->oom = true;
		return;
	}
	o->blocks[o->count++] = (struct clrsos_native_block){c->kind, start, size, 0, current};
}

static size_t rank_of_block(const struct clrsos_native_block *b)
{
	return kind_rank(b->kind, 0);
}

static int cmp_blocks(const void *a, const void *b)
{
	const struct clrsos_native_block *x = a, *y = b;
	size_t rx = rank_of_block(x), ry = rank_of_block(y);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->kind != y->kind) {
		int k = strcmp(x->kind ? x->kind : "", y->kind ? y->kind : "");
		if (k)
			return k;
	}
	return x->start < y->start ? -1 : x->start > y->start;
}

static struct clrsos_error *domain_heaps(struct clrsos_dac *dac, struct collect *c, uint64_t allocator)
{
	uint64_t *heaps;
	int32_t *kinds;
	const char **names;
	size_t n;
	struct clrsos_error *err = clrsos_dac_loader_allocator_heaps(dac, allocator, &heaps, &kinds, &names, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err && !c->oom; i++) {
		if (!heaps[i])
			continue;
		c->kind = names[i] ? names[i] : "UnknownHeap";
		err = clrsos_dac_traverse_loader_heap(dac, heaps[i], kinds[i], add_block, c);
	}
	free(heaps);
	free(kinds);
	free(names);
	return err;
}

static struct clrsos_error *jit_heaps(struct clrsos_dac *dac, struct collect *c, uint64_t manager)
{
	struct clrsos_dacp_jit_code_heap_info *h;
	size_t n;
	struct clrsos_error *err = clrsos_dac_code_heaps(dac, manager, &h, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err && !c->oom; i++) {
		if (h[i].code_heap_type == 0 && h[i].loader_heap_or_base) {
			/* A code heap's loader heap is an explicit-control one (.NET 8+). */
			c->kind = "LoaderCodeHeap";
			err = clrsos_dac_traverse_loader_heap(dac, h[i].loader_heap_or_base,
							      clrsos_dac_has_loader_allocators(dac) ? 1 : -1, add_block, c);
		} else if (h[i].code_heap_type == 1 && h[i].current >= h[i].loader_heap_or_base) {
			c->kind = "HostCodeHeap";
			add_block(c, h[i].loader_heap_or_base, h[i].current - h[i].loader_heap_or_base, true);
		}
	}
	free(h);
	return err;
}

static void finish_owner(struct clrsos_heap_owner *o, struct clrsos_target *target)
{
	for (size_t i = 0; i < o->count; i++)
		o->blocks[i].committed = committed_size(target, o->blocks[i].start, o->blocks[i].size);
	if (o->count > 1)
		qsort(o->blocks, o->count, sizeof(*o->blocks), cmp_blocks);
}

struct clrsos_error *clrsos_loader_heaps_init(struct clrsos_dac *dac, struct clrsos_target *target,
					      struct clrsos_loader_heaps *ret)
{
	memset(ret, 0, sizeof(*ret));
	uint64_t system = 0, *domains = NULL;
	size_t ndomains = 0;
	uint64_t *seen = NULL, *allocators = NULL;
	size_t nseen = 0, seen_cap = 0, nallocators = 0;
	struct clrsos_dacp_jit_manager_info *managers = NULL;
	size_t nmanagers = 0;
	struct clrsos_error *err = clrsos_dac_app_domains(dac, &system, &domains, &ndomains);
	if (err)
		return err;
	ret->no_allocators = !clrsos_dac_has_loader_allocators(dac);
	if (!(ret->domains = calloc(ndomains ? ndomains : 1, sizeof(*ret->domains))) ||
	    !(allocators = calloc(ndomains ? ndomains : 1, sizeof(*allocators)))) {
		err = &clrsos_error_no_memory;
		goto out;
	}
	for (size_t i = 0; i < ndomains && !err; i++) {
		struct clrsos_heap_owner *o = &ret->domains[ret->ndomains++];
		o->address = domains[i];
		o->system_domain = domains[i] == system;
		if ((err = clrsos_dac_domain_loader_allocator(dac, domains[i], &o->loader_allocator)))
			break;
		for (size_t k = 0; k < nallocators && o->loader_allocator; k++)
			if (allocators[k] == o->loader_allocator)
				o->seen_allocator = true;
		if (o->seen_allocator || !o->loader_allocator)
			continue;
		allocators[nallocators++] = o->loader_allocator;
		struct collect c = {o, 0, NULL, target, false, &seen, &nseen, &seen_cap};
		err = domain_heaps(dac, &c, o->loader_allocator);
		if (!err && c.oom)
			err = &clrsos_error_no_memory;
		finish_owner(o, target);
	}
	if (!err)
		err = clrsos_dac_jit_managers(dac, &managers, &nmanagers);
	if (!err && nmanagers && !(ret->jit_managers = calloc(nmanagers, sizeof(*ret->jit_managers))))
		err = &clrsos_error_no_memory;
	for (size_t i = 0; i < nmanagers && !err; i++) {
		struct clrsos_heap_owner *o = &ret->jit_managers[ret->njit_managers++];
		o->address = managers[i].manager;
		struct collect c = {o, 0, NULL, target, false, &seen, &nseen, &seen_cap};
		err = jit_heaps(dac, &c, managers[i].manager);
		if (!err && c.oom)
			err = &clrsos_error_no_memory;
		finish_owner(o, target);
	}
out:
	free(domains);
	free(allocators);
	free(seen);
	free(managers);
	if (err)
		clrsos_loader_heaps_deinit(ret);
	return err;
}

void clrsos_loader_heaps_deinit(struct clrsos_loader_heaps *heaps)
{
	for (size_t i = 0; i < heaps->ndomains; i++)
		free(heaps->domains[i].blocks);
	for (size_t i = 0; i < heaps->njit_managers; i++)
		free(heaps->jit_managers[i].blocks);
	free(heaps->domains);
	free(heaps->jit_managers);
	memset(heaps, 0, sizeof(*heaps));
}
