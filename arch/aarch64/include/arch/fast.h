/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_AARCH64_FAST_H
#define HEKATE_AARCH64_FAST_H

/*
 * The arch calls every KAN send and switch makes, inline: a call each
 * would cost more than the one instruction they are (included by <arch.h>).
 */
#include <arch/regs.h>
#include <stdint.h>

/* Kernel VA of physical pa in the linear map. */
static inline void *arch_phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)(pa + KERNEL_VOFF); }

/* Logical index of the calling CPU (0 = boot CPU): set in TPIDR_EL1 at CPU
 * start. Not volatile: threads never migrate, so within any kernel function
 * the value cannot change and the compiler may reuse it. */
static inline unsigned arch_cpu_id(void)
{
	uint64_t v;
	__asm__("mrs %0, tpidr_el1" : "=r"(v));
	return (unsigned)v;
}

#endif
