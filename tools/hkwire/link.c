// SPDX-License-Identifier: BSD-2-Clause
/*
 * The two transports: one Ethernet frame per send and per receive, no
 * extra header (QEMU's tap and dgram backends both carry bare frames).
 * Every wait is bounded: sends by send_timeout_ms, receives by the
 * caller's deadline.
 */
#include "hkwire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEND_TIMEOUT_MS 2000u /* the peer must take a frame within this */
#define RETRY_NS        (20 * 1000 * 1000ull)
#define RCVBUF          (8 << 20)

static void link_reset(struct hw_link *l)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->send_timeout_ms = SEND_TIMEOUT_MS;
}

/* Frames queued on an ETH_P_ALL socket between socket() and bind() may
 * come from any device: drop them. */
static void drain(int fd)
{
	uint8_t b[64];
	for (int i = 0; i < 4096 && recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0; i++)
		;
}

static int tap_mtu(int fd, const char *ifname, unsigned *mtu)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -1;
	*mtu = (unsigned)ifr.ifr_mtu;
	return 0;
}

/*
 * The kernel refuses link-layer frames shorter than the Ethernet header on
 * a packet socket (EINVAL), so min_frame is 14; the longest is the
 * device's MTU + 14 (EMSGSIZE beyond: raise the tap's MTU to send more).
 */
int link_open_tap(struct hw_link *l, const char *ifname)
{
	link_reset(l);
	l->is_tap = 1;
	l->ifindex = (int)if_nametoindex(ifname);
	if (!l->ifindex) {
		fprintf(stderr, "hkwire: no network device %s here: %s\n", ifname, strerror(errno));
		return -1;
	}
	l->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (l->fd < 0) {
		fprintf(stderr, "hkwire: packet socket: %s%s\n", strerror(errno),
		        errno == EPERM ? " (--tap needs root or CAP_NET_RAW)" : "");
		return -1;
	}
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
	                          .sll_ifindex = l->ifindex};
	unsigned mtu;
	if (bind(l->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 || tap_mtu(l->fd, ifname, &mtu) < 0) {
		fprintf(stderr, "hkwire: binding to %s: %s\n", ifname, strerror(errno));
		link_close(l);
		return -1;
	}
	int one = 1; /* our own frames are not the peer's (Linux >= 4.20; else skipped on receive) */
	(void)setsockopt(l->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* A packet socket drops what does not fit its receive buffer, and the
	 * default holds about a hundred frames: a burst from the node is more. */
	int rcvbuf = RCVBUF;
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	drain(l->fd);
	l->min_frame = NET_ETH_HDR;
	l->max_frame = mtu + NET_ETH_HDR < HW_FRAME_MAX ? mtu + NET_ETH_HDR : HW_FRAME_MAX;
	return 0;
}

static int set_path(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "hkwire: socket path too long (max %zu): %s\n", sizeof(sa->sun_path) - 1,
		        path);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

/* A stale socket file of an earlier run is replaced; anything else at the
 * path is left alone and refused. */
static int clear_stale(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	return unlink(path);
}

/*
 * QEMU 7.2's dgram backend reads an empty datagram as the end of the
 * connection and stops reading for good, so min_frame is 1. A blocking
 * socket with SO_SNDTIMEO bounds the wait for room in QEMU's receive
 * queue (a unix datagram sender waits while the receiver's is full).
 */
int link_open_dgram(struct hw_link *l, const char *local_path, const char *remote_path)
{
	link_reset(l);
	struct sockaddr_un local;
	if (set_path(&local, local_path) < 0 || set_path(&l->peer, remote_path) < 0)
		return -1;
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || clear_stale(local_path) < 0 ||
	    bind(l->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		fprintf(stderr, "hkwire: unix socket %s: %s\n", local_path, strerror(errno));
		link_close(l);
		return -1;
	}
	strcpy(l->local_path, local_path);
	struct timeval tv = {.tv_sec = l->send_timeout_ms / 1000,
	                     .tv_usec = (l->send_timeout_ms % 1000) * 1000};
	(void)setsockopt(l->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	l->min_frame = 1;
	l->max_frame = HW_FRAME_MAX;
	return 0;
}

static void nap(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
	nanosleep(&ts, NULL);
}

/* One attempt: 0 sent, 1 worth retrying (no peer yet, queue full), -1 failed. */
static int send_once(struct hw_link *l, const uint8_t *frame, size_t len)
{
	ssize_t n;
	if (l->is_tap)
		n = send(l->fd, frame, len, MSG_DONTWAIT);
	else
		n = sendto(l->fd, frame, len, 0, (struct sockaddr *)&l->peer, sizeof(l->peer));
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		errno = EMSGSIZE;
	if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR ||
	    (!l->is_tap && (errno == ENOENT || errno == ECONNREFUSED)))
		return 1;
	return -1;
}

int link_send(struct hw_link *l, const uint8_t *frame, size_t len)
{
	if (len < l->min_frame || len > l->max_frame) {
		fprintf(stderr, "hkwire: a %zu-byte frame does not fit this transport (%zu..%zu)%s\n",
		        len, l->min_frame, l->max_frame,
		        l->is_tap && len > l->max_frame ? ": raise the tap's MTU" : "");
		return -1;
	}
	uint64_t deadline = hw_deadline(l->send_timeout_ms);
	for (;;) {
		int r = send_once(l, frame, len);
		if (r == 0)
			return 0;
		if (r < 0 || hw_stop || hw_now_ns() >= deadline)
			break;
		nap(RETRY_NS);
	}
	fprintf(stderr, "hkwire: sending a %zu-byte frame: %s%s\n", len,
	        hw_stop ? "interrupted" : strerror(errno),
	        !l->is_tap && errno != EMSGSIZE ? " (is QEMU running and reading its socket?)" : "");
	return -1;
}

/* Milliseconds to the deadline for poll, rounded up; 0 once it passed. */
static int ms_left(uint64_t deadline_ns)
{
	uint64_t now = hw_now_ns();
	if (now >= deadline_ns)
		return 0;
	uint64_t ms = (deadline_ns - now + 999999u) / 1000000u;
	return ms > 60000 ? 60000 : (int)ms;
}

/* One frame from the other side: its length; -2 when there is none or it
 * is to be skipped (ours, not from QEMU's socket, empty); -1 on error. */
static long recv_one(struct hw_link *l, uint8_t *buf, size_t cap)
{
	union {
		struct sockaddr_ll ll;
		struct sockaddr_un un;
	} from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(l->fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fl);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -2 : -1;
	if (l->is_tap && from.ll.sll_pkttype == PACKET_OUTGOING)
		return -2;
	if (!l->is_tap && (fl <= offsetof(struct sockaddr_un, sun_path) ||
	                   strncmp(from.un.sun_path, l->peer.sun_path, sizeof(from.un.sun_path))))
		return -2; /* not from QEMU's socket */
	if (n == 0)
		return -2;
	return (size_t)n > cap ? (long)cap : (long)n;
}

long link_recv(struct hw_link *l, uint8_t *buf, size_t cap, uint64_t deadline_ns)
{
	for (;;) {
		long n = recv_one(l, buf, cap);
		if (n > 0)
			return n;
		if (n == -1) {
			fprintf(stderr, "hkwire: receive: %s\n", strerror(errno));
			return -1;
		}
		int ms = ms_left(deadline_ns);
		if (ms == 0 || hw_stop)
			return 0;
		struct pollfd p = {.fd = l->fd, .events = POLLIN};
		if (poll(&p, 1, ms) < 0 && errno != EINTR) {
			fprintf(stderr, "hkwire: poll: %s\n", strerror(errno));
			return -1;
		}
	}
}

void link_close(struct hw_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (l->local_path[0])
		unlink(l->local_path);
	l->local_path[0] = 0;
}
