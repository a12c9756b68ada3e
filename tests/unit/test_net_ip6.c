// SPDX-License-Identifier: BSD-2-Clause
/*
 * Ethernet helpers (net/eth.h) and the arrival checks net_frame_check /
 * net_ip6_check (net/ip6.c) with the extension-header walker they share
 * with the kernel (kan_ip6_walk). Every drop class is produced on its own
 * and in the documented order, every length of a frame is tried (runts,
 * truncations, padding, the MTU edge), every chain of up to three
 * extension headers of every kind, the 8-header limit and non-first
 * fragments; then a mutation loop compares everything with a model
 * written separately from the RFC text. Frames sit in exact-size ASan
 * blocks, so a read past the frame is a report; *out is checked
 * untouched on every drop.
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
#include <net/ip6.h>

#include "kan_ref.h"
#include "rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct net_mac OURS = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
static const struct net_mac HOST = {{0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}};
static const struct net_mac BCAST = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct net_mac ALLNODES = {{0x33, 0x33, 0, 0, 0, 1}};

/* ---- Ethernet helpers --------------------------------------------------- */

static void test_mac_helpers(void **state)
{
	(void)state;
	for (int i = 0; i < 6; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct net_mac m = OURS;
			m.b[i] ^= (uint8_t)(1u << bit);
			assert_false(net_mac_eq(&m, &OURS));
		}
	}
	struct net_mac same = OURS;
	assert_true(net_mac_eq(&same, &OURS));
	for (unsigned b0 = 0; b0 < 256; b0++) {
		struct net_mac m = {{(uint8_t)b0, 0, 0, 0, 0, 0}};
		assert_int_equal(!!net_mac_is_multicast(&m), b0 & 1);
	}
	uint8_t *p = buf_exact(NULL, NET_ETH_HDR);
	net_eth_write(p, &ALLNODES, &OURS, NET_ETHERTYPE_IPV6);
	static const uint8_t want[14] = {0x33, 0x33, 0,    0,    0,    1,    0x52,
	                                 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd};
	assert_memory_equal(p, want, 14);
	net_eth_write(p, &BCAST, &HOST, 0x0800);
	assert_int_equal(p[12], 0x08);
	assert_int_equal(p[13], 0x00);
	buf_free(p, NET_ETH_HDR);
}

static void test_derived_addresses(void **state)
{
	(void)state;
	/* RFC 4291 appendix A / what Linux derives for 52:54:00:12:34:56 */
	static const uint8_t want_ll[16] = {0xfe, 0x80, 0,    0,    0,    0,    0,    0,
	                                    0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56};
	static const uint8_t want_sn[16] = {0xff, 0x02, 0, 0,    0,    0,    0,    0,
	                                    0,    0,    0, 0x01, 0xff, 0x12, 0x34, 0x56};
	struct hk_addr ll, sn;
	net_ll_from_mac(&OURS, &ll);
	net_solicited_node(&ll, &sn);
	assert_memory_equal(ll.b, want_ll, 16);
	assert_memory_equal(sn.b, want_sn, 16);
	assert_true(net_is_link_local(&ll));
	assert_true(net_is_solicited_node(&sn));
	struct hk_addr alias = REF_REMOTE;
	net_solicited_node(&alias, &alias);
	assert_true(net_is_solicited_node(&alias));
	assert_int_equal(alias.b[13], 0x00);
	assert_int_equal(alias.b[14], 0x12);
	assert_int_equal(alias.b[15], 0x34);
	/* any change to the 104-bit group prefix is another address */
	for (int i = 0; i < 13; i++) {
		struct hk_addr x = sn;
		x.b[i] ^= 0x10;
		assert_false(net_is_solicited_node(&x));
	}
	assert_false(net_is_solicited_node(&REF_PROC));
	struct net_mac m;
	net_mac_of_mcast(&sn, &m);
	static const struct net_mac want_m = {{0x33, 0x33, 0xff, 0x12, 0x34, 0x56}};
	assert_true(net_mac_eq(&m, &want_m));
	assert_true(net_mac_is_multicast(&m));
	/* link-local is fe80::/10 */
	for (unsigned b1 = 0; b1 < 256; b1++) {
		struct hk_addr a = ll;
		a.b[1] = (uint8_t)b1;
		assert_int_equal(net_is_link_local(&a), (b1 & 0xc0) == 0x80);
		a.b[0] = 0xfd;
		assert_false(net_is_link_local(&a));
	}
}

/* ---- a model of the checks, from the RFC text --------------------------- */

struct model {
	uint8_t proto, n_ext, frag;
	size_t off, l4_len;
};

static int is_walked(uint8_t nh) { return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60; }

/* The chain from header nh at ip + at, the packet ending at end. */
static int model_chain(const uint8_t *ip, size_t end, size_t at, uint8_t nh, unsigned depth,
                       struct model *m)
{
	if (!is_walked(nh) || (nh == 44 && at + 8 <= end && depth < 8 && rd16(ip + at + 2) >= 8)) {
		m->proto = nh;
		m->off = at;
		m->n_ext = (uint8_t)depth;
		return NET_PASS;
	}
	if (depth >= 8 || at + 8 > end)
		return NET_DROP_EXT_TRUNC;
	size_t size = nh == 44 ? 8 : nh == 51 ? 4 * (ip[at + 1] + 2u) : 8 * (ip[at + 1] + 1u);
	if (at + size > end)
		return NET_DROP_EXT_TRUNC;
	m->frag |= nh == 44;
	return model_chain(ip, end, at + size, ip[at], depth + 1, m);
}

static int model_ip6(const uint8_t *ip, size_t len, struct model *m)
{
	memset(m, 0, sizeof(*m));
	if (len < 40)
		return NET_DROP_RUNT;
	if (ip[0] / 16 != 6)
		return NET_DROP_IP_VERSION;
	size_t end = 40 + rd16(ip + 4);
	if (end > len)
		return NET_DROP_IP_LENGTH;
	if (ip[8] == 0xff)
		return NET_DROP_IP_SRC;
	if (ip[7] == 0)
		return NET_DROP_HOP_LIMIT;
	int rc = model_chain(ip, end, 40, ip[6], 0, m);
	if (rc != NET_PASS)
		return rc;
	m->l4_len = end - m->off;
	if (m->proto == 58 && m->l4_len < 4)
		return NET_DROP_ICMP_LENGTH;
	return NET_PASS;
}

static int model_frame(const uint8_t *f, size_t len, size_t mtu, struct model *m)
{
	memset(m, 0, sizeof(*m));
	if (len < 54)
		return NET_DROP_RUNT;
	if (len - 14 > mtu) /* not len > 14 + mtu: mtu may be SIZE_MAX */
		return NET_DROP_OVERSIZE;
	if (!(f[0] & 1) && memcmp(f, OURS.b, 6) != 0)
		return NET_DROP_NOT_US;
	if (f[12] != 0x86 || f[13] != 0xdd)
		return NET_DROP_ETHERTYPE;
	return model_ip6(f + 14, len - 14, m);
}

/* ---- running the checks on exact copies --------------------------------- */

/*
 * net_frame_check (frame) or net_ip6_check on an exact copy of p[0..len),
 * compared with the model: the result, every field of *out on a pass,
 * *out untouched on a drop. Copies *out to *info if info. Returns the result.
 */
static int run_check(const uint8_t *p, size_t len, size_t mtu, int frame, struct net_ip6_info *info)
{
	uint8_t *b = buf_exact(p, len);
	struct net_ip6_info out, sentinel;
	memset(&out, 0x5c, sizeof(out));
	memcpy(&sentinel, &out, sizeof(out));
	struct model m;
	int rc = frame ? net_frame_check(b, len, mtu, &OURS, &out) : net_ip6_check(b, len, &out);
	assert_int_equal(rc, frame ? model_frame(p, len, mtu, &m) : model_ip6(p, len, &m));
	if (rc != NET_PASS) {
		assert_memory_equal(&out, &sentinel, sizeof(out));
	} else {
		const uint8_t *ip = frame ? b + 14 : b;
		assert_int_equal(out.proto, m.proto);
		assert_int_equal(out.l4_off, m.off);
		assert_int_equal(out.l4_len, m.l4_len);
		assert_int_equal(out.n_ext, m.n_ext);
		assert_int_equal(out.frag, m.frag);
		assert_int_equal(out.hop_limit, ip[7]);
		assert_int_equal(net_ip6_len(ip), out.l4_off + out.l4_len);
	}
	buf_free(b, len);
	if (info)
		*info = out;
	return rc;
}

static int ip6_copy(const uint8_t *ip, size_t len, struct net_ip6_info *info)
{
	return run_check(ip, len, 0, 0, info);
}

static int frame_copy(const uint8_t *f, size_t len, size_t mtu, struct net_ip6_info *info)
{
	return run_check(f, len, mtu, 1, info);
}

/*
 * At ip an IPv6 packet whose extension headers are chain[0..n) (next
 * header values; sizes in 8-byte units from units[], AH in 4-byte units,
 * a fragment always 8 with offset 0), then l4 bytes of upper layer proto.
 * Returns its length.
 */
static size_t mk_packet(uint8_t *ip, const uint8_t *chain, const uint8_t *units, unsigned n,
                        uint8_t proto, size_t l4)
{
	size_t at = 40;
	for (unsigned i = 0; i < n; i++) {
		size_t size = chain[i] == 44   ? 8
		              : chain[i] == 51 ? 4 * (units[i] + 2u)
		                               : 8 * (units[i] + 1u);
		memset(ip + at, 0x11 * (i + 1), size);
		ip[at] = i + 1 < n ? chain[i + 1] : proto;
		ip[at + 1] = chain[i] == 44 ? 0 : units[i];
		if (chain[i] == 44)
			wr16(ip + at + 2, 1); /* offset 0, more fragments */
		at += size;
	}
	for (size_t i = 0; i < l4; i++)
		ip[at + i] = (uint8_t)(0x80 + i);
	ref_ip6(ip, at + l4, n ? chain[0] : proto, &REF_REMOTE, &REF_PROC);
	return at + l4;
}

/* A frame to dst around the packet ip[0..len), then pad bytes of padding. */
static size_t mk_frame(uint8_t *f, const struct net_mac *dst, const uint8_t *ip, size_t len,
                       size_t pad)
{
	net_eth_write(f, dst, &HOST, NET_ETHERTYPE_IPV6);
	memmove(f + 14, ip, len);
	memset(f + 14 + len, 0, pad);
	return 14 + len + pad;
}

/* ---- frames ------------------------------------------------------------- */

static void test_frame_classes(void **state)
{
	(void)state;
	uint8_t ip[200], f[300];
	size_t n = mk_packet(ip, NULL, NULL, 0, 17, 20);
	size_t flen = mk_frame(f, &OURS, ip, n, 0);
	struct net_ip6_info info;
	assert_int_equal(frame_copy(f, flen, 1500, &info), NET_PASS);
	assert_int_equal(info.proto, 17);
	assert_int_equal(info.l4_off, 40);
	assert_int_equal(info.l4_len, 20);
	assert_int_equal(info.hop_limit, 64);
	assert_int_equal(info.n_ext, 0);
	/* every length shorter than both headers is a runt, even with a bad MAC */
	for (size_t len = 0; len < 54; len++) {
		assert_int_equal(frame_copy(f, len, 1500, NULL), NET_DROP_RUNT);
		assert_int_equal(frame_copy(f, len, 0, NULL), NET_DROP_RUNT);
	}
	/* the MTU edge: 14 + mtu passes, one more is oversize (before NOT_US) */
	for (size_t mtu = 40; mtu <= 80; mtu++) {
		int want = flen <= 14 + mtu ? NET_PASS : NET_DROP_OVERSIZE;
		assert_int_equal(frame_copy(f, flen, mtu, NULL), want);
	}
	assert_int_equal(frame_copy(f, flen, (size_t)-1, NULL), NET_PASS);
	/* unicast to someone else: any single bit of the destination MAC but I/G */
	for (int i = 0; i < 6; i++) {
		for (int bit = 0; bit < 8; bit++) {
			mk_frame(f, &OURS, ip, n, 0);
			f[i] ^= (uint8_t)(1u << bit);
			int group = i == 0 && bit == 0;
			assert_int_equal(frame_copy(f, flen, 1500, NULL),
			                 group ? NET_PASS : NET_DROP_NOT_US);
		}
	}
	/* group destinations are ours to look at: all-nodes, solicited-node, broadcast */
	static const struct net_mac *groups[] = {&ALLNODES, &BCAST};
	for (size_t k = 0; k < ARRAY_LEN(groups); k++) {
		mk_frame(f, groups[k], ip, n, 0);
		assert_int_equal(frame_copy(f, flen, 1500, NULL), NET_PASS);
	}
	/* every EtherType but IPv6 (IPv4, ARP, 802.1Q, ...) */
	for (unsigned t = 0; t < 65536; t++) {
		mk_frame(f, &OURS, ip, n, 0);
		wr16(f + 12, t);
		uint8_t *b = buf_exact(f, flen);
		struct net_ip6_info out;
		int rc = net_frame_check(b, flen, 1500, &OURS, &out);
		assert_int_equal(rc, t == 0x86dd ? NET_PASS : NET_DROP_ETHERTYPE);
		buf_free(b, flen);
	}
	/* an 802.1Q-tagged IPv6 frame is not understood */
	mk_frame(f, &OURS, ip, n, 0);
	memmove(f + 16, f + 12, flen - 12);
	wr16(f + 12, 0x8100);
	wr16(f + 14, 5);
	assert_int_equal(frame_copy(f, flen + 4, 1500, NULL), NET_DROP_ETHERTYPE);
	/* the documented order: each earlier class wins over every later one */
	mk_frame(f, &OURS, ip, n, 0);
	f[0] = 0x02;     /* not us */
	wr16(f + 12, 0); /* not IPv6 */
	f[14] = 0x40;    /* IPv4 version */
	assert_int_equal(frame_copy(f, flen, 20, NULL), NET_DROP_OVERSIZE);
	assert_int_equal(frame_copy(f, flen, 1500, NULL), NET_DROP_NOT_US);
	f[0] = 0x52;
	assert_int_equal(frame_copy(f, flen, 1500, NULL), NET_DROP_ETHERTYPE);
	wr16(f + 12, 0x86dd);
	assert_int_equal(frame_copy(f, flen, 1500, NULL), NET_DROP_IP_VERSION);
}

/* Ethernet pads short frames to 60 bytes: the IPv6 length rules. */
static void test_frame_padding(void **state)
{
	(void)state;
	uint8_t ip[100], f[200];
	for (size_t l4 = 0; l4 < 16; l4++) {
		size_t n = mk_packet(ip, NULL, NULL, 0, 59, l4);
		for (size_t pad = 0; pad < 30; pad++) {
			size_t flen = mk_frame(f, &OURS, ip, n, pad);
			struct net_ip6_info info;
			assert_int_equal(frame_copy(f, flen, 1500, &info), NET_PASS);
			assert_int_equal(info.l4_len, l4); /* padding excluded */
			assert_int_equal(net_ip6_len(f + 14), n);
		}
	}
}

/* ---- IPv6 fields -------------------------------------------------------- */

static void test_ip6_fields(void **state)
{
	(void)state;
	uint8_t ip[300];
	size_t n = mk_packet(ip, NULL, NULL, 0, 58, 8);
	assert_int_equal(ip6_copy(ip, n, NULL), NET_PASS);
	for (unsigned v = 0; v < 16; v++) {
		mk_packet(ip, NULL, NULL, 0, 58, 8);
		ip[0] = (uint8_t)(v << 4 | 0x0a); /* traffic class bits do not matter */
		assert_int_equal(ip6_copy(ip, n, NULL), v == 6 ? NET_PASS : NET_DROP_IP_VERSION);
	}
	/* every payload length against a 48-byte buffer: over it is IP_LENGTH,
	 * under it is padding (ICMPv6 under 4 bytes aside) */
	for (unsigned plen = 0; plen < 65536; plen++) {
		mk_packet(ip, NULL, NULL, 0, 58, 8);
		wr16(ip + 4, plen);
		int want = plen > 8   ? NET_DROP_IP_LENGTH
		           : plen < 4 ? NET_DROP_ICMP_LENGTH
		                      : NET_PASS;
		uint8_t *b = buf_exact(ip, n);
		struct net_ip6_info out;
		assert_int_equal(net_ip6_check(b, n, &out), want);
		buf_free(b, n);
		if (plen < 64)
			assert_int_equal(ip6_copy(ip, n, NULL), want);
	}
	/* a multicast source: every group scope; :: and unicast are fine */
	for (unsigned b1 = 0; b1 < 256; b1++) {
		mk_packet(ip, NULL, NULL, 0, 17, 8);
		ip[8] = 0xff;
		ip[9] = (uint8_t)b1;
		assert_int_equal(ip6_copy(ip, n, NULL), NET_DROP_IP_SRC);
		ip[8] = 0xfe;
		assert_int_equal(ip6_copy(ip, n, NULL), NET_PASS);
	}
	mk_packet(ip, NULL, NULL, 0, 17, 8);
	memset(ip + 8, 0, 16);
	assert_int_equal(ip6_copy(ip, n, NULL), NET_PASS);
	for (unsigned hl = 0; hl < 256; hl++) {
		mk_packet(ip, NULL, NULL, 0, 17, 8);
		ip[7] = (uint8_t)hl;
		struct net_ip6_info info;
		assert_int_equal(ip6_copy(ip, n, &info), hl ? NET_PASS : NET_DROP_HOP_LIMIT);
		if (hl)
			assert_int_equal(info.hop_limit, hl);
	}
	/* ICMPv6 needs 4 bytes; other upper layers may be empty */
	for (size_t l4 = 0; l4 < 10; l4++) {
		n = mk_packet(ip, NULL, NULL, 0, 58, l4);
		assert_int_equal(ip6_copy(ip, n, NULL), l4 < 4 ? NET_DROP_ICMP_LENGTH : NET_PASS);
		n = mk_packet(ip, NULL, NULL, 0, 17, l4);
		assert_int_equal(ip6_copy(ip, n, NULL), NET_PASS);
	}
	/* the order of the IPv6 checks */
	n = mk_packet(ip, NULL, NULL, 0, 58, 2);
	ip[7] = 0;
	ip[8] = 0xff;
	wr16(ip + 4, 300);
	ip[0] = 0x40;
	assert_int_equal(ip6_copy(ip, n, NULL), NET_DROP_IP_VERSION);
	ip[0] = 0x60;
	assert_int_equal(ip6_copy(ip, n, NULL), NET_DROP_IP_LENGTH);
	wr16(ip + 4, 2);
	assert_int_equal(ip6_copy(ip, n, NULL), NET_DROP_IP_SRC);
	ip[8] = 0x20;
	assert_int_equal(ip6_copy(ip, n, NULL), NET_DROP_HOP_LIMIT);
	ip[7] = 1;
	assert_int_equal(ip6_copy(ip, n, NULL), NET_DROP_ICMP_LENGTH);
	for (size_t len = 0; len < 40; len++)
		assert_int_equal(ip6_copy(ip, len, NULL), NET_DROP_RUNT);
}

/* A packet with a chain, cut at every length, with and without its
 * payload length patched to match. */
static void test_truncation(void **state)
{
	(void)state;
	static const uint8_t chain[] = {0, 60, 43, 44, 51};
	static const uint8_t units[] = {1, 0, 2, 0, 3};
	uint8_t ip[400], f[500];
	size_t n = mk_packet(ip, chain, units, 5, 58, 24);
	struct net_ip6_info info;
	assert_int_equal(ip6_copy(ip, n, &info), NET_PASS);
	assert_int_equal(info.n_ext, 5);
	assert_int_equal(info.frag, 1);
	assert_int_equal(info.l4_off, n - 24);
	size_t l4_off = info.l4_off;
	for (size_t t = 0; t <= n; t++) {
		mk_packet(ip, chain, units, 5, 58, 24);
		int rc = ip6_copy(ip, t, NULL);
		assert_int_equal(rc, t < 40  ? NET_DROP_RUNT
		                     : t < n ? NET_DROP_IP_LENGTH
		                             : NET_PASS);
		if (t >= 40) {
			wr16(ip + 4, (unsigned)(t - 40));
			rc = ip6_copy(ip, t, NULL);
			int want = t < l4_off       ? NET_DROP_EXT_TRUNC
			           : t < l4_off + 4 ? NET_DROP_ICMP_LENGTH
			                            : NET_PASS;
			assert_int_equal(rc, want);
			/* the same through a frame */
			size_t flen = mk_frame(f, &OURS, ip, t, 0);
			assert_int_equal(frame_copy(f, flen, 1500, NULL),
			                 flen < 54 ? NET_DROP_RUNT : want);
		}
	}
}

/* ---- extension header chains -------------------------------------------- */

static const uint8_t KINDS[] = {0, 43, 44, 51, 60};

static void test_every_short_chain(void **state)
{
	(void)state;
	static const uint8_t protos[] = {17, 58, 59, 6, 50};
	uint8_t ip[400];
	for (unsigned n = 0; n <= 3; n++) {
		unsigned combos = 1;
		for (unsigned i = 0; i < n; i++)
			combos *= 5;
		for (unsigned c = 0; c < combos; c++) {
			uint8_t chain[3], units[3];
			for (unsigned i = 0, x = c; i < n; i++, x /= 5) {
				chain[i] = KINDS[x % 5];
				units[i] = (uint8_t)((c + i) % 3);
			}
			for (size_t k = 0; k < ARRAY_LEN(protos); k++) {
				size_t len = mk_packet(ip, chain, units, n, protos[k], 8);
				struct net_ip6_info info;
				assert_int_equal(ip6_copy(ip, len, &info), NET_PASS);
				assert_int_equal(info.proto, protos[k]);
				assert_int_equal(info.n_ext, n);
				assert_int_equal(info.l4_off, len - 8);
				assert_int_equal(info.l4_len, 8);
			}
			if (!n)
				continue;
			/* each header's length grown by one unit: it runs past the end
			 * (or a later header's length byte is misread) */
			for (unsigned i = 0; i < n; i++) {
				size_t len = mk_packet(ip, chain, units, n, 17, 0);
				size_t at = 40;
				for (unsigned j = 0; j < i; j++)
					at += chain[j] == 44   ? 8
					      : chain[j] == 51 ? 4 * (units[j] + 2u)
					                       : 8 * (units[j] + 1u);
				if (chain[i] == 44) {
					wr16(ip + 4, (unsigned)(at + 7 - 40)); /* 7 bytes of it */
					len = at + 7;
				} else {
					ip[at + 1] = (uint8_t)(ip[at + 1] + 1 + (len - at) / 4);
				}
				assert_int_equal(ip6_copy(ip, len, NULL), NET_DROP_EXT_TRUNC);
			}
		}
	}
}

static void test_chain_limits(void **state)
{
	(void)state;
	uint8_t ip[400];
	uint8_t chain[10], units[10] = {0};
	memset(chain, 60, sizeof(chain));
	for (unsigned n = 0; n <= 10; n++) {
		size_t len = mk_packet(ip, chain, units, n, 17, 8);
		struct net_ip6_info info;
		int rc = ip6_copy(ip, len, &info);
		assert_int_equal(rc, n <= 8 ? NET_PASS : NET_DROP_EXT_TRUNC);
		if (n <= 8)
			assert_int_equal(info.n_ext, n);
	}
	/* the largest header lengths: 2048 bytes (255 units), AH 1028 */
	static uint8_t big[4096];
	uint8_t c1[1] = {0}, u1[1] = {255};
	size_t len = mk_packet(big, c1, u1, 1, 17, 0);
	assert_int_equal(len, 40 + 2048);
	assert_int_equal(ip6_copy(big, len, NULL), NET_PASS);
	assert_int_equal(ip6_copy(big, len - 1, NULL), NET_DROP_IP_LENGTH);
	wr16(big + 4, (unsigned)(len - 41));
	assert_int_equal(ip6_copy(big, len - 1, NULL), NET_DROP_EXT_TRUNC);
	c1[0] = 51;
	len = mk_packet(big, c1, u1, 1, 58, 4);
	assert_int_equal(len, 40 + 1028 + 4);
	assert_int_equal(ip6_copy(big, len, NULL), NET_PASS);
	/* payload length 0 with a hop-by-hop header: no jumbograms */
	c1[0] = 0;
	u1[0] = 0;
	len = mk_packet(ip, c1, u1, 1, 17, 0);
	wr16(ip + 4, 0);
	assert_int_equal(ip6_copy(ip, len, NULL), NET_DROP_EXT_TRUNC);
	/* an extension header with fewer than 8 bytes left, each count */
	for (size_t left = 0; left < 8; left++) {
		mk_packet(ip, c1, u1, 1, 17, 0);
		wr16(ip + 4, (unsigned)left);
		assert_int_equal(ip6_copy(ip, 40 + left, NULL), NET_DROP_EXT_TRUNC);
	}
}

static void test_fragments(void **state)
{
	(void)state;
	uint8_t ip[200];
	uint8_t chain[3] = {0, 44, 60}, units[3] = {0, 0, 0};
	for (unsigned offset = 0; offset < 8192; offset += offset < 16 ? 1 : 509) {
		for (unsigned m = 0; m < 2; m++) {
			size_t len = mk_packet(ip, chain, units, 3, 58, 8);
			wr16(ip + 48 + 2, offset << 3 | m);
			struct net_ip6_info info;
			assert_int_equal(ip6_copy(ip, len, &info), NET_PASS);
			if (offset) { /* stop at the fragment header */
				assert_int_equal(info.proto, 44);
				assert_int_equal(info.l4_off, 48);
				assert_int_equal(info.n_ext, 1);
				assert_int_equal(info.frag, 0);
			} else {
				assert_int_equal(info.proto, 58);
				assert_int_equal(info.l4_off, 64);
				assert_int_equal(info.frag, 1);
			}
		}
	}
	/* a non-first fragment with no upper-layer bytes is no ICMP_LENGTH */
	size_t len = mk_packet(ip, chain + 1, units, 1, 58, 0);
	wr16(ip + 42, 8);
	assert_int_equal(ip6_copy(ip, len, NULL), NET_PASS);
	/* the reserved bits and M flag do not make it non-first */
	wr16(ip + 42, 7);
	ip[41] = 0xff; /* reserved byte */
	struct net_ip6_info info;
	assert_int_equal(ip6_copy(ip, len, &info), NET_DROP_ICMP_LENGTH);
}

/* kan_ip6_walk itself, as kan/icmp.c uses it: untouched out on BAD. */
static void test_walker(void **state)
{
	(void)state;
	uint8_t ip[200];
	uint8_t chain[2] = {43, 44}, units[2] = {1, 0};
	size_t len = mk_packet(ip, chain, units, 2, 6, 20);
	struct kan_ip6_l4 l4, sentinel;
	assert_int_equal(kan_ip6_walk(ip, len, &l4), KAN_WALK_UPPER);
	assert_int_equal(l4.proto, 6);
	assert_int_equal(l4.off, 40 + 16 + 8);
	assert_int_equal(l4.n_ext, 2);
	assert_int_equal(l4.frag, 1);
	wr16(ip + 56 + 2, 0x10);
	assert_int_equal(kan_ip6_walk(ip, len, &l4), KAN_WALK_FRAGMENT);
	assert_int_equal(l4.proto, 44);
	assert_int_equal(l4.off, 56);
	memset(&l4, 0x77, sizeof(l4));
	sentinel = l4;
	assert_int_equal(kan_ip6_walk(ip, 60, &l4), KAN_WALK_BAD);
	assert_memory_equal(&l4, &sentinel, sizeof(l4));
	for (unsigned nh = 0; nh < 256; nh++)
		assert_int_equal(kan_ip6_is_ext((uint8_t)nh), is_walked((uint8_t)nh));
}

/* ---- mutations against the model ---------------------------------------- */

static void random_frame(uint8_t *f, size_t *len, size_t *mtu)
{
	static uint8_t ip[40 + 10 * 2048 + 200]; /* the longest chain mk_packet can make */
	uint8_t chain[10], units[10];
	unsigned n = rndn(4) ? rndn(4) : rndn(11);
	for (unsigned i = 0; i < n; i++) {
		chain[i] = KINDS[rndn(5)];
		units[i] = (uint8_t)(rndn(4) ? rndn(3) : rndn(256));
	}
	static const uint8_t protos[] = {17, 58, 59, 6, 50, 44};
	size_t l4 = rndn(3) ? rndn(40) : rndn(200);
	size_t plen = mk_packet(ip, chain, units, n, protos[rndn(ARRAY_LEN(protos))], l4);
	if (plen > 1500)
		plen = 1500;
	static const struct net_mac *dsts[] = {&OURS, &OURS, &OURS, &ALLNODES, &BCAST, &HOST};
	*len = mk_frame(f, dsts[rndn(ARRAY_LEN(dsts))], ip, plen, rndn(4) ? 0 : rndn(20));
	static const size_t mtus[] = {1500, 1500, 1280, 9000, 100};
	*mtu = mtus[rndn(ARRAY_LEN(mtus))];
}

static void mutate(uint8_t *f, size_t *len)
{
	unsigned at = rndn((unsigned)*len);
	switch (rndn(10)) {
	case 0: f[at] ^= (uint8_t)(1u << rndn(8)); break;
	case 1: f[at] = (uint8_t)rnd(); break;
	case 2: *len = rndn((unsigned)*len + 1); break;
	case 3: f[14] = (uint8_t)rnd(); break;                      /* version */
	case 4: wr16(f + 18, rd16(f + 18) + rndn(9) - 4); break;    /* payload length */
	case 5: f[21] = (uint8_t)rndn(2); break;                    /* hop limit 0 or 1 */
	case 6: f[22] = rndn(2) ? 0xff : 0xfe; break;               /* source */
	case 7: f[rndn(6)] ^= (uint8_t)(1u << rndn(8)); break;      /* destination MAC */
	case 8: f[12 + rndn(2)] ^= (uint8_t)(1u << rndn(8)); break; /* EtherType */
	default: f[54 + rndn(24)] = (uint8_t)rnd(); break;          /* early extension bytes */
	}
}

static void test_mutations_against_model(void **state)
{
	(void)state;
	rng_state = 0x6e657469703676ull;
	int seen[NET_DROP_COUNT + 1] = {0};
	static uint8_t f[2000];
	for (int it = 0; it < 60000; it++) {
		size_t len, mtu;
		memset(f, 0, sizeof(f));
		random_frame(f, &len, &mtu);
		unsigned muts = rndn(4);
		for (unsigned m = 0; m < muts && len > 0; m++)
			mutate(f, &len);
		int rc = frame_copy(f, len, mtu, NULL);
		seen[rc == NET_PASS ? NET_DROP_COUNT : rc]++;
		if (len >= 14)
			ip6_copy(f + 14, len - 14, NULL);
	}
	static const int classes[] = {NET_DROP_RUNT,        NET_DROP_OVERSIZE,   NET_DROP_NOT_US,
	                              NET_DROP_ETHERTYPE,   NET_DROP_IP_VERSION, NET_DROP_IP_LENGTH,
	                              NET_DROP_IP_SRC,      NET_DROP_HOP_LIMIT,  NET_DROP_EXT_TRUNC,
	                              NET_DROP_ICMP_LENGTH, NET_DROP_COUNT};
	for (size_t k = 0; k < ARRAY_LEN(classes); k++)
		assert_true(seen[classes[k]] > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mac_helpers),
	    cmocka_unit_test(test_derived_addresses),
	    cmocka_unit_test(test_frame_classes),
	    cmocka_unit_test(test_frame_padding),
	    cmocka_unit_test(test_ip6_fields),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_every_short_chain),
	    cmocka_unit_test(test_chain_limits),
	    cmocka_unit_test(test_fragments),
	    cmocka_unit_test(test_walker),
	    cmocka_unit_test(test_mutations_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
