// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The readers of a loaded loader: ring buffers, counters, run-time stats, count sources. */
#include <stdio.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load_plan.h"
#include "loader.h"
#include "loader_internal.h"
#include "memsight.skel.h"

const struct loader_report *loader__report(const struct loader *loader)
{
	return &loader->report;
}

int loader__epoll_fd(const struct loader *loader)
{
	return loader->epfd;
}

int loader__consume(struct loader *loader)
{
	int events = 0, cgroups;

	/* `events` first: an OOM kill is handled before its cgroup's removal read in the same pass */
	events = ring_buffer__consume(loader->rb_events);
	if (events < 0)
		return events; /* over the caller's budget: the cgroup records wait too */
	cgroups = ring_buffer__consume(loader->rb_cgroups);
	return cgroups < 0 ? cgroups : events + cgroups;
}

int loader__consume_cgroups(struct loader *loader)
{
	return ring_buffer__consume(loader->rb_cgroups);
}

void loader__counters(const struct loader *loader, struct memsight_bpf_counters *counters)
{
	/* .bss is memory-mapped: a plain read sees the kernel side's counts. */
	*counters = loader->skel->bss->counters;
}

unsigned int loader__program_stats(const struct loader *loader, struct agent_program_stats *out,
				   unsigned int max)
{
	struct bpf_program *prog;
	unsigned int n = 0;

	bpf_object__for_each_program(prog, loader->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || n >= max)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(prog));
		out[n].id = info.id;
		out[n].run_count = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

bool loader__counts_faults(const struct loader *loader)
{
	return loader->parts & PART_FAULTS;
}

const char *loader__fault_hook(const struct loader *loader)
{
	/* the name `features` and /metrics show too */
	return load_part_hook(loader->parts & PART_FAULTS);
}

bool loader__counts_charges(const struct loader *loader)
{
	return loader->parts & PART_CHARGES;
}

bool loader__counts_reclaim(const struct loader *loader)
{
	return loader->parts & PART_RECLAIM;
}

const struct count_source *loader__count_source(const struct loader *loader,
						enum count_family family)
{
	const struct count_source *source = &loader->counts[family].source;

	return source->read_table ? source : NULL;
}

void loader__set_clock_offset(struct loader *loader, int64_t boot_to_realtime_ns)
{
	/* .bss is memory-mapped: the kernel side sees the store at once. */
	loader->skel->bss->boot_to_realtime_ns = boot_to_realtime_ns;
}
