// SPDX-License-Identifier: BSD-2-Clause
/*
 * The longest-prefix-match table (contracts and the design in
 * <net/lpm.h>). Keys are handled as two host-order 64-bit halves so that
 * bit tests and "first differing bit" are a shift and a CLZ.
 *
 * Invariants, kept by insert and delete and relied on everywhere:
 *  - a child's prefix extends its parent's (child len > parent len, same
 *    leading parent-len bits), and sits under the parent's child[bit] for
 *    the bit just past the parent's length;
 *  - a node without a route has both children, so nodes <= 2 * routes - 1
 *    and the pool of 2 * max_routes never runs dry while routes < max;
 *  - every prefix is zero beyond its length.
 */
#include <hekate/errno.h>
#include <kan/wire.h>
#include <net/lpm.h>

struct key {
	uint64_t hi, lo;
};

static struct key key_load(const struct hk_addr *a)
{
	return (struct key){kan_get64(a->b), kan_get64(a->b + 8)};
}

static void key_store(struct hk_addr *a, struct key k)
{
	kan_put64(a->b, k.hi);
	kan_put64(a->b + 8, k.lo);
}

/* Bits set in the first len (0..128) bits of a 128-bit key. */
static struct key key_mask(unsigned len)
{
	struct key m = {0, 0};
	if (len >= 64) {
		m.hi = ~0ull;
		m.lo = len == 64 ? 0 : ~0ull << (128 - len);
	} else if (len) {
		m.hi = ~0ull << (64 - len);
	}
	return m;
}

/* Index (0..127) of the first bit where a and b differ, 128 if equal. */
static unsigned first_diff(struct key a, uint64_t bhi, uint64_t blo)
{
	uint64_t d = a.hi ^ bhi;
	if (d)
		return (unsigned)__builtin_clzll(d);
	d = a.lo ^ blo;
	return d ? 64 + (unsigned)__builtin_clzll(d) : 128;
}

/* Bit i (0..127, 0 the most significant) of k. */
static unsigned key_bit(struct key k, unsigned i)
{
	return i < 64 ? (unsigned)(k.hi >> (63 - i)) & 1 : (unsigned)(k.lo >> (127 - i)) & 1;
}

/* Load prefix/len into *k: 0, or -HK_EINVAL for len > 128 or host bits. */
static int key_check(const struct hk_addr *prefix, unsigned len, struct key *k)
{
	if (len > 128)
		return -HK_EINVAL;
	*k = key_load(prefix);
	struct key m = key_mask(len);
	if ((k->hi & ~m.hi) | (k->lo & ~m.lo))
		return -HK_EINVAL;
	return 0;
}

/* -1, 0, 1 as (a, alen) sorts before, equal to, after node n. */
static int key_cmp(struct key a, unsigned alen, const struct net_lpm_node *n)
{
	if (a.hi != n->hi)
		return a.hi < n->hi ? -1 : 1;
	if (a.lo != n->lo)
		return a.lo < n->lo ? -1 : 1;
	return alen == n->len ? 0 : alen < n->len ? -1 : 1;
}

void net_lpm_mask(struct hk_addr *a, unsigned len)
{
	struct key k = key_load(a), m = key_mask(len > 128 ? 128 : len);
	key_store(a, (struct key){k.hi & m.hi, k.lo & m.lo});
}

int net_lpm_init(struct net_lpm *t, void *mem, size_t mem_bytes, unsigned max_routes)
{
	if (!mem || max_routes == 0 || max_routes > NET_LPM_MAX_ROUTES ||
	    mem_bytes < NET_LPM_MEM_BYTES(max_routes) ||
	    (uintptr_t)mem % _Alignof(struct net_lpm_node))
		return -HK_EINVAL;
	t->node = mem;
	t->root = t->free = NET_LPM_NIL;
	t->unused = 0;
	t->routes = 0;
	t->max_routes = max_routes;
	return 0;
}

/* A fresh node for k/len, without a route or children. The invariants
 * guarantee one is available whenever a caller may add a route. */
static uint32_t node_new(struct net_lpm *t, struct key k, unsigned len)
{
	uint32_t i = t->free;
	if (i != NET_LPM_NIL)
		t->free = t->node[i].child[0];
	else
		i = t->unused++;
	t->node[i] = (struct net_lpm_node){
	    .hi = k.hi, .lo = k.lo, .child = {NET_LPM_NIL, NET_LPM_NIL}, .len = (uint8_t)len};
	return i;
}

static void node_free(struct net_lpm *t, uint32_t i)
{
	t->node[i].child[0] = t->free;
	t->free = i;
}

/* A new route node for k/len/value, linked at *link above the subtree i
 * (NET_LPM_NIL, or a node that k/len diverges from or contains). */
static void link_route(struct net_lpm *t, uint32_t *link, struct key k, unsigned len,
                       uint32_t value)
{
	uint32_t r = node_new(t, k, len), i = *link;
	t->node[r].has_route = 1;
	t->node[r].value = value;
	t->routes++;
	if (i == NET_LPM_NIL) {
		*link = r;
		return;
	}
	struct key ik = {t->node[i].hi, t->node[i].lo};
	unsigned c = first_diff(k, ik.hi, ik.lo);
	if (c >= len) { /* the new prefix contains node i */
		t->node[r].child[key_bit(ik, len)] = i;
		*link = r;
		return;
	}
	/* they diverge at bit c: a branch point holds both */
	struct key m = key_mask(c);
	uint32_t b = node_new(t, (struct key){k.hi & m.hi, k.lo & m.lo}, c);
	t->node[b].child[key_bit(k, c)] = r;
	t->node[b].child[key_bit(ik, c)] = i;
	*link = b;
}

int net_lpm_insert(struct net_lpm *t, const struct hk_addr *prefix, unsigned len, uint32_t value,
                   uint32_t *old)
{
	struct key k;
	int rc = key_check(prefix, len, &k);
	if (rc)
		return rc;
	uint32_t *link = &t->root;
	while (*link != NET_LPM_NIL) {
		struct net_lpm_node *n = &t->node[*link];
		if (first_diff(k, n->hi, n->lo) < n->len || len < n->len)
			break; /* k/len leaves or contains n: it goes in n's place */
		if (len == n->len && n->has_route) {
			if (old)
				*old = n->value;
			n->value = value;
			return NET_LPM_REPLACED;
		}
		if (len == n->len) { /* a branch point gets the route */
			if (t->routes >= t->max_routes)
				return -HK_ETOOMANY;
			n->has_route = 1;
			n->value = value;
			t->routes++;
			return NET_LPM_ADDED;
		}
		link = &n->child[key_bit(k, n->len)];
	}
	if (t->routes >= t->max_routes)
		return -HK_ETOOMANY;
	link_route(t, link, k, len, value);
	return NET_LPM_ADDED;
}

/* Where a route lies: its node and the two above (NET_LPM_NIL above the root). */
struct path {
	uint32_t node, parent, grand;
};

/*
 * Find the route prefix/len: 0 with *k its key and *pa its path, -HK_ENOENT
 * when absent (no node, or a branch point without a route), or -HK_EINVAL.
 */
static int find_route(const struct net_lpm *t, const struct hk_addr *prefix, unsigned len,
                      struct key *k, struct path *pa)
{
	int rc = key_check(prefix, len, k);
	if (rc)
		return rc;
	pa->parent = pa->grand = NET_LPM_NIL;
	for (uint32_t i = t->root; i != NET_LPM_NIL;) {
		const struct net_lpm_node *n = &t->node[i];
		if (n->len > len || first_diff(*k, n->hi, n->lo) < n->len)
			break;
		if (n->len == len) {
			pa->node = i;
			return n->has_route ? 0 : -HK_ENOENT;
		}
		pa->grand = pa->parent;
		pa->parent = i;
		i = n->child[key_bit(*k, n->len)];
	}
	return -HK_ENOENT;
}

/* The link that points at the child of p on k's path (the root if p is NIL). */
static uint32_t *link_of(struct net_lpm *t, uint32_t p, struct key k)
{
	return p == NET_LPM_NIL ? &t->root : &t->node[p].child[key_bit(k, t->node[p].len)];
}

/* Replace node i (linked at *link) by its only child, or by nothing. */
static void splice(struct net_lpm *t, uint32_t *link, uint32_t i)
{
	const struct net_lpm_node *n = &t->node[i];
	*link = n->child[0] != NET_LPM_NIL ? n->child[0] : n->child[1];
	node_free(t, i);
}

int net_lpm_delete(struct net_lpm *t, const struct hk_addr *prefix, unsigned len, uint32_t *old)
{
	struct key k;
	struct path pa;
	int rc = find_route(t, prefix, len, &k, &pa);
	if (rc)
		return rc;
	struct net_lpm_node *n = &t->node[pa.node];
	if (old)
		*old = n->value;
	n->has_route = 0;
	t->routes--;
	if (n->child[0] != NET_LPM_NIL && n->child[1] != NET_LPM_NIL)
		return 0; /* still a branch point */
	int leaf = n->child[0] == NET_LPM_NIL && n->child[1] == NET_LPM_NIL;
	splice(t, link_of(t, pa.parent, k), pa.node);
	/* a leaf's removal leaves a route-less parent with one child */
	if (leaf && pa.parent != NET_LPM_NIL && !t->node[pa.parent].has_route)
		splice(t, link_of(t, pa.grand, k), pa.parent);
	return 0;
}

int net_lpm_lookup(const struct net_lpm *t, const struct hk_addr *addr, uint32_t *value)
{
	struct key k = key_load(addr);
	int best = -HK_ENOENT;
	uint32_t i = t->root;
	while (i != NET_LPM_NIL) {
		const struct net_lpm_node *n = &t->node[i];
		if (first_diff(k, n->hi, n->lo) < n->len)
			break; /* nothing below n can match either */
		if (n->has_route) {
			best = n->len;
			*value = n->value;
		}
		if (n->len == 128)
			break;
		i = n->child[key_bit(k, n->len)];
	}
	return best;
}

int net_lpm_get(const struct net_lpm *t, const struct hk_addr *prefix, unsigned len,
                uint32_t *value)
{
	struct key k;
	struct path pa;
	int rc = find_route(t, prefix, len, &k, &pa);
	if (rc == 0)
		*value = t->node[pa.node].value;
	return rc;
}

/* The first route of subtree i in iteration order (pre-order: the node
 * itself, then child 0's subtree, then child 1's) into *out. */
static int first_route(const struct net_lpm *t, uint32_t i, struct net_lpm_route *out)
{
	if (i == NET_LPM_NIL)
		return -HK_ENOENT;
	while (!t->node[i].has_route)
		i = t->node[i].child[0]; /* a branch point has both children */
	const struct net_lpm_node *n = &t->node[i];
	key_store(&out->prefix, (struct key){n->hi, n->lo});
	out->len = n->len;
	out->value = n->value;
	return 0;
}

/*
 * Pre-order of the trie is the (address, length) order: a node sorts
 * before everything below it, and child 0's subtree before child 1's.
 * The walk follows k's path; later, the first node sorting after k starts
 * the answer's subtree, and cand is the nearest right sibling subtree
 * skipped on the way down, the answer if nothing on the path is later.
 */
int net_lpm_next(const struct net_lpm *t, const struct net_lpm_route *after,
                 struct net_lpm_route *out)
{
	struct key k;
	if (!after)
		return first_route(t, t->root, out);
	unsigned len = after->len;
	int rc = key_check(&after->prefix, len, &k);
	if (rc)
		return rc;
	uint32_t i = t->root, cand = NET_LPM_NIL;
	while (i != NET_LPM_NIL) {
		const struct net_lpm_node *n = &t->node[i];
		if (key_cmp(k, len, n) < 0)
			return first_route(t, i, out);
		/* all of n's subtree sorts before k */
		if (first_diff(k, n->hi, n->lo) < n->len)
			break;
		if (n->len == len) { /* n is k itself: its children come next */
			if (n->child[0] != NET_LPM_NIL)
				return first_route(t, n->child[0], out);
			return first_route(t, n->child[1] != NET_LPM_NIL ? n->child[1] : cand, out);
		}
		unsigned b = key_bit(k, n->len);
		if (b == 0 && n->child[1] != NET_LPM_NIL)
			cand = n->child[1];
		i = n->child[b];
	}
	return first_route(t, cand, out);
}
