/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CLOCK_H
#define MEMSIGHT_CLOCK_H

#include <stdint.h>

/* The clocks memsight reads, in one place so every module counts time the same way. */

/* Intervals, deadlines, ages: CLOCK_MONOTONIC never steps. */
uint64_t clock_monotonic_ns(void);
/* The same clock in milliseconds, for durations reported to people. */
double clock_monotonic_ms(void);
/* Wall-clock time for the "ts" of records: CLOCK_REALTIME. */
int64_t clock_realtime_ns(void);
/* CLOCK_BOOTTIME, the clock of the BPF side's stamps: history that kill records are dated against. */
uint64_t clock_boottime_ns(void);
/* This thread's CPU time: what a piece of work cost, whatever else ran meanwhile. */
uint64_t clock_thread_cpu_ns(void);
/* CLOCK_REALTIME minus CLOCK_BOOTTIME now: adds to a BPF boot-time stamp to date it. */
int64_t clock_boot_to_realtime_ns(void);

#endif
