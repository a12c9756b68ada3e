/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_FMT_H
#define HEKATE_FMT_H

/*
 * printf-style formatting without a libc (the kernel has none), also used
 * by host tests. Supports %% %c %s %d %i %u %x %X %p with flags '-' '0',
 * a width, a precision for %s, and the length modifiers l, ll and z.
 * Output that does not fit is cut (always NUL-terminated); the return value
 * is the length the full output would have had, as C's snprintf.
 */
#include <stdarg.h>
#include <stddef.h>

typedef void (*fmt_putc_fn)(void *ctx, char c);

int fmt_vformat(fmt_putc_fn putc, void *ctx, const char *fmt, va_list ap);
int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The value of hex digit c (either case), or -1. */
static inline int fmt_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
