// SPDX-License-Identifier: BSD-2-Clause
/*
 * The MAC driver process (docs/netmac.md): brings up the virtio-net device
 * it was granted, then loops: receive a batch from the KAN (packets for the
 * wire on its uplink endpoint, the device's interrupt and a one-second
 * timer on its control endpoint), harvest received frames, let the router
 * (router.c) decide each packet, then move every page with one vector
 * call per kind: KAN sends, DMA addresses, frees. Zero copy both ways:
 * frames land in KAN pages that go on to the KAN with the Ethernet header
 * stripped by moving the offset, and KAN pages go out on the wire with it
 * pushed into their headroom.
 *
 * Usage (manifest): proc mac bin=bin/netmac.elf device=virtio-net.0 uplink
 *                   kan-quota=1024 args="link=ADDR/LEN route=P/LEN@GW ra"
 */
#include "netmac.h"

#include <hekate/mgmt.h>
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <kan/notify.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <net/stats.h>
#include <stdio.h>
#include <string.h>
#include <virtio/vnet.h>

#define QSIZE 128u /* RX and TX ring entries */
#define MAX_PAIRS 2u /* queue pairs used when the device offers more than one (quota: 4 rings) */
#define BATCH HK_KAN_BATCH
#define CTL_DEPTH 16u
#define TICK_US 1000000u
#define RX_MAX_END (RX_OFF + VNET_HDR_LEN + NET_ETH_HDR + 1500u) /* past any frame we receive */

static struct router rt;
static struct vnet vn;
static unsigned grant; /* the device's index among our grants */
static uint64_t rx_bad, tx_full, rx_polls, irqs, rx_frames[MAX_PAIRS];

/*
 * Page recycling: a page whose physical address we learned (posted for
 * receive, or sent on the wire) goes back into the receive ring when we are
 * done with it, instead of kan_free now and kan_alloc (which zeroes all
 * 4 KiB) plus dma_addr later. slot_pa is a held page's address, 0 when
 * unknown; it is cleared whenever the page leaves us (sent on the KAN or
 * freed), because the slot then names another page. What an earlier
 * packet left in a recycled page, [stale_lo, stale_hi), is zeroed before
 * the page goes to anyone: the part before the receive offset when it is
 * posted, the part past the new frame when one arrives in it.
 */
static uint64_t slot_pa[HK_PKT_SLOTS];
static uint16_t stale_lo[HK_PKT_SLOTS], stale_hi[HK_PKT_SLOTS];
static struct hk_pkt spare[2 * QSIZE];
static unsigned nspare;

/* Pages on their way out of this round, by where they go. */
static struct {
	struct hk_pkt kan[2 * BATCH], via[2 * BATCH], tx[4 * BATCH], free[4 * BATCH];
	unsigned nkan, nvia, ntx, nfree;
} q;

/* Done with p, whose bytes [lo, hi) came from elsewhere: recycle or free it. */
static void give_back(struct hk_pkt p, unsigned lo, unsigned hi)
{
	if (slot_pa[p.slot] && nspare < 2 * QSIZE) {
		stale_lo[p.slot] = (uint16_t)lo;
		stale_hi[p.slot] = (uint16_t)hi;
		spare[nspare++] = p;
		return;
	}
	slot_pa[p.slot] = 0;
	q.free[q.nfree++] = p;
}

/* --- device setup ----------------------------------------------------------------------- */

/* One ring page for vnet_init: a packet page we keep for good. */
static int ring_page(void *ctx, struct vio_mem *m)
{
	(void)ctx;
	int64_t d = hk_kan_alloc1();
	if (d < 0)
		return (int)d;
	struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
	int64_t rc = hk_dma_addr(grant, &p, 1, &m->pa);
	m->va = hk_pkt_page(p);
	return (int)rc;
}

static size_t dev_stats(char *buf, size_t cap)
{
	unsigned bad = 0;
	for (unsigned p = 0; p < vn.pairs; p++)
		for (unsigned k = 0; k < VQ_ERR_KINDS; k++)
			bad += vn.rx[p].errors[k] + vn.tx[p].errors[k];
	int n = snprintf(buf, cap, "dev.pairs %u\ndev.mtu %u\ndev.rx_bad %llu\ndev.tx_full %llu\n"
	                 "dev.vq_errors %u\ndev.rx_polls %llu\ndev.irqs %llu\n",
	                 vn.pairs, vn.mtu, (unsigned long long)rx_bad, (unsigned long long)tx_full,
	                 bad, (unsigned long long)rx_polls, (unsigned long long)irqs);
	for (unsigned p = 0; p < vn.pairs && n > 0 && (size_t)n < cap; p++)
		n += snprintf(buf + n, cap - (size_t)n, "dev.rx_frames.q%u %llu\n", p,
		              (unsigned long long)rx_frames[p]);
	struct hk_kstat ks;
	struct hk_kan_node node;
	static const char *const kan_drop[HK_DROP_COUNT] = {"ring-full", "no-route", "closed",
	                                                    "bad-header", "spoofed", "bad-control"};
	if (n > 0 && (size_t)n < cap && !hk_kstat(&ks) && !hk_kan_stat(HK_STAT_NODE, 0, &node)) {
		n += snprintf(buf + n, cap - (size_t)n, "node.free_pages %llu\nnode.pool_free %llu\n",
		              (unsigned long long)ks.free_pages, (unsigned long long)node.pool_free);
		uint64_t cycles = 0, idle = 0;
		struct hk_core_stat cs;
		for (unsigned c = 0; hk_core_stat(c, &cs) == 0; c++)
			cycles = cs.cycles, idle += cs.idle_cycles;
		if (n > 0 && (size_t)n < cap) /* make bench: see hk_core_stat */
			n += snprintf(buf + n, cap - (size_t)n, "node.cycles %llu\nnode.idle_cycles %llu\n",
			              (unsigned long long)cycles, (unsigned long long)idle);
		for (unsigned i = 0; i < HK_DROP_COUNT && n > 0 && (size_t)n < cap; i++)
			n += snprintf(buf + n, cap - (size_t)n, "node.kan.%s %llu\n", kan_drop[i],
			              (unsigned long long)node.total.drops[i]);
	}
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap;
}

/* The grant named virtio-net.*, its device brought up. */
static void device_up(void)
{
	struct hk_dev_info d;
	for (grant = 0; hk_dev_info(grant, &d) == 0; grant++)
		if (!strncmp(d.name, "virtio-net.", 11))
			break;
	if (hk_dev_info(grant, &d))
		hk_fail("netmac: no virtio-net device granted (manifest device=virtio-net.N)");
	struct vio_bus bus;
	vio_mmio_bus(&bus, (volatile void *)(uintptr_t)d.va);
	struct vnet_config cfg = {.qsize = QSIZE, .pairs = MAX_PAIRS, .mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56},
	                          .ring_page = ring_page};
	int rc = vnet_init(&vn, &bus, &cfg);
	if (rc)
		hk_fail("netmac: %s: %s", d.name, vio_err_str(vn.err));
	printf("netmac: %s up: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u, %u of %u queue pairs, "
	       "link %s\n", d.name, vn.mac[0], vn.mac[1], vn.mac[2], vn.mac[3], vn.mac[4],
	       vn.mac[5], vn.mtu, vn.pairs, vn.max_pairs, vnet_link_up(&vn) ? "up" : "down");
}

/* --- pages to and from the device -------------------------------------------------------- */

/* Keep pair k's receive ring full: recycled pages first, then fresh ones. */
static void rx_fill_pair(unsigned k)
{
	struct hk_pkt p[BATCH];
	uint64_t pa[BATCH];
	unsigned room;
	while (nspare && vn.rx[k].nfree) {
		struct hk_pkt s = spare[--nspare];
		uint8_t *page = hk_pkt_page(s);
		if (stale_lo[s.slot] < RX_OFF)
			memset(page + stale_lo[s.slot], 0, RX_OFF - stale_lo[s.slot]);
		if (vnet_rx_post(&vn, k, slot_pa[s.slot] + RX_OFF, HK_PKT_SIZE - RX_OFF, s.slot))
			hk_fail("netmac: rx post");
	}
	while ((room = vn.rx[k].nfree) > 0) {
		int64_t n = hk_kan_alloc(p, room < BATCH ? room : BATCH);
		if (n <= 0)
			break; /* the pool or our quota is dry: the ring runs shorter for now */
		if (hk_dma_addr(grant, p, (unsigned)n, pa))
			hk_fail("netmac: dma_addr of fresh pages");
		for (int64_t i = 0; i < n; i++) {
			slot_pa[p[i].slot] = pa[i];
			stale_hi[p[i].slot] = 0; /* kan_alloc zeroed it */
			if (vnet_rx_post(&vn, k, pa[i] + RX_OFF, HK_PKT_SIZE - RX_OFF, p[i].slot))
				hk_fail("netmac: rx post");
		}
	}
	vnet_rx_kick(&vn, k);
}

static void rx_fill(void)
{
	for (unsigned k = 0; k < vn.pairs; k++)
		rx_fill_pair(k);
}

/* Return finished transmissions' pages to the pool (through q.free). */
static void tx_reap(void)
{
	uint32_t cookie;
	int r;
	for (unsigned k = 0; k < vn.pairs; k++)
		while (q.nfree < 4 * BATCH && nspare < 2 * QSIZE &&
		       (r = vnet_tx_reap(&vn, k, &cookie)) != 0) {
			if (r < 0)
				continue; /* counted in the queue's errors; nothing to free */
			give_back((struct hk_pkt){.slot = (uint16_t)cookie}, stale_lo[cookie],
			          stale_hi[cookie]);
			rt.c.tx_done++;
		}
}

static unsigned tx_pairs; /* pairs given frames since their last kick */

/* The transmit pair for frame p (Ethernet header at p.off): by the IPv6
 * destination's last byte, so one destination's frames stay in order. */
static unsigned tx_pair(struct hk_pkt p)
{
	const uint8_t *f = hk_pkt_data(p);
	return vn.pairs > 1 ? f[NET_ETH_HDR + 39] % vn.pairs : 0;
}

/* Transmit q.tx: virtio header in the headroom, DMA addresses in one call per batch. */
static void tx_flush(void)
{
	uint64_t pa[BATCH];
	for (unsigned at = 0; at < q.ntx; at += BATCH) {
		unsigned n = q.ntx - at < BATCH ? q.ntx - at : BATCH;
		struct hk_pkt *p = q.tx + at;
		if (hk_dma_addr(grant, p, n, pa))
			hk_fail("netmac: dma_addr of outgoing pages");
		for (unsigned i = 0; i < n; i++) {
			slot_pa[p[i].slot] = pa[i];
			stale_lo[p[i].slot] = (uint16_t)(p[i].off - VNET_HDR_LEN);
			stale_hi[p[i].slot] = (uint16_t)(p[i].off + p[i].len);
			vnet_tx_hdr((uint8_t *)hk_pkt_data(p[i]) - VNET_HDR_LEN);
			unsigned k = tx_pair(p[i]);
			if (vnet_tx(&vn, k, pa[i] + p[i].off - VNET_HDR_LEN, p[i].len, p[i].slot)) {
				tx_full++;
				rt.c.drops[NET_DROP_TX_FULL]++;
				give_back(p[i], stale_lo[p[i].slot], stale_hi[p[i].slot]);
				continue;
			}
			rt.c.tx_frames++;
			tx_pairs |= 1u << k;
		}
	}
	q.ntx = 0;
	for (unsigned k = 0; k < vn.pairs; k++)
		if (tx_pairs & (1u << k))
			vnet_tx_kick(&vn, k);
	tx_pairs = 0;
}

/* --- routing ----------------------------------------------------------------------------- */

/* A page for lending: a spare with its stale bytes zeroed, else a fresh one; 0 if none. */
static int lend_page(struct hk_pkt *p)
{
	if (nspare) {
		*p = spare[--nspare];
		memset((uint8_t *)hk_pkt_page(*p) + stale_lo[p->slot], 0,
		       (size_t)(stale_hi[p->slot] - stale_lo[p->slot]));
		return 1;
	}
	int64_t d = hk_kan_alloc1();
	if (d < 0)
		return 0;
	*p = hk_pkt_unpack((uint64_t)d);
	return 1;
}

/* A TX page request (NET_TXPAGE_PORT) in req: answer with up to n pages, each
 * an empty UDP datagram to the asker; then the request's page is freed. */
static void lend(struct hk_pkt req)
{
	const uint8_t *ip = hk_pkt_data(req);
	struct hk_addr to = *kan_hdr_src(ip);
	uint16_t sport = kan_get16(ip + HK_IPV6_HDR);
	unsigned n = req.len > KAN_UDP_OFF ? ip[KAN_UDP_OFF] : 1;
	n = n < 1 ? 1 : n > NET_TXPAGE_MAX ? NET_TXPAGE_MAX : n;
	q.free[q.nfree++] = req;
	for (unsigned i = 0; i < n && q.nkan < 2 * BATCH; i++) {
		struct hk_pkt p;
		if (!lend_page(&p)) {
			rt.c.drops[NET_DROP_NO_BUFFER]++;
			return;
		}
		p.off = HK_PKT_HEADROOM;
		p.len = (uint16_t)kan_udp_build(hk_pkt_data(p), HK_PKT_SIZE - p.off, &rt.kan_addr, &to,
		                                NET_TXPAGE_PORT, sport, 0);
		q.kan[q.nkan++] = p;
		rt.c.lent++;
	}
}

static void dispatch(enum rtr_verdict v, struct hk_pkt p)
{
	switch (v) {
	case V_KAN: q.kan[q.nkan++] = p; return;
	case V_VIA: q.via[q.nvia++] = p; return;
	case V_WIRE: q.tx[q.ntx++] = p; return;
	case V_HOLD: return;
	case V_LEND: lend(p); return;
	case V_MGMT: /* answered (the page goes back on the KAN) or freed, now */
		slot_pa[p.slot] = 0;
		hk_mgmt_serve(&p, router_mgmt, &rt);
		return;
	case V_DROP: /* what it held: at most a frame at RX_OFF, or what the router moved */
		give_back(p, p.off < RX_OFF ? p.off : RX_OFF,
		          p.off + p.len > RX_MAX_END ? p.off + p.len : RX_MAX_END);
		return;
	}
}

/* Harvest up to one batch of received frames from pair k; 1 if its ring may hold more. */
static int rx_poll_pair(unsigned k)
{
	uint32_t cookie, len;
	unsigned got = 0;
	while (got < BATCH && q.nkan < BATCH && q.ntx < 2 * BATCH && q.nfree < 2 * BATCH) {
		int r = vnet_rx(&vn, k, &cookie, &len);
		if (r == 0)
			return 0;
		if (r < 0) {
			rx_bad++;
			if (r == -HK_EBADPKT) /* the device misreported it: the page is ours again */
				give_back((struct hk_pkt){.slot = (uint16_t)cookie}, RX_OFF, HK_PKT_SIZE);
			continue;
		}
		unsigned end = RX_OFF + VNET_HDR_LEN + len;
		if (stale_hi[cookie] > end) /* an earlier packet's bytes past this frame */
			memset((uint8_t *)hk_pkt_page((struct hk_pkt){.slot = (uint16_t)cookie}) + end, 0,
			       stale_hi[cookie] - end);
		stale_hi[cookie] = 0;
		struct hk_pkt p = {.slot = (uint16_t)cookie, .off = RX_OFF + VNET_HDR_LEN,
		                   .len = (uint16_t)len};
		dispatch(router_from_wire(&rt, &p), p);
		rx_frames[k]++;
		got++;
	}
	return 1;
}

/* One batch from every pair; 1 if any may hold more. */
static int rx_poll(void)
{
	int more = 0;
	rx_polls++;
	for (unsigned k = 0; k < vn.pairs; k++)
		more |= rx_poll_pair(k);
	return more;
}

/* Send n packets on the KAN; one it refuses is freed (counted). */
static void kan_out(struct hk_pkt *p, unsigned n, unsigned flags)
{
	for (unsigned i = 0; i < n; i++)
		slot_pa[p[i].slot] = 0; /* it leaves us: the slot will name another page */
	rt.c.drops[NET_DROP_KAN_REFUSED] += hk_kan_send_all(p, n, flags);
}

/* Neighbour solicitations (and once a second, retries and an advertisement). */
static void tick(int second)
{
	struct hk_pkt pg[4];
	if (!second && !rt.ns_due)
		return; /* the common case: no page allocated */
	int64_t n = hk_kan_alloc(pg, second && rt.ra ? 4 : 3);
	if (n <= 0)
		return;
	unsigned used = router_tick(&rt, second, pg, (unsigned)n - (second && rt.ra), q.free,
	                            &q.nfree);
	for (unsigned i = 0; i < used; i++)
		q.tx[q.ntx++] = pg[i];
	if (second && rt.ra && used < (unsigned)n && router_ra(&rt, &pg[used], NULL))
		q.tx[q.ntx++] = pg[used++];
	for (unsigned i = used; i < (unsigned)n; i++)
		q.free[q.nfree++] = pg[i];
}

/* What the kernel said on the control endpoint: an interrupt (1) or the timer (2). */
static int notice(struct hk_pkt p)
{
	struct kan_udp u;
	const uint8_t *ip = hk_pkt_data(p);
	if (kan_udp_parse(ip, p.len, &u) || !kan_addr_eq(kan_hdr_src(ip), &hk_kan()->kernel))
		return 0;
	return u.sport == KAN_PORT_IRQ ? 1 : u.sport == KAN_PORT_TIMER ? 2 : 0;
}

static void flush(void)
{
	struct hk_pkt p;
	while (router_released(&rt, &p))
		q.tx[q.ntx++] = p;
	if (q.nkan)
		kan_out(q.kan, q.nkan, 0);
	if (q.nvia)
		kan_out(q.via, q.nvia, HK_SEND_VIA);
	q.nkan = q.nvia = 0;
	if (q.ntx)
		tx_flush();
	tx_reap();
	if (q.nfree)
		hk_kan_free(q.free, q.nfree);
	q.nfree = 0;
	rx_fill();
}

/* The router's and the device's counters, for the management service. */
static void publish(void)
{
	const struct {
		const char *name;
		const uint64_t *v;
	} c[] = {{"rx_frames", &rt.c.rx_frames}, {"tx_frames", &rt.c.tx_frames},
	         {"tx_done", &rt.c.tx_done},     {"to_kan", &rt.c.to_kan},
	         {"to_wire", &rt.c.to_wire},     {"from_kan", &rt.c.from_kan},
	         {"ndp_in", &rt.c.ndp_in},       {"ndp_out", &rt.c.ndp_out},
	         {"pings", &rt.c.pings},         {"errors_sent", &rt.c.errors_sent},
	         {"stats", &rt.c.stats},         {"ra_sent", &rt.c.ra_sent},
	         {"lent", &rt.c.lent},           {"taken", &rt.c.taken},
	         {"dev.rx_bad", &rx_bad},        {"dev.tx_full", &tx_full},
	         {"dev.rx_polls", &rx_polls},    {"dev.irqs", &irqs}};
	int rc = 0;
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		rc |= hk_ctr_publish(c[i].name, c[i].v);
	for (unsigned i = 0; i < NET_DROP_COUNT; i++)
		rc |= hk_ctr_publish(net_drop_counter(i), &rt.c.drops[i]);
	if (rc)
		hk_fail("netmac: publishing counters");
}

int main(int argc, char **argv)
{
	device_up();
	struct net_mac mac;
	memcpy(mac.b, vn.mac, 6);
	rt.mtu = vn.mtu;
	rt.more_stats = dev_stats;
	if (router_init(&rt, &mac, argc, argv))
		return 2;
	publish();
	int64_t ctl = hk_kan_bind(1, CTL_DEPTH);
	if (ctl < 0 || hk_irq_bind(grant, (unsigned)ctl) ||
	    hk_timer_arm((unsigned)ctl, 0, TICK_US, TICK_US))
		hk_fail("netmac: control endpoint, interrupt or timer: %s", hk_strerror((int)ctl));
	/* QEMU's virtio-mmio line is edge-triggered: one raised during setup (the
	 * control queue's answer, with more than one queue pair), before the line
	 * was routed, left the status set and would never raise another edge. */
	vnet_irq_ack(&vn.bus);
	rx_fill();
	char a[48], k[48];
	hk_addr_str(&rt.link, a, sizeof(a));
	hk_addr_str(&rt.kan_addr, k, sizeof(k));
	printf("netmac: routing: link %s/%u, KAN %s, mtu %u%s\n", a, rt.link_len, k, rt.mtu,
	       rt.ra ? ", advertising the KAN prefix" : "");
	uint32_t eps[2] = {hk_kan()->ep, (uint32_t)ctl};
	struct hk_pkt in[BATCH];
	for (;;) {
		int64_t n = hk_kan_recv(eps, 2, in, BATCH, HK_TIMEOUT_FOREVER);
		if (n == -HK_ENOBUFS) { /* our window is full: give pages back, then take more */
			rt.c.drops[NET_DROP_NO_BUFFER]++;
			flush();
			continue;
		}
		if (n < 0) {
			printf("netmac: kan_recv: %s\n", hk_strerror((int)n));
			return n == -HK_ESRCH ? 0 : 1;
		}
		int irq = 0, second = 0;
		for (int64_t i = 0; i < n; i++) {
			if (in[i].ep == (uint16_t)ctl) {
				int what = notice(in[i]);
				irq |= what == 1;
				irqs += what == 1;
				second |= what == 2;
				q.free[q.nfree++] = in[i];
				continue;
			}
			dispatch(router_from_kan(&rt, &in[i]), in[i]);
		}
		if (irq)
			vnet_irq_ack(&vn.bus);
		while (rx_poll())
			flush();
		tick(second);
		flush();
		if (irq)
			hk_irq_ack(grant);
	}
}
