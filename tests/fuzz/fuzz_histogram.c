/*
 * The histogram file reader (heapdiff's input): any bytes as a file, read
 * and, if accepted, compared with itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/commands.h"
#include "analysis/histogram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drop(void *ctx, const char *text, size_t n)
{
	(void)ctx, (void)text, (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/clrsos-fuzz-histogram-%d.json", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	struct clrsos_histogram h;
	struct clrsos_error *err = clrsos_histogram_init_from_file(path, &h);
	if (err) {
		if (strchr(err->message, '\n'))
			abort();
		clrsos_error_destroy(err);
		return 0;
	}
	clrsos_histogram_deinit(&h);
	struct clrsos_writer w = {drop, NULL};
	const char *argv[] = {path, path, "--json"};
	err = clrsos_cmd_heapdiff(NULL, NULL, 3, argv, &w);
	if (err) {
		if (strchr(err->message, '\n'))
			abort();
		clrsos_error_destroy(err);
	}
	const char *argv2[] = {path, path, "-min", "1"};
	clrsos_error_destroy(clrsos_cmd_heapdiff(NULL, NULL, 4, argv2, &w));
	return 0;
}
