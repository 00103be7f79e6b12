/*
 * Reading a counters recording back: the CSV or JSON files `counters
 * --format csv|json` writes (dotnet-counters collect's formats, so its
 * files are read too), into a counter table for `chart`.
 *
 * Such a file may be cut short (the recorder killed), written by another
 * tool, or hostile: every line and value is checked; a row that is not
 * one (bad time, bad number, too long) is skipped and counted; a JSON
 * document that ends early keeps the events read before the cut. Nesting
 * is bounded, no recursion on the file's say, sizes bounded by the file.
 *
 * CSV rows name a counter by its display text, "GC Heap Size (MB)" or
 * "dotnet.gc.heap.total_allocated (By)[tags]": the reader splits the unit
 * and tags back out ("... (Count / 1 sec)" is a rate).
 */
#ifndef CLRSOS_COUNTERS_COUNTERSFILE_H
#define CLRSOS_COUNTERS_COUNTERSFILE_H

#include <stddef.h>

#include "base/error.h"
#include "counters/table.h"

enum { CLRSOS_COUNTERSFILE_MAX_SIZE = 1024 * 1024 * 1024 };

struct clrsos_countersfile_stats {
	size_t rows;      /* samples read */
	size_t skipped;   /* rows or events that were not one */
	bool truncated;   /* a JSON document that ended early */
	int format;       /* 'c' CSV, 'j' JSON */
};

/*
 * Read the recording in data (size bytes) into table. An error when it is
 * neither format, or when it holds not one sample.
 */
struct clrsos_error *clrsos_countersfile_read(const char *data, size_t size, struct clrsos_counter_table *table,
					      struct clrsos_countersfile_stats *stats);

/* The same from a file (a regular file of at most CLRSOS_COUNTERSFILE_MAX_SIZE bytes). */
struct clrsos_error *clrsos_countersfile_load(const char *path, struct clrsos_counter_table *table,
					      struct clrsos_countersfile_stats *stats);

/* Parse the recorders' times: "MM/dd/yyyy HH:mm:ss[ AM|PM]" (local) or ISO 8601 with an optional offset. */
bool clrsos_countersfile_parse_time(const char *text, size_t n, double *ret);

#endif
