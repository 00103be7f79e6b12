/*
 * Writes the clrsos(7) manual page: the template (docs/man/clrsos.7.in)
 * with its @COMMANDS@ line replaced by one entry per command of
 * clrsos_commands[], the table the plugin registers its commands from
 * (name, SOS's other names, one-line help), and @VERSION@, @PLUGIN@, @DOCDIR@ by the
 * arguments. Run at build time (cmake/Packaging.cmake).
 *
 *   gen_manpage <template> <output> <version> <plugin path> <doc directory>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"

/* Text as roff reads it: backslashes and minus signs escaped, and no line
 * that starts with a control character. */
static void put_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\n')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static void put_commands(FILE *out)
{
	for (size_t i = 0; i < clrsos_command_count; i++) {
		const struct clrsos_command *c = &clrsos_commands[i];
		/* The tag is the one line after .TP: "name (or alias, alias)". */
		fputs(".TP\n.BR ", out);
		put_text(out, c->name);
		for (const char *const *a = c->aliases; a && *a; a++) {
			fputs(a == c->aliases ? " \" (or \" " : " \", \" ", out);
			put_text(out, *a);
		}
		if (c->aliases && c->aliases[0])
			fputs(" )", out);
		fputc('\n', out);
		put_text(out, c->help);
		fputc('\n', out);
	}
}

/* A line of the template, its @NAME@ placeholders replaced. */
static int put_line(FILE *out, const char *line, char *const *names, char *const *values)
{
	while (*line) {
		const char *at = strchr(line, '@');
		if (!at) {
			fputs(line, out);
			break;
		}
		fwrite(line, 1, (size_t)(at - line), out);
		int done = 0;
		for (size_t i = 0; names[i]; i++) {
			size_t n = strlen(names[i]);
			if (strncmp(at, names[i], n) == 0) {
				fputs(values[i], out);
				line = at + n;
				done = 1;
				break;
			}
		}
		if (!done) {
			fprintf(stderr, "gen_manpage: unknown placeholder in: %s", at);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: gen_manpage <template> <output> <version> <plugin> <docdir>\n");
		return 2;
	}
	char *names[] = {"@VERSION@", "@PLUGIN@", "@DOCDIR@", NULL};
	char *values[] = {argv[3], argv[4], argv[5], NULL};
	FILE *in = fopen(argv[1], "r");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	FILE *out = fopen(argv[2], "w");
	if (!out) {
		perror(argv[2]);
		fclose(in);
		return 1;
	}
	char line[4096];
	int rc = 0, commands = 0;
	while (rc == 0 && fgets(line, sizeof(line), in)) {
		if (strcmp(line, "@COMMANDS@\n") == 0) {
			put_commands(out);
			commands++;
		} else {
			rc = put_line(out, line, names, values);
		}
	}
	if (rc == 0 && commands != 1) {
		fprintf(stderr, "gen_manpage: %s has %d @COMMANDS@ lines, not 1\n", argv[1], commands);
		rc = 1;
	}
	if (ferror(in) || fclose(out) != 0) {
		perror(argv[2]);
		rc = 1;
	}
	fclose(in);
	if (rc != 0)
		remove(argv[2]);
	return rc;
}
