/* Stacks: a managed thread's frames and stack references (stack.h). */
#include "model/stack.h"

#include "dac/dac.h"
#include "model/pdb.h"
#include "base/vector.h"

#include <stdlib.h>
#include <string.h>

/* Takes the DAC's variables: names move over, the array is freed. */
static struct clrsos_error *take_vars(struct clrsos_frame_var *v, size_t n, struct clrsos_managed_var **ret)
{
	*ret = NULL;
	if (!v)
		return NULL;
	struct clrsos_managed_var *m = calloc(n ? n : 1, sizeof(*m));
	if (!m)
		return &clrsos_error_no_memory;
	for (size_t i = 0; i < n; i++) {
		m[i] = (struct clrsos_managed_var){
			.name = v[i].name,
			.state = v[i].state == CLRSOS_VAR_VALUE     ? CLRSOS_MANAGED_VAR_VALUE
				 : v[i].state == CLRSOS_VAR_NO_DATA ? CLRSOS_MANAGED_VAR_NO_DATA
								    : CLRSOS_MANAGED_VAR_UNREADABLE,
			.value = v[i].value,
			.size = v[i].size,
			.has_location = v[i].has_location,
			.in_register = v[i].in_register,
			.address = v[i].address,
		};
		v[i].name = NULL;
	}
	*ret = m;
	return NULL;
}

static void vars_free(struct clrsos_managed_var *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

struct clrsos_error *clrsos_managed_stack_init(struct clrsos_managed_stack *stack, struct clrsos_dac *dac,
					       uint32_t os_id, bool vars)
{
	memset(stack, 0, sizeof(*stack));
	stack->os_id = os_id;
	struct clrsos_stack_frame *f = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_stack_walk_vars(dac, os_id, vars, &f, &n);
	if (err)
		return err;
	stack->truncated = n >= CLRSOS_DAC_MAX_FRAMES;
	if (!(stack->frames = calloc(n ? n : 1, sizeof(*stack->frames)))) {
		clrsos_stack_frames_free(f, n);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct clrsos_managed_frame *m = &stack->frames[i];
		*m = (struct clrsos_managed_frame){
			.sp = f[i].sp,
			.ip = f[i].ip,
			.frame = f[i].frame,
			.method_desc = f[i].method_desc,
			.name = f[i].name,
			.nargs = f[i].nargs,
			.nlocals = f[i].nlocals,
			.args_failed = f[i].args_failed,
			.locals_failed = f[i].locals_failed,
			.has_il = f[i].has_il,
			.il_offset = f[i].il_offset,
			.regs = f[i].regs,
		};
		f[i].name = NULL;
		stack->count = i + 1;
		if (!(err = take_vars(f[i].args, f[i].nargs, &m->args)))
			err = take_vars(f[i].locals, f[i].nlocals, &m->locals);
		if (!m->args)
			m->nargs = 0;
		if (!m->locals)
			m->nlocals = 0;
	}
	clrsos_stack_frames_free(f, n);
	if (err)
		clrsos_managed_stack_deinit(stack);
	return err;
}

void clrsos_managed_stack_deinit(struct clrsos_managed_stack *stack)
{
	for (size_t i = 0; stack->frames && i < stack->count; i++) {
		free(stack->frames[i].name);
		free(stack->frames[i].source_file);
		vars_free(stack->frames[i].args, stack->frames[i].nargs);
		vars_free(stack->frames[i].locals, stack->frames[i].nlocals);
	}
	free(stack->frames);
	stack->frames = NULL;
	stack->count = 0;
}

struct source_module {
	uint64_t module;
	struct clrsos_pdb *pdb; /* NULL: none found */
};

struct clrsos_source_cache {
	struct source_module *modules;
	size_t count, cap;
};

struct clrsos_source_cache *clrsos_source_cache_create(void)
{
	return calloc(1, sizeof(struct clrsos_source_cache));
}

void clrsos_source_cache_destroy(struct clrsos_source_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->count; i++)
		clrsos_pdb_destroy(cache->modules[i].pdb);
	free(cache->modules);
	free(cache);
}

struct clrsos_pdb *clrsos_module_pdb(struct clrsos_dac *dac, uint64_t module)
{
	char *file = NULL;
	struct clrsos_error *err = clrsos_dac_module_file(dac, module, &file);
	clrsos_error_destroy(err);
	if (err || !file || !*file) {
		free(file);
		return NULL;
	}
	size_t n = strlen(file);
	char *slash = strrchr(file, '/');
	char *dot = strrchr(file, '.');
	if (dot && (!slash || dot > slash))
		n = (size_t)(dot - file);
	char *path = malloc(n + 5);
	struct clrsos_pdb *pdb = NULL;
	if (path) {
		memcpy(path, file, n);
		memcpy(path + n, ".pdb", 5);
		err = clrsos_pdb_open_file(path, &pdb);
		clrsos_error_destroy(err);
		if (err)
			pdb = NULL;
	}
	free(path);
	free(file);
	return pdb;
}

struct clrsos_error *clrsos_managed_stack_sources(struct clrsos_managed_stack *stack, struct clrsos_dac *dac,
						  struct clrsos_source_cache *cache)
{
	for (size_t i = 0; i < stack->count; i++) {
		struct clrsos_managed_frame *f = &stack->frames[i];
		if (f->frame || !f->method_desc || !f->has_il || f->source_file)
			continue;
		uint64_t module = 0;
		uint32_t token = 0;
		struct clrsos_error *err = clrsos_dac_method_desc_module(dac, f->method_desc, &module, &token);
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
		if (err || !module)
			continue;
		size_t m;
		for (m = 0; m < cache->count && cache->modules[m].module != module; m++)
			;
		if (m == cache->count) {
			if ((err = clrsos_array_reserve(&cache->modules, &cache->cap, cache->count + 1)))
				return err;
			cache->modules[m] = (struct source_module){module, clrsos_module_pdb(dac, module)};
			cache->count++;
		}
		if (!cache->modules[m].pdb)
			continue;
		err = clrsos_pdb_source_line(cache->modules[m].pdb, token, f->il_offset, &f->source_file,
					     &f->source_line);
		if (clrsos_error_is_no_memory(err))
			return err;
		clrsos_error_destroy(err);
	}
	return NULL;
}

struct clrsos_error *clrsos_stack_references_read(struct clrsos_dac *dac, uint32_t os_id,
						  struct clrsos_stack_reference **ret, size_t *ret_count)
{
	*ret = NULL;
	*ret_count = 0;
	struct clrsos_sos_stack_ref *refs = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_stack_refs(dac, os_id, &refs, &n);
	if (err)
		return err;
	struct clrsos_stack_reference *r = calloc(n ? n : 1, sizeof(*r));
	if (!r) {
		free(refs);
		return &clrsos_error_no_memory;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = (struct clrsos_stack_reference){
			.address = refs[i].address,
			.object = refs[i].object,
			.reg = refs[i].has_register_information ? refs[i].reg : -1,
			.stack_pointer = refs[i].stack_pointer,
			.source = refs[i].source,
			.source_type = refs[i].source_type,
			.interior = (refs[i].flags & CLRSOS_STACK_REF_INTERIOR) != 0,
			.pinned = (refs[i].flags & CLRSOS_STACK_REF_PINNED) != 0,
		};
	free(refs);
	*ret = r;
	*ret_count = n;
	return NULL;
}

const char *clrsos_register_name(int reg)
{
	static const char *const names[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	return reg >= 0 && reg < 16 ? names[reg] : NULL;
}

struct clrsos_error *clrsos_method_name_at_ip(struct clrsos_dac *dac, uint64_t ip, char **ret)
{
	*ret = NULL;
	uint64_t md = 0;
	/* No method there (native code, a stub) is no name; out of memory is said. */
	struct clrsos_error *lookup = clrsos_error_ignore(clrsos_dac_method_desc_from_ip(dac, ip, &md));
	if (lookup || !md)
		return lookup;
	bool code;
	char *name = NULL;
	struct clrsos_error *err = clrsos_dac_method_desc(dac, md, &name, &code);
	if (err) {
		free(name);
		return err;
	}
	*ret = name;
	return NULL;
}
