/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_ETH_H
#define NET_ETH_H

/*
 * Ethernet II framing for IPv6 (RFC 2464) and the IPv6 addresses derived
 * from link-layer ones: the multicast MAC of a group, a solicited-node
 * group, a link-local address. All inline: the MAC driver writes or checks
 * a header per frame. No bounds checks: callers hand in room for
 * NET_ETH_HDR bytes.
 */
#include <hekate/kan.h>
#include <stdint.h>
#include <string.h>

#define NET_ETH_HDR        14u /* destination, source, EtherType; no 802.1Q tag */
#define NET_ETHERTYPE_IPV6 0x86ddu

struct net_mac {
	uint8_t b[6];
};

/* Two loads a side and no call: user space is built -ffreestanding, where
 * memcmp would stay a call on the per-frame path. */
static inline int net_mac_eq(const struct net_mac *a, const struct net_mac *b)
{
	uint32_t a4, b4;
	uint16_t a2, b2;
	__builtin_memcpy(&a4, a->b, 4);
	__builtin_memcpy(&b4, b->b, 4);
	__builtin_memcpy(&a2, a->b + 4, 2);
	__builtin_memcpy(&b2, b->b + 4, 2);
	return ((a4 ^ b4) | (uint32_t)(a2 ^ b2)) == 0;
}

/* The I/G bit: a group (multicast or broadcast) address. */
static inline int net_mac_is_multicast(const struct net_mac *a) { return a->b[0] & 1; }

/* Write the 14-byte header at p. dst and src may not overlap p[0..14). */
static inline void net_eth_write(uint8_t *p, const struct net_mac *dst, const struct net_mac *src,
                                 uint16_t type)
{
	memcpy(p, dst->b, 6);
	memcpy(p + 6, src->b, 6);
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
}

/* RFC 2464 section 7: a multicast group's MAC is 33:33 and the group's
 * low 32 bits. */
static inline void net_mac_of_mcast(const struct hk_addr *group, struct net_mac *out)
{
	out->b[0] = 0x33;
	out->b[1] = 0x33;
	memcpy(out->b + 2, group->b + 12, 4);
}

/* RFC 4291 2.7.1: the solicited-node group of target, ff02::1:ff00:0/104
 * with target's low 24 bits. out may alias target. */
static inline void net_solicited_node(const struct hk_addr *target, struct hk_addr *out)
{
	static const uint8_t head[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
	uint8_t low[3] = {target->b[13], target->b[14], target->b[15]};
	memcpy(out->b, head, 13);
	memcpy(out->b + 13, low, 3);
}

/* a is a solicited-node group (of any target): it is its own group. */
static inline int net_is_solicited_node(const struct hk_addr *a)
{
	struct hk_addr s;
	net_solicited_node(a, &s);
	return memcmp(a->b, s.b, 16) == 0;
}

/* RFC 4291 2.5.1 / appendix A, RFC 2464 section 5: fe80::/64 with the
 * modified EUI-64 of mac (ff:fe in the middle, the U/L bit inverted). */
static inline void net_ll_from_mac(const struct net_mac *mac, struct hk_addr *out)
{
	memset(out->b, 0, 8);
	out->b[0] = 0xfe;
	out->b[1] = 0x80;
	out->b[8] = mac->b[0] ^ 0x02;
	out->b[9] = mac->b[1];
	out->b[10] = mac->b[2];
	out->b[11] = 0xff;
	out->b[12] = 0xfe;
	memcpy(out->b + 13, mac->b + 3, 3);
}

/* fe80::/10, the link-local unicast range. */
static inline int net_is_link_local(const struct hk_addr *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

#endif
