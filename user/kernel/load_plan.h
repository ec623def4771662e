/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_LOAD_PLAN_H
#define MEMSIGHT_LOAD_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "loader.h"

/*
 * What to load, decided once: probe the kernel's BTF (kernel_probe.h), then
 * plan from the probe and the caller's options. The loader walks the plan;
 * the features report names the hooks from the same table (load_hooks).
 * Pure: the plan is made from the probe struct alone.
 */

/* The parts of the BPF object one load attempt turns on (bpf_program__set_autoload). */
enum load_part {
	PART_OOM_TP_BTF = 1U << 0,
	PART_OOM_FENTRY = 1U << 1,
	PART_OOM_TRACEPOINT = 1U << 2,
	PART_CGROUPS = 1U << 3,
	PART_FAULTS_MEMCG = 1U << 4,
	PART_FAULTS_PERF = 1U << 5,
	PART_CHARGES = 1U << 6,
	PART_RECLAIM = 1U << 7,
	PART_SAMPLES = 1U << 8,
	PART_GAUGES = 1U << 9, /* the memcg gauges iterator */
	PART_CHARGES_FENTRY = 1U << 10,
	PART_CHARGES_KPROBE = 1U << 11,
	PART_FAULTS_FENTRY = 1U << 12,
	PART_FAULTS_KPROBE = 1U << 13,
};

#define PART_OOM    (PART_OOM_TP_BTF | PART_OOM_FENTRY | PART_OOM_TRACEPOINT)
#define PART_FAULTS (PART_FAULTS_MEMCG | PART_FAULTS_FENTRY | PART_FAULTS_KPROBE | PART_FAULTS_PERF)
/* faults counted in the memcg's own event accounting, by any hook */
#define PART_FAULTS_MEMCG_ANY (PART_FAULTS_MEMCG | PART_FAULTS_FENTRY | PART_FAULTS_KPROBE)
/* charges counted in the kernel, by any hook */
#define PART_CHARGES_ANY (PART_CHARGES | PART_CHARGES_FENTRY | PART_CHARGES_KPROBE)

/* What the kernel offers, read from its BTF once. */
struct kernel_probe {
	bool kernel_btf;   /* /sys/kernel/btf/vmlinux: attaching tp_btf and fentry needs it */
	bool memcg_events; /* memcg:count_memcg_events */
	bool memcg_stat;   /* memcg:mod_memcg_state (and the lruvec twin) */
	/* __mod_memcg_state(memcg, ...) and __mod_memcg_lruvec_state(lruvec, ...) in BTF */
	bool memcg_stat_funcs;
	bool memcg_events_func; /* __count_memcg_events(memcg, item, count) in BTF */
	/* mem_cgroup_per_node::lruvec_stat_local: before 5.13's rstat (core_fixes.bpf.h) */
	bool memcg_pre_rstat;
	bool page_fault_user;	/* exceptions:page_fault_user (x86 only) */
	bool mark_victim_task;	/* oom:mark_victim passes the victim's task (2024) */
	bool mark_oom_victim;	/* mark_oom_victim() is a traceable function */
	bool bpf_loop;		/* the bpf_loop() helper (5.17): a walk over every process */
	bool module_btf_listed; /* bpf(BTF_GET_NEXT_ID) allowed: libbpf can search modules' BTF */
	bool cgroup_iter;	/* the cgroup iterator (6.1): every memcg's gauges in one read */
};

/* One hook: the feature it serves and its name, defined once for every report. */
struct load_hook {
	unsigned int part; /* 0: the feature's userspace fallback, used when no part is */
	const char *feature;
	const char *hook;
	const char *how; /* why it is used, when it is */
	bool fallback;	 /* not the feature's preferred hook */
};

extern const struct load_hook load_hooks[];
extern const unsigned int load_hook_count;

/* The hook of a part (one bit), NULL when none. */
const struct load_hook *load_hook_of(unsigned int part);
/* Its name, for the reports and the JSON lines' "source"; NULL when none. */
const char *load_part_hook(unsigned int part);

/*
 * The longest plan: --fault-samples (2 charge hooks) then the ladder's five
 * steps, the two with charges once per charge hook: 9.
 */
#define LOAD_ATTEMPTS_MAX 12

struct load_plan {
	struct kernel_probe probe;
	/* the BTF CO-RE relocates against (libbpf's btf_custom_path), NULL: libbpf's search */
	const char *btf_path;
	const char *memcg_root; /* where the gauges iterator walks from (loader_opts) */
	/* OOM hooks to try, best first; a non-empty ruled_out skips one, saying why */
	struct {
		unsigned int part;
		char ruled_out[256];
	} oom[3];
	unsigned int oom_count;
	/* With each OOM hook, these sets of the other parts, best first. */
	unsigned int attempts[LOAD_ATTEMPTS_MAX];
	unsigned int attempt_count;
	/* why the fallbacks' reasons start where they do ("turned off with ...; ") */
	char fallback_intro[256];
	bool fault_hook_requested; /* --fault-hook named one: no quiet fallback */
	bool charge_hook_requested;
	/* why charges have no tracepoint (or no hook at all) here; empty: they have */
	char charges_intro[256];
	bool oom_hook_requested;
	unsigned int fault_samples;
};

/* 0, or -EOPNOTSUPP with why in err when the options ask for what the kernel lacks. */
int load_plan_make(const struct kernel_probe *probe, const struct loader_opts *opts,
		   struct load_plan *plan, char *err, size_t err_len);

#endif
