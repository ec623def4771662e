// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's interval: each counted family's counts in, a container_stats
 * event per cgroup that moved (and, for a view, per idle container), then
 * the agent's own agent_stats.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent_internal.h"
#include "cgroup_names.h"
#include "cgroup_memory.h"
#include "container_cache.h"
#include "event_build.h"
#include "id_table.h"
#include "interval_counts.h"
#include "log.h"
#include "leak_watch.h"
#include "memory_trend.h"
#include "proc_faults.h"

/* One cgroup's figures for the interval, gathered from every source before the event. */
struct interval_row {
	bool faults, charges, reclaim;
	uint64_t minor, major;
	uint64_t charged[MEMSIGHT_CHARGE_KINDS], uncharged[MEMSIGHT_CHARGE_KINDS];
	uint64_t reclaim_count, stall_ns, hist[MEMSIGHT_RECLAIM_BUCKETS];
};

/*
 * The kernel counts a major fault twice, PGFAULT first and PGMAJFAULT after,
 * so an interval can end between the two: minor = faults - major can then be
 * negative. What is short is owed and paid from the cgroup's next minor
 * faults, so minor + major add up to memory.stat's pgfault over the intervals.
 */
static uint64_t minor_faults(struct memsight *ms, uint64_t cgroup_id, uint64_t faults,
			     uint64_t major)
{
	uint64_t *debt = id_table__find(ms->major_debt, cgroup_id);
	uint64_t owed = major + (debt ? *debt : 0);

	if (faults >= owed) {
		if (debt)
			id_table__remove(ms->major_debt, cgroup_id);
		return faults - owed;
	}
	if (!debt)
		debt = id_table__get(ms->major_debt, cgroup_id);
	if (debt)
		*debt = owed - faults;
	return 0;
}

static void row_faults(uint64_t cgroup_id, const uint64_t *delta, void *ctx)
{
	struct memsight *ms = ctx;
	struct interval_row *row = id_table__get(ms->rows, cgroup_id);

	if (!row)
		return;
	row->faults = true;
	row->minor = minor_faults(ms, cgroup_id, delta[0], delta[1]);
	row->major = delta[1];
}

static void row_charges(uint64_t cgroup_id, const uint64_t *delta, void *ctx)
{
	struct interval_row *row = id_table__get(((struct memsight *)ctx)->rows, cgroup_id);

	if (!row)
		return;
	row->charges = true;
	memcpy(row->charged, delta, sizeof(row->charged));
	memcpy(row->uncharged, delta + MEMSIGHT_CHARGE_KINDS, sizeof(row->uncharged));
}

/*
 * A memcg's row moved: its faults, its charges or both. Each part is told only
 * when its own counters moved, as when they were families of their own.
 */
static void row_memcg(uint64_t cgroup_id, const uint64_t *delta, void *ctx)
{
	const uint64_t *faults = delta + MEMCG_COUNTER(faults);
	const uint64_t *charges = delta + MEMCG_COUNTER(charged);
	bool charged = false;

	_Static_assert(MEMCG_COUNTER(major) == MEMCG_COUNTER(faults) + 1,
		       "row_faults reads faults then major");
	_Static_assert(MEMCG_COUNTER(uncharged) == MEMCG_COUNTER(charged) + MEMSIGHT_CHARGE_KINDS,
		       "row_charges reads charged[] then uncharged[]");
	if (faults[0] || faults[1])
		row_faults(cgroup_id, faults, ctx);
	for (int k = 0; k < 2 * MEMSIGHT_CHARGE_KINDS; k++)
		charged |= charges[k] != 0;
	if (charged)
		row_charges(cgroup_id, charges, ctx);
}

static void row_reclaim(uint64_t cgroup_id, const uint64_t *delta, void *ctx)
{
	struct interval_row *row = id_table__get(((struct memsight *)ctx)->rows, cgroup_id);

	if (!row)
		return;
	row->reclaim = true;
	row->reclaim_count = delta[0];
	row->stall_ns = delta[1];
	memcpy(row->hist, delta + 2, sizeof(row->hist));
}

/* Kernels without the memcg stat tracepoints: memory.stat deltas, net per interval. */
static void stat_fallback(uint64_t cgroup_id, const char *path, void *ctx)
{
	struct memsight *ms = ctx;
	uint64_t now[MEMSIGHT_CHARGE_KINDS], *last;
	struct interval_row *row;
	bool fresh, moved = false;

	if (!strcmp(path, "/") || cgroup_memory_stat(ms->memcg_root, ms->memcg_v2, path, now))
		return;
	fresh = !id_table__find(ms->stat_last, cgroup_id);
	last = id_table__get(ms->stat_last, cgroup_id);
	if (!last)
		return;
	if (fresh) {
		memcpy(last, now, sizeof(now)); /* first sight: a baseline, not a charge */
		return;
	}
	for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++)
		moved |= now[k] != last[k];
	if (!moved)
		return;
	row = id_table__get(ms->rows, cgroup_id);
	if (!row)
		return;
	row->charges = true;
	for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++) {
		row->charged[k] = now[k] > last[k] ? now[k] - last[k] : 0;
		row->uncharged[k] = now[k] < last[k] ? last[k] - now[k] : 0;
	}
	memcpy(last, now, sizeof(now));
}

/* What a container_stats event points to, alive while it is delivered. */
struct stats_text {
	struct container_info info;
	struct proc_fault_entry procs[PROC_FAULTS_TOP];
	struct memsight_fault_process top[PROC_FAULTS_TOP];
	char comm[PROC_FAULTS_TOP][MEMSIGHT_COMM_LEN + 1];
	struct memcg_stat stat; /* valid when the event has_detail */
	struct proc_anon leak_procs[PROC_ANON_MAX];
};

/* The cgroup's most faulting processes, from the kernel's per-process counters. */
static void fault_top(struct memsight *ms, const char *path, struct memsight_container_stats *c,
		      struct stats_text *text)
{
	char dir[8192];
	unsigned int n;

	snprintf(dir, sizeof(dir), "%s%s", ms->memcg_root, path);
	n = proc_faults__top(ms->procs, dir, text->procs);
	for (unsigned int i = 0; i < n; i++) {
		memcpy(text->comm[i], text->procs[i].comm, sizeof(text->procs[i].comm));
		text->comm[i][sizeof(text->procs[i].comm)] = '\0';
		text->top[i] = (struct memsight_fault_process){ text->procs[i].pid, text->comm[i],
								text->procs[i].minor,
								text->procs[i].major };
	}
	c->fault_top = text->top;
	c->fault_top_count = n;
}

/*
 * Usage, limit, (v2) memory.high and what the memcg is made of, read now: the
 * gauges from the kernel's iterator when it has them, else from cgroupfs.
 */
static void read_gauges(struct memsight *ms, uint64_t cgroup_id, const char *path,
			struct memsight_container_stats *c, struct memcg_stat *stat)
{
	bool working_set;

	if (!memcg_gauges__get(ms->gauges, ms->loader, ms->memcg_v2, cgroup_id, 0, c,
			       &working_set) &&
	    cgroup_memory_gauges(ms->memcg_root, ms->memcg_v2, path, c))
		return;
	/* stat NULL: an idle container of a view, whose make-up is refreshed less often */
	if (stat)
		cgroup_memory_makeup(ms->memcg_root, ms->memcg_v2, path, c, stat);
}

/* The growth and time to the limit into c; true with an oom_risk event in risk when one is due. */
static bool outlook(struct memsight *ms, struct memsight_container_stats *c,
		    const struct memcg_stat *stat, struct memsight_event *risk)
{
	/* the memory reclaim can't free: all but file pages, and shmem among those */
	uint64_t unreclaimable =
		c->usage_bytes - (c->file_bytes < c->usage_bytes ? c->file_bytes : c->usage_bytes);
	uint64_t now = clock_boottime_ns();
	struct trend_point point = {
		.t_ns = now,
		.usage = c->usage_bytes,
		.working_set = c->working_set_bytes,
		.unreclaimable = unreclaimable + c->shmem_bytes,
		.faults_minor = c->faults_minor,
		.faults_major = c->faults_major,
		.stall_ns = c->reclaim_stall_ns,
	};
	struct memsight_oom_risk *r = &risk->oom_risk;
	struct trend_makeup makeup;
	struct trend_outlook out;

	/* a limit to reach, or a container's history to tell at its OOM kill */
	if (!c->has_detail || !(c->has_limit || c->container.known))
		return false;
	/* stat is read only now: without detail it was never filled */
	makeup = (struct trend_makeup){ now,	      stat->anon, stat->file,	   stat->shmem,
					stat->kernel, stat->sock, stat->has_kernel };
	memory_trend__add(ms->trend, c->cgroup.id, &point, &makeup,
			  c->has_limit ? c->limit_bytes : 0, &out);
	c->has_time_to_limit = out.has_time_to_limit;
	c->time_to_limit_s = out.time_to_limit_s;
	if (!out.risk_raised)
		return false;
	risk->type = MEMSIGHT_EVENT_OOM_RISK;
	r->cgroup = c->cgroup;
	r->container = c->container;
	r->usage_bytes = c->usage_bytes;
	r->working_set_bytes = c->working_set_bytes;
	r->limit_bytes = c->limit_bytes;
	r->growth_bytes_per_sec = out.growth;
	r->time_to_limit_s = out.time_to_limit_s;
	r->horizon_s = (double)ms->opts.oom_risk_horizon_ns / 1e9;
	return true;
}

/*
 * A container's processes and their anonymous memory: from the kernel's task
 * iterator (no host /proc needed: the chart's default deployment has none),
 * else from /proc.
 */
static unsigned int leak_candidates(struct memsight *ms, uint64_t cgroup_id, const char *dir,
				    struct proc_anon *out)
{
	struct memsight_task_record records[PROC_ANON_MAX];
	unsigned int n = loader__memcg_tasks(ms->loader, cgroup_id, records, PROC_ANON_MAX);
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!n)
		return proc_anon_read(dir, out);
	for (unsigned int i = 0; i < n; i++) {
		out[i].pid = records[i].pid;
		memcpy(out[i].comm, records[i].comm, sizeof(out[i].comm));
		out[i].comm[sizeof(out[i].comm) - 1] = '\0';
		out[i].anon_bytes = records[i].anon_pages * page;
	}
	return n;
}

/* The process of a leak suspect that grew most since it was noted halfway through the window. */
static void leak_process(struct memsight *ms, const char *dir, struct memsight_leak_suspect *l,
			 struct stats_text *text)
{
	const struct leak_procs *before = id_table__find(ms->leak_procs, l->cgroup.id);
	unsigned int n;
	uint64_t growth;
	int i;

	if (!before)
		return;
	n = leak_candidates(ms, l->cgroup.id, dir, text->leak_procs);
	i = proc_anon_grew_most(before->procs, before->count, text->leak_procs, n, &growth);
	id_table__remove(ms->leak_procs, l->cgroup.id);
	if (i < 0)
		return;
	l->has_process = true;
	l->process_pid = text->leak_procs[i].pid;
	l->process_comm = text->leak_procs[i].comm;
	l->process_anon_growth_bytes = growth;
}

/* Whether c's anonymous memory looks like a leak; true with a leak_suspect in leak when due. */
static bool leak_check(struct memsight *ms, const char *path, struct memsight_container_stats *c,
		       struct stats_text *text, struct memsight_event *leak)
{
	struct memsight_leak_suspect *l = &leak->leak_suspect;
	struct leak_finding finding;
	enum leak_verdict verdict;
	struct leak_procs *noted;
	char dir[8192];

	if (!c->has_detail || !(c->has_limit || c->container.known))
		return false;
	verdict = leak_watch__add(ms->leaks, c->cgroup.id, clock_boottime_ns(), text->stat.anon,
				  &finding);
	c->leak_suspected = leak_watch__suspected(ms->leaks, c->cgroup.id);
	if (verdict == LEAK_NONE)
		return false;
	snprintf(dir, sizeof(dir), "%s%s", ms->memcg_root, path);
	if (verdict == LEAK_HALFWAY) {
		/* only now, for this one container, are its processes read */
		noted = id_table__get(ms->leak_procs, c->cgroup.id);
		if (noted)
			noted->count = leak_candidates(ms, c->cgroup.id, dir, noted->procs);
		return false;
	}
	leak->type = MEMSIGHT_EVENT_LEAK_SUSPECT;
	l->cgroup = c->cgroup;
	l->container = c->container;
	l->window_s = finding.window_s;
	l->anon_growth_bytes = finding.anon_growth_bytes;
	l->growth_bytes_per_sec = finding.growth_bytes_per_sec;
	leak_process(ms, dir, l, text);
	return true;
}

/* A container_stats for cgroup_id; text->info already resolved when path is known. */
static void stats_event(struct memsight *ms, uint64_t cgroup_id, const char *path,
			const struct interval_row *row, bool idle, struct stats_text *text)
{
	struct memsight_event ev = { .type = MEMSIGHT_EVENT_CONTAINER_STATS,
				     .ts_ns = clock_realtime_ns() };
	struct memsight_container_stats *c = &ev.container_stats;
	struct memsight_event risk = { .ts_ns = ev.ts_ns }, leak = { .ts_ns = ev.ts_ns };
	bool risky, leaky = false;

	event_cgroup_ref(&c->cgroup, cgroup_id, path);
	c->interval_ns = ms->interval_ns;
	c->faults_minor = row->minor;
	c->faults_major = row->major;
	c->faults_source = loader__fault_hook(ms->loader);
	c->has_charges = row->charges;
	memcpy(c->charged_bytes, row->charged, sizeof(c->charged_bytes));
	memcpy(c->uncharged_bytes, row->uncharged, sizeof(c->uncharged_bytes));
	c->charge_source = loader__charge_source(ms->loader);
	c->reclaim_count = row->reclaim_count;
	c->reclaim_stall_ns = row->stall_ns;
	c->reclaim_histogram = row->hist;
	c->reclaim_buckets = MEMSIGHT_RECLAIM_BUCKETS;
	if (path) {
		read_gauges(ms, cgroup_id, path, c, idle ? NULL : &text->stat);
		if (row->faults && !ms->opts.skip_fault_top)
			fault_top(ms, path, c, text);
	}
	event_container(&c->container, path ? &text->info : NULL);
	risky = outlook(ms, c, &text->stat, &risk);
	if (path)
		leaky = leak_check(ms, path, c, text, &leak);
	agent_deliver(ms, &ev);
	if (risky)
		agent_deliver(ms, &risk);
	if (leaky)
		agent_deliver(ms, &leak);
}

static void emit_row(uint64_t cgroup_id, void *value, void *ctx)
{
	struct memsight *ms = ctx;
	const char *path = cgroup_names__path(ms->names, cgroup_id);
	struct stats_text text;

	if (!agent_wants_path(ms, path))
		return;
	if (path)
		container_cache__resolve(ms->containers, path, clock_monotonic_ns(), &text.info);
	stats_event(ms, cgroup_id, path, value, false, &text);
}

/*
 * A view shows every container, also those idle since memsight started. Once
 * it knows an idle container by name, and the kernel's gauges iterator has its
 * record, the view reads its usage, limit and working set there itself (see
 * agent_memcg_gauges): an idle interval then has nothing else to tell it.
 */
static void emit_idle_container(uint64_t cgroup_id, const char *path, void *ctx)
{
	static const struct interval_row idle;
	struct memsight *ms = ctx;
	struct stats_text text;

	if (id_table__find(ms->rows, cgroup_id) || !agent_wants_path(ms, path) ||
	    memcg_gauges__told(ms->gauges, ms->loader, cgroup_id))
		return;
	container_cache__resolve(ms->containers, path, clock_monotonic_ns(), &text.info);
	if (!container_info_is_container(&text.info))
		return;
	stats_event(ms, cgroup_id, path, &idle, true, &text);
	/* a name not found yet may still be: told again each interval until it is */
	if (text.info.meta.name[0] || text.info.meta.pod[0])
		memcg_gauges__tell(ms->gauges, cgroup_id);
}

static bool cgroup_removed(uint64_t cgroup_id, void *ctx)
{
	return cgroup_names__is_removed(((struct memsight *)ctx)->names, cgroup_id);
}

/* Each counted family's deltas into this interval's rows. */
static void collect_counts(struct memsight *ms)
{
	static const interval_delta_fn rows[COUNT_FAMILIES] = {
		[COUNT_MEMCG] = row_memcg,
		[COUNT_RECLAIM] = row_reclaim,
	};

	for (int f = 0; f < COUNT_FAMILIES; f++)
		if (ms->counts[f] &&
		    interval_counts__collect(ms->counts[f], cgroup_removed, ms, rows[f], ms))
			log_debug(
				"counting: out of memory, some counts wait for the next interval");
}

static void emit_container_stats(struct memsight *ms)
{
	if (!loader__counts_charges(ms->loader))
		cgroup_names__each(ms->names, stat_fallback, ms);
	if (ms->opts.skip_container_stats)
		return;
	id_table__each(ms->rows, emit_row, ms);
	if (ms->opts.idle_containers)
		cgroup_names__each(ms->names, emit_idle_container, ms);
}

/* Forgets what the agent kept for cgroups removed before this interval's last report. */
static void forget_removed(struct memsight *ms, uint64_t now)
{
	for (unsigned int i = 0; i < ms->removed_count; i++) {
		id_table__remove(ms->stat_last, ms->removed[i]);
		id_table__remove(ms->major_debt, ms->removed[i]);
		memory_trend__remove(ms->trend, ms->removed[i]);
		leak_watch__remove(ms->leaks, ms->removed[i]);
		id_table__remove(ms->leak_procs, ms->removed[i]);
		memcg_gauges__forget(ms->gauges, ms->removed[i]);
	}
	ms->removed_count = 0;
	cgroup_names__expire(ms->names, now);
	container_cache__expire(ms->containers, now);
	proc_faults__expire(ms->procs);
}

static void counting_stats(const struct memsight *ms, const struct memsight_bpf_counters *bpf,
			   struct memsight_counting_stats *out)
{
	for (int f = 0; f < COUNT_FAMILIES; f++) {
		const struct count_source *source = loader__count_source(ms->loader, f);
		const struct interval_counts_stats *s;

		if (!ms->counts[f])
			continue;
		s = interval_counts__stats(ms->counts[f]);
		if (source->slot_count)
			out->slots = source->slot_count;
		out->slots_in_use += s->slots_in_use;
		out->slots_retired_total += s->slots_retired;
		out->resyncs_total += s->resyncs;
		out->failed_reads_total += s->failed_reads;
	}
	out->lost_total = bpf->overflow_full;
}

/* What agent_stats points to, alive while it is delivered. */
struct agent_text {
	struct memsight_program_stats programs[LOADER_PROGRAMS_MAX];
	struct memsight_state_errors errors[STATE_RUNTIMES * STATE_ERRORS];
};

/* The runtimes' failed lookups, only those that happened. */
static unsigned int state_errors(const struct memsight *ms, struct memsight_state_errors *out)
{
	struct runtime_state_errors errors;
	unsigned int n = 0;

	container_cache__state_errors(ms->containers, &errors);
	for (int rt = 0; rt < STATE_RUNTIMES; rt++)
		for (int reason = 0; reason < STATE_ERRORS; reason++)
			if (errors.count[rt][reason])
				out[n++] = (struct memsight_state_errors){
					container_runtime_name(rt),
					runtime_state_error_name(reason), errors.count[rt][reason]
				};
	return n;
}

static void emit_agent_stats(struct memsight *ms)
{
	struct memsight_event ev = { .type = MEMSIGHT_EVENT_AGENT_STATS,
				     .ts_ns = clock_realtime_ns() };
	struct memsight_agent_stats *a = &ev.agent_stats;
	struct memsight_bpf_counters counters;
	struct self_sample now;
	struct agent_text text;

	self_stats_sample(&now);
	loader__counters(ms->loader, &counters);
	a->interval_ns = now.monotonic_ns - ms->last_sample.monotonic_ns;
	a->events_received = ms->records_total;
	a->events_filtered = ms->records_filtered;
	a->events_lost = counters.ringbuf_drops;
	a->events_lost_interval = counters.ringbuf_drops - ms->lost_reported;
	a->oom_kills_lost = counters.oom_pending_drops + counters.oom_ringbuf_drops;
	a->events_malformed = ms->records_malformed;
	a->fault_samples_suppressed = counters.samples_suppressed;
	a->containers_cached = container_cache__count(ms->containers);
	a->containers_cache_bytes = container_cache__memory_bytes(ms->containers);
	a->state_errors = text.errors;
	a->state_error_count = state_errors(ms, text.errors);
	a->rss_bytes = now.rss_bytes;
	a->cpu_user_ns = now.cpu_user_ns;
	a->cpu_system_ns = now.cpu_system_ns;
	a->cpu_percent = self_stats_cpu_percent(&ms->last_sample, &now);
	a->bpf_stats_enabled = loader__report(ms->loader)->bpf_stats_enabled;
	a->programs = text.programs;
	a->program_count = loader__program_stats(ms->loader, text.programs, LOADER_PROGRAMS_MAX);
	counting_stats(ms, &counters, &a->counting);
	ms->lost_reported = counters.ringbuf_drops;
	ms->last_sample = now;
	agent_deliver(ms, &ev);
}

void agent_run_interval(struct memsight *ms)
{
	uint64_t now = clock_monotonic_ns(), cpu = clock_thread_cpu_ns();

	memcg_gauges__next_interval(ms->gauges);
	ms->rows = id_table__new(sizeof(struct interval_row));
	if (ms->rows) {
		/* rates use the time these counts took to gather, not the interval asked for */
		ms->interval_ns = now - ms->counted_ns;
		collect_counts(ms);
		ms->counted_ns = now;
		/*
		 * Every cgroup whose counts were just read was made before the read, and
		 * its record committed then: reading the records now names them all (read
		 * before the counts, a cgroup made in between went unnamed).
		 */
		loader__consume_cgroups(ms->loader);
		agent_recover_lost_names(ms);
		emit_container_stats(ms);
		id_table__free(ms->rows);
		ms->rows = NULL;
		/* Reported for the last time above (their slots retire in collect_counts). */
		forget_removed(ms, now);
	}
	emit_agent_stats(ms);
	/* the sinks' share (a view's refresh) is in it: they run from agent_stats */
	log_debug("interval work took %.2f ms of CPU", (double)(clock_thread_cpu_ns() - cpu) / 1e6);
}
