// SPDX-License-Identifier: BSD-2-Clause
/*
 * Geneve tunnel stages (RFC 8926, codec in net/geneve.c), one binary, the
 * role from the manifest's args:
 *   decap                 pops the outer IPv6/UDP/Geneve headers by moving
 *                         the packet's offset (no copy) and passes the
 *                         inner IPv6 packet on; only IPv6 inner packets
 *   encap remote=ADDR [vni=N]   pushes outer headers from this process's
 *                         address to ADDR (the tunnel's far end) into the
 *                         headroom and passes the result on
 * Anything malformed is dropped as geneve-bad or udp-bad.
 */
#include "../stage.h"

#include <hekate/user.h>
#include <kan/ipv6.h>
#include <net/geneve.h>
#include <stdlib.h>
#include <string.h>

enum { C_PACKETS, C_VNI };

static struct hk_addr remote;
static uint32_t vni;

static enum stage_verdict decap(struct stage *s, struct hk_pkt *p, const struct net_ip6_info *in,
                                unsigned *why)
{
	(void)in;
	struct net_geneve g;
	int bad = net_geneve_decap(hk_pkt_data(*p), p->len, &g);
	if (bad == NET_PASS && g.proto != NET_GENEVE_PROTO_IP6)
		bad = NET_DROP_GENEVE_BAD;
	if (bad == NET_PASS && net_ip6_check(hk_pkt_data(*p) + g.inner_off, g.inner_len,
	                                     &(struct net_ip6_info){0}) != NET_PASS)
		bad = NET_DROP_GENEVE_BAD; /* the inner packet must be one the next stage can take */
	if (bad != NET_PASS) {
		*why = (unsigned)bad;
		return STAGE_DROP;
	}
	p->off = (uint16_t)(p->off + g.inner_off);
	p->len = g.inner_len;
	s->user[C_PACKETS]++;
	s->user[C_VNI] = g.vni;
	return STAGE_PASS;
}

static enum stage_verdict encap(struct stage *s, struct hk_pkt *p, const struct net_ip6_info *in,
                                unsigned *why)
{
	(void)in;
	uint16_t sport = net_geneve_sport(hk_pkt_data(*p), p->len);
	if (net_geneve_encap(hk_pkt_page(*p), HK_PKT_SIZE, &p->off, &p->len, &s->addr, &remote, vni,
	                     NET_GENEVE_PROTO_IP6, sport)) {
		*why = NET_DROP_NO_BUFFER; /* no headroom, or too long to wrap */
		return STAGE_DROP;
	}
	s->user[C_PACKETS]++;
	return STAGE_PASS;
}

int main(int argc, char **argv)
{
	static struct stage s = {.name = "geneve",
	                         .user_name = {[C_PACKETS] = "packets", [C_VNI] = "vni"}};
	if (argc >= 2 && !strcmp(argv[1], "decap")) {
		s.name = "gdecap";
		s.packet = decap;
	} else if (argc >= 3 && !strcmp(argv[1], "encap")) {
		s.name = "gencap";
		s.packet = encap;
		if (strncmp(argv[2], "remote=", 7) || kan_addr_parse(argv[2] + 7, strlen(argv[2] + 7),
		                                                     &remote))
			hk_fail("geneve: encap needs remote=ADDR, got '%s'", argv[2]);
		if (argc >= 4) {
			char *end;
			unsigned long v = strtoul(argv[3] + 4, &end, 10);
			if (strncmp(argv[3], "vni=", 4) || *end || !argv[3][4] || v > NET_GENEVE_VNI_MAX)
				hk_fail("geneve: bad '%s' (vni=0..16777215)", argv[3]);
			vni = (uint32_t)v;
		}
		s.user[C_VNI] = vni;
	} else {
		hk_fail("geneve: usage: decap | encap remote=ADDR [vni=N]");
	}
	return stage_run(&s);
}
