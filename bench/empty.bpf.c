// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The benchmark floor: an empty program on each hook memsight uses for faults. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/count_memcg_events")
int BPF_PROG(empty_memcg_events)
{
	return 0;
}

SEC("tp_btf/mod_memcg_state")
int BPF_PROG(empty_memcg_state)
{
	return 0;
}

SEC("tp_btf/mod_memcg_lruvec_state")
int BPF_PROG(empty_lruvec_state)
{
	return 0;
}
