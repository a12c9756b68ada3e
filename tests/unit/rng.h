/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_TEST_RNG_H
#define HEKATE_TEST_RNG_H

/* xorshift64* for the unit tests' randomized cases: each test seeds
 * rng_state itself, so every run is reproducible. */
#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static inline unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

#endif
