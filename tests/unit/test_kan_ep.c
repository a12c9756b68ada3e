// SPDX-License-Identifier: BSD-2-Clause
/*
 * KAN endpoints on the host: open, FIFO order, the depth enforced exactly
 * for every allowed depth, wrap-around, pushes on closed endpoints, close
 * handing every queued page to the drop callback once, and lock-free
 * consumers racing producers serialised by the endpoint lock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <hekate/errno.h>
#include <kan/ep.h>

#include "rng.h"

static const struct hk_addr ADDR = {
    {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x01, 0x03, 0, 0}};

struct fx {
	struct kan_ep *ep;
	struct kan_ring_ent *buf;
};

/* An endpoint struct full of garbage (open must not rely on it), its lock
 * initialised as the endpoint table would, and a ring buffer of exactly
 * KAN_RING_BYTES(depth) so ASan catches an access past it. */
static struct fx fx_open(unsigned depth)
{
	struct fx f;
	f.ep = malloc(sizeof(*f.ep));
	f.buf = malloc(KAN_RING_BYTES(depth));
	assert_non_null(f.ep);
	assert_non_null(f.buf);
	memset(f.ep, 0xa5, sizeof(*f.ep));
	memset(f.buf, 0xa5, KAN_RING_BYTES(depth));
	ck_spinlock_fas_init(&f.ep->lock);
	kan_ep_open(f.ep, 42, &ADDR, f.buf, depth);
	return f;
}

static void fx_close(struct fx *f)
{
	free(f->buf);
	free(f->ep);
}

static void expect_drops(struct kan_ep *ep, uint64_t full, uint64_t closed)
{
	for (int d = 0; d < HK_DROP_COUNT; d++) {
		uint64_t want = d == HK_DROP_RING_FULL ? full : d == HK_DROP_CLOSED ? closed : 0;
		assert_int_equal(ep->c.drops[d], want);
	}
}

/* ---- open --------------------------------------------------------------- */

static void test_open(void **state)
{
	(void)state;
	struct fx f = fx_open(16);
	struct kan_ep *ep = f.ep;
	assert_int_equal(ep->state, KAN_EP_OPEN);
	assert_int_equal(ep->owner, 42);
	assert_memory_equal(ep->addr.b, ADDR.b, 16);
	assert_ptr_equal(ep->buf, f.buf);
	assert_int_equal(ep->depth, 16);
	assert_null(ep->waiter);
	assert_int_equal(ep->c.pkts_in, 0);
	assert_int_equal(ep->c.bytes_in, 0);
	assert_int_equal(ep->c.pkts_out, 0);
	assert_int_equal(ep->c.bytes_out, 0);
	assert_int_equal(ep->c.faults, 0);
	expect_drops(ep, 0, 0);
	assert_int_equal(kan_ep_queued(ep), 0);
	uint32_t idx = 0xdeadbeef;
	assert_int_equal(kan_ep_pop(ep, &idx), 0);
	assert_int_equal(idx, 0xdeadbeef); /* untouched when empty */
	/* one push, one pop */
	assert_int_equal(kan_ep_push(ep, 7), 0);
	assert_int_equal(kan_ep_queued(ep), 1);
	assert_int_equal(kan_ep_pop(ep, &idx), 1);
	assert_int_equal(idx, 7);
	assert_int_equal(kan_ep_queued(ep), 0);
	assert_int_equal(kan_ep_pop(ep, &idx), 0);
	/* every index value travels intact */
	static const uint32_t vals[] = {0, 1, 0x7fffffffu, 0x80000000u, UINT32_MAX, 4095, 4096};
	for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++)
		assert_int_equal(kan_ep_push(ep, vals[k]), 0);
	for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
		assert_int_equal(kan_ep_pop(ep, &idx), 1);
		assert_int_equal(idx, vals[k]);
	}
	expect_drops(ep, 0, 0);
	fx_close(&f);
}

/* ---- depth -------------------------------------------------------------- */

static void test_every_depth(void **state)
{
	(void)state;
	for (unsigned depth = HK_KAN_DEPTH_MIN; depth <= HK_KAN_DEPTH_MAX; depth *= 2) {
		struct fx f = fx_open(depth);
		struct kan_ep *ep = f.ep;
		uint32_t idx;
		for (int cycle = 0; cycle < 3; cycle++) {
			uint32_t base = depth << 16 | (uint32_t)cycle << 12;
			/* exactly depth packets fit */
			for (unsigned k = 0; k < depth; k++) {
				assert_int_equal(kan_ep_push(ep, base + k), 0);
				assert_int_equal(kan_ep_queued(ep), k + 1);
			}
			uint64_t full0 = ep->c.drops[HK_DROP_RING_FULL];
			assert_int_equal(kan_ep_push(ep, 0xbad), -HK_ENOBUFS);
			assert_int_equal(ep->c.drops[HK_DROP_RING_FULL], full0 + 1);
			assert_int_equal(kan_ep_push(ep, 0xbad), -HK_ENOBUFS);
			assert_int_equal(ep->c.drops[HK_DROP_RING_FULL], full0 + 2);
			assert_int_equal(kan_ep_queued(ep), depth);
			/* one out makes room for exactly one */
			assert_int_equal(kan_ep_pop(ep, &idx), 1);
			assert_int_equal(idx, base);
			assert_int_equal(kan_ep_push(ep, base + depth), 0);
			assert_int_equal(kan_ep_push(ep, 0xbad), -HK_ENOBUFS);
			assert_int_equal(ep->c.drops[HK_DROP_RING_FULL], full0 + 3);
			/* FIFO, and the refused ones never appear */
			for (unsigned k = 1; k <= depth; k++) {
				assert_int_equal(kan_ep_pop(ep, &idx), 1);
				assert_int_equal(idx, base + k);
				assert_int_equal(kan_ep_queued(ep), depth - k);
			}
			assert_int_equal(kan_ep_pop(ep, &idx), 0);
			expect_drops(ep, full0 + 3, 0);
		}
		fx_close(&f);
	}
}

/* Random fill levels against a reference FIFO, many times round the ring. */
static void test_wraparound(void **state)
{
	(void)state;
	static uint32_t model[HK_KAN_DEPTH_MAX];
	rng_state = 0x72696e67ull;
	for (unsigned depth = HK_KAN_DEPTH_MIN; depth <= HK_KAN_DEPTH_MAX; depth *= 2) {
		struct fx f = fx_open(depth);
		struct kan_ep *ep = f.ep;
		unsigned head = 0, n = 0;
		uint32_t next = 1;
		uint64_t pushed = 0, full = 0;
		unsigned cycles = depth < 64 ? 20000 : 3000;
		for (unsigned c = 0; c < cycles; c++) {
			unsigned np = rndn(depth + 2), nq = rndn(depth + 2);
			for (unsigned k = 0; k < np; k++) {
				int rc = kan_ep_push(ep, next);
				if (n == depth) {
					assert_int_equal(rc, -HK_ENOBUFS);
					full++;
				} else {
					assert_int_equal(rc, 0);
					model[(head + n++) % depth] = next;
					pushed++;
				}
				next++;
			}
			assert_int_equal(kan_ep_queued(ep), n);
			for (unsigned k = 0; k < nq; k++) {
				uint32_t idx;
				int got = kan_ep_pop(ep, &idx);
				assert_int_equal(got, n > 0);
				if (got) {
					assert_int_equal(idx, model[head]);
					head = (head + 1) % depth;
					n--;
				}
			}
			assert_int_equal(kan_ep_queued(ep), n);
		}
		assert_true(pushed > 8u * depth); /* went round many times */
		expect_drops(ep, full, 0);
		fx_close(&f);
	}
}

/* The ring's free-running counters crossing 2^32 change nothing. */
static void test_counter_wrap(void **state)
{
	(void)state;
	struct fx f = fx_open(8);
	struct kan_ep *ep = f.ep;
	/* an empty ring whose counters are about to wrap */
	ep->ring.c_head = ep->ring.p_head = ep->ring.p_tail = UINT32_MAX - 20;
	uint32_t idx, next = 0, expect = 0;
	for (int c = 0; c < 20; c++) {
		for (unsigned k = 0; k < 8; k++)
			assert_int_equal(kan_ep_push(ep, next++), 0);
		assert_int_equal(kan_ep_queued(ep), 8);
		assert_int_equal(kan_ep_push(ep, 0xbad), -HK_ENOBUFS);
		for (unsigned k = 0; k < 5; k++) {
			assert_int_equal(kan_ep_pop(ep, &idx), 1);
			assert_int_equal(idx, expect++);
		}
		assert_int_equal(kan_ep_queued(ep), 3);
		for (unsigned k = 0; k < 3; k++) {
			assert_int_equal(kan_ep_pop(ep, &idx), 1);
			assert_int_equal(idx, expect++);
		}
		assert_int_equal(kan_ep_pop(ep, &idx), 0);
	}
	expect_drops(ep, 20, 0);
	fx_close(&f);
}

/* ---- closed endpoints --------------------------------------------------- */

struct dropped {
	uint32_t idx[2 * HK_KAN_DEPTH_MAX];
	unsigned n;
	struct kan_ep *ep; /* to check the state the callback sees */
	unsigned bad_state;
};

static void on_drop(void *ctx, uint32_t idx)
{
	struct dropped *d = ctx;
	if (d->ep && d->ep->state != KAN_EP_CLOSED)
		d->bad_state++;
	if (d->n < 2 * HK_KAN_DEPTH_MAX)
		d->idx[d->n] = idx;
	d->n++;
}

static void test_push_closed(void **state)
{
	(void)state;
	/* never opened: a zeroed slot of the endpoint table */
	struct kan_ep *z = calloc(1, sizeof(*z));
	assert_int_equal(z->state, KAN_EP_FREE);
	assert_int_equal(kan_ep_push(z, 1), -HK_ENOENT);
	assert_int_equal(z->c.drops[HK_DROP_CLOSED], 1);
	assert_int_equal(z->c.drops[HK_DROP_RING_FULL], 0);
	free(z);
	/* opened, then closed while empty */
	struct fx f = fx_open(4);
	struct kan_ep *ep = f.ep;
	struct dropped d = {.ep = ep};
	assert_int_equal(kan_ep_close(ep, on_drop, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(ep->state, KAN_EP_CLOSED);
	expect_drops(ep, 0, 0);
	for (unsigned k = 1; k <= 10; k++) {
		assert_int_equal(kan_ep_push(ep, k), -HK_ENOENT);
		expect_drops(ep, 0, k);
		assert_int_equal(kan_ep_queued(ep), 0);
	}
	uint32_t idx;
	assert_int_equal(kan_ep_pop(ep, &idx), 0);
	fx_close(&f);
}

static void test_close_drains(void **state)
{
	(void)state;
	for (unsigned depth = HK_KAN_DEPTH_MIN; depth <= HK_KAN_DEPTH_MAX; depth *= 2) {
		struct fx f = fx_open(depth);
		struct kan_ep *ep = f.ep;
		uint32_t idx, next = 1000;
		/* fill, take some, refill so the queue wraps the buffer */
		for (unsigned k = 0; k < depth; k++)
			assert_int_equal(kan_ep_push(ep, next++), 0);
		assert_int_equal(kan_ep_push(ep, 1), -HK_ENOBUFS);
		unsigned taken = depth / 2 + 1 > depth - 1 ? depth - 1 : depth / 2 + 1;
		for (unsigned k = 0; k < taken; k++) {
			assert_int_equal(kan_ep_pop(ep, &idx), 1);
			assert_int_equal(idx, 1000 + k);
		}
		unsigned refill = taken - 1;
		for (unsigned k = 0; k < refill; k++)
			assert_int_equal(kan_ep_push(ep, next++), 0);
		unsigned queued = depth - taken + refill;
		assert_int_equal(kan_ep_queued(ep), queued);
		struct dropped d = {.ep = ep};
		assert_int_equal(kan_ep_close(ep, on_drop, &d), queued);
		/* each queued index once, in FIFO order */
		assert_int_equal(d.n, queued);
		for (unsigned k = 0; k < queued; k++)
			assert_int_equal(d.idx[k], 1000 + taken + k);
		assert_int_equal(d.bad_state, 0);
		assert_int_equal(ep->state, KAN_EP_CLOSED);
		expect_drops(ep, 1, queued);
		assert_int_equal(kan_ep_queued(ep), 0);
		assert_int_equal(kan_ep_pop(ep, &idx), 0);
		/* nothing more is queued, and closing again hands over nothing */
		assert_int_equal(kan_ep_push(ep, 5), -HK_ENOENT);
		expect_drops(ep, 1, queued + 1);
		assert_int_equal(kan_ep_close(ep, on_drop, &d), 0);
		assert_int_equal(d.n, queued);
		expect_drops(ep, 1, queued + 1);
		/* reopen on the same buffer: a fresh endpoint */
		kan_ep_open(ep, 43, &ADDR, f.buf, depth);
		assert_int_equal(ep->state, KAN_EP_OPEN);
		assert_int_equal(ep->owner, 43);
		expect_drops(ep, 0, 0);
		assert_int_equal(kan_ep_queued(ep), 0);
		assert_int_equal(kan_ep_push(ep, 9), 0);
		assert_int_equal(kan_ep_pop(ep, &idx), 1);
		assert_int_equal(idx, 9);
		/* a full ring closes whole */
		for (unsigned k = 0; k < depth; k++)
			assert_int_equal(kan_ep_push(ep, 50000 + k), 0);
		d.n = 0;
		assert_int_equal(kan_ep_close(ep, on_drop, &d), depth);
		assert_int_equal(d.n, depth);
		for (unsigned k = 0; k < depth; k++)
			assert_int_equal(d.idx[k], 50000 + k);
		expect_drops(ep, 0, depth);
		fx_close(&f);
	}
}

/* ---- two producers (under ep->lock), two consumers (under their own lock,
 * as the kernel's consumers hold the owner's kp->lock) ---------------------- */

#define NPROD 2
#define NCONS 2

struct race {
	struct kan_ep *ep;
	unsigned per_producer;
	atomic_int go, producers_done;
	ck_spinlock_fas_t consumer_lock; /* what kp->lock is to the kernel's consumers */
	atomic_uchar *seen;
	atomic_ulong popped, full_seen, order_errors, bad_rc, alien;
};

struct prod {
	struct race *r;
	unsigned id;
};

static void *producer(void *arg)
{
	struct prod *pa = arg;
	struct race *r = pa->r;
	unsigned long full = 0, bad = 0;
	while (!atomic_load(&r->go))
		;
	for (unsigned i = 0; i < r->per_producer; i++) {
		uint32_t idx = pa->id * r->per_producer + i;
		for (;;) { /* retry while full: the consumers always drain */
			/* the lock any sender takes; yield rather than spin out a
			 * time slice against a preempted holder (more threads than cores) */
			while (!ck_spinlock_fas_trylock(&r->ep->lock))
				sched_yield();
			int rc = kan_ep_push(r->ep, idx);
			ck_spinlock_fas_unlock(&r->ep->lock);
			if (rc == 0)
				break;
			if (rc == -HK_ENOBUFS) {
				full++;
				sched_yield();
				continue;
			}
			bad++;
			break;
		}
	}
	atomic_fetch_add(&r->full_seen, full);
	atomic_fetch_add(&r->bad_rc, bad);
	atomic_fetch_add(&r->producers_done, 1);
	return NULL;
}

static void *consumer(void *arg)
{
	struct race *r = arg;
	uint32_t last[NPROD];
	int any[NPROD] = {0};
	unsigned long n = 0, order = 0, alien = 0;
	while (!atomic_load(&r->go))
		;
	for (;;) {
		uint32_t idx;
		while (!ck_spinlock_fas_trylock(&r->consumer_lock))
			sched_yield();
		int got = kan_ep_pop(r->ep, &idx);
		ck_spinlock_fas_unlock(&r->consumer_lock);
		if (got) {
			n++;
			if (idx >= NPROD * r->per_producer) {
				alien++;
				continue;
			}
			atomic_fetch_add(&r->seen[idx], 1);
			/* one consumer sees each producer's packets in push order */
			unsigned p = idx / r->per_producer;
			if (any[p] && idx <= last[p])
				order++;
			any[p] = 1;
			last[p] = idx;
			continue;
		}
		/* bounded: stop once every producer finished and the ring is empty */
		if (atomic_load(&r->producers_done) == NPROD && kan_ep_queued(r->ep) == 0)
			break;
		sched_yield();
	}
	atomic_fetch_add(&r->popped, n);
	atomic_fetch_add(&r->order_errors, order);
	atomic_fetch_add(&r->alien, alien);
	return NULL;
}

static void race_run(unsigned depth, unsigned per_producer)
{
	struct fx f = fx_open(depth);
	struct race *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->ep = f.ep;
	r->per_producer = per_producer;
	r->seen = calloc(NPROD * per_producer, sizeof(*r->seen));
	assert_non_null(r->seen);
	pthread_t pt[NPROD], ct[NCONS];
	struct prod pa[NPROD];
	for (unsigned i = 0; i < NPROD; i++) {
		pa[i] = (struct prod){r, i};
		assert_int_equal(pthread_create(&pt[i], NULL, producer, &pa[i]), 0);
	}
	for (unsigned i = 0; i < NCONS; i++)
		assert_int_equal(pthread_create(&ct[i], NULL, consumer, r), 0);
	atomic_store(&r->go, 1);
	for (unsigned i = 0; i < NPROD; i++)
		assert_int_equal(pthread_join(pt[i], NULL), 0);
	for (unsigned i = 0; i < NCONS; i++)
		assert_int_equal(pthread_join(ct[i], NULL), 0);
	assert_int_equal(atomic_load(&r->bad_rc), 0);
	assert_int_equal(atomic_load(&r->alien), 0);
	assert_int_equal(atomic_load(&r->order_errors), 0);
	assert_int_equal(atomic_load(&r->popped), NPROD * per_producer);
	for (unsigned i = 0; i < NPROD * per_producer; i++)
		if (atomic_load(&r->seen[i]) != 1)
			fail_msg("index %u popped %u times", i, (unsigned)atomic_load(&r->seen[i]));
	/* every refusal was counted, nothing else was */
	expect_drops(f.ep, atomic_load(&r->full_seen), 0);
	assert_int_equal(kan_ep_queued(f.ep), 0);
	free(r->seen);
	free(r);
	fx_close(&f);
}

static void test_concurrent(void **state)
{
	(void)state;
	race_run(64, 200000);
	race_run(HK_KAN_DEPTH_MIN, 50000);
	race_run(HK_KAN_DEPTH_MAX, 200000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open),        cmocka_unit_test(test_every_depth),
	    cmocka_unit_test(test_wraparound),  cmocka_unit_test(test_counter_wrap),
	    cmocka_unit_test(test_push_closed), cmocka_unit_test(test_close_drains),
	    cmocka_unit_test(test_concurrent),
	};
	return cmocka_run_group_tests_name("kan-ep", tests, NULL, NULL);
}
