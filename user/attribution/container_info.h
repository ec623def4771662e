/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CONTAINER_INFO_H
#define MEMSIGHT_CONTAINER_INFO_H

#include <stdbool.h>

#include "container_meta.h"
#include "container_path.h"

/* Everything memsight says about the container of a cgroup: path facts plus runtime names. */
struct container_info {
	enum container_runtime runtime;
	char id[CONTAINER_ID_LEN + 1];
	char pod_uid[POD_UID_LEN + 1];
	enum pod_qos qos;
	bool monitor;
	bool exited; /* its cgroup is gone; kept for the tombstone period */
	char unit[256];
	struct container_meta meta;
};

/*
 * Combines what the path says with what a runtime's files say (meta may be
 * NULL). found_runtime names the runtime whose files matched, for paths that
 * don't tell (kubelet's cgroupfs driver). Pure.
 */
void container_info_build(const struct container_path_info *path, const struct container_meta *meta,
			  enum container_runtime found_runtime, struct container_info *info);

/* A container (not a plain cgroup, a systemd unit or CRI-O's monitor). */
bool container_info_is_container(const struct container_info *info);

#endif
