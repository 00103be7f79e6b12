#include "fake_event.h"

#include <stdlib.h>
#include <string.h>

static struct clrsos_error *fake_find(void *ctx, const char *path, struct clrsos_nettrace_value *value,
				      char **string)
{
	struct fake_event *fake = ctx;
	*string = NULL;
	for (size_t i = 0; i < fake->count; i++) {
		const struct fake_field *f = &fake->fields[i];
		if (strcmp(f->path, path))
			continue;
		memset(value, 0, sizeof(*value));
		value->field = &fake->descs[i];
		value->path = f->path;
		switch (f->type) {
		case CLRSOS_NETTRACE_STRING:
			*string = strdup(f->s);
			if (!*string)
				return &clrsos_error_no_memory;
			value->v.s = *string;
			break;
		case CLRSOS_NETTRACE_SINGLE:
		case CLRSOS_NETTRACE_DOUBLE:
			value->v.d = f->d;
			break;
		default:
			value->v.i = f->i;
			break;
		}
		return NULL;
	}
	return clrsos_error_create(CLRSOS_ERROR_OTHER, "no field %s", path);
}

void fake_event_init(struct fake_event *fake, struct clrsos_counters_event *event, const char *provider,
		     const char *name, unsigned version, double timestamp, const struct fake_field *fields,
		     size_t count)
{
	memset(fake, 0, sizeof(*fake));
	fake->fields = fields;
	fake->count = count < 32 ? count : 32;
	for (size_t i = 0; i < fake->count; i++) {
		fake->descs[i].name = (char *)fields[i].path;
		fake->descs[i].type = fields[i].type;
	}
	*event = (struct clrsos_counters_event){
		.provider = provider, .name = name, .version = version, .timestamp = timestamp,
		.find = fake_find, .ctx = fake,
	};
}
