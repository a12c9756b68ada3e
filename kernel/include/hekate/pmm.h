/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_PMM_H
#define HEKATE_PMM_H

/*
 * Physical page allocator: one bit per 4 KiB page over the span from the
 * lowest to the highest RAM address (bit set = free). Holes in the span and
 * reserved regions simply stay clear. Single pages come from the lowest free
 * page (a hint skips full words); runs of pages are found by a scan.
 *
 * No hardware access: the bitmap storage is handed in by the caller, so the
 * same code runs in the kernel and in host unit tests.
 * Locking: none inside; the caller serialises (the boot CPU only, for now).
 */
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE  4096u
#define PAGE_SHIFT 12

struct pmm {
	uint64_t base; /* physical address of page 0 of the span */
	size_t npages; /* pages in the span */
	uint64_t *map; /* npages bits, set = free */
	size_t nfree;  /* free pages right now */
	size_t hint;   /* no free bit below word `hint` */
};

/* Bytes of bitmap needed for npages. */
size_t pmm_map_bytes(size_t npages);

/* Start with every page of [base, base + npages pages) reserved. base must be page aligned. */
void pmm_init(struct pmm *p, uint64_t base, size_t npages, uint64_t *map);

/* Mark the whole pages inside [pa, pa+len) free. -HK_ERANGE if outside the span. */
int pmm_add_free(struct pmm *p, uint64_t pa, uint64_t len);

/* Mark every page touching [pa, pa+len) reserved (clipped to the span). */
void pmm_reserve(struct pmm *p, uint64_t pa, uint64_t len);

/* Allocate one page, the lowest free one. 0 and *pa, or -HK_ENOMEM. */
int pmm_alloc(struct pmm *p, uint64_t *pa);

/* Allocate n contiguous pages aligned to align_pages (a power of two). */
int pmm_alloc_run(struct pmm *p, size_t n, size_t align_pages, uint64_t *pa);

/* Free one page. -HK_EINVAL unaligned, -HK_ERANGE outside, -HK_EDOUBLE already free. */
int pmm_free(struct pmm *p, uint64_t pa);

/* Free n pages from pa; checks every page before changing any. */
int pmm_free_run(struct pmm *p, uint64_t pa, size_t n);

size_t pmm_free_count(const struct pmm *p);

/* 1 if the page at pa is currently free. */
int pmm_is_free(const struct pmm *p, uint64_t pa);

/*
 * Boot placement: find `bytes` (rounded up to pages) inside one of ram[nram]
 * that overlaps none of avoid[navoid] and lies entirely below `limit`.
 * Returns 0 and *pa, or -HK_ENOMEM. Used to place the bitmap itself.
 */
struct pmm_region {
	uint64_t base, size;
};
int pmm_find_hole(const struct pmm_region *ram, unsigned nram, const struct pmm_region *avoid,
                  unsigned navoid, uint64_t bytes, uint64_t limit, uint64_t *pa);

#endif
