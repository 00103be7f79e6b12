#include "model/runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dac/dac.h"
#include "target/elfimage.h"
#include "base/fileio.h"
#include "base/hashmap.h"
#include "base/vector.h"
#include "target/elfimage.h"
#include "target/pe.h"

/* A bound on segments per heap: a looping or corrupt list stops here. */
enum { MAX_SEGMENTS = 1 << 20, VERSION_CHUNK = 1 << 20 };

static const char version_marker[] = "@(#)Version ";

struct mem_image {
	struct clrsos_target *t;
	uint64_t base;
};

static bool image_read(void *ctx, uint64_t pos, void *buf, size_t size)
{
	struct mem_image *m = ctx;
	struct clrsos_error *err = clrsos_target_read(m->t, m->base + pos, buf, size);
	clrsos_error_destroy(err);
	return err == NULL;
}

/* "10.0.1226.42308 @Commit: 95017c..." -> the parts of ret. */
static void parse_version(const char *text, struct clrsos_runtime_version *ret)
{
	unsigned major = 0, minor = 0, build = 0, rev = 0;
	if (sscanf(text, "%u.%u.%u.%u", &major, &minor, &build, &rev) == 4) {
		snprintf(ret->file_version, sizeof(ret->file_version),
			 "%u.%u.%u.%u", major, minor, build, rev);
		/* The file version's third part is patch * 100 + a build counter. */
		snprintf(ret->product, sizeof(ret->product), "%u.%u.%u", major,
			 minor, build / 100);
	}
	const char *c = strstr(text, "@Commit: ");
	if (c) {
		c += strlen("@Commit: ");
		size_t n = strspn(c, "0123456789abcdefABCDEF");
		if (n >= sizeof(ret->commit))
			n = sizeof(ret->commit) - 1;
		memcpy(ret->commit, c, n);
		ret->commit[n] = '\0';
	}
}

/*
 * A core may lack the page holding the version (a writable data page that
 * a heap-only dump leaves out). The version is constant for a build, so the
 * module's file serves it, if its build-id is the target's.
 */
static struct clrsos_error *version_from_file(struct clrsos_target *target,
					      const struct clrsos_module *runtime,
					      struct clrsos_runtime_version *ret)
{
	uint8_t id[CLRSOS_BUILD_ID_MAX];
	size_t id_len = 0;
	bool from_memory;
	struct clrsos_elf_info info;
	struct clrsos_error *err = clrsos_target_module_build_id(target, runtime, id,
								 &id_len, &from_memory);
	/* The file opened once (a regular file only), its build-id checked, then read. */
	int fd = -1;
	if (!err && runtime->path && !(err = clrsos_file_open_read(runtime->path, &fd)))
		err = clrsos_elf_parse_fd(fd, &info);
	if (err || !runtime->path || info.build_id_len != id_len ||
	    memcmp(info.build_id, id, id_len) != 0) {
		if (clrsos_error_is_no_memory(err)) {
			if (fd >= 0)
				close(fd);
			return err;
		}
		clrsos_error_destroy(err);
		if (fd >= 0)
			close(fd);
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
					   "the version of %s is neither in the target nor in a matching file on disk",
					   runtime->name);
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return &clrsos_error_no_memory;
	}
	char *chunk = malloc(VERSION_CHUNK + 128);
	if (!chunk) {
		fclose(f);
		return &clrsos_error_no_memory;
	}
	err = clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME, "%s records no version",
				  runtime->path);
	size_t keep = 0;
	for (;;) {
		size_t got = fread(chunk + keep, 1, VERSION_CHUNK, f);
		if (got == 0)
			break;
		size_t have = keep + got;
		char *hit = memmem(chunk, have, version_marker, sizeof(version_marker) - 1);
		if (hit) {
			char text[128];
			size_t off = (size_t)(hit - chunk) + sizeof(version_marker) - 1;
			size_t n = have - off < sizeof(text) - 1 ? have - off : sizeof(text) - 1;
			memcpy(text, chunk + off, n);
			text[n] = '\0';
			if (n < sizeof(text) - 1 && !feof(f)) {
				/* the marker is near the chunk's end: read on for the rest */
				memmove(chunk, hit, have - (size_t)(hit - chunk));
				keep = have - (size_t)(hit - chunk);
				continue;
			}
			parse_version(text, ret);
			clrsos_error_destroy(err);
			err = NULL;
			break;
		}
		keep = have < 128 ? have : 128;
		memmove(chunk, chunk + have - keep, keep);
	}
	free(chunk);
	fclose(f);
	return err;
}

struct clrsos_error *
clrsos_runtime_version_read(struct clrsos_target *target,
			    const struct clrsos_module *runtime,
			    struct clrsos_runtime_version *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct mem_image m = {target, runtime->base};
	struct clrsos_elf_info info;
	struct clrsos_error *err = clrsos_elf_parse(image_read, &m, true, &info);
	if (err)
		return clrsos_error_wrap(err, "reading %s in the target", runtime->name);
	char *chunk = malloc(VERSION_CHUNK + 128);
	if (!chunk)
		return &clrsos_error_no_memory;
	const size_t overlap = 128;
	/* The marker is a writable string (the data segment, small): look there first. */
	for (size_t k = 0; k < 2 * info.nloads; k++) {
		const struct clrsos_elf_load *l = &info.loads[k % info.nloads];
		if (l->writable != (k < info.nloads))
			continue;
		for (uint64_t pos = 0; pos < l->filesz; pos += VERSION_CHUNK) {
			size_t want = l->filesz - pos;
			if (want > VERSION_CHUNK + overlap)
				want = VERSION_CHUNK + overlap;
			size_t got = 0;
			err = clrsos_target_read_partial(target,
							 runtime->base + l->vaddr + pos,
							 chunk, want, &got);
			if (err) {
				if ((err = clrsos_error_ignore(err))) { /* an unreadable chunk: the next */
					free(chunk);
					return err;
				}
				continue;
			}
			char *hit = memmem(chunk, got, version_marker,
					   sizeof(version_marker) - 1);
			if (hit) {
				char text[128];
				size_t off = (size_t)(hit - chunk) + sizeof(version_marker) - 1;
				size_t n = got - off < sizeof(text) - 1 ? got - off : sizeof(text) - 1;
				memcpy(text, chunk + off, n);
				text[n] = '\0';
				parse_version(text, ret);
				free(chunk);
				return NULL;
			}
		}
	}
	free(chunk);
	return version_from_file(target, runtime, ret);
}

const char *clrsos_segment_kind_name(enum clrsos_segment_kind kind)
{
	switch (kind) {
	case CLRSOS_SEGMENT_GEN0: return "gen0";
	case CLRSOS_SEGMENT_GEN1: return "gen1";
	case CLRSOS_SEGMENT_GEN2: return "gen2";
	case CLRSOS_SEGMENT_EPHEMERAL: return "ephemeral";
	case CLRSOS_SEGMENT_LARGE: return "loh";
	case CLRSOS_SEGMENT_PINNED: return "poh";
	case CLRSOS_SEGMENT_FROZEN: return "frozen";
	}
	return "?";
}

const char *clrsos_generation_name(enum clrsos_generation gen)
{
	static const char *const names[CLRSOS_GEN_COUNT] = {
		"gen0", "gen1", "gen2", "loh", "poh", "frozen"};
	return gen < CLRSOS_GEN_COUNT ? names[gen] : "?";
}

/* The segment addresses met so far. */
CLRSOS_HASHSET(seen_set, uint64_t, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

static void warn(struct clrsos_gc *gc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct clrsos_gc *gc, const char *fmt, ...)
{
	if (clrsos_array_reserve(&gc->warnings, &gc->warnings_capacity, gc->nwarnings + 1))
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&gc->warnings[gc->nwarnings], fmt, ap) >= 0)
		gc->nwarnings++;
	va_end(ap);
}

static struct clrsos_error *add_segment(struct clrsos_gc *gc, size_t *cap,
					const struct clrsos_segment *seg)
{
	struct clrsos_error *err = clrsos_array_reserve(&gc->segments, cap, gc->nsegments + 1);
	if (err)
		return err;
	gc->segments[gc->nsegments++] = *seg;
	return NULL;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

/* Build one segment record from the DAC's data; generation is the chain it came from. */
static void describe_segment(const struct clrsos_gc *gc,
			     const struct clrsos_gc_heap *heap,
			     const struct clrsos_dacp_heap_segment_data *d,
			     uint64_t address, int generation,
			     struct clrsos_segment *s)
{
	memset(s, 0, sizeof(*s));
	s->address = address;
	s->heap = heap->index;
	s->flags = d->flags;
	s->start = d->mem;
	s->end = address == heap->ephemeral_segment ? heap->alloc_allocated
						    : d->allocated;
	if (d->flags & CLRSOS_SEGMENT_FLAG_READONLY)
		s->kind = CLRSOS_SEGMENT_FROZEN;
	else if (generation == 3)
		s->kind = CLRSOS_SEGMENT_LARGE;
	else if (generation == 4)
		s->kind = CLRSOS_SEGMENT_PINNED;
	else if (gc->regions)
		s->kind = generation == 0   ? CLRSOS_SEGMENT_GEN0
			  : generation == 1 ? CLRSOS_SEGMENT_GEN1
					    : CLRSOS_SEGMENT_GEN2;
	else
		s->kind = address == heap->ephemeral_segment
				  ? CLRSOS_SEGMENT_EPHEMERAL
				  : CLRSOS_SEGMENT_GEN2;

	/*
	 * Committed memory starts where the segment's memory starts: under
	 * segments the record heads its own range; a region's record lives
	 * apart, its memory at the page holding its first object; a frozen
	 * segment's first object follows one pointer-sized header.
	 */
	if (s->kind == CLRSOS_SEGMENT_FROZEN)
		s->committed_start = s->start - 8;
	else if (!gc->regions && address < s->start && s->start - address <= 0x10000)
		s->committed_start = address;
	else
		s->committed_start = align_down(s->start, CLRSOS_PAGE_SIZE);
	s->committed_end = d->committed;
	s->reserved_end = d->reserved;
}

static enum clrsos_generation kind_generation(enum clrsos_segment_kind kind)
{
	switch (kind) {
	case CLRSOS_SEGMENT_GEN0: return CLRSOS_GEN0;
	case CLRSOS_SEGMENT_GEN1: return CLRSOS_GEN1;
	case CLRSOS_SEGMENT_LARGE: return CLRSOS_GEN_LOH;
	case CLRSOS_SEGMENT_PINNED: return CLRSOS_GEN_POH;
	case CLRSOS_SEGMENT_FROZEN: return CLRSOS_GEN_FROZEN;
	default: return CLRSOS_GEN2;
	}
}

/* Sanity-check a segment's ranges; on nonsense keep what can be trusted and warn. */
static void check_segment(struct clrsos_gc *gc, struct clrsos_segment *s)
{
	if (s->end < s->start) {
		warn(gc, "segment 0x%llx of heap %u: end 0x%llx before start 0x%llx; treated as empty",
		     (unsigned long long)s->address, s->heap,
		     (unsigned long long)s->end, (unsigned long long)s->start);
		s->end = s->start;
	}
	if (s->committed_end < s->end) {
		warn(gc, "segment 0x%llx of heap %u: objects end at 0x%llx past its committed end 0x%llx",
		     (unsigned long long)s->address, s->heap,
		     (unsigned long long)s->end,
		     (unsigned long long)s->committed_end);
		s->committed_end = s->end;
	}
	if (s->committed_start > s->start)
		s->committed_start = s->start;
}

static void split_generations(const struct clrsos_gc_heap *heap,
			      struct clrsos_segment *s)
{
	if (s->kind != CLRSOS_SEGMENT_EPHEMERAL) {
		s->gen_size[kind_generation(s->kind)] = s->end - s->start;
		return;
	}
	/* Under segments, gen1 then gen0 sit at the end of the ephemeral segment. */
	uint64_t g0 = heap->generations[0].allocation_start;
	uint64_t g1 = heap->generations[1].allocation_start;
	if (g1 < s->start || g1 > s->end || g0 < g1 || g0 > s->end) {
		s->gen_size[CLRSOS_GEN0] = s->end - s->start;
		return;
	}
	s->gen_size[CLRSOS_GEN2] = g1 - s->start;
	s->gen_size[CLRSOS_GEN1] = g0 - g1;
	s->gen_size[CLRSOS_GEN0] = s->end - g0;
}

static struct clrsos_error *walk_chain(struct clrsos_dac *dac,
				       struct clrsos_gc *gc,
				       struct clrsos_gc_heap *heap,
				       int generation, struct seen_set *seen,
				       size_t *cap)
{
	if ((uint32_t)generation >= heap->ngenerations)
		return NULL;
	uint64_t address = heap->generations[generation].start_segment;
	size_t steps = 0;
	while (address) {
		bool is_new;
		struct clrsos_error *err = seen_set_insert(seen, address, NULL, &is_new);
		if (err)
			return err;
		if (!is_new) {
			/* A chain starting at a segment already listed shares a
			 * tail with another; met again later in a walk, it loops. */
			if (steps > 0)
				warn(gc, "heap %u generation %d: the segment list loops back to 0x%llx; each segment is shown once",
				     heap->index, generation, (unsigned long long)address);
			return NULL;
		}
		if (++steps > MAX_SEGMENTS) {
			warn(gc, "heap %u generation %d: more than %d segments; the rest is not shown",
			     heap->index, generation, MAX_SEGMENTS);
			return NULL;
		}
		struct clrsos_dacp_heap_segment_data d;
		err = clrsos_dac_segment_data(dac, address, &d);
		if (err) {
			if (clrsos_error_is_no_memory(err))
				return err;
			warn(gc, "heap %u generation %d: %s; the rest of its list is not shown",
			     heap->index, generation, err->message);
			clrsos_error_destroy(err);
			return NULL;
		}
		struct clrsos_segment s;
		describe_segment(gc, heap, &d, address, generation, &s);
		check_segment(gc, &s);
		split_generations(heap, &s);
		err = add_segment(gc, cap, &s);
		if (err)
			return err;
		address = d.next;
	}
	return NULL;
}

struct clrsos_error *clrsos_gc_mode_read(struct clrsos_dac *dac,
					 struct clrsos_gc *ret)
{
	memset(ret, 0, sizeof(*ret));
	/*
	 * A runtime still starting (or whose start failed) has no GC heap yet,
	 * and the DAC's GC queries follow pointers the GC has not set: ask
	 * first whether the runtime got as far as loading its core types,
	 * which it does only after the GC heap exists.
	 */
	struct clrsos_dacp_useful_globals globals;
	struct clrsos_error *err = clrsos_dac_useful_globals(dac, &globals);
	if (err)
		return err;
	if (!globals.object_method_table)
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
					   "the .NET runtime in this target is not initialised (it has no GC heap and no managed types yet: stopped during start-up, or its start-up failed); let the process run further, or take the dump later");
	struct clrsos_dacp_gc_heap_data data;
	err = clrsos_dac_gc_heap_data(dac, &data);
	if (err)
		return err;
	ret->server = data.server_mode != 0;
	ret->structures_valid = data.gc_structures_valid != 0;
	ret->max_generation = data.max_generation;
	ret->nheaps = ret->server ? data.heap_count : 1;
	if ((err = clrsos_error_ignore(clrsos_dac_dynamic_adaptation(dac, &ret->dynamic_adaptation,
								     &ret->dynamic_adaptation_known))))
		return err;
	/* Regions: each generation has its own list, so gen0 and gen1 start apart. */
	uint64_t heap = 0;
	uint64_t *list = NULL;
	uint32_t n = 0;
	if (ret->server) {
		err = clrsos_dac_gc_heap_list(dac, &list, &n);
		if (err)
			return err;
		if (n == 0) {
			free(list);
			return clrsos_error_create(CLRSOS_ERROR_DAC,
						   "the runtime lists no server GC heaps");
		}
		heap = list[0];
		free(list);
	}
	struct clrsos_dacp_gc_heap_details details;
	err = clrsos_dac_gc_heap_details(dac, heap, &details);
	if (err)
		return err;
	ret->regions = details.generation_table[0].start_segment !=
		       details.generation_table[1].start_segment;
	return NULL;
}

struct clrsos_error *clrsos_gc_create(struct clrsos_dac *dac,
				    struct clrsos_gc **ret)
{
	struct clrsos_gc *gc = calloc(1, sizeof(*gc));
	if (!gc)
		return &clrsos_error_no_memory;
	uint64_t *list = NULL;
	struct seen_set seen;
	seen_set_init(&seen);
	size_t cap = 0;
	struct clrsos_error *err = clrsos_gc_mode_read(dac, gc);
	if (err)
		goto fail;
	/* Stopped mid-GC: the layout is still read (eeheap shows it, with this
	 * warning); walking the objects is refused (clrsos_gc_check_walkable). */
	if (!gc->structures_valid)
		warn(gc, "the process is stopped in the middle of a garbage collection: the GC's structures are "
			 "changing, so what is shown of the heap may be wrong");
	uint32_t nheaps = 1;
	if (gc->server) {
		err = clrsos_dac_gc_heap_list(dac, &list, &nheaps);
		if (err)
			goto fail;
	}
	gc->heaps = calloc(nheaps, sizeof(*gc->heaps));
	if (!gc->heaps) {
		err = &clrsos_error_no_memory;
		goto fail;
	}
	gc->nheaps = nheaps;
	for (uint32_t i = 0; i < nheaps; i++) {
		struct clrsos_gc_heap *h = &gc->heaps[i];
		struct clrsos_dacp_gc_heap_details d;
		h->index = i;
		h->address = list ? list[i] : 0;
		err = clrsos_dac_gc_heap_details(dac, h->address, &d);
		if (err)
			goto fail;
		h->alloc_allocated = d.alloc_allocated;
		h->ephemeral_segment = d.ephemeral_heap_segment;
		uint32_t n = 0;
		struct clrsos_dacp_generation_data table[8];
		err = clrsos_dac_generation_table(dac, h->address, table, 8, &n);
		if (err)
			goto fail;
		if (n < 4) {
			memcpy(table, d.generation_table, sizeof(d.generation_table));
			n = 4;
		}
		for (uint32_t g = 0; g < n && g < 8; g++)
			h->generations[g] = (struct clrsos_gc_generation){
				.start_segment = table[g].start_segment,
				.allocation_start = table[g].allocation_start,
				.alloc_context_ptr = table[g].alloc_context_ptr,
				.alloc_context_limit = table[g].alloc_context_limit,
			};
		h->ngenerations = n;
		h->first_segment = gc->nsegments;
		/* LOH, then gen2 (which also threads the frozen segments), then
		 * under regions gen1 and gen0, then POH. */
		static const int order[] = {3, 2, 1, 0, 4};
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			if (!gc->regions && (order[k] == 1 || order[k] == 0))
				continue;
			err = walk_chain(dac, gc, h, order[k], &seen, &cap);
			if (err)
				goto fail;
		}
		h->nsegments = gc->nsegments - h->first_segment;
		for (size_t s = h->first_segment; s < gc->nsegments; s++) {
			const struct clrsos_segment *seg = &gc->segments[s];
			for (int g = 0; g < CLRSOS_GEN_COUNT; g++)
				h->gen_allocated[g] += seg->gen_size[g];
			gc->total_allocated += seg->end - seg->start;
			gc->total_committed += seg->committed_end - seg->committed_start;
		}
	}
	free(list);
	seen_set_deinit(&seen);
	*ret = gc;
	return NULL;
fail:
	free(list);
	seen_set_deinit(&seen);
	clrsos_gc_destroy(gc);
	return err;
}

struct clrsos_error *clrsos_gc_check_walkable(const struct clrsos_gc *gc)
{
	if (gc->structures_valid)
		return NULL;
	return clrsos_error_create(CLRSOS_ERROR_GC_IN_PROGRESS,
				   "the process is stopped in the middle of a garbage collection, so its objects cannot "
				   "be walked reliably: continue it and stop it again once the GC has finished "
				   "(or: dumpheap -ignoreGCState)");
}

void clrsos_gc_destroy(struct clrsos_gc *gc)
{
	if (!gc)
		return;
	for (size_t i = 0; i < gc->nwarnings; i++)
		free(gc->warnings[i]);
	free(gc->warnings);
	free(gc->heaps);
	free(gc->segments);
	free(gc);
}

struct clrsos_error *clrsos_runtime_add_images(struct clrsos_dac *dac,
					       struct clrsos_target *target,
					       size_t *ret_added)
{
	struct clrsos_managed_module *mods;
	size_t n;
	*ret_added = 0;
	struct clrsos_error *err = clrsos_dac_managed_modules(dac, &mods, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		const struct clrsos_managed_module *m = &mods[i];
		if (!m->path || !m->il_base || m->is_reflection)
			continue;
		uint8_t probe[64];
		struct clrsos_error *e = clrsos_target_read_raw(target, m->il_base, probe, sizeof(probe));
		if (!e && m->have_data)
			continue; /* the core has the image */
		if ((err = clrsos_error_ignore(e))) /* not in the core: try the file */
			break;
		/*
		 * Try the file laid out as mapped (sections at their RVAs), then as
		 * flat (the file as it is): keep the layout under which the DAC
		 * reads this module's metadata where the file has it.
		 */
		for (int mapped = 1; mapped >= 0; mapped--) {
			struct clrsos_pe_image *pe;
			e = clrsos_pe_open(m->path, &pe);
			if (e) {
				err = clrsos_error_ignore(e); /* no readable file: nothing added */
				break;
			}
			uint64_t want = mapped ? clrsos_pe_metadata_rva(pe) : clrsos_pe_metadata_offset(pe);
			uint64_t size = clrsos_pe_metadata_size(pe);
			err = clrsos_target_add_image(target, m->il_base, mapped, pe);
			if (err)
				break;
			clrsos_dac_flush(dac);
			struct clrsos_dacp_module_data md;
			struct clrsos_error *md_err = clrsos_dac_module_data(dac, m->address, &md);
			bool have_md = !md_err;
			if ((err = clrsos_error_ignore(md_err))) {
				clrsos_target_drop_image(target);
				break;
			}
			if (have_md && md.metadata_start == m->il_base + want && md.metadata_size == size) {
				(*ret_added)++;
				break;
			}
			clrsos_target_drop_image(target);
		}
	}
	clrsos_dac_flush(dac);
	clrsos_managed_modules_free(mods, n);
	return err;
}

struct clrsos_error *clrsos_runtime_describe(struct clrsos_target *target, struct clrsos_runtime_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct clrsos_error *err = clrsos_dac_find_runtime(target, &ret->module);
	if (err)
		return err;
	uint8_t id[CLRSOS_BUILD_ID_MAX];
	size_t id_len = 0;
	err = clrsos_target_module_build_id(target, ret->module, id, &id_len, &ret->build_id_from_memory);
	if (err)
		return err;
	clrsos_build_id_hex(id, id_len, ret->build_id);
	err = clrsos_runtime_version_read(target, ret->module, &ret->version);
	ret->have_version = err == NULL;
	if (clrsos_error_is_no_memory(err))
		return err; /* not "no version" */
	clrsos_error_destroy(err);
	return NULL;
}

struct clrsos_error *clrsos_runtime_describe_dac(struct clrsos_runtime_info *info, struct clrsos_dac *dac)
{
	info->dac_path = clrsos_dac_path(dac);
	struct clrsos_gc gc;
	struct clrsos_error *err = clrsos_gc_mode_read(dac, &gc);
	if (err)
		return err;
	info->have_gc_mode = true;
	info->gc_mode = (struct clrsos_gc_mode){
		.server = gc.server,
		.regions = gc.regions,
		.structures_valid = gc.structures_valid,
		.nheaps = gc.nheaps,
		.dynamic_adaptation_known = gc.dynamic_adaptation_known,
		.dynamic_adaptation = gc.dynamic_adaptation,
	};
	return NULL;
}
