/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-version shims. Each names the change it covers; the choice is made
 * by CO-RE at load time, so one object runs on every supported kernel.
 */
#ifndef MEMSIGHT_CORE_FIXES_BPF_H
#define MEMSIGHT_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * Linux 6.15 ("kernfs: Use RCU to access kernfs_node::parent") renamed
 * kernfs_node::parent to __parent.
 */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

/* Both spellings are declared here, so any vmlinux.h (old or new) compiles this. */
struct kernfs_node___615 {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kernfs_parent_of(struct kernfs_node *kn)
{
	struct kernfs_node___pre615 *old = (void *)kn;
	struct kernfs_node___615 *new = (void *)kn;

	if (bpf_core_field_exists(old->parent))
		return BPF_CORE_READ(old, parent);
	return BPF_CORE_READ(new, __parent);
}

/*
 * Linux 6.16 ("exit: move and extend sched_process_exit() tracepoint") moved the
 * tracepoint before exit_mm() and gave it an event type of its own, with a
 * group_dead field. Before it, a task's exit tracepoint came after its mm was gone.
 */
struct trace_event_raw_sched_process_exit___616 {
	bool group_dead;
} __attribute__((preserve_access_index));

static __always_inline bool exit_tracepoint_before_exit_mm(void)
{
	return bpf_core_field_exists(
		((struct trace_event_raw_sched_process_exit___616 *)0)->group_dead);
}

/*
 * Linux 6.2 ("mm: convert mm's rss stats into percpu_counter") replaced
 * struct mm_rss_stat's atomic counters with percpu_counters. The kernel's
 * own get_mm_counter() reads the counter's global part only, and so do we:
 * the figures match what the kernel's OOM report prints.
 *
 * The counter index (MM_ANONPAGES, ...) comes from an anonymous enum, which
 * CO-RE can't relocate, so userspace looks the value up in the running
 * kernel's BTF and passes it in; the index is therefore a runtime value and
 * the address is computed from relocated offsets and sizes.
 */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

struct mm_struct___62 {
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

static __always_inline __u64 mm_counter_pages(struct mm_struct *mm, __u32 member)
{
	struct mm_struct___pre62 *old = (void *)mm;
	struct mm_struct___62 *new = (void *)mm;
	__u64 offset;
	__s64 pages = 0;

	if (member >= 4)
		return 0;
	if (bpf_core_type_exists(struct mm_rss_stat___pre62)) {
		offset = bpf_core_field_offset(old->rss_stat) +
			 member * bpf_core_type_size(atomic_long_t);
	} else {
		offset = bpf_core_field_offset(new->rss_stat) +
			 member * bpf_core_type_size(struct percpu_counter) +
			 bpf_core_field_offset(struct percpu_counter, count);
	}
	bpf_probe_read_kernel(&pages, sizeof(pages), (void *)mm + offset);
	return pages > 0 ? pages : 0;
}

/*
 * Charges without the memcg tracepoints. memcg:mod_memcg_state,
 * mod_memcg_lruvec_state and count_memcg_events are in 6.18's BTF and not in
 * 6.12's (Debian trixie), and between the two the functions they sit in
 * lost their "__" (6.18 has mod_memcg_state() and mod_memcg_lruvec_state()
 * only). Before that the functions behind them are __mod_memcg_state(memcg, idx, val)
 * and __mod_memcg_lruvec_state(lruvec, idx, val), in the BTF of 5.10, 6.1 and
 * 6.12 with those arguments, and the item numbers are the same enums the
 * tracepoints pass. What a hook on them sees (Debian's amd64 kernels, call
 * sites read from their disassembly with kallsyms):
 * - 6.1, 6.12: every update; both are only called, never inlined, and
 *   neither calls the other (6.12 made __mod_memcg_lruvec_state static;
 *   still one out-of-line copy, still in BTF).
 * - 5.10: memcontrol.c's own callers (MEMCG_SOCK, from
 *   mem_cgroup_charge_skmem) call a partial-inlining clone,
 *   __mod_memcg_state.part.0, which has no BTF: the sock kind is not seen
 *   there; per-cpu charges (pcpu_alloc) are.
 * - 6.12 made __mod_memcg_lruvec_state static: Debian's build keeps one
 *   out-of-line copy, but a build that inlines it into a caller (clang, LTO)
 *   would hide that caller's charges. Only the tests' comparison with
 *   memory.stat would show it.
 *
 * The memcg of a lruvec: mem_cgroup_per_node embeds the lruvec and points
 * back at its memcg (the kernel's own container_of). The two fields swapped
 * places between 6.1 (lruvec first) and 6.12 (memcg first), so the distance
 * is signed, from relocated offsets.
 */
static __always_inline struct mem_cgroup *lruvec_memcg(void *lruvec)
{
	long delta = (long)bpf_core_field_offset(struct mem_cgroup_per_node, memcg) -
		     (long)bpf_core_field_offset(struct mem_cgroup_per_node, lruvec);
	struct mem_cgroup *memcg = NULL;

	bpf_probe_read_kernel(&memcg, sizeof(memcg), lruvec + delta);
	return memcg;
}

/*
 * Before Linux 5.13 (2d146aa3aa84, "mm: memcontrol: switch to rstat"),
 * __mod_memcg_lruvec_state() passed every update on to
 * __mod_memcg_state(memcg, idx, val) as well, so hooks on both functions see
 * each lruvec item (idx below NR_VM_NODE_STAT_ITEMS) twice. Whether that
 * inner call reaches the hooked entry depends on the compiler (Debian's
 * 5.10 calls the .part.0 clone instead), so the __mod_memcg_state hooks drop
 * node items on every pre-rstat kernel and the lruvec hook alone counts them.
 * That commit also removed mem_cgroup_per_node::lruvec_stat_local, which is
 * what tells the layouts apart. Not covered: on those kernels CPU offline
 * (memcg_hotplug_cpu_dead) re-posts each CPU's batched memcg-only residues
 * (per-cpu, sock) through __mod_memcg_state, which then counts them again.
 */
struct mem_cgroup_per_node___pre513 {
	void *lruvec_stat_local;
} __attribute__((preserve_access_index));

static __always_inline bool memcg_state_repeats_lruvec(int item)
{
	if (!bpf_core_field_exists(struct mem_cgroup_per_node___pre513, lruvec_stat_local))
		return false;
	return item >= 0 && item < bpf_core_enum_value(enum node_stat_item, NR_VM_NODE_STAT_ITEMS);
}

#endif /* MEMSIGHT_CORE_FIXES_BPF_H */
