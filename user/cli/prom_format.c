// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The page is about 23 series per cgroup, each its cgroup's label set and a
 * number: 6 MB at 1,000 containers. Two habits keep a render to a few ms:
 * a cgroup's labels are escaped once and kept in its aggregate entry
 * (entry_labels, made again when its names change), and a series is written
 * with one reservation and a few memcpy, numbers by hand rather than printf.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_json.h"
#include "prom_format.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The reclaim histogram's bucket bounds: every third log2 bucket, 1 us to 2 s. */
static const int stall_bucket_edges[] = { 9, 12, 15, 18, 21, 24, 27, 30 };
/* Their le labels, 2^(edge + 1) ns in seconds ("%.12g", as they always were), then +Inf. */
static const char *const stall_bucket_les[] = {
	",le=\"1.024e-06\"",   ",le=\"8.192e-06\"",   ",le=\"6.5536e-05\"",
	",le=\"0.000524288\"", ",le=\"0.004194304\"", ",le=\"0.033554432\"",
	",le=\"0.268435456\"", ",le=\"2.147483648\"", ",le=\"+Inf\"",
};
_Static_assert(ARRAY_SIZE(stall_bucket_les) == ARRAY_SIZE(stall_bucket_edges) + 1,
	       "one le label per bucket edge, and +Inf");

char *prom_u64(char *p, uint64_t value)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	while (n)
		*p++ = digits[--n];
	return p;
}

char *prom_seconds(char *p, int64_t ns)
{
	uint64_t abs_ns = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	uint64_t frac = abs_ns % 1000000000ULL;
	int width = 9;

	if (ns < 0)
		*p++ = '-';
	p = prom_u64(p, abs_ns / 1000000000ULL);
	if (!frac)
		return p;
	for (; frac % 10 == 0; frac /= 10)
		width--;
	*p++ = '.';
	for (int i = width - 1; i >= 0; i--, frac /= 10)
		p[i] = (char)('0' + frac % 10);
	return p + width;
}

/*
 * A normal double that parses back from d <= 15 significant digits is printed
 * so by "%.15g" (its 15-digit grid is coarser than its spacing), so the search
 * starts there; 16 then 17 (enough for every double). A subnormal's spacing is
 * coarser than 15 digits (5e-324 is "4.94065645841247e-324"): from 1.
 */
char *prom_double(char *p, double value)
{
	int digits = fpclassify(value) == FP_SUBNORMAL ? 1 : 15;
	int n;

	if (isnan(value) || isinf(value)) {
		n = sprintf(p, "%s", isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf");
		return p + n;
	}
	for (;; digits++) {
		n = snprintf(p, PROM_NUMBER_MAX, "%.*g", digits, value);
		if (n <= 0 || digits == 17 || strtod(p, NULL) == value)
			break;
	}
	return p + (n > 0 ? n : 0);
}

void prom_escape_label(struct strbuf *out, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len = strlen(value), plain = 0;

	for (size_t i = 0; i < len;) {
		const char *escaped = NULL;
		uint32_t cp;
		size_t n;

		switch (s[i]) {
		case '\\':
			escaped = "\\\\";
			break;
		case '"':
			escaped = "\\\"";
			break;
		case '\n':
			escaped = "\\n";
			break;
		}
		/* Prometheus rejects a scrape whose label values are not UTF-8. */
		n = escaped ? 1 : utf8_decode(s + i, len - i, &cp);
		if (n && !escaped) {
			i += n; /* a run of plain characters goes out in one piece */
			continue;
		}
		strbuf_append(out, value + plain, i - plain);
		strbuf_append(out, escaped ? escaped : "\xef\xbf\xbd", escaped ? 2 : 3);
		plain = ++i;
	}
	strbuf_append(out, value + plain, len - plain);
}

static void family(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label(struct strbuf *out, bool *first, const char *key, const char *value)
{
	strbuf_puts(out, *first ? "{" : ",");
	strbuf_puts(out, key);
	strbuf_append(out, "=\"", 2);
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

/* The entry's label sets, escaped, in scratch and then one allocation of their own. */
static struct entry_labels *make_labels(const struct aggregate_entry *e, struct strbuf *scratch)
{
	const struct container_info *c = e->has_container ? &e->container : NULL;
	enum container_runtime runtime = c ? c->runtime : RUNTIME_NONE;
	struct entry_labels *l;
	bool first = true;
	size_t series_len;

	strbuf_reset(scratch);
	label(scratch, &first, "container_id", c ? c->id : "");
	label(scratch, &first, "container", container_name(e));
	label(scratch, &first, "pod", c ? c->meta.pod : "");
	label(scratch, &first, "namespace", c ? c->meta.namespace : "");
	label(scratch, &first, "cgroup", e->path ? e->path : "");
	series_len = scratch->len;
	label(scratch, &first, "runtime", container_runtime_name(runtime));
	label(scratch, &first, "pod_uid", c ? c->pod_uid : "");
	label(scratch, &first, "image", c ? c->meta.image : "");
	if (scratch->failed || scratch->len > UINT32_MAX)
		return NULL;
	l = malloc(sizeof(*l) + scratch->len + 1);
	if (!l)
		return NULL;
	l->series_len = (uint32_t)series_len;
	l->info_len = (uint32_t)(scratch->len - series_len);
	memcpy(l->text, scratch->buf, scratch->len + 1);
	return l;
}

struct labels_pass {
	struct strbuf scratch;
	bool failed;
};

static void ensure_labels(uint64_t cgroup_id, void *entry, void *ctx)
{
	struct aggregate_entry *e = entry;
	struct labels_pass *pass = ctx;

	if (!e->labels)
		e->labels = make_labels(e, &pass->scratch);
	if (!e->labels)
		pass->failed = true;
}

/* Escapes the labels of the entries that have none yet; false when out of memory. */
static bool labels_ready(struct aggregate *agg)
{
	struct labels_pass pass = { .failed = false };

	strbuf_init(&pass.scratch);
	aggregate__each(agg, ensure_labels, &pass);
	strbuf_free(&pass.scratch);
	return !pass.failed;
}

/* A series' name and what follows the container's labels, e.g. ",kind=\"anon\"" (escaped). */
struct series_key {
	const char *name, *extra;
	size_t name_len, extra_len;
};

static struct series_key key_of(const char *name, const char *extra)
{
	return (struct series_key){ name, extra ? extra : "", strlen(name),
				    extra ? strlen(extra) : 0 };
}

/* name{container labels[,extra]} value: one reservation, then copies. */
static void series_line(struct strbuf *out, const struct series_key *k,
			const struct aggregate_entry *e, const char *value, size_t value_len)
{
	const struct entry_labels *l = e->labels;
	char *p;

	if (!strbuf_reserve(out, k->name_len + l->series_len + k->extra_len + value_len + 3))
		return;
	p = out->buf + out->len;
	p = mempcpy(p, k->name, k->name_len);
	p = mempcpy(p, l->text, l->series_len);
	p = mempcpy(p, k->extra, k->extra_len);
	*p++ = '}';
	*p++ = ' ';
	p = mempcpy(p, value, value_len);
	*p++ = '\n';
	*p = '\0';
	out->len = (size_t)(p - out->buf);
}

static void series_u64(struct strbuf *out, const struct series_key *k,
		       const struct aggregate_entry *e, uint64_t value)
{
	char text[PROM_NUMBER_MAX];

	series_line(out, k, e, text, (size_t)(prom_u64(text, value) - text));
}

static void series_seconds(struct strbuf *out, const struct series_key *k,
			   const struct aggregate_entry *e, int64_t ns)
{
	char text[PROM_NUMBER_MAX];

	series_line(out, k, e, text, (size_t)(prom_seconds(text, ns) - text));
}

static void series_double(struct strbuf *out, const struct series_key *k,
			  const struct aggregate_entry *e, double value)
{
	char text[PROM_NUMBER_MAX];

	series_line(out, k, e, text, (size_t)(prom_double(text, value) - text));
}

static void stall_histogram(struct strbuf *out, const struct aggregate_entry *e)
{
	const struct series_key sum = key_of("memsight_reclaim_stall_seconds_sum", NULL);
	const struct series_key count = key_of("memsight_reclaim_stall_seconds_count", NULL);
	uint64_t cumulative = 0;
	int b = 0;

	for (size_t i = 0; i <= ARRAY_SIZE(stall_bucket_edges); i++) {
		const struct series_key bucket =
			key_of("memsight_reclaim_stall_seconds_bucket", stall_bucket_les[i]);

		/* log2 bucket b holds stalls in [2^b, 2^(b+1)) ns */
		for (; i < ARRAY_SIZE(stall_bucket_edges) && b <= stall_bucket_edges[i]; b++)
			cumulative += e->reclaim_hist[b];
		series_u64(out, &bucket, e,
			   i < ARRAY_SIZE(stall_bucket_edges) ? cumulative : e->reclaim_count);
	}
	series_seconds(out, &sum, e, (int64_t)e->reclaim_stall_ns);
	series_u64(out, &count, e, e->reclaim_count);
}

static void container_info_family(struct strbuf *out, const struct aggregate_entry **entries)
{
	static const char name[] = "memsight_container_info";
	const struct aggregate_entry **e;

	family(out, name, "gauge", "The container of a cgroup as memsight names it (always 1).");
	for (e = entries; *e; e++) {
		const struct entry_labels *l = (*e)->labels;
		const char *exited =
			(*e)->removed_ns ? ",exited=\"true\"} 1\n" : ",exited=\"false\"} 1\n";

		strbuf_append(out, name, sizeof(name) - 1);
		strbuf_append(out, l->text, l->series_len + l->info_len);
		strbuf_puts(out, exited);
	}
}

/* One counter per charge kind, in the kinds' order for each cgroup. */
static void charge_family(struct strbuf *out, const struct aggregate_entry **entries,
			  const char *name, const char *help, bool charged)
{
	struct series_key keys[MEMSIGHT_CHARGE_KINDS];
	char extras[MEMSIGHT_CHARGE_KINDS][32];
	const struct aggregate_entry **e;

	family(out, name, "counter", help);
	for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++) {
		snprintf(extras[k], sizeof(extras[k]), ",kind=\"%s\"", memsight_kind_name(k));
		keys[k] = key_of(name, extras[k]);
	}
	for (e = entries; *e; e++)
		for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++)
			series_u64(out, &keys[k], *e,
				   charged ? (*e)->charged[k] : (*e)->uncharged[k]);
}

/* What the kernel counted for the cgroup: OOM kills, faults, charges, reclaim stalls. */
static void activity_families(struct strbuf *out, const struct aggregate_entry **entries)
{
	const struct series_key kills = key_of("memsight_oom_kills_total", NULL);
	const struct series_key last_kill =
		key_of("memsight_last_oom_kill_timestamp_seconds", NULL);
	const struct series_key minor = key_of("memsight_page_faults_total", ",type=\"minor\"");
	const struct series_key major = key_of("memsight_page_faults_total", ",type=\"major\"");
	const struct aggregate_entry **e;

	family(out, kills.name, "counter",
	       "OOM kills whose victim was in this cgroup, since memsight started.");
	for (e = entries; *e; e++)
		series_u64(out, &kills, *e, (*e)->oom_kills);

	family(out, last_kill.name, "gauge",
	       "When the cgroup's last OOM kill happened (Unix time).");
	for (e = entries; *e; e++)
		if ((*e)->last_oom_realtime_ns)
			series_seconds(out, &last_kill, *e, (*e)->last_oom_realtime_ns);

	family(out, minor.name, "counter",
	       "Page faults of the cgroup's tasks, by type (minor or major).");
	for (e = entries; *e; e++) {
		series_u64(out, &minor, *e, (*e)->faults_minor);
		series_u64(out, &major, *e, (*e)->faults_major);
	}

	charge_family(out, entries, "memsight_memcg_charged_bytes_total",
		      "Memory charged to the cgroup, by kind.", true);
	charge_family(out, entries, "memsight_memcg_uncharged_bytes_total",
		      "Memory uncharged from the cgroup, by kind.", false);

	family(out, "memsight_reclaim_stall_seconds", "histogram",
	       "Time the cgroup's tasks stalled in memory reclaim, per stall.");
	/* Eleven series per cgroup: only for cgroups that have stalled at all. */
	for (e = entries; *e; e++)
		if ((*e)->reclaim_count)
			stall_histogram(out, *e);
}

/* What cgroupfs says about the cgroup's memory now. */
static void memory_families(struct strbuf *out, const struct aggregate_entry **entries)
{
	const struct series_key usage = key_of("memsight_memory_usage_bytes", NULL);
	const struct series_key limit = key_of("memsight_memory_limit_bytes", NULL);
	const struct series_key high = key_of("memsight_memory_high_bytes", NULL);
	const struct aggregate_entry **e;

	family(out, usage.name, "gauge", "The cgroup's memory usage.");
	for (e = entries; *e; e++)
		if ((*e)->has_usage)
			series_u64(out, &usage, *e, (*e)->usage_bytes);
	family(out, limit.name, "gauge", "The cgroup's memory limit (absent when unlimited).");
	for (e = entries; *e; e++)
		if ((*e)->has_usage && (*e)->has_limit)
			series_u64(out, &limit, *e, (*e)->limit_bytes);
	family(out, high.name, "gauge",
	       "The cgroup's memory.high throttling limit (cgroup v2, when set).");
	for (e = entries; *e; e++)
		if ((*e)->has_usage && (*e)->has_high)
			series_u64(out, &high, *e, (*e)->high_bytes);
}

/* Limit events and whether the cgroup is heading for its limit or leaking. */
static void limit_families(struct strbuf *out, const struct aggregate_entry **entries)
{
	static const char *const events[] = { ",event=\"high\"", ",event=\"max\"", ",event=\"oom\"",
					      ",event=\"oom_kill\"" };
	struct series_key event_keys[4];
	const struct series_key ttl = key_of("memsight_memory_time_to_limit_seconds", NULL);
	const struct series_key leak = key_of("memsight_leak_suspected", NULL);
	const struct series_key risks = key_of("memsight_oom_risks_total", NULL);
	const struct aggregate_entry **e;

	for (int i = 0; i < 4; i++)
		event_keys[i] = key_of("memsight_memory_limit_events_total", events[i]);
	family(out, event_keys[0].name, "counter",
	       "Times the cgroup hit its limit, by event (cgroup v2 memory.events; v1 failcnt "
	       "as max, memory.oom_control's oom_kill).");
	for (e = entries; *e; e++) {
		const struct memsight_limit_events *l = &(*e)->limit_events;
		const bool has[] = { l->has_high, l->has_max, l->has_oom, l->has_oom_kill };
		const uint64_t value[] = { l->high, l->max, l->oom, l->oom_kill };

		for (int i = 0; (*e)->has_detail && i < 4; i++)
			if (has[i])
				series_u64(out, &event_keys[i], *e, value[i]);
	}
	family(out, ttl.name, "gauge",
	       "When the working set reaches the limit at its current growth (absent when not "
	       "growing or unlimited).");
	for (e = entries; *e; e++)
		if ((*e)->has_time_to_limit)
			series_double(out, &ttl, *e, (*e)->time_to_limit_s);
	family(out, leak.name, "gauge",
	       "1 while the container is a leak suspect: its anonymous memory kept growing "
	       "across the leak window.");
	for (e = entries; *e; e++)
		series_u64(out, &leak, *e, (*e)->leak_suspected);
	family(out, risks.name, "counter",
	       "oom_risk episodes: the working set due to reach its limit within the horizon.");
	for (e = entries; *e; e++)
		series_u64(out, &risks, *e, (*e)->oom_risks);
}

/* What the memory is made of (memory.stat) and where it is heading (the agent's trend). */
static void outlook_families(struct strbuf *out, const struct aggregate_entry **entries)
{
	const struct series_key ws = key_of("memsight_memory_working_set_bytes", NULL);
	const struct series_key anon = key_of("memsight_memory_anon_bytes", NULL);
	const struct series_key file = key_of("memsight_memory_file_bytes", NULL);
	const struct series_key swap = key_of("memsight_memory_swap_bytes", NULL);
	const struct aggregate_entry **e;

	family(out, ws.name, "gauge",
	       "Usage minus inactive file pages: what the kubelet evicts on.");
	for (e = entries; *e; e++)
		if ((*e)->has_detail)
			series_u64(out, &ws, *e, (*e)->working_set_bytes);
	family(out, anon.name, "gauge", "Anonymous memory (rss).");
	for (e = entries; *e; e++)
		if ((*e)->has_detail)
			series_u64(out, &anon, *e, (*e)->anon_bytes);
	family(out, file.name, "gauge", "Page cache (shmem included).");
	for (e = entries; *e; e++)
		if ((*e)->has_detail)
			series_u64(out, &file, *e, (*e)->file_bytes);
	family(out, swap.name, "gauge", "Swap used (when accounted).");
	for (e = entries; *e; e++)
		if ((*e)->has_detail && (*e)->has_swap)
			series_u64(out, &swap, *e, (*e)->swap_bytes);
	limit_families(out, entries);
}

static void container_families(struct strbuf *out, const struct aggregate_entry **entries)
{
	container_info_family(out, entries);
	activity_families(out, entries);
	memory_families(out, entries);
	outlook_families(out, entries);
}

/* name value, for the agent's own series (no labels). */
static void agent_u64(struct strbuf *out, const char *name, const char *type, const char *help,
		      uint64_t value)
{
	char text[PROM_NUMBER_MAX + 2];
	char *end = prom_u64(text + 1, value);

	family(out, name, type, help);
	text[0] = ' ';
	*end++ = '\n';
	strbuf_puts(out, name);
	strbuf_append(out, text, (size_t)(end - text));
}

static void agent_counter(struct strbuf *out, const char *name, const char *help, uint64_t value)
{
	agent_u64(out, name, "counter", help, value);
}

/* value (with its labels' closing brace, if any, before it) and a newline. */
static void value_seconds(struct strbuf *out, const char *before, int64_t ns)
{
	char text[PROM_NUMBER_MAX];

	strbuf_puts(out, before);
	strbuf_append(out, text, (size_t)(prom_seconds(text, ns) - text));
	strbuf_append(out, "\n", 1);
}

/* Only the runtimes and reasons that have failed: most nodes would show 49 zeros. */
static void state_error_family(struct strbuf *out, const struct memsight_agent_stats *a)
{
	char text[PROM_NUMBER_MAX];

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
		strbuf_append(out, "} ", 2);
		strbuf_append(out, text, (size_t)(prom_u64(text, e->count) - text));
		strbuf_append(out, "\n", 1);
	}
}

static void info_families(struct strbuf *out, const struct prom_context *ctx)
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
	family(out, "memsight_start_time_seconds", "gauge", "When memsight started (Unix time).");
	value_seconds(out, "memsight_start_time_seconds ", ctx->start_realtime_ns);
}

static void bpf_families(struct strbuf *out, const struct memsight_agent_stats *a)
{
	char text[PROM_NUMBER_MAX];

	agent_u64(out, "memsight_bpf_stats_enabled", "gauge",
		  "1 when the kernel counts BPF run time (kernel.bpf_stats_enabled).",
		  a->bpf_stats_enabled);
	family(out, "memsight_bpf_run_time_seconds_total", "counter",
	       "Time the kernel spent in each of memsight's BPF programs.");
	for (unsigned int i = 0; i < a->program_count; i++) {
		bool first = true;

		strbuf_puts(out, "memsight_bpf_run_time_seconds_total");
		label(out, &first, "program", a->programs[i].name);
		value_seconds(out, "} ", (int64_t)a->programs[i].run_time_ns);
	}
	family(out, "memsight_bpf_runs_total", "counter",
	       "How many times each of memsight's BPF programs ran.");
	for (unsigned int i = 0; i < a->program_count; i++) {
		bool first = true;

		strbuf_puts(out, "memsight_bpf_runs_total");
		label(out, &first, "program", a->programs[i].name);
		strbuf_append(out, "} ", 2);
		strbuf_append(out, text, (size_t)(prom_u64(text, a->programs[i].run_count) - text));
		strbuf_append(out, "\n", 1);
	}
}

static void agent_families(struct strbuf *out, const struct aggregate *agg,
			   const struct memsight_agent_stats *a, const struct prom_context *ctx)
{
	info_families(out, ctx);
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
	agent_u64(out, "memsight_tracked_cgroups", "gauge", "cgroups with figures on this page.",
		  aggregate__count(agg));
	agent_counter(out, "memsight_tracked_cgroups_overflow_total",
		      "cgroups left off this page because the table was full.",
		      aggregate__overflows(agg));
	agent_u64(out, "memsight_containers_cached", "gauge", "Containers in the name cache.",
		  a->containers_cached);
	state_error_family(out, a);
	agent_u64(out, "memsight_resident_memory_bytes", "gauge", "memsight's resident memory.",
		  a->rss_bytes);

	family(out, "memsight_cpu_seconds_total", "counter", "CPU time memsight used, by mode.");
	value_seconds(out, "memsight_cpu_seconds_total{mode=\"user\"} ", (int64_t)a->cpu_user_ns);
	value_seconds(out, "memsight_cpu_seconds_total{mode=\"system\"} ",
		      (int64_t)a->cpu_system_ns);
	bpf_families(out, a);
}

void prom_format(struct strbuf *out, struct aggregate *agg,
		 const struct memsight_agent_stats *agent, const struct prom_context *ctx)
{
	const struct aggregate_entry **entries;

	if (!labels_ready(agg)) {
		out->failed = true;
		return;
	}
	entries = aggregate__sorted(agg, NULL);
	if (!entries) {
		out->failed = true;
		return;
	}
	container_families(out, entries);
	agent_families(out, agg, agent, ctx);
	free(entries);
}
