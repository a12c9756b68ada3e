// SPDX-License-Identifier: BSD-2-Clause
/*
 * UDP over IPv6 (kan/udp.c) on the host: build/parse round trips with the
 * checksum checked against an independent reference, every refusal class,
 * every truncation, caps one byte short (exact-size buffers, so ASan sees
 * any overrun), and a mutation loop judged by a reference classifier.
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
#include <kan/ipv6.h>
#include <kan/udp.h>

#include "kan_ref.h"
#include "rng.h"

static const size_t plens[] = {0, 1, 2, 7, 8, 9, 100, 1183, 1232, 1500, 4096 - 48 - 128, 4096 - 48};

/* What kan_udp_parse must return for ip[0..len), written from the RFCs. */
static int ref_classify(const uint8_t *ip, size_t len)
{
	if (len < 40 || ip[0] / 16 != 6 || rd16(ip + 4) + 40u != len)
		return KAN_UDP_IPHDR;
	if (ip[6] != 17)
		return KAN_UDP_NOT_UDP;
	if (len < 48)
		return KAN_UDP_SHORT;
	if (rd16(ip + 44) != len - 40)
		return KAN_UDP_LENGTH;
	if (rd16(ip + 46) == 0)
		return KAN_UDP_NOCSUM;
	if (!ref_csum_ok(ip, len))
		return KAN_UDP_CHECKSUM;
	return KAN_UDP_OK;
}

/* Parse an exact-size copy of ip[0..len) and check *out is untouched on a
 * refusal and right on success. Returns the result. */
static int parse_copy(const uint8_t *ip, size_t len)
{
	uint8_t *b = buf_exact(ip, len);
	struct kan_udp u, sentinel;
	memset(&u, 0x5a, sizeof(u));
	memcpy(&sentinel, &u, sizeof(u));
	int rc = kan_udp_parse(b, len, &u);
	if (rc == KAN_UDP_OK) {
		assert_int_equal(u.sport, rd16(b + 40));
		assert_int_equal(u.dport, rd16(b + 42));
		assert_ptr_equal(u.payload, b + 48);
		assert_int_equal(u.len, len - 48);
	} else {
		assert_memory_equal(&u, &sentinel, sizeof(u));
	}
	buf_free(b, len);
	return rc;
}

/* ---- build and parse ---------------------------------------------------- */

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(plens) / sizeof(plens[0]); k++) {
		size_t plen = plens[k], n = 48 + plen;
		/* the reference builder's packet, and the payload alone in ip */
		uint8_t *ref = buf_exact(NULL, n);
		ref_udp(ref, plen, &REF_PROC, &REF_KERNEL, 40000, 1, (unsigned)k);
		uint8_t *ip = buf_exact(NULL, n); /* cap == exactly what is needed */
		memcpy(ip + 48, ref + 48, plen);
		assert_int_equal(kan_udp_build(ip, n, &REF_PROC, &REF_KERNEL, 40000, 1, plen), n);
		assert_memory_equal(ip, ref, n); /* every byte, the checksum included */
		assert_int_equal(ip[7], 64);
		assert_true(ref_csum_ok(ip, n));
		/* a packet the kernel's header check accepts */
		if (n <= HK_PKT_SIZE)
			assert_int_equal(kan_hdr_check(ip, 0, (unsigned)n), KAN_HDR_OK);
		struct kan_udp u;
		assert_int_equal(kan_udp_parse(ip, n, &u), KAN_UDP_OK);
		assert_int_equal(u.sport, 40000);
		assert_int_equal(u.dport, 1);
		assert_ptr_equal(u.payload, ip + 48);
		assert_int_equal(u.len, plen);
		buf_free(ref, n);
		buf_free(ip, n);
	}
}

static void test_round_trip_random(void **state)
{
	(void)state;
	rng_state = 0x75647031;
	for (int it = 0; it < 3000; it++) {
		size_t plen = rndn(1600), n = 48 + plen;
		struct hk_addr s, d;
		for (int i = 0; i < 16; i++) {
			s.b[i] = (uint8_t)rnd();
			d.b[i] = (uint8_t)rnd();
		}
		uint16_t sp = (uint16_t)rnd(), dp = (uint16_t)rnd();
		uint8_t *ip = buf_exact(NULL, n);
		for (size_t i = 0; i < plen; i++)
			ip[48 + i] = (uint8_t)rnd();
		assert_int_equal(kan_udp_build(ip, n, &s, &d, sp, dp, plen), n);
		assert_int_equal(ref_classify(ip, n), KAN_UDP_OK);
		assert_int_not_equal(rd16(ip + 46), 0);
		struct kan_udp u;
		assert_int_equal(kan_udp_parse(ip, n, &u), KAN_UDP_OK);
		assert_int_equal(u.sport, sp);
		assert_int_equal(u.dport, dp);
		assert_int_equal(u.len, plen);
		buf_free(ip, n);
	}
}

/* A payload whose checksum computes to 0 is sent as 0xffff (RFC 768). */
static void test_zero_checksum_sent_as_ones(void **state)
{
	(void)state;
	uint8_t ip[50] = {0};
	assert_int_equal(kan_udp_build(ip, sizeof(ip), &REF_PROC, &REF_KERNEL, 7, 9, 2), 50);
	unsigned c = rd16(ip + 46), w = rd16(ip + 48);
	/* one's-complement add c to the payload word: the sum becomes 0xffff */
	unsigned w2 = w + c;
	w2 = (w2 & 0xffff) + (w2 >> 16);
	wr16(ip + 48, w2);
	assert_int_equal(kan_udp_build(ip, sizeof(ip), &REF_PROC, &REF_KERNEL, 7, 9, 2), 50);
	assert_int_equal(rd16(ip + 46), 0xffff);
	wr16(ip + 46, 0);
	assert_int_equal(ref_csum(&REF_PROC, &REF_KERNEL, 17, ip + 40, 10), 0); /* really 0 */
	wr16(ip + 46, 0xffff);
	struct kan_udp u;
	assert_int_equal(kan_udp_parse(ip, 50, &u), KAN_UDP_OK);
	assert_true(ref_csum_ok(ip, 50));
}

/* src and dst may come from the header being overwritten: a reply. */
static void test_build_reply_in_place(void **state)
{
	(void)state;
	uint8_t ip[60];
	ref_udp(ip, 12, &REF_PROC, &REF_KERNEL, 5000, 1, 3);
	assert_int_equal(
	    kan_udp_build(ip, sizeof(ip), kan_hdr_dst(ip), kan_hdr_src(ip), 1, 5000, 12), 60);
	assert_memory_equal(ip + 8, REF_KERNEL.b, 16);
	assert_memory_equal(ip + 24, REF_PROC.b, 16);
	assert_int_equal(ref_classify(ip, 60), KAN_UDP_OK);
	/* src == dst, both pointing into the header */
	assert_int_equal(kan_udp_build(ip, sizeof(ip), kan_hdr_dst(ip), kan_hdr_dst(ip), 1, 1, 12),
	                 60);
	assert_memory_equal(ip + 8, REF_PROC.b, 16);
	assert_memory_equal(ip + 24, REF_PROC.b, 16);
	assert_int_equal(ref_classify(ip, 60), KAN_UDP_OK);
}

/* Every cap below the need is refused with nothing written. */
static void test_build_refuses_small_cap(void **state)
{
	(void)state;
	static const size_t ps[] = {0, 1, 8, 100};
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		size_t need = 48 + ps[k];
		for (size_t cap = 0; cap < need; cap++) {
			uint8_t *b = buf_exact(NULL, cap);
			uint8_t *before = buf_exact(b, cap);
			assert_int_equal(kan_udp_build(b, cap, &REF_PROC, &REF_KERNEL, 1, 2, ps[k]),
			                 0);
			assert_memory_equal(b, before, cap);
			buf_free(before, cap);
			buf_free(b, cap);
		}
	}
}

static void test_build_limits(void **state)
{
	(void)state;
	uint8_t small[48];
	/* payloads the length field cannot hold: refused before cap is believed */
	assert_int_equal(kan_udp_build(small, SIZE_MAX, &REF_PROC, &REF_KERNEL, 1, 2, 65528), 0);
	assert_int_equal(kan_udp_build(small, SIZE_MAX, &REF_PROC, &REF_KERNEL, 1, 2, 65536), 0);
	assert_int_equal(kan_udp_build(small, SIZE_MAX, &REF_PROC, &REF_KERNEL, 1, 2, SIZE_MAX), 0);
	assert_int_equal(
	    kan_udp_build(small, SIZE_MAX, &REF_PROC, &REF_KERNEL, 1, 2, SIZE_MAX - 47), 0);
	/* the largest payload */
	size_t n = 48 + KAN_UDP_MAX_PAY;
	uint8_t *ip = buf_exact(NULL, n);
	assert_int_equal(kan_udp_build(ip, n, &REF_PROC, &REF_KERNEL, 1, 2, KAN_UDP_MAX_PAY), n);
	assert_int_equal(rd16(ip + 4), 65535);
	assert_int_equal(rd16(ip + 44), 65535);
	assert_int_equal(ref_classify(ip, n), KAN_UDP_OK);
	assert_int_equal(parse_copy(ip, n), KAN_UDP_OK);
	assert_int_equal(kan_udp_build(ip, n - 1, &REF_PROC, &REF_KERNEL, 1, 2, KAN_UDP_MAX_PAY),
	                 0);
	buf_free(ip, n);
	/* empty payload, exact 48 */
	assert_int_equal(kan_udp_build(small, 48, &REF_PROC, &REF_KERNEL, 1, 2, 0), 48);
	assert_int_equal(parse_copy(small, 48), KAN_UDP_OK);
}

/* ---- refusals ----------------------------------------------------------- */

static void test_parse_iphdr(void **state)
{
	(void)state;
	uint8_t ip[148];
	ref_udp(ip, 100, &REF_PROC, &REF_KERNEL, 9, 10, 1);
	for (size_t len = 0; len < 40; len++)
		assert_int_equal(parse_copy(ip, len), KAN_UDP_IPHDR);
	/* the length disagreeing with the payload length field, either way */
	assert_int_equal(parse_copy(ip, 147), KAN_UDP_IPHDR);
	uint8_t big[149];
	memcpy(big, ip, 148);
	big[148] = 0;
	assert_int_equal(parse_copy(big, 149), KAN_UDP_IPHDR);
	/* every version but 6 */
	for (unsigned v = 0; v < 16; v++) {
		ip[0] = (uint8_t)(v << 4);
		assert_int_equal(parse_copy(ip, 148), v == 6 ? KAN_UDP_OK : KAN_UDP_IPHDR);
	}
	ip[0] = 0x60;
	wr16(ip + 4, 0xffff);
	assert_int_equal(parse_copy(ip, 148), KAN_UDP_IPHDR);
	wr16(ip + 4, 0);
	assert_int_equal(parse_copy(ip, 148), KAN_UDP_IPHDR);
	assert_int_equal(parse_copy(ip, 40), KAN_UDP_SHORT); /* field 0 agrees with 40 */
}

static void test_parse_not_udp(void **state)
{
	(void)state;
	uint8_t ip[60];
	for (unsigned nh = 0; nh < 256; nh++) {
		ref_udp(ip, 12, &REF_PROC, &REF_KERNEL, 9, 10, 1);
		ip[6] = (uint8_t)nh;
		assert_int_equal(parse_copy(ip, 60), nh == 17 ? KAN_UDP_OK : KAN_UDP_NOT_UDP);
	}
	/* a valid UDP datagram behind a hop-by-hop header is still refused */
	uint8_t udp[60], ext[68];
	ref_udp(udp, 12, &REF_PROC, &REF_KERNEL, 9, 10, 1);
	ref_ip6(ext, sizeof(ext), 0, &REF_PROC, &REF_KERNEL);
	memset(ext + 40, 0, 8);
	ext[40] = 17; /* next header UDP, length 0 (8 bytes), a PadN option */
	ext[42] = 1;
	ext[43] = 4;
	memcpy(ext + 48, udp + 40, 20);
	assert_int_equal(parse_copy(ext, 68), KAN_UDP_NOT_UDP);
}

static void test_parse_short(void **state)
{
	(void)state;
	uint8_t ip[48];
	for (size_t ulen = 0; ulen < 8; ulen++) {
		ref_udp(ip, 0, &REF_PROC, &REF_KERNEL, 9, 10, 1);
		wr16(ip + 4, (unsigned)ulen);
		assert_int_equal(parse_copy(ip, 40 + ulen), KAN_UDP_SHORT);
	}
}

static void test_parse_length(void **state)
{
	(void)state;
	uint8_t ip[148];
	static const unsigned bad[] = {0, 1, 7, 8, 107, 109, 0x8000, 0xffff};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		ref_udp(ip, 100, &REF_PROC, &REF_KERNEL, 9, 10, 1);
		wr16(ip + 44, bad[k]);
		assert_int_equal(parse_copy(ip, 148), KAN_UDP_LENGTH);
	}
	/* a zero-length field (jumbogram style) on an 8-byte datagram */
	ref_udp(ip, 0, &REF_PROC, &REF_KERNEL, 9, 10, 1);
	wr16(ip + 44, 0);
	assert_int_equal(parse_copy(ip, 48), KAN_UDP_LENGTH);
}

static void test_parse_checksum(void **state)
{
	(void)state;
	uint8_t ip[148];
	ref_udp(ip, 100, &REF_PROC, &REF_KERNEL, 9, 10, 1);
	wr16(ip + 46, 0);
	assert_int_equal(parse_copy(ip, 148), KAN_UDP_NOCSUM);
	/* every single-bit flip of the datagram or the addresses is caught */
	for (size_t byte = 8; byte < 148; byte++) {
		if (byte == 44 || byte == 45)
			continue; /* the length field: LENGTH, tested above */
		for (int bit = 0; bit < 8; bit++) {
			ref_udp(ip, 100, &REF_PROC, &REF_KERNEL, 9, 10, 1);
			ip[byte] ^= (uint8_t)(1u << bit);
			int want = ref_classify(ip, 148);
			assert_int_not_equal(want, KAN_UDP_OK);
			assert_int_equal(parse_copy(ip, 148), want);
		}
	}
	/* fields outside the checksum do not matter: traffic class, flow, hop */
	ref_udp(ip, 100, &REF_PROC, &REF_KERNEL, 9, 10, 1);
	ip[0] = 0x6f;
	ip[1] = ip[2] = ip[3] = 0xff;
	ip[7] = 1;
	assert_int_equal(parse_copy(ip, 148), KAN_UDP_OK);
}

/* Every prefix of a valid packet, with and without the length fields
 * patched to match, classifies as the reference says. */
static void test_parse_truncations(void **state)
{
	(void)state;
	uint8_t ip[48 + 61];
	size_t n = sizeof(ip);
	for (size_t t = 0; t <= n; t++) {
		ref_udp(ip, n - 48, &REF_PROC, &REF_KERNEL, 1234, 1, 77);
		int want = t < n ? KAN_UDP_IPHDR : KAN_UDP_OK;
		assert_int_equal(parse_copy(ip, t), want);
		if (t >= 40) {
			wr16(ip + 4, (unsigned)(t - 40));
			want = t < 48 ? KAN_UDP_SHORT : t < n ? KAN_UDP_LENGTH : KAN_UDP_OK;
			assert_int_equal(ref_classify(ip, t), want);
			assert_int_equal(parse_copy(ip, t), want);
		}
		if (t >= 48) {
			wr16(ip + 44, (unsigned)(t - 40));
			want = ref_classify(ip, t);
			assert_true(want == KAN_UDP_CHECKSUM || (t == n && want == KAN_UDP_OK));
			assert_int_equal(parse_copy(ip, t), want);
		}
	}
}

static void test_err_names(void **state)
{
	(void)state;
	for (int e = KAN_UDP_ERR_MIN; e <= 0; e++) {
		assert_non_null(kan_udp_err_name(e));
		assert_string_not_equal(kan_udp_err_name(e), "unknown");
		for (int f = KAN_UDP_ERR_MIN; f < e; f++)
			assert_string_not_equal(kan_udp_err_name(e), kan_udp_err_name(f));
	}
	assert_string_equal(kan_udp_err_name(1), "unknown");
	assert_string_equal(kan_udp_err_name(KAN_UDP_ERR_MIN - 1), "unknown");
	assert_string_equal(kan_udp_err_name(-1000), "unknown");
}

/* ---- mutation loop ------------------------------------------------------ */

static void test_mutations(void **state)
{
	(void)state;
	rng_state = 0x6b616e756470;
	int seen[1 - KAN_UDP_ERR_MIN] = {0};
	for (int it = 0; it < 60000; it++) {
		size_t plen = rndn(200), n = 48 + plen;
		uint8_t ip[48 + 200 + 16];
		ref_udp(ip, plen, &REF_PROC, &REF_KERNEL, (uint16_t)rnd(), (uint16_t)rnd(),
		        (unsigned)rnd());
		unsigned muts = 1 + rndn(4);
		for (unsigned m = 0; m < muts; m++) {
			unsigned at = rndn((unsigned)n + 1); /* may be n: then not used */
			switch (rndn(7)) {
			case 0:
				if (at < n)
					ip[at] ^= (uint8_t)(1u << rndn(8));
				break;
			case 1:
				if (at < n)
					ip[at] = (uint8_t)rnd();
				break;
			case 6: wr16(ip + 46, 0); break;                  /* no checksum */
			case 2: ip[40 + rndn(8)] = (uint8_t)rnd(); break; /* the UDP header */
			case 3: n = rndn((unsigned)n + 1); break;         /* truncate */
			case 4:                                           /* grow */
				if (n < sizeof(ip)) {
					ip[n] = (uint8_t)rnd();
					n++;
				}
				break;
			default: /* make the lengths agree again with the new length */
				if (n >= 40)
					wr16(ip + 4, (unsigned)(n - 40));
				if (n >= 48)
					wr16(ip + 44, (unsigned)(n - 40));
				break;
			}
		}
		int want = ref_classify(ip, n);
		seen[-want]++;
		assert_int_equal(parse_copy(ip, n), want);
	}
	for (int e = 0; e < 1 - KAN_UDP_ERR_MIN; e++)
		assert_true(seen[e] > 0); /* the loop reached every class */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_round_trip_random),
	    cmocka_unit_test(test_zero_checksum_sent_as_ones),
	    cmocka_unit_test(test_build_reply_in_place),
	    cmocka_unit_test(test_build_refuses_small_cap),
	    cmocka_unit_test(test_build_limits),
	    cmocka_unit_test(test_parse_iphdr),
	    cmocka_unit_test(test_parse_not_udp),
	    cmocka_unit_test(test_parse_short),
	    cmocka_unit_test(test_parse_length),
	    cmocka_unit_test(test_parse_checksum),
	    cmocka_unit_test(test_parse_truncations),
	    cmocka_unit_test(test_err_names),
	    cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
