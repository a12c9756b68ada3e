// SPDX-License-Identifier: BSD-2-Clause
/*
 * Neighbour discovery messages parsed and built (contracts in <net/ndp.h>).
 * The parser decides validity before it reports anything; the builders
 * check the size before they write anything.
 */
#include <kan/ipv6.h>
#include <kan/wire.h>
#include <net/icmp6.h>
#include <net/ndp.h>
#include <string.h>

/* Option types (RFC 4861 4.6, RFC 4191 2.3). */
#define OPT_SLLA    1u
#define OPT_TLLA    2u
#define OPT_PIO     3u
#define OPT_MTU     5u
#define OPT_RIO     24u
#define OPT_LLA_LEN 8u /* Ethernet: type, length, 6 bytes (RFC 2464 8) */
#define OPT_PIO_LEN 32u
#define OPT_MTU_LEN 8u

/* Fixed part of each message before its options (RFC 4861 4.1-4.4). */
#define RS_LEN 8u
#define RA_LEN 16u
#define NS_LEN 24u /* also NA */

/* Clear the bits of a past its first len (len <= 128). */
static void mask_prefix(struct hk_addr *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > 8 * i ? len - 8 * i : 0;
		if (bits < 8)
			a->b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

/* ---- parsing ------------------------------------------------------------ */

/* A Prefix Information option (32 bytes) into ra, if there is room. */
static void take_pio(const uint8_t *o, struct net_ra_cfg *ra)
{
	if (ra->n_prefixes == NET_RA_PREFIXES || o[2] > 128)
		return;
	struct net_ra_prefix *p = &ra->prefix[ra->n_prefixes++];
	p->rio = 0;
	p->len = o[2];
	p->flags = o[3] & (NET_PIO_ONLINK | NET_PIO_AUTO);
	p->valid = kan_get32(o + 4);
	p->preferred = kan_get32(o + 8);
	memcpy(p->prefix.b, o + 16, 16);
	mask_prefix(&p->prefix, p->len);
}

/* RFC 4191 2.3: the option's length in 8-byte units for a prefix length. */
static unsigned rio_units(unsigned plen) { return plen == 0 ? 1 : plen <= 64 ? 2 : 3; }

/* A Route Information option of ol bytes into ra, if well formed and there
 * is room: lengths 1..3 holding the prefix, preference not reserved. */
static void take_rio(const uint8_t *o, size_t ol, struct net_ra_cfg *ra)
{
	unsigned plen = o[2], pref = (o[3] >> 3) & 3;
	if (ra->n_prefixes == NET_RA_PREFIXES || plen > 128 || ol > 24 ||
	    ol / 8 < rio_units(plen) || pref == NET_PREF_RESERVED)
		return;
	struct net_ra_prefix *p = &ra->prefix[ra->n_prefixes++];
	memset(p, 0, sizeof(*p));
	p->rio = 1;
	p->len = (uint8_t)plen;
	p->flags = (uint8_t)pref;
	p->valid = kan_get32(o + 4);
	memcpy(p->prefix.b, o + 8, ol - 8);
	mask_prefix(&p->prefix, plen);
}

/* Use the option o (ol bytes, >= 8) if the message type carries it. */
static void take_option(const uint8_t *o, size_t ol, struct net_ndp *nd)
{
	uint8_t lla_opt = nd->type == NET_ICMP6_NA ? OPT_TLLA : OPT_SLLA;
	if (o[0] == lla_opt && !nd->has_lla) {
		nd->has_lla = 1;
		memcpy(nd->lla.b, o + 2, 6);
	}
	if (nd->type != NET_ICMP6_RA)
		return;
	if (o[0] == OPT_MTU && ol == OPT_MTU_LEN)
		nd->ra.mtu = kan_get32(o + 4);
	else if (o[0] == OPT_PIO && ol == OPT_PIO_LEN)
		take_pio(o, &nd->ra);
	else if (o[0] == OPT_RIO)
		take_rio(o, ol, &nd->ra);
}

/* Walk the options o[0..n): every one must have a length and end within
 * the message (RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2). */
static int parse_options(const uint8_t *o, size_t n, struct net_ndp *nd)
{
	while (n) {
		if (n < 2 || o[1] == 0 || (size_t)o[1] * 8 > n)
			return NET_DROP_NDP_INVALID;
		size_t ol = (size_t)o[1] * 8;
		take_option(o, ol, nd);
		o += ol;
		n -= ol;
	}
	return NET_PASS;
}

/* The fixed part of the message m: its length, or 0 if a rule on it fails. */
static size_t parse_fixed(const uint8_t *ip, const uint8_t *m, struct net_ndp *nd)
{
	const struct hk_addr *src = kan_hdr_src(ip), *dst = kan_hdr_dst(ip);
	switch (nd->type) {
	case NET_ICMP6_RS: return RS_LEN;
	case NET_ICMP6_RA:
		if (!net_is_link_local(src))
			return 0;
		nd->ra.cur_hop_limit = m[4];
		nd->ra.flags = m[5];
		nd->ra.router_lifetime = kan_get16(m + 6);
		nd->ra.reachable_time = kan_get32(m + 8);
		nd->ra.retrans_timer = kan_get32(m + 12);
		return RA_LEN;
	default: /* NS, NA */
		memcpy(nd->target.b, m + 8, 16);
		if (kan_addr_is_multicast(&nd->target))
			return 0;
		if (nd->type == NET_ICMP6_NS) {
			/* from :: (duplicate address detection): to a solicited-node group only */
			int ok = !kan_addr_is_unspecified(src) || net_is_solicited_node(dst);
			return ok ? NS_LEN : 0;
		}
		nd->na_flags = m[4] & (NET_NA_ROUTER | NET_NA_SOLICITED | NET_NA_OVERRIDE);
		/* to a group: never "solicited" */
		return kan_addr_is_multicast(dst) && (nd->na_flags & NET_NA_SOLICITED) ? 0 : NS_LEN;
	}
}

int net_ndp_parse(const uint8_t *ip, const struct net_ip6_info *in, struct net_ndp *out)
{
	const uint8_t *m = ip + in->l4_off;
	if (in->proto != KAN_PROTO_ICMPV6 || in->l4_len == 0 || m[0] < NET_ICMP6_RS ||
	    m[0] > NET_ICMP6_NA)
		return NET_DROP_UNHANDLED;
	int rc = net_icmp6_check(ip, in);
	if (rc != NET_PASS)
		return rc;
	if (ip[7] != NET_NDP_HOP_LIMIT || m[1] != 0 || in->frag)
		return NET_DROP_NDP_INVALID;
	struct net_ndp nd;
	memset(&nd, 0, sizeof(nd));
	nd.type = m[0];
	size_t fixed = parse_fixed(ip, m, &nd);
	if (!fixed || parse_options(m + fixed, in->l4_len - fixed, &nd) != NET_PASS)
		return NET_DROP_NDP_INVALID;
	/* RFC 4861 6.1.1, 7.1.1: from ::, no source link-layer address */
	if (nd.has_lla && nd.type != NET_ICMP6_NA && kan_addr_is_unspecified(kan_hdr_src(ip)))
		return NET_DROP_NDP_INVALID;
	*out = nd;
	return NET_PASS;
}

/* ---- building ----------------------------------------------------------- */

/* A link-layer address option of type t at o. */
static uint8_t *put_lla(uint8_t *o, uint8_t t, const struct net_mac *mac)
{
	o[0] = t;
	o[1] = OPT_LLA_LEN / 8;
	memcpy(o + 2, mac->b, 6);
	return o + OPT_LLA_LEN;
}

/* The IPv6 header for the message of mlen bytes at ip + 40 (type and
 * code written, checksum field anything), and its checksum. Returns the
 * packet's length. */
static size_t finish(uint8_t *ip, const struct hk_addr *src, const struct hk_addr *dst, size_t mlen)
{
	kan_ip6_hdr_write(ip, (uint16_t)mlen, KAN_PROTO_ICMPV6, src, dst);
	ip[7] = NET_NDP_HOP_LIMIT;
	uint8_t *m = ip + HK_IPV6_HDR;
	kan_put16(m + 2, 0);
	kan_put16(m + 2, kan_l4_checksum(src, dst, KAN_PROTO_ICMPV6, m, mlen));
	return HK_IPV6_HDR + mlen;
}

/* The NS/NA layout (RFC 4861 4.3, 4.4): type, code 0, checksum, the
 * flags byte and 3 reserved, the target; then an optional LLA option of
 * type opt. Returns the message length. */
static size_t put_ns_na(uint8_t *m, uint8_t type, uint8_t flags, const struct hk_addr *target,
                        uint8_t opt, const struct net_mac *lla)
{
	m[0] = type;
	m[1] = 0;
	kan_put32(m + 4, (uint32_t)flags << 24);
	memcpy(m + 8, target->b, 16);
	return lla ? (size_t)(put_lla(m + NS_LEN, opt, lla) - m) : NS_LEN;
}

size_t net_ndp_build_na(uint8_t *ip, size_t cap, const struct hk_addr *src,
                        const struct hk_addr *dst, const struct hk_addr *target,
                        const struct net_mac *lla, uint8_t flags)
{
	if (cap < HK_IPV6_HDR + NS_LEN + (lla ? OPT_LLA_LEN : 0))
		return 0;
	struct hk_addr s = *src, d = *dst, t = *target;
	struct net_mac mac = lla ? *lla : (struct net_mac){{0}};
	flags &= NET_NA_ROUTER | NET_NA_SOLICITED | NET_NA_OVERRIDE;
	size_t mlen =
	    put_ns_na(ip + HK_IPV6_HDR, NET_ICMP6_NA, flags, &t, OPT_TLLA, lla ? &mac : NULL);
	return finish(ip, &s, &d, mlen);
}

size_t net_ndp_build_ns(uint8_t *ip, size_t cap, const struct hk_addr *src,
                        const struct hk_addr *target, const struct net_mac *lla)
{
	if (kan_addr_is_unspecified(src))
		lla = NULL;
	if (cap < HK_IPV6_HDR + NS_LEN + (lla ? OPT_LLA_LEN : 0))
		return 0;
	struct hk_addr s = *src, t = *target, d;
	struct net_mac mac = lla ? *lla : (struct net_mac){{0}};
	net_solicited_node(&t, &d);
	size_t mlen = put_ns_na(ip + HK_IPV6_HDR, NET_ICMP6_NS, 0, &t, OPT_SLLA, lla ? &mac : NULL);
	return finish(ip, &s, &d, mlen);
}

/* The bytes the options of cfg take into *n (the LLA option aside); -1 if
 * cfg is invalid. */
static int ra_options_len(const struct net_ra_cfg *cfg, size_t *n)
{
	if (cfg->n_prefixes > NET_RA_PREFIXES)
		return -1;
	*n = cfg->mtu ? OPT_MTU_LEN : 0;
	for (unsigned i = 0; i < cfg->n_prefixes; i++) {
		const struct net_ra_prefix *p = &cfg->prefix[i];
		if (p->len > 128 || (p->rio && p->flags > NET_PREF_LOW) ||
		    (p->rio && p->flags == NET_PREF_RESERVED))
			return -1;
		*n += p->rio ? 8 * rio_units(p->len) : OPT_PIO_LEN;
	}
	return 0;
}

/* The option for prefix p at o; returns the byte after it. */
static uint8_t *put_prefix(uint8_t *o, const struct net_ra_prefix *p)
{
	struct hk_addr a = p->prefix;
	mask_prefix(&a, p->len);
	size_t ol = p->rio ? 8 * rio_units(p->len) : OPT_PIO_LEN;
	memset(o, 0, ol);
	o[0] = p->rio ? OPT_RIO : OPT_PIO;
	o[1] = (uint8_t)(ol / 8);
	o[2] = p->len;
	kan_put32(o + 4, p->valid);
	if (p->rio) {
		o[3] = NET_RA_PREF(p->flags);
		memcpy(o + 8, a.b, ol - 8);
	} else {
		o[3] = p->flags & (NET_PIO_ONLINK | NET_PIO_AUTO);
		kan_put32(o + 8, p->preferred);
		memcpy(o + 16, a.b, 16);
	}
	return o + ol;
}

size_t net_ndp_build_ra(uint8_t *ip, size_t cap, const struct hk_addr *src,
                        const struct hk_addr *dst, const struct net_mac *lla,
                        const struct net_ra_cfg *cfg)
{
	size_t opts;
	if (ra_options_len(cfg, &opts) ||
	    cap < HK_IPV6_HDR + RA_LEN + (lla ? OPT_LLA_LEN : 0) + opts)
		return 0;
	struct hk_addr s = *src, d = *dst;
	struct net_mac mac = lla ? *lla : (struct net_mac){{0}};
	struct net_ra_cfg c = *cfg;
	uint8_t *m = ip + HK_IPV6_HDR, *o = m + RA_LEN;
	m[0] = NET_ICMP6_RA;
	m[1] = 0;
	m[4] = c.cur_hop_limit;
	m[5] = c.flags;
	kan_put16(m + 6, c.router_lifetime);
	kan_put32(m + 8, c.reachable_time);
	kan_put32(m + 12, c.retrans_timer);
	if (lla)
		o = put_lla(o, OPT_SLLA, &mac);
	if (c.mtu) {
		o[0] = OPT_MTU;
		o[1] = OPT_MTU_LEN / 8;
		kan_put16(o + 2, 0);
		kan_put32(o + 4, c.mtu);
		o += OPT_MTU_LEN;
	}
	for (unsigned i = 0; i < c.n_prefixes; i++)
		o = put_prefix(o, &c.prefix[i]);
	return finish(ip, &s, &d, (size_t)(o - m));
}
