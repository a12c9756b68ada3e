/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_USER_ARCH_SYS_H
#define HEKATE_USER_ARCH_SYS_H

/* aarch64 user side of the syscall ABI: svc #0, number in x8, args x0..x5, result x0. */
#include <stdint.h>

static inline int64_t hk_raw_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                     uint64_t a3, uint64_t a4, uint64_t a5)
{
	register uint64_t x8 __asm__("x8") = nr;
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	register uint64_t x4 __asm__("x4") = a4;
	register uint64_t x5 __asm__("x5") = a5;
	__asm__ volatile("svc #0"
	                 : "+r"(x0)
	                 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
	                 : "memory");
	return (int64_t)x0;
}

/* The thread-pointer value for a TLS block: TPIDR_EL0 points 16 bytes (the TCB) before it. */
extern char __arm64_tls_tcb_offset[];
static inline uintptr_t hk_tls_tp(void *tls)
{
	return (uintptr_t)tls - (uintptr_t)__arm64_tls_tcb_offset;
}

#endif
