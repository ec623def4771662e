// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <sys/utsname.h>

#include "node_name.h"

const char *node_name(void)
{
	static struct utsname uts;
	const char *env_node = getenv("NODE_NAME");

	/* Kubernetes' downward API conventionally passes the node as NODE_NAME. */
	if (env_node && *env_node)
		return env_node;
	return uname(&uts) ? "unknown" : uts.nodename;
}
