# SPDX-License-Identifier: BSD-2-Clause
# Host build: unit tests (CMocka, ASan+UBSan), host tools, the cross builds
# as ExternalProjects, and the QEMU tests that boot what those produce.
include(ExternalProject)
enable_testing()

set(HEKATE_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# libfdt and the kernel core, built for the host under the sanitizers.
add_library(host_libfdt STATIC ${LIBFDT_SOURCES})
target_include_directories(host_libfdt PUBLIC ${LIBFDT_DIR})
target_compile_options(host_libfdt PRIVATE -w ${HEKATE_SANITIZE})
target_link_options(host_libfdt PUBLIC ${HEKATE_SANITIZE})

add_library(host_core STATIC ${HEKATE_CORE_SOURCES})
target_include_directories(host_core PUBLIC ${CMAKE_SOURCE_DIR}/kernel/include
  ${CMAKE_SOURCE_DIR}/kan/include ${CMAKE_SOURCE_DIR}/tools/cmake/host-ck ${CMAKE_SOURCE_DIR}/arch
  ${CK_INCLUDE_DIR})
target_compile_options(host_core PRIVATE ${HEKATE_WARNINGS} ${HEKATE_SANITIZE})
target_link_libraries(host_core PUBLIC host_libfdt)

# net/ and drivers/virtio/ for the host, under the sanitizers (tests/unit/test_net_*, test_virtio_*).
add_library(host_net STATIC ${HEKATE_NET_SOURCES} ${HEKATE_VIRTIO_SOURCES})
target_include_directories(host_net PUBLIC ${HEKATE_NET_INCLUDES})
target_compile_options(host_net PRIVATE ${HEKATE_WARNINGS} ${HEKATE_SANITIZE})
target_link_libraries(host_net PUBLIC host_core)

# Host tools (no sanitizers: they are used by tests, not tested themselves).
add_library(tool_libfdt STATIC ${LIBFDT_SOURCES})
target_include_directories(tool_libfdt PUBLIC ${LIBFDT_DIR})
target_compile_options(tool_libfdt PRIVATE -w)
add_executable(dtbedit tools/dtbedit.c)
target_compile_options(dtbedit PRIVATE ${HEKATE_WARNINGS})
target_link_libraries(dtbedit PRIVATE tool_libfdt)
# net/ without sanitizers for the host tools, and hkwire: the host side of
# the wire (frame generator, unprivileged link helper; tools/hkwire/).
add_library(tool_net STATIC ${HEKATE_NET_SOURCES} ${HEKATE_VIRTIO_SOURCES}
  ${CMAKE_SOURCE_DIR}/kan/ipv6.c ${CMAKE_SOURCE_DIR}/kan/udp.c ${CMAKE_SOURCE_DIR}/kan/icmp.c
  ${CMAKE_SOURCE_DIR}/kernel/errno.c)
target_include_directories(tool_net PUBLIC ${HEKATE_NET_INCLUDES} ${CMAKE_SOURCE_DIR}/kernel/include
  ${CMAKE_SOURCE_DIR}/kan/include)
target_compile_options(tool_net PRIVATE ${HEKATE_WARNINGS})
file(GLOB HKWIRE_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tools/hkwire/*.c)
if(HKWIRE_SOURCES)
  add_executable(hkwire ${HKWIRE_SOURCES})
  target_compile_options(hkwire PRIVATE ${HEKATE_WARNINGS})
  target_link_libraries(hkwire PRIVATE tool_net)
endif()
# hkcheck: ordinary Linux UDP sockets against a node (the net tests' client).
add_executable(hkcheck tools/hkcheck.c)
target_compile_options(hkcheck PRIVATE ${HEKATE_WARNINGS})
target_link_libraries(hkcheck PRIVATE tool_net)
# kanctl: the host's management client (docs/kanctl.md), the codec from net/mgmt.c.
file(GLOB KANCTL_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tools/kanctl/*.c)
add_executable(kanctl ${KANCTL_SOURCES})
target_compile_options(kanctl PRIVATE ${HEKATE_WARNINGS})
target_link_libraries(kanctl PRIVATE tool_net)
# mgmtcheck: hostile and replayed management requests (tests/net/mgmt.sh).
add_executable(mgmtcheck tools/mgmtcheck.c)
target_compile_options(mgmtcheck PRIVATE ${HEKATE_WARNINGS})
target_link_libraries(mgmtcheck PRIVATE tool_net)
# Packs the boot image (newc cpio: manifest + user ELF files).
add_executable(mkinitrd tools/mkinitrd.c)
target_compile_options(mkinitrd PRIVATE ${HEKATE_WARNINGS})

# Cross builds: a kernel per architecture that has an arch/ port, the
# portable core for the others.
set(HEKATE_KERNEL_DIR ${CMAKE_BINARY_DIR}/aarch64/arch/aarch64)
set(HEKATE_USER_BUILD_DIR ${CMAKE_BINARY_DIR}/aarch64/user)
foreach(arch aarch64 riscv64)
  ExternalProject_Add(cross-${arch}
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/${arch}
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/tools/cmake/${arch}-clang.cmake
               -DHEKATE_DEPS=${HEKATE_DEPS} -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
endforeach()

# The boot image `make run` boots (servers/default.manifest) and the one `make bench` boots.
foreach(img default bench)
  add_custom_target(image-${img} ALL
    COMMAND ${CMAKE_SOURCE_DIR}/tools/mkimage ${CMAKE_BINARY_DIR}/images/${img}.cpio
            ${CMAKE_SOURCE_DIR}/servers/${img}.manifest ${HEKATE_USER_BUILD_DIR} $<TARGET_FILE:mkinitrd>
    COMMENT "Packing boot image ${img}.cpio")
  add_dependencies(image-${img} cross-aarch64 mkinitrd)
endforeach()

add_subdirectory(tests/unit)
add_subdirectory(tests/fuzz)
# Host <-> node over a tap device in a namespace of the test's own (label net, needs root).
foreach(t dataplane restart twonode icmp multiqueue steer txlend mgmt)
  add_test(NAME net.${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/net/${t}.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(net.${t} PROPERTIES LABELS net TIMEOUT 300)
endforeach()
add_subdirectory(tests/qemu)
add_subdirectory(tests/net)

# The bootstrap's own guarantees (checksum refusal, no half-extracted cache, offline re-run).
add_test(NAME tools.bootstrap COMMAND ${CMAKE_SOURCE_DIR}/tests/tools/test-bootstrap.sh)
set_tests_properties(tools.bootstrap PROPERTIES LABELS tools TIMEOUT 300)
