// SPDX-License-Identifier: BSD-2-Clause
/*
 * Packet Too Big from the router (tests/net/icmp.sh): one UDP datagram of
 * 2000 bytes to a host on the wire (to=ADDR), larger than the link's MTU;
 * the router must answer with an ICMPv6 Packet Too Big (type 2, code 0)
 * from its KAN address carrying the link MTU (mtu=N) and quoting our
 * packet. Exit 0 only if exactly that came back within 5 s.
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct hk_addr to;
	unsigned long mtu = argc == 3 && !strncmp(argv[2], "mtu=", 4) ? strtoul(argv[2] + 4, NULL, 10) : 0;
	if (argc != 3 || strncmp(argv[1], "to=", 3) || kan_addr_parse(argv[1] + 3, strlen(argv[1] + 3), &to) || !mtu)
		hk_fail("bigsend: usage: to=ADDR mtu=N");
	struct hk_pkt p;
	if (hk_kan_alloc(&p, 1) != 1)
		hk_fail("bigsend: kan_alloc");
	uint8_t *ip = hk_pkt_data(p);
	memset(ip + KAN_UDP_OFF, 0x5a, 2000 - KAN_UDP_OFF);
	p.len = (uint16_t)kan_udp_build(ip, HK_PKT_SIZE - p.off, &hk_kan()->addr, &to, 4444, 9,
	                                2000 - KAN_UDP_OFF);
	if (hk_kan_send1(hk_pkt_pack(p), 0))
		hk_fail("bigsend: send");
	int64_t r = hk_kan_recv1(hk_kan()->ep, 5000000);
	if (r < 0)
		hk_fail("bigsend: no answer: %s", hk_strerror((int)r));
	struct hk_pkt q = hk_pkt_unpack((uint64_t)r);
	const uint8_t *e = hk_pkt_data(q);
	struct hk_addr mac;
	hk_kan_addr_of("mac", 0, &mac);
	int ok = q.len >= 48 + 40 && e[6] == 58 && e[40] == 2 && e[41] == 0 &&
	         kan_get32(e + 44) == mtu && kan_addr_eq(kan_hdr_src(e), &mac) &&
	         kan_addr_eq(kan_hdr_dst(e + 48), &to) &&
	         kan_l4_checksum(kan_hdr_src(e), kan_hdr_dst(e), 58, e + 40, q.len - 40u) == 0;
	if (!ok)
		hk_fail("bigsend: not a Packet Too Big from mac with MTU %lu quoting our datagram", mtu);
	printf("bigsend: Packet Too Big from the router, MTU %lu, quoting the 2000-byte datagram: ok\n", mtu);
	return 0;
}
