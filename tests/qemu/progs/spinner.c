// SPDX-License-Identifier: BSD-2-Clause
/*
 * Load: THREADS threads that spin for argv[1] ms (default 600), yielding now
 * and then, so every core the scheduler may use has runnable work. Checks
 * that the threads were spread over cores and that preemption happened.
 */
#include <ck_pr.h>
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 6

static int64_t run_us;
static uint32_t cores_seen;

static void *spin(void *arg)
{
	(void)arg;
	struct hk_self s;
	hk_self(&s);
	ck_pr_or_32(&cores_seen, 1u << s.core);
	int64_t t0 = hk_time_us();
	volatile uint64_t n = 0;
	while (hk_time_us() - t0 < run_us) {
		for (int i = 0; i < 10000; i++)
			n++;
		if ((n & 0xfffff) == 0)
			hk_yield();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	hk_thread_t *t[THREADS];
	run_us = (argc > 1 ? atoi(argv[1]) : 600) * 1000ll;
	for (int i = 0; i < THREADS; i++)
		if (hk_thread_start(&t[i], spin, NULL))
			hk_fail("thread %d", i);
	for (int i = 0; i < THREADS; i++)
		hk_thread_join(t[i]);
	unsigned n = (unsigned)__builtin_popcount(cores_seen);
	printf("spinner: %d threads ran on %u cores (mask 0x%x)\n", THREADS, n, cores_seen);
	return n >= 2 ? 0 : 1;
}
