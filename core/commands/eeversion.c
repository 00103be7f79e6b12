#include <inttypes.h>
#include <string.h>

#include "model/runtime.h"
#include "commands.h"

#ifndef CLRSOS_VERSION
#define CLRSOS_VERSION "0.0.0"
#endif

struct eeversion_result {
	const struct clrsos_module *runtime;
	char build_id[2 * CLRSOS_BUILD_ID_MAX + 1];
	bool build_id_from_memory;
	struct clrsos_runtime_version version;
	bool have_version;
	const char *dac_path; /* NULL when the DAC could not be opened */
	struct clrsos_gc mode;
	bool have_mode;
};

static void write_text(const struct eeversion_result *r, struct clrsos_writer *w)
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
	if (r->have_mode) {
		if (r->mode.server)
			clrsos_outf(w, "Server mode with %u gc heaps\n", r->mode.nheaps);
		else
			clrsos_out(w, "Workstation mode\n");
		clrsos_outf(w, "GC: %s, %u heap%s", r->mode.regions ? "regions" : "segments",
			    r->mode.nheaps, r->mode.nheaps == 1 ? "" : "s");
		if (r->mode.dynamic_adaptation_known)
			clrsos_outf(w, ", DATAS %d", r->mode.dynamic_adaptation);
		clrsos_out(w, "\n");
		if (!r->mode.structures_valid)
			clrsos_out(w, "In plan phase of garbage collection\n");
	}
	clrsos_outf(w, "Runtime: %s at 0x%" PRIx64 " (build-id %s%s)\n",
		    clrsos_safe_name(r->runtime->path ? r->runtime->path : r->runtime->name, &nb),
		    r->runtime->base, r->build_id,
		    r->build_id_from_memory ? "" : ", as the debugger reports it");
	if (r->dac_path)
		clrsos_outf(w, "DAC: %s\n", clrsos_safe_name(r->dac_path, &nb));
	clrsos_outf(w, "clrsos Version: %s\n", CLRSOS_VERSION);
}

static void write_json(const struct eeversion_result *r, struct clrsos_writer *w)
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
	clrsos_json_string(&j, r->runtime->path ? r->runtime->path : r->runtime->name);
	clrsos_json_key(&j, "runtimeBase");
	clrsos_json_address(&j, r->runtime->base);
	clrsos_json_key(&j, "buildId");
	clrsos_json_string(&j, r->build_id);
	clrsos_json_key(&j, "buildIdFromTargetMemory");
	clrsos_json_bool(&j, r->build_id_from_memory);
	clrsos_json_key(&j, "dacPath");
	clrsos_json_string(&j, r->dac_path);
	if (r->have_mode) {
		clrsos_json_key(&j, "gcMode");
		clrsos_json_string(&j, r->mode.server ? "server" : "workstation");
		clrsos_json_key(&j, "regions");
		clrsos_json_bool(&j, r->mode.regions);
		clrsos_json_key(&j, "heapCount");
		clrsos_json_uint(&j, r->mode.nheaps);
		clrsos_json_key(&j, "datas");
		if (r->mode.dynamic_adaptation_known)
			clrsos_json_int(&j, r->mode.dynamic_adaptation);
		else
			clrsos_json_null(&j);
		clrsos_json_key(&j, "gcStructuresValid");
		clrsos_json_bool(&j, r->mode.structures_valid);
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
	(void)host;
	bool json = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return clrsos_unknown_option("eeversion", argv[i]);
	}
	clrsos_session_refresh(session);
	struct clrsos_target *target = clrsos_session_target(session);
	struct eeversion_result r;
	memset(&r, 0, sizeof(r));
	struct clrsos_error *err = clrsos_dac_find_runtime(target, &r.runtime);
	if (err)
		return err;
	uint8_t id[CLRSOS_BUILD_ID_MAX];
	size_t id_len = 0;
	err = clrsos_target_module_build_id(target, r.runtime, id, &id_len,
					    &r.build_id_from_memory);
	if (err)
		return err;
	clrsos_build_id_hex(id, id_len, r.build_id);

	/* The DAC is optional here: without it, show what the target says and why. */
	struct clrsos_dac *dac = NULL;
	struct clrsos_error *dac_err = clrsos_session_dac(session, &dac);
	if (!dac_err) {
		r.dac_path = clrsos_dac_path(dac);
		dac_err = clrsos_gc_mode_read(dac, &r.mode);
		r.have_mode = dac_err == NULL;
	}
	struct clrsos_error *verr = clrsos_runtime_version_read(target, r.runtime, &r.version);
	r.have_version = verr == NULL;
	if (clrsos_error_is_no_memory(verr)) {
		clrsos_error_destroy(dac_err);
		return verr; /* not "no version" */
	}
	clrsos_error_destroy(verr);

	if (json)
		write_json(&r, out);
	else
		write_text(&r, out);
	return dac_err;
}
