/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_GENEVE_H
#define NET_GENEVE_H

/*
 * Geneve (RFC 8926) over IPv6/UDP, destination port 6081: the codec of the
 * pipeline's decapsulation and encapsulation stages. Pure code over bytes,
 * host-tested (tests/unit/test_net_geneve.c).
 *
 * Base header (8 bytes), then Opt Len * 4 bytes of options, then the inner
 * packet:
 *   Ver(2) | Opt Len(6) | O(1) | C(1) | Rsvd(6) | Protocol Type(16)
 *   VNI(24) | Rsvd(8)
 * Each option: Class(16) | Type(8, high bit = critical) | R(3) | Length(5),
 * then Length * 4 bytes of data.
 *
 * Receive policy: we implement no options, so non-critical ones are walked
 * (to check that they tile the option area) and skipped; a critical one
 * (RFC 8926 3.5) or a set C bit (which announces one) drops the packet.
 * Reserved bits are ignored on receipt, as the RFC says.
 */
#include <hekate/kan.h>
#include <net/drop.h>
#include <stddef.h>
#include <stdint.h>

/* Shared with net/ip6.h: "not dropped, go on" where an enum net_drop is returned. */
#ifndef NET_PASS
#define NET_PASS (-1)
#endif

#define NET_GENEVE_PORT      6081u
#define NET_GENEVE_HDR       8u
#define NET_GENEVE_HEADROOM  (HK_IPV6_HDR + 8u + NET_GENEVE_HDR) /* 56: IPv6 + UDP + Geneve */
#define NET_GENEVE_PROTO_IP6 0x86ddu
#define NET_GENEVE_PROTO_ETH 0x6558u /* Transparent Ethernet Bridging */
#define NET_GENEVE_VNI_MAX   0xffffffu
/* Largest inner packet encap takes: the outer packet's length must fit
 * the uint16_t *len (stricter than UDP's 65535 - 16). */
#define NET_GENEVE_INNER_MAX (65535u - NET_GENEVE_HEADROOM)

/* A decapsulated packet; pointers point into the packet decoded. */
struct net_geneve {
	struct hk_addr src, dst; /* outer IPv6 addresses */
	uint16_t sport;          /* outer UDP source port */
	uint16_t proto;          /* NET_GENEVE_PROTO_IP6 or _ETH */
	uint32_t vni;            /* 0..NET_GENEVE_VNI_MAX */
	uint8_t oam;             /* the O bit: a control packet */
	const uint8_t *opts;     /* the option area (all non-critical) */
	uint16_t opts_len;       /* its bytes, a multiple of 4, 0..252 */
	uint16_t inner_off;      /* the inner packet is ip[inner_off .. +inner_len) */
	uint16_t inner_len;      /* >= 1 */
};

/*
 * Decode the whole outer IPv6 packet ip[0..len): fixed header with next
 * header 17 directly (no extension headers), UDP to port 6081 with a
 * verified checksum (kan_udp_parse: a zero checksum is refused, the RFC
 * 8200 8.1 default; RFC 8926 would let a tunnel send 0 under RFC 6935/6936
 * conditions, but Linux (by default) and our own encap always checksum),
 * then Geneve. Reads only ip[0..len). NET_PASS with *out filled, or the
 * drop reason with *out untouched: NET_DROP_IP_LENGTH for fewer than 40
 * bytes or a payload length that disagrees with len, NET_DROP_IP_VERSION
 * for a version other than 6; NET_DROP_UDP_BAD for anything
 * kan_udp_parse refuses (not UDP, length, checksum) or another port;
 * NET_DROP_GENEVE_BAD for version != 0, a header or options running past
 * the datagram, an option running past the option area, a critical option
 * or the C bit, a protocol other than IPv6 or Ethernet, an empty inner.
 */
int net_geneve_decap(const uint8_t *ip, size_t len, struct net_geneve *out);

/*
 * Encapsulate the inner packet page[*off .. *off + *len) in place: write
 * outer IPv6 (hop limit 64, src -> dst), UDP (sport -> 6081, checksum
 * always computed) and an option-less Geneve header (VNI vni, protocol
 * proto, O and C clear) into the 56 bytes before it, then set *off -= 56,
 * *len += 56. src and dst may point anywhere, the page included.
 * 0, or with nothing written: -HK_EINVAL if the inner is empty or runs past
 * page_size, vni > NET_GENEVE_VNI_MAX, or proto is neither IPv6 nor
 * Ethernet (what net_geneve_decap would refuse); -HK_ENOMEM if *off < 56
 * (no headroom); -HK_E2BIG if *len > NET_GENEVE_INNER_MAX.
 */
int net_geneve_encap(uint8_t *page, size_t page_size, uint16_t *off, uint16_t *len,
                     const struct hk_addr *src, const struct hk_addr *dst, uint32_t vni,
                     uint16_t proto, uint16_t sport);

/*
 * An outer UDP source port in 49152..65535 (RFC 8926 3.3: entropy for
 * ECMP) that is the same for every packet of a flow: a hash of the inner
 * IPv6 source, destination and next header, plus the first 4 bytes after
 * the fixed header (the ports) for TCP, UDP, UDP-Lite and SCTP; extension
 * headers are not walked. The inner is taken as IPv6 when its version is 6
 * and its payload length agrees with len; else as an Ethernet frame,
 * hashed by its IPv6 packet if it carries one (EtherType 0x86dd), by its
 * 14-byte header otherwise; anything shorter is hashed whole. Reads only
 * inner[0..len).
 */
uint16_t net_geneve_sport(const uint8_t *inner, size_t len);

#endif
