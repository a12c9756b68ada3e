// SPDX-License-Identifier: BSD-2-Clause
/*
 * UDP over IPv6 (contracts in <kan/udp.h>). Every field is checked before
 * it is believed; the checksum is verified over exactly the bytes the
 * length fields agree on.
 */
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>

static const char *const udp_names[] = {
    "ok",
    "not a checked IPv6 header for this length",
    "next header is not UDP",
    "shorter than a UDP header",
    "UDP length disagrees with the IPv6 payload length",
    "zero UDP checksum",
    "bad UDP checksum",
};

const char *kan_udp_err_name(int e)
{
	return e <= 0 && e >= KAN_UDP_ERR_MIN ? udp_names[-e] : "unknown";
}

int kan_udp_parse(const uint8_t *ip, size_t len, struct kan_udp *out)
{
	if (!kan_ip6_len_ok(ip, len))
		return KAN_UDP_IPHDR;
	if (ip[6] != KAN_PROTO_UDP)
		return KAN_UDP_NOT_UDP;
	size_t ulen = len - HK_IPV6_HDR;
	if (ulen < KAN_UDP_HDR)
		return KAN_UDP_SHORT;
	const uint8_t *u = ip + HK_IPV6_HDR;
	if (kan_get16(u + 4) != ulen)
		return KAN_UDP_LENGTH;
	if (kan_get16(u + 6) == 0)
		return KAN_UDP_NOCSUM;
	/* Summing the segment with its checksum field gives 0 when it is right. */
	if (kan_l4_checksum(kan_hdr_src(ip), kan_hdr_dst(ip), KAN_PROTO_UDP, u, ulen) != 0)
		return KAN_UDP_CHECKSUM;
	out->sport = kan_get16(u);
	out->dport = kan_get16(u + 2);
	out->payload = u + KAN_UDP_HDR;
	out->len = ulen - KAN_UDP_HDR;
	return KAN_UDP_OK;
}

size_t kan_udp_build(uint8_t *ip, size_t cap, const struct hk_addr *src, const struct hk_addr *dst,
                     uint16_t sport, uint16_t dport, size_t payload_len)
{
	if (payload_len > KAN_UDP_MAX_PAY || cap < KAN_UDP_OFF || payload_len > cap - KAN_UDP_OFF)
		return 0;
	struct hk_addr s = *src, d = *dst; /* they may live in the header we overwrite */
	uint16_t ulen = (uint16_t)(KAN_UDP_HDR + payload_len);
	kan_ip6_hdr_write(ip, ulen, KAN_PROTO_UDP, &s, &d);
	uint8_t *u = ip + HK_IPV6_HDR;
	kan_put16(u, sport);
	kan_put16(u + 2, dport);
	kan_put16(u + 4, ulen);
	kan_put16(u + 6, 0);
	uint16_t sum = kan_l4_checksum(&s, &d, KAN_PROTO_UDP, u, ulen);
	/* RFC 768: a computed 0 is sent as all ones; 0 means "no checksum". */
	kan_put16(u + 6, sum ? sum : 0xffff);
	return KAN_UDP_OFF + payload_len;
}
