/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_USER_H
#define HEKATE_USER_H

/*
 * The userlib API for Hekate processes, beside picolibc (printf, malloc,
 * errno... all usable; stdout/stderr go to the kernel console, one line per
 * write, per thread) and the raw stubs of <hekate/sys.h>.
 */
#include <hekate/sys.h>
#include <stdint.h>

/* A futex-based mutex (Concurrency Kit atomics; waiters sleep in the kernel). */
typedef struct {
	uint32_t state; /* 0 free, 1 locked, 2 locked with waiters */
} hk_mutex_t;
#define HK_MUTEX_INIT                                                                              \
	{                                                                                          \
		0                                                                                  \
	}
void hk_mutex_lock(hk_mutex_t *m);
void hk_mutex_unlock(hk_mutex_t *m);

/* Threads: fn(arg) runs in a new thread with its own stack and TLS (errno). */
typedef struct hk_thread hk_thread_t;
/* 0 and *out, or a negative -HK_E* (no thread slot, no memory). */
int hk_thread_start(hk_thread_t **out, void *(*fn)(void *), void *arg);
/* Wait for the thread to finish; returns fn's result and frees the handle. */
void *hk_thread_join(hk_thread_t *t);

/* Print "name: message" style failures and exit with status 1. */
void hk_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
