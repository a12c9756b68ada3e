// SPDX-License-Identifier: BSD-2-Clause
/*
 * A process talking to a process on another node by address (the
 * two-node test, tests/net/twonode.sh): UDP datagrams to to=ADDR port 7
 * (a uecho worker over there), each echo checked byte for byte.
 *   args: to=ADDR count=N
 * It first waits, bounded, for the far side to answer at all (the other
 * node may still be booting), then sends N datagrams one at a time and
 * exits 0 only if every one came back intact within the time bounds.
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT      7
#define SPORT     5555
#define REPLY_US  2000000u
#define HELLO_TRIES 30 /* 30 x 2 s for the far side to come up */

static struct hk_addr to;

/* One datagram of seq with a size derived from it; 0 when its echo came back intact. */
static int round_trip(uint32_t seq)
{
	struct hk_pkt p;
	if (hk_kan_alloc(&p, 1) != 1)
		hk_fail("netpeer: kan_alloc");
	uint8_t *ip = hk_pkt_data(p);
	size_t n = 8 + seq % 1000;
	for (size_t i = 0; i < n; i++)
		ip[KAN_UDP_OFF + i] = (uint8_t)(seq * 31 + i);
	memcpy(ip + KAN_UDP_OFF, &seq, 4);
	p.len = (uint16_t)kan_udp_build(ip, HK_PKT_SIZE - p.off, &hk_kan()->addr, &to, SPORT, PORT, n);
	if (hk_kan_send1(hk_pkt_pack(p), 0))
		hk_fail("netpeer: send");
	for (;;) {
		int64_t r = hk_kan_recv1(hk_kan()->ep, REPLY_US);
		if (r < 0)
			return -1;
		struct hk_pkt q = hk_pkt_unpack((uint64_t)r);
		struct kan_udp u;
		const uint8_t *rip = hk_pkt_data(q);
		int ok = !kan_udp_parse(rip, q.len, &u) && u.sport == PORT && u.dport == SPORT &&
		         kan_addr_eq(kan_hdr_src(rip), &to) && u.len == n;
		uint32_t got = 0;
		if (ok)
			memcpy(&got, u.payload, 4);
		int same = ok && got == seq; /* ip is gone (sent): check against the formula */
		for (size_t i = 4; same && i < n; i++)
			same = u.payload[i] == (uint8_t)(seq * 31 + i);
		hk_kan_free1((uint64_t)r);
		if (same)
			return 0;
		if (ok && got < seq)
			continue; /* a late echo of an earlier try */
		return -1;
	}
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "to=", 3) && !kan_addr_parse(argv[i] + 3, strlen(argv[i] + 3), &to))
			continue;
		if (!strncmp(argv[i], "count=", 6) && (count = strtoul(argv[i] + 6, NULL, 10)) > 0)
			continue;
		hk_fail("netpeer: usage: to=ADDR count=N (got '%s')", argv[i]);
	}
	char a[48];
	hk_addr_str(&to, a, sizeof(a));
	int up = 0;
	for (int t = 0; t < HELLO_TRIES && !up; t++)
		up = round_trip(0) == 0;
	if (!up)
		hk_fail("netpeer: %s never answered", a);
	for (uint32_t seq = 1; seq <= count; seq++)
		if (round_trip(seq))
			hk_fail("netpeer: datagram %u to %s: no intact echo", seq, a);
	printf("netpeer: %lu datagrams to %s on the other node echoed intact: ok\n", count, a);
	return 0;
}
