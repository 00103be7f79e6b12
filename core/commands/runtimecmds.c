/*
 * Commands over the runtime's own structures: sosstatus (what clrsos has
 * loaded), runtimes (the .NET runtime in the target), clrmodules (SOS's
 * ClrModules: the managed modules), syncblk (SOS's SyncBlk: the sync block
 * table) and analyzeoom (SOS's AnalyzeOOM: the GC's last out-of-memory).
 */
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/runtime.h"
#include "model/runtimedata.h"
#include "model/objects.h"
#include "model/threads.h"
#include "base/vector.h"
#include "commands.h"
#include "rootcmds.h"

#ifndef CLRSOS_VERSION
#define CLRSOS_VERSION "0.0.0"
#endif

static const char *file_part(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path;
}

/* ------------------------------------------------------------- runtimes */

/* The runtime and, when it could be opened, its DAC (dac_err: why not). */
struct runtime_view {
	struct clrsos_runtime_info info;
	struct clrsos_error *dac_err;
};

static struct clrsos_error *runtime_view_read(struct clrsos_session *session, struct runtime_view *v)
{
	memset(v, 0, sizeof(*v));
	clrsos_session_refresh(session);
	struct clrsos_error *err = clrsos_runtime_describe(clrsos_session_target(session), &v->info);
	if (err)
		return err;
	struct clrsos_dac *dac = NULL;
	v->dac_err = clrsos_session_dac(session, &dac);
	if (!v->dac_err)
		v->dac_err = clrsos_runtime_describe_dac(&v->info, dac);
	if (clrsos_error_is_no_memory(v->dac_err))
		return v->dac_err;
	return NULL;
}

static void runtime_text(const struct runtime_view *v, struct clrsos_writer *out, const char *indent)
{
	const struct clrsos_runtime_info *r = &v->info;
	struct clrsos_name_buf nb;
	clrsos_outf(out, "%s#0 .NET Core runtime %s at %016" PRIX64 " index %s\n", indent,
		    r->have_version ? clrsos_safe_name(r->version.product, &nb) : "(version unknown)", r->module->base,
		    r->build_id);
	clrsos_outf(out, "%s    Runtime module path: %s\n", indent,
		    clrsos_safe_name(r->module->path ? r->module->path : r->module->name, &nb));
	if (r->dac_path)
		clrsos_outf(out, "%s    DAC: %s\n", indent, clrsos_safe_name(r->dac_path, &nb));
	else
		clrsos_outf(out, "%s    DAC: not loaded: %s\n", indent,
			    v->dac_err ? v->dac_err->message : "unknown");
}

static void runtime_json(struct clrsos_json *j, const struct runtime_view *v)
{
	const struct clrsos_runtime_info *r = &v->info;
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "id");
	clrsos_json_uint(j, 0);
	clrsos_json_key(j, "kind");
	clrsos_json_string(j, ".NET Core");
	clrsos_json_key(j, "version");
	clrsos_json_string(j, r->have_version ? r->version.product : NULL);
	clrsos_json_key(j, "fileVersion");
	clrsos_json_string(j, r->have_version ? r->version.file_version : NULL);
	clrsos_json_key(j, "base");
	clrsos_json_address(j, r->module->base);
	clrsos_json_key(j, "path");
	clrsos_json_string(j, r->module->path ? r->module->path : r->module->name);
	clrsos_json_key(j, "buildId");
	clrsos_json_string(j, r->build_id);
	clrsos_json_key(j, "dacPath");
	clrsos_json_string(j, r->dac_path);
	clrsos_json_key(j, "dacError");
	clrsos_json_string(j, r->dac_path || !v->dac_err ? NULL : v->dac_err->message);
	clrsos_json_object_end(j);
}

struct runtimes_options {
	bool json, netfx, netcore, all, have_id;
	uint64_t id;
};

static struct clrsos_error *runtimes_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	(void)index;
	struct runtimes_options *o = ctx;
	struct clrsos_error *err = clrsos_parse_uint("runtime id", arg, &o->id);
	if (err)
		return clrsos_error_wrap(err, "runtimes");
	o->have_id = true;
	return NULL;
}

struct clrsos_error *clrsos_cmd_runtimes(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					 const char *const *argv, struct clrsos_writer *out)
{
	struct runtimes_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
		CLRSOS_FLAG("--netfx|-netfx|-f", &o.netfx),
		CLRSOS_FLAG("--netcore|-netcore|-c", &o.netcore),
		CLRSOS_FLAG("--all|-a", &o.all),
	};
	const struct clrsos_options spec = {
		.command = "runtimes",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = runtimes_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	if (o.netfx && o.netcore)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "runtimes: -netfx and -netcore cannot be given together");
	if (o.netfx)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "runtimes: the desktop .NET Framework runtime is not loaded (Linux has none)");
	if (o.have_id && o.id != 0)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "runtimes: no runtime #%" PRIu64 ": this target has one, #0", o.id);
	struct runtime_view v;
	if ((err = runtime_view_read(session, &v)))
		return err;
	if (o.json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "current");
		clrsos_json_uint(&j, 0);
		clrsos_json_key(&j, "runtimes");
		clrsos_json_array_begin(&j);
		runtime_json(&j, &v);
		clrsos_json_array_end(&j);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else if (o.netcore) {
		clrsos_out(out, "Switched to .NET Core runtime successfully\n");
	} else if (o.have_id) {
		clrsos_out(out, "Switched to runtime #0 successfully\n");
	} else {
		runtime_text(&v, out, "");
	}
	clrsos_error_destroy(v.dac_err);
	return NULL;
}

/* ------------------------------------------------------------ sosstatus */

struct clrsos_error *clrsos_cmd_sosstatus(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					  const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("sosstatus", host, argc, argv, &json);
	if (err)
		return err;
	struct runtime_view v;
	if ((err = runtime_view_read(session, &v)))
		return err;
	struct clrsos_target *target = clrsos_session_target(session);
	bool live = clrsos_target_is_live(target);
	const struct clrsos_settings *settings = host ? host->settings : NULL;
	if (json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "target");
		clrsos_json_string(&j, live ? "live process" : "core");
		clrsos_json_key(&j, "runtimes");
		clrsos_json_array_begin(&j);
		runtime_json(&j, &v);
		clrsos_json_array_end(&j);
		clrsos_json_key(&j, "settings");
		clrsos_json_object_begin(&j);
		for (size_t i = 0; settings && i < clrsos_setting_count; i++) {
			const struct clrsos_setting_info *info = &clrsos_setting_infos[i];
			struct clrsos_setting_value sv = clrsos_settings_get(settings, info);
			clrsos_json_key(&j, info->name);
			if (info->kind == CLRSOS_SETTING_NUMBER)
				clrsos_json_uint(&j, sv.number);
			else
				clrsos_json_string(&j, sv.text);
		}
		clrsos_json_object_end(&j);
		clrsos_json_key(&j, "clrsosVersion");
		clrsos_json_string(&j, CLRSOS_VERSION);
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
	} else {
		clrsos_outf(out, "Target: %s\n", live ? "live process" : "core");
		runtime_text(&v, out, "    ");
		clrsos_out(out, "Settings:\n");
		for (size_t i = 0; settings && i < clrsos_setting_count; i++) {
			const struct clrsos_setting_info *info = &clrsos_setting_infos[i];
			struct clrsos_setting_value sv = clrsos_settings_get(settings, info);
			struct clrsos_name_buf nb;
			if (info->kind == CLRSOS_SETTING_NUMBER)
				clrsos_outf(out, "    %-18s %" PRIu64 "\n", info->name, sv.number);
			else
				clrsos_outf(out, "    %-18s %s\n", info->name,
					    sv.text ? clrsos_safe_name(sv.text, &nb) : "(not set)");
		}
		clrsos_outf(out, "clrsos Version: %s\n", CLRSOS_VERSION);
	}
	clrsos_error_destroy(v.dac_err);
	return NULL;
}

/* ----------------------------------------------------------- clrmodules */

struct clrmodules_options {
	bool json, verbose;
	const char *name;
};

static const char *module_name(const struct clrsos_clr_module *m)
{
	return m->path ? m->path : m->assembly_name ? m->assembly_name : "";
}

static void clrmodules_text(const struct clrsos_clr_module *m, bool verbose, struct clrsos_writer *out)
{
	struct clrsos_name_buf nb;
	const char *dyn = m->dynamic ? "(Dynamic)" : "";
	if (!verbose) {
		clrsos_outf(out, "%016" PRIX64 " %08" PRIX32 " %s%s\n", m->image_base, m->image_size,
			    clrsos_safe_name(module_name(m), &nb), dyn);
		return;
	}
	clrsos_outf(out, "%s%s\n", clrsos_safe_name(module_name(m), &nb), dyn);
	clrsos_outf(out, "    AssemblyName:    %s\n",
		    m->assembly_name ? clrsos_safe_name(m->assembly_name, &nb) : "<unknown>");
	clrsos_outf(out, "    ImageBase:       %016" PRIX64 "\n", m->image_base);
	clrsos_outf(out, "    Size:            %08" PRIX32 "\n", m->image_size);
	clrsos_outf(out, "    ModuleAddress:   %016" PRIX64 "\n", m->address);
	clrsos_outf(out, "    AssemblyAddress: %016" PRIX64 "\n", m->assembly);
	clrsos_outf(out, "    IsPEFile:        %s\n", m->is_pe_file ? "True" : "False");
	clrsos_outf(out, "    IsDynamic:       %s\n", m->dynamic ? "True" : "False");
	clrsos_outf(out, "    MetadataAddress: %016" PRIX64 "\n", m->metadata_start);
	clrsos_outf(out, "    MetadataSize:    %016" PRIX64 "\n", m->metadata_size);
}

static void clrmodules_json(struct clrsos_json *j, const struct clrsos_clr_module *m)
{
	clrsos_json_object_begin(j);
	clrsos_json_key(j, "module");
	clrsos_json_address(j, m->address);
	clrsos_json_key(j, "assembly");
	clrsos_json_address(j, m->assembly);
	clrsos_json_key(j, "assemblyName");
	clrsos_json_string(j, m->assembly_name);
	clrsos_json_key(j, "path");
	clrsos_json_string(j, m->path);
	clrsos_json_key(j, "imageBase");
	clrsos_json_address(j, m->image_base);
	clrsos_json_key(j, "size");
	clrsos_json_uint(j, m->image_size);
	clrsos_json_key(j, "dynamic");
	clrsos_json_bool(j, m->dynamic);
	clrsos_json_key(j, "isPEFile");
	clrsos_json_bool(j, m->is_pe_file);
	clrsos_json_key(j, "metadataAddress");
	clrsos_json_address(j, m->metadata_start);
	clrsos_json_key(j, "metadataSize");
	clrsos_json_uint(j, m->metadata_size);
	clrsos_json_object_end(j);
}

struct clrsos_error *clrsos_cmd_clrmodules(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	struct clrmodules_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
		CLRSOS_FLAG("--verbose|-v", &o.verbose),
		CLRSOS_STRING("--name|-n", &o.name, .flags = CLRSOS_OPTION_NONEMPTY),
	};
	const struct clrsos_options spec = {
		.command = "clrmodules",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	regex_t re;
	if (o.name) {
		int rc = regcomp(&re, o.name, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (rc) {
			char why[128];
			regerror(rc, &re, why, sizeof(why));
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "clrmodules: -name '%s' is not a regular expression: %s", o.name, why);
		}
	}
	struct clrsos_root_cmd c;
	struct clrsos_clr_module_list list = {0};
	if (!(err = clrsos_root_cmd_init(&c, session)))
		err = clrsos_clr_module_list_init(&list, c.dac, c.target);
	if (!err) {
		struct clrsos_json j;
		if (o.json) {
			clrsos_json_init(&j, out);
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "modules");
			clrsos_json_array_begin(&j);
		}
		for (size_t i = 0; i < list.count; i++) {
			const struct clrsos_clr_module *m = &list.items[i];
			/* SOS matches the file name, without its directory. */
			if (o.name && (!*module_name(m) || regexec(&re, file_part(module_name(m)), 0, NULL, 0) != 0))
				continue;
			if (o.json)
				clrmodules_json(&j, m);
			else
				clrmodules_text(m, o.verbose, out);
		}
		if (o.json) {
			clrsos_json_array_end(&j);
			clrsos_json_object_end(&j);
			clrsos_json_end(&j);
		}
	}
	if (o.name)
		regfree(&re);
	clrsos_clr_module_list_deinit(&list);
	return err;
}

/* -------------------------------------------------------------- syncblk */

struct syncblk_row {
	struct clrsos_sync_block block;
	const char *type;   /* the object's type name (borrowed from the types), or NULL */
	int debugger_index; /* the owner's thread index in the debugger (1-based), 0: not found */
};

struct syncblk_result {
	uint32_t total;
	struct syncblk_row *rows; /* the rows shown */
	size_t nrows, capacity;
	uint32_t free_count, ccw, rcw, class_factory;
	uint32_t asked;           /* the index asked for, 0: none */
};

struct syncblk_options {
	bool json, all, have_index;
	uint64_t index;
};

static struct clrsos_error *syncblk_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	(void)index;
	struct syncblk_options *o = ctx;
	struct clrsos_error *err = clrsos_parse_uint_range("the sync block index", arg, 1, UINT32_MAX, &o->index);
	if (err)
		return clrsos_error_wrap(err, "syncblk");
	o->have_index = true;
	return NULL;
}

static struct clrsos_error *syncblk_compute(struct clrsos_session *session, const struct syncblk_options *o,
					    struct syncblk_result *r)
{
	memset(r, 0, sizeof(*r));
	struct clrsos_root_cmd c;
	struct clrsos_error *err = clrsos_root_cmd_init(&c, session);
	if (err || (err = clrsos_sync_block_count(c.dac, &r->total)))
		return err;
	r->asked = o->have_index ? (uint32_t)o->index : 0;
	if (r->asked > r->total)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "syncblk: no sync block %u: the table has %u (syncblk -all lists them)",
					   r->asked, r->total);
	struct clrsos_thread *threads = NULL;
	size_t nthreads = 0;
	if ((err = clrsos_error_ignore(clrsos_target_threads(c.target, &threads, &nthreads))))
		return err;
	struct clrsos_watch *watch = clrsos_session_watch(session);
	for (uint32_t i = 1; i <= r->total && !err; i++) {
		if (r->asked && i != r->asked)
			continue;
		if ((err = clrsos_watch_tick(watch)))
			break;
		struct clrsos_sync_block b;
		if ((err = clrsos_sync_block_read(c.dac, i, &b)))
			break;
		if (b.valid && b.free)
			r->free_count++;
		else if (b.valid) {
			r->ccw += b.com_flags == CLRSOS_SYNC_BLOCK_CCW;
			r->rcw += b.com_flags == CLRSOS_SYNC_BLOCK_RCW;
			r->class_factory += b.com_flags == CLRSOS_SYNC_BLOCK_CLASS_FACTORY;
		}
		/* SOS lists held monitors; -all lists every entry, an index its entry. */
		bool show = o->all || r->asked == i || !b.valid || (b.monitor_held > 0 && !b.free);
		if (!show)
			continue;
		if ((err = clrsos_array_reserve(&r->rows, &r->capacity, r->nrows + 1)))
			break;
		struct syncblk_row *row = &r->rows[r->nrows++];
		memset(row, 0, sizeof(*row));
		row->block = b;
		if (b.valid && !b.free && b.object) {
			const struct clrsos_type *t = NULL;
			if ((err = clrsos_root_cmd_type_of(&c, b.object, &t, NULL)))
				break;
			row->type = t ? clrsos_types_name(c.types, t) : NULL;
		}
		for (size_t k = 0; k < nthreads && b.owner_os_id; k++)
			if (threads[k].os_id == b.owner_os_id)
				row->debugger_index = (int)k + 1;
	}
	free(threads);
	return err;
}

static void syncblk_text(const struct syncblk_result *r, struct clrsos_writer *out)
{
	clrsos_out(out, "Index         SyncBlock MonitorHeld Recursion Owning Thread Info          SyncBlock Owner\n");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct syncblk_row *row = &r->rows[i];
		const struct clrsos_sync_block *b = &row->block;
		if (!b->valid) {
			clrsos_outf(out, "SyncBlock %u is invalid%s\n", b->index,
				    b->index != r->asked ? ", continuing..." : "");
			continue;
		}
		clrsos_outf(out, "%5u ", b->index);
		if (!b->free || b->index != r->asked) {
			clrsos_outf(out, "%016" PRIx64 "  %11u %9u %016" PRIx64 " ", b->address, b->monitor_held,
				    b->recursion, b->owner == CLRSOS_SYNC_BLOCK_ORPHANED ? UINT64_MAX : b->owner);
			if (b->owner == CLRSOS_SYNC_BLOCK_ORPHANED)
				clrsos_out(out, " orphaned ");
			else if (b->owner && row->debugger_index)
				clrsos_outf(out, "%x %4d ", b->owner_os_id, row->debugger_index);
			else if (b->owner)
				clrsos_outf(out, "%x  XXX ", b->owner_os_id);
			else
				clrsos_out(out, "    none  ");
			if (b->free) {
				clrsos_outf(out, "  %8d", 0);
			} else {
				struct clrsos_name_buf nb;
				clrsos_outf(out, "  %016" PRIx64 " %s", b->object,
					    row->type ? clrsos_safe_name(row->type, &nb) : "<unknown type>");
			}
		}
		if (b->free)
			clrsos_out(out, " Free");
		clrsos_out(out, "\n");
	}
	clrsos_out(out, "-----------------------------\n");
	clrsos_outf(out, "Total           %u\n", r->total);
	clrsos_outf(out, "CCW             %u\n", r->ccw);
	clrsos_outf(out, "RCW             %u\n", r->rcw);
	clrsos_outf(out, "ComClassFactory %u\n", r->class_factory);
	clrsos_outf(out, "Free            %u\n", r->free_count);
}

static void syncblk_json(const struct syncblk_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "syncBlocks");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct syncblk_row *row = &r->rows[i];
		const struct clrsos_sync_block *b = &row->block;
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "index");
		clrsos_json_uint(&j, b->index);
		clrsos_json_key(&j, "valid");
		clrsos_json_bool(&j, b->valid);
		clrsos_json_key(&j, "free");
		clrsos_json_bool(&j, b->free);
		clrsos_json_key(&j, "syncBlock");
		clrsos_json_address(&j, b->address);
		clrsos_json_key(&j, "monitorHeld");
		clrsos_json_uint(&j, b->monitor_held);
		clrsos_json_key(&j, "recursion");
		clrsos_json_uint(&j, b->recursion);
		clrsos_json_key(&j, "owner");
		if (b->owner == CLRSOS_SYNC_BLOCK_ORPHANED)
			clrsos_json_string(&j, "orphaned");
		else
			clrsos_json_address(&j, b->owner);
		clrsos_json_key(&j, "ownerOsId");
		clrsos_json_uint(&j, b->owner_os_id);
		clrsos_json_key(&j, "ownerManagedId");
		clrsos_json_uint(&j, b->owner_managed_id);
		clrsos_json_key(&j, "waiters");
		clrsos_json_uint(&j, b->additional_waiters);
		clrsos_json_key(&j, "object");
		clrsos_json_address(&j, b->object);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, row->type);
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_key(&j, "total");
	clrsos_json_uint(&j, r->total);
	clrsos_json_key(&j, "ccw");
	clrsos_json_uint(&j, r->ccw);
	clrsos_json_key(&j, "rcw");
	clrsos_json_uint(&j, r->rcw);
	clrsos_json_key(&j, "comClassFactory");
	clrsos_json_uint(&j, r->class_factory);
	clrsos_json_key(&j, "free");
	clrsos_json_uint(&j, r->free_count);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_syncblk(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct syncblk_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
		CLRSOS_FLAG("-all", &o.all),
	};
	const struct clrsos_options spec = {
		.command = "syncblk",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = 1,
		.operand = syncblk_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (err)
		return err;
	struct syncblk_result r;
	if (!(err = syncblk_compute(session, &o, &r))) {
		if (o.json)
			syncblk_json(&r, out);
		else
			syncblk_text(&r, out);
	}
	free(r.rows);
	return err;
}

/* ----------------------------------------------------------- analyzeoom */

struct clrsos_error *clrsos_cmd_analyzeoom(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					   const char *const *argv, struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("analyzeoom", host, argc, argv, &json);
	if (err)
		return err;
	struct clrsos_root_cmd c;
	const struct clrsos_gc *gc;
	if ((err = clrsos_root_cmd_init(&c, session)) || (err = clrsos_session_gc(session, &gc)))
		return err;
	uint32_t n = gc->nheaps;
	uint64_t *addresses = calloc(n ? n : 1, sizeof(*addresses));
	struct clrsos_oom_info *infos = calloc(n ? n : 1, sizeof(*infos));
	if (!addresses || !infos)
		err = &clrsos_error_no_memory;
	for (uint32_t i = 0; !err && i < n; i++)
		addresses[i] = gc->server ? gc->heaps[i].address : 0;
	if (!err)
		err = clrsos_oom_read(c.dac, addresses, n, infos);
	if (!err) {
		bool found = false;
		for (uint32_t i = 0; i < n; i++)
			found |= infos[i].reason != 0;
		if (json) {
			struct clrsos_json j;
			clrsos_json_init(&j, out);
			clrsos_json_object_begin(&j);
			clrsos_json_key(&j, "found");
			clrsos_json_bool(&j, found);
			clrsos_json_key(&j, "heaps");
			clrsos_json_array_begin(&j);
			for (uint32_t i = 0; i < n; i++) {
				const struct clrsos_oom_info *o = &infos[i];
				clrsos_json_object_begin(&j);
				clrsos_json_key(&j, "heap");
				clrsos_json_uint(&j, o->heap);
				clrsos_json_key(&j, "reason");
				clrsos_json_int(&j, o->reason);
				clrsos_json_key(&j, "reasonText");
				clrsos_json_string(&j, clrsos_oom_reason_text(o->reason));
				clrsos_json_key(&j, "getMemoryFailure");
				clrsos_json_int(&j, o->get_memory_failure);
				clrsos_json_key(&j, "getMemoryFailureText");
				clrsos_json_string(&j, clrsos_oom_failure_text(o->get_memory_failure));
				clrsos_json_key(&j, "largeObjectHeap");
				clrsos_json_bool(&j, o->large_object);
				clrsos_json_key(&j, "size");
				clrsos_json_uint(&j, o->size);
				clrsos_json_key(&j, "allocSize");
				clrsos_json_uint(&j, o->alloc_size);
				clrsos_json_key(&j, "availablePageFileMB");
				clrsos_json_uint(&j, o->available_pagefile_mb);
				clrsos_json_key(&j, "gcIndex");
				clrsos_json_uint(&j, o->gc_index);
				clrsos_json_object_end(&j);
			}
			clrsos_json_array_end(&j);
			clrsos_json_object_end(&j);
			clrsos_json_end(&j);
		} else if (!found) {
			clrsos_out(out, "There was no managed OOM due to allocations on the GC heap\n");
		} else {
			for (uint32_t i = 0; i < n; i++) {
				const struct clrsos_oom_info *o = &infos[i];
				if (!o->reason)
					continue;
				clrsos_outf(out, "%s\n", clrsos_oom_reason_text(o->reason));
				if (o->get_memory_failure) {
					char size[32];
					clrsos_format_thousands(o->size, size, sizeof(size));
					clrsos_outf(out, "Details: %s %s %s bytes\n", o->large_object ? "LOH" : "SOH",
						    clrsos_oom_failure_text(o->get_memory_failure), size);
					if (o->available_pagefile_mb) {
						clrsos_format_thousands(o->available_pagefile_mb, size, sizeof(size));
						clrsos_outf(out, " - on GC entry available commit space was %s MB\n", size);
					}
				}
			}
		}
	}
	free(addresses);
	free(infos);
	return err;
}

/* --------------------------------------------------------------- dumpalc */

struct dumpalc_options {
	bool json, have;
	uint64_t address;
};

static struct clrsos_error *dumpalc_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)index;
	struct dumpalc_options *o = ctx;
	struct clrsos_error *err = clrsos_address_operand("dumpalc", host, arg, &o->have, &o->address);
	return err ? clrsos_error_wrap(err, "dumpalc") : NULL;
}

struct clrsos_error *clrsos_cmd_dumpalc(struct clrsos_session *session, const struct clrsos_host *host, int argc,
					const char *const *argv, struct clrsos_writer *out)
{
	struct dumpalc_options o = {0};
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", &o.json),
	};
	const struct clrsos_options spec = {
		.command = "dumpalc",
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
		.max_operands = -1,
		.operand = dumpalc_operand,
		.ctx = &o,
	};
	struct clrsos_error *err = clrsos_options_parse(&spec, host, argc, argv);
	if (!err && !o.have)
		err = clrsos_address_missing("dumpalc", "an object");
	if (err)
		return err;
	struct clrsos_root_cmd c;
	if ((err = clrsos_root_cmd_init(&c, session)))
		return err;
	const struct clrsos_type *t = NULL;
	if ((err = clrsos_root_cmd_type_of(&c, o.address, &t, NULL)))
		return err;
	if (!t)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "dumpalc: 0x%" PRIx64 " is not a managed object",
					   o.address);
	if (t->is_free)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "dumpalc: 0x%" PRIx64 " is free space, not an object", o.address);
	uint64_t alc = 0;
	if ((err = clrsos_assembly_load_context_read(c.dac, t->mt, &alc)))
		return err;
	const struct clrsos_type *alc_type = NULL;
	if (alc && (err = clrsos_root_cmd_type_of(&c, alc, &alc_type, NULL)))
		return err;
	if (o.json) {
		struct clrsos_json j;
		clrsos_json_init(&j, out);
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "object");
		clrsos_json_address(&j, o.address);
		clrsos_json_key(&j, "type");
		clrsos_json_string(&j, clrsos_types_name(c.types, t));
		clrsos_json_key(&j, "assemblyLoadContext");
		if (alc)
			clrsos_json_address(&j, alc);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "assemblyLoadContextType");
		clrsos_json_string(&j, alc_type ? clrsos_types_name(c.types, alc_type)
					       : alc ? NULL : "System.Runtime.Loader.DefaultAssemblyLoadContext");
		clrsos_json_object_end(&j);
		clrsos_json_end(&j);
		return NULL;
	}
	if (!alc) {
		clrsos_out(out, "Name:        System.Runtime.Loader.DefaultAssemblyLoadContext\n");
		clrsos_out(out, "The managed instance of this context doesn't exist yet\n");
		return NULL;
	}
	/* SOS shows the context as dumpobj does. */
	char text[32];
	snprintf(text, sizeof(text), "%" PRIx64, alc);
	const char *args[] = {text};
	return clrsos_cmd_dumpobj(session, host, 1, args, out);
}
