/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_TOP_VIEW_H
#define MEMSIGHT_TOP_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "aggregate.h"
#include "strbuf.h"

/*
 * `memsight top`'s table as text: rows from the aggregate, sorted, filtered,
 * and laid out for a width, dropping the least important columns first when
 * it is narrow. The full-screen view and --batch print the same lines. Pure.
 */

enum top_sort {
	TOP_SORT_USAGE,
	TOP_SORT_PERCENT,
	TOP_SORT_GROWTH,
	TOP_SORT_FAULTS,
	TOP_SORT_RECLAIM,
	TOP_SORT_OOM,
	TOP_SORT_NAME,
	TOP_SORT_WORKING_SET,
	TOP_SORT_TIME_TO_LIMIT, /* soonest first; not growing last */
	TOP_SORTS,
};

/* The key that selects each sort, and its name, e.g. 'f' "faults". */
char top_sort_key(enum top_sort sort);
const char *top_sort_name(enum top_sort sort);
/* TOP_SORTS when key selects none. */
enum top_sort top_sort_from_key(int key);

#define TOP_NAME_LEN 512

/* One row; a copy, so a paused screen can still be sorted and filtered. */
struct top_row {
	uint64_t cgroup_id;
	char name[TOP_NAME_LEN]; /* printable: control bytes and malformed UTF-8 as '?' */
	char path[TOP_NAME_LEN]; /* the cgroup path, printable likewise */
	bool is_container;
	bool has_usage, has_limit;
	uint64_t usage_bytes, limit_bytes;
	double percent; /* of the limit; < 0 when unlimited */
	bool has_working_set;
	uint64_t working_set_bytes;
	double time_to_limit_s; /* < 0: not growing toward a limit */
	double growth;		/* net charge, bytes per second */
	double minor_per_sec;	/* page faults per second, last interval */
	double major_per_sec;
	double stall_ms_per_sec; /* ms stalled in reclaim per second of wall time */
	uint64_t oom_kills;
	int64_t last_oom_age_s; /* < 0: none */
	bool exited;
	bool leak_suspected;
};

/* Rows for entries (count of them) over an interval, at wall-clock now_ns. */
void top_rows_build(const struct aggregate_entry *const *entries, unsigned int count,
		    uint64_t interval_ns, int64_t now_realtime_ns, struct top_row *rows);
/* Sorting and filtering move pointers to rows (a row is over 1 KiB). */
void top_rows_sort(const struct top_row **rows, unsigned int count, enum top_sort sort);
/* Keeps the rows whose name contains filter (case-insensitive); returns how many. */
unsigned int top_rows_filter(const struct top_row **rows, unsigned int count, const char *filter);

/* Node-wide figures for the header. */
struct top_summary {
	const char *node;
	uint64_t mem_total_bytes, mem_available_bytes; /* 0: unknown */
	bool has_psi;
	double psi_some_avg10, psi_full_avg10;
	unsigned int containers, exited;
	double agent_cpu_percent;
	uint64_t lost_total;
	enum top_sort sort;
	const char *filter; /* NULL or "" when none */
	bool paused;
};

/* MemTotal and MemAvailable from /proc/meminfo's text; false when missing. */
bool top_parse_meminfo(const char *text, uint64_t *total_bytes, uint64_t *available_bytes);
/* The avg10 figures of /proc/pressure/memory's text; false when missing. */
bool top_parse_psi(const char *text, double *some_avg10, double *full_avg10);

/* The two header lines, each ending in '\n', cut to width. */
void top_format_summary(struct strbuf *out, const struct top_summary *summary, unsigned int width);

/* Which columns fit width; the name takes what is left. */
struct top_layout {
	bool shown[16];
	unsigned int name_width;
	unsigned int width;
};
void top_layout_for(struct top_layout *layout, unsigned int width);
/* The column titles and one row, each a line ending in '\n'. */
void top_format_titles(struct strbuf *out, const struct top_layout *layout, enum top_sort sort);
void top_format_row(struct strbuf *out, const struct top_layout *layout, const struct top_row *row);

/* Humanized figures: "1.5G", "812M", "64K", "0" (bytes); "12.3k" (rates). */
void top_format_bytes(char *buf, size_t len, double bytes);
void top_format_rate(char *buf, size_t len, double per_sec);

#endif
