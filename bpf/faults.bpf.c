// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Page faults per memcg, counted in the kernel; userspace reads the sums each
 * interval. Never one event per fault through the ring buffer.
 *
 * Hooks, best first (userspace picks by probe; bench/RESULTS.md has the costs):
 * - tp_btf/count_memcg_events: the memcg's own PGFAULT/PGMAJFAULT accounting
 *   (the same numbers memory.stat shows), with the memcg in hand. Newer kernels
 *   only (the memcg tracepoints are absent from Debian's 6.12 and older).
 * - fentry, else kprobe, on __count_memcg_events, the function that
 *   accounting goes through where the tracepoint is not: the same numbers.
 * - perf_event software events PAGE_FAULTS_MIN / PAGE_FAULTS_MAJ, one per CPU:
 *   every arch and kernel; the memcg is the faulting task's.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memsight.h"
#include "counting.bpf.h"

/* A memcg's fault counters: see counting_row() for the hot path. */
static __always_inline void count_fault(__u32 memcg_id, __u64 serial,
					struct cgroup_subsys_state *css, __u64 faults, __u64 major)
{
	struct memsight_memcg_counts *c = memcg_counts(memcg_id, serial, css);

	if (!c)
		return;
	if (faults)
		__sync_fetch_and_add(&c->faults, faults);
	if (major)
		__sync_fetch_and_add(&c->major, major);
}

/*
 * The memcg's own PGFAULT/PGMAJFAULT accounting (the numbers memory.stat
 * shows). trusted: memcg is a BTF pointer (tp_btf, fentry) and is loaded
 * directly; else an address (kprobe), read with CO-RE. A constant in each
 * caller: the other branch folds away.
 */
static __always_inline int count_memcg_event(struct mem_cgroup *memcg, bool trusted, int item,
					     unsigned long count)
{
	int item_pgfault = bpf_core_enum_value(enum vm_event_item, PGFAULT);
	int item_pgmajfault = bpf_core_enum_value(enum vm_event_item, PGMAJFAULT);
	__u64 faults = item == item_pgfault ? count : 0;
	__u64 major = item == item_pgmajfault ? count : 0;

	/* Every memcg event item comes here; only two are ours. */
	if (item != item_pgfault && item != item_pgmajfault)
		return 0;
	/* A major fault is counted twice by the kernel (PGFAULT and PGMAJFAULT), and so here. */
	if (trusted)
		count_fault(memcg->id.id, memcg->css.serial_nr, &memcg->css, faults, major);
	else if (memcg)
		count_fault(BPF_CORE_READ(memcg, id.id), BPF_CORE_READ(memcg, css.serial_nr),
			    &memcg->css, faults, major);
	return 0;
}

SEC("tp_btf/count_memcg_events")
int BPF_PROG(faults_memcg_events, struct mem_cgroup *memcg, int item, unsigned long count)
{
	return count_memcg_event(memcg, true, item, count);
}

/*
 * Kernels without the tracepoint: the function it was later put in,
 * __count_memcg_events(memcg, item, count), out of line in 5.10 to 6.12
 * (6.18 has count_memcg_events() and the tracepoint). Its callers pass a
 * memcg they hold. The kprobe twin only by name (--fault-hook kprobe): where
 * fentry is refused (arm64 without ftrace direct calls) auto keeps perf_event.
 */
SEC("fentry/__count_memcg_events")
int BPF_PROG(faults_memcg_events_fentry, struct mem_cgroup *memcg, int item, unsigned long count)
{
	return count_memcg_event(memcg, true, item, count);
}

SEC("kprobe/__count_memcg_events")
int BPF_KPROBE(faults_memcg_events_kprobe, struct mem_cgroup *memcg, int item, unsigned long count)
{
	return count_memcg_event(memcg, false, item, count);
}

static __always_inline int count_task_fault(bool major)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct cgroup_subsys_state *css = task_memcg_css(task);

	if (!css)
		return 0;
	count_fault(memcg_private_id(css), BPF_CORE_READ(css, serial_nr), css, 1, major);
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

/*
 * Fault samples (x86: the exceptions tracepoints carry the address and the
 * hardware error code). At most fault_samples_per_sec node-wide in every
 * wall-clock second. The second is cut into up to ten slots, each with its
 * share of the budget, so samples spread over the second in proportion to
 * who faults: a storm is sampled even when other tasks fault first. A sample
 * over the budget is only counted.
 */
const volatile __u64 fault_samples_per_sec = 0;

/* Samples on a ring of their own, so a storm of them never crowds out an OOM kill. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* one page when samples are off (loader) */
} sample_events SEC(".maps");
/*
 * CLOCK_REALTIME minus CLOCK_BOOTTIME, kept current by userspace: the slots
 * fall on wall-clock seconds, the seconds the lines' timestamps show.
 */
__s64 boot_to_realtime_ns;

/*
 * The slot and the samples taken in it, in one word so that moving to a new slot
 * and taking from it are one compare-and-swap: a separate reset could wipe out a
 * sample another CPU took in the new slot, and the slot would give one more.
 * --fault-samples is at most 100000, so a slot's budget fits the low 16 bits.
 */
#define SAMPLE_TAKEN_BITS 16
#define SAMPLE_TAKEN_MASK ((1ULL << SAMPLE_TAKEN_BITS) - 1)
#define SAMPLE_CAS_TRIES  4
__u64 sample_window;

static __always_inline bool sample_allowed(void)
{
	__u64 slots = fault_samples_per_sec < 10 ? fault_samples_per_sec : 10;
	__u64 slot_ns, slot, seen, want, budget;

	if (!slots)
		return false;
	slot_ns = 1000000000ULL / slots;
	slot = (bpf_ktime_get_boot_ns() + boot_to_realtime_ns) / slot_ns;
	/* The slots' budgets add up to exactly the rate in each second. */
	budget = fault_samples_per_sec / slots + (slot % slots < fault_samples_per_sec % slots);
	for (int i = 0; i < SAMPLE_CAS_TRIES; i++) {
		seen = sample_window;
		if (seen >> SAMPLE_TAKEN_BITS != slot)
			want = slot << SAMPLE_TAKEN_BITS | 1;
		else if ((seen & SAMPLE_TAKEN_MASK) >= budget)
			return false; /* in a storm most faults stop here, without an atomic */
		else
			want = seen + 1;
		if (__sync_val_compare_and_swap(&sample_window, seen, want) == seen)
			return true;
	}
	return false; /* lost the race to other CPUs each time: they are sampling */
}

static __always_inline int sample_fault(unsigned long address, struct pt_regs *regs,
					unsigned long error_code)
{
	struct memsight_fault_sample_record *rec;
	struct cgroup_subsys_state *css;
	__u64 pid_tgid;

	if (!sample_allowed()) {
		__sync_fetch_and_add(&counters.samples_suppressed, 1);
		return 0;
	}
	rec = bpf_ringbuf_reserve(&sample_events, sizeof(*rec), 0);
	if (!rec) {
		count_ringbuf_drop();
		return 0;
	}
	fill_record_header(&rec->hdr, MEMSIGHT_RECORD_FAULT_SAMPLE);
	pid_tgid = bpf_get_current_pid_tgid();
	rec->pid = pid_tgid >> 32;
	rec->tid = (__u32)pid_tgid;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	rec->address = address;
	rec->ip = PT_REGS_IP_CORE(regs);
	css = task_memcg_css((void *)bpf_get_current_task());
	rec->cgroup_id = css_cgroup_id(css);
	/* x86 page-fault error code: bit 0 present, 1 write, 2 user, 4 instruction fetch */
	rec->access = ((error_code & 2) ? MEMSIGHT_FAULT_WRITE : 0) |
		      ((error_code & 16) ? MEMSIGHT_FAULT_EXEC : 0) |
		      ((error_code & 4) ? MEMSIGHT_FAULT_USER : 0) |
		      ((error_code & 1) ? MEMSIGHT_FAULT_PROT : 0);
	rec->reserved = 0;
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(fault_sample_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return sample_fault(address, regs, error_code);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(fault_sample_kernel, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return sample_fault(address, regs, error_code);
}
