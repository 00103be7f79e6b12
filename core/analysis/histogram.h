/*
 * Histogram: a heap's objects counted and sized per type, as saved by
 * `dumpheap -stat --save <file>` and compared by heapdiff. The file is JSON
 * (docs/commands.md, "The histogram file"), stable across clrsos versions:
 *
 *   {"format": "clrsos-heap-histogram", "version": 1,
 *    "createdAt": "2026-11-22T01:02:03Z", "live": false, "dead": false,
 *    "filtered": false, "objects": 123, "bytes": 4567,
 *    "types": [{"name": "System.String", "mt": "0x7f...", "count": 10,
 *               "bytes": 400, "generations": {"gen0": {"count": 4,
 *               "bytes": 160}, ...}}, ...]}
 *
 * Saved by `retained -stat --save`, it also has "retained": true and each
 * type its "retained" bytes (what its instances keep alive alone).
 *
 * A reader of version 1 ignores keys it does not know; a later version
 * that a version-1 reader could not read correctly gets a new number.
 */
#ifndef CLRSOS_HISTOGRAM_H
#define CLRSOS_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "model/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLRSOS_HISTOGRAM_FORMAT "clrsos-heap-histogram"
enum { CLRSOS_HISTOGRAM_VERSION = 1 };

struct clrsos_histogram_row {
	char *name;
	uint64_t mt; /* 0 if not known */
	uint64_t count, bytes;
	bool have_generations;
	uint64_t gen_count[CLRSOS_GEN_COUNT], gen_bytes[CLRSOS_GEN_COUNT];
	uint64_t retained; /* when the histogram has retained bytes */
};

struct clrsos_histogram {
	struct clrsos_histogram_row *rows;
	size_t count, cap;
	uint64_t objects, bytes;
	bool live, dead;  /* only live (dead) objects were counted */
	bool filtered;    /* other dumpheap filters narrowed what was counted */
	bool retained;    /* every row has its retained bytes (retained -stat --save) */
	char *created_at; /* as saved, or NULL */
	/* Saved by maddress --save ("source": "maddress"): each row is an owner of
	 * memory (count: its regions, bytes: its committed bytes), not a type. */
	bool address_space;
};

/* Append a row (name is copied); false when out of memory. */
bool clrsos_histogram_add(struct clrsos_histogram *h, const char *name, uint64_t mt, uint64_t count,
			  uint64_t bytes, const uint64_t *gen_count, const uint64_t *gen_bytes);
void clrsos_histogram_deinit(struct clrsos_histogram *h);

/* Write h to path (through a temporary file beside it, renamed at the end). */
struct clrsos_error *clrsos_histogram_save(const struct clrsos_histogram *h, const char *path);

/*
 * Read a saved histogram. Errors name the file and what is wrong with it:
 * not there, not JSON (with the line), not a histogram, a later version,
 * a row without a name or with a count that is not a whole number, retained
 * bytes on some rows only.
 */
struct clrsos_error *clrsos_histogram_init_from_file(const char *path, struct clrsos_histogram *ret);

/*
 * *sum += value, if the result is at most INT64_MAX (so that differences
 * of such sums fit in an int64_t); else *sum becomes UINT64_MAX and the
 * answer is false.
 */
bool clrsos_histogram_sum(uint64_t *sum, uint64_t value);

/* The JSON key of a generation in the file: "gen0" ... "frozen". */
const char *clrsos_histogram_generation_key(enum clrsos_generation gen);

#ifdef __cplusplus
}
#endif

#endif
