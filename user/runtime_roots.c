// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "runtime_roots.h"

void runtime_roots_defaults(struct runtime_roots *roots)
{
	memset(roots, 0, sizeof(*roots));
	snprintf(roots->containerd_state, sizeof(roots->containerd_state), "%s",
		 "/run/containerd/io.containerd.runtime.v2.task");
	snprintf(roots->crio_state, sizeof(roots->crio_state), "%s",
		 "/run/containers/storage/overlay-containers");
	snprintf(roots->docker_root, sizeof(roots->docker_root), "%s", "/var/lib/docker");
	snprintf(roots->podman_storage, sizeof(roots->podman_storage), "%s",
		 "/var/lib/containers/storage");
}
