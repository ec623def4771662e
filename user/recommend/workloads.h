/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_WORKLOADS_H
#define MEMSIGHT_WORKLOADS_H

#include <stdbool.h>
#include <stddef.h>

#include "recommend_method.h"
#include "workload_name.h"

/*
 * Series grouped into workloads: one entry per namespace, workload (workload_name.h)
 * and container name, each figure folded in as its series arrive: the highest p99 and
 * peak of the pods, the earliest sample, kills and risk episodes summed, a leak if any
 * pod leaked. Pure.
 */
struct workload {
	char *namespace;
	char *name;
	char *container;
	enum workload_kind kind;
	struct recommend_figures fig;
	size_t pods; /* distinct pod names among its working set series (0: not a pod) */
	struct recommendation rec;
	/* private */
	char **pod_names;
	size_t pod_cap;
	bool has_limit_now, has_limit_last;
	double limit_now, limit_last;
};

/* Where a value came from: one per query the command makes. */
enum workload_figure {
	FIGURE_WS_P99,
	FIGURE_WS_MAX,
	FIGURE_FIRST_SEEN,
	FIGURE_LAST_SEEN,
	FIGURE_OOM_KILLS,
	FIGURE_OOM_RISKS,
	FIGURE_LEAK,
	FIGURE_LIMIT_NOW,  /* of a series still reporting at the end of the window */
	FIGURE_LIMIT_LAST, /* the last one of any series in the window */
	FIGURE_KILL_LIMIT,
};

struct workload_set {
	struct workload **items;
	size_t len, cap;
	size_t *slots; /* open addressing: index + 1 into items, 0 free */
	size_t slot_cap;
};

void workload_set_init(struct workload_set *set);
void workload_set_free(struct workload_set *set);

/*
 * Folds one series' value in. namespace, pod and container may be "" (not NULL).
 * Values that are not finite numbers, or negative, are left out. Returns 0 or -ENOMEM.
 */
int workload_set_add(struct workload_set *set, const char *namespace, const char *pod,
		     const char *container, enum workload_figure figure, double value);

/* Settles the current limits and sorts by namespace, workload, container. */
void workload_set_finish(struct workload_set *set);

#endif
