// SPDX-License-Identifier: BSD-2-Clause
/*
 * The packet pool and its ownership state machine (contracts in
 * <kan/pool.h>). Per-state counts are atomics so any CPU may read them.
 */
#include <ck_pr.h>
#include <hekate/errno.h>
#include <kan/pool.h>

void kan_pool_init(struct kan_pool *p, struct kan_page *meta, uint32_t *stack, uint32_t npages)
{
	p->npages = npages;
	p->meta = meta;
	p->stack = stack;
	ck_spinlock_fas_init(&p->lock);
	for (uint32_t i = 0; i < npages; i++) {
		meta[i] = (struct kan_page){.state = KAN_PG_FREE, .owner = -1, .charge = -1};
		stack[i] = npages - 1 - i; /* page 0 comes out first */
	}
	p->top = npages;
	for (unsigned c = 0; c < KAN_MAX_CPUS; c++)
		p->cache[c].n = 0;
	p->held = p->queued = p->shared = 0;
}

uint64_t kan_pool_free(struct kan_pool *p)
{
	uint64_t n = ck_pr_load_32(&p->top);
	for (unsigned c = 0; c < KAN_MAX_CPUS; c++)
		n += ck_pr_load_32(&p->cache[c].n);
	return n;
}

/* Move up to want pages between cache and global stack (in = to the cache). */
static void exchange(struct kan_pool *p, struct kan_cache *c, unsigned want, int in)
{
	ck_spinlock_fas_lock(&p->lock);
	for (unsigned k = 0; k < want; k++) {
		if (in) {
			if (!p->top)
				break;
			c->idx[c->n] = p->stack[--p->top];
			ck_pr_store_32(&c->n, c->n + 1);
		} else {
			if (!c->n)
				break;
			ck_pr_store_32(&c->n, c->n - 1);
			p->stack[p->top++] = c->idx[c->n];
		}
	}
	ck_spinlock_fas_unlock(&p->lock);
}

void kan_pool_drain_cache(struct kan_pool *p, unsigned cpu)
{
	exchange(p, &p->cache[cpu], KAN_CACHE_MAX, 0);
}

/* A page just turned FREE goes to cpu's cache, spilling a batch when full. */
static void put_free(struct kan_pool *p, unsigned cpu, uint32_t idx)
{
	struct kan_cache *c = &p->cache[cpu];
	p->meta[idx] = (struct kan_page){.state = KAN_PG_FREE, .owner = -1, .charge = -1};
	if (c->n == KAN_CACHE_MAX)
		exchange(p, c, KAN_CACHE_BATCH, 0);
	c->idx[c->n] = idx;
	ck_pr_store_32(&c->n, c->n + 1);
}

static int bad(struct kan_pool *p, uint32_t idx, uint32_t state)
{
	return idx >= p->npages || p->meta[idx].state != state;
}

int kan_pg_alloc(struct kan_pool *p, unsigned cpu, int32_t owner, uint32_t *idx)
{
	struct kan_cache *c = &p->cache[cpu];
	if (!c->n)
		exchange(p, c, KAN_CACHE_BATCH, 1);
	if (!c->n)
		return -HK_ENOMEM;
	ck_pr_store_32(&c->n, c->n - 1);
	uint32_t i = c->idx[c->n];
	p->meta[i] = (struct kan_page){.state = KAN_PG_HELD, .owner = owner, .charge = -1};
	ck_pr_inc_64(&p->held);
	*idx = i;
	return 0;
}

int kan_pg_free(struct kan_pool *p, unsigned cpu, uint32_t idx, int32_t owner)
{
	if (bad(p, idx, KAN_PG_HELD) || p->meta[idx].owner != owner)
		return -HK_EPERM;
	put_free(p, cpu, idx);
	ck_pr_dec_64(&p->held);
	return 0;
}

int kan_pg_send(struct kan_pool *p, uint32_t idx, int32_t owner)
{
	if (bad(p, idx, KAN_PG_HELD) || p->meta[idx].owner != owner)
		return -HK_EPERM;
	struct kan_page *m = &p->meta[idx]; /* off and len stay: they describe the packet */
	m->state = KAN_PG_QUEUED;
	m->owner = -1;
	m->charge = owner;
	ck_pr_dec_64(&p->held);
	ck_pr_inc_64(&p->queued);
	return 0;
}

int kan_pg_deliver(struct kan_pool *p, uint32_t idx, int32_t receiver, int32_t *charge)
{
	if (bad(p, idx, KAN_PG_QUEUED))
		return -HK_EPERM;
	struct kan_page *m = &p->meta[idx];
	*charge = m->charge;
	m->state = KAN_PG_HELD;
	m->owner = receiver;
	m->charge = -1;
	ck_pr_dec_64(&p->queued);
	ck_pr_inc_64(&p->held);
	return 0;
}

int kan_pg_drop(struct kan_pool *p, unsigned cpu, uint32_t idx, int32_t *charge)
{
	if (bad(p, idx, KAN_PG_QUEUED))
		return -HK_EPERM;
	*charge = p->meta[idx].charge;
	put_free(p, cpu, idx);
	ck_pr_dec_64(&p->queued);
	return 0;
}

int kan_pg_share(struct kan_pool *p, uint32_t idx, int32_t owner, uint32_t refs)
{
	if (bad(p, idx, KAN_PG_HELD) || p->meta[idx].owner != owner || !refs)
		return -HK_EPERM;
	struct kan_page *m = &p->meta[idx];
	m->state = KAN_PG_SHARED;
	m->owner = -1;
	m->charge = -1;
	m->refs = refs;
	ck_pr_dec_64(&p->held);
	ck_pr_inc_64(&p->shared);
	return 0;
}

int kan_pg_unref(struct kan_pool *p, unsigned cpu, uint32_t idx)
{
	if (bad(p, idx, KAN_PG_SHARED))
		return -HK_EPERM;
	if (ck_pr_faa_32(&p->meta[idx].refs, (uint32_t)-1) != 1)
		return 0;
	put_free(p, cpu, idx);
	ck_pr_dec_64(&p->shared);
	return 1;
}
