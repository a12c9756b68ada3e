// SPDX-License-Identifier: BSD-2-Clause
/*
 * Neighbour discovery (net/ndp.c). Builders: byte for byte against
 * layouts written out from RFC 4861 4.2-4.4/4.6 and RFC 4191 2.3, every
 * capacity up to the size (0 and nothing written below it), checksums by
 * the reference of kan_ref.h, arguments pointing into the buffer, invalid
 * RA configurations, and every result parsed back. Parser: every validity
 * rule broken on its own with the checksum fixed, truncation at every
 * length, option handling, and a mutation loop judged by a model
 * validator written from the RFC's lists. Packets sit in exact-size ASan
 * blocks; *out is checked untouched on every refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <kan/ipv6.h>
#include <net/drop.h>
#include <net/eth.h>
#include <net/icmp6.h>
#include <net/ip6.h>
#include <net/ndp.h>

#include "kan_ref.h"
#include "rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct net_mac MAC = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
static const struct net_mac HOSTMAC = {{0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}};
static const struct hk_addr LL = {/* fe80::5054:ff:fe12:3456 */
                                  {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12,
                                   0x34, 0x56}};
static const struct hk_addr HOST_LL = {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};
static const struct hk_addr ROUTER = {/* fd00:6b61:6e00:ff::2 */
                                      {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0xff, 0, 0, 0, 0,
                                       0, 0, 0, 0x02}};
static const struct hk_addr HOST = {
    {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x01}};
static const struct hk_addr ALL_NODES = {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
static const struct hk_addr ALL_ROUTERS = {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
static const struct hk_addr UNSPEC = {{0}};
static const struct hk_addr SNM_ROUTER = {/* ff02::1:ff00:2 */
                                          {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x00,
                                           0x00, 0x02}};

/* ---- building packets by hand ------------------------------------------- */

/* An IPv6 packet at ip: header src -> dst with hop limit 255 around the
 * message msg[0..mlen) (its checksum field set by the reference). */
static size_t wrap(uint8_t *ip, const struct hk_addr *src, const struct hk_addr *dst,
                   const uint8_t *msg, size_t mlen)
{
	memmove(ip + 40, msg, mlen);
	ref_ip6(ip, 40 + mlen, 58, src, dst);
	ip[7] = 255;
	if (mlen >= 4) {
		wr16(ip + 42, 0);
		wr16(ip + 42, ref_csum(src, dst, 58, ip + 40, mlen));
	}
	return 40 + mlen;
}

/* Re-sum a packet after an edit (lengths as they are). */
static void resum(uint8_t *ip, size_t off, size_t mlen)
{
	struct hk_addr s, d;
	memcpy(s.b, ip + 8, 16);
	memcpy(d.b, ip + 24, 16);
	wr16(ip + off + 2, 0);
	wr16(ip + off + 2, ref_csum(&s, &d, 58, ip + off, mlen));
}

/* An option at o: type t, len units, the MAC (or a pattern). Returns the bytes. */
static size_t opt(uint8_t *o, uint8_t t, uint8_t units, const struct net_mac *mac)
{
	memset(o, 0x3c, 8u * units);
	o[0] = t;
	o[1] = units;
	if (mac)
		memcpy(o + 2, mac->b, 6);
	return 8u * units;
}

/* A Route Information option at o: units long, prefix length plen, the
 * flags byte, lifetime 0, pattern prefix. Returns the bytes. */
static size_t rio(uint8_t *o, uint8_t units, uint8_t plen, uint8_t flags)
{
	size_t n = opt(o, 24, units, NULL);
	o[2] = plen;
	o[3] = flags;
	wr32(o + 4, 0);
	return n;
}

/* The fixed part of each message into m; returns its length. */
static size_t fixed_ns_na(uint8_t *m, uint8_t type, uint8_t flags, const struct hk_addr *target)
{
	memset(m, 0, 24);
	m[0] = type;
	m[4] = flags;
	memcpy(m + 8, target->b, 16);
	return 24;
}

static size_t fixed_rs(uint8_t *m)
{
	memset(m, 0, 8);
	m[0] = 133;
	return 8;
}

static size_t fixed_ra(uint8_t *m)
{
	memset(m, 0, 16);
	m[0] = 134;
	m[4] = 64;
	wr16(m + 6, 1800);
	return 16;
}

/* ---- the model ---------------------------------------------------------- */

/* RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2 as lists, for a packet that passed
 * net_ip6_check into *in. */
static int model_ndp(const uint8_t *ip, const struct net_ip6_info *in)
{
	const uint8_t *m = ip + in->l4_off;
	size_t ml = in->l4_len;
	if (in->proto != 58 || ml < 1 || m[0] < 133 || m[0] > 136)
		return NET_DROP_UNHANDLED;
	static const size_t mins[] = {8, 16, 24, 24};
	if (ml < 4 || ml < mins[m[0] - 133])
		return NET_DROP_ICMP_LENGTH;
	struct hk_addr s, d;
	memcpy(s.b, ip + 8, 16);
	memcpy(d.b, ip + 24, 16);
	if (ref_csum(&s, &d, 58, m, ml) != 0)
		return NET_DROP_ICMP_CHECKSUM;
	int bad = ip[7] != 255 || m[1] != 0 || in->frag;
	int has_slla = 0;
	for (size_t pos = mins[m[0] - 133]; pos < ml && !bad; pos += 8u * m[pos + 1]) {
		if (pos + 2 > ml || m[pos + 1] == 0 || pos + 8u * m[pos + 1] > ml)
			bad = 1;
		else if (m[pos] == 1)
			has_slla = 1;
	}
	int from_unspec = 1;
	for (int i = 0; i < 16; i++)
		from_unspec &= s.b[i] == 0;
	static const uint8_t snm[13] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	switch (m[0]) {
	case 133: bad |= from_unspec && has_slla; break;
	case 134: bad |= !(s.b[0] == 0xfe && (s.b[1] & 0xc0) == 0x80); break;
	case 135:
		bad |= m[8] == 0xff;
		bad |= from_unspec && (has_slla || memcmp(d.b, snm, 13) != 0);
		break;
	default: bad |= m[8] == 0xff || (d.b[0] == 0xff && (m[4] & 0x40)); break;
	}
	return bad ? NET_DROP_NDP_INVALID : NET_PASS;
}

/* net_ip6_check then net_ndp_parse on an exact copy, judged by the model;
 * *out untouched on a refusal. */
static int parse_copy(const uint8_t *ip, size_t len, struct net_ndp *nd)
{
	uint8_t *b = buf_exact(ip, len);
	struct net_ip6_info in;
	int rc = net_ip6_check(b, len, &in);
	if (rc == NET_PASS) {
		struct net_ndp out, sentinel;
		memset(&out, 0x6d, sizeof(out));
		memcpy(&sentinel, &out, sizeof(out));
		rc = net_ndp_parse(b, &in, &out);
		assert_int_equal(rc, model_ndp(ip, &in));
		if (rc != NET_PASS)
			assert_memory_equal(&out, &sentinel, sizeof(out));
		else if (nd)
			*nd = out;
	}
	buf_free(b, len);
	return rc;
}

/* Field by field: the structs have padding. */
static void assert_cfg_equal(const struct net_ra_cfg *a, const struct net_ra_cfg *b)
{
	assert_int_equal(a->cur_hop_limit, b->cur_hop_limit);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->router_lifetime, b->router_lifetime);
	assert_int_equal(a->reachable_time, b->reachable_time);
	assert_int_equal(a->retrans_timer, b->retrans_timer);
	assert_int_equal(a->mtu, b->mtu);
	assert_int_equal(a->n_prefixes, b->n_prefixes);
	for (unsigned i = 0; i < a->n_prefixes; i++) {
		const struct net_ra_prefix *p = &a->prefix[i], *q = &b->prefix[i];
		assert_int_equal(p->rio, q->rio);
		assert_int_equal(p->len, q->len);
		assert_int_equal(p->flags, q->flags);
		assert_int_equal(p->valid, q->valid);
		assert_int_equal(p->preferred, q->preferred);
		assert_memory_equal(p->prefix.b, q->prefix.b, 16);
	}
}

/* ---- builders ----------------------------------------------------------- */

/*
 * Run a builder through every capacity from 0 to want + 8 on exact-size
 * buffers: 0 and an untouched buffer below want, want above; the result
 * must equal exp[0..want). build(buf, cap) wraps the builder under test.
 */
static void caps_check(size_t (*build)(uint8_t *, size_t), const uint8_t *exp, size_t want)
{
	for (size_t cap = 0; cap <= want + 8; cap++) {
		uint8_t *b = buf_exact(NULL, cap);
		size_t n = build(b, cap);
		if (cap < want) {
			assert_int_equal(n, 0);
			for (size_t i = 0; i < cap; i++)
				assert_int_equal(b[i], 0xa5);
		} else {
			assert_int_equal(n, want);
			assert_memory_equal(b, exp, want);
			assert_true(ref_csum_ok(b, n));
		}
		buf_free(b, cap);
	}
}

static uint8_t g_flags;
static const struct net_mac *g_lla;

static size_t build_na_solicited(uint8_t *b, size_t cap)
{
	return net_ndp_build_na(b, cap, &ROUTER, &HOST, &ROUTER, g_lla, g_flags);
}

/*
 * The NS or NA (type) with flags, target ROUTER, src -> dst and lla as its
 * link-layer address option written out by hand, then build() through
 * every capacity, then the result parsed back.
 */
static void ns_na_case(uint8_t type, uint8_t flags, const struct hk_addr *src,
                       const struct hk_addr *dst, const struct net_mac *lla,
                       size_t (*build)(uint8_t *, size_t))
{
	uint8_t exp[100], m[40];
	size_t ml = fixed_ns_na(m, type, flags, &ROUTER);
	if (lla)
		ml += opt(m + ml, type == 136 ? 2 : 1, 1, lla);
	size_t n = wrap(exp, src, dst, m, ml);
	caps_check(build, exp, n);
	struct net_ndp nd;
	assert_int_equal(parse_copy(exp, n, &nd), NET_PASS);
	assert_int_equal(nd.type, type);
	assert_int_equal(nd.na_flags, flags);
	assert_memory_equal(nd.target.b, ROUTER.b, 16);
	assert_int_equal(nd.has_lla, lla != NULL);
	if (lla)
		assert_true(net_mac_eq(&nd.lla, lla));
}

static void test_build_na(void **state)
{
	(void)state;
	for (unsigned flags = 0; flags < 256; flags++) {
		for (int with = 0; with < 2; with++) {
			g_flags = (uint8_t)flags;
			g_lla = with ? &MAC : NULL;
			ns_na_case(136, (uint8_t)(flags & 0xe0), &ROUTER, &HOST, g_lla,
			           build_na_solicited);
		}
	}
	/* unsolicited, to all nodes: the S flag would make it invalid */
	uint8_t ip[100];
	size_t n = net_ndp_build_na(ip, sizeof(ip), &ROUTER, &ALL_NODES, &ROUTER, &MAC,
	                            NET_NA_OVERRIDE | NET_NA_ROUTER);
	assert_int_equal(parse_copy(ip, n, NULL), NET_PASS);
	n = net_ndp_build_na(ip, sizeof(ip), &ROUTER, &ALL_NODES, &ROUTER, &MAC, NET_NA_SOLICITED);
	assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_NDP_INVALID);
}

static size_t build_ns(uint8_t *b, size_t cap)
{
	return net_ndp_build_ns(b, cap, &HOST, &ROUTER, g_lla);
}

static size_t build_ns_dad(uint8_t *b, size_t cap)
{
	return net_ndp_build_ns(b, cap, &UNSPEC, &ROUTER, g_lla);
}

static void test_build_ns(void **state)
{
	(void)state;
	for (int with = 0; with < 2; with++) {
		g_lla = with ? &HOSTMAC : NULL;
		ns_na_case(135, 0, &HOST, &SNM_ROUTER, g_lla, build_ns);
		/* duplicate address detection: from ::, never an option */
		ns_na_case(135, 0, &UNSPEC, &SNM_ROUTER, NULL, build_ns_dad);
	}
}

/* Arguments inside the buffer being written: an NA answering the NS in
 * the same buffer, its addresses and target taken from the NS itself. */
static void test_build_aliasing(void **state)
{
	(void)state;
	uint8_t *b = buf_exact(NULL, 200);
	size_t n = net_ndp_build_ns(b, 200, &HOST, &ROUTER, &HOSTMAC);
	assert_int_equal(n, 72);
	const struct hk_addr *src = (const struct hk_addr *)(b + 8);
	const struct hk_addr *target = (const struct hk_addr *)(b + 48);
	const struct net_mac *lla = (const struct net_mac *)(b + 66);
	assert_true(net_mac_eq(lla, &HOSTMAC));
	/* answer from the target to the NS's source, the MAC read from the NS */
	n = net_ndp_build_na(b, 200, target, src, target, lla, NET_NA_SOLICITED);
	assert_int_equal(n, 72);
	uint8_t exp[100], m[40];
	size_t ml = fixed_ns_na(m, 136, NET_NA_SOLICITED, &ROUTER);
	ml += opt(m + ml, 2, 1, &HOSTMAC);
	assert_int_equal(wrap(exp, &ROUTER, &HOST, m, ml), 72);
	assert_memory_equal(b, exp, 72);
	/* an NS whose target is its own source field */
	n = net_ndp_build_ns(b, 200, (const struct hk_addr *)(b + 8),
	                     (const struct hk_addr *)(b + 8), NULL);
	assert_int_equal(n, 64);
	ml = fixed_ns_na(m, 135, 0, &ROUTER);
	wrap(exp, &ROUTER, &SNM_ROUTER, m, ml);
	assert_memory_equal(b, exp, 64);
	/* an RA whose config and MAC sit in the buffer */
	struct net_ra_cfg cfg = {.cur_hop_limit = 64, .router_lifetime = 600, .mtu = 1500};
	memcpy(b + 8, LL.b, 16);
	memcpy(b + 60, MAC.b, 6); /* where the RA's own LLA option goes */
	n = net_ndp_build_ra(b, 200, (const struct hk_addr *)(b + 8), &ALL_NODES,
	                     (const struct net_mac *)(b + 60), &cfg);
	assert_int_equal(n, 40 + 16 + 8 + 8);
	struct net_ndp nd;
	assert_int_equal(parse_copy(b, n, &nd), NET_PASS);
	assert_true(net_mac_eq(&nd.lla, &MAC));
	assert_int_equal(nd.ra.mtu, 1500);
	buf_free(b, 200);
}

/* One RA written out byte by byte from RFC 4861 4.2, 4.6.1, 4.6.2, 4.6.4
 * and RFC 4191 2.3. */
static const uint8_t RA_BYTES[] = {
    134,  0,    0,    0,    64,   0x88, 0x07, 0x08, /* type, code, csum, hop, M|Prf high, 1800 */
    0,    0,    0x75, 0x30, 0,    0,    0x03, 0xe8, /* reachable 30000, retrans 1000 */
    1,    1,    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* source link-layer address */
    5,    1,    0,    0,    0,    0,    0x05, 0xdc, /* MTU 1500 */
    3,    4,    64,   0xc0, 0,    1,    0x51, 0x80, /* PIO /64, L A, valid 86400 */
    0,    0,    0x38, 0x40, 0,    0,    0,    0,    /* preferred 14400, reserved */
    0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0xff, 0,  0, 0, 0,    0, 0, 0,    0,    24,
    2,    48,   0x08, 0,    0,    0x07, 0x08, /* RIO /48 high, 1800 */
    0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0,    0,    24, 1, 0, 0x18, 0, 0, 0x02, 0x58, /* RIO ::/0
                                                                                         low, 600 */
    24,   3,    127,  0,    0xff, 0xff, 0xff, 0xff, /* RIO /127 medium, forever */
    0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0,  0, 0, 0,    0, 0, 0x12, 0x34,
};

static struct net_ra_cfg ra_example(void)
{
	struct net_ra_cfg c = {
	    .cur_hop_limit = 64,
	    .flags = NET_RA_MANAGED | NET_RA_PREF(NET_PREF_HIGH),
	    .router_lifetime = 1800,
	    .reachable_time = 30000,
	    .retrans_timer = 1000,
	    .mtu = 1500,
	    .n_prefixes = 4,
	};
	c.prefix[0] =
	    (struct net_ra_prefix){0, 64, NET_PIO_ONLINK | NET_PIO_AUTO, 86400, 14400, HOST};
	c.prefix[1] = (struct net_ra_prefix){1, 48, NET_PREF_HIGH, 1800, 0, HOST};
	c.prefix[2] = (struct net_ra_prefix){1, 0, NET_PREF_LOW, 600, 0, HOST};
	c.prefix[3] = (struct net_ra_prefix){1, 127, NET_PREF_MEDIUM, 0xffffffff, 0, REF_REMOTE};
	c.prefix[3].prefix.b[15] = 0x35; /* past /127: cleared */
	return c;
}

static size_t build_ra_example(uint8_t *b, size_t cap)
{
	struct net_ra_cfg c = ra_example();
	return net_ndp_build_ra(b, cap, &LL, &ALL_NODES, &MAC, &c);
}

static void test_build_ra_bytes(void **state)
{
	(void)state;
	uint8_t exp[200];
	size_t n = wrap(exp, &LL, &ALL_NODES, RA_BYTES, sizeof(RA_BYTES));
	caps_check(build_ra_example, exp, n);
	struct net_ndp nd;
	assert_int_equal(parse_copy(exp, n, &nd), NET_PASS);
	struct net_ra_cfg c = ra_example();
	c.prefix[0].prefix.b[15] = 0; /* what a parse reports: bits past the length clear */
	memset(c.prefix[1].prefix.b + 6, 0, 10);
	memset(c.prefix[2].prefix.b, 0, 16);
	c.prefix[3].prefix.b[15] = 0x34;
	assert_int_equal(nd.type, 134);
	assert_true(net_mac_eq(&nd.lla, &MAC));
	assert_cfg_equal(&nd.ra, &c);
	/* invalid configurations build nothing */
	uint8_t ip[300];
	static const size_t bad_n[] = {5, 255};
	for (size_t k = 0; k < ARRAY_LEN(bad_n); k++) {
		c = ra_example();
		c.n_prefixes = (uint8_t)bad_n[k];
		assert_int_equal(net_ndp_build_ra(ip, sizeof(ip), &LL, &ALL_NODES, &MAC, &c), 0);
	}
	for (int i = 0; i < 4; i++) {
		c = ra_example();
		c.prefix[i].len = 129;
		assert_int_equal(net_ndp_build_ra(ip, sizeof(ip), &LL, &ALL_NODES, &MAC, &c), 0);
		c.prefix[i].len = 128;
		assert_int_not_equal(net_ndp_build_ra(ip, sizeof(ip), &LL, &ALL_NODES, &MAC, &c),
		                     0);
	}
	for (unsigned pref = 0; pref < 256; pref++) {
		c = ra_example();
		c.prefix[1].flags = (uint8_t)pref;
		size_t r = net_ndp_build_ra(ip, sizeof(ip), &LL, &ALL_NODES, &MAC, &c);
		assert_int_equal(r != 0, pref <= 3 && pref != NET_PREF_RESERVED);
	}
	/* no options at all */
	c = (struct net_ra_cfg){0};
	n = net_ndp_build_ra(ip, sizeof(ip), &LL, &ALL_NODES, NULL, &c);
	assert_int_equal(n, 56);
	assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
	assert_int_equal(nd.has_lla, 0);
	assert_int_equal(nd.ra.n_prefixes, 0);
}

/* A random valid RA configuration. */
static struct net_ra_cfg rand_cfg(void)
{
	struct net_ra_cfg c;
	memset(&c, 0, sizeof(c));
	c.cur_hop_limit = (uint8_t)rnd();
	c.flags = (uint8_t)rnd();
	c.router_lifetime = (uint16_t)rnd();
	c.reachable_time = (uint32_t)rnd();
	c.retrans_timer = (uint32_t)rnd();
	c.mtu = rndn(2) ? (uint32_t)rnd() : 0;
	c.n_prefixes = (uint8_t)rndn(5);
	for (unsigned i = 0; i < c.n_prefixes; i++) {
		struct net_ra_prefix *p = &c.prefix[i];
		p->rio = (uint8_t)rndn(2);
		p->len = (uint8_t)rndn(129);
		p->valid = (uint32_t)rnd();
		p->preferred = p->rio ? 0 : (uint32_t)rnd();
		p->flags =
		    p->rio ? (uint8_t)(rndn(2) ? NET_PREF_LOW : rndn(2)) : (uint8_t)(rnd() & 0xc0);
		for (int k = 0; k < 16; k++)
			p->prefix.b[k] = (uint8_t)rnd();
	}
	return c;
}

/* Clear the bits of a past len, the plain way: bit by bit. */
static void clear_past(struct hk_addr *a, unsigned len)
{
	for (unsigned bit = len; bit < 128; bit++)
		a->b[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

static void test_ra_round_trip(void **state)
{
	(void)state;
	rng_state = 0x72612d7274ull;
	uint8_t ip[300];
	for (int it = 0; it < 20000; it++) {
		struct net_ra_cfg c = rand_cfg();
		const struct net_mac *lla = rndn(2) ? &MAC : NULL;
		size_t n =
		    net_ndp_build_ra(ip, sizeof(ip), &LL, rndn(2) ? &ALL_NODES : &HOST_LL, lla, &c);
		size_t want = 56 + (lla ? 8 : 0) + (c.mtu ? 8 : 0);
		for (unsigned i = 0; i < c.n_prefixes; i++) {
			unsigned plen = c.prefix[i].len;
			want += c.prefix[i].rio ? (plen == 0 ? 8 : plen <= 64 ? 16 : 24) : 32;
		}
		assert_int_equal(n, want);
		assert_true(ref_csum_ok(ip, n));
		struct net_ndp nd;
		assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
		for (unsigned i = 0; i < c.n_prefixes; i++)
			clear_past(&c.prefix[i].prefix, c.prefix[i].len);
		assert_cfg_equal(&nd.ra, &c);
		assert_int_equal(nd.has_lla, lla != NULL);
	}
}

/* ---- parser: every rule broken on its own ------------------------------- */

/* Valid messages of each type with options (packet into ip; returns its
 * length): an RS with a source LLA, an RA with LLA, an NS with LLA, an NA
 * with a target LLA, each with an unknown option too. */
static size_t valid_msg(uint8_t *ip, unsigned type)
{
	uint8_t m[200];
	size_t ml;
	switch (type) {
	case 133:
		ml = fixed_rs(m);
		ml += opt(m + ml, 1, 1, &HOSTMAC);
		ml += opt(m + ml, 200, 2, NULL);
		return wrap(ip, &HOST_LL, &ALL_ROUTERS, m, ml);
	case 134:
		ml = fixed_ra(m);
		ml += opt(m + ml, 1, 1, &MAC);
		ml += opt(m + ml, 201, 1, NULL);
		return wrap(ip, &LL, &ALL_NODES, m, ml);
	case 135:
		ml = fixed_ns_na(m, 135, 0, &ROUTER);
		ml += opt(m + ml, 14, 1, NULL); /* a nonce (RFC 7527): skipped */
		ml += opt(m + ml, 1, 1, &HOSTMAC);
		return wrap(ip, &HOST, &SNM_ROUTER, m, ml);
	default:
		ml = fixed_ns_na(m, 136, NET_NA_SOLICITED | NET_NA_ROUTER, &ROUTER);
		ml += opt(m + ml, 2, 1, &MAC);
		ml += opt(m + ml, 202, 3, NULL);
		return wrap(ip, &ROUTER, &HOST, m, ml);
	}
}

static void test_parse_valid(void **state)
{
	(void)state;
	uint8_t ip[300];
	for (unsigned type = 133; type <= 136; type++) {
		size_t n = valid_msg(ip, type);
		struct net_ndp nd;
		assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
		assert_int_equal(nd.type, type);
		assert_int_equal(nd.has_lla, 1);
		assert_true(net_mac_eq(&nd.lla, type == 133 || type == 135 ? &HOSTMAC : &MAC));
	}
}

static void test_parse_hop_code_type(void **state)
{
	(void)state;
	uint8_t ip[300];
	for (unsigned type = 133; type <= 136; type++) {
		for (unsigned hl = 0; hl < 256; hl++) {
			size_t n = valid_msg(ip, type);
			ip[7] = (uint8_t)hl;
			int want = hl == 255 ? NET_PASS
			           : hl == 0 ? NET_DROP_HOP_LIMIT
			                     : NET_DROP_NDP_INVALID;
			assert_int_equal(parse_copy(ip, n, NULL), want);
		}
		for (unsigned code = 0; code < 256; code++) {
			size_t n = valid_msg(ip, type);
			ip[41] = (uint8_t)code;
			resum(ip, 40, n - 40);
			assert_int_equal(parse_copy(ip, n, NULL),
			                 code ? NET_DROP_NDP_INVALID : NET_PASS);
		}
		/* a bad checksum comes from net_icmp6_check */
		size_t n = valid_msg(ip, type);
		ip[42] ^= 1;
		assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_ICMP_CHECKSUM);
	}
	/* every other type is not handled here, checksum or not */
	for (unsigned type = 0; type < 256; type++) {
		if (type >= 133 && type <= 136)
			continue;
		size_t n = valid_msg(ip, 136);
		ip[40] = (uint8_t)type;
		assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_UNHANDLED);
	}
	/* nor a packet that is not ICMPv6 */
	size_t n = valid_msg(ip, 135);
	ip[6] = 17;
	assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_UNHANDLED);
}

/* Every message length, the IPv6 length and checksum following. */
static void test_parse_truncation(void **state)
{
	(void)state;
	uint8_t ip[300];
	static const size_t mins[] = {8, 16, 24, 24};
	for (unsigned type = 133; type <= 136; type++) {
		size_t full = valid_msg(ip, type) - 40;
		size_t fixed = mins[type - 133];
		for (size_t ml = 4; ml <= full; ml++) {
			valid_msg(ip, type);
			wr16(ip + 4, (unsigned)ml);
			resum(ip, 40, ml);
			struct net_ndp nd;
			int rc = parse_copy(ip, 40 + ml, &nd);
			int want = ml < fixed ? NET_DROP_ICMP_LENGTH
			           : ml == fixed || ml == fixed + 8 || ml == full
			               ? NET_PASS
			               : NET_DROP_NDP_INVALID;
			assert_int_equal(rc, want);
			if (rc == NET_PASS)
				assert_int_equal(nd.has_lla, type == 135 ? ml == full : ml > fixed);
		}
	}
}

static void test_parse_option_lengths(void **state)
{
	(void)state;
	uint8_t ip[300];
	static const size_t mins[] = {8, 16, 24, 24};
	for (unsigned type = 133; type <= 136; type++) {
		size_t n = valid_msg(ip, type);
		/* each option's length byte: 0, too long by one unit, far too long */
		for (size_t pos = 40 + mins[type - 133]; pos < n; pos += 8u * ip[pos + 1]) {
			static const uint8_t bad[] = {0, 255};
			for (size_t k = 0; k < ARRAY_LEN(bad) + 1; k++) {
				valid_msg(ip, type);
				ip[pos + 1] =
				    k < ARRAY_LEN(bad) ? bad[k] : (uint8_t)((n - pos) / 8 + 1);
				resum(ip, 40, n - 40);
				assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_NDP_INVALID);
			}
			valid_msg(ip, type);
		}
		/* a trailing 1..7 bytes that cannot hold an option */
		for (size_t extra = 1; extra < 8; extra++) {
			size_t m = valid_msg(ip, type) - 40;
			memset(ip + 40 + m, 0x01, extra);
			wr16(ip + 4, (unsigned)(m + extra));
			resum(ip, 40, m + extra);
			assert_int_equal(parse_copy(ip, 40 + m + extra, NULL),
			                 NET_DROP_NDP_INVALID);
		}
	}
}

static void test_parse_addresses(void **state)
{
	(void)state;
	uint8_t ip[300], m[100];
	struct net_ndp nd;
	/* NS and NA: a multicast target, any group */
	for (unsigned type = 135; type <= 136; type++) {
		for (unsigned b1 = 0; b1 < 256; b1 += 17) {
			size_t n = valid_msg(ip, type);
			ip[48] = 0xff;
			ip[49] = (uint8_t)b1;
			resum(ip, 40, n - 40);
			assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_NDP_INVALID);
			ip[48] = 0xfe;
			resum(ip, 40, n - 40);
			assert_int_equal(parse_copy(ip, n, NULL), NET_PASS);
		}
	}
	/* NS from :: (DAD): only to a solicited-node group, never with a source LLA */
	size_t ml = fixed_ns_na(m, 135, 0, &ROUTER);
	size_t n = wrap(ip, &UNSPEC, &SNM_ROUTER, m, ml);
	assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
	static const struct hk_addr *not_snm[] = {&ALL_NODES, &ROUTER, &HOST_LL, &ALL_ROUTERS};
	for (size_t k = 0; k < ARRAY_LEN(not_snm); k++) {
		n = wrap(ip, &UNSPEC, not_snm[k], m, ml);
		assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_NDP_INVALID);
		n = wrap(ip, &HOST, not_snm[k], m, ml); /* from a unicast address: fine */
		assert_int_equal(parse_copy(ip, n, NULL), NET_PASS);
	}
	for (int i = 0; i < 13; i++) { /* one byte off the group prefix */
		struct hk_addr d = SNM_ROUTER;
		d.b[i] ^= 0x01;
		n = wrap(ip, &UNSPEC, &d, m, ml);
		assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_NDP_INVALID);
	}
	ml += opt(m + ml, 1, 1, &HOSTMAC);
	n = wrap(ip, &UNSPEC, &SNM_ROUTER, m, ml);
	assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_NDP_INVALID);
	m[ml - 8] = 2; /* a target LLA instead: not the forbidden option */
	n = wrap(ip, &UNSPEC, &SNM_ROUTER, m, ml);
	assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
	assert_int_equal(nd.has_lla, 0);
	/* RS from :: without and with a source LLA */
	ml = fixed_rs(m);
	n = wrap(ip, &UNSPEC, &ALL_ROUTERS, m, ml);
	assert_int_equal(parse_copy(ip, n, NULL), NET_PASS);
	ml += opt(m + ml, 1, 1, &HOSTMAC);
	n = wrap(ip, &UNSPEC, &ALL_ROUTERS, m, ml);
	assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_NDP_INVALID);
	/* NA: S flag only to a unicast destination; R and O anywhere */
	for (unsigned flags = 0; flags < 256; flags++) {
		ml = fixed_ns_na(m, 136, (uint8_t)flags, &ROUTER);
		n = wrap(ip, &ROUTER, &ALL_NODES, m, ml);
		assert_int_equal(parse_copy(ip, n, &nd),
		                 flags & 0x40 ? NET_DROP_NDP_INVALID : NET_PASS);
		n = wrap(ip, &ROUTER, &HOST, m, ml);
		assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
		assert_int_equal(nd.na_flags, flags & 0xe0);
	}
	/* RA: only from a link-local source (fe80::/10) */
	ml = fixed_ra(m);
	for (unsigned b1 = 0; b1 < 256; b1++) {
		struct hk_addr s = LL;
		s.b[1] = (uint8_t)b1;
		n = wrap(ip, &s, &ALL_NODES, m, ml);
		assert_int_equal(parse_copy(ip, n, NULL),
		                 (b1 & 0xc0) == 0x80 ? NET_PASS : NET_DROP_NDP_INVALID);
	}
	static const struct hk_addr *not_ll[] = {&ROUTER, &UNSPEC, &REF_REMOTE};
	for (size_t k = 0; k < ARRAY_LEN(not_ll); k++) {
		n = wrap(ip, not_ll[k], &ALL_NODES, m, ml);
		assert_int_equal(parse_copy(ip, n, NULL), NET_DROP_NDP_INVALID);
	}
}

/* NDP behind extension headers: allowed, but never in a fragment (RFC 6980). */
static void test_parse_ext_headers(void **state)
{
	(void)state;
	uint8_t ip[300], pkt[300];
	for (unsigned type = 133; type <= 136; type++) {
		size_t n = valid_msg(pkt, type);
		for (int frag = 0; frag < 2; frag++) {
			memcpy(ip, pkt, 40);
			memset(ip + 40, 0, 8);
			ip[40] = 58;
			if (!frag) { /* destination options: PadN */
				ip[42] = 1;
				ip[43] = 4;
			} /* else an atomic fragment: offset 0, no M */
			memcpy(ip + 48, pkt + 40, n - 40);
			ip[6] = frag ? 44 : 60;
			wr16(ip + 4, (unsigned)(n - 40 + 8));
			struct net_ndp nd;
			assert_int_equal(parse_copy(ip, n + 8, &nd),
			                 frag ? NET_DROP_NDP_INVALID : NET_PASS);
		}
	}
}

static void test_parse_ra_options(void **state)
{
	(void)state;
	uint8_t ip[500], m[400];
	struct net_ndp nd;
	size_t ml = fixed_ra(m);
	/* MTU and PIO of the wrong length: skipped, not invalid */
	ml += opt(m + ml, 5, 2, NULL);
	ml += opt(m + ml, 3, 3, NULL);
	ml += opt(m + ml, 3, 5, NULL);
	/* RIOs: length too short for the prefix (twice), reserved preference,
	 * length 4, prefix length over 128: each ignored */
	ml += rio(m + ml, 1, 1, 0);
	ml += rio(m + ml, 2, 65, 0);
	ml += rio(m + ml, 2, 8, 0x10); /* preference 10 */
	ml += rio(m + ml, 4, 8, 0);
	ml += rio(m + ml, 3, 129, 0);
	/* then a PIO with prefix length over 128: ignored */
	size_t at = ml;
	ml += opt(m + ml, 3, 4, NULL);
	m[at + 2] = 200;
	/* then five good prefixes: the first four are reported */
	for (unsigned i = 0; i < 5; i++) {
		ml += rio(m + ml, 3, (uint8_t)(100 + i), 0x08 | 0x07); /* high, reserved bits */
		wr32(m + ml - 24 + 4, i);
	}
	size_t n = wrap(ip, &LL, &ALL_NODES, m, ml);
	assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
	assert_int_equal(nd.ra.mtu, 0);
	assert_int_equal(nd.ra.n_prefixes, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(nd.ra.prefix[i].rio, 1);
		assert_int_equal(nd.ra.prefix[i].len, 100 + i);
		assert_int_equal(nd.ra.prefix[i].flags, NET_PREF_HIGH);
		assert_int_equal(nd.ra.prefix[i].valid, i);
		assert_int_equal(nd.ra.prefix[i].preferred, 0);
		struct hk_addr p;
		memset(p.b, 0x3c, 16);
		clear_past(&p, 100 + i);
		assert_memory_equal(nd.ra.prefix[i].prefix.b, p.b, 16);
	}
	/* a RIO with length 3 for a short prefix is fine, its extra bytes ignored */
	ml = fixed_ra(m);
	ml += rio(m + ml, 3, 0, 0x18);
	n = wrap(ip, &LL, &ALL_NODES, m, ml);
	assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
	assert_int_equal(nd.ra.n_prefixes, 1);
	assert_int_equal(nd.ra.prefix[0].flags, NET_PREF_LOW);
	assert_memory_equal(nd.ra.prefix[0].prefix.b, UNSPEC.b, 16);
	/* the first link-layer address option counts; options of other messages do not */
	ml = fixed_ns_na(m, 136, 0, &ROUTER);
	ml += opt(m + ml, 1, 1, &HOSTMAC); /* a source LLA in an NA: skipped */
	ml += opt(m + ml, 2, 1, &MAC);
	ml += opt(m + ml, 2, 1, &HOSTMAC);
	ml += opt(m + ml, 5, 1, NULL); /* an MTU in an NA: skipped */
	n = wrap(ip, &ROUTER, &HOST, m, ml);
	assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
	assert_true(net_mac_eq(&nd.lla, &MAC));
	assert_int_equal(nd.ra.mtu, 0);
	/* a longer LLA option: its first 6 bytes */
	ml = fixed_ns_na(m, 135, 0, &ROUTER);
	ml += opt(m + ml, 1, 2, &HOSTMAC);
	n = wrap(ip, &HOST, &SNM_ROUTER, m, ml);
	assert_int_equal(parse_copy(ip, n, &nd), NET_PASS);
	assert_true(net_mac_eq(&nd.lla, &HOSTMAC));
}

/* ---- mutations against the model ---------------------------------------- */

static void test_mutations(void **state)
{
	(void)state;
	rng_state = 0x6e64706d7574ull;
	int seen[NET_DROP_COUNT + 1] = {0};
	uint8_t ip[400];
	for (int it = 0; it < 60000; it++) {
		size_t n = valid_msg(ip, 133 + rndn(4));
		if (rndn(3) == 0) {
			struct net_ra_cfg c = rand_cfg();
			n = net_ndp_build_ra(ip, sizeof(ip), rndn(4) ? &LL : &ROUTER, &ALL_NODES,
			                     &MAC, &c);
		}
		unsigned muts = 1 + rndn(3);
		for (unsigned k = 0; k < muts; k++) {
			unsigned at = 40 + (n > 40 ? rndn((unsigned)(n - 40)) : 0);
			switch (rndn(6)) {
			case 0: ip[at] ^= (uint8_t)(1u << rndn(8)); break;
			case 1: ip[at] = (uint8_t)rnd(); break;
			case 2: ip[7] = rndn(2) ? 255 : (uint8_t)rnd(); break;
			case 3:
				n = 40 + rndn((unsigned)(n - 40) + 1);
				wr16(ip + 4, (unsigned)(n - 40));
				break;
			case 4: memset(ip + 8, 0, rndn(2) ? 16 : 0); break;
			default: ip[24] = rndn(2) ? 0xff : 0xfd; break;
			}
		}
		if (rndn(4) && n >= 44)
			resum(ip, 40, n - 40);
		int rc = parse_copy(ip, n, NULL);
		seen[rc == NET_PASS ? NET_DROP_COUNT : rc]++;
	}
	static const int classes[] = {NET_DROP_NDP_INVALID, NET_DROP_ICMP_CHECKSUM,
	                              NET_DROP_ICMP_LENGTH, NET_DROP_UNHANDLED, NET_DROP_COUNT};
	for (size_t k = 0; k < ARRAY_LEN(classes); k++)
		assert_true(seen[classes[k]] > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_na),
	    cmocka_unit_test(test_build_ns),
	    cmocka_unit_test(test_build_aliasing),
	    cmocka_unit_test(test_build_ra_bytes),
	    cmocka_unit_test(test_ra_round_trip),
	    cmocka_unit_test(test_parse_valid),
	    cmocka_unit_test(test_parse_hop_code_type),
	    cmocka_unit_test(test_parse_truncation),
	    cmocka_unit_test(test_parse_option_lengths),
	    cmocka_unit_test(test_parse_addresses),
	    cmocka_unit_test(test_parse_ext_headers),
	    cmocka_unit_test(test_parse_ra_options),
	    cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
