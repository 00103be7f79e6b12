/*
 * Pattern: a regular expression matched in time linear in the text, for
 * findstring -regex. Backed by RE2 (Debian's libre2), whose automata never
 * backtrack: a pattern that would take a backtracking matcher for ever on
 * a long string (a back-reference, nested counted repetitions) is either
 * refused when compiled or matched in one pass. The only C++ in core/ is
 * behind this C API (core/pattern.cc).
 */
#ifndef CLRSOS_PATTERN_H
#define CLRSOS_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clrsos_pattern;

/*
 * Compile pattern (RE2 syntax, UTF-8; '.' also matches a newline). A
 * back-reference, a repetition past RE2's limits or a pattern larger than
 * its memory budget is refused with one line saying so.
 */
struct clrsos_error *clrsos_pattern_create(const char *pattern, struct clrsos_pattern **ret);
/* Whether the pattern matches anywhere in text[0, len). */
bool clrsos_pattern_search(const struct clrsos_pattern *p, const char *text, size_t len);
void clrsos_pattern_destroy(struct clrsos_pattern *p);

#ifdef __cplusplus
}
#endif

#endif
