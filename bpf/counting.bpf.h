/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The slot-or-overflow lookup every per-memcg counter uses (faults, charges):
 * see "Counting per memcg" in memsight.h for the layout and the slot's life.
 */
#ifndef MEMSIGHT_COUNTING_BPF_H
#define MEMSIGHT_COUNTING_BPF_H

#include <bpf/bpf_helpers.h>
#include "memsight.h"
#include "events.bpf.h"

/*
 * The slot of the memcg with small id memcg_id and css serial number
 * `serial`, when it holds it; NULL: see counting_claim(). Both maps' values
 * start with the owner's cgroup id and tag. Callers add with atomics: every
 * CPU shares these counters.
 */
static __always_inline __u64 *counting_slot(void *slots, __u32 memcg_id, __u64 serial, __u64 **slot)
{
	volatile __u64 *owner;

	*slot = NULL;
	/* memcg_id 0: a dying memcg whose id the kernel has released */
	if (!memcg_id)
		return NULL;
	owner = bpf_map_lookup_elem(slots, &memcg_id);
	if (!owner)
		return NULL;
	*slot = (__u64 *)owner;
	return owner[1] == serial ? (__u64 *)owner : NULL;
}

/*
 * The slow path: claims a free slot for cgroup_id, else NULL (count it in
 * the overflow hash). Live memcgs have distinct ids, so no other memcg claims
 * the same slot at the same time: plain stores suffice, the owner first (what
 * userspace reads), then the tag (what the hot path compares).
 */
static __always_inline __u64 *counting_claim(__u64 *slot, __u64 cgroup_id, __u64 serial)
{
	volatile __u64 *owner = slot;

	if (!owner || *owner != 0)
		return NULL;
	owner[0] = cgroup_id;
	owner[1] = serial;
	return slot;
}

/*
 * The overflow entry of cgroup_id, made from `fresh` (zeroed but its first
 * word, cgroup_id) when it has none. NULL only when the hash is full (counted).
 */
static __always_inline __u64 *counting_overflow(void *overflow, __u64 cgroup_id, void *fresh)
{
	__u64 *cell = bpf_map_lookup_elem(overflow, &cgroup_id);

	if (cell)
		return cell;
	bpf_map_update_elem(overflow, &cgroup_id, fresh, BPF_NOEXIST);
	cell = bpf_map_lookup_elem(overflow, &cgroup_id);
	if (!cell)
		__sync_fetch_and_add(&counters.overflow_full, 1);
	return cell;
}

#endif /* MEMSIGHT_COUNTING_BPF_H */
