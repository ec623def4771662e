// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cgroup_mounts.h"

/* Shaped as a cgroup v1 host with a unified v2 mount beside it writes /proc/self/mountinfo. */
static const char v1_host[] =
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	"50 22 0:12 / /sys/kernel/tracing rw,relatime - tracefs tracefs rw\n";

/* A systemd host on the unified hierarchy only, as on most Kubernetes nodes. */
static const char v2_host[] =
	"25 22 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
	"rw,nsdelegate,memory_recursiveprot\n"
	"26 22 0:6 / /sys/kernel/debug rw,nosuid shared:5 - debugfs debugfs rw\n";

static void test_v1_host(void **state)
{
	struct cgroup_mounts m;

	assert_int_equal(cgroup_mounts_parse(v1_host, &m), 0);
	assert_string_equal(m.v1_memory, "/sys/fs/cgroup/memory");
	assert_string_equal(m.v2, "/sys/fs/cgroup/unified");
	assert_string_equal(m.tracefs, "/sys/kernel/tracing");
}

static void test_v2_host(void **state)
{
	struct cgroup_mounts m;

	assert_int_equal(cgroup_mounts_parse(v2_host, &m), 0);
	assert_string_equal(m.v1_memory, "");
	assert_string_equal(m.v2, "/sys/fs/cgroup");
	assert_string_equal(m.tracefs, "");
}

static void test_escaped_and_malformed(void **state)
{
	struct cgroup_mounts m;

	/* "memory_x" must not count as the memory controller */
	assert_int_equal(cgroup_mounts_parse("1 2 0:1 / /a\\040b rw - cgroup2 none rw\n"
					     "garbage line\n"
					     "3 2 0:2 / /m rw - cgroup cgroup rw,memory_x\n",
					     &m),
			 -EINVAL);
	assert_string_equal(m.v2, "/a b");
	assert_string_equal(m.v1_memory, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_host),
		cmocka_unit_test(test_v2_host),
		cmocka_unit_test(test_escaped_and_malformed),
	};

	return cmocka_run_group_tests_name("cgroup_mounts", tests, NULL, NULL);
}
