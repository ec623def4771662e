// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Cgroup path -> container, for every runtime x cgroup driver. The paths are
 * relative to the hierarchy root, which makes them the same on cgroup v1 (the
 * memory hierarchy) and v2: the kubelet and the runtimes create the same tree
 * on both. Shapes follow what each component writes:
 * - kubelet cgroupfs driver: pkg/kubelet/cm naming, /kubepods/<qos>/pod<uid>/<id>
 * - kubelet systemd driver: kubepods-<qos>-pod<uid with '_'>.slice (systemd unit names
 *   can't hold '-' inside a component, so the kubelet escapes the UID's dashes)
 * - containerd CRI with SystemdCgroup=true: cri-containerd-<id>.scope
 * - CRI-O: crio-<id>.scope and its monitor crio-conmon-<id>.scope (systemd manager),
 *   crio-<id> / crio-conmon-<id> (cgroupfs manager)
 * - cri-dockerd: docker-<id>.scope (systemd), <id> (cgroupfs)
 * - docker: /docker/<id> (cgroupfs), /system.slice/docker-<id>.scope (systemd)
 * - podman: /machine.slice/libpod-<id>.scope, libpod-conmon-<id>.scope, rootless under
 *   user@<uid>.service, /libpod_parent/libpod-<id> (cgroupfs manager)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "container_path.h"

#define ID   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID  "4f1c7d2e-9a3b-4c5d-8e6f-0a1b2c3d4e5f"
#define UID_ "4f1c7d2e_9a3b_4c5d_8e6f_0a1b2c3d4e5f"

static const struct fixture {
	const char *path;
	enum container_runtime runtime;
	const char *id;
	const char *pod_uid;
	enum pod_qos qos;
	bool monitor;
	const char *unit;
} fixtures[] = {
	/* Kubernetes, systemd driver (the default with cgroup v2) */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/cri-containerd-" ID ".scope",
	  RUNTIME_CONTAINERD, ID, UID, QOS_BURSTABLE, false, "" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID
	  ".scope",
	  RUNTIME_CRIO, ID, UID, QOS_BESTEFFORT, false, "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/crio-conmon-" ID ".scope",
	  RUNTIME_CRIO, ID, UID, QOS_BURSTABLE, true, "" },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope", RUNTIME_DOCKER, ID, UID,
	  QOS_GUARANTEED, false, "" },
	/* a container's own sub-cgroup (cgroup namespaces, systemd in a container) */
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope/init.scope",
	  RUNTIME_CONTAINERD, ID, UID, QOS_GUARANTEED, false, "" },
	/* the pod's own cgroup, and the pause container's sandbox-level slice */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice",
	  RUNTIME_NONE, "", UID, QOS_BURSTABLE, false, "" },
	/* Kubernetes, cgroupfs driver (common with cgroup v1) */
	{ "/kubepods/burstable/pod" UID "/" ID, RUNTIME_UNKNOWN, ID, UID, QOS_BURSTABLE, false,
	  "" },
	{ "/kubepods/besteffort/pod" UID "/" ID, RUNTIME_UNKNOWN, ID, UID, QOS_BESTEFFORT, false,
	  "" },
	{ "/kubepods/pod" UID "/" ID, RUNTIME_UNKNOWN, ID, UID, QOS_GUARANTEED, false, "" },
	{ "/kubepods/burstable/pod" UID "/crio-" ID, RUNTIME_CRIO, ID, UID, QOS_BURSTABLE, false,
	  "" },
	{ "/kubepods/burstable/pod" UID "/crio-conmon-" ID, RUNTIME_CRIO, ID, UID, QOS_BURSTABLE,
	  true, "" },
	/* docker */
	{ "/docker/" ID, RUNTIME_DOCKER, ID, "", QOS_NONE, false, "" },
	{ "/system.slice/docker-" ID ".scope", RUNTIME_DOCKER, ID, "", QOS_NONE, false, "" },
	/* podman, rootful and rootless, and its monitor */
	{ "/machine.slice/libpod-" ID ".scope", RUNTIME_PODMAN, ID, "", QOS_NONE, false, "" },
	{ "/machine.slice/libpod-" ID ".scope/container", RUNTIME_PODMAN, ID, "", QOS_NONE, false,
	  "" },
	{ "/machine.slice/libpod-conmon-" ID ".scope", RUNTIME_PODMAN, ID, "", QOS_NONE, true, "" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	  RUNTIME_PODMAN, ID, "", QOS_NONE, false, "" },
	{ "/libpod_parent/libpod-" ID, RUNTIME_PODMAN, ID, "", QOS_NONE, false, "" },
	/* systemd services and user sessions */
	{ "/system.slice/nginx.service", RUNTIME_SYSTEMD, "", "", QOS_NONE, false,
	  "nginx.service" },
	{ "/user.slice/user-1000.slice/session-3.scope", RUNTIME_SYSTEMD, "", "", QOS_NONE, false,
	  "session-3.scope" },
	/* everything else: by path only */
	{ "/", RUNTIME_NONE, "", "", QOS_NONE, false, "" },
	{ "/memsight-test/abc", RUNTIME_NONE, "", "", QOS_NONE, false, "" },
	/* a bare id outside a pod and outside /docker is not a container we can name */
	{ "/other/" ID, RUNTIME_NONE, "", "", QOS_NONE, false, "" },
};

static void test_fixtures(void **state)
{
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];
		struct container_path_info info;

		container_path_parse(f->path, &info);
		if (info.runtime != f->runtime || strcmp(info.id, f->id) ||
		    strcmp(info.pod_uid, f->pod_uid) || info.qos != f->qos ||
		    info.monitor != f->monitor || strcmp(info.unit, f->unit))
			fail_msg("%s: got runtime %s id '%s' pod '%s' qos %d monitor %d unit '%s'",
				 f->path, container_runtime_name(info.runtime), info.id,
				 info.pod_uid, info.qos, info.monitor, info.unit);
	}
}

static void test_uppercase_id_is_normalized(void **state)
{
	struct container_path_info info;

	container_path_parse(
		"/docker/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", &info);
	assert_string_equal(info.id, ID);
}

static void test_near_misses(void **state)
{
	static const char *const paths[] = {
		"/docker/" ID "0",		      /* 65 hex */
		"/docker/0123456789abcdef",	      /* short id */
		"/system.slice/docker-" ID ".scopex", /* wrong suffix */
		"/kubepods/burstable/pod1234/" ID,    /* malformed pod uid */
		"/kubepods.slice/kubepods-burstable-podXYZ.slice/cri-containerd-zz.scope",
		"/kubepods.slice/kubepods-burstable-pod" UID_ "X.slice",
		"////",
		"",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct container_path_info info;

		container_path_parse(paths[i], &info);
		if (info.id[0])
			fail_msg("%s: unexpected container id %s", paths[i], info.id);
		if (info.pod_uid[0])
			fail_msg("%s: unexpected pod uid %s", paths[i], info.pod_uid);
	}
}

static void test_names(void **state)
{
	assert_string_equal(container_runtime_name(RUNTIME_CRIO), "cri-o");
	assert_string_equal(container_runtime_name(RUNTIME_NONE), "none");
	assert_string_equal(pod_qos_name(QOS_BESTEFFORT), "BestEffort");
	assert_null(pod_qos_name(QOS_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_uppercase_id_is_normalized),
		cmocka_unit_test(test_near_misses),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("container_path", tests, NULL, NULL);
}
