// SPDX-License-Identifier: BSD-2-Clause
/*
 * UDP echo (port 7): the datagram goes back to its sender with addresses
 * and ports swapped, in the same page. Swapping both pairs leaves the UDP
 * checksum as it was (the pseudo-header and header sums are sums of the
 * same words), so the payload is never read: a datagram the wire damaged
 * comes back with a checksum its sender's stack rejects, end to end.
 * As the last stage (or alone) the echo goes out by destination; in the
 * middle of a pipeline (e.g. between Geneve decap and encap) it goes on to
 * the next stage. Anything but UDP to port 7 is dropped as unhandled.
 */
#include "../stage.h"

#include <kan/wire.h>
#include <string.h>

#define ECHO_PORT 7

enum { C_ECHOED, C_BYTES };

static enum stage_verdict echo(struct stage *s, struct hk_pkt *p, const struct net_ip6_info *in,
                               unsigned *why)
{
	uint8_t *ip = hk_pkt_data(*p);
	if (in->proto != 17 || in->l4_off != HK_IPV6_HDR) {
		*why = NET_DROP_UNHANDLED;
		return STAGE_DROP;
	}
	uint8_t *udp = (uint8_t *)stage_udp(ip, in);
	if (!udp || kan_get16(udp + 2) != ECHO_PORT) {
		*why = udp ? NET_DROP_UNHANDLED : NET_DROP_UDP_BAD;
		return STAGE_DROP;
	}
	uint8_t t[16];
	memcpy(t, ip + 8, 16);
	memcpy(ip + 8, ip + 24, 16);
	memcpy(ip + 24, t, 16);
	uint16_t sport = kan_get16(udp);
	kan_put16(udp, ECHO_PORT);
	kan_put16(udp + 2, sport);
	ip[7] = 64;
	s->user[C_ECHOED]++;
	s->user[C_BYTES] += in->l4_len;
	return STAGE_PASS;
}

int main(void)
{
	static struct stage s = {.name = "uecho", .packet = echo,
	                         .user_name = {[C_ECHOED] = "echoed", [C_BYTES] = "bytes"}};
	return stage_run(&s);
}
