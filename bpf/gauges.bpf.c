// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every memcg's usage, limit, memory.high and inactive file pages in one
 * read: a cgroup iterator (Linux 6.1) over the memory hierarchy, run by
 * userspace once per interval instead of reading two or three cgroupfs files
 * per memcg. Not on any hot path.
 *
 * The iterator supports one read session, and a session's output is its seq
 * buffer (8 pages): 40-odd bytes a memcg would stop at about 700 memcgs. So
 * the records go to an mmap-able array instead, in walk order, and userspace
 * reads them there; the seq stays empty. A memcg past the array's end is
 * counted (gauges_missed) and userspace reads it from cgroupfs.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "memsight.h"
#include "cgroup.bpf.h"
#include "events.bpf.h"

/* Sized by userspace before load (as many as the counting slots); 1 when not loaded. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct memsight_memcg_gauges);
	__uint(max_entries, 1);
} memcg_gauges SEC(".maps");

/* Records written by the last read, and memcgs that found the array full; userspace zeroes both. */
__u32 gauges_count;
__u32 gauges_missed;

/*
 * The memcg's hierarchical inactive file pages, as memory.stat prints them:
 * memcg->vmstats->state[i], which the kernel's rstat flush keeps (every 2 s
 * from a worker, and when memory.stat is read; we don't flush). Before 6.10
 * state[] is indexed by enum node_stat_item; since 6.10 (memcg_stats_index())
 * it holds only the memcg items, by their position in memcg_node_stat_items[],
 * which starts with the five LRU items in their enum order: for
 * NR_INACTIVE_FILE the index is the enum value either way (checked against
 * memory.stat on 6.1, 6.12 and 6.18 by test_gauges). A layout other than a
 * pointer to a struct with a long state[] (kernels before 6.1 embedded it)
 * reads nothing, and userspace reads memory.stat instead.
 */
static __always_inline bool memcg_inactive_file(struct mem_cgroup *memcg, __u64 *pages)
{
	int item = bpf_core_enum_value(enum node_stat_item, NR_INACTIVE_FILE);
	__u32 items = bpf_core_field_size(struct memcg_vmstats, state) / sizeof(long);
	struct memcg_vmstats *vmstats;
	long value = 0;

	if (!bpf_core_field_exists(memcg->vmstats) ||
	    bpf_core_field_size(memcg->vmstats) != sizeof(void *) || item < 0 || item >= items)
		return false;
	vmstats = BPF_CORE_READ(memcg, vmstats);
	if (!vmstats ||
	    bpf_probe_read_kernel(&value, sizeof(value),
				  (void *)vmstats +
					  bpf_core_field_offset(struct memcg_vmstats, state) +
					  item * sizeof(long)))
		return false;
	/* per-CPU deltas flushed in pieces can leave a figure briefly below zero */
	*pages = value > 0 ? value : 0;
	return true;
}

/* PAGE_COUNTER_MAX is LONG_MAX / PAGE_SIZE (64-bit): "max" in cgroupfs. */
static __always_inline bool page_counter_unset(__u64 pages)
{
	return pages >= 0x7fffffffffffffffULL / page_size;
}

/*
 * The walk is the cost of a read: per memcg mostly cache misses on its cgroup,
 * kernfs node, page counter and vmstats, then helper calls. The cgroup's
 * fields are direct loads, and the page counter's high and max, next to each
 * other, come in one bpf_probe_read_kernel.
 */
static __always_inline void fill_gauges(struct memsight_memcg_gauges *g, struct cgroup *cgrp,
					struct mem_cgroup *memcg)
{
	__u64 counter = bpf_core_field_offset(struct mem_cgroup, memory);
	__u64 high_at = bpf_core_field_offset(struct page_counter, high);
	__u64 max_at = bpf_core_field_offset(struct page_counter, max);
	__u64 usage = 0, high_max[2] = { 0, 0 }, pages = 0;

	g->cgroup_id = cgrp->kn->id;
	g->flags = 0;
	bpf_probe_read_kernel(&usage, sizeof(usage),
			      (void *)memcg + counter +
				      bpf_core_field_offset(struct page_counter, usage));
	if (max_at == high_at + sizeof(__u64)) {
		bpf_probe_read_kernel(high_max, sizeof(high_max),
				      (void *)memcg + counter + high_at);
	} else {
		high_max[0] = ~0ULL; /* no memory.high in the page counter (before 5.8) */
		bpf_probe_read_kernel(&high_max[1], sizeof(__u64),
				      (void *)memcg + counter + max_at);
	}
	g->usage_bytes = usage * page_size;
	g->limit_bytes = page_counter_unset(high_max[1]) ? 0 : high_max[1] * page_size;
	g->flags |= page_counter_unset(high_max[1]) ? 0 : MEMSIGHT_GAUGE_LIMITED;
	/* memory.high is v2's; userspace uses it on v2 only */
	g->high_bytes = page_counter_unset(high_max[0]) ? 0 : high_max[0] * page_size;
	g->flags |= page_counter_unset(high_max[0]) ? 0 : MEMSIGHT_GAUGE_HIGH;
	g->inactive_file_bytes = 0;
	if (memcg_inactive_file(memcg, &pages)) {
		g->inactive_file_bytes = pages * page_size;
		g->flags |= MEMSIGHT_GAUGE_INACTIVE_FILE;
	}
	g->reserved = 0;
}

SEC("iter/cgroup")
int memcg_gauges_walk(struct bpf_iter__cgroup *ctx)
{
	int memory_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	int subsys_count = bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT);
	struct cgroup *cgrp = ctx->cgroup;
	struct cgroup_subsys_state *css;
	struct memsight_memcg_gauges *g;
	__u32 slot;

	/* NULL: the walk's end. The hierarchy root has no limit and v1 sums its usage. */
	if (!cgrp || cgrp->level == 0 || memory_id < 0 || memory_id >= subsys_count)
		return 0;
	/* v2: a cgroup whose parent doesn't enable memory has no memcg of its own */
	css = cgrp->subsys[memory_id];
	if (!css)
		return 0;
	slot = gauges_count;
	g = bpf_map_lookup_elem(&memcg_gauges, &slot);
	if (!g) {
		gauges_missed++;
		return 0;
	}
	/* struct mem_cgroup embeds its css: found by relocated offset */
	fill_gauges(g, cgrp, (void *)css - bpf_core_field_offset(struct mem_cgroup, css));
	gauges_count = slot + 1;
	return 0;
}
