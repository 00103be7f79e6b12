/*
 * Native unwinding with libunwind's remote API: accessors of our own read
 * memory through the target and find each module's .eh_frame_hdr from the
 * program headers of its image in memory (a core's read-only pages come
 * from the module's file when the core lacks them).
 */
#include <stdlib.h>
#include <string.h>

#include <libunwind.h>

#include "target/unwind.h"

_Static_assert(sizeof(unw_cursor_t) <= sizeof(((struct clrsos_unwind_walk *)0)->cursor),
	       "clrsos_unwind_walk holds an unw_cursor_t");

/* libunwind's x86-64 search of a remote .eh_frame_hdr table (exported, not declared). */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
					      unw_proc_info_t *pi, int need_unwind_info, void *arg);

enum {
	PT_LOAD_TYPE = 1,
	PT_GNU_EH_FRAME_TYPE = 0x6474e550,
	DW_EH_PE_UDATA4 = 0x03,
	DW_EH_PE_SDATA4 = 0x0b,
	DW_EH_PE_PCREL = 0x10,
	DW_EH_PE_DATAREL = 0x30,
	MAX_FRAME_BYTES = 16 << 20, /* a frame-pointer step farther than this is not believed */
};

struct unwind_module {
	uint64_t start, end;  /* the mapped image's code and data */
	uint64_t eh_frame_hdr; /* 0: none */
};

struct clrsos_unwinder {
	struct clrsos_target *target;
	unw_addr_space_t as;
	struct unwind_module *modules;
	size_t count;
	struct clrsos_unwind_walk *walk; /* the walk whose registers libunwind reads now */
};

/* The image of the module at base, from its ELF and program headers in the target. */
static bool module_layout(struct clrsos_target *t, uint64_t base, struct unwind_module *m)
{
	uint8_t eh[64];
	struct clrsos_error *err = clrsos_target_read(t, base, eh, sizeof(eh));
	if (err || memcmp(eh, "\177ELF", 4) || eh[4] != 2) {
		clrsos_error_destroy(err);
		return false;
	}
	uint64_t phoff;
	uint16_t phentsize, phnum;
	memcpy(&phoff, eh + 0x20, 8);
	memcpy(&phentsize, eh + 0x36, 2);
	memcpy(&phnum, eh + 0x38, 2);
	if (phentsize < 56 || !phnum || phnum > 256)
		return false;
	uint64_t lo = UINT64_MAX, hi = 0, eh_frame = 0;
	for (uint16_t i = 0; i < phnum; i++) {
		uint8_t ph[56];
		if ((err = clrsos_target_read(t, base + phoff + (uint64_t)i * phentsize, ph, sizeof(ph)))) {
			clrsos_error_destroy(err);
			return false;
		}
		uint32_t type;
		uint64_t vaddr, memsz;
		memcpy(&type, ph, 4);
		memcpy(&vaddr, ph + 0x10, 8);
		memcpy(&memsz, ph + 0x28, 8);
		if (type == PT_LOAD_TYPE) {
			if (vaddr < lo)
				lo = vaddr;
			if (vaddr + memsz > hi)
				hi = vaddr + memsz;
		} else if (type == PT_GNU_EH_FRAME_TYPE) {
			eh_frame = vaddr;
		}
	}
	if (lo >= hi)
		return false;
	uint64_t bias = base - (lo & ~(uint64_t)(CLRSOS_PAGE_SIZE - 1));
	m->start = bias + lo;
	m->end = bias + hi;
	m->eh_frame_hdr = eh_frame ? bias + eh_frame : 0;
	return true;
}

static const struct unwind_module *module_at(struct clrsos_unwinder *u, uint64_t ip)
{
	for (size_t i = 0; i < u->count; i++)
		if (ip >= u->modules[i].start && ip < u->modules[i].end)
			return &u->modules[i];
	return NULL;
}

bool clrsos_unwind_in_module(struct clrsos_unwinder *u, uint64_t ip)
{
	return module_at(u, ip) != NULL;
}

/* libunwind's accessors: arg is the unwinder. */

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need_unwind_info,
			      void *arg)
{
	struct clrsos_unwinder *u = arg;
	const struct unwind_module *m = module_at(u, ip);
	if (!m || !m->eh_frame_hdr)
		return -UNW_ENOINFO;
	uint8_t hdr[12];
	struct clrsos_error *err = clrsos_target_read(u->target, m->eh_frame_hdr, hdr, sizeof(hdr));
	if (err) {
		clrsos_error_destroy(err);
		return -UNW_ENOINFO;
	}
	/* The usual encodings: a 4-byte pointer to .eh_frame, a 4-byte count, a sorted table of 4-byte pairs. */
	if (hdr[0] != 1 || (hdr[1] & 0x0f) != DW_EH_PE_SDATA4 || hdr[2] != DW_EH_PE_UDATA4 ||
	    hdr[3] != (DW_EH_PE_DATAREL | DW_EH_PE_SDATA4))
		return -UNW_ENOINFO;
	uint32_t fde_count;
	memcpy(&fde_count, hdr + 8, 4);
	unw_dyn_info_t di;
	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = m->start;
	di.end_ip = m->end;
	di.u.rti.segbase = m->eh_frame_hdr;
	di.u.rti.table_data = m->eh_frame_hdr + 12;
	di.u.rti.table_len = (unw_word_t)fde_count * 8 / sizeof(unw_word_t);
	return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)as;
	(void)pi;
	(void)arg; /* libunwind frees the tables it parsed itself */
}

static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *ret, void *arg)
{
	(void)as;
	(void)ret;
	(void)arg;
	return -UNW_ENOINFO;
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *valp, int write, void *arg)
{
	(void)as;
	struct clrsos_unwinder *u = arg;
	if (write)
		return -UNW_EREADONLYREG;
	uint64_t v;
	struct clrsos_error *err = clrsos_target_read(u->target, addr, &v, sizeof(v));
	if (err) {
		clrsos_error_destroy(err);
		return -UNW_EINVAL;
	}
	*valp = v;
	return 0;
}

/* A register of struct clrsos_regs by libunwind's x86-64 number, or NULL. */
static uint64_t *reg_slot(struct clrsos_regs *r, int num)
{
	switch (num) {
	case UNW_X86_64_RAX: return &r->rax;
	case UNW_X86_64_RDX: return &r->rdx;
	case UNW_X86_64_RCX: return &r->rcx;
	case UNW_X86_64_RBX: return &r->rbx;
	case UNW_X86_64_RSI: return &r->rsi;
	case UNW_X86_64_RDI: return &r->rdi;
	case UNW_X86_64_RBP: return &r->rbp;
	case UNW_X86_64_RSP: return &r->rsp;
	case UNW_X86_64_R8: return &r->r8;
	case UNW_X86_64_R9: return &r->r9;
	case UNW_X86_64_R10: return &r->r10;
	case UNW_X86_64_R11: return &r->r11;
	case UNW_X86_64_R12: return &r->r12;
	case UNW_X86_64_R13: return &r->r13;
	case UNW_X86_64_R14: return &r->r14;
	case UNW_X86_64_R15: return &r->r15;
	case UNW_X86_64_RIP: return &r->rip;
	default: return NULL;
	}
}

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t num, unw_word_t *valp, int write, void *arg)
{
	(void)as;
	struct clrsos_unwinder *u = arg;
	uint64_t *slot = u->walk ? reg_slot(&u->walk->init_regs, num) : NULL;
	if (!slot || write)
		return -UNW_EBADREG;
	*valp = *slot;
	return 0;
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t num, unw_fpreg_t *val, int write, void *arg)
{
	(void)as;
	(void)num;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

static int acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len, unw_word_t *off,
			     void *arg)
{
	(void)as;
	(void)addr;
	(void)buf;
	(void)len;
	(void)off;
	(void)arg;
	return -UNW_ENOINFO;
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	.access_mem = acc_access_mem,
	.access_reg = acc_access_reg,
	.access_fpreg = acc_access_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_get_proc_name,
};

struct clrsos_error *clrsos_unwinder_create(struct clrsos_target *target, struct clrsos_unwinder **ret)
{
	*ret = NULL;
	struct clrsos_unwinder *u = calloc(1, sizeof(*u));
	if (!u)
		return &clrsos_error_no_memory;
	u->target = target;
	const struct clrsos_module *mods;
	size_t n;
	struct clrsos_error *err = clrsos_target_modules(target, &mods, &n);
	if (err) {
		free(u);
		return err;
	}
	if (!(u->modules = calloc(n ? n : 1, sizeof(*u->modules)))) {
		free(u);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n; i++)
		if (module_layout(target, mods[i].base, &u->modules[u->count]))
			u->count++;
	if (!(u->as = unw_create_addr_space(&accessors, 0))) {
		free(u->modules);
		free(u);
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "libunwind could not create an address space");
	}
	unw_set_caching_policy(u->as, UNW_CACHE_NONE);
	*ret = u;
	return NULL;
}

void clrsos_unwinder_destroy(struct clrsos_unwinder *u)
{
	if (!u)
		return;
	unw_destroy_addr_space(u->as);
	free(u->modules);
	free(u);
}

void clrsos_unwind_begin(struct clrsos_unwind_walk *w, struct clrsos_unwinder *u, const struct clrsos_regs *regs)
{
	memset(w, 0, sizeof(*w));
	w->u = u;
	w->regs = *regs;
	w->first = true;
}

void clrsos_unwind_reset(struct clrsos_unwind_walk *w, const struct clrsos_regs *regs)
{
	w->regs = *regs;
	w->cursor_valid = false;
}

/* Code with no unwind tables: its frame pointer, if it points just up the stack. */
static bool frame_pointer_step(struct clrsos_target *t, struct clrsos_regs *r)
{
	uint64_t fp = r->rbp, saved[2];
	if (fp < r->rsp || fp - r->rsp > MAX_FRAME_BYTES || (fp & 7))
		return false;
	struct clrsos_error *err = clrsos_target_read(t, fp, saved, sizeof(saved));
	if (err) {
		clrsos_error_destroy(err);
		return false;
	}
	if (!saved[1])
		return false;
	r->rbp = saved[0];
	r->rip = saved[1];
	r->rsp = fp + 16;
	return true;
}

/* One libunwind step of the cursor; the registers it restores into *r. */
static bool cursor_step(struct clrsos_unwind_walk *w, struct clrsos_regs *r, bool *signal)
{
	unw_cursor_t *c = (unw_cursor_t *)w->cursor;
	struct clrsos_unwinder *u = w->u;
	u->walk = w;
	if (!w->cursor_valid) {
		w->init_regs = w->regs;
		if (unw_init_remote(c, u->as, u) < 0) {
			u->walk = NULL;
			return false;
		}
		w->cursor_valid = true;
	}
	/* Out of a signal handler the interrupted frame may be anywhere (an alternate signal stack). */
	*signal = unw_is_signal_frame(c) > 0;
	int rc = unw_step(c);
	bool ok = rc > 0;
	if (ok) {
		static const int nums[] = {UNW_X86_64_RBX, UNW_X86_64_RBP, UNW_X86_64_RSP, UNW_X86_64_R12,
					   UNW_X86_64_R13, UNW_X86_64_R14, UNW_X86_64_R15, UNW_X86_64_RIP};
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			unw_word_t v;
			if (unw_get_reg(c, nums[i], &v) == 0)
				*reg_slot(r, nums[i]) = v;
		}
	}
	u->walk = NULL;
	return ok;
}

bool clrsos_unwind_step(struct clrsos_unwind_walk *w)
{
	struct clrsos_regs next = w->regs;
	bool ok, signal = false;
	if (module_at(w->u, w->regs.rip)) {
		ok = cursor_step(w, &next, &signal);
	} else {
		w->cursor_valid = false;
		ok = frame_pointer_step(w->u->target, &next);
	}
	w->first = false;
	/* A caller lives higher up the stack (but for a signal's), and returns somewhere. */
	if (!ok || (next.rsp <= w->regs.rsp && !signal) || next.rsp == w->regs.rsp || !next.rip) {
		w->cursor_valid = false;
		return false;
	}
	w->regs = next;
	return true;
}

bool clrsos_unwind_virtual(struct clrsos_unwinder *u, struct clrsos_regs *regs)
{
	struct clrsos_unwind_walk w;
	clrsos_unwind_begin(&w, u, regs);
	if (!clrsos_unwind_step(&w))
		return false;
	*regs = w.regs;
	return true;
}
