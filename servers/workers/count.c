// SPDX-License-Identifier: BSD-2-Clause
/*
 * Counting stage: passes everything on, counting packets and bytes by
 * protocol (UDP, ICMPv6, other). The counters are in its stats reply.
 */
#include "../stage.h"

enum { C_UDP, C_ICMP, C_OTHER, C_BYTES };

static enum stage_verdict count(struct stage *s, struct hk_pkt *p, const struct net_ip6_info *in,
                                unsigned *why)
{
	(void)why;
	s->user[in->proto == 17 ? C_UDP : in->proto == 58 ? C_ICMP : C_OTHER]++;
	s->user[C_BYTES] += p->len;
	return STAGE_PASS;
}

int main(void)
{
	static struct stage s = {
	    .name = "count",
	    .packet = count,
	    .user_name = {[C_UDP] = "udp", [C_ICMP] = "icmp", [C_OTHER] = "other",
	                  [C_BYTES] = "bytes"}};
	return stage_run(&s);
}
