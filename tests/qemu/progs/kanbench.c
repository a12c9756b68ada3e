// SPDX-License-Identifier: BSD-2-Clause
/*
 * KAN benchmarks in guest instructions (make bench: QEMU -icount shift=0,
 * where PMCCNTR_EL0 counts instructions; the empty measurement is
 * subtracted). Roles (argv[1]):
 *   rx WHERE            receive: one-way latency from the stamp the sender
 *                       wrote just before its send to just after recv returned
 *   tx PEER N [AFTER]   (once entry AFTER has finished) N single packets to PEER, then N/32 batches of 32
 *   scale N [AFTER]     with 2, 64, 1024, 4096 endpoints bound, time N kan_send1
 *                       calls to the newest (nobody waits: no switch), draining each
 * Packets carry: IPv6 header, then u64 stamp, u64 kind (0 single, 1 batch, 2 stop).
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B 32

static inline uint64_t count(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, pmccntr_el0" : "=r"(v)::"memory");
	return v;
}

/* Marks for make profile (tools/kanprof): it single-steps one vCPU from
 * kanprof_begin to kanprof_end and attributes every instruction. Outside the
 * counted windows, so the numbers printed here do not change. */
void kanprof_begin(void);
void kanprof_end(void);
__attribute__((noinline, used)) void kanprof_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline, used)) void kanprof_end(void) { __asm__ volatile("nop" ::: "memory"); }

static uint64_t empty_cost(void)
{
	uint64_t t0 = count();
	return count() - t0;
}

static void put(struct hk_pkt *p, const struct hk_addr *to, uint64_t kind)
{
	uint8_t *ip = hk_pkt_data(*p);
	hk_ip6_header(ip, &hk_kan()->addr, to, HK_IPPROTO_TEST, 16);
	memcpy(ip + HK_IPV6_HDR + 8, &kind, 8);
	p->len = HK_IPV6_HDR + 16;
}

static void stamp(struct hk_pkt p, uint64_t t)
{
	memcpy((uint8_t *)hk_pkt_data(p) + HK_IPV6_HDR, &t, 8);
}

static uint64_t field(struct hk_pkt p, unsigned i)
{
	uint64_t v;
	memcpy(&v, (uint8_t *)hk_pkt_data(p) + HK_IPV6_HDR + 8 * i, 8);
	return v;
}

static int rx(const char *where)
{
	uint64_t empty = empty_cost(), one = 0, nb = 0, batch = 0, n1 = 0, fastest = UINT64_MAX,
	         bfastest = UINT64_MAX;
	uint32_t ep = hk_kan()->ep;
	struct hk_pkt v[B];
	for (;;) {
		int64_t n = hk_kan_recv(&ep, 1, v, B, HK_TIMEOUT_FOREVER);
		uint64_t t1 = count();
		kanprof_end(); /* every time: the profiler stops at the first after its begin */
		if (n <= 0)
			hk_fail("recv: %s", hk_strerror((int)n));
		/* a receiver on another core may wake while the batch is still being
		 * pushed: the batch has arrived when all B packets have */
		for (int tries = 0; n > 1 || field(v[0], 1) == 1; tries++) {
			if (n == B || tries > 1000)
				break;
			int64_t k = hk_kan_recv(&ep, 1, v + n, B - (unsigned)n, 1000000);
			if (k <= 0)
				hk_fail("recv rest of batch: %s", hk_strerror((int)k));
			n += k;
			t1 = count();
		}
		uint64_t kind = field(v[0], 1), dt = t1 - field(v[0], 0) - empty;
		if (kind == 2)
			break;
		if (kind == 0 && n == 1) {
			one += dt;
			n1++;
			fastest = dt < fastest ? dt : fastest;
		} else if (kind == 1 && n == B) {
			batch += dt;
			nb++;
			bfastest = dt < bfastest ? dt : bfastest;
		} else {
			hk_fail("rx: got %lld packets of kind %llu", (long long)n,
			        (unsigned long long)kind);
		}
		/* ack: the sender sends the next one only once we wait again */
		struct hk_addr from;
		memcpy(&from, (uint8_t *)hk_pkt_data(v[0]) + 8, 16);
		uint8_t *ip = hk_pkt_data(v[0]);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, &from, 16);
		if (hk_kan_send1(hk_pkt_pack(v[0]), 0))
			hk_fail("ack: %s", hk_strerror((int)hk_kan_send1(hk_pkt_pack(v[0]), 0)));
		if (n > 1)
			hk_kan_free(v + 1, (unsigned)n - 1);
	}
	printf("bench: kan one-way send->recv, receiver waiting on the %s core: %llu "
	       "instructions\n",
	       where, (unsigned long long)(one / n1));
	/* the mean includes whatever other vCPUs ran inside a window (under icount
	 * the counter is the virtual clock, which every vCPU advances) */
	printf("bench: kan one-way send->recv, %s core, fastest of %llu: %llu instructions\n", where,
	       (unsigned long long)n1, (unsigned long long)fastest);
	printf("bench: kan batched 32 per call, %s core: %llu instructions per packet\n", where,
	       (unsigned long long)(batch / nb / B));
	printf("bench: kan batched 32 per call, %s core, fastest of %llu: %llu instructions per "
	       "packet\n",
	       where, (unsigned long long)nb, (unsigned long long)(bfastest / B));
	return 0;
}

static void wait_ack(void)
{
	int64_t r = hk_kan_recv1(hk_kan()->ep, 10000000);
	if (r < 0)
		hk_fail("ack: %s", hk_strerror((int)r));
	hk_kan_free1((uint64_t)r);
}

static int tx(const struct hk_addr *peer, unsigned long n)
{
	struct hk_pkt v[B];
	for (unsigned long i = 0; i < n; i++) {
		int64_t a = hk_kan_alloc1();
		if (a < 0)
			hk_fail("alloc: %s", hk_strerror((int)a));
		struct hk_pkt p = hk_pkt_unpack((uint64_t)a);
		put(&p, peer, 0);
		uint64_t packed = hk_pkt_pack(p);
		/* The receiver may still be finishing its last round (its ack woke us
		 * first): let it run until it waits again, so every window measures a
		 * send to a receiver already blocked in recv. No effect across cores. */
		hk_yield();
		if (i == n - 1)
			kanprof_begin(); /* the last single packet; rx calls kanprof_end */
		stamp(p, count());
		if (hk_kan_send1(packed, 0))
			hk_fail("send1");
		wait_ack();
	}
	for (unsigned long r = 0; r < n / B; r++) {
		if (hk_kan_alloc(v, B) != B)
			hk_fail("alloc batch");
		for (unsigned k = 0; k < B; k++)
			put(&v[k], peer, 1);
		hk_yield(); /* as above: the receiver waits before the stamp */
		stamp(v[0], count());
		if (hk_kan_send(v, B, 0) != B)
			hk_fail("send batch");
		wait_ack();
	}
	/* The copy a copying IPC would make, at least once per 4 KiB packet. */
	static uint8_t src[HK_PKT_SIZE], dst[HK_PKT_SIZE];
	uint64_t empty = empty_cost(), t0 = count();
	for (int i = 0; i < 1000; i++) {
		memcpy(dst, src, sizeof(dst));
		__asm__ volatile("" ::"r"(dst) : "memory");
	}
	printf("bench: copy of a 4 KiB packet (memcpy): %llu instructions\n",
	       (unsigned long long)((count() - t0 - empty) / 1000));
	int64_t a = hk_kan_alloc1();
	struct hk_pkt p = hk_pkt_unpack((uint64_t)a);
	put(&p, peer, 2);
	hk_kan_send1(hk_pkt_pack(p), 0);
	return 0;
}

/* Send cost with k endpoints bound on the node (this process binds them). */
static void scale_at(unsigned k, unsigned *bound, unsigned long n)
{
	static int64_t newest;
	for (; *bound < k; (*bound)++)
		if ((newest = hk_kan_bind(*bound, 2)) < 0)
			hk_fail("bind %u", *bound);
	struct hk_addr to = hk_kan()->addr;
	to.b[14] = (uint8_t)((k - 1) >> 8);
	to.b[15] = (uint8_t)(k - 1);
	uint32_t ep = (uint32_t)newest; /* address k-1, the last one bound */
	uint64_t empty = empty_cost(), total = 0;
	for (unsigned long i = 0; i < n; i++) {
		int64_t a = hk_kan_alloc1();
		if (a < 0)
			hk_fail("alloc: %s", hk_strerror((int)a));
		struct hk_pkt p = hk_pkt_unpack((uint64_t)a);
		put(&p, &to, 0);
		int mark = k == 2 && i == n - 1; /* one send for make profile */
		if (mark)
			kanprof_begin();
		uint64_t packed = hk_pkt_pack(p), t0 = count();
		if (hk_kan_send1(packed, 0))
			hk_fail("send1");
		total += count() - t0 - empty;
		if (mark)
			kanprof_end();
		int64_t r = hk_kan_recv1(ep, 0);
		if (r < 0)
			hk_fail("drain: %s", hk_strerror((int)r));
		hk_kan_free1((uint64_t)r);
	}
	printf("bench: kan send with %u endpoints bound by one process: %llu instructions\n", k,
	       (unsigned long long)(total / n));
}

static int scale(unsigned long n)
{
	unsigned bound = 1;
	static const unsigned ks[] = {2, 64, 1024, 4096};
	for (unsigned i = 0; i < 4; i++)
		scale_at(ks[i], &bound, n);
	return 0;
}

/* Measurements run one at a time: under -icount the counter advances with
 * every CPU's instructions, so wait until entry `name` has run and ended. */
static void after(const char *name)
{
	for (int tries = 0; tries < 60000; tries++) {
		for (unsigned i = 0; i < HK_MAX_PROCS; i++) {
			struct hk_proc_info info;
			if (hk_proc_info(i, &info))
				break;
			if (!strcmp(info.name, name) && info.spawns && info.pid < 0)
				return;
		}
		hk_sleep_us(10000);
	}
	hk_fail("%s never finished", name);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "rx"))
		return rx(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "tx")) {
		struct hk_addr peer;
		if (argc >= 5)
			after(argv[4]);
		if (hk_kan_addr_of(argv[2], 0, &peer))
			hk_fail("no %s", argv[2]);
		return tx(&peer, strtoul(argv[3], NULL, 10));
	}
	if (argc >= 3 && !strcmp(argv[1], "scale")) {
		if (argc >= 4)
			after(argv[3]);
		return scale(strtoul(argv[2], NULL, 10));
	}
	hk_fail("usage: kanbench rx WHERE | tx PEER N | scale N");
}
