// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event_json.h"

const char *format_rfc3339_ns(int64_t realtime_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(realtime_ns / 1000000000LL);
	long nsec = (long)(realtime_ns % 1000000000LL);
	struct tm tm;

	if (nsec < 0) {
		nsec += 1000000000L;
		secs--;
	}
	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "1970-01-01T00:00:00.000000000Z");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
	return buf;
}

const char *memsight_kind_name(enum memsight_kind kind)
{
	static const char *const names[MEMSIGHT_KINDS] = {
		[MEMSIGHT_KIND_ANON] = "anon",	 [MEMSIGHT_KIND_FILE] = "file",
		[MEMSIGHT_KIND_SHMEM] = "shmem", [MEMSIGHT_KIND_KERNEL] = "kernel",
		[MEMSIGHT_KIND_SOCK] = "sock",
	};

	return (unsigned int)kind < MEMSIGHT_KINDS ? names[kind] : NULL;
}

static void common_fields(struct jsonw *w, const char *type, const struct memsight_event *ev)
{
	char ts[RFC3339_NS_LEN];

	jsonw_u64(w, "v", JSON_SCHEMA_VERSION);
	jsonw_string(w, "ts", format_rfc3339_ns(ev->ts_ns, ts, sizeof(ts)));
	jsonw_string(w, "type", type);
	jsonw_string(w, "node", ev->node);
}

static void string_or_null(struct jsonw *w, const char *key, const char *value)
{
	if (value && value[0])
		jsonw_string(w, key, value);
	else
		jsonw_null(w, key);
}

static void bytes_or_null(struct jsonw *w, const char *key, bool known, uint64_t value)
{
	if (known)
		jsonw_u64(w, key, value);
	else
		jsonw_null(w, key);
}

static bool path_known(const struct memsight_cgroup_ref *cgroup)
{
	return cgroup->path && cgroup->path[0];
}

static void cgroup_object(struct jsonw *w, const char *key, const struct memsight_cgroup_ref *cg)
{
	jsonw_object_begin(w, key);
	jsonw_u64(w, "id", cg->id);
	string_or_null(w, "path", cg->path);
	jsonw_object_end(w);
}

static void container_object(struct jsonw *w, const struct memsight_container *c)
{
	jsonw_object_begin(w, "container");
	string_or_null(w, "id", c->id);
	jsonw_string(w, "runtime", c->runtime ? c->runtime : "");
	string_or_null(w, "name", c->name);
	string_or_null(w, "pod", c->pod);
	string_or_null(w, "namespace", c->pod_namespace);
	string_or_null(w, "pod_uid", c->pod_uid);
	string_or_null(w, "qos", c->qos);
	string_or_null(w, "image", c->image);
	if (c->monitor)
		jsonw_bool(w, "monitor", true);
	jsonw_bool(w, "exited", c->exited);
	jsonw_object_end(w);
}

/* "cgroup" and, for a cgroup memsight could name, "container". */
static void attribution(struct jsonw *w, const struct memsight_cgroup_ref *cgroup,
			const struct memsight_container *container)
{
	cgroup_object(w, "cgroup", cgroup);
	if (path_known(cgroup))
		container_object(w, container);
}

static void oom_victim(struct jsonw *w, const struct memsight_oom_kill *k)
{
	jsonw_object_begin(w, "victim");
	jsonw_u64(w, "pid", k->victim_pid);
	jsonw_u64(w, "tid", k->victim_tid);
	jsonw_string(w, "comm", k->victim_comm);
	jsonw_u64(w, "uid", k->victim_uid);
	jsonw_i64(w, "oom_score_adj", k->victim_oom_score_adj);
	bytes_or_null(w, "rss_anon_bytes", k->has_rss, k->rss_anon_bytes);
	bytes_or_null(w, "rss_file_bytes", k->has_rss, k->rss_file_bytes);
	bytes_or_null(w, "rss_shmem_bytes", k->has_rss, k->rss_shmem_bytes);
	bytes_or_null(w, "pgtables_bytes", k->has_rss, k->pgtables_bytes);
	bytes_or_null(w, "total_vm_bytes", k->has_rss, k->total_vm_bytes);
	jsonw_object_end(w);

	jsonw_object_begin(w, "trigger");
	jsonw_u64(w, "pid", k->trigger_pid);
	jsonw_u64(w, "tid", k->trigger_tid);
	jsonw_string(w, "comm", k->trigger_comm);
	attribution(w, &k->trigger_cgroup, &k->trigger_container);
	jsonw_object_end(w);
}

static void oom_kill(struct jsonw *w, const struct memsight_event *ev)
{
	const struct memsight_oom_kill *k = &ev->oom_kill;

	common_fields(w, "oom_kill", ev);
	attribution(w, &k->cgroup, &k->container);
	oom_victim(w, k);
	jsonw_string(w, "constraint", k->constraint);

	jsonw_object_begin(w, "memcg");
	jsonw_u64(w, "usage_bytes", k->usage_bytes);
	bytes_or_null(w, "limit_bytes", k->has_limit, k->limit_bytes);
	jsonw_string(w, "read_at", k->read_at);
	jsonw_object_end(w);

	if (k->has_constraint_cgroup) {
		jsonw_object_begin(w, "constraint_cgroup");
		jsonw_u64(w, "id", k->constraint_cgroup.id);
		string_or_null(w, "path", k->constraint_cgroup.path);
		jsonw_u64(w, "usage_bytes", k->constraint_usage_bytes);
		jsonw_u64(w, "limit_bytes", k->constraint_limit_bytes);
		jsonw_object_end(w);
	}
	jsonw_string(w, "source", k->source);
}

static void faults_object(struct jsonw *w, const struct memsight_container_stats *c)
{
	jsonw_object_begin(w, "faults");
	jsonw_u64(w, "minor", c->faults_minor);
	jsonw_u64(w, "major", c->faults_major);
	jsonw_string(w, "source", c->faults_source);
	jsonw_array_begin(w, "top");
	for (unsigned int i = 0; c->fault_top && i < c->fault_top_count; i++) {
		jsonw_object_begin(w, NULL);
		jsonw_u64(w, "pid", c->fault_top[i].pid);
		jsonw_string(w, "comm", c->fault_top[i].comm);
		jsonw_u64(w, "minor", c->fault_top[i].minor);
		jsonw_u64(w, "major", c->fault_top[i].major);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_object_end(w);
}

static void charge_object(struct jsonw *w, const struct memsight_container_stats *c)
{
	int64_t net = 0;

	jsonw_object_begin(w, "charge");
	for (int k = 0; k < MEMSIGHT_KINDS; k++) {
		jsonw_object_begin(w, memsight_kind_name(k));
		jsonw_u64(w, "charged_bytes", c->charged_bytes[k]);
		jsonw_u64(w, "uncharged_bytes", c->uncharged_bytes[k]);
		jsonw_object_end(w);
		net += (int64_t)c->charged_bytes[k] - (int64_t)c->uncharged_bytes[k];
	}
	/* the method, named whether or not charges moved this interval */
	jsonw_string(w, "source", c->charge_source);
	jsonw_object_end(w);
	/* Net charge per second: how fast the container grows (or shrinks). */
	if (c->has_charges && c->interval_ns)
		jsonw_double(w, "growth_bytes_per_sec", (double)net * 1e9 / (double)c->interval_ns,
			     0);
	else
		jsonw_null(w, "growth_bytes_per_sec");
}

static void reclaim_object(struct jsonw *w, const struct memsight_container_stats *c)
{
	jsonw_object_begin(w, "reclaim");
	jsonw_u64(w, "count", c->reclaim_count);
	jsonw_u64(w, "stall_ns", c->reclaim_stall_ns);
	/* log2 buckets: "le_ns" is each bucket's upper bound; empty buckets left out */
	jsonw_array_begin(w, "histogram");
	for (unsigned int b = 0; c->reclaim_histogram && b < c->reclaim_buckets && b < 63; b++) {
		if (!c->reclaim_histogram[b])
			continue;
		jsonw_object_begin(w, NULL);
		jsonw_u64(w, "le_ns", (2ULL << b) - 1);
		jsonw_u64(w, "count", c->reclaim_histogram[b]);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_object_end(w);
}

static void container_stats(struct jsonw *w, const struct memsight_event *ev)
{
	const struct memsight_container_stats *c = &ev->container_stats;

	common_fields(w, "container_stats", ev);
	jsonw_u64(w, "interval_ns", c->interval_ns);
	attribution(w, &c->cgroup, &c->container);
	faults_object(w, c);
	jsonw_object_begin(w, "memory");
	bytes_or_null(w, "usage_bytes", c->has_usage, c->usage_bytes);
	bytes_or_null(w, "limit_bytes", c->has_limit, c->limit_bytes);
	bytes_or_null(w, "high_bytes", c->has_high, c->high_bytes);
	jsonw_object_end(w);
	charge_object(w, c);
	reclaim_object(w, c);
}

static void fault_sample(struct jsonw *w, const struct memsight_event *ev)
{
	const struct memsight_fault_sample *f = &ev->fault_sample;

	common_fields(w, "fault_sample", ev);
	attribution(w, &f->cgroup, &f->container);
	jsonw_u64(w, "pid", f->pid);
	jsonw_u64(w, "tid", f->tid);
	jsonw_string(w, "comm", f->comm);
	jsonw_u64(w, "address", f->address);
	jsonw_u64(w, "ip", f->ip);
	jsonw_string(w, "access", f->exec ? "exec" : f->write ? "write" : "read");
	jsonw_string(w, "mode", f->user ? "user" : "kernel");
	jsonw_bool(w, "protection", f->protection);
}

static void cgroup_change(struct jsonw *w, const struct memsight_event *ev)
{
	common_fields(w, "cgroup", ev);
	attribution(w, &ev->cgroup.cgroup, &ev->cgroup.container);
	jsonw_string(w, "change", ev->cgroup.removed ? "removed" : "made");
}

static bool same_runtime(const struct memsight_state_errors *a,
			 const struct memsight_state_errors *b)
{
	return !strcmp(a->runtime ? a->runtime : "", b->runtime ? b->runtime : "");
}

/* {"docker":{"malformed":2}}: one object per runtime, whatever order the list is in. */
static void state_errors_object(struct jsonw *w, const struct memsight_agent_stats *a)
{
	const struct memsight_state_errors *e = a->state_errors;
	unsigned int n = e ? a->state_error_count : 0;

	jsonw_object_begin(w, "state_errors_total");
	for (unsigned int i = 0; i < n; i++) {
		bool seen = false;

		for (unsigned int j = 0; j < i && !seen; j++)
			seen = same_runtime(&e[i], &e[j]);
		if (seen)
			continue;
		jsonw_object_begin(w, e[i].runtime ? e[i].runtime : "");
		for (unsigned int j = i; j < n; j++)
			if (same_runtime(&e[i], &e[j]))
				jsonw_u64(w, e[j].reason ? e[j].reason : "", e[j].count);
		jsonw_object_end(w);
	}
	jsonw_object_end(w);
}

static void agent_bpf_object(struct jsonw *w, const struct memsight_agent_stats *a)
{
	jsonw_object_begin(w, "bpf");
	jsonw_bool(w, "stats_enabled", a->bpf_stats_enabled);
	jsonw_array_begin(w, "programs");
	for (unsigned int i = 0; a->programs && i < a->program_count; i++) {
		const struct memsight_program_stats *p = &a->programs[i];

		jsonw_object_begin(w, NULL);
		jsonw_string(w, "name", p->name);
		jsonw_u64(w, "id", p->id);
		jsonw_u64(w, "run_count", p->run_count);
		jsonw_u64(w, "run_time_ns", p->run_time_ns);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_object_end(w);
}

static void agent_stats(struct jsonw *w, const struct memsight_event *ev)
{
	const struct memsight_agent_stats *a = &ev->agent_stats;

	common_fields(w, "agent_stats", ev);
	jsonw_u64(w, "interval_ns", a->interval_ns);

	jsonw_object_begin(w, "events");
	jsonw_u64(w, "received_total", a->events_received);
	jsonw_u64(w, "filtered_total", a->events_filtered);
	jsonw_u64(w, "lost_total", a->events_lost);
	jsonw_u64(w, "lost", a->events_lost_interval);
	jsonw_u64(w, "oom_kills_lost_total", a->oom_kills_lost);
	jsonw_u64(w, "malformed_total", a->events_malformed);
	jsonw_u64(w, "samples_suppressed_total", a->fault_samples_suppressed);
	jsonw_object_end(w);

	jsonw_object_begin(w, "counting");
	jsonw_u64(w, "slots", a->counting.slots);
	jsonw_u64(w, "slots_in_use", a->counting.slots_in_use);
	jsonw_u64(w, "slots_retired_total", a->counting.slots_retired_total);
	jsonw_u64(w, "resyncs_total", a->counting.resyncs_total);
	jsonw_u64(w, "failed_reads_total", a->counting.failed_reads_total);
	jsonw_u64(w, "lost_total", a->counting.lost_total);
	jsonw_object_end(w);

	jsonw_object_begin(w, "containers");
	jsonw_u64(w, "cached", a->containers_cached);
	jsonw_u64(w, "cache_bytes", a->containers_cache_bytes);
	state_errors_object(w, a);
	jsonw_object_end(w);

	jsonw_object_begin(w, "process");
	jsonw_u64(w, "rss_bytes", a->rss_bytes);
	jsonw_u64(w, "cpu_user_ns", a->cpu_user_ns);
	jsonw_u64(w, "cpu_system_ns", a->cpu_system_ns);
	jsonw_double(w, "cpu_percent", a->cpu_percent, 2);
	jsonw_object_end(w);

	agent_bpf_object(w, a);
}

int event_json(struct jsonw *w, const struct memsight_event *ev)
{
	static void (*const writers[])(struct jsonw *, const struct memsight_event *) = {
		[MEMSIGHT_EVENT_OOM_KILL] = oom_kill,
		[MEMSIGHT_EVENT_CONTAINER_STATS] = container_stats,
		[MEMSIGHT_EVENT_FAULT_SAMPLE] = fault_sample,
		[MEMSIGHT_EVENT_AGENT_STATS] = agent_stats,
		[MEMSIGHT_EVENT_CGROUP] = cgroup_change,
	};
	unsigned int type = ev ? (unsigned int)ev->type : 0;

	if (type >= sizeof(writers) / sizeof(writers[0]) || !writers[type])
		return -EINVAL;
	jsonw_reset(w);
	jsonw_object_begin(w, NULL);
	writers[type](w, ev);
	jsonw_object_end(w);
	return w->out.failed ? -ENOMEM : 0;
}
