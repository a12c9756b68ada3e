// SPDX-License-Identifier: BSD-2-Clause
/*
 * The timer queue (kernel/timerq.c) on the host: random insert / remove /
 * pop / peek against a brute-force model with the heap's invariants
 * checked after every step; FIFO order of equal deadlines; capacity and
 * misuse refused; periodic schedules under random clocks and delivery
 * failures tile the grid exactly (each expiry in exactly one message, as
 * its due time or among its missed); timers of different periods reported
 * in due order; one-shot retries; saturation at the edges of the 64-bit
 * range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/timerq.h>

#include "rng.h"

#define NT 200 /* timers in the random model test */

static struct timerq *new_q(void)
{
	struct timerq *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	return q;
}

/* Heap shape: every timer knows its index and is not earlier than its parent. */
static void check_heap(const struct timerq *q)
{
	for (uint32_t i = 0; i < q->n; i++) {
		const struct tq_timer *t = q->heap[i];
		assert_int_equal(t->pos, i + 1);
		if (!i)
			continue;
		const struct tq_timer *p = q->heap[(i - 1) / 2];
		assert_true(p->at < t->at || (p->at == t->at && p->seq < t->seq));
	}
}

/* The model's answer: the queued timer with the least (at, seq), or NULL. */
static struct tq_timer *model_first(struct tq_timer *ts, const int *queued)
{
	struct tq_timer *best = NULL;
	for (int i = 0; i < NT; i++) {
		if (!queued[i])
			continue;
		if (!best || ts[i].at < best->at || (ts[i].at == best->at && ts[i].seq < best->seq))
			best = &ts[i];
	}
	return best;
}

/* Small deadlines collide often (ties); now and then an extreme one. */
static uint64_t random_at(void)
{
	switch (rndn(8)) {
	case 0: return UINT64_MAX - rndn(3);
	case 1: return rndn(3);
	default: return rndn(500);
	}
}

static void test_random_model(void **state)
{
	(void)state;
	struct timerq *q = new_q();
	static struct tq_timer ts[NT];
	int queued[NT] = {0}, nq = 0;
	rng_state = 0x7133a5u;
	memset(ts, 0, sizeof(ts));
	for (int step = 0; step < 200000; step++) {
		int i = (int)rndn(NT);
		switch (rndn(4)) {
		case 0: /* insert, or re-insert refused */
			if (queued[i]) {
				assert_int_equal(tq_insert(q, &ts[i]), -1);
				break;
			}
			tq_set(&ts[i], random_at(), 0);
			assert_int_equal(tq_insert(q, &ts[i]), 0);
			queued[i] = 1, nq++;
			break;
		case 1: /* remove, or remove of an unqueued timer refused */
			assert_int_equal(tq_remove(q, &ts[i]), queued[i] ? 0 : -1);
			nq -= queued[i];
			queued[i] = 0;
			assert_false(tq_queued(&ts[i]));
			break;
		case 2: { /* pop whatever is expired at a random now */
			uint64_t now = rndn(16) ? rndn(600) : UINT64_MAX;
			struct tq_timer *want = model_first(ts, queued);
			if (want && want->at > now)
				want = NULL;
			struct tq_timer *got = tq_pop_expired(q, now);
			assert_ptr_equal(got, want);
			if (got) {
				queued[got - ts] = 0, nq--;
				assert_false(tq_queued(got));
			}
			break;
		}
		default: {
			struct tq_timer *f = model_first(ts, queued);
			assert_true(tq_next(q) == (f ? f->at : UINT64_MAX));
		}
		}
		assert_int_equal(q->n, nq);
		check_heap(q);
	}
	free(q);
}

static void test_fifo_ties(void **state)
{
	(void)state;
	struct timerq *q = new_q();
	static struct tq_timer ts[64];
	for (int i = 0; i < 64; i++) {
		tq_set(&ts[i], i % 2 ? 10 : 20, 0);
		assert_int_equal(tq_insert(q, &ts[i]), 0);
	}
	assert_null(tq_pop_expired(q, 9));
	for (int round = 0; round < 2; round++)
		for (int i = round ? 0 : 1; i < 64; i += 2)
			assert_ptr_equal(tq_pop_expired(q, 20), &ts[i]);
	assert_null(tq_pop_expired(q, UINT64_MAX));
	assert_true(tq_next(q) == UINT64_MAX);
	free(q);
}

static void test_capacity_and_misuse(void **state)
{
	(void)state;
	struct timerq *q = new_q(), *other = new_q();
	static struct tq_timer ts[TIMERQ_CAP + 1];
	for (unsigned i = 0; i <= TIMERQ_CAP; i++) {
		tq_set(&ts[i], TIMERQ_CAP - i, 0);
		assert_int_equal(tq_insert(q, &ts[i]), i < TIMERQ_CAP ? 0 : -1);
	}
	check_heap(q);
	assert_false(tq_queued(&ts[TIMERQ_CAP]));
	assert_int_equal(tq_remove(q, &ts[TIMERQ_CAP]), -1);
	assert_int_equal(tq_remove(other, &ts[5]), -1); /* queued, but elsewhere */
	assert_int_equal(tq_insert(other, &ts[5]), -1); /* already queued */
	assert_int_equal(tq_remove(q, &ts[5]), 0);
	assert_int_equal(tq_remove(q, &ts[5]), -1);
	for (unsigned i = TIMERQ_CAP; i-- > 0;)
		if (i != 5)
			assert_ptr_equal(tq_pop_expired(q, UINT64_MAX), &ts[i]);
	assert_int_equal(q->n, 0);
	free(q);
	free(other);
}

/*
 * One periodic timer driven by a random clock, deliveries failing at
 * random: each message reports the first expiry not delivered yet and
 * every grid point passed since (missed), so consecutive messages tile the
 * grid exactly: nothing lost, nothing reported twice.
 */
static void run_periodic(uint64_t first, uint64_t period, unsigned fail_pct, uint64_t retry)
{
	struct timerq *q = new_q();
	struct tq_timer t;
	tq_set(&t, first, period);
	assert_int_equal(tq_insert(q, &t), 0);
	uint64_t now = first > 50 ? first - 50 : 0, expect = first;
	int delivered = 0;
	for (int step = 0; step < 20000; step++) {
		now += rndn(8) ? rndn((unsigned)period) : rndn((unsigned)(20 * period));
		struct tq_timer *p = tq_pop_expired(q, now);
		if (!p) {
			assert_true(tq_next(q) > now);
			continue;
		}
		assert_ptr_equal(p, &t);
		struct tq_expiry e;
		tq_expiry(&t, now, &e);
		uint64_t last = e.due + (uint64_t)e.missed * period; /* the last one it covers */
		assert_true(e.due == expect && last <= now && now - last < period);
		if (rndn(100) < fail_pct) {
			tq_undelivered(&t, now, retry);
			assert_true(t.at == now + retry && t.due == expect);
		} else {
			assert_int_equal(tq_delivered(&t, &e), 1);
			expect = last + period;
			assert_true(t.due == expect && t.at == expect && t.due > now);
			delivered++;
		}
		assert_int_equal(tq_insert(q, &t), 0);
	}
	assert_true(delivered > 0);
	free(q);
}

static void test_periodic_schedule(void **state)
{
	(void)state;
	rng_state = 0x51ced;
	run_periodic(1000, 100, 0, 1000);
	run_periodic(0, 1, 0, 1000);
	run_periodic(123456, 997, 30, 1000);
	run_periodic(5, 100, 90, 1000);  /* a storm on a full ring: mostly failures */
	run_periodic(77, 5000, 50, 100); /* retry shorter than the period */
}

/*
 * Timers of different periods, all delivered, under a clock that jumps by
 * more than several periods: the messages of one pass over the queue, and
 * of all passes, come in order of their due times.
 */
static void test_interleave_order(void **state)
{
	(void)state;
	static const uint64_t periods[] = {100, 300, 700, 1100, 5000, 3};
	enum { N = sizeof(periods) / sizeof(periods[0]) };
	struct timerq *q = new_q();
	struct tq_timer ts[N];
	uint64_t now = 0, last = 0, msgs = 0;
	rng_state = 0x1eaf;
	for (int i = 0; i < N; i++) {
		tq_set(&ts[i], rndn(1000), periods[i]);
		assert_int_equal(tq_insert(q, &ts[i]), 0);
	}
	for (int pass = 0; pass < 20000; pass++) {
		now += rndn(4) ? rndn(200) : rndn(20000);
		struct tq_timer *t;
		while ((t = tq_pop_expired(q, now))) {
			struct tq_expiry e;
			tq_expiry(t, now, &e);
			assert_true(e.due >= last);
			last = e.due;
			msgs++;
			assert_int_equal(tq_delivered(t, &e), 1);
			assert_true(t->at > now);
			assert_int_equal(tq_insert(q, t), 0);
		}
	}
	assert_true(msgs > 20000);
	free(q);
}

static void test_one_shot(void **state)
{
	(void)state;
	struct timerq *q = new_q();
	struct tq_timer t;
	struct tq_expiry e;
	tq_set(&t, 500, 0);
	assert_int_equal(tq_insert(q, &t), 0);
	assert_null(tq_pop_expired(q, 499));
	assert_ptr_equal(tq_pop_expired(q, 700), &t);
	tq_expiry(&t, 700, &e);
	assert_true(e.due == 500 && e.missed == 0);
	/* two failed deliveries: retried later, still reporting its own due time */
	for (uint64_t now = 700; now < 1000; now += 150) {
		tq_undelivered(&t, now, 100);
		assert_true(t.at == now + 100 && t.due == 500);
		assert_int_equal(tq_insert(q, &t), 0);
		assert_null(tq_pop_expired(q, now + 99));
		assert_ptr_equal(tq_pop_expired(q, now + 150), &t);
		tq_expiry(&t, now + 150, &e);
		assert_true(e.due == 500 && e.missed == 0);
	}
	assert_int_equal(tq_delivered(&t, &e), 0);
	assert_int_equal(q->n, 0);
	free(q);
}

static void test_overflow_edges(void **state)
{
	(void)state;
	struct timerq *q = new_q();
	struct tq_timer t;
	struct tq_expiry e;
	/* the next grid point would pass UINT64_MAX: it saturates (never) */
	tq_set(&t, UINT64_MAX - 10, 100);
	tq_expiry(&t, UINT64_MAX - 1, &e);
	assert_true(e.due == UINT64_MAX - 10 && e.missed == 0);
	assert_int_equal(tq_delivered(&t, &e), 1);
	assert_true(t.due == UINT64_MAX && t.at == UINT64_MAX);
	assert_int_equal(tq_insert(q, &t), 0);
	assert_null(tq_pop_expired(q, UINT64_MAX - 1));
	assert_int_equal(tq_remove(q, &t), 0);
	/* 2^64 missed periods: the count saturates and the rest comes in later messages */
	tq_set(&t, 0, 1);
	tq_expiry(&t, UINT64_MAX - 1, &e);
	assert_true(e.due == 0 && e.missed == UINT32_MAX);
	assert_int_equal(tq_delivered(&t, &e), 1);
	assert_true(t.due == 1ull << 32 && t.at == 1ull << 32);
	/* a huge period from a huge start; a step (missed + 1) x period past 2^64 */
	tq_set(&t, UINT64_MAX / 2, UINT64_MAX / 2 + 7);
	tq_expiry(&t, UINT64_MAX - 3, &e);
	assert_int_equal(tq_delivered(&t, &e), 1);
	assert_true(e.due == UINT64_MAX / 2 && e.missed == 0 && t.due == UINT64_MAX);
	tq_set(&t, 5, 1ull << 63);
	tq_expiry(&t, UINT64_MAX - 1, &e);
	assert_true(e.missed == 1);
	assert_int_equal(tq_delivered(&t, &e), 1);
	assert_true(t.due == UINT64_MAX);
	/* a retry at the end of time */
	tq_set(&t, 3, 0);
	tq_undelivered(&t, UINT64_MAX - 5, 1000);
	assert_true(t.at == UINT64_MAX && t.due == 3);
	assert_true(tq_add_sat(UINT64_MAX, 1) == UINT64_MAX && tq_add_sat(1, 2) == 3);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_model),        cmocka_unit_test(test_fifo_ties),
	    cmocka_unit_test(test_capacity_and_misuse), cmocka_unit_test(test_periodic_schedule),
	    cmocka_unit_test(test_interleave_order),    cmocka_unit_test(test_one_shot),
	    cmocka_unit_test(test_overflow_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
