// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON writer and escaping, checked by parsing the output back with json-c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "jsonw.h"

/* Escapes raw into a JSON string, parses it with json-c, returns the decoded text. */
static char *round_trip(const char *raw, size_t len)
{
	static char decoded[1024];
	struct json_object *obj;
	struct jsonw w;

	jsonw_init(&w);
	jsonw_object_begin(&w, NULL);
	jsonw_string_n(&w, "s", raw, len);
	jsonw_object_end(&w);
	assert_false(w.out.failed);
	obj = json_tokener_parse(w.out.buf);
	assert_non_null(obj);
	snprintf(decoded, sizeof(decoded), "%s",
		 json_object_get_string(json_object_object_get(obj, "s")));
	json_object_put(obj);
	jsonw_free(&w);
	return decoded;
}

static void test_hostile_comm_round_trips(void **state)
{
	/* quote, backslash, newline, escape byte: a name a workload can choose */
	const char comm[] = "a\"b\\c\nd\x1b"
			    "e";

	assert_string_equal(round_trip(comm, strlen(comm)), comm);
}

static void test_every_control_byte_is_escaped(void **state)
{
	char raw[33], out[256];
	size_t n;

	for (int i = 0; i < 32; i++)
		raw[i] = (char)(i + 1 == 32 ? 0x7f : i + 1);
	raw[32] = '\0';
	n = json_escape(out, sizeof(out), raw, 32);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		assert_true((unsigned char)out[i] >= 0x20 && (unsigned char)out[i] != 0x7f);
	assert_string_equal(round_trip(raw, 32), raw);
}

static void test_invalid_utf8_becomes_replacement(void **state)
{
	/* lone continuation, overlong '/', truncated 3-byte, UTF-16 surrogate, > U+10FFFF */
	static const struct {
		const char *raw;
		const char *expected;
	} cases[] = {
		{ "x\x80y", "x\xef\xbf\xbdy" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(round_trip(cases[i].raw, strlen(cases[i].raw)),
				    cases[i].expected);
}

static void test_valid_utf8_passes_through(void **state)
{
	const char *text = "pod-\xc3\xa9t\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x90\xb3";
	char out[128];
	size_t n = json_escape(out, sizeof(out), text, strlen(text));

	assert_int_equal(n, strlen(text));
	assert_memory_equal(out, text, n);
}

static void test_line_separators_escaped(void **state)
{
	char out[64];
	size_t n = json_escape(out, sizeof(out), "a\xe2\x80\xa8z", 5);

	out[n] = '\0';
	assert_string_equal(out, "a\\u2028z");
}

static void test_too_small_buffer_reports_need(void **state)
{
	char out[4] = "zzz";

	assert_int_equal(json_escape(out, sizeof(out), "\"\"\"", 3), 6);
	assert_string_equal(out, "zzz");
}

static void test_nesting_and_types(void **state)
{
	struct json_object *obj, *arr;
	struct jsonw w;

	jsonw_init(&w);
	jsonw_object_begin(&w, NULL);
	jsonw_u64(&w, "big", UINT64_MAX);
	jsonw_i64(&w, "neg", -1000);
	jsonw_null(&w, "none");
	jsonw_bool(&w, "yes", true);
	jsonw_double(&w, "nan", 0.0 / 0.0, 2);
	jsonw_array_begin(&w, "list");
	jsonw_u64(&w, NULL, 1);
	jsonw_object_begin(&w, NULL);
	jsonw_string(&w, "k", "v");
	jsonw_object_end(&w);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	assert_false(w.out.failed);
	assert_string_equal(w.out.buf, "{\"big\":18446744073709551615,\"neg\":-1000,\"none\":null,"
				       "\"yes\":true,\"nan\":null,\"list\":[1,{\"k\":\"v\"}]}");
	obj = json_tokener_parse(w.out.buf);
	assert_non_null(obj);
	arr = json_object_object_get(obj, "list");
	assert_int_equal(json_object_array_length(arr), 2);
	json_object_put(obj);
	jsonw_free(&w);
}

static void test_unbalanced_close_fails(void **state)
{
	struct jsonw w;

	jsonw_init(&w);
	jsonw_object_end(&w);
	assert_true(w.out.failed);
	jsonw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_comm_round_trips),
		cmocka_unit_test(test_every_control_byte_is_escaped),
		cmocka_unit_test(test_invalid_utf8_becomes_replacement),
		cmocka_unit_test(test_valid_utf8_passes_through),
		cmocka_unit_test(test_line_separators_escaped),
		cmocka_unit_test(test_too_small_buffer_reports_need),
		cmocka_unit_test(test_nesting_and_types),
		cmocka_unit_test(test_unbalanced_close_fails),
	};

	return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
