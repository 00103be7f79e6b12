/*
 * Managed breakpoints (bpmd): see breakpoints.h.
 *
 * An entry is either bound (to a module and a MethodDef) or not (a module
 * name and method name, or a file and line, for modules loaded later).
 * Binding an entry makes bound copies of it, one per method found; a bound
 * entry sets debugger breakpoints at the code its method has, and asks the
 * runtime to say when it compiles more (a first compilation, a tier-up, a
 * generic instance).
 */
#include "model/breakpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/vector.h"
#include "dac/dac.h"
#include "model/pdb.h"
#include "model/stack.h"
#include "target/target.h"

CLRSOS_VECTOR(entry_vector, struct clrsos_bpmd_entry)
CLRSOS_VECTOR(address_vector, uint64_t)

struct clrsos_breakpoints {
	struct entry_vector entries; /* oldest first; listed newest first */
	struct address_vector placed; /* code addresses given a debugger breakpoint */
	bool watching;       /* the debugger watches the runtime's notifications */
	bool module_notify;  /* the runtime was asked for module loads */
	bool await_runtime;  /* a debugger breakpoint waits for the runtime to start */
};

/* Where the runtime is ready for the DAC (its DAC table set up) and has
 * loaded no assembly of the program yet: the host's call that runs it. */
static const char runtime_module[] = "libcoreclr.so";
static const char runtime_started_symbol[] = "coreclr_execute_assembly";

/* The runtime's notification kinds (DACNotify) that bpmd acts on. */
enum {
	NOTIFY_MODULE_LOAD = 1,
	NOTIFY_MODULE_UNLOAD = 2,
	NOTIFY_JIT = 8,
};

struct clrsos_breakpoints *clrsos_breakpoints_create(void)
{
	return calloc(1, sizeof(struct clrsos_breakpoints));
}

void clrsos_bpmd_entry_deinit(struct clrsos_bpmd_entry *e)
{
	free(e->module_name);
	free(e->method_name);
	free(e->file);
	memset(e, 0, sizeof(*e));
}

void clrsos_breakpoints_destroy(struct clrsos_breakpoints *bps)
{
	if (!bps)
		return;
	for (size_t i = 0; i < bps->entries.count; i++)
		clrsos_bpmd_entry_deinit(&bps->entries.items[i]);
	entry_vector_deinit(&bps->entries);
	address_vector_deinit(&bps->placed);
	free(bps);
}

void clrsos_bpmd_events_deinit(struct clrsos_bpmd_events *events)
{
	for (size_t i = 0; i < events->count; i++) {
		free(events->items[i].name);
		free(events->items[i].module_name);
	}
	free(events->items);
	memset(events, 0, sizeof(*events));
}

static struct clrsos_error *add_event(struct clrsos_bpmd_events *events, enum clrsos_bpmd_event_kind kind,
				      uint64_t address, char *name, char *module_name, uint32_t id)
{
	if (clrsos_array_reserve(&events->items, &events->capacity, events->count + 1)) {
		free(name);
		free(module_name);
		return &clrsos_error_no_memory;
	}
	events->items[events->count++] = (struct clrsos_bpmd_event){kind, address, name, module_name, id};
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static bool copy_entry(const struct clrsos_bpmd_entry *from, struct clrsos_bpmd_entry *to)
{
	*to = *from;
	to->module_name = dup_or_null(from->module_name);
	to->method_name = dup_or_null(from->method_name);
	to->file = dup_or_null(from->file);
	if ((from->module_name && !to->module_name) || (from->method_name && !to->method_name) ||
	    (from->file && !to->file)) {
		clrsos_bpmd_entry_deinit(to);
		return false;
	}
	return true;
}

static bool same_entry(const struct clrsos_bpmd_entry *a, const struct clrsos_bpmd_entry *b)
{
	if (a->module != b->module)
		return false;
	if (a->module && a->token)
		return a->token == b->token && a->il_offset == b->il_offset;
	if (a->module_name || b->module_name)
		return a->module_name && b->module_name && strcasecmp(a->module_name, b->module_name) == 0 &&
		       a->method_name && b->method_name && strcmp(a->method_name, b->method_name) == 0;
	return a->file && b->file && strcasecmp(a->file, b->file) == 0 && a->line == b->line;
}

/* Add a copy of e unless the list holds the same already. */
static struct clrsos_error *add_entry(struct clrsos_breakpoints *bps, const struct clrsos_bpmd_entry *e)
{
	for (size_t i = 0; i < bps->entries.count; i++) {
		if (same_entry(&bps->entries.items[i], e))
			return NULL;
	}
	struct clrsos_bpmd_entry copy;
	if (!copy_entry(e, &copy))
		return &clrsos_error_no_memory;
	struct clrsos_error *err = entry_vector_push(&bps->entries, copy);
	if (err)
		clrsos_bpmd_entry_deinit(&copy);
	return err;
}

/* A debugger breakpoint at address, once per address. */
static struct clrsos_error *set_breakpoint(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					   struct clrsos_dac *dac, uint64_t address,
					   struct clrsos_bpmd_events *events)
{
	for (size_t i = 0; i < bps->placed.count; i++) {
		if (bps->placed.items[i] == address)
			return NULL;
	}
	void *ctx = NULL;
	const struct clrsos_target_ops *ops = clrsos_target_ops_of(target, &ctx);
	if (!ops->breakpoint_set)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "this debugger cannot set breakpoints for clrsos");
	uint32_t id = 0;
	struct clrsos_error *err = ops->breakpoint_set(ctx, address, &id);
	if (err)
		return err;
	err = address_vector_push(&bps->placed, address);
	if (err)
		return err;
	uint64_t md = 0;
	char *name = NULL;
	if (!clrsos_error_ignore(clrsos_dac_method_desc_from_ip(dac, address, &md)) && md)
		clrsos_error_ignore(clrsos_dac_method_desc_name(dac, md, &name));
	return add_event(events, CLRSOS_BPMD_SET, address, name, NULL, id);
}

static struct clrsos_error *watch(struct clrsos_breakpoints *bps, struct clrsos_target *target, bool on)
{
	if (bps->watching == on)
		return NULL;
	void *ctx = NULL;
	const struct clrsos_target_ops *ops = clrsos_target_ops_of(target, &ctx);
	if (!ops->notifications)
		return on ? clrsos_error_create(CLRSOS_ERROR_OTHER,
						"this debugger cannot watch the runtime's notifications for clrsos")
			  : NULL;
	struct clrsos_error *err = ops->notifications(ctx, on);
	if (!err)
		bps->watching = on;
	return err;
}

/*
 * Set breakpoints at the code a bound entry's method has now; ask the
 * runtime for a notification when it may compile more. *ret_pending: it may.
 */
static struct clrsos_error *resolve_bound(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					  struct clrsos_dac *dac, const struct clrsos_bpmd_entry *e,
					  struct clrsos_bpmd_events *events, bool *ret_pending)
{
	*ret_pending = false;
	uint64_t *code = NULL;
	size_t n = 0;
	bool generic = false;
	struct clrsos_error *err = clrsos_dac_method_code(dac, e->module, e->token, e->il_offset, &code, &n, &generic);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = set_breakpoint(bps, target, dac, code[i], events);
	free(code);
	if (err)
		return err;
	/* Tiered compilation compiles again (a tier-up): each new code is
	 * notified, so the notification stays asked for as SOS keeps it only
	 * when nothing was found; here always, so every version is caught. */
	err = clrsos_dac_set_code_notification(dac, e->module, e->token, true);
	if (err)
		return clrsos_error_wrap(err, "asking the runtime to say when it compiles method 0x%08x", e->token);
	*ret_pending = true;
	return NULL;
}

/* The file name part of a path. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *back = strrchr(path, '\\');
	if (back && (!slash || back > slash))
		slash = back;
	return slash ? slash + 1 : path;
}

/* Whether module file name (or path) names the module the user typed: "App.dll", "App", any case. */
static bool module_name_matches(const char *path, const char *typed)
{
	if (!path || !typed)
		return false;
	const char *name = base_name(path);
	if (strcasecmp(name, typed) == 0)
		return true;
	size_t n = strlen(typed);
	const char *dot = strrchr(name, '.');
	return dot && (size_t)(dot - name) == n && strncasecmp(name, typed, n) == 0;
}

/*
 * Bind an unbound entry to module (whose file is path): a bound copy per
 * method its name or line finds there. Methods found are said with their
 * MethodDescs when say_method_descs.
 */
static struct clrsos_error *bind_entry(struct clrsos_breakpoints *bps, struct clrsos_dac *dac,
				       const struct clrsos_bpmd_entry *e, uint64_t module, const char *path,
				       bool say_method_descs, struct clrsos_bpmd_events *events)
{
	struct clrsos_error *err = NULL;
	if (e->module_name) {
		if (!module_name_matches(path, e->module_name))
			return NULL;
		uint32_t *tokens = NULL;
		size_t n = 0;
		err = clrsos_dac_methods_by_name(dac, module, e->method_name, &tokens, &n);
		if (err)
			return clrsos_error_ignore(err);
		for (size_t i = 0; i < n && !err; i++) {
			struct clrsos_bpmd_entry b = *e;
			b.module = module;
			b.token = tokens[i];
			err = add_entry(bps, &b);
			uint64_t md = 0;
			if (!err && say_method_descs &&
			    !clrsos_error_ignore(clrsos_dac_method_desc_from_token(dac, module, tokens[i], &md)) && md)
				err = add_event(events, CLRSOS_BPMD_METHOD_DESC, md, NULL, NULL, 0);
		}
		free(tokens);
		return err;
	}
	struct clrsos_pdb *pdb = clrsos_module_pdb(dac, module);
	if (!pdb)
		return NULL;
	uint32_t token = 0, il = 0;
	bool found = false;
	err = clrsos_pdb_line_to_il(pdb, e->file, e->line, &token, &il, &found);
	clrsos_pdb_destroy(pdb);
	if (err || !found)
		return clrsos_error_ignore(err);
	struct clrsos_bpmd_entry b = *e;
	b.module = module;
	b.token = token;
	b.il_offset = il;
	err = add_entry(bps, &b);
	uint64_t md = 0;
	if (!err && say_method_descs &&
	    !clrsos_error_ignore(clrsos_dac_method_desc_from_token(dac, module, token, &md)) && md)
		err = add_event(events, CLRSOS_BPMD_METHOD_DESC, md, NULL, NULL, 0);
	return err;
}

/* Resolve every bound entry of module. *ret_pending: one may get more code. */
static struct clrsos_error *resolve_module(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					   struct clrsos_dac *dac, uint64_t module,
					   struct clrsos_bpmd_events *events, bool *ret_pending)
{
	for (size_t i = 0; i < bps->entries.count; i++) {
		struct clrsos_bpmd_entry e = bps->entries.items[i];
		if (e.module != module || !e.token)
			continue;
		bool pending = false;
		struct clrsos_error *err = resolve_bound(bps, target, dac, &e, events, &pending);
		if (err)
			return err;
		*ret_pending |= pending;
	}
	return NULL;
}

/* Bind the unbound entries to one module, then resolve what that bound. */
static struct clrsos_error *bind_module(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					struct clrsos_dac *dac, size_t first, size_t end, uint64_t module,
					const char *path, bool say, struct clrsos_bpmd_events *events,
					bool *ret_pending)
{
	for (size_t i = first; i < end && i < bps->entries.count; i++) {
		if (bps->entries.items[i].module)
			continue;
		struct clrsos_bpmd_entry e;
		if (!copy_entry(&bps->entries.items[i], &e))
			return &clrsos_error_no_memory;
		struct clrsos_error *err = bind_entry(bps, dac, &e, module, path, say, events);
		clrsos_bpmd_entry_deinit(&e);
		if (err)
			return err;
	}
	return resolve_module(bps, target, dac, module, events, ret_pending);
}

static struct clrsos_error *add_by_method_desc(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					       struct clrsos_dac *dac, uint64_t md,
					       struct clrsos_bpmd_events *events, bool *ret_pending)
{
	struct clrsos_dacp_method_desc_data data;
	struct clrsos_error *err = clrsos_dac_method_desc_data(dac, md, 0, &data);
	if (err) {
		clrsos_error_destroy(err);
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "0x%llx is not a valid MethodDesc",
					   (unsigned long long)md);
	}
	err = add_event(events, CLRSOS_BPMD_METHOD_DESC, md, NULL, NULL, 0);
	if (err)
		return err;
	if (data.has_native_code && data.native_code)
		return set_breakpoint(bps, target, dac, data.native_code, events);
	if (data.is_dynamic)
		return add_event(events, CLRSOS_BPMD_NOT_JITTED, data.native_code_slot, NULL, NULL, 0);
	char *name = NULL, *file = NULL;
	err = clrsos_dac_method_desc_name(dac, md, &name);
	if (err)
		return clrsos_error_wrap(err, "the name of MethodDesc 0x%llx", (unsigned long long)md);
	clrsos_error_ignore(clrsos_dac_module_file(dac, data.module, &file));
	struct clrsos_bpmd_entry e = {
		.module_name = file ? (char *)base_name(file) : (char *)"UNKNOWN",
		.method_name = name,
		.module = data.module,
		.token = data.token,
	};
	err = add_entry(bps, &e);
	free(name);
	free(file);
	if (!err)
		err = resolve_module(bps, target, dac, data.module, events, ret_pending);
	return err;
}

/* The unbound entry a request by name or line makes (its strings the request's). */
static struct clrsos_bpmd_entry request_entry(const struct clrsos_bpmd_request *r)
{
	return (struct clrsos_bpmd_entry){
		.module_name = (char *)r->module_name,
		.method_name = (char *)r->method_name,
		.file = (char *)r->file,
		.line = r->line,
		.il_offset = r->il_offset,
	};
}

/* Delete the debugger breakpoint that waits for the runtime to start, if there is one. */
static void stop_awaiting_runtime(struct clrsos_breakpoints *bps, struct clrsos_target *target)
{
	if (!bps->await_runtime)
		return;
	void *ctx = NULL;
	const struct clrsos_target_ops *ops = clrsos_target_ops_of(target, &ctx);
	if (ops->symbol_breakpoint)
		clrsos_error_ignore(ops->symbol_breakpoint(ctx, runtime_module, NULL));
	bps->await_runtime = false;
}

struct clrsos_error *clrsos_breakpoints_add(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					    struct clrsos_dac *dac, const struct clrsos_bpmd_request *r,
					    struct clrsos_bpmd_events *events)
{
	bool pending = false;
	struct clrsos_error *err = NULL;
	if (r->method_desc) {
		err = add_by_method_desc(bps, target, dac, r->method_desc, events, &pending);
	} else {
		struct clrsos_bpmd_entry want = request_entry(r);
		/* Bind to the modules loaded now, through a temporary entry. */
		size_t at = bps->entries.count;
		err = entry_vector_push(&bps->entries, want);
		struct clrsos_managed_module *mods = NULL;
		size_t nmods = 0;
		if (!err)
			err = clrsos_dac_managed_modules(dac, &mods, &nmods);
		for (size_t i = 0; i < nmods && !err; i++)
			err = bind_module(bps, target, dac, at, at + 1, mods[i].address, mods[i].path, true, events,
					  &pending);
		clrsos_managed_modules_free(mods, nmods);
		/* The temporary entry (not a copy: its strings are the request's) goes. */
		if (at < bps->entries.count) {
			memmove(&bps->entries.items[at], &bps->entries.items[at + 1],
				(bps->entries.count - at - 1) * sizeof(*bps->entries.items));
			bps->entries.count--;
		}
		if (!err && !r->no_future_module) {
			err = add_entry(bps, &want);
			if (!err && !bps->module_notify) {
				err = clrsos_dac_set_module_notifications(dac, true);
				bps->module_notify = !err;
			}
			pending = true;
		}
	}
	if (!err && pending) {
		err = watch(bps, target, true);
		if (!err)
			err = add_event(events, CLRSOS_BPMD_PENDING, 0, NULL, NULL, 0);
	}
	return err;
}

static struct clrsos_error *on_jit(struct clrsos_breakpoints *bps, struct clrsos_target *target,
				   struct clrsos_dac *dac, uint64_t md, uint64_t code,
				   struct clrsos_bpmd_events *events)
{
	uint64_t module = 0;
	uint32_t token = 0;
	struct clrsos_error *err = clrsos_dac_method_desc_module(dac, md, &module, &token);
	if (err)
		return clrsos_error_ignore(err);
	for (size_t i = 0; i < bps->entries.count; i++) {
		const struct clrsos_bpmd_entry *e = &bps->entries.items[i];
		if (e->module != module || e->token != token)
			continue;
		char *name = NULL, *file = NULL;
		clrsos_error_ignore(clrsos_dac_method_desc_name(dac, md, &name));
		clrsos_error_ignore(clrsos_dac_module_file(dac, module, &file));
		/* The module's name as the runtime gives it: its file name without the extension. */
		char *module_name = file ? strdup(base_name(file)) : NULL;
		char *dot = module_name ? strrchr(module_name, '.') : NULL;
		if (dot && (strcasecmp(dot, ".dll") == 0 || strcasecmp(dot, ".exe") == 0))
			*dot = '\0';
		free(file);
		err = add_event(events, CLRSOS_BPMD_JITTED, md, name, module_name, 0);
		if (err)
			return err;
		uint64_t at = code;
		if (e->il_offset) {
			/* The IL offset in this new code (a first compilation or a tier-up). */
			err = clrsos_dac_code_address_of_il(dac, code, e->il_offset, &at);
			if (err)
				return clrsos_error_wrap(err, "the IL offset 0x%x in the code at 0x%llx", e->il_offset,
							 (unsigned long long)code);
			if (!at)
				return clrsos_error_create(CLRSOS_ERROR_OTHER,
							   "no instruction of the code at 0x%llx has IL offset 0x%x: "
							   "no breakpoint set there",
							   (unsigned long long)code, e->il_offset);
		}
		return set_breakpoint(bps, target, dac, at, events);
	}
	return NULL;
}

struct clrsos_error *clrsos_breakpoints_on_notification(struct clrsos_breakpoints *bps,
							struct clrsos_target *target, struct clrsos_dac *dac,
							struct clrsos_bpmd_events *events, bool *ret_stop)
{
	*ret_stop = false;
	uint64_t args[3] = {0, 0, 0};
	size_t n = 0;
	struct clrsos_error *err = clrsos_dac_clr_notification(dac, args, &n);
	if (err || n < 2)
		return err;
	switch (args[0]) {
	case NOTIFY_JIT:
		return n >= 3 ? on_jit(bps, target, dac, args[1], args[2], events) : NULL;
	case NOTIFY_MODULE_LOAD: {
		char *file = NULL;
		clrsos_error_ignore(clrsos_dac_module_file(dac, args[1], &file));
		bool pending = false;
		err = bind_module(bps, target, dac, 0, bps->entries.count, args[1], file, false, events, &pending);
		free(file);
		return err;
	}
	case NOTIFY_MODULE_UNLOAD:
		for (size_t i = bps->entries.count; i-- > 0;) {
			if (bps->entries.items[i].module != args[1])
				continue;
			clrsos_bpmd_entry_deinit(&bps->entries.items[i]);
			memmove(&bps->entries.items[i], &bps->entries.items[i + 1],
				(bps->entries.count - i - 1) * sizeof(*bps->entries.items));
			bps->entries.count--;
		}
		return NULL;
	default:
		return NULL;
	}
}

struct clrsos_error *clrsos_breakpoints_add_before_runtime(struct clrsos_breakpoints *bps,
							   struct clrsos_target *target,
							   const struct clrsos_bpmd_request *r,
							   struct clrsos_bpmd_events *events)
{
	if (r->method_desc)
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
					   "bpmd -md: the runtime is not loaded yet, so there is no MethodDesc: give bpmd "
					   "<module> <method> or <file>:<line>, which wait for it");
	if (r->no_future_module)
		return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
					   "bpmd -nofuturemodule: the runtime is not loaded yet, so no module is: leave "
					   "-nofuturemodule out to wait for the module");
	if (!bps->await_runtime) {
		void *ctx = NULL;
		const struct clrsos_target_ops *ops = clrsos_target_ops_of(target, &ctx);
		if (!ops->symbol_breakpoint)
			return clrsos_error_create(CLRSOS_ERROR_NO_RUNTIME,
						   "the runtime is not loaded yet and this debugger cannot wait for it for "
						   "clrsos: give bpmd once it is loaded");
		struct clrsos_error *err = ops->symbol_breakpoint(ctx, runtime_module, runtime_started_symbol);
		if (err)
			return clrsos_error_wrap(err, "waiting for the runtime (%s in %s)", runtime_started_symbol,
						 runtime_module);
		bps->await_runtime = true;
	}
	struct clrsos_bpmd_entry want = request_entry(r);
	struct clrsos_error *err = add_entry(bps, &want);
	if (!err)
		err = add_event(events, CLRSOS_BPMD_PENDING, 0, NULL, NULL, 0);
	return err;
}

struct clrsos_error *clrsos_breakpoints_on_runtime_loaded(struct clrsos_breakpoints *bps,
							  struct clrsos_target *target, struct clrsos_dac *dac,
							  struct clrsos_bpmd_events *events)
{
	stop_awaiting_runtime(bps, target);
	if (!bps->entries.count)
		return NULL;
	/* The modules loaded so far (System.Private.CoreLib): bound now; the
	 * program's own come with the runtime's module load notifications. */
	struct clrsos_managed_module *mods = NULL;
	size_t nmods = 0;
	bool pending = false;
	struct clrsos_error *err = clrsos_error_ignore(clrsos_dac_managed_modules(dac, &mods, &nmods));
	for (size_t i = 0; i < nmods && !err; i++)
		err = bind_module(bps, target, dac, 0, bps->entries.count, mods[i].address, mods[i].path, false, events,
				  &pending);
	clrsos_managed_modules_free(mods, nmods);
	if (!err && !bps->module_notify) {
		err = clrsos_dac_set_module_notifications(dac, true);
		bps->module_notify = !err;
	}
	if (!err)
		err = watch(bps, target, true);
	return err;
}

const struct clrsos_bpmd_entry *clrsos_breakpoints_list(const struct clrsos_breakpoints *bps, size_t *ret_count)
{
	*ret_count = bps->entries.count;
	return bps->entries.items;
}

/* With no entry left: stop watching, and stop the runtime's notifications. */
static struct clrsos_error *quiet_if_empty(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					   struct clrsos_dac *dac)
{
	if (bps->entries.count)
		return NULL;
	struct clrsos_error *err = NULL;
	stop_awaiting_runtime(bps, target);
	if (dac && bps->module_notify) {
		err = clrsos_error_ignore(clrsos_dac_set_module_notifications(dac, false));
		bps->module_notify = false;
	}
	return err ? err : watch(bps, target, false);
}

struct clrsos_error *clrsos_breakpoints_clear(struct clrsos_breakpoints *bps, struct clrsos_target *target,
					      struct clrsos_dac *dac, size_t index, bool *ret_found,
					      struct clrsos_bpmd_entry *ret_cleared)
{
	*ret_found = false;
	memset(ret_cleared, 0, sizeof(*ret_cleared));
	if (index >= 1 && index <= bps->entries.count) {
		size_t i = bps->entries.count - index; /* listed newest first */
		struct clrsos_bpmd_entry *e = &bps->entries.items[i];
		if (dac && e->module && e->token)
			clrsos_error_ignore(clrsos_dac_set_code_notification(dac, e->module, e->token, false));
		*ret_cleared = *e;
		memmove(e, e + 1, (bps->entries.count - i - 1) * sizeof(*e));
		bps->entries.count--;
		*ret_found = true;
	}
	return quiet_if_empty(bps, target, dac);
}

struct clrsos_error *clrsos_breakpoints_clear_all(struct clrsos_breakpoints *bps, struct clrsos_target *target,
						  struct clrsos_dac *dac)
{
	for (size_t i = 0; i < bps->entries.count; i++) {
		struct clrsos_bpmd_entry *e = &bps->entries.items[i];
		if (dac && e->module && e->token)
			clrsos_error_ignore(clrsos_dac_set_code_notification(dac, e->module, e->token, false));
		clrsos_bpmd_entry_deinit(e);
	}
	bps->entries.count = 0;
	return quiet_if_empty(bps, target, dac);
}
