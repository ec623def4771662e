// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memsight profile: page faults of the profiled processes, sampled at a rate
 * capped in the kernel, with their call stacks, summed here per {process,
 * memcg, user stack, kernel stack}. Userspace reads the sums once at the end:
 * never one record per fault (only one per new process, profile_new_tgids).
 *
 * Its own object and skeleton (profile.skel.h), not part of memsight.bpf.o:
 * the agent never carries the stack map, and the profiler loads nothing else.
 *
 * Hooks, chosen by userspace from the kernel's BTF as `stream` chooses its
 * fault-sample hooks: tp_btf/page_fault_user + page_fault_kernel (x86 only),
 * else the perf software event page-faults with a perf_event program, one per
 * CPU (every arch: arm64 has no exceptions tracepoints).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memsight.h"
#include "cgroup.bpf.h"
#include "errno.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before load. */
const volatile __u64 page_size = 4096;
const volatile __u32 target_tgid = 0;	    /* --pid; 0: any process */
const volatile bool filter_cgroups = false; /* --cgroup: the memcg or an ancestor in the set */
/*
 * The rate limit. Each CPU samples one fault in sample_period (a random
 * countdown of that mean, so a workload's own rhythm can't line up with it).
 * Userspace sets the period four times a second from the node-wide count of
 * matching faults, so that all CPUs together take about --rate samples a
 * second, and one busy thread can have all of them. Every fault is equally
 * likely to be sampled, whatever came before it: a time-based limit alone
 * would favour the first fault after a pause (credit piles up while nothing
 * faults) and skew the profile towards code that runs after a sleep.
 *
 * Behind it, for a storm that starts between two updates, a token bucket per
 * CPU at twice --rate, in nanoseconds of credit: a sample costs sample_cost_ns,
 * credit accrues with time up to credit_max_ns. The hot path touches no
 * shared cache line but the period, which only userspace writes.
 */
const volatile __u64 sample_cost_ns = 0;
const volatile __u64 credit_max_ns = 0;
__u64 sample_period = 1;

/*
 * 16384 stacks of up to 127 frames: 16 MiB, locked. Two stacks hashed to one
 * bucket: the second gets -EEXIST and goes to the spill map below;
 * BPF_F_REUSE_STACKID would instead rewrite the stack of samples already
 * counted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__uint(value_size, MEMSIGHT_PROFILE_STACK_DEPTH * sizeof(__u64));
} profile_stacks SEC(".maps");

struct profile_stack {
	__u64 ips[MEMSIGHT_PROFILE_STACK_DEPTH];
};

/*
 * Stacks whose stack-map bucket held another stack. The stack map hashes with a
 * fixed seed and keeps a bucket's first stack for good, so a hot stack landing in
 * a taken bucket lost every sample of the run (a 3:1 workload measured 2.3:1).
 * Here a stack is keyed by 30 bits of a hash of memsight's own and compared
 * whole. Preallocated, as perf_event programs require: 1 MiB.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct profile_stack);
} profile_spill_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct profile_stack);
} profile_stack_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, struct memsight_profile_key);
	__type(value, struct memsight_profile_value);
} profile_counts SEC(".maps");

/* Raised by userspace each time it adds to profile_cgroups, and each second. */
__u64 cgroups_generation;

/* --cgroup: the ids of the cgroups whose path starts with the prefix (userspace). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} profile_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct memsight_profile_stats);
} profile_stats SEC(".maps");

/*
 * A process's first sample, told to userspace at once (a discrete event, one
 * per process): it reads the process's maps while the process still runs.
 * Short-lived ones would be gone by the next look at the counts.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} profile_tgids_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} profile_new_tgids SEC(".maps");

/*
 * Per CPU: the token bucket, and whether a sample is being taken. Walking a
 * user stack reads user memory without faulting it in; a frame pointer into
 * an unmapped page still raises a (kernel-mode) fault, which would run
 * profile_fault_kernel inside profile_fault_user and be counted as the
 * process's own, with no stack to show (the per-CPU callchain buffer is busy).
 */
struct profile_cpu {
	__u64 credit_ns;
	__u64 last_ns;
	__u64 sampling;
	__u64 countdown; /* faults until the next sample */
	/* --cgroup: the last memcg seen on this CPU and whether it is in the set */
	__u64 last_css;
	__u64 last_css_in;
	__u64 last_generation;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct profile_cpu);
} profile_cpus SEC(".maps");

/* How the kernel stack of a fault is taken. */
enum kernel_stack_mode {
	KSTACK_NONE, /* a user-mode fault: the kernel stack is the fault handler's, of no use */
	KSTACK_WALK, /* a kernel-mode fault (copy_to_user ...): the syscall path that faulted */
	KSTACK_TRY,  /* unknown mode (perf_event): walk it; empty means user mode */
};

/* The memcg of the task or one of its ancestors is in the --cgroup set. */
static __always_inline bool in_profiled_cgroups(struct cgroup_subsys_state *css)
{
	for (int i = 0; i < MEMSIGHT_CGROUP_LEVELS_MAX && css; i++) {
		__u64 id = css_cgroup_id(css);

		if (bpf_map_lookup_elem(&profile_cgroups, &id))
			return true;
		css = BPF_CORE_READ(css, parent);
	}
	return false;
}

/*
 * The same, remembered for the last memcg seen on the CPU (faults come in runs
 * from one task) until userspace moves cgroups_generation: when it adds to the
 * set, and once a second in any case. A css freed and its address reused by a
 * new memcg, anywhere in the hierarchy (slabs hand the last freed object out
 * first), would otherwise keep the old memcg's answer for as long as it ran
 * alone on the CPU; it keeps it at most that second.
 */
static __always_inline bool cached_in_profiled_cgroups(struct profile_cpu *cpu,
						       struct cgroup_subsys_state *css)
{
	if (cpu->last_css != (__u64)css || cpu->last_generation != cgroups_generation) {
		cpu->last_css = (__u64)css;
		cpu->last_generation = cgroups_generation;
		cpu->last_css_in = in_profiled_cgroups(css);
	}
	return cpu->last_css_in;
}

/* Whether this fault is the one in sample_period to take. */
static __always_inline bool sample_this_one(struct profile_cpu *c)
{
	__u64 period = sample_period;

	if (c->countdown > 1) {
		c->countdown--;
		return false;
	}
	/* uniform in [1, 2 period - 1]: mean period */
	c->countdown = period > 1 ? 1 + bpf_get_prandom_u32() % (2 * period - 1) : 1;
	return true;
}

/* The storm cap (see sample_cost_ns). */
static __always_inline bool take_token(struct profile_cpu *b, __u64 now)
{
	__u64 credit = b->credit_ns + (now - b->last_ns), cost = sample_cost_ns;

	if (credit > credit_max_ns || b->last_ns == 0)
		credit = credit_max_ns;
	b->last_ns = now;
	if (credit < cost) {
		b->credit_ns = credit;
		return false;
	}
	b->credit_ns = credit - cost;
	return true;
}

/* Negative stack ids are kept in the key (shown as lost stacks) and counted here. */
static __always_inline void count_user_stack_error(struct memsight_profile_stats *stats, long id)
{
	if (id == -EFAULT)
		stats->user_stack_fault++;
	else if (id == -EEXIST)
		stats->user_stack_collision++;
	else
		stats->user_stack_other++;
}

/* Whether the spill map's stack equals the one just walked. */
static __always_inline bool same_stack(const struct profile_stack *a, const struct profile_stack *b)
{
	for (int i = 0; i < MEMSIGHT_PROFILE_STACK_DEPTH; i++)
		if (a->ips[i] != b->ips[i])
			return false;
	return true;
}

/* The stack (flags: bpf_get_stack's) in the spill map: its id, or -EEXIST as before. */
static __always_inline long spill_stack(void *ctx, __u64 flags,
					struct memsight_profile_stats *stats)
{
	struct profile_stack *walked, *held;
	__u64 hash = 14695981039346656037ULL; /* FNV-1a, over whole words */
	__u32 zero = 0, id;

	walked = bpf_map_lookup_elem(&profile_stack_scratch, &zero);
	/* the kernel zeroes what the walk leaves of the buffer */
	if (!walked || bpf_get_stack(ctx, walked->ips, sizeof(walked->ips), flags) <= 0)
		return -EEXIST;
	for (int i = 0; i < MEMSIGHT_PROFILE_STACK_DEPTH; i++) {
		hash ^= walked->ips[i];
		hash *= 1099511628211ULL;
	}
	id = MEMSIGHT_PROFILE_SPILL_BASE |
	     ((__u32)(hash ^ (hash >> 32)) & (MEMSIGHT_PROFILE_SPILL_BASE - 1));
	/* BPF_NOEXIST: another CPU may have made it meanwhile; the lookup finds either */
	bpf_map_update_elem(&profile_spill_stacks, &id, walked, BPF_NOEXIST);
	held = bpf_map_lookup_elem(&profile_spill_stacks, &id);
	if (!held || !same_stack(held, walked))
		return -EEXIST; /* the spill map full, or 30 bits of hash shared */
	stats->stacks_spilled++;
	return id;
}

static __always_inline __s32 kernel_stack(void *ctx, enum kernel_stack_mode mode,
					  struct memsight_profile_stats *stats)
{
	long id;

	if (mode == KSTACK_NONE)
		return MEMSIGHT_PROFILE_NO_STACK;
	id = bpf_get_stackid(ctx, &profile_stacks, 0);
	if (id == -EEXIST)
		id = spill_stack(ctx, 0, stats);
	if (id >= 0)
		return id;
	if (mode == KSTACK_TRY && id == -EFAULT)
		return MEMSIGHT_PROFILE_NO_STACK; /* no kernel frames: the fault was in user mode */
	return id;
}

static __always_inline void add_sample(struct memsight_profile_key *key,
				       struct memsight_profile_stats *stats)
{
	struct memsight_profile_value *v = bpf_map_lookup_elem(&profile_counts, key);
	struct memsight_profile_value fresh = {};

	if (!v) {
		/* BPF_NOEXIST: another CPU may have made it meanwhile; the lookup finds either */
		bpf_map_update_elem(&profile_counts, key, &fresh, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&profile_counts, key);
		if (!v) {
			stats->map_full++;
			return;
		}
	}
	__sync_fetch_and_add(&v->samples, 1);
	__sync_fetch_and_add(&v->bytes, page_size);
}

/* A full ring loses only the hurry: userspace also looks at every key each second. */
static __always_inline void tell_new_process(__u32 tgid)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct memsight_profile_process *rec;
	__u8 one = 1;

	bpf_map_update_elem(&profile_tgids_seen, &tgid, &one, BPF_NOEXIST);
	rec = bpf_ringbuf_reserve(&profile_new_tgids, sizeof(*rec), 0);
	if (!rec)
		return;
	rec->tgid = tgid;
	rec->reserved = 0;
	BPF_CORE_READ_STR_INTO(&rec->comm, task, group_leader, comm);
	bpf_ringbuf_submit(rec, 0);
}

/*
 * The sample: the stacks walked, the key's count raised. false when the fault
 * is a probe of another tracer's stack walk (a second memsight profile, perf):
 * a kernel-mode fault always has kernel frames, and the kernel's per-CPU
 * callchain buffer is busy only inside another walk, so no kernel stack
 * (-EFAULT) there means it was no memory fault of the process's own.
 */
static __always_inline bool take_sample(void *ctx, enum kernel_stack_mode mode, __u32 tgid,
					struct cgroup_subsys_state *css,
					struct memsight_profile_stats *stats)
{
	struct memsight_profile_key key = {};
	long id;

	key.kernel_stack_id = kernel_stack(ctx, mode, stats);
	if (mode == KSTACK_WALK && key.kernel_stack_id == -EFAULT)
		return false;
	if (key.kernel_stack_id < MEMSIGHT_PROFILE_NO_STACK)
		stats->kernel_stack_failed++;
	key.tgid = tgid;
	key.cgroup_id = css_cgroup_id(css);
	id = bpf_get_stackid(ctx, &profile_stacks, BPF_F_USER_STACK);
	if (id == -EEXIST)
		id = spill_stack(ctx, BPF_F_USER_STACK, stats);
	if (id < 0)
		count_user_stack_error(stats, id);
	key.user_stack_id = id;
	add_sample(&key, stats);
	if (!bpf_map_lookup_elem(&profile_tgids_seen, &tgid))
		tell_new_process(tgid);
	return true;
}

static __always_inline int profile_fault(void *ctx, enum kernel_stack_mode mode)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	struct memsight_profile_stats *stats;
	struct cgroup_subsys_state *css;
	struct profile_cpu *cpu;

	if (target_tgid && tgid != target_tgid)
		return 0;
	stats = bpf_map_lookup_elem(&profile_stats, &zero);
	cpu = bpf_map_lookup_elem(&profile_cpus, &zero);
	if (!stats || !cpu)
		return 0;
	/*
	 * Walking a user stack reads user memory without faulting it in, but a
	 * frame pointer into an unmapped page still raises a kernel-mode fault:
	 * page_fault_kernel runs inside page_fault_user. It brings in no memory.
	 * (task->pagefault_disabled would say so, but reads non-zero in every
	 * tracepoint program here; another profiler's walks are not seen.)
	 */
	if (cpu->sampling) {
		stats->nested++;
		return 0;
	}
	css = task_memcg_css((void *)bpf_get_current_task());
	if (filter_cgroups && !cached_in_profiled_cgroups(cpu, css))
		return 0;
	stats->matched++;
	if (!sample_this_one(cpu))
		return 0;
	if (!take_token(cpu, bpf_ktime_get_ns())) {
		stats->capped++;
		return 0;
	}
	cpu->sampling = 1;
	if (take_sample(ctx, mode, tgid, css, stats)) {
		stats->sampled++;
	} else {
		stats->matched--;
		stats->nested++;
	}
	cpu->sampling = 0;
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(profile_fault_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return profile_fault(ctx, KSTACK_NONE);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(profile_fault_kernel, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return profile_fault(ctx, KSTACK_WALK);
}

SEC("perf_event")
int profile_fault_perf(struct bpf_perf_event_data *ctx)
{
	return profile_fault(ctx, KSTACK_TRY);
}
