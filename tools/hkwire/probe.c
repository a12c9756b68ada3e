// SPDX-License-Identifier: BSD-2-Clause
/*
 * probe-send / probe-recv: numbered test frames that prove a path carries
 * frames intact, with or without a node behind it (the smoke test sends
 * them into QEMU on one transport and takes them out on the other). A
 * probe is EtherType 0x88b5 (IEEE 802 local experimental, so no stack on
 * the way treats it as its own): tag, sequence, frame length, then pattern
 * bytes of (seed, sequence). Frames may arrive padded; the bytes past the
 * stated length are not checked.
 */
#include "hkwire.h"

#include <kan/wire.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_TYPE 0x88b5u
#define PROBE_TAG  0x686b7770u /* "hkwp" */
#define PROBE_HEAD (NET_ETH_HDR + 12u)

static size_t probe_len(const struct hw_opts *o, uint32_t seq)
{
	uint64_t s = o->seed ^ ((uint64_t)seq << 24 | 0x27d4eb2fu);
	return o->min_size + (size_t)(hw_rand(&s) % (o->max_size - o->min_size + 1));
}

/* Probe seq of len bytes at f. */
static void probe_build(const struct hw_opts *o, uint32_t seq, uint8_t *f, size_t len)
{
	net_eth_write(f, &o->node_mac, &o->mac, PROBE_TYPE);
	kan_put32(f + NET_ETH_HDR, PROBE_TAG);
	kan_put32(f + NET_ETH_HDR + 4, seq);
	kan_put32(f + NET_ETH_HDR + 8, (uint32_t)len);
	hw_fill(f + PROBE_HEAD, len - PROBE_HEAD, o->seed, seq);
}

static int sizes_ok(const struct hw_link *l, const struct hw_opts *o)
{
	if (o->min_size < PROBE_HEAD || o->max_size > l->max_frame || o->min_size > o->max_size) {
		fprintf(stderr, "hkwire: probe sizes must lie in %u..%zu (min <= max)\n", PROBE_HEAD,
		        l->max_frame);
		return 0;
	}
	return 1;
}

int cmd_probe_send(struct hw_link *l, const struct hw_opts *o)
{
	static uint8_t f[HW_FRAME_MAX];
	if (!sizes_ok(l, o))
		return HW_EXIT_USAGE;
	struct hw_pace pace = {0};
	unsigned long i = 0;
	for (; i < o->count && !hw_stop; i++) {
		size_t len = probe_len(o, (uint32_t)i);
		hw_pace(&pace, o->rate);
		probe_build(o, (uint32_t)i, f, len);
		if (link_send(l, f, len) < 0)
			break;
	}
	printf("probe sent %lu\n", i);
	return i == o->count ? HW_EXIT_OK : HW_EXIT_ERROR;
}

/* 1 a good new probe, 0 not a probe, -1 a bad or repeated one. */
static int probe_judge(const struct hw_opts *o, const uint8_t *f, size_t n, uint8_t *seen,
                       uint8_t *want)
{
	if (n < PROBE_HEAD || kan_get16(f + 12) != PROBE_TYPE || kan_get32(f + NET_ETH_HDR) != PROBE_TAG)
		return 0;
	uint32_t seq = kan_get32(f + NET_ETH_HDR + 4);
	size_t len = kan_get32(f + NET_ETH_HDR + 8);
	if (seq >= o->count || len != probe_len(o, seq) || len > n || (seen[seq / 8] >> seq % 8 & 1))
		return -1;
	probe_build(o, seq, want, len);
	if (memcmp(f + 12, want + 12, len - 12)) /* the MACs are the sender's business */
		return -1;
	seen[seq / 8] |= (uint8_t)(1u << seq % 8);
	return 1;
}

int cmd_probe_recv(struct hw_link *l, const struct hw_opts *o)
{
	static uint8_t f[HW_FRAME_MAX], want[HW_FRAME_MAX];
	uint8_t *seen = calloc(o->count / 8 + 1, 1);
	unsigned long got = 0, bad = 0;
	if (!seen)
		return HW_EXIT_ERROR;
	fprintf(stderr, "hkwire: probe-recv ready\n"); /* tests wait for this line */
	uint64_t deadline = hw_deadline(o->timeout_ms);
	while (got < o->count) {
		long n = link_recv(l, f, sizeof(f), deadline);
		if (n <= 0)
			break;
		int r = probe_judge(o, f, (size_t)n, seen, want);
		got += r > 0;
		bad += r < 0;
		if (r > 0)
			deadline = hw_deadline(o->timeout_ms); /* idle limit: N * timeout at most */
	}
	free(seen);
	printf("probe received %lu of %lu bad %lu\n", got, o->count, bad);
	return got == o->count && !bad ? HW_EXIT_OK : HW_EXIT_FAIL;
}
