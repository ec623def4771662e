/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Memory-cgroup helpers shared by memsight's BPF programs. */
#ifndef MEMSIGHT_CGROUP_BPF_H
#define MEMSIGHT_CGROUP_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "core_fixes.bpf.h"
#include "memsight.h"

/* Set by userspace before load. */
extern const volatile __u64 page_size;

/*
 * The css of the task's memory cgroup. Works on cgroup v1 and v2 alike,
 * unlike bpf_get_current_cgroup_id(), which on a v1 host names the v2
 * root. The subsystem index is resolved from the kernel's BTF.
 */
static __always_inline struct cgroup_subsys_state *task_memcg_css(struct task_struct *task)
{
	int memory_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	int subsys_count = bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT);
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cset;

	if (memory_id < 0 || memory_id >= subsys_count)
		return NULL;
	/* The index is a load-time value, so the element address is computed. */
	cset = BPF_CORE_READ(task, cgroups);
	bpf_probe_read_kernel(&css, sizeof(css),
			      (void *)cset + bpf_core_field_offset(struct css_set, subsys) +
				      memory_id * sizeof(css));
	return css;
}

/* The memory css of a cgroup (NULL when memory is not enabled there, on v2). */
static __always_inline struct cgroup_subsys_state *cgroup_memcg_css(struct cgroup *cgrp)
{
	int memory_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	int subsys_count = bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT);
	struct cgroup_subsys_state *css = NULL;

	if (!cgrp || memory_id < 0 || memory_id >= subsys_count)
		return NULL;
	bpf_probe_read_kernel(&css, sizeof(css),
			      (void *)cgrp + bpf_core_field_offset(struct cgroup, subsys) +
				      memory_id * sizeof(css));
	return css;
}

/* The memcg's own small id (1..65535), which indexes the fault slots. */
static __always_inline __u32 memcg_private_id(struct cgroup_subsys_state *css)
{
	struct mem_cgroup *memcg;

	if (!css)
		return 0;
	memcg = (void *)css - bpf_core_field_offset(struct mem_cgroup, css);
	return BPF_CORE_READ(memcg, id.id);
}

/* The memcg id: kernfs id of the css's cgroup, the cgroupfs inode number. */
static __always_inline __u64 css_cgroup_id(struct cgroup_subsys_state *css)
{
	if (!css)
		return 0;
	return BPF_CORE_READ(css, cgroup, kn, id);
}

/* struct mem_cgroup embeds its css; find the container by relocated offset. */
static __always_inline struct mem_cgroup *css_memcg(struct cgroup_subsys_state *css)
{
	if (!css)
		return NULL;
	return (void *)css - bpf_core_field_offset(struct mem_cgroup, css);
}

/* A memcg's memory page counter, in bytes; *unlimited set when max is PAGE_COUNTER_MAX. */
static __always_inline void memcg_page_counter(struct cgroup_subsys_state *css, __u64 *usage_bytes,
					       __u64 *limit_bytes, bool *unlimited)
{
	struct mem_cgroup *memcg = css_memcg(css);
	__u64 usage, max;

	*usage_bytes = 0;
	*limit_bytes = 0;
	*unlimited = true;
	if (!memcg)
		return;
	usage = BPF_CORE_READ(memcg, memory.usage.counter);
	max = BPF_CORE_READ(memcg, memory.max);
	*usage_bytes = usage * page_size;
	/* PAGE_COUNTER_MAX is LONG_MAX / PAGE_SIZE (64-bit). */
	*unlimited = max >= 0x7fffffffffffffffULL / page_size;
	*limit_bytes = *unlimited ? 0 : max * page_size;
}

/* Record the cgroup's id and its path names, leaf first, up to the hierarchy root. */
static __always_inline void capture_cgroup_path(struct memsight_cgroup *out, struct cgroup *cgrp)
{
	struct kernfs_node *kn, *parent;

	out->id = 0;
	out->level = 0;
	out->depth = 0;
	if (!cgrp)
		return;
	kn = BPF_CORE_READ(cgrp, kn);
	out->id = BPF_CORE_READ(kn, id);
	out->level = BPF_CORE_READ(cgrp, level);
	for (int i = 0; i < MEMSIGHT_CGROUP_LEVELS_MAX; i++) {
		parent = kernfs_parent_of(kn);
		/* The hierarchy root's name is not part of cgroup paths. */
		if (!parent)
			break;
		bpf_probe_read_kernel_str(out->names[i], sizeof(out->names[i]),
					  BPF_CORE_READ(kn, name));
		out->depth = i + 1;
		kn = parent;
	}
}

/* The same for the cgroup of a css (NULL: an empty record). */
static __always_inline void capture_cgroup(struct memsight_cgroup *out,
					   struct cgroup_subsys_state *css)
{
	capture_cgroup_path(out, css ? BPF_CORE_READ(css, cgroup) : NULL);
}

#endif /* MEMSIGHT_CGROUP_BPF_H */
