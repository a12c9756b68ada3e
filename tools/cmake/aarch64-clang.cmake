# SPDX-License-Identifier: BSD-2-Clause
# Cross toolchain for the aarch64 kernel.
set(HEKATE_ARCH aarch64)
set(HEKATE_TRIPLE aarch64-none-elf)
set(HEKATE_TARGET_FLAGS "-mcpu=neoverse-n1")
# Kernel code only: it never touches FP/SIMD state (user threads own it).
set(HEKATE_KERNEL_FLAGS -mgeneral-regs-only)
# User programs: picolibc for this target, and libgcc for its outline atomics.
set(HEKATE_PICOLIBC_TRIPLE aarch64-linux-gnu)
set(HEKATE_LIBGCC /usr/lib/gcc-cross/aarch64-linux-gnu/12/libgcc.a)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
