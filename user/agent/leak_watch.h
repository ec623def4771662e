/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_LEAK_WATCH_H
#define MEMSIGHT_LEAK_WATCH_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Leak suspects: a cgroup whose anonymous memory kept growing across the
 * window (--leak-window). It is sampled LEAK_SAMPLES times a window; the
 * verdict wants, over a whole window, growth of at least LEAK_MIN_GROWTH,
 * most steps up, no fall by more than a quarter of the growth (a sawtooth
 * frees what it allocates), and the last quarter still growing (not a
 * container that grew once and then held). Page cache is not anonymous
 * memory: a reader never qualifies. Pure.
 */

#define LEAK_SAMPLES	20
#define LEAK_MIN_GROWTH (8ULL << 20)

enum leak_verdict {
	LEAK_NONE,
	LEAK_HALFWAY, /* the first half of a window looks like a leak: time to note the processes */
	LEAK_RAISED,  /* suspected: once per episode */
};

struct leak_finding {
	double window_s;
	uint64_t anon_growth_bytes; /* across the window */
	double growth_bytes_per_sec;
};

struct leak_watch;

struct leak_watch *leak_watch__new(uint64_t window_ns);
void leak_watch__free(struct leak_watch *lw);

/* A cgroup's anonymous memory at now_ns; what it makes of it (finding set when raised). */
enum leak_verdict leak_watch__add(struct leak_watch *lw, uint64_t cgroup_id, uint64_t now_ns,
				  uint64_t anon, struct leak_finding *finding);
/* Whether the cgroup's leak episode is on (for /metrics and top). */
bool leak_watch__suspected(const struct leak_watch *lw, uint64_t cgroup_id);
void leak_watch__remove(struct leak_watch *lw, uint64_t cgroup_id);

/* The verdict on n samples (oldest first): growth at least min_growth, steadily, to the end. */
bool leak_pattern(const uint64_t *anon, unsigned int n, uint64_t min_growth);

#endif
