// SPDX-License-Identifier: BSD-2-Clause
/*
 * A sibling that must keep running while others crash: ITER rounds of work
 * and a short sleep; fails if any gap between rounds exceeds MAX_GAP_US or
 * its own memory changes under it.
 */
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>

#define ITER       60
#define SLEEP_US   10000u
#define MAX_GAP_US 200000u
#define WORDS      4096

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : ITER;
	uint32_t *mem = malloc(WORDS * sizeof(uint32_t));
	if (!mem)
		hk_fail("malloc");
	for (int i = 0; i < WORDS; i++)
		mem[i] = (uint32_t)i * 2654435761u;
	int64_t last = hk_time_us(), worst = 0;
	for (int r = 0; r < iters; r++) {
		hk_sleep_us(SLEEP_US);
		int64_t now = hk_time_us();
		worst = now - last > worst ? now - last : worst;
		last = now;
		if (r % 20 == 0)
			printf("steady: round %d\n", r);
	}
	for (int i = 0; i < WORDS; i++)
		if (mem[i] != (uint32_t)i * 2654435761u)
			hk_fail("memory changed at word %d", i);
	printf("steady: %d rounds, longest gap %lld us (bound %u): %s\n", iters, (long long)worst,
	       MAX_GAP_US, worst <= MAX_GAP_US ? "ok" : "FAILED");
	return worst <= MAX_GAP_US ? 0 : 1;
}
