// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the management protocol's codec (net/mgmt.c). Each
 * input is read every way a node or kanctl reads a datagram or a body:
 *  - as a request (mgmt_req_decode): DROP exactly when shorter than a
 *    header, only documented statuses, and whatever decodes is canonical:
 *    an unauthenticated request re-encodes to the input, an authenticated
 *    one to the input up to its MAC and to the whole input exactly when the
 *    MAC verifies; and it is within every documented range;
 *  - as one response part, into a reassembly buffer of exactly the size it
 *    needs (taken) and of one byte less (refused as too big), then as a
 *    sequence of parts ([u16 len][bytes] after a u32 capacity) fed to one
 *    mgmt_reasm over an exact-size heap buffer: a complete body must be the
 *    accepted parts in order, and nothing completes twice;
 *  - as response bodies (info, process records, route records, counter
 *    groups): every record read re-encodes to the bytes it was read from;
 *  - as a capture stream item (mgmt_cap_get), both the whole input and the
 *    body of the input read as a message: taken exactly when a reference
 *    reading of the rules in <net/mgmt.h> says so, a fragment's data the
 *    rest of the input with off + len <= caplen <= orig_len, caplen <=
 *    MGMT_CAP_SNAP_MAX, and every item re-encodes to its bytes;
 *  - as a ping answer (mgmt_ping_resp_get): taken exactly when 20 bytes are
 *    there, and re-encodes to them.
 * A violated property is __builtin_trap(); ASan and UBSan report the rest.
 *
 * With MGMT_FUZZ_SEEDS=<dir> in the environment, LLVMFuzzerInitialize
 * first writes a few valid inputs of each kind into <dir> (the ctest run
 * points it at its fresh corpus), so fuzzing starts from real messages.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <net/mgmt.h>

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define EPOCH 0x0123456789abcdefull
static const uint8_t key[32] = "hekate-mgmt-fuzz-key-0123456789";

static unsigned rd16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }

/* ---- as a request ------------------------------------------------------------------- */

/* A request taken is within every range <net/mgmt.h> documents. */
static void in_range(const struct mgmt_req *q)
{
	switch (q->h.op) {
	case MGMT_OP_KILL:
	case MGMT_OP_RESTART: CHECK(q->u.name[0]); break;
	case MGMT_OP_ROUTE_ADD:
		CHECK(q->u.route.kind >= 1 && q->u.route.kind <= MGMT_RT_KIND_MAX);
		CHECK(q->u.route.len <= 128);
		break;
	case MGMT_OP_ROUTE_DEL: CHECK(q->u.route.len <= 128); break;
	case MGMT_OP_PING: CHECK(q->u.ping.timeout_ms >= 1 && q->u.ping.timeout_ms <= 5000); break;
	case MGMT_OP_PIPE_SET:
		CHECK(q->u.pipe.pipe[0] && q->u.pipe.n >= 2 && q->u.pipe.n <= MGMT_STAGES_MAX);
		for (unsigned i = 0; i < q->u.pipe.n; i++)
			CHECK(q->u.pipe.stage[i][0]);
		break;
	case MGMT_OP_CAPTURE:
		CHECK(q->u.cap.count >= 1 && q->u.cap.count <= MGMT_CAPTURE_MAX);
		CHECK(q->u.cap.timeout_ms >= 1 && q->u.cap.timeout_ms <= 60000);
		CHECK(q->u.cap.snaplen >= 64 && q->u.cap.snaplen <= 4096);
		break;
	default: CHECK(q->h.op >= 1 && q->h.op < MGMT_OP_COUNT); break;
	}
}

static void as_request(const uint8_t *data, size_t size)
{
	struct mgmt_req q;
	uint8_t again[MGMT_PKT_MAX];
	int rc = mgmt_req_decode(data, size, &q);
	CHECK((rc == MGMT_DROP) == (size < MGMT_HDR));
	if (rc == MGMT_DROP)
		return;
	CHECK(rc == MGMT_OK || rc == MGMT_E_VERSION || rc == MGMT_E_OP || rc == MGMT_E_MALFORMED ||
	      rc == MGMT_E_TOOBIG || rc == MGMT_E_INVAL);
	CHECK((rc == MGMT_E_TOOBIG) == (size > MGMT_PKT_MAX));
	/* the header is echoed in an error response: it must be the input's */
	CHECK(q.h.version == data[0] && q.h.op == data[1] && q.h.body_len == rd16(data + 12));
	if (rc != MGMT_OK)
		return;
	in_range(&q);
	if (!q.authed) {
		size_t n = mgmt_req_encode(again, sizeof(again), &q, NULL, 0, 0);
		CHECK(n == size && !memcmp(again, data, size));
		return;
	}
	CHECK(q.signed_len + MGMT_MAC_LEN == size);
	int ok = mgmt_auth_ok(data, &q, key, sizeof(key), EPOCH);
	size_t n = mgmt_req_encode(again, sizeof(again), &q, key, sizeof(key), EPOCH);
	CHECK(n == size && !memcmp(again, data, q.signed_len));
	CHECK(ok == !memcmp(again, data, size));
}

/* ---- as response parts ---------------------------------------------------------------- */

/* A reassembly of the response msg names, over exactly cap heap bytes. */
static int reasm_once(const uint8_t *msg, size_t size, size_t cap, struct mgmt_reasm *r,
                      uint8_t **buf)
{
	*buf = malloc(cap ? cap : 1);
	CHECK(*buf);
	mgmt_reasm_init(r, (uint32_t)rd16(msg + 4) << 16 | rd16(msg + 6), msg[1], *buf, cap);
	return mgmt_reasm_add(r, msg, size);
}

/* The whole input as one part of the response it names, into a buffer of
 * exactly the size it needs (taken), then one byte less (too big). */
static void as_part(const uint8_t *data, size_t size)
{
	struct mgmt_reasm r;
	uint8_t *buf;
	if (size < MGMT_HDR)
		return;
	size_t need = (size_t)rd16(data + 8) * MGMT_PART_MAX + rd16(data + 12);
	if (need > MGMT_BODY_MAX)
		need = MGMT_BODY_MAX; /* no valid part needs more: keep the block small */
	int rc = reasm_once(data, size, need, &r, &buf);
	CHECK(rc == MGMT_REASM_MORE || rc == MGMT_REASM_DONE || rc == MGMT_REASM_BAD);
	if (rc == MGMT_REASM_DONE) {
		CHECK(rd16(data + 10) == 1 && r.len == rd16(data + 12) && r.len == size - MGMT_HDR);
		CHECK(!memcmp(buf, data + MGMT_HDR, r.len));
		CHECK(r.status == rd16(data + 2));
	}
	int taken = rc == MGMT_REASM_MORE || rc == MGMT_REASM_DONE;
	if (taken)
		CHECK(mgmt_reasm_add(&r, data, size) == MGMT_REASM_OTHER); /* now a duplicate */
	free(buf);
	if (!need)
		return;
	rc = reasm_once(data, size, need - 1, &r, &buf);
	CHECK(taken ? rc == MGMT_REASM_TOOBIG : rc == MGMT_REASM_BAD);
	free(buf);
}

/* [u32 cap][u16 len][part]...: the parts into one reassembly of cap bytes. */
static void as_parts(const uint8_t *data, size_t size)
{
	const uint8_t *body[MGMT_PARTS_MAX] = {0};
	size_t blen[MGMT_PARTS_MAX] = {0};
	struct mgmt_reasm r;
	unsigned accepted = 0, done = 0;
	if (size < 6)
		return;
	size_t cap = (size_t)rd16(data) << 16 | rd16(data + 2);
	if (cap > MGMT_BODY_MAX)
		cap = MGMT_BODY_MAX;
	uint8_t *buf = malloc(cap ? cap : 1); /* exact: ASan sees a write past cap */
	CHECK(buf);
	int init = 0;
	for (size_t at = 4; at + 2 <= size;) {
		size_t n = rd16(data + at);
		const uint8_t *m = data + at + 2;
		if (n > size - at - 2)
			n = size - at - 2;
		at += 2 + n;
		if (!init) { /* the reassembly is for the first part's id and op */
			if (n < 8)
				break;
			uint32_t id = (uint32_t)rd16(m + 4) << 16 | rd16(m + 6);
			mgmt_reasm_init(&r, id, m[1], buf, cap);
			init = 1;
		}
		int rc = mgmt_reasm_add(&r, m, n);
		if (done) { /* once complete, nothing is taken */
			CHECK(rc == MGMT_REASM_OTHER || rc == MGMT_REASM_BAD);
			continue;
		}
		CHECK(rc >= MGMT_REASM_TOOBIG && rc <= MGMT_REASM_OTHER);
		if (rc != MGMT_REASM_MORE && rc != MGMT_REASM_DONE)
			continue;
		/* taken: a valid part of this response, not seen before */
		unsigned part = rd16(m + 8), nparts = rd16(m + 10);
		CHECK(n >= MGMT_HDR && part < nparts && nparts <= MGMT_PARTS_MAX);
		CHECK(nparts == r.nparts && rd16(m + 2) == r.status && !body[part]);
		body[part] = m + MGMT_HDR;
		blen[part] = n - MGMT_HDR;
		CHECK(blen[part] == rd16(m + 12));
		CHECK(part + 1 == nparts || blen[part] == MGMT_PART_MAX);
		accepted++;
		CHECK((rc == MGMT_REASM_DONE) == (accepted == nparts));
		if (rc == MGMT_REASM_MORE)
			continue;
		done = 1;
		/* the body is the parts in order */
		size_t off = 0;
		for (unsigned p = 0; p < nparts; p++) {
			CHECK(off + blen[p] <= cap && !memcmp(buf + off, body[p], blen[p]));
			off += blen[p];
		}
		CHECK(off == r.len);
	}
	free(buf);
}

/* ---- as response bodies --------------------------------------------------------------- */

/* What a reader took from in[0..n) is what the writer makes of it. */
static void same_bytes(const struct mgmt_w *w, const uint8_t *in, size_t n)
{
	CHECK(!w->err && w->len == n && !memcmp(w->p, in, n));
}

static void as_bodies(const uint8_t *data, size_t size)
{
	static uint8_t out[MGMT_PROC_FIXED + 16 * MGMT_ADDRS_MAX];
	struct mgmt_r r;
	struct mgmt_w w;

	struct mgmt_info info;
	mgmt_r_init(&r, data, size);
	if (!mgmt_info_get(&r, &info)) {
		mgmt_w_init(&w, out, sizeof(out));
		mgmt_info_put(&w, &info);
		same_bytes(&w, data, r.at);
	}

	static struct mgmt_proc p;
	mgmt_r_init(&r, data, size);
	while (!r.err && r.at < r.len) {
		size_t at = r.at;
		if (mgmt_proc_get(&r, &p))
			break;
		CHECK(p.naddr <= MGMT_ADDRS_MAX);
		mgmt_w_init(&w, out, sizeof(out));
		mgmt_proc_put(&w, &p);
		same_bytes(&w, data + at, r.at - at);
	}

	struct mgmt_route rt;
	mgmt_r_init(&r, data, size);
	while (!r.err && r.at < r.len) {
		size_t at = r.at;
		if (mgmt_route_get(&r, &rt))
			break;
		mgmt_w_init(&w, out, sizeof(out));
		mgmt_route_put(&w, &rt);
		same_bytes(&w, data + at, r.at - at);
	}

	/* counters: groups, each followed by its counters */
	char name[MGMT_CTR_NAME + 1];
	uint16_t n, flags;
	uint64_t v;
	mgmt_r_init(&r, data, size);
	while (!r.err && r.at < r.len) {
		size_t at = r.at;
		if (mgmt_group_get(&r, name, &n, &flags))
			break;
		CHECK(mgmt_ctr_name_ok(name));
		mgmt_w_init(&w, out, sizeof(out));
		mgmt_group_put(&w, name, n, flags);
		same_bytes(&w, data + at, r.at - at);
		for (unsigned i = 0; i < n && !r.err; i++) {
			at = r.at;
			if (mgmt_ctr_get(&r, name, &v))
				break;
			CHECK(mgmt_ctr_name_ok(name));
			mgmt_w_init(&w, out, sizeof(out));
			mgmt_ctr_put(&w, name, v);
			same_bytes(&w, data + at, r.at - at);
		}
	}
	CHECK(r.at <= r.len);
}

/* ---- as a capture stream item and a ping answer ---------------------------------------- */

/* The item p[0..n) is one <net/mgmt.h> allows, read from the bytes directly. */
static int ref_cap_ok(const uint8_t *p, size_t n)
{
	if (n < 8 || p[1] || p[2] || p[3])
		return 0;
	if (p[0] == MGMT_CAP_END)
		return n == MGMT_CAP_END_LEN && p[20] <= MGMT_CAP_TIME && !p[21] && !p[22] &&
		       !p[23];
	if (p[0] != MGMT_CAP_FRAG || n <= MGMT_CAP_FRAG_HEAD ||
	    n - MGMT_CAP_FRAG_HEAD > MGMT_CAP_DATA_MAX)
		return 0;
	size_t len = n - MGMT_CAP_FRAG_HEAD, off = rd16(p + 24), caplen = rd16(p + 26);
	return caplen <= MGMT_CAP_SNAP_MAX && caplen <= rd32(p + 12) && off + len <= caplen;
}

static void as_cap(const uint8_t *body, size_t n)
{
	static uint8_t out[MGMT_PART_MAX + 64];
	struct mgmt_cap c;
	struct mgmt_w w;
	int rc = mgmt_cap_get(body, n, &c);
	CHECK(rc == 0 || rc == -1);
	CHECK((rc == 0) == ref_cap_ok(body, n));
	if (rc)
		return;
	if (c.kind == MGMT_CAP_FRAG) {
		CHECK(c.len >= 1 && c.len <= MGMT_CAP_DATA_MAX && c.len == n - MGMT_CAP_FRAG_HEAD);
		CHECK(c.data == body + MGMT_CAP_FRAG_HEAD); /* within the input, to its end */
		CHECK((uint32_t)c.off + c.len <= c.caplen && c.caplen <= c.orig_len);
		CHECK(c.caplen <= MGMT_CAP_SNAP_MAX);
	} else {
		CHECK(c.kind == MGMT_CAP_END && n == MGMT_CAP_END_LEN);
		CHECK(c.reason <= MGMT_CAP_TIME && !c.data && !c.len);
	}
	mgmt_w_init(&w, out, sizeof(out));
	mgmt_cap_put(&w, &c);
	same_bytes(&w, body, n);
}

/* The input as a capture item, and the body of the input as a message. */
static void as_cap_stream(const uint8_t *data, size_t size)
{
	struct mgmt_hdr h;
	const uint8_t *body;
	as_cap(data, size);
	if (mgmt_msg_decode(data, size, &h, &body) != MGMT_OK || (h.flags & MGMT_F_AUTH))
		return;
	CHECK(body == data + MGMT_HDR && MGMT_HDR + (size_t)h.body_len == size);
	as_cap(body, h.body_len);
}

static void as_ping(const uint8_t *data, size_t size)
{
	uint8_t out[MGMT_PING_RESP_LEN];
	struct mgmt_ping_resp p;
	struct mgmt_r r;
	struct mgmt_w w;
	mgmt_r_init(&r, data, size);
	int rc = mgmt_ping_resp_get(&r, &p);
	CHECK((rc == 0) == (size >= MGMT_PING_RESP_LEN));
	CHECK(rc == 0 ? !r.err && r.at == MGMT_PING_RESP_LEN : r.err && r.at <= r.len);
	if (rc)
		return;
	mgmt_w_init(&w, out, sizeof(out));
	mgmt_ping_resp_put(&w, &p);
	same_bytes(&w, data, MGMT_PING_RESP_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_request(data, size);
	as_part(data, size);
	as_parts(data, size);
	as_bodies(data, size);
	as_cap_stream(data, size);
	as_ping(data, size);
	return 0;
}

/* ---- seeds ------------------------------------------------------------------------------ */

static void seed(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static void seed_req(const char *dir, const char *name, struct mgmt_req q, int authed)
{
	uint8_t m[MGMT_PKT_MAX];
	q.h.version = MGMT_VERSION;
	q.h.id = 0x01020304;
	q.seq = 77;
	size_t n = mgmt_req_encode(m, sizeof(m), &q, authed ? key : NULL, sizeof(key), EPOCH);
	if (!n) {
		fprintf(stderr, "fuzz_mgmt: seed %s does not encode\n", name);
		exit(1);
	}
	seed(dir, name, m, n);
}

static void write_seeds(const char *dir)
{
	if (mkdir(dir, 0777) && errno != EEXIST) {
		perror(dir);
		exit(1);
	}
	struct mgmt_req q = {.h.op = MGMT_OP_INFO};
	seed_req(dir, "info", q, 0);
	q.h.op = MGMT_OP_KILL;
	strcpy(q.u.name, "web");
	seed_req(dir, "kill", q, 1);
	q.h.op = MGMT_OP_COUNTERS;
	seed_req(dir, "counters", q, 0);
	memset(&q.u, 0, sizeof(q.u));
	q.h.op = MGMT_OP_ROUTE_ADD;
	q.u.route.len = 128;
	q.u.route.kind = MGMT_RT_WORKER;
	strcpy(q.u.route.target, "fw");
	seed_req(dir, "route-add", q, 1);
	q.h.op = MGMT_OP_ROUTE_DEL;
	seed_req(dir, "route-del", q, 1);
	memset(&q.u, 0, sizeof(q.u));
	q.h.op = MGMT_OP_PING;
	/* seeds at the ends of the ranges: a step past is one mutation away */
	q.u.ping.timeout_ms = 5000;
	seed_req(dir, "ping", q, 0);
	memset(&q.u, 0, sizeof(q.u));
	q.h.op = MGMT_OP_PIPE_SET;
	strcpy(q.u.pipe.pipe, "p0");
	q.u.pipe.n = 3;
	strcpy(q.u.pipe.stage[0], "a");
	strcpy(q.u.pipe.stage[1], "b");
	strcpy(q.u.pipe.stage[2], "c");
	seed_req(dir, "pipe-set", q, 1);
	memset(&q.u, 0, sizeof(q.u));
	q.h.op = MGMT_OP_CAPTURE;
	q.u.cap.count = MGMT_CAPTURE_MAX;
	q.u.cap.timeout_ms = 60000;
	q.u.cap.snaplen = 64;
	seed_req(dir, "capture", q, 1);

	/* an error response, and a two-part response behind its capacity and lengths */
	static uint8_t body[MGMT_PART_MAX + 10], in[4 + 2 * (2 + MGMT_PKT_MAX)];
	struct mgmt_hdr h = {MGMT_VERSION, MGMT_OP_PS, MGMT_E_NOENT, 9, 0, 0, 0, 0};
	size_t n = mgmt_part_encode(in, sizeof(in), &h, (const uint8_t *)"no such", 7, 0);
	seed(dir, "error", in, n);
	h.status = MGMT_OK;
	size_t at = 4;
	memset(in, 0, 4);
	in[2] = (uint8_t)(sizeof(body) >> 8);
	in[3] = (uint8_t)sizeof(body);
	for (unsigned p = 0; p < 2; p++) {
		n = mgmt_part_encode(in + at + 2, MGMT_PKT_MAX, &h, body, sizeof(body), p);
		in[at] = (uint8_t)(n >> 8);
		in[at + 1] = (uint8_t)n;
		at += 2 + n;
	}
	seed(dir, "parts", in, at);

	/* bodies: info, a process record, a route record, counters */
	struct mgmt_w w;
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_info_put(&w, &(struct mgmt_info){.writes = 1, .nprocs = 3, .epoch = EPOCH});
	seed(dir, "info-body", body, w.len);
	static struct mgmt_proc p = {
	    .name = "init", .pid = 1, .state = MGMT_PS_RUNNING, .naddr = MGMT_ADDRS_MAX};
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_proc_put(&w, &p);
	seed(dir, "proc", body, w.len);
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_route_put(&w, &(struct mgmt_route){.len = 64, .kind = MGMT_RT_KAN, .flags = 1});
	seed(dir, "route", body, w.len);
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_group_put(&w, "node", 2, 0);
	mgmt_ctr_put(&w, "rx", 1);
	mgmt_ctr_put(&w, "tx.drops", 2);
	seed(dir, "counters-body", body, w.len);

	/* the capture stream: items at the ends of their ranges, alone and in a message */
	static uint8_t pkt[MGMT_CAP_DATA_MAX];
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	struct mgmt_cap c = {.kind = MGMT_CAP_FRAG,
	                     .seq = 5,
	                     .pkt = 2,
	                     .orig_len = MGMT_CAP_SNAP_MAX,
	                     .time_us = EPOCH,
	                     .off = 0,
	                     .caplen = MGMT_CAP_SNAP_MAX,
	                     .len = MGMT_CAP_DATA_MAX,
	                     .data = pkt};
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_cap_put(&w, &c);
	seed(dir, "cap-frag-max", body, w.len);
	body[w.len] = 0; /* one data byte too many: refused, whatever the offsets say */
	seed(dir, "cap-frag-over", body, w.len + 1);
	h = (struct mgmt_hdr){MGMT_VERSION, MGMT_OP_CAPTURE, MGMT_OK, 9, 0, 1, 0, 0};
	n = mgmt_msg_encode(in, sizeof(in), &h, body, w.len);
	seed(dir, "cap-frag-msg", in, n);
	c = (struct mgmt_cap){.kind = MGMT_CAP_FRAG,
	                      .seq = 6,
	                      .pkt = 3,
	                      .orig_len = 100,
	                      .off = 90,
	                      .caplen = 100,
	                      .len = 10,
	                      .data = pkt};
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_cap_put(&w, &c);
	seed(dir, "cap-frag-end", body, w.len);
	c = (struct mgmt_cap){.kind = MGMT_CAP_END,
	                      .seq = 7,
	                      .packets = 3,
	                      .dropped = 1,
	                      .lost = 2,
	                      .reason = MGMT_CAP_TIME};
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_cap_put(&w, &c);
	seed(dir, "cap-end", body, w.len);
	n = mgmt_msg_encode(in, sizeof(in), &h, body, w.len);
	seed(dir, "cap-end-msg", in, n);
	mgmt_w_init(&w, body, sizeof(body));
	mgmt_ping_resp_put(&w, &(struct mgmt_ping_resp){.rtt_us = 1234});
	seed(dir, "ping-resp", body, w.len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("MGMT_FUZZ_SEEDS");
	if (dir && *dir)
		write_seeds(dir);
	return 0;
}
