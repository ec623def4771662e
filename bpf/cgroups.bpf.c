// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memory cgroups as they are made and removed. Userspace names a container
 * when its cgroup appears (its runtime has written its state by then) and
 * keeps the name for a while after the cgroup goes, for the late events.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memsight.h"
#include "cgroup.bpf.h"
#include "events.bpf.h"

/*
 * A ring buffer of its own: `events` (OOM kills, fault samples) can be handed
 * to another consumer (--pin) while memsight keeps naming cgroups from these.
 * 512 KiB: about 120 records (4.1 KiB each) for a burst of pod starts.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 19);
} cgroup_events SEC(".maps");

/*
 * Only the hierarchy that carries the memory controller: on a v1 host every
 * controller has its own tree and each mkdir would show up once per tree.
 */
static __always_inline bool on_memory_hierarchy(struct cgroup *cgrp)
{
	int memory_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	unsigned int mask = BPF_CORE_READ(cgrp, root, subsys_mask);

	return memory_id >= 0 && memory_id < 32 && (mask & (1U << memory_id));
}

static __always_inline int record_cgroup(struct cgroup *cgrp, __u32 event)
{
	struct memsight_cgroup_record *rec;

	if (!on_memory_hierarchy(cgrp))
		return 0;
	rec = bpf_ringbuf_reserve(&cgroup_events, sizeof(*rec), 0);
	if (!rec) {
		count_ringbuf_drop();
		__sync_fetch_and_add(&counters.cgroup_ringbuf_drops, 1);
		return 0;
	}
	fill_record_header(&rec->hdr, MEMSIGHT_RECORD_CGROUP);
	rec->event = event;
	rec->memcg_id = memcg_private_id(cgroup_memcg_css(cgrp));
	capture_cgroup_path(&rec->cgroup, cgrp);
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir_btf, struct cgroup *cgrp, const char *path)
{
	return record_cgroup(cgrp, MEMSIGHT_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir_btf, struct cgroup *cgrp, const char *path)
{
	return record_cgroup(cgrp, MEMSIGHT_CGROUP_RMDIR);
}
