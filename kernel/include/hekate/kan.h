/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_KAN_H
#define HEKATE_KAN_H

/*
 * The KAN's user ABI: packet descriptors, the packet window, endpoint
 * handles, counters and the address plan. docs/kan.md explains each part;
 * the calls themselves are in <hekate/syscalls.h>.
 *
 * A packet is one 4 KiB page of the node's packet pool plus an offset and
 * a length; the bytes [off, off+len) are an IPv6 packet. While a process
 * holds a packet the page is mapped at a slot of its packet window, the
 * same virtual range in every process. Sending removes the page from the
 * sender (a later touch faults); receiving maps it at a free slot.
 */
#include <stdint.h>

/* The packet window: slot i is the page at HK_PKT_BASE + i * HK_PKT_SIZE. */
#ifndef HK_PKT_BASE /* host tests move it where their sanitizers let them map it */
#define HK_PKT_BASE     0x3000000000ull
#endif
#define HK_PKT_SIZE     4096u
#define HK_PKT_SLOTS    1024u /* window size = the largest quota */
#define HK_PKT_HEADROOM 128u  /* offset kan_alloc gives: room for outer headers */

/* Limits the calls check. */
#define HK_KAN_BATCH       64u   /* descriptors per send/recv/alloc/free call */
#define HK_KAN_WAIT_MAX    16u   /* endpoints one recv may wait on */
#define HK_KAN_DEPTH_MIN   2u    /* receive ring depth: a power of two in [MIN, MAX] */
#define HK_KAN_DEPTH_MAX   512u
#define HK_KAN_DEPTH_DEF   128u  /* depth of the endpoint spawn binds */
#define HK_KAN_MAX_EPS     8192u /* endpoints on the node */
#define HK_KAN_GROUPS      256u  /* multicast groups with members on the node */
#define HK_KAN_GROUP_MAX   64u   /* members (endpoints) per group */
#define HK_KAN_QUOTA_DEF   256u  /* pages a process may hold plus have in flight */
#define HK_KAN_EPS_DEF     16u   /* endpoints a process may bind */
#define HK_KAN_PAGES_DEF   4096u /* packet pool pages (set kan-pages=N) */
#define HK_IPV6_HDR        40u

/*
 * A packet descriptor, 8 bytes, so a single packet travels in one register.
 * slot: window slot; off, len: the IPv6 packet inside the page
 * (off + len <= HK_PKT_SIZE); ep: on receive, the endpoint it arrived on
 * (ignored on send, alloc and free).
 */
struct hk_pkt {
	uint16_t slot, off, len, ep;
};

static inline uint64_t hk_pkt_pack(struct hk_pkt p)
{
	return (uint64_t)p.slot | (uint64_t)p.off << 16 | (uint64_t)p.len << 32 |
	       (uint64_t)p.ep << 48;
}

static inline struct hk_pkt hk_pkt_unpack(uint64_t v)
{
	return (struct hk_pkt){(uint16_t)v, (uint16_t)(v >> 16), (uint16_t)(v >> 32),
	                       (uint16_t)(v >> 48)};
}

static inline void *hk_pkt_page(struct hk_pkt p)
{
	return (void *)(uintptr_t)(HK_PKT_BASE + (uint64_t)p.slot * HK_PKT_SIZE);
}

static inline void *hk_pkt_data(struct hk_pkt p) { return (char *)hk_pkt_page(p) + p.off; }

struct hk_addr {
	uint8_t b[16];
};

/* kan_send flags */
#define HK_SEND_ERRORS 1u /* undeliverable packets come back as ICMPv6 errors */
/* Deliver each packet to the next hop its ep field names instead of routing
 * its destination: manifest entry (ep >> 8)'s address (ep & 0xff), i.e.
 * <prefix>::(100+i):n (docs/kan.md "Next hops"). A pipeline stage passes wire
 * traffic on this way without touching the destination address. */
#define HK_SEND_VIA 2u
#define HK_SEND_FLAGS (HK_SEND_ERRORS | HK_SEND_VIA)
static inline uint16_t hk_via(unsigned entry, unsigned n) { return (uint16_t)(entry << 8 | (n & 0xff)); }

/* Why a packet was dropped or refused (counters are indexed by this). */
enum hk_drop {
	HK_DROP_RING_FULL = 0, /* destination's receive ring was full */
	HK_DROP_NO_ROUTE,      /* no endpoint has the destination, and no uplink */
	HK_DROP_CLOSED,        /* queued on an endpoint that closed (or whose owner died) */
	HK_DROP_BAD_HEADER,    /* refused: not a well-formed IPv6 header for its length */
	HK_DROP_SPOOFED,       /* refused: source is not one of the sender's addresses */
	HK_DROP_BAD_CONTROL,   /* a control request to the kernel was malformed */
	HK_DROP_COUNT
};

/* Counters of one endpoint or one process (all totals since it began). */
struct hk_kan_counters {
	uint64_t pkts_in, bytes_in;   /* delivered to the receiver */
	uint64_t pkts_out, bytes_out; /* accepted from the sender */
	uint64_t drops[HK_DROP_COUNT];
	uint64_t faults; /* process only: faults taken (it was killed by one) */
};

/* The node-wide view. */
struct hk_kan_node {
	uint64_t pool_pages; /* packet pool size */
	uint64_t pool_free;  /* pages in the pool's free lists */
	uint64_t held;       /* pages mapped in some window */
	uint64_t in_flight;  /* pages queued on receive rings */
	uint64_t free_pages; /* general page allocator */
	uint32_t endpoints;  /* bound endpoints */
	uint32_t pad;
	struct hk_kan_counters total; /* drops by reason, node-wide */
};

/* kan_stat kinds */
#define HK_STAT_ENDPOINT 0u /* id = endpoint handle (any endpoint) */
#define HK_STAT_PROCESS  1u /* id = pid */
#define HK_STAT_NODE     2u /* id ignored; out is struct hk_kan_node */

/* What kan_self tells a process about its place on the KAN. */
struct hk_kan_self {
	struct hk_addr prefix; /* the node's KAN /64 */
	struct hk_addr kernel; /* the kernel's address */
	struct hk_addr addr;   /* this process's primary address */
	uint32_t ep;           /* handle of the primary endpoint */
	uint32_t quota;        /* pages it may hold plus have in flight */
	uint32_t held;         /* pages it holds now */
	uint32_t in_flight;    /* pages it sent that are still queued */
	uint32_t max_eps;      /* endpoints it may bind */
	uint32_t uplink;       /* 1 if it receives off-prefix traffic */
};

/*
 * Address plan (docs/kan.md): within the /64, the interface identifier
 *   ::1                  the kernel
 *   ::2                  the management service (the entry with manifest key
 *                        mgmt binds it: kan_bind(HK_KAN_BIND_MGMT, depth))
 *   ::(0x100+i):n        manifest entry i, address n (n = 0 is bound at spawn)
 */
#define HK_KAN_PREFIX_DEFAULT {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}
#define HK_KAN_IID_PROC       0x100u
#define HK_KAN_IID_MGMT       2u
#define HK_KAN_BIND_MGMT      0x10000u /* kan_bind's n for <prefix>::2 */

/* The interface identifier of manifest entry `entry`'s address n. */
static inline uint64_t hk_kan_iid(unsigned entry, unsigned n)
{
	return (uint64_t)(HK_KAN_IID_PROC + entry) << 16 | n;
}

#endif
