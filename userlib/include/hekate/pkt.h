/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_USER_PKT_H
#define HEKATE_USER_PKT_H

/*
 * Raw KAN helpers over the kan_* calls (<hekate/sys.h>): who am I on the
 * KAN, what is another process's address, and writing an IPv6 header into
 * a packet. The queue API (push/pop/wait) builds on these (docs/userlib.md).
 */
#include <hekate/kan.h>
#include <hekate/sys.h>
#include <stddef.h>
#include <stdint.h>

/* This process's KAN identity, read once (kan_self) and cached. */
const struct hk_kan_self *hk_kan(void);

/* Address n of the manifest entry named name: 0 or -HK_ENOENT. */
int hk_kan_addr_of(const char *name, unsigned n, struct hk_addr *out);

/* Fill the 40-byte IPv6 header at ip: hop limit 64, the given next header and payload length. */
void hk_ip6_header(void *ip, const struct hk_addr *src, const struct hk_addr *dst,
                   uint8_t next_header, uint16_t payload_len);

/*
 * Send all n packets (flags as kan_send): a packet the KAN refuses is freed
 * and the rest still go. Returns how many were refused (the caller counts
 * them). The pages are the KAN's or freed when it returns.
 */
unsigned hk_kan_send_all(struct hk_pkt *p, unsigned n, unsigned flags);

/* Format an address as RFC 5952 text into buf (at least 40 bytes). */
void hk_addr_str(const struct hk_addr *a, char *buf, size_t n);

/* The IPv6 next header Hekate's tests use for raw payloads (RFC 3692 experimental). */
#define HK_IPPROTO_TEST 253

#endif
