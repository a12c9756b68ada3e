// SPDX-License-Identifier: BSD-2-Clause
/*
 * ICMPv6 for the data plane (net/icmp6.c): the length each type needs at
 * every length of every type, every single-bit error the checksum covers,
 * extension headers and Ethernet padding around the message; and the
 * in-place echo reply, byte for byte against a reply built from scratch
 * with the reference checksum of kan_ref.h, on random payloads, sizes,
 * addresses and extension headers, for a reply from the request's
 * destination and from another address, and for checksum edge values.
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
#include <net/icmp6.h>
#include <net/ip6.h>

#include "kan_ref.h"
#include "rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct hk_addr ALL_NODES = {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

/* The shortest message of each type, from RFC 4443 2.1/4.1, RFC 4861 4.1-4.5
 * and RFC 2710 3, written out as a table. */
static size_t want_min(unsigned type)
{
	if (type < 128)
		return 8;
	switch (type) {
	case 128: return 8;
	case 129: return 8;
	case 130: return 24;
	case 131: return 24;
	case 132: return 24;
	case 133: return 8;
	case 134: return 16;
	case 135: return 24;
	case 136: return 24;
	case 137: return 40;
	default: return 4;
	}
}

/*
 * At ip an IPv6 packet src -> dst with n_ext destination-options headers
 * (8 bytes each) and an ICMPv6 message of mlen bytes (type, code 0,
 * pattern from seed), its checksum from the reference. Returns the
 * message's offset; the packet is that + mlen long.
 */
static size_t mk_icmp(uint8_t *ip, const struct hk_addr *src, const struct hk_addr *dst,
                      unsigned n_ext, uint8_t type, size_t mlen, unsigned seed)
{
	size_t off = 40 + 8 * n_ext;
	ref_ip6(ip, off + mlen, n_ext ? 60 : 58, src, dst);
	for (unsigned i = 0; i < n_ext; i++) {
		memset(ip + 40 + 8 * i, 0, 8);
		ip[40 + 8 * i] = i + 1 < n_ext ? 60 : 58;
		ip[40 + 8 * i + 2] = 1; /* a PadN option */
		ip[40 + 8 * i + 3] = 4;
	}
	uint8_t *m = ip + off;
	for (size_t i = 0; i < mlen; i++)
		m[i] = (uint8_t)(seed + i * 13);
	if (mlen > 0)
		m[0] = type;
	if (mlen > 1)
		m[1] = 0;
	if (mlen >= 4) {
		wr16(m + 2, 0);
		wr16(m + 2, ref_csum(src, dst, 58, m, mlen));
	}
	return off;
}

/* net_ip6_check then net_icmp6_check on an exact copy of ip[0..len). */
static int check_copy(const uint8_t *ip, size_t len)
{
	uint8_t *b = buf_exact(ip, len);
	struct net_ip6_info in;
	int rc = net_ip6_check(b, len, &in);
	if (rc == NET_PASS) {
		assert_int_equal(in.proto, 58);
		rc = net_icmp6_check(b, &in);
	}
	buf_free(b, len);
	return rc;
}

/* ---- checks ------------------------------------------------------------- */

static void test_length_per_type(void **state)
{
	(void)state;
	uint8_t ip[200];
	for (unsigned type = 0; type < 256; type++) {
		for (size_t mlen = 4; mlen <= 48; mlen++) {
			size_t off = mk_icmp(ip, &REF_REMOTE, &REF_PROC, type % 3, (uint8_t)type,
			                     mlen, type);
			int want = mlen < want_min(type) ? NET_DROP_ICMP_LENGTH : NET_PASS;
			assert_int_equal(check_copy(ip, off + mlen), want);
		}
	}
	/* net_icmp6_check alone guards l4_len < 4 (net_ip6_check already does) */
	for (size_t mlen = 0; mlen < 4; mlen++) {
		size_t off = mk_icmp(ip, &REF_REMOTE, &REF_PROC, 0, 128, mlen, 1);
		uint8_t *b = buf_exact(ip, off + mlen);
		struct net_ip6_info in = {
		    .proto = 58, .hop_limit = 64, .l4_off = 40, .l4_len = (uint16_t)mlen};
		assert_int_equal(net_icmp6_check(b, &in), NET_DROP_ICMP_LENGTH);
		buf_free(b, off + mlen);
		assert_int_equal(check_copy(ip, off + mlen), NET_DROP_ICMP_LENGTH);
	}
}

static void test_checksum_bits(void **state)
{
	(void)state;
	uint8_t ip[200];
	static const uint8_t types[] = {128, 129, 135, 136, 1, 3};
	for (size_t k = 0; k < ARRAY_LEN(types); k++) {
		for (unsigned n_ext = 0; n_ext < 3; n_ext++) {
			size_t mlen = 24 + k * 7 + n_ext; /* odd and even lengths */
			size_t off = mk_icmp(ip, &REF_REMOTE, &REF_PROC, n_ext, types[k], mlen, 7);
			size_t len = off + mlen;
			assert_int_equal(check_copy(ip, len), NET_PASS);
			/* the addresses (pseudo-header) and every message bit */
			for (size_t byte = 8; byte < len; byte++) {
				if (byte >= 40 && byte < off)
					continue; /* extension headers: not covered */
				for (int bit = 0; bit < 8; bit++) {
					mk_icmp(ip, &REF_REMOTE, &REF_PROC, n_ext, types[k], mlen,
					        7);
					ip[byte] ^= (uint8_t)(1u << bit);
					/* a flipped type may need more bytes than there are */
					int want = mlen < want_min(ip[off])
					               ? NET_DROP_ICMP_LENGTH
					               : NET_DROP_ICMP_CHECKSUM;
					assert_int_equal(check_copy(ip, len), want);
				}
			}
			/* the extension headers' bytes are not summed */
			for (size_t byte = 42; byte < off; byte++) {
				mk_icmp(ip, &REF_REMOTE, &REF_PROC, n_ext, types[k], mlen, 7);
				ip[byte] ^= 0x5a;
				if ((byte - 40) % 8 >= 4) /* PadN data bytes */
					assert_int_equal(check_copy(ip, len), NET_PASS);
			}
		}
	}
	/* the checksum value 0x0000 and its twin 0xffff both verify */
	size_t off = mk_icmp(ip, &REF_REMOTE, &REF_PROC, 0, 128, 8, 0);
	wr16(ip + off + 4, 0);
	wr16(ip + off + 2, 0);
	uint16_t want = ref_csum(&REF_REMOTE, &REF_PROC, 58, ip + off, 8);
	wr16(ip + off + 4, want); /* identifier = checksum of the rest: sum becomes 0xffff */
	assert_int_equal(ref_csum(&REF_REMOTE, &REF_PROC, 58, ip + off, 8), 0);
	assert_int_equal(check_copy(ip, off + 8), NET_PASS);
	wr16(ip + off + 2, 0xffff);
	assert_int_equal(check_copy(ip, off + 8), NET_PASS);
}

/* Ethernet padding after the packet is not summed. */
static void test_padding_not_summed(void **state)
{
	(void)state;
	uint8_t ip[100];
	for (size_t pad = 0; pad < 20; pad++) {
		size_t off = mk_icmp(ip, &REF_REMOTE, &REF_PROC, 0, 128, 8, 3);
		memset(ip + off + 8, 0x77, pad);
		assert_int_equal(check_copy(ip, off + 8 + pad), NET_PASS);
	}
}

/* ---- the echo reply ----------------------------------------------------- */

/* The reply expected for the request at ip (message at off, mlen bytes),
 * built from scratch into exp; returns its offset from ip. */
static size_t ref_reply(const uint8_t *ip, size_t off, size_t mlen, const struct hk_addr *from,
                        uint8_t *exp)
{
	size_t start = off - 40;
	struct hk_addr to;
	memcpy(to.b, ip + 8, 16);
	memcpy(exp + start + 40, ip + off, mlen);
	ref_ip6(exp + start, 40 + mlen, 58, from, &to);
	uint8_t *m = exp + start + 40;
	m[0] = 129;
	wr16(m + 2, 0);
	wr16(m + 2, ref_csum(from, &to, 58, m, mlen));
	return start;
}

/* Run the echo reply on an exact copy of the request ip[0..len) and
 * compare with the reference. from_dst: answer from the request's own
 * destination, passed as a pointer into the packet. */
static void reply_check(const uint8_t *ip, size_t len, const struct hk_addr *from, int from_dst)
{
	uint8_t *b = buf_exact(ip, len);
	struct net_ip6_info in;
	assert_int_equal(net_ip6_check(b, len, &in), NET_PASS);
	assert_int_equal(net_icmp6_check(b, &in), NET_PASS);
	assert_int_equal(b[in.l4_off], 128);
	struct hk_addr f;
	if (from_dst)
		memcpy(f.b, ip + 24, 16);
	else
		f = *from;
	uint8_t *exp = buf_exact(ip, len);
	size_t want = ref_reply(ip, in.l4_off, in.l4_len, &f, exp);
	size_t start =
	    net_icmp6_echo_reply(b, &in, from_dst ? (const struct hk_addr *)(b + 24) : from);
	assert_int_equal(start, want);
	size_t rlen = 40 + in.l4_len;
	assert_memory_equal(b + start, exp + start, rlen);
	assert_true(ref_csum_ok(b + start, rlen));
	/* the reply is itself a packet that passes, as an Echo Reply */
	struct net_ip6_info out;
	assert_int_equal(net_ip6_check(b + start, rlen, &out), NET_PASS);
	assert_int_equal(net_icmp6_check(b + start, &out), NET_PASS);
	assert_int_equal(b[start + 40], 129);
	buf_free(exp, len);
	buf_free(b, len);
}

static struct hk_addr rand_unicast(void)
{
	struct hk_addr a;
	for (int i = 0; i < 16; i++)
		a.b[i] = (uint8_t)rnd();
	a.b[0] &= 0xfe; /* never 0xff */
	return a;
}

static void test_echo_reply_random(void **state)
{
	(void)state;
	rng_state = 0x6563686f;
	static uint8_t ip[1600];
	for (int it = 0; it < 20000; it++) {
		size_t mlen = 8 + (rndn(4) ? rndn(64) : rndn(1400));
		unsigned n_ext = rndn(4) ? 0 : rndn(4);
		struct hk_addr src = rand_unicast(), dst = rand_unicast();
		if (rndn(4) == 0)
			dst = ALL_NODES; /* a ping to a group: answered from a unicast address */
		size_t off = mk_icmp(ip, &src, &dst, n_ext, 128, mlen, (unsigned)rnd());
		if (rndn(8) == 0) { /* an unusual but valid checksum: 0xffff for 0 */
			if (rd16(ip + off + 2) == 0)
				wr16(ip + off + 2, 0xffff);
		}
		struct hk_addr from = rand_unicast();
		int same = dst.b[0] != 0xff && rndn(2); /* never from a group */
		reply_check(ip, off + mlen, &from, same);
	}
}

/* Requests made so that the reply's checksum is 0x0000, 0xffff-adjacent
 * and so that the request's is 0 or the 0xffff twin. */
static void test_echo_reply_edges(void **state)
{
	(void)state;
	uint8_t ip[200];
	for (unsigned target = 0; target < 4; target++) {
		for (int same = 0; same < 2; same++) {
			struct hk_addr from = same ? REF_PROC : REF_KERNEL;
			size_t off = mk_icmp(ip, &REF_REMOTE, &REF_PROC, 0, 128, 16, target);
			uint8_t *m = ip + off;
			/* choose the last data word so the reply's checksum is a chosen value */
			static const uint16_t wants[] = {0x0000, 0x0001, 0xfffe, 0x8000};
			m[0] = 129;
			wr16(m + 14, 0);
			wr16(m + 2, 0);
			uint16_t c = ref_csum(&from, &REF_REMOTE, 58, m, 16);
			/* adding w to the data subtracts it from the checksum */
			uint32_t w = (uint32_t)c + (uint16_t)~wants[target];
			w = (w & 0xffff) + (w >> 16);
			wr16(m + 14, w);
			assert_int_equal(ref_csum(&from, &REF_REMOTE, 58, m, 16), wants[target]);
			m[0] = 128;
			wr16(m + 2, ref_csum(&REF_REMOTE, &REF_PROC, 58, m, 16));
			reply_check(ip, off + 16, &from, same);
			/* the request's checksum in its other form, where it has one */
			if (rd16(m + 2) == 0) {
				wr16(m + 2, 0xffff);
				reply_check(ip, off + 16, &from, same);
			}
		}
	}
	/* a request whose checksum is 0: find one by the identifier */
	for (unsigned id = 0; id < 65536; id++) {
		size_t off = mk_icmp(ip, &REF_REMOTE, &REF_PROC, 0, 128, 8, 0);
		uint8_t *m = ip + off;
		wr16(m + 4, id);
		wr16(m + 2, 0);
		if (ref_csum(&REF_REMOTE, &REF_PROC, 58, m, 8) != 0)
			continue;
		reply_check(ip, off + 8, &REF_KERNEL, 1);
		reply_check(ip, off + 8, &REF_KERNEL, 0);
		wr16(m + 2, 0xffff);
		reply_check(ip, off + 8, &REF_KERNEL, 1);
		reply_check(ip, off + 8, &REF_KERNEL, 0);
		return;
	}
	fail_msg("no identifier gives checksum 0");
}

/* By hand, for one request: what changes and what does not. */
static void test_echo_reply_fields(void **state)
{
	(void)state;
	uint8_t ip[100];
	size_t off = mk_icmp(ip, &REF_REMOTE, &ALL_NODES, 1, 128, 20, 9);
	ip[1] = 0xab; /* traffic class / flow label: cleared */
	ip[3] = 0xcd;
	ip[7] = 1;
	struct net_ip6_info in;
	uint8_t *b = buf_exact(ip, off + 20);
	assert_int_equal(net_ip6_check(b, off + 20, &in), NET_PASS);
	size_t start = net_icmp6_echo_reply(b, &in, &REF_PROC);
	assert_int_equal(start, 8);
	uint8_t *r = b + start;
	assert_int_equal(r[0], 0x60);
	assert_int_equal(r[1] | r[2] | r[3], 0);
	assert_int_equal(rd16(r + 4), 20);
	assert_int_equal(r[6], 58);
	assert_int_equal(r[7], 64);
	assert_memory_equal(r + 8, REF_PROC.b, 16);
	assert_memory_equal(r + 24, REF_REMOTE.b, 16);
	assert_int_equal(r[40], 129);
	assert_int_equal(r[41], 0);
	assert_memory_equal(r + 44, ip + off + 4, 16); /* identifier, sequence, data */
	assert_true(ref_csum_ok(r, 60));
	buf_free(b, off + 20);
}

/* net_icmp6_answer: refuses :: and bad checksums untouched, else moves off/len to the reply. */
static void test_answer(void **state)
{
	(void)state;
	uint8_t ip[100];
	struct net_ip6_info in;
	size_t moff = mk_icmp(ip, &REF_REMOTE, &REF_PROC, 1, 128, 20, 5);
	uint16_t off = 128, len = (uint16_t)(moff + 20);
	uint8_t *b = buf_exact(ip, len);
	assert_int_equal(net_ip6_check(b, len, &in), NET_PASS);
	b[moff + 6] ^= 1; /* a bad checksum */
	assert_int_equal(net_icmp6_answer(b, &in, &REF_PROC, &off, &len), NET_DROP_ICMP_CHECKSUM);
	assert_int_equal(off, 128);
	assert_int_equal(len, moff + 20);
	b[moff + 6] ^= 1;
	memset(b + 8, 0, 16); /* source :: (the checksum does not matter: refused first) */
	assert_int_equal(net_icmp6_answer(b, &in, &REF_PROC, &off, &len), NET_DROP_IP_SRC);
	memcpy(b + 8, ip + 8, 16);
	assert_int_equal(net_icmp6_answer(b, &in, &REF_PROC, &off, &len), NET_PASS);
	assert_int_equal(off, 128 + 8); /* the extension header is gone */
	assert_int_equal(len, 60);
	assert_true(ref_csum_ok(b + 8, 60));
	buf_free(b, moff + 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_length_per_type),    cmocka_unit_test(test_checksum_bits),
	    cmocka_unit_test(test_padding_not_summed), cmocka_unit_test(test_echo_reply_random),
	    cmocka_unit_test(test_echo_reply_edges),   cmocka_unit_test(test_echo_reply_fields),
	    cmocka_unit_test(test_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
