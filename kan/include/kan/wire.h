/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KAN_WIRE_H
#define KAN_WIRE_H

/*
 * Big-endian field access and the fixed IPv6 header writer the KAN codecs
 * (udp.c, ctl.c, icmp.c) share. Byte-wise, so any alignment is fine; no
 * bounds checks: callers check lengths first.
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KAN_PROTO_UDP    17u
#define KAN_PROTO_ICMPV6 58u
#define KAN_HOP_LIMIT    64u /* hop limit of every packet the codecs build */

static inline uint16_t kan_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static inline uint32_t kan_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t kan_get64(const uint8_t *p)
{
	return (uint64_t)kan_get32(p) << 32 | kan_get32(p + 4);
}

static inline void kan_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void kan_put32(uint8_t *p, uint32_t v)
{
	kan_put16(p, (uint16_t)(v >> 16));
	kan_put16(p + 2, (uint16_t)v);
}

static inline void kan_put64(uint8_t *p, uint64_t v)
{
	kan_put32(p, (uint32_t)(v >> 32));
	kan_put32(p + 4, (uint32_t)v);
}

/*
 * Write a fixed IPv6 header at ip: traffic class and flow label 0, the given
 * payload length and next header, hop limit KAN_HOP_LIMIT. src and dst must
 * not overlap ip[0..40) (copy them first if they come from the same packet).
 */
static inline void kan_ip6_hdr_write(uint8_t *ip, uint16_t plen, uint8_t nh,
                                     const struct hk_addr *src, const struct hk_addr *dst)
{
	ip[0] = 0x60;
	ip[1] = ip[2] = ip[3] = 0;
	kan_put16(ip + 4, plen);
	ip[6] = nh;
	ip[7] = KAN_HOP_LIMIT;
	memcpy(ip + 8, src->b, 16);
	memcpy(ip + 24, dst->b, 16);
}

/*
 * The packet at ip, len bytes, has a fixed IPv6 header whose payload length
 * agrees with len. The codecs' parsers re-check this themselves so that a
 * caller passing the wrong length cannot make them read past the packet.
 */
static inline int kan_ip6_len_ok(const uint8_t *ip, size_t len)
{
	return len >= HK_IPV6_HDR && len - HK_IPV6_HDR == kan_get16(ip + 4) && (ip[0] >> 4) == 6;
}

#endif
