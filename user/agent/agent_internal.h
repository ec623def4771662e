/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_AGENT_INTERNAL_H
#define MEMSIGHT_AGENT_INTERNAL_H

#include "agent.h"
#include "clock.h"
#include "memcg_gauges.h"
#include "proc_anon.h"
#include "self_stats.h"

/* The agent's state, shared by agent.c (records, names, the loop) and agent_interval.c. */

struct memsight {
	struct agent_opts opts; /* a copy; its strings are owned[] */
	char *owned[4];		/* cgroup_prefix, node, btf_path, pin_dir */
	struct runtime_roots roots;
	struct loader *loader;
	struct container_cache *containers;
	struct cgroup_names *names;
	struct interval_counts *counts[COUNT_FAMILIES]; /* NULL: family not counted */
	struct id_table *major_debt; /* major faults reported ahead of their PGFAULT */
	struct id_table *stat_last;  /* memory.stat fallback: last bytes per kind */
	struct id_table *rows;	     /* this interval's figures per cgroup */
	struct memcg_gauges *gauges; /* every memcg's usage and limit, from the kernel */
	struct proc_faults *procs;
	struct memory_trend *trend; /* growth, time to limit, OOM-risk episodes */
	struct leak_watch *leaks;
	struct id_table *leak_procs; /* cgroup id -> struct leak_procs, noted halfway */
	/* cgroups removed this interval: reported once more, then forgotten */
	uint64_t *removed;
	unsigned int removed_count, removed_cap;
	char memcg_root[1024];
	bool memcg_v2;
	bool pinned; /* unpinned at close */
	int epfd, interval_fd;
	uint64_t counted_ns;	     /* when the counts were last collected */
	uint64_t interval_ns;	     /* measured: a stalled agent's interval is longer than asked */
	int64_t boot_to_realtime_ns; /* CLOCK_REALTIME minus CLOCK_BOOTTIME, to date records */
	int delivered;		     /* events delivered by the current memsight_poll */
	uint64_t consume_deadline_ns;
	uint64_t records_total;
	uint64_t records_filtered;
	uint64_t records_malformed;
	uint64_t lost_reported;
	uint64_t cgroup_drops_seen; /* lost cgroup records already recovered from */
	struct self_sample last_sample;
};

/* The processes of a leak suspect as they were halfway through its window. */
struct leak_procs {
	unsigned int count;
	struct proc_anon procs[PROC_ANON_MAX];
};

/* Hands ev to the caller's callback. */
void agent_deliver(struct memsight *ms, struct memsight_event *ev);

/* Once per interval: the counts in, a container_stats per cgroup that moved, agent_stats. */
void agent_run_interval(struct memsight *ms);

/* Cgroup records were lost: names what exists now from cgroupfs. */
void agent_recover_lost_names(struct memsight *ms);

/* Whether path passes the cgroup_prefix filter (NULL: a cgroup never named). */
bool agent_wants_path(const struct memsight *ms, const char *path);

#endif
