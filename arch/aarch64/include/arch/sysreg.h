/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_AARCH64_SYSREG_H
#define HEKATE_AARCH64_SYSREG_H
#include <stdint.h>

#define read_sysreg(r)                                                                             \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));                                        \
		v_;                                                                                \
	})
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" ::"r"((uint64_t)(v)))
#define isb()              __asm__ volatile("isb" ::: "memory")
#define dsb(opt)           __asm__ volatile("dsb " #opt ::: "memory")

#endif
