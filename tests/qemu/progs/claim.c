// SPDX-License-Identifier: BSD-2-Clause
/*
 * Runs on the core the manifest lets it claim (argv[1]) and polls for
 * POLL_US without blocking. The core's counters must show that nothing else
 * ran there and no tick preempted it (switches, ticks and preemptions
 * unchanged), while another core's tick kept counting.
 */
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>

#define POLL_US 400000

int main(int argc, char **argv)
{
	struct hk_self s;
	struct hk_core_stat b, a, ob, oa;
	unsigned core = argc > 1 ? (unsigned)atoi(argv[1]) : 0, other = core ? 0 : 1;
	hk_self(&s);
	if (s.core != core)
		hk_fail("running on core %u, not the claimed core %u", s.core, core);
	hk_yield(); /* nothing else may be runnable here: yield returns at once */
	if (hk_core_stat(core, &b) || hk_core_stat(other, &ob))
		hk_fail("core_stat");
	if (b.claimed_by != s.pid)
		hk_fail("core %u claimed by %d, not by me (%d)", core, b.claimed_by, s.pid);
	volatile uint64_t polls = 0;
	int64_t t0 = hk_time_us();
	while (hk_time_us() - t0 < POLL_US)
		for (int i = 0; i < 4096; i++)
			polls++;
	if (hk_core_stat(core, &a) || hk_core_stat(other, &oa))
		hk_fail("core_stat");
	printf(
	    "claim: core %u for %d us: %llu polls; switches +%llu, ticks +%llu, preemptions +%llu;"
	    " core %u ticks +%llu\n",
	    core, POLL_US, (unsigned long long)polls, (unsigned long long)(a.switches - b.switches),
	    (unsigned long long)(a.ticks - b.ticks),
	    (unsigned long long)(a.preemptions - b.preemptions), other,
	    (unsigned long long)(oa.ticks - ob.ticks));
	if (a.switches != b.switches || a.ticks != b.ticks || a.preemptions != b.preemptions)
		hk_fail("the claimed core was shared or preempted");
	if (oa.ticks - ob.ticks < 10)
		hk_fail("core %u's tick did not advance: the counters prove nothing", other);
	printf("claim: exclusive and unpreempted: ok\n");
	return 0;
}
