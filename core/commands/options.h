/*
 * Options: one table-driven parser for every command's argv.
 *
 * A command describes its options in a table (name, kind, where the value
 * goes) and its operands with a callback; clrsos_options_parse walks argv
 * once and fills them in. Spellings follow SOS: single-dash words
 * ("-stat"), alternatives separated by '|' ("--save|-save"), matched exactly
 * or, with CLRSOS_OPTION_NOCASE, in any case ("-ignoreGCState"); an option
 * that takes a value takes it as the next word ("-mt 7f00") and, with
 * CLRSOS_OPTION_COLON, also joined by a colon ("-mt:7f00"). Every kind of
 * mistake has one error text, the same for all commands:
 *   "<command>: unknown option '<arg>': see 'help <command>'"
 *   "<command>: <option> needs a value: see 'help <command>'"
 *   "<command>: <option> takes no value: see 'help <command>'"
 *   "<command>: unexpected argument '<arg>': see 'help <command>'"
 *   "<command>: <what the value parser said>"
 * A word is an option if it is a dash and then no digit: "-5", "0x10" and
 * "-" are operands.
 */
#ifndef CLRSOS_OPTIONS_H
#define CLRSOS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_host;

enum clrsos_option_kind {
	CLRSOS_OPTION_FLAG,    /* bool *: set to true */
	CLRSOS_OPTION_STRING,  /* const char **: the value, borrowed from argv */
	CLRSOS_OPTION_ADDRESS, /* uint64_t *: an address or lldb expression (clrsos_parse_address) */
	CLRSOS_OPTION_UINT,    /* uint64_t *: a number within [min, max] (clrsos_parse_uint_range) */
	CLRSOS_OPTION_CUSTOM,  /* parsed by the option's parse callback */
};

enum {
	CLRSOS_OPTION_NOCASE = 1 << 0, /* the name matches in any case */
	CLRSOS_OPTION_COLON = 1 << 1,  /* the value may follow a colon: -opt:value */
	CLRSOS_OPTION_NONEMPTY = 1 << 2, /* an empty value is refused ("... is empty") */
};

struct clrsos_option {
	const char *name;             /* "-stat"; alternatives: "--save|-save" */
	enum clrsos_option_kind kind;
	void *value;                  /* where the value goes (see the kinds) */
	bool *given;                  /* optional: set to true when the option appears */
	const char **text;            /* optional: the value as typed */
	unsigned flags;
	uint64_t min, max;            /* UINT: the range (max 0: any) */
	/* CUSTOM: parses value into option->value; the error says what is wrong. */
	struct clrsos_error *(*parse)(const struct clrsos_host *host, const struct clrsos_option *option,
				      const char *value);
};

/*
 * A command's argv: its options, and its operands, which go one by one to
 * operand (index counting from 0) when it is set; max_operands bounds them
 * (0 with no callback: none taken).
 */
struct clrsos_options {
	const char *command;
	const struct clrsos_option *options;
	size_t count;
	int max_operands;             /* -1: unbounded */
	struct clrsos_error *(*operand)(void *ctx, const struct clrsos_host *host, const char *arg,
					int index);
	void *ctx;
};

#define CLRSOS_OPTION_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/* Table rows: name, where the value goes, then any more fields (.given = &b, .flags = ...). */
#define CLRSOS_FLAG(n, v, ...) {.name = (n), .kind = CLRSOS_OPTION_FLAG, .value = (v), __VA_ARGS__}
#define CLRSOS_STRING(n, v, ...) {.name = (n), .kind = CLRSOS_OPTION_STRING, .value = (v), __VA_ARGS__}
#define CLRSOS_ADDRESS(n, v, ...) {.name = (n), .kind = CLRSOS_OPTION_ADDRESS, .value = (v), __VA_ARGS__}
#define CLRSOS_UINT(n, v, ...) {.name = (n), .kind = CLRSOS_OPTION_UINT, .value = (v), __VA_ARGS__}
#define CLRSOS_CUSTOM(n, v, fn, ...) \
	{.name = (n), .kind = CLRSOS_OPTION_CUSTOM, .value = (v), .parse = (fn), __VA_ARGS__}

/* Parses argv by spec; the first mistake is the error (with the command's name). */
struct clrsos_error *clrsos_options_parse(const struct clrsos_options *spec, const struct clrsos_host *host,
					  int argc, const char *const *argv);

/* A command that takes --json and nothing else: *json says whether it was given. */
struct clrsos_error *clrsos_options_parse_json_only(const char *command, const struct clrsos_host *host, int argc,
						    const char *const *argv, bool *json);

/*
 * A command with options (table of count rows) and at most max_operands
 * (0 or 1) operand, kept as given in *ret_operand (NULL: none given).
 */
struct clrsos_error *clrsos_options_parse_operand(const char *command, const struct clrsos_option *table,
						  size_t count, int max_operands, const struct clrsos_host *host,
						  int argc, const char *const *argv, const char **ret_operand);

/* Whether arg is an option: a dash and then no digit (-5, 0x10 and "-" are operands). */
bool clrsos_is_option(const char *arg);

/* The one error text of each kind of mistake (see above). */
struct clrsos_error *clrsos_unknown_option(const char *command, const char *option);
struct clrsos_error *clrsos_missing_value(const char *command, const char *option);
struct clrsos_error *clrsos_unexpected_argument(const char *command, const char *arg);

#ifdef __cplusplus
}
#endif

#endif
