/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_KERNEL_IRQ_H
#define HEKATE_KERNEL_IRQ_H

/*
 * Interrupts as packets (kernel/irq.c, docs/kan.md "Interrupts"). Arguments
 * are raw and hostile: every one is checked here. All of these are called
 * with interrupts masked and no lock held.
 */
#include <stdint.h>

struct proc;

/* Deliver the interrupt of p's device grant `grant` as packets to p's endpoint ep. */
int64_t irq_bind(struct proc *p, uint64_t grant, uint64_t ep);
/* p has handled the interrupt: unmask the line. */
int64_t irq_ack(struct proc *p, uint64_t grant);
/* Every thread of p is gone: mask and release its bindings (proc_finish). */
void irq_proc_exit(struct proc *p);
/* Timer tick on this CPU: retry packets that could not be delivered. */
void irq_tick(void);

#endif
