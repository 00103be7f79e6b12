#include "counters/countersfile.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/output.h"

enum {
	MAX_LINE = 64 * 1024,   /* longer CSV rows are skipped */
	MAX_STRING = 16 * 1024, /* longer JSON strings make the event skipped */
	MAX_DEPTH = 64,         /* JSON nesting skipped over */
};

static const char csv_header[] = "Timestamp,Provider,Counter Name,Counter Type,Mean/Increment";

/* ---- times ---- */

/* Digits at *p (at most max, at least one) into *ret. */
static bool digits(const char **p, const char *end, int max, int *ret)
{
	int v = 0, n = 0;
	while (*p < end && n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*ret = v;
	return n > 0;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p < end && **p == c) {
		(*p)++;
		return true;
	}
	return false;
}

static bool valid_tm(int y, int mo, int d, int h, int mi, int s)
{
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && mi >= 0 &&
	       mi <= 59 && s >= 0 && s <= 60;
}

bool clrsos_countersfile_parse_time(const char *text, size_t n, double *ret)
{
	const char *p = text, *end = text + n;
	int y, mo, d, h, mi, s;
	double frac = 0;
	while (p < end && *p == ' ')
		p++;
	const char *q = p;
	int first;
	if (!digits(&q, end, 4, &first))
		return false;
	if (q < end && *q == '-') {
		/* ISO 8601: yyyy-MM-ddTHH:mm:ss[.fffffff][Z|+hh:mm] */
		p = q + 1;
		y = first;
		if (!digits(&p, end, 2, &mo) || !expect(&p, end, '-') || !digits(&p, end, 2, &d) ||
		    !(expect(&p, end, 'T') || expect(&p, end, ' ')) || !digits(&p, end, 2, &h) ||
		    !expect(&p, end, ':') || !digits(&p, end, 2, &mi) || !expect(&p, end, ':') ||
		    !digits(&p, end, 2, &s))
			return false;
		if (expect(&p, end, '.')) {
			double scale = 0.1;
			int k = 0;
			while (p < end && *p >= '0' && *p <= '9' && k < 9) {
				frac += (*p++ - '0') * scale;
				scale /= 10;
				k++;
			}
			if (!k)
				return false;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
		}
		if (!valid_tm(y, mo, d, h, mi, s))
			return false;
		struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
				 .tm_sec = s, .tm_isdst = -1 };
		if (p == end) {
			time_t t = mktime(&tm);
			if (t == (time_t)-1)
				return false;
			*ret = (double)t + frac;
			return true;
		}
		long offset = 0;
		if (expect(&p, end, 'Z')) {
			offset = 0;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;
			if (!digits(&p, end, 2, &oh) || !expect(&p, end, ':') || !digits(&p, end, 2, &om) || oh > 14 ||
			    om > 59)
				return false;
			offset = sign * (oh * 3600L + om * 60L);
		} else {
			return false;
		}
		if (p != end)
			return false;
		time_t t = timegm(&tm);
		if (t == (time_t)-1)
			return false;
		*ret = (double)t - (double)offset + frac;
		return true;
	}
	/* M/d/yyyy H:mm:ss[ AM|PM] */
	mo = first;
	p = q;
	if (!expect(&p, end, '/') || !digits(&p, end, 2, &d) || !expect(&p, end, '/') || !digits(&p, end, 4, &y) ||
	    !expect(&p, end, ' ') || !digits(&p, end, 2, &h) || !expect(&p, end, ':') || !digits(&p, end, 2, &mi) ||
	    !expect(&p, end, ':') || !digits(&p, end, 2, &s))
		return false;
	if (p < end) {
		if (end - p != 3 || p[0] != ' ' || (p[1] != 'A' && p[1] != 'P') || p[2] != 'M' || h < 1 || h > 12)
			return false;
		h = h % 12 + (p[1] == 'P' ? 12 : 0);
	}
	if (!valid_tm(y, mo, d, h, mi, s))
		return false;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			 .tm_sec = s, .tm_isdst = -1 };
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return false;
	*ret = (double)t;
	return true;
}

/* ---- the sample a row names ---- */

/*
 * From the display text (n bytes, "Name (unit)", "Name (Count / 1 sec)"),
 * and the tags text (CSV: "[a=b;c=d]" already split off), fill s's strings
 * (owned) and kind.
 */
static struct clrsos_error *fill_sample(struct clrsos_counter_sample *s, const char *provider, size_t provider_n,
					const char *display, size_t n, const char *tags, size_t tags_n, bool csv_tags)
{
	const char *unit = NULL;
	size_t unit_n = 0, name_n = n;
	if (n >= 3 && display[n - 1] == ')') {
		for (size_t i = n - 1; i-- > 0;) {
			if (display[i] == '(' && i > 0 && display[i - 1] == ' ') {
				unit = display + i + 1;
				unit_n = n - i - 2;
				name_n = i - 1;
				break;
			}
		}
	}
	if (unit) {
		/* "Count / 1 sec": a rate over that many seconds. */
		const char *slash = NULL;
		for (size_t i = 0; i + 3 <= unit_n; i++) {
			if (!memcmp(unit + i, " / ", 3))
				slash = unit + i;
		}
		if (slash && unit_n >= 4 && !memcmp(unit + unit_n - 4, " sec", 4)) {
			char num[32];
			size_t len = (size_t)(unit + unit_n - 4 - (slash + 3));
			double iv;
			if (len < sizeof(num)) {
				memcpy(num, slash + 3, len);
				num[len] = 0;
				if (clrsos_counters_parse_number(num, &iv) && iv > 0 && iv < 1e6) {
					s->kind = CLRSOS_COUNTER_RATE;
					s->interval = iv;
					unit_n = (size_t)(slash - unit);
				}
			}
		}
	}
	s->provider = strndup(provider, provider_n);
	s->name = strndup(display, name_n);
	s->display_name = strndup(display, name_n);
	s->unit = strndup(unit ? unit : "", unit_n);
	s->tags = strndup(tags ? tags : "", tags_n);
	if (!s->provider || !s->name || !s->display_name || !s->unit || !s->tags)
		return &clrsos_error_no_memory;
	if (csv_tags) {
		for (char *c = s->tags; *c; c++) {
			if (*c == ';')
				*c = ',';
		}
	}
	return NULL;
}

static struct clrsos_error *add_row(struct clrsos_counter_table *table, struct clrsos_counter_sample *s,
				    struct clrsos_countersfile_stats *st)
{
	struct clrsos_error *err = clrsos_counter_table_add(table, s);
	clrsos_counter_sample_deinit(s);
	if (!err)
		st->rows++;
	return err;
}

/* ---- CSV ---- */

static struct clrsos_error *csv_row(const char *line, size_t n, struct clrsos_counter_table *table,
				    struct clrsos_countersfile_stats *st)
{
	if (n > MAX_LINE || memchr(line, 0, n)) {
		st->skipped++;
		return NULL;
	}
	const char *end = line + n;
	const char *c1 = memchr(line, ',', n);
	const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(end - c1 - 1)) : NULL;
	const char *cl = memrchr(line, ',', n);
	const char *cp = cl && cl > line ? memrchr(line, ',', (size_t)(cl - line)) : NULL;
	if (!c2 || !cp || cp <= c2) {
		st->skipped++;
		return NULL;
	}
	struct clrsos_counter_sample s = { 0 };
	char num[64];
	size_t vn = (size_t)(end - cl - 1);
	if (vn >= sizeof(num) || !clrsos_countersfile_parse_time(line, (size_t)(c1 - line), &s.timestamp)) {
		st->skipped++;
		return NULL;
	}
	memcpy(num, cl + 1, vn);
	num[vn] = 0;
	size_t tn = (size_t)(cl - cp - 1);
	bool rate = tn == 4 && !memcmp(cp + 1, "Rate", 4);
	if (!clrsos_counters_parse_number(num, &s.value) || (!rate && !(tn == 6 && !memcmp(cp + 1, "Metric", 6)))) {
		st->skipped++;
		return NULL;
	}
	const char *name = c2 + 1, *tags = NULL;
	size_t name_n = (size_t)(cp - name), tags_n = 0;
	if (name_n && name[name_n - 1] == ']') {
		const char *open = memrchr(name, '[', name_n);
		if (open) {
			tags = open + 1;
			tags_n = (size_t)(name + name_n - 1 - tags);
			name_n = (size_t)(open - name);
		}
	}
	if (!name_n || c2 == c1 + 1) {
		st->skipped++;
		return NULL;
	}
	s.kind = CLRSOS_COUNTER_GAUGE;
	struct clrsos_error *err = fill_sample(&s, c1 + 1, (size_t)(c2 - c1 - 1), name, name_n, tags, tags_n, true);
	if (!err && rate && s.kind != CLRSOS_COUNTER_RATE)
		s.kind = CLRSOS_COUNTER_RATE;
	if (err) {
		clrsos_counter_sample_deinit(&s);
		return err;
	}
	return add_row(table, &s, st);
}

static struct clrsos_error *read_csv(const char *data, size_t size, struct clrsos_counter_table *table,
				     struct clrsos_countersfile_stats *st)
{
	const char *p = data, *end = data + size;
	bool header = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (header) {
			header = false;
			if (n != sizeof(csv_header) - 1 || memcmp(p, csv_header, n))
				return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							   "not a counters CSV file: its first line is not '%s'",
							   csv_header);
		} else if (n) {
			struct clrsos_error *err = csv_row(p, n, table, st);
			if (err)
				return err;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* ---- JSON ---- */

struct json {
	const char *p, *end, *start;
	bool eof;    /* the text ended inside the document */
	bool broken; /* the text is not JSON */
	char *buf;   /* the last string read */
	size_t len, cap;
};

static void ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool fail(struct json *j)
{
	if (j->p >= j->end)
		j->eof = true;
	else
		j->broken = true;
	return false;
}

/* Expect c after blanks. */
static bool eat(struct json *j, char c)
{
	ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static bool put(struct json *j, const char *s, size_t n, bool *too_long)
{
	if (j->len + n + 1 > MAX_STRING) {
		*too_long = true;
		return true;
	}
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 256;
		while (cap < j->len + n + 1)
			cap *= 2;
		char *grown = realloc(j->buf, cap);
		if (!grown)
			return false;
		j->buf = grown;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = 0;
	return true;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string into j->buf (NUL-terminated; a \u0000 makes it *bad); false on
 * end of text, broken text or out of memory (*nomem).
 */
static bool string(struct json *j, bool *bad, bool *nomem)
{
	*bad = false;
	j->len = 0;
	if (!put(j, "", 0, bad)) {
		*nomem = true;
		return false;
	}
	if (!eat(j, '"'))
		return fail(j);
	while (j->p < j->end) {
		const char *run = j->p;
		while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20)
			j->p++;
		if (!put(j, run, (size_t)(j->p - run), bad)) {
			*nomem = true;
			return false;
		}
		if (j->p >= j->end)
			break;
		char c = *j->p++;
		if (c == '"')
			return true;
		if (c != '\\') {
			j->p--;
			return fail(j); /* a raw control character */
		}
		if (j->p >= j->end)
			break;
		char e = *j->p++, out[8];
		size_t n = 1;
		switch (e) {
		case '"': case '\\': case '/': out[0] = e; break;
		case 'b': out[0] = '\b'; break;
		case 'f': out[0] = '\f'; break;
		case 'n': out[0] = '\n'; break;
		case 'r': out[0] = '\r'; break;
		case 't': out[0] = '\t'; break;
		case 'u': {
			if (j->end - j->p < 4)
				return fail(j);
			int cp = hex4(j->p);
			if (cp < 0)
				return fail(j);
			j->p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
				int lo = hex4(j->p + 2);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					j->p += 6;
				}
			}
			if (cp == 0)
				*bad = true;
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd; /* a lone surrogate */
			n = utf8((uint32_t)cp, out);
			break;
		}
		default:
			j->p--;
			return fail(j);
		}
		if (!put(j, out, n, bad)) {
			*nomem = true;
			return false;
		}
	}
	return fail(j);
}

/* Skip one value of any kind, nesting bounded, without recursion. */
static bool skip_value(struct json *j, bool *nomem)
{
	int depth = 0;
	bool bad;
	do {
		ws(j);
		if (j->p >= j->end)
			return fail(j);
		char c = *j->p;
		if (c == '"') {
			if (!string(j, &bad, nomem))
				return false;
		} else if (c == '{' || c == '[') {
			if (++depth > MAX_DEPTH)
				return fail(j);
			j->p++;
			continue;
		} else if (c == '}' || c == ']') {
			if (!depth)
				return fail(j);
			depth--;
			j->p++;
		} else if (c == ',' || c == ':') {
			if (!depth)
				return fail(j);
			j->p++;
			continue;
		} else {
			const char *s = j->p;
			while (j->p < j->end && strchr("0123456789+-.eEtruefalsn", *j->p))
				j->p++;
			if (j->p == s)
				return fail(j);
			if (j->p >= j->end)
				return fail(j);
		}
	} while (depth > 0);
	return true;
}

/* A number (or a numeric string, as some writers quote them). */
static bool number(struct json *j, double *ret, bool *ok, bool *nomem)
{
	ws(j);
	if (j->p < j->end && *j->p == '"') {
		bool bad;
		if (!string(j, &bad, nomem))
			return false;
		*ok = !bad && clrsos_counters_parse_number(j->buf, ret);
		return true;
	}
	const char *s = j->p;
	while (j->p < j->end && strchr("0123456789+-.eE", *j->p))
		j->p++;
	if (j->p >= j->end)
		return fail(j);
	char num[64];
	size_t n = (size_t)(j->p - s);
	if (!n) {
		/* null, true...: not a number, but JSON */
		*ok = false;
		return skip_value(j, nomem);
	}
	if (n >= sizeof(num)) {
		*ok = false;
		return true;
	}
	memcpy(num, s, n);
	num[n] = 0;
	*ok = clrsos_counters_parse_number(num, ret);
	return true;
}

enum { F_TIME, F_PROVIDER, F_NAME, F_TAGS, F_TYPE, F_COUNT };
static const char *const event_keys[F_COUNT] = { "timestamp", "provider", "name", "tags", "counterType" };

static struct clrsos_error *json_event(struct json *j, struct clrsos_counter_table *table,
				       struct clrsos_countersfile_stats *st, bool *stop)
{
	char *f[F_COUNT] = { 0 };
	bool ok = true, has_value = false, nomem = false;
	double value = 0;
	struct clrsos_error *err = NULL;
	*stop = true;
	if (!eat(j, '{')) {
		fail(j);
		goto out;
	}
	if (eat(j, '}'))
		goto done;
	for (;;) {
		bool bad;
		if (!string(j, &bad, &nomem))
			goto out;
		int k = -1;
		for (int i = 0; i < F_COUNT; i++) {
			if (!strcmp(j->buf, event_keys[i]))
				k = i;
		}
		bool is_value = !strcmp(j->buf, "value");
		if (!eat(j, ':')) {
			fail(j);
			goto out;
		}
		if (k >= 0) {
			ws(j);
			if (j->p < j->end && *j->p != '"') {
				ok = false;
				if (!skip_value(j, &nomem))
					goto out;
			} else {
				if (!string(j, &bad, &nomem))
					goto out;
				free(f[k]);
				f[k] = bad ? NULL : strdup(j->buf);
				if (!bad && !f[k]) {
					nomem = true;
					goto out;
				}
				ok = ok && !bad;
			}
		} else if (is_value) {
			bool vok;
			if (!number(j, &value, &vok, &nomem))
				goto out;
			has_value = vok;
		} else if (!skip_value(j, &nomem)) {
			goto out;
		}
		if (eat(j, '}'))
			break;
		if (!eat(j, ',')) {
			fail(j);
			goto out;
		}
	}
done:
	*stop = false;
	struct clrsos_counter_sample s = { 0 };
	if (!ok || !has_value || !f[F_TIME] || !f[F_PROVIDER] || !f[F_NAME] || !*f[F_NAME] ||
	    !clrsos_countersfile_parse_time(f[F_TIME], strlen(f[F_TIME]), &s.timestamp)) {
		st->skipped++;
		goto out;
	}
	s.kind = CLRSOS_COUNTER_GAUGE;
	s.value = value;
	err = fill_sample(&s, f[F_PROVIDER], strlen(f[F_PROVIDER]), f[F_NAME], strlen(f[F_NAME]), f[F_TAGS],
			  f[F_TAGS] ? strlen(f[F_TAGS]) : 0, false);
	if (!err && f[F_TYPE] && !strcmp(f[F_TYPE], "Rate"))
		s.kind = CLRSOS_COUNTER_RATE;
	if (err)
		clrsos_counter_sample_deinit(&s);
	else
		err = add_row(table, &s, st);
out:
	for (int i = 0; i < F_COUNT; i++)
		free(f[i]);
	if (nomem && !err)
		err = &clrsos_error_no_memory;
	return err;
}

static struct clrsos_error *read_json(const char *data, size_t size, struct clrsos_counter_table *table,
				      struct clrsos_countersfile_stats *st)
{
	struct json j = { .p = data, .end = data + size, .start = data };
	struct clrsos_error *err = NULL;
	bool nomem = false, stop = false;
	if (!eat(&j, '{')) {
		fail(&j);
		goto end;
	}
	if (eat(&j, '}'))
		goto end;
	for (;;) {
		bool bad;
		if (!string(&j, &bad, &nomem) || !eat(&j, ':')) {
			fail(&j);
			goto end;
		}
		if (!strcmp(j.buf, "Events") && eat(&j, '[')) {
			if (!eat(&j, ']')) {
				for (;;) {
					if ((err = json_event(&j, table, st, &stop)) || stop)
						goto end;
					if (eat(&j, ']'))
						break;
					if (!eat(&j, ',')) {
						fail(&j);
						goto end;
					}
				}
			}
		} else if (!skip_value(&j, &nomem)) {
			goto end;
		}
		if (eat(&j, '}'))
			break;
		if (!eat(&j, ',')) {
			fail(&j);
			goto end;
		}
	}
end:
	free(j.buf);
	if (err)
		return err;
	if (nomem)
		return &clrsos_error_no_memory;
	if (j.broken)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "not a counters JSON file: unexpected text at byte %zu",
					   (size_t)(j.p - j.start));
	st->truncated = j.eof;
	return NULL;
}

struct clrsos_error *clrsos_countersfile_read(const char *data, size_t size, struct clrsos_counter_table *table,
					      struct clrsos_countersfile_stats *stats)
{
	struct clrsos_countersfile_stats dummy;
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	if (size >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		data += 3, size -= 3;
	size_t i = 0;
	while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	struct clrsos_error *err;
	if (i < size && data[i] == '{') {
		stats->format = 'j';
		err = read_json(data, size, table, stats);
	} else if (size - i >= 9 && !memcmp(data + i, "Timestamp", 9)) {
		stats->format = 'c';
		err = read_csv(data + i, size - i, table, stats);
	} else {
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "not a counters recording: neither CSV (first line '%s') nor JSON "
					   "(written by counters --format csv|json or dotnet-counters collect)",
					   csv_header);
	}
	if (err)
		return err;
	if (!stats->rows)
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "the recording holds no counter value (%zu entries not understood)%s",
					   stats->skipped, stats->truncated ? "; it ends early" : "");
	return NULL;
}

struct clrsos_error *clrsos_countersfile_load(const char *path, struct clrsos_counter_table *table,
					      struct clrsos_countersfile_stats *stats)
{
	struct clrsos_name_buf nb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot open %s: %s", clrsos_safe_name(path, &nb),
					   strerror(errno));
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CLRSOS_COUNTERSFILE_MAX_SIZE) {
		close(fd);
		return clrsos_error_create(CLRSOS_ERROR_IO, "%s is not a regular file of at most 1 GiB",
					   clrsos_safe_name(path, &nb));
	}
	size_t size = (size_t)st.st_size, got = 0;
	char *data = malloc(size ? size : 1);
	if (!data) {
		close(fd);
		return &clrsos_error_no_memory;
	}
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	int e = errno;
	close(fd);
	if (got < size) {
		free(data);
		return clrsos_error_create(CLRSOS_ERROR_IO, "cannot read %s: %s", clrsos_safe_name(path, &nb),
					   got ? "it shrank while read" : strerror(e));
	}
	struct clrsos_error *err = clrsos_countersfile_read(data, size, table, stats);
	free(data);
	if (err)
		err = clrsos_error_wrap(err, "%s", clrsos_safe_name(path, &nb));
	return err;
}
