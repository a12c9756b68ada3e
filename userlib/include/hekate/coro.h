/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_USER_CORO_H
#define HEKATE_USER_CORO_H

/*
 * Cooperative coroutines on one thread, driven by the queue API's polling
 * loop (docs/userlib.md). hk_coro_run() runs the ready coroutines in
 * rounds (lowest id first; the ready set is a bitmap), polls the queues
 * between rounds, and once `spin` polls in a row found nothing and no
 * coroutine is ready, idles as the queue poller is configured
 * (hk_queue_set_poller). A coroutine that waits on a token
 * (hk_queue_wait*) parks; the poll that completes the token makes it
 * ready again.
 *
 * Coroutines switch only where they call hk_coro_yield, a queue wait or
 * hk_coro_sleep_us: between those points a coroutine runs alone, so
 * coroutine code needs no locks. All of it belongs to the thread that
 * calls hk_coro_run.
 */
#include <stddef.h>
#include <stdint.h>

#define HK_CORO_MAX       64u        /* coroutines alive at once */
#define HK_CORO_STACK_MIN 4096u      /* bytes */
#define HK_CORO_STACK_DEF 16384u     /* stack_size 0 means this */
#define HK_CORO_STACK_MAX (1u << 20) /* bytes */

/*
 * A new coroutine that will run fn(arg) on a stack of stack_size bytes
 * (from the heap; not guarded by an unmapped page: an overflow past the
 * canary word at its bottom is caught at the next switch and ends the
 * process). Callable before hk_coro_run and from coroutines. Returns its
 * id (0..HK_CORO_MAX-1), or EINVAL (fn NULL, stack below the minimum),
 * E2BIG (stack above the maximum), ETOOMANY, ENOMEM.
 */
int hk_coro_spawn(void (*fn)(void *), void *arg, size_t stack_size);

/*
 * Run until every coroutine has returned: 0. Or an error with the
 * coroutines left as they are: EBUSY (called from a coroutine), ECHILD
 * (every coroutine left is parked with no timeout and no pop is pending:
 * nothing can wake them), or the poller's error (kan_recv's).
 */
int hk_coro_run(void);

/* Let the other ready coroutines run (and the queues be polled) first.
 * Outside a coroutine: does nothing. */
void hk_coro_yield(void);

/* Park the calling coroutine for at least us microseconds. Outside a
 * coroutine: hk_sleep_us. */
void hk_coro_sleep_us(uint64_t us);

/* The running coroutine's id, or -1 outside coroutines. */
int hk_coro_self(void);

/* Coroutines alive (spawned and not yet returned). */
unsigned hk_coro_live(void);

/* Counters since the process began. */
struct hk_coro_stats {
	uint64_t switches; /* switches into a coroutine */
	uint64_t rounds;   /* passes over the ready set */
	uint64_t parks;    /* times a coroutine parked */
	uint64_t wakes;    /* parked coroutines made ready (by a token or a deadline) */
};
void hk_coro_get_stats(struct hk_coro_stats *out);

#endif
