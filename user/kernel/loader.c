// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The loader's set-up, in phases: probe the kernel's BTF, plan what to load
 * (load_plan.c), load and attach from the plan, report what it got. The
 * readers of what is loaded are in loader_read.c.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/perf_event.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_info.h"
#include "clock.h"
#include "count_maps.h"
#include "kernel_probe.h"
#include "load_plan.h"
#include "loader.h"
#include "loader_internal.h"
#include "log.h"
#include "memsight.skel.h"
#include "perf_links.h"

/* Victims awaiting their exit in tracepoint mode; more at once means a kill storm. */
#define OOM_PENDING_MAX 64

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

/* The enumerators memsight reads from the kernel's BTF: MM_*PAGES, then charge_items. */
static const char *const mm_counter_names[] = {
	"MM_FILEPAGES",
	"MM_ANONPAGES",
	"MM_SHMEMPAGES",
};
#define MM_COUNTERS (sizeof(mm_counter_names) / sizeof(mm_counter_names[0]))

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

#define CHARGE_ITEMS (sizeof(charge_items) / sizeof(charge_items[0]))

/*
 * What configure() needs from the kernel's BTF, read before libbpf parses its
 * own copy, so the two copies (megabytes each) are never alive at once. -1:
 * not in this kernel's BTF.
 */
struct btf_values {
	int64_t mm_counter[MM_COUNTERS];
	int64_t charge_item[CHARGE_ITEMS];
};

static void read_btf_values(const struct btf *btf, struct btf_values *values)
{
	for (size_t i = 0; i < MM_COUNTERS; i++)
		if (btf_info_enum_value(btf, mm_counter_names[i], &values->mm_counter[i]))
			values->mm_counter[i] = -1;
	for (size_t i = 0; i < CHARGE_ITEMS; i++)
		if (btf_info_enum_value(btf, charge_items[i].name, &values->charge_item[i]))
			values->charge_item[i] = -1;
}

static int set_rodata(struct memsight_bpf *skel, const struct btf_values *values, char *err,
		      size_t err_len)
{
	volatile __u32 *slots[] = {
		(volatile __u32 *)&skel->rodata->mm_filepages,
		(volatile __u32 *)&skel->rodata->mm_anonpages,
		(volatile __u32 *)&skel->rodata->mm_shmempages,
	};
	long page_size = sysconf(_SC_PAGESIZE);

	*(volatile __u64 *)&skel->rodata->page_size = page_size;
	for (size_t i = 0; i < MM_COUNTERS; i++) {
		int64_t value = values->mm_counter[i];

		if (value < 0 || value > 3) {
			snprintf(err, err_len, "kernel BTF lacks a usable %s enumerator",
				 mm_counter_names[i]);
			return -ENOENT;
		}
		*slots[i] = (__u32)value;
	}
	return 0;
}

static void set_charge_items(struct memsight_bpf *skel, const struct btf_values *values)
{
	long page_size = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < CHARGE_ITEMS; i++) {
		const char *name = charge_items[i].name;
		size_t n = strlen(name);
		int64_t item = values->charge_item[i];
		__u32 unit;

		if (item < 0 || item >= MEMSIGHT_STAT_ITEMS_MAX)
			continue; /* not on this kernel: that part of the kind is not counted */
		unit = n > 2 && !strcmp(name + n - 2, "_B")    ? 1
		       : n > 3 && !strcmp(name + n - 3, "_KB") ? 1024
							       : (__u32)page_size;
		*(volatile __u8 *)&skel->rodata->item_kind[item] = charge_items[i].kind + 1;
		*(volatile __u32 *)&skel->rodata->item_unit[item] = unit;
	}
}

/* Turns on the programs of the parts asked for; the rest are not even loaded. */
static void set_autoload(struct memsight_bpf *skel, unsigned int parts,
			 const struct kernel_probe *probe)
{
	/*
	 * One of the two task listers, or neither: an iterator attaches by the kernel's
	 * own BTF (a --btf file can't stand in). The walk sees past the pid namespace.
	 */
	unsigned int tasks = probe->kernel_btf ? PART_OOM : 0;
	unsigned int walk = probe->bpf_loop ? tasks : 0, per_task = probe->bpf_loop ? 0 : tasks;
	const struct {
		struct bpf_program *prog;
		unsigned int part;
	} programs[] = {
		{ skel->progs.oom_mark_victim_btf, PART_OOM_TP_BTF },
		{ skel->progs.oom_mark_victim_fentry, PART_OOM_FENTRY },
		{ skel->progs.oom_mark_victim_tp, PART_OOM_TRACEPOINT },
		{ skel->progs.oom_victim_exit_tp, PART_OOM_TRACEPOINT },
		{ skel->progs.oom_tasks_walk, walk },
		{ skel->progs.oom_tasks, per_task },
		{ skel->progs.cgroup_mkdir_btf, PART_CGROUPS },
		{ skel->progs.cgroup_rmdir_btf, PART_CGROUPS },
		{ skel->progs.faults_memcg_events, PART_FAULTS_MEMCG },
		{ skel->progs.faults_memcg_events_fentry, PART_FAULTS_FENTRY },
		{ skel->progs.faults_memcg_events_kprobe, PART_FAULTS_KPROBE },
		{ skel->progs.faults_perf_minor, PART_FAULTS_PERF },
		{ skel->progs.faults_perf_major, PART_FAULTS_PERF },
		{ skel->progs.fault_sample_user, PART_SAMPLES },
		{ skel->progs.fault_sample_kernel, PART_SAMPLES },
		{ skel->progs.charges_memcg_state, PART_CHARGES },
		{ skel->progs.charges_lruvec_state, PART_CHARGES },
		{ skel->progs.charges_memcg_state_fentry, PART_CHARGES_FENTRY },
		{ skel->progs.charges_lruvec_state_fentry, PART_CHARGES_FENTRY },
		{ skel->progs.charges_memcg_state_kprobe, PART_CHARGES_KPROBE },
		{ skel->progs.charges_lruvec_state_kprobe, PART_CHARGES_KPROBE },
		{ skel->progs.reclaim_memcg_begin, PART_RECLAIM },
		{ skel->progs.reclaim_memcg_end, PART_RECLAIM },
		{ skel->progs.reclaim_direct_begin, PART_RECLAIM },
		{ skel->progs.reclaim_direct_end, PART_RECLAIM },
		{ skel->progs.memcg_gauges_walk, PART_GAUGES },
	};

	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		bpf_program__set_autoload(programs[i].prog, parts & programs[i].part);
	bpf_program__set_autoattach(skel->progs.oom_tasks_walk, false);	   /* attach_task_walk */
	bpf_program__set_autoattach(skel->progs.memcg_gauges_walk, false); /* attach_gauges */
}

/*
 * The walk runs once per listing from whichever task the iterator visits first:
 * visiting only the agent's own (task.tid, 6.1) spares thousands of empty calls.
 * Older kernels ignore the parameter and visit their pid namespace's tasks.
 */
static int attach_task_walk(struct memsight_bpf *skel)
{
	union bpf_iter_link_info info = { .task.tid = (__u32)getpid() };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));

	if (!bpf_program__autoload(skel->progs.oom_tasks_walk))
		return 0;
	skel->links.oom_tasks_walk = bpf_program__attach_iter(skel->progs.oom_tasks_walk, &opts);
	if (!skel->links.oom_tasks_walk)
		skel->links.oom_tasks_walk =
			bpf_program__attach_iter(skel->progs.oom_tasks_walk, NULL);
	return skel->links.oom_tasks_walk ? 0 : -errno;
}

/* rodata and map sizes, before load */
static int configure(struct memsight_bpf *skel, const struct btf_values *values,
		     const struct load_plan *plan, unsigned int parts, char *err, size_t err_len)
{
	uint32_t slots = count_slots_wanted();
	int ret;

	ret = set_rodata(skel, values, err, err_len);
	if (ret)
		return ret;
	set_autoload(skel, parts, &plan->probe);
	*(volatile __u64 *)&skel->rodata->fault_samples_per_sec = plan->fault_samples;
	if (parts & PART_CHARGES_ANY)
		set_charge_items(skel, values);
	if (!(parts & PART_SAMPLES)) /* a ring buffer is at least a page */
		bpf_map__set_max_entries(skel->maps.sample_events, sysconf(_SC_PAGESIZE));
	bpf_map__set_max_entries(skel->maps.memcg_slots, slots);
	/* a record per memcg, as many as the counting slots (twice today's memcgs) */
	bpf_map__set_max_entries(skel->maps.memcg_gauges, parts & PART_GAUGES ? slots : 1);
	/* The pending table is only used in tracepoint mode; keep it tiny otherwise. */
	bpf_map__set_max_entries(skel->maps.oom_pending,
				 parts & PART_OOM_TRACEPOINT ? OOM_PENDING_MAX : 1);
	if (!(parts & PART_OOM_TRACEPOINT))
		bpf_map__set_max_entries(skel->maps.oom_exit_notes, 1);
	return 0;
}

/* One attempt: the parts of the BPF object in `parts`, opened, loaded and attached. */
static int open_load_attach(struct loader *loader, const struct load_plan *plan,
			    const struct btf_values *values, unsigned int parts, char *err,
			    size_t err_len)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = plan->btf_path);
	struct memsight_bpf *skel;
	int ret;

	log_clear_libbpf_warning();
	skel = memsight_bpf__open_opts(&open_opts);
	if (!skel) {
		ret = -errno;
		snprintf(err, err_len, "can't open BPF object: %s", error_text(ret));
		return ret;
	}
	ret = configure(skel, values, plan, parts, err, err_len);
	if (ret)
		goto fail;
	/*
	 * Before the load, not after the attach: a fault sample taken in between
	 * would be budgeted by boot-time seconds, and its wall-clock second could
	 * then get more than --fault-samples.
	 */
	skel->bss->boot_to_realtime_ns = loader->clock_offset_ns;
	ret = memsight_bpf__load(skel);
	log_memory_stage("BPF object loaded");
	if (ret) {
		snprintf(err, err_len, "can't load BPF programs: %s%s%s", error_text(ret),
			 log_last_libbpf_warning()[0] ? ": " : "", log_last_libbpf_warning());
		goto fail;
	}
	ret = memsight_bpf__attach(skel);
	if (!ret)
		ret = attach_task_walk(skel);
	if (!ret)
		ret = loader_attach_gauges(loader, skel, plan->memcg_root);
	if (ret) {
		snprintf(err, err_len, "can't attach BPF programs: %s%s%s", error_text(ret),
			 log_last_libbpf_warning()[0] ? ": " : "", log_last_libbpf_warning());
		goto fail;
	}
	if (parts & PART_FAULTS_PERF) {
		ret = perf_links_attach(&loader->perf_faults, skel->progs.faults_perf_minor,
					PERF_COUNT_SW_PAGE_FAULTS_MIN, "minor page-fault", err,
					err_len);
		if (!ret)
			ret = perf_links_attach(&loader->perf_faults, skel->progs.faults_perf_major,
						PERF_COUNT_SW_PAGE_FAULTS_MAJ, "major page-fault",
						err, err_len);
		if (ret) {
			perf_links_destroy(&loader->perf_faults);
			goto fail;
		}
	}
	loader->skel = skel;
	loader->parts = parts;
	return 0;
fail:
	loader_detach_gauges(loader);
	memsight_bpf__destroy(skel);
	return ret;
}

/*
 * One attempt, and when it had the gauges iterator and failed, the same without
 * it: a failure of the iterator alone (its verifier, its attach) costs only the
 * iterator (cgroupfs instead, and why), and the rest is blamed only for its own.
 */
static int attempt(struct loader *loader, const struct load_plan *plan,
		   const struct btf_values *values, unsigned int parts, char *err, size_t err_len)
{
	int ret = open_load_attach(loader, plan, values, parts, err, err_len);

	if (!ret || !(parts & PART_GAUGES))
		return ret;
	snprintf(loader->gauges_err, sizeof(loader->gauges_err),
		 "the cgroup iterator failed (%s); cgroupfs files instead", err);
	ret = open_load_attach(loader, plan, values, parts & ~PART_GAUGES, err, err_len);
	if (ret)
		loader->gauges_err[0] = '\0'; /* not the iterator's fault: tried again next */
	return ret;
}

/* charges_err's row for the charge function hook in parts, -1: none */
static int charges_err_row(unsigned int parts)
{
	return parts & PART_CHARGES_FENTRY ? 0 : parts & PART_CHARGES_KPROBE ? 1 : -1;
}

/*
 * A failed attempt's error, for the charges' reason, when it is the charge
 * function hook's: libbpf's first warning names one of its programs or the
 * functions only they hook (a legacy kprobe's error names just the
 * function), or (theirs) the same parts with another charge hook got
 * further. The first per hook is kept: every OOM hook retries them.
 */
static void note_charges_failure(struct loader *loader, unsigned int parts, const char *err,
				 bool theirs)
{
	int row = charges_err_row(parts);

	if (row < 0 || loader->charges_err[row][0])
		return;
	if (!theirs && !strstr(err, "prog 'charges_") && !strstr(err, "'__mod_memcg_"))
		return;
	snprintf(loader->charges_err[row], sizeof(loader->charges_err[row]), "%s: %s",
		 load_part_hook(parts & (PART_CHARGES_FENTRY | PART_CHARGES_KPROBE)), err);
}

/* b is a's parts with another charge hook: what a failed and b did not is that hook's */
static bool only_charges_differ(unsigned int a, unsigned int b)
{
	return a != b && (a & ~PART_CHARGES_ANY) == (b & ~PART_CHARGES_ANY);
}

/* Attempt i failed with err: into the fault fallbacks' log, or samples_err, or charges_err. */
static void note_failure(struct loader *loader, const struct load_plan *plan, unsigned int i,
			 const char *err, char *log, size_t log_len, size_t *used)
{
	unsigned int parts = plan->attempts[i];
	const char *faults = load_part_hook(parts & PART_FAULTS);

	note_charges_failure(loader, parts, err, false);
	if (parts & PART_SAMPLES) {
		/* The rate limiter's atomic fetch-and-add and compare-and-swap need 5.12. */
		snprintf(loader->samples_err, sizeof(loader->samples_err),
			 "%s (the in-kernel rate limit needs BPF atomics, Linux 5.12 or later)",
			 err);
		return;
	}
	/* retried next with another charge hook only: not a step down for faults */
	if (i + 1 < plan->attempt_count && only_charges_differ(parts, plan->attempts[i + 1]))
		return;
	if (*used < log_len)
		*used += snprintf(log + *used, log_len - *used, "%s; (%s) ",
				  faults ? faults : "without faults", err);
}

/*
 * The plan's attempts with one OOM hook, best first, until one attaches.
 * What each failure was goes to `log`, the reason the fallbacks report.
 */
static int walk_attempts(struct loader *loader, const struct load_plan *plan,
			 const struct btf_values *values, unsigned int oom, char *log,
			 size_t log_len, char *err, size_t err_len)
{
	char last_err[256] = "";
	bool intro = false;
	size_t used = 0;
	int ret = -EINVAL;

	log[0] = '\0';
	for (unsigned int i = 0; i < plan->attempt_count; i++) {
		unsigned int parts = plan->attempts[i];
		int row = charges_err_row(parts);

		if (!(parts & PART_SAMPLES) && !intro) {
			used += snprintf(log, log_len, "%s", plan->fallback_intro);
			intro = true;
		}
		ret = attempt(loader, plan, values, oom | parts, err, err_len);
		if (ret) {
			note_failure(loader, plan, i, err, log, log_len, &used);
			snprintf(last_err, sizeof(last_err), "%s", err);
			continue;
		}
		if (i > 0 && only_charges_differ(plan->attempts[i - 1], parts))
			note_charges_failure(loader, plan->attempts[i - 1], last_err, true);
		if (row >= 0) /* attached after all: an earlier failure is not its reason */
			loader->charges_err[row][0] = '\0';
		return 0;
	}
	return ret;
}

/* Each OOM hook of the plan in turn; what ruled one out becomes the next one's reason. */
static int attach_from_plan(struct loader *loader, const struct load_plan *plan,
			    const struct btf_values *values, char *oom_reason, size_t reason_len,
			    char *log, size_t log_len, char *err, size_t err_len)
{
	char skipped[768] = "";

	for (unsigned int i = 0; i < plan->oom_count; i++) {
		unsigned int oom = plan->oom[i].part;
		const char *hook = load_part_hook(oom);
		const struct load_hook *h = load_hook_of(oom);
		size_t used = strlen(skipped);
		char why[256];

		snprintf(why, sizeof(why), "%s", plan->oom[i].ruled_out);
		if (!why[0] && oom == PART_OOM_TRACEPOINT)
			ensure_tracefs(why, sizeof(why));
		if (!why[0] &&
		    !walk_attempts(loader, plan, values, oom, log, log_len, why, sizeof(why))) {
			if (plan->oom_hook_requested)
				snprintf(oom_reason, reason_len, "requested with --oom-hook; %s",
					 h->how);
			else if (skipped[0])
				snprintf(oom_reason, reason_len, "%s; %s", skipped, h->how);
			else
				snprintf(oom_reason, reason_len, "%s", h->how);
			return 0;
		}
		snprintf(skipped + used, sizeof(skipped) - used, "%s%s: %s", used ? "; " : "", hook,
			 why);
	}
	/* every attempt carried the hook an option named: the likeliest cause, said first */
	unsigned int first = plan->attempt_count ? plan->attempts[0] : 0;
	unsigned int named = plan->charge_hook_requested && (first & PART_CHARGES_ANY)
				     ? first & PART_CHARGES_ANY
			     : plan->fault_hook_requested ? first & PART_FAULTS
							  : 0;

	if (named)
		snprintf(err, err_len,
			 "%s %s: could not be attached (without the option memsight falls back to "
			 "another hook); with each OOM hook: %s",
			 named & PART_FAULTS ? "--fault-hook" : "--charge-hook",
			 load_part_hook(named), skipped);
	else
		snprintf(err, err_len, "no OOM hook could be attached: %s", skipped);
	return -EOPNOTSUPP;
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

static int load_btf(const char *btf_path, struct btf **btf, char *err, size_t err_len)
{
	int ret = btf_info_load(btf_path, btf);
	char reason[128];

	if (!ret)
		return 0;
	libbpf_strerror(ret, reason, sizeof(reason));
	if (btf_path)
		snprintf(err, err_len, "can't read BTF from %s: %s", btf_path, reason);
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		snprintf(err, err_len,
			 "kernel BTF not found: /sys/kernel/btf/vmlinux is missing (kernel "
			 "built without CONFIG_DEBUG_INFO_BTF?); pass --btf FILE");
	else
		snprintf(err, err_len, "can't read kernel BTF: %s; pass --btf FILE", reason);
	return ret;
}

/* Run-time statistics stay on while stats_fd is open, and only then. */
static void enable_stats(struct loader *loader, bool asked)
{
	FILE *f;
	int on = 0;

	if (asked)
		loader->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (loader->stats_fd >= 0) {
		loader->report.bpf_stats_enabled = true;
		return;
	}
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 0;
		fclose(f);
	}
	loader->report.bpf_stats_enabled = on == 1;
}

/*
 * Probe, plan, load and attach, report. The kernel's BTF is read once here
 * for the probe and the enumerators, and freed before libbpf parses its own
 * copy to load (libbpf 1.1 takes no parsed BTF from its caller).
 */
static int load_with_btf(struct loader *loader, const struct loader_opts *opts, char *err,
			 size_t err_len)
{
	struct load_plan plan;
	char oom_reason[1024], log[1024];
	struct kernel_probe probe;
	struct btf_values values;
	struct btf *btf = NULL;
	int ret;

	log_memory_stage("before the BTF");
	ret = load_btf(opts->btf_path, &btf, err, err_len);
	if (ret)
		return ret;
	snprintf(loader->report.btf_source, sizeof(loader->report.btf_source), "%s",
		 opts->btf_path ? opts->btf_path : "/sys/kernel/btf/vmlinux");
	kernel_probe_read(btf, &probe);
	read_btf_values(btf, &values);
	btf__free(btf);
	/* the parse's buffers were freed below live allocations too */
	malloc_trim(0);
	log_memory_stage("kernel BTF read and freed");
	ret = load_plan_make(&probe, opts, &plan, err, err_len);
	if (!ret)
		ret = attach_from_plan(loader, &plan, &values, oom_reason, sizeof(oom_reason), log,
				       sizeof(log), err, err_len);
	if (!ret)
		loader_report_hooks(loader, &plan, oom_reason, log);
	return ret;
}

int loader__new(const struct loader_opts *opts, struct loader **out, char *err, size_t err_len)
{
	double start = clock_monotonic_ms();
	struct loader *loader;
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
	loader->clock_offset_ns = opts->boot_to_realtime_ns;
	loader->ctx = opts->ctx;
	ret = load_with_btf(loader, opts, err, err_len);
	if (!ret)
		ret = loader_open_ring_buffers(loader, opts->leave_events, err, err_len);
	if (!ret)
		ret = loader_open_count_sources(loader, err, err_len);
	log_memory_stage("ring buffers and counting maps mapped");
	if (ret) {
		loader__free(loader);
		return ret < 0 ? ret : -EINVAL;
	}
	enable_stats(loader, opts->bpf_stats);
	loader->report.attach_ms = clock_monotonic_ms() - start;
	/*
	 * Loading parsed the kernel's BTF (megabytes) and freed it, but freed heap
	 * below live allocations stays resident; hand those pages back.
	 */
	malloc_trim(0);
	log_memory_stage("attached, heap trimmed");
	*out = loader;
	return 0;
}

/* What --pin exposes, by the names the maps have in the BPF object. */
static struct bpf_map *pinned_map(const struct loader *loader, unsigned int i)
{
	struct bpf_map *maps[] = {
		loader->skel->maps.events,
		loader->skel->maps.memcg_slots,
		loader->skel->maps.memcg_overflow,
		loader->skel->maps.reclaim_stats,
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

void loader__free(struct loader *loader)
{
	if (!loader)
		return;
	for (int i = 0; i < LOADER_RINGS; i++)
		ring_reader__close(&loader->rings[i]);
	if (loader->epfd >= 0)
		close(loader->epfd);
	for (int f = 0; f < COUNT_FAMILIES; f++)
		count_maps__close(&loader->counts[f].source, &loader->counts[f].table);
	perf_links_destroy(&loader->perf_faults);
	loader_detach_gauges(loader);
	memsight_bpf__destroy(loader->skel);
	if (loader->stats_fd >= 0)
		close(loader->stats_fd);
	free(loader);
}
