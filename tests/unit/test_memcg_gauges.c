// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's gauges by cgroup id (memcg_gauges): one walk per interval
 * however many ask, nothing for a cgroup the last walk didn't see, and a
 * walk redone only for a caller that wants fresher figures. The walk itself
 * is the loader's: a stub here hands out the records a test sets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "memcg_gauges.h"

#define MIB (1ULL << 20)

static struct memsight_memcg_gauges records[4];
static int record_count;
static int walk_error; /* -errno: the next walks fail */
static int walks;

int loader__memcg_gauges(struct loader *loader, const struct memsight_memcg_gauges **out,
			 unsigned int *missed)
{
	walks++;
	*out = NULL;
	*missed = 0;
	if (walk_error)
		return walk_error;
	*out = records;
	return record_count;
}

static void set_record(int i, uint64_t cgroup_id, uint64_t usage, uint64_t inactive_file,
		       uint32_t flags)
{
	records[i] = (struct memsight_memcg_gauges){
		.cgroup_id = cgroup_id,
		.usage_bytes = usage,
		.limit_bytes = 512 * MIB,
		.high_bytes = 384 * MIB,
		.inactive_file_bytes = inactive_file,
		.flags = flags,
	};
}

static int setup(void **state)
{
	memset(records, 0, sizeof(records));
	record_count = 0;
	walk_error = 0;
	walks = 0;
	*state = memcg_gauges__new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	memcg_gauges__free(*state);
	return 0;
}

static bool get(struct memcg_gauges *g, uint64_t cgroup_id, uint64_t max_age_ns,
		struct memsight_container_stats *c, bool *working_set)
{
	memset(c, 0, sizeof(*c));
	return memcg_gauges__get(g, NULL, true, cgroup_id, max_age_ns, c, working_set);
}

static void test_one_walk_per_interval(void **state)
{
	struct memcg_gauges *g = *state;
	struct memsight_container_stats c;
	bool ws;

	set_record(0, 10, 100 * MIB, 0, MEMSIGHT_GAUGE_LIMITED);
	set_record(1, 11, 200 * MIB, 0, 0);
	record_count = 2;
	memcg_gauges__next_interval(g);
	assert_true(get(g, 10, 0, &c, &ws));
	assert_true(get(g, 11, 0, &c, &ws));
	assert_false(get(g, 12, 0, &c, &ws)); /* made since the walk: cgroupfs */
	assert_false(memcg_gauges__told(g, NULL, 10));
	assert_int_equal(walks, 1);
	memcg_gauges__next_interval(g);
	assert_true(get(g, 11, 0, &c, &ws));
	assert_int_equal(walks, 2);
}

static void test_figures(void **state)
{
	struct memcg_gauges *g = *state;
	struct memsight_container_stats c;
	bool ws;

	set_record(0, 10, 100 * MIB, 30 * MIB,
		   MEMSIGHT_GAUGE_LIMITED | MEMSIGHT_GAUGE_HIGH | MEMSIGHT_GAUGE_INACTIVE_FILE);
	set_record(1, 11, 10 * MIB, 20 * MIB, MEMSIGHT_GAUGE_INACTIVE_FILE);
	set_record(2, 12, 10 * MIB, 0, 0);
	record_count = 3;
	memcg_gauges__next_interval(g);
	assert_true(get(g, 10, 0, &c, &ws));
	assert_true(c.has_usage && c.usage_bytes == 100 * MIB);
	assert_true(c.has_limit && c.limit_bytes == 512 * MIB);
	assert_true(c.has_high && c.high_bytes == 384 * MIB);
	assert_true(ws && c.working_set_bytes == 70 * MIB);
	/* inactive file read a moment after the usage: never below zero */
	assert_true(get(g, 11, 0, &c, &ws));
	assert_true(ws && c.working_set_bytes == 0);
	assert_true(!c.has_limit && c.limit_bytes == 0 && !c.has_high);
	/* no inactive file figure: no working set, cgroupfs has it */
	assert_true(get(g, 12, 0, &c, &ws));
	assert_false(ws);
	/* memory.high is v2's */
	memset(&c, 0, sizeof(c));
	assert_true(memcg_gauges__get(g, NULL, false, 10, 0, &c, &ws));
	assert_false(c.has_high);
}

static void test_gone_from_the_walk(void **state)
{
	struct memcg_gauges *g = *state;
	struct memsight_container_stats c;
	bool ws;

	set_record(0, 10, 100 * MIB, 0, 0);
	set_record(1, 11, 200 * MIB, 0, 0);
	record_count = 2;
	memcg_gauges__next_interval(g);
	assert_true(get(g, 10, 0, &c, &ws));
	memcg_gauges__tell(g, 10);
	assert_true(memcg_gauges__told(g, NULL, 10));
	/* 10 removed: the next walk has only 11, in 10's old place */
	set_record(0, 11, 210 * MIB, 0, 0);
	record_count = 1;
	memcg_gauges__next_interval(g);
	assert_false(get(g, 10, 0, &c, &ws));
	assert_false(memcg_gauges__told(g, NULL, 10));
	assert_true(get(g, 11, 0, &c, &ws));
	assert_true(c.usage_bytes == 210 * MIB);
	/* a failed walk has no figures for anyone, the last walk's included */
	walk_error = -EIO;
	memcg_gauges__next_interval(g);
	assert_false(get(g, 11, 0, &c, &ws));
	walk_error = 0;
	memcg_gauges__next_interval(g);
	assert_true(get(g, 11, 0, &c, &ws));
}

static void test_told_only_once_named(void **state)
{
	struct memcg_gauges *g = *state;

	memcg_gauges__tell(g, 10); /* never walked: nothing to mark */
	set_record(0, 10, 100 * MIB, 0, 0);
	record_count = 1;
	memcg_gauges__next_interval(g);
	assert_false(memcg_gauges__told(g, NULL, 10));
	memcg_gauges__tell(g, 10);
	assert_true(memcg_gauges__told(g, NULL, 10));
	memcg_gauges__forget(g, 10);
	assert_false(memcg_gauges__told(g, NULL, 10));
}

static void test_walked_again_when_too_old(void **state)
{
	struct memcg_gauges *g = *state;
	struct timespec pause = { 0, 2000000 };
	struct memsight_container_stats c;
	bool ws;

	set_record(0, 10, 100 * MIB, 0, 0);
	record_count = 1;
	memcg_gauges__next_interval(g);
	assert_true(get(g, 10, 0, &c, &ws));
	assert_int_equal(walks, 1);
	nanosleep(&pause, NULL);
	/* the interval's walk as it is, however old */
	assert_true(get(g, 10, 0, &c, &ws));
	assert_int_equal(walks, 1);
	/* a page between long intervals: walked again, and not again at once */
	set_record(0, 10, 150 * MIB, 0, 0);
	assert_true(get(g, 10, 1000000, &c, &ws));
	assert_int_equal(walks, 2);
	assert_true(c.usage_bytes == 150 * MIB);
	assert_true(get(g, 10, 1000000000, &c, &ws));
	assert_int_equal(walks, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_walk_per_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_from_the_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_told_only_once_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walked_again_when_too_old, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
