/* A thread's stack unwound by clrsos, native and managed frames alike. */
#include <stdlib.h>
#include <string.h>

#include "model/nativestack.h"
#include "target/unwind.h"

/* The runtime's managed frame at (ip, sp), or -1. */
static long managed_frame_at(const struct clrsos_managed_stack *m, uint64_t ip, uint64_t sp)
{
	for (size_t i = 0; m && i < m->count; i++)
		if (!m->frames[i].frame && m->frames[i].ip == ip && m->frames[i].sp == sp)
			return (long)i;
	return -1;
}

struct clrsos_error *clrsos_native_stack_walk(struct clrsos_target *target, struct clrsos_unwinder *u,
					      uint32_t os_id, const struct clrsos_managed_stack *managed, size_t max,
					      struct clrsos_native_stack_frame **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	struct clrsos_regs regs;
	struct clrsos_error *err = clrsos_target_registers(target, os_id, &regs);
	if (err)
		return err;
	struct clrsos_native_stack_frame *frames = calloc(max ? max : 1, sizeof(*frames));
	if (!frames)
		return &clrsos_error_no_memory;
	struct clrsos_unwind_walk *w = malloc(sizeof(*w));
	if (!w) {
		free(frames);
		return &clrsos_error_no_memory;
	}
	clrsos_unwind_begin(w, u, &regs);
	size_t n = 0;
	while (n < max) {
		uint64_t ip = w->regs.rip, sp = w->regs.rsp;
		bool in_module = clrsos_unwind_in_module(u, ip);
		frames[n++] = (struct clrsos_native_stack_frame){.sp = sp, .ip = ip, .in_module = in_module};
		long k = in_module ? -1 : managed_frame_at(managed, ip, sp);
		/* Managed code: the runtime's registers for it are the right ones to step from. */
		if (k >= 0)
			clrsos_unwind_reset(w, &managed->frames[k].regs);
		if (clrsos_unwind_step(w))
			continue;
		/* The frame pointer did not lead on: the runtime's next managed frame, if it has one. */
		size_t next = (size_t)(k + 1);
		while (k >= 0 && next < managed->count && managed->frames[next].frame)
			next++;
		if (k < 0 || next >= managed->count || managed->frames[next].sp <= sp)
			break;
		clrsos_unwind_reset(w, &managed->frames[next].regs);
	}
	free(w);
	*ret = frames;
	*ret_count = n;
	return NULL;
}

/* Past jmp rel8 / jmp rel32 chains from ip (a call's target may be a thunk). */
static uint64_t follow_jumps(struct clrsos_target *t, uint64_t ip)
{
	for (int hops = 0; hops < 16; hops++) {
		uint8_t b[5];
		struct clrsos_error *err = clrsos_target_read(t, ip, b, sizeof(b));
		if (err) {
			clrsos_error_destroy(err);
			break;
		}
		if (b[0] == 0xeb) {
			ip += 2 + (int8_t)b[1];
		} else if (b[0] == 0xe9) {
			int32_t rel;
			memcpy(&rel, b + 1, 4);
			ip += 5 + (int64_t)rel;
		} else {
			break;
		}
	}
	return ip;
}

static bool readable(struct clrsos_target *t, uint64_t address)
{
	uint64_t v;
	struct clrsos_error *err = clrsos_target_read(t, address, &v, sizeof(v));
	clrsos_error_destroy(err);
	return !err;
}

/* The callee of the call ending at ret, CLRSOS_CALLEE_INDIRECT, or 0 (no call there). */
static uint64_t call_before(struct clrsos_target *t, uint64_t ret)
{
	uint8_t c[7]; /* c[7 - k] is the byte k before ret */
	if (ret < 0x10000)
		return 0;
	struct clrsos_error *err = clrsos_target_read(t, ret - sizeof(c), c, sizeof(c));
	if (err) {
		clrsos_error_destroy(err);
		return 0;
	}
#define BEFORE(k) c[7 - (k)]
	int32_t rel;
	memcpy(&rel, c + 3, 4);
	if (BEFORE(5) == 0xe8) { /* call rel32 */
		uint64_t target = ret + (int64_t)rel;
		if (readable(t, target))
			return follow_jumps(t, target);
	}
	if (BEFORE(6) == 0xff && BEFORE(5) == 0x15) { /* call [rip + rel32] */
		uint64_t target;
		err = clrsos_target_read(t, ret + (int64_t)rel, &target, sizeof(target));
		if (!err && readable(t, target))
			return follow_jumps(t, target);
		clrsos_error_destroy(err);
	}
	/* call [reg + disp8], [sib + disp8], [reg + disp32], [sib + disp32], [reg], reg */
	if ((BEFORE(3) == 0xff && (BEFORE(2) & 0xf8) == 0x50 && (BEFORE(2) & 7) != 4) ||
	    (BEFORE(4) == 0xff && BEFORE(3) == 0x54) ||
	    (BEFORE(6) == 0xff && (BEFORE(5) & 0xf8) == 0x90 && (BEFORE(5) & 7) != 4) ||
	    (BEFORE(7) == 0xff && BEFORE(6) == 0x94) ||
	    (BEFORE(2) == 0xff && (BEFORE(1) & 0xf8) == 0x10 && (BEFORE(1) & 7) != 4 && (BEFORE(1) & 7) != 5) ||
	    (BEFORE(2) == 0xff && (BEFORE(1) & 0xf8) == 0xd0 && (BEFORE(1) & 7) != 4))
		return CLRSOS_CALLEE_INDIRECT;
#undef BEFORE
	return 0;
}

struct clrsos_error *clrsos_stack_return_addresses(struct clrsos_target *target, uint64_t start, uint64_t end,
						   struct clrsos_return_address **ret, size_t *ret_count)
{
	enum { CHUNK = 64 * 1024 };
	*ret = NULL;
	*ret_count = 0;
	start &= ~(uint64_t)7;
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return &clrsos_error_no_memory;
	size_t n = 0, cap = 0;
	struct clrsos_return_address *out = NULL;
	struct clrsos_error *err = NULL;
	for (uint64_t at = start; at < end && !err;) {
		size_t want = end - at < CHUNK ? (size_t)(end - at) : CHUNK, got = 0;
		struct clrsos_error *e = clrsos_target_read_partial(target, at, buf, want, &got);
		if (e) {
			clrsos_error_destroy(e);
			break; /* the stack's memory ends here */
		}
		got &= ~(size_t)7;
		for (size_t i = 0; i < got; i += 8) {
			uint64_t value;
			memcpy(&value, buf + i, 8);
			uint64_t callee = call_before(target, value);
			if (!callee)
				continue;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct clrsos_return_address *grown = realloc(out, ncap * sizeof(*out));
				if (!grown) {
					err = &clrsos_error_no_memory;
					break;
				}
				out = grown;
				cap = ncap;
			}
			out[n++] = (struct clrsos_return_address){.slot = at + i, .ret = value, .callee = callee};
		}
		if (!got || got < want)
			break;
		at += got;
	}
	free(buf);
	if (err) {
		free(out);
		return err;
	}
	*ret = out;
	*ret_count = n;
	return NULL;
}
