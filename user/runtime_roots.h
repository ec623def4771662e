/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_RUNTIME_ROOTS_H
#define MEMSIGHT_RUNTIME_ROOTS_H

/* Where each container runtime keeps its state on the host. Pure. */

#define RUNTIME_ROOT_LEN 512

struct runtime_roots {
	char host_root[RUNTIME_ROOT_LEN];	 /* prepended to every root below ("" = /) */
	char containerd_state[RUNTIME_ROOT_LEN]; /* /run/containerd/io.containerd.runtime.v2.task */
	char crio_state[RUNTIME_ROOT_LEN];	 /* /run/containers/storage/overlay-containers */
	char docker_root[RUNTIME_ROOT_LEN];	 /* /var/lib/docker */
	char podman_storage[RUNTIME_ROOT_LEN];	 /* /var/lib/containers/storage */
};

void runtime_roots_defaults(struct runtime_roots *roots);

#endif
