#include "counters/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- numbers and times ---- */

void clrsos_counters_format_number(double v, char *buf, size_t size)
{
	if (!isfinite(v)) {
		snprintf(buf, size, "0");
		return;
	}
	/* The fewest significant digits that read back as v, then written as .NET's round-trip form does:
	 * plain notation for exponents from -5 to 14 ("20", "0.001"), else "1E+21", "1E-07". */
	int p = 1;
	for (; p < 17; p++) {
		snprintf(buf, size, "%.*e", p - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	int exp10 = v == 0 ? 0 : atoi(strchr(buf, 'e') + 1);
	if (exp10 >= -5 && exp10 < 15) {
		int decimals = p - 1 - exp10;
		snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, v);
		return;
	}
	char mant[40];
	snprintf(mant, sizeof(mant), "%.*e", p - 1, v);
	*strchr(mant, 'e') = '\0';
	snprintf(buf, size, "%sE%c%02d", mant, exp10 < 0 ? '-' : '+', abs(exp10));
}

void clrsos_counters_format_value(double v, char *buf, size_t size)
{
	if (!isfinite(v)) {
		snprintf(buf, size, "%s", isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (fabs(v) >= 100000000) {
		/* .NET's "0.####e+00": up to 4 decimals, trailing zeros dropped, a signed exponent of 2+ digits. */
		char m[64];
		snprintf(m, sizeof(m), "%.4e", v);
		char *e = strchr(m, 'e');
		if (!e) {
			snprintf(buf, size, "%s", m);
			return;
		}
		*e = 0;
		char *end = e;
		if (strchr(m, '.')) {
			while (end[-1] == '0')
				*--end = 0;
			if (end[-1] == '.')
				*--end = 0;
		}
		int exp = atoi(e + 1);
		snprintf(buf, size, "%se%c%02d   ", m, exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	double r = round(v * 1000) / 1000;
	if (r == 0)
		r = 0; /* no "-0" */
	char digits[64];
	snprintf(digits, sizeof(digits), "%.3f", fabs(r));
	char *dot = strchr(digits, '.');
	char *end = digits + strlen(digits);
	while (end > dot + 1 && end[-1] == '0')
		*--end = 0;
	int decimals = (int)(end - dot - 1);
	if (!decimals)
		*dot = 0;
	size_t int_len = (size_t)(dot - digits);
	char out[96];
	size_t o = 0;
	if (r < 0)
		out[o++] = '-';
	for (size_t i = 0; i < int_len; i++) {
		if (i && (int_len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	if (decimals) {
		out[o++] = '.';
		for (int i = 0; i < decimals; i++)
			out[o++] = dot[1 + i];
	}
	for (int i = decimals ? decimals : -1; i < 3; i++)
		out[o++] = ' ';
	out[o] = 0;
	snprintf(buf, size, "%s", out);
}

static void local_tm(double t, struct tm *tm, long *frac_100ns)
{
	double whole = floor(t);
	time_t tt = (time_t)whole;
	long f = (long)llround((t - whole) * 1e7);
	if (f >= 10000000) {
		f -= 10000000;
		tt++;
	}
	if (!localtime_r(&tt, tm))
		memset(tm, 0, sizeof(*tm));
	if (frac_100ns)
		*frac_100ns = f;
}

void clrsos_counters_format_csv_time(double t, char *buf, size_t size)
{
	struct tm tm;
	local_tm(t, &tm, NULL);
	if (!strftime(buf, size, "%m/%d/%Y %H:%M:%S", &tm) && size)
		buf[0] = 0;
}

void clrsos_counters_format_iso_time(double t, char *buf, size_t size)
{
	struct tm tm;
	long frac;
	local_tm(t, &tm, &frac);
	char date[40];
	if (!strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		date[0] = 0;
	long off = tm.tm_gmtoff / 60;
	snprintf(buf, size, "%s.%07ld%c%02ld:%02ld", date, frac, off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

/* ---- escaping ---- */

/* Write s as a JSON string's inside: controls escaped, invalid UTF-8 as U+FFFD. */
static void json_escaped(struct clrsos_writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), start = 0, i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = clrsos_utf8_valid(p + i, n - i, &cp);
		const char *rep = NULL;
		char esc[8];
		if (!len) {
			rep = "\\ufffd";
			len = 1;
		} else if (cp == '"') {
			rep = "\\\"";
		} else if (cp == '\\') {
			rep = "\\\\";
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
			rep = esc;
		}
		if (rep) {
			w->write(w->ctx, (const char *)p + start, i - start);
			clrsos_out(w, rep);
			start = i + len;
		}
		i += len;
	}
	w->write(w->ctx, (const char *)p + start, n - start);
}

/* Write s for XML text or attributes: escaped as clrsos_safe_name does, then &<>"' as entities. */
static void xml_escaped(struct clrsos_writer *w, const char *s)
{
	struct clrsos_name_buf nb;
	const unsigned char *p = (const unsigned char *)clrsos_safe_name(s ? s : "", &nb);
	size_t n = strlen((const char *)p), start = 0, i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = clrsos_utf8_valid(p + i, n - i, &cp);
		const char *rep = NULL;
		if (!len) {
			rep = "?";
			len = 1;
		} else if (cp == '&') {
			rep = "&amp;";
		} else if (cp == '<') {
			rep = "&lt;";
		} else if (cp == '>') {
			rep = "&gt;";
		} else if (cp == '"') {
			rep = "&quot;";
		} else if (cp == '\'') {
			rep = "&apos;";
		} else if (cp < 0x20 || cp == 0xfffe || cp == 0xffff) {
			rep = "?"; /* not allowed in XML 1.0 */
		}
		if (rep) {
			w->write(w->ctx, (const char *)p + start, i - start);
			clrsos_out(w, rep);
			start = i + len;
		}
		i += len;
	}
	w->write(w->ctx, (const char *)p + start, n - start);
}

/* Write s escaped as clrsos_safe_name does, with ',' as ';' (a CSV field without quoting). */
static void csv_escaped(struct clrsos_writer *w, const char *s)
{
	struct clrsos_name_buf nb;
	const char *safe = clrsos_safe_name(s ? s : "", &nb);
	size_t start = 0, i = 0;
	for (; safe[i]; i++) {
		if (safe[i] == ',') {
			w->write(w->ctx, safe + start, i - start);
			clrsos_out(w, ";");
			start = i + 1;
		}
	}
	w->write(w->ctx, safe + start, i - start);
}

/* ---- the monitor view ---- */

/* Code points in s (the columns it takes, near enough). */
static size_t columns(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* s in width columns: cut (at a code point), and padded with blanks if pad. */
static void out_cut(struct clrsos_writer *w, const char *s, size_t width, bool pad)
{
	size_t cols = 0, i = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (p[i]) {
		size_t j = i + 1;
		while ((p[j] & 0xc0) == 0x80)
			j++;
		if (cols + 1 > width)
			break;
		cols++;
		i = j;
	}
	w->write(w->ctx, s, i);
	for (; pad && cols < width; cols++)
		clrsos_out(w, " ");
}

static void out_fixed(struct clrsos_writer *w, const char *s, size_t width)
{
	out_cut(w, s, width, true);
}

static void out_right(struct clrsos_writer *w, const char *s, size_t width)
{
	for (size_t c = columns(s); c < width; c++)
		clrsos_out(w, " ");
	clrsos_out(w, s);
}

static void monitor_row(struct clrsos_writer *w, unsigned indent, const char *name, const char *value, size_t name_col,
			size_t value_col)
{
	char pad[16];
	snprintf(pad, sizeof(pad), "%*s", (int)indent, "");
	char line[2048];
	snprintf(line, sizeof(line), "%s%s", pad, name);
	if (!value) {
		out_cut(w, line, name_col + 1 + value_col, false);
	} else {
		out_fixed(w, line, name_col);
		clrsos_out(w, " ");
		out_right(w, value, value_col);
	}
	clrsos_out(w, "\n");
}

static int by_name(const void *a, const void *b, void *ctx)
{
	const struct clrsos_counter_table *t = ctx;
	const struct clrsos_counter_series *x = t->series[*(const size_t *)a], *y = t->series[*(const size_t *)b];
	int c = strcmp(x->last.name, y->last.name);
	return c ? c : strcmp(x->last.tags, y->last.tags);
}

void clrsos_counters_render_monitor(struct clrsos_writer *w, const struct clrsos_counter_table *t, unsigned width)
{
	if (!width)
		width = 80;
	size_t value_col = 15;
	char v[96];
	for (size_t i = 0; i < t->count; i++) {
		clrsos_counters_format_value(t->series[i]->last.value, v, sizeof(v));
		if (columns(v) > value_col)
			value_col = columns(v);
	}
	size_t name_col = width > value_col + 21 ? width - value_col - 1 : 20;

	out_fixed(w, "Name", name_col);
	clrsos_out(w, " ");
	out_right(w, "Current Value", value_col);
	clrsos_out(w, "\n");
	/* Within a provider, counters by name and tag sets by tags, as dotnet-counters lists them. */
	size_t *order = malloc((t->count ? t->count : 1) * sizeof(*order));
	for (size_t i = 0; order && i < t->count; i++)
		order[i] = i;
	if (order)
		qsort_r(order, t->count, sizeof(*order), by_name, (void *)t);
#define AT(i) (t->series[order ? order[(i)] : (i)])
	struct clrsos_name_buf nb;
	char display[1200], head[1300];
	for (size_t p = 0; p < t->provider_count; p++) {
		bool any = false;
		for (size_t i = 0; i < t->count && !any; i++)
			any = !AT(i)->hidden && !strcmp(AT(i)->last.provider, t->providers[p]);
		if (!any)
			continue;
		snprintf(head, sizeof(head), "[%s]", clrsos_safe_name(t->providers[p], &nb));
		monitor_row(w, 0, head, NULL, name_col, 0);
		for (size_t i = 0; i < t->count; i++) {
			const struct clrsos_counter_series *s = AT(i);
			if (s->hidden || strcmp(s->last.provider, t->providers[p]))
				continue;
			/* The first series of its name here: the name row, then every tag set of that name. */
			bool earlier = false;
			for (size_t k = 0; k < i && !earlier; k++) {
				const struct clrsos_counter_series *o = AT(k);
				earlier = !o->hidden && !strcmp(o->last.provider, s->last.provider) &&
					  !strcmp(o->last.name, s->last.name);
			}
			if (earlier)
				continue;
			clrsos_counter_sample_display(&s->last, display, sizeof(display));
			const char *shown = clrsos_safe_name(display, &nb);
			if (!*s->last.tags) {
				clrsos_counters_format_value(s->last.value, v, sizeof(v));
				monitor_row(w, 4, shown, v, name_col, value_col);
			} else {
				monitor_row(w, 4, shown, NULL, name_col, 0);
			}
			for (size_t k = i; k < t->count; k++) {
				const struct clrsos_counter_series *o = AT(k);
				if (o->hidden || !*o->last.tags || strcmp(o->last.provider, s->last.provider) ||
				    strcmp(o->last.name, s->last.name))
					continue;
				clrsos_counters_format_value(o->last.value, v, sizeof(v));
				monitor_row(w, 8, clrsos_safe_name(o->last.tags, &nb), v, name_col, value_col);
			}
		}
	}
#undef AT
	free(order);
}

/* ---- recorders ---- */

void clrsos_counters_csv_header(struct clrsos_writer *w)
{
	clrsos_out(w, "Timestamp,Provider,Counter Name,Counter Type,Mean/Increment\n");
}

/*
 * As dotnet-counters collect records a Meter counter: its rate over the
 * interval ("Rate", "(unit / N sec)"), not the running total the monitor
 * view shows.
 */
static const struct clrsos_counter_sample *as_recorded(const struct clrsos_counter_sample *s,
						       struct clrsos_counter_sample *tmp)
{
	if (s->kind != CLRSOS_COUNTER_SUM || !s->has_rate)
		return s;
	*tmp = *s;
	tmp->kind = CLRSOS_COUNTER_RATE;
	tmp->value = s->rate;
	return tmp;
}

void clrsos_counters_csv_sample(struct clrsos_writer *w, const struct clrsos_counter_sample *s)
{
	struct clrsos_counter_sample tmp;
	s = as_recorded(s, &tmp);
	char ts[64], display[1200], num[64];
	clrsos_counters_format_csv_time(s->timestamp, ts, sizeof(ts));
	clrsos_out(w, ts);
	clrsos_out(w, ",");
	csv_escaped(w, s->provider);
	clrsos_out(w, ",");
	struct clrsos_name_buf nb;
	/* The name may hold ',': the reader takes the fields around it. */
	clrsos_out(w, clrsos_safe_name(clrsos_counter_sample_display(s, display, sizeof(display)), &nb));
	if (s->tags && *s->tags) {
		clrsos_out(w, "[");
		csv_escaped(w, s->tags);
		clrsos_out(w, "]");
	}
	clrsos_out(w, ",");
	clrsos_out(w, clrsos_counter_kind_csv_name(s->kind));
	clrsos_out(w, ",");
	clrsos_counters_format_number(s->value, num, sizeof(num));
	clrsos_out(w, num);
	clrsos_out(w, "\n");
}

void clrsos_counters_json_begin(struct clrsos_counters_json_recorder *r, struct clrsos_writer *w,
				const char *process_name, double start_time)
{
	char ts[64];
	r->w = w;
	r->any = false;
	clrsos_counters_format_iso_time(start_time, ts, sizeof(ts));
	clrsos_out(w, "{ \"TargetProcess\": \"");
	json_escaped(w, process_name);
	clrsos_out(w, "\", \"StartTime\": \"");
	clrsos_out(w, ts);
	clrsos_out(w, "\", \"Events\": [");
}

void clrsos_counters_json_sample(struct clrsos_counters_json_recorder *r, const struct clrsos_counter_sample *s)
{
	struct clrsos_counter_sample tmp;
	s = as_recorded(s, &tmp);
	struct clrsos_writer *w = r->w;
	char ts[64], display[1200], num[64];
	clrsos_counters_format_iso_time(s->timestamp, ts, sizeof(ts));
	if (r->any)
		clrsos_out(w, ",");
	r->any = true;
	clrsos_out(w, "{ \"timestamp\": \"");
	clrsos_out(w, ts);
	clrsos_out(w, "\",  \"provider\": \"");
	json_escaped(w, s->provider);
	clrsos_out(w, "\",  \"name\": \"");
	json_escaped(w, clrsos_counter_sample_display(s, display, sizeof(display)));
	clrsos_out(w, "\",  \"tags\": \"");
	json_escaped(w, s->tags);
	clrsos_out(w, "\",  \"counterType\": \"");
	clrsos_out(w, clrsos_counter_kind_csv_name(s->kind));
	clrsos_out(w, "\",  \"meterTags\": \"\",  \"instrumentTags\": \"\",  \"value\": ");
	clrsos_counters_format_number(s->value, num, sizeof(num));
	clrsos_out(w, num);
	clrsos_out(w, " }");
}

void clrsos_counters_json_end(struct clrsos_counters_json_recorder *r)
{
	clrsos_out(r->w, "]}\n");
}

/* ---- the SVG chart ---- */

static const char *const palette[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
				       "#8c564b", "#e377c2", "#17becf", "#7f7f7f" };

struct panel {
	const struct clrsos_counter_series **series;
	size_t count;
};

static double nice_step(double range, int ticks)
{
	if (!(range > 0))
		return 1;
	double raw = range / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* Byte counters shown in KB/MB/GB (decimal) by their largest value. */
static double unit_scale(const char *unit, double max_abs, const char **shown)
{
	*shown = unit;
	if (strcmp(unit, "By") && strcmp(unit, "bytes") && strcmp(unit, "B"))
		return 1;
	if (max_abs >= 1e9)
		return *shown = "GB", 1e9;
	if (max_abs >= 1e6)
		return *shown = "MB", 1e6;
	if (max_abs >= 1e3)
		return *shown = "KB", 1e3;
	*shown = "bytes";
	return 1;
}

static void clock_label(double t, double step, char *buf, size_t size)
{
	struct tm tm;
	local_tm(t, &tm, NULL);
	if (!strftime(buf, size, step < 60 ? "%H:%M:%S" : "%H:%M", &tm) && size)
		buf[0] = 0;
}

static bool series_selected(const struct clrsos_counter_series *s, const char *name, size_t name_len,
			    const char *tags)
{
	char display[1200];
	clrsos_counter_sample_display(&s->last, display, sizeof(display));
	bool named = (strlen(s->last.name) == name_len && !strncmp(s->last.name, name, name_len)) ||
		     (strlen(s->last.display_name) == name_len && !strncmp(s->last.display_name, name, name_len)) ||
		     (strlen(display) == name_len && !strncmp(display, name, name_len));
	return named && (!tags || !strcmp(s->last.tags, tags));
}

static struct clrsos_error *add_to_panel(struct panel *p, const struct clrsos_counter_series *s)
{
	const struct clrsos_counter_series **grown = realloc(p->series, (p->count + 1) * sizeof(*grown));
	if (!grown)
		return &clrsos_error_no_memory;
	p->series = grown;
	p->series[p->count++] = s;
	return NULL;
}

static struct clrsos_error *choose_panels(const struct clrsos_counter_table *t,
					  const struct clrsos_counters_chart_options *o, struct panel **ret,
					  size_t *ret_count)
{
	struct clrsos_error *err = NULL;
	size_t n = o->name_count ? o->name_count : t->count;
	struct panel *panels = calloc(n ? n : 1, sizeof(*panels));
	size_t count = 0;
	if (!panels)
		return &clrsos_error_no_memory;
	if (o->name_count) {
		for (size_t k = 0; k < o->name_count && !err; k++) {
			const char *want = o->names[k];
			const char *open = strchr(want, '[');
			size_t len = open ? (size_t)(open - want) : strlen(want);
			char *tags = NULL;
			if (open) {
				size_t tl = strlen(open);
				if (tl < 2 || open[tl - 1] != ']') {
					err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
								  "'%.80s': write name or name[tags]", want);
					break;
				}
				if (!(tags = strndup(open + 1, tl - 2))) {
					err = &clrsos_error_no_memory;
					break;
				}
			}
			for (size_t i = 0; i < t->count && !err; i++) {
				if (series_selected(t->series[i], want, len, tags) && t->series[i]->point_count)
					err = add_to_panel(&panels[count], t->series[i]);
			}
			free(tags);
			if (!err && !panels[count].count) {
				char have[512] = "";
				size_t used = 0;
				for (size_t i = 0; i < t->count && used + 4 < sizeof(have); i++) {
					if (t->series[i]->hidden)
						continue;
					bool dup = false;
					for (size_t j = 0; j < i && !dup; j++)
						dup = !strcmp(t->series[j]->last.name, t->series[i]->last.name);
					if (dup)
						continue;
					struct clrsos_name_buf nb;
					int m = snprintf(have + used, sizeof(have) - used, "%s%s", used ? ", " : "",
							 clrsos_safe_name(t->series[i]->last.name, &nb));
					used = m < 0 ? used : used + (size_t)m >= sizeof(have) ? sizeof(have) - 1 : used + (size_t)m;
				}
				struct clrsos_name_buf nb;
				err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
							  "no counter '%s' with history here; there are: %s",
							  clrsos_safe_name(want, &nb), *have ? have : "none");
			}
			count++;
		}
	} else {
		/* Every counter shown, one panel per (provider, name). */
		for (size_t i = 0; i < t->count && !err; i++) {
			const struct clrsos_counter_series *s = t->series[i];
			if (s->hidden || !s->point_count)
				continue;
			size_t k = 0;
			for (; k < count; k++) {
				const struct clrsos_counter_series *f = panels[k].series[0];
				if (!strcmp(f->last.provider, s->last.provider) && !strcmp(f->last.name, s->last.name))
					break;
			}
			if (k == count)
				count++;
			err = add_to_panel(&panels[k], s);
		}
		if (!err && !count)
			err = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
						  "nothing to chart: the recording has no counter value");
	}
	if (err) {
		for (size_t k = 0; k < n; k++)
			free(panels[k].series);
		free(panels);
		return err;
	}
	*ret = panels;
	*ret_count = count;
	return NULL;
}

struct clrsos_error *clrsos_counters_render_svg(struct clrsos_writer *w, const struct clrsos_counter_table *t,
						const struct clrsos_counters_chart_options *o)
{
	struct panel *panels = NULL;
	size_t count = 0;
	struct clrsos_error *err = choose_panels(t, o, &panels, &count);
	if (err)
		return err;
	double width = o->width ? o->width : 960, ph = o->panel_height ? o->panel_height : 240;
	if (width < 300)
		width = 300;
	if (ph < 120)
		ph = 120;
	const double left = 90, right = 30, top = 46, bottom = 34, head = 40;
	double tmin = INFINITY, tmax = -INFINITY;
	for (size_t k = 0; k < count; k++) {
		for (size_t j = 0; j < panels[k].count; j++) {
			const struct clrsos_counter_series *s = panels[k].series[j];
			for (size_t i = 0; i < s->point_count; i++) {
				tmin = fmin(tmin, s->points[i].t);
				tmax = fmax(tmax, s->points[i].t);
			}
		}
	}
	/* Marks (dumps) near the data widen the range so they show: a dump is taken after its last value. */
	double span = tmax > tmin ? tmax - tmin : 0;
	for (size_t m = 0; m < t->mark_count && isfinite(tmin); m++) {
		double mt = t->marks[m].t;
		if (mt >= tmin - span - 60 && mt <= tmax + span + 60) {
			tmin = fmin(tmin, mt);
			tmax = fmax(tmax, mt);
		}
	}
	if (!(tmax > tmin)) {
		tmin -= 1;
		tmax += 1;
	}
	double height = head + count * ph;
	char a[64], b[64];
	clrsos_outf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		       "font-family=\"sans-serif\" font-size=\"12\">\n"
		       "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		    width, height, width, height);
	clrsos_out(w, "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">");
	xml_escaped(w, o->title ? o->title : "clrsos counters");
	clrsos_out(w, "</text>\n");
	clrsos_counters_format_csv_time(tmin, a, sizeof(a));
	clrsos_counters_format_csv_time(tmax, b, sizeof(b));
	clrsos_outf(w, "<text x=\"%.0f\" y=\"24\" text-anchor=\"end\" fill=\"#555\">%s to %s</text>\n", width - right, a,
		    b);
	double pw = width - left - right;
	for (size_t k = 0; k < count; k++) {
		const struct panel *p = &panels[k];
		double y0 = head + k * ph, plot_top = y0 + top, plot_h = ph - top - bottom;
		double vmin = INFINITY, vmax = -INFINITY;
		for (size_t j = 0; j < p->count; j++) {
			for (size_t i = 0; i < p->series[j]->point_count; i++) {
				vmin = fmin(vmin, p->series[j]->points[i].v);
				vmax = fmax(vmax, p->series[j]->points[i].v);
			}
		}
		if (vmin > 0)
			vmin = 0; /* counters read best from zero */
		const char *unit;
		double scale = unit_scale(p->series[0]->last.unit, fmax(fabs(vmin), fabs(vmax)), &unit);
		/* A flat line gets a range of its own size; the step is never lost against the values' size. */
		double smin = vmin / scale, smax = vmax / scale, span = smax - smin;
		if (!(span > fmax(fabs(smin), fabs(smax)) * 1e-9))
			span = fmax(fmax(fabs(smin), fabs(smax)), 1);
		double step = nice_step(span, 5);
		double lo = floor(smin / step) * step, hi = ceil(smax / step) * step;
		if (!(hi > lo))
			hi = lo + step;
		/* The panel's title: provider, name, unit. */
		char display[1200];
		clrsos_out(w, "<g>\n<text x=\"10\" y=\"");
		clrsos_outf(w, "%.1f\" font-weight=\"bold\">", y0 + 22);
		xml_escaped(w, p->series[0]->last.provider);
		clrsos_out(w, ": ");
		xml_escaped(w, clrsos_counter_sample_display(&p->series[0]->last, display, sizeof(display)));
		clrsos_out(w, "</text>\n");
		clrsos_outf(w, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n",
			    left, plot_top, pw, plot_h);
		/* y ticks with the unit. */
		for (int i = 0; i <= 50; i++) {
			double v = lo + i * step;
			if (v > hi + step / 2)
				break;
			double y = plot_top + plot_h - (v - lo) / (hi - lo) * plot_h;
			char num[64];
			clrsos_counters_format_value(fabs(v) < step / 1e6 ? 0 : v, num, sizeof(num));
			char *end = num + strlen(num);
			while (end > num && end[-1] == ' ')
				*--end = 0;
			clrsos_outf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y,
				    left + pw, y);
			clrsos_outf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left - 6, y + 4, num);
		}
		clrsos_outf(w, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\">",
			    plot_top + plot_h / 2, plot_top + plot_h / 2);
		xml_escaped(w, *unit ? unit : "value");
		clrsos_out(w, "</text>\n");
		/* x ticks: clock time. */
		static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
						21600, 43200, 86400 };
		double tstep = steps[sizeof(steps) / sizeof(steps[0]) - 1];
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			if ((tmax - tmin) / steps[i] <= 8) {
				tstep = steps[i];
				break;
			}
		}
		for (int i = 0; i < 100; i++) {
			double tt = ceil(tmin / tstep) * tstep + i * tstep;
			if (tt > tmax)
				break;
			double x = left + (tt - tmin) / (tmax - tmin) * pw;
			char label[32];
			clock_label(tt, tstep, label, sizeof(label));
			clrsos_outf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", x,
				    plot_top + plot_h, x, plot_top + plot_h + 4);
			clrsos_outf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
				    plot_top + plot_h + 18, label);
		}
		/* One line per series, a legend entry for each tag set (inside the plot, top left; at most 8). */
		size_t legend = 0;
		for (size_t j = 0; j < p->count; j++) {
			const struct clrsos_counter_series *s = p->series[j];
			const char *color = palette[j % (sizeof(palette) / sizeof(palette[0]))];
			clrsos_outf(w, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
			for (size_t i = 0; i < s->point_count; i++) {
				double x = left + (s->points[i].t - tmin) / (tmax - tmin) * pw;
				double y = plot_top + plot_h - (s->points[i].v / scale - lo) / (hi - lo) * plot_h;
				clrsos_outf(w, "%s%.1f,%.1f", i ? " " : "", x, y);
			}
			clrsos_out(w, "\"/>\n");
			if ((*s->last.tags || p->count > 1) && legend < 8) {
				clrsos_outf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\">", left + 6,
					    plot_top + 14 + 13.0 * (double)legend, color);
				xml_escaped(w, *s->last.tags ? s->last.tags : "(no tags)");
				clrsos_out(w, "</text>\n");
				legend++;
			} else if (legend == 8) {
				clrsos_outf(w, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">and %zu more</text>\n",
					    left + 6, plot_top + 14 + 13.0 * 8, p->count - 8);
				legend++;
			}
		}
		/* Marks: dumps taken. */
		for (size_t m = 0; m < t->mark_count; m++) {
			double mt = t->marks[m].t;
			if (mt < tmin || mt > tmax)
				continue;
			double x = left + (mt - tmin) / (tmax - tmin) * pw;
			clrsos_outf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" "
				       "stroke-dasharray=\"4,3\"/>\n",
				    x, plot_top, x, plot_top + plot_h);
			/* The label beside the line, on its left near the right edge. */
			bool near_right = x > left + pw * 0.8;
			clrsos_outf(w, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#d62728\" font-size=\"11\"%s>", near_right ? x - 3 : x + 3,
				    plot_top + 12, near_right ? " text-anchor=\"end\"" : "");
			xml_escaped(w, t->marks[m].label);
			clrsos_out(w, "</text>\n");
		}
		clrsos_out(w, "</g>\n");
	}
	clrsos_out(w, "</svg>\n");
	for (size_t k = 0; k < count; k++)
		free(panels[k].series);
	free(panels);
	return NULL;
}
