// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the loader attached for each feature and why, for `features` and /metrics. */
#include <stdio.h>
#include <string.h>

#include "load_plan.h"
#include "loader.h"
#include "loader_internal.h"

/*
 * Why charges are counted where they are, into out: no tracepoint, what
 * failed, or what was asked; the failed attempts (log) when nothing else says.
 */
static void charges_reason(const struct loader *loader, const struct load_plan *plan,
			   const struct load_hook *used, const char *log, char *out, size_t len)
{
	const char *intro = plan->charge_hook_requested && used && used->part
				    ? "requested with --charge-hook"
				    : plan->charges_intro;
	char failed[sizeof(loader->charges_err)] = "";

	if (used && used->part == PART_CHARGES && !plan->charge_hook_requested) {
		snprintf(out, len, "%s", used->how);
		return;
	}
	for (unsigned int i = 0; i < 2; i++)
		if (loader->charges_err[i][0])
			snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed), "%s%s",
				 failed[0] ? "; " : "", loader->charges_err[i]);
	if (!(used && used->part) && !intro[0] && !failed[0]) {
		/* the tracepoints failed with the rest of an attempt: say what failed */
		snprintf(out, len, "%s", log);
		return;
	}
	snprintf(out, len, "%s%s%s%s%s%s", intro, intro[0] && failed[0] ? "; " : "", failed,
		 used && used->part ? "; " : "", used && used->part ? used->how : "",
		 used && (used->part & (PART_CHARGES_FENTRY | PART_CHARGES_KPROBE)) &&
				 plan->probe.memcg_pre_rstat
			 ? "; before 5.13 socket-buffer charges can go through a compiler-made "
			   "copy of __mod_memcg_state the hooks don't see (Debian's 5.10: "
			   "charge.sock reads 0)"
			 : "");
}

/* Why a feature uses the hook it does, or none. */
static const char *hook_reason(const struct loader *loader, const struct load_plan *plan,
			       const struct load_hook *used, const char *feature,
			       const char *oom_reason, const char *log)
{
	if (!strcmp(feature, "oom_kill"))
		return oom_reason;
	if (!strcmp(feature, "gauges") && !(used && used->part))
		return loader->gauges_err[0] ? loader->gauges_err
		       : !plan->probe.cgroup_iter
			       ? "no cgroup iterator on this kernel (it came in Linux 6.1)"
		       : !plan->probe.kernel_btf ? "the cgroup iterator needs the kernel's own BTF"
						 : "no memory controller mounted";
	if (used && used->part == PART_FAULTS_PERF)
		return log; /* the fallbacks before it are its reason (a requested one: loader_report_hooks) */
	if (used)
		return used->how;
	if (!strcmp(feature, "fault_samples"))
		return !plan->fault_samples ? "off (--fault-samples N turns it on)"
		       : loader->samples_err[0]
			       ? loader->samples_err
			       : "no exceptions:page_fault_user tracepoint (x86 only)";
	return log;
}

/*
 * What was attached for each feature, and why (read by `features` and
 * /metrics): for each feature in load_hooks, its first hook attached.
 */
void loader_report_hooks(struct loader *loader, const struct load_plan *plan,
			 const char *oom_reason, char *log)
{
	struct loader_report *report = &loader->report;

	for (size_t n = strlen(log); n > 0 && (log[n - 1] == ' ' || log[n - 1] == ';');)
		log[--n] = '\0';
	for (unsigned int i = 0; i < load_hook_count && report->hook_count < LOADER_HOOKS_MAX;
	     i++) {
		const char *feature = load_hooks[i].feature;
		const struct load_hook *used = NULL;
		struct hook_report *h;

		if (i > 0 && !strcmp(feature, load_hooks[i - 1].feature))
			continue; /* reported with the feature's first row */
		for (unsigned int j = i; j < load_hook_count && !used; j++)
			if (!strcmp(load_hooks[j].feature, feature) &&
			    (!load_hooks[j].part || (load_hooks[j].part & loader->parts)))
				used = &load_hooks[j];
		h = &report->hooks[report->hook_count++];
		h->feature = feature;
		h->hook = used ? used->hook : NULL;
		h->status = used ? HOOK_ATTACHED : HOOK_UNAVAILABLE;
		h->fallback = used && used->fallback;
		if (!strcmp(feature, "charges"))
			charges_reason(loader, plan, used, log, h->reason, sizeof(h->reason));
		else if (!strcmp(feature, "faults") && plan->fault_hook_requested && used &&
			 used->part)
			snprintf(h->reason, sizeof(h->reason), "requested with --fault-hook; %s",
				 used->how);
		else
			snprintf(h->reason, sizeof(h->reason), "%s",
				 hook_reason(loader, plan, used, feature, oom_reason, log));
	}
}
