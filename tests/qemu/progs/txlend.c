// SPDX-License-Identifier: BSD-2-Clause
/*
 * TX page lending (docs/netmac.md, tests/net/txlend.sh): waits (bounded)
 * for a "go" datagram on UDP port 7777, asks the router for 8 TX pages
 * (NET_TXPAGE_PORT), checks each arrives as an empty UDP datagram from the
 * router with every other byte of its page zero (no earlier packet's bytes),
 * fills each in place with a datagram to whoever said go, and sends them.
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <net/stats.h>
#include <stdio.h>
#include <string.h>

#define PORT  7777
#define SPORT 5000
#define PAGES 8

/* The next datagram on our endpoint within 30 s, else fail. */
static struct hk_pkt next(struct kan_udp *u)
{
	int64_t r = hk_kan_recv1(hk_kan()->ep, 30000000);
	if (r < 0)
		hk_fail("txlend: nothing came: %s", hk_strerror((int)r));
	struct hk_pkt p = hk_pkt_unpack((uint64_t)r);
	if (kan_udp_parse(hk_pkt_data(p), p.len, u))
		hk_fail("txlend: not a UDP datagram");
	return p;
}

static void check_clean(struct hk_pkt p)
{
	const uint8_t *page = hk_pkt_page(p);
	for (unsigned i = 0; i < HK_PKT_SIZE; i++)
		if ((i < p.off || i >= (unsigned)p.off + p.len) && page[i])
			hk_fail("txlend: lent page has byte %u = 0x%02x outside its packet", i, page[i]);
}

int main(void)
{
	struct kan_udp u;
	struct hk_pkt go = next(&u);
	if (u.dport != PORT)
		hk_fail("txlend: expected go on port %u", PORT);
	struct hk_addr host = *kan_hdr_src(hk_pkt_data(go));
	uint16_t hport = u.sport;
	/* the request, in the go page */
	struct hk_addr mac;
	hk_kan_addr_of("mac", 0, &mac);
	uint8_t *ip = hk_pkt_data(go);
	ip[KAN_UDP_OFF] = PAGES;
	go.len = (uint16_t)kan_udp_build(ip, HK_PKT_SIZE - go.off, &hk_kan()->addr, &mac, SPORT,
	                                 NET_TXPAGE_PORT, 1);
	if (hk_kan_send1(hk_pkt_pack(go), 0))
		hk_fail("txlend: request");
	for (unsigned i = 0; i < PAGES; i++) {
		struct hk_pkt p = next(&u);
		if (u.sport != NET_TXPAGE_PORT || u.dport != SPORT || u.len != 0 ||
		    !kan_addr_eq(kan_hdr_src(hk_pkt_data(p)), &mac))
			hk_fail("txlend: page %u is not an empty datagram from the router", i);
		check_clean(p);
		uint8_t *d = hk_pkt_data(p);
		int n = snprintf((char *)d + KAN_UDP_OFF, 64, "lent page %u", i);
		p.len = (uint16_t)kan_udp_build(d, HK_PKT_SIZE - p.off, &hk_kan()->addr, &host, PORT,
		                                hport, (size_t)n);
		if (hk_kan_send1(hk_pkt_pack(p), 0))
			hk_fail("txlend: send page %u", i);
	}
	printf("txlend: %u pages lent by the router, clean, filled in place and sent: ok\n", PAGES);
	return 0;
}
