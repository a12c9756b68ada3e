// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel control protocol's codec (kan/ctl.c) on the host: the wire
 * layout byte by byte, round trips, every decode error class in the
 * documented order, every truncation, every cap below the need (exact-size
 * buffers, so ASan sees any overrun), the PROCS builder at every cap, and
 * mutation loops judged by reference classifiers written from
 * docs/kan-control.md plus the rule that whatever decodes re-encodes to
 * the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/errno.h>
#include <hekate/kan.h>
#include <kan/ctl.h>

#include "kan_ref.h"
#include "rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char name_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";

/* ---- references written from the document ------------------------------ */

static size_t ref_req_body(uint8_t op)
{
	/* COUNTERS, PROCS, SPAWN, KILL, CAPTURE, PIPE (24 + 1 + 3 + 8) */
	static const size_t len[] = {0, 8, 4, 16, 4, 12, 36};
	return op >= 1 && op <= 6 ? len[op] : 0;
}

/* The largest snaplen: a page, less the headroom, the IPv6 and UDP headers
 * and the record header. */
#define REF_SNAP_MAX (4096u - 128u - 40u - 8u - 24u)

/* The class of the NUL-padded name field f[0..w): 0 ok, else the error. */
static int ref_name_class_w(const uint8_t *f, size_t w)
{
	size_t z = 0;
	while (z < w && f[z] != 0)
		z++;
	for (size_t i = z; i < w; i++)
		if (f[i] != 0)
			return KAN_CTL_ERESERVED;
	if (z == 0)
		return KAN_CTL_ENAME;
	for (size_t i = 0; i < z; i++)
		if (!strchr(name_chars, f[i]))
			return KAN_CTL_ENAME;
	return KAN_CTL_OK;
}

static int ref_name_class(const uint8_t *f) { return ref_name_class_w(f, 16); }

/* CAPTURE body b[0..12): the pad is reserved; snaplen is judged unless STOP. */
static int ref_capture_class(const uint8_t *b)
{
	if (b[10] || b[11])
		return KAN_CTL_ERESERVED;
	unsigned snap = rd16(b + 8);
	if (rd32(b) != 0xffffffffu && (snap < 64 || snap > REF_SNAP_MAX))
		return KAN_CTL_ERANGE;
	return KAN_CTL_OK;
}

/* PIPE body b[0..36): every reserved byte (pad, entries at n and past,
 * name padding) before the name, the name before the count's range. */
static int ref_pipe_class(const uint8_t *b)
{
	const uint8_t *t = b + 24;
	if (t[1] || t[2] || t[3])
		return KAN_CTL_ERESERVED;
	for (unsigned i = t[0]; i < 8; i++)
		if (t[4 + i] != 0xff)
			return KAN_CTL_ERESERVED;
	int c = ref_name_class_w(b, 24);
	if (c != KAN_CTL_OK)
		return c;
	if (t[0] < 2 || t[0] > 8)
		return KAN_CTL_ERANGE;
	return KAN_CTL_OK;
}

static int ref_req_class(const uint8_t *p, size_t len)
{
	if (len < 8)
		return KAN_CTL_ESHORT;
	if (p[0] != 1)
		return KAN_CTL_EVERSION;
	size_t want = ref_req_body(p[1]);
	if (!want)
		return KAN_CTL_EOP;
	if (len - 8 != want)
		return KAN_CTL_ELENGTH;
	if (p[2] || p[3])
		return KAN_CTL_ERESERVED;
	const uint8_t *b = p + 8;
	if (p[1] == 1 && (b[1] || b[2] || b[3]))
		return KAN_CTL_ERESERVED;
	if (p[1] == 1 && b[0] > 2)
		return KAN_CTL_EKIND;
	if (p[1] == 3)
		return ref_name_class(b);
	if (p[1] == 5)
		return ref_capture_class(b);
	if (p[1] == 6)
		return ref_pipe_class(b);
	return KAN_CTL_OK;
}

static int ref_resp_class(const uint8_t *p, size_t len)
{
	if (len < 8)
		return KAN_CTL_ESHORT;
	if (p[0] != 1)
		return KAN_CTL_EVERSION;
	size_t blen = len - 8;
	const uint8_t *b = p + 8;
	if (rd16(p + 2) != 0)
		return blen ? KAN_CTL_ELENGTH : KAN_CTL_OK;
	switch (p[1]) {
	case 1:
		if (blen < 4 || blen != 4 + 8 * (size_t)rd16(b))
			return KAN_CTL_ELENGTH;
		return rd16(b + 2) ? KAN_CTL_ERESERVED : KAN_CTL_OK;
	case 2:
		if (blen < 8 || blen != 8 + 40 * (size_t)rd16(b))
			return KAN_CTL_ELENGTH;
		if (rd16(b + 2) > 1 || (rd16(b + 2) == 0 && rd32(b + 4) != 0))
			return KAN_CTL_ERESERVED;
		return KAN_CTL_OK;
	case 3: return blen == 4 ? KAN_CTL_OK : KAN_CTL_ELENGTH;
	case 4:
	case 6: return blen == 0 ? KAN_CTL_OK : KAN_CTL_ELENGTH;
	case 5: return blen == 8 ? KAN_CTL_OK : KAN_CTL_ELENGTH;
	default: return KAN_CTL_EOP;
	}
}

/* ---- helpers ------------------------------------------------------------ */

static struct kan_ctl_req req_counters(uint32_t id, uint8_t kind, uint32_t what)
{
	struct kan_ctl_req r;
	memset(&r, 0, sizeof(r));
	r.op = KAN_CTL_COUNTERS;
	r.id = id;
	r.counters.kind = kind;
	r.counters.id = what;
	return r;
}

static struct kan_ctl_req req_simple(uint8_t op, uint32_t id, uint32_t v)
{
	struct kan_ctl_req r;
	memset(&r, 0, sizeof(r));
	r.op = op;
	r.id = id;
	if (op == KAN_CTL_PROCS)
		r.procs.cursor = v;
	else
		r.kill.pid = v;
	return r;
}

static struct kan_ctl_req req_spawn(uint32_t id, const char *name)
{
	struct kan_ctl_req r;
	memset(&r, 0, sizeof(r));
	r.op = KAN_CTL_SPAWN;
	r.id = id;
	memcpy(r.spawn.name, name, strlen(name) < 17 ? strlen(name) : 17);
	return r;
}

static struct kan_ctl_req req_capture(uint32_t id, uint32_t ep, uint32_t pid, uint16_t snaplen)
{
	struct kan_ctl_req r;
	memset(&r, 0, sizeof(r));
	r.op = KAN_CTL_CAPTURE;
	r.id = id;
	r.capture.ep = ep;
	r.capture.pid = pid;
	r.capture.snaplen = snaplen;
	return r;
}

/* A PIPE request for pipeline `name` (up to 25 bytes copied) with stages
 * st[0..n) (n capped at 8 for the copy; the count is n itself). */
static struct kan_ctl_req req_pipe(uint32_t id, const char *name, unsigned n, const uint8_t *st)
{
	struct kan_ctl_req r;
	memset(&r, 0, sizeof(r));
	r.op = KAN_CTL_PIPE;
	r.id = id;
	memcpy(r.pipe.name, name, strlen(name) < 25 ? strlen(name) : 25);
	r.pipe.n = (uint8_t)n;
	for (unsigned i = 0; i < n && i < 8; i++)
		r.pipe.stage[i] = st[i];
	return r;
}

static const uint8_t stages8[8] = {3, 0, 7, 0xff, 1, 0xfe, 2, 4}; /* any byte below n */

/* d says what r said: the fields of r's op (PIPE: the stages below n). */
static void req_same(const struct kan_ctl_req *d, const struct kan_ctl_req *r)
{
	assert_int_equal(d->op, r->op);
	assert_int_equal(d->id, r->id);
	switch (r->op) {
	case KAN_CTL_COUNTERS:
		assert_int_equal(d->counters.kind, r->counters.kind);
		assert_int_equal(d->counters.id, r->counters.id);
		break;
	case KAN_CTL_PROCS: assert_int_equal(d->procs.cursor, r->procs.cursor); break;
	case KAN_CTL_SPAWN: assert_string_equal(d->spawn.name, r->spawn.name); break;
	case KAN_CTL_KILL: assert_int_equal(d->kill.pid, r->kill.pid); break;
	case KAN_CTL_CAPTURE:
		assert_int_equal(d->capture.ep, r->capture.ep);
		assert_int_equal(d->capture.pid, r->capture.pid);
		assert_int_equal(d->capture.snaplen, r->capture.snaplen);
		break;
	case KAN_CTL_PIPE:
		assert_string_equal(d->pipe.name, r->pipe.name);
		assert_int_equal(d->pipe.n, r->pipe.n);
		assert_memory_equal(d->pipe.stage, r->pipe.stage, r->pipe.n);
		break;
	default: fail();
	}
}

/* Decode an exact-size copy of p[0..len); on an error other than ESHORT
 * also check op and id were taken from the bytes and the body is zero. */
static enum kan_ctl_err req_decode_copy(const uint8_t *p, size_t len, struct kan_ctl_req *out)
{
	uint8_t *b = buf_exact(p, len);
	enum kan_ctl_err e = kan_ctl_req_decode(b, len, out);
	if (e != KAN_CTL_OK && e != KAN_CTL_ESHORT) {
		assert_int_equal(out->op, b[1]);
		assert_int_equal(out->id, rd32(b + 4));
		struct kan_ctl_req z;
		memset(&z, 0, sizeof(z));
		assert_memory_equal(&out->spawn, &z.spawn, sizeof(z.spawn));
		assert_memory_equal(&out->counters, &z.counters, sizeof(z.counters));
		assert_memory_equal(&out->capture, &z.capture, sizeof(z.capture));
		assert_memory_equal(&out->pipe, &z.pipe, sizeof(z.pipe)); /* the widest member */
	}
	buf_free(b, len);
	return e;
}

static enum kan_ctl_err resp_decode_copy(const uint8_t *p, size_t len, struct kan_ctl_resp *out)
{
	uint8_t *b = buf_exact(p, len);
	enum kan_ctl_err e = kan_ctl_resp_decode(b, len, out);
	if (e != KAN_CTL_ESHORT) {
		assert_int_equal(out->op, b[1]);
		assert_int_equal(out->status, rd16(b + 2));
		assert_int_equal(out->id, rd32(b + 4));
	}
	if (e != KAN_CTL_OK) {
		assert_int_equal(out->counters.count, 0);
		assert_null(out->counters.vals);
		assert_int_equal(out->procs.n, 0);
		assert_null(out->procs.entries);
		assert_int_equal(out->capture.copied, 0);
		assert_int_equal(out->capture.dropped, 0);
	}
	buf_free(b, len);
	if (e == KAN_CTL_OK && out->op == KAN_CTL_COUNTERS)
		out->counters.vals = NULL; /* it pointed into the freed copy */
	if (e == KAN_CTL_OK && out->op == KAN_CTL_PROCS)
		out->procs.entries = NULL;
	return e;
}

/* Encode r into an exact buffer of every cap from 0 to its length - 1:
 * each refused, nothing written. Returns the encoding in out (>= 24). */
static size_t encode_all_caps(const struct kan_ctl_req *r, uint8_t *out)
{
	size_t n = kan_ctl_req_encode(r, out, 64);
	assert_true(n >= 8);
	for (size_t cap = 0; cap < n; cap++) {
		uint8_t *b = buf_exact(NULL, cap);
		uint8_t *before = buf_exact(b, cap);
		assert_int_equal(kan_ctl_req_encode(r, b, cap), 0);
		assert_memory_equal(b, before, cap);
		buf_free(before, cap);
		buf_free(b, cap);
	}
	uint8_t *b = buf_exact(NULL, n);
	assert_int_equal(kan_ctl_req_encode(r, b, n), n);
	assert_memory_equal(b, out, n);
	buf_free(b, n);
	return n;
}

/* ---- requests ----------------------------------------------------------- */

static void test_req_wire_layout(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct kan_ctl_req r = req_counters(0xdeadbeef, HK_STAT_PROCESS, 0x01020304), d;
	static const uint8_t counters[] = {1, 1, 0, 0, 0xde, 0xad, 0xbe, 0xef,
	                                   1, 0, 0, 0, 1,    2,    3,    4};
	assert_int_equal(encode_all_caps(&r, buf), sizeof(counters));
	assert_memory_equal(buf, counters, sizeof(counters));
	assert_int_equal(req_decode_copy(counters, sizeof(counters), &d), KAN_CTL_OK);
	assert_int_equal(d.op, KAN_CTL_COUNTERS);
	assert_int_equal(d.id, 0xdeadbeef);
	assert_int_equal(d.counters.kind, HK_STAT_PROCESS);
	assert_int_equal(d.counters.id, 0x01020304);

	r = req_simple(KAN_CTL_PROCS, 7, 0xa0b0c0d0);
	static const uint8_t procs[] = {1, 2, 0, 0, 0, 0, 0, 7, 0xa0, 0xb0, 0xc0, 0xd0};
	assert_int_equal(encode_all_caps(&r, buf), sizeof(procs));
	assert_memory_equal(buf, procs, sizeof(procs));
	assert_int_equal(req_decode_copy(procs, sizeof(procs), &d), KAN_CTL_OK);
	assert_int_equal(d.op, KAN_CTL_PROCS);
	assert_int_equal(d.procs.cursor, 0xa0b0c0d0);

	r = req_spawn(0x11223344, "hello");
	static const uint8_t spawn[] = {1,   3, 0, 0, 0x11, 0x22, 0x33, 0x44, 'h', 'e', 'l', 'l',
	                                'o', 0, 0, 0, 0,    0,    0,    0,    0,   0,   0,   0};
	assert_int_equal(encode_all_caps(&r, buf), sizeof(spawn));
	assert_memory_equal(buf, spawn, sizeof(spawn));
	assert_int_equal(req_decode_copy(spawn, sizeof(spawn), &d), KAN_CTL_OK);
	assert_int_equal(d.op, KAN_CTL_SPAWN);
	assert_string_equal(d.spawn.name, "hello");

	r = req_simple(KAN_CTL_KILL, 0xffffffff, 42);
	static const uint8_t kill[] = {1, 4, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 42};
	assert_int_equal(encode_all_caps(&r, buf), sizeof(kill));
	assert_memory_equal(buf, kill, sizeof(kill));
	assert_int_equal(req_decode_copy(kill, sizeof(kill), &d), KAN_CTL_OK);
	assert_int_equal(d.op, KAN_CTL_KILL);
	assert_int_equal(d.kill.pid, 42);
}

static void test_req_names(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct kan_ctl_req d;
	/* 1 and 16 characters (no NUL in the field) are fine */
	static const char *const good[] = {"a",
	                                   "Z",
	                                   "0",
	                                   "_",
	                                   ".",
	                                   "-",
	                                   "init",
	                                   "virtio-net.0",
	                                   "abcdefghijklmnop",
	                                   "A.B-C_D0123456789"};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		size_t n = strlen(good[i]);
		struct kan_ctl_req r = req_spawn(1, good[i]);
		size_t len = kan_ctl_req_encode(&r, buf, sizeof(buf));
		if (n > 16) {
			assert_int_equal(len, 0); /* 17 characters: no NUL within the 17 bytes */
			continue;
		}
		assert_int_equal(len, 24);
		assert_memory_equal(buf + 8, good[i], n);
		for (size_t k = n; k < 16; k++)
			assert_int_equal(buf[8 + k], 0);
		assert_int_equal(req_decode_copy(buf, len, &d), KAN_CTL_OK);
		assert_string_equal(d.spawn.name, good[i]);
	}
	/* the encoder refuses what the decoder would */
	static const char *const bad[] = {
	    "", " ", "a b", "a/b", "a:b", "\x80", "\xff", "ab\n", "abcdefghijklmnopq"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct kan_ctl_req r = req_spawn(1, bad[i]);
		assert_int_equal(kan_ctl_req_encode(&r, buf, sizeof(buf)), 0);
	}
	/* every byte value at every position of a 16-character name */
	uint8_t p[24] = {1, 3, 0, 0, 0, 0, 0, 9};
	for (int pos = 0; pos < 16; pos++) {
		for (int v = 0; v < 256; v++) {
			memset(p + 8, 'x', 16);
			p[8 + pos] = (uint8_t)v;
			int want = ref_name_class(p + 8);
			assert_int_equal(req_decode_copy(p, 24, &d), want);
			if (v && !strchr(name_chars, v))
				assert_int_equal(want, KAN_CTL_ENAME);
			if (!v && pos < 15)
				assert_int_equal(want, KAN_CTL_ERESERVED); /* 'x' after the NUL */
		}
	}
	/* empty: all 16 bytes NUL */
	memset(p + 8, 0, 16);
	assert_int_equal(req_decode_copy(p, 24, &d), KAN_CTL_ENAME);
	/* NUL then garbage, anywhere */
	memcpy(p + 8, "ab\0c", 4);
	assert_int_equal(req_decode_copy(p, 24, &d), KAN_CTL_ERESERVED);
	memset(p + 8, 0, 16);
	p[8] = 'a';
	p[23] = 1;
	assert_int_equal(req_decode_copy(p, 24, &d), KAN_CTL_ERESERVED);
}

static void test_req_encode_invalid(void **state)
{
	(void)state;
	uint8_t buf[64];
	memset(buf, 0x77, sizeof(buf));
	static const uint8_t ops[] = {0, KAN_CTL_OP_MAX + 1, 0x81, 255};
	for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
		struct kan_ctl_req r = req_simple(KAN_CTL_KILL, 1, 1);
		r.op = ops[i];
		assert_int_equal(kan_ctl_req_encode(&r, buf, sizeof(buf)), 0);
	}
	for (int kind = 3; kind < 256; kind++) {
		struct kan_ctl_req r = req_counters(1, (uint8_t)kind, 0);
		assert_int_equal(kan_ctl_req_encode(&r, buf, sizeof(buf)), 0);
	}
	for (int kind = 0; kind < 3; kind++) {
		struct kan_ctl_req r = req_counters(1, (uint8_t)kind, 0);
		assert_int_equal(kan_ctl_req_encode(&r, buf, SIZE_MAX), 16);
	}
	for (size_t i = 16; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x77); /* never more than the message */
}

/* A valid body of op at b (ref_req_body(op) bytes): zeros, except a name
 * for SPAWN, a snaplen for CAPTURE, a name and entries for PIPE. */
static void valid_body(uint8_t op, uint8_t *b)
{
	memset(b, 0, ref_req_body(op));
	if (op == KAN_CTL_SPAWN)
		b[0] = 'x';
	if (op == KAN_CTL_CAPTURE)
		wr16(b + 8, 64);
	if (op == KAN_CTL_PIPE) {
		b[0] = 'x';
		b[24] = 2;
		memset(b + 28 + 2, 0xff, 6);
	}
}

static void test_req_decode_classes(void **state)
{
	(void)state;
	uint8_t p[56];
	struct kan_ctl_req d;
	uint8_t base[16] = {1, 1, 0, 0, 0, 0, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0};
	for (size_t len = 0; len < 8; len++)
		assert_int_equal(req_decode_copy(base, len, &d), KAN_CTL_ESHORT);
	for (int v = 0; v < 256; v++) {
		memcpy(p, base, 16);
		p[0] = (uint8_t)v;
		assert_int_equal(req_decode_copy(p, 16, &d),
		                 v == 1 ? KAN_CTL_OK : KAN_CTL_EVERSION);
		p[1] = 99; /* version is judged before op */
		assert_int_equal(req_decode_copy(p, 16, &d),
		                 v == 1 ? KAN_CTL_EOP : KAN_CTL_EVERSION);
	}
	for (int op = 0; op < 256; op++) {
		memcpy(p, base, 16);
		p[1] = (uint8_t)op;
		size_t want = ref_req_body((uint8_t)op);
		if (!want) {
			for (size_t len = 8; len <= sizeof(p); len++)
				assert_int_equal(req_decode_copy(p, len, &d), KAN_CTL_EOP);
			continue;
		}
		memset(p + 8, 0, sizeof(p) - 8);
		valid_body((uint8_t)op, p + 8);
		for (size_t len = 8; len <= sizeof(p); len++) {
			int e = req_decode_copy(p, len, &d);
			assert_int_equal(e, len - 8 == want ? KAN_CTL_OK : KAN_CTL_ELENGTH);
		}
		/* status is reserved in requests: every bit; judged after length */
		for (int bit = 0; bit < 16; bit++) {
			wr16(p + 2, 1u << bit);
			assert_int_equal(req_decode_copy(p, 8 + want, &d), KAN_CTL_ERESERVED);
			assert_int_equal(req_decode_copy(p, 9 + want, &d), KAN_CTL_ELENGTH);
		}
		wr16(p + 2, 0);
	}
	/* COUNTERS pad bytes and kinds */
	for (int i = 9; i < 12; i++) {
		memcpy(p, base, 16);
		p[i] = 0x10;
		assert_int_equal(req_decode_copy(p, 16, &d), KAN_CTL_ERESERVED);
		p[8] = 7; /* reserved is judged before kind */
		assert_int_equal(req_decode_copy(p, 16, &d), KAN_CTL_ERESERVED);
	}
	for (int kind = 0; kind < 256; kind++) {
		memcpy(p, base, 16);
		p[8] = (uint8_t)kind;
		assert_int_equal(req_decode_copy(p, 16, &d),
		                 kind <= 2 ? KAN_CTL_OK : KAN_CTL_EKIND);
		if (kind <= 2)
			assert_int_equal(d.counters.kind, kind);
	}
}

/* Every prefix of each valid request, and a byte or more past it. */
static void test_req_truncations(void **state)
{
	(void)state;
	struct kan_ctl_req rs[] = {req_counters(5, 2, 0),
	                           req_simple(KAN_CTL_PROCS, 6, 3),
	                           req_spawn(7, "abcdefghijklmnop"),
	                           req_simple(KAN_CTL_KILL, 8, 9),
	                           req_capture(10, 4, 0, KAN_CAP_SNAP_MAX),
	                           req_capture(11, KAN_CAP_STOP, 0, 0),
	                           req_pipe(12, "abcdefghijklmnopqrstuvwx", 8, stages8),
	                           req_pipe(13, "p", 2, stages8)};
	for (size_t k = 0; k < ARRAY_LEN(rs); k++) {
		uint8_t p[64] = {0};
		size_t n = kan_ctl_req_encode(&rs[k], p, sizeof(p));
		assert_true(n > 8);
		struct kan_ctl_req d;
		for (size_t t = 0; t <= n + 16; t++) {
			int want = t < 8 ? KAN_CTL_ESHORT : t == n ? KAN_CTL_OK : KAN_CTL_ELENGTH;
			assert_int_equal(ref_req_class(p, t), want);
			assert_int_equal(req_decode_copy(p, t, &d), want);
		}
		assert_int_equal(req_decode_copy(p, n, &d), KAN_CTL_OK);
		req_same(&d, &rs[k]);
	}
}

/* ---- CAPTURE and PIPE requests ------------------------------------------ */

/* kan_ctl_req_encode refuses r: 0, and buf (with room) is left as it was. */
static void encode_refused(const struct kan_ctl_req *r)
{
	uint8_t buf[64], before[64];
	memset(buf, 0x5a, sizeof(buf));
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(kan_ctl_req_encode(r, buf, sizeof(buf)), 0);
	assert_int_equal(kan_ctl_req_encode(r, buf, SIZE_MAX), 0);
	assert_memory_equal(buf, before, sizeof(buf));
}

/* The CAPTURE request with ep, snaplen and pad as given, decoded. */
static enum kan_ctl_err capture_with(uint32_t ep, unsigned snaplen, unsigned pad,
                                     struct kan_ctl_req *d)
{
	uint8_t p[20] = {1, KAN_CTL_CAPTURE, 0, 0, 0, 0, 0, 0x21};
	wr32(p + 8, ep);
	wr32(p + 12, 0x1234);
	wr16(p + 16, snaplen);
	wr16(p + 18, pad);
	enum kan_ctl_err e = req_decode_copy(p, sizeof(p), d);
	assert_int_equal(ref_req_class(p, sizeof(p)), e);
	return e;
}

static void test_capture_req(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct kan_ctl_req d;
	assert_int_equal(KAN_CAP_SNAP_MAX, REF_SNAP_MAX);
	assert_int_equal(KAN_CAP_SNAP_MIN, 64);
	assert_int_equal(KAN_CTL_CAPTURE_REQ, 12);

	struct kan_ctl_req r = req_capture(0x0a0b0c0d, 0x11223344, 0x55667788, 0x0f1e);
	static const uint8_t cap[] = {1,    5,    0,    0,    0x0a, 0x0b, 0x0c, 0x0d, 0x11, 0x22,
	                              0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x0f, 0x1e, 0,    0};
	assert_int_equal(encode_all_caps(&r, buf), sizeof(cap));
	assert_memory_equal(buf, cap, sizeof(cap));
	assert_int_equal(req_decode_copy(cap, sizeof(cap), &d), KAN_CTL_OK);
	req_same(&d, &r);

	/* stop: snaplen is not judged, whatever it says */
	static const unsigned snaps[] = {0, 1, 63, 64, 4096, 0xffff};
	for (size_t i = 0; i < ARRAY_LEN(snaps); i++) {
		r = req_capture(3, KAN_CAP_STOP, 9, (uint16_t)snaps[i]);
		size_t n = kan_ctl_req_encode(&r, buf, sizeof(buf));
		assert_int_equal(n, 20);
		assert_int_equal(rd32(buf + 8), 0xffffffffu);
		assert_int_equal(req_decode_copy(buf, n, &d), KAN_CTL_OK);
		req_same(&d, &r);
	}

	/* the snaplen's range, at both ends, for endpoints 0, 1 and the one below STOP */
	static const uint32_t eps[] = {0, 1, KAN_CAP_STOP - 1};
	for (size_t k = 0; k < ARRAY_LEN(eps); k++) {
		for (unsigned snap = 0; snap <= 0xffff; snap++) {
			int in = snap >= KAN_CAP_SNAP_MIN && snap <= KAN_CAP_SNAP_MAX;
			assert_int_equal(capture_with(eps[k], snap, 0, &d),
			                 in ? KAN_CTL_OK : KAN_CTL_ERANGE);
			if (in)
				assert_int_equal(d.capture.snaplen, snap);
			/* the encoder refuses exactly what the decoder does */
			r = req_capture(1, eps[k], 0, (uint16_t)snap);
			if (in)
				assert_int_equal(kan_ctl_req_encode(&r, buf, sizeof(buf)), 20);
			else if (snap < 70 ||
			         (snap > KAN_CAP_SNAP_MAX && snap < KAN_CAP_SNAP_MAX + 6) ||
			         snap == 0xffff)
				encode_refused(&r);
		}
		assert_int_equal(capture_with(eps[k], KAN_CAP_SNAP_MIN - 1, 0, &d), KAN_CTL_ERANGE);
		assert_int_equal(capture_with(eps[k], KAN_CAP_SNAP_MIN, 0, &d), KAN_CTL_OK);
		assert_int_equal(capture_with(eps[k], KAN_CAP_SNAP_MAX, 0, &d), KAN_CTL_OK);
		assert_int_equal(capture_with(eps[k], KAN_CAP_SNAP_MAX + 1, 0, &d), KAN_CTL_ERANGE);
	}

	/* the pad, every bit; reserved is judged before range, also for STOP */
	for (int bit = 0; bit < 16; bit++) {
		assert_int_equal(capture_with(5, 64, 1u << bit, &d), KAN_CTL_ERESERVED);
		assert_int_equal(capture_with(5, 0, 1u << bit, &d), KAN_CTL_ERESERVED);
		assert_int_equal(capture_with(KAN_CAP_STOP, 0, 1u << bit, &d), KAN_CTL_ERESERVED);
	}
}

/* The PIPE request: name field nm (24 bytes), count n, pad, entries e[8]. */
static enum kan_ctl_err pipe_with(const uint8_t *nm, unsigned n, const uint8_t *pad,
                                  const uint8_t *e, struct kan_ctl_req *d)
{
	uint8_t p[44] = {1, KAN_CTL_PIPE, 0, 0, 0, 0, 0x10, 0x20};
	memcpy(p + 8, nm, 24);
	p[32] = (uint8_t)n;
	memcpy(p + 33, pad, 3);
	memcpy(p + 36, e, 8);
	enum kan_ctl_err err = req_decode_copy(p, sizeof(p), d);
	assert_int_equal(ref_req_class(p, sizeof(p)), err);
	return err;
}

/* Entries for n: stages8 below n, 0xff from n on. */
static void entries_for(unsigned n, uint8_t *e)
{
	for (unsigned i = 0; i < 8; i++)
		e[i] = i < n ? stages8[i] : 0xff;
}

static void test_pipe_req(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct kan_ctl_req d;
	assert_int_equal(KAN_CTL_PIPE_REQ, 36);

	struct kan_ctl_req r = req_pipe(0x01020304, "fw.chain-1", 3, stages8);
	static const uint8_t pipe[] = {1,   6,   0,   0,   1,   2,   3,    4,    'f',  'w',  '.',
	                               'c', 'h', 'a', 'i', 'n', '-', '1',  0,    0,    0,    0,
	                               0,   0,   0,   0,   0,   0,   0,    0,    0,    0,    3,
	                               0,   0,   0,   3,   0,   7,   0xff, 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(encode_all_caps(&r, buf), sizeof(pipe));
	assert_memory_equal(buf, pipe, sizeof(pipe));
	assert_int_equal(req_decode_copy(pipe, sizeof(pipe), &d), KAN_CTL_OK);
	req_same(&d, &r);

	/* every count: 2..8 taken (encoder and decoder), the rest out of range */
	uint8_t nm[24] = "p", e[8], z3[3] = {0};
	for (unsigned n = 0; n < 256; n++) {
		int in = n >= 2 && n <= 8;
		r = req_pipe(7, "p", n, stages8);
		if (!in) {
			encode_refused(&r);
		} else {
			size_t len = kan_ctl_req_encode(&r, buf, sizeof(buf));
			assert_int_equal(len, 44);
			for (unsigned i = 0; i < 8; i++) /* entries from n on are 0xff */
				assert_int_equal(buf[36 + i], i < n ? stages8[i] : 0xff);
			assert_int_equal(req_decode_copy(buf, len, &d), KAN_CTL_OK);
			req_same(&d, &r);
		}
		entries_for(n, e);
		assert_int_equal(pipe_with(nm, n, z3, e, &d), in ? KAN_CTL_OK : KAN_CTL_ERANGE);
	}

	/* each entry at n and past n, every value but 0xff: reserved */
	for (unsigned n = 2; n <= 8; n++) {
		for (unsigned i = n; i < 8; i++) {
			for (int v = 0; v < 255; v++) {
				entries_for(n, e);
				e[i] = (uint8_t)v;
				assert_int_equal(pipe_with(nm, n, z3, e, &d), KAN_CTL_ERESERVED);
			}
		}
		/* entries below n may be anything, 0xff included */
		memset(e, 0xff, 8);
		assert_int_equal(pipe_with(nm, n, z3, e, &d), KAN_CTL_OK);
		memset(e, 0, n);
		assert_int_equal(pipe_with(nm, n, z3, e, &d), KAN_CTL_OK);
	}

	/* the pad, every bit of every byte; before the count's range */
	for (int i = 0; i < 3; i++) {
		for (int bit = 0; bit < 8; bit++) {
			uint8_t pad[3] = {0};
			pad[i] = (uint8_t)(1u << bit);
			entries_for(3, e);
			assert_int_equal(pipe_with(nm, 3, pad, e, &d), KAN_CTL_ERESERVED);
			entries_for(9, e);
			assert_int_equal(pipe_with(nm, 9, pad, e, &d), KAN_CTL_ERESERVED);
			assert_int_equal(pipe_with(nm, 0, pad, e, &d), KAN_CTL_ERESERVED);
		}
	}

	/* reserved bytes are judged before the name, the name before the count */
	uint8_t bad[24] = "a/b";
	uint8_t pad1[3] = {0, 0, 1};
	entries_for(3, e);
	assert_int_equal(pipe_with(bad, 3, z3, e, &d), KAN_CTL_ENAME);
	assert_int_equal(pipe_with(bad, 3, pad1, e, &d), KAN_CTL_ERESERVED);
	e[5] = 0;
	assert_int_equal(pipe_with(bad, 3, z3, e, &d), KAN_CTL_ERESERVED);
	entries_for(9, e);
	assert_int_equal(pipe_with(bad, 9, z3, e, &d), KAN_CTL_ENAME);
	entries_for(1, e);
	assert_int_equal(pipe_with(bad, 1, z3, e, &d), KAN_CTL_ENAME);
	e[1] = 0; /* from n on, also when n is out of range */
	assert_int_equal(pipe_with(bad, 1, z3, e, &d), KAN_CTL_ERESERVED);
	uint8_t empty[24] = {0};
	entries_for(0, e);
	assert_int_equal(pipe_with(empty, 0, z3, e, &d), KAN_CTL_ENAME);
}

static void test_pipe_names(void **state)
{
	(void)state;
	uint8_t buf[64], e[8], z3[3] = {0};
	struct kan_ctl_req d;
	entries_for(2, e);
	/* 1 to 24 characters are fine; the encoder writes them NUL-padded */
	static const char *const good[] = {"a",
	                                   "Z",
	                                   "0",
	                                   "-",
	                                   "virtio-net.0",
	                                   "abcdefghijklmnopqrstuvw",
	                                   "Az09_.-bcdefghijklmnopqr"};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		size_t n = strlen(good[i]);
		struct kan_ctl_req r = req_pipe(1, good[i], 2, stages8);
		assert_int_equal(kan_ctl_req_encode(&r, buf, sizeof(buf)), 44);
		assert_memory_equal(buf + 8, good[i], n);
		for (size_t k = n; k < 24; k++)
			assert_int_equal(buf[8 + k], 0);
		assert_int_equal(req_decode_copy(buf, 44, &d), KAN_CTL_OK);
		assert_string_equal(d.pipe.name, good[i]);
	}
	/* the encoder refuses what the decoder would; 25 characters leave no NUL */
	static const char *const bad[] = {"",     " ",    "a b",  "a/b",
	                                  "\x80", "\xff", "ab\n", "abcdefghijklmnopqrstuvwxy"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct kan_ctl_req r = req_pipe(1, bad[i], 2, stages8);
		encode_refused(&r);
	}
	/* every byte value at every position of a 24-character name */
	uint8_t nm[24];
	for (int pos = 0; pos < 24; pos++) {
		for (int v = 0; v < 256; v++) {
			memset(nm, 'x', 24);
			nm[pos] = (uint8_t)v;
			int want = ref_name_class_w(nm, 24);
			assert_int_equal(pipe_with(nm, 2, z3, e, &d), want);
			if (v && !strchr(name_chars, v))
				assert_int_equal(want, KAN_CTL_ENAME);
			else if (!v && pos < 23)
				assert_int_equal(want, KAN_CTL_ERESERVED); /* 'x' after the NUL */
			else
				assert_int_equal(want, KAN_CTL_OK);
			if (want == KAN_CTL_OK)
				assert_memory_equal(d.pipe.name, nm, v ? 24 : (size_t)pos);
		}
	}
	/* empty; NUL then garbage, anywhere */
	memset(nm, 0, 24);
	assert_int_equal(pipe_with(nm, 2, z3, e, &d), KAN_CTL_ENAME);
	nm[23] = 'a';
	assert_int_equal(pipe_with(nm, 2, z3, e, &d), KAN_CTL_ERESERVED);
	memcpy(nm, "ab\0c", 4);
	nm[23] = 0;
	assert_int_equal(pipe_with(nm, 2, z3, e, &d), KAN_CTL_ERESERVED);
}

static void test_err_status(void **state)
{
	(void)state;
	assert_int_equal(kan_ctl_err_status(KAN_CTL_OK), 0);
	assert_int_equal(kan_ctl_err_status(KAN_CTL_ESHORT), KAN_CTL_DROP);
	assert_int_equal(kan_ctl_err_status(KAN_CTL_EVERSION), HK_ENOSYS);
	assert_int_equal(kan_ctl_err_status(KAN_CTL_EOP), HK_ENOSYS);
	assert_int_equal(kan_ctl_err_status(KAN_CTL_ELENGTH), HK_EINVAL);
	assert_int_equal(kan_ctl_err_status(KAN_CTL_ERESERVED), HK_EINVAL);
	assert_int_equal(kan_ctl_err_status(KAN_CTL_EKIND), HK_EINVAL);
	assert_int_equal(kan_ctl_err_status(KAN_CTL_ENAME), HK_EINVAL);
	assert_int_equal(kan_ctl_err_status(KAN_CTL_ERANGE), HK_EINVAL);
	assert_int_equal(KAN_CTL_ERR_COUNT, KAN_CTL_ERANGE + 1);
	for (int e = 0; e < KAN_CTL_ERR_COUNT; e++) {
		int s = kan_ctl_err_status((enum kan_ctl_err)e);
		if (s > 0)
			assert_string_not_equal(hk_strerror(s), "unknown error");
		assert_string_not_equal(kan_ctl_err_name((enum kan_ctl_err)e), "unknown");
		for (int f = 0; f < e; f++)
			assert_string_not_equal(kan_ctl_err_name((enum kan_ctl_err)e),
			                        kan_ctl_err_name((enum kan_ctl_err)f));
	}
	assert_string_equal(kan_ctl_err_name(KAN_CTL_ERR_COUNT), "unknown");
	assert_string_equal(kan_ctl_err_name((enum kan_ctl_err) - 1), "unknown");
}

/* ---- responses: small ones ---------------------------------------------- */

/* Build with fn into exact buffers of every cap below need (0, nothing
 * written), then at need; returns the bytes in out. */
typedef size_t (*build_fn)(uint8_t *buf, size_t cap, const void *arg);

static void check_caps(build_fn fn, const void *arg, size_t need, uint8_t *out)
{
	for (size_t cap = 0; cap < need; cap++) {
		uint8_t *b = buf_exact(NULL, cap);
		uint8_t *before = buf_exact(b, cap);
		assert_int_equal(fn(b, cap, arg), 0);
		assert_memory_equal(b, before, cap);
		buf_free(before, cap);
		buf_free(b, cap);
	}
	uint8_t *b = buf_exact(NULL, need);
	assert_int_equal(fn(b, need, arg), need);
	memcpy(out, b, need);
	buf_free(b, need);
}

static size_t build_header(uint8_t *b, size_t cap, const void *arg)
{
	(void)arg;
	return kan_ctl_resp_header(b, cap, 0x42, 0x01020304, HK_ENOENT);
}
static size_t build_error(uint8_t *b, size_t cap, const void *arg)
{
	return kan_ctl_resp_error(b, cap, arg, HK_EPERM);
}
static size_t build_spawn(uint8_t *b, size_t cap, const void *arg)
{
	return kan_ctl_resp_spawn(b, cap, arg, 0xcafe0001);
}
static size_t build_kill(uint8_t *b, size_t cap, const void *arg)
{
	return kan_ctl_resp_kill(b, cap, arg);
}

static void test_resp_small(void **state)
{
	(void)state;
	uint8_t out[64];
	struct kan_ctl_resp d;
	check_caps(build_header, NULL, 8, out);
	static const uint8_t hdr[] = {1, 0x42, 0, HK_ENOENT, 1, 2, 3, 4};
	assert_memory_equal(out, hdr, 8);
	assert_int_equal(resp_decode_copy(out, 8, &d), KAN_CTL_OK); /* any op when an error */
	assert_int_equal(d.status, HK_ENOENT);

	struct kan_ctl_req bad = req_simple(KAN_CTL_KILL, 0x0a0b0c0d, 1);
	bad.op = 77; /* an op the kernel did not know: still answered */
	check_caps(build_error, &bad, 8, out);
	static const uint8_t err[] = {1, 77, 0, HK_EPERM, 0x0a, 0x0b, 0x0c, 0x0d};
	assert_memory_equal(out, err, 8);
	assert_int_equal(resp_decode_copy(out, 8, &d), KAN_CTL_OK);
	assert_int_equal(d.op, 77);

	struct kan_ctl_req sp = req_spawn(0x55667788, "hello");
	check_caps(build_spawn, &sp, 12, out);
	static const uint8_t spawn[] = {1, 3, 0, 0, 0x55, 0x66, 0x77, 0x88, 0xca, 0xfe, 0, 1};
	assert_memory_equal(out, spawn, 12);
	assert_int_equal(resp_decode_copy(out, 12, &d), KAN_CTL_OK);
	assert_int_equal(d.spawn.pid, 0xcafe0001);

	struct kan_ctl_req k = req_simple(KAN_CTL_KILL, 9, 3);
	check_caps(build_kill, &k, 8, out);
	static const uint8_t kill[] = {1, 4, 0, 0, 0, 0, 0, 9};
	assert_memory_equal(out, kill, 8);
	assert_int_equal(resp_decode_copy(out, 8, &d), KAN_CTL_OK);
	assert_int_equal(d.op, KAN_CTL_KILL);
}

/* ---- CAPTURE and PIPE responses, capture records ------------------------- */

static size_t build_capture(uint8_t *b, size_t cap, const void *arg)
{
	return kan_ctl_resp_capture(b, cap, arg, 0xc0c1c2c3, 0xd0d1d2d3);
}
static size_t build_pipe(uint8_t *b, size_t cap, const void *arg)
{
	return kan_ctl_resp_pipe(b, cap, arg);
}

static void test_capture_pipe_resp(void **state)
{
	(void)state;
	uint8_t out[64];
	struct kan_ctl_resp d;
	struct kan_ctl_req c = req_capture(0x61626364, KAN_CAP_STOP, 0, 0);
	check_caps(build_capture, &c, 16, out);
	static const uint8_t cap[] = {1,    5,    0,    0,    0x61, 0x62, 0x63, 0x64,
	                              0xc0, 0xc1, 0xc2, 0xc3, 0xd0, 0xd1, 0xd2, 0xd3};
	assert_memory_equal(out, cap, 16);
	assert_int_equal(resp_decode_copy(out, 16, &d), KAN_CTL_OK);
	assert_int_equal(d.op, KAN_CTL_CAPTURE);
	assert_int_equal(d.id, 0x61626364);
	assert_int_equal(d.capture.copied, 0xc0c1c2c3);
	assert_int_equal(d.capture.dropped, 0xd0d1d2d3);
	for (size_t len = 8; len < 16; len++) /* every truncation */
		assert_int_equal(resp_decode_copy(out, len, &d), KAN_CTL_ELENGTH);
	for (size_t len = 0; len < 8; len++)
		assert_int_equal(resp_decode_copy(out, len, &d), KAN_CTL_ESHORT);
	/* an error answer to a CAPTURE: no body, counts 0 */
	size_t n = kan_ctl_resp_error(out, sizeof(out), &c, HK_EPERM);
	assert_int_equal(n, 8);
	assert_int_equal(resp_decode_copy(out, n, &d), KAN_CTL_OK);
	assert_int_equal(d.status, HK_EPERM);
	assert_int_equal(d.capture.copied, 0);
	assert_int_equal(d.capture.dropped, 0);
	memcpy(out + 8, cap + 8, 8);
	assert_int_equal(resp_decode_copy(out, 16, &d), KAN_CTL_ELENGTH);

	uint8_t st[8] = {0};
	struct kan_ctl_req p = req_pipe(0x71727374, "p", 2, st);
	check_caps(build_pipe, &p, 8, out);
	static const uint8_t pipe[] = {1, 6, 0, 0, 0x71, 0x72, 0x73, 0x74};
	assert_memory_equal(out, pipe, 8);
	assert_int_equal(resp_decode_copy(out, 8, &d), KAN_CTL_OK);
	assert_int_equal(d.op, KAN_CTL_PIPE);
	assert_int_equal(d.id, 0x71727374);
	out[8] = 0;
	assert_int_equal(resp_decode_copy(out, 9, &d), KAN_CTL_ELENGTH);
}

static void test_cap_rec(void **state)
{
	(void)state;
	struct kan_cap_rec r = {0x01020304, 0x05060708, 0x090a0b0c0d0e0f10ull, 0x11121314,
	                        0xfffffffe},
	                   o;
	static const uint8_t want[24] = {1,    2,    3,    4,    5,    6,    7,    8,
	                                 9,    0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	                                 0x11, 0x12, 0x13, 0x14, 0xff, 0xff, 0xff, 0xfe};
	assert_int_equal(KAN_CAP_HDR, 24);
	uint8_t *b = buf_exact(NULL, KAN_CAP_HDR);
	kan_cap_rec_put(b, &r);
	assert_memory_equal(b, want, 24);
	buf_free(b, KAN_CAP_HDR);
	/* every length below the header is refused, nothing read past it */
	for (size_t len = 0; len < KAN_CAP_HDR; len++) {
		b = buf_exact(want, len);
		memset(&o, 0x3c, sizeof(o));
		assert_int_equal(kan_cap_rec_get(b, len, &o), -1);
		buf_free(b, len);
	}
	/* the header alone, and with the packet's bytes after it */
	for (size_t len = KAN_CAP_HDR; len <= KAN_CAP_HDR + 2; len++) {
		uint8_t in[KAN_CAP_HDR + 2] = {0};
		memcpy(in, want, 24);
		b = buf_exact(in, len);
		memset(&o, 0x3c, sizeof(o));
		assert_int_equal(kan_cap_rec_get(b, len, &o), 0);
		buf_free(b, len);
		assert_int_equal(o.seq, r.seq);
		assert_int_equal(o.orig_len, r.orig_len);
		assert_true(o.time_us == r.time_us);
		assert_int_equal(o.from, r.from);
		assert_int_equal(o.to, r.to);
	}
	/* extremes round-trip */
	rng_state = 0x63617072;
	for (int it = 0; it < 1000; it++) {
		uint8_t p[24];
		r.seq = (uint32_t)rnd();
		r.orig_len = it & 1 ? UINT32_MAX : (uint32_t)rnd();
		r.time_us = it & 2 ? UINT64_MAX : rnd();
		r.from = (uint32_t)rnd();
		r.to = it & 4 ? 0 : (uint32_t)rnd();
		kan_cap_rec_put(p, &r);
		assert_int_equal(kan_cap_rec_get(p, sizeof(p), &o), 0);
		assert_memory_equal(&o, &r, sizeof(o));
	}
}

/* ---- COUNTERS ----------------------------------------------------------- */

struct counters_arg {
	const struct kan_ctl_req *req;
	const uint64_t *vals;
	unsigned n;
};

static size_t build_counters(uint8_t *b, size_t cap, const void *arg)
{
	const struct counters_arg *a = arg;
	return kan_ctl_resp_counters(b, cap, a->req, a->vals, a->n);
}

static void test_counters_order(void **state)
{
	(void)state;
	struct hk_kan_counters c;
	c.pkts_in = 1;
	c.bytes_in = 2;
	c.pkts_out = 3;
	c.bytes_out = 4;
	c.drops[HK_DROP_RING_FULL] = 5;
	c.drops[HK_DROP_NO_ROUTE] = 6;
	c.drops[HK_DROP_CLOSED] = 7;
	c.drops[HK_DROP_BAD_HEADER] = 8;
	c.drops[HK_DROP_SPOOFED] = 9;
	c.drops[HK_DROP_BAD_CONTROL] = 10;
	c.faults = 11;
	uint64_t v[KAN_CTL_NNODE + 1];
	memset(v, 0xee, sizeof(v));
	assert_int_equal(kan_ctl_counters_flatten(&c, v), 11);
	assert_int_equal(KAN_CTL_NCOUNTERS, 11);
	for (unsigned i = 0; i < 11; i++)
		assert_int_equal(v[i], i + 1); /* the order docs/kan-control.md lists */
	assert_int_equal(v[11], 0xeeeeeeeeeeeeeeeeull);

	struct hk_kan_node nd;
	nd.pool_pages = 101;
	nd.pool_free = 102;
	nd.held = 103;
	nd.in_flight = 104;
	nd.free_pages = 105;
	nd.endpoints = 106;
	nd.pad = 0xffffffff; /* not sent */
	nd.total = c;
	memset(v, 0xee, sizeof(v));
	assert_int_equal(kan_ctl_node_flatten(&nd, v), 17);
	assert_int_equal(KAN_CTL_NNODE, 17);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(v[i], 101 + i);
	for (unsigned i = 0; i < 11; i++)
		assert_int_equal(v[6 + i], i + 1);
	assert_int_equal(v[17], 0xeeeeeeeeeeeeeeeeull);
}

static void test_counters_resp(void **state)
{
	(void)state;
	rng_state = 0x636f756e74;
	struct kan_ctl_req req = req_counters(0x31323334, HK_STAT_NODE, 0);
	uint64_t vals[160];
	for (unsigned i = 0; i < 160; i++)
		vals[i] = rnd();
	static const unsigned ns[] = {0, 1, 11, 17, 18, 100, 152};
	uint8_t out[KAN_CTL_MAX];
	for (size_t k = 0; k < ARRAY_LEN(ns); k++) {
		unsigned n = ns[k];
		struct counters_arg a = {&req, vals, n};
		size_t need = 12 + 8 * (size_t)n;
		check_caps(build_counters, &a, need, out);
		assert_int_equal(out[0], 1);
		assert_int_equal(out[1], KAN_CTL_COUNTERS);
		assert_int_equal(rd16(out + 2), 0);
		assert_int_equal(rd32(out + 4), 0x31323334);
		assert_int_equal(rd16(out + 8), n);
		assert_int_equal(rd16(out + 10), 0);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(((uint64_t)rd32(out + 12 + 8 * i) << 32) |
			                     rd32(out + 16 + 8 * i),
			                 vals[i]);
		struct kan_ctl_resp d;
		uint8_t *b = buf_exact(out, need);
		assert_int_equal(kan_ctl_resp_decode(b, need, &d), KAN_CTL_OK);
		assert_int_equal(d.counters.count, n);
		uint64_t v;
		for (unsigned i = 0; i < n; i++) {
			assert_int_equal(kan_ctl_resp_value(&d, i, &v), 0);
			assert_int_equal(v, vals[i]);
		}
		assert_int_equal(kan_ctl_resp_value(&d, n, &v), -HK_ENOENT);
		assert_int_equal(kan_ctl_resp_value(&d, UINT32_MAX, &v), -HK_ENOENT);
		buf_free(b, need);
	}
	/* more than KAN_CTL_MAX allows: refused even with room */
	assert_int_equal(kan_ctl_resp_counters(out, sizeof(out), &req, vals, 153), 0);
	assert_int_equal(kan_ctl_resp_counters(out, SIZE_MAX, &req, vals, 153), 0);
	assert_int_equal(kan_ctl_resp_counters(out, SIZE_MAX, &req, vals, UINT32_MAX), 0);
	assert_int_equal(kan_ctl_resp_counters(out, SIZE_MAX, &req, vals, 0x20000000u), 0);
}

static void test_counters_structs(void **state)
{
	(void)state;
	rng_state = 0x73747275;
	uint8_t out[KAN_CTL_MAX];
	struct kan_ctl_req req = req_counters(1, HK_STAT_ENDPOINT, 4);
	for (int it = 0; it < 500; it++) {
		struct hk_kan_node nd, back;
		uint8_t raw[sizeof(nd)];
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)rnd();
		memcpy(&nd, raw, sizeof(nd));
		nd.pad = 0;
		uint64_t v[KAN_CTL_NNODE];
		unsigned n = kan_ctl_node_flatten(&nd, v);
		size_t len = kan_ctl_resp_counters(out, sizeof(out), &req, v, n);
		struct kan_ctl_resp d;
		assert_int_equal(kan_ctl_resp_decode(out, len, &d), KAN_CTL_OK);
		memset(&back, 0x99, sizeof(back));
		assert_int_equal(kan_ctl_resp_to_node(&d, &back), 0);
		assert_memory_equal(&back, &nd, sizeof(nd));
		/* a process's counters */
		struct hk_kan_counters c, cb;
		unsigned m = kan_ctl_counters_flatten(&nd.total, v);
		len = kan_ctl_resp_counters(out, sizeof(out), &req, v, m);
		assert_int_equal(kan_ctl_resp_decode(out, len, &d), KAN_CTL_OK);
		assert_int_equal(kan_ctl_resp_to_counters(&d, &c), 0);
		assert_memory_equal(&c, &nd.total, sizeof(c));
		/* an older kernel (fewer values): the rest read as 0 */
		unsigned few = rndn(m);
		len = kan_ctl_resp_counters(out, sizeof(out), &req, v, few);
		assert_int_equal(kan_ctl_resp_decode(out, len, &d), KAN_CTL_OK);
		assert_int_equal(kan_ctl_resp_to_counters(&d, &cb), 0);
		uint64_t vb[KAN_CTL_NCOUNTERS];
		assert_int_equal(kan_ctl_counters_flatten(&cb, vb), m);
		for (unsigned i = 0; i < m; i++)
			assert_int_equal(vb[i], i < few ? v[i] : 0);
		/* a newer kernel (more values): the extra ones are ignored */
		uint64_t vx[40];
		for (unsigned i = 0; i < 40; i++)
			vx[i] = i < m ? v[i] : rnd();
		len = kan_ctl_resp_counters(out, sizeof(out), &req, vx, 40);
		assert_int_equal(kan_ctl_resp_decode(out, len, &d), KAN_CTL_OK);
		assert_int_equal(kan_ctl_resp_to_counters(&d, &cb), 0);
		assert_memory_equal(&cb, &nd.total, sizeof(cb));
	}
	/* endpoints beyond 32 bits saturate */
	uint64_t v[KAN_CTL_NNODE] = {0};
	v[5] = 1ull << 40;
	size_t len = kan_ctl_resp_counters(out, sizeof(out), &req, v, KAN_CTL_NNODE);
	struct kan_ctl_resp d;
	struct hk_kan_node nd;
	assert_int_equal(kan_ctl_resp_decode(out, len, &d), KAN_CTL_OK);
	assert_int_equal(kan_ctl_resp_to_node(&d, &nd), 0);
	assert_int_equal(nd.endpoints, UINT32_MAX);
	/* not a COUNTERS response, or an error one */
	len = kan_ctl_resp_kill(out, sizeof(out), &req);
	assert_int_equal(kan_ctl_resp_decode(out, len, &d), KAN_CTL_OK);
	struct hk_kan_counters c;
	uint64_t x;
	assert_int_equal(kan_ctl_resp_to_counters(&d, &c), -HK_EINVAL);
	assert_int_equal(kan_ctl_resp_to_node(&d, &nd), -HK_EINVAL);
	assert_int_equal(kan_ctl_resp_value(&d, 0, &x), -HK_ENOENT);
	len = kan_ctl_resp_header(out, sizeof(out), KAN_CTL_COUNTERS, 1, HK_ENOENT);
	assert_int_equal(kan_ctl_resp_decode(out, len, &d), KAN_CTL_OK);
	assert_int_equal(kan_ctl_resp_to_counters(&d, &c), -HK_EINVAL);
	assert_int_equal(kan_ctl_resp_value(&d, 0, &x), -HK_ENOENT);
}

/* ---- PROCS -------------------------------------------------------------- */

static struct hk_addr entry_addr(unsigned i)
{
	struct hk_addr a = REF_PROC;
	a.b[12] = (uint8_t)(i >> 8);
	a.b[13] = (uint8_t)i;
	a.b[15] = (uint8_t)(i * 3);
	return a;
}

static void entry_name(unsigned i, char *name)
{
	unsigned n = 1 + i % 16;
	for (unsigned k = 0; k < n; k++)
		name[k] = name_chars[(i * 7 + k) % (sizeof(name_chars) - 1)];
	name[n] = '\0';
}

/* Fill a PROCS response at cap from cursor 100, entries until refused or
 * total; check the result and what a client reads back. */
static void procs_at_cap(size_t cap, unsigned total)
{
	struct kan_ctl_req req = req_simple(KAN_CTL_PROCS, 0xabcd, 100);
	uint8_t *b = buf_exact(NULL, cap);
	struct kan_ctl_procs pb;
	size_t room = cap < KAN_CTL_MAX ? cap : KAN_CTL_MAX;
	if (room < 56) {
		uint8_t *before = buf_exact(b, cap);
		assert_int_equal(kan_ctl_procs_begin(&pb, b, cap, &req), -HK_ENOBUFS);
		assert_int_equal(kan_ctl_procs_add(&pb, 100, 1, 2, &REF_PROC, "x"), 0);
		assert_int_equal(kan_ctl_procs_end(&pb, 1, 5), 0);
		assert_memory_equal(b, before, cap);
		buf_free(before, cap);
		buf_free(b, cap);
		return;
	}
	assert_int_equal(kan_ctl_procs_begin(&pb, b, cap, &req), 0);
	unsigned fit = (unsigned)((room - 16) / 40), added = 0;
	for (unsigned i = 0; i < total; i++) {
		char name[17];
		entry_name(i, name);
		struct hk_addr a = entry_addr(i);
		int ok = kan_ctl_procs_add(&pb, 100 + 2 * i, 1000 + i, i, &a, name);
		assert_int_equal(ok, i < fit);
		added += (unsigned)ok;
	}
	size_t len = kan_ctl_procs_end(&pb, 0, 0);
	assert_true(len <= room);
	assert_int_equal(len, 16 + 40 * (size_t)added);
	int more = total > fit;
	assert_int_equal(rd16(b + 8), added);
	assert_int_equal(rd16(b + 10), more ? KAN_CTL_MORE : 0);
	assert_int_equal(rd32(b + 12), more ? 100 + 2 * fit : 0);
	struct kan_ctl_resp d;
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(d.id, 0xabcd);
	assert_int_equal(d.procs.n, added);
	for (unsigned i = 0; i < added; i++) {
		struct kan_ctl_proc e;
		char name[17];
		entry_name(i, name);
		struct hk_addr a = entry_addr(i);
		assert_int_equal(kan_ctl_resp_proc(&d, i, &e), 0);
		assert_int_equal(e.pid, 1000 + i);
		assert_int_equal(e.ep, i);
		assert_memory_equal(e.addr.b, a.b, 16);
		assert_string_equal(e.name, name);
	}
	struct kan_ctl_proc e;
	assert_int_equal(kan_ctl_resp_proc(&d, added, &e), -HK_ENOENT);
	buf_free(b, cap);
}

static void test_procs_every_cap(void **state)
{
	(void)state;
	for (size_t cap = 0; cap <= KAN_CTL_MAX + 50; cap++) {
		procs_at_cap(cap, 40); /* more entries than ever fit */
		if (cap % 37 == 0)
			procs_at_cap(cap, 3);
	}
	procs_at_cap(4096, 40);
	procs_at_cap(4096, KAN_CTL_PROCS_PER_RESP);
	procs_at_cap(4096, 0);
	assert_int_equal(KAN_CTL_PROCS_PER_RESP, 30);
}

static void test_procs_more(void **state)
{
	(void)state;
	uint8_t b[KAN_CTL_MAX];
	struct kan_ctl_req req = req_simple(KAN_CTL_PROCS, 1, 0);
	struct kan_ctl_procs pb;
	struct kan_ctl_resp d;
	/* the caller stopping early says where to resume */
	assert_int_equal(kan_ctl_procs_begin(&pb, b, sizeof(b), &req), 0);
	assert_int_equal(kan_ctl_procs_add(&pb, 0, 1, 1, &REF_PROC, "a"), 1);
	size_t len = kan_ctl_procs_end(&pb, 1, 77);
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(d.procs.flags, KAN_CTL_MORE);
	assert_int_equal(d.procs.next, 77);
	/* a refused add wins over the caller's claim of nothing more */
	assert_int_equal(kan_ctl_procs_begin(&pb, b, 56, &req), 0);
	assert_int_equal(kan_ctl_procs_add(&pb, 5, 1, 1, &REF_PROC, "a"), 1);
	assert_int_equal(kan_ctl_procs_add(&pb, 6, 1, 1, &REF_PROC, "b"), 0);
	assert_int_equal(kan_ctl_procs_add(&pb, 9, 1, 1, &REF_PROC, "c"), 0); /* stays refused */
	len = kan_ctl_procs_end(&pb, 0, 0);
	assert_int_equal(len, 56);
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(d.procs.flags, KAN_CTL_MORE);
	assert_int_equal(d.procs.next, 6); /* the first entry not sent */
	len = kan_ctl_procs_end(&pb, 1, 1234);
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(d.procs.next, 6);
	/* nothing more: flags and next 0 */
	assert_int_equal(kan_ctl_procs_begin(&pb, b, sizeof(b), &req), 0);
	len = kan_ctl_procs_end(&pb, 0, 55);
	assert_int_equal(len, 16);
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(d.procs.n, 0);
	assert_int_equal(d.procs.flags, 0);
	assert_int_equal(d.procs.next, 0);
}

static void test_procs_names(void **state)
{
	(void)state;
	uint8_t b[KAN_CTL_MAX];
	struct kan_ctl_req req = req_simple(KAN_CTL_PROCS, 1, 0);
	struct kan_ctl_procs pb;
	assert_int_equal(kan_ctl_procs_begin(&pb, b, sizeof(b), &req), 0);
	/* a 16-byte name with no NUL, in a block of exactly 16 bytes */
	uint8_t *n16 = buf_exact("abcdefghijklmnop", 16);
	assert_int_equal(kan_ctl_procs_add(&pb, 0, 1, 1, &REF_PROC, (const char *)n16), 1);
	buf_free(n16, 16);
	/* longer names are cut at 16 */
	assert_int_equal(kan_ctl_procs_add(&pb, 1, 2, 2, &REF_PROC, "abcdefghijklmnopqrstuvw"), 1);
	/* what follows the NUL in the caller's buffer is not copied */
	uint8_t *junk = buf_exact("ab\0cdefg", 4);
	assert_int_equal(kan_ctl_procs_add(&pb, 2, 3, 3, &REF_PROC, (const char *)junk), 1);
	buf_free(junk, 4);
	assert_int_equal(kan_ctl_procs_add(&pb, 3, 4, 4, &REF_PROC, ""), 1);
	size_t len = kan_ctl_procs_end(&pb, 0, 0);
	struct kan_ctl_resp d;
	struct kan_ctl_proc e;
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(kan_ctl_resp_proc(&d, 0, &e), 0);
	assert_string_equal(e.name, "abcdefghijklmnop");
	assert_int_equal(kan_ctl_resp_proc(&d, 1, &e), 0);
	assert_string_equal(e.name, "abcdefghijklmnop");
	assert_int_equal(kan_ctl_resp_proc(&d, 2, &e), 0);
	assert_string_equal(e.name, "ab");
	for (int i = 2; i < 16; i++)
		assert_int_equal(b[16 + 2 * 40 + 24 + i], 0);
	assert_int_equal(kan_ctl_resp_proc(&d, 3, &e), 0);
	assert_string_equal(e.name, "");
	/* a client refuses garbage after the NUL */
	b[16 + 2 * 40 + 24 + 9] = 'z';
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(kan_ctl_resp_proc(&d, 2, &e), -HK_EINVAL);
	assert_int_equal(kan_ctl_resp_proc(&d, 1, &e), 0);
	/* entry accessors on other responses */
	len = kan_ctl_resp_kill(b, sizeof(b), &req);
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(kan_ctl_resp_proc(&d, 0, &e), -HK_ENOENT);
	len = kan_ctl_resp_header(b, sizeof(b), KAN_CTL_PROCS, 1, HK_EPERM);
	assert_int_equal(kan_ctl_resp_decode(b, len, &d), KAN_CTL_OK);
	assert_int_equal(kan_ctl_resp_proc(&d, 0, &e), -HK_ENOENT);
}

/* ---- response decoding -------------------------------------------------- */

static void test_resp_decode_classes(void **state)
{
	(void)state;
	uint8_t p[64];
	struct kan_ctl_resp d;
	static const uint8_t kill[] = {1, 4, 0, 0, 0, 0, 0, 9};
	for (size_t len = 0; len < 8; len++)
		assert_int_equal(resp_decode_copy(kill, len, &d), KAN_CTL_ESHORT);
	for (int v = 0; v < 256; v++) {
		memcpy(p, kill, 8);
		p[0] = (uint8_t)v;
		assert_int_equal(resp_decode_copy(p, 8, &d),
		                 v == 1 ? KAN_CTL_OK : KAN_CTL_EVERSION);
	}
	/* unknown op: an error only when the status says ok */
	for (int op = 0; op < 256; op++) {
		memset(p, 0, sizeof(p));
		p[0] = 1;
		p[1] = (uint8_t)op;
		int want = ref_resp_class(p, 8);
		if (op < 1 || op > KAN_CTL_OP_MAX)
			assert_int_equal(want, KAN_CTL_EOP);
		assert_int_equal(resp_decode_copy(p, 8, &d), want);
		wr16(p + 2, HK_ENOSYS);
		assert_int_equal(resp_decode_copy(p, 8, &d), KAN_CTL_OK);
		assert_int_equal(resp_decode_copy(p, 9, &d), KAN_CTL_ELENGTH); /* no body */
		assert_int_equal(resp_decode_copy(p, 12, &d), KAN_CTL_ELENGTH);
	}
	/* COUNTERS: count and length must agree; pad must be 0 */
	memset(p, 0, sizeof(p));
	p[0] = 1;
	p[1] = KAN_CTL_COUNTERS;
	for (unsigned count = 0; count < 8; count++) {
		wr16(p + 8, count);
		for (size_t len = 8; len <= 64; len++)
			assert_int_equal(resp_decode_copy(p, len, &d),
			                 len == 12 + 8 * count ? KAN_CTL_OK : KAN_CTL_ELENGTH);
	}
	wr16(p + 8, 0xffff);
	assert_int_equal(resp_decode_copy(p, 64, &d), KAN_CTL_ELENGTH);
	wr16(p + 8, 1);
	wr16(p + 10, 0x8000);
	assert_int_equal(resp_decode_copy(p, 20, &d), KAN_CTL_ERESERVED);
	/* PROCS */
	memset(p, 0, sizeof(p));
	p[0] = 1;
	p[1] = KAN_CTL_PROCS;
	for (size_t len = 8; len <= 64; len++)
		assert_int_equal(resp_decode_copy(p, len, &d),
		                 len == 16 ? KAN_CTL_OK : KAN_CTL_ELENGTH);
	wr16(p + 8, 1);
	assert_int_equal(resp_decode_copy(p, 56, &d), KAN_CTL_OK);
	assert_int_equal(resp_decode_copy(p, 16, &d), KAN_CTL_ELENGTH);
	for (int bit = 1; bit < 16; bit++) {
		wr16(p + 10, 1u << bit | 1u);
		assert_int_equal(resp_decode_copy(p, 56, &d), KAN_CTL_ERESERVED);
	}
	wr16(p + 10, 0);
	wr32(p + 12, 5); /* a cursor without MORE */
	assert_int_equal(resp_decode_copy(p, 56, &d), KAN_CTL_ERESERVED);
	wr16(p + 10, KAN_CTL_MORE);
	assert_int_equal(resp_decode_copy(p, 56, &d), KAN_CTL_OK);
	/* SPAWN and KILL bodies are exact */
	memset(p, 0, sizeof(p));
	p[0] = 1;
	p[1] = KAN_CTL_SPAWN;
	for (size_t len = 8; len <= 20; len++)
		assert_int_equal(resp_decode_copy(p, len, &d),
		                 len == 12 ? KAN_CTL_OK : KAN_CTL_ELENGTH);
	p[1] = KAN_CTL_KILL;
	for (size_t len = 8; len <= 20; len++)
		assert_int_equal(resp_decode_copy(p, len, &d),
		                 len == 8 ? KAN_CTL_OK : KAN_CTL_ELENGTH);
	/* CAPTURE (8 bytes) and PIPE (none) too */
	memset(p, 0xff, sizeof(p));
	wr32(p, 0x01050000);
	for (size_t len = 8; len <= 24; len++) {
		assert_int_equal(ref_resp_class(p, len), len == 16 ? KAN_CTL_OK : KAN_CTL_ELENGTH);
		assert_int_equal(resp_decode_copy(p, len, &d),
		                 len == 16 ? KAN_CTL_OK : KAN_CTL_ELENGTH);
	}
	p[1] = KAN_CTL_PIPE;
	for (size_t len = 8; len <= 24; len++) {
		assert_int_equal(ref_resp_class(p, len), len == 8 ? KAN_CTL_OK : KAN_CTL_ELENGTH);
		assert_int_equal(resp_decode_copy(p, len, &d),
		                 len == 8 ? KAN_CTL_OK : KAN_CTL_ELENGTH);
	}
}

/* Build one valid response of each shape into p; returns its length. */
static size_t some_response(unsigned which, uint8_t *p, size_t cap)
{
	struct kan_ctl_req req = req_counters(rnd() & 0xffffffff, 1, 0);
	switch (which % 8) {
	case 0: {
		uint64_t v[KAN_CTL_NNODE];
		for (unsigned i = 0; i < KAN_CTL_NNODE; i++)
			v[i] = rnd() >> rndn(64);
		return kan_ctl_resp_counters(p, cap, &req, v, rndn(KAN_CTL_NNODE + 1));
	}
	case 1: {
		struct kan_ctl_procs pb;
		assert_int_equal(kan_ctl_procs_begin(&pb, p, cap, &req), 0);
		unsigned n = rndn(5);
		for (unsigned i = 0; i < n; i++) {
			char name[17];
			entry_name((unsigned)rnd(), name);
			struct hk_addr a = entry_addr(i);
			kan_ctl_procs_add(&pb, i, (uint32_t)rnd(), i, &a, name);
		}
		int more = (int)rndn(2);
		return kan_ctl_procs_end(&pb, more, more ? (uint32_t)rnd() : 0);
	}
	case 2: return kan_ctl_resp_spawn(p, cap, &req, (uint32_t)rnd());
	case 3: return kan_ctl_resp_kill(p, cap, &req);
	case 4: return kan_ctl_resp_header(p, cap, (uint8_t)rnd(), (uint32_t)rnd(), 1 + rndn(22));
	case 5: return kan_ctl_resp_capture(p, cap, &req, (uint32_t)rnd(), (uint32_t)rnd());
	case 6: return kan_ctl_resp_pipe(p, cap, &req);
	default: return kan_ctl_resp_error(p, cap, &req, HK_ENOENT);
	}
}

/* Rebuild the response d decoded from, with the kernel's builders. */
static size_t rebuild(const struct kan_ctl_resp *d, uint8_t *p, size_t cap)
{
	struct kan_ctl_req req;
	memset(&req, 0, sizeof(req));
	req.op = d->op;
	req.id = d->id;
	if (d->status)
		return kan_ctl_resp_error(p, cap, &req, d->status);
	switch (d->op) {
	case KAN_CTL_COUNTERS: {
		uint64_t v[200];
		for (unsigned i = 0; i < d->counters.count; i++)
			assert_int_equal(kan_ctl_resp_value(d, i, &v[i]), 0);
		return kan_ctl_resp_counters(p, cap, &req, v, d->counters.count);
	}
	case KAN_CTL_PROCS: {
		struct kan_ctl_procs pb;
		assert_int_equal(kan_ctl_procs_begin(&pb, p, cap, &req), 0);
		for (unsigned i = 0; i < d->procs.n; i++) {
			struct kan_ctl_proc e;
			if (kan_ctl_resp_proc(d, i, &e))
				return 0; /* not canonical: name padding */
			assert_int_equal(kan_ctl_procs_add(&pb, i, e.pid, e.ep, &e.addr, e.name),
			                 1);
		}
		return kan_ctl_procs_end(&pb, d->procs.flags & KAN_CTL_MORE, d->procs.next);
	}
	case KAN_CTL_SPAWN: return kan_ctl_resp_spawn(p, cap, &req, d->spawn.pid);
	case KAN_CTL_CAPTURE:
		return kan_ctl_resp_capture(p, cap, &req, d->capture.copied, d->capture.dropped);
	case KAN_CTL_PIPE: return kan_ctl_resp_pipe(p, cap, &req);
	default: return kan_ctl_resp_kill(p, cap, &req);
	}
}

static void test_resp_truncations(void **state)
{
	(void)state;
	rng_state = 0x7472756e63;
	for (unsigned which = 0; which < 60; which++) {
		uint8_t p[KAN_CTL_MAX + 8];
		size_t n = some_response(which, p, KAN_CTL_MAX);
		assert_true(n >= 8);
		for (size_t t = 0; t <= n + 9 && t <= sizeof(p); t++) {
			if (t > n)
				p[t - 1] = 0;
			struct kan_ctl_resp d;
			int want = ref_resp_class(p, t);
			if (t < 8)
				assert_int_equal(want, KAN_CTL_ESHORT);
			else if (t != n)
				assert_int_equal(want, KAN_CTL_ELENGTH);
			assert_int_equal(resp_decode_copy(p, t, &d), want);
		}
	}
}

/* ---- mutation loops ----------------------------------------------------- */

/*
 * 1-3 random mutations of p[0..*n) (capacity cap): flip a bit, write a small
 * value (0..5, only below small_upto), truncate, append, or overwrite a byte.
 */
static void mutate(uint8_t *p, size_t *n, size_t cap, size_t small_upto)
{
	unsigned muts = 1 + rndn(3);
	for (unsigned m = 0; m < muts; m++) {
		unsigned at = rndn((unsigned)*n + 1);
		switch (rndn(5)) {
		case 0:
			if (at < *n)
				p[at] ^= (uint8_t)(1u << rndn(8));
			break;
		case 1:
			if (at < *n && at < small_upto)
				p[at] = (uint8_t)rndn(6);
			break;
		case 2: *n = rndn((unsigned)*n + 1); break;
		case 3:
			if (*n < cap)
				p[(*n)++] = (uint8_t)rnd();
			break;
		default:
			if (at < *n)
				p[at] = (uint8_t)rnd();
			break;
		}
	}
}

static void test_req_mutations(void **state)
{
	(void)state;
	rng_state = 0x6d75745f726571;
	int seen[KAN_CTL_ERR_COUNT] = {0};
	for (int it = 0; it < 100000; it++) {
		uint8_t p[56] = {0};
		struct kan_ctl_req r;
		switch (rndn(6)) {
		case 0: r = req_counters((uint32_t)rnd(), (uint8_t)rndn(3), (uint32_t)rnd()); break;
		case 1: r = req_simple(KAN_CTL_PROCS, (uint32_t)rnd(), (uint32_t)rnd()); break;
		case 2: {
			char name[17];
			entry_name((unsigned)rnd(), name);
			r = req_spawn((uint32_t)rnd(), name);
			break;
		}
		case 3: r = req_simple(KAN_CTL_KILL, (uint32_t)rnd(), (uint32_t)rnd()); break;
		case 4:
			r = req_capture((uint32_t)rnd(), rndn(4) ? (uint32_t)rnd() : KAN_CAP_STOP,
			                (uint32_t)rnd(),
			                (uint16_t)(KAN_CAP_SNAP_MIN +
			                           rndn(KAN_CAP_SNAP_MAX - KAN_CAP_SNAP_MIN + 1)));
			break;
		default: {
			char name[25];
			uint8_t st[8];
			unsigned len = 1 + rndn(24);
			for (unsigned k = 0; k < len; k++)
				name[k] = name_chars[rndn(sizeof(name_chars) - 1)];
			name[len] = '\0';
			for (unsigned k = 0; k < 8; k++)
				st[k] = (uint8_t)rnd();
			r = req_pipe((uint32_t)rnd(), name, 2 + rndn(7), st);
			break;
		}
		}
		size_t n = kan_ctl_req_encode(&r, p, sizeof(p));
		assert_true(n > 8);
		mutate(p, &n, sizeof(p), sizeof(p)); /* small values anywhere: ops, kinds, NULs */
		struct kan_ctl_req d;
		int want = ref_req_class(p, n);
		seen[want]++;
		assert_int_equal(req_decode_copy(p, n, &d), want);
		if (want == KAN_CTL_OK) { /* canonical: it re-encodes to the same bytes */
			uint8_t q[56];
			assert_int_equal(kan_ctl_req_encode(&d, q, sizeof(q)), n);
			assert_memory_equal(q, p, n);
		}
	}
	for (int e = 0; e < KAN_CTL_ERR_COUNT; e++)
		assert_true(seen[e] > 0);
}

static void test_resp_mutations(void **state)
{
	(void)state;
	rng_state = 0x6d75745f72657370;
	int seen[KAN_CTL_ERR_COUNT] = {0};
	for (int it = 0; it < 60000; it++) {
		uint8_t p[KAN_CTL_MAX + 8];
		size_t n = some_response((unsigned)rnd(), p, KAN_CTL_MAX);
		mutate(p, &n, sizeof(p), 16); /* small values in the header and counts */
		struct kan_ctl_resp d;
		int want = ref_resp_class(p, n);
		seen[want]++;
		uint8_t *b = buf_exact(p, n);
		assert_int_equal(kan_ctl_resp_decode(b, n, &d), want);
		if (want == KAN_CTL_OK) {
			uint8_t q[KAN_CTL_MAX + 8];
			size_t m = rebuild(&d, q, sizeof(q));
			if (m) {
				assert_int_equal(m, n);
				assert_memory_equal(q, p, n);
			}
		}
		buf_free(b, n);
	}
	assert_true(seen[KAN_CTL_OK] && seen[KAN_CTL_ESHORT] && seen[KAN_CTL_EVERSION] &&
	            seen[KAN_CTL_EOP] && seen[KAN_CTL_ELENGTH] && seen[KAN_CTL_ERESERVED]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_req_wire_layout),    cmocka_unit_test(test_req_names),
	    cmocka_unit_test(test_req_encode_invalid), cmocka_unit_test(test_req_decode_classes),
	    cmocka_unit_test(test_req_truncations),    cmocka_unit_test(test_err_status),
	    cmocka_unit_test(test_resp_small),         cmocka_unit_test(test_counters_order),
	    cmocka_unit_test(test_counters_resp),      cmocka_unit_test(test_counters_structs),
	    cmocka_unit_test(test_procs_every_cap),    cmocka_unit_test(test_procs_more),
	    cmocka_unit_test(test_procs_names),        cmocka_unit_test(test_resp_decode_classes),
	    cmocka_unit_test(test_resp_truncations),   cmocka_unit_test(test_req_mutations),
	    cmocka_unit_test(test_resp_mutations),     cmocka_unit_test(test_capture_req),
	    cmocka_unit_test(test_pipe_req),           cmocka_unit_test(test_pipe_names),
	    cmocka_unit_test(test_capture_pipe_resp),  cmocka_unit_test(test_cap_rec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
