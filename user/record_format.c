// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <time.h>

#include "cgroup_path.h"
#include "record_format.h"

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

static void common_fields(struct jsonw *w, const char *type, int64_t realtime_ns,
			  const struct format_context *ctx)
{
	char ts[RFC3339_NS_LEN];

	jsonw_u64(w, "v", JSON_SCHEMA_VERSION);
	jsonw_string(w, "ts", format_rfc3339_ns(realtime_ns, ts, sizeof(ts)));
	jsonw_string(w, "type", type);
	jsonw_string(w, "node", ctx->node);
}

static void cgroup_object(struct jsonw *w, const char *key, uint64_t id, const char *path)
{
	jsonw_object_begin(w, key);
	jsonw_u64(w, "id", id);
	jsonw_string(w, "path", path);
	jsonw_object_end(w);
}

static void bytes_or_null(struct jsonw *w, const char *key, bool known, uint64_t value)
{
	if (known)
		jsonw_u64(w, key, value);
	else
		jsonw_null(w, key);
}

static void string_or_null(struct jsonw *w, const char *key, const char *value)
{
	if (value && value[0])
		jsonw_string(w, key, value);
	else
		jsonw_null(w, key);
}

const char *oom_source_name(uint32_t source)
{
	switch (source) {
	case MEMSIGHT_OOM_SOURCE_TP_BTF:
		return "tp_btf/mark_victim";
	case MEMSIGHT_OOM_SOURCE_FENTRY:
		return "fentry/mark_oom_victim";
	default:
		return "tracepoint/oom/mark_victim";
	}
}

void format_container(struct jsonw *w, const char *key, const struct container_info *info)
{
	/* A systemd unit is named by its unit; a container by what its runtime says. */
	const char *name = info->runtime == RUNTIME_SYSTEMD ? info->unit : info->meta.name;

	jsonw_object_begin(w, key);
	string_or_null(w, "id", info->id);
	jsonw_string(w, "runtime", container_runtime_name(info->runtime));
	string_or_null(w, "name", name);
	string_or_null(w, "pod", info->meta.pod);
	string_or_null(w, "namespace", info->meta.namespace);
	string_or_null(w, "pod_uid", info->pod_uid);
	string_or_null(w, "qos", pod_qos_name(info->qos));
	string_or_null(w, "image", info->meta.image);
	if (info->monitor)
		jsonw_bool(w, "monitor", true);
	jsonw_bool(w, "exited", info->exited);
	jsonw_object_end(w);
}

void format_oom_record(struct jsonw *w, const struct memsight_oom_record *rec,
		       const struct container_info *victim, const struct container_info *trigger,
		       const struct format_context *ctx)
{
	char victim_path[CGROUP_PATH_MAX], trigger_path[CGROUP_PATH_MAX];
	char constraint_path[CGROUP_PATH_MAX];
	bool has_rss = rec->flags & MEMSIGHT_OOM_HAS_RSS;
	bool memcg = rec->constraint == MEMSIGHT_OOM_CONSTRAINT_MEMCG;

	cgroup_path_from_record(&rec->victim_cgroup, victim_path, sizeof(victim_path));
	cgroup_path_from_record(&rec->trigger_cgroup, trigger_path, sizeof(trigger_path));

	jsonw_reset(w);
	jsonw_object_begin(w, NULL);
	common_fields(w, "oom_kill", (int64_t)rec->hdr.boot_ns + ctx->boot_to_realtime_ns, ctx);
	cgroup_object(w, "cgroup", rec->victim_cgroup.id, victim_path);
	if (victim)
		format_container(w, "container", victim);

	jsonw_object_begin(w, "victim");
	jsonw_u64(w, "pid", rec->victim_pid);
	jsonw_u64(w, "tid", rec->victim_tid);
	jsonw_string_n(w, "comm", rec->victim_comm, sizeof(rec->victim_comm));
	jsonw_u64(w, "uid", rec->victim_uid);
	jsonw_i64(w, "oom_score_adj", rec->victim_oom_score_adj);
	bytes_or_null(w, "rss_anon_bytes", has_rss, rec->rss_anon_bytes);
	bytes_or_null(w, "rss_file_bytes", has_rss, rec->rss_file_bytes);
	bytes_or_null(w, "rss_shmem_bytes", has_rss, rec->rss_shmem_bytes);
	bytes_or_null(w, "pgtables_bytes", has_rss, rec->pgtables_bytes);
	bytes_or_null(w, "total_vm_bytes", has_rss, rec->total_vm_bytes);
	jsonw_object_end(w);

	jsonw_object_begin(w, "trigger");
	jsonw_u64(w, "pid", rec->trigger_pid);
	jsonw_u64(w, "tid", rec->trigger_tid);
	jsonw_string_n(w, "comm", rec->trigger_comm, sizeof(rec->trigger_comm));
	cgroup_object(w, "cgroup", rec->trigger_cgroup.id, trigger_path);
	if (trigger)
		format_container(w, "container", trigger);
	jsonw_object_end(w);

	jsonw_string(w, "constraint", memcg ? "memcg" : "global");

	jsonw_object_begin(w, "memcg");
	jsonw_u64(w, "usage_bytes", rec->memcg_usage_bytes);
	bytes_or_null(w, "limit_bytes", !(rec->flags & MEMSIGHT_OOM_MEMCG_UNLIMITED),
		      rec->memcg_limit_bytes);
	jsonw_string(w, "read_at",
		     rec->flags & MEMSIGHT_OOM_VICTIM_MEMCG_AT_EXIT ? "victim_exit" : "kill");
	jsonw_object_end(w);

	if (memcg) {
		/* The memcg whose limit was hit: the victim's own or an ancestor. */
		jsonw_object_begin(w, "constraint_cgroup");
		jsonw_u64(w, "id", rec->constraint_cgroup_id);
		if (cgroup_path_ancestor(victim_path, rec->constraint_distance, constraint_path,
					 sizeof(constraint_path)) >= 0)
			jsonw_string(w, "path", constraint_path);
		else
			jsonw_null(w, "path");
		jsonw_u64(w, "usage_bytes", rec->constraint_usage_bytes);
		jsonw_u64(w, "limit_bytes", rec->constraint_limit_bytes);
		jsonw_object_end(w);
	}

	jsonw_string(w, "source", oom_source_name(rec->source));
	jsonw_object_end(w);
}

void format_container_stats(struct jsonw *w, const struct container_stats *stats,
			    const struct format_context *ctx)
{
	jsonw_reset(w);
	jsonw_object_begin(w, NULL);
	common_fields(w, "container_stats", stats->realtime_ns, ctx);
	jsonw_u64(w, "interval_ns", stats->interval_ns);
	cgroup_object(w, "cgroup", stats->cgroup_id, stats->path);
	if (stats->container)
		format_container(w, "container", stats->container);
	jsonw_object_begin(w, "faults");
	jsonw_u64(w, "minor", stats->faults_minor);
	jsonw_u64(w, "major", stats->faults_major);
	jsonw_string(w, "source", stats->faults_source);
	jsonw_array_begin(w, "top");
	for (unsigned int i = 0; i < stats->top_count && i < PROC_FAULTS_TOP; i++) {
		jsonw_object_begin(w, NULL);
		jsonw_u64(w, "pid", stats->top[i].pid);
		jsonw_string_n(w, "comm", stats->top[i].comm, sizeof(stats->top[i].comm));
		jsonw_u64(w, "minor", stats->top[i].minor);
		jsonw_u64(w, "major", stats->top[i].major);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_object_end(w);
	jsonw_object_begin(w, "memory");
	bytes_or_null(w, "usage_bytes", stats->has_usage, stats->usage_bytes);
	bytes_or_null(w, "limit_bytes", stats->has_limit, stats->limit_bytes);
	bytes_or_null(w, "high_bytes", stats->has_high, stats->high_bytes);
	jsonw_object_end(w);

	static const char *const kinds[MEMSIGHT_CHARGE_KINDS] = { "anon", "file", "shmem", "kernel",
								  "sock" };
	int64_t net = 0;

	jsonw_object_begin(w, "charge");
	for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++) {
		jsonw_object_begin(w, kinds[k]);
		jsonw_u64(w, "charged_bytes", stats->charged[k]);
		jsonw_u64(w, "uncharged_bytes", stats->uncharged[k]);
		jsonw_object_end(w);
		net += (int64_t)stats->charged[k] - (int64_t)stats->uncharged[k];
	}
	/* the method, named whether or not charges moved this interval */
	jsonw_string(w, "source", stats->charge_source);
	jsonw_object_end(w);
	/* Net charge per second: how fast the container grows (or shrinks). */
	if (stats->has_charges && stats->interval_ns)
		jsonw_double(w, "growth_bytes_per_sec",
			     (double)net * 1e9 / (double)stats->interval_ns, 0);
	else
		jsonw_null(w, "growth_bytes_per_sec");

	jsonw_object_begin(w, "reclaim");
	jsonw_u64(w, "count", stats->reclaim_count);
	jsonw_u64(w, "stall_ns", stats->reclaim_stall_ns);
	/* log2 buckets: "le_ns" is each bucket's upper bound; empty buckets left out */
	jsonw_array_begin(w, "histogram");
	for (int b = 0; b < MEMSIGHT_RECLAIM_BUCKETS; b++) {
		if (!stats->reclaim_hist[b])
			continue;
		jsonw_object_begin(w, NULL);
		jsonw_u64(w, "le_ns", (2ULL << b) - 1);
		jsonw_u64(w, "count", stats->reclaim_hist[b]);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_object_end(w);
	jsonw_object_end(w);
}

void format_fault_sample(struct jsonw *w, const struct memsight_fault_sample_record *rec,
			 const char *path, const struct container_info *container,
			 const struct format_context *ctx)
{
	jsonw_reset(w);
	jsonw_object_begin(w, NULL);
	common_fields(w, "fault_sample", (int64_t)rec->hdr.boot_ns + ctx->boot_to_realtime_ns, ctx);
	cgroup_object(w, "cgroup", rec->cgroup_id, path);
	if (container)
		format_container(w, "container", container);
	jsonw_u64(w, "pid", rec->pid);
	jsonw_u64(w, "tid", rec->tid);
	jsonw_string_n(w, "comm", rec->comm, sizeof(rec->comm));
	jsonw_u64(w, "address", rec->address);
	jsonw_u64(w, "ip", rec->ip);
	jsonw_string(w, "access",
		     rec->access & MEMSIGHT_FAULT_EXEC	  ? "exec"
		     : rec->access & MEMSIGHT_FAULT_WRITE ? "write"
							  : "read");
	jsonw_string(w, "mode", rec->access & MEMSIGHT_FAULT_USER ? "user" : "kernel");
	jsonw_bool(w, "protection", rec->access & MEMSIGHT_FAULT_PROT);
	jsonw_object_end(w);
}

/* {"docker":{"malformed":2}}: only runtimes and reasons that failed, to keep the line short. */
static void format_state_errors(struct jsonw *w, const struct runtime_state_errors *errors)
{
	jsonw_object_begin(w, "state_errors_total");
	for (int rt = 0; rt < STATE_RUNTIMES; rt++) {
		bool any = false;

		for (int reason = 0; reason < STATE_ERRORS; reason++) {
			uint64_t count = errors->count[rt][reason];

			if (!count)
				continue;
			if (!any)
				jsonw_object_begin(w, container_runtime_name(rt));
			any = true;
			jsonw_u64(w, runtime_state_error_name(reason), count);
		}
		if (any)
			jsonw_object_end(w);
	}
	jsonw_object_end(w);
}

void format_agent_stats(struct jsonw *w, const struct agent_stats *stats,
			const struct format_context *ctx)
{
	jsonw_reset(w);
	jsonw_object_begin(w, NULL);
	common_fields(w, "agent_stats", stats->realtime_ns, ctx);
	jsonw_u64(w, "interval_ns", stats->interval_ns);

	jsonw_object_begin(w, "events");
	jsonw_u64(w, "received_total", stats->records_total);
	jsonw_u64(w, "filtered_total", stats->records_filtered);
	jsonw_u64(w, "lost_total", stats->lost_total);
	jsonw_u64(w, "lost", stats->lost_interval);
	jsonw_u64(w, "oom_kills_lost_total", stats->oom_kills_lost);
	jsonw_u64(w, "malformed_total", stats->records_malformed);
	jsonw_u64(w, "samples_suppressed_total", stats->samples_suppressed);
	jsonw_object_end(w);

	jsonw_object_begin(w, "counting");
	jsonw_u64(w, "slots", stats->counting.slots);
	jsonw_u64(w, "slots_in_use", stats->counting.slots_in_use);
	jsonw_u64(w, "slots_retired_total", stats->counting.slots_retired);
	jsonw_u64(w, "resyncs_total", stats->counting.resyncs);
	jsonw_u64(w, "failed_reads_total", stats->counting.failed_reads);
	jsonw_u64(w, "lost_total", stats->counting.overflow_full);
	jsonw_object_end(w);

	jsonw_object_begin(w, "containers");
	jsonw_u64(w, "cached", stats->containers_cached);
	jsonw_u64(w, "cache_bytes", stats->containers_cache_bytes);
	format_state_errors(w, &stats->state_errors);
	jsonw_object_end(w);

	jsonw_object_begin(w, "process");
	jsonw_u64(w, "rss_bytes", stats->rss_bytes);
	jsonw_u64(w, "cpu_user_ns", stats->cpu_user_ns);
	jsonw_u64(w, "cpu_system_ns", stats->cpu_system_ns);
	jsonw_double(w, "cpu_percent", stats->cpu_percent, 2);
	jsonw_object_end(w);

	jsonw_object_begin(w, "bpf");
	jsonw_bool(w, "stats_enabled", stats->bpf_stats_enabled);
	jsonw_array_begin(w, "programs");
	for (unsigned int i = 0; i < stats->program_count && i < AGENT_PROGRAMS_MAX; i++) {
		const struct agent_program_stats *p = &stats->programs[i];

		jsonw_object_begin(w, NULL);
		jsonw_string_n(w, "name", p->name, sizeof(p->name));
		jsonw_u64(w, "id", p->id);
		jsonw_u64(w, "run_count", p->run_count);
		jsonw_u64(w, "run_time_ns", p->run_time_ns);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_object_end(w);
	jsonw_object_end(w);
}
