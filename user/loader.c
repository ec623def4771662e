// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_info.h"
#include "clock.h"
#include "count_maps.h"
#include "loader.h"
#include "log.h"
#include "memsight.skel.h"

/* Victims awaiting their exit in tracepoint mode; more at once means a kill storm. */
#define OOM_PENDING_MAX 64

/* How faults are counted, best first (see faults.bpf.c). */
enum fault_mode {
	FAULT_MODE_MEMCG_EVENTS,
	FAULT_MODE_PERF,
	FAULT_MODE_NONE,
};

struct loader {
	struct memsight_bpf *skel;
	struct bpf_link **perf_links; /* fault counting by perf_event: two per CPU */
	int perf_link_count;
	enum fault_mode fault_mode;
	bool cgroup_events;
	bool charges;	       /* memcg stat tracepoints attached */
	char samples_err[512]; /* why --fault-samples could not be served */
	bool reclaim;
	struct ring_buffer *rb_events;	/* OOM kills (unless left to another reader), samples */
	struct ring_buffer *rb_cgroups; /* cgroup records */
	int epfd;			/* both of them */
	int stats_fd;
	loader_record_fn on_record;
	void *ctx;
	struct loader_report report;
	struct loader_counts {
		struct count_source source;
		struct count_table table;
	} counts[COUNT_FAMILIES];
};

/* libbpf's own error codes (e.g. 4001, malformed ELF/BTF) are not errno values. */
static const char *error_text(int err)
{
	static char text[128];

	/* ENOTSUPP (524) is kernel-internal: libc has no name for it. */
	if (err == -524)
		return "not supported by this kernel (ENOTSUPP)";
	libbpf_strerror(err, text, sizeof(text));
	return text;
}

/* Whether a seccomp filter confines this process (Seccomp: 2 in /proc/self/status). */
static bool seccomp_filtered(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int mode = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	if (f)
		fclose(f);
	return mode == 2;
}

static int ringbuf_sample(void *ctx, void *data, size_t size)
{
	struct loader *loader = ctx;

	return loader->on_record(loader->ctx, data, size);
}

/* Classic tracepoints are attached through tracefs; mount it if nobody has. */
static int ensure_tracefs(char *err, size_t err_len)
{
	if (!access("/sys/kernel/tracing/events", R_OK) ||
	    !access("/sys/kernel/debug/tracing/events", R_OK))
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY) {
		int ret = -errno;

		snprintf(err, err_len,
			 "tracefs is not mounted and mounting it failed: %s (mount -t tracefs "
			 "tracefs /sys/kernel/tracing)",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

static int set_rodata(struct memsight_bpf *skel, const struct btf *btf, char *err, size_t err_len)
{
	static const char *const mm_counter_names[] = {
		"MM_FILEPAGES",
		"MM_ANONPAGES",
		"MM_SHMEMPAGES",
	};
	volatile __u32 *slots[] = {
		(volatile __u32 *)&skel->rodata->mm_filepages,
		(volatile __u32 *)&skel->rodata->mm_anonpages,
		(volatile __u32 *)&skel->rodata->mm_shmempages,
	};
	long page_size = sysconf(_SC_PAGESIZE);

	*(volatile __u64 *)&skel->rodata->page_size = page_size;
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		int64_t value;

		if (btf_info_enum_value(btf, mm_counter_names[i], &value) || value < 0 ||
		    value > 3) {
			snprintf(err, err_len, "kernel BTF lacks a usable %s enumerator",
				 mm_counter_names[i]);
			return -ENOENT;
		}
		*slots[i] = (__u32)value;
	}
	return 0;
}

/*
 * The OOM hooks, best first. tp_btf and fentry read the victim's task at the
 * kill; the classic tracepoint is completed at the victim's exit.
 */
enum oom_mode {
	OOM_MODE_TP_BTF,
	OOM_MODE_FENTRY,
	OOM_MODE_TRACEPOINT,
	OOM_MODE_COUNT,
};

static const struct {
	enum oom_hook option; /* --oom-hook value that forces it */
	const char *hook;
	const char *how;
} oom_modes[OOM_MODE_COUNT] = {
	[OOM_MODE_TP_BTF] = { OOM_HOOK_TP_BTF, "tp_btf/mark_victim",
			      "victim task read at the moment of the kill" },
	[OOM_MODE_FENTRY] = { OOM_HOOK_FENTRY, "fentry/mark_oom_victim",
			      "victim task read at the moment of the kill" },
	[OOM_MODE_TRACEPOINT] = { OOM_HOOK_TRACEPOINT,
				  "tracepoint/oom/mark_victim + "
				  "tracepoint/sched/sched_process_exit",
				  "victim's memcg read at its exit" },
};

static const char *const fault_hooks[] = {
	[FAULT_MODE_MEMCG_EVENTS] = "tp_btf/count_memcg_events",
	[FAULT_MODE_PERF] = "perf_event/page-faults-min+maj (per CPU)",
	[FAULT_MODE_NONE] = NULL,
};

static int perf_event_open_on(__u64 config, int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = config,
		.sample_period = 1, /* every fault runs the program, which only adds */
	};

	return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* perf_event programs have no auto-attach: one event per CPU and kind. */
static int attach_perf_faults(struct loader *loader, char *err, size_t err_len)
{
	int cpus = libbpf_num_possible_cpus(), n = 0;

	if (cpus <= 0) {
		snprintf(err, err_len, "can't count CPUs: %s", error_text(cpus));
		return cpus ? cpus : -EINVAL;
	}
	loader->perf_links = calloc((size_t)cpus * 2, sizeof(*loader->perf_links));
	if (!loader->perf_links)
		return -ENOMEM;
	for (int cpu = 0; cpu < cpus; cpu++) {
		for (int major = 0; major < 2; major++) {
			struct bpf_program *prog = major ? loader->skel->progs.faults_perf_major
							 : loader->skel->progs.faults_perf_minor;
			int fd = perf_event_open_on(major ? PERF_COUNT_SW_PAGE_FAULTS_MAJ
							  : PERF_COUNT_SW_PAGE_FAULTS_MIN,
						    cpu);
			struct bpf_link *link;

			if (fd < 0) {
				if (errno == ENODEV)
					continue; /* a possible CPU that is not online */
				snprintf(err, err_len, "perf_event_open(page faults, cpu %d): %s",
					 cpu, strerror(errno));
				return -errno;
			}
			link = bpf_program__attach_perf_event(prog, fd);
			if (!link) {
				int ret = -errno;

				close(fd);
				snprintf(err, err_len, "can't attach to page-fault events: %s",
					 error_text(ret));
				return ret;
			}
			loader->perf_links[n++] = link;
			loader->perf_link_count = n;
		}
	}
	return 0;
}

static void detach_perf_faults(struct loader *loader)
{
	for (int i = 0; i < loader->perf_link_count; i++)
		bpf_link__destroy(loader->perf_links[i]);
	free(loader->perf_links);
	loader->perf_links = NULL;
	loader->perf_link_count = 0;
}

/* Why a mode can't work on this kernel, before trying it; "" when it may. */
static void oom_mode_precheck(enum oom_mode mode, const struct btf *btf, char *why, size_t len)
{
	bool kernel_btf = !access("/sys/kernel/btf/vmlinux", R_OK);

	why[0] = '\0';
	switch (mode) {
	case OOM_MODE_TP_BTF:
		/* --btf serves CO-RE only; attaching tp_btf needs the kernel's own BTF. */
		if (!kernel_btf)
			snprintf(why, len, "needs the kernel's own BTF (/sys/kernel/btf/vmlinux)");
		else if (btf_info_tp_first_arg_is(btf, "mark_victim", "task_struct") != 1)
			snprintf(
				why, len,
				"mark_victim passes only the victim's pid on this kernel (the task "
				"argument came in 2024)");
		break;
	case OOM_MODE_FENTRY:
		if (!kernel_btf)
			snprintf(why, len, "needs the kernel's own BTF (/sys/kernel/btf/vmlinux)");
		else if (!btf_info_has_func(btf, "mark_oom_victim"))
			snprintf(why, len, "mark_oom_victim is not a traceable function here");
		break;
	default:
		break;
	}
}

/*
 * The memcg stat items memsight reports, by name: their numbers differ between
 * kernels, and the name says the unit (_B bytes, _KB KiB, otherwise pages).
 */
static const struct {
	const char *name;
	enum memsight_charge_kind kind;
} charge_items[] = {
	{ "NR_ANON_MAPPED", MEMSIGHT_CHARGE_ANON },
	{ "NR_FILE_PAGES", MEMSIGHT_CHARGE_FILE },
	{ "NR_SHMEM", MEMSIGHT_CHARGE_SHMEM },
	{ "NR_SLAB_RECLAIMABLE_B", MEMSIGHT_CHARGE_KERNEL },
	{ "NR_SLAB_UNRECLAIMABLE_B", MEMSIGHT_CHARGE_KERNEL },
	{ "NR_KERNEL_STACK_KB", MEMSIGHT_CHARGE_KERNEL },
	{ "NR_PAGETABLE", MEMSIGHT_CHARGE_KERNEL },
	{ "NR_SECONDARY_PAGETABLE", MEMSIGHT_CHARGE_KERNEL },
	{ "MEMCG_PERCPU_B", MEMSIGHT_CHARGE_KERNEL },
	{ "MEMCG_VMALLOC", MEMSIGHT_CHARGE_KERNEL },
	{ "MEMCG_SOCK", MEMSIGHT_CHARGE_SOCK },
};

static void set_charge_items(struct memsight_bpf *skel, const struct btf *btf)
{
	long page_size = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < sizeof(charge_items) / sizeof(charge_items[0]); i++) {
		const char *name = charge_items[i].name;
		size_t n = strlen(name);
		int64_t item;
		__u32 unit;

		if (btf_info_enum_value(btf, name, &item) || item < 0 ||
		    item >= MEMSIGHT_STAT_ITEMS_MAX)
			continue; /* not on this kernel: that part of the kind is not counted */
		unit = n > 2 && !strcmp(name + n - 2, "_B")    ? 1
		       : n > 3 && !strcmp(name + n - 3, "_KB") ? 1024
							       : (__u32)page_size;
		*(volatile __u8 *)&skel->rodata->item_kind[item] = charge_items[i].kind + 1;
		*(volatile __u32 *)&skel->rodata->item_unit[item] = unit;
	}
}

static int open_load_attach(struct loader *loader, const struct loader_opts *opts,
			    const struct btf *btf, enum oom_mode mode, bool cgroup_events,
			    enum fault_mode faults, bool extras, bool samples, char *err,
			    size_t err_len)
{
	/*
	 * Name vmlinux's BTF even when it is the default: libbpf 1.1 otherwise also
	 * searches kernel modules' BTF for a type CO-RE can't find (the pre-6.2
	 * rss_stat shim), and listing them needs CAP_SYS_ADMIN, which a container
	 * with only CAP_BPF + CAP_PERFMON lacks: the load would fail outright.
	 */
	const char *btf_path = opts->btf_path ? opts->btf_path
			       : !access("/sys/kernel/btf/vmlinux", R_OK)
				       ? "/sys/kernel/btf/vmlinux"
				       : NULL;
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = btf_path);
	uint32_t slots = count_slots_wanted();
	struct memsight_bpf *skel;
	int ret;

	log_clear_libbpf_warning();
	skel = memsight_bpf__open_opts(&open_opts);
	if (!skel) {
		ret = -errno;
		snprintf(err, err_len, "can't open BPF object: %s", error_text(ret));
		return ret;
	}
	ret = set_rodata(skel, btf, err, err_len);
	if (ret)
		goto fail;
	bpf_program__set_autoload(skel->progs.oom_mark_victim_btf, mode == OOM_MODE_TP_BTF);
	bpf_program__set_autoload(skel->progs.oom_mark_victim_fentry, mode == OOM_MODE_FENTRY);
	bpf_program__set_autoload(skel->progs.oom_mark_victim_tp, mode == OOM_MODE_TRACEPOINT);
	bpf_program__set_autoload(skel->progs.oom_victim_exit_tp, mode == OOM_MODE_TRACEPOINT);
	bpf_program__set_autoload(skel->progs.cgroup_mkdir_btf, cgroup_events);
	bpf_program__set_autoload(skel->progs.cgroup_rmdir_btf, cgroup_events);
	bpf_program__set_autoload(skel->progs.faults_memcg_events,
				  faults == FAULT_MODE_MEMCG_EVENTS);
	bpf_program__set_autoload(skel->progs.faults_perf_minor, faults == FAULT_MODE_PERF);
	bpf_program__set_autoload(skel->progs.faults_perf_major, faults == FAULT_MODE_PERF);
	bpf_program__set_autoload(skel->progs.fault_sample_user, samples);
	bpf_program__set_autoload(skel->progs.fault_sample_kernel, samples);
	*(volatile __u64 *)&skel->rodata->fault_samples_per_sec = opts->fault_samples;
	/* Charges need the memcg stat tracepoints (newer kernels); reclaim is everywhere. */
	bool charges = extras && btf__find_by_name_kind(btf, "btf_trace_mod_memcg_state",
							BTF_KIND_TYPEDEF) > 0;
	bpf_program__set_autoload(skel->progs.charges_memcg_state, charges);
	bpf_program__set_autoload(skel->progs.charges_lruvec_state, charges);
	bpf_program__set_autoload(skel->progs.reclaim_memcg_begin, extras);
	bpf_program__set_autoload(skel->progs.reclaim_memcg_end, extras);
	bpf_program__set_autoload(skel->progs.reclaim_direct_begin, extras);
	bpf_program__set_autoload(skel->progs.reclaim_direct_end, extras);
	if (charges)
		set_charge_items(skel, btf);
	if (!samples) /* a ring buffer is at least a page */
		bpf_map__set_max_entries(skel->maps.sample_events, sysconf(_SC_PAGESIZE));
	bpf_map__set_max_entries(skel->maps.fault_slots, slots);
	bpf_map__set_max_entries(skel->maps.charge_slots, slots);
	/* The pending table is only used in tracepoint mode; keep it tiny otherwise. */
	bpf_map__set_max_entries(skel->maps.oom_pending,
				 mode == OOM_MODE_TRACEPOINT ? OOM_PENDING_MAX : 1);

	ret = memsight_bpf__load(skel);
	if (ret) {
		snprintf(err, err_len, "can't load BPF programs: %s%s%s", error_text(ret),
			 log_last_libbpf_warning()[0] ? ": " : "", log_last_libbpf_warning());
		goto fail;
	}
	ret = memsight_bpf__attach(skel);
	if (ret) {
		snprintf(err, err_len, "can't attach BPF programs: %s%s%s", error_text(ret),
			 log_last_libbpf_warning()[0] ? ": " : "", log_last_libbpf_warning());
		goto fail;
	}
	loader->skel = skel;
	if (faults == FAULT_MODE_PERF) {
		ret = attach_perf_faults(loader, err, err_len);
		if (ret) {
			detach_perf_faults(loader);
			loader->skel = NULL;
			goto fail;
		}
	}
	return 0;
fail:
	memsight_bpf__destroy(skel);
	return ret;
}

/*
 * Everything at once, then without what failed: the OOM hook is what must
 * work; page faults and the cgroup lifecycle degrade (reported, with why).
 */
static int attach_all(struct loader *loader, const struct loader_opts *opts, const struct btf *btf,
		      enum oom_mode mode, char *extras_err, size_t extras_err_len, char *err,
		      size_t err_len)
{
	bool memcg_events =
		btf__find_by_name_kind(btf, "btf_trace_count_memcg_events", BTF_KIND_TYPEDEF) > 0;
	enum fault_mode best = memcg_events ? FAULT_MODE_MEMCG_EVENTS : FAULT_MODE_PERF;
	const struct {
		bool cgroup_events;
		enum fault_mode faults;
		bool extras; /* charges and reclaim */
	} tries[] = {
		{ true, best, true },
		{ true, FAULT_MODE_PERF, true },
		{ true, best, false },
		{ true, FAULT_MODE_NONE, false },
		{ false, FAULT_MODE_NONE, false },
	};
	size_t used = 0;
	int ret = -EINVAL;

	extras_err[0] = '\0';
	/*
	 * Samples are opt-in and x86 only (other arches have no exceptions
	 * tracepoints); tried once with the best set, then left out with the reason.
	 */
	if (opts->fault_samples &&
	    btf__find_by_name_kind(btf, "btf_trace_page_fault_user", BTF_KIND_TYPEDEF) > 0) {
		/* samples come with the fault hook asked for, not always the best one */
		enum fault_mode with = opts->fault_hook == FAULT_HOOK_TP_BTF
					       ? FAULT_MODE_MEMCG_EVENTS
				       : opts->fault_hook == FAULT_HOOK_PERF_EVENT ? FAULT_MODE_PERF
				       : opts->fault_hook == FAULT_HOOK_OFF	   ? FAULT_MODE_NONE
										   : best;

		if (!open_load_attach(loader, opts, btf, mode, true, with, true, true, err,
				      err_len)) {
			loader->fault_mode = with;
			loader->cgroup_events = true;
			loader->charges = loader->skel->links.charges_memcg_state != NULL;
			loader->reclaim = loader->skel->links.reclaim_memcg_end != NULL;
			return 0;
		}
		/* The rate limiter's atomic fetch-and-add and compare-and-swap need 5.12. */
		snprintf(loader->samples_err, sizeof(loader->samples_err),
			 "%s (the in-kernel rate limit needs BPF atomics, Linux 5.12 or later)",
			 err);
	}
	if (opts->fault_hook == FAULT_HOOK_OFF)
		used += snprintf(extras_err, extras_err_len, "turned off with --fault-hook off; ");
	else if (!memcg_events)
		used += snprintf(extras_err, extras_err_len,
				 "%s: no memcg:count_memcg_events tracepoint on this kernel; ",
				 fault_hooks[FAULT_MODE_MEMCG_EVENTS]);
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		enum fault_mode faults = tries[i].faults;

		if (i > 0 && tries[i].cgroup_events == tries[i - 1].cgroup_events &&
		    faults == tries[i - 1].faults && tries[i].extras == tries[i - 1].extras)
			continue;
		/* A hook asked for by name is tried alone: no quiet fallback. */
		if ((opts->fault_hook == FAULT_HOOK_TP_BTF && faults != FAULT_MODE_MEMCG_EVENTS) ||
		    (opts->fault_hook == FAULT_HOOK_PERF_EVENT && faults != FAULT_MODE_PERF) ||
		    (opts->fault_hook == FAULT_HOOK_OFF && faults != FAULT_MODE_NONE))
			continue;
		ret = open_load_attach(loader, opts, btf, mode, tries[i].cgroup_events,
				       tries[i].faults, tries[i].extras, false, err, err_len);
		if (!ret) {
			loader->fault_mode = tries[i].faults;
			loader->cgroup_events = tries[i].cgroup_events;
			loader->charges = loader->skel->links.charges_memcg_state != NULL;
			loader->reclaim = loader->skel->links.reclaim_memcg_end != NULL;
			return 0;
		}
		if (used < extras_err_len)
			used += snprintf(extras_err + used, extras_err_len - used, "%s%s; ",
					 fault_hooks[tries[i].faults] ? fault_hooks[tries[i].faults]
								      : "without faults",
					 err[0] ? "" : "");
		if (used < extras_err_len)
			used += snprintf(extras_err + used, extras_err_len - used, "(%s) ", err);
	}
	return ret;
}

static void report_hook(struct loader *loader, const char *feature, const char *hook, bool fallback,
			const char *reason)
{
	struct hook_report *h = &loader->report.hooks[loader->report.hook_count++];

	h->feature = feature;
	h->hook = hook;
	h->status = hook ? HOOK_ATTACHED : HOOK_UNAVAILABLE;
	h->fallback = fallback;
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
}

/*
 * One ring buffer manager per map, both behind one epoll fd: the cgroup
 * records can then be read on their own, before each interval's counts, so
 * every cgroup with counts has been named.
 */
static int open_ring_buffers(struct loader *loader, bool leave_events, char *err, size_t err_len)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ret = 0;

	loader->epfd = epoll_create1(EPOLL_CLOEXEC);
	/* OOM kills first (unless another reader has them), then fault samples */
	loader->rb_events =
		ring_buffer__new(bpf_map__fd(leave_events ? loader->skel->maps.sample_events
							  : loader->skel->maps.events),
				 ringbuf_sample, loader, NULL);
	if (loader->rb_events && !leave_events &&
	    ring_buffer__add(loader->rb_events, bpf_map__fd(loader->skel->maps.sample_events),
			     ringbuf_sample, loader))
		ret = -errno;
	loader->rb_cgroups = ring_buffer__new(bpf_map__fd(loader->skel->maps.cgroup_events),
					      ringbuf_sample, loader, NULL);
	if (!ret && (loader->epfd < 0 || !loader->rb_events || !loader->rb_cgroups))
		ret = -errno;
	if (!ret &&
	    epoll_ctl(loader->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(loader->rb_events), &ev))
		ret = -errno;
	if (!ret &&
	    epoll_ctl(loader->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(loader->rb_cgroups), &ev))
		ret = -errno;
	if (ret)
		snprintf(err, err_len, "can't set up the ring buffer: %s", strerror(-ret));
	return ret;
}

/* The counting maps of what was attached, as count sources for the interval logic. */
static int open_count_sources(struct loader *loader, char *err, size_t err_len)
{
	__typeof__(loader->skel->maps) *maps = &loader->skel->maps;
	const struct {
		bool on;
		struct bpf_map *slots, *hash;
		uint32_t skip, counters;
	} families[COUNT_FAMILIES] = {
		[COUNT_FAULTS] = { loader->fault_mode != FAULT_MODE_NONE, maps->fault_slots,
				   maps->fault_overflow, SLOT_HEADER_WORDS, 2 },
		[COUNT_CHARGES] = { loader->charges, maps->charge_slots, maps->charge_overflow,
				    SLOT_HEADER_WORDS, 2 * MEMSIGHT_CHARGE_KINDS },
		[COUNT_RECLAIM] = { loader->reclaim, NULL, maps->reclaim_stats, 0,
				    2 + MEMSIGHT_RECLAIM_BUCKETS },
	};

	for (int f = 0; f < COUNT_FAMILIES; f++) {
		struct loader_counts *c = &loader->counts[f];
		int ret;

		if (!families[f].on)
			continue;
		ret = count_maps__open(&c->source, &c->table, families[f].slots, families[f].hash,
				       families[f].skip, families[f].counters);
		if (ret) {
			snprintf(err, err_len, "can't map the counting maps: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * With the capabilities in hand, a seccomp profile can still refuse bpf():
 * say so once, before libbpf's hints (RLIMIT_MEMLOCK) point the wrong way.
 */
static int refuse_under_seccomp(char *err, size_t err_len)
{
	int fd;

	if (!seccomp_filtered())
		return 0;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd < 0 && errno == EPERM) {
		snprintf(err, err_len,
			 "bpf() refused (EPERM) by this process's seccomp filter: the "
			 "container runtime's profile may allow bpf() only with "
			 "CAP_SYS_ADMIN; use one that allows bpf() and perf_event_open()");
		return -EPERM;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* What was attached for each feature, and why (read by `features` and /metrics). */
static void report_features(struct loader *loader, const struct loader_opts *opts, char *cgroup_err)
{
	for (size_t n = strlen(cgroup_err);
	     n > 0 && (cgroup_err[n - 1] == ' ' || cgroup_err[n - 1] == ';');)
		cgroup_err[--n] = '\0';
	if (loader->cgroup_events)
		report_hook(loader, "containers", "tp_btf/cgroup_mkdir + tp_btf/cgroup_rmdir",
			    false, "containers named as their cgroup appears, kept after it goes");
	else
		report_hook(loader, "containers", NULL, false, cgroup_err);
	if (loader->fault_mode == FAULT_MODE_MEMCG_EVENTS)
		report_hook(loader, "faults", fault_hooks[FAULT_MODE_MEMCG_EVENTS], false,
			    "the memcg's own PGFAULT/PGMAJFAULT accounting, counted per memcg");
	else if (loader->fault_mode == FAULT_MODE_PERF)
		report_hook(loader, "faults", fault_hooks[FAULT_MODE_PERF], true,
			    opts->fault_hook == FAULT_HOOK_PERF_EVENT
				    ? "requested with --fault-hook"
				    : cgroup_err);
	else
		report_hook(loader, "faults", NULL, false, cgroup_err);
	if (loader->charges)
		report_hook(loader, "charges", "tp_btf/mod_memcg_state + mod_memcg_lruvec_state",
			    false, "charged and uncharged bytes per kind, counted per memcg");
	else
		report_hook(loader, "charges", "memory.stat deltas (userspace)", true,
			    "no memcg:mod_memcg_state tracepoint on this kernel");
	if (loader->reclaim)
		report_hook(loader, "reclaim",
			    "tp_btf/mm_vmscan_memcg_reclaim_* + mm_vmscan_direct_reclaim_*", false,
			    "stall time of the stalled task's memcg, log2 histogram");
	else
		report_hook(loader, "reclaim", NULL, false, cgroup_err);
	if (loader->skel->links.fault_sample_user)
		report_hook(loader, "fault_samples", "tp_btf/page_fault_user + page_fault_kernel",
			    false, "rate-limited in the kernel (--fault-samples)");
	else
		report_hook(loader, "fault_samples", NULL, false,
			    !opts->fault_samples ? "off (--fault-samples N turns it on)"
			    : loader->samples_err[0]
				    ? loader->samples_err
				    : "no exceptions:page_fault_user tracepoint (x86 only)");
}

int loader__new(const struct loader_opts *opts, struct loader **out, char *err, size_t err_len)
{
	double start = clock_monotonic_ms();
	struct loader *loader;
	struct btf *btf = NULL;
	char skipped[768] = "", cgroup_err[1024] = "";
	int ret;

	*out = NULL;
	ret = refuse_under_seccomp(err, err_len);
	if (ret)
		return ret;
	loader = calloc(1, sizeof(*loader));
	if (!loader) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	loader->stats_fd = -1;
	loader->epfd = -1;
	loader->on_record = opts->on_record;
	loader->ctx = opts->ctx;

	ret = btf_info_load(opts->btf_path, &btf);
	if (ret) {
		char reason[128];

		libbpf_strerror(ret, reason, sizeof(reason));
		if (opts->btf_path)
			snprintf(err, err_len, "can't read BTF from %s: %s", opts->btf_path,
				 reason);
		else if (access("/sys/kernel/btf/vmlinux", R_OK))
			snprintf(err, err_len,
				 "kernel BTF not found: /sys/kernel/btf/vmlinux is missing (kernel "
				 "built without CONFIG_DEBUG_INFO_BTF?); pass --btf FILE");
		else
			snprintf(err, err_len, "can't read kernel BTF: %s; pass --btf FILE",
				 reason);
		goto fail;
	}
	snprintf(loader->report.btf_source, sizeof(loader->report.btf_source), "%s",
		 opts->btf_path ? opts->btf_path : "/sys/kernel/btf/vmlinux");

	if (opts->fault_hook == FAULT_HOOK_TP_BTF &&
	    btf__find_by_name_kind(btf, "btf_trace_count_memcg_events", BTF_KIND_TYPEDEF) <= 0) {
		snprintf(err, err_len,
			 "--fault-hook tp_btf: this kernel has no memcg:count_memcg_events "
			 "tracepoint "
			 "(use --fault-hook perf_event)");
		ret = -EOPNOTSUPP;
		goto fail;
	}

	/* Each hook in turn, best first; what ruled one out becomes the fallback's reason. */
	for (enum oom_mode mode = 0; mode < OOM_MODE_COUNT && !loader->skel; mode++) {
		char why[256];
		size_t used = strlen(skipped);

		if (opts->oom_hook != OOM_HOOK_AUTO && opts->oom_hook != oom_modes[mode].option) {
			continue;
		}
		oom_mode_precheck(mode, btf, why, sizeof(why));
		if (!why[0] && mode == OOM_MODE_TRACEPOINT)
			ensure_tracefs(why, sizeof(why));
		if (!why[0] && !attach_all(loader, opts, btf, mode, cgroup_err, sizeof(cgroup_err),
					   why, sizeof(why))) {
			char reason[sizeof(skipped) + 64];

			if (opts->oom_hook != OOM_HOOK_AUTO)
				snprintf(reason, sizeof(reason), "requested with --oom-hook; %s",
					 oom_modes[mode].how);
			else if (skipped[0])
				snprintf(reason, sizeof(reason), "%s; %s", skipped,
					 oom_modes[mode].how);
			else
				snprintf(reason, sizeof(reason), "%s", oom_modes[mode].how);
			report_hook(loader, "oom_kill", oom_modes[mode].hook,
				    mode != OOM_MODE_TP_BTF, reason);
			break;
		}
		snprintf(skipped + used, sizeof(skipped) - used, "%s%s: %s", used ? "; " : "",
			 oom_modes[mode].hook, why);
	}
	if (!loader->skel) {
		snprintf(err, err_len, "no OOM hook could be attached: %s", skipped);
		ret = -EOPNOTSUPP;
		goto fail;
	}
	report_features(loader, opts, cgroup_err);
	ret = open_ring_buffers(loader, opts->leave_events, err, err_len);
	if (ret)
		goto fail;
	ret = open_count_sources(loader, err, err_len);
	if (ret)
		goto fail;
	/* Run-time statistics stay on while this fd is open, and only then. */
	if (opts->bpf_stats)
		loader->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (loader->stats_fd >= 0) {
		loader->report.bpf_stats_enabled = true;
	} else {
		FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
		int on = 0;

		if (f) {
			if (fscanf(f, "%d", &on) != 1)
				on = 0;
			fclose(f);
		}
		loader->report.bpf_stats_enabled = on == 1;
	}
	loader->report.attach_ms = clock_monotonic_ms() - start;
	btf__free(btf);
	/*
	 * Loading parsed the kernel's BTF (megabytes) and freed it, but freed heap
	 * below live allocations stays resident; hand those pages back.
	 */
	malloc_trim(0);
	*out = loader;
	return 0;
fail:
	btf__free(btf);
	loader__free(loader);
	return ret < 0 ? ret : -EINVAL;
}

const struct loader_report *loader__report(const struct loader *loader)
{
	return &loader->report;
}

int loader__epoll_fd(const struct loader *loader)
{
	return loader->epfd;
}

int loader__consume(struct loader *loader)
{
	int events = 0, cgroups;

	/* `events` first: an OOM kill is handled before its cgroup's removal read in the same pass */
	events = ring_buffer__consume(loader->rb_events);
	if (events < 0)
		return events; /* over the caller's budget: the cgroup records wait too */
	cgroups = ring_buffer__consume(loader->rb_cgroups);
	return cgroups < 0 ? cgroups : events + cgroups;
}

int loader__consume_cgroups(struct loader *loader)
{
	return ring_buffer__consume(loader->rb_cgroups);
}

/* What --pin exposes, by the names the maps have in the BPF object. */
static struct bpf_map *pinned_map(const struct loader *loader, unsigned int i)
{
	struct bpf_map *maps[] = {
		loader->skel->maps.events,	    loader->skel->maps.fault_slots,
		loader->skel->maps.fault_overflow,  loader->skel->maps.charge_slots,
		loader->skel->maps.charge_overflow, loader->skel->maps.reclaim_stats,
	};

	return i < sizeof(maps) / sizeof(maps[0]) ? maps[i] : NULL;
}

int loader__pin(struct loader *loader, const char *dir, char *err, size_t err_len)
{
	struct bpf_map *map;
	char path[4096];
	int ret;

	for (unsigned int i = 0; (map = pinned_map(loader, i)); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		ret = bpf_map__pin(map, path);
		if (ret) {
			snprintf(err, err_len, "--pin: can't pin %s: %s%s", path, error_text(ret),
				 ret == -EEXIST ? " (another memsight pinned there?)"
				 : ret == -EINVAL || ret == -EPERM
					 ? " (is the directory in a bpf file system?)"
					 : "");
			loader__unpin(loader, dir);
			return ret;
		}
	}
	return 0;
}

void loader__unpin(struct loader *loader, const char *dir)
{
	struct bpf_map *map;
	char path[4096];

	for (unsigned int i = 0; (map = pinned_map(loader, i)); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		/* only what this process pinned: bpf_map__unpin checks the path it pinned */
		if (bpf_map__is_pinned(map))
			bpf_map__unpin(map, path);
	}
}

void loader__counters(const struct loader *loader, struct memsight_bpf_counters *counters)
{
	/* .bss is memory-mapped: a plain read sees the kernel side's counts. */
	*counters = loader->skel->bss->counters;
}

unsigned int loader__program_stats(const struct loader *loader, struct memsight_program_stats *out,
				   unsigned int max)
{
	struct bpf_program *prog;
	unsigned int n = 0;

	bpf_object__for_each_program(prog, loader->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || n >= max)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		out[n].name = bpf_program__name(prog); /* libbpf's, as long as the loader */
		out[n].id = info.id;
		out[n].run_count = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

bool loader__counts_faults(const struct loader *loader)
{
	return loader->fault_mode != FAULT_MODE_NONE;
}

const char *loader__fault_hook(const struct loader *loader)
{
	return loader->fault_mode == FAULT_MODE_MEMCG_EVENTS ? "tp_btf/count_memcg_events"
	       : loader->fault_mode == FAULT_MODE_PERF	     ? "perf_event/page-faults"
							     : NULL;
}

bool loader__counts_charges(const struct loader *loader)
{
	return loader->charges;
}

bool loader__counts_reclaim(const struct loader *loader)
{
	return loader->reclaim;
}

const struct count_source *loader__count_source(const struct loader *loader,
						enum count_family family)
{
	const struct count_source *source = &loader->counts[family].source;

	return source->read_table ? source : NULL;
}

void loader__set_clock_offset(struct loader *loader, int64_t boot_to_realtime_ns)
{
	/* .bss is memory-mapped: the kernel side sees the store at once. */
	loader->skel->bss->boot_to_realtime_ns = boot_to_realtime_ns;
}

void loader__free(struct loader *loader)
{
	if (!loader)
		return;
	ring_buffer__free(loader->rb_events);
	ring_buffer__free(loader->rb_cgroups);
	if (loader->epfd >= 0)
		close(loader->epfd);
	for (int f = 0; f < COUNT_FAMILIES; f++)
		count_maps__close(&loader->counts[f].source, &loader->counts[f].table);
	detach_perf_faults(loader);
	memsight_bpf__destroy(loader->skel);
	if (loader->stats_fd >= 0)
		close(loader->stats_fd);
	free(loader);
}
