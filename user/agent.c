// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent: kernel records and per-interval counts in, attributed
 * memsight_events out. libmemsight's API and the CLI's stream, run and top
 * all run this one code path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "aggregate.h"
#include "cgroup_memory.h"
#include "cgroup_mounts.h"
#include "cgroup_names.h"
#include "cgroup_path.h"
#include "cgroup_walk.h"
#include "clock.h"
#include "container_cache.h"
#include "id_table.h"
#include "interval_counts.h"
#include "loader.h"
#include "log.h"
#include "proc_faults.h"
#include "record_format.h"
#include "self_stats.h"

/* Tracked cgroups at most: ~2.5 KiB each. */
#define AGGREGATE_MAX_ENTRIES 100000
/*
 * How long one memsight_poll() may deliver ring buffer records: a slow
 * callback then returns control to its caller's loop (the kernel side never
 * waits; what doesn't fit in the ring buffer meanwhile is counted as lost).
 */
#define POLL_BUDGET_NS (20ULL * 1000000ULL)
/* How often idle cgroups' usage and limit are read again for /metrics. */
#define IDLE_GAUGES_EVERY_NS (10ULL * 1000000000ULL)

enum wake_source {
	WAKE_RINGBUF = 1,
	WAKE_INTERVAL,
};

/* What memsight_event_json needs to write an event's line as the CLI does. */
struct event_source {
	const struct format_context *fmt;
	const struct memsight_oom_record *oom;
	const struct container_info *victim, *trigger;
	const struct container_stats *stats;
	const struct memsight_fault_sample_record *sample;
	const char *sample_path;
	const struct container_info *sample_container;
	const struct agent_stats *agent;
};

/* One cgroup's figures for the interval, gathered from every source before the event. */
struct interval_row {
	bool faults, charges, reclaim;
	uint64_t minor, major;
	uint64_t charged[MEMSIGHT_CHARGE_KINDS], uncharged[MEMSIGHT_CHARGE_KINDS];
	uint64_t reclaim_count, stall_ns, hist[MEMSIGHT_RECLAIM_BUCKETS];
};

struct memsight {
	struct env env; /* a copy; its strings belong to the caller or to owned[] */
	char *owned[3]; /* cgroup_prefix, node, btf_path */
	struct agent_config config;
	struct loader *loader;
	struct container_cache *containers;
	struct cgroup_names *names;
	struct interval_counts *counts[COUNT_FAMILIES]; /* NULL: family not counted */
	struct id_table *major_debt; /* major faults reported ahead of their PGFAULT */
	struct id_table *stat_last;  /* memory.stat fallback: last bytes per kind */
	struct id_table *rows;	     /* this interval's figures per cgroup */
	struct proc_faults *procs;
	struct aggregate *agg;
	/* cgroups removed this interval: reported once more, then forgotten */
	uint64_t *removed;
	unsigned int removed_count, removed_cap;
	char memcg_root[1024];
	bool memcg_v2;
	char *pinned; /* --pin directory, unpinned at close */
	int epfd, interval_fd;
	uint64_t idle_gauges_ns;
	uint64_t counted_ns;  /* when the counts were last collected */
	uint64_t interval_ns; /* measured: a stalled agent's interval is longer than asked */
	struct format_context fmt;
	int delivered; /* events delivered by the current memsight_poll */
	uint64_t consume_deadline_ns;
	uint64_t records_total;
	uint64_t records_filtered;
	uint64_t records_malformed;
	uint64_t lost_reported;
	uint64_t cgroup_drops_seen; /* lost cgroup records already recovered from */
	struct self_sample last_sample;
};

static void public_cgroup(struct memsight_cgroup_ref *out, uint64_t id, const char *path)
{
	out->id = id;
	out->path = path ? path : "";
}

static void public_container(struct memsight_container *out, const struct container_info *info)
{
	const char *qos;

	if (!info) {
		*out =
			(struct memsight_container){ false, "none", "", "", "",
						     "",    "",	    "", "", false };
		return;
	}
	qos = pod_qos_name(info->qos);
	out->known = info->runtime != RUNTIME_NONE;
	out->runtime = container_runtime_name(info->runtime);
	out->id = info->id;
	out->name = info->runtime == RUNTIME_SYSTEMD ? info->unit : info->meta.name;
	out->pod = info->meta.pod;
	out->pod_namespace = info->meta.namespace;
	out->pod_uid = info->pod_uid;
	out->qos = qos ? qos : "";
	out->image = info->meta.image;
	out->exited = info->exited;
}

static void deliver(struct memsight *ms, struct memsight_event *ev, const struct event_source *src)
{
	ev->node = ms->env.node;
	ev->internal = src;
	ms->delivered++;
	if (ms->config.on_event)
		ms->config.on_event(ev, ms->config.ctx);
}

static void on_oom_record(struct memsight *ms, const struct memsight_oom_record *rec)
{
	struct container_info victim, trigger;
	char path[CGROUP_PATH_MAX], trigger_path[CGROUP_PATH_MAX];
	uint64_t now = clock_monotonic_ns();
	struct memsight_event ev = { .type = MEMSIGHT_EVENT_OOM_KILL };
	struct memsight_oom_kill *k = &ev.oom_kill;
	struct event_source src = { .fmt = &ms->fmt, .oom = rec };

	cgroup_path_from_record(&rec->victim_cgroup, path, sizeof(path));
	if (!cgroup_path_matches(path, ms->env.cgroup_prefix)) {
		ms->records_filtered++;
		return;
	}
	ev.ts_ns = (int64_t)rec->hdr.boot_ns + ms->fmt.boot_to_realtime_ns;
	container_cache__resolve(ms->containers, path, now, &victim);
	aggregate__add_oom_kill(ms->agg, rec->victim_cgroup.id, path, &victim, ev.ts_ns);
	cgroup_path_from_record(&rec->trigger_cgroup, trigger_path, sizeof(trigger_path));
	container_cache__resolve(ms->containers, trigger_path, now, &trigger);
	src.victim = &victim;
	src.trigger = &trigger;

	public_cgroup(&k->cgroup, rec->victim_cgroup.id, path);
	public_container(&k->container, &victim);
	k->victim_pid = rec->victim_pid;
	k->victim_tid = rec->victim_tid;
	k->victim_uid = rec->victim_uid;
	k->victim_oom_score_adj = rec->victim_oom_score_adj;
	k->victim_comm = rec->victim_comm; /* NUL-terminated by the kernel's comm copy */
	k->has_rss = rec->flags & MEMSIGHT_OOM_HAS_RSS;
	k->rss_anon_bytes = rec->rss_anon_bytes;
	k->rss_file_bytes = rec->rss_file_bytes;
	k->rss_shmem_bytes = rec->rss_shmem_bytes;
	k->pgtables_bytes = rec->pgtables_bytes;
	k->total_vm_bytes = rec->total_vm_bytes;
	k->trigger_pid = rec->trigger_pid;
	k->trigger_tid = rec->trigger_tid;
	k->trigger_comm = rec->trigger_comm;
	public_cgroup(&k->trigger_cgroup, rec->trigger_cgroup.id, trigger_path);
	public_container(&k->trigger_container, &trigger);
	k->constraint = rec->constraint == MEMSIGHT_OOM_CONSTRAINT_MEMCG ? "memcg" : "global";
	k->has_limit = !(rec->flags & MEMSIGHT_OOM_MEMCG_UNLIMITED);
	k->usage_bytes = rec->memcg_usage_bytes;
	k->limit_bytes = rec->memcg_limit_bytes;
	k->source = oom_source_name(rec->source);
	deliver(ms, &ev, &src);
}

static void remember_removed(struct memsight *ms, uint64_t cgroup_id)
{
	if (ms->removed_count == ms->removed_cap) {
		unsigned int cap = ms->removed_cap ? ms->removed_cap * 2 : 64;
		uint64_t *grown = realloc(ms->removed, cap * sizeof(*grown));

		if (!grown)
			return; /* its memory.stat baseline stays until the agent exits */
		ms->removed = grown;
		ms->removed_cap = cap;
	}
	ms->removed[ms->removed_count++] = cgroup_id;
}

/* Containers are named when their cgroup appears, while the runtime's state is there. */
static void on_cgroup_record(struct memsight *ms, const struct memsight_cgroup_record *rec)
{
	char path[CGROUP_PATH_MAX];
	struct container_info info;
	uint64_t now = clock_monotonic_ns();

	cgroup_path_from_record(&rec->cgroup, path, sizeof(path));
	if (rec->event == MEMSIGHT_CGROUP_MKDIR) {
		log_debug("cgroup %llu made: memcg id %u", (unsigned long long)rec->cgroup.id,
			  rec->memcg_id);
		cgroup_names__add(ms->names, rec->cgroup.id, path);
		container_cache__resolve(ms->containers, path, now, &info);
	} else if (rec->event == MEMSIGHT_CGROUP_RMDIR) {
		cgroup_names__removed(ms->names, rec->cgroup.id, now);
		container_cache__cgroup_removed(ms->containers, path, now);
		aggregate__cgroup_removed(ms->agg, rec->cgroup.id, now);
		remember_removed(ms, rec->cgroup.id);
	}
}

static void warm_cgroup(const char *path, void *ctx)
{
	struct memsight *ms = ctx;
	struct container_info info;
	char full[8192];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", ms->memcg_root, path);
	/* A cgroup's id is its directory's inode number. */
	if (!stat(full, &st))
		cgroup_names__add(ms->names, st.st_ino, path);
	container_cache__resolve(ms->containers, path, clock_monotonic_ns(), &info);
}

/* A cgroup whose removal record was lost: forgotten as if it had come. */
static void walked_past(uint64_t cgroup_id, const char *path, void *ctx)
{
	struct memsight *ms = ctx;
	uint64_t now = clock_monotonic_ns();

	if (path)
		container_cache__cgroup_removed(ms->containers, path, now);
	aggregate__cgroup_removed(ms->agg, cgroup_id, now);
	remember_removed(ms, cgroup_id);
}

/* Names every cgroup in cgroupfs; those it no longer finds are marked removed. */
static void walk_cgroups(struct memsight *ms, const char *why)
{
	unsigned int walked;

	if (!ms->memcg_root[0])
		return;
	cgroup_names__walk_begin(ms->names);
	walked = cgroup_walk(ms->memcg_root, MEMSIGHT_CGROUP_LEVELS_MAX, 100000, warm_cgroup, ms);
	cgroup_names__walk_end(ms->names, clock_monotonic_ns(), walked_past, ms);
	log_debug("named %u cgroups %s", walked, why);
}

/*
 * Cgroup records lost (their ring was full: the agent stalled through a burst
 * of pod starts): name what exists now from cgroupfs, before the counts.
 */
static void recover_lost_names(struct memsight *ms)
{
	struct memsight_bpf_counters counters;

	loader__counters(ms->loader, &counters);
	if (counters.cgroup_ringbuf_drops == ms->cgroup_drops_seen)
		return;
	ms->cgroup_drops_seen = counters.cgroup_ringbuf_drops;
	walk_cgroups(ms, "after lost cgroup records");
}

static void on_fault_sample(struct memsight *ms, const struct memsight_fault_sample_record *rec)
{
	const char *path = cgroup_names__path(ms->names, rec->cgroup_id);
	struct container_info info;
	struct memsight_event ev = { .type = MEMSIGHT_EVENT_FAULT_SAMPLE };
	struct memsight_fault_sample *f = &ev.fault_sample;
	struct event_source src = { .fmt = &ms->fmt, .sample = rec, .sample_path = path };

	if (ms->env.cgroup_prefix && (!path || !cgroup_path_matches(path, ms->env.cgroup_prefix))) {
		ms->records_filtered++;
		return;
	}
	if (path) {
		container_cache__resolve(ms->containers, path, clock_monotonic_ns(), &info);
		src.sample_container = &info;
	}
	ev.ts_ns = (int64_t)rec->hdr.boot_ns + ms->fmt.boot_to_realtime_ns;
	public_cgroup(&f->cgroup, rec->cgroup_id, path);
	public_container(&f->container, path ? &info : NULL);
	f->pid = rec->pid;
	f->tid = rec->tid;
	f->comm = rec->comm;
	f->address = rec->address;
	f->ip = rec->ip;
	f->write = rec->access & MEMSIGHT_FAULT_WRITE;
	f->exec = rec->access & MEMSIGHT_FAULT_EXEC;
	f->user = rec->access & MEMSIGHT_FAULT_USER;
	deliver(ms, &ev, &src);
}

static int on_record(void *ctx, const void *data, size_t size)
{
	const struct memsight_record_header *hdr = data;
	struct memsight *ms = ctx;
	size_t need;

	ms->records_total++;
	if (size < sizeof(*hdr) || hdr->version != MEMSIGHT_RECORD_VERSION) {
		ms->records_malformed++;
		return 0;
	}
	switch (hdr->type) {
	case MEMSIGHT_RECORD_OOM_KILL:
		need = sizeof(struct memsight_oom_record);
		break;
	case MEMSIGHT_RECORD_FAULT_SAMPLE:
		need = sizeof(struct memsight_fault_sample_record);
		break;
	case MEMSIGHT_RECORD_CGROUP:
		need = sizeof(struct memsight_cgroup_record);
		break;
	default:
		ms->records_malformed++;
		return 0;
	}
	if (size < need) {
		ms->records_malformed++;
		return 0;
	}
	if (hdr->type == MEMSIGHT_RECORD_OOM_KILL)
		on_oom_record(ms, data);
	else if (hdr->type == MEMSIGHT_RECORD_FAULT_SAMPLE)
		on_fault_sample(ms, data);
	else
		on_cgroup_record(ms, data);
	/* over budget: libbpf stops after this record, the rest waits for the next poll */
	if (ms->consume_deadline_ns && clock_monotonic_ns() > ms->consume_deadline_ns)
		return -EAGAIN;
	return 0;
}

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

static void emit_row(uint64_t cgroup_id, void *value, void *ctx)
{
	const struct interval_row *row = value;
	struct memsight *ms = ctx;
	const char *path = cgroup_names__path(ms->names, cgroup_id);
	struct container_info info;
	char dir[8192];
	struct container_stats stats = {
		.realtime_ns = clock_realtime_ns(),
		.interval_ns = ms->interval_ns,
		.cgroup_id = cgroup_id,
		.path = path,
		.faults_minor = row->minor,
		.faults_major = row->major,
		.faults_source = loader__fault_hook(ms->loader),
		.has_charges = row->charges,
		.charge_source = loader__counts_charges(ms->loader)
					 ? "tp_btf/mod_memcg_state + mod_memcg_lruvec_state"
					 : "memory.stat",
		.has_reclaim = row->reclaim,
		.reclaim_count = row->reclaim_count,
		.reclaim_stall_ns = row->stall_ns,
	};
	struct memsight_event ev = { .type = MEMSIGHT_EVENT_CONTAINER_STATS };
	struct memsight_container_stats *c = &ev.container_stats;
	struct event_source src = { .fmt = &ms->fmt, .stats = &stats };

	if (!cgroup_path_matches(path ? path : "", ms->env.cgroup_prefix) ||
	    (!path && ms->env.cgroup_prefix))
		return;
	memcpy(stats.charged, row->charged, sizeof(stats.charged));
	memcpy(stats.uncharged, row->uncharged, sizeof(stats.uncharged));
	memcpy(stats.reclaim_hist, row->hist, sizeof(stats.reclaim_hist));
	if (path) {
		container_cache__resolve(ms->containers, path, clock_monotonic_ns(), &info);
		stats.container = &info;
		stats.has_usage =
			!cgroup_memory_read(ms->memcg_root, ms->memcg_v2, path, &stats.usage_bytes,
					    &stats.has_limit, &stats.limit_bytes);
		stats.has_high = ms->memcg_v2 &&
				 !cgroup_memory_high(ms->memcg_root, path, &stats.high_bytes);
		/* the most faulting processes: only the JSON line carries them */
		if (row->faults && !ms->config.skip_container_stats) {
			snprintf(dir, sizeof(dir), "%s%s", ms->memcg_root, path);
			stats.top_count = proc_faults__top(ms->procs, dir, stats.top);
		}
	}
	aggregate__add_stats(ms->agg, &stats);
	if (ms->config.skip_container_stats)
		return;
	ev.ts_ns = stats.realtime_ns;
	public_cgroup(&c->cgroup, cgroup_id, path);
	public_container(&c->container, path ? &info : NULL);
	c->interval_ns = stats.interval_ns;
	c->faults_minor = stats.faults_minor;
	c->faults_major = stats.faults_major;
	c->has_usage = stats.has_usage;
	c->has_limit = stats.has_limit;
	c->has_high = stats.has_high;
	c->usage_bytes = stats.usage_bytes;
	c->limit_bytes = stats.limit_bytes;
	c->high_bytes = stats.high_bytes;
	c->has_charges = stats.has_charges;
	memcpy(c->charged_bytes, stats.charged, sizeof(c->charged_bytes));
	memcpy(c->uncharged_bytes, stats.uncharged, sizeof(c->uncharged_bytes));
	c->reclaim_count = stats.reclaim_count;
	c->reclaim_stall_ns = stats.reclaim_stall_ns;
	deliver(ms, &ev, &src);
}

/* A view shows every container, also those idle since memsight started. */
static void seed_container(uint64_t cgroup_id, const char *path, void *ctx)
{
	struct memsight *ms = ctx;
	struct container_info info;

	if (!cgroup_path_matches(path, ms->env.cgroup_prefix))
		return;
	container_cache__resolve(ms->containers, path, clock_monotonic_ns(), &info);
	if (container_info_is_container(&info))
		aggregate__entry(ms->agg, cgroup_id, path, &info);
}

/* Idle cgroups send no rows; their usage and limit are read now and then instead. */
static void refresh_idle_gauges(uint64_t cgroup_id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	struct memsight *ms = ctx;
	uint64_t usage, limit, high;
	bool has_limit;

	if (e->removed_ns || !e->path || e->interval_minor || e->interval_major ||
	    e->interval_net_charge)
		return;
	if (cgroup_memory_read(ms->memcg_root, ms->memcg_v2, e->path, &usage, &has_limit, &limit))
		return;
	e->has_usage = true;
	e->usage_bytes = usage;
	e->has_limit = has_limit;
	e->limit_bytes = limit;
	e->has_high = ms->memcg_v2 && !cgroup_memory_high(ms->memcg_root, e->path, &high);
	e->high_bytes = e->has_high ? high : 0;
}

static bool cgroup_removed(uint64_t cgroup_id, void *ctx)
{
	return cgroup_names__is_removed(((struct memsight *)ctx)->names, cgroup_id);
}

/* Each counted family's deltas into this interval's rows. */
static void collect_counts(struct memsight *ms)
{
	static const interval_delta_fn rows[COUNT_FAMILIES] = {
		[COUNT_FAULTS] = row_faults,
		[COUNT_CHARGES] = row_charges,
		[COUNT_RECLAIM] = row_reclaim,
	};

	for (int f = 0; f < COUNT_FAMILIES; f++)
		if (ms->counts[f] &&
		    interval_counts__collect(ms->counts[f], cgroup_removed, ms, rows[f], ms))
			log_debug(
				"counting: out of memory, some counts wait for the next interval");
}

/* Once per interval: counts in, one container_stats event per cgroup that moved. */
static void run_interval(struct memsight *ms)
{
	uint64_t now = clock_monotonic_ns();

	ms->rows = id_table__new(sizeof(struct interval_row));
	if (!ms->rows)
		return;
	/* rates use the time these counts took to gather, not the interval asked for */
	ms->interval_ns = now - ms->counted_ns;
	aggregate__begin_interval(ms->agg, ms->interval_ns);
	collect_counts(ms);
	ms->counted_ns = now;
	/*
	 * Every cgroup whose counts were just read was made before the read, and
	 * its record committed then: reading the records now names them all (read
	 * before the counts, a cgroup made in between went unnamed).
	 */
	loader__consume_cgroups(ms->loader);
	recover_lost_names(ms);
	if (!ms->counts[COUNT_CHARGES])
		cgroup_names__each(ms->names, stat_fallback, ms);
	id_table__each(ms->rows, emit_row, ms);
	id_table__free(ms->rows);
	ms->rows = NULL;
	if (ms->config.track_all_containers)
		cgroup_names__each(ms->names, seed_container, ms);
	if (ms->config.track_all_containers || now - ms->idle_gauges_ns >= IDLE_GAUGES_EVERY_NS) {
		aggregate__each(ms->agg, refresh_idle_gauges, ms);
		ms->idle_gauges_ns = now;
	}
	/* Reported for the last time above (their slots retire in collect_counts). */
	for (unsigned int i = 0; i < ms->removed_count; i++) {
		id_table__remove(ms->stat_last, ms->removed[i]);
		id_table__remove(ms->major_debt, ms->removed[i]);
	}
	ms->removed_count = 0;
	cgroup_names__expire(ms->names, now);
	container_cache__expire(ms->containers, now);
	aggregate__expire(ms->agg, now);
	proc_faults__expire(ms->procs);
}

static void counting_stats(const struct memsight *ms, const struct memsight_bpf_counters *bpf,
			   struct agent_counting_stats *out)
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
		out->slots_retired += s->slots_retired;
		out->resyncs += s->resyncs;
		out->failed_reads += s->failed_reads;
	}
	out->overflow_full = bpf->overflow_full;
}

static void emit_agent_stats(struct memsight *ms)
{
	struct memsight_bpf_counters counters;
	struct agent_stats stats = {};
	struct self_sample now;
	struct memsight_event ev = { .type = MEMSIGHT_EVENT_AGENT_STATS };
	struct memsight_agent_stats *a = &ev.agent_stats;
	struct event_source src = { .fmt = &ms->fmt, .agent = &stats };

	self_stats_sample(&now);
	loader__counters(ms->loader, &counters);
	stats.realtime_ns = clock_realtime_ns();
	stats.interval_ns = now.monotonic_ns - ms->last_sample.monotonic_ns;
	stats.records_total = ms->records_total;
	stats.records_filtered = ms->records_filtered;
	stats.lost_total = counters.ringbuf_drops;
	stats.lost_interval = counters.ringbuf_drops - ms->lost_reported;
	stats.oom_kills_lost = counters.oom_pending_drops + counters.oom_ringbuf_drops;
	stats.records_malformed = ms->records_malformed;
	stats.samples_suppressed = counters.samples_suppressed;
	stats.containers_cached = container_cache__count(ms->containers);
	stats.containers_cache_bytes = container_cache__memory_bytes(ms->containers);
	container_cache__state_errors(ms->containers, &stats.state_errors);
	stats.rss_bytes = now.rss_bytes;
	stats.cpu_user_ns = now.cpu_user_ns;
	stats.cpu_system_ns = now.cpu_system_ns;
	stats.cpu_percent = self_stats_cpu_percent(&ms->last_sample, &now);
	stats.bpf_stats_enabled = loader__report(ms->loader)->bpf_stats_enabled;
	stats.program_count = loader__program_stats(ms->loader, stats.programs, AGENT_PROGRAMS_MAX);
	counting_stats(ms, &counters, &stats.counting);
	ms->lost_reported = counters.ringbuf_drops;
	ms->last_sample = now;

	ev.ts_ns = stats.realtime_ns;
	a->interval_ns = stats.interval_ns;
	a->events_received = stats.records_total;
	a->events_lost = stats.lost_total;
	a->oom_kills_lost = stats.oom_kills_lost;
	a->events_filtered = stats.records_filtered;
	a->fault_samples_suppressed = stats.samples_suppressed;
	a->rss_bytes = stats.rss_bytes;
	a->cpu_percent = stats.cpu_percent;
	deliver(ms, &ev, &src);
}

static int watch(int epfd, int fd, enum wake_source source)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = source };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int fail(struct memsight *ms, char *err, size_t err_len, int error, const char *what)
{
	if (what)
		snprintf(err, err_len, "%s: %s", what, strerror(error));
	memsight_close(ms);
	errno = error;
	return error;
}

/* Keeps a copy of an optional string setting (the public API's caller may free theirs). */
static const char *own(struct memsight *ms, unsigned int slot, const char *text)
{
	if (!text)
		return NULL;
	ms->owned[slot] = strdup(text);
	return ms->owned[slot];
}

struct memsight *agent_open(const struct agent_config *config, char *err, size_t err_len)
{
	struct memsight *ms = calloc(1, sizeof(*ms));
	const struct env *env = config->env;
	struct cgroup_mounts mounts;
	struct runtime_roots roots;
	struct itimerspec every;
	int ret;

	err[0] = '\0';
	if (!ms) {
		snprintf(err, err_len, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ms->epfd = ms->interval_fd = -1;
	ms->env = *env;
	ms->env.cgroup_prefix = own(ms, 0, env->cgroup_prefix);
	ms->env.node = own(ms, 1, env->node);
	ms->env.btf_path = own(ms, 2, env->btf_path);
	ms->config = *config;
	ms->config.env = &ms->env;
	ms->config.pin_dir = NULL;
	ms->fmt.node = ms->env.node;
	ms->fmt.boot_to_realtime_ns = clock_boot_to_realtime_ns();

	cli_runtime_roots(env, &roots);
	struct container_cache_opts cache_opts = {
		.sz = sizeof(cache_opts),
		.roots = &roots,
		.tombstone_ns = env->tombstone_ns,
	};
	ms->containers = container_cache__new(&cache_opts);
	ms->names = cgroup_names__new(env->tombstone_ns);
	ms->procs = proc_faults__new();
	ms->major_debt = id_table__new(sizeof(uint64_t));
	ms->stat_last = id_table__new(MEMSIGHT_CHARGE_KINDS * sizeof(uint64_t));
	ms->agg = aggregate__new(env->tombstone_ns, AGGREGATE_MAX_ENTRIES);
	if (!ms->containers || !ms->names || !ms->procs || !ms->major_debt || !ms->stat_last ||
	    !ms->agg || (env->cgroup_prefix && !ms->owned[0]) || (env->node && !ms->owned[1]) ||
	    (env->btf_path && !ms->owned[2])) {
		fail(ms, err, err_len, ENOMEM, "can't start");
		return NULL;
	}

	struct loader_opts opts = {
		.sz = sizeof(opts),
		.btf_path = ms->env.btf_path,
		.oom_hook = env->oom_hook,
		.fault_hook = env->fault_hook,
		.fault_samples = env->fault_samples,
		.bpf_stats = env->bpf_stats,
		.on_record = on_record,
		.ctx = ms,
		.leave_events = config->pin_dir != NULL,
	};
	ret = loader__new(&opts, &ms->loader, err, err_len);
	if (ret) {
		fail(ms, err, err_len, -ret, NULL);
		return NULL;
	}
	loader__set_clock_offset(ms->loader, ms->fmt.boot_to_realtime_ns);
	ms->counted_ns = clock_monotonic_ns(); /* counting began at the attach */
	for (int f = 0; f < COUNT_FAMILIES; f++) {
		const struct count_source *source = loader__count_source(ms->loader, f);

		if (source && !(ms->counts[f] = interval_counts__new(source))) {
			fail(ms, err, err_len, ENOMEM, "can't start");
			return NULL;
		}
	}
	if (config->pin_dir) {
		ret = loader__pin(ms->loader, config->pin_dir, err, err_len);
		ms->pinned = ret ? NULL : strdup(config->pin_dir);
		if (ret || !ms->pinned) {
			fail(ms, err, err_len, ret ? -ret : ENOMEM, ret ? NULL : "--pin");
			return NULL;
		}
	}
	/* After attaching, so a cgroup made during the walk is seen by one or the other. */
	cgroup_mounts_read(&mounts);
	ms->memcg_v2 =
		!strcmp(cgroup_memory_root(&mounts, ms->memcg_root, sizeof(ms->memcg_root)), "v2");
	walk_cgroups(ms, "at start");

	ms->epfd = epoll_create1(EPOLL_CLOEXEC);
	ms->interval_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	every = (struct itimerspec){
		.it_value = { (time_t)(env->interval_ns / 1000000000ULL),
			      (long)(env->interval_ns % 1000000000ULL) },
		.it_interval = { (time_t)(env->interval_ns / 1000000000ULL),
				 (long)(env->interval_ns % 1000000000ULL) },
	};
	if (ms->epfd < 0 || ms->interval_fd < 0 ||
	    watch(ms->epfd, loader__epoll_fd(ms->loader), WAKE_RINGBUF) ||
	    watch(ms->epfd, ms->interval_fd, WAKE_INTERVAL) ||
	    timerfd_settime(ms->interval_fd, 0, &every, NULL)) {
		fail(ms, err, err_len, errno, "can't set up the event loop");
		return NULL;
	}
	self_stats_sample(&ms->last_sample);
	return ms;
}

int memsight_poll(struct memsight *ms, int timeout_ms)
{
	struct epoll_event events[2];
	uint64_t expirations;
	int n, ret;

	if (!ms)
		return -EINVAL;
	n = epoll_wait(ms->epfd, events, 2, timeout_ms);
	if (n < 0)
		return -errno;
	ms->delivered = 0;
	for (int i = 0; i < n; i++) {
		if (events[i].data.u32 == WAKE_RINGBUF) {
			ms->consume_deadline_ns = clock_monotonic_ns() + POLL_BUDGET_NS;
			ret = loader__consume(ms->loader);
			ms->consume_deadline_ns = 0;
			if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
				return ret;
		} else if (read(ms->interval_fd, &expirations, sizeof(expirations)) > 0) {
			/* Follow clock steps (NTP at boot) so timestamps stay true. */
			ms->fmt.boot_to_realtime_ns = clock_boot_to_realtime_ns();
			loader__set_clock_offset(ms->loader, ms->fmt.boot_to_realtime_ns);
			run_interval(ms);
			emit_agent_stats(ms);
		}
	}
	return ms->delivered;
}

int memsight_fd(const struct memsight *ms)
{
	return ms ? ms->epfd : -EINVAL;
}

void agent_drain(struct memsight *ms)
{
	loader__consume(ms->loader);
}

void memsight_close(struct memsight *ms)
{
	if (!ms)
		return;
	if (ms->pinned)
		loader__unpin(ms->loader, ms->pinned);
	free(ms->pinned);
	loader__free(ms->loader);
	container_cache__free(ms->containers);
	cgroup_names__free(ms->names);
	for (int f = 0; f < COUNT_FAMILIES; f++)
		interval_counts__free(ms->counts[f]);
	id_table__free(ms->major_debt);
	proc_faults__free(ms->procs);
	id_table__free(ms->stat_last);
	aggregate__free(ms->agg);
	free(ms->removed);
	for (unsigned int i = 0; i < sizeof(ms->owned) / sizeof(ms->owned[0]); i++)
		free(ms->owned[i]);
	if (ms->epfd >= 0)
		close(ms->epfd);
	if (ms->interval_fd >= 0)
		close(ms->interval_fd);
	free(ms);
}

struct aggregate *agent_aggregate(struct memsight *ms)
{
	return ms->agg;
}

const struct loader_report *agent_report(const struct memsight *ms)
{
	return loader__report(ms->loader);
}

void agent_totals(const struct memsight *ms, uint64_t *received, uint64_t *lost,
		  uint64_t *malformed)
{
	struct memsight_bpf_counters counters;

	loader__counters(ms->loader, &counters);
	*received = ms->records_total;
	*lost = counters.ringbuf_drops;
	*malformed = ms->records_malformed;
}

const struct agent_stats *agent_event_agent_stats(const struct memsight_event *ev)
{
	const struct event_source *src = ev->internal;

	return ev->type == MEMSIGHT_EVENT_AGENT_STATS ? src->agent : NULL;
}

int agent_event_format(const struct memsight_event *ev, struct jsonw *w)
{
	const struct event_source *src = ev ? ev->internal : NULL;

	if (!src)
		return -EINVAL;
	jsonw_reset(w);
	switch (ev->type) {
	case MEMSIGHT_EVENT_OOM_KILL:
		format_oom_record(w, src->oom, src->victim, src->trigger, src->fmt);
		break;
	case MEMSIGHT_EVENT_CONTAINER_STATS:
		format_container_stats(w, src->stats, src->fmt);
		break;
	case MEMSIGHT_EVENT_FAULT_SAMPLE:
		format_fault_sample(w, src->sample, src->sample_path, src->sample_container,
				    src->fmt);
		break;
	case MEMSIGHT_EVENT_AGENT_STATS:
		format_agent_stats(w, src->agent, src->fmt);
		break;
	default:
		return -EINVAL;
	}
	return w->out.failed ? -ENOMEM : 0;
}
