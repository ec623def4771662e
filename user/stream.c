// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_path.h"
#include "cgroup_names.h"
#include "cgroup_walk.h"
#include "container_cache.h"
#include "aggregate.h"
#include "counter_deltas.h"
#include "http_server.h"
#include "id_table.h"
#include "proc_faults.h"
#include "loader.h"
#include "log.h"
#include "prom_format.h"
#include "record_format.h"
#include "self_stats.h"
#include "stream.h"
#include "version.h"

/* Tracked cgroups at most: ~2.5 KiB each. */
#define AGGREGATE_MAX_ENTRIES 100000
/* How often idle cgroups' usage and limit are read again for /metrics. */
#define IDLE_GAUGES_EVERY_NS (10ULL * 1000000000ULL)

enum wake_source {
	WAKE_RINGBUF = 1,
	WAKE_INTERVAL,
	WAKE_DURATION,
	WAKE_SIGNAL,
	WAKE_STDOUT,
	WAKE_INPUT,
};

struct stream {
	const struct env *env;
	struct loader *loader;
	struct container_cache *containers;
	struct cgroup_names *names;
	struct counter_deltas *faults;	/* all faults, major ones */
	struct counter_deltas *charges; /* charged[5], uncharged[5] */
	struct counter_deltas *reclaim; /* count, stall_ns, hist[32] */
	struct id_table *stat_last;	/* memory.stat fallback: last bytes per kind */
	struct id_table *rows;		/* this interval's figures per cgroup */
	struct proc_faults *procs;
	struct aggregate *agg;		/* running totals for /metrics */
	struct http_server *server;	/* `run` only */
	const struct stream_view *view; /* `top` only: no JSON lines then */
	struct strbuf page;
	struct prom_context prom;
	struct prom_hook hooks[16];
	uint64_t idle_gauges_ns; /* when idle cgroups' gauges were last read */
	/* cgroups removed this interval: reported once more, then their fault slots freed */
	struct removed_cgroup {
		uint64_t cgroup_id;
		uint32_t memcg_id;
	} * removed;
	unsigned int removed_count, removed_cap;
	char memcg_root[1024];
	bool memcg_v2;
	uint64_t interval_ns;
	struct format_context fmt;
	struct jsonw line;
	bool stdout_closed;
	bool write_failed;
	bool stop;
	uint64_t records_total;
	uint64_t records_filtered;
	uint64_t records_malformed;
	uint64_t lost_reported;
	struct self_sample last_sample;
};

/* Writes one whole line; a reader that went away ends the stream quietly. */
static void emit_line(struct stream *s, const struct jsonw *w)
{
	if (s->stdout_closed || s->view)
		return;
	if (w->out.failed) {
		log_error("dropped an output line: out of memory");
		return;
	}
	if (fwrite(w->out.buf, 1, w->out.len, stdout) != w->out.len || fputc('\n', stdout) == EOF ||
	    fflush(stdout) == EOF) {
		/* A reader that left is a normal end; any other write error loses data. */
		if (errno != EPIPE) {
			log_error("can't write to stdout: %s", strerror(errno));
			s->write_failed = true;
		}
		s->stdout_closed = true;
		s->stop = true;
	}
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_oom_record(struct stream *s, const struct memsight_oom_record *rec)
{
	struct container_info victim, trigger;
	char path[CGROUP_PATH_MAX];
	uint64_t now = monotonic_ns();

	cgroup_path_from_record(&rec->victim_cgroup, path, sizeof(path));
	if (!cgroup_path_matches(path, s->env->cgroup_prefix)) {
		s->records_filtered++;
		return;
	}
	container_cache__resolve(s->containers, path, now, &victim);
	aggregate__add_oom_kill(s->agg, rec->victim_cgroup.id, path, &victim,
				(int64_t)rec->hdr.boot_ns + s->fmt.boot_to_realtime_ns);
	cgroup_path_from_record(&rec->trigger_cgroup, path, sizeof(path));
	container_cache__resolve(s->containers, path, now, &trigger);
	format_oom_record(&s->line, rec, &victim, &trigger, &s->fmt);
	emit_line(s, &s->line);
}

static void remember_removed(struct stream *s, uint64_t cgroup_id, uint32_t memcg_id)
{
	if (s->removed_count == s->removed_cap) {
		unsigned int cap = s->removed_cap ? s->removed_cap * 2 : 64;
		struct removed_cgroup *grown = realloc(s->removed, cap * sizeof(*grown));

		if (!grown)
			return; /* its slot stays taken: its successor is counted in the overflow */
		s->removed = grown;
		s->removed_cap = cap;
	}
	s->removed[s->removed_count++] = (struct removed_cgroup){ cgroup_id, memcg_id };
}

/* Containers are named when their cgroup appears, while the runtime's state is there. */
static void on_cgroup_record(struct stream *s, const struct memsight_cgroup_record *rec)
{
	char path[CGROUP_PATH_MAX];
	struct container_info info;
	uint64_t now = monotonic_ns();

	cgroup_path_from_record(&rec->cgroup, path, sizeof(path));
	if (rec->event == MEMSIGHT_CGROUP_MKDIR) {
		cgroup_names__add(s->names, rec->cgroup.id, path);
		container_cache__resolve(s->containers, path, now, &info);
	} else if (rec->event == MEMSIGHT_CGROUP_RMDIR) {
		cgroup_names__removed(s->names, rec->cgroup.id, now);
		container_cache__cgroup_removed(s->containers, path, now);
		aggregate__cgroup_removed(s->agg, rec->cgroup.id, now);
		remember_removed(s, rec->cgroup.id, rec->memcg_id);
	}
}

static void warm_cgroup(const char *path, void *ctx)
{
	struct stream *s = ctx;
	struct container_info info;
	char full[8192];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", s->memcg_root, path);
	/* A cgroup's id is its directory's inode number. */
	if (!stat(full, &st))
		cgroup_names__add(s->names, st.st_ino, path);
	container_cache__resolve(s->containers, path, monotonic_ns(), &info);
}

static void on_fault_sample(struct stream *s, const struct memsight_fault_sample_record *rec)
{
	const char *path = cgroup_names__path(s->names, rec->cgroup_id);
	struct container_info info;

	if (s->env->cgroup_prefix && (!path || !cgroup_path_matches(path, s->env->cgroup_prefix))) {
		s->records_filtered++;
		return;
	}
	if (path)
		container_cache__resolve(s->containers, path, monotonic_ns(), &info);
	format_fault_sample(&s->line, rec, path, path ? &info : NULL, &s->fmt);
	emit_line(s, &s->line);
}

static void add_fault_count(void *ctx, __u64 cgroup_id, __u64 faults, __u64 major)
{
	const uint64_t values[2] = { faults, major };

	counter_deltas__add(ctx, cgroup_id, values);
}

/* One cgroup's figures for the interval, gathered from every source before the line. */
struct interval_row {
	bool faults, charges, reclaim;
	uint64_t minor, major;
	uint64_t charged[MEMSIGHT_CHARGE_KINDS], uncharged[MEMSIGHT_CHARGE_KINDS];
	uint64_t reclaim_count, stall_ns, hist[MEMSIGHT_RECLAIM_BUCKETS];
};

static void row_faults(uint64_t cgroup_id, const uint64_t *delta, void *ctx)
{
	struct interval_row *row = id_table__get(((struct stream *)ctx)->rows, cgroup_id);

	if (!row)
		return;
	row->faults = true;
	/* the kernel counts a major fault as a fault too: minor = all - major */
	row->minor = delta[0] >= delta[1] ? delta[0] - delta[1] : 0;
	row->major = delta[1];
}

static void row_charges(uint64_t cgroup_id, const uint64_t *delta, void *ctx)
{
	struct interval_row *row = id_table__get(((struct stream *)ctx)->rows, cgroup_id);

	if (!row)
		return;
	row->charges = true;
	memcpy(row->charged, delta, sizeof(row->charged));
	memcpy(row->uncharged, delta + MEMSIGHT_CHARGE_KINDS, sizeof(row->uncharged));
}

static void row_reclaim(uint64_t cgroup_id, const uint64_t *delta, void *ctx)
{
	struct interval_row *row = id_table__get(((struct stream *)ctx)->rows, cgroup_id);

	if (!row)
		return;
	row->reclaim = true;
	row->reclaim_count = delta[0];
	row->stall_ns = delta[1];
	memcpy(row->hist, delta + 2, sizeof(row->hist));
}

static void add_charge_count(void *ctx, __u64 cgroup_id, const struct memsight_charge_counts *c)
{
	uint64_t values[2 * MEMSIGHT_CHARGE_KINDS];

	memcpy(values, c->charged, sizeof(c->charged));
	memcpy(values + MEMSIGHT_CHARGE_KINDS, c->uncharged, sizeof(c->uncharged));
	counter_deltas__add(ctx, cgroup_id, values);
}

static void add_reclaim_count(void *ctx, __u64 cgroup_id, const struct memsight_reclaim_counts *r)
{
	uint64_t values[2 + MEMSIGHT_RECLAIM_BUCKETS];

	values[0] = r->count;
	values[1] = r->stall_ns;
	memcpy(values + 2, r->hist, sizeof(r->hist));
	counter_deltas__add(ctx, cgroup_id, values);
}

/* Kernels without the memcg stat tracepoints: memory.stat deltas, net per interval. */
static void stat_fallback(uint64_t cgroup_id, const char *path, void *ctx)
{
	struct stream *s = ctx;
	uint64_t now[MEMSIGHT_CHARGE_KINDS], *last;
	struct interval_row *row;
	bool fresh, moved = false;

	if (!strcmp(path, "/") || cgroup_memory_stat(s->memcg_root, s->memcg_v2, path, now))
		return;
	fresh = !id_table__find(s->stat_last, cgroup_id);
	last = id_table__get(s->stat_last, cgroup_id);
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
	row = id_table__get(s->rows, cgroup_id);
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
	struct stream *s = ctx;
	const char *path = cgroup_names__path(s->names, cgroup_id);
	struct container_info info;
	char dir[8192];
	struct container_stats stats = {
		.realtime_ns = clock_realtime_ns(),
		.interval_ns = s->interval_ns,
		.cgroup_id = cgroup_id,
		.path = path,
		.faults_minor = row->minor,
		.faults_major = row->major,
		.faults_source = loader__fault_hook(s->loader),
		.has_charges = row->charges,
		.charge_source = loader__counts_charges(s->loader)
					 ? "tp_btf/mod_memcg_state + mod_memcg_lruvec_state"
					 : "memory.stat",
		.has_reclaim = row->reclaim,
		.reclaim_count = row->reclaim_count,
		.reclaim_stall_ns = row->stall_ns,
	};

	if (!cgroup_path_matches(path ? path : "", s->env->cgroup_prefix) ||
	    (!path && s->env->cgroup_prefix))
		return;
	memcpy(stats.charged, row->charged, sizeof(stats.charged));
	memcpy(stats.uncharged, row->uncharged, sizeof(stats.uncharged));
	memcpy(stats.reclaim_hist, row->hist, sizeof(stats.reclaim_hist));
	if (path) {
		container_cache__resolve(s->containers, path, monotonic_ns(), &info);
		stats.container = &info;
		stats.has_usage =
			!cgroup_memory_read(s->memcg_root, s->memcg_v2, path, &stats.usage_bytes,
					    &stats.has_limit, &stats.limit_bytes);
		stats.has_high =
			s->memcg_v2 && !cgroup_memory_high(s->memcg_root, path, &stats.high_bytes);
		if (row->faults && !s->view) {
			snprintf(dir, sizeof(dir), "%s%s", s->memcg_root, path);
			stats.top_count = proc_faults__top(s->procs, dir, stats.top);
		}
	}
	aggregate__add_stats(s->agg, &stats);
	if (s->view)
		return;
	format_container_stats(&s->line, &stats, &s->fmt);
	emit_line(s, &s->line);
}

static bool is_container(const struct container_info *info)
{
	return info->runtime != RUNTIME_NONE && info->runtime != RUNTIME_SYSTEMD && !info->monitor;
}

/* A view shows every container, also those idle since memsight started. */
static void seed_container(uint64_t cgroup_id, const char *path, void *ctx)
{
	struct stream *s = ctx;
	struct container_info info;

	if (!cgroup_path_matches(path, s->env->cgroup_prefix))
		return;
	container_cache__resolve(s->containers, path, monotonic_ns(), &info);
	if (is_container(&info))
		aggregate__entry(s->agg, cgroup_id, path, &info);
}

/* Idle cgroups send no rows; their usage and limit are read now and then instead. */
static void refresh_idle_gauges(uint64_t cgroup_id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	struct stream *s = ctx;
	uint64_t usage, limit, high;
	bool has_limit;

	if (e->removed_ns || !e->path || e->interval_minor || e->interval_major ||
	    e->interval_net_charge)
		return;
	if (cgroup_memory_read(s->memcg_root, s->memcg_v2, e->path, &usage, &has_limit, &limit))
		return;
	e->has_usage = true;
	e->usage_bytes = usage;
	e->has_limit = has_limit;
	e->limit_bytes = limit;
	e->has_high = s->memcg_v2 && !cgroup_memory_high(s->memcg_root, e->path, &high);
	e->high_bytes = e->has_high ? high : 0;
}

/* Once per interval: fault counts in, one container_stats line per cgroup that moved. */
static void emit_interval(struct stream *s)
{
	uint64_t now = monotonic_ns();

	s->rows = id_table__new(sizeof(struct interval_row));
	if (!s->rows)
		return;
	aggregate__begin_interval(s->agg, s->interval_ns);
	if (loader__counts_faults(s->loader)) {
		counter_deltas__begin(s->faults);
		loader__fault_counts(s->loader, add_fault_count, s->faults);
		counter_deltas__each(s->faults, row_faults, s);
	}
	if (loader__counts_charges(s->loader)) {
		counter_deltas__begin(s->charges);
		loader__charge_counts(s->loader, add_charge_count, s->charges);
		counter_deltas__each(s->charges, row_charges, s);
	} else {
		cgroup_names__each(s->names, stat_fallback, s);
	}
	if (loader__counts_reclaim(s->loader)) {
		counter_deltas__begin(s->reclaim);
		loader__reclaim_counts(s->loader, add_reclaim_count, s->reclaim);
		counter_deltas__each(s->reclaim, row_reclaim, s);
	}
	id_table__each(s->rows, emit_row, s);
	id_table__free(s->rows);
	s->rows = NULL;
	if (s->view)
		cgroup_names__each(s->names, seed_container, s);
	if (s->view || (s->server && now - s->idle_gauges_ns >= IDLE_GAUGES_EVERY_NS)) {
		aggregate__each(s->agg, refresh_idle_gauges, s);
		s->idle_gauges_ns = now;
	}
	/* Reported for the last time above: now their slots can serve new memcgs. */
	for (unsigned int i = 0; i < s->removed_count; i++) {
		loader__forget_cgroup(s->loader, s->removed[i].memcg_id, s->removed[i].cgroup_id);
		counter_deltas__forget(s->faults, s->removed[i].cgroup_id);
		counter_deltas__forget(s->charges, s->removed[i].cgroup_id);
		counter_deltas__forget(s->reclaim, s->removed[i].cgroup_id);
		id_table__remove(s->stat_last, s->removed[i].cgroup_id);
	}
	s->removed_count = 0;
	cgroup_names__expire(s->names, now);
	container_cache__expire(s->containers, now);
	aggregate__expire(s->agg, now);
	proc_faults__expire(s->procs);
}

static int on_record(void *ctx, const void *data, size_t size)
{
	const struct memsight_record_header *hdr = data;
	struct stream *s = ctx;

	s->records_total++;
	if (size < sizeof(*hdr) || hdr->version != MEMSIGHT_RECORD_VERSION) {
		s->records_malformed++;
		return 0;
	}
	switch (hdr->type) {
	case MEMSIGHT_RECORD_OOM_KILL:
		if (size < sizeof(struct memsight_oom_record)) {
			s->records_malformed++;
			return 0;
		}
		on_oom_record(s, data);
		break;
	case MEMSIGHT_RECORD_FAULT_SAMPLE:
		if (size < sizeof(struct memsight_fault_sample_record)) {
			s->records_malformed++;
			return 0;
		}
		on_fault_sample(s, data);
		break;
	case MEMSIGHT_RECORD_CGROUP:
		if (size < sizeof(struct memsight_cgroup_record)) {
			s->records_malformed++;
			return 0;
		}
		on_cgroup_record(s, data);
		break;
	default:
		s->records_malformed++;
	}
	return 0;
}

/* Renders /metrics once per interval; scrapes are served the last page. */
static void publish_metrics(struct stream *s, const struct agent_stats *stats)
{
	strbuf_reset(&s->page);
	prom_format(&s->page, s->agg, stats, &s->prom);
	if (s->page.failed) {
		log_error("/metrics: out of memory; serving the previous page");
		return;
	}
	http_server__publish(s->server, &s->page);
	http_server__heartbeat(s->server);
}

static void emit_agent_stats(struct stream *s)
{
	struct memsight_bpf_counters counters;
	struct agent_stats stats = {};
	struct self_sample now;

	self_stats_sample(&now);
	loader__counters(s->loader, &counters);
	stats.realtime_ns = clock_realtime_ns();
	stats.interval_ns = now.monotonic_ns - s->last_sample.monotonic_ns;
	stats.records_total = s->records_total;
	stats.records_filtered = s->records_filtered;
	stats.lost_total = counters.ringbuf_drops;
	stats.lost_interval = counters.ringbuf_drops - s->lost_reported;
	stats.oom_kills_lost = counters.oom_pending_drops;
	stats.records_malformed = s->records_malformed;
	stats.samples_suppressed = counters.samples_suppressed;
	stats.containers_cached = container_cache__count(s->containers);
	stats.containers_cache_bytes = container_cache__memory_bytes(s->containers);
	stats.rss_bytes = now.rss_bytes;
	stats.cpu_user_ns = now.cpu_user_ns;
	stats.cpu_system_ns = now.cpu_system_ns;
	stats.cpu_percent = self_stats_cpu_percent(&s->last_sample, &now);
	stats.bpf_stats_enabled = loader__report(s->loader)->bpf_stats_enabled;
	stats.program_count = loader__program_stats(s->loader, stats.programs, AGENT_PROGRAMS_MAX);
	s->lost_reported = counters.ringbuf_drops;
	s->last_sample = now;
	format_agent_stats(&s->line, &stats, &s->fmt);
	emit_line(s, &s->line);
	if (s->server)
		publish_metrics(s, &stats);
	if (s->view && !s->view->on_interval(s->view->ctx, s->agg, &stats))
		s->stop = true;
}

/* Reads one queued signal; returns its number (0 when none). */
static int drain_signal(int fd)
{
	struct signalfd_siginfo info;

	if (read(fd, &info, sizeof(info)) != sizeof(info))
		return 0;
	return (int)info.ssi_signo;
}

static int arm_timer(int fd, uint64_t first_ns, uint64_t every_ns)
{
	struct itimerspec spec = {
		.it_value = { (time_t)(first_ns / 1000000000ULL),
			      (long)(first_ns % 1000000000ULL) },
		.it_interval = { (time_t)(every_ns / 1000000000ULL),
				 (long)(every_ns % 1000000000ULL) },
	};

	return timerfd_settime(fd, 0, &spec, NULL);
}

static int watch(int epfd, int fd, uint32_t events, enum wake_source source)
{
	struct epoll_event ev = { .events = events, .data.u32 = source };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void drain_fd(int fd)
{
	char buf[sizeof(struct signalfd_siginfo)];

	if (read(fd, buf, sizeof(buf)) < 0 && errno != EAGAIN)
		log_debug("read: %s", strerror(errno));
}

int stream_run(const struct env *env)
{
	return stream_run_view(env, NULL);
}

int stream_run_view(const struct env *env, const struct stream_view *view)
{
	struct stream s = { .env = env, .view = view };
	struct memsight_bpf_counters counters;
	struct cgroup_mounts mounts;
	struct runtime_roots roots;
	int epfd = -1, interval_fd = -1, duration_fd = -1, signal_fd = -1;
	int status = 1, ret;
	uint64_t interval_start;
	char err[512];
	sigset_t stop_signals;

	/* Queue stop signals from the start so a SIGTERM during load still exits 0. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	if (view)
		sigaddset(&stop_signals, SIGWINCH); /* a resize, through the same signalfd */
	sigprocmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	jsonw_init(&s.line);
	s.fmt.node = env->node;
	s.fmt.boot_to_realtime_ns = clock_boot_to_realtime_ns();

	struct loader_opts opts = {
		.sz = sizeof(opts),
		.btf_path = env->btf_path,
		.oom_hook = env->oom_hook,
		.fault_hook = env->fault_hook,
		.fault_samples = env->fault_samples,
		.bpf_stats = env->bpf_stats,
		.on_record = on_record,
		.ctx = &s,
	};
	cli_runtime_roots(env, &roots);
	struct container_cache_opts cache_opts = {
		.sz = sizeof(cache_opts),
		.roots = &roots,
		.tombstone_ns = env->tombstone_ns,
	};
	s.containers = container_cache__new(&cache_opts);
	s.names = cgroup_names__new(env->tombstone_ns);
	s.faults = counter_deltas__new(2);
	s.procs = proc_faults__new();
	s.charges = counter_deltas__new(2 * MEMSIGHT_CHARGE_KINDS);
	s.reclaim = counter_deltas__new(2 + MEMSIGHT_RECLAIM_BUCKETS);
	s.stat_last = id_table__new(MEMSIGHT_CHARGE_KINDS * sizeof(uint64_t));
	s.agg = aggregate__new(env->tombstone_ns, AGGREGATE_MAX_ENTRIES);
	s.interval_ns = env->interval_ns;
	strbuf_init(&s.page);
	if (!s.containers || !s.names || !s.faults || !s.procs || !s.charges || !s.reclaim ||
	    !s.stat_last || !s.agg) {
		log_error("out of memory");
		goto out;
	}
	if (env->command == CMD_RUN) {
		/* Up before the slow load, so probes get "not ready" rather than no answer. */
		uint64_t stall_ns = 5 * env->interval_ns;

		if (stall_ns < 10000000000ULL)
			stall_ns = 10000000000ULL;
		s.server = http_server__start(env->listen_host, env->listen_port, stall_ns, err,
					      sizeof(err));
		if (!s.server) {
			log_error("%s", err);
			goto out;
		}
		log_info("serving http://%s/metrics, /healthz and /readyz",
			 http_server__address(s.server));
	}
	ret = loader__new(&opts, &s.loader, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		goto out;
	}
	loader__set_clock_offset(s.loader, s.fmt.boot_to_realtime_ns);
	/* Asked for and not served: say so once, the stream goes on without it. */
	for (unsigned int i = 0; i < loader__report(s.loader)->hook_count; i++) {
		const struct hook_report *h = &loader__report(s.loader)->hooks[i];

		if (env->fault_samples && !strcmp(h->feature, "fault_samples") && !h->hook)
			log_error("--fault-samples: not available here: %s", h->reason);
	}
	if (s.server) {
		const struct loader_report *report = loader__report(s.loader);
		struct agent_stats none = {};

		for (unsigned int i = 0; i < report->hook_count && i < 16; i++)
			s.hooks[i] = (struct prom_hook){ report->hooks[i].feature,
							 report->hooks[i].hook };
		s.prom = (struct prom_context){
			.version = MEMSIGHT_VERSION,
			.start_realtime_ns = clock_realtime_ns(),
			.hooks = s.hooks,
			.hook_count = report->hook_count < 16 ? report->hook_count : 16,
		};
		publish_metrics(&s, &none);
		http_server__set_ready(s.server, true);
	}
	/* After attaching, so a cgroup made during the walk is seen by one or the other. */
	cgroup_mounts_read(&mounts);
	s.memcg_v2 = !strcmp(cgroup_memory_root(&mounts, s.memcg_root, sizeof(s.memcg_root)), "v2");
	if (s.memcg_root[0]) {
		unsigned int walked = cgroup_walk(s.memcg_root, MEMSIGHT_CGROUP_LEVELS_MAX, 100000,
						  warm_cgroup, &s);

		log_debug("named %u cgroups at start", walked);
	}
	log_debug("attached in %.1f ms; oom_kill via %s", loader__report(s.loader)->attach_ms,
		  loader__report(s.loader)->hooks[0].hook);

	epfd = epoll_create1(EPOLL_CLOEXEC);
	interval_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (epfd < 0 || interval_fd < 0 || signal_fd < 0 ||
	    watch(epfd, loader__epoll_fd(s.loader), EPOLLIN, WAKE_RINGBUF) ||
	    watch(epfd, interval_fd, EPOLLIN, WAKE_INTERVAL) ||
	    watch(epfd, signal_fd, EPOLLIN, WAKE_SIGNAL) ||
	    arm_timer(interval_fd, env->interval_ns, env->interval_ns)) {
		log_error("can't set up the event loop: %s", strerror(errno));
		goto out;
	}
	if (env->duration_ns) {
		duration_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (duration_fd < 0 || watch(epfd, duration_fd, EPOLLIN, WAKE_DURATION) ||
		    arm_timer(duration_fd, env->duration_ns, 0)) {
			log_error("can't set up --duration: %s", strerror(errno));
			goto out;
		}
	}
	/*
	 * A pipe reports EPOLLERR once its reader is gone, so `memsight | head`
	 * ends at once instead of at the next write. Files and ttys can't be
	 * watched and needn't be.
	 */
	if (!view)
		watch(epfd, STDOUT_FILENO, 0, WAKE_STDOUT);
	else if (view->input_fd >= 0 && watch(epfd, view->input_fd, EPOLLIN, WAKE_INPUT)) {
		log_error("can't watch the keyboard: %s", strerror(errno));
		goto out;
	}

	self_stats_sample(&s.last_sample);
	status = 0;
	while (!s.stop) {
		struct epoll_event events[8];
		int n = epoll_wait(epfd, events, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			status = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (events[i].data.u32) {
			case WAKE_RINGBUF:
				ret = loader__consume(s.loader);
				if (ret < 0 && ret != -EINTR) {
					log_error("can't read the ring buffer: %s", strerror(-ret));
					status = 1;
					s.stop = true;
				}
				break;
			case WAKE_INTERVAL:
				drain_fd(interval_fd);
				/* Follow clock steps (NTP at boot) so timestamps stay true. */
				s.fmt.boot_to_realtime_ns = clock_boot_to_realtime_ns();
				loader__set_clock_offset(s.loader, s.fmt.boot_to_realtime_ns);
				interval_start = monotonic_ns();
				emit_interval(&s);
				emit_agent_stats(&s);
				log_debug("interval: %u cgroups tracked, work took %.3f ms",
					  aggregate__count(s.agg),
					  (double)(monotonic_ns() - interval_start) / 1e6);
				break;
			case WAKE_DURATION:
				drain_fd(duration_fd);
				s.stop = true;
				break;
			case WAKE_SIGNAL:
				if (drain_signal(signal_fd) == SIGWINCH) {
					if (view && view->on_resize)
						view->on_resize(view->ctx, s.agg);
					break;
				}
				/* A second Ctrl-C during teardown ends the process at once. */
				sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
				s.stop = true;
				break;
			case WAKE_STDOUT:
				s.stdout_closed = true;
				s.stop = true;
				break;
			case WAKE_INPUT:
				if (!view->on_input(view->ctx, s.agg))
					s.stop = true;
				break;
			}
		}
	}
	/* Records already in the ring buffer are delivered before exit. */
	loader__consume(s.loader);
	if (s.write_failed)
		status = 1;
	loader__counters(s.loader, &counters);
	/* A reader that went away (`| head`) is a normal end, not news; a view says nothing. */
	if (!s.stdout_closed && !view)
		log_info("stopped: %llu records received, %llu lost (ring buffer full), %llu "
			 "malformed",
			 (unsigned long long)s.records_total,
			 (unsigned long long)counters.ringbuf_drops,
			 (unsigned long long)s.records_malformed);
out:
	http_server__stop(s.server);
	loader__free(s.loader);
	aggregate__free(s.agg);
	strbuf_free(&s.page);
	container_cache__free(s.containers);
	cgroup_names__free(s.names);
	counter_deltas__free(s.faults);
	proc_faults__free(s.procs);
	counter_deltas__free(s.charges);
	counter_deltas__free(s.reclaim);
	id_table__free(s.stat_last);
	free(s.removed);
	jsonw_free(&s.line);
	if (epfd >= 0)
		close(epfd);
	if (interval_fd >= 0)
		close(interval_fd);
	if (duration_fd >= 0)
		close(duration_fd);
	if (signal_fd >= 0)
		close(signal_fd);
	return status;
}
