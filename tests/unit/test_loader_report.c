// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The charges row of the loader's report: which hook, and a reason that is never empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "load_plan.h"
#include "loader_internal.h"

static struct loader loader;

/* The report's row for feature, after loader_report_hooks with these attached parts. */
static const struct hook_report *row_for(struct kernel_probe probe, unsigned int parts,
					 const char *log, const char *feature)
{
	struct loader_opts opts = { .sz = sizeof(opts) };
	static struct load_plan plan;
	char err[256], log_copy[512];

	assert_int_equal(load_plan_make(&probe, &opts, &plan, err, sizeof(err)), 0);
	loader.parts = parts;
	loader.report.hook_count = 0;
	snprintf(log_copy, sizeof(log_copy), "%s", log);
	loader_report_hooks(&loader, &plan, "oom reason", log_copy);
	for (unsigned int i = 0; i < loader.report.hook_count; i++)
		if (!strcmp(loader.report.hooks[i].feature, feature))
			return &loader.report.hooks[i];
	fail();
	return NULL;
}

/* The tracepoints are there but their programs failed with the rest: say what failed. */
static void test_tracepoint_charges_failed(void **state)
{
	struct kernel_probe probe = { .kernel_btf = true,
				      .memcg_events = true,
				      .memcg_stat = true };
	const struct hook_report *h;

	memset(&loader, 0, sizeof(loader));
	h = row_for(probe, PART_OOM_TP_BTF | PART_CGROUPS | PART_FAULTS_MEMCG,
		    "tp_btf/count_memcg_events; (can't load BPF programs: Permission denied) ",
		    "charges");
	assert_string_equal(h->hook, "memory.stat deltas (userspace)");
	assert_non_null(strstr(h->reason, "can't load BPF programs: Permission denied"));
}

/* fentry refused, kprobes attached: both said, and the faults row keeps to faults */
static void test_kprobe_after_fentry(void **state)
{
	struct kernel_probe probe = { .kernel_btf = true, .memcg_stat_funcs = true };
	const struct hook_report *h;

	memset(&loader, 0, sizeof(loader));
	snprintf(loader.charges_err[0], sizeof(loader.charges_err[0]),
		 "fentry/__mod_memcg_state + __mod_memcg_lruvec_state: can't attach");
	h = row_for(probe, PART_OOM_TP_BTF | PART_FAULTS_PERF | PART_CHARGES_KPROBE, "", "charges");
	assert_string_equal(h->hook, "kprobe/__mod_memcg_state + __mod_memcg_lruvec_state");
	assert_non_null(strstr(h->reason, "no memcg:mod_memcg_state tracepoint"));
	assert_non_null(strstr(h->reason, "fentry/__mod_memcg_state + __mod_memcg_lruvec_state: "
					  "can't attach"));
	assert_non_null(strstr(h->reason, "counted per memcg"));
	assert_null(strstr(h->reason, "socket-buffer"));
	/* before 5.13 the socket-buffer kind may be missed: said */
	probe.memcg_pre_rstat = true;
	h = row_for(probe, PART_OOM_TP_BTF | PART_FAULTS_PERF | PART_CHARGES_FENTRY, "", "charges");
	assert_non_null(strstr(h->reason, "socket-buffer"));
}

/* The tracepoints attached: only how they count, with nothing else in front */
static void test_tracepoints(void **state)
{
	struct kernel_probe probe = { .kernel_btf = true,
				      .memcg_events = true,
				      .memcg_stat = true };
	const struct hook_report *h;

	memset(&loader, 0, sizeof(loader));
	h = row_for(probe, PART_OOM_TP_BTF | PART_CHARGES, "", "charges");
	assert_string_equal(h->hook, "tp_btf/mod_memcg_state + mod_memcg_lruvec_state");
	assert_string_equal(h->reason, "charged and uncharged bytes per kind, counted per memcg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tracepoint_charges_failed),
		cmocka_unit_test(test_kprobe_after_fentry),
		cmocka_unit_test(test_tracepoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
