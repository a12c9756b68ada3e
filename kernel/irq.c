// SPDX-License-Identifier: BSD-2-Clause
/*
 * Interrupts as packets (docs/kan.md "Interrupts").
 *
 * A process binds the interrupt of one of its device grants to one of its
 * endpoints. When the line fires, arch code masks it and ends the
 * interrupt; kernel_irq_device() counts it and sends one UDP datagram from
 * the kernel's address (port KAN_PORT_IRQ, struct kan_irq_msg) to the
 * endpoint. The line stays masked until the process calls irq_ack, so a
 * device that keeps its line asserted raises nothing more until then:
 * interrupts are coalesced, and the message's count says how many the
 * kernel took. A packet the KAN cannot take (pool empty, ring full) stays
 * pending in its binding and is retried on every timer tick: no interrupt
 * is lost.
 *
 * Locking: irq_lock guards binds[], slot_of[] and the changes of npending.
 * It is taken with interrupts masked and no other lock held (system calls,
 * the device interrupt, the tick, process exit). Packets are sent under it
 * (kan_kernel_send_owned takes the KAN's locks, then cpu->lock), so irq_lock
 * comes before all of those; it also serialises the arch_irq_line_* calls
 * that reconfigure a line.
 */
#include "irq.h"
#include "kan.h"
#include "proc.h"
#include <ck_pr.h>
#include <hekate/errno.h>
#include <hekate/kprintf.h>
#include <kan/notify.h>

#define IRQ_MAX_BINDINGS (BI_MAX_VIRTIO + 1) /* one line per grantable device at most */
#define IRQ_MAX_INTID    1020                /* INTIDs from 1020 on are special (GIC) */

struct irq_binding {
	struct proc *proc; /* NULL: free. Released in proc_finish, before p's slot is reused */
	uint32_t grant;    /* index into proc->grants */
	uint32_t intid, ep;
	uint64_t count; /* interrupts taken since the bind */
	int pending;    /* the packet carrying `count` is not queued yet */
};

static ck_spinlock_fas_t irq_lock = CK_SPINLOCK_FAS_INITIALIZER;
static struct irq_binding binds[IRQ_MAX_BINDINGS];
static uint8_t slot_of[IRQ_MAX_INTID]; /* binding index + 1 per INTID, 0 = unbound */
static uint32_t npending;              /* bindings with pending set: the tick reads it lock-free */
static uint64_t unbound;               /* device interrupts no binding claimed (masked) */
static uint64_t orphaned;              /* packets not sent: the endpoint was closed */

/* irq_lock held. */
static void set_pending(struct irq_binding *b, int on)
{
	if (b->pending != on)
		ck_pr_store_32(&npending, on ? npending + 1 : npending - 1);
	b->pending = on;
}

/* irq_lock held. Queue b's packet, or leave it pending if the KAN cannot take it now. */
static void deliver(struct irq_binding *b)
{
	struct kan_irq_msg m = {.irq = b->grant, .intid = b->intid, .count = b->count};
	uint8_t msg[KAN_IRQ_MSG_LEN];
	kan_irq_msg_encode(msg, &m);
	/* ownership checked under the binder's window lock, which kan_close takes:
	 * a handle closed and bound again by another process never gets this */
	int rc = kan_kernel_send_owned(b->proc, b->ep, KAN_PORT_IRQ, msg, sizeof(msg));
	if (rc == -HK_ENOENT) {
		/* The process closed the endpoint: nobody to tell. The line stays
		 * masked; a bind to another endpoint replaces this binding. */
		orphaned++;
		set_pending(b, 0);
		return;
	}
	set_pending(b, rc != 0);
}

/* irq_lock held. Forget b; its line is left as it is (the caller masks or reroutes it). */
static void release(struct irq_binding *b)
{
	set_pending(b, 0);
	slot_of[b->intid] = 0;
	b->proc = NULL;
}

/* irq_lock held. A binding whose owner still has its endpoint open. */
static int live(const struct irq_binding *b) { return b->proc && kan_ep_owned(b->proc, b->ep); }

/* irq_lock held. Bind g's line to p's endpoint ep and route it to this CPU. */
static int claim(struct proc *p, uint32_t grant, const struct grant *g, uint32_t ep)
{
	unsigned s = slot_of[g->irq];
	if (s && live(&binds[s - 1]))
		return -HK_EBUSY;
	if (s)
		release(&binds[s - 1]); /* stale: its endpoint was closed */
	struct irq_binding *b = NULL;
	for (unsigned i = 0; i < IRQ_MAX_BINDINGS && !b; i++)
		b = binds[i].proc ? NULL : &binds[i];
	if (!b)
		return -HK_ETOOMANY;
	*b = (struct irq_binding){.proc = p, .grant = grant, .intid = g->irq, .ep = ep};
	slot_of[g->irq] = (uint8_t)(b - binds + 1);
	/* The caller's CPU: threads never migrate, so the binding thread (which
	 * usually receives the packets) is woken without an IPI. */
	arch_irq_line_route(g->irq, arch_cpu_id(), bi_irq_is_edge(g->irq_flags));
	return 0;
}

/* irq_bind(grant, ep): see docs/syscalls.md for the errors. */
int64_t irq_bind(struct proc *p, uint64_t grant, uint64_t ep)
{
	if (grant >= p->ngrants)
		return -HK_ENOENT;
	const struct grant *g = &p->grants[grant];
	if (g->irq >= IRQ_MAX_INTID || !arch_irq_line_valid(g->irq))
		return -HK_EINVAL;
	if (!kan_ep_owned(p, ep))
		return -HK_ENOENT;
	ck_spinlock_fas_lock(&irq_lock);
	int rc = claim(p, (uint32_t)grant, g, (uint32_t)ep);
	ck_spinlock_fas_unlock(&irq_lock);
	return rc;
}

/* irq_lock held. p's binding of its grant `grant` (in range), or NULL. */
static struct irq_binding *binding_of(struct proc *p, uint64_t grant)
{
	uint32_t intid = p->grants[grant].irq;
	unsigned s = intid < IRQ_MAX_INTID ? slot_of[intid] : 0;
	struct irq_binding *b = s ? &binds[s - 1] : NULL;
	return b && b->proc == p && b->grant == grant ? b : NULL;
}

/* irq_ack(grant): unmask the line. Harmless when it is not masked. */
int64_t irq_ack(struct proc *p, uint64_t grant)
{
	if (grant >= p->ngrants)
		return -HK_ENOENT;
	ck_spinlock_fas_lock(&irq_lock);
	struct irq_binding *b = binding_of(p, grant);
	if (b)
		arch_irq_line_unmask(b->intid);
	ck_spinlock_fas_unlock(&irq_lock);
	return b ? 0 : -HK_EINVAL;
}

void irq_proc_exit(struct proc *p)
{
	ck_spinlock_fas_lock(&irq_lock);
	for (unsigned i = 0; i < IRQ_MAX_BINDINGS; i++)
		if (binds[i].proc == p) {
			arch_irq_line_mask(binds[i].intid);
			release(&binds[i]);
		}
	ck_spinlock_fas_unlock(&irq_lock);
}

void irq_tick(void)
{
	if (!ck_pr_load_32(&npending))
		return;
	ck_spinlock_fas_lock(&irq_lock);
	for (unsigned i = 0; i < IRQ_MAX_BINDINGS && npending; i++)
		if (binds[i].proc && binds[i].pending)
			deliver(&binds[i]);
	ck_spinlock_fas_unlock(&irq_lock);
}

/* The arch layer took a device interrupt on this CPU and masked its line. */
void kernel_irq_device(uint32_t intid)
{
	ck_spinlock_fas_lock(&irq_lock);
	unsigned s = intid < IRQ_MAX_INTID ? slot_of[intid] : 0;
	if (s) {
		binds[s - 1].count++;
		deliver(&binds[s - 1]);
	} else {
		unbound++;
	}
	ck_spinlock_fas_unlock(&irq_lock);
	if (!s) /* at most once per bind: the line stays masked */
		kprintf("irq: INTID %u is bound to no process: masked\n", intid);
}
