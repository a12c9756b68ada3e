# SPDX-License-Identifier: BSD-2-Clause
# Cross toolchain for riscv64 (S-mode kernel under OpenSBI): clang + ld.lld.
# Prepared for the second architecture: today it builds the arch-independent
# kernel core (boot info, page allocator, libfdt) to keep that core portable.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(HEKATE_ARCH riscv64)
set(CMAKE_C_COMPILER clang)
set(CMAKE_ASM_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET riscv64-unknown-elf)
set(CMAKE_ASM_COMPILER_TARGET riscv64-unknown-elf)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(HEKATE_TARGET_FLAGS "-march=rv64imac -mabi=lp64 -mcmodel=medany -mno-relax")
set(CMAKE_C_FLAGS_INIT "${HEKATE_TARGET_FLAGS} -ffreestanding -nostdlibinc -fno-stack-protector -fno-pic -fno-omit-frame-pointer")
set(CMAKE_ASM_FLAGS_INIT "${HEKATE_TARGET_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld -nostdlib -static -Wl,-z,max-page-size=4096")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
