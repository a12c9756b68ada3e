// SPDX-License-Identifier: BSD-2-Clause
/* Timers as packets: not implemented yet. */
#include "timer.h"
#include <hekate/errno.h>

int64_t timer_arm(struct proc *p, uint64_t ep, uint64_t id, uint64_t first_us, uint64_t period_us)
{
	(void)p, (void)ep, (void)id, (void)first_us, (void)period_us;
	return -HK_ENOSYS;
}

int64_t timer_cancel(struct proc *p, uint64_t id)
{
	(void)p, (void)id;
	return -HK_ENOSYS;
}
