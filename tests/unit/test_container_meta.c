// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Container names from runtime files: fixtures shaped as the runtimes write them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "container_meta.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/unit/fixtures"
#endif

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *load(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("can't open fixture %s", path);
	buf = malloc(1 << 16);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_containerd(void **state)
{
	struct container_meta meta;
	size_t len;
	char *json = load("containerd-cri-container.config.json", &len);

	assert_int_equal(container_meta_from_oci_config(json, len, &meta), 0);
	assert_string_equal(meta.name, "app");
	assert_string_equal(meta.pod, "web-7d9f8b6c5d-x2x7q");
	assert_string_equal(meta.namespace, "shop");
	assert_string_equal(meta.pod_uid, "4f1c7d2e-9a3b-4c5d-8e6f-0a1b2c3d4e5f");
	assert_string_equal(meta.image, "registry.example/web/app:1.4.2");
	assert_false(meta.sandbox);
	free(json);

	json = load("containerd-cri-sandbox.config.json", &len);
	assert_int_equal(container_meta_from_oci_config(json, len, &meta), 0);
	assert_true(meta.sandbox);
	assert_string_equal(meta.name, "");
	assert_string_equal(meta.pod, "web-7d9f8b6c5d-x2x7q");
	free(json);

	/* containerd 1.6: no sandbox-uid annotation; the UID comes from the cgroup path */
	json = load("containerd-cri-1.6.config.json", &len);
	assert_int_equal(container_meta_from_oci_config(json, len, &meta), 0);
	assert_string_equal(meta.name, "redis");
	assert_string_equal(meta.pod_uid, "");
	free(json);
}

static void test_crio(void **state)
{
	struct container_meta meta;
	size_t len;
	char *json = load("crio-container.config.json", &len);

	assert_int_equal(container_meta_from_oci_config(json, len, &meta), 0);
	assert_string_equal(meta.name, "worker");
	assert_string_equal(meta.pod, "batch-job-5x9zq");
	assert_string_equal(meta.namespace, "jobs");
	assert_string_equal(meta.pod_uid, "7e3a1f00-1111-4222-8333-944455556666");
	assert_string_equal(meta.image, "quay.io/example/worker:2.0");
	assert_false(meta.sandbox);
	free(json);
}

static void test_docker(void **state)
{
	struct container_meta meta;
	size_t len;
	char *json = load("docker-config.v2.json", &len);

	assert_int_equal(container_meta_from_docker_config(json, len, &meta), 0);
	assert_string_equal(meta.name, "web");
	assert_string_equal(meta.pod, "");
	assert_string_equal(meta.image, "nginx:1.25");
	free(json);

	json = load("cri-dockerd-config.v2.json", &len);
	assert_int_equal(container_meta_from_docker_config(json, len, &meta), 0);
	assert_string_equal(meta.name, "api");
	assert_string_equal(meta.pod, "api-6f5c9d-abcde");
	assert_string_equal(meta.namespace, "payments");
	assert_string_equal(meta.pod_uid, "3c2b1a00-aaaa-4bbb-8ccc-dddddddddddd");
	free(json);
}

static void test_podman(void **state)
{
	struct container_meta meta;
	size_t len;
	char *json = load("podman-containers.json", &len);

	assert_int_equal(container_meta_from_storage_list(json, len, ID, &meta), 0);
	assert_string_equal(meta.name, "db");
	assert_string_equal(meta.image, "docker.io/library/postgres:16");
	assert_int_equal(container_meta_from_storage_list(json, len, "nope", &meta), -ENOENT);
	free(json);
}

static void test_hostile_input(void **state)
{
	struct container_meta meta;
	char deep[4096];
	size_t len;
	char *json = load("crio-container.config.json", &len);

	/* truncated anywhere: an error or a partial result, never a crash */
	for (size_t cut = 0; cut < len; cut += 7)
		container_meta_from_oci_config(json, cut, &meta);
	free(json);

	assert_int_equal(container_meta_from_oci_config("[1,2]", 5, &meta), -EINVAL);
	assert_int_equal(container_meta_from_oci_config("{}", 2, &meta), -ENOENT);
	assert_int_equal(container_meta_from_oci_config("{\"annotations\":7}", 17, &meta), -ENOENT);
	assert_int_equal(container_meta_from_docker_config("\"x\"", 3, &meta), -EINVAL);
	assert_int_equal(container_meta_from_storage_list("{}", 2, ID, &meta), -EINVAL);
	/* wrong types where strings belong */
	assert_int_equal(container_meta_from_docker_config("{\"Name\":5,\"Config\":[]}", 22, &meta),
			 -ENOENT);
	/* nesting far deeper than any runtime writes */
	memset(deep, '[', sizeof(deep));
	assert_int_equal(container_meta_from_storage_list(deep, sizeof(deep), ID, &meta), -E2BIG);
	/* over-long values are cut to the field, NUL-terminated */
	{
		char big[2048];
		int n = snprintf(big, sizeof(big), "{\"Name\":\"/");

		memset(big + n, 'n', 1000);
		snprintf(big + n + 1000, sizeof(big) - n - 1000, "\"}");
		assert_int_equal(container_meta_from_docker_config(big, strlen(big), &meta), 0);
		assert_int_equal(strlen(meta.name), CONTAINER_META_FIELD_LEN - 1);
	}
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long max_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* n copies of unit inside "[...]" or as the "Name" of a docker config: about size bytes. */
static char *repeated(const char *prefix, const char *unit, const char *suffix, size_t size,
		      size_t *len)
{
	size_t ul = strlen(unit), n = (size - strlen(prefix) - strlen(suffix)) / ul;
	char *buf = malloc(size + 1), *p = buf;

	p += sprintf(p, "%s", prefix);
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	if (p[-1] == ',')
		p--;
	p += sprintf(p, "%s", suffix);
	*len = (size_t)(p - buf);
	return buf;
}

/*
 * 1 MiB of tiny objects: json-c spends ~1.6 KB on each `{"a":{}}` (two hash tables),
 * so parsing it whole took ~190 MB and 0.3 s. It must be refused before parsing.
 */
static void test_many_small_objects_are_refused(void **state)
{
	struct container_meta meta;
	size_t len;
	char *json = repeated("{\"Name\":\"/x\",\"Config\":{\"Labels\":{},\"Env\":[", "{\"a\":{}},",
			      "]}}", 1 << 20, &len);
	long rss_before = max_rss_kib();
	double t0 = seconds_now(), took;

	assert_int_equal(container_meta_from_docker_config(json, len, &meta), -E2BIG);
	took = seconds_now() - t0;
	assert_string_equal(meta.name, "");
	/* the parse budget is 16 MiB; the hostile file would need ~190 MB */
	assert_true(max_rss_kib() - rss_before < 24 * 1024);
	assert_true(took < 0.1);
	free(json);

	/* the same in every format, and in the JSON nested in CRI-O's labels string */
	json = repeated("[", "{\"a\":{}},", "]", 1 << 20, &len);
	assert_int_equal(container_meta_from_storage_list(json, len, ID, &meta), -E2BIG);
	assert_int_equal(container_meta_from_oci_config(json, len, &meta), -E2BIG);
	free(json);
	json = repeated("[", "[],", "]", 1 << 20, &len);
	assert_int_equal(container_meta_from_storage_list(json, len, ID, &meta), -E2BIG);
	free(json);
	assert_true(max_rss_kib() - rss_before < 24 * 1024);
}

/* The bound leaves room for real files: podman's list with 2,000 containers (~1 MiB). */
static void test_large_real_files_still_parse(void **state)
{
	struct container_meta meta;
	size_t fixture_len, len;
	char *fixture = load("podman-containers.json", &fixture_len);
	/* the fixture's second entry (id ID, "db"), many times over: the first match wins */
	const char *entry = strstr(fixture, ",{") + 1;
	char unit[2048], *json;

	/* the entry without the list's closing "]", then a comma */
	snprintf(unit, sizeof(unit), "%.*s,", (int)(strcspn(entry, "\n") - 1), entry);
	json = repeated("[", unit, "]", 2000 * strlen(unit), &len);
	assert_int_equal(container_meta_from_storage_list(json, len, ID, &meta), 0);
	assert_string_equal(meta.name, "db");
	free(json);
	free(fixture);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containerd),
		cmocka_unit_test(test_crio),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_many_small_objects_are_refused),
		cmocka_unit_test(test_large_real_files_still_parse),
	};

	return cmocka_run_group_tests_name("container_meta", tests, NULL, NULL);
}
