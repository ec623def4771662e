/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by memsight's BPF programs and its userspace.
 *
 * Everything that crosses the ring buffer or a map is defined here, with
 * fixed-width fields only, so both sides agree on the layout by construction.
 * Record layout version: MEMSIGHT_RECORD_VERSION; bump it on any change that
 * moves or resizes a field.
 */
#ifndef MEMSIGHT_H
#define MEMSIGHT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MEMSIGHT_RECORD_VERSION 1

/* Task names: the kernel's TASK_COMM_LEN. */
#define MEMSIGHT_COMM_LEN 16
/*
 * Cgroup paths are captured in the kernel at event time, one kernfs name per
 * level, because the cgroup of an OOM victim is often removed before
 * userspace could look it up. NAME_MAX (255) plus the terminating NUL fits
 * any cgroup name whole; deeper paths keep their lowest levels.
 */
#define MEMSIGHT_CGROUP_NAME_LEN   256
#define MEMSIGHT_CGROUP_LEVELS_MAX 16

/* Ring buffer records, identified by the first field of their header. */
enum memsight_record_type {
	MEMSIGHT_RECORD_OOM_KILL = 1,
	MEMSIGHT_RECORD_CGROUP = 2,
	MEMSIGHT_RECORD_FAULT_SAMPLE = 3,
};

/* What happened to a memory cgroup. */
enum memsight_cgroup_event {
	MEMSIGHT_CGROUP_MKDIR = 1,
	MEMSIGHT_CGROUP_RMDIR = 2,
};

/* How the OOM killer was constrained (see oom.bpf.c for how it is decided). */
enum memsight_oom_constraint {
	MEMSIGHT_OOM_CONSTRAINT_GLOBAL = 0,
	MEMSIGHT_OOM_CONSTRAINT_MEMCG = 1,
};

/* Which hook produced an OOM record. */
enum memsight_oom_source {
	/* tp_btf/mark_victim: everything read at the moment of the kill */
	MEMSIGHT_OOM_SOURCE_TP_BTF = 1,
	/*
	 * tracepoint/oom/mark_victim completed at the victim's exit: the
	 * victim's memcg is only reachable once the victim itself runs.
	 */
	MEMSIGHT_OOM_SOURCE_TRACEPOINT = 2,
	/* fentry/mark_oom_victim: as tp_btf, for kernels whose tracepoint has only the pid */
	MEMSIGHT_OOM_SOURCE_FENTRY = 3,
};

/* Bits of memsight_oom_record.flags */
#define MEMSIGHT_OOM_HAS_RSS		  (1U << 0) /* rss/pgtables/total_vm are known */
#define MEMSIGHT_OOM_VICTIM_MEMCG_AT_EXIT (1U << 1) /* victim memcg read at its exit */
#define MEMSIGHT_OOM_MEMCG_UNLIMITED	  (1U << 2) /* victim memcg has no limit */

/* A cgroup as captured in the kernel: its id and its path, leaf first. */
struct memsight_cgroup {
	__u64 id;    /* kernfs id == inode number of the cgroup directory */
	__u32 level; /* depth below the hierarchy root (root is 0) */
	__u32 depth; /* names captured; less than level when truncated */
	char names[MEMSIGHT_CGROUP_LEVELS_MAX][MEMSIGHT_CGROUP_NAME_LEN];
};

struct memsight_record_header {
	__u32 type;    /* enum memsight_record_type */
	__u32 version; /* MEMSIGHT_RECORD_VERSION */
	__u64 boot_ns; /* CLOCK_BOOTTIME of the event */
};

/*
 * One process of a memcg, as the OOM task iterator (oom_tasks) writes it:
 * what the kernel's OOM task dump lists for it.
 */
struct memsight_task_record {
	__u32 pid;
	__s32 oom_score_adj;
	__u64 rss_pages;  /* anon + file + shmem, as get_mm_rss() counts */
	__u64 anon_pages; /* of those, anonymous: what a leak grows */
	char comm[MEMSIGHT_COMM_LEN];
};

struct memsight_oom_record {
	struct memsight_record_header hdr;

	/* The task the OOM killer chose. */
	__u32 victim_pid; /* thread group id (the process id users see) */
	__u32 victim_tid; /* the thread the kernel marked */
	__u32 victim_uid; /* real uid in the initial user namespace */
	__s32 victim_oom_score_adj;
	char victim_comm[MEMSIGHT_COMM_LEN];
	__u64 rss_anon_bytes;
	__u64 rss_file_bytes;
	__u64 rss_shmem_bytes;
	__u64 pgtables_bytes;
	__u64 total_vm_bytes;

	/* The task whose allocation invoked the OOM killer. */
	__u32 trigger_pid;
	__u32 trigger_tid;
	char trigger_comm[MEMSIGHT_COMM_LEN];

	/* The victim's memcg page counter (bytes). */
	__u64 memcg_usage_bytes;
	__u64 memcg_limit_bytes;

	/*
	 * For MEMCG constraints: the memcg whose limit was hit, an ancestor
	 * (or self, at distance 0) of the victim's memcg.
	 */
	__u32 constraint;	   /* enum memsight_oom_constraint */
	__u32 constraint_distance; /* levels above the victim's memcg */
	__u64 constraint_cgroup_id;
	__u64 constraint_usage_bytes;
	__u64 constraint_limit_bytes;

	__u32 source; /* enum memsight_oom_source */
	__u32 flags;  /* MEMSIGHT_OOM_* bits */

	struct memsight_cgroup victim_cgroup;
	struct memsight_cgroup trigger_cgroup;
};

/* A memory cgroup was made or removed: containers start and end with one. */
struct memsight_cgroup_record {
	struct memsight_record_header hdr;
	__u32 event;	/* enum memsight_cgroup_event */
	__u32 memcg_id; /* memcg->id.id: the index of its counting slots */
	struct memsight_cgroup cgroup;
};

/*
 * Counting per memcg (faults and charges, in one row per memcg). Every
 * counting map is shared by all CPUs and updated with atomic adds, so its
 * memory does not grow with the CPU count:
 * - a slot array indexed by the memcg's own small id (memcg->id.id, 1..65535,
 *   unique among live memcgs and handed out lowest first), each slot starting
 *   with its owner's cgroup id. The array is memory-mapped: userspace drains a
 *   slot by atomic exchange (read and reset), so no delta is ever taken across
 *   two owners of a slot;
 * - an overflow hash keyed by cgroup id for a memcg whose slot is held by
 *   another (a removed memcg's slot not yet released), whose id is past the
 *   array, or which has no id any more (a dying memcg: the kernel zeroes
 *   id.id when it releases the id). Its values only grow; userspace takes
 *   deltas per key (a key is never reused) and deletes the entries of removed
 *   cgroups.
 * A slot's owner word goes 0 -> cgroup id (claimed by the BPF side) ->
 * MEMSIGHT_SLOT_RETIRING (userspace: the owner was removed; new events of
 * either memcg go to the overflow hash) -> 0 one interval later, after
 * userspace has drained what was counted before the retirement. Its tag word
 * holds the owner css's serial number (never reused, in the memcg itself), so
 * the hot path recognises its slot with one load instead of three (memcg ->
 * cgroup -> kernfs node -> id); userspace clears it when it retires a slot.
 */
#define MEMSIGHT_SLOTS_DEFAULT 4096
#define MEMSIGHT_SLOTS_MAX     65536 /* memcg ids are 16 bits */
#define MEMSIGHT_OVERFLOW_MAX  8192
#define MEMSIGHT_SLOT_RETIRING (~0ULL) /* never a cgroup id */

enum memsight_charge_kind {
	MEMSIGHT_CHARGE_ANON,
	MEMSIGHT_CHARGE_FILE,
	MEMSIGHT_CHARGE_SHMEM,
	MEMSIGHT_CHARGE_KERNEL, /* slab, stacks, page tables, percpu, vmalloc */
	MEMSIGHT_CHARGE_SOCK,
	MEMSIGHT_CHARGE_KINDS,
};

#define MEMSIGHT_STAT_ITEMS_MAX 128

/*
 * A memcg's faults and charges, one row of the slot layout for both: a fault
 * touches one line of memsight's memory, where its count and its anon charge
 * sit together (the row's first 64 bytes), not a line in each of two maps.
 * Charges per kind are bytes charged (positive deltas of the memcg stat items)
 * and uncharged (negative); the item numbers and units are resolved from
 * kernel BTF by name and handed to the BPF side as a table
 * (MEMSIGHT_STAT_ITEMS_MAX items). A family not counted leaves its words zero.
 */
struct memsight_memcg_counts {
	__u64 cgroup_id; /* a slot's owner; an overflow entry's own key */
	__u64 tag;	 /* a slot's owner's css serial number; 0 in the overflow hash */
	__u64 faults;	 /* all faults, as memory.stat pgfault counts them */
	__u64 major;	 /* the major ones among them (pgmajfault) */
	__u64 charged[MEMSIGHT_CHARGE_KINDS];	/* bytes, anon first */
	__u64 uncharged[MEMSIGHT_CHARGE_KINDS]; /* bytes */
	__u64 spare[2];				/* never written: rows fill whole lines */
};

_Static_assert(sizeof(struct memsight_memcg_counts) == 128, "a row is two cache lines");

/* Reclaim stalls per memcg (of the stalled task): count, time, log2 histogram of ns. */
#define MEMSIGHT_RECLAIM_BUCKETS 32

struct memsight_reclaim_counts {
	__u64 count;
	__u64 stall_ns;
	__u64 hist[MEMSIGHT_RECLAIM_BUCKETS]; /* bucket b: stalls of [2^b, 2^(b+1)) ns */
};

/* Bits of memsight_fault_sample_record.access */
#define MEMSIGHT_FAULT_WRITE (1U << 0)
#define MEMSIGHT_FAULT_EXEC  (1U << 1) /* instruction fetch */
#define MEMSIGHT_FAULT_USER  (1U << 2) /* the faulting access came from user mode */
#define MEMSIGHT_FAULT_PROT  (1U << 3) /* page present: a protection fault */

/* One sampled fault: where a process is faulting (--fault-samples). */
struct memsight_fault_sample_record {
	struct memsight_record_header hdr;
	__u32 pid;
	__u32 tid;
	char comm[MEMSIGHT_COMM_LEN];
	__u64 address;
	__u64 ip;
	__u64 cgroup_id;
	__u32 access; /* MEMSIGHT_FAULT_* */
	__u32 reserved;
};

/*
 * One memcg's gauges, as the memcg iterator (gauges.bpf.c) writes them to the
 * memcg_gauges array each time userspace reads it: every memcg of the
 * hierarchy in one read instead of two or three cgroupfs files per memcg.
 * usage and limit are the memory page counter's, as memory.current/max (v2)
 * and memory.usage_in_bytes/limit_in_bytes (v1) show them; inactive_file is
 * the hierarchical figure of memory.stat (v1 total_inactive_file), as last
 * flushed by the kernel's rstat (at most about 2 s old: see gauges.bpf.c).
 */
#define MEMSIGHT_GAUGE_LIMITED	     (1U << 0) /* limit_bytes is a limit (else none) */
#define MEMSIGHT_GAUGE_HIGH	     (1U << 1) /* high_bytes is set (v2 memory.high) */
#define MEMSIGHT_GAUGE_INACTIVE_FILE (1U << 2) /* inactive_file_bytes could be read */

struct memsight_memcg_gauges {
	__u64 cgroup_id;
	__u64 usage_bytes;
	__u64 limit_bytes;
	__u64 high_bytes;
	__u64 inactive_file_bytes;
	__u32 flags; /* MEMSIGHT_GAUGE_* */
	__u32 reserved;
};

/*
 * memsight profile: page faults sampled with their call stacks and summed in
 * the kernel per {process, memcg, user stack, kernel stack} (profile.bpf.c).
 * A stack id is an index into the profile's stack-trace map, from
 * MEMSIGHT_PROFILE_SPILL_BASE up a key of its spill map, or negative: no such
 * stack (MEMSIGHT_PROFILE_NO_STACK) or the walk failed (-errno).
 */
#define MEMSIGHT_PROFILE_STACK_DEPTH 127 /* the kernel's PERF_MAX_STACK_DEPTH */
#define MEMSIGHT_PROFILE_NO_STACK    (-1)
/* Ids from here up name a stack in the spill map, not the stack-trace map. */
#define MEMSIGHT_PROFILE_SPILL_BASE 0x40000000

struct memsight_profile_key {
	__u32 tgid;
	__s32 user_stack_id;
	__u64 cgroup_id; /* the faulting task's memcg */
	__s32 kernel_stack_id;
	__u32 reserved;
};

struct memsight_profile_value {
	__u64 samples;
	__u64 bytes; /* page size per sampled fault */
};

/* A process's first sample (profile_new_tgids): its maps are read at once. */
struct memsight_profile_process {
	__u32 tgid;
	__u32 reserved;
	char comm[MEMSIGHT_COMM_LEN]; /* the process's (its leader's), not the thread's */
};

/* Per CPU; userspace sums the CPUs. */
struct memsight_profile_stats {
	__u64 matched;		    /* faults of the profiled processes, sampled or not */
	__u64 sampled;		    /* of those, taken within the --rate budget */
	__u64 capped;		    /* due for a sample, refused by the hard cap (a storm) */
	__u64 user_stack_fault;	    /* -EFAULT: no user stack at all (no frame could be read) */
	__u64 user_stack_collision; /* -EEXIST: the stack map's bucket held another stack */
	__u64 user_stack_other;	    /* any other error (-ENOMEM ...) */
	__u64 kernel_stack_failed;  /* a kernel-mode fault whose kernel stack was lost */
	__u64 map_full;		    /* samples lost: the stack-count hash was full */
	__u64 nested;		    /* faults raised by the stack walk itself, not counted */
	__u64 stacks_spilled;	    /* stacks kept in the spill map: their bucket was taken */
};

/* Counters kept by the BPF side, read by userspace each interval. */
struct memsight_bpf_counters {
	__u64 ringbuf_drops;	    /* records lost: a ring buffer full (all rings) */
	__u64 oom_ringbuf_drops;    /* OOM kill records among them */
	__u64 cgroup_ringbuf_drops; /* cgroup records among them: names to recover */
	__u64 oom_pending_drops;    /* tracepoint mode: kills lost, too many victims pending */
	__u64 samples_suppressed;   /* fault samples over the --fault-samples rate */
	__u64 overflow_full;	    /* counts lost: an overflow hash was full */
};

#endif /* MEMSIGHT_H */
