// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxy: a UDP port forward between an ordinary socket on the host and a
 * process on the node, so nc or socat reach the node without root (over
 * --dgram) or without routes. Each local client gets its own source port
 * on the link (--sport BASE + slot, 64 slots, the least recently used one
 * reused), so the node's replies find their way back to the right client.
 */
#include "hkwire.h"

#include <errno.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENTS    64u
#define BASE_PORT  50000u
#define TICK_MS    1000

struct client {
	struct sockaddr_in6 sa;
	uint64_t last; /* 0: free */
};

struct proxy {
	struct hw_host h;
	const struct hw_opts *o;
	int fd;
	unsigned base;
	struct client c[CLIENTS];
	unsigned long up, down, dropped;
	uint8_t buf[65536];
};

static int open_listener(struct proxy *p)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	unsigned port;
	if (hw_parse_addr_port(p->o->listen, (struct hk_addr *)&sa.sin6_addr, &port) < 0) {
		fprintf(stderr, "hkwire: --listen wants [ADDR]:PORT, got %s\n", p->o->listen);
		return HW_EXIT_USAGE;
	}
	sa.sin6_port = htons((uint16_t)port);
	p->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "hkwire: listening on %s: %s\n", p->o->listen, strerror(errno));
		return HW_EXIT_ERROR;
	}
	return 0;
}

/* The slot of client sa, taking the least recently used one for a new one. */
static unsigned slot_of(struct proxy *p, const struct sockaddr_in6 *sa)
{
	unsigned lru = 0;
	for (unsigned i = 0; i < CLIENTS; i++) {
		if (p->c[i].last && !memcmp(&p->c[i].sa, sa, sizeof(*sa)))
			return i;
		if (p->c[i].last < p->c[lru].last)
			lru = i;
	}
	p->c[lru].sa = *sa;
	return lru;
}

static int from_client(struct proxy *p)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof(sa);
	ssize_t n = recvfrom(p->fd, p->buf, sizeof(p->buf), MSG_DONTWAIT, (struct sockaddr *)&sa, &sl);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	unsigned i = slot_of(p, &sa);
	p->c[i].last = hw_now_ns();
	uint8_t *ip = p->h.tx + NET_ETH_HDR;
	size_t room = p->h.link->max_frame - NET_ETH_HDR;
	if ((size_t)n > room - KAN_UDP_OFF) {
		p->dropped++; /* does not fit one frame: nothing fragments here */
		return 0;
	}
	memcpy(ip + KAN_UDP_OFF, p->buf, (size_t)n);
	size_t len = kan_udp_build(ip, room, &p->o->addr, &p->o->to, (uint16_t)(p->base + i),
	                           (uint16_t)p->o->port, (size_t)n);
	if (!len || host_send(&p->h, len) < 0)
		return -1;
	p->up++;
	return 0;
}

/* Replies from the node's process, each to the client its port names. */
static int from_node(struct proxy *p)
{
	struct hw_rx rx;
	int r;
	while ((r = host_recv(&p->h, 0, &rx)) == 1) {
		struct kan_udp d;
		unsigned i;
		if (rx.info.proto != KAN_PROTO_UDP || rx.info.n_ext ||
		    kan_udp_parse(rx.ip, rx.len, &d) < 0 || d.sport != p->o->port ||
		    !kan_addr_eq(kan_hdr_src(rx.ip), &p->o->to) || (i = d.dport - p->base) >= CLIENTS ||
		    !p->c[i].last) {
			p->dropped++;
			continue;
		}
		if (sendto(p->fd, d.payload, d.len, MSG_DONTWAIT, (struct sockaddr *)&p->c[i].sa,
		           sizeof(p->c[i].sa)) == (ssize_t)d.len)
			p->down++;
		else
			p->dropped++;
	}
	return r;
}

static int loop(struct proxy *p)
{
	uint64_t end = p->o->seconds ? hw_deadline(p->o->seconds * 1000u) : UINT64_MAX;
	while (!hw_stop && hw_now_ns() < end) {
		struct pollfd f[2] = {{.fd = p->fd, .events = POLLIN},
		                      {.fd = p->h.link->fd, .events = POLLIN}};
		if (poll(f, 2, TICK_MS) < 0 && errno != EINTR)
			return -1;
		if ((f[0].revents & POLLIN) && from_client(p) < 0)
			return -1;
		if ((f[1].revents & POLLIN) && from_node(p) < 0)
			return -1;
	}
	return 0;
}

int cmd_proxy(struct hw_link *l, const struct hw_opts *o)
{
	static struct proxy p;
	memset(&p, 0, sizeof(p));
	p.o = o;
	p.base = o->sport ? o->sport : BASE_PORT;
	if (p.base + CLIENTS > 65536) {
		fprintf(stderr, "hkwire: --sport %u leaves no room for %u client ports\n", p.base,
		        CLIENTS);
		return HW_EXIT_USAGE;
	}
	int r = open_listener(&p);
	if (r)
		return r;
	host_init(&p.h, l, &o->mac, &o->addr, &o->router, o->timeout_ms);
	if (host_resolve(&p.h) < 0) {
		close(p.fd);
		return HW_EXIT_ERROR;
	}
	fprintf(stderr, "hkwire: proxy %s -> [%s]:%u\n", o->listen, hw_addr_str(&o->to), o->port);
	r = loop(&p) < 0 ? HW_EXIT_ERROR : HW_EXIT_OK;
	printf("proxy up %lu down %lu dropped %lu\n", p.up, p.down, p.dropped);
	close(p.fd);
	return r;
}
