// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Charges per memcg and kind, from memcg:mod_memcg_state and
 * memcg:mod_memcg_lruvec_state (signed deltas per stat item, in the item's
 * own unit). Only the items listed in charge_kind() are touched: the rest
 * return after a few compares of immediates. Kernels without these tracepoints
 * fall back to memory.stat deltas in userspace.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memsight.h"
#include "counting.bpf.h"

/*
 * The unit of the items counted in pages. x86-64 has 4 KiB base pages only;
 * elsewhere it is the page size userspace set before load. A constant saves a
 * .rodata load on every charge: .rodata is touched by no other code on a
 * fault, so its line is usually cold by the next one.
 */
#if defined(__TARGET_ARCH_x86)
#define PAGE_UNIT 4096ULL
#else
#define PAGE_UNIT page_size
#endif

/* item is the enumerator `name` of `enum type` on this kernel (absent: never) */
#define ITEM_IS(item, type, name)                                                                  \
	(bpf_core_enum_value_exists(enum type, name) &&                                            \
	 (item) == bpf_core_enum_value(enum type, name))

/*
 * The charge kind of a stat item and its unit in bytes (the item's name says
 * which: _B bytes, _KB KiB, otherwise pages); -1 for the items memsight does not
 * report, which pass every compare and return. Item numbers differ between
 * kernels: each is a CO-RE enum relocation, an immediate after load, so telling
 * them apart touches no memory (a table in .rodata cost a cache miss on most
 * faults). The most frequent on a fault, NR_ANON_MAPPED, comes first.
 */
static __always_inline int charge_kind(int item, __u64 *unit)
{
	*unit = PAGE_UNIT;
	if (ITEM_IS(item, node_stat_item, NR_ANON_MAPPED))
		return MEMSIGHT_CHARGE_ANON;
	if (ITEM_IS(item, node_stat_item, NR_FILE_PAGES))
		return MEMSIGHT_CHARGE_FILE;
	if (ITEM_IS(item, node_stat_item, NR_SHMEM))
		return MEMSIGHT_CHARGE_SHMEM;
	if (ITEM_IS(item, node_stat_item, NR_PAGETABLE) ||
	    ITEM_IS(item, node_stat_item, NR_SECONDARY_PAGETABLE))
		return MEMSIGHT_CHARGE_KERNEL;
	if (ITEM_IS(item, memcg_stat_item, MEMCG_SOCK))
		return MEMSIGHT_CHARGE_SOCK;
	if (ITEM_IS(item, memcg_stat_item, MEMCG_VMALLOC))
		return MEMSIGHT_CHARGE_KERNEL;
	*unit = 1024;
	if (ITEM_IS(item, node_stat_item, NR_KERNEL_STACK_KB))
		return MEMSIGHT_CHARGE_KERNEL;
	*unit = 1;
	if (ITEM_IS(item, node_stat_item, NR_SLAB_RECLAIMABLE_B) ||
	    ITEM_IS(item, node_stat_item, NR_SLAB_UNRECLAIMABLE_B) ||
	    ITEM_IS(item, memcg_stat_item, MEMCG_PERCPU_B))
		return MEMSIGHT_CHARGE_KERNEL;
	return -1;
}

/* Sized by userspace before load (memsight.h: "Counting per memcg"). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MEMSIGHT_SLOTS_DEFAULT);
	__type(key, __u32);
	__type(value, struct memsight_charge_counts);
} charge_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMSIGHT_OVERFLOW_MAX);
	__type(key, __u64);
	__type(value, struct memsight_charge_counts);
} charge_overflow SEC(".maps");

static __always_inline int count_charge(struct mem_cgroup *memcg, int item, int val)
{
	struct memsight_charge_counts *c, scratch;
	__u64 unit;
	int kind = charge_kind(item, &unit);

	if (kind < 0 || !val || !memcg)
		return 0;
	c = counting_row(&charge_slots, &charge_overflow, memcg->css.id, memcg->css.serial_nr,
			 &memcg->css, &scratch, sizeof(scratch));
	if (!c)
		return 0;
	if (kind >= MEMSIGHT_CHARGE_KINDS) /* for the verifier: kind indexes two arrays */
		return 0;
	if (val > 0)
		__sync_fetch_and_add(&c->charged[kind], (__u64)val * unit);
	else
		__sync_fetch_and_add(&c->uncharged[kind], (__u64)(-(__s64)val) * unit);
	return 0;
}

SEC("tp_btf/mod_memcg_state")
int BPF_PROG(charges_memcg_state, struct mem_cgroup *memcg, int item, int val)
{
	return count_charge(memcg, item, val);
}

SEC("tp_btf/mod_memcg_lruvec_state")
int BPF_PROG(charges_lruvec_state, struct mem_cgroup *memcg, int item, int val)
{
	return count_charge(memcg, item, val);
}
