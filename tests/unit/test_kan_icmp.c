// SPDX-License-Identifier: BSD-2-Clause
/*
 * ICMPv6 errors (kan/icmp.c) on the host. Every result of kan_icmp6_error
 * and kan_icmp6_unreach is compared byte for byte, over the whole page,
 * with a reference model written from RFC 4443 3.1-3.4 and the contract in
 * <kan/icmp.h> (its checksum is the independent one in kan_ref.h): every
 * offset and length on small pages, the in-place case, the moving case,
 * every refusal with the page left untouched, extension-header chains,
 * every type and code with the multicast exceptions of 2.4(e.3) and the
 * 4-byte parameter, and a random loop. Pages are exact-size blocks, so a
 * write outside them is an ASan report. The parser gets every class, every
 * truncation and a mutation loop judged by a reference classifier.
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
#include <kan/icmp.h>
#include <kan/ipv6.h>

#include "kan_ref.h"
#include "rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct hk_addr MCAST = {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
static const struct hk_addr UNSPEC = {{0}};

/* ---- the reference model ------------------------------------------------ */

static int ref_mcast(const uint8_t *a) { return a[0] == 0xff; }

static int ref_unspec(const uint8_t *a)
{
	for (int i = 0; i < 16; i++)
		if (a[i])
			return 0;
	return 1;
}

/* RFC 4443 2.4(e.1) as the header documents it: an ICMPv6 error (type <
 * 128), or a chain of extension headers not walkable to its upper layer
 * within the packet and 8 headers (non-first fragments are not walkable). */
static int ref_is_error(const uint8_t *ip, size_t len)
{
	size_t at = 40;
	uint8_t nh = ip[6];
	for (unsigned walked = 0;; walked++) {
		if (nh == 58)
			return at + 1 > len || ip[at] < 128;
		if (nh != 0 && nh != 43 && nh != 44 && nh != 51 && nh != 60)
			return 0;
		if (walked == 8 || at + 8 > len)
			return 1;
		size_t hl;
		if (nh == 44) {
			if (rd16(ip + at + 2) >> 3)
				return 1;
			hl = 8;
		} else if (nh == 51) {
			hl = 4 * ((size_t)ip[at + 1] + 2);
		} else {
			hl = 8 * ((size_t)ip[at + 1] + 1);
		}
		if (at + hl > len)
			return 1;
		nh = ip[at];
		at += hl;
	}
}

/* The largest code of each error type (RFC 4443 3.1-3.4, RFC 7112). */
static int ref_code_ok(uint8_t type, uint8_t code)
{
	switch (type) {
	case 1: return code <= 6;
	case 2: return code == 0;
	case 3: return code <= 1;
	case 4: return code <= 3;
	default: return 0;
	}
}

/*
 * What kan_icmp6_error must do: the result code and, when 0, the whole
 * expected page in exp with the new offset and length.
 */
static int ref_error(const uint8_t *page, size_t psize, size_t off, size_t len,
                     const struct hk_addr *from, uint8_t type, uint8_t code, uint32_t param,
                     uint8_t *exp, size_t *eoff, size_t *elen)
{
	if (off > psize || len > psize - off)
		return KAN_ICMP_BADPKT;
	const uint8_t *ip = page + off;
	if (len < 40 || ip[0] >> 4 != 6 || rd16(ip + 4) + 40u != len)
		return KAN_ICMP_BADPKT;
	if (!ref_code_ok(type, code))
		return KAN_ICMP_CODE;
	if (ref_mcast(from->b) || ref_unspec(from->b))
		return KAN_ICMP_FROM;
	if (ref_mcast(ip + 8) || ref_unspec(ip + 8))
		return KAN_ICMP_SRC;
	if (ref_mcast(ip + 24) && type != 2 && !(type == 4 && code == 2))
		return KAN_ICMP_MCAST;
	if (ref_is_error(ip, len))
		return KAN_ICMP_IS_ERROR;
	size_t q = len < 1232 ? len : 1232, noff;
	if (off >= 48) {
		noff = off - 48;
	} else {
		if (psize < 88)
			return KAN_ICMP_NOROOM;
		noff = 0;
		if (q > psize - 48)
			q = psize - 48;
	}
	struct hk_addr to, fr = *from;
	memcpy(to.b, ip + 8, 16);
	memcpy(exp, page, psize);
	memcpy(exp + noff + 48, page + off, q); /* from the original page: no overlap */
	ref_ip6(exp + noff, 48 + q, 58, &fr, &to);
	uint8_t *icmp = exp + noff + 40;
	icmp[0] = type;
	icmp[1] = code;
	memset(icmp + 2, 0, 6);
	if (type == 2 || type == 4)
		wr32(icmp + 4, param);
	wr16(icmp + 2, ref_csum(&fr, &to, 58, icmp, 8 + q));
	*eoff = noff;
	*elen = 48 + q;
	return KAN_ICMP_OK;
}

static int ref_parse(const uint8_t *ip, size_t len)
{
	if (len < 40 || ip[0] >> 4 != 6 || rd16(ip + 4) + 40u != len)
		return KAN_ICMP_BADPKT;
	if (ip[6] != 58)
		return KAN_ICMP_NOT_ICMP;
	if (len < 48)
		return KAN_ICMP_SHORT;
	if (ip[40] != 1)
		return KAN_ICMP_TYPE;
	if (!ref_csum_ok(ip, len))
		return KAN_ICMP_CHECKSUM;
	if (len < 88 || ip[48] >> 4 != 6)
		return KAN_ICMP_QUOTE;
	return KAN_ICMP_OK;
}

/* ---- helpers ------------------------------------------------------------ */

/* An original packet of len (>= 40) bytes at ip: UDP when it fits, else
 * next header nh with a pattern payload. */
static void make_orig(uint8_t *ip, size_t len, const struct hk_addr *src, const struct hk_addr *dst,
                      unsigned seed)
{
	if (len >= 48) {
		ref_udp(ip, len - 48, src, dst, (uint16_t)(4000 + seed), 7, seed);
		return;
	}
	ref_ip6(ip, len, 59, src, dst); /* no next header */
	for (size_t i = 40; i < len; i++)
		ip[i] = (uint8_t)(i + seed);
}

/*
 * Run kan_icmp6_error on an exact-size copy of page and compare the
 * outcome with the reference: return value, offset, length and every
 * byte of the page (untouched on a refusal). A Destination Unreachable
 * with param 0 also goes through kan_icmp6_unreach, which must do the
 * same. Returns the result.
 */
static int error_check(const uint8_t *page, size_t psize, size_t off, size_t len,
                       const struct hk_addr *from, uint8_t type, uint8_t code, uint32_t param)
{
	uint8_t *exp = buf_exact(NULL, psize);
	size_t eoff = off, elen = len;
	int want = ref_error(page, psize, off, len, from, type, code, param, exp, &eoff, &elen);
	if (want != KAN_ICMP_OK)
		memcpy(exp, page, psize);
	for (int wrapper = 0; wrapper < 1 + (type == 1 && param == 0); wrapper++) {
		uint8_t *p = buf_exact(page, psize);
		uint16_t o = (uint16_t)off, l = (uint16_t)len;
		assert_true(o == off && l == len);
		int rc = wrapper ? kan_icmp6_unreach(p, psize, &o, &l, from, code)
		                 : kan_icmp6_error(p, psize, &o, &l, from, type, code, param);
		assert_int_equal(rc, want);
		assert_int_equal(o, eoff);
		assert_int_equal(l, elen);
		assert_memory_equal(p, exp, psize);
		if (rc == KAN_ICMP_OK && psize == HK_PKT_SIZE)
			assert_int_equal(kan_hdr_check(p, o, l), KAN_HDR_OK);
		buf_free(p, psize);
	}
	buf_free(exp, psize);
	return want;
}

static int unreach_check(const uint8_t *page, size_t psize, size_t off, size_t len,
                         const struct hk_addr *from, uint8_t code)
{
	return error_check(page, psize, off, len, from, 1, code, 0);
}

/* ---- making errors ------------------------------------------------------ */

static void test_in_place(void **state)
{
	(void)state;
	static const size_t lens[] = {40, 41, 47, 48, 49, 100, 1231, 1232, 1233, 1280, 2000, 3968};
	uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
	for (size_t k = 0; k < ARRAY_LEN(lens); k++) {
		size_t len = lens[k];
		size_t offs[] = {48, 49, 55, 56, HK_PKT_HEADROOM, HK_PKT_SIZE - len};
		for (size_t j = 0; j < ARRAY_LEN(offs); j++) {
			size_t off = offs[j];
			if (off < 48 || off + len > HK_PKT_SIZE)
				continue;
			memset(page, 0xa5, HK_PKT_SIZE);
			make_orig(page + off, len, &REF_PROC, &REF_REMOTE, (unsigned)k);
			assert_int_equal(unreach_check(page, HK_PKT_SIZE, off, len, &REF_KERNEL, 0),
			                 0);
			/* by hand: nothing but the 48 bytes in front changed */
			uint8_t *p = buf_exact(page, HK_PKT_SIZE);
			uint16_t o = (uint16_t)off, l = (uint16_t)len;
			assert_int_equal(kan_icmp6_unreach(p, HK_PKT_SIZE, &o, &l, &REF_KERNEL, 3),
			                 0);
			size_t q = len < 1232 ? len : 1232;
			assert_int_equal(o, off - 48);
			assert_int_equal(l, 48 + q);
			assert_true(l <= 1280);
			assert_memory_equal(p, page, off - 48);
			assert_memory_equal(p + off, page + off, HK_PKT_SIZE - off);
			assert_int_equal(p[o], 0x60);
			assert_int_equal(p[o + 6], 58);
			assert_int_equal(p[o + 7], 64);
			assert_memory_equal(p + o + 8, REF_KERNEL.b, 16);
			assert_memory_equal(p + o + 24, REF_PROC.b, 16);
			assert_int_equal(p[o + 40], 1);
			assert_int_equal(p[o + 41], 3);
			assert_true(ref_csum_ok(p + o, l));
			/* and what a receiver reads from it */
			struct kan_icmp6_bounce b;
			assert_int_equal(kan_icmp6_parse_unreach(p + o, l, &b), 0);
			assert_int_equal(b.code, 3);
			assert_memory_equal(b.reporter.b, REF_KERNEL.b, 16);
			assert_memory_equal(b.orig_src.b, REF_PROC.b, 16);
			assert_memory_equal(b.orig_dst.b, REF_REMOTE.b, 16);
			assert_ptr_equal(b.quote, p + off);
			assert_int_equal(b.quote_len, q);
			assert_int_equal(b.orig_proto, len >= 48 ? 17 : 59);
			assert_int_equal(b.has_ports, len >= 48);
			if (len >= 48) {
				assert_int_equal(b.sport, 4000 + k);
				assert_int_equal(b.dport, 7);
			}
			buf_free(p, HK_PKT_SIZE);
		}
	}
	buf_free(page, HK_PKT_SIZE);
}

static void test_moves_forward(void **state)
{
	(void)state;
	uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
	static const size_t lens[] = {40, 48, 100, 1232, 1233, 4000};
	for (size_t off = 0; off < 48; off++) {
		for (size_t k = 0; k < ARRAY_LEN(lens); k++) {
			size_t len = lens[k];
			if (off + len > HK_PKT_SIZE)
				len = HK_PKT_SIZE - off; /* reaching the very end of the page */
			memset(page, 0x5a, HK_PKT_SIZE);
			make_orig(page + off, len, &REF_PROC, &REF_KERNEL, (unsigned)off);
			assert_int_equal(unreach_check(page, HK_PKT_SIZE, off, len, &REF_KERNEL, 4),
			                 0);
		}
	}
	buf_free(page, HK_PKT_SIZE);
}

/* Every offset and length on small pages, where the quote is cut to fit. */
static void test_every_off_len_small_pages(void **state)
{
	(void)state;
	static const size_t sizes[] = {40, 47, 48, 87, 88, 89, 95, 96, 100, 137, 201};
	for (size_t k = 0; k < ARRAY_LEN(sizes); k++) {
		size_t ps = sizes[k];
		uint8_t *page = buf_exact(NULL, ps);
		for (size_t off = 0; off + 40 <= ps; off++) {
			for (size_t len = 40; off + len <= ps; len++) {
				memset(page, (int)(off * 31 + len), ps);
				make_orig(page + off, len, &REF_PROC, &REF_KERNEL, (unsigned)len);
				int rc = unreach_check(page, ps, off, len, &REF_KERNEL, 0);
				assert_int_equal(rc, off < 48 && ps < 88 ? KAN_ICMP_NOROOM : 0);
			}
		}
		buf_free(page, ps);
	}
	/* a page just bigger than the largest error */
	rng_state = 0x736d616c6c;
	uint8_t *page = buf_exact(NULL, 1300);
	for (int it = 0; it < 3000; it++) {
		size_t off = rndn(1300 - 40 + 1);
		size_t len = 40 + rndn((unsigned)(1300 - off - 40 + 1));
		make_orig(page + off, len, &REF_PROC, &REF_KERNEL, (unsigned)it);
		assert_int_equal(unreach_check(page, 1300, off, len, &REF_KERNEL, 0), 0);
	}
	buf_free(page, 1300);
}

/* from may point into the page, even at bytes the move overwrites. */
static void test_from_in_page(void **state)
{
	(void)state;
	static const size_t offs[] = {0, 8, 20, 47, 48, 128};
	for (size_t k = 0; k < ARRAY_LEN(offs); k++) {
		size_t off = offs[k];
		uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
		make_orig(page + off, 200, &REF_PROC, &REF_KERNEL, 1);
		/* answer from the address the packet was sent to (port unreachable) */
		uint16_t o = (uint16_t)off, l = 200;
		const struct hk_addr *from = (const struct hk_addr *)(page + off + 24);
		assert_int_equal(kan_icmp6_unreach(page, HK_PKT_SIZE, &o, &l, from, 4), 0);
		assert_memory_equal(page + o + 8, REF_KERNEL.b, 16);
		assert_memory_equal(page + o + 24, REF_PROC.b, 16);
		assert_true(ref_csum_ok(page + o, l));
		/* from in the 48 bytes about to become the header */
		memset(page, 0, HK_PKT_SIZE);
		make_orig(page + 128, 200, &REF_PROC, &REF_REMOTE, 1);
		memcpy(page + 80 + 20, REF_KERNEL.b, 16);
		o = 128;
		l = 200;
		from = (const struct hk_addr *)(page + 100);
		assert_int_equal(kan_icmp6_unreach(page, HK_PKT_SIZE, &o, &l, from, 0), 0);
		assert_memory_equal(page + o + 8, REF_KERNEL.b, 16);
		assert_true(ref_csum_ok(page + o, l));
		buf_free(page, HK_PKT_SIZE);
	}
}

/* ---- refusals ----------------------------------------------------------- */

static void test_refuse_bounds(void **state)
{
	(void)state;
	uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
	make_orig(page + 128, 100, &REF_PROC, &REF_KERNEL, 0);
	/* descriptors outside the page, including ones whose sum would wrap */
	static const size_t bad[][2] = {{4096, 40}, {4057, 40}, {128, 3969}, {65535, 65535},
	                                {0, 4097},  {4095, 2},  {65535, 40}, {40, 65535}};
	for (size_t k = 0; k < ARRAY_LEN(bad); k++)
		assert_int_equal(
		    unreach_check(page, HK_PKT_SIZE, bad[k][0], bad[k][1], &REF_KERNEL, 0),
		    KAN_ICMP_BADPKT);
	/* a good header whose packet runs 1..60 bytes past the page end */
	for (size_t over = 1; over <= 60; over++) {
		uint8_t *q = buf_exact(NULL, HK_PKT_SIZE);
		size_t off = HK_PKT_SIZE - 100 + over;
		ref_ip6(q + off, 100, 17, &REF_PROC, &REF_KERNEL);
		for (size_t ps = off + 40; ps <= HK_PKT_SIZE; ps++)
			assert_int_equal(unreach_check(q, ps, off, 100, &REF_KERNEL, 0),
			                 KAN_ICMP_BADPKT);
		buf_free(q, HK_PKT_SIZE);
	}
	/* inside the page but not the packet its header describes */
	for (size_t len = 0; len < 100; len++)
		assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, len, &REF_KERNEL, 0),
		                 KAN_ICMP_BADPKT);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 101, &REF_KERNEL, 0),
	                 KAN_ICMP_BADPKT);
	for (unsigned v = 0; v < 16; v++) {
		page[128] = (uint8_t)(v << 4);
		assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 100, &REF_KERNEL, 0),
		                 v == 6 ? 0 : KAN_ICMP_BADPKT);
	}
	/* a page too small to hold even a header there */
	assert_int_equal(unreach_check(page, 0, 0, 40, &REF_KERNEL, 0), KAN_ICMP_BADPKT);
	assert_int_equal(unreach_check(page, 39, 0, 40, &REF_KERNEL, 0), KAN_ICMP_BADPKT);
	buf_free(page, HK_PKT_SIZE);
}

static void test_refuse_addresses_and_code(void **state)
{
	(void)state;
	uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
	make_orig(page + 128, 100, &REF_PROC, &REF_KERNEL, 0);
	for (int code = 0; code < 256; code++)
		assert_int_equal(
		    unreach_check(page, HK_PKT_SIZE, 128, 100, &REF_KERNEL, (uint8_t)code),
		    code <= 6 ? 0 : KAN_ICMP_CODE);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 100, &MCAST, 0), KAN_ICMP_FROM);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 100, &UNSPEC, 0), KAN_ICMP_FROM);
	/* nobody to tell: multicast or unspecified source */
	make_orig(page + 128, 100, &MCAST, &REF_KERNEL, 0);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 100, &REF_KERNEL, 0), KAN_ICMP_SRC);
	make_orig(page + 128, 100, &UNSPEC, &REF_KERNEL, 0);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 100, &REF_KERNEL, 0), KAN_ICMP_SRC);
	/* a multicast destination is never answered with Destination Unreachable */
	make_orig(page + 128, 100, &REF_PROC, &MCAST, 0);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 100, &REF_KERNEL, 0),
	                 KAN_ICMP_MCAST);
	/* off < 48 with a page too small to move into */
	make_orig(page, 40, &REF_PROC, &REF_KERNEL, 0);
	assert_int_equal(unreach_check(page, 87, 0, 40, &REF_KERNEL, 0), KAN_ICMP_NOROOM);
	assert_int_equal(unreach_check(page, 88, 0, 40, &REF_KERNEL, 0), 0);
	buf_free(page, HK_PKT_SIZE);
}

static void test_refuse_icmp_errors(void **state)
{
	(void)state;
	uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
	for (int type = 0; type < 256; type++) {
		make_orig(page + 128, 100, &REF_PROC, &REF_KERNEL, 0);
		page[128 + 6] = 58;
		page[128 + 40] = (uint8_t)type;
		assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 100, &REF_KERNEL, 0),
		                 type < 128 ? KAN_ICMP_IS_ERROR : 0);
	}
	/* ICMPv6 with no byte of its header: cannot tell, refused */
	make_orig(page + 128, 40, &REF_PROC, &REF_KERNEL, 0);
	page[128 + 6] = 58;
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 40, &REF_KERNEL, 0),
	                 KAN_ICMP_IS_ERROR);
	page[128 + 6] = 59;
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 128, 40, &REF_KERNEL, 0), 0);
	/* the error this module makes is itself never answered */
	make_orig(page + 128, 100, &REF_PROC, &REF_KERNEL, 0);
	uint16_t o = 128, l = 100;
	assert_int_equal(kan_icmp6_unreach(page, HK_PKT_SIZE, &o, &l, &REF_KERNEL, 3), 0);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, o, l, &REF_KERNEL, 3), KAN_ICMP_IS_ERROR);
	buf_free(page, HK_PKT_SIZE);
}

/* Build at ip a packet with the extension headers chain[0..n) (next
 * header values, each 8 bytes, AH 12) and then upper-layer proto with one
 * byte first (ICMPv6 type). Returns its length. */
static size_t make_chain(uint8_t *ip, const uint8_t *chain, unsigned n, uint8_t proto,
                         uint8_t first)
{
	size_t at = 40;
	for (unsigned i = 0; i < n; i++) {
		uint8_t next = i + 1 < n ? chain[i + 1] : proto;
		size_t hl = chain[i] == 51 ? 12 : 8;
		memset(ip + at, 0, hl);
		ip[at] = next;
		ip[at + 1] = chain[i] == 51 ? 1 : 0; /* AH: (1 + 2) * 4 bytes; others 8 */
		at += hl;
	}
	memset(ip + at, 0, 16);
	ip[at] = first;
	size_t len = at + 16;
	ref_ip6(ip, len, n ? chain[0] : proto, &REF_PROC, &REF_KERNEL);
	return len;
}

static void test_extension_chains(void **state)
{
	(void)state;
	uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
	uint8_t *ip = page + 256;
	static const uint8_t kinds[] = {0, 43, 44, 51, 60};
	/* every chain of up to 3 headers, ending in an ICMPv6 error, an echo, UDP */
	for (unsigned n = 0; n <= 3; n++) {
		unsigned combos = 1;
		for (unsigned i = 0; i < n; i++)
			combos *= 5;
		for (unsigned c = 0; c < combos; c++) {
			uint8_t chain[3];
			for (unsigned i = 0, x = c; i < n; i++, x /= 5)
				chain[i] = kinds[x % 5];
			size_t len = make_chain(ip, chain, n, 58, 1);
			assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0),
			                 KAN_ICMP_IS_ERROR);
			len = make_chain(ip, chain, n, 58, 128);
			assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0),
			                 0);
			len = make_chain(ip, chain, n, 17, 0);
			assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0),
			                 0);
			/* the chain cut short inside its last header: cannot tell */
			if (n) {
				len = make_chain(ip, chain, n, 17, 0);
				size_t cut = len - 16 - 1;
				wr16(ip + 4, (unsigned)(cut - 40));
				assert_int_equal(
				    unreach_check(page, HK_PKT_SIZE, 256, cut, &REF_KERNEL, 0),
				    KAN_ICMP_IS_ERROR);
			}
		}
	}
	/* 8 headers walk; 9 do not */
	uint8_t nine[9] = {60, 60, 60, 60, 60, 60, 60, 60, 60};
	size_t len = make_chain(ip, nine, 8, 17, 0);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0), 0);
	len = make_chain(ip, nine, 9, 17, 0);
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0),
	                 KAN_ICMP_IS_ERROR);
	/* a non-first fragment: its upper layer is elsewhere */
	uint8_t frag[1] = {44};
	len = make_chain(ip, frag, 1, 17, 0);
	wr16(ip + 42, 8); /* offset 1 (x 8 bytes) */
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0),
	                 KAN_ICMP_IS_ERROR);
	wr16(ip + 42, 1); /* first fragment, M flag: walkable */
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0), 0);
	/* a header length running past the packet */
	uint8_t dst[1] = {60};
	len = make_chain(ip, dst, 1, 17, 0);
	ip[41] = 2; /* 24 bytes, 16 + 8 left */
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0), 0);
	ip[41] = 3; /* 32 bytes: past the end */
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0),
	                 KAN_ICMP_IS_ERROR);
	ip[41] = 255;
	assert_int_equal(unreach_check(page, HK_PKT_SIZE, 256, len, &REF_KERNEL, 0),
	                 KAN_ICMP_IS_ERROR);
	buf_free(page, HK_PKT_SIZE);
}

/* ---- every error type ---------------------------------------------------- */

static void test_error_types_and_codes(void **state)
{
	(void)state;
	uint8_t *page = buf_exact(NULL, 400);
	int made[5] = {0};
	for (unsigned type = 0; type < 256; type++) {
		for (unsigned code = 0; code < 256; code++) {
			make_orig(page + 128, 100, &REF_PROC, &REF_REMOTE, code);
			int rc = error_check(page, 400, 128, 100, &REF_KERNEL, (uint8_t)type,
			                     (uint8_t)code, 0x01020304u * (code + 1));
			assert_int_equal(
			    rc, ref_code_ok((uint8_t)type, (uint8_t)code) ? 0 : KAN_ICMP_CODE);
			if (rc == 0)
				made[type]++;
		}
	}
	assert_int_equal(made[1], 7);
	assert_int_equal(made[2], 1);
	assert_int_equal(made[3], 2);
	assert_int_equal(made[4], 4);
	buf_free(page, 400);
}

/* By hand: the type, code and 4-byte field of each, and what a
 * multicast destination gets (RFC 4443 2.4(e.3)). */
static void test_error_fields_and_multicast(void **state)
{
	(void)state;
	static const struct {
		uint8_t type, code;
		uint32_t param, field;
		int to_group;
	} cases[] = {
	    {1, 0, 0xdeadbeef, 0, 0},
	    {1, 3, 0, 0, 0},
	    {1, 1, 7, 0, 0},
	    {2, 0, 1280, 1280, 1},
	    {2, 0, 9000, 9000, 1},
	    {3, 0, 5, 0, 0},
	    {3, 1, 0, 0, 0},
	    {4, 0, 40, 40, 0},
	    {4, 1, 6, 6, 0},
	    {4, 2, 42, 42, 1},
	    {4, 3, 0xffffffff, 0xffffffff, 0},
	};
	for (size_t k = 0; k < ARRAY_LEN(cases); k++) {
		for (int group = 0; group < 2; group++) {
			uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
			make_orig(page + 256, 300, &REF_REMOTE, group ? &MCAST : &REF_PROC, 1);
			uint16_t o = 256, l = 300;
			int rc = kan_icmp6_error(page, HK_PKT_SIZE, &o, &l, &REF_KERNEL,
			                         cases[k].type, cases[k].code, cases[k].param);
			if (group && !cases[k].to_group) {
				assert_int_equal(rc, KAN_ICMP_MCAST);
				buf_free(page, HK_PKT_SIZE);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_equal(o, 256 - 48);
			assert_int_equal(l, 348);
			const uint8_t *e = page + o;
			assert_int_equal(e[40], cases[k].type);
			assert_int_equal(e[41], cases[k].code);
			assert_int_equal(rd32(e + 44), cases[k].field);
			assert_memory_equal(e + 8, REF_KERNEL.b, 16);
			assert_memory_equal(e + 24, REF_REMOTE.b, 16);
			assert_true(ref_csum_ok(e, l));
			/* the quote is the packet as it was */
			assert_int_equal(e[48], 0x60);
			assert_memory_equal(e + 48 + 24, group ? MCAST.b : REF_PROC.b, 16);
			/* and the error is never answered with another */
			assert_int_equal(
			    error_check(page, HK_PKT_SIZE, o, l, &REF_KERNEL, 2, 0, 1280),
			    KAN_ICMP_IS_ERROR);
			buf_free(page, HK_PKT_SIZE);
		}
	}
}

/* ---- random outcomes against the model ---------------------------------- */

static struct hk_addr rand_addr(void)
{
	struct hk_addr a;
	switch (rndn(5)) {
	case 0: a = MCAST; break;
	case 1: a = UNSPEC; break;
	case 2: a = REF_KERNEL; break;
	default:
		for (int i = 0; i < 16; i++)
			a.b[i] = (uint8_t)rnd();
	}
	return a;
}

static void test_random_against_model(void **state)
{
	(void)state;
	rng_state = 0x69636d70;
	uint8_t *page = buf_exact(NULL, HK_PKT_SIZE);
	static const uint8_t nhs[] = {17, 58, 59, 6, 0, 43, 44, 51, 60};
	int seen[1 - KAN_ICMP_ERR_MIN] = {0};
	for (int it = 0; it < 30000; it++) {
		unsigned pick = rndn(4);
		size_t ps = pick == 0   ? 40 + rndn(100)
		            : pick == 1 ? 40 + rndn(HK_PKT_SIZE - 40)
		                        : HK_PKT_SIZE;
		size_t off = rndn(4) ? rndn(ps < 200 ? (unsigned)ps : 200) : rndn((unsigned)ps + 8);
		size_t len = rndn(3) ? 40 + rndn(ps < 1400 ? (unsigned)ps : 1400) : rndn(5000);
		memset(page, it, ps);
		if (off + 40 <= ps && off + len <= ps && len >= 40) {
			struct hk_addr s = rndn(3) ? REF_PROC : rand_addr();
			struct hk_addr d = rndn(3) ? REF_REMOTE : rand_addr();
			ref_ip6(page + off, len, nhs[rndn(ARRAY_LEN(nhs))], &s, &d);
			if (rndn(8) == 0)
				page[off + 4] ^= 1; /* length disagreeing */
			if (len > 40 && rndn(2))
				page[off + 40] = (uint8_t)rndn(256);
		}
		struct hk_addr from = rndn(6) ? REF_KERNEL : rand_addr();
		uint8_t type = (uint8_t)(rndn(8) ? 1 + rndn(4) : rnd());
		uint8_t code = (uint8_t)(rndn(8) ? rndn(7) : rnd());
		uint32_t param = rndn(2) ? 0 : (uint32_t)rnd();
		int rc = error_check(page, ps, off, len, &from, type, code, param);
		seen[-rc]++;
	}
	for (int e = 0; e <= -KAN_ICMP_IS_ERROR; e++)
		assert_true(seen[e] > 0); /* every outcome of making an error was reached */
	buf_free(page, HK_PKT_SIZE);
}

/* ---- parsing ------------------------------------------------------------ */

/* Parse an exact copy; *out untouched on a refusal. */
static int parse_copy(const uint8_t *ip, size_t len)
{
	uint8_t *b = buf_exact(ip, len);
	struct kan_icmp6_bounce out, sentinel;
	memset(&out, 0x3c, sizeof(out));
	memcpy(&sentinel, &out, sizeof(out));
	int rc = kan_icmp6_parse_unreach(b, len, &out);
	if (rc)
		assert_memory_equal(&out, &sentinel, sizeof(out));
	else
		assert_true(out.quote == b + 48 && out.quote_len == len - 48);
	buf_free(b, len);
	return rc;
}

/* A valid error into e (room for 1280), quoting a UDP packet of olen. */
static size_t make_error(uint8_t *e, size_t olen, uint8_t code)
{
	uint8_t page[HK_PKT_SIZE];
	make_orig(page + 128, olen, &REF_PROC, &REF_REMOTE, 9);
	uint16_t o = 128, l = (uint16_t)olen;
	assert_int_equal(kan_icmp6_unreach(page, sizeof(page), &o, &l, &REF_KERNEL, code), 0);
	memcpy(e, page + o, l);
	return l;
}

static void test_parse_classes(void **state)
{
	(void)state;
	uint8_t e[1400];
	size_t n = make_error(e, 100, 0);
	assert_int_equal(parse_copy(e, n), 0);
	for (unsigned nh = 0; nh < 256; nh++) {
		make_error(e, 100, 0);
		e[6] = (uint8_t)nh;
		assert_int_equal(parse_copy(e, n), nh == 58 ? 0 : KAN_ICMP_NOT_ICMP);
	}
	for (unsigned type = 0; type < 256; type++) {
		make_error(e, 100, 0);
		e[40] = (uint8_t)type;
		assert_int_equal(ref_parse(e, n), type == 1 ? 0 : KAN_ICMP_TYPE);
		assert_int_equal(parse_copy(e, n), type == 1 ? 0 : KAN_ICMP_TYPE);
	}
	/* every single-bit flip the checksum covers */
	for (size_t byte = 8; byte < n; byte++) {
		if (byte == 40)
			continue; /* the type: TYPE above */
		for (int bit = 0; bit < 8; bit++) {
			make_error(e, 100, 0);
			e[byte] ^= (uint8_t)(1u << bit);
			assert_int_equal(ref_parse(e, n), KAN_ICMP_CHECKSUM);
			assert_int_equal(parse_copy(e, n), KAN_ICMP_CHECKSUM);
		}
	}
	/* a valid checksum over a quote that is no IPv6 header */
	for (size_t q = 0; q < 40; q++) {
		uint8_t x[88];
		ref_ip6(x, 48 + q, 58, &REF_KERNEL, &REF_PROC);
		memset(x + 40, 0, 48);
		x[40] = 1;
		x[48] = 0x60;
		wr16(x + 42, ref_csum(&REF_KERNEL, &REF_PROC, 58, x + 40, 8 + q));
		assert_int_equal(parse_copy(x, 48 + q), KAN_ICMP_QUOTE);
	}
	n = make_error(e, 40, 0);
	assert_int_equal(n, 88);
	assert_int_equal(parse_copy(e, n), 0);
	e[48] = 0x40;
	wr16(e + 42, 0);
	wr16(e + 42, ref_csum(&REF_KERNEL, &REF_PROC, 58, e + 40, n - 40));
	assert_int_equal(parse_copy(e, n), KAN_ICMP_QUOTE);
	/* codes and ports pass through; a non-UDP quote has no ports */
	for (int code = 0; code <= 6; code++) {
		n = make_error(e, 60, (uint8_t)code);
		struct kan_icmp6_bounce b;
		assert_int_equal(kan_icmp6_parse_unreach(e, n, &b), 0);
		assert_int_equal(b.code, code);
		assert_int_equal(b.has_ports, 1);
		assert_int_equal(b.sport, 4009);
	}
	n = make_error(e, 44, 0);
	struct kan_icmp6_bounce b;
	assert_int_equal(kan_icmp6_parse_unreach(e, n, &b), 0);
	assert_int_equal(b.orig_proto, 59);
	assert_int_equal(b.has_ports, 0);
	assert_int_equal(b.sport, 0);
	/* a UDP quote too short for the ports */
	n = make_error(e, 1300, 0);
	assert_int_equal(n, 1280);
	for (size_t qlen = 40; qlen < 48; qlen++) {
		uint8_t x[96];
		memcpy(x, e, 48 + qlen);
		wr16(x + 4, (unsigned)(8 + qlen));
		wr16(x + 42, 0);
		wr16(x + 42, ref_csum(&REF_KERNEL, &REF_PROC, 58, x + 40, 8 + qlen));
		assert_int_equal(kan_icmp6_parse_unreach(x, 48 + qlen, &b), 0);
		assert_int_equal(b.orig_proto, 17);
		assert_int_equal(b.has_ports, 0);
	}
}

static void test_parse_truncations(void **state)
{
	(void)state;
	uint8_t e[1400];
	size_t n = make_error(e, 300, 3);
	for (size_t t = 0; t <= n; t++) {
		make_error(e, 300, 3);
		int want = t == n ? 0 : KAN_ICMP_BADPKT;
		assert_int_equal(ref_parse(e, t), want);
		assert_int_equal(parse_copy(e, t), want);
		if (t >= 40) { /* with the IPv6 length patched to match */
			wr16(e + 4, (unsigned)(t - 40));
			want = ref_parse(e, t);
			if (t < 48)
				assert_int_equal(want, KAN_ICMP_SHORT);
			else if (t < n)
				assert_int_equal(want, KAN_ICMP_CHECKSUM);
			assert_int_equal(parse_copy(e, t), want);
		}
	}
}

static void test_parse_mutations(void **state)
{
	(void)state;
	rng_state = 0x70617273;
	int seen[1 - KAN_ICMP_ERR_MIN] = {0};
	for (int it = 0; it < 40000; it++) {
		uint8_t e[1400];
		size_t n = make_error(e, 40 + rndn(300), (uint8_t)rndn(7));
		unsigned muts = 1 + rndn(3);
		int fix = 0;
		for (unsigned m = 0; m < muts; m++) {
			unsigned at = rndn((unsigned)n + 1);
			switch (rndn(6)) {
			case 0:
				if (at < n)
					e[at] ^= (uint8_t)(1u << rndn(8));
				break;
			case 1:
				if (at < n)
					e[at] = (uint8_t)rnd();
				break;
			case 2: n = rndn((unsigned)n + 1); break;
			case 3: fix = 1; break; /* recompute the lengths and checksum */
			case 4:
				if (n > 48)
					e[48] = (uint8_t)rnd(); /* the quote's version */
				break;
			default:
				if (n > 40)
					e[40] = (uint8_t)rndn(4); /* the type */
				break;
			}
		}
		if (fix && n >= 40)
			wr16(e + 4, (unsigned)(n - 40));
		if (fix && n >= 48) {
			wr16(e + 42, 0);
			struct hk_addr s, d;
			memcpy(s.b, e + 8, 16);
			memcpy(d.b, e + 24, 16);
			wr16(e + 42, ref_csum(&s, &d, e[6], e + 40, n - 40));
		}
		int want = ref_parse(e, n);
		seen[-want]++;
		assert_int_equal(parse_copy(e, n), want);
	}
	static const int parse_classes[] = {KAN_ICMP_OK,    KAN_ICMP_BADPKT, KAN_ICMP_NOT_ICMP,
	                                    KAN_ICMP_SHORT, KAN_ICMP_TYPE,   KAN_ICMP_CHECKSUM,
	                                    KAN_ICMP_QUOTE};
	for (size_t k = 0; k < ARRAY_LEN(parse_classes); k++)
		assert_true(seen[-parse_classes[k]] > 0);
}

static void test_err_names(void **state)
{
	(void)state;
	for (int e = KAN_ICMP_ERR_MIN; e <= 0; e++) {
		assert_string_not_equal(kan_icmp_err_name(e), "unknown");
		for (int f = KAN_ICMP_ERR_MIN; f < e; f++)
			assert_string_not_equal(kan_icmp_err_name(e), kan_icmp_err_name(f));
	}
	assert_string_equal(kan_icmp_err_name(1), "unknown");
	assert_string_equal(kan_icmp_err_name(KAN_ICMP_ERR_MIN - 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_place),
	    cmocka_unit_test(test_moves_forward),
	    cmocka_unit_test(test_every_off_len_small_pages),
	    cmocka_unit_test(test_from_in_page),
	    cmocka_unit_test(test_refuse_bounds),
	    cmocka_unit_test(test_refuse_addresses_and_code),
	    cmocka_unit_test(test_refuse_icmp_errors),
	    cmocka_unit_test(test_extension_chains),
	    cmocka_unit_test(test_error_types_and_codes),
	    cmocka_unit_test(test_error_fields_and_multicast),
	    cmocka_unit_test(test_random_against_model),
	    cmocka_unit_test(test_parse_classes),
	    cmocka_unit_test(test_parse_truncations),
	    cmocka_unit_test(test_parse_mutations),
	    cmocka_unit_test(test_err_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
