// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "load_plan.h"

/*
 * Every hook by feature, best first, in the order `features` lists them. The
 * JSON lines' "source" fields take their names from here too.
 */
const struct load_hook load_hooks[] = {
	{ PART_OOM_TP_BTF, "oom_kill", "tp_btf/mark_victim",
	  "victim task read at the moment of the kill", false },
	{ PART_OOM_FENTRY, "oom_kill", "fentry/mark_oom_victim",
	  "victim task read at the moment of the kill", true },
	{ PART_OOM_TRACEPOINT, "oom_kill",
	  "tracepoint/oom/mark_victim + tracepoint/sched/sched_process_exit",
	  "victim's memcg read at its exit", true },
	{ PART_CGROUPS, "containers", "tp_btf/cgroup_mkdir + tp_btf/cgroup_rmdir",
	  "containers named as their cgroup appears, kept after it goes", false },
	{ PART_FAULTS_MEMCG, "faults", "tp_btf/count_memcg_events",
	  "the memcg's own PGFAULT/PGMAJFAULT accounting, counted per memcg", false },
	{ PART_FAULTS_FENTRY, "faults", "fentry/__count_memcg_events",
	  "the memcg's own PGFAULT/PGMAJFAULT accounting, counted per memcg in the function the "
	  "tracepoint came to sit in",
	  true },
	{ PART_FAULTS_KPROBE, "faults", "kprobe/__count_memcg_events",
	  "the memcg's own PGFAULT/PGMAJFAULT accounting, counted per memcg in the function the "
	  "tracepoint came to sit in",
	  true },
	{ PART_FAULTS_PERF, "faults", "perf_event/page-faults-min+maj (per CPU)",
	  "every page fault seen by the kernel's software events, its task's memcg read in the "
	  "program",
	  true },
	{ PART_CHARGES, "charges", "tp_btf/mod_memcg_state + mod_memcg_lruvec_state",
	  "charged and uncharged bytes per kind, counted per memcg", false },
	{ PART_CHARGES_FENTRY, "charges", "fentry/__mod_memcg_state + __mod_memcg_lruvec_state",
	  "charged and uncharged bytes per kind, counted per memcg in the functions the "
	  "tracepoints came to sit in",
	  true },
	{ PART_CHARGES_KPROBE, "charges", "kprobe/__mod_memcg_state + __mod_memcg_lruvec_state",
	  "charged and uncharged bytes per kind, counted per memcg in the functions the "
	  "tracepoints came to sit in",
	  true },
	{ 0, "charges", "memory.stat deltas (userspace)", NULL, true },
	{ PART_RECLAIM, "reclaim", "tp_btf/mm_vmscan_memcg_reclaim_* + mm_vmscan_direct_reclaim_*",
	  "stall time of the stalled task's memcg, log2 histogram", false },
	{ PART_SAMPLES, "fault_samples", "tp_btf/page_fault_user + page_fault_kernel",
	  "rate-limited in the kernel (--fault-samples)", false },
	{ PART_GAUGES, "gauges", "iter/cgroup (page counters + vmstats)",
	  "every memcg's usage, limit and inactive file in one read per interval", false },
	{ 0, "gauges", "cgroupfs (userspace)", NULL, true },
};

const unsigned int load_hook_count = sizeof(load_hooks) / sizeof(load_hooks[0]);

const struct load_hook *load_hook_of(unsigned int part)
{
	for (unsigned int i = 0; i < load_hook_count; i++)
		if (part && load_hooks[i].part == part)
			return &load_hooks[i];
	return NULL;
}

const char *load_part_hook(unsigned int part)
{
	const struct load_hook *h = load_hook_of(part);

	return h ? h->hook : NULL;
}

/*
 * The OOM hooks, best first. tp_btf and fentry read the victim's task at the
 * kill; the classic tracepoint is completed at the victim's exit.
 */
static void plan_oom(const struct kernel_probe *probe, enum oom_hook asked, struct load_plan *plan)
{
	static const struct {
		enum oom_hook option; /* --oom-hook value that forces it */
		unsigned int part;
	} modes[] = {
		{ OOM_HOOK_TP_BTF, PART_OOM_TP_BTF },
		{ OOM_HOOK_FENTRY, PART_OOM_FENTRY },
		{ OOM_HOOK_TRACEPOINT, PART_OOM_TRACEPOINT },
	};

	plan->oom_count = 0;
	for (unsigned int i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char *why;
		size_t len;

		if (asked != OOM_HOOK_AUTO && asked != modes[i].option)
			continue;
		plan->oom[plan->oom_count].part = modes[i].part;
		why = plan->oom[plan->oom_count].ruled_out;
		len = sizeof(plan->oom[0].ruled_out);
		why[0] = '\0';
		plan->oom_count++;
		if (modes[i].part == PART_OOM_TRACEPOINT)
			continue;
		/* --btf serves CO-RE only; attaching tp_btf or fentry needs the kernel's own BTF. */
		if (!probe->kernel_btf)
			snprintf(why, len, "needs the kernel's own BTF (/sys/kernel/btf/vmlinux)");
		else if (modes[i].part == PART_OOM_TP_BTF && !probe->mark_victim_task)
			snprintf(
				why, len,
				"mark_victim passes only the victim's pid on this kernel (the task "
				"argument came in 2024)");
		else if (modes[i].part == PART_OOM_FENTRY && !probe->mark_oom_victim)
			snprintf(why, len, "mark_oom_victim is not a traceable function here");
	}
}

static void add_attempt(struct load_plan *plan, unsigned int parts)
{
	/* a repeat of an attempt before it would fail the same way */
	for (unsigned int i = 0; i < plan->attempt_count; i++)
		if (plan->attempts[i] == parts)
			return;
	if (plan->attempt_count < LOAD_ATTEMPTS_MAX)
		plan->attempts[plan->attempt_count++] = parts;
}

/*
 * The charge hooks this kernel offers, best first, into hooks[] (at most 2:
 * tp_btf or fentry, then kprobe); the count. The tracepoints where they are,
 * else the functions behind them: fentry needs the kernel's own BTF to
 * attach, a kprobe only the name. A hook asked for by name is the only one;
 * `stat` asks for none.
 */
static unsigned int charge_hooks(const struct kernel_probe *probe, enum charge_hook asked,
				 unsigned int hooks[2])
{
	const unsigned int by_option[] = {
		[CHARGE_HOOK_TP_BTF] = PART_CHARGES,
		[CHARGE_HOOK_FENTRY] = PART_CHARGES_FENTRY,
		[CHARGE_HOOK_KPROBE] = PART_CHARGES_KPROBE,
	};
	unsigned int n = 0;

	if (probe->memcg_stat && probe->kernel_btf)
		hooks[n++] = PART_CHARGES;
	else if (probe->memcg_stat_funcs && probe->kernel_btf)
		hooks[n++] = PART_CHARGES_FENTRY;
	if (!probe->memcg_stat && probe->memcg_stat_funcs)
		hooks[n++] = PART_CHARGES_KPROBE;
	if (asked == CHARGE_HOOK_AUTO)
		return n;
	for (unsigned int i = 0; i < n; i++)
		if (asked < sizeof(by_option) / sizeof(by_option[0]) &&
		    hooks[i] == by_option[asked])
			return hooks[0] = hooks[i], 1;
	return 0;
}

/* parts, then, when they count charges, the same with each other charge hook, before less */
static void add_with_charge_hooks(struct load_plan *plan, unsigned int parts,
				  const unsigned int *charges, unsigned int charge_count)
{
	add_attempt(plan, parts);
	for (unsigned int c = 1; (parts & PART_CHARGES_ANY) && c < charge_count; c++)
		add_attempt(plan, (parts & ~PART_CHARGES_ANY) | charges[c]);
}

/*
 * The fault hook auto picks: the tracepoint, else fentry on the function
 * behind it (it needs the kernel's own BTF to attach), else perf_event. A
 * kprobe only by name: where fentry won't attach (arm64 6.1) the kprobe
 * program alone costs more per fault than the perf_event one, before its
 * dispatch (bench/RESULTS.md), and perf_event counts nearly the same (the
 * faulting task's memcg, not the mm owner's).
 */
static unsigned int best_fault_hook(const struct kernel_probe *probe)
{
	if (probe->memcg_events)
		return PART_FAULTS_MEMCG;
	if (probe->memcg_events_func && probe->kernel_btf)
		return PART_FAULTS_FENTRY;
	return PART_FAULTS_PERF;
}

/* The fault part --fault-hook asks for (0: none, off); auto: the best. */
static unsigned int asked_fault_hook(const struct kernel_probe *probe, enum fault_hook hook)
{
	switch (hook) {
	case FAULT_HOOK_TP_BTF:
		return PART_FAULTS_MEMCG;
	case FAULT_HOOK_FENTRY:
		return PART_FAULTS_FENTRY;
	case FAULT_HOOK_KPROBE:
		return PART_FAULTS_KPROBE;
	case FAULT_HOOK_PERF_EVENT:
		return PART_FAULTS_PERF;
	case FAULT_HOOK_OFF:
		return 0;
	default:
		return best_fault_hook(probe);
	}
}

/*
 * Everything at once, then without what failed: the OOM hook is what must
 * work; page faults, charges, reclaim and the cgroup lifecycle degrade
 * (reported, with why). A fault or charge hook asked for by name (or faults
 * turned off) is in every attempt as asked, so it is never dropped quietly,
 * and the other parts still degrade around it.
 */
static void plan_attempts(const struct kernel_probe *probe, const struct loader_opts *opts,
			  struct load_plan *plan)
{
	unsigned int best = best_fault_hook(probe);
	unsigned int charges[2], charge_count = charge_hooks(probe, opts->charge_hook, charges);
	/* reclaim is everywhere; charges by the best hook, the others tried next */
	unsigned int extras = PART_RECLAIM | (charge_count ? charges[0] : 0);
	bool charges_asked =
		opts->charge_hook != CHARGE_HOOK_AUTO && opts->charge_hook != CHARGE_HOOK_STAT;
	unsigned int asked = asked_fault_hook(probe, opts->fault_hook);
	const unsigned int ladder[] = {
		PART_CGROUPS | best | extras,
		PART_CGROUPS | PART_FAULTS_PERF | extras,
		PART_CGROUPS | best,
		PART_CGROUPS,
		0,
	};

	/*
	 * The gauges iterator attaches by the kernel's own BTF, to a cgroup of the
	 * memory hierarchy; in every attempt (the loader tries each without it too
	 * when it fails).
	 */
	unsigned int gauges =
		probe->cgroup_iter && probe->kernel_btf && opts->memcg_root && opts->memcg_root[0]
			? PART_GAUGES
			: 0;

	plan->attempt_count = 0;
	/*
	 * Samples are opt-in and x86 only (other arches have no exceptions
	 * tracepoints); tried with the fault hook asked for, then left out.
	 */
	if (opts->fault_samples && probe->page_fault_user)
		add_with_charge_hooks(plan, PART_CGROUPS | asked | extras | PART_SAMPLES | gauges,
				      charges, charge_count);
	for (unsigned int i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		unsigned int parts = ladder[i] | gauges;

		if (opts->fault_hook != FAULT_HOOK_AUTO)
			parts = (parts & ~PART_FAULTS) | asked;
		if (charges_asked)
			parts |= charges[0];
		add_with_charge_hooks(plan, parts, charges, charge_count);
	}
}

/* Why the fault hook asked for by name is not on this kernel; NULL: it is. */
static const char *fault_hook_missing(const struct kernel_probe *probe, enum fault_hook asked)
{
	if (asked == FAULT_HOOK_TP_BTF)
		return !probe->memcg_events
			       ? "no memcg:count_memcg_events tracepoint on this kernel"
		       : !probe->kernel_btf ? "the memcg tracepoints need the kernel's own BTF "
					      "(/sys/kernel/btf/vmlinux)"
					    : NULL;
	if (asked != FAULT_HOOK_FENTRY && asked != FAULT_HOOK_KPROBE)
		return NULL;
	if (probe->memcg_events)
		return "it has the memcg:count_memcg_events tracepoint: use --fault-hook tp_btf "
		       "or auto";
	if (!probe->memcg_events_func)
		return "no __count_memcg_events(memcg, item, count) in its BTF";
	if (asked == FAULT_HOOK_FENTRY && !probe->kernel_btf)
		return "fentry needs the kernel's own BTF (/sys/kernel/btf/vmlinux)";
	return NULL;
}

/*
 * The options' verdict on the fault hook, and the start of the fallbacks'
 * reason: why faults are not counted by the memcg's own accounting here.
 */
static int plan_faults(const struct kernel_probe *probe, enum fault_hook asked,
		       struct load_plan *plan, char *err, size_t err_len)
{
	static const char *const names[] = {
		[FAULT_HOOK_TP_BTF] = "tp_btf",
		[FAULT_HOOK_FENTRY] = "fentry",
		[FAULT_HOOK_KPROBE] = "kprobe",
	};
	const char *missing = fault_hook_missing(probe, asked);
	size_t len = sizeof(plan->fallback_intro);

	if (missing) {
		snprintf(err, err_len, "--fault-hook %s: not on this kernel (%s)", names[asked],
			 missing);
		return -EOPNOTSUPP;
	}
	if (asked == FAULT_HOOK_OFF)
		snprintf(plan->fallback_intro, len, "turned off with --fault-hook off; ");
	else if (!probe->memcg_events && !probe->memcg_events_func)
		snprintf(plan->fallback_intro, len,
			 "%s: no memcg:count_memcg_events tracepoint on this kernel, nor the "
			 "__count_memcg_events function behind it; ",
			 load_part_hook(PART_FAULTS_MEMCG));
	else if (!probe->memcg_events && !probe->kernel_btf)
		snprintf(plan->fallback_intro, len,
			 "%s: no memcg:count_memcg_events tracepoint on this kernel, and fentry "
			 "on the function behind it needs the kernel's own BTF; ",
			 load_part_hook(PART_FAULTS_MEMCG));
	else if (!probe->memcg_events)
		snprintf(plan->fallback_intro, len,
			 "%s: no memcg:count_memcg_events tracepoint on this kernel; ",
			 load_part_hook(PART_FAULTS_MEMCG));
	return 0;
}

/* Why a charge hook asked for by name is not on this kernel. */
static const char *charge_hook_missing(const struct kernel_probe *probe, enum charge_hook asked)
{
	if (asked == CHARGE_HOOK_TP_BTF)
		return !probe->memcg_stat ? "no memcg:mod_memcg_state tracepoint on this kernel"
					  : "the memcg tracepoints need the kernel's own BTF "
					    "(/sys/kernel/btf/vmlinux)";
	if (probe->memcg_stat)
		return "it has the memcg tracepoints: use --charge-hook tp_btf or auto";
	if (!probe->memcg_stat_funcs)
		return "no __mod_memcg_state(memcg, ...) and __mod_memcg_lruvec_state(lruvec, "
		       "...) in its BTF";
	/* only fentry gets here: charge_hooks() offers a kprobe whenever the functions are */
	return "fentry needs the kernel's own BTF (/sys/kernel/btf/vmlinux)";
}

/* Why charges may end up without a kernel hook, and the options' verdict on them. */
static int plan_charges(const struct kernel_probe *probe, enum charge_hook asked,
			struct load_plan *plan, char *err, size_t err_len)
{
	unsigned int hooks[2];
	const char *why = NULL;

	plan->charge_hook_requested = asked != CHARGE_HOOK_AUTO;
	if (asked == CHARGE_HOOK_STAT)
		why = "turned off with --charge-hook stat";
	else if (!probe->memcg_stat && !probe->memcg_stat_funcs)
		why = "no memcg:mod_memcg_state tracepoint on this kernel, nor the "
		      "__mod_memcg_state and __mod_memcg_lruvec_state functions behind it";
	else if (probe->memcg_stat && !probe->kernel_btf)
		why = "the memcg tracepoints need the kernel's own BTF (/sys/kernel/btf/vmlinux)";
	else if (!probe->memcg_stat)
		why = "no memcg:mod_memcg_state tracepoint on this kernel";
	snprintf(plan->charges_intro, sizeof(plan->charges_intro), "%s", why ? why : "");
	if (asked == CHARGE_HOOK_AUTO || asked == CHARGE_HOOK_STAT ||
	    charge_hooks(probe, asked, hooks))
		return 0;
	snprintf(err, err_len, "--charge-hook %s: not on this kernel (%s)",
		 asked == CHARGE_HOOK_TP_BTF   ? "tp_btf"
		 : asked == CHARGE_HOOK_FENTRY ? "fentry"
					       : "kprobe",
		 charge_hook_missing(probe, asked));
	return -EOPNOTSUPP;
}

int load_plan_make(const struct kernel_probe *probe, const struct loader_opts *opts,
		   struct load_plan *plan, char *err, size_t err_len)
{
	int ret;

	memset(plan, 0, sizeof(*plan));
	plan->probe = *probe;
	ret = plan_faults(probe, opts->fault_hook, plan, err, err_len);
	if (ret)
		return ret;
	/*
	 * Without a path libbpf 1.1 also searches kernel modules' BTF for a type
	 * CO-RE can't find in vmlinux (the pre-6.2 rss_stat shim), and listing them
	 * needs CAP_SYS_ADMIN, which a container with only CAP_BPF + CAP_PERFMON
	 * lacks: the load would fail outright. There, name vmlinux's BTF. Where the
	 * listing is allowed, name none: a path makes libbpf parse vmlinux's BTF a
	 * second time for CO-RE, both copies alive at once (megabytes of peak RSS).
	 */
	plan->btf_path = opts->btf_path ? opts->btf_path
			 : probe->kernel_btf && !probe->module_btf_listed
				 ? "/sys/kernel/btf/vmlinux"
				 : NULL;
	plan->memcg_root = opts->memcg_root;
	plan->fault_hook_requested = opts->fault_hook != FAULT_HOOK_AUTO;
	plan->oom_hook_requested = opts->oom_hook != OOM_HOOK_AUTO;
	plan->fault_samples = opts->fault_samples;
	ret = plan_charges(probe, opts->charge_hook, plan, err, err_len);
	if (ret)
		return ret;
	plan_oom(probe, opts->oom_hook, plan);
	plan_attempts(probe, opts, plan);
	return 0;
}
