/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_COUNTER_DELTAS_H
#define MEMSIGHT_COUNTER_DELTAS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Interval deltas of a fixed set of cumulative counters per cgroup (charges,
 * reclaim): begin, add every partial sum the maps hold, then deltas. A counter
 * that went down restarts (its slot was freed and reused). Pure.
 */
#define COUNTER_DELTAS_MAX 40

struct counter_deltas;

struct counter_deltas *counter_deltas__new(unsigned int counters);
void counter_deltas__free(struct counter_deltas *cd);
void counter_deltas__begin(struct counter_deltas *cd);
void counter_deltas__add(struct counter_deltas *cd, uint64_t cgroup_id, const uint64_t *values);
/* fn for every cgroup with a non-zero delta. */
void counter_deltas__each(struct counter_deltas *cd,
			  void (*fn)(uint64_t cgroup_id, const uint64_t *delta, void *ctx),
			  void *ctx);
void counter_deltas__forget(struct counter_deltas *cd, uint64_t cgroup_id);

#endif
