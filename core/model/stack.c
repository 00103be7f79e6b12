/* Stacks: a managed thread's frames and stack references (stack.h). */
#include "model/stack.h"

#include "base/output.h"

#include "dac/dac.h"
#include "model/pdb.h"
#include "base/vector.h"
#include "base/fileio.h"
#include "target/pe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
					       uint32_t os_id, unsigned what)
{
	memset(stack, 0, sizeof(*stack));
	stack->os_id = os_id;
	struct clrsos_stack_frame *f = NULL;
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_stack_walk(dac, os_id,
							  ((what & CLRSOS_STACK_VARS) ? CLRSOS_DAC_WALK_VARS : 0) |
								  ((what & CLRSOS_STACK_IL) ? CLRSOS_DAC_WALK_IL : 0),
							  &f, &n);
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
			.frame_method_desc = f[i].frame_method_desc,
			.frame_method = f[i].frame_method,
			.nargs = f[i].nargs,
			.nlocals = f[i].nlocals,
			.args_failed = f[i].args_failed,
			.locals_failed = f[i].locals_failed,
			.has_il = f[i].has_il,
			.il_offset = f[i].il_offset,
			.regs = f[i].regs,
		};
		f[i].name = NULL;
		f[i].frame_method = NULL;
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
		free(stack->frames[i].frame_method);
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
	char *note;             /* why a PDB found is not used, or NULL */
};

struct clrsos_source_cache {
	struct source_module *modules;
	size_t count, cap;
};

const char *clrsos_source_cache_note(const struct clrsos_source_cache *cache, size_t i)
{
	for (size_t m = 0; m < cache->count; m++)
		if (cache->modules[m].note && !i--)
			return cache->modules[m].note;
	return NULL;
}

struct clrsos_source_cache *clrsos_source_cache_create(void)
{
	return calloc(1, sizeof(struct clrsos_source_cache));
}

void clrsos_source_cache_destroy(struct clrsos_source_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->count; i++) {
		clrsos_pdb_destroy(cache->modules[i].pdb);
		free(cache->modules[i].note);
	}
	free(cache->modules);
	free(cache);
}

/* clrsos_pe_read_fn over the target's memory at an image's base. */
struct image_in_memory {
	struct clrsos_target *target;
	uint64_t base;
};

static bool read_image_memory(void *ctx, uint64_t pos, void *buf, size_t size)
{
	const struct image_in_memory *m = ctx;
	struct clrsos_error *err = clrsos_target_read(m->target, m->base + pos, buf, size);
	clrsos_error_destroy(err);
	return !err;
}


/* Whether a PDB is the one of the image with this CodeView entry. */
static bool pdb_matches(const struct clrsos_pdb *pdb, const struct clrsos_pe_debug *cv)
{
	const uint8_t *id = clrsos_pdb_id(pdb);
	uint8_t stamp[4] = {(uint8_t)cv->stamp, (uint8_t)(cv->stamp >> 8), (uint8_t)(cv->stamp >> 16),
			    (uint8_t)(cv->stamp >> 24)};
	return !memcmp(id, cv->guid, 16) && !memcmp(id + 16, stamp, 4);
}

/*
 * A module's portable PDB: the one beside its file ("/app/Foo.dll" ->
 * "/app/Foo.pdb"), else the one embedded in the file; only one whose id is
 * the one the image names in its CodeView debug entry (the image as loaded
 * in the target when its headers are there, else the file's): a PDB left by
 * another build is not used. NULL: none (*note says why, when there is one
 * that is not used; malloc'd).
 */
static struct clrsos_pdb *module_pdb(struct clrsos_dac *dac, uint64_t module, char **note)
{
	*note = NULL;
	char *file = NULL;
	struct clrsos_error *err = clrsos_dac_module_file(dac, module, &file);
	clrsos_error_destroy(err);
	if (err || !file || !*file) {
		free(file);
		return NULL;
	}
	/* The identity the loaded image names, else the file's. */
	struct clrsos_pe_debug loaded = {0}, disk = {0};
	struct image_in_memory mem = {clrsos_dac_target(dac), 0};
	err = clrsos_error_ignore(clrsos_dac_pe_file_base(dac, module, &mem.base));
	if (!err && mem.base) {
		for (int mapped = 1; mapped >= 0 && !loaded.has_codeview; mapped--) {
			struct clrsos_error *e = clrsos_pe_debug_read(read_image_memory, &mem, mapped, &loaded);
			clrsos_error_destroy(e);
		}
	}
	clrsos_error_destroy(err);
	int fd = -1;
	err = clrsos_file_open_read(file, &fd);
	if (!err) {
		clrsos_error_destroy(clrsos_pe_debug_read(clrsos_pe_read_fd, &fd, false, &disk));
	}
	clrsos_error_destroy(err);
	const struct clrsos_pe_debug *want = loaded.has_codeview ? &loaded : disk.has_codeview ? &disk : NULL;

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
		if (pdb && want && !pdb_matches(pdb, want)) {
			clrsos_pdb_destroy(pdb);
			pdb = NULL;
			*note = clrsos_strdup_printf("%s is not the PDB of %s as loaded (another build): not used", path,
						     file);
		}
	}
	if (!pdb && fd >= 0 && disk.has_embedded && (!want || !disk.has_codeview || want == &disk ||
						      !memcmp(want->guid, disk.guid, 16))) {
		/* A size from the file: no more than a PDB may be (a hostile image asks for 4 GB). */
		uint8_t *blob = disk.embedded_size <= CLRSOS_PDB_MAX_SIZE ? malloc(disk.embedded_size) : NULL;
		if (blob && clrsos_pe_read_fd(&fd, disk.embedded_pos, blob, disk.embedded_size)) {
			err = clrsos_pdb_create_embedded(blob, disk.embedded_size, &pdb);
			if (err && !clrsos_error_is_no_memory(err) && !*note)
				*note = clrsos_strdup_printf("%s: %s", file, err->message);
			clrsos_error_destroy(err);
			if (err)
				pdb = NULL;
		}
		free(blob);
		if (pdb && want && !pdb_matches(pdb, want)) {
			clrsos_pdb_destroy(pdb);
			pdb = NULL;
		}
		if (pdb) {
			free(*note);
			*note = NULL;
		}
	}
	if (fd >= 0)
		close(fd);
	free(path);
	free(file);
	return pdb;
}

struct clrsos_pdb *clrsos_module_pdb(struct clrsos_dac *dac, uint64_t module)
{
	char *note = NULL;
	struct clrsos_pdb *pdb = module_pdb(dac, module, &note);
	free(note);
	return pdb;
}

const struct clrsos_pdb *clrsos_source_cache_pdb(struct clrsos_source_cache *cache, struct clrsos_dac *dac,
					       uint64_t module)
{
	size_t m;
	for (m = 0; m < cache->count && cache->modules[m].module != module; m++)
		;
	if (m == cache->count) {
		/* Out of memory: no PDB (a source line is a help). */
		struct clrsos_error *err = clrsos_array_reserve(&cache->modules, &cache->cap, cache->count + 1);
		if (err) {
			clrsos_error_destroy(err);
			return NULL;
		}
		cache->modules[m] = (struct source_module){.module = module};
		cache->modules[m].pdb = module_pdb(dac, module, &cache->modules[m].note);
		cache->count++;
	}
	return cache->modules[m].pdb;
}

struct clrsos_error *clrsos_source_line(struct clrsos_source_cache *cache, struct clrsos_dac *dac,
					uint64_t method_desc, uint32_t il_offset, char **ret_file, uint32_t *ret_line)
{
	*ret_file = NULL;
	*ret_line = 0;
	uint64_t module = 0;
	uint32_t token = 0;
	struct clrsos_error *err = clrsos_dac_method_desc_module(dac, method_desc, &module, &token);
	if (clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	if (err || !module)
		return NULL;
	const struct clrsos_pdb *pdb = clrsos_source_cache_pdb(cache, dac, module);
	if (!pdb)
		return NULL;
	err = clrsos_pdb_source_line(pdb, token, il_offset, ret_file, ret_line);
	if (clrsos_error_is_no_memory(err))
		return err;
	clrsos_error_destroy(err);
	return NULL;
}

struct clrsos_error *clrsos_source_line_at(struct clrsos_source_cache *cache, struct clrsos_dac *dac,
					   uint64_t method_desc, uint64_t ip, bool before, char **ret_file,
					   uint32_t *ret_line)
{
	*ret_file = NULL;
	*ret_line = 0;
	bool has = false;
	uint32_t il = 0;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_il_offset_at(dac, before && ip ? ip - 1 : ip,
										&has, &il));
	if (err || !has)
		return err;
	return clrsos_source_line(cache, dac, method_desc, il, ret_file, ret_line);
}

struct clrsos_error *clrsos_managed_stack_sources(struct clrsos_managed_stack *stack, struct clrsos_dac *dac,
						  struct clrsos_source_cache *cache)
{
	for (size_t i = 0; i < stack->count; i++) {
		struct clrsos_managed_frame *f = &stack->frames[i];
		if (f->frame || !f->method_desc || !f->has_il || f->source_file)
			continue;
		struct clrsos_error *err =
			clrsos_source_line(cache, dac, f->method_desc, f->il_offset, &f->source_file, &f->source_line);
		if (err)
			return err;
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
			.offset = refs[i].has_register_information ? refs[i].offset : 0,
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
	/* The runtime numbers them in the CONTEXT's order. */
	return reg >= 0 && reg < CLRSOS_RIP ? clrsos_x64_gprs[reg].name : NULL;
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
