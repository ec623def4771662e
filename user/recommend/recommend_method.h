/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_RECOMMEND_METHOD_H
#define MEMSIGHT_RECOMMEND_METHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * `memsight recommend`'s method: a workload's figures over the window in, a memory
 * request and limit (or the reason there is none) out. README, "memsight recommend",
 * says the same in words. Pure.
 *
 *   leak suspected in the window       not recommended: a limit only delays the next OOM
 *   history (its first sample to its last) < min(24 h, window / 2)
 *                                      not recommended: too little to go on
 *   request = p99 working set + 15%
 *   limit   = peak working set + 15% (+ 25% after OOM risk episodes: it neared the
 *             limit fast enough to be due there within the horizon)
 *   OOM kills: limit >= the limit it was killed at + 25% (the peak it would have
 *             reached is unknown: it was cut off there)
 *   limit >= request; both rounded up to whole MiB
 */
#define RECOMMEND_QUANTILE    "0.99" /* quantile_over_time's: the p99 */
#define RECOMMEND_MARGIN      0.15
#define RECOMMEND_RISK_MARGIN 0.25
#define RECOMMEND_OOM_RAISE   0.25
#define RECOMMEND_HISTORY_S   86400.0
#define RECOMMEND_REASON_LEN  256

/* What Prometheus said about one workload's container over the window. */
struct recommend_figures {
	bool has_working_set;
	double working_set_p99; /* bytes: the highest of its pods' p99 */
	double working_set_max; /* bytes */
	double first_seen;	/* unix seconds of its earliest sample in the window */
	double last_seen;	/* and of its latest */
	uint64_t oom_kills;
	uint64_t oom_risks;
	bool leak_suspected;
	bool has_limit;
	double current_limit; /* bytes */
	bool has_kill_limit;
	double kill_limit; /* bytes: the highest limit of the pods that were OOM-killed */
};

enum recommend_verdict {
	RECOMMEND_FROM_USAGE, /* request and limit from the working set */
	RECOMMEND_RAISED_OOM, /* the limit raised over the one it was OOM-killed at */
	RECOMMEND_NO_LEAKING,
	RECOMMEND_NO_HISTORY,
	RECOMMEND_NO_DATA, /* no working set figures (only counters) */
};

struct recommendation {
	enum recommend_verdict verdict;
	bool recommended;
	uint64_t request_bytes;
	uint64_t limit_bytes;
	double history_s; /* from its first sample to its last, at most the window */
	char reason[RECOMMEND_REASON_LEN];
};

/* The history a recommendation needs for a window: a day, or half a shorter window. */
double recommend_history_needed(double window_s);

/* window_s in seconds. */
void recommend_decide(const struct recommend_figures *fig, double window_s,
		      struct recommendation *out);

/* Bytes rounded up to whole MiB. */
uint64_t recommend_round_mib(double bytes);

/* "412 MiB", "1.5 GiB", "800 KiB": sizes in reasons. */
const char *recommend_format_size(double bytes, char *buf, size_t len);

#endif
