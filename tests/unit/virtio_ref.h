/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_TEST_VIRTIO_REF_H
#define HEKATE_TEST_VIRTIO_REF_H

/*
 * Shared by the virtio tests (test_virtio_vq.c, test_virtio_net.c): the
 * simulated devices' view of memory. Little-endian field access written
 * byte by byte (independent of the library's structs and helpers), and
 * page-aligned blocks of exactly n bytes, so ASan reports any access past
 * a ring part or a page. Host memory stands for physical memory (PA == VA).
 * Include after cmocka.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p) { return le16(p) | (uint32_t)le16(p + 2) << 16; }
static inline uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline uint8_t *dma(uint64_t pa) { return (uint8_t *)(uintptr_t)pa; }
static inline uint64_t pa_of(const void *p) { return (uint64_t)(uintptr_t)p; }

/* n bytes, 4 KiB-aligned, filled with 0xa5; free() it. */
static inline uint8_t *block_alloc(size_t n)
{
	void *p = NULL;
	assert_int_equal(posix_memalign(&p, 4096, n), 0);
	memset(p, 0xa5, n);
	return p;
}

#endif
