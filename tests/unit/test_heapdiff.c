/*
 * heapdiff and the histogram file (core/histogram.c, core/commands/heapdiff.c):
 * saved files with known contents, compared; every kind of bad file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "commands/commands.h"
#include "analysis/histogram.h"
#include "tests.h"

struct diff_fx {
	char dir[64];
	char *paths[8];
	size_t npaths;
	char *out;
	size_t len, cap;
	struct clrsos_writer writer;
};

static void collect(void *ctx, const char *text, size_t size)
{
	struct diff_fx *fx = ctx;
	if (fx->len + size + 1 > fx->cap) {
		fx->cap = (fx->len + size + 1) * 2;
		fx->out = realloc(fx->out, fx->cap);
		assert_non_null(fx->out);
	}
	memcpy(fx->out + fx->len, text, size);
	fx->len += size;
	fx->out[fx->len] = '\0';
}

static int diff_setup(void **state)
{
	struct diff_fx *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/clrsos-heapdiff-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->writer.write = collect;
	fx->writer.ctx = fx;
	*state = fx;
	return 0;
}

static int diff_teardown(void **state)
{
	struct diff_fx *fx = *state;
	for (size_t i = 0; i < fx->npaths; i++) {
		unlink(fx->paths[i]);
		free(fx->paths[i]);
	}
	rmdir(fx->dir);
	free(fx->out);
	free(fx);
	return 0;
}

/* A file in the fixture's directory holding text; its path. */
static const char *file_with(struct diff_fx *fx, const char *name, const char *text)
{
	assert_true(fx->npaths < sizeof(fx->paths) / sizeof(fx->paths[0]));
	char *path;
	assert_true(asprintf(&path, "%s/%s", fx->dir, name) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	fx->paths[fx->npaths++] = path;
	return path;
}

static struct clrsos_error *heapdiff(struct diff_fx *fx, int argc, const char *const *argv)
{
	fx->len = 0;
	if (fx->out)
		fx->out[0] = '\0';
	return clrsos_cmd_heapdiff(NULL, NULL, argc, argv, &fx->writer);
}

#define HEAPDIFF(fx, ...)                                                              \
	heapdiff(fx, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), \
		 (const char *const[]){__VA_ARGS__})

static const char BEFORE[] =
	"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"createdAt\": \"2026-11-22T01:00:00Z\",\n"
	" \"live\": false, \"dead\": false, \"filtered\": false, \"objects\": 0, \"bytes\": 0,\n"
	" \"types\": [\n"
	"  {\"name\": \"App.Customer\", \"mt\": \"0x1000\", \"count\": 10, \"bytes\": 480},\n"
	"  {\"name\": \"System.String\", \"mt\": \"0x2000\", \"count\": 100, \"bytes\": 4000},\n"
	"  {\"name\": \"App.Shrinking\", \"count\": 50, \"bytes\": 1600},\n"
	"  {\"name\": \"App.Gone\", \"count\": 3, \"bytes\": 72},\n"
	"  {\"name\": \"App.Same\", \"count\": 7, \"bytes\": 168},\n"
	"  {\"name\": \"App.Twice\", \"mt\": \"0x3000\", \"count\": 1, \"bytes\": 24},\n"
	"  {\"name\": \"App.Twice\", \"mt\": \"0x3100\", \"count\": 2, \"bytes\": 48},\n"
	"  {\"name\": \"App.Unknown\", \"count\": 1, \"bytes\": 24, \"somethingLater\": [1, 2]}\n"
	" ]}\n";

static const char AFTER[] =
	"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"live\": false, \"dead\": false,\n"
	" \"types\": [\n"
	"  {\"name\": \"App.Customer\", \"mt\": \"0x9000\", \"count\": 1010, \"bytes\": 48480},\n"
	"  {\"name\": \"System.String\", \"mt\": \"0x9100\", \"count\": 3100, \"bytes\": 124000},\n"
	"  {\"name\": \"App.Shrinking\", \"count\": 20, \"bytes\": 640},\n"
	"  {\"name\": \"App.New\", \"count\": 5, \"bytes\": 200},\n"
	"  {\"name\": \"App.Same\", \"count\": 7, \"bytes\": 168},\n"
	"  {\"name\": \"App.Twice\", \"count\": 4, \"bytes\": 96},\n"
	"  {\"name\": \"App.Unknown\", \"count\": 1, \"bytes\": 24}\n"
	" ]}\n";

/* The --json output of the last command, parsed. */
static json_t *parsed(struct diff_fx *fx)
{
	json_error_t e;
	json_t *j = json_loads(fx->out, 0, &e);
	if (!j)
		fail_msg("not JSON (%s): %s", e.text, fx->out);
	return j;
}

static json_int_t int_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		fail_msg("no integer '%s'", key);
	return json_integer_value(v);
}

static void assert_row(json_t *row, const char *name, json_int_t count_delta, json_int_t bytes_delta,
		       const char *change)
{
	assert_string_equal(json_string_value(json_object_get(row, "name")), name);
	assert_int_equal(int_at(row, "countDelta"), count_delta);
	assert_int_equal(int_at(row, "bytesDelta"), bytes_delta);
	assert_string_equal(json_string_value(json_object_get(row, "change")), change);
}

static void test_heapdiff__growth_shrinkage_new_vanished_sorted_by_bytes(void **state)
{
	struct diff_fx *fx = *state;
	const char *before = file_with(fx, "before.json", BEFORE);
	const char *after = file_with(fx, "after.json", AFTER);
	assert_null(HEAPDIFF(fx, before, after, "--json"));
	json_t *j = parsed(fx);
	json_t *rows = json_object_get(j, "types");
	/* Unchanged types (App.Same, App.Unknown) are not rows; App.Twice's two MTs are one. */
	assert_int_equal(json_array_size(rows), 6);
	assert_row(json_array_get(rows, 0), "System.String", 3000, 120000, "changed");
	assert_row(json_array_get(rows, 1), "App.Customer", 1000, 48000, "changed");
	assert_row(json_array_get(rows, 2), "App.New", 5, 200, "new");
	assert_row(json_array_get(rows, 3), "App.Twice", 1, 24, "changed");
	assert_row(json_array_get(rows, 4), "App.Gone", -3, -72, "vanished");
	assert_row(json_array_get(rows, 5), "App.Shrinking", -30, -960, "changed");
	json_t *row = json_array_get(rows, 1);
	assert_int_equal(int_at(row, "countBefore"), 10);
	assert_int_equal(int_at(row, "countAfter"), 1010);
	assert_int_equal(int_at(row, "bytesBefore"), 480);
	assert_int_equal(int_at(row, "bytesAfter"), 48480);
	json_t *totals = json_object_get(j, "totals");
	assert_int_equal(int_at(totals, "countDelta"), 3973);
	assert_int_equal(int_at(totals, "bytesDelta"), 167192);
	assert_int_equal(int_at(totals, "grew"), 3);
	assert_int_equal(int_at(totals, "shrank"), 1);
	assert_int_equal(int_at(totals, "new"), 1);
	assert_int_equal(int_at(totals, "vanished"), 1);
	assert_int_equal(int_at(totals, "unchanged"), 2);
	/* The totals are the rows' sums, whatever the file said. */
	assert_int_equal(int_at(json_object_get(j, "before"), "objects"), 174);
	assert_int_equal(int_at(json_object_get(j, "before"), "types"), 8);
	json_decref(j);
}

static void test_heapdiff__text_rows_and_min_hides_small_changes(void **state)
{
	struct diff_fx *fx = *state;
	const char *before = file_with(fx, "before.json", BEFORE);
	const char *after = file_with(fx, "after.json", AFTER);
	assert_null(HEAPDIFF(fx, before, after, "-min", "500"));
	const char *s = strstr(fx->out, "System.String");
	const char *c = strstr(fx->out, "App.Customer");
	assert_non_null(s);
	assert_non_null(c);
	assert_true(s < c);
	assert_non_null(strstr(fx->out, "\n        +3,000         +120,000          3,100          124,000          System.String\n"));
	assert_non_null(strstr(fx->out, "-30             -960"));
	assert_null(strstr(fx->out, "App.New")); /* +200 bytes: under -min */
	assert_null(strstr(fx->out, "App.Gone"));
	assert_null(strstr(fx->out, "App.Same"));
	assert_non_null(strstr(fx->out, "Total: +3,973 objects, +167,192 bytes; 3 types grew, 1 shrank, 1 new, 1 vanished "
					"(not shown: 2 unchanged, 3 changed by less than -min 500 bytes)\n"));
	assert_null(HEAPDIFF(fx, before, after));
	assert_non_null(strstr(fx->out, "new      App.New\n"));
	assert_non_null(strstr(fx->out, "vanished App.Gone\n"));
}

static void test_heapdiff__save_then_load_keeps_every_field(void **state)
{
	struct diff_fx *fx = *state;
	struct clrsos_histogram h = {.live = true, .objects = 3, .bytes = 96};
	uint64_t gc[CLRSOS_GEN_COUNT] = {1, 0, 1, 0, 0, 0}, gb[CLRSOS_GEN_COUNT] = {24, 0, 48, 0, 0, 0};
	assert_true(clrsos_histogram_add(&h, "App.\"Quoted\"<T>", 0x7f0012345678, 2, 72, gc, gb));
	assert_true(clrsos_histogram_add(&h, "Free", 0x1000, 1, 24, NULL, NULL));
	char path[128];
	snprintf(path, sizeof(path), "%s/saved.json", fx->dir);
	fx->paths[fx->npaths++] = strdup(path);
	assert_null(clrsos_histogram_save(&h, path));
	clrsos_histogram_deinit(&h);
	struct clrsos_histogram back;
	assert_null(clrsos_histogram_init_from_file(path, &back));
	assert_int_equal(back.count, 2);
	assert_true(back.live);
	assert_false(back.dead);
	assert_non_null(back.created_at);
	assert_string_equal(back.rows[0].name, "App.\"Quoted\"<T>");
	assert_int_equal(back.rows[0].mt, 0x7f0012345678);
	assert_int_equal(back.rows[0].count, 2);
	assert_int_equal(back.rows[0].bytes, 72);
	assert_true(back.rows[0].have_generations);
	assert_int_equal(back.rows[0].gen_count[CLRSOS_GEN2], 1);
	assert_int_equal(back.rows[0].gen_bytes[CLRSOS_GEN2], 48);
	assert_false(back.rows[1].have_generations);
	assert_int_equal(back.objects, 3);
	assert_int_equal(back.bytes, 96);
	clrsos_histogram_deinit(&back);
	/* No temporary file is left beside it. */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) -eq 1", fx->dir);
	assert_int_equal(system(cmd), 0);
}

static void test_heapdiff__save_to_an_unwritable_place_is_an_io_error(void **state)
{
	(void)state;
	struct clrsos_histogram h = {0};
	struct clrsos_error *err = clrsos_histogram_save(&h, "/nonexistent-dir/h.json");
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_IO);
	assert_non_null(strstr(err->message, "cannot write '/nonexistent-dir/h.json'"));
	clrsos_error_destroy(err);
}

static void assert_bad_file(struct diff_fx *fx, const char *text, const char *says)
{
	const char *before = file_with(fx, "bad.json", text);
	const char *good = file_with(fx, "good.json", AFTER);
	struct clrsos_error *err = HEAPDIFF(fx, before, good);
	assert_non_null(err);
	if (!strstr(err->message, says) || !strstr(err->message, "bad.json") || strchr(err->message, '\n'))
		fail_msg("'%s' does not say '%s' about bad.json on one line", err->message, says);
	clrsos_error_destroy(err);
	assert_int_equal(fx->len, 0);
	/* And as the second file. */
	err = HEAPDIFF(fx, good, before);
	assert_non_null(err);
	assert_non_null(strstr(err->message, says));
	clrsos_error_destroy(err);
	for (size_t i = 0; i < fx->npaths; i++) {
		unlink(fx->paths[i]);
		free(fx->paths[i]);
	}
	fx->npaths = 0;
}

static void test_heapdiff__bad_files_each_get_one_line(void **state)
{
	struct diff_fx *fx = *state;
	assert_bad_file(fx, "", "is not valid JSON");
	assert_bad_file(fx, "{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": [", "is not valid JSON (line 1");
	assert_bad_file(fx, "[1, 2, 3]", "is not a clrsos heap histogram");
	assert_bad_file(fx, "{\"format\": \"something-else\", \"version\": 1, \"types\": []}",
			"is not a clrsos heap histogram");
	assert_bad_file(fx, "{\"format\": \"clrsos-heap-histogram\", \"types\": []}", "has no format version");
	assert_bad_file(fx, "{\"format\": \"clrsos-heap-histogram\", \"version\": \"1\", \"types\": []}",
			"has no format version");
	assert_bad_file(fx, "{\"format\": \"clrsos-heap-histogram\", \"version\": 2, \"types\": []}",
			"is format version 2, from a later clrsos");
	assert_bad_file(fx, "{\"format\": \"clrsos-heap-histogram\", \"version\": 1}", "no \"types\" array");
	assert_bad_file(fx, "{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": [7]}",
			"types[0] is not an object");
	assert_bad_file(fx, "{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": [{\"count\": 1, \"bytes\": 2}]}",
			"types[0] has no \"name\"");
	assert_bad_file(fx,
			"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": [{\"name\": \"A\", \"count\": 1, \"bytes\": 2},"
			" {\"name\": \"B\", \"count\": -1, \"bytes\": 2}]}",
			"types[1] (B) needs whole numbers");
	assert_bad_file(fx,
			"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": [{\"name\": \"A\", \"count\": 1.5, \"bytes\": 2}]}",
			"needs whole numbers");
	assert_bad_file(fx,
			"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": [{\"name\": \"A\", \"count\": 1, \"bytes\": 2,"
			" \"generations\": {\"gen2\": {\"count\": \"x\"}}}]}",
			"types[0].generations.gen2");
	assert_bad_file(fx, "{\"format\": \"clrsos-heap-histogram\", \"format\": \"x\", \"version\": 1, \"types\": []}",
			"is not valid JSON");
}

static void test_heapdiff__missing_file_directory_and_arguments(void **state)
{
	struct diff_fx *fx = *state;
	const char *good = file_with(fx, "good.json", AFTER);
	struct clrsos_error *err = HEAPDIFF(fx, "/nonexistent/before.json", good);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "cannot read '/nonexistent/before.json': No such file or directory"));
	clrsos_error_destroy(err);
	err = HEAPDIFF(fx, fx->dir, good);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "it is a directory, not a regular file"));
	clrsos_error_destroy(err);
	err = HEAPDIFF(fx, "--json");
	assert_non_null(err);
	assert_non_null(strstr(err->message, "heapdiff needs a saved histogram"));
	clrsos_error_destroy(err);
	err = HEAPDIFF(fx, good, good, good);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "a third file"));
	clrsos_error_destroy(err);
	err = HEAPDIFF(fx, good, "-min", "lots");
	assert_non_null(err);
	assert_non_null(strstr(err->message, "-min"));
	clrsos_error_destroy(err);
	err = HEAPDIFF(fx, good, "-bogus");
	assert_non_null(err);
	assert_non_null(strstr(err->message, "unknown option '-bogus'"));
	clrsos_error_destroy(err);
	/* One file and no process: nothing to compare it with. */
	err = HEAPDIFF(fx, good);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_NO_TARGET);
	assert_non_null(strstr(err->message, "give a second saved file"));
	clrsos_error_destroy(err);
	assert_int_equal(fx->len, 0);
}

static void test_heapdiff__sides_counting_differently_are_noted(void **state)
{
	struct diff_fx *fx = *state;
	const char *live = file_with(fx, "live.json",
				     "{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"live\": true, "
				     "\"types\": [{\"name\": \"A\", \"count\": 1, \"bytes\": 24}]}");
	const char *all = file_with(fx, "all.json", AFTER);
	assert_null(HEAPDIFF(fx, live, all));
	assert_non_null(strstr(fx->out, "Note: the two sides count different objects (live before, all after)."));
	assert_null(HEAPDIFF(fx, live, all, "--json"));
	json_t *j = parsed(fx);
	assert_true(json_is_true(json_object_get(j, "sidesCountDifferently")));
	json_decref(j);
}


/* An error on one line that holds every needle. */
static void assert_one_line(struct clrsos_error *err, const char *a, const char *b)
{
	assert_non_null(err);
	if (strchr(err->message, '\n') || !strstr(err->message, a) || (b && !strstr(err->message, b)))
		fail_msg("'%s' does not say '%s' and '%s' on one line", err->message, a, b ? b : "");
	clrsos_error_destroy(err);
}

static void test_heapdiff__sums_past_int64_are_refused_naming_file_and_type(void **state)
{
	struct diff_fx *fx = *state;
	const char *good = file_with(fx, "good.json", AFTER);
	/* Two counts whose sum wraps 64 bits (2^63 + 2^63 = 0): refused, not a total of 0. */
	const char *counts = file_with(fx, "counts.json",
		"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": ["
		"{\"name\": \"App.A\", \"count\": 9223372036854775807, \"bytes\": 24},"
		"{\"name\": \"App.B\", \"count\": 9223372036854775807, \"bytes\": 24},"
		"{\"name\": \"App.C\", \"count\": 2, \"bytes\": 24}]}");
	assert_one_line(HEAPDIFF(fx, counts, good), "counts.json", "(App.B) add up to more than 9223372036854775807");
	assert_one_line(HEAPDIFF(fx, good, counts), "counts.json", "App.B");
	assert_int_equal(fx->len, 0);
	/* Bytes, and one type's rows (the same name twice) summed past it. */
	const char *bytes = file_with(fx, "bytes.json",
		"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": ["
		"{\"name\": \"App.Twice\", \"count\": 1, \"bytes\": 5000000000000000000},"
		"{\"name\": \"App.Twice\", \"count\": 1, \"bytes\": 5000000000000000000}]}");
	assert_one_line(HEAPDIFF(fx, bytes, good), "bytes.json", "the bytes of the types up to types[1] (App.Twice)");
	assert_int_equal(fx->len, 0);
	/* At the limit exactly: read, and the differences are exact, not wrapped. */
	const char *max = file_with(fx, "max.json",
		"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": ["
		"{\"name\": \"App.Big\", \"count\": 9223372036854775806, \"bytes\": 9223372036854775800},"
		"{\"name\": \"App.Big\", \"count\": 1, \"bytes\": 7}]}");
	const char *zero = file_with(fx, "zero.json",
		"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": [{\"name\": \"App.Big\", \"count\": 0, \"bytes\": 0}]}");
	assert_null(HEAPDIFF(fx, max, zero, "--json"));
	json_t *j = json_loads(fx->out, 0, NULL);
	assert_non_null(j);
	json_t *row = json_array_get(json_object_get(j, "types"), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "countDelta")), -INT64_MAX);
	assert_int_equal(json_integer_value(json_object_get(row, "bytesDelta")), -INT64_MAX);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "bytesDelta")), -INT64_MAX);
	json_decref(j);
	assert_null(HEAPDIFF(fx, zero, max));
	assert_non_null(strstr(fx->out, "+9,223,372,036,854,775,807"));
}

/* The histogram file is opened only if it is a regular file: a FIFO gets an error, not a hang. */
static void test_heapdiff__fifo_device_and_directory_are_refused_at_once(void **state)
{
	struct diff_fx *fx = *state;
	const char *good = file_with(fx, "good.json", AFTER);
	char fifo[128];
	snprintf(fifo, sizeof(fifo), "%s/fifo.json", fx->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(20); /* a hang fails the test instead of stopping it */
	assert_one_line(HEAPDIFF(fx, fifo, good), fifo, "it is a FIFO (named pipe), not a regular file");
	assert_one_line(HEAPDIFF(fx, good, fifo), fifo, "FIFO");
	assert_one_line(HEAPDIFF(fx, "/dev/zero", good), "/dev/zero", "it is a character device");
	alarm(0);
	assert_int_equal(fx->len, 0);
	/* A symbolic link to a good file is followed when reading. */
	char link[128];
	snprintf(link, sizeof(link), "%s/link.json", fx->dir);
	assert_int_equal(symlink(good, link), 0);
	assert_null(HEAPDIFF(fx, link, good));
	unlink(link);
	unlink(fifo);
}

/* --save replaces only a regular file or makes a new one. */
static void test_heapdiff__save_refuses_what_is_not_a_regular_file(void **state)
{
	struct diff_fx *fx = *state;
	struct clrsos_histogram h = {0};
	assert_true(clrsos_histogram_add(&h, "App.A", 0, 1, 24, NULL, NULL));
	h.objects = 1;
	h.bytes = 24;
	char fifo[128], link[128], target[128], sub[128];
	snprintf(fifo, sizeof(fifo), "%s/fifo", fx->dir);
	snprintf(link, sizeof(link), "%s/link", fx->dir);
	snprintf(target, sizeof(target), "%s/target", fx->dir);
	snprintf(sub, sizeof(sub), "%s/sub", fx->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	FILE *f = fopen(target, "w");
	assert_non_null(f);
	fputs("keep", f);
	fclose(f);
	alarm(20);
	assert_one_line(clrsos_histogram_save(&h, fifo), "cannot write", "it is a FIFO (named pipe), not a regular file");
	assert_one_line(clrsos_histogram_save(&h, link), "cannot write", "it is a symbolic link");
	assert_one_line(clrsos_histogram_save(&h, sub), "cannot write", "it is a directory");
	/* As root this would replace the device node; as anyone it must be refused. */
	assert_one_line(clrsos_histogram_save(&h, "/dev/null"), "'/dev/null'", "it is a character device");
	alarm(0);
	struct stat st;
	assert_int_equal(lstat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* The file the link names is untouched, and no temporary file is left. */
	char text[16] = {0};
	f = fopen(target, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "keep");
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) -eq 4", fx->dir);
	assert_int_equal(system(cmd), 0);
	/* A regular file is replaced. */
	assert_null(clrsos_histogram_save(&h, target));
	struct clrsos_histogram back;
	assert_null(clrsos_histogram_init_from_file(target, &back));
	assert_int_equal(back.count, 1);
	clrsos_histogram_deinit(&back);
	clrsos_histogram_deinit(&h);
	unlink(fifo);
	unlink(link);
	unlink(target);
	rmdir(sub);
}

/* Names in a histogram are anyone's text: shown escaped and cut, never as lines or terminal codes. */
static void test_heapdiff__hostile_names_are_escaped_and_cut(void **state)
{
	struct diff_fx *fx = *state;
	size_t long_len = 5u << 20;
	char *json = malloc(long_len + 1024);
	assert_non_null(json);
	int n = sprintf(json, "{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"createdAt\": \"x\\u001b[2J\", \"types\": ["
			"{\"name\": \"App.Evil\\nFound 0 unique roots.\", \"count\": 1, \"bytes\": 24},"
			"{\"name\": \"App.Clear\\u001b[2J\\u0007\\u009b\", \"count\": 1, \"bytes\": 24},"
			"{\"name\": \"App.");
	memset(json + n, 'L', long_len);
	strcpy(json + n + long_len, "\", \"count\": 1, \"bytes\": 24}]}");
	const char *after = file_with(fx, "after.json", json);
	free(json);
	const char *before = file_with(fx, "before.json",
		"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": []}");
	assert_null(HEAPDIFF(fx, before, after));
	/* Every line is one of heapdiff's own: no line starts with the name's second half. */
	assert_null(strstr(fx->out, "\nFound 0"));
	assert_non_null(strstr(fx->out, "App.Evil\\nFound 0 unique roots."));
	assert_non_null(strstr(fx->out, "App.Clear\\u001B[2J\\u0007\\u009B"));
	assert_non_null(strstr(fx->out, "(saved x\\u001B[2J)"));
	for (size_t i = 0; i < fx->len; i++)
		if ((unsigned char)fx->out[i] < 0x20 && fx->out[i] != '\n')
			fail_msg("a control byte 0x%02x in heapdiff's text output at %zu", fx->out[i], i);
	assert_null(strstr(fx->out, "\xc2\x9b"));
	/* The 5 MB name is cut, saying how long it was; the output stays small. */
	char says[64];
	snprintf(says, sizeof(says), "... (%zu bytes in all)", long_len + 4);
	assert_non_null(strstr(fx->out, says));
	assert_true(fx->len < 8192);
	/* JSON carries the names whole, escaped. */
	assert_null(HEAPDIFF(fx, before, after, "--json"));
	assert_true(fx->len > long_len);
	json_t *j = json_loads(fx->out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "types"), 0), "name")),
			    "App.Clear\x1b[2J\x07\xc2\x9b");
	json_decref(j);
}

static const char RETAINED_BEFORE[] =
	"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"live\": true, \"retained\": true,\n"
	" \"types\": [\n"
	"  {\"name\": \"App.Cache\", \"count\": 1, \"bytes\": 24, \"retained\": 1000},\n"
	"  {\"name\": \"App.Node\", \"count\": 10, \"bytes\": 320, \"retained\": 900},\n"
	"  {\"name\": \"App.Same\", \"count\": 2, \"bytes\": 48, \"retained\": 48},\n"
	"  {\"name\": \"App.Twice\", \"count\": 1, \"bytes\": 24, \"retained\": 100},\n"
	"  {\"name\": \"App.Twice\", \"count\": 1, \"bytes\": 24, \"retained\": 200}\n"
	" ]}\n";

static const char RETAINED_AFTER[] =
	"{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"live\": true, \"retained\": true,\n"
	" \"types\": [\n"
	"  {\"name\": \"App.Cache\", \"count\": 1, \"bytes\": 24, \"retained\": 5000},\n"
	"  {\"name\": \"App.Node\", \"count\": 50, \"bytes\": 1600, \"retained\": 4500},\n"
	"  {\"name\": \"App.Same\", \"count\": 2, \"bytes\": 48, \"retained\": 48},\n"
	"  {\"name\": \"App.Twice\", \"count\": 2, \"bytes\": 48, \"retained\": 250}\n"
	" ]}\n";

static void test_heapdiff__retained_bytes_on_both_sides_are_compared_and_sort_the_rows(void **state)
{
	struct diff_fx *fx = *state;
	const char *before = file_with(fx, "rb.json", RETAINED_BEFORE);
	const char *after = file_with(fx, "ra.json", RETAINED_AFTER);
	assert_null(HEAPDIFF(fx, before, after, "--json", "-retained"));
	json_t *j = parsed(fx);
	assert_true(json_is_true(json_object_get(json_object_get(j, "before"), "retained")));
	assert_true(json_is_true(json_object_get(json_object_get(j, "after"), "retained")));
	json_t *rows = json_object_get(j, "types");
	/* The cache's own bytes did not change: it is listed for what it retains, first. */
	assert_int_equal(json_array_size(rows), 3);
	json_t *cache = json_array_get(rows, 0);
	assert_row(cache, "App.Cache", 0, 0, "changed");
	assert_int_equal(int_at(cache, "retainedBefore"), 1000);
	assert_int_equal(int_at(cache, "retainedAfter"), 5000);
	assert_int_equal(int_at(cache, "retainedDelta"), 4000);
	assert_row(json_array_get(rows, 1), "App.Node", 40, 1280, "changed");
	assert_int_equal(int_at(json_array_get(rows, 1), "retainedDelta"), 3600);
	/* One name twice: summed, retained bytes too. */
	json_t *twice = json_array_get(rows, 2);
	assert_row(twice, "App.Twice", 0, 0, "changed");
	assert_int_equal(int_at(twice, "retainedBefore"), 300);
	assert_int_equal(int_at(twice, "retainedDelta"), -50);
	assert_int_equal(int_at(json_object_get(j, "totals"), "unchanged"), 1);
	json_decref(j);
	assert_null(HEAPDIFF(fx, before, after, "-min", "1000"));
	assert_non_null(strstr(fx->out, "Retained diff   Retained after Change   Class Name\n"));
	assert_non_null(strstr(fx->out, "             0                0              1               24           +4,000"
					"            5,000          App.Cache\n"));
	assert_null(strstr(fx->out, "App.Twice")); /* -50 retained, 0 bytes: under -min */
	assert_non_null(strstr(fx->out, "1 changed by less than -min 1000 bytes, own and retained)"));
}

static void test_heapdiff__retained_bytes_on_one_side_are_left_out_or_refused(void **state)
{
	struct diff_fx *fx = *state;
	const char *with = file_with(fx, "with.json", RETAINED_BEFORE);
	const char *without = file_with(fx, "without.json", AFTER);
	assert_null(HEAPDIFF(fx, with, without, "--json"));
	json_t *j = parsed(fx);
	assert_false(json_is_true(json_object_get(json_object_get(j, "after"), "retained")));
	json_t *row = json_array_get(json_object_get(j, "types"), 0);
	assert_null(json_object_get(row, "retainedDelta"));
	json_decref(j);
	assert_null(HEAPDIFF(fx, with, without));
	assert_non_null(strstr(fx->out, "Note: only the before side has retained bytes per type; save both with "
					"'retained -stat --save <file>' to see their change.\n"));
	assert_null(strstr(fx->out, "Retained diff"));
	struct clrsos_error *err = HEAPDIFF(fx, with, without, "-retained");
	assert_non_null(err);
	assert_non_null(strstr(err->message, "has no retained bytes per type: save it with 'retained -stat --save"));
	assert_non_null(strstr(err->message, without));
	assert_null(strchr(err->message, '\n'));
	clrsos_error_destroy(err);
	err = HEAPDIFF(fx, without, with, "-retained");
	assert_non_null(err);
	assert_non_null(strstr(err->message, "heapdiff: -retained: '"));
	clrsos_error_destroy(err);
	/* Retained bytes on some rows only: refused, naming the row. */
	const char *mixed = file_with(fx, "mixed.json",
				      "{\"format\": \"clrsos-heap-histogram\", \"version\": 1, \"types\": [\n"
				      " {\"name\": \"A\", \"count\": 1, \"bytes\": 24, \"retained\": 24},\n"
				      " {\"name\": \"B\", \"count\": 1, \"bytes\": 24}]}\n");
	err = HEAPDIFF(fx, mixed, with);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "types[1] (B) has no \"retained\" bytes and types[0] has them"));
	clrsos_error_destroy(err);
}

static void test_heapdiff__save_then_load_keeps_retained_bytes(void **state)
{
	struct diff_fx *fx = *state;
	struct clrsos_histogram h = {.live = true, .retained = true};
	assert_true(clrsos_histogram_add(&h, "App.Cache", 0x1000, 1, 24, NULL, NULL));
	h.rows[0].retained = 123456;
	char path[128];
	snprintf(path, sizeof(path), "%s/retained.json", fx->dir);
	fx->paths[fx->npaths++] = strdup(path);
	assert_null(clrsos_histogram_save(&h, path));
	clrsos_histogram_deinit(&h);
	struct clrsos_histogram back;
	assert_null(clrsos_histogram_init_from_file(path, &back));
	assert_true(back.retained);
	assert_int_equal(back.rows[0].retained, 123456);
	clrsos_histogram_deinit(&back);
	/* An older file has none. */
	const char *old = file_with(fx, "old.json", BEFORE);
	assert_null(clrsos_histogram_init_from_file(old, &back));
	assert_false(back.retained);
	clrsos_histogram_deinit(&back);
}

int run_heapdiff_tests(void)
{
#define D(t) cmocka_unit_test_setup_teardown(t, diff_setup, diff_teardown)
	const struct CMUnitTest tests[] = {
		D(test_heapdiff__growth_shrinkage_new_vanished_sorted_by_bytes),
		D(test_heapdiff__text_rows_and_min_hides_small_changes),
		D(test_heapdiff__save_then_load_keeps_every_field),
		D(test_heapdiff__save_to_an_unwritable_place_is_an_io_error),
		D(test_heapdiff__bad_files_each_get_one_line),
		D(test_heapdiff__missing_file_directory_and_arguments),
		D(test_heapdiff__sides_counting_differently_are_noted),
		D(test_heapdiff__sums_past_int64_are_refused_naming_file_and_type),
		D(test_heapdiff__fifo_device_and_directory_are_refused_at_once),
		D(test_heapdiff__save_refuses_what_is_not_a_regular_file),
		D(test_heapdiff__hostile_names_are_escaped_and_cut),
		D(test_heapdiff__retained_bytes_on_both_sides_are_compared_and_sort_the_rows),
		D(test_heapdiff__retained_bytes_on_one_side_are_left_out_or_refused),
		D(test_heapdiff__save_then_load_keeps_retained_bytes),
	};
#undef D
	return cmocka_run_group_tests_name("heapdiff", tests, NULL, NULL);
}
