// SPDX-License-Identifier: BSD-2-Clause
/*
 * fake-node: a stand-in for the node's router on the other end of a
 * transport, so hkwire and the test harness can be exercised before (and
 * without) a node. It judges every frame with the node's own checks
 * (hw_node_judge) and counts drops under the same reasons, answers
 * solicitations for its address (as a router), answers echo requests to
 * its address and to every address of --prefix, and echoes UDP sent to
 * the prefix. It resolves each neighbour with a solicitation of its own
 * (up to 16 frames wait meanwhile), so the host side's answers are
 * exercised too. Not a model of the node's performance or of its routing.
 */
#include "hkwire.h"

#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <net/ndp.h>
#include <stdio.h>
#include <string.h>

#define NEIGHBOURS 8u
#define PENDING    16u                 /* frames that wait for one neighbour's resolution */
#define RESOLICIT  (200 * 1000 * 1000ull) /* solicit again for a new frame after 200 ms */

struct neigh {
	struct hk_addr addr;
	struct net_mac mac;
};

struct fake {
	struct hw_link *l;
	const struct hw_opts *o;
	struct neigh n[NEIGHBOURS];
	unsigned n_used, next;
	struct hk_addr waiting; /* the neighbour pending[] waits for */
	unsigned n_pending;     /* frames waiting for it */
	uint64_t ns_sent_at;    /* when it was last solicited */
	unsigned long frames, ns_answered, echoes, udp, sent, spoiled;
	unsigned long drops[NET_DROP_COUNT];
	size_t pending_len[PENDING];
	uint8_t pending[PENDING][HW_FRAME_MAX];
	uint8_t rx[HW_FRAME_MAX], tx[HW_FRAME_MAX];
};

static const struct net_mac *lookup(const struct fake *f, const struct hk_addr *a)
{
	for (unsigned i = 0; i < f->n_used; i++)
		if (kan_addr_eq(&f->n[i].addr, a))
			return &f->n[i].mac;
	return NULL;
}

/* Record a's MAC, replacing its old entry or else the oldest one. */
static void learn(struct fake *f, const struct hk_addr *a, const struct net_mac *mac)
{
	struct neigh *e = NULL;
	for (unsigned i = 0; i < f->n_used && !e; i++)
		if (kan_addr_eq(&f->n[i].addr, a))
			e = &f->n[i];
	if (!e)
		e = f->n_used < NEIGHBOURS ? &f->n[f->n_used++] : &f->n[f->next++ % NEIGHBOURS];
	e->addr = *a;
	e->mac = *mac;
}

static void solicit(struct fake *f, const struct hk_addr *to)
{
	struct hk_addr group;
	struct net_mac gmac;
	net_solicited_node(to, &group);
	net_mac_of_mcast(&group, &gmac);
	size_t n = net_ndp_build_ns(f->tx + NET_ETH_HDR, sizeof(f->tx) - NET_ETH_HDR, &f->o->addr, to,
	                            &f->o->mac);
	net_eth_write(f->tx, &gmac, &f->o->mac, NET_ETHERTYPE_IPV6);
	(void)link_send(f->l, f->tx, NET_ETH_HDR + n);
	f->ns_sent_at = hw_now_ns();
}

/* Send the frame at fr (its Ethernet destination still to be written) to
 * neighbour `to`: now if known, else queued behind a solicitation (one
 * neighbour at a time, PENDING frames; beyond that, no-neighbor). */
static void send_to(struct fake *f, uint8_t *fr, size_t len, const struct hk_addr *to)
{
	const struct net_mac *mac = lookup(f, to);
	if (mac) {
		net_eth_write(fr, mac, &f->o->mac, NET_ETHERTYPE_IPV6);
		f->sent += link_send(f->l, fr, len) == 0;
		return;
	}
	if (f->n_pending && !kan_addr_eq(&f->waiting, to)) {
		f->drops[NET_DROP_NO_NEIGHBOR]++;
		return;
	}
	if (f->n_pending < PENDING) {
		memcpy(f->pending[f->n_pending], fr, len);
		f->pending_len[f->n_pending++] = len;
	} else {
		f->drops[NET_DROP_NO_NEIGHBOR]++;
	}
	f->waiting = *to;
	if (f->n_pending == 1 || hw_now_ns() - f->ns_sent_at > RESOLICIT)
		solicit(f, to);
}

/* The neighbour the queue waits for is known now: send what waits. */
static void flush(struct fake *f)
{
	unsigned n = f->n_pending;
	f->n_pending = 0;
	for (unsigned i = 0; i < n; i++)
		send_to(f, f->pending[i], f->pending_len[i], &f->waiting);
}

static void on_ndp(struct fake *f, const struct hw_rx *rx)
{
	struct net_ndp nd;
	if (net_ndp_parse(rx->ip, &rx->info, &nd) != NET_PASS)
		return; /* hw_node_judge passed it: cannot happen */
	if (nd.type == NET_ICMP6_NA && nd.has_lla) {
		learn(f, &nd.target, &nd.lla);
		if (f->n_pending && kan_addr_eq(&nd.target, &f->waiting))
			flush(f);
		return;
	}
	if (nd.type != NET_ICMP6_NS || !kan_addr_eq(&nd.target, &f->o->addr) ||
	    kan_addr_is_unspecified(kan_hdr_src(rx->ip)))
		return; /* not ours to answer (duplicate address detection is not answered) */
	struct hk_addr to = *kan_hdr_src(rx->ip);
	size_t n = net_ndp_build_na(f->tx + NET_ETH_HDR, sizeof(f->tx) - NET_ETH_HDR, &f->o->addr, &to,
	                            &f->o->addr, &f->o->mac,
	                            NET_NA_ROUTER | NET_NA_SOLICITED | NET_NA_OVERRIDE);
	net_eth_write(f->tx, nd.has_lla ? &nd.lla : &rx->src_mac, &f->o->mac, NET_ETHERTYPE_IPV6);
	f->ns_answered += link_send(f->l, f->tx, NET_ETH_HDR + n) == 0;
}

/* --corrupt: 1 when this echo (echoes + udp so far) is one to spoil. */
static int spoil_now(struct fake *f)
{
	unsigned k = f->o->corrupt;
	if (!k || (f->echoes + f->udp) % k != k - 1)
		return 0;
	f->spoiled++;
	return 1;
}

/* An echo request to us or the prefix: answered in place, from the
 * address it was sent to. */
static void on_echo(struct fake *f, struct hw_rx *rx)
{
	uint8_t *ip = f->rx + NET_ETH_HDR;
	struct hk_addr from = *kan_hdr_dst(ip), to = *kan_hdr_src(ip);
	int v = net_icmp6_check(ip, &rx->info);
	if (v != NET_PASS) {
		f->drops[v]++;
		return;
	}
	size_t off = net_icmp6_echo_reply(ip, &rx->info, &from);
	uint8_t *icmp = ip + off + HK_IPV6_HDR;
	if (rx->info.l4_len > 8 && spoil_now(f)) { /* a data byte, the checksum made right again */
		icmp[8] ^= 0x5a;
		kan_put16(icmp + 2, 0);
		kan_put16(icmp + 2, kan_l4_checksum(&from, &to, KAN_PROTO_ICMPV6, icmp, rx->info.l4_len));
	}
	f->echoes++;
	send_to(f, ip + off - NET_ETH_HDR, NET_ETH_HDR + HK_IPV6_HDR + rx->info.l4_len, &to);
}

static void on_udp(struct fake *f, struct hw_rx *rx)
{
	uint8_t *ip = f->rx + NET_ETH_HDR;
	struct kan_udp d;
	if (kan_udp_parse(ip, rx->len, &d) < 0) {
		f->drops[NET_DROP_UDP_BAD]++;
		return;
	}
	struct hk_addr to = *kan_hdr_src(ip);
	if (d.len && spoil_now(f))
		ip[KAN_UDP_OFF + d.len - 1] ^= 0x5a; /* before the checksum is computed */
	size_t n = kan_udp_build(ip, sizeof(f->rx) - NET_ETH_HDR, kan_hdr_dst(ip), kan_hdr_src(ip),
	                         d.dport, d.sport, d.len);
	f->udp++;
	send_to(f, f->rx, NET_ETH_HDR + n, &to);
}

static void on_frame(struct fake *f, size_t len)
{
	struct hw_rx rx;
	int v = hw_node_judge(f->rx, len, f->o->mtu, &f->o->mac, &f->o->addr, &rx);
	f->frames++;
	if (v != NET_PASS) {
		f->drops[v]++;
		return;
	}
	const struct hk_addr *dst = kan_hdr_dst(rx.ip);
	uint8_t type = rx.info.proto == KAN_PROTO_ICMPV6 ? rx.ip[rx.info.l4_off] : 0;
	int mine = kan_addr_eq(dst, &f->o->addr) || kan_addr_in_prefix(dst, &f->o->prefix);
	if (type >= NET_ICMP6_RS && type <= NET_ICMP6_NA)
		on_ndp(f, &rx);
	else if (mine && type == NET_ICMP6_ECHO_REQUEST)
		on_echo(f, &rx);
	else if (mine && rx.info.proto == KAN_PROTO_UDP && kan_addr_in_prefix(dst, &f->o->prefix))
		on_udp(f, &rx);
	else
		f->drops[mine || kan_addr_is_multicast(dst) ? NET_DROP_UNHANDLED : NET_DROP_NO_ROUTE]++;
}

static void report(const struct fake *f)
{
	printf("fake-node frames %lu ns-answered %lu echoes %lu udp %lu sent %lu spoiled %lu\n",
	       f->frames, f->ns_answered, f->echoes, f->udp, f->sent, f->spoiled);
	for (unsigned r = 0; r < NET_DROP_COUNT; r++)
		if (f->drops[r])
			printf("drop %s %lu\n", net_drop_name(r), f->drops[r]);
}

int cmd_fake_node(struct hw_link *l, const struct hw_opts *o)
{
	static struct fake f;
	memset(&f, 0, sizeof(f));
	f.l = l;
	f.o = o;
	uint64_t end = hw_deadline(o->seconds * 1000u);
	fprintf(stderr, "hkwire: fake-node ready\n"); /* tests wait for this line */
	for (;;) {
		long n = link_recv(l, f.rx, sizeof(f.rx), end);
		if (n < 0)
			return HW_EXIT_ERROR;
		if (n == 0)
			break;
		on_frame(&f, (size_t)n);
	}
	report(&f);
	return HW_EXIT_OK;
}
