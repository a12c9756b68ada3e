// SPDX-License-Identifier: BSD-2-Clause
/*
 * Geneve over IPv6/UDP (net/geneve.c) on the host: encap/decap round trips
 * with every outer byte compared to an independent reference builder (the
 * checksum by ref_csum), every encap refusal leaving the page untouched,
 * decap of every malformed field, every truncation (raw, and with the
 * lengths and checksum fixed so the Geneve parser itself sees the short
 * datagram), options skipped or refused, random mutations judged by a
 * reference classifier written from RFC 8926, and the source-port hash.
 * Inputs are exact-size copies, so ASan sees any read past the packet.
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
#include <net/geneve.h>

#include "kan_ref.h"
#include "rng.h"

#define PAGE 4096u

static uint8_t pkt[70000]; /* scratch: decap always sees an exact-size copy */

/* ---- the reference: builder and classifier -------------------------------- */

/* What one test packet holds; ref_build lays it out byte by byte. */
struct spec {
	uint8_t ver, byte1; /* byte1: O, C and the reserved bits as sent */
	uint16_t proto, sport, dport;
	uint32_t vni;
	uint8_t vni_rsvd;
	const uint8_t *opts;
	size_t opts_len;  /* written as Opt Len = opts_len / 4 */
	size_t inner_len; /* a pattern seeded by vni */
};

static struct spec spec_default(size_t inner_len)
{
	return (struct spec){.proto = 0x86dd,
	                     .sport = 50000,
	                     .dport = 6081,
	                     .vni = 0x123456,
	                     .inner_len = inner_len};
}

/* Set the UDP checksum of the packet ip[0..len) as a sender would. */
static void ref_fix_csum(uint8_t *ip, size_t len)
{
	struct hk_addr s, d;
	memcpy(s.b, ip + 8, 16);
	memcpy(d.b, ip + 24, 16);
	wr16(ip + 46, 0);
	uint16_t c = ref_csum(&s, &d, 17, ip + 40, len - 40);
	wr16(ip + 46, c ? c : 0xffff);
}

/* Lay out the packet of sp into ip (room for it); returns its length. */
static size_t ref_build(uint8_t *ip, const struct spec *sp)
{
	size_t len = 40 + 8 + 8 + sp->opts_len + sp->inner_len;
	ref_ip6(ip, len, 17, &REF_REMOTE, &REF_PROC);
	wr16(ip + 40, sp->sport);
	wr16(ip + 42, sp->dport);
	wr16(ip + 44, (unsigned)(len - 40));
	uint8_t *g = ip + 48;
	g[0] = (uint8_t)(sp->ver << 6 | (sp->opts_len / 4 & 0x3f));
	g[1] = sp->byte1;
	wr16(g + 2, sp->proto);
	wr32(g + 4, sp->vni << 8 | sp->vni_rsvd);
	if (sp->opts_len)
		memcpy(g + 8, sp->opts, sp->opts_len);
	for (size_t i = 0; i < sp->inner_len; i++)
		g[8 + sp->opts_len + i] = (uint8_t)(i * 13 + sp->vni);
	ref_fix_csum(ip, len);
	return len;
}

/* What net_geneve_decap must return for ip[0..len), from RFC 8200, RFC 768
 * and RFC 8926 read directly (the order of the checks as documented). */
static int ref_classify(const uint8_t *ip, size_t len)
{
	if (len < 40)
		return NET_DROP_IP_LENGTH;
	if (ip[0] / 16 != 6)
		return NET_DROP_IP_VERSION;
	if (rd16(ip + 4) + 40u != len)
		return NET_DROP_IP_LENGTH;
	if (ip[6] != 17 || len < 48 || rd16(ip + 44) != len - 40 || rd16(ip + 46) == 0 ||
	    !ref_csum_ok(ip, len) || rd16(ip + 42) != 6081)
		return NET_DROP_UDP_BAD;
	const uint8_t *g = ip + 48;
	size_t n = len - 48;
	if (n < 8 || g[0] / 64 != 0 || (g[1] & 0x40))
		return NET_DROP_GENEVE_BAD;
	size_t olen = (size_t)(g[0] % 64) * 4;
	if (8 + olen >= n) /* options past the end, or nothing inside */
		return NET_DROP_GENEVE_BAD;
	if (rd16(g + 2) != 0x86dd && rd16(g + 2) != 0x6558)
		return NET_DROP_GENEVE_BAD;
	for (size_t at = 0; at < olen;) {
		const uint8_t *o = g + 8 + at;
		size_t one = 4 + 4 * (size_t)(o[3] % 32);
		if (at + one > olen || o[2] >= 0x80)
			return NET_DROP_GENEVE_BAD;
		at += one;
	}
	return NET_PASS;
}

/* Decap an exact-size copy of ip[0..len); on NET_PASS check every field
 * against the bytes, else that *out is untouched. Returns the result. */
static int decap_copy(const uint8_t *ip, size_t len)
{
	uint8_t *b = buf_exact(ip, len);
	struct net_geneve g, sentinel;
	memset(&g, 0x5a, sizeof(g));
	memcpy(&sentinel, &g, sizeof(g));
	int rc = net_geneve_decap(b, len, &g);
	if (rc == NET_PASS) {
		size_t olen = (size_t)(b[48] & 0x3f) * 4;
		assert_memory_equal(g.src.b, b + 8, 16);
		assert_memory_equal(g.dst.b, b + 24, 16);
		assert_int_equal(g.sport, rd16(b + 40));
		assert_int_equal(g.proto, rd16(b + 50));
		assert_int_equal(g.vni, rd32(b + 52) >> 8);
		assert_int_equal(g.oam, b[49] >> 7);
		assert_ptr_equal(g.opts, b + 56);
		assert_int_equal(g.opts_len, olen);
		assert_int_equal(g.inner_off, 56 + olen);
		assert_int_equal(g.inner_len, len - 56 - olen);
	} else {
		assert_memory_equal(&g, &sentinel, sizeof(g));
	}
	buf_free(b, len);
	return rc;
}

/* decap agrees with the reference classifier; returns the result. */
static int decap_judged(const uint8_t *ip, size_t len)
{
	int rc = decap_copy(ip, len);
	assert_int_equal(rc, ref_classify(ip, len));
	return rc;
}

/* Build sp's packet and decap it: the reference and want must agree. */
static void expect(const struct spec *sp, int want)
{
	size_t n = ref_build(pkt, sp);
	assert_int_equal(decap_judged(pkt, n), want);
}

/* ---- encap and round trips ------------------------------------------------ */

static const size_t inner_lens[] = {
    1, 2, 3, 39, 40, 41, 64, 100, 1280, 1400, PAGE - 56 - 200, PAGE - 56};

/* Encap in an exact-size page: the outer headers byte for byte as the
 * reference lays them out, nothing else in the page touched, and decap
 * of the result giving the same inner bytes, VNI, protocol and ports. */
static void round_trip(size_t ilen, size_t off, uint32_t vni, uint16_t proto, uint16_t sport)
{
	uint8_t *page = buf_exact(NULL, PAGE), *before = malloc(PAGE);
	assert_non_null(before);
	for (size_t i = 0; i < PAGE; i++)
		page[i] = (uint8_t)(i * 31 + ilen);
	memcpy(before, page, PAGE);
	uint16_t o = (uint16_t)off, l = (uint16_t)ilen;
	assert_int_equal(
	    net_geneve_encap(page, PAGE, &o, &l, &REF_REMOTE, &REF_PROC, vni, proto, sport), 0);
	assert_int_equal(o, off - 56);
	assert_int_equal(l, ilen + 56);
	/* the reference packet around the same inner bytes */
	struct spec sp = spec_default(0);
	sp.vni = vni;
	sp.proto = proto;
	sp.sport = sport;
	uint8_t *ref = malloc(56 + ilen);
	assert_non_null(ref);
	ref_build(ref, &sp);
	memcpy(ref + 56, before + off, ilen);
	wr16(ref + 4, (unsigned)(ilen + 16));
	wr16(ref + 44, (unsigned)(ilen + 16));
	ref_fix_csum(ref, 56 + ilen);
	assert_memory_equal(page + o, ref, 56 + ilen);
	assert_true(ref_csum_ok(page + o, l));
	assert_int_equal(page[o + 7], 64);
	assert_memory_equal(page, before, o);
	assert_memory_equal(page + off + ilen, before + off + ilen, PAGE - off - ilen);
	/* and back */
	uint8_t *out = buf_exact(page + o, l);
	struct net_geneve g;
	assert_int_equal(net_geneve_decap(out, l, &g), NET_PASS);
	assert_int_equal(g.vni, vni);
	assert_int_equal(g.proto, proto);
	assert_int_equal(g.sport, sport);
	assert_int_equal(g.oam, 0);
	assert_int_equal(g.opts_len, 0);
	assert_int_equal(g.inner_off, 56);
	assert_int_equal(g.inner_len, ilen);
	assert_memory_equal(g.src.b, REF_REMOTE.b, 16);
	assert_memory_equal(g.dst.b, REF_PROC.b, 16);
	assert_memory_equal(out + g.inner_off, before + off, ilen);
	buf_free(out, l);
	free(ref);
	free(before);
	buf_free(page, PAGE);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const uint32_t vnis[] = {0, 1, 0xabcdef, 0xffffff};
	for (size_t k = 0; k < sizeof(inner_lens) / sizeof(inner_lens[0]); k++) {
		size_t ilen = inner_lens[k];
		uint16_t proto = k % 2 ? 0x6558 : 0x86dd;
		for (size_t off = 56; off + ilen <= PAGE && off < 56 + 200; off += 67)
			round_trip(ilen, off, vnis[(k + off) % 4], proto,
			           (uint16_t)(49152 + k * off));
		round_trip(ilen, PAGE - ilen, vnis[k % 4], proto, 0); /* inner at the page's end */
	}
}

static void test_round_trip_random(void **state)
{
	(void)state;
	rng_state = 0x5eed;
	for (unsigned k = 0; k < 300; k++) {
		size_t ilen = 1 + rndn(PAGE - 56);
		size_t off = 56 + rndn((unsigned)(PAGE - 56 - ilen + 1));
		round_trip(ilen, off, (uint32_t)rnd() & 0xffffff, rndn(2) ? 0x6558 : 0x86dd,
		           (uint16_t)rnd());
	}
}

/* Encap with the addresses inside the page's headroom (copied first) and
 * with a checksum that folds to zero (sent as 0xffff). */
static void test_encap_addresses_in_headroom(void **state)
{
	(void)state;
	uint8_t *page = buf_exact(NULL, PAGE);
	memset(page, 0, PAGE);
	memcpy(page + 100, REF_REMOTE.b, 16); /* src and dst where the headers go */
	memcpy(page + 116, REF_PROC.b, 16);
	uint16_t o = 140, l = 60;
	assert_int_equal(net_geneve_encap(page, PAGE, &o, &l, (const struct hk_addr *)(page + 100),
	                                  (const struct hk_addr *)(page + 116), 7, 0x86dd, 49999),
	                 0);
	assert_memory_equal(page + o + 8, REF_REMOTE.b, 16);
	assert_memory_equal(page + o + 24, REF_PROC.b, 16);
	assert_int_equal(decap_judged(page + o, l), NET_PASS);
	buf_free(page, PAGE);

	/* find an inner whose sum makes the checksum 0: it must go out as 0xffff */
	uint8_t *p = buf_exact(NULL, 200);
	int found = 0;
	for (unsigned x = 0; x < 65536 && !found; x++) {
		memset(p, 0, 200);
		wr16(p + 56, x);
		uint16_t po = 56, pl = 2;
		assert_int_equal(
		    net_geneve_encap(p, 200, &po, &pl, &REF_REMOTE, &REF_PROC, 1, 0x86dd, 50000),
		    0);
		if (rd16(p + 46) == 0xffff) {
			wr16(p + 46, 0);
			found = ref_csum(&REF_REMOTE, &REF_PROC, 17, p + 40, pl - 40) == 0;
			wr16(p + 46, 0xffff);
			assert_int_equal(decap_judged(p, pl), NET_PASS);
		}
		assert_int_not_equal(rd16(p + 46), 0);
	}
	assert_true(found);
	buf_free(p, 200);
}

/* Every refusal returns its error and writes nothing (page, off, len). */
static void encap_refused(uint8_t *page, size_t size, uint16_t off, uint16_t len, uint32_t vni,
                          uint16_t proto, int want)
{
	uint8_t *before = malloc(size);
	assert_non_null(before);
	memcpy(before, page, size);
	uint16_t o = off, l = len;
	assert_int_equal(
	    net_geneve_encap(page, size, &o, &l, &REF_REMOTE, &REF_PROC, vni, proto, 50000), want);
	assert_int_equal(o, off);
	assert_int_equal(l, len);
	assert_memory_equal(page, before, size);
	free(before);
}

static void test_encap_refusals(void **state)
{
	(void)state;
	uint8_t *page = buf_exact(NULL, PAGE);
	for (uint16_t off = 0; off < 56; off++) /* headroom one byte short, and less */
		encap_refused(page, PAGE, off, 100, 1, 0x86dd, -HK_ENOMEM);
	encap_refused(page, PAGE, 56, 0, 1, 0x86dd, -HK_EINVAL);         /* empty inner */
	encap_refused(page, PAGE, 56, PAGE - 55, 1, 0x86dd, -HK_EINVAL); /* past the page */
	encap_refused(page, PAGE, PAGE, 1, 1, 0x86dd, -HK_EINVAL);
	encap_refused(page, PAGE, 65535, 65535, 1, 0x86dd, -HK_EINVAL);
	encap_refused(page, PAGE, 56, 100, 1u << 24, 0x86dd, -HK_EINVAL); /* VNI 24 bits */
	encap_refused(page, PAGE, 56, 100, UINT32_MAX, 0x86dd, -HK_EINVAL);
	for (uint32_t proto = 0; proto < 65536; proto += 1 + proto / 64)
		if (proto != 0x86dd && proto != 0x6558)
			encap_refused(page, PAGE, 56, 100, 1, (uint16_t)proto, -HK_EINVAL);
	encap_refused(page, PAGE, 56, 100, 1, 0x0800, -HK_EINVAL);
	/* the last byte fits; the VNI's largest value and the headroom's exact size do */
	uint16_t o = 56, l = PAGE - 56;
	assert_int_equal(
	    net_geneve_encap(page, PAGE, &o, &l, &REF_REMOTE, &REF_PROC, 0xffffff, 0x6558, 1), 0);
	buf_free(page, PAGE);
}

/* The outer packet must fit the 16-bit length: the largest inner passes
 * and decaps, one byte more is -HK_E2BIG. */
static void test_encap_size_limit(void **state)
{
	(void)state;
	size_t size = 56 + NET_GENEVE_INNER_MAX + 1;
	uint8_t *page = buf_exact(NULL, size);
	encap_refused(page, size, 56, NET_GENEVE_INNER_MAX + 1, 1, 0x86dd, -HK_E2BIG);
	uint16_t o = 56, l = NET_GENEVE_INNER_MAX;
	assert_int_equal(net_geneve_encap(page, size, &o, &l, &REF_REMOTE, &REF_PROC, 1, 0x86dd, 1),
	                 0);
	assert_int_equal(l, 65535);
	assert_true(ref_csum_ok(page, l));
	assert_int_equal(decap_judged(page, l), NET_PASS);
	buf_free(page, size);
}

/* ---- decap: every field ---------------------------------------------------- */

static void test_decap_reserved_and_oam(void **state)
{
	(void)state;
	struct spec sp = spec_default(64);
	/* reserved bits (byte 1's low six, the byte after the VNI) are ignored */
	for (unsigned r = 0; r < 64; r++) {
		sp.byte1 = (uint8_t)r;
		sp.vni_rsvd = (uint8_t)(r * 4 + 3);
		expect(&sp, NET_PASS);
	}
	sp.byte1 = 0x80; /* O: reported */
	expect(&sp, NET_PASS);
	sp.byte1 = 0x40; /* C: a critical option is announced */
	expect(&sp, NET_DROP_GENEVE_BAD);
	sp.byte1 = 0xff;
	expect(&sp, NET_DROP_GENEVE_BAD);
}

static void test_decap_version(void **state)
{
	(void)state;
	struct spec sp = spec_default(64);
	for (uint8_t v = 1; v < 4; v++) {
		sp.ver = v;
		expect(&sp, NET_DROP_GENEVE_BAD);
	}
}

static void test_decap_proto(void **state)
{
	(void)state;
	struct spec sp = spec_default(20);
	unsigned pass = 0;
	for (uint32_t p = 0; p < 65536; p++) {
		sp.proto = (uint16_t)p;
		int rc = decap_judged(pkt, ref_build(pkt, &sp));
		pass += rc == NET_PASS;
	}
	assert_int_equal(pass, 2);
}

/* Every VNI bit reaches out->vni. */
static void test_decap_vni(void **state)
{
	(void)state;
	struct spec sp = spec_default(8);
	for (unsigned b = 0; b < 24; b++) {
		sp.vni = 1u << b;
		size_t n = ref_build(pkt, &sp);
		struct net_geneve g;
		assert_int_equal(net_geneve_decap(pkt, n, &g), NET_PASS);
		assert_int_equal(g.vni, 1u << b);
	}
}

/* The outer headers: each refusal class of the IPv6 and UDP layers. */
static void test_decap_outer(void **state)
{
	(void)state;
	struct spec sp = spec_default(100);
	size_t n = ref_build(pkt, &sp);
	static const unsigned ports[] = {0,    1, 4789, 6080, 6082, 0xc117 /* 6081 byte-swapped */,
	                                 65535};
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		sp.dport = (uint16_t)ports[i];
		expect(&sp, NET_DROP_UDP_BAD);
	}
	sp.dport = 6081;
	for (unsigned v = 0; v < 16; v++) { /* IPv6 version */
		ref_build(pkt, &sp);
		pkt[0] = (uint8_t)(v << 4);
		assert_int_equal(decap_judged(pkt, n), v == 6 ? NET_PASS : NET_DROP_IP_VERSION);
	}
	ref_build(pkt, &sp);
	for (int d = -3; d <= 3; d++) { /* IPv6 payload length */
		wr16(pkt + 4, (unsigned)((int)n - 40 + d));
		assert_int_equal(decap_judged(pkt, n), d ? NET_DROP_IP_LENGTH : NET_PASS);
	}
	for (unsigned nh = 0; nh < 256; nh++) { /* next header: only 17 directly */
		ref_build(pkt, &sp);
		pkt[6] = (uint8_t)nh;
		assert_int_equal(decap_judged(pkt, n), nh == 17 ? NET_PASS : NET_DROP_UDP_BAD);
	}
	for (int d = -3; d <= 3; d++) { /* UDP length, checksum kept right */
		ref_build(pkt, &sp);
		wr16(pkt + 44, (unsigned)((int)n - 40 + d));
		ref_fix_csum(pkt, n);
		assert_int_equal(decap_judged(pkt, n), d ? NET_DROP_UDP_BAD : NET_PASS);
	}
	ref_build(pkt, &sp);
	wr16(pkt + 46, 0); /* zero checksum: refused (documented) */
	assert_int_equal(decap_judged(pkt, n), NET_DROP_UDP_BAD);
	for (size_t i = 8; i < n; i++) { /* any bit of the checksummed part flipped */
		ref_build(pkt, &sp);
		pkt[i] ^= (uint8_t)(1u << (i % 8));
		if (i == 44 || i == 45 || (i >= 4 && i < 8))
			continue; /* lengths: covered above */
		assert_int_equal(decap_judged(pkt, n), NET_DROP_UDP_BAD);
	}
}

/* ---- options ---------------------------------------------------------------- */

/* Options: class, type, length (in words), data filled; returns bytes used. */
static size_t put_opt(uint8_t *o, uint16_t cls, uint8_t type, uint8_t rbits, unsigned words)
{
	wr16(o, cls);
	o[2] = type;
	o[3] = (uint8_t)(rbits << 5 | words);
	for (unsigned i = 0; i < 4 * words; i++)
		o[4 + i] = (uint8_t)(0xc0 + i);
	return 4 + 4 * (size_t)words;
}

/* Non-critical options of every length, alone and chained up to the 252
 * byte maximum, R bits set: skipped, reported, inner found after them. */
static void test_decap_options_skipped(void **state)
{
	(void)state;
	uint8_t opts[256];
	struct spec sp = spec_default(40);
	sp.opts = opts;
	for (unsigned w = 0; w < 32; w++) {
		sp.opts_len = put_opt(opts, 0x0103, 0x7f, 7, w);
		expect(&sp, NET_PASS);
	}
	rng_state = 11;
	for (unsigned k = 0; k < 2000; k++) {
		size_t used = 0;
		while (1) {
			unsigned w = rndn(32);
			if (used + 4 + 4 * w > 252)
				break;
			used += put_opt(opts + used, (uint16_t)rnd(), (uint8_t)(rndn(128)),
			                (uint8_t)rndn(8), w);
		}
		sp.opts_len = used;
		sp.inner_len = 1 + rndn(100);
		size_t n = ref_build(pkt, &sp);
		assert_int_equal(decap_judged(pkt, n), NET_PASS);
		struct net_geneve g;
		assert_int_equal(net_geneve_decap(pkt, n, &g), NET_PASS);
		assert_int_equal(g.inner_off, 56 + used);
		assert_memory_equal(g.opts, opts, used);
	}
}

/* A critical option at any place in the chain drops the packet (RFC 8926
 * 3.5: we implement none), with or without the C bit. */
static void test_decap_options_critical(void **state)
{
	(void)state;
	uint8_t opts[256];
	struct spec sp = spec_default(40);
	sp.opts = opts;
	for (unsigned place = 0; place < 4; place++) {
		size_t used = 0;
		for (unsigned i = 0; i < 4; i++)
			used += put_opt(opts + used, 0x0100, (uint8_t)(i == place ? 0x80 | i : i),
			                0, place + i);
		sp.opts_len = used;
		sp.byte1 = 0;
		expect(&sp, NET_DROP_GENEVE_BAD);
		sp.byte1 = 0x40;
		expect(&sp, NET_DROP_GENEVE_BAD);
	}
	for (unsigned t = 0x80; t < 0x100; t++) { /* every critical type */
		sp.opts_len = put_opt(opts, 0xffff, (uint8_t)t, 0, 1);
		sp.byte1 = 0;
		expect(&sp, NET_DROP_GENEVE_BAD);
	}
}

/* Opt Len against the datagram, and each option's length against the
 * option area: every overrun by every amount. */
static void test_decap_option_lengths(void **state)
{
	(void)state;
	uint8_t opts[256];
	struct spec sp = spec_default(0);
	sp.opts = opts;
	memset(opts, 0, sizeof(opts));
	/* Opt Len words of options (empty ones, one word each) then inner bytes */
	for (unsigned words = 0; words < 64; words++) {
		for (size_t i = 0; i < words; i++)
			put_opt(opts + 4 * i, 0, 1, 0, 0);
		for (size_t inner = 0; inner <= 4 * words + 8; inner++) {
			sp.opts_len = 4 * words;
			sp.inner_len = inner;
			size_t n = ref_build(pkt, &sp);
			assert_int_equal(decap_judged(pkt, n),
			                 inner ? NET_PASS : NET_DROP_GENEVE_BAD);
			/* the same bytes claiming more option words: the inner's
			 * first bytes become options (judged), or the area runs
			 * into or past the end (always refused) */
			for (unsigned more = 1; words + more < 64 && more <= inner / 4 + 3;
			     more++) {
				pkt[48] = (uint8_t)(words + more);
				ref_fix_csum(pkt, n);
				int rc = decap_judged(pkt, n);
				if (4 * more >= inner)
					assert_int_equal(rc, NET_DROP_GENEVE_BAD);
			}
		}
	}
	/* one option whose length runs past the area by 1..31 words */
	for (unsigned area = 1; area <= 63; area++) {
		for (unsigned w = area; w < 32; w++) {
			memset(opts, 0, sizeof(opts));
			put_opt(opts, 0x0102, 3, 0, 0);
			opts[3] = (uint8_t)w; /* claims 4 + 4w bytes, the area has 4 * area */
			sp.opts_len = 4 * area;
			sp.inner_len = 64;
			expect(&sp, NET_DROP_GENEVE_BAD);
		}
	}
	/* a tail option running past the area after good ones */
	size_t used = put_opt(opts, 1, 1, 0, 2) + put_opt(opts + 12, 1, 2, 0, 1);
	put_opt(opts + used, 1, 3, 0, 0);
	opts[used + 3] = 1; /* needs 8, has 4 */
	sp.opts_len = used + 4;
	expect(&sp, NET_DROP_GENEVE_BAD);
}

/* ---- truncation and mutation ------------------------------------------------ */

/* Every prefix of a packet with options: as cut (the IPv6 length then
 * disagrees), and with the lengths and checksum fixed so that the UDP and
 * Geneve parsers themselves meet the short datagram. */
static void test_decap_truncations(void **state)
{
	(void)state;
	uint8_t opts[64];
	struct spec sp = spec_default(30);
	sp.opts = opts;
	sp.opts_len = put_opt(opts, 0x0100, 5, 0, 3) + put_opt(opts + 16, 0x0101, 6, 0, 1);
	size_t n = ref_build(pkt, &sp);
	assert_int_equal(decap_judged(pkt, n), NET_PASS);
	unsigned passes = 0;
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_equal(decap_judged(pkt, cut), NET_DROP_IP_LENGTH);
		uint8_t fixed[256];
		memcpy(fixed, pkt, cut);
		if (cut >= 40)
			wr16(fixed + 4, (unsigned)(cut - 40));
		if (cut >= 48) {
			wr16(fixed + 44, (unsigned)(cut - 40));
			ref_fix_csum(fixed, cut);
		}
		int rc = decap_judged(fixed, cut);
		if (cut < 40)
			assert_int_equal(rc, NET_DROP_IP_LENGTH);
		else if (cut < 56)
			assert_int_equal(rc, cut < 48 ? NET_DROP_UDP_BAD : NET_DROP_GENEVE_BAD);
		passes += rc == NET_PASS;
	}
	assert_int_equal(passes, 30 - 1); /* inner lengths 1..29 */
}

/* Random byte and bit mutations of valid packets (checksum fixed after
 * the mutation in most cases so the Geneve layer is reached), each judged
 * by the reference classifier on an exact-size copy. */
static void test_decap_mutations(void **state)
{
	(void)state;
	uint8_t opts[256];
	rng_state = 0xabad1dea;
	unsigned seen[NET_DROP_COUNT + 1] = {0};
	for (unsigned k = 0; k < 20000; k++) {
		struct spec sp = spec_default(1 + rndn(200));
		sp.opts = opts;
		sp.opts_len = 0;
		for (unsigned i = rndn(4); i > 0; i--)
			sp.opts_len += put_opt(opts + sp.opts_len, (uint16_t)rnd(),
			                       (uint8_t)rndn(128), 0, rndn(8));
		sp.proto = rndn(2) ? 0x6558 : 0x86dd;
		size_t n = ref_build(pkt, &sp);
		for (unsigned m = 1 + rndn(3); m > 0; m--) {
			unsigned where = rndn(10);
			size_t at = where < 6   ? 40 + rndn((unsigned)(n - 40 < 60 ? n - 40 : 60))
			            : where < 8 ? rndn(60)
			                        : rndn((unsigned)n);
			if (rndn(2))
				pkt[at] ^= (uint8_t)(1u << rndn(8));
			else
				pkt[at] = (uint8_t)rnd();
		}
		if (rndn(8))
			ref_fix_csum(pkt, n);
		int rc = decap_judged(pkt, n);
		seen[rc == NET_PASS ? NET_DROP_COUNT : (unsigned)rc]++;
	}
	assert_true(seen[NET_DROP_COUNT] > 1000);
	assert_true(seen[NET_DROP_GENEVE_BAD] > 1000);
	assert_true(seen[NET_DROP_UDP_BAD] > 1000);
	assert_true(seen[NET_DROP_IP_LENGTH] > 10);
	assert_true(seen[NET_DROP_IP_VERSION] > 10);
}

/* ---- the source port -------------------------------------------------------- */

/* A UDP/IPv6 packet of 48 + plen bytes into ip for the flow (src, dst, ports). */
static size_t flow_pkt(uint8_t *ip, size_t plen, uint8_t nh, const struct hk_addr *s,
                       const struct hk_addr *d, uint16_t sp, uint16_t dp)
{
	ref_udp(ip, plen, s, d, sp, dp, (unsigned)plen);
	ip[6] = nh;
	return 48 + plen;
}

static uint16_t sport_copy(const uint8_t *p, size_t n)
{
	uint8_t *b = buf_exact(p, n);
	uint16_t s = net_geneve_sport(b, n);
	buf_free(b, n);
	assert_true(s >= 49152);
	return s;
}

/* In 49152..65535 for anything of any length (exact-size), and the same
 * for every packet of a flow whatever its payload, length, hop limit. */
static void test_sport_range_and_stability(void **state)
{
	(void)state;
	rng_state = 8;
	uint8_t buf[300];
	for (size_t n = 0; n < sizeof(buf); n++) {
		for (unsigned k = 0; k < 20; k++) {
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)rnd();
			sport_copy(buf, n);
		}
	}
	static const uint8_t nhs[] = {6, 17, 58, 132, 136, 59};
	for (size_t k = 0; k < sizeof(nhs); k++) {
		uint16_t first = 0;
		for (size_t plen = 8; plen < 240; plen += 9) {
			size_t n = flow_pkt(buf, plen, nhs[k], &REF_REMOTE, &REF_PROC, 1234, 80);
			buf[7] = (uint8_t)plen; /* hop limit */
			buf[1] = (uint8_t)plen; /* traffic class and flow label bits */
			uint16_t s = sport_copy(buf, n);
			if (plen == 8)
				first = s;
			assert_int_equal(s, first);
		}
	}
}

/* The flow's fields change the port (for nearly every change), the ports
 * only for port-carrying transports; an Ethernet frame carrying IPv6
 * hashes like its IPv6 packet; ports spread over all 14 bits. */
static void test_sport_flow_fields(void **state)
{
	(void)state;
	uint8_t a[200], b[200];
	size_t n = flow_pkt(a, 60, 17, &REF_REMOTE, &REF_PROC, 1234, 80);
	uint16_t base = sport_copy(a, n);
	unsigned changed = 0, tries = 0;
	for (size_t i = 8; i < 44; i++) { /* addresses and ports, each bit */
		for (unsigned bit = 0; bit < 8; bit++) {
			memcpy(b, a, n);
			b[i] ^= (uint8_t)(1u << bit);
			tries++;
			changed += sport_copy(b, n) != base;
		}
	}
	assert_true(changed >= tries - 4);
	memcpy(b, a, n); /* next header */
	b[6] = 6;
	assert_int_not_equal(sport_copy(b, n), base);
	/* ICMPv6 (58): the bytes after the header are not ports */
	n = flow_pkt(a, 60, 58, &REF_REMOTE, &REF_PROC, 1234, 80);
	base = sport_copy(a, n);
	memcpy(b, a, n);
	b[40] ^= 0xff;
	b[43] ^= 0xff;
	assert_int_equal(sport_copy(b, n), base);
	/* the same packet inside an Ethernet frame */
	n = flow_pkt(a, 60, 17, &REF_REMOTE, &REF_PROC, 999, 53);
	uint8_t eth[214];
	memset(eth, 0, sizeof(eth));
	memset(eth, 0x02, 12);
	wr16(eth + 12, 0x86dd);
	memcpy(eth + 14, a, n);
	assert_int_equal(sport_copy(eth, 14 + n), sport_copy(a, n));
	assert_int_equal(sport_copy(eth, 14 + n + 4), sport_copy(a, n)); /* frame padding */
	wr16(eth + 12, 0x0800); /* not IPv6: the MACs and type decide */
	uint16_t e = sport_copy(eth, 14 + n);
	eth[30] ^= 1;
	assert_int_equal(sport_copy(eth, 14 + n), e);
	eth[5] ^= 1;
	assert_int_not_equal(sport_copy(eth, 14 + n), e);
	/* spread: 2000 random flows */
	static uint8_t hit[16384];
	unsigned distinct = 0, ones[14] = {0};
	rng_state = 21;
	for (unsigned k = 0; k < 2000; k++) {
		struct hk_addr s = REF_REMOTE, d = REF_PROC;
		uint64_t x = rnd();
		memcpy(s.b + 8, &x, 8);
		n = flow_pkt(a, 20, 17, &s, &d, (uint16_t)rnd(), 6081);
		uint16_t p = (uint16_t)(sport_copy(a, n) - 49152);
		distinct += !hit[p];
		hit[p] = 1;
		for (unsigned bit = 0; bit < 14; bit++)
			ones[bit] += (p >> bit) & 1;
	}
	assert_true(distinct > 1800);
	for (unsigned bit = 0; bit < 14; bit++)
		assert_true(ones[bit] > 850 && ones[bit] < 1150);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_round_trip_random),
	    cmocka_unit_test(test_encap_addresses_in_headroom),
	    cmocka_unit_test(test_encap_refusals),
	    cmocka_unit_test(test_encap_size_limit),
	    cmocka_unit_test(test_decap_reserved_and_oam),
	    cmocka_unit_test(test_decap_version),
	    cmocka_unit_test(test_decap_proto),
	    cmocka_unit_test(test_decap_vni),
	    cmocka_unit_test(test_decap_outer),
	    cmocka_unit_test(test_decap_options_skipped),
	    cmocka_unit_test(test_decap_options_critical),
	    cmocka_unit_test(test_decap_option_lengths),
	    cmocka_unit_test(test_decap_truncations),
	    cmocka_unit_test(test_decap_mutations),
	    cmocka_unit_test(test_sport_range_and_stability),
	    cmocka_unit_test(test_sport_flow_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
