// SPDX-License-Identifier: BSD-2-Clause
/*
 * udp: datagrams of varied sizes to a UDP echo service on the node, at
 * most --window outstanding, nothing retransmitted. Each payload says
 * what it is (tag, sequence, length) followed by pattern bytes that are a
 * function of the seed and the sequence, so every echo is verified
 * without keeping copies. A window that sees no echo for --timeout-ms is
 * written off as lost (a late echo still counts if it arrives); the run
 * ends when all are sent and none is outstanding.
 */
#include "hkwire.h"

#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UDP_TAG     0x686b7775u /* "hkwu" */
#define UDP_HEAD    12u         /* tag, sequence, length */

struct udp_run {
	struct hw_host h;
	const struct hw_opts *o;
	uint16_t sport;
	uint8_t *seen; /* bitmap of sequences echoed */
	unsigned long sent, received, bad, dup, other, inflight;
	uint8_t want[HW_FRAME_MAX];
};

static size_t size_of(const struct hw_opts *o, uint32_t seq)
{
	uint64_t s = o->seed ^ ((uint64_t)seq << 20 | 0x5bd1e995u);
	return o->min_size + (size_t)(hw_rand(&s) % (o->max_size - o->min_size + 1));
}

/* The payload of datagram seq, n bytes, at p. */
static void payload(const struct hw_opts *o, uint32_t seq, uint8_t *p, size_t n)
{
	kan_put32(p, UDP_TAG);
	kan_put32(p + 4, seq);
	kan_put32(p + 8, (uint32_t)n);
	hw_fill(p + UDP_HEAD, n - UDP_HEAD, o->seed, seq);
}

static int send_next(struct udp_run *u)
{
	uint8_t *ip = u->h.tx + NET_ETH_HDR;
	size_t n = size_of(u->o, (uint32_t)u->sent);
	payload(u->o, (uint32_t)u->sent, ip + KAN_UDP_OFF, n);
	size_t len = kan_udp_build(ip, sizeof(u->h.tx) - NET_ETH_HDR, &u->o->addr, &u->o->to, u->sport,
	                           (uint16_t)u->o->port, n);
	if (!len || host_send(&u->h, len) < 0)
		return -1;
	u->sent++;
	u->inflight++;
	return 0;
}

/* An echo of one of ours: right source, ports, checksum, and a payload
 * that is exactly what datagram <its sequence> carried, seen once. */
static void judge(struct udp_run *u, const struct hw_rx *rx)
{
	struct kan_udp d;
	if (rx->info.proto != KAN_PROTO_UDP || rx->info.n_ext ||
	    kan_udp_parse(rx->ip, rx->len, &d) < 0 || d.dport != u->sport ||
	    !kan_addr_eq(kan_hdr_src(rx->ip), &u->o->to) || d.sport != u->o->port) {
		u->other++;
		return;
	}
	uint32_t seq = d.len >= UDP_HEAD ? kan_get32(d.payload + 4) : 0;
	if (d.len < UDP_HEAD || seq >= u->sent || d.len != size_of(u->o, seq)) {
		u->bad++;
		return;
	}
	payload(u->o, seq, u->want, d.len);
	if (memcmp(d.payload, u->want, d.len)) {
		u->bad++;
		return;
	}
	if (u->seen[seq / 8] & (1u << seq % 8)) {
		u->dup++;
		u->bad++;
		return;
	}
	u->seen[seq / 8] |= (uint8_t)(1u << seq % 8);
	u->received++;
	u->inflight -= u->inflight > 0;
}

/* Take echoes until the deadline (now: only what is queued); a link
 * error is -1. */
static int collect(struct udp_run *u, uint64_t deadline, int one)
{
	struct hw_rx rx;
	int r;
	unsigned long before = u->received;
	while ((r = host_recv(&u->h, deadline, &rx)) == 1) {
		judge(u, &rx);
		if (one && u->received != before)
			return 1;
	}
	return r;
}

/* The window opens after the first echo (or the first write-off): until
 * then one datagram is out, so a burst does not meet a router still
 * resolving our address (a router may hold only a few packets meanwhile). */
static int run(struct udp_run *u)
{
	const struct hw_opts *o = u->o;
	int warm = 0;
	while ((u->sent < o->count || u->inflight) && !hw_stop) {
		unsigned window = warm || u->received ? o->window : 1;
		if (u->sent < o->count && u->inflight < window) {
			if (send_next(u) < 0 || collect(u, 0, 0) < 0)
				return -1;
			continue;
		}
		int r = collect(u, hw_deadline(o->timeout_ms), 1);
		if (r < 0)
			return -1;
		if (r == 0) {
			u->inflight = 0; /* nothing for a whole timeout: written off */
			warm = 1;
		}
	}
	return 0;
}

static int check_sizes(const struct hw_link *l, const struct hw_opts *o)
{
	if (o->min_size < UDP_HEAD) {
		fprintf(stderr, "hkwire: --min-size must be at least %u\n", UDP_HEAD);
		return -1;
	}
	if (NET_ETH_HDR + KAN_UDP_OFF + o->max_size > l->max_frame || o->min_size > o->max_size) {
		fprintf(stderr, "hkwire: --max-size %u does not fit a %zu-byte frame (or < --min-size)\n",
		        o->max_size, l->max_frame);
		return -1;
	}
	return 0;
}

int cmd_udp(struct hw_link *l, const struct hw_opts *o)
{
	static struct udp_run u;
	memset(&u, 0, sizeof(u));
	u.o = o;
	u.sport = (uint16_t)(o->sport ? o->sport : 49152 + getpid() % 16384);
	if (check_sizes(l, o) < 0)
		return HW_EXIT_USAGE;
	u.seen = calloc(o->count / 8 + 1, 1);
	if (!u.seen) {
		fprintf(stderr, "hkwire: out of memory\n");
		return HW_EXIT_ERROR;
	}
	host_init(&u.h, l, &o->mac, &o->addr, &o->router, o->timeout_ms);
	int r = host_resolve(&u.h) < 0 || run(&u) < 0 ? HW_EXIT_ERROR : HW_EXIT_OK;
	printf("udp sent %lu received %lu bad %lu\n", u.sent, u.received, u.bad);
	printf("udp lost %lu duplicates %lu other %lu window %u sizes %u..%u\n",
	       u.sent - u.received, u.dup, u.other, o->window, o->min_size,
	       o->max_size);
	free(u.seen);
	if (r != HW_EXIT_OK)
		return r;
	return u.received == o->count && !u.bad ? HW_EXIT_OK : HW_EXIT_FAIL;
}
