// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-cgroup state between intervals: the id table, cgroup names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup_names.h"
#include "id_table.h"
#include "proc_faults.h"

static void test_id_table_grows_and_removes(void **state)
{
	struct id_table *t = id_table__new(sizeof(uint64_t));

	for (uint64_t id = 1; id <= 10000; id++)
		*(uint64_t *)id_table__get(t, id * 4099) = id;
	assert_int_equal(id_table__count(t), 10000);
	for (uint64_t id = 1; id <= 10000; id++)
		assert_true(*(uint64_t *)id_table__find(t, id * 4099) == id);
	for (uint64_t id = 1; id <= 10000; id += 2)
		id_table__remove(t, id * 4099);
	assert_int_equal(id_table__count(t), 5000);
	assert_null(id_table__find(t, 4099));
	assert_non_null(id_table__find(t, 2 * 4099));
	id_table__free(t);
}

static void test_cgroup_names_tombstones(void **state)
{
	struct cgroup_names *n = cgroup_names__new(300);

	cgroup_names__add(n, 42, "/kubepods/pod/a");
	assert_string_equal(cgroup_names__path(n, 42), "/kubepods/pod/a");
	cgroup_names__add(n, 42, "/renamed"); /* v1 rename keeps the id */
	assert_string_equal(cgroup_names__path(n, 42), "/renamed");
	cgroup_names__removed(n, 42, 1000);
	cgroup_names__expire(n, 1299);
	assert_non_null(cgroup_names__path(n, 42)); /* its last interval can still be named */
	cgroup_names__expire(n, 1300);
	assert_null(cgroup_names__path(n, 42));
	assert_int_equal(cgroup_names__count(n), 0);
	cgroup_names__free(n);
}

static void test_proc_stat_parse(void **state)
{
	char comm[16];
	uint64_t min, maj;

	/* as the kernel writes it; a comm may hold spaces and parentheses */
	assert_int_equal(proc_stat_parse("4321 (my (odd) name) S 1 4321 4321 0 -1 4194560 "
					 "25787 0 12 0 3 1 0 0 20 0 1 0 100 1000 200",
					 comm, &min, &maj),
			 0);
	assert_string_equal(comm, "my (odd) name");
	assert_true(min == 25787 && maj == 12);
	assert_int_equal(proc_stat_parse("garbage", comm, &min, &maj), -22);
	assert_int_equal(proc_stat_parse("1 (x) S 1", comm, &min, &maj), -22);
	/* an over-long name is cut, never overflows */
	assert_int_equal(proc_stat_parse("1 (aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) S 1 1 1 0 -1 0 5 0 6",
					 comm, &min, &maj),
			 0);
	assert_int_equal(strlen(comm), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_table_grows_and_removes),
		cmocka_unit_test(test_cgroup_names_tombstones),
		cmocka_unit_test(test_proc_stat_parse),
	};

	return cmocka_run_group_tests_name("aggregation", tests, NULL, NULL);
}
