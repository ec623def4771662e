// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reclaim stalls: the time a task spends in memcg reclaim (its memcg at its
 * limit) or direct reclaim (the node short of memory), attributed to the
 * stalled task's memcg. Reclaim passes take microseconds to seconds, so a
 * hash update per pass costs nothing next to the stall it measures.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memsight.h"
#include "counting.bpf.h"

/* Reclaim start per task; an entry leaves at the pass's end. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} reclaim_start SEC(".maps");

/* Not LRU: userspace deletes a removed cgroup's entry after its last read. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMSIGHT_OVERFLOW_MAX);
	__type(key, __u64); /* cgroup id */
	__type(value, struct memsight_reclaim_counts);
} reclaim_stats SEC(".maps");

static __always_inline int reclaim_begin(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&reclaim_start, &tid, &now, BPF_ANY);
	return 0;
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	for (int i = 5; i >= 0; i--) {
		__u32 shift = 1U << i;

		if (v >> shift) {
			v >>= shift;
			b += shift;
		}
	}
	return b < MEMSIGHT_RECLAIM_BUCKETS ? b : MEMSIGHT_RECLAIM_BUCKETS - 1;
}

static __always_inline int reclaim_end(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct memsight_reclaim_counts *r, fresh = {};
	__u64 *start, stall, cgroup_id;
	__u32 bucket;

	start = bpf_map_lookup_elem(&reclaim_start, &tid);
	if (!start)
		return 0; /* began before memsight attached */
	stall = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&reclaim_start, &tid);
	cgroup_id = css_cgroup_id(task_memcg_css((void *)bpf_get_current_task()));
	r = counting_lookup_or_init(&reclaim_stats, &cgroup_id, &fresh);
	if (!r)
		return 0;
	bucket = log2_bucket(stall);
	__sync_fetch_and_add(&r->count, 1);
	__sync_fetch_and_add(&r->stall_ns, stall);
	__sync_fetch_and_add(&r->hist[bucket & (MEMSIGHT_RECLAIM_BUCKETS - 1)], 1);
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(reclaim_memcg_begin)
{
	return reclaim_begin();
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(reclaim_memcg_end)
{
	return reclaim_end();
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(reclaim_direct_begin)
{
	return reclaim_begin();
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(reclaim_direct_end)
{
	return reclaim_end();
}
