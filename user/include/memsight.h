/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libmemsight: memsight's events in your own program.
 *
 * memsight traces OOM kills, page faults, memory-cgroup charges and reclaim
 * stalls with eBPF and attributes them to containers. This library is the
 * agent the `memsight` CLI itself runs: open it, put memsight_fd() in your
 * poll/epoll loop (or call memsight_poll() with a timeout), and your callback
 * receives each event, decoded and attributed:
 *
 *   static void on_event(const struct memsight_event *ev, void *ctx)
 *   {
 *           if (ev->type == MEMSIGHT_EVENT_OOM_KILL)
 *                   printf("%s killed in %s\n", ev->oom_kill.victim_comm,
 *                          ev->oom_kill.container.name);
 *   }
 *
 *   struct memsight_opts opts = { .sz = sizeof(opts), .on_event = on_event };
 *   struct memsight *ms = memsight_open(&opts);
 *   if (!ms) err(1, "memsight_open");
 *   while (memsight_poll(ms, 1000) >= 0)
 *           ;
 *   memsight_close(ms);
 *
 * Build: cc app.c $(pkg-config --cflags --libs --static memsight)
 * Needs root, or CAP_BPF + CAP_PERFMON, and a kernel with BTF (5.8+).
 *
 * Events and every string they point to are valid only during the callback:
 * copy what you keep. Everything runs in the thread that calls memsight_poll();
 * the library starts no threads. The kernel side never waits for you: a
 * callback that is too slow lets the kernel's ring buffer fill, and the
 * records it could not queue are counted (agent_stats.events_lost), never
 * blocking the faulting or OOM-killing task.
 */
#ifndef LIBMEMSIGHT_H
#define LIBMEMSIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: events carry every field of their JSON line; memsight_event has no internal pointer. */
#define MEMSIGHT_API_VERSION 2

enum memsight_event_type {
	MEMSIGHT_EVENT_OOM_KILL = 1,	    /* the OOM killer chose a victim */
	MEMSIGHT_EVENT_CONTAINER_STATS = 2, /* one cgroup's figures for one interval */
	MEMSIGHT_EVENT_FAULT_SAMPLE = 3,    /* one sampled page fault (opts.fault_samples) */
	MEMSIGHT_EVENT_AGENT_STATS = 4,	    /* the agent's own figures, once per interval */
	MEMSIGHT_EVENT_CGROUP = 5,	    /* a memory cgroup came or went (opts.cgroup_events) */
};

/* Charge kinds, the index of memsight_container_stats' charged/uncharged arrays. */
enum memsight_kind {
	MEMSIGHT_KIND_ANON,
	MEMSIGHT_KIND_FILE,
	MEMSIGHT_KIND_SHMEM,
	MEMSIGHT_KIND_KERNEL, /* slab, stacks, page tables, percpu, vmalloc */
	MEMSIGHT_KIND_SOCK,
	MEMSIGHT_KINDS,
};

/* A memory cgroup: its id (the inode number of its directory) and its path. */
struct memsight_cgroup_ref {
	uint64_t id;
	const char *path; /* below the memory hierarchy's root, e.g. "/kubepods/..." */
};

/* The container of a cgroup. Strings are "" when unknown, never NULL. */
struct memsight_container {
	bool known;	     /* false: the cgroup is no container memsight recognizes */
	const char *runtime; /* "docker", "containerd", "cri-o", "podman", "systemd", "none", ... */
	const char *id;
	const char *name; /* container name (in its pod, for Kubernetes); a systemd unit */
	const char *pod;
	const char *pod_namespace; /* Kubernetes namespace ("namespace" is a C++ keyword) */
	const char *pod_uid;
	const char *qos; /* "guaranteed", "burstable", "besteffort" or "" */
	const char *image;
	bool exited;  /* its cgroup is gone already */
	bool monitor; /* CRI-O's or podman's conmon, beside the container rather than in it */
};

struct memsight_oom_kill {
	struct memsight_cgroup_ref cgroup; /* the victim's */
	struct memsight_container container;
	uint32_t victim_pid, victim_tid, victim_uid;
	int32_t victim_oom_score_adj;
	const char *victim_comm;
	bool has_rss; /* the five figures below are known */
	uint64_t rss_anon_bytes, rss_file_bytes, rss_shmem_bytes, pgtables_bytes, total_vm_bytes;
	uint32_t trigger_pid, trigger_tid;
	const char *trigger_comm;
	struct memsight_cgroup_ref trigger_cgroup;
	struct memsight_container trigger_container;
	const char *constraint; /* "memcg" (a limit was hit) or "global" (the node ran out) */
	bool has_limit;		/* false: the victim's memcg is unlimited */
	uint64_t usage_bytes, limit_bytes; /* the victim's memcg, read at the kill */
	const char
		*read_at; /* "kill", or "victim_exit" when only the victim's exit could read them */
	/* constraint "memcg": the memcg whose limit was hit (the victim's or an ancestor) */
	bool has_constraint_cgroup;
	struct memsight_cgroup_ref constraint_cgroup; /* path "" when it can't be named */
	uint64_t constraint_usage_bytes, constraint_limit_bytes;
	const char *source; /* the kernel hook that saw it */
};

/* One of the processes that faulted most in a cgroup during an interval. */
struct memsight_fault_process {
	uint32_t pid;
	const char *comm;
	uint64_t minor, major;
};

struct memsight_container_stats {
	struct memsight_cgroup_ref cgroup; /* path "" when memsight never saw it named */
	struct memsight_container container;
	uint64_t interval_ns;
	uint64_t faults_minor, faults_major;		/* in the interval */
	const char *faults_source;			/* the kernel hook that counted them */
	const struct memsight_fault_process *fault_top; /* most faulting first */
	unsigned int fault_top_count;
	bool has_usage, has_limit, has_high;
	uint64_t usage_bytes, limit_bytes, high_bytes; /* read at the end of the interval */
	bool has_charges;
	uint64_t charged_bytes[MEMSIGHT_KINDS], uncharged_bytes[MEMSIGHT_KINDS];
	const char *charge_source; /* the hooks that counted them, or "memory.stat" */
	uint64_t reclaim_count, reclaim_stall_ns;
	/* reclaim stalls by length: bucket b counts stalls of [2^b, 2^(b+1)) ns */
	const uint64_t *reclaim_histogram;
	unsigned int reclaim_buckets;
};

struct memsight_fault_sample {
	struct memsight_cgroup_ref cgroup;
	struct memsight_container container;
	uint32_t pid, tid;
	const char *comm;
	uint64_t address, ip;
	bool write, exec, user;
	bool protection; /* a protection fault (the page was there), not a missing page */
};

/* A memory cgroup made or removed (only with opts.cgroup_events). */
struct memsight_cgroup_change {
	struct memsight_cgroup_ref cgroup;
	struct memsight_container container;
	bool removed; /* false: made (or found at start) */
};

/* One of memsight's BPF programs: the kernel's run-time statistics for it. */
struct memsight_program_stats {
	const char *name;
	uint32_t id;
	uint64_t run_count, run_time_ns; /* since load; counted while kernel.bpf_stats_enabled */
};

/* Container lookups that named nothing, for one runtime and reason, since open. */
struct memsight_state_errors {
	const char *runtime; /* "docker", ... */
	const char *reason;  /* "not_found", "malformed", ... */
	uint64_t count;
};

struct memsight_agent_stats {
	uint64_t interval_ns;
	uint64_t events_received; /* records from the kernel, since open */
	uint64_t events_lost;	  /* records the kernel dropped: ring buffer full */
	uint64_t oom_kills_lost;
	uint64_t events_filtered; /* left out by opts.cgroup_prefix */
	uint64_t fault_samples_suppressed;
	uint64_t rss_bytes;
	double cpu_percent;		     /* the calling process's, 100 = one core */
	uint64_t events_lost_interval;	     /* of events_lost, those since the last agent_stats */
	uint64_t events_malformed;	     /* records of a size or type this build doesn't know */
	uint64_t cpu_user_ns, cpu_system_ns; /* the calling process's, since it started */
	uint64_t containers_cached, containers_cache_bytes;
	const struct memsight_state_errors *state_errors; /* only the non-zero ones */
	unsigned int state_error_count;
	/* the per-memcg counting tables in the kernel */
	struct memsight_counting_stats {
		uint64_t slots;		      /* per counting array */
		uint64_t slots_in_use;	      /* fault and charge arrays together */
		uint64_t slots_retired_total; /* owners removed, slots freed for reuse */
		uint64_t resyncs_total;	      /* table entries that read lower than before */
		uint64_t failed_reads_total;  /* table reads that failed (counted later) */
		uint64_t lost_total;	      /* counts lost: an overflow table was full */
	} counting;
	bool bpf_stats_enabled; /* programs' run time is only counted while it is */
	const struct memsight_program_stats *programs;
	unsigned int program_count;
};

struct memsight_event {
	enum memsight_event_type type;
	int64_t ts_ns;	  /* wall clock (CLOCK_REALTIME), ns */
	const char *node; /* opts.node */
	union {
		struct memsight_oom_kill oom_kill;
		struct memsight_container_stats container_stats;
		struct memsight_fault_sample fault_sample;
		struct memsight_agent_stats agent_stats;
		struct memsight_cgroup_change cgroup;
	};
};

struct memsight_opts {
	size_t sz; /* sizeof(struct memsight_opts): newer fields stay zero for older callers */
	const char *cgroup_prefix; /* only cgroups whose path starts with it; NULL: all */
	unsigned int interval_ms;  /* container_stats and agent_stats period; 0: 1000 */
	void (*on_event)(const struct memsight_event *ev, void *ctx);
	void *ctx;
	const char *node;	    /* NULL: $NODE_NAME, else the host name */
	const char *btf_path;	    /* NULL: /sys/kernel/btf/vmlinux */
	unsigned int fault_samples; /* fault_sample events per second, node-wide; 0: off */
	const char *host_root;	    /* the host's / when running in a container; NULL: / */
	unsigned int tombstone_ms;  /* how long exited containers stay named; 0: 300000 */
	bool skip_container_stats;  /* only OOM kills, fault samples and agent_stats */
	const char *pin_dir;	    /* see memsight_open(); NULL: no pinning */
	char *err_buf;		    /* when memsight_open() fails: why, in one line */
	size_t err_len;
	bool cgroup_events; /* MEMSIGHT_EVENT_CGROUP events too */
	/* route libbpf's messages through memsight (off stderr, reasons in err_buf) */
	bool capture_libbpf_log;
};
#define memsight_opts__last_field capture_libbpf_log

/*
 * Loads and attaches memsight's BPF programs. Returns NULL and sets errno on
 * failure (EPERM: privileges; ENOENT: no BTF; EINVAL: bad opts; ...), with
 * the reason in opts->err_buf. libbpf's print callback is the process's: it is
 * left alone unless opts->capture_libbpf_log asks memsight to take libbpf's
 * messages (kept out of stderr, the last one used in err_buf).
 *
 * pin_dir (a directory in bpffs, e.g. /sys/fs/bpf/memsight): the raw event
 * ring buffer ("events") and the counting maps are pinned there for another
 * process to read with plain libbpf; the record layout is memsight/records.h,
 * versioned by MEMSIGHT_RECORD_VERSION. A BPF ring buffer has one consumer at
 * a time, so with pin_dir memsight leaves the ring buffer to that process and
 * delivers no OOM kill or fault sample events itself. The pins are removed by
 * memsight_close().
 */
struct memsight *memsight_open(const struct memsight_opts *opts);

/*
 * Waits up to timeout_ms (0: don't wait; -1: forever) and delivers what is
 * ready. Returns the number of events delivered, or a negative errno.
 */
int memsight_poll(struct memsight *ms, int timeout_ms);

/* One file descriptor that becomes readable when memsight_poll() has work. */
int memsight_fd(const struct memsight *ms);

/* Detaches everything and frees ms (NULL is fine). */
void memsight_close(struct memsight *ms);

/*
 * ev as the JSON line `memsight stream` prints for it (no newline),
 * NUL-terminated in buf. Made from ev's fields alone: an event filled in by
 * hand gets the same line. Returns its length, or -ENOSPC if buf is too small
 * (len must exceed the line's length), or -EINVAL (no ev, or a type this
 * build doesn't know). A cgroup path of "" is written as null; the
 * "container" object is written when the cgroup path is known.
 */
int memsight_event_json(const struct memsight_event *ev, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LIBMEMSIGHT_H */
