# SPDX-License-Identifier: BSD-2-Clause
# Third-party sources fetched by tools/bootstrap into HEKATE_DEPS.
set(HEKATE_DEPS "${CMAKE_SOURCE_DIR}/.deps" CACHE PATH "third-party source cache filled by tools/bootstrap")
set(LIBFDT_DIR "${HEKATE_DEPS}/u-boot/scripts/dtc/libfdt")
set(CK_INCLUDE_DIR "${HEKATE_DEPS}/ck/include")
set(LWIP_DIR "${HEKATE_DEPS}/lwip")
foreach(stamp u-boot ck lwip)
  if(NOT EXISTS "${HEKATE_DEPS}/${stamp}/.hekate-stamp")
    message(FATAL_ERROR "${HEKATE_DEPS}/${stamp} is missing or incomplete: run tools/bootstrap (make does it for you)")
  endif()
endforeach()
set(LIBFDT_SOURCES
  ${LIBFDT_DIR}/fdt.c ${LIBFDT_DIR}/fdt_ro.c ${LIBFDT_DIR}/fdt_wip.c ${LIBFDT_DIR}/fdt_sw.c
  ${LIBFDT_DIR}/fdt_rw.c ${LIBFDT_DIR}/fdt_strerror.c ${LIBFDT_DIR}/fdt_empty_tree.c
  ${LIBFDT_DIR}/fdt_addresses.c)

# Warnings are errors in project code only; third-party code gets none of these.
set(HEKATE_WARNINGS -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes)

# The arch-independent kernel core, shared by the kernel and the host tests.
set(HEKATE_CORE_SOURCES
  ${CMAKE_SOURCE_DIR}/kernel/bootinfo.c ${CMAKE_SOURCE_DIR}/kernel/pmm.c
  ${CMAKE_SOURCE_DIR}/kernel/errno.c ${CMAKE_SOURCE_DIR}/kernel/lib/fmt.c
  ${CMAKE_SOURCE_DIR}/kernel/elf.c ${CMAKE_SOURCE_DIR}/kernel/cpio.c
  ${CMAKE_SOURCE_DIR}/kernel/manifest.c ${CMAKE_SOURCE_DIR}/kernel/timerq.c
  ${CMAKE_SOURCE_DIR}/kan/ipv6.c ${CMAKE_SOURCE_DIR}/kan/addr.c
  ${CMAKE_SOURCE_DIR}/kan/pool.c ${CMAKE_SOURCE_DIR}/kan/ep.c
  ${CMAKE_SOURCE_DIR}/kan/udp.c ${CMAKE_SOURCE_DIR}/kan/ctl.c ${CMAKE_SOURCE_DIR}/kan/icmp.c)

# Packet-processing libraries shared by the node's processes and the host
# tests: net/ (Ethernet, IPv6 checks, ICMPv6, NDP, Geneve, the LPM table)
# and drivers/virtio/ (virtio-mmio transport, split virtqueues, virtio-net).
# Pure code over bytes and a register-access interface: no syscalls.
file(GLOB HEKATE_NET_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/net/*.c)
file(GLOB HEKATE_VIRTIO_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/drivers/virtio/*.c)
set(HEKATE_NET_INCLUDES ${CMAKE_SOURCE_DIR}/net/include ${CMAKE_SOURCE_DIR}/drivers/virtio/include)
