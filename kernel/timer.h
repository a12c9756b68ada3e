/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_KERNEL_TIMER_H
#define HEKATE_KERNEL_TIMER_H

/*
 * Timers as packets (kernel/timer.c, docs/kan.md "The clock"). Arguments
 * are raw and hostile: every one is checked here.
 */
#include <stdint.h>

struct proc;

/* Arm (or re-arm) timer id of p to send a packet to p's endpoint ep after
 * first_us, then every period_us (0 = one-shot). */
int64_t timer_arm(struct proc *p, uint64_t ep, uint64_t id, uint64_t first_us, uint64_t period_us);
int64_t timer_cancel(struct proc *p, uint64_t id);
/* Every thread of p is gone: cancel its timers (before kan_proc_exit). No lock held. */
void timer_proc_exit(struct proc *p);
/*
 * Make this CPU's comparator fire no later than counter value at (a
 * sleeper's timeout). Interrupts masked; any lock may be held (it takes none).
 */
void timer_deadline_lower(uint64_t at);

#endif
