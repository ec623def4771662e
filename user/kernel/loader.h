/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_LOADER_H
#define MEMSIGHT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hook_choice.h"
#include "interval_counts.h"
#include "memsight.h"
#include "include/memsight.h"

/*
 * The BPF side's lifecycle, libbpf style: open, configure, load, attach,
 * then hand records to a callback; loader__free() detaches everything.
 */

struct loader;

/* Called for each ring buffer record; data is only valid during the call. */
typedef int (*loader_record_fn)(void *ctx, const void *data, size_t size);

struct loader_opts {
	size_t sz; /* sizeof(struct loader_opts), for forward compatibility */
	const char *btf_path;
	enum oom_hook oom_hook;
	enum fault_hook fault_hook;
	enum charge_hook charge_hook;
	uint32_t fault_samples;
	bool bpf_stats;
	loader_record_fn on_record;
	void *ctx;
	/* leave the `events` ring buffer to another consumer (pinned); cgroup records still come */
	bool leave_events;
	/* the memory cgroup the gauges iterator walks from (NULL or "": cgroupfs only) */
	const char *memcg_root;
	/* CLOCK_REALTIME - CLOCK_BOOTTIME the lines are dated with: the fault samples'
	 * seconds (loader__set_clock_offset moves it later) */
	int64_t boot_to_realtime_ns;
};

enum hook_status {
	HOOK_UNAVAILABLE,
	HOOK_ATTACHED,
};

/* What was attached and why; filled by loader__new, read by `features`. */
struct hook_report {
	const char *feature; /* "oom_kill" */
	const char *hook;    /* program section used, NULL if none */
	enum hook_status status;
	bool fallback;	   /* not the preferred hook */
	char reason[1024]; /* why this hook (or why none) */
};

#define LOADER_HOOKS_MAX 10

struct loader_report {
	char btf_source[256];
	bool bpf_stats_enabled;
	unsigned int hook_count;
	struct hook_report hooks[LOADER_HOOKS_MAX];
	double attach_ms; /* from loader__new's start to attached */
};

/* Returns 0 and *out, or -errno with a one-line reason in err. */
int loader__new(const struct loader_opts *opts, struct loader **out, char *err, size_t err_len);
const struct loader_report *loader__report(const struct loader *loader);
int loader__epoll_fd(const struct loader *loader);
/* Delivers every pending record; returns how many, or -errno. */
int loader__consume(struct loader *loader);
/* Only the cgroup records (made, removed); returns how many, or -errno. */
int loader__consume_cgroups(struct loader *loader);
void loader__counters(const struct loader *loader, struct memsight_bpf_counters *counters);
/*
 * The processes in a memcg (by cgroup id) now, from a BPF task iterator: what
 * the kernel's OOM task dump lists. Returns how many, at most max: the largest
 * by rss when the memcg has more, in no particular order.
 */
unsigned int loader__memcg_tasks(struct loader *loader, uint64_t cgroup_id,
				 struct memsight_task_record *out, unsigned int max);

/*
 * Every memcg's usage, limit, memory.high and inactive file pages, read now by
 * the gauges iterator in one walk: *out points at count records, valid until
 * the next call. *missed counts memcgs that found no room (read them from
 * cgroupfs). Returns the count, or -EOPNOTSUPP when the iterator isn't
 * attached (kernels before 6.1, no kernel BTF), or another -errno.
 */
int loader__memcg_gauges(struct loader *loader, const struct memsight_memcg_gauges **out,
			 unsigned int *missed);

/* Programs memsight can hold at once: 14 today (see bpf/), room for more. */
#define LOADER_PROGRAMS_MAX 32
/* The kernel's run-time statistics of each loaded program; names live as long as the loader. */
unsigned int loader__program_stats(const struct loader *loader, struct memsight_program_stats *out,
				   unsigned int max);
/* The fault hook in use, for container_stats' faults.source (NULL: none). */
const char *loader__fault_hook(const struct loader *loader);
/* The charges' source, for container_stats' charge.source (the name `features` shows). */
const char *loader__charge_source(const struct loader *loader);

enum count_family {
	COUNT_MEMCG,   /* faults and charges: struct memsight_memcg_counts after the slot header */
	COUNT_RECLAIM, /* count, stall_ns, hist[MEMSIGHT_RECLAIM_BUCKETS] */
	COUNT_FAMILIES,
};

/* COUNT_MEMCG's counter words, and where a field of the row sits among them. */
#define MEMCG_COUNTERS (sizeof(struct memsight_memcg_counts) / sizeof(uint64_t) - SLOT_HEADER_WORDS)
#define MEMCG_COUNTER(field)                                                                       \
	(offsetof(struct memsight_memcg_counts, field) / sizeof(uint64_t) - SLOT_HEADER_WORDS)

/* Charges counted in the kernel (else userspace reads memory.stat deltas). */
bool loader__counts_charges(const struct loader *loader);

/* The maps of one family for interval_counts, NULL when it is not counted. */
const struct count_source *loader__count_source(const struct loader *loader,
						enum count_family family);

/*
 * Pins the event ring buffer and the counting maps under dir (bpffs) for
 * other processes; 0 or -errno with a reason in err. loader__unpin removes them.
 */
int loader__pin(struct loader *loader, const char *dir, char *err, size_t err_len);
void loader__unpin(struct loader *loader, const char *dir);

/* CLOCK_REALTIME - CLOCK_BOOTTIME, for the kernel's wall-clock sample windows. */
void loader__set_clock_offset(struct loader *loader, int64_t boot_to_realtime_ns);
void loader__free(struct loader *loader);

#endif
