// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the kernel offers, read from its BTF (and a few syscalls) once, for the load plan. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "btf_info.h"
#include "kernel_probe.h"

static bool has_tracepoint(const struct btf *btf, const char *name)
{
	char typedef_name[128];

	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF) > 0;
}

void kernel_probe_read(const struct btf *btf, struct kernel_probe *probe)
{
	probe->kernel_btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	probe->memcg_events = has_tracepoint(btf, "count_memcg_events");
	probe->memcg_stat = has_tracepoint(btf, "mod_memcg_state");
	/* memcg.bpf.c reads (memcg or lruvec, item, val): core_fixes.bpf.h has the kernels */
	probe->memcg_stat_funcs = btf_info_func_is(btf, "__mod_memcg_state", "mem_cgroup", "44") &&
				  btf_info_func_is(btf, "__mod_memcg_lruvec_state", "lruvec", "44");
	/* faults.bpf.c reads (memcg, item, count): an int item, an unsigned long count */
	probe->memcg_events_func =
		btf_info_func_is(btf, "__count_memcg_events", "mem_cgroup", "48");
	probe->memcg_pre_rstat =
		btf_info_struct_has_member(btf, "mem_cgroup_per_node", "lruvec_stat_local");
	probe->page_fault_user = has_tracepoint(btf, "page_fault_user");
	probe->mark_victim_task = btf_info_tp_first_arg_is(btf, "mark_victim", "task_struct") == 1;
	probe->mark_oom_victim = btf_info_has_func(btf, "mark_oom_victim");
	probe->bpf_loop = !btf_info_enum_value(btf, "BPF_FUNC_loop", &(int64_t){ 0 });
	probe->cgroup_iter = btf_info_has_func(btf, "bpf_iter_cgroup");
	/* ENOENT: no BTF object after the first, which is still a permitted listing */
	probe->module_btf_listed = !bpf_btf_get_next_id(0, &(__u32){ 0 }) || errno == ENOENT;
}
