/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_MEMORY_TREND_H
#define MEMSIGHT_MEMORY_TREND_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Where each cgroup's memory is heading: its last points (one per interval
 * with figures), the working set's growth as the least-squares slope over
 * the last TREND_WINDOW_NS of them, the time left to the limit at that
 * growth, and the OOM-risk episodes. Pure.
 */

#define TREND_POINTS 60
/* The growth is fitted over this much history: long enough to smooth a sawtooth's teeth. */
#define TREND_WINDOW_NS (30ULL * 1000000000ULL)
/* Whether the memory reclaim can't free still grows: fitted over this much. */
#define TREND_RECENT_NS (5ULL * 1000000000ULL)
/* At risk this long before an oom_risk is raised (shorter for a short horizon): a start-up ramp that levels off is no risk. */
#define TREND_CONFIRM_NS (15ULL * 1000000000ULL)

struct trend_point {
	uint64_t t_ns; /* CLOCK_BOOTTIME, as the kernel's records are dated */
	uint64_t usage, working_set;
	uint64_t unreclaimable; /* usage minus file pages plus shmem: what reclaim can't free */
	uint64_t faults_minor, faults_major, stall_ns; /* in the interval */
	bool has_growth; /* the working set's growth fitted up to this point (set by add) */
	double growth;
};

/* What the cgroup was made of at its last point (for an OOM kill's memory_stat). */
struct trend_makeup {
	uint64_t t_ns;
	uint64_t anon, file, shmem, kernel, sock;
	bool has_kernel;
};

struct trend_outlook {
	bool has_growth;
	double growth; /* working set, bytes per second */
	bool has_time_to_limit;
	double time_to_limit_s; /* null when unlimited or not growing */
	bool risk_raised;	/* an oom_risk for this cgroup is due now (once per episode) */
};

struct memory_trend;

struct memory_trend *memory_trend__new(uint64_t horizon_ns);
void memory_trend__free(struct memory_trend *trend);

/*
 * Adds a cgroup's point (and makeup, NULL when unknown) and says where it is
 * heading. limit 0: unlimited.
 * At risk: the time to the limit is below the horizon, and the growth is not
 * reclaimable cache: what reclaim can't free, fitted over the last
 * TREND_RECENT_NS, still grows fast enough to fill the room left within the
 * horizon. Raised once at risk for TREND_CONFIRM_NS (a tenth of a shorter
 * horizon); the episode ends after a whole horizon out of risk, or at a fall
 * by a quarter of the limit (a kill, a restart).
 */
void memory_trend__add(struct memory_trend *trend, uint64_t cgroup_id,
		       const struct trend_point *point, const struct trend_makeup *makeup,
		       uint64_t limit, struct trend_outlook *out);

/* The cgroup's points, oldest first, up to max; how many (0: none kept). */
unsigned int memory_trend__history(const struct memory_trend *trend, uint64_t cgroup_id,
				   struct trend_point *out, unsigned int max);
/* Its last makeup; false when none. */
bool memory_trend__makeup(const struct memory_trend *trend, uint64_t cgroup_id,
			  struct trend_makeup *out);

/* Forgets a removed cgroup. */
void memory_trend__remove(struct memory_trend *trend, uint64_t cgroup_id);

unsigned int memory_trend__count(const struct memory_trend *trend);

/* The least-squares slope of ys over ts (ns), in units per second; false with < 3 points. */
bool trend_slope(const uint64_t *t_ns, const uint64_t *ys, unsigned int n, double *per_sec);

#endif
