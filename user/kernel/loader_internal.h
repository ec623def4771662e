/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_LOADER_INTERNAL_H
#define MEMSIGHT_LOADER_INTERNAL_H

/* struct loader, shared by the loader's set-up (loader.c) and its readers (loader_read.c). */

#include "count_maps.h"
#include "loader.h"
#include "perf_links.h"
#include "ring_reader.h"

struct memsight_bpf;
struct bpf_link;
struct memsight_memcg_gauges;

enum loader_ring {
	RING_EVENTS,
	RING_SAMPLES,
	RING_CGROUPS,
	LOADER_RINGS
};

struct loader {
	struct memsight_bpf *skel;
	struct perf_links perf_faults; /* fault counting by perf_event: two per CPU */
	unsigned int parts;	       /* enum load_part: what is attached */
	char samples_err[512];	       /* why --fault-samples could not be served */
	char gauges_err[512];	       /* why the gauges iterator could not be loaded */
	char charges_err[2][256];      /* why fentry [0] and kprobe [1] charges failed */
	struct bpf_link *gauges_link;  /* the gauges iterator, attached to its walk's root */
	const struct memsight_memcg_gauges *gauges; /* memcg_gauges, mapped read-only */
	size_t gauges_map_len;
	unsigned int gauges_max;
	/* OOM kills (unless left to another reader), fault samples, cgroup records */
	struct ring_reader rings[LOADER_RINGS];
	int epfd; /* all of them */
	int stats_fd;
	loader_record_fn on_record;
	void *ctx;
	int64_t clock_offset_ns; /* loader_opts.boot_to_realtime_ns, stored before each load */
	struct loader_report report;
	struct loader_counts {
		struct count_source source;
		struct count_table table;
	} counts[COUNT_FAMILIES];
};

/* The ring buffers' readers, behind one epoll fd; 0 or -errno with why in err. */
int loader_open_ring_buffers(struct loader *loader, bool leave_events, char *err, size_t err_len);
/* The gauges iterator, when loaded: attached to memcg_root and its array mapped; 0 or -errno. */
int loader_attach_gauges(struct loader *loader, struct memsight_bpf *skel, const char *memcg_root);
void loader_detach_gauges(struct loader *loader);
struct load_plan;
/*
 * Fills loader->report from what is attached: each feature's hook and why
 * (oom_reason for the OOM hook, log: the failed attempts, trimmed here).
 */
void loader_report_hooks(struct loader *loader, const struct load_plan *plan,
			 const char *oom_reason, char *log);
/* The counting maps of what was attached, as count sources; 0 or -errno with why in err. */
int loader_open_count_sources(struct loader *loader, char *err, size_t err_len);

#endif
