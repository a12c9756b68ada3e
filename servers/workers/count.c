// SPDX-License-Identifier: BSD-2-Clause
/*
 * Counting stage: passes everything on, counting packets and bytes by
 * protocol (UDP, ICMPv6, other). The counters are in its stats reply.
 * args: crash-after=N (tests) faults on purpose once N packets came in,
 * between two batches, to show a pipeline surviving a stage's death.
 */
#include "../stage.h"

#include <hekate/user.h>
#include <stdlib.h>
#include <string.h>

enum { C_UDP, C_ICMP, C_OTHER, C_BYTES };

static enum stage_verdict count(struct stage *s, struct hk_pkt *p, const struct net_ip6_info *in,
                                unsigned *why)
{
	(void)why;
	s->user[in->proto == 17 ? C_UDP : in->proto == 58 ? C_ICMP : C_OTHER]++;
	s->user[C_BYTES] += p->len;
	return STAGE_PASS;
}

int main(int argc, char **argv)
{
	static struct stage s = {
	    .name = "count",
	    .packet = count,
	    .user_name = {[C_UDP] = "udp", [C_ICMP] = "icmp", [C_OTHER] = "other",
	                  [C_BYTES] = "bytes"}};
	for (int i = 1; i < argc; i++) {
		char *end;
		if (strncmp(argv[i], "crash-after=", 12) ||
		    !(s.crash_after = strtoull(argv[i] + 12, &end, 10)) || *end)
			hk_fail("count: unknown argument '%s' (crash-after=N)", argv[i]);
	}
	return stage_run(&s);
}
