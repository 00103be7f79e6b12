/* settings: clrsos's settings (session.h), listed, shown and set by name. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* What the command answers: every setting, or the one named (after setting it). */
struct settings_result {
	const struct clrsos_settings *settings;
	const struct clrsos_setting_info *only; /* NULL: all */
	bool changed;
};

/* A value as text: the number, the text, or "(not set)". */
static const char *value_text(const struct clrsos_setting_info *info, struct clrsos_setting_value v,
			      char *buf, size_t size)
{
	if (info->kind == CLRSOS_SETTING_NUMBER) {
		snprintf(buf, size, "%" PRIu64, v.number);
		return buf;
	}
	return v.text ? v.text : "(not set)";
}

static void render_text(const struct settings_result *r, struct clrsos_writer *out)
{
	char buf[32];
	if (r->only) {
		struct clrsos_setting_value v = clrsos_settings_get(r->settings, r->only);
		clrsos_outf(out, "%s = %s\n", r->only->name, value_text(r->only, v, buf, sizeof(buf)));
		return;
	}
	int width = 9; /* "(not set)" */
	for (size_t i = 0; i < clrsos_setting_count; i++) {
		const struct clrsos_setting_info *info = &clrsos_setting_infos[i];
		size_t n = strlen(value_text(info, clrsos_settings_get(r->settings, info), buf, sizeof(buf)));
		if (n > (size_t)width && n < 80)
			width = (int)n;
	}
	for (size_t i = 0; i < clrsos_setting_count; i++) {
		const struct clrsos_setting_info *info = &clrsos_setting_infos[i];
		const char *value = value_text(info, clrsos_settings_get(r->settings, info), buf, sizeof(buf));
		clrsos_outf(out, "%-18s %-*s  %s\n", info->name, width, value, info->help);
	}
}

static void json_value(struct clrsos_json *j, const struct settings_result *r,
		       const struct clrsos_setting_info *info)
{
	struct clrsos_setting_value v = clrsos_settings_get(r->settings, info);
	clrsos_json_key(j, "name");
	clrsos_json_string(j, info->name);
	clrsos_json_key(j, "value");
	if (info->kind == CLRSOS_SETTING_NUMBER)
		clrsos_json_uint(j, v.number);
	else if (v.text)
		clrsos_json_string(j, v.text);
	else
		clrsos_json_null(j);
}

static void render_json(const struct settings_result *r, struct clrsos_writer *out)
{
	struct clrsos_json j;
	clrsos_json_init(&j, out);
	clrsos_json_object_begin(&j);
	if (r->only) {
		json_value(&j, r, r->only);
		clrsos_json_key(&j, "changed");
		clrsos_json_bool(&j, r->changed);
	} else {
		clrsos_json_key(&j, "settings");
		clrsos_json_array_begin(&j);
		for (size_t i = 0; i < clrsos_setting_count; i++) {
			const struct clrsos_setting_info *info = &clrsos_setting_infos[i];
			clrsos_json_object_begin(&j);
			json_value(&j, r, info);
			clrsos_json_key(&j, "takes");
			clrsos_json_string(&j, info->values);
			clrsos_json_key(&j, "help");
			clrsos_json_string(&j, info->help);
			clrsos_json_object_end(&j);
		}
		clrsos_json_array_end(&j);
	}
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
}

struct clrsos_error *clrsos_cmd_settings(struct clrsos_session *session, const struct clrsos_host *host,
					 int argc, const char *const *argv, struct clrsos_writer *out)
{
	(void)session;
	bool json = false, clear = false;
	const char *operands[2];
	int count = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-clear") == 0 || strcmp(argv[i], "--clear") == 0)
			clear = true;
		else if (count == 2)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "settings takes a name and a value, not '%s' too: see 'clrsos help settings'",
						   argv[i]);
		else
			operands[count++] = argv[i];
	}
	if (!host || !host->settings)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "settings: this debugger has no settings");
	struct settings_result r = {.settings = host->settings};
	if (count > 0) {
		r.only = clrsos_setting_find(operands[0]);
		if (!r.only)
			return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						   "settings: no setting '%s': 'clrsos settings' lists them", operands[0]);
	}
	if (clear && (count != 1))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "settings -clear takes the name of one setting and no value: see 'clrsos help settings'");
	if (clear || count == 2) {
		struct clrsos_error *err = clear ? clrsos_settings_reset(host->settings, r.only)
						 : clrsos_settings_set(host->settings, r.only, operands[1]);
		if (err)
			return err;
		r.changed = true;
	}
	if (json)
		render_json(&r, out);
	else
		render_text(&r, out);
	return NULL;
}
