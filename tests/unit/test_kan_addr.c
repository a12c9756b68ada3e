// SPDX-License-Identifier: BSD-2-Clause
/*
 * KAN address table on the host: insert/lookup/remove and their errors,
 * a randomized run against a brute-force model with heavy clustering,
 * backward-shift deletion keeping every other key reachable, and lock-free
 * readers racing a writer.
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
#include <kan/addr.h>

#include "rng.h"

static const uint8_t PREFIX[8] = {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01};

/* A node address: the KAN /64 and an interface identifier. */
static struct hk_addr node(uint64_t iid)
{
	struct hk_addr a;
	memcpy(a.b, PREFIX, 8);
	for (int i = 0; i < 8; i++)
		a.b[15 - i] = (uint8_t)(iid >> (8 * i));
	return a;
}

/* Key i of the address plan: ::(0x100 + i/4):(i%4). */
static struct hk_addr plan_key(unsigned i)
{
	return node((uint64_t)(0x100 + i / 4) << 16 | (i % 4));
}

/* Word i of a key as a slot stores it: 8 bytes in memory order (<kan/addr.h>). */
static uint64_t word(const struct hk_addr *a, unsigned i)
{
	uint64_t v;
	memcpy(&v, a->b + 8 * i, 8);
	return v;
}

struct table {
	struct kan_atab t;
	struct kan_atab_slot *slots;
};

static void table_init(struct table *tb, uint32_t cap)
{
	tb->slots = calloc(cap, sizeof(*tb->slots)); /* exact size: ASan sees a stray probe */
	assert_non_null(tb->slots);
	kan_atab_init(&tb->t, tb->slots, cap);
}

static void table_fini(struct table *tb) { free(tb->slots); }

/* The slot a key lands in when the table is otherwise empty: its home. */
static uint32_t home_of(uint32_t cap, const struct hk_addr *a)
{
	struct table tb;
	table_init(&tb, cap);
	assert_int_equal(kan_atab_insert(&tb.t, a, 7), 0);
	uint32_t home = cap;
	for (uint32_t i = 0; i < cap; i++)
		if (tb.slots[i].used) {
			assert_int_equal(home, cap); /* exactly one */
			home = i;
		}
	assert_true(home < cap);
	table_fini(&tb);
	return home;
}

/* Layout invariants: no duplicates, count agrees, and every key is reachable
 * from its home without crossing an empty slot (what lookup relies on). */
static void check_layout(struct table *tb, const struct hk_addr *keys, const uint32_t *homes,
                         size_t nkeys)
{
	uint32_t cap = tb->t.cap, used = 0;
	for (uint32_t i = 0; i < cap; i++) {
		const struct kan_atab_slot *s = &tb->slots[i];
		if (!s->used)
			continue;
		used++;
		for (uint32_t j = i + 1; j < cap; j++)
			assert_false(tb->slots[j].used && tb->slots[j].hi == s->hi &&
			             tb->slots[j].lo == s->lo);
		if (homes) {
			size_t k;
			for (k = 0; k < nkeys; k++)
				if (word(&keys[k], 0) == s->hi && word(&keys[k], 1) == s->lo)
					break;
			assert_true(k < nkeys); /* only keys we inserted */
			for (uint32_t j = homes[k]; j != i; j = (j + 1) & (cap - 1))
				assert_true(tb->slots[j].used);
		}
	}
	assert_int_equal(used, tb->t.count);
	assert_true(tb->t.count <= cap / 2);
}

/* ---- basics ------------------------------------------------------------- */

static void test_insert_lookup_remove(void **state)
{
	(void)state;
	struct table tb;
	table_init(&tb, 16);
	struct hk_addr a = plan_key(0), b = plan_key(1);
	uint32_t v = 0xdead;
	assert_int_equal(kan_atab_lookup(&tb.t, &a, &v), -HK_ENOENT);
	assert_int_equal(kan_atab_remove(&tb.t, &a), -HK_ENOENT);
	assert_int_equal(kan_atab_insert(&tb.t, &a, 11), 0);
	assert_int_equal(tb.t.count, 1);
	assert_int_equal(kan_atab_lookup(&tb.t, &a, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(kan_atab_lookup(&tb.t, &b, &v), -HK_ENOENT);
	/* duplicate: refused, value unchanged */
	assert_int_equal(kan_atab_insert(&tb.t, &a, 99), -HK_EEXIST);
	assert_int_equal(tb.t.count, 1);
	assert_int_equal(kan_atab_lookup(&tb.t, &a, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(kan_atab_insert(&tb.t, &b, 0), 0); /* value 0 is a value */
	assert_int_equal(kan_atab_lookup(&tb.t, &b, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kan_atab_insert(&tb.t, &b, UINT32_MAX), -HK_EEXIST);
	assert_int_equal(kan_atab_lookup(&tb.t, &b, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kan_atab_remove(&tb.t, &a), 0);
	assert_int_equal(tb.t.count, 1);
	assert_int_equal(kan_atab_lookup(&tb.t, &a, &v), -HK_ENOENT);
	assert_int_equal(kan_atab_remove(&tb.t, &a), -HK_ENOENT);
	assert_int_equal(kan_atab_lookup(&tb.t, &b, &v), 0);
	assert_int_equal(v, 0);
	/* re-insert after remove, with a new value */
	assert_int_equal(kan_atab_insert(&tb.t, &a, 12), 0);
	assert_int_equal(kan_atab_lookup(&tb.t, &a, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(kan_atab_remove(&tb.t, &a), 0);
	assert_int_equal(kan_atab_remove(&tb.t, &b), 0);
	assert_int_equal(tb.t.count, 0);
	for (uint32_t i = 0; i < 16; i++)
		assert_false(tb.slots[i].used); /* no tombstones left behind */
	table_fini(&tb);
}

static void test_keys_differ_anywhere(void **state)
{
	(void)state;
	struct table tb;
	table_init(&tb, 64);
	struct hk_addr base = plan_key(5);
	assert_int_equal(kan_atab_insert(&tb.t, &base, 1000), 0);
	/* a one-bit difference in any byte, upper or lower half, is another key */
	for (int i = 0; i < 16; i++) {
		struct hk_addr k = base;
		k.b[i] ^= 0x40;
		uint32_t v;
		assert_int_equal(kan_atab_lookup(&tb.t, &k, &v), -HK_ENOENT);
		assert_int_equal(kan_atab_insert(&tb.t, &k, (uint32_t)i), 0);
	}
	for (int i = 0; i < 16; i++) {
		struct hk_addr k = base;
		k.b[i] ^= 0x40;
		uint32_t v;
		assert_int_equal(kan_atab_lookup(&tb.t, &k, &v), 0);
		assert_int_equal(v, (uint32_t)i);
	}
	uint32_t v;
	assert_int_equal(kan_atab_lookup(&tb.t, &base, &v), 0);
	assert_int_equal(v, 1000);
	/* the same iid under another prefix */
	struct hk_addr other = base;
	other.b[0] = 0x20;
	other.b[1] = 0x01;
	assert_int_equal(kan_atab_lookup(&tb.t, &other, &v), -HK_ENOENT);
	check_layout(&tb, NULL, NULL, 0);
	table_fini(&tb);
}

static void test_half_full(void **state)
{
	(void)state;
	static const uint32_t caps[] = {2, 4, 16, 64, 256};
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint32_t cap = caps[c];
		struct table tb;
		table_init(&tb, cap);
		for (uint32_t i = 0; i < cap / 2; i++) {
			struct hk_addr k = plan_key(i);
			assert_int_equal(kan_atab_insert(&tb.t, &k, i), 0);
		}
		/* exactly half: the next new key is refused and nothing changes */
		struct hk_addr extra = plan_key(cap);
		uint32_t v;
		assert_int_equal(kan_atab_insert(&tb.t, &extra, 1), -HK_ETOOMANY);
		assert_int_equal(kan_atab_insert(&tb.t, &extra, 1), -HK_ETOOMANY);
		assert_int_equal(tb.t.count, cap / 2);
		assert_int_equal(kan_atab_lookup(&tb.t, &extra, &v), -HK_ENOENT);
		/* a duplicate of a present key still fails, the value kept */
		struct hk_addr k0 = plan_key(0);
		int rc = kan_atab_insert(&tb.t, &k0, 77);
		assert_true(rc == -HK_EEXIST || rc == -HK_ETOOMANY);
		for (uint32_t i = 0; i < cap / 2; i++) {
			struct hk_addr k = plan_key(i);
			assert_int_equal(kan_atab_lookup(&tb.t, &k, &v), 0);
			assert_int_equal(v, i);
		}
		check_layout(&tb, NULL, NULL, 0);
		/* one out, one in */
		assert_int_equal(kan_atab_remove(&tb.t, &k0), 0);
		assert_int_equal(kan_atab_insert(&tb.t, &extra, 1), 0);
		assert_int_equal(kan_atab_lookup(&tb.t, &extra, &v), 0);
		assert_int_equal(v, 1);
		assert_int_equal(kan_atab_insert(&tb.t, &k0, 0), -HK_ETOOMANY);
		assert_int_equal(kan_atab_lookup(&tb.t, &k0, &v), -HK_ENOENT);
		check_layout(&tb, NULL, NULL, 0);
		table_fini(&tb);
	}
}

/* ---- randomized against a model ---------------------------------------- */

#define RCAP  64u
#define RKEYS 200u

static void test_model(void **state)
{
	(void)state;
	static struct hk_addr keys[RKEYS];
	static uint32_t homes[RKEYS], val[RKEYS];
	static uint8_t present[RKEYS];
	rng_state = 0x61646472ull;
	/* half the keys crowd eight homes around the wrap (60..63, 0..3), the
	 * rest are plan addresses: all share the upper 64 bits */
	unsigned n = 0;
	for (unsigned i = 0; n < RKEYS / 2; i++) {
		struct hk_addr k = node(0x10000 + i);
		uint32_t h = home_of(RCAP, &k);
		if (h >= RCAP - 4 || h < 4) {
			keys[n] = k;
			homes[n++] = h;
		}
	}
	for (unsigned i = 0; n < RKEYS; i++, n++) {
		keys[n] = plan_key(i);
		homes[n] = home_of(RCAP, &keys[n]);
	}
	struct table tb;
	table_init(&tb, RCAP);
	memset(present, 0, sizeof(present));
	unsigned count = 0, full = 0, shifts = 0;
	for (int op = 0; op < 30000; op++) {
		/* bias toward the crowded keys most of the time */
		unsigned k = rndn(4) ? rndn(RKEYS / 2) : rndn(RKEYS);
		unsigned what = rndn(10);
		uint32_t v;
		if (what < 5) {
			uint32_t nv = (uint32_t)rnd();
			int rc = kan_atab_insert(&tb.t, &keys[k], nv);
			int want = present[k] ? -HK_EEXIST : count == RCAP / 2 ? -HK_ETOOMANY : 0;
			if (present[k] && count == RCAP / 2)
				assert_true(rc == -HK_EEXIST || rc == -HK_ETOOMANY);
			else
				assert_int_equal(rc, want);
			full += rc == -HK_ETOOMANY;
			if (!rc) {
				present[k] = 1;
				val[k] = nv;
				count++;
			}
		} else if (what < 9) {
			uint32_t at = RCAP;
			for (uint32_t s = 0; s < RCAP; s++)
				if (tb.slots[s].used && tb.slots[s].hi == word(&keys[k], 0) &&
				    tb.slots[s].lo == word(&keys[k], 1))
					at = s;
			int rc = kan_atab_remove(&tb.t, &keys[k]);
			assert_int_equal(rc, present[k] ? 0 : -HK_ENOENT);
			if (!rc) {
				/* did a later member of the run move back into the hole? */
				shifts += tb.slots[at].used;
				present[k] = 0;
				count--;
			}
		}
		/* after every operation: every key present or absent as the model says */
		for (unsigned j = 0; j < RKEYS; j++) {
			int rc = kan_atab_lookup(&tb.t, &keys[j], &v);
			if (present[j]) {
				assert_int_equal(rc, 0);
				assert_int_equal(v, val[j]);
			} else {
				assert_int_equal(rc, -HK_ENOENT);
			}
		}
		assert_int_equal(tb.t.count, count);
		check_layout(&tb, keys, homes, RKEYS);
	}
	assert_true(full > 100);   /* the table was full often */
	assert_true(shifts > 100); /* and removals happened inside runs */
	table_fini(&tb);
}

/* ---- backward shift ----------------------------------------------------- */

static void test_backward_shift(void **state)
{
	(void)state;
	enum { CAP = 16, N = 8 };
	/* a run wrapping the table's end: homes 14,14,14,15,15,0,0,1 */
	static const uint32_t want_homes[N] = {14, 14, 14, 15, 15, 0, 0, 1};
	struct hk_addr keys[N];
	uint32_t homes[N];
	unsigned got = 0;
	uint8_t taken[N] = {0};
	for (unsigned i = 0; got < N; i++) {
		assert_true(i < 100000);
		struct hk_addr k = node(0x20000 + i);
		uint32_t h = home_of(CAP, &k);
		for (unsigned j = 0; j < N; j++)
			if (!taken[j] && want_homes[j] == h) {
				taken[j] = 1;
				keys[j] = k;
				homes[j] = h;
				got++;
				break;
			}
	}
	/* exact layout after removing the head of a three-key run: the two
	 * followers move back, the last slot is emptied (no tombstone) */
	{
		struct table tb;
		table_init(&tb, CAP);
		for (unsigned j = 0; j < 3; j++)
			assert_int_equal(kan_atab_insert(&tb.t, &keys[j], j), 0);
		for (unsigned j = 0; j < 3; j++)
			assert_int_equal(tb.slots[(14 + j) % CAP].val, j);
		assert_int_equal(kan_atab_remove(&tb.t, &keys[0]), 0);
		assert_true(tb.slots[14].used && tb.slots[14].val == 1);
		assert_true(tb.slots[15].used && tb.slots[15].val == 2);
		assert_false(tb.slots[0].used);
		table_fini(&tb);
	}
	/* many insertion orders x every key removed first, then the rest */
	rng_state = 0x73686966ull;
	for (int round = 0; round < 300; round++) {
		unsigned order[N];
		for (unsigned j = 0; j < N; j++)
			order[j] = j;
		for (unsigned j = N - 1; j > 0; j--) {
			unsigned r = rndn(j + 1), t = order[j];
			order[j] = order[r];
			order[r] = t;
		}
		for (unsigned first = 0; first < N; first++) {
			struct table tb;
			table_init(&tb, CAP);
			uint8_t in[N];
			for (unsigned j = 0; j < N; j++) {
				assert_int_equal(
				    kan_atab_insert(&tb.t, &keys[order[j]], 100 + order[j]), 0);
				in[order[j]] = 1;
			}
			/* the run occupies exactly 14, 15, 0..5 */
			for (unsigned s = 0; s < CAP; s++)
				assert_int_equal(tb.slots[s].used, s >= 14 || s <= 5);
			unsigned rm[N];
			rm[0] = first;
			for (unsigned j = 0, m = 1; j < N; j++)
				if (order[j] != first)
					rm[m++] = order[j];
			for (unsigned j = 1; j < N; j++) { /* the rest in a random order */
				unsigned r = 1 + rndn(N - 1), t = rm[j];
				rm[j] = rm[r];
				rm[r] = t;
			}
			for (unsigned j = 0; j < N; j++) {
				assert_int_equal(kan_atab_remove(&tb.t, &keys[rm[j]]), 0);
				in[rm[j]] = 0;
				for (unsigned q = 0; q < N; q++) {
					uint32_t v;
					int rc = kan_atab_lookup(&tb.t, &keys[q], &v);
					if (in[q]) {
						assert_int_equal(rc, 0);
						assert_int_equal(v, 100 + q);
					} else {
						assert_int_equal(rc, -HK_ENOENT);
					}
				}
				check_layout(&tb, keys, homes, N);
			}
			assert_int_equal(tb.t.count, 0);
			table_fini(&tb);
		}
	}
}

/* ---- lock-free readers racing one writer -------------------------------- */

#define CCAP     128u
#define NSTABLE  24u
#define NCHURN   40u
#define WRITES   3000000u
#define NREADERS 2

struct race {
	struct kan_atab t;
	struct hk_addr stable[NSTABLE], churn[NCHURN];
	atomic_int started, done;
	atomic_ulong lookups, misses, wrong, churn_hits;
	uint8_t churn_in[NCHURN];
};

static void *reader(void *arg)
{
	struct race *r = arg;
	unsigned long n = 0, misses = 0, wrong = 0, hits = 0;
	atomic_fetch_add(&r->started, 1);
	/* bounded: the writer does a fixed amount of work, then sets done */
	while (!atomic_load(&r->done)) {
		for (unsigned i = 0; i < NSTABLE; i++) {
			uint32_t v = 0;
			if (kan_atab_lookup(&r->t, &r->stable[i], &v) != 0)
				misses++;
			else if (v != 1000 + i)
				wrong++;
			n++;
		}
		for (unsigned i = 0; i < NCHURN; i += 3) {
			uint32_t v = 0;
			if (kan_atab_lookup(&r->t, &r->churn[i], &v) == 0) {
				hits++;
				if (v != 2000 + i)
					wrong++;
			}
		}
	}
	atomic_fetch_add(&r->lookups, n);
	atomic_fetch_add(&r->misses, misses);
	atomic_fetch_add(&r->wrong, wrong);
	atomic_fetch_add(&r->churn_hits, hits);
	return NULL;
}

static void *writer(void *arg)
{
	struct race *r = arg;
	uint64_t s = 0x77726974ull;
	while (atomic_load(&r->started) < NREADERS)
		; /* both readers running before the churn starts */
	for (unsigned op = 0; op < WRITES; op++) {
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		unsigned k = (unsigned)((s * 0x2545f4914f6cdd1dull) >> 33) % NCHURN;
		if (r->churn_in[k]) {
			if (kan_atab_remove(&r->t, &r->churn[k]) != 0)
				atomic_fetch_add(&r->wrong, 1);
			r->churn_in[k] = 0;
		} else {
			if (kan_atab_insert(&r->t, &r->churn[k], 2000 + k) != 0)
				atomic_fetch_add(&r->wrong, 1);
			r->churn_in[k] = 1;
		}
	}
	atomic_store(&r->done, 1);
	return NULL;
}

static void test_concurrent_readers(void **state)
{
	(void)state;
	struct race *r = calloc(1, sizeof(*r));
	struct kan_atab_slot *slots = calloc(CCAP, sizeof(*slots));
	assert_non_null(r);
	assert_non_null(slots);
	kan_atab_init(&r->t, slots, CCAP);
	for (unsigned i = 0; i < NSTABLE; i++) {
		r->stable[i] = plan_key(i);
		assert_int_equal(kan_atab_insert(&r->t, &r->stable[i], 1000 + i), 0);
	}
	/* churn keys (same /64) homed at or just before a stable key's home, so
	 * their removal shifts stable keys back under the readers' feet */
	uint8_t near[CCAP] = {0};
	for (unsigned i = 0; i < NSTABLE; i++) {
		uint32_t h = home_of(CCAP, &r->stable[i]);
		for (uint32_t d = 0; d < 3; d++)
			near[(h - d) & (CCAP - 1)] = 1;
	}
	for (unsigned i = 0, n = 0; n < NCHURN; i++) {
		assert_true(i < 1000000);
		struct hk_addr k = node(0x900000 + i);
		if (near[home_of(CCAP, &k)])
			r->churn[n++] = k;
	}
	pthread_t rd[NREADERS], wr;
	for (int i = 0; i < NREADERS; i++)
		assert_int_equal(pthread_create(&rd[i], NULL, reader, r), 0);
	assert_int_equal(pthread_create(&wr, NULL, writer, r), 0);
	assert_int_equal(pthread_join(wr, NULL), 0);
	for (int i = 0; i < NREADERS; i++)
		assert_int_equal(pthread_join(rd[i], NULL), 0);
	assert_int_equal(atomic_load(&r->misses), 0);
	assert_int_equal(atomic_load(&r->wrong), 0);
	assert_true(atomic_load(&r->lookups) > 0);
	/* the end state is exactly the writer's */
	unsigned in = 0;
	for (unsigned i = 0; i < NCHURN; i++) {
		uint32_t v;
		int rc = kan_atab_lookup(&r->t, &r->churn[i], &v);
		assert_int_equal(rc, r->churn_in[i] ? 0 : -HK_ENOENT);
		if (!rc)
			assert_int_equal(v, 2000 + i);
		in += r->churn_in[i];
	}
	for (unsigned i = 0; i < NSTABLE; i++) {
		uint32_t v;
		assert_int_equal(kan_atab_lookup(&r->t, &r->stable[i], &v), 0);
		assert_int_equal(v, 1000 + i);
	}
	assert_int_equal(r->t.count, NSTABLE + in);
	/* the sequence counter is even: no write left open */
	assert_int_equal(r->t.seq.sequence & 1, 0);
	free(slots);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_insert_lookup_remove),
	    cmocka_unit_test(test_keys_differ_anywhere),
	    cmocka_unit_test(test_half_full),
	    cmocka_unit_test(test_model),
	    cmocka_unit_test(test_backward_shift),
	    cmocka_unit_test(test_concurrent_readers),
	};
	return cmocka_run_group_tests_name("kan-addr", tests, NULL, NULL);
}
