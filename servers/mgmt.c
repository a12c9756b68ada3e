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
#include <kan/udp.h>
#include <net/lpm.h>
#include <net/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS_MAX 8
#define HOST_DEPTH 64
#define ASK_CAP HK_MGMT_RESP_MAX /* the largest answer a component builds */

static struct {
	uint8_t key[MGMT_KEY_MAX];
	size_t keylen;
	struct { struct hk_addr net; unsigned len; } host[HOSTS_MAX];
	unsigned nhosts;
	uint64_t wait_us;
	uint64_t epoch, last_seq;
	struct hk_addr self; /* our primary: the source of what we ask */
	uint32_t ep_host, ep_inner;
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
 * A kernel control request (kan/ctl.h): 0 with the ok response decoded into
 * *r from page *pg (the caller frees it), -1 for an error status, -2 when no
 * answer came.
 */
static int kernel_ask(struct kan_ctl_req *rq, struct kan_ctl_resp *r, struct hk_pkt *pg)
{
	uint8_t msg[64];
	rq->id = ++g.next_id;
	size_t n = kan_ctl_req_encode(rq, msg, sizeof(msg));
	send_udp(&hk_kan()->kernel, KAN_CTL_PORT, msg, n);
	uint64_t end = (uint64_t)hk_time_us() + g.wait_us;
	for (uint64_t now; (now = (uint64_t)hk_time_us()) < end;) {
		struct kan_udp u;
		int64_t got = hk_kan_recv(&g.ep_inner, 1, pg, 1, end - now);
		if (got != 1)
			continue;
		const uint8_t *ip = hk_pkt_data(*pg);
		if (kan_addr_eq(kan_hdr_src(ip), &hk_kan()->kernel) && !kan_udp_parse(ip, pg->len, &u) &&
		    !kan_ctl_resp_decode(u.payload, u.len, r) && r->id == rq->id) {
			if (!r->status)
				return 0;
			hk_kan_free(pg, 1);
			return -1;
		}
		stray(pg);
	}
	c_inner_timeouts++;
	return -2;
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
	default:
		return snprintf(detail, MGMT_DETAIL_MAX, "'%s' is not served yet",
		                mgmt_op_name(q->h.op)), MGMT_E_OP;
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
	if (st == MGMT_OK)
		st = dispatch(&q, &w, detail);
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
	g.self = hk_kan()->addr;
	struct hk_addr svc = kan_addr_make(&hk_kan()->prefix, MGMT_IID);
	char a[48];
	hk_addr_str(&svc, a, sizeof(a));
	printf("mgmt: serving [%s]:%u, writes %s from %u host prefixes\n", a, MGMT_PORT,
	       g.keylen ? "authenticated" : "off (no key=)", g.nhosts);
	uint32_t eps[2] = {g.ep_host, g.ep_inner};
	for (;;) {
		struct hk_pkt p;
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
