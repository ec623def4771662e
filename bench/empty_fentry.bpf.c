// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The floor for the function hooks: empty fentry programs on the same functions. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("fentry/__mod_memcg_state")
int BPF_PROG(empty_memcg_state_fentry)
{
	return 0;
}

SEC("fentry/__mod_memcg_lruvec_state")
int BPF_PROG(empty_lruvec_state_fentry)
{
	return 0;
}

SEC("fentry/__count_memcg_events")
int BPF_PROG(empty_count_memcg_events_fentry)
{
	return 0;
}
