#include <inttypes.h>
#include <string.h>

#include "model/runtime.h"
#include "commands.h"

#ifndef CLRSOS_VERSION
#define CLRSOS_VERSION "0.0.0"
#endif

static void write_text(const struct clrsos_runtime_info *r, struct clrsos_writer *w)
{
	/* The version strings and paths come from the target: shown escaped. */
	struct clrsos_name_buf nb;
	if (r->have_version) {
		clrsos_outf(w, "%s\n", clrsos_safe_name(r->version.file_version, &nb));
		clrsos_outf(w, ".NET runtime %s", clrsos_safe_name(r->version.product, &nb));
		if (r->version.commit[0])
			clrsos_outf(w, " @Commit: %s", clrsos_safe_name(r->version.commit, &nb));
		clrsos_out(w, "\n");
	}
	if (r->have_gc_mode) {
		if (r->gc_mode.server)
			clrsos_outf(w, "Server mode with %u gc heaps\n", r->gc_mode.nheaps);
		else
			clrsos_out(w, "Workstation mode\n");
		clrsos_outf(w, "GC: %s, %u heap%s", r->gc_mode.regions ? "regions" : "segments",
			    r->gc_mode.nheaps, r->gc_mode.nheaps == 1 ? "" : "s");
		if (r->gc_mode.dynamic_adaptation_known)
			clrsos_outf(w, ", DATAS %d", r->gc_mode.dynamic_adaptation);
		clrsos_out(w, "\n");
		if (!r->gc_mode.structures_valid)
			clrsos_out(w, "In plan phase of garbage collection\n");
	}
	clrsos_outf(w, "Runtime: %s at 0x%" PRIx64 " (build-id %s%s)\n",
		    clrsos_safe_name(r->module->path ? r->module->path : r->module->name, &nb),
		    r->module->base, r->build_id,
		    r->build_id_from_memory ? "" : ", as the debugger reports it");
	if (r->dac_path)
		clrsos_outf(w, "DAC: %s\n", clrsos_safe_name(r->dac_path, &nb));
	clrsos_outf(w, "clrsos Version: %s\n", CLRSOS_VERSION);
}

static void write_json(const struct clrsos_runtime_info *r, struct clrsos_writer *w)
{
	struct clrsos_json j;
	clrsos_json_init(&j, w);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "runtimeVersion");
	clrsos_json_string(&j, r->have_version ? r->version.product : NULL);
	clrsos_json_key(&j, "fileVersion");
	clrsos_json_string(&j, r->have_version ? r->version.file_version : NULL);
	clrsos_json_key(&j, "commit");
	clrsos_json_string(&j, r->have_version && r->version.commit[0] ? r->version.commit : NULL);
	clrsos_json_key(&j, "runtimePath");
	clrsos_json_string(&j, r->module->path ? r->module->path : r->module->name);
	clrsos_json_key(&j, "runtimeBase");
	clrsos_json_address(&j, r->module->base);
	clrsos_json_key(&j, "buildId");
	clrsos_json_string(&j, r->build_id);
	clrsos_json_key(&j, "buildIdFromTargetMemory");
	clrsos_json_bool(&j, r->build_id_from_memory);
	clrsos_json_key(&j, "dacPath");
	clrsos_json_string(&j, r->dac_path);
	if (r->have_gc_mode) {
		clrsos_json_key(&j, "gcMode");
		clrsos_json_string(&j, r->gc_mode.server ? "server" : "workstation");
		clrsos_json_key(&j, "regions");
		clrsos_json_bool(&j, r->gc_mode.regions);
		clrsos_json_key(&j, "heapCount");
		clrsos_json_uint(&j, r->gc_mode.nheaps);
		clrsos_json_key(&j, "datas");
		if (r->gc_mode.dynamic_adaptation_known)
			clrsos_json_int(&j, r->gc_mode.dynamic_adaptation);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "gcStructuresValid");
		clrsos_json_bool(&j, r->gc_mode.structures_valid);
	}
	clrsos_json_key(&j, "clrsosVersion");
	clrsos_json_string(&j, CLRSOS_VERSION);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_eeversion(struct clrsos_session *session,
					  const struct clrsos_host *host,
					  int argc, const char *const *argv,
					  struct clrsos_writer *out)
{
	bool json;
	struct clrsos_error *err = clrsos_options_parse_json_only("eeversion", host, argc, argv, &json);
	if (err)
		return err;
	clrsos_session_refresh(session);
	struct clrsos_runtime_info r;
	err = clrsos_runtime_describe(clrsos_session_target(session), &r);
	if (err)
		return err;
	/* The DAC is optional here: without it, show what the target says and why. */
	struct clrsos_dac *dac = NULL;
	struct clrsos_error *dac_err = clrsos_session_dac(session, &dac);
	if (!dac_err)
		dac_err = clrsos_runtime_describe_dac(&r, dac);
	if (clrsos_error_is_no_memory(dac_err))
		return dac_err;
	if (json)
		write_json(&r, out);
	else
		write_text(&r, out);
	return dac_err;
}
