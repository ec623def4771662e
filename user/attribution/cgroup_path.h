/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CGROUP_PATH_H
#define MEMSIGHT_CGROUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "memsight.h"

/* cgroup paths: built from the BPF side's records, matched, walked up. Pure. */

/* Longest path memsight builds: every level at full length, plus separators. */
#define CGROUP_PATH_MAX (MEMSIGHT_CGROUP_LEVELS_MAX * MEMSIGHT_CGROUP_NAME_LEN + 8)

/*
 * Builds "/a/b/c" from names captured leaf first by the BPF side. The root
 * is "/". When the cgroup sits deeper than the levels captured, the path
 * starts with "/..." so it can't be mistaken for a shallower one.
 * Returns the path length, or -ENAMETOOLONG if out is too small.
 */
int cgroup_path_from_record(const struct memsight_cgroup *cg, char *out, size_t out_len);

/*
 * The path of the ancestor `distance` levels above; distance 0 is the path
 * itself. Returns -ENOENT when that ancestor was not captured.
 */
int cgroup_path_ancestor(const char *path, unsigned int distance, char *out, size_t out_len);

/* --cgroup PREFIX: a plain string prefix of the path; NULL or "" match all. */
bool cgroup_path_matches(const char *path, const char *prefix);

#endif
