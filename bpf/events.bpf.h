/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ring buffer and drop counters every memsight program shares. The
 * definitions are weak so each program file can include them and the static
 * linker keeps one copy.
 */
#ifndef MEMSIGHT_EVENTS_BPF_H
#define MEMSIGHT_EVENTS_BPF_H

#include <bpf/bpf_helpers.h>
#include "memsight.h"

char LICENSE[] SEC("license") __weak = "Dual BSD/GPL";

/*
 * OOM kills only (fault samples have a ring of their own): 4 MiB holds about
 * 480 records (8.5 KiB each), so a burst of kills while the agent is stopped
 * for a while still arrives whole afterwards.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps") __weak;

/* Never lose a record silently: userspace reports these every interval. */
struct memsight_bpf_counters counters __weak;

static __always_inline void count_ringbuf_drop(void)
{
	__sync_fetch_and_add(&counters.ringbuf_drops, 1);
}

static __always_inline void fill_record_header(struct memsight_record_header *hdr, __u32 type)
{
	hdr->type = type;
	hdr->version = MEMSIGHT_RECORD_VERSION;
	hdr->boot_ns = bpf_ktime_get_boot_ns();
}

#endif /* MEMSIGHT_EVENTS_BPF_H */
