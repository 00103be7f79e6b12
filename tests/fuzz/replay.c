/*
 * Runs a fuzzer's entry point once over each file given (or each file in a
 * directory given): the seeds and every input a fuzzer ever crashed on
 * (tests/fuzz/regressions/), under the test build's sanitizers, without
 * clang or libFuzzer. A crash, a sanitizer report or an abort fails it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, n;
	uint8_t buf[65536];
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (size + n > cap) {
			cap = (size + n) * 2;
			data = realloc(data, cap);
			if (!data)
				abort();
		}
		memcpy(data + size, buf, n);
		size += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data ? data : (const uint8_t *)"", size);
	free(data);
	printf("ok %s\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0, files = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			continue; /* no regressions yet */
		if (!S_ISDIR(st.st_mode)) {
			failed |= run_file(argv[i]);
			files++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			failed |= run_file(path);
			files++;
		}
		if (d)
			closedir(d);
	}
	printf("%d input(s) replayed\n", files);
	return failed || !files;
}
