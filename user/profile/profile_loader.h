/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROFILE_LOADER_H
#define MEMSIGHT_PROFILE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hook_choice.h"
#include "memsight.h"

/*
 * The profile's BPF object (profile.bpf.c): probe, load and attach, then read
 * what it summed. Phases as the agent's loader has them, its own options.
 */

struct profile_loader_opts {
	size_t sz;
	uint32_t pid;	     /* only this process; 0: any */
	bool filter_cgroups; /* only the cgroups given with add_cgroup (and below) */
	uint32_t rate;	     /* samples per second, node-wide */
	const char *btf_path;
	enum fault_hook hook; /* AUTO: tp_btf where the kernel has it, else perf_event */
	/* told of each process's first sample (from profile_loader__poll) */
	void (*on_new_process)(uint32_t tgid, const char *comm, void *ctx);
	void *ctx;
};

struct profile_loader;

/* 0, or -errno with a one-line reason in err. */
int profile_loader__open(const struct profile_loader_opts *opts, struct profile_loader **out,
			 char *err, size_t err_len);
void profile_loader__free(struct profile_loader *l);

/* The hook in use and why, for the summary ("tp_btf/page_fault_user + ..."). */
const char *profile_loader__hook(const struct profile_loader *l);
const char *profile_loader__hook_reason(const struct profile_loader *l);

/* Adds a cgroup (by id) to the --cgroup set; its descendants are in it too. */
int profile_loader__add_cgroup(struct profile_loader *l, uint64_t cgroup_id);
/*
 * Drops each CPU's remembered answer for its last memcg (kept by address): a
 * freed memcg's address may now be another's. Call it every so often.
 */
void profile_loader__recheck_cgroups(struct profile_loader *l);
/* Sample one matching fault in `period` from now on (the BPF side starts at 1). */
void profile_loader__set_period(struct profile_loader *l, uint64_t period);
/*
 * Waits up to timeout_ms for new processes (on_new_process is called for each)
 * or for fd (a signalfd) to be readable. 1 when fd is, 0 otherwise, -errno.
 */
int profile_loader__poll(struct profile_loader *l, int fd, int timeout_ms);
/* Stops sampling: what is summed stays readable. */
void profile_loader__detach(struct profile_loader *l);

/* The per-CPU counters, summed. */
int profile_loader__stats(const struct profile_loader *l, struct memsight_profile_stats *sum);
/* Calls fn for every summed stack; returns the number of keys or -errno. */
int profile_loader__each(const struct profile_loader *l,
			 void (*fn)(const struct memsight_profile_key *key,
				    const struct memsight_profile_value *value, void *ctx),
			 void *ctx);
/* A stack's addresses, innermost first, into ips (MEMSIGHT_PROFILE_STACK_DEPTH); the count. */
size_t profile_loader__stack(const struct profile_loader *l, int32_t id, uint64_t *ips);

#endif
