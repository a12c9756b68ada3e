// SPDX-License-Identifier: BSD-2-Clause
/*
 * The queue API (contracts in <hekate/queue.h>, design in docs/userlib.md).
 *
 * State is per process and unlocked: one thread uses it. Tokens live in a
 * fixed table; a token is its slot + 1 in the low 16 bits and the slot's
 * generation above, and the generation moves on when the token is
 * consumed, so a stale token never names the slot's next occupant.
 * A queue keeps its pending pops as a FIFO of token slots and, in its
 * stash, packets that arrived ahead of its pops. Pushes wait in one
 * outgoing batch until the next flush.
 */
#include <hekate/queue.h>
#include <hekate/user.h>

#define NONE     0xffffu
#define SLICE_US 1000u /* blocking slice when more endpoints wait than one recv takes */

enum tok_state { T_FREE = 0, T_PENDING, T_DONE };

struct tok {
	uint32_t gen;  /* generation of the token in this slot */
	uint8_t state; /* enum tok_state */
	uint16_t next; /* free list, or the next pending pop of the same queue */
	int parked;    /* coroutine waiting on it, or -1 */
	struct hk_qresult res;
};

struct queue {
	int open, connected;
	uint32_t ep; /* endpoint handle */
	unsigned n;  /* address number: 0 is the primary endpoint */
	struct hk_addr addr, peer;
	uint16_t head, tail; /* pending pops, oldest first */
	unsigned npending;
	struct hk_pkt stash[HK_QUEUE_STASH]; /* ring: arrived before a pop asked */
	unsigned stash_first, stash_n;
};

static struct tok toks[HK_QTOKEN_MAX];
static uint16_t free_tok = NONE;
static int toks_ready;
static struct queue qs[HK_QUEUE_MAX];
static uint64_t active; /* bit qd set: qd has pops pending (its endpoint is polled) */
static unsigned rot;    /* first queue polled, moved on every pass for fairness */
static struct {
	struct hk_pkt pkt[HK_KAN_BATCH];
	uint16_t tok[HK_KAN_BATCH];
	unsigned n;
} out; /* pushes not yet handed to the kernel */
static unsigned spin = 64;
static enum hk_queue_idle idle_mode = HK_QUEUE_IDLE_BLOCK;
static struct hk_queue_stats st;
static const struct hk_queue_sched *sched;

_Static_assert(HK_QUEUE_MAX == 64, "the active set is one uint64_t");
_Static_assert(HK_QTOKEN_MAX < NONE, "token slots fit 16 bits");
_Static_assert(HK_QUEUE_STASH >= HK_KAN_BATCH, "one recv's excess fits a stash");

/* --- tokens -------------------------------------------------------------------------- */

static void toks_init(void)
{
	for (unsigned i = 0; i < HK_QTOKEN_MAX; i++)
		toks[i] = (struct tok){.gen = 1,
		                       .next = (uint16_t)(i + 1 < HK_QTOKEN_MAX ? i + 1 : NONE),
		                       .parked = -1};
	free_tok = 0;
	toks_ready = 1;
}

static hk_qtoken_t token_of(unsigned slot) { return (uint64_t)toks[slot].gen << 16 | (slot + 1); }

/* A fresh pending token of op on qd: its slot, or -HK_ETOOMANY. */
static int tok_new(enum hk_qop op, int qd)
{
	if (!toks_ready)
		toks_init();
	if (free_tok == NONE)
		return -HK_ETOOMANY;
	unsigned s = free_tok;
	struct tok *t = &toks[s];
	free_tok = t->next;
	t->state = T_PENDING;
	t->next = NONE;
	t->parked = -1;
	t->res = (struct hk_qresult){.qt = token_of(s), .qd = qd, .op = op};
	return (int)s;
}

/* The slot qt names: >= 0, -HK_EINVAL malformed, -HK_ENOENT stale (consumed). */
static int tok_find(hk_qtoken_t qt)
{
	uint64_t slot1 = qt & 0xffff, gen = qt >> 16;
	if (!slot1 || slot1 > HK_QTOKEN_MAX || gen > UINT32_MAX)
		return -HK_EINVAL;
	struct tok *t = &toks[slot1 - 1];
	if (!toks_ready || t->state == T_FREE || t->gen != gen)
		return -HK_ENOENT;
	return (int)(slot1 - 1);
}

/* Mark slot s done with ret and pkt; wake the coroutine waiting on it. */
static void tok_complete(unsigned s, int ret, struct hk_pkt pkt)
{
	struct tok *t = &toks[s];
	t->state = T_DONE;
	t->res.ret = ret;
	t->res.pkt = pkt;
	if (t->parked >= 0 && sched) {
		int who = t->parked;
		t->parked = -1;
		sched->wake((unsigned)who);
	}
}

/* Hand slot s's result to *res and free the slot; its token goes stale. */
static void tok_consume(unsigned s, struct hk_qresult *res)
{
	struct tok *t = &toks[s];
	*res = t->res;
	t->state = T_FREE;
	t->gen = t->gen == UINT32_MAX ? 1 : t->gen + 1;
	t->parked = -1;
	t->next = free_tok;
	free_tok = (uint16_t)s;
}

/* --- queues -------------------------------------------------------------------------- */

/* qd's queue, or NULL with *err set (EINVAL out of range, ENOENT not open). */
static struct queue *q_get(int qd, int *err)
{
	if (qd < 0 || qd >= (int)HK_QUEUE_MAX) {
		*err = -HK_EINVAL;
		return NULL;
	}
	if (!qs[qd].open) {
		*err = -HK_ENOENT;
		return NULL;
	}
	return &qs[qd];
}

/* Address n of this process: its primary address with n in the low 16 bits. */
static struct hk_addr addr_n(unsigned n)
{
	struct hk_addr a = hk_kan()->addr;
	a.b[14] = (uint8_t)(n >> 8);
	a.b[15] = (uint8_t)n;
	return a;
}

int hk_queue_open(unsigned n, unsigned depth)
{
	int qd = -1;
	for (int i = 0; i < (int)HK_QUEUE_MAX; i++) {
		if (qs[i].open && qs[i].n == n)
			return -HK_EEXIST;
		if (!qs[i].open && qd < 0)
			qd = i;
	}
	if (qd < 0)
		return -HK_ETOOMANY;
	int64_t ep = n ? hk_kan_bind(n, depth) : (int64_t)hk_kan()->ep;
	if (ep < 0)
		return (int)ep;
	qs[qd] = (struct queue){
	    .open = 1, .ep = (uint32_t)ep, .n = n, .addr = addr_n(n), .head = NONE, .tail = NONE};
	return qd;
}

int hk_queue_connect(int qd, const struct hk_addr *peer)
{
	int err;
	struct queue *q = q_get(qd, &err);
	if (!q)
		return err;
	if (!peer)
		return -HK_EINVAL;
	q->peer = *peer;
	q->connected = 1;
	return 0;
}

int hk_queue_addr(int qd, struct hk_addr *addr)
{
	int err;
	struct queue *q = q_get(qd, &err);
	if (!q)
		return err;
	if (!addr)
		return -HK_EINVAL;
	*addr = q->addr;
	return 0;
}

/* The oldest pending pop of qd completes with ret and pkt. */
static void pop_complete(int qd, int ret, struct hk_pkt pkt)
{
	struct queue *q = &qs[qd];
	unsigned s = q->head;
	q->head = toks[s].next;
	if (q->head == NONE)
		q->tail = NONE;
	if (!--q->npending)
		active &= ~(1ull << qd);
	tok_complete(s, ret, pkt);
}

/* A packet arrived on qd: it completes the oldest pop, or waits in the stash.
 * Returns the tokens completed (0 or 1). */
static int deliver(int qd, struct hk_pkt pkt)
{
	struct queue *q = &qs[qd];
	if (q->npending) {
		pop_complete(qd, 0, pkt);
		return 1;
	}
	/* Only queues with pops pending are polled and their stash is empty,
	 * and one recv takes at most HK_KAN_BATCH packets. */
	if (q->stash_n == HK_QUEUE_STASH)
		hk_fail("queue: stash of queue %d overflowed (broken invariant)", qd);
	q->stash[(q->stash_first + q->stash_n++) % HK_QUEUE_STASH] = pkt;
	return 0;
}

/* Give back every packet qd received ahead of its pops. */
static void stash_drop(struct queue *q)
{
	struct hk_pkt v[HK_QUEUE_STASH];
	unsigned n = q->stash_n;
	for (unsigned i = 0; i < n; i++)
		v[i] = q->stash[(q->stash_first + i) % HK_QUEUE_STASH];
	q->stash_n = 0;
	if (n && hk_kan_free(v, n) != (int64_t)n)
		hk_fail("queue: freeing %u received packets failed", n);
}

static int flush(void);

int hk_queue_close(int qd)
{
	int err;
	struct queue *q = q_get(qd, &err);
	if (!q)
		return err;
	flush();
	while (q->npending)
		pop_complete(qd, -HK_ENOENT, (struct hk_pkt){0});
	stash_drop(q);
	q->open = 0;
	return q->n ? (int)hk_kan_close(q->ep) : 0;
}

/* --- push and pop -------------------------------------------------------------------- */

/* Hand the batched pushes to the kernel. A refused packet completes its
 * token with the error and the sends resume after it. Returns tokens completed. */
static int flush(void)
{
	unsigned i = 0, n = out.n;
	while (i < n) {
		st.sends++;
		int64_t rc = hk_kan_send(out.pkt + i, n - i, 0);
		if (rc <= 0) {
			tok_complete(out.tok[i], rc ? (int)rc : -HK_EINVAL, out.pkt[i]);
			i++;
			continue;
		}
		for (int64_t k = 0; k < rc; k++, i++)
			tok_complete(out.tok[i], 0, out.pkt[i]);
		st.pkts_out += (uint64_t)rc;
	}
	out.n = 0;
	return (int)n;
}

int hk_queue_pushto(hk_qtoken_t *qt, int qd, struct hk_pkt pkt, const struct hk_addr *dst)
{
	int err;
	struct queue *q = q_get(qd, &err);
	if (!q)
		return err;
	if (!qt || !dst || pkt.slot >= HK_PKT_SLOTS || pkt.len < HK_IPV6_HDR ||
	    (unsigned)pkt.off + pkt.len > HK_PKT_SIZE)
		return -HK_EINVAL;
	struct hk_addr to = *dst; /* dst may live in the header about to be written */
	int s = tok_new(HK_QOP_PUSH, qd);
	if (s < 0)
		return s;
	if (out.n == HK_KAN_BATCH)
		flush();
	hk_ip6_header(hk_pkt_data(pkt), &q->addr, &to, HK_IPPROTO_TEST,
	              (uint16_t)(pkt.len - HK_IPV6_HDR));
	out.pkt[out.n] = pkt;
	out.tok[out.n++] = (uint16_t)s;
	*qt = token_of((unsigned)s);
	return 0;
}

int hk_queue_push(hk_qtoken_t *qt, int qd, struct hk_pkt pkt)
{
	int err;
	struct queue *q = q_get(qd, &err);
	if (!q)
		return err;
	if (!q->connected)
		return -HK_ENOENT;
	return hk_queue_pushto(qt, qd, pkt, &q->peer);
}

int hk_queue_pop(hk_qtoken_t *qt, int qd)
{
	int err;
	struct queue *q = q_get(qd, &err);
	if (!q)
		return err;
	if (!qt)
		return -HK_EINVAL;
	int s = tok_new(HK_QOP_POP, qd);
	if (s < 0)
		return s;
	*qt = token_of((unsigned)s);
	if (q->stash_n) { /* arrived already */
		struct hk_pkt p = q->stash[q->stash_first];
		q->stash_first = (q->stash_first + 1) % HK_QUEUE_STASH;
		q->stash_n--;
		tok_complete((unsigned)s, 0, p);
		return 0;
	}
	if (q->tail == NONE)
		q->head = (uint16_t)s;
	else
		toks[q->tail].next = (uint16_t)s;
	q->tail = (uint16_t)s;
	q->npending++;
	active |= 1ull << qd;
	return 0;
}

/* --- the polling loop ---------------------------------------------------------------- */

/* The queues with pops pending, from qd `from` on, wrapping: their count. */
static unsigned active_list(unsigned from, int *qds)
{
	unsigned k = 0;
	for (unsigned i = 0; i < HK_QUEUE_MAX; i++) {
		unsigned qd = (from + i) % HK_QUEUE_MAX;
		if (active >> qd & 1)
			qds[k++] = (int)qd;
	}
	return k;
}

/* One kan_recv over the k queues qds (timeout as kan_recv's): at most as many
 * packets as they have pops pending. Returns tokens completed or an error. */
static int recv_group(const int *qds, unsigned k, uint64_t timeout_us)
{
	uint32_t eps[HK_KAN_WAIT_MAX];
	struct hk_pkt v[HK_KAN_BATCH];
	unsigned want = 0;
	for (unsigned i = 0; i < k; i++) {
		eps[i] = qs[qds[i]].ep;
		want += qs[qds[i]].npending;
	}
	st.recvs++;
	int64_t n = hk_kan_recv(eps, k, v, want < HK_KAN_BATCH ? want : HK_KAN_BATCH, timeout_us);
	if (n == -HK_EAGAIN || n == -HK_ETIMEDOUT)
		return 0;
	if (n < 0)
		return (int)n;
	st.pkts_in += (uint64_t)n;
	int done = 0;
	for (int64_t j = 0; j < n; j++) {
		unsigned i = 0;
		while (i < k && eps[i] != v[j].ep)
			i++;
		if (i == k)
			hk_fail("queue: kan_recv returned a packet of endpoint %u", v[j].ep);
		done += deliver(qds[i], v[j]);
	}
	return done;
}

int hk_queue_poll(void)
{
	int done = flush(), qds[HK_QUEUE_MAX];
	unsigned n = active_list(rot, qds);
	rot = (rot + 1) % HK_QUEUE_MAX;
	st.polls++;
	/* a group's deliveries touch only its own queues: the list stays true */
	for (unsigned i = 0; i < n; i += HK_KAN_WAIT_MAX) {
		unsigned k = n - i < HK_KAN_WAIT_MAX ? n - i : HK_KAN_WAIT_MAX;
		int rc = recv_group(qds + i, k, 0);
		if (rc < 0)
			return rc;
		done += rc;
	}
	if (!done)
		st.empty_polls++;
	return done;
}

static uint64_t until(uint64_t deadline_us)
{
	if (deadline_us == HK_TIMEOUT_FOREVER)
		return HK_TIMEOUT_FOREVER;
	uint64_t now = (uint64_t)hk_time_us();
	return deadline_us > now ? deadline_us - now : 0;
}

int hk_queue_idle(uint64_t deadline_us)
{
	int done = flush(), qds[HK_QUEUE_MAX];
	if (done)
		return done;
	if (!active && deadline_us == HK_TIMEOUT_FOREVER)
		return -HK_ECHILD; /* no pop pending, no deadline: nothing can come */
	if (idle_mode == HK_QUEUE_IDLE_YIELD) {
		st.yields++;
		hk_yield();
		return 0;
	}
	uint64_t t = until(deadline_us);
	if (!t)
		return 0;
	if (!active) {
		hk_sleep_us(t);
		return 0;
	}
	unsigned k = active_list(rot, qds);
	if (k > HK_KAN_WAIT_MAX) {
		k = HK_KAN_WAIT_MAX;
		if (t > SLICE_US)
			t = SLICE_US; /* the others get their turn in the next slice */
	}
	rot = (rot + 1) % HK_QUEUE_MAX;
	st.blocks++;
	return recv_group(qds, k, t);
}

int hk_queue_set_poller(unsigned n, enum hk_queue_idle idle)
{
	if (!n || (idle != HK_QUEUE_IDLE_BLOCK && idle != HK_QUEUE_IDLE_YIELD))
		return -HK_EINVAL;
	spin = n;
	idle_mode = idle;
	return 0;
}

unsigned hk_queue_spin(void) { return spin; }

void hk_queue_get_stats(struct hk_queue_stats *s) { *s = st; }

void hk_queue_set_sched(const struct hk_queue_sched *s) { sched = s; }

/* --- waiting ------------------------------------------------------------------------- */

/* What a wait waits for: any one of qts[0..n), or all of them. */
struct want {
	const hk_qtoken_t *qts;
	unsigned n;
	int all;
};

/* 1 when w is met (*first: the lowest done index), 0 not yet, <0 a token is bad. */
static int met(const struct want *w, unsigned *first)
{
	unsigned done = 0;
	for (unsigned i = 0; i < w->n; i++) {
		int s = tok_find(w->qts[i]);
		if (s < 0)
			return s;
		if (toks[s].state != T_DONE)
			continue;
		if (!done++)
			*first = i;
	}
	return w->all ? done == w->n : done > 0;
}

/* Mark coroutine me as the waiter of w's pending tokens, or (on = 0) no
 * longer; tokens gone stale meanwhile are skipped. EBUSY: another waits. */
static int park_on(const struct want *w, int me, int on)
{
	for (unsigned i = 0; i < w->n; i++) {
		int s = tok_find(w->qts[i]);
		if (s < 0)
			continue;
		struct tok *t = &toks[s];
		if (!on) {
			if (t->parked == me)
				t->parked = -1;
		} else if (t->state == T_PENDING && t->parked >= 0 && t->parked != me) {
			park_on(w, me, 0);
			return -HK_EBUSY;
		} else if (t->state == T_PENDING) {
			t->parked = me;
		}
	}
	return 0;
}

/* EBUSY when a coroutine other than me is parked on one of w's tokens. */
static int busy(const struct want *w, int me)
{
	for (unsigned i = 0; i < w->n; i++) {
		int s = tok_find(w->qts[i]);
		if (s >= 0 && toks[s].parked >= 0 && toks[s].parked != me)
			return -HK_EBUSY;
	}
	return 0;
}

/* Inside coroutine me: park until w is met or the deadline. */
static int wait_parked(const struct want *w, int me, uint64_t deadline, unsigned *first)
{
	for (;;) {
		if (deadline != HK_TIMEOUT_FOREVER && (uint64_t)hk_time_us() >= deadline)
			return -HK_ETIMEDOUT;
		int rc = park_on(w, me, 1);
		if (rc)
			return rc;
		sched->park(deadline);
		park_on(w, me, 0);
		rc = met(w, first);
		if (rc)
			return rc < 0 ? rc : 0;
	}
}

/* Outside coroutines: poll; after `spin` empty polls in a row, check the
 * deadline and idle. Every pass either completes something or counts
 * towards the next deadline check. */
static int wait_polling(const struct want *w, uint64_t deadline, unsigned *first)
{
	unsigned empty = 0;
	for (;;) {
		int rc = hk_queue_poll();
		if (rc < 0)
			return rc;
		int m = met(w, first);
		if (m)
			return m < 0 ? m : 0;
		if (rc > 0) {
			empty = 0;
			continue;
		}
		if (++empty < spin)
			continue;
		empty = 0;
		if (deadline != HK_TIMEOUT_FOREVER && (uint64_t)hk_time_us() >= deadline)
			return -HK_ETIMEDOUT;
		rc = hk_queue_idle(deadline);
		if (rc < 0)
			return rc;
	}
}

/* Wait until w is met or timeout_us ran out (0: one poll). 0 or -HK_E*. */
static int wait_for(const struct want *w, uint64_t timeout_us, unsigned *first)
{
	int me = sched ? sched->self() : -1;
	int m = met(w, first);
	if (m >= 0 && busy(w, me))
		return -HK_EBUSY;
	if (m)
		return m < 0 ? m : 0;
	if (!timeout_us) {
		int rc = hk_queue_poll();
		m = rc < 0 ? rc : met(w, first);
		return m ? (m < 0 ? m : 0) : -HK_ETIMEDOUT;
	}
	uint64_t now = (uint64_t)hk_time_us(), deadline = HK_TIMEOUT_FOREVER;
	if (timeout_us != HK_TIMEOUT_FOREVER && timeout_us < HK_TIMEOUT_FOREVER - now)
		deadline = now + timeout_us;
	return me >= 0 ? wait_parked(w, me, deadline, first) : wait_polling(w, deadline, first);
}

static int check_list(const hk_qtoken_t *qts, unsigned n)
{
	if (!qts || !n)
		return -HK_EINVAL;
	return n > HK_QTOKEN_MAX ? -HK_E2BIG : 0;
}

int hk_queue_wait_any(const hk_qtoken_t *qts, unsigned n, unsigned *index, struct hk_qresult *res,
                      uint64_t timeout_us)
{
	int rc = check_list(qts, n);
	if (rc)
		return rc;
	if (!index || !res)
		return -HK_EINVAL;
	struct want w = {qts, n, 0};
	unsigned first = 0;
	rc = wait_for(&w, timeout_us, &first);
	if (rc)
		return rc;
	tok_consume((unsigned)tok_find(qts[first]), res);
	*index = first;
	return 0;
}

int hk_queue_wait(hk_qtoken_t qt, uint64_t timeout_us, struct hk_qresult *res)
{
	unsigned index;
	return hk_queue_wait_any(&qt, 1, &index, res, timeout_us);
}

/* EINVAL when a token appears twice in qts (they are all well-formed). */
static int distinct(const hk_qtoken_t *qts, unsigned n)
{
	uint64_t seen[HK_QTOKEN_MAX / 64] = {0};
	for (unsigned i = 0; i < n; i++) {
		unsigned s = (unsigned)(qts[i] & 0xffff) - 1;
		if (seen[s / 64] >> (s % 64) & 1)
			return -HK_EINVAL;
		seen[s / 64] |= 1ull << (s % 64);
	}
	return 0;
}

int hk_queue_wait_all(const hk_qtoken_t *qts, unsigned n, uint64_t timeout_us,
                      struct hk_qresult *res)
{
	int rc = check_list(qts, n);
	if (rc)
		return rc;
	if (!res)
		return -HK_EINVAL;
	struct want w = {qts, n, 1};
	unsigned first;
	rc = met(&w, &first); /* every token well-formed and live before the next check */
	if (rc < 0)
		return rc;
	rc = distinct(qts, n);
	if (!rc)
		rc = wait_for(&w, timeout_us, &first);
	if (rc)
		return rc;
	for (unsigned i = 0; i < n; i++)
		tok_consume((unsigned)tok_find(qts[i]), &res[i]);
	return 0;
}
