// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "container_info.h"

void container_info_build(const struct container_path_info *path, const struct container_meta *meta,
			  enum container_runtime found_runtime, struct container_info *info)
{
	memset(info, 0, sizeof(*info));
	info->runtime = path->runtime;
	if (info->runtime == RUNTIME_UNKNOWN && found_runtime != RUNTIME_NONE)
		info->runtime = found_runtime;
	memcpy(info->id, path->id, sizeof(info->id));
	memcpy(info->pod_uid, path->pod_uid, sizeof(info->pod_uid));
	info->qos = path->qos;
	info->monitor = path->monitor;
	memcpy(info->unit, path->unit, sizeof(info->unit));
	if (!meta)
		return;
	info->meta = *meta;
	/* The runtime's own record of the pod UID wins; the path's stands in for old runtimes. */
	if (!info->meta.pod_uid[0])
		memcpy(info->meta.pod_uid, path->pod_uid, sizeof(path->pod_uid));
	snprintf(info->pod_uid, sizeof(info->pod_uid), "%.*s", POD_UID_LEN, info->meta.pod_uid);
}

bool container_info_is_container(const struct container_info *info)
{
	return info->runtime != RUNTIME_NONE && info->runtime != RUNTIME_SYSTEMD && !info->monitor;
}
