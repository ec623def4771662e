/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CGROUP_MOUNTS_H
#define MEMSIGHT_CGROUP_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

/* Where the cgroup hierarchies are mounted, from /proc/self/mountinfo. */
struct cgroup_mounts {
	char v1_memory[1024]; /* mount point of the v1 hierarchy with the memory controller */
	char v2[1024];	      /* mount point of the unified (v2) hierarchy */
	char tracefs[1024];
};

/* Parses mountinfo text; returns 0, or -EINVAL on a malformed line (which is skipped). */
int cgroup_mounts_parse(const char *mountinfo, struct cgroup_mounts *out);

/* Reads /proc/self/mountinfo; returns 0 or -errno. */
int cgroup_mounts_read(struct cgroup_mounts *mounts);

#endif
