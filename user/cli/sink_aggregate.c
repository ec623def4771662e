// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The aggregate sink: per-cgroup totals across intervals, fed with the
 * agent's events, for the sinks that show state (/metrics, top). It also
 * keeps idle cgroups' usage, limit and make-up fresh, which no event carries:
 * for top every interval (make-up every 10 s); for /metrics only when a page
 * is about to be rendered (run_refresh_idle), so that no scrape, no reads.
 * Usage, limits and the working set come from the kernel's gauges iterator
 * where it runs (one walk for every memcg), else from cgroupfs.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "aggregate.h"
#include "cgroup_mounts.h"
#include "cgroup_memory.h"
#include "log.h"
#include "clock.h"
#include "sinks.h"

/* Tracked cgroups at most: ~2.5 KiB each. */
#define AGGREGATE_MAX_ENTRIES 100000
/*
 * Idle cgroups' figures, which no event carries. In top, usage and limits
 * every interval, the make-up every IDLE_EVERY_NS. For /metrics, when a page
 * is about to be rendered: the usage alone (one read) when older than
 * IDLE_EVERY_NS, and the rest (limits, memory.stat, limit events: four to six
 * reads) for the cgroups whose usage moved. A cgroup whose usage stays put
 * had no charge: only a hand moves its limit, only LRU ageing its make-up
 * (the working set), and its limit events need a charge. So for the others,
 * every IDLE_MAKEUP_EVERY_NS, their limits and memory.stat alone, read after a
 * page went out (a scrape does not wait for thousands of reads), for the next.
 */
#define IDLE_EVERY_NS	     (10ULL * 1000000000ULL)
#define IDLE_MAKEUP_EVERY_NS (60ULL * 1000000000ULL)
/* Cgroups gone from the aggregate (tombstones expired) worth a malloc_trim(). */
#define TRIM_AFTER_CGROUPS 64

struct aggregate_sink {
	struct aggregate *agg;
	struct run *run; /* its agent has the kernel's gauges of every memcg, where it runs */
	char memcg_root[1024];
	bool memcg_v2;
	bool on_demand;		 /* run: read for a page about to be rendered, not every interval */
	uint64_t gauges_read_ns; /* top: usage and limits; run: usage */
	uint64_t makeup_read_ns; /* top: make-up; run: limits and make-up */
	unsigned int tracked_high; /* most cgroups tracked since the last trim */
};

static unsigned int refresh_idle(void *ctx, bool soon);

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
	a->run = run;
	a->on_demand = !run_view(run);
	run_set_aggregate(run, a->agg, refresh_idle, a);
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

/* What moves in a cgroup with no charge: its limits and make-up, its limit events kept. */
static void refresh_unchargeable(struct aggregate_sink *a, struct aggregate_entry *e)
{
	struct memsight_container_stats s = { .has_usage = true,
					      .usage_bytes = e->usage_bytes,
					      .limit_events = e->limit_events };
	struct memcg_stat stat;

	if (cgroup_memory_limits(a->memcg_root, a->memcg_v2, e->path, &s))
		return;
	aggregate_entry_gauges(e, &s);
	cgroup_memory_ageing(a->memcg_root, a->memcg_v2, e->path, &s, &stat);
	aggregate_entry_detail(e, &s);
}

static bool is_idle(const struct aggregate_sink *a, const struct aggregate_entry *e)
{
	return !e->removed_ns && e->path && !e->interval_gauges && a->memcg_root[0];
}

/*
 * The kernel's gauges of an idle cgroup, from this interval's walk; false
 * without them. No older than IDLE_EVERY_NS, as a cgroupfs read would be: a
 * page rendered between long intervals (--interval 1m) has the walk redone.
 */
static bool kernel_gauges(struct aggregate_sink *a, uint64_t cgroup_id,
			  struct memsight_container_stats *s, bool *working_set)
{
	struct memsight *ms = run_agent(a->run);

	return ms && agent_memcg_gauges(ms, cgroup_id, IDLE_EVERY_NS, s, working_set);
}

/* The kernel's gauges into an idle cgroup's entry: usage, limits, and the working set. */
static void apply_kernel_gauges(struct aggregate_entry *e, const struct memsight_container_stats *s,
				bool working_set)
{
	aggregate_entry_gauges(e, s);
	if (working_set)
		aggregate_entry_working_set(e, s->working_set_bytes);
}

/* An idle cgroup's usage and limits, as an interval reads them; false when unreadable. */
static bool refresh_gauges(struct aggregate_sink *a, uint64_t cgroup_id, struct aggregate_entry *e)
{
	struct memsight_container_stats s = { 0 };
	bool working_set;

	if (kernel_gauges(a, cgroup_id, &s, &working_set)) {
		apply_kernel_gauges(e, &s, working_set);
		return true;
	}
	if (cgroup_memory_gauges(a->memcg_root, a->memcg_v2, e->path, &s))
		return false;
	aggregate_entry_gauges(e, &s);
	return true;
}

/*
 * A cgroup whose usage came this interval without its make-up (an idle
 * container the agent still reports, its name not found yet): its working
 * set from the same walk, rather than memory.stat every IDLE_EVERY_NS.
 */
static void view_working_set(struct aggregate_sink *a, uint64_t cgroup_id,
			     struct aggregate_entry *e)
{
	struct memsight_container_stats s = { 0 };
	bool working_set;

	if (kernel_gauges(a, cgroup_id, &s, &working_set) && working_set)
		aggregate_entry_working_set(e, s.working_set_bytes);
}

/* top: every idle cgroup's usage and limits; idle, so neither near its limit nor leaking. */
static void view_gauges(uint64_t cgroup_id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	struct memsight_container_stats unread = { 0 };

	if (!e->removed_ns && e->interval_gauges && !e->interval_detail) {
		view_working_set(ctx, cgroup_id, e);
		return;
	}
	if (!is_idle(ctx, e) || !refresh_gauges(ctx, cgroup_id, e))
		return;
	if (!e->interval_stats)
		aggregate_entry_detail(e, &unread);
}

/*
 * What idle cgroups are made of: memory.stat is several reads, so less often
 * than usage. top shows only the working set, which the kernel's gauges gave.
 */
static void view_details(uint64_t cgroup_id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	struct aggregate_sink *a = ctx;

	if (e->interval_working_set)
		return;
	if (!e->removed_ns && e->path && e->has_usage && !e->interval_detail && a->memcg_root[0])
		refresh_detail(a, e);
}

struct metrics_pass {
	struct aggregate_sink *a;
	bool unchargeable;   /* what moves with no charge, else the usage */
	unsigned int read;   /* idle cgroups read from cgroupfs */
	unsigned int walked; /* idle cgroups the kernel's walk had */
};

/*
 * /metrics: an idle cgroup's usage, and all of it when the usage moved; or
 * what moves with no charge. Read whole when never read. The kernel's gauges,
 * where the iterator runs, are every figure that moves with no charge: then
 * only a cgroup whose usage moved is read from cgroupfs (its make-up).
 */
static void metrics_idle(uint64_t cgroup_id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	struct metrics_pass *pass = ctx;
	struct memsight_container_stats unread = { 0 }, s = { 0 };
	bool working_set, kernel;
	uint64_t usage;

	if (!is_idle(pass->a, e))
		return;
	kernel = kernel_gauges(pass->a, cgroup_id, &s, &working_set);
	pass->walked += kernel;
	if (e->has_usage && pass->unchargeable) {
		if (!kernel) {
			pass->read++;
			refresh_unchargeable(pass->a, e);
		}
		return;
	}
	if (e->has_usage && kernel && s.usage_bytes == e->usage_bytes) {
		/* not growing, as refresh_detail() says, whose other figures can wait */
		apply_kernel_gauges(e, &s, working_set);
		aggregate_entry_detail(e, &unread);
		return;
	}
	pass->read++;
	if (e->has_usage && !kernel &&
	    !cgroup_memory_usage(pass->a->memcg_root, pass->a->memcg_v2, e->path, &usage) &&
	    usage == e->usage_bytes) {
		aggregate_entry_detail(e, &unread);
		return;
	}
	if (kernel)
		apply_kernel_gauges(e, &s, working_set);
	if (kernel || refresh_gauges(pass->a, cgroup_id, e))
		refresh_detail(pass->a, e);
}

/* top, every interval. */
static void refresh_view(struct aggregate_sink *a, uint64_t now)
{
	aggregate__each(a->agg, view_gauges, a);
	a->gauges_read_ns = now;
	if (now - a->makeup_read_ns < IDLE_EVERY_NS)
		return;
	aggregate__each(a->agg, view_details, a);
	a->makeup_read_ns = now;
}

/* run_refresh_idle(): soon, for the page about to be rendered, else after it. */
static unsigned int refresh_idle(void *ctx, bool soon)
{
	struct aggregate_sink *a = ctx;
	uint64_t now = clock_monotonic_ns();
	struct metrics_pass pass = { a, !soon, 0, 0 };

	if (!a->on_demand)
		return 0;
	if (now - (soon ? a->gauges_read_ns : a->makeup_read_ns) <
	    (soon ? IDLE_EVERY_NS : IDLE_MAKEUP_EVERY_NS))
		return 0;
	aggregate__each(a->agg, metrics_idle, &pass);
	log_debug("/metrics: idle cgroups %s: %u in the kernel's walk, %u read from cgroupfs",
		  soon ? "for this page" : "for the next page", pass.walked, pass.read);
	if (soon)
		a->gauges_read_ns = now;
	else
		a->makeup_read_ns = now;
	return pass.read;
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
	if (!a->on_demand)
		refresh_view(a, now);
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
