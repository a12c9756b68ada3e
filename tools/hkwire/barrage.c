// SPDX-License-Identifier: BSD-2-Clause
/*
 * barrage: malformed frames by class, each class aimed at exactly one of
 * the node's drop reasons (net/drop.h). Every frame is otherwise valid,
 * so the reason it is counted under is the class's and no earlier check
 * fires (the order is net_frame_check's, then net_icmp6_check's, then
 * net_ndp_parse's); sizes and bytes vary frame by frame, derived from the
 * seed, so a run is repeatable. Each frame is judged with the node's own
 * checks before it goes out (--check: only judged, nothing sent).
 */
#include "hkwire.h"

#include <kan/ipv6.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_ID    0x6877u
#define RUNT_BELOW (NET_ETH_HDR + HK_IPV6_HDR) /* a runt is shorter than this */
#define OVER_SPAN  1024u                       /* oversize frames spread over this many lengths */
#define ND_FIXED   24u                         /* NS/NA: type, code, checksum, 4, target */

struct barrage {
	const struct hw_opts *o;
	size_t min_frame, max_frame;
	size_t max_ip; /* largest IPv6 packet the node accepts: its MTU, within the transport */
	uint64_t rng;
	struct hw_pace pace;
	uint8_t f[HW_FRAME_MAX];
};

static uint64_t rnd(struct barrage *b, uint64_t n) { return hw_rand(&b->rng) % n; }
static uint8_t *ip_of(struct barrage *b) { return b->f + NET_ETH_HDR; }

static void eth_to(struct barrage *b, const struct net_mac *dst)
{
	net_eth_write(b->f, dst, &b->o->mac, NET_ETHERTYPE_IPV6);
}

/* Make frame i's IPv6 header its own: the flow label is i (mod 2^20), the
 * traffic class random. Neither is checked by the node nor covered by a
 * checksum; the version nibble stays. */
static void tag_ip(struct barrage *b, uint8_t *ip, unsigned long i)
{
	uint8_t tc = (uint8_t)rnd(b, 256);
	ip[0] = (uint8_t)((ip[0] & 0xf0) | tc >> 4);
	ip[1] = (uint8_t)(tc << 4 | (i >> 16 & 15));
	kan_put16(ip + 2, (uint16_t)i);
}

/* A valid echo request from src to --dst with `data` bytes of data, hop
 * limit hlim, in a frame to the node: the frame's length. */
static size_t echo_from(struct barrage *b, unsigned long i, const struct hk_addr *src, size_t data,
                        uint8_t hlim)
{
	uint8_t *body = ip_of(b) + HK_IPV6_HDR + 4;
	kan_put16(body, ECHO_ID);
	kan_put16(body + 2, (uint16_t)i);
	hw_fill(body + 4, data, b->o->seed, i);
	eth_to(b, &b->o->node_mac);
	size_t len = hw_icmp6_finish(ip_of(b), src, &b->o->dst, hlim, NET_ICMP6_ECHO_REQUEST, 0,
	                             4 + data);
	tag_ip(b, ip_of(b), i);
	return NET_ETH_HDR + len;
}

/* Data bytes for an echo request: anything from 0 to what the MTU allows. */
static size_t echo_data(struct barrage *b)
{
	return (size_t)rnd(b, b->max_ip - HK_IPV6_HDR - 8 + 1);
}

static size_t good(struct barrage *b, unsigned long i)
{
	return echo_from(b, i, &b->o->src, echo_data(b), 64);
}

/* ---- one generator per class: frame i into b->f, its length ---- */

/* The start of a good frame; each length comes round every `span` frames,
 * so the round number goes in the last bytes (up to 4) to keep frames of
 * one length apart. A runt of 6 bytes or less is all counter: it has no
 * whole destination MAC to aim at the node anyway. */
static size_t gen_runt(struct barrage *b, unsigned long i)
{
	size_t span = RUNT_BELOW - b->min_frame, len = b->min_frame + i % span;
	unsigned long round = i / span;
	good(b, i);
	size_t from = len > 6 ? (len - 6 > 4 ? len - 4 : 6) : 0;
	for (size_t k = len; k > from; k--, round >>= 8)
		b->f[k - 1] = (uint8_t)round;
	return len;
}

static size_t gen_oversize(struct barrage *b, unsigned long i)
{
	size_t first = NET_ETH_HDR + b->o->mtu + 1;
	size_t span = b->max_frame - first + 1 < OVER_SPAN ? b->max_frame - first + 1 : OVER_SPAN;
	size_t len = first + (size_t)rnd(b, span);
	return echo_from(b, i, &b->o->src, len - NET_ETH_HDR - HK_IPV6_HDR - 8, 64);
}

/* Not IPv6: IPv4, ARP, an 802.1Q tag in front of IPv6, anything else. */
static size_t gen_ethertype(struct barrage *b, unsigned long i)
{
	size_t len = echo_from(b, i, &b->o->src, echo_data(b) / 2, 64);
	uint8_t *p = ip_of(b);
	uint16_t type;
	switch (i % 4) {
	case 0:
		type = 0x0800;
		p[0] = 0x45; /* an IPv4 header's first byte */
		break;
	case 1:
		type = 0x0806;
		memcpy(p, "\0\1\x08\0\6\4\0\1", 8); /* ARP request, Ethernet/IPv4 */
		break;
	case 2:
		type = 0x8100; /* the tag (VLAN id 1..4094), then the IPv6 EtherType */
		memmove(p + 2, p - 2, len - 12);
		kan_put16(p, (uint16_t)(1 + i % 4094));
		len += 4;
		break;
	default:
		do
			type = (uint16_t)rnd(b, 0x10000);
		while (type == NET_ETHERTYPE_IPV6);
	}
	kan_put16(b->f + 12, type);
	return len;
}

static size_t gen_not_us(struct barrage *b, unsigned long i)
{
	size_t len = good(b, i);
	do {
		for (int k = 0; k < 6; k++)
			b->f[k] = (uint8_t)rnd(b, 256);
		b->f[0] &= 0xfe; /* unicast */
	} while (!memcmp(b->f, b->o->node_mac.b, 6));
	return len;
}

static size_t gen_ip_version(struct barrage *b, unsigned long i)
{
	static const uint8_t v[] = {4, 0, 15, 1, 2, 3, 5, 7, 8, 9, 10, 11, 12, 13, 14};
	size_t len = good(b, i);
	ip_of(b)[0] = (uint8_t)(v[i % sizeof(v)] << 4 | (ip_of(b)[0] & 15));
	return len;
}

/* Payload length beyond the frame: by one, by a random amount, 0xffff. */
static size_t gen_ip_length(struct barrage *b, unsigned long i)
{
	size_t len = good(b, i);
	size_t have = len - NET_ETH_HDR - HK_IPV6_HDR;
	size_t claim = i % 3 == 0 ? have + 1 : i % 3 == 1 ? 0xffff : have + 1 + rnd(b, 0xffff - have);
	kan_put16(ip_of(b) + 4, (uint16_t)claim);
	return len;
}

static size_t gen_ip_src(struct barrage *b, unsigned long i)
{
	struct hk_addr src;
	for (int k = 0; k < 16; k++)
		src.b[k] = (uint8_t)rnd(b, 256);
	src.b[0] = 0xff;
	return echo_from(b, i, &src, echo_data(b), 64);
}

static size_t gen_hop_limit(struct barrage *b, unsigned long i)
{
	return echo_from(b, i, &b->o->src, echo_data(b), 0);
}

/* ---- extension headers ---- */

/* An extension header of type nh at p whose stated length is `units` (its
 * length field) and whose next header is next; zero (Pad1) contents. */
static void ext_put(uint8_t *p, uint8_t next, uint8_t units)
{
	p[0] = next;
	p[1] = units;
}

/* n valid 8-byte destination options headers at ip + 40, then the echo
 * request (8 bytes) as the upper layer: the IPv6 packet's length. */
static size_t ext_chain(struct barrage *b, unsigned n, unsigned long i)
{
	uint8_t *ip = ip_of(b);
	memset(ip + HK_IPV6_HDR, 0, 8 * n);
	for (unsigned k = 0; k < n; k++)
		ext_put(ip + HK_IPV6_HDR + 8 * k, k + 1 < n ? KAN_NH_DSTOPTS : KAN_PROTO_ICMPV6, 0);
	uint8_t *icmp = ip + HK_IPV6_HDR + 8 * n;
	memset(icmp, 0, 8);
	icmp[0] = NET_ICMP6_ECHO_REQUEST;
	kan_put16(icmp + 4, ECHO_ID);
	kan_put16(icmp + 6, (uint16_t)i);
	size_t plen = 8 * n + 8;
	kan_ip6_hdr_write(ip, (uint16_t)plen, n ? KAN_NH_DSTOPTS : KAN_PROTO_ICMPV6, &b->o->src,
	                  &b->o->dst);
	kan_put16(icmp + 2, kan_l4_checksum(&b->o->src, &b->o->dst, KAN_PROTO_ICMPV6, icmp, 8));
	tag_ip(b, ip, i);
	return HK_IPV6_HDR + plen;
}

/* The last header of a chain of `valid` good ones is one of type nh that
 * runs past the packet: its length says more than the `have` bytes left
 * (for the fixed 8-byte fragment header: fewer than 8 left). */
static size_t ext_cut(struct barrage *b, unsigned long i, unsigned valid, uint8_t nh)
{
	uint8_t *ip = ip_of(b);
	ext_chain(b, valid, i);
	size_t at = HK_IPV6_HDR + 8 * valid, have;
	uint8_t units = (uint8_t)(1 + rnd(b, 255));
	size_t need = nh == KAN_NH_AH ? ((size_t)units + 2) * 4 : ((size_t)units + 1) * 8;
	size_t upto = b->max_ip - at + 1 < need ? b->max_ip - at + 1 : need; /* within the MTU */
	if (nh == KAN_NH_FRAGMENT || rnd(b, 4) == 0)
		have = (size_t)rnd(b, 8); /* not even the 8 bytes every header has */
	else
		have = 8 + (size_t)rnd(b, upto - 8);
	memset(ip + at, 0, have);
	if (have >= 2)
		ext_put(ip + at, KAN_PROTO_ICMPV6, nh == KAN_NH_FRAGMENT ? 0 : units);
	if (valid)
		ip[at - 8] = nh; /* the previous header names it */
	else
		ip[6] = nh;
	kan_put16(ip + 4, (uint16_t)(at + have - HK_IPV6_HDR));
	return at + have;
}

static size_t gen_ext_truncated(struct barrage *b, unsigned long i)
{
	static const uint8_t cut[] = {KAN_NH_HOPOPT, KAN_NH_ROUTING, KAN_NH_DSTOPTS, KAN_NH_FRAGMENT,
	                              KAN_NH_AH};
	size_t ip_len;
	eth_to(b, &b->o->node_mac);
	if (i % 6 == 5) /* 9 to 16 headers, each fine: more than the node walks */
		ip_len = ext_chain(b, KAN_EXT_MAX + 1 + (unsigned)rnd(b, 8), i);
	else
		ip_len = ext_cut(b, i, (unsigned)rnd(b, KAN_EXT_MAX), cut[i % 6]);
	return NET_ETH_HDR + ip_len;
}

/* ---- ICMPv6 and NDP to the router itself ---- */

static size_t gen_icmp_csum(struct barrage *b, unsigned long i)
{
	size_t len = good(b, i);
	uint8_t *icmp = ip_of(b) + HK_IPV6_HDR;
	if (i % 2 && len > NET_ETH_HDR + HK_IPV6_HDR + 8) { /* a data byte changed */
		icmp[8 + rnd(b, len - NET_ETH_HDR - HK_IPV6_HDR - 8)] ^= (uint8_t)(1 + rnd(b, 255));
		return len;
	}
	uint16_t ok = kan_get16(icmp + 2), bad;
	do /* 0 and 0xffff are the same one's-complement number */
		bad = (uint16_t)(ok ^ (1 + rnd(b, 0xffff)));
	while ((uint16_t)(bad + 1) <= 1 && (uint16_t)(ok + 1) <= 1);
	kan_put16(icmp + 2, bad);
	return len;
}

/* ICMPv6 of `bytes` bytes (type, code, checksum when they fit): < 4 bytes
 * at all, an echo request under 8, a solicitation under 24. */
static size_t gen_icmp_length(struct barrage *b, unsigned long i)
{
	uint8_t *ip = ip_of(b);
	size_t bytes;
	uint8_t type = NET_ICMP6_ECHO_REQUEST, hlim = 64;
	eth_to(b, &b->o->node_mac);
	if (i % 3 == 0) {
		bytes = i / 3 % 4;
	} else if (i % 3 == 1) {
		bytes = 4 + i / 3 % 4;
	} else {
		bytes = 4 + i / 3 % 20;
		type = NET_ICMP6_NS;
		hlim = 255;
	}
	hw_fill(ip + HK_IPV6_HDR, bytes, b->o->seed, i);
	size_t len = HK_IPV6_HDR + bytes;
	if (bytes < 4)
		kan_ip6_hdr_write(ip, (uint16_t)bytes, KAN_PROTO_ICMPV6, &b->o->src, &b->o->dst);
	else
		hw_icmp6_finish(ip, &b->o->src, &b->o->dst, hlim, type, 0, bytes - 4);
	tag_ip(b, ip, i);
	return NET_ETH_HDR + len;
}

/* An NS for --dst from src to dst with the options in opt[0..olen): the
 * frame's length. The body after the fixed part is the options. */
static size_t ns_build(struct barrage *b, const struct hk_addr *src, const struct hk_addr *dst,
                       const struct hk_addr *target, uint8_t hlim, uint8_t code, size_t olen)
{
	uint8_t *body = ip_of(b) + HK_IPV6_HDR + 4;
	memset(body, 0, 4);
	memcpy(body + 4, target->b, 16);
	return NET_ETH_HDR + hw_icmp6_finish(ip_of(b), src, dst, hlim, NET_ICMP6_NS, code,
	                                     ND_FIXED - 4 + olen);
}

/* Options area of an NS: a source link-layer option (ours). */
static size_t opt_slla(struct barrage *b)
{
	uint8_t *o = ip_of(b) + HK_IPV6_HDR + ND_FIXED;
	o[0] = 1;
	o[1] = 1;
	memcpy(o + 2, b->o->mac.b, 6);
	return 8;
}

/* One RFC 4861 7.1.1 rule broken per frame, all else a valid NS for --dst. */
static size_t ndp_invalid(struct barrage *b, unsigned long i)
{
	const struct hk_addr *src = &b->o->src, *dst = &b->o->dst, *target = &b->o->dst;
	static const struct hk_addr unspec;
	struct hk_addr group, mtarget = {{0xff, 0x02, [15] = 1}};
	uint8_t *opt = ip_of(b) + HK_IPV6_HDR + ND_FIXED;
	size_t olen = opt_slla(b);
	net_solicited_node(dst, &group);
	eth_to(b, &b->o->node_mac);
	switch (i % 6) {
	case 0: /* hop limit not 255 */
		return ns_build(b, src, dst, target, (uint8_t)(254 - rnd(b, 254)), 0, olen);
	case 1: /* code not 0 */
		return ns_build(b, src, dst, target, 255, (uint8_t)(1 + rnd(b, 255)), olen);
	case 2: /* an option of length 0, after a good one or alone */
		olen = i % 12 < 6 ? olen : 0;
		memset(opt + olen, 0, 8);
		opt[olen] = (uint8_t)(1 + rnd(b, 255));
		return ns_build(b, src, dst, target, 255, 0, olen + 8);
	case 3: /* the option runs past the message */
		opt[1] = (uint8_t)(2 + rnd(b, 254));
		return ns_build(b, src, dst, target, 255, 0, olen);
	case 4: /* a multicast target */
		mtarget.b[1] = (uint8_t)rnd(b, 16);
		return ns_build(b, src, dst, &mtarget, 255, 0, olen);
	default: /* from :: to a unicast address (not a solicited-node group) */
		return ns_build(b, &unspec, dst, target, 255, 0, 0);
	}
}

static size_t gen_ndp_invalid(struct barrage *b, unsigned long i)
{
	size_t len = ndp_invalid(b, i);
	tag_ip(b, ip_of(b), i);
	return len;
}

struct bclass {
	const char *name;
	enum net_drop reason;
	size_t (*gen)(struct barrage *, unsigned long);
	const char *what;
};

static const struct bclass classes[] = {
	{"runt", NET_DROP_RUNT, gen_runt, "frames shorter than 54 bytes (a tap carries >= 14)"},
	{"oversize", NET_DROP_OVERSIZE, gen_oversize, "longer than 14 + --mtu (up to 1 KiB more)"},
	{"ethertype", NET_DROP_ETHERTYPE, gen_ethertype, "IPv4, ARP, 802.1Q-tagged IPv6, random"},
	{"not-us", NET_DROP_NOT_US, gen_not_us, "unicast to another MAC"},
	{"ip-version", NET_DROP_IP_VERSION, gen_ip_version, "IPv6 EtherType, version 4, 0, 15, ..."},
	{"ip-length", NET_DROP_IP_LENGTH, gen_ip_length, "payload length beyond the frame"},
	{"ip-src", NET_DROP_IP_SRC, gen_ip_src, "multicast source address"},
	{"ext-truncated", NET_DROP_EXT_TRUNC, gen_ext_truncated,
	 "hop-by-hop/routing/dest-options/fragment/AH past the end; 9-16 headers"},
	{"hop-limit", NET_DROP_HOP_LIMIT, gen_hop_limit, "hop limit 0"},
	{"icmp-csum", NET_DROP_ICMP_CHECKSUM, gen_icmp_csum, "echo request with a wrong checksum"},
	{"icmp-length", NET_DROP_ICMP_LENGTH, gen_icmp_length,
	 "ICMPv6 under 4 bytes, echo under 8, NS under 24"},
	{"ndp-invalid", NET_DROP_NDP_INVALID, gen_ndp_invalid,
	 "NS: hop limit < 255, code != 0, option length 0 or too long, multicast target, :: source"},
};
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

void barrage_list(void)
{
	for (size_t c = 0; c < N_CLASSES; c++)
		printf("%-14s %-14s %s\n", classes[c].name, net_drop_name(classes[c].reason),
		       classes[c].what);
}

int barrage_class_known(const char *name)
{
	for (size_t c = 0; c < N_CLASSES; c++)
		if (!strcmp(classes[c].name, name))
			return 1;
	return 0;
}

static int selected(const struct hw_opts *o, const char *name)
{
	if (!o->n_classes)
		return 1;
	for (unsigned k = 0; k < o->n_classes; k++)
		if (!strcmp(o->classes[k], name))
			return 1;
	return 0;
}

/* A class the transport cannot carry is refused before anything is sent. */
static int feasible(const struct barrage *b, const struct bclass *c)
{
	if (c->gen == gen_runt && b->min_frame >= RUNT_BELOW)
		return 0;
	if (c->gen == gen_oversize && b->max_frame < NET_ETH_HDR + b->o->mtu + 1) {
		fprintf(stderr, "hkwire: oversize frames need a transport carrying %u bytes (a tap: "
		        "raise its MTU above %u)\n", b->o->mtu + NET_ETH_HDR + 1, b->o->mtu);
		return 0;
	}
	return 1;
}

/*
 * --check also proves the frames of a class all differ: a set of 64-bit
 * FNV-1a hashes of (length, bytes), open addressing. Up to 2^20 frames a
 * class (a larger --count is judged but not compared).
 */
#define SEEN_MAX (1ul << 20)
struct seen {
	uint64_t *h;
	size_t mask;
	unsigned long dups;
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n;
	for (size_t k = 0; k < n; k++)
		h = (h ^ p[k]) * 0x100000001b3ull;
	return h | 1; /* 0 marks a free slot */
}

static void seen_add(struct seen *s, const uint8_t *f, size_t len)
{
	if (!s->h)
		return;
	uint64_t h = fnv(f, len);
	size_t k = h & s->mask;
	while (s->h[k] && s->h[k] != h)
		k = (k + 1) & s->mask;
	s->dups += s->h[k] == h;
	s->h[k] = h;
}

/* Judge count frames of class c with the node's checks (a generator that
 * drifted from them is an error, never sent) and send them when l: the
 * frames done, -1 for a frame judged otherwise, -2 when sending failed. */
static long run_class(struct barrage *b, struct hw_link *l, const struct bclass *c,
                      struct seen *seen)
{
	unsigned long i = 0;
	for (; i < b->o->count && !hw_stop; i++) {
		if (l)
			hw_pace(&b->pace, b->o->rate);
		size_t len = c->gen(b, i);
		seen_add(seen, b->f, len);
		struct hw_rx rx;
		int v = hw_node_judge(b->f, len, b->o->mtu, &b->o->node_mac, &b->o->dst, &rx);
		if (v != (int)c->reason) {
			fprintf(stderr, "hkwire: %s frame %lu (%zu bytes): the node's checks say %s\n",
			        c->name, i, len, v == NET_PASS ? "pass" : net_drop_name((unsigned)v));
			return -1;
		}
		if (l && link_send(l, b->f, len) < 0)
			return -2;
	}
	return (long)i;
}

int cmd_barrage(struct hw_link *l, const struct hw_opts *o)
{
	static struct barrage b;
	memset(&b, 0, sizeof(b));
	b.o = o;
	b.rng = o->seed;
	b.min_frame = l ? l->min_frame : 1;
	b.max_frame = l ? l->max_frame : HW_FRAME_MAX;
	b.max_ip = o->mtu < b.max_frame - NET_ETH_HDR ? o->mtu : b.max_frame - NET_ETH_HDR;
	for (size_t c = 0; c < N_CLASSES; c++)
		if (selected(o, classes[c].name) && !feasible(&b, &classes[c]))
			return HW_EXIT_ERROR;
	unsigned long dups = 0;
	for (size_t c = 0; c < N_CLASSES; c++) {
		if (!selected(o, classes[c].name))
			continue;
		struct seen seen = {0};
		if (!l && o->count <= SEEN_MAX) {
			for (seen.mask = 1; seen.mask < 2 * o->count; seen.mask <<= 1)
				;
			seen.h = calloc(seen.mask--, sizeof(*seen.h));
			if (!seen.h) {
				fprintf(stderr, "hkwire: out of memory\n");
				return HW_EXIT_ERROR;
			}
		}
		long n = run_class(&b, l, &classes[c], &seen);
		free(seen.h);
		if (n < 0)
			return n == -1 ? HW_EXIT_FAIL : HW_EXIT_ERROR;
		if (l) {
			printf("sent %s %ld %s\n", classes[c].name, n, net_drop_name(classes[c].reason));
		} else {
			printf("checked %s %ld %s duplicates ", classes[c].name, n,
			       net_drop_name(classes[c].reason));
			printf(seen.mask ? "%lu\n" : "unchecked\n", seen.dups);
			dups += seen.dups;
		}
		fflush(stdout);
	}
	if (dups)
		return HW_EXIT_FAIL;
	return hw_stop ? HW_EXIT_ERROR : HW_EXIT_OK;
}
