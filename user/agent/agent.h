/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_AGENT_H
#define MEMSIGHT_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/memsight.h"
#include "loader.h"
#include "runtime_roots.h"

/*
 * The agent behind libmemsight's API and every CLI command that streams:
 * the loader, the cgroup and container names and the per-interval counts,
 * turned into memsight_events for one callback. It knows nothing of the
 * CLI: its callers (api.c, the CLI's run loop) translate their settings.
 */

struct agent_opts {
	size_t sz; /* sizeof(struct agent_opts) */
	uint64_t interval_ns;
	uint64_t tombstone_ns;	   /* how long removed cgroups stay named */
	const char *cgroup_prefix; /* NULL: all */
	const char *node;
	const char *btf_path; /* NULL: the running kernel's */
	enum oom_hook oom_hook;
	enum fault_hook fault_hook;
	uint32_t fault_samples; /* per second, node-wide; 0: off */
	bool bpf_stats;		/* turn on kernel.bpf_stats_enabled while running */
	const struct runtime_roots *roots;
	const char *pin_dir; /* NULL: no pinning */
	void (*on_event)(const struct memsight_event *ev, void *ctx);
	void *ctx;
	bool skip_container_stats; /* only OOM kills, fault samples and agent_stats */
	bool skip_fault_top;	   /* container_stats without their most faulting processes */
	/*
	 * a container_stats for every container each interval, idle ones too (a
	 * view); but an idle one named in an earlier one and in the kernel's gauges
	 * walk is left to the caller, who reads it with agent_memcg_gauges()
	 */
	bool idle_containers;
	bool cgroup_events;	      /* MEMSIGHT_EVENT_CGROUP when cgroups come and go */
	uint64_t oom_risk_horizon_ns; /* 0: 5 minutes */
	uint64_t leak_window_ns;      /* 0: 10 minutes */
	enum charge_hook charge_hook;
};
#define agent_opts__last_field charge_hook

/* The longest pin_dir: "DIR/" and a map name (16 bytes with its NUL) must fit in PATH_MAX. */
#define AGENT_PIN_DIR_MAX (4096 - 1 - 16)

/* NULL with a one-line reason in err and errno set. */
struct memsight *agent_open(const struct agent_opts *opts, char *err, size_t err_len);

/* What the loader attached, and why not the rest. */
const struct loader_report *agent_report(const struct memsight *ms);
/* Records received, lost, malformed, for the CLI's closing line. */
void agent_totals(const struct memsight *ms, uint64_t *received, uint64_t *lost,
		  uint64_t *malformed);
/*
 * This interval's usage, limit, (v2) memory.high of a memcg from the kernel's
 * gauges iterator into c, and its working set (*working_set true) when the
 * kernel's inactive file figure could be read; walked again first when the
 * interval's walk is older than max_age_ns (0: any age). false: no record (no
 * iterator on this kernel, or a memcg made since the walk); read cgroupfs.
 */
bool agent_memcg_gauges(struct memsight *ms, uint64_t cgroup_id, uint64_t max_age_ns,
			struct memsight_container_stats *c, bool *working_set);
/* Delivers what is already in the ring buffer (at exit). */
void agent_drain(struct memsight *ms);

#endif
