// SPDX-License-Identifier: BSD-2-Clause
/*
 * Locks: hk_mutex (a futex mutex on Concurrency Kit atomics) and the
 * retargetable locks picolibc calls around malloc and exit handlers.
 */
#include <ck_pr.h>
#include <hekate/user.h>
#include <stdlib.h>
#include <sys/lock.h>

void hk_mutex_lock(hk_mutex_t *m)
{
	if (ck_pr_cas_32(&m->state, 0, 1))
		return;
	/* Contended: mark "waiters" and sleep until the holder wakes us. */
	while (ck_pr_fas_32(&m->state, 2) != 0)
		hk_futex_wait(&m->state, 2, HK_TIMEOUT_FOREVER);
}

void hk_mutex_unlock(hk_mutex_t *m)
{
	if (ck_pr_fas_32(&m->state, 0) == 2)
		hk_futex_wake(&m->state, 1);
}

/* picolibc's recursive lock: a mutex plus the owning thread and a depth. */
struct __lock {
	hk_mutex_t m;
	int owner;
	unsigned depth;
};
struct __lock __lock___libc_recursive_mutex;

static int self_tid(void)
{
	static _Thread_local int tid = -1;
	if (tid < 0) {
		struct hk_self s;
		hk_self(&s);
		tid = s.tid;
	}
	return tid;
}

void __retarget_lock_init(_LOCK_T *l) { *l = calloc(1, sizeof(struct __lock)); }
void __retarget_lock_init_recursive(_LOCK_T *l) { __retarget_lock_init(l); }
void __retarget_lock_close(_LOCK_T l) { free(l); }
void __retarget_lock_close_recursive(_LOCK_T l) { free(l); }
void __retarget_lock_acquire(_LOCK_T l) { hk_mutex_lock(&l->m); }
void __retarget_lock_release(_LOCK_T l) { hk_mutex_unlock(&l->m); }

int __retarget_lock_try_acquire(_LOCK_T l) { return ck_pr_cas_32(&l->m.state, 0, 1); }

void __retarget_lock_acquire_recursive(_LOCK_T l)
{
	int me = self_tid();
	if (l->depth && ck_pr_load_int(&l->owner) == me) {
		l->depth++;
		return;
	}
	hk_mutex_lock(&l->m);
	ck_pr_store_int(&l->owner, me);
	l->depth = 1;
}

void __retarget_lock_release_recursive(_LOCK_T l)
{
	if (--l->depth == 0) {
		ck_pr_store_int(&l->owner, -1);
		hk_mutex_unlock(&l->m);
	}
}

int __retarget_lock_try_acquire_recursive(_LOCK_T l)
{
	int me = self_tid();
	if (l->depth && ck_pr_load_int(&l->owner) == me) {
		l->depth++;
		return 1;
	}
	if (!__retarget_lock_try_acquire(l))
		return 0;
	ck_pr_store_int(&l->owner, me);
	l->depth = 1;
	return 1;
}
