// SPDX-License-Identifier: BSD-2-Clause
/*
 * ICMPv6 checks and the in-place echo reply (contracts in <net/icmp6.h>).
 */
#include <kan/ipv6.h>
#include <kan/wire.h>
#include <net/icmp6.h>

/* The shortest message of each type (RFC 4443 2.1 and 4.1, RFC 4861 4,
 * RFC 2710 3); an unknown informational type needs only its first 4 bytes. */
static size_t icmp6_min_len(uint8_t type)
{
	switch (type) {
	case NET_ICMP6_ECHO_REQUEST:
	case NET_ICMP6_ECHO_REPLY:
	case NET_ICMP6_RS: return 8;
	case NET_ICMP6_RA: return 16;
	case 130: /* MLD query, report, done */
	case 131:
	case 132:
	case NET_ICMP6_NS:
	case NET_ICMP6_NA: return 24;
	case NET_ICMP6_REDIRECT: return 40;
	default: return type < 128 ? 8 : 4; /* errors: type, code, checksum, 4-byte field */
	}
}

int net_icmp6_check(const uint8_t *ip, const struct net_ip6_info *in)
{
	const uint8_t *icmp = ip + in->l4_off;
	if (in->l4_len < 4 || in->l4_len < icmp6_min_len(icmp[0]))
		return NET_DROP_ICMP_LENGTH;
	if (kan_l4_checksum(kan_hdr_src(ip), kan_hdr_dst(ip), KAN_PROTO_ICMPV6, icmp, in->l4_len))
		return NET_DROP_ICMP_CHECKSUM;
	return NET_PASS;
}

/* Add to the one's-complement sum s the change of one address from old to
 * new: + ~old + new, word by word (RFC 1624: subtracting is adding the
 * complement). */
static uint32_t sum_addr_change(uint32_t s, const struct hk_addr *old, const struct hk_addr *new)
{
	for (int i = 0; i < 16; i += 2)
		s += (uint16_t)~kan_get16(old->b + i) + (uint32_t)kan_get16(new->b + i);
	return s;
}

size_t net_icmp6_echo_reply(uint8_t *ip, const struct net_ip6_info *in, const struct hk_addr *from)
{
	uint8_t *icmp = ip + in->l4_off;
	struct hk_addr src = *from, dst = *kan_hdr_src(ip);
	/* ~HC is the sum of everything else; type 128 -> 129 adds 0x0100 to
	 * the first word. Pseudo-header {S, D} -> {from, S}: only D -> from. */
	uint32_t s = (uint16_t)~kan_get16(icmp + 2) + 0x0100u;
	if (!kan_addr_eq(&src, kan_hdr_dst(ip)))
		s = sum_addr_change(s, kan_hdr_dst(ip), &src);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	icmp[0] = NET_ICMP6_ECHO_REPLY;
	kan_put16(icmp + 2, (uint16_t)~s);
	size_t start = (size_t)in->l4_off - HK_IPV6_HDR;
	kan_ip6_hdr_write(ip + start, in->l4_len, KAN_PROTO_ICMPV6, &src, &dst);
	return start;
}

int net_icmp6_answer(uint8_t *ip, const struct net_ip6_info *in, const struct hk_addr *from,
                     uint16_t *off, uint16_t *len)
{
	int bad = kan_addr_is_unspecified(kan_hdr_src(ip)) ? NET_DROP_IP_SRC : net_icmp6_check(ip, in);
	if (bad != NET_PASS)
		return bad;
	*off = (uint16_t)(*off + net_icmp6_echo_reply(ip, in, from));
	*len = (uint16_t)(HK_IPV6_HDR + in->l4_len);
	return NET_PASS;
}
