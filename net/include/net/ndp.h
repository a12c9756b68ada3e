/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_NDP_H
#define NET_NDP_H

/*
 * Neighbour discovery (RFC 4861) for the router on the wire: parsing the
 * solicitations and advertisements it receives with every validity rule
 * of RFC 4861 sections 6.1 and 7.1 (and RFC 6980: no fragments), and
 * building the advertisements and solicitations it sends, including the
 * Route Information option of RFC 4191. Pure functions over bytes,
 * host-tested in tests/unit/test_net_ndp.c.
 */
#include <hekate/kan.h>
#include <net/eth.h>
#include <net/ip6.h>
#include <stddef.h>
#include <stdint.h>

#define NET_NDP_HOP_LIMIT 255u /* sent and required: proves the sender is on the link */

/* Neighbour Advertisement flags, in the message's first flags byte. */
#define NET_NA_ROUTER    0x80u
#define NET_NA_SOLICITED 0x40u
#define NET_NA_OVERRIDE  0x20u

/* Router Advertisement flags byte: M, O, and the default router preference
 * (RFC 4191 2.2) in bits 3-4 (NET_RA_PREF(p)). */
#define NET_RA_MANAGED 0x80u
#define NET_RA_OTHER   0x40u
#define NET_RA_PREF(p) ((uint8_t)(((p)&3u) << 3))

/* Route preferences (RFC 4191 2.1), a 2-bit signed value. */
enum net_ra_pref {
	NET_PREF_MEDIUM = 0,
	NET_PREF_HIGH = 1,
	NET_PREF_RESERVED = 2, /* never sent; a Route Information option with it is ignored */
	NET_PREF_LOW = 3,
};

/* Prefix Information flags (RFC 4861 4.6.2). */
#define NET_PIO_ONLINK 0x80u
#define NET_PIO_AUTO   0x40u

#define NET_RA_PREFIXES 4u /* prefixes one advertisement carries (and a parse reports) */

/* One prefix of a Router Advertisement: a Prefix Information option (on-link
 * and address configuration) or a Route Information option (a more-specific
 * route via this router). */
struct net_ra_prefix {
	uint8_t rio;        /* 0: Prefix Information (type 3), 1: Route Information (type 24) */
	uint8_t len;        /* prefix length, 0..128 */
	uint8_t flags;      /* Prefix Information: NET_PIO_*; Route Information: enum net_ra_pref */
	uint32_t valid;     /* valid lifetime, or the route lifetime (s; 0xffffffff: forever) */
	uint32_t preferred; /* Prefix Information: preferred lifetime (s); else 0 */
	struct hk_addr prefix; /* bits past len are 0 in what is sent and what is parsed */
};

/* What a Router Advertisement says (RFC 4861 4.2). */
struct net_ra_cfg {
	uint8_t cur_hop_limit;    /* 0: unspecified */
	uint8_t flags;            /* NET_RA_MANAGED, NET_RA_OTHER, NET_RA_PREF() */
	uint16_t router_lifetime; /* s; 0: not a default router */
	uint32_t reachable_time;  /* ms; 0: unspecified */
	uint32_t retrans_timer;   /* ms; 0: unspecified */
	uint32_t mtu;             /* 0: no MTU option */
	uint8_t n_prefixes;       /* used entries of prefix[] */
	struct net_ra_prefix prefix[NET_RA_PREFIXES];
};

/* A parsed NDP message. */
struct net_ndp {
	uint8_t type;          /* NET_ICMP6_RS, _RA, _NS or _NA */
	uint8_t na_flags;      /* NA: NET_NA_*; else 0 */
	uint8_t has_lla;       /* lla holds the first link-layer address option */
	struct net_mac lla;    /* source (RS, RA, NS) or target (NA) link-layer address */
	struct hk_addr target; /* NS, NA; else zero */
	struct net_ra_cfg ra;  /* RA: its fields and its first NET_RA_PREFIXES prefixes, in
	                        * order; else zero. Ignored (RFC 4861 4.6, RFC 4191 2.3): MTU and
	                        * Prefix Information options of the wrong length, prefix lengths
	                        * over 128, Route Information options too short for their prefix
	                        * length or longer than 24 bytes or with the reserved preference */
};

/*
 * Parse the NDP message of the IPv6 packet at ip, passed by net_ip6_check
 * into *in. Returns UNHANDLED unless it is ICMPv6 of type 133..136 (a
 * redirect, too, is not handled); then the results of net_icmp6_check
 * (ICMP_LENGTH, ICMP_CHECKSUM), which it calls; then NDP_INVALID for any
 * failed RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2 rule: hop limit not 255, code
 * not 0, an option of length 0 or running past the message, a fragment
 * (RFC 6980), a multicast NS/NA target, an NS from :: not to a
 * solicited-node group, an RS or NS from :: with a source link-layer
 * address option, an NA to a group with the S flag, an RA from a source
 * that is not link-local. Unknown options are skipped. Reads only the
 * message; fills *out on NET_PASS, leaves it untouched otherwise.
 */
int net_ndp_parse(const uint8_t *ip, const struct net_ip6_info *in, struct net_ndp *out);

/*
 * Builders: a whole IPv6 packet (hop limit 255, next header 58, checksum)
 * at ip, which has room for cap bytes. Each returns the packet's length,
 * or 0 with nothing written when it does not fit in cap (or, for an RA, cfg
 * is invalid: more than NET_RA_PREFIXES prefixes, a prefix length over 128,
 * a Route Information preference that is reserved or over 3). Address
 * and MAC arguments may point into ip[0..cap): they are copied before
 * anything is written. lla NULL leaves the link-layer address option out.
 */

/* Neighbour Advertisement for target with flags (NET_NA_*), lla as the
 * target link-layer address option: 40 + 24 (+ 8) bytes. */
size_t net_ndp_build_na(uint8_t *ip, size_t cap, const struct hk_addr *src,
                        const struct hk_addr *dst, const struct hk_addr *target,
                        const struct net_mac *lla, uint8_t flags);

/* Neighbour Solicitation for target, to its solicited-node group, lla as
 * the source link-layer address option (left out when src is ::, as duplicate
 * address detection requires): 40 + 24 (+ 8) bytes. */
size_t net_ndp_build_ns(uint8_t *ip, size_t cap, const struct hk_addr *src,
                        const struct hk_addr *target, const struct net_mac *lla);

/* Router Advertisement from src (link-local) to dst (ff02::1 or the
 * soliciting host) saying cfg: the source link-layer address option, the
 * MTU option when cfg->mtu, then each prefix in order. */
size_t net_ndp_build_ra(uint8_t *ip, size_t cap, const struct hk_addr *src,
                        const struct hk_addr *dst, const struct net_mac *lla,
                        const struct net_ra_cfg *cfg);

#endif
