// SPDX-License-Identifier: BSD-2-Clause
/*
 * ICMPv6 echo responder: `ping -6 <its address>` from the host gets the
 * reply from this process. The runtime (stage.c) answers echo requests to
 * a worker's own address, so this worker's own function only has the
 * packets nobody answers: anything else sent to it is dropped and counted.
 */
#include "../stage.h"

static enum stage_verdict other(struct stage *s, struct hk_pkt *p, const struct net_ip6_info *in,
                                unsigned *why)
{
	(void)s, (void)p, (void)in;
	*why = NET_DROP_UNHANDLED;
	return STAGE_DROP;
}

int main(void)
{
	static struct stage s = {.name = "icmpecho", .packet = other};
	return stage_run(&s);
}
