/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_TIMERQ_H
#define HEKATE_TIMERQ_H

/*
 * A timer queue and the rules of a timer's schedule, with no clock and no
 * locks (kernel/timer.c keeps one queue per CPU under that CPU's timer
 * lock and passes "now"); times are plain microseconds. Host-tested by
 * tests/unit/test_timerq.c against a brute-force model.
 *
 * The queue is a binary min-heap ordered by (at, seq): the earliest timer
 * first, timers due at the same instant in the order they were inserted.
 * Insert, remove and pop are O(log n); peek is O(1).
 *
 * A timer's schedule: `due` is its first expiry not delivered yet (for a
 * periodic timer a point of the grid first + k * period); `at` is when the
 * queue hands it out: `due`, or later after a delivery failed (the
 * back-off). An expiry handed out at `now` stands for `due` and for the
 * `missed` later grid points that have passed by `now` (late by more than
 * a period, or kept pending by failed deliveries): one message reports
 * them all, and the next message starts at the grid point after them. So
 * each expiry is reported exactly once, never silently lost, and messages
 * of timers handed out in queue order are in order of their due times.
 * All arithmetic saturates: a schedule that would run past UINT64_MAX
 * stops there (UINT64_MAX means never); a count that does not fit in
 * `missed` is reported over several messages.
 */
#include <stdint.h>

/* Every timer of the node fits in one queue: HK_MAX_PROCS x HK_TIMER_MAX. */
#define TIMERQ_CAP 1024u

struct tq_timer {
	uint64_t at;     /* when the queue hands it out (the key; ties by seq) */
	uint64_t due;    /* its next expiry */
	uint64_t period; /* 0: one-shot */
	uint64_t seq;    /* insertion order, set by tq_insert */
	uint32_t pos;    /* heap index + 1; 0 when in no queue */
};

/* What one message reports: expiry `due` and the `missed` grid points after it. */
struct tq_expiry {
	uint64_t due;
	uint32_t missed;
};

/* All zero is a valid empty queue. */
struct timerq {
	uint32_t n;
	uint64_t seq;
	struct tq_timer *heap[TIMERQ_CAP];
};

static inline int tq_queued(const struct tq_timer *t) { return t->pos != 0; }

/* a + b, or UINT64_MAX if that overflows. */
static inline uint64_t tq_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Give t (in no queue) a fresh schedule: first expiry at due, then every period (0: once). */
void tq_set(struct tq_timer *t, uint64_t due, uint64_t period);
/* Queue t; 0, or -1 if t is already queued or q is full. */
int tq_insert(struct timerq *q, struct tq_timer *t);
/* Take t out of q; 0, or -1 if t is not in q. */
int tq_remove(struct timerq *q, struct tq_timer *t);
/* When the first timer acts (its `at`), UINT64_MAX if q is empty. */
uint64_t tq_next(const struct timerq *q);
/* The first timer if it acts at or before now, taken out of q; NULL otherwise. */
struct tq_timer *tq_pop_expired(struct timerq *q, uint64_t now);
/* t (taken out of its queue, at <= now) expires at now: *e is what to report. t is unchanged. */
void tq_expiry(const struct tq_timer *t, uint64_t now, struct tq_expiry *e);
/*
 * e was delivered. A periodic timer moves on to the grid point after the
 * ones e stands for and 1 is returned (queue it again); a one-shot timer
 * is done (0).
 */
int tq_delivered(struct tq_timer *t, const struct tq_expiry *e);
/*
 * The expiry could not be delivered: t keeps it pending (a later message
 * reports it, with what passes meanwhile) and acts again at now + retry.
 * Queue t again afterwards.
 */
void tq_undelivered(struct tq_timer *t, uint64_t now, uint64_t retry);

#endif
