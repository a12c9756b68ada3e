// SPDX-License-Identifier: BSD-2-Clause
/*
 * Interrupts as packets (docs/kan.md "Interrupts"), driven by the PL031 RTC
 * (grant rtc.0): writing its match register with the current count raises
 * its level interrupt at once, and it stays asserted until cleared. Roles,
 * chosen by argv[1]:
 *   drv LATE   every refusal of irq_bind/irq_ack; the first packet (from the
 *              kernel's address, UDP port 3, grant, INTID, count 1); no second
 *              packet while unacknowledged, the next one right after irq_ack;
 *              100 trigger/receive/clear/ack rounds, count +1 each; a full
 *              ring (the packet stays pending, is retried on the tick, and a
 *              second interrupt merges into it); a binding whose endpoint was
 *              closed replaced by a new bind; then exits with the line bound,
 *              masked and the device still asserting, and tells LATE
 *   late DRV   irq_bind is EBUSY while DRV holds the line; once DRV is gone it
 *              binds the same line, gets the still-pending interrupt as
 *              count 1, and runs 10 rounds on another core
 *   nogrant    no grant: dev_info, irq_bind and irq_ack refused, and touching
 *              where a device would be mapped faults
 * Exit status 0 means every check held; failures print why and exit 1.
 * Every wait is bounded.
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <kan/notify.h>
#include <stdio.h>
#include <string.h>

#define RTC_DR   0x00
#define RTC_MR   0x04
#define RTC_IMSC 0x10
#define RTC_RIS  0x14
#define RTC_ICR  0x1c

#define WAIT_US    2000000u  /* a packet that should come: any longer is a failure */
#define QUIET_US   100000u   /* a packet that must not come: none within this */
#define HELLO_US   30000000u /* the other role's handshake */
#define ROUNDS     100u
#define LATE_ROUND 10u
#define EP_DEPTH   8u /* the interrupt endpoint's ring */
#define IRQ_PKT    (HK_IPV6_HDR + 8 + KAN_IRQ_MSG_LEN)

enum tag { T_HELLO = 1, T_BOUND, T_BUSY_OK, T_DONE };

/* System call numbers from the kernel's list, for raw calls with 64-bit garbage. */
#define NR_OF(nr, name, ...) NR_##name = nr,
enum { HK_SYSCALLS(NR_OF) };

static struct hk_dev_info dev;
static struct hk_addr peer, mine[2]; /* this process's addresses 0 and 1 */
static char me[24];
static const char *peer_name;

static void expect_rc(const char *what, int64_t rc, int64_t want)
{
	if (rc != want)
		hk_fail("%s: got %lld (%s), want %lld (%s)", what, (long long)rc,
		        rc < 0 ? hk_strerror((int)rc) : "ok", (long long)want,
		        want < 0 ? hk_strerror((int)want) : "ok");
}

/* --- the RTC ------------------------------------------------------------------- */

static volatile uint32_t *reg(unsigned off) { return (volatile uint32_t *)(dev.va + off); }

/* Raise the interrupt: match = count fires at once, unless the count ticked in between. */
static void rtc_trigger(void)
{
	*reg(RTC_IMSC) = 1;
	for (int i = 0; i < 5; i++) {
		*reg(RTC_MR) = *reg(RTC_DR);
		if (*reg(RTC_RIS) & 1)
			return;
	}
	hk_fail("the RTC did not raise its interrupt");
}

static void rtc_clear(void) { *reg(RTC_ICR) = 1; }

/* --- packets ------------------------------------------------------------------- */

static struct hk_addr addr_of(const char *name, unsigned n)
{
	struct hk_addr a;
	if (hk_kan_addr_of(name, n, &a))
		hk_fail("no process named %s", name);
	return a;
}

/* A handshake packet to the peer's primary address: tag and a value. */
static void tell(enum tag t, uint32_t v)
{
	int64_t d = hk_kan_alloc1();
	if (d < 0)
		hk_fail("kan_alloc1: %s", hk_strerror((int)d));
	struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
	uint8_t *ip = hk_pkt_data(p);
	hk_ip6_header(ip, &hk_kan()->addr, &peer, HK_IPPROTO_TEST, 8);
	uint32_t body[2] = {t, v};
	memcpy(ip + HK_IPV6_HDR, body, 8);
	p.len = HK_IPV6_HDR + 8;
	expect_rc("kan_send1", hk_kan_send1(hk_pkt_pack(p), 0), 0);
}

/* Wait for the peer's handshake tag t on the primary endpoint; returns its value. */
static uint32_t heard(enum tag t)
{
	int64_t d = hk_kan_recv1(hk_kan()->ep, HELLO_US);
	if (d < 0)
		hk_fail("waiting for tag %d: %s", t, hk_strerror((int)d));
	struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
	const uint8_t *ip = hk_pkt_data(p);
	uint32_t body[2];
	memcpy(body, ip + HK_IPV6_HDR, 8);
	if (p.len != HK_IPV6_HDR + 8 || memcmp(ip + 8, &peer, 16) || body[0] != t)
		hk_fail("expected tag %d from the peer, got tag %u (%u bytes)", t, body[0], p.len);
	hk_kan_free1(hk_pkt_pack(p));
	return body[1];
}

/* Check one interrupt packet for address n of this process; fills *m. */
static void check_irq_pkt(struct hk_pkt p, unsigned n, struct kan_irq_msg *m)
{
	const uint8_t *ip = hk_pkt_data(p), *u = ip + HK_IPV6_HDR;
	const struct hk_addr dst = mine[n];
	if (p.len != IRQ_PKT || ip[0] >> 4 != 6 || ip[6] != 17)
		hk_fail("irq packet: %u bytes, next header %u: not UDP of %u bytes", p.len, ip[6],
		        IRQ_PKT);
	if (memcmp(ip + 8, &hk_kan()->kernel, 16) || memcmp(ip + 24, &dst, 16))
		hk_fail("irq packet: not from the kernel's address to address %u", n);
	if ((u[0] << 8 | u[1]) != KAN_PORT_IRQ || (u[2] << 8 | u[3]) != KAN_PORT_IRQ ||
	    (u[4] << 8 | u[5]) != 8 + KAN_IRQ_MSG_LEN)
		hk_fail("irq packet: UDP ports or length wrong");
	if (kan_l4_checksum(&hk_kan()->kernel, &dst, 17, u, 8 + KAN_IRQ_MSG_LEN))
		hk_fail("irq packet: bad UDP checksum");
	if (kan_irq_msg_decode(u + 8, KAN_IRQ_MSG_LEN, m))
		hk_fail("irq packet: malformed message");
	if (m->irq != 0 || m->intid != dev.irq)
		hk_fail("irq packet: grant %u INTID %u, want grant 0 INTID %u", m->irq, m->intid,
		        dev.irq);
}

/* The next interrupt packet on ep (address n) within WAIT_US; its count must be want. */
static void expect_irq(unsigned ep, unsigned n, uint64_t want)
{
	int64_t d = hk_kan_recv1(ep, WAIT_US);
	if (d < 0)
		hk_fail("no interrupt packet (count %llu) within %u us: %s",
		        (unsigned long long)want, WAIT_US, hk_strerror((int)d));
	struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
	struct kan_irq_msg m;
	check_irq_pkt(p, n, &m);
	if (m.count != want)
		hk_fail("interrupt packet count %llu, want %llu", (unsigned long long)m.count,
		        (unsigned long long)want);
	hk_kan_free1(hk_pkt_pack(p));
}

static void expect_quiet(unsigned ep, const char *why)
{
	int64_t d = hk_kan_recv1(ep, QUIET_US);
	if (d != -HK_ETIMEDOUT)
		hk_fail("%s: %s", why, d < 0 ? hk_strerror((int)d) : "a packet came");
}

/* Grant 0 must be the RTC; only drv resets it (late must not disturb drv's test). */
static void get_device(void)
{
	expect_rc("dev_info(0)", hk_dev_info(0, &dev), 0);
	if (strcmp(dev.name, "rtc.0") || dev.irq < 32)
		hk_fail("grant 0 is %s with INTID %u, want rtc.0 with an SPI", dev.name, dev.irq);
}

/* --- drv ------------------------------------------------------------------------- */

/* Every refusal before the line is bound; `other` is another process's endpoint. */
static void refusals_unbound(unsigned ep, uint32_t other)
{
	expect_rc("bind grant 1 (none)", hk_irq_bind(1, ep), -HK_ENOENT);
	expect_rc("bind grant 4 (none)", hk_irq_bind(4, ep), -HK_ENOENT);
	expect_rc("bind grant 0xffffffff", hk_irq_bind(0xffffffffu, ep), -HK_ENOENT);
	expect_rc("bind grant 2^40", hk_raw_syscall(NR_irq_bind, 1ull << 40, ep, 0, 0, 0, 0),
	          -HK_ENOENT);
	expect_rc("bind grant 2^32", hk_raw_syscall(NR_irq_bind, 1ull << 32, ep, 0, 0, 0, 0),
	          -HK_ENOENT);
	expect_rc("bind to another process's endpoint", hk_irq_bind(0, other), -HK_ENOENT);
	expect_rc("bind to endpoint 0xffffffff", hk_irq_bind(0, 0xffffffffu), -HK_ENOENT);
	expect_rc("bind to endpoint 2^32 + mine",
	          hk_raw_syscall(NR_irq_bind, 0, (1ull << 32) | ep, 0, 0, 0, 0), -HK_ENOENT);
	expect_rc("bind to endpoint ~0", hk_raw_syscall(NR_irq_bind, 0, ~0ull, 0, 0, 0, 0),
	          -HK_ENOENT);
	expect_rc("ack before bind", hk_irq_ack(0), -HK_EINVAL);
	expect_rc("ack grant 1 (none)", hk_irq_ack(1), -HK_ENOENT);
	expect_rc("ack grant 2^63", hk_raw_syscall(NR_irq_ack, 1ull << 63, 0, 0, 0, 0, 0),
	          -HK_ENOENT);
}

static void refusals_bound(unsigned ep)
{
	expect_rc("double bind, same endpoint", hk_irq_bind(0, ep), -HK_EBUSY);
	expect_rc("double bind, primary endpoint", hk_irq_bind(0, hk_kan()->ep), -HK_EBUSY);
	expect_rc("ack with nothing pending", hk_irq_ack(0), 0);
}

/* First packet; nothing more while unacknowledged; the next right after the ack. */
static void coalesce(unsigned ep)
{
	rtc_trigger();
	expect_irq(ep, 1, 1);
	printf("%s: first interrupt: a packet from the kernel's address, UDP port %u, grant 0 "
	       "INTID %u count 1: ok\n",
	       me, KAN_PORT_IRQ, dev.irq);
	rtc_clear(); /* a second assertion while unacknowledged */
	rtc_trigger();
	expect_quiet(ep, "second interrupt before irq_ack");
	if (!(*reg(RTC_RIS) & 1))
		hk_fail("the RTC stopped asserting");
	expect_rc("irq_ack", hk_irq_ack(0), 0);
	expect_irq(ep, 1, 2);
	printf("%s: unacknowledged: no packet in %u us with the device asserting, after irq_ack "
	       "count 2: ok\n",
	       me, QUIET_US);
}

/* n rounds of clear, ack, trigger, receive: count + 1 each. */
static uint64_t rounds(unsigned ep, unsigned n, uint64_t count)
{
	uint64_t t0 = hk_time_us();
	for (unsigned i = 0; i < n; i++) {
		rtc_clear();
		expect_rc("irq_ack", hk_irq_ack(0), 0);
		rtc_trigger();
		expect_irq(ep, ep == hk_kan()->ep ? 0 : 1, ++count);
	}
	printf("%s: %u rounds trigger/receive/clear/ack, count +1 each (now %llu), %llu us: ok\n",
	       me, n, (unsigned long long)count, (unsigned long long)(hk_time_us() - t0));
	return count;
}

static uint64_t ring_full_drops(unsigned ep)
{
	struct hk_kan_counters c;
	expect_rc("kan_stat(endpoint)", hk_kan_stat(HK_STAT_ENDPOINT, ep, &c), 0);
	return c.drops[HK_DROP_RING_FULL];
}

/* Fill ep (address 1) with packets to ourselves; returns how many it queued. */
static unsigned fill_ring(unsigned ep)
{
	uint64_t d0 = ring_full_drops(ep);
	for (unsigned i = 0; i < EP_DEPTH; i++) {
		int64_t d = hk_kan_alloc1();
		if (d < 0)
			hk_fail("kan_alloc1: %s", hk_strerror((int)d));
		struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
		hk_ip6_header(hk_pkt_data(p), &mine[0], &mine[1], HK_IPPROTO_TEST, 0);
		p.len = HK_IPV6_HDR;
		expect_rc("kan_send1 to ourselves", hk_kan_send1(hk_pkt_pack(p), 0), 0);
	}
	return EP_DEPTH - (unsigned)(ring_full_drops(ep) - d0);
}

/* Take n packets to ourselves and one interrupt packet, in any order. */
static void drain_ring(unsigned ep, unsigned n, uint64_t want)
{
	unsigned self = 0, irq = 0;
	for (unsigned i = 0; i < n + 1; i++) {
		int64_t d = hk_kan_recv1(ep, WAIT_US);
		if (d < 0)
			hk_fail("draining: %u own and %u interrupt packets, then %s", self, irq,
			        hk_strerror((int)d));
		struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
		const uint8_t *ip = hk_pkt_data(p);
		struct kan_irq_msg m;
		if (p.len == HK_IPV6_HDR && !memcmp(ip + 8, &mine[0], 16)) {
			self++;
		} else {
			check_irq_pkt(p, 1, &m);
			if (m.count != want || irq++)
				hk_fail("interrupt packet count %llu (#%u), want one with %llu",
				        (unsigned long long)m.count, irq, (unsigned long long)want);
		}
		hk_kan_free1(hk_pkt_pack(p));
	}
}

/* The endpoint's ring is full when the interrupt comes: the packet stays pending and is
 * retried on the tick; a second interrupt (ack while pending) is merged into it. */
static uint64_t ring_full(unsigned ep, uint64_t count)
{
	rtc_clear();
	unsigned queued = fill_ring(ep);
	uint64_t d0 = ring_full_drops(ep);
	expect_rc("irq_ack", hk_irq_ack(0), 0);
	rtc_trigger();
	hk_sleep_us(QUIET_US);
	uint64_t tries = ring_full_drops(ep) - d0;
	if (tries < 2)
		hk_fail("ring full: %llu delivery attempts in %u us, want retries",
		        (unsigned long long)tries, QUIET_US);
	expect_rc("irq_ack while the packet is pending", hk_irq_ack(0), 0);
	drain_ring(ep, queued, count + 2);
	printf("%s: ring full: the interrupt stayed pending (%llu attempts counted as ring-full "
	       "drops), a second one merged, delivered as count %llu once drained: ok\n",
	       me, (unsigned long long)tries, (unsigned long long)(count + 2));
	return count + 2;
}

/* Close the bound endpoint: the binding is stale, a bind elsewhere replaces it and
 * the interrupt still asserted (masked since the last packet) arrives there. */
static void closed_endpoint(unsigned ep)
{
	expect_rc("kan_close(bound endpoint)", hk_kan_close(ep), 0);
	expect_rc("ack of the stale binding", hk_irq_ack(0), 0);
	expect_rc("bind to the primary endpoint", hk_irq_bind(0, hk_kan()->ep), 0);
	expect_irq(hk_kan()->ep, 0, 1);
	printf("%s: bound endpoint closed: a new bind replaced it, the pending interrupt came "
	       "as count 1: ok\n",
	       me);
}

static int drv(void)
{
	get_device();
	*reg(RTC_IMSC) = 0;
	rtc_clear();
	int64_t ep = hk_kan_bind(1, EP_DEPTH);
	if (ep < 0)
		hk_fail("kan_bind: %s", hk_strerror((int)ep));
	uint32_t other = heard(T_HELLO);
	refusals_unbound((unsigned)ep, other);
	expect_rc("irq_bind", hk_irq_bind(0, (unsigned)ep), 0);
	refusals_bound((unsigned)ep);
	tell(T_BOUND, 0);
	heard(T_BUSY_OK);
	printf("%s: refusals: no such grant, huge values, another's endpoint, double bind, "
	       "unbound ack: ok\n",
	       me);
	coalesce((unsigned)ep);
	uint64_t count = rounds((unsigned)ep, ROUNDS, 2);
	count = ring_full((unsigned)ep, count);
	rounds((unsigned)ep, 1, count);
	closed_endpoint((unsigned)ep);
	/* Leave it hostile for the next binder: bound, masked, the device asserting. */
	tell(T_DONE, 0);
	printf("%s: exiting with the line bound and masked, the device asserting\n", me);
	return 0;
}

/* --- late ------------------------------------------------------------------------ */

static int late(void)
{
	get_device();
	tell(T_HELLO, hk_kan()->ep);
	heard(T_BOUND);
	expect_rc("bind while another process holds the line", hk_irq_bind(0, hk_kan()->ep),
	          -HK_EBUSY);
	expect_rc("ack of a line another process holds", hk_irq_ack(0), -HK_EINVAL);
	tell(T_BUSY_OK, 0);
	heard(T_DONE);
	int64_t ep = hk_kan_bind(1, EP_DEPTH);
	if (ep < 0)
		hk_fail("kan_bind: %s", hk_strerror((int)ep));
	int64_t rc = -HK_EBUSY;
	for (unsigned i = 0; i < 5000 && rc == -HK_EBUSY; i++) { /* until drv's exit is done */
		rc = hk_irq_bind(0, (unsigned)ep);
		if (rc == -HK_EBUSY)
			hk_sleep_us(1000);
	}
	expect_rc("bind after the holder exited", rc, 0);
	expect_irq((unsigned)ep, 1, 1);
	printf("%s: bound the line after %s exited: pending interrupt as count 1: ok\n", me,
	       peer_name);
	rounds((unsigned)ep, LATE_ROUND, 1);
	*reg(RTC_IMSC) = 0;
	rtc_clear();
	expect_rc("irq_ack", hk_irq_ack(0), 0);
	expect_quiet((unsigned)ep, "after clearing the device");
	return 0;
}

/* --- nogrant --------------------------------------------------------------------- */

static int nogrant(void)
{
	struct hk_dev_info d;
	expect_rc("dev_info(0) without grants", hk_dev_info(0, &d), -HK_ENOENT);
	expect_rc("irq_bind without grants", hk_irq_bind(0, hk_kan()->ep), -HK_ENOENT);
	expect_rc("irq_ack without grants", hk_irq_ack(0), -HK_ENOENT);
	printf("%s: no grant: dev_info, irq_bind, irq_ack refused: ok; now touching the RTC's "
	       "window\n",
	       me);
	volatile uint32_t *rtc = (volatile uint32_t *)(uintptr_t)HK_DEVICE_BASE;
	printf("%s: FAILED: read 0x%x without a grant\n", me, *rtc);
	return 1;
}

int main(int argc, char **argv)
{
	struct hk_self s;
	hk_self(&s);
	memcpy(me, s.name, sizeof(me));
	mine[0] = addr_of(me, 0);
	mine[1] = addr_of(me, 1);
	if (argc < 2)
		hk_fail("usage: irqtest drv LATE | late DRV | nogrant");
	if (argc > 2) {
		peer_name = argv[2];
		peer = addr_of(peer_name, 0);
	}
	if (!strcmp(argv[1], "drv") && argc > 2)
		return drv();
	if (!strcmp(argv[1], "late") && argc > 2)
		return late();
	if (!strcmp(argv[1], "nogrant"))
		return nogrant();
	hk_fail("unknown role %s", argv[1]);
}
