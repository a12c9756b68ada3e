/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Coroutine context switch (layout: include/hekate/arch_coro.h).
 *
 * void hk_coro_switch(struct hk_coro_ctx *save, const struct hk_coro_ctx *load)
 *   x0 = save, x1 = load. Stores the callee-saved state (AAPCS64: x19-x30,
 *   sp, d8-d15, FPCR) in *save, loads *load's and returns to load's x30.
 *   Caller-saved registers need no saving: the compiler already assumes a
 *   call clobbers them.
 */
	.text
	.global	hk_coro_switch
	.type	hk_coro_switch, %function
hk_coro_switch:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x9, sp
	str	x9, [x0, #96]
	stp	d8, d9, [x0, #104]
	stp	d10, d11, [x0, #120]
	stp	d12, d13, [x0, #136]
	stp	d14, d15, [x0, #152]
	mrs	x10, fpcr
	str	x10, [x0, #168]

	ldp	x19, x20, [x1, #0]
	ldp	x21, x22, [x1, #16]
	ldp	x23, x24, [x1, #32]
	ldp	x25, x26, [x1, #48]
	ldp	x27, x28, [x1, #64]
	ldp	x29, x30, [x1, #80]
	ldr	x9, [x1, #96]
	mov	sp, x9
	ldp	d8, d9, [x1, #104]
	ldp	d10, d11, [x1, #120]
	ldp	d12, d13, [x1, #136]
	ldp	d14, d15, [x1, #152]
	ldr	x10, [x1, #168]
	msr	fpcr, x10
	ret
	.size	hk_coro_switch, . - hk_coro_switch

/*
 * A new context starts here (x30 of a fresh context): x19 = entry,
 * x20 = arg. The frame chain ends here (x29 = 0, no return address),
 * so a debugger's backtrace stops. entry never returns.
 */
	.global	hk_coro_trampoline
	.type	hk_coro_trampoline, %function
hk_coro_trampoline:
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x20
	blr	x19
	brk	#1
	.size	hk_coro_trampoline, . - hk_coro_trampoline
