/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef VIRTIO_LE_H
#define VIRTIO_LE_H

/*
 * Virtio 1.x rings, registers and config fields are little-endian. These
 * convert between that and the CPU's order: the identity on a
 * little-endian CPU (both of our targets), a byte swap on a big-endian
 * one. A plain expression over the compiler's __BYTE_ORDER__, so there is
 * no arch #ifdef and no cost where nothing needs swapping.
 */
#include <stdint.h>

#define VIO_BIG_ENDIAN (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)

static inline uint16_t vio_le16(uint16_t v) { return VIO_BIG_ENDIAN ? __builtin_bswap16(v) : v; }
static inline uint32_t vio_le32(uint32_t v) { return VIO_BIG_ENDIAN ? __builtin_bswap32(v) : v; }
static inline uint64_t vio_le64(uint64_t v) { return VIO_BIG_ENDIAN ? __builtin_bswap64(v) : v; }

#endif
