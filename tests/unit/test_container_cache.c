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
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <cmocka.h>

#include "container_cache.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/unit/fixtures"
#endif

#define SEC 1000000000ULL
#define ID1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222"
#define ID3 "3333333333333333333333333333333333333333333333333333333333333333"
#define ID4 "4444444444444444444444444444444444444444444444444444444444444444"
#define ID5 "5555555555555555555555555555555555555555555555555555555555555555"
#define ID6 "6666666666666666666666666666666666666666666666666666666666666666"
#define ID7 "7777777777777777777777777777777777777777777777777777777777777777"
#define POD "/kubepods/burstable/pod4f1c7d2e-9a3b-4c5d-8e6f-0a1b2c3d4e5f/"
/* the docker fixture names "web" */
#define DOCKER_NAME "\"Name\":\"/web\""

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

static void make_parent_dirs(const char *path)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
}

/* FIXTURE_DIR/fixture written to path, with up to two substitutions (NULL: none). */
static void write_fixture(const char *path, const char *fixture, const char *from1, const char *to1,
			  const char *from2, const char *to2)
{
	char src[512], text[1 << 16], *at;
	size_t len;
	FILE *f;

	snprintf(src, sizeof(src), "%s/%s", FIXTURE_DIR, fixture);
	f = fopen(src, "r");
	assert_non_null(f);
	len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	fclose(f);
	for (int i = 0; i < 2; i++) {
		const char *from = i ? from2 : from1, *to = i ? to2 : to1;
		char rest[sizeof(text)];

		if (!from)
			continue;
		at = strstr(text, from);
		assert_non_null(at);
		snprintf(rest, sizeof(rest), "%s", at + strlen(from));
		snprintf(at, sizeof(text) - (size_t)(at - text), "%s%s", to, rest);
	}
	make_parent_dirs(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_symlink(const char *target, const char *path)
{
	make_parent_dirs(path);
	assert_int_equal(symlink(target, path), 0);
}

/*
 * A cache whose every runtime root is under dir (nothing read from this machine),
 * or with the default roots and docker_root, under host_root.
 */
static struct container_cache *cache_in(const char *host_root, const char *dir,
					const char *docker_root, bool walk)
{
	struct runtime_roots r;
	struct container_cache_opts opts = {
		.sz = sizeof(opts),
		.roots = &r,
		.tombstone_ns = 300 * SEC,
		.retry_ns = 1 * SEC,
		.resolve_by_walk = walk,
	};

	runtime_roots_defaults(&r);
	snprintf(r.host_root, sizeof(r.host_root), "%s", host_root);
	if (dir) {
		snprintf(r.docker_root, sizeof(r.docker_root), "%s/docker", dir);
		snprintf(r.containerd_state, sizeof(r.containerd_state), "%s/containerd", dir);
		snprintf(r.crio_state, sizeof(r.crio_state), "%s/crio", dir);
		snprintf(r.podman_storage, sizeof(r.podman_storage), "%s/podman", dir);
	}
	if (docker_root)
		snprintf(r.docker_root, sizeof(r.docker_root), "%s", docker_root);
	return container_cache__new(&opts);
}

static void test_a_nameless_file_is_not_parsed_every_interval(void **s)
{
	char dir[256], path[800];
	struct runtime_state_errors errors;
	struct container_cache *cache;
	struct container_info info;

	snprintf(dir, sizeof(dir), "%s/nameless", state);
	snprintf(path, sizeof(path), "%s/docker/containers/%s/config.v2.json", dir, ID3);
	/* as dockerd writes it, but with neither a name nor an image */
	write_fixture(path, "docker-config.v2.json", "," DOCKER_NAME, "",
		      "\"Image\":\"nginx:1.25\",", "");
	cache = cache_in("", dir, NULL, false);
	/* an event every 100 ms for 10 s: read at 0, 1, 3 and 7 s, not every second */
	for (uint64_t t = 0; t < 10 * SEC; t += SEC / 10) {
		container_cache__resolve(cache, "/docker/" ID3, 100 * SEC + t, &info);
		assert_string_equal(info.meta.name, "");
		if (t < SEC)
			assert_int_equal(container_cache__files_read(cache), 1);
	}
	assert_int_equal(container_cache__files_read(cache), 4);
	container_cache__state_errors(cache, &errors);
	assert_int_equal(errors.count[RUNTIME_DOCKER][STATE_NO_NAME], 4);

	/* rewritten with a name: read again within a retry period, not at the backoff's 15 s */
	write_fixture(path, "docker-config.v2.json", NULL, NULL, NULL, NULL);
	container_cache__resolve(cache, "/docker/" ID3, 110 * SEC, &info);
	assert_string_equal(info.meta.name, "web");
	assert_int_equal(container_cache__files_read(cache), 5);
	container_cache__free(cache);
}

static long max_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A docker config.v2.json whose Config.Env holds size bytes of `{"a":{}},`. */
static void write_hostile(const char *path, size_t size)
{
	FILE *f;

	make_parent_dirs(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"Name\":\"/LEAKED\",\"Config\":{\"Env\":[", f);
	for (size_t i = 0; i < size / 9; i++)
		fputs("{\"a\":{}},", f);
	fputs("{}]}}", f);
	fclose(f);
}

static void test_hostile_and_broken_files_are_counted(void **s)
{
	char dir[256], path[800];
	struct runtime_state_errors errors;
	struct container_cache *cache;
	struct container_info info;
	long rss_before = max_rss_kib();

	snprintf(dir, sizeof(dir), "%s/broken", state);
#define CONFIG(id)                                                                                 \
	(snprintf(path, sizeof(path), "%s/docker/containers/%s/config.v2.json", dir, id), path)
	/* under the byte bound, refused by its objects; then over it, not even read */
	write_hostile(CONFIG(ID1), (1 << 20) - 64);
	write_hostile(CONFIG(ID2), 2 << 20);
	write_fixture(CONFIG(ID3), "docker-config.v2.json", NULL, NULL, NULL, NULL);
	assert_int_equal(truncate(path, 700), 0); /* cut short, as by a full disk */
	make_parent_dirs(CONFIG(ID4));
	assert_int_equal(mkfifo(path, 0600), 0); /* would block a plain open */
	cache = cache_in("", dir, NULL, false);
	for (const char *const *id = (const char *const[]){ ID1, ID2, ID3, ID4, ID5, NULL }; *id;
	     id++) {
		char cgroup[128];

		snprintf(cgroup, sizeof(cgroup), "/docker/%s", *id);
		container_cache__resolve(cache, cgroup, 1 * SEC, &info);
		assert_string_equal(info.meta.name, "");
	}
	container_cache__resolve(cache, POD ID6, 1 * SEC, &info); /* runtime not in the path */
	/* the 1 MiB file would have cost ~190 MB parsed whole */
	assert_true(max_rss_kib() - rss_before < 24 * 1024);

	container_cache__state_errors(cache, &errors);
	assert_int_equal(errors.count[RUNTIME_DOCKER][STATE_TOO_LARGE], 2);
	assert_int_equal(errors.count[RUNTIME_DOCKER][STATE_MALFORMED], 1);
	assert_int_equal(errors.count[RUNTIME_DOCKER][STATE_REFUSED], 1);
	assert_int_equal(errors.count[RUNTIME_DOCKER][STATE_NOT_FOUND], 1);
	assert_int_equal(errors.count[RUNTIME_UNKNOWN][STATE_NOT_FOUND], 1);
	assert_int_equal(container_cache__files_read(cache), 2); /* ID1 and ID3; ID2 is too big */

	/* unreadable: only without root, which reads anything */
	if (geteuid()) {
		write_fixture(CONFIG(ID5), "docker-config.v2.json", NULL, NULL, NULL, NULL);
		assert_int_equal(chmod(path, 0), 0);
		container_cache__resolve(cache, "/docker/" ID5, 10 * SEC, &info);
		container_cache__state_errors(cache, &errors);
		assert_int_equal(errors.count[RUNTIME_DOCKER][STATE_PERMISSION], 1);
	}
#undef CONFIG
	container_cache__free(cache);
}

static const bool use_openat2 = false, use_walk = true;

static bool kernel_has_openat2(void)
{
	struct open_how how = { .flags = O_PATH };
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

/*
 * --host-root DIR: the runtimes' files are under DIR, and symlinks in there
 * resolve as on the host, inside DIR. Links that point out of it (absolute, or
 * "../.." past its top) at a config naming "LEAKED" must name nothing.
 */
static void test_symlinks_stay_in_the_host_root(void **s)
{
	bool walk = *(const bool *)*s;
	char tree[256], host[300], outside[300], path[900], target[900];
	struct runtime_state_errors errors;
	struct container_cache *cache;
	struct container_info info;

	if (!walk && !kernel_has_openat2())
		skip(); /* openat2 (Linux 5.6) missing: the walk is tested in the other run */
	snprintf(tree, sizeof(tree), "%s/tree-%s", state, walk ? "walk" : "openat2");
	snprintf(host, sizeof(host), "%s/host", tree);
	snprintf(outside, sizeof(outside), "%s/outside", tree);
#define AT(fmt, ...) (snprintf(path, sizeof(path), fmt, __VA_ARGS__), path)
	write_fixture(AT("%s/config.v2.json", outside), "docker-config.v2.json", DOCKER_NAME,
		      "\"Name\":\"/LEAKED\"", NULL, NULL);
	write_fixture(AT("%s/containers/%s/config.v2.json", outside, ID3), "docker-config.v2.json",
		      DOCKER_NAME, "\"Name\":\"/LEAKED\"", NULL, NULL);
	write_fixture(AT("%s/srv/web.json", host), "docker-config.v2.json", NULL, NULL, NULL, NULL);
	/* the state file itself a link: absolute, then up past the root */
	snprintf(target, sizeof(target), "%s/config.v2.json", outside);
	make_symlink(target, AT("%s/var/lib/docker/containers/%s/config.v2.json", host, ID1));
	make_symlink("../../../../../../outside/config.v2.json",
		     AT("%s/var/lib/docker/containers/%s/config.v2.json", host, ID2));
	/* a folder on the way a link out */
	make_symlink(outside, AT("%s/var/lib/docker/containers/%s", host, ID4));
	make_symlink(outside, AT("%s/var/lib/docker-linked", host));
	/* links that stay inside resolve as on the host: "/" and ".." at the top are DIR */
	make_symlink("../../../../../srv/web.json",
		     AT("%s/var/lib/docker/containers/%s/config.v2.json", host, ID5));
	make_symlink("/../../srv/web.json",
		     AT("%s/var/lib/docker/containers/%s/config.v2.json", host, ID6));
	/* a link to itself: refused (ELOOP), and counted so */
	make_symlink("config.v2.json",
		     AT("%s/var/lib/docker/containers/%s/config.v2.json", host, ID7));
	make_symlink("/var/run-real", AT("%s/run", host));
	write_fixture(AT("%s/var/run-real/containerd/io.containerd.runtime.v2.task/k8s.io/%s/"
			 "config.json",
			 host, ID3),
		      "containerd-cri-container.config.json", NULL, NULL, NULL, NULL);
#undef AT

	cache = cache_in(host, NULL, NULL, walk);
	for (const char *const *id = (const char *const[]){ ID1, ID2, ID4, NULL }; *id; id++) {
		char cgroup[128];

		snprintf(cgroup, sizeof(cgroup), "/docker/%s", *id);
		container_cache__resolve(cache, cgroup, 1 * SEC, &info);
		assert_string_equal(info.meta.name, "");
	}
	container_cache__resolve(cache, "/docker/" ID5, 1 * SEC, &info);
	assert_string_equal(info.meta.name, "web");
	container_cache__resolve(cache, "/docker/" ID6, 1 * SEC, &info);
	assert_string_equal(info.meta.name, "web");
	/* through /run -> /var/run-real */
	container_cache__resolve(cache, POD ID3, 1 * SEC, &info);
	assert_string_equal(info.meta.name, "app");
	container_cache__resolve(cache, "/docker/" ID7, 1 * SEC, &info);
	assert_string_equal(info.meta.name, "");
	container_cache__state_errors(cache, &errors);
	assert_int_equal(errors.count[RUNTIME_DOCKER][STATE_REFUSED], 1);
	assert_int_equal(errors.count[RUNTIME_DOCKER][STATE_NOT_FOUND], 3); /* ID1, ID2, ID4 */
	container_cache__free(cache);

	/* the docker root itself a link out of the host root */
	cache = cache_in(host, NULL, "/var/lib/docker-linked", walk);
	container_cache__resolve(cache, "/docker/" ID3, 1 * SEC, &info);
	assert_string_equal(info.meta.name, "");
	container_cache__free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_survive_the_bundle_and_the_cgroup),
		cmocka_unit_test(test_a_miss_is_retried_later),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_not_a_container),
		cmocka_unit_test(test_a_nameless_file_is_not_parsed_every_interval),
		cmocka_unit_test(test_hostile_and_broken_files_are_counted),
		cmocka_unit_test_prestate(test_symlinks_stay_in_the_host_root,
					  (void *)&use_openat2),
		cmocka_unit_test_prestate(test_symlinks_stay_in_the_host_root, (void *)&use_walk),
	};

	return cmocka_run_group_tests_name("container_cache", tests, setup, teardown);
}
