// SPDX-License-Identifier: BSD-2-Clause
/*
 * hkcheck: talk to a Hekate node's processes with ordinary Linux UDP
 * sockets, as any host application would (the net tests run it inside
 * their namespace; docs/host-link.md).
 *
 *   hkcheck stats ADDR [WHAT]          print ADDR's counters (UDP port 9901);
 *                                      WHAT "procs": the router's per-process cycles
 *   hkcheck echo ADDR PORT COUNT MIN MAX [WINDOW]
 *       send COUNT datagrams of MIN..MAX bytes (sizes varied, payloads
 *       derived from the sequence number) to ADDR:PORT, at most WINDOW
 *       (default 32) outstanding, verify every echo byte for byte, print
 *       "udp sent N received M bad K lost L" and exit 0 only if every one
 *       came back intact. Nothing is retransmitted: losses are reported
 *       (after 2 s of silence the outstanding ones count as lost and
 *       sending goes on; a reply after that is "late").
 *   hkcheck geneve ADDR COUNT VNI
 *       from a UDP socket on port 6081 (RFC 8926), send COUNT Geneve packets
 *       to ADDR carrying an inner IPv6/UDP datagram to port 7 (inner
 *       addresses fd00:aaaa::1 -> fd00:aaaa::2); every answer must be a
 *       Geneve packet with VNI VNI whose inner datagram is the echo: the
 *       inner addresses and ports swapped, the payload the same, its UDP
 *       checksum valid. Prints "geneve sent N good M bad K lost L".
 *   hkcheck trigger ADDR PORT COUNT
 *       from a socket on PORT send "go" to ADDR:PORT, then expect COUNT
 *       datagrams back on PORT; prints each payload and exits 0 only if all
 *       COUNT came.
 * Every wait is bounded (2 s without any reply ends the run).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <kan/ipv6.h>
#include <kan/udp.h>
#include <net/geneve.h>

#define STATS_PORT 9901
#define MAX_DGRAM  65507
#define IDLE_MS    2000

/* addr:port into *sa, or exit 2 with a message. */
static void peer(const char *addr, unsigned port, struct sockaddr_in6 *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)port);
	if (inet_pton(AF_INET6, addr, &sa->sin6_addr) != 1) {
		fprintf(stderr, "hkcheck: '%s' is not an IPv6 address\n", addr);
		exit(2);
	}
}

/* A UDP socket, bound to local port `port` unless 0; exit 1 on failure. */
static int udp_socket(unsigned port)
{
	struct sockaddr_in6 me = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s < 0 || (port && bind(s, (struct sockaddr *)&me, sizeof(me)))) {
		fprintf(stderr, "hkcheck: UDP socket on port %u: %s\n", port, strerror(errno));
		exit(1);
	}
	return s;
}

/* A UDP socket connected to addr:port (*sa). */
static int open_to(const char *addr, unsigned port, struct sockaddr_in6 *sa)
{
	peer(addr, port, sa);
	int s = udp_socket(0);
	if (connect(s, (struct sockaddr *)sa, sizeof(*sa))) {
		perror("hkcheck: connect");
		exit(1);
	}
	return s;
}

/* Datagram seq: its size in [min, max] and every byte derived from seq. */
static size_t fill(uint8_t *b, uint32_t seq, size_t min, size_t max)
{
	size_t n = min + (size_t)((seq * 2654435761u) % (uint32_t)(max - min + 1));
	uint32_t x = seq * 0x9e3779b9u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	if (n >= 4)
		memcpy(b, &seq, 4);
	return n;
}

static int wait_readable(int s, int ms)
{
	struct pollfd p = {.fd = s, .events = POLLIN};
	return poll(&p, 1, ms) > 0;
}

static int cmd_stats(const char *addr, const char *what)
{
	struct sockaddr_in6 sa;
	int s = open_to(addr, STATS_PORT, &sa);
	char buf[2048];
	for (int attempt = 0; attempt < 3; attempt++) {
		if (send(s, what, strlen(what), 0) < 0)
			perror("hkcheck: send");
		if (!wait_readable(s, IDLE_MS))
			continue;
		ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			return 0;
		}
	}
	fprintf(stderr, "hkcheck: no stats reply from %s\n", addr);
	return 1;
}

/*
 * Window of outstanding datagrams; when nothing comes back for IDLE_MS all
 * outstanding ones are counted lost (a reply arriving later is "late", not
 * received) and sending goes on, so a stage restarting mid-run costs only
 * what was in flight. Gives up after MAX_IDLE such pauses.
 */
#define MAX_IDLE 5
static int cmd_echo(const char *addr, unsigned port, uint32_t count, size_t min, size_t max,
                    uint32_t window)
{
	struct sockaddr_in6 sa;
	int s = open_to(addr, port, &sa);
	static uint8_t out[MAX_DGRAM], in[MAX_DGRAM + 1];
	uint8_t *state = calloc(count ? count : 1, 1); /* 0 outstanding, 1 received, 2 lost */
	uint32_t sent = 0, got = 0, bad = 0, lost = 0, late = 0, next_lost = 0, idle = 0;
	if (!state)
		return 1;
	while (got + bad + lost < count && idle <= MAX_IDLE) {
		while (sent < count && sent - got - bad - lost < window) {
			size_t n = fill(out, sent, min, max);
			if (send(s, out, n, 0) < 0 && errno != ECONNREFUSED) {
				perror("hkcheck: send");
				return 1;
			}
			sent++;
		}
		if (!wait_readable(s, IDLE_MS)) {
			for (idle++; next_lost < sent; next_lost++)
				if (!state[next_lost]) {
					state[next_lost] = 2;
					lost++;
				}
			continue;
		}
		ssize_t n = recv(s, in, sizeof(in), 0);
		uint32_t seq = UINT32_MAX;
		if (n >= 4)
			memcpy(&seq, in, 4);
		size_t want = seq < sent ? fill(out, seq, min, max) : 0;
		if (seq < sent && state[seq] == 2)
			late++;
		else if (seq >= sent || state[seq] || (size_t)n != want || memcmp(in, out, want))
			bad++;
		else
			state[seq] = 1, got++;
	}
	lost += sent - got - bad - lost; /* what was still outstanding when it gave up */
	printf("udp sent %u received %u bad %u lost %u late %u\n", sent, got, bad, lost, late);
	free(state);
	return got == count ? 0 : 1;
}

static const struct hk_addr inner_a = {{0xfd, 0x00, 0xaa, 0xaa, [15] = 1}};
static const struct hk_addr inner_b = {{0xfd, 0x00, 0xaa, 0xaa, [15] = 2}};

/* The Geneve payload for seq into out: header, then inner IPv6/UDP a:40000+seq%1000 -> b:7. */
static size_t geneve_out(uint8_t *out, uint32_t seq, uint32_t vni)
{
	uint8_t *ip = out + NET_GENEVE_HDR;
	size_t pay = fill(ip + KAN_UDP_OFF, seq, 16, 1200);
	size_t n = kan_udp_build(ip, 1400, &inner_a, &inner_b, (uint16_t)(40000 + seq % 1000), 7, pay);
	memset(out, 0, NET_GENEVE_HDR);
	out[2] = 0x86, out[3] = 0xdd; /* protocol: IPv6 */
	out[4] = (uint8_t)(vni >> 16), out[5] = (uint8_t)(vni >> 8), out[6] = (uint8_t)vni;
	return NET_GENEVE_HDR + n;
}

/* Is in[0..n) the reflected echo of seq with our VNI? 1 good, 0 bad; *seq set when readable. */
static int geneve_good(const uint8_t *in, size_t n, uint32_t vni, uint32_t *seq)
{
	struct kan_udp u;
	if (n < NET_GENEVE_HDR + KAN_UDP_OFF + 4 || (in[0] & 0xc0) || in[0] & 0x3f ||
	    (uint32_t)(in[4] << 16 | in[5] << 8 | in[6]) != vni || in[2] != 0x86 || in[3] != 0xdd)
		return 0;
	const uint8_t *ip = in + NET_GENEVE_HDR;
	if (kan_udp_parse(ip, n - NET_GENEVE_HDR, &u) || u.sport != 7 || u.len < 4)
		return 0;
	memcpy(seq, u.payload, 4);
	uint8_t want[1400];
	size_t len = fill(want, *seq, 16, 1200);
	return kan_addr_eq(kan_hdr_src(ip), &inner_b) && kan_addr_eq(kan_hdr_dst(ip), &inner_a) &&
	       u.dport == 40000 + *seq % 1000 && u.len == len && !memcmp(u.payload, want, len);
}

static int cmd_geneve(const char *addr, uint32_t count, uint32_t vni)
{
	/* not connected: answers come from the tunnel's flow-hash source port */
	struct sockaddr_in6 sa;
	peer(addr, NET_GENEVE_PORT, &sa);
	int s = udp_socket(NET_GENEVE_PORT);
	static uint8_t buf[2048];
	uint32_t sent = 0, good = 0, bad = 0;
	while (good + bad < count) {
		while (sent < count && sent - good - bad < 16) {
			size_t n = geneve_out(buf, sent, vni);
			if (sendto(s, buf, n, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				perror("hkcheck: sendto");
				return 1;
			}
			sent++;
		}
		if (!wait_readable(s, IDLE_MS))
			break;
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		uint32_t seq = UINT32_MAX;
		if (n > 0 && geneve_good(buf, (size_t)n, vni, &seq) && seq < sent)
			good++;
		else
			bad++;
	}
	printf("geneve sent %u good %u bad %u lost %u\n", sent, good, bad, sent - good - bad);
	return good == count ? 0 : 1;
}

static int cmd_trigger(const char *addr, unsigned port, unsigned count)
{
	struct sockaddr_in6 sa;
	peer(addr, port, &sa);
	int s = udp_socket(port);
	if (sendto(s, "go", 2, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("hkcheck: go");
		return 1;
	}
	char buf[2048];
	unsigned got = 0;
	while (got < count && wait_readable(s, IDLE_MS)) {
		ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			break;
		buf[n] = 0;
		printf("%s\n", buf);
		got++;
	}
	printf("trigger received %u of %u\n", got, count);
	return got == count ? 0 : 1;
}

static unsigned long num(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > max) {
		fprintf(stderr, "hkcheck: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "stats"))
		return cmd_stats(argv[2], argc == 4 ? argv[3] : "stats");
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "echo")) {
		size_t min = num(argv[5], MAX_DGRAM, "MIN"), max = num(argv[6], MAX_DGRAM, "MAX");
		if (min < 4 || max < min) {
			fprintf(stderr, "hkcheck: need 4 <= MIN <= MAX\n");
			return 2;
		}
		return cmd_echo(argv[2], (unsigned)num(argv[3], 65535, "PORT"),
		                (uint32_t)num(argv[4], 10000000, "COUNT"), min, max,
		                argc == 8 ? (uint32_t)num(argv[7], 4096, "WINDOW") : 32);
	}
	if (argc == 5 && !strcmp(argv[1], "trigger"))
		return cmd_trigger(argv[2], (unsigned)num(argv[3], 65535, "PORT"),
		                   (unsigned)num(argv[4], 1000000, "COUNT"));
	if (argc == 5 && !strcmp(argv[1], "geneve"))
		return cmd_geneve(argv[2], (uint32_t)num(argv[3], 100000000, "COUNT"),
		                  (uint32_t)num(argv[4], NET_GENEVE_VNI_MAX, "VNI"));
	fprintf(stderr, "usage: hkcheck stats ADDR [procs]\n"
	                "       hkcheck geneve ADDR COUNT VNI\n"
	                "       hkcheck trigger ADDR PORT COUNT\n"
	                "       hkcheck echo ADDR PORT COUNT MIN MAX [WINDOW]\n");
	return 2;
}
