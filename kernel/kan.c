// SPDX-License-Identifier: BSD-2-Clause
/*
 * The KAN in the running kernel: the packet pool, endpoints, the address
 * table, each process's packet window, and the calls that move pages
 * between them (docs/kan.md). The data structures and their rules live in
 * kan/ (host-tested); this file adds processes, page tables and blocking.
 *
 * Locks, in order (after proc_lock and futex_lock, see proc.h):
 *   kp->lock     one process's window: slot table, held count
 *   bind_lock    the address table's writers, the endpoint free list
 *   ep->lock     one endpoint's producers, state and waiter
 *   cpu->lock, then the page allocator's lock
 * A page is touched only by the party its pool state names (kan/pool.h), so
 * moving it between those parties is what the locks serialise.
 *
 * In-flight accounting: a QUEUED page is charged to its sender, recorded in
 * the page as charge = slot << 24 | (pid & 0xffffff). Each process slot has
 * an atomic account (pid24 << 32 | pages in flight); an uncharge applies
 * only if the pid still matches, so a page outliving its sender is fine.
 */
#include "kan.h"
#include "kanctl.h"
#include "proc.h"
#include <ck_pr.h>
#include <hekate/errno.h>
#include <hekate/kprintf.h>
#include <hekate/pmm.h>
#include <kan/addr.h>
#include <kan/ctl.h>
#include <kan/ep.h>
#include <kan/icmp.h>
#include <kan/ipv6.h>
#include <kan/notify.h>
#include <kan/pool.h>
#include <kan/udp.h>
#include <string.h>

#define NLEAF    (HK_PKT_SLOTS / ARCH_PT_LEAF_PAGES)
#define SLOT_RO  0x80000000u /* kp->page[]: a shared page mapped read-only */
#define NO_EP    0xffffu
#define PID24(p) ((uint32_t)(p) & 0xffffffu)
/* The kernel as a page holder and sender: no process has pid 0, so an
 * uncharge of KAN_KERNEL_PID never matches a process account. */
#define KAN_KERNEL_PID 0

static struct kan_pool pool;
static uint64_t pool_pa;
static struct kan_ep eps[HK_KAN_MAX_EPS];
static uint64_t ep_ring_pa[HK_KAN_MAX_EPS];
static uint16_t ep_next[HK_KAN_MAX_EPS]; /* owner's endpoint list, or the free list */
static uint16_t ep_free_head;
static uint32_t nbound;
static struct kan_atab_slot atab_slots[2 * HK_KAN_MAX_EPS];
static struct kan_atab atab;
static ck_spinlock_fas_t bind_lock = CK_SPINLOCK_FAS_INITIALIZER;
static struct hk_addr prefix, kaddr;
static int32_t uplink_ep = -1;
static struct hk_kan_counters node_c;
static struct kan_proc kprocs[MAX_PROCS];

/*
 * Multicast groups. The address table maps a group address to
 * GROUP_BIT | group index; the group lists its member endpoints, whose
 * own address is the group's. Members change under bind_lock then g->lock;
 * a sender copies the list under g->lock alone.
 */
#define GROUP_BIT 0x80000000u
struct kan_group {
	ck_spinlock_fas_t lock;
	struct hk_addr addr;
	uint32_t n; /* 0: the slot is free */
	uint16_t member[HK_KAN_GROUP_MAX];
};
static struct kan_group groups[HK_KAN_GROUPS];

/*
 * The capture (KAN_CTL_CAPTURE, <kan/ctl.h>): at most one. `on` is read
 * lock-free on every send, so a send costs one load while none runs; the
 * rest changes and is read under cap.lock (after every other KAN lock).
 */
static struct {
	ck_spinlock_fas_t lock;
	uint32_t on;
	uint32_t ep;        /* where copies go */
	int32_t owner, pid; /* the capturing process; the one whose traffic (0: all) */
	uint16_t snaplen;
	uint32_t seq, dropped; /* copies tried, and of those not delivered */
} cap = {.lock = CK_SPINLOCK_FAS_INITIALIZER};

static void count(uint64_t *c, uint64_t n) { ck_pr_add_64(c, n); }

/* A counter with one writer: the owning process's kp->lock is held. A plain
 * add (no atomic read-modify-write), stored whole for lock-free readers. */
static void count_owned(uint64_t *c, uint64_t n) { ck_pr_store_64(c, *c + n); }

static uint64_t page_pa(uint32_t idx) { return pool_pa + (uint64_t)idx * PAGE_SIZE; }
static uint8_t *page_kva(uint32_t idx) { return arch_phys_to_virt(page_pa(idx)); }

/* --- boot ------------------------------------------------------------ */

static void *boot_array(size_t bytes)
{
	uint64_t pa;
	size_t n = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	return page_alloc_run(n, &pa) ? NULL : arch_phys_to_virt(pa);
}

int kan_boot(const struct hk_addr *pfx, uint32_t npages)
{
	prefix = *pfx;
	kaddr = kan_addr_make(&prefix, 1);
	if (page_alloc_run(npages, &pool_pa))
		return -HK_ENOMEM;
	struct kan_page *meta = boot_array(npages * sizeof(struct kan_page));
	uint32_t *stack = boot_array(npages * sizeof(uint32_t));
	if (!meta || !stack)
		return -HK_ENOMEM; /* the node does not start: nothing to give back */
	kan_pool_init(&pool, meta, stack, npages);
	kan_atab_init(&atab, atab_slots, 2 * HK_KAN_MAX_EPS);
	for (uint32_t i = 0; i < HK_KAN_MAX_EPS; i++)
		ep_next[i] = (uint16_t)(i + 1 < HK_KAN_MAX_EPS ? i + 1 : NO_EP);
	ep_free_head = 0;
	char a[48];
	kan_addr_format(&prefix, a, sizeof(a));
	kprintf("kan: prefix %s/64, kernel ::1, %u packet pages\n", a, npages);
	return 0;
}

/* --- accounting -------------------------------------------------------- */

static int32_t charge_of(const struct proc *p) { return (int32_t)(p->slot << 24 | PID24(p->pid)); }

/* n more of kp's pages in flight (sent, not yet received). */
static void charge_n(struct kan_proc *kp, uint64_t n) { ck_pr_add_64(&kp->acct, n); }

/* Give back n in-flight pages charged as charge (charge_of its sender): only
 * while that slot still has the pid, and never below zero. */
static void uncharge_n(int32_t charge, uint64_t n)
{
	struct kan_proc *kp = &kprocs[(uint32_t)charge >> 24];
	uint64_t old = ck_pr_load_64(&kp->acct);
	while ((old >> 32) == PID24(charge) && (uint32_t)old) {
		uint64_t k = (uint32_t)old < n ? (uint32_t)old : n;
		if (ck_pr_cas_64_value(&kp->acct, old, old - k, &old))
			return;
	}
}

static uint32_t in_flight(struct kan_proc *kp) { return (uint32_t)ck_pr_load_64(&kp->acct); }

/* A queued page leaves the KAN without being delivered. Any CPU, no lock needed. */
static void drop_queued(uint32_t idx)
{
	int32_t ch;
	if (pool.meta[idx].state == KAN_PG_SHARED) {
		kan_pg_unref(&pool, arch_cpu_id(), idx);
		return;
	}
	if (kan_pg_drop(&pool, arch_cpu_id(), idx, &ch))
		panic("kan: dropping page %u in state %u", idx, pool.meta[idx].state);
	uncharge_n(ch, 1);
}

static void drop_cb(void *ctx, uint32_t idx)
{
	(void)ctx;
	drop_queued(idx);
}

/* --- the window ---------------------------------------------------------- */

static uint64_t *slot_pte(struct kan_proc *kp, unsigned slot)
{
	return &kp->leaf[slot / ARCH_PT_LEAF_PAGES][slot % ARCH_PT_LEAF_PAGES];
}

static uint64_t slot_va(unsigned slot) { return HK_PKT_BASE + (uint64_t)slot * PAGE_SIZE; }

/* kp->lock held, a free slot exists. Maps page idx there. */
static unsigned win_map(struct kan_proc *kp, uint32_t idx, int ro)
{
	unsigned slot = kp->free[--kp->nfree];
	kp->page[slot] = (idx + 1) | (ro ? SLOT_RO : 0);
	arch_pte_set(slot_pte(kp, slot), page_pa(idx), ro ? PT_R : PT_R | PT_W);
	kp->held++;
	return slot;
}

/* kp->lock held, slot holds a page. Unmaps it everywhere p's threads run. */
static void win_unmap(struct proc *p, struct kan_proc *kp, unsigned slot)
{
	arch_pte_clear(slot_pte(kp, slot));
	arch_tlb_flush_page(slot_va(slot), p->asid, p->cpumask == 1ull << arch_cpu_id());
	kp->page[slot] = 0;
	kp->free[kp->nfree++] = (uint16_t)slot;
	kp->held--;
}

/* kp->lock held. The pool index a descriptor names, or -HK_EINVAL; *ro if shared. */
static int64_t slot_page(struct kan_proc *kp, struct hk_pkt d, int *ro)
{
	if (d.slot >= HK_PKT_SLOTS || !kp->page[d.slot])
		return -HK_EINVAL;
	*ro = !!(kp->page[d.slot] & SLOT_RO);
	return (kp->page[d.slot] & ~SLOT_RO) - 1;
}

/* Only pages the caller may write: a shared read-only page is others' too. */
int kan_dma_addrs(struct proc *p, const struct hk_pkt *d, unsigned n, uint64_t *pa)
{
	struct kan_proc *kp = p->kan;
	int rc = 0, ro;
	ck_spinlock_fas_lock(&kp->lock);
	for (unsigned i = 0; i < n && !rc; i++) {
		int64_t idx = slot_page(kp, d[i], &ro);
		rc = idx < 0 || ro ? -HK_EINVAL : 0;
		if (!rc)
			pa[i] = page_pa((uint32_t)idx);
	}
	ck_spinlock_fas_unlock(&kp->lock);
	return rc;
}

/* --- processes ------------------------------------------------------------ */

int kan_proc_init(struct proc *p, const struct kan_limits *lim)
{
	struct kan_proc *kp = &kprocs[p->slot];
	memset(kp, 0, sizeof(*kp));
	kp->pid = p->pid;
	kp->quota = lim->quota;
	kp->max_eps = lim->max_eps;
	kp->ep_head = NO_EP;
	kp->primary = NO_EP;
	for (unsigned i = 0; i < NLEAF; i++) {
		kp->leaf[i] = vm_leaf(p, HK_PKT_BASE + (uint64_t)i * ARCH_PT_LEAF_PAGES * PAGE_SIZE);
		if (!kp->leaf[i])
			return -HK_ENOMEM;
	}
	for (unsigned s = 0; s < HK_PKT_SLOTS; s++)
		kp->free[s] = (uint16_t)(HK_PKT_SLOTS - 1 - s);
	kp->nfree = HK_PKT_SLOTS;
	ck_pr_store_64(&kp->acct, (uint64_t)PID24(p->pid) << 32);
	p->kan = kp;
	int h = kan_bind(p, 0, HK_KAN_DEPTH_DEF);
	if (h < 0)
		return h;
	kp->primary = (uint32_t)h;
	if (lim->uplink) {
		ck_spinlock_fas_lock(&bind_lock);
		int busy = uplink_ep >= 0;
		if (!busy)
			ck_pr_store_32((uint32_t *)&uplink_ep, (uint32_t)h);
		ck_spinlock_fas_unlock(&bind_lock);
		if (busy)
			return -HK_EBUSY;
		kp->uplink = 1;
	}
	kp->forward = lim->uplink || lim->forward;
	kp->mgmt = lim->mgmt;
	return 0;
}

void kan_set_forward(struct proc *p, int on) { ck_pr_store_int(&p->kan->forward, !!on); }

void kan_proc_fault(struct proc *p)
{
	if (p->kan)
		count(&p->kan->c.faults, 1);
}

/* Every thread of p is gone: close its endpoints, return its pages. */
void kan_proc_exit(struct proc *p)
{
	struct kan_proc *kp = p->kan;
	if (!kp)
		return;
	uint32_t copied, dropped;
	kan_capture_stop(p, &copied, &dropped); /* a capture ends with its process */
	while (kp->ep_head != NO_EP)
		kan_close(p, kp->ep_head);
	ck_spinlock_fas_lock(&kp->lock);
	for (unsigned s = 0; s < HK_PKT_SLOTS; s++) {
		if (!kp->page[s])
			continue;
		uint32_t idx = (kp->page[s] & ~SLOT_RO) - 1;
		arch_pte_clear(slot_pte(kp, s));
		int rc = (kp->page[s] & SLOT_RO) ? kan_pg_unref(&pool, arch_cpu_id(), idx) < 0
		                                 : kan_pg_free(&pool, arch_cpu_id(), idx, kp->pid);
		if (rc)
			panic("kan: %s slot %u page %u not held", p->name, s, idx);
		kp->page[s] = 0;
	}
	kp->held = 0;
	ck_pr_store_64(&kp->acct, 0);
	kp->pid = 0;
	ck_spinlock_fas_unlock(&kp->lock);
	p->kan = NULL;
}

/* --- endpoints -------------------------------------------------------------- */

static struct kan_ep *own_ep(struct proc *p, uint64_t h)
{
	if (h >= HK_KAN_MAX_EPS)
		return NULL;
	struct kan_ep *ep = &eps[h];
	if (ck_pr_load_32(&ep->state) != KAN_EP_OPEN || ep->owner != p->pid)
		return NULL;
	return ep;
}

int kan_ep_owned(struct proc *p, uint64_t h) { return own_ep(p, h) != NULL; }

/* bind_lock held. Add endpoint h to the group of address a, creating the group. */
static int group_add(const struct hk_addr *a, uint16_t h)
{
	uint32_t v;
	int rc = 0;
	if (kan_atab_lookup(&atab, a, &v)) {
		for (v = 0; v < HK_KAN_GROUPS && groups[v].n; v++)
			;
		if (v == HK_KAN_GROUPS)
			return -HK_ETOOMANY;
		rc = kan_atab_insert(&atab, a, GROUP_BIT | v);
		if (rc)
			return rc;
		groups[v].addr = *a;
		v |= GROUP_BIT;
	}
	struct kan_group *g = &groups[v & ~GROUP_BIT];
	if (g->n == HK_KAN_GROUP_MAX)
		return -HK_ETOOMANY;
	ck_spinlock_fas_lock(&g->lock);
	g->member[g->n++] = h;
	ck_spinlock_fas_unlock(&g->lock);
	return 0;
}

/* bind_lock held. Take endpoint h out of its group; the last member removes the group. */
static void group_remove(const struct hk_addr *a, uint16_t h)
{
	uint32_t v;
	if (kan_atab_lookup(&atab, a, &v) || !(v & GROUP_BIT))
		panic("kan: endpoint %u is in no group", h);
	struct kan_group *g = &groups[v & ~GROUP_BIT];
	ck_spinlock_fas_lock(&g->lock);
	for (uint32_t i = 0; i < g->n; i++)
		if (g->member[i] == h) {
			g->member[i] = g->member[--g->n];
			break;
		}
	ck_spinlock_fas_unlock(&g->lock);
	if (!g->n)
		kan_atab_remove(&atab, a);
}

/* bind_lock held. Enter address a for new endpoint h: unicast once, or join a's group. */
static int bind_address(const struct hk_addr *a, uint16_t h)
{
	uint32_t other;
	if (kan_addr_is_multicast(a))
		return group_add(a, h);
	return !kan_atab_lookup(&atab, a, &other) ? -HK_EEXIST : kan_atab_insert(&atab, a, h);
}

/* A new endpoint of p on address a (unicast or a group) with a ring of depth. */
static int bind_ep(struct proc *p, const struct hk_addr *a, uint64_t depth)
{
	struct kan_proc *kp = p->kan;
	if (depth > HK_KAN_DEPTH_MAX)
		return -HK_E2BIG;
	if (depth < HK_KAN_DEPTH_MIN || (depth & (depth - 1)))
		return -HK_EINVAL;
	uint64_t ring = vm_kernel_page(p);
	if (!ring)
		return -HK_ENOMEM;
	ck_spinlock_fas_lock(&kp->lock);
	ck_spinlock_fas_lock(&bind_lock);
	uint16_t h = ep_free_head;
	uint32_t other;
	int rc = !kan_addr_is_multicast(a) && !kan_atab_lookup(&atab, a, &other) ? -HK_EEXIST
	         : kp->neps >= kp->max_eps ? -HK_ETOOMANY
	         : h == NO_EP            ? -HK_ENOMEM
	                                 : bind_address(a, h);
	if (!rc) {
		ep_free_head = ep_next[h];
		ep_next[h] = kp->ep_head;
		kp->ep_head = h;
		kp->neps++;
		nbound++;
		ep_ring_pa[h] = ring;
		kan_ep_open(&eps[h], p->pid, a, arch_phys_to_virt(ring), (unsigned)depth);
	}
	ck_spinlock_fas_unlock(&bind_lock);
	ck_spinlock_fas_unlock(&kp->lock);
	if (rc)
		vm_kernel_page_free(p, ring);
	return rc ? rc : h;
}

int kan_bind(struct proc *p, uint64_t n, uint64_t depth)
{
	if (n == HK_KAN_BIND_MGMT) {
		if (!p->kan->mgmt)
			return -HK_EPERM;
		struct hk_addr a = kan_addr_make(&prefix, HK_KAN_IID_MGMT);
		return bind_ep(p, &a, depth);
	}
	if (n > 0xffff)
		return -HK_E2BIG;
	struct hk_addr a = kan_addr_make(&prefix, hk_kan_iid((unsigned)p->index, (unsigned)n));
	return bind_ep(p, &a, depth);
}

int kan_join(struct proc *p, const struct hk_addr *group, uint64_t depth)
{
	if (!kan_addr_is_multicast(group))
		return -HK_EINVAL;
	return bind_ep(p, group, depth);
}

/* Unlink h from kp's endpoint list. bind_lock held. */
static void unlink_ep(struct kan_proc *kp, uint16_t h)
{
	for (uint16_t *pp = &kp->ep_head; *pp != NO_EP; pp = &ep_next[*pp])
		if (*pp == h) {
			*pp = ep_next[h];
			return;
		}
}

int kan_close(struct proc *p, uint64_t h)
{
	struct kan_proc *kp = p->kan;
	struct kan_ep *ep = own_ep(p, h);
	if (!ep)
		return -HK_ENOENT;
	ck_spinlock_fas_lock(&kp->lock); /* no thread of p pops this ring meanwhile */
	ck_spinlock_fas_lock(&bind_lock);
	if (kan_addr_is_multicast(&ep->addr))
		group_remove(&ep->addr, (uint16_t)h);
	else
		kan_atab_remove(&atab, &ep->addr);
	if (uplink_ep == (int32_t)h)
		ck_pr_store_32((uint32_t *)&uplink_ep, (uint32_t)-1);
	ck_spinlock_fas_lock(&ep->lock);
	/* counted on the endpoint by kan_ep_close, and on the node: the node's
	 * totals must account for every packet the KAN did not deliver */
	count(&node_c.drops[HK_DROP_CLOSED], kan_ep_close(ep, drop_cb, NULL));
	struct thread *w = ep->waiter;
	ep->waiter = NULL;
	if (w)
		sched_wake(w, WAKE_EVENT);
	ck_spinlock_fas_unlock(&ep->lock);
	uint64_t ring = ep_ring_pa[h];
	unlink_ep(kp, (uint16_t)h);
	kp->neps--;
	nbound--;
	ck_pr_store_32(&ep->state, KAN_EP_FREE);
	ep_next[h] = ep_free_head;
	ep_free_head = (uint16_t)h;
	ck_spinlock_fas_unlock(&bind_lock);
	ck_spinlock_fas_unlock(&kp->lock);
	vm_kernel_page_free(p, ring);
	return 0;
}

/* --- alloc and free ------------------------------------------------------------ */

int64_t kan_alloc1(struct proc *p)
{
	struct kan_proc *kp = p->kan;
	uint32_t idx;
	ck_spinlock_fas_lock(&kp->lock);
	int rc = kp->held + in_flight(kp) >= kp->quota || !kp->nfree ? -HK_ENOBUFS : 0;
	if (!rc && kan_pg_alloc(&pool, arch_cpu_id(), kp->pid, &idx))
		rc = -HK_ENOBUFS;
	struct hk_pkt d = {0};
	if (!rc) {
		arch_page_zero(page_kva(idx)); /* never show a page's previous holder */
		d.slot = (uint16_t)win_map(kp, idx, 0);
		d.off = HK_PKT_HEADROOM;
		d.len = HK_PKT_SIZE - HK_PKT_HEADROOM;
		d.ep = (uint16_t)kp->primary;
	}
	ck_spinlock_fas_unlock(&kp->lock);
	return rc ? rc : (int64_t)hk_pkt_pack(d);
}

int kan_free1(struct proc *p, struct hk_pkt d)
{
	struct kan_proc *kp = p->kan;
	int ro;
	ck_spinlock_fas_lock(&kp->lock);
	int64_t idx = slot_page(kp, d, &ro);
	if (idx >= 0) {
		win_unmap(p, kp, d.slot);
		int rc = ro ? kan_pg_unref(&pool, arch_cpu_id(), (uint32_t)idx) < 0
		            : kan_pg_free(&pool, arch_cpu_id(), (uint32_t)idx, kp->pid);
		if (rc)
			panic("kan: freeing page %u of %s: not held", (uint32_t)idx, p->name);
	}
	ck_spinlock_fas_unlock(&kp->lock);
	return idx < 0 ? (int)idx : 0;
}

/* --- send -------------------------------------------------------------------- */

/* Count a refused or dropped packet against p and the node. */
static void count_drop(struct kan_proc *kp, enum hk_drop why)
{
	count(&kp->c.drops[why], 1);
	count(&node_c.drops[why], 1);
}

/* The endpoint (or GROUP_BIT | group) a destination routes to, else -1;
 * *up set when it is the uplink. Lock-free. */
static int64_t route(const struct hk_addr *dst, int *up)
{
	uint32_t h;
	*up = 0;
	if (kan_addr_in_prefix(dst, &prefix) || kan_addr_is_multicast(dst))
		return kan_atab_lookup(&atab, dst, &h) ? -1 : (int64_t)h;
	int32_t u = (int32_t)ck_pr_load_32((uint32_t *)&uplink_ep);
	*up = u >= 0;
	return u;
}

/* The source must be an address p has bound, or any off-prefix address if p
 * forwards (the uplink, a pipeline stage). */
static int64_t source_ep(struct proc *p, const struct hk_addr *src)
{
	uint32_t h;
	struct kan_proc *kp = p->kan;
	if (kan_addr_eq(src, &eps[kp->primary].addr)) /* the usual case; the primary never closes */
		return kp->primary;
	if (!kan_addr_in_prefix(src, &prefix))
		return kp->forward ? (int64_t)NO_EP : -1;
	if (kan_atab_lookup(&atab, src, &h) || ck_pr_load_32((uint32_t *)&eps[h].owner) !=
	                                           (uint32_t)p->pid)
		return -1;
	return h;
}

/*
 * Queue pages idx[0..n) on endpoint h, all routed there for address to (or,
 * to NULL, as the uplink), under one hold of its lock with one wake-up.
 * Those the ring refuses are dropped and counted. 1 if a waiter on this
 * CPU was woken, else 0; the refusal's error if any page was dropped.
 */
static inline __attribute__((always_inline)) int enqueue_run(uint32_t h, const struct hk_addr *to,
                                                           const uint32_t *idx, unsigned n)
{
	struct kan_ep *ep = &eps[h];
	unsigned pushed = 0, refused = 0;
	int here = 0, rc = 0;
	ck_spinlock_fas_lock(&ep->lock);
	if (to ? !kan_addr_eq(&ep->addr, to) : ck_pr_load_32((uint32_t *)&uplink_ep) != h)
		rc = -HK_ENOENT; /* closed (and maybe reused) since the lookup */
	while (!rc && pushed < n) {
		rc = kan_ep_push(ep, idx[pushed]);
		refused = rc != 0; /* kan_ep_push counted it on the endpoint */
		pushed += !rc;
	}
	/* the rest of the run is dropped for the same reason: a ring keeps order,
	 * so nothing after a refusal may go in */
	enum hk_drop why = rc == -HK_ENOBUFS ? HK_DROP_RING_FULL : HK_DROP_CLOSED;
	if (pushed < n)
		count(&ep->c.drops[why], n - pushed - refused);
	struct thread *w = pushed ? ep->waiter : NULL;
	if (w) {
		ep->waiter = NULL;
		here = sched_wake_direct(w) && w->cpu == arch_cpu_id();
	}
	ck_spinlock_fas_unlock(&ep->lock);
	for (unsigned i = pushed; i < n; i++) {
		count(&node_c.drops[why], 1);
		drop_queued(idx[i]);
	}
	return pushed < n ? rc : here;
}

/* One page: enqueue_run of one. */
static int enqueue(uint32_t h, const struct hk_addr *dst, uint32_t idx)
{
	return enqueue_run(h, dst, &idx, 1);
}

/* --- capture --------------------------------------------------------------- */

static int kernel_send(uint32_t h, uint16_t port, const void *a, size_t alen, const void *b,
                       size_t blen);

/* The pid owning what dst names (an endpoint, the uplink's included), or 0. */
static int32_t dst_pid(int64_t dst)
{
	if (dst < 0 || (dst & GROUP_BIT) || dst >= HK_KAN_MAX_EPS)
		return 0; /* the kernel, nowhere, or a group's several members */
	return (int32_t)ck_pr_load_32((uint32_t *)&eps[dst].owner);
}

/*
 * Copy queued page idx, sent by pid `from` towards dst, to the capture if
 * it takes it: not the capturer's own traffic, and the filtered process's
 * if one is set. Called with no KAN lock held, before the page is pushed
 * (so nobody else has it yet); the copy is a new kernel datagram.
 */
static __attribute__((cold, noinline)) void mirror(int32_t from, uint32_t idx, int64_t dst)
{
	int32_t to = dst_pid(dst);
	struct kan_cap_rec r = {.from = (uint32_t)from, .to = (uint32_t)to};
	ck_spinlock_fas_lock(&cap.lock);
	int take = cap.on && from != cap.owner && to != cap.owner &&
	           (!cap.pid || from == cap.pid || to == cap.pid);
	uint32_t h = cap.ep;
	size_t snap = cap.snaplen;
	if (take)
		r.seq = cap.seq++;
	ck_spinlock_fas_unlock(&cap.lock);
	if (!take)
		return;
	uint8_t head[KAN_CAP_HDR];
	const struct kan_page *m = &pool.meta[idx];
	r.orig_len = m->len;
	r.time_us = time_us();
	kan_cap_rec_put(head, &r);
	if (kernel_send(h, KAN_CAP_PORT, head, sizeof(head), page_kva(idx) + m->off,
	                m->len < snap ? m->len : snap))
		ck_pr_inc_32(&cap.dropped);
}

/* Start a capture into p's endpoint h: 0, -HK_EBUSY (one runs), -HK_ENOENT. */
int kan_capture_start(struct proc *p, uint32_t h, int32_t pid, uint16_t snaplen)
{
	struct kan_ep *ep = own_ep(p, h);
	if (!ep || snaplen < KAN_CAP_SNAP_MIN || snaplen > KAN_CAP_SNAP_MAX)
		return ep ? -HK_EINVAL : -HK_ENOENT;
	int rc = 0;
	ck_spinlock_fas_lock(&cap.lock);
	if (cap.on) {
		rc = -HK_EBUSY;
	} else {
		cap.ep = h;
		cap.owner = p->pid;
		cap.pid = pid;
		cap.snaplen = snaplen;
		cap.seq = 0;
		ck_pr_store_32(&cap.dropped, 0);
		ck_pr_store_32(&cap.on, 1);
	}
	ck_spinlock_fas_unlock(&cap.lock);
	return rc;
}

/* End p's capture, if it runs one: its copies tried and dropped. */
void kan_capture_stop(struct proc *p, uint32_t *copied, uint32_t *dropped)
{
	*copied = *dropped = 0;
	ck_spinlock_fas_lock(&cap.lock);
	if (cap.on && cap.owner == p->pid) {
		ck_pr_store_32(&cap.on, 0);
		*copied = cap.seq;
		*dropped = ck_pr_load_32(&cap.dropped);
	}
	ck_spinlock_fas_unlock(&cap.lock);
}

/*
 * Push shared page idx (one reference, the caller's) to every member of
 * group g, read-only for all of them; the caller's reference goes at the
 * end, so the page is freed once the last member is done with it. 1 if a
 * member waiting on this CPU was woken.
 */
static int send_group(uint32_t g, const struct hk_addr *dst, uint32_t idx)
{
	struct kan_group *gr = &groups[g];
	uint16_t m[HK_KAN_GROUP_MAX];
	uint32_t n = 0;
	ck_spinlock_fas_lock(&gr->lock);
	if (gr->n && kan_addr_eq(&gr->addr, dst)) /* not emptied and reused since the lookup */
		for (; n < gr->n; n++)
			m[n] = gr->member[n];
	ck_spinlock_fas_unlock(&gr->lock);
	if (!n)
		count(&node_c.drops[HK_DROP_NO_ROUTE], 1);
	ck_pr_add_32(&pool.meta[idx].refs, n); /* nobody else has seen the page yet */
	int here = 0;
	for (uint32_t i = 0; i < n; i++)
		here |= enqueue(m[i], dst, idx) > 0;
	kan_pg_unref(&pool, arch_cpu_id(), idx);
	return here;
}

/*
 * A send's counters and in-flight charges, added up over its packets and
 * applied once (tally_apply) while kp->lock is still held: nobody reads a
 * window's counters in between, and a charge lands before any receiver can
 * see (and uncharge) the page, since pages are queued after the unlock.
 */
struct tally {
	uint64_t pkts, bytes, charges;
	uint32_t ep; /* the source endpoint ep_pkts/ep_bytes belong to, or NO_EP */
	uint64_t ep_pkts, ep_bytes;
};

/* kp->lock held: the counters gathered for endpoint tl->ep go on it. */
static void tally_flush_ep(struct tally *tl)
{
	if (tl->ep != NO_EP && tl->ep_pkts) {
		count_owned(&eps[tl->ep].c.pkts_out, tl->ep_pkts);
		count_owned(&eps[tl->ep].c.bytes_out, tl->ep_bytes);
	}
	tl->ep_pkts = tl->ep_bytes = 0;
}

/* One packet of len bytes sent from endpoint src (NO_EP: an off-prefix source). */
static inline void tally_add(struct tally *tl, int64_t src, unsigned len)
{
	tl->pkts++;
	tl->bytes += len;
	if ((uint32_t)src != tl->ep) {
		tally_flush_ep(tl);
		tl->ep = (uint32_t)src;
	}
	tl->ep_pkts++;
	tl->ep_bytes += len;
}

/* kp->lock held: everything tl gathered goes on kp and its endpoints. */
static void tally_apply(struct kan_proc *kp, struct tally *tl)
{
	tally_flush_ep(tl);
	if (tl->pkts) {
		count_owned(&kp->c.pkts_out, tl->pkts);
		count_owned(&kp->c.bytes_out, tl->bytes);
	}
	if (tl->charges)
		charge_n(kp, tl->charges);
}

/* What take decided when it is not an endpoint or a refusal. */
#define KAN_TO_KERNEL (-1001) /* for the kernel's control service */
#define KAN_UNROUTED  (-1002) /* nowhere to go (counted): it may bounce as an ICMPv6 error */

/* The last destination a batch routed: consecutive packets to one address
 * skip the table (enqueue checks the endpoint still has it). */
struct route_memo {
	struct hk_addr to;
	int64_t dst;
	int up, valid;
};

/* A packet take accepted: its page, and where answers to it go. */
struct taken {
	uint32_t idx;
	int64_t back; /* the sender's endpoint its source names, or NO_EP (uplink, off-prefix) */
	int up;       /* routed to the uplink */
	int via;      /* routed to hop (HK_SEND_VIA), not to its destination */
	struct hk_addr hop;
};

/* The address t was routed by: its next hop, or its destination. */
static inline const struct hk_addr *taken_to(const struct taken *t)
{
	return t->via ? &t->hop : kan_hdr_dst(page_kva(t->idx) + pool.meta[t->idx].off);
}

/*
 * Check and route one packet, then take it out of p's window. Returns the
 * destination endpoint (>= 0; with GROUP_BIT a group), KAN_TO_KERNEL or
 * KAN_UNROUTED (the page is unmapped and still held by p), or a negative
 * error with the packet left where it was. Its counters and charge go in
 * tl, which the caller applies before it drops kp->lock. kp->lock held.
 */
static inline __attribute__((always_inline)) int64_t take(struct proc *p, struct hk_pkt d,
                                                          uint64_t flags, struct taken *t,
                                                          struct route_memo *memo,
                                                          struct tally *tl)
{
	struct kan_proc *kp = p->kan;
	int ro;
	int64_t idx = slot_page(kp, d, &ro);
	if (idx < 0)
		return idx;
	if (ro)
		return -HK_EPERM;
	const uint8_t *page = page_kva((uint32_t)idx);
	if (kan_hdr_check(page, d.off, d.len) != KAN_HDR_OK) {
		count_drop(kp, HK_DROP_BAD_HEADER);
		return -HK_EBADPKT;
	}
	const uint8_t *ip = page + d.off;
	int64_t src = source_ep(p, kan_hdr_src(ip));
	if (src < 0) {
		count_drop(kp, HK_DROP_SPOOFED);
		return -HK_ESPOOF;
	}
	const struct hk_addr *to = kan_hdr_dst(ip);
	t->via = !!(flags & HK_SEND_VIA);
	if (t->via) { /* always in the prefix, never the kernel's ::1 nor a group */
		t->hop = kan_addr_make(&prefix, hk_kan_iid(d.ep >> 8, d.ep & 0xffu));
		to = &t->hop;
	}
	int64_t dst;
	if (memo->valid && kan_addr_eq(to, &memo->to)) {
		dst = memo->dst;
		t->up = memo->up;
	} else {
		dst = kan_addr_eq(to, &kaddr) ? KAN_TO_KERNEL : route(to, &t->up);
		*memo = (struct route_memo){*to, dst, t->up, 1};
	}
	win_unmap(p, kp, d.slot);
	pool.meta[idx].off = d.off;
	pool.meta[idx].len = d.len;
	tally_add(tl, src, d.len);
	t->idx = (uint32_t)idx;
	t->back = src;
	if (dst == KAN_TO_KERNEL)
		return dst;
	if (dst < 0) {
		count_drop(kp, HK_DROP_NO_ROUTE);
		return KAN_UNROUTED;
	}
	if (dst & GROUP_BIT) {
		/* one reference, the sender's, until send_group has pushed it to every member */
		if (kan_pg_share(&pool, (uint32_t)idx, kp->pid, 1))
			panic("kan: sharing page %u of %s: not held", (uint32_t)idx, p->name);
		return dst;
	}
	if (kan_pg_send(&pool, (uint32_t)idx, kp->pid))
		panic("kan: sending page %u of %s: not held", (uint32_t)idx, p->name);
	pool.meta[idx].charge = charge_of(p);
	tl->charges++;
	return dst;
}

/* The held, unmapped page of t goes back to its sender p: to the endpoint
 * its source named, or for an off-prefix source to the uplink. */
static void reply(struct proc *p, const struct taken *t)
{
	struct kan_proc *kp = p->kan;
	int32_t h = t->back == NO_EP ? (int32_t)ck_pr_load_32((uint32_t *)&uplink_ep)
	                             : (int32_t)t->back;
	if (h < 0) { /* the uplink closed meanwhile */
		kan_pg_free(&pool, arch_cpu_id(), t->idx, kp->pid);
		return;
	}
	if (kan_pg_send(&pool, t->idx, kp->pid))
		panic("kan: answering with page %u of %s: not held", t->idx, p->name);
	pool.meta[t->idx].charge = charge_of(p);
	charge_n(kp, 1);
	if (ck_pr_load_32(&cap.on))
		mirror(KAN_KERNEL_PID, t->idx, h);
	const uint8_t *ip = page_kva(t->idx) + pool.meta[t->idx].off;
	if (enqueue((uint32_t)h, t->back == NO_EP ? NULL : kan_hdr_dst(ip), t->idx) > 0)
		this_cpu()->need_resched = 1;
}

/* An unroutable packet: an ICMPv6 destination unreachable (code) back to
 * the sender in the same page if it asked for errors, else it is freed. */
static int bounce(struct proc *p, const struct taken *t, uint64_t flags, uint8_t code)
{
	struct kan_page *m = &pool.meta[t->idx];
	uint16_t off = m->off, len = m->len;
	if (!(flags & HK_SEND_ERRORS) ||
	    kan_icmp6_unreach(page_kva(t->idx), PAGE_SIZE, &off, &len, &kaddr, code)) {
		kan_pg_free(&pool, arch_cpu_id(), t->idx, p->kan->pid);
		return 0;
	}
	m->off = off;
	m->len = len;
	reply(p, t);
	return 0;
}

/* A packet to the kernel's address: a control request, answered in its own page. */
static int to_kernel(struct proc *p, const struct taken *t, uint64_t flags)
{
	uint8_t out[KAN_ICMP_MIN_MTU]; /* every response fits the IPv6 minimum MTU */
	struct kan_page *m = &pool.meta[t->idx];
	uint8_t *page = page_kva(t->idx);
	long n = kanctl_answer(p, page + m->off, m->len, &kaddr, out, sizeof(out));
	if (n == KANCTL_NO_PORT) { /* a port nobody serves: like an address nobody bound */
		count_drop(p->kan, HK_DROP_NO_ROUTE);
		return bounce(p, t, flags, KAN_UNREACH_PORT);
	}
	if (n < 0) {
		count_drop(p->kan, HK_DROP_BAD_CONTROL);
		kan_pg_free(&pool, arch_cpu_id(), t->idx, p->kan->pid);
		return 0;
	}
	memcpy(page + HK_PKT_HEADROOM, out, (size_t)n);
	m->off = HK_PKT_HEADROOM;
	m->len = (uint16_t)n;
	reply(p, t);
	return 0;
}

/* Deliver one packet take accepted (no KAN lock held): 1 if a receiver
 * on this CPU was woken. */
static int deliver1(struct proc *p, const struct taken *t, int64_t dst, uint64_t flags)
{
	if (dst == KAN_TO_KERNEL)
		return to_kernel(p, t, flags);
	const struct hk_addr *to = taken_to(t);
	if (dst == KAN_UNROUTED)
		return bounce(p, t, flags,
		              kan_addr_in_prefix(to, &prefix) ? KAN_UNREACH_ADDR : KAN_UNREACH_NO_ROUTE);
	/* nobody else sees the page until it is pushed */
	int here = dst & GROUP_BIT ? send_group((uint32_t)dst & ~GROUP_BIT, to, t->idx)
	                           : enqueue((uint32_t)dst, t->up ? NULL : to, t->idx);
	return here > 0;
}

/* One packet; 0 sent (or dropped and counted), <0 refused and still held. */
int kan_send1(struct proc *p, struct hk_pkt d, uint64_t flags)
{
	struct kan_proc *kp = p->kan;
	struct taken t;
	struct route_memo memo = {.valid = 0};
	struct tally tl = {.ep = NO_EP};
	if (flags & ~(uint64_t)HK_SEND_FLAGS)
		return -HK_EINVAL;
	ck_spinlock_fas_lock(&kp->lock);
	int64_t dst = take(p, d, flags, &t, &memo, &tl);
	tally_apply(kp, &tl);
	ck_spinlock_fas_unlock(&kp->lock);
	if (dst < 0 && dst != KAN_TO_KERNEL && dst != KAN_UNROUTED)
		return (int)dst;
	if (ck_pr_load_32(&cap.on))
		mirror(p->pid, t.idx, dst);
	if (deliver1(p, &t, dst, flags))
		this_cpu()->need_resched = 1;
	return 0;
}

/*
 * A vector of packets: every one is taken under one hold of p's window lock,
 * then consecutive packets to the same endpoint are queued together. Stops
 * at the first refusal: the count sent before it, or its error if none.
 */
int kan_send(struct proc *p, const struct hk_pkt *d, unsigned n, uint64_t flags)
{
	struct kan_proc *kp = p->kan;
	struct taken t[HK_KAN_BATCH];
	int64_t dst[HK_KAN_BATCH];
	uint32_t run[HK_KAN_BATCH];
	struct route_memo memo = {.valid = 0};
	struct tally tl = {.ep = NO_EP};
	unsigned k = 0, i = 0;
	int rc = 0, here = 0;
	if (flags & ~(uint64_t)HK_SEND_FLAGS)
		return -HK_EINVAL;
	ck_spinlock_fas_lock(&kp->lock);
	for (; k < n && k < HK_KAN_BATCH; k++) {
		dst[k] = take(p, d[k], flags, &t[k], &memo, &tl);
		if (dst[k] < 0 && dst[k] != KAN_TO_KERNEL && dst[k] != KAN_UNROUTED) {
			rc = (int)dst[k];
			break;
		}
	}
	tally_apply(kp, &tl);
	ck_spinlock_fas_unlock(&kp->lock);
	/* scalars, not the arrays: their addresses must not escape the fast path */
	for (unsigned j = 0; j < k && ck_pr_load_32(&cap.on); j++)
		mirror(p->pid, t[j].idx, dst[j]);
	while (i < k) {
		if (dst[i] < 0 || (dst[i] & GROUP_BIT)) {
			here |= deliver1(p, &t[i], dst[i], flags);
			i++;
			continue;
		}
		unsigned m = 0;
		const struct hk_addr *to = taken_to(&t[i]);
		for (unsigned j = i; j < k && dst[j] == dst[i] && t[j].up == t[i].up; j++)
			run[m++] = t[j].idx;
		here |= enqueue_run((uint32_t)dst[i], t[i].up ? NULL : to, run, m) > 0;
		i += m;
	}
	if (here)
		this_cpu()->need_resched = 1;
	return k ? (int)k : rc;
}

int kan_ep_info(uint32_t h, int32_t *pid, struct hk_addr *a)
{
	if (h >= HK_KAN_MAX_EPS)
		return -HK_ENOENT;
	struct kan_ep *ep = &eps[h];
	if (ck_pr_load_32(&ep->state) != KAN_EP_OPEN)
		return -HK_ENOENT;
	ck_spinlock_fas_lock(&ep->lock);
	int rc = ep->state == KAN_EP_OPEN ? 0 : -HK_ENOENT;
	*pid = ep->owner;
	*a = ep->addr;
	ck_spinlock_fas_unlock(&ep->lock);
	return rc;
}

/* --- packets from the kernel ------------------------------------------------ */

/*
 * A kernel datagram to endpoint h: a[0..alen) then b[0..blen) as the UDP
 * payload, from the kernel's address and port to h's address and port.
 * Never mirrored to a capture: these are the kernel's notifications
 * (interrupts, timers) and the capture's own copies, and mirroring the
 * interrupts the capture's stream causes on the NIC would feed itself.
 */
static int kernel_send(uint32_t h, uint16_t port, const void *a, size_t alen, const void *b,
                       size_t blen)
{
	if (h >= HK_KAN_MAX_EPS || alen + blen > HK_PKT_SIZE - HK_PKT_HEADROOM - KAN_UDP_OFF)
		return -HK_EINVAL;
	struct kan_ep *ep = &eps[h];
	if (ck_pr_load_32(&ep->state) != KAN_EP_OPEN)
		return -HK_ENOENT;
	struct hk_addr dst = ep->addr; /* may race a close: enqueue checks it again */
	uint32_t idx;
	if (kan_pg_alloc(&pool, arch_cpu_id(), KAN_KERNEL_PID, &idx)) {
		count(&node_c.drops[HK_DROP_RING_FULL], 1);
		return -HK_ENOBUFS;
	}
	uint8_t *page = page_kva(idx);
	arch_page_zero(page); /* never show a page's previous holder */
	memcpy(page + HK_PKT_HEADROOM + KAN_UDP_OFF, a, alen);
	if (blen)
		memcpy(page + HK_PKT_HEADROOM + KAN_UDP_OFF + alen, b, blen);
	kan_udp_build(page + HK_PKT_HEADROOM, HK_PKT_SIZE - HK_PKT_HEADROOM, &kaddr, &dst, port, port,
	              alen + blen);
	pool.meta[idx].off = HK_PKT_HEADROOM;
	pool.meta[idx].len = (uint16_t)(KAN_UDP_OFF + alen + blen);
	if (kan_pg_send(&pool, idx, KAN_KERNEL_PID))
		panic("kan: kernel page %u not held", idx);
	pool.meta[idx].charge = KAN_KERNEL_PID;
	count(&node_c.pkts_out, 1);
	count(&node_c.bytes_out, KAN_UDP_OFF + alen + blen);
	int rc = enqueue(h, &dst, idx);
	if (rc > 0)
		this_cpu()->need_resched = 1;
	return rc < 0 ? rc : 0;
}

int kan_kernel_send(uint32_t h, uint16_t port, const void *payload, size_t len)
{
	return kernel_send(h, port, payload, len, NULL, 0);
}

/*
 * kan_kernel_send to h only if p owns it, checked and sent under p's window
 * lock: kan_close takes that lock first, so p cannot close h (nor can
 * another process bind it again) in between, and a notification p asked
 * for never reaches anyone else. -HK_ENOENT if p does not own h. p's
 * receivers pop its rings under that lock too, so a ring seen full stays
 * full: refuse (-HK_ENOBUFS, counted as a ring-full drop) before building
 * the packet, which keeps a storm of retries into a full ring cheap.
 * Caller: no KAN lock held, p->kan still set (before kan_proc_exit).
 */
int kan_kernel_send_owned(struct proc *p, uint32_t h, uint16_t port, const void *payload,
                          size_t len)
{
	struct kan_proc *kp = p->kan;
	struct kan_ep *ep;
	int rc = -HK_ENOBUFS;
	ck_spinlock_fas_lock(&kp->lock);
	if (!(ep = own_ep(p, h))) {
		rc = -HK_ENOENT;
	} else if (kan_ep_queued(ep) >= ep->depth) {
		count(&ep->c.drops[HK_DROP_RING_FULL], 1);
		count(&node_c.drops[HK_DROP_RING_FULL], 1);
	} else {
		rc = kan_kernel_send(h, port, payload, len);
	}
	ck_spinlock_fas_unlock(&kp->lock);
	return rc;
}

/* --- receive --------------------------------------------------------------------- */

/*
 * kp->lock held. Deliver up to max packets from ep into p's window. The
 * counters are added once for the batch, and the senders' charges once per
 * run of pages from one sender (a batch usually comes from one).
 */
static unsigned collect(struct proc *p, uint32_t h, struct hk_pkt *out, unsigned max)
{
	struct kan_proc *kp = p->kan;
	struct kan_ep *ep = &eps[h];
	unsigned n = 0;
	uint64_t bytes = 0, run = 0;
	int32_t run_charge = 0;
	uint32_t idx;
	while (n < max && kp->nfree && kp->held < kp->quota && kan_ep_pop(ep, &idx)) {
		int ro = pool.meta[idx].state == KAN_PG_SHARED;
		int32_t ch;
		if (!ro) {
			if (kan_pg_deliver(&pool, idx, kp->pid, &ch))
				panic("kan: delivering page %u in state %u", idx,
				      pool.meta[idx].state);
			if (run && ch != run_charge) {
				uncharge_n(run_charge, run);
				run = 0;
			}
			run_charge = ch;
			run++;
		}
		unsigned len = pool.meta[idx].len;
		out[n++] = (struct hk_pkt){(uint16_t)win_map(kp, idx, ro), pool.meta[idx].off,
		                           (uint16_t)len, (uint16_t)h};
		bytes += len;
	}
	if (run)
		uncharge_n(run_charge, run);
	if (n) {
		count_owned(&ep->c.pkts_in, n);
		count_owned(&ep->c.bytes_in, bytes);
		count_owned(&kp->c.pkts_in, n);
		count_owned(&kp->c.bytes_in, bytes);
	}
	return n;
}

/* Register (or, with on = 0, withdraw) the current thread as waiter on hs[]. */
static int set_waiter(const uint32_t *hs, unsigned nh, int on)
{
	struct thread *me = current();
	int ready = 0;
	for (unsigned i = 0; i < nh; i++) {
		struct kan_ep *ep = &eps[hs[i]];
		/* only this thread makes itself the waiter: if it is not, there is nothing to undo */
		if (!on && ck_pr_load_ptr(&ep->waiter) != me)
			continue;
		ck_spinlock_fas_lock(&ep->lock);
		if (on) {
			if (ep->waiter && ep->waiter != me)
				ready = -HK_EBUSY;
			else
				ep->waiter = me;
			ready = ready ?: kan_ep_queued(ep) > 0 || ep->state != KAN_EP_OPEN;
		} else if (ep->waiter == me) {
			ep->waiter = NULL;
		}
		ck_spinlock_fas_unlock(&ep->lock);
	}
	return ready;
}

int kan_recv(struct proc *p, const uint32_t *hs, unsigned nh, struct hk_pkt *out, unsigned max,
             uint64_t timeout_us)
{
	struct kan_proc *kp = p->kan;
	uint64_t deadline = 0; /* set when it first has to wait: a hit never reads the clock */
	for (;;) {
		unsigned n = 0;
		int full;
		ck_spinlock_fas_lock(&kp->lock);
		for (unsigned i = 0; i < nh; i++) {
			if (!own_ep(p, hs[i])) {
				ck_spinlock_fas_unlock(&kp->lock);
				return n ? (int)n : -HK_ENOENT;
			}
			n += collect(p, hs[i], out + n, max - n);
		}
		full = !kp->nfree || kp->held >= kp->quota;
		ck_spinlock_fas_unlock(&kp->lock);
		if (n)
			return (int)n;
		if (full)
			return -HK_ENOBUFS;
		if (!timeout_us)
			return -HK_EAGAIN;
		uint64_t now = timeout_us == HK_TIMEOUT_FOREVER ? 0 : time_us();
		if (!deadline)
			deadline = timeout_us > UINT64_MAX - now ? UINT64_MAX : now + timeout_us;
		if (now >= deadline)
			return -HK_ETIMEDOUT;
		sched_prepare_block(deadline == UINT64_MAX ? HK_TIMEOUT_FOREVER : deadline - now);
		int ready = set_waiter(hs, nh, 1);
		if (ready)
			sched_wake(current(), WAKE_EVENT);
		enum wake_reason why = sched_wait();
		set_waiter(hs, nh, 0);
		if (ready < 0)
			return ready;
		if (why == WAKE_KILLED)
			return -HK_ESRCH;
	}
}

/* --- introspection ---------------------------------------------------------------- */

void kan_self(struct proc *p, struct hk_kan_self *s)
{
	struct kan_proc *kp = p->kan;
	memset(s, 0, sizeof(*s));
	s->prefix = prefix;
	s->kernel = kaddr;
	s->addr = eps[kp->primary].addr;
	s->ep = kp->primary;
	s->quota = kp->quota;
	s->held = kp->held;
	s->in_flight = in_flight(kp);
	s->max_eps = kp->max_eps;
	s->uplink = (uint32_t)kp->uplink;
}

static void copy_counters(struct hk_kan_counters *dst, const struct hk_kan_counters *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] = ck_pr_load_64(&s[i]);
}

int kan_stat(unsigned kind, uint64_t id, union kan_stat_out *out)
{
	memset(out, 0, sizeof(*out));
	if (kind == HK_STAT_ENDPOINT) {
		if (id >= HK_KAN_MAX_EPS || ck_pr_load_32(&eps[id].state) != KAN_EP_OPEN)
			return -HK_ENOENT;
		copy_counters(&out->c, &eps[id].c);
		return 0;
	}
	if (kind == HK_STAT_PROCESS) {
		for (unsigned i = 0; i < MAX_PROCS; i++)
			if (id && id <= INT32_MAX && ck_pr_load_int(&kprocs[i].pid) == (int)id) {
				copy_counters(&out->c, &kprocs[i].c);
				return 0;
			}
		return -HK_ESRCH;
	}
	if (kind != HK_STAT_NODE)
		return -HK_EINVAL;
	struct hk_kan_node *n = &out->node;
	n->pool_pages = pool.npages;
	n->pool_free = kan_pool_free(&pool);
	n->held = ck_pr_load_64(&pool.held);
	n->in_flight = ck_pr_load_64(&pool.queued) + ck_pr_load_64(&pool.shared);
	n->free_pages = pages_free();
	n->endpoints = ck_pr_load_32(&nbound);
	copy_counters(&n->total, &node_c);
	return 0;
}
