/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CGROUP_NAMES_H
#define MEMSIGHT_CGROUP_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * cgroup id -> path for the memory hierarchy, fed by the start-up walk and by
 * the kernel's mkdir/rmdir records; removed cgroups are kept for a while so
 * their last interval can still be named. Pure.
 */
struct cgroup_names;

struct cgroup_names *cgroup_names__new(uint64_t keep_removed_ns);
void cgroup_names__free(struct cgroup_names *names);
void cgroup_names__add(struct cgroup_names *names, uint64_t id, const char *path);
void cgroup_names__removed(struct cgroup_names *names, uint64_t id, uint64_t now_ns);
/*
 * A full walk of cgroupfs, after cgroup records were lost: what the walk adds
 * between begin and end is present; what it did not find is removed, and
 * gone (when not NULL) is told of each (path NULL when it was never named).
 */
void cgroup_names__walk_begin(struct cgroup_names *names);
void cgroup_names__walk_end(struct cgroup_names *names, uint64_t now_ns,
			    void (*gone)(uint64_t id, const char *path, void *ctx), void *ctx);
/* Whether the cgroup was removed (and not yet expired). */
bool cgroup_names__is_removed(const struct cgroup_names *names, uint64_t id);
/* NULL when unknown. */
const char *cgroup_names__path(const struct cgroup_names *names, uint64_t id);
void cgroup_names__expire(struct cgroup_names *names, uint64_t now_ns);
unsigned int cgroup_names__count(const struct cgroup_names *names);
/* fn for every cgroup still present (not removed). */
void cgroup_names__each(struct cgroup_names *names,
			void (*fn)(uint64_t id, const char *path, void *ctx), void *ctx);

#endif
