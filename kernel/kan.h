/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_KERNEL_KAN_H
#define HEKATE_KERNEL_KAN_H

/*
 * The KAN as the rest of the kernel sees it (kernel/kan.c): boot, the
 * process lifecycle hooks, and the calls behind the kan_* system calls.
 * Every argument that came from a user is checked here; the callers in
 * syscall.c only copy descriptors in and out.
 */
#include <arch.h>
#include <ck_spinlock.h>
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

struct proc;

/* Per-process KAN state (one per process slot). */
struct kan_proc {
	ck_spinlock_fas_t lock; /* the window: page[], free[], held */
	int32_t pid;
	uint32_t quota, held, nfree, max_eps, neps;
	uint32_t primary; /* handle of the endpoint bound at spawn */
	int uplink;
	int forward; /* may send from off-prefix sources (kan_limits) */
	int mgmt;    /* may bind <prefix>::2 (kan_limits) */
	uint16_t ep_head;      /* its endpoints (list under bind_lock) */
	uint64_t acct;         /* pid24 << 32 | pages in flight (atomic) */
	uint64_t *leaf[HK_PKT_SLOTS / ARCH_PT_LEAF_PAGES];
	uint32_t page[HK_PKT_SLOTS]; /* pool index + 1 per slot, 0 = empty */
	uint16_t free[HK_PKT_SLOTS]; /* free slots, a stack */
	struct hk_kan_counters c;
};

struct kan_limits {
	uint32_t quota, max_eps;
	int uplink;  /* receives off-prefix traffic; may send from off-prefix sources */
	int forward; /* may send from off-prefix sources (a pipeline stage) */
	int mgmt;    /* may bind <prefix>::2 (HK_KAN_BIND_MGMT) */
};

union kan_stat_out {
	struct hk_kan_counters c;
	struct hk_kan_node node;
};

/* The pool and tables; -HK_ENOMEM if npages (and their bookkeeping) do not fit. */
int kan_boot(const struct hk_addr *prefix, uint32_t npages);
int kan_proc_init(struct proc *p, const struct kan_limits *lim);
void kan_proc_exit(struct proc *p);
void kan_proc_fault(struct proc *p);
/* Whether p may send from off-prefix sources (a pipeline stage but the last). */
void kan_set_forward(struct proc *p, int on);

int kan_bind(struct proc *p, uint64_t n, uint64_t depth);
/* The physical page address of each of d[0..n) (n <= HK_KAN_BATCH), all
 * slots p holds read-write; else -HK_EINVAL and pa untouched. */
int kan_dma_addrs(struct proc *p, const struct hk_pkt *d, unsigned n, uint64_t *pa);
/* A new endpoint of p that receives what is sent to multicast address group. */
int kan_join(struct proc *p, const struct hk_addr *group, uint64_t depth);
int kan_close(struct proc *p, uint64_t h);
int64_t kan_alloc1(struct proc *p);
int kan_free1(struct proc *p, struct hk_pkt d);
int kan_send1(struct proc *p, struct hk_pkt d, uint64_t flags);
/* d[0..n), n <= HK_KAN_BATCH (the caller checks): the count sent (each sent or
 * dropped and counted) up to the first refusal, or that refusal's error. */
int kan_send(struct proc *p, const struct hk_pkt *d, unsigned n, uint64_t flags);
int kan_recv(struct proc *p, const uint32_t *hs, unsigned nh, struct hk_pkt *out, unsigned max,
             uint64_t timeout_us);
/*
 * A UDP datagram from the kernel's address, source and destination port
 * `port` (<kan/notify.h>), to endpoint h. Callable from any kernel context
 * holding no KAN lock, interrupt handlers included; never blocks. 0 when
 * queued; -HK_ENOENT (no such endpoint), -HK_ENOBUFS (pool or ring full:
 * counted as a drop) or -HK_EINVAL (payload too big for a page).
 */
int kan_kernel_send(uint32_t h, uint16_t port, const void *payload, size_t len);
/* The same, to an endpoint p owns (checked under p's window lock); else -HK_ENOENT. */
int kan_kernel_send_owned(struct proc *p, uint32_t h, uint16_t port, const void *payload,
                          size_t len);
/*
 * The capture (<kan/ctl.h> KAN_CTL_CAPTURE): start one into p's endpoint h,
 * copying pid's traffic (0: everyone's but p's), snaplen bytes of each:
 * 0, -HK_EBUSY (one runs), -HK_ENOENT (p has no h), -HK_EINVAL (snaplen).
 * Stop: p's capture ends (nothing if p runs none); copies tried and dropped.
 */
int kan_capture_start(struct proc *p, uint32_t h, int32_t pid, uint16_t snaplen);
void kan_capture_stop(struct proc *p, uint32_t *copied, uint32_t *dropped);
/* 1 if h (any raw value) is an open endpoint owned by p, else 0. Lock-free. */
int kan_ep_owned(struct proc *p, uint64_t h);
/* Owner pid and address of open endpoint h: 0, or -HK_ENOENT. */
int kan_ep_info(uint32_t h, int32_t *pid, struct hk_addr *a);
void kan_self(struct proc *p, struct hk_kan_self *s);
int kan_stat(unsigned kind, uint64_t id, union kan_stat_out *out);

#endif
