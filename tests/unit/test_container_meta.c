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
	assert_int_equal(container_meta_from_storage_list(deep, sizeof(deep), ID, &meta), -EINVAL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containerd),    cmocka_unit_test(test_crio),
		cmocka_unit_test(test_docker),	      cmocka_unit_test(test_podman),
		cmocka_unit_test(test_hostile_input),
	};

	return cmocka_run_group_tests_name("container_meta", tests, NULL, NULL);
}
