/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KAN_ICMP_H
#define KAN_ICMP_H

/*
 * ICMPv6 error messages (RFC 4443 section 3) made in place: the kernel
 * turns a packet sent with HK_SEND_ERRORS that the KAN cannot deliver into
 * a Destination Unreachable (docs/kan-control.md), and the router turns a
 * packet it cannot forward into Destination Unreachable, Packet Too Big,
 * Time Exceeded or Parameter Problem, in the same page, so reporting costs
 * no page. One builder serves both. Pure functions over bytes, host-tested
 * in tests/unit/test_kan_icmp.c.
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

#define KAN_ICMP_HDR       8u    /* type, code, checksum, 4 unused bytes */
#define KAN_ICMP_MIN_MTU   1280u /* IPv6 minimum MTU: the error never exceeds it */
#define KAN_ICMP_QUOTE_MAX (KAN_ICMP_MIN_MTU - HK_IPV6_HDR - KAN_ICMP_HDR)

/* The error types (RFC 4443 3.1-3.4); the 4-byte field after the checksum
 * is unused (0) except for Packet Too Big (the MTU) and Parameter Problem
 * (the pointer). */
#define KAN_ICMP_UNREACH       1u /* codes: enum kan_icmp_code */
#define KAN_ICMP_TOO_BIG       2u /* code 0 */
#define KAN_ICMP_TIME_EXCEEDED 3u /* codes KAN_TIME_* */
#define KAN_ICMP_PARAM_PROB    4u /* codes KAN_PARAM_* */
#define KAN_TIME_HOP_LIMIT     0u /* hop limit exceeded in transit */
#define KAN_TIME_REASSEMBLY    1u /* fragment reassembly time exceeded */
#define KAN_PARAM_HEADER       0u /* erroneous header field */
#define KAN_PARAM_NEXT_HEADER  1u /* unrecognized next header */
#define KAN_PARAM_OPTION       2u /* unrecognized option: sent even for a multicast destination */
#define KAN_PARAM_INCOMPLETE   3u /* RFC 7112: first fragment without the whole header chain */

/* Destination Unreachable codes (RFC 4443 3.1); the KAN uses 0, 3 and 4. */
enum kan_icmp_code {
	KAN_UNREACH_NO_ROUTE = 0, /* off-prefix destination, no uplink */
	KAN_UNREACH_ADMIN = 1,
	KAN_UNREACH_SCOPE = 2,
	KAN_UNREACH_ADDR = 3, /* in-prefix address nobody has bound */
	KAN_UNREACH_PORT = 4, /* the kernel's address, a port other than KAN_CTL_PORT */
	KAN_UNREACH_POLICY = 5,
	KAN_UNREACH_REJECT = 6,
	KAN_UNREACH_CODE_MAX = KAN_UNREACH_REJECT
};

/* Why no error was made or a received one was refused; 0 ok, else negative. */
enum kan_icmp_err {
	KAN_ICMP_OK = 0,
	KAN_ICMP_BADPKT = -1,    /* off/len outside the page, or not a checked IPv6 header */
	KAN_ICMP_NOROOM = -2,    /* page too small for the error and the original's header */
	KAN_ICMP_CODE = -3,      /* type and code are not an error listed above */
	KAN_ICMP_FROM = -4,      /* from is multicast or unspecified */
	KAN_ICMP_SRC = -5,       /* original source multicast or unspecified: nobody to tell */
	KAN_ICMP_MCAST = -6,     /* original destination multicast (RFC 4443 2.4(e.3)): not
	                          * for Packet Too Big and Parameter Problem code 2 */
	KAN_ICMP_IS_ERROR = -7,  /* original is, or cannot be ruled out to be, an ICMPv6 error */
	KAN_ICMP_NOT_ICMP = -8,  /* parse: next header is not 58 (extension headers included) */
	KAN_ICMP_SHORT = -9,     /* parse: fewer than 8 bytes of ICMPv6 */
	KAN_ICMP_TYPE = -10,     /* parse: not a Destination Unreachable */
	KAN_ICMP_CHECKSUM = -11, /* parse: checksum does not verify */
	KAN_ICMP_QUOTE = -12,    /* parse: quote shorter than an IPv6 header or not version 6 */
	KAN_ICMP_ERR_MIN = KAN_ICMP_QUOTE
};

/*
 * Turn the IPv6 packet at page + *off, *len bytes (its header checked by
 * kan_hdr_check; re-checked here: payload length + 40 must equal *len, so a
 * frame's Ethernet padding must be trimmed first), into the ICMPv6 error
 * type/code, from `from` to the packet's source, hop limit 64, quoting as
 * much of the packet as keeps the error within 1280 bytes; param goes into
 * the 4-byte field for KAN_ICMP_TOO_BIG (the MTU) and KAN_ICMP_PARAM_PROB
 * (the pointer, which may point past the quote), else that field is 0.
 * When *off >= 48 the headers go in the 48 bytes in front and nothing
 * moves; otherwise the quote is moved up to offset 48 (memmove) and cut to
 * fit page_size. Never writes outside [page, page + page_size). Updates
 * *off and *len; returns 0. On a negative enum kan_icmp_err nothing is
 * written. Refuses (RFC 4443 2.4(e)) to answer an ICMPv6 error, a source
 * that names no single node, or a multicast destination except with Packet
 * Too Big or Parameter Problem code 2. Rule 2.4(e.4) (a link-layer
 * multicast or broadcast frame) is the caller's: only it saw the frame.
 * Rate limiting (2.4(f)) is the caller's too. `from` may point anywhere,
 * even into page. Checked in this order: BADPKT, CODE, FROM, SRC, MCAST,
 * IS_ERROR, NOROOM.
 */
int kan_icmp6_error(uint8_t *page, size_t page_size, uint16_t *off, uint16_t *len,
                    const struct hk_addr *from, uint8_t type, uint8_t code, uint32_t param);

/* kan_icmp6_error for a Destination Unreachable with code (0..6). */
int kan_icmp6_unreach(uint8_t *page, size_t page_size, uint16_t *off, uint16_t *len,
                      const struct hk_addr *from, uint8_t code);

/* What a received Destination Unreachable says. */
struct kan_icmp6_bounce {
	uint8_t code;
	struct hk_addr reporter; /* the error's source */
	const uint8_t *quote;    /* the bounced packet's first bytes, in the parsed packet */
	size_t quote_len;        /* >= 40 */
	struct hk_addr orig_src, orig_dst; /* orig_dst is the unreachable address */
	uint8_t orig_proto;                /* next header of the bounced packet */
	uint8_t has_ports;                 /* orig_proto is UDP with its header in the quote */
	uint16_t sport, dport;             /* its UDP ports, when has_ports */
};

/*
 * Parse the IPv6 packet at ip, len bytes, as a Destination Unreachable:
 * next header 58 directly after the fixed header, type 1, checksum
 * verified, a quote holding at least an IPv6 header. Reads only ip[0..len).
 * 0 with *out filled, or a negative enum kan_icmp_err (*out untouched).
 */
int kan_icmp6_parse_unreach(const uint8_t *ip, size_t len, struct kan_icmp6_bounce *out);

const char *kan_icmp_err_name(int e);

#endif
