/*
 * The native half of the Lines target ("Lines native"): built with -g, so
 * that the debugger has a line table for it. lines_native_wait prints
 * TRUTH {"nativeFile", "nativeLine", "nativeFunction"} (the line of the
 * read that it blocks in) and READY, then blocks reading stdin until a
 * line comes.
 */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int lines_native_wait(const char *members)
{
	char c = 0;
	printf("TRUTH {%s\"nativeFile\": \"%s\", \"nativeLine\": %d, \"nativeFunction\": \"%s\"}\n", members,
	       __FILE__, __LINE__ + 3, __func__);
	printf("READY\n");
	fflush(stdout);
	ssize_t n = read(0, &c, 1); /* the line the truth names */
	return (int)n + c;
}
