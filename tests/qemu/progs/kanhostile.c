// SPDX-License-Identifier: BSD-2-Clause
/*
 * Every way a process can misuse the KAN calls, one by one, each with the
 * error it must get and the counter that must move; then quotas. Runs with
 * kan-quota=8 and kan-endpoints=4 (tests/qemu/manifests/kan-hostile.manifest).
 * Ends holding nothing: the supervisor's pool check sees every page back.
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <stdio.h>
#include <string.h>

static unsigned checks;
static struct hk_addr other;  /* init's address: not ours (nothing is ever delivered to it) */
static struct hk_addr nobody; /* in the prefix, bound by no one */

#define EXPECT(call, want)                                                                         \
	do {                                                                                       \
		int64_t r_ = (call);                                                               \
		if (r_ != (want))                                                                  \
			hk_fail("line %d: %s returned %lld (%s), want %lld", __LINE__, #call,      \
			        (long long)r_, r_ < 0 ? hk_strerror((int)r_) : "ok",               \
			        (long long)(want));                                                \
		checks++;                                                                          \
	} while (0)

static struct hk_kan_counters mine(void)
{
	struct hk_self s;
	struct hk_kan_counters c;
	hk_self(&s);
	if (hk_kan_stat(HK_STAT_PROCESS, (unsigned)s.pid, &c))
		hk_fail("kan_stat(self)");
	return c;
}

static struct hk_kan_counters ep_counters(uint32_t h)
{
	struct hk_kan_counters c;
	EXPECT(hk_kan_stat(HK_STAT_ENDPOINT, h, &c), 0);
	return c;
}

static struct hk_pkt alloc1(void)
{
	int64_t v = hk_kan_alloc1();
	if (v < 0)
		hk_fail("alloc1: %s", hk_strerror((int)v));
	return hk_pkt_unpack((uint64_t)v);
}

/* A valid packet from us to dst, 100 bytes. */
static struct hk_pkt good(const struct hk_addr *dst)
{
	struct hk_pkt p = alloc1();
	hk_ip6_header(hk_pkt_data(p), &hk_kan()->addr, dst, HK_IPPROTO_TEST, 60);
	p.len = 100;
	return p;
}

static uint8_t *ip(struct hk_pkt p) { return hk_pkt_data(p); }

/* Each malformed-header class is refused, counted, and leaves the page with us. */
static void bad_headers(void)
{
	static const struct hk_addr mcast = {{0xff, 0x02, [15] = 1}}, unspec = {{0}};
	uint64_t before = mine().drops[HK_DROP_BAD_HEADER];
	struct hk_pkt p = good(&other), q;
	q = p, q.off = 4000, q.len = 100; /* runs past the page */
	EXPECT(hk_kan_send1(hk_pkt_pack(q), 0), -HK_EBADPKT);
	q = p, q.len = 0;
	EXPECT(hk_kan_send1(hk_pkt_pack(q), 0), -HK_EBADPKT);
	q = p, q.len = 39;
	EXPECT(hk_kan_send1(hk_pkt_pack(q), 0), -HK_EBADPKT);
	q = p, q.len = 101; /* payload length says 60 */
	EXPECT(hk_kan_send1(hk_pkt_pack(q), 0), -HK_EBADPKT);
	q = p, q.len = 99;
	EXPECT(hk_kan_send1(hk_pkt_pack(q), 0), -HK_EBADPKT);
	ip(p)[0] = 0x45; /* IPv4 */
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), -HK_EBADPKT);
	ip(p)[0] = 0x60;
	ip(p)[7] = 0; /* hop limit */
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), -HK_EBADPKT);
	ip(p)[7] = 64;
	memcpy(ip(p) + 8, &mcast, 16);
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), -HK_EBADPKT);
	memcpy(ip(p) + 8, &unspec, 16);
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), -HK_EBADPKT);
	memcpy(ip(p) + 8, &hk_kan()->addr, 16);
	memcpy(ip(p) + 24, &unspec, 16);
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), -HK_EBADPKT);
	if (mine().drops[HK_DROP_BAD_HEADER] != before + 10)
		hk_fail("bad-header drops %llu, want %llu",
		        (unsigned long long)mine().drops[HK_DROP_BAD_HEADER],
		        (unsigned long long)before + 10);
	EXPECT(hk_kan_free1(hk_pkt_pack(p)), 0); /* still ours after every refusal */
}

/* Sources that are not ours: refused, counted, page kept. */
static void spoofing(void)
{
	static const struct hk_addr outside = {{0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
	struct hk_addr unbound = hk_kan()->addr;
	unbound.b[15] = 9; /* our own plan, but never bound */
	uint64_t before = mine().drops[HK_DROP_SPOOFED];
	struct hk_pkt p = good(&other);
	const struct hk_addr *srcs[] = {&other, &outside, &unbound};
	for (unsigned i = 0; i < 3; i++) {
		memcpy(ip(p) + 8, srcs[i], 16);
		EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), -HK_ESPOOF);
	}
	if (mine().drops[HK_DROP_SPOOFED] != before + 3)
		hk_fail("spoof drops did not count 3");
	EXPECT(hk_kan_free1(hk_pkt_pack(p)), 0);
	printf("kanhostile: spoofed sources refused and counted: %llu\n",
	       (unsigned long long)mine().drops[HK_DROP_SPOOFED]);
}

/* Descriptors and handles that are not ours. */
static void bad_descriptors(void)
{
	struct hk_pkt p = {.slot = HK_PKT_SLOTS, .off = 0, .len = 100};
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), -HK_EINVAL);
	p.slot = 5; /* in range, holds nothing */
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), -HK_EINVAL);
	EXPECT(hk_kan_free1(hk_pkt_pack(p)), -HK_EINVAL);
	struct hk_pkt g = good(&other);
	EXPECT(hk_kan_send1(hk_pkt_pack(g), 4), -HK_EINVAL); /* unknown flag */
	EXPECT(hk_kan_free1(hk_pkt_pack(g)), 0);
	EXPECT(hk_kan_free1(hk_pkt_pack(g)), -HK_EINVAL); /* twice */
	/* a vector stops at its first bad entry and says how many went */
	struct hk_pkt v[3] = {good(&nobody), p, good(&nobody)};
	EXPECT(hk_kan_send(v, 3, 0), 1);
	EXPECT(hk_kan_send(&v[1], 2, 0), -HK_EINVAL);
	EXPECT(hk_kan_free(&v[2], 1), 1);
	EXPECT(hk_kan_send(v, 0, 0), -HK_EINVAL);
	EXPECT(hk_kan_send(v, HK_KAN_BATCH + 1, 0), -HK_E2BIG);
	EXPECT(hk_kan_send((struct hk_pkt *)0x10, 1, 0), -HK_EFAULT);
	EXPECT(hk_kan_alloc((struct hk_pkt *)(uintptr_t)&bad_headers, 1), -HK_EFAULT); /* read-only */
	uint32_t ep = hk_kan()->ep, far = HK_KAN_MAX_EPS + 5, eps[HK_KAN_WAIT_MAX + 1] = {0};
	struct hk_pkt out[4];
	EXPECT(hk_kan_recv(&ep, 1, out, 4, 0), -HK_EAGAIN);
	EXPECT(hk_kan_recv(&far, 1, out, 4, 0), -HK_ENOENT);
	EXPECT(hk_kan_recv(&ep, 0, out, 4, 0), -HK_EINVAL);
	EXPECT(hk_kan_recv(eps, HK_KAN_WAIT_MAX + 1, out, 4, 0), -HK_E2BIG);
	EXPECT(hk_kan_recv(&ep, 1, out, 0, 0), -HK_EINVAL);
	EXPECT(hk_kan_recv(&ep, 1, out, HK_KAN_BATCH + 1, 0), -HK_E2BIG);
	EXPECT(hk_kan_recv(&ep, 1, (struct hk_pkt *)(uintptr_t)&bad_headers, 4, 0), -HK_EFAULT);
	EXPECT(hk_kan_recv1(ep, 30000), -HK_ETIMEDOUT);
	EXPECT(hk_kan_recv1(0, 0), -HK_ENOENT); /* init's endpoint, not ours */
	EXPECT(hk_kan_stat(7, 0, out), -HK_EINVAL);
	EXPECT(hk_kan_stat(HK_STAT_PROCESS, 0, out), -HK_ESRCH);
	EXPECT(hk_kan_stat(HK_STAT_ENDPOINT, HK_KAN_MAX_EPS, out), -HK_ENOENT);
}

/* Unknown destinations are dropped and counted: the page goes back to the pool. */
static void no_route(void)
{
	static const struct hk_addr outside = {{0x20, 0x01, 0x0d, 0xb8, [15] = 2}};
	uint64_t before = mine().drops[HK_DROP_NO_ROUTE];
	struct hk_pkt p = good(&nobody);
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), 0);
	EXPECT(hk_kan_free1(hk_pkt_pack(p)), -HK_EINVAL); /* gone */
	p = good(&outside); /* off the prefix, and this node has no uplink */
	EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), 0);
	if (mine().drops[HK_DROP_NO_ROUTE] != before + 2)
		hk_fail("no-route drops did not count 2");
}

static void binds(void)
{
	EXPECT(hk_kan_bind(0x10001, 8), -HK_E2BIG);
	/* <prefix>::2 is the management service's, and we are not it (no mgmt key) */
	EXPECT(hk_kan_bind(HK_KAN_BIND_MGMT, 8), -HK_EPERM);
	EXPECT(hk_kan_bind(1, 3), -HK_EINVAL);
	EXPECT(hk_kan_bind(1, 1), -HK_EINVAL);
	EXPECT(hk_kan_bind(1, 1024), -HK_E2BIG);
	EXPECT(hk_kan_bind(0, 8), -HK_EEXIST); /* the primary */
	int64_t a = hk_kan_bind(1, 8), b = hk_kan_bind(2, 8), c = hk_kan_bind(3, 8);
	if (a < 0 || b < 0 || c < 0)
		hk_fail("bind 1..3 failed");
	EXPECT(hk_kan_bind(1, 8), -HK_EEXIST);
	EXPECT(hk_kan_bind(4, 8), -HK_ETOOMANY); /* kan-endpoints=4 */
	/* kan_join: a group address only, a valid depth, a readable pointer, the same limit */
	struct hk_addr grp = {{0xff, 0x15, [15] = 9}}, uni = hk_kan()->addr;
	EXPECT(hk_kan_join(&uni, 8), -HK_EINVAL);
	EXPECT(hk_kan_join(&grp, 3), -HK_EINVAL);
	EXPECT(hk_kan_join(&grp, 1024), -HK_E2BIG);
	EXPECT(hk_kan_join((const struct hk_addr *)8, 8), -HK_EFAULT);
	EXPECT(hk_kan_join(&grp, 8), -HK_ETOOMANY);
	EXPECT(hk_kan_close(hk_kan()->ep), -HK_EPERM);
	EXPECT(hk_kan_close(0), -HK_ENOENT); /* init's */
	EXPECT(hk_kan_close((unsigned)b), 0);
	EXPECT(hk_kan_close((unsigned)b), -HK_ENOENT);
	EXPECT(hk_kan_close((unsigned)c), 0);
	int64_t m = hk_kan_join(&grp, 8); /* with room again it joins; closing leaves the group */
	if (m < 0)
		hk_fail("join: %s", hk_strerror((int)m));
	EXPECT(hk_kan_close((unsigned)m), 0);
	EXPECT(hk_kan_close((unsigned)a), 0);
}

/* kan-quota=8 bounds what we hold and what we have in flight. */
static void quotas(void)
{
	struct hk_pkt v[HK_KAN_BATCH];
	EXPECT(hk_kan_alloc(v, HK_KAN_BATCH), 8);
	EXPECT(hk_kan_alloc1(), -HK_ENOBUFS);
	EXPECT(hk_kan_free(v, 3), 3);
	EXPECT(hk_kan_alloc(v, HK_KAN_BATCH), 3);
	EXPECT(hk_kan_free(v, 3), 3);
	EXPECT(hk_kan_free(v + 3, 5), 5);
	/* in flight: 8 packets queued on our own second endpoint, never received */
	int64_t side = hk_kan_bind(1, 8);
	if (side < 0)
		hk_fail("bind: %s", hk_strerror((int)side));
	struct hk_addr to = hk_kan()->addr;
	to.b[15] = 1;
	for (int i = 0; i < 8; i++) {
		struct hk_pkt p = good(&to);
		EXPECT(hk_kan_send1(hk_pkt_pack(p), 0), 0);
	}
	struct hk_kan_self s;
	hk_kan_self(&s);
	if (s.held != 0 || s.in_flight != 8)
		hk_fail("held %u in flight %u, want 0 and 8", s.held, s.in_flight);
	EXPECT(hk_kan_alloc1(), -HK_ENOBUFS);
	EXPECT(hk_kan_close((unsigned)side), 0); /* drops the 8, uncharging us */
	hk_kan_self(&s);
	if (s.held != 0 || s.in_flight != 0)
		hk_fail("after close: held %u in flight %u", s.held, s.in_flight);
	struct hk_pkt p = alloc1();
	EXPECT(hk_kan_free1(hk_pkt_pack(p)), 0);
	printf("kanhostile: quota 8 enforced on held and in-flight pages\n");
}

/* A vector send: stops at the first refusal with the count before it; a run
 * into a full ring queues what fits, in order, and counts the rest; errors
 * come back for every unroutable packet of a batch that asked for them. */
static void batches(void)
{
	struct hk_kan_node n0, n1;
	struct hk_pkt v[8], got[8];
	int64_t side = hk_kan_bind(1, 2);
	if (side < 0)
		hk_fail("bind: %s", hk_strerror((int)side));
	struct hk_addr to = hk_kan()->addr;
	to.b[15] = 1;
	for (int i = 0; i < 8; i++) {
		v[i] = good(&to);
		ip(v[i])[40] = (uint8_t)i;
	}
	ip(v[6])[0] = 0x50; /* version 5: the batch stops here */
	hk_kan_stat(HK_STAT_NODE, 0, &n0);
	EXPECT(hk_kan_send(v, 8, 0), 6);
	hk_kan_stat(HK_STAT_NODE, 0, &n1);
	struct hk_kan_counters c = ep_counters((uint32_t)side);
	EXPECT((int64_t)c.drops[HK_DROP_RING_FULL], 4);
	EXPECT((int64_t)(n1.total.drops[HK_DROP_RING_FULL] - n0.total.drops[HK_DROP_RING_FULL]), 4);
	uint32_t h = (uint32_t)side;
	EXPECT(hk_kan_recv(&h, 1, got, 8, 0), 2); /* the first two, in order */
	EXPECT(ip(got[0])[40] * 10 + ip(got[1])[40], 1);
	EXPECT(hk_kan_free(got, 2), 2);
	EXPECT(hk_kan_free(v + 6, 2), 2); /* the refused one and the one after it stayed ours */
	EXPECT(hk_kan_close((unsigned)side), 0);
	for (int i = 0; i < 3; i++)
		v[i] = good(&nobody);
	EXPECT(hk_kan_send(v, 3, HK_SEND_ERRORS), 3);
	h = hk_kan()->ep;
	for (int k = 0; k < 3;) { /* three ICMPv6 errors, however the receives split them */
		int64_t r = hk_kan_recv(&h, 1, got, 8, 1000000);
		if (r <= 0 || k + r > 3)
			hk_fail("errors back: %lld after %d", (long long)r, k);
		for (int64_t j = 0; j < r; j++)
			EXPECT(ip(got[j])[6], 58); /* ICMPv6 */
		EXPECT(hk_kan_free(got, (unsigned)r), r);
		k += (int)r;
	}
	printf("kanhostile: batches: stop at the first refusal, a full ring takes the first in order, "
	       "errors for each unroutable packet\n");
}

/* One batch from two of our endpoints (sources A B A B B A): every packet
 * counted on the endpoint it came from and on us, each one in flight (and
 * charged to us) until received, the receiver's side counted per packet. */
static void tallies(void)
{
	struct hk_pkt v[6], got[6];
	int64_t a2 = hk_kan_bind(1, 8), dst = hk_kan_bind(2, 8);
	if (a2 < 0 || dst < 0)
		hk_fail("bind: %s", hk_strerror((int)(a2 < 0 ? a2 : dst)));
	struct hk_addr src2 = hk_kan()->addr, to = hk_kan()->addr;
	src2.b[15] = 1;
	to.b[15] = 2;
	static const int from2[6] = {0, 1, 0, 1, 1, 0};
	for (int i = 0; i < 6; i++) {
		v[i] = good(&to);
		if (from2[i])
			memcpy(ip(v[i]) + 8, &src2, 16);
	}
	uint32_t h1 = hk_kan()->ep, h2 = (uint32_t)a2, hd = (uint32_t)dst;
	struct hk_kan_counters p0 = mine(), e10 = ep_counters(h1), e20 = ep_counters(h2);
	EXPECT(hk_kan_send(v, 6, 0), 6);
	struct hk_kan_counters p1 = mine(), e11 = ep_counters(h1), e21 = ep_counters(h2);
	EXPECT((int64_t)(p1.pkts_out - p0.pkts_out), 6);
	EXPECT((int64_t)(p1.bytes_out - p0.bytes_out), 600);
	EXPECT((int64_t)(e11.pkts_out - e10.pkts_out), 3);
	EXPECT((int64_t)(e11.bytes_out - e10.bytes_out), 300);
	EXPECT((int64_t)(e21.pkts_out - e20.pkts_out), 3);
	EXPECT((int64_t)(e21.bytes_out - e20.bytes_out), 300);
	struct hk_kan_self s;
	hk_kan_self(&s);
	EXPECT(s.in_flight, 6);
	EXPECT(hk_kan_recv(&hd, 1, got, 4, 0), 4);
	hk_kan_self(&s);
	EXPECT(s.in_flight, 2);
	EXPECT(hk_kan_recv(&hd, 1, got + 4, 2, 0), 2);
	hk_kan_self(&s);
	EXPECT(s.in_flight, 0);
	struct hk_kan_counters d = ep_counters(hd);
	EXPECT((int64_t)d.pkts_in, 6);
	EXPECT((int64_t)d.bytes_in, 600);
	EXPECT((int64_t)(mine().pkts_in - p1.pkts_in), 6);
	EXPECT(hk_kan_free(got, 6), 6);
	EXPECT(hk_kan_close(h2), 0);
	EXPECT(hk_kan_close(hd), 0);
	printf("kanhostile: tallies: a batch from two endpoints counted on each, in flight until received\n");
}

int main(void)
{
	if (hk_kan_addr_of("init", 0, &other))
		hk_fail("no init");
	nobody = hk_kan()->prefix;
	nobody.b[14] = 0x77;
	bad_headers();
	spoofing();
	bad_descriptors();
	no_route();
	binds();
	quotas();
	batches();
	tallies();
	struct hk_kan_self s;
	hk_kan_self(&s);
	struct hk_kan_counters c = mine();
	printf("kanhostile: %u checks passed; refused: bad header %llu, spoofed %llu; dropped: no "
	       "route %llu; holding %u\n",
	       checks, (unsigned long long)c.drops[HK_DROP_BAD_HEADER],
	       (unsigned long long)c.drops[HK_DROP_SPOOFED],
	       (unsigned long long)c.drops[HK_DROP_NO_ROUTE], s.held);
	return s.held || s.in_flight;
}
