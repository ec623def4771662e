// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "duration.h"

static void expect_ns(const char *text, uint64_t ns)
{
	uint64_t got = 0;

	assert_int_equal(duration_parse(text, &got), 0);
	assert_true(got == ns);
}

static void test_units(void **state)
{
	expect_ns("1s", 1000000000ULL);
	expect_ns("500ms", 500000000ULL);
	expect_ns("250us", 250000ULL);
	expect_ns("7ns", 7ULL);
	expect_ns("2m", 120000000000ULL);
	expect_ns("1h", 3600000000000ULL);
	expect_ns("1h30m", 5400000000000ULL);
	expect_ns("1m500ms", 60500000000ULL);
	expect_ns("0s", 0);
	expect_ns("7d", 7ULL * 86400000000000ULL);
	expect_ns("1w", 7ULL * 86400000000000ULL);
	expect_ns("1d12h", 36ULL * 3600000000000ULL);
}

static void test_fractions_and_bare_seconds(void **state)
{
	expect_ns("1.5s", 1500000000ULL);
	expect_ns("0.25s", 250000000ULL);
	expect_ns(".5s", 500000000ULL);
	expect_ns("3", 3000000000ULL);
	expect_ns("2.5", 2500000000ULL);
}

static void test_rejects(void **state)
{
	static const char *bad[] = {
		"", "banana", "-5s", "5x", "s", "1s2", "1 s", "+1s", "1..5s", ".s", "5sec", "1e3s",
	};
	uint64_t ns;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = duration_parse(bad[i], &ns);

		if (ret != -EINVAL)
			fail_msg("'%s' gave %d, expected -EINVAL", bad[i], ret);
	}
}

static void test_overflow(void **state)
{
	uint64_t ns;

	assert_int_equal(duration_parse("99999999999999999999s", &ns), -ERANGE);
	assert_int_equal(duration_parse("6000000h", &ns), -ERANGE);
	assert_int_equal(duration_parse("5000000h5000000h", &ns), -ERANGE);
	/* the whole part fits, the fraction tips it over */
	assert_int_equal(duration_parse("18446744073.9s", &ns), -ERANGE);
}

static void test_format(void **state)
{
	char buf[32];

	assert_string_equal(duration_format(1000000000ULL, buf, sizeof(buf)), "1s");
	assert_string_equal(duration_format(250000000ULL, buf, sizeof(buf)), "250ms");
	assert_string_equal(duration_format(1500000000ULL, buf, sizeof(buf)), "1.500s");
	assert_string_equal(duration_format(1500ULL, buf, sizeof(buf)), "1500ns");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),	cmocka_unit_test(test_fractions_and_bare_seconds),
		cmocka_unit_test(test_rejects), cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
