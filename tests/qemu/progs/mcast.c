// SPDX-License-Identifier: BSD-2-Clause
/*
 * KAN multicast test roles (argv[1]); the group is ff15::4b41:4e01.
 *   send N NMEMB W   wait for NMEMB+1 members to say ready (the extra one,
 *                    entry W, is `write`), then N rounds: one packet to the
 *                    group, an ack from each of NMEMB members; after every
 *                    round exactly one page is in flight on the node (the
 *                    one `member keep` still holds), so the members shared
 *                    one page and it was not copied; after round 0 it
 *                    waits for W to have died of its fault
 *   member SENDER [keep]  join, say ready, check and ack every packet; with
 *                    keep, free each packet only when the next one arrives
 *   write SENDER     join, say ready, then write to the first packet: the
 *                    page is mapped read-only, so this must fault
 * Exit status 0 means every check held.
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP   0xffffffffffffffffull
#define LIMIT  10000000u /* us: any single wait longer than this is a failure */
#define HELLO  0xfffffffffffffffeull

static const struct hk_addr group = {
	{0xff, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x4b, 0x41, 0x4e, 0x01}};

static uint8_t pattern(uint64_t seq, unsigned i) { return (uint8_t)(seq * 29u + i * 13u + 5u); }
static unsigned len_for(uint64_t r) { return 56 + (unsigned)(r * 53 % (HK_PKT_SIZE - 300)); }

/* A packet from this process's primary address to `to`: seq, then pattern bytes up to len. */
static struct hk_pkt make(const struct hk_addr *to, uint64_t seq, unsigned len)
{
	int64_t v = hk_kan_alloc1();
	if (v < 0)
		hk_fail("alloc: %s", hk_strerror((int)v));
	struct hk_pkt p = hk_pkt_unpack((uint64_t)v);
	uint8_t *ip = hk_pkt_data(p);
	hk_ip6_header(ip, &hk_kan()->addr, to, HK_IPPROTO_TEST, (uint16_t)(len - HK_IPV6_HDR));
	memcpy(ip + HK_IPV6_HDR, &seq, 8);
	for (unsigned i = HK_IPV6_HDR + 8; i < len; i++)
		ip[i] = pattern(seq, i);
	p.len = (uint16_t)len;
	return p;
}

static void send(struct hk_pkt p)
{
	int64_t rc = hk_kan_send1(hk_pkt_pack(p), 0);
	if (rc)
		hk_fail("send: %s", hk_strerror((int)rc));
}

static struct hk_pkt recv_on(uint32_t ep)
{
	int64_t v = hk_kan_recv1(ep, LIMIT);
	if (v < 0)
		hk_fail("recv: %s", hk_strerror((int)v));
	return hk_pkt_unpack((uint64_t)v);
}

static uint64_t seq_of(struct hk_pkt p)
{
	uint64_t s;
	memcpy(&s, (const uint8_t *)hk_pkt_data(p) + HK_IPV6_HDR, 8);
	return s;
}

/* The packet came from `from` to `to` and its bytes are those of round seq. */
static void check(struct hk_pkt p, const struct hk_addr *from, const struct hk_addr *to,
                  uint64_t seq)
{
	const uint8_t *ip = hk_pkt_data(p);
	unsigned len = seq == STOP ? 48 : len_for(seq);
	if (memcmp(ip + 8, from, 16) || memcmp(ip + 24, to, 16))
		hk_fail("round %llu: wrong addresses", (unsigned long long)seq);
	if (p.len != len || seq_of(p) != seq)
		hk_fail("round %llu: got length %u seq %llu", (unsigned long long)seq, p.len,
		        (unsigned long long)seq_of(p));
	for (unsigned i = HK_IPV6_HDR + 8; i < len; i++)
		if (ip[i] != pattern(seq, i))
			hk_fail("round %llu: byte %u differs", (unsigned long long)seq, i);
}

static uint64_t node_in_flight(void)
{
	struct hk_kan_node n;
	int64_t rc = hk_kan_stat(HK_STAT_NODE, 0, &n);
	if (rc)
		hk_fail("kan_stat: %s", hk_strerror((int)rc));
	return n.in_flight;
}

/* Wait for k acks of round seq on the primary endpoint. */
static void acks(unsigned k, uint64_t seq)
{
	for (unsigned i = 0; i < k; i++) {
		struct hk_pkt a = recv_on(hk_kan()->ep);
		if (seq_of(a) != seq)
			hk_fail("ack of %llu while waiting for %llu", (unsigned long long)seq_of(a),
			        (unsigned long long)seq);
		hk_kan_free1(hk_pkt_pack(a));
	}
}

/* Wait (bounded) until manifest entry `name` has run and ended. */
static void await_end(const char *name)
{
	for (int tries = 0; tries < 1000; tries++) {
		struct hk_proc_info info;
		for (unsigned i = 0; !hk_proc_info(i, &info); i++)
			if (!strcmp(info.name, name) && info.spawns && info.pid < 0)
				return;
		hk_sleep_us(10000);
	}
	hk_fail("%s never ended", name);
}

static int sender(unsigned long n, unsigned members, const char *writer_name)
{
	acks(members + 1, HELLO);
	for (uint64_t r = 0; r < n; r++) {
		send(make(&group, r, len_for(r)));
		acks(members, r);
		if (r == 0) /* it holds round 0 too, and must not hold later rounds */
			await_end(writer_name);
		uint64_t f = node_in_flight();
		if (f != 1)
			hk_fail("round %llu: %llu pages in flight after every member acked, want 1",
			        (unsigned long long)r, (unsigned long long)f);
	}
	struct hk_pkt stop = make(&group, STOP, 48);
	send(stop);
	acks(members, STOP);
	printf("mcast: send: %lu packets to %u members, every copy checked, one shared page in "
	       "flight per round\n",
	       n, members);
	return 0;
}

/* Join the group and tell the sender. The group endpoint's handle. */
static uint32_t join(const struct hk_addr *sender_addr)
{
	int64_t ep = hk_kan_join(&group, 128);
	if (ep < 0)
		hk_fail("join: %s", hk_strerror((int)ep));
	struct hk_addr again = group;
	int64_t second = hk_kan_join(&again, 128); /* a process may join twice, and leave */
	if (second < 0 || hk_kan_close((unsigned)second))
		hk_fail("second join or its close refused");
	send(make(sender_addr, HELLO, 56));
	return (uint32_t)ep;
}

static int member(const struct hk_addr *sender_addr, int keep)
{
	uint32_t ep = join(sender_addr);
	struct hk_pkt held = {0};
	int holding = 0;
	for (uint64_t r = 0;; r++) {
		struct hk_pkt p = recv_on(ep);
		uint64_t seq = seq_of(p);
		check(p, sender_addr, &group, seq == STOP ? STOP : r);
		if (holding)
			hk_kan_free1(hk_pkt_pack(held));
		send(make(sender_addr, seq, 56));
		if (keep && seq != STOP) {
			held = p;
			holding = 1;
		} else {
			hk_kan_free1(hk_pkt_pack(p));
			holding = 0;
		}
		if (seq == STOP)
			break;
	}
	return 0;
}

static int writer(const struct hk_addr *sender_addr)
{
	uint32_t ep = join(sender_addr);
	struct hk_pkt p = recv_on(ep);
	check(p, sender_addr, &group, 0);
	printf("mcast: write: got round 0 read-only at %p, writing to it\n", hk_pkt_page(p));
	fflush(stdout);
	*(volatile uint8_t *)hk_pkt_data(p) = 0; /* must fault: members share the page read-only */
	printf("mcast: write to a shared page did not fault\n");
	return 3;
}

int main(int argc, char **argv)
{
	struct hk_addr s;
	if (argc >= 5 && !strcmp(argv[1], "send"))
		return sender(strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10),
		              argv[4]);
	if (argc < 3 || hk_kan_addr_of(argv[2], 0, &s))
		hk_fail("usage: mcast send N NMEMB W | member SENDER [keep] | write SENDER");
	if (!strcmp(argv[1], "member"))
		return member(&s, argc > 3 && !strcmp(argv[3], "keep"));
	if (!strcmp(argv[1], "write"))
		return writer(&s);
	hk_fail("unknown role %s", argv[1]);
}
