/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_AGGREGATE_H
#define MEMSIGHT_AGGREGATE_H

#include <stdbool.h>
#include <stdint.h>

#include "container_info.h"
#include "include/memsight.h"
#include "memsight.h"

/*
 * Per-cgroup running totals across intervals, for the sinks that show state
 * rather than a stream of lines: /metrics and the top view. Fed with the same
 * figures the JSON lines carry. A cgroup that is removed stays for the
 * tombstone period (its OOM kill usually arrives as it dies), then goes, also
 * when its removal came before its first figures. One entry per cgroup path
 * (as /metrics shows it): a cgroup that reuses a removed one's path carries
 * its series on. Pure.
 */

/*
 * What /metrics shows of an entry's names, escaped once rather than at every
 * render (prom_format.c makes it): the series labels
 * `{container_id="..",container="..",pod="..",namespace="..",cgroup=".."`
 * (no closing brace), then container_info's `,runtime="..",pod_uid="..",image=".."`.
 */
struct entry_labels {
	uint32_t series_len, info_len;
	char text[]; /* series_len + info_len bytes and a NUL */
};

struct aggregate_entry {
	uint64_t cgroup_id;
	char *path;
	bool has_container;
	struct container_info container;
	/* NULL until a render needs it; dropped when the path or names change, freed with the entry */
	struct entry_labels *labels;
	/* totals since memsight started */
	uint64_t faults_minor, faults_major;
	uint64_t charged[MEMSIGHT_CHARGE_KINDS], uncharged[MEMSIGHT_CHARGE_KINDS];
	uint64_t reclaim_count, reclaim_stall_ns;
	uint64_t reclaim_hist[MEMSIGHT_RECLAIM_BUCKETS];
	uint64_t oom_kills;
	int64_t last_oom_realtime_ns; /* 0: none seen */
	/* the latest figures read from cgroupfs */
	bool has_usage, has_limit, has_high;
	uint64_t usage_bytes, limit_bytes, high_bytes;
	bool has_detail; /* memory.stat read: the figures below */
	uint64_t working_set_bytes, anon_bytes, file_bytes;
	/* working_set_bytes is known: from memory.stat, or from the kernel's gauges */
	bool has_working_set;
	bool has_swap;
	uint64_t swap_bytes;
	struct memsight_limit_events limit_events;
	bool has_time_to_limit; /* growing toward a limit */
	double time_to_limit_s;
	uint64_t oom_risks; /* oom_risk events since memsight started */
	bool leak_suspected;
	/* the last interval, for rates; zero when the cgroup was idle in it */
	uint64_t interval_minor, interval_major;
	int64_t interval_net_charge; /* bytes charged minus uncharged, all kinds */
	uint64_t interval_stall_ns;
	bool interval_gauges;	   /* usage and limit were read this interval */
	bool interval_detail;	   /* and memory.stat */
	bool interval_working_set; /* the working set was read this interval (either way) */
	bool interval_stats;	   /* a container_stats came for it this interval */
	uint64_t removed_ns;	   /* CLOCK_MONOTONIC when its cgroup went; 0: present */
};

struct aggregate;

/* max_entries bounds memory: past it, new cgroups are not tracked (counted). */
struct aggregate *aggregate__new(uint64_t tombstone_ns, unsigned int max_entries);
void aggregate__free(struct aggregate *agg);

/* A new interval of interval_ns starts: every entry's interval figures go to zero. */
void aggregate__begin_interval(struct aggregate *agg, uint64_t interval_ns);
uint64_t aggregate__interval_ns(const struct aggregate *agg);

/* One cgroup's figures for the interval (the container_stats event); unnamed ones are skipped. */
void aggregate__add_stats(struct aggregate *agg, const struct memsight_container_stats *stats);

/*
 * The aggregate as a sink: OOM kills, container_stats, removed cgroups (the
 * agent's MEMSIGHT_EVENT_CGROUP), each interval begun by its first figures and
 * ended by its agent_stats. now_ns: CLOCK_MONOTONIC, for removals.
 */
void aggregate__add_event(struct aggregate *agg, const struct memsight_event *ev, uint64_t now_ns);

/*
 * The entry for a cgroup, made when absent (NULL when full, out of memory, or
 * unknown and path NULL). A removed cgroup's is made tombstoned; when a live
 * cgroup has taken its path over, that one's entry is returned.
 */
struct aggregate_entry *aggregate__entry(struct aggregate *agg, uint64_t cgroup_id,
					 const char *path, const struct container_info *info);

void aggregate__add_oom_kill(struct aggregate *agg, uint64_t cgroup_id, const char *path,
			     const struct container_info *info, int64_t realtime_ns);

/*
 * Its cgroup was removed at now_ns (CLOCK_MONOTONIC): the tombstone period
 * starts, entry or not (remembered for it, up to max_entries removals).
 */
void aggregate__cgroup_removed(struct aggregate *agg, uint64_t cgroup_id, uint64_t now_ns);

/* Drops the entries and removals whose tombstone period is over. */
void aggregate__expire(struct aggregate *agg, uint64_t now_ns);

/* Calls fn for every entry; fn may change the entry, not add or remove any. */
void aggregate__each(struct aggregate *agg, void (*fn)(uint64_t cgroup_id, void *entry, void *ctx),
		     void *ctx);

unsigned int aggregate__count(const struct aggregate *agg);
/* cgroups not tracked because the table was full */
uint64_t aggregate__overflows(const struct aggregate *agg);

/*
 * The entries, sorted by cgroup path, in a NULL-terminated array owned by the
 * caller (free() it); valid until the next call that changes agg. NULL when
 * out of memory.
 */
const struct aggregate_entry **aggregate__sorted(const struct aggregate *agg, unsigned int *count);
/* The same in no particular order, for a caller that sorts them its own way (top). */
const struct aggregate_entry **aggregate__list(const struct aggregate *agg, unsigned int *count);

/* Usage, limit and memory.high of s into e (s read them: has_usage). */
void aggregate_entry_gauges(struct aggregate_entry *e, const struct memsight_container_stats *s);
/* The memory.stat figures and time to limit of s into e (gauges read with usage). */
void aggregate_entry_detail(struct aggregate_entry *e, const struct memsight_container_stats *s);
/* A working set read without the rest of memory.stat (the kernel's gauges). */
void aggregate_entry_working_set(struct aggregate_entry *e, uint64_t bytes);

/* Net charge per second over the last interval. */
double aggregate_entry_growth(const struct aggregate_entry *e, uint64_t interval_ns);

#endif
