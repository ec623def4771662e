/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_FAULT_TOTALS_H
#define MEMSIGHT_FAULT_TOTALS_H

#include <stdint.h>

/*
 * Interval deltas from the kernel's cumulative per-cgroup fault counts. Each
 * interval: begin, add every (cgroup, partial count) the maps hold, then
 * deltas. A count that went down (its slot was freed and reused) restarts. Pure.
 */
struct fault_totals;

struct fault_totals *fault_totals__new(void);
void fault_totals__free(struct fault_totals *totals);
void fault_totals__begin(struct fault_totals *totals);
void fault_totals__add(struct fault_totals *totals, uint64_t cgroup_id, uint64_t faults,
		       uint64_t major);
/* fn for every cgroup whose counts moved; minor = faults - major. */
void fault_totals__deltas(struct fault_totals *totals,
			  void (*fn)(uint64_t cgroup_id, uint64_t minor, uint64_t major, void *ctx),
			  void *ctx);
/* Forget a cgroup (after its last interval was reported). */
void fault_totals__forget(struct fault_totals *totals, uint64_t cgroup_id);
unsigned int fault_totals__count(const struct fault_totals *totals);

#endif
