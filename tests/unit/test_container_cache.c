// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The container cache against a runtime state folder laid out as containerd's
 * CRI plugin does (the fixture's config.json): lookups, retries, tombstones
 * and the size bound. Time is passed in, so the test controls it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "container_cache.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/unit/fixtures"
#endif

#define SEC 1000000000ULL
#define ID1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222"
#define POD "/kubepods/burstable/pod4f1c7d2e-9a3b-4c5d-8e6f-0a1b2c3d4e5f/"

static char state[] = "/tmp/memsight-cache-test.XXXXXX";
static struct runtime_roots roots;

static void add_bundle(const char *id)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/k8s.io/%s && cp %s/containerd-cri-container.config.json "
		 "%s/k8s.io/%s/config.json",
		 state, id, FIXTURE_DIR, state, id);
	assert_int_equal(system(cmd), 0);
}

static void remove_bundle(const char *id)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/k8s.io/%s/config.json", state, id);
	unlink(path);
}

static int setup(void **s)
{
	if (!mkdtemp(state))
		return -1;
	runtime_roots_defaults(&roots);
	snprintf(roots.containerd_state, sizeof(roots.containerd_state), "%s", state);
	return 0;
}

static int teardown(void **s)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", state);
	return system(cmd);
}

static struct container_cache *new_cache(unsigned int max_entries)
{
	struct container_cache_opts opts = {
		.sz = sizeof(opts),
		.roots = &roots,
		.max_entries = max_entries,
		.tombstone_ns = 300 * SEC,
		.retry_ns = 1 * SEC,
	};

	return container_cache__new(&opts);
}

static void test_names_survive_the_bundle_and_the_cgroup(void **s)
{
	struct container_cache *cache = new_cache(0);
	struct container_info info;

	add_bundle(ID1);
	container_cache__resolve(cache, POD ID1, 1 * SEC, &info);
	assert_string_equal(info.meta.name, "app");
	assert_int_equal(info.runtime, RUNTIME_CONTAINERD); /* found where containerd keeps it */
	assert_false(info.exited);

	/* the task ends: the runtime deletes its bundle, then the cgroup goes */
	remove_bundle(ID1);
	container_cache__cgroup_removed(cache, POD ID1, 2 * SEC);
	container_cache__resolve(cache, POD ID1, 3 * SEC, &info);
	assert_string_equal(info.meta.name, "app");
	assert_true(info.exited);

	/* kept for the tombstone period, then dropped */
	container_cache__expire(cache, 2 * SEC + 299 * SEC);
	assert_int_equal(container_cache__count(cache), 1);
	container_cache__expire(cache, 2 * SEC + 300 * SEC);
	assert_int_equal(container_cache__count(cache), 0);
	container_cache__resolve(cache, POD ID1, 400 * SEC, &info);
	assert_string_equal(info.meta.name, "");
	assert_string_equal(info.id, ID1); /* the path still says which container */
	container_cache__free(cache);
}

static void test_a_miss_is_retried_later(void **s)
{
	struct container_cache *cache = new_cache(0);
	struct container_info info;

	/* the cgroup appears before the runtime has written its state */
	container_cache__resolve(cache, POD ID2, 10 * SEC, &info);
	assert_string_equal(info.meta.name, "");
	add_bundle(ID2);
	container_cache__resolve(cache, POD ID2, 10 * SEC + SEC / 2, &info);
	assert_string_equal(info.meta.name, ""); /* not before retry_ns */
	container_cache__resolve(cache, POD ID2, 11 * SEC, &info);
	assert_string_equal(info.meta.name, "app");
	remove_bundle(ID2);
	container_cache__free(cache);
}

static void test_bounded(void **s)
{
	struct container_cache *cache = new_cache(8);
	struct container_info info;
	char path[256];

	for (unsigned int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), POD "%064x", i);
		container_cache__resolve(cache, path, 1, &info);
		assert_true(container_cache__count(cache) <= 8);
	}
	assert_int_equal(container_cache__count(cache), 8);
	assert_true(container_cache__memory_bytes(cache) > 0);
	container_cache__free(cache);
}

static void test_not_a_container(void **s)
{
	struct container_cache *cache = new_cache(0);
	struct container_info info;

	container_cache__resolve(cache, "/system.slice/sshd.service", 1, &info);
	assert_int_equal(info.runtime, RUNTIME_SYSTEMD);
	assert_string_equal(info.unit, "sshd.service");
	assert_int_equal(container_cache__count(cache), 0);
	container_cache__cgroup_removed(cache, "/system.slice/sshd.service", 2);
	container_cache__free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_survive_the_bundle_and_the_cgroup),
		cmocka_unit_test(test_a_miss_is_retried_later),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_not_a_container),
	};

	return cmocka_run_group_tests_name("container_cache", tests, setup, teardown);
}
