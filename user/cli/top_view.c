// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "top_view.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	char key;
	const char *name;
} sorts[TOP_SORTS] = {
	[TOP_SORT_USAGE] = { 'u', "usage" },
	[TOP_SORT_PERCENT] = { 'p', "% of limit" },
	[TOP_SORT_GROWTH] = { 'g', "growth" },
	[TOP_SORT_FAULTS] = { 'f', "faults" },
	[TOP_SORT_RECLAIM] = { 'r', "reclaim" },
	[TOP_SORT_OOM] = { 'o', "OOM kills" },
	[TOP_SORT_NAME] = { 'n', "name" },
	[TOP_SORT_WORKING_SET] = { 'w', "working set" },
	[TOP_SORT_TIME_TO_LIMIT] = { 't', "time to limit" },
};

char top_sort_key(enum top_sort sort)
{
	return sort < TOP_SORTS ? sorts[sort].key : '?';
}

const char *top_sort_name(enum top_sort sort)
{
	return sort < TOP_SORTS ? sorts[sort].name : "?";
}

enum top_sort top_sort_from_key(int key)
{
	for (int s = 0; s < TOP_SORTS; s++)
		if (sorts[s].key == key)
			return (enum top_sort)s;
	return TOP_SORTS;
}

static void row_name(char *out, size_t len, const struct aggregate_entry *e)
{
	const struct container_info *c = &e->container;
	char raw[TOP_NAME_LEN * 2];
	const char *path = e->path ? e->path : "?", *name = raw;

	if (!e->has_container || c->runtime == RUNTIME_NONE)
		name = path;
	else if (c->runtime == RUNTIME_SYSTEMD)
		name = c->unit[0] ? c->unit : path;
	else if (c->meta.pod[0])
		snprintf(raw, sizeof(raw), "%s/%s/%s", c->meta.namespace, c->meta.pod,
			 c->meta.name[0] ? c->meta.name : c->id);
	else if (c->meta.name[0])
		name = c->meta.name;
	else if (c->id[0])
		snprintf(raw, sizeof(raw), "%s:%.12s", container_runtime_name(c->runtime), c->id);
	else
		name = path;
	printable_copy(out, len, name, PRINTABLE_UTF8);
}

void top_rows_build(const struct aggregate_entry *const *entries, unsigned int count,
		    uint64_t interval_ns, int64_t now_realtime_ns, struct top_row *rows)
{
	double secs = interval_ns ? (double)interval_ns / 1e9 : 1;

	for (unsigned int i = 0; i < count; i++) {
		const struct aggregate_entry *e = entries[i];
		struct top_row *r = &rows[i];

		memset(r, 0, sizeof(*r));
		r->cgroup_id = e->cgroup_id;
		row_name(r->name, sizeof(r->name), e);
		printable_copy(r->path, sizeof(r->path), e->path ? e->path : "", PRINTABLE_UTF8);
		r->is_container = e->has_container && container_info_is_container(&e->container);
		r->has_usage = e->has_usage;
		r->usage_bytes = e->usage_bytes;
		r->has_limit = e->has_usage && e->has_limit;
		r->limit_bytes = e->limit_bytes;
		r->percent = r->has_limit && e->limit_bytes
				     ? 100.0 * (double)e->usage_bytes / (double)e->limit_bytes
				     : -1;
		r->has_working_set = e->has_working_set;
		r->working_set_bytes = e->working_set_bytes;
		r->time_to_limit_s = e->has_time_to_limit ? e->time_to_limit_s : -1;
		r->growth = aggregate_entry_growth(e, interval_ns);
		r->minor_per_sec = (double)e->interval_minor / secs;
		r->major_per_sec = (double)e->interval_major / secs;
		r->stall_ms_per_sec = (double)e->interval_stall_ns / 1e6 / secs;
		r->oom_kills = e->oom_kills;
		r->last_oom_age_s =
			e->last_oom_realtime_ns
				? (now_realtime_ns - e->last_oom_realtime_ns) / 1000000000
				: -1;
		if (e->last_oom_realtime_ns && r->last_oom_age_s < 0)
			r->last_oom_age_s = 0;
		r->exited = e->removed_ns || (e->has_container && e->container.exited);
		r->leak_suspected = e->leak_suspected;
	}
}

static enum top_sort sort_by;

static int compare_double(double a, double b)
{
	return a < b ? 1 : a > b ? -1 : 0; /* largest first */
}

static int compare_rows(const void *pa, const void *pb)
{
	const struct top_row *a = *(const struct top_row *const *)pa,
			     *b = *(const struct top_row *const *)pb;
	int c = 0;

	switch (sort_by) {
	case TOP_SORT_USAGE:
		c = compare_double((double)a->usage_bytes, (double)b->usage_bytes);
		break;
	case TOP_SORT_PERCENT:
		c = compare_double(a->percent, b->percent);
		break;
	case TOP_SORT_GROWTH:
		c = compare_double(a->growth, b->growth);
		break;
	case TOP_SORT_FAULTS:
		c = compare_double(a->minor_per_sec + a->major_per_sec,
				   b->minor_per_sec + b->major_per_sec);
		break;
	case TOP_SORT_WORKING_SET:
		c = compare_double((double)a->working_set_bytes, (double)b->working_set_bytes);
		break;
	case TOP_SORT_TIME_TO_LIMIT:
		/* soonest first: the negated time sorts largest first; the not growing last */
		c = compare_double(a->time_to_limit_s < 0 ? -1e300 : -a->time_to_limit_s,
				   b->time_to_limit_s < 0 ? -1e300 : -b->time_to_limit_s);
		break;
	case TOP_SORT_RECLAIM:
		c = compare_double(a->stall_ms_per_sec, b->stall_ms_per_sec);
		break;
	case TOP_SORT_OOM:
		c = compare_double((double)a->oom_kills, (double)b->oom_kills);
		/* among the killed, the most recent first */
		if (!c && a->oom_kills)
			c = compare_double((double)-a->last_oom_age_s, (double)-b->last_oom_age_s);
		break;
	default:
		break;
	}
	/* ties (and sort by name) in name order, so rows don't jump between refreshes */
	return c ? c : strcmp(a->name, b->name);
}

void top_rows_sort(const struct top_row **rows, unsigned int count, enum top_sort sort)
{
	if (count < 2) /* nothing to order; rows may be NULL when there are none */
		return;
	sort_by = sort;
	qsort(rows, count, sizeof(*rows), compare_rows);
}

unsigned int top_rows_filter(const struct top_row **rows, unsigned int count, const char *filter)
{
	unsigned int kept = 0;

	if (!filter || !*filter)
		return count;
	for (unsigned int i = 0; i < count; i++)
		if (strcasestr(rows[i]->name, filter) || strcasestr(rows[i]->path, filter))
			rows[kept++] = rows[i];
	return kept;
}

/* A cell's fixed text; a refresh of 1,000 rows has thousands of "0" and "-" cells. */
static void set_cell(char *buf, size_t len, const char *text)
{
	size_t n = strlen(text);

	n = n < len ? n : len - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
}

void top_format_bytes(char *buf, size_t len, double bytes)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	if (bytes == 0) {
		set_cell(buf, len, "0");
		return;
	}
	if (bytes < 0) {
		top_format_bytes(buf + 1, len - 1, -bytes);
		buf[0] = '-';
		return;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%.0f", bytes);
		return;
	}
	while (bytes >= 1024 && u < 5) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, bytes < 10 ? "%.1f%c" : "%.0f%c", bytes, units[u]);
}

void top_format_rate(char *buf, size_t len, double per_sec)
{
	if (per_sec < 0.05)
		set_cell(buf, len, "0");
	else if (per_sec < 10)
		snprintf(buf, len, "%.1f", per_sec);
	else if (per_sec < 10000)
		snprintf(buf, len, "%.0f", per_sec);
	else if (per_sec < 10000000)
		snprintf(buf, len, "%.1fk", per_sec / 1000);
	else
		snprintf(buf, len, "%.1fM", per_sec / 1e6);
}

static void format_age(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		set_cell(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm", (long long)s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%lldh", (long long)s / 3600);
	else
		snprintf(buf, len, "%lldd", (long long)s / 86400);
}

enum column {
	COL_USAGE,
	COL_LIMIT,
	COL_PERCENT,
	COL_GROWTH,
	COL_MINFLT,
	COL_MAJFLT,
	COL_STALL,
	COL_OOM,
	COL_LAST_OOM,
	COL_WORKING_SET,
	COL_TIME_TO_LIMIT,
	COLUMNS,
};

static const struct {
	const char *title;
	unsigned int width;
	enum top_sort sort;
	unsigned int drop_order; /* narrow terminals lose the highest first */
} columns[COLUMNS] = {
	[COL_USAGE] = { "USAGE", 7, TOP_SORT_USAGE, 0 },
	[COL_LIMIT] = { "LIMIT", 7, TOP_SORTS, 8 },
	[COL_PERCENT] = { "%LIM", 6, TOP_SORT_PERCENT, 1 },
	[COL_GROWTH] = { "GROW/s", 8, TOP_SORT_GROWTH, 4 },
	[COL_MINFLT] = { "MINFLT/s", 9, TOP_SORT_FAULTS, 3 },
	[COL_MAJFLT] = { "MAJFLT/s", 9, TOP_SORT_FAULTS, 6 },
	[COL_STALL] = { "STALLms/s", 10, TOP_SORT_RECLAIM, 5 },
	[COL_OOM] = { "OOM", 4, TOP_SORT_OOM, 2 },
	[COL_LAST_OOM] = { "LASTOOM", 8, TOP_SORTS, 7 },
	[COL_WORKING_SET] = { "WSET", 7, TOP_SORT_WORKING_SET, 9 },
	[COL_TIME_TO_LIMIT] = { "TO-LIM", 7, TOP_SORT_TIME_TO_LIMIT, 10 },
};

#define NAME_MIN_WIDTH 16

void top_layout_for(struct top_layout *layout, unsigned int width)
{
	unsigned int used = 0;

	memset(layout, 0, sizeof(*layout));
	layout->width = width;
	for (int c = 0; c < COLUMNS; c++) {
		layout->shown[c] = true;
		used += columns[c].width + 1;
	}
	/* Drop from the least important until the name has room. */
	for (unsigned int drop = COLUMNS - 1; drop > 0 && used + NAME_MIN_WIDTH > width; drop--)
		for (int c = 0; c < COLUMNS; c++)
			if (columns[c].drop_order == drop && layout->shown[c]) {
				layout->shown[c] = false;
				used -= columns[c].width + 1;
			}
	layout->name_width = width > used ? width - used : 1;
}

/* Appends text cut to cols terminal columns (a code point each). */
static void append_cut(struct strbuf *out, const char *text, unsigned int cols)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text), i = 0;
	unsigned int used = 0;

	while (i < n && used < cols) {
		uint32_t cp;
		size_t k = s[i] < 0x80 ? 1 : utf8_decode(s + i, n - i, &cp);

		if (!k)
			k = 1;
		i += k;
		used++;
	}
	strbuf_append(out, text, i);
}

void top_format_titles(struct strbuf *out, const struct top_layout *layout, enum top_sort sort)
{
	for (int c = 0; c < COLUMNS; c++) {
		char title[16];

		if (!layout->shown[c])
			continue;
		/* the sort column is marked, as top does */
		snprintf(title, sizeof(title), "%s%s", columns[c].sort == sort ? "*" : "",
			 columns[c].title);
		strbuf_printf(out, "%*s ", (int)columns[c].width, title);
	}
	append_cut(out, sort == TOP_SORT_NAME ? "*NAME" : "NAME", layout->name_width);
	strbuf_append(out, "\n", 1);
}

/* text right-aligned in width columns, and the space between columns */
static void append_padded(struct strbuf *out, const char *text, unsigned int width)
{
	static const char spaces[] = "                        ";
	size_t n = strlen(text);

	if (n < width)
		strbuf_append(out, spaces,
			      width - n < sizeof(spaces) - 1 ? width - n : sizeof(spaces) - 1);
	strbuf_append(out, text, n);
	strbuf_append(out, " ", 1);
}

void top_format_row(struct strbuf *out, const struct top_layout *layout, const struct top_row *row)
{
	char cell[COLUMNS][24], name[TOP_NAME_LEN + 32];
	const char *suffix =
		row->exited ? (row->oom_kills ? " [exited: OOM-killed]" : " [exited]") : "";

	if (row->has_usage)
		top_format_bytes(cell[COL_USAGE], sizeof(cell[0]), (double)row->usage_bytes);
	else
		set_cell(cell[COL_USAGE], sizeof(cell[0]), "-");
	if (row->has_limit)
		top_format_bytes(cell[COL_LIMIT], sizeof(cell[0]), (double)row->limit_bytes);
	else
		set_cell(cell[COL_LIMIT], sizeof(cell[0]), "-");
	if (row->percent >= 0)
		snprintf(cell[COL_PERCENT], sizeof(cell[0]), "%.1f", row->percent);
	else
		set_cell(cell[COL_PERCENT], sizeof(cell[0]), "-");
	top_format_bytes(cell[COL_GROWTH], sizeof(cell[0]), row->growth);
	top_format_rate(cell[COL_MINFLT], sizeof(cell[0]), row->minor_per_sec);
	top_format_rate(cell[COL_MAJFLT], sizeof(cell[0]), row->major_per_sec);
	top_format_rate(cell[COL_STALL], sizeof(cell[0]), row->stall_ms_per_sec);
	if (row->oom_kills)
		snprintf(cell[COL_OOM], sizeof(cell[0]), "%llu",
			 (unsigned long long)row->oom_kills);
	else
		set_cell(cell[COL_OOM], sizeof(cell[0]), "0");
	format_age(cell[COL_LAST_OOM], sizeof(cell[0]), row->last_oom_age_s);
	if (row->has_working_set)
		top_format_bytes(cell[COL_WORKING_SET], sizeof(cell[0]),
				 (double)row->working_set_bytes);
	else
		set_cell(cell[COL_WORKING_SET], sizeof(cell[0]), "-");
	/* blank when not growing toward a limit */
	if (row->time_to_limit_s >= 0)
		format_age(cell[COL_TIME_TO_LIMIT], sizeof(cell[0]), (int64_t)row->time_to_limit_s);
	else
		cell[COL_TIME_TO_LIMIT][0] = '\0';
	for (int c = 0; c < COLUMNS; c++)
		if (layout->shown[c])
			append_padded(out, cell[c], columns[c].width);
	if (!row->leak_suspected && !*suffix) {
		append_cut(out, row->name, layout->name_width);
	} else {
		snprintf(name, sizeof(name), "%s%s%s", row->name,
			 row->leak_suspected ? " [leak?]" : "", suffix);
		append_cut(out, name, layout->name_width);
	}
	strbuf_append(out, "\n", 1);
}

void top_format_summary(struct strbuf *out, const struct top_summary *sum, unsigned int width)
{
	struct strbuf line;
	char total[16], avail[16];

	strbuf_init(&line);
	top_format_bytes(total, sizeof(total), (double)sum->mem_total_bytes);
	top_format_bytes(avail, sizeof(avail), (double)sum->mem_available_bytes);
	strbuf_printf(&line, "memsight top - %s - memory %s total, %s available", sum->node, total,
		      avail);
	if (sum->has_psi)
		strbuf_printf(&line, ", pressure some %.2f%% full %.2f%% (avg10)",
			      sum->psi_some_avg10, sum->psi_full_avg10);
	else
		strbuf_puts(&line, ", pressure: no PSI on this kernel");
	append_cut(out, line.buf ? line.buf : "", width);
	strbuf_append(out, "\n", 1);

	strbuf_reset(&line);
	strbuf_printf(&line,
		      "%u containers (%u exited) | memsight %.1f%% CPU, %llu events lost | "
		      "sort: %s%s",
		      sum->containers, sum->exited, sum->agent_cpu_percent,
		      (unsigned long long)sum->lost_total, top_sort_name(sum->sort),
		      sum->paused ? " | PAUSED" : "");
	if (sum->filter && *sum->filter) {
		char filter[256];

		printable_copy(filter, sizeof(filter), sum->filter, PRINTABLE_UTF8);
		strbuf_printf(&line, " | filter: %s", filter);
	}
	append_cut(out, line.buf ? line.buf : "", width);
	strbuf_append(out, "\n", 1);
	strbuf_free(&line);
}

bool top_parse_meminfo(const char *text, uint64_t *total_bytes, uint64_t *available_bytes)
{
	const char *total = strstr(text, "MemTotal:"), *avail = strstr(text, "MemAvailable:");
	unsigned long long t, a;

	if (!total || !avail || sscanf(total, "MemTotal: %llu kB", &t) != 1 ||
	    sscanf(avail, "MemAvailable: %llu kB", &a) != 1)
		return false;
	*total_bytes = t * 1024;
	*available_bytes = a * 1024;
	return true;
}

bool top_parse_psi(const char *text, double *some_avg10, double *full_avg10)
{
	const char *some = strstr(text, "some avg10="), *full = strstr(text, "full avg10=");

	if (!some || sscanf(some, "some avg10=%lf", some_avg10) != 1)
		return false;
	/* "full" is there for memory since PSI began (4.20); be lenient anyway */
	if (!full || sscanf(full, "full avg10=%lf", full_avg10) != 1)
		*full_avg10 = 0;
	return true;
}
