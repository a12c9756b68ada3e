/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HKWIRE_H
#define HKWIRE_H

/*
 * hkwire: the host side of a Hekate node's wire (docs/host-link.md). One
 * program, several commands over one of two transports, one Ethernet frame
 * per send:
 *   --tap IFNAME            AF_PACKET on a tap device QEMU uses (root)
 *   --dgram LOCAL,REMOTE    unix datagram sockets facing QEMU's
 *                           -netdev dgram (unprivileged)
 * Internal to the tool: nothing here is a library interface. Frames are
 * built and checked with the node's own codecs (net/eth.h, net/ip6.h,
 * net/icmp6.h, net/ndp.h, kan/udp.h), so the host judges a frame exactly
 * as the node does.
 */
#include <hekate/kan.h>
#include <net/drop.h>
#include <net/eth.h>
#include <net/ip6.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#define HW_FRAME_MAX 9216u /* largest frame sent or accepted (jumbo; the tap's MTU decides) */

/* Exit statuses (documented in the usage text). */
enum { HW_EXIT_OK = 0, HW_EXIT_FAIL = 1, HW_EXIT_USAGE = 2, HW_EXIT_ERROR = 3 };

/* ---- transports (link.c) ---- */

struct hw_link {
	int fd;
	int is_tap;
	int ifindex;             /* tap: the device's index */
	size_t min_frame;        /* shortest frame the transport carries (see link.c) */
	size_t max_frame;        /* longest: the tap's MTU + 14, or HW_FRAME_MAX */
	unsigned send_timeout_ms;
	struct sockaddr_un peer; /* dgram: QEMU's socket */
	char local_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Open the transport; prints why and returns -1 on failure. */
int link_open_tap(struct hw_link *l, const char *ifname);
int link_open_dgram(struct hw_link *l, const char *local_path, const char *remote_path);
/* Send one frame: 0, or -1 with a message (refused, or the peer did not
 * take it within send_timeout_ms). len must be within [min_frame, max_frame]. */
int link_send(struct hw_link *l, const uint8_t *frame, size_t len);
/* Receive one frame sent by the other side (a tap's own outgoing frames
 * are skipped) until the CLOCK_MONOTONIC deadline: its length, 0 when the
 * deadline passed, -1 on error. Longer frames are cut to cap. */
long link_recv(struct hw_link *l, uint8_t *buf, size_t cap, uint64_t deadline_ns);
/* Close the socket and remove the dgram socket file this side created. */
void link_close(struct hw_link *l);

/* ---- small helpers (frame.c) ---- */

uint64_t hw_now_ns(void);
uint64_t hw_deadline(unsigned ms);
/* Paces a sending loop to rate frames a second (0: as fast as the link
 * takes them): call before each frame. */
struct hw_pace {
	uint64_t start;
	unsigned long n;
};
void hw_pace(struct hw_pace *p, unsigned rate);
/* xorshift64*: deterministic frames from a seed (never 0: 0 is mapped). */
uint64_t hw_rand(uint64_t *state);
/* n pattern bytes at p, a function of (seed, tag) only: payloads the
 * receiver can check without keeping a copy. */
void hw_fill(uint8_t *p, size_t n, uint64_t seed, uint64_t tag);
int hw_parse_mac(const char *s, struct net_mac *out);
int hw_parse_addr(const char *s, struct hk_addr *out);
/* "[ADDR]:PORT", port 1..65535: 0, or -1 when malformed. */
int hw_parse_addr_port(const char *s, struct hk_addr *a, unsigned *port);
const char *hw_addr_str(const struct hk_addr *a); /* static buffer: one call per printf */

/* An ICMPv6 message of type/code whose body (what follows type, code and
 * checksum) is already at ip + 44, body_len bytes: writes the IPv6 header
 * (hop limit hlim), type, code and the checksum. Returns the packet's
 * length. src and dst must not point into ip[0..44). */
size_t hw_icmp6_finish(uint8_t *ip, const struct hk_addr *src, const struct hk_addr *dst,
                       uint8_t hlim, uint8_t type, uint8_t code, size_t body_len);

/* A received frame that passed net_frame_check: the IPv6 packet without
 * any Ethernet padding after it. */
struct hw_rx {
	const uint8_t *ip;
	size_t len; /* 40 + payload length */
	struct net_ip6_info info;
	struct net_mac src_mac;
};
/* net_frame_check(frame, len, mtu, ours): NET_PASS with *rx filled, or
 * the drop reason the node would count. */
int hw_frame_rx(const uint8_t *frame, size_t len, size_t mtu, const struct net_mac *ours,
                struct hw_rx *rx);
/* rx is an ICMPv6 message that net_icmp6_check passes: its type, else -1. */
int hw_icmp6_type(const struct hw_rx *rx);
/*
 * The node's verdict on a frame from the wire, made with its own checks:
 * net_frame_check, then for ICMPv6 the router consumes (to self or to a
 * group) net_ndp_parse for NDP types, net_icmp6_check for the others.
 * NET_PASS with *rx filled, or the drop reason it counts.
 */
int hw_node_judge(const uint8_t *frame, size_t len, size_t mtu, const struct net_mac *mac,
                  const struct hk_addr *self, struct hw_rx *rx);

/* ---- a minimal IPv6 host on the link (host.c) ---- */

struct hw_host {
	struct hw_link *link;
	struct net_mac mac;
	struct hk_addr addr;       /* our global address */
	struct hk_addr ll;         /* our link-local address (from mac) */
	struct hk_addr router;     /* the next hop for everything we send */
	struct net_mac router_mac; /* resolved by host_resolve */
	unsigned timeout_ms;
	uint64_t ns_answered, foreign;
	uint8_t rx[HW_FRAME_MAX];
	uint8_t tx[HW_FRAME_MAX];
};

void host_init(struct hw_host *h, struct hw_link *l, const struct net_mac *mac,
               const struct hk_addr *addr, const struct hk_addr *router, unsigned timeout_ms);
/* Resolve the router's MAC: up to 3 solicitations, timeout_ms each. 0 or
 * -1 with a message. */
int host_resolve(struct hw_host *h);
/* Send the IPv6 packet at h->tx + 14, ip_len bytes, to the router. */
int host_send(struct hw_host *h, size_t ip_len);
/* Wait until deadline for an IPv6 packet to our address (answering
 * solicitations for our addresses meanwhile): 1 with *rx pointing into
 * h->rx, 0 at the deadline, -1 on a link error. */
int host_recv(struct hw_host *h, uint64_t deadline_ns, struct hw_rx *rx);

/* ---- commands ---- */

#define HW_CLASSES_MAX 32

/* Command-line options; main.c checks which a command takes and needs. */
enum hw_opt {
	OPT_TAP, OPT_DGRAM, OPT_MAC, OPT_NODE_MAC, OPT_ADDR, OPT_ROUTER, OPT_TO, OPT_SRC, OPT_DST,
	OPT_PREFIX, OPT_COUNT, OPT_TIMEOUT, OPT_MTU, OPT_PORT, OPT_SPORT, OPT_MIN, OPT_MAX,
	OPT_WINDOW, OPT_SECONDS, OPT_SIZE, OPT_SEED, OPT_CLASS, OPT_LIST, OPT_LISTEN, OPT_CHECK,
	OPT_RATE, OPT_CORRUPT, OPT_NUM
};

struct hw_opts {
	unsigned long given; /* 1 << enum hw_opt for each option on the command line */
	struct net_mac mac, node_mac;
	struct hk_addr addr, router, to, src, dst, prefix;
	unsigned long count;
	unsigned timeout_ms, mtu, port, sport, min_size, max_size, window, seconds, size, rate;
	unsigned corrupt; /* fake-node: spoil every corrupt-th echo (0: none) */
	uint64_t seed;
	const char *classes[HW_CLASSES_MAX];
	unsigned n_classes;
	const char *listen; /* proxy: [ADDR]:PORT */
};

/* l is NULL with --check: judge the frames instead of sending them. */
int cmd_barrage(struct hw_link *l, const struct hw_opts *o);
int cmd_ping(struct hw_link *l, const struct hw_opts *o);
int cmd_udp(struct hw_link *l, const struct hw_opts *o);
int cmd_proxy(struct hw_link *l, const struct hw_opts *o);
int cmd_probe_send(struct hw_link *l, const struct hw_opts *o);
int cmd_probe_recv(struct hw_link *l, const struct hw_opts *o);
int cmd_fake_node(struct hw_link *l, const struct hw_opts *o);
/* barrage --list: the classes and the reasons, one per line. */
void barrage_list(void);
int barrage_class_known(const char *name);

/* Set by SIGINT/SIGTERM (main.c): long-running loops stop at the next wait. */
extern volatile int hw_stop;

#endif
