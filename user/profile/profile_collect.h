/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROFILE_COLLECT_H
#define MEMSIGHT_PROFILE_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "profile_loader.h"
#include "profile_output.h"
#include "symbolizer.h"

struct container_cache;

/*
 * What the kernel summed, turned into symbolized, labelled stacks: each key's
 * stacks read from the stack map, each address named by the symbolizer, each
 * memcg named by its path and container.
 */

/* The memory cgroups on this host by id, with their containers. */
struct cgroup_label {
	uint64_t id;
	char *path;
	char *container, *pod, *namespace;
};

struct cgroup_labels {
	char root[1024]; /* the memory hierarchy's mount point; "" when none */
	struct cgroup_label *items;
	size_t count, cap;
};

/* Walks the memory hierarchy (again: a new walk replaces the last). 0 or -errno. */
int cgroup_labels_scan(struct cgroup_labels *labels, struct container_cache *containers);
const struct cgroup_label *cgroup_labels_find(const struct cgroup_labels *labels, uint64_t id);
void cgroup_labels_free(struct cgroup_labels *labels);

struct profile_collection {
	struct profile_stack *stacks;
	size_t count;
	uint64_t samples;
	uint64_t single_frame_samples; /* user stacks of one frame: no frame pointers? */
	uint64_t lost_stack_samples;   /* user stack walk failed (kept, as a lost frame) */
	uint64_t truncated_samples;    /* user stacks cut at MEMSIGHT_PROFILE_STACK_DEPTH frames */
};

/*
 * 0, or -errno with nothing left to free. The stacks point into the
 * symbolizer (file names, build ids) and the labels: free the collection
 * before either.
 */
int profile_collect(const struct profile_loader *loader, struct symbolizer *symbolizer,
		    const struct cgroup_labels *labels, struct profile_collection *out);
void profile_collection_free(struct profile_collection *c);

#endif
