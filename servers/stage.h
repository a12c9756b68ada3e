/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_SERVERS_STAGE_H
#define HEKATE_SERVERS_STAGE_H

/*
 * The worker runtime (docs/pipelines.md): a worker is a process with one
 * function that looks at one packet and says what happens to it. The
 * runtime receives packets in batches on the process's primary endpoint,
 * calls that function, and sends on what it passed in batches: to the next
 * stage by next hop (HK_SEND_VIA) when the manifest puts the process in a
 * pipeline and it is not the last stage, else by destination (a reply to
 * the wire goes to the uplink). It also answers, for every worker alike,
 * ICMPv6 echo requests to the process's own address and statistics
 * requests (UDP port NET_STATS_PORT to its own address: text, one counter a
 * line), and keeps the counters that make
 *     rx = passed + pings + stats + consumed + dropped
 * hold at every stage (dropped is the sum of the drops by reason, except
 * kan-refused: sends the KAN refused after the stage decided, counted
 * apart).
 *
 * Ownership: the function gets a packet the process holds; whatever it
 * returns, the runtime then owns the page again (it sends, keeps or frees it).
 */
#include <hekate/kan.h>
#include <net/drop.h>
#include <net/ip6.h>
#include <net/stats.h>
#include <stdint.h>

enum stage_verdict {
	STAGE_PASS,     /* on to the next stage, or by destination for the last one */
	STAGE_DROP,     /* freed, counted under *why */
	STAGE_CONSUMED, /* the function kept the page (counted as consumed) */
};

struct stage;
/*
 * One packet p (its IPv6 header at hk_pkt_data(*p), checked: *in). The
 * function may rewrite it in place and move p->off / p->len (pushing or
 * popping headers); a passed packet must still be a valid IPv6 packet.
 */
typedef enum stage_verdict (*stage_fn)(struct stage *s, struct hk_pkt *p,
                                       const struct net_ip6_info *in, unsigned *why);

#define STAGE_USER_COUNTERS 8

struct stage {
	const char *name;
	stage_fn packet;
	/* the worker's own counters, printed in stats replies as NAME VALUE */
	const char *user_name[STAGE_USER_COUNTERS];
	uint64_t user[STAGE_USER_COUNTERS];
	/* fault injection for tests: fault at a batch boundary once rx reaches
	 * this (0: never), so nothing is held when the process dies */
	uint64_t crash_after;
	/* kept by the runtime */
	struct hk_addr addr; /* this process's primary address */
	int next;            /* next stage's manifest entry, or -1 */
	uint64_t rx, passed, consumed, pings, stats, dropped;
	uint64_t drops[NET_DROP_COUNT];
};

/* Receive, process and send until killed; returns only on a broken setup (exit status). */
int stage_run(struct stage *s);

/* The UDP header of a checked packet whose in->proto is 17, or NULL if it does not fit. */
const uint8_t *stage_udp(const uint8_t *ip, const struct net_ip6_info *in);

#endif
