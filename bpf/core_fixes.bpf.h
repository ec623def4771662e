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

#endif /* MEMSIGHT_CORE_FIXES_BPF_H */
