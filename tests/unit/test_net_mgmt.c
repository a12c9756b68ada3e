// SPDX-License-Identifier: BSD-2-Clause
/*
 * The management protocol's codec (net/mgmt.c) on the host, judged by the
 * contracts in <net/mgmt.h>: the wire layout byte by byte (the MAC checked
 * with net_hmac256 directly), round trips of every operation with and
 * without keys of several lengths, authentication refusing a wrong key, a
 * wrong epoch and every single flipped bit, canonical re-encoding, every
 * truncation and every documented refusal in the documented order,
 * splitting and reassembly in every order with duplicates, the response
 * bodies at every capacity and every truncation, and a mutation loop. All
 * buffers handed to the codec are exact-size heap blocks (kan_ref.h), so
 * ASan sees any access past a length or a capacity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/kan.h>
#include <net/mgmt.h>
#include <net/sha256.h>

#include "kan_ref.h"
#include "rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define EPOCH        0x1122334455667788ull
#define MSG_MAX      (MGMT_PKT_MAX + 64) /* room for messages made too long on purpose */

/* Every character a name may hold, 24 of them: a name of the maximal length. */
static const char name24[] = "Az09_.-bcdefghijklmnopqr";

/* Keys of the lengths worth trying: 1, one hash block and under, over it. */
static const size_t key_lens[] = {1, 32, 64, 100};
static uint8_t key[101]; /* + 1: a key one byte longer than the longest */

static void key_fill(void)
{
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
}

static struct hk_addr addr_of(unsigned seed)
{
	struct hk_addr a;
	for (unsigned i = 0; i < 16; i++)
		a.b[i] = (uint8_t)(seed * 17 + i * 3 + 1);
	return a;
}

static void name_set(char *dst, const char *s)
{
	memset(dst, 0, MGMT_NAME + 1);
	memcpy(dst, s, strlen(s));
}

/* ---- representative requests -------------------------------------------- */

static struct mgmt_req req_new(unsigned op, uint32_t id)
{
	struct mgmt_req q;
	memset(&q, 0, sizeof(q));
	q.h.version = MGMT_VERSION; /* the callers set it; the encoder takes it from q->h */
	q.h.op = (uint8_t)op;
	q.h.id = id;
	q.seq = 0x0102030405060708ull * id;
	return q;
}

static struct mgmt_req req_name(unsigned op, const char *name)
{
	struct mgmt_req q = req_new(op, 0x80000000u | op);
	name_set(q.u.name, name);
	return q;
}

static struct mgmt_req req_route(uint8_t kind, uint8_t len, const char *target)
{
	struct mgmt_req q = req_new(MGMT_OP_ROUTE_ADD, 0x51000000u | kind);
	q.u.route.prefix = addr_of(kind);
	q.u.route.len = len;
	q.u.route.kind = kind;
	name_set(q.u.route.target, target);
	if (kind == MGMT_RT_NEXTHOP)
		q.u.route.nexthop = addr_of(99);
	return q;
}

static struct mgmt_req req_pipe(unsigned n, const char *stage)
{
	struct mgmt_req q = req_new(MGMT_OP_PIPE_SET, 0x77000000u | n);
	name_set(q.u.pipe.pipe, n == MGMT_STAGES_MAX ? name24 : "p");
	q.u.pipe.n = n;
	for (unsigned i = 0; i < n; i++) {
		name_set(q.u.pipe.stage[i], stage);
		q.u.pipe.stage[i][0] = (char)('a' + i); /* distinct stages */
	}
	return q;
}

static struct mgmt_req req_capture(const char *process, uint32_t count, uint32_t timeout,
                                   uint16_t snaplen)
{
	struct mgmt_req q = req_new(MGMT_OP_CAPTURE, count);
	name_set(q.u.cap.process, process);
	q.u.cap.count = count;
	q.u.cap.timeout_ms = timeout;
	q.u.cap.snaplen = snaplen;
	return q;
}

/* Every op, names of 1 and 24 characters, every route kind, both ends of every range. */
static unsigned sample_reqs(struct mgmt_req *out)
{
	unsigned n = 0;
	out[n++] = req_new(MGMT_OP_INFO, 1);
	out[n++] = req_new(MGMT_OP_PS, 0xffffffffu);
	out[n++] = req_new(MGMT_OP_ROUTES, 0);
	out[n++] = req_name(MGMT_OP_COUNTERS, "");
	out[n++] = req_name(MGMT_OP_COUNTERS, "x");
	out[n++] = req_name(MGMT_OP_COUNTERS, name24);
	out[n++] = req_name(MGMT_OP_KILL, "k");
	out[n++] = req_name(MGMT_OP_KILL, name24);
	out[n++] = req_name(MGMT_OP_RESTART, "r");
	out[n++] = req_name(MGMT_OP_RESTART, name24);
	out[n++] = req_route(MGMT_RT_KAN, 64, "");
	out[n++] = req_route(MGMT_RT_WORKER, 128, "fw");
	out[n++] = req_route(MGMT_RT_WORKER, 128, name24);
	out[n++] = req_route(MGMT_RT_LINK, 64, "");
	out[n++] = req_route(MGMT_RT_NEXTHOP, 0, "");
	out[n++] = req_route(MGMT_RT_DROP, 128, "");
	struct mgmt_req d = req_new(MGMT_OP_ROUTE_DEL, 0x0d);
	d.u.route.prefix = addr_of(5);
	d.u.route.len = 0;
	out[n++] = d;
	d.u.route.len = 128;
	out[n++] = d;
	struct mgmt_req p = req_new(MGMT_OP_PING, 0x99);
	p.u.ping.addr = addr_of(7);
	p.u.ping.timeout_ms = 1;
	out[n++] = p;
	p.u.ping.timeout_ms = 5000;
	out[n++] = p;
	out[n++] = req_pipe(2, "s");
	out[n++] = req_pipe(MGMT_STAGES_MAX, name24);
	out[n++] = req_capture("", 1, 1, 64);
	out[n++] = req_capture("web", MGMT_CAPTURE_MAX, 60000, 4096);
	out[n++] = req_capture(name24, 1000, 500, 1500);
	return n;
}
#define SAMPLES_MAX 32

/* The body length each op's layout gives (the reference for body_len). */
static size_t ref_body_len(const struct mgmt_req *q)
{
	switch (q->h.op) {
	case MGMT_OP_COUNTERS:
	case MGMT_OP_KILL:
	case MGMT_OP_RESTART: return MGMT_NAME;
	case MGMT_OP_ROUTE_ADD: return MGMT_ROUTE_REC;
	case MGMT_OP_ROUTE_DEL: return 20;
	case MGMT_OP_PING: return 20;
	case MGMT_OP_PIPE_SET: return MGMT_NAME + 4 + q->u.pipe.n * MGMT_NAME;
	case MGMT_OP_CAPTURE: return MGMT_NAME + 12;
	default: return 0;
	}
}

/* The decoded request d says what q said. */
static void req_same(const struct mgmt_req *q, const struct mgmt_req *d)
{
	assert_int_equal(d->h.version, MGMT_VERSION);
	assert_int_equal(d->h.op, q->h.op);
	assert_int_equal(d->h.id, q->h.id);
	assert_int_equal(d->h.status, 0);
	assert_int_equal(d->h.part, 0);
	assert_int_equal(d->h.nparts, 1);
	assert_int_equal(d->h.body_len, ref_body_len(q));
	switch (q->h.op) {
	case MGMT_OP_COUNTERS:
	case MGMT_OP_KILL:
	case MGMT_OP_RESTART: assert_string_equal(d->u.name, q->u.name); break;
	case MGMT_OP_ROUTE_ADD:
		assert_memory_equal(d->u.route.prefix.b, q->u.route.prefix.b, 16);
		assert_int_equal(d->u.route.len, q->u.route.len);
		assert_int_equal(d->u.route.kind, q->u.route.kind);
		assert_int_equal(d->u.route.flags, q->u.route.flags);
		assert_string_equal(d->u.route.target, q->u.route.target);
		assert_memory_equal(d->u.route.nexthop.b, q->u.route.nexthop.b, 16);
		break;
	case MGMT_OP_ROUTE_DEL:
		assert_memory_equal(d->u.route.prefix.b, q->u.route.prefix.b, 16);
		assert_int_equal(d->u.route.len, q->u.route.len);
		break;
	case MGMT_OP_PING:
		assert_memory_equal(d->u.ping.addr.b, q->u.ping.addr.b, 16);
		assert_int_equal(d->u.ping.timeout_ms, q->u.ping.timeout_ms);
		break;
	case MGMT_OP_PIPE_SET:
		assert_string_equal(d->u.pipe.pipe, q->u.pipe.pipe);
		assert_int_equal(d->u.pipe.n, q->u.pipe.n);
		for (unsigned i = 0; i < q->u.pipe.n; i++)
			assert_string_equal(d->u.pipe.stage[i], q->u.pipe.stage[i]);
		break;
	case MGMT_OP_CAPTURE:
		assert_string_equal(d->u.cap.process, q->u.cap.process);
		assert_int_equal(d->u.cap.count, q->u.cap.count);
		assert_int_equal(d->u.cap.timeout_ms, q->u.cap.timeout_ms);
		assert_int_equal(d->u.cap.snaplen, q->u.cap.snaplen);
		break;
	default: break;
	}
}

/* q encoded (a copy: the encoder writes header fields and the MAC back). */
static size_t enc(const struct mgmt_req *q, uint8_t *buf, size_t cap, const uint8_t *k, size_t kl)
{
	struct mgmt_req c = *q;
	return mgmt_req_encode(buf, cap, &c, k, kl, EPOCH);
}

/* Decode an exact-size copy of p[0..len). On a status other than DROP, the
 * header must have been filled from the bytes (an error response echoes it). */
static int dec(const uint8_t *p, size_t len, struct mgmt_req *q)
{
	uint8_t *b = buf_exact(p, len);
	int rc = mgmt_req_decode(b, len, q);
	if (rc != MGMT_DROP) {
		assert_int_equal(q->h.version, b[0]);
		assert_int_equal(q->h.op, b[1]);
		assert_int_equal(q->h.id, rd32(b + 4));
	}
	buf_free(b, len);
	return rc;
}

/* A message under construction: bytes and length, to edit before decoding. */
struct msg {
	uint8_t b[MSG_MAX + 1]; /* + 1: an edit may touch the byte just past n */
	size_t n;
};

static struct msg msg_of(const struct mgmt_req *q, const uint8_t *k, size_t kl)
{
	struct msg m;
	memset(&m, 0, sizeof(m));
	m.n = enc(q, m.b, sizeof(m.b), k, kl);
	assert_true(m.n >= MGMT_HDR);
	return m;
}

static int msg_dec(const struct msg *m)
{
	struct mgmt_req q;
	return dec(m->b, m->n, &q);
}

/* m with byte `off` set to v, decoded. */
static int dec_byte(struct msg m, size_t off, uint8_t v)
{
	m.b[off] = v;
	return msg_dec(&m);
}

static int dec_16(struct msg m, size_t off, unsigned v)
{
	wr16(m.b + off, v);
	return msg_dec(&m);
}

static int dec_32(struct msg m, size_t off, uint32_t v)
{
	wr32(m.b + off, v);
	return msg_dec(&m);
}

/* m's body grown (d > 0) or cut (d < 0) by |d| bytes, body_len kept consistent. */
static int dec_resized(struct msg m, int d)
{
	size_t blen = rd16(m.b + 12);
	if (d > 0) /* the new bytes are zero: only the length is wrong */
		memset(m.b + m.n, 0, (size_t)d);
	m.n = (size_t)((long)m.n + d);
	wr16(m.b + 12, (unsigned)((long)blen + d));
	return msg_dec(&m);
}

/* ---- the wire -------------------------------------------------------------- */

static void test_wire_layout(void **state)
{
	(void)state;
	assert_int_equal(strlen(name24), MGMT_NAME);
	struct mgmt_req q = req_route(MGMT_RT_WORKER, 96, "fw"), d;
	q.h.id = 0xa1b2c3d4;
	q.seq = 0x0102030405060708ull;
	struct msg m = msg_of(&q, key, 32);
	assert_int_equal(m.n, MGMT_HDR + MGMT_ROUTE_REC + MGMT_AUTH_LEN);
	static const uint8_t hdr[] = {
	    1, MGMT_OP_ROUTE_ADD, 0, 0,          0xa1, 0xb2, 0xc3, 0xd4, 0, 0, 0, 1,
	    0, MGMT_ROUTE_REC,    0, MGMT_F_AUTH};
	assert_memory_equal(m.b, hdr, sizeof(hdr));
	const uint8_t *b = m.b + MGMT_HDR;
	assert_memory_equal(b, q.u.route.prefix.b, 16);
	static const uint8_t mid[] = {96, MGMT_RT_WORKER, 0, 0}; /* len, kind, flags, pad */
	assert_memory_equal(b + 16, mid, sizeof(mid));
	assert_memory_equal(b + 20, "fw\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	assert_memory_equal(b + 44, q.u.route.nexthop.b, 16);
	static const uint8_t seq[] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(b + MGMT_ROUTE_REC, seq, 8);
	/* the MAC: HMAC-SHA256 under the key of the big-endian epoch, then the message to it */
	uint8_t e[8], mac[32];
	for (unsigned i = 0; i < 8; i++)
		e[i] = (uint8_t)(EPOCH >> (56 - 8 * i));
	struct net_hmac256 h;
	net_hmac256_init(&h, key, 32);
	net_hmac256_update(&h, e, 8);
	net_hmac256_update(&h, m.b, m.n - MGMT_MAC_LEN);
	net_hmac256_final(&h, mac);
	assert_memory_equal(m.b + m.n - MGMT_MAC_LEN, mac, 32);
	assert_int_equal(dec(m.b, m.n, &d), MGMT_OK);
	assert_int_equal(d.signed_len, m.n - MGMT_MAC_LEN);
	assert_memory_equal(d.mac, mac, 32);

	/* the other bodies: capture, pipe-set, ping, route-del, and the names */
	q = req_capture("web", 0x01020304, 0x0a0b0c0d, 0x1234);
	m = msg_of(&q, NULL, 0);
	assert_int_equal(m.n, MGMT_HDR + 36);
	assert_int_equal(m.b[15], 0);
	static const uint8_t cap[] = {1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 0x12, 0x34, 0, 0};
	assert_memory_equal(m.b + MGMT_HDR, "web\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	assert_memory_equal(m.b + MGMT_HDR + 24, cap, sizeof(cap));
	q = req_pipe(3, "st");
	m = msg_of(&q, NULL, 0);
	assert_int_equal(m.n, MGMT_HDR + 28 + 3 * 24);
	assert_memory_equal(m.b + MGMT_HDR + 24, "\3\0\0\0", 4);
	assert_memory_equal(m.b + MGMT_HDR + 28 + 48, "ct\0", 3);
	q = req_new(MGMT_OP_PING, 3);
	q.u.ping.addr = addr_of(1);
	q.u.ping.timeout_ms = 0x00000fa0;
	m = msg_of(&q, NULL, 0);
	assert_int_equal(m.n, MGMT_HDR + 20);
	assert_memory_equal(m.b + MGMT_HDR, q.u.ping.addr.b, 16);
	assert_memory_equal(m.b + MGMT_HDR + 16, "\0\0\x0f\xa0", 4);
	q = req_new(MGMT_OP_ROUTE_DEL, 4);
	q.u.route.len = 48;
	m = msg_of(&q, NULL, 0);
	assert_int_equal(m.n, MGMT_HDR + 20);
	assert_memory_equal(m.b + MGMT_HDR + 16, "\x30\0\0\0", 4);
	q = req_name(MGMT_OP_KILL, name24);
	m = msg_of(&q, NULL, 0);
	assert_int_equal(m.n, MGMT_HDR + 24);
	assert_memory_equal(m.b + MGMT_HDR, name24, 24); /* 24 characters: no NUL in the field */
}

/* The primitives are big-endian; put_name cuts at 24 characters. */
static void test_primitives(void **state)
{
	(void)state;
	uint8_t b[64];
	struct mgmt_w w;
	mgmt_w_init(&w, b, sizeof(b));
	mgmt_put8(&w, 0x01);
	mgmt_put16(&w, 0x0203);
	mgmt_put32(&w, 0x04050607);
	mgmt_put64(&w, 0x08090a0b0c0d0e0full);
	mgmt_put_name(&w, "abcdefghijklmnopqrstuvwxyz"); /* 26: cut to 24 */
	assert_false(w.err);
	assert_int_equal(w.len, 15 + 24);
	static const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	assert_memory_equal(b, want, sizeof(want));
	assert_memory_equal(b + 15, "abcdefghijklmnopqrstuvwx", 24);
	struct mgmt_r r;
	char name[MGMT_NAME + 1];
	mgmt_r_init(&r, b, w.len);
	assert_int_equal(mgmt_get8(&r), 0x01);
	assert_int_equal(mgmt_get16(&r), 0x0203);
	assert_int_equal(mgmt_get32(&r), 0x04050607);
	assert_true(mgmt_get64(&r) == 0x08090a0b0c0d0e0full);
	mgmt_get_name(&r, name);
	assert_string_equal(name, "abcdefghijklmnopqrstuvwx");
	assert_true(mgmt_r_done(&r));
}

/* ---- requests ------------------------------------------------------------------ */

static void test_roundtrip(void **state)
{
	(void)state;
	struct mgmt_req qs[SAMPLES_MAX], d;
	unsigned nq = sample_reqs(qs);
	for (unsigned i = 0; i < nq; i++) {
		for (unsigned k = 0; k <= ARRAY_LEN(key_lens); k++) {
			size_t kl = k ? key_lens[k - 1] : 0;
			const uint8_t *kp = k ? key : NULL;
			struct msg m = msg_of(&qs[i], kp, kl);
			assert_int_equal(m.n, MGMT_HDR + ref_body_len(&qs[i]) +
			                          (kp ? MGMT_AUTH_LEN : 0));
			assert_int_equal(dec(m.b, m.n, &d), MGMT_OK);
			req_same(&qs[i], &d);
			assert_int_equal(d.authed, kp != NULL);
			assert_int_equal(d.h.flags, kp ? MGMT_F_AUTH : 0);
			if (kp) {
				assert_true(d.seq == qs[i].seq);
				assert_int_equal(d.signed_len, m.n - MGMT_MAC_LEN);
				assert_memory_equal(d.mac, m.b + m.n - MGMT_MAC_LEN, MGMT_MAC_LEN);
			}
			/* canonical: what decodes re-encodes to the same bytes */
			uint8_t again[MSG_MAX];
			assert_int_equal(enc(&d, again, sizeof(again), kp, kl), m.n);
			assert_memory_equal(again, m.b, m.n);

			uint8_t *b = buf_exact(m.b, m.n);
			uint8_t wrong[sizeof(key)];
			memcpy(wrong, key, sizeof(key));
			if (!kp) {
				/* no trailer: nothing authenticates it, under any key */
				assert_false(mgmt_auth_ok(b, &d, key, 32, EPOCH));
				buf_free(b, m.n);
				continue;
			}
			assert_true(mgmt_auth_ok(b, &d, key, kl, EPOCH));
			assert_false(mgmt_auth_ok(b, &d, key, kl, EPOCH + 1));
			assert_false(mgmt_auth_ok(b, &d, key, kl, EPOCH ^ (1ull << 63)));
			assert_false(mgmt_auth_ok(b, &d, key, kl, 0));
			wrong[kl - 1] ^= 1;
			assert_false(mgmt_auth_ok(b, &d, wrong, kl, EPOCH));
			wrong[kl - 1] ^= 1;
			wrong[0] ^= 0x80;
			assert_false(mgmt_auth_ok(b, &d, wrong, kl, EPOCH));
			wrong[0] ^= 0x80;
			assert_false(mgmt_auth_ok(b, &d, key, kl + 1, EPOCH)); /* a longer key */
			if (kl > 1)
				assert_false(mgmt_auth_ok(b, &d, key, kl - 1, EPOCH));
			assert_false(mgmt_auth_ok(b, &d, NULL, 0, EPOCH));
			buf_free(b, m.n);
		}
	}
}

/* Every single flipped bit of an authenticated write is refused: it fails to
 * decode or it fails the MAC. */
static void test_auth_bitflips(void **state)
{
	(void)state;
	struct mgmt_req q = req_route(MGMT_RT_NEXTHOP, 48, ""), d;
	for (unsigned k = 0; k < ARRAY_LEN(key_lens); k++) {
		struct msg m = msg_of(&q, key, key_lens[k]);
		for (size_t bit = 0; bit < m.n * 8; bit++) {
			uint8_t *b = buf_exact(m.b, m.n);
			b[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
			int rc = mgmt_req_decode(b, m.n, &d);
			assert_true(rc != MGMT_OK || !mgmt_auth_ok(b, &d, key, key_lens[k], EPOCH));
			buf_free(b, m.n);
		}
	}
}

/* Every prefix of every valid message: shorter than a header is dropped, the
 * rest is an error and never OK. */
static void test_truncations(void **state)
{
	(void)state;
	struct mgmt_req qs[SAMPLES_MAX], d;
	unsigned nq = sample_reqs(qs);
	for (unsigned i = 0; i < nq; i++) {
		for (unsigned k = 0; k < 2; k++) {
			struct msg m = msg_of(&qs[i], k ? key : NULL, 32);
			for (size_t len = 0; len < m.n; len++) {
				int rc = dec(m.b, len, &d);
				if (len < MGMT_HDR)
					assert_int_equal(rc, MGMT_DROP);
				else
					assert_true(rc > MGMT_OK && rc < MGMT_E_COUNT);
			}
		}
	}
}

/* Header refusals, in the documented order, with the header echoed. */
static void test_header_errors(void **state)
{
	(void)state;
	struct mgmt_req q = req_name(MGMT_OP_KILL, "a"), d;
	struct msg m = msg_of(&q, NULL, 0);
	assert_int_equal(msg_dec(&m), MGMT_OK);

	/* too big: before anything else is looked at; exactly MGMT_PKT_MAX is not too big */
	struct msg big = m;
	big.n = MGMT_PKT_MAX + 1;
	assert_int_equal(msg_dec(&big), MGMT_E_TOOBIG);
	big.b[0] = 0;
	assert_int_equal(msg_dec(&big), MGMT_E_TOOBIG);
	assert_int_equal(dec(big.b, MSG_MAX, &d), MGMT_E_TOOBIG);
	big = m;
	big.n = MGMT_PKT_MAX;
	wr16(big.b + 12, MGMT_PKT_MAX - MGMT_HDR);
	assert_int_equal(msg_dec(&big), MGMT_E_MALFORMED); /* a KILL body of 1216 bytes */

	assert_int_equal(dec_byte(m, 0, 0), MGMT_E_VERSION);
	assert_int_equal(dec_byte(m, 0, 2), MGMT_E_VERSION);
	assert_int_equal(dec_byte(m, 0, 255), MGMT_E_VERSION);
	m.b[14] = 0x80; /* a version error comes before a flags error */
	assert_int_equal(dec_byte(m, 0, 2), MGMT_E_VERSION);
	m.b[14] = 0;

	assert_int_equal(dec_byte(m, 1, 0), MGMT_E_OP);
	assert_int_equal(dec_byte(m, 1, MGMT_OP_COUNT), MGMT_E_OP);
	assert_int_equal(dec_byte(m, 1, 255), MGMT_E_OP);
	assert_int_equal(dec(m.b, MGMT_HDR, &d), MGMT_E_MALFORMED); /* body_len says 24 */

	assert_int_equal(dec_16(m, 2, 1), MGMT_E_MALFORMED); /* status: responses only */
	assert_int_equal(dec_16(m, 2, 0x8000), MGMT_E_MALFORMED);
	assert_int_equal(dec_16(m, 8, 1), MGMT_E_MALFORMED);  /* part 1 of 1 */
	assert_int_equal(dec_16(m, 10, 0), MGMT_E_MALFORMED); /* nparts 0 */
	assert_int_equal(dec_16(m, 10, 2), MGMT_E_MALFORMED); /* part 0 of 2 */
	assert_int_equal(dec_16(m, 10, MGMT_PARTS_MAX + 1), MGMT_E_MALFORMED);
	struct msg p = m;
	wr16(p.b + 8, 1);
	assert_int_equal(dec_16(p, 10, 2), MGMT_E_MALFORMED); /* part 1 of 2 */
	assert_int_equal(dec_16(m, 14, 2), MGMT_E_MALFORMED); /* unknown flags */
	assert_int_equal(dec_16(m, 14, 4), MGMT_E_MALFORMED);
	assert_int_equal(dec_16(m, 14, 0x8000), MGMT_E_MALFORMED);
	assert_int_equal(dec_16(m, 14, MGMT_F_AUTH), MGMT_E_MALFORMED); /* no trailer */
	assert_int_equal(dec_16(m, 12, 23), MGMT_E_MALFORMED);          /* body_len */
	assert_int_equal(dec_16(m, 12, 25), MGMT_E_MALFORMED);
	assert_int_equal(dec_16(m, 12, 0xffff), MGMT_E_MALFORMED);
	p = m;
	p.n++; /* a trailing byte */
	assert_int_equal(msg_dec(&p), MGMT_E_MALFORMED);
	/* status and parts are judged before the op */
	p = m;
	p.b[1] = 0;
	assert_int_equal(dec_16(p, 2, 1), MGMT_E_MALFORMED);

	/* an authenticated message: its trailer counted, one byte more or less refused */
	struct msg a = msg_of(&q, key, 32);
	assert_int_equal(msg_dec(&a), MGMT_OK);
	assert_int_equal(dec_16(a, 14, 0), MGMT_E_MALFORMED);
	assert_int_equal(dec_16(a, 14, 3), MGMT_E_MALFORMED);
	a.n++;
	assert_int_equal(msg_dec(&a), MGMT_E_MALFORMED);
	a.n -= 2;
	assert_int_equal(msg_dec(&a), MGMT_E_MALFORMED);
}

/* Body refusals: MALFORMED for the shape, INVAL for values out of range. */
static void test_body_errors(void **state)
{
	(void)state;
	const size_t B = MGMT_HDR;
	struct mgmt_req qs[SAMPLES_MAX];
	unsigned nq = sample_reqs(qs);
	/* a body one byte longer or shorter, for every op */
	for (unsigned i = 0; i < nq; i++) {
		struct msg m = msg_of(&qs[i], NULL, 0);
		assert_int_equal(dec_resized(m, 1), MGMT_E_MALFORMED);
		if (m.n > MGMT_HDR)
			assert_int_equal(dec_resized(m, -1), MGMT_E_MALFORMED);
	}

	/* names: characters outside the set, bytes after the NUL, empty where refused */
	struct msg m = msg_of(&qs[6], NULL, 0); /* KILL "k" */
	assert_int_equal(dec_byte(m, B, ' '), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B, '/'), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B, 0x80), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B, 0xff), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 1, 'x'), MGMT_OK);
	assert_int_equal(dec_byte(m, B + 2, 'x'), MGMT_E_MALFORMED); /* "k\0x" */
	assert_int_equal(dec_byte(m, B + 23, 'x'), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B, 0), MGMT_E_MALFORMED); /* KILL "" */
	m = msg_of(&qs[8], NULL, 0);                           /* RESTART "r" */
	assert_int_equal(dec_byte(m, B, 0), MGMT_E_MALFORMED);
	m = msg_of(&qs[4], NULL, 0); /* COUNTERS "x": "" means all */
	assert_int_equal(dec_byte(m, B, 0), MGMT_OK);
	assert_int_equal(dec_byte(m, B, '"'), MGMT_E_MALFORMED);
	m = msg_of(&qs[7], NULL, 0); /* KILL name24: any character of it bad */
	for (size_t i = 0; i < MGMT_NAME; i++)
		assert_int_equal(dec_byte(m, B + i, '*'), MGMT_E_MALFORMED);

	/* route-add: kind, flags, pad, target, length */
	m = msg_of(&qs[11], NULL, 0); /* WORKER /128 "fw" */
	assert_int_equal(dec_byte(m, B + 16, 129), MGMT_E_INVAL);
	assert_int_equal(dec_byte(m, B + 16, 255), MGMT_E_INVAL);
	assert_int_equal(dec_byte(m, B + 16, 0), MGMT_OK);
	for (unsigned k = 1; k <= MGMT_RT_KIND_MAX; k++)
		assert_int_equal(dec_byte(m, B + 17, (uint8_t)k), MGMT_OK);
	assert_int_equal(dec_byte(m, B + 17, 0), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 17, 6), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 17, 255), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 18, 4), MGMT_E_MALFORMED); /* unknown route flag */
	assert_int_equal(dec_byte(m, B + 18, 0x80), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 19, 1), MGMT_E_MALFORMED); /* pad */
	assert_int_equal(dec_byte(m, B + 20, '+'), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 23, 'x'), MGMT_E_MALFORMED); /* "fw\0x" */
	struct msg k0 = m;
	k0.b[B + 17] = 0; /* malformed comes before invalid */
	assert_int_equal(dec_byte(k0, B + 16, 129), MGMT_E_MALFORMED);

	/* route-del: length, pad */
	m = msg_of(&qs[16], NULL, 0);
	assert_int_equal(dec_byte(m, B + 16, 129), MGMT_E_INVAL);
	assert_int_equal(dec_byte(m, B + 16, 128), MGMT_OK);
	for (size_t i = 17; i < 20; i++)
		assert_int_equal(dec_byte(m, B + i, 1), MGMT_E_MALFORMED);

	/* ping: the timeout's range is 1..5000 */
	m = msg_of(&qs[18], NULL, 0);
	assert_int_equal(dec_32(m, B + 16, 0), MGMT_E_INVAL);
	assert_int_equal(dec_32(m, B + 16, 5001), MGMT_E_INVAL);
	assert_int_equal(dec_32(m, B + 16, 0xffffffffu), MGMT_E_INVAL);
	assert_int_equal(dec_32(m, B + 16, 1), MGMT_OK);
	assert_int_equal(dec_32(m, B + 16, 5000), MGMT_OK);

	/* pipe-set: names, stage count, pad */
	m = msg_of(&qs[20], NULL, 0);                               /* 2 stages */
	assert_int_equal(dec_byte(m, B, 0), MGMT_E_MALFORMED);      /* no pipe name */
	assert_int_equal(dec_byte(m, B + 28, 0), MGMT_E_MALFORMED); /* an empty stage */
	assert_int_equal(dec_byte(m, B + 52, 0), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 52, ' '), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 24, 3), MGMT_E_MALFORMED); /* n says 3, 2 follow */
	assert_int_equal(dec_byte(m, B + 24, 1), MGMT_E_MALFORMED); /* n says 1, 2 follow */
	for (size_t i = 25; i < 28; i++)
		assert_int_equal(dec_byte(m, B + i, 1), MGMT_E_MALFORMED);
	struct mgmt_req one = req_pipe(1, "s");
	m = msg_of(&one, NULL, 0);
	assert_int_equal(msg_dec(&m), MGMT_E_INVAL); /* well formed, under 2 stages */
	one = req_pipe(0, "s");
	m = msg_of(&one, NULL, 0);
	assert_int_equal(msg_dec(&m), MGMT_E_INVAL);
	m = msg_of(&qs[21], NULL, 0); /* 8 stages, then a ninth */
	memcpy(m.b + m.n, "i", 2);
	memset(m.b + m.n + 2, 0, MGMT_NAME - 2);
	m.n += MGMT_NAME;
	wr16(m.b + 12, (unsigned)(m.n - MGMT_HDR));
	assert_int_equal(dec_byte(m, B + 24, MGMT_STAGES_MAX + 1), MGMT_E_MALFORMED);

	/* capture: count, timeout, snaplen, pad, process name */
	m = msg_of(&qs[22], NULL, 0);
	assert_int_equal(msg_dec(&m), MGMT_OK);
	assert_int_equal(dec_32(m, B + 24, 0), MGMT_E_INVAL);
	assert_int_equal(dec_32(m, B + 24, MGMT_CAPTURE_MAX + 1), MGMT_E_INVAL);
	assert_int_equal(dec_32(m, B + 24, MGMT_CAPTURE_MAX), MGMT_OK);
	assert_int_equal(dec_32(m, B + 28, 0), MGMT_E_INVAL);
	assert_int_equal(dec_32(m, B + 28, 60001), MGMT_E_INVAL);
	assert_int_equal(dec_32(m, B + 28, 60000), MGMT_OK);
	assert_int_equal(dec_16(m, B + 32, 63), MGMT_E_INVAL);
	assert_int_equal(dec_16(m, B + 32, 4097), MGMT_E_INVAL);
	assert_int_equal(dec_16(m, B + 32, 0), MGMT_E_INVAL);
	assert_int_equal(dec_16(m, B + 32, 4096), MGMT_OK);
	assert_int_equal(dec_byte(m, B + 34, 1), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 35, 1), MGMT_E_MALFORMED);
	assert_int_equal(dec_byte(m, B + 1, '.'), MGMT_E_MALFORMED); /* "" then "." */
	assert_int_equal(dec_byte(m, B, '!'), MGMT_E_MALFORMED);
}

/* Every capacity below the need refuses the request and writes nothing past it. */
static void test_encode_caps(void **state)
{
	(void)state;
	struct mgmt_req qs[SAMPLES_MAX];
	unsigned nq = sample_reqs(qs);
	for (unsigned i = 0; i < nq; i++) {
		for (unsigned k = 0; k < 2; k++) {
			struct msg m = msg_of(&qs[i], k ? key : NULL, 64);
			for (size_t cap = 0; cap < m.n; cap++) {
				uint8_t *b = buf_exact(NULL, cap);
				assert_int_equal(enc(&qs[i], b, cap, k ? key : NULL, 64), 0);
				buf_free(b, cap);
			}
			uint8_t *b = buf_exact(NULL, m.n);
			assert_int_equal(enc(&qs[i], b, m.n, k ? key : NULL, 64), m.n);
			assert_memory_equal(b, m.b, m.n);
			buf_free(b, m.n);
		}
	}
}

/* Random edits of valid messages: the result is a documented status, DROP
 * exactly when shorter than a header, and whatever decodes is canonical
 * (an authenticated one re-encodes to its bytes exactly when its MAC is right). */
static void test_mutations(void **state)
{
	(void)state;
	struct mgmt_req qs[SAMPLES_MAX], d;
	unsigned nq = sample_reqs(qs), seen[MGMT_E_COUNT] = {0};
	rng_state = 0x6d676d74u;
	for (unsigned it = 0; it < 40000; it++) {
		unsigned k = rndn(3);
		size_t kl = k ? key_lens[rndn(ARRAY_LEN(key_lens))] : 0;
		struct msg m = msg_of(&qs[rndn(nq)], k ? key : NULL, kl);
		for (unsigned e = 1 + rndn(3); e--;) {
			unsigned at = rndn((unsigned)m.n + 1); /* m.n: past the end, harmless */
			switch (rndn(6)) {
			case 0: m.b[rndn(MGMT_HDR)] = (uint8_t)rnd(); break;
			case 1: m.b[at] ^= (uint8_t)(1u << rndn(8)); break;
			case 2: m.b[at] = (uint8_t) "\0\1\x80\xff a-"[rndn(7)]; break;
			case 3: m.n = at; break;
			case 4:
				if (m.n < MSG_MAX)
					m.b[m.n++] = (uint8_t)rnd();
				break;
			default: wr16(m.b + 12, at); break;
			}
		}
		int rc = dec(m.b, m.n, &d);
		assert_int_equal(rc == MGMT_DROP, m.n < MGMT_HDR);
		if (rc == MGMT_DROP)
			continue;
		assert_true(rc == MGMT_OK || rc == MGMT_E_VERSION || rc == MGMT_E_OP ||
		            rc == MGMT_E_MALFORMED || rc == MGMT_E_TOOBIG || rc == MGMT_E_INVAL);
		seen[rc]++;
		if (rc != MGMT_OK)
			continue;
		uint8_t again[MSG_MAX];
		assert_int_equal(d.authed, !!(m.b[15] & MGMT_F_AUTH));
		if (!d.authed) {
			assert_int_equal(enc(&d, again, sizeof(again), NULL, 0), m.n);
			assert_memory_equal(again, m.b, m.n);
			continue;
		}
		assert_int_equal(d.signed_len + MGMT_MAC_LEN, m.n);
		assert_int_equal(enc(&d, again, sizeof(again), key, kl), m.n);
		uint8_t *b = buf_exact(m.b, m.n);
		assert_int_equal(!memcmp(again, m.b, m.n), mgmt_auth_ok(b, &d, key, kl, EPOCH));
		buf_free(b, m.n);
	}
	assert_true(seen[MGMT_OK] && seen[MGMT_E_VERSION] && seen[MGMT_E_OP] &&
	            seen[MGMT_E_MALFORMED] && seen[MGMT_E_INVAL]);
}

static void test_msg_encode(void **state)
{
	(void)state;
	uint8_t body[MGMT_PART_MAX + 1], buf[MSG_MAX];
	struct mgmt_hdr h = {MGMT_VERSION, MGMT_OP_PS, MGMT_E_BUSY, 0xcafe, 2, 3, 999, 0}, g;
	const uint8_t *bp;
	memset(body, 0x5a, sizeof(body));
	size_t n = mgmt_msg_encode(buf, sizeof(buf), &h, body, 10);
	assert_int_equal(n, MGMT_HDR + 10); /* body_len from n, not from h */
	assert_int_equal(mgmt_msg_decode(buf, n, &g, &bp), MGMT_OK);
	assert_int_equal(g.body_len, 10);
	assert_int_equal(g.status, MGMT_E_BUSY);
	assert_int_equal(g.part, 2);
	assert_int_equal(g.nparts, 3);
	assert_int_equal(g.id, 0xcafe);
	assert_ptr_equal(bp, buf + MGMT_HDR);
	assert_int_equal(mgmt_msg_encode(buf, sizeof(buf), &h, body, MGMT_PART_MAX), MGMT_PKT_MAX);
	assert_int_equal(mgmt_msg_encode(buf, sizeof(buf), &h, body, MGMT_PART_MAX + 1), 0);
	for (size_t cap = 0; cap < MGMT_HDR + 10; cap++) {
		uint8_t *b = buf_exact(NULL, cap);
		assert_int_equal(mgmt_msg_encode(b, cap, &h, body, 10), 0);
		buf_free(b, cap);
	}
	h.flags = MGMT_F_AUTH; /* not a flag a plain message may claim */
	assert_int_equal(mgmt_msg_encode(buf, sizeof(buf), &h, body, 10), 0);
	/* a message shorter than a header has no header to echo */
	assert_int_equal(mgmt_msg_decode(buf, MGMT_HDR - 1, &g, &bp), MGMT_DROP);
}

/* ---- responses: parts and reassembly ------------------------------------------- */

/* A response body split and put back in `order` (part numbers, repeats
 * allowed): each new part MORE, the last new one DONE, each repeat OTHER. */
static void reasm_in(const uint8_t *const *msgs, const size_t *lens, const unsigned *order,
                     unsigned count, const uint8_t *body, size_t n, const struct mgmt_hdr *h)
{
	struct mgmt_reasm r;
	uint8_t *buf = buf_exact(NULL, n);
	uint64_t have = 0;
	unsigned np = mgmt_nparts(n), got = 0, done = 0;
	mgmt_reasm_init(&r, h->id, h->op, buf, n);
	for (unsigned i = 0; i < count; i++) {
		unsigned p = order[i];
		int rc = mgmt_reasm_add(&r, msgs[p], lens[p]);
		if (have & (1ull << p)) {
			assert_int_equal(rc, MGMT_REASM_OTHER);
			continue;
		}
		have |= 1ull << p;
		if (++got < np) {
			assert_int_equal(rc, MGMT_REASM_MORE);
			continue;
		}
		assert_int_equal(rc, MGMT_REASM_DONE);
		done++;
		assert_int_equal(i, count - 1); /* the last feed */
	}
	assert_int_equal(done, 1);
	assert_int_equal(r.len, n);
	assert_int_equal(r.status, h->status);
	if (n)
		assert_memory_equal(buf, body, n);
	/* once complete, every part again is a duplicate */
	for (unsigned p = 0; p < np; p++)
		assert_int_equal(mgmt_reasm_add(&r, msgs[p], lens[p]), MGMT_REASM_OTHER);
	buf_free(buf, n);
}

static void test_parts(void **state)
{
	(void)state;
	static const size_t sizes[] = {0,
	                               1,
	                               MGMT_PART_MAX - 1,
	                               MGMT_PART_MAX,
	                               MGMT_PART_MAX + 1,
	                               3 * MGMT_PART_MAX,
	                               MGMT_BODY_MAX};
	static uint8_t body[MGMT_BODY_MAX + 1];
	uint8_t *msgs[MGMT_PARTS_MAX];
	size_t lens[MGMT_PARTS_MAX];
	unsigned order[4 * MGMT_PARTS_MAX];
	struct mgmt_hdr h = {MGMT_VERSION, MGMT_OP_COUNTERS, 0, 0x12345678, 0, 0, 0, 0}, g;
	rng_state = 0x70617274u;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)rnd();
	for (unsigned s = 0; s < ARRAY_LEN(sizes); s++) {
		size_t n = sizes[s];
		unsigned np = mgmt_nparts(n);
		assert_int_equal(np, n ? (n + MGMT_PART_MAX - 1) / MGMT_PART_MAX : 1);
		for (unsigned p = 0; p < np; p++) {
			uint8_t tmp[MGMT_PKT_MAX];
			const uint8_t *bp;
			size_t k = p + 1 < np ? MGMT_PART_MAX : n - (size_t)p * MGMT_PART_MAX;
			lens[p] = mgmt_part_encode(tmp, sizeof(tmp), &h, body, n, p);
			assert_int_equal(lens[p], MGMT_HDR + k);
			msgs[p] = buf_exact(tmp, lens[p]);
			assert_int_equal(mgmt_msg_decode(msgs[p], lens[p], &g, &bp), MGMT_OK);
			assert_int_equal(g.part, p);
			assert_int_equal(g.nparts, np);
			assert_int_equal(g.body_len, k);
			assert_int_equal(g.flags, 0);
			assert_int_equal(g.id, h.id);
			assert_int_equal(g.op, h.op);
			assert_memory_equal(bp, body + (size_t)p * MGMT_PART_MAX, k);
			/* an exact capacity works, one byte less does not */
			uint8_t *b = buf_exact(NULL, lens[p] - 1);
			assert_int_equal(mgmt_part_encode(b, lens[p] - 1, &h, body, n, p), 0);
			buf_free(b, lens[p] - 1);
		}
		uint8_t tmp[MGMT_PKT_MAX];
		assert_int_equal(mgmt_part_encode(tmp, sizeof(tmp), &h, body, n, np), 0);
		assert_int_equal(mgmt_part_encode(tmp, sizeof(tmp), &h, body, n, 1000), 0);

		for (unsigned p = 0; p < np; p++)
			order[p] = p;
		reasm_in((const uint8_t *const *)msgs, lens, order, np, body, n, &h);
		for (unsigned p = 0; p < np; p++)
			order[p] = np - 1 - p;
		reasm_in((const uint8_t *const *)msgs, lens, order, np, body, n, &h);
		for (unsigned run = 0; run < 20; run++) {
			for (unsigned p = np; p-- > 1;) { /* Fisher-Yates */
				unsigned j = rndn(p + 1), t = order[p];
				order[p] = order[j];
				order[j] = t;
			}
			/* repeats of parts already fed, interleaved; none after the last new one */
			unsigned perm[MGMT_PARTS_MAX], c = 0;
			memcpy(perm, order, np * sizeof(perm[0]));
			for (unsigned p = 0; p < np; p++) {
				order[c++] = perm[p];
				if (p + 1 < np)
					for (unsigned r = rndn(3); r--;)
						order[c++] = perm[rndn(p + 1)];
			}
			reasm_in((const uint8_t *const *)msgs, lens, order, c, body, n, &h);
			for (unsigned p = 0; p < np; p++)
				order[p] = perm[p];
		}
		for (unsigned p = 0; p < np; p++)
			buf_free(msgs[p], lens[p]);
	}
	uint8_t tmp[MGMT_PKT_MAX];
	assert_int_equal(mgmt_nparts(MGMT_BODY_MAX + 1), 0);
	assert_int_equal(mgmt_part_encode(tmp, sizeof(tmp), &h, body, MGMT_BODY_MAX + 1, 0), 0);
	assert_int_equal(mgmt_nparts(MGMT_BODY_MAX), MGMT_PARTS_MAX);
}

/* A part of a response made by hand: header fields as given, k body bytes. */
static size_t part_raw(uint8_t *buf, uint32_t id, uint8_t op, uint16_t status, uint16_t part,
                       uint16_t nparts, size_t k)
{
	struct mgmt_hdr h = {MGMT_VERSION, op, status, id, part, nparts, 0, 0};
	static uint8_t body[MGMT_PART_MAX];
	memset(body, 0x3c, sizeof(body));
	size_t n = mgmt_msg_encode(buf, MSG_MAX, &h, body, k);
	assert_int_equal(n, MGMT_HDR + k);
	return n;
}

static int reasm_raw(struct mgmt_reasm *r, const uint8_t *msg, size_t len)
{
	uint8_t *b = buf_exact(msg, len);
	int rc = mgmt_reasm_add(r, b, len);
	buf_free(b, len);
	return rc;
}

static void test_reasm_errors(void **state)
{
	(void)state;
	const uint32_t id = 0xabcdef01;
	const uint8_t op = MGMT_OP_PS;
	const size_t F = MGMT_PART_MAX;
	uint8_t m[MSG_MAX];
	size_t n;
	struct mgmt_reasm r;
	uint8_t *buf = buf_exact(NULL, 3 * F);

	/* another id or op: ignored, and the reassembly goes on */
	mgmt_reasm_init(&r, id, op, buf, 3 * F);
	n = part_raw(m, id + 1, op, 0, 0, 3, F);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_OTHER);
	n = part_raw(m, id, op + 1, 0, 0, 3, F);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_OTHER);
	n = part_raw(m, id, op, 0, 0, 3, F);
	assert_int_equal(reasm_raw(&r, m, MGMT_HDR - 1), MGMT_REASM_OTHER); /* no header */
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_MORE);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_OTHER); /* a duplicate */
	/* parts disagreeing with the ones before: nparts, status */
	n = part_raw(m, id, op, 0, 1, 4, F);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_BAD);
	n = part_raw(m, id, op, 0, 1, 2, F);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_BAD);
	n = part_raw(m, id, op, MGMT_E_BUSY, 2, 3, 7);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_BAD);
	/* a non-last part short of MGMT_PART_MAX */
	n = part_raw(m, id, op, 0, 1, 3, F - 1);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_BAD);
	/* a header that does not decode: bad version, auth flag */
	n = part_raw(m, id, op, 0, 1, 3, F);
	m[0] = 2;
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_BAD);
	m[0] = MGMT_VERSION;
	m[15] = MGMT_F_AUTH;
	memset(m + n, 0, MGMT_AUTH_LEN);
	assert_int_equal(reasm_raw(&r, m, n + MGMT_AUTH_LEN), MGMT_REASM_BAD);
	m[15] = 0;
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_MORE); /* none of that hurt */
	n = part_raw(m, id, op, 0, 2, 3, 5);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_DONE);
	assert_int_equal(r.len, 2 * F + 5);
	assert_int_equal(r.status, 0);

	/* a short non-last part, first to arrive */
	mgmt_reasm_init(&r, id, op, buf, 3 * F);
	n = part_raw(m, id, op, 0, 0, 2, 100);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_BAD);
	/* an error response has one part */
	n = part_raw(m, id, op, MGMT_E_NOENT, 0, 2, F);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_BAD);

	/* a buffer too small: for the first part, for the last */
	mgmt_reasm_init(&r, id, op, buf, F - 1);
	n = part_raw(m, id, op, 0, 0, 2, F);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_TOOBIG);
	mgmt_reasm_init(&r, id, op, buf, 3 * F - 1);
	n = part_raw(m, id, op, 0, 2, 3, F);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_TOOBIG);
	n = part_raw(m, id, op, 0, 2, 3, F - 1); /* exactly fits */
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_MORE);
	mgmt_reasm_init(&r, id, op, buf, 0);
	n = part_raw(m, id, op, 0, 0, 1, 1);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_TOOBIG);
	n = part_raw(m, id, op, 0, 0, 1, 0);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_DONE);
	assert_int_equal(r.len, 0);

	/* an error response: one part, its text, its status */
	static const char text[] = "no process 'x' in the manifest";
	struct mgmt_hdr h = {MGMT_VERSION, op, MGMT_E_NOENT, id, 0, 0, 0, 0};
	assert_int_equal(mgmt_nparts(sizeof(text) - 1), 1);
	n = mgmt_part_encode(m, sizeof(m), &h, (const uint8_t *)text, sizeof(text) - 1, 0);
	assert_int_equal(n, MGMT_HDR + sizeof(text) - 1);
	mgmt_reasm_init(&r, id, op, buf, MGMT_DETAIL_MAX);
	assert_int_equal(reasm_raw(&r, m, n), MGMT_REASM_DONE);
	assert_int_equal(r.status, MGMT_E_NOENT);
	assert_int_equal(r.len, sizeof(text) - 1);
	assert_memory_equal(buf, text, sizeof(text) - 1);
	buf_free(buf, 3 * F);
}

/* ---- response bodies ------------------------------------------------------------ */

typedef void put_fn(struct mgmt_w *w, const void *arg);
typedef int get_fn(struct mgmt_r *r, void *out);

/* put's output at every capacity below its need refused (err, len <= cap,
 * and nothing written past cap: exact blocks), at the need whole. The need. */
static size_t check_caps(put_fn *put, const void *arg, uint8_t *out, size_t out_cap)
{
	struct mgmt_w w;
	mgmt_w_init(&w, out, out_cap);
	put(&w, arg);
	assert_false(w.err);
	size_t need = w.len;
	for (size_t cap = 0; cap < need; cap++) {
		uint8_t *b = buf_exact(NULL, cap);
		mgmt_w_init(&w, b, cap);
		put(&w, arg);
		assert_true(w.err);
		assert_true(w.len <= cap);
		buf_free(b, cap);
	}
	uint8_t *b = buf_exact(NULL, need);
	mgmt_w_init(&w, b, need);
	put(&w, arg);
	assert_false(w.err);
	assert_int_equal(w.len, need);
	assert_memory_equal(b, out, need);
	buf_free(b, need);
	return need;
}

/* rec[0..n) read whole: 0 and done; every prefix: -1 with err. */
static void check_reads(get_fn *get, const uint8_t *rec, size_t n, void *out)
{
	struct mgmt_r r;
	for (size_t len = 0; len < n; len++) {
		uint8_t *b = buf_exact(rec, len);
		mgmt_r_init(&r, b, len);
		assert_int_equal(get(&r, out), -1);
		assert_true(r.err);
		buf_free(b, len);
	}
	uint8_t *b = buf_exact(rec, n);
	mgmt_r_init(&r, b, n);
	assert_int_equal(get(&r, out), 0);
	assert_true(mgmt_r_done(&r));
	buf_free(b, n);
}

/* get on rec[0..n) with byte off set to v: the result. */
static int get_with(get_fn *get, const uint8_t *rec, size_t n, size_t off, uint8_t v, void *out)
{
	struct mgmt_r r;
	uint8_t *b = buf_exact(rec, n);
	b[off] = v;
	mgmt_r_init(&r, b, n);
	int rc = get(&r, out);
	assert_int_equal(rc == -1, r.err != 0);
	buf_free(b, n);
	return rc;
}

static void info_put(struct mgmt_w *w, const void *a) { mgmt_info_put(w, a); }
static int info_get(struct mgmt_r *r, void *o) { return mgmt_info_get(r, o); }

static void test_info(void **state)
{
	(void)state;
	struct mgmt_info i = {1, 0x1234, 0x0102030405060708ull, UINT64_MAX, 42, addr_of(3)}, o;
	uint8_t rec[256];
	assert_int_equal(check_caps(info_put, &i, rec, sizeof(rec)), MGMT_INFO_LEN);
	check_reads(info_get, rec, MGMT_INFO_LEN, &o);
	assert_int_equal(o.writes, 1);
	assert_int_equal(o.nprocs, 0x1234);
	assert_true(o.epoch == i.epoch && o.last_seq == i.last_seq && o.uptime_us == 42);
	assert_memory_equal(o.prefix.b, i.prefix.b, 16);
	assert_int_equal(get_with(info_get, rec, MGMT_INFO_LEN, 0, 0, &o), 0);
	assert_int_equal(o.writes, 0);
	assert_int_equal(get_with(info_get, rec, MGMT_INFO_LEN, 0, 2, &o), -1);
	for (size_t off = 1; off < 8; off++) /* reserved bytes */
		if (off != 2 && off != 3)
			assert_int_equal(get_with(info_get, rec, MGMT_INFO_LEN, off, 1, &o), -1);
}

static void proc_put(struct mgmt_w *w, const void *a) { mgmt_proc_put(w, a); }
static int proc_get(struct mgmt_r *r, void *o) { return mgmt_proc_get(r, o); }

static struct mgmt_proc proc_sample(unsigned naddr)
{
	struct mgmt_proc p;
	memset(&p, 0, sizeof(p));
	name_set(p.name, naddr ? name24 : "i");
	p.pid = -1;
	p.index = 0xfedc;
	p.state = MGMT_PS_HELD;
	p.flags = MGMT_PF_SUPERVISOR | MGMT_PF_FORWARD;
	p.cores = 0x8000000000000001ull;
	p.restarts = 0xdeadbeef;
	p.last_cause = MGMT_CAUSE_FAULT;
	p.last_fault = 0xee;
	p.last_status = -123456;
	p.last_pc = 0xffffff8000001234ull;
	p.last_addr = 0x10;
	p.pages = 77;
	p.cycles = UINT64_MAX - 1;
	name_set(p.pipe, naddr == 1 ? "pipe0" : "");
	p.pipe_next = -1;
	p.naddr = (uint16_t)naddr;
	for (unsigned i = 0; i < MGMT_ADDRS_MAX; i++)
		p.addr[i] = addr_of(i + 10);
	return p;
}

static void proc_same(const struct mgmt_proc *a, const struct mgmt_proc *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->index, b->index);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->flags, b->flags);
	assert_true(a->cores == b->cores);
	assert_int_equal(a->restarts, b->restarts);
	assert_int_equal(a->last_cause, b->last_cause);
	assert_int_equal(a->last_fault, b->last_fault);
	assert_int_equal(a->last_status, b->last_status);
	assert_true(a->last_pc == b->last_pc && a->last_addr == b->last_addr);
	assert_true(a->pages == b->pages && a->cycles == b->cycles);
	assert_string_equal(a->pipe, b->pipe);
	assert_int_equal(a->pipe_next, b->pipe_next);
	assert_int_equal(a->naddr, b->naddr);
	for (unsigned i = 0; i < a->naddr; i++)
		assert_memory_equal(a->addr[i].b, b->addr[i].b, 16);
}

static void test_proc(void **state)
{
	(void)state;
	static const unsigned naddrs[] = {0, 1, MGMT_ADDRS_MAX};
	static uint8_t rec[MGMT_PROC_FIXED + 16 * (MGMT_ADDRS_MAX + 1)];
	struct mgmt_proc o;
	for (unsigned k = 0; k < ARRAY_LEN(naddrs); k++) {
		struct mgmt_proc p = proc_sample(naddrs[k]);
		size_t n = check_caps(proc_put, &p, rec, sizeof(rec));
		assert_int_equal(n, MGMT_PROC_FIXED + 16 * naddrs[k]);
		check_reads(proc_get, rec, n, &o);
		proc_same(&p, &o);
		/* refusals: no name, state, cause, flags out of range, reserved bytes */
		assert_int_equal(get_with(proc_get, rec, n, 0, 0, &o), -1);
		assert_int_equal(get_with(proc_get, rec, n, 0, ' ', &o), -1);
		assert_int_equal(get_with(proc_get, rec, n, 30, MGMT_PS_HELD + 1, &o), -1);
		assert_int_equal(get_with(proc_get, rec, n, 31, 0x10, &o), -1);
		assert_int_equal(get_with(proc_get, rec, n, 44, MGMT_CAUSE_KILLED + 1, &o), -1);
		for (size_t off = 46; off < 48; off++)
			assert_int_equal(get_with(proc_get, rec, n, off, 1, &o), -1);
		for (size_t off = 52; off < 56; off++)
			assert_int_equal(get_with(proc_get, rec, n, off, 1, &o), -1);
		assert_int_equal(get_with(proc_get, rec, n, 88, '/', &o), -1); /* the pipe name */
	}
	/* naddr MGMT_ADDRS_MAX + 1 is refused, even with the addresses there */
	struct mgmt_proc p = proc_sample(MGMT_ADDRS_MAX);
	struct mgmt_w w;
	struct mgmt_r r;
	mgmt_w_init(&w, rec, sizeof(rec));
	mgmt_proc_put(&w, &p);
	memset(rec + w.len, 0x11, 16);
	wr16(rec + MGMT_PROC_FIXED - 2, MGMT_ADDRS_MAX + 1);
	mgmt_r_init(&r, rec, w.len + 16);
	assert_int_equal(mgmt_proc_get(&r, &o), -1);
	assert_true(r.err);
	/* and a writer asked for it produces nothing a reader takes */
	p.naddr = MGMT_ADDRS_MAX + 1;
	mgmt_w_init(&w, rec, sizeof(rec));
	mgmt_proc_put(&w, &p);
	mgmt_r_init(&r, rec, w.len);
	assert_true(w.err || mgmt_proc_get(&r, &o) == -1);
}

static void route_put(struct mgmt_w *w, const void *a) { mgmt_route_put(w, a); }
static int route_get(struct mgmt_r *r, void *o) { return mgmt_route_get(r, o); }

static void test_route(void **state)
{
	(void)state;
	uint8_t rec[128];
	struct mgmt_route o;
	for (uint8_t kind = 1; kind <= MGMT_RT_KIND_MAX; kind++) {
		struct mgmt_req q = req_route(kind, (uint8_t)(kind * 20), kind == 2 ? name24 : "");
		struct mgmt_route rt = q.u.route;
		rt.flags = kind & 3; /* BUILTIN, OVERRIDE, both: all a table record may say */
		assert_int_equal(check_caps(route_put, &rt, rec, sizeof(rec)), MGMT_ROUTE_REC);
		check_reads(route_get, rec, MGMT_ROUTE_REC, &o);
		assert_memory_equal(o.prefix.b, rt.prefix.b, 16);
		assert_int_equal(o.len, rt.len);
		assert_int_equal(o.kind, kind);
		assert_int_equal(o.flags, rt.flags);
		assert_string_equal(o.target, rt.target);
		assert_memory_equal(o.nexthop.b, rt.nexthop.b, 16);
		assert_int_equal(get_with(route_get, rec, MGMT_ROUTE_REC, 17, 0, &o), -1);
		assert_int_equal(get_with(route_get, rec, MGMT_ROUTE_REC, 17, 6, &o), -1);
		assert_int_equal(get_with(route_get, rec, MGMT_ROUTE_REC, 18, 4, &o), -1);
		assert_int_equal(get_with(route_get, rec, MGMT_ROUTE_REC, 19, 1, &o), -1);
		assert_int_equal(get_with(route_get, rec, MGMT_ROUTE_REC, 20, '%', &o), -1);
	}
}

/* A counters body: group "node", a counter, a group of a 24-character
 * process with the longest counter name. */
static void ctrs_put(struct mgmt_w *w, const void *a)
{
	(void)a;
	char longest[MGMT_CTR_NAME + 1];
	memset(longest, '~', MGMT_CTR_NAME);
	longest[MGMT_CTR_NAME] = 0;
	mgmt_group_put(w, "node", 1, 0);
	mgmt_ctr_put(w, "rx", 5);
	mgmt_group_put(w, name24, 2, MGMT_CG_SILENT);
	mgmt_ctr_put(w, longest, UINT64_MAX);
	mgmt_ctr_put(w, "a!#$%&'()*+,-./:;<=>?@[]^_`{|}", 0);
}

/* The body above read back, checked against what was put. */
static int ctrs_get(struct mgmt_r *r, void *o)
{
	(void)o;
	char name[MGMT_CTR_NAME + 1];
	uint16_t n, flags;
	uint64_t v;
	int rc = mgmt_group_get(r, name, &n, &flags);
	if (!rc) {
		assert_string_equal(name, "node");
		assert_int_equal(n, 1);
		assert_int_equal(flags, 0);
	}
	rc |= mgmt_ctr_get(r, name, &v);
	if (!rc)
		assert_true(!strcmp(name, "rx") && v == 5);
	rc |= mgmt_group_get(r, name, &n, &flags);
	if (!rc)
		assert_true(!strcmp(name, name24) && n == 2 && flags == MGMT_CG_SILENT);
	rc |= mgmt_ctr_get(r, name, &v);
	if (!rc)
		assert_true(strlen(name) == MGMT_CTR_NAME && v == UINT64_MAX);
	rc |= mgmt_ctr_get(r, name, &v);
	if (!rc)
		assert_true(!strcmp(name, "a!#$%&'()*+,-./:;<=>?@[]^_`{|}") && v == 0);
	return rc ? -1 : 0;
}

static void test_counters(void **state)
{
	(void)state;
	uint8_t rec[512];
	size_t n = check_caps(ctrs_put, NULL, rec, sizeof(rec));
	assert_int_equal(n, (1 + 4 + 4) + (1 + 2 + 8) + (1 + 24 + 4) + (1 + 63 + 8) + (1 + 30 + 8));
	static const uint8_t head[] = {4,   'n', 'o', 'd', 'e', 0, 1, 0, 0, 2,
	                               'r', 'x', 0,   0,   0,   0, 0, 0, 0, 5};
	assert_memory_equal(rec, head, sizeof(head));
	check_reads(ctrs_get, rec, n, NULL);

	/* refused by the writer: a bad name sets err */
	static const char *const bad[] = {"", "a b", "a\"", "a\\", "\x7f", "\x80", "tab\t"};
	struct mgmt_w w;
	for (unsigned i = 0; i < ARRAY_LEN(bad); i++) {
		mgmt_w_init(&w, rec, sizeof(rec));
		mgmt_ctr_put(&w, bad[i], 1);
		assert_true(w.err);
		mgmt_w_init(&w, rec, sizeof(rec));
		mgmt_group_put(&w, bad[i], 1, 0);
		assert_true(w.err);
	}
	/* refused by the reader: length 0 or over 63, a bad character, unknown flags */
	char name[MGMT_CTR_NAME + 1];
	uint16_t cn, flags;
	uint64_t v;
	struct mgmt_r r;
	static const uint8_t g0[] = {0, 0, 0, 0, 0};
	mgmt_r_init(&r, g0, sizeof(g0));
	assert_int_equal(mgmt_group_get(&r, name, &cn, &flags), -1);
	uint8_t g64[1 + 64 + 4];
	memset(g64, 'a', sizeof(g64));
	g64[0] = 64;
	mgmt_r_init(&r, g64, sizeof(g64));
	assert_int_equal(mgmt_group_get(&r, name, &cn, &flags), -1);
	static const uint8_t gflags[] = {1, 'g', 0, 0, 0, 2};
	mgmt_r_init(&r, gflags, sizeof(gflags));
	assert_int_equal(mgmt_group_get(&r, name, &cn, &flags), -1);
	static const uint8_t badc[] = {' ', '"', '\\', 0x7f, 0x80, 0x1f};
	for (unsigned i = 0; i < ARRAY_LEN(badc); i++) {
		uint8_t c[] = {2, 'c', badc[i], 0, 0, 0, 0, 0, 0, 0, 1};
		mgmt_r_init(&r, c, sizeof(c));
		assert_int_equal(mgmt_ctr_get(&r, name, &v), -1);
		assert_true(r.err);
	}
}

/* A NUL is not a printable character: a wire name holding one is refused,
 * not read as the shorter name before it (two wire names would then read
 * the same, and the record would not re-encode to its bytes). */
static void test_ctr_name_nul(void **state)
{
	(void)state;
	char name[MGMT_CTR_NAME + 1];
	uint16_t n, flags;
	uint64_t v;
	struct mgmt_r r;
	static const uint8_t g[] = {3, 'a', 0, 'b', 0, 0, 0, 0};
	mgmt_r_init(&r, g, sizeof(g));
	assert_int_equal(mgmt_group_get(&r, name, &n, &flags), -1);
	static const uint8_t c[] = {3, 'r', 'x', 0, 0, 0, 0, 0, 0, 0, 0, 9};
	mgmt_r_init(&r, c, sizeof(c));
	assert_int_equal(mgmt_ctr_get(&r, name, &v), -1);
}

static void test_ctr_name_ok(void **state)
{
	(void)state;
	char s[MGMT_CTR_NAME + 2];
	for (unsigned c = 0x21; c <= 0x7e; c++) {
		s[0] = (char)c;
		s[1] = 0;
		assert_int_equal(mgmt_ctr_name_ok(s), c != '"' && c != '\\');
	}
	for (unsigned c = 1; c < 0x21; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 0;
		assert_false(mgmt_ctr_name_ok(s));
	}
	for (size_t len = 1; len <= MGMT_CTR_NAME + 1; len++) {
		memset(s, 'z', len);
		s[len] = 0;
		assert_int_equal(mgmt_ctr_name_ok(s), len <= MGMT_CTR_NAME);
	}
	assert_false(mgmt_ctr_name_ok(""));
	assert_false(mgmt_ctr_name_ok("a b"));
	assert_false(mgmt_ctr_name_ok("\""));
	assert_false(mgmt_ctr_name_ok("\\"));
	assert_false(mgmt_ctr_name_ok("\x7f"));
	assert_false(mgmt_ctr_name_ok("\x80"));
	assert_false(mgmt_ctr_name_ok("ok\xff"));
	assert_true(mgmt_ctr_name_ok("rx.drops"));
}

/* ---- the ping answer and the capture stream ---------------------------------------- */

static void ping_put(struct mgmt_w *w, const void *a) { mgmt_ping_resp_put(w, a); }
static int ping_get(struct mgmt_r *r, void *o) { return mgmt_ping_resp_get(r, o); }

static void test_ping_resp(void **state)
{
	(void)state;
	static const uint32_t rtts[] = {0x01020304, 0, 1, UINT32_MAX};
	uint8_t rec[64];
	struct mgmt_ping_resp o;
	struct mgmt_r r;
	for (size_t k = 0; k < ARRAY_LEN(rtts); k++) {
		struct mgmt_ping_resp p = {rtts[k], addr_of((unsigned)k + 40)};
		assert_int_equal(check_caps(ping_put, &p, rec, sizeof(rec)), MGMT_PING_RESP_LEN);
		assert_int_equal(rd32(rec), rtts[k]); /* u32 rtt_us, then the address */
		assert_memory_equal(rec + 4, p.from.b, 16);
		memset(&o, 0x5c, sizeof(o));
		check_reads(ping_get, rec, MGMT_PING_RESP_LEN, &o); /* every truncation refused */
		assert_int_equal(o.rtt_us, rtts[k]);
		assert_memory_equal(o.from.b, p.from.b, 16);
	}
	/* a byte more is left for the caller to see (not done) */
	rec[MGMT_PING_RESP_LEN] = 0;
	uint8_t *b = buf_exact(rec, MGMT_PING_RESP_LEN + 1);
	mgmt_r_init(&r, b, MGMT_PING_RESP_LEN + 1);
	assert_int_equal(mgmt_ping_resp_get(&r, &o), 0);
	assert_false(mgmt_r_done(&r));
	assert_int_equal(r.at, MGMT_PING_RESP_LEN);
	buf_free(b, MGMT_PING_RESP_LEN + 1);
}

/* Packet bytes a fragment's data is taken from. */
static uint8_t cap_bytes[MGMT_CAP_DATA_MAX + 2];

static void cap_bytes_fill(void)
{
	for (size_t i = 0; i < sizeof(cap_bytes); i++)
		cap_bytes[i] = (uint8_t)(i * 13 + 5);
}

static struct mgmt_cap cap_frag(uint32_t seq, uint16_t off, uint16_t len, uint16_t caplen,
                                uint32_t orig_len)
{
	struct mgmt_cap c;
	memset(&c, 0, sizeof(c));
	c.kind = MGMT_CAP_FRAG;
	c.seq = seq;
	c.pkt = seq / 2 + 1;
	c.orig_len = orig_len;
	c.time_us = 0xfedcba9876543210ull - seq;
	c.off = off;
	c.caplen = caplen;
	c.len = len;
	c.data = cap_bytes;
	return c;
}

static struct mgmt_cap cap_end(uint32_t seq, uint32_t packets, uint32_t dropped, uint32_t lost,
                               uint8_t reason)
{
	struct mgmt_cap c;
	memset(&c, 0, sizeof(c));
	c.kind = MGMT_CAP_END;
	c.seq = seq;
	c.packets = packets;
	c.dropped = dropped;
	c.lost = lost;
	c.reason = reason;
	return c;
}

static void cap_put(struct mgmt_w *w, const void *a) { mgmt_cap_put(w, a); }

/* Decode an exact-size copy of body[0..n) as a stream item. On success a
 * fragment's data is the rest of the copy (moved back onto body), an end
 * has none. */
static int cap_dec(const uint8_t *body, size_t n, struct mgmt_cap *c)
{
	uint8_t *b = buf_exact(body, n);
	memset(c, 0x6b, sizeof(*c));
	int rc = mgmt_cap_get(b, n, c);
	assert_true(rc == 0 || rc == -1);
	if (rc == 0 && c->kind == MGMT_CAP_FRAG) {
		assert_ptr_equal(c->data, b + MGMT_CAP_FRAG_HEAD);
		assert_int_equal(c->len, n - MGMT_CAP_FRAG_HEAD);
		c->data = body + MGMT_CAP_FRAG_HEAD;
	} else if (rc == 0) {
		assert_int_equal(c->kind, MGMT_CAP_END);
		assert_int_equal(n, MGMT_CAP_END_LEN);
		assert_null(c->data);
		assert_int_equal(c->len, 0);
		assert_true(!c->pkt && !c->orig_len && !c->time_us && !c->off && !c->caplen);
	}
	buf_free(b, n);
	return rc;
}

/* c into out (room for the largest item): its length. */
static size_t cap_enc(const struct mgmt_cap *c, uint8_t *out)
{
	struct mgmt_w w;
	mgmt_w_init(&w, out, MGMT_PART_MAX + 8);
	mgmt_cap_put(&w, c);
	assert_false(w.err);
	return w.len;
}

static void cap_same(const struct mgmt_cap *a, const struct mgmt_cap *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->seq, b->seq);
	if (a->kind == MGMT_CAP_FRAG) {
		assert_int_equal(a->pkt, b->pkt);
		assert_int_equal(a->orig_len, b->orig_len);
		assert_true(a->time_us == b->time_us);
		assert_int_equal(a->off, b->off);
		assert_int_equal(a->caplen, b->caplen);
		assert_int_equal(a->len, b->len);
		assert_memory_equal(a->data, b->data, a->len);
	} else {
		assert_int_equal(a->packets, b->packets);
		assert_int_equal(a->dropped, b->dropped);
		assert_int_equal(a->lost, b->lost);
		assert_int_equal(a->reason, b->reason);
	}
}

/* The fragment c with its head (off, caplen, orig_len) as given, and len
 * data bytes (also when c could not say so): decoded. */
static int frag_with(uint16_t off, size_t len, uint16_t caplen, uint32_t orig_len)
{
	size_t n = MGMT_CAP_FRAG_HEAD + len;
	uint8_t *b = malloc(n + 1); /* + 1: the datum written for len 0 */
	assert_non_null(b);
	struct mgmt_cap c = cap_frag(7, off, 1, caplen, orig_len), o;
	struct mgmt_w w;
	mgmt_w_init(&w, b, n + 1);
	mgmt_cap_put(&w, &c);
	assert_false(w.err);
	assert_int_equal(w.len, MGMT_CAP_FRAG_HEAD + 1);
	for (size_t i = MGMT_CAP_FRAG_HEAD; i < n; i++)
		b[i] = (uint8_t)i;
	int rc = cap_dec(b, n, &o);
	if (rc == 0) {
		assert_int_equal(o.off, off);
		assert_int_equal(o.caplen, caplen);
		assert_int_equal(o.orig_len, orig_len);
		assert_int_equal(o.len, len);
		assert_true(o.off + o.len <= o.caplen && o.caplen <= o.orig_len);
	}
	free(b);
	return rc;
}

static void test_cap_frag(void **state)
{
	(void)state;
	cap_bytes_fill();
	static uint8_t rec[MGMT_PART_MAX + 8];
	struct mgmt_cap o;
	assert_int_equal(MGMT_CAP_DATA_MAX, MGMT_PKT_MAX - 16 - 28);

	/* the layout, byte by byte */
	struct mgmt_cap c = cap_frag(0x01020304, 0x0010, 16, 0x0020, 0x090a0b0c);
	c.pkt = 0x05060708;
	c.time_us = 0x1112131415161718ull;
	static const uint8_t head[28] = {1,    0,    0,    0,    1,    2,    3,    4,    5,    6,
	                                 7,    8,    9,    0x0a, 0x0b, 0x0c, 0x11, 0x12, 0x13, 0x14,
	                                 0x15, 0x16, 0x17, 0x18, 0,    0x10, 0,    0x20};
	size_t n = check_caps(cap_put, &c, rec, sizeof(rec));
	assert_int_equal(n, MGMT_CAP_FRAG_HEAD + 16);
	assert_memory_equal(rec, head, 28);
	assert_memory_equal(rec + 28, cap_bytes, 16);
	assert_int_equal(cap_dec(rec, n, &o), 0);
	cap_same(&c, &o);

	/* every prefix: the head refused (28 bytes: no data), shorter data taken */
	for (size_t t = 0; t <= MGMT_CAP_FRAG_HEAD; t++)
		assert_int_equal(cap_dec(rec, t, &o), -1);
	for (size_t t = MGMT_CAP_FRAG_HEAD + 1; t < n; t++) {
		assert_int_equal(cap_dec(rec, t, &o), 0);
		assert_int_equal(o.len, t - MGMT_CAP_FRAG_HEAD);
	}
	/* a byte past off + len = caplen */
	rec[n] = 0;
	assert_int_equal(cap_dec(rec, n + 1, &o), -1);

	/* the pad, every bit of every byte */
	for (size_t i = 1; i < 4; i++)
		for (int bit = 0; bit < 8; bit++) {
			rec[i] = (uint8_t)(1u << bit);
			assert_int_equal(cap_dec(rec, n, &o), -1);
			rec[i] = 0;
		}
	/* every kind but FRAG (END has its own length) */
	for (int k = 0; k < 256; k++) {
		rec[0] = (uint8_t)k;
		assert_int_equal(cap_dec(rec, n, &o), k == MGMT_CAP_FRAG ? 0 : -1);
	}
	rec[0] = MGMT_CAP_FRAG;

	/* data: 1..MGMT_CAP_DATA_MAX bytes */
	assert_int_equal(frag_with(0, 0, 100, 100), -1);
	assert_int_equal(frag_with(0, 1, 100, 100), 0);
	assert_int_equal(frag_with(0, MGMT_CAP_DATA_MAX, MGMT_CAP_SNAP_MAX, MGMT_CAP_SNAP_MAX), 0);
	assert_int_equal(frag_with(0, MGMT_CAP_DATA_MAX + 1, MGMT_CAP_SNAP_MAX, MGMT_CAP_SNAP_MAX),
	                 -1);
	assert_int_equal(frag_with(1000, MGMT_CAP_DATA_MAX, MGMT_CAP_SNAP_MAX, UINT32_MAX), 0);
	/* off + len <= caplen */
	assert_int_equal(frag_with(90, 10, 100, 100), 0);
	assert_int_equal(frag_with(91, 10, 100, 100), -1);
	assert_int_equal(frag_with(0, 101, 100, 100), -1);
	assert_int_equal(frag_with(MGMT_CAP_SNAP_MAX - 1, 1, MGMT_CAP_SNAP_MAX, MGMT_CAP_SNAP_MAX),
	                 0);
	assert_int_equal(frag_with(MGMT_CAP_SNAP_MAX, 1, MGMT_CAP_SNAP_MAX, MGMT_CAP_SNAP_MAX), -1);
	assert_int_equal(frag_with(0xffff, 1, MGMT_CAP_SNAP_MAX, MGMT_CAP_SNAP_MAX), -1);
	assert_int_equal(frag_with(0xffff, MGMT_CAP_DATA_MAX, 0xffff, UINT32_MAX), -1);
	/* caplen <= orig_len */
	assert_int_equal(frag_with(0, 10, 100, 101), 0);
	assert_int_equal(frag_with(0, 10, 100, 99), -1);
	assert_int_equal(frag_with(0, 10, 10, 0), -1);
	/* caplen <= MGMT_CAP_SNAP_MAX, whatever orig_len */
	assert_int_equal(frag_with(0, 10, MGMT_CAP_SNAP_MAX + 1, UINT32_MAX), -1);
	assert_int_equal(frag_with(0, 10, 0xffff, UINT32_MAX), -1);
	assert_int_equal(frag_with(0, 10, MGMT_CAP_SNAP_MAX, UINT32_MAX), 0);

	/* a fragment of the maximal size makes a message of MGMT_PKT_MAX bytes */
	c = cap_frag(3, 2000, MGMT_CAP_DATA_MAX, MGMT_CAP_SNAP_MAX, 9000);
	n = check_caps(cap_put, &c, rec, sizeof(rec));
	assert_int_equal(n, MGMT_PART_MAX);
	static uint8_t msg[MGMT_PKT_MAX];
	struct mgmt_hdr h = {MGMT_VERSION, MGMT_OP_CAPTURE, MGMT_OK, 0x1234, 0, 1, 0, 0}, hd;
	assert_int_equal(mgmt_msg_encode(msg, sizeof(msg), &h, rec, n), MGMT_PKT_MAX);
	const uint8_t *body;
	uint8_t *m = buf_exact(msg, MGMT_PKT_MAX);
	assert_int_equal(mgmt_msg_decode(m, MGMT_PKT_MAX, &hd, &body), MGMT_OK);
	assert_int_equal(hd.body_len, MGMT_PART_MAX);
	assert_int_equal(mgmt_cap_get(body, hd.body_len, &o), 0);
	assert_ptr_equal(o.data, m + MGMT_HDR + MGMT_CAP_FRAG_HEAD);
	assert_int_equal(o.len, MGMT_CAP_DATA_MAX);
	o.data = cap_bytes;
	cap_same(&c, &o);
	buf_free(m, MGMT_PKT_MAX);
}

/* Bodies so long their data length does not fit 16 bits are still too long. */
static void test_cap_frag_huge(void **state)
{
	(void)state;
	static const size_t extra[] = {0, 1, 16, MGMT_CAP_DATA_MAX};
	for (size_t k = 0; k < ARRAY_LEN(extra); k++) {
		size_t len = 65536 + extra[k];
		assert_int_equal(frag_with(0, len, MGMT_CAP_SNAP_MAX, UINT32_MAX), -1);
		assert_int_equal(frag_with(0, len, 0xffff, UINT32_MAX), -1);
	}
	assert_int_equal(frag_with(0, 65535, 0xffff, UINT32_MAX), -1);
}

static void test_cap_end(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct mgmt_cap o;
	struct mgmt_cap c = cap_end(0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10, MGMT_CAP_TIME);
	static const uint8_t want[24] = {2, 0,    0,    0,    1,    2,    3,    4,    5, 6, 7, 8,
	                                 9, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 1, 0, 0, 0};
	assert_int_equal(check_caps(cap_put, &c, rec, sizeof(rec)), MGMT_CAP_END_LEN);
	assert_memory_equal(rec, want, 24);
	assert_int_equal(cap_dec(rec, 24, &o), 0);
	cap_same(&c, &o);
	/* exactly 24 bytes: every prefix and a byte or two more refused */
	rec[24] = rec[25] = 0;
	for (size_t t = 0; t <= 26; t++)
		assert_int_equal(cap_dec(rec, t, &o), t == 24 ? 0 : -1);
	/* the pads, every bit */
	static const size_t pads[] = {1, 2, 3, 21, 22, 23};
	for (size_t i = 0; i < ARRAY_LEN(pads); i++)
		for (int bit = 0; bit < 8; bit++) {
			rec[pads[i]] = (uint8_t)(1u << bit);
			assert_int_equal(cap_dec(rec, 24, &o), -1);
			rec[pads[i]] = 0;
		}
	/* reason: COUNT and TIME */
	for (int v = 0; v < 256; v++) {
		rec[20] = (uint8_t)v;
		assert_int_equal(cap_dec(rec, 24, &o), v <= MGMT_CAP_TIME ? 0 : -1);
		if (v <= MGMT_CAP_TIME)
			assert_int_equal(o.reason, v);
	}
	rec[20] = MGMT_CAP_COUNT;
	/* every kind but END (a FRAG head of 24 bytes is short) */
	for (int k = 0; k < 256; k++) {
		rec[0] = (uint8_t)k;
		assert_int_equal(cap_dec(rec, 24, &o), k == MGMT_CAP_END ? 0 : -1);
	}
	/* extremes */
	c = cap_end(UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, MGMT_CAP_COUNT);
	assert_int_equal(check_caps(cap_put, &c, rec, sizeof(rec)), MGMT_CAP_END_LEN);
	assert_int_equal(cap_dec(rec, 24, &o), 0);
	cap_same(&c, &o);
}

/* Unknown kinds, at every length; and a writer asked for what a reader
 * refuses produces nothing a reader takes. */
static void test_cap_refused(void **state)
{
	(void)state;
	cap_bytes_fill();
	static uint8_t rec[MGMT_PART_MAX + 8];
	struct mgmt_cap o;
	memset(rec, 0, sizeof(rec));
	for (int k = 0; k < 256; k++) {
		if (k == MGMT_CAP_FRAG || k == MGMT_CAP_END)
			continue;
		rec[0] = (uint8_t)k;
		for (size_t n = 0; n <= 64; n++)
			assert_int_equal(cap_dec(rec, n, &o), -1);
		assert_int_equal(cap_dec(rec, MGMT_PART_MAX, &o), -1);
	}
	struct mgmt_cap bad[] = {
	    cap_frag(1, 0, 0, 10, 10),                                      /* no data */
	    cap_frag(1, 0, MGMT_CAP_DATA_MAX + 1, MGMT_CAP_SNAP_MAX, 5000), /* too much */
	    cap_frag(1, 5, 6, 10, 10),                                      /* past caplen */
	    cap_frag(1, 0, 10, 11, 10),                                     /* caplen > orig */
	    cap_frag(1, 0, 10, MGMT_CAP_SNAP_MAX + 1, 9000),                /* caplen too big */
	    cap_end(1, 2, 3, 4, MGMT_CAP_TIME + 1),
	    cap_end(1, 2, 3, 4, 0xff),
	};
	bad[ARRAY_LEN(bad) - 1].kind = 3; /* an unknown kind */
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct mgmt_w w;
		mgmt_w_init(&w, rec, sizeof(rec));
		mgmt_cap_put(&w, &bad[i]);
		assert_true(w.err || cap_dec(rec, w.len, &o) == -1);
	}
}

/* Random valid items: decoded as written, and written again to the same bytes. */
static void test_cap_roundtrip(void **state)
{
	(void)state;
	cap_bytes_fill();
	rng_state = 0x636170747572;
	static uint8_t rec[MGMT_PART_MAX + 8], again[MGMT_PART_MAX + 8];
	for (int it = 0; it < 3000; it++) {
		struct mgmt_cap c, o;
		if (rndn(4)) {
			uint16_t caplen = (uint16_t)(1 + rndn(MGMT_CAP_SNAP_MAX));
			uint16_t len =
			    (uint16_t)(1 + rndn(caplen < MGMT_CAP_DATA_MAX ? caplen
			                                                   : MGMT_CAP_DATA_MAX));
			uint16_t off = (uint16_t)rndn(caplen - len + 1u);
			uint32_t orig =
			    caplen + (rndn(2) ? 0 : (uint32_t)rnd() % (UINT32_MAX - caplen));
			c = cap_frag((uint32_t)rnd(), off, len, caplen, orig);
			c.pkt = (uint32_t)rnd();
			c.time_us = rnd();
			c.data = cap_bytes + rndn(2);
		} else {
			c = cap_end((uint32_t)rnd(), (uint32_t)rnd(), (uint32_t)rnd(),
			            (uint32_t)rnd(), (uint8_t)rndn(2));
		}
		size_t n = cap_enc(&c, rec);
		assert_int_equal(n, c.kind == MGMT_CAP_FRAG ? MGMT_CAP_FRAG_HEAD + c.len
		                                            : MGMT_CAP_END_LEN);
		assert_int_equal(cap_dec(rec, n, &o), 0);
		cap_same(&c, &o);
		o.data = rec + MGMT_CAP_FRAG_HEAD;
		assert_int_equal(cap_enc(&o, again), n);
		assert_memory_equal(again, rec, n);
	}
}

/* Reads past the end: err set, the value 0, and err sticks. */
static void test_reader_past_end(void **state)
{
	(void)state;
	struct mgmt_r r;
	uint8_t *b = buf_exact("\xff\xff\xff", 3), d[8];
	mgmt_r_init(&r, b, 3);
	assert_int_equal(mgmt_get16(&r), 0xffff);
	assert_int_equal(mgmt_get16(&r), 0);
	assert_true(r.err);
	assert_int_equal(mgmt_get8(&r), 0); /* a byte is there, but err sticks */
	assert_false(mgmt_r_done(&r));
	mgmt_r_init(&r, b, 3);
	memset(d, 0xee, sizeof(d));
	mgmt_get(&r, d, 4);
	assert_true(r.err);
	assert_memory_equal(d, "\0\0\0\0\xee", 5);
	mgmt_r_init(&r, b, 0);
	assert_int_equal(mgmt_get8(&r), 0);
	assert_true(r.err);
	buf_free(b, 3);
	/* the name reader on too few bytes */
	char name[MGMT_NAME + 1];
	b = buf_exact("abc", 3);
	mgmt_r_init(&r, b, 3);
	mgmt_get_name(&r, name);
	assert_true(r.err);
	assert_string_equal(name, "");
	buf_free(b, 3);
	/* the writer: err sticks, len stays within cap */
	struct mgmt_w w;
	b = buf_exact(NULL, 5);
	mgmt_w_init(&w, b, 5);
	mgmt_put32(&w, 1);
	mgmt_put16(&w, 2);
	assert_true(w.err);
	assert_true(w.len <= 5);
	mgmt_put_name(&w, "x");
	assert_true(w.len <= 5);
	buf_free(b, 5);
}

/* "A read past len: the value read is 0", also for a wide read of which
 * only the first bytes are there (mgmt_get32 and mgmt_get64 are made of
 * narrower reads, the first of which succeeds). */
static void test_reader_partial(void **state)
{
	(void)state;
	struct mgmt_r r32, r64;
	uint8_t *b = buf_exact("\xff\xff\xff\xff\xff\xff\xff", 7);
	mgmt_r_init(&r32, b, 3);
	uint32_t v32 = mgmt_get32(&r32);
	mgmt_r_init(&r64, b, 7);
	uint64_t v64 = mgmt_get64(&r64);
	buf_free(b, 7);
	assert_true(r32.err && r64.err);
	assert_int_equal(v32, 0);
	assert_true(v64 == 0);
}

/* The key's text form: what the node's key= and kanctl --key both accept. */
static void test_key_parse(void **state)
{
	(void)state;
	uint8_t k[MGMT_KEY_MAX];
	char hex[2 * MGMT_KEY_MAX + 3];
	assert_int_equal(mgmt_key_parse("0aFf", 4, k), 2);
	assert_int_equal(k[0], 0x0a);
	assert_int_equal(k[1], 0xff);
	memset(hex, 'e', sizeof(hex));
	assert_int_equal(mgmt_key_parse(hex, 2 * MGMT_KEY_MAX, k), (int)MGMT_KEY_MAX);
	assert_int_equal(mgmt_key_parse(hex, 2 * MGMT_KEY_MAX + 2, k), -1); /* too long */
	assert_int_equal(mgmt_key_parse("abc", 3, k), -1);                   /* odd */
	assert_int_equal(mgmt_key_parse("", 0, k), -1);                      /* empty */
	static const char *const bad[] = {"0g", " 1", "+1", "1 ", "x0", "0\n"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mgmt_key_parse(bad[i], 2, k), -1);
}

static void test_names(void **state)
{
	(void)state;
	for (unsigned v = 0; v <= 300; v++) {
		assert_non_null(mgmt_status_str(v));
		assert_non_null(mgmt_op_name(v));
		assert_true(mgmt_status_str(v)[0] != 0);
		assert_true(mgmt_op_name(v)[0] != 0);
	}
	assert_string_equal(mgmt_status_str(MGMT_OK), "ok");
	assert_string_equal(mgmt_op_name(MGMT_OP_INFO), "info");
	assert_string_equal(mgmt_op_name(MGMT_OP_PS), "ps");
	assert_string_equal(mgmt_op_name(0), "?");
	assert_string_equal(mgmt_op_name(MGMT_OP_COUNT), "?");
	for (unsigned op = 1; op < MGMT_OP_COUNT; op++)
		assert_string_not_equal(mgmt_op_name(op), "?");
	/* distinct names, so a log line says which */
	for (unsigned a = 0; a < MGMT_E_COUNT; a++)
		for (unsigned b = a + 1; b < MGMT_E_COUNT; b++)
			assert_string_not_equal(mgmt_status_str(a), mgmt_status_str(b));
	for (unsigned a = 1; a < MGMT_OP_COUNT; a++)
		for (unsigned b = a + 1; b < MGMT_OP_COUNT; b++)
			assert_string_not_equal(mgmt_op_name(a), mgmt_op_name(b));
	/* the writes, as the enum's comments mark them */
	for (unsigned op = 0; op <= 300; op++)
		assert_int_equal(mgmt_op_is_write(op),
		                 op == MGMT_OP_ROUTE_ADD || op == MGMT_OP_ROUTE_DEL ||
		                     op == MGMT_OP_KILL || op == MGMT_OP_RESTART ||
		                     op == MGMT_OP_PIPE_SET || op == MGMT_OP_CAPTURE);
}

int main(void)
{
	key_fill();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_layout),
	    cmocka_unit_test(test_primitives),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_auth_bitflips),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_header_errors),
	    cmocka_unit_test(test_body_errors),
	    cmocka_unit_test(test_encode_caps),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_msg_encode),
	    cmocka_unit_test(test_parts),
	    cmocka_unit_test(test_reasm_errors),
	    cmocka_unit_test(test_info),
	    cmocka_unit_test(test_proc),
	    cmocka_unit_test(test_route),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_ctr_name_nul),
	    cmocka_unit_test(test_ctr_name_ok),
	    cmocka_unit_test(test_reader_past_end),
	    cmocka_unit_test(test_reader_partial),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_key_parse),
	    cmocka_unit_test(test_ping_resp),
	    cmocka_unit_test(test_cap_frag),
	    cmocka_unit_test(test_cap_frag_huge),
	    cmocka_unit_test(test_cap_end),
	    cmocka_unit_test(test_cap_refused),
	    cmocka_unit_test(test_cap_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
