/*
 * core/target/unwind.c over the fake target: a module whose image in
 * memory has program headers, an .eh_frame_hdr and an .eh_frame with one
 * FDE ("push rbp" code), unwound by libunwind through clrsos's accessors;
 * code in no module stepped by its frame pointer; the walk's end; the
 * stack return-address scan (model/nativestack.h); ICorDebugDataTarget4's
 * VirtualUnwind on the data target.
 */
#include <elf.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dac/dac_internal.h"
#include "fake_target.h"
#include "model/nativestack.h"
#include "target/unwind.h"
#include "tests.h"

static const uint64_t BASE = 0x7f5500000000ull;  /* the module */
static const uint64_t STACK = 0x7ffd00010000ull; /* the thread's stack */
static const uint64_t JIT = 0x7f4400001000ull;   /* code in no module */
enum {
	IMAGE = 0x2000,
	FUNC = 0x400,       /* the function the FDE covers: [FUNC, FUNC + 0x100) */
	HDR = 0x1000,       /* .eh_frame_hdr */
	EH = 0x1100,        /* .eh_frame */
	CALLER = 0x600,     /* a call in the module (bytes e8 rel32 before it) */
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A module image: ELF header, PT_LOAD of the whole image, PT_GNU_EH_FRAME; one FDE for FUNC. */
static uint8_t *module_image(void)
{
	uint8_t *img = calloc(1, IMAGE);
	assert_non_null(img);
	Elf64_Ehdr eh = {.e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			 .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
			 .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	memcpy(img, &eh, sizeof(eh));
	Elf64_Phdr ph[2] = {
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_filesz = IMAGE, .p_memsz = IMAGE, .p_align = 0x1000},
		{.p_type = PT_GNU_EH_FRAME, .p_flags = PF_R, .p_offset = HDR, .p_vaddr = HDR, .p_filesz = 20,
		 .p_memsz = 20},
	};
	memcpy(img + eh.e_phoff, ph, sizeof(ph));

	/* CIE: version 1, "zR", code align 1, data align -8, return address r16, FDE pointers pcrel|sdata4;
	 * CFA = rsp + 8, return address at CFA - 8. */
	static const uint8_t cie[] = {20, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x1b,
				      0x0c, 7, 8, 0x90, 1, 0, 0};
	memcpy(img + EH, cie, sizeof(cie));
	/* FDE for [FUNC, FUNC + 0x100): after one byte (push rbp) CFA = rsp + 16 and rbp at CFA - 16. */
	uint8_t *fde = img + EH + sizeof(cie);
	put32(fde, 20);
	put32(fde + 4, (uint32_t)(EH + sizeof(cie) + 4 - EH));
	put32(fde + 8, (uint32_t)(FUNC - (EH + sizeof(cie) + 8)));
	put32(fde + 12, 0x100);
	static const uint8_t ins[] = {0, 0x41, 0x0e, 16, 0x86, 2, 0, 0};
	memcpy(fde + 16, ins, sizeof(ins));
	/* (then a zero terminator: the image is zeroed) */

	uint8_t *hdr = img + HDR;
	hdr[0] = 1;
	hdr[1] = 0x1b; /* eh_frame_ptr: pcrel sdata4 */
	hdr[2] = 0x03; /* fde_count: udata4 */
	hdr[3] = 0x3b; /* table: datarel sdata4 */
	put32(hdr + 4, (uint32_t)(EH - (HDR + 4)));
	put32(hdr + 8, 1);
	put32(hdr + 12, (uint32_t)(FUNC - HDR));
	put32(hdr + 16, (uint32_t)(EH + sizeof(cie) - HDR));

	/* A direct call just before CALLER: e8 rel32 to FUNC. */
	img[CALLER - 5] = 0xe8;
	put32(img + CALLER - 4, (uint32_t)(FUNC - CALLER));
	return img;
}

struct fixture {
	struct fake_target fake;
	struct clrsos_target *target;
	struct clrsos_unwinder *u;
};

/*
 * The stack: frame 0 in FUNC after its push rbp (saved rbp = frame 1's
 * frame pointer, then the return address into JIT code); frame 1 in JIT
 * code with a frame pointer chain to a return address into the module
 * (CALLER); the chain ends with a zero return address.
 */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fake_target_init(&fx->fake);
	uint8_t *img = module_image();
	fake_target_add_region(&fx->fake, BASE, img, IMAGE);
	free(img);
	fake_target_add_module(&fx->fake, "libfake.so", "/nonexistent/libfake.so", BASE, NULL, 0);
	uint64_t stack[64];
	memset(stack, 0, sizeof(stack));
	stack[0] = STACK + 0x40;          /* frame 0's saved rbp: frame 1's frame pointer */
	stack[1] = JIT + 0x20;            /* frame 0's return address */
	stack[8] = STACK + 0x100;         /* at frame 1's rbp: the saved rbp */
	stack[9] = BASE + CALLER;         /* and its return address */
	fake_target_add_region(&fx->fake, STACK, stack, sizeof(stack));
	uint8_t jit[0x100];
	memset(jit, 0x90, sizeof(jit));
	fake_target_add_region(&fx->fake, JIT, jit, sizeof(jit));
	struct clrsos_regs regs = {.rip = BASE + FUNC + 0x10, .rsp = STACK, .rbp = 0x1111, .rbx = 0x2222};
	fake_target_add_thread(&fx->fake, 77, &regs);
	fx->target = fake_target_create(&fx->fake);
	assert_null(clrsos_unwinder_create(fx->target, &fx->u));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	clrsos_unwinder_destroy(fx->u);
	clrsos_target_destroy(fx->target);
	fake_target_fini(&fx->fake);
	free(fx);
	return 0;
}

static void test_unwind__module_range_from_program_headers(void **state)
{
	struct fixture *fx = *state;
	assert_true(clrsos_unwind_in_module(fx->u, BASE));
	assert_true(clrsos_unwind_in_module(fx->u, BASE + IMAGE - 1));
	assert_false(clrsos_unwind_in_module(fx->u, BASE + IMAGE));
	assert_false(clrsos_unwind_in_module(fx->u, JIT));
}

static void test_unwind__eh_frame_then_frame_pointer_then_end(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_regs regs = {.rip = BASE + FUNC + 0x10, .rsp = STACK, .rbp = 0x1111, .rbx = 0x2222};
	struct clrsos_unwind_walk *w = malloc(sizeof(*w));
	assert_non_null(w);
	clrsos_unwind_begin(w, fx->u, &regs);
	/* Out of FUNC by its FDE: the return address and saved rbp from the stack. */
	assert_true(clrsos_unwind_step(w));
	assert_int_equal(w->regs.rip, JIT + 0x20);
	assert_int_equal(w->regs.rsp, STACK + 16);
	assert_int_equal(w->regs.rbp, STACK + 0x40);
	assert_int_equal(w->regs.rbx, 0x2222); /* not restored: kept */
	/* Out of JIT code by its frame pointer. */
	assert_true(clrsos_unwind_step(w));
	assert_int_equal(w->regs.rip, BASE + CALLER);
	assert_int_equal(w->regs.rsp, STACK + 0x50);
	assert_int_equal(w->regs.rbp, STACK + 0x100);
	/* CALLER has no FDE and its frame pointer leads to a zero return address: the end. */
	assert_false(clrsos_unwind_step(w));
	free(w);
}

static void test_unwind__virtual_unwind_is_one_step(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_regs regs = {.rip = BASE + FUNC + 0x10, .rsp = STACK, .rbp = 0x1111};
	assert_true(clrsos_unwind_virtual(fx->u, &regs));
	assert_int_equal(regs.rip, JIT + 0x20);
	assert_int_equal(regs.rsp, STACK + 16);
	/* Before the push (FUNC's first byte): CFA = rsp + 8, rbp unchanged. */
	struct clrsos_regs entry = {.rip = BASE + FUNC, .rsp = STACK + 8, .rbp = 0x1111};
	assert_true(clrsos_unwind_virtual(fx->u, &entry));
	assert_int_equal(entry.rip, JIT + 0x20);
	assert_int_equal(entry.rsp, STACK + 16);
	assert_int_equal(entry.rbp, 0x1111);
}

static void test_unwind__frame_pointer_below_sp_stops(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_regs regs = {.rip = JIT + 0x10, .rsp = STACK + 0x80, .rbp = STACK};
	assert_false(clrsos_unwind_virtual(fx->u, &regs));
}

static void test_native_stack_walk__from_thread_registers(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_native_stack_frame *f = NULL;
	size_t n = 0;
	assert_null(clrsos_native_stack_walk(fx->target, fx->u, 77, NULL, 16, &f, &n));
	assert_int_equal(n, 3);
	assert_int_equal(f[0].ip, BASE + FUNC + 0x10);
	assert_true(f[0].in_module);
	assert_int_equal(f[1].ip, JIT + 0x20);
	assert_false(f[1].in_module);
	assert_int_equal(f[2].ip, BASE + CALLER);
	assert_true(f[0].sp < f[1].sp && f[1].sp < f[2].sp);
	free(f);
}

static void test_stack_return_addresses__direct_call_and_callee(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_return_address *ra = NULL;
	size_t n = 0;
	assert_null(clrsos_stack_return_addresses(fx->target, STACK, STACK + 64 * 8, &ra, &n));
	/* Only the word holding BASE + CALLER follows a call (JIT + 0x20 follows nops). */
	assert_int_equal(n, 1);
	assert_int_equal(ra[0].slot, STACK + 9 * 8);
	assert_int_equal(ra[0].ret, BASE + CALLER);
	assert_int_equal(ra[0].callee, BASE + FUNC);
	free(ra);
}

static void test_data_target__virtual_unwind(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_data_target *dt = clrsos_data_target_create(fx->target, BASE);
	assert_non_null(dt);
	void *unwinder = NULL;
	typedef clrsos_hresult (*query_fn)(void *, const struct clrsos_guid *, void **);
	typedef clrsos_hresult (*unwind_fn)(void *, uint32_t, uint32_t, uint8_t *);
	typedef uint32_t (*release_fn)(void *);
	void *target = &dt->target_vtbl;
	assert_int_equal(((query_fn)dt->target_vtbl[0])(target, &CLRSOS_IID_ICorDebugDataTarget4, &unwinder), 0);
	assert_non_null(unwinder);
	uint8_t ctx[0x4d0];
	struct clrsos_regs regs = {.rip = BASE + FUNC + 0x10, .rsp = STACK, .rbp = 0x1111, .rbx = 0x2222};
	clrsos_context_from_regs(&regs, 0x10000b, ctx, sizeof(ctx));
	void *const *vt = *(void *const **)unwinder;
	assert_int_equal(((unwind_fn)vt[3])(unwinder, 77, sizeof(ctx), ctx), 0);
	struct clrsos_regs out;
	clrsos_regs_from_context(ctx, &out);
	assert_int_equal(out.rip, JIT + 0x20);
	assert_int_equal(out.rsp, STACK + 16);
	assert_int_equal(out.rbp, STACK + 0x40);
	assert_int_equal(out.rbx, 0x2222);
	/* JIT code whose frame pointer leads nowhere: a failure, the context left alone. */
	struct clrsos_regs bad = {.rip = JIT, .rsp = STACK + 0x80, .rbp = STACK};
	clrsos_context_from_regs(&bad, 0x10000b, ctx, sizeof(ctx));
	assert_true(((unwind_fn)vt[3])(unwinder, 77, sizeof(ctx), ctx) < 0);
	((release_fn)vt[2])(unwinder);
	clrsos_data_target_release(dt);
}

int run_unwind_tests(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_unwind__module_range_from_program_headers),
		T(test_unwind__eh_frame_then_frame_pointer_then_end),
		T(test_unwind__virtual_unwind_is_one_step),
		T(test_unwind__frame_pointer_below_sp_stops),
		T(test_native_stack_walk__from_thread_registers),
		T(test_stack_return_addresses__direct_call_and_callee),
		T(test_data_target__virtual_unwind),
	};
#undef T
	return cmocka_run_group_tests_name("unwind", tests, NULL, NULL);
}
