/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exception vectors. Every entry saves the full register state into a trap
 * frame on the current kernel stack (layout in <arch/regs.h>) and calls
 * trap_entry(frame, kind), kind = vector index 0..15. For traps from EL0
 * (kinds 8..15) the frame's sp slot holds SP_EL0, and SP_EL1 is the
 * thread's kernel stack, empty at that point. On return the frame is
 * restored (SP_EL0 too when returning to EL0) and the exception returns.
 */
#include <arch/regs.h>

.macro ventry kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	trap_common
.endm

	.text
	.balign	0x800
	.global	vectors
vectors:
	ventry	0
	ventry	1
	ventry	2
	ventry	3
	ventry	4
	ventry	5
	ventry	6
	ventry	7
	ventry	8
	ventry	9
	ventry	10
	ventry	11
	ventry	12
	ventry	13
	ventry	14
	ventry	15

trap_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x1, elr_el1
	stp	x30, x1, [sp, #(FRAME_ELR - 8)]	// x30, elr
	mrs	x1, spsr_el1
	add	x2, sp, #FRAME_SIZE		// interrupted EL1 stack
	cmp	x0, #8
	b.lo	1f
	mrs	x2, sp_el0			// from EL0: the user stack
1:	stp	x1, x2, [sp, #FRAME_SPSR]	// spsr, sp
	mov	x29, xzr			// end of the frame-pointer chain
	mov	x1, x0
	mov	x0, sp
	bl	trap_entry
	.global	trap_return
trap_return:
	ldp	x30, x1, [sp, #(FRAME_ELR - 8)]
	msr	elr_el1, x1
	ldp	x1, x2, [sp, #FRAME_SPSR]
	msr	spsr_el1, x1
	tst	x1, #0xf			// M[3:0] == 0: back to EL0t
	b.ne	2f
	msr	sp_el0, x2
2:	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME_SIZE
	eret

/*
 * A new thread's first instructions (arch_ctx_init_user points lr here and
 * sp at a prepared frame): let the kernel finish the switch, then enter
 * user mode through the common return path.
 */
	.global	thread_trampoline
thread_trampoline:
	bl	kernel_thread_started
	bl	kernel_return_to_user
	b	trap_return
