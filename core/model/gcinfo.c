/*
 * GcInfo decoding (x64). The format is the runtime's: a bit stream read
 * least significant bit first; variable-length numbers in chunks of
 * base+1 bits whose top bit says "more"; a slim or fat header, the
 * safepoint offsets, the interruptible ranges (as deltas), the slot table,
 * per-safepoint live states, then per-64-offset chunks of lifetime
 * transitions for the interruptible code. Every read is bounds-checked: a
 * bad blob is an error naming the bit, never a read past the buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "model/gcinfo.h"

/* x64 encoding constants (the runtime's AMD64GcInfoEncoding). */
enum {
	FLAGS_BITS = 10,
	RETURN_KIND_SLIM_BITS = 2,
	RETURN_KIND_FAT_BITS = 4,
	CODE_LENGTH_BASE = 8,
	PROLOG_BASE = 5,
	EPILOG_BASE = 3,
	STACK_SLOT_SLOT_BASE = 6, /* GS cookie, PSP sym, generics context, reverse P/Invoke frame */
	STACK_BASE_REG_BASE = 3,
	STACK_AREA_BASE = 3,
	ENC_AREA_BASE = 4,
	NUM_REGISTERS_BASE = 2,
	NUM_STACK_SLOTS_BASE = 2,
	NUM_UNTRACKED_BASE = 1,
	RANGE_DELTA1_BASE = 6,
	RANGE_DELTA2_BASE = 6,
	REGISTER_BASE = 3,
	REGISTER_DELTA_BASE = 2,
	STACK_SLOT_BASE = 6,
	STACK_SLOT_DELTA_BASE = 4,
	NUM_SAFEPOINTS_BASE = 2,
	NUM_RANGES_BASE = 1,
	POINTER_SIZE_BASE = 3,
	RLE_RUN_BASE = 2,
	RLE_SKIP_BASE = 4,
	CHUNK_OFFSETS = 64,
	CHUNK_OFFSETS_LOG2 = 6,
};

/* Header flag bits. */
enum {
	HF_VARARG = 0x1,
	HF_GS_COOKIE = 0x4,
	HF_PSP_SYM = 0x8,
	HF_GENERICS_MASK = 0x30,
	HF_STACK_BASE_REGISTER = 0x40,
	HF_REPORT_ONLY_LEAF = 0x80,
	HF_ENC = 0x100,
	HF_REVERSE_PINVOKE = 0x200,
};

/* Sanity limits: far beyond what the JIT writes, small enough to allocate. */
enum { MAX_COUNT = 1 << 20, MAX_CODE_LENGTH = 1 << 24, MAX_LIVE_STATES = 1 << 24 };

struct clrsos_gcinfo_chunk_slot {
	uint32_t slot;
	uint64_t live; /* bit i: live at offset i of the chunk */
};

struct bits {
	const uint8_t *buf;
	size_t nbits, pos;
	bool failed;
	size_t fail_pos;
	const char *why;
};

static void fail(struct bits *b, const char *why)
{
	if (!b->failed) {
		b->failed = true;
		b->fail_pos = b->pos;
		b->why = why;
	}
}

static uint64_t rd(struct bits *b, unsigned n)
{
	if (b->failed)
		return 0;
	if (n > 64 || n > b->nbits || b->pos > b->nbits - n) {
		fail(b, "truncated");
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < n;) {
		size_t p = b->pos + i;
		unsigned take = 8 - (unsigned)(p & 7);
		if (take > n - i)
			take = n - i;
		uint64_t byte = (uint64_t)(b->buf[p >> 3] >> (p & 7)) & ((1u << take) - 1);
		v |= byte << i;
		i += take;
	}
	b->pos += n;
	return v;
}

static void seek(struct bits *b, size_t pos)
{
	if (b->failed)
		return;
	if (pos > b->nbits) {
		b->pos = b->nbits;
		fail(b, "offset past the end");
		return;
	}
	b->pos = pos;
}

static uint64_t varu(struct bits *b, unsigned base)
{
	uint64_t v = 0;
	for (unsigned shift = 0;; shift += base) {
		uint64_t chunk = rd(b, base + 1);
		if (b->failed)
			return 0;
		if (shift >= 64) {
			fail(b, "number too long");
			return 0;
		}
		v |= (chunk & ((1u << base) - 1)) << shift;
		if (!(chunk >> base))
			return v;
	}
}

static int64_t vars(struct bits *b, unsigned base)
{
	uint64_t v = 0;
	for (unsigned shift = 0;; shift += base) {
		uint64_t chunk = rd(b, base + 1);
		if (b->failed)
			return 0;
		if (shift + base > 63) {
			fail(b, "number too long");
			return 0;
		}
		v |= (chunk & ((1u << base) - 1)) << shift;
		if (!(chunk >> base)) {
			unsigned used = shift + base;
			if (v & ((uint64_t)1 << (used - 1)))
				v |= ~(uint64_t)0 << used;
			return (int64_t)v;
		}
	}
}

static int32_t slot_offset(struct bits *b, unsigned base)
{
	int64_t v = vars(b, base);
	if (v < INT32_MIN / 8 || v > INT32_MAX / 8) {
		fail(b, "stack offset out of range");
		return 0;
	}
	return (int32_t)(v * 8);
}

static uint32_t count(struct bits *b, unsigned base, uint64_t limit)
{
	uint64_t v = varu(b, base);
	if (v > limit) {
		fail(b, "count out of range");
		return 0;
	}
	return (uint32_t)v;
}

/* The runtime's CeilOfLog2: bits to hold offsets below x. */
static unsigned ceil_log2(uint32_t x)
{
	if (x <= 1)
		return 0;
	uint64_t y = ((uint64_t)x << 1) - 1;
	unsigned r = 0;
	while (y >>= 1)
		r++;
	return r;
}

uint32_t clrsos_gcinfo_version_for_runtime(unsigned major)
{
	if (major >= 11)
		return 5;
	if (major >= 10)
		return 4;
	return 3;
}

const char *clrsos_gcinfo_register_name(uint32_t reg)
{
	static const char *const names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	return reg < 16 ? names[reg] : "???";
}

static void decode_header(struct bits *b, struct clrsos_gcinfo *gi)
{
	gi->slim_header = rd(b, 1) == 0;
	if (gi->slim_header) {
		if (rd(b, 1)) {
			gi->header_flags = HF_STACK_BASE_REGISTER;
			gi->has_frame_register = true;
			gi->frame_register = 5; /* rbp */
		}
		if (gi->version < 4) {
			gi->has_return_kind = true;
			gi->return_kind = (uint32_t)rd(b, RETURN_KIND_SLIM_BITS);
		}
		gi->code_length = count(b, CODE_LENGTH_BASE, UINT32_MAX);
		return;
	}
	uint32_t f = gi->header_flags = (uint32_t)rd(b, FLAGS_BITS);
	if (gi->version < 4) {
		gi->has_return_kind = true;
		gi->return_kind = (uint32_t)rd(b, RETURN_KIND_FAT_BITS);
	}
	gi->varargs = f & HF_VARARG;
	gi->wants_report_only_leaf = f & HF_REPORT_ONLY_LEAF;
	gi->code_length = count(b, CODE_LENGTH_BASE, UINT32_MAX);
	gi->generics = (uint8_t)((f & HF_GENERICS_MASK) >> 4);
	if (f & HF_GS_COOKIE) {
		uint32_t prolog = count(b, PROLOG_BASE, UINT32_MAX - 1) + 1;
		uint32_t epilog = count(b, EPILOG_BASE, UINT32_MAX);
		gi->valid_range_start = prolog;
		gi->valid_range_end = gi->code_length - epilog;
	} else if (gi->generics) {
		gi->valid_range_start = count(b, PROLOG_BASE, UINT32_MAX - 1) + 1;
		gi->valid_range_end = gi->valid_range_start + 1;
	}
	gi->prolog_size = gi->valid_range_start;
	if (f & HF_GS_COOKIE) {
		gi->has_gs_cookie = true;
		gi->gs_cookie = slot_offset(b, STACK_SLOT_SLOT_BASE);
	}
	if (gi->version < 4 && (f & HF_PSP_SYM)) {
		gi->has_psp_sym = true;
		gi->psp_sym = slot_offset(b, STACK_SLOT_SLOT_BASE);
	}
	if (gi->generics)
		gi->generics_context = slot_offset(b, STACK_SLOT_SLOT_BASE);
	if (f & HF_STACK_BASE_REGISTER) {
		gi->has_frame_register = true;
		gi->frame_register = count(b, STACK_BASE_REG_BASE, 15) ^ 5;
	}
	if (f & HF_ENC) {
		gi->has_enc_area = true;
		gi->enc_area = count(b, ENC_AREA_BASE, UINT32_MAX);
	}
	if (f & HF_REVERSE_PINVOKE) {
		gi->has_reverse_pinvoke = true;
		gi->reverse_pinvoke = slot_offset(b, STACK_SLOT_SLOT_BASE);
	}
	gi->stack_parameter_area = count(b, STACK_AREA_BASE, UINT32_MAX / 8) * 8;
}

/* One run of slot descriptors: registers, tracked stack slots or untracked ones. */
static void decode_slots(struct bits *b, struct clrsos_gcinfo_slot *s, uint32_t n, bool is_register,
			 bool untracked)
{
	uint32_t norm = 0;
	uint8_t flags = 0;
	for (uint32_t i = 0; i < n && !b->failed; i++) {
		s[i].is_register = is_register;
		s[i].untracked = untracked;
		if (!is_register)
			s[i].base = (uint8_t)rd(b, 2);
		if (i == 0 || flags) {
			if (is_register) {
				norm = count(b, REGISTER_BASE, UINT32_MAX);
			} else {
				int64_t v = vars(b, STACK_SLOT_BASE);
				if (v < INT32_MIN / 8 || v > INT32_MAX / 8)
					fail(b, "stack offset out of range");
				norm = (uint32_t)(int32_t)v;
			}
			flags = (uint8_t)rd(b, 2);
		} else {
			norm += (uint32_t)varu(b, is_register ? REGISTER_DELTA_BASE : STACK_SLOT_DELTA_BASE) +
				(is_register ? 1 : 0);
		}
		s[i].flags = flags & (CLRSOS_GCINFO_INTERIOR | CLRSOS_GCINFO_PINNED);
		if (is_register) {
			s[i].reg = norm;
		} else {
			int64_t off = (int64_t)(int32_t)norm * 8;
			if (off < INT32_MIN || off > INT32_MAX)
				fail(b, "stack offset out of range");
			s[i].offset = (int32_t)off;
		}
	}
}

/*
 * A set of slots in its run-length form (after a 1 bit) or as one bit per
 * slot: which of n slots it names, into sel (0/1 bytes); how many.
 */
static uint32_t decode_slot_set(struct bits *b, uint32_t n, uint8_t *sel)
{
	uint32_t named = 0;
	memset(sel, 0, n);
	if (!rd(b, 1)) {
		for (uint32_t i = 0; i < n && !b->failed; i++)
			if ((sel[i] = (uint8_t)rd(b, 1)))
				named++;
		return named;
	}
	bool skip_first = rd(b, 1) == 0;
	unsigned quiet = skip_first ? RLE_SKIP_BASE : RLE_RUN_BASE;
	unsigned loud = skip_first ? RLE_RUN_BASE : RLE_SKIP_BASE;
	uint64_t at = varu(b, quiet);
	bool on = true;
	while (at < n && !b->failed) {
		uint64_t k = varu(b, on ? loud : quiet) + 1;
		if (k > n - at) {
			fail(b, "slot run past the slot table");
			break;
		}
		if (on) {
			memset(sel + at, 1, (size_t)k);
			named += (uint32_t)k;
		}
		at += k;
		on = !on;
	}
	return named;
}

static struct clrsos_error *bits_error(const struct bits *b)
{
	return clrsos_error_create(CLRSOS_ERROR_OTHER,
				   "bad GC info: %s at bit %zu of %zu: the bytes are not this runtime's GC info",
				   b->why, b->fail_pos, b->nbits);
}

void clrsos_gcinfo_deinit(struct clrsos_gcinfo *gi)
{
	if (!gi)
		return;
	free(gi->safepoints);
	free(gi->ranges);
	free(gi->slots);
	free(gi->safepoint_live);
	free(gi->chunk_first);
	free(gi->chunk_count);
	free(gi->chunk_slots);
	memset(gi, 0, sizeof(*gi));
}

static void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* The chunks of transitions over the interruptible code. */
static struct clrsos_error *decode_chunks(struct bits *b, struct clrsos_gcinfo *gi, uint32_t ilength)
{
	uint32_t ntracked = (uint32_t)gi->ntracked;
	uint32_t nchunks = (ilength + CHUNK_OFFSETS - 1) / CHUNK_OFFSETS;
	unsigned ptr_bits = (unsigned)count(b, POINTER_SIZE_BASE, 64);
	gi->nchunks = nchunks;
	gi->chunk_first = zalloc(nchunks, sizeof(uint32_t));
	gi->chunk_count = zalloc(nchunks, sizeof(uint32_t));
	uint8_t *sel = zalloc(ntracked, 1);
	if (!gi->chunk_first || !gi->chunk_count || !sel) {
		free(sel);
		return &clrsos_error_no_memory;
	}
	for (uint32_t c = 0; c < nchunks; c++)
		gi->chunk_count[c] = UINT32_MAX;
	if (b->failed || !ptr_bits) {
		free(sel);
		return b->failed ? bits_error(b) : NULL;
	}
	size_t table = b->pos;
	if ((uint64_t)nchunks * ptr_bits > b->nbits - table) {
		b->pos = b->nbits;
		fail(b, "chunk table truncated");
		free(sel);
		return bits_error(b);
	}
	size_t chunks_start = (table + (size_t)nchunks * ptr_bits + 7) & ~(size_t)7;
	size_t cap = 0;
	for (uint32_t c = 0; c < nchunks && !b->failed; c++) {
		seek(b, table + (size_t)c * ptr_bits);
		uint64_t ptr = rd(b, ptr_bits);
		if (!ptr || b->failed)
			continue;
		if (ptr - 1 > b->nbits - chunks_start) {
			fail(b, "chunk pointer past the end");
			break;
		}
		seek(b, chunks_start + (size_t)(ptr - 1));
		uint32_t n = decode_slot_set(b, ntracked, sel);
		if (b->failed)
			break;
		if (gi->nchunk_slots + n > cap) {
			size_t ncap = (gi->nchunk_slots + n) * 2 + 16;
			struct clrsos_gcinfo_chunk_slot *p = realloc(gi->chunk_slots, ncap * sizeof(*p));
			if (!p) {
				free(sel);
				return &clrsos_error_no_memory;
			}
			gi->chunk_slots = p;
			cap = ncap;
		}
		size_t finals = b->pos;
		seek(b, finals + n);
		gi->chunk_first[c] = (uint32_t)gi->nchunk_slots;
		gi->chunk_count[c] = n;
		uint32_t k = 0;
		for (uint32_t s = 0; s < ntracked && !b->failed; s++) {
			if (!sel[s])
				continue;
			size_t here = b->pos;
			seek(b, finals + k);
			uint64_t live = rd(b, 1) ? ~(uint64_t)0 : 0;
			seek(b, here);
			/* Each transition at t flips the state of every offset before it. */
			while (rd(b, 1) && !b->failed) {
				unsigned t = (unsigned)rd(b, CHUNK_OFFSETS_LOG2);
				live ^= t ? (~(uint64_t)0 >> (64 - t)) : 0;
			}
			gi->chunk_slots[gi->nchunk_slots++] = (struct clrsos_gcinfo_chunk_slot){.slot = s, .live = live};
			k++;
		}
	}
	free(sel);
	return b->failed ? bits_error(b) : NULL;
}

struct clrsos_error *clrsos_gcinfo_decode(const uint8_t *bytes, size_t size, uint32_t version,
					  struct clrsos_gcinfo *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (version < 2 || version > 5)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "GC info version %u is not supported (2 to 5)",
					   version);
	if (size > SIZE_MAX / 8)
		size = SIZE_MAX / 8;
	struct bits b = {.buf = bytes, .nbits = size * 8};
	struct clrsos_gcinfo *gi = ret;
	struct clrsos_error *err = NULL;
	gi->version = version;
	decode_header(&b, gi);
	uint32_t nsafe = count(&b, NUM_SAFEPOINTS_BASE, MAX_COUNT);
	uint32_t nranges = gi->slim_header ? 0 : count(&b, NUM_RANGES_BASE, MAX_COUNT);
	if (b.failed)
		goto bad;
	if (gi->code_length > MAX_CODE_LENGTH) {
		fail(&b, "code length out of range");
		goto bad;
	}
	if (nsafe > gi->code_length + 1u || nranges > gi->code_length) {
		fail(&b, "more safepoints or ranges than code");
		goto bad;
	}
	gi->nsafepoints = nsafe;
	gi->nranges = nranges;
	gi->safepoints = zalloc(nsafe, sizeof(uint32_t));
	gi->ranges = zalloc(nranges, sizeof(*gi->ranges));
	if (!gi->safepoints || !gi->ranges)
		goto oom;
	unsigned off_bits = ceil_log2(gi->code_length);
	for (uint32_t i = 0; i < nsafe; i++)
		gi->safepoints[i] = (uint32_t)rd(&b, off_bits);
	uint64_t last = 0, ilength = 0;
	for (uint32_t i = 0; i < nranges && !b.failed; i++) {
		uint64_t start = last + varu(&b, RANGE_DELTA1_BASE);
		uint64_t stop = start + varu(&b, RANGE_DELTA2_BASE) + 1;
		if (stop > gi->code_length) {
			fail(&b, "interruptible range past the code");
			break;
		}
		gi->ranges[i] = (struct clrsos_gcinfo_range){(uint32_t)start, (uint32_t)stop};
		ilength += stop - start;
		last = stop;
	}
	/* The slot table. */
	uint32_t nregs = 0, nstack = 0, nuntracked = 0;
	if (rd(&b, 1))
		nregs = count(&b, NUM_REGISTERS_BASE, MAX_COUNT);
	if (rd(&b, 1)) {
		nstack = count(&b, NUM_STACK_SLOTS_BASE, MAX_COUNT);
		nuntracked = count(&b, NUM_UNTRACKED_BASE, MAX_COUNT);
	}
	if (b.failed)
		goto bad;
	if ((uint64_t)nregs + nstack + nuntracked > b.nbits - b.pos) {
		fail(&b, "more slots than bits left");
		goto bad;
	}
	gi->nslots = (size_t)nregs + nstack + nuntracked;
	gi->ntracked = (size_t)nregs + nstack;
	gi->slots = zalloc(gi->nslots, sizeof(*gi->slots));
	if (!gi->slots)
		goto oom;
	decode_slots(&b, gi->slots, nregs, true, false);
	decode_slots(&b, gi->slots + nregs, nstack, false, false);
	decode_slots(&b, gi->slots + nregs + nstack, nuntracked, false, true);
	if (b.failed)
		goto bad;
	gi->bits = b.pos;
	uint32_t ntracked = (uint32_t)gi->ntracked;
	if (!ntracked)
		return NULL;
	/* Live states at safepoints: a bit vector each, or an indirect table of shared ones. */
	if ((uint64_t)nsafe * ntracked > MAX_LIVE_STATES) {
		fail(&b, "live state table too large");
		goto bad;
	}
	gi->safepoint_live = zalloc((size_t)nsafe * ntracked, 1);
	if (!gi->safepoint_live)
		goto oom;
	if (nsafe) {
		if (rd(&b, 1)) {
			unsigned ptr_bits = (unsigned)count(&b, POINTER_SIZE_BASE, 63) + 1;
			size_t table = b.pos;
			if (b.failed)
				goto bad;
			if ((uint64_t)nsafe * ptr_bits > b.nbits - table) {
				b.pos = b.nbits;
				fail(&b, "live state table truncated");
				goto bad;
			}
			size_t states = (table + (size_t)nsafe * ptr_bits + 7) & ~(size_t)7;
			size_t end = states;
			for (uint32_t i = 0; i < nsafe && !b.failed; i++) {
				seek(&b, table + (size_t)i * ptr_bits);
				uint64_t at = rd(&b, ptr_bits);
				if (at > b.nbits - states) {
					fail(&b, "live state past the end");
					break;
				}
				seek(&b, states + (size_t)at);
				decode_slot_set(&b, ntracked, gi->safepoint_live + (size_t)i * ntracked);
				if (b.pos > end)
					end = b.pos;
			}
			if (b.failed)
				goto bad;
			gi->bits = end;
			if (nranges) {
				/* The runtime's decoder has no way past this table to the chunks. */
				fail(&b, "indirect live states with interruptible ranges");
				goto bad;
			}
			return NULL;
		}
		for (size_t i = 0; i < (size_t)nsafe * ntracked && !b.failed; i++)
			gi->safepoint_live[i] = (uint8_t)rd(&b, 1);
	}
	if (b.failed)
		goto bad;
	gi->bits = b.pos;
	if (nranges) {
		if ((err = decode_chunks(&b, gi, (uint32_t)ilength)))
			goto out;
		gi->bits = b.pos;
	}
	return NULL;
bad:
	err = bits_error(&b);
	goto out;
oom:
	err = &clrsos_error_no_memory;
out:
	clrsos_gcinfo_deinit(gi);
	return err;
}

bool clrsos_gcinfo_interruptible_at(const struct clrsos_gcinfo *gi, uint32_t offset)
{
	for (size_t i = 0; i < gi->nranges; i++)
		if (offset >= gi->ranges[i].start && offset < gi->ranges[i].stop)
			return true;
	return false;
}

long clrsos_gcinfo_safepoint_at(const struct clrsos_gcinfo *gi, uint32_t offset)
{
	size_t lo = 0, hi = gi->nsafepoints;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (gi->safepoints[mid] == offset)
			return (long)mid;
		if (gi->safepoints[mid] < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void clrsos_gcinfo_live_at(const struct clrsos_gcinfo *gi, uint32_t offset, uint8_t *live)
{
	memset(live, 0, gi->ntracked);
	long sp = clrsos_gcinfo_safepoint_at(gi, offset);
	if (sp >= 0 && gi->safepoint_live) {
		memcpy(live, gi->safepoint_live + (size_t)sp * gi->ntracked, gi->ntracked);
		return;
	}
	if (!gi->nchunks)
		return;
	uint64_t pseudo = 0;
	bool found = false;
	for (size_t i = 0; i < gi->nranges; i++) {
		const struct clrsos_gcinfo_range *r = &gi->ranges[i];
		if (offset >= r->start && offset < r->stop) {
			pseudo += offset - r->start;
			found = true;
			break;
		}
		pseudo += r->stop - r->start;
	}
	if (!found)
		return;
	uint32_t chunk = (uint32_t)(pseudo / CHUNK_OFFSETS), at = (uint32_t)(pseudo % CHUNK_OFFSETS);
	if (chunk >= gi->nchunks)
		return;
	/* A chunk without data keeps the state an earlier chunk ended in. */
	uint32_t c = chunk;
	while (gi->chunk_count[c] == UINT32_MAX) {
		if (c == 0)
			return;
		c--;
	}
	unsigned bit = c == chunk ? at : CHUNK_OFFSETS - 1;
	for (uint32_t k = 0; k < gi->chunk_count[c]; k++) {
		const struct clrsos_gcinfo_chunk_slot *s = &gi->chunk_slots[gi->chunk_first[c] + k];
		if (s->slot < gi->ntracked)
			live[s->slot] = (uint8_t)((s->live >> bit) & 1);
	}
}

struct events {
	struct clrsos_gcinfo_event *v;
	size_t n, cap;
};

static bool push(struct events *e, struct clrsos_gcinfo_event ev)
{
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 64;
		struct clrsos_gcinfo_event *p = realloc(e->v, ncap * sizeof(*p));
		if (!p)
			return false;
		e->v = p;
		e->cap = ncap;
	}
	e->v[e->n++] = ev;
	return true;
}

struct clrsos_error *clrsos_gcinfo_transitions(const struct clrsos_gcinfo *gi, struct clrsos_gcinfo_event **ret,
					       size_t *ret_count)
{
	struct events e = {0};
	size_t nt = gi->ntracked;
	uint8_t *prev = zalloc(nt, 1), *cur = zalloc(nt, 1);
	bool ok = prev && cur;
	for (size_t s = gi->nslots; ok && s-- > nt;)
		ok = push(&e, (struct clrsos_gcinfo_event){.kind = CLRSOS_GCINFO_UNTRACKED, .live = true,
							   .offset = UINT32_MAX - 1, .slot = (uint32_t)s});
	bool was_interruptible = false;
	for (uint64_t o = 0; ok && o <= gi->code_length; o++) {
		uint32_t off = (uint32_t)o;
		bool inter = clrsos_gcinfo_interruptible_at(gi, off);
		if (inter != was_interruptible) {
			ok = push(&e, (struct clrsos_gcinfo_event){.kind = CLRSOS_GCINFO_INTERRUPTIBLE, .live = inter,
								   .offset = off});
			was_interruptible = inter;
		}
		bool safepoint = clrsos_gcinfo_safepoint_at(gi, off) >= 0;
		if (ok && safepoint)
			ok = push(&e, (struct clrsos_gcinfo_event){.kind = CLRSOS_GCINFO_SAFEPOINT, .live = true,
								   .offset = gi->version < 4 ? off + 1 : off});
		if (safepoint || inter)
			clrsos_gcinfo_live_at(gi, off, cur);
		else
			memset(cur, 0, nt);
		for (size_t s = nt; ok && s-- > 0;)
			if (prev[s] && !cur[s])
				ok = push(&e, (struct clrsos_gcinfo_event){.kind = CLRSOS_GCINFO_SLOT, .live = false,
									   .offset = off, .slot = (uint32_t)s});
		for (size_t s = nt; ok && s-- > 0;)
			if (!prev[s] && cur[s])
				ok = push(&e, (struct clrsos_gcinfo_event){.kind = CLRSOS_GCINFO_SLOT, .live = true,
									   .offset = off, .slot = (uint32_t)s});
		uint8_t *t = prev;
		prev = cur;
		cur = t;
	}
	free(prev);
	free(cur);
	if (!ok) {
		free(e.v);
		return &clrsos_error_no_memory;
	}
	*ret = e.v;
	*ret_count = e.n;
	return NULL;
}
