# SPDX-License-Identifier: BSD-2-Clause
# Cross toolchain for riscv64 (S-mode kernel under OpenSBI).
# Prepared for the second architecture: today it builds the arch-independent
# kernel core (boot info, page allocator, libfdt) to keep that core portable.
set(HEKATE_ARCH riscv64)
set(HEKATE_TRIPLE riscv64-unknown-elf)
set(HEKATE_TARGET_FLAGS "-march=rv64imac -mabi=lp64 -mcmodel=medany -mno-relax")
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
