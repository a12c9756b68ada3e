// SPDX-License-Identifier: BSD-2-Clause
/*
 * The worker runtime (contracts in stage.h). One thread: receive a batch,
 * sort every packet into "on by next hop", "on by destination" or "free",
 * then one vector call for each.
 */
#include "stage.h"

#include <hekate/mgmt.h>
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <stdio.h>
#include <string.h>

#define BATCH HK_KAN_BATCH

struct out {
	struct hk_pkt via[BATCH], dst[BATCH], free[BATCH];
	unsigned nvia, ndst, nfree;
};

const uint8_t *stage_udp(const uint8_t *ip, const struct net_ip6_info *in)
{
	return in->l4_len >= KAN_UDP_HDR ? ip + in->l4_off : NULL;
}

static void drop(struct stage *s, struct out *o, struct hk_pkt p, unsigned why)
{
	s->dropped++;
	s->drops[why < NET_DROP_COUNT ? why : NET_DROP_UNHANDLED]++;
	o->free[o->nfree++] = p;
}

/* Send n packets; one the KAN refuses is freed and counted under
 * kan-refused (it was already counted as passed, a ping or a stats reply:
 * that says what the stage decided, this what the KAN then refused). */
static void send_all(struct stage *s, struct hk_pkt *p, unsigned n, unsigned flags)
{
	s->drops[NET_DROP_KAN_REFUSED] += hk_kan_send_all(p, n, flags);
}

/* "name value" lines of every counter into buf; returns the length. */
static size_t format_stats(const struct stage *s, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap,
	                            "stage %s\nrx %llu\npassed %llu\nconsumed %llu\ndropped %llu\n"
	                            "pings %llu\nstats %llu\n",
	                            s->name, (unsigned long long)s->rx,
	                            (unsigned long long)s->passed, (unsigned long long)s->consumed,
	                            (unsigned long long)s->dropped, (unsigned long long)s->pings,
	                            (unsigned long long)s->stats);
	if (n < cap)
		n += net_drops_format(buf + n, cap - n, s->drops);
	for (unsigned i = 0; i < STAGE_USER_COUNTERS && n < cap; i++)
		if (s->user_name[i])
			n += (size_t)snprintf(buf + n, cap - n, "%s %llu\n", s->user_name[i],
			                      (unsigned long long)s->user[i]);
	return n < cap ? n : cap;
}

/* A stats request to our own address: answer in the same page. */
static void answer_stats(struct stage *s, struct hk_pkt *p, const uint8_t *udp)
{
	uint8_t *ip = hk_pkt_data(*p);
	uint16_t sport = kan_get16(udp), dport = kan_get16(udp + 2);
	size_t cap = HK_PKT_SIZE - p->off - KAN_UDP_OFF;
	if (cap > NET_STATS_MAX)
		cap = NET_STATS_MAX;
	s->stats++; /* counted before formatting, so the reply includes itself */
	size_t n = format_stats(s, (char *)ip + KAN_UDP_OFF, cap);
	p->len = (uint16_t)kan_udp_build(ip, HK_PKT_SIZE - p->off, kan_hdr_dst(ip), kan_hdr_src(ip),
	                                 dport, sport, n);
}

/* Our place in a pipeline from the manifest (at start, and after PIPE_SET). */
static int load_pipe(struct stage *s)
{
	struct hk_self self;
	struct hk_proc_info pi, nx;
	char a[48];
	hk_self(&self);
	if (hk_proc_info((unsigned)self.index, &pi))
		return -1;
	s->next = pi.pipe_next;
	hk_addr_str(&s->addr, a, sizeof(a));
	if (s->next >= 0 && hk_proc_info((unsigned)s->next, &nx) == 0)
		printf("%s: worker at %s, stage of pipeline %s, next %s\n", s->name, a, pi.pipe,
		       nx.name);
	else
		printf("%s: worker at %s%s%s\n", s->name, a, pi.pipe[0] ? ", last stage of pipeline " : "",
		       pi.pipe);
	return 0;
}

/*
 * Management requests beyond COUNTERS: PIPE_SET from the management service
 * says our pipeline changed. Read the manifest again before answering, so
 * every packet after this request goes by the new order.
 */
static int stage_mgmt(void *ctx, const struct mgmt_req *q, const struct hk_addr *src,
                      struct mgmt_w *w, char *detail)
{
	struct stage *s = ctx;
	struct hk_addr m;
	(void)w;
	if (q->h.op != MGMT_OP_PIPE_SET)
		return MGMT_E_OP;
	if (hk_mgmt_addr(&m) || !kan_addr_eq(src, &m)) {
		snprintf(detail, MGMT_DETAIL_MAX, "pipelines change only through the management service");
		return MGMT_E_FORBIDDEN;
	}
	return load_pipe(s) ? MGMT_E_INTERNAL : MGMT_OK;
}

/* The runtime's own services, for packets to our address: 1 if it took p. */
static int own_service(struct stage *s, struct out *o, struct hk_pkt *p,
                       const struct net_ip6_info *in)
{
	uint8_t *ip = hk_pkt_data(*p);
	if (!kan_addr_eq(kan_hdr_dst(ip), &s->addr))
		return 0;
	if (in->proto == 58 && ip[in->l4_off] == NET_ICMP6_ECHO_REQUEST) {
		int bad = net_icmp6_answer(ip, in, &s->addr, &p->off, &p->len);
		if (bad != NET_PASS) {
			drop(s, o, *p, (unsigned)bad);
			return 1;
		}
		s->pings++;
		o->dst[o->ndst++] = *p;
		return 1;
	}
	const uint8_t *udp = in->proto == 17 ? stage_udp(ip, in) : NULL;
	if (udp && kan_get16(udp + 2) == MGMT_INNER_PORT && hk_mgmt_serve(p, stage_mgmt, s)) {
		s->stats++; /* answered (sent) or freed by hk_mgmt_serve */
		return 1;
	}
	if (udp && kan_get16(udp + 2) == NET_STATS_PORT) {
		answer_stats(s, p, udp);
		o->dst[o->ndst++] = *p;
		return 1;
	}
	return 0;
}

/* One received packet into o. */
static void sort(struct stage *s, struct out *o, struct hk_pkt p)
{
	struct net_ip6_info in;
	unsigned why = NET_DROP_UNHANDLED;
	s->rx++;
	uint8_t *ip = hk_pkt_data(p);
	int bad = net_ip6_check(ip, p.len, &in);
	if (bad != NET_PASS) {
		drop(s, o, p, (unsigned)bad);
		return;
	}
	p.len = (uint16_t)net_ip6_len(ip); /* padding a frame carried is not the packet's */
	if (own_service(s, o, &p, &in))
		return;
	switch (s->packet(s, &p, &in, &why)) {
	case STAGE_PASS:
		s->passed++;
		if (s->next >= 0) {
			p.ep = hk_via((unsigned)s->next, 0);
			o->via[o->nvia++] = p;
		} else {
			o->dst[o->ndst++] = p;
		}
		return;
	case STAGE_CONSUMED: s->consumed++; return;
	case STAGE_DROP: drop(s, o, p, why); return;
	}
}

/* Every counter of the stage, for the management service (hk_ctr_publish). */
static void publish(struct stage *s)
{
	const char *const names[] = {"rx", "passed", "consumed", "dropped", "pings", "stats"};
	const uint64_t *const v[] = {&s->rx, &s->passed, &s->consumed, &s->dropped, &s->pings,
	                             &s->stats};
	int rc = 0;
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		rc |= hk_ctr_publish(names[i], v[i]);
	for (unsigned i = 0; i < NET_DROP_COUNT; i++)
		rc |= hk_ctr_publish(net_drop_counter(i), &s->drops[i]);
	if (rc)
		hk_fail("%s: publishing counters", s->name);
	for (unsigned i = 0; i < STAGE_USER_COUNTERS; i++) /* names from arguments may not fit */
		if (s->user_name[i] && hk_ctr_publish(s->user_name[i], &s->user[i]))
			printf("%s: counter '%s' not published (a name of 1..63 printable characters, "
			       "no space, unique)\n", s->name, s->user_name[i]);
}

static void setup(struct stage *s)
{
	publish(s);
	s->addr = hk_kan()->addr;
	if (load_pipe(s))
		hk_fail("%s: proc_info", s->name);
}

int stage_run(struct stage *s)
{
	static struct out o;
	struct hk_pkt in[BATCH];
	uint32_t ep = hk_kan()->ep;
	setup(s);
	for (;;) {
		if (s->crash_after && s->rx >= s->crash_after) {
			printf("%s: crash-after=%llu reached: faulting on purpose\n", s->name,
			       (unsigned long long)s->crash_after);
			*(volatile int *)16 = 1; /* a null-page write: the kernel ends us */
		}
		int64_t n = hk_kan_recv(&ep, 1, in, BATCH, HK_TIMEOUT_FOREVER);
		if (n < 0) {
			if (n == -HK_ESRCH)
				return 0;
			printf("%s: kan_recv: %s\n", s->name, hk_strerror((int)n));
			return 1;
		}
		o.nvia = o.ndst = o.nfree = 0;
		for (int64_t i = 0; i < n; i++)
			sort(s, &o, in[i]);
		if (o.nvia)
			send_all(s, o.via, o.nvia, HK_SEND_VIA);
		if (o.ndst)
			send_all(s, o.dst, o.ndst, 0);
		if (o.nfree)
			hk_kan_free(o.free, o.nfree);
	}
}
