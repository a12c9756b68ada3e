/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KAN_IPV6_H
#define KAN_IPV6_H

/*
 * The only parsing the kernel does of a packet a process sends: the fixed
 * IPv6 header, checked against the descriptor's length, and address
 * classification. Pure functions over bytes, host-tested with every
 * malformed class (tests/unit/test_kan_ipv6.c).
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

/* What is wrong with a header; KAN_HDR_OK is 0. */
enum kan_hdr_err {
	KAN_HDR_OK = 0,
	KAN_HDR_BOUNDS,     /* off + len runs past the page, or len is 0 */
	KAN_HDR_SHORT,      /* fewer than 40 bytes */
	KAN_HDR_VERSION,    /* version nibble is not 6 */
	KAN_HDR_LENGTH,     /* payload length + 40 != the descriptor's length */
	KAN_HDR_HOPLIMIT,   /* hop limit 0 */
	KAN_HDR_SRC,        /* source is multicast or unspecified */
	KAN_HDR_DST,        /* destination is unspecified */
	KAN_HDR_COUNT
};

/* Check descriptor bounds (off, len within a page of HK_PKT_SIZE) and the
 * header at page + off. page must hold HK_PKT_SIZE readable bytes. */
enum kan_hdr_err kan_hdr_check(const uint8_t *page, unsigned off, unsigned len);
const char *kan_hdr_err_name(enum kan_hdr_err e);

/* Field access on a header already checked. */
static inline const struct hk_addr *kan_hdr_src(const uint8_t *ip)
{
	return (const struct hk_addr *)(ip + 8);
}
static inline const struct hk_addr *kan_hdr_dst(const uint8_t *ip)
{
	return (const struct hk_addr *)(ip + 24);
}

/*
 * Address tests, inline because every send makes several: whole 64-bit
 * words (unaligned loads are fine on every target; the bytes keep network
 * order, so only equality and zero tests are meaningful on the words).
 */
static inline uint64_t kan_addr_word(const struct hk_addr *a, unsigned i)
{
	uint64_t v;
	__builtin_memcpy(&v, a->b + 8 * i, 8);
	return v;
}
static inline int kan_addr_eq(const struct hk_addr *a, const struct hk_addr *b)
{
	return ((kan_addr_word(a, 0) ^ kan_addr_word(b, 0)) |
	        (kan_addr_word(a, 1) ^ kan_addr_word(b, 1))) == 0;
}
static inline int kan_addr_is_multicast(const struct hk_addr *a) { return a->b[0] == 0xff; }
static inline int kan_addr_is_unspecified(const struct hk_addr *a)
{
	return (kan_addr_word(a, 0) | kan_addr_word(a, 1)) == 0;
}
/* a lies in the /64 whose first 8 bytes are prefix[0..8) */
static inline int kan_addr_in_prefix(const struct hk_addr *a, const struct hk_addr *prefix)
{
	return kan_addr_word(a, 0) == kan_addr_word(prefix, 0);
}
/* prefix's upper 64 bits with interface identifier iid */
struct hk_addr kan_addr_make(const struct hk_addr *prefix, uint64_t iid);
uint64_t kan_addr_iid(const struct hk_addr *a);

/*
 * Parse "fdxx:...::/64"-style text (a /64 prefix; the low 64 bits must be
 * zero, the /64 is required) into *out. 0 or -HK_EINVAL.
 */
int kan_prefix_parse(const char *s, size_t n, struct hk_addr *out);
/* Text address s[0..n) (RFC 4291 2.2 forms, no zone, no embedded IPv4): 0 or -HK_EINVAL. */
int kan_addr_parse(const char *s, size_t n, struct hk_addr *out);
/* "ADDR/LEN" (LEN 0..128, no bits set past LEN) into *out, *len: 0 or -HK_EINVAL. */
int kan_net_parse(const char *s, size_t n, struct hk_addr *out, unsigned *len);
/* Format a as RFC 5952 text (longest zero run compressed) into buf (>= 40 bytes). */
void kan_addr_format(const struct hk_addr *a, char *buf, size_t n);

/* Internet checksum over an IPv6 pseudo-header and upper-layer data. */
uint16_t kan_l4_checksum(const struct hk_addr *src, const struct hk_addr *dst, uint8_t proto,
                         const uint8_t *data, size_t len);

/*
 * Extension headers (RFC 8200 section 4): the one walker of a header chain,
 * shared by the kernel's ICMPv6 errors (kan/icmp.c, "is this an error?")
 * and the data plane's checks (net/ip6.c). Walked: hop-by-hop (0), routing
 * (43), fragment (44), authentication (51, RFC 4302 length in 4-byte units)
 * and destination options (60), at most KAN_EXT_MAX of them. Anything else,
 * including ESP (50) and no next header (59), is the upper layer.
 */
#define KAN_NH_HOPOPT   0u
#define KAN_NH_ROUTING  43u
#define KAN_NH_FRAGMENT 44u
#define KAN_NH_AH       51u
#define KAN_NH_DSTOPTS  60u
#define KAN_EXT_MAX     8u

/* nh is one of the five walked extension headers: one shift and a compare,
 * so the common packet (UDP or ICMPv6 right after the header) pays nothing
 * more for the walk. */
static inline int kan_ip6_is_ext(uint8_t nh)
{
	const uint64_t ext = 1ull << KAN_NH_HOPOPT | 1ull << KAN_NH_ROUTING |
	                     1ull << KAN_NH_FRAGMENT | 1ull << KAN_NH_AH | 1ull << KAN_NH_DSTOPTS;
	return nh < 64 && (ext >> nh & 1);
}

/* Where a header chain ends. */
struct kan_ip6_l4 {
	uint8_t proto; /* upper-layer next header; KAN_NH_FRAGMENT at a non-first fragment */
	uint8_t n_ext; /* extension headers walked before off */
	uint8_t frag;  /* a Fragment header was walked (a first or atomic fragment) */
	uint16_t off;  /* offset of that header from ip; off <= len */
};

/* Outcomes of kan_ip6_walk. */
enum kan_walk {
	KAN_WALK_BAD = -1,     /* a header runs past len, or more than KAN_EXT_MAX of them */
	KAN_WALK_UPPER = 0,    /* reached the upper layer (its bytes, if any, not checked) */
	KAN_WALK_FRAGMENT = 1, /* stopped at a non-first fragment: the rest is elsewhere */
};

/*
 * Walk the chain of the IPv6 packet ip[0..len) (len >= 40; len is what the
 * caller trusts, normally payload length + 40) starting from the fixed
 * header's next header. Reads only ip[0..len). Fills *out on
 * KAN_WALK_UPPER and KAN_WALK_FRAGMENT (then out->off is the Fragment
 * header's offset); leaves it untouched on KAN_WALK_BAD.
 */
enum kan_walk kan_ip6_walk(const uint8_t *ip, size_t len, struct kan_ip6_l4 *out);

#endif
