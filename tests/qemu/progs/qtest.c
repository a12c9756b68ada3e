// SPDX-License-Identifier: BSD-2-Clause
/*
 * The queue API and coroutine scheduler, call by call (docs/userlib.md).
 * Roles (argv[1]):
 *   api       every error (bad qd, bad and stale tokens, full tables),
 *             push/pop over the process's own queues (1 -> 2, 1 -> 3),
 *             batching, refused pushes, packets that arrive before their
 *             pop, timeouts, wait_any, wait_all, the polling loop idling
 *             after exactly N empty polls (yield and block), blocking on
 *             several endpoints at once, then the coroutines: round order,
 *             FP registers and rounding mode per coroutine, parking on
 *             tokens, timeouts, sleep, EBUSY, 64 at once. Ends holding no
 *             packet; exit 0 only if every check held.
 *   overflow  a coroutine overruns its 4 KiB stack: the scheduler must end
 *             the process (status 1) naming it.
 */
#include <fenv.h>
#include <hekate/coro.h>
#include <hekate/queue.h>
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LONG_US  20000000u /* a wait that should succeed: failing after 20 s */
#define QUICK_US 5000000u  /* bound for "woken by the event, not by LONG_US" */
#define SHORT_US 30000u    /* a wait that should time out */

static unsigned checks;
static int qa, qb, qc; /* the process's addresses 1, 2, 3; qa is connected to qb */
static struct hk_addr addr_b, addr_c;

/* Each check: got must equal want. */
static void is(int64_t got, int64_t want, const char *what)
{
	checks++;
	if (got != want)
		hk_fail("%s: got %lld (%s), want %lld (%s)", what, (long long)got,
		        hk_strerror((int)got), (long long)want, hk_strerror((int)want));
}

static void yes(int cond, const char *what)
{
	checks++;
	if (!cond)
		hk_fail("%s", what);
}

/* A packet whose payload is seq (4 bytes) and 28 bytes derived from it. */
static struct hk_pkt packet(uint32_t seq)
{
	int64_t v = hk_kan_alloc1();
	if (v < 0)
		hk_fail("alloc: %s", hk_strerror((int)v));
	struct hk_pkt p = hk_pkt_unpack((uint64_t)v);
	uint8_t *b = hk_pkt_payload(p);
	memcpy(b, &seq, 4);
	for (unsigned i = 4; i < 32; i++)
		b[i] = (uint8_t)(seq * 13 + i);
	p.len = HK_IPV6_HDR + 32;
	return p;
}

/* The packet carries seq intact, came from queue `from` and is freed. */
static void take(struct hk_pkt p, uint32_t seq, int from)
{
	struct hk_addr src = hk_pkt_src(p), want;
	hk_queue_addr(from, &want);
	uint8_t *b = hk_pkt_payload(p);
	uint32_t got;
	memcpy(&got, b, 4);
	is(got, seq, "payload seq");
	yes(p.len == HK_IPV6_HDR + 32 && !memcmp(&src, &want, sizeof(src)), "length and source");
	for (unsigned i = 4; i < 32; i++)
		if (b[i] != (uint8_t)(seq * 13 + i))
			hk_fail("packet %u: byte %u differs", seq, i);
	is(hk_kan_free1(hk_pkt_pack(p)), 0, "free");
}

static hk_qtoken_t push_to(int qd, const struct hk_addr *to, uint32_t seq)
{
	hk_qtoken_t qt;
	is(hk_queue_pushto(&qt, qd, packet(seq), to), 0, "pushto");
	return qt;
}

static hk_qtoken_t pop(int qd)
{
	hk_qtoken_t qt;
	is(hk_queue_pop(&qt, qd), 0, "pop");
	return qt;
}

/* Wait for qt, which must complete and have succeeded. */
static struct hk_qresult wait_ok(hk_qtoken_t qt)
{
	struct hk_qresult r;
	is(hk_queue_wait(qt, LONG_US, &r), 0, "wait");
	is(r.ret, 0, "operation result");
	is((int64_t)r.qt, (int64_t)qt, "result names its token");
	return r;
}

static struct hk_queue_stats qstats(void)
{
	struct hk_queue_stats s;
	hk_queue_get_stats(&s);
	return s;
}

static uint64_t now_us(void) { return (uint64_t)hk_time_us(); }

/* --- errors ---------------------------------------------------------------------------- */

static void bad_qds(void)
{
	hk_qtoken_t qt;
	struct hk_addr a = addr_b;
	struct hk_pkt p = {0, HK_PKT_HEADROOM, 64, 0};
	const int bad[] = {-1, (int)HK_QUEUE_MAX, 1 << 20};
	for (unsigned i = 0; i < 3; i++) {
		is(hk_queue_pop(&qt, bad[i]), -HK_EINVAL, "pop on a qd out of range");
		is(hk_queue_push(&qt, bad[i], p), -HK_EINVAL, "push on a qd out of range");
		is(hk_queue_close(bad[i]), -HK_EINVAL, "close of a qd out of range");
		is(hk_queue_connect(bad[i], &a), -HK_EINVAL, "connect of a qd out of range");
	}
	is(hk_queue_pop(&qt, 40), -HK_ENOENT, "pop on a qd not open");
	is(hk_queue_pushto(&qt, 40, p, &a), -HK_ENOENT, "push on a qd not open");
	is(hk_queue_close(40), -HK_ENOENT, "close of a qd not open");
	is(hk_queue_open(1, 64), -HK_EEXIST, "open of an address open already");
	is(hk_queue_open(0x10001, 64), -HK_E2BIG, "open of address 0x10001 (kan_bind)");
	is(hk_queue_open(9, 3), -HK_EINVAL, "open with depth 3 (kan_bind)");
	is(hk_queue_push(&qt, qb, p), -HK_ENOENT, "push on a queue not connected");
	is(hk_queue_pop(NULL, qb), -HK_EINVAL, "pop with no token pointer");
	p.len = 39;
	is(hk_queue_pushto(&qt, qa, p, &a), -HK_EINVAL, "push of 39 bytes");
	p = (struct hk_pkt){0, 4000, 100, 0};
	is(hk_queue_pushto(&qt, qa, p, &a), -HK_EINVAL, "push past the page");
	p = (struct hk_pkt){HK_PKT_SLOTS, 128, 100, 0};
	is(hk_queue_pushto(&qt, qa, p, &a), -HK_EINVAL, "push of a slot outside the window");
	is(hk_queue_set_poller(0, HK_QUEUE_IDLE_BLOCK), -HK_EINVAL, "poller with spin 0");
	is(hk_queue_set_poller(4, (enum hk_queue_idle)7), -HK_EINVAL, "poller with mode 7");
}

static void bad_tokens(void)
{
	struct hk_qresult r, rs[2];
	unsigned idx;
	hk_qtoken_t qt = push_to(qa, &addr_b, 1), q2 = pop(qb);
	is(hk_queue_wait(0, 0, &r), -HK_EINVAL, "wait on token 0");
	is(hk_queue_wait((1ull << 16) | (HK_QTOKEN_MAX + 1), 0, &r), -HK_EINVAL,
	   "wait on a slot past the table");
	is(hk_queue_wait(qt + (1ull << 16), 0, &r), -HK_ENOENT, "wait on a wrong generation");
	is(hk_queue_wait(qt, 0, NULL), -HK_EINVAL, "wait with no result pointer");
	is(hk_queue_wait_any(&qt, 0, &idx, &r, 0), -HK_EINVAL, "wait_any of 0 tokens");
	is(hk_queue_wait_any(&qt, HK_QTOKEN_MAX + 1, &idx, &r, 0), -HK_E2BIG,
	   "wait_any of too many tokens");
	hk_qtoken_t dup[2] = {qt, qt};
	is(hk_queue_wait_all(dup, 2, 0, rs), -HK_EINVAL, "wait_all with a token twice");
	wait_ok(qt);
	take(wait_ok(q2).pkt, 1, qa);
	is(hk_queue_wait(qt, 0, &r), -HK_ENOENT, "wait on a consumed token");
	is(hk_queue_wait(q2, LONG_US, &r), -HK_ENOENT, "wait on a consumed pop token");
	hk_qtoken_t q3 = pop(qb), mix[2] = {q3, qt};
	is(hk_queue_wait_any(mix, 2, &idx, &r, 0), -HK_ENOENT, "wait_any with a stale token");
	is(hk_queue_wait_all(mix, 2, 0, rs), -HK_ENOENT, "wait_all with a stale token");
	wait_ok(push_to(qa, &addr_b, 2));
	take(wait_ok(q3).pkt, 2, qa);
	/* a consumed token's slot is reused (the free list is LIFO): the old
	 * token must not name the new operation */
	hk_qtoken_t q4 = pop(qb);
	is((int64_t)(q4 & 0xffff), (int64_t)(q3 & 0xffff), "the slot is reused");
	is(hk_queue_wait(q3, 0, &r), -HK_ENOENT, "wait on a token whose slot was reused");
	wait_ok(push_to(qa, &addr_b, 3));
	take(wait_ok(q4).pkt, 3, qa);
	printf("qtest: bad qds and tokens refused, stale tokens refused after consumption\n");
}

/* Pop until the token table is full; closing the queue completes every pop. */
static void full_table(void)
{
	static hk_qtoken_t qts[HK_QTOKEN_MAX];
	struct hk_qresult r;
	unsigned n = 0;
	hk_qtoken_t extra;
	while (n <= HK_QTOKEN_MAX && hk_queue_pop(&qts[n % HK_QTOKEN_MAX], qc) == 0)
		n++;
	is(n, HK_QTOKEN_MAX, "pops issued before the table is full");
	is(hk_queue_pop(&extra, qc), -HK_ETOOMANY, "pop with the table full");
	is(hk_queue_push(&extra, qa, (struct hk_pkt){0, 128, 64, 0}), -HK_ETOOMANY,
	   "push with the table full");
	is(hk_queue_close(qc), 0, "close with 256 pops pending");
	for (unsigned i = 0; i < n; i++) {
		is(hk_queue_wait(qts[i], 0, &r), 0, "wait on a pop of a closed queue");
		is(r.ret, -HK_ENOENT, "pop of a closed queue ends with ENOENT");
	}
	is(hk_queue_pop(&extra, qc), -HK_ENOENT, "pop on the closed queue");
	qc = hk_queue_open(3, 64);
	yes(qc >= 0, "reopen address 3");
	printf("qtest: token table full at %u: ETOOMANY, close completed every pending pop\n", n);
}

/* --- data ----------------------------------------------------------------------------- */

/* 40 pushes go out in one kan_send; 40 pops complete in order. */
static void batch(void)
{
	hk_qtoken_t push[40], pops[40];
	static struct hk_qresult r[40];
	struct hk_queue_stats s0 = qstats();
	for (uint32_t i = 0; i < 40; i++) {
		is(hk_queue_push(&push[i], qa, packet(100 + i)), 0, "push");
		pops[i] = pop(qb);
	}
	is(hk_queue_wait_all(push, 40, LONG_US, r), 0, "wait_all of 40 pushes");
	for (unsigned i = 0; i < 40; i++)
		is(r[i].ret, 0, "push accepted");
	struct hk_queue_stats s1 = qstats();
	is((int64_t)(s1.sends - s0.sends), 1, "kan_send calls for 40 pushes");
	is(hk_queue_wait_all(pops, 40, LONG_US, r), 0, "wait_all of 40 pops");
	for (uint32_t i = 0; i < 40; i++) {
		is(r[i].op, HK_QOP_POP, "op");
		is(r[i].qd, qb, "qd");
		take(r[i].pkt, 100 + i, qa);
	}
	printf("qtest: 40 pushes in 1 kan_send, 40 pops completed in order, content verified\n");
}

/* The same page pushed twice: the kernel refuses the second; the third still goes. */
static void refused(void)
{
	hk_qtoken_t qt[3], p3 = pop(qb);
	struct hk_pkt p = packet(7);
	struct hk_queue_stats s0 = qstats();
	struct hk_qresult r;
	is(hk_queue_push(&qt[0], qa, p), 0, "push");
	is(hk_queue_push(&qt[1], qa, p), 0, "push of the same page again");
	is(hk_queue_push(&qt[2], qa, packet(8)), 0, "push");
	is(hk_queue_wait(qt[1], LONG_US, &r), 0, "wait on the refused push");
	is(r.ret, -HK_EINVAL, "the second send of a page is refused (slot not held)");
	is(r.pkt.slot, p.slot, "the refused packet comes back in the result");
	wait_ok(qt[0]);
	wait_ok(qt[2]);
	is((int64_t)(qstats().sends - s0.sends), 3, "kan_send calls: up to, at, after the refusal");
	take(wait_ok(p3).pkt, 7, qa);
	take(wait_ok(pop(qb)).pkt, 8, qa);
	printf("qtest: a refused push completes with its error, the batch goes on after it\n");
}

/* Five packets wait for qb; one recv with 4 pops pending takes 4 of them, so
 * 3 wait in qb's stash and the next pops complete from it without a recv. */
static void early(void)
{
	hk_qtoken_t t[5], c[3];
	for (uint32_t i = 0; i < 5; i++)
		wait_ok(push_to(qa, &addr_b, 200 + i));
	struct hk_queue_stats s0 = qstats();
	is(hk_queue_poll(), 0, "poll with no pop pending");
	is((int64_t)(qstats().pkts_in - s0.pkts_in), 0, "nothing received without a pop");
	t[0] = pop(qb);
	for (unsigned i = 0; i < 3; i++)
		c[i] = pop(qc);
	is(hk_queue_poll(), 1, "poll: one pop of qb completes");
	is((int64_t)(qstats().pkts_in - s0.pkts_in), 4, "packets one recv took (pops pending)");
	struct hk_queue_stats s1 = qstats();
	for (unsigned i = 1; i < 5; i++)
		t[i] = pop(qb);
	for (uint32_t i = 0; i < 4; i++)
		take(wait_ok(t[i]).pkt, 200 + i, qa);
	is((int64_t)(qstats().recvs - s1.recvs), 0, "stashed packets need no recv");
	take(wait_ok(t[4]).pkt, 204, qa);
	for (uint32_t i = 0; i < 3; i++)
		wait_ok(push_to(qa, &addr_c, 300 + i));
	for (uint32_t i = 0; i < 3; i++)
		take(wait_ok(c[i]).pkt, 300 + i, qa);
	printf("qtest: packets ahead of their pops are kept in order and handed out\n");
}

/* --- time ----------------------------------------------------------------------------- */

static void timeouts(void)
{
	struct hk_qresult r, rs[2];
	hk_qtoken_t qt = pop(qb);
	struct hk_queue_stats s0 = qstats();
	is(hk_queue_wait(qt, 0, &r), -HK_ETIMEDOUT, "wait with timeout 0");
	struct hk_queue_stats s1 = qstats();
	yes(s1.polls - s0.polls == 1 && s1.blocks == s0.blocks && s1.yields == s0.yields,
	    "timeout 0: one poll, no block, no yield");
	uint64_t t0 = now_us();
	is(hk_queue_wait(qt, SHORT_US, &r), -HK_ETIMEDOUT, "wait 30 ms on an empty queue");
	uint64_t dt = now_us() - t0;
	yes(dt >= SHORT_US && dt < QUICK_US, "30 ms wait took 30 ms .. 5 s");
	hk_qtoken_t both[2] = {push_to(qa, &addr_c, 9), qt};
	is(hk_queue_wait_all(both, 2, SHORT_US, rs), -HK_ETIMEDOUT, "wait_all, one never done");
	wait_ok(both[0]); /* wait_all consumed nothing */
	take(wait_ok(pop(qc)).pkt, 9, qa);
	wait_ok(push_to(qa, &addr_b, 10));
	take(wait_ok(qt).pkt, 10, qa); /* still valid after its timeouts */
	printf("qtest: timeouts: 0 polls once, %llu us for 30000, tokens stay valid\n",
	       (unsigned long long)dt);
}

static void any(void)
{
	struct hk_qresult r;
	unsigned idx = 99;
	hk_qtoken_t two[2] = {pop(qb), pop(qc)};
	wait_ok(push_to(qa, &addr_c, 11));
	is(hk_queue_wait_any(two, 2, &idx, &r, LONG_US), 0, "wait_any");
	is(idx, 1, "wait_any: the queue that got a packet");
	take(r.pkt, 11, qa);
	is(hk_queue_wait_any(two, 2, &idx, &r, 0), -HK_ENOENT, "wait_any: index 1 consumed");
	hk_qtoken_t again[2] = {two[0], pop(qc)};
	wait_ok(push_to(qa, &addr_c, 12));
	wait_ok(push_to(qa, &addr_b, 13));
	while (hk_queue_poll() > 0)
		;
	is(hk_queue_wait_any(again, 2, &idx, &r, LONG_US), 0, "wait_any, both done");
	is(idx, 0, "wait_any: the lowest index when several are done");
	take(r.pkt, 13, qa);
	take(wait_ok(again[1]).pkt, 12, qa);
	printf("qtest: wait_any returns the completed token, lowest first\n");
}

/* Exactly `spin` empty polls between idles, in both modes. */
static void poller(void)
{
	struct hk_qresult r;
	hk_qtoken_t qt = pop(qb);
	is(hk_queue_set_poller(5, HK_QUEUE_IDLE_YIELD), 0, "poller: 5, yield");
	struct hk_queue_stats s0 = qstats();
	is(hk_queue_wait(qt, SHORT_US, &r), -HK_ETIMEDOUT, "wait, yield mode");
	struct hk_queue_stats s1 = qstats();
	uint64_t yields = s1.yields - s0.yields, empty = s1.empty_polls - s0.empty_polls;
	yes(yields >= 1 && s1.blocks == s0.blocks, "yield mode yields, never blocks");
	is((int64_t)empty, (int64_t)(5 * (yields + 1)),
	   "empty polls = 5 per yield (+5 at the end)");
	is(hk_queue_set_poller(7, HK_QUEUE_IDLE_BLOCK), 0, "poller: 7, block");
	is(hk_queue_wait(qt, SHORT_US, &r), -HK_ETIMEDOUT, "wait, block mode");
	struct hk_queue_stats s2 = qstats();
	uint64_t blocks = s2.blocks - s1.blocks, empty2 = s2.empty_polls - s1.empty_polls;
	yes(blocks >= 1 && s2.yields == s1.yields, "block mode blocks, never yields");
	yes(empty2 % 7 == 0 && empty2 >= 7 * (blocks + 1) && empty2 <= 7 * (blocks + 2),
	    "empty polls = 7 per block");
	printf("qtest: poller idles after exactly N empty polls: yield mode %llu polls / %llu "
	       "yields (N=5), block mode %llu polls / %llu blocks (N=7)\n",
	       (unsigned long long)empty, (unsigned long long)yields, (unsigned long long)empty2,
	       (unsigned long long)blocks);
	wait_ok(push_to(qa, &addr_b, 14));
	take(wait_ok(qt).pkt, 14, qa);
	is(hk_queue_set_poller(64, HK_QUEUE_IDLE_BLOCK), 0, "poller back to the default");
}

/* A second thread sends to address 3 with the raw calls after 20 ms, while
 * the poller blocks on the endpoints of qb and qc at once. */
static void *late_sender(void *arg)
{
	(void)arg;
	hk_sleep_us(20000);
	struct hk_pkt p = packet(15);
	hk_ip6_header(hk_pkt_data(p), &hk_kan()->addr, &addr_c, HK_IPPROTO_TEST, 32);
	return (void *)(intptr_t)hk_kan_send1(hk_pkt_pack(p), 0);
}

static void block_many(void)
{
	hk_thread_t *t;
	struct hk_qresult r;
	unsigned idx;
	hk_qtoken_t two[2] = {pop(qb), pop(qc)};
	is(hk_queue_set_poller(3, HK_QUEUE_IDLE_BLOCK), 0, "poller: 3, block");
	struct hk_queue_stats s0 = qstats();
	uint64_t t0 = now_us();
	is(hk_thread_start(&t, late_sender, NULL), 0, "thread");
	is(hk_queue_wait_any(two, 2, &idx, &r, LONG_US), 0, "wait_any across two endpoints");
	uint64_t dt = now_us() - t0;
	is(idx, 1, "woken by the packet to address 3");
	yes(dt >= 5000 && qstats().blocks > s0.blocks, "it blocked until the packet came");
	yes(dt < QUICK_US, "woken by the packet, not by the 20 s timeout");
	is((int64_t)(intptr_t)hk_thread_join(t), 0, "the raw send");
	struct hk_addr me = hk_kan()->addr, src = hk_pkt_src(r.pkt);
	yes(!memcmp(&me, &src, sizeof(me)), "sent from the primary address");
	is(hk_kan_free1(hk_pkt_pack(r.pkt)), 0, "free");
	wait_ok(push_to(qa, &addr_b, 16));
	take(wait_ok(two[0]).pkt, 16, qa);
	is(hk_queue_set_poller(64, HK_QUEUE_IDLE_BLOCK), 0, "poller back to the default");
	printf("qtest: blocked on 2 endpoints at once, woken after %llu us by the second\n",
	       (unsigned long long)dt);
}

/* --- coroutines ----------------------------------------------------------------------- */

static int order[16];
static unsigned norder;

static void rounds(void *arg)
{
	for (int i = 0; i < 3; i++) {
		order[norder++] = (int)(intptr_t)arg;
		hk_coro_yield();
	}
}

/* Ten doubles live across yields (so in d8-d15 and spilled), with arithmetic. */
static double fp_mix(double seed, int yield)
{
	double a = seed, b = seed * 2, c = seed + 3, d = seed / 7, e = seed - 1;
	double f = seed * seed, g = seed + 0.125, h = 1 / seed, i = seed * 3.5, j = seed - 0.5;
	for (int k = 0; k < 4; k++) {
		if (yield)
			hk_coro_yield();
		a = a * 1.5 + b;
		b = b - c * 0.25;
		c = c + d * e;
		d = d * 0.5 + f;
		e = e + g / 3;
		f = f - h;
		g = g * 1.25 - i;
		h = h + j;
		i = i / 1.5 + a;
		j = j - b;
	}
	return a + b + c + d + e + f + g + h + i + j;
}

static double fp_got[4];

static void fp_coro(void *arg)
{
	int id = (int)(intptr_t)arg;
	if (id == 3) { /* one coroutine rounds toward zero: only it */
		fesetround(FE_TOWARDZERO);
		hk_coro_yield();
		fp_got[3] = fegetround() == FE_TOWARDZERO ? 1 : 0;
		fesetround(FE_TONEAREST);
		return;
	}
	fp_got[id] = fp_mix(id + 1.75, 1);
	if (fegetround() != FE_TONEAREST)
		fp_got[id] = -1;
}

static hk_qtoken_t shared_qt;
static int log_[8], nlog;

/* Pops on qb and parks until the packet comes. */
static void parker(void *arg)
{
	(void)arg;
	struct hk_qresult r;
	shared_qt = pop(qb);
	log_[nlog++] = 1;
	uint64_t t0 = now_us();
	is(hk_queue_wait(shared_qt, LONG_US, &r), 0, "coroutine wait");
	yes(now_us() - t0 < QUICK_US, "woken by the completion, not by its 20 s deadline");
	log_[nlog++] = 4;
	take(r.pkt, 17, qa);
}

/* Finds shared_qt parked by parker: EBUSY; then sends what parker waits for. */
static void pusher(void *arg)
{
	(void)arg;
	struct hk_qresult r;
	log_[nlog++] = 2;
	is(hk_queue_wait(shared_qt, 0, &r), -HK_EBUSY, "a token another coroutine waits on");
	is(hk_coro_run(), -HK_EBUSY, "hk_coro_run inside a coroutine");
	hk_coro_yield();
	log_[nlog++] = 3;
	hk_qtoken_t qt = push_to(qa, &addr_b, 17);
	wait_ok(qt); /* parks until the scheduler's poll sends it */
}

static uint64_t slept, timed_out;

static void sleeper(void *arg)
{
	(void)arg;
	uint64_t t0 = now_us();
	hk_coro_sleep_us(20000);
	slept = now_us() - t0;
}

static void timer(void *arg)
{
	(void)arg;
	struct hk_qresult r;
	hk_qtoken_t qt = pop(qc);
	uint64_t t0 = now_us();
	is(hk_queue_wait(qt, SHORT_US, &r), -HK_ETIMEDOUT, "coroutine wait times out");
	timed_out = now_us() - t0;
	wait_ok(push_to(qa, &addr_c, 18));
	take(wait_ok(qt).pkt, 18, qa);
}

static unsigned children;

static void child(void *arg)
{
	(void)arg;
	children++;
}

static void parent(void *arg)
{
	(void)arg;
	is(hk_coro_spawn(child, NULL, 0) >= 0, 1, "spawn from a coroutine");
	is(children, 0, "the child runs after its parent yields");
	for (int i = 0; i < 3 && !children; i++) /* a higher id runs later in a round */
		hk_coro_yield();
	is(children, 1, "the child ran");
}

static void coro_basics(void)
{
	is(hk_coro_spawn(NULL, NULL, 0), -HK_EINVAL, "spawn of NULL");
	is(hk_coro_spawn(child, NULL, 1000), -HK_EINVAL, "spawn with a 1000-byte stack");
	is(hk_coro_spawn(child, NULL, 2u << 20), -HK_E2BIG, "spawn with a 2 MiB stack");
	for (int i = 0; i < 3; i++)
		is(hk_coro_spawn(rounds, (void *)(intptr_t)i, 0), i, "spawn ids from 0");
	is(hk_coro_run(), 0, "run");
	static const int want[9] = {0, 1, 2, 0, 1, 2, 0, 1, 2};
	is(norder, 9, "turns taken");
	yes(!memcmp(order, want, sizeof(want)), "rounds run the ready set lowest first");
	for (int i = 0; i < 4; i++)
		hk_coro_spawn(fp_coro, (void *)(intptr_t)i, 0);
	is(hk_coro_run(), 0, "run");
	for (int i = 0; i < 3; i++)
		yes(fp_got[i] == fp_mix(i + 1.75, 0), "FP registers kept across switches");
	yes(fp_got[3] == 1, "rounding mode kept per coroutine");
	printf("qtest: coroutines: round order 0 1 2 0 1 2 0 1 2, FP registers and rounding "
	       "mode kept per coroutine\n");
}

static void coro_waits(void)
{
	struct hk_coro_stats c0, c1;
	hk_coro_get_stats(&c0);
	hk_coro_spawn(parker, NULL, 0);
	hk_coro_spawn(pusher, NULL, 0);
	hk_coro_spawn(sleeper, NULL, 0);
	hk_coro_spawn(timer, NULL, 0);
	hk_coro_spawn(parent, NULL, 0);
	is(hk_coro_run(), 0, "run");
	hk_coro_get_stats(&c1);
	static const int want[4] = {1, 2, 3, 4};
	is(nlog, 4, "steps");
	yes(!memcmp(log_, want, sizeof(want)), "parked until the push, woken by the poll");
	yes(c1.parks - c0.parks >= 4 && c1.wakes - c0.wakes >= 4, "parks and wakes counted");
	yes(slept >= 20000 && slept < QUICK_US, "hk_coro_sleep_us(20000)");
	yes(timed_out >= SHORT_US && timed_out < QUICK_US, "coroutine wait of 30 ms");
	is(hk_coro_live(), 0, "no coroutine left");
	printf("qtest: coroutines park on tokens and wake on completion, sleep %llu us, "
	       "timeout %llu us, EBUSY for a token another waits on\n",
	       (unsigned long long)slept, (unsigned long long)timed_out);
}

static unsigned ran;

static void one(void *arg)
{
	(void)arg;
	hk_coro_yield();
	ran++;
}

static hk_qtoken_t waited;

/* Times out on an empty queue: the scheduler's own loop idles meanwhile. */
static void waiter(void *arg)
{
	(void)arg;
	struct hk_qresult r;
	waited = pop(qc);
	is(hk_queue_wait(waited, SHORT_US, &r), -HK_ETIMEDOUT, "coroutine wait");
}

static void coro_many(void)
{
	for (unsigned i = 0; i < HK_CORO_MAX; i++)
		is(hk_coro_spawn(one, NULL, HK_CORO_STACK_MIN), (int)i, "spawn");
	is(hk_coro_spawn(one, NULL, 0), -HK_ETOOMANY, "spawn of one too many");
	is(hk_coro_run(), 0, "run 64");
	is(ran, HK_CORO_MAX, "all 64 ran");
	is(hk_queue_set_poller(4, HK_QUEUE_IDLE_YIELD), 0, "poller: 4, yield");
	struct hk_queue_stats s0 = qstats();
	hk_coro_spawn(waiter, NULL, 0);
	is(hk_coro_run(), 0, "run");
	struct hk_queue_stats s1 = qstats();
	uint64_t y = s1.yields - s0.yields, e = s1.empty_polls - s0.empty_polls;
	yes(y >= 1 && e >= 4 * y && e <= 4 * y + 5, "the scheduler yields after 4 empty polls");
	is(hk_queue_set_poller(64, HK_QUEUE_IDLE_BLOCK), 0, "poller back to the default");
	wait_ok(push_to(qa, &addr_c, 19));
	take(wait_ok(waited).pkt, 19, qa);
	printf("qtest: 64 coroutines at once, the scheduler yielded %llu times after %llu empty "
	       "polls (N=4)\n",
	       (unsigned long long)y, (unsigned long long)e);
}

/* --- roles ---------------------------------------------------------------------------- */

static void open_queues(void)
{
	qa = hk_queue_open(1, 64);
	qb = hk_queue_open(2, 64);
	qc = hk_queue_open(3, 64);
	yes(qa >= 0 && qb >= 0 && qc >= 0, "open addresses 1, 2, 3");
	is(hk_queue_addr(qb, &addr_b), 0, "address of qb");
	is(hk_queue_addr(qc, &addr_c), 0, "address of qc");
	is(hk_queue_connect(qa, &addr_b), 0, "connect qa to qb");
}

static int api(void)
{
	open_queues();
	bad_qds();
	bad_tokens();
	full_table();
	batch();
	refused();
	early();
	timeouts();
	any();
	poller();
	block_many();
	coro_basics();
	coro_waits();
	coro_many();
	is(hk_queue_close(qa), 0, "close");
	is(hk_queue_close(qb), 0, "close");
	is(hk_queue_close(qc), 0, "close");
	struct hk_kan_self s;
	is(hk_kan_self(&s), 0, "kan_self");
	is(s.held, 0, "packets held at the end");
	printf("qtest: %u checks passed, holding %u packets\n", checks, s.held);
	return 0;
}

static void overrun(void *arg)
{
	volatile uint8_t big[6000];
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i + (uintptr_t)arg);
	hk_coro_yield();
}

static int overflow(void)
{
	void *below = malloc(65536); /* heap below the stack: the overrun lands in memory */
	hk_coro_spawn(overrun, below, HK_CORO_STACK_MIN);
	hk_coro_run();
	printf("qtest: overflow: not caught\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "api"))
		return api();
	if (argc == 2 && !strcmp(argv[1], "overflow"))
		return overflow();
	hk_fail("usage: qtest api|overflow");
}
