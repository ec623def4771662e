/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CONTAINER_CACHE_H
#define MEMSIGHT_CONTAINER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container_info.h"
#include "runtime_roots.h"

/*
 * cgroup path -> container, with names read from the runtimes' state on the
 * node and kept in a bounded cache. A container whose cgroup is removed stays
 * named for the tombstone period, because its OOM kill usually arrives as it
 * dies and later events may still name it.
 */

struct container_cache_opts {
	size_t sz;
	const struct runtime_roots *roots;
	unsigned int max_entries; /* bounded; the least recently used go first */
	uint64_t tombstone_ns;	  /* how long an exited container stays named */
	uint64_t retry_ns;	  /* how soon a failed lookup is first tried again (then doubled) */
	bool resolve_by_walk;	  /* no openat2, as on kernels before 5.6 (for tests) */
};

struct container_cache;

struct container_cache *container_cache__new(const struct container_cache_opts *opts);
void container_cache__free(struct container_cache *cache);

/* Fills info for the cgroup at path; now_ns is CLOCK_MONOTONIC. Never fails. */
void container_cache__resolve(struct container_cache *cache, const char *path, uint64_t now_ns,
			      struct container_info *info);
/* The cgroup at path was removed: its container, if any, starts its tombstone period. */
void container_cache__cgroup_removed(struct container_cache *cache, const char *path,
				     uint64_t now_ns);
/* Drops expired tombstones. */
void container_cache__expire(struct container_cache *cache, uint64_t now_ns);

unsigned int container_cache__count(const struct container_cache *cache);
size_t container_cache__memory_bytes(const struct container_cache *cache);
/* Runtime state files read and parsed since start. */
uint64_t container_cache__files_read(const struct container_cache *cache);
/* Lookups that named nothing (retries included), by runtime and reason, since start. */
void container_cache__state_errors(const struct container_cache *cache,
				   struct runtime_state_errors *out);

#endif
