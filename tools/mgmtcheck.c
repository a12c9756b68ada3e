// SPDX-License-Identifier: BSD-2-Clause
/*
 * mgmtcheck: hostile and replayed requests against a node's management
 * service, for the net tests (tests/net/mgmt.sh); kanctl is the client
 * people use. Every message is built or judged with the node's codec
 * (net/mgmt.c). Each class of requests is followed by an INFO request:
 * the service answers in order, so once INFO's answer is in, every
 * request before it was handled, and one that got no answer was dropped.
 *
 *   mgmtcheck barrage ADDR [SEED]   malformed requests of every class;
 *       prints "CLASS sent N answered A dropped D" and the totals per
 *       status; exit 0 only if every answer had the status its class must
 *       get, echoed the request's id, and the service still answers.
 *   mgmtcheck auth ADDR KEYHEX      a route add with no auth trailer (refused:
 *       not authenticated), the same signed (taken), then the signed bytes
 *       again (refused: replayed). It adds fdee::/16 drop; the caller
 *       deletes it.
 */
#include <arpa/inet.h>
#include <net/mgmt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 3000

static int fd;
static uint32_t next_id = 0x5000;
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned status_seen[MGMT_E_COUNT + 1], infos;

static uint32_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)rng;
}

static void connect_to(const char *addr)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(MGMT_PORT)};
	if (inet_pton(AF_INET6, addr, &sa.sin6_addr) != 1)
		fprintf(stderr, "mgmtcheck: %s: not an IPv6 address\n", addr), exit(2);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		perror("mgmtcheck: socket"), exit(3);
}

/* The next datagram within ms into buf: its length, or -1. */
static ssize_t recv_one(uint8_t *buf, size_t cap, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ms) <= 0)
		return -1;
	return recv(fd, buf, cap, 0);
}

static size_t info_req(uint8_t *buf, uint32_t id)
{
	struct mgmt_req q = {.h = {.op = MGMT_OP_INFO, .version = MGMT_VERSION, .id = id}};
	return mgmt_req_encode(buf, MGMT_PKT_MAX, &q, NULL, 0, 0);
}

/* A class of bad requests: what each one must get back. */
struct class {
	const char *name;
	unsigned n;
	size_t (*make)(uint8_t *buf, unsigned i, uint32_t id, int *want);
};
#define WANT_DROP   (-1) /* no answer */
#define WANT_ANY    (-2) /* an error answer of any status, or none */
#define WANT_ERROR  (-3) /* an error answer of any status */

/* A valid request of a few kinds, the base the classes break. */
static size_t valid(uint8_t *buf, unsigned i, uint32_t id)
{
	static const uint8_t ops[] = {MGMT_OP_INFO, MGMT_OP_PS, MGMT_OP_COUNTERS, MGMT_OP_ROUTE_DEL,
	                              MGMT_OP_KILL, MGMT_OP_PING};
	struct mgmt_req q = {.h = {.op = ops[i % sizeof(ops)], .version = MGMT_VERSION, .id = id}};
	strcpy(q.u.name, "count");
	q.u.ping.timeout_ms = 10;
	q.u.route.len = 64;
	return mgmt_req_encode(buf, MGMT_PKT_MAX, &q, NULL, 0, 0);
}

static size_t truncated(uint8_t *buf, unsigned i, uint32_t id, int *want)
{
	size_t n = valid(buf, i / 40, id);
	size_t cut = i % 40 < n ? i % 40 : n - 1;
	*want = cut < MGMT_HDR ? WANT_DROP : MGMT_E_MALFORMED;
	return cut;
}

static size_t oversized(uint8_t *buf, unsigned i, uint32_t id, int *want)
{
	size_t n = MGMT_PKT_MAX + 1 + i * 7 % 200;
	struct mgmt_hdr h = {MGMT_VERSION, MGMT_OP_INFO, 0, id, 0, 1, 0, 0};
	uint8_t body[1];
	mgmt_msg_encode(buf, 64, &h, body, 0);
	memset(buf + MGMT_HDR, 0xab, n - MGMT_HDR);
	*want = MGMT_E_TOOBIG;
	return n;
}

static size_t version(uint8_t *buf, unsigned i, uint32_t id, int *want)
{
	size_t n = valid(buf, i, id);
	buf[0] = (uint8_t)(i % 2 ? 0 : 2 + i % 254);
	*want = MGMT_E_VERSION;
	return n;
}

static size_t unknown_op(uint8_t *buf, unsigned i, uint32_t id, int *want)
{
	size_t n = info_req(buf, id);
	buf[1] = (uint8_t)(i ? MGMT_OP_COUNT + (i - 1) % (256 - MGMT_OP_COUNT) : 0);
	*want = MGMT_E_OP;
	return n;
}

static size_t random_bytes(uint8_t *buf, unsigned i, uint32_t id, int *want)
{
	size_t n = rnd() % 1300;
	(void)i;
	for (size_t k = 0; k < n; k++)
		buf[k] = (uint8_t)rnd();
	if (n >= 8) /* our id, so an answer can be told from others' */
		buf[4] = (uint8_t)(id >> 24), buf[5] = (uint8_t)(id >> 16), buf[6] = (uint8_t)(id >> 8),
		buf[7] = (uint8_t)id;
	*want = WANT_ANY;
	return n;
}

static size_t bad_body(uint8_t *buf, unsigned i, uint32_t id, int *want)
{
	size_t n = valid(buf, 2 + i % 3, id); /* COUNTERS, ROUTE_DEL, KILL (a ping could be valid) */
	unsigned at = MGMT_HDR + rnd() % (unsigned)(n - MGMT_HDR);
	buf[at] = (uint8_t)(buf[at] ? 0x80 | buf[at] : 0x7f); /* a byte outside names and pads */
	*want = WANT_ERROR;
	return n;
}

static const struct class classes[] = {
    {"truncated", 6 * 40, truncated}, {"oversized", 20, oversized},   {"version", 20, version},
    {"unknown-op", 40, unknown_op},   {"bad-body", 40, bad_body},     {"random", 200, random_bytes},
};

/*
 * Send requests [at, at + n) of class c, then INFO; judge every answer until
 * INFO's (want[] indexed by id - first). The burst stays well inside the
 * service's ring (64), so nothing is lost to congestion. 0 if all were right.
 */
static int run_chunk(const struct class *c, unsigned at, unsigned n, int *want, uint32_t first,
                     unsigned *answered)
{
	uint8_t buf[2048];
	unsigned wrong = 0;
	for (unsigned i = at; i < at + n; i++) {
		size_t len = c->make(buf, i, first + i, &want[i]);
		if (send(fd, buf, len, 0) != (ssize_t)len)
			perror("mgmtcheck: send"), exit(3);
	}
	uint32_t info = first + c->n + at;
	size_t len = info_req(buf, info);
	infos++;
	send(fd, buf, len, 0);
	for (;;) {
		struct mgmt_hdr h;
		const uint8_t *body;
		ssize_t got = recv_one(buf, sizeof(buf), WAIT_MS);
		if (got < 0) {
			printf("%s: no answer to the INFO after it: the service stopped answering\n",
			       c->name);
			return 1;
		}
		int rc = mgmt_msg_decode(buf, (size_t)got, &h, &body);
		if (rc != MGMT_OK) {
			printf("%s: an answer that does not decode (%d)\n", c->name, rc);
			return 1;
		}
		if (h.id == info && h.status == MGMT_OK)
			break;
		if (h.id < first + at || h.id >= first + at + n) {
			printf("%s: an answer with id %u, not one of ours\n", c->name, h.id);
			return 1;
		}
		int w = want[h.id - first];
		(*answered)++;
		status_seen[h.status < MGMT_E_COUNT ? h.status : MGMT_E_COUNT]++;
		if (h.status == MGMT_OK || w == WANT_DROP || (w >= 0 && h.status != w)) {
			printf("%s: request %u got status %u (%s), want %d\n", c->name, h.id - first,
			       h.status, mgmt_status_str(h.status), w);
			wrong++;
		}
	}
	return wrong ? 1 : 0;
}

/* Class c in chunks of 32, each followed by an INFO. 0 if all were right. */
static int run_class(const struct class *c)
{
	int want[256 * 4];
	uint32_t first = next_id + 1;
	unsigned answered = 0, wrong = 0;
	next_id += 2 * c->n; /* ids: the requests, then one INFO per chunk */
	for (unsigned at = 0; at < c->n; at += 32)
		wrong |= run_chunk(c, at, c->n - at < 32 ? c->n - at : 32, want, first, &answered);
	unsigned must = 0;
	for (unsigned i = 0; i < c->n; i++)
		must += want[i] >= 0 || want[i] == WANT_ERROR;
	printf("%s sent %u answered %u dropped %u\n", c->name, c->n, answered, c->n - answered);
	if (answered < must) {
		printf("%s: %u requests that must be answered were not\n", c->name, must - answered);
		return 1;
	}
	return wrong ? 1 : 0;
}

static int barrage(const char *addr, unsigned long seed)
{
	int bad = 0;
	rng ^= seed * 0x2545f4914f6cdd1dull;
	connect_to(addr);
	for (unsigned i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		bad |= run_class(&classes[i]);
	for (unsigned s = 1; s < MGMT_E_COUNT; s++)
		if (status_seen[s])
			printf("status %s %u\n", mgmt_status_str(s), status_seen[s]);
	printf("info requests %u\nbarrage: %s\n", infos, bad ? "FAILED" : "ok");
	return bad;
}

/* One request; the answer's status (or -1: none). */
static int ask(const uint8_t *msg, size_t n, uint32_t id, uint8_t *body, size_t *len)
{
	uint8_t buf[2048];
	struct mgmt_reasm r;
	mgmt_reasm_init(&r, id, msg[1], body, MGMT_PART_MAX);
	send(fd, msg, n, 0);
	for (ssize_t got; (got = recv_one(buf, sizeof(buf), WAIT_MS)) >= 0;)
		if (mgmt_reasm_add(&r, buf, (size_t)got) == MGMT_REASM_DONE) {
			*len = r.len;
			return r.status;
		}
	return -1;
}

static int auth(const char *addr, const char *hex)
{
	uint8_t key[MGMT_KEY_MAX], msg[MGMT_PKT_MAX], body[MGMT_PART_MAX];
	size_t len = 0;
	struct mgmt_info info;
	struct mgmt_r r;
	int keylen = mgmt_key_parse(hex, strlen(hex), key);
	if (keylen < 0)
		return printf("auth: KEYHEX is not hex of 1..%u bytes\n", MGMT_KEY_MAX), 2;
	connect_to(addr);
	size_t n = info_req(msg, ++next_id);
	mgmt_r_init(&r, body, 0);
	if (ask(msg, n, next_id, body, &len) != MGMT_OK || (mgmt_r_init(&r, body, len), mgmt_info_get(&r, &info)))
		return printf("replay: no INFO answer\n"), 1;
	struct mgmt_req q = {.h = {.op = MGMT_OP_ROUTE_ADD, .version = MGMT_VERSION, .id = ++next_id},
	                     .seq = info.last_seq + 1};
	q.u.route.prefix.b[0] = 0xfd, q.u.route.prefix.b[1] = 0xee; /* fdee::/16, harmless */
	q.u.route.len = 16;
	q.u.route.kind = MGMT_RT_DROP;
	n = mgmt_req_encode(msg, sizeof(msg), &q, NULL, 0, 0);
	int bare = ask(msg, n, q.h.id, body, &len);
	q.h.id = ++next_id;
	n = mgmt_req_encode(msg, sizeof(msg), &q, key, (size_t)keylen, info.epoch);
	int first = ask(msg, n, q.h.id, body, &len), second = ask(msg, n, q.h.id, body, &len);
	printf("auth: unsigned %s, signed %s, replayed %s\n",
	       bare < 0 ? "no answer" : mgmt_status_str((unsigned)bare),
	       first < 0 ? "no answer" : mgmt_status_str((unsigned)first),
	       second < 0 ? "no answer" : mgmt_status_str((unsigned)second));
	return bare == MGMT_E_NOAUTH && first == MGMT_OK && second == MGMT_E_REPLAY ? 0 : 1;
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "barrage"))
		return barrage(argv[2], argc == 4 ? strtoul(argv[3], NULL, 0) : 1);
	if (argc == 4 && !strcmp(argv[1], "auth"))
		return auth(argv[2], argv[3]);
	fprintf(stderr, "usage: mgmtcheck barrage ADDR [SEED] | mgmtcheck auth ADDR KEYHEX\n");
	return 2;
}
