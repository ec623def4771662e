// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What a memcg is made of (memory.stat, memory.events) and where it is heading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "memcg_stat.h"
#include "leak_watch.h"
#include "memory_trend.h"
#include "proc_anon.h"

#define MIB (1ULL << 20)
#define SEC 1000000000ULL

/* As a v1 kernel writes it: local lines first, the hierarchy's totals after. */
static const char v1_stat[] = "cache 4096\nrss 8192\nshmem 0\ninactive_file 4096\n"
			      "total_cache 104857600\ntotal_rss 209715200\ntotal_shmem 1048576\n"
			      "total_swap 0\ntotal_inactive_anon 0\ntotal_active_anon 209715200\n"
			      "total_inactive_file 94371840\ntotal_active_file 10485760\n";
static const char v2_stat[] = "anon 209715200\nfile 104857600\nkernel 3000000\nshmem 1048576\n"
			      "anon_thp 0\ninactive_anon 0\nactive_anon 209715200\n"
			      "inactive_file 94371840\nactive_file 10485760\n";

static void test_stat_v1_uses_the_hierarchy(void **state)
{
	struct memcg_stat s;

	assert_int_equal(memcg_stat_parse(v1_stat, strlen(v1_stat), false, &s), 0);
	assert_true(s.anon == 200 * MIB && s.file == 100 * MIB && s.shmem == MIB);
	assert_true(s.inactive_file == 90 * MIB);
	assert_true(s.has_swap && s.swap == 0);
	/* usage 310 MiB: the working set leaves out the 90 MiB of inactive file pages */
	assert_true(memcg_working_set(310 * MIB, &s) == 220 * MIB);
	/* never negative: usage read a moment before memory.stat */
	assert_true(memcg_working_set(80 * MIB, &s) == 0);
}

static void test_stat_v2_and_events(void **state)
{
	static const char events[] = "low 0\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n";
	static const char oom_control[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n";
	struct memsight_limit_events e = { 0 };
	struct memcg_stat s;

	assert_int_equal(memcg_stat_parse(v2_stat, strlen(v2_stat), true, &s), 0);
	assert_true(s.anon == 200 * MIB && s.file == 100 * MIB && s.inactive_file == 90 * MIB);
	assert_false(s.has_swap); /* v2 keeps it in memory.swap.current */
	assert_true(s.has_kernel && s.kernel == 3000000);
	assert_int_equal(memcg_events_parse_v2(events, strlen(events), &e), 0);
	assert_true(e.has_high && e.high == 12 && e.max == 3 && e.oom == 2 && e.oom_kill == 1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(memcg_oom_control_parse_v1(oom_control, strlen(oom_control), &e), 0);
	assert_true(e.has_oom_kill && e.oom_kill == 4 && !e.has_max);
	/* not the file we expect */
	assert_int_equal(memcg_stat_parse("garbage", 7, true, &s), -22);
	assert_int_equal(memcg_stat_parse(v2_stat, strlen(v2_stat), false, &s), -22);
}

static void test_slope(void **state)
{
	uint64_t t[] = { 0, SEC, 2 * SEC, 3 * SEC }, y[] = { 100, 110, 120, 130 };
	double per_sec;

	assert_true(trend_slope(t, y, 4, &per_sec));
	assert_true(per_sec > 9.999 && per_sec < 10.001);
	assert_false(trend_slope(t, y, 2, &per_sec)); /* two points are no trend */
}

/* Feeds n points 200 ms apart from ws0 growing by grow bytes each; returns how many risks. */
static unsigned int feed(struct memory_trend *trend, uint64_t id, uint64_t *t, unsigned int n,
			 uint64_t ws0, int64_t grow, uint64_t unreclaimable_share, uint64_t limit,
			 struct trend_outlook *out)
{
	unsigned int risks = 0;

	for (unsigned int i = 0; i < n; i++, *t += SEC / 5) {
		uint64_t ws = ws0 + (uint64_t)((int64_t)i * grow);
		struct trend_point p = { .t_ns = *t,
					 .usage = ws,
					 .working_set = ws,
					 .unreclaimable = ws * unreclaimable_share / 100 };

		memory_trend__add(trend, id, &p, NULL, limit, out);
		risks += out->risk_raised;
	}
	return risks;
}

static void test_steady_growth_is_a_risk_once(void **state)
{
	struct memory_trend *trend = memory_trend__new(20 * SEC);
	struct trend_outlook out;
	uint64_t t = SEC;

	/* 10 MiB/s toward 256 MiB from 50 MiB: 20.6 s left at the first points */
	assert_int_equal(feed(trend, 1, &t, 5, 50 * MIB, 2 * MIB, 100, 256 * MIB, &out), 0);
	assert_true(out.has_time_to_limit);
	assert_true(out.time_to_limit_s > 19.5 && out.time_to_limit_s < 20.5);
	assert_true(out.growth > 9.99 * MIB && out.growth < 10.01 * MIB);
	/* at risk from here; raised after 2 s (a tenth of the horizon), once */
	assert_int_equal(feed(trend, 1, &t, 30, 58 * MIB, 2 * MIB, 100, 256 * MIB, &out), 1);
	/* killed: the fall starts the trend anew, no growth is left to project */
	feed(trend, 1, &t, 1, MIB, 0, 100, 256 * MIB, &out);
	assert_false(out.has_time_to_limit);
	/* levels off: the episode ends after a calm spell, and a new growth raises again */
	feed(trend, 1, &t, 200, 118 * MIB, 0, 100, 256 * MIB, &out);
	assert_false(out.has_time_to_limit);
	/* (the 30 s fit takes a while to see the new growth: raised within 12 s, before 256 MiB) */
	assert_int_equal(feed(trend, 1, &t, 60, 118 * MIB, 2 * MIB, 100, 256 * MIB, &out), 1);
	memory_trend__free(trend);
}

static void test_no_risk(void **state)
{
	struct memory_trend *trend = memory_trend__new(300 * SEC);
	struct trend_outlook out;
	uint64_t t = SEC;

	/* steady at 80% of the limit */
	assert_int_equal(feed(trend, 1, &t, 100, 205 * MIB, 0, 100, 256 * MIB, &out), 0);
	assert_false(out.has_time_to_limit);
	/* page cache filling up to the limit: the working set grows, what reclaim can't free doesn't */
	t = SEC;
	assert_int_equal(feed(trend, 2, &t, 100, 10 * MIB, 2 * MIB, 0, 256 * MIB, &out), 0);
	assert_true(out.has_time_to_limit);
	/* a start-up ramp of 2 s that levels off at 200 MiB: no risk, under a 5 min horizon */
	t = SEC;
	assert_int_equal(feed(trend, 3, &t, 10, 10 * MIB, 20 * MIB, 100, 256 * MIB, &out), 0);
	assert_int_equal(feed(trend, 3, &t, 300, 200 * MIB, 0, 100, 256 * MIB, &out), 0);
	/* no limit: nothing to reach */
	t = SEC;
	assert_int_equal(feed(trend, 4, &t, 100, 10 * MIB, 2 * MIB, 100, 0, &out), 0);
	assert_false(out.has_time_to_limit);
	assert_int_equal(memory_trend__count(trend), 4);
	memory_trend__remove(trend, 4);
	assert_int_equal(memory_trend__count(trend), 3);
	memory_trend__free(trend);
}

static void test_leak_pattern(void **state)
{
	uint64_t a[LEAK_SAMPLES + 1];

	/* keeps what it allocates: 2 MiB a sample */
	for (int i = 0; i <= LEAK_SAMPLES; i++)
		a[i] = 100 * MIB + (uint64_t)i * 2 * MIB;
	assert_true(leak_pattern(a, LEAK_SAMPLES + 1, LEAK_MIN_GROWTH));
	/* a sawtooth: up 10 MiB, freed, again; it ends higher than it started */
	for (int i = 0; i <= LEAK_SAMPLES; i++)
		a[i] = 100 * MIB + (uint64_t)(i % 5) * 10 * MIB;
	assert_false(leak_pattern(a, LEAK_SAMPLES + 1, LEAK_MIN_GROWTH));
	/* grew once and held */
	for (int i = 0; i <= LEAK_SAMPLES; i++)
		a[i] = (i < 3 ? 100 + (uint64_t)i * 50 : 200) * MIB;
	assert_false(leak_pattern(a, LEAK_SAMPLES + 1, LEAK_MIN_GROWTH));
	/* flat, or too little growth to matter */
	for (int i = 0; i <= LEAK_SAMPLES; i++)
		a[i] = 100 * MIB + (uint64_t)i * 4096;
	assert_false(leak_pattern(a, LEAK_SAMPLES + 1, LEAK_MIN_GROWTH));
}

static void test_leak_watch_episodes(void **state)
{
	struct leak_watch *lw = leak_watch__new(20 * SEC);
	struct leak_finding f;
	unsigned int halfway = 0, raised = 0;
	uint64_t t = SEC;

	/* a sample a second (window / LEAK_SAMPLES; the points between are skipped): 24 s */
	for (int i = 0; i < 120; i++, t += SEC / 5) {
		enum leak_verdict v =
			leak_watch__add(lw, 9, t, 50 * MIB + (uint64_t)i * MIB / 2, &f);

		halfway += v == LEAK_HALFWAY;
		raised += v == LEAK_RAISED;
	}
	assert_int_equal(halfway, 1);
	assert_int_equal(raised, 1);
	assert_true(leak_watch__suspected(lw, 9));
	assert_true(f.window_s > 19.9 && f.window_s < 20.1);
	assert_true(f.anon_growth_bytes == 50 * MIB); /* 2.5 MiB/s for 20 s */
	leak_watch__remove(lw, 9);
	assert_false(leak_watch__suspected(lw, 9));
	leak_watch__free(lw);
}

static void test_proc_anon(void **state)
{
	static const char status[] = "Name:\tleaky worker\nUmask:\t0022\nState:\tS (sleeping)\n"
				     "RssAnon:\t   20480 kB\nRssFile:\t    1024 kB\n";
	struct proc_anon before[] = { { 10, "a", 5 * MIB }, { 11, "b", 1 * MIB } };
	struct proc_anon now[] = { { 10, "a", 6 * MIB },
				   { 11, "b", 9 * MIB },
				   { 12, "c", 2 * MIB } };
	struct proc_anon p;
	uint64_t growth;

	assert_int_equal(proc_anon_parse_status(status, &p), 0);
	assert_string_equal(p.comm, "leaky worker");
	assert_true(p.anon_bytes == 20 * MIB);
	assert_int_equal(proc_anon_parse_status("Name:\tkthreadd\n", &p), -22);
	/* b grew 8 MiB; c is new with 2 MiB; a grew 1 MiB */
	assert_int_equal(proc_anon_grew_most(before, 2, now, 3, &growth), 1);
	assert_true(growth == 8 * MIB);
	assert_int_equal(proc_anon_grew_most(now, 3, before, 2, &growth), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_v1_uses_the_hierarchy),
		cmocka_unit_test(test_stat_v2_and_events),
		cmocka_unit_test(test_slope),
		cmocka_unit_test(test_steady_growth_is_a_risk_once),
		cmocka_unit_test(test_no_risk),
		cmocka_unit_test(test_leak_pattern),
		cmocka_unit_test(test_leak_watch_episodes),
		cmocka_unit_test(test_proc_anon),
	};

	return cmocka_run_group_tests_name("outlook", tests, NULL, NULL);
}
