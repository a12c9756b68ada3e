/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KAN_POOL_H
#define KAN_POOL_H

/*
 * The packet pool and the ownership state machine of its pages.
 *
 * Every packet page is in exactly one state, and only the party the state
 * names touches it:
 *   FREE    in the global free stack or a CPU's cache
 *   HELD    mapped in owner's packet window (owner = pid)
 *   QUEUED  on exactly one receive ring; charged to the sender (charge = pid)
 *   SHARED  read-only multicast page: refs = rings it is queued on plus
 *           windows it is mapped in; freed when refs reaches 0
 * Transitions check the state (and owner) they expect and fail with
 * -HK_EPERM without changing anything, so a bookkeeping bug or a forged
 * descriptor is caught, never a double free.
 *
 * Per-CPU caches make alloc and free O(1) without the global lock on the
 * steady-state path: a CPU refills or spills KAN_CACHE_BATCH pages at a time.
 * Cache `cpu` is used only by that CPU (the caller guarantees it, e.g. with
 * interrupts masked); the global stack has its own lock.
 */
#include <ck_spinlock.h>
#include <stdint.h>

#define KAN_CACHE_MAX   64u
#define KAN_CACHE_BATCH 32u
#define KAN_MAX_CPUS    8u

enum kan_pstate { KAN_PG_FREE = 0, KAN_PG_HELD, KAN_PG_QUEUED, KAN_PG_SHARED };

struct kan_page {
	uint32_t state;
	int32_t owner;  /* HELD: holder pid */
	int32_t charge; /* QUEUED: sender pid charged for it */
	uint32_t refs;  /* SHARED */
	uint16_t off, len; /* the packet in the page: set by the kernel before
	                    * send/share, kept by send, deliver and share */
};

struct kan_cache {
	uint32_t n;
	uint32_t idx[KAN_CACHE_MAX];
};

struct kan_pool {
	uint32_t npages;
	struct kan_page *meta; /* npages entries */
	ck_spinlock_fas_t lock; /* the global stack */
	uint32_t *stack;        /* npages entries */
	uint32_t top;
	struct kan_cache cache[KAN_MAX_CPUS];
	uint64_t held, queued, shared; /* pages per state (atomic) */
};

/* All npages FREE in the global stack. meta and stack hold npages entries. */
void kan_pool_init(struct kan_pool *p, struct kan_page *meta, uint32_t *stack, uint32_t npages);
/* FREE pages anywhere (global + caches). */
uint64_t kan_pool_free(struct kan_pool *p);
/* Return cpu's cached pages to the global stack. */
void kan_pool_drain_cache(struct kan_pool *p, unsigned cpu);

/* FREE -> HELD(owner). -HK_ENOMEM when cpu's cache and the global stack are
 * empty, even if other CPUs' caches still hold pages (at most KAN_CACHE_MAX
 * each): those stay reachable only by their own CPU or kan_pool_drain_cache. */
int kan_pg_alloc(struct kan_pool *p, unsigned cpu, int32_t owner, uint32_t *idx);
/* HELD(owner) -> FREE. */
int kan_pg_free(struct kan_pool *p, unsigned cpu, uint32_t idx, int32_t owner);
/* HELD(owner) -> QUEUED(charge = owner). */
int kan_pg_send(struct kan_pool *p, uint32_t idx, int32_t owner);
/* QUEUED -> HELD(receiver); *charge = the sender charged until now. */
int kan_pg_deliver(struct kan_pool *p, uint32_t idx, int32_t receiver, int32_t *charge);
/* QUEUED -> FREE (dropped); *charge = the sender charged. */
int kan_pg_drop(struct kan_pool *p, unsigned cpu, uint32_t idx, int32_t *charge);
/* HELD(owner) -> SHARED(refs). refs >= 1. */
int kan_pg_share(struct kan_pool *p, uint32_t idx, int32_t owner, uint32_t refs);
/* SHARED: one reference fewer; FREE at zero. 1 if this freed it, 0 if not, <0 error. */
int kan_pg_unref(struct kan_pool *p, unsigned cpu, uint32_t idx);

#endif
