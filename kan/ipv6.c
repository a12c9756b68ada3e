// SPDX-License-Identifier: BSD-2-Clause
/*
 * IPv6 header checks and address helpers (contracts in <kan/ipv6.h>).
 * Reads only the bytes the descriptor covers; never trusts a field.
 */
#include <hekate/errno.h>
#include <hekate/fmt.h>
#include <kan/ipv6.h>
#include <kan/wire.h>
#include <string.h>

static const char *const hdr_names[KAN_HDR_COUNT] = {
	[KAN_HDR_OK] = "ok",
	[KAN_HDR_BOUNDS] = "descriptor outside the page",
	[KAN_HDR_SHORT] = "shorter than an IPv6 header",
	[KAN_HDR_VERSION] = "IP version is not 6",
	[KAN_HDR_LENGTH] = "payload length disagrees with the packet length",
	[KAN_HDR_HOPLIMIT] = "hop limit 0",
	[KAN_HDR_SRC] = "source multicast or unspecified",
	[KAN_HDR_DST] = "destination unspecified",
};

const char *kan_hdr_err_name(enum kan_hdr_err e)
{
	return (unsigned)e < KAN_HDR_COUNT ? hdr_names[e] : "unknown";
}

enum kan_hdr_err kan_hdr_check(const uint8_t *page, unsigned off, unsigned len)
{
	if (!len || off >= HK_PKT_SIZE || len > HK_PKT_SIZE - off)
		return KAN_HDR_BOUNDS;
	if (len < HK_IPV6_HDR)
		return KAN_HDR_SHORT;
	const uint8_t *ip = page + off;
	if ((ip[0] >> 4) != 6)
		return KAN_HDR_VERSION;
	if ((unsigned)(ip[4] << 8 | ip[5]) + HK_IPV6_HDR != len)
		return KAN_HDR_LENGTH;
	if (ip[7] == 0)
		return KAN_HDR_HOPLIMIT;
	const struct hk_addr *src = kan_hdr_src(ip), *dst = kan_hdr_dst(ip);
	if (kan_addr_is_multicast(src) || kan_addr_is_unspecified(src))
		return KAN_HDR_SRC;
	if (kan_addr_is_unspecified(dst))
		return KAN_HDR_DST;
	return KAN_HDR_OK;
}

struct hk_addr kan_addr_make(const struct hk_addr *prefix, uint64_t iid)
{
	struct hk_addr a;
	memcpy(a.b, prefix->b, 8);
	for (int i = 0; i < 8; i++)
		a.b[15 - i] = (uint8_t)(iid >> (8 * i));
	return a;
}

uint64_t kan_addr_iid(const struct hk_addr *a)
{
	uint64_t v = 0;
	for (int i = 8; i < 16; i++)
		v = v << 8 | a->b[i];
	return v;
}

/* Parse up to 8 groups of text[0..n) separated by ':' into g; *count groups. */
static int parse_groups(const char *s, size_t n, uint16_t *g, int max, int *count)
{
	int k = 0;
	size_t i = 0;
	if (!n) {
		*count = 0;
		return 0;
	}
	for (;;) {
		unsigned v = 0, digits = 0;
		while (i < n && s[i] != ':') {
			int h = fmt_hex_digit(s[i++]);
			if (h < 0 || ++digits > 4)
				return -HK_EINVAL;
			v = v << 4 | (unsigned)h;
		}
		if (!digits || k == max)
			return -HK_EINVAL;
		g[k++] = (uint16_t)v;
		if (i == n)
			break;
		i++; /* ':' */
		if (i == n)
			return -HK_EINVAL;
	}
	*count = k;
	return 0;
}

int kan_addr_parse(const char *s, size_t n, struct hk_addr *out)
{
	uint16_t head[8], tail[8];
	int nh = 0, nt = 0;
	size_t dc = n;
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == ':' && s[i + 1] == ':') {
			dc = i;
			break;
		}
	if (dc == n) {
		if (parse_groups(s, n, head, 8, &nh) || nh != 8)
			return -HK_EINVAL;
	} else {
		if (parse_groups(s, dc, head, 7, &nh) ||
		    parse_groups(s + dc + 2, n - dc - 2, tail, 7, &nt) || nh + nt > 7)
			return -HK_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < nh; i++) {
		out->b[2 * i] = (uint8_t)(head[i] >> 8);
		out->b[2 * i + 1] = (uint8_t)head[i];
	}
	for (int i = 0; i < nt; i++) {
		int j = 8 - nt + i;
		out->b[2 * j] = (uint8_t)(tail[i] >> 8);
		out->b[2 * j + 1] = (uint8_t)tail[i];
	}
	return 0;
}

int kan_prefix_parse(const char *s, size_t n, struct hk_addr *out)
{
	size_t slash = n;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/') {
			slash = i;
			break;
		}
	if (slash == n || n - slash != 3 || s[slash + 1] != '6' || s[slash + 2] != '4')
		return -HK_EINVAL;
	struct hk_addr a;
	if (kan_addr_parse(s, slash, &a) || kan_addr_iid(&a) != 0 || kan_addr_is_multicast(&a) ||
	    kan_addr_is_unspecified(&a))
		return -HK_EINVAL;
	*out = a;
	return 0;
}

int kan_net_parse(const char *s, size_t n, struct hk_addr *out, unsigned *len)
{
	size_t slash = n;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/') {
			slash = i;
			break;
		}
	if (slash == n || slash + 1 == n || n - slash > 4)
		return -HK_EINVAL;
	for (size_t i = slash + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -HK_EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	struct hk_addr a;
	if (v > 128 || kan_addr_parse(s, slash, &a))
		return -HK_EINVAL;
	for (unsigned bit = v; bit < 128; bit++)
		if (a.b[bit / 8] & (0x80u >> (bit % 8)))
			return -HK_EINVAL; /* bits set beyond the length: a typo, not a prefix */
	*out = a;
	*len = v;
	return 0;
}

void kan_addr_format(const struct hk_addr *a, char *buf, size_t n)
{
	uint16_t g[8];
	int best = -1, bestlen = 1, run = 0;
	for (int i = 0; i < 8; i++) {
		g[i] = (uint16_t)(a->b[2 * i] << 8 | a->b[2 * i + 1]);
		run = g[i] ? 0 : run + 1;
		if (run > bestlen) {
			bestlen = run;
			best = i - run + 1;
		}
	}
	static const char hex[] = "0123456789abcdef";
	char tmp[48];
	size_t k = 0;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			tmp[k++] = ':';
			if (i == 0)
				tmp[k++] = ':';
			i += bestlen - 1;
			continue;
		}
		int started = 0;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (g[i] >> sh) & 15;
			if (d || started || sh == 0) {
				tmp[k++] = hex[d];
				started = 1;
			}
		}
		if (i < 7)
			tmp[k++] = ':';
	}
	tmp[k] = '\0';
	if (n) {
		size_t m = k < n - 1 ? k : n - 1;
		memcpy(buf, tmp, m);
		buf[m] = '\0';
	}
}

static uint32_t sum16(uint32_t s, const uint8_t *d, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (len & 1)
		s += (uint32_t)d[len - 1] << 8;
	return s;
}

uint16_t kan_l4_checksum(const struct hk_addr *src, const struct hk_addr *dst, uint8_t proto,
                         const uint8_t *data, size_t len)
{
	uint32_t s = sum16(0, src->b, 16);
	s = sum16(s, dst->b, 16);
	s += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + proto;
	s = sum16(s, data, len);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Length of the extension header nh at ip + at, given len - at >= 8 bytes
 * are there: every header is at least 8; AH counts 4-byte units minus 2,
 * the others 8-byte units minus 1 (RFC 4302 2.2, RFC 8200 4.3-4.6). */
static size_t ext_len(const uint8_t *ip, uint8_t nh, size_t at)
{
	if (nh == KAN_NH_FRAGMENT)
		return 8;
	if (nh == KAN_NH_AH)
		return ((size_t)ip[at + 1] + 2) * 4;
	return ((size_t)ip[at + 1] + 1) * 8;
}

enum kan_walk kan_ip6_walk(const uint8_t *ip, size_t len, struct kan_ip6_l4 *out)
{
	struct kan_ip6_l4 w = {ip[6], 0, 0, HK_IPV6_HDR};
	for (; kan_ip6_is_ext(w.proto); w.n_ext++) {
		if (w.n_ext == KAN_EXT_MAX || len - w.off < 8)
			return KAN_WALK_BAD;
		if (w.proto == KAN_NH_FRAGMENT) {
			if (kan_get16(ip + w.off + 2) & 0xfff8) { /* fragment offset != 0 */
				*out = w;
				return KAN_WALK_FRAGMENT;
			}
			w.frag = 1;
		}
		size_t n = ext_len(ip, w.proto, w.off);
		if (n > len - w.off)
			return KAN_WALK_BAD;
		w.proto = ip[w.off];
		w.off = (uint16_t)(w.off + n);
	}
	*out = w;
	return KAN_WALK_UPPER;
}
