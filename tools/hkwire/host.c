// SPDX-License-Identifier: BSD-2-Clause
/*
 * Just enough of an IPv6 host for ping, udp and proxy: one global and one
 * link-local address, answers to Neighbour Solicitations for them, and the
 * router's MAC resolved by one. Everything we send goes to the router (the
 * node is the only router on the link); everything else on the link is
 * counted as foreign and ignored.
 */
#include "hkwire.h"

#include <kan/ipv6.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <net/ndp.h>
#include <stdio.h>
#include <string.h>

#define RESOLVE_TRIES 3

void host_init(struct hw_host *h, struct hw_link *l, const struct net_mac *mac,
               const struct hk_addr *addr, const struct hk_addr *router, unsigned timeout_ms)
{
	memset(h, 0, sizeof(*h));
	h->link = l;
	h->mac = *mac;
	h->addr = *addr;
	h->router = *router;
	h->timeout_ms = timeout_ms;
	net_ll_from_mac(mac, &h->ll);
}

static int is_ours(const struct hw_host *h, const struct hk_addr *a)
{
	return kan_addr_eq(a, &h->addr) || kan_addr_eq(a, &h->ll);
}

/* RFC 4861 section 7.2.4: solicited (unicast, S set) unless the solicitor
 * did duplicate address detection (source ::, answered to all nodes). */
static void answer_ns(struct hw_host *h, const struct hw_rx *rx, const struct net_ndp *ns)
{
	struct hk_addr dst = *kan_hdr_src(rx->ip);
	struct net_mac dmac = ns->has_lla ? ns->lla : rx->src_mac;
	uint8_t flags = NET_NA_OVERRIDE | NET_NA_SOLICITED;
	if (kan_addr_is_unspecified(&dst)) {
		static const struct hk_addr all_nodes = {{0xff, 2, [15] = 1}};
		dst = all_nodes;
		net_mac_of_mcast(&dst, &dmac);
		flags = NET_NA_OVERRIDE;
	}
	size_t n = net_ndp_build_na(h->tx + NET_ETH_HDR, sizeof(h->tx) - NET_ETH_HDR, &ns->target,
	                            &dst, &ns->target, &h->mac, flags);
	net_eth_write(h->tx, &dmac, &h->mac, NET_ETHERTYPE_IPV6);
	if (n && link_send(h->link, h->tx, NET_ETH_HDR + n) == 0)
		h->ns_answered++;
}

/* Solicitations for our addresses are answered, an advertisement for the
 * router recorded: 1 when rx was a valid NS or NA (consumed), else 0. */
static int handle_nd(struct hw_host *h, const struct hw_rx *rx, int *resolved)
{
	struct net_ndp nd;
	if (rx->info.proto != KAN_PROTO_ICMPV6 || net_ndp_parse(rx->ip, &rx->info, &nd) != NET_PASS)
		return 0;
	if (nd.type == NET_ICMP6_NS && is_ours(h, &nd.target))
		answer_ns(h, rx, &nd);
	if (nd.type == NET_ICMP6_NA && kan_addr_eq(&nd.target, &h->router)) {
		h->router_mac = nd.has_lla ? nd.lla : rx->src_mac;
		*resolved = 1;
	}
	return nd.type == NET_ICMP6_NS || nd.type == NET_ICMP6_NA;
}

/* One frame: 1 an IPv6 packet to us in *rx, 2 an NDP message handled,
 * 0 deadline, -1 link error. Frames the node would not accept either (to
 * other MACs, malformed) and packets to other addresses are skipped. */
static int host_next(struct hw_host *h, uint64_t deadline, struct hw_rx *rx, int *resolved)
{
	size_t mtu = h->link->max_frame - NET_ETH_HDR;
	for (;;) {
		long n = link_recv(h->link, h->rx, sizeof(h->rx), deadline);
		if (n <= 0)
			return (int)n;
		if (hw_frame_rx(h->rx, (size_t)n, mtu, &h->mac, rx) != NET_PASS) {
			h->foreign++;
			continue;
		}
		if (handle_nd(h, rx, resolved))
			return 2;
		if (is_ours(h, kan_hdr_dst(rx->ip)))
			return 1;
		h->foreign++;
	}
}

int host_resolve(struct hw_host *h)
{
	int resolved = 0;
	for (int t = 0; t < RESOLVE_TRIES && !resolved && !hw_stop; t++) {
		struct hk_addr group;
		struct net_mac gmac;
		net_solicited_node(&h->router, &group);
		net_mac_of_mcast(&group, &gmac);
		size_t n = net_ndp_build_ns(h->tx + NET_ETH_HDR, sizeof(h->tx) - NET_ETH_HDR, &h->addr,
		                            &h->router, &h->mac);
		net_eth_write(h->tx, &gmac, &h->mac, NET_ETHERTYPE_IPV6);
		if (link_send(h->link, h->tx, NET_ETH_HDR + n) < 0)
			return -1;
		uint64_t deadline = hw_deadline(h->timeout_ms);
		struct hw_rx rx;
		int r = 0;
		while (!resolved && (r = host_next(h, deadline, &rx, &resolved)) > 0)
			;
		if (!resolved && r < 0)
			return -1;
	}
	if (!resolved) {
		fprintf(stderr, "hkwire: router %s did not answer %d neighbour solicitations (%u ms each)\n",
		        hw_addr_str(&h->router), RESOLVE_TRIES, h->timeout_ms);
		return -1;
	}
	return 0;
}

int host_send(struct hw_host *h, size_t ip_len)
{
	net_eth_write(h->tx, &h->router_mac, &h->mac, NET_ETHERTYPE_IPV6);
	return link_send(h->link, h->tx, NET_ETH_HDR + ip_len);
}

int host_recv(struct hw_host *h, uint64_t deadline_ns, struct hw_rx *rx)
{
	int resolved = 0, r;
	while ((r = host_next(h, deadline_ns, rx, &resolved)) == 2)
		;
	return r;
}
