// SPDX-License-Identifier: BSD-2-Clause
/* The kernel's printf subset, checked against the C library's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/fmt.h>

#define SAME(...)                                                                                  \
	do {                                                                                       \
		char a[128], b[128];                                                               \
		int na = fmt_snprintf(a, sizeof(a), __VA_ARGS__);                                  \
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);                                      \
		assert_string_equal(a, b);                                                         \
		assert_int_equal(na, nb);                                                          \
	} while (0)

static void test_conversions(void **state)
{
	(void)state;
	SAME("plain %% text");
	SAME("%d %i %u", -42, 7, 4000000000u);
	SAME("%x %X %08x %-6x|", 0xbeefu, 0xbeefu, 0x12u, 0xau);
	SAME("%lld %llu %llx", -9223372036854775807ll - 1, 18446744073709551615ull,
	     0xffffffff00000000ull);
	SAME("%ld %lu %zu", -1l, 99ul, (size_t)12345);
	SAME("[%5s][%-5s][%.2s][%c]", "ab", "ab", "abcdef", 'z');
	SAME("%016llx", 0x1234ull);
	SAME("%*d|%-*d|", 6, -12, 4, 3);
	SAME("%.*s", 3, "abcdef");
	SAME("%-2d|%3d|%03d", 12345, -5, 7);
}

static void test_truncation(void **state)
{
	(void)state;
	char buf[6];
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "hello world"), 11);
	assert_string_equal(buf, "hello");
	assert_int_equal(fmt_snprintf(buf, 0, "xyz"), 3);
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%s", (char *)NULL), 6);
	assert_string_equal(buf, "(null");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conversions),
	    cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
