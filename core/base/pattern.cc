// The only C++ in core/: RE2 behind pattern.h's C API.
#include "base/pattern.h"

#include <new>
#include <string.h>

#include <re2/re2.h>

struct clrsos_pattern {
	RE2 re;
	explicit clrsos_pattern(const char *pattern, const RE2::Options &options) : re(pattern, options) {}
};

namespace {

/*
 * The compiled program and the DFA's cache share this budget. RE2's default
 * (8 MB) lets the DFA of a pattern like (x|y){1000}z run out of cache on a
 * million-char string; RE2 then falls back to its NFA, linear but slower by
 * the pattern's size: 19 s for that one string, against 0.08 s with 64 MB.
 */
constexpr int64_t kMaxMem = 64 << 20;

/*
 * What POSIX extended syntax (glibc's regcomp, which findstring used
 * before) means and RE2 would read otherwise or not at all: NULL if
 * nothing, else what to say. RE2 reads "\<" as a literal '<' and "x{,3}"
 * as literal text, so these are refused rather than silently changed.
 */
const char *posix_only(const char *p)
{
	bool in_bracket = false;
	for (; *p; p++) {
		if (in_bracket) {
			if (*p == '\\' && p[1]) {
				p++; /* RE2 escapes inside a class too, as in [\]] */
				continue;
			}
			if (*p == '[' && (p[1] == '=' || p[1] == '.'))
				return "equivalence classes and collating elements ([[=a=]], [[.a.]]) are not supported";
			if (*p == '[' && p[1] == ':') {
				const char *close = strstr(p + 2, ":]");
				if (close)
					p = close + 1;
			} else if (*p == ']') {
				in_bracket = false;
			}
			continue;
		}
		if (*p == '\\' && p[1]) {
			if (p[1] >= '1' && p[1] <= '9')
				return "back-references (\\1 ... \\9) are not supported: clrsos matches with RE2, in "
				       "time linear in the text";
			if (p[1] == '<' || p[1] == '>')
				return "\\< and \\> (word start and end) are not supported: use \\b";
			if (p[1] == '`' || p[1] == '\'')
				return "\\` and \\' (text start and end) are not supported: use ^ and $";
			p++;
		} else if (*p == '{' && p[1] == ',') {
			return "{,n} is not supported: write {0,n}";
		} else if (*p == '[') {
			in_bracket = true;
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++; // a ']' first is a literal
		}
	}
	return nullptr;
}

} // namespace

extern "C" struct clrsos_error *clrsos_pattern_create(const char *pattern, struct clrsos_pattern **ret)
{
	*ret = nullptr;
	if (const char *why = posix_only(pattern))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "'%s': %s", pattern, why);
	RE2::Options options;
	options.set_log_errors(false);
	options.set_dot_nl(true);
	options.set_max_mem(kMaxMem);
	clrsos_pattern *p = new (std::nothrow) clrsos_pattern(pattern, options);
	if (!p)
		return &clrsos_error_no_memory;
	if (p->re.ok()) {
		*ret = p;
		return nullptr;
	}
	struct clrsos_error *err;
	switch (p->re.error_code()) {
	case RE2::ErrorRepeatSize:
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "'%s': the repetition %s counts more than 1000 (nested ones multiplied); "
					  "RE2, which matches in linear time, allows at most 1000",
					  pattern, p->re.error_arg().c_str());
		break;
	case RE2::ErrorRepeatOp:
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "'%s': %s repeats a repetition, which RE2 does not allow: group it, "
					  "as in (x{2}){3}; counts multiplied may reach 1000",
					  pattern, p->re.error_arg().c_str());
		break;
	case RE2::ErrorPatternTooLarge:
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "'%s' is too large: compiled, it needs more than RE2's %d MB memory budget; "
					  "use smaller repetition counts",
					  pattern, (int)(kMaxMem >> 20));
		break;
	default:
		err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					  "'%s' is not a regular expression: %s", pattern, p->re.error().c_str());
		break;
	}
	delete p;
	return err;
}

extern "C" bool clrsos_pattern_search(const struct clrsos_pattern *p, const char *text, size_t len)
{
	return p->re.Match(re2::StringPiece(text, len), 0, len, RE2::UNANCHORED, nullptr, 0);
}

extern "C" void clrsos_pattern_destroy(struct clrsos_pattern *p)
{
	delete p;
}
