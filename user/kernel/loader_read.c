// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The readers of a loaded loader: ring buffers, counters, run-time stats,
 * count sources; loader.c sets the loader up.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load_plan.h"
#include "loader.h"
#include "loader_internal.h"
#include "memsight.skel.h"

static int ringbuf_sample(void *ctx, void *data, size_t size)
{
	struct loader *loader = ctx;

	return loader->on_record(loader->ctx, data, size);
}

/*
 * One reader per map, all behind one epoll fd: the cgroup records can then
 * be read on their own, before each interval's counts, so every cgroup with
 * counts has been named.
 */
int loader_open_ring_buffers(struct loader *loader, bool leave_events, char *err, size_t err_len)
{
	struct bpf_map *maps[LOADER_RINGS] = {
		[RING_EVENTS] = leave_events ? NULL : loader->skel->maps.events,
		[RING_SAMPLES] = loader->skel->maps.sample_events,
		[RING_CGROUPS] = loader->skel->maps.cgroup_events,
	};
	int ret = 0;

	for (int i = 0; i < LOADER_RINGS; i++)
		loader->rings[i].map_fd = -1;
	loader->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loader->epfd < 0)
		ret = -errno;
	for (int i = 0; i < LOADER_RINGS && !ret; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		if (!maps[i])
			continue;
		ret = ring_reader__open(&loader->rings[i], bpf_map__fd(maps[i]),
					bpf_map__max_entries(maps[i]), ringbuf_sample, loader);
		if (!ret && epoll_ctl(loader->epfd, EPOLL_CTL_ADD, bpf_map__fd(maps[i]), &ev))
			ret = -errno;
	}
	if (ret)
		snprintf(err, err_len, "can't set up the ring buffer: %s", strerror(-ret));
	return ret;
}

/* The counting maps of what was attached, as count sources for the interval logic. */
int loader_open_count_sources(struct loader *loader, char *err, size_t err_len)
{
	__typeof__(loader->skel->maps) *maps = &loader->skel->maps;
	const struct {
		bool on;
		struct bpf_map *slots, *hash;
		uint32_t skip, counters;
	} families[COUNT_FAMILIES] = {
		[COUNT_MEMCG] = { loader->parts & (PART_FAULTS | PART_CHARGES_ANY),
				  maps->memcg_slots, maps->memcg_overflow, SLOT_HEADER_WORDS,
				  MEMCG_COUNTERS },
		[COUNT_RECLAIM] = { loader->parts & PART_RECLAIM, NULL, maps->reclaim_stats, 0,
				    2 + MEMSIGHT_RECLAIM_BUCKETS },
	};

	for (int f = 0; f < COUNT_FAMILIES; f++) {
		struct loader_counts *c = &loader->counts[f];
		int ret;

		if (!families[f].on)
			continue;
		ret = count_maps__open(&c->source, &c->table, families[f].slots, families[f].hash,
				       families[f].skip, families[f].counters);
		if (ret) {
			snprintf(err, err_len, "can't map the counting maps: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

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
	for (int i = RING_EVENTS; i <= RING_SAMPLES; i++) {
		int n = ring_reader__consume(&loader->rings[i]);

		if (n < 0)
			return n; /* over the caller's budget: the cgroup records wait too */
		events += n;
	}
	cgroups = ring_reader__consume(&loader->rings[RING_CGROUPS]);
	return cgroups < 0 ? cgroups : events + cgroups;
}

int loader__consume_cgroups(struct loader *loader)
{
	return ring_reader__consume(&loader->rings[RING_CGROUPS]);
}

void loader__counters(const struct loader *loader, struct memsight_bpf_counters *counters)
{
	/* .bss is memory-mapped: a plain read sees the kernel side's counts. */
	*counters = loader->skel->bss->counters;
}

unsigned int loader__program_stats(const struct loader *loader, struct memsight_program_stats *out,
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
		out[n].name = bpf_program__name(prog); /* libbpf's, as long as the loader */
		out[n].id = info.id;
		out[n].run_count = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

const char *loader__fault_hook(const struct loader *loader)
{
	/* the name `features` and /metrics show too */
	return load_part_hook(loader->parts & PART_FAULTS);
}

bool loader__counts_charges(const struct loader *loader)
{
	return loader->parts & PART_CHARGES_ANY;
}

const char *loader__charge_source(const struct loader *loader)
{
	if (loader__counts_charges(loader))
		return load_part_hook(loader->parts & PART_CHARGES_ANY);
	/* the userspace fallback's row (part 0) */
	for (unsigned int i = 0; i < load_hook_count; i++)
		if (!load_hooks[i].part && !strcmp(load_hooks[i].feature, "charges"))
			return load_hooks[i].hook;
	return NULL;
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

/* A full list keeps its largest: rec replaces the smallest when larger. */
static void keep_larger(struct memsight_task_record *out, unsigned int n,
			const struct memsight_task_record *rec)
{
	unsigned int smallest = 0;

	for (unsigned int i = 1; i < n; i++)
		if (out[i].rss_pages < out[smallest].rss_pages)
			smallest = i;
	if (rec->rss_pages > out[smallest].rss_pages)
		out[smallest] = *rec;
}

unsigned int loader__memcg_tasks(struct loader *loader, uint64_t cgroup_id,
				 struct memsight_task_record *out, unsigned int max)
{
	struct memsight_task_record rec;
	unsigned int n = 0;
	int fd;

	struct bpf_link *link = loader->skel->links.oom_tasks_walk ?: loader->skel->links.oom_tasks;

	if (!link)
		return 0;
	/* .bss is memory-mapped: the iterator reads these as set here */
	loader->skel->bss->oom_tasks_cgroup_id = cgroup_id;
	loader->skel->bss->oom_tasks_walked = false;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return 0;
	while (read(fd, &rec, sizeof(rec)) == sizeof(rec)) {
		if (n < max)
			out[n++] = rec;
		else if (max)
			keep_larger(out, max, &rec);
	}
	close(fd);
	return n;
}
