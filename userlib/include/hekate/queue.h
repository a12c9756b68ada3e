/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_USER_QUEUE_H
#define HEKATE_USER_QUEUE_H

/*
 * A Demikernel-style queue API over the raw KAN calls (docs/userlib.md).
 *
 * A queue is one KAN endpoint of this process: address n of its manifest
 * entry (n = 0 is the primary endpoint). push and pop start an operation
 * and hand back a token; wait, wait_any and wait_all complete tokens and
 * consume them, giving a result. Pushes are batched: they go out in one
 * kan_send at the next poll (or when 64 are waiting). A pop completes
 * when a packet arrives on the queue's endpoint.
 *
 * Everything here is for one thread of the process (the one running the
 * coroutine scheduler of <hekate/coro.h>, or the only one): nothing is
 * locked. Inside a coroutine a wait parks the coroutine; outside, it runs
 * the polling loop itself.
 *
 * Errors (negative -HK_E*), for every call below:
 *   EINVAL   qd < 0 or >= HK_QUEUE_MAX; token 0 or not of the form issued;
 *            a NULL pointer, n = 0, a packet whose off/len is not a whole
 *            IPv6 packet inside its page
 *   ENOENT   qd in range but not open; a stale token (already consumed)
 *   ETOOMANY all HK_QUEUE_MAX queues open; all HK_QTOKEN_MAX tokens out
 *   E2BIG    more than HK_QTOKEN_MAX tokens given to wait_any/wait_all
 *   ETIMEDOUT the wait ran out; the tokens stay valid and unconsumed
 *   EBUSY    another coroutine already waits on the token
 * plus what the KAN calls underneath return (kan_bind's, ENOBUFS ...).
 */
#include <hekate/kan.h>
#include <hekate/pkt.h>
#include <stdint.h>
#include <string.h>

#define HK_QUEUE_MAX   64u  /* open queues per process */
#define HK_QTOKEN_MAX  256u /* tokens issued and not yet consumed */
#define HK_QUEUE_STASH 64u  /* packets a queue may receive ahead of its pops */

/* A token: 0 is never issued. Opaque: slot and generation packed. */
typedef uint64_t hk_qtoken_t;

enum hk_qop { HK_QOP_PUSH = 1, HK_QOP_POP = 2 };

/* What a consumed token tells. */
struct hk_qresult {
	hk_qtoken_t qt;    /* the token consumed */
	int qd;            /* its queue */
	enum hk_qop op;    /* push or pop */
	int ret;           /* 0, or the -HK_E* the operation ended with */
	struct hk_pkt pkt; /* pop: the packet, now held by the caller;
	                      push that failed: the packet, still the caller's */
};

/*
 * Open a queue on this process's address n with a receive ring of depth
 * packets (kan_bind's rules: a power of two 2..512). n = 0 is the primary
 * endpoint, bound at spawn (depth is ignored). Returns qd >= 0, or EEXIST
 * (address n already open or bound), ETOOMANY, kan_bind's errors.
 */
int hk_queue_open(unsigned n, unsigned depth);

/* Close qd: pushes already issued are sent first; pending pops complete
 * with ret = -HK_ENOENT; packets received ahead are freed; the endpoint
 * is closed (the primary one stays bound). 0 or EINVAL/ENOENT. */
int hk_queue_close(int qd);

/* Set the destination push uses. 0 or EINVAL/ENOENT. */
int hk_queue_connect(int qd, const struct hk_addr *peer);

/* The address packets pushed from qd carry as source. */
int hk_queue_addr(int qd, struct hk_addr *out);

/*
 * Push pkt (a packet this process holds; its payload is the bytes after
 * the first 40, len counts the header) to the connected peer: the IPv6
 * header is written here (source = the queue's address, next header
 * HK_IPPROTO_TEST, hop limit 64) and the page belongs to the queue until
 * the token completes. The token completes at the next send: ret 0 when
 * the kernel took the packet (a later drop is counted, as on a network),
 * or its refusal with the packet given back in the result.
 * ENOENT also when qd is not connected. A descriptor the process does not
 * hold faults on the header write, as writing to it would.
 */
int hk_queue_push(hk_qtoken_t *qt, int qd, struct hk_pkt pkt);

/* Push to dst instead of the connected peer (dst may point into pkt). */
int hk_queue_pushto(hk_qtoken_t *qt, int qd, struct hk_pkt pkt, const struct hk_addr *dst);

/* Pop the next packet arriving on qd. Pops on one queue complete in order. */
int hk_queue_pop(hk_qtoken_t *qt, int qd);

/*
 * Wait up to timeout_us (0: poll once, never block; HK_TIMEOUT_FOREVER)
 * for qt, then consume it into *res and return 0. The operation's own
 * outcome is res->ret.
 */
int hk_queue_wait(hk_qtoken_t qt, uint64_t timeout_us, struct hk_qresult *res);

/* Wait for the first of qts[0..n) to complete; consume only that one:
 * *index is its position (the lowest, if several are done). */
int hk_queue_wait_any(const hk_qtoken_t *qts, unsigned n, unsigned *index, struct hk_qresult *res,
                      uint64_t timeout_us);

/* Wait for all of qts[0..n); consume all into res[0..n) and return 0, or
 * consume none (timeout, error). A token may not appear twice (EINVAL). */
int hk_queue_wait_all(const hk_qtoken_t *qts, unsigned n, uint64_t timeout_us,
                      struct hk_qresult *res);

/* --- the polling loop -------------------------------------------------------------- */

/* What the loop does after `spin` empty polls in a row. */
enum hk_queue_idle {
	HK_QUEUE_IDLE_BLOCK = 0, /* block in kan_recv on the awaited endpoints (default) */
	HK_QUEUE_IDLE_YIELD = 1, /* hk_yield, then poll again (a busy core stays busy) */
};

/* spin >= 1 empty polls before idling (default 64); EINVAL for 0 or an unknown mode. */
int hk_queue_set_poller(unsigned spin, enum hk_queue_idle idle);
unsigned hk_queue_spin(void);

/* Send the batched pushes and receive, without blocking, for every queue
 * with a pop pending (kan_recv over up to HK_KAN_WAIT_MAX endpoints per
 * call). Returns the tokens it completed (0 = an empty poll) or an error. */
int hk_queue_poll(void);

/*
 * Give the CPU up until something may have arrived or deadline_us (time
 * since boot, HK_TIMEOUT_FOREVER = none): per the idle mode, block in
 * kan_recv on the endpoints with a pop pending (rotating slices of 1 ms
 * when there are more than HK_KAN_WAIT_MAX) or yield. With no pop pending
 * it sleeps to the deadline; with no deadline either it returns ECHILD:
 * nothing could ever arrive. Returns tokens completed, or an error.
 */
int hk_queue_idle(uint64_t deadline_us);

/* Counters of the loop since the process began (monotonic). */
struct hk_queue_stats {
	uint64_t polls;       /* hk_queue_poll passes */
	uint64_t empty_polls; /* passes that completed no token */
	uint64_t blocks;      /* blocking kan_recv calls (idle, block mode) */
	uint64_t yields;      /* hk_yield calls (idle, yield mode) */
	uint64_t sends;       /* kan_send calls */
	uint64_t recvs;       /* kan_recv calls */
	uint64_t pkts_out;    /* packets the kernel took */
	uint64_t pkts_in;     /* packets received */
};
void hk_queue_get_stats(struct hk_queue_stats *out);

/* --- scheduler hooks (<hekate/coro.h> installs them) ------------------------------ */

/*
 * With hooks installed, a wait called where self() >= 0 parks that
 * coroutine instead of polling: park(deadline) returns once wake(id)
 * was called for it or the deadline passed. wake is called when a token
 * a coroutine waits on completes.
 */
struct hk_queue_sched {
	int (*self)(void);
	void (*park)(uint64_t deadline_us);
	void (*wake)(unsigned id);
};
void hk_queue_set_sched(const struct hk_queue_sched *s);

/* --- packet helpers ---------------------------------------------------------------- */

/* The source address in a received packet's IPv6 header. */
static inline struct hk_addr hk_pkt_src(struct hk_pkt p)
{
	struct hk_addr a;
	memcpy(&a, (const uint8_t *)hk_pkt_data(p) + 8, sizeof(a));
	return a;
}

/* The payload: the bytes after the 40-byte IPv6 header. */
static inline void *hk_pkt_payload(struct hk_pkt p)
{
	return (uint8_t *)hk_pkt_data(p) + HK_IPV6_HDR;
}

#endif
