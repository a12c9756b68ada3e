// SPDX-License-Identifier: BSD-2-Clause
/*
 * The MAC driver's router (drivers/netmac/router.c) on the host, against a
 * fake node: a manifest of four entries (init, mac, acl and echo forming a
 * pipeline) and the packet window mapped where the node has it, every other
 * page inaccessible so a write past a packet's page faults. Checked: each
 * verdict for the packets the router meets (NDP for its addresses and the
 * KAN prefix, echo requests, pipeline and steered traffic, hop limits,
 * routes to the wire and gateways, oversize answers, no route), the
 * neighbour cache holding and releasing a packet, and then hundreds of
 * thousands of mutated frames from the wire and packets from the KAN:
 * nothing read or written outside its page (ASan and the guard pages),
 * every verdict leaves a packet the next hop accepts, and every frame is
 * either passed on or counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "../../drivers/netmac/netmac.h"
#include "rng.h"
#include <hekate/errno.h>
#include <hekate/pkt.h>
#include <kan/icmp.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <net/ip6.h>
#include <net/ndp.h>
#include <net/stats.h>

/* --- the fake node ------------------------------------------------------------------- */

static const struct hk_addr prefix = {{0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}};
static const struct hk_addr host = {{0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0xff, [15] = 1}};
static const struct hk_addr link_addr = {{0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0xff, [15] = 2}};
static const struct hk_addr gw = {{0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0xff, [15] = 3}};
static const struct hk_addr far = {{0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x02, [15] = 7}};
static const struct net_mac node_mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}};
static const struct net_mac host_mac = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
static const char *const names[] = {"init", "mac", "acl", "echo"};
#define NENTRIES 4
#define ACL  2
#define ECHO 3

static struct hk_addr entry_addr(unsigned i, unsigned n)
{
	return kan_addr_make(&prefix, hk_kan_iid(i, n));
}

const struct hk_kan_self *hk_kan(void)
{
	static struct hk_kan_self s;
	s.prefix = prefix;
	s.kernel = kan_addr_make(&prefix, 1);
	s.addr = entry_addr(1, 0);
	return &s;
}

int hk_kan_addr_of(const char *name, unsigned n, struct hk_addr *out)
{
	for (unsigned i = 0; i < NENTRIES; i++)
		if (!strcmp(names[i], name)) {
			*out = entry_addr(i, n);
			return 0;
		}
	return -HK_ENOENT;
}

void hk_addr_str(const struct hk_addr *a, char *buf, size_t n) { kan_addr_format(a, buf, n); }

int64_t hk_proc_info(unsigned index, struct hk_proc_info *out)
{
	if (index >= NENTRIES)
		return -HK_ENOENT;
	memset(out, 0, sizeof(*out));
	strcpy(out->name, names[index]);
	out->state = HK_PROC_RUNNING;
	out->pipe_first = index >= ACL ? ACL : -1;
	out->pipe_next = index == ACL ? ECHO : -1;
	if (index >= ACL)
		strcpy(out->pipe, "p");
	return 0;
}

/* --- pages ----------------------------------------------------------------------------- */

/* Even slots are pages; odd ones are inaccessible guards. */
static void map_window(void)
{
	static int done;
	if (done)
		return;
	void *w = mmap((void *)HK_PKT_BASE, (size_t)HK_PKT_SLOTS * HK_PKT_SIZE,
	               PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	assert_true(w == (void *)HK_PKT_BASE);
	for (unsigned s = 1; s < HK_PKT_SLOTS; s += 2)
		assert_int_equal(mprotect((char *)w + (size_t)s * HK_PKT_SIZE, HK_PKT_SIZE, PROT_NONE), 0);
	done = 1;
}

static unsigned next_slot;

/* A clean page (even slot), its packet at off. */
static struct hk_pkt page(uint16_t off)
{
	struct hk_pkt p = {.slot = (uint16_t)(next_slot), .off = off};
	next_slot = (next_slot + 2) % HK_PKT_SLOTS;
	memset(hk_pkt_page(p), 0, HK_PKT_SIZE);
	return p;
}

/* An Ethernet frame to the node carrying the IPv6 packet ip[0..len) at RX's offset. */
static struct hk_pkt frame(const uint8_t *ip, size_t len, const struct net_mac *dst)
{
	struct hk_pkt p = page(RX_OFF + 12);
	uint8_t *f = hk_pkt_data(p);
	net_eth_write(f, dst, &host_mac, NET_ETHERTYPE_IPV6);
	memcpy(f + NET_ETH_HDR, ip, len);
	p.len = (uint16_t)(NET_ETH_HDR + len);
	return p;
}

static size_t udp(uint8_t *ip, const struct hk_addr *src, const struct hk_addr *dst, uint16_t dport,
                  size_t n)
{
	memset(ip + KAN_UDP_OFF, 0x42, n);
	return kan_udp_build(ip, 2000, src, dst, 4000, dport, n);
}

static size_t echo_request(uint8_t *ip, const struct hk_addr *src, const struct hk_addr *dst)
{
	uint8_t *m = ip + HK_IPV6_HDR;
	memset(m, 0, 16);
	m[0] = NET_ICMP6_ECHO_REQUEST;
	kan_put16(m + 4, 0x1234);
	kan_ip6_hdr_write(ip, 16, 58, src, dst);
	kan_put16(m + 2, kan_l4_checksum(src, dst, 58, m, 16));
	return HK_IPV6_HDR + 16;
}

/* --- the router under test --------------------------------------------------------------- */

static struct router rt;

static int setup(void **state)
{
	(void)state;
	map_window();
	memset(&rt, 0, sizeof(rt));
	char *argv[] = {"netmac", "ra", "steer=udp:9@acl",
	                "route=fd00:6b61:6e00:2::/64@fd00:6b61:6e00:ff::3", NULL};
	rt.mtu = 1500;
	assert_int_equal(router_init(&rt, &node_mac, 4, argv), 0);
	return 0;
}

/* The host tells the router its MAC (an NS for the link address with its address option). */
static void learn_host(void)
{
	uint8_t ip[200];
	size_t n = net_ndp_build_ns(ip, sizeof(ip), &host, &link_addr, &host_mac);
	assert_true(n > 0);
	struct hk_addr sn;
	struct net_mac mm;
	net_solicited_node(&link_addr, &sn);
	net_mac_of_mcast(&sn, &mm);
	struct hk_pkt p = frame(ip, n, &mm);
	assert_int_equal(router_from_wire(&rt, &p), V_WIRE);
}

/* p holds an Ethernet frame to `to` carrying a checked IPv6 packet; returns that packet. */
static const uint8_t *wire_out(struct hk_pkt p, const struct net_mac *to, struct net_ip6_info *in)
{
	const uint8_t *f = hk_pkt_data(p);
	assert_true(p.off + p.len <= HK_PKT_SIZE && p.off >= 26); /* room for the virtio header */
	assert_memory_equal(f, to->b, 6);
	assert_memory_equal(f + 6, node_mac.b, 6);
	assert_int_equal(kan_get16(f + 12), NET_ETHERTYPE_IPV6);
	assert_int_equal(net_ip6_check(f + NET_ETH_HDR, p.len - NET_ETH_HDR, in), NET_PASS);
	return f + NET_ETH_HDR;
}

static void test_ndp(void **state)
{
	(void)state;
	uint8_t ip[200];
	struct net_ip6_info in;
	struct net_ndp m;
	struct hk_addr kan_target = entry_addr(ECHO, 0), sn;
	struct net_mac mm;
	/* an NS for a KAN address: a proxy NA, router flag, no override */
	size_t n = net_ndp_build_ns(ip, sizeof(ip), &host, &kan_target, &host_mac);
	net_solicited_node(&kan_target, &sn);
	net_mac_of_mcast(&sn, &mm);
	struct hk_pkt p = frame(ip, n, &mm);
	assert_int_equal(router_from_wire(&rt, &p), V_WIRE);
	const uint8_t *na = wire_out(p, &host_mac, &in);
	assert_int_equal(net_ndp_parse(na, &in, &m), NET_PASS);
	assert_int_equal(m.type, NET_ICMP6_NA);
	assert_true(kan_addr_eq(&m.target, &kan_target));
	assert_int_equal(m.na_flags, NET_NA_ROUTER | NET_NA_SOLICITED);
	assert_memory_equal(m.lla.b, node_mac.b, 6);
	/* for its own link address: override set, from that address */
	n = net_ndp_build_ns(ip, sizeof(ip), &host, &link_addr, &host_mac);
	p = frame(ip, n, &mm);
	assert_int_equal(router_from_wire(&rt, &p), V_WIRE);
	na = wire_out(p, &host_mac, &in);
	assert_int_equal(net_ndp_parse(na, &in, &m), NET_PASS);
	assert_int_equal(m.na_flags, NET_NA_ROUTER | NET_NA_SOLICITED | NET_NA_OVERRIDE);
	assert_true(kan_addr_eq(kan_hdr_src(na), &link_addr));
	/* an NS for an address it does not serve: nothing, and not a drop */
	n = net_ndp_build_ns(ip, sizeof(ip), &host, &far, &host_mac);
	p = frame(ip, n, &mm);
	uint64_t drops = rt.c.drops[NET_DROP_NDP_INVALID];
	assert_int_equal(router_from_wire(&rt, &p), V_DROP);
	assert_int_equal(rt.c.drops[NET_DROP_NDP_INVALID], drops);
	/* hop limit 254: invalid, counted */
	n = net_ndp_build_ns(ip, sizeof(ip), &host, &link_addr, &host_mac);
	ip[7] = 254;
	p = frame(ip, n, &mm);
	assert_int_equal(router_from_wire(&rt, &p), V_DROP);
	assert_int_equal(rt.c.drops[NET_DROP_NDP_INVALID], drops + 1);
}

static void test_forwarding(void **state)
{
	(void)state;
	uint8_t ip[2000];
	struct net_ip6_info in;
	learn_host();
	/* to the pipeline's address: by next hop to its first stage, hop limit - 1 */
	struct hk_addr echo = entry_addr(ECHO, 0), acl = entry_addr(ACL, 0);
	size_t n = udp(ip, &host, &echo, 7, 100);
	struct hk_pkt p = frame(ip, n, &node_mac);
	assert_int_equal(router_from_wire(&rt, &p), V_VIA);
	assert_int_equal(p.ep, hk_via(ACL, 0));
	assert_int_equal(kan_hdr_check(hk_pkt_page(p), p.off, p.len), KAN_HDR_OK);
	assert_int_equal(((uint8_t *)hk_pkt_data(p))[7], 63);
	/* another KAN address: by destination */
	n = udp(ip, &host, &acl, 7, 100);
	p = frame(ip, n, &node_mac);
	assert_int_equal(router_from_wire(&rt, &p), V_KAN);
	/* UDP port 9 anywhere in the prefix: steered to acl */
	n = udp(ip, &host, &echo, 9, 10);
	p = frame(ip, n, &node_mac);
	assert_int_equal(router_from_wire(&rt, &p), V_VIA);
	assert_int_equal(p.ep, hk_via(ACL, 0));
	/* hop limit 1: a Time Exceeded back to the host, from the link address */
	n = udp(ip, &host, &acl, 7, 100);
	ip[7] = 1;
	p = frame(ip, n, &node_mac);
	assert_int_equal(router_from_wire(&rt, &p), V_WIRE);
	const uint8_t *e = wire_out(p, &host_mac, &in);
	assert_int_equal(e[in.l4_off], 3);
	assert_true(kan_addr_eq(kan_hdr_src(e), &link_addr));
	/* no route: Destination Unreachable code 0 */
	struct hk_addr nowhere = {{0x20, 0x01, 0x0d, 0xb8, [15] = 9}};
	n = udp(ip, &host, &nowhere, 7, 100);
	p = frame(ip, n, &node_mac);
	assert_int_equal(router_from_wire(&rt, &p), V_WIRE);
	e = wire_out(p, &host_mac, &in);
	assert_int_equal(e[in.l4_off], 1);
	assert_int_equal(e[in.l4_off + 1], 0);
	/* an echo request to the router: answered from the address asked */
	n = echo_request(ip, &host, &link_addr);
	p = frame(ip, n, &node_mac);
	assert_int_equal(router_from_wire(&rt, &p), V_WIRE);
	e = wire_out(p, &host_mac, &in);
	assert_int_equal(e[in.l4_off], NET_ICMP6_ECHO_REPLY);
	assert_int_equal(net_icmp6_check(e, &in), NET_PASS);
}

static void test_from_kan(void **state)
{
	(void)state;
	struct net_ip6_info in;
	struct hk_addr echo = entry_addr(ECHO, 0);
	learn_host();
	/* an answer to the host: out on the wire, Ethernet header pushed */
	struct hk_pkt p = page(HK_PKT_HEADROOM);
	p.len = (uint16_t)udp(hk_pkt_data(p), &echo, &host, 4000, 300);
	assert_int_equal(router_from_kan(&rt, &p), V_WIRE);
	wire_out(p, &host_mac, &in);
	assert_int_equal(in.hop_limit, 63);
	/* larger than the link MTU: Packet Too Big to the sender, on the KAN */
	p = page(HK_PKT_HEADROOM);
	p.len = (uint16_t)udp(hk_pkt_data(p), &echo, &host, 4000, 1600);
	assert_int_equal(router_from_kan(&rt, &p), V_KAN);
	const uint8_t *e = hk_pkt_data(p);
	assert_int_equal(kan_hdr_check(hk_pkt_page(p), p.off, p.len), KAN_HDR_OK);
	assert_true(kan_addr_eq(kan_hdr_dst(e), &echo));
	assert_int_equal(e[40], 2);
	assert_int_equal(kan_get32(e + 44), 1500);
	/* to the other node's prefix: held for the gateway's address, an NS goes out */
	p = page(HK_PKT_HEADROOM);
	p.len = (uint16_t)udp(hk_pkt_data(p), &echo, &far, 4000, 50);
	assert_int_equal(router_from_kan(&rt, &p), V_HOLD);
	struct hk_pkt ns = page(HK_PKT_HEADROOM), dropped[NBR_MAX];
	unsigned nd = 0;
	assert_int_equal(router_tick(&rt, 0, &ns, 1, dropped, &nd), 1);
	const uint8_t *s = hk_pkt_data(ns) + NET_ETH_HDR;
	assert_int_equal(s[40], NET_ICMP6_NS);
	assert_memory_equal(s + 48, gw.b, 16);
	/* the gateway answers: the packet comes out addressed to its MAC */
	static const struct net_mac gw_mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x57}};
	uint8_t ip[200];
	size_t n = net_ndp_build_na(ip, sizeof(ip), &gw, &link_addr, &gw, &gw_mac,
	                            NET_NA_ROUTER | NET_NA_SOLICITED | NET_NA_OVERRIDE);
	struct hk_pkt na = frame(ip, n, &node_mac);
	assert_int_equal(router_from_wire(&rt, &na), V_DROP); /* taken in */
	struct hk_pkt out;
	assert_int_equal(router_released(&rt, &out), 1);
	assert_int_equal(out.slot, p.slot);
	wire_out(out, &gw_mac, &in);
	assert_int_equal(router_released(&rt, &out), 0);
	/* nothing routes there: unreachable, back on the KAN */
	p = page(HK_PKT_HEADROOM);
	struct hk_addr nowhere = {{0x20, 0x01, 0x0d, 0xb8, [15] = 9}};
	p.len = (uint16_t)udp(hk_pkt_data(p), &echo, &nowhere, 4000, 50);
	assert_int_equal(router_from_kan(&rt, &p), V_KAN);
	assert_int_equal(((uint8_t *)hk_pkt_data(p))[40], 1);
}

/* One mutation of a seed: a few random bytes, a cut, or a length field bent. */
static size_t mutate(uint8_t *b, size_t n, size_t cap)
{
	switch (rndn(4)) {
	case 0:
		for (unsigned k = 1 + rndn(4); k--;)
			b[rndn((unsigned)n)] = (uint8_t)rnd();
		return n;
	case 1: return rndn((unsigned)n + 1);
	case 2: kan_put16(b + NET_ETH_HDR + 4, (uint16_t)rnd()); return n;
	default: {
		size_t m = n + rndn(64);
		m = m > cap ? cap : m;
		for (size_t i = n; i < m; i++)
			b[i] = (uint8_t)rnd();
		return m;
	}
	}
}

/* What the driver would do with p after verdict v: check it is acceptable, count it. */
static void check_verdict(enum rtr_verdict v, struct hk_pkt p, unsigned *held)
{
	struct net_ip6_info in;
	switch (v) {
	case V_WIRE:
		assert_true(p.off >= 26 && p.off + p.len <= HK_PKT_SIZE);
		assert_true(p.len >= NET_ETH_HDR + HK_IPV6_HDR && p.len <= NET_ETH_HDR + 1500);
		assert_int_equal(net_ip6_check((uint8_t *)hk_pkt_data(p) + NET_ETH_HDR,
		                               p.len - NET_ETH_HDR, &in), NET_PASS);
		return;
	case V_KAN:
	case V_VIA:
		assert_int_equal(kan_hdr_check(hk_pkt_page(p), p.off, p.len), KAN_HDR_OK);
		return;
	case V_HOLD: (*held)++; return;
	case V_DROP:
	case V_LEND:
	case V_MGMT: return;
	}
	fail_msg("verdict %d", v);
}

static uint64_t drops_total(void)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < NET_DROP_COUNT; i++)
		t += rt.c.drops[i];
	return t;
}

static void test_fuzz(void **state)
{
	(void)state;
	uint8_t seeds[8][1600], b[1700];
	size_t len[8];
	struct hk_addr echo = entry_addr(ECHO, 0), acl = entry_addr(ACL, 0), sn;
	struct net_mac mm;
	net_solicited_node(&link_addr, &sn);
	net_mac_of_mcast(&sn, &mm);
	uint8_t ip[1600];
	size_t n;
#define SEED(i, m, expr)                                                                          \
	do {                                                                                      \
		n = (expr);                                                                       \
		net_eth_write(seeds[i], (m), &host_mac, NET_ETHERTYPE_IPV6);                      \
		memcpy(seeds[i] + NET_ETH_HDR, ip, n);                                            \
		len[i] = NET_ETH_HDR + n;                                                         \
	} while (0)
	SEED(0, &mm, net_ndp_build_ns(ip, sizeof(ip), &host, &link_addr, &host_mac));
	SEED(1, &node_mac, net_ndp_build_na(ip, sizeof(ip), &host, &link_addr, &host, &host_mac, 0x60));
	SEED(2, &node_mac, echo_request(ip, &host, &link_addr));
	SEED(3, &node_mac, udp(ip, &host, &echo, 7, 1200));
	SEED(4, &node_mac, udp(ip, &host, &acl, 9, 64));
	SEED(5, &node_mac, udp(ip, &host, &link_addr, NET_STATS_PORT, 5));
	SEED(6, &node_mac, udp(ip, &host, &far, 7, 300));
	SEED(7, &mm, net_ndp_build_ns(ip, sizeof(ip), &host, &echo, &host_mac));
	rng_state = 0x5eed0f0ddull;
	unsigned held = 0;
	uint64_t passed = 0, rx0 = rt.c.rx_frames, d0 = drops_total(), t0 = rt.c.taken;
	for (unsigned round = 0; round < 200000; round++) {
		unsigned s = rndn(8);
		memcpy(b, seeds[s], len[s]);
		size_t m = mutate(b, len[s], sizeof(b));
		struct hk_pkt p = page(RX_OFF + 12);
		memcpy(hk_pkt_data(p), b, m);
		p.len = (uint16_t)m;
		enum rtr_verdict v = router_from_wire(&rt, &p);
		check_verdict(v, p, &held);
		passed += v == V_WIRE || v == V_KAN || v == V_VIA || v == V_HOLD;
		struct hk_pkt out;
		while (router_released(&rt, &out))
			check_verdict(V_WIRE, out, &held);
		if (round % 1000 == 0) { /* the once-a-second work: retries give up */
			struct hk_pkt ns[4] = {page(HK_PKT_HEADROOM), page(HK_PKT_HEADROOM),
			                       page(HK_PKT_HEADROOM), page(HK_PKT_HEADROOM)},
			              dropped[NBR_MAX];
			unsigned nd = 0, used = router_tick(&rt, 1, ns, 4, dropped, &nd);
			for (unsigned k = 0; k < used; k++)
				check_verdict(V_WIRE, ns[k], &held);
		}
	}
	/* every frame was passed on (or answered), taken in, or counted as a drop
	 * (an error sent back counts as both a drop and an answer): none vanished */
	assert_int_equal(rt.c.rx_frames - rx0, 200000);
	uint64_t dropped = drops_total() - d0, taken = rt.c.taken - t0;
	assert_true(passed + dropped + taken >= 200000);
	printf("fuzz: 200000 mutated frames: %llu passed on, %llu dropped by reason\n",
	       (unsigned long long)passed, (unsigned long long)dropped);
	/* and from the KAN: any mutated packet the kernel accepted */
	for (unsigned round = 0; round < 100000; round++) {
		unsigned s = 3 + rndn(4);
		memcpy(b, seeds[s] + NET_ETH_HDR, len[s] - NET_ETH_HDR);
		size_t k = mutate(b, len[s] - NET_ETH_HDR, sizeof(b));
		struct hk_pkt p = page(HK_PKT_HEADROOM);
		memcpy(hk_pkt_data(p), b, k);
		p.len = (uint16_t)k;
		if (kan_hdr_check(hk_pkt_page(p), p.off, p.len) != KAN_HDR_OK)
			continue; /* the kernel refuses it before the router sees it */
		check_verdict(router_from_kan(&rt, &p), p, &held);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_ndp, setup),
	    cmocka_unit_test_setup(test_forwarding, setup),
	    cmocka_unit_test_setup(test_from_kan, setup),
	    cmocka_unit_test_setup(test_fuzz, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
