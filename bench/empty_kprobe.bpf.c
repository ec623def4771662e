// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The floor for the function hooks: empty kprobe programs on the same functions. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("kprobe/__mod_memcg_state")
int BPF_KPROBE(empty_memcg_state_kprobe)
{
	return 0;
}

SEC("kprobe/__mod_memcg_lruvec_state")
int BPF_KPROBE(empty_lruvec_state_kprobe)
{
	return 0;
}

SEC("kprobe/__count_memcg_events")
int BPF_KPROBE(empty_count_memcg_events_kprobe)
{
	return 0;
}
