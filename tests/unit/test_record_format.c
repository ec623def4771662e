// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* oom_kill and agent_stats lines, parsed back with json-c and checked field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "record_format.h"

static const struct format_context ctx = {
	.node = "node-1",
	/* 2026-11-27T08:00:00Z minus a boot time of 100 s */
	.boot_to_realtime_ns = 1795766400000000000LL - 100000000000LL,
};

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

static struct json_object *format_and_parse(void)
{
	struct json_object *obj;
	struct jsonw w;

	jsonw_init(&w);
	format_oom_record(&w, &rec, NULL, NULL, &ctx);
	assert_false(w.out.failed);
	assert_null(strchr(w.out.buf, '\n'));
	obj = json_tokener_parse(w.out.buf);
	assert_non_null(obj);
	jsonw_free(&w);
	return obj;
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
	struct agent_stats stats = {
		.realtime_ns = 1795766400000000000LL,
		.interval_ns = 1000000000ULL,
		.records_total = 3,
		.lost_total = 5,
		.lost_interval = 2,
		.rss_bytes = 4 << 20,
		.cpu_percent = 0.25,
		.bpf_stats_enabled = true,
		.program_count = 1,
		.programs = { { "oom_mark_victim_btf", 17, 2, 30000 } },
		.state_errors.count = { [RUNTIME_DOCKER] = { [STATE_MALFORMED] = 2 },
					[RUNTIME_CRIO] = { [STATE_NOT_FOUND] = 1,
							   [STATE_TOO_LARGE] = 4 } },
	};
	struct json_object *obj, *progs, *errors;
	struct jsonw w;

	jsonw_init(&w);
	format_agent_stats(&w, &stats, &ctx);
	obj = json_tokener_parse(w.out.buf);
	assert_non_null(obj);
	expect_str(obj, "type", "agent_stats");
	expect_str(obj, "ts", "2026-11-27T08:00:00.000000000Z");
	expect_u64(obj, "events.lost_total", 5);
	expect_u64(obj, "events.lost", 2);
	expect_u64(obj, "process.rss_bytes", 4 << 20);
	progs = get(obj, "bpf.programs");
	assert_int_equal(json_object_array_length(progs), 1);
	expect_u64(json_object_array_get_idx(progs, 0), "run_time_ns", 30000);
	/* runtime state failures: only the runtimes and reasons that happened */
	expect_u64(obj, "containers.state_errors_total.docker.malformed", 2);
	expect_u64(obj, "containers.state_errors_total.cri-o.not_found", 1);
	expect_u64(obj, "containers.state_errors_total.cri-o.too_large", 4);
	errors = get(obj, "containers.state_errors_total");
	assert_int_equal(json_object_object_length(errors), 2);
	assert_int_equal(
		json_object_object_length(get(obj, "containers.state_errors_total.docker")), 1);
	json_object_put(obj);

	/* none: an empty object, so the field is always there */
	memset(&stats.state_errors, 0, sizeof(stats.state_errors));
	format_agent_stats(&w, &stats, &ctx);
	obj = json_tokener_parse(w.out.buf);
	assert_non_null(obj);
	assert_int_equal(json_object_object_length(get(obj, "containers.state_errors_total")), 0);
	json_object_put(obj);
	jsonw_free(&w);
}

static void test_container_stats(void **state)
{
	struct container_info info = { .runtime = RUNTIME_DOCKER };
	struct container_stats stats = {
		.realtime_ns = 1795766400000000000LL,
		.interval_ns = 1000000000ULL,
		.cgroup_id = 99,
		.path = "/docker/abc",
		.container = &info,
		.faults_minor = 25600,
		.faults_major = 3,
		.faults_source = "tp_btf/count_memcg_events",
		.top_count = 1,
		.top = { { 77, "we\"ird", 25000, 3 } },
		.has_usage = true,
		.usage_bytes = 4096,
		.has_charges = true,
		.charge_source = "tp_btf/mod_memcg_state + mod_memcg_lruvec_state",
		.charged = { 3000000000ULL },
		.uncharged = { 0, 1000000000ULL },
		.reclaim_count = 3,
		.reclaim_stall_ns = 7000,
		.reclaim_hist = { [10] = 2, [12] = 1 },
	};
	struct json_object *obj;
	struct jsonw w;

	snprintf(info.meta.name, sizeof(info.meta.name), "web");
	jsonw_init(&w);
	format_container_stats(&w, &stats, &ctx);
	obj = json_tokener_parse(w.out.buf);
	assert_non_null(obj);
	expect_str(obj, "type", "container_stats");
	expect_u64(obj, "cgroup.id", 99);
	expect_str(obj, "container.name", "web");
	expect_u64(obj, "faults.minor", 25600);
	expect_u64(obj, "faults.major", 3);
	expect_str(obj, "faults.source", "tp_btf/count_memcg_events");
	expect_u64(json_object_array_get_idx(get(obj, "faults.top"), 0), "pid", 77);
	expect_str(json_object_array_get_idx(get(obj, "faults.top"), 0), "comm", "we\"ird");
	expect_u64(obj, "memory.usage_bytes", 4096);
	expect_u64(obj, "charge.anon.charged_bytes", 3000000000ULL);
	expect_u64(obj, "charge.file.uncharged_bytes", 1000000000ULL);
	expect_u64(obj, "growth_bytes_per_sec", 2000000000ULL); /* net 2 GB over 1 s */
	expect_u64(obj, "reclaim.count", 3);
	assert_int_equal(json_object_array_length(get(obj, "reclaim.histogram")), 2);
	expect_u64(json_object_array_get_idx(get(obj, "reclaim.histogram"), 0), "le_ns", 2047);
	assert_true(json_object_is_type(get(obj, "memory.limit_bytes"), json_type_null));
	json_object_put(obj);
	jsonw_free(&w);
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
	struct json_object *obj;
	struct jsonw w;

	jsonw_init(&w);
	format_fault_sample(&w, &sample, NULL, NULL, &ctx);
	obj = json_tokener_parse(w.out.buf);
	assert_non_null(obj);
	expect_str(obj, "type", "fault_sample");
	expect_str(obj, "ts", "2026-11-27T08:00:00.000000000Z");
	assert_true(json_object_is_type(get(obj, "cgroup.path"), json_type_null));
	expect_u64(obj, "address", 0x7f0000001000ULL);
	expect_str(obj, "access", "write");
	expect_str(obj, "mode", "user");
	json_object_put(obj);
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
		cmocka_unit_test(test_timestamps),
	};

	return cmocka_run_group_tests_name("record_format", tests, NULL, NULL);
}
