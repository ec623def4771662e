/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CGROUP_WALK_H
#define MEMSIGHT_CGROUP_WALK_H

/*
 * Calls fn for every cgroup below root (the root itself as "/"), with its
 * path relative to the root; at most max_depth levels and max_cgroups calls.
 * Returns the number of cgroups visited.
 */
unsigned int cgroup_walk(const char *root, unsigned int max_depth, unsigned int max_cgroups,
			 void (*fn)(const char *path, void *ctx), void *ctx);

#endif
