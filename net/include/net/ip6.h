/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_IP6_H
#define NET_IP6_H

/*
 * The data plane's checks of what arrives from the wire (an Ethernet frame)
 * or from another process (an IPv6 packet): the classes of issue 5's bad
 * input, each answered with its enum net_drop reason so the caller counts
 * it. The common case costs a handful of loads and compares: the
 * extension-header walk (kan_ip6_walk) only runs when the next header is
 * one. Checksums are not verified here: each consumer verifies what it
 * consumes (net_icmp6_check, kan_udp_parse), a forwarded packet's are the
 * receiver's business.
 */
#include <net/drop.h>
#include <net/eth.h>
#include <stddef.h>
#include <stdint.h>

/* A check's result: NET_PASS, or an enum net_drop reason (>= 0). */
#define NET_PASS (-1)

/* What a passed IPv6 packet holds. */
struct net_ip6_info {
	uint8_t proto; /* upper-layer next header after the extension headers;
	                * 44 for a non-first fragment (its upper layer is elsewhere) */
	uint8_t hop_limit;
	uint8_t n_ext;   /* extension headers before l4_off */
	uint8_t frag;    /* a Fragment header was walked: a first or atomic fragment */
	uint16_t l4_off; /* from the IPv6 header: where proto's header starts */
	uint16_t l4_len; /* payload length + 40 - l4_off: padding after the packet excluded */
};

/*
 * A frame from the wire: frame[0..len) starts with the Ethernet header;
 * len excludes the FCS. mtu is the link's IPv6 MTU (1500 for Ethernet).
 * Checked in this order: RUNT (len < 14 + 40), OVERSIZE (len > 14 + mtu),
 * NOT_US (destination MAC neither *ours nor a group address), ETHERTYPE
 * (not 0x86dd; 802.1Q-tagged frames land here too: not supported), then
 * net_ip6_check on frame + 14. Reads only frame[0..len). Fills *out on
 * NET_PASS (offsets from frame + 14); leaves it untouched otherwise.
 */
int net_frame_check(const uint8_t *frame, size_t len, size_t mtu, const struct net_mac *ours,
                    struct net_ip6_info *out);

/*
 * An IPv6 packet at ip[0..len). Checked in this order: RUNT (len < 40),
 * IP_VERSION (not 6), IP_LENGTH (payload length + 40 > len), IP_SRC
 * (source multicast; :: is allowed, duplicate address detection sends
 * it), HOP_LIMIT (0), EXT_TRUNC (an extension header running past the
 * payload, or more than 8 of them; jumbograms are not supported, so
 * payload length 0 with a hop-by-hop header lands here), ICMP_LENGTH (proto
 * 58 with fewer than 4 bytes). A packet shorter than len is accepted: a
 * minimum-size Ethernet frame carries padding after it, so the IPv6 packet
 * is ip[0..40 + payload length) and the caller trims the rest (the page's
 * length) before passing it on. Reads only ip[0..len). Fills *out on
 * NET_PASS; leaves it untouched otherwise.
 */
int net_ip6_check(const uint8_t *ip, size_t len, struct net_ip6_info *out);

/* Length of the checked IPv6 packet at ip (padding excluded): 40 + payload length. */
static inline size_t net_ip6_len(const uint8_t *ip)
{
	return HK_IPV6_HDR + (size_t)(ip[4] << 8 | ip[5]);
}

#endif
