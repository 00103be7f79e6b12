#include "model/handletable.h"

#include "base/hashmap.h"
#include "base/vector.h"
#include "dac/dac.h"
#include "target/elfimage.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static_assert((int)CLRSOS_HANDLE_KIND_DEPENDENT == (int)CLRSOS_HANDLE_DEPENDENT &&
		      (int)CLRSOS_HANDLE_KIND_WEAK_WINRT == (int)CLRSOS_HANDLE_WEAK_WINRT &&
		      (int)CLRSOS_HANDLE_KIND_STRONG == (int)CLRSOS_HANDLE_STRONG &&
		      (int)CLRSOS_HANDLE_KIND_SIZED_REF == (int)CLRSOS_HANDLE_SIZED_REF,
	      "handle kinds are the runtime's");

const char *clrsos_handle_type_name(uint32_t type)
{
	static const char *const names[] = {
		"WeakShort", "WeakLong", "Strong", "Pinned", "Variable", "RefCounted",
		"Dependent", "AsyncPinned", "SizedRef", "WeakWinRT",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "Unknown";
}

bool clrsos_handle_is_root(const struct clrsos_handle *h)
{
	return h->kind == CLRSOS_HANDLE_KIND_STRONG || h->kind == CLRSOS_HANDLE_KIND_PINNED ||
	       h->kind == CLRSOS_HANDLE_KIND_ASYNC_PINNED || h->kind == CLRSOS_HANDLE_KIND_SIZED_REF ||
	       (h->kind == CLRSOS_HANDLE_KIND_REF_COUNTED && h->ref_count > 0) ||
	       (h->kind == CLRSOS_HANDLE_KIND_VARIABLE && h->strong);
}

/*
 * The handle table's memory layout (x64; gc/handletablepriv.h,
 * handletableconstants.h). A segment is 64 KiB, aligned to 64 KiB: a 4 KiB
 * header, then 120 blocks of 64 handles. In the header: each block's
 * handle type at 0x618 (0xff: free) and the block holding its extra data
 * at 0x690 (dependent handles' secondaries); after the per-type arrays
 * (6 bytes per internal type from 0x780), the next segment and the owning
 * table. A table starts with one 32-bit flag word per internal type, then
 * its segment list. The number of internal types T is 12 (.NET 8, 9) or
 * 13; the last one marks extra-data blocks. T is found by checking that a
 * segment's table leads back to that segment.
 */
enum {
	SEGMENT_SIZE = 0x10000,
	HEADER_SIZE = 0x1000,
	BLOCKS = 120,
	HANDLES_PER_BLOCK = 64,
	BLOCK_BYTES = HANDLES_PER_BLOCK * 8,
	BLOCK_TYPE_AT = 0x618,
	USER_DATA_AT = 0x690,
	PER_TYPE_AT = 0x780,
	FREE_BLOCK = 0xff,
	MAX_SEGMENTS = 1 << 16,
	MAX_SLOTS = 1024,
	MAP_SCAN_CHUNK = 1 << 16,
};

/* True when e is an error (then dropped): the reads here are probes. */
static bool failed(struct clrsos_error *e)
{
	if (!e)
		return false;
	clrsos_error_destroy(e);
	return true;
}

struct layout {
	unsigned types;           /* T */
	uint64_t next_at;         /* segment: next segment */
	uint64_t table_at;        /* segment: owning table */
	uint64_t segment_list_at; /* table: first segment */
};

static void layout_for(unsigned types, struct layout *l)
{
	l->types = types;
	l->next_at = PER_TYPE_AT + 6 * types;
	l->table_at = l->next_at + 8;
	l->segment_list_at = (4 * types + 7) & ~7u;
}

/* Whether table's segment chain is well formed (and holds want, if not 0). */
static bool table_valid(struct clrsos_target *t, const struct layout *l, uint64_t table, uint64_t want)
{
	uint64_t seg = 0, back = 0;
	bool found = !want;
	if (!table || (table & 7) || failed(clrsos_target_read_u64(t, table + l->segment_list_at, &seg)))
		return false;
	for (size_t n = 0; seg && n < MAX_SEGMENTS; n++) {
		if ((seg & (SEGMENT_SIZE - 1)) || failed(clrsos_target_read_u64(t, seg + l->table_at, &back)) ||
		    back != table)
			return false;
		found |= seg == want;
		if (failed(clrsos_target_read_u64(t, seg + l->next_at, &seg)))
			return false;
	}
	return found && !seg;
}

/* From a handle the runtime listed: the layout, and the table holding it. */
static bool anchor(struct clrsos_target *t, uint64_t handle, struct layout *l, uint64_t *table)
{
	uint64_t seg = handle & ~(uint64_t)(SEGMENT_SIZE - 1);
	for (unsigned types = 12; types <= 13; types++) {
		layout_for(types, l);
		if (!failed(clrsos_target_read_u64(t, seg + l->table_at, table)) &&
		    table_valid(t, l, *table, seg))
			return true;
	}
	return false;
}

/*
 * The table array of the map's first bucket, found in the runtime's
 * writable data (ranges): { buckets, next = 0, max index } whose first
 * bucket's tables include the anchor. *ret_slots: how many valid tables.
 */
static bool find_tables(struct clrsos_target *t, const struct layout *l, const struct clrsos_range *ranges,
			size_t nranges, uint64_t known, uint64_t *ret_tables, size_t *ret_slots)
{
	uint8_t *buf = malloc(MAP_SCAN_CHUNK + 24);
	if (!buf)
		return false;
	bool found = false;
	for (size_t i = 0; i < nranges && !found; i++) {
		uint64_t lo = ranges[i].start & ~(uint64_t)7, hi = ranges[i].end;
		for (uint64_t at = lo; at < hi && !found; at += MAP_SCAN_CHUNK) {
			size_t want = hi - at < MAP_SCAN_CHUNK + 24 ? (size_t)(hi - at) : MAP_SCAN_CHUNK + 24, got = 0;
			if (failed(clrsos_target_read_partial(t, at, buf, want, &got)))
				continue;
			for (size_t off = 0; off + 24 <= got && off < MAP_SCAN_CHUNK && !found; off += 8) {
				uint64_t buckets, next, bucket = 0, tables = 0, entry = 0;
				uint32_t max_index;
				memcpy(&buckets, buf + off, 8);
				memcpy(&next, buf + off + 8, 8);
				memcpy(&max_index, buf + off + 16, 4);
				if (!buckets || (buckets & 7) || next || !max_index || max_index > 1024)
					continue;
				if (failed(clrsos_target_read_u64(t, buckets, &bucket)) || !bucket || (bucket & 7) ||
				    failed(clrsos_target_read_u64(t, bucket, &tables)) || !tables || (tables & 7))
					continue;
				for (size_t k = 0; k < MAX_SLOTS; k++) {
					if (failed(clrsos_target_read_u64(t, tables + 8 * k, &entry)))
						break;
					if (entry == known) {
						found = true;
						break;
					}
					if (!table_valid(t, l, entry, 0))
						break;
				}
				if (found)
					*ret_tables = tables;
			}
		}
	}
	free(buf);
	if (!found)
		return false;
	size_t k = 0;
	for (; k < MAX_SLOTS; k++) {
		uint64_t entry = 0;
		if (failed(clrsos_target_read_u64(t, *ret_tables + 8 * k, &entry)) || !table_valid(t, l, entry, 0))
			break;
	}
	*ret_slots = k;
	return k > 0;
}

static bool append(struct clrsos_handle **h, size_t *n, size_t *cap, const struct clrsos_handle *x)
{
	if (clrsos_array_reserve(h, cap, *n + 1))
		return false;
	(*h)[(*n)++] = *x;
	return true;
}

/*
 * Every live handle of one table that the runtime did not list. Each
 * segment is read whole, once (as far as it is readable: blocks past the
 * committed part are skipped).
 */
/* The handles the runtime listed. */
CLRSOS_HASHSET(handle_set, uint64_t, clrsos_hash_address, clrsos_u64_equal, clrsos_u64_is_zero)

static bool walk_table(struct clrsos_target *t, const struct layout *l, uint64_t table,
		       const struct handle_set *listed, struct clrsos_handle **h, size_t *n, size_t *cap)
{
	uint8_t *mem = malloc(SEGMENT_SIZE);
	uint64_t seg = 0;
	size_t got = 0;
	bool ok = mem && !failed(clrsos_target_read_u64(t, table + l->segment_list_at, &seg));
	for (size_t k = 0; ok && seg && k < MAX_SEGMENTS; k++) {
		if (failed(clrsos_target_read_partial(t, seg, mem, SEGMENT_SIZE, &got)) || got < HEADER_SIZE)
			break;
		for (unsigned b = 0; b < BLOCKS && ok; b++) {
			uint8_t type = mem[BLOCK_TYPE_AT + b], user = mem[USER_DATA_AT + b];
			size_t at = HEADER_SIZE + (size_t)b * BLOCK_BYTES;
			if (type == FREE_BLOCK || type >= l->types - 1 || at + BLOCK_BYTES > got)
				continue; /* free, another block's extra data, or not readable */
			size_t data_at = HEADER_SIZE + (size_t)user * BLOCK_BYTES;
			bool has_data = user != FREE_BLOCK && user < BLOCKS && data_at + BLOCK_BYTES <= got;
			for (unsigned i = 0; i < HANDLES_PER_BLOCK && ok; i++) {
				uint64_t object, secondary = 0, handle = seg + at + 8 * i;
				memcpy(&object, mem + at + 8 * i, 8);
				if (!object || handle_set_find(listed, handle))
					continue;
				if (type == CLRSOS_HANDLE_DEPENDENT && has_data)
					memcpy(&secondary, mem + data_at + 8 * i, 8);
				struct clrsos_handle x = {
					.address = handle,
					.object = object,
					.readable = true,
					.kind = type,
					.secondary = secondary,
					.strong = type == CLRSOS_HANDLE_STRONG || type == CLRSOS_HANDLE_PINNED ||
						  type == CLRSOS_HANDLE_ASYNC_PINNED || type == CLRSOS_HANDLE_SIZED_REF,
					.pinned = type == CLRSOS_HANDLE_PINNED || type == CLRSOS_HANDLE_ASYNC_PINNED,
				};
				ok = append(h, n, cap, &x);
			}
		}
		memcpy(&seg, mem + l->next_at, 8);
	}
	free(mem);
	return ok;
}

struct clrsos_error *clrsos_handle_tables_unlisted(struct clrsos_target *target, const struct clrsos_range *data,
						   size_t ndata, const struct clrsos_handle *listed,
						   size_t nlisted, struct clrsos_handle **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	struct layout l;
	uint64_t known, tables = 0;
	size_t slots = 0;
	if (!nlisted || !anchor(target, listed[0].address, &l, &known) ||
	    !find_tables(target, &l, data, ndata, known, &tables, &slots))
		return NULL;
	struct handle_set seen;
	handle_set_init(&seen);
	struct clrsos_error *err = handle_set_reserve(&seen, nlisted);
	for (size_t i = 0; i < nlisted && !err; i++)
		if (listed[i].address)
			err = handle_set_insert(&seen, listed[i].address, NULL, NULL);
	if (err) {
		handle_set_deinit(&seen);
		return err;
	}
	size_t cap = 0;
	bool ok = true;
	for (size_t k = 0; k < slots && ok; k++) {
		uint64_t table = 0;
		if (failed(clrsos_target_read_u64(target, tables + 8 * k, &table)))
			break;
		ok = walk_table(target, &l, table, &seen, ret, ret_count, &cap);
	}
	handle_set_deinit(&seen);
	if (!ok) {
		free(*ret);
		*ret = NULL;
		*ret_count = 0;
		return &clrsos_error_no_memory;
	}
	return NULL;
}

struct image_reader {
	struct clrsos_target *target;
	uint64_t base;
};

static bool read_image(void *ctx, uint64_t pos, void *buf, size_t size)
{
	struct image_reader *r = ctx;
	return !failed(clrsos_target_read(r->target, r->base + pos, buf, size));
}

struct clrsos_error *clrsos_handles_all(struct clrsos_dac *dac, struct clrsos_target *target, bool server,
					struct clrsos_handle **ret, size_t *ret_count, size_t *ret_extra)
{
	*ret_extra = 0;
	*ret = NULL;
	*ret_count = 0;
	struct clrsos_sos_handle_data *h = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_handles(dac, &h, &n);
	if (err)
		return err;
	if (!(*ret = calloc(n ? n : 1, sizeof(**ret)))) {
		free(h);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n; i++) {
		struct clrsos_handle *x = &(*ret)[i];
		*x = (struct clrsos_handle){
			.address = h[i].handle,
			.kind = h[i].type,
			.secondary = h[i].secondary,
			.ref_count = h[i].ref_count,
			.strong = h[i].strong_reference != 0,
			.pinned = h[i].type == CLRSOS_HANDLE_PINNED || h[i].type == CLRSOS_HANDLE_ASYNC_PINNED,
		};
		struct clrsos_error *e = clrsos_target_read_u64(target, x->address, &x->object);
		x->readable = !e;
		if (e)
			x->object = 0; /* an unreadable handle: shown as such */
		if ((e = clrsos_error_ignore(e))) {
			free(h);
			free(*ret);
			*ret = NULL;
			return e;
		}
	}
	free(h);
	*ret_count = n;
	if (!server || !*ret_count)
		return NULL;
	/* The runtime's writable data, from its program headers (target, else file). */
	struct clrsos_elf_info elf;
	const char *path = clrsos_dac_runtime_path(dac);
	struct image_reader r = {target, clrsos_dac_runtime_base(dac)};
	if (failed(clrsos_elf_parse(read_image, &r, true, &elf)) &&
	    (!path || failed(clrsos_elf_parse_file(path, &elf))))
		return NULL;
	struct clrsos_range data[CLRSOS_ELF_MAX_LOADS];
	size_t ndata = 0;
	for (size_t i = 0; i < elf.nloads; i++)
		if (elf.loads[i].writable)
			data[ndata++] = (struct clrsos_range){r.base + elf.loads[i].vaddr,
							      r.base + elf.loads[i].vaddr + elf.loads[i].memsz};
	struct clrsos_handle *extra = NULL;
	size_t nextra = 0;
	if (failed(clrsos_handle_tables_unlisted(target, data, ndata, *ret, *ret_count, &extra, &nextra)) || !nextra)
		return NULL; /* the runtime's list stands alone */
	struct clrsos_handle *all = realloc(*ret, (*ret_count + nextra) * sizeof(*all));
	if (!all) {
		free(extra);
		return NULL;
	}
	memcpy(all + *ret_count, extra, nextra * sizeof(*all));
	free(extra);
	*ret = all;
	*ret_count += nextra;
	*ret_extra = nextra;
	return NULL;
}
