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

/* Preemptions so far on every core its threads may use (all but the claimed one). */
static uint64_t preemptions(void)
{
	uint64_t sum = 0;
	struct hk_core_stat st;
	for (unsigned c = 0; hk_core_stat(c, &st) == 0; c++)
		if (st.claimed_by < 0)
			sum += st.preemptions;
	return sum;
}

int main(int argc, char **argv)
{
	hk_thread_t *t[THREADS];
	uint64_t p0 = preemptions();
	run_us = (argc > 1 ? atoi(argv[1]) : 600) * 1000ll;
	for (int i = 0; i < THREADS; i++)
		if (hk_thread_start(&t[i], spin, NULL))
			hk_fail("thread %d", i);
	for (int i = 0; i < THREADS; i++)
		hk_thread_join(t[i]);
	unsigned n = (unsigned)__builtin_popcount(cores_seen);
	uint64_t preempted = preemptions() - p0;
	printf("spinner: %d threads ran on %u cores (mask 0x%x), %llu preemptions by the tick\n",
	       THREADS, n, cores_seen, (unsigned long long)preempted);
	return n >= 2 && preempted > 0 ? 0 : 1;
}
