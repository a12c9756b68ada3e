/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_AARCH64_REGS_H
#define HEKATE_AARCH64_REGS_H

/* Constants shared by the aarch64 assembly and C code. */
#ifdef __ASSEMBLER__
#define U64(x) x
#else
#define U64(x) x##ull
#endif

/* Kernel virtual layout: 39-bit VA; TTBR1 covers the top 512 GiB. */
#define KERNEL_VOFF U64(0xffffff8000000000) /* VA = PA + KERNEL_VOFF (linear map) */
#define VA_BITS     39

/* MAIR attribute indices */
#define MT_DEVICE    0 /* Device-nGnRE */
#define MT_NORMAL    1 /* Normal, write-back cacheable */
#define MT_NORMAL_NC 2
/* attr0 = 0x04 Device-nGnRE, attr1 = 0xff Normal WB RA/WA, attr2 = 0x44 Normal non-cacheable */
#define MAIR_VALUE 0x44ff04

/*
 * TCR_EL1: T0SZ = T1SZ = 25 (39-bit VA), 4 KiB granules, inner-shareable
 * write-back walks for both halves. IPS is filled from ID_AA64MMFR0_EL1.
 */
#define TCR_VALUE 0xb5193519
#define TCR_EPD0  (U64(1) << 7) /* no TTBR0 walks: the user half is empty */

/* SCTLR_EL1: RES1 bits, then M (MMU), C, SA (stack alignment), I, WXN */
#define SCTLR_RES1 0x30d00800
#define SCTLR_M    (1 << 0)
#define SCTLR_C    (1 << 2)
#define SCTLR_SA   (1 << 3)
#define SCTLR_I    (1 << 12)
#define SCTLR_WXN  (1 << 19)

/* Translation table descriptor bits */
#define PTE_VALID    (U64(1) << 0)
#define PTE_TABLE    (U64(1) << 1) /* at levels 0-2; at level 3 this bit marks a page */
#define PTE_PAGE     (U64(1) << 1)
#define PTE_ATTR(i)  (U64(i) << 2)
#define PTE_AP_RO    (U64(1) << 7) /* AP[2]: read-only */
#define PTE_AP_EL0   (U64(1) << 6) /* AP[1]: EL0 access */
#define PTE_SH_INNER (U64(3) << 8)
#define PTE_AF       (U64(1) << 10)
#define PTE_NG       (U64(1) << 11)
#define PTE_PXN      (U64(1) << 53)
#define PTE_UXN      (U64(1) << 54)

/* Trap frame layout (entry.S <-> trap.c) */
#define FRAME_X0   0
#define FRAME_ELR  248
#define FRAME_SPSR 256
#define FRAME_SP   264
#define FRAME_SIZE 288

/* Exit reason for semihosting SYS_EXIT_EXTENDED */
#define SEMIHOST_SYS_EXIT            0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

#endif
