// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memsight recommend's method: the grouping rule, the workload set, the decision. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "recommend_method.h"
#include "workload_name.h"
#include "workloads.h"

#define MIB  1048576.0
#define HOUR 3600.0
#define DAY  86400.0
#define WEEK (7 * DAY)

static void expect_workload(const char *pod, const char *name, enum workload_kind kind)
{
	char got[256];
	enum workload_kind got_kind = workload_from_pod(pod, "app", got, sizeof(got));

	if (strcmp(got, name) || got_kind != kind)
		fail_msg("pod '%s': got '%s' (%s), expected '%s' (%s)", pod, got,
			 workload_kind_name(got_kind), name, workload_kind_name(kind));
}

static void test_deployment_pods(void **state)
{
	expect_workload("checkout-7d4b9c8f6d-x2k9p", "checkout", WORKLOAD_DEPLOYMENT);
	expect_workload("coredns-5d78c9869d-8xk2v", "coredns", WORKLOAD_DEPLOYMENT);
	/* A 6-character hash (a small 32-bit value) and dashes in the name. */
	expect_workload("my-web-app-66b6c4-bz9fq", "my-web-app", WORKLOAD_DEPLOYMENT);
	/* Before Kubernetes 1.8 the hash was decimal: the same workload either way. */
	expect_workload("web-3390468961-x7k2p", "web", WORKLOAD_JOB_RUN);
}

static void test_statefulset_pods(void **state)
{
	expect_workload("ledger-0", "ledger", WORKLOAD_STATEFULSET);
	expect_workload("kafka-broker-12", "kafka-broker", WORKLOAD_STATEFULSET);
	/* Ordinal 10000 has digits no generated suffix has (0, 1). */
	expect_workload("cache-10000", "cache", WORKLOAD_STATEFULSET);
	/* 24567 could be either; the workload is the same. */
	expect_workload("cache-24567", "cache", WORKLOAD_DAEMONSET_OR_JOB);
}

static void test_daemonset_and_job_pods(void **state)
{
	expect_workload("fluent-bit-x7k2p", "fluent-bit", WORKLOAD_DAEMONSET_OR_JOB);
	expect_workload("migrate-db-4bq9z", "migrate-db", WORKLOAD_DAEMONSET_OR_JOB);
	/* "xyz12" has a y: not a pod-template-hash, so app-xyz12 is the owner. */
	expect_workload("app-xyz12-x7k2p", "app-xyz12", WORKLOAD_DAEMONSET_OR_JOB);
}

static void test_cronjob_and_indexed_job_pods(void **state)
{
	expect_workload("nightly-report-28930560-x7k2p", "nightly-report", WORKLOAD_JOB_RUN);
	expect_workload("train-3-x7k2p", "train", WORKLOAD_JOB_RUN);
}

static void test_other_pods(void **state)
{
	char got[64];

	/* Words are not generated suffixes: they have vowels. */
	expect_workload("api-server", "api-server", WORKLOAD_POD);
	expect_workload("debug", "debug", WORKLOAD_POD);
	expect_workload("-x7k2p", "-x7k2p", WORKLOAD_POD);
	expect_workload("web-", "web-", WORKLOAD_POD);
	expect_workload("a--x7k2p", "a-", WORKLOAD_DAEMONSET_OR_JOB);
	/* No pod: docker, podman, a systemd unit. */
	assert_int_equal(workload_from_pod("", "redis", got, sizeof(got)), WORKLOAD_CONTAINER);
	assert_string_equal(got, "redis");
	assert_int_equal(workload_from_pod(NULL, NULL, got, sizeof(got)), WORKLOAD_CONTAINER);
	assert_string_equal(got, "");
	/* Cut to the buffer, never past it. */
	assert_int_equal(workload_from_pod("checkout-7d4b9c8f6d-x2k9p", "app", got, 5),
			 WORKLOAD_DEPLOYMENT);
	assert_string_equal(got, "chec");
}

/* A workload's figures over a week: steady, no kills, no risks, no leak. */
static struct recommend_figures week(double p99_mib, double max_mib)
{
	struct recommend_figures f = {
		.has_working_set = true,
		.working_set_p99 = p99_mib * MIB,
		.working_set_max = max_mib * MIB,
		.first_seen = 1e9,
		.last_seen = 1e9 + WEEK - 600,
		.has_limit = true,
		.current_limit = 1024 * MIB,
	};
	return f;
}

static void test_from_usage(void **state)
{
	struct recommend_figures f = week(400, 420);
	struct recommendation r;

	recommend_decide(&f, WEEK, &r);
	assert_true(r.recommended);
	assert_int_equal(r.verdict, RECOMMEND_FROM_USAGE);
	/* 400 MiB * 1.15 = 460 MiB; 420 * 1.15 = 483 MiB */
	assert_int_equal(r.request_bytes, 460 * 1048576ULL);
	assert_int_equal(r.limit_bytes, 483 * 1048576ULL);
	assert_string_equal(r.reason,
			    "p99 working set 400 MiB + 15% margin; limit: peak 420 MiB + 15%");
	/* Rounded up to whole MiB: 100.5 * 1.15 = 115.575 -> 116 */
	f = week(100.5, 100.5);
	recommend_decide(&f, WEEK, &r);
	assert_int_equal(r.request_bytes, 116 * 1048576ULL);
	assert_int_equal(r.limit_bytes, 116 * 1048576ULL);
}

static void test_risk_episodes_widen_the_limit(void **state)
{
	struct recommend_figures f = week(400, 420);
	struct recommendation r;

	f.oom_risks = 2;
	recommend_decide(&f, WEEK, &r);
	assert_int_equal(r.verdict, RECOMMEND_FROM_USAGE);
	assert_int_equal(r.request_bytes, 460 * 1048576ULL);
	assert_int_equal(r.limit_bytes, 525 * 1048576ULL); /* 420 * 1.25 */
	assert_string_equal(r.reason, "p99 working set 400 MiB + 15% margin; limit: peak 420 MiB "
				      "+ 25% (2 OOM risk episodes)");
}

static void test_oom_kills_raise_the_limit(void **state)
{
	struct recommend_figures f = week(300, 505);
	struct recommendation r;

	f.oom_kills = 3;
	f.has_kill_limit = true;
	f.kill_limit = 512 * MIB;
	recommend_decide(&f, WEEK, &r);
	assert_true(r.recommended);
	assert_int_equal(r.verdict, RECOMMEND_RAISED_OOM);
	assert_int_equal(r.limit_bytes, 640 * 1048576ULL); /* 512 * 1.25 > 505 * 1.15 */
	assert_int_equal(r.request_bytes, 345 * 1048576ULL);
	assert_string_equal(r.reason, "raised: 3 OOM kills at 512 MiB, limit 512 MiB + 25%; "
				      "request: p99 working set 300 MiB + 15% margin");
}

static void test_oom_kills_below_a_higher_peak(void **state)
{
	/* Killed at 256 MiB once, then given more: the peak since is the higher bound. */
	struct recommend_figures f = week(300, 900);
	struct recommendation r;

	f.oom_kills = 1;
	f.has_kill_limit = true;
	f.kill_limit = 256 * MIB;
	recommend_decide(&f, WEEK, &r);
	assert_int_equal(r.verdict, RECOMMEND_RAISED_OOM);
	assert_int_equal(r.limit_bytes, 1035 * 1048576ULL); /* 900 * 1.15 */
	assert_string_equal(r.reason, "raised: 1 OOM kill at 256 MiB, limit: peak 900 MiB + 15%; "
				      "request: p99 working set 300 MiB + 15% margin");
}

static void test_oom_kills_without_a_limit(void **state)
{
	struct recommend_figures f = week(300, 400);
	struct recommendation r;

	f.oom_kills = 1;
	recommend_decide(&f, WEEK, &r);
	assert_int_equal(r.verdict, RECOMMEND_RAISED_OOM);
	assert_int_equal(r.limit_bytes, 500 * 1048576ULL); /* 400 * 1.25 */
	assert_non_null(strstr(r.reason, "(no limit known)"));
}

static void test_leak_is_not_recommended(void **state)
{
	struct recommend_figures f = week(300, 400);
	struct recommendation r;

	f.leak_suspected = true;
	f.oom_kills = 2; /* the leak is the cause: no raise */
	f.has_kill_limit = true;
	f.kill_limit = 512 * MIB;
	recommend_decide(&f, WEEK, &r);
	assert_false(r.recommended);
	assert_int_equal(r.verdict, RECOMMEND_NO_LEAKING);
	assert_int_equal(r.request_bytes, 0);
	assert_int_equal(r.limit_bytes, 0);
	assert_string_equal(r.reason, "not recommended: leaking, fix the leak first");
}

static void test_too_little_history(void **state)
{
	struct recommend_figures f = week(300, 400);
	struct recommendation r;

	f.last_seen = f.first_seen + HOUR;
	recommend_decide(&f, WEEK, &r);
	assert_false(r.recommended);
	assert_int_equal(r.verdict, RECOMMEND_NO_HISTORY);
	assert_string_equal(r.reason, "too little history: 60m of the 24h needed");
	assert_true(fabs(r.history_s - HOUR) < 1e-6);
	/* A day is enough, whatever the window. */
	f.last_seen = f.first_seen + DAY;
	recommend_decide(&f, WEEK, &r);
	assert_true(r.recommended);
	/* A short window needs half of itself: 150 s of 5 minutes. */
	assert_true(recommend_history_needed(300) == 150);
	assert_true(recommend_history_needed(WEEK) == DAY);
	f.last_seen = f.first_seen + 100;
	recommend_decide(&f, 300, &r);
	assert_string_equal(r.reason, "too little history: 1m40s of the 2m30s needed");
	f.last_seen = f.first_seen + 200;
	recommend_decide(&f, 300, &r);
	assert_true(r.recommended);
	f.last_seen = f.first_seen + 30;
	recommend_decide(&f, 300, &r);
	assert_string_equal(r.reason, "too little history: 30s of the 2m30s needed");
	/* History never exceeds the window. */
	f.last_seen = f.first_seen + 2 * WEEK;
	recommend_decide(&f, WEEK, &r);
	assert_true(r.history_s == WEEK);
	/* Two days and more read in days. */
	f.last_seen = f.first_seen + 3 * DAY;
	recommend_decide(&f, 30 * DAY, &r);
	assert_true(r.recommended);
	f.last_seen = f.first_seen + 0.5 * DAY;
	recommend_decide(&f, 30 * DAY, &r);
	assert_string_equal(r.reason, "too little history: 12h of the 24h needed");
}

static void test_no_working_set(void **state)
{
	struct recommend_figures f = { .oom_kills = 1, .first_seen = INFINITY };
	struct recommendation r;

	recommend_decide(&f, WEEK, &r);
	assert_false(r.recommended);
	assert_int_equal(r.verdict, RECOMMEND_NO_DATA);
	assert_true(r.history_s == 0);
}

static void test_rounding_and_sizes(void **state)
{
	char buf[32];

	assert_int_equal(recommend_round_mib(512 * MIB), 512 * 1048576ULL);
	assert_int_equal(recommend_round_mib(512 * MIB + 1), 513 * 1048576ULL);
	assert_int_equal(recommend_round_mib(1), 1048576ULL);
	assert_int_equal(recommend_round_mib(0), 0);
	assert_int_equal(recommend_round_mib(-5), 0);
	assert_int_equal(recommend_round_mib(NAN), 0);
	assert_string_equal(recommend_format_size(412.4 * MIB, buf, sizeof(buf)), "412 MiB");
	assert_string_equal(recommend_format_size(1536 * MIB, buf, sizeof(buf)), "1.5 GiB");
	assert_string_equal(recommend_format_size(20480 * MIB, buf, sizeof(buf)), "20 GiB");
	assert_string_equal(recommend_format_size(800 * 1024, buf, sizeof(buf)), "800 KiB");
}

static void add(struct workload_set *set, const char *ns, const char *pod, const char *container,
		enum workload_figure figure, double value)
{
	assert_int_equal(workload_set_add(set, ns, pod, container, figure, value), 0);
}

static void test_workload_set_groups_pods(void **state)
{
	struct workload_set set;
	struct workload *w;

	workload_set_init(&set);
	add(&set, "shop", "checkout-7d4b9c8f6d-x2k9p", "app", FIGURE_WS_MAX, 300 * MIB);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_WS_MAX, 320 * MIB);
	/* A restarted container: a new series of the same pod. */
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_WS_MAX, 310 * MIB);
	add(&set, "shop", "checkout-7d4b9c8f6d-x2k9p", "app", FIGURE_WS_P99, 290 * MIB);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_WS_P99, 280 * MIB);
	add(&set, "shop", "checkout-7d4b9c8f6d-x2k9p", "app", FIGURE_FIRST_SEEN, 2000);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_FIRST_SEEN, 1000);
	add(&set, "shop", "checkout-7d4b9c8f6d-x2k9p", "app", FIGURE_LAST_SEEN, 9000);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_LAST_SEEN, 8000);
	add(&set, "shop", "checkout-7d4b9c8f6d-x2k9p", "app", FIGURE_OOM_KILLS, 1);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_OOM_KILLS, 2);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_OOM_RISKS, 3);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_LEAK, 0);
	add(&set, "shop", "checkout-7d4b9c8f6d-x2k9p", "app", FIGURE_KILL_LIMIT, 256 * MIB);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_KILL_LIMIT, 512 * MIB);
	add(&set, "shop", "checkout-7d4b9c8f6d-x2k9p", "app", FIGURE_LIMIT_LAST, 2048 * MIB);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_LIMIT_NOW, 1024 * MIB);
	/* Not numbers, or negative: left out. */
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_WS_MAX, NAN);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_WS_MAX, INFINITY);
	add(&set, "shop", "checkout-7d4b9c8f6d-q8z4m", "app", FIGURE_OOM_KILLS, -4);
	workload_set_finish(&set);
	assert_int_equal(set.len, 1);
	w = set.items[0];
	assert_string_equal(w->namespace, "shop");
	assert_string_equal(w->name, "checkout");
	assert_string_equal(w->container, "app");
	assert_int_equal(w->kind, WORKLOAD_DEPLOYMENT);
	assert_int_equal(w->pods, 2);
	assert_true(w->fig.has_working_set);
	assert_true(w->fig.working_set_max == 320 * MIB);
	assert_true(w->fig.working_set_p99 == 290 * MIB);
	assert_true(w->fig.first_seen == 1000 && w->fig.last_seen == 9000);
	assert_int_equal(w->fig.oom_kills, 3);
	assert_int_equal(w->fig.oom_risks, 3);
	assert_false(w->fig.leak_suspected);
	assert_true(w->fig.has_kill_limit && w->fig.kill_limit == 512 * MIB);
	/* A pod that reports now says what the limit is; a gone one only what it was. */
	assert_true(w->fig.has_limit && w->fig.current_limit == 1024 * MIB);
	workload_set_free(&set);
}

static void test_workload_set_keys_and_order(void **state)
{
	struct workload_set set;
	char pod[64];

	workload_set_init(&set);
	add(&set, "b", "web-0", "app", FIGURE_WS_MAX, 1);
	add(&set, "a", "web-1", "app", FIGURE_WS_MAX, 1);
	add(&set, "a", "web-1", "sidecar", FIGURE_WS_MAX, 1); /* a container of its own */
	add(&set, "a", "", "web", FIGURE_WS_MAX, 1);	      /* docker's "web": no pod */
	add(&set, "a", "web-1", "app", FIGURE_LEAK, 1);
	add(&set, "a", "web-0", "app", FIGURE_LIMIT_LAST, 100);
	/* Enough workloads to grow the index several times. */
	for (int i = 0; i < 5000; i++) {
		snprintf(pod, sizeof(pod), "job%d-x7k2p", i);
		add(&set, "z", pod, "c", FIGURE_WS_MAX, i);
		add(&set, "z", pod, "c", FIGURE_WS_P99, i);
	}
	workload_set_finish(&set);
	assert_int_equal(set.len, 5004);
	assert_string_equal(set.items[0]->namespace, "a");
	assert_string_equal(set.items[0]->name, "web");
	assert_string_equal(set.items[0]->container, "app");
	assert_int_equal(set.items[0]->pods, 1);
	assert_true(set.items[0]->fig.leak_suspected);
	assert_true(set.items[0]->fig.has_limit && set.items[0]->fig.current_limit == 100);
	assert_string_equal(set.items[1]->container, "sidecar");
	assert_false(set.items[1]->fig.has_limit);
	assert_string_equal(set.items[2]->container, "web");
	assert_int_equal(set.items[2]->kind, WORKLOAD_CONTAINER);
	assert_int_equal(set.items[2]->pods, 0);
	assert_string_equal(set.items[3]->namespace, "b");
	for (size_t i = 4; i < set.len; i++) {
		assert_int_equal(set.items[i]->pods, 1);
		assert_true(set.items[i]->fig.working_set_p99 == set.items[i]->fig.working_set_max);
	}
	/* Adding after finish still finds the existing entries. */
	add(&set, "b", "web-0", "app", FIGURE_OOM_KILLS, 1);
	assert_int_equal(set.len, 5004);
	workload_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment_pods),
		cmocka_unit_test(test_statefulset_pods),
		cmocka_unit_test(test_daemonset_and_job_pods),
		cmocka_unit_test(test_cronjob_and_indexed_job_pods),
		cmocka_unit_test(test_other_pods),
		cmocka_unit_test(test_from_usage),
		cmocka_unit_test(test_risk_episodes_widen_the_limit),
		cmocka_unit_test(test_oom_kills_raise_the_limit),
		cmocka_unit_test(test_oom_kills_below_a_higher_peak),
		cmocka_unit_test(test_oom_kills_without_a_limit),
		cmocka_unit_test(test_leak_is_not_recommended),
		cmocka_unit_test(test_too_little_history),
		cmocka_unit_test(test_no_working_set),
		cmocka_unit_test(test_rounding_and_sizes),
		cmocka_unit_test(test_workload_set_groups_pods),
		cmocka_unit_test(test_workload_set_keys_and_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
