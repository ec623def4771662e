// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <time.h>

#include "clock.h"

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint64_t clock_monotonic_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_MONOTONIC);
}

double clock_monotonic_ms(void)
{
	return (double)clock_ns(CLOCK_MONOTONIC) / 1e6;
}

int64_t clock_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t clock_boottime_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_BOOTTIME);
}

uint64_t clock_thread_cpu_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

int64_t clock_boot_to_realtime_ns(void)
{
	/* Bracket the boot-time read to halve the error of two separate reads. */
	int64_t before = clock_ns(CLOCK_REALTIME);
	int64_t boot = clock_ns(CLOCK_BOOTTIME);
	int64_t after = clock_ns(CLOCK_REALTIME);

	return before + (after - before) / 2 - boot;
}
