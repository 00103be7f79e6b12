/*
 * Writes the clrsos(1) manual page from the built tool itself, so that it
 * names every command the tool has and shows each one's own help: the
 * commands are those `clrsos --help` lists (its table, tool/cli/main.c),
 * and each command's usage and options are what `clrsos <command> --help`
 * prints, turned into roff. In the template (docs/man/clrsos.1.in) the line
 * @SYNOPSIS@ becomes every command's usage lines, @COMMANDS@ a subsection
 * per command, and @VERSION@ the version. Run at build time
 * (cmake/Packaging.cmake).
 *
 *   gen_toolpage <template> <output> <version> <clrsos program>
 *
 * What it reads of a help text (the help() of each tool/cli/ command prints it so):
 *   usage: clrsos <command> ...      the first line; more usage lines may
 *          clrsos <command> ...      follow it, indented, up to a blank line
 *   Unindented lines                 prose, filled into paragraphs; a blank
 *                                    line ends a paragraph
 *   "  <tag>  <text>"                an indented line with two spaces in it:
 *                                    an entry (an option and what it does);
 *   "        <more text>"            more indented lines continue the text
 *   "  --option <arg>"               an indented option alone: an entry
 *                                    whose text is on the following lines
 *   any other indented line          shown as is (an example)
 * <word> becomes the italic word (an argument).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The longest help text read: far more than any command's. */
enum { MAX_HELP = 1 << 20, MAX_COMMANDS = 256 };

struct command {
	char *name;
	char *summary;
	char *help;	/* `clrsos <name> --help`, whole */
};

static const char *program;

/* Runs `program arg1 [arg2]` and returns its standard output (malloc'd,
 * NUL-terminated), or NULL with a message when it fails or exits non-zero. */
static char *run_program(const char *arg1, const char *arg2)
{
	int fds[2];
	if (pipe(fds) != 0) {
		perror("gen_toolpage: pipe");
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("gen_toolpage: fork");
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		char *argv[] = {(char *)program, (char *)arg1, (char *)arg2, NULL};
		execv(program, argv);
		perror(program);
		_exit(127);
	}
	close(fds[1]);
	char *text = malloc(MAX_HELP + 1);
	size_t size = 0;
	int too_long = 0;
	while (text) {
		ssize_t n = read(fds[0], text + size, MAX_HELP - size);
		if (n <= 0)
			break;
		size += (size_t)n;
		if (size == MAX_HELP) {
			too_long = 1;
			break;
		}
	}
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		;
	char what[512];
	snprintf(what, sizeof(what), "%s %s%s%s", program, arg1, arg2 ? " " : "", arg2 ? arg2 : "");
	if (!text) {
		fprintf(stderr, "gen_toolpage: out of memory\n");
	} else if (WIFSIGNALED(status)) {
		fprintf(stderr, "gen_toolpage: %s: killed by signal %d\n", what, WTERMSIG(status));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "gen_toolpage: %s: exit status %d\n", what, WEXITSTATUS(status));
	} else if (too_long) {
		fprintf(stderr, "gen_toolpage: %s: more than %d bytes of help\n", what, MAX_HELP);
	} else if (size == 0) {
		fprintf(stderr, "gen_toolpage: %s printed nothing\n", what);
	} else {
		text[size] = '\0';
		if (strlen(text) == size)
			return text;
		fprintf(stderr, "gen_toolpage: %s printed a NUL byte\n", what);
	}
	free(text);
	return NULL;
}

/* Text as roff reads it, n bytes of s: backslashes and minus signs escaped,
 * other characters than ASCII as \[uXXXX], control characters as '?';
 * <word> in italics when args is set; at_start: the text begins an input
 * line, where '.' and '\'' would be a request. */
static void put_inline(FILE *out, const char *s, size_t n, int at_start, int args)
{
	if (at_start && n && (*s == '.' || *s == '\''))
		fputs("\\&", out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '<' && args) {
			size_t j = i + 1;
			while (j < n && (s[j] == '_' || s[j] == '-' || (s[j] >= 'a' && s[j] <= 'z') ||
					 (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')))
				j++;
			if (j > i + 1 && j < n && s[j] == '>' && s[i + 1] != '-') {
				fputs("\\fI", out);
				put_inline(out, s + i + 1, j - i - 1, 0, 0);
				fputs("\\fP", out);
				i = j;
				continue;
			}
		}
		if (c == '\\') {
			fputs("\\e", out);
		} else if (c == '-') {
			fputs("\\-", out);
		} else if (c < 0x20 || c == 0x7f) {
			fputc('?', out);
		} else if (c < 0x80) {
			fputc(c, out);
		} else {
			/* UTF-8: one code point, or '?' for a malformed sequence. */
			int len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
			unsigned long cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0f : c & 0x1f;
			int ok = len && i + (size_t)len <= n;
			for (int k = 1; ok && k < len; k++) {
				unsigned char d = (unsigned char)s[i + (size_t)k];
				ok = (d & 0xc0) == 0x80;
				cp = cp << 6 | (d & 0x3f);
			}
			if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
				   (cp >= 0xd800 && cp <= 0xdfff)))
				ok = 0;
			if (!ok) {
				fputc('?', out);
				continue;
			}
			fprintf(out, "\\[u%04lX]", cp);
			i += (size_t)len - 1;
		}
	}
}

static void put_line(FILE *out, const char *s, size_t n)
{
	put_inline(out, s, n, 1, 1);
	fputc('\n', out);
}

/* The next line of *text (without its newline); advances *text. */
static int next_line(const char **text, const char **line, size_t *n)
{
	if (!**text)
		return 0;
	const char *end = strchr(*text, '\n');
	*line = *text;
	*n = end ? (size_t)(end - *text) : strlen(*text);
	*text = end ? end + 1 : *text + *n;
	return 1;
}

/* Leading spaces of a line (a tab to the next multiple of 8). */
static size_t indent_of(const char *s, size_t n, size_t *skip)
{
	size_t col = 0, i = 0;
	for (; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		col = s[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
	*skip = i;
	return col;
}

static void trim_end(const char *s, size_t *n)
{
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t' || s[*n - 1] == '\r'))
		(*n)--;
}

/* One usage line, "clrsos <name> <arguments>": the command in bold. */
static void put_usage(FILE *out, const char *name, const char *s, size_t n)
{
	size_t head = strlen("clrsos ") + strlen(name);
	fputs("\\fB", out);
	put_inline(out, s, head, 0, 0);
	fputs("\\fR", out);
	put_inline(out, s + head, n - head, 0, 1);
	fputc('\n', out);
}

/* The usage lines at the top of a command's help; after it, *text is the
 * rest. Returns the number of usage lines, 0 when the help does not start
 * with "usage: clrsos <name>". */
static int put_usages(FILE *out, const struct command *c, const char **text)
{
	const char *rest = c->help, *line;
	size_t n, skip, head = strlen("clrsos ") + strlen(c->name);
	int count = 0;
	while (next_line(&rest, &line, &n)) {
		trim_end(line, &n);
		if (count == 0) {
			if (n < 7 || strncmp(line, "usage: ", 7) != 0)
				return 0;
			line += 7;
			n -= 7;
			while (n && *line == ' ')
				line++, n--;
		} else {
			if (n == 0)
				break;
			indent_of(line, n, &skip);
			if (skip == 0)
				break;	/* prose right after the usage */
			line += skip;
			n -= skip;
			if (n >= 3 && !strncmp(line, "or:", 3)) {
				line += 3;
				n -= 3;
				while (n && *line == ' ')
					line++, n--;
			}
		}
		*text = rest;
		int is_usage = n >= head && !strncmp(line, "clrsos ", 7) && !strncmp(line + 7, c->name, strlen(c->name)) &&
			       (n == head || line[head] == ' ');
		if (count == 0 && !is_usage)
			return 0;
		if (is_usage) {
			if (count)
				fputs(".br\n", out);
			put_usage(out, c->name, line, n);
			count++;
		} else {
			put_line(out, line, n);	/* arguments wrapped onto another line */
		}
	}
	return count;
}

enum mode { NONE, TEXT, LIST, LITERAL };

/* The help after its usage lines, as roff. */
static void put_body(FILE *out, const char *text)
{
	enum mode mode = NONE;
	size_t entry_indent = 0, literal_indent = 0;
	const char *line;
	size_t n, skip;
	while (next_line(&text, &line, &n)) {
		trim_end(line, &n);
		size_t indent = indent_of(line, n, &skip);
		const char *s = line + skip;
		size_t len = n - skip;
		if (len == 0) {
			if (mode == LITERAL)
				fputs(".fi\n.RE\n", out);
			mode = NONE;
			continue;
		}
		if (indent == 0) {
			if (mode == LITERAL)
				fputs(".fi\n.RE\n", out);
			if (mode != TEXT)
				fputs(".PP\n", out);
			mode = TEXT;
			put_line(out, s, len);
			continue;
		}
		if (mode == LIST && indent > entry_indent) {
			put_line(out, s, len);	/* the entry's text goes on */
			continue;
		}
		const char *gap = NULL;
		for (size_t i = 0; i + 1 < len; i++)
			if (s[i] == ' ' && s[i + 1] == ' ') {
				gap = s + i;
				break;
			}
		int tag_alone = !gap && s[0] == '-';
		if (gap || tag_alone) {
			if (mode == LITERAL)
				fputs(".fi\n.RE\n", out);
			size_t tag = gap ? (size_t)(gap - s) : len;
			fputs(".TP\n\\fB", out);
			put_inline(out, s, tag, 0, 1);
			fputs("\\fR\n", out);
			if (gap) {
				while (*gap == ' ')
					gap++;
				put_line(out, gap, len - (size_t)(gap - s));
			}
			mode = LIST;
			entry_indent = indent;
			continue;
		}
		if (mode != LITERAL) {
			/* Right under a line of prose ("examples:"), or a paragraph of its own. */
			fputs(mode == TEXT ? ".RS\n.nf\n" : ".PP\n.RS\n.nf\n", out);
			mode = LITERAL;
			literal_indent = indent;
		}
		/* In no-fill mode, the example's own indentation beyond the first line's. */
		for (size_t i = literal_indent; i < indent; i++)
			fputs("\\ ", out);
		put_line(out, s, len);
	}
	if (mode == LITERAL)
		fputs(".fi\n.RE\n", out);
}

/* The commands `clrsos --help` lists: the lines after "commands:", each
 * "  <name>  <summary>", up to a blank line. */
static int read_commands(char *help, struct command *commands, size_t *count)
{
	const char *text = help, *line;
	size_t n;
	int in_list = 0;
	*count = 0;
	while (next_line(&text, &line, &n)) {
		trim_end(line, &n);
		if (!in_list) {
			in_list = n == 9 && !strncmp(line, "commands:", 9);
			continue;
		}
		if (n == 0)
			break;
		size_t skip, i;
		indent_of(line, n, &skip);
		for (i = skip; i < n && line[i] != ' '; i++)
			;
		size_t name_end = i;
		while (i < n && line[i] == ' ')
			i++;
		if (skip == 0 || name_end == skip || i == n) {
			fprintf(stderr, "gen_toolpage: %s --help: not \"  <command>  <summary>\": %.*s\n", program,
				(int)n, line);
			return -1;
		}
		if (*count == MAX_COMMANDS) {
			fprintf(stderr, "gen_toolpage: %s --help: more than %d commands\n", program, MAX_COMMANDS);
			return -1;
		}
		struct command *c = &commands[(*count)++];
		c->name = strndup(line + skip, name_end - skip);
		c->summary = strndup(line + i, n - i);
		c->help = NULL;
		if (!c->name || !c->summary) {
			fprintf(stderr, "gen_toolpage: out of memory\n");
			return -1;
		}
	}
	if (*count == 0) {
		fprintf(stderr, "gen_toolpage: %s --help lists no command (no \"commands:\" list)\n", program);
		return -1;
	}
	return 0;
}

static int put_synopsis(FILE *out, const struct command *commands, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const char *rest;
		if (put_usages(out, &commands[i], &rest) == 0) {
			fprintf(stderr, "gen_toolpage: %s %s --help does not start with \"usage: clrsos %s\"\n",
				program, commands[i].name, commands[i].name);
			return -1;
		}
		fputs(".br\n", out);
	}
	return 0;
}

static void put_commands(FILE *out, const struct command *commands, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct command *c = &commands[i];
		const char *rest;
		fputs(".SS ", out);
		put_inline(out, "clrsos ", 7, 0, 0);
		put_inline(out, c->name, strlen(c->name), 0, 0);
		fputc('\n', out);
		put_line(out, c->summary, strlen(c->summary));
		fputs(".PP\n", out);
		put_usages(out, c, &rest);
		put_body(out, rest);
	}
}

static int write_page(const char *template, const char *output, const char *version,
		      const struct command *commands, size_t count)
{
	FILE *in = fopen(template, "r");
	if (!in) {
		perror(template);
		return 1;
	}
	FILE *out = fopen(output, "w");
	if (!out) {
		perror(output);
		fclose(in);
		return 1;
	}
	char line[4096];
	int rc = 0, synopses = 0, lists = 0;
	while (rc == 0 && fgets(line, sizeof(line), in)) {
		if (!strcmp(line, "@SYNOPSIS@\n")) {
			rc = put_synopsis(out, commands, count) ? 1 : 0;
			synopses++;
		} else if (!strcmp(line, "@COMMANDS@\n")) {
			put_commands(out, commands, count);
			lists++;
		} else {
			char *at = strstr(line, "@VERSION@");
			if (at) {
				fwrite(line, 1, (size_t)(at - line), out);
				fputs(version, out);
				fputs(at + strlen("@VERSION@"), out);
			} else {
				fputs(line, out);
			}
			if (strchr(at ? at + strlen("@VERSION@") : line, '@') && strncmp(line, ".\\\"", 3) != 0) {
				fprintf(stderr, "gen_toolpage: unknown placeholder in: %s", line);
				rc = 1;
			}
		}
	}
	if (rc == 0 && (synopses != 1 || lists != 1)) {
		fprintf(stderr, "gen_toolpage: %s has %d @SYNOPSIS@ and %d @COMMANDS@ lines, not 1 each\n", template,
			synopses, lists);
		rc = 1;
	}
	if (ferror(in) || fclose(out) != 0) {
		perror(output);
		rc = 1;
	}
	fclose(in);
	if (rc != 0)
		remove(output);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: gen_toolpage <template> <output> <version> <clrsos program>\n");
		return 2;
	}
	/* A tool that hangs must fail the build, not stall it. */
	signal(SIGALRM, SIG_DFL);
	alarm(120);
	program = argv[4];
	static struct command commands[MAX_COMMANDS];
	size_t count = 0;
	int rc = 1;
	char *help = run_program("--help", NULL);
	if (!help || read_commands(help, commands, &count) != 0)
		goto out;
	for (size_t i = 0; i < count; i++)
		if (!(commands[i].help = run_program(commands[i].name, "--help")))
			goto out;
	rc = write_page(argv[1], argv[2], argv[3], commands, count);
out:
	for (size_t i = 0; i < count; i++) {
		free(commands[i].name);
		free(commands[i].summary);
		free(commands[i].help);
	}
	free(help);
	return rc;
}
