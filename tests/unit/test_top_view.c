// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memsight top's table: rates, names, sorting, filtering, layout by width, header inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "top_view.h"

#define SEC 1000000000ULL
#define MIB (1024ULL * 1024)

static struct aggregate_entry entry(const char *path, uint64_t usage, uint64_t minor)
{
	return (struct aggregate_entry){
		.cgroup_id = usage + minor,
		.path = (char *)path,
		.has_usage = true,
		.usage_bytes = usage,
		.has_limit = true,
		.limit_bytes = 200 * MIB,
		.interval_minor = minor,
		.interval_net_charge = (int64_t)(4 * MIB),
		.interval_stall_ns = 50000000,
	};
}

static void test_rates_are_per_second(void **state)
{
	struct aggregate_entry e = entry("/a", 100 * MIB, 3000);
	const struct aggregate_entry *entries[] = { &e };
	struct top_row row;

	e.oom_kills = 2;
	e.last_oom_realtime_ns = 100 * (int64_t)SEC;
	top_rows_build(entries, 1, 2 * SEC, 190 * (int64_t)SEC, &row);
	assert_true(row.minor_per_sec == 1500);
	assert_true(row.growth == 2 * MIB);
	assert_true(row.stall_ms_per_sec == 25);
	assert_true(row.percent == 50);
	assert_int_equal(row.last_oom_age_s, 90);
	assert_string_equal(row.name, "/a");
	assert_false(row.is_container);
}

/* The kernel's gauges give an idle row its working set without the rest of memory.stat. */
static void test_working_set_from_the_gauges_alone(void **state)
{
	struct aggregate_entry e = entry("/a", 100 * MIB, 0), none = entry("/b", MIB, 0);
	const struct aggregate_entry *entries[] = { &e, &none };
	struct top_layout layout;
	struct top_row rows[2];
	struct strbuf out;

	aggregate_entry_working_set(&e, 30 * MIB);
	assert_false(e.has_detail);
	top_rows_build(entries, 2, SEC, 0, rows);
	assert_true(rows[0].has_working_set);
	assert_true(rows[0].working_set_bytes == 30 * MIB);
	assert_false(rows[1].has_working_set);
	strbuf_init(&out);
	top_layout_for(&layout, 200);
	top_format_row(&out, &layout, &rows[0]);
	top_format_row(&out, &layout, &rows[1]);
	assert_non_null(strstr(out.buf, " 30M "));
	/* the second row's working set cell is "-", right-aligned like the others */
	assert_non_null(strstr(strchr(out.buf, '\n'), "- "));
	strbuf_free(&out);
}

static void test_names_say_what_a_person_knows(void **state)
{
	struct aggregate_entry k8s = entry("/kubepods/x", 1, 1), docker = k8s, unit = k8s,
			       bare = k8s;
	const struct aggregate_entry *entries[] = { &k8s, &docker, &unit, &bare };
	struct top_row rows[4];

	k8s.has_container = docker.has_container = unit.has_container = bare.has_container = true;
	k8s.container.runtime = RUNTIME_CONTAINERD;
	strcpy(k8s.container.meta.namespace, "shop");
	strcpy(k8s.container.meta.pod, "cart-7d4b9");
	strcpy(k8s.container.meta.name, "app");
	docker.container.runtime = RUNTIME_DOCKER;
	strcpy(docker.container.meta.name, "web");
	unit.container.runtime = RUNTIME_SYSTEMD;
	strcpy(unit.container.unit, "nginx.service");
	bare.container.runtime = RUNTIME_CRIO;
	strcpy(bare.container.id, "0123456789abcdef0123");
	bare.removed_ns = 5;
	bare.oom_kills = 1;
	top_rows_build(entries, 4, SEC, 0, rows);
	assert_string_equal(rows[0].name, "shop/cart-7d4b9/app");
	assert_true(rows[0].is_container);
	assert_string_equal(rows[1].name, "web");
	assert_string_equal(rows[2].name, "nginx.service");
	assert_false(rows[2].is_container);
	assert_string_equal(rows[3].name, "cri-o:0123456789ab");
	assert_true(rows[3].exited);
}

static void test_names_are_terminal_safe(void **state)
{
	struct aggregate_entry e = entry("/evil\x1b[31mred\x07\x9b\xff-\xc3\xa9t\xc3\xa9", 1, 1);
	const struct aggregate_entry *entries[] = { &e };
	struct top_row row;

	top_rows_build(entries, 1, SEC, 0, &row);
	/* ESC, BEL, a C1 control (U+009B as its raw byte is malformed) and 0xff: '?' */
	assert_string_equal(row.name, "/evil?[31mred?"
				      "?"
				      "?-\xc3\xa9t\xc3\xa9");
	assert_string_equal(row.path, row.name);
}

static void test_sort_and_filter(void **state)
{
	struct aggregate_entry big = entry("/big", 150 * MIB, 10),
			       busy = entry("/busy", 10 * MIB, 9000),
			       killed = entry("/killed", 1, 0);
	const struct aggregate_entry *entries[] = { &big, &busy, &killed };
	struct top_row built[3];
	const struct top_row *rows[3] = { &built[0], &built[1], &built[2] };

	killed.oom_kills = 1;
	top_rows_build(entries, 3, SEC, 0, built);
	top_rows_sort(rows, 3, TOP_SORT_USAGE);
	assert_string_equal(rows[0]->name, "/big");
	top_rows_sort(rows, 3, TOP_SORT_FAULTS);
	assert_string_equal(rows[0]->name, "/busy");
	top_rows_sort(rows, 3, TOP_SORT_OOM);
	assert_string_equal(rows[0]->name, "/killed");
	top_rows_sort(rows, 3, TOP_SORT_NAME);
	assert_string_equal(rows[2]->name, "/killed");
	assert_int_equal(top_rows_filter(rows, 3, "BU"), 1);
	assert_string_equal(rows[0]->name, "/busy");
	/* no rows yet (top before its first container): no array at all */
	top_rows_sort(NULL, 0, TOP_SORT_USAGE);
	assert_int_equal(top_rows_filter(NULL, 0, "x"), 0);
	assert_int_equal(top_sort_from_key('r'), TOP_SORT_RECLAIM);
	assert_int_equal(top_sort_from_key('z'), TOP_SORTS);
}

static void test_narrow_terminals_drop_the_least_important_first(void **state)
{
	struct aggregate_entry e = entry("/a-rather-long-cgroup-name/for/the/test", 100 * MIB, 5);
	const struct aggregate_entry *entries[] = { &e };
	struct top_layout layout;
	struct top_row row;
	struct strbuf out;
	unsigned int widths[] = { 200, 100, 80, 60, 40, 10 };

	top_rows_build(entries, 1, SEC, 0, &row);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		char *line, *save = NULL;

		strbuf_init(&out);
		top_layout_for(&layout, widths[i]);
		top_format_titles(&out, &layout, TOP_SORT_USAGE);
		top_format_row(&out, &layout, &row);
		if (widths[i] == 200)
			assert_non_null(
				strstr(out.buf, "/a-rather-long-cgroup-name/for/the/test\n"));
		for (line = strtok_r(out.buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (widths[i] >= 40 && strlen(line) > widths[i])
				fail_msg("width %u: '%s' is %zu wide", widths[i], line,
					 strlen(line));
		/* usage always stays; the limit column is the first to go */
		assert_non_null(strstr(out.buf, "USAGE"));
		if (widths[i] == 100)
			assert_non_null(strstr(out.buf, "LIMIT"));
		if (widths[i] == 80)
			assert_null(strstr(out.buf, "LIMIT"));
		if (widths[i] == 60) {
			assert_non_null(strstr(out.buf, "%LIM"));
			assert_non_null(strstr(out.buf, "OOM"));
			assert_null(strstr(out.buf, "LASTOOM"));
		}
		strbuf_free(&out);
	}
}

static void test_exited_rows_are_marked(void **state)
{
	struct aggregate_entry e = entry("/gone", 1, 0);
	const struct aggregate_entry *entries[] = { &e };
	struct top_layout layout;
	struct top_row row;
	struct strbuf out;

	e.removed_ns = 1;
	e.oom_kills = 1;
	e.last_oom_realtime_ns = 10 * (int64_t)SEC;
	top_rows_build(entries, 1, SEC, 75 * (int64_t)SEC, &row);
	strbuf_init(&out);
	top_layout_for(&layout, 200);
	top_format_row(&out, &layout, &row);
	/* OOM 1, LASTOOM 65s, WSET unknown, TO-LIM blank (not growing), then the name */
	assert_non_null(
		strstr(out.buf, " 1      65s       -         /gone [exited: OOM-killed]\n"));
	strbuf_free(&out);
}

static void test_humanized_figures(void **state)
{
	char buf[16];

	top_format_bytes(buf, sizeof(buf), 512);
	assert_string_equal(buf, "512");
	top_format_bytes(buf, sizeof(buf), 1.5 * 1024 * 1024 * 1024);
	assert_string_equal(buf, "1.5G");
	top_format_bytes(buf, sizeof(buf), -3.0 * MIB);
	assert_string_equal(buf, "-3.0M");
	top_format_bytes(buf, sizeof(buf), 812 * MIB);
	assert_string_equal(buf, "812M");
	top_format_rate(buf, sizeof(buf), 0.01);
	assert_string_equal(buf, "0");
	top_format_rate(buf, sizeof(buf), 40200);
	assert_string_equal(buf, "40.2k");
	top_format_rate(buf, sizeof(buf), 2.5e7);
	assert_string_equal(buf, "25.0M");
}

static void test_header_inputs(void **state)
{
	/* as this kernel and 5.10 write them */
	const char *meminfo = "MemTotal:       24684084 kB\nMemFree:        21346896 kB\n"
			      "MemAvailable:   23510268 kB\nBuffers:          123 kB\n";
	const char *psi = "some avg10=1.25 avg60=0.50 avg300=0.10 total=2611727\n"
			  "full avg10=0.75 avg60=0.00 avg300=0.00 total=2484980\n";
	uint64_t total, avail;
	double some, full;

	assert_true(top_parse_meminfo(meminfo, &total, &avail));
	assert_true(total == 24684084ULL * 1024 && avail == 23510268ULL * 1024);
	assert_false(top_parse_meminfo("MemTotal: 1 kB\n", &total, &avail));
	assert_true(top_parse_psi(psi, &some, &full));
	assert_true(some == 1.25 && full == 0.75);
	assert_false(top_parse_psi("", &some, &full));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_are_per_second),
		cmocka_unit_test(test_working_set_from_the_gauges_alone),
		cmocka_unit_test(test_names_say_what_a_person_knows),
		cmocka_unit_test(test_names_are_terminal_safe),
		cmocka_unit_test(test_sort_and_filter),
		cmocka_unit_test(test_narrow_terminals_drop_the_least_important_first),
		cmocka_unit_test(test_exited_rows_are_marked),
		cmocka_unit_test(test_humanized_figures),
		cmocka_unit_test(test_header_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
