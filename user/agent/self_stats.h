/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_SELF_STATS_H
#define MEMSIGHT_SELF_STATS_H

#include <stdint.h>

/* memsight's own cost, as the kernel accounts it. */
struct self_sample {
	uint64_t monotonic_ns;
	uint64_t rss_bytes;
	uint64_t cpu_user_ns;
	uint64_t cpu_system_ns;
};

void self_stats_sample(struct self_sample *sample);
/* CPU use between two samples, in percent of one core. */
double self_stats_cpu_percent(const struct self_sample *before, const struct self_sample *after);

#endif
