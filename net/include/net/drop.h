/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_DROP_H
#define NET_DROP_H

/*
 * Why the data plane dropped a packet: one counter per reason in every
 * process that forwards (the MAC driver/router, the pipeline stages), so
 * "received = forwarded + dropped" can be checked reason by reason
 * (docs/pipelines.md). The checks that produce the wire classes are in
 * net/ip6.c (net_frame_check) and net/ndp.c; names are what the stats
 * reply and the host tools print, so they never change meaning.
 */
#include <stddef.h>
#include <stdint.h>

#define NET_DROPS(X)                                                                              \
	X(RUNT, "runt")                 /* frame shorter than an Ethernet header + IPv6 header */ \
	X(OVERSIZE, "oversize")         /* frame longer than the MTU allows */                    \
	X(ETHERTYPE, "ethertype")       /* not 0x86dd (IPv6) */                                   \
	X(NOT_US, "not-us")             /* destination MAC neither ours nor multicast */          \
	X(IP_VERSION, "ip-version")     /* IPv6 version field not 6 */                            \
	X(IP_LENGTH, "ip-length")       /* payload length disagrees with the frame */             \
	X(IP_SRC, "ip-src")             /* source multicast, or unspecified where not allowed */   \
	X(EXT_TRUNC, "ext-truncated")   /* extension header chain runs past the packet */         \
	X(HOP_LIMIT, "hop-limit")       /* hop limit 0 on arrival, or exhausted when forwarding */ \
	X(ICMP_CHECKSUM, "icmp-csum")   /* ICMPv6 checksum does not verify */                     \
	X(ICMP_LENGTH, "icmp-length")   /* ICMPv6 message too short for its type */               \
	X(NDP_INVALID, "ndp-invalid")   /* NDP message fails RFC 4861 validation */               \
	X(UDP_BAD, "udp-bad")           /* UDP length or checksum wrong */                        \
	X(GENEVE_BAD, "geneve-bad")     /* Geneve header malformed or unsupported */              \
	X(NO_ROUTE, "no-route")         /* nothing in the routing table matches */                \
	X(NO_NEIGHBOR, "no-neighbor")   /* next hop's link address unresolved */                  \
	X(TOO_BIG, "too-big")           /* larger than the outgoing link's MTU */                  \
	X(ACL_DENY, "acl-deny")         /* a filter stage's rule said drop */                      \
	X(KAN_REFUSED, "kan-refused")   /* the KAN refused the send (ring full, closed) */         \
	X(TX_FULL, "tx-full")           /* no room on the device's transmit queue */               \
	X(NO_BUFFER, "no-buffer")       /* no page to build a reply or error in */                \
	X(UNHANDLED, "unhandled")       /* addressed to us but nothing handles it */

enum net_drop {
#define NET_DROP_ENUM(id, name) NET_DROP_##id,
	NET_DROPS(NET_DROP_ENUM)
#undef NET_DROP_ENUM
	NET_DROP_COUNT
};

/* The name of a reason ("runt", ...), or "?" for a value out of range. */
const char *net_drop_name(unsigned reason);

/* "drop.NAME": the reason's counter name (published counters, stats lines). */
const char *net_drop_counter(unsigned reason);

/* "drop.NAME N" lines for every non-zero counter of drops[NET_DROP_COUNT]
 * into buf (statistics replies); returns the bytes written, at most cap. */
size_t net_drops_format(char *buf, size_t cap, const uint64_t *drops);

#endif
