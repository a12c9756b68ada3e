// SPDX-License-Identifier: BSD-2-Clause
/*
 * Futex-style waiting: a thread sleeps on a 32-bit word of its own process
 * until another thread of that process wakes the word's address, or a
 * timeout. Waiters sit in one of FUTEX_BUCKETS lists hashed by (process,
 * address), under futex_lock; a wait and a wake are bounded by the number
 * of threads (a constant), so both are O(1) in the sense of the syscall
 * contract. The check of the word and the queueing happen under the lock,
 * so a wake between them cannot be lost.
 */
#include "proc.h"
#include <hekate/errno.h>

#define FUTEX_BUCKETS 64

static ck_spinlock_fas_t futex_lock = CK_SPINLOCK_FAS_INITIALIZER;
static struct thread *buckets[FUTEX_BUCKETS];

static struct thread **bucket(struct proc *p, uint64_t uaddr)
{
	uint64_t h = (uaddr >> 2) ^ ((uint64_t)p->slot * 0x9e3779b97f4a7c15ull);
	return &buckets[(h ^ (h >> 17)) % FUTEX_BUCKETS];
}

/* futex_lock held */
static void unqueue(struct thread *t)
{
	if (!t->wait_key)
		return;
	for (struct thread **pp = bucket(t->proc, t->wait_key); *pp; pp = &(*pp)->wnext)
		if (*pp == t) {
			*pp = t->wnext;
			break;
		}
	t->wait_key = 0;
}

int futex_wait(struct proc *p, uint64_t uaddr, uint32_t expect, uint64_t timeout_us)
{
	struct thread *t = current();
	uint32_t now;
	if (uaddr & 3)
		return -HK_EINVAL;
	ck_spinlock_fas_lock(&futex_lock);
	int rc = vm_copy_in(p, &now, uaddr, sizeof(now));
	if (rc || now != expect) {
		ck_spinlock_fas_unlock(&futex_lock);
		return rc ? rc : -HK_EAGAIN;
	}
	struct thread **b = bucket(p, uaddr);
	t->wait_key = uaddr;
	t->wnext = *b;
	*b = t;
	sched_prepare_block(timeout_us);
	ck_spinlock_fas_unlock(&futex_lock);
	enum wake_reason why = sched_wait();
	futex_forget(t);
	if (why == WAKE_TIMEOUT)
		return -HK_ETIMEDOUT;
	return why == WAKE_KILLED ? -HK_ESRCH : 0;
}

int futex_wake(struct proc *p, uint64_t uaddr, unsigned count)
{
	int woken = 0;
	if (uaddr & 3)
		return -HK_EINVAL;
	if (vm_check(p, uaddr, sizeof(uint32_t), PT_R))
		return -HK_EFAULT;
	ck_spinlock_fas_lock(&futex_lock);
	struct thread **pp = bucket(p, uaddr);
	while (*pp && (unsigned)woken < count) {
		struct thread *t = *pp;
		if (t->proc != p || t->wait_key != uaddr) {
			pp = &t->wnext;
			continue;
		}
		*pp = t->wnext;
		t->wait_key = 0;
		woken += sched_wake(t, WAKE_EVENT);
	}
	ck_spinlock_fas_unlock(&futex_lock);
	return woken;
}

void futex_forget(struct thread *t)
{
	ck_spinlock_fas_lock(&futex_lock);
	unqueue(t);
	ck_spinlock_fas_unlock(&futex_lock);
}
