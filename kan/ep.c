// SPDX-License-Identifier: BSD-2-Clause
/*
 * Endpoints and their receive rings (contracts in <kan/ep.h>).
 */
#include <ck_pr.h>
#include <hekate/errno.h>
#include <kan/ep.h>
#include <string.h>

CK_RING_PROTOTYPE(kan, kan_ring_ent)

void kan_ep_open(struct kan_ep *ep, int32_t owner, const struct hk_addr *a,
                 struct kan_ring_ent *buf, unsigned depth)
{
	ep->owner = owner;
	ep->addr = *a;
	ep->buf = buf;
	ep->depth = depth;
	ep->waiter = NULL;
	memset(&ep->c, 0, sizeof(ep->c));
	ck_ring_init(&ep->ring, depth * 2);
	ck_pr_fence_store();
	ck_pr_store_32(&ep->state, KAN_EP_OPEN);
}

int kan_ep_push(struct kan_ep *ep, uint32_t idx)
{
	if (ep->state != KAN_EP_OPEN) {
		ck_pr_inc_64(&ep->c.drops[HK_DROP_CLOSED]);
		return -HK_ENOENT;
	}
	struct kan_ring_ent e = {idx};
	if (ck_ring_size(&ep->ring) >= ep->depth ||
	    !ck_ring_enqueue_spsc_kan(&ep->ring, ep->buf, &e)) {
		ck_pr_inc_64(&ep->c.drops[HK_DROP_RING_FULL]);
		return -HK_ENOBUFS;
	}
	return 0;
}

int kan_ep_pop(struct kan_ep *ep, uint32_t *idx)
{
	struct kan_ring_ent e;
	if (!ck_ring_dequeue_spsc_kan(&ep->ring, ep->buf, &e))
		return 0;
	*idx = e.idx;
	return 1;
}

unsigned kan_ep_queued(struct kan_ep *ep) { return ck_ring_size(&ep->ring); }

unsigned kan_ep_close(struct kan_ep *ep, void (*drop)(void *ctx, uint32_t idx), void *ctx)
{
	unsigned n = 0;
	uint32_t idx;
	ck_pr_store_32(&ep->state, KAN_EP_CLOSED);
	while (kan_ep_pop(ep, &idx)) {
		drop(ctx, idx);
		n++;
	}
	ck_pr_add_64(&ep->c.drops[HK_DROP_CLOSED], n);
	return n;
}
