/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KAN_EP_H
#define KAN_EP_H

/*
 * An endpoint: one bound address and its bounded receive ring (ck_ring,
 * used single producer / single consumer). Producers are serialised by
 * ep->lock (senders on any CPU); consumers (the owner's threads) by a lock
 * of the caller's (the kernel: the owner's kp->lock), so neither side pays
 * for a compare-and-swap and one producer runs concurrently with one consumer.
 * The lock also guards the state and the waiter, so a close cannot race an
 * enqueue: after kan_ep_close nothing more is queued, and everything that
 * was is handed to the drop callback.
 */
#include <ck_ring.h>
#include <ck_spinlock.h>
#include <hekate/kan.h>
#include <stdint.h>

enum kan_ep_state { KAN_EP_FREE = 0, KAN_EP_OPEN, KAN_EP_CLOSED };

/* A ring entry: a pool page index (typed ring: 4 bytes, so a depth-512
 * ring of 1024 entries fits one page). */
struct kan_ring_ent {
	uint32_t idx;
};
#define KAN_RING_BYTES(depth) ((depth) * 2u * sizeof(struct kan_ring_ent))

struct kan_ep {
	ck_spinlock_fas_t lock;
	uint32_t state;
	int32_t owner; /* pid */
	struct hk_addr addr;
	struct ck_ring ring;
	struct kan_ring_ent *buf; /* 2 * depth entries: ck_ring keeps one free */
	uint32_t depth;           /* packets it holds at most */
	void *waiter;               /* a thread blocked on this endpoint (lock) */
	struct hk_kan_counters c;   /* drops: counted here; in/out: by the caller */
};

/* buf holds KAN_RING_BYTES(depth); depth a power of two in [HK_KAN_DEPTH_MIN, MAX]
 * (the caller checks). Counters start at zero. ep->lock is the caller's: it
 * must be initialised (zero is unlocked) and is left as it is. */
void kan_ep_open(struct kan_ep *ep, int32_t owner, const struct hk_addr *a,
                 struct kan_ring_ent *buf, unsigned depth);
/* ep->lock held. 0 queued; -HK_ENOBUFS full (counted: RING_FULL);
 * -HK_ENOENT not open (counted: CLOSED). The caller keeps the page on failure. */
int kan_ep_push(struct kan_ep *ep, uint32_t idx);
/* Consumers serialised by the caller's lock (not ep->lock: a producer may
 * push concurrently). 1 with *idx, 0 when empty. */
int kan_ep_pop(struct kan_ep *ep, uint32_t *idx);
/* Packets queued now (a snapshot). */
unsigned kan_ep_queued(struct kan_ep *ep);
/* ep->lock and the consumers' lock held. OPEN -> CLOSED; every queued page goes to drop(ctx, idx),
 * each counted as a CLOSED drop. Returns how many. */
unsigned kan_ep_close(struct kan_ep *ep, void (*drop)(void *ctx, uint32_t idx), void *ctx);

#endif
