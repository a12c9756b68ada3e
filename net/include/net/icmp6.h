/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_ICMP6_H
#define NET_ICMP6_H

/*
 * ICMPv6 (RFC 4443) for the processes of the data plane: the check of a
 * message addressed to them and the in-place echo reply (the router and
 * the echo worker answer pings without a second page). The errors a router
 * sends are made by kan_icmp6_error (<kan/icmp.h>), shared with the kernel.
 */
#include <hekate/kan.h>
#include <net/ip6.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ICMP6_ECHO_REQUEST 128u
#define NET_ICMP6_ECHO_REPLY   129u
#define NET_ICMP6_RS           133u /* router solicitation */
#define NET_ICMP6_RA           134u /* router advertisement */
#define NET_ICMP6_NS           135u /* neighbour solicitation */
#define NET_ICMP6_NA           136u /* neighbour advertisement */
#define NET_ICMP6_REDIRECT     137u

/*
 * The ICMPv6 message of the IPv6 packet at ip that net_ip6_check passed
 * with *in (in->proto must be 58): NET_DROP_ICMP_LENGTH when it is shorter than
 * its type needs (errors and echo 8, RS 8, RA 16, NS and NA 24, redirect
 * 40, MLD 24, other types 4), NET_DROP_ICMP_CHECKSUM when the checksum over
 * the RFC 8200 8.1 pseudo-header (the header's own destination) does not
 * verify, else NET_PASS. Reads only the message, in->l4_len bytes.
 */
int net_icmp6_check(const uint8_t *ip, const struct net_ip6_info *in);

/*
 * Turn the Echo Request at ip (passed by net_ip6_check into *in and by
 * net_icmp6_check, type 128; its source not :: — nobody to answer) into an
 * Echo Reply in place: source `from` (normally the request's destination;
 * one of our unicast addresses when the request went to a group),
 * destination the request's source, hop limit 64, traffic class and flow
 * label 0, next header 58, type 129, the identifier, sequence and data
 * untouched. Extension headers are dropped: the new IPv6 header goes
 * right in front of the ICMPv6 message. The checksum is updated
 * incrementally (RFC 1624 eqn. 3), never summed over the data: swapping
 * the addresses leaves the pseudo-header sum as it was, so only the type
 * and, when from differs from the old destination, the address change are
 * folded in; the result equals a full computation bit for bit. from may
 * point into the packet. Returns the offset from ip where the reply
 * starts (in->l4_off - 40); its length is 40 + in->l4_len.
 */
size_t net_icmp6_echo_reply(uint8_t *ip, const struct net_ip6_info *in, const struct hk_addr *from);

/*
 * Answer the Echo Request at ip (passed by net_ip6_check into *in, type
 * 128), which is the packet at *off in its page: refuse it with IP_SRC when
 * its source is :: (nobody to answer), or with net_icmp6_check's reason;
 * else turn it into the reply from `from` (net_icmp6_echo_reply) and move
 * *off and *len to the reply. NET_PASS or the drop reason (nothing written).
 */
int net_icmp6_answer(uint8_t *ip, const struct net_ip6_info *in, const struct hk_addr *from,
                     uint16_t *off, uint16_t *len);

#endif
