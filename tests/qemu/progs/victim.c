// SPDX-License-Identifier: BSD-2-Clause
/*
 * Something to kill. "spin": polls forever without a system call (the kill
 * must reach it by IPI on its core). "block": four threads wait forever on
 * futexes (the kill must wake them to end).
 */
#include <hekate/user.h>
#include <stdio.h>
#include <string.h>

static uint32_t never;

static void *block(void *arg)
{
	(void)arg;
	for (;;)
		hk_futex_wait(&never, 0, HK_TIMEOUT_FOREVER);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "spin")) {
		printf("victim: spinning without system calls\n");
		fflush(stdout);
		for (volatile uint64_t n = 0;; n++)
			;
	}
	hk_thread_t *t;
	for (int i = 0; i < 3; i++)
		if (hk_thread_start(&t, block, NULL))
			hk_fail("thread");
	printf("victim: 4 threads blocked forever\n");
	fflush(stdout);
	block(NULL);
	return 0;
}
