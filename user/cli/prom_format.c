// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_json.h"
#include "prom_format.h"

/* The reclaim histogram's bucket bounds: every third log2 bucket, 1 us to 2 s. */
static const int stall_bucket_edges[] = { 9, 12, 15, 18, 21, 24, 27, 30 };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void prom_escape_label(struct strbuf *out, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len = strlen(value);

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n;

		switch (s[i]) {
		case '\\':
			strbuf_append(out, "\\\\", 2);
			i++;
			continue;
		case '"':
			strbuf_append(out, "\\\"", 2);
			i++;
			continue;
		case '\n':
			strbuf_append(out, "\\n", 2);
			i++;
			continue;
		}
		/* Prometheus rejects a scrape whose label values are not UTF-8. */
		n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			strbuf_append(out, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		strbuf_append(out, (const char *)s + i, n);
		i += n;
	}
}

static void family(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label(struct strbuf *out, bool *first, const char *key, const char *value)
{
	strbuf_printf(out, "%s%s=\"", *first ? "{" : ",", key);
	prom_escape_label(out, value ? value : "");
	strbuf_append(out, "\"", 1);
	*first = false;
}

static const char *container_name(const struct aggregate_entry *e)
{
	if (!e->has_container)
		return "";
	return e->container.runtime == RUNTIME_SYSTEMD ? e->container.unit : e->container.meta.name;
}

/*
 * name{container_id,container,pod,namespace,cgroup[,extra_key=extra]} value.
 * extra_value is printed as is: memsight's own constants or numbers.
 */
static void series_start(struct strbuf *out, const char *name, const struct aggregate_entry *e,
			 const char *extra_key, const char *extra_value)
{
	bool first = true;

	strbuf_puts(out, name);
	label(out, &first, "container_id", e->has_container ? e->container.id : "");
	label(out, &first, "container", container_name(e));
	label(out, &first, "pod", e->has_container ? e->container.meta.pod : "");
	label(out, &first, "namespace", e->has_container ? e->container.meta.namespace : "");
	label(out, &first, "cgroup", e->path ? e->path : "");
	if (extra_key)
		label(out, &first, extra_key, extra_value);
	strbuf_append(out, "} ", 2);
}

static void series_u64(struct strbuf *out, const char *name, const struct aggregate_entry *e,
		       const char *extra_key, const char *extra_value, uint64_t value)
{
	series_start(out, name, e, extra_key, extra_value);
	strbuf_printf(out, "%" PRIu64 "\n", value);
}

static void series_double(struct strbuf *out, const char *name, const struct aggregate_entry *e,
			  const char *extra_key, const char *extra_value, double value)
{
	series_start(out, name, e, extra_key, extra_value);
	strbuf_printf(out, "%.15g\n", value);
}

static void stall_histogram(struct strbuf *out, const struct aggregate_entry *e)
{
	uint64_t cumulative = 0;
	int b = 0;
	char le[32];

	for (size_t i = 0; i < ARRAY_SIZE(stall_bucket_edges); i++) {
		/* log2 bucket b holds stalls in [2^b, 2^(b+1)) ns */
		for (; b <= stall_bucket_edges[i]; b++)
			cumulative += e->reclaim_hist[b];
		snprintf(le, sizeof(le), "%.12g", (double)(2ULL << stall_bucket_edges[i]) / 1e9);
		series_u64(out, "memsight_reclaim_stall_seconds_bucket", e, "le", le, cumulative);
	}
	series_u64(out, "memsight_reclaim_stall_seconds_bucket", e, "le", "+Inf", e->reclaim_count);
	series_double(out, "memsight_reclaim_stall_seconds_sum", e, NULL, NULL,
		      (double)e->reclaim_stall_ns / 1e9);
	series_u64(out, "memsight_reclaim_stall_seconds_count", e, NULL, NULL, e->reclaim_count);
}

static void container_info_family(struct strbuf *out, const struct aggregate_entry **entries)
{
	const struct aggregate_entry **e;

	family(out, "memsight_container_info", "gauge",
	       "The container of a cgroup as memsight names it (always 1).");
	for (e = entries; *e; e++) {
		bool first = true;

		strbuf_puts(out, "memsight_container_info");
		label(out, &first, "container_id", (*e)->has_container ? (*e)->container.id : "");
		label(out, &first, "container", container_name(*e));
		label(out, &first, "pod", (*e)->has_container ? (*e)->container.meta.pod : "");
		label(out, &first, "namespace",
		      (*e)->has_container ? (*e)->container.meta.namespace : "");
		label(out, &first, "cgroup", (*e)->path ? (*e)->path : "");
		label(out, &first, "runtime",
		      container_runtime_name((*e)->has_container ? (*e)->container.runtime
								 : RUNTIME_NONE));
		label(out, &first, "pod_uid", (*e)->has_container ? (*e)->container.pod_uid : "");
		label(out, &first, "image", (*e)->has_container ? (*e)->container.meta.image : "");
		label(out, &first, "exited", (*e)->removed_ns ? "true" : "false");
		strbuf_append(out, "} 1\n", 4);
	}
}

/* What the kernel counted for the cgroup: OOM kills, faults, charges, reclaim stalls. */
static void activity_families(struct strbuf *out, const struct aggregate_entry **entries)
{
	const struct aggregate_entry **e;

	family(out, "memsight_oom_kills_total", "counter",
	       "OOM kills whose victim was in this cgroup, since memsight started.");
	for (e = entries; *e; e++)
		series_u64(out, "memsight_oom_kills_total", *e, NULL, NULL, (*e)->oom_kills);

	family(out, "memsight_last_oom_kill_timestamp_seconds", "gauge",
	       "When the cgroup's last OOM kill happened (Unix time).");
	for (e = entries; *e; e++)
		if ((*e)->last_oom_realtime_ns)
			series_double(out, "memsight_last_oom_kill_timestamp_seconds", *e, NULL,
				      NULL, (double)(*e)->last_oom_realtime_ns / 1e9);

	family(out, "memsight_page_faults_total", "counter",
	       "Page faults of the cgroup's tasks, by type (minor or major).");
	for (e = entries; *e; e++) {
		series_u64(out, "memsight_page_faults_total", *e, "type", "minor",
			   (*e)->faults_minor);
		series_u64(out, "memsight_page_faults_total", *e, "type", "major",
			   (*e)->faults_major);
	}

	family(out, "memsight_memcg_charged_bytes_total", "counter",
	       "Memory charged to the cgroup, by kind.");
	for (e = entries; *e; e++)
		for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++)
			series_u64(out, "memsight_memcg_charged_bytes_total", *e, "kind",
				   memsight_kind_name(k), (*e)->charged[k]);
	family(out, "memsight_memcg_uncharged_bytes_total", "counter",
	       "Memory uncharged from the cgroup, by kind.");
	for (e = entries; *e; e++)
		for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++)
			series_u64(out, "memsight_memcg_uncharged_bytes_total", *e, "kind",
				   memsight_kind_name(k), (*e)->uncharged[k]);

	family(out, "memsight_reclaim_stall_seconds", "histogram",
	       "Time the cgroup's tasks stalled in memory reclaim, per stall.");
	/* Ten series per cgroup: only for cgroups that have stalled at all. */
	for (e = entries; *e; e++)
		if ((*e)->reclaim_count)
			stall_histogram(out, *e);
}

/* What cgroupfs says about the cgroup's memory now. */
static void memory_families(struct strbuf *out, const struct aggregate_entry **entries)
{
	const struct aggregate_entry **e;

	family(out, "memsight_memory_usage_bytes", "gauge", "The cgroup's memory usage.");
	for (e = entries; *e; e++)
		if ((*e)->has_usage)
			series_u64(out, "memsight_memory_usage_bytes", *e, NULL, NULL,
				   (*e)->usage_bytes);
	family(out, "memsight_memory_limit_bytes", "gauge",
	       "The cgroup's memory limit (absent when unlimited).");
	for (e = entries; *e; e++)
		if ((*e)->has_usage && (*e)->has_limit)
			series_u64(out, "memsight_memory_limit_bytes", *e, NULL, NULL,
				   (*e)->limit_bytes);
	family(out, "memsight_memory_high_bytes", "gauge",
	       "The cgroup's memory.high throttling limit (cgroup v2, when set).");
	for (e = entries; *e; e++)
		if ((*e)->has_usage && (*e)->has_high)
			series_u64(out, "memsight_memory_high_bytes", *e, NULL, NULL,
				   (*e)->high_bytes);
}

static void container_families(struct strbuf *out, const struct aggregate_entry **entries)
{
	container_info_family(out, entries);
	activity_families(out, entries);
	memory_families(out, entries);
}

static void agent_counter(struct strbuf *out, const char *name, const char *help, uint64_t value)
{
	family(out, name, "counter", help);
	strbuf_printf(out, "%s %" PRIu64 "\n", name, value);
}

static void agent_gauge(struct strbuf *out, const char *name, const char *help, double value)
{
	family(out, name, "gauge", help);
	strbuf_printf(out, "%s %.15g\n", name, value);
}

/* Only the runtimes and reasons that have failed: most nodes would show 49 zeros. */
static void state_error_family(struct strbuf *out, const struct memsight_agent_stats *a)
{
	family(out, "memsight_runtime_state_errors_total", "counter",
	       "Container lookups in the runtimes' state files that named nothing, by runtime and "
	       "reason.");
	for (unsigned int i = 0; a->state_errors && i < a->state_error_count; i++) {
		const struct memsight_state_errors *e = &a->state_errors[i];
		bool first = true;

		if (!e->count)
			continue;
		strbuf_puts(out, "memsight_runtime_state_errors_total");
		label(out, &first, "runtime", e->runtime);
		label(out, &first, "reason", e->reason);
		strbuf_printf(out, "} %" PRIu64 "\n", e->count);
	}
}

static void agent_families(struct strbuf *out, const struct aggregate *agg,
			   const struct memsight_agent_stats *a, const struct prom_context *ctx)
{
	bool first = true;

	family(out, "memsight_build_info", "gauge", "memsight's version (always 1).");
	strbuf_puts(out, "memsight_build_info");
	label(out, &first, "version", ctx->version);
	strbuf_append(out, "} 1\n", 4);

	family(out, "memsight_hook_info", "gauge",
	       "The kernel hook each feature uses; hook=\"\" when unavailable (always 1).");
	for (unsigned int i = 0; i < ctx->hook_count; i++) {
		first = true;
		strbuf_puts(out, "memsight_hook_info");
		label(out, &first, "feature", ctx->hooks[i].feature);
		label(out, &first, "hook", ctx->hooks[i].hook ? ctx->hooks[i].hook : "");
		strbuf_append(out, "} 1\n", 4);
	}

	agent_gauge(out, "memsight_start_time_seconds", "When memsight started (Unix time).",
		    (double)ctx->start_realtime_ns / 1e9);
	agent_counter(out, "memsight_events_received_total",
		      "Records received from the kernel's ring buffer.", a->events_received);
	agent_counter(out, "memsight_events_lost_total",
		      "Records the kernel could not queue because the ring buffer was full.",
		      a->events_lost);
	agent_counter(out, "memsight_oom_kills_lost_total",
		      "OOM kills lost: their ring buffer was full, or too many victims were "
		      "pending at once.",
		      a->oom_kills_lost);
	agent_counter(out, "memsight_events_malformed_total",
		      "Records of a size or type this build does not know.", a->events_malformed);
	agent_counter(out, "memsight_events_filtered_total", "Records dropped by --cgroup.",
		      a->events_filtered);
	agent_counter(out, "memsight_fault_samples_suppressed_total",
		      "Fault samples over the --fault-samples rate, not sent.",
		      a->fault_samples_suppressed);
	agent_counter(out, "memsight_counts_lost_total",
		      "Per-cgroup counts lost because an in-kernel overflow table was full.",
		      a->counting.lost_total);
	agent_gauge(out, "memsight_tracked_cgroups", "cgroups with figures on this page.",
		    aggregate__count(agg));
	agent_counter(out, "memsight_tracked_cgroups_overflow_total",
		      "cgroups left off this page because the table was full.",
		      aggregate__overflows(agg));
	agent_gauge(out, "memsight_containers_cached", "Containers in the name cache.",
		    (double)a->containers_cached);
	state_error_family(out, a);
	agent_gauge(out, "memsight_resident_memory_bytes", "memsight's resident memory.",
		    (double)a->rss_bytes);

	family(out, "memsight_cpu_seconds_total", "counter", "CPU time memsight used, by mode.");
	strbuf_printf(out, "memsight_cpu_seconds_total{mode=\"user\"} %.15g\n",
		      (double)a->cpu_user_ns / 1e9);
	strbuf_printf(out, "memsight_cpu_seconds_total{mode=\"system\"} %.15g\n",
		      (double)a->cpu_system_ns / 1e9);

	agent_gauge(out, "memsight_bpf_stats_enabled",
		    "1 when the kernel counts BPF run time (kernel.bpf_stats_enabled).",
		    a->bpf_stats_enabled);
	family(out, "memsight_bpf_run_time_seconds_total", "counter",
	       "Time the kernel spent in each of memsight's BPF programs.");
	for (unsigned int i = 0; i < a->program_count; i++) {
		first = true;
		strbuf_puts(out, "memsight_bpf_run_time_seconds_total");
		label(out, &first, "program", a->programs[i].name);
		strbuf_printf(out, "} %.15g\n", (double)a->programs[i].run_time_ns / 1e9);
	}
	family(out, "memsight_bpf_runs_total", "counter",
	       "How many times each of memsight's BPF programs ran.");
	for (unsigned int i = 0; i < a->program_count; i++) {
		first = true;
		strbuf_puts(out, "memsight_bpf_runs_total");
		label(out, &first, "program", a->programs[i].name);
		strbuf_printf(out, "} %" PRIu64 "\n", a->programs[i].run_count);
	}
}

void prom_format(struct strbuf *out, const struct aggregate *agg,
		 const struct memsight_agent_stats *agent, const struct prom_context *ctx)
{
	const struct aggregate_entry **entries = aggregate__sorted(agg, NULL);

	if (!entries) {
		out->failed = true;
		return;
	}
	container_families(out, entries);
	agent_families(out, agg, agent, ctx);
	free(entries);
}
