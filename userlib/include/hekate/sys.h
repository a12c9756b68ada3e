/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_USER_SYS_H
#define HEKATE_USER_SYS_H

/*
 * System call stubs, generated from the kernel's list (<hekate/syscalls.h>):
 * hk_NAME(params) for every entry, returning the raw result (>= 0 success,
 * negative -HK_E* error). The argument registers carry 64-bit values; each
 * argument is widened as its declared type says.
 */
#include <hekate/arch_sys.h>
#include <hekate/errno.h>
#include <hekate/syscalls.h>
#include <stddef.h>
#include <stdint.h>

#define HK_UNPAREN(...)     __VA_ARGS__
#define HK_CALL(m, ...)     m(__VA_ARGS__) /* expands the arguments before m sees them */
#define HK_W(x)             ((uint64_t)(uintptr_t)(x))
#define HK_SC_0(n, ...)     hk_raw_syscall(n, 0, 0, 0, 0, 0, 0)
#define HK_SC_1(n, a)       hk_raw_syscall(n, HK_W(a), 0, 0, 0, 0, 0)
#define HK_SC_2(n, a, b)    hk_raw_syscall(n, HK_W(a), HK_W(b), 0, 0, 0, 0)
#define HK_SC_3(n, a, b, c) hk_raw_syscall(n, HK_W(a), HK_W(b), HK_W(c), 0, 0, 0)
#define HK_SC_4(n, a, b, c, d) hk_raw_syscall(n, HK_W(a), HK_W(b), HK_W(c), HK_W(d), 0, 0)
#define HK_SC_5(n, a, b, c, d, e)                                                                  \
	hk_raw_syscall(n, HK_W(a), HK_W(b), HK_W(c), HK_W(d), HK_W(e), 0)

#define HK_STUB(nr, name, rights, nargs, params, args)                                             \
	static inline int64_t hk_##name params                                                     \
	{                                                                                          \
		return HK_CALL(HK_SC_##nargs, nr, HK_UNPAREN args);                                \
	}
HK_SYSCALLS(HK_STUB)
#undef HK_STUB

#endif
