// SPDX-License-Identifier: BSD-2-Clause
/*
 * Forwarding rights, next hops and DMA addresses (docs/kan.md "Forwarders
 * and next hops", docs/dma.md). Roles, chosen by argv[1]:
 *   a      first stage of pipeline p (a -> b): proc_info shows the pipeline;
 *          sends b, by next hop, 50 packets from an off-prefix source to an
 *          address b does not have (b must see them unchanged), one to an
 *          unbound next hop (dropped as no-route; with HK_SEND_ERRORS an
 *          ICMPv6 code 3 comes back), one with an unknown flag (EINVAL)
 *   b      last stage: receives a's 50 packets, then may not send from an
 *          off-prefix source itself (ESPOOF)
 *   dma    granted virtio-net.0: dma_addr gives distinct page-aligned RAM
 *          addresses for held pages, refuses every misuse, and its MMIO is
 *          mapped; a second grant (rtc.0) is not a bus master (EPERM)
 *   reset  granted virtio-net.0 too: once dma has ended, the device it left
 *          half initialised (status 3) reads status 0 (the kernel reset it)
 *   plain  no grant, not a forwarder: ESPOOF for an off-prefix source,
 *          ENOENT for dma_addr, then touching the virtio window faults
 * Exit status 0 means every check held; a failure prints why and exits 1.
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/icmp.h>
#include <kan/ipv6.h>
#include <stdio.h>
#include <string.h>

#define WAIT_US 5000000u
#define VIRTIO_STATUS 0x70 /* virtio-mmio Status register */
#define ROUNDS  50u

static const struct hk_addr wire_host = {{0x20, 0x01, 0x0d, 0xb8, [15] = 0x42}};

static void expect_rc(const char *what, int64_t rc, int64_t want)
{
	if (rc != want)
		hk_fail("%s: got %lld (%s), want %lld (%s)", what, (long long)rc,
		        rc < 0 ? hk_strerror((int)rc) : "ok", (long long)want,
		        want < 0 ? hk_strerror((int)want) : "ok");
}

static int entry_of(const char *name)
{
	struct hk_proc_info pi;
	for (unsigned i = 0; hk_proc_info(i, &pi) == 0; i++)
		if (!strcmp(pi.name, name))
			return (int)i;
	hk_fail("no manifest entry '%s'", name);
}

/* A fresh packet from src to dst carrying seq. */
static struct hk_pkt packet(const struct hk_addr *src, const struct hk_addr *dst, uint32_t seq)
{
	struct hk_pkt p;
	expect_rc("kan_alloc", hk_kan_alloc(&p, 1), 1);
	uint8_t *ip = hk_pkt_data(p);
	hk_ip6_header(ip, src, dst, HK_IPPROTO_TEST, 4);
	memcpy(ip + HK_IPV6_HDR, &seq, 4);
	p.len = HK_IPV6_HDR + 4;
	return p;
}

static void role_a(void)
{
	struct hk_proc_info pi;
	int me = entry_of("a"), b = entry_of("b");
	expect_rc("proc_info a", hk_proc_info((unsigned)me, &pi), 0);
	if (pi.pipe_next != b || pi.pipe_first != me || !(pi.flags & HK_PI_FORWARD) ||
	    strcmp(pi.pipe, "p"))
		hk_fail("proc_info a: next %d first %d flags %u pipe '%s'", pi.pipe_next,
		        pi.pipe_first, pi.flags, pi.pipe);
	struct hk_addr plain;
	hk_kan_addr_of("plain", 0, &plain);
	for (uint32_t i = 0; i < ROUNDS; i++) {
		struct hk_pkt p = packet(&wire_host, &plain, i);
		p.ep = hk_via((unsigned)b, 0);
		expect_rc("send via b", hk_kan_send(&p, 1, HK_SEND_VIA), 1);
	}
	printf("a: %u packets from an off-prefix source sent to b by next hop: ok\n", ROUNDS);
	struct hk_kan_counters c0, c1;
	struct hk_self self;
	hk_self(&self);
	expect_rc("kan_stat", hk_kan_stat(HK_STAT_PROCESS, (unsigned)self.pid, &c0), 0);
	struct hk_pkt p = packet(&hk_kan()->addr, &plain, 7);
	p.ep = hk_via((unsigned)b, 9); /* b never binds its address 9 */
	expect_rc("send via an unbound hop", hk_kan_send1(hk_pkt_pack(p), HK_SEND_VIA), 0);
	p = packet(&hk_kan()->addr, &plain, 8);
	p.ep = hk_via(31, 0); /* no such entry */
	expect_rc("send via a missing entry", hk_kan_send1(hk_pkt_pack(p), HK_SEND_VIA), 0);
	p = packet(&hk_kan()->addr, &plain, 9);
	p.ep = hk_via((unsigned)b, 9);
	expect_rc("send via with errors",
	          hk_kan_send1(hk_pkt_pack(p), HK_SEND_VIA | HK_SEND_ERRORS), 0);
	int64_t r = hk_kan_recv1(hk_kan()->ep, WAIT_US);
	if (r < 0)
		hk_fail("no ICMPv6 error for the unbound next hop: %s", hk_strerror((int)r));
	struct hk_pkt e = hk_pkt_unpack((uint64_t)r);
	struct kan_icmp6_bounce bo;
	int pr = kan_icmp6_parse_unreach(hk_pkt_data(e), e.len, &bo);
	if (pr || bo.code != KAN_UNREACH_ADDR)
		hk_fail("error for the unbound next hop: parse %d code %u", pr, bo.code);
	hk_kan_free1(r);
	expect_rc("kan_stat", hk_kan_stat(HK_STAT_PROCESS, (unsigned)self.pid, &c1), 0);
	if (c1.drops[HK_DROP_NO_ROUTE] - c0.drops[HK_DROP_NO_ROUTE] != 3)
		hk_fail("no-route drops +%llu, want 3",
		        (unsigned long long)(c1.drops[HK_DROP_NO_ROUTE] - c0.drops[HK_DROP_NO_ROUTE]));
	p = packet(&hk_kan()->addr, &plain, 10);
	expect_rc("unknown flag", hk_kan_send1(hk_pkt_pack(p), 4), -HK_EINVAL);
	expect_rc("unknown flag (vector)", hk_kan_send(&p, 1, HK_SEND_VIA | 8), -HK_EINVAL);
	hk_kan_free1(hk_pkt_pack(p));
	printf("a: unbound next hops dropped as no-route (3), code 3 error with HK_SEND_ERRORS, "
	       "unknown flags refused: ok\n");
}

static void role_b(void)
{
	struct hk_addr plain;
	hk_kan_addr_of("plain", 0, &plain);
	for (uint32_t i = 0; i < ROUNDS; i++) {
		int64_t r = hk_kan_recv1(hk_kan()->ep, WAIT_US);
		if (r < 0)
			hk_fail("b: packet %u: %s", i, hk_strerror((int)r));
		struct hk_pkt p = hk_pkt_unpack((uint64_t)r);
		const uint8_t *ip = hk_pkt_data(p);
		uint32_t seq;
		memcpy(&seq, ip + HK_IPV6_HDR, 4);
		if (seq != i || !kan_addr_eq(kan_hdr_src(ip), &wire_host) ||
		    !kan_addr_eq(kan_hdr_dst(ip), &plain))
			hk_fail("b: packet %u: seq %u or addresses changed", i, seq);
		hk_kan_free1(r);
	}
	struct hk_proc_info pi;
	hk_proc_info((unsigned)entry_of("b"), &pi);
	if (pi.pipe_next != -1 || (pi.flags & HK_PI_FORWARD))
		hk_fail("b: last stage: next %d flags %u", pi.pipe_next, pi.flags);
	struct hk_pkt p = packet(&wire_host, &plain, 0);
	expect_rc("b: off-prefix source", hk_kan_send1(hk_pkt_pack(p), 0), -HK_ESPOOF);
	hk_kan_free1(hk_pkt_pack(p));
	printf("b: %u packets by next hop, source and destination unchanged, the last stage may "
	       "not forward: ok\n", ROUNDS);
}

static void role_dma(void)
{
	struct hk_pkt p[4];
	uint64_t pa[4] = {0};
	expect_rc("kan_alloc", hk_kan_alloc(p, 4), 4);
	expect_rc("dma_addr", hk_dma_addr(0, p, 4, pa), 0);
	for (unsigned i = 0; i < 4; i++) {
		if ((pa[i] & 0xfff) || pa[i] < 0x40000000 || pa[i] >= 0x60000000)
			hk_fail("dma_addr: page %u at 0x%llx: not a page of RAM", i,
			        (unsigned long long)pa[i]);
		for (unsigned j = 0; j < i; j++)
			if (pa[j] == pa[i])
				hk_fail("dma_addr: pages %u and %u share 0x%llx", j, i,
				        (unsigned long long)pa[i]);
	}
	uint64_t keep[4];
	memcpy(keep, pa, sizeof(pa));
	struct hk_pkt bad[2] = {p[0], {.slot = 1023}};
	expect_rc("dma_addr unheld slot", hk_dma_addr(0, bad, 2, pa), -HK_EINVAL);
	bad[1].slot = 0xffff;
	expect_rc("dma_addr slot out of range", hk_dma_addr(0, bad, 2, pa), -HK_EINVAL);
	if (memcmp(keep, pa, sizeof(pa)))
		hk_fail("dma_addr wrote addresses on a refusal");
	expect_rc("dma_addr n=0", hk_dma_addr(0, p, 0, pa), -HK_EINVAL);
	expect_rc("dma_addr n=65", hk_dma_addr(0, p, 65, pa), -HK_E2BIG);
	expect_rc("dma_addr bad in", hk_dma_addr(0, (struct hk_pkt *)8, 1, pa), -HK_EFAULT);
	expect_rc("dma_addr bad out", hk_dma_addr(0, p, 1, (uint64_t *)0x10), -HK_EFAULT);
	expect_rc("dma_addr out read-only", hk_dma_addr(0, p, 1, (uint64_t *)(uintptr_t)&wire_host),
	          -HK_EFAULT);
	expect_rc("dma_addr rtc.0", hk_dma_addr(1, p, 1, pa), -HK_EPERM);
	expect_rc("dma_addr no grant 2", hk_dma_addr(2, p, 1, pa), -HK_ENOENT);
	expect_rc("dma_addr grant 2^32", hk_raw_syscall(35, 1ull << 32, (uintptr_t)p, 1,
	                                                (uintptr_t)pa, 0, 0), -HK_ENOENT);
	expect_rc("kan_free", hk_kan_free(p, 4), 4);
	expect_rc("dma_addr freed", hk_dma_addr(0, p, 1, pa), -HK_EINVAL);
	struct hk_dev_info d;
	expect_rc("dev_info", hk_dev_info(0, &d), 0);
	uint32_t magic = *(volatile uint32_t *)(uintptr_t)d.va;
	if (magic != 0x74726976)
		hk_fail("virtio-net.0 magic 0x%x", magic);
	printf("dma: addresses of held pages only (4 distinct RAM pages), every misuse refused, "
	       "rtc.0 not a bus master, virtio-net.0 mapped: ok\n");
	*(volatile uint32_t *)(uintptr_t)(d.va + VIRTIO_STATUS) = 3; /* ACKNOWLEDGE | DRIVER */
}

/* After dma ended: the kernel reset the device it left half set up. */
static void role_reset(void)
{
	struct hk_proc_info pi;
	unsigned i = (unsigned)entry_of("dma");
	for (unsigned t = 0; hk_proc_info(i, &pi) == 0 && pi.state == HK_PROC_RUNNING; t++) {
		if (t == 500)
			hk_fail("reset: dma still running after 5 s");
		hk_sleep_us(10000);
	}
	struct hk_dev_info d;
	expect_rc("dev_info", hk_dev_info(0, &d), 0);
	uint32_t st = *(volatile uint32_t *)(uintptr_t)(d.va + VIRTIO_STATUS);
	if (st != 0)
		hk_fail("reset: virtio-net.0 status %u after its driver ended, want 0", st);
	printf("reset: the device a driver left with status 3 was reset when it ended: ok\n");
}

static void role_plain(void)
{
	struct hk_pkt p[1];
	uint64_t pa[1];
	struct hk_addr b;
	hk_kan_addr_of("b", 0, &b);
	expect_rc("kan_alloc", hk_kan_alloc(p, 1), 1);
	expect_rc("plain dma_addr", hk_dma_addr(0, p, 1, pa), -HK_ENOENT);
	hk_kan_free(p, 1);
	struct hk_pkt q = packet(&wire_host, &b, 0);
	expect_rc("plain: off-prefix source", hk_kan_send1(hk_pkt_pack(q), 0), -HK_ESPOOF);
	q.ep = hk_via((unsigned)entry_of("b"), 0);
	expect_rc("plain: off-prefix source via", hk_kan_send(&q, 1, HK_SEND_VIA), -HK_ESPOOF);
	hk_kan_free1(hk_pkt_pack(q));
	printf("plain: no forwarding right, no grant: refused: ok\n");
	volatile uint32_t *dev = (volatile uint32_t *)(uintptr_t)HK_DEVICE_BASE;
	printf("plain: touching 0x%llx\n", (unsigned long long)HK_DEVICE_BASE);
	(void)*dev; /* faults: nothing is mapped there for this process */
	hk_fail("plain: read the device window without a grant");
}

int main(int argc, char **argv)
{
	const char *role = argc > 1 ? argv[1] : "";
	if (!strcmp(role, "a"))
		role_a();
	else if (!strcmp(role, "b"))
		role_b();
	else if (!strcmp(role, "dma"))
		role_dma();
	else if (!strcmp(role, "reset"))
		role_reset();
	else if (!strcmp(role, "plain"))
		role_plain();
	else
		hk_fail("unknown role '%s'", role);
	return 0;
}
