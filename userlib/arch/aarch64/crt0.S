/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Process entry. The kernel starts the first thread here with x0 = argc,
 * x1 = argv (on the stack it built), sp 16-byte aligned; a thread made by
 * hk_thread_create starts in __hk_thread_entry with x0 = its start block.
 */
	.section .text.start, "ax"
	.global	_start
_start:
	mov	x29, xzr
	mov	x30, xzr
	bl	__hk_start
	brk	#1			// __hk_start never returns

	.text
	.global	__hk_thread_entry
__hk_thread_entry:
	mov	x29, xzr
	mov	x30, xzr
	bl	__hk_thread_main
	brk	#1
