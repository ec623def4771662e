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

#include "agent_internal.h"
#include "cgroup_memory.h"
#include "memcg_stat.h"
#include "cgroup_mounts.h"
#include "cgroup_names.h"
#include "cgroup_path.h"
#include "cgroup_walk.h"
#include "clock.h"
#include "container_cache.h"
#include "event_build.h"
#include "id_table.h"
#include "interval_counts.h"
#include "log.h"
#include "leak_watch.h"
#include "memory_trend.h"
#include "proc_faults.h"

/*
 * How long one memsight_poll() may deliver ring buffer records: a slow
 * callback then returns control to its caller's loop (the kernel side never
 * waits; what doesn't fit in the ring buffer meanwhile is counted as lost).
 */
#define POLL_BUDGET_NS (20ULL * 1000000ULL)
/* A change of the clock offset smaller than this is measurement jitter, not a step. */
#define CLOCK_STEP_NS (1000000LL)

enum wake_source {
	WAKE_RINGBUF = 1,
	WAKE_INTERVAL,
};

void agent_deliver(struct memsight *ms, struct memsight_event *ev)
{
	ev->node = ms->opts.node;
	ms->delivered++;
	if (ms->opts.on_event)
		ms->opts.on_event(ev, ms->opts.ctx);
}

bool agent_wants_path(const struct memsight *ms, const char *path)
{
	if (!path)
		return !ms->opts.cgroup_prefix;
	return cgroup_path_matches(path, ms->opts.cgroup_prefix);
}

/* The makeup of the memcg whose limit was hit: read now, else the last interval's. */
static void oom_memory_stat(struct memsight *ms, const struct memsight_oom_record *rec,
			    struct memsight_oom_kill *k)
{
	const struct memsight_cgroup_ref *memcg =
		k->has_constraint_cgroup ? &k->constraint_cgroup : &k->cgroup;
	struct memsight_memory_stat *m = &k->memory_stat;
	struct memsight_limit_events events;
	struct trend_makeup makeup;
	struct memcg_stat stat;
	uint64_t now = clock_boottime_ns();

	/*
	 * Before the kill beats after it: by the time the record is read the OOM
	 * reaper may have freed the victim's memory, and the memcg may be gone.
	 * cgroupfs now only for a memcg memsight has no figures of (a pod's).
	 */
	if (memory_trend__makeup(ms->trend, memcg->id, &makeup)) {
		m->read_at = "interval";
	} else if (memcg->path[0] && ms->memcg_root[0] &&
		   !cgroup_memory_detail_full(ms->memcg_root, ms->memcg_v2, memcg->path, &stat,
					      &events)) {
		makeup = (struct trend_makeup){ now,	     stat.anon, stat.file,	stat.shmem,
						stat.kernel, stat.sock, stat.has_kernel };
		m->read_at = "kill";
	} else {
		return;
	}
	k->has_memory_stat = true;
	m->anon_bytes = makeup.anon;
	m->file_bytes = makeup.file;
	m->shmem_bytes = makeup.shmem;
	m->has_kernel = makeup.has_kernel;
	m->kernel_bytes = makeup.kernel;
	m->sock_bytes = makeup.sock;
	m->age_s = makeup.t_ns > rec->hdr.boot_ns ? (double)(makeup.t_ns - rec->hdr.boot_ns) / 1e9
						  : (double)(rec->hdr.boot_ns - makeup.t_ns) / 1e9;
}

#define OOM_TASKS_MAX 64

/* What an OOM kill's task list points to. */
struct oom_task_text {
	struct memsight_task_record records[OOM_TASKS_MAX];
	struct memsight_oom_task tasks[OOM_TASKS_MAX];
	char comm[OOM_TASKS_MAX][MEMSIGHT_COMM_LEN + 1];
};

static int by_rss(const void *a, const void *b)
{
	const struct memsight_oom_task *x = a, *y = b;

	return x->rss_bytes < y->rss_bytes ? 1 : x->rss_bytes > y->rss_bytes ? -1 : 0;
}

/*
 * The processes in the victim's memcg, listed in the kernel as the record
 * arrives; the victim itself from the record when it is gone already (its mm
 * is torn down as it dies).
 */
static void oom_tasks(struct memsight *ms, const struct memsight_oom_record *rec,
		      struct memsight_oom_kill *k, struct oom_task_text *text)
{
	unsigned int n =
		loader__memcg_tasks(ms->loader, k->cgroup.id, text->records, OOM_TASKS_MAX);
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	bool victim_seen = false;

	for (unsigned int i = 0; i < n; i++) {
		memcpy(text->comm[i], text->records[i].comm, MEMSIGHT_COMM_LEN);
		text->comm[i][MEMSIGHT_COMM_LEN] = '\0';
		text->tasks[i] = (struct memsight_oom_task){ text->records[i].pid, text->comm[i],
							     text->records[i].rss_pages * page,
							     text->records[i].oom_score_adj };
		victim_seen |= text->records[i].pid == rec->victim_pid;
	}
	if (!victim_seen && n < OOM_TASKS_MAX && k->has_rss)
		text->tasks[n++] =
			(struct memsight_oom_task){ rec->victim_pid, k->victim_comm,
						    rec->rss_anon_bytes + rec->rss_file_bytes +
							    rec->rss_shmem_bytes,
						    rec->victim_oom_score_adj };
	qsort(text->tasks, n, sizeof(text->tasks[0]), by_rss);
	k->tasks = text->tasks;
	k->task_count = n;
}

/*
 * The victim's container over its last intervals before the kill, dated
 * relative to it. An interval can end between the kill and the reading of
 * its record: that point is after the kill, and is left out.
 */
static void oom_history(struct memsight *ms, const struct memsight_oom_record *rec,
			struct memsight_oom_kill *k, struct memsight_history_point *out)
{
	struct trend_point points[TREND_POINTS];
	unsigned int n = memory_trend__history(ms->trend, k->cgroup.id, points, TREND_POINTS);

	while (n && points[n - 1].t_ns > rec->hdr.boot_ns)
		n--; /* oldest first: the ones after the kill are at the end */
	for (unsigned int i = 0; i < n; i++)
		out[i] = (struct memsight_history_point){
			.t_s = ((double)points[i].t_ns - (double)rec->hdr.boot_ns) / 1e9,
			.usage_bytes = points[i].usage,
			.working_set_bytes = points[i].working_set,
			.has_growth = points[i].has_growth,
			.growth_bytes_per_sec = points[i].growth,
			.faults_minor = points[i].faults_minor,
			.faults_major = points[i].faults_major,
			.reclaim_stall_ns = points[i].stall_ns,
		};
	k->history = out;
	k->history_count = n;
}

static void on_oom_record(struct memsight *ms, const struct memsight_oom_record *rec)
{
	struct memsight_history_point history[TREND_POINTS];
	struct oom_task_text tasks;
	struct container_info victim, trigger;
	uint64_t now = clock_monotonic_ns();
	struct memsight_event ev;
	struct event_text text;

	event_oom_paths(rec, &text);
	if (!agent_wants_path(ms, text.path)) {
		ms->records_filtered++;
		return;
	}
	container_cache__resolve(ms->containers, text.path, now, &victim);
	container_cache__resolve(ms->containers, text.trigger_path, now, &trigger);
	event_oom_kill(&ev, rec, &victim, &trigger, ms->boot_to_realtime_ns, &text);
	oom_tasks(ms, rec, &ev.oom_kill, &tasks);
	oom_memory_stat(ms, rec, &ev.oom_kill);
	oom_history(ms, rec, &ev.oom_kill, history);
	agent_deliver(ms, &ev);
}

static void on_fault_sample(struct memsight *ms, const struct memsight_fault_sample_record *rec)
{
	const char *path = cgroup_names__path(ms->names, rec->cgroup_id);
	struct container_info info;
	struct memsight_event ev;
	struct event_text text;

	if (!agent_wants_path(ms, path)) {
		ms->records_filtered++;
		return;
	}
	if (path)
		container_cache__resolve(ms->containers, path, clock_monotonic_ns(), &info);
	event_fault_sample(&ev, rec, path, path ? &info : NULL, ms->boot_to_realtime_ns, &text);
	agent_deliver(ms, &ev);
}

/* info NULL: resolved here, only when someone listens. */
static void cgroup_event(struct memsight *ms, uint64_t cgroup_id, const char *path,
			 const struct container_info *info, bool removed)
{
	struct memsight_event ev = { .type = MEMSIGHT_EVENT_CGROUP, .ts_ns = clock_realtime_ns() };
	struct container_info resolved;

	if (!ms->opts.cgroup_events || !agent_wants_path(ms, path))
		return;
	if (path && !info) {
		container_cache__resolve(ms->containers, path, clock_monotonic_ns(), &resolved);
		info = &resolved;
	}
	event_cgroup_ref(&ev.cgroup.cgroup, cgroup_id, path);
	event_container(&ev.cgroup.container, path ? info : NULL);
	ev.cgroup.removed = removed;
	agent_deliver(ms, &ev);
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

/* A cgroup is gone: named for the tombstone period, its figures reported once more. */
static void cgroup_gone(struct memsight *ms, uint64_t cgroup_id, const char *path, uint64_t now)
{
	if (path)
		container_cache__cgroup_removed(ms->containers, path, now);
	remember_removed(ms, cgroup_id);
	cgroup_event(ms, cgroup_id, path, NULL, true);
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
		cgroup_event(ms, rec->cgroup.id, path, &info, false);
	} else if (rec->event == MEMSIGHT_CGROUP_RMDIR) {
		cgroup_names__removed(ms->names, rec->cgroup.id, now);
		cgroup_gone(ms, rec->cgroup.id, path, now);
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
	cgroup_gone(ctx, cgroup_id, path, clock_monotonic_ns());
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
	log_memory_stage("cgroups named");
}

/*
 * Cgroup records lost (their ring was full: the agent stalled through a burst
 * of pod starts): name what exists now from cgroupfs, before the counts.
 */
void agent_recover_lost_names(struct memsight *ms)
{
	struct memsight_bpf_counters counters;

	loader__counters(ms->loader, &counters);
	if (counters.cgroup_ringbuf_drops == ms->cgroup_drops_seen)
		return;
	ms->cgroup_drops_seen = counters.cgroup_ringbuf_drops;
	walk_cgroups(ms, "after lost cgroup records");
}

/* The size a record of this type must have at least; 0 for a type this build doesn't know. */
static size_t record_size(uint32_t type)
{
	switch (type) {
	case MEMSIGHT_RECORD_OOM_KILL:
		return sizeof(struct memsight_oom_record);
	case MEMSIGHT_RECORD_FAULT_SAMPLE:
		return sizeof(struct memsight_fault_sample_record);
	case MEMSIGHT_RECORD_CGROUP:
		return sizeof(struct memsight_cgroup_record);
	default:
		return 0;
	}
}

static int on_record(void *ctx, const void *data, size_t size)
{
	const struct memsight_record_header *hdr = data;
	struct memsight *ms = ctx;
	size_t need;

	ms->records_total++;
	need = size < sizeof(*hdr) || hdr->version != MEMSIGHT_RECORD_VERSION
		       ? 0
		       : record_size(hdr->type);
	if (!need || size < need) {
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

static int watch(int epfd, int fd, enum wake_source source)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = source };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Keeps a copy of an optional string setting (the caller may free theirs). */
static int own(struct memsight *ms, unsigned int slot, const char **text)
{
	if (!*text)
		return 0;
	ms->owned[slot] = strdup(*text);
	*text = ms->owned[slot];
	return *text ? 0 : -ENOMEM;
}

/* The caller's opts, copied; fields past an older caller's sz stay zero. */
static int take_opts(struct memsight *ms, const struct agent_opts *opts)
{
	size_t sz = opts->sz < sizeof(ms->opts) ? opts->sz : sizeof(ms->opts);

	memcpy(&ms->opts, opts, sz);
	ms->opts.sz = sizeof(ms->opts);
	if (opts->roots)
		ms->roots = *opts->roots;
	else
		runtime_roots_defaults(&ms->roots);
	ms->opts.roots = &ms->roots;
	if (own(ms, 0, &ms->opts.cgroup_prefix) || own(ms, 1, &ms->opts.node) ||
	    own(ms, 2, &ms->opts.btf_path) || own(ms, 3, &ms->opts.pin_dir))
		return -ENOMEM;
	if (!ms->opts.node)
		ms->opts.node = "";
	/* A zero interval would disarm the timer: no interval would ever end. */
	if (!ms->opts.interval_ns)
		ms->opts.interval_ns = 1000000000ULL;
	if (!ms->opts.oom_risk_horizon_ns)
		ms->opts.oom_risk_horizon_ns = 300ULL * 1000000000ULL;
	if (!ms->opts.leak_window_ns)
		ms->opts.leak_window_ns = 600ULL * 1000000000ULL;
	return 0;
}

/* The name, count and attribution tables. */
static int make_tables(struct memsight *ms)
{
	struct container_cache_opts cache_opts = {
		.sz = sizeof(cache_opts),
		.roots = &ms->roots,
		.tombstone_ns = ms->opts.tombstone_ns,
	};

	ms->containers = container_cache__new(&cache_opts);
	ms->names = cgroup_names__new(ms->opts.tombstone_ns);
	ms->procs = proc_faults__new();
	ms->major_debt = id_table__new(sizeof(uint64_t));
	ms->stat_last = id_table__new(MEMSIGHT_CHARGE_KINDS * sizeof(uint64_t));
	ms->trend = memory_trend__new(ms->opts.oom_risk_horizon_ns);
	ms->leaks = leak_watch__new(ms->opts.leak_window_ns);
	ms->leak_procs = id_table__new(sizeof(struct leak_procs));
	ms->gauges = memcg_gauges__new();
	if (!ms->containers || !ms->names || !ms->procs || !ms->major_debt || !ms->stat_last ||
	    !ms->trend || !ms->leaks || !ms->leak_procs || !ms->gauges)
		return -ENOMEM;
	return 0;
}

/* Where the memory controller is: cgroupfs reads and the gauges iterator start there. */
static void find_memcg_root(struct memsight *ms)
{
	struct cgroup_mounts mounts;

	cgroup_mounts_read(&mounts);
	ms->memcg_v2 =
		!strcmp(cgroup_memory_root(&mounts, ms->memcg_root, sizeof(ms->memcg_root)), "v2");
}

/*
 * Where the gauges iterator starts its walk: the cgroup --cgroup names when it
 * names one (the walk then costs what the containers shown cost, not every
 * memcg of the node); cgroups that match the prefix only as a string (PREFIX-2
 * beside PREFIX) find no record and are read from cgroupfs. Else the root.
 */
static void gauges_root(const struct memsight *ms, char *out, size_t len)
{
	const char *prefix = ms->opts.cgroup_prefix;
	struct stat st;

	snprintf(out, len, "%s", ms->memcg_root);
	if (!prefix || !prefix[0] || !strcmp(prefix, "/") || !ms->memcg_root[0])
		return;
	snprintf(out, len, "%s%s%s", ms->memcg_root, prefix[0] == '/' ? "" : "/", prefix);
	if (stat(out, &st) || !S_ISDIR(st.st_mode))
		snprintf(out, len, "%s", ms->memcg_root);
}

/* Loads and attaches the BPF side; counting begins at the attach. */
static int start_loader(struct memsight *ms, char *err, size_t err_len)
{
	char walk_root[sizeof(ms->memcg_root) + 4096];

	struct loader_opts opts = {
		.sz = sizeof(opts),
		.btf_path = ms->opts.btf_path,
		.oom_hook = ms->opts.oom_hook,
		.fault_hook = ms->opts.fault_hook,
		.charge_hook = ms->opts.charge_hook,
		.fault_samples = ms->opts.fault_samples,
		.bpf_stats = ms->opts.bpf_stats,
		.on_record = on_record,
		.ctx = ms,
		.leave_events = ms->opts.pin_dir != NULL,
		.boot_to_realtime_ns = ms->boot_to_realtime_ns,
		.memcg_root = walk_root,
	};
	int ret;

	find_memcg_root(ms);
	gauges_root(ms, walk_root, sizeof(walk_root));
	ret = loader__new(&opts, &ms->loader, err, err_len);

	if (ret)
		return ret;
	ms->counted_ns = clock_monotonic_ns();
	for (int f = 0; f < COUNT_FAMILIES; f++) {
		const struct count_source *source = loader__count_source(ms->loader, f);

		if (source && !(ms->counts[f] = interval_counts__new(source))) {
			snprintf(err, err_len, "can't start: %s", strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	if (!ms->opts.pin_dir)
		return 0;
	ret = loader__pin(ms->loader, ms->opts.pin_dir, err, err_len);
	ms->pinned = !ret;
	return ret;
}

/* The names of what exists already; after attaching, so a cgroup made meanwhile is seen. */
static void name_existing(struct memsight *ms)
{
	walk_cgroups(ms, "at start");
}

static int start_loop(struct memsight *ms)
{
	uint64_t every = ms->opts.interval_ns;
	struct itimerspec timer = {
		.it_value = { (time_t)(every / 1000000000ULL), (long)(every % 1000000000ULL) },
		.it_interval = { (time_t)(every / 1000000000ULL), (long)(every % 1000000000ULL) },
	};

	ms->epfd = epoll_create1(EPOLL_CLOEXEC);
	ms->interval_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ms->epfd < 0 || ms->interval_fd < 0 ||
	    watch(ms->epfd, loader__epoll_fd(ms->loader), WAKE_RINGBUF) ||
	    watch(ms->epfd, ms->interval_fd, WAKE_INTERVAL) ||
	    timerfd_settime(ms->interval_fd, 0, &timer, NULL))
		return -errno;
	self_stats_sample(&ms->last_sample);
	return 0;
}

bool agent_memcg_gauges(struct memsight *ms, uint64_t cgroup_id, uint64_t max_age_ns,
			struct memsight_container_stats *c, bool *working_set)
{
	return memcg_gauges__get(ms->gauges, ms->loader, ms->memcg_v2, cgroup_id, max_age_ns, c,
				 working_set);
}

struct memsight *agent_open(const struct agent_opts *opts, char *err, size_t err_len)
{
	struct memsight *ms = calloc(1, sizeof(*ms));
	int ret;

	err[0] = '\0';
	if (!ms) {
		snprintf(err, err_len, "can't start: %s", strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	ms->epfd = ms->interval_fd = -1;
	ms->boot_to_realtime_ns = clock_boot_to_realtime_ns();
	ret = take_opts(ms, opts);
	if (!ret)
		ret = make_tables(ms);
	if (ret)
		snprintf(err, err_len, "can't start: %s", strerror(-ret));
	if (!ret)
		ret = start_loader(ms, err, err_len);
	if (!ret) {
		name_existing(ms);
		ret = start_loop(ms);
		if (ret)
			snprintf(err, err_len, "can't set up the event loop: %s", strerror(-ret));
	}
	if (ret) {
		memsight_close(ms);
		errno = -ret;
		return NULL;
	}
	return ms;
}

/*
 * Follow a clock step (NTP at boot) so timestamps stay true, but not the jitter of
 * measuring the offset: the kernel cuts fault samples into wall-clock seconds with
 * the same offset the lines are dated with, and a frame that moved each interval
 * would date a second's first samples into the one before.
 */
static void follow_clock_step(struct memsight *ms)
{
	int64_t offset = clock_boot_to_realtime_ns();

	if (llabs(offset - ms->boot_to_realtime_ns) < CLOCK_STEP_NS)
		return;
	ms->boot_to_realtime_ns = offset;
	loader__set_clock_offset(ms->loader, offset);
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
			follow_clock_step(ms);
			agent_run_interval(ms);
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
		loader__unpin(ms->loader, ms->opts.pin_dir);
	loader__free(ms->loader);
	container_cache__free(ms->containers);
	cgroup_names__free(ms->names);
	for (int f = 0; f < COUNT_FAMILIES; f++)
		interval_counts__free(ms->counts[f]);
	id_table__free(ms->major_debt);
	proc_faults__free(ms->procs);
	id_table__free(ms->stat_last);
	memory_trend__free(ms->trend);
	leak_watch__free(ms->leaks);
	id_table__free(ms->leak_procs);
	memcg_gauges__free(ms->gauges);
	free(ms->removed);
	for (unsigned int i = 0; i < sizeof(ms->owned) / sizeof(ms->owned[0]); i++)
		free(ms->owned[i]);
	if (ms->epfd >= 0)
		close(ms->epfd);
	if (ms->interval_fd >= 0)
		close(ms->interval_fd);
	free(ms);
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
