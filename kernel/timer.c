// SPDX-License-Identifier: BSD-2-Clause
/*
 * Timers as packets (docs/kan.md "The clock"). A process arms its timer
 * `id` (below HK_TIMER_MAX) to send one UDP datagram (KAN_PORT_TIMER,
 * struct kan_timer_msg) to one of its own endpoints at a deadline, once or
 * every period. Times are microseconds of time_us().
 *
 * A timer lives in the queue (kernel/timerq.c) of the CPU of the thread
 * that armed it and fires there, from that CPU's timer interrupt. The
 * comparator is programmed to the earliest of the next tick, the first
 * timer of the queue and the first sleeper's timeout, so a timer fires at
 * its deadline, not at the next 10 ms tick, also on a claimed CPU whose
 * tick is masked.
 *
 * Locks, in order, all before the KAN's (kernel/kan.c):
 *   pt->lock  one process's timer table: which queue each timer is in
 *   tc->lock  one CPU's queue. Its CPU holds it while it sends the expired
 *             timers' packets, so once a cancel or re-arm has taken the
 *             timer out of the queue no expiry of it is still under way.
 * tc->armed belongs to its CPU alone (interrupts masked, no lock).
 */
#include "timer.h"
#include "kan.h"
#include "proc.h"
#include <hekate/errno.h>
#include <hekate/kprintf.h>
#include <hekate/timerq.h>
#include <kan/notify.h>

_Static_assert((MAX_PROCS * HK_TIMER_MAX) <= TIMERQ_CAP, "a CPU's queue can hold every timer");

struct ktimer {
	struct tq_timer q; /* first member: a queue entry is its ktimer */
	struct proc *p;
	uint32_t ep, id;
	unsigned cpu1; /* its CPU's queue, + 1; 0 none (pt->lock; tc->lock too to change) */
};

struct ptimers {
	ck_spinlock_fas_t lock;
	struct ktimer t[HK_TIMER_MAX];
};

struct tcpu {
	ck_spinlock_fas_t lock;
	uint64_t armed; /* deadline last given to arch_timer_deadline; 0 = none */
	struct timerq q;
} __attribute__((aligned(64)));

static struct ptimers ptimers[MAX_PROCS]; /* by process slot */
static struct tcpu tcpus[ARCH_MAX_CPUS];

/* The first counter value at which time_us() >= us; UINT64_MAX (never) if out of range. */
static uint64_t counter_at(uint64_t us)
{
	uint64_t f = arch_counter_freq(), s = us / 1000000u, r = us % 1000000u;
	if (us == UINT64_MAX || s > UINT64_MAX / f)
		return UINT64_MAX;
	return tq_add_sat(s * f, (r * f + 999999u) / 1000000u);
}

void timer_deadline_lower(uint64_t at)
{
	struct tcpu *tc = &tcpus[arch_cpu_id()];
	at = at ? at : 1;
	if (tc->armed && tc->armed <= at)
		return;
	tc->armed = at;
	arch_timer_deadline(at);
}

/* --- arm and cancel ------------------------------------------------------------ */

/* pt->lock held. Take t out of the queue it is in: 1 if it was armed, else 0. */
static int detach(struct ktimer *t)
{
	if (!t->cpu1)
		return 0;
	struct tcpu *tc = &tcpus[t->cpu1 - 1];
	ck_spinlock_fas_lock(&tc->lock);
	int armed = tq_queued(&t->q);
	if (armed && tq_remove(&tc->q, &t->q))
		panic("timer: %u of %s not in the queue of CPU %u", t->id, t->p->name, t->cpu1 - 1);
	t->cpu1 = 0;
	ck_spinlock_fas_unlock(&tc->lock);
	return armed;
}

static int64_t check_arm(struct proc *p, uint64_t ep, uint64_t id, uint64_t first_us,
                         uint64_t period_us)
{
	if (id >= HK_TIMER_MAX)
		return -HK_EINVAL;
	if (first_us > HK_TIMER_MAX_US || period_us > HK_TIMER_MAX_US)
		return -HK_E2BIG;
	if (period_us && period_us < HK_TIMER_MIN_PERIOD_US)
		return -HK_EINVAL;
	return kan_ep_owned(p, ep) ? 0 : -HK_ENOENT;
}

int64_t timer_arm(struct proc *p, uint64_t ep, uint64_t id, uint64_t first_us, uint64_t period_us)
{
	int64_t rc = check_arm(p, ep, id, first_us, period_us);
	if (rc)
		return rc;
	struct ptimers *pt = &ptimers[p->slot];
	struct ktimer *t = &pt->t[id];
	unsigned cpu = arch_cpu_id(); /* the caller's home CPU: threads never migrate */
	struct tcpu *tc = &tcpus[cpu];
	ck_spinlock_fas_lock(&pt->lock);
	detach(t);
	t->p = p;
	t->ep = (uint32_t)ep;
	t->id = (uint32_t)id;
	uint64_t due = tq_add_sat(time_us(), first_us); /* bounded: never saturates */
	tq_set(&t->q, due, period_us);
	ck_spinlock_fas_lock(&tc->lock);
	if (tq_insert(&tc->q, &t->q))
		panic("timer: queue of CPU %u full", cpu);
	t->cpu1 = cpu + 1;
	ck_spinlock_fas_unlock(&tc->lock);
	ck_spinlock_fas_unlock(&pt->lock);
	timer_deadline_lower(counter_at(due));
	return 0;
}

int64_t timer_cancel(struct proc *p, uint64_t id)
{
	if (id >= HK_TIMER_MAX)
		return -HK_EINVAL;
	struct ptimers *pt = &ptimers[p->slot];
	ck_spinlock_fas_lock(&pt->lock);
	int armed = detach(&pt->t[id]);
	ck_spinlock_fas_unlock(&pt->lock);
	return armed ? 0 : -HK_ENOENT;
}

void timer_proc_exit(struct proc *p)
{
	struct ptimers *pt = &ptimers[p->slot];
	ck_spinlock_fas_lock(&pt->lock);
	for (unsigned i = 0; i < HK_TIMER_MAX; i++) {
		detach(&pt->t[i]);
		pt->t[i].p = NULL;
	}
	ck_spinlock_fas_unlock(&pt->lock);
}

/* --- expiry ------------------------------------------------------------------------ */

/* The expiry's packet to t's endpoint: 0, -HK_ENOBUFS (ring or pool full) or -HK_ENOENT. */
static int send_expiry(const struct ktimer *t, const struct tq_expiry *e)
{
	uint8_t msg[KAN_TIMER_MSG_LEN];
	struct kan_timer_msg m = {
	    .timer = t->id, .due_us = e->due, .fired_us = time_us(), .missed = e->missed};
	kan_timer_msg_encode(msg, &m);
	return kan_kernel_send_owned(t->p, t->ep, KAN_PORT_TIMER, msg, sizeof(msg));
}

/*
 * tc->lock held by its own CPU. t, just taken out of the queue, expires at
 * now: send its packet and queue it again unless it is done. An expiry that
 * could not be delivered stays pending and is retried (tq_undelivered); a
 * timer whose endpoint was closed is disarmed.
 */
static void fire(struct tcpu *tc, struct ktimer *t, uint64_t now)
{
	struct tq_expiry e;
	tq_expiry(&t->q, now, &e);
	int rc = send_expiry(t, &e), again = 1;
	if (rc == -HK_ENOBUFS)
		tq_undelivered(&t->q, now, HK_TIMER_RETRY_US);
	else if (rc < 0)
		again = 0;
	else
		again = tq_delivered(&t->q, &e);
	if (again && tq_insert(&tc->q, &t->q))
		panic("timer: queue of CPU %u full", arch_cpu_id());
}

/*
 * Every timer of this CPU due by now fires: it goes back in the queue for
 * after now (delivered: its next grid point; not: now + retry), so the
 * loop ends after about the queue's length. Then the comparator is set for
 * the next timer or sleeper.
 */
void kernel_irq_timer(void)
{
	struct tcpu *tc = &tcpus[arch_cpu_id()];
	uint64_t now = time_us();
	struct tq_timer *q;
	tc->armed = 0; /* the interrupt consumed it */
	ck_spinlock_fas_lock(&tc->lock);
	while ((q = tq_pop_expired(&tc->q, now)))
		fire(tc, (struct ktimer *)q, now);
	uint64_t next = counter_at(tq_next(&tc->q));
	ck_spinlock_fas_unlock(&tc->lock);
	uint64_t sleeper = sched_expire_sleepers();
	timer_deadline_lower(sleeper < next ? sleeper : next);
}
