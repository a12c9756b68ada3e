// SPDX-License-Identifier: BSD-2-Clause
/* Interrupts as packets: not implemented yet. */
#include "irq.h"
#include <hekate/errno.h>

int64_t irq_bind(struct proc *p, uint64_t grant, uint64_t ep)
{
	(void)p, (void)grant, (void)ep;
	return -HK_ENOSYS;
}

int64_t irq_ack(struct proc *p, uint64_t grant)
{
	(void)p, (void)grant;
	return -HK_ENOSYS;
}
