/* Options: the one argv parser of every command (options.h). */
#include "options.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"

bool clrsos_is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] && !(arg[1] >= '0' && arg[1] <= '9');
}

struct clrsos_error *clrsos_unknown_option(const char *command, const char *option)
{
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s: unknown option '%s': see 'help %s'",
				   command, option, command);
}

struct clrsos_error *clrsos_missing_value(const char *command, const char *option)
{
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s: %s needs a value: see 'help %s'",
				   command, option, command);
}

struct clrsos_error *clrsos_unexpected_argument(const char *command, const char *arg)
{
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
				   "%s: unexpected argument '%s': see 'help %s'", command, arg, command);
}

/* Whether word (up to len bytes) is one of name's '|'-separated spellings. */
static bool spelled(const struct clrsos_option *o, const char *word, size_t len)
{
	for (const char *s = o->name; *s;) {
		const char *bar = strchr(s, '|');
		size_t n = bar ? (size_t)(bar - s) : strlen(s);
		if (n == len && ((o->flags & CLRSOS_OPTION_NOCASE) ? strncasecmp(s, word, n) == 0
								 : strncmp(s, word, n) == 0))
			return true;
		if (!bar)
			break;
		s = bar + 1;
	}
	return false;
}

/*
 * The option arg names: the whole word, or (for an option that takes
 * -opt:value) the part before its first colon, *ret_joined then pointing
 * after the colon.
 */
static const struct clrsos_option *find(const struct clrsos_options *spec, const char *arg,
					const char **ret_joined)
{
	*ret_joined = NULL;
	size_t len = strlen(arg);
	for (size_t i = 0; i < spec->count; i++)
		if (spelled(&spec->options[i], arg, len))
			return &spec->options[i];
	const char *colon = strchr(arg, ':');
	if (!colon)
		return NULL;
	for (size_t i = 0; i < spec->count; i++) {
		const struct clrsos_option *o = &spec->options[i];
		if ((o->flags & CLRSOS_OPTION_COLON) && spelled(o, arg, (size_t)(colon - arg))) {
			*ret_joined = colon + 1;
			return o;
		}
	}
	return NULL;
}

static struct clrsos_error *set_value(const struct clrsos_options *spec, const struct clrsos_host *host,
				      const struct clrsos_option *o, const char *arg, const char *value)
{
	struct clrsos_error *err = NULL;
	if ((o->flags & CLRSOS_OPTION_NONEMPTY) && !value[0])
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "%s %s: the value is empty",
					   spec->command, arg);
	switch (o->kind) {
	case CLRSOS_OPTION_FLAG:
		*(bool *)o->value = true;
		break;
	case CLRSOS_OPTION_STRING:
		*(const char **)o->value = value;
		break;
	case CLRSOS_OPTION_ADDRESS:
		err = clrsos_parse_address(host, value, (uint64_t *)o->value);
		break;
	case CLRSOS_OPTION_UINT:
		err = clrsos_parse_uint_range(arg, value, o->min, o->max ? o->max : UINT64_MAX,
					      (uint64_t *)o->value);
		break;
	case CLRSOS_OPTION_CUSTOM:
		err = o->parse(host, o, value);
		break;
	}
	if (err)
		return clrsos_error_wrap(err, "%s", spec->command);
	if (o->text)
		*o->text = value;
	return NULL;
}

struct clrsos_error *clrsos_options_parse(const struct clrsos_options *spec, const struct clrsos_host *host,
					  int argc, const char *const *argv)
{
	int operands = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *joined;
		const struct clrsos_option *o = find(spec, arg, &joined);
		/* SOS's /d (DML output, a WinDbg markup): every SOS command takes it; plain text here. */
		if (!o && !strcmp(arg, "/d"))
			continue;
		if (!o) {
			if (clrsos_is_option(arg))
				return clrsos_unknown_option(spec->command, arg);
			if (!spec->operand || (spec->max_operands >= 0 && operands >= spec->max_operands))
				return clrsos_unexpected_argument(spec->command, arg);
			struct clrsos_error *err = spec->operand(spec->ctx, host, arg, operands++);
			if (err)
				return err;
			continue;
		}
		if (o->given)
			*o->given = true;
		if (o->kind == CLRSOS_OPTION_FLAG) {
			if (joined)
				return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							   "%s: %s takes no value: see 'help %s'", spec->command,
							   o->name, spec->command);
			*(bool *)o->value = true;
			continue;
		}
		const char *value = joined;
		if (!value) {
			if (i + 1 >= argc)
				return clrsos_missing_value(spec->command, arg);
			value = argv[++i];
		}
		struct clrsos_error *err = set_value(spec, host, o, joined ? o->name : arg, value);
		if (err)
			return err;
	}
	return NULL;
}

struct clrsos_error *clrsos_options_parse_json_only(const char *command, const struct clrsos_host *host, int argc,
						    const char *const *argv, bool *json)
{
	*json = false;
	const struct clrsos_option table[] = {
		CLRSOS_FLAG("--json", json),
	};
	const struct clrsos_options spec = {
		.command = command,
		.options = table,
		.count = CLRSOS_OPTION_COUNT(table),
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}

static struct clrsos_error *keep_operand(void *ctx, const struct clrsos_host *host, const char *arg, int index)
{
	(void)host;
	(void)index;
	*(const char **)ctx = arg;
	return NULL;
}

struct clrsos_error *clrsos_options_parse_operand(const char *command, const struct clrsos_option *table,
						  size_t count, int max_operands, const struct clrsos_host *host,
						  int argc, const char *const *argv, const char **ret_operand)
{
	*ret_operand = NULL;
	const struct clrsos_options spec = {
		.command = command,
		.options = table,
		.count = count,
		.max_operands = max_operands,
		.operand = keep_operand,
		.ctx = ret_operand,
	};
	return clrsos_options_parse(&spec, host, argc, argv);
}
