// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup_path.h"

static struct memsight_cgroup cg;

/* Fills cg as the BPF side does: names leaf first. */
static void capture(unsigned int level, int n, ...)
{
	va_list ap;

	memset(&cg, 0, sizeof(cg));
	cg.level = level;
	cg.depth = n;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		snprintf(cg.names[i], sizeof(cg.names[i]), "%s", va_arg(ap, const char *));
	va_end(ap);
}

static void test_root_and_nested(void **state)
{
	char path[CGROUP_PATH_MAX];

	capture(0, 0);
	assert_int_equal(cgroup_path_from_record(&cg, path, sizeof(path)), 1);
	assert_string_equal(path, "/");

	/* kubelet with the systemd driver on cgroup v2 */
	capture(4, 4, "cri-containerd-0123abcd.scope", "kubepods-burstable-pod12_34.slice",
		"kubepods-burstable.slice", "kubepods.slice");
	cgroup_path_from_record(&cg, path, sizeof(path));
	assert_string_equal(path,
			    "/kubepods.slice/kubepods-burstable.slice/"
			    "kubepods-burstable-pod12_34.slice/cri-containerd-0123abcd.scope");
}

static void test_truncated_path_is_marked(void **state)
{
	char path[CGROUP_PATH_MAX];

	capture(20, 2, "leaf", "parent");
	cgroup_path_from_record(&cg, path, sizeof(path));
	assert_string_equal(path, "/.../parent/leaf");
}

static void test_full_length_names_fit(void **state)
{
	char path[CGROUP_PATH_MAX];

	memset(&cg, 0, sizeof(cg));
	cg.level = cg.depth = MEMSIGHT_CGROUP_LEVELS_MAX;
	for (int i = 0; i < MEMSIGHT_CGROUP_LEVELS_MAX; i++)
		memset(cg.names[i], 'a' + i, MEMSIGHT_CGROUP_NAME_LEN - 1);
	assert_int_equal(cgroup_path_from_record(&cg, path, sizeof(path)),
			 MEMSIGHT_CGROUP_LEVELS_MAX * MEMSIGHT_CGROUP_NAME_LEN);
	assert_int_equal(cgroup_path_from_record(&cg, path, 100), -ENAMETOOLONG);
}

static void test_unterminated_name_is_bounded(void **state)
{
	char path[CGROUP_PATH_MAX];

	memset(&cg, 0, sizeof(cg));
	cg.level = cg.depth = 1;
	memset(cg.names[0], 'x', MEMSIGHT_CGROUP_NAME_LEN); /* no NUL at all */
	assert_int_equal(cgroup_path_from_record(&cg, path, sizeof(path)),
			 MEMSIGHT_CGROUP_NAME_LEN + 1);
}

static void test_ancestors(void **state)
{
	char out[CGROUP_PATH_MAX];

	assert_int_equal(cgroup_path_ancestor("/a/b/c", 0, out, sizeof(out)), 6);
	assert_string_equal(out, "/a/b/c");
	cgroup_path_ancestor("/a/b/c", 1, out, sizeof(out));
	assert_string_equal(out, "/a/b");
	cgroup_path_ancestor("/a/b/c", 3, out, sizeof(out));
	assert_string_equal(out, "/");
	assert_int_equal(cgroup_path_ancestor("/a/b/c", 4, out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroup_path_ancestor("/.../x/y", 2, out, sizeof(out)), -ENOENT);
	cgroup_path_ancestor("/.../x/y", 1, out, sizeof(out));
	assert_string_equal(out, "/.../x");
}

static void test_prefix_filter(void **state)
{
	assert_true(cgroup_path_matches("/kubepods/burstable/pod1", "/kubepods"));
	assert_true(cgroup_path_matches("/anything", NULL));
	assert_true(cgroup_path_matches("/anything", ""));
	assert_false(cgroup_path_matches("/system.slice", "/kubepods"));
	assert_false(cgroup_path_matches("/kube", "/kubepods"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_and_nested),
		cmocka_unit_test(test_truncated_path_is_marked),
		cmocka_unit_test(test_full_length_names_fit),
		cmocka_unit_test(test_unterminated_name_is_bounded),
		cmocka_unit_test(test_ancestors),
		cmocka_unit_test(test_prefix_filter),
	};

	return cmocka_run_group_tests_name("cgroup_path", tests, NULL, NULL);
}
