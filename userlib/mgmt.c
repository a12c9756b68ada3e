// SPDX-License-Identifier: BSD-2-Clause
/* Named counters and answering management requests (contracts in <hekate/mgmt.h>). */
#include <hekate/mgmt.h>
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <string.h>

static struct {
	const char *name;
	const uint64_t *v;
} ctr[HK_CTR_MAX];
static unsigned nctr;
static uint8_t resp[HK_MGMT_RESP_MAX];

int hk_ctr_publish(const char *name, const uint64_t *value)
{
	if (!name || !value || !mgmt_ctr_name_ok(name))
		return -HK_EINVAL;
	for (unsigned i = 0; i < nctr; i++)
		if (!strcmp(ctr[i].name, name))
			return -HK_EEXIST;
	if (nctr == HK_CTR_MAX)
		return -HK_ETOOMANY;
	ctr[nctr].name = name;
	ctr[nctr++].v = value;
	return 0;
}

/* The COUNTERS answer: one group, "self" (the service names it). */
static int counters(struct mgmt_w *w)
{
	mgmt_put16(w, 1);
	mgmt_group_put(w, "self", (uint16_t)nctr, 0);
	for (unsigned i = 0; i < nctr; i++)
		mgmt_ctr_put(w, ctr[i].name, *(volatile const uint64_t *)ctr[i].v);
	return MGMT_OK;
}

/* Build the answer's body into resp: its length, with *h's status set. */
static size_t answer(const uint8_t *msg, size_t len, const struct hk_addr *src, hk_mgmt_fn fn,
                     void *ctx, struct mgmt_hdr *h, int *drop)
{
	static struct mgmt_req q;
	char detail[MGMT_DETAIL_MAX + 1] = "";
	struct mgmt_w w;
	int st = mgmt_req_decode(msg, len, &q);
	*drop = st == MGMT_DROP;
	*h = q.h;
	h->version = MGMT_VERSION;
	mgmt_w_init(&w, resp, sizeof(resp));
	if (st == MGMT_OK && q.h.op == MGMT_OP_COUNTERS)
		st = counters(&w);
	else if (st == MGMT_OK)
		st = fn ? fn(ctx, &q, src, &w, detail) : MGMT_E_OP;
	if (st == MGMT_OK && w.err) {
		st = MGMT_E_INTERNAL;
		strcpy(detail, "answer larger than HK_MGMT_RESP_MAX");
	}
	h->status = (uint16_t)st;
	if (st == MGMT_OK)
		return w.len;
	size_t n = strnlen(detail, MGMT_DETAIL_MAX);
	memcpy(resp, detail, n);
	return n;
}

/* Part k of body[0..n) into page pg, a datagram from (from, fport) to (to, tport). */
static void part(struct hk_pkt *pg, const struct mgmt_hdr *h, const uint8_t *body, size_t n,
                 unsigned k, const struct hk_mgmt_ends *e)
{
	uint8_t *ip = hk_pkt_page(*pg);
	pg->off = HK_PKT_HEADROOM;
	ip += pg->off;
	size_t m = mgmt_part_encode(ip + KAN_UDP_OFF, HK_PKT_SIZE - pg->off - KAN_UDP_OFF, h, body,
	                            n, k);
	pg->len = (uint16_t)kan_udp_build(ip, HK_PKT_SIZE - pg->off, &e->from, &e->to, e->fport,
	                                  e->tport, m);
}

int hk_mgmt_send(struct hk_pkt *p, const struct hk_mgmt_ends *e, const struct mgmt_hdr *h,
                 const uint8_t *body, size_t n)
{
	unsigned np = mgmt_nparts(n);
	struct hk_pkt pg[MGMT_PARTS_MAX];
	pg[0] = *p;
	int64_t got = np > 1 ? hk_kan_alloc(pg + 1, np - 1) : 0;
	if (!np || got != (int64_t)np - 1) {
		if (got > 0)
			hk_kan_free(pg + 1, (unsigned)got);
		hk_kan_free(p, 1);
		return !np ? -HK_E2BIG : -HK_ENOMEM;
	}
	for (unsigned k = 0; k < np; k++)
		part(&pg[k], h, body, n, k, e);
	unsigned refused = hk_kan_send_all(pg, np, 0);
	return refused ? -HK_EAGAIN : 0;
}

int hk_mgmt_serve(struct hk_pkt *p, hk_mgmt_fn fn, void *ctx)
{
	struct kan_udp u;
	const uint8_t *ip = hk_pkt_data(*p);
	if (kan_udp_parse(ip, p->len, &u) || u.dport != MGMT_INNER_PORT)
		return 0;
	struct hk_mgmt_ends e = {*kan_hdr_dst(ip), *kan_hdr_src(ip), MGMT_INNER_PORT, u.sport};
	struct mgmt_hdr h;
	int drop;
	size_t n = answer(u.payload, u.len, &e.to, fn, ctx, &h, &drop);
	if (drop || kan_addr_is_multicast(&e.from)) {
		hk_kan_free(p, 1); /* nothing to answer */
		return 1;
	}
	hk_mgmt_send(p, &e, &h, resp, n); /* without pages, the asker times out */
	return 1;
}

int hk_mgmt_addr(struct hk_addr *out)
{
	struct hk_proc_info pi;
	for (unsigned i = 0; i < HK_MAX_PROCS && !hk_proc_info(i, &pi); i++)
		if (pi.flags & HK_PI_MGMT) {
			*out = kan_addr_make(&hk_kan()->prefix, hk_kan_iid(i, 0));
			return 0;
		}
	return -HK_ENOENT;
}
