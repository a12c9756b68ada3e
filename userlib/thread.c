// SPDX-License-Identifier: BSD-2-Clause
/*
 * Threads. The kernel gives each thread its stack (with a guard page) and
 * a thread pointer; userlib gives it a TLS block and a start block that
 * carries fn, arg, the result and a done flag the joiner waits on (futex).
 * The thread's memory stays valid until hk_thread_join frees it.
 */
#include <ck_pr.h>
#include <hekate/user.h>
#include <picotls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hk_thread {
	void *(*fn)(void *);
	void *arg, *result;
	uint32_t done;
	void *tls_mem;
};

void __hk_thread_entry(void);
void __hk_thread_main(struct hk_thread *t) __attribute__((noreturn));

void __hk_thread_main(struct hk_thread *t)
{
	t->result = t->fn(t->arg);
	fflush(stdout);
	ck_pr_store_32(&t->done, 1);
	hk_futex_wake(&t->done, HK_FUTEX_WAKE_MAX);
	for (;;)
		hk_thread_exit();
}

int hk_thread_start(hk_thread_t **out, void *(*fn)(void *), void *arg)
{
	struct hk_thread *t = calloc(1, sizeof(*t));
	size_t align = _tls_align() < 16 ? 16 : _tls_align();
	void *mem = t ? malloc(_tls_size() + align) : NULL;
	if (!mem) {
		free(t);
		return -HK_ENOMEM;
	}
	void *tls = (void *)(((uintptr_t)mem + align - 1) & ~(uintptr_t)(align - 1));
	_init_tls(tls);
	t->fn = fn;
	t->arg = arg;
	t->tls_mem = mem;
	int64_t tid = hk_thread_create((uintptr_t)__hk_thread_entry, (uintptr_t)t, hk_tls_tp(tls));
	if (tid < 0) {
		free(mem);
		free(t);
		return (int)tid;
	}
	*out = t;
	return 0;
}

void *hk_thread_join(hk_thread_t *t)
{
	while (!ck_pr_load_32(&t->done))
		hk_futex_wait(&t->done, 0, HK_TIMEOUT_FOREVER);
	void *r = t->result;
	free(t->tls_mem);
	free(t);
	return r;
}
