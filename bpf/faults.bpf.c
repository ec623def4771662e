// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Page faults per memcg, counted in the kernel; userspace reads the sums each
 * interval. Never one event per fault through the ring buffer.
 *
 * Hooks, best first (userspace picks by probe; bench/RESULTS.md has the costs):
 * - tp_btf/count_memcg_events: the memcg's own PGFAULT/PGMAJFAULT accounting
 *   (the same numbers memory.stat shows), with the memcg in hand. Newer kernels
 *   only (the memcg tracepoints are absent from Debian's 6.12 and older).
 * - perf_event software events PAGE_FAULTS_MIN / PAGE_FAULTS_MAJ, one per CPU:
 *   every arch and kernel; the memcg is the faulting task's.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memsight.h"
#include "cgroup.bpf.h"
#include "events.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MEMSIGHT_FAULT_SLOTS);
	__type(key, __u32);
	__type(value, struct memsight_fault_counts);
} fault_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, MEMSIGHT_FAULT_OVERFLOW_MAX);
	__type(key, __u64);
	__type(value, struct memsight_fault_counts);
} fault_overflow SEC(".maps");

static __always_inline void count_fault(__u32 memcg_id, __u64 cgroup_id, __u64 faults, __u64 major)
{
	__u32 slot = memcg_id & (MEMSIGHT_FAULT_SLOTS - 1);
	struct memsight_fault_counts *c, fresh = {};

	c = bpf_map_lookup_elem(&fault_slots, &slot);
	if (!c)
		return;
	if (c->cgroup_id != cgroup_id) {
		if (c->cgroup_id) {
			/* The slot is another memcg's: count this one by its cgroup id. */
			c = bpf_map_lookup_elem(&fault_overflow, &cgroup_id);
			if (!c) {
				bpf_map_update_elem(&fault_overflow, &cgroup_id, &fresh,
						    BPF_NOEXIST);
				c = bpf_map_lookup_elem(&fault_overflow, &cgroup_id);
				if (!c)
					return;
			}
		} else {
			/* Per-CPU: no other CPU writes this copy of the slot. */
			c->cgroup_id = cgroup_id;
		}
	}
	c->faults += faults;
	c->major += major;
}

SEC("tp_btf/count_memcg_events")
int BPF_PROG(faults_memcg_events, struct mem_cgroup *memcg, int item, unsigned long count)
{
	int item_pgfault = bpf_core_enum_value(enum vm_event_item, PGFAULT);
	int item_pgmajfault = bpf_core_enum_value(enum vm_event_item, PGMAJFAULT);

	/* The tracepoint fires for every memcg event item; only two are ours. */
	if (item != item_pgfault && item != item_pgmajfault)
		return 0;
	/*
	 * Direct BTF loads: tp_btf pointers are trusted. A major fault is counted
	 * twice by the kernel (PGFAULT and PGMAJFAULT), and so here.
	 */
	count_fault(memcg->id.id, memcg->css.cgroup->kn->id, item == item_pgfault ? count : 0,
		    item == item_pgmajfault ? count : 0);
	return 0;
}

static __always_inline int count_task_fault(bool major)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct cgroup_subsys_state *css = task_memcg_css(task);

	if (!css)
		return 0;
	count_fault(memcg_private_id(css), css_cgroup_id(css), 1, major);
	return 0;
}

SEC("perf_event")
int faults_perf_minor(struct bpf_perf_event_data *ctx)
{
	return count_task_fault(false);
}

SEC("perf_event")
int faults_perf_major(struct bpf_perf_event_data *ctx)
{
	return count_task_fault(true);
}
