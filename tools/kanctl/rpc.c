// SPDX-License-Identifier: BSD-2-Clause
/* kanctl's requests: sign, send, wait for every part, retry reads (contracts in kanctl.h). */
#include "kanctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <kan/ipv6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint8_t answer[MGMT_BODY_MAX];

uint64_t kc_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static uint64_t wall_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

int kc_open(struct kanctl *k)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(k->port)};
	if (k->fd > 0)
		return KX_OK;
	if (inet_pton(AF_INET6, k->node, &sa.sin6_addr) != 1) {
		fprintf(stderr, "kanctl: --node %s: not an IPv6 address\n", k->node);
		return KX_USAGE;
	}
	struct sockaddr_in6 me = {.sin6_family = AF_INET6};
	if (k->bind[0] && inet_pton(AF_INET6, k->bind, &me.sin6_addr) != 1) {
		fprintf(stderr, "kanctl: --bind %s: not an IPv6 address\n", k->bind);
		return KX_USAGE;
	}
	k->fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (k->fd < 0 || (k->bind[0] && bind(k->fd, (struct sockaddr *)&me, sizeof(me))) ||
	    connect(k->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "kanctl: cannot reach [%s]:%u: %s\n", k->node, k->port, strerror(errno));
		return KX_SYSTEM;
	}
	return KX_OK;
}

static int send_msg(struct kanctl *k, const uint8_t *msg, size_t n)
{
	if (send(k->fd, msg, n, 0) != (ssize_t)n) {
		fprintf(stderr, "kanctl: send to [%s]:%u: %s\n", k->node, k->port, strerror(errno));
		return KX_SYSTEM;
	}
	return KX_OK;
}

/* One try: send msg, gather the answer to (id, op) until timeout. */
static int try_once(struct kanctl *k, const uint8_t *msg, size_t n, uint32_t id, uint8_t op)
{
	struct mgmt_reasm r;
	uint8_t pkt[2048];
	mgmt_reasm_init(&r, id, op, answer, sizeof(answer));
	int rc = send_msg(k, msg, n);
	if (rc)
		return rc;
	uint64_t end = kc_now_ms() + k->timeout_ms;
	for (uint64_t t; (t = kc_now_ms()) < end;) {
		struct pollfd p = {.fd = k->fd, .events = POLLIN};
		if (poll(&p, 1, (int)(end - t)) <= 0)
			continue;
		ssize_t got = recv(k->fd, pkt, sizeof(pkt), 0);
		if (got < 0) {
			if (errno == ECONNREFUSED) /* an ICMPv6 port unreachable: nobody serves there */
				return kc_port_unreachable(k), KX_TIMEOUT;
			continue;
		}
		rc = mgmt_reasm_add(&r, pkt, (size_t)got);
		if (rc == MGMT_REASM_DONE) {
			k->status = r.status;
			k->body = answer;
			k->len = r.len;
			return KX_OK;
		}
		if (rc < 0)
			return fprintf(stderr, "kanctl: a malformed answer from the node\n"), KX_SYSTEM;
	}
	return KX_TIMEOUT;
}

void kc_port_unreachable(const struct kanctl *k)
{
	fprintf(stderr, "kanctl: [%s]:%u refused the request (port unreachable)\n", k->node, k->port);
}

/* Sign with the node's epoch and a sequence above the last it took. */
static int sign(struct kanctl *k, struct mgmt_req *q, uint64_t *epoch)
{
	struct mgmt_req info = {.h.op = MGMT_OP_INFO};
	struct mgmt_info i;
	struct mgmt_r r;
	int rc = kc_ask(k, &info);
	if (rc)
		return rc;
	mgmt_r_init(&r, k->body, k->len);
	if (mgmt_info_get(&r, &i))
		return fprintf(stderr, "kanctl: a malformed info answer\n"), KX_SYSTEM;
	uint64_t seq = wall_us();
	q->seq = seq > i.last_seq ? seq : i.last_seq + 1;
	*epoch = i.epoch;
	return KX_OK;
}

void kc_refused(struct kanctl *k, uint8_t op)
{
	size_t n = k->len < MGMT_DETAIL_MAX ? k->len : MGMT_DETAIL_MAX;
	memcpy(k->detail, k->body, n);
	k->detail[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (k->detail[i] < 0x20 || k->detail[i] > 0x7e)
			k->detail[i] = '?'; /* the node's text is printed, never trusted */
	fprintf(stderr, "kanctl: %s: %s%s%s\n", mgmt_op_name(op), mgmt_status_str(k->status),
	        n ? ": " : "", k->detail);
}

/* The socket, the key check and, for a write, the signature's epoch and q->seq. */
static int prepare(struct kanctl *k, struct mgmt_req *q, uint64_t *epoch)
{
	int write = mgmt_op_is_write(q->h.op);
	int rc = kc_open(k);
	if (!rc && write)
		rc = kc_need_key(k, q->h.op);
	if (!rc && write)
		rc = sign(k, q, epoch);
	return rc;
}

/* A new id into q, then the whole message (signed for a write) into msg: its length, or 0. */
static size_t encode(struct kanctl *k, struct mgmt_req *q, uint64_t epoch, uint8_t *msg)
{
	static uint32_t next_id;
	int write = mgmt_op_is_write(q->h.op);
	if (!next_id)
		next_id = (uint32_t)getpid() << 12 | (uint32_t)(wall_us() & 0xfff);
	q->h.version = MGMT_VERSION;
	q->h.id = ++next_id;
	size_t n = mgmt_req_encode(msg, MGMT_PKT_MAX, q, write ? k->key : NULL, k->keylen, epoch);
	if (!n)
		fprintf(stderr, "kanctl: cannot encode the request\n");
	return n;
}

int kc_need_key(struct kanctl *k, unsigned op)
{
	if (k->keylen)
		return KX_OK;
	fprintf(stderr, "kanctl: %s changes the node: give the key with --key HEX, --key-file "
	        "FILE or KANCTL_KEY\n", mgmt_op_name(op));
	return KX_USAGE;
}

int kc_send(struct kanctl *k, struct mgmt_req *q)
{
	uint8_t msg[MGMT_PKT_MAX];
	uint64_t epoch = 0;
	int rc = prepare(k, q, &epoch);
	if (rc)
		return rc;
	size_t n = encode(k, q, epoch, msg);
	return n ? send_msg(k, msg, n) : KX_USAGE;
}

int kc_ask(struct kanctl *k, struct mgmt_req *q)
{
	uint8_t msg[MGMT_PKT_MAX];
	uint64_t epoch = 0;
	int write = mgmt_op_is_write(q->h.op);
	int rc = prepare(k, q, &epoch);
	for (unsigned t = 0; !rc && t < (write ? 1 : k->tries); t++) {
		size_t n = encode(k, q, epoch, msg);
		if (!n)
			return KX_USAGE;
		rc = try_once(k, msg, n, q->h.id, q->h.op);
		if (rc != KX_TIMEOUT)
			break;
		if (t + 1 < (write ? 1 : k->tries))
			rc = KX_OK;
	}
	if (rc == KX_TIMEOUT)
		fprintf(stderr, "kanctl: %s: no answer from [%s]:%u in %u ms%s\n", mgmt_op_name(q->h.op),
		        k->node, k->port, k->timeout_ms, write ? "" : " (each of the tries)");
	if (!rc && k->status) {
		kc_refused(k, q->h.op);
		rc = KX_REFUSED;
	}
	return rc;
}

int kc_procs(struct kanctl *k, struct mgmt_proc **out, unsigned *n)
{
	struct mgmt_req q = {.h.op = MGMT_OP_PS};
	struct mgmt_r r;
	int rc = kc_ask(k, &q);
	if (rc)
		return rc;
	mgmt_r_init(&r, k->body, k->len);
	*n = mgmt_get16(&r);
	mgmt_get16(&r);
	*out = calloc(*n ? *n : 1, sizeof(**out));
	for (unsigned i = 0; *out && i < *n; i++)
		mgmt_proc_get(&r, &(*out)[i]);
	if (!*out || !mgmt_r_done(&r)) {
		free(*out);
		return fprintf(stderr, "kanctl: a malformed process table\n"), KX_SYSTEM;
	}
	return KX_OK;
}

void kc_addr_str(const struct hk_addr *a, char *buf, size_t n) { kan_addr_format(a, buf, n); }

/* "ADDR[/LEN]", LEN 0..255: the node judges the length and host bits, not kanctl. */
int kc_parse_prefix(const char *s, struct hk_addr *a, unsigned *len)
{
	const char *slash = strchr(s, '/');
	char *end;
	if (!slash)
		return kc_parse_addr(s, a) ? -1 : (*len = 128, 0);
	unsigned long v = strtoul(slash + 1, &end, 10);
	if (kan_addr_parse(s, (size_t)(slash - s), a) || !slash[1] || *end || v > 255)
		return -1;
	*len = (unsigned)v;
	return 0;
}

int kc_parse_addr(const char *s, struct hk_addr *a) { return kan_addr_parse(s, strlen(s), a); }

_Static_assert(MGMT_NAME == 24, "kc_name_bad's text says 24");

const char *kc_name_bad(const char *s, size_t n)
{
	if (!n)
		return "is empty";
	if (n > MGMT_NAME)
		return "is longer than 24 characters";
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return "may hold only letters, digits, '_', '.' and '-'";
	return NULL;
}
