// SPDX-License-Identifier: BSD-2-Clause
/*
 * Geneve over IPv6/UDP (contracts in <net/geneve.h>). The outer IPv6 and
 * UDP headers are the KAN's UDP codec's (kan/udp.c: lengths and checksum
 * checked there, built there); this file adds the Geneve header, its
 * option walk and the flow hash for the source port.
 */
#include <hekate/errno.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <net/geneve.h>

#define GENEVE_O_BIT 0x80u /* byte 1 */
#define GENEVE_C_BIT 0x40u /* byte 1 */
#define OPT_CRITICAL 0x80u /* option byte 2, the type's high bit */

/* The options o[0..n) (n a multiple of 4) tile the area exactly and none
 * is critical. At most 63 steps: each consumes 4 bytes or more of 252. */
static int opts_ok(const uint8_t *o, size_t n)
{
	while (n) {
		if (n < 4)
			return 0;
		size_t olen = 4 + (size_t)(o[3] & 0x1f) * 4;
		if (olen > n || (o[2] & OPT_CRITICAL))
			return 0;
		o += olen;
		n -= olen;
	}
	return 1;
}

/* Check the Geneve header and options at g[0..n) and fill the Geneve
 * fields of *gv. NET_PASS or NET_DROP_GENEVE_BAD. */
static int geneve_parse(const uint8_t *g, size_t n, struct net_geneve *gv)
{
	if (n < NET_GENEVE_HDR || (g[0] >> 6) != 0 || (g[1] & GENEVE_C_BIT))
		return NET_DROP_GENEVE_BAD;
	size_t olen = (size_t)(g[0] & 0x3f) * 4;
	uint16_t proto = kan_get16(g + 2);
	if (olen >= n - NET_GENEVE_HDR) /* no room for options and a non-empty inner */
		return NET_DROP_GENEVE_BAD;
	if (proto != NET_GENEVE_PROTO_IP6 && proto != NET_GENEVE_PROTO_ETH)
		return NET_DROP_GENEVE_BAD;
	if (!opts_ok(g + NET_GENEVE_HDR, olen))
		return NET_DROP_GENEVE_BAD;
	gv->proto = proto;
	gv->vni = kan_get32(g + 4) >> 8;
	gv->oam = (g[1] & GENEVE_O_BIT) != 0;
	gv->opts = g + NET_GENEVE_HDR;
	gv->opts_len = (uint16_t)olen;
	gv->inner_len = (uint16_t)(n - NET_GENEVE_HDR - olen);
	return NET_PASS;
}

int net_geneve_decap(const uint8_t *ip, size_t len, struct net_geneve *out)
{
	struct kan_udp u;
	int rc = kan_udp_parse(ip, len, &u);
	if (rc == KAN_UDP_IPHDR)
		return len >= HK_IPV6_HDR && (ip[0] >> 4) != 6 ? NET_DROP_IP_VERSION
		                                               : NET_DROP_IP_LENGTH;
	if (rc != KAN_UDP_OK || u.dport != NET_GENEVE_PORT)
		return NET_DROP_UDP_BAD;
	struct net_geneve gv;
	rc = geneve_parse(u.payload, u.len, &gv);
	if (rc != NET_PASS)
		return rc;
	memcpy(gv.src.b, ip + 8, 16);
	memcpy(gv.dst.b, ip + 24, 16);
	gv.sport = u.sport;
	gv.inner_off = (uint16_t)(KAN_UDP_OFF + NET_GENEVE_HDR + gv.opts_len);
	*out = gv;
	return NET_PASS;
}

int net_geneve_encap(uint8_t *page, size_t page_size, uint16_t *off, uint16_t *len,
                     const struct hk_addr *src, const struct hk_addr *dst, uint32_t vni,
                     uint16_t proto, uint16_t sport)
{
	size_t o = *off, n = *len;
	if (n == 0 || o > page_size || n > page_size - o || vni > NET_GENEVE_VNI_MAX ||
	    (proto != NET_GENEVE_PROTO_IP6 && proto != NET_GENEVE_PROTO_ETH))
		return -HK_EINVAL;
	if (o < NET_GENEVE_HEADROOM)
		return -HK_ENOMEM;
	if (n > NET_GENEVE_INNER_MAX)
		return -HK_E2BIG;
	struct hk_addr s = *src, d = *dst; /* they may live in the headroom */
	uint8_t *g = page + o - NET_GENEVE_HDR;
	g[0] = 0; /* version 0, no options */
	g[1] = 0; /* O and C clear */
	kan_put16(g + 2, proto);
	kan_put32(g + 4, vni << 8); /* the low byte is reserved */
	uint8_t *ip = page + o - NET_GENEVE_HEADROOM;
	kan_udp_build(ip, NET_GENEVE_HEADROOM + n, &s, &d, sport, NET_GENEVE_PORT,
	              NET_GENEVE_HDR + n); /* cannot fail: the sizes are checked above */
	*off = (uint16_t)(o - NET_GENEVE_HEADROOM);
	*len = (uint16_t)(n + NET_GENEVE_HEADROOM);
	return 0;
}

/* ---- the source port's flow hash ---------------------------------------- */

#define ETH_HDR 14u

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

/* The flow of the IPv6 packet ip[0..n) (n >= 40): addresses, next header
 * and, for port-carrying transports, the ports. */
static uint64_t hash_ip6(const uint8_t *ip, size_t n)
{
	uint64_t h = 0;
	for (unsigned i = 8; i < HK_IPV6_HDR; i += 8)
		h = mix(h, kan_get64(ip + i));
	uint8_t nh = ip[6];
	uint64_t ports = 0;
	if ((nh == 6 || nh == 17 || nh == 132 || nh == 136) && n >= HK_IPV6_HDR + 4)
		ports = kan_get32(ip + HK_IPV6_HDR);
	return mix(h, (uint64_t)nh << 32 | ports);
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = n;
	for (size_t i = 0; i < n; i++)
		h = mix(h, p[i]);
	return h;
}

uint16_t net_geneve_sport(const uint8_t *inner, size_t len)
{
	uint64_t h;
	if (len >= HK_IPV6_HDR && (inner[0] >> 4) == 6 && kan_get16(inner + 4) == len - HK_IPV6_HDR)
		h = hash_ip6(inner, len);
	else if (len >= ETH_HDR + HK_IPV6_HDR && kan_get16(inner + 12) == 0x86dd &&
	         (inner[ETH_HDR] >> 4) == 6)
		h = hash_ip6(inner + ETH_HDR, len - ETH_HDR);
	else
		h = hash_bytes(inner, len < ETH_HDR ? len : ETH_HDR);
	h ^= h >> 32;
	h ^= h >> 16;
	return (uint16_t)(0xc000u | (h & 0x3fffu));
}
