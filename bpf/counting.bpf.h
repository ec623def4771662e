/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The slot-or-overflow lookup every per-memcg counter uses (faults, charges,
 * reclaim): see "Counting per memcg" in memsight.h for the layout and the
 * slot's life.
 */
#ifndef MEMSIGHT_COUNTING_BPF_H
#define MEMSIGHT_COUNTING_BPF_H

#include <bpf/bpf_helpers.h>
#include "memsight.h"
#include "cgroup.bpf.h"
#include "events.bpf.h"

/*
 * The entry of key in a hash, made from `fresh` when it has none. NULL only
 * when the hash is full (counted in counters.overflow_full).
 */
static __always_inline void *counting_lookup_or_init(void *hash, const __u64 *key,
						     const void *fresh)
{
	void *cell = bpf_map_lookup_elem(hash, key);

	if (cell)
		return cell;
	/* BPF_NOEXIST: another CPU may have made it meanwhile; the lookup finds either */
	bpf_map_update_elem(hash, key, fresh, BPF_NOEXIST);
	cell = bpf_map_lookup_elem(hash, key);
	if (!cell)
		__sync_fetch_and_add(&counters.overflow_full, 1);
	return cell;
}

/*
 * The counter row of a memcg (its css `css`, whose id css_id and serial
 * number `serial` the caller has read) in a slot array and its overflow hash,
 * whose values all start with the owner's cgroup id and tag, then
 * row_size - 16 bytes of counters. Callers add with atomics: every CPU shares
 * these rows.
 *
 * The hot path is one lookup and one compare of the tag, and the two words it
 * needs from the memcg share a cache line (css.id and css.serial_nr): on a
 * fault the memcg's other lines are often cold, and a miss costs more than
 * the rest of the program. Off the hot path, the cgroup id is read (three
 * dependent loads) and a free slot claimed by a memcg that still has its
 * private id (the kernel zeroes memcg->id.id when it releases the id at
 * removal: a dying memcg never claims a slot, so a slot userspace has retired
 * stays free). Live memcgs have distinct css ids, so no other memcg claims
 * the same slot at the same time and plain stores suffice, the owner first
 * (what userspace reads), then the tag (what the hot path compares). A slot
 * held by another memcg, an id past the array or a dying memcg sends the
 * memcg to the overflow hash keyed by its cgroup id. `scratch` (row_size
 * bytes, any content) builds a new overflow entry. NULL: the overflow hash is
 * full (counted).
 */
static __always_inline void *counting_row(void *slots, void *overflow, __u32 css_id, __u64 serial,
					  struct cgroup_subsys_state *css, void *scratch,
					  __u32 row_size)
{
	volatile __u64 *owner;
	__u64 cgroup_id;

	owner = bpf_map_lookup_elem(slots, &css_id);
	if (owner && owner[1] == serial)
		return (void *)owner;
	cgroup_id = css_cgroup_id(css);
	if (owner && owner[0] == 0 && memcg_private_id(css)) {
		owner[0] = cgroup_id;
		owner[1] = serial;
		return (void *)owner;
	}
	__builtin_memset(scratch, 0, row_size);
	*(__u64 *)scratch = cgroup_id;
	return counting_lookup_or_init(overflow, &cgroup_id, scratch);
}

#endif /* MEMSIGHT_COUNTING_BPF_H */
