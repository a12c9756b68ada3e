// SPDX-License-Identifier: BSD-2-Clause
/*
 * KAN packet pool on the host: every legal and illegal transition of the
 * page ownership state machine, exhaustion, the per-CPU caches (spill,
 * refill, drain, cross-CPU frees), shared pages, a random walk against a
 * reference model, and threads on their own CPU caches.
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
#include <stdatomic.h>

#include <hekate/errno.h>
#include <kan/pool.h>

#include "rng.h"

struct fx {
	struct kan_pool p;
	struct kan_page *meta;
	uint32_t *stack;
};

static struct fx *fx_new(uint32_t npages)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	/* exact sizes: an index past npages is an ASan error, not a silent write */
	f->meta = malloc(npages * sizeof(*f->meta));
	f->stack = malloc(npages * sizeof(*f->stack));
	assert_non_null(f->meta);
	assert_non_null(f->stack);
	memset(f->meta, 0xa5, npages * sizeof(*f->meta));
	memset(f->stack, 0xa5, npages * sizeof(*f->stack));
	memset(&f->p, 0xa5, sizeof(f->p)); /* init must set everything it relies on */
	kan_pool_init(&f->p, f->meta, f->stack, npages);
	return f;
}

static void fx_free(struct fx *f)
{
	free(f->meta);
	free(f->stack);
	free(f);
}

static uint64_t total(struct kan_pool *p)
{
	return kan_pool_free(p) + p->held + p->queued + p->shared;
}

/* Every invariant of a quiescent pool: counts agree with meta, every FREE
 * page sits exactly once in the global stack or one cache, nothing else does. */
static void check_pool(struct kan_pool *p)
{
	uint32_t n = p->npages;
	uint64_t cnt[4] = {0};
	uint8_t *seen = calloc(n, 1);
	assert_non_null(seen);
	for (uint32_t i = 0; i < n; i++) {
		assert_true(p->meta[i].state <= KAN_PG_SHARED);
		cnt[p->meta[i].state]++;
		if (p->meta[i].state == KAN_PG_SHARED)
			assert_true(p->meta[i].refs >= 1);
	}
	assert_int_equal(p->held, cnt[KAN_PG_HELD]);
	assert_int_equal(p->queued, cnt[KAN_PG_QUEUED]);
	assert_int_equal(p->shared, cnt[KAN_PG_SHARED]);
	assert_int_equal(kan_pool_free(p), cnt[KAN_PG_FREE]);
	assert_int_equal(total(p), n);
	assert_true(p->top <= n);
	uint64_t listed = 0;
	for (uint32_t k = 0; k < p->top; k++) {
		uint32_t i = p->stack[k];
		assert_true(i < n);
		assert_int_equal(p->meta[i].state, KAN_PG_FREE);
		assert_false(seen[i]);
		seen[i] = 1;
		listed++;
	}
	for (unsigned c = 0; c < KAN_MAX_CPUS; c++) {
		assert_true(p->cache[c].n <= KAN_CACHE_MAX);
		for (uint32_t k = 0; k < p->cache[c].n; k++) {
			uint32_t i = p->cache[c].idx[k];
			assert_true(i < n);
			assert_int_equal(p->meta[i].state, KAN_PG_FREE);
			assert_false(seen[i]);
			seen[i] = 1;
			listed++;
		}
	}
	assert_int_equal(listed, cnt[KAN_PG_FREE]);
	free(seen);
}

/* A copy of everything a transition could change. */
struct snap {
	struct kan_pool p;
	struct kan_page *meta;
	uint32_t *stack;
	uint64_t nfree;
};

static void snap_take(struct snap *s, struct kan_pool *p)
{
	memcpy(&s->p, p, sizeof(*p));
	s->meta = malloc(p->npages * sizeof(*p->meta));
	s->stack = malloc(p->npages * sizeof(*p->stack));
	memcpy(s->meta, p->meta, p->npages * sizeof(*p->meta));
	memcpy(s->stack, p->stack, p->npages * sizeof(*p->stack));
	s->nfree = kan_pool_free(p);
}

static void snap_same(struct snap *s, struct kan_pool *p)
{
	assert_int_equal(p->npages, s->p.npages);
	assert_int_equal(p->top, s->p.top);
	assert_int_equal(p->held, s->p.held);
	assert_int_equal(p->queued, s->p.queued);
	assert_int_equal(p->shared, s->p.shared);
	assert_int_equal(kan_pool_free(p), s->nfree);
	assert_memory_equal(p->meta, s->meta, p->npages * sizeof(*p->meta));
	if (p->top)
		assert_memory_equal(p->stack, s->stack, p->top * sizeof(*p->stack));
	for (unsigned c = 0; c < KAN_MAX_CPUS; c++) {
		assert_int_equal(p->cache[c].n, s->p.cache[c].n);
		if (p->cache[c].n)
			assert_memory_equal(p->cache[c].idx, s->p.cache[c].idx,
			                    p->cache[c].n * sizeof(uint32_t));
	}
}

static void snap_drop(struct snap *s)
{
	free(s->meta);
	free(s->stack);
}

/* ---- init and legal transitions ----------------------------------------- */

static void test_init(void **state)
{
	(void)state;
	struct fx *f = fx_new(100);
	struct kan_pool *p = &f->p;
	assert_int_equal(p->npages, 100);
	assert_int_equal(kan_pool_free(p), 100);
	assert_int_equal(p->held + p->queued + p->shared, 0);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(p->meta[i].state, KAN_PG_FREE);
	check_pool(p);
	/* a one-page pool */
	struct fx *g = fx_new(1);
	uint32_t idx = 77;
	assert_int_equal(kan_pg_alloc(&g->p, 0, 1, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(kan_pg_alloc(&g->p, 0, 1, &idx), -HK_ENOMEM);
	assert_int_equal(kan_pg_free(&g->p, 0, 0, 1), 0);
	check_pool(&g->p);
	fx_free(g);
	fx_free(f);
}

static void expect_meta(struct kan_pool *p, uint32_t i, uint32_t st, int32_t who)
{
	assert_int_equal(p->meta[i].state, st);
	if (st == KAN_PG_HELD)
		assert_int_equal(p->meta[i].owner, who);
	if (st == KAN_PG_QUEUED)
		assert_int_equal(p->meta[i].charge, who);
	if (st == KAN_PG_SHARED)
		assert_int_equal(p->meta[i].refs, (uint32_t)who);
}

static void test_legal_transitions(void **state)
{
	(void)state;
	struct fx *f = fx_new(64);
	struct kan_pool *p = &f->p;
	uint32_t i, j;
	int32_t ch = 12345;

	/* FREE -> HELD -> QUEUED -> HELD(receiver) -> QUEUED -> FREE (drop) */
	assert_int_equal(kan_pg_alloc(p, 0, 7, &i), 0);
	assert_true(i < 64);
	expect_meta(p, i, KAN_PG_HELD, 7);
	assert_int_equal(p->held, 1);
	assert_int_equal(kan_pool_free(p), 63);
	check_pool(p);
	assert_int_equal(kan_pg_send(p, i, 7), 0);
	expect_meta(p, i, KAN_PG_QUEUED, 7);
	assert_int_equal(p->held, 0);
	assert_int_equal(p->queued, 1);
	check_pool(p);
	assert_int_equal(kan_pg_deliver(p, i, 9, &ch), 0);
	assert_int_equal(ch, 7);
	expect_meta(p, i, KAN_PG_HELD, 9);
	assert_int_equal(p->held, 1);
	assert_int_equal(p->queued, 0);
	check_pool(p);
	/* the old owner has lost it */
	assert_int_equal(kan_pg_free(p, 0, i, 7), -HK_EPERM);
	assert_int_equal(kan_pg_send(p, i, 9), 0);
	expect_meta(p, i, KAN_PG_QUEUED, 9);
	ch = 0;
	assert_int_equal(kan_pg_drop(p, 1, i, &ch), 0);
	assert_int_equal(ch, 9);
	expect_meta(p, i, KAN_PG_FREE, 0);
	assert_int_equal(p->queued, 0);
	assert_int_equal(kan_pool_free(p), 64);
	assert_int_equal(p->cache[1].n, 1); /* freed on CPU 1: in its cache */
	check_pool(p);

	/* HELD -> FREE; delivery to the sender itself */
	assert_int_equal(kan_pg_alloc(p, 0, 3, &i), 0);
	assert_int_equal(kan_pg_send(p, i, 3), 0);
	assert_int_equal(kan_pg_deliver(p, i, 3, &ch), 0);
	assert_int_equal(ch, 3);
	expect_meta(p, i, KAN_PG_HELD, 3);
	assert_int_equal(kan_pg_free(p, 0, i, 3), 0);
	expect_meta(p, i, KAN_PG_FREE, 0);
	assert_int_equal(p->held, 0);
	check_pool(p);

	/* HELD -> SHARED(3) -> ... -> FREE */
	assert_int_equal(kan_pg_alloc(p, 2, 4, &i), 0);
	assert_int_equal(kan_pg_alloc(p, 2, 4, &j), 0);
	assert_int_not_equal(i, j);
	assert_int_equal(kan_pg_share(p, i, 4, 3), 0);
	expect_meta(p, i, KAN_PG_SHARED, 3);
	assert_int_equal(p->held, 1);
	assert_int_equal(p->shared, 1);
	check_pool(p);
	assert_int_equal(kan_pg_unref(p, 0, i), 0);
	expect_meta(p, i, KAN_PG_SHARED, 2);
	assert_int_equal(kan_pg_unref(p, 1, i), 0);
	expect_meta(p, i, KAN_PG_SHARED, 1);
	assert_int_equal(kan_pg_unref(p, 3, i), 1);
	expect_meta(p, i, KAN_PG_FREE, 0);
	assert_int_equal(p->shared, 0);
	assert_int_equal(p->cache[3].n, 1);
	check_pool(p);
	assert_int_equal(kan_pg_free(p, 2, j, 4), 0);
	/* negative and zero pids are just values for the owner */
	assert_int_equal(kan_pg_alloc(p, 0, 0, &i), 0);
	expect_meta(p, i, KAN_PG_HELD, 0);
	assert_int_equal(kan_pg_send(p, i, 0), 0);
	assert_int_equal(kan_pg_deliver(p, i, INT32_MAX, &ch), 0);
	assert_int_equal(ch, 0);
	assert_int_equal(kan_pg_free(p, 0, i, INT32_MAX), 0);
	assert_int_equal(kan_pool_free(p), 64);
	check_pool(p);
	fx_free(f);
}

/* ---- illegal transitions ------------------------------------------------ */

enum { OP_FREE, OP_SEND, OP_DELIVER, OP_DROP, OP_SHARE, OP_UNREF, OP_COUNT };

/* Try op; -HK_EPERM must leave everything (and *charge) unchanged. */
static void expect_eperm(struct kan_pool *p, int op, uint32_t idx, int32_t who, uint32_t refs,
                         unsigned cpu)
{
	struct snap s;
	snap_take(&s, p);
	int32_t ch = -777;
	int rc;
	switch (op) {
	case OP_FREE: rc = kan_pg_free(p, cpu, idx, who); break;
	case OP_SEND: rc = kan_pg_send(p, idx, who); break;
	case OP_DELIVER: rc = kan_pg_deliver(p, idx, who, &ch); break;
	case OP_DROP: rc = kan_pg_drop(p, cpu, idx, &ch); break;
	case OP_SHARE: rc = kan_pg_share(p, idx, who, refs); break;
	default: rc = kan_pg_unref(p, cpu, idx); break;
	}
	if (rc != -HK_EPERM)
		fail_msg("op %d idx %u who %d refs %u: rc %d, want -HK_EPERM", op, idx, who, refs,
		         rc);
	assert_int_equal(ch, -777);
	snap_same(&s, p);
	snap_drop(&s);
}

static void test_illegal_transitions(void **state)
{
	(void)state;
	struct fx *f = fx_new(64);
	struct kan_pool *p = &f->p;
	const int32_t OWNER = 5;
	uint32_t pg[4], spare;
	int32_t ch;
	/* one page in each state, all touched by OWNER */
	assert_int_equal(kan_pg_alloc(p, 0, OWNER, &pg[KAN_PG_FREE]), 0);
	assert_int_equal(kan_pg_alloc(p, 0, OWNER, &pg[KAN_PG_HELD]), 0);
	assert_int_equal(kan_pg_alloc(p, 0, OWNER, &pg[KAN_PG_QUEUED]), 0);
	assert_int_equal(kan_pg_send(p, pg[KAN_PG_QUEUED], OWNER), 0);
	assert_int_equal(kan_pg_alloc(p, 0, OWNER, &pg[KAN_PG_SHARED]), 0);
	assert_int_equal(kan_pg_share(p, pg[KAN_PG_SHARED], OWNER, 2), 0);
	assert_int_equal(kan_pg_alloc(p, 1, 99, &spare), 0);
	assert_int_equal(kan_pg_free(p, 2, pg[KAN_PG_FREE], OWNER), 0);
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < a; b++)
			assert_int_not_equal(pg[a], pg[b]);
	check_pool(p);

	static const int32_t whos[] = {5, 6, 4, -1, 0, 99, INT32_MIN};
	static const uint32_t refss[] = {0, 1, 2, 1000};
	unsigned tried = 0;
	for (uint32_t st = KAN_PG_FREE; st <= KAN_PG_SHARED; st++) {
		uint32_t i = pg[st];
		for (int op = 0; op < OP_COUNT; op++)
			for (size_t w = 0; w < sizeof(whos) / sizeof(whos[0]); w++)
				for (size_t r = 0; r < sizeof(refss) / sizeof(refss[0]); r++) {
					int32_t who = whos[w];
					uint32_t refs = refss[r];
					int legal;
					switch (op) {
					case OP_FREE:
					case OP_SEND:
						legal = st == KAN_PG_HELD && who == OWNER;
						break;
					case OP_DELIVER:
					case OP_DROP: legal = st == KAN_PG_QUEUED; break;
					case OP_SHARE:
						legal =
						    st == KAN_PG_HELD && who == OWNER && refs >= 1;
						break;
					default: legal = st == KAN_PG_SHARED; break;
					}
					if (legal)
						continue;
					expect_eperm(p, op, i, who, refs,
					             (unsigned)(w % KAN_MAX_CPUS));
					tried++;
				}
	}
	assert_true(tried > 400);
	/* index out of range, whatever the rest */
	static const uint32_t bad_idx[] = {64, 65, 128, 0x7fffffffu, 0x80000000u, UINT32_MAX};
	for (size_t b = 0; b < sizeof(bad_idx) / sizeof(bad_idx[0]); b++)
		for (int op = 0; op < OP_COUNT; op++) {
			expect_eperm(p, op, bad_idx[b], OWNER, 1, 0);
			expect_eperm(p, op, bad_idx[b], -1, 1, 1);
		}
	/* the pages are still in their states and the legal moves still work */
	expect_meta(p, pg[KAN_PG_HELD], KAN_PG_HELD, OWNER);
	expect_meta(p, pg[KAN_PG_QUEUED], KAN_PG_QUEUED, OWNER);
	expect_meta(p, pg[KAN_PG_SHARED], KAN_PG_SHARED, 2);
	assert_int_equal(kan_pg_free(p, 0, pg[KAN_PG_HELD], OWNER), 0);
	assert_int_equal(kan_pg_drop(p, 0, pg[KAN_PG_QUEUED], &ch), 0);
	assert_int_equal(ch, OWNER);
	assert_int_equal(kan_pg_unref(p, 0, pg[KAN_PG_SHARED]), 0);
	assert_int_equal(kan_pg_unref(p, 0, pg[KAN_PG_SHARED]), 1);
	/* and now they are all FREE: every move but alloc is refused */
	for (int k = 0; k < 4; k++)
		for (int op = 0; op < OP_COUNT; op++)
			expect_eperm(p, op, pg[k], OWNER, 1, 0);
	assert_int_equal(kan_pg_free(p, 1, spare, 99), 0);
	assert_int_equal(kan_pool_free(p), 64);
	check_pool(p);
	fx_free(f);
}

/* ---- exhaustion --------------------------------------------------------- */

static void test_exhaustion(void **state)
{
	(void)state;
	enum { N = 200 }; /* not a multiple of the batch */
	struct fx *f = fx_new(N);
	struct kan_pool *p = &f->p;
	static uint32_t got[N];
	for (int round = 0; round < 3; round++) {
		uint8_t seen[N] = {0};
		for (unsigned k = 0; k < N; k++) {
			assert_int_equal(kan_pg_alloc(p, 0, 42, &got[k]), 0);
			assert_true(got[k] < N);
			assert_false(seen[got[k]]);
			seen[got[k]] = 1;
			assert_int_equal(total(p), N);
		}
		assert_int_equal(kan_pool_free(p), 0);
		assert_int_equal(p->held, N);
		struct snap s;
		snap_take(&s, p);
		uint32_t idx = 0xabcdef;
		assert_int_equal(kan_pg_alloc(p, 0, 42, &idx), -HK_ENOMEM);
		assert_int_equal(idx, 0xabcdef);
		for (unsigned c = 0; c < KAN_MAX_CPUS; c++)
			assert_int_equal(kan_pg_alloc(p, c, 42, &idx), -HK_ENOMEM);
		snap_same(&s, p);
		snap_drop(&s);
		check_pool(p);
		/* free in a scrambled order on one CPU: everything comes back */
		for (unsigned k = 0; k < N; k++) {
			unsigned j = (k * 7 + round) % N;
			assert_int_equal(kan_pg_free(p, (unsigned)round, got[j], 42), 0);
			assert_int_equal(total(p), N);
		}
		assert_int_equal(kan_pool_free(p), N);
		assert_int_equal(p->held, 0);
		check_pool(p);
		kan_pool_drain_cache(p, (unsigned)round);
		/* alloc everything again on CPU 0 next round */
	}
	fx_free(f);
}

/* ---- per-CPU caches ----------------------------------------------------- */

static void test_cache_boundaries(void **state)
{
	(void)state;
	enum { N = 256 };
	struct fx *f = fx_new(N);
	struct kan_pool *p = &f->p;
	static uint32_t got[N];
	unsigned n = 0;
	/* the first alloc refills one batch */
	assert_int_equal(kan_pg_alloc(p, 0, 1, &got[n++]), 0);
	assert_int_equal(p->top, N - KAN_CACHE_BATCH);
	assert_int_equal(p->cache[0].n, KAN_CACHE_BATCH - 1);
	/* the rest of the batch comes from the cache, the global stack untouched */
	while (n < KAN_CACHE_BATCH) {
		assert_int_equal(kan_pg_alloc(p, 0, 1, &got[n++]), 0);
		assert_int_equal(p->top, N - KAN_CACHE_BATCH);
	}
	assert_int_equal(p->cache[0].n, 0);
	assert_int_equal(kan_pg_alloc(p, 0, 1, &got[n++]), 0);
	assert_int_equal(p->top, N - 2 * KAN_CACHE_BATCH);
	assert_int_equal(p->cache[0].n, KAN_CACHE_BATCH - 1);
	check_pool(p);
	/* take more: 200 held */
	while (n < 200)
		assert_int_equal(kan_pg_alloc(p, 0, 1, &got[n++]), 0);
	check_pool(p);
	uint32_t top0 = p->top, c0 = p->cache[0].n;
	/* free on CPU 1: its cache fills to exactly KAN_CACHE_MAX without spilling */
	unsigned k = 0;
	for (; k < KAN_CACHE_MAX; k++) {
		assert_int_equal(kan_pg_free(p, 1, got[k], 1), 0);
		assert_int_equal(p->cache[1].n, k + 1);
		assert_int_equal(p->top, top0);
		assert_int_equal(p->cache[0].n, c0);
		assert_int_equal(total(p), N);
	}
	/* one more spills a batch first */
	assert_int_equal(kan_pg_free(p, 1, got[k++], 1), 0);
	assert_int_equal(p->cache[1].n, KAN_CACHE_MAX - KAN_CACHE_BATCH + 1);
	assert_int_equal(p->top, top0 + KAN_CACHE_BATCH);
	check_pool(p);
	/* fill again to the brim and spill again */
	while (p->cache[1].n < KAN_CACHE_MAX)
		assert_int_equal(kan_pg_free(p, 1, got[k++], 1), 0);
	assert_int_equal(p->top, top0 + KAN_CACHE_BATCH);
	assert_int_equal(kan_pg_free(p, 1, got[k++], 1), 0);
	assert_int_equal(p->cache[1].n, KAN_CACHE_MAX - KAN_CACHE_BATCH + 1);
	assert_int_equal(p->top, top0 + 2 * KAN_CACHE_BATCH);
	check_pool(p);
	/* drains: everything in the cache moves, the free total does not */
	uint64_t fr = kan_pool_free(p);
	uint32_t t = p->top, c1 = p->cache[1].n;
	kan_pool_drain_cache(p, 1);
	assert_int_equal(p->cache[1].n, 0);
	assert_int_equal(p->top, t + c1);
	assert_int_equal(kan_pool_free(p), fr);
	kan_pool_drain_cache(p, 1); /* empty: nothing happens */
	assert_int_equal(p->top, t + c1);
	kan_pool_drain_cache(p, 0);
	assert_int_equal(p->cache[0].n, 0);
	assert_int_equal(p->top, t + c1 + c0);
	assert_int_equal(kan_pool_free(p), fr);
	check_pool(p);
	/* a full cache drains whole */
	while (p->cache[2].n < KAN_CACHE_MAX && k < n)
		assert_int_equal(kan_pg_free(p, 2, got[k++], 1), 0);
	assert_int_equal(p->cache[2].n, KAN_CACHE_MAX);
	t = p->top;
	kan_pool_drain_cache(p, 2);
	assert_int_equal(p->cache[2].n, 0);
	assert_int_equal(p->top, t + KAN_CACHE_MAX);
	check_pool(p);
	/* refill when the global stack holds less than a batch */
	while (k < n)
		assert_int_equal(kan_pg_free(p, 0, got[k++], 1), 0);
	kan_pool_drain_cache(p, 0);
	assert_int_equal(p->top, N);
	check_pool(p);
	for (n = 0; n < N; n++)
		assert_int_equal(kan_pg_alloc(p, 3, 1, &got[n]), 0);
	assert_int_equal(p->top, 0);
	assert_int_equal(p->cache[3].n, 0);
	for (k = 0; k < 5; k++) /* five pages back to the global stack via CPU 4 */
		assert_int_equal(kan_pg_free(p, 4, got[--n], 1), 0);
	kan_pool_drain_cache(p, 4);
	assert_int_equal(p->top, 5);
	assert_int_equal(kan_pg_alloc(p, 3, 1, &got[n++]), 0);
	assert_int_equal(p->top, 0);
	assert_int_equal(p->cache[3].n, 4);
	while (p->cache[3].n)
		assert_int_equal(kan_pg_alloc(p, 3, 1, &got[n++]), 0);
	assert_int_equal(n, N);
	uint32_t idx;
	assert_int_equal(kan_pg_alloc(p, 3, 1, &idx), -HK_ENOMEM);
	check_pool(p);
	for (k = 0; k < n; k++)
		assert_int_equal(kan_pg_free(p, 3, got[k], 1), 0);
	check_pool(p);
	fx_free(f);
}

/* Allocations on CPU 0, frees on CPU 1, in random batch sizes: conserved at every step. */
static void test_cross_cpu(void **state)
{
	(void)state;
	enum { N = 300 };
	struct fx *f = fx_new(N);
	struct kan_pool *p = &f->p;
	static uint32_t held[N];
	unsigned nh = 0, spills = 0, refills = 0;
	rng_state = 0x63707573ull;
	for (int round = 0; round < 400; round++) {
		unsigned want = rndn(150);
		for (unsigned k = 0; k < want && nh < N; k++) {
			uint32_t top = p->top;
			int rc = kan_pg_alloc(p, 0, 8, &held[nh]);
			if (rc == -HK_ENOMEM) {
				/* only when CPU 0 can reach nothing */
				assert_int_equal(p->cache[0].n, 0);
				assert_int_equal(p->top, 0);
				break;
			}
			assert_int_equal(rc, 0);
			refills += p->top != top;
			nh++;
			assert_int_equal(total(p), N);
		}
		unsigned drop = nh ? rndn(nh + 1) : 0;
		for (unsigned k = 0; k < drop; k++) {
			unsigned j = rndn(nh);
			uint32_t top = p->top;
			assert_int_equal(kan_pg_free(p, 1, held[j], 8), 0);
			spills += p->top != top;
			held[j] = held[--nh];
			assert_int_equal(total(p), N);
			assert_true(p->cache[1].n <= KAN_CACHE_MAX);
		}
		check_pool(p);
		if (rndn(10) == 0)
			kan_pool_drain_cache(p, 1);
	}
	assert_true(spills > 10);
	assert_true(refills > 10);
	while (nh)
		assert_int_equal(kan_pg_free(p, 1, held[--nh], 8), 0);
	assert_int_equal(kan_pool_free(p), N);
	check_pool(p);
	fx_free(f);
}

/* CPU 2 sees -HK_ENOMEM while free pages sit in other CPUs' caches; a drain
 * makes them reachable again. */
static void test_drain_makes_reachable(void **state)
{
	(void)state;
	enum { N = 128 };
	struct fx *f = fx_new(N);
	struct kan_pool *p = &f->p;
	static uint32_t got[N];
	for (unsigned k = 0; k < N; k++)
		assert_int_equal(kan_pg_alloc(p, 0, 1, &got[k]), 0);
	for (unsigned k = 0; k < 40; k++)
		assert_int_equal(kan_pg_free(p, 1, got[k], 1), 0);
	for (unsigned k = 40; k < N; k++)
		assert_int_equal(kan_pg_free(p, 0, got[k], 1), 0);
	check_pool(p);
	unsigned n = 0;
	uint32_t idx;
	while (kan_pg_alloc(p, 2, 1, &idx) == 0)
		got[n++] = idx;
	/* what CPU 2 could not get is exactly what CPUs 0 and 1 cache */
	assert_int_equal(kan_pool_free(p), p->cache[0].n + p->cache[1].n);
	assert_int_equal(n + kan_pool_free(p), N);
	kan_pool_drain_cache(p, 0);
	kan_pool_drain_cache(p, 1);
	while (kan_pg_alloc(p, 2, 1, &idx) == 0)
		got[n++] = idx;
	assert_int_equal(n, N);
	assert_int_equal(kan_pool_free(p), 0);
	for (unsigned k = 0; k < N; k++)
		assert_int_equal(kan_pg_free(p, 2, got[k], 1), 0);
	check_pool(p);
	fx_free(f);
}

/* ---- shared pages ------------------------------------------------------- */

static void test_shared(void **state)
{
	(void)state;
	struct fx *f = fx_new(64);
	struct kan_pool *p = &f->p;
	static const uint32_t refss[] = {1, 2, 3, 5, 16, 64, 1000};
	for (size_t r = 0; r < sizeof(refss) / sizeof(refss[0]); r++) {
		uint32_t n = refss[r], i, other;
		assert_int_equal(kan_pg_alloc(p, 0, 11, &i), 0);
		assert_int_equal(kan_pg_alloc(p, 0, 11, &other), 0);
		assert_int_equal(kan_pg_share(p, i, 11, n), 0);
		assert_int_equal(p->shared, 1);
		assert_int_equal(p->held, 1);
		for (uint32_t k = 1; k < n; k++) {
			assert_int_equal(kan_pg_unref(p, k % KAN_MAX_CPUS, i), 0);
			expect_meta(p, i, KAN_PG_SHARED, (int32_t)(n - k));
			assert_int_equal(p->shared, 1);
			assert_int_equal(total(p), 64);
		}
		/* a shared page cannot be freed, sent, re-shared or dropped meanwhile */
		expect_eperm(p, OP_FREE, i, 11, 1, 0);
		expect_eperm(p, OP_SEND, i, 11, 1, 0);
		expect_eperm(p, OP_SHARE, i, 11, 1, 0);
		expect_eperm(p, OP_DROP, i, 11, 1, 0);
		expect_eperm(p, OP_DELIVER, i, 11, 1, 0);
		uint64_t fr = kan_pool_free(p);
		assert_int_equal(kan_pg_unref(p, 5, i), 1);
		expect_meta(p, i, KAN_PG_FREE, 0);
		assert_int_equal(p->shared, 0);
		assert_int_equal(kan_pool_free(p), fr + 1);
		/* a further unref is refused and changes nothing */
		expect_eperm(p, OP_UNREF, i, 0, 0, 5);
		assert_int_equal(kan_pg_free(p, 0, other, 11), 0);
		check_pool(p);
	}
	/* several shared pages at once */
	uint32_t s[10];
	for (int k = 0; k < 10; k++) {
		assert_int_equal(kan_pg_alloc(p, 0, 2, &s[k]), 0);
		assert_int_equal(kan_pg_share(p, s[k], 2, (uint32_t)k + 1), 0);
	}
	assert_int_equal(p->shared, 10);
	check_pool(p);
	int freed = 0;
	for (int round = 0; round < 10; round++)
		for (int k = 0; k < 10; k++)
			if (k >= round)
				freed += kan_pg_unref(p, 0, s[k]);
	assert_int_equal(freed, 10);
	assert_int_equal(p->shared, 0);
	assert_int_equal(kan_pool_free(p), 64);
	check_pool(p);
	fx_free(f);
}

/* ---- random walk against a reference model ------------------------------ */

#define WN     150u
#define WCPUS  4u
#define WSTEPS 100000

struct model {
	uint32_t st[WN];
	int32_t who[WN]; /* owner (HELD) or charge (QUEUED) */
	uint32_t refs[WN];
};

static uint32_t pick(struct model *m, uint32_t want_state)
{
	/* a page in want_state, if any, else a random one */
	uint32_t start = rndn(WN);
	for (uint32_t k = 0; k < WN; k++) {
		uint32_t i = (start + k) % WN;
		if (m->st[i] == want_state)
			return i;
	}
	return start;
}

static void test_random_walk(void **state)
{
	(void)state;
	struct fx *f = fx_new(WN);
	struct kan_pool *p = &f->p;
	static struct model m;
	static const int32_t owners[] = {10, 11, 12, 13, -1};
	for (uint32_t i = 0; i < WN; i++) {
		m.st[i] = KAN_PG_FREE;
		m.refs[i] = 0;
	}
	unsigned legal[8] = {0}, illegal[8] = {0}, enomem = 0;
	rng_state = 0x77616c6bull;
	for (int step = 0; step < WSTEPS; step++) {
		unsigned op = rndn(16);
		unsigned cpu = rndn(WCPUS);
		int32_t who = owners[rndn(5)];
		uint32_t want[8] = {KAN_PG_FREE,   KAN_PG_HELD, KAN_PG_HELD,   KAN_PG_QUEUED,
		                    KAN_PG_QUEUED, KAN_PG_HELD, KAN_PG_SHARED, KAN_PG_FREE};
		op = op < 4 ? 0 : op < 14 ? 1 + (op - 4) % 6 : 7; /* allocs and drains less often */
		uint32_t i;
		if (rndn(25) == 0)
			i = rndn(3) ? WN + rndn(4) : UINT32_MAX - rndn(2);
		else if (rndn(4))
			i = pick(&m, want[op]);
		else
			i = rndn(WN);
		int in = i < WN;
		/* mostly the right owner for HELD pages */
		if (in && m.st[i] == KAN_PG_HELD && rndn(4))
			who = m.who[i];
		uint32_t refs = rndn(5);
		int32_t ch = -777;
		struct snap s;
		snap_take(&s, p);
		int rc, ok;
		switch (op) {
		case 0: { /* alloc */
			uint32_t got = UINT32_MAX;
			rc = kan_pg_alloc(p, cpu, who, &got);
			if (rc == -HK_ENOMEM) {
				assert_int_equal(s.p.cache[cpu].n, 0);
				assert_int_equal(s.p.top, 0);
				snap_same(&s, p);
				enomem++;
			} else {
				assert_int_equal(rc, 0);
				assert_true(got < WN);
				assert_int_equal(m.st[got], KAN_PG_FREE);
				m.st[got] = KAN_PG_HELD;
				m.who[got] = who;
				legal[op]++;
			}
			break;
		}
		case 1: /* free */
			ok = in && m.st[i] == KAN_PG_HELD && m.who[i] == who;
			rc = kan_pg_free(p, cpu, i, who);
			assert_int_equal(rc, ok ? 0 : -HK_EPERM);
			if (ok)
				m.st[i] = KAN_PG_FREE;
			break;
		case 2: /* send */
			ok = in && m.st[i] == KAN_PG_HELD && m.who[i] == who;
			rc = kan_pg_send(p, i, who);
			assert_int_equal(rc, ok ? 0 : -HK_EPERM);
			if (ok)
				m.st[i] = KAN_PG_QUEUED; /* charge = who, already in m.who */
			break;
		case 3: /* deliver */
			ok = in && m.st[i] == KAN_PG_QUEUED;
			rc = kan_pg_deliver(p, i, who, &ch);
			assert_int_equal(rc, ok ? 0 : -HK_EPERM);
			if (ok) {
				assert_int_equal(ch, m.who[i]);
				m.st[i] = KAN_PG_HELD;
				m.who[i] = who;
			}
			break;
		case 4: /* drop */
			ok = in && m.st[i] == KAN_PG_QUEUED;
			rc = kan_pg_drop(p, cpu, i, &ch);
			assert_int_equal(rc, ok ? 0 : -HK_EPERM);
			if (ok) {
				assert_int_equal(ch, m.who[i]);
				m.st[i] = KAN_PG_FREE;
			}
			break;
		case 5: /* share */
			ok = in && m.st[i] == KAN_PG_HELD && m.who[i] == who && refs >= 1;
			rc = kan_pg_share(p, i, who, refs);
			assert_int_equal(rc, ok ? 0 : -HK_EPERM);
			if (ok) {
				m.st[i] = KAN_PG_SHARED;
				m.refs[i] = refs;
			}
			break;
		case 6: /* unref */
			ok = in && m.st[i] == KAN_PG_SHARED;
			rc = kan_pg_unref(p, cpu, i);
			if (!ok) {
				assert_int_equal(rc, -HK_EPERM);
			} else {
				assert_int_equal(rc, m.refs[i] == 1);
				if (--m.refs[i] == 0)
					m.st[i] = KAN_PG_FREE;
			}
			break;
		default: /* drain */
			kan_pool_drain_cache(p, cpu);
			assert_int_equal(p->cache[cpu].n, 0);
			assert_int_equal(p->top, s.p.top + s.p.cache[cpu].n);
			rc = 0;
			ok = 1;
			break;
		}
		if (op != 0) {
			if (rc < 0) {
				illegal[op]++;
				assert_int_equal(ch, -777);
				snap_same(&s, p);
			} else {
				legal[op]++;
			}
		}
		snap_drop(&s);
		/* per-page state against the model, and conservation */
		for (uint32_t k = 0; k < WN; k++) {
			assert_int_equal(p->meta[k].state, m.st[k]);
			if (m.st[k] == KAN_PG_HELD)
				assert_int_equal(p->meta[k].owner, m.who[k]);
			else if (m.st[k] == KAN_PG_QUEUED)
				assert_int_equal(p->meta[k].charge, m.who[k]);
			else if (m.st[k] == KAN_PG_SHARED)
				assert_int_equal(p->meta[k].refs, m.refs[k]);
		}
		assert_int_equal(total(p), WN);
		if (step % 8 == 0)
			check_pool(p);
	}
	check_pool(p);
	for (int op = 0; op < 8; op++)
		assert_true(legal[op] > 500);
	for (int op = 1; op < 7; op++)
		if (illegal[op] < 200)
			fail_msg("op %d: only %u illegal tries (%u legal)", op, illegal[op],
			         legal[op]);
	(void)enomem;
	fx_free(f);
}

/* ---- threads, each on its own CPU cache --------------------------------- */

#define TN      1024u
#define TTHR    4
#define TROUNDS 6000

struct worker {
	struct kan_pool *p;
	unsigned cpu;
	atomic_int *go;
	unsigned long errors, ops;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct kan_pool *p = w->p;
	int32_t me = 100 + (int32_t)w->cpu, other = 200 + (int32_t)w->cpu;
	uint32_t pages[100];
	uint64_t s = 0x9e3779b97f4a7c15ull * (w->cpu + 1);
	while (!atomic_load(w->go))
		;
	for (int r = 0; r < TROUNDS; r++) {
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		unsigned n = 1 + (unsigned)((s * 0x2545f4914f6cdd1dull) >> 40) % 100, got = 0;
		for (unsigned k = 0; k < n; k++)
			if (kan_pg_alloc(p, w->cpu, me, &pages[got]) == 0)
				got++;
			else
				w->errors++; /* never short: 4 x (100 held + 64 cached) < TN */
		for (unsigned k = 0; k < got; k++) {
			uint32_t i = pages[k];
			int32_t ch = 0;
			if (p->meta[i].state != KAN_PG_HELD || p->meta[i].owner != me)
				w->errors++;
			if (kan_pg_send(p, i, me) != 0)
				w->errors++;
			if (k % 3 == 0) { /* dropped on the way */
				if (kan_pg_drop(p, w->cpu, i, &ch) != 0 || ch != me)
					w->errors++;
				continue;
			}
			if (kan_pg_deliver(p, i, other, &ch) != 0 || ch != me)
				w->errors++;
			if (k % 5 == 1) { /* multicast: three references */
				if (kan_pg_share(p, i, other, 3) != 0)
					w->errors++;
				int freed = kan_pg_unref(p, w->cpu, i);
				freed += kan_pg_unref(p, w->cpu, i);
				if (freed != 0 || kan_pg_unref(p, w->cpu, i) != 1)
					w->errors++;
				continue;
			}
			if (kan_pg_free(p, w->cpu, i, me) != -HK_EPERM) /* not its page now */
				w->errors++;
			if (kan_pg_free(p, w->cpu, i, other) != 0)
				w->errors++;
		}
		w->ops += got;
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	struct fx *f = fx_new(TN);
	struct kan_pool *p = &f->p;
	pthread_t th[TTHR];
	struct worker w[TTHR];
	atomic_int go = 0;
	for (int t = 0; t < TTHR; t++) {
		w[t] = (struct worker){.p = p, .cpu = (unsigned)t, .go = &go};
		assert_int_equal(pthread_create(&th[t], NULL, work, &w[t]), 0);
	}
	atomic_store(&go, 1);
	unsigned long ops = 0;
	for (int t = 0; t < TTHR; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(w[t].errors, 0);
		ops += w[t].ops;
	}
	assert_true(ops > (unsigned long)TTHR * TROUNDS);
	/* totals conserved: nothing lost, nothing duplicated */
	assert_int_equal(p->held, 0);
	assert_int_equal(p->queued, 0);
	assert_int_equal(p->shared, 0);
	assert_int_equal(kan_pool_free(p), TN);
	check_pool(p);
	for (unsigned c = 0; c < KAN_MAX_CPUS; c++)
		kan_pool_drain_cache(p, c);
	assert_int_equal(p->top, TN);
	check_pool(p);
	fx_free(f);
}

/* Multicast: each page referenced by every thread's ring; the threads drop
 * their references concurrently, each on its own CPU. Exactly one unref per
 * page frees it, wherever it lands. */
#define SPAGES 64u
#define SREFS  50000u /* per thread and page */

struct unreffer {
	struct kan_pool *p;
	unsigned cpu;
	atomic_int *go;
	uint32_t *pages;
	unsigned long freed, errors;
};

static void *unref_work(void *arg)
{
	struct unreffer *u = arg;
	while (!atomic_load(u->go))
		;
	/* all threads walk the pages in the same order, a burst of unrefs per
	 * page, so they meet on the same page's count */
	for (unsigned k = 0; k < SPAGES; k++)
		for (unsigned r = 0; r < SREFS; r++) {
			int rc = kan_pg_unref(u->p, u->cpu, u->pages[k]);
			if (rc == 1)
				u->freed++;
			else if (rc != 0)
				u->errors++;
		}
	return NULL;
}

static void test_threads_shared(void **state)
{
	(void)state;
	struct fx *f = fx_new(SPAGES + 64);
	struct kan_pool *p = &f->p;
	static uint32_t pages[SPAGES];
	for (unsigned k = 0; k < SPAGES; k++) {
		assert_int_equal(kan_pg_alloc(p, 7, 1, &pages[k]), 0);
		assert_int_equal(kan_pg_share(p, pages[k], 1, TTHR * SREFS), 0);
	}
	kan_pool_drain_cache(p, 7);
	check_pool(p);
	pthread_t th[TTHR];
	struct unreffer u[TTHR];
	atomic_int go = 0;
	for (int t = 0; t < TTHR; t++) {
		u[t] = (struct unreffer){.p = p, .cpu = (unsigned)t, .go = &go, .pages = pages};
		assert_int_equal(pthread_create(&th[t], NULL, unref_work, &u[t]), 0);
	}
	atomic_store(&go, 1);
	unsigned long freed = 0;
	for (int t = 0; t < TTHR; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(u[t].errors, 0);
		freed += u[t].freed;
	}
	assert_int_equal(freed, SPAGES);
	assert_int_equal(p->shared, 0);
	assert_int_equal(kan_pool_free(p), SPAGES + 64);
	check_pool(p);
	for (unsigned k = 0; k < SPAGES; k++)
		assert_int_equal(kan_pg_unref(p, 0, pages[k]), -HK_EPERM);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_legal_transitions),
	    cmocka_unit_test(test_illegal_transitions),
	    cmocka_unit_test(test_exhaustion),
	    cmocka_unit_test(test_cache_boundaries),
	    cmocka_unit_test(test_cross_cpu),
	    cmocka_unit_test(test_drain_makes_reachable),
	    cmocka_unit_test(test_shared),
	    cmocka_unit_test(test_random_walk),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_threads_shared),
	};
	return cmocka_run_group_tests_name("kan-pool", tests, NULL, NULL);
}
