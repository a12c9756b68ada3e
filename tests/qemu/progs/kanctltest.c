// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel's address as a service (docs/kan-control.md), ICMPv6 errors
 * and the uplink. Roles (argv[1]):
 *   sup      the supervisor of kan-control.manifest: starts the others by
 *            control packets (SPAWN), lists addresses page by page (PROCS),
 *            reads counters (COUNTERS) and kills by packet (KILL); sends
 *            malformed requests; checks ICMPv6 errors and the uplink; and
 *            finally that the packet pool is as it was. Its exit status is
 *            the node's.
 *   binder   binds 100 more addresses, says so, then waits to be killed
 *   user     not the supervisor: SPAWN and KILL are refused with EPERM,
 *            COUNTERS works
 *   up       the uplink: echoes every off-prefix packet back, swapped
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ctl.h>
#include <kan/icmp.h>
#include <kan/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT      5000000u /* us: a response slower than this is a failure */
#define QUIET     100000u  /* us: "no packet comes" is checked over this long */
#define NBIND     100u
#define SPORT     4000u

static const struct hk_addr outside = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}};
static unsigned checks;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			hk_fail(__VA_ARGS__);                                                      \
		checks++;                                                                          \
	} while (0)

static struct hk_pkt alloc1(void)
{
	int64_t v = hk_kan_alloc1();
	if (v < 0)
		hk_fail("alloc: %s", hk_strerror((int)v));
	return hk_pkt_unpack((uint64_t)v);
}

/* A UDP packet from our primary address (port SPORT) to `to`:dport carrying body[0..n). */
static struct hk_pkt udp(const struct hk_addr *to, uint16_t dport, const void *body, size_t n)
{
	struct hk_pkt p = alloc1();
	uint8_t *ip = hk_pkt_data(p);
	memcpy(ip + KAN_UDP_OFF, body, n);
	size_t len = kan_udp_build(ip, p.len, &hk_kan()->addr, to, SPORT, dport, n);
	if (!len)
		hk_fail("udp build");
	p.len = (uint16_t)len;
	return p;
}

static void send(struct hk_pkt p, unsigned flags)
{
	int64_t rc = hk_kan_send1(hk_pkt_pack(p), flags);
	if (rc)
		hk_fail("send: %s", hk_strerror((int)rc));
}

/* Packets from processes that arrived while a kernel answer was awaited. */
static struct hk_pkt stash[8];
static unsigned nstash;

static int recv_any(struct hk_pkt *out, uint64_t us)
{
	int64_t v = hk_kan_recv1(hk_kan()->ep, us);
	if (v == -HK_ETIMEDOUT)
		return 0;
	if (v < 0)
		hk_fail("recv: %s", hk_strerror((int)v));
	*out = hk_pkt_unpack((uint64_t)v);
	return 1;
}

/* The next packet (stashed ones first) within `us`, or 0 if none came. */
static int recv(struct hk_pkt *out, uint64_t us)
{
	if (nstash) {
		*out = stash[0];
		memmove(stash, stash + 1, --nstash * sizeof(stash[0]));
		return 1;
	}
	return recv_any(out, us);
}

/* The next packet from the kernel's address within `us`; others are stashed. */
static int recv_kernel(struct hk_pkt *out, uint64_t us)
{
	for (;;) {
		if (!recv_any(out, us))
			return 0;
		if (!memcmp((uint8_t *)hk_pkt_data(*out) + 8, &hk_kan()->kernel, 16))
			return 1;
		if (nstash == 8)
			hk_fail("too many packets from processes");
		stash[nstash++] = *out;
	}
}

static void release(struct hk_pkt p) { hk_kan_free1(hk_pkt_pack(p)); }

/* Send raw request bytes to the kernel; the decoded response (its packet in *pkt). */
static int ask_raw(const void *req, size_t n, struct kan_ctl_resp *r, struct hk_pkt *pkt)
{
	send(udp(&hk_kan()->kernel, KAN_CTL_PORT, req, n), 0);
	if (!recv_kernel(pkt, WAIT))
		return 0;
	const uint8_t *ip = hk_pkt_data(*pkt);
	struct kan_udp u;
	if (memcmp(ip + 8, &hk_kan()->kernel, 16) || kan_udp_parse(ip, pkt->len, &u) ||
	    u.sport != KAN_CTL_PORT || u.dport != SPORT)
		hk_fail("a response not from the kernel's port 1 to ours");
	if (kan_ctl_resp_decode(u.payload, u.len, r))
		hk_fail("undecodable response");
	return 1;
}

static struct kan_ctl_resp ask(struct kan_ctl_req *rq, struct hk_pkt *pkt)
{
	static uint32_t next_id = 100;
	uint8_t buf[64];
	struct kan_ctl_resp r;
	rq->id = next_id++;
	size_t n = kan_ctl_req_encode(rq, buf, sizeof(buf));
	if (!n || !ask_raw(buf, n, &r, pkt))
		hk_fail("op %u: no response", rq->op);
	CHECK(r.id == rq->id && r.op == rq->op, "response id %u op %u, want %u %u", r.id, r.op, rq->id,
	      rq->op);
	return r;
}

/* The status of one request (the response page is freed). */
static unsigned status_of(struct kan_ctl_req rq)
{
	struct hk_pkt p;
	struct kan_ctl_resp r = ask(&rq, &p);
	release(p);
	return r.status;
}

static uint64_t node_counter(unsigned drop)
{
	struct hk_kan_node n;
	if (hk_kan_stat(HK_STAT_NODE, 0, &n))
		hk_fail("kan_stat");
	return n.total.drops[drop];
}

/* Every bound address, listed page by page; how many belong to pid. */
static unsigned list(int pid, unsigned *pages)
{
	unsigned mine = 0, total = 0;
	uint32_t cursor = 0, last_ep = 0;
	*pages = 0;
	for (int more = 1; more;) {
		struct kan_ctl_req rq = {.op = KAN_CTL_PROCS, .procs = {cursor}};
		struct hk_pkt p;
		struct kan_ctl_resp r = ask(&rq, &p);
		CHECK(r.status == 0 && r.procs.n > 0, "procs: status %u, %u entries", r.status,
		      r.procs.n);
		for (unsigned i = 0; i < r.procs.n; i++) {
			struct kan_ctl_proc e;
			CHECK(!kan_ctl_resp_proc(&r, i, &e), "procs entry %u", i);
			CHECK(!total || e.ep > last_ep, "procs: endpoint %u after %u", e.ep, last_ep);
			last_ep = e.ep;
			total++;
			if ((int)e.pid == pid)
				mine++;
		}
		more = r.procs.flags & KAN_CTL_MORE;
		cursor = r.procs.next;
		release(p);
		if (++*pages > 1000)
			hk_fail("procs never ends");
	}
	return mine;
}

static int spawn(const char *name)
{
	struct kan_ctl_req rq = {.op = KAN_CTL_SPAWN};
	strcpy(rq.spawn.name, name);
	struct hk_pkt p;
	struct kan_ctl_resp r = ask(&rq, &p);
	release(p);
	CHECK(r.status == 0 && r.spawn.pid > 0, "spawn %s: status %u", name, r.status);
	return (int)r.spawn.pid;
}

static void reap(int pid, unsigned cause, int status)
{
	struct hk_exit_info e;
	int64_t rc = hk_wait(&e, 10000000);
	CHECK(rc >= 0 && e.pid == pid && e.cause == cause && (cause || e.status == status),
	      "wait for pid %d: rc %lld pid %d cause %u status %d", pid, (long long)rc, e.pid,
	      e.cause, e.status);
}

/* Requests the kernel must answer with an error status, or drop and count. */
static void malformed(void)
{
	uint8_t b[16] = {KAN_CTL_VERSION, KAN_CTL_COUNTERS, 0, 0, 0, 0, 0, 1, HK_STAT_NODE};
	struct kan_ctl_resp r;
	struct hk_pkt p;
	uint64_t bad = node_counter(HK_DROP_BAD_CONTROL);
	send(udp(&hk_kan()->kernel, KAN_CTL_PORT, b, 5), 0); /* shorter than a header */
	CHECK(!recv_kernel(&p, QUIET), "a 5-byte request was answered");
	CHECK(node_counter(HK_DROP_BAD_CONTROL) == bad + 1, "short request not counted");
	struct hk_pkt q = udp(&hk_kan()->kernel, KAN_CTL_PORT, b, 16);
	((uint8_t *)hk_pkt_data(q))[47] ^= 1; /* break the UDP checksum */
	send(q, 0);
	CHECK(!recv_kernel(&p, QUIET), "a request with a bad checksum was answered");
	struct hk_pkt raw = alloc1(); /* not UDP at all */
	hk_ip6_header(hk_pkt_data(raw), &hk_kan()->addr, &hk_kan()->kernel, HK_IPPROTO_TEST, 8);
	raw.len = 48;
	send(raw, 0);
	CHECK(!recv_kernel(&p, QUIET), "a non-UDP packet to the kernel was answered");
	CHECK(node_counter(HK_DROP_BAD_CONTROL) == bad + 3, "bad checksum / not UDP not counted");
	b[0] = 9; /* version */
	CHECK(ask_raw(b, 16, &r, &p) && r.status == HK_ENOSYS, "bad version: status %u", r.status);
	release(p);
	b[0] = KAN_CTL_VERSION, b[1] = 77; /* op */
	CHECK(ask_raw(b, 16, &r, &p) && r.status == HK_ENOSYS, "bad op: status %u", r.status);
	release(p);
	b[1] = KAN_CTL_COUNTERS; /* body one byte short */
	CHECK(ask_raw(b, 15, &r, &p) && r.status == HK_EINVAL, "short body: status %u", r.status);
	release(p);
	b[8] = 9; /* kind */
	CHECK(ask_raw(b, 16, &r, &p) && r.status == HK_EINVAL, "bad kind: status %u", r.status);
	release(p);
	struct kan_ctl_req rq = {.op = KAN_CTL_COUNTERS, .counters = {HK_STAT_PROCESS, 99999}};
	CHECK(status_of(rq) == HK_ESRCH, "counters of no process");
	rq = (struct kan_ctl_req){.op = KAN_CTL_KILL, .kill = {0}};
	CHECK(status_of(rq) == HK_ESRCH, "kill pid 0");
	rq = (struct kan_ctl_req){.op = KAN_CTL_SPAWN};
	strcpy(rq.spawn.name, "nosuch");
	CHECK(status_of(rq) == HK_ENOENT, "spawn of no entry");
	/* random bytes: each is answered or dropped and counted, and the service goes on */
	/* 8 bytes or more are answered (with an error status), fewer dropped and counted */
	uint64_t x = 0x9e3779b97f4a7c15ull, answered = 0, short_ones = 0;
	uint64_t before = node_counter(HK_DROP_BAD_CONTROL);
	for (int i = 0; i < 500; i++) {
		uint8_t junk[40];
		for (unsigned k = 0; k < sizeof(junk); k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			junk[k] = (uint8_t)x;
		}
		junk[0] = (uint8_t)(i & 1 ? KAN_CTL_VERSION : junk[0]);
		size_t len = 1 + (x % sizeof(junk));
		send(udp(&hk_kan()->kernel, KAN_CTL_PORT, junk, len), 0);
		if (len < KAN_CTL_HDR) {
			short_ones++;
			continue;
		}
		CHECK(recv_kernel(&p, WAIT), "junk request %d (%zu bytes) not answered", i, len);
		answered++;
		release(p);
	}
	CHECK(!recv_kernel(&p, QUIET), "a short junk request was answered");
	uint64_t dropped = node_counter(HK_DROP_BAD_CONTROL) - before;
	CHECK(answered + dropped == 500 && dropped == short_ones,
	      "junk: %llu answered + %llu dropped != 500", (unsigned long long)answered,
	      (unsigned long long)dropped);
	printf("kanctl: malformed requests: dropped and counted or refused with a status; 500 random: "
	       "%llu answered, %llu dropped\n",
	       (unsigned long long)answered, (unsigned long long)dropped);
}

/* Unroutable packets bounce as ICMPv6 destination unreachable, only when asked. */
static void unreachable(uint8_t code, const struct hk_addr *to, const char *what)
{
	struct hk_pkt p;
	uint64_t before = node_counter(HK_DROP_NO_ROUTE);
	send(udp(to, 9, "x", 1), 0);
	CHECK(!recv_kernel(&p, QUIET), "%s: an error came without HK_SEND_ERRORS", what);
	send(udp(to, 9, "hello", 5), HK_SEND_ERRORS);
	CHECK(recv_kernel(&p, WAIT), "%s: no ICMPv6 error", what);
	struct kan_icmp6_bounce b;
	int rc = kan_icmp6_parse_unreach(hk_pkt_data(p), p.len, &b);
	CHECK(!rc && b.code == code && !memcmp(&b.orig_dst, to, 16) &&
	          !memcmp(&b.reporter, &hk_kan()->kernel, 16) && b.has_ports && b.dport == 9,
	      "%s: error %d code %u", what, rc, b.code);
	release(p);
	CHECK(node_counter(HK_DROP_NO_ROUTE) == before + 2, "%s: not counted", what);
	printf("kanctl: %s: ICMPv6 destination unreachable code %u back to the sender\n", what, code);
}

static void uplink_echo(void)
{
	struct hk_pkt p;
	send(udp(&outside, 9, "off-prefix", 10), 0);
	CHECK(recv(&p, WAIT), "no echo from the uplink");
	const uint8_t *ip = hk_pkt_data(p);
	CHECK(!memcmp(ip + 8, &outside, 16) && !memcmp(ip + KAN_UDP_OFF, "off-prefix", 10),
	      "the uplink's echo is wrong");
	release(p);
	printf("kanctl: off-prefix packet went to the uplink and came back from 2001:db8::7\n");
}

static uint64_t free_pages(void)
{
	struct hk_kstat k;
	if (hk_kstat(&k))
		hk_fail("kstat");
	return k.free_pages;
}

static int sup(void)
{
	struct hk_kan_node before;
	printf("kanctl: sup: starting\n"); /* stdio's buffer is allocated before the count */
	uint64_t pages0 = free_pages();
	hk_kan_stat(HK_STAT_NODE, 0, &before);
	struct hk_self me;
	hk_self(&me);
	unsigned pages;
	CHECK(list(me.pid, &pages) == 1, "sup's own address not listed once");
	int up = spawn("up");
	uplink_echo();
	int binder = spawn("binder");
	struct hk_pkt p;
	CHECK(recv(&p, WAIT), "binder never said it was ready");
	release(p);
	unsigned n = list(binder, &pages);
	CHECK(n == NBIND + 1 && pages >= 3, "binder: %u addresses over %u responses", n, pages);
	printf("kanctl: procs: %u addresses of binder listed over %u responses\n", n, pages);
	struct kan_ctl_req rq = {.op = KAN_CTL_COUNTERS, .counters = {HK_STAT_NODE, 0}};
	struct kan_ctl_resp r = ask(&rq, &p);
	struct hk_kan_node nd;
	CHECK(!r.status && !kan_ctl_resp_to_node(&r, &nd) && nd.pool_pages == before.pool_pages &&
	          nd.endpoints >= NBIND + 3,
	      "node counters by packet");
	release(p);
	rq = (struct kan_ctl_req){.op = KAN_CTL_KILL, .kill = {(uint32_t)binder}};
	CHECK(status_of(rq) == 0, "kill binder");
	reap(binder, HK_CAUSE_KILLED, 0);
	int user = spawn("user");
	reap(user, HK_CAUSE_EXIT, 0);
	malformed();
	unreachable(KAN_UNREACH_PORT, &hk_kan()->kernel, "UDP to a kernel port other than 1");
	struct hk_addr nobody = hk_kan()->prefix;
	nobody.b[13] = nobody.b[14] = nobody.b[15] = 0x77; /* ::77:7777, outside the address plan */
	unreachable(KAN_UNREACH_ADDR, &nobody, "unbound in-prefix address");
	rq = (struct kan_ctl_req){.op = KAN_CTL_KILL, .kill = {(uint32_t)up}};
	CHECK(status_of(rq) == 0, "kill up");
	reap(up, HK_CAUSE_KILLED, 0);
	unreachable(KAN_UNREACH_NO_ROUTE, &outside, "off-prefix without an uplink");
	struct hk_kan_node after;
	hk_kan_stat(HK_STAT_NODE, 0, &after);
	CHECK(after.pool_free == before.pool_free && after.in_flight == 0,
	      "packet pool: %llu free before, %llu after, %llu in flight",
	      (unsigned long long)before.pool_free, (unsigned long long)after.pool_free,
	      (unsigned long long)after.in_flight);
	uint64_t pages1 = free_pages();
	CHECK(pages1 == pages0, "free pages: %llu before, %llu after", (unsigned long long)pages0,
	      (unsigned long long)pages1);
	printf("kanctl: sup: %u checks passed; packet pool %llu free before and after; free pages "
	       "%llu before and after\n",
	       checks, (unsigned long long)after.pool_free, (unsigned long long)pages1);
	return 0;
}

static int binder(void)
{
	struct hk_addr s;
	for (unsigned i = 1; i <= NBIND; i++)
		if (hk_kan_bind(i, 2) < 0)
			hk_fail("bind %u", i);
	if (hk_kan_addr_of("sup", 0, &s))
		hk_fail("no sup");
	send(udp(&s, SPORT, "ready", 5), 0);
	struct hk_pkt p;
	recv(&p, HK_TIMEOUT_FOREVER);
	hk_fail("binder was not killed");
}

static int user(void)
{
	struct kan_ctl_req rq = {.op = KAN_CTL_KILL, .kill = {1}};
	CHECK(status_of(rq) == HK_EPERM, "kill by a non-supervisor");
	rq = (struct kan_ctl_req){.op = KAN_CTL_SPAWN};
	strcpy(rq.spawn.name, "binder");
	CHECK(status_of(rq) == HK_EPERM, "spawn by a non-supervisor");
	rq = (struct kan_ctl_req){.op = KAN_CTL_COUNTERS, .counters = {HK_STAT_ENDPOINT, hk_kan()->ep}};
	struct hk_pkt p;
	struct hk_kan_counters c;
	struct kan_ctl_resp r = ask(&rq, &p);
	CHECK(!r.status && !kan_ctl_resp_to_counters(&r, &c) && c.pkts_out == 3 && c.pkts_in == 2,
	      "own endpoint counters by packet: out %llu in %llu", (unsigned long long)c.pkts_out,
	      (unsigned long long)c.pkts_in);
	release(p);
	/* capture and pipeline changes are the management service's: refused, and
	 * a malformed body is refused before that */
	rq = (struct kan_ctl_req){.op = KAN_CTL_CAPTURE, .capture = {hk_kan()->ep, 0, 128}};
	CHECK(status_of(rq) == HK_EPERM, "capture by a process without the mgmt key");
	rq = (struct kan_ctl_req){.op = KAN_CTL_CAPTURE, .capture = {KAN_CAP_STOP, 0, 0}};
	CHECK(status_of(rq) == HK_EPERM, "capture stop by a process without the mgmt key");
	rq = (struct kan_ctl_req){.op = KAN_CTL_PIPE, .pipe = {"p", 2, {0, 1}}};
	CHECK(status_of(rq) == HK_EPERM, "pipeline change by a process without the mgmt key");
	uint8_t b[8 + KAN_CTL_CAPTURE_REQ] = {KAN_CTL_VERSION, KAN_CTL_CAPTURE, 0, 0, 0, 0, 0, 9};
	b[16] = 0xff, b[17] = 0xff; /* snaplen 65535 */
	CHECK(ask_raw(b, sizeof(b), &r, &p) && r.status == HK_EINVAL, "capture snaplen 65535: %u",
	      r.status);
	release(p);
	uint8_t c2[8 + KAN_CTL_PIPE_REQ] = {KAN_CTL_VERSION, KAN_CTL_PIPE, 0, 0, 0, 0, 0, 10, 'p'};
	c2[8 + KAN_CTL_PIPE_NAME] = 9; /* 9 stages */
	CHECK(ask_raw(c2, sizeof(c2), &r, &p) && r.status == HK_EINVAL, "pipeline of 9: %u", r.status);
	release(p);
	printf("kanctl: user: spawn, kill, capture and pipeline changes refused (EPERM), malformed "
	       "ones EINVAL, counters readable\n");
	return 0;
}

/* The uplink: every packet back to its source, from the address it was sent to. */
static int uplink(void)
{
	for (;;) {
		struct hk_pkt p;
		recv(&p, HK_TIMEOUT_FOREVER);
		uint8_t *ip = hk_pkt_data(p), t[16];
		memcpy(t, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, t, 16);
		send(p, 0); /* an off-prefix source: allowed for the uplink only */
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		hk_fail("usage: kanctltest sup|binder|user|up");
	if (!strcmp(argv[1], "sup"))
		return sup();
	if (!strcmp(argv[1], "binder"))
		return binder();
	if (!strcmp(argv[1], "user"))
		return user();
	if (!strcmp(argv[1], "up"))
		return uplink();
	hk_fail("unknown role %s", argv[1]);
}
