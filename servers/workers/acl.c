// SPDX-License-Identifier: BSD-2-Clause
/*
 * Stateless filter stage. Rules come from the manifest's args, checked in
 * order, first match drops (counted as acl-deny and per rule); the rest
 * passes:
 *   deny=udp:PORT     UDP to destination port PORT
 *   deny=proto:N      next header N (after extension headers)
 *   deny=src:P/LEN    source inside the prefix
 *   max-len=N         packets longer than N bytes
 * A bad rule stops the process at start with a message naming it.
 */
#include "../stage.h"

#include <hekate/user.h>
#include <kan/ipv6.h>
#include <kan/wire.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES STAGE_USER_COUNTERS

enum kind { R_UDP_PORT, R_PROTO, R_SRC, R_MAX_LEN };

struct rule {
	enum kind kind;
	unsigned v;          /* port, protocol, prefix length or byte count */
	struct hk_addr net;  /* R_SRC */
	char text[40];
};

static struct rule rules[MAX_RULES];
static unsigned nrules;

/* A decimal number in [0, max] for the whole of s, else -1. */
static long number(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 && v <= max ? v : -1;
}

static int parse_rule(const char *arg, struct rule *r)
{
	long v = -1;
	if (!strncmp(arg, "deny=udp:", 9)) {
		r->kind = R_UDP_PORT;
		v = number(arg + 9, 65535);
	} else if (!strncmp(arg, "deny=proto:", 11)) {
		r->kind = R_PROTO;
		v = number(arg + 11, 255);
	} else if (!strncmp(arg, "deny=src:", 9)) {
		r->kind = R_SRC;
		v = kan_net_parse(arg + 9, strlen(arg + 9), &r->net, &r->v) ? -1 : (long)r->v;
	} else if (!strncmp(arg, "max-len=", 8)) {
		r->kind = R_MAX_LEN;
		v = number(arg + 8, 65535);
	}
	r->v = (unsigned)v;
	strncpy(r->text, arg, sizeof(r->text) - 1);
	return v < 0 ? -1 : 0;
}

static int in_net(const struct hk_addr *a, const struct rule *r)
{
	for (unsigned bit = 0; bit < r->v; bit++)
		if ((a->b[bit / 8] ^ r->net.b[bit / 8]) & (0x80u >> (bit % 8)))
			return 0;
	return 1;
}

static int matches(const struct rule *r, const uint8_t *ip, const struct net_ip6_info *in,
                   unsigned len)
{
	const uint8_t *udp;
	switch (r->kind) {
	case R_UDP_PORT:
		udp = in->proto == 17 ? stage_udp(ip, in) : NULL;
		return udp && kan_get16(udp + 2) == r->v;
	case R_PROTO: return in->proto == r->v;
	case R_SRC: return in_net(kan_hdr_src(ip), r);
	case R_MAX_LEN: return len > r->v;
	}
	return 0;
}

static enum stage_verdict filter(struct stage *s, struct hk_pkt *p, const struct net_ip6_info *in,
                                 unsigned *why)
{
	const uint8_t *ip = hk_pkt_data(*p);
	for (unsigned i = 0; i < nrules; i++)
		if (matches(&rules[i], ip, in, p->len)) {
			s->user[i]++;
			*why = NET_DROP_ACL_DENY;
			return STAGE_DROP;
		}
	return STAGE_PASS;
}

int main(int argc, char **argv)
{
	static struct stage s = {.name = "acl", .packet = filter};
	for (int i = 1; i < argc; i++) {
		if (nrules == MAX_RULES)
			hk_fail("acl: more than %u rules", MAX_RULES);
		if (parse_rule(argv[i], &rules[nrules]))
			hk_fail("acl: bad rule '%s' (deny=udp:PORT, deny=proto:N, deny=src:P/LEN, "
			        "max-len=N)", argv[i]);
		s.user_name[nrules] = rules[nrules].text;
		nrules++;
	}
	return stage_run(&s);
}
