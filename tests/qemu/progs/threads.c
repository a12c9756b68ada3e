// SPDX-License-Identifier: BSD-2-Clause
/*
 * Threads and in-process synchronisation: atomics (Concurrency Kit), a
 * futex mutex, futex ping-pong, per-thread errno (TLS) and join.
 */
#include <ck_pr.h>
#include <errno.h>
#include <hekate/user.h>
#include <stdio.h>

#define THREADS 4
#define ROUNDS  20000
#define PINGS   200

static uint64_t atomic_count;
static uint64_t locked_count;
static hk_mutex_t lock = HK_MUTEX_INIT;
static uint32_t turn; /* ping-pong: 0 main's turn, 1 the partner's */

static void *worker(void *arg)
{
	int id = (int)(uintptr_t)arg;
	errno = 1000 + id;
	for (int i = 0; i < ROUNDS; i++) {
		ck_pr_inc_64(&atomic_count);
		hk_mutex_lock(&lock);
		locked_count++;
		hk_mutex_unlock(&lock);
		if (i % 5000 == 0)
			hk_yield();
	}
	return (void *)(uintptr_t)(errno == 1000 + id);
}

static void *partner(void *arg)
{
	(void)arg;
	for (int i = 0; i < PINGS; i++) {
		while (ck_pr_load_32(&turn) != 1)
			hk_futex_wait(&turn, 0, HK_TIMEOUT_FOREVER);
		ck_pr_store_32(&turn, 0);
		hk_futex_wake(&turn, 1);
	}
	return NULL;
}

int main(void)
{
	hk_thread_t *t[THREADS], *p;
	errno = 7;
	for (int i = 0; i < THREADS; i++)
		if (hk_thread_start(&t[i], worker, (void *)(uintptr_t)i))
			hk_fail("start %d", i);
	int tls_ok = 1;
	for (int i = 0; i < THREADS; i++)
		tls_ok &= hk_thread_join(t[i]) != NULL;
	if (hk_thread_start(&p, partner, NULL))
		hk_fail("start partner");
	for (int i = 0; i < PINGS; i++) {
		ck_pr_store_32(&turn, 1);
		hk_futex_wake(&turn, 1);
		while (ck_pr_load_32(&turn) != 0)
			hk_futex_wait(&turn, 1, HK_TIMEOUT_FOREVER);
	}
	hk_thread_join(p);
	uint32_t never = 5;
	int64_t to = hk_futex_wait(&never, 5, 20000);
	printf("threads: atomic %llu locked %llu (want %d), errno per thread %s, main errno %d, "
	       "%d ping-pongs, timed wait %s\n",
	       (unsigned long long)atomic_count, (unsigned long long)locked_count, THREADS * ROUNDS,
	       tls_ok ? "ok" : "MIXED", errno, PINGS, to == -HK_ETIMEDOUT ? "timed out" : "WRONG");
	int ok = atomic_count == THREADS * ROUNDS && locked_count == THREADS * ROUNDS && tls_ok &&
	         errno == 7 && to == -HK_ETIMEDOUT;
	return ok ? 0 : 1;
}
