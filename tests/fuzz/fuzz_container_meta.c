// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer: any bytes as each runtime's state file. Fields must stay bounded strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container_meta.h"

static void check(const struct container_meta *meta)
{
	if (strnlen(meta->name, sizeof(meta->name)) == sizeof(meta->name) ||
	    strnlen(meta->pod, sizeof(meta->pod)) == sizeof(meta->pod) ||
	    strnlen(meta->namespace, sizeof(meta->namespace)) == sizeof(meta->namespace) ||
	    strnlen(meta->pod_uid, sizeof(meta->pod_uid)) == sizeof(meta->pod_uid) ||
	    strnlen(meta->image, sizeof(meta->image)) == sizeof(meta->image))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_meta meta;
	const char *json = (const char *)data;

	container_meta_from_oci_config(json, size, &meta);
	check(&meta);
	container_meta_from_docker_config(json, size, &meta);
	check(&meta);
	container_meta_from_storage_list(
		json, size, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		&meta);
	check(&meta);
	return 0;
}
