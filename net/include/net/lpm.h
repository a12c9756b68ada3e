/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_LPM_H
#define NET_LPM_H

/*
 * IPv6 longest-prefix-match table: (prefix, length 0..128) -> uint32_t,
 * the router's routing table (what the value means, a worker, a next hop,
 * is the router's business). Pure code over caller-provided memory: no
 * allocation, no system calls; host-tested against a brute-force reference
 * (tests/unit/test_net_lpm.c).
 *
 * Structure: a path-compressed binary trie. Every node holds a prefix; a
 * node either carries a route or is a branch point with exactly two
 * children, so R routes never need more than 2R - 1 nodes and the memory is
 * fixed by max_routes at init. Lookup walks from the root: at each node it
 * stops if the address leaves the node's prefix (one 128-bit compare via a
 * count of leading zeros), remembers the node's route if it has one, and
 * follows the child named by the address bit just past the node's prefix.
 *
 * Bound: node lengths strictly increase along the walk, so a lookup visits
 * at most min(129, 2R - 1) nodes; each visit is branch-light straight-line
 * code (an XOR and a CLZ per half, a compare, a bit extract, one load of
 * the next node): about 30 aarch64 instructions in the compiled loop. So
 * about 30 * D instructions for a walk of depth D: under 4000 in the
 * degenerate worst case (129 nested prefixes of one address), and for the
 * tables a node carries (tens of routes, a handful of branch points on any
 * path) one to two hundred. No hashing, no recursion, no inner loops.
 *
 * Why this rather than the alternatives: a multibit trie (stride 8) bounds
 * the walk at 16 steps but costs 256 slots per node and needs prefix
 * expansion, making updates and memory sizing hard for a fixed pool;
 * binary search over per-length hash tables (Waldvogel) needs about 7
 * probes of a 128-bit hash each, plus markers whose best-match values must
 * be recomputed on every delete. The compressed trie's depth is the
 * number of branch points on the path, which is small for real tables,
 * its memory is exactly two nodes per route, and insert and delete touch
 * at most three nodes.
 *
 * Prefixes must have no bits set beyond their length: such input is
 * refused with -HK_EINVAL rather than masked, because "fd00::1/64" is
 * almost always a typo (use net_lpm_mask to clear host bits on purpose).
 *
 * Concurrency: none. One thread at a time per table (the router's own
 * loop); a lookup during an update sees an inconsistent trie.
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

/* A node of the trie; private to net/lpm.c, public only for its size. */
struct net_lpm_node {
	uint64_t hi, lo;   /* the prefix in host order, zero beyond len */
	uint32_t child[2]; /* node indices, NET_LPM_NIL when absent */
	uint32_t value;    /* the route's value when has_route */
	uint8_t len;       /* prefix length, 0..128 */
	uint8_t has_route; /* 0: a branch point (then both children exist) */
};

#define NET_LPM_NIL        UINT32_MAX
#define NET_LPM_MAX_ROUTES (1u << 24) /* keeps node counts far from NIL */

/* Bytes of memory net_lpm_init needs for max_routes routes. */
#define NET_LPM_MEM_BYTES(max_routes) (2 * (size_t)(max_routes) * sizeof(struct net_lpm_node))

/* A table; fields private to net/lpm.c. */
struct net_lpm {
	struct net_lpm_node *node; /* the caller's memory */
	uint32_t root;             /* NET_LPM_NIL when empty */
	uint32_t free;             /* list of freed nodes through child[0] */
	uint32_t unused;           /* nodes [unused, 2 * max_routes) never handed out */
	uint32_t routes, max_routes;
};

/* One route, as the iterator reports it. */
struct net_lpm_route {
	struct hk_addr prefix;
	unsigned len;
	uint32_t value;
};

/* What net_lpm_insert did. */
enum { NET_LPM_ADDED = 0, NET_LPM_REPLACED = 1 };

/*
 * Make *t an empty table for at most max_routes (1..NET_LPM_MAX_ROUTES)
 * routes in mem: at least NET_LPM_MEM_BYTES(max_routes) bytes aligned for
 * uint64_t, owned by the table until the caller stops using it (nothing to
 * tear down). 0, or -HK_EINVAL for a bad count, size or alignment.
 */
int net_lpm_init(struct net_lpm *t, void *mem, size_t mem_bytes, unsigned max_routes);

/*
 * Add prefix/len -> value, or replace the value of that exact prefix.
 * NET_LPM_ADDED or NET_LPM_REPLACED (with *old, if old is not NULL, the
 * previous value); -HK_EINVAL for len > 128 or host bits set; -HK_ETOOMANY
 * when adding to a full table. On any error the table is unchanged.
 */
int net_lpm_insert(struct net_lpm *t, const struct hk_addr *prefix, unsigned len, uint32_t value,
                   uint32_t *old);

/*
 * Remove exactly prefix/len (never a longer or shorter neighbour). 0 with
 * *old (if not NULL) its value; -HK_ENOENT when absent; -HK_EINVAL as above.
 */
int net_lpm_delete(struct net_lpm *t, const struct hk_addr *prefix, unsigned len, uint32_t *old);

/*
 * The longest stored prefix containing addr: its length (0..128) with
 * *value set, or -HK_ENOENT (then *value is untouched). Bound above.
 */
int net_lpm_lookup(const struct net_lpm *t, const struct hk_addr *addr, uint32_t *value);

/* The value of exactly prefix/len: 0, -HK_ENOENT or -HK_EINVAL. */
int net_lpm_get(const struct net_lpm *t, const struct hk_addr *prefix, unsigned len,
                uint32_t *value);

/*
 * Iteration in a stable order: by prefix address (as a 128-bit big-endian
 * number), then by length, shortest first (::/0 first when present).
 * The first route after *after (NULL: the first route of all) into *out;
 * after and out may be the same object. Stateless, so a walk spread over
 * several replies survives updates in between (it sees each route present
 * throughout exactly once). 0, -HK_ENOENT past the last route, or
 * -HK_EINVAL for a malformed *after. Costs one trie walk per call.
 */
int net_lpm_next(const struct net_lpm *t, const struct net_lpm_route *after,
                 struct net_lpm_route *out);

/* How many routes the table holds. */
static inline unsigned net_lpm_count(const struct net_lpm *t) { return t->routes; }

/* Clear the bits of *a beyond len (len > 128 is taken as 128). */
void net_lpm_mask(struct hk_addr *a, unsigned len);

#endif
