# SPDX-License-Identifier: BSD-2-Clause
# Cross toolchain for the aarch64 kernel.
set(HEKATE_ARCH aarch64)
set(HEKATE_TRIPLE aarch64-none-elf)
# -mgeneral-regs-only: the kernel never touches FP/SIMD state (user threads own it).
set(HEKATE_TARGET_FLAGS "-mcpu=neoverse-n1 -mgeneral-regs-only")
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
