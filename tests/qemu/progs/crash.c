// SPDX-License-Identifier: BSD-2-Clause
/* Faults on purpose in the way argv[1] names; the kernel must kill it with that cause. */
#include <hekate/user.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile uint32_t data_word = 0xd65f03c0; /* "ret": executed from a data page */

static volatile int forever = 1;

static int recurse(int n)
{
	volatile char pad[512];
	pad[0] = (char)n;
	return (forever ? recurse(n + 1) : 0) + pad[0];
}

static void crash(const char *how)
{
	if (!strcmp(how, "null"))
		printf("%d\n", *(volatile int *)0);
	else if (!strcmp(how, "wtext"))
		*(volatile uint32_t *)(uintptr_t)crash = 0;
	else if (!strcmp(how, "kaddr"))
		printf("%d\n", *(volatile int *)0xffffff8040200000ull);
	else if (!strcmp(how, "undef"))
		__asm__ volatile("udf #0");
	else if (!strcmp(how, "priv"))
		__asm__ volatile("msr daifset, #2"); /* privileged: undefined at EL0 */
	else if (!strcmp(how, "align")) {
		uint64_t v;
		char *p = (char *)&data_word;
		__asm__ volatile("ldaxr %0, [%1]" : "=r"(v) : "r"(p + 1) : "memory");
	} else if (!strcmp(how, "stack"))
		recurse(0);
	else if (!strcmp(how, "exec"))
		((void (*)(void))(uintptr_t)&data_word)();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		hk_fail("usage: crash null|wtext|kaddr|undef|priv|align|stack|exec");
	printf("crash: about to fault: %s\n", argv[1]);
	fflush(stdout);
	crash(argv[1]);
	hk_fail("still alive after '%s'", argv[1]);
}
