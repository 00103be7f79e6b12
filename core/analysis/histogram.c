#include "analysis/histogram.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/output.h"
#include "base/vector.h"

/* Far more than a heap's types need (a million types take about 250 MB). */
enum { MAX_FILE = 1 << 30 };

static const char *const GEN_KEYS[CLRSOS_GEN_COUNT] = {"gen0", "gen1", "gen2", "loh", "poh", "frozen"};

const char *clrsos_histogram_generation_key(enum clrsos_generation gen)
{
	return (unsigned)gen < CLRSOS_GEN_COUNT ? GEN_KEYS[gen] : "?";
}

bool clrsos_histogram_add(struct clrsos_histogram *h, const char *name, uint64_t mt, uint64_t count,
			  uint64_t bytes, const uint64_t *gen_count, const uint64_t *gen_bytes)
{
	if (clrsos_array_reserve(&h->rows, &h->cap, h->count + 1))
		return false;
	struct clrsos_histogram_row *r = &h->rows[h->count];
	memset(r, 0, sizeof(*r));
	if (!(r->name = strdup(name ? name : "")))
		return false;
	r->mt = mt;
	r->count = count;
	r->bytes = bytes;
	if (gen_count && gen_bytes) {
		r->have_generations = true;
		memcpy(r->gen_count, gen_count, sizeof(r->gen_count));
		memcpy(r->gen_bytes, gen_bytes, sizeof(r->gen_bytes));
	}
	h->count++;
	return true;
}

void clrsos_histogram_deinit(struct clrsos_histogram *h)
{
	for (size_t i = 0; i < h->count; i++)
		free(h->rows[i].name);
	free(h->rows);
	free(h->created_at);
	memset(h, 0, sizeof(*h));
}

/* Saving ---------------------------------------------------------------- */

struct clrsos_error *clrsos_histogram_save(const struct clrsos_histogram *h, const char *path)
{
	/* Written beside path and renamed over it: only a new path or a regular file is replaced. */
	struct clrsos_error *err = clrsos_file_check_replaceable(path);
	if (err)
		return err;
	char *tmp;
	int fd;
	if ((err = clrsos_file_create_temporary(path, &tmp, &fd)))
		return err;
	struct clrsos_file_sink sink = {.f = fdopen(fd, "wb")};
	if (!sink.f) {
		close(fd);
		unlink(tmp);
		free(tmp);
		return &clrsos_error_no_memory;
	}
	struct clrsos_writer w = {clrsos_file_sink_write, &sink};
	struct clrsos_json j;
	clrsos_json_init(&j, &w);
	clrsos_json_object_begin(&j);
	clrsos_json_key(&j, "format");
	clrsos_json_string(&j, CLRSOS_HISTOGRAM_FORMAT);
	clrsos_json_key(&j, "version");
	clrsos_json_uint(&j, CLRSOS_HISTOGRAM_VERSION);
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	clrsos_json_key(&j, "createdAt");
	clrsos_json_string(&j, when);
	clrsos_json_key(&j, "live");
	clrsos_json_bool(&j, h->live);
	clrsos_json_key(&j, "dead");
	clrsos_json_bool(&j, h->dead);
	clrsos_json_key(&j, "filtered");
	clrsos_json_bool(&j, h->filtered);
	if (h->address_space) {
		clrsos_json_key(&j, "source");
		clrsos_json_string(&j, "maddress");
	}
	if (h->retained) {
		clrsos_json_key(&j, "retained");
		clrsos_json_bool(&j, true);
	}
	clrsos_json_key(&j, "objects");
	clrsos_json_uint(&j, h->objects);
	clrsos_json_key(&j, "bytes");
	clrsos_json_uint(&j, h->bytes);
	clrsos_json_key(&j, "types");
	clrsos_json_array_begin(&j);
	for (size_t i = 0; i < h->count; i++) {
		const struct clrsos_histogram_row *r = &h->rows[i];
		clrsos_out(&w, "\n");
		clrsos_json_object_begin(&j);
		clrsos_json_key(&j, "name");
		clrsos_json_string(&j, r->name);
		clrsos_json_key(&j, "mt");
		clrsos_json_address(&j, r->mt);
		clrsos_json_key(&j, "count");
		clrsos_json_uint(&j, r->count);
		clrsos_json_key(&j, "bytes");
		clrsos_json_uint(&j, r->bytes);
		if (h->retained) {
			clrsos_json_key(&j, "retained");
			clrsos_json_uint(&j, r->retained);
		}
		if (r->have_generations) {
			clrsos_json_key(&j, "generations");
			clrsos_json_object_begin(&j);
			for (int g = 0; g < CLRSOS_GEN_COUNT; g++) {
				if (!r->gen_count[g])
					continue;
				clrsos_json_key(&j, GEN_KEYS[g]);
				clrsos_json_object_begin(&j);
				clrsos_json_key(&j, "count");
				clrsos_json_uint(&j, r->gen_count[g]);
				clrsos_json_key(&j, "bytes");
				clrsos_json_uint(&j, r->gen_bytes[g]);
				clrsos_json_object_end(&j);
			}
			clrsos_json_object_end(&j);
		}
		clrsos_json_object_end(&j);
	}
	clrsos_json_array_end(&j);
	clrsos_json_object_end(&j);
	clrsos_json_end(&j);
	int saved_errno = clrsos_file_sink_close(&sink);
	if (!saved_errno && !(err = clrsos_file_check_replaceable(path)) && rename(tmp, path) != 0)
		saved_errno = errno;
	if (err) {
		unlink(tmp);
	} else if (saved_errno) {
		unlink(tmp);
		err = clrsos_error_create(CLRSOS_ERROR_IO, "cannot write '%s': %s", path, strerror(saved_errno));
	}
	free(tmp);
	return err;
}

/* Loading --------------------------------------------------------------- */

bool clrsos_histogram_sum(uint64_t *sum, uint64_t value)
{
	if (value > (uint64_t)INT64_MAX - *sum || *sum > (uint64_t)INT64_MAX) {
		*sum = UINT64_MAX;
		return false;
	}
	*sum += value;
	return true;
}

/* A whole number >= 0 at key of obj, into *ret; false if absent or not one. */
static bool get_count(json_t *obj, const char *key, uint64_t *ret)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*ret = (uint64_t)json_integer_value(v);
	return true;
}

static struct clrsos_error *bad(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static struct clrsos_error *bad(const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "'%s' %s", path, what);
}

static struct clrsos_error *read_row(const char *path, size_t index, json_t *t, struct clrsos_histogram *h)
{
	if (!json_is_object(t))
		return bad(path, "is not a histogram clrsos can read: types[%zu] is not an object", index);
	json_t *name = json_object_get(t, "name");
	if (!json_is_string(name))
		return bad(path, "is not a histogram clrsos can read: types[%zu] has no \"name\" string", index);
	uint64_t count, bytes, mt = 0;
	if (!get_count(t, "count", &count) || !get_count(t, "bytes", &bytes))
		return bad(path, "is not a histogram clrsos can read: types[%zu] (%.80s) needs whole numbers \"count\" and \"bytes\"",
			   index, json_string_value(name));
	json_t *m = json_object_get(t, "mt");
	if (json_is_string(m))
		mt = strtoull(json_string_value(m), NULL, 16);
	uint64_t gc[CLRSOS_GEN_COUNT] = {0}, gb[CLRSOS_GEN_COUNT] = {0};
	json_t *gens = json_object_get(t, "generations");
	bool have = json_is_object(gens);
	for (int g = 0; have && g < CLRSOS_GEN_COUNT; g++) {
		json_t *e = json_object_get(gens, GEN_KEYS[g]);
		if (e && (!get_count(e, "count", &gc[g]) || !get_count(e, "bytes", &gb[g])))
			return bad(path, "is not a histogram clrsos can read: types[%zu].generations.%s needs whole numbers \"count\" and \"bytes\"",
				   index, GEN_KEYS[g]);
	}
	/* Retained bytes: on every row or on none (the first row decides). */
	json_t *ret = json_object_get(t, "retained");
	uint64_t retained = 0;
	if (ret && !get_count(t, "retained", &retained))
		return bad(path, "is not a histogram clrsos can read: types[%zu] (%.80s) has a \"retained\" that is not a whole number",
			   index, json_string_value(name));
	if (index == 0)
		h->retained = ret != NULL;
	else if (h->retained != (ret != NULL))
		return bad(path, "is not a histogram clrsos can read: types[%zu] (%.80s) %s \"retained\" bytes and types[0] %s: "
			   "save it again with 'retained -stat --save <file>'",
			   index, json_string_value(name), ret ? "has" : "has no", ret ? "has none" : "has them");
	if (!clrsos_histogram_add(h, json_string_value(name), mt, count, bytes, have ? gc : NULL, have ? gb : NULL))
		return &clrsos_error_no_memory;
	h->rows[h->count - 1].retained = retained;
	return NULL;
}

struct clrsos_error *clrsos_histogram_init_from_file(const char *path, struct clrsos_histogram *ret)
{
	memset(ret, 0, sizeof(*ret));
	int fd;
	struct clrsos_error *open_err = clrsos_file_open_read(path, &fd);
	if (open_err)
		return open_err;
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return &clrsos_error_no_memory;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && st.st_size > MAX_FILE) {
		fclose(f);
		return bad(path, "is %lld bytes, too large to be a heap histogram (at most %d MB)", (long long)st.st_size,
			   MAX_FILE >> 20);
	}
	json_error_t jerr;
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root)
		return bad(path, "is not valid JSON (line %d: %s); save a histogram with 'dumpheap -stat --save <file>'",
			   jerr.line, jerr.text);
	struct clrsos_error *err = NULL;
	json_t *format = json_object_get(root, "format");
	uint64_t version = 0;
	if (!json_is_object(root) || !json_is_string(format) ||
	    strcmp(json_string_value(format), CLRSOS_HISTOGRAM_FORMAT) != 0) {
		err = bad(path, "is not a clrsos heap histogram (no \"format\": \"%s\"); save one with 'dumpheap -stat --save <file>'",
			  CLRSOS_HISTOGRAM_FORMAT);
	} else if (!get_count(root, "version", &version) || version == 0) {
		err = bad(path, "has no format version: is it damaged? Save it again with 'dumpheap -stat --save <file>'");
	} else if (version > CLRSOS_HISTOGRAM_VERSION) {
		err = bad(path, "is format version %" PRIu64 ", from a later clrsos; this one reads version %d: use the later clrsos",
			  version, CLRSOS_HISTOGRAM_VERSION);
	}
	json_t *types = json_object_get(root, "types");
	if (!err && !json_is_array(types))
		err = bad(path, "is not a histogram clrsos can read: no \"types\" array");
	for (size_t i = 0; !err && i < json_array_size(types); i++)
		err = read_row(path, i, json_array_get(types, i), ret);
	if (!err) {
		ret->live = json_is_true(json_object_get(root, "live"));
		ret->dead = json_is_true(json_object_get(root, "dead"));
		ret->filtered = json_is_true(json_object_get(root, "filtered"));
		json_t *source = json_object_get(root, "source");
		ret->address_space = json_is_string(source) && strcmp(json_string_value(source), "maddress") == 0;
		if (!ret->count)
			ret->retained = json_is_true(json_object_get(root, "retained"));
		json_t *at = json_object_get(root, "createdAt");
		if (json_is_string(at) && !(ret->created_at = strdup(json_string_value(at))))
			err = &clrsos_error_no_memory;
		/*
		 * The totals are the rows' sums (the saved ones only say what the
		 * file was). Every value and sum stays at most INT64_MAX, so that
		 * heapdiff's sums per name (each at most the total) and its
		 * differences never wrap.
		 */
		for (size_t i = 0; !err && i < ret->count; i++) {
			const struct clrsos_histogram_row *r = &ret->rows[i];
			if (!clrsos_histogram_sum(&ret->objects, r->count) || !clrsos_histogram_sum(&ret->bytes, r->bytes))
				err = bad(path, "is not a histogram clrsos can read: the %s of the types up to types[%zu] "
					  "(%.80s) add up to more than %" PRId64 ", more than any heap holds",
					  ret->objects == UINT64_MAX ? "counts" : "bytes", i, r->name, INT64_MAX);
		}
	}
	json_decref(root);
	if (err)
		clrsos_histogram_deinit(ret);
	return err;
}
