// SPDX-License-Identifier: BSD-2-Clause
/*
 * Frame and IPv6 checks on arrival (contracts in <net/ip6.h>). Every field
 * is read only after the length covering it was checked; nothing is
 * written but *out, and only on NET_PASS.
 */
#include <kan/ipv6.h>
#include <kan/wire.h>
#include <net/ip6.h>

#define ICMP6_MIN 4u /* type, code, checksum: what every ICMPv6 message has */

int net_frame_check(const uint8_t *frame, size_t len, size_t mtu, const struct net_mac *ours,
                    struct net_ip6_info *out)
{
	if (len < NET_ETH_HDR + HK_IPV6_HDR)
		return NET_DROP_RUNT;
	if (len - NET_ETH_HDR > mtu)
		return NET_DROP_OVERSIZE;
	const struct net_mac *dst = (const struct net_mac *)frame;
	if (!net_mac_is_multicast(dst) && !net_mac_eq(dst, ours))
		return NET_DROP_NOT_US;
	if (kan_get16(frame + 12) != NET_ETHERTYPE_IPV6)
		return NET_DROP_ETHERTYPE;
	return net_ip6_check(frame + NET_ETH_HDR, len - NET_ETH_HDR, out);
}

/* The upper layer found by l4 in the packet ip[0..total): ICMPv6 must have
 * its first 4 bytes; then *out is filled. */
static inline int upper_layer(const uint8_t *ip, const struct kan_ip6_l4 *l4, size_t total,
                              struct net_ip6_info *out)
{
	if (l4->proto == KAN_PROTO_ICMPV6 && total - l4->off < ICMP6_MIN)
		return NET_DROP_ICMP_LENGTH;
	*out = (struct net_ip6_info){
	    .proto = l4->proto,
	    .hop_limit = ip[7],
	    .n_ext = l4->n_ext,
	    .frag = l4->frag,
	    .l4_off = l4->off,
	    .l4_len = (uint16_t)(total - l4->off),
	};
	return NET_PASS;
}

/* The slow path, apart so the common packet needs no stack frame. */
static int walk_chain(const uint8_t *ip, size_t total, struct net_ip6_info *out)
{
	struct kan_ip6_l4 l4;
	if (kan_ip6_walk(ip, total, &l4) == KAN_WALK_BAD)
		return NET_DROP_EXT_TRUNC;
	return upper_layer(ip, &l4, total, out);
}

int net_ip6_check(const uint8_t *ip, size_t len, struct net_ip6_info *out)
{
	if (len < HK_IPV6_HDR)
		return NET_DROP_RUNT;
	if ((ip[0] >> 4) != 6)
		return NET_DROP_IP_VERSION;
	size_t plen = kan_get16(ip + 4);
	if (plen > len - HK_IPV6_HDR)
		return NET_DROP_IP_LENGTH;
	if (kan_addr_is_multicast(kan_hdr_src(ip)))
		return NET_DROP_IP_SRC;
	if (ip[7] == 0)
		return NET_DROP_HOP_LIMIT;
	size_t total = HK_IPV6_HDR + plen;
	if (kan_ip6_is_ext(ip[6]))
		return walk_chain(ip, total, out);
	const struct kan_ip6_l4 l4 = {ip[6], 0, 0, HK_IPV6_HDR};
	return upper_layer(ip, &l4, total, out);
}
