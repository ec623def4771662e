// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer: any bytes as a cgroup path; the result must be self-consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container_info.h"
#include "container_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_path_info info;
	struct container_info built;
	char *path = malloc(size + 1);

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	container_path_parse(path, &info);
	/* an id is always 64 lowercase hex digits, a pod UID always 36 characters */
	if (info.id[0] && strlen(info.id) != CONTAINER_ID_LEN)
		abort();
	if (info.pod_uid[0] && strlen(info.pod_uid) != POD_UID_LEN)
		abort();
	if (!info.id[0] && info.runtime != RUNTIME_NONE && info.runtime != RUNTIME_SYSTEMD)
		abort();
	container_info_build(&info, NULL, RUNTIME_NONE, &built);
	free(path);
	return 0;
}
