// SPDX-License-Identifier: BSD-2-Clause
/*
 * KAN test roles, chosen by argv[1]:
 *   ping PEER N [W]  N round trips with PEER, W packets outstanding (default 1);
 *                    every byte checked
 *   pong             echo every packet back to its source (zero copy) until told to stop
 *   bping PEER N     N rounds of 32-packet batches with PEER (kan_send/kan_recv vectors)
 *   bpong            echo batches back in one kan_send each
 *   flood PEER N     send N packets as fast as possible; never blocks
 *   slow N           receive slowly until received + counted drops = N
 *   wild PEER        send a packet, then write to its page (must fault)
 *   catch            receive wild's packet intact, exit 0
 *   direct N         three threads on one core: a spinner always runnable, a
 *                    receiver blocked on a second endpoint, a sender; N times
 *                    the receiver must run straight after the send, before
 *                    the spinner (rounds with a tick in them are not judged)
 * Exit status 0 means every check held; failures print why and exit 1.
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP_SEQ   0xffffffffffffffffull
#define RECV_LIMIT 10000000u /* us: any single wait longer than this is a failure */

static struct hk_addr peer;

static uint8_t pattern(uint64_t seq, unsigned i) { return (uint8_t)(seq * 131u + i * 7u + 1u); }

/* Packet of len bytes (>= 48): IPv6 header to `to`, 8-byte seq, pattern bytes. */
static void fill(struct hk_pkt p, const struct hk_addr *to, uint64_t seq, unsigned len)
{
	uint8_t *ip = hk_pkt_data(p);
	hk_ip6_header(ip, &hk_kan()->addr, to, HK_IPPROTO_TEST, (uint16_t)(len - HK_IPV6_HDR));
	memcpy(ip + HK_IPV6_HDR, &seq, 8);
	for (unsigned i = HK_IPV6_HDR + 8; i < len; i++)
		ip[i] = pattern(seq, i);
}

/* Check a packet came from `from` with seq and intact content. */
static void check(struct hk_pkt p, const struct hk_addr *from, uint64_t seq, unsigned len)
{
	const uint8_t *ip = hk_pkt_data(p);
	uint64_t got;
	if (p.len != len)
		hk_fail("packet %llu: length %u, want %u", (unsigned long long)seq, p.len, len);
	if (memcmp(ip + 8, from, 16) || memcmp(ip + 24, &hk_kan()->addr, 16))
		hk_fail("packet %llu: wrong addresses", (unsigned long long)seq);
	memcpy(&got, ip + HK_IPV6_HDR, 8);
	if (got != seq)
		hk_fail("packet: seq %llu, want %llu", (unsigned long long)got,
		        (unsigned long long)seq);
	for (unsigned i = HK_IPV6_HDR + 8; i < len; i++)
		if (ip[i] != pattern(seq, i))
			hk_fail("packet %llu: byte %u differs", (unsigned long long)seq, i);
}

static struct hk_pkt alloc1(void)
{
	int64_t v = hk_kan_alloc1();
	if (v < 0)
		hk_fail("kan_alloc1: %s", hk_strerror((int)v));
	return hk_pkt_unpack((uint64_t)v);
}

static struct hk_pkt recv1(void)
{
	int64_t v = hk_kan_recv1(hk_kan()->ep, RECV_LIMIT);
	if (v < 0)
		hk_fail("kan_recv1: %s", hk_strerror((int)v));
	return hk_pkt_unpack((uint64_t)v);
}

static void send1(struct hk_pkt p)
{
	int64_t rc = hk_kan_send1(hk_pkt_pack(p), 0);
	if (rc)
		hk_fail("kan_send1: %s", hk_strerror((int)rc));
}

/* Swap source and destination in place. */
static void turn(struct hk_pkt p)
{
	uint8_t *ip = hk_pkt_data(p), tmp[16];
	memcpy(tmp, ip + 8, 16);
	memcpy(ip + 8, ip + 24, 16);
	memcpy(ip + 24, tmp, 16);
}

static uint64_t seq_of(struct hk_pkt p)
{
	uint64_t s;
	memcpy(&s, (uint8_t *)hk_pkt_data(p) + HK_IPV6_HDR, 8);
	return s;
}

static unsigned len_for(uint64_t i) { return 48 + (unsigned)(i * 37 % (HK_PKT_SIZE - 200)); }

static void stop_peer(void)
{
	struct hk_pkt p = alloc1();
	fill(p, &peer, STOP_SEQ, 48);
	p.len = 48;
	send1(p);
}

/* n round trips, up to `window` packets outstanding (replies come back in order). */
static int ping(unsigned long n, unsigned long window)
{
	uint64_t t0 = hk_time_us(), sent = 0, got = 0;
	while (got < n) {
		while (sent < n && sent - got < window) {
			struct hk_pkt p = alloc1();
			unsigned len = len_for(sent);
			fill(p, &peer, sent, len);
			p.len = (uint16_t)len;
			send1(p);
			sent++;
		}
		struct hk_pkt r = recv1();
		check(r, &peer, got, len_for(got));
		hk_kan_free1(hk_pkt_pack(r));
		got++;
	}
	stop_peer();
	struct hk_self s;
	hk_self(&s);
	printf("kantest: %s: %lu round trips (%lu packets) on core %u, window %lu, content "
	       "verified, %llu ms\n",
	       s.name, n, 2 * n, s.core, window, (unsigned long long)(hk_time_us() - t0) / 1000);
	return 0;
}

static int pong(void)
{
	for (uint64_t n = 0;; n++) {
		struct hk_pkt p = recv1();
		if (seq_of(p) == STOP_SEQ) {
			hk_kan_free1(hk_pkt_pack(p));
			printf("kantest: pong: echoed %llu packets\n", (unsigned long long)n);
			return 0;
		}
		turn(p);
		send1(p);
	}
}

#define B 32
static int bping(unsigned long rounds)
{
	struct hk_pkt v[B];
	for (uint64_t r = 0; r < rounds; r++) {
		int64_t got = hk_kan_alloc(v, B);
		if (got != B)
			hk_fail("kan_alloc %u: %lld", B, (long long)got);
		for (unsigned k = 0; k < B; k++) {
			uint64_t seq = r * B + k;
			fill(v[k], &peer, seq, len_for(seq));
			v[k].len = (uint16_t)len_for(seq);
		}
		int64_t sent = hk_kan_send(v, B, 0);
		if (sent != B)
			hk_fail("kan_send %u: %lld", B, (long long)sent);
		for (unsigned k = 0; k < B;) {
			uint32_t ep = hk_kan()->ep;
			int64_t n = hk_kan_recv(&ep, 1, v, B - k, RECV_LIMIT);
			if (n <= 0)
				hk_fail("kan_recv: %s", hk_strerror((int)n));
			for (int64_t j = 0; j < n; j++, k++) {
				uint64_t seq = r * B + k;
				check(v[j], &peer, seq, len_for(seq));
			}
			if (hk_kan_free(v, (unsigned)n) != n)
				hk_fail("kan_free");
		}
	}
	stop_peer();
	printf("kantest: bping: %lu rounds of %u packets each way, content verified\n", rounds, B);
	return 0;
}

static int bpong(void)
{
	struct hk_pkt v[B];
	uint32_t ep = hk_kan()->ep;
	for (uint64_t total = 0;;) {
		int64_t n = hk_kan_recv(&ep, 1, v, B, RECV_LIMIT);
		if (n <= 0)
			hk_fail("kan_recv: %s", hk_strerror((int)n));
		for (int64_t j = 0; j < n; j++) {
			if (seq_of(v[j]) == STOP_SEQ) {
				printf("kantest: bpong: echoed %llu packets\n",
				       (unsigned long long)total);
				return 0;
			}
			turn(v[j]);
		}
		if (hk_kan_send(v, (unsigned)n, 0) != n)
			hk_fail("kan_send of %lld", (long long)n);
		total += (uint64_t)n;
	}
}

static struct hk_kan_counters stat_of(unsigned kind, unsigned id)
{
	struct hk_kan_counters c;
	int64_t rc = hk_kan_stat(kind, id, &c);
	if (rc)
		hk_fail("kan_stat: %s", hk_strerror((int)rc));
	return c;
}

static int flood(unsigned long n)
{
	unsigned long retries = 0;
	for (uint64_t i = 0; i < n;) {
		int64_t v = hk_kan_alloc1();
		if (v == -HK_ENOBUFS) {
			if (++retries > 1000000)
				hk_fail("flood: quota never came back");
			hk_yield();
			continue;
		}
		if (v < 0)
			hk_fail("alloc: %s", hk_strerror((int)v));
		struct hk_pkt p = hk_pkt_unpack((uint64_t)v);
		fill(p, &peer, i, 64);
		p.len = 64;
		send1(p);
		i++;
	}
	struct hk_self s;
	hk_self(&s);
	struct hk_kan_counters c = stat_of(HK_STAT_PROCESS, (unsigned)s.pid);
	printf("kantest: flood: sent %lu, counted out %llu\n", n, (unsigned long long)c.pkts_out);
	return c.pkts_out == n ? 0 : 1;
}

static int slow(unsigned long n)
{
	uint64_t got = 0, t0 = hk_time_us(), last = 0;
	uint32_t ep = hk_kan()->ep;
	struct hk_pkt v[8];
	for (;;) {
		struct hk_kan_counters c = stat_of(HK_STAT_ENDPOINT, ep);
		uint64_t drops = c.drops[HK_DROP_RING_FULL];
		if (got + drops == n) {
			printf("kantest: slow: sent %lu = received %llu + dropped (ring full) %llu\n",
			       n, (unsigned long long)got, (unsigned long long)drops);
			return drops > 0 && got > 0 ? 0 : 1;
		}
		if (got + drops > n || hk_time_us() - t0 > 60000000u)
			hk_fail("slow: received %llu + dropped %llu != sent %lu",
			        (unsigned long long)got, (unsigned long long)drops, n);
		int64_t k = hk_kan_recv(&ep, 1, v, 8, 20000);
		if (k == -HK_ETIMEDOUT)
			continue;
		if (k < 0)
			hk_fail("slow: recv: %s", hk_strerror((int)k));
		for (int64_t j = 0; j < k; j++) {
			uint64_t s = seq_of(v[j]);
			if (got && s <= last)
				hk_fail("slow: seq %llu after %llu", (unsigned long long)s,
				        (unsigned long long)last);
			last = s;
			check(v[j], &peer, s, 64);
		}
		got += (uint64_t)k;
		hk_kan_free(v, (unsigned)k);
		hk_sleep_us(1000); /* slow on purpose: the ring fills */
	}
}

static int wild(void)
{
	struct hk_pkt p = alloc1();
	fill(p, &peer, 7, 100);
	p.len = 100;
	send1(p);
	printf("kantest: wild: sent, now writing to the page at %p\n", hk_pkt_page(p));
	fflush(stdout);
	*(volatile uint8_t *)hk_pkt_data(p) = 0; /* must fault: the page is gone */
	printf("kantest: wild: write after send did not fault\n");
	return 3;
}

static int catch_one(void)
{
	struct hk_pkt p = recv1();
	struct hk_addr from;
	memcpy(&from, (uint8_t *)hk_pkt_data(p) + 8, 16);
	check(p, &from, 7, 100);
	printf("kantest: catch: got the packet intact\n");
	return 0;
}

static volatile uint64_t spins, seen_spins, seen_ticks;
static uint64_t ticks_here(void);
static volatile int stop_spin;
static uint32_t direct_ep;

static void *spinner(void *arg)
{
	(void)arg;
	while (!stop_spin)
		spins++;
	return NULL;
}

/* Receive on direct_ep, note the spinner's count at once, ack to the primary. */
static void *direct_rx(void *arg)
{
	unsigned long n = (unsigned long)(uintptr_t)arg;
	for (unsigned long i = 0; i < n; i++) {
		int64_t v = hk_kan_recv1(direct_ep, RECV_LIMIT);
		seen_spins = spins;
		seen_ticks = ticks_here();
		if (v < 0)
			hk_fail("direct: recv: %s", hk_strerror((int)v));
		struct hk_pkt p = hk_pkt_unpack((uint64_t)v);
		turn(p);
		send1(p);
	}
	return NULL;
}

static uint64_t ticks_here(void)
{
	struct hk_core_stat st;
	hk_core_stat(1, &st);
	return st.ticks;
}

static int direct(unsigned long n)
{
	hk_thread_t *sp, *rx;
	int64_t ep = hk_kan_bind(1, 8);
	if (ep < 0)
		hk_fail("bind: %s", hk_strerror((int)ep));
	direct_ep = (uint32_t)ep;
	struct hk_addr to = hk_kan()->addr;
	to.b[15] = 1;
	if (hk_thread_start(&sp, spinner, NULL) || hk_thread_start(&rx, direct_rx, (void *)n))
		hk_fail("threads");
	unsigned long judged = 0, passed = 0;
	for (unsigned long i = 0; i < n; i++) {
		struct hk_pkt p = alloc1();
		fill(p, &to, i, 64);
		p.len = 64;
		hk_yield(); /* let the receiver get back to waiting */
		uint64_t t0 = ticks_here(), s0 = spins;
		send1(p);
		struct hk_pkt a = recv1(); /* the ack */
		uint64_t s1 = seen_spins;
		hk_kan_free1(hk_pkt_pack(a));
		if (seen_ticks != t0)
			continue; /* a tick between send and receipt may hand the core to the spinner */
		judged++;
		passed += s1 == s0;
	}
	stop_spin = 1;
	hk_thread_join(sp);
	hk_thread_join(rx);
	printf("kantest: direct: %lu of %lu tick-free rounds ran the receiver before the spinner\n",
	       passed, judged);
	return judged >= n / 2 && passed == judged ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		hk_fail("usage: kantest ROLE [PEER] [N]");
	const char *role = argv[1];
	if (argc > 2 && strcmp(role, "slow") && strcmp(role, "direct") &&
	    hk_kan_addr_of(argv[2], 0, &peer))
		hk_fail("%s: no process named %s", role, argv[2]);
	unsigned long n = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
	if (!strcmp(role, "ping"))
		return ping(n, argc > 4 ? strtoul(argv[4], NULL, 10) : 1);
	if (!strcmp(role, "pong"))
		return pong();
	if (!strcmp(role, "bping"))
		return bping(n);
	if (!strcmp(role, "bpong"))
		return bpong();
	if (!strcmp(role, "flood"))
		return flood(n);
	if (!strcmp(role, "slow")) {
		if (argc < 4 || hk_kan_addr_of(argv[3], 0, &peer))
			hk_fail("slow N SENDER");
		return slow(strtoul(argv[2], NULL, 10));
	}
	if (!strcmp(role, "wild"))
		return wild();
	if (!strcmp(role, "catch"))
		return catch_one();
	if (!strcmp(role, "direct"))
		return direct(strtoul(argv[2], NULL, 10));
	hk_fail("unknown role %s", role);
}
