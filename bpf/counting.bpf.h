/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-memcg counting maps faults and charges share, and the
 * slot-or-overflow lookup: see "Counting per memcg" in memsight.h for the
 * layout and the slot's life. The maps are weak, like events.bpf.h's: each
 * program file includes them and the static linker keeps one copy.
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
 * The counter row of a memcg (small id memcg_id, css serial number `serial`,
 * its css `css`) in a slot array and its overflow hash, whose values all
 * start with the owner's cgroup id and tag, then row_size - 16 bytes of
 * counters. Callers add with atomics: every CPU shares these rows.
 *
 * The hot path is one lookup and one compare of the tag. Off it, the cgroup
 * id is read (three dependent loads) and a free slot claimed: live memcgs have
 * distinct ids, so no other memcg claims the same slot at the same time and
 * plain stores suffice, the owner first (what userspace reads), then the tag
 * (what the hot path compares). A slot held by another memcg, or an id past
 * the array, sends the memcg to the overflow hash keyed by its cgroup id.
 * `scratch` (row_size bytes, any content) builds a new overflow entry.
 * NULL: the overflow hash is full (counted).
 */
static __always_inline void *counting_row(void *slots, void *overflow, __u32 memcg_id, __u64 serial,
					  struct cgroup_subsys_state *css, void *scratch,
					  __u32 row_size)
{
	volatile __u64 *owner = NULL;
	__u64 cgroup_id;

	/* memcg_id 0: a dying memcg whose id the kernel has released */
	if (memcg_id) {
		owner = bpf_map_lookup_elem(slots, &memcg_id);
		if (owner && owner[1] == serial)
			return (void *)owner;
	}
	cgroup_id = css_cgroup_id(css);
	if (owner && owner[0] == 0) {
		owner[0] = cgroup_id;
		owner[1] = serial;
		return (void *)owner;
	}
	__builtin_memset(scratch, 0, row_size);
	*(__u64 *)scratch = cgroup_id;
	return counting_lookup_or_init(overflow, &cgroup_id, scratch);
}

/* Sized by userspace before load (memsight.h: "Counting per memcg"). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MEMSIGHT_SLOTS_DEFAULT);
	__type(key, __u32);
	__type(value, struct memsight_memcg_counts);
} memcg_slots SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMSIGHT_OVERFLOW_MAX);
	__type(key, __u64);
	__type(value, struct memsight_memcg_counts);
} memcg_overflow SEC(".maps") __weak;

/* The counting row of a memcg for its faults and charges (counting_row()); NULL: none. */
static __always_inline struct memsight_memcg_counts *memcg_counts(__u32 memcg_id, __u64 serial,
								  struct cgroup_subsys_state *css)
{
	struct memsight_memcg_counts scratch;

	return counting_row(&memcg_slots, &memcg_overflow, memcg_id, serial, css, &scratch,
			    sizeof(scratch));
}

#endif /* MEMSIGHT_COUNTING_BPF_H */
