// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /metrics: running totals across intervals, tombstones, and the exposition text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aggregate.h"
#include "prom_format.h"

#define SEC 1000000000ULL

static const struct prom_context ctx = { .version = "test" };

static char *render(const struct aggregate *agg)
{
	struct agent_stats agent = { .records_total = 7 };
	struct strbuf page;

	strbuf_init(&page);
	prom_format(&page, agg, &agent, &ctx);
	assert_false(page.failed);
	return page.buf;
}

/* The value of the one line that starts with series (name and labels), or -1. */
static double value_of(const char *page, const char *series)
{
	const char *p = page;
	size_t n = strlen(series);
	double found = -1;
	int hits = 0;

	while ((p = strstr(p, series))) {
		if ((p == page || p[-1] == '\n') && p[n] == ' ') {
			found = strtod(p + n + 1, NULL);
			hits++;
		}
		p += n;
	}
	if (hits > 1)
		fail_msg("%s appears %d times", series, hits);
	return found;
}

static struct container_stats stats_for(uint64_t id, const char *path, uint64_t minor)
{
	return (struct container_stats){
		.cgroup_id = id,
		.path = path,
		.faults_minor = minor,
		.faults_major = 1,
		.has_charges = true,
		.charged = { [MEMSIGHT_CHARGE_ANON] = 4096 },
		.has_usage = true,
		.usage_bytes = 1000,
		.has_limit = true,
		.limit_bytes = 2000,
	};
}

#define LABELS(path) "{container_id=\"\",container=\"\",pod=\"\",namespace=\"\",cgroup=\"" path "\""

static void test_counters_add_up_across_intervals(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct container_stats a = stats_for(11, "/a", 100);
	char *page;

	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	aggregate__begin_interval(agg, SEC);
	a.faults_minor = 50;
	a.usage_bytes = 1500;
	aggregate__add_stats(agg, &a);
	aggregate__add_oom_kill(agg, 11, "/a", NULL, 5 * (int64_t)SEC);
	page = render(agg);
	assert_true(value_of(page, "memsight_page_faults_total" LABELS("/a") ",type=\"minor\"}") ==
		    150);
	assert_true(value_of(page, "memsight_page_faults_total" LABELS("/a") ",type=\"major\"}") ==
		    2);
	assert_true(value_of(page, "memsight_memcg_charged_bytes_total" LABELS(
					   "/a") ",kind=\"anon\"}") == 8192);
	/* gauges are the latest reading, not a sum */
	assert_true(value_of(page, "memsight_memory_usage_bytes" LABELS("/a") "}") == 1500);
	assert_true(value_of(page, "memsight_memory_limit_bytes" LABELS("/a") "}") == 2000);
	assert_true(value_of(page, "memsight_oom_kills_total" LABELS("/a") "}") == 1);
	assert_true(value_of(page, "memsight_last_oom_kill_timestamp_seconds" LABELS("/a") "}") ==
		    5);
	assert_true(value_of(page, "memsight_events_received_total") == 7);
	assert_non_null(strstr(page, "# TYPE memsight_page_faults_total counter\n"));
	/* no reclaim yet: no histogram series for it */
	assert_null(strstr(page, "memsight_reclaim_stall_seconds_bucket{"));
	free(page);
	aggregate__free(agg);
}

/* Runtime state failures: one series per runtime and reason that failed, none for the rest. */
static void test_runtime_state_errors(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct agent_stats agent = {
		.state_errors.count = { [RUNTIME_DOCKER] = { [STATE_MALFORMED] = 3 },
					[RUNTIME_UNKNOWN] = { [STATE_NOT_FOUND] = 2 } },
	};
	struct strbuf page;

	strbuf_init(&page);
	prom_format(&page, agg, &agent, &ctx);
	assert_non_null(strstr(page.buf, "# TYPE memsight_runtime_state_errors_total counter\n"));
	assert_true(value_of(page.buf, "memsight_runtime_state_errors_total{runtime=\"docker\","
				       "reason=\"malformed\"}") == 3);
	assert_true(value_of(page.buf, "memsight_runtime_state_errors_total{runtime=\"unknown\","
				       "reason=\"not_found\"}") == 2);
	assert_null(strstr(page.buf, "reason=\"too_large\""));
	assert_null(strstr(page.buf, "runtime=\"podman\""));
	strbuf_free(&page);
	aggregate__free(agg);
}

/* Timestamps and large gauges keep their digits (a %.9g once rounded times to 10 s). */
static void test_wide_values_keep_their_precision(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct container_stats a = stats_for(11, "/a", 1);
	struct prom_context wide = { .version = "test",
				     .start_realtime_ns = 1795783030987654321LL };
	struct agent_stats agent = { .rss_bytes = 123456789012ULL };
	struct strbuf page;
	double ts;

	a.usage_bytes = 98765432109ULL;
	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	aggregate__add_oom_kill(agg, 11, "/a", NULL, 1795783030123456789LL);
	strbuf_init(&page);
	prom_format(&page, agg, &agent, &wide);
	ts = value_of(page.buf, "memsight_last_oom_kill_timestamp_seconds" LABELS("/a") "}");
	assert_true(ts > 1795783030.1234 && ts < 1795783030.1235);
	ts = value_of(page.buf, "memsight_start_time_seconds");
	assert_true(ts > 1795783030.9876 && ts < 1795783030.9877);
	assert_true(value_of(page.buf, "memsight_memory_usage_bytes" LABELS("/a") "}") ==
		    98765432109.0);
	assert_true(value_of(page.buf, "memsight_resident_memory_bytes") == 123456789012.0);
	strbuf_free(&page);
	aggregate__free(agg);
}

static void test_interval_figures_reset_when_idle(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct container_stats a = stats_for(11, "/a", 100);
	const struct aggregate_entry **entries;
	unsigned int n;

	aggregate__begin_interval(agg, 2 * SEC);
	aggregate__add_stats(agg, &a);
	entries = aggregate__sorted(agg, &n);
	assert_int_equal(n, 1);
	assert_int_equal(entries[0]->interval_minor, 100);
	assert_true(aggregate_entry_growth(entries[0], aggregate__interval_ns(agg)) == 2048);
	free(entries);
	aggregate__begin_interval(agg, 2 * SEC);
	entries = aggregate__sorted(agg, &n);
	assert_int_equal(entries[0]->interval_minor, 0);
	assert_int_equal(entries[0]->faults_minor, 100);
	free(entries);
	aggregate__free(agg);
}

static void test_series_go_when_the_tombstone_expires(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct container_stats a = stats_for(11, "/a", 1), b = stats_for(12, "/b", 1);
	char *page;

	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	aggregate__add_stats(agg, &b);
	aggregate__cgroup_removed(agg, 11, 100 * SEC);
	aggregate__expire(agg, 159 * SEC);
	page = render(agg);
	/* still there, marked exited, for the tombstone period */
	assert_non_null(strstr(page, "cgroup=\"/a\",runtime=\"none\",pod_uid=\"\",image=\"\","
				     "exited=\"true\"} 1"));
	free(page);
	aggregate__expire(agg, 160 * SEC);
	page = render(agg);
	assert_null(strstr(page, "cgroup=\"/a\""));
	assert_non_null(strstr(page, "cgroup=\"/b\""));
	assert_int_equal(aggregate__count(agg), 1);
	free(page);
	aggregate__free(agg);
}

static void test_table_is_bounded(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 2);

	aggregate__begin_interval(agg, SEC);
	for (uint64_t id = 1; id <= 5; id++) {
		struct container_stats s = stats_for(id, "/x", 1);

		aggregate__add_stats(agg, &s);
	}
	assert_int_equal(aggregate__count(agg), 2);
	assert_int_equal(aggregate__overflows(agg), 3);
	aggregate__free(agg);
}

static void test_hostile_label_values_are_escaped(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct container_stats a = stats_for(11, "/evil\"} 1\nfake_metric{x=\"\\", 1);
	struct container_stats b = stats_for(12, "/bad\xff\xc0utf8-\xe2\x82\xac", 1);
	struct container_info info = { .runtime = RUNTIME_DOCKER };
	char *page;

	snprintf(info.meta.name, sizeof(info.meta.name), "name\"with\\quotes");
	a.container = &info;
	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	aggregate__add_stats(agg, &b);
	page = render(agg);
	/* no line may start with the injected name */
	assert_null(strstr(page, "\nfake_metric"));
	assert_non_null(strstr(page, "container=\"name\\\"with\\\\quotes\""));
	assert_non_null(strstr(page, "cgroup=\"/evil\\\"} 1\\nfake_metric{x=\\\"\\\\\""));
	/* malformed bytes become U+FFFD; the well-formed euro sign stays */
	assert_non_null(strstr(page, "cgroup=\"/bad\xef\xbf\xbd\xef\xbf\xbdutf8-\xe2\x82\xac\""));
	free(page);
	aggregate__free(agg);
}

static void test_reclaim_histogram_is_cumulative(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct container_stats a = stats_for(11, "/a", 1);
	char *page;

	a.has_reclaim = true;
	a.reclaim_count = 4;
	a.reclaim_stall_ns = 3 * SEC;
	a.reclaim_hist[5] = 1;	/* 32-63 ns */
	a.reclaim_hist[19] = 2; /* ~0.5-1 ms */
	a.reclaim_hist[31] = 1; /* seconds */
	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	page = render(agg);
	assert_true(value_of(page, "memsight_reclaim_stall_seconds_bucket" LABELS(
					   "/a") ",le=\"1.024e-06\"}") == 1);
	assert_true(value_of(page, "memsight_reclaim_stall_seconds_bucket" LABELS(
					   "/a") ",le=\"0.000524288\"}") == 1);
	assert_true(value_of(page, "memsight_reclaim_stall_seconds_bucket" LABELS(
					   "/a") ",le=\"0.004194304\"}") == 3);
	assert_true(value_of(page, "memsight_reclaim_stall_seconds_bucket" LABELS(
					   "/a") ",le=\"2.147483648\"}") == 3);
	assert_true(value_of(page, "memsight_reclaim_stall_seconds_bucket" LABELS(
					   "/a") ",le=\"+Inf\"}") == 4);
	assert_true(value_of(page, "memsight_reclaim_stall_seconds_count" LABELS("/a") "}") == 4);
	assert_true(value_of(page, "memsight_reclaim_stall_seconds_sum" LABELS("/a") "}") == 3);
	free(page);
	aggregate__free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_add_up_across_intervals),
		cmocka_unit_test(test_wide_values_keep_their_precision),
		cmocka_unit_test(test_interval_figures_reset_when_idle),
		cmocka_unit_test(test_series_go_when_the_tombstone_expires),
		cmocka_unit_test(test_table_is_bounded),
		cmocka_unit_test(test_hostile_label_values_are_escaped),
		cmocka_unit_test(test_reclaim_histogram_is_cumulative),
		cmocka_unit_test(test_runtime_state_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
