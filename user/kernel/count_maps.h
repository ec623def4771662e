/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_COUNT_MAPS_H
#define MEMSIGHT_COUNT_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "interval_counts.h"

struct bpf_map;

/*
 * The kernel side of a count_source: a memory-mapped slot array and a hash
 * of cumulative counters keyed by cgroup id (memsight.h, "Counting per memcg").
 */
struct count_table {
	int fd;
	uint32_t value_size;
	uint32_t skip;	   /* leading value words that are not counters (a slot's owner) */
	uint32_t counters; /* counter words after them */
	size_t slots_len;  /* bytes of the slot array's mapping */
	uint64_t *keys;	   /* batch buffers */
	uint64_t *values;
};

/* How many slots to give the arrays: enough for the memcgs this node has, not per CPU. */
uint32_t count_slots_wanted(void);

/*
 * Fills source from a loaded slot array (NULL: table only) and hash; the
 * table struct must outlive the source. 0 or -errno.
 */
int count_maps__open(struct count_source *source, struct count_table *table, struct bpf_map *slots,
		     struct bpf_map *hash, uint32_t skip, uint32_t counters);
void count_maps__close(struct count_source *source, struct count_table *table);

#endif
