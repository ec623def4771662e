/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CGROUP_MEMORY_H
#define MEMSIGHT_CGROUP_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup_mounts.h"
#include "memcg_stat.h"

/* The memory controller's files in cgroupfs: where they are and what they say. */

/*
 * The mount point of the hierarchy with the memory controller: the v2 mount
 * when its root lists "memory", else the v1 memory mount. Returns "v1", "v2"
 * or "none" and writes the mount point (or "") to out.
 */
const char *cgroup_memory_root(const struct cgroup_mounts *mounts, char *out, size_t len);

/* The memcg's usage alone (one read): 0, or -errno. */
int cgroup_memory_usage(const char *root, bool v2, const char *path, uint64_t *usage);

/*
 * The memcg's usage and limit from cgroupfs (v1 memory.usage_in_bytes and
 * limit_in_bytes, v2 memory.current and memory.max). *has_limit is false for
 * an unlimited memcg. Returns 0, or -errno when the cgroup can't be read.
 */
int cgroup_memory_read(const char *root, bool v2, const char *path, uint64_t *usage,
		       bool *has_limit, uint64_t *limit);

/*
 * The memcg's memory.stat, in bytes per charge kind (anon, file, shmem, kernel,
 * sock): v1 rss/cache/shmem (v1 has no kernel or sock figure: 0), v2
 * anon/file/shmem/kernel/sock. For kernels without the memcg stat tracepoints.
 */
int cgroup_memory_stat(const char *root, bool v2, const char *path, uint64_t *kinds);

/*
 * What the memcg is made of (memory.stat, v2 memory.swap.current) and its
 * limit events (v2 memory.events; v1 memory.failcnt and memory.oom_control;
 * events NULL: not read). Returns 0, or -errno when memory.stat can't be
 * read; events and swap are left unknown (has_* false) when their files can't.
 */
int cgroup_memory_detail(const char *root, bool v2, const char *path, struct memcg_stat *stat,
			 struct memsight_limit_events *events);
/* The same, and on v1 the kernel and socket memory memory.stat leaves out (two more reads). */
int cgroup_memory_detail_full(const char *root, bool v2, const char *path, struct memcg_stat *stat,
			      struct memsight_limit_events *events);

/* v2 memory.high; -ENOENT on v1 or when it is "max". */
int cgroup_memory_high(const char *root, const char *path, uint64_t *high);

/*
 * What a container_stats line says of cgroupfs, in two steps that callers take
 * at different rates. Gauges: usage, limit and (v2) memory.high into c. Make-up
 * (from c's usage, so after the gauges): working set, anon, file, shmem, swap
 * and the limit events into c, the whole memory.stat into stat. Each returns
 * 0, or -errno with c's has_usage / has_detail false.
 */
int cgroup_memory_gauges(const char *root, bool v2, const char *path,
			 struct memsight_container_stats *c);
int cgroup_memory_makeup(const char *root, bool v2, const char *path,
			 struct memsight_container_stats *c, struct memcg_stat *stat);

/*
 * What moves in a memcg without a charge, for one that had none: its limit
 * and (v2) memory.high, set by hand; its make-up without the limit events
 * (LRU ageing moves the working set; a limit event needs a charge), c's
 * limit events left as they are. 0, or -errno with has_limit / has_detail false.
 */
int cgroup_memory_limits(const char *root, bool v2, const char *path,
			 struct memsight_container_stats *c);
int cgroup_memory_ageing(const char *root, bool v2, const char *path,
			 struct memsight_container_stats *c, struct memcg_stat *stat);

#endif
