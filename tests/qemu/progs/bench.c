// SPDX-License-Identifier: BSD-2-Clause
/*
 * Baselines in guest instructions (run under QEMU -icount shift=0, where
 * the cycle counter PMCCNTR_EL0 counts instructions): a null system call
 * round trip (an unknown number: entry, dispatch, exit) and a thread-to-
 * thread yield on one core. The cost of an empty measurement is subtracted.
 */
#include <ck_pr.h>
#include <hekate/user.h>
#include <stdio.h>

#define N 10000

static inline uint64_t count(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, pmccntr_el0" : "=r"(v)::"memory");
	return v;
}

static uint32_t go;

static void *yielder(void *arg)
{
	(void)arg;
	while (!ck_pr_load_32(&go))
		hk_yield();
	for (int i = 0; i < N; i++)
		hk_yield();
	return NULL;
}

int main(void)
{
	uint64_t t0 = count(), empty = count() - t0;
	t0 = count();
	for (int i = 0; i < N; i++)
		hk_raw_syscall(HK_NR_SYSCALLS, 0, 0, 0, 0, 0, 0);
	uint64_t sys = count() - t0 - empty;
	hk_thread_t *t;
	if (hk_thread_start(&t, yielder, NULL))
		hk_fail("thread");
	ck_pr_store_32(&go, 1);
	hk_yield(); /* let the partner see go */
	t0 = count();
	for (int i = 0; i < N; i++)
		hk_yield();
	uint64_t yl = count() - t0 - empty;
	hk_thread_join(t);
	printf("bench: null syscall round trip: %llu instructions\n",
	       (unsigned long long)(sys / N));
	printf("bench: yield to another thread on the same core: %llu instructions per switch\n",
	       (unsigned long long)(yl / (2 * N)));
	return 0;
}
