/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_STATS_H
#define NET_STATS_H

/*
 * Statistics requests (until the management protocol of issue 6): a UDP
 * datagram to a data-plane process's own address on NET_STATS_PORT is
 * answered, from that address and port, with its counters as text, one
 * "name value" per line, in one datagram within the IPv6 minimum MTU.
 * The MAC driver/router and every worker answer it (docs/pipelines.md).
 */
#define NET_STATS_PORT 9901u
/* TX page lending (docs/netmac.md): a UDP datagram from a KAN process to the
 * router's KAN address on this port, payload one byte n (1..16), is answered
 * with n pages from the driver's own stock, each a UDP datagram from this
 * port with an empty payload, every other byte of the page zero: the
 * process fills one in place (kan_udp_build) and sends it to the wire. */
#define NET_TXPAGE_PORT 9902u
#define NET_TXPAGE_MAX  16u
#define NET_STATS_MAX  1200u /* reply payload bytes at most */

#endif
