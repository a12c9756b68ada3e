/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_TEST_KAN_REF_H
#define HEKATE_TEST_KAN_REF_H

/*
 * Shared by the KAN codec tests (test_kan_udp.c, test_kan_ctl.c,
 * test_kan_icmp.c): exact-size buffers whose every byte past the end (and
 * before the start) is an ASan red zone, and a reference Internet checksum
 * written as plainly as possible (RFC 1071 over the RFC 8200 8.1
 * pseudo-header laid out in memory), independent of kan_l4_checksum.
 * Include after cmocka.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hekate/kan.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   __asan_poison_memory_region((p), (n))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/*
 * n bytes copied from src (or filled with 0xa5 if src is NULL) in a block
 * of exactly n bytes, so any access outside is an ASan report. n == 0 gives
 * a 1-byte block with that byte poisoned. Free with buf_free(p, n).
 */
static inline uint8_t *buf_exact(const void *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	if (src)
		memcpy(p, src, n);
	else
		memset(p, 0xa5, n);
	if (!n)
		POISON(p, 1);
	return p;
}

static inline void buf_free(uint8_t *p, size_t n)
{
	if (!n)
		UNPOISON(p, 1);
	free(p);
}

/* RFC 1071 checksum of the pseudo-header (src, dst, u32 length, 3 zero
 * bytes, next header) followed by data[0..len): the complement of the
 * folded one's-complement sum of big-endian 16-bit words, odd byte padded. */
static inline uint16_t ref_csum(const struct hk_addr *src, const struct hk_addr *dst, uint8_t nh,
                                const uint8_t *data, size_t len)
{
	size_t total = 40 + len;
	uint8_t *all = calloc(1, total + 1); /* + 1: the padding byte */
	assert_non_null(all);
	memcpy(all, src->b, 16);
	memcpy(all + 16, dst->b, 16);
	all[32] = (uint8_t)(len >> 24);
	all[33] = (uint8_t)(len >> 16);
	all[34] = (uint8_t)(len >> 8);
	all[35] = (uint8_t)len;
	all[39] = nh;
	if (len)
		memcpy(all + 40, data, len);
	uint64_t sum = 0;
	for (size_t i = 0; i < total; i += 2)
		sum += (uint64_t)all[i] * 256 + all[i + 1];
	free(all);
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)(0xffff - sum);
}

/* The ones'-complement sum including the checksum field verifies. */
static inline int ref_csum_ok(const uint8_t *ip, size_t len)
{
	struct hk_addr s, d;
	memcpy(s.b, ip + 8, 16);
	memcpy(d.b, ip + 24, 16);
	return ref_csum(&s, &d, ip[6], ip + 40, len - 40) == 0;
}

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] * 256 + p[1]); }
static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) * 65536u + rd16(p + 2); }
static inline void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v / 256);
	p[1] = (uint8_t)v;
}
static inline void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v & 0xffff);
}

/* A plain IPv6 header at ip for a packet of len bytes in all. */
static inline void ref_ip6(uint8_t *ip, size_t len, uint8_t nh, const struct hk_addr *src,
                           const struct hk_addr *dst)
{
	memset(ip, 0, 8);
	ip[0] = 0x60;
	wr16(ip + 4, (unsigned)(len - 40));
	ip[6] = nh;
	ip[7] = 64;
	memcpy(ip + 8, src->b, 16);
	memcpy(ip + 24, dst->b, 16);
}

/* A UDP packet of 48 + plen bytes at ip with a pattern payload seeded by
 * seed and a correct checksum (0 sent as 0xffff). */
static inline void ref_udp(uint8_t *ip, size_t plen, const struct hk_addr *src,
                           const struct hk_addr *dst, uint16_t sport, uint16_t dport, unsigned seed)
{
	ref_ip6(ip, 48 + plen, 17, src, dst);
	wr16(ip + 40, sport);
	wr16(ip + 42, dport);
	wr16(ip + 44, (unsigned)(8 + plen));
	wr16(ip + 46, 0);
	for (size_t i = 0; i < plen; i++)
		ip[48 + i] = (uint8_t)(i * 7 + seed);
	uint16_t c = ref_csum(src, dst, 17, ip + 40, 8 + plen);
	wr16(ip + 46, c ? c : 0xffff);
}

static const struct hk_addr REF_KERNEL = {
    {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1}};
static const struct hk_addr REF_PROC = {
    {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x01, 0x03, 0, 0}};
static const struct hk_addr REF_REMOTE = {
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34}};

#endif
