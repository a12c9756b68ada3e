/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_AARCH64_CONTEXT_H
#define HEKATE_AARCH64_CONTEXT_H

/* Per-thread machine state the kernel embeds in its thread struct (switch.S). */
#include <stdint.h>

/* Callee-saved registers at a switch: x19..x28, fp, lr, sp. */
struct arch_ctx {
	uint64_t x19_x28[10];
	uint64_t fp, lr, sp;
};

/* User FP/SIMD state: v0..v31, fpsr, fpcr (the kernel itself never uses FP). */
struct arch_fpstate {
	uint64_t v[64];
	uint64_t fpsr, fpcr;
};

/* Last-level page table: 512 entries of 4 KiB pages (2 MiB). */
#define ARCH_PT_LEAF_PAGES 512u

#endif
