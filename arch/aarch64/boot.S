/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aarch64 entry. QEMU starts the boot CPU here at the *physical* address of
 * _start (ELF e_entry), MMU off, at EL2 or EL1; secondaries stay powered off
 * (PSCI). Until the MMU is on, only PC-relative addressing is used.
 *
 * Steps: drop EL2 -> EL1; zero .bss; map two 1 GiB blocks (devices at PA 0,
 * and the GiB holding the kernel, both at identity and at PA + KERNEL_VOFF);
 * MMU on; jump to the linked (high) address; stack, vectors, C.
 */
#include <arch/regs.h>

	.section .text.boot, "ax"
	.global _start
_start:
	/* arm64 Linux Image header, so QEMU also boots us as an Image (then x0 = DTB and -initrd works). */
	b	entry			// code0
	.long	0			// code1
	.quad	0x200000		// text_offset: loaded at RAM base + 2 MiB
	.quad	__kernel_size		// image_size, .bss included
	.quad	2			// flags: little endian, 4 KiB pages
	.quad	0, 0, 0			// res2-res4
	.ascii	"ARM\x64"		// magic
	.long	0			// res5

entry:
	mov	x19, x0			// DTB address if the boot protocol passed one (ELF: 0)
	mrs	x20, CurrentEL
	ubfx	x20, x20, #2, #2	// entry exception level
	cmp	x20, #2
	b.ne	1f
	bl	el2_to_el1
1:	msr	daifset, #0xf
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
2:	cmp	x0, x1
	b.hs	3f
	str	xzr, [x0], #8
	b	2b
3:	bl	early_map
	ldr	x0, =high_entry
	br	x0

/* Called at EL2: make EL1 an AArch64 kernel level with timer, GICv3 and FP access; return at EL1. */
el2_to_el1:
	mov	x0, #(1 << 31)		// HCR_EL2.RW
	msr	hcr_el2, x0
	mrs	x0, cnthctl_el2
	orr	x0, x0, #3		// EL1PCTEN | EL1PCEN
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr
	ldr	x0, =0x33ff		// CPTR_EL2 RES1, no traps
	msr	cptr_el2, x0
	mrs	x0, S3_4_C12_C9_5	// ICC_SRE_EL2
	orr	x0, x0, #0x1		// SRE
	orr	x0, x0, #0x8		// Enable: EL1 may use ICC_SRE_EL1
	msr	S3_4_C12_C9_5, x0
	isb
	ldr	x0, =SCTLR_RES1
	msr	sctlr_el1, x0
	mov	x0, #0x3c5		// EL1h, DAIF masked
	msr	spsr_el2, x0
	msr	elr_el2, x30
	eret

/* Early tables: one L1 page shared by TTBR0 (identity) and TTBR1 (PA + KERNEL_VOFF). */
early_map:
	adrp	x0, early_l1
	ldr	x1, =(PTE_VALID | PTE_ATTR(MT_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)
	str	x1, [x0]		// GiB 0: devices
	adr	x2, _start
	lsr	x2, x2, #30		// the kernel's GiB (must not be 0)
	lsl	x3, x2, #30
	ldr	x1, =(PTE_VALID | PTE_ATTR(MT_NORMAL) | PTE_SH_INNER | PTE_AF)
	orr	x1, x1, x3
	str	x1, [x0, x2, lsl #3]
	dsb	sy
	mov	x1, x0			// written with the MMU off: drop stale lines
	add	x2, x0, #4096
4:	dc	ivac, x1
	add	x1, x1, #64
	cmp	x1, x2
	b.lo	4b
	dsb	sy
	mov	x1, x0
	b	mmu_on			// tail call: returns to our caller

/* MMU on with TTBR0 = x0, TTBR1 = x1 (physical), MAIR/TCR as regs.h says. Clobbers x1, x2. */
mmu_on:
	ldr	x2, =MAIR_VALUE
	msr	mair_el1, x2
	msr	ttbr0_el1, x0
	msr	ttbr1_el1, x1
	ldr	x1, =TCR_VALUE
	mrs	x2, id_aa64mmfr0_el1
	and	x2, x2, #7		// PARange -> IPS
	bfi	x1, x2, #32, #3
	msr	tcr_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x1, =(SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I)
	msr	sctlr_el1, x1
	isb
	ret

/*
 * Secondary CPUs (PSCI CPU_ON, x0 = logical CPU index) start here at the
 * physical address, MMU off. They reuse early_l1 as a temporary identity
 * map in TTBR0, load the kernel's final tables into TTBR1, turn the MMU on
 * and continue high. aarch64_kernel_root was cleaned to memory by the boot
 * CPU, so the uncached read below sees it.
 */
	.global	secondary_entry
secondary_entry:
	mov	x19, x0
	mrs	x20, CurrentEL
	ubfx	x20, x20, #2, #2
	cmp	x20, #2
	b.ne	6f
	bl	el2_to_el1
6:	msr	daifset, #0xf
	adrp	x0, early_l1
	adrp	x1, aarch64_kernel_root
	ldr	x1, [x1, :lo12:aarch64_kernel_root]
	bl	mmu_on
	ldr	x0, =secondary_high
	br	x0

	.text
secondary_high:
	ldr	x0, =aarch64_secondary_stack
	ldr	x0, [x0, x19, lsl #3]
	mov	sp, x0
	ldr	x0, =vectors
	msr	vbar_el1, x0
	msr	tpidr_el1, x19
	isb
	mov	x0, x19
	bl	aarch64_secondary
7:	wfi
	b	7b

high_entry:
	ldr	x0, =boot_stack_top
	mov	sp, x0
	msr	tpidr_el1, xzr		// logical CPU 0
	ldr	x0, =vectors
	msr	vbar_el1, x0
	isb
	mov	x0, x19
	mov	x1, x20
	bl	aarch64_boot
5:	wfi
	b	5b

	.section .bss
	.balign 4096
	.global early_l1
early_l1:
	.space	4096
	.balign 16
boot_stack:
	.space	16384
boot_stack_top:
