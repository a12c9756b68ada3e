// SPDX-License-Identifier: BSD-2-Clause
/*
 * ping: ICMPv6 echo through the node's router, one request outstanding at
 * a time. A reply counts only if it comes from the address pinged (the
 * right process answered), carries our identifier and the sequence just
 * sent, and echoes the data byte for byte; anything else with our
 * identifier is bad, an answer to an earlier sequence late.
 */
#include "hkwire.h"

#include <kan/ipv6.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ECHO_HDR    8u /* type, code, checksum, identifier, sequence */
#define ERRORS_SHOWN 5u

struct ping {
	struct hw_host h;
	const struct hw_opts *o;
	uint16_t id;
	uint8_t body[HW_FRAME_MAX]; /* the request's identifier, sequence and data */
	size_t body_len;
	unsigned long received, bad, late, errors;
	uint64_t rtt_min, rtt_max, rtt_sum;
};

/* Build request seq in h.tx after the Ethernet header; its IPv6 length. */
static size_t echo_build(struct ping *p, uint16_t seq)
{
	uint8_t *ip = p->h.tx + NET_ETH_HDR;
	uint8_t *b = ip + HK_IPV6_HDR + 4;
	kan_put16(b, p->id);
	kan_put16(b + 2, seq);
	hw_fill(b + 4, p->o->size, p->o->seed, seq);
	p->body_len = 4 + p->o->size;
	memcpy(p->body, b, p->body_len);
	return hw_icmp6_finish(ip, &p->o->addr, &p->o->to, 64, NET_ICMP6_ECHO_REQUEST, 0,
	                       p->body_len);
}

static void show_error(struct ping *p, const struct hw_rx *rx)
{
	const uint8_t *m = rx->ip + rx->info.l4_off;
	if (p->errors++ < ERRORS_SHOWN)
		fprintf(stderr, "hkwire: ICMPv6 error type %u code %u from %s\n", m[0], m[1],
		        hw_addr_str(kan_hdr_src(rx->ip)));
}

/* One received packet: 1 when it settles request seq (answered or
 * refused), else 0. */
static int judge(struct ping *p, const struct hw_rx *rx, uint16_t seq, uint64_t t0)
{
	int type = hw_icmp6_type(rx);
	const uint8_t *m = rx->ip + rx->info.l4_off;
	if (type >= 1 && type <= 4) {
		show_error(p, rx);
		return 1;
	}
	if (type != NET_ICMP6_ECHO_REPLY) {
		p->bad += rx->info.proto == KAN_PROTO_ICMPV6 && type < 0; /* checksum or length */
		return 0;
	}
	if (kan_get16(m + 4) != p->id)
		return 0; /* another pinger's */
	if (kan_get16(m + 6) != seq) {
		p->late++;
		return 0;
	}
	if (!kan_addr_eq(kan_hdr_src(rx->ip), &p->o->to) || m[1] != 0 ||
	    rx->info.l4_len != 4 + p->body_len || memcmp(m + 4, p->body, p->body_len)) {
		p->bad++;
		return 1;
	}
	uint64_t us = (hw_now_ns() - t0) / 1000;
	p->rtt_min = p->received && p->rtt_min < us ? p->rtt_min : us;
	p->rtt_max = p->rtt_max > us ? p->rtt_max : us;
	p->rtt_sum += us;
	p->received++;
	return 1;
}

static int wait_reply(struct ping *p, uint16_t seq, uint64_t t0)
{
	uint64_t deadline = hw_deadline(p->o->timeout_ms);
	struct hw_rx rx;
	int r;
	while ((r = host_recv(&p->h, deadline, &rx)) == 1)
		if (judge(p, &rx, seq, t0))
			return 0;
	return r;
}

int cmd_ping(struct hw_link *l, const struct hw_opts *o)
{
	static struct ping p;
	memset(&p, 0, sizeof(p));
	p.o = o;
	p.id = (uint16_t)getpid();
	if (NET_ETH_HDR + HK_IPV6_HDR + ECHO_HDR + o->size > l->max_frame) {
		fprintf(stderr, "hkwire: --size %u does not fit a %zu-byte frame\n", o->size,
		        l->max_frame);
		return HW_EXIT_USAGE;
	}
	host_init(&p.h, l, &o->mac, &o->addr, &o->router, o->timeout_ms);
	if (host_resolve(&p.h) < 0)
		return HW_EXIT_ERROR;
	unsigned long sent = 0;
	for (; sent < o->count && !hw_stop; sent++) {
		size_t n = echo_build(&p, (uint16_t)sent);
		uint64_t t0 = hw_now_ns();
		if (host_send(&p.h, n) < 0 || wait_reply(&p, (uint16_t)sent, t0) < 0)
			return HW_EXIT_ERROR;
	}
	printf("ping sent %lu received %lu bad %lu late %lu errors %lu rtt-us min %llu avg %llu "
	       "max %llu\n",
	       sent, p.received, p.bad, p.late, p.errors, (unsigned long long)p.rtt_min,
	       (unsigned long long)(p.received ? p.rtt_sum / p.received : 0),
	       (unsigned long long)p.rtt_max);
	return p.received == o->count && !p.bad ? HW_EXIT_OK : HW_EXIT_FAIL;
}
