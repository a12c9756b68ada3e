// SPDX-License-Identifier: BSD-2-Clause
#include <hekate/user.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void hk_fail(const char *fmt, ...)
{
	struct hk_self s;
	va_list ap;
	hk_self(&s);
	printf("%s: FAILED: ", s.name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}
