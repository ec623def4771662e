// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "self_stats.h"

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t clock_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t clock_monotonic_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_MONOTONIC);
}

int64_t clock_boot_to_realtime_ns(void)
{
	/* Bracket the boot-time read to halve the error of two separate reads. */
	int64_t before = clock_ns(CLOCK_REALTIME);
	int64_t boot = clock_ns(CLOCK_BOOTTIME);
	int64_t after = clock_ns(CLOCK_REALTIME);

	return before + (after - before) / 2 - boot;
}

void self_stats_sample(struct self_sample *sample)
{
	unsigned long long size = 0, resident = 0;
	struct rusage usage;
	FILE *f;

	sample->monotonic_ns = (uint64_t)clock_ns(CLOCK_MONOTONIC);
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
