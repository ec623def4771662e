// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /metrics: running totals across intervals, tombstones, and the exposition text. */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aggregate.h"
#include "event_build.h"
#include "prom_format.h"

#define SEC 1000000000ULL

static const struct prom_context ctx = { .version = "test" };

static char *render(struct aggregate *agg)
{
	struct memsight_agent_stats agent = { .events_received = 7 };
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

/* Reclaim buckets of the stats_for() events, as the agent gives them */
static uint64_t reclaim_hist[MEMSIGHT_RECLAIM_BUCKETS];

static struct memsight_container_stats stats_for(uint64_t id, const char *path, uint64_t minor)
{
	return (struct memsight_container_stats){
		.cgroup = { id, path },
		.faults_minor = minor,
		.faults_major = 1,
		.has_charges = true,
		.charged_bytes = { [MEMSIGHT_CHARGE_ANON] = 4096 },
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
	struct memsight_container_stats a = stats_for(11, "/a", 100);
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
	static const struct memsight_state_errors errors[] = { { "docker", "malformed", 3 },
							       { "unknown", "not_found", 2 } };
	struct memsight_agent_stats agent = { .state_errors = errors, .state_error_count = 2 };
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
	struct memsight_container_stats a = stats_for(11, "/a", 1);
	struct prom_context wide = { .version = "test",
				     .start_realtime_ns = 1795783030987654321LL };
	struct memsight_agent_stats agent = { .rss_bytes = 123456789012ULL };
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
	struct memsight_container_stats a = stats_for(11, "/a", 100);
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
	struct memsight_container_stats a = stats_for(11, "/a", 1), b = stats_for(12, "/b", 1);
	char *page;

	a.has_time_to_limit = b.has_time_to_limit = true;
	a.time_to_limit_s = b.time_to_limit_s = 30;
	a.leak_suspected = b.leak_suspected = true;
	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	aggregate__add_stats(agg, &b);
	aggregate__cgroup_removed(agg, 11, 100 * SEC);
	aggregate__expire(agg, 159 * SEC);
	page = render(agg);
	/* gone: no longer heading for its limit nor leaking; the live one still is */
	assert_null(strstr(page, "memsight_memory_time_to_limit_seconds" LABELS("/a")));
	assert_true(value_of(page, "memsight_memory_time_to_limit_seconds" LABELS("/b") "}") == 30);
	assert_true(value_of(page, "memsight_leak_suspected" LABELS("/a") "}") == 0);
	assert_true(value_of(page, "memsight_leak_suspected" LABELS("/b") "}") == 1);
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

	/* Four intervals of the same five cgroups: three left out, counted once each. */
	for (int interval = 0; interval < 4; interval++) {
		aggregate__begin_interval(agg, SEC);
		for (uint64_t id = 1; id <= 5; id++) {
			char path[16];
			struct memsight_container_stats s;

			snprintf(path, sizeof(path), "/x%" PRIu64,
				 id); /* one path would be one entry */
			s = stats_for(id, path, 1);
			aggregate__add_stats(agg, &s);
		}
	}
	assert_int_equal(aggregate__count(agg), 2);
	assert_int_equal(aggregate__overflows(agg), 3);
	/* one of them goes and comes back under a new id: a new cgroup left out */
	aggregate__cgroup_removed(agg, 5, 1);
	aggregate__begin_interval(agg, SEC);
	struct memsight_container_stats again = stats_for(6, "/x6", 1);
	aggregate__add_stats(agg, &again);
	aggregate__add_stats(agg, &again);
	assert_int_equal(aggregate__overflows(agg), 4);
	aggregate__free(agg);
}

static void test_hostile_label_values_are_escaped(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct memsight_container_stats a = stats_for(11, "/evil\"} 1\nfake_metric{x=\"\\", 1);
	struct memsight_container_stats b = stats_for(12, "/bad\xff\xc0utf8-\xe2\x82\xac", 1);
	struct container_info info = { .runtime = RUNTIME_DOCKER };
	char *page;

	snprintf(info.meta.name, sizeof(info.meta.name), "name\"with\\quotes");
	event_container(&a.container, &info);
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
	struct memsight_container_stats a = stats_for(11, "/a", 1);
	char *page;

	a.reclaim_count = 4;
	a.reclaim_stall_ns = 3 * SEC;
	a.reclaim_histogram = reclaim_hist;
	a.reclaim_buckets = MEMSIGHT_RECLAIM_BUCKETS;
	reclaim_hist[5] = 1;  /* 32-63 ns */
	reclaim_hist[19] = 2; /* ~0.5-1 ms */
	reclaim_hist[31] = 1; /* seconds */
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

/* One exposition sample: name and labels as printed, and its value. */
struct sample {
	char *series;
	double value;
};

static int by_series(const void *a, const void *b)
{
	return strcmp(((const struct sample *)a)->series, ((const struct sample *)b)->series);
}

/*
 * The page's samples sorted by series; fails when two share a name and label
 * set (Prometheus keeps one of them; promtool doesn't notice). Values have no
 * spaces, label values may: the value starts after the last space.
 */
static struct sample *parse_samples(const char *page, size_t *count)
{
	struct sample *s = NULL;
	size_t n = 0;

	for (const char *line = page; *line;) {
		const char *end = strchr(line, '\n'), *space;

		assert_non_null(end);
		if (*line != '#') {
			for (space = end; space > line && space[-1] != ' '; space--)
				;
			assert_true(space > line);
			s = realloc(s, (n + 1) * sizeof(*s));
			assert_non_null(s);
			s[n].series = strndup(line, (size_t)(space - 1 - line));
			s[n].value = strtod(space, NULL);
			n++;
		}
		line = end + 1;
	}
	qsort(s, n, sizeof(*s), by_series);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(s[i - 1].series, s[i].series))
			fail_msg("two samples of %s", s[i].series);
	*count = n;
	return s;
}

static void free_samples(struct sample *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].series);
	free(s);
}

static void assert_unique_series(struct aggregate *agg)
{
	char *page = render(agg);
	size_t n;
	struct sample *s = parse_samples(page, &n);

	free_samples(s, n);
	free(page);
}

/* A cgroup removed before its first interval's row: the row must not make it live forever. */
static void test_short_lived_cgroup_leaves_with_its_tombstone(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct memsight_container_stats a = stats_for(11, "/a", 1), s = stats_for(21, "/short", 5);
	char *page;

	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	aggregate__cgroup_removed(agg, 21, 100 * SEC); /* no entry yet */
	aggregate__add_stats(agg, &s);		       /* its last interval, reported after */
	page = render(agg);
	/* shown, as exited, for the tombstone period */
	assert_true(value_of(page, "memsight_page_faults_total" LABELS(
					   "/short") ",type=\"minor\"}") == 5);
	assert_non_null(strstr(page, "cgroup=\"/short\",runtime=\"none\",pod_uid=\"\",image=\"\","
				     "exited=\"true\"} 1"));
	free(page);
	aggregate__expire(agg, 160 * SEC);
	page = render(agg);
	assert_null(strstr(page, "cgroup=\"/short\""));
	assert_int_equal(aggregate__count(agg), 1);
	free(page);
	aggregate__free(agg);
}

/* OOM kills and seeds (the top view's idle containers) of a removed cgroup make no live entry. */
static void test_removed_cgroup_is_never_resurrected(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct container_info info = { .runtime = RUNTIME_DOCKER };
	struct aggregate_entry *e;

	aggregate__begin_interval(agg, SEC);
	aggregate__cgroup_removed(agg, 31, 100 * SEC);
	aggregate__cgroup_removed(agg, 32, 100 * SEC);
	aggregate__add_oom_kill(agg, 31, "/killed", &info, 5 * (int64_t)SEC);
	e = aggregate__entry(agg, 32, "/seeded", &info);
	assert_non_null(e);
	assert_true(e->removed_ns && e->container.exited);
	e = aggregate__entry(agg, 31, "/killed", NULL);
	assert_true(e->removed_ns && e->container.exited && e->oom_kills == 1);
	aggregate__expire(agg, 160 * SEC);
	assert_int_equal(aggregate__count(agg), 0);
	aggregate__free(agg);
}

/* 5,000 cgroups that each live less than an interval: nothing of them stays. */
static void test_churn_returns_to_baseline(void **state)
{
	struct aggregate *agg = aggregate__new(5 * SEC, 100000);
	struct aggregate *quiet = aggregate__new(5 * SEC, 100000); /* the same without the churn */
	struct memsight_container_stats a = stats_for(11, "/a", 1);
	char *page, *baseline, path[32];

	for (uint64_t t = 1; t <= 50; t++) {
		aggregate__begin_interval(agg, SEC);
		aggregate__begin_interval(quiet, SEC);
		for (uint64_t i = 0; i < 100; i++) {
			uint64_t id = 1000 + t * 100 + i;
			struct memsight_container_stats s;

			snprintf(path, sizeof(path), "/churn/%" PRIu64, id);
			s = stats_for(id, path, 3);
			aggregate__cgroup_removed(agg, id, t * SEC);
			aggregate__add_stats(agg, &s);
			if (i % 10 == 0)
				aggregate__add_oom_kill(agg, id, path, NULL, (int64_t)(t * SEC));
		}
		aggregate__add_stats(agg, &a);
		aggregate__add_stats(quiet, &a);
		aggregate__expire(agg, t * SEC);
	}
	assert_true(aggregate__count(agg) > 100); /* the last tombstones are still there */
	aggregate__expire(agg, 56 * SEC);
	assert_int_equal(aggregate__count(agg), 1);
	page = render(agg);
	baseline = render(quiet);
	assert_string_equal(page, baseline);
	free(page);
	free(baseline);
	aggregate__free(quiet);
	aggregate__free(agg);
}

/*
 * A container restarted under the same cgroup path (docker restart, a systemd
 * unit): the old cgroup's tombstone and the new cgroup are one series, whose
 * counters carry on from the old totals.
 */
static void test_reused_path_is_one_series(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct memsight_container_stats old = stats_for(41, "/svc", 10),
					new = stats_for(42, "/svc", 3);
	char *page;

	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &old);
	aggregate__add_oom_kill(agg, 41, "/svc", NULL, 5 * (int64_t)SEC);
	aggregate__cgroup_removed(agg, 41, 100 * SEC);
	assert_unique_series(agg);
	aggregate__begin_interval(agg, SEC);
	new.usage_bytes = 777;
	aggregate__add_stats(agg, &new);
	aggregate__add_oom_kill(agg, 42, "/svc", NULL, 7 * (int64_t)SEC);
	old.usage_bytes = 999; /* the old cgroup's last row, read late: no gauge of the live one */
	aggregate__add_stats(agg, &old);
	assert_unique_series(agg);
	page = render(agg);
	assert_true(value_of(page, "memsight_oom_kills_total" LABELS("/svc") "}") == 2);
	assert_true(value_of(page, "memsight_last_oom_kill_timestamp_seconds" LABELS("/svc") "}") ==
		    7);
	assert_true(value_of(page,
			     "memsight_page_faults_total" LABELS("/svc") ",type=\"minor\"}") == 23);
	assert_true(value_of(page, "memsight_memory_usage_bytes" LABELS("/svc") "}") == 777);
	assert_non_null(strstr(page, "cgroup=\"/svc\",runtime=\"none\",pod_uid=\"\",image=\"\","
				     "exited=\"false\"} 1"));
	free(page);
	/* the old tombstone's time passes: the live series keeps its totals */
	aggregate__expire(agg, 160 * SEC);
	page = render(agg);
	assert_true(value_of(page, "memsight_oom_kills_total" LABELS("/svc") "}") == 2);
	assert_int_equal(aggregate__count(agg), 1);
	free(page);
	aggregate__free(agg);
}

/* The new cgroup's OOM kill read before the old cgroup's removal (two ring buffers). */
static void test_reused_path_in_either_order(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	char *page;

	aggregate__add_oom_kill(agg, 41, "/svc", NULL, 5 * (int64_t)SEC);
	aggregate__add_oom_kill(agg, 42, "/svc", NULL, 7 * (int64_t)SEC);
	aggregate__cgroup_removed(agg, 41, 100 * SEC);
	assert_unique_series(agg);
	page = render(agg);
	assert_true(value_of(page, "memsight_oom_kills_total" LABELS("/svc") "}") == 2);
	assert_non_null(strstr(page, "exited=\"false\"} 1"));
	free(page);
	aggregate__expire(agg, 160 * SEC);
	assert_int_equal(aggregate__count(agg), 1);
	aggregate__free(agg);
}

/* Different bytes, one label value: malformed UTF-8 is shown as U+FFFD. */
static void test_paths_shown_alike_are_one_series(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct memsight_container_stats a = stats_for(51, "/x\xff", 1),
					b = stats_for(52, "/x\xfe", 2);

	aggregate__add_stats(agg, &a);
	aggregate__cgroup_removed(agg, 51, 100 * SEC);
	aggregate__add_stats(agg, &b);
	assert_unique_series(agg);
	aggregate__free(agg);
}

/* A name that changes (learnt late, a v1 rename) onto a path another cgroup shows. */
static void test_renamed_cgroup_joins_the_series(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct memsight_container_stats gone = stats_for(61, "/r1", 1),
					live = stats_for(62, "/r2", 2);
	struct memsight_container_stats moved = stats_for(63, "/r3", 4);
	char *page;

	aggregate__add_stats(agg, &gone);
	aggregate__add_stats(agg, &live);
	aggregate__add_stats(agg, &moved);
	aggregate__cgroup_removed(agg, 61, 100 * SEC);
	gone.cgroup.path = "/r2"; /* the removed one, named late as the live one: adds its counts */
	gone.usage_bytes = 999;
	aggregate__add_stats(agg, &gone);
	page = render(agg);
	assert_non_null(strstr(page, "cgroup=\"/r2\",runtime=\"none\",pod_uid=\"\",image=\"\","
				     "exited=\"false\"} 1"));
	assert_true(value_of(page, "memsight_memory_usage_bytes" LABELS("/r2") "}") == 1000);
	free(page);
	moved.cgroup.path = "/r2"; /* a live one moved onto it: takes the series over */
	aggregate__add_stats(agg, &moved);
	assert_unique_series(agg);
	page = render(agg);
	assert_true(value_of(page, "memsight_page_faults_total" LABELS("/r2") ",type=\"minor\"}") ==
		    1 + 1 + 2 + 4 + 4);
	assert_non_null(strstr(page, "cgroup=\"/r2\",runtime=\"none\",pod_uid=\"\",image=\"\","
				     "exited=\"false\"} 1"));
	free(page);
	aggregate__expire(agg, 160 * SEC);
	assert_int_equal(aggregate__count(agg), 1);
	aggregate__free(agg);
}

/* Removals are remembered for the tombstone period, and at most max_entries of them. */
static void test_removals_are_bounded_and_expire(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 4);
	struct memsight_container_stats s = stats_for(1, "/once", 1);
	const struct aggregate_entry *e;

	aggregate__cgroup_removed(agg, 1, 100 * SEC);
	aggregate__expire(agg, 160 * SEC);
	e = aggregate__entry(agg, 1, "/once", NULL); /* forgotten: ids are not reused so soon */
	assert_true(e && !e->removed_ns);
	aggregate__expire(agg, 160 * SEC);
	for (uint64_t id = 10; id < 20; id++)
		aggregate__cgroup_removed(agg, id, 200 * SEC);
	s.cgroup.id = 19;
	s.cgroup.path = "/newest";
	aggregate__add_stats(agg, &s);
	e = aggregate__entry(agg, 19, NULL, NULL);
	assert_true(e && e->removed_ns == 200 * SEC);
	e = aggregate__entry(agg, 10, "/oldest", NULL); /* one of 10 removals over the bound */
	assert_true(e && !e->removed_ns);
	aggregate__free(agg);
}

static bool is_counter(const char *series)
{
	return strstr(series, "_total{") || strstr(series, "_bucket{") ||
	       strstr(series, "_count{") || strstr(series, "_sum{");
}

/*
 * Random lives of cgroups over a few paths: after every step each label set
 * has one sample, and no counter present in the step before went down.
 */
static void test_random_lifecycles_keep_series_unique(void **state)
{
	static const char *const paths[] = { "/p0", "/p1", "/p2", "/p3" };
	struct aggregate *agg = aggregate__new(10 * SEC, 100);
	uint64_t live[4] = { 0 }, next_id = 100, now = SEC;
	struct sample *prev = NULL;
	size_t prev_n = 0;

	srand(13);
	for (int step = 0; step < 3000; step++) {
		int p = rand() % 4, op = rand() % 6;
		uint64_t id = live[p] ? live[p] : next_id++;
		struct memsight_container_stats s =
			stats_for(id, paths[p], 1 + (uint64_t)(rand() % 5));
		struct sample *cur, key;
		size_t n;
		char *page;

		now += SEC / 4;
		if (op == 0) {
			aggregate__cgroup_removed(agg, id, now);
			live[p] = 0;
			if (rand() % 2) /* its last row comes after the removal */
				aggregate__add_stats(agg, &s);
		} else if (op == 1) {
			aggregate__add_oom_kill(agg, id, paths[p], NULL, (int64_t)now);
			live[p] = id;
		} else if (op == 2) {
			aggregate__begin_interval(agg, SEC);
			aggregate__expire(agg, now);
		} else {
			aggregate__add_stats(agg, &s);
			live[p] = id;
		}
		page = render(agg);
		cur = parse_samples(page, &n);
		for (size_t i = 0; i < prev_n; i++) {
			struct sample *now_s;

			key.series = prev[i].series;
			now_s = bsearch(&key, cur, n, sizeof(*cur), by_series);
			if (now_s && is_counter(key.series) && now_s->value < prev[i].value)
				fail_msg("step %d: %s went from %g to %g", step, key.series,
					 prev[i].value, now_s->value);
		}
		free_samples(prev, prev_n);
		prev = cur;
		prev_n = n;
		free(page);
	}
	free_samples(prev, prev_n);
	aggregate__free(agg);
}

/* Names known only after the first render: the next page shows them, not the old labels. */
static void test_labels_follow_names_learnt_late(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct memsight_container_stats a = stats_for(11, "/kubepods/pod1/ctr1", 1);
	struct container_info info = { .runtime = RUNTIME_CONTAINERD };
	const struct entry_labels *first;
	char *page;

	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	page = render(agg);
	assert_true(value_of(page, "memsight_page_faults_total" LABELS(
					   "/kubepods/pod1/ctr1") ",type=\"minor\"}") == 1);
	free(page);
	first = aggregate__entry(agg, 11, NULL, NULL)->labels;
	assert_non_null(first);

	/* the same names again: the escaped labels are kept, not made again */
	aggregate__add_stats(agg, &a);
	page = render(agg);
	assert_ptr_equal(aggregate__entry(agg, 11, NULL, NULL)->labels, first);
	free(page);

	/* the runtime's state file read at last: id, name, pod, namespace, image */
	snprintf(info.id, sizeof(info.id), "%s", "c0ffee");
	snprintf(info.pod_uid, sizeof(info.pod_uid), "%s", "uid-1");
	snprintf(info.meta.name, sizeof(info.meta.name), "%s", "web");
	snprintf(info.meta.pod, sizeof(info.meta.pod), "%s", "web-7d4");
	snprintf(info.meta.namespace, sizeof(info.meta.namespace), "%s", "shop");
	snprintf(info.meta.image, sizeof(info.meta.image), "%s", "nginx:1");
	event_container(&a.container, &info);
	aggregate__add_stats(agg, &a);
	page = render(agg);
	assert_true(value_of(page, "memsight_page_faults_total{container_id=\"c0ffee\","
				   "container=\"web\",pod=\"web-7d4\",namespace=\"shop\","
				   "cgroup=\"/kubepods/pod1/ctr1\",type=\"minor\"}") == 3);
	assert_non_null(strstr(page, "\nmemsight_container_info{container_id=\"c0ffee\","
				     "container=\"web\",pod=\"web-7d4\",namespace=\"shop\","
				     "cgroup=\"/kubepods/pod1/ctr1\",runtime=\"containerd\","
				     "pod_uid=\"uid-1\",image=\"nginx:1\",exited=\"false\"} 1\n"));
	assert_null(strstr(page, "container_id=\"\""));
	free(page);

	/* names that change again (the runtime's files say last): only the pod label follows */
	snprintf(info.meta.pod, sizeof(info.meta.pod), "%s", "web-8e5");
	event_container(&a.container, &info);
	aggregate__add_stats(agg, &a);
	page = render(agg);
	assert_non_null(strstr(page, "pod=\"web-8e5\""));
	assert_null(strstr(page, "pod=\"web-7d4\""));
	free(page);

	/* a v1 rename: the cgroup label follows */
	a.cgroup.path = "/kubepods/pod1/ctr1-renamed";
	aggregate__add_stats(agg, &a);
	page = render(agg);
	assert_non_null(strstr(page, "cgroup=\"/kubepods/pod1/ctr1-renamed\""));
	assert_null(strstr(page, "cgroup=\"/kubepods/pod1/ctr1\""));
	assert_unique_series(agg);
	free(page);
	aggregate__free(agg);
}

/* Hostile names learnt late: escaped exactly in the kept labels, page after page. */
static void test_kept_labels_escape_hostile_names(void **state)
{
	struct aggregate *agg = aggregate__new(60 * SEC, 100);
	struct memsight_container_stats a = stats_for(21, "/x\\y\"z\n\xff", 1);
	struct container_info info = { .runtime = RUNTIME_DOCKER };
	char *page, *again;

	aggregate__begin_interval(agg, SEC);
	aggregate__add_stats(agg, &a);
	free(render(agg));
	snprintf(info.id, sizeof(info.id), "%s", "0123abcd");
	snprintf(info.meta.name, sizeof(info.meta.name), "%s", "n\"} 1\nfake_metric{x=\"");
	snprintf(info.meta.pod, sizeof(info.meta.pod), "%s", "p\\\\");
	snprintf(info.meta.namespace, sizeof(info.meta.namespace), "%s", "ns\xc0\xaf-\xe2\x82\xac");
	snprintf(info.meta.image, sizeof(info.meta.image), "%s", "img\xed\xa0\x80:\"1\"");
	event_container(&a.container, &info);
	aggregate__add_stats(agg, &a);
	page = render(agg);
	again = render(agg);
	assert_string_equal(page, again);
	assert_null(strstr(page, "\nfake_metric"));
	assert_non_null(strstr(page,
			       "\nmemsight_oom_kills_total{container_id=\"0123abcd\","
			       "container=\"n\\\"} 1\\nfake_metric{x=\\\"\",pod=\"p\\\\\\\\\","
			       "namespace=\"ns\xef\xbf\xbd\xef\xbf\xbd-\xe2\x82\xac\","
			       "cgroup=\"/x\\\\y\\\"z\\n\xef\xbf\xbd\"} 0\n"));
	/* surrogates are malformed UTF-8: three bytes, three U+FFFD */
	assert_non_null(strstr(page, ",runtime=\"docker\",pod_uid=\"\",image=\"img\xef\xbf\xbd"
				     "\xef\xbf\xbd\xef\xbf\xbd:\\\"1\\\"\",exited=\"false\"} 1\n"));
	free(again);
	free(page);
	aggregate__free(agg);
}

/* Sample values: integers, nanoseconds as exact seconds, doubles that parse back exactly. */
static void test_numbers(void **state)
{
	static const struct {
		int64_t ns;
		const char *text;
	} seconds[] = {
		{ 0, "0" },
		{ 1, "0.000000001" },
		{ 999999999, "0.999999999" },
		{ 1000000000, "1" },
		{ 1500000000, "1.5" },
		{ 3000000000LL, "3" },
		{ 1795783030123456789LL, "1795783030.123456789" },
		{ -2500000000LL, "-2.5" },
		{ INT64_MIN, "-9223372036.854775808" },
	};
	static const double doubles[] = { 0, 0.1, 1.0 / 3, 30, 299.99999999999994, 1e300, -5e-324 };
	char text[PROM_NUMBER_MAX];
	char *end;

	end = prom_u64(text, 0);
	assert_int_equal(end - text, 1);
	assert_memory_equal(text, "0", 1);
	end = prom_u64(text, UINT64_MAX);
	*end = '\0';
	assert_string_equal(text, "18446744073709551615");
	end = prom_u64(text, 4096);
	*end = '\0';
	assert_string_equal(text, "4096");
	for (size_t i = 0; i < sizeof(seconds) / sizeof(seconds[0]); i++) {
		end = prom_seconds(text, seconds[i].ns);
		*end = '\0';
		assert_string_equal(text, seconds[i].text);
	}
	for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
		end = prom_double(text, doubles[i]);
		*end = '\0';
		assert_true(strtod(text, NULL) == doubles[i]);
	}
	*prom_double(text, 30) = '\0';
	assert_string_equal(text, "30");
	*prom_double(text, 0.1) = '\0';
	assert_string_equal(text, "0.1");
	*prom_double(text, NAN) = '\0';
	assert_string_equal(text, "NaN");
	*prom_double(text, -INFINITY) = '\0';
	assert_string_equal(text, "-Inf");
}

/* Significant digits of a printed double: its mantissa's, bar leading and trailing zeros. */
static int significant_digits(const char *text)
{
	const char *end = text + strcspn(text, "eE");
	int first = -1, last = -1, i = 0;

	for (const char *c = text; c < end; c++) {
		if (*c < '0' || *c > '9')
			continue;
		if (*c != '0') {
			if (first < 0)
				first = i;
			last = i;
		}
		i++;
	}
	return first < 0 ? 1 : last - first + 1;
}

/* The fewest digits that parse back, found the slow way: every precision from 1. */
static int fewest_digits(double value)
{
	char text[64];

	for (int digits = 1; digits < 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, value);
		if (strtod(text, NULL) == value)
			return digits;
	}
	return 17;
}

/* Doubles that need 16 digits, and subnormals, in no more than they need (and exact). */
static void test_doubles_in_fewest_digits(void **state)
{
	static const struct {
		double value;
		const char *text;
	} known[] = {
		{ 1.0 / 3, "0.3333333333333333" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 5e-324, "5e-324" },
		{ -1.5e-323, "-1.5e-323" },
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 1e21, "1e+21" },
	};
	uint64_t x = 88172645463325252ULL;
	char text[PROM_NUMBER_MAX];

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		*prom_double(text, known[i].value) = '\0';
		assert_string_equal(text, known[i].text);
	}
	/* random bit patterns, one in four with a zero exponent (subnormal) */
	for (int i = 0; i < 20000; i++) {
		uint64_t bits;
		double value;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bits = i % 4 ? x : x & 0x800fffffffffffffULL;
		memcpy(&value, &bits, sizeof(value));
		if (isnan(value) || isinf(value))
			continue;
		*prom_double(text, value) = '\0';
		assert_true(strtod(text, NULL) == value);
		if (significant_digits(text) > fewest_digits(value))
			fail_msg("%s: %.17g needs only %d digits", text, value,
				 fewest_digits(value));
	}
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
		cmocka_unit_test(test_short_lived_cgroup_leaves_with_its_tombstone),
		cmocka_unit_test(test_removed_cgroup_is_never_resurrected),
		cmocka_unit_test(test_churn_returns_to_baseline),
		cmocka_unit_test(test_reused_path_is_one_series),
		cmocka_unit_test(test_reused_path_in_either_order),
		cmocka_unit_test(test_paths_shown_alike_are_one_series),
		cmocka_unit_test(test_renamed_cgroup_joins_the_series),
		cmocka_unit_test(test_removals_are_bounded_and_expire),
		cmocka_unit_test(test_random_lifecycles_keep_series_unique),
		cmocka_unit_test(test_labels_follow_names_learnt_late),
		cmocka_unit_test(test_kept_labels_escape_hostile_names),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_doubles_in_fewest_digits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
