# SPDX-License-Identifier: BSD-2-Clause
# Cross toolchain for the aarch64 kernel: clang + ld.lld, freestanding.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(HEKATE_ARCH aarch64)
set(CMAKE_C_COMPILER clang)
set(CMAKE_ASM_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET aarch64-none-elf)
set(CMAKE_ASM_COMPILER_TARGET aarch64-none-elf)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# -mgeneral-regs-only: the kernel never touches FP/SIMD state (user threads own it).
set(HEKATE_TARGET_FLAGS "-mcpu=neoverse-n1 -mgeneral-regs-only")
set(CMAKE_C_FLAGS_INIT "${HEKATE_TARGET_FLAGS} -ffreestanding -nostdlibinc -fno-stack-protector -fno-pic -fno-omit-frame-pointer")
set(CMAKE_ASM_FLAGS_INIT "${HEKATE_TARGET_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld -nostdlib -static -Wl,-z,max-page-size=4096")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
