// SPDX-License-Identifier: BSD-2-Clause
/*
 * The management service (docs/mgmt-protocol.md). It answers the host at
 * the node's well-known address <prefix>::2, UDP port MGMT_PORT, and gathers
 * what it answers only over the KAN: the process table from the supervisor,
 * routes from the router, named counters from every process (each answers
 * on MGMT_INNER_PORT, userlib's hk_mgmt_serve), and the kernel's counters
 * and bound addresses from the kernel's control service (port 1).
 *
 * Writes (route add/del, kill, restart) are checked here, in this order:
 * the source address is one of hosts=, the request has an auth trailer and
 * a key is configured, its HMAC-SHA256 (over this boot's epoch and the
 * message) matches key=, and its sequence number is above the last one
 * accepted. Only then is the change passed on, from this process's own
 * address, which the router and the supervisor take writes from.
 *
 * One request at a time: the host's requests wait in the ring of ::2 while
 * one is being gathered; the components answer on the primary endpoint.
 *
 * Usage (manifest): proc mgmt bin=bin/mgmt.elf mgmt
 *                        args="key=HEX hosts=ADDR/LEN,... [wait-ms=N]"
 */
#include <hekate/mgmt.h>
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ctl.h>
#include <kan/ipv6.h>
#include <kan/icmp.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <net/lpm.h>
#include <net/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS_MAX 8
#define HOST_DEPTH 64
#define CAP_DEPTH 256 /* copies the kernel may queue ahead of the host link */
#define ASK_CAP HK_MGMT_RESP_MAX /* the largest answer a component builds */

static struct {
	uint8_t key[MGMT_KEY_MAX];
	size_t keylen;
	struct { struct hk_addr net; unsigned len; } host[HOSTS_MAX];
	unsigned nhosts;
	uint64_t wait_us;
	uint64_t epoch, last_seq;
	struct hk_addr self; /* our primary: the source of what we ask */
	uint32_t ep_host, ep_inner, ep_cap;
	uint32_t next_id;
} g = {.wait_us = 200000};

static uint8_t body[MGMT_BODY_MAX]; /* the answer being built */

/* Counters, published (kanctl counters mgmt). */
static uint64_t c_requests, c_dropped, c_status[MGMT_E_COUNT], c_inner_timeouts;
static const char *const status_ctr[MGMT_E_COUNT] = {
    "ok", "error.version", "error.op", "error.malformed", "error.toobig", "refused.noauth",
    "refused.badauth", "refused.replay", "refused.forbidden", "error.noent", "error.inval",
    "error.busy", "error.timeout", "error.nospace", "error.internal", "error.unreach",
    "error.perm"};

/* --- setup --------------------------------------------------------------------------- */

static int parse_key(const char *s)
{
	int n = mgmt_key_parse(s, strlen(s), g.key);
	g.keylen = n < 0 ? 0 : (size_t)n;
	return n < 0 ? -1 : 0;
}

/* "A/L,B/L,..." (a bare address is /128). */
static int parse_hosts(const char *s)
{
	while (*s) {
		const char *end = strchr(s, ',');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		struct hk_addr a;
		unsigned len = 128;
		if (g.nhosts == HOSTS_MAX ||
		    (kan_net_parse(s, n, &a, &len) && kan_addr_parse(s, n, &a)))
			return -1;
		g.host[g.nhosts].net = a;
		g.host[g.nhosts++].len = len;
		s += n + (end != NULL);
	}
	return 0;
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		int bad = !strncmp(a, "key=", 4)     ? parse_key(a + 4)
		          : !strncmp(a, "hosts=", 6) ? parse_hosts(a + 6)
		                                     : -1;
		if (!strncmp(a, "wait-ms=", 8)) {
			unsigned long v = strtoul(a + 8, &end, 10);
			bad = !a[8] || *end || !v || v > 10000;
			g.wait_us = v * 1000;
		}
		if (bad)
			hk_fail("mgmt: bad argument '%s' (key=HEX of 1..64 bytes, "
			        "hosts=ADDR[/LEN],..., wait-ms=1..10000)", a);
	}
}

/* This boot's epoch: differs between boots (time, cycles), never secret. */
static void make_epoch(void)
{
	struct { uint64_t t; struct hk_core_stat cs; } seed;
	uint8_t d[NET_SHA256_LEN];
	memset(&seed, 0, sizeof(seed));
	seed.t = (uint64_t)hk_time_us();
	hk_core_stat(0, &seed.cs);
	net_sha256(&seed, sizeof(seed), d);
	memcpy(&g.epoch, d, sizeof(g.epoch));
}

static void publish(void)
{
	int rc = hk_ctr_publish("requests", &c_requests) | hk_ctr_publish("dropped", &c_dropped) |
	         hk_ctr_publish("inner.timeouts", &c_inner_timeouts);
	for (unsigned i = 0; i < MGMT_E_COUNT; i++)
		rc |= hk_ctr_publish(status_ctr[i], &c_status[i]);
	if (rc)
		hk_fail("mgmt: publishing counters");
}

/* --- asking components and the kernel, over the KAN ------------------------------------ */

struct ask {
	struct hk_addr to;
	uint32_t id;
	uint8_t op;
	struct mgmt_reasm r;
	int state; /* 0 waiting, 1 done, -1 failed */
};

static void send_udp(const struct hk_addr *to, uint16_t dport, const uint8_t *msg, size_t n)
{
	int64_t d = hk_kan_alloc1();
	if (d < 0)
		return; /* counted as a timeout when no answer comes */
	struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
	uint8_t *ip = hk_pkt_data(p);
	memcpy(ip + KAN_UDP_OFF, msg, n);
	p.len = (uint16_t)kan_udp_build(ip, HK_PKT_SIZE - p.off, &g.self, to, MGMT_PORT, dport, n);
	hk_kan_send_all(&p, 1, 0);
}

/* A packet on the inner endpoint that answers nothing we wait for: a
 * request to us (answered), or a late answer to one given up on (freed). */
static void stray(struct hk_pkt *p)
{
	if (!hk_mgmt_serve(p, NULL, NULL))
		hk_kan_free(p, 1);
}

/* Start asking a->to for op (body from q) into buf[0..cap). */
static void ask_start(struct ask *a, const struct mgmt_req *q, void *buf, size_t cap)
{
	uint8_t msg[MGMT_PKT_MAX];
	struct mgmt_req r = *q;
	r.h.version = MGMT_VERSION;
	r.h.id = a->id = ++g.next_id;
	a->op = r.h.op;
	mgmt_reasm_init(&a->r, a->id, a->op, buf, cap);
	a->state = 0;
	size_t n = mgmt_req_encode(msg, sizeof(msg), &r, NULL, 0, 0);
	if (n)
		send_udp(&a->to, MGMT_INNER_PORT, msg, n);
	else
		a->state = -1;
}

/* A packet on the inner endpoint: a request to us (served), or part of an answer. */
static void inner_packet(struct hk_pkt p, struct ask *a, unsigned n)
{
	struct kan_udp u;
	const uint8_t *ip = hk_pkt_data(p);
	if (hk_mgmt_serve(&p, NULL, NULL))
		return;
	if (!kan_udp_parse(ip, p.len, &u) && u.dport == MGMT_PORT && u.sport == MGMT_INNER_PORT)
		for (unsigned i = 0; i < n; i++) {
			if (a[i].state || !kan_addr_eq(kan_hdr_src(ip), &a[i].to))
				continue;
			int rc = mgmt_reasm_add(&a[i].r, u.payload, u.len);
			if (rc != MGMT_REASM_OTHER && rc != MGMT_REASM_MORE)
				a[i].state = rc == MGMT_REASM_DONE ? 1 : -1;
			if (rc != MGMT_REASM_OTHER)
				break;
		}
	hk_kan_free(&p, 1);
}

/* Wait until every ask is answered or the deadline: how many were not. */
static unsigned ask_wait(struct ask *a, unsigned n)
{
	uint64_t end = (uint64_t)hk_time_us() + g.wait_us;
	for (;;) {
		unsigned open = 0;
		for (unsigned i = 0; i < n; i++)
			open += a[i].state == 0;
		uint64_t now = (uint64_t)hk_time_us();
		if (!open || now >= end) {
			c_inner_timeouts += open;
			return open;
		}
		struct hk_pkt in[16];
		int64_t got = hk_kan_recv(&g.ep_inner, 1, in, 16, end - now);
		for (int64_t i = 0; i < got; i++)
			inner_packet(in[i], a, n);
	}
}

/* One request to one component: its status, and its body in buf[0..*len). */
static int ask_one(const struct hk_addr *to, const struct mgmt_req *q, void *buf, size_t cap,
                   size_t *len)
{
	struct ask a = {.to = *to};
	ask_start(&a, q, buf, cap);
	if (a.state == 0 && ask_wait(&a, 1))
		return MGMT_E_TIMEOUT;
	if (a.state < 0)
		return MGMT_E_INTERNAL;
	*len = a.r.len;
	return a.r.status;
}

/*
 * Receive on the inner endpoint until want takes a packet (returns 1; the
 * packet is then want's) or the clock reaches end: 1, or 0 at the deadline.
 * What want leaves is a stray (served or freed).
 */
static int inner_until(uint64_t end, int (*want)(struct hk_pkt *, void *), void *ctx)
{
	for (uint64_t now; (now = (uint64_t)hk_time_us()) < end;) {
		struct hk_pkt pg;
		if (hk_kan_recv(&g.ep_inner, 1, &pg, 1, end - now) != 1)
			continue;
		if (want(&pg, ctx))
			return 1;
		stray(&pg);
	}
	return 0;
}

struct kernel_wait {
	uint32_t id;
	struct kan_ctl_resp *r;
	struct hk_pkt *pg;
};

/* The kernel's answer to our request id: kept in *k->pg, decoded into *k->r. */
static int kernel_answer(struct hk_pkt *pg, void *ctx)
{
	struct kernel_wait *k = ctx;
	struct kan_udp u;
	const uint8_t *ip = hk_pkt_data(*pg);
	if (!kan_addr_eq(kan_hdr_src(ip), &hk_kan()->kernel) || kan_udp_parse(ip, pg->len, &u) ||
	    kan_ctl_resp_decode(u.payload, u.len, k->r) || k->r->id != k->id)
		return 0;
	*k->pg = *pg;
	return 1;
}

/*
 * A kernel control request (kan/ctl.h): 0 with the ok response decoded into
 * *r from page *pg (the caller frees it), a positive HK_E* for an error
 * status, -2 when no answer came.
 */
static int kernel_ask(struct kan_ctl_req *rq, struct kan_ctl_resp *r, struct hk_pkt *pg)
{
	uint8_t msg[64];
	struct kernel_wait k = {++g.next_id, r, pg};
	rq->id = k.id;
	size_t n = kan_ctl_req_encode(rq, msg, sizeof(msg));
	send_udp(&hk_kan()->kernel, KAN_CTL_PORT, msg, n);
	if (!inner_until((uint64_t)hk_time_us() + g.wait_us, kernel_answer, &k)) {
		c_inner_timeouts++;
		return -2;
	}
	if (!r->status)
		return 0;
	hk_kan_free(pg, 1);
	return r->status;
}

/* The primary address of the first manifest entry with any of flags (or the supervisor). */
static int entry_addr(uint32_t flags, int supervisor, struct hk_addr *out)
{
	struct hk_proc_info pi;
	for (unsigned i = 0; hk_proc_info(i, &pi) == 0; i++)
		if ((pi.flags & flags) || (supervisor && pi.supervisor)) {
			*out = kan_addr_make(&hk_kan()->prefix, hk_kan_iid(i, 0));
			return 0;
		}
	return -1;
}

/* --- the process table ------------------------------------------------------------------- */

static struct mgmt_proc procs[HK_MAX_PROCS];
static unsigned nprocs;
static uint8_t ask_buf[ASK_CAP];

/* procs[] from the supervisor. MGMT_OK or a status (detail set). */
static int load_procs(char *detail)
{
	struct hk_addr sup;
	struct mgmt_req q = {.h.op = MGMT_OP_PS};
	size_t len = 0;
	struct mgmt_r r;
	if (entry_addr(0, 1, &sup))
		return snprintf(detail, MGMT_DETAIL_MAX, "no supervisor"), MGMT_E_INTERNAL;
	int st = ask_one(&sup, &q, ask_buf, sizeof(ask_buf), &len);
	if (st != MGMT_OK)
		return snprintf(detail, MGMT_DETAIL_MAX, "the supervisor: %s", mgmt_status_str((unsigned)st)), st;
	mgmt_r_init(&r, ask_buf, len);
	nprocs = mgmt_get16(&r);
	mgmt_get16(&r);
	for (unsigned i = 0; i < nprocs && i < HK_MAX_PROCS; i++)
		mgmt_proc_get(&r, &procs[i]);
	if (r.err || nprocs > HK_MAX_PROCS)
		return snprintf(detail, MGMT_DETAIL_MAX, "the supervisor's table does not parse"), MGMT_E_INTERNAL;
	return MGMT_OK;
}

/* Every bound address from the kernel (KAN_CTL_PROCS), onto procs[] by pid. */
static void load_addrs(void)
{
	struct kan_ctl_req rq = {.op = KAN_CTL_PROCS};
	for (unsigned round = 0; round < 64; round++) {
		struct kan_ctl_resp r;
		struct hk_pkt pg;
		if (kernel_ask(&rq, &r, &pg))
			return; /* addresses are missing from the table, nothing else */
		struct kan_ctl_proc e;
		for (unsigned i = 0; kan_ctl_resp_proc(&r, i, &e) == 0; i++)
			for (unsigned k = 0; k < nprocs; k++)
				if (procs[k].pid == (int32_t)e.pid && procs[k].naddr < MGMT_ADDRS_MAX)
					procs[k].addr[procs[k].naddr++] = e.addr;
		int more = r.procs.flags & KAN_CTL_MORE;
		rq.procs.cursor = r.procs.next;
		hk_kan_free(&pg, 1);
		if (!more)
			return;
	}
}

static int op_ps(struct mgmt_w *w, char *detail)
{
	int st = load_procs(detail);
	if (st != MGMT_OK)
		return st;
	load_addrs();
	mgmt_put16(w, (uint16_t)nprocs);
	mgmt_put16(w, 0);
	for (unsigned i = 0; i < nprocs; i++)
		mgmt_proc_put(w, &procs[i]);
	return MGMT_OK;
}

/* --- counters ------------------------------------------------------------------------------ */

static const char *const kan_ctr[KAN_CTL_NCOUNTERS] = {
    "kan.pkts_in",         "kan.bytes_in",        "kan.pkts_out",     "kan.bytes_out",
    "kan.drop.ring-full",  "kan.drop.no-route",   "kan.drop.closed",  "kan.drop.bad-header",
    "kan.drop.spoofed",    "kan.drop.bad-control", "kan.faults"};
static const char *const node_ctr[KAN_CTL_NNODE - KAN_CTL_NCOUNTERS] = {
    "kan.pool_pages", "kan.pool_free", "kan.held", "kan.in_flight", "free_pages", "kan.endpoints"};

/* The kernel's counters of kind (HK_STAT_NODE or HK_STAT_PROCESS, pid) into v[]: how many. */
static unsigned kernel_counters(unsigned kind, int32_t pid, uint64_t *v, unsigned max)
{
	struct kan_ctl_req rq = {.op = KAN_CTL_COUNTERS};
	struct kan_ctl_resp r;
	struct hk_pkt pg;
	unsigned n = 0;
	rq.counters.kind = (uint8_t)kind;
	rq.counters.id = (uint32_t)pid;
	if (kernel_ask(&rq, &r, &pg))
		return 0;
	while (n < max && kan_ctl_resp_value(&r, n, &v[n]) == 0)
		n++;
	hk_kan_free(&pg, 1);
	return n;
}

static void node_group(struct mgmt_w *w)
{
	uint64_t v[KAN_CTL_NNODE];
	unsigned n = kernel_counters(HK_STAT_NODE, 0, v, KAN_CTL_NNODE);
	mgmt_group_put(w, "node", (uint16_t)n, n ? 0 : MGMT_CG_SILENT);
	for (unsigned i = 0; i < n; i++)
		mgmt_ctr_put(w, i < KAN_CTL_NNODE - KAN_CTL_NCOUNTERS ? node_ctr[i]
		                                                      : kan_ctr[i - 6], v[i]);
}

/* Process k's group: its own counters (answer a, if any), then the kernel's. */
static void proc_group(struct mgmt_w *w, unsigned k, struct ask *a)
{
	uint64_t kv[KAN_CTL_NCOUNTERS];
	unsigned nk = procs[k].pid >= 0 ? kernel_counters(HK_STAT_PROCESS, procs[k].pid, kv,
	                                                  KAN_CTL_NCOUNTERS)
	                                : 0;
	struct mgmt_r r;
	char name[MGMT_CTR_NAME + 1];
	uint16_t own = 0, flags = 0;
	if (a && a->state == 1 && a->r.status == MGMT_OK) {
		mgmt_r_init(&r, a->r.buf, a->r.len);
		if (mgmt_get16(&r) != 1 || mgmt_group_get(&r, name, &own, &flags))
			own = 0;
	}
	mgmt_group_put(w, procs[k].name, (uint16_t)(own + nk), own ? 0 : MGMT_CG_SILENT);
	for (unsigned i = 0; i < own; i++) {
		uint64_t v;
		if (mgmt_ctr_get(&r, name, &v))
			name[0] = '?', name[1] = 0, v = 0; /* w->err follows: a bad name is refused */
		mgmt_ctr_put(w, name, v);
	}
	for (unsigned i = 0; i < nk; i++)
		mgmt_ctr_put(w, kan_ctr[i], kv[i]);
}

/* Whether COUNTERS for `only` ("" for all) covers process k. */
static int wanted(unsigned k, const char *only) { return !only[0] || !strcmp(procs[k].name, only); }

static int op_counters(const char *only, struct mgmt_w *w, char *detail)
{
	static struct ask asks[HK_MAX_PROCS];
	int st = load_procs(detail);
	if (st != MGMT_OK)
		return st;
	unsigned sel = 0;
	for (unsigned k = 0; k < nprocs; k++)
		sel += (unsigned)wanted(k, only);
	if (!sel)
		return snprintf(detail, MGMT_DETAIL_MAX, "no process '%s' in the manifest", only),
		       MGMT_E_NOENT;
	struct mgmt_req q = {.h.op = MGMT_OP_COUNTERS};
	for (unsigned k = 0; k < nprocs; k++) {
		asks[k].state = -1;
		if (!wanted(k, only) || procs[k].state != MGMT_PS_RUNNING)
			continue;
		void *buf = malloc(ASK_CAP);
		asks[k].to = kan_addr_make(&hk_kan()->prefix, hk_kan_iid(procs[k].index, 0));
		if (buf)
			ask_start(&asks[k], &q, buf, ASK_CAP);
	}
	ask_wait(asks, nprocs);
	mgmt_put16(w, (uint16_t)(sel + !only[0]));
	if (!only[0])
		node_group(w);
	for (unsigned k = 0; k < nprocs; k++)
		if (wanted(k, only))
			proc_group(w, k, &asks[k]);
	for (unsigned k = 0; k < nprocs; k++)
		free(asks[k].r.buf), asks[k].r.buf = NULL;
	return MGMT_OK;
}

/* --- ping -------------------------------------------------------------------------------------- */

#define PING_IDENT 0x6b63u /* the echo identifier of every ping the service sends */

/* An ICMPv6 echo request from g.self to `to` into ip: its length. */
static size_t echo_build(uint8_t *ip, const struct hk_addr *to, uint16_t seq, uint64_t t0)
{
	uint8_t *icmp = ip + 40;
	memset(ip, 0, 40 + 16);
	ip[0] = 0x60;
	kan_put16(ip + 4, 16);
	ip[6] = 58;
	ip[7] = 64;
	memcpy(ip + 8, g.self.b, 16);
	memcpy(ip + 24, to->b, 16);
	icmp[0] = NET_ICMP6_ECHO_REQUEST;
	kan_put16(icmp + 4, PING_IDENT);
	kan_put16(icmp + 6, seq);
	kan_put64(icmp + 8, t0);
	kan_put16(icmp + 2, kan_l4_checksum(&g.self, to, 58, icmp, 16));
	return 40 + 16;
}

struct ping_wait {
	struct hk_addr to, from;
	uint16_t seq;
	int unreach; /* 1: an ICMPv6 unreachable came back */
	uint8_t code;
};

/* Our echo's reply, or an unreachable that quotes our echo. */
static int ping_answer(struct hk_pkt *pg, void *ctx)
{
	struct ping_wait *w = ctx;
	struct kan_icmp6_bounce b;
	const uint8_t *ip = hk_pkt_data(*pg);
	const uint8_t *icmp = ip + 40;
	int reply = pg->len >= 40 + 8 && ip[6] == 58 && icmp[0] == NET_ICMP6_ECHO_REPLY &&
	            kan_get16(icmp + 4) == PING_IDENT && kan_get16(icmp + 6) == w->seq &&
	            (kan_addr_is_multicast(&w->to) || kan_addr_eq(kan_hdr_src(ip), &w->to));
	int bounced = !reply && kan_icmp6_parse_unreach(ip, pg->len, &b) == 0 &&
	              b.orig_proto == 58 && kan_addr_eq(&b.orig_dst, &w->to) &&
	              kan_addr_eq(&b.orig_src, &g.self);
	if (!reply && !bounced)
		return 0;
	w->from = reply ? *kan_hdr_src(ip) : b.reporter;
	w->unreach = bounced;
	w->code = bounced ? b.code : 0;
	hk_kan_free(pg, 1);
	return 1;
}

static int op_ping(const struct mgmt_ping_req *q, struct mgmt_w *w, char *detail)
{
	char a[48], f[48];
	struct ping_wait pw = {.to = q->addr, .seq = (uint16_t)++g.next_id};
	int64_t d = hk_kan_alloc1();
	hk_addr_str(&q->addr, a, sizeof(a));
	if (d < 0)
		return snprintf(detail, MGMT_DETAIL_MAX, "no page to ping from"), MGMT_E_INTERNAL;
	struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
	uint64_t t0 = (uint64_t)hk_time_us();
	p.len = (uint16_t)echo_build(hk_pkt_data(p), &q->addr, pw.seq, t0);
	if (hk_kan_send_all(&p, 1, HK_SEND_ERRORS))
		return snprintf(detail, MGMT_DETAIL_MAX, "the KAN refused the echo to %s", a),
		       MGMT_E_INTERNAL;
	if (!inner_until(t0 + (uint64_t)q->timeout_ms * 1000, ping_answer, &pw))
		return snprintf(detail, MGMT_DETAIL_MAX, "no answer from %s within %u ms", a,
		                q->timeout_ms), MGMT_E_TIMEOUT;
	hk_addr_str(&pw.from, f, sizeof(f));
	if (pw.unreach)
		return snprintf(detail, MGMT_DETAIL_MAX, "%s is unreachable (%s, reported by %s)", a,
		                pw.code == KAN_UNREACH_ADDR ? "nothing bound there" :
		                pw.code == KAN_UNREACH_NO_ROUTE ? "no route" : "code", f),
		       MGMT_E_UNREACH;
	struct mgmt_ping_resp r = {(uint32_t)((uint64_t)hk_time_us() - t0), pw.from};
	mgmt_ping_resp_put(w, &r);
	return MGMT_OK;
}

/* --- pipelines ------------------------------------------------------------------------------ */

/* The manifest entry named name, or -1. */
static int entry_of(const char *name)
{
	struct hk_proc_info pi;
	for (unsigned i = 0; hk_proc_info(i, &pi) == 0; i++)
		if (!strncmp(pi.name, name, sizeof(pi.name)))
			return (int)i;
	return -1;
}

/* Pipeline name's stages in order (from its first stage's pipe_next chain) into st: how many. */
static unsigned pipe_stages(const char *name, uint8_t *st)
{
	struct hk_proc_info pi;
	unsigned n = 0;
	int at = -1;
	for (unsigned i = 0; at < 0 && hk_proc_info(i, &pi) == 0; i++)
		if (!strncmp(pi.pipe, name, sizeof(pi.pipe)))
			at = pi.pipe_first;
	while (at >= 0 && n < MGMT_STAGES_MAX && hk_proc_info((unsigned)at, &pi) == 0) {
		st[n++] = (uint8_t)at;
		at = pi.pipe_next;
	}
	return n;
}

/* The kernel's PIPE: MGMT_OK, or a status with detail. */
static int kernel_pipe(const char *name, const uint8_t *st, unsigned n, char *detail)
{
	struct kan_ctl_req rq = {.op = KAN_CTL_PIPE};
	struct kan_ctl_resp r;
	struct hk_pkt pg;
	snprintf(rq.pipe.name, sizeof(rq.pipe.name), "%s", name);
	rq.pipe.n = (uint8_t)n;
	memcpy(rq.pipe.stage, st, n);
	int rc = kernel_ask(&rq, &r, &pg);
	if (!rc) {
		hk_kan_free(&pg, 1);
		return MGMT_OK;
	}
	snprintf(detail, MGMT_DETAIL_MAX, "%s",
	         rc == HK_ENOENT ? "no such pipeline"
	         : rc == HK_EPERM ? "the supervisor, the router and this service cannot be stages"
	         : rc == HK_EBUSY ? "a stage of another pipeline"
	         : rc == HK_EINVAL ? "a stage named twice"
	                           : "the kernel did not answer");
	return rc == HK_ENOENT ? MGMT_E_NOENT : rc == HK_EPERM ? MGMT_E_PERM
	       : rc == HK_EBUSY || rc == HK_EINVAL ? MGMT_E_INVAL : MGMT_E_INTERNAL;
}

/* Tell entry i's process that its pipeline changed: MGMT_OK once it goes by
 * the new order (or it is not running: it reads the manifest when it starts). */
static int pipe_tell(const struct mgmt_req *q, unsigned i, char *detail)
{
	struct hk_proc_info pi;
	size_t len = 0;
	if (hk_proc_info(i, &pi) || pi.pid < 0)
		return MGMT_OK;
	struct hk_addr to = kan_addr_make(&hk_kan()->prefix, hk_kan_iid(i, 0));
	int rc = ask_one(&to, q, ask_buf, sizeof(ask_buf), &len);
	if (rc != MGMT_OK)
		return snprintf(detail, MGMT_DETAIL_MAX, "'%s' cannot be a stage: %s", pi.name,
		                rc == MGMT_E_OP ? "it does not run the worker runtime"
		                                : mgmt_status_str((unsigned)rc)), MGMT_E_INVAL;
	return MGMT_OK;
}

/*
 * Tell the stages and the router that a pipeline changed: first the stages
 * of the new order st[0..n), last to first (so none forwards to one still
 * going by the old order further on), then those of old[0..nold) that left
 * it, then the router, whose entry route sends the traffic in. MGMT_OK, or
 * the first failure with detail.
 */
static int pipe_notify(const struct mgmt_req *q, const uint8_t *st, unsigned n,
                       const uint8_t *old, unsigned nold, char *detail)
{
	struct hk_addr to;
	size_t len = 0;
	int rc = MGMT_OK;
	for (unsigned k = n; k-- > 0 && rc == MGMT_OK;)
		rc = pipe_tell(q, st[k], detail);
	for (unsigned k = 0; k < nold && rc == MGMT_OK; k++)
		if (!memchr(st, old[k], n))
			rc = pipe_tell(q, old[k], detail);
	if (rc == MGMT_OK && entry_addr(HK_PI_UPLINK, 0, &to) == 0 &&
	    ask_one(&to, q, ask_buf, sizeof(ask_buf), &len))
		return snprintf(detail, MGMT_DETAIL_MAX, "the router did not take the new pipeline"),
		       MGMT_E_INTERNAL;
	return rc;
}

static int op_pipe_set(const struct mgmt_req *q, char *detail)
{
	const struct mgmt_pipe_req *pr = &q->u.pipe;
	uint8_t st[MGMT_STAGES_MAX], old[MGMT_STAGES_MAX];
	for (unsigned i = 0; i < pr->n; i++) {
		int e = entry_of(pr->stage[i]);
		if (e < 0)
			return snprintf(detail, MGMT_DETAIL_MAX, "no process '%s' in the manifest",
			                pr->stage[i]), MGMT_E_NOENT;
		st[i] = (uint8_t)e;
	}
	unsigned nold = pipe_stages(pr->pipe, old);
	if (!nold)
		return snprintf(detail, MGMT_DETAIL_MAX, "no pipeline '%s'", pr->pipe), MGMT_E_NOENT;
	int rc = kernel_pipe(pr->pipe, st, pr->n, detail);
	if (rc != MGMT_OK)
		return rc;
	rc = pipe_notify(q, st, pr->n, old, nold, detail);
	if (rc != MGMT_OK) { /* put the old order back, and say so */
		char why[MGMT_DETAIL_MAX + 1];
		memcpy(why, detail, sizeof(why));
		int back = kernel_pipe(pr->pipe, old, nold, detail) == MGMT_OK &&
		           pipe_notify(q, old, nold, st, pr->n, detail) == MGMT_OK;
		snprintf(detail, MGMT_DETAIL_MAX, "%.*s; %s", (int)(MGMT_DETAIL_MAX / 2), why,
		         back ? "the old order is back" : "restoring the old order failed too");
	}
	return rc;
}

/* --- capture -------------------------------------------------------------------------------- */

struct capture {
	const struct mgmt_req *q;
	const struct hk_mgmt_ends *e;
	uint32_t seq, packets, lost;
	int gone; /* the host said its port is closed: stop streaming */
};

/* Host requests that came during a capture, served after it (FIFO). */
static struct hk_pkt held[HOST_DEPTH];
static unsigned nheld, held_at;

/*
 * A packet to ::2 during a capture: an ICMPv6 unreachable quoting our stream
 * (the host's kanctl went away) ends it; anything else waits in held[],
 * which is never fuller than the ring it came from.
 */
static void cap_host(struct capture *c, struct hk_pkt p)
{
	struct kan_icmp6_bounce b;
	const uint8_t *ip = hk_pkt_data(p);
	if (kan_icmp6_parse_unreach(ip, p.len, &b) == 0 && b.has_ports && b.sport == MGMT_PORT &&
	    b.dport == c->e->tport && kan_addr_eq(&b.orig_dst, &c->e->to)) {
		c->gone = 1;
		hk_kan_free(&p, 1);
		return;
	}
	if (nheld < HOST_DEPTH)
		held[nheld++] = p;
	else
		hk_kan_free(&p, 1), c_dropped++, c_requests++;
}

/* One stream item in a new page to the host: 0, or -1 (counted as lost). */
static int cap_send(struct capture *c, const struct mgmt_cap *it)
{
	struct mgmt_w w;
	struct mgmt_hdr h = {MGMT_VERSION, MGMT_OP_CAPTURE, MGMT_OK, c->q->h.id, 0, 1, 0, 0};
	int64_t d = hk_kan_alloc1();
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_cap_put(&w, it);
	struct hk_pkt p = hk_pkt_unpack((uint64_t)d);
	if (d >= 0 && w.err)
		hk_kan_free(&p, 1);
	if (d < 0 || w.err || hk_mgmt_send(&p, c->e, &h, body, w.len)) {
		c->lost++;
		return -1;
	}
	return 0;
}

/* END, which the host waits for: tried again for up to 100 ms if the KAN
 * has no room for it now (the stream may have filled the router's ring). */
static void cap_end(struct capture *c, struct mgmt_cap *it)
{
	for (unsigned i = 0; i < 20; i++) {
		it->lost = c->lost;
		if (!cap_send(c, it))
			return;
		c->lost--; /* not lost yet */
		struct hk_pkt x;
		if (hk_kan_recv(&g.ep_cap, 1, &x, 1, 5000) == 1)
			hk_kan_free(&x, 1); /* a copy made after the end */
	}
}

/* A copy from the kernel: its fragments to the host. The page is freed. */
static void cap_copy(struct capture *c, struct hk_pkt pg)
{
	struct kan_udp u;
	struct kan_cap_rec rec;
	static uint8_t data[KAN_CAP_SNAP_MAX];
	const uint8_t *ip = hk_pkt_data(pg);
	int ok = kan_addr_eq(kan_hdr_src(ip), &hk_kan()->kernel) && !kan_udp_parse(ip, pg.len, &u) &&
	         u.sport == KAN_CAP_PORT && !kan_cap_rec_get(u.payload, u.len, &rec) &&
	         u.len - KAN_CAP_HDR <= sizeof(data);
	size_t n = ok ? u.len - KAN_CAP_HDR : 0;
	if (ok)
		memcpy(data, u.payload + KAN_CAP_HDR, n);
	hk_kan_free(&pg, 1);
	if (!ok || c->packets >= c->q->u.cap.count)
		return;
	struct mgmt_cap it = {.kind = MGMT_CAP_FRAG, .pkt = c->packets++, .orig_len = rec.orig_len,
	                      .time_us = rec.time_us, .caplen = (uint16_t)n};
	size_t off = 0;
	do {
		it.seq = c->seq++;
		it.off = (uint16_t)off;
		it.len = (uint16_t)(n - off < MGMT_CAP_DATA_MAX ? n - off : MGMT_CAP_DATA_MAX);
		it.data = data + off;
		cap_send(c, &it);
		off += it.len;
	} while (off < n);
}

/* Start (ep, pid) or stop (ep = KAN_CAP_STOP) the kernel's capture: 0 or an HK_E*. */
static int kernel_capture(uint32_t ep, int32_t pid, uint16_t snap, struct kan_ctl_resp *r)
{
	struct kan_ctl_req rq = {.op = KAN_CTL_CAPTURE};
	struct hk_pkt pg;
	rq.capture.ep = ep;
	rq.capture.pid = (uint32_t)pid;
	rq.capture.snaplen = snap;
	int rc = kernel_ask(&rq, r, &pg);
	if (!rc)
		hk_kan_free(&pg, 1);
	return rc;
}

/* The pid of process name, or a status (not in the manifest, not running). */
static int capture_pid(const char *name, int32_t *pid, char *detail)
{
	struct hk_proc_info pi;
	int e = name[0] ? entry_of(name) : -1;
	*pid = 0;
	if (!name[0])
		return MGMT_OK;
	if (e < 0 || hk_proc_info((unsigned)e, &pi))
		return snprintf(detail, MGMT_DETAIL_MAX, "no process '%s' in the manifest", name),
		       MGMT_E_NOENT;
	if (pi.pid < 0)
		return snprintf(detail, MGMT_DETAIL_MAX, "'%s' is not running", name), MGMT_E_BUSY;
	*pid = pi.pid;
	return MGMT_OK;
}

/*
 * CAPTURE: the kernel mirrors traffic to our capture endpoint, and each
 * copy goes on to the host as stream items until count packets or the
 * time is up; then END. Host requests wait in their ring meanwhile.
 * MGMT_OK once END is sent, else a status with detail (nothing sent).
 */
static int op_capture(const struct mgmt_req *q, const struct hk_mgmt_ends *e, char *detail)
{
	struct capture c = {.q = q, .e = e};
	struct kan_ctl_resp r;
	int32_t pid;
	uint16_t snap = q->u.cap.snaplen < KAN_CAP_SNAP_MAX ? q->u.cap.snaplen : KAN_CAP_SNAP_MAX;
	int st = capture_pid(q->u.cap.process, &pid, detail);
	if (st != MGMT_OK)
		return st;
	int rc = kernel_capture(g.ep_cap, pid, snap, &r);
	if (rc)
		return snprintf(detail, MGMT_DETAIL_MAX, "the kernel refused the capture: %s",
		                rc > 0 ? hk_strerror(-rc) : "no answer"), MGMT_E_INTERNAL;
	uint64_t end = (uint64_t)hk_time_us() + (uint64_t)q->u.cap.timeout_ms * 1000;
	uint32_t eps[3] = {g.ep_cap, g.ep_inner, g.ep_host};
	for (uint64_t now; !c.gone && c.packets < q->u.cap.count &&
	                   (now = (uint64_t)hk_time_us()) < end;) {
		struct hk_pkt in[16];
		int64_t got = hk_kan_recv(eps, nheld < HOST_DEPTH ? 3 : 2, in, 16, end - now);
		for (int64_t i = 0; i < got; i++)
			if (in[i].ep == g.ep_cap)
				cap_copy(&c, in[i]);
			else if (in[i].ep == g.ep_host)
				cap_host(&c, in[i]);
			else
				stray(&in[i]);
	}
	int stop = -2;
	for (unsigned i = 0; i < 3 && stop == -2; i++) /* a capture left running would refuse the next */
		stop = kernel_capture(KAN_CAP_STOP, 0, 0, &r);
	if (stop)
		memset(&r, 0, sizeof(r)); /* no counts to report */
	struct hk_pkt left[16];
	for (int64_t got; (got = hk_kan_recv(&g.ep_cap, 1, left, 16, 0)) > 0;)
		hk_kan_free(left, (unsigned)got); /* copies made after the end */
	if (c.gone)
		return MGMT_OK; /* nobody to tell */
	struct mgmt_cap it = {.kind = MGMT_CAP_END, .seq = c.seq, .packets = c.packets,
	                      .dropped = r.capture.dropped, .lost = c.lost,
	                      .reason = c.packets >= q->u.cap.count ? MGMT_CAP_COUNT : MGMT_CAP_TIME};
	cap_end(&c, &it);
	return MGMT_OK;
}

/* --- the rest of the operations ---------------------------------------------------------- */

/* Pass q to the component at `to` and its answer (or error text) back. */
static int relay(const struct hk_addr *to, const struct mgmt_req *q, struct mgmt_w *w,
                 char *detail)
{
	size_t len = 0;
	int st = ask_one(to, q, ask_buf, sizeof(ask_buf), &len);
	if (st == MGMT_OK)
		mgmt_put(w, ask_buf, len);
	else if (len)
		snprintf(detail, MGMT_DETAIL_MAX, "%.*s", (int)(len < MGMT_DETAIL_MAX ? len : MGMT_DETAIL_MAX),
		         (const char *)ask_buf);
	else if (st == MGMT_E_TIMEOUT)
		snprintf(detail, MGMT_DETAIL_MAX, "no answer from %s",
		         q->h.op == MGMT_OP_KILL || q->h.op == MGMT_OP_RESTART ? "the supervisor"
		                                                                : "the router");
	return st;
}

static int op_info(struct mgmt_w *w)
{
	struct hk_proc_info pi;
	struct mgmt_info i = {.writes = g.keylen > 0, .epoch = g.epoch, .last_seq = g.last_seq,
	                      .uptime_us = (uint64_t)hk_time_us(), .prefix = hk_kan()->prefix};
	if (hk_proc_info(0, &pi) == 0)
		i.nprocs = (uint16_t)pi.nprocs;
	mgmt_info_put(w, &i);
	return MGMT_OK;
}

static int dispatch(const struct mgmt_req *q, struct mgmt_w *w, char *detail)
{
	struct hk_addr to;
	switch (q->h.op) {
	case MGMT_OP_INFO: return op_info(w);
	case MGMT_OP_PS: return op_ps(w, detail);
	case MGMT_OP_COUNTERS: return op_counters(q->u.name, w, detail);
	case MGMT_OP_ROUTES:
	case MGMT_OP_ROUTE_ADD:
	case MGMT_OP_ROUTE_DEL:
		if (entry_addr(HK_PI_UPLINK, 0, &to))
			return snprintf(detail, MGMT_DETAIL_MAX, "this node has no router"), MGMT_E_NOENT;
		return relay(&to, q, w, detail);
	case MGMT_OP_KILL:
	case MGMT_OP_RESTART:
		entry_addr(0, 1, &to);
		return relay(&to, q, w, detail);
	case MGMT_OP_PING: return op_ping(&q->u.ping, w, detail);
	case MGMT_OP_PIPE_SET: return op_pipe_set(q, detail);
	default:
		return snprintf(detail, MGMT_DETAIL_MAX, "'%s' is not served", mgmt_op_name(q->h.op)),
		       MGMT_E_OP;
	}
}

/* --- access control ----------------------------------------------------------------------- */

static int host_allowed(const struct hk_addr *src)
{
	for (unsigned i = 0; i < g.nhosts; i++) {
		struct hk_addr a = *src;
		net_lpm_mask(&a, g.host[i].len);
		if (kan_addr_eq(&a, &g.host[i].net))
			return 1;
	}
	return 0;
}

/* Whether the write q (the message msg) may go ahead: MGMT_OK or why not. */
static int write_ok(const struct mgmt_req *q, const uint8_t *msg, const struct hk_addr *src,
                    char *detail)
{
	if (!host_allowed(src))
		return MGMT_E_FORBIDDEN;
	if (!g.keylen || !q->authed) {
		snprintf(detail, MGMT_DETAIL_MAX, "%s", g.keylen ? "writes need an auth trailer"
		                                                  : "no key= configured: writes are off");
		return MGMT_E_NOAUTH;
	}
	if (!mgmt_auth_ok(msg, q, g.key, g.keylen, g.epoch))
		return MGMT_E_BADAUTH;
	if (q->seq <= g.last_seq) {
		snprintf(detail, MGMT_DETAIL_MAX, "sequence %llu is not above %llu",
		         (unsigned long long)q->seq, (unsigned long long)g.last_seq);
		return MGMT_E_REPLAY;
	}
	g.last_seq = q->seq; /* consumed even if the change is then refused */
	return MGMT_OK;
}

/* --- the host's requests ------------------------------------------------------------------- */

static void handle(struct hk_pkt p)
{
	static struct mgmt_req q;
	char detail[MGMT_DETAIL_MAX + 1] = "";
	struct kan_udp u;
	struct mgmt_w w;
	const uint8_t *ip = hk_pkt_data(p);
	c_requests++;
	int st = kan_udp_parse(ip, p.len, &u) || u.dport != MGMT_PORT ? MGMT_DROP
	                                                               : mgmt_req_decode(u.payload, u.len, &q);
	if (st == MGMT_DROP) {
		c_dropped++;
		hk_kan_free(&p, 1);
		return;
	}
	struct hk_mgmt_ends e = {*kan_hdr_dst(ip), *kan_hdr_src(ip), MGMT_PORT, u.sport};
	mgmt_w_init(&w, body, sizeof(body));
	if (st == MGMT_OK && mgmt_op_is_write(q.h.op))
		st = write_ok(&q, u.payload, &e.to, detail);
	if (st == MGMT_OK && q.h.op == MGMT_OP_CAPTURE) {
		st = op_capture(&q, &e, detail); /* answers itself, as a stream */
		if (st == MGMT_OK) {
			c_status[MGMT_OK]++;
			hk_kan_free(&p, 1);
			return;
		}
	} else if (st == MGMT_OK) {
		st = dispatch(&q, &w, detail);
	}
	if (st == MGMT_OK && w.err) {
		st = MGMT_E_INTERNAL;
		snprintf(detail, MGMT_DETAIL_MAX, "answer larger than %u bytes", MGMT_BODY_MAX);
	}
	c_status[st < MGMT_E_COUNT ? st : MGMT_E_INTERNAL]++;
	struct mgmt_hdr h = {MGMT_VERSION, q.h.op, (uint16_t)st, q.h.id, 0, 1, 0, 0};
	size_t n = st == MGMT_OK ? w.len : strnlen(detail, MGMT_DETAIL_MAX);
	if (st != MGMT_OK)
		memcpy(body, detail, n);
	hk_mgmt_send(&p, &e, &h, body, n);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	make_epoch();
	publish();
	int64_t ep = hk_kan_bind(HK_KAN_BIND_MGMT, HOST_DEPTH);
	if (ep < 0)
		hk_fail("mgmt: binding <prefix>::2: %s (the manifest entry needs the key mgmt)",
		        hk_strerror((int)ep));
	g.ep_host = (uint32_t)ep;
	g.ep_inner = hk_kan()->ep;
	ep = hk_kan_bind(1, CAP_DEPTH);
	if (ep < 0)
		hk_fail("mgmt: binding the capture endpoint: %s", hk_strerror((int)ep));
	g.ep_cap = (uint32_t)ep;
	g.self = hk_kan()->addr;
	struct hk_addr svc = kan_addr_make(&hk_kan()->prefix, MGMT_IID);
	char a[48];
	hk_addr_str(&svc, a, sizeof(a));
	printf("mgmt: serving [%s]:%u, writes %s from %u host prefixes\n", a, MGMT_PORT,
	       g.keylen ? "authenticated" : "off (no key=)", g.nhosts);
	uint32_t eps[2] = {g.ep_host, g.ep_inner};
	for (;;) {
		struct hk_pkt p;
		if (held_at < nheld) { /* what came during a capture goes first, in order */
			handle(held[held_at++]);
			continue;
		}
		held_at = nheld = 0;
		int64_t n = hk_kan_recv(eps, 2, &p, 1, HK_TIMEOUT_FOREVER);
		if (n == -HK_ESRCH)
			return 0;
		if (n != 1)
			continue;
		if (p.ep == g.ep_host)
			handle(p);
		else
			stray(&p);
	}
}
