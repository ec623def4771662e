/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_RECORD_FORMAT_H
#define MEMSIGHT_RECORD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container_info.h"
#include "proc_faults.h"
#include "jsonw.h"
#include "memsight.h"
#include "runtime_roots.h"

/* Turns kernel records and agent figures into memsight's JSON lines. Pure. */

#define JSON_SCHEMA_VERSION 1

struct format_context {
	const char *node;
	/* CLOCK_REALTIME minus CLOCK_BOOTTIME, to date BPF timestamps. */
	int64_t boot_to_realtime_ns;
};

/* "2026-11-27T08:00:00.123456789Z" */
#define RFC3339_NS_LEN 32
const char *format_rfc3339_ns(int64_t realtime_ns, char *buf, size_t len);

/*
 * One oom_kill line (no trailing newline) into w, after jsonw_reset. The
 * containers are those of the victim's and the trigger's cgroups (NULL: the
 * "container" objects are left out).
 */
void format_oom_record(struct jsonw *w, const struct memsight_oom_record *rec,
		       const struct container_info *victim, const struct container_info *trigger,
		       const struct format_context *ctx);

/* The hook an OOM record came from, as "source" names it. */
const char *oom_source_name(uint32_t source);

/* The contract's "container" object. */
void format_container(struct jsonw *w, const char *key, const struct container_info *info);

/* One cgroup's figures for one interval. */
struct container_stats {
	int64_t realtime_ns;
	uint64_t interval_ns;
	uint64_t cgroup_id;
	const char *path; /* NULL when unknown */
	const struct container_info *container;
	uint64_t faults_minor;
	uint64_t faults_major;
	const char *faults_source;
	unsigned int top_count; /* the cgroup's most faulting processes this interval */
	struct proc_fault_entry top[PROC_FAULTS_TOP];
	bool has_usage;
	uint64_t usage_bytes;
	bool has_limit; /* false: unlimited or unknown */
	uint64_t limit_bytes;
	bool has_high; /* v2 memory.high, when set */
	uint64_t high_bytes;
	/* charges in the interval, bytes per kind (enum memsight_charge_kind) */
	bool has_charges;
	const char *charge_source;
	uint64_t charged[MEMSIGHT_CHARGE_KINDS];
	uint64_t uncharged[MEMSIGHT_CHARGE_KINDS];
	/* reclaim stalls of the cgroup's tasks in the interval */
	bool has_reclaim;
	uint64_t reclaim_count;
	uint64_t reclaim_stall_ns;
	uint64_t reclaim_hist[MEMSIGHT_RECLAIM_BUCKETS];
};

void format_container_stats(struct jsonw *w, const struct container_stats *stats,
			    const struct format_context *ctx);

/* A fault_sample line; path/container as resolved from the record's cgroup id. */
void format_fault_sample(struct jsonw *w, const struct memsight_fault_sample_record *rec,
			 const char *path, const struct container_info *container,
			 const struct format_context *ctx);

/* Programs memsight can hold at once: 14 today (see bpf/), room for more. */
#define AGENT_PROGRAMS_MAX 32

struct agent_program_stats {
	char name[64];
	uint32_t id;
	uint64_t run_count;
	uint64_t run_time_ns;
};

struct agent_stats {
	int64_t realtime_ns;
	uint64_t interval_ns;
	uint64_t records_total;	   /* records received from the kernel */
	uint64_t records_filtered; /* dropped by --cgroup */
	uint64_t lost_total;	   /* ring buffer full, since start */
	uint64_t lost_interval;
	uint64_t oom_kills_lost;     /* ring buffer full, or (tracepoint mode) too many pending */
	uint64_t records_malformed;  /* records of a size or type this build doesn't know */
	uint64_t samples_suppressed; /* fault samples over the --fault-samples rate */
	uint64_t containers_cached;
	uint64_t containers_cache_bytes;
	/* container lookups that named nothing, by runtime and reason, since start */
	struct runtime_state_errors state_errors;
	uint64_t rss_bytes;
	uint64_t cpu_user_ns; /* since start */
	uint64_t cpu_system_ns;
	double cpu_percent;	/* over the interval, 100 = one core */
	bool bpf_stats_enabled; /* run time is only counted while enabled */
	struct agent_counting_stats {
		uint64_t slots;		/* per counting array */
		uint64_t slots_in_use;	/* fault and charge arrays together */
		uint64_t slots_retired; /* since start: owners removed, slots freed for reuse */
		uint64_t resyncs;	/* table entries that read lower than before */
		uint64_t failed_reads;	/* table reads that failed (counted later) */
		uint64_t overflow_full; /* counts lost: an overflow table was full */
	} counting;
	unsigned int program_count;
	struct agent_program_stats programs[AGENT_PROGRAMS_MAX];
};

void format_agent_stats(struct jsonw *w, const struct agent_stats *stats,
			const struct format_context *ctx);

#endif
