// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The aggregate sink: per-cgroup totals across intervals, fed with the
 * agent's events, for the sinks that show state (/metrics, top). It also
 * keeps idle cgroups' usage and limit fresh, which no event carries.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "cgroup_mounts.h"
#include "cgroup_memory.h"
#include "log.h"
#include "clock.h"
#include "sinks.h"

/* Tracked cgroups at most: ~2.5 KiB each. */
#define AGGREGATE_MAX_ENTRIES 100000
/* How often idle cgroups' usage and limit are read again for /metrics. */
#define IDLE_GAUGES_EVERY_NS (10ULL * 1000000000ULL)
/* Cgroups gone from the aggregate (tombstones expired) worth a malloc_trim(). */
#define TRIM_AFTER_CGROUPS 64

struct aggregate_sink {
	struct aggregate *agg;
	struct memsight *ms; /* the kernel's gauges of every memcg, where it has them */
	bool view;	     /* top: the working set is the only part of memory.stat shown */
	char memcg_root[1024];
	bool memcg_v2;
	uint64_t gauges_every_ns;
	uint64_t gauges_read_ns;
	uint64_t details_read_ns;  /* memory.stat of idle cgroups: every IDLE_GAUGES_EVERY_NS */
	unsigned int tracked_high; /* most cgroups tracked since the last trim */
};

static int aggregate_start(struct run *run, void **state)
{
	struct aggregate_sink *a = calloc(1, sizeof(*a));
	const struct env *env = run_env(run);
	struct cgroup_mounts mounts;

	*state = a;
	if (a)
		a->agg = aggregate__new(env->tombstone_ns, AGGREGATE_MAX_ENTRIES);
	if (!a || !a->agg) {
		log_error("can't start: %s", strerror(ENOMEM));
		return -1;
	}
	cgroup_mounts_read(&mounts);
	a->memcg_v2 =
		!strcmp(cgroup_memory_root(&mounts, a->memcg_root, sizeof(a->memcg_root)), "v2");
	/* A view shows every interval's usage; /metrics can wait a little for idle ones. */
	a->view = run_view(run) != NULL;
	a->gauges_every_ns = a->view ? 0 : IDLE_GAUGES_EVERY_NS;
	run_set_aggregate(run, a->agg);
	return 0;
}

static void aggregate_tune(struct agent_opts *opts)
{
	opts->cgroup_events = true; /* removals start a cgroup's tombstone period */
}

/* What an idle cgroup is made of; not growing, so neither a time to its limit nor a leak. */
static void refresh_detail(struct aggregate_sink *a, struct aggregate_entry *e)
{
	struct memsight_container_stats s = { .has_usage = true, .usage_bytes = e->usage_bytes };
	struct memcg_stat stat;

	cgroup_memory_makeup(a->memcg_root, a->memcg_v2, e->path, &s, &stat);
	aggregate_entry_detail(e, &s);
}

/*
 * Idle cgroups send no figures: their usage, limit and working set come from
 * the kernel's gauges each interval where it has them (one read for all).
 */
static void kernel_gauges(uint64_t cgroup_id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	struct aggregate_sink *a = ctx;
	struct memsight_container_stats s = { 0 };
	bool working_set;

	if (e->removed_ns || (e->interval_gauges && e->interval_detail) ||
	    !agent_memcg_gauges(a->ms, cgroup_id, &s, &working_set))
		return;
	/* no figures this interval: idle, so neither heading for its limit nor leaking */
	if (!e->interval_stats) {
		e->has_time_to_limit = false;
		e->leak_suspected = false;
	}
	if (!e->interval_gauges) {
		aggregate_entry_gauges(e, &s);
		e->interval_gauges = true;
	}
	if (working_set && !e->interval_detail)
		aggregate_entry_working_set(e, s.working_set_bytes);
}

/* Else from cgroupfs, now and then. */
static void refresh_gauges(uint64_t cgroup_id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	struct aggregate_sink *a = ctx;
	struct memsight_container_stats s = { 0 };

	if (e->removed_ns || !e->path || e->interval_gauges || !a->memcg_root[0])
		return;
	if (!cgroup_memory_gauges(a->memcg_root, a->memcg_v2, e->path, &s))
		aggregate_entry_gauges(e, &s);
}

/*
 * What idle cgroups are made of: memory.stat is several reads, so less often
 * than usage. top shows only the working set, which the kernel's gauges gave.
 */
static void refresh_details(uint64_t cgroup_id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	struct aggregate_sink *a = ctx;

	if (a->view && e->interval_working_set)
		return;
	if (!e->removed_ns && e->path && e->has_usage && !e->interval_detail && a->memcg_root[0])
		refresh_detail(a, e);
}

/*
 * Freed heap below live allocations stays resident: after a burst of cgroups
 * RSS would stay at its peak. Hand it back when the aggregate let go of
 * enough (malloc_trim walks the heap: not every interval).
 */
static void trim_heap(struct aggregate_sink *a)
{
	unsigned int tracked = aggregate__count(a->agg);

	if (tracked > a->tracked_high)
		a->tracked_high = tracked;
	if (a->tracked_high - tracked < TRIM_AFTER_CGROUPS)
		return;
	malloc_trim(0);
	a->tracked_high = tracked;
}

static void aggregate_on_event(struct run *run, void *state, const struct memsight_event *ev)
{
	struct aggregate_sink *a = state;
	uint64_t now = clock_monotonic_ns();

	aggregate__add_event(a->agg, ev, now);
	if (ev->type != MEMSIGHT_EVENT_AGENT_STATS)
		return;
	a->ms = run_agent(run);
	/* top every interval; /metrics every 10 s, so a quiet node costs no walk most seconds */
	if (now - a->gauges_read_ns >= a->gauges_every_ns) {
		if (a->ms)
			aggregate__each(a->agg, kernel_gauges, a);
		aggregate__each(a->agg, refresh_gauges, a);
		a->gauges_read_ns = now;
	}
	if (now - a->details_read_ns >= IDLE_GAUGES_EVERY_NS) {
		aggregate__each(a->agg, refresh_details, a);
		a->details_read_ns = now;
	}
	aggregate__expire(a->agg, now);
	trim_heap(a);
}

static void aggregate_stop(void *state)
{
	struct aggregate_sink *a = state;

	if (!a)
		return;
	aggregate__free(a->agg);
	free(a);
}

const struct sink_ops aggregate_sink = {
	.name = "aggregate",
	.start = aggregate_start,
	.tune = aggregate_tune,
	.on_event = aggregate_on_event,
	.stop = aggregate_stop,
};
