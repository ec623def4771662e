// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * printable_copy: what reaches a terminal from hostile names. Single bytes are checked
 * against the C library's isprint in the "C" locale; multi-byte cases by hand.
 */
#include <ctype.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

static const char *copy(const char *text, size_t out_len, enum printable_set set)
{
	static char out[256];

	memset(out, 'X', sizeof(out));
	printable_copy(out, out_len, text, set);
	return out;
}

static void test_single_bytes_match_isprint(void **state)
{
	(void)state;
	setlocale(LC_CTYPE, "C");
	for (int b = 1; b < 256; b++) {
		char text[2] = { (char)b, '\0' };
		char want[2] = { isprint(b) ? (char)b : '?', '\0' };

		/* a lone byte >= 0x80 is malformed UTF-8: '?' in both sets */
		assert_string_equal(copy(text, 8, PRINTABLE_UTF8), want);
		assert_string_equal(copy(text, 8, PRINTABLE_ASCII), want);
	}
}

static void test_escape_sequence_is_defused(void **state)
{
	(void)state;
	assert_string_equal(copy("\x1b[31mred\x1b[0m", 64, PRINTABLE_UTF8), "?[31mred?[0m");
	assert_string_equal(copy("a\nb\rc\td", 64, PRINTABLE_ASCII), "a?b?c?d");
}

static void test_c1_controls_become_one_mark_each(void **state)
{
	(void)state;
	/* U+0085 (NEL) and U+009B (CSI) encoded as UTF-8: one character, one '?' */
	assert_string_equal(copy("x\xc2\x85y\xc2\x9bz", 64, PRINTABLE_UTF8), "x?y?z");
	/* U+00A0 is the first character past C1: kept */
	assert_string_equal(copy("\xc2\xa0", 64, PRINTABLE_UTF8), "\xc2\xa0");
}

static void test_non_ascii_by_set(void **state)
{
	(void)state;
	const char *name = "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x90\xb3";

	assert_string_equal(copy(name, 64, PRINTABLE_UTF8), name);
	assert_string_equal(copy(name, 64, PRINTABLE_ASCII), "caf?-?"
							     "?-?");
}

static void test_malformed_utf8_one_mark_per_byte(void **state)
{
	(void)state;
	/* overlong '/', a UTF-16 surrogate, a sequence cut short */
	assert_string_equal(copy("\xc0\xaf", 64, PRINTABLE_UTF8), "??");
	assert_string_equal(copy("\xed\xa0\x80", 64, PRINTABLE_UTF8), "???");
	assert_string_equal(copy("a\xe6\x97", 64, PRINTABLE_UTF8), "a??");
}

static void test_cut_at_a_whole_character(void **state)
{
	(void)state;
	/* 5 bytes of room: "ab" and the 3-byte character fit with the NUL, not the next */
	assert_string_equal(copy("ab\xe6\x97\xa5\xe6\x9c\xac", 6, PRINTABLE_UTF8),
			    "ab\xe6\x97\xa5");
	assert_string_equal(copy("ab\xe6\x97\xa5", 5, PRINTABLE_UTF8), "ab");
	assert_string_equal(copy("abc", 1, PRINTABLE_UTF8), "");
	assert_string_equal(copy("abc", 3, PRINTABLE_ASCII), "ab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_bytes_match_isprint),
		cmocka_unit_test(test_escape_sequence_is_defused),
		cmocka_unit_test(test_c1_controls_become_one_mark_each),
		cmocka_unit_test(test_non_ascii_by_set),
		cmocka_unit_test(test_malformed_utf8_one_mark_per_byte),
		cmocka_unit_test(test_cut_at_a_whole_character),
	};

	return cmocka_run_group_tests_name("printable", tests, NULL, NULL);
}
