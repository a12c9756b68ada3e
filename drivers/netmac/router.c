// SPDX-License-Identifier: BSD-2-Clause
/*
 * The router of the MAC driver process (contracts in netmac.h): per packet,
 * where it goes; and the packets the router answers itself. No system
 * calls here except reading the manifest at setup; the caller moves pages.
 */
#include "netmac.h"

#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/icmp.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <net/ip6.h>
#include <net/ndp.h>
#include <net/stats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ICMP_TIME_EXCEEDED 3u
#define ICMP_TOO_BIG       2u

static const struct hk_addr all_nodes = {{0xff, 0x02, [15] = 1}};

/* --- setup ------------------------------------------------------------------------- */

static int add_route(struct router *r, const struct hk_addr *p, unsigned len, uint32_t v)
{
	struct hk_addr net = *p;
	net_lpm_mask(&net, len);
	int rc = net_lpm_insert(&r->rt, &net, len, v, NULL);
	r->rt_gen++; /* forget the cached routes */
	if (rc == NET_LPM_ADDED)
		r->builtin[r->nbuiltin++] = (struct net_lpm_route){net, len, v};
	for (unsigned i = 0; rc == NET_LPM_REPLACED && i < r->nbuiltin; i++)
		if (r->builtin[i].len == len && kan_addr_eq(&r->builtin[i].prefix, &net))
			r->builtin[i].value = v;
	if (rc < 0) {
		char a[48];
		hk_addr_str(&net, a, sizeof(a));
		printf("netmac: route %s/%u: %s\n", a, len, hk_strerror(rc));
	}
	return rc < 0 ? -1 : 0;
}

/* "ADDR/LEN" where ADDR may have host bits (an interface address). */
static int parse_if_addr(const char *s, struct hk_addr *a, unsigned *len)
{
	const char *slash = strchr(s, '/');
	char *end;
	if (!slash || kan_addr_parse(s, (size_t)(slash - s), a))
		return -1;
	unsigned long v = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || v > 128)
		return -1;
	*len = (unsigned)v;
	return 0;
}

/* "P/LEN@GW": traffic for P/LEN goes to the wire via gateway GW. */
static int parse_route(struct router *r, const char *s)
{
	const char *at = strchr(s, '@');
	struct hk_addr net, gw;
	unsigned len;
	if (!at || kan_net_parse(s, (size_t)(at - s), &net, &len) ||
	    kan_addr_parse(at + 1, strlen(at + 1), &gw) || r->ngw == GW_MAX)
		return -1;
	r->gw[r->ngw] = gw;
	return add_route(r, &net, len, rt_value(RT_GW, r->ngw++));
}

/* "udp:PORT@NAME" or "tcp:PORT@NAME": that flow to the KAN enters at process NAME. */
static int parse_steer(struct router *r, const char *s)
{
	char *end;
	struct hk_proc_info pi;
	uint8_t proto = !strncmp(s, "udp:", 4) ? 17 : !strncmp(s, "tcp:", 4) ? 6 : 0;
	unsigned long port = proto ? strtoul(s + 4, &end, 10) : 0;
	if (!proto || !port || port > 65535 || *end != '@' || r->nflows == FLOWS_MAX)
		return -1;
	for (unsigned i = 0; hk_proc_info(i, &pi) == 0; i++)
		if (!strcmp(pi.name, end + 1)) {
			r->flow[r->nflows++] = (struct flow){proto, (uint16_t)port, hk_via(i, 0)};
			return 0;
		}
	return -1;
}

/* The next hop a steer= rule gives this packet from the wire, or -1. */
static int steered(const struct router *r, const uint8_t *ip, const struct net_ip6_info *in)
{
	if ((in->proto != 17 && in->proto != 6) || in->l4_len < 4 ||
	    !kan_addr_in_prefix(kan_hdr_dst(ip), &r->prefix))
		return -1;
	uint16_t port = kan_get16(ip + in->l4_off + 2);
	for (unsigned i = 0; i < r->nflows; i++)
		if (r->flow[i].proto == in->proto && r->flow[i].port == port)
			return r->flow[i].via;
	return -1;
}

static int parse_arg(struct router *r, const char *a)
{
	char *end;
	if (!strncmp(a, "link=", 5))
		return parse_if_addr(a + 5, &r->link, &r->link_len);
	if (!strncmp(a, "route=", 6))
		return parse_route(r, a + 6);
	if (!strcmp(a, "ra"))
		return r->ra = 1, 0;
	if (!strncmp(a, "steer=", 6))
		return parse_steer(r, a + 6);
	if (!strncmp(a, "mtu=", 4)) {
		unsigned long v = strtoul(a + 4, &end, 10);
		if (!a[4] || *end || v < 1280 || v > r->mtu)
			return -1;
		r->mtu = (unsigned)v;
		return 0;
	}
	return -1;
}

/* Wire traffic for a pipeline's address (its last stage's) enters at its first stage. */
static int pipeline_routes(struct router *r)
{
	struct hk_proc_info pi;
	for (unsigned i = 0; hk_proc_info(i, &pi) == 0; i++) {
		struct hk_addr a;
		if (pi.pipe_first < 0 || pi.pipe_next >= 0 || hk_kan_addr_of(pi.name, 0, &a))
			continue;
		if (add_route(r, &a, 128, rt_value(RT_VIA, hk_via((unsigned)pi.pipe_first, 0))))
			return -1;
		char t[48];
		hk_addr_str(&a, t, sizeof(t));
		printf("netmac: pipeline %s: %s/128 enters at entry %d\n", pi.pipe, t, pi.pipe_first);
	}
	return 0;
}

int router_init(struct router *r, const struct net_mac *mac, int argc, char **argv)
{
	static const struct hk_addr def_link = {
	    {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0xff, [15] = 2}};
	r->mac = *mac;
	net_ll_from_mac(mac, &r->ll);
	r->link = def_link;
	r->link_len = 64;
	r->kan_addr = hk_kan()->addr;
	r->prefix = hk_kan()->prefix;
	r->rt_gen = 1; /* the zeroed caches are not valid */
	if (net_lpm_init(&r->rt, r->rt_mem, sizeof(r->rt_mem), ROUTES_MAX))
		return -1;
	for (int i = 1; i < argc; i++)
		if (parse_arg(r, argv[i])) {
			printf("netmac: bad argument '%s' (link=ADDR/LEN, route=P/LEN@GW, ra, "
			       "mtu=1280..%u, steer=udp|tcp:PORT@PROCESS)\n", argv[i], r->mtu);
			return -1;
		}
	if (add_route(r, &r->link, r->link_len, rt_value(RT_WIRE, 0)) ||
	    add_route(r, &r->prefix, 64, rt_value(RT_KAN, 0)) || pipeline_routes(r))
		return -1;
	struct hk_proc_info pi;
	for (unsigned i = 0; hk_proc_info(i, &pi) == 0; i++)
		if (pi.flags & HK_PI_MGMT) {
			r->mgmt = kan_addr_make(&r->prefix, hk_kan_iid(i, 0));
			r->has_mgmt = 1;
		}
	return 0;
}

/* The route of dst through cache c: 1 with *v, or 0 when no route covers it. */
static int lookup(struct router *r, struct rt_cache *c, const struct hk_addr *dst, uint32_t *v)
{
	if (c->gen == r->rt_gen && kan_addr_eq(&c->dst, dst)) {
		*v = c->v;
		return c->found;
	}
	int found = net_lpm_lookup(&r->rt, dst, v) >= 0;
	*c = (struct rt_cache){*dst, found ? *v : 0, r->rt_gen, found};
	return found;
}

/* --- neighbours ---------------------------------------------------------------------- */

static struct nbr *nbr_find(struct router *r, const struct hk_addr *ip)
{
	for (unsigned i = 0; i < NBR_MAX; i++)
		if (r->nbr[i].state != NBR_FREE && kan_addr_eq(&r->nbr[i].ip, ip))
			return &r->nbr[i];
	return NULL;
}

/* A free entry, or a reachable one nothing waits on (the first found). */
static struct nbr *nbr_new(struct router *r, const struct hk_addr *ip)
{
	struct nbr *victim = NULL;
	for (unsigned i = 0; i < NBR_MAX && (!victim || victim->state != NBR_FREE); i++)
		if (r->nbr[i].state == NBR_FREE || (!victim && r->nbr[i].state == NBR_REACHABLE))
			victim = &r->nbr[i];
	if (victim) {
		*victim = (struct nbr){.ip = *ip, .state = NBR_INCOMPLETE};
		r->ns_due++;
	}
	return victim;
}

/* Write the Ethernet header in front of the IPv6 packet at p->off. */
static void eth_push(const struct router *r, struct hk_pkt *p, const struct net_mac *dst)
{
	p->off = (uint16_t)(p->off - NET_ETH_HDR);
	p->len = (uint16_t)(p->len + NET_ETH_HDR);
	net_eth_write(hk_pkt_data(*p), dst, &r->mac, NET_ETHERTYPE_IPV6);
}

/* ip is at mac: remember it, and release what waited for it. */
static void nbr_learn(struct router *r, const struct hk_addr *ip, const struct net_mac *mac,
                      int create)
{
	struct nbr *n = nbr_find(r, ip);
	if (!n && (!create || !(n = nbr_new(r, ip))))
		return;
	n->mac = *mac;
	n->state = NBR_REACHABLE;
	n->tries = 0;
	if (n->has_pending) {
		n->has_pending = 0;
		eth_push(r, &n->pending, mac);
		r->released[r->nreleased++] = n->pending;
	}
}

int router_released(struct router *r, struct hk_pkt *p)
{
	if (!r->nreleased)
		return 0;
	*p = r->released[--r->nreleased];
	return 1;
}

/* Count p dropped for why. */
static enum rtr_verdict drop(struct router *r, unsigned why)
{
	r->c.drops[why < NET_DROP_COUNT ? why : NET_DROP_UNHANDLED]++;
	return V_DROP;
}

/* p (IPv6 at p->off) to the wire, to next hop nh on the link. */
static enum rtr_verdict to_wire(struct router *r, struct hk_pkt *p, const struct hk_addr *nh)
{
	struct nbr *n = nbr_find(r, nh);
	if (p->len > r->mtu)
		return drop(r, NET_DROP_TOO_BIG);
	if (n && n->state == NBR_REACHABLE) {
		eth_push(r, p, &n->mac);
		r->c.to_wire++;
		return V_WIRE;
	}
	if (n ? n->has_pending : !(n = nbr_new(r, nh)))
		return drop(r, NET_DROP_NO_NEIGHBOR); /* one packet waits per neighbour */
	n->pending = *p;
	n->has_pending = 1;
	return V_HOLD;
}

/* A packet the router made (a reply or an error): send it toward its destination. */
static enum rtr_verdict out(struct router *r, struct hk_pkt *p)
{
	const struct hk_addr *dst = kan_hdr_dst(hk_pkt_data(*p));
	uint32_t v;
	if (net_lpm_lookup(&r->rt, dst, &v) < 0)
		return drop(r, NET_DROP_NO_ROUTE);
	switch ((enum rt_kind)(v >> 24)) {
	case RT_KAN:
	case RT_VIA: r->c.to_kan++; return V_KAN;
	case RT_WIRE: return to_wire(r, p, dst);
	case RT_GW: return to_wire(r, p, &r->gw[v & 0xffffff]);
	case RT_DROP: break;
	}
	return drop(r, NET_DROP_NO_ROUTE);
}

/* The packet at p becomes an ICMPv6 error from `from` about itself, sent back. */
static enum rtr_verdict error(struct router *r, struct hk_pkt *p, const struct hk_addr *from,
                              uint8_t type, uint8_t code, uint32_t param, unsigned why)
{
	r->c.drops[why]++;
	if (kan_icmp6_error(hk_pkt_page(*p), HK_PKT_SIZE, &p->off, &p->len, from, type, code,
	                    param))
		return V_DROP; /* an error about an error, or to nobody: just dropped */
	r->c.errors_sent++;
	return out(r, p);
}

/* --- what is addressed to the router -------------------------------------------------- */

static int is_ours(const struct router *r, const struct hk_addr *a)
{
	return kan_addr_eq(a, &r->link) || kan_addr_eq(a, &r->ll) || kan_addr_eq(a, &r->kan_addr);
}

/* An address the router answers neighbour solicitations for: its own and the KAN's. */
static int serves(const struct router *r, const struct hk_addr *a)
{
	return is_ours(r, a) || kan_addr_in_prefix(a, &r->prefix);
}

static enum rtr_verdict ndp(struct router *r, struct hk_pkt *p, const struct net_ip6_info *in,
                            const struct net_mac *from)
{
	uint8_t *ip = hk_pkt_data(*p);
	struct net_ndp m;
	int bad = net_ndp_parse(ip, in, &m);
	if (bad != NET_PASS)
		return drop(r, (unsigned)bad);
	r->c.ndp_in++;
	struct hk_addr src = *kan_hdr_src(ip);
	int unspec = kan_addr_is_unspecified(&src);
	if (m.has_lla && !unspec && m.type != NET_ICMP6_NA)
		nbr_learn(r, &src, &m.lla, m.type == NET_ICMP6_NS);
	if (m.type == NET_ICMP6_NA && m.has_lla)
		nbr_learn(r, &m.target, &m.lla, 0);
	size_t cap = HK_PKT_SIZE - p->off;
	size_t n = 0;
	const struct hk_addr *to = unspec ? &all_nodes : &src;
	if (m.type == NET_ICMP6_NS && serves(r, &m.target)) {
		uint8_t fl = NET_NA_ROUTER | (unspec ? 0 : NET_NA_SOLICITED) |
		             (is_ours(r, &m.target) ? NET_NA_OVERRIDE : 0); /* proxies do not override */
		const struct hk_addr *as = is_ours(r, &m.target) ? &m.target : &r->link;
		n = net_ndp_build_na(ip, cap, as, to, &m.target, &r->mac, fl);
	} else if (m.type == NET_ICMP6_RS && r->ra) {
		/* to all nodes, as RFC 4861 6.2.6 allows, in a frame to the asker */
		return router_ra(r, p, from) ? V_WIRE : drop(r, NET_DROP_NO_BUFFER);
	}
	if (!n) { /* taken in (learned), nothing to answer: counted, not a drop */
		r->c.taken++;
		return V_DROP;
	}
	p->len = (uint16_t)n;
	r->c.ndp_out++;
	eth_push(r, p, from);
	r->c.to_wire++;
	return V_WIRE;
}

/* "procs": each running manifest entry's name, pages and cycles (make bench). */
static size_t proc_stats(char *buf, size_t cap)
{
	struct hk_proc_info pi;
	size_t n = 0;
	for (unsigned i = 0; n < cap && hk_proc_info(i, &pi) == 0; i++)
		if (pi.state == HK_PROC_RUNNING)
			n += (size_t)snprintf(buf + n, cap - n, "proc.%s.cycles %llu\n", pi.name,
			                      (unsigned long long)pi.cycles);
	return n < cap ? n : cap;
}

static enum rtr_verdict stats(struct router *r, struct hk_pkt *p, const uint8_t *udp)
{
	uint8_t *ip = hk_pkt_data(*p);
	uint16_t sport = kan_get16(udp);
	size_t cap = HK_PKT_SIZE - p->off - KAN_UDP_OFF;
	int procs = kan_get16(udp + 4) == KAN_UDP_HDR + 5 && !memcmp(udp + KAN_UDP_HDR, "procs", 5);
	r->c.stats++;
	cap = cap < NET_STATS_MAX ? cap : NET_STATS_MAX;
	size_t n = procs ? proc_stats((char *)ip + KAN_UDP_OFF, cap)
	                 : router_stats(r, (char *)ip + KAN_UDP_OFF, cap);
	p->len = (uint16_t)kan_udp_build(ip, HK_PKT_SIZE - p->off, kan_hdr_dst(ip), kan_hdr_src(ip),
	                                 NET_STATS_PORT, sport, n);
	return out(r, p);
}

/* A packet for the router itself (or NDP, which is never forwarded). */
static enum rtr_verdict local(struct router *r, struct hk_pkt *p, const struct net_ip6_info *in,
                              const struct net_mac *from)
{
	uint8_t *ip = hk_pkt_data(*p);
	uint8_t type = in->proto == 58 ? ip[in->l4_off] : 0;
	if (type >= NET_ICMP6_RS && type <= NET_ICMP6_NA) {
		if (!from)
			return drop(r, NET_DROP_UNHANDLED); /* NDP from the KAN side means nothing */
		return ndp(r, p, in, from);
	}
	if (kan_addr_is_multicast(kan_hdr_dst(ip)))
		return drop(r, NET_DROP_UNHANDLED); /* MLD and other groups: nothing to do */
	if (type == NET_ICMP6_ECHO_REQUEST) {
		int bad = net_icmp6_answer(ip, in, kan_hdr_dst(ip), &p->off, &p->len);
		if (bad != NET_PASS)
			return drop(r, (unsigned)bad);
		r->c.pings++;
		return out(r, p);
	}
	const uint8_t *udp = in->proto == 17 && in->l4_len >= KAN_UDP_HDR ? ip + in->l4_off : NULL;
	if (udp && in->l4_off == HK_IPV6_HDR && kan_get16(udp + 2) == NET_STATS_PORT)
		return stats(r, p, udp);
	if (udp && !from && in->l4_off == HK_IPV6_HDR && kan_get16(udp + 2) == MGMT_INNER_PORT &&
	    kan_addr_eq(kan_hdr_dst(ip), &r->kan_addr))
		return V_MGMT; /* the management protocol is served on the KAN side only */
	if (udp && !from && in->l4_off == HK_IPV6_HDR && kan_get16(udp + 2) == NET_TXPAGE_PORT &&
	    kan_addr_eq(kan_hdr_dst(ip), &r->kan_addr))
		return V_LEND; /* only KAN processes borrow, at our KAN address */
	return drop(r, NET_DROP_UNHANDLED);
}

static int is_ndp(const uint8_t *ip, const struct net_ip6_info *in)
{
	return in->proto == 58 && ip[in->l4_off] >= NET_ICMP6_RS && ip[in->l4_off] <= 137;
}

/* --- forwarding ------------------------------------------------------------------------- */

enum rtr_verdict router_from_wire(struct router *r, struct hk_pkt *p)
{
	struct net_ip6_info in;
	uint8_t *frame = hk_pkt_data(*p);
	r->c.rx_frames++;
	int bad = net_frame_check(frame, p->len, r->mtu, &r->mac, &in);
	if (bad != NET_PASS)
		return drop(r, (unsigned)bad);
	struct net_mac from;
	memcpy(from.b, frame + 6, 6);
	p->off = (uint16_t)(p->off + NET_ETH_HDR);
	uint8_t *ip = hk_pkt_data(*p);
	p->len = (uint16_t)net_ip6_len(ip);
	const struct hk_addr *dst = kan_hdr_dst(ip);
	if (is_ndp(ip, &in) || is_ours(r, dst) || kan_addr_is_multicast(dst))
		return local(r, p, &in, &from);
	if (in.hop_limit <= 1)
		return error(r, p, &r->link, ICMP_TIME_EXCEEDED, 0, 0, NET_DROP_HOP_LIMIT);
	uint32_t v;
	if (!lookup(r, &r->from_wire_c, dst, &v))
		return error(r, p, &r->link, KAN_ICMP_UNREACH, KAN_UNREACH_NO_ROUTE, 0,
		             NET_DROP_NO_ROUTE);
	ip[7]--;
	int via = r->nflows ? steered(r, ip, &in) : -1;
	if (via >= 0) {
		r->c.to_kan++;
		p->ep = (uint16_t)via;
		return V_VIA;
	}
	switch ((enum rt_kind)(v >> 24)) {
	case RT_KAN: r->c.to_kan++; return V_KAN;
	case RT_VIA: r->c.to_kan++; p->ep = (uint16_t)v; return V_VIA;
	case RT_WIRE: return to_wire(r, p, dst);
	case RT_GW: return to_wire(r, p, &r->gw[v & 0xffffff]);
	case RT_DROP: break;
	}
	return drop(r, NET_DROP_NO_ROUTE);
}

enum rtr_verdict router_from_kan(struct router *r, struct hk_pkt *p)
{
	struct net_ip6_info in;
	uint8_t *ip = hk_pkt_data(*p);
	r->c.from_kan++;
	int bad = net_ip6_check(ip, p->len, &in);
	if (bad != NET_PASS)
		return drop(r, (unsigned)bad);
	const struct hk_addr *dst = kan_hdr_dst(ip);
	if (is_ours(r, dst))
		return local(r, p, &in, NULL);
	if (in.hop_limit <= 1)
		return error(r, p, &r->kan_addr, ICMP_TIME_EXCEEDED, 0, 0, NET_DROP_HOP_LIMIT);
	if (p->len > r->mtu)
		return error(r, p, &r->kan_addr, ICMP_TOO_BIG, 0, r->mtu, NET_DROP_TOO_BIG);
	uint32_t v;
	int found = lookup(r, &r->from_kan_c, dst, &v);
	enum rt_kind k = found ? (enum rt_kind)(v >> 24) : RT_DROP;
	if (k != RT_WIRE && k != RT_GW)
		return error(r, p, &r->kan_addr, KAN_ICMP_UNREACH, KAN_UNREACH_NO_ROUTE, 0,
		             NET_DROP_NO_ROUTE);
	ip[7]--;
	return to_wire(r, p, k == RT_GW ? &r->gw[v & 0xffffff] : dst);
}

/* --- timers ------------------------------------------------------------------------------ */

unsigned router_tick(struct router *r, int second, struct hk_pkt *ns, unsigned n,
                     struct hk_pkt *dropped, unsigned *ndrop)
{
	unsigned used = 0;
	r->ns_due = 0;
	for (unsigned i = 0; i < NBR_MAX && used < n; i++) {
		struct nbr *e = &r->nbr[i];
		if (e->state != NBR_INCOMPLETE || (!second && e->tries))
			continue;
		if (e->tries >= NBR_RETRIES) {
			if (e->has_pending) {
				dropped[(*ndrop)++] = e->pending;
				r->c.drops[NET_DROP_NO_NEIGHBOR]++;
			}
			e->state = NBR_FREE;
			continue;
		}
		struct hk_pkt *p = &ns[used];
		const struct hk_addr *src = net_is_link_local(&e->ip) ? &r->ll : &r->link;
		p->off = HK_PKT_HEADROOM;
		p->len = (uint16_t)net_ndp_build_ns(hk_pkt_data(*p), HK_PKT_SIZE - p->off, src, &e->ip,
		                                    &r->mac);
		struct hk_addr group;
		struct net_mac gm;
		net_solicited_node(&e->ip, &group);
		net_mac_of_mcast(&group, &gm);
		eth_push(r, p, &gm);
		e->tries++;
		r->c.ndp_out++;
		used++;
	}
	return used;
}

int router_ra(struct router *r, struct hk_pkt *p, const struct net_mac *to)
{
	struct net_mac group;
	struct net_ra_cfg cfg = {.router_lifetime = 0, .mtu = r->mtu, .n_prefixes = 1};
	cfg.prefix[0] = (struct net_ra_prefix){.rio = 1, .len = 64, .valid = 1800,
	                                        .prefix = r->prefix};
	p->off = HK_PKT_HEADROOM;
	p->len = (uint16_t)net_ndp_build_ra(hk_pkt_data(*p), HK_PKT_SIZE - p->off, &r->ll, &all_nodes,
	                                    &r->mac, &cfg);
	if (!p->len)
		return 0;
	net_mac_of_mcast(&all_nodes, &group);
	eth_push(r, p, to ? to : &group);
	r->c.ra_sent++;
	return 1;
}

/* --- counters ---------------------------------------------------------------------------- */

size_t router_stats(const struct router *r, char *buf, size_t cap)
{
	const struct rtr_count *c = &r->c;
	size_t n = (size_t)snprintf(
	    buf, cap,
	    "stage netmac\nrx_frames %llu\ntx_frames %llu\ntx_done %llu\nto_kan %llu\nto_wire %llu\n"
	    "from_kan %llu\nndp_in %llu\nndp_out %llu\npings %llu\nerrors_sent %llu\nstats %llu\n"
	    "ra_sent %llu\nlent %llu\ntaken %llu\n",
	    (unsigned long long)c->rx_frames, (unsigned long long)c->tx_frames,
	    (unsigned long long)c->tx_done, (unsigned long long)c->to_kan,
	    (unsigned long long)c->to_wire, (unsigned long long)c->from_kan,
	    (unsigned long long)c->ndp_in, (unsigned long long)c->ndp_out,
	    (unsigned long long)c->pings, (unsigned long long)c->errors_sent,
	    (unsigned long long)c->stats, (unsigned long long)c->ra_sent,
	    (unsigned long long)c->lent, (unsigned long long)c->taken);
	if (n < cap)
		n += net_drops_format(buf + n, cap - n, c->drops);
	if (n < cap && r->more_stats)
		n += r->more_stats(buf + n, cap - n);
	return n < cap ? n : cap;
}

/* --- the routing table over the management protocol -------------------------------------- */

/* The built-in route of exactly net/len, or NULL. */
static const struct net_lpm_route *builtin_of(const struct router *r, const struct hk_addr *net,
                                              unsigned len)
{
	for (unsigned i = 0; i < r->nbuiltin; i++)
		if (r->builtin[i].len == len && kan_addr_eq(&r->builtin[i].prefix, net))
			return &r->builtin[i];
	return NULL;
}

/* A table entry as a protocol record. */
static void route_rec(const struct router *r, const struct net_lpm_route *e, struct mgmt_route *m)
{
	static const uint8_t kind[] = {[RT_KAN] = MGMT_RT_KAN, [RT_VIA] = MGMT_RT_WORKER,
	                               [RT_WIRE] = MGMT_RT_LINK, [RT_GW] = MGMT_RT_NEXTHOP,
	                               [RT_DROP] = MGMT_RT_DROP};
	const struct net_lpm_route *b = builtin_of(r, &e->prefix, e->len);
	unsigned k = e->value >> 24, arg = e->value & 0xffffff;
	struct hk_proc_info pi;
	memset(m, 0, sizeof(*m));
	m->prefix = e->prefix;
	m->len = (uint8_t)e->len;
	m->kind = k < sizeof(kind) ? kind[k] : MGMT_RT_DROP;
	m->flags = !b ? 0 : b->value == e->value ? MGMT_RTF_BUILTIN : MGMT_RTF_OVERRIDE;
	if (k == RT_VIA && hk_proc_info(arg >> 8, &pi) == 0)
		memcpy(m->target, pi.name, MGMT_NAME);
	if (k == RT_GW)
		m->nexthop = r->gw[arg];
}

static int list_routes(struct router *r, struct mgmt_w *w)
{
	struct net_lpm_route e;
	struct mgmt_route m;
	mgmt_put16(w, (uint16_t)net_lpm_count(&r->rt));
	mgmt_put16(w, 0);
	for (int rc = net_lpm_next(&r->rt, NULL, &e); rc == 0; rc = net_lpm_next(&r->rt, &e, &e)) {
		route_rec(r, &e, &m);
		mgmt_route_put(w, &m);
	}
	return MGMT_OK;
}

static int fail(char *detail, int status, const char *why)
{
	snprintf(detail, MGMT_DETAIL_MAX, "%s", why);
	return status;
}

/* The process a worker route enters at: *v, or a status. */
static int worker_value(const char *name, uint32_t *v, char *detail)
{
	struct hk_proc_info pi;
	for (unsigned i = 0; hk_proc_info(i, &pi) == 0; i++) {
		if (strncmp(pi.name, name, sizeof(pi.name)))
			continue;
		if (pi.supervisor || (pi.flags & HK_PI_UPLINK))
			return fail(detail, MGMT_E_INVAL, "the supervisor and the router take no traffic");
		*v = rt_value(RT_VIA, hk_via(i, 0));
		return MGMT_OK;
	}
	snprintf(detail, MGMT_DETAIL_MAX, "no process '%s' in the manifest", name);
	return MGMT_E_NOENT;
}

/* A gateway's slot (an existing one, or a new one): *v, or a status. */
static int nexthop_value(struct router *r, const struct hk_addr *gw, uint32_t *v, char *detail)
{
	struct hk_addr net = *gw;
	net_lpm_mask(&net, r->link_len);
	struct hk_addr link = r->link;
	net_lpm_mask(&link, r->link_len);
	if (!kan_addr_eq(&net, &link) || kan_addr_eq(gw, &r->link) || kan_addr_eq(gw, &link))
		return fail(detail, MGMT_E_INVAL, "the next hop must be another address on the link");
	unsigned i = 0;
	while (i < r->ngw && !kan_addr_eq(&r->gw[i], gw))
		i++;
	if (i == GW_MAX)
		return fail(detail, MGMT_E_NOSPACE, "no room for another gateway");
	r->gw[i] = *gw;
	r->ngw += i == r->ngw;
	*v = rt_value(RT_GW, i);
	return MGMT_OK;
}

/* What a request's route means as a table value: *v, or a status. */
static int route_value(struct router *r, const struct mgmt_route *m, uint32_t *v, char *detail)
{
	switch (m->kind) {
	case MGMT_RT_KAN: *v = rt_value(RT_KAN, 0); return MGMT_OK;
	case MGMT_RT_DROP: *v = rt_value(RT_DROP, 0); return MGMT_OK;
	case MGMT_RT_WORKER: return worker_value(m->target, v, detail);
	case MGMT_RT_NEXTHOP: return nexthop_value(r, &m->nexthop, v, detail);
	default: return fail(detail, MGMT_E_INVAL, "link routes come from the router's setup only");
	}
}

/* The link's and the KAN prefix's own routes carry management itself: never changed. */
static int protected(const struct router *r, const struct hk_addr *net, unsigned len)
{
	const struct net_lpm_route *b = builtin_of(r, net, len);
	return b && ((b->value >> 24) == RT_WIRE || (len == 64 && kan_addr_eq(net, &r->prefix)));
}

/* Host bits, and the protected routes: MGMT_OK or a status. */
static int check_prefix(const struct router *r, const struct hk_addr *net, unsigned len,
                        char *detail)
{
	struct hk_addr m = *net;
	net_lpm_mask(&m, len);
	if (!kan_addr_eq(&m, net)) {
		snprintf(detail, MGMT_DETAIL_MAX, "address bits set beyond the prefix length /%u", len);
		return MGMT_E_INVAL;
	}
	if (protected(r, net, len))
		return fail(detail, MGMT_E_PERM, "the link and KAN prefix routes cannot be changed");
	return MGMT_OK;
}

static int route_add(struct router *r, const struct mgmt_route *m, char *detail)
{
	uint32_t v;
	int st = check_prefix(r, &m->prefix, m->len, detail);
	if (st == MGMT_OK)
		st = route_value(r, m, &v, detail);
	if (st != MGMT_OK)
		return st;
	int rc = net_lpm_insert(&r->rt, &m->prefix, m->len, v, NULL);
	r->rt_gen++; /* the next packet looks the table up again */
	return rc == -HK_ETOOMANY ? fail(detail, MGMT_E_NOSPACE, "the routing table is full")
	       : rc < 0           ? fail(detail, MGMT_E_INVAL, "refused by the table")
	                          : MGMT_OK;
}

static int route_del(struct router *r, const struct mgmt_route *m, char *detail)
{
	uint32_t v;
	int st = check_prefix(r, &m->prefix, m->len, detail);
	if (st != MGMT_OK)
		return st;
	if (net_lpm_get(&r->rt, &m->prefix, m->len, &v))
		return fail(detail, MGMT_E_NOENT, "no route for exactly that prefix");
	const struct net_lpm_route *b = builtin_of(r, &m->prefix, m->len);
	if (b && b->value == v)
		return fail(detail, MGMT_E_PERM, "a built-in route: override it with route add");
	int rc = b ? net_lpm_insert(&r->rt, &m->prefix, m->len, b->value, NULL)
	           : net_lpm_delete(&r->rt, &m->prefix, m->len, NULL);
	r->rt_gen++;
	return rc < 0 ? fail(detail, MGMT_E_INTERNAL, "the table refused") : MGMT_OK;
}

/*
 * A pipeline changed (PIPE_SET, already applied to the manifest): forget the
 * built-in pipeline routes (the /128 worker routes setup derived; a route
 * added over one stays, as an ordinary route) and derive them again.
 */
static int pipes_reload(struct router *r, char *detail)
{
	for (unsigned i = 0; i < r->nbuiltin;) {
		struct net_lpm_route b = r->builtin[i];
		uint32_t v;
		if (b.len != 128 || (b.value >> 24) != RT_VIA) {
			i++;
			continue;
		}
		if (!net_lpm_get(&r->rt, &b.prefix, 128, &v) && v == b.value)
			net_lpm_delete(&r->rt, &b.prefix, 128, NULL);
		r->builtin[i] = r->builtin[--r->nbuiltin];
	}
	r->rt_gen++;
	return pipeline_routes(r) ? fail(detail, MGMT_E_INTERNAL, "re-deriving the pipeline routes")
	                          : MGMT_OK;
}

int router_mgmt(void *ctx, const struct mgmt_req *q, const struct hk_addr *src, struct mgmt_w *w,
                char *detail)
{
	struct router *r = ctx;
	if (q->h.op == MGMT_OP_ROUTES)
		return list_routes(r, w);
	if (q->h.op != MGMT_OP_ROUTE_ADD && q->h.op != MGMT_OP_ROUTE_DEL &&
	    q->h.op != MGMT_OP_PIPE_SET)
		return MGMT_E_OP;
	if (!r->has_mgmt || !kan_addr_eq(src, &r->mgmt))
		return fail(detail, MGMT_E_FORBIDDEN, "routes change only through the management service");
	if (q->h.op == MGMT_OP_PIPE_SET)
		return pipes_reload(r, detail);
	return q->h.op == MGMT_OP_ROUTE_ADD ? route_add(r, &q->u.route, detail)
	                                    : route_del(r, &q->u.route, detail);
}
