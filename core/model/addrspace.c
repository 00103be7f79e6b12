#include "model/addrspace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vector.h"
#include "dac/dac.h"
#include "model/loaderheaps.h"
#include "model/runtime.h"
#include "model/threads.h"
#include "target/vmregions.h"

const char *clrsos_mem_type_name(enum clrsos_mem_type type)
{
	switch (type) {
	case CLRSOS_MEM_IMAGE:
		return "MEM_IMAGE";
	case CLRSOS_MEM_MAPPED:
		return "MEM_MAPPED";
	default:
		return "MEM_PRIVATE";
	}
}

const char *clrsos_mem_state_name(enum clrsos_mem_state state)
{
	return state == CLRSOS_MEM_RESERVE ? "MEM_RESERVE" : "MEM_COMMIT";
}

const char *clrsos_prot_name(uint32_t prot)
{
	if (prot & CLRSOS_VM_PROT_UNKNOWN)
		return "PAGE_UNKNOWN";
	bool r = prot & CLRSOS_VM_READ, w = prot & CLRSOS_VM_WRITE, x = prot & CLRSOS_VM_EXEC;
	if (x)
		return w ? "PAGE_EXECUTE_READWRITE" : r ? "PAGE_EXECUTE_READ" : "PAGE_EXECUTE";
	if (w)
		return "PAGE_READWRITE";
	return r ? "PAGE_READONLY" : "PAGE_NOACCESS";
}

const char *clrsos_addr_region_name(const struct clrsos_addr_region *r, char *buf, size_t size)
{
	bool reserve = r->state == CLRSOS_MEM_RESERVE;
	switch (r->owner) {
	case CLRSOS_OWNER_IMAGE:
		return "Image";
	case CLRSOS_OWNER_FILE_MAPPING:
		return "FileMapping";
	case CLRSOS_OWNER_STACK:
		return "Stack";
	case CLRSOS_OWNER_NATIVE_HEAP:
		return "NativeHeap";
	case CLRSOS_OWNER_GC_HEAP:
		return reserve ? "[GCHeapReserve]" : "GCHeap";
	case CLRSOS_OWNER_GC_FREE:
		return "GCHeapToBeFreed";
	case CLRSOS_OWNER_GC_BOOKKEEPING:
		return reserve ? "GCBookkeepingReserve" : "GCBookkeeping";
	case CLRSOS_OWNER_HANDLE_TABLE:
		return "HandleTable";
	case CLRSOS_OWNER_LOADER_HEAP:
	case CLRSOS_OWNER_CODE_HEAP:
		return r->kind ? r->kind : "Unknown";
	case CLRSOS_OWNER_UNOWNED:
		break;
	}
	if (reserve)
		return "[RESERVED]";
	const char *p = clrsos_prot_name(r->prot);
	if (r->type == CLRSOS_MEM_MAPPED && strncmp(p, "PAGE", 4) == 0) {
		snprintf(buf, size, "MAPPED%s", p + 4);
		return buf;
	}
	return p;
}

static struct clrsos_error *keep_string(struct clrsos_addrspace *s, const char *text, const char **ret)
{
	*ret = NULL;
	if (!text)
		return NULL;
	for (size_t i = s->nstrings; i-- > 0;) {
		if (strcmp(s->strings[i], text) == 0) {
			*ret = s->strings[i];
			return NULL;
		}
	}
	struct clrsos_error *err = clrsos_array_reserve(&s->strings, &s->strings_capacity, s->nstrings + 1);
	if (err)
		return err;
	char *copy = strdup(text);
	if (!copy)
		return &clrsos_error_no_memory;
	s->strings[s->nstrings++] = copy;
	*ret = copy;
	return NULL;
}

struct clrsos_error *clrsos_addrspace_note(struct clrsos_addrspace *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < s->nnotes; i++)
		if (strcmp(s->notes[i], line) == 0)
			return NULL;
	struct clrsos_error *err = clrsos_array_reserve(&s->notes, &s->notes_capacity, s->nnotes + 1);
	if (err)
		return err;
	if (!(s->notes[s->nnotes] = strdup(line)))
		return &clrsos_error_no_memory;
	s->nnotes++;
	return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* A module's file: its path or file name (lldb may name /lib/x.so what the kernel maps as /usr/lib/x.so). */
static bool is_module_path(const struct clrsos_module *mods, size_t n, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	for (size_t i = 0; i < n; i++)
		if ((mods[i].path && strcmp(mods[i].path, path) == 0) || (mods[i].name && strcmp(mods[i].name, base) == 0))
			return true;
	/* A versioned shared object lldb lists under its soname: libstdc++.so.6 for libstdc++.so.6.0.30. */
	const char *so = strstr(base, ".so");
	if (so && (so[3] == 0 || so[3] == '.'))
		return true;
	return ends_with(path, ".dll") || ends_with(path, ".exe");
}

/* In a core: the brk heap, the kernel's first mapping after the main program's last one, when it is anonymous and read-write. */
static void tag_brk_heap(struct clrsos_addrspace *s, const char *exe)
{
	uint64_t exe_end = 0;
	for (size_t i = 0; i < s->count; i++)
		if (s->regions[i].path && exe && strcmp(s->regions[i].path, exe) == 0 && s->regions[i].end > exe_end)
			exe_end = s->regions[i].end;
	if (!exe_end)
		return;
	for (size_t i = 0; i < s->count; i++) {
		struct clrsos_addr_region *r = &s->regions[i];
		if (r->start < exe_end)
			continue;
		if (!r->path && r->type == CLRSOS_MEM_PRIVATE && (r->prot & CLRSOS_VM_WRITE) &&
		    r->owner == CLRSOS_OWNER_UNOWNED)
			r->owner = CLRSOS_OWNER_NATIVE_HEAP;
		break;
	}
}

struct clrsos_error *clrsos_addrspace_init(struct clrsos_addrspace *s, struct clrsos_target *target)
{
	memset(s, 0, sizeof(*s));
	s->live = clrsos_target_is_live(target);
	s->synthesize = !s->live;
	const struct clrsos_module *mods = NULL;
	size_t nmods = 0;
	struct clrsos_error *err = clrsos_target_vm_regions(target, &s->vm, &s->nvm);
	if (!err)
		err = clrsos_target_modules(target, &mods, &nmods);
	if (!err && s->nvm && !(s->regions = calloc(s->nvm, sizeof(*s->regions))))
		err = &clrsos_error_no_memory;
	if (err) {
		clrsos_addrspace_deinit(s);
		return err;
	}
	s->capacity = s->nvm;
	uint64_t last_end = 0;
	for (size_t i = 0; i < s->nvm; i++) {
		const struct clrsos_vm_region *v = &s->vm[i];
		if (v->end <= v->start || v->start < last_end)
			continue; /* overlapping or empty: not a mapping list the kernel would give */
		last_end = v->end;
		struct clrsos_addr_region *r = &s->regions[s->count++];
		r->start = v->start;
		r->end = v->end;
		r->prot = v->prot;
		r->path = v->path;
		r->resident = v->resident;
		r->in_core = v->in_core;
		r->state = v->prot == 0 ? CLRSOS_MEM_RESERVE : CLRSOS_MEM_COMMIT;
		bool file = v->path && v->path[0] == '/';
		if (file && is_module_path(mods, nmods, v->path)) {
			r->type = CLRSOS_MEM_IMAGE;
			r->owner = CLRSOS_OWNER_IMAGE;
		} else if (file || v->shared) {
			r->type = CLRSOS_MEM_MAPPED;
			/* memfd (the runtime's double-mapped code) and deleted files stay
			 * unowned until the runtime claims them. */
			if (file && !strstr(v->path, "/memfd:") && !ends_with(v->path, " (deleted)"))
				r->owner = CLRSOS_OWNER_FILE_MAPPING;
		} else if (v->path && strcmp(v->path, "[heap]") == 0) {
			r->owner = CLRSOS_OWNER_NATIVE_HEAP;
		} else if (v->path && strcmp(v->path, "[stack]") == 0) {
			r->owner = CLRSOS_OWNER_STACK;
			snprintf(r->detail, sizeof(r->detail), "main thread");
		}
	}
	if (!s->live && nmods)
		tag_brk_heap(s, mods[0].path);
	return NULL;
}

void clrsos_addrspace_deinit(struct clrsos_addrspace *s)
{
	free(s->regions);
	for (size_t i = 0; i < s->nnotes; i++)
		free(s->notes[i]);
	free(s->notes);
	for (size_t i = 0; i < s->nstrings; i++)
		free(s->strings[i]);
	free(s->strings);
	clrsos_vm_regions_free(s->vm, s->nvm);
	memset(s, 0, sizeof(*s));
}

/* A share of a mapping's measured bytes for its part [start, end): exact when all or none. */
static uint64_t share(uint64_t measured, uint64_t size, uint64_t part)
{
	if (measured == CLRSOS_VM_UNKNOWN || measured == 0)
		return measured;
	if (measured >= size)
		return part;
	return (uint64_t)((double)measured * (double)part / (double)size);
}

static struct clrsos_error *insert_at(struct clrsos_addrspace *s, size_t at, const struct clrsos_addr_region *r)
{
	struct clrsos_error *err = clrsos_array_reserve(&s->regions, &s->capacity, s->count + 1);
	if (err)
		return err;
	memmove(&s->regions[at + 1], &s->regions[at], (s->count - at) * sizeof(*s->regions));
	s->regions[at] = *r;
	s->count++;
	return NULL;
}

/* Split region i at address (inside it): i keeps [start, address), i + 1 the rest. */
static struct clrsos_error *split(struct clrsos_addrspace *s, size_t i, uint64_t address)
{
	struct clrsos_addr_region whole = s->regions[i], lo = whole, hi = whole;
	uint64_t size = whole.end - whole.start;
	lo.end = address;
	hi.start = address;
	lo.resident = share(whole.resident, size, lo.end - lo.start);
	hi.resident = whole.resident == CLRSOS_VM_UNKNOWN ? whole.resident : whole.resident - lo.resident;
	lo.in_core = share(whole.in_core, size, lo.end - lo.start);
	hi.in_core = whole.in_core == CLRSOS_VM_UNKNOWN ? whole.in_core : whole.in_core - lo.in_core;
	s->regions[i] = lo;
	return insert_at(s, i + 1, &hi);
}

/* The first region that ends above address. */
static size_t first_after(const struct clrsos_addrspace *s, uint64_t address)
{
	size_t lo = 0, hi = s->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->regions[mid].end <= address)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct clrsos_error *clrsos_addrspace_tag(struct clrsos_addrspace *s, uint64_t start, uint64_t end,
					  enum clrsos_owner owner, const char *kind, const char *detail,
					  bool reserved)
{
	if (end <= start)
		return NULL;
	const char *k = NULL;
	struct clrsos_error *err = keep_string(s, kind, &k);
	if (err)
		return err;
	uint64_t at = start;
	size_t i = first_after(s, start);
	while (at < end) {
		if (i >= s->count || s->regions[i].start >= end || s->regions[i].start > at) {
			/* [at, gap_end) no mapping holds. */
			uint64_t gap_end = i < s->count && s->regions[i].start < end ? s->regions[i].start : end;
			if (s->synthesize) {
				struct clrsos_addr_region r = {
					.start = at, .end = gap_end, .prot = CLRSOS_VM_PROT_UNKNOWN,
					.state = reserved ? CLRSOS_MEM_RESERVE : CLRSOS_MEM_COMMIT,
					.resident = CLRSOS_VM_UNKNOWN, .in_core = 0, .owner = owner, .kind = k,
					.synthetic = true};
				if (detail)
					snprintf(r.detail, sizeof(r.detail), "%s", detail);
				if ((err = insert_at(s, i, &r)))
					return err;
				i++;
			}
			at = gap_end;
			continue;
		}
		if (s->regions[i].start < at) {
			if ((err = split(s, i, at)))
				return err;
			i++;
		}
		if (s->regions[i].end > end && (err = split(s, i, end)))
			return err;
		struct clrsos_addr_region *r = &s->regions[i];
		r->owner = owner;
		r->kind = k;
		if (detail)
			snprintf(r->detail, sizeof(r->detail), "%s", detail);
		else
			r->detail[0] = 0;
		at = r->end;
		i++;
	}
	return NULL;
}

static const char *segment_detail(const struct clrsos_segment *seg, char *buf, size_t size)
{
	snprintf(buf, size, "heap %u %s", seg->heap, clrsos_segment_kind_name(seg->kind));
	return buf;
}

static struct clrsos_error *tag_dac_regions(struct clrsos_addrspace *s, struct clrsos_dac *dac,
					    enum clrsos_dac_memory_kind kind, enum clrsos_owner owner,
					    const char *what)
{
	struct clrsos_sos_memory_region *m = NULL;
	size_t n = 0;
	bool truncated = false;
	struct clrsos_error *err = clrsos_dac_memory_regions(dac, kind, &m, &n, &truncated);
	if (err)
		return err;
	if (truncated)
		err = clrsos_addrspace_note(s, "the DAC's list of %s regions was cut at %zu (damaged data?): "
					       "any after those are not attributed",
					    what, n);
	for (size_t i = 0; i < n && !err; i++) {
		char detail[64];
		detail[0] = 0;
		if (owner != CLRSOS_OWNER_GC_BOOKKEEPING)
			snprintf(detail, sizeof(detail), "heap %d", m[i].heap);
		if (m[i].size && m[i].start <= UINT64_MAX - m[i].size)
			err = clrsos_addrspace_tag(s, m[i].start, m[i].start + m[i].size, owner, NULL,
						   detail[0] ? detail : NULL, owner == CLRSOS_OWNER_GC_BOOKKEEPING);
	}
	free(m);
	return err;
}

static struct clrsos_error *tag_blocks(struct clrsos_addrspace *s, const struct clrsos_heap_owner *o,
				       enum clrsos_owner owner)
{
	struct clrsos_error *err = NULL;
	for (size_t i = 0; i < o->count && !err; i++) {
		const struct clrsos_native_block *b = &o->blocks[i];
		if (!b->size || b->start > UINT64_MAX - b->size)
			continue;
		uint64_t committed = b->committed < b->size ? b->committed : b->size;
		err = clrsos_addrspace_tag(s, b->start, b->start + committed, owner, b->kind, NULL, false);
		if (!err)
			err = clrsos_addrspace_tag(s, b->start + committed, b->start + b->size, owner, b->kind, NULL,
						   true);
	}
	return err;
}

struct clrsos_error *clrsos_addrspace_tag_runtime(struct clrsos_addrspace *s, struct clrsos_dac *dac,
						  struct clrsos_target *target, const struct clrsos_gc *gc)
{
	bool supported = clrsos_dac_has_loader_allocators(dac);
	struct clrsos_error *err = NULL;
	if (supported) {
		/* The bookkeeping first: its reservation holds parts that other tags refine. */
		err = tag_dac_regions(s, dac, CLRSOS_DAC_MEMORY_GC_BOOKKEEPING, CLRSOS_OWNER_GC_BOOKKEEPING,
					      "GC bookkeeping");
		if (!err)
			err = tag_dac_regions(s, dac, CLRSOS_DAC_MEMORY_HANDLE_TABLE, CLRSOS_OWNER_HANDLE_TABLE,
					      "handle table");
		if (!err)
			err = tag_dac_regions(s, dac, CLRSOS_DAC_MEMORY_GC_FREE, CLRSOS_OWNER_GC_FREE, "GC free");
	} else {
		err = clrsos_addrspace_note(s, "this runtime's DAC has no ISOSDacInterface13 (before .NET 8): "
					       "GC bookkeeping, handle table and free GC regions are not attributed");
	}
	if (err)
		return err;
	struct clrsos_loader_heaps loader;
	if ((err = clrsos_loader_heaps_init(dac, target, &loader)))
		return err;
	for (size_t i = 0; i < loader.ndomains && !err; i++)
		err = tag_blocks(s, &loader.domains[i], CLRSOS_OWNER_LOADER_HEAP);
	for (size_t i = 0; i < loader.njit_managers && !err; i++)
		err = tag_blocks(s, &loader.jit_managers[i], CLRSOS_OWNER_CODE_HEAP);
	clrsos_loader_heaps_deinit(&loader);
	for (size_t i = 0; i < gc->nsegments && !err; i++) {
		const struct clrsos_segment *seg = &gc->segments[i];
		char detail[64];
		segment_detail(seg, detail, sizeof(detail));
		err = clrsos_addrspace_tag(s, seg->committed_start, seg->committed_end, CLRSOS_OWNER_GC_HEAP, NULL,
					   detail, false);
		if (!err && seg->reserved_end > seg->committed_end)
			err = clrsos_addrspace_tag(s, seg->committed_end, seg->reserved_end, CLRSOS_OWNER_GC_HEAP,
						   NULL, detail, true);
	}
	return err;
}

struct clrsos_error *clrsos_addrspace_tag_stacks(struct clrsos_addrspace *s, struct clrsos_dac *dac,
						 struct clrsos_target *target)
{
	struct clrsos_thread *threads = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_target_threads(target, &threads, &n);
	if (err)
		return err;
	struct clrsos_managed_thread_list managed;
	memset(&managed, 0, sizeof(managed));
	if (dac) {
		struct clrsos_error *e = clrsos_managed_thread_list_init(&managed, dac);
		if (e) {
			err = clrsos_addrspace_note(s, "stacks are not named by managed thread: %s", e->message);
			clrsos_error_destroy(e);
			memset(&managed, 0, sizeof(managed));
		}
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct clrsos_regs regs;
		struct clrsos_error *e = clrsos_target_registers(target, threads[i].os_id, &regs);
		if (e) {
			err = clrsos_addrspace_note(s, "thread %u: no stack pointer (%s)", threads[i].os_id, e->message);
			clrsos_error_destroy(e);
			continue;
		}
		size_t at = first_after(s, regs.rsp);
		if (at >= s->count || s->regions[at].start > regs.rsp) {
			err = clrsos_addrspace_note(s, "thread %u: its stack pointer 0x%" PRIx64 " is in no mapping",
						    threads[i].os_id, regs.rsp);
			continue;
		}
		char detail[64];
		int len = snprintf(detail, sizeof(detail), "thread %u", threads[i].os_id);
		for (size_t k = 0; k < managed.count; k++)
			if (managed.items[k].os_id == threads[i].os_id)
				snprintf(detail + len, sizeof(detail) - (size_t)len, " (managed %u)",
					 managed.items[k].managed_id);
		struct clrsos_addr_region *r = &s->regions[at];
		if (r->owner != CLRSOS_OWNER_UNOWNED && r->owner != CLRSOS_OWNER_STACK)
			continue;
		err = clrsos_addrspace_tag(s, r->start, r->end, CLRSOS_OWNER_STACK, NULL, detail, false);
	}
	clrsos_managed_thread_list_deinit(&managed);
	free(threads);
	return err;
}
