// SPDX-License-Identifier: BSD-2-Clause
/*
 * Clock, seeded randomness, argument parsing, and the two frame pieces
 * net/ has no use for: an ICMPv6 message with any hop limit (the barrage
 * needs wrong ones) and a received frame judged by net_frame_check.
 */
#include "hkwire.h"

#include <arpa/inet.h>
#include <kan/ipv6.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <net/ndp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t hw_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t hw_deadline(unsigned ms) { return hw_now_ns() + (uint64_t)ms * 1000000u; }

void hw_pace(struct hw_pace *p, unsigned rate)
{
	if (!rate)
		return;
	if (!p->n++) {
		p->start = hw_now_ns();
		return;
	}
	uint64_t due = p->start + (uint64_t)(p->n - 1) * 1000000000u / rate, now = hw_now_ns();
	if (due > now) {
		struct timespec ts = {.tv_sec = (time_t)((due - now) / 1000000000u),
		                      .tv_nsec = (long)((due - now) % 1000000000u)};
		nanosleep(&ts, NULL);
	}
}

uint64_t hw_rand(uint64_t *s)
{
	if (!*s)
		*s = 0x9e3779b97f4a7c15ull;
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

void hw_fill(uint8_t *p, size_t n, uint64_t seed, uint64_t tag)
{
	uint64_t s = seed ^ (tag + 1) * 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = hw_rand(&s);
		for (size_t k = 0; k < 8 && i + k < n; k++)
			p[i + k] = (uint8_t)(v >> 8 * k);
	}
}

int hw_parse_mac(const char *s, struct net_mac *out)
{
	unsigned v[6];
	char end;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		out->b[i] = (uint8_t)v[i];
	return 0;
}

int hw_parse_addr(const char *s, struct hk_addr *out)
{
	return inet_pton(AF_INET6, s, out->b) == 1 ? 0 : -1;
}

int hw_parse_addr_port(const char *s, struct hk_addr *a, unsigned *port)
{
	const char *close = strchr(s, ']');
	char text[64], *end;
	if (*s != '[' || !close || close - s - 1 >= (long)sizeof(text) || close[1] != ':' ||
	    !close[2])
		return -1;
	unsigned long p = strtoul(close + 2, &end, 10);
	if (*end || p == 0 || p > 65535 || close[2] == '-')
		return -1;
	memcpy(text, s + 1, (size_t)(close - s - 1));
	text[close - s - 1] = 0;
	if (hw_parse_addr(text, a) < 0)
		return -1;
	*port = (unsigned)p;
	return 0;
}

const char *hw_addr_str(const struct hk_addr *a)
{
	static char buf[48];
	kan_addr_format(a, buf, sizeof(buf));
	return buf;
}

size_t hw_icmp6_finish(uint8_t *ip, const struct hk_addr *src, const struct hk_addr *dst,
                       uint8_t hlim, uint8_t type, uint8_t code, size_t body_len)
{
	size_t l4 = 4 + body_len;
	kan_ip6_hdr_write(ip, (uint16_t)l4, KAN_PROTO_ICMPV6, src, dst);
	ip[7] = hlim;
	ip[40] = type;
	ip[41] = code;
	kan_put16(ip + 42, 0);
	kan_put16(ip + 42, kan_l4_checksum(src, dst, KAN_PROTO_ICMPV6, ip + 40, l4));
	return HK_IPV6_HDR + l4;
}

int hw_frame_rx(const uint8_t *frame, size_t len, size_t mtu, const struct net_mac *ours,
                struct hw_rx *rx)
{
	int r = net_frame_check(frame, len, mtu, ours, &rx->info);
	if (r != NET_PASS)
		return r;
	rx->ip = frame + NET_ETH_HDR;
	rx->len = net_ip6_len(rx->ip);
	memcpy(rx->src_mac.b, frame + 6, 6);
	return NET_PASS;
}

int hw_icmp6_type(const struct hw_rx *rx)
{
	if (rx->info.proto != KAN_PROTO_ICMPV6 || net_icmp6_check(rx->ip, &rx->info) != NET_PASS)
		return -1;
	return rx->ip[rx->info.l4_off];
}

/* ICMPv6 the router takes for itself: to its own address or to a group. */
static int consumed(const struct hw_rx *rx, const struct hk_addr *self)
{
	const struct hk_addr *dst = kan_hdr_dst(rx->ip);
	return rx->info.proto == KAN_PROTO_ICMPV6 &&
	       (kan_addr_eq(dst, self) || kan_addr_is_multicast(dst));
}

int hw_node_judge(const uint8_t *frame, size_t len, size_t mtu, const struct net_mac *mac,
                  const struct hk_addr *self, struct hw_rx *rx)
{
	int r = hw_frame_rx(frame, len, mtu, mac, rx);
	if (r != NET_PASS || !consumed(rx, self))
		return r;
	uint8_t type = rx->ip[rx->info.l4_off];
	if (type >= NET_ICMP6_RS && type <= NET_ICMP6_NA) {
		struct net_ndp nd;
		return net_ndp_parse(rx->ip, &rx->info, &nd);
	}
	return net_icmp6_check(rx->ip, &rx->info);
}
