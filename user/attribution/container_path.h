/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CONTAINER_PATH_H
#define MEMSIGHT_CONTAINER_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What a cgroup path alone says about a container: the runtime (when the
 * naming scheme tells), the container id, and for Kubernetes the pod UID and
 * QoS class. Names (pod, namespace, container) come later, from the runtime's
 * own state on the node. Pure: text in, struct out.
 */

enum container_runtime {
	RUNTIME_NONE,	 /* not a container: reported by path only */
	RUNTIME_UNKNOWN, /* a container whose runtime the path doesn't name (cgroupfs kubelet) */
	RUNTIME_DOCKER,
	RUNTIME_CONTAINERD,
	RUNTIME_CRIO,
	RUNTIME_PODMAN,
	RUNTIME_SYSTEMD, /* a systemd service, scope or user session, not a container */
};

enum pod_qos {
	QOS_NONE,
	QOS_GUARANTEED,
	QOS_BURSTABLE,
	QOS_BESTEFFORT,
};

#define CONTAINER_ID_LEN 64
#define POD_UID_LEN	 36

struct container_path_info {
	enum container_runtime runtime;
	char id[CONTAINER_ID_LEN + 1]; /* lowercase hex; "" when none */
	char pod_uid[POD_UID_LEN + 1]; /* with dashes; "" outside Kubernetes */
	enum pod_qos qos;
	bool monitor;	/* conmon of CRI-O/podman: beside the container, not in it */
	char unit[256]; /* systemd unit (RUNTIME_SYSTEMD) */
};

/* Parses a cgroup path ("/kubepods.slice/..."). Returns 0; never fails on odd input. */
int container_path_parse(const char *path, struct container_path_info *info);

const char *container_runtime_name(enum container_runtime runtime);
const char *pod_qos_name(enum pod_qos qos);

#endif
