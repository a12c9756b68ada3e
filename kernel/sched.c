// SPDX-License-Identifier: BSD-2-Clause
/*
 * The scheduler: one FIFO run queue per CPU, round robin with a one-tick
 * time slice for ordinary threads, cooperative yield, and claimed cores.
 * The one exception to FIFO order: a KAN receiver woken on the sender's
 * CPU goes first (sched_wake_direct), the KAN's direct switch.
 *
 * A thread that claims its CPU is the only thread placed there (placement
 * skips claimed CPUs) and runs with that CPU's tick masked, so nothing
 * preempts it; it gives the CPU up only by blocking (the CPU then idles
 * with its tick back on). An idle CPU sleeps in WFI until an interrupt:
 * its tick, or the wake-up IPI another CPU sends when it queues work here.
 * Locking and the never-migrate rule are described in proc.h.
 */
#include "irq.h"
#include "kernel.h"
#include "proc.h"
#include "timer.h"
#include <ck_pr.h>
#include <hekate/kprintf.h>

struct cpu cpus[ARCH_MAX_CPUS];
unsigned ncpus_online;

uint64_t time_us(void)
{
	uint64_t f = arch_counter_freq(), c = arch_counter();
	return (c / f) * 1000000u + (c % f) * 1000000u / f;
}

static uint64_t deadline_after(uint64_t us)
{
	uint64_t f = arch_counter_freq();
	if (us > UINT64_MAX / f)
		return UINT64_MAX;
	return arch_counter() + us * f / 1000000u + 1;
}

void sched_init_cpu(unsigned id, struct thread *idle)
{
	struct cpu *c = &cpus[id];
	c->id = id;
	c->idle = idle;
	c->cur = idle;
	c->claimed_by = -1;
	idle->state = T_RUNNING;
	idle->cpu = id;
	ck_pr_fence_store();
	ck_pr_store_int(&c->online, 1);
	ck_pr_inc_uint(&ncpus_online);
}

/* cpu->lock held */
static void rq_push(struct cpu *c, struct thread *t)
{
	t->next = NULL;
	if (c->rq_tail)
		c->rq_tail->next = t;
	else
		c->rq_head = t;
	c->rq_tail = t;
}

static struct thread *rq_pop(struct cpu *c)
{
	struct thread *t = c->rq_head;
	if (t) {
		c->rq_head = t->next;
		if (!c->rq_head)
			c->rq_tail = NULL;
	}
	return t;
}

static void sleep_remove(struct cpu *c, struct thread *t)
{
	for (struct thread **pp = &c->sleepers; *pp; pp = &(*pp)->snext)
		if (*pp == t) {
			*pp = t->snext;
			break;
		}
	t->sleeping = 0;
}

/* Save the outgoing thread's user state and load the incoming one's. */
static void switch_user_state(struct thread *prev, struct thread *next)
{
	if (prev->proc) {
		arch_fp_save(&prev->fp);
		prev->tp = arch_tp_get();
	}
	if (next->proc) {
		arch_vm_activate(next->proc->root, next->proc->asid);
		arch_fp_restore(&next->fp);
		arch_tp_set(next->tp);
	} else {
		arch_vm_activate(0, 0);
	}
	if (next->claims)
		arch_timer_local(0);
	else if (prev->claims)
		arch_timer_local(1);
}

/* Runs on the incoming thread right after every switch on this CPU. */
static void finish_switch(void)
{
	struct cpu *c = this_cpu();
	struct thread *z = c->zombie;
	c->zombie = NULL;
	if (z)
		proc_reap_thread(z);
}

void kernel_thread_started(void) { finish_switch(); }

/* The cycles since this CPU's last switch go to prev's process (the idle
 * thread has none): what make bench reports per process. */
static void charge_cycles(struct cpu *c, struct thread *prev)
{
	uint64_t now = arch_cycles();
	if (prev->proc)
		ck_pr_add_64(&prev->proc->cycles, now - c->last_switch);
	c->last_switch = now;
}

void schedule(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->cur, *next;
	ck_spinlock_fas_lock(&c->lock);
	c->need_resched = 0;
	if (prev->state == T_RUNNING && prev != c->idle) {
		prev->state = T_RUNNABLE;
		rq_push(c, prev);
	}
	next = rq_pop(c);
	if (!next)
		next = c->idle;
	next->state = T_RUNNING;
	c->cur = next;
	if (prev->state == T_DEAD)
		c->zombie = prev;
	ck_spinlock_fas_unlock(&c->lock);
	if (next == prev)
		return;
	ck_pr_inc_64(&c->st.switches);
	charge_cycles(c, prev);
	switch_user_state(prev, next);
	arch_switch(&prev->ctx, &next->ctx);
	finish_switch();
}

/* cpu->lock held: t goes first, ahead of threads that were already waiting. */
static void rq_push_front(struct cpu *c, struct thread *t)
{
	t->next = c->rq_head;
	c->rq_head = t;
	if (!c->rq_tail)
		c->rq_tail = t;
}

static int wake(struct thread *t, enum wake_reason why, int first)
{
	struct cpu *c = &cpus[t->cpu];
	int woke = 0, here = t->cpu == arch_cpu_id();
	ck_spinlock_fas_lock(&c->lock);
	if (t->state == T_BLOCKED || t->state == T_FREE) {
		if (t->sleeping)
			sleep_remove(c, t);
		t->reason = why;
		t->state = T_RUNNABLE;
		if (first && here)
			rq_push_front(c, t);
		else
			rq_push(c, t);
		woke = 1;
	}
	ck_spinlock_fas_unlock(&c->lock);
	if (woke && !here)
		arch_cpu_kick(t->cpu);
	else if (woke)
		this_cpu()->need_resched = 1;
	return woke;
}

int sched_wake(struct thread *t, enum wake_reason why) { return wake(t, why, 0); }

int sched_wake_direct(struct thread *t) { return wake(t, WAKE_EVENT, 1); }

void sched_prepare_block(uint64_t timeout_us)
{
	struct cpu *c = this_cpu();
	struct thread *t = c->cur;
	ck_spinlock_fas_lock(&c->lock);
	t->state = T_BLOCKED;
	t->reason = WAKE_NONE;
	if (timeout_us != HK_TIMEOUT_FOREVER) {
		t->wake_at = deadline_after(timeout_us);
		t->snext = c->sleepers;
		c->sleepers = t;
		t->sleeping = 1;
		timer_deadline_lower(t->wake_at); /* the timeout is precise, not the next tick */
	}
	ck_spinlock_fas_unlock(&c->lock);
}

/* If a waker already made the thread runnable, schedule() may pick it straight back. */
enum wake_reason sched_wait(void)
{
	struct thread *t = current();
	schedule();
	return t->reason;
}

void sched_thread_dead(void)
{
	struct cpu *c = this_cpu();
	ck_spinlock_fas_lock(&c->lock);
	c->cur->state = T_DEAD;
	ck_spinlock_fas_unlock(&c->lock);
	schedule();
	panic("a dead thread was scheduled again");
}

unsigned sched_place(uint64_t cores, int claim, int pid)
{
	if (claim >= 0)
		return (unsigned)claim;
	unsigned best = ARCH_MAX_CPUS;
	for (unsigned i = 0; i < ARCH_MAX_CPUS; i++) {
		struct cpu *c = &cpus[i];
		if (!(cores & (1ull << i)) || !c->online ||
		    (c->claimed_by >= 0 && c->claimed_by != pid))
			continue;
		if (best == ARCH_MAX_CPUS || c->nthreads < cpus[best].nthreads)
			best = i;
	}
	return best;
}

/* Wake sleepers whose deadline passed. cpu->lock held. */
static void wake_expired(struct cpu *c)
{
	uint64_t now = arch_counter();
	struct thread **pp = &c->sleepers;
	while (*pp) {
		struct thread *t = *pp;
		if (t->wake_at > now) {
			pp = &t->snext;
			continue;
		}
		*pp = t->snext;
		t->sleeping = 0;
		t->reason = WAKE_TIMEOUT;
		t->state = T_RUNNABLE;
		rq_push(c, t);
	}
}

void kernel_irq_tick(void)
{
	struct cpu *c = this_cpu();
	irq_tick(); /* retry interrupt packets the KAN could not take */
	if (c->id == 0)
		kernel_tick_count();
	ck_pr_inc_64(&c->st.ticks);
	ck_spinlock_fas_lock(&c->lock);
	wake_expired(c);
	if (c->rq_head)
		c->need_resched = 1;
	ck_spinlock_fas_unlock(&c->lock);
}

uint64_t sched_expire_sleepers(void)
{
	struct cpu *c = this_cpu();
	uint64_t next = UINT64_MAX;
	ck_spinlock_fas_lock(&c->lock);
	struct thread *tail = c->rq_tail;
	wake_expired(c);
	if (c->rq_tail != tail) /* a sleeper was queued (it was on no run queue before) */
		c->need_resched = 1;
	for (struct thread *t = c->sleepers; t; t = t->snext)
		next = t->wake_at < next ? t->wake_at : next;
	ck_spinlock_fas_unlock(&c->lock);
	return next;
}

void kernel_irq_ipi(void) { this_cpu()->need_resched = 1; }

void sched_idle_loop(void)
{
	struct cpu *c = this_cpu();
	for (;;) {
		arch_irq_disable();
		if (c->need_resched || ck_pr_load_ptr(&c->rq_head)) {
			schedule();
			continue;
		}
		uint64_t t0 = arch_cycles();
		arch_wait_for_interrupt();
		ck_pr_add_64(&c->st.idle_cycles, arch_cycles() - t0);
		ck_pr_inc_64(&c->st.idle_wakeups);
		arch_irq_enable();
	}
}

void kernel_return_to_user(void)
{
	struct cpu *c = this_cpu();
	struct thread *t = c->cur;
	if (t->proc && ck_pr_load_int(&t->proc->dying))
		proc_thread_exit();
	if (c->need_resched) {
		if (c->rq_head && !t->claims)
			ck_pr_inc_64(&c->st.preemptions);
		schedule();
		if (t->proc && ck_pr_load_int(&t->proc->dying))
			proc_thread_exit();
	}
}
