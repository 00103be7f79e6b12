#include <inttypes.h>
#include <stdio.h>

#include "analysis/glibcheap.h"
#include "commands.h"

static void pct(unsigned ppt, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%02u%%", ppt / 100, ppt % 100);
}

static void write_text(const struct clrsos_glibc_heap *h, bool stat, struct clrsos_writer *w)
{
	struct clrsos_name_buf nb;
	clrsos_outf(w, "glibc %s (%s at 0x%" PRIx64 "), main_arena at 0x%" PRIx64 ", mp_ at 0x%" PRIx64 "\n", h->version,
		    clrsos_safe_name(h->libc_path ? h->libc_path : "libc.so.6", &nb), h->libc_base, h->main_arena, h->mp);
	if (!h->version_verified)
		clrsos_outf(w, "Warning: glibc %s's malloc layout is believed to be 2.36's, but was not verified\n", h->version);
	if (!h->tcache_key_known)
		clrsos_out(w, "Note: no tcache entry found to learn the tcache key: other threads' cached chunks count as in use\n");
	if (stat) {
		clrsos_outf(w, "%12s %12s %16s\n", "ChunkSize", "Count", "TotalSize");
		for (size_t i = 0; i < h->nhistogram; i++) {
			char count[32], bytes[32];
			clrsos_format_thousands(h->histogram[i].count, count, sizeof(count));
			clrsos_format_thousands(h->histogram[i].bytes, bytes, sizeof(bytes));
			clrsos_outf(w, "%12" PRIu64 " %12s %16s\n", h->histogram[i].size, count, bytes);
		}
		char count[32], bytes[32];
		clrsos_format_thousands(h->in_use_chunks, count, sizeof(count));
		clrsos_format_thousands(h->in_use_bytes, bytes, sizeof(bytes));
		clrsos_outf(w, "Total %s chunks in use, %s bytes, in %zu sizes\n", count, bytes, h->nhistogram);
		return;
	}
	clrsos_outf(w, "%16s %-6s %5s %16s %16s %16s %16s %16s %8s\n", "Arena", "Kind", "Heaps", "System", "InUse", "Free",
		    "Top", "LargestFree", "Frag");
	for (size_t i = 0; i < h->narenas; i++) {
		const struct clrsos_glibc_arena *a = &h->arenas[i];
		char sys[32], use[32], fr[32], top[32], lf[32], fg[16];
		clrsos_format_thousands(a->system_bytes, sys, sizeof(sys));
		clrsos_format_thousands(a->in_use_bytes, use, sizeof(use));
		clrsos_format_thousands(a->free_bytes, fr, sizeof(fr));
		clrsos_format_thousands(a->top_bytes, top, sizeof(top));
		clrsos_format_thousands(a->largest_free, lf, sizeof(lf));
		pct(clrsos_glibc_fragmentation(a->free_bytes - a->top_bytes, a->in_use_bytes), fg, sizeof(fg));
		clrsos_outf(w, "%016" PRIx64 " %-6s %5zu %16s %16s %16s %16s %16s %8s%s\n", a->address, a->main ? "main" : "thread",
			    a->nheaps, sys, use, fr, top, lf, fg, a->damage ? " DAMAGED" : "");
	}
	char sys[32], use[32], fr[32], top[32], lf[32], fg[16], n[32], tc[32], fb[32], mm[32], mmn[32];
	clrsos_format_thousands(h->system_bytes, sys, sizeof(sys));
	clrsos_format_thousands(h->in_use_bytes, use, sizeof(use));
	clrsos_format_thousands(h->free_bytes, fr, sizeof(fr));
	clrsos_format_thousands(h->top_bytes, top, sizeof(top));
	clrsos_format_thousands(h->largest_free, lf, sizeof(lf));
	pct(clrsos_glibc_fragmentation(h->free_bytes - h->top_bytes, h->in_use_bytes), fg, sizeof(fg));
	clrsos_outf(w, "%-16s %-6s %5s %16s %16s %16s %16s %16s %8s\n", "Total", "", "", sys, use, fr, top, lf, fg);
	clrsos_format_thousands(h->in_use_chunks, n, sizeof(n));
	clrsos_format_thousands(h->tcache_bytes, tc, sizeof(tc));
	clrsos_format_thousands(h->fastbin_bytes, fb, sizeof(fb));
	clrsos_format_thousands(h->mmapped_bytes, mm, sizeof(mm));
	clrsos_format_thousands(h->mmapped_chunks, mmn, sizeof(mmn));
	clrsos_outf(w, "%zu arenas, %s chunks in use; free includes %s bytes in tcaches and %s in fastbins\n", h->narenas, n,
		    tc, fb);
	clrsos_outf(w, "mmapped chunks (outside the arenas): %s, %s bytes\n", mmn, mm);
}

static void json_arena_counts(struct clrsos_json *j, const char *key, uint64_t bytes, uint64_t chunks)
{
	clrsos_json_key(j, key);
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "bytes");
	clrsos_json_uint(j, bytes);
	clrsos_json_key(j, "chunks");
	clrsos_json_uint(j, chunks);
	clrsos_json_object_end(j);
}

static void write_json(const struct clrsos_glibc_heap *h, bool stat, struct clrsos_writer *w)
{
	struct clrsos_json j;
	clrsos_json_init(&j, w);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "glibcVersion");
	clrsos_json_string(&j, h->version);
	clrsos_json_key(&j, "versionVerified");
	clrsos_json_bool(&j, h->version_verified);
	clrsos_json_key(&j, "libcPath");
	clrsos_json_string(&j, h->libc_path);
	clrsos_json_key(&j, "libcBase");
	clrsos_json_address(&j, h->libc_base);
	clrsos_json_key(&j, "mainArena");
	clrsos_json_address(&j, h->main_arena);
	clrsos_json_key(&j, "mp");
	clrsos_json_address(&j, h->mp);
	clrsos_json_key(&j, "heapInfoSize");
	clrsos_json_uint(&j, h->heap_info_size);
	clrsos_json_key(&j, "tcacheKeyKnown");
	clrsos_json_bool(&j, h->tcache_key_known);
	if (!stat) {
		clrsos_json_key(&j, "arenas");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < h->narenas; i++) {
			const struct clrsos_glibc_arena *a = &h->arenas[i];
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "address");
			clrsos_json_address(&j, a->address);
			clrsos_json_key(&j, "kind");
			clrsos_json_string(&j, a->main ? "main" : "thread");
			clrsos_json_key(&j, "heaps");
			clrsos_json_array_begin(&j);
			for (size_t k = 0; k < a->nheaps; k++) {
				clrsos_json_object_begin(&j);
				clrsos_json_key(&j, "start");
				clrsos_json_address(&j, a->heaps[k].start);
				clrsos_json_key(&j, "end");
				clrsos_json_address(&j, a->heaps[k].end);
				clrsos_json_object_end(&j);
			}
			clrsos_json_array_end(&j);
			clrsos_json_key(&j, "systemBytes");
			clrsos_json_uint(&j, a->system_bytes);
			json_arena_counts(&j, "inUse", a->in_use_bytes, a->in_use_chunks);
			json_arena_counts(&j, "free", a->free_bytes, a->free_chunks);
			json_arena_counts(&j, "binned", a->binned_bytes, a->binned_chunks);
			json_arena_counts(&j, "fastbins", a->fastbin_bytes, a->fastbin_chunks);
			json_arena_counts(&j, "tcache", a->tcache_bytes, a->tcache_chunks);
			clrsos_json_key(&j, "top");
			clrsos_json_address(&j, a->top_address);
			clrsos_json_key(&j, "topBytes");
			clrsos_json_uint(&j, a->top_bytes);
			clrsos_json_key(&j, "largestFree");
			clrsos_json_uint(&j, a->largest_free);
			clrsos_json_key(&j, "overheadBytes");
			clrsos_json_uint(&j, a->overhead_bytes);
			clrsos_json_key(&j, "fragmentationBasisPoints");
			clrsos_json_uint(&j, clrsos_glibc_fragmentation(a->free_bytes - a->top_bytes, a->in_use_bytes));
			clrsos_json_key(&j, "damage");
			clrsos_json_string(&j, a->damage);
			clrsos_json_key(&j, "damageAddress");
			if (a->damage)
				clrsos_json_address(&j, a->damage_address);
			else
				clrsos_json_null(&j);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	} else {
		clrsos_json_key(&j, "sizes");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < h->nhistogram; i++) {
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "chunkSize");
			clrsos_json_uint(&j, h->histogram[i].size);
			clrsos_json_key(&j, "count");
			clrsos_json_uint(&j, h->histogram[i].count);
			clrsos_json_key(&j, "bytes");
			clrsos_json_uint(&j, h->histogram[i].bytes);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	}
	clrsos_json_key(&j, "totals");
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "systemBytes");
	clrsos_json_uint(&j, h->system_bytes);
	json_arena_counts(&j, "inUse", h->in_use_bytes, h->in_use_chunks);
	json_arena_counts(&j, "free", h->free_bytes, h->free_chunks);
	clrsos_json_key(&j, "tcacheBytes");
	clrsos_json_uint(&j, h->tcache_bytes);
	clrsos_json_key(&j, "fastbinBytes");
	clrsos_json_uint(&j, h->fastbin_bytes);
	clrsos_json_key(&j, "topBytes");
	clrsos_json_uint(&j, h->top_bytes);
	clrsos_json_key(&j, "largestFree");
	clrsos_json_uint(&j, h->largest_free);
	clrsos_json_key(&j, "fragmentationBasisPoints");
	clrsos_json_uint(&j, clrsos_glibc_fragmentation(h->free_bytes - h->top_bytes, h->in_use_bytes));
	json_arena_counts(&j, "mmapped", h->mmapped_bytes, h->mmapped_chunks);
	clrsos_json_object_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_nativeheap(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	bool stat = false, json = false;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("-stat", &stat),
		CLRSOS_FLAG("--json", &json),
	};
	const char *operand;
	struct clrsos_error *err = clrsos_options_parse_operand("nativeheap", table, CLRSOS_OPTION_COUNT(table), 0, host,
								argc, argv, &operand);
	if (err)
		return err;
	clrsos_session_refresh(session);
	struct clrsos_glibc_heap *h;
	if ((err = clrsos_glibc_heap_read(clrsos_session_target(session), clrsos_session_watch(session), &h)))
		return err;
	err = clrsos_glibc_heap_damage_error(h);
	if (json && !err)
		write_json(h, stat, out);
	else if (!json)
		write_text(h, stat, out);
	clrsos_glibc_heap_free(h);
	return err;
}
