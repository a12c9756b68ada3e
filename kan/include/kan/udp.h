/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KAN_UDP_H
#define KAN_UDP_H

/*
 * UDP over IPv6 in a packet buffer (RFC 768, RFC 8200 section 8.1): the
 * transport of the kernel's control protocol (docs/kan-control.md). Pure
 * functions over bytes, usable in the kernel and on the host
 * (tests/unit/test_kan_udp.c).
 *
 * Only the simplest shape is accepted: next header 17 directly after the
 * fixed IPv6 header. A datagram behind extension headers is refused as
 * KAN_UDP_NOT_UDP: nothing on the KAN needs them, and not walking a chain
 * keeps the parser's reads to the two fixed headers plus the checksum.
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

#define KAN_UDP_HDR     8u
#define KAN_UDP_OFF     (HK_IPV6_HDR + KAN_UDP_HDR) /* payload offset from the IPv6 header */
#define KAN_UDP_MAX_PAY (65535u - KAN_UDP_HDR)      /* largest payload the length field holds */

/* Why a datagram was refused; KAN_UDP_OK is 0, the rest negative. */
enum kan_udp_err {
	KAN_UDP_OK = 0,
	KAN_UDP_IPHDR = -1,    /* len < 40, not version 6, or payload length + 40 != len */
	KAN_UDP_NOT_UDP = -2,  /* next header is not 17 (extension headers included) */
	KAN_UDP_SHORT = -3,    /* fewer than 8 bytes after the IPv6 header */
	KAN_UDP_LENGTH = -4,   /* UDP length field != IPv6 payload length */
	KAN_UDP_NOCSUM = -5,   /* checksum field 0: mandatory over IPv6 */
	KAN_UDP_CHECKSUM = -6, /* checksum does not verify */
	KAN_UDP_ERR_MIN = KAN_UDP_CHECKSUM
};

/* A parsed datagram; payload points into the packet parsed. */
struct kan_udp {
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t len; /* payload bytes */
};

/*
 * Parse the UDP datagram in the IPv6 packet at ip, len bytes in all (the
 * header normally already passed kan_hdr_check; its length is re-checked).
 * Reads only ip[0..len). 0 with *out filled, or a negative enum kan_udp_err
 * (then *out is untouched).
 */
int kan_udp_parse(const uint8_t *ip, size_t len, struct kan_udp *out);

/*
 * Write the IPv6 header (hop limit 64) and UDP header in front of a payload
 * of payload_len bytes already at ip + KAN_UDP_OFF, and the checksum.
 * src and dst may point into ip[0..40) (a reply swapping a request's
 * addresses). Returns the packet's total length, or 0 with nothing written
 * when it exceeds cap or payload_len > KAN_UDP_MAX_PAY.
 */
size_t kan_udp_build(uint8_t *ip, size_t cap, const struct hk_addr *src, const struct hk_addr *dst,
                     uint16_t sport, uint16_t dport, size_t payload_len);

/* A short text for a kan_udp_err (for logs and tests). */
const char *kan_udp_err_name(int e);

#endif
