/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_MEMCG_GAUGES_H
#define MEMSIGHT_MEMCG_GAUGES_H

#include <stdbool.h>
#include <stdint.h>

#include "include/memsight.h"
#include "loader.h"

/*
 * Every memcg's usage, limit, memory.high and working set, read by the
 * kernel's gauges iterator once per interval (on the first question of the
 * interval; again between intervals only for a caller that asks for figures
 * fresher than the interval's) and found by cgroup id. Where there is no iterator (before
 * Linux 6.1, no kernel BTF) or no record (a memcg made since the walk, or past
 * the kernel's array), callers read cgroupfs as before.
 */

struct memcg_gauges;

struct memcg_gauges *memcg_gauges__new(void);
void memcg_gauges__free(struct memcg_gauges *g);

/* A new interval: the next question reads the iterator again. */
void memcg_gauges__next_interval(struct memcg_gauges *g);

/*
 * cgroup_id's gauges of this interval into c (has_usage, usage_bytes,
 * has_limit, limit_bytes, and on v2 has_high, high_bytes); *working_set true
 * with c->working_set_bytes when the inactive file figure could be read.
 * max_age_ns: walked again when this interval's walk is older (a caller
 * between intervals, which may be long); 0: this interval's walk as it is.
 * false, c untouched: read cgroupfs.
 */
bool memcg_gauges__get(struct memcg_gauges *g, struct loader *loader, bool v2, uint64_t cgroup_id,
		       uint64_t max_age_ns, struct memsight_container_stats *c, bool *working_set);

/*
 * Whether a view was told of cgroup_id's container by name (memcg_gauges__tell)
 * and the walk of this interval has its record: the view then reads its
 * gauges here itself, and the agent need not build its idle container_stats.
 */
bool memcg_gauges__told(struct memcg_gauges *g, struct loader *loader, uint64_t cgroup_id);
void memcg_gauges__tell(struct memcg_gauges *g, uint64_t cgroup_id);

/* A removed cgroup's index entry. */
void memcg_gauges__forget(struct memcg_gauges *g, uint64_t cgroup_id);

#endif
