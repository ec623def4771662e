// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memsight_events as JSON lines, parsed back with json-c and checked field by
 * field: OOM kills made from kernel records (event_build), and one event of
 * each type filled in by hand, as a libmemsight consumer would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <json-c/json.h>

#include "event_build.h"
#include "event_json.h"

static const char node[] = "node-1";
/* 2026-11-27T08:00:00Z minus a boot time of 100 s */
static const int64_t boot_to_realtime_ns = 1795766400000000000LL - 100000000000LL;

static struct memsight_oom_record rec;

static void set_names(struct memsight_cgroup *cg, int n, const char *const *leaf_first)
{
	cg->level = cg->depth = n;
	for (int i = 0; i < n; i++)
		snprintf(cg->names[i], sizeof(cg->names[i]), "%s", leaf_first[i]);
}

static void memcg_kill_record(void)
{
	static const char *const victim[] = { "abcd", "pod1", "burstable", "kubepods" };
	static const char *const trigger[] = { "other", "kubepods" };

	memset(&rec, 0, sizeof(rec));
	rec.hdr.type = MEMSIGHT_RECORD_OOM_KILL;
	rec.hdr.version = MEMSIGHT_RECORD_VERSION;
	rec.hdr.boot_ns = 100000000000ULL + 123456789ULL;
	rec.victim_pid = 4242;
	rec.victim_tid = 4243;
	rec.victim_uid = 1000;
	rec.victim_oom_score_adj = -998;
	memcpy(rec.victim_comm, "a\"b\\c\nd\x1b", 9);
	rec.rss_anon_bytes = 66715648;
	rec.rss_file_bytes = 1363968;
	rec.rss_shmem_bytes = 4096;
	rec.pgtables_bytes = 167936;
	rec.total_vm_bytes = 69509120;
	rec.trigger_pid = 77;
	rec.trigger_tid = 78;
	memcpy(rec.trigger_comm, "stress", 7);
	rec.memcg_usage_bytes = 67100000;
	rec.memcg_limit_bytes = 67108864;
	rec.constraint = MEMSIGHT_OOM_CONSTRAINT_MEMCG;
	rec.constraint_distance = 1;
	rec.constraint_cgroup_id = 900;
	rec.constraint_usage_bytes = 134000000;
	rec.constraint_limit_bytes = 134217728;
	rec.source = MEMSIGHT_OOM_SOURCE_TP_BTF;
	rec.flags = MEMSIGHT_OOM_HAS_RSS;
	rec.victim_cgroup.id = 3071;
	set_names(&rec.victim_cgroup, 4, victim);
	rec.trigger_cgroup.id = 12;
	set_names(&rec.trigger_cgroup, 2, trigger);
}

static struct json_object *parse_event(const struct memsight_event *ev)
{
	struct json_object *obj;
	struct jsonw w;

	jsonw_init(&w);
	assert_int_equal(event_json(&w, ev), 0);
	assert_false(w.out.failed);
	assert_null(strchr(w.out.buf, '\n'));
	obj = json_tokener_parse(w.out.buf);
	assert_non_null(obj);
	jsonw_free(&w);
	return obj;
}

/* The OOM record as the agent turns it into an event, then into its line. */
static struct json_object *format_and_parse(void)
{
	static struct event_text text;
	struct memsight_event ev;

	event_oom_paths(&rec, &text);
	event_oom_kill(&ev, &rec, NULL, NULL, boot_to_realtime_ns, &text);
	ev.node = node;
	return parse_event(&ev);
}

static struct json_object *get(struct json_object *obj, const char *dotted)
{
	char path[256], *save = NULL;

	snprintf(path, sizeof(path), "%s", dotted);
	for (char *key = strtok_r(path, ".", &save); key; key = strtok_r(NULL, ".", &save)) {
		struct json_object *next;

		if (!json_object_object_get_ex(obj, key, &next))
			fail_msg("missing field %s", dotted);
		obj = next;
	}
	return obj;
}

static void expect_u64(struct json_object *obj, const char *dotted, uint64_t value)
{
	struct json_object *field = get(obj, dotted);

	if (!json_object_is_type(field, json_type_int) || json_object_get_uint64(field) != value)
		fail_msg("%s is %s, expected %llu", dotted, json_object_to_json_string(field),
			 (unsigned long long)value);
}

static void expect_str(struct json_object *obj, const char *dotted, const char *value)
{
	assert_string_equal(json_object_get_string(get(obj, dotted)), value);
}

static void test_memcg_kill_has_every_field(void **state)
{
	struct json_object *obj;

	memcg_kill_record();
	obj = format_and_parse();
	expect_u64(obj, "v", 1);
	expect_str(obj, "type", "oom_kill");
	expect_str(obj, "node", "node-1");
	expect_str(obj, "ts", "2026-11-27T08:00:00.123456789Z");
	expect_u64(obj, "cgroup.id", 3071);
	expect_str(obj, "cgroup.path", "/kubepods/burstable/pod1/abcd");
	expect_u64(obj, "victim.pid", 4242);
	expect_u64(obj, "victim.tid", 4243);
	expect_str(obj, "victim.comm", "a\"b\\c\nd\x1b");
	expect_u64(obj, "victim.uid", 1000);
	assert_int_equal(json_object_get_int(get(obj, "victim.oom_score_adj")), -998);
	expect_u64(obj, "victim.rss_anon_bytes", 66715648);
	expect_u64(obj, "victim.rss_file_bytes", 1363968);
	expect_u64(obj, "victim.rss_shmem_bytes", 4096);
	expect_u64(obj, "victim.pgtables_bytes", 167936);
	expect_u64(obj, "victim.total_vm_bytes", 69509120);
	expect_u64(obj, "trigger.pid", 77);
	expect_str(obj, "trigger.comm", "stress");
	expect_u64(obj, "trigger.cgroup.id", 12);
	expect_str(obj, "trigger.cgroup.path", "/kubepods/other");
	expect_str(obj, "constraint", "memcg");
	expect_u64(obj, "memcg.usage_bytes", 67100000);
	expect_u64(obj, "memcg.limit_bytes", 67108864);
	expect_str(obj, "memcg.read_at", "kill");
	/* distance 1: the pod's memcg held the limit */
	expect_str(obj, "constraint_cgroup.path", "/kubepods/burstable/pod1");
	expect_u64(obj, "constraint_cgroup.limit_bytes", 134217728);
	expect_str(obj, "source", "tp_btf/mark_victim");
	json_object_put(obj);
}

static void test_global_kill_unknowns_are_null(void **state)
{
	struct json_object *obj, *unused;

	memcg_kill_record();
	rec.constraint = MEMSIGHT_OOM_CONSTRAINT_GLOBAL;
	rec.flags = MEMSIGHT_OOM_MEMCG_UNLIMITED | MEMSIGHT_OOM_VICTIM_MEMCG_AT_EXIT;
	rec.source = MEMSIGHT_OOM_SOURCE_TRACEPOINT;
	obj = format_and_parse();
	expect_str(obj, "constraint", "global");
	assert_false(json_object_object_get_ex(obj, "constraint_cgroup", &unused));
	assert_true(json_object_is_type(get(obj, "memcg.limit_bytes"), json_type_null));
	assert_true(json_object_is_type(get(obj, "victim.rss_anon_bytes"), json_type_null));
	expect_str(obj, "memcg.read_at", "victim_exit");
	expect_str(obj, "source", "tracepoint/oom/mark_victim");
	json_object_put(obj);
}

static void test_hostile_cgroup_and_unterminated_comm(void **state)
{
	static const char *const names[] = { "evil\"}\n{\"type\":\"x\xff" };
	struct json_object *obj;

	memcg_kill_record();
	set_names(&rec.victim_cgroup, 1, names);
	memset(rec.victim_comm, 'Z', sizeof(rec.victim_comm)); /* no NUL */
	obj = format_and_parse();
	expect_str(obj, "cgroup.path", "/evil\"}\n{\"type\":\"x\xef\xbf\xbd");
	expect_str(obj, "victim.comm", "ZZZZZZZZZZZZZZZZ");
	expect_str(obj, "type", "oom_kill");
	json_object_put(obj);
}

static void test_constraint_above_captured_levels(void **state)
{
	struct json_object *obj;

	memcg_kill_record();
	rec.constraint_distance = 9;
	obj = format_and_parse();
	assert_true(json_object_is_type(get(obj, "constraint_cgroup.path"), json_type_null));
	expect_u64(obj, "constraint_cgroup.id", 900);
	json_object_put(obj);
}

static void test_agent_stats(void **state)
{
	static const struct memsight_program_stats programs[] = {
		{ "oom_mark_victim_btf", 17, 2, 30000 },
	};
	static const struct memsight_state_errors errors[] = {
		{ "docker", "malformed", 2 },
		{ "cri-o", "not_found", 1 },
		{ "cri-o", "too_large", 4 },
	};
	struct memsight_event ev = {
		.type = MEMSIGHT_EVENT_AGENT_STATS,
		.ts_ns = 1795766400000000000LL,
		.node = node,
		.agent_stats = {
			.interval_ns = 1000000000ULL,
			.events_received = 3,
			.events_filtered = 9,
			.events_lost = 5,
			.events_lost_interval = 2,
			.oom_kills_lost = 1,
			.events_malformed = 6,
			.fault_samples_suppressed = 8,
			.rss_bytes = 4 << 20,
			.cpu_user_ns = 11,
			.cpu_system_ns = 12,
			.cpu_percent = 0.25,
			.containers_cached = 13,
			.containers_cache_bytes = 14,
			.counting = { 4096, 15, 16, 17, 18, 19 },
			.bpf_stats_enabled = true,
			.programs = programs,
			.program_count = 1,
			.state_errors = errors,
			.state_error_count = 3,
		},
	};
	struct json_object *obj, *progs, *errs;

	obj = parse_event(&ev);
	expect_str(obj, "type", "agent_stats");
	expect_str(obj, "node", "node-1");
	expect_str(obj, "ts", "2026-11-27T08:00:00.000000000Z");
	expect_u64(obj, "interval_ns", 1000000000ULL);
	expect_u64(obj, "events.received_total", 3);
	expect_u64(obj, "events.filtered_total", 9);
	expect_u64(obj, "events.lost_total", 5);
	expect_u64(obj, "events.lost", 2);
	expect_u64(obj, "events.oom_kills_lost_total", 1);
	expect_u64(obj, "events.malformed_total", 6);
	expect_u64(obj, "events.samples_suppressed_total", 8);
	expect_u64(obj, "counting.slots", 4096);
	expect_u64(obj, "counting.slots_in_use", 15);
	expect_u64(obj, "counting.slots_retired_total", 16);
	expect_u64(obj, "counting.resyncs_total", 17);
	expect_u64(obj, "counting.failed_reads_total", 18);
	expect_u64(obj, "counting.lost_total", 19);
	expect_u64(obj, "containers.cached", 13);
	expect_u64(obj, "containers.cache_bytes", 14);
	expect_u64(obj, "process.rss_bytes", 4 << 20);
	expect_u64(obj, "process.cpu_user_ns", 11);
	expect_u64(obj, "process.cpu_system_ns", 12);
	assert_true(json_object_get_double(get(obj, "process.cpu_percent")) == 0.25);
	assert_true(json_object_get_boolean(get(obj, "bpf.stats_enabled")));
	progs = get(obj, "bpf.programs");
	assert_int_equal(json_object_array_length(progs), 1);
	expect_str(json_object_array_get_idx(progs, 0), "name", "oom_mark_victim_btf");
	expect_u64(json_object_array_get_idx(progs, 0), "id", 17);
	expect_u64(json_object_array_get_idx(progs, 0), "run_count", 2);
	expect_u64(json_object_array_get_idx(progs, 0), "run_time_ns", 30000);
	/* runtime state failures: only the runtimes and reasons that happened */
	expect_u64(obj, "containers.state_errors_total.docker.malformed", 2);
	expect_u64(obj, "containers.state_errors_total.cri-o.not_found", 1);
	expect_u64(obj, "containers.state_errors_total.cri-o.too_large", 4);
	errs = get(obj, "containers.state_errors_total");
	assert_int_equal(json_object_object_length(errs), 2);
	assert_int_equal(
		json_object_object_length(get(obj, "containers.state_errors_total.docker")), 1);
	json_object_put(obj);

	/* none: an empty object, so the field is always there */
	ev.agent_stats.state_error_count = 0;
	obj = parse_event(&ev);
	assert_int_equal(json_object_object_length(get(obj, "containers.state_errors_total")), 0);
	json_object_put(obj);
}

static const struct memsight_container docker_web = {
	.known = true,
	.runtime = "docker",
	.id = "abc",
	.name = "web",
	.pod = "",
	.pod_namespace = "",
	.pod_uid = "",
	.qos = "",
	.image = "nginx:1",
};

static void test_container_stats(void **state)
{
	static const struct memsight_fault_process top[] = { { 77, "we\"ird", 25000, 3 } };
	static const uint64_t hist[MEMSIGHT_RECLAIM_BUCKETS] = { [10] = 2, [12] = 1 };
	struct memsight_event ev = {
		.type = MEMSIGHT_EVENT_CONTAINER_STATS,
		.ts_ns = 1795766400000000000LL,
		.node = node,
		.container_stats = {
			.cgroup = { 99, "/docker/abc" },
			.container = docker_web,
			.interval_ns = 1000000000ULL,
			.faults_minor = 25600,
			.faults_major = 3,
			.faults_source = "tp_btf/count_memcg_events",
			.fault_top = top,
			.fault_top_count = 1,
			.has_usage = true,
			.usage_bytes = 4096,
			.has_high = true,
			.high_bytes = 8192,
			.has_charges = true,
			.charged_bytes = { 3000000000ULL, 0, 0, 0, 5 },
			.uncharged_bytes = { 0, 1000000000ULL, 0, 0, 5 },
			.charge_source = "tp_btf/mod_memcg_state + mod_memcg_lruvec_state",
			.reclaim_count = 3,
			.reclaim_stall_ns = 7000,
			.reclaim_histogram = hist,
			.reclaim_buckets = MEMSIGHT_RECLAIM_BUCKETS,
		},
	};
	struct json_object *obj;

	obj = parse_event(&ev);
	expect_str(obj, "type", "container_stats");
	expect_u64(obj, "interval_ns", 1000000000ULL);
	expect_u64(obj, "cgroup.id", 99);
	expect_str(obj, "cgroup.path", "/docker/abc");
	expect_str(obj, "container.name", "web");
	expect_str(obj, "container.runtime", "docker");
	expect_str(obj, "container.id", "abc");
	expect_str(obj, "container.image", "nginx:1");
	assert_true(json_object_is_type(get(obj, "container.pod"), json_type_null));
	assert_false(json_object_get_boolean(get(obj, "container.exited")));
	expect_u64(obj, "faults.minor", 25600);
	expect_u64(obj, "faults.major", 3);
	expect_str(obj, "faults.source", "tp_btf/count_memcg_events");
	expect_u64(json_object_array_get_idx(get(obj, "faults.top"), 0), "pid", 77);
	expect_str(json_object_array_get_idx(get(obj, "faults.top"), 0), "comm", "we\"ird");
	expect_u64(json_object_array_get_idx(get(obj, "faults.top"), 0), "minor", 25000);
	expect_u64(json_object_array_get_idx(get(obj, "faults.top"), 0), "major", 3);
	expect_u64(obj, "memory.usage_bytes", 4096);
	expect_u64(obj, "memory.high_bytes", 8192);
	expect_u64(obj, "charge.anon.charged_bytes", 3000000000ULL);
	expect_u64(obj, "charge.file.uncharged_bytes", 1000000000ULL);
	expect_u64(obj, "charge.sock.charged_bytes", 5);
	expect_str(obj, "charge.source", "tp_btf/mod_memcg_state + mod_memcg_lruvec_state");
	expect_u64(obj, "growth_bytes_per_sec", 2000000000ULL); /* net 2 GB over 1 s */
	expect_u64(obj, "reclaim.count", 3);
	expect_u64(obj, "reclaim.stall_ns", 7000);
	assert_int_equal(json_object_array_length(get(obj, "reclaim.histogram")), 2);
	expect_u64(json_object_array_get_idx(get(obj, "reclaim.histogram"), 0), "le_ns", 2047);
	expect_u64(json_object_array_get_idx(get(obj, "reclaim.histogram"), 1), "le_ns", 8191);
	expect_u64(json_object_array_get_idx(get(obj, "reclaim.histogram"), 1), "count", 1);
	assert_true(json_object_is_type(get(obj, "memory.limit_bytes"), json_type_null));
	json_object_put(obj);

	/* A cgroup never named: path null, no container object, no growth without charges. */
	ev.container_stats.cgroup.path = "";
	ev.container_stats.has_charges = false;
	obj = parse_event(&ev);
	assert_true(json_object_is_type(get(obj, "cgroup.path"), json_type_null));
	assert_false(json_object_object_get_ex(obj, "container", NULL));
	assert_true(json_object_is_type(get(obj, "growth_bytes_per_sec"), json_type_null));
	json_object_put(obj);
}

static void test_fault_sample(void **state)
{
	struct memsight_fault_sample_record sample = {
		.hdr = { MEMSIGHT_RECORD_FAULT_SAMPLE, MEMSIGHT_RECORD_VERSION, 100000000000ULL },
		.pid = 5,
		.tid = 6,
		.comm = "hog",
		.address = 0x7f0000001000ULL,
		.ip = 0x401000,
		.cgroup_id = 12,
		.access = MEMSIGHT_FAULT_WRITE | MEMSIGHT_FAULT_USER,
	};
	struct memsight_event ev;
	struct event_text text;
	struct json_object *obj;

	event_fault_sample(&ev, &sample, NULL, NULL, boot_to_realtime_ns, &text);
	ev.node = node;
	obj = parse_event(&ev);
	expect_str(obj, "type", "fault_sample");
	expect_str(obj, "ts", "2026-11-27T08:00:00.000000000Z");
	assert_true(json_object_is_type(get(obj, "cgroup.path"), json_type_null));
	expect_u64(obj, "address", 0x7f0000001000ULL);
	expect_str(obj, "access", "write");
	expect_str(obj, "mode", "user");
	json_object_put(obj);
}

static void test_fault_sample_by_hand(void **state)
{
	struct memsight_event ev = {
		.type = MEMSIGHT_EVENT_FAULT_SAMPLE,
		.ts_ns = 1795766400000000001LL,
		.node = node,
		.fault_sample = {
			.cgroup = { 12, "/docker/abc" },
			.container = docker_web,
			.pid = 5,
			.tid = 6,
			.comm = "hog",
			.address = 0x7f0000001000ULL,
			.ip = 0x401000,
			.exec = true,
			.protection = true,
		},
	};
	struct json_object *obj = parse_event(&ev);

	expect_str(obj, "ts", "2026-11-27T08:00:00.000000001Z");
	expect_u64(obj, "cgroup.id", 12);
	expect_str(obj, "container.name", "web");
	expect_u64(obj, "pid", 5);
	expect_u64(obj, "tid", 6);
	expect_str(obj, "comm", "hog");
	expect_u64(obj, "ip", 0x401000);
	expect_str(obj, "access", "exec");
	expect_str(obj, "mode", "kernel");
	assert_true(json_object_get_boolean(get(obj, "protection")));
	json_object_put(obj);
}

/* What event_oom_kill() makes of memcg_kill_record(), written out by hand. */
static void hand_made_kill(struct memsight_event *ev)
{
	static const struct memsight_container none = {
		.runtime = "none",
		.id = "",
		.name = "",
		.pod = "",
		.pod_namespace = "",
		.pod_uid = "",
		.qos = "",
		.image = "",
	};

	*ev = (struct memsight_event){
		.type = MEMSIGHT_EVENT_OOM_KILL,
		.ts_ns = 1795766400123456789LL,
		.node = node,
		.oom_kill = {
			.cgroup = { 3071, "/kubepods/burstable/pod1/abcd" },
			.container = none,
			.victim_pid = 4242, .victim_tid = 4243, .victim_uid = 1000,
			.victim_oom_score_adj = -998,
			.victim_comm = "a\"b\\c\nd\x1b",
			.has_rss = true,
			.rss_anon_bytes = 66715648, .rss_file_bytes = 1363968,
			.rss_shmem_bytes = 4096, .pgtables_bytes = 167936,
			.total_vm_bytes = 69509120,
			.trigger_pid = 77, .trigger_tid = 78,
			.trigger_comm = "stress",
			.trigger_cgroup = { 12, "/kubepods/other" },
			.trigger_container = none,
			.constraint = "memcg",
			.has_limit = true,
			.usage_bytes = 67100000, .limit_bytes = 67108864,
			.read_at = "kill",
			.has_constraint_cgroup = true,
			.constraint_cgroup = { 900, "/kubepods/burstable/pod1" },
			.constraint_usage_bytes = 134000000,
			.constraint_limit_bytes = 134217728,
			.source = "tp_btf/mark_victim",
		},
	};
}

/* ev's line in buf, as memsight_event_json() gives it. */
static void line_of(const struct memsight_event *ev, char *buf, size_t len)
{
	struct jsonw w;

	jsonw_init(&w);
	assert_int_equal(event_json(&w, ev), 0);
	assert_true(w.out.len < len);
	memcpy(buf, w.out.buf, w.out.len + 1);
	jsonw_free(&w);
}

/* A consumer's event and the agent's, field for field the same, write the same line. */
static void test_oom_kill_by_hand(void **state)
{
	static struct event_text text;
	struct memsight_event from_record, by_hand;
	char a[4096], b[4096];
	struct json_object *obj;

	memcg_kill_record();
	event_oom_paths(&rec, &text);
	event_oom_kill(&from_record, &rec, NULL, NULL, boot_to_realtime_ns, &text);
	from_record.node = node;
	hand_made_kill(&by_hand);
	line_of(&from_record, a, sizeof(a));
	line_of(&by_hand, b, sizeof(b));
	assert_string_equal(a, b);

	obj = parse_event(&by_hand);
	expect_str(obj, "container.runtime", "none");
	expect_u64(obj, "trigger.tid", 78);
	expect_str(obj, "trigger.container.runtime", "none");
	expect_u64(obj, "constraint_cgroup.id", 900);
	expect_str(obj, "constraint_cgroup.path", "/kubepods/burstable/pod1");
	expect_u64(obj, "constraint_cgroup.usage_bytes", 134000000);
	expect_u64(obj, "constraint_cgroup.limit_bytes", 134217728);
	expect_str(obj, "memcg.read_at", "kill");
	json_object_put(obj);
}

static void test_cgroup_change_by_hand(void **state)
{
	struct memsight_event ev = {
		.type = MEMSIGHT_EVENT_CGROUP,
		.ts_ns = 1795766400000000000LL,
		.node = node,
		.cgroup = { .cgroup = { 7, "/docker/abc" },
			    .container = docker_web,
			    .removed = true },
	};
	struct json_object *obj = parse_event(&ev);

	expect_str(obj, "type", "cgroup");
	expect_u64(obj, "cgroup.id", 7);
	expect_str(obj, "container.name", "web");
	expect_str(obj, "change", "removed");
	json_object_put(obj);
}

static void test_unknown_type_is_refused(void **state)
{
	struct memsight_event ev = { .type = 99, .node = node };
	struct jsonw w;

	jsonw_init(&w);
	assert_int_equal(event_json(&w, &ev), -EINVAL);
	assert_int_equal(event_json(&w, NULL), -EINVAL);
	jsonw_free(&w);
}

static void test_timestamps(void **state)
{
	char buf[RFC3339_NS_LEN];

	assert_string_equal(format_rfc3339_ns(0, buf, sizeof(buf)),
			    "1970-01-01T00:00:00.000000000Z");
	assert_string_equal(format_rfc3339_ns(951782400000000001LL, buf, sizeof(buf)),
			    "2000-02-29T00:00:00.000000001Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcg_kill_has_every_field),
		cmocka_unit_test(test_global_kill_unknowns_are_null),
		cmocka_unit_test(test_hostile_cgroup_and_unterminated_comm),
		cmocka_unit_test(test_constraint_above_captured_levels),
		cmocka_unit_test(test_agent_stats),
		cmocka_unit_test(test_container_stats),
		cmocka_unit_test(test_fault_sample),
		cmocka_unit_test(test_fault_sample_by_hand),
		cmocka_unit_test(test_oom_kill_by_hand),
		cmocka_unit_test(test_cgroup_change_by_hand),
		cmocka_unit_test(test_unknown_type_is_refused),
		cmocka_unit_test(test_timestamps),
	};

	return cmocka_run_group_tests_name("event_json", tests, NULL, NULL);
}
