/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_NETMAC_H
#define HEKATE_NETMAC_H

/*
 * The MAC driver process (docs/netmac.md): it owns one virtio-net device
 * and is the node's router between the wire and the KAN. netmac.c drives
 * the device and the KAN (every system call is there); router.c decides,
 * per packet, where it goes, and builds the replies it sends itself (NDP,
 * echo replies, ICMPv6 errors, statistics).
 *
 * Pages: a frame from the wire lands at RX_OFF in a page the driver holds,
 * so the IPv6 header is at HK_PKT_HEADROOM and moving the offset by 14
 * strips the Ethernet header. Everything the router emits to the wire is a
 * page with the IPv6 packet at p.off and at least 26 bytes of headroom for
 * the Ethernet and virtio-net headers.
 */
#include <hekate/kan.h>
#include <net/drop.h>
#include <net/eth.h>
#include <net/lpm.h>
#include <net/mgmt.h>
#include <stdint.h>

#define RX_OFF (HK_PKT_HEADROOM - NET_ETH_HDR - 12) /* 12: struct virtio_net_hdr */

#define NBR_MAX    32  /* neighbour cache entries */
#define ROUTES_MAX 64
#define GW_MAX     8
#define FLOWS_MAX  8 /* steer= rules */
#define NBR_RETRIES 3  /* solicitations before a neighbour is given up */

/* What a route's value says (net_lpm value: kind << 24 | argument). */
enum rt_kind {
	RT_KAN = 1, /* deliver on the KAN by destination */
	RT_VIA,     /* on the KAN to next hop hk_via value (a pipeline's first stage) */
	RT_WIRE,    /* on-link: the destination is its own next hop */
	RT_GW,      /* on the wire via gateway gw[argument] */
	RT_DROP,    /* administratively dropped */
};
static inline uint32_t rt_value(enum rt_kind k, uint32_t arg) { return (uint32_t)k << 24 | arg; }

struct nbr {
	struct hk_addr ip;
	struct net_mac mac;
	uint8_t state;   /* NBR_FREE, NBR_INCOMPLETE, NBR_REACHABLE */
	uint8_t tries;   /* solicitations sent while incomplete */
	uint8_t has_pending;
	struct hk_pkt pending; /* one packet waiting for the address (RFC 4861 7.2.2) */
};
enum { NBR_FREE, NBR_INCOMPLETE, NBR_REACHABLE };

/* Router counters (stats reply); drops by enum net_drop. */
struct rtr_count {
	uint64_t rx_frames, tx_frames, to_kan, to_wire, from_kan, ndp_in, ndp_out, pings, errors_sent,
	    stats, ra_sent, tx_done, lent;
	uint64_t taken; /* NDP messages learned from with nothing to answer (not drops) */
	uint64_t drops[NET_DROP_COUNT];
};

struct router {
	struct net_mac mac;
	struct hk_addr ll;        /* fe80:: from the MAC */
	struct hk_addr link;      /* our address on the wire */
	unsigned link_len;        /* the on-link prefix length */
	struct hk_addr kan_addr;  /* our address on the KAN */
	struct hk_addr prefix;    /* the node's KAN /64 */
	unsigned mtu;
	int ra;                   /* send router advertisements for the KAN prefix */
	struct net_lpm rt;
	struct net_lpm_node rt_mem[2 * ROUTES_MAX];
	/* the routes setup made (link, KAN prefix, route=, pipelines): a route
	 * added over one of them is an override, and deleting it restores it */
	struct net_lpm_route builtin[ROUTES_MAX];
	unsigned nbuiltin;
	struct hk_addr mgmt;      /* the management service's primary address: the only writer */
	int has_mgmt;
	struct hk_addr gw[GW_MAX];
	unsigned ngw;
	/* steer=: wire traffic to the KAN prefix with this protocol and
	 * destination port goes first to next hop `via` (hk_via), before any route */
	struct flow { uint8_t proto; uint16_t port, via; } flow[FLOWS_MAX];
	unsigned nflows;
	/* The last destination looked up in each direction and its route: a
	 * flow's packets skip the table walk. Valid while gen == rt_gen. */
	struct rt_cache { struct hk_addr dst; uint32_t v, gen; int found; } from_wire_c, from_kan_c;
	uint32_t rt_gen; /* bumped by every change of the table */
	struct nbr nbr[NBR_MAX];
	struct hk_pkt released[NBR_MAX];
	unsigned nreleased;
	unsigned ns_due; /* entries created since the last router_tick: each wants an NS now */
	struct rtr_count c;
	size_t (*more_stats)(char *buf, size_t cap); /* the driver's own counters, appended */
};

/* What router_* decided for one packet. */
enum rtr_verdict {
	V_KAN,  /* send p on the KAN by destination */
	V_VIA,  /* send p on the KAN with HK_SEND_VIA (p->ep set) */
	V_WIRE, /* transmit p: the Ethernet header is written in front of p->off */
	V_HOLD, /* kept waiting for a neighbour (the router owns it now) */
	V_DROP, /* free p (counted) */
	V_LEND, /* p asks for TX pages (NET_TXPAGE_PORT): the driver answers, then frees p */
	V_MGMT, /* a management request (MGMT_INNER_PORT): hk_mgmt_serve with router_mgmt */
};

/*
 * Set r up from the manifest arguments (link=ADDR/LEN, route=P/LEN@GW, ra,
 * mtu=N, steer=udp|tcp:PORT@PROCESS) and the node's pipelines. 0, or -1 with a message printed.
 */
int router_init(struct router *r, const struct net_mac *mac, int argc, char **argv);

/* A frame at hk_pkt_page(*p) + p->off, p->len bytes, from the wire. */
enum rtr_verdict router_from_wire(struct router *r, struct hk_pkt *p);
/* A packet the KAN gave the uplink (an off-prefix destination). */
enum rtr_verdict router_from_kan(struct router *r, struct hk_pkt *p);

/*
 * Neighbour solicitations to send, one into each page of ns[0..n) (the IPv6
 * packet at p->off = HK_PKT_HEADROOM, Ethernet header pushed): with
 * second = 0 only for entries that never had one (called after every
 * batch); with second = 1 (once a second) for every incomplete entry, and
 * one asked NBR_RETRIES times is given up, its pending packet put in
 * drop[*ndrop] (counted as no-neighbor). Returns how many pages it used.
 */
unsigned router_tick(struct router *r, int second, struct hk_pkt *ns, unsigned n,
                     struct hk_pkt *drop, unsigned *ndrop);
/* A router advertisement into page p, to all nodes, in a frame to MAC `to`
 * (NULL: the all-nodes group's), Ethernet header pushed: 1 if built. */
int router_ra(struct router *r, struct hk_pkt *p, const struct net_mac *to);

/* A packet held for a neighbour whose address has since arrived, its
 * Ethernet header written: 1 with *p (transmit it), else 0. */
int router_released(struct router *r, struct hk_pkt *p);

/*
 * The routing table over the management protocol (docs/mgmt-protocol.md):
 * ROUTES from anyone on the KAN; ROUTE_ADD and ROUTE_DEL only from the
 * management service's address (MGMT_E_FORBIDDEN otherwise). A change is
 * in the table for the next packet (the route caches are invalidated).
 * Signature of hk_mgmt_fn; ctx is the struct router.
 */
int router_mgmt(void *ctx, const struct mgmt_req *q, const struct hk_addr *src, struct mgmt_w *w,
                char *detail);

/* Counters in text (stats reply), device counters appended by the caller. */
size_t router_stats(const struct router *r, char *buf, size_t cap);

#endif
