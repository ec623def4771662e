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
 * The slot of cgroup_id, whose memcg has the small id memcg_id, when it
 * holds it or can claim it; NULL: count it in the overflow hash instead
 * (counting_overflow). Both maps' values start with the owner's cgroup id.
 * Callers add with atomics: every CPU shares these counters.
 */
static __always_inline __u64 *counting_slot(void *slots, __u32 memcg_id, __u64 cgroup_id)
{
	volatile __u64 *owner;

	/* memcg_id 0: a dying memcg whose id the kernel has released */
	if (!memcg_id)
		return NULL;
	owner = bpf_map_lookup_elem(slots, &memcg_id);
	if (!owner)
		return NULL;
	if (*owner == cgroup_id)
		return (__u64 *)owner;
	/*
	 * A free slot: live memcgs have distinct ids, so no other memcg claims
	 * this one at the same time; a plain store suffices.
	 */
	if (*owner == 0) {
		*owner = cgroup_id;
		return (__u64 *)owner;
	}
	return NULL;
}

/*
 * The overflow entry of cgroup_id, made from `fresh` (zeroed, its first word
 * cgroup_id) when it has none. NULL only when the hash is full (counted).
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
