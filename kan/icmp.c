// SPDX-License-Identifier: BSD-2-Clause
/*
 * ICMPv6 errors made in place, and Destination Unreachable parsed
 * (contracts in <kan/icmp.h>). All checks come before the first write, so
 * a refusal leaves the page as it was.
 */
#include <kan/icmp.h>
#include <kan/ipv6.h>
#include <kan/udp.h>
#include <kan/wire.h>
#include <string.h>

static const char *const icmp_names[] = {
    "ok",
    "not a checked IPv6 packet inside the page",
    "no room for the error",
    "not an ICMPv6 error type and code made here",
    "error source multicast or unspecified",
    "original source multicast or unspecified",
    "original destination multicast",
    "original is or may be an ICMPv6 error",
    "next header is not ICMPv6",
    "shorter than an ICMPv6 header",
    "not a Destination Unreachable",
    "bad ICMPv6 checksum",
    "quote shorter than an IPv6 header",
};

const char *kan_icmp_err_name(int e)
{
	return e <= 0 && e >= KAN_ICMP_ERR_MIN ? icmp_names[-e] : "unknown";
}

/*
 * 1 if the packet ip[0..len) (len >= 40) is an ICMPv6 error message (type
 * below 128), or might be: a chain that kan_ip6_walk cannot take to its
 * upper layer (truncated, too long, a non-first fragment) is not ruled out
 * (RFC 4443 2.4(e.1): never answer an error with an error).
 */
static int may_be_icmp_error(const uint8_t *ip, size_t len)
{
	struct kan_ip6_l4 l4;
	if (kan_ip6_walk(ip, len, &l4) != KAN_WALK_UPPER)
		return 1;
	return l4.proto == KAN_PROTO_ICMPV6 && (l4.off >= len || ip[l4.off] < 128);
}

/* Type and code name an error kan_icmp6_error makes (RFC 4443 3.1-3.4, RFC 7112). */
static int error_known(uint8_t type, uint8_t code)
{
	static const uint8_t max_code[] = {
	    [KAN_ICMP_UNREACH] = KAN_UNREACH_CODE_MAX,
	    [KAN_ICMP_TOO_BIG] = 0,
	    [KAN_ICMP_TIME_EXCEEDED] = KAN_TIME_REASSEMBLY,
	    [KAN_ICMP_PARAM_PROB] = KAN_PARAM_INCOMPLETE,
	};
	return type >= KAN_ICMP_UNREACH && type <= KAN_ICMP_PARAM_PROB && code <= max_code[type];
}

/* RFC 4443 2.4(e.3): the two errors path MTU discovery and unknown
 * options need are the only ones sent for a multicast destination. */
static int error_for_multicast(uint8_t type, uint8_t code)
{
	return type == KAN_ICMP_TOO_BIG ||
	       (type == KAN_ICMP_PARAM_PROB && code == KAN_PARAM_OPTION);
}

/* Why the packet at ip (len bytes, inside the page) gets no error; 0 if it may. */
static int error_refusal(const uint8_t *ip, size_t len, const struct hk_addr *from, uint8_t type,
                         uint8_t code)
{
	if (!kan_ip6_len_ok(ip, len))
		return KAN_ICMP_BADPKT;
	if (!error_known(type, code))
		return KAN_ICMP_CODE;
	if (kan_addr_is_multicast(from) || kan_addr_is_unspecified(from))
		return KAN_ICMP_FROM;
	if (kan_addr_is_multicast(kan_hdr_src(ip)) || kan_addr_is_unspecified(kan_hdr_src(ip)))
		return KAN_ICMP_SRC;
	if (kan_addr_is_multicast(kan_hdr_dst(ip)) && !error_for_multicast(type, code))
		return KAN_ICMP_MCAST;
	if (may_be_icmp_error(ip, len))
		return KAN_ICMP_IS_ERROR;
	return KAN_ICMP_OK;
}

int kan_icmp6_error(uint8_t *page, size_t page_size, uint16_t *off, uint16_t *len,
                    const struct hk_addr *from, uint8_t type, uint8_t code, uint32_t param)
{
	size_t o = *off, l = *len;
	if (o > page_size || l > page_size - o)
		return KAN_ICMP_BADPKT;
	int rc = error_refusal(page + o, l, from, type, code);
	if (rc)
		return rc;
	const size_t front = HK_IPV6_HDR + KAN_ICMP_HDR;
	size_t q = l < KAN_ICMP_QUOTE_MAX ? l : KAN_ICMP_QUOTE_MAX;
	size_t no = o >= front ? o - front : 0; /* where the error starts */
	if (no + front != o) { /* the quote moves up to offset 48: cut it to the page */
		if (page_size < front + HK_IPV6_HDR)
			return KAN_ICMP_NOROOM;
		if (q > page_size - front)
			q = page_size - front;
	}
	/* Copy the addresses before anything moves: from may even be in the page. */
	struct hk_addr src = *from, dst = *kan_hdr_src(page + o);
	uint8_t *ip = page + no, *icmp = ip + HK_IPV6_HDR;
	if (no + front != o)
		memmove(icmp + KAN_ICMP_HDR, page + o, q);
	kan_ip6_hdr_write(ip, (uint16_t)(KAN_ICMP_HDR + q), KAN_PROTO_ICMPV6, &src, &dst);
	icmp[0] = type;
	icmp[1] = code;
	kan_put16(icmp + 2, 0); /* the checksum covers itself as 0 */
	kan_put32(icmp + 4, type == KAN_ICMP_TOO_BIG || type == KAN_ICMP_PARAM_PROB ? param : 0);
	kan_put16(icmp + 2, kan_l4_checksum(&src, &dst, KAN_PROTO_ICMPV6, icmp, KAN_ICMP_HDR + q));
	*off = (uint16_t)no;
	*len = (uint16_t)(front + q);
	return KAN_ICMP_OK;
}

int kan_icmp6_unreach(uint8_t *page, size_t page_size, uint16_t *off, uint16_t *len,
                      const struct hk_addr *from, uint8_t code)
{
	return kan_icmp6_error(page, page_size, off, len, from, KAN_ICMP_UNREACH, code, 0);
}

/* Fill b from the quote q[0..n) (n >= 40): the bounced packet's addresses
 * and, for UDP with its header quoted, ports. */
static void bounce_quote(struct kan_icmp6_bounce *b, const uint8_t *q, size_t n)
{
	b->quote = q;
	b->quote_len = n;
	memcpy(b->orig_src.b, q + 8, 16);
	memcpy(b->orig_dst.b, q + 24, 16);
	b->orig_proto = q[6];
	b->has_ports = q[6] == KAN_PROTO_UDP && n >= KAN_UDP_OFF;
	b->sport = b->has_ports ? kan_get16(q + HK_IPV6_HDR) : 0;
	b->dport = b->has_ports ? kan_get16(q + HK_IPV6_HDR + 2) : 0;
}

int kan_icmp6_parse_unreach(const uint8_t *ip, size_t len, struct kan_icmp6_bounce *out)
{
	if (!kan_ip6_len_ok(ip, len))
		return KAN_ICMP_BADPKT;
	if (ip[6] != KAN_PROTO_ICMPV6)
		return KAN_ICMP_NOT_ICMP;
	size_t ilen = len - HK_IPV6_HDR;
	if (ilen < KAN_ICMP_HDR)
		return KAN_ICMP_SHORT;
	const uint8_t *icmp = ip + HK_IPV6_HDR;
	if (icmp[0] != KAN_ICMP_UNREACH)
		return KAN_ICMP_TYPE;
	if (kan_l4_checksum(kan_hdr_src(ip), kan_hdr_dst(ip), KAN_PROTO_ICMPV6, icmp, ilen) != 0)
		return KAN_ICMP_CHECKSUM;
	const uint8_t *q = icmp + KAN_ICMP_HDR;
	size_t qn = ilen - KAN_ICMP_HDR;
	if (qn < HK_IPV6_HDR || (q[0] >> 4) != 6)
		return KAN_ICMP_QUOTE;
	struct kan_icmp6_bounce b;
	b.code = icmp[1];
	memcpy(b.reporter.b, ip + 8, 16);
	bounce_quote(&b, q, qn);
	*out = b;
	return KAN_ICMP_OK;
}
