// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_info.h"
#include "kernel_probe.h"
#include "load_plan.h"
#include "log.h"
#include "perf_links.h"
#include "profile.skel.h"
#include "profile_loader.h"

struct profile_loader {
	struct profile_bpf *skel;
	struct ring_buffer *new_processes;
	void (*on_new_process)(uint32_t tgid, const char *comm, void *ctx);
	void *ctx;
	struct perf_links perf; /* the perf_event hook's links, one per CPU */
	const char *hook;
	char reason[256];
};

static const char *const hook_tp_btf = "tp_btf/page_fault_user + page_fault_kernel";
static const char *const hook_perf = "perf_event/page-faults (per CPU)";

static void set_rodata(struct profile_bpf *skel, const struct profile_loader_opts *opts)
{
	/* the storm cap: twice the rate on each CPU, saved up for at most 0.2 s */
	uint64_t cost = 1000000000ULL / (2ULL * opts->rate);

	skel->rodata->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	skel->rodata->target_tgid = opts->pid;
	skel->rodata->filter_cgroups = opts->filter_cgroups;
	skel->rodata->sample_cost_ns = cost;
	skel->rodata->credit_max_ns = cost > 200000000ULL ? cost : 200000000ULL;
}

/* One attempt with one hook: open, configure, load, attach. */
static int load_with(struct profile_loader *l, const struct profile_loader_opts *opts, bool perf,
		     char *err, size_t err_len)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = opts->btf_path);
	int ret;

	l->skel = profile_bpf__open_opts(&open_opts);
	if (!l->skel) {
		ret = -errno;
		snprintf(err, err_len, "can't open the profile's BPF object: %s", strerror(-ret));
		return ret;
	}
	set_rodata(l->skel, opts);
	bpf_program__set_autoload(l->skel->progs.profile_fault_user, !perf);
	bpf_program__set_autoload(l->skel->progs.profile_fault_kernel, !perf);
	bpf_program__set_autoload(l->skel->progs.profile_fault_perf, perf);
	ret = profile_bpf__load(l->skel);
	if (ret) {
		snprintf(err, err_len, "can't load the profile's BPF programs: %s%s%s",
			 strerror(-ret), log_last_libbpf_warning()[0] ? ": " : "",
			 log_last_libbpf_warning());
		return ret;
	}
	ret = perf ? perf_links_attach(&l->perf, l->skel->progs.profile_fault_perf,
				       PERF_COUNT_SW_PAGE_FAULTS, "page-fault", err, err_len)
		   : profile_bpf__attach(l->skel);
	if (ret && !perf)
		snprintf(err, err_len, "can't attach %s: %s", hook_tp_btf, strerror(-ret));
	l->hook = perf ? hook_perf : hook_tp_btf;
	return ret;
}

static void unload(struct profile_loader *l)
{
	profile_loader__detach(l);
	profile_bpf__destroy(l->skel);
	l->skel = NULL;
}

/* tp_btf where the kernel has the x86 exceptions tracepoints; perf_event elsewhere or after. */
static int load_best(struct profile_loader *l, const struct profile_loader_opts *opts,
		     const struct kernel_probe *probe, char *err, size_t err_len)
{
	char first[256] = "";

	if (opts->hook == FAULT_HOOK_PERF_EVENT) {
		snprintf(l->reason, sizeof(l->reason), "requested with --fault-hook");
		return load_with(l, opts, true, err, err_len);
	}
	if (probe->page_fault_user && probe->kernel_btf) {
		if (!load_with(l, opts, false, first, sizeof(first))) {
			snprintf(l->reason, sizeof(l->reason), "%s",
				 opts->hook == FAULT_HOOK_TP_BTF ? "requested with --fault-hook"
								 : "typed tracepoints, x86");
			return 0;
		}
		unload(l);
	} else {
		snprintf(first, sizeof(first),
			 "no exceptions:page_fault_user tracepoint (x86 only)%s",
			 probe->kernel_btf ? "" : " or no /sys/kernel/btf/vmlinux");
	}
	if (opts->hook == FAULT_HOOK_TP_BTF) {
		snprintf(err, err_len, "--fault-hook tp_btf: %s", first);
		return -EOPNOTSUPP;
	}
	snprintf(l->reason, sizeof(l->reason), "fallback: %s", first);
	return load_with(l, opts, true, err, err_len);
}

static int new_process(void *ctx, void *data, size_t size)
{
	struct profile_loader *l = ctx;
	struct memsight_profile_process rec;
	char comm[sizeof(rec.comm) + 1];

	if (size < sizeof(rec) || !l->on_new_process)
		return 0;
	memcpy(&rec, data, sizeof(rec));
	memcpy(comm, rec.comm, sizeof(rec.comm));
	comm[sizeof(rec.comm)] = '\0';
	l->on_new_process(rec.tgid, comm, l->ctx);
	return 0;
}

int profile_loader__poll(struct profile_loader *l, int fd, int timeout_ms)
{
	struct pollfd fds[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = ring_buffer__epoll_fd(l->new_processes), .events = POLLIN },
	};
	int ret = poll(fds, 2, timeout_ms);

	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (fds[1].revents & POLLIN)
		ring_buffer__consume(l->new_processes);
	return (fds[0].revents & POLLIN) ? 1 : 0;
}

int profile_loader__open(const struct profile_loader_opts *opts, struct profile_loader **out,
			 char *err, size_t err_len)
{
	struct kernel_probe probe = { 0 };
	struct profile_loader *l;
	struct btf *btf = NULL;
	int ret;

	*out = NULL;
	ret = btf_info_load(opts->btf_path, &btf);
	if (ret) {
		snprintf(err, err_len, "can't read kernel BTF: %s", strerror(-ret));
		return ret;
	}
	kernel_probe_read(btf, &probe);
	btf__free(btf);
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	l->on_new_process = opts->on_new_process;
	l->ctx = opts->ctx;
	ret = load_best(l, opts, &probe, err, err_len);
	if (!ret) {
		l->new_processes = ring_buffer__new(bpf_map__fd(l->skel->maps.profile_new_tgids),
						    new_process, l, NULL);
		if (!l->new_processes) {
			ret = -errno;
			snprintf(err, err_len, "can't read the new-process ring: %s",
				 strerror(-ret));
		}
	}
	if (ret) {
		profile_loader__free(l);
		return ret;
	}
	*out = l;
	return 0;
}

void profile_loader__detach(struct profile_loader *l)
{
	perf_links_destroy(&l->perf);
	if (l->skel)
		profile_bpf__detach(l->skel);
}

void profile_loader__free(struct profile_loader *l)
{
	if (!l)
		return;
	ring_buffer__free(l->new_processes);
	unload(l);
	free(l);
}

void profile_loader__set_period(struct profile_loader *l, uint64_t period)
{
	/* .data is mapped: the BPF side reads the new period at its next fault */
	__atomic_store_n(&l->skel->data->sample_period, period ? period : 1, __ATOMIC_RELAXED);
}

const char *profile_loader__hook(const struct profile_loader *l)
{
	return l->hook;
}

const char *profile_loader__hook_reason(const struct profile_loader *l)
{
	return l->reason;
}

int profile_loader__add_cgroup(struct profile_loader *l, uint64_t cgroup_id)
{
	__u8 one = 1;

	if (!bpf_map__lookup_elem(l->skel->maps.profile_cgroups, &cgroup_id, sizeof(cgroup_id),
				  &one, sizeof(one), 0))
		return 0; /* known: the CPUs' cached answers stand */
	if (bpf_map__update_elem(l->skel->maps.profile_cgroups, &cgroup_id, sizeof(cgroup_id), &one,
				 sizeof(one), BPF_ANY))
		return -errno;
	__atomic_add_fetch(&l->skel->bss->cgroups_generation, 1, __ATOMIC_RELEASE);
	return 0;
}

void profile_loader__recheck_cgroups(struct profile_loader *l)
{
	__atomic_add_fetch(&l->skel->bss->cgroups_generation, 1, __ATOMIC_RELEASE);
}

int profile_loader__stats(const struct profile_loader *l, struct memsight_profile_stats *sum)
{
	int cpus = libbpf_num_possible_cpus();
	struct memsight_profile_stats *per_cpu;
	__u32 zero = 0;
	int ret;

	memset(sum, 0, sizeof(*sum));
	if (cpus <= 0)
		return -EINVAL;
	per_cpu = calloc((size_t)cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	ret = bpf_map__lookup_elem(l->skel->maps.profile_stats, &zero, sizeof(zero), per_cpu,
				   (size_t)cpus * sizeof(*per_cpu), 0);
	for (int cpu = 0; !ret && cpu < cpus; cpu++) {
		__u64 *to = (__u64 *)sum, *from = (__u64 *)&per_cpu[cpu];

		for (size_t i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			to[i] += from[i];
	}
	free(per_cpu);
	return ret ? -errno : 0;
}

int profile_loader__each(const struct profile_loader *l,
			 void (*fn)(const struct memsight_profile_key *key,
				    const struct memsight_profile_value *value, void *ctx),
			 void *ctx)
{
	const struct bpf_map *map = l->skel->maps.profile_counts;
	struct memsight_profile_key key, next;
	struct memsight_profile_value value;
	const void *prev = NULL;
	int count = 0, ret;

	while (!(ret = bpf_map__get_next_key(map, prev, &next, sizeof(next)))) {
		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(map, &key, sizeof(key), &value, sizeof(value), 0))
			continue; /* deleted meanwhile: never here, nothing deletes */
		fn(&key, &value, ctx);
		count++;
	}
	return ret == -ENOENT ? count : ret; /* -ENOENT: past the last key */
}

size_t profile_loader__stack(const struct profile_loader *l, int32_t id, uint64_t *ips)
{
	const struct bpf_map *map = id >= MEMSIGHT_PROFILE_SPILL_BASE
					    ? l->skel->maps.profile_spill_stacks
					    : l->skel->maps.profile_stacks;
	__u32 key = (__u32)id;
	size_t n = 0;

	if (id < 0 || bpf_map__lookup_elem(map, &key, sizeof(key), ips,
					   MEMSIGHT_PROFILE_STACK_DEPTH * sizeof(__u64), 0))
		return 0;
	while (n < MEMSIGHT_PROFILE_STACK_DEPTH && ips[n])
		n++;
	return n;
}
