# SPDX-License-Identifier: BSD-2-Clause
# Shared by the cross toolchain files: clang + ld.lld, freestanding, no libc.
# The including file sets HEKATE_ARCH, HEKATE_TRIPLE and HEKATE_TARGET_FLAGS first.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR ${HEKATE_ARCH})
set(CMAKE_C_COMPILER clang)
set(CMAKE_ASM_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET ${HEKATE_TRIPLE})
set(CMAKE_ASM_COMPILER_TARGET ${HEKATE_TRIPLE})
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "${HEKATE_TARGET_FLAGS} -ffreestanding -nostdlibinc -fno-stack-protector -fno-pic -fno-omit-frame-pointer")
set(CMAKE_ASM_FLAGS_INIT "${HEKATE_TARGET_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld -nostdlib -static -Wl,-z,max-page-size=4096 -Wno-unused-command-line-argument")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
