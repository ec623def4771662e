// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "self_stats.h"

void self_stats_sample(struct self_sample *sample)
{
	unsigned long long size = 0, resident = 0;
	struct rusage usage;
	FILE *f;

	sample->monotonic_ns = clock_monotonic_ns();
	sample->rss_bytes = 0;
	f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) == 2)
			sample->rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &usage);
	sample->cpu_user_ns =
		usage.ru_utime.tv_sec * 1000000000ULL + usage.ru_utime.tv_usec * 1000ULL;
	sample->cpu_system_ns =
		usage.ru_stime.tv_sec * 1000000000ULL + usage.ru_stime.tv_usec * 1000ULL;
}

double self_stats_cpu_percent(const struct self_sample *before, const struct self_sample *after)
{
	uint64_t wall = after->monotonic_ns - before->monotonic_ns;
	uint64_t cpu = (after->cpu_user_ns + after->cpu_system_ns) -
		       (before->cpu_user_ns + before->cpu_system_ns);

	return wall ? 100.0 * (double)cpu / (double)wall : 0.0;
}
