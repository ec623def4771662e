/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_MEMCG_STAT_H
#define MEMSIGHT_MEMCG_STAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/memsight.h"

/*
 * What a memcg is made of and how often it hit its limit, from the text of
 * its memory.stat and memory.events (v2) or memory.stat, memory.failcnt and
 * memory.oom_control (v1). Hierarchical figures, as usage is: v1's total_*
 * lines, v2's plain ones. Pure: text in, struct out; the files are read in
 * cgroup_memory.c.
 */

struct memcg_stat {
	uint64_t anon, file, shmem; /* bytes */
	/* v2 only (v1 keeps them in memory.kmem.*): kernel = slab, stacks, page tables, ... */
	bool has_kernel;
	uint64_t kernel, sock;
	uint64_t inactive_file; /* what the kernel reclaims first */
	bool has_swap;
	uint64_t swap;
};

/* Limit events are libmemsight's struct memsight_limit_events: cumulative since the memcg was made. */

/* Returns 0, or -EINVAL when the text has none of the lines the version writes. */
int memcg_stat_parse(const char *text, size_t len, bool v2, struct memcg_stat *out);

/* v2 memory.events into events (other fields untouched); -EINVAL when it has no line. */
int memcg_events_parse_v2(const char *text, size_t len, struct memsight_limit_events *events);

/* v1 memory.oom_control's oom_kill line (kernels before 4.13 have none: -ENOENT). */
int memcg_oom_control_parse_v1(const char *text, size_t len, struct memsight_limit_events *events);

/*
 * The working set: usage minus inactive file pages, never negative, as the
 * kubelet computes its eviction signal.
 */
uint64_t memcg_working_set(uint64_t usage, const struct memcg_stat *stat);

#endif
