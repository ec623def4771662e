/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_INTERVAL_COUNTS_H
#define MEMSIGHT_INTERVAL_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Each interval's counts per cgroup from one family of kernel counters
 * (faults, charges or reclaim), exact under slot reuse and failed reads. Pure:
 * the maps are reached through a count_source, which unit tests fill with
 * plain memory.
 *
 * Slots are drained (read and reset by atomic exchange), so their counts are
 * already the interval's. Table entries (the overflow and reclaim hashes)
 * only grow, keyed by a cgroup id that is never reused: their delta is the
 * change since the last successful read of the same key. An entry that reads
 * lower than before was recreated: no delta this round, resync (never "the
 * whole value is new", which would invent counts). A failed table read gives
 * no delta for the entries it did not reach; they are counted next time.
 */
#define INTERVAL_COUNTS_MAX 34 /* reclaim: count, stall_ns, 32 buckets */
/* A slot starts with its owner's cgroup id and the owner's tag (css serial number). */
#define SLOT_HEADER_WORDS 2

typedef void (*count_entry_fn)(void *ctx, uint64_t cgroup_id, const uint64_t *values);

struct count_source {
	/* slot_count slots of SLOT_HEADER_WORDS + counters words (memsight.h) */
	uint64_t *slots;
	uint32_t slot_count;
	uint32_t counters;
	/* fn for every table entry, values cumulative; 0 or -errno (read failed) */
	int (*read_table)(void *src, count_entry_fn fn, void *ctx);
	/* drops a removed cgroup's table entry after its last read */
	void (*delete_entry)(void *src, uint64_t cgroup_id);
	void *src;
};

struct interval_counts_stats {
	uint64_t resyncs;	/* table entries that read lower than before */
	uint64_t failed_reads;	/* table reads that failed */
	uint64_t slots_retired; /* slots whose owner was removed */
	uint64_t slots_in_use;	/* at the last collect */
};

struct interval_counts;

struct interval_counts *interval_counts__new(const struct count_source *source);
void interval_counts__free(struct interval_counts *ic);

/* Which cgroups are gone; their slots are retired and their entries dropped. */
typedef bool (*cgroup_removed_fn)(uint64_t cgroup_id, void *ctx);
typedef void (*interval_delta_fn)(uint64_t cgroup_id, const uint64_t *delta, void *ctx);

/*
 * One interval: fn once per cgroup whose counters moved since the last
 * collect. A removed owner's slot is retired now and released at the next
 * collect, which also reports what was counted in it meanwhile.
 * 0, or -ENOMEM (nothing reported, nothing lost: the counts wait).
 */
int interval_counts__collect(struct interval_counts *ic, cgroup_removed_fn removed,
			     void *removed_ctx, interval_delta_fn fn, void *ctx);
const struct interval_counts_stats *interval_counts__stats(const struct interval_counts *ic);

#endif
